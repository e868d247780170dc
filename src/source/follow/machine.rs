//! The follower's decisions, without I/O: given what the pod says about the
//! container and how the last connection ended, what to do next. The async
//! shell in `follow.rs` carries the decisions out (drains, requests,
//! sleeps) and reports back; every case is unit-tested below.

use std::time::Duration;

use super::Ended;
use crate::source::ContainerPhase;

/// What the pod says about the followed container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Observed {
    /// The pod is being deleted.
    pub deleted: bool,
    /// The container's restart count and phase; `None`: not in the pod.
    pub container: Option<(i32, ContainerPhase)>,
}

/// The container restarted while it was followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Restart {
    /// The instance that was followed.
    pub from: i32,
    /// The instance now running.
    pub to: i32,
    /// Restarted exactly once: the previous instance's tail can still be
    /// read (`previous=true`) and must be.
    pub drain: bool,
    /// Instances that came and went in between: their logs are gone.
    pub gaps: u64,
    /// No stream was opened on `from` before it stopped: its drain starts
    /// at the lookback (or the previous run's mark), as a first read does.
    pub first: bool,
}

/// What to do after looking at the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// The container left the pod, or its deleted pod was read to its end.
    Stop,
    /// Nothing to read until the pod changes (waiting to start, crash-looping,
    /// or finished and read to its end).
    Wait,
    /// Open a stream on the current instance.
    Read,
}

/// What to do after a connection ended or could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum After {
    /// Done: shutdown, the pipeline closed, or the pod is gone.
    Stop,
    /// Look at the pod again at once.
    Again,
    /// Wait this long (backing off), then look at the pod again.
    Backoff(Duration),
    /// The stream ended while the container still runs: wait this long, then
    /// [`Machine::recheck`] whether it really does.
    Recheck(Duration),
}

/// The follower's state between connections.
#[derive(Debug, Clone)]
pub(super) struct Machine {
    /// The instance (restart count) being followed; `None` before the first look.
    instance: Option<i32>,
    /// No connection was made yet to this follower's first instance: its
    /// first read starts at the lookback (or the previous run's mark).
    first: bool,
    /// The current instance was read to its end.
    eof_on_instance: Option<i32>,
    backoff: Duration,
    backoff_initial: Duration,
    backoff_max: Duration,
}

impl Machine {
    /// A follower that has not looked at its pod yet.
    pub fn new(backoff_initial: Duration, backoff_max: Duration) -> Machine {
        Machine {
            instance: None,
            first: true,
            eof_on_instance: None,
            backoff: backoff_initial,
            backoff_initial,
            backoff_max,
        }
    }

    /// Whether the next read is this follower's very first.
    pub fn first(&self) -> bool {
        self.first
    }

    /// The instance being followed.
    pub fn instance(&self) -> Option<i32> {
        self.instance
    }

    /// The container restarted since the last look (`None` at the first
    /// look, or when it did not). The caller drains and resets its
    /// checkpoint before calling [`Machine::step`].
    pub fn restarted(&mut self, now: Observed) -> Option<Restart> {
        let (restarts, _) = now.container?;
        let from = self.instance?;
        if restarts <= from {
            return None;
        }
        let first = std::mem::replace(&mut self.first, false);
        self.eof_on_instance = None;
        self.instance = Some(restarts);
        Some(Restart {
            from,
            to: restarts,
            drain: restarts == from + 1,
            gaps: (restarts - from - 1) as u64,
            first,
        })
    }

    /// The first look found the container already restarted: the instance
    /// whose tail comes first (a crash's last words are often the diagnosis).
    pub fn found_restarted(&self, now: Observed) -> Option<i32> {
        match (self.instance, now.container) {
            (None, Some((restarts, _))) if restarts > 0 => Some(restarts - 1),
            _ => None,
        }
    }

    /// What to do with the container as the pod now describes it.
    pub fn step(&mut self, now: Observed) -> Step {
        let Some((restarts, phase)) = now.container else {
            return Step::Stop;
        };
        // A restart was taken by `restarted` first; otherwise the pod's
        // count is the instance (as it is at the first look).
        self.instance = Some(restarts);
        let instance = restarts;
        let read_to_end = self.eof_on_instance == Some(instance);
        if now.deleted && (read_to_end || phase != ContainerPhase::Running) {
            return Step::Stop;
        }
        match phase {
            ContainerPhase::Running | ContainerPhase::Terminated if !read_to_end => Step::Read,
            _ => Step::Wait,
        }
    }

    /// A stream was opened.
    pub fn connected(&mut self) {
        self.first = false;
    }

    /// Opening a stream failed; `gone`: the pod no longer exists.
    pub fn connect_failed(&mut self, gone: bool) -> After {
        if gone {
            return After::Stop;
        }
        self.back_off()
    }

