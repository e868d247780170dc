//! Writes log entries byte for byte as gitlab-runner does, in its three
//! formats, so that simulated pods, example logs and tests exercise the
//! parser with the real thing.
//!
//! * `runner` (`log/runner_formatter.go`): colour + level prefix, message
//!   right-padded to `50 - len(prefix)` code points, reset, one space, then
//!   per sorted key ` <colour>key<reset>=value`, values raw (`%v`).
//!   Reset is `\x1b[0;m`. Without colours (a stripped copy) the colour and
//!   reset bytes are simply absent.
//! * `text`: logrus `TextFormatter` without a TTY: `time="..." level=...
//!   msg=... k=v`, fields sorted, Go quoting for values that need it.
//! * `json`: logrus `JSONFormatter`: keys sorted, HTML-escaped, durations as
//!   integer nanoseconds.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;

use crate::event::Level;

/// The runner's reset sequence.
pub const RESET: &str = "\x1b[0;m";

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The default format; `colours: false` is a copy with ANSI stripped.
    Runner {
        /// Keep the colour codes (true in real pods).
        colours: bool,
    },
    /// logrus text.
    Text,
    /// logrus JSON.
    Json,
}

/// A field value, typed as the runner logs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (or an error, which logrus writes as its message).
    Str(String),
    /// An integer (job ids, counters, HTTP codes).
    Int(i64),
    /// A `time.Duration`.
    Dur(Duration),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<Duration> for Value {
    fn from(d: Duration) -> Value {
        Value::Dur(d)
    }
}

/// One log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Level.
    pub level: Level,
    /// Message (may end in `\n`, as some runner messages do).
    pub message: String,
    /// Fields in any order; formats sort them.
    pub fields: Vec<(String, Value)>,
    /// The time logrus stamps on text and JSON entries.
    pub time: Timestamp,
}

impl Entry {
    /// An entry without fields at the Unix epoch.
    pub fn new(level: Level, message: impl Into<String>) -> Entry {
        Entry {
            level,
            message: message.into(),
            fields: Vec::new(),
            time: Timestamp::UNIX_EPOCH,
        }
    }

    /// Adds a field.
    pub fn field(mut self, key: &str, value: impl Into<Value>) -> Entry {
        self.fields.push((key.to_owned(), value.into()));
        self
    }

    /// Sets the time.
    pub fn at(mut self, time: Timestamp) -> Entry {
        self.time = time;
        self
    }

    fn sorted_fields(&self) -> Vec<&(String, Value)> {
        let mut f: Vec<&(String, Value)> = self.fields.iter().collect();
        f.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        f
    }
}

/// Renders an entry, including its final `\n`.
pub fn render(e: &Entry, style: Style) -> String {
    match style {
        Style::Runner { colours } => runner(e, colours),
        Style::Text => text(e),
        Style::Json => json(e),
    }
}

/// The kubelet's `timestamps=true` prefix: RFC3339 with exactly nine
/// fractional digits, then one space.
pub fn kube_prefix(t: Timestamp) -> String {
    format!(
        "{}.{:09}Z ",
        t.strftime("%Y-%m-%dT%H:%M:%S"),
        t.subsec_nanosecond()
    )
}

fn colour(level: Level) -> &'static str {
    match level {
        Level::Panic | Level::Fatal | Level::Error => "\x1b[31;1m",
        Level::Warning => "\x1b[0;33m",
        Level::Debug => "\x1b[37;1m",
        _ => "",
    }
}

fn prefix(level: Level) -> &'static str {
    match level {
        Level::Panic => "PANIC: ",
        Level::Fatal => "FATAL: ",
        Level::Error => "ERROR: ",
        Level::Warning => "WARNING: ",
        _ => "",
    }
}

fn runner(e: &Entry, colours: bool) -> String {
    let (c, reset) = if colours {
        (colour(e.level), RESET)
    } else {
        ("", "")
    };
    let p = prefix(e.level);
    let width = 50 - p.len();
    let mut out = String::with_capacity(160);
    out.push_str(c);
    out.push_str(p);
    out.push_str(&e.message);
    for _ in e.message.chars().count()..width {
        out.push(' ');
    }
    out.push_str(reset);
    out.push(' ');
    for (k, v) in e.sorted_fields() {
        let _ = write!(out, " {c}{k}{reset}=");
        match v {
            Value::Str(s) => out.push_str(s),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Dur(d) => out.push_str(&go_duration(*d)),
        }
    }
    out.push('\n');
    out
}

fn text(e: &Entry) -> String {
    let mut out = String::with_capacity(200);
    let _ = write!(out, "time=\"{}\" level={}", e.time, e.level.as_str());
    if !e.message.is_empty() {
        out.push_str(" msg=");
        push_logfmt_value(&mut out, &e.message);
    }
    for (k, v) in e.sorted_fields() {
        let _ = write!(out, " {k}=");
        match v {
            Value::Str(s) => push_logfmt_value(&mut out, s),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Dur(d) => push_logfmt_value(&mut out, &go_duration(*d)),
        }
    }
    out.push('\n');
    out
}

/// logrus `needsQuoting`: bare only for `[A-Za-z0-9-._/@^+]`; empty strings
/// stay bare.
fn push_logfmt_value(out: &mut String, s: &str) {
    let bare = s.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/' | b'@' | b'^' | b'+')
    });
    if bare {
        out.push_str(s);
    } else {
        go_quote(out, s);
    }
}

