//! [`Classifier`]: a parsed line to an [`Event`].
//!
//! Rules are data ([`rules::BUILTIN`] plus custom rules from the config
//! file), compiled once into one `RegexSet` over the message and, for rules
//! with named groups, a capture regex. No regex is built after
//! [`Classifier::new`].
//!
//! Precedence is deterministic: custom rules first, in file order, then the
//! built-in rules in table order; the first rule whose pattern matches *and*
//! whose conditions (status, field, level) hold wins. A line no rule claims
//! is `other`, with its runner id and status still extracted.

pub mod rules;

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::event::{Cause, Class, Detail, Event, GrpcCode, Level, RunnerId, SystemId};
use crate::parse::Parsed;
use rules::{BUILTIN, Builtin, DetailKind, RunnerFrom};

/// Compiled regexes may not exceed this many bytes (user rules included).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A custom rule as written in the config file (`rules:`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique name, `[a-z0-9_-]+`; shown by `classify` and `rules`.
    pub name: String,
    /// One of the class names (`runner-medic rules` lists them).
    pub class: String,
    /// Regex over the message (anchor it with `^` unless you mean otherwise).
    pub pattern: String,
    /// Match only when the line reports this HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// The status to report when the line states none.
    #[serde(default)]
    pub implied_status: Option<u16>,
    /// Match only at this level (`error`, `warning`, ...).
    #[serde(default)]
    pub level: Option<String>,
    /// Match only when a field matches a regex.
    #[serde(default)]
    pub field: Option<FieldSpec>,
}

/// A field condition of a custom rule.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Field key, e.g. `error` or `status`.
    pub name: String,
    /// Regex over the field's value.
    pub pattern: String,
}

/// A rule that cannot be compiled. Names the rule and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RuleError {
    /// Two rules share a name.
    #[error("rule {name:?}: the name is used twice; rule names must be unique")]
    DuplicateName {
        /// The rule.
        name: String,
    },
    /// The name has characters outside `[a-z0-9_-]` or is empty.
    #[error("rule {name:?}: invalid name; use lowercase letters, digits, '_' and '-'")]
    InvalidName {
        /// The rule.
        name: String,
    },
    /// The class is not one of the known classes.
    #[error("rule {name:?}: unknown class {class:?}; run `runner-medic rules` for the list")]
    UnknownClass {
        /// The rule.
        name: String,
        /// What was given.
        class: String,
    },
    /// A level name that logrus does not use.
    #[error(
        "rule {name:?}: unknown level {level:?}; use panic, fatal, error, warning, info, debug or trace"
    )]
    UnknownLevel {
        /// The rule.
        name: String,
        /// What was given.
        level: String,
    },
    /// A status outside 100..=599.
    #[error("rule {name:?}: status {status} is not an HTTP status (100-599)")]
    InvalidStatus {
        /// The rule.
        name: String,
        /// What was given.
        status: u16,
    },
    /// The regex does not compile.
    #[error("rule {name:?}: {what} is not a valid regex: {error}")]
    Regex {
        /// The rule.
        name: String,
        /// `pattern` or `field.pattern`.
        what: &'static str,
        /// The regex crate's explanation.
        error: String,
    },
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule name.
    pub name: String,
    /// Class on match.
    pub class: Class,
    /// The pattern as written.
    pub pattern: String,
    /// A literal every match contains (built-in rules only).
    pub anchor: Option<&'static str>,
    /// Defined in the config file rather than built in.
    pub custom: bool,
    status: Option<u16>,
    implied_status: Option<u16>,
    level: Option<Level>,
    field: Option<(String, Regex)>,
    captures: Option<Regex>,
    runner: RunnerFrom,
    detail: DetailKind,
}

/// Classifies parsed lines. Build once, share freely (`Sync`).
#[derive(Debug)]
pub struct Classifier {
    rules: Vec<Rule>,
    set: RegexSet,
    memo: Mutex<Memo>,
}

