//! Remediation: the seed runbook as a controller. Off by default.
//!
//! ```text
//! snapshot (runner views) ─┐   ticks (5 s) ─┐   Alertmanager alerts ─┐
//!                          ▼                ▼                       ▼
//!                 Controller::evaluate (one task, one remediation at a time)
//!   policy::precheck (pure, local) → gather Remote (cluster + GitLab reads)
//!   → policy::preflight (pure) → audit → executor (leader only, mode on)
//!   → verify against the runner views → history (ConfigMap) + audit
//! ```
//!
//! Every refusal has a stated reason. Dry-run decides and records (logs,
//! metrics) but writes nothing to the cluster or GitLab: no lease, no
//! Events, no history. In `on` mode only the lease holder acts, one
//! remediation at a time, and each step is persisted before the next so a
//! restart neither repeats nor forgets it.

pub mod audit;
mod executor;
pub mod gitlab;
pub mod history;
pub mod lease;
pub mod pods;
pub mod policy;
pub mod secret;
pub mod verify;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::event::RunnerId;
use crate::event::Workflow;
use crate::health::{RunnerKey, RunnerView, State};
use crate::metrics::Metrics;
use crate::pipeline::Snapshot;
use audit::Audit;
use gitlab::{Gitlab, GitlabConfig};
use history::{Store, WorkloadHistory};
use lease::LeaseConfig;
use policy::{Decision, Identity, Local, Mode, Policy, Remote, Strategy, Trigger, Verdict};

/// An alert that names a runner (from the Alertmanager webhook).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRequest {
    /// Alert name.
    pub alertname: String,
    /// Namespace label.
    pub namespace: String,
    /// Workload label.
    pub workload: String,
    /// Runner label, normalised.
    pub runner: RunnerId,
}

/// Everything remediation needs, validated.
#[derive(Debug, Clone)]
pub struct RemediationConfig {
    /// The policy.
    pub policy: Policy,
    /// GitLab (required unless the mode is off).
    pub gitlab: Option<GitlabConfig>,
    /// Leader election.
    pub lease: LeaseConfig,
    /// The daemon's pod selector (to find a workload's pods).
    pub selector: String,
    /// How often candidates are re-evaluated.
    pub interval: Duration,
    /// The Secret key holding the runner token (rotate/recreate).
    pub secret_key: String,
    /// A copy of every audit record as one line (the demo's narration).
    pub narrate: Option<mpsc::UnboundedSender<String>>,
    /// `recreate`: settings of a workload's runner (`<namespace>.<workload>`)
    /// when none were captured from GitLab while it was healthy.
    pub recreate_settings: BTreeMap<String, history::RunnerSettings>,
}

/// The remediation task.
pub struct Controller {
    config: RemediationConfig,
    client: kube::Client,
    gitlab: Option<Arc<Gitlab>>,
    metrics: Metrics,
    audit: Audit,
    store: Store,
    snapshot: watch::Receiver<Snapshot>,
    leader: watch::Receiver<bool>,
    alerts: mpsc::Receiver<AlertRequest>,
    history: BTreeMap<String, WorkloadHistory>,
    loaded: bool,
    /// Last decision per runner (verdict, failed check), to record changes only.
    last: HashMap<RunnerKey, (Verdict, &'static str)>,
    /// Runner settings captured from GitLab (`recreate`), per workload key.
    settings: BTreeMap<String, history::RunnerSettings>,
    /// Runners whose settings capture was tried (once per process).
    captured: HashSet<RunnerKey>,
    /// A token issued but not yet written to its Secret, per workload key:
    /// memory only, never persisted or logged.
    tokens: HashMap<String, gitlab::Secret>,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("mode", &self.config.policy.mode)
            .finish_non_exhaustive()
    }
}

/// Channels the daemon wiring hands to the controller.
#[derive(Debug)]
pub struct ControllerIo {
    /// Runner views from the pipeline.
    pub snapshot: watch::Receiver<Snapshot>,
    /// Leadership (always true in dry-run, where no lease is taken).
    pub leader: watch::Receiver<bool>,
    /// Alerts from the webhook.
    pub alerts: mpsc::Receiver<AlertRequest>,
}

