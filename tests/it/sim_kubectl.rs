//! The simulated API server checked with a real client: `kubectl` (skipped,
//! with a printed reason, only where it is not installed).

use std::process::Command;
use std::time::Duration;

use jiff::Timestamp;
use runner_medic::sim::cluster::{Cluster, PodTemplate};
use runner_medic::sim::kube::{FakeKube, Options};

use crate::common::Scratch;

fn kubectl() -> Option<String> {
    let ok = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .ok()?
        .status
        .success();
    ok.then(|| "kubectl".to_owned())
}

async fn server() -> (FakeKube, Scratch) {
    let cluster = Cluster::new();
    cluster.add_pod(PodTemplate::runner(
        "gitlab-runner",
        "gitlab-runner",
        "7d9c6b5f4",
        "x2x7k",
    ));
    let t: Timestamp = "2026-03-02T10:00:03.250000000Z".parse().unwrap();
    for (i, line) in [
        "Configuration loaded",
        "Checking for jobs... received",
        "ERROR: Checking for jobs... forbidden",
    ]
    .iter()
    .enumerate()
    {
        let at = t
            .checked_add(jiff::SignedDuration::from_millis(800 * i as i64))
            .unwrap();
        cluster.append(
            "gitlab-runner",
            "gitlab-runner-7d9c6b5f4-x2x7k",
            "gitlab-runner",
            at,
            line,
        );
    }
    let kube = FakeKube::start(cluster, Options::default()).await.unwrap();
    let dir = Scratch::new("kubectl");
    std::fs::write(dir.join("config"), kube.kubeconfig("gitlab-runner")).unwrap();
    (kube, dir)
}

async fn run(dir: &Scratch, args: &[&str]) -> (bool, String, String) {
    let kubeconfig = dir.join("config");
    // kubectl's cache goes to the test's own directory.
    let home = dir.path().to_owned();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("kubectl")
            .args(&args)
            .env("KUBECONFIG", kubeconfig)
            .env("HOME", &home)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_pods_lists_the_runner_pods() {
    if kubectl().is_none() {
        eprintln!("SKIPPED: kubectl is not installed");
        return;
    }
    let (_kube, dir) = server().await;
    let (ok, out, err) = run(&dir, &["get", "pods", "-l", "app=gitlab-runner"]).await;
    assert!(ok, "{err}");
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        &row[..4],
        &["gitlab-runner-7d9c6b5f4-x2x7k", "1/1", "Running", "0"]
    );
    let (ok, out, _) = run(&dir, &["get", "pods", "-l", "app=other"]).await;
    assert!(ok);
    assert!(!out.contains("gitlab-runner-7d9c6b5f4"), "{out}");
    let (ok, out, err) = run(
        &dir,
        &[
            "get",
            "pod",
            "gitlab-runner-7d9c6b5f4-x2x7k",
            "-o",
            "jsonpath={.metadata.uid} {.status.containerStatuses[0].name}",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.ends_with(" gitlab-runner"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_pods_watch_sees_a_new_pod() {
    if kubectl().is_none() {
        eprintln!("SKIPPED: kubectl is not installed");
        return;
    }
    let (kube, dir) = server().await;
    let cluster = kube.cluster.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        cluster.add_pod(PodTemplate::runner(
            "gitlab-runner",
            "gitlab-runner",
            "7d9c6b5f4",
            "q8r2m",
        ));
    });
    let (_, out, err) = run(
        &dir,
        &[
            "get",
            "pods",
            "--watch",
            "--request-timeout=4s",
            "-l",
            "app=gitlab-runner",
        ],
    )
    .await;
    assert!(
        out.contains("gitlab-runner-7d9c6b5f4-x2x7k"),
        "{out}\n{err}"
    );
    assert!(
        out.contains("gitlab-runner-7d9c6b5f4-q8r2m"),
        "the watch did not show the new pod:\n{out}\n{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_follow_with_timestamps_and_since_time() {
    if kubectl().is_none() {
        eprintln!("SKIPPED: kubectl is not installed");
        return;
    }
    let (kube, dir) = server().await;
    let cluster = kube.cluster.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let at: Timestamp = "2026-03-02T10:00:06.000000001Z".parse().unwrap();
        cluster.append(
            "gitlab-runner",
            "gitlab-runner-7d9c6b5f4-x2x7k",
            "gitlab-runner",
            at,
            "live line",
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        cluster.terminate_container(
            "gitlab-runner",
            "gitlab-runner-7d9c6b5f4-x2x7k",
            "gitlab-runner",
            0,
        );
    });
    // sinceTime 10:00:04.9 is forwarded as 10:00:04: the line at 04.050 is
    // included (second precision), the one at 03.250 is not.
    let (ok, out, err) = run(
        &dir,
        &[
            "logs",
            "-f",
            "--timestamps",
            "--since-time=2026-03-02T10:00:04.9Z",
            "gitlab-runner-7d9c6b5f4-x2x7k",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            "2026-03-02T10:00:04.050000000Z Checking for jobs... received",
            "2026-03-02T10:00:04.850000000Z ERROR: Checking for jobs... forbidden",
            "2026-03-02T10:00:06.000000001Z live line",
        ],
        "{err}"
    );
}
