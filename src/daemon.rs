//! Wiring of the daemon: the Kubernetes source, the pipeline and the admin
//! server, started together and stopped in order (sources first, then the
//! pipeline drains, then the server). Used by `watch` and by `demo`, which
//! points it at the simulated cluster.
//!
//! ```text
//! source::kube (watcher + followers) --mpsc<SourceEvent> (bounded, backpressure)-->
//! pipeline (parse, classify, metrics, health) --mpsc<Change> (try_send, overflow counted)-->
//! consumers (demo narration; remediation)
//! admin server <- registry + watch<Snapshot>
//! followers --marks--> Positions --every 5 s and after the drain--> state file
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::admin::webhook::Webhook;
use crate::admin::{self, AdminState};
use crate::classify::Classifier;
use crate::config::DaemonSettings;
use crate::health::HealthConfig;
use crate::metrics::Metrics;
use crate::pipeline::{Change, Pipeline, PipelineConfig, Snapshot};
use crate::remediate::lease::Elector;
use crate::remediate::policy::Mode;
use crate::remediate::{Controller, ControllerIo, RemediationConfig};
use crate::source::follow::FollowConfig;
use crate::source::kube::DiscoveryConfig;
use crate::source::positions::Positions;

/// Lines buffered between the followers and the pipeline.
const LINE_QUEUE: usize = 8192;

/// How often read positions are written (what a crash may count twice).
const SAVE_POSITIONS_EVERY: Duration = Duration::from_secs(5);

/// A running daemon.
#[derive(Debug)]
pub struct Daemon {
    /// The admin server's address.
    pub addr: SocketAddr,
    /// The pipeline's snapshots.
    pub snapshot: watch::Receiver<Snapshot>,
    /// The metrics handles.
    pub metrics: Metrics,
    /// Ends when everything has stopped.
    pub done: JoinHandle<()>,
    /// Set when a task stopped on its own (a panic, or an unexpected
    /// return): the daemon then stopped, and the process should exit
    /// non-zero so that Kubernetes restarts it.
    pub failure: Arc<std::sync::OnceLock<String>>,
}

/// What the daemon runs on.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// Validated settings.
    pub settings: DaemonSettings,
    /// Compiled rules.
    pub classifier: Classifier,
    /// Health tunables.
    pub health: HealthConfig,
    /// Follower timing beyond the settings (backoff; tests shorten it).
    pub follow: FollowConfig,
    /// Remediation (`None`: off).
    pub remediation: Option<RemediationConfig>,
    /// The Alertmanager webhook's bearer token (`None`: webhook off).
    pub webhook: Option<crate::config::remediation::WebhookSettings>,
}

impl DaemonConfig {
    /// From validated settings.
    pub fn new(
        settings: DaemonSettings,
        classifier: Classifier,
        health: HealthConfig,
    ) -> DaemonConfig {
        let follow = FollowConfig {
            lookback: settings.since,
            silence_timeout: settings.silence_timeout,
            max_age: settings.max_stream_age,
            ..FollowConfig::default()
        };
        DaemonConfig {
            settings,
            classifier,
            health,
            follow,
            remediation: None,
            webhook: None,
        }
    }
}

