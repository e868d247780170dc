//! Where the runner's own line starts when another tool printed it.
//!
//! `stern`, Loki's `logcli`, `journalctl`, rsyslog files and tools nobody
//! listed put their own prefix before the runner's line: a pod and a
//! container name, a time, a host and `gitlab-runner[PID]:`, a label set.
//! Rather than one parser per tool, one mechanism: walk the line token by
//! token from its start; stop at the first token where a runner line can
//! begin (a level prefix such as `ERROR: `, logrus `time=`/`level=` keys or
//! terminal levels such as `INFO[0000]`, a JSON object, or the head of a
//! message the rules know); everything before it must look like a prefix
//! (times, dates, names, `ident[pid]:`, `[...]`, a `{label="value"}` set).
//! A token that looks like prose (a capitalised word, a URL, a quote) ends
//! the walk: the line is then taken as the runner's own, so `Job failed:
//! ... Checking for jobs... forbidden` stays a job failure.
//!
//! What the prefix says about the line's origin is kept: pod, namespace
//! and container from a label set, or from the two or three names
//! `stern` prints (`[namespace] pod container`), and the time when a token
//! is an RFC 3339 stamp.

use jiff::Timestamp;

use super::prefix::{DateCache, timestamp_cached};

/// How the input's lines are prefixed (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum InputFormat {
    /// Find where the runner's line starts, whatever printed it.
    #[default]
    Auto,
    /// `kubectl logs` (with `--prefix`, `--timestamps`), kubelet files and
    /// `docker logs -t`: nothing but those prefixes is skipped.
    Kubectl,
    /// `stern`: `[namespace] pod container [time] line`.
    Stern,
    /// `logcli query`: `time {labels} line`.
    Logcli,
    /// `journalctl` and syslog files: `time host ident[pid]: line`.
    Journald,
}

/// Longest prefix considered, in bytes.
const MAX_PREFIX: usize = 512;
/// Most tokens in a prefix.
const MAX_TOKENS: usize = 16;

/// A byte range of the text.
pub(super) type Range = (usize, usize);

/// A prefix found before the runner's line.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Found {
    /// Where the runner's line starts.
    pub at: usize,
    /// Pod, namespace and container the prefix names.
    pub pod: Option<Range>,
    pub namespace: Option<Range>,
    pub container: Option<Range>,
    /// The time a prefix token gave.
    pub time: Option<Timestamp>,
    /// journald and syslog: the host, and the process (`gitlab-runner[1234]`)
    /// that wrote the line (a VM's runner has no pod; each process start is
    /// the counterpart of a new pod).
    pub host: Option<Range>,
    pub process: Option<Range>,
}

/// Message heads the built-in rules match (and a few frequent runner
/// messages): a runner line may start with one of them. A unit test in
/// `classify` checks that every built-in rule's literal head is here.
pub const MESSAGE_HEADS: &[&str] = &[
    "Appending trace to coordinator",
    "Added job to processing list",
    "Automatic token rotation",
    "Checking for jobs",
    "Configuration loaded",
    "Created missing unique system ID",
    "Downloading artifacts from coordinator",
    "Error requesting a job",
    "Executor ",
    "Failed to ",
    "GetJob RPC",
    "Job router ",
    "Registering runner",
    "Registration attempt",
    "Removed job from processing list",
    "Resetting runner",
    "Runner \"",
    "Runner configuration other than name",
    "Runner http",
    "Runner registered successfully",
    "Runner token is empty",
    "Running in system-mode",
    "Runtime platform",
    "Service run failed",
    "Starting multi-runner",
    "Submitting job to coordinator",
    "Unregistering runner",
    "Uploading artifacts",
    "Verifying runner",
];

const LEVEL_PREFIXES: [&[u8]; 4] = [b"ERROR: ", b"WARNING: ", b"FATAL: ", b"PANIC: "];

/// logrus' text formatter on a terminal: `INFO[0000] `.
const TERMINAL_LEVELS: [&[u8]; 7] = [
    b"INFO[", b"WARN[", b"ERRO[", b"DEBU[", b"FATA[", b"PANI[", b"TRAC[",
];

