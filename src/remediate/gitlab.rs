//! The GitLab API client remediation uses (reqwest): health, the runner
//! lookup by short id (GraphQL `shortSha`, paginated by cursor), runner
//! details, deletion, token reset and runner creation.
//!
//! Safe by construction: the token is sent only in `PRIVATE-TOKEN`, never
//! logged or shown (its type prints `[REDACTED]`); error bodies are shown
//! redacted and cut; a client-side rate limit (1 request/s by default)
//! spaces requests; 429 and 5xx are retried with backoff honouring
//! `Retry-After`, but only for requests that are safe to repeat (a token
//! reset is not: repeating it would lose the first new token). It never
//! calls `POST /runners/verify`, which has side effects.

use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::event::RunnerId;
use crate::metrics::{Metrics, StatusClass};
use crate::redact::redact;

pub use crate::redact::Secret;

/// Which runners the lookup lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunnerScope {
    /// Every runner of the instance (needs an admin token).
    Instance,
    /// Runners of a group (`group:path/to/group`).
    Group(String),
    /// Runners of a project (`project:group/project`).
    Project(String),
}

impl RunnerScope {
    /// As written in the configuration (`instance`, `group:<path>`, `project:<path>`).
    pub fn as_text(&self) -> String {
        match self {
            RunnerScope::Instance => "instance".into(),
            RunnerScope::Group(p) => format!("group:{p}"),
            RunnerScope::Project(p) => format!("project:{p}"),
        }
    }

    /// A comma-separated list of scopes (`group:a,project:b/c`).
    pub fn parse_list(s: &str) -> Result<Vec<RunnerScope>, String> {
        let scopes: Vec<RunnerScope> = s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        if scopes.is_empty() {
            return Err("no scope given: use instance, or group:<full path> and project:<full path> separated by commas".into());
        }
        if scopes.len() > 1 && scopes.contains(&RunnerScope::Instance) {
            return Err("instance already covers every group and project: give it alone".into());
        }
        Ok(scopes)
    }
}

impl std::str::FromStr for RunnerScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "instance" => Ok(RunnerScope::Instance),
            Some(("group", p)) if !p.is_empty() => Ok(RunnerScope::Group(p.into())),
            Some(("project", p)) if !p.is_empty() => Ok(RunnerScope::Project(p.into())),
            _ => Err(format!(
                "{s:?}: use instance, group:<full path> or project:<full path>"
            )),
        }
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct GitlabConfig {
    /// `https://gitlab.example.com` (no `/api/v4`).
    pub url: String,
    /// Personal (or group/project) access token.
    pub token: Secret,
    /// Requests per second, at most.
    pub rate: f64,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Attempts for requests that may be repeated.
    pub attempts: u32,
    /// Where the runner lookup looks: the groups and projects the operator
    /// named, or the whole instance when that was asked for explicitly.
    pub scopes: Vec<RunnerScope>,
    /// Extra CA certificate (PEM) for a private GitLab.
    pub ca_pem: Option<Vec<u8>>,
}

/// A GitLab call failed.
#[derive(Debug, thiserror::Error)]
pub enum GitlabError {
    /// GitLab answered with an error status.
    #[error("GitLab {endpoint} answered {status}: {message}")]
    Status {
        /// Which call.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// The error body, redacted.
        message: String,
    },
    /// No answer (connection, TLS, timeout).
    #[error("GitLab {endpoint} could not be reached: {message}")]
    Transport {
        /// Which call.
        endpoint: &'static str,
        /// What went wrong, redacted.
        message: String,
    },
    /// The answer was not what the API documents.
    #[error("GitLab {endpoint} answered something unexpected: {message}")]
    Unexpected {
        /// Which call.
        endpoint: &'static str,
        /// What.
        message: String,
    },
    /// The client could not be built.
    #[error("cannot build the GitLab client: {0}")]
    Setup(String),
}

