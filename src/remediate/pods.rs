//! What remediation does to the cluster: find a runner pod's Deployment
//! (Pod → ReplicaSet → Deployment through owner references), read its
//! pause annotation, delete pods one by one with a UID precondition (a
//! replacement with the same name is never deleted), or restart the
//! Deployment as `kubectl rollout restart` does.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, Preconditions};
use kube::{Api, Client};

use crate::source::kube::workload_of;

/// The annotation that stops runner-medic from touching a workload.
pub const PAUSE_ANNOTATION: &str = "runner-medic.io/pause";

/// A pod to restart: name and UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRef {
    /// Name.
    pub name: String,
    /// UID (the deletion precondition).
    pub uid: String,
}

/// The Deployment a pod belongs to, and what matters about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    /// Deployment name (or the owning controller's name).
    pub name: String,
    /// Kind of the top owner (`Deployment`, `StatefulSet`, ...).
    pub kind: String,
    /// `runner-medic.io/pause=true`.
    pub paused: bool,
    /// `spec.paused`.
    pub rollout_paused: bool,
}

/// Cluster operations in one namespace.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    namespace: String,
    selector: String,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Operations on pods matching `selector` in `namespace`.
    pub fn new(client: Client, namespace: &str, selector: &str) -> Cluster {
        Cluster {
            client,
            namespace: namespace.into(),
            selector: selector.into(),
        }
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The pods (name, UID) among `names` that still exist.
    pub async fn existing(&self, names: &[String]) -> Result<Vec<PodRef>, kube::Error> {
        let mut out = Vec::new();
        for n in names {
            if let Some(p) = self.pods().get_opt(n).await?
                && p.metadata.deletion_timestamp.is_none()
            {
                out.push(PodRef {
                    name: n.clone(),
                    uid: p.metadata.uid.unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// Running pods of `workload` (by the daemon's selector and ownership).
    pub async fn workload_pods(&self, workload: &str) -> Result<Vec<Pod>, kube::Error> {
        let list = self
            .pods()
            .list(&ListParams::default().labels(&self.selector))
            .await?;
        Ok(list
            .items
            .into_iter()
            .filter(|p| workload_of(p) == workload && p.metadata.deletion_timestamp.is_none())
            .collect())
    }

    /// The owner of `pod`, walking a ReplicaSet up to its Deployment.
    pub async fn owner(&self, pod: &str) -> Result<Option<Owner>, kube::Error> {
        let Some(p) = self.pods().get_opt(pod).await? else {
            return Ok(None);
        };
        let Some(o) = controller_of(p.metadata.owner_references.as_deref()) else {
            return Ok(None);
        };
        if o.kind != "ReplicaSet" {
            return Ok(Some(Owner {
                name: o.name,
                kind: o.kind,
                paused: false,
                rollout_paused: false,
            }));
        }
        let rs: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &self.namespace);
        let Some(rs) = rs.get_opt(&o.name).await? else {
            return Ok(None);
        };
        let Some(d) = controller_of(rs.metadata.owner_references.as_deref())
            .filter(|d| d.kind == "Deployment")
        else {
            return Ok(Some(Owner {
                name: o.name,
                kind: o.kind,
                paused: false,
                rollout_paused: false,
            }));
        };
        let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), &self.namespace);
        let Some(dep) = deployments.get_opt(&d.name).await? else {
            return Ok(None);
        };
        let paused = dep
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(PAUSE_ANNOTATION))
            .is_some_and(|v| v == "true");
        Ok(Some(Owner {
            name: d.name,
            kind: "Deployment".into(),
            paused,
            rollout_paused: dep.spec.as_ref().and_then(|s| s.paused).unwrap_or(false),
        }))
    }

    /// Re-reads `pod` right before it is deleted and checks, in code, what
    /// RBAC cannot: it is the same pod (UID), it still matches the daemon's
    /// label selector, its controller chain still leads to `owner`, and it
    /// runs `container`. `Ok(None)`: gone or replaced (nothing to delete);
    /// `Err`: a check failed, and why.
    pub async fn recheck(
        &self,
        pod: &PodRef,
        owner: Option<&(String, String)>,
        container: &str,
    ) -> Result<Option<()>, String> {
        let p = match self.pods().get_opt(&pod.name).await {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(e) => return Err(format!("cannot re-read pod {}: {e}", pod.name)),
        };
        if p.metadata.uid.as_deref() != Some(pod.uid.as_str()) {
            return Ok(None);
        }
        let selector = crate::selector::Selector::parse(&self.selector)
            .map_err(|e| format!("the daemon's selector {:?}: {e}", self.selector))?;
        if !selector.matches(&p.metadata.labels.clone().unwrap_or_default()) {
            return Err(format!(
                "pod {} no longer matches the selector {:?}",
                pod.name, self.selector
            ));
        }
        let runs = p
            .spec
            .as_ref()
            .is_some_and(|s| s.containers.iter().any(|c| c.name == container));
        if !runs {
            return Err(format!(
                "pod {} has no container {container:?}: it is not a runner pod",
                pod.name
            ));
        }
        if let Some((kind, name)) = owner {
            let now = self
                .owner(&pod.name)
                .await
                .map_err(|e| format!("cannot re-read the owner of pod {}: {e}", pod.name))?;
            match now {
                Some(o) if o.kind == *kind && o.name == *name => {
                    if o.paused {
                        return Err(format!("{kind}/{name} now carries {PAUSE_ANNOTATION}=true"));
                    }
                }
                Some(o) => {
                    return Err(format!(
                        "pod {} now belongs to {}/{}, not {kind}/{name}",
                        pod.name, o.kind, o.name
                    ));
                }
                None => {
                    return Err(format!("pod {} has no owner any more", pod.name));
                }
            }
        }
        Ok(Some(()))
    }

    /// Whether the workload `kind`/`name` carries the pause annotation now.
    pub async fn paused(&self, kind: &str, name: &str) -> Result<bool, kube::Error> {
        if kind != "Deployment" {
            return Ok(false);
        }
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), &self.namespace);
        Ok(api.get_opt(name).await?.is_some_and(|d| {
            d.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(PAUSE_ANNOTATION))
                .is_some_and(|v| v == "true")
        }))
    }

    /// Deletes `pod` if it is still the same pod (UID precondition).
    /// Ok(true): deleted; Ok(false): already gone or replaced.
    pub async fn delete(&self, pod: &PodRef) -> Result<bool, kube::Error> {
        let dp = DeleteParams {
            preconditions: Some(Preconditions {
                uid: Some(pod.uid.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match self.pods().delete(&pod.name, &dp).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Waits until `workload` has a running pod not in `old` (its
    /// replacement), for at most `timeout`.
    pub async fn wait_replacement(
        &self,
        workload: &str,
        old: &[String],
        timeout: Duration,
    ) -> Result<bool, kube::Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let pods = self.workload_pods(workload).await?;
            let replaced = pods.iter().any(|p| {
                let name = p.metadata.name.as_deref().unwrap_or("");
                !old.iter().any(|o| o == name)
                    && p.status
                        .as_ref()
                        .and_then(|s| s.container_statuses.as_ref())
                        .is_some_and(|cs| {
                            cs.iter()
                                .any(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
                        })
            });
            if replaced {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// `kubectl rollout restart deployment/<name>`: a strategic merge patch
    /// of the pod template's `kubectl.kubernetes.io/restartedAt`.
    pub async fn rollout_restart(&self, deployment: &str) -> Result<(), kube::Error> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), &self.namespace);
        let now = Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or_else(|_| Timestamp::now());
        let patch = serde_json::json!({
            "spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": now.to_string()
            }}}}
        });
        api.patch(
            deployment,
            &PatchParams::default(),
            &Patch::Strategic(&patch),
        )
        .await?;
        Ok(())
    }

    /// A reference to the Deployment, for Events.
    pub fn reference(&self, kind: &str, name: &str) -> ObjectReference {
        let api_version = match kind {
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps/v1",
            _ => "v1",
        };
        ObjectReference {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
            name: Some(name.into()),
            namespace: Some(self.namespace.clone()),
            ..ObjectReference::default()
        }
    }
}

/// The controller owner reference, else the first one.
fn controller_of(
    refs: Option<&[k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference]>,
) -> Option<OwnerId> {
    let refs = refs?;
    let r = refs
        .iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())?;
    Some(OwnerId {
        kind: r.kind.clone(),
        name: r.name.clone(),
    })
}

struct OwnerId {
    kind: String,
    name: String,
}
