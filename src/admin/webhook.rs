//! `POST /api/v1/alerts`: Alertmanager's webhook (payload version 4).
//!
//! Authenticated by a bearer token (compared in constant time); disabled
//! (404) when no token is configured; bodies over 256 KiB are refused
//! (413) before being read whole. Each firing alert whose `namespace`,
//! `workload` and `runner` labels name a tracked runner is passed to the
//! remediation controller, which still requires its own state to agree.
//! With a cluster configured (`--webhook-cluster`), an alert must also carry
//! `cluster="<it>"`: one Alertmanager serving several clusters sees the same
//! namespace, workload and runner id in each, and another cluster's alert
//! must not hurry this cluster's remediation. A payload whose firing alerts
//! all belong elsewhere is refused with 421 Misdirected Request (Alertmanager
//! counts it as a failed notification: the route is wrong).
//! Errors are JSON: `{"error": "..."}`.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::Body;
use crate::analyze::Snapshot;
use crate::event::RunnerId;
use crate::metrics::WebhookResult;
use crate::redact::Secret;
use crate::remediate::AlertRequest;

/// How long an authenticated caller may take to send its body (a slow
/// sender would otherwise hold a connection slot for as long as it likes).
const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// The label that names an alert's cluster (the rules keep it in every
/// `by`; Prometheus adds it as an external label).
pub const CLUSTER_LABEL: &str = "cluster";

/// Largest accepted body.
pub const MAX_BODY: usize = 256 * 1024;

/// The webhook's configuration.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The expected bearer token.
    pub token: Secret,
    /// The `cluster` label value alerts must carry (`None`: not checked).
    pub cluster: Option<String>,
    /// Where accepted alerts go.
    pub alerts: mpsc::Sender<AlertRequest>,
    /// Counts requests by result.
    pub metrics: crate::metrics::Metrics,
}

#[derive(Debug, Deserialize)]
struct Payload {
    version: String,
    alerts: Vec<Alert>,
}

#[derive(Debug, Deserialize)]
struct Alert {
    status: String,
    #[serde(default)]
    labels: std::collections::BTreeMap<String, String>,
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|e: Infallible| match e {})
            .boxed(),
    );
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, msg: &str) -> Response<Body> {
    reply(status, serde_json::json!({ "error": msg }))
}

/// Whether the presented token is the expected one, in time that depends
/// on neither the expected token's bytes nor its length: both are reduced
/// to 128-bit digests under keys random to this process (keyed SipHash;
/// a caller cannot compute them), and the digests are compared without an
/// early exit. Hashing the presented token takes time in its own length
/// only, which the caller already knows.
fn constant_time_eq(presented: &[u8], expected: &[u8]) -> bool {
    use std::hash::{BuildHasher, Hasher};
    static KEYS: std::sync::OnceLock<[std::collections::hash_map::RandomState; 2]> =
        std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [
            std::collections::hash_map::RandomState::new(),
            std::collections::hash_map::RandomState::new(),
        ]
    });
    let digest = |bytes: &[u8]| {
        keys.each_ref().map(|k| {
            let mut h = k.build_hasher();
            h.write_usize(bytes.len());
            h.write(bytes);
            h.finish()
        })
    };
    let (a, b) = (digest(presented), digest(expected));
    ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0
}

/// Marks a 200 reply to a payload without a firing alert.
#[derive(Debug, Clone, Copy)]
struct ResolvedOnly;

/// Handles one webhook request.
pub async fn handle(
    hook: Option<&Webhook>,
    snapshot: &Snapshot,
    req: Request<Incoming>,
) -> Response<Body> {
    let r = respond(hook, snapshot, req).await;
    if let Some(h) = hook {
        let result = match r.status() {
            StatusCode::OK if r.extensions().get::<ResolvedOnly>().is_some() => {
                WebhookResult::resolved
            }
            StatusCode::OK => WebhookResult::accepted,
            StatusCode::UNAUTHORIZED => WebhookResult::unauthorized,
            StatusCode::PAYLOAD_TOO_LARGE => WebhookResult::too_large,
            StatusCode::BAD_REQUEST | StatusCode::REQUEST_TIMEOUT => WebhookResult::malformed,
            StatusCode::NOT_FOUND => WebhookResult::unknown_runner,
            StatusCode::MISDIRECTED_REQUEST => WebhookResult::other_cluster,
            _ => WebhookResult::busy,
        };
        h.metrics.admin.webhook_request(result);
    }
    r
}

