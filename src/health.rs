//! [`Tracker`]: the latched health state of every runner, from events.
//!
//! Pure and time-injected: callers pass the time of each event (the line's
//! timestamp, when it has one). Keyed by (namespace, workload, runner short
//! id); the pod is an attribute, because the same runner id moves between
//! pods of a workload and a new pod may register a new id.
//!
//! **Silence never clears a bad state.** A stale-token runner prints about
//! three lines an hour (it locks itself out), so only success evidence (a
//! job request, verification or registration that worked) returns a runner
//! to `healthy`. Lines from `gitlab-runner register` with a legacy
//! registration token carry the *registration* token's short id, so they
//! are kept as workload facts (and as a `registration` entry only while
//! registration fails), never as a runner.
//!
//! The words a person reads are in `health/diagnosis.rs`; the fleet-wide
//! view (many runners rejected at once) in `health/fleet.rs`.

mod diagnosis;
mod fleet;
pub mod report;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

pub use diagnosis::{Diagnosis, Finding, human_duration};
pub use fleet::FleetIncident;

use crate::event::{Cause, Class, Detail, Event, GrpcCode, RunnerId, SystemId, Workflow};
use crate::line::Origin;

/// A runner's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Seen, but no line proves anything yet.
    Unknown,
    /// Recent success evidence.
    Healthy,
    /// GitLab rejects the runner's authentication token (403 on job requests).
    Forbidden,
    /// The runner disabled itself after repeated 403s and is quiet for
    /// `unhealthy_interval` (1 h by default).
    LockedOut,
    /// Registration or verification is rejected at start.
    RegistrationFailing,
    /// GitLab answers 5xx, or cannot be reached.
    GitlabUnavailable,
}

impl State {
    /// Every state, for state-set gauges.
    pub const ALL: [State; 6] = [
        State::Unknown,
        State::Healthy,
        State::Forbidden,
        State::LockedOut,
        State::RegistrationFailing,
        State::GitlabUnavailable,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unknown => "unknown",
            State::Healthy => "healthy",
            State::Forbidden => "forbidden",
            State::LockedOut => "locked_out",
            State::RegistrationFailing => "registration_failing",
            State::GitlabUnavailable => "gitlab_unavailable",
        }
    }

    /// Not healthy and not unknown.
    pub fn is_bad(self) -> bool {
        !matches!(self, State::Unknown | State::Healthy)
    }

    /// The runner's token is rejected (the stale-token family).
    pub fn is_token_rejected(self) -> bool {
        matches!(self, State::Forbidden | State::LockedOut)
    }
}

/// Why a runner counted its job requests as unhealthy before it locked
/// itself out (gitlab-runner counts 403s, client errors, Job Router errors
/// other than unreachable, and an unknown executor alike; see
/// `commands/health_helper.go` and `router/client.go`). Read from the
/// lines between the previous success, lockout or recheck and the lockout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockoutCause {
    /// Every unhealthy request was a token rejection: 403, or the Job
    /// Router's `PermissionDenied`/`Unauthenticated`.
    Token,
    /// `Checking for jobs... client error`: the runner could not build a
    /// request (its URL, TLS files or configuration).
    ClientError,
    /// Job Router errors other than token rejections (`FailedPrecondition`
    /// 409 and the like): the router or GitLab, not the token.
    JobRouter,
    /// `Executor ... is not known`: the runner's configuration.
    Executor,
    /// No unhealthy request in the lines read (the input starts after them).
    Unexplained,
}

impl LockoutCause {
    /// Every cause.
    pub const ALL: [LockoutCause; 5] = [
        LockoutCause::Token,
        LockoutCause::ClientError,
        LockoutCause::JobRouter,
        LockoutCause::Executor,
        LockoutCause::Unexplained,
    ];

    /// The stable name (the `cause` label).
    pub fn as_str(self) -> &'static str {
        match self {
            LockoutCause::Token => "token",
            LockoutCause::ClientError => "client_error",
            LockoutCause::JobRouter => "job_router",
            LockoutCause::Executor => "executor",
            LockoutCause::Unexplained => "unexplained",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Picks the cause from the unhealthy requests counted per cause: a
    /// token cause only when *every* one was a token rejection (a mix is
    /// not evidence against the token alone), else the most frequent other
    /// cause, else none seen.
    fn decide(pending: &[u32; 4]) -> LockoutCause {
        let others = [
            LockoutCause::JobRouter,
            LockoutCause::ClientError,
            LockoutCause::Executor,
        ];
        let best = others
            .into_iter()
            .filter(|c| pending[c.index()] > 0)
            .max_by_key(|c| (pending[c.index()], std::cmp::Reverse(c.index())));
        match best {
            Some(c) => c,
            None if pending[LockoutCause::Token.index()] > 0 => LockoutCause::Token,
            None => LockoutCause::Unexplained,
        }
    }
}

/// Identifies a tracked runner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunnerKey {
    /// Namespace (empty when unknown).
    pub namespace: Arc<str>,
    /// Owning workload.
    pub workload: Arc<str>,
    /// Normalised short id.
    pub runner: RunnerId,
}

impl RunnerKey {
    fn workload_path(&self) -> String {
        if self.namespace.is_empty() {
            self.workload.to_string()
        } else {
            format!("{}/{}", self.namespace, self.workload)
        }
    }
}

/// A point in the input: wall time when known, and the order of arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The line's time.
    pub at: Option<Timestamp>,
    /// Arrival order (1-based, across all inputs).
    pub seq: u64,
}

impl Stamp {
    /// Whether `self` happened after `other`: by time when both have one,
    /// else by arrival.
    pub fn after(&self, other: &Stamp) -> bool {
        match (self.at, other.at) {
            (Some(a), Some(b)) => a > b,
            _ => self.seq > other.seq,
        }
    }
}

