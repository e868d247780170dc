//! One container's log stream, followed for as long as the pod lives:
//! reconnects, container restarts and silences included, nothing counted
//! twice and nothing skipped that the API can still serve.
//!
//! The algorithm (`docs/architecture.md`, "Resume without loss or
//! duplicates"; the kubelet's `GET /api/v1/namespaces/{ns}/pods/{pod}/log`): `follow=true&
//! timestamps=true`; on every reconnect `sinceTime` is the last timestamp
//! truncated to the second and [`Checkpoint`] drops exactly the replayed
//! lines. When the container restarted once, the previous instance's tail
//! is drained with `previous=true` before the new one is followed; more
//! restarts while away are gaps (counted). A stream silent for longer than
//! the silence timeout, or older than the maximum age, is reopened (the
//! kubelet's rotation bugs and 4 h cut-off). 400 "waiting to start" and
//! throttling back off. A deleted pod is read to its end, then the task
//! stops. With a positions file, the first connection after a restart of
//! runner-medic reads from the older of the lookback and the saved mark,
//! and flags the lines up to the mark as seen before.

use std::sync::Arc;
use std::time::Duration;

use futures::AsyncBufReadExt;
use jiff::{Timestamp, ToSpan};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

mod machine;

use machine::{After, Machine, Observed, Step};

use super::checkpoint::{Checkpoint, Resume, Verdict};
use super::positions::{Positions, StreamId};
use super::{ContainerPhase, Line, PodInfo, PositionUpdate, SourceEvent};
use crate::line::{LineSplitter, MAX_LINE_BYTES, Origin};
use crate::metrics::{Metrics, ReconnectReason, StreamState};
use crate::parse::prefix;

/// Timing of a follower.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// How far back to read a container the first time (rebuilds health
    /// after a daemon restart).
    pub lookback: Duration,
    /// Reopen a stream that sent nothing for this long.
    pub silence_timeout: Duration,
    /// Reopen a stream this old, proactively.
    pub max_age: Duration,
    /// First wait after a failure.
    pub backoff_initial: Duration,
    /// Longest wait after failures.
    pub backoff_max: Duration,
}

impl Default for FollowConfig {
    fn default() -> Self {
        FollowConfig {
            lookback: Duration::from_secs(3600),
            silence_timeout: Duration::from_secs(600),
            max_age: Duration::from_secs(3600),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// Everything one follower needs.
pub struct Follower {
    /// The pods API of the pod's namespace.
    pub api: Api<Pod>,
    /// The stream's identity.
    pub origin: Arc<Origin>,
    /// Latest pod state from discovery.
    pub pod: watch::Receiver<Arc<PodInfo>>,
    /// Where lines go.
    pub tx: mpsc::Sender<SourceEvent>,
    /// Metrics.
    pub metrics: Metrics,
    /// Timing.
    pub config: FollowConfig,
    /// Shutdown.
    pub token: CancellationToken,
    /// Stream slots (`max_streams`).
    pub slots: Arc<Semaphore>,
    /// The pod's UID.
    pub uid: Arc<str>,
    /// Read positions kept across restarts (`watch.state_file`).
    pub positions: Option<Arc<Positions>>,
}

/// How often at most a follower records its position (and at every
/// disconnect); also how late after the newest line.
const MARK_EVERY: Duration = Duration::from_secs(1);

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Eof,
    Error,
    Silence,
    MaxAge,
    Cancelled,
    Closed,
}

/// The follower's state for metrics.
struct Gauge<'a> {
    metrics: &'a Metrics,
    state: Option<StreamState>,
}

impl Gauge<'_> {
    fn set(&mut self, to: StreamState) {
        if self.state != Some(to) {
            self.metrics.logs.stream_state(self.state, Some(to));
            self.state = Some(to);
        }
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.metrics.logs.stream_state(self.state, None);
    }
}

impl Follower {
    fn container(&self) -> &str {
        &self.origin.container
    }

    fn phase(&self) -> (bool, Option<(i32, ContainerPhase)>) {
        let info = self.pod.borrow();
        let c = info
            .containers
            .iter()
            .find(|c| c.name == *self.origin.container)
            .map(|c| (c.restart_count, c.phase));
        (info.deleted, c)
    }

    /// Follows the container until its pod is gone or shutdown.
    pub async fn run(self) {
        let span = tracing::info_span!(
            "follow",
            namespace = %self.origin.namespace,
            pod = %self.origin.pod,
            container = %self.origin.container
        );
        let forget = self.positions.is_some().then(|| PositionUpdate::Forget {
            uid: self.uid.clone(),
            container: self.origin.container.clone(),
        });
        let (tx, token) = (self.tx.clone(), self.token.clone());
        self.follow().instrument(span).await;
        // Gone for good (not a shutdown): nothing to resume any more. Sent
        // after its last marks, so that none of them comes back.
        if let Some(f) = forget
            && !token.is_cancelled()
        {
            let _ = tx.send(SourceEvent::Position(f)).await;
        }
    }

