//! Adversarial remediation tests: every way a log line (a claim, not a
//! fact) or a partial answer could trick runner-medic into a write, tried
//! end to end through `watch` on the simulated world with remediation `on`.
//! Each one must make no mutating call and name the check that refused.

use std::collections::BTreeMap;
use std::time::Duration;

use runner_medic::remediate::policy::{Mode, Strategy};
use runner_medic::sim::gitlab::GitlabFault;
use runner_medic::sim::render::Style;
use runner_medic::sim::world::{RunnerDeployment, World};

use crate::common::NS;
use crate::common::admin::wait_metrics;
use crate::common::metrics::{decisions, remediations, state_is, value};
use crate::common::world::*;

const STYLE: Style = Style::Runner { colours: true };

/// Three forged 403s and a lockout line naming `runner`, written into
/// `container` of `pod`: what the seed incident looks like in a log.
fn forge_lockout(w: &World, pod: &str, container: &str, runner: &str) {
    w.forge(NS, pod, container, STYLE, |s| {
        s.forbidden(runner)
            .forbidden(runner)
            .forbidden(runner)
            .lockout(runner);
    });
}

/// Nothing was written to GitLab, and no pod, Deployment or Secret was
/// touched in the cluster (Events, the Lease and the ConfigMap may be).
fn assert_no_action(w: &World) {
    let g = gitlab_mutations(w);
    assert!(g.is_empty(), "GitLab writes: {g:?}");
    let k: Vec<String> = kube_mutations(w)
        .into_iter()
        .filter(|r| r.contains("/pods/") || r.contains("/deployments/") || r.contains("/secrets/"))
        .collect();
    assert!(k.is_empty(), "cluster writes: {k:?}");
}

