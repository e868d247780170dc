//! The typed result of classifying one log line: [`Event`], its [`Class`], and
//! the runner identity [`RunnerId`] it concerns.
//!
//! Owns the vocabulary every later stage speaks (health, metrics, reports).
//! It does not know how lines are parsed or which rule produced a class; see
//! `parse` and `classify` for that.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

/// Event classes, the taxonomy of `docs/classes.md` (from the runner's own
/// messages; see the README's classes table).
///
/// The snake_case names are a public interface (metrics labels, `classify`
/// output, alert rules): never rename one.
#[allow(missing_docs)] // each variant is documented by `Class::description`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Class {
    JobRequestOk,
    JobRequestForbidden,
    JobRequestUnavailable,
    JobRequestClientError,
    JobRequestFailed,
    JobRouterError,
    JobRouterFallback,
    RunnerUnhealthy,
    RunnerUnhealthyRecheck,
    ExecutorUnknown,
    JobUpdateForbidden,
    ArtifactForbidden,
    RegisterOk,
    RegisterForbidden,
    RegisterFailed,
    RegisterAborted,
    VerifyOk,
    VerifyRemoved,
    VerifyFailed,
    UnregisterOk,
    UnregisterFailed,
    TokenResetOk,
    TokenResetFailed,
    TokenExpiring,
    TokenMissing,
    ConfigLoaded,
    ConfigError,
    Other,
}

impl Class {
    /// Every class, in declaration order.
    pub const ALL: [Class; 28] = [
        Class::JobRequestOk,
        Class::JobRequestForbidden,
        Class::JobRequestUnavailable,
        Class::JobRequestClientError,
        Class::JobRequestFailed,
        Class::JobRouterError,
        Class::JobRouterFallback,
        Class::RunnerUnhealthy,
        Class::RunnerUnhealthyRecheck,
        Class::ExecutorUnknown,
        Class::JobUpdateForbidden,
        Class::ArtifactForbidden,
        Class::RegisterOk,
        Class::RegisterForbidden,
        Class::RegisterFailed,
        Class::RegisterAborted,
        Class::VerifyOk,
        Class::VerifyRemoved,
        Class::VerifyFailed,
        Class::UnregisterOk,
        Class::UnregisterFailed,
        Class::TokenResetOk,
        Class::TokenResetFailed,
        Class::TokenExpiring,
        Class::TokenMissing,
        Class::ConfigLoaded,
        Class::ConfigError,
        Class::Other,
    ];

    /// Number of classes; sizes per-class counter arrays.
    pub const COUNT: usize = Self::ALL.len();

