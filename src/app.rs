//! Runs the commands: turns typed arguments into a [`Config`], reads the
//! inputs, writes the outputs. The only place besides `main` that knows
//! about files, standard streams and exit statuses.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::analyze::Analyzer;
use crate::classify::Classifier;
use crate::cli::{
    AnalyzeArgs, CheckConfigArgs, ClassifyArgs, Cli, Command, DemoArgs, LinesFormat, ReportFormat,
    RulesArgs, WatchArgs,
};
use crate::config::{self, Config, ConfigError};
use crate::event::{Cause, Class, Format, Level, RunnerId};
use crate::line::{LineSplitter, MAX_LINE_BYTES};
use crate::parse::Parser;

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let result = match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Classify(a) => classify(a),
        Command::Rules(a) => rules(a),
        Command::CheckConfig(a) => check_config(a),
        Command::Watch(a) => watch(*a),
        Command::Demo(a) => demo(a),
    };
    match result {
        // `runner-medic classify big.log | head` is not an error.
        Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

fn open(path: &Path) -> anyhow::Result<(Box<dyn Read>, Option<u64>)> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(io::stdin().lock()), None));
    }
    let f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        bail!("cannot read {}: it is a directory", path.display());
    }
    Ok((Box::new(f), meta.is_file().then_some(meta.len())))
}

fn analyze(a: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(a.config.as_deref())?;
    if a.pod.is_some() && a.inputs.len() > 1 {
        bail!(
            "--pod names the pod of a single unprefixed input; with several files, each file is one pod (or use `kubectl logs --prefix`)"
        );
    }
    // Open everything first: a typo in the last file should not waste a
    // long read of the first.
    let mut inputs = Vec::new();
    for path in &a.inputs {
        inputs.push((path, open(path)?));
    }
    let mut analyzer = Analyzer::new(&config.classifier, config.health.clone(), &a.namespace)
        .with_input_format(a.input_format);
    for (path, (reader, size)) in inputs {
        let pod = match &a.pod {
            Some(p) => p.clone(),
            None if path.as_os_str() == "-" => "stdin".into(),
            None => pod_from_path(path),
        };
        let origin = analyzer.origin_for(&pod);
        let mut progress = Progress::new(path, size);
        analyzer
            .feed(reader, &origin, |n| progress.update(n))
            .with_context(|| format!("cannot read {}", path.display()))?;
        progress.finish();
    }
    let report = analyzer.report();
    let text = match a.output {
        // Pod names come from file names and log prefixes: escape what
        // would drive a terminal (JSON escapes them itself).
        ReportFormat::Text => crate::redact::escape_controls(&report.to_text()).into_owned(),
        ReportFormat::Json => report.to_json(),
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if a.fail_on_unhealthy && report.has_unhealthy() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `gitlab-runner-7d9c6b5f4-x2x7k.log` names pod `gitlab-runner-7d9c6b5f4-x2x7k`.
fn pod_from_path(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pod".into());
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    let stem = stem
        .strip_suffix(".log")
        .or_else(|| stem.strip_suffix(".txt"))
        .unwrap_or(stem);
    stem.to_owned()
}

/// A progress line on stderr for big files, only when a person watches.
struct Progress {
    name: String,
    size: Option<u64>,
    enabled: bool,
    last: Instant,
    shown: bool,
}

impl Progress {
    const MIN_SIZE: u64 = 32 * 1024 * 1024;

    fn new(path: &Path, size: Option<u64>) -> Progress {
        Progress {
            name: crate::redact::escape_controls(&path.display().to_string()).into_owned(),
            size,
            enabled: io::stderr().is_terminal() && size.is_some_and(|s| s >= Self::MIN_SIZE),
            last: Instant::now(),
            shown: false,
        }
    }

    fn update(&mut self, read: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        let total = self.size.unwrap_or(read).max(1);
        let pct = read.saturating_mul(100) / total;
        let bar_len = 30usize;
        let filled = (pct as usize * bar_len / 100).min(bar_len);
        eprint!(
            "\r{} [{}{}] {:>3}% {:.1}/{:.1} MiB",
            self.name,
            "#".repeat(filled),
            " ".repeat(bar_len - filled),
            pct,
            read as f64 / 1048576.0,
            total as f64 / 1048576.0
        );
        self.shown = true;
    }

    fn finish(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// One `classify` output row. The first six keys are a public interface.
#[derive(Serialize)]
struct Row<'a> {
    line: u64,
    class: Class,
    runner: Option<RunnerId>,
    http_status: Option<u16>,
    level: Level,
    format: Format,
    rule: Option<&'a str>,
    cause: Option<Cause>,
    job: Option<u64>,
    timestamp: Option<jiff::Timestamp>,
    pod: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    container: Option<&'a str>,
    truncated: bool,
}

fn classify(a: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(a.config.as_deref())?;
    let (mut reader, _) = open(&a.input)?;
    let mut sink = RowSink {
        out: BufWriter::with_capacity(256 * 1024, io::stdout().lock()),
        format: a.output,
        classifier: config.classifier,
        parser: Parser::with_format(a.input_format),
        n: 0,
        error: None,
    };
    let mut splitter = LineSplitter::new(MAX_LINE_BYTES);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let read = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", a.input.display())),
        };
        splitter.push(&buf[..read], |l, t| sink.line(l, t));
        if let Some(e) = sink.error.take() {
            return Err(e.into());
        }
    }
    splitter.finish(|l, t| sink.line(l, t));
    if let Some(e) = sink.error.take() {
        return Err(e.into());
    }
    sink.out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Classifies lines and writes one row each; keeps the first write error.
struct RowSink<W> {
    out: W,
    format: LinesFormat,
    classifier: Classifier,
    parser: Parser,
    n: u64,
    error: Option<io::Error>,
}

impl<W: Write> RowSink<W> {
    fn line(&mut self, line: &[u8], truncated: bool) {
        if self.error.is_some() {
            return;
        }
        self.n += 1;
        let p = self.parser.parse(line, truncated);
        let e = self.classifier.classify(&p);
        if let Err(err) = write_row(&mut self.out, self.format, self.n, &self.classifier, &e, &p) {
            self.error = Some(err);
        }
    }
}

fn write_row(
    out: &mut impl Write,
    format: LinesFormat,
    n: u64,
    classifier: &Classifier,
    e: &crate::event::Event,
    p: &crate::parse::Parsed<'_>,
) -> io::Result<()> {
    match format {
        LinesFormat::Jsonl => {
            let row = Row {
                line: n,
                class: e.class,
                runner: e.runner,
                http_status: e.http_status,
                level: e.level,
                format: e.format,
                rule: classifier.rule_name(e),
                cause: e.cause,
                job: e.job,
                timestamp: p.timestamp,
                pod: p.pod,
                namespace: p.namespace,
                container: p.container,
                truncated: p.truncated,
            };
            let mut json = serde_json::to_vec(&row).map_err(io::Error::other)?;
            json.push(b'\n');
            out.write_all(&json)
        }
        LinesFormat::Tsv => writeln!(
            out,
            "{n}\t{}\t{}\t{}",
            e.class,
            e.runner
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
            e.http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into())
        ),
    }
}

#[derive(Serialize)]
struct RuleRow<'a> {
    name: &'a str,
    class: Class,
    custom: bool,
    pattern: &'a str,
    anchor: Option<&'a str>,
}