    /// A connection ended as `ended`, having read something when
    /// `read_any`; `now` is the pod's state at that moment.
    pub fn ended(&mut self, ended: Ended, read_any: bool, now: Observed) -> After {
        if read_any {
            self.backoff = self.backoff_initial;
        }
        match ended {
            Ended::Cancelled | Ended::Closed => After::Stop,
            Ended::Error => self.back_off(),
            Ended::Silence | Ended::MaxAge => After::Again,
            Ended::Eof => {
                // The container stopped, the pod went away, or the kubelet
                // ended the stream; the pod's state tells which.
                if self.still_running(now) {
                    After::Recheck(self.backoff_initial)
                } else {
                    self.eof_on_instance = self.instance;
                    After::Again
                }
            }
        }
    }

    /// After [`After::Recheck`]: true to reconnect (the container really
    /// still runs: the watch may just not have told us yet); false when the
    /// instance is now taken as read to its end.
    pub fn recheck(&mut self, now: Observed) -> bool {
        if matches!((now.container, self.instance), (Some((r, ContainerPhase::Running)), Some(i)) if r == i)
        {
            return true;
        }
        self.eof_on_instance = self.instance;
        false
    }

    fn still_running(&self, now: Observed) -> bool {
        !now.deleted
            && matches!((now.container, self.instance), (Some((r, ContainerPhase::Running)), Some(i)) if r == i)
    }

