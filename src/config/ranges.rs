//! The accepted range and the default of every duration, rate and count
//! setting, and the size limits of the files the configuration reads.
//!
//! A value outside its range is refused when the configuration is resolved
//! (`check-config`, `watch`), with the field's path, the range and the
//! default: the daemon's timers, rate limiter and tables never see a value
//! that would overflow their arithmetic (`Instant + Duration`, `1 / rate`,
//! `tokio::time::interval`) or that makes no sense (a zero cap). The
//! README's table of ranges is checked against [`ALL`].

use std::time::Duration;

use super::{Problem, parse_duration};

const MIN: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The range and default of one setting, and what its ends mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds<T> {
    /// The field's path in the config file (`watch.since`).
    pub path: &'static str,
    /// The smallest accepted value.
    pub min: T,
    /// The largest accepted value.
    pub max: T,
    /// The value when none is given (always within `min..=max`).
    pub default: T,
    /// Why a value below `min` is refused (empty: no more to say).
    pub low: &'static str,
    /// Why a value above `max` is refused (empty: no more to say).
    pub high: &'static str,
}

const fn secs(path: &'static str, min: u64, max: u64, default: u64) -> Bounds<Duration> {
    Bounds {
        path,
        min: Duration::from_secs(min),
        max: Duration::from_secs(max),
        default: Duration::from_secs(default),
        low: "",
        high: "",
    }
}

const fn count(path: &'static str, min: u64, max: u64, default: u64) -> Bounds<u64> {
    Bounds {
        path,
        min,
        max,
        default,
        low: "",
        high: "",
    }
}

impl<T: Copy> Bounds<T> {
    const fn low(self, why: &'static str) -> Self {
        Bounds { low: why, ..self }
    }

    const fn high(self, why: &'static str) -> Self {
        Bounds { high: why, ..self }
    }
}

/// `watch.since`: the log history read at start.
pub const SINCE: Bounds<Duration> = secs("watch.since", 0, 7 * DAY, HOUR);
/// `watch.silence_timeout`: a stream silent this long is reopened.
pub const SILENCE_TIMEOUT: Bounds<Duration> = secs("watch.silence_timeout", 1, DAY, 10 * MIN);
/// `watch.max_stream_age`: streams this old are reopened.
pub const MAX_STREAM_AGE: Bounds<Duration> = secs("watch.max_stream_age", 10, 7 * DAY, HOUR);
/// `watch.runner_ttl`: a runner's series outlive its pod this long.
pub const RUNNER_TTL: Bounds<Duration> = secs("watch.runner_ttl", 0, 7 * DAY, HOUR);
/// `watch.max_streams`: log streams open at once.
pub const MAX_STREAMS: Bounds<u64> =
    count("watch.max_streams", 1, 100_000, 500).low("it would follow nothing");
/// `watch.max_runners`: runners tracked.
pub const MAX_RUNNERS: Bounds<u64> =
    count("watch.max_runners", 1, 100_000, 1000).low("it would track nothing");
/// `health.fleet_window`: rejections this close together are one incident.
pub const FLEET_WINDOW: Bounds<Duration> = secs("health.fleet_window", 10, DAY, 5 * MIN);
/// `health.fleet_min_runners`: runners in a fleet-wide incident.
pub const FLEET_MIN_RUNNERS: Bounds<u64> = count("health.fleet_min_runners", 2, 100_000, 3)
    .low("it would call a single stale runner a GitLab incident");
/// `health.fleet_min_fraction`: share of active runners in a fleet-wide
/// incident.
pub const FLEET_MIN_FRACTION: Bounds<f64> = Bounds {
    path: "health.fleet_min_fraction",
    min: 0.0,
    max: 1.0,
    default: 0.5,
    low: "it is not a fraction",
    high: "it is not a fraction",
};
/// `remediation.for`: how long a runner is rejected before it is acted on.
pub const FOR: Bounds<Duration> = secs("remediation.for", 0, 7 * DAY, 5 * MIN);
/// `remediation.min_forbidden`: 403s before acting.
pub const MIN_FORBIDDEN: Bounds<u64> = count("remediation.min_forbidden", 1, 10_000, 3)
    .low("it would act on a runner that was never rejected");
