//! Remediation history per workload: attempts, the circuit breaker and the
//! remediation in flight. Persisted in the cluster (a ConfigMap, one key
//! per workload) so cooldowns, budgets, an open circuit and a half-done
//! remediation survive a restart of runner-medic.
//!
//! A person resets an open circuit by removing the workload's key:
//! `kubectl -n <ns> patch configmap runner-medic-state --type json
//!  -p '[{"op":"remove","path":"/data/<namespace>.<workload>"}]'`.
//!
//! The settings of a workload's healthy `glrt-` runner (what `recreate`
//! needs once the runner is gone) live under `<namespace>.<workload>.runner`,
//! apart from the history, so a circuit reset keeps them. No token is ever
//! stored here.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use serde::{Deserialize, Serialize};

use super::strategy::Strategy;
use crate::metrics::RemediationResult;

/// The ConfigMap that holds the history.
pub const CONFIGMAP: &str = "runner-medic-state";

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Verified: a new runner polls and the old one is gone.
    Succeeded,
    /// A step failed or verification timed out.
    Failed,
    /// A re-check right before a write found that the action no longer
    /// holds (GitLab heard from the runner, the workload was paused, the
    /// pod changed): stopped, and not counted as a failure.
    Refused,
}

impl Outcome {
    /// The outcome as `runner_medic_remediations_total` counts it.
    pub fn result(self) -> RemediationResult {
        match self {
            Outcome::Succeeded => RemediationResult::Succeeded,
            Outcome::Failed => RemediationResult::Failed,
            Outcome::Refused => RemediationResult::Refused,
        }
    }
}

/// A step of a remediation, recorded when done so that a restart of
/// runner-medic never repeats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The runner was deleted in GitLab.
    GitlabDeleted,
    /// A new token was obtained (rotate, recreate).
    TokenIssued,
    /// The token was written to the Secret.
    SecretWritten,
    /// The pods were restarted.
    PodsRestarted,
    /// The old runner was deleted in GitLab after a recreate.
    OldRunnerDeleted,
}

/// A finished attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// The stale runner.
    pub runner: String,
    /// Strategy.
    pub strategy: Strategy,
    /// Start.
    pub started: Timestamp,
    /// End.
    pub finished: Timestamp,
    /// Result.
    pub outcome: Outcome,
    /// What happened, for people.
    pub detail: String,
}

/// A remediation that started and has not finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InFlight {
    /// The stale runner.
    pub runner: String,
    /// Strategy.
    pub strategy: Strategy,
    /// Start.
    pub started: Timestamp,
    /// Steps done so far.
    pub done: Vec<Step>,
    /// Pods (name, UID) that logged the stale runner when it started.
    pub pods: Vec<(String, String)>,
    /// The runner's GitLab id, when identified.
    pub gitlab_id: Option<u64>,
    /// The replacement runner's GitLab id (recreate).
    #[serde(default)]
    pub new_gitlab_id: Option<u64>,
    /// When the pods were restarted (verification starts there).
    #[serde(default)]
    pub restarted_at: Option<Timestamp>,
    /// The owning workload kind and name (`Deployment`, `gitlab-runner`).
    #[serde(default)]
    pub owner: Option<(String, String)>,
    /// The Secret that holds the runner token (rotate, recreate).
    #[serde(default)]
    pub secret: Option<String>,
    /// The first rejection the log showed: GitLab must not have heard from
    /// the runner after it (re-checked before every write).
    #[serde(default)]
    pub rejected_since: Option<Timestamp>,
}

/// Everything about one workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadHistory {
    /// Finished attempts, oldest first (the last 20 are kept).
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// The circuit breaker is open: no more attempts until a person resets it.
    #[serde(default)]
    pub circuit_open: bool,
    /// Why it opened.
    #[serde(default)]
    pub circuit_reason: Option<String>,
    /// The remediation in flight.
    #[serde(default)]
    pub in_flight: Option<InFlight>,
}

/// Attempts kept per workload.
const KEEP: usize = 20;

