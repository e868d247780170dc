//! Parse + classify throughput on pod-shaped lines (kubelet timestamps,
//! runner format with colours, a mix of healthy polling and 403 loops).
//! `cargo bench --bench classify`; the side-by-side comparison against
//! ripgrep and a Python classifier is `benches/compare.sh`.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;

use runner_medic::analyze::Analyzer;
use runner_medic::classify::Classifier;
use runner_medic::config::Config;
use runner_medic::parse::Parser;
use runner_medic::sim::render::{Style, kube_prefix};
use runner_medic::sim::scenario::PodScript;

fn corpus() -> Vec<Vec<u8>> {
    let t0: Timestamp = "2026-03-02T08:00:00Z".parse().unwrap();
    let mut lines = Vec::new();
    for pod in 0..4 {
        let mut p = PodScript::new(
            &format!("gitlab-runner-7d9c6b5f4-pod{pod}x"),
            t0,
            Style::Runner { colours: true },
        );
        p.start();
        for round in 0..40 {
            p.wait(Duration::from_secs(5))
                .job("Zx8Kq2LmP", "platform/payments-api");
            if pod == 0 && round % 4 == 0 {
                p.forbidden_cycle("HYErDk_6w");
            }
        }
        for l in p.lines() {
            lines.push(format!("{}{}", kube_prefix(l.at), l.text).into_bytes());
        }
    }
    lines
}

fn bench(c: &mut Criterion) {
    let lines = corpus();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let classifier = Classifier::builtin();
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse", |b| {
        let mut parser = Parser::new();
        b.iter(|| {
            for l in &lines {
                black_box(parser.parse(l, false).message.len());
            }
        })
    });
    g.bench_function("parse+classify", |b| {
        let mut parser = Parser::new();
        b.iter(|| {
            for l in &lines {
                let p = parser.parse(l, false);
                black_box(classifier.classify(&p));
            }
        })
    });
    g.bench_function("parse+classify+health", |b| {
        let config = Config::default();
        b.iter(|| {
            let mut a = Analyzer::new(&config.classifier, config.health.clone(), "gitlab-runner");
            let origin = a.origin_for("gitlab-runner-7d9c6b5f4-pod0x");
            for l in &lines {
                a.line(l, false, &origin);
            }
            black_box(a.tracker().len())
        })
    });
    g.finish();
}

/// `analyze` over 100,000 distinct runners (a stale one each: a 403, a
/// lockout), in 50 pods: the tracker and the report must stay linear in
/// distinct runners (matching ids, the fleet watch and the search for a
/// replacement used to scan every runner).
fn distinct_runners(c: &mut Criterion) {
    const RUNNERS: usize = 100_000;
    let t0: Timestamp = "2026-03-02T08:00:00Z".parse().unwrap();
    let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let id = |mut n: usize| -> String {
        (0..9)
            .map(|_| {
                let c = alphabet[n % alphabet.len()] as char;
                n /= alphabet.len();
                c
            })
            .collect()
    };
    let mut lines = Vec::with_capacity(RUNNERS * 2);
    for i in 0..RUNNERS {
        let at = t0 + jiff::SignedDuration::from_millis((i * 36) as i64);
        let mut p = PodScript::new(
            &format!("gitlab-runner-7d9c6b5f4-p{:04}", i % 50),
            at,
            Style::Runner { colours: false },
        );
        p.forbidden(&id(i * 7919 + 13));
        for l in p.lines() {
            lines.push(format!("{}{}", kube_prefix(l.at), l.text).into_bytes());
        }
    }
    let config = Config::default();
    let mut g = c.benchmark_group("analyze");
    g.sample_size(10);
    g.throughput(Throughput::Elements(RUNNERS as u64));
    g.bench_function("100k_distinct_runners", |b| {
        b.iter(|| {
            let mut a = Analyzer::new(&config.classifier, config.health.clone(), "gitlab-runner");
            let origin = a.origin_for("gitlab-runner-7d9c6b5f4-p0000");
            for l in &lines {
                a.line(l, false, &origin);
            }
            black_box(a.report().summary.runners)
        })
    });
    g.finish();
}

criterion_group!(benches, bench, distinct_runners);
criterion_main!(benches);
