//! The command line, as typed: clap derive types and nothing else.
//!
//! Values are turned into a validated configuration by `config`; the
//! commands run in `app`.

use std::path::PathBuf;

use crate::parse::InputFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Watches GitLab Runner pods, explains what is wrong with them, and can
/// fix stale runner tokens.
///
/// Start with `runner-medic analyze` on the output of
/// `kubectl logs -n gitlab-runner -l app=gitlab-runner --prefix --timestamps`.
#[derive(Debug, Parser)]
#[command(
    name = "runner-medic",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose every runner in `kubectl logs` output.
    ///
    /// Reads files (or `-` for standard input) with or without
    /// `--timestamps` and `--prefix`; several files are several pods.
    /// Prints one diagnosis per runner: what is wrong, the evidence, what
    /// fixes it and what will not.
    Analyze(AnalyzeArgs),
    /// Classify every line: one JSON object per input line, in order.
    Classify(ClassifyArgs),
    /// List the built-in rules and the event classes.
    Rules(RulesArgs),
    /// Validate a config file and list every problem in it.
    CheckConfig(CheckConfigArgs),
    /// Run the daemon: follow runner pod logs through the Kubernetes API,
    /// export metrics and runner health, serve the status page.
    ///
    /// The cluster comes from KUBECONFIG (or ~/.kube/config), else from the
    /// in-cluster service account, as kubectl does.
    Watch(Box<WatchArgs>),
    /// Run the daemon, remediation on, against a simulated cluster and
    /// GitLab (the seed incident's stale-token runner, two healthy runners,
    /// a GitLab outage) and narrate what it finds and does.
    Demo(DemoArgs),
}

/// `watch` options. Each can also be set in the config file or as a
/// `RUNNER_MEDIC_*` environment variable; flags win over the environment,
/// which wins over the file.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Daemon settings.
    #[command(flatten)]
    pub daemon: DaemonArgs,
}

/// Settings shared by `watch` and `demo`.
#[derive(Debug, Args, Default)]
pub struct DaemonArgs {
    /// Config file (YAML).
    #[arg(long, value_name = "FILE", env = "RUNNER_MEDIC_CONFIG")]
    pub config: Option<PathBuf>,
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
    /// Remediation of stale-token runners [default: off].
    #[arg(
        long,
        value_enum,
        env = "RUNNER_MEDIC_REMEDIATION",
        help_heading = "Remediation"
    )]
    pub remediation: Option<crate::remediate::policy::Mode>,
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
        long,
        value_name = "DURATION",
        env = "RUNNER_MEDIC_REMEDIATION_FOR",
        help_heading = "Remediation"
    )]
    pub remediation_for: Option<String>,
    /// ...with at least this many 403s [default: 3].
    #[arg(
        long,
        value_name = "N",
        env = "RUNNER_MEDIC_REMEDIATION_MIN_FORBIDDEN",
        help_heading = "Remediation"
    )]
    pub remediation_min_forbidden: Option<u64>,
    /// No new attempt on a workload this soon after the last [default: 30m].
    #[arg(
        long,
        value_name = "DURATION",
        env = "RUNNER_MEDIC_REMEDIATION_COOLDOWN",
        help_heading = "Remediation"
    )]
    pub remediation_cooldown: Option<String>,
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

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Admin server address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9742")]
    pub listen: String,
    /// Stop after this long (e.g. 90s); default: run until Ctrl-C.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Log format of runner-medic's own logs.
    #[arg(long, value_enum, default_value_t = crate::telemetry::LogFormat::Plain)]
    pub log_format: crate::telemetry::LogFormat,
    /// Log filter for runner-medic's own logs (the narration is separate).
    #[arg(long, value_name = "FILTER", default_value = "error")]
    pub log_level: String,
    /// Remediation mode of the demo.
    #[arg(long, value_enum, default_value = "on")]
    pub remediation: crate::remediate::policy::Mode,
    /// How long the stale runner must be rejected before runner-medic acts
    /// on its own (an alert through the webhook can trigger it sooner).
    #[arg(long, value_name = "DURATION", default_value = "12s")]
    pub remediation_for: String,
    /// File holding the bearer token Alertmanager must send to
    /// POST /api/v1/alerts (the webhook is off without it).
    #[arg(long, value_name = "FILE")]
    pub webhook_token_file: Option<PathBuf>,
    /// The cluster the demo's webhook answers for: alerts labelled with
    /// another cluster, or none, are refused.
    #[arg(long, value_name = "NAME")]
    pub webhook_cluster: Option<String>,
}

/// `analyze` options.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Log files; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    pub inputs: Vec<PathBuf>,
    /// Pod name for lines without a `kubectl logs --prefix` tag (one input
    /// only; default: the file name).
    #[arg(long, value_name = "NAME")]
    pub pod: Option<String>,
    /// Namespace the pods run in (only used in the advice printed).
    #[arg(
        long,
        short = 'n',
        value_name = "NS",
        default_value = "",
        hide_default_value = true
    )]
    pub namespace: String,
    /// Report format.
    #[arg(long, short = 'o', value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Exit with status 1 when any runner is unhealthy.
    #[arg(long)]
    pub fail_on_unhealthy: bool,
    /// How the lines are prefixed: `auto` finds where the runner's line
    /// starts after any tool's prefix (stern, logcli, journalctl, syslog,
    /// docker); name the tool when detection guesses wrong.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Config file (custom rules, health tunables).
    #[arg(long, value_name = "FILE", env = "RUNNER_MEDIC_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `classify` options.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Log file; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = LinesFormat::Jsonl)]
    pub output: LinesFormat,
    /// How the lines are prefixed: `auto` finds where the runner's line
    /// starts after any tool's prefix (stern, logcli, journalctl, syslog,
    /// docker); name the tool when detection guesses wrong.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Config file (custom rules).
    #[arg(long, value_name = "FILE", env = "RUNNER_MEDIC_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `rules` options.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Print only the built-in rules' literal anchors, one per line (a
    /// scan-only baseline for benchmarks: `rg -F -e ...`).
    #[arg(long)]
    pub anchors: bool,
    /// Config file: list its custom rules too.
    #[arg(long, value_name = "FILE", env = "RUNNER_MEDIC_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `check-config` options.
#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// The config file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// For machines.
    Json,
}

/// Per-line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinesFormat {
    /// One JSON object per line.
    Jsonl,
    /// One tab-separated line per line: line, class, runner, status.
    Tsv,
}
