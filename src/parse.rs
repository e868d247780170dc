//! Raw line bytes to a [`Parsed`] line: prefixes removed, format detected,
//! level, message and fields split out. Pure and allocation-free in steady
//! state: a [`Parser`] owns the scratch buffers a [`Parsed`] borrows.
//!
//! Order of work (each step optional): the `kubectl logs --prefix` tag, the
//! Kubernetes timestamp (`timestamps=true`), the tag again (some tools put
//! it after the stamp), the CRI file tag, lossy UTF-8 decoding, ANSI
//! removal, then per-line format detection, because one pod log mixes
//! formats (registration lines are always in the runner format).
//!
//! It never classifies; see `classify`. It never panics, whatever the bytes
//! (a property test feeds it arbitrary input).

mod ansi;
mod formats;
pub mod prefix;
mod start;

pub use start::{InputFormat, MESSAGE_HEADS};

use std::borrow::Cow;

use jiff::Timestamp;

use crate::event::{Format, Level};

/// Text range inside one of the parser's two buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: u32,
    end: u32,
    /// In the `extra` buffer (unescaped values) rather than `text`.
    extra: bool,
}

impl Span {
    fn text(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
            extra: false,
        }
    }
}

/// Field keys looked up on most lines; their positions are found once.
const KNOWN_KEYS: [&str; 7] = [
    "runner",
    "status",
    "code",
    "job",
    "runner_name",
    "error",
    "responseStatus",
];

/// Position of `key` in [`KNOWN_KEYS`] (a `match` compiles to length
/// checks and short compares).
fn known_index(key: &str) -> Option<usize> {
    match key {
        "runner" => Some(0),
        "status" => Some(1),
        "code" => Some(2),
        "job" => Some(3),
        "runner_name" => Some(4),
        "error" => Some(5),
        "responseStatus" => Some(6),
        _ => None,
    }
}

/// No field with that key.
const ABSENT: u8 = u8::MAX;

/// Reusable parsing state; one per stream or task.
#[derive(Debug, Default)]
pub struct Parser {
    /// The decoded, ANSI-free line content after the prefixes.
    text: String,
    /// Unescaped JSON and logfmt strings.
    extra: String,
    fields: Vec<(Span, Span)>,
    known: [u8; KNOWN_KEYS.len()],
    marks: ansi::Marks,
    dates: prefix::DateCache,
    /// How lines are prefixed.
    format: InputFormat,
    /// Pod, namespace and container names read from another tool's prefix.
    names: String,
}

/// One parsed line, borrowing the parser and the raw bytes.
#[derive(Debug, Clone)]
pub struct Parsed<'a> {
    /// The Kubernetes timestamp prefix, when present.
    pub timestamp: Option<Timestamp>,
    /// The runner's own `time` field (text and JSON formats).
    pub logged_at: Option<Timestamp>,
    /// Pod from a `kubectl logs --prefix` tag.
    pub pod: Option<&'a str>,
    /// Container from a `kubectl logs --prefix` tag.
    pub container: Option<&'a str>,
    /// Namespace, when the line's prefix names one (`logcli` labels,
    /// `stern --all-namespaces`).
    pub namespace: Option<&'a str>,
    /// Host and process of a journald or syslog prefix (`ci-vm-01`,
    /// `gitlab-runner[1234]`).
    pub host: Option<&'a str>,
    /// See [`Parsed::host`].
    pub process: Option<&'a str>,
    /// A CRI partial record (`P`): the line continues in the next record.
    pub partial: bool,
    /// The line was longer than the cap and was cut.
    pub truncated: bool,
    /// The line was not valid UTF-8 (bad bytes became U+FFFD).
    pub invalid_utf8: bool,
    /// Detected format.
    pub format: Format,
    /// Level as stated by the line.
    pub level: Level,
    /// The message: without level prefix, padding and fields.
    pub message: &'a str,
    text: &'a str,
    extra: &'a str,
    fields: &'a [(Span, Span)],
    known: [u8; KNOWN_KEYS.len()],
}

impl<'a> Parsed<'a> {
    fn resolve(&self, s: Span) -> &'a str {
        let src = if s.extra { self.extra } else { self.text };
        src.get(s.start as usize..s.end as usize).unwrap_or("")
    }

    /// The value of field `key` (first occurrence).
    pub fn field(&self, key: &str) -> Option<&'a str> {
        if let Some(k) = known_index(key) {
            let i = self.known[k];
            return (i != ABSENT).then(|| self.resolve(self.fields[usize::from(i)].1));
        }
        self.fields
            .iter()
            .find(|(k, _)| self.resolve(*k) == key)
            .map(|(_, v)| self.resolve(*v))
    }

    /// All fields in line order.
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.fields
            .iter()
            .map(|(k, v)| (self.resolve(*k), self.resolve(*v)))
    }

    /// The whole line content after prefixes, without ANSI sequences.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The best known time of the line: the Kubernetes stamp, else the
    /// runner's own `time` field.
    pub fn time(&self) -> Option<Timestamp> {
        self.timestamp.or(self.logged_at)
    }
}