#[derive(Serialize)]
struct ClassRow {
    class: Class,
    description: &'static str,
}

fn rules(a: RulesArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(a.config.as_deref())?;
    let rules = config.classifier.rules();
    let mut out = io::stdout().lock();
    if a.anchors {
        let mut seen = Vec::new();
        for anchor in rules.iter().filter_map(|r| r.anchor) {
            if !seen.contains(&anchor) {
                seen.push(anchor);
                writeln!(out, "{anchor}")?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    match a.output {
        ReportFormat::Json => {
            let value = serde_json::json!({
                "precedence": "custom rules first in file order, then built-in rules in this order; the first rule whose pattern and conditions match wins; unmatched lines are `other`",
                "rules": rules.iter().map(|r| RuleRow { name: &r.name, class: r.class, custom: r.custom, pattern: &r.pattern, anchor: r.anchor }).collect::<Vec<_>>(),
                "classes": Class::ALL.iter().map(|c| ClassRow { class: *c, description: c.description() }).collect::<Vec<_>>(),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        ReportFormat::Text => {
            writeln!(out, "Classes:")?;
            for c in Class::ALL {
                writeln!(out, "  {:<26} {}", c.as_str(), c.description())?;
            }
            writeln!(
                out,
                "\nRules (tried in this order against the message; the first match wins; custom rules come first):"
            )?;
            for r in rules {
                let origin = if r.custom { " (custom)" } else { "" };
                writeln!(
                    out,
                    "  {:<28} -> {:<24} {}{origin}",
                    r.name,
                    r.class.as_str(),
                    r.pattern
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A runtime for the daemon commands: one thread. The work per line is
/// small and mostly I/O; measured with 1,000 streams at 10,000 lines/s
/// (`benches/daemon_load.rs`) one thread uses 0.19 core, two work-stealing
/// workers 0.28 (cross-thread wake-ups), and latency stays in milliseconds.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn watch(a: WatchArgs) -> anyhow::Result<ExitCode> {
    let file = match &a.daemon.config {
        Some(path) => config::read(path)?,
        None => config::FileConfig::default(),
    };
    let mut problems = Vec::new();
    let settings = config::DaemonSettings::resolve(&a.daemon.watch, &file, &mut problems);
    let (remediation, webhook) = config::remediation::resolve(
        &a.daemon.remediation,
        &file,
        &settings.selector,
        &|k| std::env::var(k).ok(),
        &mut problems,
    );
    // The file's own problems (rules, health); flags may override the rest.
    let mut file_only = file.clone();
    file_only.watch = Default::default();
    file_only.remediation = Default::default();
    file_only.webhook = Default::default();
    file_only.listen = None;
    file_only.log = Default::default();
    let base = Config::from_file(&file_only);
    if let Err(p) = &base {
        problems.extend(p.iter().cloned());
    }
    if !problems.is_empty() {
        problems.dedup();
        let path = a
            .daemon
            .config
            .clone()
            .unwrap_or_else(|| "(flags and environment)".into());
        return Err(ConfigError::Invalid { path, problems }.into());
    }
    let base = base.map_err(|_| anyhow::anyhow!("invalid configuration"))?;
    crate::telemetry::init(settings.log_format, &settings.log_level)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let token = crate::shutdown::on_signals().context("cannot install signal handlers")?;
        let client = kube::Client::try_default().await.context(
            "no Kubernetes cluster configured: set KUBECONFIG (or ~/.kube/config), or run runner-medic in a pod with a service account",
        )?;
        let listener = crate::daemon::bind(settings.listen).await?;
        let bound = listener.local_addr().context("cannot read the admin address")?;
        tracing::info!(
            listen = %bound,
            namespaces = ?settings.namespaces,
            selector = %settings.selector,
            "runner-medic {} watching",
            env!("CARGO_PKG_VERSION")
        );
        let mut config = crate::daemon::DaemonConfig::new(settings, base.classifier, base.health);
        config.remediation = remediation;
        config.webhook = webhook;
        let d = crate::daemon::start(client, config, listener, None, token)?;
        let _ = d.done.await;
        if let Some(why) = d.failure.get() {
            // Non-zero: Kubernetes restarts the container.
            anyhow::bail!("the daemon stopped because {why}");
        }
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn demo(a: DemoArgs) -> anyhow::Result<ExitCode> {
    let listen = a
        .listen
        .parse()
        .with_context(|| format!("--listen {:?} is not an address; write IP:PORT", a.listen))?;
    let duration = match &a.duration {
        Some(d) => Some(config::parse_duration(d).map_err(|e| anyhow::anyhow!("--duration: {e}"))?),
        None => None,
    };
    let remediate_after = config::parse_duration(&a.remediation_for)
        .map_err(|e| anyhow::anyhow!("--remediation-for: {e}"))?;
    let webhook = match &a.webhook_token_file {
        Some(path) => {
            // Capped and regular files only, like every token file.
            let bytes = config::read_small_file(path)
                .with_context(|| format!("--webhook-token-file: cannot read {}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            if text.trim().is_empty() {
                anyhow::bail!(
                    "--webhook-token-file: {} is empty; put the token in it",
                    path.display()
                );
            }
            Some(config::remediation::WebhookSettings {
                token: crate::redact::Secret::new(&text),
                cluster: a.webhook_cluster.clone(),
            })
        }
        None => None,
    };
    let demo = crate::demo::DemoConfig {
        listen,
        duration,
        mode: a.remediation,
        remediate_after,
        webhook,
    };
    crate::telemetry::init(a.log_format, &a.log_level)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let token = crate::shutdown::on_signals().context("cannot install signal handlers")?;
        crate::demo::run(demo, token).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn check_config(a: CheckConfigArgs) -> anyhow::Result<ExitCode> {
    let file = match config::read(&a.file) {
        Ok(f) => f,
        Err(e @ ConfigError::Syntax { .. }) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    match Config::from_file(&file) {
        Ok(c) => {
            let custom = c.classifier.rules().iter().filter(|r| r.custom).count();
            println!("{}: OK ({custom} custom rule(s))", a.file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            eprintln!("{}: {} problem(s):", a.file.display(), problems.len());
            for p in problems {
                eprintln!("  - {p}");
            }
            Ok(ExitCode::from(2))
        }
    }
}

/// An error and its causes on one line, each cause once: many errors
/// (kube's, io's) already repeat their source in their own message, so a
/// cause whose text is already there is not printed again.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

#[cfg(test)]
mod error_text_tests {
    use super::error_text;

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn every_cause_is_printed_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(Repeats(io())).context("cannot start");
        assert_eq!(error_text(&e), "cannot start: outer: no such file");
        let e = anyhow::Error::new(io()).context("cannot read x");
        assert_eq!(error_text(&e), "cannot read x: no such file");
    }
}
