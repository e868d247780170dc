//! A simulated cluster plus an in-process daemon, and small helpers to
//! read its metrics over a real socket.

use std::net::SocketAddr;
use std::time::Duration;

use jiff::Timestamp;
use runner_medic::classify::Classifier;
use runner_medic::config::{DaemonOverrides, DaemonSettings, FileConfig};
use runner_medic::daemon::{self, Daemon, DaemonConfig};
use runner_medic::event::Level;
use runner_medic::health::HealthConfig;
use runner_medic::pipeline::Change;
use runner_medic::sim::cluster::{Cluster, PodTemplate};
use runner_medic::sim::kube::{FakeKube, Options};
use runner_medic::sim::render::{Entry, Style, kube_prefix, render};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub const NS: &str = "gitlab-runner";

pub struct Harness {
    pub kube: FakeKube,
    pub daemon: Daemon,
    pub token: CancellationToken,
    pub changes: mpsc::Receiver<Change>,
}

/// Daemon settings for tests: fast timeouts.
pub fn settings(adjust: impl FnOnce(&mut DaemonOverrides)) -> DaemonSettings {
    let mut o = DaemonOverrides {
        namespaces: vec![NS.into()],
        listen: Some("127.0.0.1:0".into()),
        since: Some("1h".into()),
        silence_timeout: Some("2s".into()),
        ..DaemonOverrides::default()
    };
    adjust(&mut o);
    let mut problems = Vec::new();
    let s = DaemonSettings::resolve(&o, &FileConfig::default(), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    s
}

pub async fn cluster() -> FakeKube {
    FakeKube::start(
        Cluster::new(),
        Options {
            bookmark_interval: Duration::from_millis(500),
        },
    )
    .await
    .unwrap()
}

/// Starts a daemon against `kube`.
pub async fn start(kube: FakeKube, s: DaemonSettings) -> Harness {
    let listener = daemon::bind(s.listen).await.unwrap();
    let token = CancellationToken::new();
    let (tx, changes) = mpsc::channel(1024);
    let mut config = DaemonConfig::new(s, Classifier::builtin(), HealthConfig::default());
    config.follow.backoff_initial = Duration::from_millis(100);
    config.follow.backoff_max = Duration::from_millis(400);
    let daemon = daemon::start(
        kube.client().unwrap(),
        config,
        listener,
        Some(tx),
        token.clone(),
    )
    .unwrap();
    Harness {
        kube,
        daemon,
        token,
        changes,
    }
}

/// Adds a runner pod of Deployment `deployment`.
pub fn add_pod(kube: &FakeKube, deployment: &str, suffix: &str) -> String {
    let t = PodTemplate::runner(NS, deployment, "7d9c6b5f4", suffix);
    let name = t.name.clone();
    kube.cluster.add_pod(t);
    name
}

/// A runner-format line (coloured), without timestamp.
pub fn runner_line(level: Level, msg: &str, runner: &str) -> String {
    let e = Entry::new(level, msg).field("runner", runner);
    render(&e, Style::Runner { colours: true })
        .trim_end_matches('\n')
        .to_owned()
}

pub fn forbidden(runner: &str) -> String {
    let e = Entry::new(Level::Error, "Checking for jobs... forbidden")
        .field("runner", runner)
        .field(
            "status",
            "POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
        );
    render(&e, Style::Runner { colours: true })
        .trim_end_matches('\n')
        .to_owned()
}

pub fn received(runner: &str, job: i64) -> String {
    let e = Entry::new(Level::Info, "Checking for jobs... received")
        .field("runner", runner)
        .field("job", job);
    render(&e, Style::Runner { colours: true })
        .trim_end_matches('\n')
        .to_owned()
}

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// `base + ms` milliseconds.
pub fn at(base: Timestamp, ms: i64) -> Timestamp {
    base.checked_add(jiff::SignedDuration::from_millis(ms))
        .unwrap()
}

pub fn write(kube: &FakeKube, pod: &str, container: &str, at: Timestamp, line: &str) {
    kube.cluster.append(NS, pod, container, at, line);
}

/// `GET path` over a fresh TCP connection; (status, body).
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of one series in an OpenMetrics text (`name{labels}`), if present.
pub fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Polls `/metrics` until `check` passes (10 s at most); returns the text.
pub async fn wait_metrics(addr: SocketAddr, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, text) = get(addr, "/metrics").await;
        if check(&text) {
            return text;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}; /metrics was:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `runner_medic_log_events_total` for a runner and class.
pub fn events(metrics: &str, workload: &str, runner: &str, class: &str) -> Option<f64> {
    value(
        metrics,
        &format!(
            "runner_medic_log_events_total{{namespace=\"{NS}\",workload=\"{workload}\",runner=\"{runner}\",class=\"{class}\"}}"
        ),
    )
}

pub fn state_is(metrics: &str, runner: &str, state: &str) -> bool {
    metrics.lines().any(|l| {
        l.starts_with("runner_medic_runner_state{")
            && l.contains(&format!("runner=\"{runner}\",state=\"{state}\""))
            && l.ends_with(" 1")
    })
}

/// The kubelet prefix of `t`.
pub fn stamped(t: Timestamp, line: &str) -> String {
    format!("{}{line}", kube_prefix(t))
}
