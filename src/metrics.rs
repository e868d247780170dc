//! Every Prometheus metric runner-medic exports, registered once in one
//! registry, one method per observable fact, split by the subsystem that
//! observes it: `logs` (reading the logs), `runners` (runner health),
//! `remediation` (decisions, outcomes, GitLab calls, the lease) and `admin`
//! (the webhook).
//!
//! Names follow the prometheus-client conventions: registered without
//! `_total` and without units (the encoder adds them), one root prefix
//! `runner_medic`. Labels are bounded: `namespace`, `workload`, `runner`
//! (capped by `max_runners`), closed enums, and `pod` only on
//! `runner_state`, where an alert needs it. Never a message, path or job id.

mod admin;
mod logs;
mod remediation;
mod runners;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

pub use admin::{AdminMetrics, WebhookResult};
pub use logs::{Channel, LogMetrics, ReconnectReason, StreamState};
pub use remediation::{RemediationMetrics, RemediationResult, StatusClass};
pub use runners::{RunnerMetrics, RunnerSeries};

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Build information.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// Every metric family, by subsystem. Cheap to clone (handles are shared).
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Reading the logs.
    pub logs: LogMetrics,
    /// Runner health.
    pub runners: RunnerMetrics,
    /// Remediation.
    pub remediation: RemediationMetrics,
    /// The admin server.
    pub admin: AdminMetrics,
}

impl Metrics {
    /// Registers every family in `registry` (give it the `runner_medic`
    /// prefix: [`Metrics::new_registry`]), known label sets at 0.
    pub fn register(registry: &mut Registry) -> Metrics {
        let logs = LogMetrics::new();
        logs.register_lines(registry);
        let runners = RunnerMetrics::register(registry);
        logs.register(registry);
        let remediation = RemediationMetrics::register(registry);
        let admin = AdminMetrics::register(registry);
        registry.register(
            "build",
            "runner-medic build information",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Metrics {
            logs,
            runners,
            remediation,
            admin,
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Class, RunnerId};
    use crate::health::{RunnerKey, State};

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
        let s = m.runners.runner_series(&key(), &"pod-a".into());
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
        let mut s = m.runners.runner_series(&key(), &"pod-a".into());
        m.runners
            .runner_state(&mut s, &"pod-a".into(), State::Forbidden, Some(100.0));
        let text = Metrics::encode(&registry);
        assert!(text.contains("pod=\"pod-a\",runner=\"HYErDk_6w\",state=\"forbidden\"} 1"));
        m.runners
            .runner_state(&mut s, &"pod-b".into(), State::LockedOut, Some(200.0));
        let text = Metrics::encode(&registry);
        assert!(!text.contains("pod=\"pod-a\""), "{text}");
        assert!(text.contains("pod=\"pod-b\",runner=\"HYErDk_6w\",state=\"locked_out\"} 1"));
        assert!(text.contains("runner_medic_tracked_runners 1"));
        m.runners.forget_runner(&s);
        let text = Metrics::encode(&registry);
        assert!(!text.contains("HYErDk_6w"), "{text}");
        assert!(text.contains("runner_medic_tracked_runners 0"));
    }
}