impl Clone for Classifier {
    fn clone(&self) -> Classifier {
        Classifier {
            rules: self.rules.clone(),
            set: self.set.clone(),
            memo: Mutex::new(Memo::default()),
        }
    }
}

/// Which rules' patterns match a message, remembered per distinct message.
///
/// Runner messages repeat (`Checking for jobs... received`, `Appending
/// trace to coordinator...ok`): the pattern set runs once per distinct
/// text instead of once per line. Conditions (status, field, level) are
/// still checked per line. Bounded: long messages are not remembered and
/// the memo is emptied when full.
#[derive(Debug, Default)]
struct Memo {
    matches: FxHashMap<Box<str>, Candidates>,
}

/// Up to four matching rule indices (more is never cached).
#[derive(Debug, Clone, Copy, Default)]
struct Candidates {
    len: u8,
    idx: [u16; 4],
}

impl Candidates {
    fn as_slice(&self) -> &[u16] {
        &self.idx[..usize::from(self.len)]
    }
}

impl Memo {
    const MAX_ENTRIES: usize = 4096;
    const MAX_MESSAGE: usize = 160;
}

impl Classifier {
    /// The built-in rules only.
    pub fn builtin() -> Classifier {
        // The built-in table is covered by tests; it cannot fail to compile.
        Classifier::new(&[]).unwrap_or_else(|e| unreachable!("built-in rules compile: {e}"))
    }

    /// Custom rules (tried first, in order) plus the built-in rules.
    pub fn new(custom: &[RuleSpec]) -> Result<Classifier, RuleError> {
        let mut rules = Vec::with_capacity(custom.len() + BUILTIN.len());
        for spec in custom {
            if rules.iter().any(|r: &Rule| r.name == spec.name)
                || BUILTIN.iter().any(|b| b.name == spec.name)
            {
                return Err(RuleError::DuplicateName {
                    name: spec.name.clone(),
                });
            }
            rules.push(compile_custom(spec)?);
        }
        for b in BUILTIN {
            rules.push(compile_builtin(b)?);
        }
        let set = RegexSetBuilder::new(rules.iter().map(|r| r.pattern.as_str()))
            .size_limit(REGEX_SIZE_LIMIT * 8)
            .build()
            .map_err(|e| RuleError::Regex {
                name: "(all rules)".into(),
                what: "the combined rule set",
                error: e.to_string(),
            })?;
        Ok(Classifier {
            rules,
            set,
            memo: Mutex::new(Memo::default()),
        })
    }

    /// The rules in precedence order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The name of the rule an event came from.
    pub fn rule_name(&self, event: &Event) -> Option<&str> {
        event
            .rule
            .and_then(|i| self.rules.get(usize::from(i)))
            .map(|r| r.name.as_str())
    }

    /// Classifies one parsed line.
    pub fn classify(&self, p: &Parsed<'_>) -> Event {
        let message = p.message;
        if message.is_empty() {
            return fallback(p);
        }
        let candidates = self.candidates(message);
        let mut chosen = None;
        let check = |idx: usize| {
            let rule = &self.rules[idx];
            rule.try_match(p).map(|hit| (idx, rule, hit))
        };
        match candidates {
            Some(c) => chosen = c.as_slice().iter().find_map(|&i| check(usize::from(i))),
            None => {
                for idx in self.set.matches(message).iter() {
                    if let Some(found) = check(idx) {
                        chosen = Some(found);
                        break;
                    }
                }
            }
        }
        match chosen {
            Some((idx, rule, hit)) => rule.event(p, idx as u16, hit),
            None => fallback(p),
        }
    }

    /// The rules whose patterns match `message`, from the memo or computed
    /// and remembered; `None` when it cannot be remembered (too long, too
    /// many matches, memo busy).
    fn candidates(&self, message: &str) -> Option<Candidates> {
        if message.len() > Memo::MAX_MESSAGE {
            return None;
        }
        let mut memo = self.memo.try_lock().ok()?;
        if let Some(c) = memo.matches.get(message) {
            return Some(*c);
        }
        let mut c = Candidates::default();
        for idx in self.set.matches(message).iter() {
            if usize::from(c.len) == c.idx.len() {
                return None;
            }
            c.idx[usize::from(c.len)] = idx as u16;
            c.len += 1;
        }
        if memo.matches.len() >= Memo::MAX_ENTRIES {
            memo.matches.clear();
        }
        memo.matches.insert(message.into(), c);
        Some(c)
    }
}