/// What the tracker knows about one runner (or one registration token).
#[derive(Debug, Clone)]
pub struct RunnerHealth {
    /// Identity.
    pub key: RunnerKey,
    /// The id comes from `Registering runner...` lines: it is the
    /// registration token's short id, not a runner.
    pub registration_token: bool,
    /// Current state.
    pub state: State,
    /// When the current state began.
    pub since: Stamp,
    /// First line about this runner.
    pub first_seen: Stamp,
    /// Last line about this runner.
    pub last_seen: Stamp,
    /// Pods that logged this runner, oldest first; the last is current.
    pub pods: Vec<Arc<str>>,
    /// Events per class.
    pub counts: [u64; Class::COUNT],
    /// 403s on job requests since the last success.
    pub consecutive_forbidden: u64,
    /// First 403 on a job request since the last success.
    pub first_forbidden: Option<Stamp>,
    /// Last 403 on a job request.
    pub last_forbidden: Option<Stamp>,
    /// The 403s carried a bare status line (a proxy, not GitLab, answered).
    pub proxy_forbidden: bool,
    /// Lockouts since the last success.
    pub lockouts: u64,
    /// Last lockout.
    pub locked_out_at: Option<Stamp>,
    /// Lockout length printed by the runner.
    pub lockout_for: Option<Duration>,
    /// Why the runner locked itself out (the latest lockout whose cause the
    /// lines showed; a lockout with no cause in view keeps an earlier one).
    pub lockout_cause: Option<LockoutCause>,
    /// Unhealthy requests per cause since the last success, lockout or
    /// recheck (indexed by [`LockoutCause`]; `Unexplained` unused).
    pending: [u32; 4],
    /// Last request that gitlab-runner counted as unhealthy.
    pub last_unhealthy: Option<Stamp>,
    /// Job Router errors (other than unreachable) since the last success.
    pub router_errors: u64,
    /// The gRPC code of the last Job Router error.
    pub last_router_code: Option<GrpcCode>,
    /// The runner manager's `system_id` (`Created missing unique system ID`
    /// in the pod that runs it).
    pub system_id: Option<SystemId>,
    /// First success ever seen.
    pub first_success: Option<Stamp>,
    /// Last success.
    pub last_success: Option<Stamp>,
    /// Registration workflow proven by this runner's own lines.
    pub workflow: Workflow,
    /// Last HTTP status of a failure.
    pub last_status: Option<u16>,
    /// Last failure cause.
    pub last_cause: Option<Cause>,
    /// Failures per cause since the last success.
    pub causes: [u64; Cause::COUNT],
    /// Failures counted toward `gitlab_unavailable` since the last success.
    pub unavailable: u64,
    /// Last `Resetting runner authentication token... succeeded`.
    pub token_reset_at: Option<Stamp>,
    /// Verifications rejected (`is not valid` / `is removed`) since the
    /// last success, and the first of them.
    pub verify_rejections: u64,
    /// First rejected verification since the last success.
    pub first_verify_rejected: Option<Stamp>,
    /// Last failed token rotation (the token may have expired after it).
    pub token_reset_failed_at: Option<Stamp>,
    /// Last warning that the token is about to expire (rotation disabled).
    pub token_expiring_at: Option<Stamp>,
    /// Containers whose lines named this runner (at most [`MAX_SOURCES`]
    /// kept; more is recorded as an empty name, which matches no container).
    pub containers: Vec<Arc<str>>,
    /// Pods whose runner process registered or verified this runner, by
    /// their own lines (the log's proof that the pod runs it).
    pub bound_pods: Vec<Arc<str>>,
    /// The pod whose budget ([`PodLimits`]) this runner takes: the pod that
    /// first named it, or the pod that proved it runs it.
    charged_to: Arc<str>,
    /// Takes a proven slot of `charged_to`: never evicted.
    protected: bool,
}

/// At most this many containers and bound pods are kept per runner.
pub const MAX_SOURCES: usize = 8;

fn remember(list: &mut Vec<Arc<str>>, item: &Arc<str>) {
    if list.iter().any(|x| x == item) {
        return;
    }
    if list.len() >= MAX_SOURCES {
        // Too many to tell apart: an empty name stands for "others", which
        // no check accepts.
        if !list.iter().any(|x| x.is_empty()) {
            list.push(Arc::from(""));
        }
        return;
    }
    list.push(item.clone());
}

impl RunnerHealth {
    fn new(key: RunnerKey, pod: &Arc<str>, stamp: Stamp) -> RunnerHealth {
        RunnerHealth {
            key,
            registration_token: false,
            state: State::Unknown,
            since: stamp,
            first_seen: stamp,
            last_seen: stamp,
            pods: vec![pod.clone()],
            counts: [0; Class::COUNT],
            consecutive_forbidden: 0,
            first_forbidden: None,
            last_forbidden: None,
            proxy_forbidden: false,
            lockouts: 0,
            locked_out_at: None,
            lockout_for: None,
            lockout_cause: None,
            pending: [0; 4],
            last_unhealthy: None,
            router_errors: 0,
            last_router_code: None,
            system_id: None,
            first_success: None,
            last_success: None,
            workflow: Workflow::Unknown,
            last_status: None,
            last_cause: None,
            causes: [0; Cause::COUNT],
            unavailable: 0,
            token_reset_at: None,
            token_reset_failed_at: None,
            token_expiring_at: None,
            verify_rejections: 0,
            first_verify_rejected: None,
            containers: Vec::new(),
            bound_pods: Vec::new(),
            charged_to: pod.clone(),
            protected: false,
        }
    }

    /// Admitted on evidence that a pod runs it (registered, verified,
    /// rotated its token or received a job there): never evicted to make
    /// room for another runner.
    pub fn is_protected(&self) -> bool {
        self.protected
    }

    /// The pod that logged this runner last.
    pub fn current_pod(&self) -> &str {
        self.pods.last().map_or("", |p| p)
    }

    /// Events of one class.
    pub fn count(&self, class: Class) -> u64 {
        self.counts[class.index()]
    }

    /// GitLab rejects this runner's token: 403s, or a lockout that 403s
    /// caused. A lockout for any other cause is not a token problem.
    pub fn token_rejected(&self) -> bool {
        match self.state {
            State::Forbidden => true,
            State::LockedOut => self.lockout_cause == Some(LockoutCause::Token),
            _ => false,
        }
    }
}

/// Facts about a workload that are not about one runner.
#[derive(Debug, Clone, Default)]
pub struct WorkloadFacts {
    /// Registration workflow evidence from any pod of the workload.
    pub workflow: Workflow,
    /// Last `Registering runner... succeeded` / `Runner registered successfully`.
    pub registered_at: Option<Stamp>,
    /// Last `Registration attempt N of M` (attempt, of).
    pub attempt: Option<(u32, u32)>,
    /// `PANIC: Failed to register/verify the runner.` count.
    pub register_aborted: u64,
    /// A 410 from registration: registration tokens are disabled in GitLab.
    pub registration_disallowed: bool,
}

