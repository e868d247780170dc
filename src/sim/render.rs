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
//!
//! It also writes the prefixes and transformations of the tools that print
//! those lines for an operator ([`Tool`]): `kubectl logs`, `stern`, Loki's
//! `logcli query`, `journalctl`, an rsyslog file and `docker logs`. Each
//! item below names the source (and version) it copies.

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

/// A tool that prints runner log lines for an operator, with the options
/// that change its bytes. Every tool here writes times in UTC (a host with
/// `TZ=UTC`, or `--timezone UTC` / `--utc` where the tool has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `kubectl logs` (`--prefix`, `--timestamps`): pod after pod.
    Kubectl {
        /// `--prefix`: `[pod/<pod>/<container>] `.
        prefix: bool,
        /// `--timestamps`: [`kube_prefix`].
        timestamps: bool,
    },
    /// `stern` (github.com/stern/stern v1.34.0, `cmd/cmd.go`
    /// `generateTemplate`, `stern/tail.go` `consumeLine`, `stern/color.go`):
    /// default template `{{color .PodColor .PodName}} {{color
    /// .ContainerColor .ContainerName}} {{.Message}}`, see [`stern_line`].
    /// Only stdout: the `+ <pod> › <container>` / `- ...` lines that stern
    /// prints when it starts or stops following a container go to stderr.
    Stern {
        /// `--color always` (stern colours only a TTY by default, so a
        /// redirected copy has no colours unless this was given).
        colours: bool,
        /// `--timestamps` / `--timestamps=short` (`None`: no stamps).
        timestamps: Option<SternStamp>,
        /// `--all-namespaces` (or several `-n`): the namespace comes first.
        all_namespaces: bool,
    },
    /// `logcli query` with the default output (`-o default`), grafana/loki
    /// v3.7.6 `pkg/logcli/output/default.go`, `pkg/logcli/print/print.go`,
    /// `pkg/loghttp/labels.go`; see [`logcli_line`]. As with a `--limit`
    /// large enough for every line (logcli's default is 30) and
    /// `--timezone=UTC` (its default is the local zone).
    Logcli {
        /// `--include-common-labels`: without it logcli removes the labels
        /// every stream shares (it names them on stderr, `Common labels:
        /// {...}`), so one pod prints as `{}`.
        include_common_labels: bool,
        /// `--forward`: oldest first. logcli's default is backward, newest
        /// line first.
        forward: bool,
        /// A terminal copy: fatih/color paints the stamp blue and the label
        /// set red, and paints nothing when stdout is not a TTY.
        colours: bool,
    },
    /// `journalctl -u gitlab-runner` on a VM where the runner is a systemd
    /// service (its stdout/stderr go to journald); see [`journal_line`].
    Journalctl {
        /// `_HOSTNAME`.
        host: &'static str,
        /// `-o short`, `short-iso`, `short-precise`, `short-iso-precise`.
        format: JournalFormat,
        /// `-a` / `--all`: without it journalctl strips ANSI SGR sequences
        /// and expands tabs.
        all: bool,
        /// systemd's version: 255 and later print the ISO offset as
        /// `+00:00`, earlier ones as `+0000`.
        systemd: u16,
    },
    /// A file written by rsyslog from what journald forwards
    /// (`ForwardToSyslog`, imuxsock); see [`syslog_line`].
    Syslog {
        /// The host name rsyslog writes.
        host: &'static str,
        /// The file template.
        format: SyslogFormat,
    },
    /// `docker logs` (`-t`: [`docker_prefix`]) of one container after
    /// another, with `2>&1` (the runner logs to stderr).
    DockerLogs {
        /// `-t` / `--timestamps`.
        timestamps: bool,
    },
}

/// stern's `--timestamps` formats (stern/stern v1.34.0 `stern/tail.go`;
/// `short` since v1.24.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SternStamp {
    /// `--timestamps` / `--timestamps=default`:
    /// `2006-01-02T15:04:05.000000000Z07:00` (RFC3339 with nine fixed
    /// fraction digits).
    Default,
    /// `--timestamps=short`: `01-02 15:04:05` (no year, no fraction).
    Short,
}