impl GitlabError {
    /// A bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            GitlabError::Status { status, .. } if *status == 401 || *status == 403 => "auth",
            GitlabError::Status { status, .. } if *status == 404 => "not_found",
            GitlabError::Status { status, .. } if *status == 429 => "rate_limited",
            GitlabError::Status { status, .. } if *status >= 500 => "server",
            GitlabError::Status { .. } => "client",
            GitlabError::Transport { .. } => "transport",
            GitlabError::Unexpected { .. } => "unexpected",
            GitlabError::Setup(_) => "setup",
        }
    }

    /// The HTTP status, when GitLab answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitlabError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A runner found by the lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundRunner {
    /// Numeric id.
    pub id: u64,
    /// GitLab's short token (8 characters today).
    pub short_sha: String,
    /// `INSTANCE_TYPE`, `GROUP_TYPE`, `PROJECT_TYPE`.
    pub runner_type: String,
    /// Description.
    pub description: String,
    /// `REGISTRATION_TOKEN` (legacy) or `AUTHENTICATED_USER` (created in the
    /// UI or the API: a `glrt-` runner); `None` when GitLab does not say
    /// (older than 17.0).
    pub creation_method: Option<String>,
}

/// What GitLab's record says about a runner's contact with GitLab: the
/// second witness that decides whether the log's rejections describe
/// GitLab's view (`GET /api/v4/runners/:id` and `/managers`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerRecord {
    /// Numeric id.
    pub id: u64,
    /// Description (gitlab-runner's `--name`, by default the host name: for
    /// a legacy runner, the pod that registered it).
    pub description: String,
    /// Last contact of the runner (any of its managers).
    pub contacted_at: Option<jiff::Timestamp>,
    /// Expiry of the runner's token, when it expires.
    pub token_expires_at: Option<jiff::Timestamp>,
    /// The runner's managers (one per `system_id`, i.e. per pod in the chart).
    pub managers: Vec<RunnerManager>,
}

impl RunnerRecord {
    /// GitLab's contact with the runner after `first` (the first rejection
    /// a log shows) plus `skew` (clock disagreement), if any: a runner whose
    /// token GitLab rejects cannot reach GitLab, so such a contact means the
    /// log does not describe GitLab's view. The one rule the decision and
    /// the re-check before every write share.
    pub fn heard_after(
        &self,
        first: jiff::Timestamp,
        skew: std::time::Duration,
    ) -> Option<jiff::Timestamp> {
        // A skew that does not fit counts as none: the stricter reading.
        let skew = jiff::SignedDuration::try_from(skew).unwrap_or_default();
        let limit = first.checked_add(skew).unwrap_or(first);
        self.last_contact().filter(|c| *c > limit)
    }

    /// The newest contact GitLab recorded, from the runner or any manager.
    pub fn last_contact(&self) -> Option<jiff::Timestamp> {
        self.managers
            .iter()
            .filter_map(|m| m.contacted_at)
            .chain(self.contacted_at)
            .max()
    }
}

/// One entry of `GET /api/v4/runners/:id/managers`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerManager {
    /// `r_...` / `s_...`: one per runner process (pod) with this token.
    pub system_id: String,
    /// Its last contact.
    pub contacted_at: Option<jiff::Timestamp>,
}

/// `GET /api/v4/runners/:id` (the fields a re-creation needs).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunnerDetails {
    /// Numeric id.
    pub id: u64,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `instance_type`, `group_type`, `project_type`.
    #[serde(default)]
    pub runner_type: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tag_list: Vec<String>,
    /// Runs untagged jobs.
    #[serde(default)]
    pub run_untagged: Option<bool>,
    /// Locked to its projects.
    #[serde(default)]
    pub locked: Option<bool>,
    /// `not_protected` or `ref_protected`.
    #[serde(default)]
    pub access_level: Option<String>,
    /// Maximum job timeout (seconds).
    #[serde(default)]
    pub maximum_timeout: Option<u64>,
    /// Paused.
    #[serde(default)]
    pub paused: Option<bool>,
    /// Groups the runner belongs to.
    #[serde(default)]
    pub groups: Vec<IdRef>,
    /// Projects the runner belongs to.
    #[serde(default)]
    pub projects: Vec<IdRef>,
    /// Last contact (RFC 3339), from GitLab's cache of heartbeats.
    #[serde(default)]
    pub contacted_at: Option<String>,
    /// Token expiry (RFC 3339; newest GitLab versions only).
    #[serde(default)]
    pub token_expires_at: Option<String>,
}

/// `{ "id": 1 }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IdRef {
    /// Id.
    pub id: u64,
}

