//! The catalogue of runner messages (every wording by version:
//! `docs/runner-versions.md` and `classify/versions.rs`),
//! rendered in every format, with and without colours and timestamps.

use std::time::Duration;

use super::*;
use crate::event::{Cause, Class, Format, Level, Workflow};
use crate::parse::Parser;
use crate::sim::render::{Entry, Style, kube_prefix, render};

const URL: &str = "https://gitlab.example.com";
const RID: &str = "xJ8kP2mQa";
const CID: &str = "01JCQ8ZK4W7Y3V9N2B5M6T1R0X";
const POD: &str = "gitlab-runner-6c8d9f7b5-qz4tn";

/// (entry, class, runner, status)
fn catalogue() -> Vec<(Entry, Class, Option<&'static str>, Option<u16>)> {
    let api = |path: &str, status: &str| format!("POST {URL}/api/v4/{path}: {status}");
    let poll = |level: Level, msg: &str| {
        Entry::new(level, msg)
            .field("correlation_id", CID)
            .field("runner", RID)
            .field("runner_name", POD)
    };
    use Class::*;
    vec![
        (
            poll(Level::Info, "Checking for jobs... received")
                .field("job", 48213377)
                .field("repo_url", format!("{URL}/platform/payments-api.git")),
            JobRequestOk,
            Some(RID),
            None,
        ),
        (
            poll(Level::Debug, "Checking for jobs...no content").field("status", "204 No Content"),
            JobRequestOk,
            Some(RID),
            Some(204),
        ),
        (poll(Level::Debug, "Checking for jobs...nothing"), JobRequestOk, Some(RID), None),
        (poll(Level::Debug, "Checking for jobs... nothing"), JobRequestOk, Some(RID), None),
        (
            poll(Level::Error, "Checking for jobs... forbidden")
                .field("status", api("jobs/request", "403 Forbidden")),
            JobRequestForbidden,
            Some(RID),
            Some(403),
        ),
        // Before runner 16.5 the line had no status: the message implies it.
        (
            Entry::new(Level::Error, "Checking for jobs... forbidden").field("runner", "HYErDk_6"),
            JobRequestForbidden,
            Some("HYErDk_6"),
            Some(403),
        ),
        (
            poll(Level::Error, "Checking for jobs... forbidden").field("status", "403 Forbidden"),
            JobRequestForbidden,
            Some(RID),
            Some(403),
        ),
        (
            poll(Level::Warning, "Checking for jobs... GitLab instance currently unavailable")
                .field("status", api("jobs/request", "503 Service Unavailable")),
            JobRequestUnavailable,
            Some(RID),
            Some(503),
        ),
        (
            poll(Level::Warning, "Checking for jobs... failed").field("status", "503 Service Unavailable"),
            JobRequestUnavailable,
            Some(RID),
            Some(503),
        ),
        (
            poll(Level::Warning, "Checking for jobs... failed").field(
                "status",
                format!("execute JSON request: execute request: couldn't execute POST against {URL}/api/v4/jobs/request: Post \"{URL}/api/v4/jobs/request\": dial tcp: lookup gitlab.example.com on 10.96.0.10:53: no such host"),
            ),
            JobRequestFailed,
            Some(RID),
            None,
        ),
        (
            poll(Level::Warning, "Checking for jobs... failed").field("status", api("jobs/request", "502 Bad Gateway")),
            JobRequestFailed,
            Some(RID),
            Some(502),
        ),
        (
            poll(Level::Error, "Checking for jobs... client error")
                .field("status", "get client: new client: only http or https scheme supported"),
            JobRequestClientError,
            Some(RID),
            None,
        ),
        (poll(Level::Error, "Checking for jobs... error"), JobRequestClientError, Some(RID), None),
        (
            Entry::new(Level::Error, format!("Runner \"{URL}{RID}\" is unhealthy and will be disabled for 1h0m0s seconds!"))
                .field("unhealthy_requests", 3)
                .field("unhealthy_requests_limit", 3),
            RunnerUnhealthy,
            Some(RID),
            None,
        ),
        (
            Entry::new(Level::Error, format!("Runner \"{URL}/{RID}\" is unhealthy and will be disabled for 1h0m0s seconds!")),
            RunnerUnhealthy,
            Some(RID),
            None,
        ),
        // Up to 15.6 the line printed the whole token: only 9 characters survive.
        (
            Entry::new(Level::Error, format!("Runner {URL}glrt-t1_FAKEfake1FAKEfake2FAKE is not healthy and will be disabled!")),
            RunnerUnhealthy,
            Some("FAKEfake1"),
            None,
        ),
        (
            Entry::new(Level::Warning, format!("Runner \"{URL}{RID}\" is not healthy, but check for a new job will be forced!"))
                .field("unhealthy_interval", Duration::from_secs(3600))
                .field("unhealthy_requests", 0)
                .field("unhealthy_requests_limit", 3),
            RunnerUnhealthyRecheck,
            Some(RID),
            None,
        ),
        (
            poll(Level::Error, "Submitting job to coordinator... forbidden")
                .field("code", 403)
                .field("job", 48213377)
                .field("status", "PUT https://gitlab.example.com/api/v4/jobs/48213377: 403 Forbidden"),
            JobUpdateForbidden,
            Some(RID),
            Some(403),
        ),
        (
            poll(Level::Warning, "Appending trace to coordinator... failed")
                .field("code", 403)
                .field("job", 48213377)
                .field("status", "403 Forbidden"),
            JobUpdateForbidden,
            Some(RID),
            Some(403),
        ),
        (
            poll(Level::Warning, "Appending trace to coordinator... failed").field("code", 500).field("job", 1),
            Other,
            Some(RID),
            Some(500),
        ),
        (
            poll(Level::Info, "Submitting job to coordinator...ok").field("code", 200).field("job", 48213377),
            Other,
            Some(RID),
            Some(200),
        ),
        (
            Entry::new(
                Level::Error,
                format!("Uploading artifacts as \"archive\" to coordinator... POST {URL}/api/v4/jobs/123/artifacts: 403 Forbidden"),
            )
            .field("id", 123)
            .field("status", 403)
            .field("token", "aB3dE5fG"),
            ArtifactForbidden,
            None,
            Some(403),
        ),
        (
            Entry::new(Level::Error, "Uploading artifacts to coordinator... 403 Forbidden").field("id", 123),
            ArtifactForbidden,
            None,
            Some(403),
        ),
        (
            Entry::new(Level::Info, "Uploading artifacts as \"archive\" to coordinator... 201 Created")
                .field("id", 123)
                .field("status", 201),
            Other,
            None,
            Some(201),
        ),
        (
            Entry::new(Level::Error, "Downloading artifacts from coordinator... forbidden")
                .field("host", "gitlab.example.com")
                .field("id", 123)
                .field("status", "403 Forbidden (AccessDenied: Access Denied)"),
            ArtifactForbidden,
            None,
            Some(403),
        ),
        (
            Entry::new(Level::Error, "Downloading artifacts from coordinator... unauthorized").field("status", "401 Unauthorized"),
            Other,
            None,
            Some(401),
        ),
        (
            Entry::new(Level::Info, "Registering runner... succeeded").field("runner", "GR1348941Qm7Tx2Kd"),
            RegisterOk,
            Some("Qm7Tx2Kd"),
            None,
        ),
        (
            Entry::new(
                Level::Info,
                "Runner registered successfully. Feel free to start it, but if it's running already the config should be automatically reloaded!",
            ),
            RegisterOk,
            None,
            None,
        ),
        (
            Entry::new(Level::Error, "Registering runner... forbidden (check registration token)")
                .field("runner", "GR1348941Qm7Tx2Kd")
                .field("status", api("runners", "403 Forbidden")),
            RegisterForbidden,
            Some("Qm7Tx2Kd"),
            Some(403),
        ),
        (
            Entry::new(Level::Error, "Registering runner... failed")
                .field("runner", "GR1348941Qm7Tx2Kd")
                .field("status", api("runners", "410 Gone (410 Gone - runner registration disallowed)")),
            RegisterFailed,
            Some("Qm7Tx2Kd"),
            Some(410),
        ),
        (
            Entry::new(Level::Error, "Registering runner... client error").field("runner", "GR1348941Qm7Tx2Kd"),
            RegisterFailed,
            Some("Qm7Tx2Kd"),
            None,
        ),
        (poll(Level::Info, "Verifying runner... is alive"), VerifyOk, Some(RID), None),
        (poll(Level::Info, "Verifying runner... is valid"), VerifyOk, Some(RID), None),
        (poll(Level::Error, "Verifying runner... is removed"), VerifyRemoved, Some(RID), Some(403)),
        (poll(Level::Info, "Verifying runner... is not valid"), VerifyRemoved, Some(RID), Some(403)),
        (
            poll(Level::Error, "Verifying runner... failed").field("status", api("runners/verify", "502 Bad Gateway")),
            VerifyFailed,
            Some(RID),
            Some(502),
        ),
        (poll(Level::Error, "Verifying runner... client error"), VerifyFailed, Some(RID), None),
        (poll(Level::Info, "Unregistering runner from GitLab succeeded"), UnregisterOk, Some(RID), None),
        (poll(Level::Info, "Unregistering runner manager from GitLab succeeded"), UnregisterOk, Some(RID), None),
        (poll(Level::Error, "Unregistering runner from GitLab forbidden"), UnregisterFailed, Some(RID), Some(403)),
        (poll(Level::Error, "Unregistering runner manager from GitLab failed"), UnregisterFailed, Some(RID), None),
        (poll(Level::Info, "Resetting runner authentication token... succeeded"), TokenResetOk, Some(RID), None),
        (poll(Level::Info, "Resetting runner token... succeeded"), TokenResetOk, Some(RID), None),
        (
            poll(Level::Error, "Resetting runner authentication token... failed (check used token)"),
            TokenResetFailed,
            Some(RID),
            Some(403),
        ),
        (poll(Level::Error, "Resetting runner authentication token... client error"), TokenResetFailed, Some(RID), None),
        (Entry::new(Level::Panic, "Failed to register the runner."), RegisterAborted, None, None),
        (Entry::new(Level::Panic, "Failed to verify the runner."), RegisterAborted, None, None),
        (
            Entry::new(Level::Panic, "Failed to verify the runner. You may be having network problems."),
            RegisterAborted,
            None,
            None,
        ),
        (
            Entry::new(Level::Panic, "Failed to register this runner. Perhaps you are having network problems"),
            RegisterAborted,
            None,
            None,
        ),
        (Entry::new(Level::Fatal, "Failed to verify runners"), Other, None, None),
        (
            Entry::new(Level::Info, "Configuration loaded").field("builds", 0).field("max_builds", 10),
            ConfigLoaded,
            None,
            None,
        ),
        (
            Entry::new(Level::Error, "Failed to load config toml: line 14: expected value but found '\\n' instead")
                .field("builds", 0)
                .field("max_builds", 10),
            ConfigError,
            None,
            None,
        ),
        (
            Entry::new(Level::Error, "Failed to save config").field("error", "open /home/gitlab-runner/.gitlab-runner/config.toml: read-only file system"),
            ConfigError,
            None,
            None,
        ),
        (
            Entry::new(Level::Fatal, "Service run failed").field(
                "error",
                "decoding configuration file: toml: line 14 (last key \"runners.kubernetes.poll_timeout\"): incompatible types: TOML value has type string; destination has type integer",
            ),
            ConfigError,
            None,
            None,
        ),
        (
            Entry::new(Level::Fatal, "Service run failed").field("error", "listen tcp :9252: bind: address already in use"),
            Other,
            None,
            None,
        ),
        (
            Entry::new(Level::Warning, "Runner token is empty or whitespace; this runner will be skipped during job polling. Check the 'token' field in your config.toml for this runner.")
                .field("builds", 0)
                .field("max_builds", 10)
                .field("runner", ""),
            TokenMissing,
            None,
            None,
        ),
        // --- tricky negatives: 403 / forbidden that is not a job request ---
        (
            poll(Level::Info, "Checking for jobs... received")
                .field("job", 4031403)
                .field("repo_url", format!("{URL}/forbidden/403-forbidden.git")),
            JobRequestOk,
            Some(RID),
            None,
        ),
        (
            Entry::new(Level::Info, "Job succeeded")
                .field("duration_s", "12.5")
                .field("job", 403)
                .field("project", 403)
                .field("runner", RID),
            Other,
            Some(RID),
            None,
        ),
        (
            Entry::new(
                Level::Warning,
                "Event retrieved from the cluster: Failed to pull image \"registry.example.com/app:1.4.2\": failed to resolve reference: unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/1.4.2: 403 Forbidden",
            )
            .field("job", 77)
            .field("project", 5)
            .field("runner", RID),
            Other,
            Some(RID),
            None,
        ),
        (
            Entry::new(
                Level::Error,
                "Error cleaning up pod: pods \"runner-xj8kp2mqa-project-5-concurrent-0-abcde\" is forbidden: User \"system:serviceaccount:gitlab-runner:default\" cannot delete resource \"pods\"",
            )
            .field("job", 77)
            .field("runner", RID),
            Other,
            Some(RID),
            None,
        ),
        (
            Entry::new(Level::Debug, "Failed to process runner")
                .field("error", "Checking for jobs... forbidden status=403 Forbidden")
                .field("executor", "kubernetes")
                .field("runner", RID),
            Other,
            Some(RID),
            None,
        ),
        (
            Entry::new(Level::Warning, "Job failed: command terminated with exit code 1: Checking for jobs... forbidden")
                .field("duration_s", "3.1")
                .field("job", 99)
                .field("runner", RID),
            Other,
            Some(RID),
            None,
        ),
        (
            Entry::new(Level::Warning, "Support for registration tokens and runner parameters in the 'register' command has been deprecated in GitLab Runner 15.6 and will be replaced with support for authentication tokens. For more information, see https://docs.gitlab.com/ci/runners/new_creation_workflow/"),
            Other,
            None,
            None,
        ),
        // v18.5-18.8 job-list lines carry the runner *name* in runner=.
        (
            Entry::new(Level::Info, "Added job to processing list")
                .field("builds", 1)
                .field("job", 5)
                .field("runner", "runner-01"),
            Other,
            None,
            None,
        ),
        (
            Entry::new(Level::Info, "Added job to processing list")
                .field("builds", 1)
                .field("job", 5)
                .field("runner", RID)
                .field("runner_name", POD),
            Other,
            Some(RID),
            None,
        ),
    ]
}