    /// Index of this class in [`Class::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::JobRequestOk => "job_request_ok",
            Class::JobRequestForbidden => "job_request_forbidden",
            Class::JobRequestUnavailable => "job_request_unavailable",
            Class::JobRequestClientError => "job_request_client_error",
            Class::JobRequestFailed => "job_request_failed",
            Class::JobRouterError => "job_router_error",
            Class::JobRouterFallback => "job_router_fallback",
            Class::ExecutorUnknown => "executor_unknown",
            Class::RunnerUnhealthy => "runner_unhealthy",
            Class::RunnerUnhealthyRecheck => "runner_unhealthy_recheck",
            Class::JobUpdateForbidden => "job_update_forbidden",
            Class::ArtifactForbidden => "artifact_forbidden",
            Class::RegisterOk => "register_ok",
            Class::RegisterForbidden => "register_forbidden",
            Class::RegisterFailed => "register_failed",
            Class::RegisterAborted => "register_aborted",
            Class::VerifyOk => "verify_ok",
            Class::VerifyRemoved => "verify_removed",
            Class::VerifyFailed => "verify_failed",
            Class::UnregisterOk => "unregister_ok",
            Class::UnregisterFailed => "unregister_failed",
            Class::TokenResetOk => "token_reset_ok",
            Class::TokenResetFailed => "token_reset_failed",
            Class::TokenExpiring => "token_expiring",
            Class::TokenMissing => "token_missing",
            Class::ConfigLoaded => "config_loaded",
            Class::ConfigError => "config_error",
            Class::Other => "other",
        }
    }

    /// Parses a snake_case class name.
    pub fn from_name(name: &str) -> Option<Class> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// One line on what the class means, for `rules` and the README.
    pub fn description(self) -> &'static str {
        match self {
            Class::JobRequestOk => "a job request succeeded (job received, or no job waiting)",
            Class::JobRequestForbidden => {
                "GitLab rejected the runner's authentication token on a job request (403): the stale-token signature"
            }
            Class::JobRequestUnavailable => {
                "GitLab answered a job request with 503 (maintenance or overload)"
            }
            Class::JobRequestClientError => {
                "the runner could not build an HTTP client for its GitLab URL (bad URL or scheme)"
            }
            Class::JobRequestFailed => {
                "a job request failed: network, TLS, timeout, 5xx or other status"
            }
            Class::JobRouterError => {
                "a job request through GitLab's Job Router failed with a gRPC error (runner 18.10 and later)"
            }
            Class::JobRouterFallback => {
                "the runner stopped using the Job Router (disabled, unreachable, circuit breaker tripped) and asks GitLab directly"
            }
            Class::ExecutorUnknown => {
                "the runner's configured executor is not known to this runner binary; every poll counts as unhealthy"
            }
            Class::RunnerUnhealthy => {
                "the runner disabled itself after repeated unhealthy job requests (quiet for unhealthy_interval, 1 h by default)"
            }
            Class::RunnerUnhealthyRecheck => {
                "the runner's lockout ended and it forces a new job request"
            }
            Class::JobUpdateForbidden => {
                "a job update or trace upload was rejected with 403 (the job token, not the runner)"
            }
            Class::ArtifactForbidden => "an artifact upload or download was rejected with 403",
            Class::RegisterOk => "registration with GitLab succeeded",
            Class::RegisterForbidden => {
                "registration was rejected: the registration token is invalid (403)"
            }
            Class::RegisterFailed => {
                "registration failed: network, 5xx, or 410 when registration tokens are disabled"
            }
            Class::RegisterAborted => {
                "the register command gave up this attempt (PANIC: Failed to register/verify the runner)"
            }
            Class::VerifyOk => "the runner's authentication token was verified as valid",
            Class::VerifyRemoved => {
                "verification says the runner no longer exists or its token is not valid (403)"
            }
            Class::VerifyFailed => "verification could not complete: network, TLS or 5xx",
            Class::UnregisterOk => "the runner (or runner manager) was unregistered from GitLab",
            Class::UnregisterFailed => "unregistering the runner failed",
            Class::TokenResetOk => "the runner rotated its authentication token",
            Class::TokenResetFailed => "the runner could not rotate its authentication token",
            Class::TokenExpiring => {
                "the token is about to expire and automatic rotation is disabled (FF_DISABLE_AUTOMATIC_TOKEN_ROTATION)"
            }
            Class::TokenMissing => {
                "the runner token is empty; the runner is skipped during job polling"
            }
            Class::ConfigLoaded => "the runner loaded its configuration",
            Class::ConfigError => "the runner could not load, validate or save its configuration",
            Class::Other => "any other line",
        }
    }

    /// Classes that prove the runner can talk to GitLab with a valid token.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Class::JobRequestOk | Class::RegisterOk | Class::VerifyOk | Class::TokenResetOk
        )
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Class {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Log level as the line states it.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Panic,
    Fatal,
    Error,
    Warning,
    Info,
    Debug,
    Trace,
    /// Not stated (plain lines).
    Unknown,
}

impl Level {
    /// Lowercase name as logrus writes it (`warning`, not `warn`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Panic => "panic",
            Level::Fatal => "fatal",
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
            Level::Unknown => "unknown",
        }
    }

    /// Parses logrus level names (and the common `warn`).
    pub fn from_name(name: &str) -> Level {
        match name {
            "panic" => Level::Panic,
            "fatal" => Level::Fatal,
            "error" => Level::Error,
            "warning" | "warn" => Level::Warning,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => Level::Unknown,
        }
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which of gitlab-runner's log formats a line is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The default `runner` format: level prefix, padded message, `key=value` fields.
    Runner,
    /// logrus `text` (logfmt with quoted values).
    Text,
    /// logrus `json`.
    Json,
    /// Anything else: chart scripts, Go panics, kubelet placeholders.
    Plain,
}

impl Format {
    /// The stable name used in `classify` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Runner => "runner",
            Format::Text => "text",
            Format::Json => "json",
            Format::Plain => "plain",
        }
    }
}

