//! The daemon against the simulated Kubernetes API over real sockets:
//! following, resuming without loss or duplication, restarts, faults.

use std::time::Duration;

use jiff::Timestamp;
use runner_medic::event::Level;
use runner_medic::sim::cluster::Fault;

use crate::common::admin::{get, scrape, wait_get, wait_metrics};
use crate::common::harness::*;
use crate::common::metrics::{events, state_is, value};
use crate::common::{NS, Scratch};

const RID: &str = "HYErDk_6w";
const DEPLOY: &str = "gitlab-runner";

/// Pre-writes `n` lines for a pod: received x (n-3), forbidden x 3, all in
/// one second, so that every reconnect replays them all.
fn prefill(kube: &runner_medic::sim::kube::FakeKube, pod: &str, base: Timestamp, n: i64) {
    for i in 0..n {
        let line = if i >= n - 3 {
            forbidden(RID)
        } else {
            received(RID, 1000 + i)
        };
        write(kube, pod, DEPLOY, at(base, i * 10), &line);
    }
}

fn recent() -> Timestamp {
    // A whole second a little in the past: inside the lookback.
    let t = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(30))
        .unwrap();
    t.checked_sub(jiff::SignedDuration::from_nanos(i64::from(
        t.subsec_nanosecond(),
    )))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_mid_line_resumes_without_losing_or_doubling_a_line() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    prefill(&kube, &pod, recent(), 10);
    kube.cluster.inject(Fault::CutLogMidLine {
        pod: pod.clone(),
        after: 4,
    });
    let h = start(kube, settings(|_| {})).await;
    let m = wait_metrics(h.daemon.addr, "10 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(10.0)
    })
    .await;
    assert_eq!(events(&m, DEPLOY, RID, "job_request_ok"), Some(7.0), "{m}");
    assert_eq!(events(&m, DEPLOY, RID, "job_request_forbidden"), Some(3.0));
    assert_eq!(
        value(&m, "runner_medic_log_lines_deduplicated_total"),
        Some(4.0),
        "the 4 lines read before the cut came back"
    );
    assert!(
        value(
            &m,
            "runner_medic_log_stream_reconnects_total{reason=\"error\"}"
        )
        .unwrap()
            >= 1.0
    );
    assert!(state_is(&m, RID, "forbidden"));
    // More lines later are counted once too.
    write(&h.kube, &pod, DEPLOY, Timestamp::now(), &received(RID, 77));
    let m = wait_metrics(h.daemon.addr, "11 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(11.0)
    })
    .await;
    assert!(state_is(&m, RID, "healthy"), "{m}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = scrape(h.daemon.addr).await;
    assert_eq!(value(&m, "runner_medic_log_lines_total"), Some(11.0));
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_timestamps_across_the_resume_boundary_are_counted_once() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let t = at(recent(), 250);
    // Six lines with the very same timestamp, two of them byte-identical.
    for line in [
        received(RID, 1),
        received(RID, 1),
        forbidden(RID),
        received(RID, 2),
        received(RID, 1),
        forbidden(RID),
    ] {
        write(&kube, &pod, DEPLOY, t, &line);
    }
    kube.cluster.inject(Fault::CutLogMidLine {
        pod: pod.clone(),
        after: 3,
    });
    let h = start(kube, settings(|_| {})).await;
    let m = wait_metrics(h.daemon.addr, "6 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(6.0)
    })
    .await;
    assert_eq!(events(&m, DEPLOY, RID, "job_request_ok"), Some(4.0), "{m}");
    assert_eq!(
        events(&m, DEPLOY, RID, "job_request_forbidden"),
        Some(2.0),
        "{m}"
    );
    assert_eq!(
        value(&m, "runner_medic_log_lines_deduplicated_total"),
        Some(3.0)
    );
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_timestamps_from_stdout_and_stderr_are_all_kept() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = recent();
    // stderr lines stamped earlier than the stdout line before them.
    let offsets = [500, 300, 100, 700, 650, 900];
    for (i, ms) in offsets.iter().enumerate() {
        write(&kube, &pod, DEPLOY, at(base, *ms), &received(RID, i as i64));
    }
    let h = start(kube, settings(|_| {})).await;
    let m = wait_metrics(h.daemon.addr, "6 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(6.0)
    })
    .await;
    assert_eq!(events(&m, DEPLOY, RID, "job_request_ok"), Some(6.0), "{m}");
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_throttling_back_off_then_recover() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    prefill(&kube, &pod, recent(), 5);
    kube.cluster.inject(Fault::LogStatus {
        pod: pod.clone(),
        status: 500,
    });
    kube.cluster.inject(Fault::LogStatus {
        pod: pod.clone(),
        status: 429,
    });
    let h = start(kube, settings(|_| {})).await;
    let m = wait_metrics(h.daemon.addr, "5 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(5.0)
    })
    .await;
    assert_eq!(
        value(
            &m,
            "runner_medic_log_stream_reconnects_total{reason=\"throttled\"}"
        ),
        Some(2.0),
        "{m}"
    );
    assert_eq!(
        value(&m, "runner_medic_log_lines_deduplicated_total"),
        Some(0.0)
    );
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_error_410_relists_and_keeps_discovering_pods() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    prefill(&kube, &pod, recent(), 4);
    kube.cluster.inject(Fault::WatchExpired);
    let h = start(kube, settings(|_| {})).await;
    wait_metrics(h.daemon.addr, "first pod", |m| {
        value(m, "runner_medic_log_lines_total") == Some(4.0)
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while list_requests(&h) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lists_before = list_requests(&h);
    let second = add_pod(&h.kube, DEPLOY, "q8r2m");
    write(
        &h.kube,
        &second,
        DEPLOY,
        Timestamp::now(),
        &received("Zx8Kq2LmP", 1),
    );
    let m = wait_metrics(h.daemon.addr, "second pod", |m| {
        value(m, "runner_medic_log_lines_total") == Some(5.0)
    })
    .await;
    assert_eq!(events(&m, DEPLOY, "Zx8Kq2LmP", "job_request_ok"), Some(1.0));
    assert!(
        lists_before >= 2,
        "the watcher relisted after the 410 ({lists_before} lists)"
    );
    h.token.cancel();
}

fn list_requests(h: &Harness) -> usize {
    h.kube
        .cluster
        .requests()
        .iter()
        .filter(|r| r.uri.contains("/pods?") && !r.uri.contains("watch=true"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_restart_drains_the_previous_instance_then_follows_the_new_one() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = recent();
    prefill(&kube, &pod, base, 4);
    let h = start(kube, settings(|_| {})).await;
    wait_metrics(h.daemon.addr, "4 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(4.0)
    })
    .await;
    // Lines the follower may not have read before the container died.
    let now = Timestamp::now();
    write(&h.kube, &pod, DEPLOY, now, &forbidden(RID));
    write(
        &h.kube,
        &pod,
        DEPLOY,
        at(now, 1),
        &runner_line(
            Level::Error,
            &format!(
                "Runner \"https://gitlab.example.com{RID}\" is unhealthy and will be disabled for 1h0m0s seconds!"
            ),
            RID,
        ),
    );
    h.kube.cluster.restart_container(NS, &pod, DEPLOY, false);
    write(&h.kube, &pod, DEPLOY, at(now, 5), &received("Zx8Kq2LmP", 9));
    let m = wait_metrics(h.daemon.addr, "7 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(7.0)
    })
    .await;
    assert_eq!(
        events(&m, DEPLOY, RID, "job_request_forbidden"),
        Some(4.0),
        "{m}"
    );
    assert_eq!(events(&m, DEPLOY, RID, "runner_unhealthy"), Some(1.0));
    assert_eq!(events(&m, DEPLOY, "Zx8Kq2LmP", "job_request_ok"), Some(1.0));
    assert_eq!(
        value(
            &m,
            "runner_medic_log_stream_reconnects_total{reason=\"restart\"}"
        ),
        Some(1.0)
    );
    assert_eq!(value(&m, "runner_medic_log_gaps_total"), Some(0.0));
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_the_stream_hung_is_recovered_from_previous() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    prefill(&kube, &pod, recent(), 3);
    kube.cluster.inject(Fault::HangLog { pod: pod.clone() });
    let h = start(kube, settings(|o| o.silence_timeout = Some("1s".into()))).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.kube.cluster.restart_container(NS, &pod, DEPLOY, false);
    write(
        &h.kube,
        &pod,
        DEPLOY,
        Timestamp::now(),
        &received("Zx8Kq2LmP", 9),
    );
    let m = wait_metrics(h.daemon.addr, "4 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(4.0)
    })
    .await;
    assert_eq!(
        events(&m, DEPLOY, RID, "job_request_forbidden"),
        Some(3.0),
        "{m}"
    );
    assert!(
        value(
            &m,
            "runner_medic_log_stream_reconnects_total{reason=\"silence\"}"
        )
        .unwrap()
            >= 1.0
    );
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_waiting_to_start_is_not_polled_and_is_followed_once_started() {
    let kube = cluster().await;
    let mut t = runner_medic::sim::cluster::PodTemplate::runner(NS, DEPLOY, "7d9c6b5f4", "x2x7k");
    t.waiting = true;
    let pod = t.name.clone();
    kube.cluster.add_pod(t);
    // A 400 "waiting to start" on the first request once running.
    kube.cluster.inject(Fault::LogStatus {
        pod: pod.clone(),
        status: 400,
    });
    let h = start(kube, settings(|_| {})).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let log_requests = |h: &Harness| {
        h.kube
            .cluster
            .requests()
            .iter()
            .filter(|r| r.uri.contains("/log?"))
            .count()
    };
    assert_eq!(
        log_requests(&h),
        0,
        "no log request while the container waits"
    );
    // Shown as waiting (the runner's trouble), not as a failing stream.
    let m = scrape(h.daemon.addr).await;
    assert_eq!(
        value(&m, "runner_medic_log_streams{state=\"waiting\"}"),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        value(&m, "runner_medic_log_streams{state=\"backoff\"}"),
        Some(0.0)
    );
    h.kube.cluster.start_container(NS, &pod, DEPLOY);
    write(&h.kube, &pod, DEPLOY, Timestamp::now(), &received(RID, 1));
    let m = wait_metrics(h.daemon.addr, "1 line", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1.0)
    })
    .await;
    assert_eq!(
        value(
            &m,
            "runner_medic_log_stream_reconnects_total{reason=\"waiting\"}"
        ),
        Some(1.0),
        "{m}"
    );
    assert!(log_requests(&h) <= 3);
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_stream_is_reopened_by_the_watchdog() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    kube.cluster.inject(Fault::HangLog { pod: pod.clone() });
    let h = start(kube, settings(|o| o.silence_timeout = Some("1s".into()))).await;
    write(&h.kube, &pod, DEPLOY, Timestamp::now(), &received(RID, 1));
    let m = wait_metrics(h.daemon.addr, "the line after the hang", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1.0)
    })
    .await;
    assert!(
        value(
            &m,
            "runner_medic_log_stream_reconnects_total{reason=\"silence\"}"
        )
        .unwrap()
            >= 1.0,
        "{m}"
    );
    h.token.cancel();
}

