//! An in-process GitLab (HTTP/1.1 on 127.0.0.1:0) for the runner APIs
//! runner-medic calls, with GitLab's status codes and error bodies
//! (as GitLab's REST and GraphQL API documentation describes them): `GET /api/v4/version`, `POST /api/graphql`
//! (runner lookup with `shortSha`, cursor pagination), `GET /api/v4/runners`
//! (`x-next-page`), `GET|DELETE /api/v4/runners/:id`,
//! `POST /api/v4/runners/:id/reset_authentication_token`,
//! `POST /api/v4/user/runners`. Authenticated by `PRIVATE-TOKEN` (or
//! `Authorization: Bearer`).
//!
//! Simulated runners use the same state directly (the runner-facing API):
//! registering with a registration token, verifying or polling with their
//! token. Deleting a runner kills its token, as in GitLab.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::cluster::Recorded;

type Body = BoxBody<Bytes, Infallible>;

/// A runner known to the simulated GitLab.
#[derive(Debug, Clone, PartialEq)]
pub struct SimRunner {
    /// Numeric id.
    pub id: u64,
    /// Its authentication token (full; only the sim knows it).
    pub token: String,
    /// `instance_type`, `group_type`, `project_type`.
    pub runner_type: String,
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Runs untagged jobs.
    pub run_untagged: bool,
    /// Locked.
    pub locked: bool,
    /// Access level.
    pub access_level: String,
    /// Maximum timeout (seconds).
    pub maximum_timeout: Option<u64>,
    /// Owning group (group runners).
    pub group_id: Option<u64>,
    /// Created by a registration token (legacy) rather than in the UI/API.
    pub legacy: bool,
    /// The token expired: the runner still exists, its token is rejected.
    pub expired: bool,
    /// Full path of the group (group runners) or project (project runners)
    /// it belongs to; empty for instance runners.
    pub owner_path: String,
    /// Last accepted request with its token (`None`: never contacted).
    /// GitLab hears nothing from a runner whose token it rejects.
    pub contacted_at: Option<jiff::Timestamp>,
    /// Managers: `system_id` and last contact (one per pod in the chart).
    pub managers: BTreeMap<String, jiff::Timestamp>,
    /// Token expiry, when the token expires.
    pub token_expires_at: Option<jiff::Timestamp>,
}

impl SimRunner {
    /// GitLab's `shortSha`: 8 characters after `glrt-` and the partition prefix.
    pub fn short_sha(&self) -> String {
        let t = self
            .token
            .trim_start_matches("glrt-")
            .trim_start_matches("glrtr-");
        let t = t
            .strip_prefix("t1_")
            .or_else(|| t.strip_prefix("t2_"))
            .or_else(|| t.strip_prefix("t3_"))
            .unwrap_or(t);
        t.chars().take(8).collect()
    }

    /// The id gitlab-runner prints (`runner=`): 9 characters.
    pub fn log_id(&self) -> String {
        shorten_token(&self.token)
    }
}

/// gitlab-runner 18.2+'s `helpers.ShortenToken`: strip `glrt-` (with its
/// partition prefix), `t1_`..`t3_`, `glrtr-`, `glcbt-` or `GR` + 7 hex
/// digits, then keep 9 characters. What runners print as `runner=`.
pub fn shorten_token(token: &str) -> String {
    let mut t = token;
    for p in ["glrtr-", "glcbt-", "glrt-"] {
        if let Some(rest) = t.strip_prefix(p) {
            t = rest;
            break;
        }
    }
    for p in ["t1_", "t2_", "t3_"] {
        if let Some(rest) = t.strip_prefix(p) {
            t = rest;
            break;
        }
    }
    let b = t.as_bytes();
    if b.len() > 9 && b.starts_with(b"GR") && b[2..9].iter().all(u8::is_ascii_hexdigit) {
        t = &t[9..];
    }
    t.chars().take(9).collect()
}

