//! The three gitlab-runner formats (and plain text), detected per line.
//!
//! * `runner`: `[LEVEL: ]message<padding> key=value key=value`, keys sorted,
//!   values raw (they may contain spaces and `=`). With colours, every key
//!   ends in a reset before `=`, which is exact; without, a field boundary is
//!   ` key=` whose key sorts after the previous key.
//! * `text`: logrus logfmt, `time="..." level=error msg="..." k=v`, Go-quoted.
//! * `json`: logrus JSON, one flat object per line.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::Span;
use super::ansi::Marks;
use crate::event::{Format, Level};

/// What detection found.
pub(super) struct Detected {
    pub format: Format,
    pub level: Level,
    pub message: Span,
    pub logged_at: Option<Timestamp>,
}

pub(super) fn detect(
    text: &str,
    extra: &mut String,
    fields: &mut Vec<(Span, Span)>,
    marks: &Marks,
) -> Detected {
    let b = text.as_bytes();
    if b.first() == Some(&b'{')
        && let Some(d) = json(text, extra, fields)
    {
        return d;
    }
    extra.clear();
    fields.clear();
    if (b.starts_with(b"time=") || b.starts_with(b"level="))
        && let Some(d) = logfmt(text, extra, fields)
    {
        return d;
    }
    extra.clear();
    fields.clear();
    if let Some((name, n)) = super::start::terminal_level(b) {
        // logrus' text formatter on a terminal: `INFO[0000] message  k=v`.
        let level = match name {
            b"WARN" => Level::Warning,
            b"ERRO" => Level::Error,
            b"DEBU" => Level::Debug,
            b"FATA" => Level::Fatal,
            b"PANI" => Level::Panic,
            b"TRAC" => Level::Trace,
            _ => Level::Info,
        };
        let mut d = runner_or_plain(text, fields, marks, Some((level, n)));
        d.format = Format::Text;
        for (_, v) in fields.iter_mut() {
            let (a, z) = (v.start as usize, v.end as usize);
            if z >= a + 2 && b[a] == b'"' && b[z - 1] == b'"' {
                v.start += 1;
                v.end -= 1;
            }
        }
        return d;
    }
    runner_or_plain(text, fields, marks, None)
}

// === runner format ===

const LEVEL_PREFIXES: [(&str, Level); 4] = [
    ("ERROR: ", Level::Error),
    ("WARNING: ", Level::Warning),
    ("FATAL: ", Level::Fatal),
    ("PANIC: ", Level::Panic),
];

fn runner_or_plain(
    text: &str,
    fields: &mut Vec<(Span, Span)>,
    marks: &Marks,
    preset: Option<(Level, usize)>,
) -> Detected {
    let mut level = preset.map(|(l, _)| l);
    let mut start = preset.map_or(0, |(_, n)| n);
    if preset.is_none() {
        for (p, l) in LEVEL_PREFIXES {
            if text.starts_with(p) {
                level = Some(l);
                start = p.len();
                break;
            }
        }
    }
    let b = text.as_bytes();
    let coloured_keys = marks.key_eq.iter().any(|&p| p > start);
    let (msg_end, fields_start) =
        if coloured_keys || (preset.is_none() && marks.first_reset.is_some_and(|r| r >= start)) {
            // The first reset ends the message exactly.
            // (logrus on a terminal colours only the level and the keys: the
            // message then ends where the first coloured key begins.)
            let first_key = || {
                let eq = *marks.key_eq.iter().find(|&&p| p > start)?;
                b[start..eq]
                    .iter()
                    .rposition(|&c| c == b' ')
                    .map(|p| start + p)
            };
            // On a terminal the first reset ends a key, not the message.
            let end = marks
                .first_reset
                .filter(|&r| r >= start && preset.is_none())
                .or_else(first_key)
                .unwrap_or(b.len());
            (end, end)
        } else {
            match find_first_field(b, start) {
                Some(f) => (f, f),
                None => (b.len(), b.len()),
            }
        };
    if coloured_keys {
        split_coloured(b, fields_start, &marks.key_eq, fields);
    } else {
        split_sorted(b, fields_start, fields);
    }
    let padded = b.len() >= 45 && b.last() == Some(&b' ');
    let is_runner = level.is_some() || marks.had_escape || !fields.is_empty() || padded;
    if !is_runner {
        return Detected {
            format: Format::Plain,
            level: Level::Unknown,
            message: trimmed(b, 0, b.len()),
            logged_at: None,
        };
    }
    let message = trimmed(b, start, msg_end);
    let level = level.unwrap_or(if marks.debug_colour {
        Level::Debug
    } else {
        Level::Info
    });
    Detected {
        format: Format::Runner,
        level,
        message,
        logged_at: None,
    }
}

