//! The `remediation:` and `webhook:` sections, their flags and variables,
//! validated into a [`RemediationConfig`]. Secrets come from files or the
//! environment only, never from a flag value, and never appear in an error.

use std::path::PathBuf;

use serde::Deserialize;

use super::{FileConfig, Problem, ranges, read_small_file};
use crate::remediate::RemediationConfig;
use crate::remediate::gitlab::{GitlabConfig, RunnerScope, Secret};
use crate::remediate::history::{RunnerSettings, WorkloadKey};
use crate::remediate::lease::LeaseConfig;
use crate::remediate::policy::{Mode, Policy, RestartMethod, Strategy};

/// `remediation:` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemediationFile {
    /// `off` (default), `dry-run` or `on`.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// `restart` (default), `reregister`, `rotate` or `recreate`.
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// `delete` (default) or `rollout`.
    #[serde(default)]
    pub restart_method: Option<RestartMethod>,
    /// How long a runner must be rejected (`5m`).
    #[serde(default, rename = "for")]
    pub for_: Option<String>,
    /// Minimum 403s (3).
    #[serde(default)]
    pub min_forbidden: Option<u64>,
    /// Per-workload cooldown (`30m`).
    #[serde(default)]
    pub cooldown: Option<String>,
    /// Attempts per window (3).
    #[serde(default)]
    pub max_attempts: Option<usize>,
    /// The window (`24h`).
    #[serde(default)]
    pub attempt_window: Option<String>,
    /// Failed attempts in the window that open the circuit breaker (2).
    #[serde(default)]
    pub max_failures: Option<usize>,
    /// Verification timeout (`3m`).
    #[serde(default)]
    pub verify_timeout: Option<String>,
    /// How often candidates are evaluated (`5s`).
    #[serde(default)]
    pub interval: Option<String>,
    /// Secret key of the runner token (`runner-token`).
    #[serde(default)]
    pub secret_key: Option<String>,
    /// The runner's container in its pods. Default: the container named
    /// like the workload (the gitlab-runner chart names both after the
    /// release). Lines from any other container never count toward an action.
    #[serde(default)]
    pub runner_container: Option<String>,
    /// GitLab access.
    #[serde(default)]
    pub gitlab: GitlabFile,
    /// Leader election.
    #[serde(default)]
    pub lease: LeaseFile,
    /// `recreate`: the settings of each workload's runner
    /// (`"<namespace>/<workload>"`), used when none were captured from
    /// GitLab while the runner was healthy.
    #[serde(default)]
    pub recreate_settings:
        std::collections::BTreeMap<String, crate::remediate::history::RunnerSettings>,
}

/// `remediation.gitlab:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GitlabFile {
    /// `https://gitlab.example.com`.
    #[serde(default)]
    pub url: Option<String>,
    /// File holding the access token (or set RUNNER_MEDIC_GITLAB_TOKEN).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Where runners are looked up: `group:<path>` and `project:<path>`,
    /// separated by commas, or `instance` (every runner; an admin token).
    /// Required: no default.
    #[serde(default)]
    pub runner_scope: Option<String>,
    /// How far GitLab's clock and the nodes' clocks may disagree (`10s`):
    /// a contact this much after the first rejection seen is still taken
    /// as before it.
    #[serde(default)]
    pub clock_skew: Option<String>,
    /// How long GitLab's answers about a candidate are reused for decisions
    /// that do not act (dry-run, refusals) (`5m`). Writes always re-read.
    #[serde(default)]
    pub recheck: Option<String>,
    /// Requests per second (1).
    #[serde(default)]
    pub rate: Option<f64>,
    /// Request timeout (`30s`).
    #[serde(default)]
    pub timeout: Option<String>,
    /// PEM file of a private CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Accept a plain `http://` URL: for tests and a GitLab on localhost
    /// only, as the access token would cross the network in clear text.
    #[serde(default)]
    pub allow_http: Option<bool>,
}