/// A new runner token (`reset_authentication_token`, `POST /user/runners`).
#[derive(Clone, Deserialize)]
pub struct IssuedToken {
    /// The runner's id (only for a created runner).
    #[serde(default)]
    pub id: Option<u64>,
    /// The `glrt-` token. Never logged.
    pub token: Secret,
    /// Expiry, when the token expires.
    #[serde(default)]
    pub token_expires_at: Option<String>,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

/// The client.
#[derive(Debug)]
pub struct Gitlab {
    http: reqwest::Client,
    base: String,
    token: Secret,
    rate: f64,
    attempts: u32,
    scopes: Vec<RunnerScope>,
    next: Mutex<Instant>,
    /// GitLab answered that `CiRunner.creationMethod` does not exist (< 17.0).
    no_creation_method: std::sync::atomic::AtomicBool,
    metrics: Option<Metrics>,
}

impl Gitlab {
    /// A client; `metrics` counts requests by endpoint and status class.
    pub fn new(c: GitlabConfig, metrics: Option<Metrics>) -> Result<Gitlab, GitlabError> {
        // reqwest is built without a bundled crypto provider: use ring, as kube does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::Client::builder()
            .user_agent(concat!("runner-medic/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(c.timeout)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &c.ca_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| GitlabError::Setup(e.to_string()))?;
            b = b.add_root_certificate(cert);
        }
        let http = b.build().map_err(|e| GitlabError::Setup(e.to_string()))?;
        Ok(Gitlab {
            http,
            base: c.url.trim_end_matches('/').to_owned(),
            token: c.token,
            rate: if c.rate > 0.0 { c.rate } else { 1.0 },
            attempts: c.attempts.max(1),
            scopes: c.scopes,
            next: Mutex::new(Instant::now()),
            no_creation_method: std::sync::atomic::AtomicBool::new(false),
            metrics,
        })
    }

    async fn pace(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = Instant::now().max(*next) + Duration::from_secs_f64(1.0 / self.rate);
    }

    /// One API call with pacing, retries (when `repeatable`) and metrics.
    async fn call(
        &self,
        endpoint: &'static str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
        query: &[(&str, String)],
        repeatable: bool,
    ) -> Result<reqwest::Response, GitlabError> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pace().await;
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("PRIVATE-TOKEN", self.token.expose())
                .query(query);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let result = req.send().await;
            let class = match &result {
                Ok(r) => StatusClass::of(r.status().as_u16()),
                Err(_) => StatusClass::NoAnswer,
            };
            if let Some(m) = &self.metrics {
                m.remediation.gitlab_request(endpoint, class);
            }
            match result {
                Err(e) => {
                    let message = redact(&transport_text(&e)).into_owned();
                    if repeatable && attempt < self.attempts {
                        tokio::time::sleep(backoff(attempt)).await;
                        continue;
                    }
                    return Err(GitlabError::Transport { endpoint, message });
                }
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(&resp);
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || (status.is_server_error() && repeatable);
                    if retryable && attempt < self.attempts {
                        let wait = retry_after
                            .unwrap_or_else(|| backoff(attempt))
                            .min(Duration::from_secs(60));
                        tracing::debug!(
                            endpoint,
                            status = status.as_u16(),
                            ?wait,
                            "GitLab asked to retry"
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let text = resp.text().await.unwrap_or_default();
                    return Err(GitlabError::Status {
                        endpoint,
                        status: status.as_u16(),
                        message: error_message(&text),
                    });
                }
            }
        }
    }

    /// `GET /api/v4/version`: GitLab is up and the token works.
    pub async fn version(&self) -> Result<String, GitlabError> {
        #[derive(Deserialize)]
        struct V {
            version: String,
        }
        let r = self
            .call("version", Method::GET, "/api/v4/version", None, &[], true)
            .await?;
        let v: V = r.json().await.map_err(|e| unexpected("version", &e))?;
        Ok(v.version)
    }