/// What a matching rule extracted before building the event.
struct Hit<'a> {
    status: Option<u16>,
    target: Option<&'a str>,
    duration: Option<&'a str>,
    attempt: Option<(u32, u32)>,
    captured_runner: Option<&'a str>,
    bare_status: bool,
}

impl Rule {
    fn try_match<'a>(&self, p: &Parsed<'a>) -> Option<Hit<'a>> {
        if let Some(l) = self.level
            && l != p.level
        {
            return None;
        }
        if let Some((key, re)) = &self.field
            && !p.field(key).is_some_and(|v| re.is_match(v))
        {
            return None;
        }
        let caps = self.captures.as_ref().and_then(|re| re.captures(p.message));
        let cap = |n: &str| caps.as_ref().and_then(|c| c.name(n)).map(|m| m.as_str());
        let (field_status, bare_status) = status_of_fields(p);
        let status = field_status
            .or_else(|| cap("status").and_then(|s| s.parse().ok()))
            .or_else(|| {
                (self.detail == DetailKind::Router)
                    .then(|| rpc_error(p).and_then(|(_, s)| s))
                    .flatten()
            })
            .or(self.implied_status);
        if let Some(want) = self.status
            && status != Some(want)
        {
            return None;
        }
        let attempt = match (cap("attempt"), cap("of")) {
            (Some(a), Some(o)) => a.parse().ok().zip(o.parse().ok()),
            _ => None,
        };
        Some(Hit {
            status,
            target: cap("target"),
            duration: cap("duration"),
            attempt,
            captured_runner: cap("runner"),
            bare_status,
        })
    }

    fn event(&self, p: &Parsed<'_>, idx: u16, hit: Hit<'_>) -> Event {
        let runner = match self.runner {
            RunnerFrom::Field => hit
                .captured_runner
                .or_else(|| p.field("runner"))
                .and_then(RunnerId::normalize),
            RunnerFrom::Target => hit.target.and_then(runner_from_target),
            RunnerFrom::FieldWithName => p
                .field("runner_name")
                .and_then(|_| p.field("runner"))
                .and_then(RunnerId::normalize),
        };
        let detail = match self.detail {
            DetailKind::None if self.class == Class::JobRequestForbidden && hit.bare_status => {
                Detail::ProxyStatus
            }
            DetailKind::None => Detail::None,
            DetailKind::Workflow(w) => Detail::Workflow(w),
            DetailKind::Lockout => Detail::Lockout {
                duration: hit.duration.and_then(parse_go_duration),
            },
            DetailKind::Attempt => match hit.attempt {
                Some((attempt, of)) => Detail::RegistrationAttempt { attempt, of },
                None => Detail::None,
            },
            DetailKind::Router => rpc_error(p).map_or(Detail::None, |(c, _)| Detail::Router(c)),
            DetailKind::SystemId => p
                .field("system_id")
                .and_then(SystemId::parse)
                .map_or(Detail::None, Detail::SystemId),
        };
        let cause = if is_failure(self.class) {
            cause_of(hit.status, p)
        } else {
            None
        };
        Event {
            class: self.class,
            rule: Some(idx),
            runner,
            http_status: hit.status,
            cause,
            job: job_of(p),
            level: p.level,
            format: p.format,
            detail,
        }
    }
}

fn fallback(p: &Parsed<'_>) -> Event {
    Event {
        class: Class::Other,
        rule: None,
        runner: p.field("runner").and_then(RunnerId::normalize),
        http_status: status_of_fields(p).0,
        cause: None,
        job: job_of(p),
        level: p.level,
        format: p.format,
        detail: Detail::None,
    }
}