/// Whether a runner line can start at `b[0]`.
pub(super) fn is_runner_start(b: &[u8]) -> bool {
    match b.first() {
        Some(b'{') => b.get(1) == Some(&b'"'),
        Some(b't') => b.starts_with(b"time=\""),
        Some(b'l') => b.starts_with(b"level="),
        Some(c) if c.is_ascii_uppercase() => {
            LEVEL_PREFIXES
                .iter()
                .any(|p| p[0] == *c && b.starts_with(p))
                || terminal_level(b).is_some()
                || heads_starting_with(*c)
                    .iter()
                    .any(|h| b.starts_with(h.as_bytes()))
        }
        _ => false,
    }
}

/// The [`MESSAGE_HEADS`] whose first byte is `c` (the table is ordered by
/// first byte: two binary searches instead of a scan of every head).
fn heads_starting_with(c: u8) -> &'static [&'static str] {
    let lo = MESSAGE_HEADS.partition_point(|h| h.as_bytes()[0] < c);
    let hi = MESSAGE_HEADS.partition_point(|h| h.as_bytes()[0] <= c);
    &MESSAGE_HEADS[lo..hi]
}

/// `INFO[0000] ` at the start of `b`: the level's four letters and the
/// length of the whole marker including the space.
pub(super) fn terminal_level(b: &[u8]) -> Option<(&[u8], usize)> {
    if b.get(4) != Some(&b'[') {
        return None; // the common case, decided by one byte
    }
    let head = TERMINAL_LEVELS.iter().find(|p| b.starts_with(p))?;
    let close = head.len() + b[head.len()..].iter().position(|&c| c == b']')?;
    let inner = &b[head.len()..close];
    if inner.is_empty()
        || inner.len() > 24
        || !inner
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b':' | b'.' | b'T' | b'Z' | b'+'))
    {
        return None;
    }
    let end = if b.get(close + 1) == Some(&b' ') {
        close + 2
    } else {
        close + 1
    };
    Some((&head[..4], end))
}

/// What a prefix token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// A time, date or number (`2026-03-02T08:14:03Z`, `08:14:03`, `2`).
    Time,
    /// A month or weekday name.
    Calendar,
    /// A host, pod, container or namespace name.
    Name,
    /// `ident[pid]:` or `ident:`: a syslog tag; ends the names.
    Ident,
    /// `{key="value", ...}`.
    Labels,
    /// `[...]`, `|`, `-` and other punctuation.
    Other,
}

/// Finds the start of the runner's line in `t`; `None` when the line
/// starts with it (or no prefix can be told apart from the line).
pub(super) fn find(t: &str, format: InputFormat, dates: &mut DateCache) -> Option<Found> {
    let b = t.as_bytes();
    if format == InputFormat::Kubectl || is_runner_start(b) {
        return None;
    }
    // Most runner lines begin with a capitalised word (`Job succeeded`):
    // no prefix token looks like that but a month or a weekday name.
    if format == InputFormat::Auto
        && b.len() > 3
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_lowercase()
        && !(b[3] == b' ' && is_calendar(&b[..3]))
    {
        return None;
    }
    let forced = format != InputFormat::Auto;
    let mut found = Found::default();
    let mut names: [Range; 3] = [(0, 0); 3];
    let mut n_names = 0usize;
    let mut names_closed = false;
    let mut i = 0;
    // A time, label set, syslog tag or bracketed group: the text so far is
    // surely another tool's prefix.
    let mut strong = false;
    for _ in 0..MAX_TOKENS {
        let (end, mut kind) = match token(b, i, false) {
            Some(t) => t,
            None => {
                // Prose after a prefix: a runner line whose message no rule
                // knows (`Job succeeded  duration_s=...`). Taken only after
                // a sure prefix (or stern's pod names, or a prefix the user
                // named) and when the rest has the runner format's fields,
                // so that prose with a `403` in it is never cut.
                let stern_names = (2..=3).contains(&n_names)
                    && names[..n_names].iter().all(|&(a, z)| is_k8s_name(&b[a..z]))
                    && b[names[0].0..names[0].1].contains(&b'-');
                let told = forced && (format != InputFormat::Stern || n_names >= 2);
                if i > 0 && (strong || stern_names || told) && has_fields(&b[i..]) {
                    found.at = i;
                    attribute(&mut found, format, names_closed, &names, n_names);
                    return Some(found);
                }
                if !forced {
                    return None;
                }
                token(b, i, true)?
            }
        };
        if format == InputFormat::Stern && kind == Token::Other && b[i] != b'[' {
            kind = Token::Name; // told so: stern's first words are names
        }
        strong |= matches!(kind, Token::Time | Token::Labels | Token::Ident)
            || (kind == Token::Other && matches!(b[i], b'[' | b'|'));
        match kind {
            Token::Name if !names_closed => {
                if n_names < names.len() {
                    names[n_names] = (i, end);
                }
                n_names += 1;
            }
            Token::Ident if !names_closed => {
                names_closed = true;
                if n_names > 0 && n_names <= names.len() {
                    found.host = Some(names[n_names - 1]);
                }
                let end_body = if b[end - 1] == b':' { end - 1 } else { end };
                found.process = Some((i, end_body));
            }
            Token::Labels => labels(t, i, end, &mut found),
            Token::Time if found.time.is_none() && b.get(end) == Some(&b' ') => {
                found.time = timestamp_cached(&b[i..], dates).map(|(ts, _)| ts);
            }
            _ => {}
        }
        i = end;
        while b.get(i) == Some(&b' ') || b.get(i) == Some(&b'\t') {
            i += 1;
        }
        if i >= b.len() || i > MAX_PREFIX {
            return None;
        }
        if is_runner_start(&b[i..]) {
            found.at = i;
            attribute(&mut found, format, names_closed, &names, n_names);
            return Some(found);
        }
    }
    None
}