/// `remediation.cooldown`: between two attempts on a workload.
pub const COOLDOWN: Bounds<Duration> = secs("remediation.cooldown", 0, 30 * DAY, 30 * MIN);
/// `remediation.max_attempts`: attempts per workload per window. At most
/// 20: the history keeps a workload's last 20 attempts, so a larger cap
/// could never be reached.
pub const MAX_ATTEMPTS: Bounds<u64> = count("remediation.max_attempts", 1, 20, 3)
    .high("the history keeps a workload's last 20 attempts, so more could never be counted");
/// `remediation.attempt_window`: the window of `max_attempts` and
/// `max_failures`.
pub const ATTEMPT_WINDOW: Bounds<Duration> = secs("remediation.attempt_window", MIN, 30 * DAY, DAY);
/// `remediation.max_failures`: failures in the window that open the
/// circuit breaker (at most 20, as `max_attempts`).
pub const MAX_FAILURES: Bounds<u64> = count("remediation.max_failures", 1, 20, 2)
    .high("the history keeps a workload's last 20 attempts, so more could never be counted");
/// `remediation.verify_timeout`: how long the new runner has to poll.
pub const VERIFY_TIMEOUT: Bounds<Duration> = secs("remediation.verify_timeout", 5, HOUR, 3 * MIN);
/// `remediation.interval`: how often candidates are evaluated.
pub const INTERVAL: Bounds<Duration> = secs("remediation.interval", 1, HOUR, 5);
/// `remediation.gitlab.rate`: requests per second to GitLab.
pub const GITLAB_RATE: Bounds<f64> = Bounds {
    path: "remediation.gitlab.rate",
    min: 0.01,
    max: 100.0,
    default: 1.0,
    low: "",
    high: "",
};
/// `remediation.gitlab.timeout`: one request to GitLab.
pub const GITLAB_TIMEOUT: Bounds<Duration> = secs("remediation.gitlab.timeout", 1, 10 * MIN, 30);
/// `remediation.gitlab.clock_skew`: GitLab's clock against the nodes'.
pub const CLOCK_SKEW: Bounds<Duration> = secs("remediation.gitlab.clock_skew", 0, 5 * MIN, 10)
    .high("more would hide a runner that GitLab still hears from; keep the clocks in sync (NTP)");
/// `remediation.gitlab.recheck`: reuse of GitLab's answers by decisions
/// that do not act.
pub const RECHECK: Bounds<Duration> = secs("remediation.gitlab.recheck", 0, HOUR, 5 * MIN);

/// The most bytes read from a config file, a token file or a CA file
/// (1 MiB): reading `/dev/zero` or a log file by mistake fails at once.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The fewest characters of the Alertmanager webhook token.
pub const WEBHOOK_TOKEN_MIN_CHARS: usize = 16;

/// One bounded setting, whatever its type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Setting {
    /// A duration.
    Duration(Bounds<Duration>),
    /// A whole number.
    Count(Bounds<u64>),
    /// A real number.
    Real(Bounds<f64>),
}

/// Every bounded setting, in the README's order.
pub const ALL: &[Setting] = &[
    Setting::Duration(SINCE),
    Setting::Count(MAX_STREAMS),
    Setting::Duration(SILENCE_TIMEOUT),
    Setting::Duration(MAX_STREAM_AGE),
    Setting::Duration(RUNNER_TTL),
    Setting::Count(MAX_RUNNERS),
    Setting::Duration(FOR),
    Setting::Count(MIN_FORBIDDEN),
    Setting::Duration(COOLDOWN),
    Setting::Count(MAX_ATTEMPTS),
    Setting::Duration(ATTEMPT_WINDOW),
    Setting::Count(MAX_FAILURES),
    Setting::Duration(VERIFY_TIMEOUT),
    Setting::Duration(INTERVAL),
    Setting::Real(GITLAB_RATE),
    Setting::Duration(GITLAB_TIMEOUT),
    Setting::Duration(CLOCK_SKEW),
    Setting::Duration(RECHECK),
    Setting::Duration(FLEET_WINDOW),
    Setting::Count(FLEET_MIN_RUNNERS),
    Setting::Real(FLEET_MIN_FRACTION),
];

impl Setting {
    /// The field's path.
    pub fn path(&self) -> &'static str {
        match self {
            Setting::Duration(b) => b.path,
            Setting::Count(b) => b.path,
            Setting::Real(b) => b.path,
        }
    }

    /// The README's row: `` | `path` | min – max | default | ``.
    pub fn row(&self) -> String {
        let (min, max, default) = match self {
            Setting::Duration(b) => (
                show_duration(b.min),
                show_duration(b.max),
                show_duration(b.default),
            ),
            Setting::Count(b) => (b.min.to_string(), b.max.to_string(), b.default.to_string()),
            Setting::Real(b) => (show_real(b.min), show_real(b.max), show_real(b.default)),
        };
        format!("| `{}` | {min} – {max} | {default} |", self.path())
    }
}

