//! The simulated cluster's state: pods with their containers and log files,
//! a global `resourceVersion`, the watch history, and injected faults.
//! `sim::kube` serves it over HTTP with the real wire format; tests and the
//! demo change it through [`Cluster`]'s methods, as the kubelet and
//! controllers would.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, Pod, PodSpec, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use tokio::sync::Notify;

/// Watch events kept for resuming watches; older resource versions get 410.
const HISTORY: usize = 10_000;

/// A fault to inject into the next matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The next log stream of `pod` sends `after` whole lines, then half of
    /// the next one, then the connection is cut.
    CutLogMidLine {
        /// Pod name.
        pod: String,
        /// Whole lines sent before the cut.
        after: usize,
    },
    /// The next log stream of `pod` sends headers, then nothing, forever.
    HangLog {
        /// Pod name.
        pod: String,
    },
    /// The next log request for `pod` gets this status (429 carries
    /// `Retry-After: 1`).
    LogStatus {
        /// Pod name.
        pod: String,
        /// 429, 500, 503...
        status: u16,
    },
    /// The next watch answers 200 and a single ERROR event with code 410.
    WatchExpired,
    /// The next pod list answers with this status.
    ListStatus(u16),
    /// Someone else writes object `name` of `plural` just before the next
    /// PUT to it arrives (that PUT then gets 409 Conflict).
    ConcurrentWrite {
        /// Resource plural (`secrets`).
        plural: String,
        /// Object name.
        name: String,
    },
}

/// A request the simulated API server received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path and query as sent.
    pub uri: String,
}

/// One container instance's log file.
#[derive(Debug)]
pub struct InstanceLog {
    inner: Mutex<LogLines>,
    /// Woken on every append and when the instance stops.
    pub notify: Notify,
}

/// The lines of an instance, and whether it still runs.
#[derive(Debug, Default)]
pub struct LogLines {
    /// `(runtime timestamp, bytes without newline)`.
    pub lines: Vec<(Timestamp, Bytes)>,
    /// The container process still runs (follow streams stay open).
    pub running: bool,
}

impl InstanceLog {
    fn new(running: bool) -> Arc<InstanceLog> {
        Arc::new(InstanceLog {
            inner: Mutex::new(LogLines {
                lines: Vec::new(),
                running,
            }),
            notify: Notify::new(),
        })
    }

    /// Locks the lines.
    pub fn lock(&self) -> MutexGuard<'_, LogLines> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stop(&self) {
        self.lock().running = false;
        self.notify.notify_waiters();
    }
}

/// A container of a simulated pod.
#[derive(Debug)]
pub struct SimContainer {
    /// Name.
    pub name: String,
    /// Restarts so far.
    pub restart_count: i32,
    /// Current state.
    pub state: ContainerPhase,
    /// The current instance's log.
    pub current: Arc<InstanceLog>,
    /// The previous instance's log (after a restart).
    pub previous: Option<Arc<InstanceLog>>,
    /// When the current instance started.
    pub started: Timestamp,
}

/// A container's state, as the kubelet reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum ContainerPhase {
    /// Never started yet (`ContainerCreating`, `ImagePullBackOff`...).
    Waiting(String),
    /// Running.
    Running,
    /// Exited and waiting to be restarted (`CrashLoopBackOff`).
    CrashLoop,
    /// Exited for good.
    Terminated(i32),
}

/// A simulated pod.
#[derive(Debug)]
pub struct SimPod {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// UID.
    pub uid: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Owner `(kind, name)`, e.g. `("ReplicaSet", "gitlab-runner-7d9c6b5f4")`.
    pub owner: Option<(String, String)>,
    /// Node; `None` means not scheduled yet.
    pub node: Option<String>,
    /// Creation time.
    pub created: Timestamp,
    /// Deletion requested.
    pub deleting: Option<Timestamp>,
    /// Containers.
    pub containers: Vec<SimContainer>,
    /// The pod's resourceVersion.
    pub rv: u64,
    /// The Secret mounted as the chart does (projected volume with the
    /// `runner-token` and `runner-registration-token` keys).
    pub token_secret: Option<String>,
}