/// A change of a runner's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The runner.
    pub key: RunnerKey,
    /// The pod whose line caused the change.
    pub pod: Arc<str>,
    /// Previous state.
    pub from: State,
    /// New state.
    pub to: State,
    /// When.
    pub at: Stamp,
    /// 403s since the last success, at the time of the change.
    pub consecutive_forbidden: u64,
}

/// Tunables of the health model.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// Runners rejected within this window of each other count as one
    /// fleet-wide incident.
    pub fleet_window: Duration,
    /// At least this many runners...
    pub fleet_min_runners: usize,
    /// ...and at least this fraction of the runners active in the last hour.
    pub fleet_min_fraction: f64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            fleet_window: Duration::from_secs(5 * 60),
            fleet_min_runners: 3,
            fleet_min_fraction: 0.5,
        }
    }
}

/// At most this many runner ids one pod may add to the tracker on unproven
/// lines alone (403s, outages, lockouts: anything but evidence that the pod
/// runs the runner).
///
/// A runner pod runs a handful of runners: the gitlab-runner Helm chart one
/// per pod, a hand-written `config.toml` a few `[[runners]]`; a token
/// rotation adds the runner's new short id in the same pod while the old one
/// stays tracked until `runner_ttl`, and a failing legacy registration adds
/// the registration token's id. A stale-token runner whose lookback shows
/// only 403s has no proof and must still fit, so the limit is several times
/// what a real pod needs; it bounds a pod that logs made-up ids to 16
/// runners (~600 series, ~70 KB of `/metrics`) instead of the whole table.
pub const MAX_UNPROVEN_PER_POD: usize = 16;

/// At most this many runner ids one pod may add as proven (see
/// [`MAX_UNPROVEN_PER_POD`]). The proof is a log line too, and a pod can
/// forge it (`Checking for jobs... received`): this bounds such a pod
/// without limiting a real one (64 runners in one pod is far beyond any
/// deployment seen). A proven id over it is admitted as unproven, if the
/// pod has room for one.
pub const MAX_PROVEN_PER_POD: usize = 64;

/// How many runner ids one pod may add to the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodLimits {
    /// Ids with no evidence that the pod runs them.
    pub unproven: usize,
    /// Ids the pod registered, verified or received a job with.
    pub proven: usize,
}

impl PodLimits {
    /// No limit (offline analysis of files a person chose).
    pub const NONE: PodLimits = PodLimits {
        unproven: usize::MAX,
        proven: usize::MAX,
    };
}

impl Default for PodLimits {
    fn default() -> Self {
        PodLimits {
            unproven: MAX_UNPROVEN_PER_POD,
            proven: MAX_PROVEN_PER_POD,
        }
    }
}

/// Why a new runner id was not tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The tracker holds `max_runners` runners, none of which could make
    /// room (only a proven newcomer pushes out an unproven runner).
    GlobalCap,
    /// The pod that named it has used its [`PodLimits`].
    PodLimit,
}

impl Refusal {
    /// Every reason, for counters exported at 0.
    pub const ALL: [Refusal; 2] = [Refusal::GlobalCap, Refusal::PodLimit];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::GlobalCap => "global_cap",
            Refusal::PodLimit => "pod_limit",
        }
    }
}

/// The runners one pod added to the tracker (see [`PodLimits`]).
#[derive(Debug, Default)]
struct PodTally {
    unproven: usize,
    proven: usize,
    /// A refusal of this pod was reported already.
    warned: bool,
}

/// Runners of one workload by their first success: with a time (sorted by
/// it), and without one (in arrival order).
#[derive(Debug, Default)]
struct Successes {
    timed: Vec<(Timestamp, u64, RunnerId)>,
    untimed: Vec<(u64, RunnerId)>,
}

impl Successes {
    fn add(&mut self, id: RunnerId, at: Stamp) {
        match at.at {
            Some(t) => {
                let i = self
                    .timed
                    .partition_point(|(x, s, _)| (*x, *s) <= (t, at.seq));
                self.timed.insert(i, (t, at.seq, id));
            }
            None => self.untimed.push((at.seq, id)),
        }
    }

    fn remove(&mut self, id: &RunnerId) {
        self.timed.retain(|(_, _, i)| i != id);
        self.untimed.retain(|(_, i)| i != id);
    }

    /// Ids whose first success is [`Stamp::after`] `since`.
    fn after<'a>(&'a self, since: &'a Stamp) -> impl Iterator<Item = RunnerId> + 'a {
        let timed: Box<dyn Iterator<Item = &(Timestamp, u64, RunnerId)>> = match since.at {
            // Both timed: by time, so only the tail can be after.
            Some(t) => {
                Box::new(self.timed[self.timed.partition_point(|(x, _, _)| *x <= t)..].iter())
            }
            // `since` has no time: by arrival.
            None => Box::new(self.timed.iter().filter(move |(_, s, _)| *s > since.seq)),
        };
        timed.map(|(_, _, id)| *id).chain(
            self.untimed
                .iter()
                .filter(move |(s, _)| *s > since.seq)
                .map(|(_, id)| *id),
        )
    }
}

/// (namespace, workload, an id's first [`RunnerId::MIN_LEN`] bytes).
type PrefixKey = (Arc<str>, Arc<str>, [u8; RunnerId::MIN_LEN]);

fn prefix_key(namespace: &Arc<str>, workload: &Arc<str>, id: &RunnerId) -> PrefixKey {
    let mut p = [0u8; RunnerId::MIN_LEN];
    let b = id.as_str().as_bytes();
    let n = b.len().min(RunnerId::MIN_LEN);
    p[..n].copy_from_slice(&b[..n]);
    (namespace.clone(), workload.clone(), p)
}