fn styles() -> [Style; 4] {
    [
        Style::Runner { colours: true },
        Style::Runner { colours: false },
        Style::Text,
        Style::Json,
    ]
}

#[test]
fn every_catalogue_message_classifies_in_every_format_with_and_without_timestamps() {
    let c = Classifier::builtin();
    let mut parser = Parser::new();
    let t: jiff::Timestamp = "2026-03-02T08:14:03.512093771Z".parse().unwrap();
    let mut checked = 0;
    for (entry, class, runner, status) in catalogue() {
        let entry = entry.at(t);
        for style in styles() {
            let rendered = render(&entry, style);
            // Messages that end in a newline spill onto a second physical
            // line in the runner format; the first one carries the message.
            let first = rendered.split('\n').next().unwrap().to_owned();
            for line in [first.clone(), format!("{}{first}", kube_prefix(t))] {
                let p = parser.parse(line.as_bytes(), false);
                let e = c.classify(&p);
                let ctx = format!("{style:?} {line:?}");
                assert_eq!(e.class, class, "{ctx}");
                assert_eq!(e.runner.as_ref().map(|r| r.as_str()), runner, "{ctx}");
                assert_eq!(e.http_status, status, "{ctx}");
                // Without colours DEBUG lines look exactly like INFO lines.
                let level = match (style, entry.level) {
                    (Style::Runner { colours: false }, Level::Debug) => Level::Info,
                    (_, l) => l,
                };
                assert_eq!(e.level, level, "{ctx}");
                let want_format = match style {
                    Style::Runner { .. } => Format::Runner,
                    Style::Text => Format::Text,
                    Style::Json => Format::Json,
                };
                assert_eq!(e.format, want_format, "{ctx}");
                checked += 1;
            }
        }
    }
    assert!(checked > 400, "{checked}");
}

