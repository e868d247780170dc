//! The remediation decision: pure, synchronous, time-injected.
//!
//! Two stages, each a list of named checks so that every refusal has a
//! stated reason and every decision can be audited:
//!
//! 1. [`precheck`]: local facts only (runner state and history, lease,
//!    concurrency, cooldown, budget, circuit breaker). Cheap; run for
//!    every candidate.
//! 2. [`preflight`]: facts gathered from the cluster and GitLab for a
//!    candidate that passed the precheck (pause annotation, GitLab health,
//!    the runner's unique identity in GitLab, the registration workflow).
//!
//! Nothing here performs I/O; the executor does, and only for an `Act`.

use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use super::gitlab::RunnerRecord;
use super::history::WorkloadHistory;
pub use super::strategy::{Mode, RestartMethod, Strategy};
use crate::event::Workflow;
use crate::health::{Finding, RunnerView};

/// Whether a runner is a candidate for `strategy`: its token is rejected
/// on job requests, or (token strategies only) its pod's verification of
/// a `glrt-` token fails at every start.
pub fn is_candidate(strategy: Strategy, r: &RunnerView) -> bool {
    if r.registration_token {
        return false;
    }
    r.state.is_token_rejected()
        || (strategy.writes_secret()
            && r.state == crate::health::State::RegistrationFailing
            && r.verify_rejections > 0)
}

/// The remediation policy's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Off, dry-run or on.
    pub mode: Mode,
    /// What to do.
    pub strategy: Strategy,
    /// How pods are restarted.
    pub restart_method: RestartMethod,
    /// A runner must have been rejected this long.
    pub for_: Duration,
    /// ...with at least this many 403s.
    pub min_forbidden: u64,
    /// No new attempt on a workload this soon after the last one.
    pub cooldown: Duration,
    /// At most this many attempts per workload per window...
    pub max_attempts: usize,
    /// ...this long.
    pub attempt_window: Duration,
    /// Failed attempts in the window that open the circuit breaker.
    pub max_failures: usize,
    /// How long verification waits for the new runner.
    pub verify_timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mode: Mode::Off,
            strategy: Strategy::Restart,
            restart_method: RestartMethod::Delete,
            for_: Duration::from_secs(300),
            min_forbidden: 3,
            cooldown: Duration::from_secs(1800),
            max_attempts: 3,
            attempt_window: Duration::from_secs(24 * 3600),
            max_failures: 2,
            verify_timeout: Duration::from_secs(180),
        }
    }
}

/// What made runner-medic consider a runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Its own health tracking.
    Local,
    /// An Alertmanager alert naming it.
    Alert(String),
}

/// One named check and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable name (`lease`, `cooldown`, ...).
    pub name: &'static str,
    /// Passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed and the mode is `on`.
    Act,
    /// Every check passed; the mode is `dry-run`.
    DryRun,
    /// A check failed (the first failed check says why).
    Refuse,
}

/// A decision about one runner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Namespace.
    pub namespace: String,
    /// Workload.
    pub workload: String,
    /// Runner short id.
    pub runner: String,
    /// Strategy considered.
    pub strategy: Strategy,
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// The outcome.
    pub verdict: Verdict,
}

impl Decision {
    /// The first failed check, if any.
    pub fn refusal(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.ok)
    }

    /// A one-line reason: the failed check, or "all checks passed".
    pub fn reason(&self) -> String {
        match self.refusal() {
            Some(c) => format!("{}: {}", c.name, c.detail),
            None => "all checks passed".into(),
        }
    }

    fn check(&mut self, name: &'static str, ok: bool, detail: impl Into<String>) -> bool {
        self.checks.push(Check {
            name,
            ok,
            detail: detail.into(),
        });
        ok
    }

    fn settle(&mut self, mode: Mode) {
        self.verdict = if self.refusal().is_some() {
            Verdict::Refuse
        } else if mode == Mode::On {
            Verdict::Act
        } else {
            Verdict::DryRun
        };
    }
}

