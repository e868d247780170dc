//! Every Prometheus metric runner-medic exports: one [`Metrics`] struct,
//! registered once, one method per observable fact.
//!
//! Names follow the prometheus-client conventions: registered without
//! `_total` and without units (the encoder adds them), one root prefix
//! `runner_medic`. Labels are bounded: `namespace`, `workload`, `runner`
//! (capped by `max_runners`), closed enums, and `pod` only on
//! `runner_state`, where an alert needs it. Never a message, path or job id.
//!
//! Per-runner series are created together when a runner is first seen
//! (every class at 0, so `increase()` works from the first event) and
//! removed together when the runner is forgotten ([`RunnerSeries`]).

use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use crate::event::Class;
use crate::health::{Finding, Refusal, RunnerKey, State};

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

// === label types ===

impl EncodeLabelValue for Class {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), e)
    }
}

impl EncodeLabelValue for Finding {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), e)
    }
}

/// How a request ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `accepted`, `unauthorized`, `malformed`, ...
    pub result: &'static str,
}

/// A runner's diagnosis.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DiagnosisLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// Runner short id.
    pub runner: Arc<str>,
    /// Finding code.
    pub diagnosis: Finding,
}

impl EncodeLabelValue for State {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), e)
    }
}

impl EncodeLabelValue for Refusal {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), e)
    }
}

/// Why a runner id was not tracked.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// `global_cap` or `pod_limit`.
    pub reason: Refusal,
}

/// One runner.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunnerLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// Runner short id.
    pub runner: Arc<str>,
}

/// One runner and one class.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// Runner short id (empty for lines that name no runner).
    pub runner: Arc<str>,
    /// Event class.
    pub class: Class,
}

/// One runner in one pod and one state.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// The pod that logged the runner last.
    pub pod: Arc<str>,
    /// Runner short id.
    pub runner: Arc<str>,
    /// State.
    pub state: State,
}

/// One runner in one pod.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunnerPodLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// The pod that logged the runner last.
    pub pod: Arc<str>,
    /// Runner short id.
    pub runner: Arc<str>,
}

/// Why a log stream was reopened.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, missing_docs)]
pub enum ReconnectReason {
    /// The connection failed or was cut.
    error,
    /// The stream ended while the container still ran (kubelet restart,
    /// its 4 h limit, log rotation).
    eof,
    /// No byte for longer than the silence timeout.
    silence,
    /// Proactive reconnect after the maximum stream age.
    max_age,
    /// The container restarted: the next instance is followed.
    restart,
    /// The API answered 400: the container is waiting to start.
    waiting,
    /// The API answered 429 or 5xx.
    throttled,
}

/// [`ReconnectReason`] as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// The reason.
    pub reason: ReconnectReason,
}

/// What a container stream is doing.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, missing_docs)]
pub enum StreamState {
    /// Connected and reading.
    following,
    /// Waiting for a free stream slot (`max_streams`).
    queued,
    /// Waiting before a reconnect after a log API error.
    backoff,
    /// The container is not running (waiting to start, crash-looping):
    /// nothing to read until it starts.
    waiting,
}

impl StreamState {
    /// Every state.
    pub const ALL: [StreamState; 4] = [
        StreamState::following,
        StreamState::queued,
        StreamState::backoff,
        StreamState::waiting,
    ];
}

/// [`StreamState`] as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StreamLabels {
    /// The state.
    pub state: StreamState,
}

/// A bounded queue that counts what it could not take.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, missing_docs)]
pub enum Channel {
    /// State transitions on their way to remediation.
    transitions,
}

/// [`Channel`] as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    /// The channel.
    pub channel: Channel,
}

/// A state, as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToLabels {
    /// The new state.
    pub to: State,
}

/// A remediation outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RemediationLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// `restart`, `reregister`, `rotate`, `recreate`.
    pub strategy: &'static str,
    /// `succeeded` or `failed`.
    pub result: &'static str,
}

