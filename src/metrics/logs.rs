//! Reading the logs: lines and bytes, streams and their reconnects, gaps,
//! queues, the line-to-metrics delay, the pods followed.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Why a log stream was reopened.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, missing_docs)]
pub enum ReconnectReason {
    /// The connection failed or was cut.
    error,
    /// The stream ended while the container still ran (kubelet restart,
    /// its 4 h limit, log rotation).
    eof,
    /// No byte for longer than the silence timeout.
    silence,
    /// Proactive reconnect after the maximum stream age.
    max_age,
    /// The container restarted: the next instance is followed.
    restart,
    /// The API answered 400: the container is waiting to start.
    waiting,
    /// The API answered 429 or 5xx.
    throttled,
}

impl ReconnectReason {
    /// Every reason.
    pub const ALL: [ReconnectReason; 7] = [
        ReconnectReason::error,
        ReconnectReason::eof,
        ReconnectReason::silence,
        ReconnectReason::max_age,
        ReconnectReason::restart,
        ReconnectReason::waiting,
        ReconnectReason::throttled,
    ];
}

/// [`ReconnectReason`] as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// The reason.
    pub reason: ReconnectReason,
}

/// What a container stream is doing.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, missing_docs)]
pub enum StreamState {
    /// Connected and reading.
    following,
    /// Waiting for a free stream slot (`max_streams`).
    queued,
    /// Waiting before a reconnect after a log API error.
    backoff,
    /// The container is not running (waiting to start, crash-looping):
    /// nothing to read until it starts.
    waiting,
}

impl StreamState {
    /// Every state.
    pub const ALL: [StreamState; 4] = [
        StreamState::following,
        StreamState::queued,
        StreamState::backoff,
        StreamState::waiting,
    ];
}

/// [`StreamState`] as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StreamLabels {
    /// The state.
    pub state: StreamState,
}

/// A bounded queue that counts what it could not take.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, missing_docs)]
pub enum Channel {
    /// State transitions on their way to remediation.
    transitions,
}

/// [`Channel`] as a label set.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    /// The channel.
    pub channel: Channel,
}

/// The log families.
#[derive(Debug, Clone)]
pub struct LogMetrics {
    lines: Counter,
    bytes: Counter,
    truncated: Counter,
    invalid_utf8: Counter,
    deduplicated: Counter,
    resumed: Counter,
    reconnects: Family<ReasonLabels, Counter>,
    streams: Family<StreamLabels, Gauge>,
    gaps: Counter,
    overflows: Family<ChannelLabels, Counter>,
    line_delay: Histogram,
    pods: Gauge,
}

impl LogMetrics {
    pub(super) fn new() -> LogMetrics {
        LogMetrics {
            lines: Counter::default(),
            bytes: Counter::default(),
            truncated: Counter::default(),
            invalid_utf8: Counter::default(),
            deduplicated: Counter::default(),
            resumed: Counter::default(),
            reconnects: Family::default(),
            streams: Family::default(),
            gaps: Counter::default(),
            overflows: Family::default(),
            // 100 µs .. ~6.5 s
            line_delay: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.0001, 3.0, 11,
            )),
            pods: Gauge::default(),
        }
    }

    /// `log_lines`, registered before every other family: the pipeline
    /// counts a line last, so a scrape that sees log_lines_total = N also
    /// sees the effects of those N lines.
    pub(super) fn register_lines(&self, r: &mut Registry) {
        r.register(
            "log_lines",
            "Log lines read from all streams",
            self.lines.clone(),
        );
    }

    /// The other log families, with every known label set at 0.
    pub(super) fn register(&self, r: &mut Registry) {
        r.register_with_unit(
            "log",
            "Log bytes read from all streams",
            Unit::Bytes,
            self.bytes.clone(),
        );
        r.register(
            "log_lines_truncated",
            "Log lines longer than 64 KiB, cut",
            self.truncated.clone(),
        );
        r.register(
            "log_lines_invalid_utf8",
            "Log lines that were not valid UTF-8 (decoded lossily)",
            self.invalid_utf8.clone(),
        );
        r.register(
            "log_lines_deduplicated",
            "Lines the log API sent again after a reconnect, dropped",
            self.deduplicated.clone(),
        );
        r.register(
            "log_lines_resumed",
            "Lines a previous run had counted, read again after a restart to rebuild health and not counted again",
            self.resumed.clone(),
        );
        r.register(
            "log_stream_reconnects",
            "Container log streams reopened, by reason",
            self.reconnects.clone(),
        );
        r.register(
            "log_streams",
            "Container log streams, by state",
            self.streams.clone(),
        );
        r.register(
            "log_gaps",
            "Container instances whose logs could not be read (restarted twice while away)",
            self.gaps.clone(),
        );
        r.register(
            "channel_overflows",
            "Items a full internal queue had to drop",
            self.overflows.clone(),
        );
        r.register_with_unit(
            "log_line_delay",
            "Time from reading a line to its effect on the metrics",
            Unit::Seconds,
            self.line_delay.clone(),
        );
        r.register(
            "watched_pods",
            "Runner pods being followed",
            self.pods.clone(),
        );
        for state in StreamState::ALL {
            let _ = self.streams.get_or_create(&StreamLabels { state });
        }
        for reason in ReconnectReason::ALL {
            let _ = self.reconnects.get_or_create(&ReasonLabels { reason });
        }
        let _ = self.overflows.get_or_create(&ChannelLabels {
            channel: Channel::transitions,
        });
    }

    /// A line was read from a stream.
    pub fn line_read(&self, bytes: usize, truncated: bool, invalid_utf8: bool) {
        self.lines.inc();
        self.bytes.inc_by(bytes as u64 + 1);
        if truncated {
            self.truncated.inc();
        }
        if invalid_utf8 {
            self.invalid_utf8.inc();
        }
    }

    /// A line's effect is visible `secs` after it was read.
    pub fn line_processed(&self, secs: f64) {
        self.line_delay.observe(secs);
    }

    /// A line counted by a previous run was replayed into health only.
    pub fn resumed(&self) {
        self.resumed.inc();
    }

    /// Replayed lines were dropped after a reconnect.
    pub fn deduplicated(&self, n: u64) {
        self.deduplicated.inc_by(n);
    }

    /// A stream was reopened.
    pub fn reconnect(&self, reason: ReconnectReason) {
        self.reconnects
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// A stream changed state (`from` is `None` for a new stream, `to` is
    /// `None` for a stream that ended).
    pub fn stream_state(&self, from: Option<StreamState>, to: Option<StreamState>) {
        if let Some(state) = from {
            self.streams.get_or_create(&StreamLabels { state }).dec();
        }
        if let Some(state) = to {
            self.streams.get_or_create(&StreamLabels { state }).inc();
        }
    }

    /// Container instances whose logs are lost.
    pub fn gaps(&self, n: u64) {
        self.gaps.inc_by(n);
    }

    /// Number of pods followed.
    pub fn pods(&self, n: usize) {
        self.pods.set(n as i64);
    }

    /// A queue dropped an item.
    pub fn overflow(&self, channel: Channel) {
        self.overflows
            .get_or_create(&ChannelLabels { channel })
            .inc();
    }
}
