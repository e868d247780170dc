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

/// Settings shared by `watch` and `demo`: the config file, then each
/// setting declared once, in the config section that owns it (its flag,
/// environment variable, help and type live beside its file key).
#[derive(Debug, Args, Default)]
pub struct DaemonArgs {
    /// Config file (YAML).
    #[arg(long, value_name = "FILE", env = "RUNNER_MEDIC_CONFIG")]
    pub config: Option<PathBuf>,
    /// Watch settings.
    #[command(flatten)]
    pub watch: crate::config::DaemonOverrides,
    /// Remediation and webhook settings.
    #[command(flatten)]
    pub remediation: crate::config::remediation::RemediationOverrides,
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