/// The span of `b[start..end]` without surrounding ASCII whitespace (the
/// runner pads with spaces).
fn trimmed(b: &[u8], mut start: usize, mut end: usize) -> Span {
    while start < end && b[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    Span::text(start, end)
}

fn is_key_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

/// If a key (`[A-Za-z_][A-Za-z0-9_.-]*=`) starts at `i`, returns the index of its `=`.
fn key_at(b: &[u8], i: usize) -> Option<usize> {
    if !is_key_start(*b.get(i)?) {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && is_key_char(b[j]) {
        j += 1;
    }
    (b.get(j) == Some(&b'=')).then_some(j)
}

/// The first field starts after a run of two or more spaces.
fn find_first_field(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr::memmem::find(&b[i..], b"  ") {
        let mut j = i + p;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if key_at(b, j).is_some() {
            return Some(i + p);
        }
        if j >= b.len() {
            return None;
        }
        i = j;
    }
    None
}

fn split_coloured(b: &[u8], from: usize, key_eq: &[usize], fields: &mut Vec<(Span, Span)>) {
    // Positions are ascending: skip those inside the message.
    let eqs = &key_eq[key_eq.partition_point(|&p| p <= from)..];
    // A key starts after the last space before its `=`.
    let key_start = |eq: usize| {
        b[from..eq]
            .iter()
            .rposition(|&c| c == b' ')
            .map_or(from, |p| from + p + 1)
    };
    let Some(&first) = eqs.first() else {
        return;
    };
    let mut ks = key_start(first);
    for (n, &eq) in eqs.iter().enumerate() {
        let (value_end, next_ks) = match eqs.get(n + 1) {
            // The value ends before the space that precedes the next key.
            Some(&next) => {
                let nks = key_start(next);
                (nks.saturating_sub(1).max(eq + 1), nks)
            }
            None => (b.len(), b.len()),
        };
        fields.push((Span::text(ks, eq), Span::text(eq + 1, value_end)));
        ks = next_ks;
    }
}

/// Field keys gitlab-runner prints; used to break ties between equally long
/// readings of an uncoloured line.
const KNOWN_KEYS: &[&[u8]] = &[
    b"builds",
    b"code",
    b"correlation_id",
    b"duration_s",
    b"error",
    b"executor",
    b"job",
    b"job-status",
    b"max_builds",
    b"project",
    b"repo_url",
    b"runner",
    b"runner_name",
    b"status",
    b"update-interval",
];

/// Most candidates considered per line; beyond it the first readings win.
const MAX_CANDIDATES: usize = 64;

/// Splits uncoloured fields. Keys are printed sorted, so the right reading
/// is the longest run of ` key=` candidates whose keys increase; a value
/// that contains `key=value` text (an `error=` quoting another line) yields
/// candidates that break the order and are skipped.
fn split_sorted(b: &[u8], from: usize, fields: &mut Vec<(Span, Span)>) {
    let mut i = from;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let Some(first_eq) = key_at(b, i) else {
        return;
    };
    let mut cands: Vec<(usize, usize)> = vec![(i, first_eq)];
    let mut j = first_eq + 1;
    while let Some(p) = memchr::memchr(b' ', &b[j..]) {
        let cand = j + p + 1;
        if let Some(eq) = key_at(b, cand) {
            cands.push((cand, eq));
            if cands.len() == MAX_CANDIDATES {
                break;
            }
        }
        j = cand;
        if j >= b.len() {
            break;
        }
    }
    let key = |c: (usize, usize)| &b[c.0..c.1];
    let known = |c: (usize, usize)| u32::from(KNOWN_KEYS.contains(&key(c)));
    // best[k] = (length, known keys, previous) of the best increasing chain
    // that starts at candidate 0 and ends at candidate k.
    let mut best: Vec<Option<(u32, u32, usize)>> = vec![None; cands.len()];
    best[0] = Some((1, known(cands[0]), usize::MAX));
    for k in 1..cands.len() {
        for p in 0..k {
            if let Some((len, kn, _)) = best[p]
                && key(cands[p]) < key(cands[k])
            {
                let cand = (len + 1, kn + known(cands[k]), p);
                if best[k].is_none_or(|(l, n, _)| (cand.0, cand.1) > (l, n)) {
                    best[k] = Some(cand);
                }
            }
        }
    }
    let mut end = 0;
    for k in 0..cands.len() {
        if let (Some((l, n, _)), Some((bl, bn, _))) = (best[k], best[end])
            && (l, n) > (bl, bn)
        {
            end = k;
        }
    }
    let mut chain = Vec::new();
    let mut k = end;
    while k != usize::MAX {
        chain.push(cands[k]);
        k = best[k].map_or(usize::MAX, |(_, _, prev)| prev);
    }
    chain.reverse();
    for (n, &(ks, eq)) in chain.iter().enumerate() {
        let value_end = chain.get(n + 1).map_or(b.len(), |&(next, _)| next - 1);
        fields.push((Span::text(ks, eq), Span::text(eq + 1, value_end)));
    }
}

// === logrus text (logfmt) ===

fn logfmt(text: &str, extra: &mut String, fields: &mut Vec<(Span, Span)>) -> Option<Detected> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut level = None;
    let mut message = None;
    let mut logged_at = None;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let eq = key_at(b, i)?;
        let key = Span::text(i, eq);
        let key_str = &text[i..eq];
        i = eq + 1;
        let value = if b.get(i) == Some(&b'"') {
            let (v, next) = unquote_go(text, i, extra)?;
            i = next;
            v
        } else {
            let end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |p| i + p);
            let v = Span::text(i, end);
            i = end;
            v
        };
        match key_str {
            "level" => level = Some(Level::from_name(span_str(text, extra, value))),
            "msg" => message = Some(value),
            "time" => logged_at = span_str(text, extra, value).parse::<Timestamp>().ok(),
            _ => fields.push((key, value)),
        }
    }
    let level = level?;
    Some(Detected {
        format: Format::Text,
        level,
        // logrus omits `msg` when the message is empty.
        message: message.unwrap_or_default(),
        logged_at,
    })
}

