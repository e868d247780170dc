//! The other objects remediation reads and writes: ConfigMaps, Secrets,
//! Deployments, ReplicaSets, Leases and Events, with the apiserver's
//! optimistic concurrency (`resourceVersion`, 409 Conflict / AlreadyExists),
//! and pod deletion with UID preconditions.

use http::{Method, Response, StatusCode};

use super::{Body, Ctx, Req, json, pod_not_found, status, to_json};
use crate::sim::cluster::ApiEvent;

/// `(group suffix for messages, apiVersion, Kind)` of a plural resource.
fn kind_of(plural: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match plural {
        "configmaps" => ("configmaps", "v1", "ConfigMap"),
        "secrets" => ("secrets", "v1", "Secret"),
        "deployments" => ("deployments.apps", "apps/v1", "Deployment"),
        "replicasets" => ("replicasets.apps", "apps/v1", "ReplicaSet"),
        "leases" => (
            "leases.coordination.k8s.io",
            "coordination.k8s.io/v1",
            "Lease",
        ),
        "events" => ("events.events.k8s.io", "events.k8s.io/v1", "Event"),
        _ => return None,
    })
}

fn typed(mut obj: serde_json::Value, api_version: &str, kind: &str) -> serde_json::Value {
    obj["apiVersion"] = api_version.into();
    obj["kind"] = kind.into();
    obj
}

fn not_found(qualified: &str, name: &str, plural: &str) -> Response<Body> {
    status(
        404,
        "NotFound",
        &format!("{qualified} \"{name}\" not found"),
        Some(serde_json::json!({"name": name, "kind": plural})),
    )
}

/// Handles `.../namespaces/{ns}/{plural}[/{name}]` for the kinds above.
pub(super) fn handle(
    ctx: &Ctx,
    r: &Req<'_>,
    ns: &str,
    plural: &str,
    name: Option<&str>,
) -> Response<Body> {
    let Some((qualified, api_version, kind)) = kind_of(plural) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
            None,
        );
    };
    let c = &ctx.cluster;
    let body: serde_json::Value = if r.body.is_empty() {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(r.body) {
            Ok(v) => v,
            Err(e) => return status(400, "BadRequest", &format!("invalid JSON body: {e}"), None),
        }
    };
    match (r.method, name) {
        (&Method::GET, None) => {
            let items: Vec<serde_json::Value> = c
                .objects(plural)
                .into_iter()
                .filter(|o| o["metadata"]["namespace"] == ns)
                .map(|o| typed(o, api_version, kind))
                .collect();
            let rv = c.lock().rv;
            json(
                StatusCode::OK,
                &serde_json::json!({"kind": format!("{kind}List"), "apiVersion": api_version, "metadata": {"resourceVersion": rv.to_string()}, "items": items}),
            )
        }
        (&Method::GET, Some(n)) => match c.object(plural, ns, n) {
            Some(o) => json(StatusCode::OK, &typed(o, api_version, kind)),
            None => not_found(qualified, n, plural),
        },
        (&Method::POST, None) => {
            // Events may be named by the client or generated.
            let n = body["metadata"]["name"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| {
                    body["metadata"]["generateName"]
                        .as_str()
                        .map(|g| format!("{g}{}", c.lock().rv + 1))
                });
            let Some(n) = n else {
                return status(
                    422,
                    "Invalid",
                    &format!("{kind} \"\" is invalid: metadata.name: Required value"),
                    None,
                );
            };
            if c.object(plural, ns, &n).is_some() {
                return status(
                    409,
                    "AlreadyExists",
                    &format!("{qualified} \"{n}\" already exists"),
                    Some(serde_json::json!({"name": n, "kind": plural})),
                );
            }
            let stored = c.put_object(plural, ns, &n, body);
            after_write(c, plural, ns, &n);
            json(StatusCode::CREATED, &typed(stored, api_version, kind))
        }
        (&Method::PUT, Some(n)) => {
            let Some(mut current) = c.object(plural, ns, n) else {
                return not_found(qualified, n, plural);
            };
            let raced = c.take_fault(|f| {
                matches!(f, crate::sim::cluster::Fault::ConcurrentWrite { plural: p, name } if p == plural && name == n)
            });
            if raced.is_some() {
                current["metadata"]["annotations"]["sim/concurrent-writer"] = "1".into();
                current = c.put_object(plural, ns, n, current);
            }
            let sent = body["metadata"]["resourceVersion"].as_str().unwrap_or("");
            let have = current["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("");
            if sent.is_empty() || sent != have {
                return conflict(qualified, n, plural);
            }
            let mut obj = body;
            obj["metadata"]["uid"] = current["metadata"]["uid"].clone();
            obj["metadata"]["creationTimestamp"] = current["metadata"]["creationTimestamp"].clone();
            let stored = c.put_object(plural, ns, n, obj);
            after_write(c, plural, ns, n);
            json(StatusCode::OK, &typed(stored, api_version, kind))
        }
        (&Method::PATCH, Some(n)) => {
            let Some(mut current) = c.object(plural, ns, n) else {
                return not_found(qualified, n, plural);
            };
            merge(&mut current, &body);
            let stored = c.put_object(plural, ns, n, current);
            after_write(c, plural, ns, n);
            json(StatusCode::OK, &typed(stored, api_version, kind))
        }
        (&Method::DELETE, Some(n)) => {
            let removed =
                c.lock()
                    .objects
                    .remove(&(plural.to_owned(), ns.to_owned(), n.to_owned()));
            match removed {
                Some(o) => json(StatusCode::OK, &typed(o, api_version, kind)),
                None => not_found(qualified, n, plural),
            }
        }
        _ => {
            let mut resp = status(405, "MethodNotAllowed", "method not allowed", None);
            *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            resp
        }
    }
}