fn one(line: &str) -> Event {
    let mut parser = Parser::new();
    let p = parser.parse(line.as_bytes(), false);
    Classifier::builtin().classify(&p)
}

#[test]
fn chart_registration_attempts_are_plain_lines_with_their_numbers() {
    let e = one("Registration attempt 3 of 30");
    assert_eq!(
        (e.class, e.format, e.level),
        (Class::Other, Format::Plain, Level::Unknown)
    );
    assert_eq!(e.detail, Detail::RegistrationAttempt { attempt: 3, of: 30 });
}

#[test]
fn the_rotation_disabled_warning_names_the_runner_even_when_glued_to_the_next_output() {
    // commands/multi.go: Warningln(fmt.Printf(...)) prints the text without
    // a newline on stdout; the next stdout write continues the same line.
    for line in [
        "Automatic token rotation is disabled for runner: HYErDk_6w-s_0123456789ab. Your token is about to expire",
        "Automatic token rotation is disabled for runner: a-b_c-d9Z-r_abcdefABCDEF. Your token is about to expireRuntime platform  arch=amd64",
    ] {
        let e = one(line);
        assert_eq!(e.class, Class::TokenExpiring, "{line}");
        assert!(e.runner.is_some(), "{line}");
    }
    assert_eq!(
        one("Automatic token rotation is disabled for runner: HYErDk_6w-s_0123456789ab. Your token is about to expire")
            .runner
            .unwrap()
            .as_str(),
        "HYErDk_6w"
    );
    // The WARNING line the same call logs carries nothing.
    assert_eq!(one("WARNING: 106 <nil>").class, Class::Other);
}

