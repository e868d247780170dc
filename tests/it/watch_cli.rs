//! `runner-medic watch` and `demo` as binaries: a kubeconfig pointing at a
//! plain-http API server, JSON logs, a strict OpenMetrics parser, SIGTERM,
//! and no token anywhere in what it outputs.

use std::time::Duration;

use jiff::Timestamp;
use runner_medic::event::Level;

use crate::common::Scratch;
use crate::common::admin::{get, wait_metrics};
use crate::common::bin::{Running, command, spawn};
use crate::common::harness::*;
use crate::common::metrics::{events, remediations, state_is, value};

fn openmetrics_check(text: &str) -> Result<(), String> {
    let dir = Scratch::new("om");
    let file = dir.join("metrics.txt");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as parse\nn = sum(1 for _ in parse(open(sys.argv[1]).read()))\nprint(n)",
            file.to_str().unwrap(),
        ])
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

const SECRET_RT: &str = "glrt-t1_SeCrEtRuNnErToKeNFAKE";
const SECRET_REG: &str = "GR1348941SeCrEtReGiStRaTiOn";
const SECRET_PAT: &str = "glpat-SeCrEtPeRsOnAlFAKE45";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_follows_a_kubeconfig_cluster_exports_strict_openmetrics_and_leaks_no_token() {
    let kube = cluster().await;
    let pod = add_pod(&kube, "gitlab-runner", "x2x7k");
    let now = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(5))
        .unwrap();
    // Lines that carry whole tokens, as old runners and misconfigured
    // command lines print them.
    let lines = [
        runner_line(
            Level::Error,
            &format!(
                "Runner https://gitlab.example.com{SECRET_RT} is not healthy and will be disabled!"
            ),
            "HYErDk_6w",
        ),
        forbidden("HYErDk_6w"),
        format!(
            "ERROR: Registering runner... forbidden (check registration token)  runner={SECRET_REG} status=POST https://gitlab.example.com/api/v4/runners: 403 Forbidden"
        ),
        format!("Checking for jobs... received                       runner={SECRET_PAT} job=1"),
        format!("gitlab-runner register --token {SECRET_RT} --url https://gitlab.example.com"),
    ];
    for (i, l) in lines.iter().enumerate() {
        write(&kube, &pod, "gitlab-runner", at(now, i as i64), l);
    }
    let dir = Scratch::new("watch");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, kube.kubeconfig("gitlab-runner")).unwrap();
    let state = dir.join("positions.json");
    let (mut run, addr) = spawn_watch(&["--state-file", state.to_str().unwrap()], &kubeconfig);
    let metrics = wait_metrics(addr, "all lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(5.0)
    })
    .await;
    // Pre-initialised zeros for every class of a runner seen.
    assert_eq!(
        events(&metrics, "gitlab-runner", "HYErDk_6w", "verify_removed"),
        Some(0.0),
        "{metrics}"
    );
    assert!(state_is(&metrics, "HYErDk_6w", "forbidden"));
    if let Err(e) = openmetrics_check(&metrics) {
        panic!("the OpenMetrics parser rejected /metrics: {e}\n{metrics}");
    }
    let (code, page) = get(addr, "/").await;
    assert_eq!(code, 200);
    let (code, _) = get(addr, "/readyz").await;
    assert_eq!(code, 200);
    run.sigterm();
    let status = tokio::task::spawn_blocking(move || {
        let s = run.child.wait().unwrap();
        run.drain();
        (s, run.stderr)
    })
    .await
    .unwrap();
    assert!(status.0.success(), "exit status {:?}", status.0);
    let logs = status.1.join("\n");
    assert!(
        logs.contains("pipeline drained"),
        "an orderly drain:\n{logs}"
    );
    // SIGTERM saved the read positions (names and hashes, never line text).
    let positions = std::fs::read_to_string(dir.join("positions.json")).unwrap();
    assert!(positions.contains(&pod), "{positions}");
    assert!(logs.contains("read positions saved"), "{logs}");
    // gitlab-runner's own short id (9 characters after the prefix) may be
    // shown; no 10 consecutive characters of a token body may.
    for secret in [SECRET_RT, SECRET_REG, SECRET_PAT] {
        let body = secret
            .trim_start_matches("glrt-t1_")
            .trim_start_matches("GR1348941")
            .trim_start_matches("glpat-");
        for window in body.as_bytes().windows(10) {
            let w = std::str::from_utf8(window).unwrap();
            assert!(!metrics.contains(w), "token text {w:?} in /metrics");
            assert!(!page.contains(w), "token text {w:?} on the status page");
            assert!(!positions.contains(w), "token text {w:?} in the state file");
            assert!(
                !logs.contains(w),
                "token text {w:?} in the daemon's logs:\n{logs}"
            );
        }
    }
}

