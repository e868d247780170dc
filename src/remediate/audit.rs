//! The audit trail of remediation: a structured log line for every
//! decision and step, an `events.k8s.io/v1` Event on the workload (when
//! acting; dry-run writes nothing to the cluster), and metrics. Kubernetes
//! deletes Events after an hour, so the log lines and the persisted
//! history are the durable record.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

use super::policy::{Decision, Verdict};
use crate::metrics::Metrics;

/// Where audit records go.
#[derive(Clone)]
pub struct Audit {
    recorder: Option<Recorder>,
    metrics: Metrics,
    narrate: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit")
            .field("events", &self.recorder.is_some())
            .finish()
    }
}

/// Kubernetes limits an Event note to 1 kB.
const NOTE_MAX: usize = 1000;

fn cut(s: &str) -> String {
    match s.char_indices().nth(NOTE_MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

impl Audit {
    /// An audit trail; `events` publishes Kubernetes Events as `instance`.
    pub fn new(client: Option<kube::Client>, instance: &str, metrics: Metrics) -> Audit {
        let recorder = client.map(|c| {
            Recorder::new(
                c,
                Reporter {
                    controller: "runner-medic".into(),
                    instance: Some(instance.into()),
                },
            )
        });
        Audit {
            recorder,
            metrics,
            narrate: None,
        }
    }

    /// Also sends every record as one line to `narrate`.
    pub fn with_narration(
        mut self,
        narrate: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    ) -> Audit {
        self.narrate = narrate;
        self
    }

    fn tell(&self, line: String) {
        if let Some(n) = &self.narrate {
            let _ = n.send(line);
        }
    }

    /// Records a decision (log, metric; an Event when it acts or refuses
    /// while acting is enabled and `event` is set).
    pub async fn decision(&self, d: &Decision, reference: Option<&ObjectReference>, event: bool) {
        let (verdict, check) = match (d.verdict, d.refusal()) {
            (Verdict::Act, _) => ("act", "none"),
            (Verdict::DryRun, _) => ("dry_run", "none"),
            (Verdict::Refuse, Some(c)) => ("refuse", c.name),
            (Verdict::Refuse, None) => ("refuse", "unknown"),
        };
        self.metrics
            .remediation
            .decision(&d.namespace, &d.workload, verdict, check);
        let checks: Vec<String> = d
            .checks
            .iter()
            .map(|c| format!("{}={}", c.name, if c.ok { "ok" } else { "FAIL" }))
            .collect();
        self.tell(match d.verdict {
            Verdict::Refuse => match check {
                // Not refusals a person needs to read about: the threshold
                // is not reached yet, or the runner has been replaced.
                "latched" | "min_forbidden" => {
                    format!("runner {} is not due yet: {}", d.runner, d.reason())
                }
                "replaced" => format!("runner {}: nothing to do, {}", d.runner, d.reason()),
                _ => format!("remediation of runner {} refused: {}", d.runner, d.reason()),
            },
            Verdict::DryRun => format!(
                "dry-run: would {} runner {} now",
                d.strategy.as_str(),
                d.runner
            ),
            Verdict::Act => format!(
                "remediating runner {} ({}): every check passed",
                d.runner,
                d.strategy.as_str()
            ),
        });
        match d.verdict {
            Verdict::Refuse => tracing::info!(
                namespace = %d.namespace, workload = %d.workload, runner = %d.runner,
                strategy = d.strategy.as_str(), verdict, reason = %d.reason(), checks = %checks.join(","),
                "remediation refused"
            ),
            Verdict::DryRun => tracing::warn!(
                namespace = %d.namespace, workload = %d.workload, runner = %d.runner,
                strategy = d.strategy.as_str(), verdict, checks = %checks.join(","),
                "dry-run: would remediate now"
            ),
            Verdict::Act => tracing::warn!(
                namespace = %d.namespace, workload = %d.workload, runner = %d.runner,
                strategy = d.strategy.as_str(), verdict, checks = %checks.join(","),
                "remediating"
            ),
        }
        if event && let Some(r) = reference {
            let (reason, warning) = match d.verdict {
                Verdict::Act => ("RemediationStarted", false),
                _ => ("RemediationRefused", true),
            };
            let note = format!(
                "runner {}: {} ({})",
                d.runner,
                d.reason(),
                d.strategy.as_str()
            );
            self.event(r, reason, "Decide", &note, warning).await;
        }
    }

    /// Records a step.
    pub async fn step(
        &self,
        reference: Option<&ObjectReference>,
        runner: &str,
        reason: &'static str,
        note: &str,
        warning: bool,
    ) {
        self.tell(format!("{reason}: {note}"));
        if warning {
            tracing::warn!(runner = %runner, step = reason, "{note}");
        } else {
            tracing::info!(runner = %runner, step = reason, "{note}");
        }
        if let Some(r) = reference {
            self.event(r, reason, "Remediate", note, warning).await;
        }
    }

    async fn event(
        &self,
        reference: &ObjectReference,
        reason: &str,
        action: &str,
        note: &str,
        warning: bool,
    ) {
        let Some(rec) = &self.recorder else { return };
        let ev = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.into(),
            note: Some(cut(note)),
            action: action.into(),
            secondary: None,
        };
        if let Err(e) = rec.publish(&ev, reference).await {
            tracing::warn!(error = %e, reason, "cannot publish the Kubernetes Event (the log line above is the record)");
        }
    }
}
