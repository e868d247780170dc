//! The pipeline task: every [`SourceEvent`] through parse → classify →
//! metrics → health, in one task and in order. Synchronous work inside an
//! async shell; the only output channels are the transitions queue
//! (`try_send`, overflow counted: a slow consumer never stalls log reading)
//! and the status snapshot the admin server shows.
//!
//! Owns per-runner metric series: created with the runner, moved when the
//! runner logs from another pod, removed a TTL after its last pod is gone
//! (never while a pod that logs it lives).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use rustc_hash::FxHashMap;
use tokio::sync::{mpsc, watch};

use crate::classify::Classifier;
use crate::event::Class;
use crate::health::report::{InputStats, Report};
use crate::health::{
    Diagnosis, HealthConfig, PodLimits, Refusal, RunnerKey, State, Tracker, Transition,
};
use crate::metrics::{Channel, Metrics, RunnerSeries};
use crate::parse::Parser;
use crate::source::checkpoint::Mark;
use crate::source::positions::{Positions, StreamId};
use crate::source::{Line, PositionUpdate, SourceEvent};

/// Events handled per wake-up of the pipeline at most: one wake-up per
/// event costs more than the event when a thousand streams send lines.
const BATCH: usize = 256;

/// Pipeline settings.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Forget a runner this long after its pod is gone.
    pub runner_ttl: Duration,
    /// Track at most this many runners.
    pub max_runners: usize,
    /// How many runners one pod may add (unproven ones, proven ones).
    pub pod_limits: PodLimits,
    /// Rebuild the status snapshot at most this often.
    pub publish_every: Duration,
    /// Health model tunables.
    pub health: HealthConfig,
    /// Read positions kept across restarts (`watch.state_file`).
    pub positions: Option<Arc<Positions>>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            runner_ttl: Duration::from_secs(3600),
            max_runners: 1000,
            pod_limits: PodLimits::default(),
            publish_every: Duration::from_secs(2),
            health: HealthConfig::default(),
            positions: None,
        }
    }
}

/// A state change with the words that explain it.
#[derive(Debug, Clone)]
pub struct Change {
    /// What changed.
    pub transition: Transition,
    /// The runner's diagnosis right after the change.
    pub diagnosis: Diagnosis,
}

pub use crate::analyze::Snapshot;

/// The pipeline's state.
pub struct Pipeline {
    parser: Parser,
    classifier: Classifier,
    tracker: Tracker,
    metrics: Metrics,
    series: FxHashMap<RunnerKey, RunnerSeries>,
    gone: FxHashMap<(Arc<str>, Arc<str>), Instant>,
    config: PipelineConfig,
    transitions: Option<mpsc::Sender<Change>>,
    snapshot: watch::Sender<Snapshot>,
    stats: InputStats,
    synced: bool,
    dirty: bool,
    /// Marks not recorded yet because the positions file was being written.
    stashed: FxHashMap<StreamId, Mark>,
}

impl Pipeline {
    /// A pipeline; `transitions` receives every state change (if given).
    pub fn new(
        classifier: Classifier,
        metrics: Metrics,
        config: PipelineConfig,
        transitions: Option<mpsc::Sender<Change>>,
    ) -> (Pipeline, watch::Receiver<Snapshot>) {
        let tracker =
            Tracker::with_limits(config.health.clone(), config.max_runners, config.pod_limits);
        let empty = Report::build(&tracker, InputStats::default());
        let (snapshot, rx) = watch::channel(Snapshot {
            report: Arc::new(empty),
            synced: false,
            runners: Arc::new(Vec::new()),
        });
        (
            Pipeline {
                // Lines come straight from the container: no other tool's
                // prefix to find (and none that a line could forge).
                parser: Parser::with_format(crate::parse::InputFormat::Kubectl),
                classifier,
                tracker,
                metrics,
                series: FxHashMap::default(),
                gone: FxHashMap::default(),
                config,
                transitions,
                snapshot,
                stats: InputStats::default(),
                synced: false,
                dirty: true,
                stashed: FxHashMap::default(),
            },
            rx,
        )
    }

