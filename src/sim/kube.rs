//! An in-process Kubernetes API server over HTTP/1.1 on 127.0.0.1:0 that
//! speaks the real wire format for what runner-medic (and `kubectl get`,
//! `kubectl logs`) use: discovery, pod list and watch (NDJSON events,
//! bookmarks, ERROR 410 as an event), pod get, and container logs (chunked
//! `text/plain`, `timestamps=true` with nine fractional digits, `sinceTime`
//! applied at second precision and inclusive, `previous`, the 400/404
//! `Status` bodies). Faults from `sim::cluster::Fault` are injected per request.
//!
//! Served by `sim::cluster`'s state (the wire format is the Kubernetes API
//! reference's: pods, logs, Events, Leases, ConfigMaps, Secrets, Deployments).

mod handlers;
mod logs;
mod objects;
mod watch;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use k8s_openapi::api::core::v1::Pod;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::cluster::{Cluster, Recorded};

/// Response body of the fake server.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// Tunables of the fake server.
#[derive(Debug, Clone)]
pub struct Options {
    /// How often watches with `allowWatchBookmarks` get a BOOKMARK.
    pub bookmark_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bookmark_interval: Duration::from_secs(5),
        }
    }
}

/// A running fake API server.
#[derive(Debug, Clone)]
pub struct FakeKube {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub cluster: Arc<Cluster>,
    stop: CancellationToken,
}

impl FakeKube {
    /// Starts a server for `cluster` on 127.0.0.1 (an ephemeral port).
    pub async fn start(cluster: Arc<Cluster>, options: Options) -> std::io::Result<FakeKube> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let ctx = Arc::new(Ctx {
            cluster: cluster.clone(),
            options,
            addr,
        });
        let token = stop.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = token.cancelled() => return,
                    r = listener.accept() => match r {
                        Ok(s) => s,
                        Err(_) => continue,
                    },
                };
                let ctx = ctx.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let ctx = ctx.clone();
                        async move { Ok::<_, Infallible>(route(&ctx, req).await) }
                    });
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = token.cancelled() => {}
                    }
                });
            }
        });
        Ok(FakeKube {
            addr,
            cluster,
            stop,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kube client for this server (no retries: tests see every error).
    pub fn client(&self) -> Result<kube::Client, kube::Error> {
        let uri: http::Uri = self
            .url()
            .parse()
            .map_err(|e: http::uri::InvalidUri| kube::Error::Service(Box::new(e)))?;
        let mut config = kube::Config::new(uri);
        config.default_retry = false;
        config.default_namespace = "default".into();
        kube::Client::try_from(config)
    }

    /// A kubeconfig file's text pointing at this server.
    pub fn kubeconfig(&self, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {}\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n    namespace: {namespace}\ncurrent-context: sim\nusers:\n- name: sim\n  user:\n    token: sim-token\n",
            self.url()
        )
    }

    /// Stops accepting and closes open connections.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

/// Shared by all requests.
#[derive(Debug)]
struct Ctx {
    cluster: Arc<Cluster>,
    options: Options,
    addr: SocketAddr,
}

async fn route(ctx: &Ctx, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let uri = req.uri().clone();
    ctx.cluster.lock().requests.push(Recorded {
        method: method.to_string(),
        uri: uri.to_string(),
    });
    let accept = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let query = Query::parse(uri.query().unwrap_or(""));
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let r = Req {
        method: &method,
        segments: &segments,
        query: &query,
        accept: &accept,
        body: &body,
    };
    handlers::handle(ctx, r).await
}

/// A parsed request.
struct Req<'a> {
    method: &'a http::Method,
    segments: &'a [&'a str],
    query: &'a Query,
    accept: &'a str,
    body: &'a Bytes,
}

/// Query parameters, percent-decoded; tolerates `?&a=b` as kube sends it.
#[derive(Debug, Default)]
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: &str) -> Query {
        Query(
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key) == Some("true")
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(
        Full::new(body.into())
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    full(status, "application/json", value.to_string())
}

/// A `metav1.Status` error as the apiserver writes it.
fn status(
    code: u16,
    reason: &str,
    message: &str,
    details: Option<serde_json::Value>,
) -> Response<Body> {
    let mut v = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    json(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &v,
    )
}

// Shared by the route modules (here, so that they import only their
// parent, never each other).

/// A pod as JSON, with `kind` and `apiVersion`.
pub(super) fn to_json(p: &Pod) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    v["kind"] = "Pod".into();
    v["apiVersion"] = "v1".into();
    v
}

pub(super) fn pod_not_found(name: &str) -> Response<Body> {
    status(
        404,
        "NotFound",
        &format!("pods \"{name}\" not found"),
        Some(serde_json::json!({"name": name, "kind": "pods"})),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_like_kube_sends_them() {
        let q = Query::parse(
            "&labelSelector=app%3Dgitlab-runner&sinceTime=2026-03-02T10%3A00%3A04Z&follow=true",
        );
        assert_eq!(q.get("labelSelector"), Some("app=gitlab-runner"));
        assert_eq!(q.get("sinceTime"), Some("2026-03-02T10:00:04Z"));
        assert!(q.flag("follow"));
        assert_eq!(decode("a%2"), "a%2");
    }
}
