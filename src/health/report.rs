//! The analysis report: built from a [`Tracker`], rendered as text for a
//! person or as JSON for machines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use super::{Diagnosis, State, Tracker};
use crate::event::Class;

/// Counts about the input itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputStats {
    /// Inputs read.
    pub inputs: usize,
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines longer than 64 KiB, cut.
    pub truncated: u64,
    /// Lines with invalid UTF-8.
    pub invalid_utf8: u64,
    /// CRI partial records.
    pub partial: u64,
    /// Lines per format.
    pub formats: BTreeMap<&'static str, u64>,
    /// Lines per class.
    pub classes: BTreeMap<&'static str, u64>,
    /// Earliest line time.
    pub first: Option<Timestamp>,
    /// Latest line time.
    pub last: Option<Timestamp>,
}

/// Everything `analyze` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Counts of runners by outcome.
    pub summary: Summary,
    /// About the input.
    pub input: InputStats,
    /// One entry per runner, worst first.
    pub runners: Vec<RunnerReport>,
    /// Fleet-wide rejections (GitLab-side incidents).
    pub fleet_incidents: Vec<IncidentReport>,
}

/// Runner counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Runners (and failing registration tokens) seen.
    pub runners: usize,
    /// Unhealthy and still current: someone has to act.
    pub unhealthy: usize,
    /// Were unhealthy, replaced by a newer healthy runner.
    pub resolved: usize,
    /// Healthy.
    pub healthy: usize,
    /// Nothing proves either way.
    pub unknown: usize,
}

/// One runner.
#[derive(Debug, Clone, Serialize)]
pub struct RunnerReport {
    /// The runner's key (for the daemon; not in the JSON report).
    #[serde(skip)]
    pub key: crate::health::RunnerKey,
    /// The diagnosis.
    #[serde(flatten)]
    pub diagnosis: Diagnosis,
    /// The id is a registration token's short id (legacy `register`).
    pub registration_token: bool,
    /// Pods that logged it, oldest first.
    pub pods: Vec<String>,
    /// When the current state began.
    pub state_since: Option<Timestamp>,
    /// First line.
    pub first_seen: Option<Timestamp>,
    /// Last line.
    pub last_seen: Option<Timestamp>,
    /// Events per class (non-zero only).
    pub events: BTreeMap<&'static str, u64>,
    /// Why the runner last locked itself out (`token`, `job_router`,
    /// `client_error`, `executor`, `unexplained`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lockout_cause: Option<crate::health::LockoutCause>,
    /// The runner manager's `system_id`, when its pod announced one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_id: Option<String>,
}

/// A fleet-wide rejection.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentReport {
    /// First onset.
    pub first: Timestamp,
    /// Last onset.
    pub last: Timestamp,
    /// Runners involved (`namespace/workload/id`).
    pub runners: Vec<String>,
    /// Active runners at the time.
    pub active_runners: usize,
}

impl Report {
    pub(crate) fn build(tracker: &Tracker, input: InputStats) -> Report {
        let now = input.last;
        let mut summary = Summary::default();
        let mut runners: Vec<RunnerReport> = tracker
            .runners()
            .into_iter()
            .filter_map(|r| {
                let d = tracker.diagnose(&r.key, now)?;
                Some(RunnerReport {
                    key: r.key.clone(),
                    registration_token: r.registration_token,
                    pods: r.pods.iter().map(|p| p.to_string()).collect(),
                    state_since: r.since.at,
                    first_seen: r.first_seen.at,
                    last_seen: r.last_seen.at,
                    events: Class::ALL
                        .iter()
                        .filter(|c| r.count(**c) > 0)
                        .map(|c| (c.as_str(), r.count(*c)))
                        .collect(),
                    lockout_cause: r.lockout_cause,
                    system_id: r.system_id.map(|s| s.to_string()),
                    diagnosis: d,
                })
            })
            .collect();
        for r in &runners {
            summary.runners += 1;
            let d = &r.diagnosis;
            match d.state {
                _ if d.needs_action() => summary.unhealthy += 1,
                s if s.is_bad() => summary.resolved += 1,
                State::Healthy => summary.healthy += 1,
                _ => summary.unknown += 1,
            }
        }
        runners.sort_by_key(|r| {
            let d = &r.diagnosis;
            let rank = if d.needs_action() {
                0
            } else if d.state.is_bad() {
                1
            } else if d.state == State::Healthy {
                2
            } else {
                3
            };
            (rank, d.workload.clone(), d.runner.clone())
        });
        let fleet_incidents = tracker
            .fleet_incidents()
            .iter()
            .map(|i| IncidentReport {
                first: i.first,
                last: i.last,
                runners: i
                    .runners
                    .iter()
                    .map(|k| format!("{}/{}/{}", k.namespace, k.workload, k.runner))
                    .collect(),
                active_runners: i.active_runners,
            })
            .collect();
        Report {
            summary,
            input,
            runners,
            fleet_incidents,
        }
    }

