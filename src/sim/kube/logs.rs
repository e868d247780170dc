//! Container logs, as the kubelet serves them through the apiserver.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{Response, StatusCode};
use hyper::body::Frame;
use jiff::{Timestamp, ToSpan};

use super::watch::channel_body;
use super::{Body, Ctx, Req, full, pod_not_found, status};
use crate::sim::cluster::{ContainerPhase, Fault, InstanceLog};
use crate::sim::render::kube_prefix;

struct Plan {
    log: Arc<InstanceLog>,
    follow: bool,
}

pub(super) fn serve(ctx: &Ctx, r: &Req<'_>, ns: &str, name: &str) -> Response<Body> {
    let q = r.query;
    if let Some(Fault::LogStatus { status: code, .. }) = ctx
        .cluster
        .take_fault(|f| matches!(f, Fault::LogStatus { pod, .. } if pod == name))
    {
        let mut resp = status(
            code,
            if code == 429 {
                "TooManyRequests"
            } else {
                "InternalError"
            },
            "simulated failure",
            None,
        );
        if code == 429 {
            resp.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            );
        }
        return resp;
    }
    if q.get("sinceTime").is_some() && q.get("sinceSeconds").is_some() {
        return status(
            422,
            "Invalid",
            &format!(
                "PodLogOptions \"{name}\" is invalid: []: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
            ),
            None,
        );
    }
    let since: Option<Timestamp> = match (q.get("sinceTime"), q.get("sinceSeconds")) {
        (Some(t), _) => match t.parse::<Timestamp>() {
            // The apiserver forwards RFC3339 seconds: the fraction is dropped.
            Ok(ts) => ts
                .checked_sub(i64::from(ts.subsec_nanosecond()).nanoseconds())
                .ok(),
            Err(_) => {
                return status(
                    400,
                    "BadRequest",
                    &format!("parsing time {t:?}: invalid RFC3339"),
                    None,
                );
            }
        },
        (None, Some(s)) => match s.parse::<i64>() {
            Ok(secs) if secs >= 1 => Timestamp::now().checked_sub(secs.seconds()).ok(),
            _ => return status(422, "Invalid", "sinceSeconds must be greater than 0", None),
        },
        _ => None,
    };
    let timestamps = q.flag("timestamps");
    let previous = q.flag("previous");
    let follow = q.flag("follow");
    let tail: Option<usize> = q.get("tailLines").and_then(|t| t.parse().ok());
    let plan = {
        let st = ctx.cluster.lock();
        let Some(pod) = st.pods.get(&(ns.to_owned(), name.to_owned())) else {
            return pod_not_found(name);
        };
        if pod.node.is_none() {
            // Not scheduled: the apiserver returns a null stream.
            return full(StatusCode::OK, "text/plain", Bytes::new());
        }
        let container = match q.get("container") {
            Some(c) => match pod.containers.iter().find(|x| x.name == c) {
                Some(x) => x,
                None => {
                    return status(
                        400,
                        "BadRequest",
                        &format!("container {c} is not valid for pod {name}"),
                        None,
                    );
                }
            },
            None if pod.containers.len() == 1 => &pod.containers[0],
            None => {
                let names: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
                return status(
                    400,
                    "BadRequest",
                    &format!(
                        "a container name must be specified for pod {name}, choose one of: [{}]",
                        names.join(" ")
                    ),
                    None,
                );
            }
        };
        if previous {
            match &container.previous {
                Some(p) => Plan {
                    log: p.clone(),
                    follow: false,
                },
                None => {
                    return status(
                        400,
                        "BadRequest",
                        &format!(
                            "previous terminated container \"{}\" in pod \"{name}\" not found",
                            container.name
                        ),
                        None,
                    );
                }
            }
        } else {
            match &container.state {
                ContainerPhase::Waiting(reason) if container.restart_count == 0 => {
                    return status(
                        400,
                        "BadRequest",
                        &format!(
                            "container \"{}\" in pod \"{name}\" is waiting to start: {reason}",
                            container.name
                        ),
                        None,
                    );
                }
                // Waiting after a crash: the last terminated instance, and
                // the stream ends at once even with follow.
                ContainerPhase::CrashLoop => Plan {
                    log: container
                        .previous
                        .clone()
                        .unwrap_or_else(|| container.current.clone()),
                    follow: false,
                },
                _ => Plan {
                    log: container.current.clone(),
                    follow,
                },
            }
        }
    };
    let fault = ctx.cluster.take_fault(
        |f| matches!(f, Fault::CutLogMidLine { pod, .. } | Fault::HangLog { pod } if pod == name),
    );
    let (tx, resp) = channel_body("text/plain");
    tokio::spawn(async move {
        if let Some(Fault::HangLog { .. }) = fault {
            // Headers only, then silence until the client gives up.
            tx.closed().await;
            return;
        }
        let cut_after = match fault {
            Some(Fault::CutLogMidLine { after, .. }) => Some(after as u64),
            _ => None,
        };
        let mut next = 0usize;
        let mut first = true;
        let mut n = 0u64;
        loop {
            let notified = plan.log.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (batch, running) = {
                let l = plan.log.lock();
                let mut start = next;
                if first {
                    if let Some(t) = tail {
                        start = l.lines.len().saturating_sub(t);
                    }
                    first = false;
                }
                let batch: Vec<(Timestamp, Bytes)> = l.lines[start.min(l.lines.len())..]
                    .iter()
                    .filter(|(at, _)| since.is_none_or(|s| *at >= s))
                    .cloned()
                    .collect();
                next = l.lines.len();
                (batch, l.running)
            };
            for (at, text) in batch {
                n += 1;
                let mut line = BytesMut::with_capacity(text.len() + 32);
                if timestamps {
                    line.extend_from_slice(kube_prefix(at).as_bytes());
                }
                line.extend_from_slice(&text);
                line.extend_from_slice(b"\n");
                let line = line.freeze();
                if cut_after.is_some_and(|after| n > after) {
                    // Half a line, then the connection breaks.
                    let half = line.slice(..line.len() / 2);
                    let _ = tx.send(Ok(Frame::data(half))).await;
                    // Let the server flush what was sent before breaking the
                    // connection, as a real connection drop would.
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    let _ = tx
                        .send(Err(std::io::Error::other("simulated connection cut")))
                        .await;
                    return;
                }
                // Chunks are not line-aligned: every third line goes in two pieces.
                let frames = if n.is_multiple_of(3) && line.len() > 2 {
                    let mid = line.len() / 2;
                    vec![line.slice(..mid), line.slice(mid..)]
                } else {
                    vec![line]
                };
                for f in frames {
                    if tx.send(Ok(Frame::data(f))).await.is_err() {
                        return;
                    }
                }
            }
            if !plan.follow || !running {
                return;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tx.closed() => return,
            }
        }
    });
    resp
}
