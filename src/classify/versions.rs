//! gitlab-runner's authentication, registration, verification and health
//! messages as each release from v12.0.0 to v19.3.0 prints them, one row per
//! (version range, wording, token kind), rendered in every log format and
//! classified.
//!
//! Reference and the git commands that produced the table:
//! `docs/runner-versions.md`. Ranges name the first and the last minor
//! release (`vX.Y.0` tag) that print the row exactly as written; patch
//! releases in between were not checked.
//!
//! Every token is an obvious fake containing `FAKE`. The runner id a row
//! expects is the short id that release prints in `runner=` for the same
//! token, normalised as the daemon stores it; ids are compared with
//! [`RunnerId::matches`] (8 and 9 character ids of one token are the same
//! runner).

use std::fmt::Write as _;
use std::time::Duration;

use super::Classifier;
use crate::event::{Class, Event, Level, RunnerId};
use crate::parse::Parser;
use crate::sim::render::{Entry, Style, kube_prefix, render};

/// A legacy runner token (registered with a registration token; no prefix).
const LEGACY: &str = "FAKEfake1234567890abcdef";
/// A runner authentication token created in GitLab (`glrt-`).
const GLRT: &str = "glrt-FAKEfake1234567890abc";
/// A partitioned authentication token (`glrt-t1_`).
const GLRT_T1: &str = "glrt-t1_FAKEfake1234567890";
/// An authentication token of a runner registered the legacy way (`glrtr-`).
const GLRTR: &str = "glrtr-FAKEfake1234567890abc";
/// A registration token with the rotation-date prefix (`GR1348941`): the
/// token the `Registering runner...` lines are about.
const GR_REG: &str = "GR1348941FAKEfake1234567890";
/// The line carries no token (or an empty one).
const NONE: &str = "";

/// Every minor release the table may name.
const TAGS: &[&str] = &[
    "v12.0.0", "v12.1.0", "v12.2.0", "v12.3.0", "v12.4.0", "v12.5.0", "v12.6.0", "v12.7.0",
    "v12.8.0", "v12.9.0", "v12.10.0", "v13.0.0", "v13.1.0", "v13.2.0", "v13.3.0", "v13.4.0",
    "v13.5.0", "v13.6.0", "v13.7.0", "v13.8.0", "v13.9.0", "v13.10.0", "v13.11.0", "v13.12.0",
    "v14.0.0", "v14.1.0", "v14.2.0", "v14.3.0", "v14.4.0", "v14.5.0", "v14.6.0", "v14.7.0",
    "v14.8.0", "v14.9.0", "v14.10.0", "v15.0.0", "v15.1.0", "v15.2.0", "v15.3.0", "v15.4.0",
    "v15.5.0", "v15.6.0", "v15.7.0", "v15.8.0", "v15.9.0", "v15.10.0", "v15.11.0", "v16.0.0",
    "v16.1.0", "v16.2.0", "v16.3.0", "v16.4.0", "v16.5.0", "v16.6.0", "v16.7.0", "v16.8.0",
    "v16.9.0", "v16.10.0", "v16.11.0", "v17.0.0", "v17.1.0", "v17.2.0", "v17.3.0", "v17.4.0",
    "v17.5.0", "v17.6.0", "v17.7.0", "v17.8.0", "v17.9.0", "v17.10.0", "v17.11.0", "v18.0.0",
    "v18.1.0", "v18.2.0", "v18.3.0", "v18.4.0", "v18.5.0", "v18.6.0", "v18.7.0", "v18.8.0",
    "v18.9.0", "v18.10.0", "v18.11.0", "v19.0.0", "v19.1.0", "v19.2.0", "v19.3.0",
];

/// Class names being added next to the existing ones (`Class::as_str`).
const NEW_CLASSES: &[&str] = &[
    "job_router_error",
    "job_router_fallback",
    "executor_unknown",
];

/// Where the text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// A logrus entry (stderr), rendered in the runner, text and JSON formats.
    Logrus,
    /// `fmt.Printf` to stdout: the same bytes whatever the log format, no
    /// level, no newline (the next stdout write continues the line).
    Stdout,
}

/// A field value as the runner logs it.
#[derive(Debug, Clone, Copy)]
enum V {
    S(&'static str),
    I(i64),
    /// A `time.Duration`, in seconds.
    D(u64),
}
use V::{D, I, S};

/// One wording at one version range.
#[derive(Debug)]
struct Row {
    /// First minor release that prints it.
    first: &'static str,
    /// Last minor release that prints it.
    last: &'static str,
    /// Where in gitlab-runner it is logged.
    source: &'static str,
    /// The token the runner is configured with (or registers with).
    token: &'static str,
    stream: Stream,
    level: Level,
    /// The message as that release prints it.
    message: &'static str,
    fields: &'static [(&'static str, V)],
    /// Expected `Class::as_str()`.
    class: &'static str,
    /// Expected runner short id.
    runner: Option<&'static str>,
}

impl Row {
    fn label(&self) -> String {
        let token = match self.token {
            LEGACY => "legacy token",
            GLRT => "glrt- token",
            GLRT_T1 => "glrt-t1_ token",
            GLRTR => "glrtr- token",
            GR_REG => "GR registration token",
            _ => "no token",
        };
        let mut label = format!(
            "{}..={} [{}; {}] {:?}",
            self.first, self.last, token, self.source, self.message
        );
        for (k, v) in self.fields {
            if let (&("error" | "status"), S(s)) = (k, v) {
                let _ = write!(label, " {k}={s:?}");
            }
        }
        label
    }

    fn entry(&self) -> Entry {
        let mut e = Entry::new(self.level, self.message);
        for (k, v) in self.fields {
            e = match *v {
                S(s) => e.field(k, s),
                I(n) => e.field(k, n),
                D(secs) => e.field(k, Duration::from_secs(secs)),
            };
        }
        e
    }

