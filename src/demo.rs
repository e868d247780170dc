//! `runner-medic demo`: the real daemon against the simulated cluster.
//!
//! Three runner Deployments in namespace `gitlab-runner`, all labelled
//! `app=gitlab-runner`, their containers writing in real time (time
//! compressed: the runner's one-hour lockout lasts 40 seconds here):
//!
//! * `gitlab-runner`: the seed incident. Runner `HYErDk_6w` registered
//!   with a registration token, ran jobs, then GitLab stopped accepting its
//!   token: 403s, lockout, recheck, 403s again.
//! * `gitlab-runner-build`: a healthy runner (`logFormat: json`).
//! * `gitlab-runner-deploy`: a runner that sees a GitLab outage (503), then
//!   network errors, then recovers (`logFormat: text`).
//!
//! The narration prints every state change with its diagnosis.

use std::io::Write;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::classify::Classifier;
use crate::config::{DaemonOverrides, DaemonSettings, FileConfig};
use crate::daemon::{self, DaemonConfig};
use crate::health::HealthConfig;
use crate::pipeline::Change;
use crate::sim::cluster::{Cluster, PodTemplate};
use crate::sim::driver::{self, Step, Target};
use crate::sim::kube::{FakeKube, Options};
use crate::sim::render::Style;
use crate::sim::scenario::PodScript;

/// The namespace of the demo's runners.
pub const NAMESPACE: &str = "gitlab-runner";

/// Settings of a demo run.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Admin server address.
    pub listen: std::net::SocketAddr,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

/// The demo's runner pods: (deployment, replicaset hash, pod suffix, steps).
pub fn scenario() -> Vec<(&'static str, &'static str, &'static str, Vec<Step>)> {
    let t0 = Timestamp::now();
    let secs = Duration::from_secs;

    // The seed incident.
    let mut stale = PodScript::new(
        "gitlab-runner-7d9c6b5f4-x2x7k",
        t0,
        Style::Runner { colours: true },
    );
    stale.register_legacy("Qm7Tx2Kd1").start();
    stale
        .wait(secs(2))
        .job("HYErDk_6w", "platform/payments-api");
    // Someone deletes runner HYErDk_6w in GitLab: every request is 403 now.
    stale.wait(secs(3)).forbidden_cycle("HYErDk_6w");
    let mut stale_steps = vec![Step::Lines(stale.into_lines())];
    for _ in 0..40 {
        let mut again = PodScript::new(
            "gitlab-runner-7d9c6b5f4-x2x7k",
            t0,
            Style::Runner { colours: true },
        );
        again.recheck("HYErDk_6w").forbidden_cycle("HYErDk_6w");
        stale_steps.push(Step::Sleep(secs(40)));
        stale_steps.push(Step::Lines(again.into_lines()));
    }

    // A healthy runner, JSON logs.
    let mut ok = PodScript::new("gitlab-runner-build-5f6b8d9c7-m4n8p", t0, Style::Json);
    ok.register_legacy("Qm7Tx2Kd1").start();
    for i in 0..400 {
        let project = if i % 3 == 0 {
            "web/storefront"
        } else {
            "platform/payments-api"
        };
        ok.wait(secs(4)).job("Vb2kLr9aQ", project);
    }

    // GitLab goes down for a while, then the network, then it recovers.
    let mut deploy = PodScript::new("gitlab-runner-deploy-84d5c7f9b-2xq9z", t0, Style::Text);
    deploy.register_legacy("Qm7Tx2Kd1").start();
    deploy.wait(secs(3)).job("Pq4Wn7Ys2", "ops/deploy-prod");
    for _ in 0..6 {
        deploy.wait(secs(5)).unavailable("Pq4Wn7Ys2");
    }
    for cause in [
        "dial tcp: lookup gitlab.example.com on 10.96.0.10:53: no such host",
        "dial tcp 10.43.12.7:443: connect: connection refused",
        "dial tcp 10.43.12.7:443: i/o timeout",
    ] {
        deploy.wait(secs(5)).transport_error("Pq4Wn7Ys2", cause);
    }
    for _ in 0..300 {
        deploy.wait(secs(6)).job("Pq4Wn7Ys2", "ops/deploy-prod");
    }

    vec![
        ("gitlab-runner", "7d9c6b5f4", "x2x7k", stale_steps),
        (
            "gitlab-runner-build",
            "5f6b8d9c7",
            "m4n8p",
            vec![Step::Lines(ok.into_lines())],
        ),
        (
            "gitlab-runner-deploy",
            "84d5c7f9b",
            "2xq9z",
            vec![Step::Lines(deploy.into_lines())],
        ),
    ]
}