/// Go's `strconv.Quote` (as `%q`).
fn go_quote(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json(e: &Entry) -> String {
    let mut pairs: Vec<(String, serde_json::Value)> = e
        .fields
        .iter()
        .map(|(k, v)| {
            // logrus renames data fields that clash with its own keys.
            let k = if matches!(k.as_str(), "time" | "msg" | "level" | "logrus_error") {
                format!("fields.{k}")
            } else {
                k.clone()
            };
            let v = match v {
                Value::Str(s) => serde_json::Value::from(s.as_str()),
                Value::Int(n) => serde_json::Value::from(*n),
                Value::Dur(d) => serde_json::Value::from(d.as_nanos() as u64),
            };
            (k, v)
        })
        .collect();
    pairs.push(("level".into(), e.level.as_str().into()));
    pairs.push(("msg".into(), e.message.as_str().into()));
    pairs.push(("time".into(), e.time.to_string().into()));
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&html_escape(
            &serde_json::Value::from(k.as_str()).to_string(),
        ));
        out.push(':');
        out.push_str(&html_escape(&v.to_string()));
    }
    out.push_str("}\n");
    out
}

/// Go's `json.Encoder` escapes `<`, `>` and `&` by default.
fn html_escape(s: &str) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Go's `time.Duration.String()`.
pub fn go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".into();
    }
    if ns < 1_000 {
        return format!("{ns}ns");
    }
    if ns < 1_000_000 {
        return format!("{}µs", trim_frac(ns as f64 / 1e3));
    }
    if ns < 1_000_000_000 {
        return format!("{}ms", trim_frac(ns as f64 / 1e6));
    }
    let secs = d.as_secs();
    let frac = d.subsec_nanos();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let s_text = if frac == 0 {
        format!("{s}")
    } else {
        let f = format!("{frac:09}");
        format!("{s}.{}", f.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => format!("{s_text}s"),
        (0, m) => format!("{m}m{s_text}s"),
        (h, m) => format!("{h}h{m}m{s_text}s"),
    }
}

fn trim_frac(v: f64) -> String {
    let s = format!("{v:.9}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_format_matches_the_reference_bytes() {
        let e = Entry::new(Level::Error, "Checking for jobs... forbidden")
            .field("runner", "xJ8kP2mQa")
            .field("correlation_id", "01JCQ8ZK4W7Y3V9N2B5M6T1R0X")
            .field(
                "status",
                "POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
            )
            .field("runner_name", "gitlab-runner-6c8d9f7b5-qz4tn");
        assert_eq!(
            render(&e, Style::Runner { colours: true }),
            "\x1b[31;1mERROR: Checking for jobs... forbidden             \x1b[0;m  \x1b[31;1mcorrelation_id\x1b[0;m=01JCQ8ZK4W7Y3V9N2B5M6T1R0X \x1b[31;1mrunner\x1b[0;m=xJ8kP2mQa \x1b[31;1mrunner_name\x1b[0;m=gitlab-runner-6c8d9f7b5-qz4tn \x1b[31;1mstatus\x1b[0;m=POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden\n"
        );
        let w = Entry::new(Level::Warning, "Running in user-mode.");
        assert_eq!(
            render(&w, Style::Runner { colours: false }),
            format!("WARNING: Running in user-mode.{}\n", " ".repeat(21))
        );
    }

    #[test]
    fn text_format_quotes_like_logrus() {
        let t: Timestamp = "2026-03-02T08:14:03.512093771Z".parse().unwrap();
        let e = Entry::new(Level::Error, "Checking for jobs... forbidden")
            .field("runner", "xJ8kP2mQa")
            .field(
                "status",
                "POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
            )
            .at(t);
        assert_eq!(
            render(&e, Style::Text),
            "time=\"2026-03-02T08:14:03.512093771Z\" level=error msg=\"Checking for jobs... forbidden\" runner=xJ8kP2mQa status=\"POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden\"\n"
        );
        let t0: Timestamp = "2025-04-01T10:00:00Z".parse().unwrap();
        let c = Entry::new(Level::Info, "Configuration loaded")
            .field("builds", 0)
            .at(t0);
        assert_eq!(
            render(&c, Style::Text),
            "time=\"2025-04-01T10:00:00Z\" level=info msg=\"Configuration loaded\" builds=0\n"
        );
    }

    #[test]
    fn json_format_sorts_escapes_and_uses_nanoseconds() {
        let t: Timestamp = "2026-03-02T08:14:03.512093771Z".parse().unwrap();
        let e = Entry::new(Level::Error, "Runner \"https://gitlab.example.comxJ8kP2mQa\" is unhealthy and will be disabled for 1h0m0s seconds!")
            .field("unhealthy_requests", 3)
            .field("unhealthy_requests_limit", 3)
            .field("unhealthy_interval", Duration::from_secs(3600))
            .at(t);
        assert_eq!(
            render(&e, Style::Json),
            "{\"level\":\"error\",\"msg\":\"Runner \\\"https://gitlab.example.comxJ8kP2mQa\\\" is unhealthy and will be disabled for 1h0m0s seconds!\",\"time\":\"2026-03-02T08:14:03.512093771Z\",\"unhealthy_interval\":3600000000000,\"unhealthy_requests\":3,\"unhealthy_requests_limit\":3}\n"
        );
        let amp = Entry::new(Level::Info, "metrics & debug endpoints disabled");
        assert!(render(&amp, Style::Json).contains("metrics \\u0026 debug"));
    }

    #[test]
    fn go_durations_print_like_go() {
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(go_duration(Duration::from_secs(3)), "3s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
    }

    #[test]
    fn kube_prefix_has_nine_fraction_digits() {
        let t: Timestamp = "2026-03-02T08:14:03.5Z".parse().unwrap();
        assert_eq!(kube_prefix(t), "2026-03-02T08:14:03.500000000Z ");
    }
}