/// The health of every runner seen.
#[derive(Debug, Default)]
pub struct Tracker {
    config: HealthConfig,
    runners: HashMap<RunnerKey, RunnerHealth>,
    workloads: HashMap<(Arc<str>, Arc<str>), WorkloadFacts>,
    fleet: fleet::FleetWatch,
    seq: u64,
    /// The runner of the previous event.
    last: Option<RunnerKey>,
    /// At most this many runners are tracked.
    max_runners: usize,
    /// How many runners one pod may add.
    pod_limits: PodLimits,
    /// Runners each (namespace, pod) added and still tracked; updated only
    /// when a runner is created, proven or removed.
    pods: HashMap<(Arc<str>, Arc<str>), PodTally>,
    /// New runners refused, per [`Refusal`].
    refused: [u64; 2],
    /// A refusal because of `max_runners` was reported since the tracker
    /// was last below it.
    cap_warned: bool,
    /// Runner ids per (namespace, workload, first [`RunnerId::MIN_LEN`]
    /// characters): ids that [`RunnerId::matches`] share that prefix, so a
    /// new id is matched against a handful, not every runner (linear in
    /// distinct runners, not quadratic).
    by_prefix: HashMap<PrefixKey, Vec<RunnerId>>,
    /// The `system_id` each (namespace, pod) announced.
    system_ids: HashMap<(Arc<str>, Arc<str>), SystemId>,
    /// Runners created so far (the fleet watch's cheap "active" estimate).
    created: u64,
    /// First successes per (namespace, workload), for
    /// [`Tracker::superseded_by`]: a replacement is looked for among the
    /// runners that first succeeded after the old one's last line, not
    /// among every runner (which made diagnosing n bad runners quadratic).
    succeeded: HashMap<(Arc<str>, Arc<str>), Successes>,
    /// (pod, container) that registered a runner with a legacy registration
    /// token and has not named a runner since: the next runner it names is
    /// the one it registered.
    registered_in: HashMap<(Arc<str>, Arc<str>), ()>,
}

/// What [`Tracker::observe`] did with an event.
#[derive(Debug)]
pub struct Observed<'a> {
    /// The runner the event went to.
    pub runner: Option<&'a RunnerHealth>,
    /// The runner was seen for the first time.
    pub created: bool,
    /// A new runner was not tracked, and why.
    pub refused: Option<Refusal>,
    /// This refusal is the first for its pod (`PodLimit`), or the first
    /// since the tracker was last below `max_runners` (`GlobalCap`): worth
    /// a log line, the next ones are not.
    pub first_refusal: bool,
    /// An unproven runner forgotten to make room for this new, proven one
    /// (`max_runners` reached): its series go as on expiry.
    pub evicted: Option<RunnerKey>,
    /// The state change it caused.
    pub transition: Option<Transition>,
}

#[derive(Debug, Default)]
struct Inner {
    key: Option<RunnerKey>,
    created: bool,
    refused: Option<Refusal>,
    first_refusal: bool,
    evicted: Option<RunnerKey>,
    transition: Option<Transition>,
}

impl Tracker {
    /// An empty tracker without limits (offline analysis).
    pub fn new(config: HealthConfig) -> Tracker {
        Tracker::with_limits(config, usize::MAX, PodLimits::NONE)
    }

    /// An empty tracker that tracks at most `max_runners` runners, and at
    /// most [`PodLimits::default`] added by one pod.
    pub fn with_capacity(config: HealthConfig, max_runners: usize) -> Tracker {
        Tracker::with_limits(config, max_runners, PodLimits::default())
    }

    /// An empty tracker that tracks at most `max_runners` runners, and at
    /// most `pod_limits` added by one pod (each limit at least 1).
    pub fn with_limits(config: HealthConfig, max_runners: usize, pod_limits: PodLimits) -> Tracker {
        Tracker {
            config,
            max_runners,
            pod_limits: PodLimits {
                unproven: pod_limits.unproven.max(1),
                proven: pod_limits.proven.max(1),
            },
            ..Tracker::default()
        }
    }

    /// How many runners one pod may add.
    pub fn pod_limits(&self) -> PodLimits {
        self.pod_limits
    }

    /// New runners refused so far, for any reason.
    pub fn refused(&self) -> u64 {
        self.refused.iter().sum()
    }

    /// New runners refused so far for `reason`.
    pub fn refused_for(&self, reason: Refusal) -> u64 {
        self.refused[reason as usize]
    }

    /// Records one event of `origin`, seen at `at`. Returns the state change
    /// it caused, if any.
    pub fn record(
        &mut self,
        origin: &Origin,
        event: &Event,
        at: Option<Timestamp>,
    ) -> Option<Transition> {
        self.record_inner(origin, event, at).transition
    }