impl Serialize for Format {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a request failed, when the line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// GitLab (or a proxy) answered with an error status.
    Http,
    /// Name resolution failed.
    Dns,
    /// The connection was refused, reset or dropped.
    Connect,
    /// Certificate or TLS failure.
    Tls,
    /// No answer in time.
    Timeout,
    /// The token cannot be sent: Go refuses the request header (`invalid
    /// header field`), because the token holds a newline or another control
    /// character (a Secret written with `echo` instead of `echo -n`).
    TokenFormat,
}

impl Cause {
    /// Every cause.
    pub const ALL: [Cause; 6] = [
        Cause::Http,
        Cause::Dns,
        Cause::Connect,
        Cause::Tls,
        Cause::Timeout,
        Cause::TokenFormat,
    ];

    /// Number of causes; sizes per-cause counter arrays.
    pub const COUNT: usize = Self::ALL.len();

    /// Index in [`Cause::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Http => "http",
            Cause::Dns => "dns",
            Cause::Connect => "connect",
            Cause::Tls => "tls",
            Cause::Timeout => "timeout",
            Cause::TokenFormat => "token_format",
        }
    }
}

impl Serialize for Cause {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which registration workflow a line proves the runner uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workflow {
    /// No evidence yet.
    #[default]
    Unknown,
    /// Legacy registration token: every start registers a new runner.
    Legacy,
    /// `glrt-` authentication token created in GitLab: the token *is* the runner.
    AuthToken,
}

/// Extra facts a few classes carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Nothing beyond the common fields.
    #[default]
    None,
    /// The runner disabled itself (`runner_unhealthy`).
    Lockout {
        /// How long, as printed (`1h0m0s`), when the line says.
        duration: Option<Duration>,
    },
    /// The 403 status text is a bare status line (`403 Forbidden`): the body
    /// was not GitLab's JSON, so a proxy, WAF or ingress answered.
    ProxyStatus,
    /// A line that proves the registration workflow (`Registering runner...
    /// succeeded` is legacy; `Verifying runner... is valid` is `glrt-`).
    Workflow(Workflow),
    /// The chart's `Registration attempt N of M`.
    RegistrationAttempt {
        /// Attempt number, 1-based.
        attempt: u32,
        /// Maximum attempts before the container exits.
        of: u32,
    },
    /// A Job Router request failed with this gRPC status code.
    Router(GrpcCode),
    /// `Created missing unique system ID`: the runner manager's `system_id`.
    SystemId(SystemId),
}

/// A gRPC status code, as Go's `codes.Code` prints it in `rpc error: code =
/// NAME desc = ...`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrpcCode {
    Ok,
    Canceled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    OutOfRange,
    Unimplemented,
    Internal,
    Unavailable,
    DataLoss,
    Unauthenticated,
}

impl GrpcCode {
    /// Every code, in gRPC's numeric order.
    pub const ALL: [GrpcCode; 17] = [
        GrpcCode::Ok,
        GrpcCode::Canceled,
        GrpcCode::Unknown,
        GrpcCode::InvalidArgument,
        GrpcCode::DeadlineExceeded,
        GrpcCode::NotFound,
        GrpcCode::AlreadyExists,
        GrpcCode::PermissionDenied,
        GrpcCode::ResourceExhausted,
        GrpcCode::FailedPrecondition,
        GrpcCode::Aborted,
        GrpcCode::OutOfRange,
        GrpcCode::Unimplemented,
        GrpcCode::Internal,
        GrpcCode::Unavailable,
        GrpcCode::DataLoss,
        GrpcCode::Unauthenticated,
    ];