    /// Every runner in the configured scopes whose `shortSha` matches
    /// `runner` (GraphQL, 100 per page, following cursors; a runner seen in
    /// several scopes counts once). The answer is complete or an error: a
    /// listing cut short (too many pages, a page without a cursor, an error
    /// or a rate limit that outlasts the retries) is never taken for "no
    /// such runner".
    pub async fn find_runners(&self, runner: &RunnerId) -> Result<Vec<FoundRunner>, GitlabError> {
        if self.scopes.is_empty() {
            return Err(GitlabError::Setup(
                "no runner scope configured (remediation.gitlab.runner_scope)".into(),
            ));
        }
        let mut found: Vec<FoundRunner> = Vec::new();
        for scope in &self.scopes {
            let in_scope = match self.find_in_scope(scope, runner).await {
                Err(GitlabError::Unexpected { message, .. })
                    if message.contains("creationMethod")
                        && !self.no_creation_method.swap(true, Ordering::Relaxed) =>
                {
                    tracing::info!(
                        "GitLab does not know CiRunner.creationMethod (older than 17.0): how a runner was created cannot be read from GitLab"
                    );
                    self.find_in_scope(scope, runner).await?
                }
                other => other?,
            };
            for f in in_scope {
                if !found.iter().any(|x| x.id == f.id) {
                    found.push(f);
                }
            }
        }
        Ok(found)
    }

    async fn find_in_scope(
        &self,
        scope: &RunnerScope,
        runner: &RunnerId,
    ) -> Result<Vec<FoundRunner>, GitlabError> {
        /// 500 pages of 100: a scope with more runners than this is not
        /// searched by short id (prune stale runners first).
        const MAX_PAGES: usize = 500;
        let (wrapper, var) = match scope {
            RunnerScope::Instance => (None, None),
            RunnerScope::Group(p) => (Some("group"), Some(p.clone())),
            RunnerScope::Project(p) => (Some("project"), Some(p.clone())),
        };
        let creation = if self.no_creation_method.load(Ordering::Relaxed) {
            ""
        } else {
            " creationMethod"
        };
        let fields = format!(
            "pageInfo {{ hasNextPage endCursor }} nodes {{ id shortSha runnerType description{creation} }}"
        );
        let query = match wrapper {
            None => format!(
                "query($after: String) {{ runners(first: 100, after: $after) {{ {fields} }} }}"
            ),
            Some(w) => format!(
                "query($after: String, $path: ID!) {{ {w}(fullPath: $path) {{ runners(first: 100, after: $after) {{ {fields} }} }} }}"
            ),
        };
        let mut after: Option<String> = None;
        let mut found = Vec::new();
        for _page in 0..MAX_PAGES {
            let body = json!({"query": query, "variables": {"after": after, "path": var}});
            let r = self
                .call(
                    "graphql_runners",
                    Method::POST,
                    "/api/graphql",
                    Some(body),
                    &[],
                    true,
                )
                .await?;
            let v: serde_json::Value = r
                .json()
                .await
                .map_err(|e| unexpected("graphql_runners", &e))?;
            if let Some(errors) = v.get("errors").and_then(|e| e.as_array())
                && !errors.is_empty()
            {
                let msg = errors
                    .iter()
                    .filter_map(|e| e.get("message").and_then(|m| m.as_str()))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(GitlabError::Unexpected {
                    endpoint: "graphql_runners",
                    message: redact(&msg).into_owned(),
                });
            }
            let conn = match wrapper {
                None => &v["data"]["runners"],
                Some(w) => &v["data"][w]["runners"],
            };
            if conn.is_null() || !conn["nodes"].is_array() {
                return Err(GitlabError::Unexpected {
                    endpoint: "graphql_runners",
                    message: format!(
                        "no runners in the answer for scope {} (does it exist, and may the token read its runners?)",
                        scope.as_text()
                    ),
                });
            }
            for node in conn["nodes"].as_array().into_iter().flatten() {
                let short = node["shortSha"].as_str().unwrap_or("");
                let matches = RunnerId::normalize(short).is_some_and(|s| s.matches(runner));
                if !matches {
                    continue;
                }
                let gid = node["id"].as_str().unwrap_or("");
                let Some(id) = gid.rsplit('/').next().and_then(|n| n.parse().ok()) else {
                    return Err(GitlabError::Unexpected {
                        endpoint: "graphql_runners",
                        message: "a matching runner has no numeric id".into(),
                    });
                };
                found.push(FoundRunner {
                    id,
                    short_sha: short.to_owned(),
                    runner_type: node["runnerType"].as_str().unwrap_or("").to_owned(),
                    description: node["description"].as_str().unwrap_or("").to_owned(),
                    creation_method: node["creationMethod"].as_str().map(str::to_owned),
                });
            }
            match conn["pageInfo"]["hasNextPage"].as_bool() {
                Some(false) => return Ok(found),
                Some(true) => {}
                None => {
                    return Err(GitlabError::Unexpected {
                        endpoint: "graphql_runners",
                        message: "the answer has no pageInfo.hasNextPage: cannot tell whether the listing is complete".into(),
                    });
                }
            }
            after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            if after.is_none() {
                return Err(GitlabError::Unexpected {
                    endpoint: "graphql_runners",
                    message: "GitLab says more pages follow but gave no cursor: the listing is incomplete".into(),
                });
            }
        }
        Err(GitlabError::Unexpected {
            endpoint: "graphql_runners",
            message: format!(
                "scope {} lists more than {} runners; the listing was cut, so no answer is taken from it (narrow remediation.gitlab.runner_scope)",
                scope.as_text(),
                MAX_PAGES * 100
            ),
        })
    }