/// Local facts beyond the runner's own view.
#[derive(Debug, Clone)]
pub struct Local<'a> {
    /// What triggered the decision.
    pub trigger: Trigger,
    /// This replica holds the leader lease.
    pub leader: bool,
    /// A remediation is running (anywhere: global concurrency is 1).
    pub busy: Option<String>,
    /// The workload's history.
    pub history: &'a WorkloadHistory,
    /// The other runners whose current pod is this runner's pod.
    pub pod_mates: Vec<&'a RunnerView>,
    /// The name of the runner's container in its pods: lines from any other
    /// container (a sidecar, a debug container) never count toward an action.
    pub runner_container: &'a str,
    /// The workload's persisted history could not be read (why): refuse
    /// rather than act without cooldowns, budget and circuit breaker.
    pub history_error: Option<String>,
}

/// Findings that are a problem of the runner's own token, the only ones an
/// action can fix.
pub fn is_token_finding(f: Finding) -> bool {
    matches!(
        f,
        Finding::StaleToken
            | Finding::GlrtTokenRejected
            | Finding::TokenExpired
            | Finding::RotationLost
            | Finding::GlrtTokenInvalid
    )
}

/// What the `finding` check says about a diagnosis.
fn finding_reason(f: Finding) -> String {
    if is_token_finding(f) {
        format!("diagnosis {}: the runner's own token", f.as_str())
    } else {
        format!(
            "diagnosis {}: not a problem of this runner's token, so no action can fix it",
            f.as_str()
        )
    }
}

/// Stage 1: local checks only.
pub fn precheck(p: &Policy, r: &RunnerView, local: &Local<'_>, now: Timestamp) -> Decision {
    let mut d = Decision {
        namespace: r.key.namespace.to_string(),
        workload: r.key.workload.to_string(),
        runner: r.key.runner.to_string(),
        strategy: p.strategy,
        checks: Vec::new(),
        verdict: Verdict::Refuse,
    };
    let secs = |d: Duration| crate::health::human_duration(d);
    let ok = d.check(
        "mode",
        p.mode != Mode::Off,
        match p.mode {
            Mode::Off => "remediation is off",
            Mode::DryRun => "dry-run",
            Mode::On => "on",
        },
    ) && d.check(
        "state",
        is_candidate(p.strategy, r),
        format!("runner is {} ({})", r.state.as_str(), r.finding.as_str()),
    ) && d.check(
        "replaced",
        r.superseded_by.is_none(),
        match &r.superseded_by {
            Some(n) => format!("already replaced by runner {n}"),
            None => "not replaced".into(),
        },
    );
    if !ok {
        return d;
    }
    if matches!(
        r.finding,
        Finding::JobRouterError
            | Finding::ClientError
            | Finding::ExecutorUnknown
            | Finding::LockoutUnexplained
            | Finding::TokenMalformed
    ) {
        // A lockout (or failure) that no 403 caused: named at once, not as a
        // rejection that has not lasted long enough.
        d.check("finding", false, finding_reason(r.finding));
        return d;
    }
    let rejected_for = r
        .first_forbidden
        .or(r.first_verify_rejected)
        .map(|f| now.duration_since(f).unsigned_abs())
        .unwrap_or_default();
    let rejections = r.consecutive_forbidden + r.verify_rejections;
    let ok = match &local.trigger {
        Trigger::Local => d.check(
            "latched",
            rejected_for >= p.for_,
            format!(
                "rejected for {} (threshold {})",
                secs(rejected_for),
                secs(p.for_)
            ),
        ),
        Trigger::Alert(name) => d.check(
            "latched",
            true,
            format!(
                "alert {name} fired; local state agrees ({})",
                r.state.as_str()
            ),
        ),
    } && d.check(
        "min_forbidden",
        rejections >= p.min_forbidden,
        format!(
            "{rejections} x 403 since the last success (threshold {})",
            p.min_forbidden
        ),
    ) && d.check(
        "fleet",
        !r.fleet_incident,
        if r.fleet_incident {
            "many runners were rejected at once: a GitLab-side incident, not a stale token"
        } else {
            "not a fleet-wide rejection"
        },
    ) && d.check(
        "finding",
        is_token_finding(r.finding),
        finding_reason(r.finding),
    ) && d.check(
        "evidence",
        !r.containers.is_empty() && r.containers.iter().all(|c| **c == *local.runner_container),
        {
            let others: Vec<&str> = r
                .containers
                .iter()
                .filter(|c| ***c != *local.runner_container)
                .map(|c| if c.is_empty() { "(more containers)" } else { &**c })
                .collect();
            if r.containers.is_empty() {
                "no container is known for the lines about this runner".to_owned()
            } else if others.is_empty() {
                format!(
                    "every line about the runner came from the runner container {:?}",
                    local.runner_container
                )
            } else {
                format!(
                    "lines about the runner came from container(s) {} besides the runner container {:?}: a sidecar or a debug container may be writing them",
                    others.join(", "),
                    local.runner_container
                )
            }
        },
    ) && d.check(
        "history",
        local.history_error.is_none(),
        match &local.history_error {
            Some(e) => format!("the workload's remediation history cannot be read ({e}): not acting without cooldown, budget and circuit breaker"),
            None => "readable".into(),
        },
    ) && d.check(
        "lease",
        local.leader,
        if local.leader {
            "this replica holds the lease"
        } else {
            "another replica holds the lease"
        },
    ) && d.check(
        "concurrency",
        local.busy.is_none(),
        match &local.busy {
            Some(w) => format!("a remediation is running on {w}"),
            None => "no other remediation running".into(),
        },
    ) && d.check(
        "in_flight",
        local.history.in_flight.is_none(),
        match &local.history.in_flight {
            Some(f) => format!(
                "a remediation of runner {} started at {} is not finished",
                f.runner, f.started
            ),
            None => "none in flight".into(),
        },
    ) && d.check(
        "circuit",
        !local.history.circuit_open,
        if local.history.circuit_open {
            format!(
                "circuit breaker open ({}); a person must reset it",
                local
                    .history
                    .circuit_reason
                    .as_deref()
                    .unwrap_or("too many failed attempts")
            )
        } else {
            "closed".into()
        },
    );
    if !ok {
        return d;
    }
    let since_last = local
        .history
        .last_attempt()
        .map(|a| now.duration_since(a.started).unsigned_abs());
    let recent = local
        .history
        .attempts_since(now.checked_sub(p.attempt_window).unwrap_or(now));
    let ok = d.check(
        "cooldown",
        since_last.is_none_or(|s| s >= p.cooldown),
        match since_last {
            Some(s) => format!(
                "last attempt {} ago (cooldown {})",
                secs(s),
                secs(p.cooldown)
            ),
            None => "no previous attempt".into(),
        },
    ) && d.check(
        "budget",
        recent < p.max_attempts,
        format!(
            "{recent} attempt(s) in the last {} (budget {})",
            secs(p.attempt_window),
            p.max_attempts
        ),
    );
    if !ok {
        return d;
    }
    let healthy_mates: Vec<String> = local
        .pod_mates
        .iter()
        .filter(|m| !m.state.is_token_rejected())
        .map(|m| format!("{} ({})", m.key.runner, m.state.as_str()))
        .collect();
    d.check(
        "pod_mates",
        healthy_mates.is_empty(),
        if healthy_mates.is_empty() {
            "every runner in the pod is rejected".to_owned()
        } else {
            format!(
                "pod {} also runs {}: restarting it would interrupt them",
                r.pod(),
                healthy_mates.join(", ")
            )
        },
    );
    d.settle(p.mode);
    d
}