/// stern's `pod container` or `namespace pod container`, when no label
/// set named the pod and no syslog tag ended the names.
fn attribute(
    found: &mut Found,
    format: InputFormat,
    names_closed: bool,
    names: &[Range; 3],
    n_names: usize,
) {
    if found.pod.is_some() || names_closed || format == InputFormat::Journald {
        return;
    }
    match n_names {
        2 => {
            found.pod = Some(names[0]);
            found.container = Some(names[1]);
        }
        3 => {
            found.namespace = Some(names[0]);
            found.pod = Some(names[1]);
            found.container = Some(names[2]);
        }
        _ => {}
    }
}

/// A Kubernetes object name: lowercase letters, digits, `-` and `.`.
fn is_k8s_name(b: &[u8]) -> bool {
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'.'))
}

/// The runner format's field block: two spaces, then `key=`.
fn has_fields(b: &[u8]) -> bool {
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&b[from..], b"  ") {
        let mut j = from + p;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let key_end = j + b[j..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')))
            .unwrap_or(b.len() - j);
        if key_end > j && b.get(key_end) == Some(&b'=') && b[j].is_ascii_alphabetic() {
            return true;
        }
        if j >= b.len() {
            return false;
        }
        from = j;
    }
    false
}

/// The token starting at `i`: its end and kind; `None` when it does not
/// look like part of a prefix (unless `forced`).
fn token(b: &[u8], i: usize, forced: bool) -> Option<(usize, Token)> {
    let first = *b.get(i)?;
    if first == b'{' {
        return Some((group_end(b, i, b'{', b'}')?, Token::Labels));
    }
    if first == b'[' {
        return Some((group_end(b, i, b'[', b']')?, Token::Other));
    }
    let end = i + b[i..]
        .iter()
        .position(|&c| c == b' ' || c == b'\t')
        .unwrap_or(b.len() - i);
    let tok = &b[i..end];
    if tok == b"|" {
        return Some((end, Token::Other)); // `docker compose logs`: `name  | line`
    }
    if tok.iter().any(u8::is_ascii_digit)
        && tok.iter().all(|c| {
            c.is_ascii_digit() || matches!(c, b'-' | b':' | b'.' | b'T' | b'Z' | b'+' | b',')
        })
    {
        return Some((end, Token::Time));
    }
    if tok.len() == 3 && is_calendar(tok) {
        return Some((end, Token::Calendar));
    }
    // `ident[pid]:` / `ident:`.
    let body = tok.strip_suffix(b":").unwrap_or(tok);
    let (body, pid) = match body.iter().position(|&c| c == b'[') {
        Some(p)
            if body.ends_with(b"]")
                && body[p + 1..body.len() - 1].iter().all(u8::is_ascii_digit) =>
        {
            (&body[..p], true)
        }
        _ => (body, false),
    };
    let ident = pid || body.len() < tok.len();
    if is_name(body) {
        return Some((end, if ident { Token::Ident } else { Token::Name }));
    }
    forced.then_some((end, Token::Other))
}