/// Starts the simulated cluster and its runner pods.
pub async fn start_cluster(token: &CancellationToken) -> std::io::Result<FakeKube> {
    let cluster = Cluster::new();
    let kube = FakeKube::start(cluster.clone(), Options::default()).await?;
    for (deployment, hash, suffix, steps) in scenario() {
        let mut t = PodTemplate::runner(NAMESPACE, deployment, hash, suffix);
        t.labels.insert("app".into(), "gitlab-runner".into());
        let pod = t.name.clone();
        cluster.add_pod(t);
        let target = Target {
            cluster: cluster.clone(),
            namespace: NAMESPACE.into(),
            pod,
            container: deployment.into(),
        };
        tokio::spawn(driver::play(target, steps, 1.0, token.clone()));
    }
    Ok(kube)
}

/// Runs the demo until `token` is cancelled or the duration ends.
pub async fn run(config: DemoConfig, token: CancellationToken) -> anyhow::Result<()> {
    let kube = start_cluster(&token).await?;
    let overrides = DaemonOverrides {
        namespaces: vec![NAMESPACE.into()],
        listen: Some(config.listen.to_string()),
        since: Some("10m".into()),
        ..DaemonOverrides::default()
    };
    let mut problems = Vec::new();
    let settings = DaemonSettings::resolve(&overrides, &FileConfig::default(), &mut problems);
    let listener = daemon::bind(settings.listen).await?;
    let (changes_tx, changes_rx) = mpsc::channel(256);
    let client = kube.client()?;
    let d = daemon::start(
        client,
        DaemonConfig::new(settings, Classifier::builtin(), HealthConfig::default()),
        listener,
        Some(changes_tx),
        token.clone(),
    )?;
    println!(
        "runner-medic demo: a simulated cluster ({}) with three runner pods in namespace {NAMESPACE}.",
        kube.url()
    );
    println!("  status page  http://{}/", d.addr);
    println!("  metrics      http://{}/metrics", d.addr);
    println!("  time is compressed: the runner's 1h lockout lasts 40s here. Ctrl-C stops.\n");
    if let Some(limit) = config.duration {
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            t.cancel();
        });
    }
    narrate(changes_rx).await;
    let _ = d.done.await;
    kube.stop();
    println!("\ndemo finished.");
    Ok(())
}

/// Prints every change until the channel closes.
async fn narrate(mut rx: mpsc::Receiver<Change>) {
    let mut out = std::io::stdout();
    while let Some(c) = rx.recv().await {
        let t = &c.transition;
        let d = &c.diagnosis;
        let when = t.at.at.unwrap_or_else(Timestamp::now).strftime("%H:%M:%S");
        let mut text = format!(
            "{when}  runner {} ({}): {} -> {}\n          {}\n",
            t.key.runner,
            d.workload,
            t.from.as_str(),
            t.to.as_str(),
            d.summary
        );
        if t.to.is_bad() {
            if let Some(first) = d.fix.first() {
                text.push_str(&format!("          fix: {first}\n"));
            }
            if let Some(wont) = d.will_not_help.first() {
                text.push_str(&format!("          will not help: {wont}\n"));
            }
        }
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}