    /// Some runner needs a person (or runner-medic) to act.
    pub fn has_unhealthy(&self) -> bool {
        self.summary.unhealthy > 0
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data to a String cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The report for a person.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let i = &self.input;
        let span = match (i.first, i.last) {
            (Some(a), Some(b)) => format!(
                ", {} to {}",
                a.strftime("%Y-%m-%d %H:%M:%S UTC"),
                b.strftime("%Y-%m-%d %H:%M:%S UTC")
            ),
            _ => ", no timestamps".into(),
        };
        let _ = writeln!(
            out,
            "Read {} line(s) from {} input(s){span}.",
            i.lines, i.inputs
        );
        let mut notes = Vec::new();
        if i.truncated > 0 {
            notes.push(format!(
                "{} line(s) longer than 64 KiB were cut",
                i.truncated
            ));
        }
        if i.invalid_utf8 > 0 {
            notes.push(format!("{} line(s) had invalid UTF-8", i.invalid_utf8));
        }
        if !notes.is_empty() {
            let _ = writeln!(out, "Note: {}.", notes.join("; "));
        }
        out.push('\n');
        if self.runners.is_empty() {
            out.push_str(
                "No runner found: no line carried a runner id (is this gitlab-runner output?).\n",
            );
        }
        for r in &self.runners {
            render_runner(&mut out, r);
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "Summary: {} runner(s): {} unhealthy, {} resolved, {} healthy, {} unknown.",
            s.runners, s.unhealthy, s.resolved, s.healthy, s.unknown
        );
        out
    }
}

const WIDTH: usize = 100;

fn render_runner(out: &mut String, r: &RunnerReport) {
    let d = &r.diagnosis;
    let label = if d.needs_action() {
        "UNHEALTHY"
    } else if d.state.is_bad() {
        "RESOLVED"
    } else if d.state == State::Healthy {
        "HEALTHY"
    } else {
        "UNKNOWN"
    };
    let what = if r.registration_token {
        "registration token"
    } else {
        "runner"
    };
    let _ = writeln!(
        out,
        "{label}  {what} {}  {}  pod {}",
        d.runner, d.workload, d.pod
    );
    let since = r
        .state_since
        .map(|t| format!(" since {}", t.strftime("%Y-%m-%d %H:%M:%S UTC")))
        .unwrap_or_default();
    let _ = writeln!(out, "  state:  {}{since}", d.state.as_str());
    wrap_into(out, "  ", "  what:   ", &d.summary);
    if label == "HEALTHY" || label == "UNKNOWN" {
        events_line(out, r);
        out.push('\n');
        return;
    }
    if !d.evidence.is_empty() {
        out.push_str("  evidence:\n");
        for e in &d.evidence {
            wrap_into(out, "      ", "    - ", e);
        }
    }
    if !d.meaning.is_empty() {
        wrap_into(out, "          ", "  means:  ", &d.meaning);
    }
    if !d.fix.is_empty() {
        out.push_str("  fix:\n");
        for (n, f) in d.fix.iter().enumerate() {
            wrap_into(out, "       ", &format!("    {}. ", n + 1), f);
        }
    }
    if !d.will_not_help.is_empty() && label == "UNHEALTHY" {
        out.push_str("  will not help:\n");
        for w in &d.will_not_help {
            wrap_into(out, "      ", "    - ", w);
        }
    }
    if r.pods.len() > 1 {
        let _ = writeln!(out, "  pods:   {}", r.pods.join(", "));
    }
    events_line(out, r);
    out.push('\n');
}

fn events_line(out: &mut String, r: &RunnerReport) {
    let events: Vec<String> = r.events.iter().map(|(c, n)| format!("{c}={n}")).collect();
    wrap_into(out, "          ", "  events: ", &events.join(" "));
}

/// Writes `text` word-wrapped: `first` before the first line, `indent`
/// before the others. A `quoted command` is never broken, so it can be
/// copied whole.
fn wrap_into(out: &mut String, indent: &str, first: &str, text: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in words(text) {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Splits on spaces, keeping backtick spans whole.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    for (i, c) in text.char_indices() {
        match c {
            '`' => in_code = !in_code,
            ' ' if !in_code => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}
