//! Carrying out a decision: the steps of a strategy, each persisted before
//! the next (so a restart resumes instead of repeating), leadership checked
//! before every mutation, then verification against the runner views.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::Controller;
use super::history::{self, InFlight, Outcome, Step};
use super::pods::{Owner, PodRef};
use super::policy::{Decision, RestartMethod, Strategy};
use super::verify::{self, Verified};
use crate::event::{RunnerId, Workflow};
use crate::health::{RunnerKey, RunnerView, State};

/// What the preflight found, for the steps.
#[derive(Debug, Default)]
pub(super) struct Facts {
    /// The stale runner's GitLab id.
    pub gitlab_id: Option<u64>,
    /// The owning workload.
    pub owner: Option<Owner>,
    /// The Secret holding the runner token (token strategies).
    pub secret: Option<String>,
}

/// Why the steps stopped early.
enum Stop {
    /// Finished with this outcome.
    Done(Outcome, String),
    /// Shutdown or lost leadership: leave it in flight for later.
    Interrupted,
}

impl Controller {
    /// Starts and runs a remediation that the policy approved.
    pub(super) async fn execute(
        &mut self,
        view: &RunnerView,
        d: &Decision,
        facts: Facts,
        token: &CancellationToken,
    ) {
        let Facts {
            gitlab_id,
            owner,
            secret,
        } = facts;
        let key = history::key(&view.key.namespace, &view.key.workload);
        let cluster = self.cluster(&view.key.namespace);
        let names: Vec<String> = view.pods.iter().map(|p| p.to_string()).collect();
        let pods = match cluster.existing(&names).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the runner's pods; not acting");
                return;
            }
        };
        let flight = InFlight {
            runner: view.key.runner.to_string(),
            strategy: d.strategy,
            started: Timestamp::now(),
            done: Vec::new(),
            pods: pods
                .iter()
                .map(|p| (p.name.clone(), p.uid.clone()))
                .collect(),
            gitlab_id,
            new_gitlab_id: None,
            restarted_at: None,
            owner: owner.as_ref().map(|o| (o.kind.clone(), o.name.clone())),
            secret,
        };
        let h = self.history.entry(key.clone()).or_default();
        h.in_flight = Some(flight);
        let snapshot = h.clone();
        if let Err(e) = self.store.save(&key, &snapshot).await {
            // Without a record a restart could repeat it: do not start.
            tracing::warn!(error = %e, "cannot persist the remediation history; not acting");
            if let Some(h) = self.history.get_mut(&key) {
                h.in_flight = None;
            }
            return;
        }
        self.run_flight(&key, token).await;
    }

    /// Continues a remediation found in flight (after a restart or a
    /// change of leader).
    pub(super) async fn resume(&mut self, key: &str, token: &CancellationToken) {
        if let Some(f) = self.history.get(key).and_then(|h| h.in_flight.as_ref()) {
            tracing::warn!(workload = %key, runner = %f.runner, done = ?f.done, "resuming an interrupted remediation");
        }
        self.run_flight(key, token).await;
    }

    async fn run_flight(&mut self, key: &str, token: &CancellationToken) {
        let Some((namespace, workload)) = key
            .split_once('.')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        else {
            return;
        };
        let Some(flight) = self.history.get(key).and_then(|h| h.in_flight.clone()) else {
            return;
        };
        self.metrics.in_progress(true);
        self.metrics
            .remediation_started(&namespace, &workload, flight.strategy.as_str());
        let cluster = self.cluster(&namespace);
        let reference = flight.owner.as_ref().map(|(k, n)| cluster.reference(k, n));
        let stop = self.steps(key, &namespace, &workload, token).await;
        match stop {
            Stop::Interrupted => {
                tracing::warn!(workload = %key, "remediation interrupted; it stays recorded as in flight");
            }
            Stop::Done(outcome, detail) => {
                let p = &self.config.policy;
                let (window, max_failures) = (p.attempt_window, p.max_failures);
                let now = Timestamp::now();
                let secs = now.duration_since(flight.started).as_secs_f64().max(0.0);
                let h = self.history.entry(key.to_owned()).or_default();
                h.finish(now, outcome, detail.clone(), window, max_failures);
                let circuit = h.circuit_open;
                let saved = h.clone();
                if let Err(e) = self.store.save(key, &saved).await {
                    tracing::warn!(error = %e, "cannot persist the remediation result");
                }
                self.metrics.remediation(
                    &namespace,
                    &workload,
                    flight.strategy.as_str(),
                    outcome.as_str(),
                    secs,
                );
                self.metrics.circuit(&namespace, &workload, circuit);
                let (reason, warning) = match outcome {
                    Outcome::Succeeded => ("RemediationSucceeded", false),
                    Outcome::Failed => ("RemediationFailed", true),
                };
                self.audit
                    .step(reference.as_ref(), &flight.runner, reason, &detail, warning)
                    .await;
                if circuit {
                    self.audit
                        .step(
                            reference.as_ref(),
                            &flight.runner,
                            "CircuitOpen",
                            &format!(
                                "no more remediation of {namespace}/{workload} until a person resets it: remove the key {key} from ConfigMap {} in namespace {}",
                                history::CONFIGMAP,
                                self.config.lease.namespace
                            ),
                            true,
                        )
                        .await;
                }
            }
        }
        self.metrics.in_progress(false);
    }

    fn still_leader(&self) -> bool {
        *self.leader.borrow()
    }

    async fn mark(&mut self, key: &str, step: Step, edit: impl FnOnce(&mut InFlight)) {
        let Some(h) = self.history.get_mut(key) else {
            return;
        };
        if let Some(f) = h.in_flight.as_mut() {
            f.done.push(step);
            edit(f);
        }
        let saved = h.clone();
        if let Err(e) = self.store.save(key, &saved).await {
            tracing::warn!(error = %e, ?step, "cannot persist a remediation step");
        }
    }

    fn flight(&self, key: &str) -> Option<InFlight> {
        self.history.get(key).and_then(|h| h.in_flight.clone())
    }

    async fn steps(
        &mut self,
        key: &str,
        namespace: &str,
        workload: &str,
        token: &CancellationToken,
    ) -> Stop {
        let Some(f) = self.flight(key) else {
            return Stop::Interrupted;
        };
        let cluster = self.cluster(namespace);
        let reference = f.owner.as_ref().map(|(k, n)| cluster.reference(k, n));
        let runner = f.runner.clone();

        if f.strategy.mutates_gitlab()
            && !matches!(f.strategy, Strategy::Reregister)
            && let Some(stop) = self.token_steps(key, namespace, token).await
        {
            return stop;
        }
        if f.strategy == Strategy::Reregister && !f.done.contains(&Step::GitlabDeleted) {
            if !self.still_leader() || token.is_cancelled() {
                return Stop::Interrupted;
            }
            let (Some(gitlab), Some(id)) = (self.gitlab.clone(), f.gitlab_id) else {
                return Stop::Done(Outcome::Failed, "no GitLab runner id to delete".into());
            };
            match gitlab.delete_runner(id).await {
                Ok(existed) => {
                    let note = if existed {
                        format!("deleted runner {runner} (GitLab id {id}) in GitLab")
                    } else {
                        format!("runner {runner} (GitLab id {id}) was already gone in GitLab")
                    };
                    self.audit
                        .step(reference.as_ref(), &runner, "RunnerDeleted", &note, false)
                        .await;
                    self.mark(key, Step::GitlabDeleted, |_| {}).await;
                }
                Err(e) => {
                    return Stop::Done(
                        Outcome::Failed,
                        format!("GitLab refused to delete runner {runner}: {e}"),
                    );
                }
            }
        }

        let Some(f) = self.flight(key) else {
            return Stop::Interrupted;
        };
        if !f.done.contains(&Step::PodsRestarted) {
            if !self.still_leader() || token.is_cancelled() {
                return Stop::Interrupted;
            }
            // Verification counts runners first seen from here on: the
            // replacement may register while we wait for it.
            let began = Timestamp::now();
            let restart = self.restart(&f, namespace, workload, token).await;
            match restart {
                Ok(note) => {
                    self.audit
                        .step(reference.as_ref(), &runner, "PodsRestarted", &note, false)
                        .await;
                    self.mark(key, Step::PodsRestarted, |f| f.restarted_at = Some(began))
                        .await;
                }
                Err(e) => {
                    return Stop::Done(Outcome::Failed, format!("restarting the pods failed: {e}"));
                }
            }
        }

        let Some(f) = self.flight(key) else {
            return Stop::Interrupted;
        };
        let verdict = self.verify(&f, namespace, workload, token).await;
        if matches!(verdict, Stop::Done(Outcome::Succeeded, _)) {
            self.delete_old_runner(key, namespace).await;
        }
        verdict
    }

    async fn restart(
        &self,
        f: &InFlight,
        namespace: &str,
        workload: &str,
        token: &CancellationToken,
    ) -> Result<String, String> {
        let cluster = self.cluster(namespace);
        match self.config.policy.restart_method {
            RestartMethod::Rollout => {
                let Some((kind, name)) = f.owner.as_ref().filter(|(k, _)| k == "Deployment") else {
                    return Err("the pods are not owned by a Deployment: cannot roll it".into());
                };
                cluster
                    .rollout_restart(name)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(format!("rollout restart of {kind}/{name}"))
            }
            RestartMethod::Delete => {
                let mut deleted = Vec::new();
                let old: Vec<String> = f.pods.iter().map(|(n, _)| n.clone()).collect();
                for (name, uid) in &f.pods {
                    if !self.still_leader() || token.is_cancelled() {
                        return Err("interrupted".into());
                    }
                    let pod = PodRef {
                        name: name.clone(),
                        uid: uid.clone(),
                    };
                    match cluster.delete(&pod).await {
                        Ok(true) => deleted.push(name.clone()),
                        Ok(false) => tracing::info!(pod = %name, "pod already gone or replaced"),
                        Err(e) => return Err(format!("deleting pod {name}: {e}")),
                    }
                    // One by one: wait for a replacement before the next.
                    let timeout = self.config.policy.verify_timeout;
                    match cluster.wait_replacement(workload, &old, timeout).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(pod = %name, "no replacement pod within the verification timeout")
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot watch for the replacement pod")
                        }
                    }
                }
                Ok(if deleted.is_empty() {
                    "no pod left to delete (already replaced)".into()
                } else {
                    format!("deleted pod(s) {} (UID preconditions)", deleted.join(", "))
                })
            }
        }
    }

    async fn verify(
        &mut self,
        f: &InFlight,
        namespace: &str,
        workload: &str,
        token: &CancellationToken,
    ) -> Stop {
        let restarted = f.restarted_at.unwrap_or(f.started);
        let deadline = restarted
            .checked_add(
                jiff::SignedDuration::try_from(self.config.policy.verify_timeout)
                    .unwrap_or_default(),
            )
            .unwrap_or(restarted);
        let old: Vec<String> = f.pods.iter().map(|(n, _)| n.clone()).collect();
        let stale = self.stale_view(f, namespace, workload);
        loop {
            let views: Arc<Vec<RunnerView>> = self.snapshot.borrow().runners.clone();
            match verify::check(&stale, &old, restarted, &views) {
                Verified::Yes { runner, pod } => {
                    return Stop::Done(
                        Outcome::Succeeded,
                        format!(
                            "verified: runner {runner} in pod {pod} polls GitLab successfully; {} is replaced",
                            f.runner
                        ),
                    );
                }
                Verified::StillRejected => {
                    return Stop::Done(
                        Outcome::Failed,
                        format!("runner {} is rejected again after the restart", f.runner),
                    );
                }
                Verified::Pending => {}
            }
            if Timestamp::now() >= deadline {
                return Stop::Done(
                    Outcome::Failed,
                    format!(
                        "no new runner polled GitLab within {} after the restart",
                        crate::health::human_duration(self.config.policy.verify_timeout)
                    ),
                );
            }
            tokio::select! {
                _ = token.cancelled() => return Stop::Interrupted,
                _ = self.snapshot.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// The stale runner's view, from the snapshot or rebuilt from the record.
    fn stale_view(&self, f: &InFlight, namespace: &str, workload: &str) -> RunnerView {
        let id = RunnerId::normalize(&f.runner);
        if let Some(v) = self.snapshot.borrow().runners.iter().find(|r| {
            *r.key.namespace == *namespace
                && *r.key.workload == *workload
                && Some(r.key.runner) == id
        }) {
            return v.clone();
        }
        RunnerView {
            key: RunnerKey {
                namespace: namespace.into(),
                workload: workload.into(),
                runner: id.unwrap_or_else(|| {
                    RunnerId::normalize("unknown0").unwrap_or_else(|| unreachable!())
                }),
            },
            pods: f.pods.iter().map(|(n, _)| Arc::from(n.as_str())).collect(),
            state: State::Forbidden,
            since: None,
            first_forbidden: None,
            last_forbidden: None,
            consecutive_forbidden: 0,
            first_success: None,
            last_success: None,
            job_requests_ok: 0,
            first_seen: None,
            last_seen: None,
            workflow: Workflow::Unknown,
            registration_token: false,
            fleet_incident: false,
            superseded_by: None,
            verify_rejections: 0,
            first_verify_rejected: None,
            finding: crate::health::Finding::Unknown,
            rotated_to: None,
        }
    }

    /// The token steps of `rotate` / `recreate` (the `glrt-` workflow): a
    /// new token from GitLab, then the Secret. Nothing is written to the
    /// Secret unless GitLab issued a token; the token lives only in memory
    /// until it is in the Secret. `None`: go on with the restart.
    async fn token_steps(
        &mut self,
        key: &str,
        namespace: &str,
        token: &CancellationToken,
    ) -> Option<Stop> {
        let f = self.flight(key)?;
        if f.done.contains(&Step::SecretWritten) {
            return None;
        }
        if !self.still_leader() || token.is_cancelled() {
            return Some(Stop::Interrupted);
        }
        let runner = f.runner.clone();
        let cluster = self.cluster(namespace);
        let reference = f.owner.as_ref().map(|(k, n)| cluster.reference(k, n));
        let (Some(gitlab), Some(secret_name)) = (self.gitlab.clone(), f.secret.clone()) else {
            return Some(Stop::Done(
                Outcome::Failed,
                "no GitLab or no runner Secret known; nothing was changed".into(),
            ));
        };
        let issued = match self.tokens.remove(key) {
            Some(t) => t,
            None => {
                // A reset of the old runner (rotate), a new runner
                // (recreate), or, resuming a recreate whose token was lost
                // with a restart, a reset of the new one.
                let target = match f.strategy {
                    Strategy::Rotate => f.gitlab_id,
                    _ => f.new_gitlab_id,
                };
                match target {
                    Some(id) => match gitlab.reset_token(id).await {
                        Ok(t) => {
                            let note = format!(
                                "GitLab issued a new authentication token for runner {runner} (GitLab id {id}); the old one no longer works"
                            );
                            self.audit
                                .step(reference.as_ref(), &runner, "TokenReset", &note, false)
                                .await;
                            self.mark(key, Step::TokenIssued, |_| {}).await;
                            t.token
                        }
                        Err(e) => {
                            return Some(Stop::Done(
                                Outcome::Failed,
                                format!(
                                    "GitLab refused to reset the token of GitLab runner {id}: {e}; the Secret was not changed"
                                ),
                            ));
                        }
                    },
                    None if f.strategy == Strategy::Recreate => {
                        let settings = self.recreate_settings(key).cloned();
                        let Some(settings) = settings else {
                            return Some(Stop::Done(
                                Outcome::Failed,
                                "no settings known for the old runner; nothing was changed".into(),
                            ));
                        };
                        match gitlab.create_runner(settings.create_params()).await {
                            Ok(t) => {
                                let new_id = t.id;
                                let note = format!(
                                    "created GitLab runner {} ({}) to replace runner {runner}",
                                    new_id.map_or_else(|| "?".into(), |i| i.to_string()),
                                    settings.runner_type
                                );
                                self.audit
                                    .step(
                                        reference.as_ref(),
                                        &runner,
                                        "RunnerCreated",
                                        &note,
                                        false,
                                    )
                                    .await;
                                self.mark(key, Step::TokenIssued, |f| f.new_gitlab_id = new_id)
                                    .await;
                                t.token
                            }
                            Err(e) => {
                                return Some(Stop::Done(
                                    Outcome::Failed,
                                    format!(
                                        "GitLab refused to create a runner: {e}; the Secret was not changed"
                                    ),
                                ));
                            }
                        }
                    }
                    None => {
                        return Some(Stop::Done(
                            Outcome::Failed,
                            "no GitLab runner id to reset; nothing was changed".into(),
                        ));
                    }
                }
            }
        };
        if !self.still_leader() || token.is_cancelled() {
            // Keep it for the resume in this process; a new process issues another.
            self.tokens.insert(key.to_owned(), issued);
            return Some(Stop::Interrupted);
        }
        let secret_key = self.config.secret_key.clone();
        match super::secret::write(&self.client, namespace, &secret_name, &secret_key, &issued)
            .await
        {
            Ok(attempts) => {
                let note = format!(
                    "wrote the new token of the runner to Secret {namespace}/{secret_name}, key {secret_key}{}",
                    if attempts > 1 {
                        format!(" (after {} conflicting writes)", attempts - 1)
                    } else {
                        String::new()
                    }
                );
                self.audit
                    .step(reference.as_ref(), &runner, "SecretUpdated", &note, false)
                    .await;
                self.mark(key, Step::SecretWritten, |_| {}).await;
                None
            }
            Err(e) => {
                // A created runner nobody can use is removed again.
                let mut cleanup = String::new();
                if let Some(f) = self.flight(key)
                    && f.strategy == Strategy::Recreate
                    && let Some(id) = f.new_gitlab_id
                {
                    cleanup = match gitlab.delete_runner(id).await {
                        Ok(_) => format!("; the new GitLab runner {id} was deleted again"),
                        Err(e) => format!(
                            "; the new GitLab runner {id} could not be deleted ({e}): delete it by hand"
                        ),
                    };
                }
                Some(Stop::Done(
                    Outcome::Failed,
                    format!("{e}; the new token was discarded{cleanup}"),
                ))
            }
        }
    }

    /// After a verified `recreate`, the old runner (if it still exists in
    /// GitLab) is deleted: its token is dead and it would linger as offline.
    async fn delete_old_runner(&mut self, key: &str, namespace: &str) {
        let Some(f) = self.flight(key) else { return };
        if f.strategy != Strategy::Recreate || f.done.contains(&Step::OldRunnerDeleted) {
            return;
        }
        let (Some(gitlab), Some(id)) = (self.gitlab.clone(), f.gitlab_id) else {
            return;
        };
        let cluster = self.cluster(namespace);
        let reference = f.owner.as_ref().map(|(k, n)| cluster.reference(k, n));
        match gitlab.delete_runner(id).await {
            Ok(existed) => {
                if existed {
                    let note = format!("deleted the replaced GitLab runner {id} ({})", f.runner);
                    self.audit
                        .step(
                            reference.as_ref(),
                            &f.runner,
                            "OldRunnerDeleted",
                            &note,
                            false,
                        )
                        .await;
                }
                self.mark(key, Step::OldRunnerDeleted, |_| {}).await;
            }
            Err(e) => {
                tracing::warn!(runner = %f.runner, gitlab_id = id, error = %e, "cannot delete the replaced runner in GitLab; delete it by hand");
            }
        }
    }
}
