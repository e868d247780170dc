//! Remediation: outcomes and their duration, decisions, the circuit
//! breakers, GitLab's disagreement with a log, GitLab API calls, the lease.

use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::runners::RunnerLabels;
use crate::health::RunnerKey;

/// A remediation outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RemediationLabels {
    /// Namespace.
    pub namespace: Arc<str>,
    /// Workload.
    pub workload: Arc<str>,
    /// `restart`, `reregister`, `rotate`, `recreate`.
    pub strategy: &'static str,
    /// How it ended.
    pub result: RemediationResult,
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
    /// `2xx`, `3xx`, `4xx`, `5xx` or `error` (no answer).
    pub status_class: StatusClass,
}

/// How a remediation ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum RemediationResult {
    /// Verified: a new runner polls without 403.
    Succeeded,
    /// Not verified, or a step failed.
    Failed,
    /// Stopped by a re-check right before a write (not a failure).
    Refused,
}

impl RemediationResult {
    /// The results whose series exist from a remediation's start (the
    /// alerts' `increase()` must see the first failure).
    pub const STARTED: [RemediationResult; 2] =
        [RemediationResult::Succeeded, RemediationResult::Failed];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            RemediationResult::Succeeded => "succeeded",
            RemediationResult::Failed => "failed",
            RemediationResult::Refused => "refused",
        }
    }
}

impl EncodeLabelValue for RemediationResult {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), e)
    }
}

/// The class of a GitLab answer.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub enum StatusClass {
    /// 2xx.
    Success,
    /// 3xx.
    Redirect,
    /// 4xx.
    ClientError,
    /// 5xx (and anything else a server answers).
    ServerError,
    /// No answer (connection, TLS, timeout).
    NoAnswer,
}

impl StatusClass {
    /// The class of `status`.
    pub fn of(status: u16) -> StatusClass {
        match status {
            200..=299 => StatusClass::Success,
            300..=399 => StatusClass::Redirect,
            400..=499 => StatusClass::ClientError,
            _ => StatusClass::ServerError,
        }
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusClass::Success => "2xx",
            StatusClass::Redirect => "3xx",
            StatusClass::ClientError => "4xx",
            StatusClass::ServerError => "5xx",
            StatusClass::NoAnswer => "error",
        }
    }
}

impl EncodeLabelValue for StatusClass {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        EncodeLabelValue::encode(&self.as_str(), e)
    }
}

/// The remediation families.
#[derive(Debug, Clone)]
pub struct RemediationMetrics {
    remediations: Family<RemediationLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    in_progress: Gauge,
    circuit_open: Family<WorkloadLabels, Gauge>,
    gitlab_disagrees: Family<RunnerLabels, Gauge>,
    remediation_duration: Family<StrategyLabels, Histogram>,
    gitlab_requests: Family<GitlabLabels, Counter>,
    leader: Gauge,
}

impl RemediationMetrics {
    pub(super) fn register(r: &mut Registry) -> RemediationMetrics {
        let m = RemediationMetrics {
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
            leader: Gauge::default(),
        };
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
        m
    }

    /// A GitLab request finished.
    pub fn gitlab_request(&self, endpoint: &'static str, status_class: StatusClass) {
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
    pub fn started(&self, namespace: &str, workload: &str, strategy: &'static str) {
        for result in RemediationResult::STARTED {
            let _ = self.remediations.get_or_create(&RemediationLabels {
                namespace: namespace.into(),
                workload: workload.into(),
                strategy,
                result,
            });
        }
    }

    /// A remediation ended.
    pub fn ended(
        &self,
        namespace: &str,
        workload: &str,
        strategy: &'static str,
        result: RemediationResult,
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
}
