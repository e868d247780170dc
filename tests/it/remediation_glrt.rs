//! The `glrt-` workflow in the simulated world: each failure mode
//! diagnosed by `watch`, `rotate` and `recreate` carried out and verified,
//! refusals that leave nothing half done, a Secret write that meets a
//! conflict, and no token in anything runner-medic writes or logs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner_medic::event::RunnerId;
use runner_medic::remediate::history::RunnerSettings;
use runner_medic::remediate::policy::{Mode, Strategy};
use runner_medic::sim::cluster::Fault;
use runner_medic::sim::gitlab::GitlabFault;
use runner_medic::sim::world::{Action, RunnerDeployment, Workflow, World, base64_decode};

use crate::common::NS;
use crate::common::admin::{get, scrape, wait_metrics};
use crate::common::logs::{Logs, with_logs};
use crate::common::metrics::{decisions, diagnosis_is, remediations, state_is};
use crate::common::world::*;

fn glrt(name: &str) -> RunnerDeployment {
    let mut d = legacy(name, None);
    d.workflow = Workflow::AuthToken;
    d
}

fn short(token: &str) -> String {
    RunnerId::normalize(token).unwrap().to_string()
}

fn secret_token(w: &World, name: &str) -> String {
    let s = w.kube.cluster.object("secrets", NS, name).unwrap();
    base64_decode(s["data"]["runner-token"].as_str().unwrap()).unwrap()
}

/// Everything runner-medic wrote or printed, to scan for tokens.
async fn outputs(
    w: &World,
    d: &runner_medic::daemon::Daemon,
    narration: &Mutex<Vec<String>>,
    logs: &Logs,
) -> String {
    let m = scrape(d.addr).await;
    let status = get(d.addr, "/").await.1;
    let events = serde_json::to_string(&w.kube.cluster.objects("events")).unwrap();
    let state = serde_json::to_string(&w.kube.cluster.objects("configmaps")).unwrap();
    let logs = logs.text();
    format!(
        "{m}\n{status}\n{events}\n{state}\n{logs}\n{}",
        narration.lock().unwrap().join("\n")
    )
}

/// Neither a token nor 10 characters of one (the 9-character short id is
/// gitlab-runner's own and may appear).
fn assert_no_token(text: &str, tokens: &[&str]) {
    for t in tokens {
        let body = t
            .trim_start_matches("glrt-")
            .trim_start_matches("t2_")
            .trim_start_matches("t1_");
        for window in body.as_bytes().windows(10) {
            let w = std::str::from_utf8(window).unwrap();
            assert!(!text.contains(w), "token text {w:?} leaked");
        }
    }
}