/// What to create.
#[derive(Debug, Clone)]
pub struct PodTemplate {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Owner `(kind, name)`.
    pub owner: Option<(String, String)>,
    /// Container names.
    pub containers: Vec<String>,
    /// Start with containers waiting (`ContainerCreating`) instead of running.
    pub waiting: bool,
    /// Not scheduled: no node.
    pub unscheduled: bool,
    /// The runner Secret, mounted as the Helm chart does.
    pub token_secret: Option<String>,
}

impl PodTemplate {
    /// A Helm-chart-like runner pod of Deployment `deployment` (ReplicaSet
    /// `<deployment>-<hash>`), with the `app=<deployment>` label and one
    /// container named after the deployment.
    pub fn runner(namespace: &str, deployment: &str, hash: &str, suffix: &str) -> PodTemplate {
        let mut labels = BTreeMap::new();
        labels.insert("app".into(), deployment.into());
        labels.insert("pod-template-hash".into(), hash.into());
        labels.insert("release".into(), deployment.into());
        PodTemplate {
            namespace: namespace.into(),
            name: format!("{deployment}-{hash}-{suffix}"),
            labels,
            owner: Some(("ReplicaSet".into(), format!("{deployment}-{hash}"))),
            containers: vec![deployment.into()],
            waiting: false,
            unscheduled: false,
            token_secret: None,
        }
    }
}

/// A recorded watch event.
#[derive(Debug, Clone)]
pub struct WatchRecord {
    /// resourceVersion of the change.
    pub rv: u64,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    /// The pod as it was then.
    pub pod: Pod,
}

/// Mutable cluster state.
#[derive(Debug, Default)]
pub struct State {
    /// Last resourceVersion handed out.
    pub rv: u64,
    /// Pods by (namespace, name).
    pub pods: BTreeMap<(String, String), SimPod>,
    /// Recent pod changes, oldest first.
    pub history: VecDeque<WatchRecord>,
    /// Faults still to inject.
    pub faults: Vec<Fault>,
    /// Requests received.
    pub requests: Vec<Recorded>,
    /// Other objects (Deployments, ReplicaSets, Leases, ConfigMaps,
    /// Secrets, Events) as JSON, by (kind, namespace, name).
    pub objects: BTreeMap<(String, String, String), serde_json::Value>,
    uid_counter: u64,
}

/// What happened to the cluster through its API (for the simulated
/// controllers that react to it, as a Deployment controller does).
#[derive(Debug, Clone, PartialEq)]
pub enum ApiEvent {
    /// A pod was deleted through the API.
    PodDeleted {
        /// Namespace.
        namespace: String,
        /// Pod.
        pod: String,
    },
    /// A Deployment was patched (e.g. a rollout restart).
    DeploymentPatched {
        /// Namespace.
        namespace: String,
        /// Deployment.
        name: String,
    },
    /// A Secret was written.
    SecretWritten {
        /// Namespace.
        namespace: String,
        /// Secret.
        name: String,
    },
}

/// The simulated cluster, shared by the HTTP server and its drivers.
#[derive(Debug)]
pub struct Cluster {
    state: Mutex<State>,
    /// Woken on every pod change (watches wait on it).
    pub changed: Notify,
    /// Changes made through the API.
    pub api_events: tokio::sync::broadcast::Sender<ApiEvent>,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            api_events: tokio::sync::broadcast::channel(1024).0,
        }
    }
}

impl Cluster {
    /// An empty cluster.
    pub fn new() -> Arc<Cluster> {
        Arc::new(Cluster::default())
    }

