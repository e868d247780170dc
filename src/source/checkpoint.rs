//! Where a container's log stream stands, and how to resume it without
//! losing or repeating a line.
//!
//! The log API's `sinceTime` has one-second precision and is inclusive
//! (the apiserver forwards `sinceTime` formatted as RFC3339 seconds; the
//! kubelet keeps lines whose timestamp is not before it). So a resumed
//! stream starts with lines we already read. The kubelet replays, in file
//! order, every line of the current log file whose timestamp is at or after
//! `sinceTime`: exactly the lines we read with such a timestamp, in the
//! order we read them, followed by new ones.
//!
//! [`Checkpoint`] remembers the timestamp and a short hash of the recent
//! lines. On reconnect it asks for `sinceTime = floor(last timestamp)`
//! (truncated, never rounded: kube rounds half up, which would skip lines)
//! and expects the remembered lines with a timestamp at or after it to come
//! back first; each one that does is dropped. Timestamps may go backwards
//! inside a stream (stdout and stderr interleave), so a line is never
//! dropped for being older than the previous one, only for being a replay.
//! If the log was rotated or cut and an expected line does not come back,
//! the expectation is abandoned as soon as a line that is certainly new
//! arrives.

use std::collections::VecDeque;

use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// How many recent lines are remembered for replay detection: more lines
/// than this within one second of the last line may be counted twice after
/// a reconnect (and are counted as such).
pub const REMEMBERED: usize = 4096;

/// A remembered line: its kubelet timestamp and a hash of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    at: Timestamp,
    hash: u64,
}

/// What to do with a line read from a (re)opened stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A new line: count it.
    Keep,
    /// A replay of a line already counted: drop it.
    Replay,
}

/// The read position of one container instance's log.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    recent: VecDeque<Seen>,
    /// Lines expected again at the start of the current connection.
    expect: VecDeque<Seen>,
    /// Lines counted from this instance.
    lines: u64,
    /// Remembered lines evicted while within one second of the newest one
    /// (possible duplicates after a reconnect).
    overflowed: u64,
}

impl Checkpoint {
    /// A checkpoint for a stream read from its start.
    pub fn new() -> Checkpoint {
        Checkpoint::default()
    }

    /// Nothing has been read from this instance yet.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// Lines counted so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The newest timestamp read (by time, not by order).
    pub fn last(&self) -> Option<Timestamp> {
        self.recent.iter().map(|s| s.at).max()
    }

    /// The `sinceTime` to resume with: the last line's timestamp truncated
    /// to the second. `None` when nothing was read (start from the
    /// configured lookback instead).
    pub fn since(&self) -> Option<Timestamp> {
        Some(floor_second(self.recent.back()?.at))
    }

    /// Prepares for a new connection opened with [`Checkpoint::since`]:
    /// every remembered line at or after that second will be replayed first.
    pub fn reconnect(&mut self) {
        self.expect.clear();
        if let Some(since) = self.since() {
            self.expect
                .extend(self.recent.iter().copied().filter(|s| s.at >= since));
        }
    }

    /// Judges one line of the current connection (`at` is its kubelet
    /// timestamp; lines without one are always kept).
    pub fn admit(&mut self, at: Option<Timestamp>, line: &[u8]) -> Verdict {
        let Some(at) = at else {
            self.lines += 1;
            return Verdict::Keep;
        };
        let seen = Seen {
            at,
            hash: hash(line),
        };
        if !self.expect.is_empty() {
            if self.expect.front() == Some(&seen) {
                self.expect.pop_front();
                return Verdict::Replay;
            }
            if let Some(pos) = self.expect.iter().position(|e| *e == seen) {
                // Replayed out of the expected order (should not happen with
                // one log file, but never count a line twice).
                self.expect.remove(pos);
                return Verdict::Replay;
            }
            // A line we never saw: the replay is over. What is still expected
            // did not come back (rotated away); it was counted already.
            self.expect.clear();
        }
        self.remember(seen);
        self.lines += 1;
        Verdict::Keep
    }