/// Facts gathered from the cluster and GitLab for a candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    /// The workload that owns the runner's pod (`Deployment/gitlab-runner`),
    /// `None` when the pod or its owner is gone.
    pub owner: Option<String>,
    /// The owning Deployment carries `runner-medic.io/pause=true`.
    pub paused: bool,
    /// The Deployment is paused (`spec.paused`), which blocks rollouts.
    pub rollout_paused: bool,
    /// `GET /api/v4/version` answered 200 (`Err`: what went wrong).
    pub gitlab: Result<(), String>,
    /// The runner's numeric id in GitLab, when identified uniquely.
    pub identity: Identity,
    /// GitLab's record of the runner's contacts (`None`: not identified).
    pub record: Option<Result<RunnerRecord, String>>,
    /// How far GitLab's and the nodes' clocks may disagree.
    pub clock_skew: Duration,
    /// Token strategies: the Secret holding the runner token, or why it
    /// cannot be told (`None`: not needed).
    pub secret: Option<Result<String, String>>,
    /// Token strategies: the access token's scopes allow the strategy
    /// (probed without side effects; `None`: not needed).
    pub scope: Option<Result<(), String>>,
    /// `recreate`: the old runner's settings are known (`None`: not needed).
    pub settings: Option<Result<String, String>>,
}