/// A duration as the config file writes it: `0s`, `90s`, `10m`, `7d`.
pub fn show_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "0s".into(),
        s if s % DAY == 0 => format!("{}d", s / DAY),
        s if s % HOUR == 0 => format!("{}h", s / HOUR),
        s if s % MIN == 0 => format!("{}m", s / MIN),
        s => format!("{s}s"),
    }
}

/// `too_low`: `None` when the value is not a number (NaN).
fn refuse<T>(
    b: &Bounds<T>,
    shown: &str,
    too_low: Option<bool>,
    range: String,
    default: String,
) -> Problem {
    let (what, why) = match too_low {
        Some(true) => ("too small", b.low),
        Some(false) => ("too large", b.high),
        None => ("not a number", ""),
    };
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    };
    Problem {
        path: b.path.into(),
        message: format!("{shown} is {what}{why}; use {range} (default {default})"),
    }
}

impl Bounds<Duration> {
    /// `a to b`.
    pub fn range(&self) -> String {
        format!("{} to {}", show_duration(self.min), show_duration(self.max))
    }

    /// The value given (a flag's or the file's text), parsed and checked;
    /// the default when none is given or it is refused (then a problem is
    /// added).
    pub fn resolve(&self, given: Option<&String>, problems: &mut Vec<Problem>) -> Duration {
        let Some(text) = given else {
            return self.default;
        };
        match parse_duration(text) {
            Ok(d) if (self.min..=self.max).contains(&d) => d,
            Ok(d) => {
                problems.push(refuse(
                    self,
                    &format!("{text:?}"),
                    Some(d < self.min),
                    self.range(),
                    show_duration(self.default),
                ));
                self.default
            }
            Err(e) => {
                problems.push(Problem {
                    path: self.path.into(),
                    message: format!(
                        "{e}; accepted: {} (default {})",
                        self.range(),
                        show_duration(self.default)
                    ),
                });
                self.default
            }
        }
    }

    /// Whether `d` is accepted.
    pub fn contains(&self, d: Duration) -> bool {
        (self.min..=self.max).contains(&d)
    }
}

impl Bounds<u64> {
    /// `a to b`.
    pub fn range(&self) -> String {
        format!("{} to {}", self.min, self.max)
    }

    /// The value given, checked; the default when none is given or it is
    /// refused (then a problem is added).
    pub fn resolve(&self, given: Option<u64>, problems: &mut Vec<Problem>) -> u64 {
        let Some(v) = given else {
            return self.default;
        };
        if self.contains(v) {
            return v;
        }
        problems.push(refuse(
            self,
            &v.to_string(),
            Some(v < self.min),
            self.range(),
            self.default.to_string(),
        ));
        self.default
    }

    /// [`Self::resolve`] for a `usize` setting.
    pub fn resolve_usize(&self, given: Option<usize>, problems: &mut Vec<Problem>) -> usize {
        let given = given.map(|n| u64::try_from(n).unwrap_or(u64::MAX));
        // Every maximum is far below `usize::MAX`.
        usize::try_from(self.resolve(given, problems)).unwrap_or(usize::MAX)
    }

    /// Whether `n` is accepted.
    pub fn contains(&self, n: u64) -> bool {
        (self.min..=self.max).contains(&n)
    }
}

/// A real number, short: `0.5`, `100`, `1e-300`, `NaN`.
fn show_real(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-6..1e15).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

impl Bounds<f64> {
    /// `a to b`.
    pub fn range(&self) -> String {
        format!("{} to {}", show_real(self.min), show_real(self.max))
    }

    /// The value given, checked (NaN is refused); the default when none is
    /// given or it is refused (then a problem is added).
    pub fn resolve(&self, given: Option<f64>, problems: &mut Vec<Problem>) -> f64 {
        let Some(v) = given else {
            return self.default;
        };
        if self.contains(v) {
            return v;
        }
        problems.push(refuse(
            self,
            &show_real(v),
            (!v.is_nan()).then_some(v < self.min),
            self.range(),
            show_real(self.default),
        ));
        self.default
    }

