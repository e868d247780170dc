//! Pod discovery: one watcher per namespace (or one across all namespaces)
//! with the label selector, one [`Follower`] task per (pod UID, container).
//!
//! Uses kube-runtime's watcher with API-server cache semantics
//! (`resourceVersion=0` lists, so thousands of daemons do not hammer etcd),
//! bookmarks and backoff. After every (re)list (`InitDone`), pods that were
//! not listed are treated as deleted. The daemon is ready once every
//! namespace has been listed once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::follow::{FollowConfig, Follower};
use super::positions::Positions;
use super::{ContainerInfo, ContainerPhase, PodInfo, SourceEvent};
use crate::line::{Origin, workload_of_pod};
use crate::metrics::Metrics;

/// What to watch.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// Namespaces; empty means all (needs cluster-wide RBAC).
    pub namespaces: Vec<String>,
    /// Label selector of runner pods.
    pub selector: String,
    /// Only this container (default: every container of the pod).
    pub container: Option<String>,
    /// At most this many streams open at once.
    pub max_streams: usize,
    /// Follower timing.
    pub follow: FollowConfig,
    /// Read positions kept across restarts (`watch.state_file`).
    pub positions: Option<Arc<Positions>>,
}

/// A pod being followed.
struct Followed {
    info: watch::Sender<Arc<PodInfo>>,
    origins: Vec<Arc<Origin>>,
    namespace: String,
}

/// Watches pods and runs their followers until `token` is cancelled.
pub async fn run(
    client: Client,
    config: DiscoveryConfig,
    tx: mpsc::Sender<SourceEvent>,
    metrics: Metrics,
    token: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(config.max_streams.max(1)));
    let tasks = TaskTracker::new();
    let scopes: Vec<Option<String>> = if config.namespaces.is_empty() {
        vec![None]
    } else {
        config.namespaces.iter().cloned().map(Some).collect()
    };
    let watcher_config = watcher::Config::default()
        .labels(&config.selector)
        .any_semantic();
    let streams = scopes.iter().enumerate().map(|(i, ns)| {
        let api: Api<Pod> = match ns {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        watcher::watcher(api, watcher_config.clone())
            .default_backoff()
            .map(move |e| (i, e))
            .boxed()
    });
    let mut events = futures::stream::select_all(streams);
    let mut pods: HashMap<String, Followed> = HashMap::new();
    let mut listing: Vec<Option<HashSet<String>>> = vec![None; scopes.len()];
    let mut synced = vec![false; scopes.len()];
    let mut announced = false;
    loop {
        let (scope, event) = tokio::select! {
            _ = token.cancelled() => break,
            e = events.next() => match e {
                Some(e) => e,
                None => break,
            },
        };
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "pod watch failed; retrying with backoff");
                continue;
            }
        };
        match event {
            Event::Init => listing[scope] = Some(HashSet::new()),
            Event::InitApply(pod) => {
                if let (Some(uid), Some(seen)) = (pod.metadata.uid.clone(), listing[scope].as_mut())
                {
                    seen.insert(uid);
                }
                apply(
                    &client, &config, &pod, &mut pods, &tx, &metrics, &token, &slots, &tasks,
                );
            }
            Event::InitDone => {
                let seen = listing[scope].take().unwrap_or_default();
                let gone: Vec<String> = pods
                    .iter()
                    .filter(|(uid, f)| {
                        !seen.contains(*uid) && in_scope(&scopes[scope], &f.namespace)
                    })
                    .map(|(uid, _)| uid.clone())
                    .collect();
                for uid in gone {
                    remove(&uid, &mut pods, &tx).await;
                }
                synced[scope] = true;
                if let Some(p) = &config.positions
                    && synced.iter().all(|s| *s)
                {
                    // Pods deleted while runner-medic was down.
                    p.retain_pods(|uid| pods.contains_key(uid));
                }
                if !announced && synced.iter().all(|s| *s) {
                    announced = true;
                    tracing::info!(pods = pods.len(), "initial pod list synced");
                    let _ = tx.send(SourceEvent::Synced).await;
                }
            }
            Event::Apply(pod) => apply(
                &client, &config, &pod, &mut pods, &tx, &metrics, &token, &slots, &tasks,
            ),
            Event::Delete(pod) => {
                if let Some(uid) = pod.metadata.uid.as_deref() {
                    remove(uid, &mut pods, &tx).await;
                }
            }
        }
        metrics.logs.pods(pods.len());
    }
    // Shutdown: followers see the token; wait for them to drop their senders.
    tasks.close();
    tasks.wait().await;
}

fn in_scope(scope: &Option<String>, namespace: &str) -> bool {
    scope.as_deref().is_none_or(|s| s == namespace)
}

