//! A simulated cluster *and* GitLab that react to each other as in reality,
//! for remediation tests and the demo.
//!
//! * A Deployment controller: a runner pod deleted through the API is
//!   replaced by a new pod with a new name; a rollout restart (patched
//!   `restartedAt`) replaces every pod, unless the Deployment is paused.
//! * Runner processes that log what gitlab-runner logs, deciding from
//!   GitLab's state at each step: a legacy pod registers with its
//!   registration token at start (a new runner id each time; 403 or 410
//!   when refused); a `glrt-` pod verifies the token from its Secret (and
//!   crash-loops when it is not valid); a running runner whose token is no
//!   longer accepted gets 403s, locks itself out, rechecks, and so on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::cluster::{ApiEvent, Cluster, PodTemplate};
use super::gitlab::{FakeGitlab, GitlabFault, GitlabState, shorten_token};
use super::kube::{FakeKube, Options};
use super::render::Style;
use super::scenario::PodScript;

/// How a runner Deployment gets its token.
#[derive(Debug, Clone, PartialEq)]
pub enum Workflow {
    /// The chart's `runnerRegistrationToken`: register at every start.
    Legacy {
        /// The registration token.
        registration_token: String,
    },
    /// The chart's `runnerToken` (a `glrt-` token in Secret `<name>`, key
    /// `runner-token`): verify at every start.
    AuthToken,
}

/// A runner Deployment in the world.
#[derive(Debug, Clone)]
pub struct RunnerDeployment {
    /// Namespace.
    pub namespace: String,
    /// Deployment name (= container name = `app` label).
    pub name: String,
    /// ReplicaSet hash.
    pub hash: String,
    /// Workflow.
    pub workflow: Workflow,
    /// Log format of `run` lines.
    pub style: Style,
    /// Extra pod labels (e.g. a shared `app` label).
    pub labels: BTreeMap<String, String>,
    /// The token the first pod already holds (legacy: a runner registered
    /// before runner-medic started); `None` registers at start.
    pub preregistered: Option<String>,
    /// More containers in each pod beside the runner (sidecars, which log
    /// nothing unless a test writes into them).
    pub sidecars: Vec<String>,
}

/// Timing of simulated runners (compressed; real runners poll every few
/// seconds and lock out for an hour).
#[derive(Debug, Clone)]
pub struct Pace {
    /// Between job requests.
    pub poll: Duration,
    /// The lockout after three 403s (`unhealthy_interval`).
    pub lockout: Duration,
    /// Between registration attempts.
    pub register_retry: Duration,
    /// A replacement pod starts this long after the old one is deleted.
    pub replace_after: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            poll: Duration::from_secs(3),
            lockout: Duration::from_secs(40),
            register_retry: Duration::from_secs(2),
            replace_after: Duration::from_millis(500),
        }
    }
}

/// The world.
#[derive(Debug, Clone)]
pub struct World {
    /// The Kubernetes API.
    pub kube: FakeKube,
    /// GitLab.
    pub gitlab: FakeGitlab,
    /// A personal access token GitLab accepts.
    pub pat: String,
    deployments: Arc<Mutex<Vec<RunnerDeployment>>>,
    pace: Pace,
    token: CancellationToken,
    counter: Arc<Mutex<u64>>,
    actions: Arc<Mutex<BTreeMap<String, Vec<Action>>>>,
    idle: Arc<Mutex<std::collections::BTreeSet<String>>>,
}

/// The `system_id` a pod's runner process reports (gitlab-runner keeps it
/// in `.runner_system_id` beside config.toml, an emptyDir in the chart: one
/// per pod).
pub fn system_id(pod: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in pod.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("r_{:012x}", h & 0xffff_ffff_ffff)
}

/// Something a running runner process does at its next poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Rotate its token (`Resetting runner authentication token...`): GitLab
    /// issues a new token, the old one dies; the new one lives only in the
    /// process (the chart's config.toml is not the Secret).
    Rotate,
    /// Warn that the token is about to expire (rotation disabled).
    WarnExpiry,
    /// The container restarts (OOM, liveness probe, node pressure): the
    /// runner starts again from the Secret.
    Restart,
}