/// Starts the daemon on `listener`; it stops when `token` is cancelled.
pub fn start(
    client: kube::Client,
    config: DaemonConfig,
    listener: TcpListener,
    changes: Option<mpsc::Sender<Change>>,
    token: CancellationToken,
) -> anyhow::Result<Daemon> {
    let addr = listener.local_addr()?;
    let (registry, metrics) = Metrics::new_registry();
    let s = &config.settings;
    let positions = match &s.state_file {
        Some(path) => Some(Arc::new(Positions::open(path)?)),
        None => None,
    };
    let (tx, rx) = mpsc::channel(LINE_QUEUE);
    let (pipeline, snapshot) = Pipeline::new(
        config.classifier.clone(),
        metrics.clone(),
        PipelineConfig {
            runner_ttl: s.runner_ttl,
            max_runners: s.max_runners,
            health: config.health.clone(),
            positions: positions.clone(),
            ..PipelineConfig::default()
        },
        changes,
    );
    let (alerts_tx, alerts_rx) = mpsc::channel(64);
    if config.webhook.is_some() && config.remediation.is_none() {
        tracing::warn!(
            "a webhook token is set but remediation is off: the Alertmanager webhook stays disabled"
        );
    }
    let webhook = config
        .webhook
        .clone()
        .filter(|_| config.remediation.is_some())
        .map(|w| Webhook {
            token: w.token,
            cluster: w.cluster,
            alerts: alerts_tx.clone(),
            metrics: metrics.clone(),
        });
    let state = AdminState::with_webhook(registry, snapshot.clone(), webhook);
    let failure: Arc<std::sync::OnceLock<String>> = Arc::default();
    let mut tasks = Tasks::default();
    if let Some(rc) = config.remediation.clone() {
        let acting = rc.policy.mode == Mode::On;
        // Dry-run takes no lease (it writes nothing); every replica reports.
        let (leader_tx, leader_rx) = watch::channel(!acting);
        if acting {
            let e = Elector::new(client.clone(), rc.lease.clone());
            tasks.elector = Some(supervised(
                "leader election",
                e.run(leader_tx, metrics.clone(), token.clone()),
            ));
        }
        let io = ControllerIo {
            snapshot: snapshot.clone(),
            leader: leader_rx,
            alerts: alerts_rx,
        };
        let controller = Controller::new(rc, client.clone(), metrics.clone(), io)?;
        tasks.controller = Some(supervised("remediation", controller.run(token.clone())));
    }
    let discovery = DiscoveryConfig {
        namespaces: s.namespaces.clone(),
        selector: s.selector.clone(),
        container: s.container.clone(),
        max_streams: s.max_streams,
        follow: config.follow.clone(),
        positions: positions.clone(),
    };
    let server_stop = CancellationToken::new();
    tasks.server = Some(supervised(
        "admin server",
        admin::serve(listener, state.clone(), server_stop.clone()),
    ));
    tasks.pipeline = Some(supervised("pipeline", pipeline.run(rx)));
    tasks.source = Some(supervised(
        "pod watcher",
        crate::source::kube::run(client, discovery, tx, metrics.clone(), token.clone()),
    ));
    tasks.saver = positions
        .clone()
        .map(|p| supervised("positions writer", save_positions(p, token.clone())));
    let failed = failure.clone();
    let done = tokio::spawn(async move {
        // Every task runs until shutdown: one that ends before is a failure
        // (a panic, or a return nobody planned), not something to ignore
        // while the probes stay green.
        tokio::select! {
            _ = token.cancelled() => {}
            why = tasks.first_exit() => {
                tracing::error!(reason = %why, "a task of the daemon stopped; stopping the daemon so that it is restarted");
                state.failed(&why);
                let _ = failed.set(why);
                token.cancel();
            }
        }
        state.shutting_down();
        tracing::info!("stopping: closing log streams");
        for slot in [
            &mut tasks.controller,
            &mut tasks.elector,
            &mut tasks.source,
            &mut tasks.pipeline,
            &mut tasks.saver,
        ] {
            if let Some((_, t)) = slot.take() {
                let _ = t.await;
            }
        }
        // Every line the followers marked has been counted: a restart
        // resumes exactly here.
        if let Some(p) = positions {
            match p.save() {
                Ok(()) => tracing::info!(streams = p.len(), "read positions saved"),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot save read positions; a restart will count the lookback again")
                }
            }
        }
        tracing::info!("pipeline drained; stopping the admin server");
        server_stop.cancel();
        if let Some((_, server)) = tasks.server.take() {
            let _ = server.await;
        }
    });
    Ok(Daemon {
        addr,
        snapshot,
        metrics,
        done,
        failure,
    })
}

/// A long-running task of the daemon, with its name.
type Task = (&'static str, JoinHandle<()>);

/// The daemon's long-running tasks, each owned here so that none can end
/// unnoticed.
#[derive(Debug, Default)]
struct Tasks {
    controller: Option<Task>,
    elector: Option<Task>,
    source: Option<Task>,
    pipeline: Option<Task>,
    saver: Option<Task>,
    server: Option<Task>,
}

impl Tasks {
    /// Waits until one task ends and says which and how; that task is
    /// removed (it is not awaited again).
    async fn first_exit(&mut self) -> String {
        let mut slots: Vec<&mut Option<Task>> = vec![
            &mut self.controller,
            &mut self.elector,
            &mut self.source,
            &mut self.pipeline,
            &mut self.saver,
            &mut self.server,
        ];
        slots.retain(|s| s.is_some());
        if slots.is_empty() {
            return std::future::pending().await;
        }
        let (result, i, _) = futures::future::select_all(
            slots.iter_mut().filter_map(|s| s.as_mut().map(|(_, h)| h)),
        )
        .await;
        let name = slots[i].take().map_or("a task", |(n, _)| n);
        match result {
            Ok(()) => format!("{name} stopped unexpectedly"),
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                format!("{name} panicked: {msg}")
            }
            Err(e) => format!("{name} was cancelled: {e}"),
        }
    }
}

/// Spawns a daemon task. With `RUNNER_MEDIC_TEST_PANIC=<name>` (tests
/// only: the supervision test kills each task this way), the named task
/// panics a second after it starts; the variable is read once per task.
fn supervised(
    name: &'static str,
    fut: impl std::future::Future<Output = ()> + Send + 'static,
) -> Task {
    let inject = std::env::var("RUNNER_MEDIC_TEST_PANIC").is_ok_and(|v| v == name);
    (
        name,
        tokio::spawn(async move {
            if inject {
                tokio::time::sleep(Duration::from_secs(1)).await;
                panic!("injected by RUNNER_MEDIC_TEST_PANIC");
            }
            fut.await
        }),
    )
}

/// Writes the positions file every few seconds until shutdown (the last
/// write, after the pipeline drained, is the daemon's).
async fn save_positions(positions: Arc<Positions>, token: CancellationToken) {
    let mut tick = tokio::time::interval(SAVE_POSITIONS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tick.tick() => {}
        }
        // Off the runtime thread: serializing a thousand marks would hold
        // up line processing for milliseconds (p99 2.7 -> 8.1 ms measured).
        let p = positions.clone();
        match tokio::task::spawn_blocking(move || p.save()).await {
            Ok(Ok(())) if failing => {
                failing = false;
                tracing::info!("read positions are written again");
            }
            Ok(Err(e)) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot write read positions; retrying every 5 s");
            }
            _ => {}
        }
    }
}

/// Binds the admin address.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, admin::BindError> {
    admin::bind(addr).await
}