/// The watchdog measures silence from the last read: a stream that keeps
/// talking more often than the timeout is never reopened for silence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_keeps_talking_is_never_silent() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let h = start(kube, settings(|o| o.silence_timeout = Some("1s".into()))).await;
    // A line every 400 ms for 4 s: four silence timeouts long, never silent.
    for i in 1..=10 {
        write(&h.kube, &pod, DEPLOY, Timestamp::now(), &received(RID, i));
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let m = wait_metrics(h.daemon.addr, "10 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(10.0)
    })
    .await;
    assert_eq!(
        value(
            &m,
            "runner_medic_log_stream_reconnects_total{reason=\"silence\"}"
        ),
        Some(0.0),
        "{m}"
    );
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_daemon_rebuilds_health_from_the_lookback() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let two_hours_ago = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(7200))
        .unwrap();
    let twenty_min_ago = Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(1200))
        .unwrap();
    write(&kube, &pod, DEPLOY, two_hours_ago, &received(RID, 1));
    for i in 0..3 {
        write(
            &kube,
            &pod,
            DEPLOY,
            at(twenty_min_ago, i * 3000),
            &forbidden(RID),
        );
    }
    let unhealthy = runner_line(
        Level::Error,
        &format!(
            "Runner \"https://gitlab.example.com{RID}\" is unhealthy and will be disabled for 1h0m0s seconds!"
        ),
        RID,
    );
    write(&kube, &pod, DEPLOY, at(twenty_min_ago, 6001), &unhealthy);
    let h = start(kube, settings(|_| {})).await;
    let m = wait_metrics(h.daemon.addr, "lookback", |m| {
        value(m, "runner_medic_log_lines_total") == Some(4.0)
    })
    .await;
    assert!(state_is(&m, RID, "locked_out"), "{m}");
    assert_eq!(
        events(&m, DEPLOY, RID, "job_request_ok"),
        Some(0.0),
        "the line older than the lookback is not read"
    );
    assert_eq!(consecutive_forbidden(&m), Some(3.0));
    h.token.cancel();
    h.daemon.done.await.unwrap();
    // The same cluster, a new daemon: the same state again.
    let h2 = start(h.kube.clone(), settings(|_| {})).await;
    let m = wait_metrics(h2.daemon.addr, "lookback again", |m| {
        value(m, "runner_medic_log_lines_total") == Some(4.0)
    })
    .await;
    assert!(state_is(&m, RID, "locked_out"), "{m}");
    h2.token.cancel();
}

