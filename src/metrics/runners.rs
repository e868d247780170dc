//! Runner health: events per runner and class, the state and diagnosis
//! gauges, transitions, and the runners tracked or refused. Per-runner
//! series are created together when a runner is first seen (every class at
//! 0, so `increase()` works from the first event) and removed together when
//! it is forgotten ([`RunnerSeries`]).

use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::event::Class;
use crate::health::{Finding, Refusal, RunnerKey, State};

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

/// A state, as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToLabels {
    /// The new state.
    pub to: State,
}

/// The runner families.
#[derive(Debug, Clone)]
pub struct RunnerMetrics {
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
}

impl RunnerMetrics {
    pub(super) fn register(r: &mut Registry) -> RunnerMetrics {
        let m = RunnerMetrics {
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
        };
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
        for to in State::ALL {
            let _ = m.transitions.get_or_create(&ToLabels { to });
        }
        for reason in Refusal::ALL {
            let _ = m.runners_refused.get_or_create(&RefusalLabels { reason });
        }
        m
    }

    /// A runner changed state.
    pub fn transition(&self, to: State) {
        self.transitions.get_or_create(&ToLabels { to }).inc();
    }

    /// A new runner id was not tracked because `max_runners` was reached
    /// ([`RunnerMetrics::runner_refused_for`] with [`Refusal::GlobalCap`]).
    pub fn runner_refused(&self) {
        self.runner_refused_for(Refusal::GlobalCap);
    }

    /// A new runner id was not tracked, for `reason`.
    pub fn runner_refused_for(&self, reason: Refusal) {
        self.runners_refused
            .get_or_create(&RefusalLabels { reason })
            .inc();
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
