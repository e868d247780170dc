//! The built-in rules: the runner messages of the taxonomy, as data.
//!
//! Every pattern is matched against the *message* of a parsed line (level
//! prefix, padding and fields removed; the whole line for plain text) and is
//! anchored at its start, so a `403` or `forbidden` inside a job name, URL,
//! quoted status or teed job log never matches. Order matters: the first
//! rule whose pattern and conditions match wins, so specific rules come
//! before general ones (`... failed` with status 503 before `... failed`).

use crate::event::{Class, Workflow};

/// Where a rule takes the runner id from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunnerFrom {
    /// The `runner` field (or a `runner` capture group).
    Field,
    /// The `target` capture: `<url><short token>` of the unhealthy lines.
    Target,
    /// The `runner` field only when a `runner_name` field is present too:
    /// runner 18.5 to 18.8 print the runner *name* in `runner=` on these lines.
    FieldWithName,
}

/// Extra facts a rule attaches to its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    /// None.
    None,
    /// `runner_unhealthy`: the lockout and its duration.
    Lockout,
    /// The line proves the registration workflow.
    Workflow(Workflow),
    /// `Registration attempt N of M`.
    Attempt,
    /// A Job Router error: the gRPC code (and HTTP status) of its `error`.
    Router,
    /// `Created missing unique system ID`: the `system_id` field.
    SystemId,
}

/// A built-in rule.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Stable rule name.
    pub name: &'static str,
    /// Class assigned on match.
    pub class: Class,
    /// Regex over the message.
    pub pattern: &'static str,
    /// A literal every matching line contains (used by benchmarks as a
    /// scan-only baseline, and documented by `rules`).
    pub anchor: &'static str,
    /// Only when the line reports (or the rule implies) this status.
    pub status: Option<u16>,
    /// Only when this field matches this regex.
    pub field: Option<(&'static str, &'static str)>,
    /// The status the message itself implies when no field states one.
    pub implied_status: Option<u16>,
    /// Runner id source.
    pub runner: RunnerFrom,
    /// Extra facts.
    pub detail: DetailKind,
}

const fn rule(
    name: &'static str,
    class: Class,
    pattern: &'static str,
    anchor: &'static str,
) -> Builtin {
    Builtin {
        name,
        class,
        pattern,
        anchor,
        status: None,
        field: None,
        implied_status: None,
        runner: RunnerFrom::Field,
        detail: DetailKind::None,
    }
}

const fn implies(mut r: Builtin, status: u16) -> Builtin {
    r.implied_status = Some(status);
    r
}

const fn when_status(mut r: Builtin, status: u16) -> Builtin {
    r.status = Some(status);
    r
}

const fn workflow(mut r: Builtin, w: Workflow) -> Builtin {
    r.detail = DetailKind::Workflow(w);
    r
}

const JOBS: &str = "Checking for jobs";