/// A state file in a scratch directory, removed at drop.
struct StateFile {
    _dir: Scratch,
    path: String,
}

impl StateFile {
    fn new(name: &str) -> StateFile {
        let dir = Scratch::new(&format!("state-{name}"));
        let path = dir.join("positions.json").to_str().unwrap().to_owned();
        StateFile { _dir: dir, path }
    }

    /// Test settings with this state file, adjusted by `adjust`.
    fn settings_with(
        &self,
        adjust: impl FnOnce(&mut runner_medic::config::DaemonOverrides),
    ) -> runner_medic::config::DaemonSettings {
        settings(|o| {
            o.state_file = Some(self.path.clone());
            adjust(o);
        })
    }

    fn settings(&self) -> runner_medic::config::DaemonSettings {
        self.settings_with(|_| {})
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.path).unwrap()
    }
}

fn consecutive_forbidden(m: &str) -> Option<f64> {
    value(
        m,
        &format!(
            "runner_medic_runner_consecutive_forbidden{{namespace=\"{NS}\",workload=\"{DEPLOY}\",runner=\"{RID}\"}}"
        ),
    )
}

fn forbidden_total(m: &str) -> Option<f64> {
    events(m, DEPLOY, RID, "job_request_forbidden")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_state_file_counts_nothing_twice_and_rebuilds_health() {
    let state = StateFile::new("twice");
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = at(recent(), -20_000);
    write(&kube, &pod, DEPLOY, base, &received(RID, 1));
    for i in 1..=3 {
        write(
            &kube,
            &pod,
            DEPLOY,
            at(base, i * 1000 + 500),
            &forbidden(RID),
        );
    }
    let h = start(kube, state.settings()).await;
    let m = wait_metrics(h.daemon.addr, "4 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(4.0)
    })
    .await;
    assert_eq!(forbidden_total(&m), Some(3.0), "{m}");
    h.token.cancel();
    h.daemon.done.await.unwrap();
    let saved = state.read();
    assert!(saved.contains(&pod), "{saved}");

    // While runner-medic is down: a line in the very second it stopped at
    // (told apart by its bytes) and one later.
    write(
        &h.kube,
        &pod,
        DEPLOY,
        at(base, 3500),
        &forbidden("Other_id1"),
    );
    write(&h.kube, &pod, DEPLOY, at(base, 5000), &forbidden(RID));
    let h2 = start(h.kube.clone(), state.settings()).await;
    let m = wait_metrics(h2.daemon.addr, "2 new lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(2.0)
            && value(m, "runner_medic_log_lines_resumed_total") == Some(4.0)
    })
    .await;
    assert_eq!(forbidden_total(&m), Some(1.0), "counted once: {m}");
    assert_eq!(
        events(&m, DEPLOY, "Other_id1", "job_request_forbidden"),
        Some(1.0),
        "{m}"
    );
    assert_eq!(events(&m, DEPLOY, RID, "job_request_ok"), Some(0.0), "{m}");
    // Health saw every line again: four 403s in a row.
    assert_eq!(consecutive_forbidden(&m), Some(4.0), "{m}");
    assert!(state_is(&m, RID, "forbidden"), "{m}");
    h2.token.cancel();
    h2.daemon.done.await.unwrap();

    // The control: without the file, the lookback is counted again.
    let h3 = start(h2.kube.clone(), settings(|_| {})).await;
    let m = wait_metrics(h3.daemon.addr, "all 6 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(6.0)
    })
    .await;
    assert_eq!(forbidden_total(&m), Some(4.0), "{m}");
    h3.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_down_for_longer_than_the_lookback_resumes_from_its_mark() {
    let state = StateFile::new("long");
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = at(recent(), -30_000);
    write(&kube, &pod, DEPLOY, base, &forbidden(RID));
    let h = start(kube, state.settings()).await;
    wait_metrics(h.daemon.addr, "1 line", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1.0)
    })
    .await;
    h.token.cancel();
    h.daemon.done.await.unwrap();
    // Written while down, now older than the new run's 5 s lookback.
    write(&h.kube, &pod, DEPLOY, at(base, 10_000), &forbidden(RID));
    let h2 = start(
        h.kube.clone(),
        state.settings_with(|o| o.since = Some("5s".into())),
    )
    .await;
    let m = wait_metrics(h2.daemon.addr, "the line written while down", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1.0)
    })
    .await;
    assert_eq!(forbidden_total(&m), Some(1.0), "{m}");
    assert_eq!(value(&m, "runner_medic_log_lines_resumed_total"), Some(1.0));
    h2.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_found_crash_looping_at_start_is_read_from_its_previous_instance() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = recent();
    for i in 0..3 {
        write(&kube, &pod, DEPLOY, at(base, i * 100), &forbidden(RID));
    }
    // It crashed before runner-medic started; the new instance waits.
    kube.cluster.restart_container(NS, &pod, DEPLOY, true);
    let h = start(kube, settings(|_| {})).await;
    let m = wait_metrics(h.daemon.addr, "the crashed instance's lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(3.0)
    })
    .await;
    assert_eq!(forbidden_total(&m), Some(3.0), "{m}");
    assert!(state_is(&m, RID, "forbidden"), "{m}");
    assert_eq!(value(&m, "runner_medic_log_gaps_total"), Some(0.0));
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_of_the_container_while_runner_medic_was_down_loses_nothing() {
    let state = StateFile::new("prev");
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = at(recent(), -10_000);
    write(&kube, &pod, DEPLOY, base, &received(RID, 1));
    write(&kube, &pod, DEPLOY, at(base, 1000), &forbidden(RID));
    let h = start(kube, state.settings()).await;
    wait_metrics(h.daemon.addr, "2 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(2.0)
    })
    .await;
    h.token.cancel();
    h.daemon.done.await.unwrap();
    // While down: the old instance writes its last line and the container
    // restarts; the new instance registers another runner.
    write(&h.kube, &pod, DEPLOY, at(base, 2000), &forbidden(RID));
    h.kube.cluster.restart_container(NS, &pod, DEPLOY, false);
    write(
        &h.kube,
        &pod,
        DEPLOY,
        at(base, 3000),
        &received("Zx8Kq2LmP", 2),
    );
    let h2 = start(h.kube.clone(), state.settings()).await;
    let m = wait_metrics(h2.daemon.addr, "the old tail and the new line", |m| {
        value(m, "runner_medic_log_lines_total") == Some(2.0)
    })
    .await;
    assert_eq!(forbidden_total(&m), Some(1.0), "{m}");
    assert_eq!(events(&m, DEPLOY, "Zx8Kq2LmP", "job_request_ok"), Some(1.0));
    assert_eq!(value(&m, "runner_medic_log_lines_resumed_total"), Some(2.0));
    assert_eq!(value(&m, "runner_medic_log_gaps_total"), Some(0.0));
    h2.token.cancel();
    h2.daemon.done.await.unwrap();
    // The current and the previous instance stay in the file...
    let saved = state.read();
    assert!(saved.contains("\"instance\":1"), "{saved}");
    assert!(saved.contains("\"instance\":0"), "{saved}");
    // ...so that the next run replays both into health and counts nothing.
    let h3 = start(h2.kube.clone(), state.settings()).await;
    let m = wait_metrics(h3.daemon.addr, "both instances replayed", |m| {
        value(m, "runner_medic_log_lines_resumed_total") == Some(4.0)
    })
    .await;
    assert_eq!(value(&m, "runner_medic_log_lines_total"), Some(0.0), "{m}");
    assert!(state_is(&m, "Zx8Kq2LmP", "healthy"), "{m}");
    h3.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_restart_seen_live_is_not_counted_again_by_the_next_run() {
    let state = StateFile::new("live");
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = at(recent(), -20_000);
    write(&kube, &pod, DEPLOY, base, &forbidden(RID));
    write(&kube, &pod, DEPLOY, at(base, 1000), &forbidden(RID));
    let h = start(kube, state.settings()).await;
    wait_metrics(h.daemon.addr, "2 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(2.0)
    })
    .await;
    h.kube.cluster.restart_container(NS, &pod, DEPLOY, false);
    write(
        &h.kube,
        &pod,
        DEPLOY,
        at(base, 2000),
        &received("Zx8Kq2LmP", 1),
    );
    wait_metrics(h.daemon.addr, "the new instance's line", |m| {
        value(m, "runner_medic_log_lines_total") == Some(3.0)
    })
    .await;
    h.token.cancel();
    h.daemon.done.await.unwrap();
    // The next run reads the old instance too (a crash's last words), but
    // only into health.
    let h2 = start(h.kube.clone(), state.settings()).await;
    let m = wait_metrics(h2.daemon.addr, "both instances replayed", |m| {
        value(m, "runner_medic_log_lines_resumed_total") == Some(3.0)
    })
    .await;
    assert_eq!(value(&m, "runner_medic_log_lines_total"), Some(0.0), "{m}");
    assert_eq!(consecutive_forbidden(&m), Some(2.0), "{m}");
    h2.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_that_came_and_went_while_runner_medic_was_down_are_gaps() {
    let state = StateFile::new("gaps");
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    write(&kube, &pod, DEPLOY, at(recent(), -5000), &forbidden(RID));
    let h = start(kube, state.settings()).await;
    wait_metrics(h.daemon.addr, "1 line", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1.0)
    })
    .await;
    h.token.cancel();
    h.daemon.done.await.unwrap();
    // Instances 1 and 2 while down: 1's log is gone for good.
    h.kube.cluster.restart_container(NS, &pod, DEPLOY, false);
    h.kube.cluster.restart_container(NS, &pod, DEPLOY, false);
    write(&h.kube, &pod, DEPLOY, recent(), &forbidden(RID));
    let h2 = start(h.kube.clone(), state.settings()).await;
    let m = wait_metrics(h2.daemon.addr, "the new instance", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1.0)
    })
    .await;
    assert_eq!(value(&m, "runner_medic_log_gaps_total"), Some(1.0), "{m}");
    h2.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_in_the_middle_of_its_replay_keeps_the_previous_mark() {
    let state = StateFile::new("replay");
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    let base = at(recent(), -20_000);
    for i in 0..5 {
        write(&kube, &pod, DEPLOY, at(base, i * 1000), &forbidden(RID));
    }
    let h = start(kube, state.settings()).await;
    wait_metrics(h.daemon.addr, "5 lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(5.0)
    })
    .await;
    h.token.cancel();
    h.daemon.done.await.unwrap();
    // The next run's replay breaks after one line and then hangs: it is
    // stopped while its own position is far behind the saved one.
    h.kube.cluster.inject(Fault::CutLogMidLine {
        pod: pod.clone(),
        after: 1,
    });
    h.kube.cluster.inject(Fault::HangLog { pod: pod.clone() });
    let h2 = start(h.kube.clone(), state.settings()).await;
    wait_metrics(h2.daemon.addr, "one line replayed", |m| {
        value(m, "runner_medic_log_lines_resumed_total") == Some(1.0)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // a mark timer's worth
    h2.token.cancel();
    h2.daemon.done.await.unwrap();
    let h3 = start(h2.kube.clone(), state.settings()).await;
    let m = wait_metrics(h3.daemon.addr, "all 5 replayed", |m| {
        value(m, "runner_medic_log_lines_resumed_total") == Some(5.0)
    })
    .await;
    assert_eq!(
        value(&m, "runner_medic_log_lines_total"),
        Some(0.0),
        "counted twice: {m}"
    );
    h3.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_state_file_stops_the_daemon_from_starting() {
    let kube = cluster().await;
    let s = settings(|o| o.state_file = Some("/proc/runner-medic/positions.json".into()));
    let Err(e) = try_launch(kube.client().unwrap(), s, |_| {}, None).await else {
        panic!("the daemon started");
    };
    assert!(
        e.starts_with("watch.state_file: cannot write /proc/runner-medic"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_stream_does_not_stall_the_others() {
    let kube = cluster().await;
    let bad = add_pod(&kube, DEPLOY, "aaaaa");
    let good = add_pod(&kube, DEPLOY, "bbbbb");
    let h = start(kube, settings(|_| {})).await;
    let now = Timestamp::now();
    let huge = bytes::Bytes::from(vec![b'x'; 10 * 1024 * 1024]);
    h.kube.cluster.append_bytes(NS, &bad, DEPLOY, now, huge);
    let garbage: Vec<u8> = (0..=255u8)
        .filter(|b| *b != b'\n')
        .cycle()
        .take(200_000)
        .collect();
    h.kube
        .cluster
        .append_bytes(NS, &bad, DEPLOY, at(now, 1), bytes::Bytes::from(garbage));
    for i in 0..50 {
        write(
            &h.kube,
            &good,
            DEPLOY,
            at(now, i),
            &received("Zx8Kq2LmP", i),
        );
    }
    write(&h.kube, &bad, DEPLOY, at(now, 60), &forbidden(RID));
    let m = wait_metrics(h.daemon.addr, "all lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(53.0)
    })
    .await;
    assert_eq!(
        events(&m, DEPLOY, "Zx8Kq2LmP", "job_request_ok"),
        Some(50.0),
        "{m}"
    );
    assert_eq!(
        value(&m, "runner_medic_log_lines_truncated_total"),
        Some(2.0)
    );
    assert!(value(&m, "runner_medic_log_lines_invalid_utf8_total").unwrap() >= 1.0);
    assert!(
        state_is(&m, RID, "forbidden"),
        "the line after the junk still counts"
    );
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_that_come_and_go_are_followed_and_their_series_expire_after_the_ttl() {
    let kube = cluster().await;
    let h = start(kube, settings(|o| o.runner_ttl = Some("1s".into()))).await;
    wait_get(
        h.daemon.addr,
        "/readyz",
        "/readyz after the first (empty) pod list",
        |code, _| code == 200,
    )
    .await;
    let pod = add_pod(&h.kube, DEPLOY, "x2x7k");
    write(&h.kube, &pod, DEPLOY, Timestamp::now(), &forbidden(RID));
    let m = wait_metrics(h.daemon.addr, "the new pod", |m| {
        state_is(m, RID, "forbidden")
    })
    .await;
    assert_eq!(value(&m, "runner_medic_watched_pods"), Some(1.0));
    assert_eq!(value(&m, "runner_medic_tracked_runners"), Some(1.0));
    h.kube.cluster.delete_pod(NS, &pod);
    let m = wait_metrics(h.daemon.addr, "expiry", |m| !m.contains(RID)).await;
    assert_eq!(value(&m, "runner_medic_watched_pods"), Some(0.0));
    assert_eq!(value(&m, "runner_medic_tracked_runners"), Some(0.0));
    assert_eq!(
        value(&m, "runner_medic_log_streams{state=\"following\"}"),
        Some(0.0)
    );
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_is_never_expired_while_its_pod_lives() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    write(&kube, &pod, DEPLOY, recent(), &forbidden(RID));
    let h = start(kube, settings(|o| o.runner_ttl = Some("0s".into()))).await;
    wait_metrics(h.daemon.addr, "runner", |m| state_is(m, RID, "forbidden")).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let m = scrape(h.daemon.addr).await;
    assert!(
        state_is(&m, RID, "forbidden"),
        "silence never clears or expires a live runner:\n{m}"
    );
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_lists_runners_with_their_diagnosis() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    prefill(&kube, &pod, recent(), 4);
    let h = start(kube, settings(|_| {})).await;
    wait_metrics(h.daemon.addr, "lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(4.0)
    })
    .await;
    // The snapshot is published every couple of seconds.
    let (code, page) = wait_get(
        h.daemon.addr,
        "/",
        "the runner on the status page",
        |_, page| page.contains("HYErDk_6w"),
    )
    .await;
    assert_eq!(code, 200);
    assert!(
        page.contains("<code>HYErDk_6w</code>") && page.contains("forbidden"),
        "{page}"
    );
    assert!(
        page.contains("the authentication token is rejected (3 x 403"),
        "{page}"
    );
    let (code, _) = get(h.daemon.addr, "/nope").await;
    assert_eq!(code, 404);
    h.token.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_the_pipeline_then_stops_the_server() {
    let kube = cluster().await;
    let pod = add_pod(&kube, DEPLOY, "x2x7k");
    prefill(&kube, &pod, recent(), 5);
    let mut h = start(kube, settings(|_| {})).await;
    wait_metrics(h.daemon.addr, "lines", |m| {
        value(m, "runner_medic_log_lines_total") == Some(5.0)
    })
    .await;
    h.token.cancel();
    tokio::time::timeout(Duration::from_secs(10), &mut h.daemon.done)
        .await
        .expect("stops in time")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(h.daemon.addr).await.is_err(),
        "the server is closed"
    );
    // Every change reached the consumer before the channel closed.
    let mut changes = Vec::new();
    while let Some(c) = h.changes.recv().await {
        changes.push(c.transition.to);
    }
    assert_eq!(
        changes.last(),
        Some(&runner_medic::health::State::Forbidden)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pod_logging_made_up_runner_ids_cannot_exhaust_the_runner_table() {
    let kube = cluster().await;
    let base = recent();
    // A real runner, proven by its own pod (verified, got a job).
    let real = add_pod(&kube, DEPLOY, "x2x7k");
    let verified = runner_line(Level::Info, "Verifying runner... is valid", RID);
    write(&kube, &real, DEPLOY, base, &verified);
    write(&kube, &real, DEPLOY, at(base, 10), &received(RID, 1));
    // One pod of the same workload names 1,200 made-up ids on 403 lines.
    let noisy = add_pod(&kube, DEPLOY, "f1o0d");
    for i in 0..1200 {
        let line = forbidden(&format!("Fk{i:07}"));
        write(&kube, &noisy, DEPLOY, at(base, 20 + i), &line);
    }
    let h = start(kube, settings(|_| {})).await;
    wait_metrics(h.daemon.addr, "the flood", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1202.0)
    })
    .await;
    // Then a stale-token runner starts in a new pod: nothing but 403s, no
    // proof, and it must still be tracked.
    let stale = add_pod(&h.kube, DEPLOY, "q8r2m");
    write(
        &h.kube,
        &stale,
        DEPLOY,
        Timestamp::now(),
        &forbidden("Zx8Kq2LmP"),
    );
    let m = wait_metrics(h.daemon.addr, "the stale runner", |m| {
        value(m, "runner_medic_log_lines_total") == Some(1203.0)
    })
    .await;
    assert!(state_is(&m, "Zx8Kq2LmP", "forbidden"), "{m}");
    assert!(state_is(&m, RID, "healthy"), "{m}");
    assert_eq!(
        events(&m, DEPLOY, "Zx8Kq2LmP", "job_request_forbidden"),
        Some(1.0)
    );
    // The noisy pod got 16 runners; the other 1,184 ids were refused.
    assert_eq!(value(&m, "runner_medic_tracked_runners"), Some(18.0), "{m}");
    assert_eq!(
        value(
            &m,
            "runner_medic_runners_refused_total{reason=\"pod_limit\"}"
        ),
        Some(1184.0),
        "{m}"
    );
    assert_eq!(
        value(
            &m,
            "runner_medic_runners_refused_total{reason=\"global_cap\"}"
        ),
        Some(0.0)
    );
    assert!(!m.contains("Fk0000016"), "a refused id has no series");
    // 1,000 runners made 4.8 MB; 18 stay well under 256 KiB.
    assert!(m.len() < 256 * 1024, "/metrics is {} bytes", m.len());
    h.token.cancel();
}
