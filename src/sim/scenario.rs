//! Scripted runner pods: what a gitlab-runner 18.9 container in the Helm
//! chart prints, step by step, for the situations runner-medic must tell
//! apart (healthy polling, a stale token locking itself out, rejected
//! registration, a GitLab outage, the runbook's recovery).
//!
//! A [`PodScript`] only produces lines with their container-runtime
//! timestamps; the example logs render them as `kubectl logs` output and
//! the simulated cluster serves them through the log API.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::render::{Entry, Style, kube_prefix, render};
use crate::event::Level;

/// The GitLab URL every script talks to.
pub const GITLAB_URL: &str = "https://gitlab.example.com";

/// One physical line a container wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptLine {
    /// When the container runtime recorded it.
    pub at: Timestamp,
    /// The bytes, without the newline.
    pub text: String,
    /// The entry it was rendered from (`None` for plain script output), and
    /// which physical line of the rendering it is.
    source: Option<(Entry, Style, usize)>,
}

impl ScriptLine {
    /// The line as it would read if logged at `at` (logrus stamps its own
    /// time into text and JSON entries).
    pub fn text_at(&self, at: Timestamp) -> String {
        match &self.source {
            Some((entry, style, part)) => {
                let e = entry.clone().at(at);
                let text = render(&e, *style);
                text.split('\n').nth(*part).unwrap_or("").to_owned()
            }
            None => self.text.clone(),
        }
    }
}

/// The log of one runner container, built step by step.
#[derive(Debug, Clone)]
pub struct PodScript {
    /// Pod name.
    pub pod: String,
    /// Container name (the chart names it after the release).
    pub container: String,
    /// Format of `gitlab-runner run` lines (`log_format` in config.toml);
    /// registration lines are always in the runner format.
    pub style: Style,
    now: Timestamp,
    lines: Vec<ScriptLine>,
    counter: u64,
    job: i64,
}

impl PodScript {
    /// A container that starts at `start`.
    pub fn new(pod: &str, start: Timestamp, style: Style) -> PodScript {
        PodScript {
            pod: pod.to_owned(),
            container: "gitlab-runner".to_owned(),
            style,
            now: start,
            lines: Vec::new(),
            counter: 0,
            job: 48_213_300,
        }
    }

    /// The lines so far.
    pub fn lines(&self) -> &[ScriptLine] {
        &self.lines
    }

    /// Takes the lines out.
    pub fn into_lines(self) -> Vec<ScriptLine> {
        self.lines
    }

    /// The script's clock.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Advances the clock.
    pub fn wait(&mut self, d: Duration) -> &mut Self {
        self.now = self
            .now
            .checked_add(SignedDuration::try_from(d).unwrap_or(SignedDuration::ZERO))
            .unwrap_or(self.now);
        self
    }

    fn tick(&mut self) {
        // Lines of one burst are a few milliseconds apart.
        self.counter += 1;
        let jitter = 1_000_000 + (self.counter * 7_919_311) % 9_000_000;
        self.now = self
            .now
            .checked_add(SignedDuration::from_nanos(jitter as i64))
            .unwrap_or(self.now);
    }