    fn stream_id(&self, instance: i32) -> StreamId {
        StreamId {
            namespace: self.origin.namespace.to_string(),
            pod: self.origin.pod.to_string(),
            uid: self.uid.to_string(),
            container: self.origin.container.to_string(),
            instance,
        }
    }

    /// Sends how far `id` was read, behind the lines already sent.
    async fn send_mark(&self, id: Option<&StreamId>, cp: &Checkpoint) {
        if self.positions.is_some()
            && let (Some(id), Some(mark)) = (id, cp.mark())
        {
            let update = PositionUpdate::Mark(id.clone(), mark);
            let _ = self.tx.send(SourceEvent::Position(update)).await;
        }
    }

    /// Sends that instances older than `instance` are done with (behind
    /// the marks already sent, so that none of them comes back).
    async fn forget_before(&self, instance: i32) {
        if self.positions.is_some() {
            let update = PositionUpdate::ForgetBefore {
                uid: self.uid.clone(),
                container: self.origin.container.clone(),
                instance,
            };
            let _ = self.tx.send(SourceEvent::Position(update)).await;
        }
    }

    /// The `sinceTime` of an instance's first read: the lookback (health
    /// needs it), or the previous run's mark when that is older (nothing
    /// lost while runner-medic was down).
    fn first_since(&self, resume: Option<&Resume>) -> Timestamp {
        let lookback = self.lookback_start();
        resume.map_or(lookback, |r| r.since().min(lookback))
    }

    /// What the pod says about the container now.
    fn observe(&self) -> Observed {
        let (deleted, container) = self.phase();
        Observed { deleted, container }
    }

    /// The loop around [`Machine`]: it decides, this carries out.
    async fn follow(mut self) {
        let metrics = self.metrics.clone();
        let mut gauge = Gauge {
            metrics: &metrics,
            state: None,
        };
        gauge.set(StreamState::queued);
        let slots = self.slots.clone();
        let _slot = tokio::select! {
            p = slots.acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = self.token.cancelled() => return,
        };
        let mut m = Machine::new(self.config.backoff_initial, self.config.backoff_max);
        let mut cp = Checkpoint::new();
        // What the previous run of runner-medic read of the current instance.
        let mut resume: Option<Resume> = None;
        loop {
            if self.token.is_cancelled() {
                return;
            }
            let now = self.observe();
            // A new container instance: drain the old one, then start afresh.
            if let Some(r) = m.restarted(now) {
                metrics.logs.reconnect(ReconnectReason::restart);
                if r.drain {
                    let since = cp
                        .since()
                        .or_else(|| r.first.then(|| self.first_since(resume.as_ref())));
                    let old = self.stream_id(r.from);
                    self.drain_previous(&mut cp, since, &mut resume, true, &old)
                        .await;
                    if self.token.is_cancelled() {
                        return; // the old instance's mark stays for the next run
                    }
                } else {
                    // Instances in between were never served: their logs are gone.
                    metrics.logs.gaps(r.gaps);
                    tracing::warn!(
                        missed = r.gaps,
                        "container restarted more than once while away"
                    );
                }
                cp = Checkpoint::new();
                resume = None;
                // The previous instance's mark stays: the next run replays
                // that instance into health only.
                self.forget_before(r.to - 1).await;
            }
            if let Some(previous) = m.found_restarted(now) {
                // Found restarted (a crash loop, or a restart while
                // runner-medic was down): what the previous instance wrote
                // within the lookback, or after the previous run's mark,
                // comes first (a crash's last words are often the diagnosis).
                let mut prev = self
                    .positions
                    .as_ref()
                    .and_then(|p| p.resume(&self.stream_id(previous)));
                if let Some(p) = &self.positions
                    && let Some(k) = p.last_instance(&self.uid, self.container())
                    && k < previous
                {
                    // Instances that came and went while runner-medic was down.
                    metrics.logs.gaps((previous - k) as u64);
                }
                let since = self.first_since(prev.as_ref());
                let marked = prev.is_some();
                let old = self.stream_id(previous);
                self.drain_previous(&mut Checkpoint::new(), Some(since), &mut prev, marked, &old)
                    .await;
                if self.token.is_cancelled() {
                    return;
                }
            }
            if m.instance().is_none()
                && let (Some(p), Some((restarts, _))) = (&self.positions, now.container)
            {
                resume = p.resume(&self.stream_id(restarts));
                self.forget_before(restarts - 1).await;
                if resume.is_some() {
                    tracing::debug!("resuming where the previous run stopped");
                }
            }
            match m.step(now) {
                Step::Stop => {
                    tracing::debug!(
                        "the container left the pod, or its deleted pod was read to its end"
                    );
                    return;
                }
                Step::Wait => {
                    gauge.set(StreamState::waiting);
                    if !self.wait_for_change(Duration::from_secs(30)).await {
                        return;
                    }
                    continue;
                }
                Step::Read => {}
            }
            let Some(instance) = m.instance() else {
                return; // `step` said Read: there is an instance
            };
            let since = cp
                .since()
                .or_else(|| m.first().then(|| self.first_since(resume.as_ref())));
            let params = LogParams {
                container: Some(self.container().to_owned()),
                follow: true,
                timestamps: true,
                since_time: since,
                ..LogParams::default()
            };
            let after = match self.api.log_stream(&self.origin.pod, &params).await {
                Ok(stream) => {
                    gauge.set(StreamState::following);
                    m.connected();
                    cp.reconnect();
                    let id = self.stream_id(instance);
                    let (ended, read_any) =
                        self.read(stream, &mut cp, &mut resume, Some(&id)).await;
                    let after = m.ended(ended, read_any, self.observe());
                    match ended {
                        Ended::Error => metrics.logs.reconnect(ReconnectReason::error),
                        Ended::Silence => metrics.logs.reconnect(ReconnectReason::silence),
                        Ended::MaxAge => metrics.logs.reconnect(ReconnectReason::max_age),
                        Ended::Eof if matches!(after, After::Recheck(_)) => {
                            metrics.logs.reconnect(ReconnectReason::eof)
                        }
                        _ => {}
                    }
                    after
                }
                Err(e) => {
                    let (reason, gone) = classify_error(&e);
                    if !gone {
                        metrics.logs.reconnect(reason);
                        tracing::debug!(error = %e, ?reason, "log request failed");
                    }
                    m.connect_failed(gone)
                }
            };
            match after {
                After::Stop => return,
                After::Again => {}
                After::Backoff(wait) => {
                    gauge.set(StreamState::backoff);
                    if !self.sleep(wait).await {
                        return;
                    }
                }
                After::Recheck(wait) => {
                    if !self.sleep(wait).await {
                        return;
                    }
                    // Still running as far as we know: maybe the watch has
                    // not told us yet. Reconnect, or take it as read to its end.
                    m.recheck(self.observe());
                }
            }
        }
    }