/// The built-in rules, in precedence order.
pub const BUILTIN: &[Builtin] = &[
    // --- job requests (POST /api/v4/jobs/request) ---
    implies(
        rule(
            "job_request_forbidden",
            Class::JobRequestForbidden,
            r"^Checking for jobs\.\.\.\s?forbidden\b",
            JOBS,
        ),
        403,
    ),
    implies(
        rule(
            "job_request_unavailable",
            Class::JobRequestUnavailable,
            r"^Checking for jobs\.\.\.\s?GitLab instance currently unavailable",
            JOBS,
        ),
        503,
    ),
    // Before runner 18.3 a 503 was logged as `failed`: the status wins.
    when_status(
        rule(
            "job_request_failed_503",
            Class::JobRequestUnavailable,
            r"^Checking for jobs\.\.\.\s?failed\b",
            JOBS,
        ),
        503,
    ),
    rule(
        "job_request_failed",
        Class::JobRequestFailed,
        r"^Checking for jobs\.\.\.\s?failed\b",
        JOBS,
    ),
    rule(
        "job_request_client_error",
        Class::JobRequestClientError,
        r"^Checking for jobs\.\.\.\s?(?:client )?error\b",
        JOBS,
    ),
    rule(
        "job_request_received",
        Class::JobRequestOk,
        r"^Checking for jobs\.\.\.\s?received\b",
        JOBS,
    ),
    rule(
        "job_request_no_content",
        Class::JobRequestOk,
        r"^Checking for jobs\.\.\.\s?(?:no content|nothing)\b",
        JOBS,
    ),
    // --- the Job Router (router/client.go, runner 18.10+) ---
    Builtin {
        detail: DetailKind::Router,
        ..rule(
            "job_router_error",
            Class::JobRouterError,
            // `GetJob RPC` in 18.8, renamed in 18.9.
            r"^(?:Error requesting a job|GetJob RPC)\b",
            "Error requesting a job",
        )
    },
    rule(
        "job_router_fallback",
        Class::JobRouterFallback,
        r"^Job router (?:circuit breaker tripped|dial failed|is disabled)\b",
        "Job router",
    ),
    // --- runner health (commands/health_helper.go) ---
    Builtin {
        runner: RunnerFrom::Target,
        detail: DetailKind::Lockout,
        ..rule(
            "runner_unhealthy",
            Class::RunnerUnhealthy,
            r#"^Runner "?(?P<target>[^"\s]+)"? is (?:unhealthy|not healthy) and will be disabled(?: for (?P<duration>[0-9a-zµ.]+) seconds)?"#,
            "and will be disabled",
        )
    },
    Builtin {
        runner: RunnerFrom::Target,
        ..rule(
            "runner_unhealthy_recheck",
            Class::RunnerUnhealthyRecheck,
            r#"^Runner "?(?P<target>[^"\s]+)"? is not healthy, but (?:check for a new job will be forced|will be checked)"#,
            "is not healthy, but",
        )
    },
    // commands/multi.go: counts as an unhealthy request at every poll.
    rule(
        "executor_unknown",
        Class::ExecutorUnknown,
        r#"^Executor "?[^"]*"? is not known; marking Runner as unhealthy"#,
        "is not known; marking Runner as unhealthy",
    ),
    // --- job updates and trace (the job token, not the runner token) ---
    implies(
        rule(
            "job_update_forbidden",
            Class::JobUpdateForbidden,
            r"^Submitting job to coordinator\.\.\.\s?forbidden\b",
            "Submitting job to coordinator",
        ),
        403,
    ),
    when_status(
        rule(
            "job_trace_forbidden",
            Class::JobUpdateForbidden,
            r"^Appending trace to coordinator\.\.\.\s?failed\b",
            "Appending trace to coordinator",
        ),
        403,
    ),
    // --- artifacts (helper containers) ---
    when_status(
        rule(
            "artifact_upload_forbidden",
            Class::ArtifactForbidden,
            r#"^Uploading artifacts (?:as "[^"]*" )?to coordinator\.\.\.\s?(?:[A-Z]+ \S+: )?(?P<status>[1-5][0-9]{2})\b"#,
            "to coordinator...",
        ),
        403,
    ),
    implies(
        rule(
            "artifact_download_forbidden",
            Class::ArtifactForbidden,
            r"^Downloading artifacts from coordinator\.\.\.\s?forbidden\b",
            "Downloading artifacts from coordinator",
        ),
        403,
    ),
    // --- registration and verification (gitlab-runner register) ---
    implies(
        rule(
            "register_forbidden",
            Class::RegisterForbidden,
            r"^Registering runner\.\.\.\s?forbidden\b",
            "Registering runner",
        ),
        403,
    ),
    workflow(
        rule(
            "register_succeeded",
            Class::RegisterOk,
            r"^Registering runner\.\.\.\s?succeeded\b",
            "Registering runner",
        ),
        Workflow::Legacy,
    ),
    rule(
        "register_failed",
        Class::RegisterFailed,
        r"^Registering runner\.\.\.\s?(?:client error|error|failed)\b",
        "Registering runner",
    ),
    rule(
        "runner_registered",
        Class::RegisterOk,
        r"^Runner registered successfully\b",
        "Runner registered successfully",
    ),
    workflow(
        implies(
            rule(
                "verify_not_valid",
                Class::VerifyRemoved,
                r"^Verifying runner\.\.\.\s?is not valid\b",
                "Verifying runner",
            ),
            403,
        ),
        Workflow::AuthToken,
    ),
    workflow(
        implies(
            rule(
                "verify_removed",
                Class::VerifyRemoved,
                r"^Verifying runner\.\.\.\s?is removed\b",
                "Verifying runner",
            ),
            403,
        ),
        Workflow::Legacy,
    ),
    workflow(
        rule(
            "verify_valid",
            Class::VerifyOk,
            r"^Verifying runner\.\.\.\s?is valid\b",
            "Verifying runner",
        ),
        Workflow::AuthToken,
    ),
    workflow(
        rule(
            "verify_alive",
            Class::VerifyOk,
            r"^Verifying runner\.\.\.\s?is alive\b",
            "Verifying runner",
        ),
        Workflow::Legacy,
    ),
    rule(
        "verify_failed",
        Class::VerifyFailed,
        r"^Verifying runner\.\.\.\s?(?:client error|error|failed)\b",
        "Verifying runner",
    ),
    rule(
        "register_aborted",
        Class::RegisterAborted,
        r"^Failed to (?:register|verify) (?:the|this) runner\b",
        "Failed to",
    ),
    rule(
        "unregister_ok",
        Class::UnregisterOk,
        r"^Unregistering runner (?:manager )?from GitLab succeeded\b",
        "Unregistering runner",
    ),
    implies(
        rule(
            "unregister_forbidden",
            Class::UnregisterFailed,
            r"^Unregistering runner (?:manager )?from GitLab forbidden\b",
            "Unregistering runner",
        ),
        403,
    ),
    rule(
        "unregister_failed",
        Class::UnregisterFailed,
        r"^Unregistering runner (?:manager )?from GitLab (?:client error|error|failed)\b",
        "Unregistering runner",
    ),
    rule(
        "token_reset_ok",
        Class::TokenResetOk,
        r"^Resetting runner (?:authentication )?token\.\.\.\s?succeeded\b",
        "Resetting runner",
    ),
    implies(
        rule(
            "token_reset_forbidden",
            Class::TokenResetFailed,
            r"^Resetting runner (?:authentication )?token\.\.\.\s?failed \(check used token\)",
            "Resetting runner",
        ),
        403,
    ),
    rule(
        "token_reset_failed",
        Class::TokenResetFailed,
        r"^Resetting runner (?:authentication )?token\.\.\.\s?(?:client error|error|failed)\b",
        "Resetting runner",
    ),
    rule(
        "token_reset_command_failed",
        Class::TokenResetFailed,
        r"^Failed to reset runner (?:authentication )?token\b",
        "Failed to",
    ),
    // commands/multi.go prints this with fmt.Printf (no level, no newline)
    // inside a Warningln, so it is a plain line, possibly glued to the next.
    rule(
        "token_expiring",
        Class::TokenExpiring,
        r"^Automatic token rotation is disabled for runner: (?P<runner>\S+?)-[a-z]_[0-9a-zA-Z]{12}\. Your token is about to expire",
        "Automatic token rotation",
    ),
    rule(
        "token_missing",
        Class::TokenMissing,
        r"^Runner token is empty or whitespace\b",
        "Runner token is empty",
    ),
    // --- configuration ---
    rule(
        "config_loaded",
        Class::ConfigLoaded,
        r"^Configuration loaded\b",
        "Configuration loaded",
    ),
    rule(
        "config_load_failed",
        Class::ConfigError,
        r"^Failed to (?:load|save) config\b",
        "Failed to",
    ),
    Builtin {
        field: Some((
            "error",
            r"^(?:decoding configuration file|invalid config|loading configuration for)\b|\bNear line [0-9]+|\btoml: line [0-9]+",
        )),
        ..rule(
            "config_service_failed",
            Class::ConfigError,
            r"^Service run failed\b",
            "Service run failed",
        )
    },
    // `register` with a glrt- token and settings that GitLab owns (chart
    // values such as `locked` or `tags` next to `runnerToken`).
    rule(
        "config_reserved",
        Class::ConfigError,
        r"^Runner configuration other than name\b.{0,60}? is reserved\b",
        "Runner configuration other than name",
    ),
    // --- lines kept as `other` but read for their facts ---
    Builtin {
        detail: DetailKind::SystemId,
        ..rule(
            "system_id_created",
            Class::Other,
            r"^Created missing unique system ID\b",
            "Created missing unique system ID",
        )
    },
    Builtin {
        detail: DetailKind::Attempt,
        ..rule(
            "registration_attempt",
            Class::Other,
            r"^Registration attempt (?P<attempt>[0-9]{1,6}) of (?P<of>[0-9]{1,6})\b",
            "Registration attempt",
        )
    },
    Builtin {
        runner: RunnerFrom::FieldWithName,
        ..rule(
            "job_list",
            Class::Other,
            r"^(?:Added job to|Removed job from) processing list\b",
            "processing list",
        )
    },
];