/// A fault for the next matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum GitlabFault {
    /// Every API request answers 503 until cleared.
    Down,
    /// The next `n` requests answer 429 with `Retry-After: 1`.
    RateLimited(u32),
    /// `DELETE /runners/:id` answers 403 with a reason.
    DeleteForbidden,
    /// `POST /user/runners` and resets answer 403 (token lacks the scope).
    CreateForbidden,
    /// GraphQL runner listings serve their first page, then answer this
    /// status (429 with `Retry-After`, or 5xx) for every later page: a
    /// listing cut in the middle.
    LookupCut {
        /// The status of the pages after the first.
        status: u16,
    },
    /// After `after` reads of `GET /runners/:id`, the runner contacts GitLab
    /// (its record changes between runner-medic's decision and its write).
    ContactAfterReads {
        /// Reads answered before the contact.
        after: usize,
    },
}

/// The simulated GitLab's state.
#[derive(Debug)]
pub struct GitlabState {
    /// Runners by id.
    pub runners: BTreeMap<u64, SimRunner>,
    /// Accepted personal access tokens.
    pub tokens: Vec<String>,
    /// Registration tokens that work (legacy workflow).
    pub registration_tokens: Vec<String>,
    /// Registration with tokens is allowed (off by default since GitLab 17.0).
    pub registration_enabled: bool,
    /// Active faults.
    pub faults: Vec<GitlabFault>,
    /// Scopes of every accepted access token.
    pub scopes: Vec<String>,
    /// Requests received.
    pub requests: Vec<Recorded>,
    /// GraphQL page size.
    pub page_size: usize,
    /// Behave like GitLab before 17.0: `CiRunner.creationMethod` is unknown.
    pub no_creation_method: bool,
    /// Runner record reads (for faults).
    record_reads: usize,
    next_id: u64,
    counter: u64,
}

impl Default for GitlabState {
    fn default() -> Self {
        GitlabState {
            runners: BTreeMap::new(),
            tokens: Vec::new(),
            registration_tokens: Vec::new(),
            registration_enabled: true,
            faults: Vec::new(),
            scopes: vec!["api".into()],
            requests: Vec::new(),
            page_size: 100,
            no_creation_method: false,
            record_reads: 0,
            next_id: 1,
            counter: 0,
        }
    }
}

impl GitlabState {
    /// A fresh token body (deterministic, 20 characters).
    fn mint(&mut self) -> String {
        const ALPHA: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        self.counter += 1;
        let mut x = self.counter.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x9E37_79B9;
        (0..20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ALPHA[(x % ALPHA.len() as u64) as usize] as char
            })
            .collect()
    }

    /// Adds a runner with a given token; returns its id.
    pub fn add_runner(&mut self, token: &str, legacy: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.runners.insert(
            id,
            SimRunner {
                id,
                token: token.into(),
                runner_type: if legacy {
                    "project_type".into()
                } else {
                    "group_type".into()
                },
                description: format!("runner {id}"),
                tags: vec!["k8s".into()],
                run_untagged: true,
                locked: false,
                access_level: "not_protected".into(),
                maximum_timeout: Some(3600),
                group_id: Some(42),
                legacy,
                expired: false,
                owner_path: if legacy {
                    "platform/runners".into()
                } else {
                    "platform".into()
                },
                contacted_at: None,
                managers: BTreeMap::new(),
                token_expires_at: None,
            },
        );
        id
    }

    /// The runner whose token is `token`.
    pub fn runner_by_token(&self, token: &str) -> Option<&SimRunner> {
        self.runners.values().find(|r| r.token == token)
    }

    /// Legacy `POST /api/v4/runners` with a registration token, from a
    /// runner named `description` (gitlab-runner's default name is the host
    /// name, i.e. the pod): the new runner's token, or the HTTP status
    /// GitLab answers (403, 410).
    pub fn register(&mut self, registration_token: &str, description: &str) -> Result<String, u16> {
        if !self.registration_enabled {
            return Err(410);
        }
        if !self
            .registration_tokens
            .iter()
            .any(|t| t == registration_token)
        {
            return Err(403);
        }
        let token = format!("t1_{}", self.mint());
        let id = self.add_runner(&token, true);
        if let Some(r) = self.runners.get_mut(&id) {
            r.description = description.into();
        }
        Ok(token)
    }

    /// An accepted request of the runner API (`jobs/request`, `verify`,
    /// token reset) with `token` from the runner manager `system_id`: GitLab
    /// records the contact (the heartbeat behind `contacted_at`). False when
    /// the token is not accepted: then nothing is recorded.
    pub fn contact(&mut self, token: &str, system_id: &str) -> bool {
        let now = jiff::Timestamp::now();
        match self
            .runners
            .values_mut()
            .find(|r| r.token == token && !r.expired)
        {
            Some(r) => {
                r.contacted_at = Some(now);
                r.managers.insert(system_id.to_owned(), now);
                true
            }
            None => false,
        }
    }

    /// Whether a runner token authenticates (`POST /runners/verify`, job requests).
    pub fn token_valid(&self, token: &str) -> bool {
        self.runner_by_token(token).is_some_and(|r| !r.expired)
    }

    /// The runner API's `POST /runners/reset_authentication_token` with
    /// the current token (what a runner does before its token expires):
    /// the new token, or `None` when the token is not valid.
    pub fn rotate(&mut self, token: &str) -> Option<String> {
        let new = format!("glrt-t2_{}", self.mint());
        let r = self
            .runners
            .values_mut()
            .find(|r| r.token == token && !r.expired)?;
        r.token = new.clone();
        Some(new)
    }

    /// Deletes the runner that holds `token`; its id.
    pub fn delete_by_token(&mut self, token: &str) -> Option<u64> {
        let id = self.runner_by_token(token)?.id;
        self.runners.remove(&id);
        Some(id)
    }

    /// Makes a runner's token expire (the runner stays listed).
    pub fn expire(&mut self, token: &str) {
        if let Some(r) = self.runners.values_mut().find(|r| r.token == token) {
            r.expired = true;
        }
    }
}