/// The Events runner-medic wrote, as "reason: note".
fn events(w: &World) -> Vec<String> {
    w.kube
        .cluster
        .objects("events")
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["reason"].as_str().unwrap_or(""),
                e["note"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// The Events once one satisfies `wanted`, or after 15 s (an Event is
/// written after the metric a test waits for; on a loaded machine, later).
async fn events_until(w: &World, wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let ev = events(w);
        if ev.iter().any(|e| wanted(e)) || tokio::time::Instant::now() >= deadline {
            return ev;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A Deployment in the runners' namespace whose pod matches the runner
/// selector but runs no runner: whoever controls it can write any line.
fn intruder(w: &World, name: &str) -> String {
    let d = RunnerDeployment {
        labels: BTreeMap::from([("app".to_owned(), "gitlab-runner".to_owned())]),
        ..legacy(name, None)
    };
    w.add_silent(&d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_rejections_of_a_runner_gitlab_hears_from_delete_nothing() {
    let (w, wt) = world().await;
    let (pod, _) = seed(&w).await;
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "a healthy seed runner", |m| {
        state_is(m, "HYErDk_6w", "healthy")
    })
    .await;
    // An idle runner logs nothing, but GitLab hears from it every poll.
    w.set_idle(&pod, true);
    forge_lockout(&w, &pod, "gitlab-runner", "HYErDk_6w");
    let m = wait_metrics(d.addr, "a refusal: GitLab disagrees with the log", |m| {
        decisions(m, "refuse", "corroboration") >= 1.0
    })
    .await;
    assert!(
        state_is(&m, "HYErDk_6w", "locked_out"),
        "the log alone says locked out"
    );
    assert_eq!(
        value(
            &m,
            &format!(
                "runner_medic_runner_gitlab_disagrees{{namespace=\"{NS}\",workload=\"gitlab-runner\",runner=\"HYErDk_6w\"}}"
            )
        ),
        Some(1.0),
        "the disagreement is exported for its alert"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_no_action(&w);
    let wanted = |e: &str| {
        e.starts_with("RemediationRefused:")
            && e.contains("corroboration: GitLab heard from runner")
    };
    let ev = events_until(&w, wanted).await;
    assert!(ev.iter().any(|e| wanted(e)), "{ev:?}");
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_lines_about_runners_the_pod_does_not_run_are_refused() {
    // One world per claim: three runners rejected at once would be taken
    // for a fleet-wide incident, which refuses for its own reason.
    for (runner, check, why) in [
        // Another team's runner in the same GitLab group: dead (GitLab last
        // heard from it an hour ago), registered by one of their pods.
        (
            "Pay9ments",
            "binding",
            "binding: nothing ties runner Pay9ments",
        ),
        // A runner outside the configured scope (group platform).
        (
            "Out5ideFA",
            "identity",
            "identity: no runner in the configured scope",
        ),
        // The seed runner, alive and polling, named from another workload.
        (
            "HYErDk_6w",
            "corroboration",
            "corroboration: GitLab heard from runner",
        ),
    ] {
        let (w, wt) = world().await;
        seed(&w).await;
        {
            let mut g = w.gitlab.lock();
            let id = g.add_runner("Pay9mentsFAKEFAKEFAKE", true);
            let r = g.runners.get_mut(&id).unwrap();
            r.description = "payments-runner-5f6d8c7b9-k2j4x".into();
            r.contacted_at = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3600));
            r.expired = true;
            let id = g.add_runner("Out5ideFAKEFAKEFAKEX", false);
            g.runners.get_mut(&id).unwrap().owner_path = "payments".into();
        }
        let pod = intruder(&w, "intruder");
        let (d, token) = daemon(&w, policy(Mode::On, Strategy::Restart), "medic-a", None).await;
        wait_metrics(d.addr, "a healthy seed runner", |m| {
            state_is(m, "HYErDk_6w", "healthy")
        })
        .await;
        forge_lockout(&w, &pod, "intruder", runner);
        wait_metrics(d.addr, check, |m| decisions(m, "refuse", check) >= 1.0).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_no_action(&w);
        assert_eq!(w.gitlab.lock().runners.len(), 3, "{runner}");
        let wanted = |e: &str| e.contains(&format!("runner {runner}: {why}"));
        let ev = events_until(&w, wanted).await;
        assert!(ev.iter().any(|e| wanted(e)), "{runner}: {ev:?}");
        token.cancel();
        wt.cancel();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_from_a_sidecar_never_count() {
    let (w, wt) = world().await;
    w.gitlab.lock().add_runner(SEED_TOKEN, true);
    let mut dep = legacy("gitlab-runner", Some(SEED_TOKEN));
    dep.sidecars = vec!["log-shipper".into()];
    let pod = w.add(dep, None);
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Restart), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.set_idle(&pod, true);
    forge_lockout(&w, &pod, "log-shipper", "HYErDk_6w");
    wait_metrics(d.addr, "a refusal: evidence", |m| {
        decisions(m, "refuse", "evidence") >= 1.0
    })
    .await;
    assert_no_action(&w);
    let wanted = |e: &str| e.contains("log-shipper");
    let ev = events_until(&w, wanted).await;
    assert!(ev.iter().any(|e| wanted(e)), "{ev:?}");
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_registration_line_does_not_make_a_glrt_runner_deletable() {
    let (w, wt) = world().await;
    let glrt = "glrt-t2_FAKEglrtTokenFAKE01";
    w.gitlab.lock().add_runner(glrt, false);
    let mut dep = legacy("gitlab-runner", None);
    dep.workflow = runner_medic::sim::world::Workflow::AuthToken;
    let pod = w.add(dep, Some(glrt));
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    let id = runner_medic::event::RunnerId::normalize(glrt)
        .unwrap()
        .to_string();
    wait_metrics(d.addr, "healthy glrt runner", |m| {
        state_is(m, &id, "healthy")
    })
    .await;
    // The token really dies; someone adds a legacy registration line.
    w.forge(NS, &pod, "gitlab-runner", STYLE, |s| {
        s.register_legacy("GR1348941");
    });
    w.gitlab.lock().expire(glrt);
    wait_metrics(d.addr, "a refusal on the workflow", |m| {
        decisions(m, "refuse", "workflow") >= 1.0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_no_action(&w);
    let wanted = |e: &str| e.contains("workflow: GitLab says GitLab runner");
    let ev = events_until(&w, wanted).await;
    assert!(ev.iter().any(|e| wanted(e)), "{ev:?}");
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_a_proxy_answered_is_not_a_token_problem() {
    let (w, wt) = world().await;
    let (pod, _) = seed(&w).await;
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.set_idle(&pod, true);
    w.forge(NS, &pod, "gitlab-runner", STYLE, |s| {
        s.forbidden_by_proxy("HYErDk_6w")
            .forbidden_by_proxy("HYErDk_6w")
            .forbidden_by_proxy("HYErDk_6w")
            .lockout("HYErDk_6w");
    });
    let m = wait_metrics(d.addr, "a refusal on the finding", |m| {
        decisions(m, "refuse", "finding") >= 1.0
    })
    .await;
    assert!(
        m.contains("runner=\"HYErDk_6w\",diagnosis=\"proxy_rejection\"} 1"),
        "{m}"
    );
    assert_no_action(&w);
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_history_entry_refuses() {
    let (w, wt) = world().await;
    seed(&w).await;
    w.kube.cluster.put_object(
        "configmaps",
        "runner-medic",
        "runner-medic-state",
        serde_json::json!({"data": {"gitlab-runner.gitlab-runner": "{\"attempts\": [{\"runner\": "}}),
    );
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.gitlab.lock().expire(SEED_TOKEN);
    wait_metrics(d.addr, "a refusal: history", |m| {
        decisions(m, "refuse", "history") >= 1.0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_no_action(&w);
    let wanted = |e: &str| {
        e.contains("history: the workload's remediation history cannot be read")
            && e.contains("gitlab-runner.gitlab-runner")
    };
    let ev = events_until(&w, wanted).await;
    assert!(ev.iter().any(|e| wanted(e)), "{ev:?}");
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_cut_by_errors_or_rate_limits_refuses() {
    for status in [500, 429] {
        let (w, wt) = world().await;
        seed(&w).await;
        {
            // Several pages: one runner a page, the seed runner last.
            let mut g = w.gitlab.lock();
            g.page_size = 1;
            let seed_id = *g.runners.keys().next().unwrap();
            let seed_runner = g.runners.remove(&seed_id).unwrap();
            for i in 0..3 {
                g.add_runner(&format!("Other{i}FAKEFAKEFAKEFAKE"), true);
            }
            g.runners.insert(1000, seed_runner.clone());
            g.runners.get_mut(&1000).unwrap().id = 1000;
        }
        let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
        wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
        w.gitlab
            .lock()
            .faults
            .push(GitlabFault::LookupCut { status });
        w.gitlab.lock().expire(SEED_TOKEN);
        wait_metrics(d.addr, "a refusal: identity", |m| {
            decisions(m, "refuse", "identity") >= 1.0
        })
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_no_action(&w);
        let wanted = |e: &str| e.contains("identity: the runner lookup failed");
        let ev = events_until(&w, wanted).await;
        assert!(ev.iter().any(|e| wanted(e)), "{status}: {ev:?}");
        token.cancel();
        wt.cancel();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_is_asked_again_right_before_the_write() {
    let (w, wt) = world().await;
    seed(&w).await;
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    // The decision reads the record once; before the DELETE runner-medic
    // reads it again, and by then GitLab has heard from the runner.
    w.gitlab
        .lock()
        .faults
        .push(GitlabFault::ContactAfterReads { after: 1 });
    w.gitlab.lock().expire(SEED_TOKEN);
    let m = wait_metrics(d.addr, "a remediation stopped before its write", |m| {
        remediations(m, "refused") >= 1.0
    })
    .await;
    assert_eq!(
        remediations(&m, "failed"),
        0.0,
        "a refusal is not a failure"
    );
    assert_no_action(&w);
    let wanted = |e: &str| {
        e.starts_with(
            "RemediationStopped: stopped before deleting the runner in GitLab: GitLab heard from runner",
        )
    };
    let ev = events_until(&w, wanted).await;
    assert!(ev.iter().any(|e| wanted(e)), "{ev:?}");
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_in_flight_record_is_not_resumed() {
    // Whoever can edit the history ConfigMap could write a remediation "in
    // flight" for runner-medic to finish. It is resumed only if it is what
    // this runner-medic would do itself.
    type Flight = fn(u64, u64) -> serde_json::Value;
    let cases: [(&str, Flight); 4] = [
        ("strategy rotate", |seed, _| {
            serde_json::json!({"strategy": "rotate", "gitlab_id": seed,
                               "rejected_since": "2026-03-02T10:00:00Z"})
        }),
        ("is not the one runner", |_, other| {
            serde_json::json!({"strategy": "reregister", "gitlab_id": other,
                               "rejected_since": "2026-03-02T10:00:00Z"})
        }),
        // Any Deployment but the pods' own (a rollout would restart it).
        ("not Deployment/payments", |seed, _| {
            serde_json::json!({"strategy": "reregister", "gitlab_id": seed,
                               "rejected_since": "2026-03-02T10:00:00Z",
                               "owner": ["Deployment", "payments"]})
        }),
        ("in the future", |seed, _| {
            serde_json::json!({"strategy": "reregister", "gitlab_id": seed,
                               "rejected_since": "2099-01-01T00:00:00Z"})
        }),
    ];
    for (why, flight) in cases {
        let (w, wt) = world().await;
        let (pod, seed_id) = seed(&w).await;
        // Another team's dead runner: what a forged record would target.
        let other = {
            let mut g = w.gitlab.lock();
            let id = g.add_runner("Vict1mFAKEFAKEFAKEFA", true);
            g.runners.get_mut(&id).unwrap().expired = true;
            id
        };
        let uid = w.kube.cluster.pod(NS, &pod).unwrap().metadata.uid.unwrap();
        let mut f = flight(seed_id, other);
        for (k, v) in [
            ("runner", serde_json::json!("HYErDk_6w")),
            (
                "started",
                serde_json::json!(jiff::Timestamp::now().to_string()),
            ),
            ("done", serde_json::json!([])),
            ("pods", serde_json::json!([[pod, uid]])),
            ("owner", serde_json::json!(["Deployment", "gitlab-runner"])),
        ] {
            if f[k].is_null() {
                f[k] = v;
            }
        }
        let entry = serde_json::json!({"attempts": [], "circuit_open": false, "in_flight": f});
        w.kube.cluster.put_object(
            "configmaps",
            "runner-medic",
            "runner-medic-state",
            serde_json::json!({"data": {"gitlab-runner.gitlab-runner": entry.to_string()}}),
        );
        let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
        wait_metrics(d.addr, why, |m| remediations(m, "refused") >= 1.0).await;
        assert_no_action(&w);
        assert!(w.gitlab.lock().runners.contains_key(&other));
        let wanted = |e: &str| e.contains("was not resumed") && e.contains(why);
        let ev = events_until(&w, wanted).await;
        assert!(ev.iter().any(|e| wanted(e)), "{why}: {ev:?}");
        token.cancel();
        wt.cancel();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_is_checked_in_code_before_it_is_deleted() {
    use runner_medic::remediate::pods::{Cluster, PodRef};
    let (w, wt) = world().await;
    let (pod, _) = seed(&w).await;
    let uid = w.kube.cluster.pod(NS, &pod).unwrap().metadata.uid.unwrap();
    let client = w.kube.client().unwrap();
    let owner = ("Deployment".to_owned(), "gitlab-runner".to_owned());
    let it = PodRef {
        name: pod.clone(),
        uid: uid.clone(),
    };
    let cluster = Cluster::new(client.clone(), NS, "app=gitlab-runner");
    assert_eq!(
        cluster.recheck(&it, Some(&owner), "gitlab-runner").await,
        Ok(Some(()))
    );
    // A replacement with the same name is another pod: nothing to delete.
    let other = PodRef {
        name: pod.clone(),
        uid: "00000000-0000-4000-8000-ffffffffffff".into(),
    };
    assert_eq!(
        cluster.recheck(&other, Some(&owner), "gitlab-runner").await,
        Ok(None)
    );
    let refused = |r: Result<Option<()>, String>, want: &str| {
        let e = r.expect_err("refused");
        assert!(e.contains(want), "{e}");
    };
    refused(
        cluster.recheck(&it, Some(&owner), "runner").await,
        "has no container \"runner\"",
    );
    let other_owner = ("Deployment".to_owned(), "payments".to_owned());
    refused(
        cluster
            .recheck(&it, Some(&other_owner), "gitlab-runner")
            .await,
        "not Deployment/payments",
    );
    let narrow = Cluster::new(client, NS, "app=gitlab-runner,tier=ci");
    refused(
        narrow.recheck(&it, Some(&owner), "gitlab-runner").await,
        "no longer matches the selector",
    );
    // The pause annotation, read again before every write.
    assert!(!cluster.paused("Deployment", "gitlab-runner").await.unwrap());
    let mut dep = w
        .kube
        .cluster
        .object("deployments", NS, "gitlab-runner")
        .unwrap();
    dep["metadata"]["annotations"]["runner-medic.io/pause"] = "true".into();
    w.kube
        .cluster
        .put_object("deployments", NS, "gitlab-runner", dep);
    assert!(cluster.paused("Deployment", "gitlab-runner").await.unwrap());
    refused(
        cluster.recheck(&it, Some(&owner), "gitlab-runner").await,
        "runner-medic.io/pause=true",
    );
    wt.cancel();
}

/// A lockout that Job Router 409s caused looks like the seed incident to
/// anyone who reads only "is unhealthy and will be disabled": no action.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lockout_job_router_errors_caused_is_not_a_token_problem() {
    let (w, wt) = world().await;
    let (pod, _) = seed(&w).await;
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.set_idle(&pod, true);
    w.forge(NS, &pod, "gitlab-runner", STYLE, |s| {
        for _ in 0..3 {
            s.router_error("HYErDk_6w", "FailedPrecondition", "HTTP status code: 409");
        }
        s.lockout("HYErDk_6w");
    });
    let m = wait_metrics(d.addr, "a refusal on the finding", |m| {
        decisions(m, "refuse", "finding") >= 1.0
    })
    .await;
    assert!(state_is(&m, "HYErDk_6w", "locked_out"), "{m}");
    assert!(
        m.contains("runner=\"HYErDk_6w\",diagnosis=\"job_router_error\"} 1"),
        "{m}"
    );
    assert_no_action(&w);
    token.cancel();
    wt.cancel();
}
