//! How often remediation asks GitLab when nothing acts: 100 runners, 10 of
//! them stuck (their tokens rejected), remediation in dry-run, against the
//! simulated world (real daemon, real HTTP to the simulated GitLab).
//!
//! `cargo bench --bench gitlab_calls [-- --runners 100 --stuck 10 --seconds 60 --scale 20]`
//!
//! Time is compressed by `--scale`: the evaluation interval (5 s), the
//! answer reuse (`recheck`, 5 m) and `for` (5 m) are divided by it, so a
//! run of `--seconds` stands for `seconds * scale` of production time. The
//! report counts GitLab requests by endpoint after every stuck runner had
//! its first decision, and extrapolates them to one hour at the shipped
//! defaults. A report, not a gate.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use runner_medic::classify::Classifier;
use runner_medic::config::{DaemonOverrides, DaemonSettings, FileConfig};
use runner_medic::daemon::{self, DaemonConfig};
use runner_medic::health::HealthConfig;
use runner_medic::remediate::RemediationConfig;
use runner_medic::remediate::gitlab::{GitlabConfig, RunnerScope, Secret};
use runner_medic::remediate::lease::LeaseConfig;
use runner_medic::remediate::policy::{Mode, Policy, Strategy};
use runner_medic::sim::render::Style;
use runner_medic::sim::world::{Pace, RunnerDeployment, SIM_PAT, Workflow, World};
use tokio_util::sync::CancellationToken;

#[path = "support/mod.rs"]
mod support;
use support::arg;

const NS: &str = "gitlab-runner";

fn token(i: u64) -> String {
    format!("{i:04}BenchFAKEFAKEFAKE")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runners = arg("--runners", 100);
    let stuck = arg("--stuck", 10).min(runners);
    let seconds = arg("--seconds", 60);
    let scale = arg("--scale", 20).max(1) as u32;
    let stop = CancellationToken::new();
    let pace = Pace {
        poll: Duration::from_secs(1),
        lockout: Duration::from_secs(3600) / scale,
        register_retry: Duration::from_secs(1),
        replace_after: Duration::from_millis(500),
    };
    let w = World::start(pace, stop.clone()).await.unwrap();
    for i in 0..runners {
        w.gitlab.lock().add_runner(&token(i), true);
        w.add(
            RunnerDeployment {
                namespace: NS.into(),
                name: format!("runner-{i:03}"),
                hash: "7d9c6b5f4".into(),
                workflow: Workflow::Legacy {
                    registration_token: "GR1348941FAKEregistration".into(),
                },
                style: Style::Runner { colours: true },
                labels: BTreeMap::from([("app".to_owned(), "gitlab-runner".to_owned())]),
                preregistered: Some(token(i)),
                sidecars: Vec::new(),
            },
            None,
        );
    }
    let mut problems = Vec::new();
    let o = DaemonOverrides {
        namespaces: vec![NS.into()],
        listen: Some("127.0.0.1:0".into()),
        since: Some("10m".into()),
        ..DaemonOverrides::default()
    };
    let settings = DaemonSettings::resolve(&o, &FileConfig::default(), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let mut config = DaemonConfig::new(settings, Classifier::builtin(), HealthConfig::default());
    config.remediation = Some(RemediationConfig {
        policy: Policy {
            mode: Mode::DryRun,
            strategy: Strategy::Reregister,
            for_: Duration::from_secs(300) / scale,
            ..Policy::default()
        },
        gitlab: Some(GitlabConfig {
            url: w.gitlab.url(),
            token: Secret::new(SIM_PAT),
            rate: 100.0,
            timeout: Duration::from_secs(5),
            attempts: 3,
            scopes: vec![RunnerScope::Group("platform".into())],
            ca_pem: None,
        }),
        lease: LeaseConfig::new("runner-medic", "runner-medic", "bench"),
        selector: "app=gitlab-runner".into(),
        interval: Duration::from_secs(5) / scale,
        secret_key: "runner-token".into(),
        narrate: None,
        recreate_settings: Default::default(),
        runner_container: None,
        clock_skew: Duration::from_secs(10),
        recheck: Duration::from_secs(300) / scale,
    });
    let listener = daemon::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let d = daemon::start(
        w.kube.client().unwrap(),
        config,
        listener,
        None,
        stop.clone(),
    )
    .unwrap();
    // Let every runner be seen healthy, then make `stuck` of them stale.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for i in 0..stuck {
        w.gitlab.lock().expire(&token(i));
    }
    // Warm-up: until every stuck runner had a decision (or a minute).
    let warm = Instant::now();
    loop {
        let m = reqwest_get(d.addr).await;
        let decided = m
            .lines()
            .filter(|l| {
                l.starts_with("runner_medic_remediation_decisions_total{")
                    && l.contains("verdict=\"dry_run\"")
            })
            .count() as u64;
        if decided >= stuck || warm.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = w.gitlab.requests().len();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let calls = w.gitlab.requests()[before..].to_vec();
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    for r in &calls {
        let path = r.uri.split('?').next().unwrap_or("");
        let endpoint = path
            .split('/')
            .map(|s| {
                if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
                    ":id"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        *by.entry(format!("{} {endpoint}", r.method)).or_default() += 1;
    }
    let per_hour = |n: u64| n as f64 * 3600.0 / (elapsed * f64::from(scale));
    println!(
        "gitlab_calls: {runners} runners, {stuck} stuck, dry-run, interval 5s, recheck 5m (time x{scale}, {elapsed:.0} s measured = {:.0} s)",
        elapsed * f64::from(scale)
    );
    for (endpoint, n) in &by {
        println!("  {endpoint:<40} {:>8.0} per hour", per_hour(*n));
    }
    println!(
        "  {:<40} {:>8.0} per hour ({:.2} per second)",
        "total",
        per_hour(calls.len() as u64),
        per_hour(calls.len() as u64) / 3600.0
    );
    stop.cancel();
}

async fn reqwest_get(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return String::new();
    };
    let _ = s
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
        .await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    String::from_utf8_lossy(&buf).into_owned()
}