/// `journalctl -o` modes with a syslog-like layout (systemd
/// `src/shared/logs-show.c` `output_timestamp_realtime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFormat {
    /// `short`: `%b %d %H:%M:%S` (`Mar 02 08:14:03`, day zero-padded).
    Short,
    /// `short-iso`: `%Y-%m-%dT%H:%M:%S` and the offset.
    ShortIso,
    /// `short-precise`: `short` and `.%06u` microseconds.
    ShortPrecise,
    /// `short-iso-precise`: `short-iso` with microseconds before the offset.
    ShortIsoPrecise,
}

/// rsyslog file templates (rsyslog 8.2302 built-ins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogFormat {
    /// `RSYSLOG_TraditionalFileFormat` (`$ActionFileDefaultTemplate` in
    /// Ubuntu's `/etc/rsyslog.conf`): `Mar  2 08:14:03`, day space-padded,
    /// no fraction.
    Traditional,
    /// `RSYSLOG_FileFormat` (rsyslog's default, Debian 12's
    /// configuration): `2026-03-02T08:14:03.512093+00:00`.
    Precise,
}

/// The syslog identifier of the runner's service (journald takes it from
/// the process name).
pub const RUNNER_IDENTIFIER: &str = "gitlab-runner";

/// `docker logs -t`: moby `daemon/server/httputils/write_log_stream.go`
/// prepends `msg.Timestamp.Format(jsonmessage.RFC3339NanoFixed) + " "`,
/// `RFC3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"`; the
/// json-file driver keeps UTC, so the same bytes as [`kube_prefix`].
pub fn docker_prefix(t: Timestamp) -> String {
    kube_prefix(t)
}

/// stern's colour pairs (stern/stern v1.34.0 `stern/color.go`
/// `colorList`): pod colour (bright) and container colour (normal) of one
/// hue, as fatih/color v1.19.0 writes them (`ESC[<n>m`).
const STERN_COLOURS: [(&str, &str); 6] = [
    ("\x1b[96m", "\x1b[36m"), // FgHiCyan, FgCyan
    ("\x1b[92m", "\x1b[32m"), // FgHiGreen, FgGreen
    ("\x1b[95m", "\x1b[35m"), // FgHiMagenta, FgMagenta
    ("\x1b[93m", "\x1b[33m"), // FgHiYellow, FgYellow
    ("\x1b[94m", "\x1b[34m"), // FgHiBlue, FgBlue
    ("\x1b[91m", "\x1b[31m"), // FgHiRed, FgRed
];

/// fatih/color's reset after a foreground colour (`unformat`: `ESC[0m`).
pub const FATIH_RESET: &str = "\x1b[0m";

/// Go's `hash/fnv` `New32` (FNV-1, 32 bits: multiply, then xor).
fn fnv1_32(s: &str) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for b in s.bytes() {
        h = h.wrapping_mul(16_777_619);
        h ^= u32::from(b);
    }
    h
}

/// The colours stern gives a pod and its containers (`determineColor`
/// without `--diff-container`: both from `fnv32(pod) % 6`).
pub fn stern_colours(pod: &str) -> (&'static str, &'static str) {
    STERN_COLOURS[(fnv1_32(pod) % STERN_COLOURS.len() as u32) as usize]
}

