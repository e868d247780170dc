//! Removes GitLab tokens from text before it is shown anywhere.
//!
//! Runner logs protect tokens only by shortening them, with exceptions (old
//! unhealthy lines print URL + full token; `gitlab-runner list` prints
//! `Token=`; command lines show `--token`). Everything runner-medic derives
//! from a log line and prints (diagnoses, reports, error messages) goes
//! through [`redact`] first. Runner ids are already cut to 9 characters by
//! [`crate::event::RunnerId`].

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

/// What replaces a token body.
pub const MASK: &str = "[REDACTED]";

static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    // A literal pattern: it cannot fail to compile.
    Regex::new(concat!(
        r"(glrt-|glrtr-|glcbt-|glpat-|gldt-|glptt-|glft-|glimt-|glagent-|glsoat-|glffct-|gltok-|gloas-)[0-9A-Za-z_.=-]+",
        r"|(GR1348941)[0-9A-Za-z_-]{10,}",
        r"|(?i)(--(?:registration-)?token[= ]|\btoken=|\bprivate-token: |\bauthorization: bearer )[0-9A-Za-z_.=-]{8,}",
        // Runners before 16.8 print `Runner <url><full token> is not
        // healthy`: the token is glued to the URL, with or without a slash,
        // so everything token-shaped at the end of the URL goes.
        r#"|(?-i)(\bRunner "?https?://[^\s"]*?)[0-9A-Za-z_-]{10,}("? is (?:not healthy|unhealthy))"#,
    ))
    .unwrap_or_else(|e| unreachable!("{e}"))
});

/// Replaces every token-shaped substring with its prefix and [`MASK`].
pub fn redact(text: &str) -> Cow<'_, str> {
    if !might_hold_token(text) {
        return Cow::Borrowed(text);
    }
    TOKENS.replace_all(text, |c: &regex::Captures<'_>| {
        if let (Some(url), Some(tail)) = (c.get(4), c.get(5)) {
            return format!("{}{MASK}{}", url.as_str(), tail.as_str());
        }
        let prefix = c
            .get(1)
            .or_else(|| c.get(2))
            .or_else(|| c.get(3))
            .map_or("", |m| m.as_str());
        format!("{prefix}{MASK}")
    })
}

fn might_hold_token(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find(b, b"gl").is_some()
        || memchr::memmem::find(b, b"GR1348941").is_some()
        || memchr::memmem::find_iter(b, b"oken").next().is_some()
        || memchr::memmem::find(b, b"OKEN").is_some()
        || memchr::memmem::find(b, b"earer").is_some()
        || memchr::memmem::find(b, b"healthy").is_some()
}

/// A secret (an access or runner token) read from a file or the
/// environment, or issued by GitLab: its `Debug` never shows it, and it is
/// only read through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token (surrounding whitespace removed).
    pub fn new(s: &str) -> Secret {
        Secret(s.trim().to_owned())
    }

    /// The token, to put in a request header (only).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Escapes control characters (C0 but newline and tab, DEL, and C1) as
/// `\u{..}`, so that text taken from files and file names (a report, an
/// error message) cannot drive the terminal it is printed on: no colour
/// change, cursor move, title change or hidden text.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let control = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if control(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_masked_but_prefixes_kept() {
        let s = "Runner https://gitlab.example.comglrt-t1_FAKEfake1FAKEfake2FAKE is not healthy";
        assert_eq!(
            redact(s),
            "Runner https://gitlab.example.[REDACTED] is not healthy"
        );
        assert_eq!(
            redact("pat glpat-FAKEfakeFAKEfakeFAKE x"),
            "pat glpat-[REDACTED] x"
        );
        assert_eq!(redact("GR1348941AbCdEfGhIjKlMn"), "GR1348941[REDACTED]");
        assert_eq!(
            redact("gitlab-runner register --token AbCdEfGhIjKlMnOp"),
            "gitlab-runner register --token [REDACTED]"
        );
        assert_eq!(redact("Token=AbCdEfGhIjKlMnOpQrSt"), "Token=[REDACTED]");
    }

    #[test]
    fn full_tokens_of_old_lockout_lines_are_masked() {
        for (line, want) in [
            (
                "ERROR: Runner \"https://gitlab.example.comFAKEtok1234567890abcd\" is unhealthy and will be disabled for 1h0m0s seconds!",
                "ERROR: Runner \"https://gitlab.example.[REDACTED]\" is unhealthy and will be disabled for 1h0m0s seconds!",
            ),
            (
                "ERROR: Runner https://gitlab.example.com/FAKEtok1234567890abcd is not healthy and will be disabled!",
                "ERROR: Runner https://gitlab.example.com/[REDACTED] is not healthy and will be disabled!",
            ),
        ] {
            assert_eq!(redact(line), want);
        }
        // A short id (16.8 and later) after a slash is not a secret.
        let short = "Runner \"https://gitlab.example.com/xJ8kP2mQa\" is unhealthy";
        assert_eq!(redact(short), short);
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        let s = "Checking for jobs... forbidden runner=HYErDk_6w";
        assert!(matches!(redact(s), Cow::Borrowed(_)));
        assert_eq!(redact("gitlab.example.com"), "gitlab.example.com");
    }

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert!(matches!(escape_controls("plain\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("pod\x1b]0;owned\x07\x1b[2J\u{9b}31m"),
            "pod\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{9b}31m"
        );
    }
}