/// Starts `watch` on namespace gitlab-runner (JSON debug logs, any free
/// port) with `extra` arguments; returns it once it listens, and where.
fn spawn_watch(extra: &[&str], kubeconfig: &std::path::Path) -> (Running, std::net::SocketAddr) {
    let mut args = vec![
        "watch",
        "--namespace",
        "gitlab-runner",
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
        "--log-level",
        "runner_medic=debug,warn",
    ];
    args.extend_from_slice(extra);
    let kubeconfig = kubeconfig.to_str().unwrap();
    let mut run = spawn(&args, &[("KUBECONFIG", kubeconfig)]);
    let started = run.wait_log("watching");
    let v: serde_json::Value = serde_json::from_str(&started).unwrap();
    let addr = v["listen"].as_str().unwrap().parse().unwrap();
    (run, addr)
}

/// [`spawn_watch`] with a state file.
fn spawn_with_state(
    kubeconfig: &std::path::Path,
    state: &std::path::Path,
) -> (Running, std::net::SocketAddr) {
    spawn_watch(&["--state-file", state.to_str().unwrap()], kubeconfig)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_sigkill_the_next_run_counts_only_what_came_after_the_last_save() {
    let kube = cluster().await;
    let pod = add_pod(&kube, "gitlab-runner", "x2x7k");
    let base = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(60))
        .unwrap();
    for i in 0..3 {
        write(
            &kube,
            &pod,
            "gitlab-runner",
            at(base, i * 1000),
            &forbidden("HYErDk_6w"),
        );
    }
    let dir = Scratch::new("kill");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, kube.kubeconfig("gitlab-runner")).unwrap();
    let state = dir.join("positions.json");
    let (mut run, addr) = spawn_with_state(&kubeconfig, &state);
    wait_metrics(addr, "3 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(3.0)
    })
    .await;
    // The stream is quiet now; its position must still reach the file
    // (within a second for the mark, five for the file).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !std::fs::read_to_string(&state).is_ok_and(|t| t.contains(&pod)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the position was never saved"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    run.child.kill().unwrap(); // SIGKILL: no shutdown path runs
    run.child.wait().unwrap();
    write(
        &kube,
        &pod,
        "gitlab-runner",
        at(base, 10_000),
        &forbidden("HYErDk_6w"),
    );
    write(
        &kube,
        &pod,
        "gitlab-runner",
        at(base, 11_000),
        &received("HYErDk_6w", 7),
    );
    let (run2, addr2) = spawn_with_state(&kubeconfig, &state);
    let m = wait_metrics(addr2, "only the 2 new lines counted", |m| {
        value(m, "runner_medic_log_lines_total") == Some(2.0)
            && value(m, "runner_medic_log_lines_resumed_total") == Some(3.0)
    })
    .await;
    assert_eq!(
        events(&m, "gitlab-runner", "HYErDk_6w", "job_request_forbidden"),
        Some(1.0),
        "{m}"
    );
    // Health saw all five lines: the runner works again.
    assert!(state_is(&m, "HYErDk_6w", "healthy"), "{m}");
    run2.sigterm();
    let mut run2 = run2;
    run2.child.wait().unwrap();
}