    /// Locks the state.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed_pod(&self, st: &mut State, ns: &str, name: &str, kind: &'static str) {
        st.rv += 1;
        let rv = st.rv;
        let Some(p) = st.pods.get_mut(&(ns.to_owned(), name.to_owned())) else {
            return;
        };
        p.rv = rv;
        let pod = p.to_pod();
        st.history.push_back(WatchRecord { rv, kind, pod });
        if st.history.len() > HISTORY {
            st.history.pop_front();
        }
        self.changed.notify_waiters();
    }

    /// Creates a pod (its containers start running unless told otherwise).
    pub fn add_pod(&self, t: PodTemplate) -> String {
        let mut st = self.lock();
        st.uid_counter += 1;
        let uid = format!("00000000-0000-4000-8000-{:012x}", st.uid_counter);
        let now = Timestamp::now();
        let running = !t.waiting && !t.unscheduled;
        let pod = SimPod {
            namespace: t.namespace.clone(),
            name: t.name.clone(),
            uid: uid.clone(),
            labels: t.labels,
            owner: t.owner,
            token_secret: t.token_secret,
            node: (!t.unscheduled).then(|| "node-1".to_owned()),
            created: now,
            deleting: None,
            containers: t
                .containers
                .iter()
                .map(|c| SimContainer {
                    name: c.clone(),
                    restart_count: 0,
                    state: if running {
                        ContainerPhase::Running
                    } else {
                        ContainerPhase::Waiting("ContainerCreating".into())
                    },
                    current: InstanceLog::new(running),
                    previous: None,
                    started: now,
                })
                .collect(),
            rv: 0,
        };
        st.pods.insert((t.namespace.clone(), t.name.clone()), pod);
        self.changed_pod(&mut st, &t.namespace, &t.name, "ADDED");
        uid
    }

    /// Appends a line to a container's current log with timestamp `at`.
    pub fn append(&self, ns: &str, pod: &str, container: &str, at: Timestamp, line: &str) {
        let log = {
            let st = self.lock();
            st.pods
                .get(&(ns.to_owned(), pod.to_owned()))
                .and_then(|p| p.containers.iter().find(|c| c.name == container))
                .map(|c| c.current.clone())
        };
        if let Some(log) = log {
            log.lock()
                .lines
                .push((at, Bytes::copy_from_slice(line.as_bytes())));
            log.notify.notify_waiters();
        }
    }

    /// Appends raw bytes (no newline handling) as one line.
    pub fn append_bytes(&self, ns: &str, pod: &str, container: &str, at: Timestamp, line: Bytes) {
        let log = {
            let st = self.lock();
            st.pods
                .get(&(ns.to_owned(), pod.to_owned()))
                .and_then(|p| p.containers.iter().find(|c| c.name == container))
                .map(|c| c.current.clone())
        };
        if let Some(log) = log {
            log.lock().lines.push((at, line));
            log.notify.notify_waiters();
        }
    }

    /// Sets a container running (e.g. after `ContainerCreating`).
    pub fn start_container(&self, ns: &str, pod: &str, container: &str) {
        let mut st = self.lock();
        if let Some(c) = container_mut(&mut st, ns, pod, container) {
            c.state = ContainerPhase::Running;
            c.current.lock().running = true;
            c.started = Timestamp::now();
        }
        self.changed_pod(&mut st, ns, pod, "MODIFIED");
    }

    /// The container exits and is restarted: the current log becomes the
    /// previous one, a new instance starts (running, unless `crash_loop`).
    pub fn restart_container(&self, ns: &str, pod: &str, container: &str, crash_loop: bool) {
        let mut st = self.lock();
        if let Some(c) = container_mut(&mut st, ns, pod, container) {
            c.current.stop();
            c.previous = Some(c.current.clone());
            c.restart_count += 1;
            c.current = InstanceLog::new(!crash_loop);
            c.started = Timestamp::now();
            c.state = if crash_loop {
                ContainerPhase::CrashLoop
            } else {
                ContainerPhase::Running
            };
        }
        self.changed_pod(&mut st, ns, pod, "MODIFIED");
    }

    /// The container exits for good.
    pub fn terminate_container(&self, ns: &str, pod: &str, container: &str, code: i32) {
        let mut st = self.lock();
        if let Some(c) = container_mut(&mut st, ns, pod, container) {
            c.current.stop();
            c.state = ContainerPhase::Terminated(code);
        }
        self.changed_pod(&mut st, ns, pod, "MODIFIED");
    }

    /// Deletes a pod as the kubelet does: MODIFIED with a deletion
    /// timestamp, containers stop (streams end), then DELETED.
    pub fn delete_pod(&self, ns: &str, pod: &str) -> bool {
        let mut st = self.lock();
        let key = (ns.to_owned(), pod.to_owned());
        let Some(p) = st.pods.get_mut(&key) else {
            return false;
        };
        p.deleting = Some(Timestamp::now());
        for c in &mut p.containers {
            c.current.stop();
            c.state = ContainerPhase::Terminated(0);
        }
        self.changed_pod(&mut st, ns, pod, "MODIFIED");
        st.rv += 1;
        let rv = st.rv;
        if let Some(mut p) = st.pods.remove(&key) {
            p.rv = rv;
            let pod = p.to_pod();
            st.history.push_back(WatchRecord {
                rv,
                kind: "DELETED",
                pod,
            });
        }
        self.changed.notify_waiters();
        true
    }

    /// Stores an object (Deployment, Lease...) with a new resourceVersion;
    /// returns it as stored.
    pub fn put_object(
        &self,
        kind: &str,
        ns: &str,
        name: &str,
        mut obj: serde_json::Value,
    ) -> serde_json::Value {
        let mut st = self.lock();
        st.rv += 1;
        obj["metadata"]["resourceVersion"] = st.rv.to_string().into();
        obj["metadata"]["name"] = name.into();
        obj["metadata"]["namespace"] = ns.into();
        if obj["metadata"]["uid"].is_null() {
            st.uid_counter += 1;
            obj["metadata"]["uid"] =
                format!("00000000-0000-4000-9000-{:012x}", st.uid_counter).into();
        }
        if obj["metadata"]["creationTimestamp"].is_null() {
            obj["metadata"]["creationTimestamp"] = Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(Timestamp::now())
                .to_string()
                .into();
        }
        st.objects.insert(
            (kind.to_owned(), ns.to_owned(), name.to_owned()),
            obj.clone(),
        );
        obj
    }

    /// An object by kind, namespace and name.
    pub fn object(&self, kind: &str, ns: &str, name: &str) -> Option<serde_json::Value> {
        self.lock()
            .objects
            .get(&(kind.to_owned(), ns.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Every object of a kind.
    pub fn objects(&self, kind: &str) -> Vec<serde_json::Value> {
        self.lock()
            .objects
            .iter()
            .filter(|((k, _, _), _)| k == kind)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Tells the simulated controllers.
    pub fn announce(&self, e: ApiEvent) {
        let _ = self.api_events.send(e);
    }

    /// Queues a fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Takes the first queued fault `matches` accepts.
    pub fn take_fault(&self, matches: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let mut st = self.lock();
        let i = st.faults.iter().position(matches)?;
        Some(st.faults.remove(i))
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// A snapshot of a pod.
    pub fn pod(&self, ns: &str, name: &str) -> Option<Pod> {
        self.lock()
            .pods
            .get(&(ns.to_owned(), name.to_owned()))
            .map(SimPod::to_pod)
    }

    /// Names of the pods in `ns`.
    pub fn pod_names(&self, ns: &str) -> Vec<String> {
        self.lock()
            .pods
            .keys()
            .filter(|(n, _)| n == ns)
            .map(|(_, p)| p.clone())
            .collect()
    }
}

fn container_mut<'a>(
    st: &'a mut State,
    ns: &str,
    pod: &str,
    container: &str,
) -> Option<&'a mut SimContainer> {
    st.pods
        .get_mut(&(ns.to_owned(), pod.to_owned()))?
        .containers
        .iter_mut()
        .find(|c| c.name == container)
}

// === impl SimPod ===

impl SimPod {
    /// The pod as the API serves it.
    pub fn to_pod(&self) -> Pod {
        let time = |t: Timestamp| Time(t.round(jiff::Unit::Second).unwrap_or(t));
        let statuses = self
            .containers
            .iter()
            .map(|c| {
                let container_id = Some(format!(
                    "containerd://{:064x}",
                    (c.restart_count as u64 + 1) * 0x9e37_79b9
                ));
                let state = match &c.state {
                    ContainerPhase::Running => ContainerState {
                        running: Some(ContainerStateRunning {
                            started_at: Some(time(c.started)),
                        }),
                        ..Default::default()
                    },
                    ContainerPhase::Waiting(reason) => ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some(reason.clone()),
                            message: None,
                        }),
                        ..Default::default()
                    },
                    ContainerPhase::CrashLoop => ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some("CrashLoopBackOff".into()),
                            message: Some(format!(
                                "back-off 10s restarting failed container={}",
                                c.name
                            )),
                        }),
                        ..Default::default()
                    },
                    ContainerPhase::Terminated(code) => ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            exit_code: *code,
                            reason: Some(if *code == 0 { "Completed" } else { "Error" }.into()),
                            started_at: Some(time(c.started)),
                            finished_at: Some(time(Timestamp::now())),
                            container_id: container_id.clone(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                };
                let last_state = (c.restart_count > 0).then(|| ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code: 1,
                        reason: Some("Error".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
                ContainerStatus {
                    name: c.name.clone(),
                    image: "registry.gitlab.com/gitlab-org/gitlab-runner:alpine-v18.9.0".into(),
                    image_id: "registry.gitlab.com/gitlab-org/gitlab-runner@sha256:0".into(),
                    ready: c.state == ContainerPhase::Running,
                    started: Some(c.state == ContainerPhase::Running),
                    restart_count: c.restart_count,
                    container_id: (!matches!(c.state, ContainerPhase::Waiting(_)))
                        .then_some(container_id)
                        .flatten(),
                    state: Some(state),
                    last_state,
                    ..Default::default()
                }
            })
            .collect::<Vec<_>>();
        let all_running = self
            .containers
            .iter()
            .all(|c| c.state == ContainerPhase::Running);
        let phase = if self.node.is_none()
            || self
                .containers
                .iter()
                .any(|c| matches!(c.state, ContainerPhase::Waiting(_)))
        {
            "Pending"
        } else if all_running
            || self
                .containers
                .iter()
                .any(|c| c.state == ContainerPhase::CrashLoop)
        {
            "Running"
        } else if self
            .containers
            .iter()
            .all(|c| c.state == ContainerPhase::Terminated(0))
        {
            "Succeeded"
        } else {
            "Failed"
        };
        Pod {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                namespace: Some(self.namespace.clone()),
                uid: Some(self.uid.clone()),
                resource_version: Some(self.rv.to_string()),
                labels: Some(self.labels.clone()),
                creation_timestamp: Some(time(self.created)),
                deletion_timestamp: self.deleting.map(time),
                deletion_grace_period_seconds: self.deleting.map(|_| 30),
                owner_references: self.owner.as_ref().map(|(kind, name)| {
                    vec![OwnerReference {
                        api_version: "apps/v1".into(),
                        kind: kind.clone(),
                        name: name.clone(),
                        uid: format!("owner-{name}"),
                        controller: Some(true),
                        block_owner_deletion: Some(true),
                    }]
                }),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: self.node.clone(),
                containers: self
                    .containers
                    .iter()
                    .map(|c| Container {
                        name: c.name.clone(),
                        image: Some(
                            "registry.gitlab.com/gitlab-org/gitlab-runner:alpine-v18.9.0".into(),
                        ),
                        ..Default::default()
                    })
                    .collect(),
                volumes: self.token_secret.as_ref().map(|name| {
                    let item = |k: &str| k8s_openapi::api::core::v1::KeyToPath {
                        key: k.into(),
                        path: k.into(),
                        mode: None,
                    };
                    vec![k8s_openapi::api::core::v1::Volume {
                        name: "projected-secrets".into(),
                        projected: Some(k8s_openapi::api::core::v1::ProjectedVolumeSource {
                            sources: Some(vec![k8s_openapi::api::core::v1::VolumeProjection {
                                secret: Some(k8s_openapi::api::core::v1::SecretProjection {
                                    name: name.clone(),
                                    items: Some(vec![
                                        item("runner-registration-token"),
                                        item("runner-token"),
                                    ]),
                                    optional: None,
                                }),
                                ..Default::default()
                            }]),
                            default_mode: None,
                        }),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                container_statuses: Some(statuses),
                start_time: Some(time(self.created)),
                ..Default::default()
            }),
        }
    }
}