    /// The name Go prints (`FailedPrecondition`).
    pub fn as_str(self) -> &'static str {
        match self {
            GrpcCode::Ok => "OK",
            GrpcCode::Canceled => "Canceled",
            GrpcCode::Unknown => "Unknown",
            GrpcCode::InvalidArgument => "InvalidArgument",
            GrpcCode::DeadlineExceeded => "DeadlineExceeded",
            GrpcCode::NotFound => "NotFound",
            GrpcCode::AlreadyExists => "AlreadyExists",
            GrpcCode::PermissionDenied => "PermissionDenied",
            GrpcCode::ResourceExhausted => "ResourceExhausted",
            GrpcCode::FailedPrecondition => "FailedPrecondition",
            GrpcCode::Aborted => "Aborted",
            GrpcCode::OutOfRange => "OutOfRange",
            GrpcCode::Unimplemented => "Unimplemented",
            GrpcCode::Internal => "Internal",
            GrpcCode::Unavailable => "Unavailable",
            GrpcCode::DataLoss => "DataLoss",
            GrpcCode::Unauthenticated => "Unauthenticated",
        }
    }

    /// Parses a name as Go prints it; also `Code(N)` for numbers.
    pub fn from_name(name: &str) -> Option<GrpcCode> {
        if let Some(n) = name.strip_prefix("Code(").and_then(|r| r.strip_suffix(')')) {
            return n
                .parse::<usize>()
                .ok()
                .and_then(|i| Self::ALL.get(i).copied());
        }
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The router rejects the runner's token: the same meaning as a 403.
    pub fn is_token_rejection(self) -> bool {
        matches!(self, GrpcCode::PermissionDenied | GrpcCode::Unauthenticated)
    }

    /// The router is unreachable or slow: gitlab-runner counts these toward
    /// its circuit breaker, not toward the runner's health
    /// (`router/client.go`, `isRouterFailure`).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            GrpcCode::Unavailable | GrpcCode::DeadlineExceeded | GrpcCode::Canceled
        )
    }
}

/// A runner manager's `system_id` (`s_` or `r_` and 12 characters), inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SystemId {
    len: u8,
    bytes: [u8; SystemId::MAX_LEN],
}

impl SystemId {
    /// Longest id kept (gitlab-runner writes `s_` or `r_` and 12
    /// characters; small, so that every event stays small).
    pub const MAX_LEN: usize = 16;

    /// Accepts `[A-Za-z0-9_-]{3,16}`; anything else is not a system id.
    pub fn parse(raw: &str) -> Option<SystemId> {
        let raw = raw.trim_ascii();
        if !(3..=Self::MAX_LEN).contains(&raw.len())
            || !raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return None;
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..raw.len()].copy_from_slice(raw.as_bytes());
        Some(SystemId {
            len: raw.len() as u8,
            bytes,
        })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for SystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SystemId({})", self.as_str())
    }
}

impl fmt::Display for SystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalised runner short id: the part of the authentication token that
/// gitlab-runner prints as `runner=`, with the `glrt-`, `glrtr-`, `glcbt-`,
/// `t1_`/`t2_`/`t3_` and `GR<7 hex>` prefixes stripped and at most 9
/// characters kept, so that nothing beyond gitlab-runner's own short id can
/// ever be stored.
///
/// Inline and `Copy`: hashing and comparing it costs no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunnerId {
    len: u8,
    bytes: [u8; RunnerId::MAX_LEN],
}

impl RunnerId {
    /// The longest id kept (gitlab-runner 18.2+ prints 9 characters).
    pub const MAX_LEN: usize = 9;
    /// Shorter ids are not trusted to identify a runner.
    pub const MIN_LEN: usize = 6;

    /// Normalises a `runner=` value or a token. Returns `None` when the value
    /// is not token-shaped (empty, too short, too long to be a short id, or
    /// characters outside `[A-Za-z0-9_-]`), so runner *names* that some
    /// versions print in `runner=` are not mistaken for ids.
    pub fn normalize(raw: &str) -> Option<RunnerId> {
        let raw = raw.trim_ascii();
        let had_token_prefix = Self::has_token_prefix(raw);
        // A printed short id is at most 17 characters (`GR` + 15); a value
        // that is longer without a token prefix is a name, not an id.
        if !had_token_prefix && raw.len() > 17 {
            return None;
        }
        let stripped = if had_token_prefix || raw.starts_with('t') {
            Self::strip_prefixes(raw).as_bytes()
        } else {
            raw.as_bytes()
        };
        if stripped.len() < Self::MIN_LEN
            || !stripped
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        {
            return None;
        }
        let keep = stripped.len().min(Self::MAX_LEN);
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..keep].copy_from_slice(&stripped[..keep]);
        Some(RunnerId {
            len: keep as u8,
            bytes,
        })
    }

    fn has_token_prefix(raw: &str) -> bool {
        match raw.as_bytes().first() {
            Some(b'g') => ["glrt-", "glrtr-", "glcbt-"]
                .iter()
                .any(|p| raw.starts_with(p)),
            Some(b'G') => is_gr_prefix(raw),
            _ => false,
        }
    }

    fn strip_prefixes(raw: &str) -> &str {
        let mut s = raw;
        for p in ["glrtr-", "glrt-", "glcbt-"] {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest;
                break;
            }
        }
        if let Some(rest) = s
            .strip_prefix("t1_")
            .or_else(|| s.strip_prefix("t2_"))
            .or_else(|| s.strip_prefix("t3_"))
        {
            s = rest;
        }
        if is_gr_prefix(s) {
            s = &s[9..];
        }
        s
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored (checked in `normalize`).
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// Whether `self` and `other` name the same runner as GitLab matches them:
    /// one is a prefix of the other and they share at least
    /// [`RunnerId::MIN_LEN`] characters. This bridges runner versions (8 vs 9
    /// characters) and GitLab's `shortSha` (8 characters).
    pub fn matches(&self, other: &RunnerId) -> bool {
        let (a, b) = (self.as_str(), other.as_str());
        let overlap = a.len().min(b.len());
        overlap >= Self::MIN_LEN && a[..overlap] == b[..overlap]
    }
}