/// Classes that report a failed request to GitLab, whose cause is worth
/// reading.
fn is_failure(c: Class) -> bool {
    matches!(
        c,
        Class::JobRequestForbidden
            | Class::JobRequestUnavailable
            | Class::JobRequestClientError
            | Class::JobRequestFailed
            | Class::JobRouterError
            | Class::JobUpdateForbidden
            | Class::ArtifactForbidden
            | Class::RegisterForbidden
            | Class::RegisterFailed
            | Class::VerifyRemoved
            | Class::VerifyFailed
            | Class::UnregisterFailed
            | Class::TokenResetFailed
    )
}

fn compile_builtin(b: &Builtin) -> Result<Rule, RuleError> {
    let err = |what: &'static str, e: regex::Error| RuleError::Regex {
        name: b.name.into(),
        what,
        error: e.to_string(),
    };
    Ok(Rule {
        name: b.name.into(),
        class: b.class,
        pattern: b.pattern.into(),
        anchor: Some(b.anchor),
        custom: false,
        status: b.status,
        implied_status: b.implied_status,
        level: None,
        field: match b.field {
            Some((k, re)) => Some((k.into(), build(re).map_err(|e| err("field.pattern", e))?)),
            None => None,
        },
        captures: captures_for(b.pattern).map_err(|e| err("pattern", e))?,
        runner: b.runner,
        detail: b.detail,
    })
}

fn compile_custom(spec: &RuleSpec) -> Result<Rule, RuleError> {
    let name = spec.name.clone();
    if name.is_empty()
        || !name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
    {
        return Err(RuleError::InvalidName { name });
    }
    let class = Class::from_name(&spec.class).ok_or_else(|| RuleError::UnknownClass {
        name: name.clone(),
        class: spec.class.clone(),
    })?;
    for s in [spec.status, spec.implied_status].into_iter().flatten() {
        if !(100..=599).contains(&s) {
            return Err(RuleError::InvalidStatus {
                name: name.clone(),
                status: s,
            });
        }
    }
    let level = match &spec.level {
        Some(l) => match Level::from_name(l) {
            Level::Unknown => {
                return Err(RuleError::UnknownLevel {
                    name,
                    level: l.clone(),
                });
            }
            lvl => Some(lvl),
        },
        None => None,
    };
    let err = |what: &'static str, e: regex::Error| RuleError::Regex {
        name: name.clone(),
        what,
        error: e.to_string(),
    };
    build(&spec.pattern).map_err(|e| err("pattern", e))?;
    let field = match &spec.field {
        Some(f) => Some((
            f.name.clone(),
            build(&f.pattern).map_err(|e| err("field.pattern", e))?,
        )),
        None => None,
    };
    let captures = captures_for(&spec.pattern).map_err(|e| err("pattern", e))?;
    Ok(Rule {
        name: name.clone(),
        class,
        pattern: spec.pattern.clone(),
        anchor: None,
        custom: true,
        status: spec.status,
        implied_status: spec.implied_status,
        level,
        field,
        captures,
        runner: RunnerFrom::Field,
        detail: DetailKind::None,
    })
}

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// A capture regex only for patterns with named groups we read.
fn captures_for(pattern: &str) -> Result<Option<Regex>, regex::Error> {
    let re = build(pattern)?;
    let wanted = ["status", "target", "duration", "attempt", "of", "runner"];
    Ok(re
        .capture_names()
        .flatten()
        .any(|n| wanted.contains(&n))
        .then_some(re))
}

// === field extraction ===

/// The HTTP status stated by the line's fields (`code`, `status`,
/// `responseStatus`), and whether the status text was a bare status line
/// (`403 Forbidden`: the body was not GitLab's JSON).
fn status_of_fields(p: &Parsed<'_>) -> (Option<u16>, bool) {
    if let Some(code) = p.field("code").and_then(|c| c.trim().parse::<u16>().ok())
        && (100..=599).contains(&code)
    {
        return (Some(code), false);
    }
    for key in ["status", "responseStatus"] {
        if let Some((s, bare)) = p.field(key).and_then(status_from_text) {
            return (Some(s), bare);
        }
    }
    (None, false)
}