/// One line as stern prints it, with its `\n`: `[<namespace> ]<pod>
/// <container> [<stamp> ]<line>`. stern splits the kubelet's stamp off the
/// line and, with `--timestamps`, reformats it in front of the message
/// (`content = updatedTs + " " + content`); the namespace (with
/// `--all-namespaces`) takes the pod's colour.
pub fn stern_line(
    namespace: Option<&str>,
    pod: &str,
    container: &str,
    stamp: Option<(Timestamp, SternStamp)>,
    colours: bool,
    text: &str,
) -> String {
    let (pc, cc) = stern_colours(pod);
    let paint = |c: &str, s: &str| {
        if colours {
            format!("{c}{s}{FATIH_RESET}")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::with_capacity(text.len() + 96);
    if let Some(ns) = namespace {
        out.push_str(&paint(pc, ns));
        out.push(' ');
    }
    out.push_str(&paint(pc, pod));
    out.push(' ');
    out.push_str(&paint(cc, container));
    out.push(' ');
    match stamp {
        Some((t, SternStamp::Default)) => out.push_str(&kube_prefix(t)),
        Some((t, SternStamp::Short)) => {
            let _ = write!(out, "{} ", t.strftime("%m-%d %H:%M:%S"));
        }
        None => {}
    }
    out.push_str(text);
    out.push('\n');
    out
}

/// A Loki label set as `loghttp.LabelSet.String()` writes it: keys sorted,
/// `, ` between pairs, values quoted with Go's `strconv.Quote`.
pub fn loki_labels(labels: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = labels.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::from("{");
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push('=');
        go_quote(&mut out, v);
    }
    out.push('}');
    out
}

/// One line of `logcli query -o default`, with its `\n`
/// (`DefaultOutput.FormatAndPrintln`): the entry's time as `time.RFC3339`
/// (whole seconds), the label set right-padded with spaces to the longest
/// label set of the result (`padLabel`, byte lengths), then the line with
/// `strings.TrimSpace` applied, so the runner's trailing space goes. With
/// `colours` (a TTY) the stamp is `color.BlueString` and the labels
/// `color.RedString`.
pub fn logcli_line(
    t: Timestamp,
    labels: &str,
    max_labels_len: usize,
    colours: bool,
    line: &str,
) -> String {
    let stamp = format!("{}Z", t.strftime("%Y-%m-%dT%H:%M:%S"));
    let mut padded = labels.to_owned();
    for _ in labels.len()..max_labels_len {
        padded.push(' ');
    }
    let line = line.trim();
    if colours {
        format!("\x1b[34m{stamp}{FATIH_RESET} \x1b[31m{padded}{FATIH_RESET} {line}\n")
    } else {
        format!("{stamp} {padded} {line}\n")
    }
}

/// What journald stores as `MESSAGE=` for one line a service wrote to its
/// stdout/stderr stream (systemd `src/journal/journald-stream.c`
/// `stdout_stream_line`: `strstrip()` cuts trailing whitespace in place,
/// leading whitespace stays; `stdout_stream_log` drops an empty line).
pub fn journald_message(line: &str) -> Option<&str> {
    let m = line.trim_end_matches([' ', '\t', '\n', '\r']);
    if m.is_empty() { None } else { Some(m) }
}

/// systemd's `strip_tab_ansi()` as in v252: SGR sequences (`ESC [` digits
/// and `;` up to `m`) removed, a tab becomes eight spaces; anything else
/// (an unterminated or other escape) is kept.
pub fn strip_tab_ansi(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b if b.get(i + 1) == Some(&b'[') => {
                let mut j = i + 2;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b';') {
                    j += 1;
                }
                if b.get(j) == Some(&b'm') {
                    i = j + 1;
                } else {
                    out.extend_from_slice(b"\x1b[");
                    i += 2;
                }
            }
            b'\t' => {
                out.extend_from_slice(b"        ");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// systemd's `utf8_is_printable()` (newline and tab allowed; C0 controls,
/// DEL and C1 controls not).
fn journal_printable(s: &str) -> bool {
    s.chars().all(|c| {
        let v = c as u32;
        !((v < 0x20 && c != '\n' && c != '\t') || (0x7f..=0x9f).contains(&v))
    })
}

/// systemd's `FORMAT_BYTES()` (base 1024, one decimal above 1 KiB).
fn format_bytes(n: usize) -> String {
    const UNITS: [(&str, usize); 3] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];
    for (suffix, factor) in UNITS {
        if n >= factor {
            return format!("{}.{}{suffix}", n / factor, (n * 10 / factor) % 10);
        }
    }
    format!("{n}B")
}

/// The realtime stamp of a `journalctl -o short*` line (systemd
/// `src/shared/logs-show.c` `output_timestamp_realtime`; microseconds,
/// truncated). In UTC the offset is `+0000` (`%z`) up to systemd 254 and
/// `+00:00` from 255 on (systemd PR #29134).
pub fn journal_stamp(t: Timestamp, format: JournalFormat, systemd: u16) -> String {
    let micros = t.subsec_nanosecond() / 1_000;
    let offset = if systemd >= 255 { "+00:00" } else { "+0000" };
    match format {
        JournalFormat::Short => t.strftime("%b %d %H:%M:%S").to_string(),
        JournalFormat::ShortPrecise => format!("{}.{micros:06}", t.strftime("%b %d %H:%M:%S")),
        JournalFormat::ShortIso => format!("{}{offset}", t.strftime("%Y-%m-%dT%H:%M:%S")),
        JournalFormat::ShortIsoPrecise => {
            format!("{}.{micros:06}{offset}", t.strftime("%Y-%m-%dT%H:%M:%S"))
        }
    }
}

/// One line of `journalctl -o short*` for a stored message, with its `\n`
/// (systemd `output_short`, checked against journalctl 252 on Debian 12):
/// `<stamp> <host> <identifier>[<pid>]: <message>`. Without `all` the
/// message goes through [`strip_tab_ansi`] and, if it still holds a control
/// character, prints as `[<size> blob data]`.
pub fn journal_line(
    t: Timestamp,
    format: JournalFormat,
    systemd: u16,
    host: &str,
    pid: u32,
    all: bool,
    message: &str,
) -> String {
    let shown = if all {
        message.to_owned()
    } else {
        let stripped = strip_tab_ansi(message);
        if journal_printable(&stripped) {
            stripped
        } else {
            format!("[{} blob data]", format_bytes(stripped.len()))
        }
    };
    format!(
        "{} {host} {RUNNER_IDENTIFIER}[{pid}]: {shown}\n",
        journal_stamp(t, format, systemd)
    )
}

/// rsyslog's control-character escaping on receive
/// (`$EscapeControlCharactersOnReceive on`, prefix `#`, three octal
/// digits): ESC becomes `#033`, a tab `#011`.
pub fn rsyslog_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if (c as u32) < 0x20 || c as u32 == 0x7f {
            let _ = write!(out, "#{:03o}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// One line of an rsyslog file for a message journald forwarded, with its
/// `\n`: `<stamp> <host> <identifier>[<pid>]: <escaped message>`. imuxsock
/// stamps the time of receipt (it ignores the sender's stamp); checked
/// against rsyslogd 8.2302.0 (Debian 12) fed the datagrams journald sends.
pub fn syslog_line(
    t: Timestamp,
    format: SyslogFormat,
    host: &str,
    pid: u32,
    message: &str,
) -> String {
    let stamp = match format {
        SyslogFormat::Traditional => t.strftime("%b %e %H:%M:%S").to_string(),
        SyslogFormat::Precise => format!(
            "{}.{:06}+00:00",
            t.strftime("%Y-%m-%dT%H:%M:%S"),
            t.subsec_nanosecond() / 1_000
        ),
    };
    format!(
        "{stamp} {host} {RUNNER_IDENTIFIER}[{pid}]: {}\n",
        rsyslog_escape(message)
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
    fn stern_colours_hash_the_pod_name_like_go_fnv32() {
        // Go: fnv.New32().Write([]byte("a")) -> 0x050c5d7e; of "" -> offset.
        assert_eq!(fnv1_32(""), 0x811c_9dc5);
        assert_eq!(fnv1_32("a"), 0x050c_5d7e);
        let (pod, container) = stern_colours("gitlab-runner-7d9c6b5f4-x2x7k");
        let i = (fnv1_32("gitlab-runner-7d9c6b5f4-x2x7k") % 6) as usize;
        assert_eq!((pod, container), STERN_COLOURS[i]);
    }

    #[test]
    fn stern_lines_follow_the_default_template() {
        let t: Timestamp = "2026-03-02T08:14:03.5Z".parse().unwrap();
        let (pc, cc) = stern_colours("p-1");
        assert_eq!(
            stern_line(
                None,
                "p-1",
                "c",
                Some((t, SternStamp::Default)),
                true,
                "msg "
            ),
            format!("{pc}p-1\x1b[0m {cc}c\x1b[0m 2026-03-02T08:14:03.500000000Z msg \n")
        );
        assert_eq!(
            stern_line(
                Some("ci"),
                "p-1",
                "c",
                Some((t, SternStamp::Short)),
                false,
                "msg"
            ),
            "ci p-1 c 03-02 08:14:03 msg\n"
        );
        assert_eq!(
            stern_line(Some("ci"), "p-1", "c", None, true, "m"),
            format!("{pc}ci\x1b[0m {pc}p-1\x1b[0m {cc}c\x1b[0m m\n")
        );
    }

    #[test]
    fn logcli_pads_labels_and_trims_the_line() {
        let t: Timestamp = "2026-03-02T08:14:03.999Z".parse().unwrap();
        let l = loki_labels(&[
            ("pod", "p"),
            ("container", "gitlab-runner"),
            ("namespace", "ci"),
        ]);
        assert_eq!(
            l,
            "{container=\"gitlab-runner\", namespace=\"ci\", pod=\"p\"}"
        );
        assert_eq!(
            logcli_line(t, "{}", 4, false, "Running   \x1b[0;m "),
            "2026-03-02T08:14:03Z {}   Running   \x1b[0;m\n"
        );
        assert_eq!(
            logcli_line(t, "{}", 2, true, "x"),
            "\x1b[34m2026-03-02T08:14:03Z\x1b[0m \x1b[31m{}\x1b[0m x\n"
        );
    }

    #[test]
    fn journal_lines_match_journalctl_252() {
        // Bytes from journalctl 252 (Debian 12) over a journal holding the
        // same MESSAGE= values, TZ=UTC.
        let t: Timestamp = "2026-03-02T08:00:00.512093771Z".parse().unwrap();
        let warn = "\x1b[0;33mWARNING: Running in user-mode.                     \x1b[0;m";
        assert_eq!(
            journal_line(t, JournalFormat::Short, 252, "h", 1234, false, warn),
            "Mar 02 08:00:00 h gitlab-runner[1234]: WARNING: Running in user-mode.                     \n"
        );
        assert_eq!(
            journal_line(t, JournalFormat::ShortIso, 252, "h", 1234, true, warn),
            format!("2026-03-02T08:00:00+0000 h gitlab-runner[1234]: {warn}\n")
        );
        assert_eq!(
            journal_line(
                t,
                JournalFormat::ShortPrecise,
                252,
                "h",
                1,
                false,
                "\x1b[0;m"
            ),
            "Mar 02 08:00:00.512093 h gitlab-runner[1]: \n"
        );
        assert_eq!(
            journal_line(
                t,
                JournalFormat::ShortIsoPrecise,
                255,
                "h",
                1,
                false,
                "  a\tb"
            ),
            "2026-03-02T08:00:00.512093+00:00 h gitlab-runner[1]:   a        b\n"
        );
        assert_eq!(
            journal_line(t, JournalFormat::Short, 252, "h", 1, false, "a\x07b"),
            "Mar 02 08:00:00 h gitlab-runner[1]: [3B blob data]\n"
        );
        assert_eq!(journald_message("x  \x1b[0;m  "), Some("x  \x1b[0;m"));
        assert_eq!(journald_message("  "), None);
        assert_eq!(strip_tab_ansi("\x1b[31;1mE\x1b[0;m \x1b]x"), "E \x1b]x");
    }

    #[test]
    fn syslog_lines_match_rsyslog_8_2302() {
        // Bytes from rsyslogd 8.2302.0 fed journald's forwarded datagrams.
        let t: Timestamp = "2026-03-02T08:00:00.079948123Z".parse().unwrap();
        assert_eq!(
            syslog_line(
                t,
                SyslogFormat::Traditional,
                "vm",
                1234,
                "\x1b[0;33mW\x1b[0;m"
            ),
            "Mar  2 08:00:00 vm gitlab-runner[1234]: #033[0;33mW#033[0;m\n"
        );
        assert_eq!(
            syslog_line(t, SyslogFormat::Precise, "vm", 1234, "  leading\ttab"),
            "2026-03-02T08:00:00.079948+00:00 vm gitlab-runner[1234]:   leading#011tab\n"
        );
    }

    #[test]
    fn kube_prefix_has_nine_fraction_digits() {
        let t: Timestamp = "2026-03-02T08:14:03.5Z".parse().unwrap();
        assert_eq!(kube_prefix(t), "2026-03-02T08:14:03.500000000Z ");
    }
}