/// A host, pod, container or namespace name: `[a-z0-9._/-]`, or with
/// capitals when it also has a digit or a separator (a hostname such as
/// `CI-Runner-01`, not a word such as `Job`).
fn is_name(b: &[u8]) -> bool {
    if b.is_empty() || b.len() > 253 || !b[0].is_ascii_alphanumeric() {
        return false;
    }
    let allowed = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'/');
    if !b.iter().all(allowed) {
        return false;
    }
    !b.iter().any(u8::is_ascii_uppercase)
        || b.iter()
            .any(|c| c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'))
}

fn is_calendar(b: &[u8]) -> bool {
    const NAMES: [&[u8]; 19] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun",
    ];
    NAMES.contains(&b)
}

/// The end (after `close`) of a bracketed group starting at `i`, with
/// double-quoted strings (and their escapes) skipped.
fn group_end(b: &[u8], i: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    let mut quoted = false;
    while j < b.len() && j - i <= MAX_PREFIX {
        let c = b[j];
        if quoted {
            match c {
                b'\\' => j += 1,
                b'"' => quoted = false,
                _ => {}
            }
        } else if c == b'"' {
            quoted = true;
        } else if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(j + 1);
            }
        }
        j += 1;
    }
    None
}

/// Reads `pod`, `namespace` and `container` (and the usual aliases) from a
/// `{key="value", ...}` label set.
fn labels(t: &str, start: usize, end: usize, found: &mut Found) {
    let inner_start = start + 1;
    let inner = &t[inner_start..end - 1];
    let mut from = 0;
    while let Some(eq) = inner[from..].find("=\"").map(|p| from + p) {
        let key = inner[from..eq].trim_start_matches([',', ' ']).trim();
        let vstart = eq + 2;
        let Some(vlen) = inner[vstart..].find('"') else {
            return;
        };
        let range = (inner_start + vstart, inner_start + vstart + vlen);
        match key {
            "pod" | "pod_name" | "k8s_pod_name" | "kubernetes_pod_name" => found.pod = Some(range),
            "namespace" | "namespace_name" | "k8s_namespace_name" | "kubernetes_namespace" => {
                found.namespace = Some(range)
            }
            "container" | "container_name" | "k8s_container_name" => found.container = Some(range),
            _ => {}
        }
        from = vstart + vlen + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: &str) -> Option<usize> {
        find(line, InputFormat::Auto, &mut DateCache::default()).map(|f| f.at)
    }

    fn origin(line: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
        let f = find(line, InputFormat::Auto, &mut DateCache::default()).unwrap_or_default();
        let s = |r: Option<Range>| r.map(|(a, b)| &line[a..b]);
        (s(f.namespace), s(f.pod), s(f.container))
    }

    #[test]
    fn message_heads_are_ordered_by_their_first_byte() {
        assert!(
            MESSAGE_HEADS
                .windows(2)
                .all(|w| w[0].as_bytes()[0] <= w[1].as_bytes()[0])
        );
        assert!(heads_starting_with(b'C').contains(&"Checking for jobs"));
        assert!(heads_starting_with(b'x').is_empty());
    }

    #[test]
    fn the_runner_line_itself_has_no_prefix() {
        for line in [
            "Checking for jobs... forbidden  runner=abcdefghi",
            "ERROR: Checking for jobs... forbidden",
            "{\"level\":\"error\",\"msg\":\"x\"}",
            "time=\"2026-03-02T08:14:03Z\" level=error msg=x",
            "INFO[0000] Configuration loaded",
            "Runtime platform    arch=amd64",
            "listen_address not defined, metrics & debug endpoints disabled",
        ] {
            assert_eq!(at(line), None, "{line}");
        }
    }

    #[test]
    fn prefixes_of_many_tools_are_skipped() {
        let cases = [
            (
                "gitlab-runner-7d9c6b5f4-x2x7k gitlab-runner ERROR: Checking",
                44,
            ),
            (
                "ci gitlab-runner-7d9c6b5f4-x2x7k gitlab-runner 2026-03-02T08:00:00.1Z Checking for jobs",
                70,
            ),
            (
                "2026-03-02T08:00:00Z {container=\"gitlab-runner\", pod=\"p-1\"} WARNING: x",
                60,
            ),
            (
                "Mar  2 08:14:03 ci-vm-01 gitlab-runner[1234]: Checking for jobs...",
                46,
            ),
            (
                "2026-03-02T08:14:03+0000 ci-vm-01 gitlab-runner[1234]: ERROR: x",
                55,
            ),
            ("runner-1  | Checking for jobs... received", 12),
            (
                "[2026-03-02 08:14:03] runner: INFO[0001] Configuration loaded",
                30,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(at(line), Some(want), "{line}");
        }
    }

    #[test]
    fn a_message_no_rule_knows_is_found_after_a_sure_prefix() {
        for (line, want) in [
            (
                "p-1 c 2026-03-02T08:00:00Z Job succeeded    duration_s=9.4 job=1 runner=abcdefghi",
                27,
            ),
            (
                "gitlab-runner-7d9c6b5f4-q8r2m gitlab-runner Job succeeded    job=1 runner=abcdefghi",
                44,
            ),
            (
                "Mar  2 08:14:03 vm-1 gitlab-runner[7]: Job succeeded    job=1 runner=abcdefghi",
                39,
            ),
        ] {
            assert_eq!(at(line), Some(want), "{line}");
        }
        for line in [
            // A runner line of its own: no names before it.
            "listen_address not defined, metrics & debug endpoints disabled  builds=0",
            // Prose, not a prefix, before the fields.
            "Job failed: exit code 1: Checking for jobs... forbidden  job=1 runner=abcdefghi",
            // Names that are no pod: no sure prefix.
            "foo bar Job succeeded    job=1 runner=abcdefghi",
            // A sure prefix, but no fields: prose stays whole.
            "2026-03-02T08:00:00Z Job failed: Checking for jobs... forbidden",
        ] {
            assert_eq!(at(line), None, "{line}");
        }
    }

    #[test]
    fn prose_before_a_known_message_is_not_a_prefix() {
        for line in [
            "Job failed: command terminated with exit code 1: Checking for jobs... forbidden",
            "WARNING: Job failed: Checking for jobs... forbidden",
            "$ echo Checking for jobs... forbidden",
            "see https://gitlab.example.com/forbidden/403 Checking for jobs... forbidden",
            "\"quoted\" Checking for jobs... forbidden",
            "build-403 forbidden",
        ] {
            assert_eq!(at(line), None, "{line}");
        }
    }

    #[test]
    fn origin_comes_from_labels_or_stern_names() {
        assert_eq!(
            origin(
                "2026-03-02T08:00:00Z {container=\"gitlab-runner\", namespace=\"ci\", pod=\"p-1\"} Checking for jobs"
            ),
            (Some("ci"), Some("p-1"), Some("gitlab-runner"))
        );
        assert_eq!(
            origin("p-1 gitlab-runner Checking for jobs"),
            (None, Some("p-1"), Some("gitlab-runner"))
        );
        assert_eq!(
            origin("ci p-1 gitlab-runner Checking for jobs"),
            (Some("ci"), Some("p-1"), Some("gitlab-runner"))
        );
        // journald: a host and a syslog tag name no pod, but a process.
        let line = "Mar 02 08:14:03 ci-vm-01 gitlab-runner[1234]: Checking for jobs";
        assert_eq!(origin(line), (None, None, None));
        let f = find(line, InputFormat::Auto, &mut DateCache::default()).unwrap_or_default();
        let s = |r: Option<Range>| r.map(|(a, b)| &line[a..b]);
        assert_eq!(
            (s(f.host), s(f.process)),
            (Some("ci-vm-01"), Some("gitlab-runner[1234]"))
        );
    }

    #[test]
    fn a_forced_format_accepts_prefixes_that_do_not_look_like_one() {
        let line = "Runner-Pod-A Main Checking for jobs... forbidden";
        assert_eq!(at(line), None);
        let f = find(line, InputFormat::Stern, &mut DateCache::default());
        assert_eq!(f.map(|f| f.at), Some(18));
        assert_eq!(
            find(
                "p-1 c Checking",
                InputFormat::Kubectl,
                &mut DateCache::default()
            )
            .map(|f| f.at),
            None
        );
    }

    #[test]
    fn stamps_in_the_prefix_give_the_time() {
        let f = find(
            "p-1 c 2026-03-02T08:00:00.5Z Checking for jobs",
            InputFormat::Auto,
            &mut DateCache::default(),
        )
        .unwrap_or_default();
        assert_eq!(
            f.time.map(|t| t.to_string()),
            Some("2026-03-02T08:00:00.5Z".into())
        );
    }
}
