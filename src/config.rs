//! The config file (YAML) and its validation.
//!
//! Parsing is strict (`deny_unknown_fields`): a misspelt key is an error
//! that names the key, its line, and the keys allowed there. Validation then
//! reports *every* problem with the path of the field (`rules[2].pattern`)
//! and what to do about it, so `runner-medic check-config` can list them all
//! at once. Nothing downstream sees raw strings: [`Config`] holds compiled
//! values.

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
    fn a_valid_file_compiles_its_rules_first() {
        let f = file("rules:\n  - name: mine\n    class: job_request_forbidden\n    pattern: '^blocked'\nhealth:\n  fleet_window: 2m\n").unwrap();
        let c = Config::from_file(&f).unwrap();
        assert_eq!(c.classifier.rules()[0].name, "mine");
        assert_eq!(c.health.fleet_window, Duration::from_secs(120));
    }
}
