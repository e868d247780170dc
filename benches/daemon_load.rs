//! Load test of the `watch` daemon, as a separate process against the
//! simulated API server: N runner pods (default 1000), each writing
//! `rate / N` lines per second (default 10,000 lines/s in aggregate).
//!
//! `cargo bench --bench daemon_load [-- --pods 1000 --rate 10000 --seconds 30 [--flapping]]`
//!
//! Reports the daemon's CPU (fraction of one core, from /proc), peak RSS,
//! the lines it processed per second, and the line-to-metrics delay p99
//! from its own histogram (read from the stream to visible in /metrics),
//! plus an end-to-end check: marker lines written to the simulated log and
//! polled for in /metrics. Targets: RSS < 64 MiB, CPU < 0.25 core,
//! p99 < 100 ms. A report, not a gate.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use runner_medic::event::Level;
use runner_medic::sim::cluster::{Cluster, PodTemplate};
use runner_medic::sim::kube::{FakeKube, Options};
use runner_medic::sim::render::{Entry, Style, render};

#[path = "support/mod.rs"]
mod support;
use support::{arg, get, proc_stat, value};

const NS: &str = "gitlab-runner";

/// Line `i` of a runner: a healthy runner polls and runs jobs; a stale one
/// (one in fifty, as in a fleet with a few broken runners) is rejected and
/// locks itself out every third 403. With `flapping`, every runner gets a
/// 403 every fifty lines and recovers right after: a stress case with a
/// state change every few seconds per runner.
fn line(runner: &str, i: u64, stale: bool, flapping: bool) -> String {
    if stale {
        let e = if i % 4 == 3 {
            Entry::new(
                Level::Error,
                format!("Runner \"https://gitlab.example.com{runner}\" is unhealthy and will be disabled for 1h0m0s seconds!"),
            )
            .field("unhealthy_requests", 3)
            .field("unhealthy_requests_limit", 3)
        } else {
            Entry::new(Level::Error, "Checking for jobs... forbidden")
                .field("runner", runner)
                .field(
                    "status",
                    "POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
                )
        };
        return render(&e, Style::Runner { colours: true })
            .trim_end()
            .to_owned();
    }
    let e = if flapping && i % 50 == 49 {
        Entry::new(Level::Error, "Checking for jobs... forbidden")
            .field("runner", runner)
            .field(
                "status",
                "POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
            )
    } else if i.is_multiple_of(2) {
        Entry::new(Level::Info, "Checking for jobs... received")
            .field("job", i as i64)
            .field(
                "repo_url",
                "https://gitlab.example.com/platform/payments-api.git",
            )
            .field("runner", runner)
    } else {
        Entry::new(Level::Info, "Appending trace to coordinator...ok")
            .field("code", 202)
            .field("job", i as i64)
            .field("runner", runner)
            .field("status", "202 Accepted")
    };
    render(&e, Style::Runner { colours: true })
        .trim_end()
        .to_owned()
}