    /// [`Tracker::record`], also telling which runner the event went to and
    /// whether it was new or refused (capacity reached).
    pub fn observe(
        &mut self,
        origin: &Origin,
        event: &Event,
        at: Option<Timestamp>,
    ) -> Observed<'_> {
        let inner = self.record_inner(origin, event, at);
        Observed {
            runner: inner.key.as_ref().and_then(|k| self.runners.get(k)),
            created: inner.created,
            refused: inner.refused,
            first_refusal: inner.first_refusal,
            evicted: inner.evicted,
            transition: inner.transition,
        }
    }

    fn record_inner(&mut self, origin: &Origin, event: &Event, at: Option<Timestamp>) -> Inner {
        let mut inner = Inner::default();
        self.seq += 1;
        let stamp = Stamp { at, seq: self.seq };
        self.record_workload(origin, event, stamp);
        if let Detail::SystemId(id) = event.detail {
            self.system_id(origin, id);
            return inner;
        }
        if event.class == Class::RegisterOk && is_registration_token_line(event) {
            if self.registered_in.len() >= 4096 {
                self.registered_in.clear(); // bounded: forgets, never grows
            }
            self.registered_in
                .insert((origin.pod.clone(), origin.container.clone()), ());
        }
        // Fast path: the same runner of the same workload as the last line
        // (the common case) needs one lookup and no key construction.
        let cached = self.last.as_ref().is_some_and(|last| {
            event.runner == Some(last.runner)
                && Arc::ptr_eq(&last.workload, &origin.workload)
                && Arc::ptr_eq(&last.namespace, &origin.namespace)
                && !is_registration_token_line(event)
        });
        let key = match (cached, &self.last) {
            (true, Some(last)) => last.clone(),
            _ => {
                let Some(key) = self.resolve_runner(origin, event) else {
                    return inner;
                };
                if is_registration_token_line(event)
                    && !self.runners.contains_key(&key)
                    && !matches!(
                        event.class,
                        Class::RegisterForbidden | Class::RegisterFailed
                    )
                {
                    // Legacy registration lines name the registration
                    // token; keep an entry only while registration fails.
                    return inner;
                }
                key
            }
        };
        let entry = match self.runners.get_mut(&key) {
            Some(e) => e,
            None => {
                // Only here (a new id), never per line of a known runner.
                let registration_token = is_registration_token_line(event);
                let proven = !registration_token
                    && (binds(event.class)
                        || event.class == Class::JobRequestOk
                        || (!self.registered_in.is_empty()
                            && self
                                .registered_in
                                .contains_key(&(origin.pod.clone(), origin.container.clone()))));
                let (protected, evicted) = match self.admit(origin, proven) {
                    Ok(admitted) => admitted,
                    Err((reason, first)) => {
                        inner.refused = Some(reason);
                        inner.first_refusal = first;
                        self.refused[reason as usize] += 1;
                        return inner;
                    }
                };
                inner.created = true;
                inner.evicted = evicted;
                let mut new = RunnerHealth::new(key.clone(), &origin.pod, stamp);
                new.registration_token = registration_token;
                if !self.system_ids.is_empty() {
                    new.system_id = self
                        .system_ids
                        .get(&(origin.namespace.clone(), origin.pod.clone()))
                        .copied();
                }
                new.protected = protected;
                self.created += 1;
                self.by_prefix
                    .entry(prefix_key(&key.namespace, &key.workload, &key.runner))
                    .or_default()
                    .push(key.runner);
                self.runners.entry(key.clone()).or_insert(new)
            }
        };
        entry.last_seen = stamp;
        entry.counts[event.class.index()] += 1;
        remember(&mut entry.containers, &origin.container);
        let mut proof = event.class == Class::JobRequestOk && !entry.registration_token;
        if binds(event.class) && !entry.registration_token {
            // The pod verified (or rotated) the token it holds: its runner.
            remember(&mut entry.bound_pods, &origin.pod);
            proof = true;
        }
        if !self.registered_in.is_empty()
            && !entry.registration_token
            && self
                .registered_in
                .remove(&(origin.pod.clone(), origin.container.clone()))
                .is_some()
        {
            remember(&mut entry.bound_pods, &origin.pod);
            proof = true;
        }
        if proof && !entry.protected {
            // Proven now: the slot moves to a proven one of the pod that
            // proved it, if that pod has one left (rare: once per runner).
            promote(&mut self.pods, self.pod_limits, entry, &origin.pod);
        }
        if entry.pods.last() != Some(&origin.pod) {
            entry.pods.retain(|p| p != &origin.pod);
            entry.pods.push(origin.pod.clone());
        }
        let from = entry.state;
        let had_success = entry.first_success.is_some();
        let to = apply(entry, event, stamp);
        if !had_success && let Some(first) = entry.first_success {
            self.succeeded
                .entry((entry.key.namespace.clone(), entry.key.workload.clone()))
                .or_default()
                .add(entry.key.runner, first);
        }
        if !cached {
            self.last = Some(key.clone());
        }
        inner.key = Some(key);
        if to == from {
            return inner;
        }
        entry.state = to;
        entry.since = stamp;
        let transition = Transition {
            key: entry.key.clone(),
            pod: origin.pod.clone(),
            from,
            to,
            at: stamp,
            consecutive_forbidden: entry.consecutive_forbidden,
        };
        if to == State::Forbidden && !from.is_token_rejected() {
            self.fleet.onset(
                &self.config,
                &transition.key,
                stamp,
                self.created,
                self.runners.values(),
            );
        }
        inner.transition = Some(transition);
        inner
    }

    fn record_workload(&mut self, origin: &Origin, event: &Event, stamp: Stamp) {
        let relevant = matches!(
            event.detail,
            Detail::Workflow(_) | Detail::RegistrationAttempt { .. }
        ) || matches!(
            event.class,
            Class::RegisterOk | Class::RegisterAborted | Class::RegisterFailed
        );
        if !relevant {
            return;
        }
        let facts = self
            .workloads
            .entry((origin.namespace.clone(), origin.workload.clone()))
            .or_default();
        match (&event.class, &event.detail) {
            (_, Detail::Workflow(w)) => facts.workflow = *w,
            (_, Detail::RegistrationAttempt { attempt, of }) => {
                facts.attempt = Some((*attempt, *of))
            }
            _ => {}
        }
        match event.class {
            Class::RegisterOk => facts.registered_at = Some(stamp),
            Class::RegisterAborted => facts.register_aborted += 1,
            Class::RegisterFailed if event.http_status == Some(410) => {
                facts.registration_disallowed = true
            }
            _ => {}
        }
    }

    /// `Created missing unique system ID` in a pod: the runner manager of
    /// every runner that pod runs (a runner process has one `system_id`).
    fn system_id(&mut self, origin: &Origin, id: SystemId) {
        if self.system_ids.len() >= 4096 {
            self.system_ids.clear(); // bounded: forgets, never grows
        }
        self.system_ids
            .insert((origin.namespace.clone(), origin.pod.clone()), id);
        for r in self.runners.values_mut() {
            if r.key.namespace == origin.namespace && r.current_pod() == &*origin.pod {
                r.system_id = Some(id);
            }
        }
    }

    /// The key an event belongs to. Ids are matched across runner versions
    /// (8 vs 9 characters); a lockout that names no known runner goes to the
    /// runner of the same pod that was rejected last.
    fn resolve_runner(&self, origin: &Origin, event: &Event) -> Option<RunnerKey> {
        let key = |runner| RunnerKey {
            namespace: origin.namespace.clone(),
            workload: origin.workload.clone(),
            runner,
        };
        let in_workload = |r: &&RunnerHealth| {
            r.key.namespace == origin.namespace && r.key.workload == origin.workload
        };
        if let Some(id) = event.runner {
            let exact = key(id);
            if self.runners.contains_key(&exact) {
                return Some(exact);
            }
            if let Some(known) = self
                .by_prefix
                .get(&prefix_key(&origin.namespace, &origin.workload, &id))
                .and_then(|ids| ids.iter().find(|r| r.matches(&id)))
            {
                return Some(key(*known));
            }
            if event.class != Class::RunnerUnhealthy && event.class != Class::RunnerUnhealthyRecheck
            {
                return Some(exact);
            }
        }
        if matches!(
            event.class,
            Class::RunnerUnhealthy | Class::RunnerUnhealthyRecheck
        ) {
            return self
                .runners
                .values()
                .filter(in_workload)
                .filter(|r| r.current_pod() == &*origin.pod)
                .filter_map(|r| r.last_unhealthy.map(|f| (f.seq, r)))
                .max_by_key(|(seq, _)| *seq)
                .map(|(_, r)| r.key.clone())
                .or_else(|| event.runner.map(key));
        }
        None
    }

    /// One runner.
    pub fn get(&self, key: &RunnerKey) -> Option<&RunnerHealth> {
        self.runners.get(key)
    }

    /// Every runner, in a stable order (worst state first).
    pub fn runners(&self) -> Vec<&RunnerHealth> {
        let mut v: Vec<&RunnerHealth> = self.runners.values().collect();
        v.sort_by(|a, b| {
            (
                b.state.is_bad(),
                &a.key.namespace,
                &a.key.workload,
                a.key.runner,
            )
                .cmp(&(
                    a.state.is_bad(),
                    &b.key.namespace,
                    &b.key.workload,
                    b.key.runner,
                ))
        });
        v
    }

    /// Number of tracked runners.
    pub fn len(&self) -> usize {
        self.runners.len()
    }

    /// No runner tracked yet.
    pub fn is_empty(&self) -> bool {
        self.runners.is_empty()
    }

    /// Forgets a runner (its pod is gone and its TTL expired, or it was
    /// evicted).
    pub fn remove(&mut self, key: &RunnerKey) -> Option<RunnerHealth> {
        let r = self.forget(key)?;
        if self.runners.len() < self.max_runners {
            self.cap_warned = false;
        }
        Some(r)
    }

    /// [`Tracker::remove`], and its pod's slot is free again.
    fn forget(&mut self, key: &RunnerKey) -> Option<RunnerHealth> {
        self.fleet.forget(key);
        if self.last.as_ref() == Some(key) {
            self.last = None;
        }
        let r = self.runners.remove(key)?;
        if r.first_success.is_some()
            && let Some(list) = self
                .succeeded
                .get_mut(&(key.namespace.clone(), key.workload.clone()))
        {
            list.remove(&key.runner);
        }
        let pk = prefix_key(&key.namespace, &key.workload, &key.runner);
        if let Some(ids) = self.by_prefix.get_mut(&pk) {
            ids.retain(|i| *i != key.runner);
            if ids.is_empty() {
                self.by_prefix.remove(&pk);
            }
        }
        let slot = (r.key.namespace.clone(), r.charged_to.clone());
        if let Some(t) = self.pods.get_mut(&slot) {
            if r.protected {
                t.proven = t.proven.saturating_sub(1);
            } else {
                t.unproven = t.unproven.saturating_sub(1);
            }
            if t.proven == 0 && t.unproven == 0 {
                self.pods.remove(&slot);
            }
        }
        Some(r)
    }

    /// Whether a new runner of `origin` may be tracked, and with which slot
    /// (`true`: proven). At `max_runners`, a proven newcomer evicts the
    /// least recently seen unproven runner of the pod with the most
    /// unproven runners (returned, to drop its series); proven runners are
    /// never evicted. Refusals carry whether they are the first worth
    /// reporting.
    fn admit(
        &mut self,
        origin: &Origin,
        proven: bool,
    ) -> Result<(bool, Option<RunnerKey>), (Refusal, bool)> {
        let slot = (origin.namespace.clone(), origin.pod.clone());
        let (unproven, proven_n) = self
            .pods
            .get(&slot)
            .map_or((0, 0), |t| (t.unproven, t.proven));
        let protected = proven && proven_n < self.pod_limits.proven;
        if !protected && unproven >= self.pod_limits.unproven {
            // The pod's tally exists: the limit is at least 1.
            let first = self
                .pods
                .get_mut(&slot)
                .is_some_and(|t| !std::mem::replace(&mut t.warned, true));
            return Err((Refusal::PodLimit, first));
        }
        let mut evicted = None;
        if self.runners.len() >= self.max_runners {
            let victim = if protected {
                self.eviction_victim()
            } else {
                None
            };
            let Some(victim) = victim else {
                let first = !std::mem::replace(&mut self.cap_warned, true);
                return Err((Refusal::GlobalCap, first));
            };
            // Still full after this: a refusal warned of stays warned of.
            self.forget(&victim);
            evicted = Some(victim);
        }
        let t = self.pods.entry(slot).or_default();
        if protected {
            t.proven += 1;
        } else {
            t.unproven += 1;
        }
        Ok((protected, evicted))
    }

    /// The runner to forget for a proven newcomer at `max_runners`: the
    /// least recently seen unproven runner of the pod with the most
    /// unproven runners (the pod most likely to be making ids up). A scan,
    /// only when the table is full and a proven runner is new.
    fn eviction_victim(&self) -> Option<RunnerKey> {
        let ((namespace, pod), _) = self
            .pods
            .iter()
            .filter(|(_, t)| t.unproven > 0)
            .max_by(|(a, x), (b, y)| x.unproven.cmp(&y.unproven).then_with(|| b.cmp(a)))?;
        self.runners
            .values()
            .filter(|r| !r.protected && r.charged_to == *pod && r.key.namespace == *namespace)
            .min_by_key(|r| r.last_seen.seq)
            .map(|r| r.key.clone())
    }

    /// Facts about a workload.
    pub fn workload(&self, namespace: &str, workload: &str) -> Option<&WorkloadFacts> {
        self.workloads
            .iter()
            .find(|((n, w), _)| &**n == namespace && &**w == workload)
            .map(|(_, f)| f)
    }

    /// The fleet-wide incident this runner is part of, if any.
    pub fn fleet_incident(&self, key: &RunnerKey) -> Option<&FleetIncident> {
        self.fleet.incident_of(key)
    }

    /// Every fleet-wide incident detected.
    pub fn fleet_incidents(&self) -> &[FleetIncident] {
        self.fleet.incidents()
    }

    /// The runner that replaced `key` in its workload: a different runner
    /// that succeeded in a pod `key` never ran in, after `key`'s last line.
    /// This is what the runbook's fix looks like (new pod, new runner id).
    pub fn superseded_by(&self, key: &RunnerKey) -> Option<&RunnerHealth> {
        let old = self.runners.get(key)?;
        let list = self
            .succeeded
            .get(&(key.namespace.clone(), key.workload.clone()))?;
        list.after(&old.last_seen)
            .filter_map(|id| {
                self.runners.get(&RunnerKey {
                    namespace: key.namespace.clone(),
                    workload: key.workload.clone(),
                    runner: id,
                })
            })
            .filter(|r| {
                r.key != *key
                    && !r.registration_token
                    && r.state == State::Healthy
                    && !r.pods.iter().any(|p| old.pods.contains(p))
                    && r.first_success.is_some_and(|s| s.after(&old.last_seen))
            })
            .min_by_key(|r| r.first_success.map(|s| s.seq))
    }

    /// The words for one runner; `now` bounds "for how long".
    pub fn diagnose(&self, key: &RunnerKey, now: Option<Timestamp>) -> Option<Diagnosis> {
        let r = self.runners.get(key)?;
        Some(diagnosis::diagnose(self, r, now))
    }
}

