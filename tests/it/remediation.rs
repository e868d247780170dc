//! Remediation end to end against the simulated world (Kubernetes API +
//! GitLab reacting to each other), over real sockets: the seed runbook
//! carried out and verified, and every unsafe case refused.

mod attacks;

use std::time::Duration;

use runner_medic::config::remediation::WebhookSettings;
use runner_medic::daemon::Daemon;
use runner_medic::remediate::RemediationConfig;
use runner_medic::remediate::gitlab::Secret;
use runner_medic::remediate::policy::{Mode, Strategy};
use runner_medic::sim::gitlab::GitlabFault;
use runner_medic::sim::world::World;
use runner_medic::sim::world::{SIM_PAT, Workflow};
use tokio_util::sync::CancellationToken;

use crate::common::NS;
use crate::common::admin::{WAIT, get, post_alerts, scrape, wait_get, wait_metrics};
use crate::common::metrics::{decisions, remediations, state_is, sum, value};
use crate::common::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_runbook_is_carried_out_once_and_verified() {
    let (w, wt) = world().await;
    let (old_pod, gitlab_id) = seed(&w).await;
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "a healthy seed runner", |m| {
        state_is(m, "HYErDk_6w", "healthy")
    })
    .await;
    // The token stops working (expired): 403s, lockout.
    w.gitlab.lock().expire(SEED_TOKEN);
    let m = wait_metrics(d.addr, "a verified remediation", |m| {
        remediations(m, "succeeded") >= 1.0
    })
    .await;
    assert_eq!(remediations(&m, "failed"), 0.0);
    assert_eq!(value(&m, "runner_medic_leader"), Some(1.0));
    // GitLab: the stale runner deleted exactly once; a new runner registered.
    let deletes: Vec<String> = gitlab_mutations(&w)
        .into_iter()
        .filter(|r| r.starts_with("DELETE"))
        .collect();
    assert_eq!(deletes, vec![format!("DELETE /api/v4/runners/{gitlab_id}")]);
    assert!(!w.gitlab.lock().runners.contains_key(&gitlab_id));
    assert!(
        w.gitlab
            .requests()
            .iter()
            .all(|r| !r.uri.contains("/runners/verify")),
        "never POST /runners/verify"
    );
    // Kubernetes: the old pod deleted with a UID precondition, replaced.
    assert!(w.kube.cluster.pod(NS, &old_pod).is_none());
    let pods = w.kube.cluster.pod_names(NS);
    assert_eq!(pods.len(), 1, "{pods:?}");
    // The new runner polls; the history records the success; Events were written.
    let new_id: Vec<String> = w
        .gitlab
        .lock()
        .runners
        .values()
        .map(|r| r.log_id())
        .collect();
    assert!(
        state_is(&m, &new_id[0], "healthy"),
        "new runner {new_id:?} healthy:\n{m}"
    );
    // The stale runner is marked replaced (its alert resolves), the new one not.
    let replaced = |runner: &str| {
        value(
            &m,
            &format!(
                "runner_medic_runner_replaced{{namespace=\"{NS}\",workload=\"gitlab-runner\",runner=\"{runner}\"}}"
            ),
        )
    };
    assert_eq!(replaced("HYErDk_6w"), Some(1.0), "{m}");
    assert_eq!(replaced(&new_id[0]), Some(0.0), "{m}");
    let cm = w
        .kube
        .cluster
        .object("configmaps", "runner-medic", "runner-medic-state")
        .expect("history ConfigMap");
    let h: serde_json::Value =
        serde_json::from_str(cm["data"]["gitlab-runner.gitlab-runner"].as_str().unwrap()).unwrap();
    assert_eq!(h["attempts"][0]["outcome"], "succeeded", "{h}");
    assert!(h["in_flight"].is_null());
    let expected = [
        "RemediationStarted",
        "RunnerDeleted",
        "PodsRestarted",
        "RemediationSucceeded",
    ];
    // Events are written after the metrics this test waited for.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let reasons = loop {
        let reasons: Vec<String> = w
            .kube
            .cluster
            .objects("events")
            .iter()
            .map(|e| e["reason"].as_str().unwrap_or("").to_owned())
            .collect();
        if expected.iter().all(|r| reasons.iter().any(|x| x == r))
            || tokio::time::Instant::now() >= deadline
        {
            break reasons;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for r in expected {
        assert!(
            reasons.iter().any(|x| x == r),
            "event {r} missing: {reasons:?}"
        );
    }
    // No token anywhere runner-medic writes: Events, history, metrics,
    // status page (the new runner's token is known only to GitLab and the pod).
    let new_token = w
        .gitlab
        .lock()
        .runners
        .values()
        .next()
        .unwrap()
        .token
        .clone();
    let status = get(d.addr, "/").await.1;
    let written = format!(
        "{}\n{}\n{m}\n{status}",
        serde_json::to_string(&w.kube.cluster.objects("events")).unwrap(),
        serde_json::to_string(&cm).unwrap()
    );
    for secret in [SEED_TOKEN, SIM_PAT, REG_TOKEN, new_token.as_str()] {
        // Anything beyond the 9-character short id is a leak.
        let probe: String = secret.chars().take(10).collect();
        assert!(!written.contains(&probe), "{probe}… leaked:\n{written}");
    }
    // Once: a later evaluation does nothing more.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        gitlab_mutations(&w)
            .iter()
            .filter(|r| r.starts_with("DELETE"))
            .count(),
        1
    );
    token.cancel();
    d.done.await.unwrap();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_decides_but_makes_no_mutating_call() {
    let (w, wt) = world().await;
    seed(&w).await;
    let before = kube_mutations(&w).len();
    let (d, token) = daemon(
        &w,
        policy(Mode::DryRun, Strategy::Reregister),
        "medic-a",
        None,
    )
    .await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.gitlab.lock().expire(SEED_TOKEN);
    wait_metrics(d.addr, "a dry-run decision", |m| {
        decisions(m, "dry_run", "none") >= 1.0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        gitlab_mutations(&w).is_empty(),
        "{:?}",
        gitlab_mutations(&w)
    );
    assert_eq!(kube_mutations(&w).len(), before, "{:?}", kube_mutations(&w));
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_glrt_runner_is_never_deleted() {
    let (w, wt) = world().await;
    let glrt = "glrt-t2_FAKEglrtTokenFAKE01";
    w.gitlab.lock().add_runner(glrt, false);
    let mut dep = legacy("gitlab-runner", None);
    dep.workflow = Workflow::AuthToken;
    w.add(dep, Some(glrt));
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    let id = runner_medic::event::RunnerId::normalize(glrt)
        .unwrap()
        .to_string();
    wait_metrics(d.addr, "healthy glrt runner", |m| {
        state_is(m, &id, "healthy")
    })
    .await;
    w.gitlab.lock().expire(glrt);
    wait_metrics(d.addr, "a refusal on the workflow", |m| {
        decisions(m, "refuse", "workflow") >= 1.0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        gitlab_mutations(&w).is_empty(),
        "{:?}",
        gitlab_mutations(&w)
    );
    assert!(
        kube_mutations(&w).iter().all(|r| !r.contains("/pods/")),
        "{:?}",
        kube_mutations(&w)
    );
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gitlab_outage_and_a_fleet_wide_403_are_refused() {
    // A lockout of a minute: the refusal must come while the runner is
    // locked out, not after its recheck meets the outage's 503s (which
    // make it gitlab_unavailable, no candidate at all) on a loaded machine.
    let (w, wt) = world_paced(runner_medic::sim::world::Pace {
        lockout: Duration::from_secs(60),
        ..pace()
    })
    .await;
    seed(&w).await;
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.gitlab.lock().expire(SEED_TOKEN);
    wait_metrics(d.addr, "locked out", |m| {
        state_is(m, "HYErDk_6w", "locked_out")
    })
    .await;
    w.gitlab.lock().faults.push(GitlabFault::Down);
    wait_metrics(d.addr, "a refusal: GitLab down", |m| {
        decisions(m, "refuse", "gitlab") >= 1.0
    })
    .await;
    assert!(gitlab_mutations(&w).is_empty());
    assert!(kube_mutations(&w).iter().all(|r| !r.contains("/pods/")));
    token.cancel();
    wt.cancel();

    // Fleet: four working runners rejected at once.
    let (w, wt) = world().await;
    let tokens: Vec<String> = (0..4).map(|i| format!("Fleet{i}xAbFAKEFAKEFAKE")).collect();
    for (i, t) in tokens.iter().enumerate() {
        w.gitlab.lock().add_runner(t, true);
        w.add(legacy(&format!("runner-{i}"), Some(t)), None);
    }
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    wait_metrics(d.addr, "healthy fleet", |m| {
        (0..4).all(|i| state_is(m, &format!("Fleet{i}xAb"), "healthy"))
    })
    .await;
    {
        let mut g = w.gitlab.lock();
        for t in &tokens {
            g.expire(t);
        }
    }
    wait_metrics(d.addr, "a refusal: fleet-wide", |m| {
        decisions(m, "refuse", "fleet") >= 1.0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        gitlab_mutations(&w).is_empty(),
        "{:?}",
        gitlab_mutations(&w)
    );
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_only_one_acts() {
    let (w, wt) = world().await;
    seed(&w).await;
    let (a, ta) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    let (b, tb) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-b", None).await;
    wait_metrics(a.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.gitlab.lock().expire(SEED_TOKEN);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let total = remediations(&scrape(a.addr).await, "succeeded")
            + remediations(&scrape(b.addr).await, "succeeded");
        if total >= 1.0 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (ma, mb) = (scrape(a.addr).await, scrape(b.addr).await);
    assert_eq!(
        remediations(&ma, "succeeded") + remediations(&mb, "succeeded"),
        1.0
    );
    assert_eq!(
        value(&ma, "runner_medic_leader").unwrap() + value(&mb, "runner_medic_leader").unwrap(),
        1.0
    );
    assert_eq!(
        gitlab_mutations(&w)
            .iter()
            .filter(|r| r.starts_with("DELETE"))
            .count(),
        1
    );
    let lease = w
        .kube
        .cluster
        .object("leases", "runner-medic", "runner-medic")
        .unwrap();
    assert!(["medic-a", "medic-b"].contains(&lease["spec"]["holderIdentity"].as_str().unwrap()));
    ta.cancel();
    tb.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_verifications_open_the_circuit_and_cooldown_holds_retries() {
    let (w, wt) = world().await;
    seed(&w).await;
    // Registration tokens switched off: the replacement pod cannot register.
    w.gitlab.lock().registration_enabled = false;
    let mut p = policy(Mode::On, Strategy::Restart);
    p.verify_timeout = Duration::from_secs(5);
    p.cooldown = Duration::from_secs(0);
    p.max_failures = 1;
    let (d, token) = daemon(&w, p, "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.gitlab.lock().expire(SEED_TOKEN);
    // While it runs, the failed series exists at 0: increase() will see the
    // failure (RunnerMedicRemediationFailed).
    let failed_series = "runner_medic_remediations_total{namespace=\"gitlab-runner\",workload=\"gitlab-runner\",strategy=\"restart\",result=\"failed\"}";
    let m = wait_metrics(d.addr, "a remediation in progress", |m| {
        value(m, "runner_medic_remediation_in_progress") == Some(1.0)
    })
    .await;
    assert_eq!(value(&m, failed_series), Some(0.0), "{m}");
    let m = wait_metrics(d.addr, "a failed remediation", |m| {
        remediations(m, "failed") >= 1.0
    })
    .await;
    assert_eq!(value(&m, failed_series), Some(1.0), "{m}");
    assert_eq!(
        value(
            &m,
            "runner_medic_remediation_circuit_open{namespace=\"gitlab-runner\",workload=\"gitlab-runner\"}"
        ),
        Some(1.0),
        "{m}"
    );
    let cm = w
        .kube
        .cluster
        .object("configmaps", "runner-medic", "runner-medic-state")
        .unwrap();
    let h: serde_json::Value =
        serde_json::from_str(cm["data"]["gitlab-runner.gitlab-runner"].as_str().unwrap()).unwrap();
    assert_eq!(h["circuit_open"], true);
    assert_eq!(h["attempts"][0]["outcome"], "failed");
    wait_metrics(d.addr, "a refusal: circuit open", |m| {
        decisions(m, "refuse", "circuit") >= 1.0
    })
    .await;
    assert_eq!(
        remediations(&scrape(d.addr).await, "failed"),
        1.0,
        "no second attempt"
    );
    // A person resets the circuit as the README says (removing the key):
    // it takes effect at the next evaluation, without a restart.
    let all_decisions = |m: &str| sum(m, "runner_medic_remediation_decisions_total", &[]);
    let before = all_decisions(&scrape(d.addr).await);
    w.kube.cluster.put_object(
        "configmaps",
        "runner-medic",
        "runner-medic-state",
        serde_json::json!({"data": {}}),
    );
    let m = wait_metrics(d.addr, "the circuit closed by the edit", |m| {
        value(
            m,
            "runner_medic_remediation_circuit_open{namespace=\"gitlab-runner\",workload=\"gitlab-runner\"}",
        ) == Some(0.0)
            && all_decisions(m) > before
    })
    .await;
    // The next decision is no longer the circuit's.
    assert_eq!(decisions(&m, "refuse", "circuit"), 1.0, "{m}");
    token.cancel();
    d.done.await.unwrap();
    wt.cancel();

    // Same failure, circuit tolerant, long cooldown: the retry waits.
    let (w, wt) = world().await;
    seed(&w).await;
    w.gitlab.lock().registration_enabled = false;
    let mut p = policy(Mode::On, Strategy::Restart);
    p.verify_timeout = Duration::from_secs(5);
    p.cooldown = Duration::from_secs(3600);
    p.max_failures = 5;
    let (d, token) = daemon(&w, p, "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.gitlab.lock().expire(SEED_TOKEN);
    wait_metrics(d.addr, "a failed remediation", |m| {
        remediations(m, "failed") >= 1.0
    })
    .await;
    // The stale runner is still rejected (nothing replaced it): the next
    // evaluation waits for the cooldown instead of trying again.
    let m = wait_metrics(d.addr, "a refusal: cooldown", |m| {
        decisions(m, "refuse", "cooldown") >= 1.0
    })
    .await;
    assert_eq!(remediations(&m, "failed"), 1.0);
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_neither_repeats_nor_forgets_the_remediation() {
    let (w, wt) = world().await;
    let (pod, gitlab_id) = seed(&w).await;
    let uid = w.kube.cluster.pod(NS, &pod).unwrap().metadata.uid.unwrap();
    // A previous runner-medic deleted the runner in GitLab, then died
    // before restarting the pods.
    w.gitlab.lock().runners.remove(&gitlab_id);
    let started = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(20))
        .unwrap();
    let flight = serde_json::json!({
        "attempts": [], "circuit_open": false,
        "in_flight": {"runner": "HYErDk_6w", "strategy": "reregister", "started": started.to_string(),
                      "done": ["gitlab_deleted"], "pods": [[pod, uid]], "gitlab_id": gitlab_id,
                      "owner": ["Deployment", "gitlab-runner"]}
    });
    w.kube.cluster.put_object(
        "configmaps",
        "runner-medic",
        "runner-medic-state",
        serde_json::json!({"data": {"gitlab-runner.gitlab-runner": flight.to_string()}}),
    );
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Reregister), "medic-a", None).await;
    let m = wait_metrics(d.addr, "the resumed remediation verified", |m| {
        remediations(m, "succeeded") >= 1.0
    })
    .await;
    assert!(
        gitlab_mutations(&w)
            .iter()
            .all(|r| !r.starts_with("DELETE")),
        "the GitLab delete is not repeated"
    );
    assert!(
        w.kube.cluster.pod(NS, &pod).is_none(),
        "the pod restart was done"
    );
    assert_eq!(remediations(&m, "failed"), 0.0);
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alertmanager_webhook_authenticates_validates_and_routes() {
    let (w, wt) = world().await;
    seed(&w).await;
    let (d, token) = daemon(
        &w,
        policy(Mode::DryRun, Strategy::Restart),
        "medic-a",
        Some("hook-secret-123"),
    )
    .await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    // The webhook maps alerts with the status snapshot (published every 2 s).
    wait_get(d.addr, "/", "the runner on the status page", |_, page| {
        page.contains("HYErDk_6w")
    })
    .await;
    let post = |auth: Option<&'static str>, body: String| post_alerts(d.addr, auth, body);
    let alert = |runner: &str| {
        serde_json::json!({"version": "4", "status": "firing", "receiver": "runner-medic", "groupKey": "{}", "alerts": [
            {"status": "firing", "labels": {"alertname": "GitLabRunnerTokenRejected", "namespace": NS, "workload": "gitlab-runner", "runner": runner},
             "annotations": {}, "startsAt": "2026-03-02T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "x"}
        ]})
        .to_string()
    };
    assert_eq!(post(None, alert("HYErDk_6w")).await.0, 401);
    assert_eq!(post(Some("wrong"), alert("HYErDk_6w")).await.0, 401);
    let (code, body) = post(Some("hook-secret-123"), "{not json".into()).await;
    assert_eq!(code, 400);
    assert!(body.contains("\"error\""), "{body}");
    assert_eq!(
        post(
            Some("hook-secret-123"),
            serde_json::json!({"version": "3", "alerts": []}).to_string()
        )
        .await
        .0,
        400
    );
    let (code, body) = post(Some("hook-secret-123"), alert("Nobody999")).await;
    assert_eq!(code, 404, "{body}");
    let big = format!(
        "{{\"version\":\"4\",\"alerts\":[],\"pad\":\"{}\"}}",
        "x".repeat(300 * 1024)
    );
    assert_eq!(post(Some("hook-secret-123"), big).await.0, 413);
    let (code, body) = post(Some("hook-secret-123"), alert("HYErDk_6w")).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"accepted\":1"), "{body}");
    let resolved = alert("HYErDk_6w").replace("\"firing\"", "\"resolved\"");
    let (code, body) = post(Some("hook-secret-123"), resolved).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"accepted\":0"), "{body}");
    let m = scrape(d.addr).await;
    for (result, n) in [
        ("resolved", 1.0),
        ("busy", 0.0),
        ("unauthorized", 2.0),
        ("malformed", 2.0),
        ("unknown_runner", 1.0),
        ("other_cluster", 0.0),
        ("too_large", 1.0),
        ("accepted", 1.0),
    ] {
        assert_eq!(
            value(
                &m,
                &format!("runner_medic_webhook_requests_total{{result=\"{result}\"}}")
            ),
            Some(n),
            "{result}"
        );
    }
    // The alert reached the controller, which still wants local agreement:
    // the runner is healthy, so it refuses on its state.
    wait_metrics(d.addr, "the alert's decision", |m| {
        decisions(m, "refuse", "state") >= 1.0
    })
    .await;
    token.cancel();
    wt.cancel();
}

/// One firing alert of the token-rejected kind for `runner`, `copies` times
/// in one webhook call (Alertmanager repeats and groups them).
fn alerts_body(runner: &str, copies: usize) -> String {
    clusters_body(runner, &vec![None; copies])
}

/// One firing token-rejected alert for `runner` per entry of `clusters`,
/// labelled with that cluster (or with none).
fn clusters_body(runner: &str, clusters: &[Option<&str>]) -> String {
    let alerts: Vec<serde_json::Value> = clusters
        .iter()
        .map(|cluster| {
            let mut labels = serde_json::json!({"alertname": "RunnerAuthenticationTokenRejected", "namespace": NS, "workload": "gitlab-runner", "runner": runner});
            if let Some(c) = cluster {
                labels["cluster"] = (*c).into();
            }
            serde_json::json!({"status": "firing", "labels": labels,
                "annotations": {}, "startsAt": "2026-03-02T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "x"})
        })
        .collect();
    serde_json::json!({"version": "4", "status": "firing", "receiver": "runner-medic", "groupKey": "{}",
        "alerts": alerts})
    .to_string()
}

/// A dry-run daemon with the webhook, and the seed runner stuck (locked
/// out, on the status page the webhook maps alerts with).
async fn stuck_seed(
    adjust: impl FnOnce(&mut RemediationConfig),
) -> (World, CancellationToken, Daemon, CancellationToken) {
    stuck_seed_in(None, adjust).await
}

/// [`stuck_seed`] with the webhook answering for `cluster` only.
async fn stuck_seed_in(
    cluster: Option<&str>,
    adjust: impl FnOnce(&mut RemediationConfig),
) -> (World, CancellationToken, Daemon, CancellationToken) {
    let (w, wt) = world().await;
    seed(&w).await;
    let webhook = WebhookSettings {
        token: Secret::new("hook-secret-123"),
        cluster: cluster.map(str::to_owned),
    };
    let (d, token) = daemon_webhook(
        &w,
        policy(Mode::DryRun, Strategy::Reregister),
        "medic-a",
        Some(webhook),
        adjust,
    )
    .await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, "HYErDk_6w", "healthy")).await;
    w.gitlab.lock().expire(SEED_TOKEN);
    wait_metrics(d.addr, "locked out", |m| {
        state_is(m, "HYErDk_6w", "locked_out")
    })
    .await;
    wait_get(d.addr, "/", "locked out on the status page", |_, page| {
        page.contains("locked_out")
    })
    .await;
    (w, wt, d, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_is_quiet_when_idle_and_a_burst_of_alerts_is_one_evaluation() {
    // No cache (recheck 0) and no ticks after the first: every GitLab call
    // comes from the alerts.
    let (w, wt, d, token) = stuck_seed(|r| {
        r.interval = Duration::from_secs(3600);
        r.recheck = Duration::ZERO;
    })
    .await;
    let before = w.gitlab.requests().len();
    let (code, body) = post_alerts(
        d.addr,
        Some("hook-secret-123"),
        alerts_body("HYErDk_6w", 64),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    wait_metrics(d.addr, "the alert's decision", |m| {
        decisions(m, "dry_run", "none") >= 1.0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls: Vec<String> = w.gitlab.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri.split('?').next().unwrap_or("")))
        .collect();
    // One evaluation: health, the lookup (one page), the record, the managers.
    assert_eq!(
        calls,
        vec![
            "GET /api/v4/version",
            "POST /api/graphql",
            "GET /api/v4/runners/1",
            "GET /api/v4/runners/1/managers"
        ],
        "64 alerts in one call are one evaluation"
    );
    token.cancel();
    wt.cancel();

    // With the default recheck, answers are reused: repeated ticks and
    // alerts about a candidate that does not act ask GitLab nothing more.
    let (w, wt, d, token) = stuck_seed(|_| {}).await;
    wait_metrics(d.addr, "a dry-run decision", |m| {
        decisions(m, "dry_run", "none") >= 1.0
    })
    .await;
    let before = w.gitlab.requests().len();
    for _ in 0..3 {
        let (code, body) = post_alerts(
            d.addr,
            Some("hook-secret-123"),
            alerts_body("HYErDk_6w", 64),
        )
        .await;
        assert_eq!(code, 200, "{body}");
    }
    // Ten evaluation intervals (300 ms in the tests).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after: Vec<String> = w.gitlab.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect();
    assert!(after.is_empty(), "{after:?}");
    token.cancel();
    wt.cancel();
}

/// One Alertmanager for two clusters: the same namespace, workload and
/// runner id exist in both. An alert of the other cluster (or of none) must
/// not start an evaluation here; it is refused with 421 and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_refuses_alerts_of_another_cluster() {
    // No ticks after the first: only an accepted alert asks GitLab anything.
    let (w, wt, d, token) = stuck_seed_in(Some("east"), |r| {
        r.interval = Duration::from_secs(3600);
        r.recheck = Duration::ZERO;
    })
    .await;
    let before = w.gitlab.requests().len();
    for clusters in [vec![Some("west")], vec![None], vec![Some("west"), None]] {
        let (code, body) = post_alerts(
            d.addr,
            Some("hook-secret-123"),
            clusters_body("HYErDk_6w", &clusters),
        )
        .await;
        assert_eq!(code, 421, "{clusters:?}: {body}");
        assert!(
            body.contains("another cluster than \\\"east\\\"")
                && body.contains(&format!("\"other_cluster\":{}", clusters.len())),
            "{body}"
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let asked: Vec<String> = w.gitlab.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect();
    assert!(
        asked.is_empty(),
        "another cluster's alert was evaluated: {asked:?}"
    );
    assert_eq!(decisions(&scrape(d.addr).await, "dry_run", "none"), 0.0);
    // This cluster's alert beside another's: the one for east is taken.
    let (code, body) = post_alerts(
        d.addr,
        Some("hook-secret-123"),
        clusters_body("HYErDk_6w", &[Some("west"), Some("east")]),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("\"accepted\":1") && body.contains("\"other_cluster\":1"),
        "{body}"
    );
    wait_metrics(d.addr, "the east alert's decision", |m| {
        decisions(m, "dry_run", "none") >= 1.0
    })
    .await;
    let m = scrape(d.addr).await;
    assert_eq!(
        value(
            &m,
            "runner_medic_webhook_requests_total{result=\"other_cluster\"}"
        ),
        Some(3.0)
    );
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_body_that_never_finishes_is_cut() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (w, wt) = world().await;
    seed(&w).await;
    let (d, token) = daemon(
        &w,
        policy(Mode::DryRun, Strategy::Restart),
        "medic-a",
        Some("hook-secret-123"),
    )
    .await;
    // Authenticated, announces 100 bytes, sends 10, then nothing.
    let mut s = tokio::net::TcpStream::connect(d.addr).await.unwrap();
    s.write_all(
        b"POST /api/v1/alerts HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer hook-secret-123\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"version\"",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still held after 30 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    token.cancel();
    wt.cancel();
}
