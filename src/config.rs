//! The config file (YAML) and its validation.
//!
//! Parsing is strict (`deny_unknown_fields`): a misspelt key is an error
//! that names the key, its line, and the keys allowed there. Validation then
//! reports *every* problem with the path of the field (`rules[2].pattern`)
//! and what to do about it, so `runner-medic check-config` can list them all
//! at once. Nothing downstream sees raw strings: [`Config`] holds compiled
//! values.

pub mod remediation;

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
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
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
        let health = health_config(&file.health, &mut problems);
        let daemon = DaemonSettings::resolve(&DaemonOverrides::default(), file, &mut problems);
        let _ = remediation::resolve(
            &remediation::RemediationOverrides::default(),
            file,
            &daemon.selector,
            &|k| std::env::var(k).ok(),
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        let classifier = Classifier::new(&file.rules).map_err(|e| vec![rule_problem(0, &e)])?;
        Ok(Config { classifier, health })
    }
}

/// Reads and parses a file without validating values.
pub fn read(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    serde_saphyr::from_str(&text).map_err(|e| ConfigError::Syntax {
        path: path.to_owned(),
        message: e.to_string(),
    })
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
    let mut cfg = HealthConfig::default();
    if let Some(w) = &h.fleet_window {
        match parse_duration(w) {
            Ok(d) if d >= Duration::from_secs(10) => cfg.fleet_window = d,
            Ok(_) => problems.push(Problem {
                path: "health.fleet_window".into(),
                message: format!("{w:?} is too short; use at least 10s (default 5m)"),
            }),
            Err(e) => problems.push(Problem {
                path: "health.fleet_window".into(),
                message: e,
            }),
        }
    }
    if let Some(n) = h.fleet_min_runners {
        if n < 2 {
            problems.push(Problem {
                path: "health.fleet_min_runners".into(),
                message: format!("{n} would call a single stale runner a GitLab incident; use 2 or more (default 3)"),
            });
        } else {
            cfg.fleet_min_runners = n;
        }
    }
    if let Some(f) = h.fleet_min_fraction {
        if !(0.0..=1.0).contains(&f) || f.is_nan() {
            problems.push(Problem {
                path: "health.fleet_min_fraction".into(),
                message: format!(
                    "{f} is not a fraction; use a number between 0 and 1 (default 0.5)"
                ),
            });
        } else {
            cfg.fleet_min_fraction = f;
        }
    }
    cfg
}

/// Daemon settings given on the command line or in the environment; they
/// win over the file.
#[derive(Debug, Clone, Default)]
pub struct DaemonOverrides {
    /// `--namespace` (repeatable).
    pub namespaces: Vec<String>,
    /// `--selector`.
    pub selector: Option<String>,
    /// `--container`.
    pub container: Option<String>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--since`.
    pub since: Option<String>,
    /// `--max-streams`.
    pub max_streams: Option<usize>,
    /// `--silence-timeout`.
    pub silence_timeout: Option<String>,
    /// `--max-stream-age`.
    pub max_stream_age: Option<String>,
    /// `--runner-ttl`.
    pub runner_ttl: Option<String>,
    /// `--max-runners`.
    pub max_runners: Option<usize>,
    /// `--state-file`.
    pub state_file: Option<String>,
    /// `--log-format`.
    pub log_format: Option<crate::telemetry::LogFormat>,
    /// `--log-level`.
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
        let namespaces = if o.namespaces.is_empty() {
            w.namespaces.clone().unwrap_or_default()
        } else {
            o.namespaces.clone()
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
        let mut duration =
            |path: &str, flag: &Option<String>, file: &Option<String>, default: u64, min: u64| {
                match flag.as_ref().or(file.as_ref()) {
                    None => Duration::from_secs(default),
                    Some(text) => match parse_duration(text) {
                        Ok(d) if d.as_secs() >= min => d,
                        Ok(_) => {
                            problem(path, format!("{text:?} is too short; use at least {min}s"));
                            Duration::from_secs(default)
                        }
                        Err(e) => {
                            problem(path, e);
                            Duration::from_secs(default)
                        }
                    },
                }
            };
        let since = duration("watch.since", &o.since, &w.since, 3600, 0);
        let silence_timeout = duration(
            "watch.silence_timeout",
            &o.silence_timeout,
            &w.silence_timeout,
            600,
            1,
        );
        let max_stream_age = duration(
            "watch.max_stream_age",
            &o.max_stream_age,
            &w.max_stream_age,
            3600,
            10,
        );
        let runner_ttl = duration("watch.runner_ttl", &o.runner_ttl, &w.runner_ttl, 3600, 0);
        let max_streams = o.max_streams.or(w.max_streams).unwrap_or(500);
        if max_streams == 0 {
            problems.push(Problem {
                path: "watch.max_streams".into(),
                message: "0 would follow nothing; use at least 1 (default 500)".into(),
            });
        }
        let max_runners = o.max_runners.or(w.max_runners).unwrap_or(1000);
        if max_runners == 0 {
            problems.push(Problem {
                path: "watch.max_runners".into(),
                message: "0 would track nothing; use at least 1 (default 1000)".into(),
            });
        }
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
            max_streams: max_streams.max(1),
            silence_timeout,
            max_stream_age,
            runner_ttl,
            max_runners: max_runners.max(1),
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
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
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
            .ok_or_else(bad)?;
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
        assert!(parse_duration("99999999999999999999h").is_err());
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