fn conflict(qualified: &str, name: &str, plural: &str) -> Response<Body> {
    status(
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
        ),
        Some(serde_json::json!({"name": name, "kind": plural})),
    )
}

fn after_write(c: &crate::sim::cluster::Cluster, plural: &str, ns: &str, name: &str) {
    match plural {
        "deployments" => c.announce(ApiEvent::DeploymentPatched {
            namespace: ns.into(),
            name: name.into(),
        }),
        "secrets" => c.announce(ApiEvent::SecretWritten {
            namespace: ns.into(),
            name: name.into(),
        }),
        _ => {}
    }
}

/// JSON merge patch (RFC 7386); strategic merge patches of the shapes
/// runner-medic sends (maps only) behave the same.
fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match patch {
        serde_json::Value::Object(p) => {
            if !target.is_object() {
                *target = serde_json::json!({});
            }
            for (k, v) in p {
                if v.is_null() {
                    if let Some(t) = target.as_object_mut() {
                        t.remove(k);
                    }
                } else {
                    merge(&mut target[k], v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// `DELETE .../pods/{name}` with an optional UID precondition.
pub(super) fn delete_pod(ctx: &Ctx, r: &Req<'_>, ns: &str, name: &str) -> Response<Body> {
    let body: serde_json::Value = serde_json::from_slice(r.body).unwrap_or_default();
    let Some(pod) = ctx.cluster.pod(ns, name) else {
        return pod_not_found(name);
    };
    let have = pod.metadata.uid.clone().unwrap_or_default();
    if let Some(want) = body["preconditions"]["uid"].as_str()
        && want != have
    {
        return status(
            409,
            "Conflict",
            &format!(
                "Operation cannot be fulfilled on Pod \"{name}\": Precondition failed: UID in precondition: {want}, UID in object meta: {have}"
            ),
            Some(serde_json::json!({"name": name, "kind": "pods"})),
        );
    }
    ctx.cluster.delete_pod(ns, name);
    ctx.cluster.announce(ApiEvent::PodDeleted {
        namespace: ns.into(),
        pod: name.into(),
    });
    let mut p = pod;
    p.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        jiff::Timestamp::now(),
    ));
    json(StatusCode::OK, &to_json(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patches_merge_maps_and_delete_nulls() {
        let mut t = serde_json::json!({"a": {"b": 1, "c": 2}, "d": 3});
        merge(
            &mut t,
            &serde_json::json!({"a": {"b": 9, "c": null}, "e": "x"}),
        );
        assert_eq!(t, serde_json::json!({"a": {"b": 9}, "d": 3, "e": "x"}));
    }
}
