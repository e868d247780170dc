//! The config file (YAML) and its validation.
//!
//! Parsing is strict (`deny_unknown_fields`): a misspelt key is an error
//! that names the key, its line, and the keys allowed there. Validation then
//! reports *every* problem with the path of the field (`rules[2].pattern`)
//! and what to do about it, so `runner-medic check-config` can list them all
//! at once. Nothing downstream sees raw strings: [`Config`] holds compiled
//! values.

#[cfg(test)]
mod proptests;
pub mod ranges;
pub mod remediation;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::classify::{Classifier, RuleError, RuleSpec};
use crate::health::HealthConfig;

/// The config file as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Custom classification rules, tried before the built-in ones.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Health model tunables.
    #[serde(default)]
    pub health: HealthFile,
    /// What the daemon watches.
    #[serde(default)]
    pub watch: WatchFile,
    /// Admin server address (`0.0.0.0:9742`).
    #[serde(default)]
    pub listen: Option<String>,
    /// Process logs.
    #[serde(default)]
    pub log: LogFile,
    /// Remediation (off by default).
    #[serde(default)]
    pub remediation: remediation::RemediationFile,
    /// The Alertmanager webhook.
    #[serde(default)]
    pub webhook: remediation::WebhookFile,
}

/// `watch:` section. Every key can also be given as a flag or a
/// `RUNNER_MEDIC_*` variable, which win over the file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchFile {
    /// Namespaces to watch; empty or absent means all namespaces.
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// Label selector of runner pods (`app=gitlab-runner`).
    #[serde(default)]
    pub selector: Option<String>,
    /// Only this container of each pod.
    #[serde(default)]
    pub container: Option<String>,
    /// Lookback read at start to rebuild health (`1h`).
    #[serde(default)]
    pub since: Option<String>,
    /// Most log streams open at once (500).
    #[serde(default)]
    pub max_streams: Option<usize>,
    /// Reopen a stream silent this long (`10m`).
    #[serde(default)]
    pub silence_timeout: Option<String>,
    /// Reopen streams this old, proactively (`1h`).
    #[serde(default)]
    pub max_stream_age: Option<String>,
    /// Keep a runner's series this long after its pod is gone (`1h`).
    #[serde(default)]
    pub runner_ttl: Option<String>,
    /// Most runners tracked (1000).
    #[serde(default)]
    pub max_runners: Option<usize>,
    /// File keeping read positions across restarts (none: a restart
    /// counts the lookback again).
    #[serde(default)]
    pub state_file: Option<String>,
}

/// `log:` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogFile {
    /// `plain` or `json`.
    #[serde(default)]
    pub format: Option<crate::telemetry::LogFormat>,
    /// An `EnvFilter` directive (`runner_medic=info,warn`).
    #[serde(default)]
    pub level: Option<String>,
}

/// `health:` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthFile {
    /// Runners rejected within this window of each other are one incident
    /// (`5m`).
    #[serde(default)]
    pub fleet_window: Option<String>,
    /// Minimum runners for a fleet-wide incident (3).
    #[serde(default)]
    pub fleet_min_runners: Option<usize>,
    /// Minimum fraction of active runners for a fleet-wide incident (0.5).
    #[serde(default)]
    pub fleet_min_fraction: Option<f64>,
}

/// One problem found in a config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Path of the field, e.g. `rules[2].pattern`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    // The reason is in the message, not a `source`: `{:#}` would print it
    // twice.
    #[error("cannot read config file {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The YAML does not fit the schema.
    #[error("config file {path} is not valid:\n{message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's explanation (with line, column and a snippet).
        message: String,
    },
    /// The values are wrong.
    #[error("config file {path} has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

/// The validated configuration the program runs on.
#[derive(Debug, Clone)]
pub struct Config {
    /// The compiled classifier (custom + built-in rules).
    pub classifier: Classifier,
    /// Health model tunables.
    pub health: HealthConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            classifier: Classifier::builtin(),
            health: HealthConfig::default(),
        }
    }
}