    fn correlation_id(&mut self) -> String {
        // A ULID-shaped id (26 Crockford base32 characters), deterministic.
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut x = self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        let mut s = String::from("01K");
        for _ in 0..23 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(ALPHABET[(x % 32) as usize] as char);
        }
        s
    }

    fn emit_as(&mut self, entry: Entry, style: Style) {
        self.tick();
        let entry = entry.at(self.now);
        let text = render(&entry, style);
        for (part, physical) in text
            .strip_suffix('\n')
            .unwrap_or(&text)
            .split('\n')
            .enumerate()
        {
            self.lines.push(ScriptLine {
                at: self.now,
                text: physical.to_owned(),
                source: Some((entry.clone(), style, part)),
            });
        }
    }

    fn emit(&mut self, entry: Entry) {
        self.emit_as(entry, self.style);
    }

    /// A line printed by the chart's shell scripts (stdout, no formatter).
    pub fn plain(&mut self, text: &str) -> &mut Self {
        self.tick();
        self.lines.push(ScriptLine {
            at: self.now,
            text: text.to_owned(),
            source: None,
        });
        self
    }

    fn runner_scoped(&mut self, level: Level, msg: &str, id: &str) -> Entry {
        let cid = self.correlation_id();
        Entry::new(level, msg)
            .field("correlation_id", cid)
            .field("runner", id)
            .field("runner_name", self.pod.clone())
    }

    fn runtime_platform(&mut self) {
        let e = Entry::new(Level::Info, "Runtime platform")
            .field("arch", "amd64")
            .field("os", "linux")
            .field("pid", 7)
            .field("revision", "1e7e9a42")
            .field("version", "18.9.0");
        // Printed before any config is read: always the runner format.
        self.emit_as(e, Style::Runner { colours: true });
    }

    /// `gitlab-runner register` with a legacy registration token that works.
    pub fn register_legacy(&mut self, registration_short: &str) -> &mut Self {
        self.plain("Registration attempt 1 of 30");
        self.runtime_platform();
        let reg = Style::Runner { colours: true };
        self.emit_as(
            Entry::new(Level::Warning, "Support for registration tokens and runner parameters in the 'register' command has been deprecated in GitLab Runner 15.6 and will be replaced with support for authentication tokens. For more information, see https://docs.gitlab.com/ci/runners/new_creation_workflow/"),
            reg,
        );
        let cid = self.correlation_id();
        self.emit_as(
            Entry::new(Level::Info, "Registering runner... succeeded")
                .field("correlation_id", cid)
                .field("runner", registration_short),
            reg,
        );
        self.emit_as(
            Entry::new(Level::Info, "Runner registered successfully. Feel free to start it, but if it's running already the config should be automatically reloaded!\n"),
            reg,
        );
        self.emit_as(
            Entry::new(Level::Info, "Configuration (with the authentication token) was saved in \"/home/gitlab-runner/.gitlab-runner/config.toml\""),
            reg,
        );
        self
    }

    /// `gitlab-runner register` that the registration token cannot pass:
    /// `attempts` tries, each answered `status` (403 or 410).
    pub fn register_rejected(
        &mut self,
        registration_short: &str,
        status: u16,
        attempts: u32,
    ) -> &mut Self {
        let reg = Style::Runner { colours: true };
        for attempt in 1..=attempts {
            self.plain(&format!("Registration attempt {attempt} of 30"));
            self.runtime_platform();
            let cid = self.correlation_id();
            let (msg, text) = match status {
                410 => (
                    "Registering runner... failed",
                    format!(
                        "POST {GITLAB_URL}/api/v4/runners: 410 Gone (410 Gone - runner registration disallowed)"
                    ),
                ),
                _ => (
                    "Registering runner... forbidden (check registration token)",
                    format!("POST {GITLAB_URL}/api/v4/runners: 403 Forbidden"),
                ),
            };
            self.emit_as(
                Entry::new(Level::Error, msg)
                    .field("correlation_id", cid)
                    .field("runner", registration_short)
                    .field("status", text),
                reg,
            );
            self.emit_as(
                Entry::new(Level::Panic, "Failed to register the runner."),
                reg,
            );
            self.wait(Duration::from_secs(5));
        }
        self
    }

    /// `gitlab-runner register` with a glrt- token: verification only.
    pub fn verify(&mut self, id: &str, valid: bool) -> &mut Self {
        let reg = Style::Runner { colours: true };
        self.plain("Registration attempt 1 of 30");
        self.runtime_platform();
        let cid = self.correlation_id();
        let e = Entry::new(
            Level::Info,
            if valid {
                "Verifying runner... is valid"
            } else {
                "Verifying runner... is not valid"
            },
        )
        .field("correlation_id", cid)
        .field("runner", id);
        self.emit_as(e, reg);
        if valid {
            self.emit_as(
                Entry::new(Level::Info, "Runner registered successfully. Feel free to start it, but if it's running already the config should be automatically reloaded!\n"),
                reg,
            );
        } else {
            self.emit_as(
                Entry::new(Level::Panic, "Failed to verify the runner."),
                reg,
            );
        }
        self
    }

    /// `gitlab-runner run` start-up.
    pub fn start(&mut self) -> &mut Self {
        self.runtime_platform();
        let first = Style::Runner { colours: true };
        self.emit_as(
            Entry::new(
                Level::Info,
                "Starting multi-runner from /home/gitlab-runner/.gitlab-runner/config.toml...",
            )
            .field("builds", 0)
            .field("max_builds", 0),
            first,
        );
        self.emit(
            Entry::new(Level::Info, "Running in system-mode.")
                .field("builds", 0)
                .field("max_builds", 0),
        );
        self.emit(
            Entry::new(Level::Info, "Configuration loaded")
                .field("builds", 0)
                .field("max_builds", 10),
        );
        self.emit(
            Entry::new(
                Level::Info,
                "listen_address not defined, metrics & debug endpoints disabled",
            )
            .field("builds", 0)
            .field("max_builds", 10),
        );
        self.emit(
            Entry::new(
                Level::Info,
                "[session_server].listen_address not defined, session endpoints disabled",
            )
            .field("builds", 0)
            .field("max_builds", 10),
        );
        self.emit(
            Entry::new(Level::Info, "Initializing executor providers")
                .field("builds", 0)
                .field("max_builds", 10),
        );
        self
    }

    /// A job is received and runs to success.
    pub fn job(&mut self, id: &str, project: &str) -> &mut Self {
        self.job += 7;
        let job = self.job;
        let repo = format!("{GITLAB_URL}/{project}.git");
        let e = self
            .runner_scoped(Level::Info, "Checking for jobs... received", id)
            .field("job", job)
            .field("repo_url", repo.clone());
        self.emit(e);
        let e = Entry::new(Level::Info, "Added job to processing list")
            .field("builds", 1)
            .field("job", job)
            .field("max_builds", 10)
            .field("project", 4711)
            .field("repo_url", repo)
            .field("runner", id)
            .field("runner_name", self.pod.clone())
            .field("time_in_queue_seconds", 0);
        self.emit(e);
        self.wait(Duration::from_secs(3));
        for (range, sent) in [("0-2048", "0-2047"), ("2048-4512", "2048-4511")] {
            let e = self
                .runner_scoped(Level::Info, "Appending trace to coordinator...ok", id)
                .field("code", 202)
                .field("job", job)
                .field("job-log", range)
                .field("job-status", "running")
                .field("sent-log", sent)
                .field("status", "202 Accepted")
                .field("update-interval", Duration::from_secs(3));
            self.emit(e);
            self.wait(Duration::from_secs(3));
        }
        let e = self
            .runner_scoped(Level::Info, "Updating job...", id)
            .field("bytesize", 4512)
            .field("checksum", "crc32:5c4a1b2f")
            .field("job", job);
        self.emit(e);
        let e = self
            .runner_scoped(Level::Info, "Submitting job to coordinator...ok", id)
            .field("bytesize", 4512)
            .field("checksum", "crc32:5c4a1b2f")
            .field("code", 200)
            .field("job", job)
            .field("job-status", "")
            .field("update-interval", Duration::ZERO);
        self.emit(e);
        let e = Entry::new(Level::Info, "Job succeeded")
            .field("duration_s", "9.412")
            .field("job", job)
            .field("job-status", "success")
            .field("project", 4711)
            .field("runner", id)
            .field("runner_name", self.pod.clone());
        self.emit(e);
        let e = Entry::new(Level::Info, "Removed job from processing list")
            .field("builds", 0)
            .field("job", job)
            .field("max_builds", 10)
            .field("project", 4711)
            .field("runner", id)
            .field("runner_name", self.pod.clone());
        self.emit(e);
        self
    }

    /// A job request rejected with 403.
    pub fn forbidden(&mut self, id: &str) -> &mut Self {
        let e = self
            .runner_scoped(Level::Error, "Checking for jobs... forbidden", id)
            .field(
                "status",
                format!("POST {GITLAB_URL}/api/v4/jobs/request: 403 Forbidden"),
            );
        self.emit(e);
        self
    }

    /// A job request rejected with a bare `403 Forbidden` status: what an
    /// ingress, WAF or proxy in front of GitLab answers (GitLab's own
    /// rejection names the request: `POST <url>: 403 Forbidden`).
    pub fn forbidden_by_proxy(&mut self, id: &str) -> &mut Self {
        let e = self
            .runner_scoped(Level::Error, "Checking for jobs... forbidden", id)
            .field("status", "403 Forbidden");
        self.emit(e);
        self
    }

    /// The runner rotated its token before it expired (logged with the
    /// *old* token's short id; later lines carry the new one).
    pub fn token_reset(&mut self, id: &str) -> &mut Self {
        let e = self.runner_scoped(
            Level::Info,
            "Resetting runner authentication token... succeeded",
            id,
        );
        self.emit(e);
        self
    }

    /// With FF_DISABLE_AUTOMATIC_TOKEN_ROTATION the runner warns instead of
    /// rotating: `Warningln(fmt.Printf(...))` prints the text bare on stdout
    /// and logs the Printf's return values.
    pub fn rotation_disabled_warning(&mut self, id: &str) -> &mut Self {
        self.plain(&format!(
            "Automatic token rotation is disabled for runner: {id}-s_0123456789ab. Your token is about to expire"
        ));
        let e = Entry::new(Level::Warning, "106 <nil>");
        self.emit(e);
        self
    }

    /// Three rejected job requests and the lockout that follows.
    pub fn forbidden_cycle(&mut self, id: &str) -> &mut Self {
        for n in 0..3 {
            if n > 0 {
                self.wait(Duration::from_secs(3));
            }
            self.forbidden(id);
        }
        self.lockout(id)
    }

    /// The runner disables itself after three rejected requests.
    pub fn lockout(&mut self, id: &str) -> &mut Self {
        let e = Entry::new(
            Level::Error,
            format!(
                "Runner \"{GITLAB_URL}{id}\" is unhealthy and will be disabled for 1h0m0s seconds!"
            ),
        )
        .field("unhealthy_requests", 3)
        .field("unhealthy_requests_limit", 3);
        self.emit(e);
        self
    }

    /// The lockout hour is over; polling resumes.
    pub fn recheck(&mut self, id: &str) -> &mut Self {
        let e = Entry::new(
            Level::Warning,
            format!("Runner \"{GITLAB_URL}{id}\" is not healthy, but check for a new job will be forced!"),
        )
        .field("unhealthy_interval", Duration::from_secs(3600))
        .field("unhealthy_requests", 3)
        .field("unhealthy_requests_limit", 3);
        self.emit(e);
        self
    }

    /// GitLab answers 503 (runner 18.3+ wording, after its retries).
    pub fn unavailable(&mut self, id: &str) -> &mut Self {
        let e = self
            .runner_scoped(
                Level::Warning,
                "Checking for jobs... GitLab instance currently unavailable",
                id,
            )
            .field(
                "status",
                format!("POST {GITLAB_URL}/api/v4/jobs/request: 503 Service Unavailable"),
            );
        self.emit(e);
        self
    }

    /// A job request that never reached GitLab (`cause`: the Go error tail).
    pub fn transport_error(&mut self, id: &str, cause: &str) -> &mut Self {
        let url = format!("{GITLAB_URL}/api/v4/jobs/request");
        let e = self.runner_scoped(Level::Warning, "Checking for jobs... failed", id).field(
            "status",
            format!("execute JSON request: execute request: couldn't execute POST against {url}: Post \"{url}\": {cause}"),
        );
        self.emit(e);
        self
    }

    /// SIGTERM from Kubernetes (pod deleted).
    pub fn terminate(&mut self) -> &mut Self {
        self.emit(
            Entry::new(Level::Warning, "[runWait] received stop signal")
                .field("builds", 0)
                .field("max_builds", 10)
                .field("stop-signal", "terminated"),
        );
        self.emit(
            Entry::new(Level::Warning, "Starting forceful shutdown")
                .field("StopSignal", "terminated")
                .field("builds", 0)
                .field("max_builds", 10)
                .field("shutdown-timeout", Duration::from_secs(30)),
        );
        self.emit(
            Entry::new(Level::Info, "All workers stopped.")
                .field("builds", 0)
                .field("max_builds", 10),
        );
        self.emit(
            Entry::new(Level::Info, "Can exit now!")
                .field("builds", 0)
                .field("max_builds", 10),
        );
        self
    }
}