/// A runner as the remediation controller sees it: a plain copy, free of
/// the tracker's borrows.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerView {
    /// Identity.
    pub key: RunnerKey,
    /// Pods that logged it, oldest first; the last is current.
    pub pods: Vec<Arc<str>>,
    /// State.
    pub state: State,
    /// When the state began.
    pub since: Option<Timestamp>,
    /// First 403 since the last success.
    pub first_forbidden: Option<Timestamp>,
    /// Last 403.
    pub last_forbidden: Option<Timestamp>,
    /// 403s since the last success.
    pub consecutive_forbidden: u64,
    /// First success ever.
    pub first_success: Option<Timestamp>,
    /// Last success.
    pub last_success: Option<Timestamp>,
    /// Successful job requests.
    pub job_requests_ok: u64,
    /// First line.
    pub first_seen: Option<Timestamp>,
    /// Last line.
    pub last_seen: Option<Timestamp>,
    /// Registration workflow: the runner's own evidence, else the workload's.
    pub workflow: Workflow,
    /// The id is a registration token's.
    pub registration_token: bool,
    /// Part of a fleet-wide rejection.
    pub fleet_incident: bool,
    /// Replaced by a newer runner of the workload.
    pub superseded_by: Option<RunnerId>,
    /// Verifications rejected since the last success (a `glrt-` pod that
    /// crash-loops on a dead token).
    pub verify_rejections: u64,
    /// First rejected verification since the last success.
    pub first_verify_rejected: Option<Timestamp>,
    /// The diagnosis code.
    pub finding: crate::health::Finding,
    /// After `Resetting runner authentication token... succeeded`: the id
    /// the runner logged next in the same pod (its token's new short id,
    /// which is how GitLab knows the runner now).
    pub rotated_to: Option<RunnerId>,
    /// Containers whose lines named this runner.
    pub containers: Vec<Arc<str>>,
    /// Pods that registered or verified this runner by their own lines.
    pub bound_pods: Vec<Arc<str>>,
}