impl Config {
    /// Loads and validates a config file; `None` means built-in defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let file = read(path)?;
        Config::from_file(&file).map_err(|problems| ConfigError::Invalid {
            path: path.to_owned(),
            problems,
        })
    }

    /// Validates a parsed file; returns every problem.
    pub fn from_file(file: &FileConfig) -> Result<Config, Vec<Problem>> {
        let mut problems = Vec::new();
        for (i, spec) in file.rules.iter().enumerate() {
            if let Err(e) = Classifier::new(std::slice::from_ref(spec)) {
                problems.push(rule_problem(i, &e));
            }
            if let Some(j) = file.rules[..i].iter().position(|r| r.name == spec.name) {
                problems.push(Problem {
                    path: format!("rules[{i}].name"),
                    message: format!(
                        "{:?} is already used by rules[{j}]; rule names must be unique",
                        spec.name
                    ),
                });
            }
        }
        let health = check_values(file, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        let classifier = Classifier::new(&file.rules).map_err(|e| vec![rule_problem(0, &e)])?;
        Ok(Config { classifier, health })
    }
}

/// Checks every setting but the rules, as `check-config` does; returns the
/// health tunables.
fn check_values(file: &FileConfig, problems: &mut Vec<Problem>) -> HealthConfig {
    let health = health_config(&file.health, problems);
    let daemon = DaemonSettings::resolve(&DaemonOverrides::default(), file, problems);
    let _ = remediation::resolve(
        &remediation::RemediationOverrides::default(),
        file,
        &daemon.selector,
        &|k| std::env::var(k).ok(),
        problems,
    );
    health
}

