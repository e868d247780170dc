//! The words: what is wrong with a runner, the evidence, what fixes it and
//! what will not. Written for the person on call, from the seed runbook.

use jiff::Timestamp;
use serde::Serialize;

use super::{LockoutCause, RunnerHealth, Stamp, State, Tracker};
use crate::event::{Cause, Class, Workflow};

/// What is wrong, as a stable code (the `diagnosis` label of
/// `runner_medic_runner_diagnosis`, alert labels, JSON reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// Polling normally.
    Healthy,
    /// Nothing proves anything yet.
    Unknown,
    /// Was bad; a newer runner replaced it (the fix happened).
    Replaced,
    /// Legacy (or unproven) workflow: GitLab rejects the saved
    /// authentication token (the seed incident).
    StaleToken,
    /// `glrt-` workflow: job requests rejected (runner deleted in GitLab, or
    /// its token expired or was reset).
    GlrtTokenRejected,
    /// `glrt-` workflow with evidence of expiry: the runner warned that its
    /// token was about to expire (rotation disabled), or its rotation failed.
    TokenExpired,
    /// `glrt-` workflow: the runner rotated its token, the new one was lost
    /// on restart, and the Secret's old token no longer verifies.
    RotationLost,
    /// `glrt-` workflow: verification at start fails (runner deleted, or
    /// token expired); the pod crash-loops.
    GlrtTokenInvalid,
    /// Legacy saved token whose runner was deleted (`is removed`).
    SavedTokenRemoved,
    /// Many runners rejected at once: GitLab-side.
    FleetRejection,
    /// The registration token is rejected.
    RegistrationTokenRejected,
    /// Registration tokens are disabled in GitLab (410).
    RegistrationDisabled,
    /// The runner has no token.
    TokenMissing,
    /// GitLab answers 5xx or 429.
    GitlabUnavailable,
    /// DNS, connect, TLS or timeout errors between the pod and GitLab.
    Network,
    /// 403s that something in front of GitLab answered (ingress auth, WAF,
    /// proxy): not the runner's token.
    ProxyRejection,
    /// Job requests through GitLab's Job Router fail with gRPC errors
    /// (`FailedPrecondition`/409 and the like): router or GitLab side.
    JobRouterError,
    /// `Checking for jobs... client error`: the runner cannot build its
    /// requests (URL, TLS files, configuration).
    ClientError,
    /// The configured executor is unknown to this runner binary.
    ExecutorUnknown,
    /// The runner locked itself out, and the lines read show no unhealthy
    /// request before it: the cause is outside the input.
    LockoutUnexplained,
    /// The token cannot be sent as a header (a trailing newline in the
    /// Secret).
    TokenMalformed,
}

impl Finding {
    /// Every finding.
    pub const ALL: [Finding; 21] = [
        Finding::Healthy,
        Finding::Unknown,
        Finding::Replaced,
        Finding::StaleToken,
        Finding::GlrtTokenRejected,
        Finding::TokenExpired,
        Finding::RotationLost,
        Finding::GlrtTokenInvalid,
        Finding::SavedTokenRemoved,
        Finding::FleetRejection,
        Finding::RegistrationTokenRejected,
        Finding::RegistrationDisabled,
        Finding::TokenMissing,
        Finding::GitlabUnavailable,
        Finding::Network,
        Finding::ProxyRejection,
        Finding::JobRouterError,
        Finding::ClientError,
        Finding::ExecutorUnknown,
        Finding::LockoutUnexplained,
        Finding::TokenMalformed,
    ];