#[test]
fn failure_causes_are_read_from_go_error_texts() {
    let cases = [
        (
            "dial tcp 10.43.12.7:443: connect: connection refused",
            Cause::Connect,
        ),
        (
            "dial tcp: lookup gitlab.example.com on 10.96.0.10:53: no such host",
            Cause::Dns,
        ),
        ("dial tcp 203.0.113.10:443: i/o timeout", Cause::Timeout),
        (
            "read tcp 10.42.3.17:51834->10.43.12.7:443: read: connection reset by peer",
            Cause::Connect,
        ),
        (
            "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            Cause::Timeout,
        ),
        (
            "tls: failed to verify certificate: x509: certificate signed by unknown authority",
            Cause::Tls,
        ),
        (
            "Post \"https://gitlab.example.com/api/v4/jobs/request\": EOF",
            Cause::Connect,
        ),
    ];
    for (text, cause) in cases {
        let line = format!(
            "WARNING: Checking for jobs... failed                runner={RID} status=couldn't execute POST against {URL}/api/v4/jobs/request: {text}"
        );
        let e = one(&line);
        assert_eq!(e.class, Class::JobRequestFailed, "{text}");
        assert_eq!(e.cause, Some(cause), "{text}");
    }
    let e = one(&format!(
        "ERROR: Checking for jobs... forbidden               runner={RID} status=POST {URL}/api/v4/jobs/request: 403 Forbidden"
    ));
    assert_eq!(e.cause, Some(Cause::Http));
}

