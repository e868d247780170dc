//! Removes ANSI escape sequences while remembering the two landmarks the
//! runner's colours give away: where the message ends (the first reset) and
//! where each field key ends (a reset right before `=`).
//!
//! gitlab-runner's `runner` format writes `\x1b[0;m` after the padded message
//! and between every key and its `=`, even in pods. Also understands the
//! rsyslog rendering of ESC as `#033`.

/// rsyslog writes ESC as `#033`.
static RSYSLOG_ESC: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"#033["));

/// Landmarks found while stripping.
#[derive(Debug, Default, Clone)]
pub struct Marks {
    /// Any escape sequence was removed.
    pub had_escape: bool,
    /// Output position of the first removed reset sequence.
    pub first_reset: Option<usize>,
    /// Output positions of `=` signs that directly follow a removed reset:
    /// the key/value separators of runner-format fields.
    pub key_eq: Vec<usize>,
    /// The line started with the DEBUG colour (`\x1b[37;1m`).
    pub debug_colour: bool,
}

/// Appends `input` to `out` without escape sequences and fills `marks`.
pub fn strip(input: &str, out: &mut String, marks: &mut Marks) {
    marks.had_escape = false;
    marks.first_reset = None;
    marks.key_eq.clear();
    marks.debug_colour = false;
    let b = input.as_bytes();
    if memchr::memchr(b'#', b).is_some() && RSYSLOG_ESC.find(b).is_some() {
        return strip_rsyslog(input, out, marks);
    }
    let base = out.len();
    let mut copied = 0;
    // One SIMD pass over the line finds every ESC; the runner writes one
    // every few bytes, so a search per sequence would pay its setup each time.
    for esc in memchr::memchr_iter(0x1b, b) {
        if esc < copied {
            continue; // inside a sequence already removed
        }
        marks.had_escape = true;
        out.push_str(&input[copied..esc]);
        copied = remove_sequence(b, esc + 1, base, out.len(), marks);
    }
    if marks.had_escape {
        marks.debug_colour = b.starts_with(b"\x1b[37;1m");
    }
    out.push_str(&input[copied..]);
}

/// The position in `input` of the character that [`strip`] wrote at
/// `out_pos` (escape sequences right before it are kept with it: the
/// runner's own colour belongs to its line).
pub fn input_pos(input: &str, out_pos: usize) -> usize {
    let b = input.as_bytes();
    let rsyslog = memchr::memchr(b'#', b).is_some() && RSYSLOG_ESC.find(b).is_some();
    let (mut i, mut out) = (0, 0);
    while i < b.len() {
        if out == out_pos {
            return i;
        }
        let marker = if b[i] == 0x1b {
            1
        } else if rsyslog && b[i..].starts_with(b"#033[") {
            4
        } else {
            0
        };
        if marker > 0 {
            i = sequence_end(b, i + marker).0;
        } else {
            i += 1;
            out += 1;
        }
    }
    b.len()
}

/// Skips the sequence whose ESC marker ended at `after_esc`, records the
/// landmarks, returns the index after the sequence.
fn remove_sequence(
    b: &[u8],
    after_esc: usize,
    base: usize,
    out_len: usize,
    marks: &mut Marks,
) -> usize {
    let (end, is_reset) = sequence_end(b, after_esc);
    if is_reset {
        if marks.first_reset.is_none() {
            marks.first_reset = Some(out_len - base);
        }
        // `key\x1b[0;m=`: the runner's key/value separator.
        if b.get(end) == Some(&b'=') {
            marks.key_eq.push(out_len - base);
        }
    }
    end
}

/// The slow path for lines where rsyslog wrote ESC as `#033`.
fn strip_rsyslog(input: &str, out: &mut String, marks: &mut Marks) {
    let b = input.as_bytes();
    let base = out.len();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let marker = if b[i] == 0x1b {
            1
        } else if b[i..].starts_with(b"#033[") {
            4
        } else {
            i += 1;
            continue;
        };
        marks.had_escape = true;
        out.push_str(&input[copied..i]);
        copied = remove_sequence(b, i + marker, base, out.len(), marks);
        i = copied;
    }
    out.push_str(&input[copied..]);
}