/// A remediation decision.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// `act`, `dry_run` or `refuse`.
    pub verdict: &'static str,
    /// The check that refused (`none` when all passed).
    pub check: &'static str,
}

/// A workload.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkloadLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
}

/// A strategy.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StrategyLabels {
    /// Strategy.
    pub strategy: &'static str,
}

/// A GitLab API call.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GitlabLabels {
    /// Which call (`version`, `graphql_runners`, `delete_runner`, ...).
    pub endpoint: &'static str,
    /// `2xx`, `4xx`, `5xx` or `error` (no answer).
    pub status_class: &'static str,
}

/// Build information.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    /// Crate version.
    pub version: &'static str,
}

// === the metrics ===

/// Every `result` of `runner_medic_webhook_requests_total`.
pub const WEBHOOK_RESULTS: [&str; 8] = [
    "accepted",
    "resolved",
    "unauthorized",
    "too_large",
    "malformed",
    "unknown_runner",
    "other_cluster",
    "busy",
];

/// Every metric family. Cheap to clone (handles are shared).
#[derive(Debug, Clone)]
pub struct Metrics {
    log_events: Family<EventLabels, Counter>,
    runner_state: Family<StateLabels, Gauge>,
    runner_state_since: Family<RunnerPodLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    runner_last_success: Family<RunnerLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    runner_consecutive_forbidden: Family<RunnerLabels, Gauge>,
    runner_replaced: Family<RunnerLabels, Gauge>,
    runner_diagnosis: Family<DiagnosisLabels, Gauge>,
    transitions: Family<ToLabels, Counter>,
    tracked_runners: Gauge,
    runners_refused: Family<RefusalLabels, Counter>,
    lines: Counter,
    bytes: Counter,
    truncated: Counter,
    invalid_utf8: Counter,
    deduplicated: Counter,
    resumed: Counter,
    reconnects: Family<ReasonLabels, Counter>,
    streams: Family<StreamLabels, Gauge>,
    gaps: Counter,
    overflows: Family<ChannelLabels, Counter>,
    line_delay: Histogram,
    pods: Gauge,
    remediations: Family<RemediationLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    in_progress: Gauge,
    circuit_open: Family<WorkloadLabels, Gauge>,
    gitlab_disagrees: Family<RunnerLabels, Gauge>,
    remediation_duration: Family<StrategyLabels, Histogram>,
    gitlab_requests: Family<GitlabLabels, Counter>,
    webhook_requests: Family<ResultLabels, Counter>,
    leader: Gauge,
}