/// `remediation.lease:`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LeaseFile {
    /// Namespace (default: runner-medic's own).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Name (`runner-medic`).
    #[serde(default)]
    pub name: Option<String>,
}

/// `webhook:` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookFile {
    /// File holding the bearer token Alertmanager sends.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// This cluster's value of the alerts' `cluster` label: alerts of
    /// another cluster (or of none) are refused.
    #[serde(default)]
    pub cluster: Option<String>,
}

/// The Alertmanager webhook, validated.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The bearer token Alertmanager must send.
    pub token: Secret,
    /// The `cluster` label value alerts must carry (`None`: any, or none).
    pub cluster: Option<String>,
}

/// The longest accepted `webhook.cluster`.
const CLUSTER_MAX_CHARS: usize = 128;

/// `webhook.cluster`: a label value a person can read and type.
fn webhook_cluster(value: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > CLUSTER_MAX_CHARS
        || trimmed.chars().any(char::is_control)
    {
        problems.push(Problem {
            path: "webhook.cluster".into(),
            message: format!(
                "{value:?} is not a cluster name: give the value of the `cluster` label your alerts carry (1 to {CLUSTER_MAX_CHARS} printable characters), or leave it unset with one cluster"
            ),
        });
        return None;
    }
    Some(trimmed.to_owned())
}

/// Remediation settings from flags and the environment, declared here once
/// with their flags and variables (`cli::DaemonArgs` flattens this struct).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RemediationOverrides {
    /// Remediation of stale-token runners [default: off].
    #[arg(
        long = "remediation",
        value_name = "REMEDIATION",
        value_enum,
        env = "RUNNER_MEDIC_REMEDIATION",
        help_heading = "Remediation"
    )]
    pub mode: Option<crate::remediate::policy::Mode>,
    /// What remediation does [default: restart]. `reregister` is the seed
    /// runbook (legacy registration tokens only).
    #[arg(
        long,
        value_enum,
        env = "RUNNER_MEDIC_STRATEGY",
        help_heading = "Remediation"
    )]
    pub strategy: Option<crate::remediate::policy::Strategy>,
    /// How pods are restarted [default: delete].
    #[arg(
        long,
        value_enum,
        env = "RUNNER_MEDIC_RESTART_METHOD",
        help_heading = "Remediation"
    )]
    pub restart_method: Option<crate::remediate::policy::RestartMethod>,
    /// A runner must be rejected this long before remediation [default: 5m].
    #[arg(
        long = "remediation-for",
        value_name = "DURATION",
        env = "RUNNER_MEDIC_REMEDIATION_FOR",
        help_heading = "Remediation"
    )]
    pub for_: Option<String>,
    /// ...with at least this many 403s [default: 3].
    #[arg(
        long = "remediation-min-forbidden",
        value_name = "N",
        env = "RUNNER_MEDIC_REMEDIATION_MIN_FORBIDDEN",
        help_heading = "Remediation"
    )]
    pub min_forbidden: Option<u64>,
    /// No new attempt on a workload this soon after the last [default: 30m].
    #[arg(
        long = "remediation-cooldown",
        value_name = "DURATION",
        env = "RUNNER_MEDIC_REMEDIATION_COOLDOWN",
        help_heading = "Remediation"
    )]
    pub cooldown: Option<String>,
    /// How long to wait for the new runner to poll [default: 3m].
    #[arg(
        long,
        value_name = "DURATION",
        env = "RUNNER_MEDIC_VERIFY_TIMEOUT",
        help_heading = "Remediation"
    )]
    pub verify_timeout: Option<String>,
    /// GitLab's URL, such as `https://gitlab.example.com`.
    #[arg(
        long,
        value_name = "URL",
        env = "RUNNER_MEDIC_GITLAB_URL",
        help_heading = "Remediation"
    )]
    pub gitlab_url: Option<String>,
    /// Accept a plain http:// GitLab URL: for tests and a GitLab on
    /// localhost only; the access token would cross the network in clear
    /// text.
    #[arg(
        long,
        env = "RUNNER_MEDIC_GITLAB_ALLOW_HTTP",
        value_parser = clap::builder::BoolishValueParser::new(),
        help_heading = "Remediation"
    )]
    pub gitlab_allow_http: bool,
    /// File holding the GitLab access token (or set RUNNER_MEDIC_GITLAB_TOKEN;
    /// a token is never accepted as a flag value).
    #[arg(
        long,
        value_name = "FILE",
        env = "RUNNER_MEDIC_GITLAB_TOKEN_FILE",
        help_heading = "Remediation"
    )]
    pub gitlab_token_file: Option<PathBuf>,
    /// Where to look runners up, required with remediation: group:PATH and
    /// project:PATH separated by commas, or `instance` (every runner; an admin token).
    #[arg(
        long,
        value_name = "SCOPE",
        env = "RUNNER_MEDIC_GITLAB_RUNNER_SCOPE",
        help_heading = "Remediation"
    )]
    pub gitlab_runner_scope: Option<String>,
    /// Namespace of the leader-election Lease and the history ConfigMap
    /// [default: runner-medic's own].
    #[arg(
        long,
        value_name = "NS",
        env = "RUNNER_MEDIC_LEASE_NAMESPACE",
        help_heading = "Remediation"
    )]
    pub lease_namespace: Option<String>,
    /// Name of the Lease [default: runner-medic].
    #[arg(
        long,
        value_name = "NAME",
        env = "RUNNER_MEDIC_LEASE_NAME",
        help_heading = "Remediation"
    )]
    pub lease_name: Option<String>,
    /// File holding the bearer token Alertmanager must send to
    /// POST /api/v1/alerts (the webhook is off without it).
    #[arg(
        long,
        value_name = "FILE",
        env = "RUNNER_MEDIC_WEBHOOK_TOKEN_FILE",
        help_heading = "Remediation"
    )]
    pub webhook_token_file: Option<PathBuf>,
    /// This cluster's value of the alerts' `cluster` label: the webhook
    /// refuses alerts of another cluster, or of none (set it when one
    /// Alertmanager serves several clusters).
    #[arg(
        long,
        value_name = "NAME",
        env = "RUNNER_MEDIC_WEBHOOK_CLUSTER",
        help_heading = "Remediation"
    )]
    pub webhook_cluster: Option<String>,
}