#[test]
fn a_bare_403_status_line_is_marked_as_coming_from_a_proxy() {
    let e = one(&format!(
        "ERROR: Checking for jobs... forbidden               runner={RID} status=403 Forbidden"
    ));
    assert_eq!(e.detail, Detail::ProxyStatus);
    let e = one(&format!(
        "ERROR: Checking for jobs... forbidden               runner={RID} status=POST {URL}/api/v4/jobs/request: 403 Forbidden"
    ));
    assert_eq!(e.detail, Detail::None);
}

#[test]
fn workflow_evidence_and_lockout_duration_are_attached() {
    assert_eq!(
        one(&format!(
            "Verifying runner... is valid                        runner={RID}"
        ))
        .detail,
        Detail::Workflow(Workflow::AuthToken)
    );
    assert_eq!(
        one("Registering runner... succeeded                     runner=GR1348941Qm7Tx2Kd").detail,
        Detail::Workflow(Workflow::Legacy)
    );
    let e = one(&format!(
        "ERROR: Runner \"{URL}{RID}\" is unhealthy and will be disabled for 1h0m0s seconds!  unhealthy_requests=3 unhealthy_requests_limit=3"
    ));
    assert_eq!(
        e.detail,
        Detail::Lockout {
            duration: Some(Duration::from_secs(3600))
        }
    );
}

#[test]
fn job_ids_are_extracted() {
    let e = one(&format!(
        "Checking for jobs... received                       job=48213377 repo_url={URL}/a/b.git runner={RID}"
    ));
    assert_eq!(e.job, Some(48213377));
}

fn spec(name: &str, class: &str, pattern: &str) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        class: class.into(),
        pattern: pattern.into(),
        status: None,
        implied_status: None,
        level: None,
        field: None,
    }
}