impl RunnerView {
    /// A runner nothing is known about yet (state `unknown`, no pods, no
    /// lines); fill in what is known with struct update syntax.
    pub fn new(key: RunnerKey) -> RunnerView {
        RunnerView {
            key,
            pods: Vec::new(),
            state: State::Unknown,
            since: None,
            first_forbidden: None,
            last_forbidden: None,
            consecutive_forbidden: 0,
            first_success: None,
            last_success: None,
            job_requests_ok: 0,
            first_seen: None,
            last_seen: None,
            workflow: Workflow::Unknown,
            registration_token: false,
            fleet_incident: false,
            superseded_by: None,
            verify_rejections: 0,
            first_verify_rejected: None,
            finding: Finding::Unknown,
            rotated_to: None,
            containers: Vec::new(),
            bound_pods: Vec::new(),
        }
    }

    /// The pod that logged it last.
    pub fn pod(&self) -> &str {
        self.pods.last().map_or("", |p| p)
    }
}

impl Tracker {
    /// Every runner, as plain views (for the remediation controller).
    pub fn views(&self) -> Vec<RunnerView> {
        let mut views = self.views_without_findings();
        for v in &mut views {
            if let Some(d) = self.diagnose(&v.key, None) {
                v.finding = d.finding;
            }
        }
        views
    }

    /// The first other runner of `r`'s workload seen in one of its pods
    /// after `reset`.
    fn successor(&self, r: &RunnerHealth, reset: &Stamp) -> Option<RunnerId> {
        self.runners
            .values()
            .filter(|o| {
                o.key != r.key
                    && o.key.namespace == r.key.namespace
                    && o.key.workload == r.key.workload
                    && !o.registration_token
                    && o.first_seen.after(reset)
                    && o.pods.iter().any(|p| r.pods.contains(p))
            })
            .min_by_key(|o| o.first_seen.seq)
            .map(|o| o.key.runner)
    }

    /// [`Tracker::views`] with `finding` left `Unknown`, for a caller that
    /// has the diagnoses already (the daemon's snapshot).
    pub fn views_without_findings(&self) -> Vec<RunnerView> {
        self.runners
            .values()
            .map(|r| {
                let workflow = match r.workflow {
                    Workflow::Unknown => self
                        .workload(&r.key.namespace, &r.key.workload)
                        .map_or(Workflow::Unknown, |f| f.workflow),
                    w => w,
                };
                RunnerView {
                    key: r.key.clone(),
                    pods: r.pods.clone(),
                    state: r.state,
                    since: r.since.at,
                    first_forbidden: r.first_forbidden.and_then(|s| s.at),
                    last_forbidden: r.last_forbidden.and_then(|s| s.at),
                    consecutive_forbidden: r.consecutive_forbidden,
                    first_success: r.first_success.and_then(|s| s.at),
                    last_success: r.last_success.and_then(|s| s.at),
                    job_requests_ok: r.count(Class::JobRequestOk),
                    first_seen: r.first_seen.at,
                    last_seen: r.last_seen.at,
                    workflow,
                    registration_token: r.registration_token,
                    fleet_incident: self.fleet_incident(&r.key).is_some(),
                    superseded_by: r
                        .state
                        .is_bad()
                        .then(|| self.superseded_by(&r.key).map(|n| n.key.runner))
                        .flatten(),
                    verify_rejections: r.verify_rejections,
                    first_verify_rejected: r.first_verify_rejected.and_then(|s| s.at),
                    finding: Finding::Unknown,
                    rotated_to: r.token_reset_at.and_then(|reset| self.successor(r, &reset)),
                    containers: r.containers.clone(),
                    bound_pods: r.bound_pods.clone(),
                }
            })
            .collect()
    }
}

/// Lines by which a pod shows that it holds the runner's token: it
/// verified it (valid or not) or rotated it.
fn binds(class: Class) -> bool {
    matches!(
        class,
        Class::VerifyOk | Class::VerifyRemoved | Class::TokenResetOk
    )
}