    /// Processes events until every sender is gone, then publishes a last
    /// snapshot (draining by closing: nothing sent is lost on shutdown).
    pub async fn run(mut self, mut rx: mpsc::Receiver<SourceEvent>) {
        let mut tick = tokio::time::interval(self.config.publish_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Some(ev) => {
                        // What else is queued goes in the same wake-up (at
                        // most a batch, so that the tick is never starved).
                        let now = Instant::now();
                        self.handle(ev, now);
                        for _ in 1..BATCH {
                            match rx.try_recv() {
                                Ok(ev) => self.handle(ev, now),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    self.expire(Instant::now());
                    self.publish();
                    self.flush_marks();
                }
            }
        }
        self.dirty = true;
        self.publish();
        // Every line is counted: the last marks go in, waiting if need be.
        if let Some(p) = &self.config.positions {
            for (id, mark) in self.stashed.drain() {
                p.update(&id, mark);
            }
        }
        tracing::debug!("pipeline drained");
    }

    /// Handles one event (synchronous; `now` for TTL bookkeeping).
    pub fn handle(&mut self, ev: SourceEvent, now: Instant) {
        match ev {
            SourceEvent::Line(line) => self.line(line),
            SourceEvent::PodGone(origin) => {
                self.gone
                    .insert((origin.namespace.clone(), origin.pod.clone()), now);
            }
            SourceEvent::Synced => {
                self.synced = true;
                self.dirty = true;
                self.publish();
            }
            SourceEvent::Position(u) => self.position(u),
        }
    }

    /// Records a read position: every line it covers was handled before it.
    fn position(&mut self, u: PositionUpdate) {
        let Some(p) = &self.config.positions else {
            return;
        };
        match u {
            PositionUpdate::Mark(id, mark) => {
                // An older stashed mark must not overwrite this one later.
                self.stashed.remove(&id);
                if let Err(mark) = p.try_update(&id, mark) {
                    self.stashed.insert(id, mark);
                }
            }
            PositionUpdate::ForgetBefore {
                uid,
                container,
                instance,
            } => {
                self.stashed.retain(|id, _| {
                    *id.uid != *uid || *id.container != *container || id.instance >= instance
                });
                p.forget_before(&uid, &container, instance);
            }
            PositionUpdate::Forget { uid, container } => {
                self.stashed
                    .retain(|id, _| *id.uid != *uid || *id.container != *container);
                p.forget(&uid, &container);
            }
        }
    }

    /// Retries the marks stashed while the positions file was written.
    fn flush_marks(&mut self) {
        let Some(p) = &self.config.positions else {
            return;
        };
        let stashed = std::mem::take(&mut self.stashed);
        for (id, mark) in stashed {
            if let Err(mark) = p.try_update(&id, mark) {
                self.stashed.insert(id, mark);
            }
        }
    }

    fn line(&mut self, line: Line) {
        // A line a previous run counted rebuilds health; counters skip it
        // (they would show one event twice across the restart).
        let counted = !line.seen_before;
        let p = self.parser.parse(&line.bytes, line.truncated);
        // Counted last (below): when log_lines_total says N, the effects of
        // all N lines are visible (the family is also registered first).
        let (truncated, invalid_utf8) = (p.truncated, p.invalid_utf8);
        let event = self.classifier.classify(&p);
        // The kubelet stamps every line; a line without a stamp is dated now.
        let at = p.time().unwrap_or_else(Timestamp::now);
        self.stats.lines += 1;
        self.stats.bytes += line.bytes.len() as u64 + 1;
        self.stats.truncated += u64::from(p.truncated);
        self.stats.invalid_utf8 += u64::from(p.invalid_utf8);
        self.stats.first.get_or_insert(at);
        self.stats.last = Some(self.stats.last.map_or(at, |l| l.max(at)));
        if !self.gone.is_empty() {
            self.gone
                .remove(&(line.origin.namespace.clone(), line.origin.pod.clone()));
        }
        let obs = self.tracker.observe(&line.origin, &event, Some(at));
        if let Some(reason) = obs.refused {
            if counted {
                self.metrics.runners.runner_refused_for(reason);
            }
            if obs.first_refusal {
                let o = &line.origin;
                match reason {
                    Refusal::PodLimit => tracing::warn!(
                        namespace = %o.namespace, workload = %o.workload, pod = %o.pod,
                        limit = self.config.pod_limits.unproven,
                        "a pod names more runner ids than a pod runs, without proof that it runs them: its new ids are not tracked (runner_medic_runners_refused_total{{reason=\"pod_limit\"}})"
                    ),
                    Refusal::GlobalCap => tracing::warn!(
                        namespace = %o.namespace, workload = %o.workload, pod = %o.pod,
                        max_runners = self.config.max_runners,
                        "max_runners reached: new runner ids are not tracked (runner_medic_runners_refused_total{{reason=\"global_cap\"}})"
                    ),
                }
            }
        }
        if let Some(key) = &obs.evicted {
            // Made room for a proven runner: forgotten as on expiry.
            if let Some(s) = self.series.remove(key) {
                self.metrics.runners.forget_runner(&s);
            }
            self.dirty = true;
            tracing::info!(namespace = %key.namespace, workload = %key.workload, runner = %key.runner, "runner forgotten: max_runners reached and a proven runner needed its place (it had no proof that a pod runs it)");
        }
        match obs.runner {
            Some(r) => {
                let pod: Arc<str> = r
                    .pods
                    .last()
                    .cloned()
                    .unwrap_or_else(|| line.origin.pod.clone());
                let series = self
                    .series
                    .entry(r.key.clone())
                    .or_insert_with(|| self.metrics.runners.runner_series(&r.key, &pod));
                if counted {
                    series.event(event.class);
                }
                // What the remediation controller decides and verifies
                // with: a runner's first successful poll, any new 403 or
                // rejected verification (the counts its thresholds read;
                // without them a crash-looping runner stayed below the
                // threshold forever once its state stopped changing), and
                // the lines that tie a runner to its pod.
                let first_success =
                    event.class == Class::JobRequestOk && r.count(Class::JobRequestOk) == 1;
                if first_success
                    || matches!(
                        event.class,
                        Class::JobRequestForbidden
                            | Class::VerifyRemoved
                            | Class::VerifyOk
                            | Class::TokenResetOk
                            | Class::RegisterOk
                    )
                {
                    self.dirty = true;
                }

                if obs.transition.is_some() || *series.pod() != pod {
                    let since = r.since.at.map(|t| t.as_millisecond() as f64 / 1000.0);
                    self.metrics
                        .runners
                        .runner_state(series, &pod, r.state, since);
                }
                if event.class.is_success()
                    && let Some(t) = r.last_success.and_then(|s| s.at)
                {
                    series.last_success(t.as_millisecond() as f64 / 1000.0);
                }
                if matches!(event.class, Class::JobRequestForbidden) || event.class.is_success() {
                    series.consecutive_forbidden(r.consecutive_forbidden);
                }
            }
            None if counted => self.metrics.runners.unattributed_event(
                &line.origin.namespace,
                &line.origin.workload,
                event.class,
            ),
            None => {}
        }
        if let Some(t) = obs.transition {
            self.on_transition(t, counted);
        }
        if !counted {
            self.metrics.logs.resumed();
            return;
        }
        self.metrics
            .logs
            .line_read(line.bytes.len(), truncated, invalid_utf8);
        self.metrics
            .logs
            .line_processed(line.read_at.elapsed().as_secs_f64());
    }

    fn on_transition(&mut self, t: Transition, counted: bool) {
        self.dirty = true;
        if counted {
            self.metrics.runners.transition(t.to);
        }
        let Some(diagnosis) = self
            .tracker
            .diagnose(&t.key, Some(t.at.at.unwrap_or_else(Timestamp::now)))
        else {
            return;
        };
        let summary = diagnosis.summary.clone();
        if t.to.is_bad() {
            tracing::warn!(
                namespace = %t.key.namespace, workload = %t.key.workload, runner = %t.key.runner,
                pod = %t.pod, from = t.from.as_str(), to = t.to.as_str(), diagnosis = %summary,
                "runner health changed"
            );
        } else {
            tracing::info!(
                namespace = %t.key.namespace, workload = %t.key.workload, runner = %t.key.runner,
                pod = %t.pod, from = t.from.as_str(), to = t.to.as_str(),
                "runner health changed"
            );
        }
        if let Some(tx) = &self.transitions
            && tx
                .try_send(Change {
                    transition: t,
                    diagnosis,
                })
                .is_err()
        {
            self.metrics.logs.overflow(Channel::transitions);
        }
    }

    /// Forgets runners whose pod has been gone for longer than the TTL.
    pub fn expire(&mut self, now: Instant) {
        if self.gone.is_empty() {
            return;
        }
        let ttl = self.config.runner_ttl;
        let expired: Vec<RunnerKey> = self
            .series
            .iter()
            .filter(|(k, s)| {
                self.gone
                    .get(&(k.namespace.clone(), s.pod().clone()))
                    .is_some_and(|at| now.duration_since(*at) >= ttl)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            if let Some(s) = self.series.remove(&key) {
                self.metrics.runners.forget_runner(&s);
            }
            self.tracker.remove(&key);
            self.dirty = true;
            tracing::info!(namespace = %key.namespace, workload = %key.workload, runner = %key.runner, "runner forgotten: its pod is gone");
        }
        self.gone.retain(|_, at| now.duration_since(*at) < ttl * 2);
    }

    fn publish(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let report = Report::build(&self.tracker, self.stats.clone());
        let mut findings = FxHashMap::default();
        for r in &report.runners {
            if let Some(series) = self.series.get_mut(&r.key) {
                self.metrics
                    .runners
                    .runner_diagnosis(series, r.diagnosis.finding);
            }
            findings.insert(&r.key, r.diagnosis.finding);
        }
        let mut runners = self.tracker.views_without_findings();
        for v in &mut runners {
            if let Some(f) = findings.get(&v.key) {
                v.finding = *f;
            }
        }
        self.snapshot.send_replace(Snapshot {
            report: Arc::new(report),
            synced: self.synced,
            runners: Arc::new(runners),
        });
    }

    /// The tracker (for tests and the demo's narration).
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Current state of a runner, by id (tests).
    pub fn state_of(&self, runner: &str) -> Option<State> {
        self.tracker
            .runners()
            .into_iter()
            .find(|r| r.key.runner.as_str() == runner)
            .map(|r| r.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::Origin;
    use crate::source::Line;

    fn line(pipeline: &mut Pipeline, pod: &str, text: &str) {
        line_seen(pipeline, pod, text, false);
    }

    /// A line; `seen_before`: a previous run already counted it.
    fn line_seen(pipeline: &mut Pipeline, pod: &str, text: &str, seen_before: bool) {
        pipeline.handle(
            SourceEvent::Line(Line {
                origin: Arc::new(Origin::for_pod(
                    "gitlab-runner",
                    &format!("gitlab-runner-7d9c6b5f4-{pod}"),
                    "gitlab-runner",
                )),
                bytes: text.as_bytes().to_vec(),
                truncated: false,
                read_at: Instant::now(),
                seen_before,
            }),
            Instant::now(),
        );
    }

    fn forbidden(id: &str) -> String {
        format!(
            "ERROR: Checking for jobs... forbidden               runner={id} status=POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"
        )
    }

    fn verified(id: &str) -> String {
        format!("Verifying runner... is valid                        runner={id}")
    }

    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }

    #[test]
    fn an_evicted_runner_loses_its_series_and_refusals_are_counted_by_reason() {
        let (registry, metrics) = Metrics::new_registry();
        let config = PipelineConfig {
            max_runners: 3,
            pod_limits: PodLimits {
                unproven: 2,
                proven: 4,
            },
            ..PipelineConfig::default()
        };
        let (mut p, _) = Pipeline::new(Classifier::builtin(), metrics, config, None);
        line(&mut p, "x2x7k", &verified("HYErDk_6w"));
        line(&mut p, "f1o0d", &forbidden("Fk0000001"));
        line(&mut p, "f1o0d", &forbidden("Fk0000002"));
        line(&mut p, "f1o0d", &forbidden("Fk0000003")); // pod limit
        line(&mut p, "q8r2m", &forbidden("NoProof12")); // global cap
        let text = Metrics::encode(&registry);
        assert_eq!(sample(&text, "runner_medic_tracked_runners"), Some(3.0));
        assert_eq!(
            sample(
                &text,
                "runner_medic_runners_refused_total{reason=\"pod_limit\"}"
            ),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                "runner_medic_runners_refused_total{reason=\"global_cap\"}"
            ),
            Some(1.0)
        );
        assert!(text.contains("runner=\"Fk0000001\""));
        // A proven newcomer takes the place of the noisy pod's oldest id.
        line(&mut p, "q8r2m", &verified("Zx8Kq2LmP"));
        let text = Metrics::encode(&registry);
        assert!(!text.contains("Fk0000001"), "{text}");
        assert!(text.contains("runner=\"Fk0000002\""));
        assert!(text.contains("runner=\"Zx8Kq2LmP\",state=\"healthy\"} 1"));
        assert!(text.contains("runner=\"HYErDk_6w\",state=\"healthy\"} 1"));
        assert_eq!(sample(&text, "runner_medic_tracked_runners"), Some(3.0));
        assert!(
            p.tracker()
                .get(&RunnerKey {
                    namespace: "gitlab-runner".into(),
                    workload: "gitlab-runner".into(),
                    runner: crate::event::RunnerId::normalize("Fk0000001").unwrap(),
                })
                .is_none()
        );
    }

    fn origin(pod: &str) -> Origin {
        Origin::for_pod(
            "gitlab-runner",
            &format!("gitlab-runner-7d9c6b5f4-{pod}"),
            "gitlab-runner",
        )
    }

    #[test]
    fn transitions_carry_their_diagnosis_and_replayed_lines_rebuild_health_without_counting() {
        let (registry, metrics) = Metrics::new_registry();
        let (tx, mut rx) = mpsc::channel(16);
        let (mut p, _) = Pipeline::new(
            Classifier::builtin(),
            metrics,
            PipelineConfig::default(),
            Some(tx),
        );
        // Replayed lines (a previous run counted them): health, not counters.
        line_seen(&mut p, "x2x7k", &forbidden("HYErDk_6w"), true);
        line_seen(&mut p, "x2x7k", &forbidden("HYErDk_6w"), true);
        let text = Metrics::encode(&registry);
        assert!(
            text.contains("runner=\"HYErDk_6w\",state=\"forbidden\"} 1"),
            "{text}"
        );
        assert_eq!(
            sample(&text, "runner_medic_log_lines_total"),
            Some(0.0),
            "{text}"
        );
        let change = rx.try_recv().expect("the change to forbidden");
        assert_eq!(change.transition.to, State::Forbidden);
        assert_eq!(change.diagnosis.finding, crate::health::Finding::StaleToken);
        // A new line is counted.
        line(&mut p, "x2x7k", &forbidden("HYErDk_6w"));
        let text = Metrics::encode(&registry);
        assert_eq!(
            sample(&text, "runner_medic_log_lines_total"),
            Some(1.0),
            "{text}"
        );
        assert!(rx.try_recv().is_err(), "no change: still forbidden");
    }

    #[test]
    fn the_snapshot_carries_each_runners_finding_once_synced() {
        let (_, metrics) = Metrics::new_registry();
        let (mut p, rx) = Pipeline::new(
            Classifier::builtin(),
            metrics,
            PipelineConfig::default(),
            None,
        );
        assert!(!rx.borrow().synced);
        for _ in 0..3 {
            line(
                &mut p,
                "x2x7k",
                "ERROR: Error requesting a job                      error=rpc error: code = FailedPrecondition desc = HTTP status code: 409 runner=Jr7Kp2WxD",
            );
        }
        line(
            &mut p,
            "x2x7k",
            "ERROR: Runner \"https://gitlab.example.com/Jr7Kp2WxD\" is unhealthy and will be disabled for 1h0m0s seconds!  unhealthy_requests=3 unhealthy_requests_limit=3",
        );
        p.handle(SourceEvent::Synced, Instant::now());
        let snap = rx.borrow().clone();
        assert!(snap.synced);
        let v = snap
            .runners
            .iter()
            .find(|r| r.key.runner.as_str() == "Jr7Kp2WxD")
            .expect("the runner in the snapshot");
        assert_eq!(v.state, State::LockedOut);
        assert_eq!(v.finding, crate::health::Finding::JobRouterError);
        assert_eq!(snap.report.runners.len(), 1);
    }

    #[test]
    fn a_runner_is_forgotten_only_after_its_pod_has_been_gone_for_the_ttl() {
        let (registry, metrics) = Metrics::new_registry();
        let config = PipelineConfig {
            runner_ttl: Duration::from_secs(60),
            ..PipelineConfig::default()
        };
        let (mut p, _) = Pipeline::new(Classifier::builtin(), metrics, config, None);
        line(&mut p, "x2x7k", &forbidden("HYErDk_6w"));
        let t0 = Instant::now();
        p.handle(SourceEvent::PodGone(Arc::new(origin("x2x7k"))), t0);
        p.expire(t0 + Duration::from_secs(59));
        assert_eq!(p.state_of("HYErDk_6w"), Some(State::Forbidden));
        p.expire(t0 + Duration::from_secs(61));
        assert_eq!(p.state_of("HYErDk_6w"), None);
        let text = Metrics::encode(&registry);
        assert!(!text.contains("HYErDk_6w"), "{text}");
        // A pod that logs again is not gone: its runners stay.
        line(&mut p, "q8r2m", &forbidden("Zx8Kq2LmP"));
        let t1 = Instant::now();
        p.handle(SourceEvent::PodGone(Arc::new(origin("q8r2m"))), t1);
        line(&mut p, "q8r2m", &forbidden("Zx8Kq2LmP"));
        p.expire(t1 + Duration::from_secs(120));
        assert_eq!(p.state_of("Zx8Kq2LmP"), Some(State::Forbidden));
    }
}