    /// Every rendering of the row: (label, one physical line).
    fn renderings(&self) -> Vec<(String, String)> {
        let t: jiff::Timestamp = "2026-03-02T08:14:03.512093771Z".parse().unwrap();
        let mut out = Vec::new();
        match self.stream {
            Stream::Stdout => {
                out.push(("stdout".to_owned(), self.message.to_owned()));
                out.push((
                    "stdout+kube".to_owned(),
                    format!("{}{}", kube_prefix(t), self.message),
                ));
            }
            Stream::Logrus => {
                let entry = self.entry().at(t);
                for (name, style) in [
                    ("runner", Style::Runner { colours: true }),
                    ("runner-nocolour", Style::Runner { colours: false }),
                    ("text", Style::Text),
                    ("json", Style::Json),
                ] {
                    let rendered = render(&entry, style);
                    // A message ending in a newline spills onto a second
                    // physical line in the runner format; the first carries it.
                    let first = rendered.split('\n').next().unwrap_or("").to_owned();
                    out.push((format!("{name}+kube"), format!("{}{first}", kube_prefix(t))));
                    out.push((name.to_owned(), first));
                }
            }
        }
        out
    }
}

fn classify(c: &Classifier, parser: &mut Parser, line: &str) -> (Event, Option<String>) {
    let p = parser.parse(line.as_bytes(), false);
    let e = c.classify(&p);
    let rule = c.rule_name(&e).map(str::to_owned);
    (e, rule)
}

/// Parses `vX.Y.0`.
fn version(tag: &str) -> (u32, u32) {
    let mut it = tag.trim_start_matches('v').split('.');
    let major = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let minor = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (major, minor)
}

/// `helpers.ShortenToken` as each release implements it (the `runner=`
/// value, `RunnerCredentials.ShortDescription()`).
fn shorten_token(v: (u32, u32), token: &str) -> String {
    let gr = |t: &str| {
        t.len() >= 17 && t.starts_with("GR") && t.as_bytes()[2..9].iter().all(u8::is_ascii_hexdigit)
    };
    if v < (14, 10) {
        // v12.0 - v14.9: the first 8 characters.
        return token.chars().take(8).collect();
    }
    if v < (18, 2) {
        if token.len() < 8 {
            return token.to_owned();
        }
        if v >= (15, 9) && token.starts_with("glrt-") {
            return token[5..14].to_owned();
        }
        if v >= (18, 1) && token.starts_with("glrtr-") {
            return token[6..15].to_owned();
        }
        if v >= (17, 9) && token.starts_with("glcbt-") {
            return token[6..15].to_owned();
        }
        if gr(token) {
            // v14.10+: `GR` + 7 hex digits + 8 characters.
            return token[..17].to_owned();
        }
        return token[..8].to_owned();
    }
    // v18.2+: strip glrt-(t[123]_)?, t[123]_, glrtr-, glcbt-, GR+7 hex; keep 9.
    let mut s = token;
    if let Some(rest) = s.strip_prefix("glrt-") {
        s = ["t1_", "t2_", "t3_"]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
    } else if let Some(rest) = ["t1_", "t2_", "t3_", "glrtr-"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
    {
        s = rest;
    }
    s = s.strip_prefix("glcbt-").unwrap_or(s);
    if s.len() >= 9 && s.starts_with("GR") && s.as_bytes()[2..9].iter().all(u8::is_ascii_hexdigit) {
        s = &s[9..];
    }
    s.chars().take(9).collect()
}

/// `RunnerCredentials.UniqueID()`: the id in the unhealthy lines. The URL
/// glued to the whole token before v16.8, to the short token since.
fn unique_id(v: (u32, u32), url: &str, token: &str) -> String {
    if v < (16, 8) {
        format!("{url}{token}")
    } else {
        format!("{url}{}", shorten_token(v, token))
    }
}

/// The part of a token gitlab-runner shows: without its type prefixes.
fn public_part(token: &str) -> &str {
    let mut s = token;
    for p in ["glrtr-", "glrt-", "glcbt-"] {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest;
            break;
        }
    }
    for p in ["t1_", "t2_", "t3_"] {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest;
            break;
        }
    }
    if s.len() > 9 && s.starts_with("GR") && s.as_bytes()[2..9].iter().all(u8::is_ascii_hexdigit) {
        s = &s[9..];
    }
    s
}