    /// Reads one connection until it ends. Returns why, and whether any
    /// byte arrived.
    async fn read(
        &mut self,
        stream: impl futures::AsyncBufRead + Unpin,
        cp: &mut Checkpoint,
        resume: &mut Option<Resume>,
        id: Option<&StreamId>,
    ) -> (Ended, bool) {
        let ended = self.read_lines(stream, cp, resume, id).await;
        // While the previous run's lines are replayed, its mark is ahead of
        // ours: publishing ours would move it back.
        if resume.is_none() {
            self.send_mark(id, cp).await;
        }
        ended
    }

    async fn read_lines(
        &mut self,
        stream: impl futures::AsyncBufRead + Unpin,
        cp: &mut Checkpoint,
        resume: &mut Option<Resume>,
        id: Option<&StreamId>,
    ) -> (Ended, bool) {
        let mut stream = stream;
        let mut splitter = LineSplitter::new(MAX_LINE_BYTES + 64);
        let mut dates = prefix::DateCache::default();
        let mut read_any = false;
        let mut pending: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut dedup = 0u64;
        // Two timers for the whole connection. The silence one is not moved
        // on every read (a timer-wheel update per line for a thousand
        // streams): reads note their time, and when it fires it is re-armed
        // from the last read, or ends the connection.
        let max_age = tokio::time::sleep(self.config.max_age);
        tokio::pin!(max_age);
        let silence = tokio::time::sleep(self.config.silence_timeout);
        tokio::pin!(silence);
        let mut last_read = Instant::now();
        // One cancellation future for the connection, not one per read.
        let cancelled = self.token.cancelled();
        tokio::pin!(cancelled);
        // The position is published at most once a second, and at most a
        // second after the newest line (a stream that goes quiet must not
        // leave a stale mark for the positions file).
        let mark = tokio::time::sleep(MARK_EVERY);
        tokio::pin!(mark);
        let mut mark_pending = false;
        loop {
            let n = tokio::select! {
                _ = &mut cancelled => return (Ended::Cancelled, read_any),
                _ = &mut max_age => return (Ended::MaxAge, read_any),
                _ = &mut silence => {
                    let quiet_until = last_read + self.config.silence_timeout;
                    if Instant::now() >= quiet_until {
                        return (Ended::Silence, read_any);
                    }
                    silence.as_mut().reset(quiet_until);
                    continue;
                }
                _ = &mut mark, if mark_pending => {
                    mark_pending = false;
                    self.send_mark(id, cp).await;
                    continue;
                }
                // The client's own buffer (no copy, no buffer of ours: a
                // thousand streams must fit in tens of MiB).
                r = stream.fill_buf() => match r {
                    Err(_) => return (Ended::Error, read_any),
                    Ok([]) => return (Ended::Eof, read_any),
                    Ok(chunk) => {
                        splitter.push(chunk, |line, truncated| pending.push((line.to_vec(), truncated)));
                        chunk.len()
                    }
                },
            };
            stream.consume_unpin(n);
            last_read = Instant::now();
            read_any = true;
            for (line, truncated) in pending.drain(..) {
                let at = prefix::timestamp_cached(&line, &mut dates).map(|(t, _)| t);
                match cp.admit(at, &line) {
                    Verdict::Replay => dedup += 1,
                    Verdict::Keep => {
                        let seen_before = resume.as_mut().is_some_and(|r| r.was_read(at, &line));
                        if !seen_before {
                            *resume = None; // the first new line ends the resume
                        }
                        let ev = SourceEvent::Line(Line {
                            origin: self.origin.clone(),
                            bytes: line,
                            truncated,
                            read_at: std::time::Instant::now(),
                            seen_before,
                        });
                        // Backpressure: wait for the pipeline, never drop.
                        if self.tx.send(ev).await.is_err() {
                            return (Ended::Closed, read_any);
                        }
                    }
                }
            }
            if dedup > 0 {
                self.metrics.logs.deduplicated(dedup);
                dedup = 0;
            }
            if self.positions.is_some() && id.is_some() && resume.is_none() && !mark_pending {
                mark.as_mut().reset(Instant::now() + MARK_EVERY);
                mark_pending = true;
            }
        }
    }