fn span_str<'a>(text: &'a str, extra: &'a str, s: Span) -> &'a str {
    let src = if s.extra { extra } else { text };
    src.get(s.start as usize..s.end as usize).unwrap_or("")
}

/// Unquotes a Go double-quoted string starting at `start` (the `"`).
/// Returns the value (in `extra` when it had escapes) and the index after the
/// closing quote.
fn unquote_go(text: &str, start: usize, extra: &mut String) -> Option<(Span, usize)> {
    let b = text.as_bytes();
    let body = start + 1;
    let mut i = body;
    // Fast path: no escapes before the closing quote.
    while i < b.len() && b[i] != b'"' && b[i] != b'\\' {
        i += 1;
    }
    if b.get(i) == Some(&b'"') {
        return Some((Span::text(body, i), i + 1));
    }
    let out_start = extra.len();
    extra.push_str(&text[body..i]);
    while i < b.len() {
        match b[i] {
            b'"' => {
                let span = Span {
                    start: out_start as u32,
                    end: extra.len() as u32,
                    extra: true,
                };
                return Some((span, i + 1));
            }
            b'\\' => {
                let esc = *b.get(i + 1)?;
                i += 2;
                match esc {
                    b'n' => extra.push('\n'),
                    b't' => extra.push('\t'),
                    b'r' => extra.push('\r'),
                    b'a' => extra.push('\x07'),
                    b'b' => extra.push('\x08'),
                    b'f' => extra.push('\x0c'),
                    b'v' => extra.push('\x0b'),
                    b'\\' => extra.push('\\'),
                    b'"' => extra.push('"'),
                    b'\'' => extra.push('\''),
                    b'x' => {
                        let v = hex(b.get(i..i + 2)?)?;
                        // \xHH is a byte; non-ASCII bytes cannot be kept in a str.
                        extra.push(if v < 0x80 {
                            v as u8 as char
                        } else {
                            '\u{fffd}'
                        });
                        i += 2;
                    }
                    b'u' => {
                        extra.push(char::from_u32(hex(b.get(i..i + 4)?)?).unwrap_or('\u{fffd}'));
                        i += 4;
                    }
                    b'U' => {
                        extra.push(char::from_u32(hex(b.get(i..i + 8)?)?).unwrap_or('\u{fffd}'));
                        i += 8;
                    }
                    b'0'..=b'7' => {
                        let oct = b.get(i - 1..i + 2)?;
                        let v = oct.iter().try_fold(0u32, |a, &c| {
                            (b'0'..=b'7')
                                .contains(&c)
                                .then(|| a * 8 + u32::from(c - b'0'))
                        })?;
                        extra.push(if v < 0x80 {
                            v as u8 as char
                        } else {
                            '\u{fffd}'
                        });
                        i += 2;
                    }
                    _ => return None,
                }
            }
            _ => {
                let next = memchr::memchr2(b'"', b'\\', &b[i..]).map_or(b.len(), |p| i + p);
                extra.push_str(&text[i..next]);
                i = next;
            }
        }
    }
    None
}