    /// Whether `v` is accepted (never NaN).
    pub fn contains(&self, v: f64) -> bool {
        (self.min..=self.max).contains(&v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_within_its_range_and_is_the_one_the_daemon_uses() {
        for s in ALL {
            let ok = match s {
                Setting::Duration(b) => b.min <= b.default && b.default <= b.max,
                Setting::Count(b) => b.min <= b.default && b.default <= b.max,
                Setting::Real(b) => b.min <= b.default && b.default <= b.max,
            };
            assert!(ok, "{}", s.row());
        }
        let p = crate::remediate::policy::Policy::default();
        assert_eq!(
            (p.for_, p.cooldown, p.attempt_window, p.verify_timeout),
            (
                FOR.default,
                COOLDOWN.default,
                ATTEMPT_WINDOW.default,
                VERIFY_TIMEOUT.default
            )
        );
        assert_eq!(
            (
                p.min_forbidden,
                p.max_attempts as u64,
                p.max_failures as u64
            ),
            (
                MIN_FORBIDDEN.default,
                MAX_ATTEMPTS.default,
                MAX_FAILURES.default
            )
        );
        let h = crate::health::HealthConfig::default();
        assert_eq!(h.fleet_window, FLEET_WINDOW.default);
        assert_eq!(h.fleet_min_runners as u64, FLEET_MIN_RUNNERS.default);
        assert_eq!(h.fleet_min_fraction, FLEET_MIN_FRACTION.default);
        let f = crate::source::follow::FollowConfig::default();
        assert_eq!(
            (f.lookback, f.silence_timeout, f.max_age),
            (
                SINCE.default,
                SILENCE_TIMEOUT.default,
                MAX_STREAM_AGE.default
            )
        );
    }

    #[test]
    fn paths_are_unique() {
        for (i, s) in ALL.iter().enumerate() {
            assert!(
                ALL[..i].iter().all(|t| t.path() != s.path()),
                "{}",
                s.path()
            );
        }
    }

    /// The README states every range as the code enforces it.
    #[test]
    fn the_readme_states_every_range() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let section = readme
            .split_once("## Configuration")
            .and_then(|(_, rest)| rest.split_once("\n## "))
            .map(|(section, _)| section)
            .unwrap();
        for s in ALL {
            assert!(
                section.contains(&s.row()),
                "the README's Configuration section lacks the row\n{}",
                s.row()
            );
        }
    }

    #[test]
    fn messages_name_the_range_and_the_default() {
        let mut problems = Vec::new();
        let text = "18446744073709551615s".to_owned();
        assert_eq!(SINCE.resolve(Some(&text), &mut problems), SINCE.default);
        let text = "0s".to_owned();
        assert_eq!(
            INTERVAL.resolve(Some(&text), &mut problems),
            INTERVAL.default
        );
        let text = "6m".to_owned();
        CLOCK_SKEW.resolve(Some(&text), &mut problems);
        let text = "99999999999999999999h".to_owned();
        RECHECK.resolve(Some(&text), &mut problems);
        assert_eq!(GITLAB_RATE.resolve(Some(1e-300), &mut problems), 1.0);
        GITLAB_RATE.resolve(Some(f64::NAN), &mut problems);
        assert_eq!(MAX_STREAMS.resolve_usize(Some(0), &mut problems), 500);
        MAX_ATTEMPTS.resolve_usize(Some(21), &mut problems);
        let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            shown,
            vec![
                "watch.since: \"18446744073709551615s\" is too large; use 0s to 7d (default 1h)",
                "remediation.interval: \"0s\" is too small; use 1s to 1h (default 5s)",
                "remediation.gitlab.clock_skew: \"6m\" is too large (more would hide a runner that GitLab still hears from; keep the clocks in sync (NTP)); use 0s to 5m (default 10s)",
                "remediation.gitlab.recheck: \"99999999999999999999h\" is too long to be a duration; accepted: 0s to 1h (default 5m)",
                "remediation.gitlab.rate: 1e-300 is too small; use 0.01 to 100 (default 1)",
                "remediation.gitlab.rate: NaN is not a number; use 0.01 to 100 (default 1)",
                "watch.max_streams: 0 is too small (it would follow nothing); use 1 to 100000 (default 500)",
                "remediation.max_attempts: 21 is too large (the history keeps a workload's last 20 attempts, so more could never be counted); use 1 to 20 (default 3)",
            ]
        );
    }
}