/// Reads and parses a file without validating values. Only a regular file
/// of at most [`ranges::MAX_FILE_BYTES`] is read: a FIFO, a device or a
/// directory is refused before it is opened (opening a FIFO would block),
/// and a larger file is refused without being read whole.
pub fn read(path: &Path) -> Result<FileConfig, ConfigError> {
    let bytes = read_small_file(path).map_err(|error| ConfigError::Read {
        path: path.to_owned(),
        error,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError::Read {
        path: path.to_owned(),
        error: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    parse(path, &text)
}

/// Parses a config file's text (`path` only names it in errors).
fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    serde_saphyr::from_str(text).map_err(|e| ConfigError::Syntax {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Reads a regular file of at most [`ranges::MAX_FILE_BYTES`] (a config,
/// token or CA file). Anything else is refused up front, without blocking
/// (a FIFO) and without reading more than the limit (`/dev/zero`, a log
/// file given by mistake). The error says why; the caller names the file.
pub fn read_small_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind};
    let limit = ranges::MAX_FILE_BYTES;
    let too_large = || {
        Error::new(
            ErrorKind::FileTooLarge,
            format!("it is larger than {} (the limit)", show_bytes(limit)),
        )
    };
    // `metadata` follows symbolic links (a Kubernetes Secret volume's files
    // are links to regular files) and opens nothing.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = std::fs::File::open(path)?;
    // The path may have been replaced between the two calls.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(limit)).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

fn not_regular(t: &std::fs::FileType) -> std::io::Error {
    #[cfg(unix)]
    let special = {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            Some("a FIFO")
        } else if t.is_char_device() {
            Some("a character device")
        } else if t.is_block_device() {
            Some("a block device")
        } else if t.is_socket() {
            Some("a socket")
        } else {
            None
        }
    };
    #[cfg(not(unix))]
    let special: Option<&str> = None;
    let what = match special {
        Some(s) => s,
        None if t.is_dir() => "a directory",
        None => "not a regular file",
    };
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {what}; only a regular file is read"),
    )
}

/// `1 MiB`, `64 KiB`, `100 bytes`.
fn show_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

fn rule_problem(i: usize, e: &RuleError) -> Problem {
    let field = match e {
        RuleError::DuplicateName { .. } | RuleError::InvalidName { .. } => "name",
        RuleError::UnknownClass { .. } => "class",
        RuleError::UnknownLevel { .. } => "level",
        RuleError::InvalidStatus { .. } => "status",
        RuleError::Regex { what, .. } => what,
    };
    Problem {
        path: format!("rules[{i}].{field}"),
        message: e.to_string(),
    }
}

fn health_config(h: &HealthFile, problems: &mut Vec<Problem>) -> HealthConfig {
    HealthConfig {
        fleet_window: ranges::FLEET_WINDOW.resolve(h.fleet_window.as_ref(), problems),
        fleet_min_runners: ranges::FLEET_MIN_RUNNERS.resolve_usize(h.fleet_min_runners, problems),
        fleet_min_fraction: ranges::FLEET_MIN_FRACTION.resolve(h.fleet_min_fraction, problems),
    }
}

/// Daemon settings given on the command line or in the environment; they
/// win over the file. Declared here once, with their flags and variables
/// (`cli::DaemonArgs` flattens this struct).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DaemonOverrides {
    /// Namespace to watch (repeatable; none = all namespaces, which needs a
    /// ClusterRole).
    #[arg(
        long = "namespace",
        short = 'n',
        value_name = "NS",
        env = "RUNNER_MEDIC_NAMESPACE",
        value_delimiter = ','
    )]
    pub namespaces: Vec<String>,
    /// Label selector of runner pods [default: app=gitlab-runner].
    #[arg(
        long,
        short = 'l',
        value_name = "SELECTOR",
        env = "RUNNER_MEDIC_SELECTOR"
    )]
    pub selector: Option<String>,
    /// Follow only this container of each pod [default: every container].
    #[arg(long, value_name = "NAME", env = "RUNNER_MEDIC_CONTAINER")]
    pub container: Option<String>,
    /// Admin server address (/metrics, /livez, /readyz, /) [default: 0.0.0.0:9742].
    #[arg(long, value_name = "ADDR", env = "RUNNER_MEDIC_LISTEN")]
    pub listen: Option<String>,
    /// How much log history to read at start, to rebuild health after a
    /// restart [default: 1h].
    #[arg(long, value_name = "DURATION", env = "RUNNER_MEDIC_SINCE")]
    pub since: Option<String>,
    /// Most container log streams open at once [default: 500].
    #[arg(long, value_name = "N", env = "RUNNER_MEDIC_MAX_STREAMS")]
    pub max_streams: Option<usize>,
    /// Reopen a log stream that sent nothing for this long [default: 10m].
    #[arg(long, value_name = "DURATION", env = "RUNNER_MEDIC_SILENCE_TIMEOUT")]
    pub silence_timeout: Option<String>,
    /// Reopen log streams this old, proactively [default: 1h].
    #[arg(long, value_name = "DURATION", env = "RUNNER_MEDIC_MAX_STREAM_AGE")]
    pub max_stream_age: Option<String>,
    /// Keep a runner's metrics this long after its pod is gone [default: 1h].
    #[arg(long, value_name = "DURATION", env = "RUNNER_MEDIC_RUNNER_TTL")]
    pub runner_ttl: Option<String>,
    /// Most runners tracked; more are counted and refused [default: 1000].
    #[arg(long, value_name = "N", env = "RUNNER_MEDIC_MAX_RUNNERS")]
    pub max_runners: Option<usize>,
    /// Keep log read positions in this file, so that a restart counts no
    /// line twice (put it on a writable volume) [default: none].
    #[arg(long, value_name = "PATH", env = "RUNNER_MEDIC_STATE_FILE")]
    pub state_file: Option<String>,
    /// Log format of runner-medic's own logs [default: plain].
    #[arg(long, value_enum, env = "RUNNER_MEDIC_LOG_FORMAT")]
    pub log_format: Option<crate::telemetry::LogFormat>,
    /// Log filter, e.g. `info` or `runner_medic=debug,warn`.
    #[arg(long, value_name = "FILTER", env = "RUNNER_MEDIC_LOG")]
    pub log_level: Option<String>,
}

/// The daemon's validated settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonSettings {
    /// Namespaces (empty: all).
    pub namespaces: Vec<String>,
    /// Label selector.
    pub selector: String,
    /// Container filter.
    pub container: Option<String>,
    /// Admin address.
    pub listen: std::net::SocketAddr,
    /// Lookback.
    pub since: Duration,
    /// Stream cap.
    pub max_streams: usize,
    /// Silence timeout.
    pub silence_timeout: Duration,
    /// Maximum stream age.
    pub max_stream_age: Duration,
    /// Runner TTL after its pod is gone.
    pub runner_ttl: Duration,
    /// Runner cap.
    pub max_runners: usize,
    /// Read positions file.
    pub state_file: Option<std::path::PathBuf>,
    /// Log format.
    pub log_format: crate::telemetry::LogFormat,
    /// Log filter.
    pub log_level: String,
}

