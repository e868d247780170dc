//! Time to encode `/metrics` with 10,000 series (target: under 20 ms).
//! `cargo bench --bench metrics_encode`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use runner_medic::event::{Class, RunnerId};
use runner_medic::health::{RunnerKey, State};
use runner_medic::metrics::Metrics;

fn bench(c: &mut Criterion) {
    let (registry, m) = Metrics::new_registry();
    // Each runner has 24 class counters + 6 states + 4 gauges = 34 series;
    // 295 runners give ~10,000 series.
    let mut kept = Vec::new();
    for i in 0..295 {
        let key = RunnerKey {
            namespace: "gitlab-runner".into(),
            workload: format!("runner-{}", i % 20).into(),
            runner: RunnerId::normalize(&format!("r{i:07}x")).unwrap(),
        };
        let mut s = m
            .runners
            .runner_series(&key, &format!("runner-{}-7d9c6b5f4-p{i:04}", i % 20).into());
        m.runners.runner_state(
            &mut s,
            &format!("runner-{}-7d9c6b5f4-p{i:04}", i % 20).into(),
            State::Healthy,
            Some(1.0e9),
        );
        s.event(Class::JobRequestOk);
        kept.push(s);
    }
    let text = Metrics::encode(&registry);
    let series = text.lines().filter(|l| !l.starts_with('#')).count();
    println!("encoding {series} series ({} KiB)", text.len() / 1024);
    c.bench_function("encode_10k_series", |b| {
        b.iter(|| black_box(Metrics::encode(&registry).len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