/// The issue's "done means": `watch --remediation on --strategy reregister
/// --gitlab-url URL --gitlab-token-file F` against an API server and a GitLab
/// that speak the real wire formats carries out the seed runbook once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_with_remediation_on_carries_out_the_seed_runbook_once() {
    use runner_medic::sim::world::SIM_PAT;
    let stop = tokio_util::sync::CancellationToken::new();
    let world = runner_medic::demo::start_world(&stop).await.unwrap();
    let dir = Scratch::new("remediate");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, world.kube.kubeconfig("gitlab-runner")).unwrap();
    let token_file = dir.join("gitlab-token");
    std::fs::write(&token_file, format!("{SIM_PAT}\n")).unwrap();
    let url = world.gitlab.url();
    let (mut run, addr) = spawn_watch(
        &[
            "--remediation",
            "on",
            "--strategy",
            "reregister",
            "--remediation-for",
            "3s",
            "--gitlab-url",
            &url,
            // The simulated GitLab speaks plain http on localhost.
            "--gitlab-allow-http",
            "--gitlab-runner-scope",
            "group:platform",
            "--gitlab-token-file",
            token_file.to_str().unwrap(),
            "--lease-namespace",
            "runner-medic",
        ],
        &kubeconfig,
    );
    wait_metrics(addr, "a healthy seed runner", |m| {
        state_is(m, "HYErDk_6w", "healthy")
    })
    .await;
    world.gitlab.lock().expire(runner_medic::demo::SEED_TOKEN);
    let metrics = wait_metrics(addr, "a verified remediation", |m| {
        remediations(m, "succeeded") >= 1.0
    })
    .await;
    assert_eq!(value(&metrics, "runner_medic_leader"), Some(1.0));
    let deletes: Vec<_> = world
        .gitlab
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.uri)
        .collect();
    assert_eq!(deletes, vec!["/api/v4/runners/1".to_owned()]);
    run.sigterm();
    let (status, logs) = tokio::task::spawn_blocking(move || {
        let s = run.child.wait().unwrap();
        run.drain();
        (s, run.stderr.join("\n"))
    })
    .await
    .unwrap();
    assert!(status.success(), "exit status {status:?}\n{logs}");
    for step in [
        "remediating",
        "RunnerDeleted",
        "PodsRestarted",
        "RemediationSucceeded",
    ] {
        assert!(logs.contains(step), "{step} not logged:\n{logs}");
    }
    assert!(!logs.contains("glpat-"), "{logs}");
    assert!(!logs.contains("HYErDk_6wF"), "{logs}");
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_without_a_cluster_says_how_to_configure_one() {
    let dir = Scratch::new("nocluster");
    let out = command(&["watch", "--listen", "127.0.0.1:0"])
        .env("KUBECONFIG", dir.join("missing"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Kubernetes cluster configured: set KUBECONFIG"),
        "{err}"
    );
}

#[test]
fn watch_rejects_bad_settings_naming_each_one() {
    let out = command(&[
        "watch",
        "--namespace",
        "Bad_NS",
        "--since",
        "soon",
        "--listen",
        "here",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for path in ["watch.namespaces[0]", "watch.since", "listen"] {
        assert!(err.contains(path), "{path} not named in:\n{err}");
    }
}

#[test]
fn the_demo_carries_out_the_seed_runbook_after_refusing_during_the_outage() {
    let out = command(&["demo", "--duration", "40s", "--listen", "127.0.0.1:0"])
        .args(["--log-level", "runner_medic=debug,info"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not in the narration:\n{text}"))
    };
    assert!(text.contains("status page  http://127.0.0.1:"), "{text}");
    // Detected and latched.
    let forbidden = at("runner HYErDk_6w (gitlab-runner/gitlab-runner): healthy -> forbidden");
    let locked = at("runner HYErDk_6w (gitlab-runner/gitlab-runner): forbidden -> locked_out");
    at("the authentication token is rejected");
    // The outage: the healthy runners see it, runner-medic refuses to act.
    let down = at("GitLab goes down");
    at("(gitlab-runner/gitlab-runner-build): healthy -> gitlab_unavailable");
    let refused = at("remediation of runner HYErDk_6w refused: gitlab: GitLab is not healthy");
    let back = at("GitLab is back");
    // The runbook, in order, once.
    let acting = at("remediating runner HYErDk_6w (reregister): every check passed");
    let deleted = at("RunnerDeleted: deleted runner HYErDk_6w");
    let restarted = at("PodsRestarted: deleted pod(s) gitlab-runner-7d9c6b5f4-");
    let verified = at("RemediationSucceeded: verified: runner ");
    assert!(
        forbidden < locked && locked < down && down < refused && refused < back,
        "{text}"
    );
    assert!(
        back < acting && acting < deleted && deleted < restarted && restarted < verified,
        "{text}"
    );
    assert_eq!(text.matches("RunnerDeleted").count(), 1, "{text}");
    assert!(!text.contains("RemediationFailed"), "{text}");
    // The new runner has another id and is healthy.
    let new_id = text[verified..]
        .trim_start_matches("RemediationSucceeded: verified: runner ")
        .split_whitespace()
        .next()
        .unwrap();
    assert_ne!(new_id, "HYErDk_6w");
    assert!(
        text.contains(&format!(
            "runner {new_id} (gitlab-runner/gitlab-runner): unknown -> healthy"
        )),
        "{text}"
    );
    // No token in the narration or in runner-medic's own debug logs: not
    // the stale one, not the access token, not the tokens GitLab issued.
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("remediating"),
        "debug logs were captured:\n{logs}"
    );
    let issued = regex::Regex::new(r"t1_[A-Za-z0-9]{7,}").unwrap();
    for output in [&text, &logs] {
        assert!(!output.contains("HYErDk_6wF"), "{output}");
        assert!(!output.contains("glpat-"), "{output}");
        assert!(!output.contains("GR1348941F"), "{output}");
        assert!(!issued.is_match(output), "{output}");
    }
    assert!(text.contains("demo finished."), "{text}");
}

/// Every long-running task is supervised: a panic in any of them (injected
/// with the test-only `RUNNER_MEDIC_TEST_PANIC`) turns `/readyz` false and
/// makes the process exit non-zero within seconds, naming the task, so
/// Kubernetes restarts it instead of keeping a silent daemon with green
/// probes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_panics_stops_the_daemon_with_a_failure() {
    use runner_medic::sim::world::SIM_PAT;
    let stop = tokio_util::sync::CancellationToken::new();
    let world = runner_medic::demo::start_world(&stop).await.unwrap();
    let dir = Scratch::new("supervise");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, world.kube.kubeconfig("gitlab-runner")).unwrap();
    let token_file = dir.join("gitlab-token");
    std::fs::write(&token_file, format!("{SIM_PAT}\n")).unwrap();
    let state = dir.join("positions.json");
    let url = world.gitlab.url();
    let remediation = [
        "--remediation",
        "on",
        "--gitlab-url",
        url.as_str(),
        "--gitlab-allow-http",
        "--gitlab-runner-scope",
        "group:platform",
        "--gitlab-token-file",
        token_file.to_str().unwrap(),
        "--lease-namespace",
        "runner-medic",
    ];
    for task in [
        "pod watcher",
        "pipeline",
        "admin server",
        "positions writer",
        "remediation",
        "leader election",
    ] {
        let mut args = vec![
            "watch",
            "--namespace",
            "gitlab-runner",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--state-file",
            state.to_str().unwrap(),
        ];
        args.extend_from_slice(&remediation);
        let mut run = spawn(
            &args,
            &[
                ("KUBECONFIG", kubeconfig.to_str().unwrap()),
                ("RUNNER_MEDIC_TEST_PANIC", task),
            ],
        );
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(s) = run.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{task}: still running 20 s after the panic"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        run.drain();
        let log = run.stderr.join("\n");
        assert_eq!(status.code(), Some(2), "{task}: {log}");
        assert!(
            log.contains(&format!(
                "{task} panicked: injected by RUNNER_MEDIC_TEST_PANIC"
            )),
            "{task}: {log}"
        );
        assert!(log.contains("the daemon stopped because"), "{task}: {log}");
    }
    stop.cancel();
}

/// Opens `n` connections to `addr` from the loopback address `from` and
/// keeps them open without sending a byte.
async fn idle_connections(
    addr: std::net::SocketAddr,
    from: std::net::IpAddr,
    n: usize,
) -> Vec<tokio::net::TcpStream> {
    let mut held = Vec::new();
    for _ in 0..n {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
        if let Ok(s) = socket.connect(addr).await {
            held.push(s);
        }
    }
    held
}

/// The probes keep answering while other clients hold every connection
/// they can: one address is held to a few connections, and past the
/// general slots some are kept for `/livez` and `/readyz`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_while_noisy_neighbours_hold_connections() {
    let kube = cluster().await;
    let pod = add_pod(&kube, "gitlab-runner", "x2x7k");
    write(
        &kube,
        &pod,
        "gitlab-runner",
        Timestamp::now(),
        &forbidden("HYErDk_6w"),
    );
    let dir = Scratch::new("noisy");
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, kube.kubeconfig("gitlab-runner")).unwrap();
    let (mut run, addr) = spawn_watch(&[], &kubeconfig);
    wait_metrics(addr, "the line", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1.0)
    })
    .await;
    // One neighbour tries to take 300 connections: it gets 16.
    let one: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut held = idle_connections(addr, one, 300).await;
    // Sixty more take 16 each: 976 in all, far past the 256 general slots.
    for i in 10..70u8 {
        let ip = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, i));
        held.extend(idle_connections(addr, ip, 16).await);
    }
    let mut ok = 0;
    for _ in 0..20 {
        if get(addr, "/livez").await.0 == 200 && get(addr, "/readyz").await.0 == 200 {
            ok += 1;
        }
    }
    assert_eq!(
        ok,
        20,
        "every probe answered while {} connections were held",
        held.len()
    );
    // A scrape that lands in a probe slot is told to come back, not hung.
    let (code, _) = get(addr, "/metrics").await;
    assert!(code == 200 || code == 503, "{code}");
    drop(held);
    run.sigterm();
    run.child.wait().unwrap();
}