#[test]
fn custom_rules_take_precedence_over_built_in_rules() {
    let mut s = spec(
        "proxy-block",
        "job_request_forbidden",
        r"^Checking for jobs\.\.\. received",
    );
    s.status = None;
    let c = Classifier::new(&[s]).unwrap();
    let mut parser = Parser::new();
    let line = format!("Checking for jobs... received  runner={RID}");
    let p = parser.parse(line.as_bytes(), false);
    let e = c.classify(&p);
    assert_eq!(e.class, Class::JobRequestForbidden);
    assert_eq!(c.rule_name(&e), Some("proxy-block"));
}

#[test]
fn a_rule_whose_condition_fails_lets_later_rules_match() {
    let mut s = spec(
        "only-429",
        "job_request_unavailable",
        r"^Checking for jobs\.\.\.\s?failed",
    );
    s.status = Some(429);
    let c = Classifier::new(&[s]).unwrap();
    let mut parser = Parser::new();
    let line =
        format!("WARNING: Checking for jobs... failed   runner={RID} status=502 Bad Gateway");
    let p = parser.parse(line.as_bytes(), false);
    assert_eq!(c.classify(&p).class, Class::JobRequestFailed);
    let line =
        format!("WARNING: Checking for jobs... failed   runner={RID} status=429 Too Many Requests");
    let p = parser.parse(line.as_bytes(), false);
    let e = c.classify(&p);
    assert_eq!(
        (e.class, c.rule_name(&e)),
        (Class::JobRequestUnavailable, Some("only-429"))
    );
}

#[test]
fn custom_rules_can_capture_runner_and_status_and_match_levels_and_fields() {
    let mut s = spec(
        "waf",
        "job_request_forbidden",
        r"^blocked by waf for (?P<runner>\S+) \((?P<status>\d{3})\)",
    );
    s.level = Some("error".into());
    let mut f = spec("cfg", "config_error", r"^Service run failed");
    f.field = Some(FieldSpec {
        name: "error".into(),
        pattern: "^listen tcp".into(),
    });
    let c = Classifier::new(&[s, f]).unwrap();
    let mut parser = Parser::new();
    let p = parser.parse(b"ERROR: blocked by waf for HYErDk_6w (403)", false);
    let e = c.classify(&p);
    assert_eq!(
        (e.class, e.runner.map(|r| r.to_string()), e.http_status),
        (
            Class::JobRequestForbidden,
            Some("HYErDk_6w".into()),
            Some(403)
        )
    );
    let p = parser.parse(b"WARNING: blocked by waf for HYErDk_6w (403)", false);
    assert_eq!(c.classify(&p).class, Class::Other);
    let p = parser.parse(
        b"FATAL: Service run failed                          error=listen tcp :9252: bind",
        false,
    );
    assert_eq!(c.classify(&p).class, Class::ConfigError);
}

#[test]
fn invalid_custom_rules_are_rejected_with_the_rule_name() {
    let e = Classifier::new(&[spec("broken", "other", "(unclosed")]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("\"broken\"") && msg.contains("pattern is not a valid regex"),
        "{msg}"
    );
    let e = Classifier::new(&[spec("x", "nope", "a")]).unwrap_err();
    assert!(e.to_string().contains("unknown class \"nope\""), "{e}");
    let e = Classifier::new(&[spec("Bad Name", "other", "a")]).unwrap_err();
    assert!(matches!(e, RuleError::InvalidName { .. }));
    let e = Classifier::new(&[spec("job_request_forbidden", "other", "a")]).unwrap_err();
    assert!(matches!(e, RuleError::DuplicateName { .. }));
    let mut s = spec("s", "other", "a");
    s.status = Some(42);
    assert!(matches!(
        Classifier::new(&[s]).unwrap_err(),
        RuleError::InvalidStatus { .. }
    ));
    let mut s = spec("l", "other", "a");
    s.level = Some("loud".into());
    assert!(matches!(
        Classifier::new(&[s]).unwrap_err(),
        RuleError::UnknownLevel { .. }
    ));
    let huge = format!("^(?:{})$", "a{1000}".repeat(50));
    let e = Classifier::new(&[spec("huge", "other", &huge)]).unwrap_err();
    assert!(e.to_string().contains("\"huge\""), "{e}");
}