impl WorkloadHistory {
    /// The last attempt (finished or in flight), by start time.
    pub fn last_attempt(&self) -> Option<AttemptRef> {
        let finished = self
            .attempts
            .last()
            .map(|a| AttemptRef { started: a.started });
        let flight = self
            .in_flight
            .as_ref()
            .map(|f| AttemptRef { started: f.started });
        match (finished, flight) {
            (Some(a), Some(b)) => Some(if a.started > b.started { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// Attempts started at or after `since` (in flight included).
    pub fn attempts_since(&self, since: Timestamp) -> usize {
        self.attempts.iter().filter(|a| a.started >= since).count()
            + usize::from(self.in_flight.as_ref().is_some_and(|f| f.started >= since))
    }

    /// Failed attempts started at or after `since`.
    pub fn failures_since(&self, since: Timestamp) -> usize {
        self.attempts
            .iter()
            .filter(|a| a.started >= since && a.outcome == Outcome::Failed)
            .count()
    }

    /// Ends the attempt in flight; opens the circuit when `max_failures`
    /// failures fall within `window`.
    pub fn finish(
        &mut self,
        now: Timestamp,
        outcome: Outcome,
        detail: String,
        window: std::time::Duration,
        max_failures: usize,
    ) {
        let Some(f) = self.in_flight.take() else {
            return;
        };
        self.attempts.push(Attempt {
            runner: f.runner,
            strategy: f.strategy,
            started: f.started,
            finished: now,
            outcome,
            detail,
        });
        if self.attempts.len() > KEEP {
            let drop = self.attempts.len() - KEEP;
            self.attempts.drain(..drop);
        }
        let since = now.checked_sub(window).unwrap_or(now);
        let failures = self.failures_since(since);
        if outcome == Outcome::Failed && failures >= max_failures {
            self.circuit_open = true;
            self.circuit_reason = Some(format!(
                "{failures} failed attempts within {}",
                crate::health::human_duration(window)
            ));
        }
    }
}

/// What `POST /api/v4/user/runners` needs to recreate a runner as it was,
/// read from GitLab while the runner was healthy (or given in the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerSettings {
    /// The runner's short id when captured.
    #[serde(default)]
    pub runner: String,
    /// Its GitLab id.
    #[serde(default)]
    pub gitlab_id: Option<u64>,
    /// `instance_type`, `group_type` or `project_type`.
    pub runner_type: String,
    /// Group (group_type).
    #[serde(default)]
    pub group_id: Option<u64>,
    /// Project (project_type).
    #[serde(default)]
    pub project_id: Option<u64>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tag_list: Vec<String>,
    /// Runs untagged jobs.
    #[serde(default)]
    pub run_untagged: Option<bool>,
    /// Locked to its projects.
    #[serde(default)]
    pub locked: Option<bool>,
    /// `not_protected` or `ref_protected`.
    #[serde(default)]
    pub access_level: Option<String>,
    /// Maximum job timeout (seconds).
    #[serde(default)]
    pub maximum_timeout: Option<u64>,
    /// Paused.
    #[serde(default)]
    pub paused: Option<bool>,
    /// When captured (`None`: from the config).
    #[serde(default)]
    pub captured_at: Option<Timestamp>,
}

impl RunnerSettings {
    /// From GitLab's runner details.
    pub fn from_details(
        runner: &str,
        d: &super::gitlab::RunnerDetails,
        now: Timestamp,
    ) -> RunnerSettings {
        RunnerSettings {
            runner: runner.into(),
            gitlab_id: Some(d.id),
            runner_type: d
                .runner_type
                .clone()
                .unwrap_or_else(|| "instance_type".into()),
            group_id: d.groups.first().map(|g| g.id),
            project_id: d.projects.first().map(|p| p.id),
            description: d.description.clone(),
            tag_list: d.tag_list.clone(),
            run_untagged: d.run_untagged,
            locked: d.locked,
            access_level: d.access_level.clone(),
            maximum_timeout: d.maximum_timeout,
            paused: d.paused,
            captured_at: Some(now),
        }
    }

    /// Whether the settings can create a runner: a group or project runner
    /// needs its group or project.
    pub fn validate(&self) -> Result<(), String> {
        match self.runner_type.as_str() {
            "instance_type" => Ok(()),
            "group_type" if self.group_id.is_some() => Ok(()),
            "project_type" if self.project_id.is_some() => Ok(()),
            "group_type" => Err("a group_type runner needs group_id".into()),
            "project_type" => Err("a project_type runner needs project_id".into()),
            other => Err(format!(
                "runner_type {other:?} is not instance_type, group_type or project_type"
            )),
        }
    }

    /// The body of `POST /api/v4/user/runners`.
    pub fn create_params(&self) -> serde_json::Value {
        let mut p = serde_json::json!({ "runner_type": self.runner_type });
        let mut set = |k: &str, v: serde_json::Value| {
            if !v.is_null() {
                p[k] = v;
            }
        };
        set("group_id", serde_json::json!(self.group_id));
        set("project_id", serde_json::json!(self.project_id));
        set("description", serde_json::json!(self.description));
        if !self.tag_list.is_empty() {
            set("tag_list", serde_json::json!(self.tag_list));
        }
        set("run_untagged", serde_json::json!(self.run_untagged));
        set("locked", serde_json::json!(self.locked));
        set("access_level", serde_json::json!(self.access_level));
        set("maximum_timeout", serde_json::json!(self.maximum_timeout));
        set("paused", serde_json::json!(self.paused));
        p
    }
}

/// A workload remediation keeps a history for: `<namespace>.<workload>`, the
/// key of its history in the ConfigMap (a person resets a circuit breaker
/// by removing it). Unambiguous: a namespace is a DNS label, without dots;
/// a workload may have dots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadKey(Arc<str>);

impl WorkloadKey {
    /// The key of `workload` in `namespace`.
    pub fn new(namespace: &str, workload: &str) -> WorkloadKey {
        WorkloadKey(format!("{namespace}.{workload}").into())
    }

    /// A history key read back from the ConfigMap; `None` when it names no
    /// workload (no dot, or an empty part).
    pub fn parse(key: &str) -> Option<WorkloadKey> {
        let (ns, w) = key.split_once('.')?;
        (!ns.is_empty() && !w.is_empty() && !key.contains(SETTINGS_MARK))
            .then(|| WorkloadKey(key.into()))
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        self.0.split_once('.').map_or(&*self.0, |(ns, _)| ns)
    }

    /// The workload (Deployment) name.
    pub fn workload(&self) -> &str {
        self.0.split_once('.').map_or("", |(_, w)| w)
    }

    /// The ConfigMap key of the workload's runner settings:
    /// `<namespace>.<workload>_runner`. No namespace or workload name has
    /// an underscore, so it is never the history key of another workload
    /// (the `<namespace>.<workload>.runner` of older versions was: that of
    /// a workload named `<workload>.runner`).
    pub fn settings_key(&self) -> String {
        format!("{}{SETTINGS_MARK}", self.0)
    }
}

impl std::fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What ends a settings key (`_` is in no Kubernetes object name).
const SETTINGS_MARK: &str = "_runner";
/// What ended a settings key before runner-medic 0.1.1 (ambiguous).
const LEGACY_SETTINGS_MARK: &str = ".runner";

/// Everything the ConfigMap holds.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// History per workload.
    pub histories: BTreeMap<WorkloadKey, WorkloadHistory>,
    /// Runner settings per workload.
    pub settings: BTreeMap<WorkloadKey, RunnerSettings>,
    /// Entries that could not be read, per workload, with the reason: the
    /// workload is not remediated until a person fixes or removes them.
    pub unreadable: BTreeMap<WorkloadKey, String>,
    /// Keys that name no workload (not written by runner-medic): ignored.
    pub foreign: Vec<String>,
}

impl Loaded {
    /// Reads the ConfigMap's data. A settings entry that does not parse
    /// fails its workload closed (refused until a person fixes it), as a
    /// history entry does.
    pub fn from_data(data: BTreeMap<String, String>) -> Loaded {
        let mut out = Loaded::default();
        let mut legacy = Vec::new();
        for (k, v) in data {
            if let Some(w) = k.strip_suffix(SETTINGS_MARK).and_then(WorkloadKey::parse) {
                match serde_json::from_str(&v) {
                    Ok(s) => {
                        out.settings.insert(w, s);
                    }
                    Err(e) => {
                        out.unreadable
                            .insert(w, format!("its runner settings ({k}): {e}"));
                    }
                }
                continue;
            }
            let Some(w) = WorkloadKey::parse(&k) else {
                out.foreign.push(k);
                continue;
            };
            if k.ends_with(LEGACY_SETTINGS_MARK) {
                // Settings of `<ns>.<w>` as older versions wrote them, or the
                // history of a workload named `<w>.runner`: the content says.
                legacy.push((k, w, v));
                continue;
            }
            match serde_json::from_str(&v) {
                Ok(h) => {
                    out.histories.insert(w, h);
                }
                Err(e) => {
                    out.unreadable.insert(w, e.to_string());
                }
            }
        }
        for (k, w, v) in legacy {
            // Settings are strict (unknown fields refused, runner_type
            // required); a history accepts any object, so it is tried second.
            let owner = k
                .strip_suffix(LEGACY_SETTINGS_MARK)
                .and_then(WorkloadKey::parse);
            if let Some(owner) = &owner
                && let Ok(s) = serde_json::from_str::<RunnerSettings>(&v)
            {
                // A current settings key wins over the legacy one.
                out.settings.entry(owner.clone()).or_insert(s);
                continue;
            }
            match serde_json::from_str(&v) {
                Ok(h) => {
                    out.histories.insert(w, h);
                }
                Err(e) => {
                    // Neither: both workloads it may belong to fail closed.
                    if let Some(owner) = owner {
                        out.unreadable
                            .insert(owner, format!("its runner settings ({k}): {e}"));
                    }
                    out.unreadable.insert(w, e.to_string());
                }
            }
        }
        out
    }
}

/// When an attempt started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRef {
    /// Start.
    pub started: Timestamp,
}

/// Reads and writes the history ConfigMap.
#[derive(Debug, Clone)]
pub struct Store {
    api: Api<ConfigMap>,
}

/// The store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The API call failed.
    #[error("history ConfigMap {CONFIGMAP}: {0}")]
    // In the message, not exposed as a source: printed once.
    Kube(kube::Error),
    /// Concurrent writers kept winning.
    #[error("history ConfigMap {CONFIGMAP}: gave up after repeated write conflicts")]
    Conflict,
}