/// A running simulated GitLab.
#[derive(Debug, Clone)]
pub struct FakeGitlab {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<Mutex<GitlabState>>,
    stop: CancellationToken,
}

impl FakeGitlab {
    /// Starts on 127.0.0.1 with `state`.
    pub async fn start(state: GitlabState) -> std::io::Result<FakeGitlab> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(state));
        let stop = CancellationToken::new();
        let (st, token) = (state.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = token.cancelled() => return,
                    r = listener.accept() => match r { Ok(s) => s, Err(_) => continue },
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(handle(&st, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FakeGitlab { addr, state, stop })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Locks the state.
    pub fn lock(&self) -> MutexGuard<'_, GitlabState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests received.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Stops the server.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

fn respond(status: u16, body: serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn message(status: u16, msg: &str) -> Response<Body> {
    respond(status, serde_json::json!({ "message": msg }))
}

async fn handle(state: &Mutex<GitlabState>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let auth = req
        .headers()
        .get("private-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            req.headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_owned)
        });
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    st.requests.push(Recorded {
        method: method.to_string(),
        uri: uri.to_string(),
    });
    if st.faults.contains(&GitlabFault::Down) {
        let mut r = Response::new(
            Full::new(Bytes::from_static(
                b"<html><body>GitLab is not responding (502/503)</body></html>",
            ))
            .boxed(),
        );
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        return r;
    }
    if let Some(i) = st
        .faults
        .iter()
        .position(|f| matches!(f, GitlabFault::RateLimited(n) if *n > 0))
    {
        if let GitlabFault::RateLimited(n) = &mut st.faults[i] {
            *n -= 1;
        }
        let mut r = Response::new(Full::new(Bytes::from_static(b"Retry later\n")).boxed());
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        r.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("1"),
        );
        return r;
    }
    if !auth.as_ref().is_some_and(|a| st.tokens.contains(a)) {
        return message(401, "401 Unauthorized");
    }
    let path = uri.path().trim_end_matches('/');
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let query: BTreeMap<String, String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["api", "v4", "version"]) => respond(
            200,
            serde_json::json!({"version": "18.9.0-sim", "revision": "0000000"}),
        ),
        (&Method::POST, ["api", "graphql"]) => {
            let cut = st.faults.iter().find_map(|f| match f {
                GitlabFault::LookupCut { status } => Some(*status),
                _ => None,
            });
            let first_page = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .is_some_and(|v| v["variables"]["after"].is_null());
            match cut {
                Some(status) if !first_page => {
                    let mut r = message(status, "Retry later");
                    if status == 429 {
                        r.headers_mut().insert(
                            http::header::RETRY_AFTER,
                            http::HeaderValue::from_static("1"),
                        );
                    }
                    r
                }
                _ => graphql(&st, &body),
            }
        }
        (&Method::GET, ["api", "v4", "personal_access_tokens", "self"]) => respond(
            200,
            serde_json::json!({"id": 7, "name": "runner-medic", "revoked": false, "active": true,
                               "scopes": st.scopes, "user_id": 1, "expires_at": null}),
        ),
        (&Method::GET, ["api", "v4", "runners"]) => list(&st, &query),
        (&Method::GET, ["api", "v4", "runners", id, "managers"]) => {
            match id.parse::<u64>().ok().and_then(|i| st.runners.get(&i)) {
                Some(r) => respond(200, managers(r)),
                None => message(404, "404 Runner Not Found"),
            }
        }
        (&Method::GET, ["api", "v4", "runners", id]) => {
            st.record_reads += 1;
            let contact = st.faults.iter().any(
                |f| matches!(f, GitlabFault::ContactAfterReads { after } if st.record_reads > *after),
            );
            if contact && let Some(r) = id.parse::<u64>().ok().and_then(|i| st.runners.get_mut(&i))
            {
                r.contacted_at = Some(jiff::Timestamp::now());
            }
            match id.parse::<u64>().ok().and_then(|i| st.runners.get(&i)) {
                Some(r) => respond(200, details(r)),
                None => message(404, "404 Runner Not Found"),
            }
        }
        (&Method::DELETE, ["api", "v4", "runners", id]) => {
            if st.faults.contains(&GitlabFault::DeleteForbidden) {
                return message(403, "403 Forbidden  - No access granted");
            }
            match id.parse::<u64>().ok().and_then(|i| st.runners.remove(&i)) {
                Some(_) => {
                    let mut r = Response::new(Full::new(Bytes::new()).boxed());
                    *r.status_mut() = StatusCode::NO_CONTENT;
                    r
                }
                None => message(404, "404 Runner Not Found"),
            }
        }
        (&Method::POST, ["api", "v4", "runners", id, "reset_authentication_token"]) => {
            if st.faults.contains(&GitlabFault::CreateForbidden) {
                return respond(
                    403,
                    serde_json::json!({"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token."}),
                );
            }
            let Some(i) = id
                .parse::<u64>()
                .ok()
                .filter(|i| st.runners.contains_key(i))
            else {
                return message(404, "404 Runner Not Found");
            };
            let token = format!("glrt-t2_{}", st.mint());
            if let Some(r) = st.runners.get_mut(&i) {
                r.token = token.clone();
                r.expired = false;
            }
            respond(
                201,
                serde_json::json!({"token": token, "token_expires_at": null}),
            )
        }
        (&Method::POST, ["api", "v4", "user", "runners"]) => {
            if st.faults.contains(&GitlabFault::CreateForbidden) {
                return respond(
                    403,
                    serde_json::json!({"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token."}),
                );
            }
            let p: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let runner_type = p["runner_type"].as_str().unwrap_or("");
            if !["instance_type", "group_type", "project_type"].contains(&runner_type) {
                return respond(
                    400,
                    serde_json::json!({"error": "runner_type does not have a valid value"}),
                );
            }
            let token = format!("glrt-t2_{}", st.mint());
            let id = st.add_runner(&token, false);
            if let Some(r) = st.runners.get_mut(&id) {
                r.runner_type = runner_type.into();
                r.description = p["description"].as_str().unwrap_or("").into();
                r.tags = p["tag_list"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                r.run_untagged = p["run_untagged"].as_bool().unwrap_or(true);
                r.locked = p["locked"].as_bool().unwrap_or(false);
                r.group_id = p["group_id"].as_u64();
                r.maximum_timeout = p["maximum_timeout"].as_u64();
            }
            respond(
                201,
                serde_json::json!({"id": id, "token": token, "token_expires_at": null}),
            )
        }
        _ => message(404, "404 Not Found"),
    }
}