    fn back_off(&mut self) -> After {
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(self.backoff_max);
        After::Backoff(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContainerPhase::*;

    const INITIAL: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(4);

    fn pod(restarts: i32, phase: ContainerPhase) -> Observed {
        Observed {
            deleted: false,
            container: Some((restarts, phase)),
        }
    }

    fn deleted(restarts: i32, phase: ContainerPhase) -> Observed {
        Observed {
            deleted: true,
            ..pod(restarts, phase)
        }
    }

    const GONE: Observed = Observed {
        deleted: false,
        container: None,
    };

    /// A machine that looked once at a running first instance and connected.
    fn following(restarts: i32) -> Machine {
        let mut m = Machine::new(INITIAL, MAX);
        assert_eq!(m.restarted(pod(restarts, Running)), None);
        assert_eq!(m.step(pod(restarts, Running)), Step::Read);
        m.connected();
        m
    }

    #[test]
    fn a_running_container_is_read_from_its_first_instance() {
        let mut m = Machine::new(INITIAL, MAX);
        assert!(m.first());
        assert_eq!(m.found_restarted(pod(0, Running)), None);
        assert_eq!(
            m.restarted(pod(0, Running)),
            None,
            "no restart at the first look"
        );
        assert_eq!(m.step(pod(0, Running)), Step::Read);
        assert_eq!(m.instance(), Some(0));
        assert!(m.first(), "first until a stream opens");
        m.connected();
        assert!(!m.first());
    }

    #[test]
    fn a_container_that_leaves_the_pod_stops_the_follower() {
        let mut m = Machine::new(INITIAL, MAX);
        assert_eq!(m.step(GONE), Step::Stop);
        let mut m = following(0);
        assert_eq!(m.restarted(GONE), None);
        assert_eq!(m.step(GONE), Step::Stop);
    }

    #[test]
    fn waiting_and_crash_looping_containers_are_waited_for() {
        for phase in [Waiting, CrashLoop] {
            let mut m = Machine::new(INITIAL, MAX);
            assert_eq!(m.step(pod(0, phase)), Step::Wait, "{phase:?}");
            assert_eq!(
                m.step(pod(0, Running)),
                Step::Read,
                "{phase:?} then running"
            );
        }
    }

    #[test]
    fn found_restarted_the_previous_instance_comes_first() {
        let m = Machine::new(INITIAL, MAX);
        assert_eq!(m.found_restarted(pod(3, Running)), Some(2));
        assert_eq!(m.found_restarted(pod(0, Running)), None);
        assert_eq!(
            following(3).found_restarted(pod(3, Running)),
            None,
            "only at the first look"
        );
    }

    #[test]
    fn one_restart_drains_the_previous_instance_more_are_gaps() {
        let mut m = following(2);
        assert_eq!(m.restarted(pod(2, Running)), None);
        assert_eq!(
            m.restarted(pod(3, Running)),
            Some(Restart {
                from: 2,
                to: 3,
                drain: true,
                gaps: 0,
                first: false,
            })
        );
        assert_eq!(m.instance(), Some(3));
        assert_eq!(m.step(pod(3, Running)), Step::Read);
        assert_eq!(
            m.restarted(pod(7, CrashLoop)),
            Some(Restart {
                from: 3,
                to: 7,
                drain: false,
                gaps: 3,
                first: false,
            })
        );
        assert_eq!(m.step(pod(7, CrashLoop)), Step::Wait);
        assert_eq!(m.restarted(pod(7, Running)), None, "a restart is seen once");
    }

    #[test]
    fn a_restart_before_any_read_drains_from_the_lookback() {
        // Crash-looping at the first look: never connected, then restarted.
        let mut m = Machine::new(INITIAL, MAX);
        assert_eq!(m.step(pod(0, CrashLoop)), Step::Wait);
        let r = m.restarted(pod(1, Running)).unwrap();
        assert!(r.first && r.drain, "{r:?}");
        assert!(!m.first(), "the new instance is not a first read");
    }

    #[test]
    fn a_restart_count_that_goes_down_is_not_a_restart() {
        let mut m = following(4);
        assert_eq!(m.restarted(pod(1, Running)), None);
        assert_eq!(
            m.step(pod(1, Running)),
            Step::Read,
            "followed as the pod says"
        );
        assert_eq!(m.instance(), Some(1));
    }

    #[test]
    fn end_of_stream_while_running_is_rechecked_before_reconnecting() {
        let mut m = following(0);
        assert_eq!(
            m.ended(Ended::Eof, true, pod(0, Running)),
            After::Recheck(INITIAL)
        );
        assert!(m.recheck(pod(0, Running)), "still running: reconnect");
        assert_eq!(m.step(pod(0, Running)), Step::Read);
        // The watch catches up during the recheck: the container stopped.
        assert_eq!(
            m.ended(Ended::Eof, true, pod(0, Running)),
            After::Recheck(INITIAL)
        );
        assert!(!m.recheck(pod(0, Terminated)));
        assert_eq!(m.step(pod(0, Terminated)), Step::Wait, "read to its end");
    }

    #[test]
    fn a_finished_container_is_read_once_to_its_end() {
        let mut m = following(0);
        assert_eq!(
            m.step(pod(0, Terminated)),
            Step::Read,
            "not read to its end yet"
        );
        assert_eq!(m.ended(Ended::Eof, true, pod(0, Terminated)), After::Again);
        assert_eq!(m.step(pod(0, Terminated)), Step::Wait);
        // Its restart is a new instance, read again.
        assert!(m.restarted(pod(1, Running)).is_some());
        assert_eq!(m.step(pod(1, Running)), Step::Read);
    }

    #[test]
    fn a_deleted_pod_is_read_to_its_end_then_left() {
        let mut m = following(0);
        // Deleted but still running (grace period): keep reading.
        assert_eq!(m.step(deleted(0, Running)), Step::Read);
        assert_eq!(m.ended(Ended::Eof, true, deleted(0, Running)), After::Again);
        assert_eq!(m.step(deleted(0, Running)), Step::Stop);
        // Deleted and no longer running: nothing more will come.
        let mut m = following(0);
        assert_eq!(m.step(deleted(0, Terminated)), Step::Stop);
        let mut m = Machine::new(INITIAL, MAX);
        assert_eq!(m.step(deleted(0, Waiting)), Step::Stop);
    }

    #[test]
    fn errors_back_off_exponentially_to_the_maximum_and_reading_resets_it() {
        let mut m = following(0);
        let waits: Vec<After> = (0..5).map(|_| m.connect_failed(false)).collect();
        let ms = |n| After::Backoff(Duration::from_millis(n));
        assert_eq!(waits, vec![ms(500), ms(1000), ms(2000), ms(4000), ms(4000)]);
        // A connection that read nothing keeps backing off...
        assert_eq!(m.ended(Ended::Error, false, pod(0, Running)), ms(4000));
        // ...one that read something starts over.
        assert_eq!(m.ended(Ended::Error, true, pod(0, Running)), ms(500));
        assert_eq!(m.ended(Ended::Error, false, pod(0, Running)), ms(1000));
    }

    #[test]
    fn a_gone_pod_stops_and_silence_or_age_reconnect_at_once() {
        let mut m = following(0);
        assert_eq!(m.connect_failed(true), After::Stop);
        assert_eq!(
            m.ended(Ended::Silence, false, pod(0, Running)),
            After::Again
        );
        assert_eq!(m.ended(Ended::MaxAge, true, pod(0, Running)), After::Again);
        assert_eq!(
            m.step(pod(0, Running)),
            Step::Read,
            "silence is not the end"
        );
        assert_eq!(
            m.ended(Ended::Cancelled, true, pod(0, Running)),
            After::Stop
        );
        assert_eq!(m.ended(Ended::Closed, false, pod(0, Running)), After::Stop);
    }
}