#[test]
fn every_builtin_rule_has_an_anchor_that_its_matches_contain() {
    let c = Classifier::builtin();
    for (entry, class, ..) in catalogue() {
        let line = render(&entry, Style::Runner { colours: false });
        let mut parser = Parser::new();
        let p = parser.parse(line.trim_end_matches('\n').as_bytes(), false);
        let e = c.classify(&p);
        if let Some(name) = c.rule_name(&e) {
            let rule = c.rules().iter().find(|r| r.name == name).unwrap();
            let anchor = rule.anchor.unwrap();
            assert!(
                line.contains(anchor),
                "{class:?}: {anchor:?} not in {line:?}"
            );
        }
    }
}

#[test]
fn status_texts_of_every_shape_are_read() {
    assert_eq!(status_from_text("403"), Some((403, false)));
    assert_eq!(status_from_text("403 Forbidden"), Some((403, true)));
    assert_eq!(
        status_from_text("POST https://h/api/v4/jobs/request: 403 Forbidden"),
        Some((403, false))
    );
    assert_eq!(
        status_from_text(
            "POST https://h/api/v4/runners: 400 Bad Request (runner_projects.base: Maximum number of ci registered project runners (1000) exceeded)"
        ),
        Some((400, false))
    );
    assert_eq!(
        status_from_text(
            "couldn't execute POST against https://h:443/x: dial tcp 10.0.0.1:443: i/o timeout"
        ),
        None
    );
    assert_eq!(status_from_text("202 Accepted"), Some((202, true)));
    assert_eq!(status_from_text("nothing here"), None);
}

/// The literal text a pattern requires at the start of the message.
fn literal_head(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern
        .strip_prefix('^')
        .unwrap_or(pattern)
        .chars()
        .peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => out.push(e),
                _ => break,
            },
            '(' | '[' | '.' | '*' | '+' | '|' | '{' | '$' => break,
            '?' => {
                out.pop();
                break;
            }
            c => out.push(c),
        }
    }
    out
}

#[test]
fn every_rule_head_can_start_a_line_after_another_tools_prefix() {
    for b in rules::BUILTIN {
        let heads: Vec<String> = match b.pattern.strip_prefix("^(?:") {
            // `^(?:Added job to|Removed job from) ...`: each alternative.
            Some(rest) => rest
                .split(')')
                .next()
                .unwrap_or("")
                .split('|')
                .map(literal_head)
                .collect(),
            None => vec![literal_head(b.pattern)],
        };
        for head in heads {
            assert!(
                crate::parse::MESSAGE_HEADS
                    .iter()
                    .any(|h| head.starts_with(h) || (h.starts_with(&head) && head.len() >= 6)),
                "rule {}: its head {head:?} is not in parse::MESSAGE_HEADS, so the rule cannot match after a stern/logcli/journald prefix",
                b.name
            );
        }
    }
}

#[test]
fn job_router_errors_carry_their_grpc_code_and_status() {
    use crate::event::GrpcCode;
    let e = one(
        "\x1b[31;1mERROR: Error requesting a job                      \x1b[0;m  \x1b[31;1merror\x1b[0;m=rpc error: code = FailedPrecondition desc = HTTP status code: 409 \x1b[31;1mrunner\x1b[0;m=xJ8kP2mQa \x1b[31;1mrunner_name\x1b[0;m=r-1",
    );
    assert_eq!(e.class, Class::JobRouterError);
    assert_eq!(e.detail, Detail::Router(GrpcCode::FailedPrecondition));
    assert_eq!(e.http_status, Some(409));
    assert_eq!(e.runner.map(|r| r.to_string()), Some(RID.into()));
    let j = one(
        r#"{"error":"rpc error: code = PermissionDenied desc = forbidden","level":"error","msg":"Error requesting a job","runner":"xJ8kP2mQa","time":"2026-03-02T08:00:00Z"}"#,
    );
    assert_eq!(j.detail, Detail::Router(GrpcCode::PermissionDenied));
    for (line, class) in [
        (
            "WARNING: Job router circuit breaker tripped, falling back to direct job requests  error=x runner=xJ8kP2mQa",
            Class::JobRouterFallback,
        ),
        (
            "Job router is disabled, falling back to direct job requests  runner=xJ8kP2mQa",
            Class::JobRouterFallback,
        ),
        (
            "ERROR: Executor \"kubernets\" is not known; marking Runner as unhealthy  runner=xJ8kP2mQa runner_name=r",
            Class::ExecutorUnknown,
        ),
        (
            "FATAL: Runner configuration other than name and executor configuration is reserved (specifically --locked, --access-level, --run-untagged, --maximum-timeout, --paused, --tag-list, and --maintenance-note) and cannot be specified when registering with a runner authentication token.",
            Class::ConfigError,
        ),
        (
            "FATAL: Service run failed                           error=Near line 4 (last key parsed 'runners.kubernetes'): expected value but found \"x\" instead",
            Class::ConfigError,
        ),
        (
            "FATAL: Service run failed                           error=toml: line 4 (last key \"concurrent\"): expected value",
            Class::ConfigError,
        ),
    ] {
        assert_eq!(one(line).class, class, "{line}");
    }
}