impl Controller {
    /// A controller; fails when GitLab is required but cannot be set up.
    pub fn new(
        config: RemediationConfig,
        client: kube::Client,
        metrics: Metrics,
        io: ControllerIo,
    ) -> Result<Controller, gitlab::GitlabError> {
        let gitlab = match &config.gitlab {
            Some(g) => Some(Arc::new(Gitlab::new(g.clone(), Some(metrics.clone()))?)),
            None => None,
        };
        let acting = config.policy.mode == Mode::On;
        let audit = Audit::new(
            acting.then(|| client.clone()),
            &config.lease.identity,
            metrics.clone(),
        )
        .with_narration(config.narrate.clone());
        let store = Store::new(client.clone(), &config.lease.namespace);
        Ok(Controller {
            config,
            client,
            gitlab,
            metrics,
            audit,
            store,
            snapshot: io.snapshot,
            leader: io.leader,
            alerts: io.alerts,
            history: BTreeMap::new(),
            loaded: false,
            last: HashMap::new(),
            settings: BTreeMap::new(),
            captured: HashSet::new(),
            tokens: HashMap::new(),
        })
    }

    /// Runs until `token` is cancelled.
    pub async fn run(mut self, token: CancellationToken) {
        let mut tick = tokio::time::interval(self.config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tracing::info!(
            mode = ?self.config.policy.mode,
            strategy = self.config.policy.strategy.as_str(),
            "remediation controller started"
        );
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => self.evaluate(None, &token).await,
                Some(alert) = self.alerts.recv() => self.evaluate(Some(alert), &token).await,
            }
        }
        self.metrics.in_progress(false);
    }

    fn acting(&self) -> bool {
        self.config.policy.mode == Mode::On
    }

    async fn evaluate(&mut self, alert: Option<AlertRequest>, token: &CancellationToken) {
        if self.config.policy.mode == Mode::Off {
            return;
        }
        if self.acting() && !*self.leader.borrow() {
            self.loaded = false; // reload the history when we lead again
            return;
        }
        if self.acting() && !self.loaded {
            match self.store.load().await {
                Ok(loaded) => {
                    self.history = loaded.histories;
                    self.settings.extend(loaded.settings);
                    self.loaded = true;
                    for (k, h) in &self.history {
                        if let Some((ns, w)) = k.split_once('.') {
                            self.metrics.circuit(ns, w, h.circuit_open);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the remediation history; not acting until it can be read");
                    return;
                }
            }
            // A remediation interrupted by a restart continues where it stopped.
            let pending: Vec<String> = self
                .history
                .iter()
                .filter(|(_, h)| h.in_flight.is_some())
                .map(|(k, _)| k.clone())
                .collect();
            for key in pending {
                self.resume(&key, token).await;
            }
        }
        let views: Arc<Vec<RunnerView>> = self.snapshot.borrow().runners.clone();
        self.capture_settings(&views).await;
        let strategy = self.config.policy.strategy;
        let candidates: Vec<(&RunnerView, Trigger)> = match &alert {
            Some(a) => {
                let found = views.iter().find(|r| {
                    *r.key.namespace == *a.namespace
                        && *r.key.workload == *a.workload
                        && r.key.runner.matches(&a.runner)
                });
                match found {
                    Some(r) => vec![(r, Trigger::Alert(a.alertname.clone()))],
                    None => {
                        tracing::info!(alert = %a.alertname, runner = %a.runner, "alert names no tracked runner; ignored");
                        vec![]
                    }
                }
            }
            None => views
                .iter()
                .filter(|r| policy::is_candidate(strategy, r))
                .map(|r| (r, Trigger::Local))
                .collect(),
        };
        for (view, trigger) in candidates {
            if token.is_cancelled() {
                return;
            }
            self.consider(view, trigger, &views, token).await;
        }
    }

    async fn consider(
        &mut self,
        view: &RunnerView,
        trigger: Trigger,
        views: &[RunnerView],
        token: &CancellationToken,
    ) {
        let key = history::key(&view.key.namespace, &view.key.workload);
        let empty = WorkloadHistory::default();
        let history = self.history.get(&key).unwrap_or(&empty);
        let busy = self
            .history
            .iter()
            .find(|(_, h)| h.in_flight.is_some())
            .map(|(k, _)| k.replace('.', "/"));
        let local = Local {
            trigger,
            // Dry-run takes no lease: every replica may report what it would do.
            leader: !self.acting() || *self.leader.borrow(),
            busy,
            history,
            pod_mates: views
                .iter()
                .filter(|m| m.key != view.key && m.pod() == view.pod() && !m.registration_token)
                // A pod whose start fails verification runs no runner at
                // all: mates last seen before that were in an earlier
                // container (e.g. the id a lost rotation produced).
                .filter(|m| match view.first_verify_rejected {
                    Some(failing) if view.verify_rejections > 0 => {
                        m.last_seen.is_none_or(|l| l >= failing)
                    }
                    _ => true,
                })
                .collect(),
        };
        let policy = &self.config.policy;
        let mut decision = policy::precheck(policy, view, &local, Timestamp::now());
        let mut owner = None;
        let mut facts = executor::Facts::default();
        if decision.verdict != Verdict::Refuse {
            let (remote, o) = self.gather(view).await;
            owner = o;
            decision = policy::preflight(policy, view, decision, &remote);
            if let Identity::Unique { id, .. } = remote.identity {
                facts.gitlab_id = Some(id);
            }
            facts.secret = remote.secret.and_then(Result::ok);
        }
        self.record(view, &decision, owner.as_ref()).await;
        if decision.verdict == Verdict::Act {
            facts.owner = owner;
            self.execute(view, &decision, facts, token).await;
        }
    }

    /// `recreate` needs the settings of a runner that may be gone when it
    /// fails: read them from GitLab (read-only calls) while it is healthy,
    /// once per runner and process, and persist them when acting.
    async fn capture_settings(&mut self, views: &[RunnerView]) {
        if self.config.policy.strategy != Strategy::Recreate {
            return;
        }
        let Some(gitlab) = self.gitlab.clone() else {
            return;
        };
        for v in views {
            if v.state != State::Healthy
                || v.workflow != Workflow::AuthToken
                || v.registration_token
                || self.captured.contains(&v.key)
            {
                continue;
            }
            self.captured.insert(v.key.clone());
            let key = history::key(&v.key.namespace, &v.key.workload);
            let found = match gitlab.find_runners(&v.key.runner).await {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(runner = %v.key.runner, error = %e, "cannot look the runner up in GitLab to keep its settings");
                    continue;
                }
            };
            let [one] = found.as_slice() else {
                tracing::info!(runner = %v.key.runner, matches = found.len(), "runner not identified uniquely in GitLab; its settings are not kept");
                continue;
            };
            let details = match gitlab.runner(one.id).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(runner = %v.key.runner, error = %e, "cannot read the runner's settings in GitLab");
                    continue;
                }
            };
            let s = history::RunnerSettings::from_details(
                v.key.runner.as_str(),
                &details,
                Timestamp::now(),
            );
            tracing::info!(namespace = %v.key.namespace, workload = %v.key.workload, runner = %v.key.runner, gitlab_id = one.id, runner_type = %s.runner_type, "kept the runner's settings for recreate");
            if self.acting()
                && self.loaded
                && *self.leader.borrow()
                && let Err(e) = self.store.save_settings(&key, &s).await
            {
                tracing::warn!(error = %e, "cannot persist the runner's settings");
            }
            self.settings.insert(key, s);
        }
    }

    /// Records a decision when it differs from the last one for the runner.
    async fn record(&mut self, view: &RunnerView, d: &Decision, owner: Option<&pods::Owner>) {
        let sig = (d.verdict, d.refusal().map_or("none", |c| c.name));
        if self.last.get(&view.key) == Some(&sig) && d.verdict != Verdict::Act {
            return;
        }
        self.last.insert(view.key.clone(), sig);
        let cluster = self.cluster(&view.key.namespace);
        let reference = owner.map(|o| cluster.reference(&o.kind, &o.name));
        // Refusals for "not yet" reasons are not worth an Event.
        let quiet = matches!(
            sig.1,
            "mode" | "state" | "latched" | "min_forbidden" | "lease" | "replaced"
        );
        self.audit
            .decision(d, reference.as_ref(), self.acting() && !quiet)
            .await;
    }

    fn cluster(&self, namespace: &str) -> pods::Cluster {
        pods::Cluster::new(self.client.clone(), namespace, &self.config.selector)
    }

    /// Reads what the preflight needs from the cluster and GitLab.
    async fn gather(&self, view: &RunnerView) -> (Remote, Option<pods::Owner>) {
        let cluster = self.cluster(&view.key.namespace);
        let owner = match cluster.owner(view.pod()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, pod = view.pod(), "cannot read the pod's owner");
                None
            }
        };
        let (paused, rollout_paused) = owner
            .as_ref()
            .map_or((false, false), |o| (o.paused, o.rollout_paused));
        let gitlab = match &self.gitlab {
            Some(g) => g.version().await.map(|_| ()).map_err(|e| e.to_string()),
            None => Err("no GitLab configured".into()),
        };
        let identity = if !self.config.policy.strategy.mutates_gitlab() || gitlab.is_err() {
            Identity::NotNeeded
        } else {
            match &self.gitlab {
                // After a lost rotation GitLab knows the runner by its
                // rotated token's short id.
                Some(g) => match g
                    .find_runners(view.rotated_to.as_ref().unwrap_or(&view.key.runner))
                    .await
                {
                    Ok(found) if found.len() == 1 => Identity::Unique {
                        id: found[0].id,
                        short_sha: found[0].short_sha.clone(),
                    },
                    Ok(found) if found.is_empty() => Identity::None,
                    Ok(found) => Identity::Several(found.len()),
                    Err(e) => Identity::Failed(e.to_string()),
                },
                None => Identity::Failed("no GitLab configured".into()),
            }
        };
        let strategy = self.config.policy.strategy;
        let (mut scope, mut secret, mut settings) = (None, None, None);
        if strategy.writes_secret()
            && gitlab.is_ok()
            && let Some(g) = &self.gitlab
        {
            scope = Some(match g.token_scopes().await {
                Ok(s) => policy::scope_allows(strategy, &s),
                Err(e) => Err(format!("cannot read the access token's scopes: {e}")),
            });
            secret = Some(
                secret::find(
                    &self.client,
                    &view.key.namespace,
                    view.pod(),
                    &self.config.secret_key,
                )
                .await,
            );
            if strategy == Strategy::Recreate {
                let key = history::key(&view.key.namespace, &view.key.workload);
                settings = Some(match self.recreate_settings(&key) {
                    Some(s) => s.validate().map(|()| match (s.captured_at, s.gitlab_id) {
                        (Some(at), Some(id)) => format!(
                            "settings of GitLab runner {id} ({}) kept at {at}",
                            s.runner_type
                        ),
                        _ => format!("settings from the config ({})", s.runner_type),
                    }),
                    None => Err(
                        "no settings known for the old runner: runner-medic keeps them while the runner is healthy (strategy recreate), or set remediation.recreate_settings".into(),
                    ),
                });
            }
        }
        let remote = Remote {
            owner: owner.as_ref().map(|o| format!("{}/{}", o.kind, o.name)),
            paused,
            rollout_paused,
            gitlab,
            identity,
            scope,
            secret,
            settings,
        };
        (remote, owner)
    }

    /// The settings `recreate` uses for a workload: captured, else config.
    fn recreate_settings(&self, key: &str) -> Option<&history::RunnerSettings> {
        self.settings
            .get(key)
            .or_else(|| self.config.recreate_settings.get(key))
    }
}
