//! Pod watches: newline-delimited JSON events, bookmarks, ERROR 410.

use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::mpsc;

use super::to_json;
use super::{Body, Ctx, Req};
use crate::selector::Selector;
use crate::sim::cluster::{Fault, WatchRecord};

/// A response whose body is fed through a channel; dropping the sender
/// ends the body cleanly, sending `Err` aborts the connection.
pub(super) fn channel_body(
    content_type: &str,
) -> (
    mpsc::Sender<Result<Frame<Bytes>, std::io::Error>>,
    Response<Body>,
) {
    let (tx, rx) = mpsc::channel(64);
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut resp = Response::new(StreamBody::new(stream).boxed());
    *resp.status_mut() = StatusCode::OK;
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    (tx, resp)
}

fn event(kind: &str, object: serde_json::Value) -> Bytes {
    let mut s = serde_json::json!({"type": kind, "object": object}).to_string();
    s.push('\n');
    Bytes::from(s)
}

pub(super) fn serve(
    ctx: &Ctx,
    r: &Req<'_>,
    ns: Option<String>,
    selector: Selector,
) -> Response<Body> {
    let cluster = ctx.cluster.clone();
    let bookmarks = r.query.flag("allowWatchBookmarks");
    let bookmark_every = ctx.options.bookmark_interval;
    let timeout = r
        .query
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let from: Option<u64> = r
        .query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0);
    let (tx, resp) = channel_body("application/json");
    let expired = ctx
        .cluster
        .take_fault(|f| matches!(f, Fault::WatchExpired))
        .is_some();
    tokio::spawn(async move {
        let gone = |rv: u64| {
            event(
                "ERROR",
                serde_json::json!({
                    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": format!("too old resource version: {rv} (0)"),
                    "reason": "Expired", "code": 410
                }),
            )
        };
        let matches = |rec: &WatchRecord| {
            let meta = &rec.pod.metadata;
            ns.as_deref()
                .is_none_or(|n| meta.namespace.as_deref() == Some(n))
                && selector.matches(&meta.labels.clone().unwrap_or_default())
        };
        let mut last = match from {
            Some(rv) => {
                let oldest = {
                    let st = cluster.lock();
                    st.history.front().map_or(st.rv + 1, |r| r.rv)
                };
                if expired || rv + 1 < oldest {
                    let _ = tx.send(Ok(Frame::data(gone(rv)))).await;
                    return;
                }
                rv
            }
            None => {
                // No resourceVersion: synthetic ADDED for what exists now.
                let (initial, rv) = {
                    let st = cluster.lock();
                    let pods: Vec<_> = st
                        .pods
                        .values()
                        .filter(|p| {
                            ns.as_deref().is_none_or(|n| p.namespace == n)
                                && selector.matches(&p.labels)
                        })
                        .map(|p| to_json(&p.to_pod()))
                        .collect();
                    (pods, st.rv)
                };
                for p in initial {
                    if tx.send(Ok(Frame::data(event("ADDED", p)))).await.is_err() {
                        return;
                    }
                }
                rv
            }
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut next_bookmark = tokio::time::Instant::now() + bookmark_every;
        loop {
            let notified = cluster.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (batch, rv_now) = {
                let st = cluster.lock();
                let batch: Vec<WatchRecord> =
                    st.history.iter().filter(|r| r.rv > last).cloned().collect();
                (batch, st.rv)
            };
            for rec in batch {
                last = rec.rv;
                if matches(&rec)
                    && tx
                        .send(Ok(Frame::data(event(rec.kind, to_json(&rec.pod)))))
                        .await
                        .is_err()
                {
                    return;
                }
            }
            last = last.max(rv_now);
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(next_bookmark) => {
                    next_bookmark += bookmark_every;
                    if bookmarks {
                        let b = event("BOOKMARK", serde_json::json!({
                            "kind": "Pod", "apiVersion": "v1",
                            "metadata": {"resourceVersion": last.to_string()}
                        }));
                        if tx.send(Ok(Frame::data(b))).await.is_err() {
                            return;
                        }
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
            }
        }
    });
    resp
}
