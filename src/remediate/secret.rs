//! The runner's token Secret (`rotate`, `recreate`): which Secret a runner
//! pod reads its token from, found in the pod's own spec as the Helm chart
//! mounts it, and a write guarded by `resourceVersion` that starts again
//! from a fresh read on a conflict. The token is only ever in memory and in
//! the Secret: no error or log line here carries it.

use std::collections::BTreeSet;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Pod, Secret as KubeSecret};
use kube::api::PostParams;
use kube::{Api, Client};

use super::gitlab::Secret;

/// How often a conflicting write is retried from a fresh read.
const WRITE_ATTEMPTS: u32 = 5;

/// Secrets a pod spec reads `key` from: env `secretKeyRef`s naming the key,
/// and secret or projected-secret volumes that include it (all keys when
/// no `items` are listed).
pub fn referenced(pod: &Pod, key: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Some(spec) = &pod.spec else {
        return names;
    };
    let includes = |items: &Option<Vec<k8s_openapi::api::core::v1::KeyToPath>>| {
        items
            .as_ref()
            .is_none_or(|i| i.iter().any(|k| k.key == key))
    };
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        for e in c.env.iter().flatten() {
            if let Some(r) = e
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
                && r.key == key
            {
                names.insert(r.name.clone());
            }
        }
    }
    for v in spec.volumes.iter().flatten() {
        if let Some(s) = &v.secret
            && let Some(n) = &s.secret_name
            && includes(&s.items)
        {
            names.insert(n.clone());
        }
        for src in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(s) = &src.secret
                && includes(&s.items)
            {
                names.insert(s.name.clone());
            }
        }
    }
    names
}

/// The one Secret that holds `key` for `pod`, or why it cannot be told.
/// The token in it must be `runner`'s (the id the pod logged): a Secret
/// holding another runner's token means the pod does not run `runner`,
/// whatever its log says, and no token is issued for it. The token is read
/// into memory only to compare its short id.
pub async fn find(
    client: &Client,
    namespace: &str,
    pod: &str,
    key: &str,
    runner: &crate::event::RunnerId,
) -> Result<String, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let p = pods
        .get_opt(pod)
        .await
        .map_err(|e| format!("cannot read pod {pod}: {e}"))?
        .ok_or_else(|| format!("pod {pod} is gone"))?;
    let names = referenced(&p, key);
    if names.is_empty() {
        return Err(format!(
            "pod {pod} reads no Secret key {key:?} (env secretKeyRef or secret volume)"
        ));
    }
    let secrets: Api<KubeSecret> = Api::namespaced(client.clone(), namespace);
    let mut holding = Vec::new();
    for n in &names {
        match secrets.get_opt(n).await {
            Ok(Some(s)) => {
                if let Some(v) = s.data.as_ref().and_then(|d| d.get(key)) {
                    let token = String::from_utf8_lossy(&v.0);
                    let id = crate::event::RunnerId::normalize(token.trim());
                    holding.push((n.clone(), id));
                }
            }
            Ok(None) => {}
            Err(e) => return Err(format!("cannot read Secret {namespace}/{n}: {e}")),
        }
    }
    if let [(name, id)] = holding.as_slice() {
        return match id {
            Some(id) if id.matches(runner) => Ok(name.clone()),
            Some(id) => Err(format!(
                "Secret {namespace}/{name} (key {key:?}) holds the token of runner {}, not of runner {runner}: pod {pod} does not run {runner}, whatever its log says",
                id.as_str().get(..9).unwrap_or(id.as_str())
            )),
            None => Err(format!(
                "Secret {namespace}/{name} (key {key:?}) holds no runner token runner-medic can read; it cannot tell that pod {pod} runs {runner}"
            )),
        };
    }
    let holding: Vec<String> = holding.into_iter().map(|(n, _)| n).collect();
    match holding.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "no Secret referenced by pod {pod} ({}) has the key {key:?}",
            names.into_iter().collect::<Vec<_>>().join(", ")
        )),
        many => Err(format!(
            "several Secrets referenced by pod {pod} have the key {key:?}: {}",
            many.join(", ")
        )),
    }
}

/// Writes `token` under `key` in Secret `name`, guarded by the
/// `resourceVersion` read just before; a 409 starts again from a fresh
/// read. Returns how many attempts it took.
pub async fn write(
    client: &Client,
    namespace: &str,
    name: &str,
    key: &str,
    token: &Secret,
) -> Result<u32, String> {
    let api: Api<KubeSecret> = Api::namespaced(client.clone(), namespace);
    for attempt in 1..=WRITE_ATTEMPTS {
        let mut s = api
            .get(name)
            .await
            .map_err(|e| format!("cannot read Secret {namespace}/{name}: {e}"))?;
        s.data.get_or_insert_with(Default::default).insert(
            key.to_owned(),
            ByteString(token.expose().as_bytes().to_vec()),
        );
        // `stringData` would win over `data` on the server.
        if let Some(sd) = s.string_data.as_mut() {
            sd.remove(key);
        }
        match api.replace(name, &PostParams::default(), &s).await {
            Ok(_) => return Ok(attempt),
            Err(kube::Error::Api(e)) if e.code == 409 => {
                tracing::info!(secret = %name, attempt, "the Secret changed while writing it; reading it again");
            }
            Err(e) => return Err(format!("cannot write Secret {namespace}/{name}: {e}")),
        }
    }
    Err(format!(
        "Secret {namespace}/{name} kept changing: {WRITE_ATTEMPTS} writes conflicted"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "spec": spec}))
            .unwrap()
    }

    #[test]
    fn the_token_secret_is_found_where_the_chart_and_others_put_it() {
        let chart = pod(serde_json::json!({
            "containers": [{"name": "runner"}],
            "volumes": [{"name": "projected-secrets", "projected": {"sources": [
                {"secret": {"name": "gitlab-runner", "items": [
                    {"key": "runner-registration-token", "path": "runner-registration-token"},
                    {"key": "runner-token", "path": "runner-token"}]}},
                {"configMap": {"name": "gitlab-runner"}}]}}]
        }));
        assert_eq!(
            referenced(&chart, "runner-token"),
            BTreeSet::from(["gitlab-runner".to_owned()])
        );
        let env = pod(serde_json::json!({
            "containers": [{"name": "runner", "env": [
                {"name": "CI_SERVER_TOKEN", "valueFrom": {"secretKeyRef": {"name": "tok", "key": "runner-token"}}},
                {"name": "OTHER", "valueFrom": {"secretKeyRef": {"name": "other", "key": "password"}}}]}],
            "volumes": [
                {"name": "certs", "secret": {"secretName": "certs", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"name": "all", "secret": {"secretName": "everything"}}]
        }));
        // The env ref naming the key, and the volume that mounts every key.
        assert_eq!(
            referenced(&env, "runner-token"),
            BTreeSet::from(["everything".to_owned(), "tok".to_owned()])
        );
        assert!(referenced(&pod(serde_json::json!({"containers": []})), "runner-token").is_empty());
    }
}