    /// GitLab's record of a runner's contact: `GET /api/v4/runners/:id`
    /// and `GET /api/v4/runners/:id/managers`. Never cached: callers ask
    /// right before they decide or write.
    pub async fn record(&self, id: u64) -> Result<RunnerRecord, GitlabError> {
        #[derive(Deserialize)]
        struct M {
            #[serde(default)]
            system_id: Option<String>,
            #[serde(default)]
            contacted_at: Option<String>,
        }
        let details = self.runner(id).await?;
        let r = self
            .call(
                "runner_managers",
                Method::GET,
                &format!("/api/v4/runners/{id}/managers"),
                None,
                &[],
                true,
            )
            .await?;
        let managers: Vec<M> = r
            .json()
            .await
            .map_err(|e| unexpected("runner_managers", &e))?;
        let time =
            |endpoint: &'static str, v: &Option<String>| -> Result<_, GitlabError> {
                match v.as_deref() {
                    None | Some("") => Ok(None),
                    Some(t) => t.parse::<jiff::Timestamp>().map(Some).map_err(|e| {
                        GitlabError::Unexpected {
                            endpoint,
                            message: format!("unreadable time {t:?}: {e}"),
                        }
                    }),
                }
            };
        Ok(RunnerRecord {
            id: details.id,
            description: details.description.clone().unwrap_or_default(),
            contacted_at: time("runner", &details.contacted_at)?,
            token_expires_at: time("runner", &details.token_expires_at)?,
            managers: managers
                .iter()
                .map(|m| {
                    Ok(RunnerManager {
                        system_id: m.system_id.clone().unwrap_or_default(),
                        contacted_at: time("runner_managers", &m.contacted_at)?,
                    })
                })
                .collect::<Result<_, GitlabError>>()?,
        })
    }

    /// The scopes of the access token in use (`GET
    /// /api/v4/personal_access_tokens/self`; also answers for group and
    /// project access tokens). No side effect.
    pub async fn token_scopes(&self) -> Result<Vec<String>, GitlabError> {
        #[derive(Deserialize)]
        struct T {
            #[serde(default)]
            scopes: Vec<String>,
        }
        let r = self
            .call(
                "token_self",
                Method::GET,
                "/api/v4/personal_access_tokens/self",
                None,
                &[],
                true,
            )
            .await?;
        let t: T = r.json().await.map_err(|e| unexpected("token_self", &e))?;
        Ok(t.scopes)
    }

    /// `GET /api/v4/runners/:id`.
    pub async fn runner(&self, id: u64) -> Result<RunnerDetails, GitlabError> {
        let r = self
            .call(
                "runner",
                Method::GET,
                &format!("/api/v4/runners/{id}"),
                None,
                &[],
                true,
            )
            .await?;
        r.json().await.map_err(|e| unexpected("runner", &e))
    }

    /// Runner ids of `GET /api/v4/runners` (every page, by `x-next-page`).
    pub async fn list_runner_ids(&self) -> Result<Vec<u64>, GitlabError> {
        #[derive(Deserialize)]
        struct R {
            id: u64,
        }
        let mut ids = Vec::new();
        let mut page = "1".to_owned();
        for _ in 0..1000 {
            let r = self
                .call(
                    "runners",
                    Method::GET,
                    "/api/v4/runners",
                    None,
                    &[("per_page", "100".into()), ("page", page.clone())],
                    true,
                )
                .await?;
            let next = r
                .headers()
                .get("x-next-page")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let batch: Vec<R> = r.json().await.map_err(|e| unexpected("runners", &e))?;
            ids.extend(batch.into_iter().map(|r| r.id));
            if next.is_empty() {
                return Ok(ids);
            }
            page = next;
        }
        Err(GitlabError::Unexpected {
            endpoint: "runners",
            message: "more than 1000 pages of runners: the listing was cut, so it is not taken as complete".into(),
        })
    }