    /// Lines that might be counted twice because too many shared the last
    /// second to be remembered.
    pub fn overflowed(&self) -> u64 {
        self.overflowed
    }

    /// Where reading stands, to be persisted across restarts of
    /// runner-medic: what [`Checkpoint::reconnect`] would expect back.
    /// `None` when nothing with a timestamp was read.
    pub fn mark(&self) -> Option<Mark> {
        let since = self.since()?;
        Some(Mark {
            since,
            seen: self
                .recent
                .iter()
                .filter(|s| s.at >= since)
                .map(|s| (s.at, s.hash))
                .collect(),
        })
    }

    fn remember(&mut self, seen: Seen) {
        if self.recent.len() == REMEMBERED
            && let Some(old) = self.recent.pop_front()
            && let Some(since) = self.since()
            && old.at >= since
        {
            self.overflowed += 1;
        }
        self.recent.push_back(seen);
        // Only lines at or after the resume second can come back: forget
        // older ones at the front (memory stays proportional to the lines
        // of the last seconds, not to REMEMBERED). One second of slack: a
        // late stderr line can pull the resume second back by one, and the
        // lines of that second must still be known then.
        if let Some(since) = self.since() {
            let keep_from = since.checked_sub(1.seconds()).unwrap_or(since);
            while self.recent.len() > 1 && self.recent.front().is_some_and(|s| s.at < keep_from) {
                self.recent.pop_front();
            }
        }
    }
}

/// Where a previous run of runner-medic stopped reading one container
/// instance (persisted by [`super::positions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The last line's timestamp, truncated to the second.
    pub since: Timestamp,
    /// The lines read at or after `since`, in read order: their timestamp
    /// and the FNV-1a hash of their bytes.
    pub seen: Vec<(Timestamp, u64)>,
}

/// Tells, on the first connection after a restart of runner-medic, which
/// lines the previous run already counted. The new run reads its lookback
/// again (to rebuild health); the lines up to the [`Mark`] are replayed
/// into health only, never counted twice. In file order, a line is old
/// while it is older than the mark's second or is the next line the mark
/// remembers; the first line that is neither ends the resume.
#[derive(Debug, Clone)]
pub struct Resume {
    since: Timestamp,
    expect: VecDeque<Seen>,
}

impl Resume {
    /// A resume from a persisted mark.
    pub fn new(mark: Mark) -> Resume {
        Resume {
            since: mark.since,
            expect: mark
                .seen
                .into_iter()
                .map(|(at, hash)| Seen { at, hash })
                .collect(),
        }
    }

    /// The second the previous run had reached.
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// Whether this line (the next in file order) was read by the previous
    /// run. After the first `false`, the resume is over: the caller drops it.
    pub fn was_read(&mut self, at: Option<Timestamp>, line: &[u8]) -> bool {
        let Some(at) = at else { return false };
        // Past the last line the previous run read: everything is new, even
        // a line stamped before its second (stderr written late).
        if self.expect.is_empty() {
            return false;
        }
        if at < self.since {
            return true;
        }
        let seen = Seen {
            at,
            hash: hash(line),
        };
        if let Some(pos) = self.expect.iter().position(|e| *e == seen) {
            self.expect.remove(pos);
            return true;
        }
        false
    }
}

/// `t` truncated to the whole second (toward the past).
fn floor_second(t: Timestamp) -> Timestamp {
    let secs = if t.subsec_nanosecond() < 0 {
        t.as_second() - 1
    } else {
        t.as_second()
    };
    Timestamp::from_second(secs).unwrap_or(t)
}