impl Metrics {
    /// Registers every family in `registry` (give it the `runner_medic`
    /// prefix: [`Metrics::new_registry`]).
    pub fn register(registry: &mut Registry) -> Metrics {
        let m = Metrics {
            log_events: Family::default(),
            runner_state: Family::default(),
            runner_state_since: Family::default(),
            runner_last_success: Family::default(),
            runner_consecutive_forbidden: Family::default(),
            runner_replaced: Family::default(),
            runner_diagnosis: Family::default(),
            transitions: Family::default(),
            tracked_runners: Gauge::default(),
            runners_refused: Family::default(),
            lines: Counter::default(),
            bytes: Counter::default(),
            truncated: Counter::default(),
            invalid_utf8: Counter::default(),
            deduplicated: Counter::default(),
            resumed: Counter::default(),
            reconnects: Family::default(),
            streams: Family::default(),
            gaps: Counter::default(),
            overflows: Family::default(),
            // 100 µs .. ~6.5 s
            line_delay: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.0001, 3.0, 11,
            )),
            pods: Gauge::default(),
            remediations: Family::default(),
            decisions: Family::default(),
            in_progress: Gauge::default(),
            circuit_open: Family::default(),
            gitlab_disagrees: Family::default(),
            // 5 s .. ~40 min
            remediation_duration: Family::new_with_constructor(|| {
                Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                    5.0, 2.0, 10,
                ))
            }),
            gitlab_requests: Family::default(),
            webhook_requests: Family::default(),
            leader: Gauge::default(),
        };
        let r = registry;
        // Registered first and counted last by the pipeline: a scrape that
        // sees log_lines_total = N also sees the effects of those N lines.
        r.register(
            "log_lines",
            "Log lines read from all streams",
            m.lines.clone(),
        );
        r.register(
            "log_events",
            "Classified runner log lines per runner and class",
            m.log_events.clone(),
        );
        r.register(
            "runner_state",
            "1 for the runner's current health state, 0 for the others",
            m.runner_state.clone(),
        );
        r.register_with_unit(
            "runner_state_since_timestamp",
            "When the runner entered its current state (Unix time)",
            Unit::Seconds,
            m.runner_state_since.clone(),
        );
        r.register_with_unit(
            "runner_last_success_timestamp",
            "Last successful request of the runner (Unix time)",
            Unit::Seconds,
            m.runner_last_success.clone(),
        );
        r.register(
            "runner_consecutive_forbidden",
            "Job requests rejected with 403 since the runner's last success",
            m.runner_consecutive_forbidden.clone(),
        );
        r.register(
            "runner_replaced",
            "1 once another runner replaced this one in its workload (new pod, new runner id, polling): the fix worked; its other series stay until runner_ttl",
            m.runner_replaced.clone(),
        );
        r.register(
            "runner_diagnosis",
            "1 for the runner's current diagnosis (one series per runner; the label says what is wrong)",
            m.runner_diagnosis.clone(),
        );
        r.register(
            "runner_transitions",
            "Runner health state changes, by new state",
            m.transitions.clone(),
        );
        r.register(
            "tracked_runners",
            "Runners whose health is tracked",
            m.tracked_runners.clone(),
        );
        r.register(
            "runners_refused",
            "New runner ids not tracked, by reason: global_cap (max_runners reached) or pod_limit (the pod named more ids than one pod runs)",
            m.runners_refused.clone(),
        );
        r.register_with_unit(
            "log",
            "Log bytes read from all streams",
            Unit::Bytes,
            m.bytes.clone(),
        );
        r.register(
            "log_lines_truncated",
            "Log lines longer than 64 KiB, cut",
            m.truncated.clone(),
        );
        r.register(
            "log_lines_invalid_utf8",
            "Log lines that were not valid UTF-8 (decoded lossily)",
            m.invalid_utf8.clone(),
        );
        r.register(
            "log_lines_deduplicated",
            "Lines the log API sent again after a reconnect, dropped",
            m.deduplicated.clone(),
        );
        r.register(
            "log_lines_resumed",
            "Lines a previous run had counted, read again after a restart to rebuild health and not counted again",
            m.resumed.clone(),
        );
        r.register(
            "log_stream_reconnects",
            "Container log streams reopened, by reason",
            m.reconnects.clone(),
        );
        r.register(
            "log_streams",
            "Container log streams, by state",
            m.streams.clone(),
        );
        r.register(
            "log_gaps",
            "Container instances whose logs could not be read (restarted twice while away)",
            m.gaps.clone(),
        );
        r.register(
            "channel_overflows",
            "Items a full internal queue had to drop",
            m.overflows.clone(),
        );
        r.register_with_unit(
            "log_line_delay",
            "Time from reading a line to its effect on the metrics",
            Unit::Seconds,
            m.line_delay.clone(),
        );
        r.register("watched_pods", "Runner pods being followed", m.pods.clone());
        r.register(
            "remediations",
            "Remediations carried out, by strategy and verified result",
            m.remediations.clone(),
        );
        r.register(
            "remediation_decisions",
            "Remediation decisions, by verdict and the check that refused",
            m.decisions.clone(),
        );
        r.register(
            "remediation_in_progress",
            "1 while a remediation runs",
            m.in_progress.clone(),
        );
        r.register(
            "remediation_circuit_open",
            "1 when a workload's remediation circuit breaker is open (a person must reset it)",
            m.circuit_open.clone(),
        );
        r.register(
            "runner_gitlab_disagrees",
            "1 while GitLab heard from a runner after the rejections its log shows: forged log lines, or something between the pod and GitLab answering 403",
            m.gitlab_disagrees.clone(),
        );
        r.register_with_unit(
            "remediation_duration",
            "Time from the start of a remediation to its verified end",
            Unit::Seconds,
            m.remediation_duration.clone(),
        );
        r.register(
            "gitlab_requests",
            "GitLab API requests, by endpoint and status class",
            m.gitlab_requests.clone(),
        );
        r.register(
            "leader",
            "1 when this replica holds the remediation lease",
            m.leader.clone(),
        );
        r.register(
            "webhook_requests",
            "Alertmanager webhook requests, by result",
            m.webhook_requests.clone(),
        );
        r.register(
            "build",
            "runner-medic build information",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        // Known label sets are exported as 0 from the start.
        for state in StreamState::ALL {
            let _ = m.streams.get_or_create(&StreamLabels { state });
        }
        for reason in [
            ReconnectReason::error,
            ReconnectReason::eof,
            ReconnectReason::silence,
            ReconnectReason::max_age,
            ReconnectReason::restart,
            ReconnectReason::waiting,
            ReconnectReason::throttled,
        ] {
            let _ = m.reconnects.get_or_create(&ReasonLabels { reason });
        }
        let _ = m.overflows.get_or_create(&ChannelLabels {
            channel: Channel::transitions,
        });
        for to in State::ALL {
            let _ = m.transitions.get_or_create(&ToLabels { to });
        }
        for reason in Refusal::ALL {
            let _ = m.runners_refused.get_or_create(&RefusalLabels { reason });
        }
        for result in WEBHOOK_RESULTS {
            let _ = m.webhook_requests.get_or_create(&ResultLabels { result });
        }
        m
    }

    /// A registry with runner-medic's prefix, and the metrics in it.
    pub fn new_registry() -> (Registry, Metrics) {
        let mut registry = Registry::with_prefix("runner_medic");
        let metrics = Metrics::register(&mut registry);
        (registry, metrics)
    }

    /// Encodes `registry` in the OpenMetrics text format.
    pub fn encode(registry: &Registry) -> String {
        let mut out = String::with_capacity(64 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, registry);
        out
    }

    // === facts ===

    /// A line was read from a stream.
    pub fn line_read(&self, bytes: usize, truncated: bool, invalid_utf8: bool) {
        self.lines.inc();
        self.bytes.inc_by(bytes as u64 + 1);
        if truncated {
            self.truncated.inc();
        }
        if invalid_utf8 {
            self.invalid_utf8.inc();
        }
    }

    /// A line's effect is visible `secs` after it was read.
    pub fn line_processed(&self, secs: f64) {
        self.line_delay.observe(secs);
    }

    /// A line counted by a previous run was replayed into health only.
    pub fn resumed(&self) {
        self.resumed.inc();
    }

    /// Replayed lines were dropped after a reconnect.
    pub fn deduplicated(&self, n: u64) {
        self.deduplicated.inc_by(n);
    }

    /// A stream was reopened.
    pub fn reconnect(&self, reason: ReconnectReason) {
        self.reconnects
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// A stream changed state (`from` is `None` for a new stream, `to` is
    /// `None` for a stream that ended).
    pub fn stream_state(&self, from: Option<StreamState>, to: Option<StreamState>) {
        if let Some(state) = from {
            self.streams.get_or_create(&StreamLabels { state }).dec();
        }
        if let Some(state) = to {
            self.streams.get_or_create(&StreamLabels { state }).inc();
        }
    }

    /// Container instances whose logs are lost.
    pub fn gaps(&self, n: u64) {
        self.gaps.inc_by(n);
    }

    /// Number of pods followed.
    pub fn pods(&self, n: usize) {
        self.pods.set(n as i64);
    }

    /// A queue dropped an item.
    pub fn overflow(&self, channel: Channel) {
        self.overflows
            .get_or_create(&ChannelLabels { channel })
            .inc();
    }

    /// A runner changed state.
    pub fn transition(&self, to: State) {
        self.transitions.get_or_create(&ToLabels { to }).inc();
    }

    /// A new runner id was not tracked because `max_runners` was reached
    /// ([`Metrics::runner_refused_for`] with [`Refusal::GlobalCap`]).
    pub fn runner_refused(&self) {
        self.runner_refused_for(Refusal::GlobalCap);
    }

    /// A new runner id was not tracked, for `reason`.
    pub fn runner_refused_for(&self, reason: Refusal) {
        self.runners_refused
            .get_or_create(&RefusalLabels { reason })
            .inc();
    }

    /// A GitLab request finished.
    pub fn gitlab_request(&self, endpoint: &'static str, status_class: &'static str) {
        self.gitlab_requests
            .get_or_create(&GitlabLabels {
                endpoint,
                status_class,
            })
            .inc();
    }

    /// A remediation decision was taken.
    pub fn decision(
        &self,
        namespace: &str,
        workload: &str,
        verdict: &'static str,
        check: &'static str,
    ) {
        self.decisions
            .get_or_create(&DecisionLabels {
                namespace: namespace.into(),
                workload: workload.into(),
                verdict,
                check,
            })
            .inc();
    }

    /// A remediation starts: its outcome series exist at 0 from now on, so
    /// that `increase()` sees the first failure (a series born at 1 has no
    /// increase).
    pub fn remediation_started(&self, namespace: &str, workload: &str, strategy: &'static str) {
        for result in ["succeeded", "failed"] {
            let _ = self.remediations.get_or_create(&RemediationLabels {
                namespace: namespace.into(),
                workload: workload.into(),
                strategy,
                result,
            });
        }
    }

    /// A remediation ended.
    pub fn remediation(
        &self,
        namespace: &str,
        workload: &str,
        strategy: &'static str,
        result: &'static str,
        secs: f64,
    ) {
        self.remediations
            .get_or_create(&RemediationLabels {
                namespace: namespace.into(),
                workload: workload.into(),
                strategy,
                result,
            })
            .inc();
        self.remediation_duration
            .get_or_create(&StrategyLabels { strategy })
            .observe(secs);
    }

    /// An Alertmanager webhook request and how it ended.
    pub fn webhook_request(&self, result: &'static str) {
        self.webhook_requests
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// A remediation runs (or not).
    pub fn in_progress(&self, running: bool) {
        self.in_progress.set(i64::from(running));
    }

    /// A workload's circuit breaker state.
    pub fn circuit(&self, namespace: &str, workload: &str, open: bool) {
        self.circuit_open
            .get_or_create(&WorkloadLabels {
                namespace: namespace.into(),
                workload: workload.into(),
            })
            .set(i64::from(open));
    }

    /// GitLab's record contradicts a runner's log (`Some(true)`), agrees or
    /// was not asked (`Some(false)`), or the runner is gone (`None`: the
    /// series is removed).
    pub fn gitlab_disagrees(&self, key: &RunnerKey, disagrees: Option<bool>) {
        let labels = RunnerLabels {
            namespace: key.namespace.clone(),
            workload: key.workload.clone(),
            runner: Arc::from(key.runner.as_str()),
        };
        match disagrees {
            Some(d) => {
                self.gitlab_disagrees
                    .get_or_create(&labels)
                    .set(i64::from(d));
            }
            None => {
                self.gitlab_disagrees.remove(&labels);
            }
        }
    }

    /// This replica holds the lease (or not).
    pub fn leader(&self, is_leader: bool) {
        self.leader.set(i64::from(is_leader));
    }

    /// Creates every series of a newly tracked runner.
    pub fn runner_series(&self, key: &RunnerKey, pod: &Arc<str>) -> RunnerSeries {
        let runner: Arc<str> = key.runner.as_str().into();
        let labels = RunnerLabels {
            namespace: key.namespace.clone(),
            workload: key.workload.clone(),
            runner: runner.clone(),
        };
        let events = Class::ALL.map(|class| {
            self.log_events.get_or_create_owned(&EventLabels {
                namespace: key.namespace.clone(),
                workload: key.workload.clone(),
                runner: runner.clone(),
                class,
            })
        });
        self.tracked_runners.inc();
        let mut s = RunnerSeries {
            labels: labels.clone(),
            pod: pod.clone(),
            events,
            state: State::Unknown,
            last_success: self.runner_last_success.get_or_create_owned(&labels),
            consecutive_forbidden: self
                .runner_consecutive_forbidden
                .get_or_create_owned(&labels),
            replaced: self.runner_replaced.get_or_create_owned(&labels),
            diagnosis: None,
        };
        self.create_state_series(&s, State::Unknown, None);
        s.state = State::Unknown;
        s
    }

    fn diagnosis_labels(s: &RunnerSeries, diagnosis: Finding) -> DiagnosisLabels {
        DiagnosisLabels {
            namespace: s.labels.namespace.clone(),
            workload: s.labels.workload.clone(),
            runner: s.labels.runner.clone(),
            diagnosis,
        }
    }

    /// Sets the runner's diagnosis (and its replaced flag).
    pub fn runner_diagnosis(&self, s: &mut RunnerSeries, finding: Finding) {
        if finding == Finding::Replaced {
            s.replaced.set(1);
        }
        if s.diagnosis == Some(finding) {
            return;
        }
        if let Some(old) = s.diagnosis {
            self.runner_diagnosis
                .remove(&Self::diagnosis_labels(s, old));
        }
        self.runner_diagnosis
            .get_or_create(&Self::diagnosis_labels(s, finding))
            .set(1);
        s.diagnosis = Some(finding);
    }

    fn state_labels(s: &RunnerSeries, state: State) -> StateLabels {
        StateLabels {
            namespace: s.labels.namespace.clone(),
            workload: s.labels.workload.clone(),
            pod: s.pod.clone(),
            runner: s.labels.runner.clone(),
            state,
        }
    }

    fn pod_labels(s: &RunnerSeries) -> RunnerPodLabels {
        RunnerPodLabels {
            namespace: s.labels.namespace.clone(),
            workload: s.labels.workload.clone(),
            pod: s.pod.clone(),
            runner: s.labels.runner.clone(),
        }
    }

    fn create_state_series(&self, s: &RunnerSeries, current: State, since: Option<f64>) {
        for state in State::ALL {
            self.runner_state
                .get_or_create(&Self::state_labels(s, state))
                .set(i64::from(state == current));
        }
        let g = self.runner_state_since.get_or_create(&Self::pod_labels(s));
        if let Some(t) = since {
            g.set(t);
        }
    }

    fn remove_state_series(&self, s: &RunnerSeries) {
        for state in State::ALL {
            self.runner_state.remove(&Self::state_labels(s, state));
        }
        self.runner_state_since.remove(&Self::pod_labels(s));
    }

    /// Records a runner's new state, and moves its state series to `pod`
    /// when the runner now logs from another pod.
    pub fn runner_state(
        &self,
        s: &mut RunnerSeries,
        pod: &Arc<str>,
        state: State,
        since: Option<f64>,
    ) {
        if s.pod != *pod {
            self.remove_state_series(s);
            s.pod = pod.clone();
            s.state = state;
            self.create_state_series(s, state, since);
            return;
        }
        if s.state != state {
            self.runner_state
                .get_or_create(&Self::state_labels(s, s.state))
                .set(0);
            self.runner_state
                .get_or_create(&Self::state_labels(s, state))
                .set(1);
            s.state = state;
        }
        if let Some(t) = since {
            self.runner_state_since
                .get_or_create(&Self::pod_labels(s))
                .set(t);
        }
    }

    /// Removes every series of a runner that is no longer tracked.
    pub fn forget_runner(&self, s: &RunnerSeries) {
        for class in Class::ALL {
            self.log_events.remove(&EventLabels {
                namespace: s.labels.namespace.clone(),
                workload: s.labels.workload.clone(),
                runner: s.labels.runner.clone(),
                class,
            });
        }
        self.remove_state_series(s);
        self.runner_last_success.remove(&s.labels);
        self.runner_consecutive_forbidden.remove(&s.labels);
        self.runner_replaced.remove(&s.labels);
        if let Some(f) = s.diagnosis {
            self.runner_diagnosis.remove(&Self::diagnosis_labels(s, f));
        }
        self.tracked_runners.dec();
    }

    /// Counts a line that names no tracked runner (e.g. `Registration
    /// attempt 3 of 30`) under an empty runner label.
    pub fn unattributed_event(&self, namespace: &Arc<str>, workload: &Arc<str>, class: Class) {
        self.log_events
            .get_or_create(&EventLabels {
                namespace: namespace.clone(),
                workload: workload.clone(),
                runner: "".into(),
                class,
            })
            .inc();
    }
}

/// Handles to one runner's series, so that counting an event costs one
/// atomic add and no label lookup.
#[derive(Debug, Clone)]
pub struct RunnerSeries {
    labels: RunnerLabels,
    pod: Arc<str>,
    events: [Counter; Class::COUNT],
    state: State,
    last_success: Gauge<f64, std::sync::atomic::AtomicU64>,
    consecutive_forbidden: Gauge,
    replaced: Gauge,
    diagnosis: Option<Finding>,
}

impl RunnerSeries {
    /// Counts an event of `class`.
    pub fn event(&self, class: Class) {
        self.events[class.index()].inc();
    }

    /// Sets the last success time (Unix seconds).
    pub fn last_success(&self, t: f64) {
        self.last_success.set(t);
    }

    /// Sets the 403 streak.
    pub fn consecutive_forbidden(&self, n: u64) {
        self.consecutive_forbidden.set(n as i64);
    }

    /// The pod the state series carry.
    pub fn pod(&self) -> &Arc<str> {
        &self.pod
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RunnerId;

    fn key() -> RunnerKey {
        RunnerKey {
            namespace: "gitlab-runner".into(),
            workload: "gitlab-runner".into(),
            runner: RunnerId::normalize("HYErDk_6w").unwrap(),
        }
    }

    #[test]
    fn a_new_runner_exports_every_class_at_zero_and_one_state() {
        let (registry, m) = Metrics::new_registry();
        let s = m.runner_series(&key(), &"pod-a".into());
        s.event(Class::JobRequestForbidden);
        let text = Metrics::encode(&registry);
        assert!(text.contains(
            "runner_medic_log_events_total{namespace=\"gitlab-runner\",workload=\"gitlab-runner\",runner=\"HYErDk_6w\",class=\"job_request_forbidden\"} 1"
        ), "{text}");
        assert!(text.contains("class=\"verify_removed\"} 0"));
        assert!(text.contains("pod=\"pod-a\",runner=\"HYErDk_6w\",state=\"unknown\"} 1"));
        assert!(text.contains("state=\"forbidden\"} 0"));
        assert!(text.contains("runner_medic_build_info{version="));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn states_move_with_the_pod_and_vanish_with_the_runner() {
        let (registry, m) = Metrics::new_registry();
        let mut s = m.runner_series(&key(), &"pod-a".into());
        m.runner_state(&mut s, &"pod-a".into(), State::Forbidden, Some(100.0));
        let text = Metrics::encode(&registry);
        assert!(text.contains("pod=\"pod-a\",runner=\"HYErDk_6w\",state=\"forbidden\"} 1"));
        m.runner_state(&mut s, &"pod-b".into(), State::LockedOut, Some(200.0));
        let text = Metrics::encode(&registry);
        assert!(!text.contains("pod=\"pod-a\""), "{text}");
        assert!(text.contains("pod=\"pod-b\",runner=\"HYErDk_6w\",state=\"locked_out\"} 1"));
        assert!(text.contains("runner_medic_tracked_runners 1"));
        m.forget_runner(&s);
        let text = Metrics::encode(&registry);
        assert!(!text.contains("HYErDk_6w"), "{text}");
        assert!(text.contains("runner_medic_tracked_runners 0"));
    }
}