fn details(r: &SimRunner) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "description": r.description, "ip_address": null, "active": true, "paused": false,
        "is_shared": r.runner_type == "instance_type", "runner_type": r.runner_type, "name": "gitlab-runner",
        "online": true, "status": "online", "tag_list": r.tags, "run_untagged": r.run_untagged, "locked": r.locked,
        "maximum_timeout": r.maximum_timeout, "access_level": r.access_level, "version": "18.9.0",
        "groups": r.group_id.map(|g| vec![serde_json::json!({"id": g})]).unwrap_or_default(), "projects": [],
        "contacted_at": r.contacted_at.map(|t| t.to_string()),
        "token_expires_at": r.token_expires_at.map(|t| t.to_string()),
        "maintenance_note": null,
    })
}

fn managers(r: &SimRunner) -> serde_json::Value {
    serde_json::Value::Array(
        r.managers
            .iter()
            .enumerate()
            .map(|(i, (system_id, at))| {
                serde_json::json!({
                    "id": r.id * 100 + i as u64, "system_id": system_id, "version": "18.9.0",
                    "revision": "1e7e9a42", "platform": "linux", "architecture": "amd64",
                    "created_at": at.to_string(), "contacted_at": at.to_string(),
                    "ip_address": "10.0.0.7", "status": "online",
                })
            })
            .collect(),
    )
}