fn is_gr_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 9 && b.starts_with(b"GR") && b[2..9].iter().all(u8::is_ascii_hexdigit)
}

impl fmt::Debug for RunnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RunnerId({})", self.as_str())
    }
}

impl fmt::Display for RunnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RunnerId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One classified log line. Owned and small, so it can cross channels.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// What happened.
    pub class: Class,
    /// Index of the rule that matched in its classifier (`None` for `other`
    /// lines no rule matched).
    pub rule: Option<u16>,
    /// The runner the line is about, normalised.
    pub runner: Option<RunnerId>,
    /// The HTTP status the line reports, or implies unambiguously.
    pub http_status: Option<u16>,
    /// Why a failure happened, when the line says.
    pub cause: Option<Cause>,
    /// The job id, when present.
    pub job: Option<u64>,
    /// Level as printed.
    pub level: Level,
    /// Format the line was written in.
    pub format: Format,
    /// Class-specific facts.
    pub detail: Detail,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Option<String> {
        RunnerId::normalize(s).map(|r| r.as_str().to_owned())
    }

    #[test]
    fn normalize_strips_token_prefixes_and_keeps_nine_characters() {
        assert_eq!(id("HYErDk_6w").as_deref(), Some("HYErDk_6w"));
        assert_eq!(
            id("glrt-t3_FAKEtoken9FAKEFAKE").as_deref(),
            Some("FAKEtoken")
        );
        assert_eq!(id("t1_Rw8Ycn").as_deref(), Some("Rw8Ycn"));
        assert_eq!(id("glrtr-FAKEfake1jKl").as_deref(), Some("FAKEfake1"));
        assert_eq!(id("GR1348941Qm7Tx2Kd").as_deref(), Some("Qm7Tx2Kd"));
        assert_eq!(id("Hq3Zx9Ta").as_deref(), Some("Hq3Zx9Ta"));
    }

    #[test]
    fn normalize_rejects_names_and_garbage() {
        assert_eq!(id(""), None);
        assert_eq!(id("abc"), None);
        assert_eq!(id("gitlab-runner-6c8d9f7b5-qz4tn"), None);
        assert_eq!(id("has space"), None);
        assert_eq!(id("é-accent-x"), None);
    }

    #[test]
    fn a_full_token_never_survives_normalisation() {
        let full = "glrt-t1_FAKEfake1FAKEfake2FAKEfake3";
        let r = RunnerId::normalize(full).unwrap();
        assert_eq!(r.as_str(), "FAKEfake1");
    }

    #[test]
    fn ids_match_across_runner_versions_and_gitlab_short_sha() {
        let old = RunnerId::normalize("TgbhXFrg").unwrap();
        let new = RunnerId::normalize("TgbhXFrg9").unwrap();
        let other = RunnerId::normalize("TgbhXFrh9").unwrap();
        assert!(old.matches(&new));
        assert!(new.matches(&old));
        assert!(!new.matches(&other));
    }

    #[test]
    fn class_names_round_trip() {
        for c in Class::ALL {
            assert_eq!(Class::from_name(c.as_str()), Some(c));
            assert_eq!(Class::ALL[c.index()], c);
        }
    }
}