/// Returns the index after a sequence whose ESC (or `#033`) ended at `i`,
/// and whether it was an SGR reset (`[0;m`, `[0m`, `[m`).
fn sequence_end(b: &[u8], i: usize) -> (usize, bool) {
    if b.get(i) != Some(&b'[') {
        // A lone ESC (or a two-byte escape): drop the ESC and one byte if it
        // is a final byte.
        return match b.get(i) {
            Some(c) if (0x40..=0x7e).contains(c) => (i + 1, false),
            _ => (i, false),
        };
    }
    let params_start = i + 1;
    let mut j = params_start;
    while j < b.len() && (0x30..=0x3f).contains(&b[j]) {
        j += 1;
    }
    let params_end = j;
    while j < b.len() && (0x20..=0x2f).contains(&b[j]) {
        j += 1;
    }
    match b.get(j) {
        Some(c) if (0x40..=0x7e).contains(c) => {
            let params = &b[params_start..params_end];
            let reset = *c == b'm' && matches!(params, b"" | b"0" | b"0;");
            (j + 1, reset)
        }
        // Unterminated: drop what we saw.
        _ => (j, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> (String, Marks) {
        let mut out = String::new();
        let mut m = Marks::default();
        strip(s, &mut out, &mut m);
        (out, m)
    }

    #[test]
    fn runner_colours_are_removed_and_landmarks_kept() {
        let line = "\x1b[31;1mERROR: Checking for jobs... forbidden   \x1b[0;m  \x1b[31;1mrunner\x1b[0;m=xJ8kP2mQa \x1b[31;1mstatus\x1b[0;m=403 Forbidden";
        let (out, m) = run(line);
        assert_eq!(
            out,
            "ERROR: Checking for jobs... forbidden     runner=xJ8kP2mQa status=403 Forbidden"
        );
        assert!(m.had_escape);
        assert_eq!(m.first_reset, Some(40));
        let eqs: Vec<char> = m
            .key_eq
            .iter()
            .map(|&p| out.as_bytes()[p] as char)
            .collect();
        assert_eq!(eqs, vec!['=', '=']);
        assert_eq!(&out[m.key_eq[0] - 6..m.key_eq[0]], "runner");
    }

    #[test]
    fn debug_colour_is_noticed() {
        let (_, m) = run("\x1b[37;1mChecking for jobs...no content  \x1b[0;m ");
        assert!(m.debug_colour);
    }

    #[test]
    fn rsyslog_escapes_and_odd_sequences_are_removed() {
        assert_eq!(run("#033[0;33mWARNING: x#033[0;m").0, "WARNING: x");
        assert_eq!(run("a\x1b[1mb#033[0;mc\x1b[0md#033[2Ke").0, "abcde");
        assert_eq!(run("a\x1b[2Kb\x1b[?25lc").0, "abc");
        assert_eq!(run("tail\x1b[").0, "tail");
        assert_eq!(run("lone\x1b").0, "lone");
    }

    #[test]
    fn output_positions_map_back_to_the_input() {
        let line = "\x1b[32mpod\x1b[0m \x1b[33mc\x1b[0m \x1b[31;1mERROR: x";
        let (out, _) = run(line);
        let at = out.find("ERROR").unwrap_or(0);
        let i = input_pos(line, at);
        assert!(line[i..].starts_with("\x1b[31;1mERROR"), "{}", &line[i..]);
        let sys = "host tag: #033[0;33mWARNING: x";
        let (out, _) = run(sys);
        let i = input_pos(sys, out.find("WARNING").unwrap_or(0));
        assert!(sys[i..].starts_with("#033[0;33mWARNING"));
        assert_eq!(input_pos("abc", 9), 3);
    }

    #[test]
    fn plain_text_is_copied() {
        let (out, m) = run("Registration attempt 3 of 30");
        assert_eq!(out, "Registration attempt 3 of 30");
        assert!(!m.had_escape);
    }
}