impl DaemonSettings {
    /// Flags and environment over the file over defaults; every problem is
    /// added to `problems` with the field's path.
    pub fn resolve(
        o: &DaemonOverrides,
        f: &FileConfig,
        problems: &mut Vec<Problem>,
    ) -> DaemonSettings {
        let w = &f.watch;
        let mut problem = |path: &str, message: String| {
            problems.push(Problem {
                path: path.into(),
                message,
            })
        };
        // `--namespace ''` (or an empty RUNNER_MEDIC_NAMESPACE) names none.
        let flagged: Vec<String> = o
            .namespaces
            .iter()
            .filter(|n| !n.is_empty())
            .cloned()
            .collect();
        let namespaces = if flagged.is_empty() {
            w.namespaces.clone().unwrap_or_default()
        } else {
            flagged
        };
        for (i, ns) in namespaces.iter().enumerate() {
            if !is_dns_label(ns) {
                problem(
                    &format!("watch.namespaces[{i}]"),
                    format!(
                        "{ns:?} is not a namespace name (lowercase letters, digits and '-', at most 63)"
                    ),
                );
            }
        }
        let selector = o
            .selector
            .clone()
            .or_else(|| w.selector.clone())
            .unwrap_or_else(|| "app=gitlab-runner".into());
        if let Err(e) = check_selector(&selector) {
            problem("watch.selector", e);
        }
        let container = o.container.clone().or_else(|| w.container.clone());
        let listen_text = o
            .listen
            .clone()
            .or_else(|| f.listen.clone())
            .unwrap_or_else(|| "0.0.0.0:9742".into());
        let listen = listen_text.parse().unwrap_or_else(|_| {
            problem(
                "listen",
                format!("{listen_text:?} is not an address; write IP:PORT, e.g. 0.0.0.0:9742"),
            );
            std::net::SocketAddr::from(([0, 0, 0, 0], 9742))
        });
        let since = ranges::SINCE.resolve(o.since.as_ref().or(w.since.as_ref()), problems);
        let silence_timeout = ranges::SILENCE_TIMEOUT.resolve(
            o.silence_timeout.as_ref().or(w.silence_timeout.as_ref()),
            problems,
        );
        let max_stream_age = ranges::MAX_STREAM_AGE.resolve(
            o.max_stream_age.as_ref().or(w.max_stream_age.as_ref()),
            problems,
        );
        let runner_ttl =
            ranges::RUNNER_TTL.resolve(o.runner_ttl.as_ref().or(w.runner_ttl.as_ref()), problems);
        let max_streams =
            ranges::MAX_STREAMS.resolve_usize(o.max_streams.or(w.max_streams), problems);
        let max_runners =
            ranges::MAX_RUNNERS.resolve_usize(o.max_runners.or(w.max_runners), problems);
        let state_file = o
            .state_file
            .clone()
            .or_else(|| w.state_file.clone())
            .filter(|p| !p.is_empty());
        if let Some(p) = &state_file
            && (p.ends_with('/') || std::path::Path::new(p).file_name().is_none())
        {
            problems.push(Problem {
                path: "watch.state_file".into(),
                message: format!(
                    "{p:?} names a directory; name a file in a writable volume, e.g. /var/lib/runner-medic/positions.json"
                ),
            });
        }
        let log_level = o
            .log_level
            .clone()
            .or_else(|| f.log.level.clone())
            .unwrap_or_else(|| crate::telemetry::DEFAULT_FILTER.into());
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_level) {
            problems.push(Problem {
                path: "log.level".into(),
                message: format!(
                    "{log_level:?} is not a log filter ({e}); e.g. info or runner_medic=debug,warn"
                ),
            });
        }
        DaemonSettings {
            namespaces,
            selector,
            container,
            listen,
            since,
            max_streams,
            silence_timeout,
            max_stream_age,
            runner_ttl,
            max_runners,
            state_file: state_file.map(Into::into),
            log_format: o.log_format.or(f.log.format).unwrap_or_default(),
            log_level,
        }
    }
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A light check of label selector syntax (the API server has the last word).
fn check_selector(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Err("an empty selector would follow every pod; use e.g. app=gitlab-runner".into());
    }
    let balanced = s.matches('(').count() == s.matches(')').count();
    let bad_char = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || " =!,()-_./".contains(*c)));
    match (balanced, bad_char) {
        (false, _) => Err(format!("{s:?} has unbalanced parentheses")),
        (_, Some(c)) => Err(format!(
            "{s:?} contains {c:?}, which a label selector cannot"
        )),
        _ => Ok(()),
    }
}