    /// `DELETE /api/v4/runners/:id`. Ok(true) when it was deleted now,
    /// Ok(false) when it was already gone (404): both mean gone.
    pub async fn delete_runner(&self, id: u64) -> Result<bool, GitlabError> {
        match self
            .call(
                "delete_runner",
                Method::DELETE,
                &format!("/api/v4/runners/{id}"),
                None,
                &[],
                true,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(GitlabError::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `POST /api/v4/runners/:id/reset_authentication_token` (not repeated
    /// on errors: a second reset would lose the first new token).
    pub async fn reset_token(&self, id: u64) -> Result<IssuedToken, GitlabError> {
        let r = self
            .call(
                "reset_token",
                Method::POST,
                &format!("/api/v4/runners/{id}/reset_authentication_token"),
                None,
                &[],
                false,
            )
            .await?;
        r.json().await.map_err(|e| unexpected("reset_token", &e))
    }

    /// `POST /api/v4/user/runners` (not repeated on errors).
    pub async fn create_runner(
        &self,
        params: serde_json::Value,
    ) -> Result<IssuedToken, GitlabError> {
        let r = self
            .call(
                "create_runner",
                Method::POST,
                "/api/v4/user/runners",
                Some(params),
                &[],
                false,
            )
            .await?;
        r.json().await.map_err(|e| unexpected("create_runner", &e))
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 * 2u64.pow(attempt.saturating_sub(1).min(6)))
}

/// `Retry-After` in seconds (HTTP dates are treated as one second).
fn retry_after(r: &reqwest::Response) -> Option<Duration> {
    let v = r
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    Some(
        v.trim()
            .parse::<u64>()
            .map_or(Duration::from_secs(1), Duration::from_secs),
    )
}

/// GitLab's `{"message": ...}` or `{"error": ...}`, else the text, redacted
/// and cut to 300 characters.
fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let m = v.get("message").or_else(|| v.get("error"))?;
            Some(match m {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        });
    let text = from_json.unwrap_or_else(|| body.trim().to_owned());
    let text = redact(&text).into_owned();
    let text = if text.is_empty() {
        "(no body)".to_owned()
    } else {
        text
    };
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn transport_text(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn unexpected(endpoint: &'static str, e: &reqwest::Error) -> GitlabError {
    GitlabError::Unexpected {
        endpoint,
        message: redact(&e.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new(" glpat-FAKEfakeFAKEfakeFAKE \n");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        assert_eq!(s.expose(), "glpat-FAKEfakeFAKEfakeFAKE");
        let t = IssuedToken {
            id: Some(1),
            token: Secret::new("glrt-FAKESECRETSECRETSECRET"),
            token_expires_at: None,
        };
        assert!(!format!("{t:?}").contains("SECRET"));
    }

    #[test]
    fn error_bodies_are_read_redacted_and_cut() {
        assert_eq!(
            error_message(r#"{"message":"403 Forbidden  - No access granted"}"#),
            "403 Forbidden  - No access granted"
        );
        assert_eq!(
            error_message(r#"{"error":"insufficient_scope"}"#),
            "insufficient_scope"
        );
        assert_eq!(
            error_message(r#"{"message":{"tag_list":["is invalid"]}}"#),
            r#"{"tag_list":["is invalid"]}"#
        );
        assert_eq!(error_message("Retry later\n"), "Retry later");
        assert_eq!(
            error_message("token glpat-FAKEfakeFAKEfakeFAKE leaked"),
            "token glpat-[REDACTED] leaked"
        );
        assert!(error_message(&"x".repeat(1000)).chars().count() <= 301);
    }

    #[test]
    fn scopes_parse() {
        assert_eq!("instance".parse(), Ok(RunnerScope::Instance));
        assert_eq!(
            "group:platform/ci".parse(),
            Ok(RunnerScope::Group("platform/ci".into()))
        );
        assert!("group:".parse::<RunnerScope>().is_err());
        assert!("everything".parse::<RunnerScope>().is_err());
    }
}