/// Whether access-token `scopes` allow `strategy`'s GitLab calls.
pub fn scope_allows(strategy: Strategy, scopes: &[String]) -> Result<(), String> {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let ok = match strategy {
        Strategy::Restart => true,
        Strategy::Reregister | Strategy::Rotate => has("api") || has("manage_runner"),
        Strategy::Recreate => has("api") || (has("create_runner") && has("manage_runner")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the access token's scopes ({}) do not allow {}: it needs `api`{}",
            if scopes.is_empty() {
                "none".to_owned()
            } else {
                scopes.join(", ")
            },
            strategy.as_str(),
            match strategy {
                Strategy::Recreate => ", or `create_runner` and `manage_runner`",
                _ => " or `manage_runner`",
            }
        ))
    }
}

/// What the GitLab runner lookup found.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// Not looked up (the strategy does not need it).
    NotNeeded,
    /// Exactly one runner matches.
    Unique {
        /// GitLab's numeric runner id.
        id: u64,
        /// GitLab's `shortSha`.
        short_sha: String,
        /// `REGISTRATION_TOKEN` or `AUTHENTICATED_USER` (`None`: GitLab
        /// does not say).
        creation_method: Option<String>,
    },
    /// No runner matches (already deleted?).
    None,
    /// Several match: refuse.
    Several(usize),
    /// The lookup failed.
    Failed(String),
}

/// Stage 2: checks on gathered facts, appended to the precheck.
pub fn preflight(p: &Policy, r: &RunnerView, mut d: Decision, remote: &Remote) -> Decision {
    if d.verdict == Verdict::Refuse {
        return d;
    }
    let ok = d.check(
        "owner",
        remote.owner.is_some(),
        match &remote.owner {
            Some(o) => o.clone(),
            None => "the runner's pod (or its owner) no longer exists".into(),
        },
    ) && d.check(
        "paused",
        !remote.paused,
        if remote.paused {
            "the workload carries runner-medic.io/pause=true"
        } else {
            "not paused"
        },
    ) && d.check(
        "rollout",
        !(remote.rollout_paused && p.restart_method == RestartMethod::Rollout),
        if remote.rollout_paused {
            "the Deployment is paused (spec.paused): a rollout restart would not roll"
        } else {
            "the Deployment can roll"
        },
    ) && d.check(
        "gitlab",
        remote.gitlab.is_ok(),
        match &remote.gitlab {
            Ok(()) => "GitLab answers /api/v4/version".to_owned(),
            Err(e) => format!("GitLab is not healthy ({e}): acting now could make things worse"),
        },
    );
    if !ok {
        d.settle(p.mode);
        return d;
    }
    let (found, detail) = match &remote.identity {
        Identity::Unique { id, short_sha, .. } => {
            (true, format!("GitLab runner {id} (shortSha {short_sha})"))
        }
        Identity::None if p.strategy == Strategy::Recreate => (
            true,
            "no runner in the configured scope matches this short id: it was deleted; recreate replaces it".into(),
        ),
        Identity::None => (
            false,
            match p.strategy {
                Strategy::Rotate => "no runner in the configured scope matches this short id: deleted, or outside the scope; there is no token to reset (strategy recreate replaces a deleted runner)".into(),
                _ => "no runner in the configured scope matches this short id: deleted, or another team's runner; nothing is done for a runner GitLab does not show".into(),
            },
        ),
        Identity::Several(n) => (
            false,
            format!("{n} runners in GitLab match this short id: ambiguous"),
        ),
        Identity::Failed(e) => (false, format!("the runner lookup failed: {e}")),
        Identity::NotNeeded => (false, "not looked up".into()),
    };
    let ok = d.check("identity", found, detail) && corroboration(r, &mut d, remote);
    if !ok {
        d.settle(p.mode);
        return d;
    }
    let creation = match &remote.identity {
        Identity::Unique {
            creation_method, ..
        } => creation_method.as_deref(),
        _ => None,
    };
    let gitlab_id = match &remote.identity {
        Identity::Unique { id, .. } => format!("GitLab runner {id}"),
        _ => "the runner".into(),
    };
    let (workflow_ok, detail) = match (p.strategy, r.workflow, creation) {
        (Strategy::Restart, w, _) => (true, format!("{w:?} (restart is safe in every workflow)")),
        (Strategy::Reregister, Workflow::Legacy, Some("REGISTRATION_TOKEN")) => (
            true,
            format!(
                "legacy registration token: the logs show registration at start and GitLab says {gitlab_id} was registered with a registration token"
            ),
        ),
        (Strategy::Reregister, _, Some("AUTHENTICATED_USER")) => (
            false,
            format!(
                "GitLab says {gitlab_id} was created in the UI or API (a glrt- runner): deleting it would kill its token for good, whatever the logs say"
            ),
        ),
        (Strategy::Reregister, Workflow::Legacy, _) => (
            false,
            format!(
                "GitLab does not say how {gitlab_id} was created (creationMethod needs GitLab 17.0): not deleting a runner on log evidence alone"
            ),
        ),
        (Strategy::Reregister, Workflow::AuthToken, _) => (
            false,
            "glrt- authentication token: deleting the runner would kill its token for good".into(),
        ),
        (Strategy::Reregister, Workflow::Unknown, _) => (
            false,
            "no log line proves the legacy workflow: deleting the runner could kill a glrt- token"
                .into(),
        ),
        (_, Workflow::AuthToken, Some("REGISTRATION_TOKEN")) => (
            false,
            format!(
                "GitLab says {gitlab_id} was registered with a registration token: token rotation applies to glrt- runners only"
            ),
        ),
        (_, Workflow::AuthToken, Some(_)) => (
            true,
            format!(
                "glrt- authentication token; GitLab says {gitlab_id} was created in the UI or API"
            ),
        ),
        (Strategy::Recreate, Workflow::AuthToken, None)
            if matches!(remote.identity, Identity::None) =>
        {
            (
                true,
                "glrt- authentication token (the runner is gone in GitLab)".into(),
            )
        }
        (_, Workflow::AuthToken, None) => (
            false,
            format!(
                "GitLab does not say how {gitlab_id} was created (creationMethod needs GitLab 17.0): not issuing a token on log evidence alone"
            ),
        ),
        (_, w, _) => (
            false,
            format!("{w:?}: token rotation applies to glrt- runners only"),
        ),
    };
    let ok = d.check("workflow", workflow_ok, detail) && binding(p.strategy, r, &mut d, remote);
    if ok && p.strategy.writes_secret() {
        token_checks(p, &mut d, remote);
    }
    d.settle(p.mode);
    d
}