/// Parses durations such as `90s`, `5m`, `1h30m`, `2d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad =
        || format!("{s:?} is not a duration; write a number with a unit, e.g. 30s, 5m, 1h30m");
    // Refused rather than saturated: no setting is near this long.
    let too_long = || format!("{s:?} is too long to be a duration");
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        // Only digits: a parse error is an overflow.
        let n: u64 = rest[..digits].parse().map_err(|_| too_long())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(scale)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(too_long)?;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(yaml: &str) -> Result<FileConfig, String> {
        serde_saphyr::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5 minutes").is_err());
        // Refused rather than saturated or wrapped.
        for huge in [
            "99999999999999999999h",
            "18446744073709551615h",
            "213503982334602d",
            "18446744073709551615s1s",
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(e.contains("too long"), "{huge}: {e}");
        }
        assert_eq!(
            parse_duration("18446744073709551615s"),
            Ok(Duration::from_secs(u64::MAX)),
            "parsed; each setting's range refuses it"
        );
    }

    /// Values `check-config` used to accept and that made the daemon's
    /// tasks panic (`Instant + Duration` overflow, `1 / rate`, a zero
    /// interval) are refused, each with its path, range and default.
    #[test]
    fn every_setting_outside_its_range_is_refused_with_path_range_and_default() {
        let f = file(
            "watch:\n  since: 18446744073709551615s\n  silence_timeout: 213503982334600d\n  max_stream_age: 9s\n  runner_ttl: 8d\n  max_streams: 100001\n  max_runners: 18446744073709551615\nhealth:\n  fleet_window: 2d\n  fleet_min_runners: 1000000\n  fleet_min_fraction: .nan\nremediation:\n  for: 8d\n  min_forbidden: 10001\n  cooldown: 31d\n  max_attempts: 21\n  attempt_window: 59s\n  max_failures: 0\n  verify_timeout: 2h\n  interval: 0s\n  gitlab:\n    rate: 1e-300\n    timeout: 11m\n    clock_skew: 6m\n    recheck: 2h\n",
        )
        .unwrap();
        let problems = Config::from_file(&f).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "health.fleet_window",
                "health.fleet_min_runners",
                "health.fleet_min_fraction",
                "watch.since",
                "watch.silence_timeout",
                "watch.max_stream_age",
                "watch.runner_ttl",
                "watch.max_streams",
                "watch.max_runners",
                "remediation.for",
                "remediation.min_forbidden",
                "remediation.cooldown",
                "remediation.max_attempts",
                "remediation.attempt_window",
                "remediation.max_failures",
                "remediation.verify_timeout",
                "remediation.interval",
                "remediation.gitlab.rate",
                "remediation.gitlab.timeout",
                "remediation.gitlab.clock_skew",
                "remediation.gitlab.recheck",
            ]
        );
        for p in &problems {
            let s = ranges::ALL.iter().find(|s| s.path() == p.path).unwrap();
            let (range, default) = match s {
                ranges::Setting::Duration(b) => (b.range(), ranges::show_duration(b.default)),
                ranges::Setting::Count(b) => (b.range(), b.default.to_string()),
                ranges::Setting::Real(b) => (b.range(), b.default.to_string()),
            };
            assert!(
                p.message.contains(&range) && p.message.contains(&format!("(default {default})")),
                "{p}"
            );
        }
        // The edges are accepted.
        let f = file(
            "watch:\n  since: 7d\n  silence_timeout: 1s\n  max_stream_age: 10s\n  runner_ttl: 0s\n  max_streams: 100000\n  max_runners: 1\nhealth:\n  fleet_window: 24h\n  fleet_min_runners: 2\n  fleet_min_fraction: 0\nremediation:\n  for: 0s\n  min_forbidden: 10000\n  cooldown: 30d\n  max_attempts: 20\n  attempt_window: 1m\n  max_failures: 1\n  verify_timeout: 1h\n  interval: 1s\n  gitlab:\n    rate: 0.01\n    timeout: 10m\n    clock_skew: 5m\n    recheck: 0s\n",
        )
        .unwrap();
        Config::from_file(&f).unwrap();
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rm-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Refused at once, naming the file and why.
    fn refused_quickly(path: &Path, why: &str) {
        let started = std::time::Instant::now();
        let e = read(path).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.contains(&path.display().to_string()) && e.contains(why),
            "{e}"
        );
    }

    #[test]
    fn a_config_file_larger_than_the_limit_is_refused() {
        let dir = scratch("large");
        let path = dir.join("big.yaml");
        let mut text = "rules: []\n".to_owned();
        text.push_str(&"# padding\n".repeat(110_000));
        std::fs::write(&path, &text).unwrap();
        refused_quickly(&path, "larger than 1 MiB");
        // Exactly at the limit is read.
        let mut text = "rules: []\n".to_owned();
        text.push_str(&"#".repeat(ranges::MAX_FILE_BYTES as usize - text.len() - 1));
        text.push('\n');
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read(&path).unwrap(), FileConfig::default());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn special_files_are_refused_without_blocking() {
        let dir = scratch("special");
        refused_quickly(&dir, "a directory");
        #[cfg(target_os = "linux")]
        {
            refused_quickly(Path::new("/dev/zero"), "a character device");
            refused_quickly(Path::new("/dev/null"), "a character device");
        }
        #[cfg(unix)]
        {
            let fifo = dir.join("config.fifo");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success());
            if made {
                // Opening it would block until a writer came.
                refused_quickly(&fifo, "a FIFO");
            } else {
                eprintln!("no mkfifo: the FIFO case is not tested");
            }
            // Through a symbolic link, the target is what counts.
            let link = dir.join("link.yaml");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            refused_quickly(&link, "only a regular file is read");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let e = file("rules:\n  - name: a\n    class: other\n    patern: x\n").unwrap_err();
        assert!(
            e.contains("unknown field `patern`") && e.contains("line 4"),
            "{e}"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let f = file(
            "rules:\n  - {name: ok, class: other, pattern: '^a'}\n  - {name: bad, class: other, pattern: '(x'}\n  - {name: ok, class: nope, pattern: 'b'}\nhealth:\n  fleet_window: soon\n  fleet_min_runners: 1\n  fleet_min_fraction: 2\n",
        )
        .unwrap();
        let problems = Config::from_file(&f).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "rules[1].pattern",
                "rules[2].class",
                "rules[2].name",
                "health.fleet_window",
                "health.fleet_min_runners",
                "health.fleet_min_fraction"
            ]
        );
        assert!(
            problems[0].message.contains("rule \"bad\""),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn daemon_settings_take_flags_over_the_file_over_defaults() {
        let f = file("watch:\n  namespaces: [gitlab-runner]\n  selector: app=runner\n  since: 30m\nlisten: 127.0.0.1:9000\n").unwrap();
        let mut problems = Vec::new();
        let d = DaemonSettings::resolve(&DaemonOverrides::default(), &f, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(d.namespaces, vec!["gitlab-runner"]);
        assert_eq!(
            (d.selector.as_str(), d.since),
            ("app=runner", Duration::from_secs(1800))
        );
        assert_eq!(d.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(d.max_streams, 500);
        let o = DaemonOverrides {
            namespaces: vec!["ci".into()],
            selector: Some("app=gitlab-runner".into()),
            ..Default::default()
        };
        let d = DaemonSettings::resolve(&o, &f, &mut problems);
        assert_eq!(
            (d.namespaces, d.selector.as_str()),
            (vec!["ci".to_owned()], "app=gitlab-runner")
        );
    }

    #[test]
    fn bad_daemon_settings_are_named() {
        let f = file("watch:\n  namespaces: [Bad_NS]\n  selector: 'app=(x'\n  since: soon\n  max_streams: 0\n  state_file: /var/lib/\nlisten: nowhere\nlog:\n  level: 'runner_medic=loud'\n").unwrap();
        let problems = Config::from_file(&f).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "watch.namespaces[0]",
                "watch.selector",
                "listen",
                "watch.since",
                "watch.max_streams",
                "watch.state_file",
                "log.level"
            ]
        );
    }

    #[test]
    fn a_valid_file_compiles_its_rules_first() {
        let f = file("rules:\n  - name: mine\n    class: job_request_forbidden\n    pattern: '^blocked'\nhealth:\n  fleet_window: 2m\n").unwrap();
        let c = Config::from_file(&f).unwrap();
        assert_eq!(c.classifier.rules()[0].name, "mine");
        assert_eq!(c.health.fleet_window, Duration::from_secs(120));
    }
}