#[test]
fn the_system_id_is_read() {
    let e = one("Created missing unique system ID                   system_id=s_0123456789ab");
    assert_eq!(e.class, Class::Other);
    match e.detail {
        Detail::SystemId(s) => assert_eq!(s.as_str(), "s_0123456789ab"),
        d => panic!("{d:?}"),
    }
}

#[test]
fn a_newline_in_the_token_is_its_own_cause() {
    let e = one(
        "WARNING: Checking for jobs... failed                runner=xJ8kP2mQa status=couldn't execute POST against \"https://gitlab.example.com/api/v4/runners/verify\": net/http: invalid header field for \"Private-Token\"",
    );
    assert_eq!(e.cause, Some(Cause::TokenFormat));
}

#[test]
fn logrus_on_a_terminal_is_read() {
    let e = one(
        "\x1b[36mINFO\x1b[0m[0000] Configuration loaded                          \x1b[36mbuilds\x1b[0m=0",
    );
    assert_eq!(
        (e.class, e.format, e.level),
        (Class::ConfigLoaded, Format::Text, Level::Info)
    );
    let e = one(
        "ERRO[0012] Checking for jobs... forbidden                \x1b[31mrunner\x1b[0m=xJ8kP2mQa \x1b[31mstatus\x1b[0m=\"POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden\"",
    );
    assert_eq!(
        (e.class, e.level, e.http_status),
        (Class::JobRequestForbidden, Level::Error, Some(403))
    );
    assert_eq!(e.runner.map(|r| r.to_string()), Some(RID.into()));
    let e = one(
        "WARN[0003] Checking for jobs... failed                  runner=xJ8kP2mQa status=\"POST https://gitlab.example.com/api/v4/jobs/request: 503 Service Unavailable\"",
    );
    assert_eq!(
        (e.class, e.http_status),
        (Class::JobRequestUnavailable, Some(503))
    );
}

#[test]
fn lockout_targets_never_yield_the_end_of_a_token() {
    let id = |line: &str| one(line).runner.map(|r| r.to_string());
    let lock = |target: &str| {
        format!(
            "ERROR: Runner \"{target}\" is unhealthy and will be disabled for 1h0m0s seconds!  unhealthy_requests=3 unhealthy_requests_limit=3"
        )
    };
    // 16.8 and later: URL + short id, with or without a slash.
    assert_eq!(
        id(&lock("https://gitlab.example.com/xJ8kP2mQa")),
        Some(RID.into())
    );
    assert_eq!(
        id(&lock("https://gitlab.example.comxJ8kP2mQa")),
        Some(RID.into())
    );
    assert_eq!(
        id(&lock("https://gitlab.example.com:8443xJ8kP2mQa")),
        Some(RID.into())
    );
    // Before 16.8: URL + the full token. With a slash: its start only.
    assert_eq!(
        id(&lock("https://gitlab.example.com/FAKEtok1234567890abcd")),
        Some("FAKEtok12".into())
    );
    // Glued to the host: no id at all rather than the token's last characters.
    assert_eq!(
        id(&lock("https://gitlab.example.comFAKEtok1234567890abcd")),
        None
    );
    assert_eq!(
        id(
            "ERROR: Runner https://gitlab.example.comFAKEtok1234567890abcd is not healthy and will be disabled!"
        ),
        None
    );
    assert_eq!(
        id(&lock(
            "https://gitlab.example.comglrt-FAKEfake1234567890abcdef"
        )),
        Some("FAKEfake1".into())
    );
}