fn hex(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b).ok()?;
    u32::from_str_radix(s, 16).ok()
}

// === logrus JSON ===

fn json(text: &str, extra: &mut String, fields: &mut Vec<(Span, Span)>) -> Option<Detected> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut sink = JsonSink {
        extra,
        fields,
        level: None,
        message: None,
        logged_at: None,
    };
    de.deserialize_map(&mut sink).ok()?;
    de.end().ok()?;
    let JsonSink {
        level,
        message,
        logged_at,
        ..
    } = sink;
    if level.is_none() && message.is_none() {
        return None;
    }
    Some(Detected {
        format: Format::Json,
        level: level.unwrap_or(Level::Unknown),
        message: message.unwrap_or_default(),
        logged_at,
    })
}

/// Collects a flat JSON object into the parser's buffers. Scalars become
/// text; nested objects and arrays are kept as compact JSON.
struct JsonSink<'b> {
    extra: &'b mut String,
    fields: &'b mut Vec<(Span, Span)>,
    level: Option<Level>,
    message: Option<Span>,
    logged_at: Option<Timestamp>,
}

impl<'de> Visitor<'de> for &mut JsonSink<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Scalar(self.extra))? {
            let value = map.next_value_seed(Scalar(self.extra))?;
            let text = self.extra.as_str();
            let k = &text[key.start as usize..key.end as usize];
            let v = &text[value.start as usize..value.end as usize];
            match k {
                "level" => self.level = Some(Level::from_name(v)),
                "msg" => self.message = Some(value),
                "time" => self.logged_at = v.parse().ok(),
                _ => self.fields.push((key, value)),
            }
        }
        Ok(())
    }
}

/// Appends any JSON value to the buffer as text and returns its span.
struct Scalar<'b>(&'b mut String);

impl<'de> DeserializeSeed<'de> for Scalar<'_> {
    type Value = Span;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Span, D::Error> {
        let start = self.0.len();
        let out = d.deserialize_any(ScalarVisitor(self.0))?;
        Ok(Span {
            start: start as u32,
            end: out as u32,
            extra: true,
        })
    }
}

/// Writes the value and returns the buffer's new length.
struct ScalarVisitor<'b>(&'b mut String);

impl<'de> Visitor<'de> for ScalarVisitor<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<usize, E> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(self.0.len())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<usize, E> {
        let _ = write!(self.0, "{v}");
        Ok(self.0.len())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
        let _ = write!(self.0, "{v}");
        Ok(self.0.len())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<usize, E> {
        let _ = write!(self.0, "{v}");
        Ok(self.0.len())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.0.push_str(v);
        Ok(self.0.len())
    }
    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        Ok(self.0.len())
    }
    fn visit_none<E: de::Error>(self) -> Result<usize, E> {
        Ok(self.0.len())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<usize, A::Error> {
        let v: serde_json::Value =
            serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        let _ = write!(self.0, "{v}");
        Ok(self.0.len())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
        let v: serde_json::Value =
            serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let _ = write!(self.0, "{v}");
        Ok(self.0.len())
    }
}
