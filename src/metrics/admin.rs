//! The admin server: Alertmanager webhook requests by result.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// How an Alertmanager webhook request ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum WebhookResult {
    /// A firing alert named a tracked runner and was passed on.
    accepted,
    /// No firing alert (resolved notifications only).
    resolved,
    /// Missing or wrong bearer token.
    unauthorized,
    /// Body over the size limit.
    too_large,
    /// Not a version-4 payload, or too slow to arrive.
    malformed,
    /// No firing alert names a tracked runner.
    unknown_runner,
    /// Every firing alert is for another cluster (`--webhook-cluster`).
    other_cluster,
    /// The remediation queue is full.
    busy,
}

impl WebhookResult {
    /// Every result.
    pub const ALL: [WebhookResult; 8] = [
        WebhookResult::accepted,
        WebhookResult::resolved,
        WebhookResult::unauthorized,
        WebhookResult::too_large,
        WebhookResult::malformed,
        WebhookResult::unknown_runner,
        WebhookResult::other_cluster,
        WebhookResult::busy,
    ];
}

/// How a request ended.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// The result.
    pub result: WebhookResult,
}

/// The admin server's families.
#[derive(Debug, Clone)]
pub struct AdminMetrics {
    webhook_requests: Family<ResultLabels, Counter>,
}

impl AdminMetrics {
    pub(super) fn register(r: &mut Registry) -> AdminMetrics {
        let m = AdminMetrics {
            webhook_requests: Family::default(),
        };
        r.register(
            "webhook_requests",
            "Alertmanager webhook requests, by result",
            m.webhook_requests.clone(),
        );
        for result in WebhookResult::ALL {
            let _ = m.webhook_requests.get_or_create(&ResultLabels { result });
        }
        m
    }

    /// An Alertmanager webhook request and how it ended.
    pub fn webhook_request(&self, result: WebhookResult) {
        self.webhook_requests
            .get_or_create(&ResultLabels { result })
            .inc();
    }
}