/// When the log says GitLab rejected the runner since `first`, GitLab
/// cannot have heard from it after that: a runner whose token is rejected
/// cannot contact GitLab. A later contact means the rejections do not
/// describe GitLab's view (forged lines, a proxy answering 403, another
/// GitLab instance).
fn corroboration(r: &RunnerView, d: &mut Decision, remote: &Remote) -> bool {
    let first = r.first_forbidden.or(r.first_verify_rejected);
    let Some(first) = first else {
        return d.check(
            "corroboration",
            false,
            "the rejections carry no time, so GitLab's record cannot confirm them",
        );
    };
    let record = match (&remote.identity, &remote.record) {
        (Identity::None, _) => {
            return d.check(
                "corroboration",
                true,
                "GitLab shows no runner with this id: a token it does not know cannot be accepted",
            );
        }
        (_, Some(Ok(record))) => record,
        (_, Some(Err(e))) => {
            return d.check(
                "corroboration",
                false,
                format!("GitLab's record of the runner cannot be read ({e}): the log's rejections are not confirmed"),
            );
        }
        (_, None) => {
            return d.check(
                "corroboration",
                false,
                "GitLab's record of the runner was not read",
            );
        }
    };
    let expiry = record
        .token_expires_at
        .map(|t| format!("; GitLab says its token expires at {t}"))
        .unwrap_or_default();
    if let Some(contact) = record.heard_after(first, remote.clock_skew) {
        return d.check(
            "corroboration",
            false,
            format!(
                "GitLab heard from runner {} at {contact}, after the first rejection the log shows ({first}): the log does not describe GitLab's view. Someone may be writing false lines, or something between the pod and GitLab answers 403",
                record.id
            ),
        );
    }
    match record.last_contact() {
        Some(contact) => d.check(
            "corroboration",
            true,
            format!(
                "GitLab last heard from runner {} at {contact}, before the first rejection ({first}){expiry}",
                record.id
            ),
        ),
        None => d.check(
            "corroboration",
            true,
            format!(
                "GitLab never heard from runner {} since it was created{expiry}",
                record.id
            ),
        ),
    }
}