/// Renders pods as `kubectl logs` prints them: pod after pod, each line
/// optionally tagged (`--prefix`) and stamped (`--timestamps`).
pub fn kubectl_logs(pods: &[&PodScript], prefix: bool, timestamps: bool) -> String {
    let mut out = String::new();
    for p in pods {
        for l in p.lines() {
            if prefix {
                out.push_str(&format!("[pod/{}/{}] ", p.pod, p.container));
            }
            if timestamps {
                out.push_str(&kube_prefix(l.at));
            }
            out.push_str(&l.text);
            out.push('\n');
        }
    }
    out
}

/// The example logs shipped in `examples/logs/` (name, content).
pub fn example_logs() -> Vec<(&'static str, String)> {
    let t0: Timestamp = "2026-03-02T08:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let colours = Style::Runner { colours: true };
    let min = |m: u64| Duration::from_secs(60 * m);

    // The seed incident: runner HYErDk_6w keeps getting 403, locks itself
    // out, is rechecked an hour later and rejected again. The operator
    // follows the runbook (delete the runner in GitLab, delete the pods);
    // the new pod registers a new runner that polls and runs jobs.
    let mut old = PodScript::new("gitlab-runner-7d9c6b5f4-x2x7k", t0, colours);
    old.start();
    old.wait(min(2)).forbidden_cycle("HYErDk_6w");
    old.wait(min(60))
        .recheck("HYErDk_6w")
        .forbidden_cycle("HYErDk_6w");
    old.wait(min(60))
        .recheck("HYErDk_6w")
        .forbidden_cycle("HYErDk_6w");
    old.wait(min(12)).terminate();
    let mut new = PodScript::new("gitlab-runner-7d9c6b5f4-q8r2m", old.now(), colours);
    new.wait(Duration::from_secs(4))
        .register_legacy("Qm7Tx2Kd1");
    new.start();
    new.wait(Duration::from_secs(3))
        .job("Zx8Kq2LmP", "platform/payments-api");
    new.wait(min(2))
        .job("Zx8Kq2LmP", "platform/forbidden-403-regressions");
    let seed = kubectl_logs(&[&old, &new], true, true);

    // A healthy runner with `logFormat: json`; registration lines stay in
    // the runner format. Plain `kubectl logs POD` (no stamps, no prefix).
    let mut ok = PodScript::new("gitlab-runner-5f6b8d9c7-m4n8p", t0, Style::Json);
    ok.register_legacy("Qm7Tx2Kd1").start();
    for project in [
        "platform/payments-api",
        "web/storefront",
        "platform/payments-api",
    ] {
        ok.wait(Duration::from_secs(40)).job("Vb2kLr9aQ", project);
    }
    let healthy = kubectl_logs(&[&ok], false, false);

    // A registration token that GitLab rejects (403) on every attempt.
    let mut rej = PodScript::new("gitlab-runner-6c8d9f7b5-qz4tn", t0, colours);
    rej.register_rejected("Qm7Tx2Kd1", 403, 4);
    let rejected = kubectl_logs(&[&rej], false, true);

    // GitLab 17+ with registration tokens switched off: 410 Gone.
    let mut gone = PodScript::new("gitlab-runner-6c8d9f7b5-w7k2j", t0, colours);
    gone.register_rejected("Qm7Tx2Kd1", 410, 3);
    let disallowed = kubectl_logs(&[&gone], false, true);

    // A GitLab outage with `logFormat: text`: one runner gets 503, the
    // other cannot resolve or reach GitLab.
    let mut a = PodScript::new("gitlab-runner-84d5c7f9b-2xq9z", t0, Style::Text);
    a.start()
        .wait(Duration::from_secs(20))
        .job("Pq4Wn7Ys2", "web/storefront");
    for _ in 0..4 {
        a.wait(Duration::from_secs(30)).unavailable("Pq4Wn7Ys2");
    }
    let mut b = PodScript::new("gitlab-runner-84d5c7f9b-h6v3c", t0, Style::Text);
    b.start()
        .wait(Duration::from_secs(25))
        .job("Tk8Rm3Ve5", "platform/payments-api");
    b.wait(Duration::from_secs(30)).transport_error(
        "Tk8Rm3Ve5",
        "dial tcp: lookup gitlab.example.com on 10.96.0.10:53: no such host",
    );
    b.wait(Duration::from_secs(30)).transport_error(
        "Tk8Rm3Ve5",
        "dial tcp 10.43.12.7:443: connect: connection refused",
    );
    b.wait(Duration::from_secs(30))
        .transport_error("Tk8Rm3Ve5", "dial tcp 10.43.12.7:443: i/o timeout");
    let outage = kubectl_logs(&[&a, &b], true, true);

    // glrt- workflow (GitLab 16+): the chart's Secret holds the token
    // (`runnerToken`), every start verifies it. `kubectl logs --previous`
    // and then the current instance of one pod, as an operator collects them.
    let glrt = |name: &str| PodScript::new(name, t0, colours);

    // The rotation trap: the runner rotates its token before it expires,
    // keeps the new one only in its config.toml, and a restart brings back
    // the Secret's dead token: verification fails, the pod crash-loops.
    let mut rot = glrt("gitlab-runner-59c7d8f6b-k2m9x");
    rot.verify("Wq3Jd8LmA", true).start();
    rot.wait(min(5)).job("Wq3Jd8LmA", "platform/payments-api");
    rot.wait(min(30)).token_reset("Wq3Jd8LmA");
    rot.wait(min(5)).job("Rt6Yh2NcB", "web/storefront");
    rot.wait(min(90));
    for _ in 0..3 {
        rot.wait(Duration::from_secs(40)).verify("Wq3Jd8LmA", false);
    }
    let rotation_lost = kubectl_logs(&[&rot], false, true);

    // Rotation disabled (FF_DISABLE_AUTOMATIC_TOKEN_ROTATION): the runner
    // warns that its token is about to expire, then GitLab rejects it.
    let mut exp = glrt("gitlab-runner-59c7d8f6b-p4t7v");
    exp.verify("Hn5Vc2XsQ", true).start();
    exp.wait(min(5)).job("Hn5Vc2XsQ", "platform/payments-api");
    exp.wait(min(60)).rotation_disabled_warning("Hn5Vc2XsQ");
    exp.wait(min(30)).job("Hn5Vc2XsQ", "web/storefront");
    exp.wait(min(30)).forbidden_cycle("Hn5Vc2XsQ");
    let expired = kubectl_logs(&[&exp], false, true);

    // The runner was deleted in GitLab: 403s while it runs.
    let mut del = glrt("gitlab-runner-59c7d8f6b-z8c3n");
    del.verify("Bm4Kx9TpE", true).start();
    del.wait(min(5)).job("Bm4Kx9TpE", "platform/payments-api");
    del.wait(min(20)).forbidden_cycle("Bm4Kx9TpE");
    let deleted = kubectl_logs(&[&del], false, true);

    vec![
        ("seed-incident.log", seed),
        ("glrt-rotation-lost.log", rotation_lost),
        ("glrt-token-expired.log", expired),
        ("glrt-runner-deleted.log", deleted),
        ("healthy.log", healthy),
        ("registration-rejected.log", rejected),
        ("registration-disallowed.log", disallowed),
        ("gitlab-outage.log", outage),
    ]
}