    /// The runner's own token is the problem: the findings that advise a
    /// token fix and that remediation may act on.
    pub fn is_token_problem(self) -> bool {
        matches!(
            self,
            Finding::StaleToken
                | Finding::GlrtTokenRejected
                | Finding::TokenExpired
                | Finding::RotationLost
                | Finding::GlrtTokenInvalid
                | Finding::SavedTokenRemoved
        )
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Healthy => "healthy",
            Finding::Unknown => "unknown",
            Finding::Replaced => "replaced",
            Finding::StaleToken => "stale_token",
            Finding::GlrtTokenRejected => "glrt_token_rejected",
            Finding::TokenExpired => "token_expired",
            Finding::RotationLost => "rotation_lost",
            Finding::GlrtTokenInvalid => "glrt_token_invalid",
            Finding::SavedTokenRemoved => "saved_token_removed",
            Finding::FleetRejection => "fleet_rejection",
            Finding::RegistrationTokenRejected => "registration_token_rejected",
            Finding::RegistrationDisabled => "registration_disabled",
            Finding::TokenMissing => "token_missing",
            Finding::GitlabUnavailable => "gitlab_unavailable",
            Finding::Network => "network",
            Finding::ProxyRejection => "proxy_rejection",
            Finding::JobRouterError => "job_router_error",
            Finding::ClientError => "client_error",
            Finding::ExecutorUnknown => "executor_unknown",
            Finding::LockoutUnexplained => "lockout_unexplained",
            Finding::TokenMalformed => "token_malformed",
        }
    }

    /// One line for people (README table, alert descriptions).
    pub fn description(self) -> &'static str {
        match self {
            Finding::Healthy => "polling GitLab normally",
            Finding::Unknown => "no line proves yet whether GitLab accepts the runner's token",
            Finding::Replaced => {
                "was unhealthy; a new runner in a new pod of the workload polls successfully"
            }
            Finding::StaleToken => {
                "GitLab rejects the runner's saved authentication token (legacy workflow): delete the runner in GitLab, restart the pods"
            }
            Finding::GlrtTokenRejected => {
                "GitLab rejects the runner's glrt- token (deleted in GitLab, or expired or reset): reset the token or create a new runner, update the Secret; never delete it"
            }
            Finding::TokenExpired => {
                "the runner's glrt- token expired (rotation disabled or failed): reset the token, update the Secret, restart"
            }
            Finding::RotationLost => {
                "the runner rotated its token and lost it on restart; the Secret's token is dead: reset the token, update the Secret, restart"
            }
            Finding::GlrtTokenInvalid => {
                "the glrt- token in the Secret does not verify; the pod crash-loops: reset the token or create a new runner, update the Secret"
            }
            Finding::SavedTokenRemoved => {
                "the saved legacy token belongs to a runner deleted in GitLab: clear the Secret's runner-token, restart"
            }
            Finding::FleetRejection => {
                "many runners rejected at once: a GitLab-side problem; leave the runners alone"
            }
            Finding::RegistrationTokenRejected => "the registration token is not accepted",
            Finding::RegistrationDisabled => {
                "registration tokens are disabled in GitLab (410): move to a glrt- runner token"
            }
            Finding::TokenMissing => "the runner has an empty token",
            Finding::GitlabUnavailable => {
                "GitLab answers 5xx or 429: wait for GitLab, leave the runner alone"
            }
            Finding::Network => "DNS, connection, TLS or timeout errors between the pod and GitLab",
            Finding::ProxyRejection => {
                "the 403s come from something in front of GitLab (ingress auth, WAF, proxy), not from GitLab: fix that rule; leave the runner alone"
            }
            Finding::JobRouterError => {
                "job requests through GitLab's Job Router fail (e.g. FailedPrecondition, HTTP 409) and the runner disabled itself: a router or GitLab problem, not the token; leave the runner in GitLab alone"
            }
            Finding::ClientError => {
                "the runner cannot build its requests to GitLab (client error: its URL, TLS files or configuration) and disabled itself: fix the configuration; the token is not the problem"
            }
            Finding::ExecutorUnknown => {
                "the runner's executor is not known to this runner binary; every poll counts as unhealthy: fix the executor in config.toml or the image"
            }
            Finding::LockoutUnexplained => {
                "the runner disabled itself, but the lines read show no failed request before it: read further back (a longer --since) before acting; do not delete the runner"
            }
            Finding::TokenMalformed => {
                "the token cannot be sent (invalid header field): the Secret's token ends with a newline; write it again with `echo -n`"
            }
        }
    }
}

/// A diagnosis a person can act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// What is wrong, as a stable code.
    pub finding: Finding,
    /// Short runner id.
    pub runner: String,
    /// `namespace/workload`.
    pub workload: String,
    /// The pod that logged the runner last.
    pub pod: String,
    /// Current state.
    pub state: State,
    /// The runner was replaced by a newer runner in its workload (the fix
    /// has already happened); its bad state is history.
    pub superseded_by: Option<String>,
    /// Part of a fleet-wide rejection (a GitLab-side incident).
    pub fleet_incident: bool,
    /// One sentence: what is wrong.
    pub summary: String,
    /// Counts and times behind it.
    pub evidence: Vec<String>,
    /// What it means.
    pub meaning: String,
    /// What fixes it, in order.
    pub fix: Vec<String>,
    /// What people try that will not help.
    pub will_not_help: Vec<String>,
}

impl Diagnosis {
    /// Unhealthy and not already replaced.
    pub fn needs_action(&self) -> bool {
        self.state.is_bad() && self.superseded_by.is_none()
    }
}