impl From<kube::Error> for StoreError {
    fn from(e: kube::Error) -> StoreError {
        StoreError::Kube(e)
    }
}

impl Store {
    /// The store in `namespace` (runner-medic's own).
    pub fn new(client: kube::Client, namespace: &str) -> Store {
        Store {
            api: Api::namespaced(client, namespace),
        }
    }

    /// Every workload's history (empty when the ConfigMap does not exist).
    /// An entry that cannot be parsed is reported in `unreadable` (fail
    /// closed: its workload is refused until a person fixes it).
    pub async fn load(&self) -> Result<Loaded, StoreError> {
        let Some(cm) = self.api.get_opt(CONFIGMAP).await? else {
            return Ok(Loaded::default());
        };
        Ok(Loaded::from_data(cm.data.unwrap_or_default()))
    }

    /// Writes one workload's history (read-modify-write guarded by the
    /// ConfigMap's resourceVersion; retried on conflicts).
    pub async fn save(
        &self,
        key: &WorkloadKey,
        history: &WorkloadHistory,
    ) -> Result<(), StoreError> {
        self.save_value(
            &key.to_string(),
            serde_json::to_string(history).unwrap_or_default(),
        )
        .await
    }

    /// Writes a workload's runner settings.
    pub async fn save_settings(
        &self,
        key: &WorkloadKey,
        settings: &RunnerSettings,
    ) -> Result<(), StoreError> {
        self.save_value(
            &key.settings_key(),
            serde_json::to_string(settings).unwrap_or_default(),
        )
        .await
    }

