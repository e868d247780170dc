//! Where lines come from: `kube` discovers runner pods through the
//! Kubernetes API and spawns one `follow` task per container; `checkpoint`
//! is the pure resume logic, `positions` keeps it across restarts. Sources send [`SourceEvent`]s into a bounded
//! channel and wait when it is full (backpressure, never a silent drop).

pub mod checkpoint;
pub mod follow;
pub mod kube;
pub mod positions;

use std::sync::Arc;

use crate::line::Origin;

/// One raw line read from a container stream.
#[derive(Debug, Clone)]
pub struct Line {
    /// The stream.
    pub origin: Arc<Origin>,
    /// The bytes, kubelet timestamp included, without the newline.
    pub bytes: Vec<u8>,
    /// Cut at 64 KiB.
    pub truncated: bool,
    /// When it was read (for the line-to-metrics delay).
    pub read_at: std::time::Instant,
    /// Counted by a previous run of runner-medic (read again after its
    /// restart): it rebuilds health but is not counted again.
    pub seen_before: bool,
}

/// What sources tell the pipeline.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// A line.
    Line(Line),
    /// A pod was deleted: its runners' series expire after the TTL unless
    /// they show up in another pod.
    PodGone(Arc<Origin>),
    /// The first list of pods was read (the daemon is ready).
    Synced,
    /// Read positions: sent after the lines they cover, so that the
    /// pipeline records a position only once those lines are counted.
    Position(PositionUpdate),
}

/// A change to the read positions (`watch.state_file`).
#[derive(Debug, Clone)]
pub enum PositionUpdate {
    /// How far a container instance was read.
    Mark(positions::StreamId, checkpoint::Mark),
    /// Instances of a container older than `instance` are done with.
    ForgetBefore {
        /// Pod UID.
        uid: Arc<str>,
        /// Container name.
        container: Arc<str>,
        /// The oldest instance kept.
        instance: i32,
    },
    /// A container of a pod that is gone: nothing of it to resume.
    Forget {
        /// Pod UID.
        uid: Arc<str>,
        /// Container name.
        container: Arc<str>,
    },
}

/// What discovery knows about a pod, shared with its followers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodInfo {
    /// The pod was deleted (or is being deleted).
    pub deleted: bool,
    /// Its containers.
    pub containers: Vec<ContainerInfo>,
}

/// One container's status.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    /// Name.
    pub name: String,
    /// Restarts so far: identifies the current instance.
    pub restart_count: i32,
    /// What it does now.
    pub phase: ContainerPhase,
}

/// A container's state, reduced to what following needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerPhase {
    /// Never started (creating, pulling).
    Waiting,
    /// Running.
    Running,
    /// Exited; waiting to be restarted.
    CrashLoop,
    /// Exited for good.
    Terminated,
}
