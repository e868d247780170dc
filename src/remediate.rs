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
pub mod strategy;
pub mod verify;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::analyze::Snapshot;
use crate::event::RunnerId;
use crate::event::Workflow;
use crate::health::{RunnerKey, RunnerView, State};
use crate::metrics::Metrics;
use audit::Audit;
use gitlab::{Gitlab, GitlabConfig};
use history::{Store, WorkloadHistory, WorkloadKey};
use lease::LeaseConfig;
use policy::{Decision, Identity, Local, Mode, Policy, Remote, Strategy, Trigger, Verdict};

/// Two alerts about the same runner.
fn same_runner(a: &AlertRequest, b: &AlertRequest) -> bool {
    a.namespace == b.namespace && a.workload == b.workload && a.runner == b.runner
}

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
    pub recreate_settings: BTreeMap<WorkloadKey, history::RunnerSettings>,
    /// The runner's container in its pods (`None`: named like the workload,
    /// as the gitlab-runner chart does).
    pub runner_container: Option<String>,
    /// How far GitLab's and the nodes' clocks may disagree.
    pub clock_skew: Duration,
    /// How long GitLab's answers about a candidate are reused for decisions
    /// that do not act.
    pub recheck: Duration,
}

impl RemediationConfig {
    /// The runner's container in the pods of `workload`: the configured
    /// name, else the workload's (the gitlab-runner chart names both after
    /// the release).
    pub fn runner_container<'a>(&'a self, workload: &'a str) -> &'a str {
        self.runner_container.as_deref().unwrap_or(workload)
    }
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
    history: BTreeMap<WorkloadKey, WorkloadHistory>,
    loaded: bool,
    /// Last decision per runner (verdict, failed check), to record changes only.
    last: HashMap<RunnerKey, (Verdict, &'static str)>,
    /// Runner settings captured from GitLab (`recreate`), per workload key.
    settings: BTreeMap<WorkloadKey, history::RunnerSettings>,
    /// Runners whose settings capture was tried (once per process).
    captured: HashSet<RunnerKey>,
    /// A token issued but not yet written to its Secret, per workload key:
    /// memory only, never persisted or logged.
    tokens: HashMap<WorkloadKey, gitlab::Secret>,
    /// History entries that cannot be read, per workload key (fail closed).
    unreadable: BTreeMap<WorkloadKey, String>,
    /// Workload keys whose circuit the metrics show open.
    circuits: HashSet<WorkloadKey>,
    /// GitLab's and the cluster's answers per candidate, reused for
    /// decisions that do not act for `recheck` (quiet when idle).
    cache: HashMap<RunnerKey, Cached>,
    /// Runners whose GitLab record disagrees with their log (metric series).
    disputed: HashSet<RunnerKey>,
    /// GitLab's last health answer, shared by candidates for `recheck`.
    version: Option<(tokio::time::Instant, Result<(), String>)>,
}

/// Answers gathered for a candidate, and when.
#[derive(Debug, Clone)]
struct Cached {
    at: tokio::time::Instant,
    remote: Remote,
    owner: Option<pods::Owner>,
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
            unreadable: BTreeMap::new(),
            circuits: HashSet::new(),
            cache: HashMap::new(),
            disputed: HashSet::new(),
            version: None,
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
                _ = tick.tick() => self.evaluate(Vec::new(), &token).await,
                Some(alert) = self.alerts.recv() => {
                    // Alerts arrive in bursts (one webhook call can carry
                    // dozens, Alertmanager repeats them): one evaluation per
                    // runner for the whole burst.
                    let mut batch = vec![alert];
                    while let Ok(a) = self.alerts.try_recv() {
                        if !batch.iter().any(|b| same_runner(b, &a)) {
                            batch.push(a);
                        }
                    }
                    self.evaluate(batch, &token).await
                }
            }
        }
        self.metrics.remediation.in_progress(false);
    }

    fn acting(&self) -> bool {
        self.config.policy.mode == Mode::On
    }

    async fn evaluate(&mut self, alerts: Vec<AlertRequest>, token: &CancellationToken) {
        if self.config.policy.mode == Mode::Off {
            return;
        }
        if self.acting() && !*self.leader.borrow() {
            self.loaded = false; // reload the history when we lead again
            return;
        }
        if self.acting() && !self.reload(token).await {
            return;
        }
        let views: Arc<Vec<RunnerView>> = self.snapshot.borrow().runners.clone();
        self.forget_gone(&views);
        self.capture_settings(&views).await;
        let strategy = self.config.policy.strategy;
        let mut candidates: Vec<(&RunnerView, Trigger)> = Vec::new();
        if alerts.is_empty() {
            candidates.extend(
                views
                    .iter()
                    .filter(|r| policy::is_candidate(strategy, r))
                    .map(|r| (r, Trigger::Local)),
            );
        }
        for a in &alerts {
            let found = views.iter().find(|r| {
                *r.key.namespace == *a.namespace
                    && *r.key.workload == *a.workload
                    && r.key.runner.matches(&a.runner)
            });
            match found {
                Some(r) if !candidates.iter().any(|(c, _)| c.key == r.key) => {
                    candidates.push((r, Trigger::Alert(a.alertname.clone())))
                }
                Some(_) => {}
                None => {
                    tracing::info!(alert = %a.alertname, runner = %a.runner, "alert names no tracked runner; ignored");
                }
            }
        }
        for (view, trigger) in candidates {
            if token.is_cancelled() {
                return;
            }
            self.consider(view, trigger, &views, token).await;
        }
    }

    /// Reads the history ConfigMap (every evaluation while acting, so a
    /// person's edit, such as removing a key to reset a circuit breaker,
    /// takes effect within one interval). False: it cannot be read, and
    /// nothing is done.
    async fn reload(&mut self, token: &CancellationToken) -> bool {
        let loaded = match self.store.load().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the remediation history; not acting until it can be read");
                return false;
            }
        };
        for (k, e) in &loaded.unreadable {
            if self.unreadable.get(k) != Some(e) {
                tracing::warn!(key = %k, error = %e, configmap = history::CONFIGMAP, "unreadable remediation history entry: its workload is not remediated until the entry is fixed or removed");
            }
        }
        if !loaded.foreign.is_empty() && !self.loaded {
            tracing::info!(keys = ?loaded.foreign, configmap = history::CONFIGMAP, "keys that name no workload are ignored");
        }
        self.unreadable = loaded.unreadable;
        self.history = loaded.histories;
        self.settings.extend(loaded.settings);
        let open: HashSet<WorkloadKey> = self
            .history
            .iter()
            .filter(|(_, h)| h.circuit_open)
            .map(|(k, _)| k.clone())
            .collect();
        for k in self.circuits.union(&open) {
            self.metrics
                .remediation
                .circuit(k.namespace(), k.workload(), open.contains(k));
        }
        self.circuits = open;
        if !self.loaded {
            self.loaded = true;
            // A remediation interrupted by a restart continues where it stopped.
            let pending: Vec<WorkloadKey> = self
                .history
                .iter()
                .filter(|(_, h)| h.in_flight.is_some())
                .map(|(k, _)| k.clone())
                .collect();
            for key in pending {
                self.resume(&key, token).await;
            }
        }
        true
    }

    /// Drops what is kept about runners that are no longer tracked, and
    /// answers older than `recheck`.
    fn forget_gone(&mut self, views: &[RunnerView]) {
        let recheck = self.config.recheck;
        self.cache.retain(|_, c| c.at.elapsed() < recheck);
        let gone: Vec<RunnerKey> = self
            .disputed
            .iter()
            .filter(|k| !views.iter().any(|v| v.key == **k))
            .cloned()
            .collect();
        for k in gone {
            self.metrics.remediation.gitlab_disagrees(&k, None);
            self.disputed.remove(&k);
        }
    }

    async fn consider(
        &mut self,
        view: &RunnerView,
        trigger: Trigger,
        views: &[RunnerView],
        token: &CancellationToken,
    ) {
        let key = WorkloadKey::new(&view.key.namespace, &view.key.workload);
        let history = self.history.get(&key).cloned().unwrap_or_default();
        let busy = self
            .history
            .iter()
            .find(|(_, h)| h.in_flight.is_some())
            .map(|(k, _)| format!("{}/{}", k.namespace(), k.workload()));
        let runner_container = self.config.runner_container(&view.key.workload).to_owned();
        let local = Local {
            trigger,
            // Dry-run takes no lease: every replica may report what it would do.
            leader: !self.acting() || *self.leader.borrow(),
            busy,
            history: &history,
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
            runner_container: &runner_container,
            history_error: self.unreadable.get(&key).map(|e| {
                format!(
                    "key {key} of ConfigMap {}: {e}; fix or remove it",
                    history::CONFIGMAP
                )
            }),
        };
        let policy = self.config.policy.clone();
        let mut decision = policy::precheck(&policy, view, &local, Timestamp::now());
        let mut owner = None;
        let mut facts = executor::Facts::default();
        let mut disagrees = false;
        if decision.verdict != Verdict::Refuse {
            // GitLab is asked only for a candidate that passed every local
            // check, and its answers are reused for `recheck` unless acting.
            let cached = self
                .cache
                .get(&view.key)
                .filter(|c| c.at.elapsed() < self.config.recheck)
                .cloned();
            let fresh = cached.is_none();
            let c = match cached {
                Some(c) => c,
                None => self.gather_cached(view, false).await,
            };
            decision = policy::preflight(&policy, view, decision, &c.remote);
            let c = if decision.verdict == Verdict::Act && !fresh {
                // Acting needs today's answers, not the cache's.
                let c = self.gather_cached(view, true).await;
                let again = policy::precheck(&policy, view, &local, Timestamp::now());
                decision = policy::preflight(&policy, view, again, &c.remote);
                c
            } else {
                c
            };
            disagrees = policy::gitlab_disagrees(view, &c.remote);
            owner = c.owner;
            if let Identity::Unique { id, .. } = c.remote.identity {
                facts.gitlab_id = Some(id);
            }
            facts.secret = c.remote.secret.and_then(Result::ok);
            facts.rejected_since = view.first_forbidden.or(view.first_verify_rejected);
        }
        if disagrees || self.disputed.contains(&view.key) {
            self.metrics
                .remediation
                .gitlab_disagrees(&view.key, Some(disagrees));
            if disagrees {
                self.disputed.insert(view.key.clone());
            }
        }
        self.record(view, &decision, owner.as_ref()).await;
        if decision.verdict == Verdict::Act {
            facts.owner = owner;
            self.execute(view, &decision, facts, token).await;
        }
    }

    /// Gathers a candidate's facts and keeps them for `recheck`. GitLab's
    /// health (`/version`) is shared by every candidate for that long too,
    /// unless `acting`: a write is decided on answers read now.
    async fn gather_cached(&mut self, view: &RunnerView, acting: bool) -> Cached {
        let health = match &self.version {
            Some((at, h)) if !acting && at.elapsed() < self.config.recheck => h.clone(),
            _ => {
                let h = match &self.gitlab {
                    Some(g) => g.version().await.map(|_| ()).map_err(|e| e.to_string()),
                    None => Err("no GitLab configured".into()),
                };
                // An outage is asked about again at the next evaluation.
                self.version = h.is_ok().then(|| (tokio::time::Instant::now(), h.clone()));
                h
            }
        };
        let (remote, owner) = self.gather(view, health).await;
        let c = Cached {
            at: tokio::time::Instant::now(),
            remote,
            owner,
        };
        // Failed reads (an outage, a cut listing) are not kept: the next
        // evaluation asks again, so a recovery is seen at once.
        let complete = c.remote.gitlab.is_ok()
            && !matches!(c.remote.identity, Identity::Failed(_))
            && !matches!(c.remote.record, Some(Err(_)));
        if complete {
            self.cache.insert(view.key.clone(), c.clone());
        }
        c
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
            // Only a runner the pod proved it runs (it verified the token
            // in its own runner container) lends its settings to the
            // workload: lines about other runners must not decide what a
            // recreate creates.
            let container = self.config.runner_container(&v.key.workload);
            if v.state != State::Healthy
                || v.workflow != Workflow::AuthToken
                || v.registration_token
                || self.captured.contains(&v.key)
                || !v.bound_pods.iter().any(|p| **p == *v.pod())
                || v.containers.iter().any(|c| **c != *container)
            {
                continue;
            }
            self.captured.insert(v.key.clone());
            // ...and only when the pod's token Secret holds that runner's token.
            if let Err(why) = secret::find(
                &self.client,
                &v.key.namespace,
                v.pod(),
                &self.config.secret_key,
                &v.key.runner,
            )
            .await
            {
                tracing::info!(runner = %v.key.runner, %why, "the runner's settings are not kept for recreate");
                continue;
            }
            let key = WorkloadKey::new(&v.key.namespace, &v.key.workload);
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
        // Before the owner is read (a local refusal), the workload is named
        // as the chart deploys it: a Deployment.
        let reference = Some(match owner {
            Some(o) => cluster.reference(&o.kind, &o.name),
            None => cluster.reference("Deployment", &view.key.workload),
        });
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
    async fn gather(
        &self,
        view: &RunnerView,
        gitlab: Result<(), String>,
    ) -> (Remote, Option<pods::Owner>) {
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
        // Every strategy, restart included, needs GitLab's record of the
        // runner: it is the second witness to the log's rejections.
        let identity = match (&self.gitlab, &gitlab) {
            (_, Err(_)) => Identity::NotNeeded,
            // After a lost rotation GitLab knows the runner by its
            // rotated token's short id.
            (Some(g), Ok(())) => match g
                .find_runners(view.rotated_to.as_ref().unwrap_or(&view.key.runner))
                .await
            {
                Ok(found) if found.len() == 1 => Identity::Unique {
                    id: found[0].id,
                    short_sha: found[0].short_sha.clone(),
                    creation_method: found[0].creation_method.clone(),
                },
                Ok(found) if found.is_empty() => Identity::None,
                Ok(found) => Identity::Several(found.len()),
                Err(e) => Identity::Failed(e.to_string()),
            },
            (None, Ok(())) => Identity::Failed("no GitLab configured".into()),
        };
        let record = match (&self.gitlab, &identity) {
            (Some(g), Identity::Unique { id, .. }) => {
                Some(g.record(*id).await.map_err(|e| e.to_string()))
            }
            _ => None,
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
                    &view.key.runner,
                )
                .await,
            );
            if strategy == Strategy::Recreate {
                let key = WorkloadKey::new(&view.key.namespace, &view.key.workload);
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
            record,
            clock_skew: self.config.clock_skew,
            scope,
            secret,
            settings,
        };
        (remote, owner)
    }

    /// The settings `recreate` uses for a workload: captured, else config.
    fn recreate_settings(&self, key: &WorkloadKey) -> Option<&history::RunnerSettings> {
        self.settings
            .get(key)
            .or_else(|| self.config.recreate_settings.get(key))
    }
}