async fn respond(
    hook: Option<&Webhook>,
    snapshot: &Snapshot,
    req: Request<Incoming>,
) -> Response<Body> {
    let Some(hook) = hook else {
        return error(
            StatusCode::NOT_FOUND,
            "the Alertmanager webhook is disabled: start runner-medic with --webhook-token-file",
        );
    };
    let presented = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(presented.as_bytes(), hook.token.expose().as_bytes()) {
        let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "body larger than 256 KiB");
    }
    let collect = Limited::new(req.into_body(), MAX_BODY).collect();
    let Ok(collected) = tokio::time::timeout(BODY_DEADLINE, collect).await else {
        return error(
            StatusCode::REQUEST_TIMEOUT,
            "the body did not arrive within 10 s",
        );
    };
    let body = match collected {
        Ok(b) => b.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return error(StatusCode::PAYLOAD_TOO_LARGE, "body larger than 256 KiB");
        }
        Err(_) => return error(StatusCode::BAD_REQUEST, "could not read the body"),
    };
    let payload: Payload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("not an Alertmanager webhook payload: {e}"),
            );
        }
    };
    if payload.version != "4" {
        return error(
            StatusCode::BAD_REQUEST,
            &format!(
                "payload version {:?} is not supported (Alertmanager sends \"4\")",
                payload.version
            ),
        );
    }
    let mut accepted = 0usize;
    let mut unknown = 0usize;
    let mut elsewhere = 0usize;
    let mut firing = 0usize;
    for alert in payload.alerts.iter().filter(|a| a.status == "firing") {
        firing += 1;
        let label = |k: &str| alert.labels.get(k).map(String::as_str).unwrap_or("");
        if hook
            .cluster
            .as_deref()
            .is_some_and(|c| c != label(CLUSTER_LABEL))
        {
            elsewhere += 1;
            continue;
        }
        let Some(runner) = RunnerId::normalize(label("runner")) else {
            unknown += 1;
            continue;
        };
        let tracked = snapshot.runners.iter().any(|r| {
            *r.key.namespace == *label("namespace")
                && *r.key.workload == *label("workload")
                && r.key.runner.matches(&runner)
        });
        if !tracked {
            unknown += 1;
            continue;
        }
        let request = AlertRequest {
            alertname: label("alertname").to_owned(),
            namespace: label("namespace").to_owned(),
            workload: label("workload").to_owned(),
            runner,
        };
        if hook.alerts.try_send(request).is_ok() {
            accepted += 1;
        } else {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the remediation queue is full; Alertmanager will retry",
            );
        }
    }
    if firing > 0 && accepted == 0 && elsewhere == firing {
        let cluster = hook.cluster.as_deref().unwrap_or_default();
        tracing::warn!(
            alerts = elsewhere,
            cluster,
            "the Alertmanager webhook received only alerts of other clusters (or of none): route only {CLUSTER_LABEL}=\"{cluster}\" to this runner-medic"
        );
        return reply(
            StatusCode::MISDIRECTED_REQUEST,
            serde_json::json!({
                "error": format!("every firing alert is for another cluster than {cluster:?} (label {CLUSTER_LABEL}), or names none: route only this cluster's alerts here"),
                "other_cluster": elsewhere,
            }),
        );
    }
    if firing > 0 && accepted == 0 {
        return reply(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "no firing alert names a tracked runner (labels namespace, workload, runner)", "unknown": unknown, "other_cluster": elsewhere}),
        );
    }
    let mut r = reply(
        StatusCode::OK,
        serde_json::json!({"accepted": accepted, "unknown": unknown, "other_cluster": elsewhere}),
    );
    if firing == 0 {
        // Resolved notifications: nothing to do (remediation never acts on one).
        r.extensions_mut().insert(ResolvedOnly);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_fully() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token", b"secret-tokem"));
        assert!(!constant_time_eq(b"secret", b"secret-token"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(!constant_time_eq(b"secret-token\0", b"secret-token"));
        assert!(!constant_time_eq(&[b'a'; 4096], b"secret-token"));
    }
}