/// FNV-1a: stable, fast, good enough to tell two log lines apart.
fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Feeds `(timestamp, text)` lines; returns the texts kept.
    fn feed<'a>(c: &mut Checkpoint, lines: &[(&str, &'a str)]) -> Vec<&'a str> {
        lines
            .iter()
            .filter(|(t, l)| c.admit(Some(ts(t)), l.as_bytes()) == Verdict::Keep)
            .map(|(_, l)| *l)
            .collect()
    }

    /// What the kubelet sends for `since`: every line at or after it, in file order.
    fn replay<'a>(file: &[(&'a str, &'a str)], since: Timestamp) -> Vec<(&'a str, &'a str)> {
        file.iter()
            .copied()
            .filter(|(t, _)| ts(t) >= since)
            .collect()
    }

    #[test]
    fn since_is_truncated_never_rounded() {
        let mut c = Checkpoint::new();
        feed(&mut c, &[("2026-03-02T10:00:04.600000000Z", "a")]);
        assert_eq!(c.since(), Some(ts("2026-03-02T10:00:04Z")));
    }

    #[test]
    fn a_resume_drops_exactly_the_replayed_lines() {
        let file = [
            ("2026-03-02T10:00:03.900000000Z", "a"),
            ("2026-03-02T10:00:04.100000000Z", "b"),
            ("2026-03-02T10:00:04.600000000Z", "c"),
            ("2026-03-02T10:00:04.700000000Z", "d"),
            ("2026-03-02T10:00:05.000000000Z", "e"),
        ];
        let mut c = Checkpoint::new();
        assert_eq!(feed(&mut c, &file[..3]), vec!["a", "b", "c"]);
        c.reconnect();
        let again = replay(&file, c.since().unwrap());
        assert_eq!(feed(&mut c, &again), vec!["d", "e"]);
        assert_eq!(c.lines(), 5);
    }

    #[test]
    fn identical_timestamps_across_the_boundary_are_told_apart_by_order() {
        let t = "2026-03-02T10:00:04.500000000Z";
        let file = [(t, "x"), (t, "x"), (t, "y"), (t, "x")];
        let mut c = Checkpoint::new();
        assert_eq!(feed(&mut c, &file[..2]), vec!["x", "x"]);
        c.reconnect();
        let again = replay(&file, c.since().unwrap());
        assert_eq!(feed(&mut c, &again), vec!["y", "x"]);
    }

    #[test]
    fn out_of_order_timestamps_are_kept_and_replayed_correctly() {
        // stdout and stderr interleave: timestamps go backwards.
        let file = [
            ("2026-03-02T10:00:04.500000000Z", "out1"),
            ("2026-03-02T10:00:04.200000000Z", "err1"),
            ("2026-03-02T10:00:03.900000000Z", "err0"),
            ("2026-03-02T10:00:04.700000000Z", "out2"),
        ];
        let mut c = Checkpoint::new();
        assert_eq!(feed(&mut c, &file[..3]), vec!["out1", "err1", "err0"]);
        c.reconnect();
        // since = floor(03.9) = 03; the kubelet replays from 03.
        let again = replay(&file, c.since().unwrap());
        assert_eq!(feed(&mut c, &again), vec!["out2"]);
    }

    #[test]
    fn lines_rotated_away_do_not_make_new_lines_vanish() {
        let mut c = Checkpoint::new();
        feed(
            &mut c,
            &[
                ("2026-03-02T10:00:04.100000000Z", "a"),
                ("2026-03-02T10:00:04.200000000Z", "b"),
            ],
        );
        c.reconnect();
        // After rotation the new file starts later: nothing of ours comes back.
        let kept = feed(
            &mut c,
            &[
                ("2026-03-02T10:00:04.300000000Z", "c"),
                ("2026-03-02T10:00:04.200000000Z", "b2"),
            ],
        );
        assert_eq!(kept, vec!["c", "b2"]);
    }

    #[test]
    fn memory_holds_only_the_last_two_seconds() {
        let mut c = Checkpoint::new();
        for i in 0..100 {
            let t = ts("2026-03-02T10:00:00Z")
                .checked_add(jiff::SignedDuration::from_millis(i * 100))
                .unwrap();
            c.admit(Some(t), format!("line {i}").as_bytes());
        }
        // 9.900 s is the last: lines from 8.000 on are remembered (the
        // resume second and one of slack).
        assert_eq!(c.recent.len(), 20);
        assert_eq!(c.lines(), 100);
    }

    /// The lines of `file` a new run judges new after resuming from `mark`.
    fn resumed<'a>(mark: Mark, file: &[(&str, &'a str)]) -> Vec<&'a str> {
        let mut r = Some(Resume::new(mark));
        let mut new = Vec::new();
        for (t, l) in file {
            if let Some(x) = r.as_mut()
                && x.was_read(Some(ts(t)), l.as_bytes())
            {
                continue;
            }
            r = None;
            new.push(*l);
        }
        new
    }

    #[test]
    fn a_mark_survives_serialization_and_resumes_exactly_after_it() {
        let t = "2026-03-02T10:00:04.500000000Z";
        let file = [
            ("2026-03-02T10:00:01.000000000Z", "old"),
            ("2026-03-02T10:00:04.100000000Z", "a"),
            (t, "x"),
            (t, "x"),
            (t, "y"),
            (t, "x"),
            ("2026-03-02T10:00:05.000000000Z", "z"),
        ];
        let mut c = Checkpoint::new();
        feed(&mut c, &file[..4]);
        let json = serde_json::to_string(&c.mark().unwrap()).unwrap();
        let mark: Mark = serde_json::from_str(&json).unwrap();
        assert_eq!(mark.since, ts("2026-03-02T10:00:04Z"));
        assert_eq!(mark.seen.len(), 3);
        // The new run reads the whole lookback again.
        assert_eq!(resumed(mark, &file), vec!["y", "x", "z"]);
    }

    #[test]
    fn a_resume_ends_at_the_first_line_the_mark_does_not_know() {
        let mut c = Checkpoint::new();
        feed(&mut c, &[("2026-03-02T10:00:04.100000000Z", "a")]);
        let mark = c.mark().unwrap();
        // The file was rotated: "a" is gone, an older-looking line after a
        // new one is new too.
        let file = [
            ("2026-03-02T10:00:04.300000000Z", "b"),
            ("2026-03-02T10:00:03.000000000Z", "c"),
        ];
        assert_eq!(resumed(mark.clone(), &file), vec!["b", "c"]);
        // A run that was down for longer than the lookback: everything is new.
        assert_eq!(
            resumed(mark, &[("2026-03-02T11:00:00.000000000Z", "late")]),
            vec!["late"]
        );
    }

    #[test]
    fn a_late_line_that_pulls_the_resume_second_back_is_still_resumed_exactly() {
        // stdout at 05.2 and 06.1, then stderr stamped 05.9 written late.
        let file = [
            ("2026-03-02T10:00:05.200000000Z", "a"),
            ("2026-03-02T10:00:06.100000000Z", "b"),
            ("2026-03-02T10:00:05.900000000Z", "c"),
            ("2026-03-02T10:00:06.500000000Z", "d"),
        ];
        let mut c = Checkpoint::new();
        feed(&mut c, &file[..3]);
        c.reconnect();
        let again = replay(&file, c.since().unwrap());
        assert_eq!(feed(&mut c, &again), vec!["d"]);
        // And across a restart of runner-medic.
        let mut c = Checkpoint::new();
        feed(&mut c, &file[..3]);
        assert_eq!(resumed(c.mark().unwrap(), &file), vec!["d"]);
    }

    #[test]
    fn a_late_line_after_the_mark_is_new_even_when_stamped_before_it() {
        let mut c = Checkpoint::new();
        feed(&mut c, &[("2026-03-02T10:00:06.100000000Z", "b")]);
        let file = [
            ("2026-03-02T10:00:04.000000000Z", "old"),
            ("2026-03-02T10:00:06.100000000Z", "b"),
            ("2026-03-02T10:00:05.900000000Z", "late"),
        ];
        assert_eq!(resumed(c.mark().unwrap(), &file), vec!["late"]);
    }

    #[test]
    fn an_empty_checkpoint_has_no_since() {
        let mut c = Checkpoint::new();
        assert!(c.since().is_none());
        assert!(c.mark().is_none());
        c.reconnect();
        assert_eq!(c.admit(None, b"no timestamp"), Verdict::Keep);
    }
}