#[allow(clippy::too_many_arguments)]
fn apply(
    client: &Client,
    config: &DiscoveryConfig,
    pod: &Pod,
    pods: &mut HashMap<String, Followed>,
    tx: &mpsc::Sender<SourceEvent>,
    metrics: &Metrics,
    token: &CancellationToken,
    slots: &Arc<Semaphore>,
    tasks: &TaskTracker,
) {
    let Some(uid) = pod.metadata.uid.clone() else {
        return;
    };
    let info = Arc::new(pod_info(pod));
    if let Some(f) = pods.get(&uid) {
        f.info.send_if_modified(|old| {
            if **old == *info {
                false
            } else {
                *old = info.clone();
                true
            }
        });
        return;
    }
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let workload = workload_of(pod);
    let (info_tx, _) = watch::channel(info.clone());
    let mut origins = Vec::new();
    for c in &info.containers {
        if config
            .container
            .as_ref()
            .is_some_and(|want| *want != c.name)
        {
            continue;
        }
        let origin = Arc::new(Origin::new(&namespace, &workload, &name, &c.name));
        origins.push(origin.clone());
        let follower = Follower {
            api: Api::namespaced(client.clone(), &namespace),
            origin,
            pod: info_tx.subscribe(),
            tx: tx.clone(),
            metrics: metrics.clone(),
            config: config.follow.clone(),
            token: token.clone(),
            slots: slots.clone(),
            uid: uid.as_str().into(),
            positions: config.positions.clone(),
        };
        tasks.spawn(follower.run());
    }
    tracing::info!(namespace = %namespace, pod = %name, workload = %workload, streams = origins.len(), "following pod");
    pods.insert(
        uid,
        Followed {
            info: info_tx,
            origins,
            namespace,
        },
    );
}

async fn remove(uid: &str, pods: &mut HashMap<String, Followed>, tx: &mpsc::Sender<SourceEvent>) {
    let Some(f) = pods.remove(uid) else { return };
    f.info.send_modify(|i| {
        let mut next = (**i).clone();
        next.deleted = true;
        *i = Arc::new(next);
    });
    for origin in f.origins {
        tracing::info!(pod = %origin.pod, container = %origin.container, "pod deleted");
        let _ = tx.send(SourceEvent::PodGone(origin)).await;
    }
}

/// The pod's state as followers need it.
pub fn pod_info(pod: &Pod) -> PodInfo {
    let deleted = pod.metadata.deletion_timestamp.is_some();
    let spec_names: Vec<String> = pod
        .spec
        .as_ref()
        .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    let containers = spec_names
        .into_iter()
        .map(|name| {
            let st = statuses.iter().find(|s| s.name == name);
            let phase = match st.and_then(|s| s.state.as_ref()) {
                Some(s) if s.running.is_some() => ContainerPhase::Running,
                Some(s) if s.terminated.is_some() => ContainerPhase::Terminated,
                Some(s)
                    if s.waiting.is_some()
                        && st.is_some_and(|x| x.restart_count > 0 || x.last_state.is_some()) =>
                {
                    ContainerPhase::CrashLoop
                }
                _ => ContainerPhase::Waiting,
            };
            ContainerInfo {
                name,
                restart_count: st.map_or(0, |s| s.restart_count),
                phase,
            }
        })
        .collect();
    PodInfo {
        deleted,
        containers,
    }
}

/// The owning workload: a ReplicaSet's Deployment (the ReplicaSet name
/// minus its `pod-template-hash`), or the controller's name, or a guess
/// from the pod name when there is no owner.
pub fn workload_of(pod: &Pod) -> String {
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let owner = pod.metadata.owner_references.as_ref().and_then(|o| {
        o.iter()
            .find(|r| r.controller == Some(true))
            .or_else(|| o.first())
    });
    let Some(owner) = owner else {
        return workload_of_pod(name).to_owned();
    };
    if owner.kind == "ReplicaSet" {
        let labels: BTreeMap<String, String> = pod.metadata.labels.clone().unwrap_or_default();
        if let Some(hash) = labels.get("pod-template-hash")
            && let Some(deployment) = owner.name.strip_suffix(&format!("-{hash}"))
        {
            return deployment.to_owned();
        }
        if let Some((deployment, _)) = owner.name.rsplit_once('-') {
            return deployment.to_owned();
        }
    }
    owner.name.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::cluster::{Cluster, PodTemplate};

    #[test]
    fn workloads_come_from_owners() {
        let c = Cluster::new();
        c.add_pod(PodTemplate::runner(
            "ns",
            "gitlab-runner",
            "7d9c6b5f4",
            "x2x7k",
        ));
        let pod = c.pod("ns", "gitlab-runner-7d9c6b5f4-x2x7k").unwrap();
        assert_eq!(workload_of(&pod), "gitlab-runner");
        let mut sts = PodTemplate::runner("ns", "runners", "x", "y");
        sts.name = "runners-0".into();
        sts.owner = Some(("StatefulSet".into(), "runners".into()));
        c.add_pod(sts);
        assert_eq!(workload_of(&c.pod("ns", "runners-0").unwrap()), "runners");
    }

    #[test]
    fn container_phases_are_read_from_the_status() {
        let c = Cluster::new();
        c.add_pod(PodTemplate::runner("ns", "r", "abc123", "aaaaa"));
        let info = pod_info(&c.pod("ns", "r-abc123-aaaaa").unwrap());
        assert_eq!(info.containers[0].phase, ContainerPhase::Running);
        c.restart_container("ns", "r-abc123-aaaaa", "r", true);
        let info = pod_info(&c.pod("ns", "r-abc123-aaaaa").unwrap());
        assert_eq!(
            (info.containers[0].restart_count, info.containers[0].phase),
            (1, ContainerPhase::CrashLoop)
        );
    }
}
