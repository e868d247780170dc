//! Plays scripted pods into the simulated cluster in real time: each line
//! is written when its (scaled) offset from the script's start is reached,
//! stamped with the current time, as a container runtime would.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::cluster::Cluster;
use super::scenario::ScriptLine;

/// A step of a live pod.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these lines, paced by their timestamps divided by `speed`.
    Lines(Vec<ScriptLine>),
    /// Wait.
    Sleep(Duration),
    /// The container exits and is restarted.
    Restart,
    /// The container exits and is not restarted yet (CrashLoopBackOff).
    Crash,
}

/// Where a live pod writes.
#[derive(Debug, Clone)]
pub struct Target {
    /// The cluster.
    pub cluster: Arc<Cluster>,
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
}

/// Runs `steps` (time scaled by `speed`: 10.0 plays ten times faster) until
/// done or cancelled.
pub async fn play(target: Target, steps: Vec<Step>, speed: f64, token: CancellationToken) {
    let speed = if speed > 0.0 { speed } else { 1.0 };
    for step in steps {
        match step {
            Step::Lines(lines) => {
                let Some(first) = lines.first().map(|l| l.at) else {
                    continue;
                };
                let start = tokio::time::Instant::now();
                for l in lines {
                    let offset = l.at.duration_since(first).as_secs_f64().max(0.0) / speed;
                    let when = start + Duration::from_secs_f64(offset);
                    tokio::select! {
                        _ = tokio::time::sleep_until(when) => {}
                        _ = token.cancelled() => return,
                    }
                    let now = Timestamp::now();
                    target.cluster.append(
                        &target.namespace,
                        &target.pod,
                        &target.container,
                        now,
                        &l.text_at(now),
                    );
                }
            }
            Step::Sleep(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d.div_f64(speed)) => {}
                    _ = token.cancelled() => return,
                }
            }
            Step::Restart => target.cluster.restart_container(
                &target.namespace,
                &target.pod,
                &target.container,
                false,
            ),
            Step::Crash => target.cluster.restart_container(
                &target.namespace,
                &target.pod,
                &target.container,
                true,
            ),
        }
    }
}