/// p99 upper bound from the cumulative histogram buckets.
fn p99(text: &str, family: &str) -> (f64, f64) {
    let mut buckets: Vec<(f64, f64)> = text
        .lines()
        .filter(|l| l.starts_with(&format!("{family}_bucket{{")))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, l.rsplit(' ').next()?.parse().ok()?))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let count = value(text, &format!("{family}_count"));
    let want = count * 0.99;
    let bound = buckets
        .iter()
        .find(|(_, c)| *c >= want)
        .map_or(f64::NAN, |(le, _)| *le);
    (bound, count)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; ignore everything but our flags.
    let pods = arg("--pods", 1000);
    let rate = arg("--rate", 10_000);
    let seconds = arg("--seconds", 30);
    let flapping = std::env::args().any(|a| a == "--flapping");
    let cluster = Cluster::new();
    let kube = FakeKube::start(cluster.clone(), Options::default())
        .await
        .unwrap();
    let mut names = Vec::new();
    for i in 0..pods {
        let t = PodTemplate::runner(NS, "gitlab-runner", "7d9c6b5f4", &format!("p{i:04}"));
        names.push(t.name.clone());
        cluster.add_pod(t);
    }
    let dir = std::env::temp_dir().join(format!("rm-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kubeconfig"), kube.kubeconfig(NS)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner-medic"))
        .args([
            "watch",
            "--namespace",
            NS,
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--log-level",
            "runner_medic=info,warn",
            "--max-streams",
            &(pods + 10).to_string(),
            "--max-runners",
            &(pods * 2 + 100).to_string(),
        ])
        // As shipped: read positions saved every 5 s (`--no-state-file` for
        // the cost of it).
        .args(
            (!std::env::args().any(|a| a == "--no-state-file"))
                .then(|| {
                    [
                        "--state-file".to_owned(),
                        dir.join("positions.json").display().to_string(),
                    ]
                })
                .into_iter()
                .flatten(),
        )
        .env("KUBECONFIG", dir.join("kubeconfig"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runner-medic");
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let addr: std::net::SocketAddr = loop {
        let l = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("runner-medic did not start");
        if l.contains("watching") {
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            break v["listen"].as_str().unwrap().parse().unwrap();
        }
    };
    // Writers: each pod writes at rate/pods lines per second.
    let per_pod = (rate as f64 / pods as f64).max(0.001);
    let interval = Duration::from_secs_f64(1.0 / per_pod);
    let stop = tokio_util::sync::CancellationToken::new();
    for (i, pod) in names.iter().enumerate() {
        let (cluster, pod, stop) = (cluster.clone(), pod.clone(), stop.clone());
        let runner = format!("r{i:07}x");
        let stale = !flapping && i % 50 == 0;
        tokio::spawn(async move {
            // Spread the writers over the interval.
            tokio::time::sleep(interval.mul_f64(i as f64 / pods as f64)).await;
            let mut tick = tokio::time::interval(interval);
            let mut n = 0u64;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.cancelled() => return,
                }
                cluster.append(
                    NS,
                    &pod,
                    "gitlab-runner",
                    Timestamp::now(),
                    &line(&runner, n, stale, flapping),
                );
                n += 1;
            }
        });
    }
    println!(
        "daemon_load: {pods} pods, {rate} lines/s in aggregate, {seconds}s measured after a 10s warm-up ({})",
        if flapping {
            "every runner flapping"
        } else {
            "2% stale runners"
        }
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    let m0 = get(addr, "/metrics").await;
    let (cpu0, _) = proc_stat(pid);
    let lines0 = value(&m0, "runner_medic_log_lines_total");
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (cpu1, hwm) = proc_stat(pid);
    let elapsed = t0.elapsed().as_secs_f64();
    let m1 = get(addr, "/metrics").await;
    let lines1 = value(&m1, "runner_medic_log_lines_total");
    let streams = value(&m1, "runner_medic_log_streams{state=\"following\"}");
    let (p99_bound, samples) = p99(&m1, "runner_medic_log_line_delay_seconds");
    // End to end: marker runners written to the log, polled for in /metrics.
    let mut e2e = Vec::new();
    for k in 0..20u32 {
        let marker = format!("mk{k:04}zzz");
        let pod = &names[(k as usize * 37) % names.len()];
        let written = Instant::now();
        cluster.append(
            NS,
            pod,
            "gitlab-runner",
            Timestamp::now(),
            &line(&marker, 1, false, false),
        );
        let needle = format!("runner=\"{marker}\"");
        loop {
            if get(addr, "/metrics").await.contains(&needle) {
                e2e.push(written.elapsed().as_secs_f64());
                break;
            }
            if written.elapsed() > Duration::from_secs(10) {
                e2e.push(f64::INFINITY);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    e2e.sort_by(f64::total_cmp);
    stop.cancel();
    let encode_started = Instant::now();
    let scrape = get(addr, "/metrics").await;
    let scrape_ms = encode_started.elapsed().as_secs_f64() * 1000.0;
    let series = scrape
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let cores = (cpu1 - cpu0) / elapsed;
    let lps = (lines1 - lines0) / elapsed;
    let rss_mib = hwm as f64 / 1024.0;
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    println!("  streams following        {streams:.0}");
    println!("  lines processed          {lps:.0}/s (offered {rate}/s)");
    println!(
        "  CPU                      {cores:.3} core           (target < 0.25)  {}",
        verdict(cores < 0.25)
    );
    println!(
        "  peak RSS                 {rss_mib:.1} MiB          (target < 64)    {}",
        verdict(rss_mib < 64.0)
    );
    println!(
        "  line->metrics delay p99  <= {:.1} ms over {samples:.0} lines (target < 100)  {}",
        p99_bound * 1000.0,
        verdict(p99_bound < 0.1)
    );
    println!(
        "  end to end (log write -> /metrics, 20 markers, 5 ms polling): median {:.0} ms, max {:.0} ms",
        e2e[e2e.len() / 2] * 1000.0,
        e2e[e2e.len() - 1] * 1000.0
    );
    println!("  one /metrics scrape      {scrape_ms:.1} ms for {series} series");
}
