//! A simulated cluster plus an in-process daemon, and runner log lines to
//! write into its pods.

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
use runner_medic::sim::render::{Entry, Style, render};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::NS;

pub struct Harness {
    pub kube: FakeKube,
    pub daemon: Daemon,
    pub token: CancellationToken,
    pub changes: mpsc::Receiver<Change>,
}

/// Daemon settings for tests: namespace [`NS`], any free port, a 1 h
/// lookback, a 2 s silence timeout, then `adjust`.
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

/// An empty simulated cluster (bookmarks every 500 ms).
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

/// Starts an in-process daemon with `settings` against `client`: the
/// built-in rules, fast stream back-off (100 to 400 ms), then `adjust`;
/// state changes go to `changes`. The daemon and the token that stops it,
/// or why it did not start.
pub async fn try_launch(
    client: kube::Client,
    settings: DaemonSettings,
    adjust: impl FnOnce(&mut DaemonConfig),
    changes: Option<mpsc::Sender<Change>>,
) -> Result<(Daemon, CancellationToken), String> {
    let listener = daemon::bind(settings.listen).await.unwrap();
    let mut config = DaemonConfig::new(settings, Classifier::builtin(), HealthConfig::default());
    config.follow.backoff_initial = Duration::from_millis(100);
    config.follow.backoff_max = Duration::from_millis(400);
    adjust(&mut config);
    let token = CancellationToken::new();
    let d = daemon::start(client, config, listener, changes, token.clone())
        .map_err(|e| e.to_string())?;
    Ok((d, token))
}

/// [`try_launch`], which must succeed.
pub async fn launch(
    client: kube::Client,
    settings: DaemonSettings,
    adjust: impl FnOnce(&mut DaemonConfig),
    changes: Option<mpsc::Sender<Change>>,
) -> (Daemon, CancellationToken) {
    try_launch(client, settings, adjust, changes).await.unwrap()
}

/// Starts a daemon against `kube`, its changes kept in [`Harness::changes`].
pub async fn start(kube: FakeKube, s: DaemonSettings) -> Harness {
    let (tx, changes) = mpsc::channel(1024);
    let (daemon, token) = launch(kube.client().unwrap(), s, |_| {}, Some(tx)).await;
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

/// `Checking for jobs... forbidden` (403) of `runner`.
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

/// `Checking for jobs... received` (job `job`) of `runner`.
pub fn received(runner: &str, job: i64) -> String {
    let e = Entry::new(Level::Info, "Checking for jobs... received")
        .field("runner", runner)
        .field("job", job);
    render(&e, Style::Runner { colours: true })
        .trim_end_matches('\n')
        .to_owned()
}

/// `base + ms` milliseconds.
pub fn at(base: Timestamp, ms: i64) -> Timestamp {
    base.checked_add(jiff::SignedDuration::from_millis(ms))
        .unwrap()
}

/// Appends `line` at `at` to `container` of `pod`.
pub fn write(kube: &FakeKube, pod: &str, container: &str, at: Timestamp, line: &str) {
    kube.cluster.append(NS, pod, container, at, line);
}