    /// Reads what the previous instance (`old`) wrote since `since` (`None`:
    /// all of it). A log that cannot be read is a gap when `missed_is_gap`
    /// (we had read part of it, so something is lost). Its mark is kept up
    /// to date, so a shutdown in the middle resumes it next time.
    async fn drain_previous(
        &mut self,
        cp: &mut Checkpoint,
        since: Option<Timestamp>,
        resume: &mut Option<Resume>,
        missed_is_gap: bool,
        old: &StreamId,
    ) {
        let params = LogParams {
            container: Some(self.container().to_owned()),
            previous: true,
            timestamps: true,
            since_time: since,
            ..LogParams::default()
        };
        match self.api.log_stream(&self.origin.pod, &params).await {
            Ok(stream) => {
                cp.reconnect();
                let (ended, _) = self.read(stream, cp, resume, Some(old)).await;
                if ended == Ended::Error && missed_is_gap {
                    self.metrics.logs.gaps(1);
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "previous container log unavailable");
                if missed_is_gap {
                    self.metrics.logs.gaps(1);
                }
            }
        }
    }

    /// The start of the lookback window, truncated to the second.
    fn lookback_start(&self) -> Timestamp {
        let t = Timestamp::now()
            .checked_sub((self.config.lookback.as_secs() as i64).seconds())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        truncate(t)
    }

    /// Waits for a pod change (or `max`); false on shutdown or when the
    /// pod's channel closed.
    async fn wait_for_change(&mut self, max: Duration) -> bool {
        tokio::select! {
            r = self.pod.changed() => r.is_ok(),
            _ = tokio::time::sleep(max) => true,
            _ = self.token.cancelled() => false,
        }
    }

    async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.token.cancelled() => false,
        }
    }
}

/// `ts` truncated to the second (kube would round it).
fn truncate(ts: Timestamp) -> Timestamp {
    ts.checked_sub(i64::from(ts.subsec_nanosecond()).nanoseconds())
        .unwrap_or(ts)
}

/// The reconnect reason for a failed log request, and whether the pod is gone.
fn classify_error(e: &kube::Error) -> (ReconnectReason, bool) {
    match e {
        kube::Error::Api(s) if s.code == 404 => (ReconnectReason::error, true),
        kube::Error::Api(s) if s.code == 400 => (ReconnectReason::waiting, false),
        kube::Error::Api(s) if s.code == 429 || s.code >= 500 => {
            (ReconnectReason::throttled, false)
        }
        _ => (ReconnectReason::error, false),
    }
}