/// Whether GitLab's record contradicts the runner's log: it heard from the
/// runner after the first rejection the log shows.
pub fn gitlab_disagrees(r: &RunnerView, remote: &Remote) -> bool {
    let first = r.first_forbidden.or(r.first_verify_rejected);
    match (first, &remote.record) {
        (Some(first), Some(Ok(record))) => record.heard_after(first, remote.clock_skew).is_some(),
        _ => false,
    }
}

/// Evidence about a runner counts toward an action on a pod only when that
/// pod runs the runner: its own lines registered or verified it, or
/// GitLab's record names the pod (or a pod of the workload, by the chart's
/// naming) as the runner's description.
///
/// `reregister` deletes the runner in GitLab, so for it only GitLab's record
/// counts: a registration line in the log can be forged. (`rotate` and
/// `recreate` also need the pod's token Secret to hold this runner's token:
/// the `secret` check.)
fn binding(strategy: Strategy, r: &RunnerView, d: &mut Decision, remote: &Remote) -> bool {
    let pod = r.pod();
    let log_bound = r.bound_pods.iter().any(|p| **p == *pod);
    if log_bound && strategy != Strategy::Reregister {
        return d.check(
            "binding",
            true,
            format!(
                "pod {pod} registered or verified runner {} in its own log",
                r.key.runner
            ),
        );
    }
    let description = match &remote.record {
        Some(Ok(record)) => record.description.as_str(),
        _ => "",
    };
    let named = !description.is_empty()
        && (r.pods.iter().any(|p| **p == *description)
            || chart_pod_of(description, &r.key.workload));
    if named {
        return d.check(
            "binding",
            true,
            format!(
                "GitLab's description of the runner ({description:?}) is a pod of workload {}",
                r.key.workload
            ),
        );
    }
    if strategy == Strategy::Reregister {
        return d.check(
            "binding",
            false,
            format!(
                "GitLab's description of runner {} ({description:?}) names no pod of workload {}: reregister deletes runners in GitLab only when GitLab's own record ties them to the workload (gitlab-runner's default name is the pod's host name); a registration line in the log can be forged",
                r.key.runner, r.key.workload
            ),
        );
    }
    d.check(
        "binding",
        false,
        format!(
            "nothing ties runner {} to pod {pod}: the pod's log shows no registration or verification of it{} and GitLab's description ({description:?}) names no pod of workload {}; a longer --since may bring the pod's start into view",
            r.key.runner,
            if r.bound_pods.is_empty() {
                String::new()
            } else {
                format!(" (pods that did: {})", r.bound_pods.join(", "))
            },
            r.key.workload
        ),
    )
}

/// Whether `name` is a pod name of Deployment `workload`
/// (`<workload>-<template hash>-<suffix>`), as gitlab-runner's default
/// description (the host name) reads for a runner registered by that pod.
pub fn chart_pod_of(name: &str, workload: &str) -> bool {
    let Some(rest) = name
        .strip_prefix(workload)
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let alnum = |p: &str| {
        !p.is_empty()
            && p.len() <= 12
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    matches!(parts.as_slice(), [hash, suffix] if alnum(hash) && alnum(suffix) && suffix.len() == 5)
}

/// The checks only `rotate` and `recreate` need: nothing is written unless
/// GitLab will issue a token and runner-medic knows where it goes.
fn token_checks(p: &Policy, d: &mut Decision, remote: &Remote) {
    let check = |d: &mut Decision,
                 name: &'static str,
                 r: Option<Result<String, String>>,
                 what: &str| match r {
        Some(Ok(detail)) => d.check(name, true, detail),
        Some(Err(e)) => d.check(name, false, e),
        None => d.check(name, false, format!("{what} not checked")),
    };
    let scope = remote
        .scope
        .clone()
        .map(|r| r.map(|()| "the access token's scopes allow it".to_owned()));
    let _ = check(d, "scope", scope, "the access token's scopes")
        && check(
            d,
            "secret",
            remote
                .secret
                .clone()
                .map(|r| r.map(|n| format!("the runner token lives in Secret {n}"))),
            "the runner's Secret",
        )
        && (p.strategy != Strategy::Recreate
            || check(
                d,
                "settings",
                remote.settings.clone(),
                "the old runner's settings",
            ));
}

#[cfg(test)]
mod tests;
