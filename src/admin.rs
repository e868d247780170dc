//! The admin HTTP server (hyper 1, HTTP/1.1): `/metrics` (OpenMetrics),
//! `/livez`, `/readyz` (ready once the first pod list synced, not while
//! shutting down) and `/`, a status page of runners and their diagnoses.
//!
//! Hardened: headers must arrive within 5 s, request heads are capped at
//! 16 KiB, bodies are not read, only GET and HEAD are allowed, except the
//! Alertmanager webhook (`POST /api/v1/alerts`, bearer-token authenticated,
//! a 10 s body deadline, `admin/webhook.rs`). A noisy neighbour cannot
//! starve the probes: one peer address holds at most [`PER_PEER`]
//! connections, a connection lives at most [`CONNECTION_LIFETIME`] (a
//! client that never reads its reply is cut there), at most
//! [`GENERAL_SLOTS`] connections are served at once, and past that
//! [`PROBE_SLOTS`] more are kept for `/livez` and `/readyz` only. `/metrics`
//! is encoded at most once a second into one shared buffer, so slow readers
//! share it instead of each holding a copy. Shutdown drains open
//! connections under a 5 s deadline.

mod status;
pub mod webhook;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
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

use crate::analyze::Snapshot;
use crate::metrics::{CONTENT_TYPE, Metrics};

/// Response body.
pub type Body = BoxBody<Bytes, Infallible>;

/// What the admin server reads.
pub struct AdminState {
    registry: Registry,
    /// The last `/metrics` encoding and when it was made.
    encoded: std::sync::Mutex<Option<(tokio::time::Instant, Bytes)>>,
    snapshot: watch::Receiver<Snapshot>,
    shutting_down: AtomicBool,
    failed: std::sync::OnceLock<String>,
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
            encoded: std::sync::Mutex::new(None),
            snapshot,
            shutting_down: AtomicBool::new(false),
            failed: std::sync::OnceLock::new(),
            webhook,
        })
    }

    /// From now on `/readyz` answers 503.
    pub fn shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// A task of the daemon failed (`why`): from now on `/readyz` answers
    /// 503 with the reason, until the process exits.
    pub fn failed(&self, why: &str) {
        let _ = self.failed.set(why.to_owned());
    }

    /// `/metrics`, encoded at most once per [`ENCODE_EVERY`]: every scrape
    /// in that time shares one buffer (a reference-counted `Bytes`).
    fn metrics(&self) -> Bytes {
        let mut cached = self.encoded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, bytes)) = cached.as_ref()
            && at.elapsed() < ENCODE_EVERY
        {
            return bytes.clone();
        }
        let bytes = Bytes::from(Metrics::encode(&self.registry));
        *cached = Some((tokio::time::Instant::now(), bytes.clone()));
        bytes
    }

    fn ready(&self) -> bool {
        self.failed.get().is_none()
            && !self.shutting_down.load(Ordering::SeqCst)
            && self.snapshot.borrow().synced
    }
}

/// The admin server could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {error}")]
pub struct BindError {
    addr: SocketAddr,
    // In the message, not exposed as a source: printed once.
    error: std::io::Error,
}

/// Binds the listening socket (separately, so a bad address fails early).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BindError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| BindError { addr, error })
}

/// Connections served at once for any path.
pub const GENERAL_SLOTS: usize = 256;
/// Connections past [`GENERAL_SLOTS`] kept for `/livez` and `/readyz`: many,
/// since such a connection is small and short (one request, headers within
/// a second), so idle connections cannot hold them all for long.
pub const PROBE_SLOTS: usize = 1024;
/// Connections one peer address may hold (a Prometheus or an Alertmanager
/// opens one or two).
pub const PER_PEER: usize = 16;
/// How long a connection may live, keep-alive included.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// How long a `/metrics` encoding is shared.
const ENCODE_EVERY: Duration = Duration::from_secs(1);

/// Open connections per peer address.
#[derive(Debug, Default)]
struct Peers(std::sync::Mutex<HashMap<IpAddr, usize>>);

/// One connection counted for its peer until dropped.
struct PeerSlot {
    peers: Arc<Peers>,
    ip: IpAddr,
}

impl Peers {
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<PeerSlot> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(ip).or_default();
        if *n >= PER_PEER {
            return None;
        }
        *n += 1;
        Some(PeerSlot {
            peers: self.clone(),
            ip,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut m = self.peers.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

/// Serves until `stop` is cancelled, then drains connections (5 s at most).
pub async fn serve(listener: TcpListener, state: Arc<AdminState>, stop: CancellationToken) {
    let graceful = GracefulShutdown::new();
    let general = Arc::new(Semaphore::new(GENERAL_SLOTS));
    let probes = Arc::new(Semaphore::new(PROBE_SLOTS));
    let peers = Arc::new(Peers::default());
    loop {
        let (stream, peer) = tokio::select! {
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
        let Some(peer_slot) = peers.admit(peer.ip()) else {
            drop(stream); // this peer holds enough connections already
            continue;
        };
        let (permit, probes_only) = match general.clone().try_acquire_owned() {
            Ok(p) => (p, false),
            Err(_) => match probes.clone().try_acquire_owned() {
                Ok(p) => (p, true),
                Err(_) => {
                    drop(stream); // over every limit
                    continue;
                }
            },
        };
        let state = state.clone();
        let service = service_fn(move |req| {
            let state = state.clone();
            async move {
                Ok::<_, Infallible>(if probes_only && !is_probe(&req) {
                    busy()
                } else {
                    handle(&state, req).await
                })
            }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(if probes_only { 1 } else { 5 }))
            .keep_alive(!probes_only)
            .max_buf_size(16 * 1024)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that never reads its reply holds a connection until
            // here at most.
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
            drop(permit);
            drop(peer_slot);
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

fn is_probe(req: &Request<Incoming>) -> bool {
    matches!(req.uri().path(), "/livez" | "/readyz")
}

fn busy() -> Response<Body> {
    let mut r = text(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
        "busy: every connection slot is taken; only /livez and /readyz are answered\n",
    );
    r.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    r
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
        "/metrics" => text(StatusCode::OK, CONTENT_TYPE, state.metrics()),
        "/livez" => text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n"),
        "/readyz" if state.ready() => text(StatusCode::OK, "text/plain; charset=utf-8", "ready\n"),
        "/readyz" => {
            let why = if let Some(f) = state.failed.get() {
                format!("failed: {f}\n")
            } else if state.shutting_down.load(Ordering::SeqCst) {
                "shutting down\n".to_owned()
            } else {
                "waiting for the first pod list\n".to_owned()
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