#[test]
fn every_version_wording_classifies_in_every_format() {
    let c = Classifier::builtin();
    let mut parser = Parser::new();
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0;
    for row in ROWS {
        // (what went wrong) -> renderings where it did
        let mut problems: Vec<(String, Vec<String>)> = Vec::new();
        for (how, line) in row.renderings() {
            let (e, rule) = classify(&c, &mut parser, &line);
            checked += 1;
            let mut wrong = Vec::new();
            if e.class.as_str() != row.class {
                wrong.push(format!(
                    "class: want {}, got {} (rule {})",
                    row.class,
                    e.class.as_str(),
                    rule.as_deref().unwrap_or("-")
                ));
            }
            let got = e.runner.as_ref().map(RunnerId::as_str);
            // A lockout line whose URL and token are glued together with no
            // slash cannot always be split: no id is then the right answer
            // (the tracker gives the lockout to the runner of the same pod
            // that failed last); a wrong or secret id never is.
            let glued = matches!(
                e.class,
                Class::RunnerUnhealthy | Class::RunnerUnhealthyRecheck
            ) && row.message.contains(".comFAKE");
            let runner_ok = match (row.runner, &e.runner) {
                (None, None) => true,
                (Some(_), None) if glued => true,
                // 16.8-18.1 glued an 8-character id: read as the host's last
                // character and the id (no secret, see runner_from_target).
                (Some(want), Some(got)) if glued && want.len() == 8 => {
                    got.as_str().get(1..) == Some(want)
                        || RunnerId::normalize(want).is_some_and(|w| w.matches(got))
                }
                (Some(want), Some(got)) => {
                    RunnerId::normalize(want).is_some_and(|w| w.matches(got))
                }
                _ => false,
            };
            if !runner_ok {
                wrong.push(format!("runner: want {:?}, got {got:?}", row.runner));
            }
            for w in wrong {
                match problems.iter_mut().find(|(p, _)| *p == w) {
                    Some((_, hows)) => hows.push(how.clone()),
                    None => problems.push((w, vec![how.clone()])),
                }
            }
        }
        for (what, hows) in problems {
            failures.push(format!(
                "{}\n    {what}\n    in: {}",
                row.label(),
                hows.join(", ")
            ));
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        failures.is_empty(),
        "{} of {} rows do not classify as expected:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

#[test]
fn no_classified_output_carries_more_of_a_token_than_its_short_id() {
    let c = Classifier::builtin();
    let mut parser = Parser::new();
    let mut leaks: Vec<String> = Vec::new();
    for row in ROWS.iter().filter(|r| !r.token.is_empty()) {
        let token = row.token;
        let public = public_part(token);
        for (how, line) in row.renderings() {
            let (e, _) = classify(&c, &mut parser, &line);
            let debug = format!("{e:?}");
            let runner = e.runner.as_ref().map(RunnerId::as_str).unwrap_or("");
            let mut found = Vec::new();
            if debug.contains(token) || runner.contains(token) {
                found.push("the full token".to_owned());
            }
            // Any 10 consecutive characters of the token: more than a short id.
            let window = (0..token.len().saturating_sub(9))
                .map(|i| &token[i..i + 10])
                .find(|w| debug.contains(w));
            if let Some(w) = window {
                found.push(format!("10+ token characters ({w:?})"));
            }
            // An id cut from the token anywhere but its public start is secret
            // token material, not the short id gitlab-runner prints.
            if !runner.is_empty() && token.contains(runner) && !public.starts_with(runner) {
                found.push(format!("runner id {runner:?} taken from inside the token"));
            }
            if !found.is_empty() {
                leaks.push(format!("{} ({how}): {}", row.label(), found.join("; ")));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} renderings leak token material:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[test]
fn the_table_is_consistent_with_the_runner_sources() {
    let mut bad = String::new();
    for row in ROWS {
        let (Some(a), Some(b)) = (
            TAGS.iter().position(|t| *t == row.first),
            TAGS.iter().position(|t| *t == row.last),
        ) else {
            let _ = writeln!(bad, "{}: unknown tag", row.label());
            continue;
        };
        if a > b {
            let _ = writeln!(bad, "{}: first after last", row.label());
        }
        if Class::from_name(row.class).is_none() && !NEW_CLASSES.contains(&row.class) {
            let _ = writeln!(bad, "{}: unknown class {}", row.label(), row.class);
        }
        if !row.token.is_empty() && !row.token.contains("FAKE") {
            let _ = writeln!(bad, "{}: token is not an obvious fake", row.label());
        }
        for tag in [row.first, row.last] {
            let v = version(tag);
            let short = shorten_token(v, row.token);
            // The `runner=` field is ShortDescription() of the row's token.
            if let Some((_, S(printed))) = row.fields.iter().find(|(k, _)| *k == "runner")
                && !row.token.is_empty()
                && *printed != short
            {
                let _ = writeln!(
                    bad,
                    "{}: {tag} prints runner={short}, row has {printed}",
                    row.label()
                );
            }
            // The unhealthy lines name URL + token (whole before v16.8).
            if row.source.starts_with("commands/health_helper.go") {
                let ok = ["https://gitlab.example.com", "https://gitlab.example.com/"]
                    .iter()
                    .any(|u| {
                        let id = unique_id(v, u, row.token);
                        row.message.contains(&format!("Runner {id} "))
                            || row.message.contains(&format!("Runner \"{id}\" "))
                    });
                if !ok {
                    let _ = writeln!(bad, "{}: {tag} names a different unique id", row.label());
                }
            }
            if row.stream == Stream::Stdout && !row.message.contains(&format!("runner: {short}-")) {
                let _ = writeln!(
                    bad,
                    "{}: {tag} prints {short} in the rotation warning",
                    row.label()
                );
            }
        }
    }
    assert!(bad.is_empty(), "{bad}");
}

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // --- Checking for jobs (network/gitlab.go RequestJob) ---
    Row { first: "v12.0.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs... received",
        fields: &[("job", I(48213377)), ("repo_url", S("https://gitlab.example.com/platform/payments-api.git")), ("runner", S("FAKEfake"))],
        class: "job_request_ok", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs... received",
        fields: &[("job", I(48213377)), ("repo_url", S("https://gitlab.example.com/platform/payments-api.git")), ("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "job_request_ok", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs... received",
        fields: &[("job", I(48213377)), ("repo_url", S("https://gitlab.example.com/platform/payments-api.git")), ("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "job_request_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs... received",
        fields: &[("job", I(48213377)), ("repo_url", S("https://gitlab.example.com/platform/payments-api.git")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "job_request_ok", runner: Some("FAKEfake1") },
    Row { first: "v15.9.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs... received",
        fields: &[("job", I(48213377)), ("repo_url", S("https://gitlab.example.com/platform/payments-api.git")), ("runner", S("FAKEfake1"))],
        class: "job_request_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs... received",
        fields: &[("job", I(48213377)), ("repo_url", S("https://gitlab.example.com/platform/payments-api.git")), ("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "job_request_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs... received",
        fields: &[("job", I(48213377)), ("repo_url", S("https://gitlab.example.com/platform/payments-api.git")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "job_request_ok", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v16.4.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake"))],
        class: "job_request_forbidden", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v15.9.0", last: "v16.4.0", source: "network/gitlab.go RequestJob", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v15.9.0", last: "v16.4.0", source: "network/gitlab.go RequestJob", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("t1_FAKEfa"))],
        class: "job_request_forbidden", runner: Some("FAKEfa") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("t1_FAKEfa")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfa") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RequestJob", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("t1_FAKEfa")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfa") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v17.9.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: GLRTR, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("glrtr-FA")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: None },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: GLRTR, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: GLRTR, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... forbidden",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"))],
        class: "job_request_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v15.5.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Debug,
        message: "Checking for jobs... nothing",
        fields: &[("runner", S("FAKEfake"))],
        class: "job_request_ok", runner: Some("FAKEfake") },
    Row { first: "v15.6.0", last: "v15.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Checking for jobs...nothing",
        fields: &[("runner", S("FAKEfake"))],
        class: "job_request_ok", runner: Some("FAKEfake") },
    Row { first: "v15.9.0", last: "v16.4.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Debug,
        message: "Checking for jobs...nothing",
        fields: &[("runner", S("FAKEfake"))],
        class: "job_request_ok", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Debug,
        message: "Checking for jobs...no content",
        fields: &[("runner", S("FAKEfake")), ("status", S("204 No Content"))],
        class: "job_request_ok", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Debug,
        message: "Checking for jobs...no content",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("204 No Content"))],
        class: "job_request_ok", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Debug,
        message: "Checking for jobs...no content",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("204 No Content"))],
        class: "job_request_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Debug,
        message: "Checking for jobs...no content",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("204 No Content"))],
        class: "job_request_ok", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v16.4.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "job_request_client_error", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... client error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "job_request_client_error", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... client error",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "job_request_client_error", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.2.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "job_request_client_error", runner: Some("FAKEfake1") },
    Row { first: "v18.3.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "job_request_client_error", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Checking for jobs... client error",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "job_request_client_error", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake")), ("status", S("502 Bad Gateway"))],
        class: "job_request_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "job_request_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "job_request_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "job_request_failed", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v18.0.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake")), ("status", S("503 Service Unavailable"))],
        class: "job_request_unavailable", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("503 Service Unavailable"))],
        class: "job_request_unavailable", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.2.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("503 Service Unavailable"))],
        class: "job_request_unavailable", runner: Some("FAKEfake1") },
    Row { first: "v18.3.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("execute JSON request: execute request: Post \"https://gitlab.example.com/api/v4/jobs/request\": dial tcp: lookup gitlab.example.com on 10.96.0.10:53: no such host"))],
        class: "job_request_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... failed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("execute JSON request: execute request: Post \"https://gitlab.example.com/api/v4/jobs/request\": dial tcp: lookup gitlab.example.com on 10.96.0.10:53: no such host"))],
        class: "job_request_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.3.0", last: "v18.8.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... GitLab instance currently unavailable",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("503 Service Unavailable"))],
        class: "job_request_unavailable", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RequestJob", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Checking for jobs... GitLab instance currently unavailable",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("503 Service Unavailable"))],
        class: "job_request_unavailable", runner: Some("FAKEfake1") },
    // --- runner health (commands/health_helper.go) ---
    Row { first: "v12.0.0", last: "v15.6.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner https://gitlab.example.comFAKEfake1234567890abcdef is not healthy and will be disabled!",
        fields: &[],
        class: "runner_unhealthy", runner: Some("FAKEfake") },
    Row { first: "v15.7.0", last: "v16.7.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comFAKEfake1234567890abcdef\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake") },
    Row { first: "v16.8.0", last: "v18.1.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comFAKEfake\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v19.3.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comFAKEfake1\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v15.6.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner https://gitlab.example.com/FAKEfake1234567890abcdef is not healthy and will be disabled!",
        fields: &[],
        class: "runner_unhealthy", runner: Some("FAKEfake") },
    Row { first: "v15.7.0", last: "v16.7.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.com/FAKEfake1234567890abcdef\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake") },
    Row { first: "v16.8.0", last: "v18.1.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.com/FAKEfake\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v19.3.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.com/FAKEfake1\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake1") },
    Row { first: "v15.9.0", last: "v16.7.0", source: "commands/health_helper.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comglrt-FAKEfake1234567890abc\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake1") },
    Row { first: "v16.8.0", last: "v19.3.0", source: "commands/health_helper.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comFAKEfake1\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake1") },
    Row { first: "v15.9.0", last: "v16.7.0", source: "commands/health_helper.go", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comglrt-t1_FAKEfake1234567890\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfa") },
    Row { first: "v16.8.0", last: "v18.1.0", source: "commands/health_helper.go", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comt1_FAKEfa\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfa") },
    Row { first: "v18.2.0", last: "v19.3.0", source: "commands/health_helper.go", token: GLRT_T1, stream: Stream::Logrus, level: Level::Error,
        message: "Runner \"https://gitlab.example.comFAKEfake1\" is unhealthy and will be disabled for 1h0m0s seconds!",
        fields: &[("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v15.6.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Runner https://gitlab.example.comFAKEfake1234567890abcdef is not healthy, but will be checked!",
        fields: &[],
        class: "runner_unhealthy_recheck", runner: Some("FAKEfake") },
    Row { first: "v15.7.0", last: "v16.7.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Runner \"https://gitlab.example.comFAKEfake1234567890abcdef\" is not healthy, but check for a new job will be forced!",
        fields: &[("unhealthy_interval", D(3600)), ("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy_recheck", runner: Some("FAKEfake") },
    Row { first: "v16.8.0", last: "v18.1.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Runner \"https://gitlab.example.comFAKEfake\" is not healthy, but check for a new job will be forced!",
        fields: &[("unhealthy_interval", D(3600)), ("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy_recheck", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v19.3.0", source: "commands/health_helper.go", token: LEGACY, stream: Stream::Logrus, level: Level::Warning,
        message: "Runner \"https://gitlab.example.comFAKEfake1\" is not healthy, but check for a new job will be forced!",
        fields: &[("unhealthy_interval", D(3600)), ("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy_recheck", runner: Some("FAKEfake1") },
    Row { first: "v15.9.0", last: "v16.7.0", source: "commands/health_helper.go", token: GLRT, stream: Stream::Logrus, level: Level::Warning,
        message: "Runner \"https://gitlab.example.comglrt-FAKEfake1234567890abc\" is not healthy, but check for a new job will be forced!",
        fields: &[("unhealthy_interval", D(3600)), ("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy_recheck", runner: Some("FAKEfake1") },
    Row { first: "v16.8.0", last: "v19.3.0", source: "commands/health_helper.go", token: GLRT, stream: Stream::Logrus, level: Level::Warning,
        message: "Runner \"https://gitlab.example.comFAKEfake1\" is not healthy, but check for a new job will be forced!",
        fields: &[("unhealthy_interval", D(3600)), ("unhealthy_requests", I(3)), ("unhealthy_requests_limit", I(3))],
        class: "runner_unhealthy_recheck", runner: Some("FAKEfake1") },
    // --- unknown executor (commands/multi.go) ---
    Row { first: "v15.6.0", last: "v16.1.0", source: "commands/multi.go processRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Executor \"kuberentes\" is not known; marking Runner as unhealthy",
        fields: &[("builds", I(0)), ("runner", S("FAKEfake"))],
        class: "executor_unknown", runner: Some("FAKEfake") },
    Row { first: "v16.2.0", last: "v18.1.0", source: "commands/multi.go processRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Executor \"kuberentes\" is not known; marking Runner as unhealthy",
        fields: &[("builds", I(0)), ("max_builds", I(10)), ("runner", S("FAKEfake"))],
        class: "executor_unknown", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "commands/multi.go processRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Executor \"kuberentes\" is not known; marking Runner as unhealthy",
        fields: &[("builds", I(0)), ("max_builds", I(10)), ("runner", S("FAKEfake1"))],
        class: "executor_unknown", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "commands/multi.go processRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Executor \"kuberentes\" is not known; marking Runner as unhealthy",
        fields: &[("builds", I(0)), ("max_builds", I(10)), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "executor_unknown", runner: Some("FAKEfake1") },
    // --- registration (network/gitlab.go RegisterRunner, commands/register.go) ---
    Row { first: "v12.0.0", last: "v14.9.0", source: "network/gitlab.go RegisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Registering runner... succeeded",
        fields: &[("runner", S("FAKEfake"))],
        class: "register_ok", runner: Some("FAKEfake") },
    Row { first: "v14.10.0", last: "v18.0.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Info,
        message: "Registering runner... succeeded",
        fields: &[("runner", S("GR1348941FAKEfake"))],
        class: "register_ok", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Info,
        message: "Registering runner... succeeded",
        fields: &[("runner", S("GR1348941FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "register_ok", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Info,
        message: "Registering runner... succeeded",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "register_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Info,
        message: "Registering runner... succeeded",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "register_ok", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v14.9.0", source: "network/gitlab.go RegisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... forbidden (check registration token)",
        fields: &[("runner", S("FAKEfake"))],
        class: "register_forbidden", runner: Some("FAKEfake") },
    Row { first: "v14.10.0", last: "v16.4.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... forbidden (check registration token)",
        fields: &[("runner", S("GR1348941FAKEfake"))],
        class: "register_forbidden", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... forbidden (check registration token)",
        fields: &[("runner", S("GR1348941FAKEfake")), ("status", S("POST https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "register_forbidden", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... forbidden (check registration token)",
        fields: &[("runner", S("GR1348941FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "register_forbidden", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... forbidden (check registration token)",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "register_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... forbidden (check registration token)",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "register_forbidden", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v14.9.0", source: "network/gitlab.go RegisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "register_failed", runner: Some("FAKEfake") },
    Row { first: "v14.10.0", last: "v16.4.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... error",
        fields: &[("runner", S("GR1348941FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "register_failed", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... client error",
        fields: &[("runner", S("GR1348941FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "register_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... client error",
        fields: &[("runner", S("GR1348941FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "register_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.2.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "register_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.3.0", last: "v18.8.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "register_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... client error",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "register_failed", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v14.9.0", source: "network/gitlab.go RegisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... failed",
        fields: &[("runner", S("FAKEfake")), ("status", S("502 Bad Gateway"))],
        class: "register_failed", runner: Some("FAKEfake") },
    Row { first: "v14.10.0", last: "v18.0.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... failed",
        fields: &[("runner", S("GR1348941FAKEfake")), ("status", S("502 Bad Gateway"))],
        class: "register_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... failed",
        fields: &[("runner", S("GR1348941FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "register_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "register_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go RegisterRunner", token: GR_REG, stream: Stream::Logrus, level: Level::Error,
        message: "Registering runner... failed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "register_failed", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v15.1.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Info,
        message: "Runner registered successfully. Feel free to start it, but if it's running already the config should be automatically reloaded!",
        fields: &[],
        class: "register_ok", runner: None },
    Row { first: "v15.2.0", last: "v19.3.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Info,
        message: "Runner registered successfully. Feel free to start it, but if it's running already the config should be automatically reloaded!\n",
        fields: &[],
        class: "register_ok", runner: None },
    Row { first: "v12.0.0", last: "v13.5.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Panic,
        message: "Failed to register this runner. Perhaps you are having network problems",
        fields: &[],
        class: "register_aborted", runner: None },
    Row { first: "v13.6.0", last: "v14.8.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Panic,
        message: "Failed to register the runner. You may be having network problems.",
        fields: &[],
        class: "register_aborted", runner: None },
    Row { first: "v14.9.0", last: "v19.3.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Panic,
        message: "Failed to register the runner.",
        fields: &[],
        class: "register_aborted", runner: None },
    Row { first: "v12.0.0", last: "v13.5.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Panic,
        message: "Failed to verify this runner. Perhaps you are having network problems",
        fields: &[],
        class: "register_aborted", runner: None },
    Row { first: "v13.6.0", last: "v19.3.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Panic,
        message: "Failed to verify the runner. You may be having network problems.",
        fields: &[],
        class: "register_aborted", runner: None },
    Row { first: "v15.10.0", last: "v19.3.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Panic,
        message: "Failed to verify the runner.",
        fields: &[],
        class: "register_aborted", runner: None },
    Row { first: "v15.8.0", last: "v15.10.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Fatal,
        message: "Runner configuration other than name, description, and executor configuration is reserved and cannot be specified when registering with a runner token. This configuration is specified on the GitLab server. Please try again without specifying those arguments.",
        fields: &[],
        class: "config_error", runner: None },
    Row { first: "v15.11.0", last: "v16.2.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Fatal,
        message: "Runner configuration other than name and executor configuration is reserved and cannot be specified when registering with a runner token. This configuration is specified on the GitLab server. Please try again without specifying those arguments.",
        fields: &[],
        class: "config_error", runner: None },
    Row { first: "v16.3.0", last: "v16.5.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Fatal,
        message: "Runner configuration other than name and executor configuration is reserved (specifically --locked, --access-level, --run-untagged, --maximum-timeout, --paused, --tag-list, and --maintenance-note) and cannot be specified when registering with a runner authentication token. This configuration is specified on the GitLab server. Please try again without specifying any of those arguments.",
        fields: &[],
        class: "config_error", runner: None },
    Row { first: "v16.6.0", last: "v17.10.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Fatal,
        message: "Runner configuration other than name and executor configuration is reserved (specifically --locked, --access-level, --run-untagged, --maximum-timeout, --paused, --tag-list, and --maintenance-note) and cannot be specified when registering with a runner authentication token. This configuration is specified on the GitLab server. Please try again without specifying any of those arguments. For more information, see https://docs.gitlab.com/ee/ci/runners/new_creation_workflow.html#changes-to-the-gitlab-runner-register-command-syntax",
        fields: &[],
        class: "config_error", runner: None },
    Row { first: "v17.11.0", last: "v19.3.0", source: "commands/register.go", token: NONE, stream: Stream::Logrus, level: Level::Fatal,
        message: "Runner configuration other than name and executor configuration is reserved (specifically --locked, --access-level, --run-untagged, --maximum-timeout, --paused, --tag-list, and --maintenance-note) and cannot be specified when registering with a runner authentication token. This configuration is specified on the GitLab server. Please try again without specifying any of those arguments. For more information, see https://docs.gitlab.com/ci/runners/new_creation_workflow/#changes-to-the-gitlab-runner-register-command-syntax",
        fields: &[],
        class: "config_error", runner: None },
    // --- verification (network/gitlab.go VerifyRunner) ---
    Row { first: "v12.0.0", last: "v18.0.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is alive",
        fields: &[("runner", S("FAKEfake"))],
        class: "verify_ok", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is alive",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "verify_ok", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is alive",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "verify_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is alive",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "verify_ok", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v16.4.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... is removed",
        fields: &[("runner", S("FAKEfake"))],
        class: "verify_removed", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... is removed",
        fields: &[("runner", S("FAKEfake")), ("status", S("POST https://gitlab.example.com/api/v4/runners/verify: 403 Forbidden"))],
        class: "verify_removed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... is removed",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners/verify: 403 Forbidden"))],
        class: "verify_removed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... is removed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners/verify: 403 Forbidden"))],
        class: "verify_removed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... is removed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners/verify: 403 Forbidden"))],
        class: "verify_removed", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v16.4.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "verify_failed", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... client error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "verify_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... client error",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "verify_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.2.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "verify_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.3.0", last: "v18.8.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "verify_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... client error",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "verify_failed", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v18.0.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... failed",
        fields: &[("runner", S("FAKEfake")), ("status", S("502 Bad Gateway"))],
        class: "verify_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... failed",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "verify_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "verify_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go VerifyRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... failed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "verify_failed", runner: Some("FAKEfake1") },
    Row { first: "v15.10.0", last: "v18.0.0", source: "network/gitlab.go VerifyRunner", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is valid",
        fields: &[("runner", S("FAKEfake1"))],
        class: "verify_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go VerifyRunner", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is valid",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "verify_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go VerifyRunner", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is valid",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "verify_ok", runner: Some("FAKEfake1") },
    Row { first: "v15.10.0", last: "v15.10.0", source: "network/gitlab.go VerifyRunner", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Verifying runner... is removed",
        fields: &[("runner", S("FAKEfake1"))],
        class: "verify_removed", runner: Some("FAKEfake1") },
    Row { first: "v15.11.0", last: "v18.0.0", source: "network/gitlab.go VerifyRunner", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is not valid",
        fields: &[("runner", S("FAKEfake1"))],
        class: "verify_removed", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go VerifyRunner", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is not valid",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "verify_removed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go VerifyRunner", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Verifying runner... is not valid",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "verify_removed", runner: Some("FAKEfake1") },
    // --- unregistration (network/gitlab.go) ---
    Row { first: "v12.0.0", last: "v18.0.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner from GitLab succeeded",
        fields: &[("runner", S("FAKEfake"))],
        class: "unregister_ok", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner from GitLab succeeded",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "unregister_ok", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner from GitLab succeeded",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "unregister_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner from GitLab succeeded",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "unregister_ok", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v16.4.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab forbidden",
        fields: &[("runner", S("FAKEfake"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab forbidden",
        fields: &[("runner", S("FAKEfake")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab forbidden",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab forbidden",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab forbidden",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v16.4.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab client error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab client error",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.2.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.3.0", last: "v18.8.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab client error",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v12.0.0", last: "v18.0.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab failed",
        fields: &[("runner", S("FAKEfake")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v18.1.0", last: "v18.1.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab failed",
        fields: &[("runner", S("FAKEfake")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake") },
    Row { first: "v18.2.0", last: "v18.8.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go UnregisterRunner", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab failed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.0.0", last: "v17.5.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner from GitLab succeeded",
        fields: &[("runner", S("FAKEfake1"))],
        class: "unregister_ok", runner: Some("FAKEfake1") },
    Row { first: "v17.6.0", last: "v18.0.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner manager from GitLab succeeded",
        fields: &[("runner", S("FAKEfake1"))],
        class: "unregister_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner manager from GitLab succeeded",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "unregister_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Unregistering runner manager from GitLab succeeded",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "unregister_ok", runner: Some("FAKEfake1") },
    Row { first: "v16.0.0", last: "v16.4.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab forbidden",
        fields: &[("runner", S("FAKEfake1"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.5.0", last: "v17.5.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab forbidden",
        fields: &[("runner", S("FAKEfake1")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners/managers: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v17.6.0", last: "v18.0.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner manager from GitLab forbidden",
        fields: &[("runner", S("FAKEfake1")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners/managers: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner manager from GitLab forbidden",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners/managers: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner manager from GitLab forbidden",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("DELETE https://gitlab.example.com/api/v4/runners/managers: 403 Forbidden"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.0.0", last: "v17.5.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner from GitLab failed",
        fields: &[("runner", S("FAKEfake1")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v17.6.0", last: "v18.0.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner manager from GitLab failed",
        fields: &[("runner", S("FAKEfake1")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner manager from GitLab failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go UnregisterRunnerManager", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Unregistering runner manager from GitLab failed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "unregister_failed", runner: Some("FAKEfake1") },
    // --- token reset (network/gitlab.go resetToken, commands/reset_token.go) ---
    Row { first: "v15.3.0", last: "v15.8.0", source: "network/gitlab.go resetToken", token: LEGACY, stream: Stream::Logrus, level: Level::Info,
        message: "Resetting runner token... succeeded",
        fields: &[("runner", S("FAKEfake"))],
        class: "token_reset_ok", runner: Some("FAKEfake") },
    Row { first: "v15.9.0", last: "v16.2.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Resetting runner token... succeeded",
        fields: &[("runner", S("FAKEfake1"))],
        class: "token_reset_ok", runner: Some("FAKEfake1") },
    Row { first: "v16.3.0", last: "v18.0.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Resetting runner authentication token... succeeded",
        fields: &[("runner", S("FAKEfake1"))],
        class: "token_reset_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Resetting runner authentication token... succeeded",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "token_reset_ok", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Resetting runner authentication token... succeeded",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X"))],
        class: "token_reset_ok", runner: Some("FAKEfake1") },
    Row { first: "v15.3.0", last: "v15.8.0", source: "network/gitlab.go resetToken", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner token... failed (check used token)",
        fields: &[("runner", S("FAKEfake"))],
        class: "token_reset_failed", runner: Some("FAKEfake") },
    Row { first: "v15.9.0", last: "v16.2.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner token... failed (check used token)",
        fields: &[("runner", S("FAKEfake1"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.3.0", last: "v16.4.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... failed (check used token)",
        fields: &[("runner", S("FAKEfake1"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... failed (check used token)",
        fields: &[("runner", S("FAKEfake1")), ("status", S("POST https://gitlab.example.com/api/v4/runners/reset_authentication_token: 403 Forbidden"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... failed (check used token)",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners/reset_authentication_token: 403 Forbidden"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... failed (check used token)",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("POST https://gitlab.example.com/api/v4/runners/reset_authentication_token: 403 Forbidden"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v15.3.0", last: "v15.8.0", source: "network/gitlab.go resetToken", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner token... error",
        fields: &[("runner", S("FAKEfake")), ("status", S("only http or https scheme supported"))],
        class: "token_reset_failed", runner: Some("FAKEfake") },
    Row { first: "v15.9.0", last: "v16.2.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner token... error",
        fields: &[("runner", S("FAKEfake1")), ("status", S("only http or https scheme supported"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.3.0", last: "v16.4.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... error",
        fields: &[("runner", S("FAKEfake1")), ("status", S("only http or https scheme supported"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.5.0", last: "v18.0.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... client error",
        fields: &[("runner", S("FAKEfake1")), ("status", S("only http or https scheme supported"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.2.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("only http or https scheme supported"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.3.0", last: "v18.8.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... client error",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... client error",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("get client: new client: only http or https scheme supported"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v15.3.0", last: "v15.8.0", source: "network/gitlab.go resetToken", token: LEGACY, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner token... failed",
        fields: &[("runner", S("FAKEfake")), ("status", S("502 Bad Gateway"))],
        class: "token_reset_failed", runner: Some("FAKEfake") },
    Row { first: "v15.9.0", last: "v16.2.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner token... failed",
        fields: &[("runner", S("FAKEfake1")), ("status", S("502 Bad Gateway"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v16.3.0", last: "v18.0.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... failed",
        fields: &[("runner", S("FAKEfake1")), ("status", S("502 Bad Gateway"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.1.0", last: "v18.8.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... failed",
        fields: &[("runner", S("FAKEfake1")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "network/gitlab.go resetToken", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Resetting runner authentication token... failed",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn")), ("correlation_id", S("01JCQ8ZK4W7Y3V9N2B5M6T1R0X")), ("status", S("502 Bad Gateway"))],
        class: "token_reset_failed", runner: Some("FAKEfake1") },
    Row { first: "v15.3.0", last: "v16.2.0", source: "commands/reset_token.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Failed to reset runner token",
        fields: &[("name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "token_reset_failed", runner: None },
    Row { first: "v16.3.0", last: "v19.3.0", source: "commands/reset_token.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Failed to reset runner authentication token",
        fields: &[("name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "token_reset_failed", runner: None },
    Row { first: "v15.3.0", last: "v16.2.0", source: "commands/reset_token.go", token: GLRT, stream: Stream::Logrus, level: Level::Fatal,
        message: "Failed to reset runner token",
        fields: &[("id", I(42)), ("name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "token_reset_failed", runner: None },
    Row { first: "v16.3.0", last: "v19.3.0", source: "commands/reset_token.go", token: GLRT, stream: Stream::Logrus, level: Level::Fatal,
        message: "Failed to reset runner authentication token",
        fields: &[("id", I(42)), ("name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "token_reset_failed", runner: None },
    // --- token expiry, empty token, system id (commands/multi.go, system_id_state.go) ---
    Row { first: "v17.0.0", last: "v19.3.0", source: "commands/multi.go resetOneRunnerToken", token: GLRT, stream: Stream::Stdout, level: Level::Unknown,
        message: "Automatic token rotation is disabled for runner: FAKEfake1-s_0123456789ab. Your token is about to expire",
        fields: &[],
        class: "token_expiring", runner: Some("FAKEfake1") },
    Row { first: "v17.0.0", last: "v18.1.0", source: "commands/multi.go resetOneRunnerToken", token: GLRT_T1, stream: Stream::Stdout, level: Level::Unknown,
        message: "Automatic token rotation is disabled for runner: t1_FAKEfa-s_0123456789ab. Your token is about to expire",
        fields: &[],
        class: "token_expiring", runner: Some("FAKEfa") },
    Row { first: "v18.2.0", last: "v19.3.0", source: "commands/multi.go resetOneRunnerToken", token: GLRT_T1, stream: Stream::Stdout, level: Level::Unknown,
        message: "Automatic token rotation is disabled for runner: FAKEfake1-s_0123456789ab. Your token is about to expire",
        fields: &[],
        class: "token_expiring", runner: Some("FAKEfake1") },
    Row { first: "v17.0.0", last: "v19.3.0", source: "commands/multi.go resetOneRunnerToken", token: GLRT, stream: Stream::Logrus, level: Level::Warning,
        message: "104 <nil>",
        fields: &[("builds", I(0)), ("max_builds", I(10))],
        class: "other", runner: None },
    Row { first: "v19.1.0", last: "v19.3.0", source: "commands/multi.go reloadConfig", token: NONE, stream: Stream::Logrus, level: Level::Warning,
        message: "Runner token is empty or whitespace; this runner will be skipped during job polling. Check the 'token' field in your config.toml for this runner.",
        fields: &[("builds", I(0)), ("max_builds", I(10)), ("runner", S("")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "token_missing", runner: None },
    Row { first: "v15.7.0", last: "v19.3.0", source: "common/system_id_state.go, commands/internal/configfile/system_id_state.go (v18.1+)", token: NONE, stream: Stream::Logrus, level: Level::Info,
        message: "Created missing unique system ID",
        fields: &[("system_id", S("s_0123456789ab"))],
        class: "other", runner: None },
    // --- Job Router (router/client.go) ---
    Row { first: "v18.8.0", last: "v18.8.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "GetJob RPC",
        fields: &[("error", S("rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp 10.43.12.9:443: connect: connection refused\"")), ("runner", S("FAKEfake1"))],
        class: "job_router_error", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Error requesting a job",
        fields: &[("error", S("rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp 10.43.12.9:443: connect: connection refused\"")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "job_router_error", runner: Some("FAKEfake1") },
    Row { first: "v18.8.0", last: "v18.8.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "GetJob RPC",
        fields: &[("error", S("rpc error: code = PermissionDenied desc = forbidden")), ("runner", S("FAKEfake1"))],
        class: "job_router_error", runner: Some("FAKEfake1") },
    Row { first: "v18.9.0", last: "v19.3.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Error,
        message: "Error requesting a job",
        fields: &[("error", S("rpc error: code = PermissionDenied desc = forbidden")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "job_router_error", runner: Some("FAKEfake1") },
    Row { first: "v19.1.0", last: "v19.3.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Job router is disabled, falling back to direct job requests",
        fields: &[("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "job_router_fallback", runner: Some("FAKEfake1") },
    Row { first: "v19.2.0", last: "v19.3.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Warning,
        message: "Job router circuit breaker tripped on dial failure, falling back to direct job requests",
        fields: &[("error", S("CA certificate: AppendCertsFromPEM(/etc/gitlab-runner/certs/gitlab.example.com.crt) failed")), ("job_router_url", S("wss://kas.gitlab.example.com")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "job_router_fallback", runner: Some("FAKEfake1") },
    Row { first: "v19.2.0", last: "v19.3.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Warning,
        message: "Job router dial failed, falling back to direct job requests",
        fields: &[("error", S("CA certificate: AppendCertsFromPEM(/etc/gitlab-runner/certs/gitlab.example.com.crt) failed")), ("job_router_url", S("wss://kas.gitlab.example.com")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "job_router_fallback", runner: Some("FAKEfake1") },
    Row { first: "v19.2.0", last: "v19.3.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Warning,
        message: "Job router circuit breaker tripped, falling back to direct job requests",
        fields: &[("error", S("rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp 10.43.12.9:443: connect: connection refused\"")), ("job_router_url", S("wss://kas.gitlab.example.com")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "job_router_fallback", runner: Some("FAKEfake1") },
    Row { first: "v19.2.0", last: "v19.3.0", source: "router/client.go", token: GLRT, stream: Stream::Logrus, level: Level::Info,
        message: "Job router recovered, resuming routing",
        fields: &[("job_router_url", S("wss://kas.gitlab.example.com")), ("runner", S("FAKEfake1")), ("runner_name", S("gitlab-runner-6c8d9f7b5-qz4tn"))],
        class: "other", runner: Some("FAKEfake1") },
];