/// Reads a status from a runner status text: `403`, `403 Forbidden`,
/// `POST https://host/api/v4/jobs/request: 403 Forbidden (message)`.
/// Transport errors (`couldn't execute POST against ...`) have none.
pub fn status_from_text(s: &str) -> Option<(u16, bool)> {
    let s = s.trim();
    let b = s.as_bytes();
    if is_status_at(b, 0) && (b.len() == 3 || b[3] == b' ') {
        let code = s[..3].parse().ok()?;
        return Some((code, b.len() > 3));
    }
    // `<METHOD> <url>: <code> <Reason>`, possibly after a prefix such as
    // `execute JSON request: `.
    let mut from = 0;
    while let Some(p) = memchr::memchr(b':', &b[from..]).map(|p| from + p) {
        from = p + 1;
        if b.get(p + 1) != Some(&b' ') || !is_status_at(b, p + 2) {
            continue;
        }
        if !(b.get(p + 5) == Some(&b' ') && b.get(p + 6).is_some_and(u8::is_ascii_uppercase)) {
            continue;
        }
        let head = &s[..p];
        let Some(sp) = head.rfind(' ') else { continue };
        let url = &head[sp + 1..];
        let method = head[..sp].rsplit([' ', ':']).next().unwrap_or("");
        if !url.is_empty()
            && !url.contains('"')
            && matches!(method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD")
        {
            return Some((s[p + 2..p + 5].parse().ok()?, false));
        }
    }
    None
}

/// Three digits of an HTTP status (1xx-5xx) at `i`.
fn is_status_at(b: &[u8], i: usize) -> bool {
    b.len() >= i + 3
        && (b'1'..=b'5').contains(&b[i])
        && b[i + 1].is_ascii_digit()
        && b[i + 2].is_ascii_digit()
}

fn job_of(p: &Parsed<'_>) -> Option<u64> {
    p.field("job").and_then(|j| j.trim().parse().ok())
}

/// The gRPC code of a Job Router error (`rpc error: code = NAME desc =
/// ...`, in the `error` field or the message) and the HTTP status its
/// description carries (`desc = HTTP status code: 409`).
fn rpc_error(p: &Parsed<'_>) -> Option<(GrpcCode, Option<u16>)> {
    let text = p.field("error").unwrap_or(p.message);
    let at = memchr::memmem::find(text.as_bytes(), b"code = ")?;
    let rest = &text[at + 7..];
    let name = rest.split([' ', ',', ';']).next().unwrap_or("");
    let code = GrpcCode::from_name(name)?;
    let status = memchr::memmem::find(rest.as_bytes(), b"HTTP status code: ")
        .and_then(|i| rest.get(i + 18..i + 21))
        .and_then(|d| d.parse::<u16>().ok())
        .filter(|s| (100..=599).contains(s));
    Some((code, status))
}

/// Why a failure happened: an HTTP status, or the transport error text.
fn cause_of(status: Option<u16>, p: &Parsed<'_>) -> Option<Cause> {
    if status.is_some_and(|s| s >= 400) {
        return Some(Cause::Http);
    }
    let texts = [p.field("status"), p.field("error"), Some(p.message)];
    texts.into_iter().flatten().find_map(transport_cause)
}

/// Classifies a Go network error text.
pub fn transport_cause(text: &str) -> Option<Cause> {
    // Checked in order: a DNS lookup that times out is a DNS problem.
    type Markers = Vec<(memchr::memmem::Finder<'static>, Cause)>;
    static MARKERS: LazyLock<Markers> = LazyLock::new(|| {
        [
            // Go's net/http refuses a header value with a newline before
            // anything goes on the wire: the token is malformed.
            ("invalid header field", Cause::TokenFormat),
            ("no such host", Cause::Dns),
            ("lookup ", Cause::Dns),
            ("server misbehaving", Cause::Dns),
            ("name resolution", Cause::Dns),
            ("x509:", Cause::Tls),
            ("tls: ", Cause::Tls),
            ("certificate", Cause::Tls),
            ("timeout", Cause::Timeout),
            ("Timeout", Cause::Timeout),
            ("deadline exceeded", Cause::Timeout),
            ("connection refused", Cause::Connect),
            ("connection reset", Cause::Connect),
            ("no route to host", Cause::Connect),
            ("network is unreachable", Cause::Connect),
            ("broken pipe", Cause::Connect),
            (": EOF", Cause::Connect),
        ]
        .into_iter()
        .map(|(needle, cause)| (memchr::memmem::Finder::new(needle.as_bytes()), cause))
        .collect()
    });
    let b = text.as_bytes();
    MARKERS
        .iter()
        .find(|(f, _)| f.find(b).is_some())
        .map(|(_, c)| *c)
        .or_else(|| text.ends_with("EOF").then_some(Cause::Connect))
}

/// The runner id inside an unhealthy line's `<url><token>`.
///
/// Since runner 16.8 the token part is the short id (9 characters, 8
/// before 18.2); before, it was the *full* token. URL and token are glued
/// together, with a slash only when the URL ends with one. Only the start
/// of a token may ever become an id (its first 9 characters are the short
/// id gitlab-runner prints itself): a token's *end* is secret. So:
///
/// * a token prefix (`glrt-`, `glrtr-`, `GR1348941`) marks where it starts;
/// * after a slash, the last path segment starts the token;
/// * glued to the host, the id is taken only when what precedes it is a
///   whole host name (its last label lowercase letters, as top-level
///   domains are) or a port; otherwise the id is unknown and the health
///   tracker attributes the lockout to the runner of the same pod that
///   failed last (the lockout follows its failures).
fn runner_from_target(target: &str) -> Option<RunnerId> {
    for prefix in ["glrt-", "glrtr-", "GR1348941"] {
        if let Some(pos) = target.find(prefix) {
            return RunnerId::normalize(&target[pos..]);
        }
    }
    let rest = target
        .strip_prefix("https://")
        .or_else(|| target.strip_prefix("http://"))
        .unwrap_or(target);
    let is_token_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if let Some((_, last)) = rest.rsplit_once('/') {
        // The start of the segment is the start of the token: at most its
        // first 9 characters are kept.
        let b = last.as_bytes();
        if b.len() > RunnerId::MAX_LEN && b.iter().all(|&c| is_token_char(c)) {
            return RunnerId::normalize(&last[..RunnerId::MAX_LEN]);
        }
        return RunnerId::normalize(last);
    }
    // Glued to the host (or its port): `host.tld<id>` or `host:8443<id>`,
    // the id 9 characters (18.2+) or 8 (16.8 to 18.1). When both lengths
    // leave a whole host name the line does not say which; the current
    // length wins (a 16.8-18.1 id then reads as the host's last character
    // and the id: no secret, and the tracker gives a lockout whose id it
    // does not know to the runner of the same pod that failed last).
    let b = rest.as_bytes();
    let split = |len: usize| -> Option<&str> {
        if b.len() <= len + 1 || !rest.is_char_boundary(b.len() - len) {
            return None;
        }
        let (host, id) = rest.split_at(b.len() - len);
        if !id.bytes().all(is_token_char) {
            return None;
        }
        let label = host.rsplit(['.', ':']).next().unwrap_or("");
        let sep = host
            .as_bytes()
            .get(host.len().wrapping_sub(label.len() + 1));
        let whole = match sep {
            Some(b'.') => label.len() >= 2 && label.bytes().all(|c| c.is_ascii_lowercase()),
            Some(b':') => !label.is_empty() && label.bytes().all(|c| c.is_ascii_digit()),
            _ => false,
        };
        whole.then_some(id)
    };
    split(RunnerId::MAX_LEN)
        .or_else(|| split(RunnerId::MAX_LEN - 1))
        .and_then(RunnerId::normalize)
}

/// Parses Go's `time.Duration` text (`1h0m0s`, `3s`, `1.5s`, `500ms`).
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut rest = s;
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod versions;
