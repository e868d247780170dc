//! The admin HTTP server (hyper 1, HTTP/1.1): `/metrics` (OpenMetrics),
//! `/livez`, `/readyz` (ready once the first pod list synced, not while
//! shutting down) and `/`, a status page of runners and their diagnoses.
//!
//! Hardened: headers must arrive within 5 s, request heads are capped at
//! 16 KiB, bodies are not read, at most 256 connections are served at once,
//! only GET and HEAD are allowed, except the Alertmanager webhook
//! (`POST /api/v1/alerts`, bearer-token authenticated, `admin/webhook.rs`). Shutdown drains open connections
//! under a 5 s deadline.

mod status;
pub mod webhook;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

use crate::metrics::{CONTENT_TYPE, Metrics};
use crate::pipeline::Snapshot;

/// Response body.
pub type Body = BoxBody<Bytes, Infallible>;

/// What the admin server reads.
pub struct AdminState {
    registry: Registry,
    snapshot: watch::Receiver<Snapshot>,
    shutting_down: AtomicBool,
    webhook: Option<webhook::Webhook>,
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState")
            .field("shutting_down", &self.shutting_down)
            .finish_non_exhaustive()
    }
}

impl AdminState {
    /// State over a registry and the pipeline's snapshots.
    pub fn new(registry: Registry, snapshot: watch::Receiver<Snapshot>) -> Arc<AdminState> {
        AdminState::with_webhook(registry, snapshot, None)
    }

    /// State with the Alertmanager webhook enabled (when `webhook` is set).
    pub fn with_webhook(
        registry: Registry,
        snapshot: watch::Receiver<Snapshot>,
        webhook: Option<webhook::Webhook>,
    ) -> Arc<AdminState> {
        Arc::new(AdminState {
            registry,
            snapshot,
            shutting_down: AtomicBool::new(false),
            webhook,
        })
    }

    /// From now on `/readyz` answers 503.
    pub fn shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    fn ready(&self) -> bool {
        !self.shutting_down.load(Ordering::SeqCst) && self.snapshot.borrow().synced
    }
}

/// The admin server could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct BindError {
    addr: SocketAddr,
    #[source]
    source: std::io::Error,
}

/// Binds the listening socket (separately, so a bad address fails early).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BindError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| BindError { addr, source })
}

/// Serves until `stop` is cancelled, then drains connections (5 s at most).
pub async fn serve(listener: TcpListener, state: Arc<AdminState>, stop: CancellationToken) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(256));
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.cancelled() => break,
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            drop(stream); // over the connection limit
            continue;
        };
        let state = state.clone();
        let service = service_fn(move |req| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(handle(&state, req).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(5))
            .max_buf_size(16 * 1024)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("admin connections still open after 5s; closing them");
    }
}

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    r
}

async fn handle(state: &AdminState, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if path == "/api/v1/alerts" {
        if method != Method::POST {
            let mut r = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain; charset=utf-8",
                "method not allowed\n",
            );
            r.headers_mut()
                .insert(http::header::ALLOW, http::HeaderValue::from_static("POST"));
            return r;
        }
        let snap = state.snapshot.borrow().clone();
        return webhook::handle(state.webhook.as_ref(), &snap, req).await;
    }
    let known = matches!(path.as_str(), "/" | "/metrics" | "/livez" | "/readyz");
    if !known {
        return text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found\n",
        );
    }
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "method not allowed\n",
        );
        r.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD"),
        );
        return r;
    }
    let mut resp = match path.as_str() {
        "/metrics" => text(
            StatusCode::OK,
            CONTENT_TYPE,
            Metrics::encode(&state.registry),
        ),
        "/livez" => text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n"),
        "/readyz" if state.ready() => text(StatusCode::OK, "text/plain; charset=utf-8", "ready\n"),
        "/readyz" => {
            let why = if state.shutting_down.load(Ordering::SeqCst) {
                "shutting down\n"
            } else {
                "waiting for the first pod list\n"
            };
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain; charset=utf-8",
                why,
            )
        }
        _ => {
            let snap = state.snapshot.borrow().clone();
            text(
                StatusCode::OK,
                "text/html; charset=utf-8",
                status::page(&snap),
            )
        }
    };
    if method == Method::HEAD {
        *resp.body_mut() = Full::new(Bytes::new()).boxed();
    }
    resp
}