impl Parser {
    /// A parser with empty buffers.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// A parser for lines prefixed as `format` says.
    pub fn with_format(format: InputFormat) -> Parser {
        Parser {
            format,
            ..Parser::default()
        }
    }

    /// Parses one line (without its newline). `truncated` is passed through
    /// from the splitter.
    pub fn parse<'a>(&'a mut self, raw: &'a [u8], truncated: bool) -> Parsed<'a> {
        let mut rest = raw;
        let mut consumed = 0;
        let mut tag = None;
        let mut timestamp = None;
        let mut partial = false;
        if let Some((t, n)) = prefix::kubectl_tag(rest) {
            tag = Some(t);
            rest = &rest[n..];
            consumed = n;
        }
        if let Some((ts, n)) = prefix::timestamp_cached(rest, &mut self.dates) {
            timestamp = Some(ts);
            rest = &rest[n..];
            consumed += n;
            if tag.is_none()
                && let Some((t, n)) = prefix::kubectl_tag(rest)
            {
                tag = Some(shift(t, consumed));
                rest = &rest[n..];
            }
            if let Some((p, n)) = prefix::cri_tag(rest) {
                partial = p;
                rest = &rest[n..];
            }
        }
        self.text.clear();
        self.extra.clear();
        self.fields.clear();
        // SIMD validation; the lossy decoder only runs for the rare invalid
        // line.
        let decoded: Cow<'_, str> = match simdutf8::basic::from_utf8(rest) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(rest),
        };
        let invalid_utf8 = matches!(decoded, Cow::Owned(_));
        ansi::strip(&decoded, &mut self.text, &mut self.marks);
        // Another tool's prefix (stern, logcli, journald, ...): the runner's
        // line starts later; read what the prefix says, then strip again
        // from there so that the colour landmarks are the runner's.
        let mut named = [None; 5];
        if let Some(found) = start::find(&self.text, self.format, &mut self.dates) {
            self.names.clear();
            for (slot, range) in named.iter_mut().zip([
                found.pod,
                found.namespace,
                found.container,
                found.host,
                found.process,
            ]) {
                if let Some((a, b)) = range {
                    let from = self.names.len();
                    self.names.push_str(&self.text[a..b]);
                    *slot = Some((from, self.names.len()));
                }
            }
            if timestamp.is_none() {
                timestamp = found.time;
            }
            let off = if self.marks.had_escape {
                ansi::input_pos(&decoded, found.at)
            } else {
                found.at
            };
            self.text.clear();
            ansi::strip(
                decoded.get(off..).unwrap_or(""),
                &mut self.text,
                &mut self.marks,
            );
        }
        let names: &'a str = &self.names;
        let name = |r: Option<(usize, usize)>| r.and_then(|(a, b)| names.get(a..b));
        let (pod, container) = match tag {
            Some(t) => (
                std::str::from_utf8(&raw[t.pod.0..t.pod.1]).ok(),
                std::str::from_utf8(&raw[t.container.0..t.container.1]).ok(),
            ),
            None => (name(named[0]), name(named[2])),
        };
        let namespace = name(named[1]);
        let (host, process) = (name(named[3]), name(named[4]));
        // Trailing CR (CRLF input that reached us unsplit) and the trailing
        // newline of messages that end in `\n` carry no meaning.
        let trimmed_len = self.text.trim_end_matches(['\r', '\n']).len();
        self.text.truncate(trimmed_len);

        let out = formats::detect(&self.text, &mut self.extra, &mut self.fields, &self.marks);
        self.known = [ABSENT; KNOWN_KEYS.len()];
        for (i, (k, _)) in self.fields.iter().enumerate().take(usize::from(ABSENT)) {
            let key = resolve(&self.text, &self.extra, *k);
            if let Some(slot) = known_index(key)
                && self.known[slot] == ABSENT
            {
                self.known[slot] = i as u8;
            }
        }
        let text: &'a str = &self.text;
        Parsed {
            timestamp,
            logged_at: out.logged_at,
            pod,
            container,
            namespace,
            host,
            process,
            partial,
            truncated,
            invalid_utf8,
            format: out.format,
            level: out.level,
            message: resolve(text, &self.extra, out.message),
            text,
            extra: &self.extra,
            fields: &self.fields,
            known: self.known,
        }
    }
}

fn shift(t: prefix::TagSpan, by: usize) -> prefix::TagSpan {
    prefix::TagSpan {
        pod: (t.pod.0 + by, t.pod.1 + by),
        container: (t.container.0 + by, t.container.1 + by),
    }
}

fn resolve<'a>(text: &'a str, extra: &'a str, s: Span) -> &'a str {
    let src = if s.extra { extra } else { text };
    src.get(s.start as usize..s.end as usize).unwrap_or("")
}

#[cfg(test)]
mod tests;
