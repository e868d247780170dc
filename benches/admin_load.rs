//! The admin server under a noisy neighbour, as a separate `watch` process
//! against the simulated API server with `--runners` runners tracked
//! (default 1,000, about a megabyte of `/metrics`).
//!
//! `cargo bench --bench admin_load [-- --runners 1000 --idle 1000 --stalled 250]`
//!
//! 1. `--idle` connections (default 1,000) from 32 loopback addresses are
//!    opened and kept open (reopened as the server closes them) while
//!    `/livez` probes and `/metrics` scrapes come from another address:
//!    probe success, scrape success and p99.
//! 2. `--stalled` clients (default 250) request `/metrics` and never read
//!    the reply: the daemon's peak RSS against the shipped 256 MiB limit.
//!
//! A report, not a gate.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use runner_medic::event::Level;
use runner_medic::sim::cluster::{Cluster, PodTemplate};
use runner_medic::sim::kube::{FakeKube, Options};
use runner_medic::sim::render::{Entry, Style, render};
use tokio::io::AsyncWriteExt;

#[path = "support/mod.rs"]
mod support;
use support::{arg, get, proc_stat, value};

const NS: &str = "gitlab-runner";

/// A connection from loopback address `from`, or `None` when refused.
async fn connect(addr: SocketAddr, from: IpAddr) -> Option<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(from, 0)).ok()?;
    tokio::time::timeout(Duration::from_secs(2), socket.connect(addr))
        .await
        .ok()?
        .ok()
}

/// One request from 127.0.0.1: status and time, `None` on a failure.
async fn timed(addr: SocketAddr, path: &str) -> Option<(u16, Duration)> {
    let started = Instant::now();
    let text = tokio::time::timeout(Duration::from_secs(5), get(addr, path))
        .await
        .ok()?;
    let code = text.split(' ').nth(1)?.parse().ok()?;
    Some((code, started.elapsed()))
}

fn p99(mut v: Vec<Duration>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runners = arg("--runners", 1000);
    let idle = arg("--idle", 1000) as usize;
    let stalled = arg("--stalled", 250) as usize;
    let cluster = Cluster::new();
    let kube = FakeKube::start(cluster.clone(), Options::default())
        .await
        .unwrap();
    for i in 0..runners {
        let t = PodTemplate::runner(NS, "gitlab-runner", "7d9c6b5f4", &format!("p{i:04}"));
        let pod = t.name.clone();
        cluster.add_pod(t);
        let e = Entry::new(Level::Error, "Checking for jobs... forbidden")
            .field("runner", format!("r{i:07}x"))
            .field(
                "status",
                "POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
            );
        let text = render(&e, Style::Runner { colours: true });
        cluster.append(NS, &pod, "gitlab-runner", Timestamp::now(), text.trim_end());
    }
    let dir = std::env::temp_dir().join(format!("rm-admin-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kubeconfig"), kube.kubeconfig(NS)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner-medic"))
        .args(["watch", "--namespace", NS, "--listen", "127.0.0.1:0"])
        .args([
            "--log-format",
            "json",
            "--log-level",
            "runner_medic=info,warn",
        ])
        .args(["--max-streams", &(runners + 10).to_string()])
        .args(["--max-runners", &(runners * 2 + 100).to_string()])
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
    let addr: SocketAddr = loop {
        let l = rx.recv_timeout(Duration::from_secs(30)).expect("start");
        if l.contains("watching") {
            let v: serde_json::Value = serde_json::from_str(&l).unwrap();
            break v["listen"].as_str().unwrap().parse().unwrap();
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let size = loop {
        let m = get(addr, "/metrics").await;
        if value(&m, "runner_medic_log_lines_total") >= runners as f64 || Instant::now() > deadline
        {
            break m.len();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!(
        "admin_load: {runners} runners tracked, /metrics {:.0} KB",
        size as f64 / 1024.0
    );

    // 1. Idle connections, reopened as they are closed, from 32 addresses.
    let stop = tokio_util::sync::CancellationToken::new();
    let per_ip = idle.div_ceil(32);
    for ip in 0..32u8 {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, ip + 1));
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut held: Vec<tokio::net::TcpStream> = Vec::new();
            while !stop.is_cancelled() {
                held.retain(|s| s.peer_addr().is_ok());
                while held.len() < per_ip {
                    match connect(addr, from).await {
                        Some(s) => held.push(s),
                        None => break,
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (mut probes, mut probe_ok, mut scrape_ok) = (0, 0, 0);
    let (mut probe_times, mut scrape_times) = (Vec::new(), Vec::new());
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        probes += 1;
        if let Some((200, t)) = timed(addr, "/livez").await {
            probe_ok += 1;
            probe_times.push(t);
        }
        if let Some((200, t)) = timed(addr, "/metrics").await {
            scrape_ok += 1;
            scrape_times.push(t);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.cancel();
    println!(
        "  {idle} idle connections held from 32 addresses, 30 s: /livez {probe_ok}/{probes} ok (p99 {:.1} ms), /metrics {scrape_ok}/{probes} ok (p99 {:.1} ms; the rest answered 503 busy or were cut)",
        p99(probe_times),
        p99(scrape_times)
    );
    tokio::time::sleep(Duration::from_secs(6)).await;

    // 2. Clients that ask for /metrics and never read.
    let (_, rss_before) = proc_stat(pid);
    let mut stuck = Vec::new();
    for i in 0..stalled {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 2, (i / 30) as u8 + 1));
        if let Some(mut s) = connect(addr, from).await {
            let _ = s
                .write_all(b"GET /metrics HTTP/1.1\r\nHost: b\r\n\r\n")
                .await;
            stuck.push(s);
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (_, rss_after) = proc_stat(pid);
    let probe = timed(addr, "/livez").await.map(|(c, _)| c);
    println!(
        "  {} clients reading nothing of /metrics: peak RSS {:.1} MiB (before them {:.1} MiB; shipped limit 256 MiB), /livez answers {probe:?}",
        stuck.len(),
        rss_after as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );
    drop(stuck);
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
