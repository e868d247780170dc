//! Offline analysis of `kubectl logs` output: every line through the same
//! parser, classifier and health tracker the daemon uses, then one
//! diagnosis per runner ([`Report`]).
//!
//! Streams its input in constant memory (state is per runner, never per
//! line). Lines tagged by `kubectl logs --prefix` carry their pod; other
//! lines belong to the input's default pod (`--pod`, else the file name).
//! The report and its rendering (text and JSON) are in `health/report.rs`
//! (the daemon publishes the same report); CRI partial records of node log
//! files are joined in `analyze/cri.rs`.

mod cri;

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

pub use crate::health::report::{InputStats, Report, RunnerReport};

/// What the daemon publishes after each batch of lines: the latest report
/// and whether the first pod list was read (for the admin server and the
/// remediation controller, which read it, not the pipeline that writes it).
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Runners and their diagnoses.
    pub report: Arc<Report>,
    /// The initial pod list was synced.
    pub synced: bool,
    /// Every runner, for the remediation controller.
    pub runners: Arc<Vec<crate::health::RunnerView>>,
}

use crate::classify::Classifier;
use crate::event::{Class, Format};
use crate::health::{HealthConfig, Tracker};
use crate::line::{LineSplitter, MAX_LINE_BYTES, Origin};
use crate::parse::Parser;

/// (namespace or host, pod or process, container) of an input line.
type OriginKey = (Box<str>, Box<str>, Box<str>);

/// Reads inputs and keeps the health of every runner in them.
#[derive(Debug)]
pub struct Analyzer {
    classifier: Classifier,
    parser: Parser,
    tracker: Tracker,
    namespace: Arc<str>,
    origins: HashMap<OriginKey, Origin>,
    /// The origin of the previous tagged line: consecutive lines usually
    /// come from the same pod.
    last_origin: Option<Origin>,
    class_counts: [u64; Class::COUNT],
    format_counts: [u64; 4],
    stats: InputStats,
    cri: cri::CriJoiner,
}

impl Analyzer {
    /// An analyzer for pods of `namespace` (empty when unknown), with the
    /// rules and health settings to use.
    pub fn new(classifier: &Classifier, health: HealthConfig, namespace: &str) -> Analyzer {
        Analyzer {
            classifier: classifier.clone(),
            parser: Parser::new(),
            tracker: Tracker::new(health),
            namespace: namespace.into(),
            origins: HashMap::new(),
            last_origin: None,
            class_counts: [0; Class::COUNT],
            format_counts: [0; 4],
            stats: InputStats::default(),
            cri: cri::CriJoiner::default(),
        }
    }

    /// Reads lines prefixed as `format` says (default: detected per line).
    pub fn with_input_format(mut self, format: crate::parse::InputFormat) -> Analyzer {
        self.parser = Parser::with_format(format);
        self
    }

    /// The default origin of an untagged input whose pod is `pod`.
    pub fn origin_for(&self, pod: &str) -> Origin {
        Origin::for_pod(&self.namespace, pod, "")
    }

    /// Reads one input to its end. `progress` is told the bytes read so far.
    pub fn feed(
        &mut self,
        mut input: impl Read,
        default: &Origin,
        mut progress: impl FnMut(u64),
    ) -> io::Result<()> {
        self.stats.inputs += 1;
        let mut splitter = LineSplitter::new(MAX_LINE_BYTES);
        let mut buf = vec![0u8; 256 * 1024];
        let mut read = 0u64;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            read += n as u64;
            splitter.push(&buf[..n], |line, truncated| {
                self.line(line, truncated, default)
            });
            progress(read);
        }
        splitter.finish(|line, truncated| self.line(line, truncated, default));
        for (line, truncated) in self.cri.finish() {
            self.process(&line, truncated, default);
        }
        self.stats.partial = self.cri.partials;
        self.stats.bytes += read;
        Ok(())
    }

    /// Takes one line (a CRI partial record is held until its line ends).
    pub fn line(&mut self, raw: &[u8], truncated: bool, default: &Origin) {
        if let cri::Joined::Ready(line, truncated) = self.cri.push(raw, truncated) {
            self.process(&line, truncated, default);
        }
    }

    /// Processes one whole line.
    fn process(&mut self, raw: &[u8], truncated: bool, default: &Origin) {
        let p = self.parser.parse(raw, truncated);
        let event = self.classifier.classify(&p);
        let stats = &mut self.stats;
        stats.lines += 1;
        stats.truncated += u64::from(p.truncated);
        stats.invalid_utf8 += u64::from(p.invalid_utf8);
        let at = p.time();
        if let Some(t) = at {
            stats.first = Some(stats.first.map_or(t, |f| f.min(t)));
            stats.last = Some(stats.last.map_or(t, |l| l.max(t)));
        }
        self.class_counts[event.class.index()] += 1;
        self.format_counts[format_index(event.format)] += 1;
        let origin = match (p.pod, p.container) {
            (Some(pod), container) => {
                let container = container.unwrap_or("");
                let namespace = p.namespace.unwrap_or(&self.namespace);
                match &self.last_origin {
                    Some(o)
                        if &*o.pod == pod
                            && &*o.container == container
                            && &*o.namespace == namespace =>
                    {
                        o
                    }
                    _ => {
                        let key = (
                            Box::<str>::from(namespace),
                            Box::<str>::from(pod),
                            Box::<str>::from(container),
                        );
                        let o = self
                            .origins
                            .entry(key)
                            .or_insert_with(|| Origin::for_pod(namespace, pod, container))
                            .clone();
                        self.last_origin.insert(o)
                    }
                }
            }
            (None, _) if p.process.is_some() => {
                // A runner on a VM (journald, syslog): the host is the
                // workload, each runner process (`gitlab-runner[PID]`) an
                // instance, as a pod is.
                let host = p.host.unwrap_or("");
                let process = p.process.unwrap_or("");
                match &self.last_origin {
                    Some(o) if &*o.pod == process && &*o.workload == host => o,
                    _ => {
                        let key = (
                            Box::<str>::from(host),
                            Box::<str>::from(process),
                            Box::<str>::from("\0process"),
                        );
                        let o = self
                            .origins
                            .entry(key)
                            .or_insert_with(|| {
                                let workload = if host.is_empty() { process } else { host };
                                Origin::new(&self.namespace, workload, process, "")
                            })
                            .clone();
                        self.last_origin.insert(o)
                    }
                }
            }
            _ => default,
        };
        self.tracker.record(origin, &event, at);
    }

    /// The health tracker (for tests and the daemon's warm-up).
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Builds the report.
    pub fn report(&self) -> Report {
        let mut stats = self.stats.clone();
        stats.classes = Class::ALL
            .iter()
            .filter(|c| self.class_counts[c.index()] > 0)
            .map(|c| (c.as_str(), self.class_counts[c.index()]))
            .collect();
        stats.formats = [Format::Runner, Format::Text, Format::Json, Format::Plain]
            .iter()
            .filter(|f| self.format_counts[format_index(**f)] > 0)
            .map(|f| (f.as_str(), self.format_counts[format_index(*f)]))
            .collect();
        Report::build(&self.tracker, stats)
    }
}

fn format_index(f: Format) -> usize {
    match f {
        Format::Runner => 0,
        Format::Text => 1,
        Format::Json => 2,
        Format::Plain => 3,
    }
}
