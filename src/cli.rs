//! The command line, as typed: clap derive types and nothing else.
//!
//! Values are turned into a validated configuration by `config`; the
//! commands run in `app`.

use std::path::PathBuf;

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
