//! CRI log files (`/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log`)
//! split a line longer than the runtime's buffer (16 KiB in containerd)
//! into partial records (`P`) ended by a full one (`F`), each with its own
//! timestamp and stream. `analyze` joins them back into the line the
//! container wrote, per stream (stdout and stderr records interleave),
//! dated by its first record. The kubelet's log API joins them itself, so
//! `watch` never sees them.

use std::borrow::Cow;

use crate::line::MAX_LINE_BYTES;
use crate::parse::prefix;

/// What to do with a record.
#[derive(Debug, PartialEq, Eq)]
pub enum Joined<'a> {
    /// A whole line (the record itself, or the records it ends, joined),
    /// and whether it was cut at [`MAX_LINE_BYTES`].
    Ready(Cow<'a, [u8]>, bool),
    /// A partial record, held until its line ends.
    Held,
}

#[derive(Debug, Default, Clone)]
struct Pending {
    line: Vec<u8>,
    truncated: bool,
}

/// Joins partial records of one input.
#[derive(Debug, Default, Clone)]
pub struct CriJoiner {
    /// stdout, stderr.
    pending: [Option<Pending>; 2],
    /// Partial records seen.
    pub partials: u64,
}

impl CriJoiner {
    /// Takes one record (`truncated` from the splitter).
    pub fn push<'a>(&mut self, raw: &'a [u8], truncated: bool) -> Joined<'a> {
        let Some((stream, partial, message)) = split(raw) else {
            return Joined::Ready(Cow::Borrowed(raw), truncated);
        };
        let slot = &mut self.pending[stream];
        if partial {
            self.partials += 1;
        }
        match (slot.as_mut(), partial) {
            (None, false) => Joined::Ready(Cow::Borrowed(raw), truncated),
            (None, true) => {
                // The first record: its prefix (time, stream) is the line's,
                // marked full so that the parser sees one whole line.
                let mut line = raw.to_vec();
                line[message - 2] = b'F';
                *slot = Some(Pending { line, truncated });
                Joined::Held
            }
            (Some(p), _) => {
                let rest = &raw[message..];
                let room = MAX_LINE_BYTES.saturating_sub(p.line.len());
                p.line.extend_from_slice(&rest[..rest.len().min(room)]);
                p.truncated |= truncated || rest.len() > room;
                if partial {
                    return Joined::Held;
                }
                let done = slot.take().unwrap_or_default();
                Joined::Ready(Cow::Owned(done.line), done.truncated)
            }
        }
    }

    /// Lines whose last record never came (the input ended), stdout first.
    pub fn finish(&mut self) -> impl Iterator<Item = (Vec<u8>, bool)> + use<> {
        let pending = std::mem::take(&mut self.pending);
        pending.into_iter().flatten().map(|p| (p.line, p.truncated))
    }
}

/// The stream (0 stdout, 1 stderr), whether the record is partial, and
/// where its message starts, for a CRI record `<time> <stream> <P|F> <msg>`.
fn split(raw: &[u8]) -> Option<(usize, bool, usize)> {
    if !raw.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    // RFC 3339 with nanoseconds and an offset is at most 35 bytes.
    let space = memchr::memchr(b' ', &raw[..raw.len().min(40)])?;
    let tag = &raw[space + 1..];
    let (partial, n) = prefix::cri_tag(tag)?;
    let stream = usize::from(tag.starts_with(b"stderr"));
    Some((stream, partial, space + 1 + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(records: &[&str]) -> (Vec<String>, CriJoiner) {
        let mut j = CriJoiner::default();
        let mut out = Vec::new();
        for r in records {
            if let Joined::Ready(l, _) = j.push(r.as_bytes(), false) {
                out.push(String::from_utf8(l.into_owned()).unwrap());
            }
        }
        for (l, _) in j.finish() {
            out.push(String::from_utf8(l).unwrap());
        }
        (out, j)
    }

    #[test]
    fn partial_records_are_joined_per_stream() {
        let (lines, j) = run(&[
            "2026-03-02T08:14:03.1Z stdout P Checking for jobs... ",
            "2026-03-02T08:14:03.2Z stderr F an unrelated line",
            "2026-03-02T08:14:03.3Z stdout P forbidden  ",
            "2026-03-02T08:14:03.4Z stdout F runner=HYErDk_6w",
            "plain kubectl logs line",
        ]);
        assert_eq!(
            lines,
            vec![
                "2026-03-02T08:14:03.2Z stderr F an unrelated line",
                "2026-03-02T08:14:03.1Z stdout F Checking for jobs... forbidden  runner=HYErDk_6w",
                "plain kubectl logs line",
            ]
        );
        assert_eq!(j.partials, 2);
    }

    #[test]
    fn an_unfinished_line_is_flushed_and_a_huge_one_is_cut() {
        let (lines, _) = run(&["2026-03-02T08:14:03.1Z stderr P the end never came"]);
        assert_eq!(
            lines,
            vec!["2026-03-02T08:14:03.1Z stderr F the end never came"]
        );
        let chunk = format!("2026-03-02T08:14:03.1Z stdout P {}", "x".repeat(16 * 1024));
        let mut j = CriJoiner::default();
        for _ in 0..10 {
            assert_eq!(j.push(chunk.as_bytes(), false), Joined::Held);
        }
        match j.push(b"2026-03-02T08:14:04Z stdout F end", false) {
            Joined::Ready(l, truncated) => {
                assert_eq!(l.len(), MAX_LINE_BYTES);
                assert!(truncated);
            }
            Joined::Held => panic!("the full record ends the line"),
        }
    }

    #[test]
    fn lines_that_only_look_like_records_pass_through() {
        for l in [
            "2026-03-02T08:14:03.1Z stdout X not a tag",
            "2026-03-02T08:14:03.1Z Checking for jobs... received",
            "",
            "12",
        ] {
            let mut j = CriJoiner::default();
            assert_eq!(
                j.push(l.as_bytes(), false),
                Joined::Ready(Cow::Borrowed(l.as_bytes()), false)
            );
        }
    }
}
