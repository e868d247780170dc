//! Routes of the fake API server: discovery, pods (list, watch, get), logs.

use http::{Method, Response, StatusCode};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;

use super::{Body, Ctx, Req, full, json, logs, objects, pod_not_found, status, to_json, watch};
use crate::sim::cluster::Fault;

pub(super) async fn handle(ctx: &Ctx, r: Req<'_>) -> Response<Body> {
    match (r.method, r.segments) {
        (&Method::GET, ["version"]) => json(
            StatusCode::OK,
            &serde_json::json!({
                "major": "1", "minor": "33", "gitVersion": "v1.33.0-runner-medic-sim",
                "gitCommit": "0000000", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64"
            }),
        ),
        (&Method::GET, ["api"]) => json(
            StatusCode::OK,
            &serde_json::json!({
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ctx.addr.to_string()}]
            }),
        ),
        (&Method::GET, ["apis"]) => json(StatusCode::OK, &api_groups()),
        (&Method::GET, ["api", "v1"]) => json(StatusCode::OK, &core_resources()),
        (&Method::GET, ["apis", group, version]) => match group_resources(group, version) {
            Some(v) => json(StatusCode::OK, &v),
            None => not_found_route(),
        },
        (&Method::GET, ["api", "v1", "pods"]) => pods(ctx, &r, None).await,
        (&Method::GET, ["api", "v1", "namespaces", ns, "pods"]) => pods(ctx, &r, Some(ns)).await,
        (&Method::GET, ["api", "v1", "namespaces", ns, "pods", name]) => {
            match ctx.cluster.pod(ns, name) {
                Some(p) => json(StatusCode::OK, &to_json(&p)),
                None => pod_not_found(name),
            }
        }
        (&Method::GET, ["api", "v1", "namespaces", ns, "pods", name, "log"]) => {
            logs::serve(ctx, &r, ns, name)
        }
        (&Method::DELETE, ["api", "v1", "namespaces", ns, "pods", name]) => {
            objects::delete_pod(ctx, &r, ns, name)
        }
        (_, ["api", "v1", "namespaces", ns, plural]) => objects::handle(ctx, &r, ns, plural, None),
        (_, ["api", "v1", "namespaces", ns, plural, name]) => {
            objects::handle(ctx, &r, ns, plural, Some(name))
        }
        (_, ["apis", _group, _version, "namespaces", ns, plural]) => {
            objects::handle(ctx, &r, ns, plural, None)
        }
        (_, ["apis", _group, _version, "namespaces", ns, plural, name]) => {
            objects::handle(ctx, &r, ns, plural, Some(name))
        }
        _ => not_found_route(),
    }
}

async fn pods(ctx: &Ctx, r: &Req<'_>, ns: Option<&str>) -> Response<Body> {
    let selector = match Selector::parse(r.query.get("labelSelector").unwrap_or("")) {
        Ok(s) => s,
        Err(e) => {
            return status(
                400,
                "BadRequest",
                &format!("unable to parse requirement: {e}"),
                None,
            );
        }
    };
    if r.query.flag("watch") {
        return watch::serve(ctx, r, ns.map(str::to_owned), selector);
    }
    if let Some(Fault::ListStatus(code)) = ctx
        .cluster
        .take_fault(|f| matches!(f, Fault::ListStatus(_)))
    {
        return status(code, "InternalError", "simulated failure", None);
    }
    let (items, rv) = {
        let st = ctx.cluster.lock();
        let items: Vec<Pod> = st
            .pods
            .values()
            .filter(|p| ns.is_none_or(|n| p.namespace == n) && selector.matches(&p.labels))
            .map(|p| p.to_pod())
            .collect();
        (items, st.rv)
    };
    if r.accept.contains("as=Table") {
        return json(StatusCode::OK, &table(&items, rv));
    }
    json(
        StatusCode::OK,
        &serde_json::json!({
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": rv.to_string()},
            "items": items.iter().map(to_json).collect::<Vec<_>>(),
        }),
    )
}

