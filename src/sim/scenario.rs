//! Scripted runner pods: what a gitlab-runner 18.9 container in the Helm
//! chart prints, step by step, for the situations runner-medic must tell
//! apart (healthy polling, a stale token locking itself out, rejected
//! registration, a GitLab outage, the runbook's recovery).
//!
//! A [`PodScript`] only produces lines with their container-runtime
//! timestamps; the example logs render them as `kubectl logs` output (and,
//! through [`tool_logs`], as stern, logcli, journalctl, rsyslog and
//! `docker logs` print them) and the simulated cluster serves them through
//! the log API.
//!
//! Most steps copy gitlab-runner 18.9; steps named for another version say
//! so, and every step names the runner source file its wording comes from
//! (gitlab.com/gitlab-org/gitlab-runner, at the tag given).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::render::{
    Entry, JournalFormat, SternStamp, Style, SyslogFormat, Tool, docker_prefix, journal_line,
    journald_message, kube_prefix, logcli_line, loki_labels, render, stern_line, syslog_line,
};
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
    /// Namespace (for stern `--all-namespaces` and Loki's labels).
    pub namespace: String,
    /// Process id: the `pid` field of `Runtime platform` lines logged from
    /// now on, and the `gitlab-runner[PID]` of journald and syslog
    /// renderings. 7 in the chart's container.
    pub pid: u32,
    /// Format of `gitlab-runner run` lines (`log_format` in config.toml);
    /// registration lines are always in the runner format.
    pub style: Style,
    now: Timestamp,
    lines: Vec<ScriptLine>,
    counter: u64,
    job: i64,
    version: String,
    revision: String,
}

impl PodScript {
    /// A container that starts at `start`.
    pub fn new(pod: &str, start: Timestamp, style: Style) -> PodScript {
        PodScript {
            pod: pod.to_owned(),
            container: "gitlab-runner".to_owned(),
            namespace: "ci".to_owned(),
            pid: 7,
            style,
            now: start,
            lines: Vec::new(),
            counter: 0,
            job: 48_213_300,
            version: "18.9.0".to_owned(),
            revision: "1e7e9a42".to_owned(),
        }
    }

    /// The runner version (and 8-character commit) that `Runtime platform`
    /// lines report from now on; 18.9.0 unless set.
    pub fn runner_version(&mut self, version: &str, revision: &str) -> &mut Self {
        self.version = version.to_owned();
        self.revision = revision.to_owned();
        self
    }