/// Reads an environment variable (injected for tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A token from a file: at most [`ranges::MAX_FILE_BYTES`], a regular
/// file only, and not empty. Neither the token nor its length ever appears
/// in a problem.
fn secret_from_file(
    path: &std::path::Path,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Option<Secret> {
    let text = read_small_file(path).and_then(|b| {
        String::from_utf8(b).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    });
    match text {
        Ok(text) if !text.trim().is_empty() => Some(Secret::new(&text)),
        Ok(_) => {
            problems.push(Problem {
                path: field.into(),
                message: format!("{} is empty; put the token in it", path.display()),
            });
            None
        }
        Err(e) => {
            problems.push(Problem {
                path: field.into(),
                message: format!("cannot read {}: {e}", path.display()),
            });
            None
        }
    }
}

/// The webhook token, at least [`ranges::WEBHOOK_TOKEN_MIN_CHARS`] long: a
/// short bearer token can be guessed.
fn webhook_token(path: &std::path::Path, problems: &mut Vec<Problem>) -> Option<Secret> {
    let field = "webhook.token_file";
    let token = secret_from_file(path, field, problems)?;
    let min = ranges::WEBHOOK_TOKEN_MIN_CHARS;
    if token.expose().chars().count() < min {
        problems.push(Problem {
            path: field.into(),
            message: format!(
                "the token in {} is shorter than {min} characters; use a random one of at least {min}, e.g. `head -c 32 /dev/urandom | base64`",
                path.display()
            ),
        });
        return None;
    }
    Some(token)
}

/// Validated remediation settings (`None` when the mode is off) and the
/// webhook (`None`: disabled, no token file).
pub fn resolve(
    o: &RemediationOverrides,
    f: &FileConfig,
    selector: &str,
    env: Env<'_>,
    problems: &mut Vec<Problem>,
) -> (Option<RemediationConfig>, Option<WebhookSettings>) {
    let r = &f.remediation;
    let webhook = webhook(o, f, problems);
    let policy = policy(o, r, problems);
    let interval = ranges::INTERVAL.resolve(r.interval.as_ref(), problems);
    let rate = ranges::GITLAB_RATE.resolve(r.gitlab.rate, problems);
    let timeout = ranges::GITLAB_TIMEOUT.resolve(r.gitlab.timeout.as_ref(), problems);
    let clock_skew = ranges::CLOCK_SKEW.resolve(r.gitlab.clock_skew.as_ref(), problems);
    let recheck = ranges::RECHECK.resolve(r.gitlab.recheck.as_ref(), problems);
    if policy.mode == Mode::Off {
        return (None, webhook);
    }
    // GitLab: required to act (health check, runner identity).
    let url = gitlab_url(o, r, problems);
    let token = gitlab_token(o, r, env, problems);
    let scopes = runner_scopes(o, r, problems);
    let ca_pem = r.gitlab.ca_file.as_ref().and_then(|p| {
        read_small_file(p)
            .map_err(|e| {
                problem(
                    problems,
                    "remediation.gitlab.ca_file",
                    format!("cannot read {}: {e}", p.display()),
                )
            })
            .ok()
    });
    let lease = lease(o, r, env);
    let recreate_settings = recreate_settings(r, problems);
    let (Some(url), Some(token)) = (url, token) else {
        return (None, webhook);
    };
    let config = RemediationConfig {
        policy,
        gitlab: Some(GitlabConfig {
            url,
            token,
            rate,
            timeout,
            attempts: 3,
            scopes,
            ca_pem,
        }),
        lease,
        selector: selector.into(),
        interval,
        secret_key: r
            .secret_key
            .clone()
            .unwrap_or_else(|| "runner-token".into()),
        narrate: None,
        recreate_settings,
        runner_container: r.runner_container.clone().filter(|c| !c.is_empty()),
        clock_skew,
        recheck,
    };
    (Some(config), webhook)
}

/// Records that the field at `path` is wrong, and how to fix it.
fn problem(problems: &mut Vec<Problem>, path: &str, message: impl Into<String>) {
    problems.push(Problem {
        path: path.into(),
        message: message.into(),
    });
}

/// The `webhook:` section (`None`: no token file, the webhook is off).
fn webhook(
    o: &RemediationOverrides,
    f: &FileConfig,
    problems: &mut Vec<Problem>,
) -> Option<WebhookSettings> {
    let token = o
        .webhook_token_file
        .as_ref()
        .or(f.webhook.token_file.as_ref())
        .and_then(|p| webhook_token(p, problems));
    let cluster = o
        .webhook_cluster
        .as_deref()
        .or(f.webhook.cluster.as_deref())
        .and_then(|c| webhook_cluster(c, problems));
    token.map(|token| WebhookSettings { token, cluster })
}

/// The policy: mode, strategy and every threshold, each within its range.
fn policy(o: &RemediationOverrides, r: &RemediationFile, problems: &mut Vec<Problem>) -> Policy {
    Policy {
        mode: o.mode.or(r.mode).unwrap_or_default(),
        strategy: o.strategy.or(r.strategy).unwrap_or_default(),
        restart_method: o.restart_method.or(r.restart_method).unwrap_or_default(),
        for_: ranges::FOR.resolve(o.for_.as_ref().or(r.for_.as_ref()), problems),
        min_forbidden: ranges::MIN_FORBIDDEN.resolve(o.min_forbidden.or(r.min_forbidden), problems),
        cooldown: ranges::COOLDOWN.resolve(o.cooldown.as_ref().or(r.cooldown.as_ref()), problems),
        max_attempts: ranges::MAX_ATTEMPTS.resolve_usize(r.max_attempts, problems),
        attempt_window: ranges::ATTEMPT_WINDOW.resolve(r.attempt_window.as_ref(), problems),
        max_failures: ranges::MAX_FAILURES.resolve_usize(r.max_failures, problems),
        verify_timeout: ranges::VERIFY_TIMEOUT.resolve(
            o.verify_timeout.as_ref().or(r.verify_timeout.as_ref()),
            problems,
        ),
    }
}

/// GitLab's URL: https, or http where explicitly allowed.
fn gitlab_url(
    o: &RemediationOverrides,
    r: &RemediationFile,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    const PATH: &str = "remediation.gitlab.url";
    let allow_http = o.gitlab_allow_http || r.gitlab.allow_http.unwrap_or(false);
    match o.gitlab_url.clone().or_else(|| r.gitlab.url.clone()) {
        Some(u) if u.starts_with("https://") => Some(u),
        Some(u) if u.starts_with("http://") && allow_http => Some(u),
        Some(u) if u.starts_with("http://") => {
            problem(
                problems,
                PATH,
                format!(
                    "{u:?} is plain http: the access token would cross the network in clear text; use https://, or --gitlab-allow-http (remediation.gitlab.allow_http: true) for tests and a GitLab on localhost"
                ),
            );
            None
        }
        Some(u) => {
            problem(
                problems,
                PATH,
                format!("{u:?} is not an http(s) URL; e.g. https://gitlab.example.com"),
            );
            None
        }
        None => {
            problem(
                problems,
                PATH,
                "remediation needs GitLab: set --gitlab-url (it checks GitLab's health and identifies runners)",
            );
            None
        }
    }
}

/// GitLab's access token: from a file, or the environment; never a flag value.
fn gitlab_token(
    o: &RemediationOverrides,
    r: &RemediationFile,
    env: Env<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Secret> {
    const PATH: &str = "remediation.gitlab.token_file";
    if let Some(p) = o
        .gitlab_token_file
        .as_ref()
        .or(r.gitlab.token_file.as_ref())
    {
        return secret_from_file(p, PATH, problems);
    }
    match env("RUNNER_MEDIC_GITLAB_TOKEN").filter(|t| !t.trim().is_empty()) {
        Some(t) => Some(Secret::new(&t)),
        None => {
            problem(
                problems,
                PATH,
                "remediation needs a GitLab access token: --gitlab-token-file FILE or RUNNER_MEDIC_GITLAB_TOKEN (never a flag value)",
            );
            None
        }
    }
}

/// Where runners are looked up: required, never a default.
fn runner_scopes(
    o: &RemediationOverrides,
    r: &RemediationFile,
    problems: &mut Vec<Problem>,
) -> Vec<RunnerScope> {
    const PATH: &str = "remediation.gitlab.runner_scope";
    match o
        .gitlab_runner_scope
        .clone()
        .or_else(|| r.gitlab.runner_scope.clone())
    {
        Some(text) => RunnerScope::parse_list(&text).unwrap_or_else(|e| {
            problem(problems, PATH, e);
            Vec::new()
        }),
        None => {
            problem(
                problems,
                PATH,
                "name where runner-medic may look runners up: --gitlab-runner-scope group:<path>,project:<path> (the groups and projects your runners belong to), or `instance` for every runner of the instance (an admin token)",
            );
            Vec::new()
        }
    }
}

/// The Lease (and history ConfigMap) namespace and name, and this
/// replica's identity in it.
fn lease(o: &RemediationOverrides, r: &RemediationFile, env: Env<'_>) -> LeaseConfig {
    let namespace = o
        .lease_namespace
        .clone()
        .or_else(|| r.lease.namespace.clone())
        .or_else(|| env("POD_NAMESPACE"))
        .or_else(|| {
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
                .ok()
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "default".into());
    let name = o
        .lease_name
        .clone()
        .or_else(|| r.lease.name.clone())
        .unwrap_or_else(|| "runner-medic".into());
    let identity = env("POD_NAME")
        .or_else(|| env("HOSTNAME"))
        .unwrap_or_else(|| format!("runner-medic-{}", std::process::id()));
    LeaseConfig::new(&namespace, &name, &identity)
}

/// `remediation.recreate_settings`, per `<namespace>/<deployment>`.
fn recreate_settings(
    r: &RemediationFile,
    problems: &mut Vec<Problem>,
) -> std::collections::BTreeMap<WorkloadKey, RunnerSettings> {
    let mut out = std::collections::BTreeMap::new();
    for (workload, s) in &r.recreate_settings {
        let path = format!("remediation.recreate_settings[{workload:?}]");
        let Some((ns, w)) = workload
            .split_once('/')
            .filter(|(ns, w)| !ns.is_empty() && !w.is_empty())
        else {
            problem(
                problems,
                &path,
                "name the workload as \"<namespace>/<deployment>\"",
            );
            continue;
        };
        if let Err(e) = s.validate() {
            problem(problems, &path, e);
            continue;
        }
        out.insert(WorkloadKey::new(ns, w), s.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn file(yaml: &str) -> FileConfig {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn off_by_default_and_nothing_is_required() {
        let mut problems = Vec::new();
        let (r, w) = resolve(
            &RemediationOverrides::default(),
            &FileConfig::default(),
            "app=x",
            &no_env,
            &mut problems,
        );
        assert!(r.is_none() && w.is_none() && problems.is_empty());
    }

    #[test]
    fn acting_needs_gitlab_and_a_token_never_from_a_flag() {
        let mut problems = Vec::new();
        let o = RemediationOverrides {
            mode: Some(Mode::On),
            ..Default::default()
        };
        let (r, _) = resolve(&o, &FileConfig::default(), "app=x", &no_env, &mut problems);
        assert!(r.is_none());
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "remediation.gitlab.url",
                "remediation.gitlab.token_file",
                "remediation.gitlab.runner_scope"
            ]
        );
        // No scope is no default: instance-wide look-ups are an explicit choice.
        let scope_problem = &problems[2].message;
        assert!(
            scope_problem.contains("group:") && scope_problem.contains("instance"),
            "{scope_problem}"
        );
        let env = |k: &str| {
            (k == "RUNNER_MEDIC_GITLAB_TOKEN").then(|| "glpat-FAKETOKENTOKENTOKENTOKEN".to_owned())
        };
        let o = RemediationOverrides {
            mode: Some(Mode::DryRun),
            gitlab_url: Some("https://gitlab.example.com".into()),
            gitlab_runner_scope: Some("instance".into()),
            ..Default::default()
        };
        let mut problems = Vec::new();
        let (r, _) = resolve(&o, &FileConfig::default(), "app=x", &env, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let r = r.unwrap();
        assert_eq!(r.policy.mode, Mode::DryRun);
        assert_eq!(
            r.gitlab.as_ref().unwrap().scopes,
            vec![RunnerScope::Instance]
        );
        for (bad, why) in [
            ("instance,group:a", "alone"),
            ("group:", "group:<full path>"),
            (" , ", "no scope"),
        ] {
            let o = RemediationOverrides {
                gitlab_runner_scope: Some(bad.into()),
                ..o.clone()
            };
            let mut problems = Vec::new();
            let _ = resolve(&o, &FileConfig::default(), "app=x", &env, &mut problems);
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert_eq!(problems[0].path, "remediation.gitlab.runner_scope");
            assert!(problems[0].message.contains(why), "{bad}: {problems:?}");
        }
        assert!(
            !format!("{r:?}").contains("TOKENTOKEN"),
            "the token never prints"
        );
    }

    #[test]
    fn the_file_section_is_read_and_checked() {
        let dir = std::env::temp_dir().join(format!("rm-rem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let token = dir.join("token");
        std::fs::write(&token, "glpat-FAKETOKENTOKENTOKENTOKEN\n").unwrap();
        let f = file(&format!(
            "remediation:\n  mode: on\n  strategy: reregister\n  for: 10m\n  cooldown: 1h\n  gitlab:\n    url: https://gitlab.example.com\n    token_file: {}\n    runner_scope: group:platform,project:platform/tools\n    clock_skew: 30s\n  runner_container: runner\n  lease:\n    namespace: ops\n",
            token.display()
        ));
        let mut problems = Vec::new();
        let (r, _) = resolve(
            &RemediationOverrides::default(),
            &f,
            "app=x",
            &no_env,
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let r = r.unwrap();
        assert_eq!(
            (r.policy.strategy, r.policy.for_),
            (Strategy::Reregister, Duration::from_secs(600))
        );
        assert_eq!(r.lease.namespace, "ops");
        assert_eq!(
            (r.clock_skew, r.recheck),
            (Duration::from_secs(30), Duration::from_secs(300))
        );
        assert_eq!(r.runner_container.as_deref(), Some("runner"));
        assert_eq!(
            r.gitlab.unwrap().scopes,
            vec![
                RunnerScope::Group("platform".into()),
                RunnerScope::Project("platform/tools".into())
            ]
        );
        let bad = file(
            "remediation:\n  mode: on\n  for: soon\n  gitlab:\n    url: gitlab.example.com\n    token_file: /nonexistent/token\n    runner_scope: everywhere\n",
        );
        let mut problems = Vec::new();
        let _ = resolve(
            &RemediationOverrides::default(),
            &bad,
            "app=x",
            &no_env,
            &mut problems,
        );
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "remediation.for",
                "remediation.gitlab.url",
                "remediation.gitlab.token_file",
                "remediation.gitlab.runner_scope"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rm-rem-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A plain `http://` URL would send the access token in clear text: it
    /// is refused unless the insecure flag (or the file's key) says so.
    #[test]
    fn an_http_gitlab_url_needs_the_explicit_insecure_flag() {
        let env = |k: &str| {
            (k == "RUNNER_MEDIC_GITLAB_TOKEN").then(|| "glpat-FAKETOKENTOKENTOKENTOKEN".to_owned())
        };
        let o = RemediationOverrides {
            mode: Some(Mode::On),
            gitlab_url: Some("http://127.0.0.1:8080".into()),
            gitlab_runner_scope: Some("instance".into()),
            ..Default::default()
        };
        let mut problems = Vec::new();
        let (r, _) = resolve(&o, &FileConfig::default(), "app=x", &env, &mut problems);
        assert!(r.is_none());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "remediation.gitlab.url");
        let m = &problems[0].message;
        assert!(
            m.contains("clear text") && m.contains("--gitlab-allow-http"),
            "{m}"
        );
        let allowed = RemediationOverrides {
            gitlab_allow_http: true,
            ..o.clone()
        };
        let mut problems = Vec::new();
        let (r, _) = resolve(
            &allowed,
            &FileConfig::default(),
            "app=x",
            &env,
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(r.unwrap().gitlab.unwrap().url, "http://127.0.0.1:8080");
        let f = file("remediation:\n  gitlab:\n    allow_http: true\n");
        let mut problems = Vec::new();
        let (r, _) = resolve(&o, &f, "app=x", &env, &mut problems);
        assert!(problems.is_empty() && r.is_some(), "{problems:?}");
        // https needs nothing.
        let o = RemediationOverrides {
            gitlab_url: Some("https://gitlab.example.com".into()),
            ..o
        };
        let mut problems = Vec::new();
        let (r, _) = resolve(&o, &FileConfig::default(), "app=x", &env, &mut problems);
        assert!(problems.is_empty() && r.is_some(), "{problems:?}");
    }

    #[test]
    fn the_webhook_token_has_a_minimum_length() {
        let dir = scratch("webhook");
        let short = dir.join("short");
        std::fs::write(&short, "hook-secret-123\n").unwrap();
        let long = dir.join("long");
        std::fs::write(&long, "  0123456789abcdef\n").unwrap();
        let resolve_with = |path: &std::path::Path| {
            let o = RemediationOverrides {
                webhook_token_file: Some(path.to_owned()),
                ..Default::default()
            };
            let mut problems = Vec::new();
            let (_, w) = resolve(&o, &FileConfig::default(), "app=x", &no_env, &mut problems);
            (w, problems)
        };
        let (w, problems) = resolve_with(&short);
        assert!(w.is_none());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "webhook.token_file");
        let m = &problems[0].message;
        assert!(
            m.contains("shorter than 16 characters") && m.contains(&short.display().to_string()),
            "{m}"
        );
        assert!(!m.contains("hook-secret"), "the token never prints: {m}");
        let (w, problems) = resolve_with(&long);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(w.unwrap().token.expose(), "0123456789abcdef");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_webhook_cluster_is_a_readable_label_value() {
        let dir = scratch("webhook-cluster");
        let token = dir.join("token");
        std::fs::write(&token, "0123456789abcdef\n").unwrap();
        let resolve_with = |flag: Option<&str>, file_value: Option<&str>| {
            let o = RemediationOverrides {
                webhook_token_file: Some(token.clone()),
                webhook_cluster: flag.map(str::to_owned),
                ..Default::default()
            };
            let mut f = FileConfig::default();
            f.webhook.cluster = file_value.map(str::to_owned);
            let mut problems = Vec::new();
            let (_, w) = resolve(&o, &f, "app=x", &no_env, &mut problems);
            (w, problems)
        };
        let (w, problems) = resolve_with(None, None);
        assert!(problems.is_empty() && w.unwrap().cluster.is_none());
        // The flag wins over the file; surrounding blanks go.
        let (w, problems) = resolve_with(Some(" east "), Some("west"));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(w.unwrap().cluster.as_deref(), Some("east"));
        let long = "x".repeat(129);
        for bad in ["", "  ", "east\nwest", long.as_str()] {
            let (_, problems) = resolve_with(None, Some(bad));
            assert_eq!(problems.len(), 1, "{bad:?}: {problems:?}");
            assert_eq!(problems[0].path, "webhook.cluster");
            assert!(
                problems[0].message.contains("`cluster` label"),
                "{}",
                problems[0]
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Token and CA files are read as the config file is: regular files of
    /// at most 1 MiB, refused at once otherwise.
    #[test]
    fn token_and_ca_files_are_capped_and_regular() {
        let dir = scratch("secrets");
        let big = dir.join("big");
        std::fs::write(&big, vec![b'a'; (ranges::MAX_FILE_BYTES + 1) as usize]).unwrap();
        let mut special = vec![dir.clone(), big];
        if cfg!(target_os = "linux") {
            special.push("/dev/zero".into());
        }
        for path in special {
            let f = file(&format!(
                "remediation:\n  mode: on\n  gitlab:\n    url: https://gitlab.example.com\n    runner_scope: instance\n    token_file: {0}\n    ca_file: {0}\nwebhook:\n  token_file: {0}\n",
                path.display()
            ));
            let started = std::time::Instant::now();
            let mut problems = Vec::new();
            let _ = resolve(
                &RemediationOverrides::default(),
                &f,
                "app=x",
                &no_env,
                &mut problems,
            );
            assert!(started.elapsed() < Duration::from_secs(2));
            let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(
                paths,
                vec![
                    "webhook.token_file",
                    "remediation.gitlab.token_file",
                    "remediation.gitlab.ca_file"
                ],
                "{}",
                path.display()
            );
            for p in &problems {
                assert!(
                    p.message.contains(&path.display().to_string())
                        && (p.message.contains("1 MiB") || p.message.contains("regular file")),
                    "{p}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