fn narrated() -> (
    tokio::sync::mpsc::UnboundedSender<String>,
    Arc<Mutex<Vec<String>>>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    tokio::spawn(async move {
        while let Some(l) = rx.recv().await {
            sink.lock().unwrap().push(l);
        }
    });
    (tx, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_diagnoses_every_glrt_failure_mode() {
    let (w, wt) = world().await;
    let tokens = [
        "glrt-t2_DeletedFAKEtoken001",
        "glrt-t2_ExpiredFAKEtoken002",
        "glrt-t2_RotatedFAKEtoken003",
        "glrt-t2_CrashedFAKEtoken004",
    ];
    let mut pods = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        w.gitlab.lock().add_runner(t, false);
        pods.push(w.add(glrt(&format!("runner-{i}")), Some(t)));
    }
    let (d, token) = daemon(&w, policy(Mode::Off, Strategy::Rotate), "medic-a", None).await;
    wait_metrics(d.addr, "four healthy glrt runners", |m| {
        tokens.iter().all(|t| state_is(m, &short(t), "healthy"))
    })
    .await;
    // Deleted in GitLab while running: 403s.
    w.gitlab.lock().delete_by_token(tokens[0]);
    // Rotation disabled: a warning, then the token expires.
    w.act(&pods[1], Action::WarnExpiry);
    // The rotation trap: the runner rotates, then its container restarts.
    w.act(&pods[2], Action::Rotate);
    // Deleted, then the container restarts: verification fails, crash loop.
    w.gitlab.lock().delete_by_token(tokens[3]);
    w.act(&pods[3], Action::Restart);
    tokio::time::sleep(Duration::from_millis(800)).await;
    w.gitlab.lock().expire(tokens[1]);
    w.act(&pods[2], Action::Restart);
    let m = wait_metrics(d.addr, "each diagnosis", |m| {
        diagnosis_is(m, &short(tokens[0]), "glrt_token_rejected")
            && diagnosis_is(m, &short(tokens[1]), "token_expired")
            && diagnosis_is(m, &short(tokens[2]), "rotation_lost")
            && diagnosis_is(m, &short(tokens[3]), "glrt_token_invalid")
    })
    .await;
    assert!(
        gitlab_mutations(&w).is_empty(),
        "mode off: {:?}",
        gitlab_mutations(&w)
    );
    assert_no_token(&m, &tokens);
    token.cancel();
    wt.cancel();
}

/// Its logs are captured ([`with_logs`]) and scanned with everything else
/// it wrote.
#[test]
fn rotate_resets_an_expired_token_writes_the_secret_and_verifies() {
    with_logs(|logs| async move {
        let (w, wt) = world().await;
        let old = "glrt-t2_RotateFAKEtoken0010";
        let gid = w.gitlab.lock().add_runner(old, false);
        let pod = w.add(glrt("gitlab-runner"), Some(old));
        let (tx, narration) = narrated();
        let (d, token) = daemon_with(
            &w,
            policy(Mode::On, Strategy::Rotate),
            "medic-a",
            None,
            |r| {
                r.narrate = Some(tx);
            },
        )
        .await;
        wait_metrics(d.addr, "healthy", |m| state_is(m, &short(old), "healthy")).await;
        w.act(&pod, Action::WarnExpiry);
        tokio::time::sleep(Duration::from_millis(600)).await;
        w.gitlab.lock().expire(old);
        let m = wait_metrics(d.addr, "a verified rotation", |m| {
            remediations(m, "succeeded") >= 1.0
        })
        .await;
        assert_eq!(remediations(&m, "failed"), 0.0);
        // GitLab: one reset of the same runner, nothing deleted or created.
        assert_eq!(
            gitlab_mutations(&w),
            vec![format!(
                "POST /api/v4/runners/{gid}/reset_authentication_token"
            )]
        );
        let new = w.gitlab.lock().runners[&gid].token.clone();
        assert_ne!(new, old);
        // The Secret holds the new token; the new pod verified and polls with it.
        assert_eq!(secret_token(&w, "gitlab-runner"), new);
        assert!(state_is(&m, &short(&new), "healthy"), "{m}");
        assert!(
            w.kube.cluster.pod(NS, &pod).is_none(),
            "the old pod was restarted"
        );
        assert!(
            logs.text().contains(" runner_medic::"),
            "runner-medic's logs were captured"
        );
        let written = outputs(&w, &d, &narration, &logs).await;
        for step in [
            "TokenReset",
            "SecretUpdated",
            "PodsRestarted",
            "RemediationSucceeded",
        ] {
            assert!(written.contains(step), "{step} not recorded:\n{written}");
        }
        assert_no_token(&written, &[old, &new, runner_medic::sim::world::SIM_PAT]);
        token.cancel();
        wt.cancel();
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_fixes_the_rotation_trap_crash_loop() {
    let (w, wt) = world().await;
    let old = "glrt-t2_TrapFAKEtokenFAKE011";
    let gid = w.gitlab.lock().add_runner(old, false);
    let pod = w.add(glrt("gitlab-runner"), Some(old));
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Rotate), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, &short(old), "healthy")).await;
    w.act(&pod, Action::Rotate);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let rotated = w.gitlab.lock().runners[&gid].token.clone();
    w.act(&pod, Action::Restart);
    let m = wait_metrics(d.addr, "a verified rotation", |m| {
        remediations(m, "succeeded") >= 1.0
    })
    .await;
    let new = w.gitlab.lock().runners[&gid].token.clone();
    assert!(new != rotated && new != old);
    assert_eq!(secret_token(&w, "gitlab-runner"), new);
    assert!(state_is(&m, &short(&new), "healthy"), "{m}");
    assert_eq!(
        decisions(&m, "act", "none"),
        1.0,
        "one remediation of the crash-looping runner"
    );
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recreate_replaces_a_deleted_runner_with_its_settings() {
    let (w, wt) = world().await;
    let old = "glrt-t2_RecreateFAKEtoken12";
    let gid = w.gitlab.lock().add_runner(old, false);
    {
        let mut g = w.gitlab.lock();
        let r = g.runners.get_mut(&gid).unwrap();
        r.tags = vec!["k8s".into(), "docker".into()];
        r.description = "payments runner".into();
        r.maximum_timeout = Some(7200);
    }
    let pod = w.add(glrt("gitlab-runner"), Some(old));
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Recreate), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, &short(old), "healthy")).await;
    // The settings are kept while the runner is healthy.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while w
        .kube
        .cluster
        .object("configmaps", "runner-medic", "runner-medic-state")
        .is_none_or(|c| c["data"]["gitlab-runner.gitlab-runner_runner"].is_null())
    {
        assert!(tokio::time::Instant::now() < deadline, "settings not kept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Someone deletes the runner in GitLab.
    w.gitlab.lock().delete_by_token(old);
    let m = wait_metrics(d.addr, "a verified recreate", |m| {
        remediations(m, "succeeded") >= 1.0
    })
    .await;
    let muts = gitlab_mutations(&w);
    assert_eq!(
        muts,
        vec!["POST /api/v4/user/runners".to_owned()],
        "{muts:?}"
    );
    let g = w.gitlab.lock();
    let created = g.runners.values().next().unwrap().clone();
    drop(g);
    assert_eq!(created.runner_type, "group_type");
    assert_eq!(created.group_id, Some(42));
    assert_eq!(created.tags, vec!["k8s".to_owned(), "docker".to_owned()]);
    assert_eq!(created.description, "payments runner");
    assert_eq!(created.maximum_timeout, Some(7200));
    assert_eq!(secret_token(&w, "gitlab-runner"), created.token);
    assert!(state_is(&m, &short(&created.token), "healthy"), "{m}");
    assert!(w.kube.cluster.pod(NS, &pod).is_none());
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_leave_nothing_half_done() {
    // 1. The access token lacks the scope: refused before any call that writes.
    let (w, wt) = world().await;
    let old = "glrt-t2_ScopeFAKEtokenFAKE13";
    w.gitlab.lock().add_runner(old, false);
    w.gitlab.lock().scopes = vec!["read_api".into()];
    let pod = w.add(glrt("gitlab-runner"), Some(old));
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Rotate), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, &short(old), "healthy")).await;
    w.gitlab.lock().expire(old);
    wait_metrics(d.addr, "a refusal on the scope", |m| {
        decisions(m, "refuse", "scope") >= 1.0
    })
    .await;
    assert!(
        gitlab_mutations(&w).is_empty(),
        "{:?}",
        gitlab_mutations(&w)
    );
    assert!(
        kube_mutations(&w)
            .iter()
            .all(|r| !r.contains("/secrets/") && !r.contains("/pods/"))
    );
    assert_eq!(secret_token(&w, "gitlab-runner"), old);
    assert!(w.kube.cluster.pod(NS, &pod).is_some());
    token.cancel();
    wt.cancel();

    // 2. GitLab refuses the reset: the attempt fails, the Secret and the
    //    pods are untouched.
    let (w, wt) = world().await;
    w.gitlab.lock().add_runner(old, false);
    let pod = w.add(glrt("gitlab-runner"), Some(old));
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Rotate), "medic-a", None).await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, &short(old), "healthy")).await;
    w.gitlab.lock().faults.push(GitlabFault::CreateForbidden);
    w.gitlab.lock().expire(old);
    wait_metrics(d.addr, "a failed attempt", |m| {
        remediations(m, "failed") >= 1.0
    })
    .await;
    assert_eq!(secret_token(&w, "gitlab-runner"), old);
    assert!(
        kube_mutations(&w)
            .iter()
            .all(|r| !r.contains("/secrets/") && !r.contains("/pods/"))
    );
    assert!(w.kube.cluster.pod(NS, &pod).is_some());
    token.cancel();
    wt.cancel();

    // 3. recreate without known settings: refused.
    let (w, wt) = world().await;
    let (d, token) = daemon(&w, policy(Mode::On, Strategy::Recreate), "medic-a", None).await;
    // The runner is already gone when runner-medic first sees it.
    let pod = w.add(glrt("gitlab-runner"), Some(old));
    wait_metrics(d.addr, "a refusal on the settings", |m| {
        decisions(m, "refuse", "settings") >= 1.0
    })
    .await;
    assert!(
        gitlab_mutations(&w).is_empty(),
        "{:?}",
        gitlab_mutations(&w)
    );
    assert!(w.kube.cluster.pod(NS, &pod).is_some());
    token.cancel();
    wt.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflicting_secret_write_is_retried_from_a_fresh_read() {
    let (w, wt) = world().await;
    let old = "glrt-t2_ConflictFAKEtoken14";
    let gid = w.gitlab.lock().add_runner(old, false);
    w.add(glrt("gitlab-runner"), Some(old));
    w.kube.cluster.inject(Fault::ConcurrentWrite {
        plural: "secrets".into(),
        name: "gitlab-runner".into(),
    });
    let (tx, narration) = narrated();
    let (d, token) = daemon_with(
        &w,
        policy(Mode::On, Strategy::Rotate),
        "medic-a",
        None,
        |r| {
            r.narrate = Some(tx);
        },
    )
    .await;
    wait_metrics(d.addr, "healthy", |m| state_is(m, &short(old), "healthy")).await;
    w.gitlab.lock().expire(old);
    wait_metrics(d.addr, "a verified rotation", |m| {
        remediations(m, "succeeded") >= 1.0
    })
    .await;
    let new = w.gitlab.lock().runners[&gid].token.clone();
    assert_eq!(secret_token(&w, "gitlab-runner"), new);
    let secret = w
        .kube
        .cluster
        .object("secrets", NS, "gitlab-runner")
        .unwrap();
    assert_eq!(
        secret["metadata"]["annotations"]["sim/concurrent-writer"], "1",
        "the other writer's change is kept"
    );
    let puts: Vec<String> = kube_mutations(&w)
        .into_iter()
        .filter(|r| r.starts_with("PUT") && r.contains("/secrets/"))
        .collect();
    assert_eq!(puts.len(), 2, "{puts:?}");
    assert!(
        narration
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("SecretUpdated") && l.contains("after 1 conflicting writes")),
        "{:?}",
        narration.lock().unwrap()
    );
    token.cancel();
    wt.cancel();
}

#[test]
fn recreate_settings_in_the_config_are_validated() {
    let s: RunnerSettings = serde_json::from_value(serde_json::json!({
        "runner_type": "group_type", "tag_list": ["k8s"]
    }))
    .unwrap();
    assert!(s.validate().unwrap_err().contains("group_id"));
    let ok: RunnerSettings = serde_json::from_value(serde_json::json!({
        "runner_type": "project_type", "project_id": 7, "run_untagged": false
    }))
    .unwrap();
    assert_eq!(
        ok.create_params(),
        serde_json::json!({"runner_type": "project_type", "project_id": 7, "run_untagged": false})
    );
}