fn list(st: &GitlabState, q: &BTreeMap<String, String>) -> Response<Body> {
    let per_page: usize = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let page: usize = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let all: Vec<&SimRunner> = st.runners.values().collect();
    let items: Vec<serde_json::Value> = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| serde_json::json!({"id": r.id, "description": r.description, "runner_type": r.runner_type, "status": "online", "paused": false}))
        .collect();
    let mut resp = respond(200, serde_json::Value::Array(items));
    let next = if page * per_page < all.len() {
        (page + 1).to_string()
    } else {
        String::new()
    };
    let h = resp.headers_mut();
    let set = |h: &mut http::HeaderMap, k: &'static str, v: String| {
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set(h, "x-next-page", next);
    set(h, "x-page", page.to_string());
    set(h, "x-per-page", per_page.to_string());
    set(h, "x-total", all.len().to_string());
    resp
}

fn graphql(st: &GitlabState, body: &[u8]) -> Response<Body> {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let query = v["query"].as_str().unwrap_or("");
    if !query.contains("runners") {
        return respond(
            200,
            serde_json::json!({"errors": [{"message": "Field 'runners' is missing"}]}),
        );
    }
    let after: usize = v["variables"]["after"]
        .as_str()
        .and_then(|c| c.strip_prefix("cursor:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let path = v["variables"]["path"].as_str().unwrap_or("");
    if query.contains("creationMethod") && st.no_creation_method {
        return respond(
            200,
            serde_json::json!({"errors": [{"message": "Field 'creationMethod' doesn't exist on type 'CiRunner'"}]}),
        );
    }
    let group = query.contains("group(fullPath");
    let project = query.contains("project(fullPath");
    let runners: Vec<&SimRunner> = st
        .runners
        .values()
        .filter(|r| {
            if group {
                // `Group.runners` (membership DESCENDANTS): runners of the
                // group, its subgroups and their projects.
                r.runner_type != "instance_type"
                    && (r.owner_path == path || r.owner_path.starts_with(&format!("{path}/")))
            } else if project {
                r.runner_type == "project_type" && r.owner_path == path
            } else {
                true
            }
        })
        .collect();
    let page: Vec<serde_json::Value> = runners
        .iter()
        .skip(after)
        .take(st.page_size)
        .map(|r| {
            serde_json::json!({
                "id": format!("gid://gitlab/Ci::Runner/{}", r.id),
                "shortSha": r.short_sha(),
                "runnerType": r.runner_type.to_uppercase(),
                "description": r.description,
                "creationMethod": if r.legacy { "REGISTRATION_TOKEN" } else { "AUTHENTICATED_USER" },
            })
        })
        .collect();
    let end = after + page.len();
    let conn = serde_json::json!({
        "pageInfo": {"hasNextPage": end < runners.len(), "endCursor": format!("cursor:{end}")},
        "nodes": page,
    });
    let data = if group {
        serde_json::json!({"group": {"runners": conn}})
    } else if project {
        serde_json::json!({"project": {"runners": conn}})
    } else {
        serde_json::json!({"runners": conn})
    };
    respond(200, serde_json::json!({ "data": data }))
}