    /// Sets [`PodScript::pid`].
    pub fn set_pid(&mut self, pid: u32) -> &mut Self {
        self.pid = pid;
        self
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

    /// A correlation id the runner made itself (v18.9.0 `network/gitlab.go`
    /// `NewCorrelationID`, since v18.3.0: a UUID v4 without dashes), logged
    /// as `correlation_id` (18.6+) when no response carried GitLab's
    /// `X-Request-Id`.
    fn local_correlation_id(&mut self) -> String {
        let mut x = self.counter.wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x9FB2_1C65_1E98_DF25;
        let mut s = String::with_capacity(32);
        for i in 0..32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let nibble = match i {
                12 => 4,
                16 => 8 + (x % 4),
                _ => x % 16,
            };
            s.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
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
            .field("pid", i64::from(self.pid))
            .field("revision", self.revision.clone())
            .field("version", self.version.clone());
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
        self.lockout_unique(&format!("{GITLAB_URL}{id}"))
    }

    /// The lockout hour is over; polling resumes.
    pub fn recheck(&mut self, id: &str) -> &mut Self {
        self.recheck_unique(&format!("{GITLAB_URL}{id}"))
    }

    /// [`PodScript::lockout`] for a runner whose config.toml `url` is `url`
    /// exactly as registered: `UniqueID()` glues the URL as written (no
    /// normalisation at registration) to the short token (v18.10.0
    /// `common/config.go`, since v16.8.0), so a chart `gitlabUrl` with a
    /// trailing slash gives `https://gitlab.example.com/<id>` and a URL
    /// without a scheme `gitlab.example.com<id>`.
    pub fn lockout_url(&mut self, url: &str, id: &str) -> &mut Self {
        self.lockout_unique(&format!("{url}{id}"))
    }

    /// [`PodScript::recheck`] for a runner whose `url` is `url` (see
    /// [`PodScript::lockout_url`]).
    pub fn recheck_url(&mut self, url: &str, id: &str) -> &mut Self {
        self.recheck_unique(&format!("{url}{id}"))
    }

    /// The lockout line of a runner before 16.8 (v16.3.0
    /// `commands/health_helper.go` `markHealth`, same wording as 18.9), whose
    /// `UniqueID()` was the URL glued to the FULL token (v16.3.0
    /// `common/config.go`: `return c.URL + c.Token`; shortened by commit
    /// 9eee25f40, "Truncate runner token so it won't get logged", v16.8.0).
    pub fn lockout_full_token(&mut self, url: &str, token: &str) -> &mut Self {
        self.lockout_unique(&format!("{url}{token}"))
    }

    /// The recheck line of a runner before 16.8 (v16.3.0
    /// `commands/health_helper.go` `isHealthy`; see
    /// [`PodScript::lockout_full_token`]).
    pub fn recheck_full_token(&mut self, url: &str, token: &str) -> &mut Self {
        self.recheck_unique(&format!("{url}{token}"))
    }

    /// `markHealth` (`commands/health_helper.go`, 15.7+): `Errorf("Runner %q
    /// is unhealthy and will be disabled for %s seconds!", id, interval)`.
    fn lockout_unique(&mut self, unique_id: &str) -> &mut Self {
        let e = Entry::new(
            Level::Error,
            format!("Runner \"{unique_id}\" is unhealthy and will be disabled for 1h0m0s seconds!"),
        )
        .field("unhealthy_requests", 3)
        .field("unhealthy_requests_limit", 3);
        self.emit(e);
        self
    }

    /// `isHealthy` (`commands/health_helper.go`, 15.7+).
    fn recheck_unique(&mut self, unique_id: &str) -> &mut Self {
        let e = Entry::new(
            Level::Warning,
            format!(
                "Runner \"{unique_id}\" is not healthy, but check for a new job will be forced!"
            ),
        )
        .field("unhealthy_interval", Duration::from_secs(3600))
        .field("unhealthy_requests", 3)
        .field("unhealthy_requests_limit", 3);
        self.emit(e);
        self
    }

    /// The first job request through the Job Router (FF_USE_JOB_ROUTER)
    /// discovers it, and again once the discovery is an hour old (v18.10.0
    /// `router/client.go` `getRouterDiscovery`: `config.Log().Info("Using
    /// job router at " + c.disco.ServerURL)`; fields `runner`,
    /// `runner_name` from `RunnerConfig.Log()`, 18.9+).
    pub fn using_job_router(&mut self, id: &str, server_url: &str) -> &mut Self {
        let e = Entry::new(Level::Info, format!("Using job router at {server_url}"))
            .field("runner", id)
            .field("runner_name", self.pod.clone());
        self.emit(e);
        self
    }

    /// A job request through the Job Router that the router answers with a
    /// gRPC error (`code` as grpc-go names it, e.g. `FailedPrecondition`;
    /// `desc` its message). v18.10.0 `router/client.go` `RequestJob`, and
    /// `handleRouterError` at the newest runner commit:
    /// `config.Log().WithError(err).Error("Error requesting a job")`, so
    /// fields `error` (grpc-go's `rpc error: code = <code> desc = <desc>`),
    /// `runner`, `runner_name`; no `correlation_id`. Codes other than
    /// Unavailable, DeadlineExceeded and Canceled mark the runner unhealthy.
    pub fn router_error(&mut self, id: &str, code: &str, desc: &str) -> &mut Self {
        let e = Entry::new(Level::Error, "Error requesting a job")
            .field("error", format!("rpc error: code = {code} desc = {desc}"))
            .field("runner", id)
            .field("runner_name", self.pod.clone());
        self.emit(e);
        self
    }

    /// A job request that fails inside the runner before any HTTP
    /// (`clientError`: `getClient` cannot build a client for the runner's
    /// `url`), v19.3.0 and v18.9.0 `network/gitlab.go` `RequestJob`:
    /// `logger.WithField("status", statusText).Errorln("Checking for
    /// jobs...", "client error")` (the wording since v16.5.0; "error" before).
    /// No response, so `correlation_id` is the runner's own id. `status` is
    /// the Go error, e.g. `get client: new client: only http or https scheme
    /// supported` (`network/client.go` `newClient`).
    pub fn client_error(&mut self, id: &str, status: &str) -> &mut Self {
        let cid = self.local_correlation_id();
        let e = Entry::new(Level::Error, "Checking for jobs... client error")
            .field("correlation_id", cid)
            .field("runner", id)
            .field("runner_name", self.pod.clone())
            .field("status", status);
        self.emit(e);
        self
    }

    /// The runner noticed a changed config.toml and reloaded it (it checks
    /// every 3 s; v18.9.0 `commands/multi.go` `reloadConfig`). The reload
    /// also forgets every runner's health.
    pub fn config_reloaded(&mut self) -> &mut Self {
        self.emit(
            Entry::new(Level::Info, "Configuration loaded")
                .field("builds", 0)
                .field("max_builds", 10),
        );
        self
    }

    /// `gitlab-runner register` with a legacy registration token as
    /// v16.3.0 logs it (`commands/register.go` `doLegacyRegisterRunner`,
    /// `network/gitlab.go` `RegisterRunner`): the deprecation warning points
    /// at gitlab issue 380872, and `Registering runner... succeeded` carries
    /// only `runner` (`RunnerCredentials.Log()`; no `correlation_id` before
    /// 18.6, no `runner_name` before 18.9). `registration_short` is the
    /// registration token's first 8 characters (`helpers/shorten_token.go`).
    pub fn register_legacy_16_3(&mut self, registration_short: &str) -> &mut Self {
        self.plain("Registration attempt 1 of 30");
        self.runtime_platform();
        let reg = Style::Runner { colours: true };
        self.emit_as(
            Entry::new(Level::Warning, "Support for registration tokens and runner parameters in the 'register' command has been deprecated in GitLab Runner 15.6 and will be replaced with support for authentication tokens. For more information, see https://gitlab.com/gitlab-org/gitlab/-/issues/380872"),
            reg,
        );
        self.emit_as(
            Entry::new(Level::Info, "Registering runner... succeeded")
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

    /// A job request rejected with 403 as v16.3.0 logs it
    /// (`network/gitlab.go` `RequestJob`: `config.Log().Errorln("Checking
    /// for jobs...", "forbidden")`): only the `runner` field; `status` came
    /// in v16.5.0, `correlation_id` in 18.6, `runner_name` in 18.9. At v16.3
    /// `id` is the token's first 8 characters for a token without the
    /// `glrt-` or `GR1348941` prefixes (`helpers/shorten_token.go`).
    pub fn forbidden_16_3(&mut self, id: &str) -> &mut Self {
        let e = Entry::new(Level::Error, "Checking for jobs... forbidden").field("runner", id);
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

/// Every line of `pods` in the order a tool that follows them all at once
/// prints them: by the time the runtime recorded them, ties kept in pod
/// order, then line order.
fn by_time<'a>(pods: &[&'a PodScript]) -> Vec<(&'a PodScript, &'a ScriptLine)> {
    let mut all: Vec<(&PodScript, &ScriptLine)> = pods
        .iter()
        .flat_map(|p| p.lines().iter().map(move |l| (*p, l)))
        .collect();
    // A stable sort keeps pod order, then line order, for equal stamps.
    all.sort_by_key(|(_, l)| l.at);
    all
}

/// Renders pods as `tool` prints them (see [`Tool`] for each tool's source
/// and options). `kubectl logs` and `docker logs` print one pod (container)
/// after another; stern, logcli, journalctl and rsyslog interleave all of
/// them by time (logcli newest first unless `forward`).
pub fn tool_logs(pods: &[&PodScript], tool: Tool) -> String {
    let mut out = String::new();
    match tool {
        Tool::Kubectl { prefix, timestamps } => return kubectl_logs(pods, prefix, timestamps),
        Tool::DockerLogs { timestamps } => {
            for p in pods {
                for l in p.lines() {
                    if timestamps {
                        out.push_str(&docker_prefix(l.at));
                    }
                    out.push_str(&l.text);
                    out.push('\n');
                }
            }
        }
        Tool::Stern {
            colours,
            timestamps,
            all_namespaces,
        } => {
            for (p, l) in by_time(pods) {
                out.push_str(&stern_line(
                    all_namespaces.then_some(p.namespace.as_str()),
                    &p.pod,
                    &p.container,
                    timestamps.map(|f| (l.at, f)),
                    colours,
                    &l.text,
                ));
            }
        }
        Tool::Logcli {
            include_common_labels,
            forward,
            colours,
        } => {
            // Loki returns one stream per label set: one per pod here.
            let streams: Vec<&PodScript> = pods
                .iter()
                .copied()
                .filter(|p| !p.lines().is_empty())
                .collect();
            let labels_of = |p: &PodScript| {
                vec![
                    ("container".to_owned(), p.container.clone()),
                    ("namespace".to_owned(), p.namespace.clone()),
                    ("pod".to_owned(), p.pod.clone()),
                ]
            };
            let common: Vec<(String, String)> = match streams.split_first() {
                Some((first, rest)) => labels_of(first)
                    .into_iter()
                    .filter(|kv| rest.iter().all(|p| labels_of(p).contains(kv)))
                    .collect(),
                None => Vec::new(),
            };
            let label_set = |p: &PodScript| {
                let own: Vec<(String, String)> = labels_of(p)
                    .into_iter()
                    .filter(|kv| include_common_labels || !common.contains(kv))
                    .collect();
                let pairs: Vec<(&str, &str)> =
                    own.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                loki_labels(&pairs)
            };
            let max = streams
                .iter()
                .map(|p| label_set(p).len())
                .max()
                .unwrap_or(0);
            let mut lines = by_time(&streams);
            if !forward {
                lines.reverse();
            }
            for (p, l) in lines {
                out.push_str(&logcli_line(l.at, &label_set(p), max, colours, &l.text));
            }
        }
        Tool::Journalctl {
            host,
            format,
            all,
            systemd,
        } => {
            for (p, l) in by_time(pods) {
                if let Some(m) = journald_message(&l.text) {
                    out.push_str(&journal_line(l.at, format, systemd, host, p.pid, all, m));
                }
            }
        }
        Tool::Syslog { host, format } => {
            for (p, l) in by_time(pods) {
                if let Some(m) = journald_message(&l.text) {
                    out.push_str(&syslog_line(l.at, format, host, p.pid, m));
                }
            }
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

    // The same incident as other tools print it. stern with `--color
    // always --timestamps`, following both pods.
    let seed_stern = tool_logs(
        &[&old, &new],
        Tool::Stern {
            colours: true,
            timestamps: Some(SternStamp::Default),
            all_namespaces: false,
        },
    );
    // `logcli query --forward --include-common-labels --timezone=UTC
    // --limit=1000 '{namespace="ci", container="gitlab-runner"}'`, stdout
    // to a file (no colours).
    let seed_logcli = tool_logs(
        &[&old, &new],
        Tool::Logcli {
            include_common_labels: true,
            forward: true,
            colours: false,
        },
    );
    // The same two runner processes, one after the other, as a systemd
    // service on one VM: `journalctl -u gitlab-runner -o short-iso`
    // (systemd 252) and the `/var/log/syslog` rsyslog writes (Ubuntu's
    // traditional template). Only the process ids are new: the lines are
    // the pods' lines.
    let (mut vm_old, mut vm_new) = (old.clone(), new.clone());
    vm_old.set_pid(1234);
    vm_new.set_pid(4821);
    let seed_journald = tool_logs(
        &[&vm_old, &vm_new],
        Tool::Journalctl {
            host: "ci-runner-01",
            format: JournalFormat::ShortIso,
            all: false,
            systemd: 252,
        },
    );
    let seed_syslog = tool_logs(
        &[&vm_old, &vm_new],
        Tool::Syslog {
            host: "ci-runner-01",
            format: SyslogFormat::Traditional,
        },
    );

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

    // Runner 18.10 fetching jobs through the Job Router (FF_USE_JOB_ROUTER)
    // with a chart `gitlabUrl` that ends in a slash: the router answers
    // every GetJob with FailedPrecondition (KAS relaying a 409 from Rails),
    // the runner locks itself out, rechecks an hour later (discovering the
    // router again: the discovery is cached for an hour) and fails again.
    let router_url = "https://gitlab.example.com/";
    let mut rt = glrt("gitlab-runner-6f9d7c8b4-r4t8w");
    rt.runner_version("18.10.0", "ac71f4d8");
    rt.verify("Jr7Kp2WxD", true).start();
    for hour in 0..2 {
        if hour == 0 {
            rt.wait(min(2));
        } else {
            rt.wait(min(60)).recheck_url(router_url, "Jr7Kp2WxD");
        }
        rt.using_job_router("Jr7Kp2WxD", "wss://kas.gitlab.example.com");
        for n in 0..3 {
            if n > 0 {
                rt.wait(Duration::from_secs(3));
            }
            rt.router_error("Jr7Kp2WxD", "FailedPrecondition", "HTTP status code: 409");
        }
        rt.lockout_url(router_url, "Jr7Kp2WxD");
    }
    let router_409 = kubectl_logs(&[&rt], true, true);

    // A runner that worked until someone edited its config.toml and left
    // `url = "gitlab.example.com"` without a scheme: the runner reloads the
    // file, cannot build an HTTP client for that URL, and every job request
    // fails inside the runner (`client error`) until it locks itself out.
    let mut ce = glrt("gitlab-runner-59c7d8f6b-c5w2h");
    ce.verify("Cq5Ln8ZtR", true).start();
    ce.wait(min(5)).job("Cq5Ln8ZtR", "platform/payments-api");
    ce.wait(min(20)).config_reloaded();
    for _ in 0..3 {
        ce.wait(Duration::from_secs(3));
        ce.client_error(
            "Cq5Ln8ZtR",
            "get client: new client: only http or https scheme supported",
        );
    }
    ce.lockout_url("gitlab.example.com", "Cq5Ln8ZtR");
    let client_error = kubectl_logs(&[&ce], false, true);

    // Runner 16.3 (chart of that time, legacy registration): the token goes
    // stale (the runner was deleted in GitLab) and every request gets 403.
    // Before 16.8 the lockout line names the runner by URL and FULL token.
    let legacy_token = "FAKEtok1234567890abcdefgh";
    let legacy_short = &legacy_token[..8];
    let mut v163 = PodScript::new("gitlab-runner-7b5c9d4f8-l9p3s", t0, colours);
    v163.runner_version("16.3.0", "8ec04662");
    v163.register_legacy_16_3("FAKEreg1").start();
    v163.wait(min(40));
    for round in 0..2 {
        if round > 0 {
            v163.wait(min(60))
                .recheck_full_token(GITLAB_URL, legacy_token);
        }
        for n in 0..3 {
            if n > 0 {
                v163.wait(Duration::from_secs(3));
            }
            v163.forbidden_16_3(legacy_short);
        }
        v163.lockout_full_token(GITLAB_URL, legacy_token);
    }
    let pre_16_8 = kubectl_logs(&[&v163], false, true);

    vec![
        ("seed-incident.log", seed),
        ("glrt-rotation-lost.log", rotation_lost),
        ("glrt-token-expired.log", expired),
        ("glrt-runner-deleted.log", deleted),
        ("healthy.log", healthy),
        ("registration-rejected.log", rejected),
        ("registration-disallowed.log", disallowed),
        ("gitlab-outage.log", outage),
        ("seed-incident.stern.log", seed_stern),
        ("seed-incident.logcli.log", seed_logcli),
        ("seed-incident.journald.log", seed_journald),
        ("seed-incident.syslog.log", seed_syslog),
        ("job-router-409.log", router_409),
        ("client-error-lockout.log", client_error),
        ("pre-16.8-runner.log", pre_16_8),
    ]
}