fn not_found_route() -> Response<Body> {
    full(
        StatusCode::NOT_FOUND,
        "application/json",
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}"#,
    )
}

/// `kubectl get pods` asks for a server-side Table.
fn table(items: &[Pod], rv: u64) -> serde_json::Value {
    let now = Timestamp::now();
    let rows: Vec<serde_json::Value> = items
        .iter()
        .map(|p| {
            let statuses = p.status.as_ref().and_then(|s| s.container_statuses.clone()).unwrap_or_default();
            let ready = statuses.iter().filter(|c| c.ready).count();
            let restarts: i32 = statuses.iter().map(|c| c.restart_count).sum();
            let waiting = statuses
                .iter()
                .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
            let phase = p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
            let shown = if p.metadata.deletion_timestamp.is_some() {
                "Terminating".to_owned()
            } else {
                waiting.unwrap_or(phase)
            };
            let age = p
                .metadata
                .creation_timestamp
                .as_ref()
                .map(|t| human_age(now.duration_since(t.0).as_secs()))
                .unwrap_or_default();
            serde_json::json!({
                "cells": [p.metadata.name, format!("{ready}/{}", statuses.len()), shown, restarts.to_string(), age],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": p.metadata},
            })
        })
        .collect();
    serde_json::json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv.to_string()},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0},
            {"name": "Ready", "type": "string", "format": "", "description": "Ready containers", "priority": 0},
            {"name": "Status", "type": "string", "format": "", "description": "Status", "priority": 0},
            {"name": "Restarts", "type": "string", "format": "", "description": "Restarts", "priority": 0},
            {"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0}
        ],
        "rows": rows,
    })
}

fn human_age(secs: i64) -> String {
    match secs.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

fn api_groups() -> serde_json::Value {
    let group = |name: &str, version: &str| {
        serde_json::json!({
            "name": name,
            "versions": [{"groupVersion": format!("{name}/{version}"), "version": version}],
            "preferredVersion": {"groupVersion": format!("{name}/{version}"), "version": version}
        })
    };
    serde_json::json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [group("apps", "v1"), group("coordination.k8s.io", "v1"), group("events.k8s.io", "v1")],
    })
}

fn resource(
    name: &str,
    kind: &str,
    namespaced: bool,
    verbs: &[&str],
    short: &[&str],
) -> serde_json::Value {
    serde_json::json!({
        "name": name, "singularName": "", "namespaced": namespaced, "kind": kind,
        "verbs": verbs, "shortNames": short,
    })
}

fn core_resources() -> serde_json::Value {
    let rw = [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ];
    serde_json::json!({
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            resource("pods", "Pod", true, &rw, &["po"]),
            resource("pods/log", "Pod", true, &["get"], &[]),
            resource("secrets", "Secret", true, &rw, &[]),
            resource("configmaps", "ConfigMap", true, &rw, &["cm"]),
            resource("events", "Event", true, &rw, &["ev"]),
            resource("namespaces", "Namespace", false, &["get", "list", "watch"], &["ns"]),
        ],
    })
}

fn group_resources(group: &str, version: &str) -> Option<serde_json::Value> {
    let rw = [
        "create", "delete", "get", "list", "patch", "update", "watch",
    ];
    let resources = match (group, version) {
        ("apps", "v1") => vec![
            resource("deployments", "Deployment", true, &rw, &["deploy"]),
            resource("replicasets", "ReplicaSet", true, &rw, &["rs"]),
        ],
        ("coordination.k8s.io", "v1") => vec![resource("leases", "Lease", true, &rw, &[])],
        ("events.k8s.io", "v1") => vec![resource("events", "Event", true, &rw, &["ev"])],
        _ => return None,
    };
    Some(serde_json::json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": format!("{group}/{version}"),
        "resources": resources,
    }))
}

// === label selectors ===

use crate::selector::Selector;
