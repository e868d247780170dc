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
use crate::remediate::gitlab::Secret;
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
    pub webhook: Option<Secret>,
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
        .map(|token| Webhook {
            token,
            alerts: alerts_tx.clone(),
            metrics: metrics.clone(),
        });
    let state = AdminState::with_webhook(registry, snapshot.clone(), webhook);
    let mut remediation = None;
    if let Some(rc) = config.remediation.clone() {
        let acting = rc.policy.mode == Mode::On;
        // Dry-run takes no lease (it writes nothing); every replica reports.
        let (leader_tx, leader_rx) = watch::channel(!acting);
        let elector = acting.then(|| {
            let e = Elector::new(client.clone(), rc.lease.clone());
            tokio::spawn(e.run(leader_tx, metrics.clone(), token.clone()))
        });
        let io = ControllerIo {
            snapshot: snapshot.clone(),
            leader: leader_rx,
            alerts: alerts_rx,
        };
        let controller = Controller::new(rc, client.clone(), metrics.clone(), io)?;
        remediation = Some((tokio::spawn(controller.run(token.clone())), elector));
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
    let server = tokio::spawn(admin::serve(listener, state.clone(), server_stop.clone()));
    let pipeline_task = tokio::spawn(pipeline.run(rx));
    let source = tokio::spawn(crate::source::kube::run(
        client,
        discovery,
        tx,
        metrics.clone(),
        token.clone(),
    ));
    let saver = positions
        .clone()
        .map(|p| tokio::spawn(save_positions(p, token.clone())));
    let done = tokio::spawn(async move {
        token.cancelled().await;
        state.shutting_down();
        tracing::info!("stopping: closing log streams");
        if let Some((controller, elector)) = remediation {
            let _ = controller.await;
            if let Some(e) = elector {
                let _ = e.await;
            }
        }
        let _ = source.await;
        let _ = pipeline_task.await;
        if let Some(saver) = saver {
            let _ = saver.await;
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
        let _ = server.await;
    });
    Ok(Daemon {
        addr,
        snapshot,
        metrics,
        done,
    })
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