/// Moves a runner that just got its proof from an unproven slot to a proven
/// slot of `pod`, the pod that proved it, while that pod has one left;
/// otherwise it stays unproven (and evictable).
fn promote(
    pods: &mut HashMap<(Arc<str>, Arc<str>), PodTally>,
    limits: PodLimits,
    r: &mut RunnerHealth,
    pod: &Arc<str>,
) {
    let to = (r.key.namespace.clone(), pod.clone());
    if pods.get(&to).is_some_and(|t| t.proven >= limits.proven) {
        return;
    }
    let from = (r.key.namespace.clone(), r.charged_to.clone());
    if let Some(t) = pods.get_mut(&from) {
        t.unproven = t.unproven.saturating_sub(1);
        if t.unproven == 0 && t.proven == 0 {
            pods.remove(&from);
        }
    }
    pods.entry(to).or_default().proven += 1;
    r.charged_to = pod.clone();
    r.protected = true;
}

/// Lines whose `runner=` is the registration token (legacy `register`).
fn is_registration_token_line(event: &Event) -> bool {
    match event.class {
        Class::RegisterForbidden | Class::RegisterFailed => true,
        Class::RegisterOk => matches!(event.detail, Detail::Workflow(Workflow::Legacy)),
        _ => false,
    }
}

/// The state machine: the new state after `event`.
fn apply(r: &mut RunnerHealth, event: &Event, at: Stamp) -> State {
    if let Detail::Workflow(w) = event.detail
        && !r.registration_token
    {
        r.workflow = w;
    }
    if event.class.is_success() {
        if r.first_success.is_none() {
            r.first_success = Some(at);
        }
        r.last_success = Some(at);
        r.consecutive_forbidden = 0;
        r.first_forbidden = None;
        r.verify_rejections = 0;
        r.first_verify_rejected = None;
        r.proxy_forbidden = false;
        r.lockouts = 0;
        r.lockout_cause = None;
        r.pending = [0; 4];
        r.router_errors = 0;
        r.unavailable = 0;
        r.causes = [0; Cause::COUNT];
        if event.class == Class::TokenResetOk {
            r.token_reset_at = Some(at);
        }
        return State::Healthy;
    }
    let failure = |r: &mut RunnerHealth| {
        r.last_status = event.http_status.or(r.last_status);
        r.last_cause = event.cause.or(r.last_cause);
        if let Some(c) = event.cause {
            r.causes[c.index()] += 1;
        }
    };
    let rejected = |r: &mut RunnerHealth| {
        failure(r);
        r.consecutive_forbidden = r.consecutive_forbidden.saturating_add(1);
        r.first_forbidden.get_or_insert(at);
        r.last_forbidden = Some(at);
        counted(r, LockoutCause::Token, at);
        // A 403 after a lockout means the lockout ended without success.
        State::Forbidden
    };
    match event.class {
        Class::JobRequestForbidden => {
            r.proxy_forbidden = matches!(event.detail, Detail::ProxyStatus);
            rejected(r)
        }
        Class::JobRouterError => match event.detail {
            Detail::Router(code) if code.is_token_rejection() => {
                r.proxy_forbidden = false;
                r.last_router_code = Some(code);
                rejected(r)
            }
            // Unreachable router: gitlab-runner counts these toward its
            // circuit breaker, not toward the runner's health.
            Detail::Router(code) if code.is_transient() => {
                failure(r);
                r.last_router_code = Some(code);
                unavailable(r)
            }
            detail => {
                failure(r);
                if let Detail::Router(code) = detail {
                    r.last_router_code = Some(code);
                }
                r.router_errors = r.router_errors.saturating_add(1);
                counted(r, LockoutCause::JobRouter, at);
                unavailable(r)
            }
        },
        Class::ExecutorUnknown => {
            counted(r, LockoutCause::Executor, at);
            r.state
        }
        Class::RunnerUnhealthy => {
            r.lockouts = r.lockouts.saturating_add(1);
            r.locked_out_at = Some(at);
            if let Detail::Lockout { duration } = event.detail {
                r.lockout_for = duration.or(r.lockout_for);
            }
            let cause = LockoutCause::decide(&r.pending);
            r.pending = [0; 4];
            if cause != LockoutCause::Unexplained || r.lockout_cause.is_none() {
                r.lockout_cause = Some(cause);
            }
            State::LockedOut
        }
        Class::RunnerUnhealthyRecheck => {
            r.pending = [0; 4];
            if r.state == State::LockedOut && r.lockout_cause == Some(LockoutCause::Token) {
                State::Forbidden
            } else {
                r.state
            }
        }
        Class::TokenResetFailed => {
            r.token_reset_failed_at = Some(at);
            r.state
        }
        Class::TokenExpiring => {
            r.token_expiring_at = Some(at);
            r.state
        }
        Class::VerifyRemoved => {
            failure(r);
            r.verify_rejections += 1;
            r.first_verify_rejected.get_or_insert(at);
            State::RegistrationFailing
        }
        Class::RegisterForbidden | Class::TokenMissing => {
            failure(r);
            State::RegistrationFailing
        }
        Class::RegisterFailed => {
            failure(r);
            let server_or_network = event.http_status.is_none_or(|s| s >= 500 || s == 429);
            if server_or_network && event.cause.is_some() {
                unavailable(r)
            } else {
                State::RegistrationFailing
            }
        }
        Class::JobRequestClientError => {
            failure(r);
            counted(r, LockoutCause::ClientError, at);
            unavailable(r)
        }
        Class::JobRequestUnavailable | Class::VerifyFailed => {
            failure(r);
            unavailable(r)
        }
        Class::JobRequestFailed => {
            failure(r);
            // 5xx, 429 and transport errors; a 409 or another 4xx is not an outage.
            match event.http_status {
                Some(s) if s < 500 && s != 429 => r.state,
                _ => unavailable(r),
            }
        }
        _ => r.state,
    }
}

/// A request that gitlab-runner counted as unhealthy, toward the cause of
/// the next lockout.
fn counted(r: &mut RunnerHealth, cause: LockoutCause, at: Stamp) {
    let slot = &mut r.pending[cause.index()];
    *slot = slot.saturating_add(1);
    r.last_unhealthy = Some(at);
}

/// An outage does not overwrite a latched token or registration failure:
/// the token is no more valid because GitLab is down.
fn unavailable(r: &mut RunnerHealth) -> State {
    r.unavailable += 1;
    match r.state {
        State::Unknown | State::Healthy | State::GitlabUnavailable => State::GitlabUnavailable,
        bad => bad,
    }
}

#[cfg(test)]
mod tests;