/// The personal access token of the simulated GitLab (obviously fake).
pub const SIM_PAT: &str = "glpat-FAKEsimsimsimsimsimsim";

impl World {
    /// Starts both servers and the Deployment controller.
    pub async fn start(pace: Pace, token: CancellationToken) -> std::io::Result<World> {
        let cluster = Cluster::new();
        let kube = FakeKube::start(cluster, Options::default()).await?;
        let mut state = GitlabState::default();
        state.tokens.push(SIM_PAT.into());
        let gitlab = FakeGitlab::start(state).await?;
        let world = World {
            kube,
            gitlab,
            pat: SIM_PAT.into(),
            deployments: Arc::new(Mutex::new(Vec::new())),
            pace,
            token,
            counter: Arc::new(Mutex::new(0)),
            actions: Arc::new(Mutex::new(BTreeMap::new())),
            idle: Arc::new(Mutex::new(std::collections::BTreeSet::new())),
        };
        tokio::spawn(world.clone().controller());
        Ok(world)
    }

    /// The cluster state.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.kube.cluster
    }

    fn deployment(&self, ns: &str, name: &str) -> Option<RunnerDeployment> {
        self.deployments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|d| d.namespace == ns && d.name == name)
            .cloned()
    }

    /// A Deployment whose pod carries the runner label but runs no runner
    /// process: it logs nothing by itself (e.g. another team's app that
    /// happens to match the selector, or a pod an attacker controls).
    /// Its Deployment controller is not simulated: a deleted pod stays gone.
    pub fn add_silent(&self, d: &RunnerDeployment) -> String {
        self.objects(d, None);
        let mut t = PodTemplate::runner(&d.namespace, &d.name, &d.hash, &self.next_suffix());
        for (k, v) in &d.labels {
            t.labels.insert(k.clone(), v.clone());
        }
        t.containers.extend(d.sidecars.iter().cloned());
        let pod = t.name.clone();
        self.cluster().add_pod(t);
        pod
    }

    /// Creates the Deployment (and its ReplicaSet, and for `glrt-` its
    /// Secret) and its first pod.
    pub fn add(&self, d: RunnerDeployment, secret_token: Option<&str>) -> String {
        self.objects(&d, secret_token);
        self.deployments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(d.clone());
        let pod = self.spawn_pod(&d, d.preregistered.clone());
        if let (Workflow::Legacy { .. }, Some(t)) = (&d.workflow, &d.preregistered) {
            // The pod registered it: GitLab's description is its host name.
            let mut g = self.gitlab.lock();
            if let Some(r) = g.runners.values_mut().find(|r| &r.token == t) {
                r.description = pod.clone();
            }
        }
        pod
    }

    fn objects(&self, d: &RunnerDeployment, secret_token: Option<&str>) {
        let c = self.cluster();
        let mut labels = d.labels.clone();
        labels.entry("app".into()).or_insert_with(|| d.name.clone());
        let rs = format!("{}-{}", d.name, d.hash);
        c.put_object(
            "deployments",
            &d.namespace,
            &d.name,
            serde_json::json!({
                "metadata": {"labels": labels, "annotations": {}},
                "spec": {
                    "replicas": 1,
                    "paused": false,
                    "selector": {"matchLabels": {"app": labels["app"]}},
                    "template": {"metadata": {"labels": labels, "annotations": {}},
                                 "spec": {"containers": [{"name": d.name, "image": "gitlab-runner:alpine-v18.9.0"}]}}
                }
            }),
        );
        c.put_object(
            "replicasets",
            &d.namespace,
            &rs,
            serde_json::json!({
                "metadata": {"labels": labels, "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "Deployment", "name": d.name,
                    "uid": format!("deployment-{}", d.name), "controller": true, "blockOwnerDeletion": true
                }]},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": labels["app"]}}}
            }),
        );
        if let (Workflow::AuthToken, Some(t)) = (&d.workflow, secret_token) {
            let b64 = base64_encode;
            c.put_object(
                "secrets",
                &d.namespace,
                &d.name,
                serde_json::json!({
                    "type": "Opaque",
                    "data": {"runner-token": b64(t), "runner-registration-token": ""}
                }),
            );
        }
    }

    /// An idle runner: it keeps polling GitLab (GitLab hears from it) but
    /// logs nothing, as a real runner with no jobs logs nothing at info
    /// level. Its latest state in runner-medic comes from older lines, or
    /// from lines someone else writes into its log.
    pub fn set_idle(&self, pod: &str, idle: bool) {
        let mut set = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle {
            set.insert(pod.to_owned());
        } else {
            set.remove(pod);
        }
    }

    fn is_idle(&self, pod: &str) -> bool {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(pod)
    }

    /// Makes the runner process of `pod` do `action` at its next poll.
    pub fn act(&self, pod: &str, action: Action) {
        self.actions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(pod.to_owned())
            .or_default()
            .push(action);
    }

    fn next_action(&self, pod: &str) -> Option<Action> {
        let mut a = self.actions.lock().unwrap_or_else(|e| e.into_inner());
        let list = a.get_mut(pod)?;
        (!list.is_empty()).then(|| list.remove(0))
    }

    fn next_suffix(&self) -> String {
        let mut n = self.counter.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        const A: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut x = *n * 7919 + 104_729;
        (0..5)
            .map(|_| {
                let c = A[(x % A.len() as u64) as usize] as char;
                x /= A.len() as u64;
                x += 31;
                c
            })
            .collect()
    }

    /// Creates a pod of `d` and starts its runner process.
    fn spawn_pod(&self, d: &RunnerDeployment, token: Option<String>) -> String {
        let mut t = PodTemplate::runner(&d.namespace, &d.name, &d.hash, &self.next_suffix());
        for (k, v) in &d.labels {
            t.labels.insert(k.clone(), v.clone());
        }
        if d.workflow == Workflow::AuthToken {
            t.token_secret = Some(d.name.clone());
        }
        t.containers.extend(d.sidecars.iter().cloned());
        let pod = t.name.clone();
        self.cluster().add_pod(t);
        tokio::spawn(self.clone().runner(d.clone(), pod.clone(), token));
        pod
    }

    /// Reacts to API changes as a Deployment controller would.
    async fn controller(self) {
        let mut events = self.cluster().api_events.subscribe();
        loop {
            let e = tokio::select! {
                _ = self.token.cancelled() => return,
                e = events.recv() => match e {
                    Ok(e) => e,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                },
            };
            match e {
                ApiEvent::PodDeleted { namespace, pod } => {
                    let owner = self
                        .deployments
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter()
                        .find(|d| {
                            d.namespace == namespace
                                && pod.starts_with(&format!("{}-{}-", d.name, d.hash))
                        })
                        .cloned();
                    if let Some(d) = owner {
                        tokio::time::sleep(self.pace.replace_after).await;
                        self.spawn_pod(&d, None);
                    }
                }
                ApiEvent::DeploymentPatched { namespace, name } => {
                    let Some(d) = self.deployment(&namespace, &name) else {
                        continue;
                    };
                    let Some(obj) = self.cluster().object("deployments", &namespace, &name) else {
                        continue;
                    };
                    if obj["spec"]["paused"] == true {
                        continue;
                    }
                    if obj["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_null() {
                        continue;
                    }
                    // Roll: a new pod first, then the old ones go.
                    let old: Vec<String> = self
                        .cluster()
                        .pod_names(&namespace)
                        .into_iter()
                        .filter(|p| p.starts_with(&format!("{}-{}-", d.name, d.hash)))
                        .collect();
                    self.spawn_pod(&d, None);
                    tokio::time::sleep(self.pace.replace_after).await;
                    for p in old {
                        self.cluster().delete_pod(&namespace, &p);
                    }
                }
                ApiEvent::SecretWritten { .. } => {}
            }
        }
    }

    fn alive(&self, d: &RunnerDeployment, pod: &str) -> bool {
        !self.token.is_cancelled()
            && self
                .cluster()
                .pod(&d.namespace, pod)
                .is_some_and(|p| p.metadata.deletion_timestamp.is_none())
    }

    /// Writes lines into `container` of `pod` now, as anyone who can write
    /// to a followed log could (`kubectl exec`, a sidecar, a compromised
    /// pod): the log is a claim, not a fact.
    pub fn forge(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        style: Style,
        build: impl FnOnce(&mut PodScript),
    ) {
        let mut s = PodScript::new(pod, Timestamp::now(), style);
        build(&mut s);
        for l in s.lines() {
            let now = Timestamp::now();
            self.cluster()
                .append(namespace, pod, container, now, &l.text_at(now));
        }
    }

    /// Writes a batch of lines now.
    fn emit(&self, d: &RunnerDeployment, pod: &str, build: impl FnOnce(&mut PodScript)) {
        let mut s = PodScript::new(pod, Timestamp::now(), d.style);
        build(&mut s);
        for l in s.lines() {
            let now = Timestamp::now();
            self.cluster()
                .append(&d.namespace, pod, &d.name, now, &l.text_at(now));
        }
    }

    async fn sleep(&self, dur: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(dur) => true,
            _ = self.token.cancelled() => false,
        }
    }

    fn gitlab_down(&self) -> bool {
        self.gitlab.lock().faults.contains(&GitlabFault::Down)
    }

    /// The runner process of one pod (restarted by the kubelet while the
    /// pod lives).
    async fn runner(self, d: RunnerDeployment, pod: String, mut token: Option<String>) {
        loop {
            if !self.alive(&d, &pod) {
                return;
            }
            let t = match token.take() {
                // Registered before runner-medic started: the start of the
                // pod's log shows the registration that produced the token.
                Some(t) => {
                    if let Workflow::Legacy { registration_token } = &d.workflow {
                        let short = shorten_token(registration_token);
                        self.emit(&d, &pod, |s| {
                            s.register_legacy(&short);
                        });
                    }
                    Some(t)
                }
                None => self.start_up(&d, &pod).await,
            };
            let Some(t) = t else {
                // Registration or verification gave up: the container exits
                // and the kubelet restarts it after a back-off.
                if !self.alive(&d, &pod) {
                    return;
                }
                self.cluster()
                    .restart_container(&d.namespace, &pod, &d.name, true);
                if !self.sleep(self.pace.register_retry * 2).await {
                    return;
                }
                if !self.alive(&d, &pod) {
                    return;
                }
                self.cluster().start_container(&d.namespace, &pod, &d.name);
                continue;
            };
            self.emit(&d, &pod, |s| {
                s.start();
            });
            if self.poll(&d, &pod, t).await {
                // The container restarted: it starts again from the Secret.
                self.cluster()
                    .restart_container(&d.namespace, &pod, &d.name, false);
                continue;
            }
            return;
        }
    }

    /// `gitlab-runner register` as the chart runs it at start: the token
    /// to run with, or `None` after the attempts failed.
    async fn start_up(&self, d: &RunnerDeployment, pod: &str) -> Option<String> {
        for attempt in 1..=3u32 {
            if !self.alive(d, pod) {
                return None;
            }
            match &d.workflow {
                Workflow::Legacy { registration_token } => {
                    let short = shorten_token(registration_token);
                    let result = if self.gitlab_down() {
                        Err(503)
                    } else {
                        self.gitlab.lock().register(registration_token, pod)
                    };
                    match result {
                        Ok(token) => {
                            self.emit(d, pod, |s| {
                                s.register_legacy(&short);
                            });
                            return Some(token);
                        }
                        Err(status) => {
                            self.emit(d, pod, |s| {
                                s.register_rejected(&short, status, 1);
                            });
                        }
                    }
                }
                Workflow::AuthToken => {
                    let token = self.secret_token(d).unwrap_or_default();
                    let id = shorten_token(&token);
                    let valid =
                        !self.gitlab_down() && self.gitlab.lock().contact(&token, &system_id(pod));
                    self.emit(d, pod, |s| {
                        s.verify(&id, valid);
                    });
                    if valid {
                        return Some(token);
                    }
                }
            }
            let _ = attempt;
            if !self.sleep(self.pace.register_retry).await {
                return None;
            }
        }
        None
    }

    fn secret_token(&self, d: &RunnerDeployment) -> Option<String> {
        let s = self.cluster().object("secrets", &d.namespace, &d.name)?;
        let enc = s["data"]["runner-token"].as_str()?;
        base64_decode(enc)
    }

    /// `gitlab-runner run`: poll for jobs with `token` until the pod goes
    /// (false) or the container restarts (true).
    async fn poll(&self, d: &RunnerDeployment, pod: &str, mut token: String) -> bool {
        let mut id = shorten_token(&token);
        let mut rejected = 0u32;
        let mut n = 0u64;
        while self.alive(d, pod) {
            n += 1;
            match self.next_action(pod) {
                Some(Action::Restart) => return true,
                Some(Action::WarnExpiry) => {
                    let i = id.clone();
                    self.emit(d, pod, move |s| {
                        s.rotation_disabled_warning(&i);
                    });
                }
                Some(Action::Rotate) => {
                    let new = {
                        let mut g = self.gitlab.lock();
                        g.rotate(&token)
                    };
                    if let Some(new) = new {
                        self.gitlab.lock().contact(&new, &system_id(pod));
                        let i = id.clone();
                        self.emit(d, pod, move |s| {
                            s.token_reset(&i);
                        });
                        token = new;
                        id = shorten_token(&token);
                    }
                }
                None => {}
            }
            let token = token.as_str();
            let (down, valid) = {
                let mut g = self.gitlab.lock();
                let down = g.faults.contains(&GitlabFault::Down);
                (down, !down && g.contact(token, &system_id(pod)))
            };
            if down {
                self.emit(d, pod, |s| {
                    s.unavailable(&id);
                });
            } else if valid && self.is_idle(pod) {
                rejected = 0;
            } else if valid {
                rejected = 0;
                let project = if n.is_multiple_of(3) {
                    "web/storefront"
                } else {
                    "platform/payments-api"
                };
                self.emit(d, pod, |s| {
                    s.job(&id, project);
                });
            } else {
                rejected += 1;
                self.emit(d, pod, |s| {
                    s.forbidden(&id);
                });
                if rejected == 3 {
                    let id2 = id.clone();
                    self.emit(d, pod, move |s| {
                        s.lockout(&id2);
                    });
                    if !self.sleep(self.pace.lockout).await {
                        return false;
                    }
                    rejected = 0;
                    if !self.alive(d, pod) {
                        return false;
                    }
                    self.emit(d, pod, |s| {
                        s.recheck(&id);
                    });
                }
            }
            if !self.sleep(self.pace.poll).await {
                return false;
            }
        }
        false
    }
}

/// Standard base64 (for Secret data).
pub fn base64_encode(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Standard base64 decoding; `None` for invalid input.
pub fn base64_decode(s: &str) -> Option<String> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let b: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    for chunk in b.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for &c in chunk {
            n <<= 6;
            if c == b'=' {
                pad += 1;
            } else {
                n |= val(c)?;
            }
        }
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "glrt-t1_FAKEfakeFAKEfakeFAKE"] {
            assert_eq!(base64_decode(&base64_encode(s)).as_deref(), Some(s));
        }
        assert_eq!(base64_encode("runner"), "cnVubmVy");
        assert_eq!(base64_decode("###="), None);
    }
}