    async fn save_value(&self, key: &str, value: String) -> Result<(), StoreError> {
        for _ in 0..5 {
            match self.api.get_opt(CONFIGMAP).await? {
                None => {
                    let cm = ConfigMap {
                        metadata: ObjectMeta {
                            name: Some(CONFIGMAP.into()),
                            labels: Some(BTreeMap::from([(
                                "app.kubernetes.io/managed-by".to_owned(),
                                "runner-medic".to_owned(),
                            )])),
                            ..ObjectMeta::default()
                        },
                        data: Some(BTreeMap::from([(key.to_owned(), value.clone())])),
                        ..ConfigMap::default()
                    };
                    match self.api.create(&PostParams::default(), &cm).await {
                        Ok(_) => return Ok(()),
                        Err(kube::Error::Api(s)) if s.code == 409 => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Some(mut cm) => {
                    cm.data
                        .get_or_insert_with(BTreeMap::new)
                        .insert(key.to_owned(), value.clone());
                    match self
                        .api
                        .replace(CONFIGMAP, &PostParams::default(), &cm)
                        .await
                    {
                        Ok(_) => return Ok(()),
                        Err(kube::Error::Api(s)) if s.code == 409 => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Err(StoreError::Conflict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: &str =
        r#"{"runner":"HYErDk_6w","gitlab_id":6,"runner_type":"group_type","group_id":9}"#;
    const HISTORY: &str = r#"{"attempts":[],"circuit_open":true,"circuit_reason":"two failures"}"#;

    #[test]
    fn workload_keys_name_their_parts_and_never_collide() {
        let k = WorkloadKey::new("ci", "gitlab.runner");
        assert_eq!(k.to_string(), "ci.gitlab.runner");
        assert_eq!((k.namespace(), k.workload()), ("ci", "gitlab.runner"));
        assert_eq!(WorkloadKey::parse("ci.gitlab.runner"), Some(k.clone()));
        for bad in ["ci", ".w", "ci.", ""] {
            assert_eq!(WorkloadKey::parse(bad), None, "{bad:?}");
        }
        // The settings of `ci/gitlab` are not the history of `ci/gitlab.runner`.
        let owner = WorkloadKey::new("ci", "gitlab");
        assert_ne!(owner.settings_key(), k.to_string());
        assert_eq!(WorkloadKey::parse(&owner.settings_key()), None);
    }

    #[test]
    fn the_configmap_reads_back_histories_and_settings_old_and_new() {
        let data = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        let gitlab = WorkloadKey::new("ci", "gitlab");
        let dotted = WorkloadKey::new("ci", "gitlab.runner");
        // Current keys: a workload named `gitlab.runner` beside `gitlab`'s settings.
        let l = Loaded::from_data(data(&[
            ("ci.gitlab_runner", SETTINGS),
            ("ci.gitlab.runner", HISTORY),
            ("not-ours", "{}"),
        ]));
        assert_eq!(l.settings.get(&gitlab).map(|s| s.gitlab_id), Some(Some(6)));
        assert!(
            l.histories[&dotted].circuit_open,
            "the circuit of gitlab.runner"
        );
        assert!(l.unreadable.is_empty(), "{:?}", l.unreadable);
        assert_eq!(l.foreign, vec!["not-ours".to_owned()]);
        // An older version's `.runner` settings key is still read as settings...
        let l = Loaded::from_data(data(&[("ci.gitlab.runner", SETTINGS)]));
        assert!(l.settings.contains_key(&gitlab) && l.histories.is_empty());
        // ...a current one wins over it...
        let newer = SETTINGS.replace("\"gitlab_id\":6", "\"gitlab_id\":7");
        let l = Loaded::from_data(data(&[
            ("ci.gitlab.runner", SETTINGS),
            ("ci.gitlab_runner", &newer),
        ]));
        assert_eq!(l.settings[&gitlab].gitlab_id, Some(7));
        // ...and what is neither fails both candidates closed.
        let l = Loaded::from_data(data(&[("ci.gitlab.runner", "not json")]));
        assert!(l.unreadable.contains_key(&gitlab) && l.unreadable.contains_key(&dotted));
        let l = Loaded::from_data(data(&[("ci.gitlab_runner", "{\"runner_type\": 1}")]));
        assert!(l.unreadable.contains_key(&gitlab));
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn flight(at: &str) -> InFlight {
        InFlight {
            runner: "HYErDk_6w".into(),
            strategy: Strategy::Reregister,
            started: ts(at),
            done: vec![],
            pods: vec![],
            gitlab_id: Some(6),
            new_gitlab_id: None,
            restarted_at: None,
            rejected_since: None,
            owner: None,
            secret: None,
        }
    }

    #[test]
    fn failures_open_the_circuit_and_it_stays_open() {
        let day = std::time::Duration::from_secs(86_400);
        let mut h = WorkloadHistory {
            in_flight: Some(flight("2026-03-02T10:00:00Z")),
            ..WorkloadHistory::default()
        };
        h.finish(
            ts("2026-03-02T10:03:00Z"),
            Outcome::Failed,
            "timeout".into(),
            day,
            2,
        );
        assert!(!h.circuit_open);
        h.in_flight = Some(flight("2026-03-02T11:00:00Z"));
        h.finish(
            ts("2026-03-02T11:03:00Z"),
            Outcome::Failed,
            "timeout".into(),
            day,
            2,
        );
        assert!(h.circuit_open);
        assert_eq!(
            h.circuit_reason.as_deref(),
            Some("2 failed attempts within 24h")
        );
        assert_eq!(h.attempts_since(ts("2026-03-02T00:00:00Z")), 2);
    }

    #[test]
    fn history_round_trips_through_json() {
        let mut h = WorkloadHistory {
            in_flight: Some(flight("2026-03-02T10:00:00Z")),
            ..WorkloadHistory::default()
        };
        h.in_flight.as_mut().unwrap().done.push(Step::GitlabDeleted);
        let text = serde_json::to_string(&h).unwrap();
        assert!(text.contains("\"gitlab_deleted\""), "{text}");
        let back: WorkloadHistory = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h);
        let old: WorkloadHistory = serde_json::from_str("{}").unwrap();
        assert_eq!(old, WorkloadHistory::default());
    }
}