/// `2026-03-02 08:14:03 UTC`, or `line N` when the input had no times.
pub fn when(s: &Stamp) -> String {
    match s.at {
        Some(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => format!("input line {}", s.seq),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How to stop a glrt- token from dying again.
const ROTATION_ADVICE: &str = "To keep it from happening again: the runner rotates its token before it expires but writes the new one only to its config.toml, which the chart rebuilds from the Secret at every start. Either set FF_DISABLE_AUTOMATIC_TOKEN_ROTATION=true in the runner's environment and rotate through GitLab, updating the Secret yourself, or create runners whose tokens do not expire.";

/// What runner-medic can do for a glrt- runner.
const RUNNER_MEDIC_GLRT: &str = "runner-medic can do this: `--strategy rotate` resets the token of a runner that still exists, `--strategy recreate` creates a new runner with the old one's settings; both write the Secret, restart the pods and verify (they need an access token with the `api` scope and `get`/`update` on the Secret).";

fn expiry_evidence(r: &RunnerHealth, d: &mut Diagnosis) {
    if let Some(w) = r.token_expiring_at {
        d.evidence.push(format!(
            "at {} the runner warned that its token was about to expire and that automatic rotation is disabled (FF_DISABLE_AUTOMATIC_TOKEN_ROTATION)",
            when(&w)
        ));
    }
    if let Some(f) = r.token_reset_failed_at {
        d.evidence.push(format!(
            "at {} the runner failed to rotate its token; it expired afterwards",
            when(&f)
        ));
    }
}

/// `90s`, `5m`, `1h30m`: short durations for people.
pub fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    match (h, m, sec) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

pub(super) fn diagnose(t: &Tracker, r: &RunnerHealth, now: Option<Timestamp>) -> Diagnosis {
    let workload = r.key.workload_path();
    let facts = t.workload(&r.key.namespace, &r.key.workload);
    let workflow = match r.workflow {
        Workflow::Unknown => facts.map_or(Workflow::Unknown, |f| f.workflow),
        w => w,
    };
    let mut d = Diagnosis {
        runner: r.key.runner.to_string(),
        workload: workload.clone(),
        pod: r.current_pod().to_owned(),
        state: r.state,
        finding: Finding::Unknown,
        superseded_by: None,
        fleet_incident: false,
        summary: String::new(),
        evidence: Vec::new(),
        meaning: String::new(),
        fix: Vec::new(),
        will_not_help: Vec::new(),
    };
    let ns = if r.key.namespace.is_empty() {
        "NAMESPACE".to_owned()
    } else {
        r.key.namespace.to_string()
    };
    let selector = format!("app={}", r.key.workload);
    let restart = format!("kubectl delete pods -n {ns} -l {selector}");
    let check = format!("kubectl logs -n {ns} -l {selector} --tail=50");

    match r.state {
        State::Healthy => {
            d.finding = Finding::Healthy;
            d.summary = "polling GitLab normally".into();
            if let Some(s) = r.last_success {
                d.evidence
                    .push(format!("last successful request at {}", when(&s)));
            }
            d.meaning = "GitLab accepts this runner's token.".into();
        }
        State::Unknown => {
            d.summary = "no line proves yet whether GitLab accepts this runner's token".into();
            d.meaning = "Job requests are logged at debug level only when no job is waiting; \
                         a quiet healthy runner looks like this."
                .into();
        }
        State::LockedOut => match r.lockout_cause {
            Some(LockoutCause::Token) => {
                token_rejected(t, r, &mut d, workflow, &restart, &check, now)
            }
            cause => lockout(
                r,
                &mut d,
                cause.unwrap_or(LockoutCause::Unexplained),
                &restart,
            ),
        },
        State::Forbidden => token_rejected(t, r, &mut d, workflow, &restart, &check, now),
        State::RegistrationFailing => registration(t, r, &mut d, workflow, &restart),
        State::GitlabUnavailable => unavailable(r, &mut d, &restart),
    }
    if r.state.is_bad()
        && let Some(new) = t.superseded_by(&r.key)
    {
        d.superseded_by = Some(new.key.runner.to_string());
        d.finding = Finding::Replaced;
        d.summary = format!(
            "resolved: replaced by runner {} (pod {}), which polls GitLab successfully since {}; was: {}",
            new.key.runner,
            new.current_pod(),
            new.first_success.as_ref().map_or_else(String::new, when),
            d.summary
        );
        d.fix = vec![format!(
            "Nothing left to do for {}: it ran in pod(s) that no longer log. Confirm that the old runner is gone in GitLab (Settings > CI/CD > Runners).",
            r.key.runner
        )];
    }
    if let Some(f) = facts
        && r.state.is_bad()
        && d.superseded_by.is_none()
    {
        if let Some((attempt, of)) = f.attempt
            && attempt > 1
        {
            d.evidence.push(format!(
                "the pod's register script is on attempt {attempt} of {of}; after the last one the container exits and restarts (CrashLoopBackOff)"
            ));
        }
        if f.register_aborted > 0 {
            d.evidence.push(format!(
                "`gitlab-runner register` gave up {} (PANIC: Failed to register/verify the runner)",
                plural(f.register_aborted, "time", "times")
            ));
        }
    }
    d
}

#[allow(clippy::too_many_arguments)]
fn token_rejected(
    t: &Tracker,
    r: &RunnerHealth,
    d: &mut Diagnosis,
    workflow: Workflow,
    restart: &str,
    check: &str,
    now: Option<Timestamp>,
) {
    let first = r.first_forbidden.map(|s| when(&s));
    let mut summary = format!(
        "the authentication token is rejected ({} x 403{})",
        r.consecutive_forbidden,
        first
            .as_ref()
            .map(|f| format!(" since {f}"))
            .unwrap_or_default()
    );
    if r.state == State::LockedOut
        && let Some(l) = r.locked_out_at
    {
        summary.push_str(&format!(", locked out since {}", when(&l)));
        if let Some(dur) = r.lockout_for {
            summary.push_str(&format!(" for {}", human_duration(dur)));
        }
    }
    d.evidence.push(format!(
        "{} rejected with 403 since the last success{}",
        plural(r.consecutive_forbidden, "job request", "job requests"),
        r.last_forbidden
            .map(|s| format!(" (last at {})", when(&s)))
            .unwrap_or_default()
    ));
    if r.lockouts > 0 {
        d.evidence.push(format!(
            "the runner disabled itself {} after repeated 403s (it then stays quiet for {}, so silence is not recovery)",
            plural(r.lockouts, "time", "times"),
            r.lockout_for.map_or_else(|| "unhealthy_interval, 1h by default".into(), human_duration)
        ));
    }
    match (r.last_success, now, r.first_forbidden) {
        (Some(s), _, _) => d
            .evidence
            .push(format!("last successful request at {}", when(&s))),
        (None, Some(n), Some(f)) if f.at.is_some() => d.evidence.push(format!(
            "no successful request in the {} this runner has been rejected",
            f.at.and_then(|a| n.duration_since(a).try_into().ok())
                .map_or_else(String::new, human_duration)
        )),
        _ => d.evidence.push("no successful request seen".into()),
    }
    if let Some(inc) = t.fleet_incident(&r.key) {
        d.fleet_incident = true;
        d.finding = Finding::FleetRejection;
        d.summary = format!(
            "403s on {} runners at once ({} to {}): a GitLab-side problem, not a stale token",
            inc.size(),
            inc.first.strftime("%H:%M:%S UTC"),
            inc.last.strftime("%H:%M:%S UTC"),
        );
        d.evidence.push(format!(
            "{} of {} active runners began receiving 403 within minutes of each other",
            inc.size(),
            inc.active_runners
        ));
        d.meaning = "Tokens go stale one runner at a time. When many working runners are rejected together, \
                     GitLab itself is refusing them: maintenance, an authentication outage, a database \
                     failover, or a proxy/WAF rule in front of GitLab."
            .into();
        d.fix = vec![
            "Check GitLab's health and recent changes (status page, `/-/readiness`, admin area, ingress and WAF logs).".into(),
            "Leave the runners alone: they recover by themselves once GitLab accepts their tokens again (locked-out runners retry after unhealthy_interval).".into(),
        ];
        d.will_not_help = vec![
            "Deleting or re-registering runners: their tokens are probably fine, and deleting a glrt- runner destroys its token for good.".into(),
            "Updating the registration token.".into(),
        ];
        return;
    }
    d.summary = summary;
    if r.proxy_forbidden {
        d.evidence.push(
            "the 403s carry a bare status line (`403 Forbidden`), not GitLab's `POST <url>: 403 Forbidden`: \
             something in front of GitLab (ingress auth, WAF, proxy) answered"
                .into(),
        );
        d.finding = Finding::ProxyRejection;
        d.summary = format!(
            "job requests are rejected with 403 by something in front of GitLab, not by GitLab ({} x 403)",
            r.consecutive_forbidden
        );
        d.meaning = "GitLab answers a rejected token with `POST <url>/api/v4/jobs/request: 403 Forbidden`; \
                     these 403s carry only a status line, which is what an ingress, WAF or proxy sends. \
                     The runner's token may well be fine."
            .into();
        d.fix = vec![
            "Check what sits between the runner and GitLab: ingress authentication, WAF rules, an egress proxy (its logs show the 403).".into(),
            "Compare with another runner that reaches GitLab through the same path.".into(),
        ];
        d.will_not_help = vec![
            "Deleting or re-registering the runner: GitLab did not reject its token, and deleting a glrt- runner destroys its token for good.".into(),
            "Restarting the runner pods.".into(),
        ];
        return;
    }
    d.meaning = "GitLab no longer accepts the authentication token this runner saved when it registered: \
                 the runner was deleted in GitLab, or its token was reset or expired. A registered runner \
                 never uses the registration token again, and the process stays up, so the pod looks alive."
        .into();
    d.will_not_help = vec![
        "Updating the registration token (ConfigMap or Secret): a registered runner keeps using its saved authentication token.".into(),
        "Waiting: the runner retries about three times per lockout interval and never recovers by itself.".into(),
    ];
    let id = &r.key.runner;
    d.finding = match workflow {
        Workflow::AuthToken
            if r.token_expiring_at.is_some() || r.token_reset_failed_at.is_some() =>
        {
            Finding::TokenExpired
        }
        Workflow::AuthToken => Finding::GlrtTokenRejected,
        Workflow::Legacy | Workflow::Unknown => Finding::StaleToken,
    };
    match workflow {
        Workflow::AuthToken => {
            d.fix = vec![
                format!(
                    "Do NOT delete runner {id} in GitLab: with the glrt- workflow the token is the runner, and deleting it kills the token for good."
                ),
                format!(
                    "If runner {id} still exists in GitLab, reset its token (`POST /api/v4/runners/:id/reset_authentication_token`); if it is gone, create a new runner (UI, or `POST /api/v4/user/runners`)."
                ),
                "Put the new glrt- token into the chart's Secret, key `runner-token`.".into(),
                format!(
                    "Restart the pods: `{restart}`, then check `{check}` for `Verifying runner... is valid` and `Checking for jobs...` without 403."
                ),
            ];
            if d.finding == Finding::TokenExpired {
                expiry_evidence(r, d);
                d.summary = format!("the glrt- token expired: {}", d.summary);
                d.fix.push(ROTATION_ADVICE.into());
            }
            d.fix.push(RUNNER_MEDIC_GLRT.into());
            d.will_not_help
                .push("Restarting the pods alone: they start again with the same dead token from the Secret.".into());
        }
        Workflow::Legacy | Workflow::Unknown => {
            d.fix = vec![
                format!(
                    "Delete runner {id} in GitLab: Settings > CI/CD > Runners (or `DELETE /api/v4/runners/:id`)."
                ),
                format!(
                    "Delete the pods so they register again with the registration token: `{restart}`."
                ),
                format!(
                    "Check `{check}`: `Registering runner... succeeded`, then `Checking for jobs...` with a runner id other than {id} and no 403."
                ),
            ];
            if workflow == Workflow::Legacy {
                d.fix.push(
                    "runner-medic can do this: `--remediation on --strategy reregister` (it checks that the logs prove the legacy workflow, that GitLab is healthy and that the runner is identified uniquely first)."
                        .into(),
                );
            }
            if workflow == Workflow::Unknown {
                d.fix.push(
                    "Caution: no line showed how this runner registered. If its pods hold a glrt- token (Secret key `runner-token`), do not delete the runner; reset its token instead and update the Secret."
                        .into(),
                );
            }
            d.will_not_help.push(
                "Restarting the pods without deleting the runner, when the token is saved outside the pod (config.toml on a volume, or the Secret's `runner-token`): the new pod reuses it."
                    .into(),
            );
        }
    }
}

fn registration(
    t: &Tracker,
    r: &RunnerHealth,
    d: &mut Diagnosis,
    workflow: Workflow,
    restart: &str,
) {
    let facts = t.workload(&r.key.namespace, &r.key.workload);
    let disallowed = facts.is_some_and(|f| f.registration_disallowed) && r.last_status == Some(410);
    let verify_rejected = r.count(Class::VerifyRemoved) > 0 && !r.registration_token;
    if r.count(Class::TokenMissing) > 0 && r.last_status.is_none() {
        d.finding = Finding::TokenMissing;
        d.summary = "the runner token is empty; this runner is skipped during job polling".into();
        d.meaning =
            "config.toml has an empty `token` for this runner, so it never asks for jobs.".into();
        d.fix = vec![
            "Set the runner's token (chart: Secret key `runner-token`) and restart the pods."
                .into(),
        ];
        return;
    }
    if disallowed {
        d.finding = Finding::RegistrationDisabled;
        d.summary = "registration tokens are disabled in this GitLab (410 Gone)".into();
        d.evidence.push(format!(
            "{} answered 410",
            plural(
                r.count(Class::RegisterFailed),
                "registration attempt",
                "registration attempts"
            )
        ));
        d.meaning =
            "GitLab 17.0 and later disable registration tokens by default. A chart that still \
                     registers with `runnerRegistrationToken` loops on 410 and crash-loops."
                .into();
        d.fix = vec![
            "Create the runner in GitLab (UI, or `POST /api/v4/user/runners`) and copy its glrt- token.".into(),
            "Give it to the chart as `runnerToken` (Secret key `runner-token`) instead of a registration token.".into(),
            format!("Restart the pods: `{restart}`."),
        ];
        d.will_not_help = vec![
            "Another registration token: registration with tokens is switched off, not the token."
                .into(),
        ];
        return;
    }
    if verify_rejected {
        let glrt = workflow == Workflow::AuthToken || r.workflow == Workflow::AuthToken;
        d.finding = match (glrt, r.token_reset_at.is_some()) {
            (true, true) => Finding::RotationLost,
            (true, false) if r.token_expiring_at.is_some() || r.token_reset_failed_at.is_some() => {
                Finding::TokenExpired
            }
            (true, false) => Finding::GlrtTokenInvalid,
            (false, _) => Finding::SavedTokenRemoved,
        };
        d.summary = if glrt {
            "the runner's glrt- authentication token is not valid (verification rejected with 403)"
                .into()
        } else {
            "the saved authentication token belongs to a runner that no longer exists (verification: is removed)".into()
        };
        d.evidence.push(format!(
            "{} rejected",
            plural(
                r.count(Class::VerifyRemoved),
                "verification",
                "verifications"
            )
        ));
        if let Some(reset) = r.token_reset_at {
            d.evidence.push(format!(
                "the runner rotated its token at {}: the new token lived only in the pod's config.toml, and the restart brought back the old one from the Secret",
                when(&reset)
            ));
        }
        d.meaning = if glrt {
            "The token in the chart's Secret no longer authenticates: the runner was deleted in GitLab, \
             its token expired, or the runner rotated it and the new token was lost on restart. Every pod \
             start verifies, fails, and after 30 attempts the container exits."
                .into()
        } else {
            "The chart passes a saved legacy authentication token (Secret key `runner-token`) whose runner was \
             deleted in GitLab, so `register` only verifies it and fails."
                .into()
        };
        if d.finding == Finding::TokenExpired {
            expiry_evidence(r, d);
        }
        let rotation_lost = d.finding == Finding::RotationLost;
        if rotation_lost {
            d.summary = "the runner rotated its glrt- token and lost the new one on restart: the Secret's token is dead".into();
        }
        if rotation_lost {
            d.meaning = "When a glrt- token nears its expiry the runner rotates it: GitLab issues a new token and revokes the old one. \
                         The runner writes the new token only to its config.toml, which the chart rebuilds from the Secret at every start, \
                         so the restart brought back the revoked token. The runner still exists in GitLab; only its token is lost."
                .into();
        }
        d.fix = if glrt {
            vec![
                "If the runner still exists in GitLab, reset its token (`POST /api/v4/runners/:id/reset_authentication_token`); otherwise create a new runner (`POST /api/v4/user/runners`).".into(),
                "Write the new token into the chart's Secret, key `runner-token`.".into(),
                format!("Restart the pods: `{restart}`."),
                ROTATION_ADVICE.into(),
                RUNNER_MEDIC_GLRT.into(),
            ]
        } else {
            vec![
                "Remove the stale value from the chart's Secret key `runner-token` so the pod registers again with the registration token.".into(),
                format!("Restart the pods: `{restart}`."),
            ]
        };
        d.will_not_help = vec![
            "Restarting the pods alone: they verify the same token again.".into(),
            "Updating the registration token: the chart verifies the saved token instead of registering.".into(),
        ];
        return;
    }
    d.finding = Finding::RegistrationTokenRejected;
    let status = r.last_status.map(|s| format!(" ({s})")).unwrap_or_default();
    d.summary = format!("registration is rejected{status}: the registration token is not accepted");
    d.evidence.push(format!(
        "{} rejected",
        plural(
            r.count(Class::RegisterForbidden) + r.count(Class::RegisterFailed),
            "registration attempt",
            "registration attempts"
        )
    ));
    d.meaning = "The registration token given to the chart (`runnerRegistrationToken`) is invalid, was reset, \
                 or may not register runners in this scope."
        .into();
    d.fix = vec![
        "Copy a current registration token (Settings > CI/CD > Runners), or better, create the runner in GitLab and use its glrt- token as `runnerToken`.".into(),
        "Update the chart's Secret (`runner-registration-token` or `runner-token`).".into(),
        format!("Restart the pods: `{restart}`."),
    ];
}

/// `locked out since 08:14:03 UTC for 1h`.
fn locked_out_since(r: &RunnerHealth) -> String {
    let mut s = String::new();
    if let Some(l) = r.locked_out_at {
        s.push_str(&format!("locked out since {}", when(&l)));
        if let Some(dur) = r.lockout_for {
            s.push_str(&format!(" for {}", human_duration(dur)));
        }
    }
    s
}

/// A lockout that the runner's token did not cause.
fn lockout(r: &RunnerHealth, d: &mut Diagnosis, cause: LockoutCause, restart: &str) {
    let since = locked_out_since(r);
    if r.lockouts > 0 {
        d.evidence.push(format!(
            "the runner disabled itself {} (it then stays quiet for {}, so silence is not recovery)",
            plural(r.lockouts, "time", "times"),
            r.lockout_for.map_or_else(
                || "unhealthy_interval, 1h by default".into(),
                human_duration
            )
        ));
    }
    if r.consecutive_forbidden > 0 {
        d.evidence.push(format!(
            "{} also rejected with 403 since the last success, but not only 403s preceded the lockout",
            plural(r.consecutive_forbidden, "job request was", "job requests were")
        ));
    } else {
        d.evidence
            .push("no job request was rejected with 403 since the last success".into());
    }
    let no_delete: String = "Deleting the runner in GitLab, resetting its token or re-registering it: nothing shows that GitLab rejects its token (and deleting a glrt- runner destroys its token for good). runner-medic refuses to remediate it (check finding).".into();
    match cause {
        LockoutCause::JobRouter => {
            let code = r.last_router_code.map_or("an error", |c| c.as_str());
            let http = r
                .last_status
                .filter(|s| *s >= 400)
                .map(|s| format!(", HTTP {s}"))
                .unwrap_or_default();
            d.finding = Finding::JobRouterError;
            d.summary = format!(
                "{} Job Router errors, not by its token ({} x {code}{http}){}",
                if r.state == State::LockedOut {
                    "disabled by"
                } else {
                    "job requests fail with"
                },
                r.router_errors,
                if since.is_empty() {
                    String::new()
                } else {
                    format!(", {since}")
                }
            );
            d.evidence.push(format!(
                "{} through GitLab's Job Router failed with {code}{http} since the last success",
                plural(r.router_errors, "job request", "job requests")
            ));
            d.meaning = format!(
                "With FF_USE_JOB_ROUTER the runner asks GitLab's Job Router for jobs. The router answered {code}{http}; \
                 gitlab-runner counts that as an unhealthy request like a 403 and, after unhealthy_requests_limit of them, \
                 disables the runner for unhealthy_interval. The router or GitLab refused the request; the token was not rejected. \
                 Router 409s disabled most runner managers of gitlab.com within hours (gitlab-runner merge request 7299)."
            );
            d.fix = vec![
                "Check the Job Router and GitLab side (GitLab's status page, the router's logs); other runners using the router fail the same way.".into(),
                "To poll GitLab directly meanwhile: remove FF_USE_JOB_ROUTER=true from the runner's environment or config.toml `[runners.feature_flags]` (it is off by default) and restart the pods; or upgrade gitlab-runner to a release that handles these router errors.".into(),
                format!("Restart to end the lockout early (otherwise it retries after unhealthy_interval): `{restart}`."),
            ];
            d.will_not_help = vec![no_delete, "Updating the registration token.".into()];
        }
        LockoutCause::ClientError => {
            d.finding = Finding::ClientError;
            d.summary = format!(
                "disabled after client errors: the runner cannot build its requests to GitLab ({} x client error){}",
                r.count(Class::JobRequestClientError),
                if since.is_empty() {
                    String::new()
                } else {
                    format!(", {since}")
                }
            );
            d.evidence.push(format!(
                "{} ended in `client error` (the request was never sent)",
                plural(
                    r.count(Class::JobRequestClientError),
                    "job request",
                    "job requests"
                )
            ));
            d.meaning = "gitlab-runner logs `client error` when it cannot create an HTTP client for the runner: \
                         a malformed `url` (`gitlabUrl`), a missing or unreadable `tls-ca-file`/certificate, or a proxy \
                         setting it cannot parse. It counts as an unhealthy request, so the runner disabled itself."
                .into();
            d.fix = vec![
                "Check the runner's `url` in config.toml (chart value `gitlabUrl`: scheme and host, e.g. `https://gitlab.example.com/`), its `tls-ca-file` (chart `certsSecretName`) and proxy variables.".into(),
                format!("Fix the chart values and restart the pods: `{restart}`."),
            ];
            d.will_not_help = vec![
                no_delete,
                "Waiting: the configuration does not fix itself.".into(),
            ];
        }
        LockoutCause::Executor => {
            d.finding = Finding::ExecutorUnknown;
            d.summary = format!(
                "disabled because its executor is not known to this runner binary{}",
                if since.is_empty() {
                    String::new()
                } else {
                    format!(" ({since})")
                }
            );
            d.evidence.push(format!(
                "{} `Executor ... is not known; marking Runner as unhealthy`",
                plural(r.count(Class::ExecutorUnknown), "line", "lines")
            ));
            d.meaning = "config.toml names an executor this gitlab-runner binary does not have (a typo, or an executor of another build); every poll is counted as unhealthy and the runner never asks for jobs.".into();
            d.fix = vec![
                "Fix `executor` in the runner's config.toml (the chart's `runners.config` template; `kubernetes` for the chart) or use an image that has the executor.".into(),
                format!("Restart the pods: `{restart}`."),
            ];
            d.will_not_help = vec![no_delete];
        }
        LockoutCause::Unexplained | LockoutCause::Token => {
            d.finding = Finding::LockoutUnexplained;
            d.summary = format!(
                "disabled itself, but the lines read show no failed job request before the lockout{}",
                if since.is_empty() {
                    String::new()
                } else {
                    format!(" ({since})")
                }
            );
            d.meaning = "gitlab-runner disables a runner after unhealthy_requests_limit unhealthy job requests: 403s (token), \
                         client errors (configuration), Job Router errors or an unknown executor. None of them is in the \
                         lines read, so the cause is earlier than the input."
                .into();
            d.fix = vec![
                "Read further back: `kubectl logs --since=3h --prefix --timestamps` (or `--previous` for a restarted container) and run `runner-medic analyze` on it.".into(),
                "Only act once the cause is known: a token fix only if the lines before the lockout are 403s.".into(),
            ];
            d.will_not_help = vec![no_delete];
        }
    }
}

fn unavailable(r: &RunnerHealth, d: &mut Diagnosis, restart: &str) {
    if r.last_cause == Some(Cause::TokenFormat) {
        return token_malformed(r, d);
    }
    if r.router_errors > 0 && r.last_router_code.is_some_and(|c| !c.is_transient()) {
        return lockout(r, d, LockoutCause::JobRouter, restart);
    }
    let n = r.unavailable;
    let what = match (r.last_status, r.last_cause) {
        (Some(s), _) if s >= 500 => {
            format!("GitLab answers {s} (maintenance, overload or an outage)")
        }
        (Some(429), _) => "GitLab rate-limits this runner (429)".into(),
        (_, Some(Cause::Dns)) => "the runner cannot resolve GitLab's host name (DNS)".into(),
        (_, Some(Cause::Connect)) => {
            "the runner cannot connect to GitLab (connection refused or reset)".into()
        }
        (_, Some(Cause::Tls)) => "the runner rejects GitLab's TLS certificate".into(),
        (_, Some(Cause::Timeout)) => "requests from the runner to GitLab time out".into(),
        _ if r.count(Class::JobRequestClientError) > 0 => {
            "the runner cannot build an HTTP client for its GitLab URL (bad URL or scheme)".into()
        }
        _ => "the runner cannot reach GitLab".into(),
    };
    d.summary = format!(
        "{what} ({} since {})",
        plural(n, "failure", "failures"),
        when(&r.since)
    );
    d.evidence.push(format!(
        "{} since the last success",
        plural(n, "failed request", "failed requests")
    ));
    let causes: Vec<String> = Cause::ALL
        .iter()
        .filter(|c| r.causes[c.index()] > 0)
        .map(|c| format!("{} {}", c.as_str(), r.causes[c.index()]))
        .collect();
    if causes.len() > 1 || (causes.len() == 1 && r.last_cause != Some(Cause::Http)) {
        d.evidence
            .push(format!("failures by cause: {}", causes.join(", ")));
    }
    let network = matches!(
        r.last_cause,
        Some(Cause::Dns | Cause::Connect | Cause::Tls | Cause::Timeout)
    );
    d.finding = if network {
        Finding::Network
    } else {
        Finding::GitlabUnavailable
    };
    if network {
        d.meaning = "A network problem between this pod and GitLab, not a token problem.".into();
        d.fix = vec![
            "Check DNS, NetworkPolicies, egress proxies and firewalls from the runner's namespace (`kubectl run` a debug pod and curl GitLab's URL).".into(),
            "For TLS errors, check the CA bundle given to the runner (`certsSecretName`) and the certificate's names.".into(),
        ];
    } else {
        d.meaning = "GitLab is down, in maintenance or overloaded; the runner keeps retrying and is not locked out for this.".into();
        d.fix = vec!["Nothing on the runner side: check GitLab's health; the runner recovers when GitLab does.".into()];
    }
    d.will_not_help = vec![
        "Deleting or re-registering the runner: its token is not the problem.".into(),
        "Restarting the runner pods.".into(),
    ];
}

fn token_malformed(r: &RunnerHealth, d: &mut Diagnosis) {
    d.finding = Finding::TokenMalformed;
    d.summary = format!(
        "the runner's token cannot be sent: Go refuses it as a request header ({})",
        plural(r.causes[Cause::TokenFormat.index()], "failure", "failures")
    );
    d.evidence.push(
        "requests failed with `net/http: invalid header field` before anything reached GitLab"
            .into(),
    );
    d.meaning = "The token holds a newline or another control character, almost always a trailing newline \
                 from writing the Secret with `echo TOKEN | base64` instead of `echo -n`. GitLab never saw these \
                 requests; the token itself may be valid."
        .into();
    d.fix = vec![
        "Write the Secret's `runner-token` (or `runner-registration-token`) again without the newline: `echo -n TOKEN | base64`, or `kubectl create secret generic ... --from-literal`.".into(),
        "Restart the pods so the runner reads the fixed Secret.".into(),
    ];
    d.will_not_help = vec![
        "Deleting or re-registering the runner, or resetting its token: a new token written the same way has the same newline.".into(),
    ];
}

#[cfg(test)]
mod tests {
    use super::Finding;

    /// The token alert stays silent for every diagnosis that does not blame
    /// the runner's token: its `unless` list must name each of them.
    #[test]
    fn the_token_alert_is_silent_for_every_non_token_diagnosis() {
        let rules = include_str!("../../alerts/runner-medic.rules.yml");
        let alert = rules
            .split("- alert: ")
            .find(|a| a.starts_with("RunnerAuthenticationTokenRejected"))
            .unwrap_or_default();
        let expr = alert.split("for:").next().unwrap_or_default();
        let list = expr
            .split("runner_medic_runner_diagnosis{diagnosis=~\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default();
        let silenced: Vec<&str> = list.split('|').collect();
        for f in Finding::ALL {
            let expected = !f.is_token_problem()
                && !matches!(f, Finding::Healthy | Finding::Unknown | Finding::Replaced);
            assert_eq!(
                silenced.contains(&f.as_str()),
                expected,
                "{}: the RunnerAuthenticationTokenRejected alert must {} it",
                f.as_str(),
                if expected {
                    "be silenced for"
                } else {
                    "fire for"
                }
            );
        }
    }
}
