//! Carrying out a decision: the steps of a strategy, each persisted before
//! the next (so a restart resumes instead of repeating), leadership checked
//! before every mutation, then verification against the runner views.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::Controller;
use super::history::{self, InFlight, Outcome, Step, WorkloadKey};
use super::pods::{Owner, PodRef};
use super::policy::{Decision, RestartMethod, Strategy};
use super::verify::{self, Verified};
use crate::event::RunnerId;
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
    /// The first rejection the log showed.
    pub rejected_since: Option<Timestamp>,
}

/// Why the steps stopped early.
enum Stop {
    /// Finished with this outcome.
    Done(Outcome, String),
    /// Shutdown or lost leadership: leave it in flight for later.
    Interrupted,
}

/// The steps failed for `why`.
fn failed(why: impl Into<String>) -> Stop {
    Stop::Done(Outcome::Failed, why.into())
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
            rejected_since,
        } = facts;
        let key = WorkloadKey::new(&view.key.namespace, &view.key.workload);
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
            rejected_since,
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
        self.run_flight(&key, false, token).await;
    }

    /// Continues a remediation found in flight (after a restart or a
    /// change of leader).
    pub(super) async fn resume(&mut self, key: &WorkloadKey, token: &CancellationToken) {
        if let Some(f) = self.history.get(key).and_then(|h| h.in_flight.as_ref()) {
            tracing::warn!(workload = %key, runner = %f.runner, done = ?f.done, "resuming an interrupted remediation");
        }
        self.run_flight(key, true, token).await;
    }

    /// A remediation found in flight was decided by an earlier process (or
    /// written by whoever can edit the ConfigMap): before it goes on, what
    /// it names must still be what this process would act on. It only ever
    /// continues an action this configuration allows, on the runner GitLab
    /// knows by that id, through the Secret the pod reads.
    async fn validate_resume(
        &self,
        namespace: &str,
        workload: &str,
        f: &InFlight,
    ) -> Result<(), String> {
        let p = &self.config.policy;
        if f.strategy != p.strategy {
            return Err(format!(
                "the record names strategy {}, runner-medic runs {}",
                f.strategy.as_str(),
                p.strategy.as_str()
            ));
        }
        if f.owner.is_none() {
            return Err("the record names no owning workload".into());
        }
        if f.rejected_since.is_some_and(|t| t > Timestamp::now()) {
            return Err("the record's first rejection lies in the future".into());
        }
        let runner = RunnerId::normalize(&f.runner)
            .ok_or_else(|| format!("the record's runner {:?} is not a runner id", f.runner))?;
        // A token issued by an earlier process is lost with it: issuing
        // another on a record's word is not done; the next decision starts
        // anew (after the cooldown).
        if f.done.contains(&Step::TokenIssued) && !f.done.contains(&Step::SecretWritten) {
            return Err("a token was issued by an earlier process and is lost with it".into());
        }
        if f.new_gitlab_id.is_some() && !f.done.contains(&Step::SecretWritten) {
            return Err("the record names a created runner, but no token was written".into());
        }
        if !f.done.contains(&Step::GitlabDeleted) && !f.done.contains(&Step::SecretWritten) {
            let g = self
                .gitlab
                .as_ref()
                .ok_or("no GitLab configured to identify the runner again")?;
            let found = g
                .find_runners(&runner)
                .await
                .map_err(|e| format!("cannot identify runner {runner} again: {e}"))?;
            match (found.as_slice(), f.gitlab_id) {
                ([one], Some(id)) if one.id == id => {}
                ([], None) if f.strategy == Strategy::Recreate => {}
                (_, Some(id)) => {
                    return Err(format!(
                        "GitLab runner {id} is not the one runner {runner} identifies in the configured scope"
                    ));
                }
                (_, None) => {
                    return Err(format!(
                        "the record names no GitLab runner, and runner {runner} identifies {} in the configured scope",
                        found.len()
                    ));
                }
            }
        }
        if f.done.contains(&Step::PodsRestarted) {
            return Ok(());
        }
        // The record's owner must be its pods' real controller (else a
        // forged record could roll out any Deployment it names), and they
        // must still be runner pods.
        let cluster = self.cluster(namespace);
        let names: Vec<String> = f.pods.iter().map(|(n, _)| n.clone()).collect();
        let pods = cluster
            .existing(&names)
            .await
            .map_err(|e| format!("cannot read the record's pods: {e}"))?;
        let pod = pods
            .first()
            .ok_or("none of the record's pods exists any more")?;
        let container = self.config.runner_container(workload);
        match cluster.recheck(pod, f.owner.as_ref(), container).await {
            Ok(Some(())) => {}
            Ok(None) => return Err(format!("pod {} was replaced", pod.name)),
            Err(why) => return Err(why),
        }
        if f.strategy.writes_secret() && !f.done.contains(&Step::SecretWritten) {
            let found = super::secret::find(
                &self.client,
                namespace,
                &pod.name,
                &self.config.secret_key,
                &runner,
            )
            .await?;
            if f.secret.as_deref() != Some(found.as_str()) {
                return Err(format!(
                    "the record names Secret {:?}, pod {} reads its token from {found}",
                    f.secret, pod.name
                ));
            }
        }
        Ok(())
    }

    async fn run_flight(&mut self, key: &WorkloadKey, resumed: bool, token: &CancellationToken) {
        let (namespace, workload) = (key.namespace().to_owned(), key.workload().to_owned());
        let Some(flight) = self.history.get(key).and_then(|h| h.in_flight.clone()) else {
            return;
        };
        self.metrics.remediation.in_progress(true);
        self.metrics
            .remediation
            .started(&namespace, &workload, flight.strategy.as_str());
        let cluster = self.cluster(&namespace);
        let reference = flight.owner.as_ref().map(|(k, n)| cluster.reference(k, n));
        let stop = match resumed {
            true => match self.validate_resume(&namespace, &workload, &flight).await {
                Ok(()) => self.steps(key, &namespace, &workload, token).await,
                Err(why) => Stop::Done(
                    Outcome::Refused,
                    format!("the remediation found in flight was not resumed: {why}"),
                ),
            },
            false => self.steps(key, &namespace, &workload, token).await,
        };
        match stop {
            Stop::Interrupted => {
                tracing::warn!(workload = %key, "remediation interrupted; it stays recorded as in flight");
            }
            Stop::Done(outcome, detail) => {
                let p = &self.config.policy;
                let (window, max_failures) = (p.attempt_window, p.max_failures);
                let now = Timestamp::now();
                let secs = now.duration_since(flight.started).as_secs_f64().max(0.0);
                let h = self.history.entry(key.clone()).or_default();
                h.finish(now, outcome, detail.clone(), window, max_failures);
                let circuit = h.circuit_open;
                let saved = h.clone();
                if let Err(e) = self.store.save(key, &saved).await {
                    tracing::warn!(error = %e, "cannot persist the remediation result");
                }
                self.metrics.remediation.ended(
                    &namespace,
                    &workload,
                    flight.strategy.as_str(),
                    outcome.result(),
                    secs,
                );
                self.metrics
                    .remediation
                    .circuit(&namespace, &workload, circuit);
                let (reason, warning) = match outcome {
                    Outcome::Succeeded => ("RemediationSucceeded", false),
                    Outcome::Failed => ("RemediationFailed", true),
                    Outcome::Refused => ("RemediationStopped", true),
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
        self.metrics.remediation.in_progress(false);
    }

    fn still_leader(&self) -> bool {
        *self.leader.borrow()
    }

    /// Right before each write: the workload is not paused, and GitLab's
    /// record still agrees with the log (no contact from the runner after
    /// the first rejection). `Err`: why the remediation stops here.
    async fn guard(&self, f: &InFlight, namespace: &str, before: &str) -> Result<(), String> {
        let stop = |why: String| format!("stopped before {before}: {why}");
        if let Some((kind, name)) = &f.owner {
            match self.cluster(namespace).paused(kind, name).await {
                Ok(false) => {}
                Ok(true) => {
                    return Err(stop(format!(
                        "{kind}/{name} now carries {}=true",
                        super::pods::PAUSE_ANNOTATION
                    )));
                }
                Err(e) => return Err(stop(format!("cannot re-read {kind}/{name}: {e}"))),
            }
        }
        let (Some(gitlab), Some(id)) = (self.gitlab.as_ref(), f.gitlab_id) else {
            return Ok(());
        };
        match gitlab.record(id).await {
            // Gone: nothing in GitLab can contradict the log any more.
            Err(super::gitlab::GitlabError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(stop(format!(
                "cannot re-read GitLab's record of runner {id}: {e}"
            ))),
            Ok(record) => {
                let Some(first) = f.rejected_since else {
                    return Err(stop(
                        "no time of the first rejection is recorded, so GitLab's record cannot confirm it"
                            .into(),
                    ));
                };
                match record.heard_after(first, self.config.clock_skew) {
                    Some(c) => Err(stop(format!(
                        "GitLab heard from runner {id} at {c}, after the first rejection the log shows ({first})"
                    ))),
                    None => Ok(()),
                }
            }
        }
    }

    async fn mark(&mut self, key: &WorkloadKey, step: Step, edit: impl FnOnce(&mut InFlight)) {
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

    fn flight(&self, key: &WorkloadKey) -> Option<InFlight> {
        self.history.get(key).and_then(|h| h.in_flight.clone())
    }

    async fn steps(
        &mut self,
        key: &WorkloadKey,
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
            && let Err(stop) = self.token_steps(key, namespace, token).await
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
            if let Err(why) = self
                .guard(&f, namespace, "deleting the runner in GitLab")
                .await
            {
                return Stop::Done(Outcome::Refused, why);
            }
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
            if let Err(why) = self.guard(&f, namespace, "restarting the pods").await {
                return Stop::Done(Outcome::Refused, why);
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
                Err((Outcome::Refused, e)) => return Stop::Done(Outcome::Refused, e),
                Err((outcome, e)) => {
                    return Stop::Done(outcome, format!("restarting the pods failed: {e}"));
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
    ) -> Result<String, (Outcome, String)> {
        let failed = |e: String| (Outcome::Failed, e);
        let cluster = self.cluster(namespace);
        match self.config.policy.restart_method {
            RestartMethod::Rollout => {
                let Some((kind, name)) = f.owner.as_ref().filter(|(k, _)| k == "Deployment") else {
                    return Err(failed(
                        "the pods are not owned by a Deployment: cannot roll it".into(),
                    ));
                };
                cluster
                    .rollout_restart(name)
                    .await
                    .map_err(|e| failed(e.to_string()))?;
                Ok(format!("rollout restart of {kind}/{name}"))
            }
            RestartMethod::Delete => {
                let mut deleted = Vec::new();
                let old: Vec<String> = f.pods.iter().map(|(n, _)| n.clone()).collect();
                for (name, uid) in &f.pods {
                    if !self.still_leader() || token.is_cancelled() {
                        return Err(failed("interrupted".into()));
                    }
                    let pod = PodRef {
                        name: name.clone(),
                        uid: uid.clone(),
                    };
                    let container = self.config.runner_container(workload);
                    match cluster.recheck(&pod, f.owner.as_ref(), container).await {
                        Ok(Some(())) => {}
                        Ok(None) => {
                            tracing::info!(pod = %name, "pod already gone or replaced");
                            continue;
                        }
                        Err(why) => {
                            return Err((
                                Outcome::Refused,
                                format!("stopped before deleting pod {name}: {why}"),
                            ));
                        }
                    }
                    match cluster.delete(&pod).await {
                        Ok(true) => deleted.push(name.clone()),
                        Ok(false) => tracing::info!(pod = %name, "pod already gone or replaced"),
                        Err(e) => return Err(failed(format!("deleting pod {name}: {e}"))),
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
            pods: f.pods.iter().map(|(n, _)| Arc::from(n.as_str())).collect(),
            state: State::Forbidden,
            ..RunnerView::new(RunnerKey {
                namespace: namespace.into(),
                workload: workload.into(),
                runner: id.unwrap_or_else(|| {
                    RunnerId::normalize("unknown0").unwrap_or_else(|| unreachable!())
                }),
            })
        }
    }

    /// The token steps of `rotate` / `recreate` (the `glrt-` workflow): a
    /// new token from GitLab, then the Secret. Nothing is written to the
    /// Secret unless GitLab issued a token; the token lives only in memory
    /// until it is in the Secret. `Ok`: go on with the restart.
    async fn token_steps(
        &mut self,
        key: &WorkloadKey,
        namespace: &str,
        token: &CancellationToken,
    ) -> Result<(), Stop> {
        let Some(f) = self.flight(key) else {
            return Ok(());
        };
        if f.done.contains(&Step::SecretWritten) {
            return Ok(());
        }
        if !self.still_leader() || token.is_cancelled() {
            return Err(Stop::Interrupted);
        }
        let (Some(gitlab), Some(secret_name)) = (self.gitlab.clone(), f.secret.clone()) else {
            return Err(failed(
                "no GitLab or no runner Secret known; nothing was changed",
            ));
        };
        self.guard(&f, namespace, "issuing a new token")
            .await
            .map_err(|why| Stop::Done(Outcome::Refused, why))?;
        let issued = match self.tokens.remove(key) {
            Some(t) => t,
            None => self.issue_token(key, namespace, &f, &gitlab).await?,
        };
        if !self.still_leader() || token.is_cancelled() {
            // Keep it for the resume in this process; a new process issues another.
            self.tokens.insert(key.clone(), issued);
            return Err(Stop::Interrupted);
        }
        if let Err(why) = self.guard(&f, namespace, "writing the Secret").await {
            // The issued token is dropped: the runner's old one stays dead,
            // and nothing reaches the Secret; a runner created for it goes.
            let cleanup = self.discard_created(key, &gitlab).await;
            return Err(Stop::Done(Outcome::Refused, format!("{why}{cleanup}")));
        }
        let secret_key = self.config.secret_key.clone();
        let attempts =
            match super::secret::write(&self.client, namespace, &secret_name, &secret_key, &issued)
                .await
            {
                Ok(attempts) => attempts,
                Err(e) => {
                    let cleanup = self.discard_created(key, &gitlab).await;
                    return Err(failed(format!("{e}; the new token was discarded{cleanup}")));
                }
            };
        let note = format!(
            "wrote the new token of the runner to Secret {namespace}/{secret_name}, key {secret_key}{}",
            if attempts > 1 {
                format!(" (after {} conflicting writes)", attempts - 1)
            } else {
                String::new()
            }
        );
        self.step_note(namespace, &f, "SecretUpdated", &note).await;
        self.mark(key, Step::SecretWritten, |_| {}).await;
        Ok(())
    }

    /// A new token from GitLab: a reset of the old runner (rotate), a new
    /// runner (recreate), or, resuming a recreate whose token was lost with
    /// a restart, a reset of the new one. Marks `TokenIssued`.
    async fn issue_token(
        &mut self,
        key: &WorkloadKey,
        namespace: &str,
        f: &InFlight,
        gitlab: &super::gitlab::Gitlab,
    ) -> Result<crate::redact::Secret, Stop> {
        let runner = &f.runner;
        let target = match f.strategy {
            Strategy::Rotate => f.gitlab_id,
            _ => f.new_gitlab_id,
        };
        if let Some(id) = target {
            let t = gitlab.reset_token(id).await.map_err(|e| {
                failed(format!(
                    "GitLab refused to reset the token of GitLab runner {id}: {e}; the Secret was not changed"
                ))
            })?;
            let note = format!(
                "GitLab issued a new authentication token for runner {runner} (GitLab id {id}); the old one no longer works"
            );
            self.step_note(namespace, f, "TokenReset", &note).await;
            self.mark(key, Step::TokenIssued, |_| {}).await;
            return Ok(t.token);
        }
        if f.strategy != Strategy::Recreate {
            return Err(failed("no GitLab runner id to reset; nothing was changed"));
        }
        let settings = self
            .recreate_settings(key)
            .cloned()
            .ok_or_else(|| failed("no settings known for the old runner; nothing was changed"))?;
        let t = gitlab
            .create_runner(settings.create_params())
            .await
            .map_err(|e| {
                failed(format!(
                    "GitLab refused to create a runner: {e}; the Secret was not changed"
                ))
            })?;
        let new_id = t.id;
        let note = format!(
            "created GitLab runner {} ({}) to replace runner {runner}",
            new_id.map_or_else(|| "?".into(), |i| i.to_string()),
            settings.runner_type
        );
        self.step_note(namespace, f, "RunnerCreated", &note).await;
        self.mark(key, Step::TokenIssued, |f| f.new_gitlab_id = new_id)
            .await;
        Ok(t.token)
    }

    /// Records a step of `f` in the audit trail (an Event on its owner).
    async fn step_note(&self, namespace: &str, f: &InFlight, reason: &'static str, note: &str) {
        let cluster = self.cluster(namespace);
        let reference = f.owner.as_ref().map(|(k, n)| cluster.reference(k, n));
        self.audit
            .step(reference.as_ref(), &f.runner, reason, note, false)
            .await;
    }

    /// A runner `recreate` created whose token will never reach the
    /// Secret is deleted again: nobody can use it. The note says how it went.
    async fn discard_created(&self, key: &WorkloadKey, gitlab: &super::gitlab::Gitlab) -> String {
        let Some(f) = self.flight(key) else {
            return String::new();
        };
        let (Strategy::Recreate, Some(id)) = (f.strategy, f.new_gitlab_id) else {
            return String::new();
        };
        match gitlab.delete_runner(id).await {
            Ok(_) => format!("; the new GitLab runner {id} was deleted again"),
            Err(e) => format!(
                "; the new GitLab runner {id} could not be deleted ({e}): delete it by hand"
            ),
        }
    }

    /// After a verified `recreate`, the old runner (if it still exists in
    /// GitLab) is deleted: its token is dead and it would linger as offline.
    async fn delete_old_runner(&mut self, key: &WorkloadKey, namespace: &str) {
        let Some(f) = self.flight(key) else { return };
        if f.strategy != Strategy::Recreate || f.done.contains(&Step::OldRunnerDeleted) {
            return;
        }
        let (Some(gitlab), Some(id)) = (self.gitlab.clone(), f.gitlab_id) else {
            return;
        };
        if let Err(why) = self
            .guard(&f, namespace, "deleting the replaced runner")
            .await
        {
            tracing::warn!(runner = %f.runner, gitlab_id = id, %why, "the replaced runner is kept in GitLab; delete it by hand once you have looked");
            return;
        }
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
