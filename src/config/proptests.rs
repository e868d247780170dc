//! Property: whatever a config file says, `check-config`'s resolution
//! either reports problems or yields values within their documented ranges
//! ([`super::ranges`]), and the daemon's runtime values built from an
//! accepted file (timers, deadlines, the rate limiter, the stream
//! semaphore, the GitLab client) are built without a panic. Never a panic
//! in between.
//!
//! The files are YAML text generated over every known key, with in-range,
//! boundary, extreme (durations near 2^64, `rate: 1e-300`) and malformed
//! values (wrong types, bad units, special files as token files).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::ToSpan;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use proptest::test_runner::{Config as RunnerConfig, TestRunner};

use super::ranges::{self, Bounds, Setting};
use super::remediation::{self, RemediationOverrides};
use super::{Config, DaemonOverrides, DaemonSettings, FileConfig};

/// Files the generated configs point at.
struct Files {
    dir: PathBuf,
    gitlab_token: PathBuf,
    webhook_token: PathBuf,
    short_webhook_token: PathBuf,
    empty: PathBuf,
    too_large: PathBuf,
}

fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rm-config-prop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = Files {
            gitlab_token: dir.join("gitlab-token"),
            webhook_token: dir.join("webhook-token"),
            short_webhook_token: dir.join("short-webhook-token"),
            empty: dir.join("empty"),
            too_large: dir.join("too-large"),
            dir,
        };
        std::fs::write(&f.gitlab_token, "glpat-FAKETOKENTOKENTOKENTOKEN\n").unwrap();
        std::fs::write(&f.webhook_token, "0123456789abcdef0123\n").unwrap();
        std::fs::write(&f.short_webhook_token, "hook-secret-123\n").unwrap();
        std::fs::write(&f.empty, "").unwrap();
        // Sparse: it takes no space on the disk it is left on.
        std::fs::File::create(&f.too_large)
            .and_then(|file| file.set_len(ranges::MAX_FILE_BYTES + 1))
            .unwrap();
        f
    })
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn pick(values: &[&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(values.to_vec())
        .prop_map(str::to_owned)
        .boxed()
}

fn owned(values: Vec<String>) -> BoxedStrategy<String> {
    proptest::sample::select(values).boxed()
}

/// Values no setting of any type accepts, or only by accident: wrong YAML
/// types, empty values, tags, anchors.
fn garbage() -> BoxedStrategy<String> {
    pick(&[
        "~",
        "''",
        "[]",
        "[1, 2]",
        "{}",
        "{a: 1}",
        "true",
        "-1",
        ".nan",
        ".inf",
        "-.inf",
        "1e300",
        "18446744073709551616",
        "-9223372036854775809",
        "!!binary aGk=",
        "'\u{1b}[31m'",
        "\"\\0\"",
        "*undefined",
        "&a x",
        "'  '",
        "\"\\u202e5m\"",
    ])
}

/// A duration in seconds, written with various units.
fn write_duration(secs: u64, style: u8) -> String {
    match style {
        0 => format!("{secs}s"),
        1 if secs == 0 => "0m".into(),
        1 => {
            let (d, h, m, s) = (
                secs / 86_400,
                secs % 86_400 / 3600,
                secs % 3600 / 60,
                secs % 60,
            );
            let mut out = String::new();
            for (n, u) in [(d, 'd'), (h, 'h'), (m, 'm'), (s, 's')] {
                if n > 0 {
                    out.push_str(&format!("{n}{u}"));
                }
            }
            out
        }
        _ => quote(&format!(" {secs}s ")),
    }
}

fn duration_in(b: Bounds<Duration>) -> BoxedStrategy<String> {
    (b.min.as_secs()..=b.max.as_secs(), 0u8..3)
        .prop_map(|(s, style)| write_duration(s, style))
        .boxed()
}

fn duration_any(b: Bounds<Duration>) -> BoxedStrategy<String> {
    let (min, max) = (b.min.as_secs(), b.max.as_secs());
    let mut edges = vec![
        write_duration(min, 0),
        write_duration(max, 1),
        write_duration(max + 1, 0),
        write_duration(u64::MAX, 0),
        format!("{}d", u64::MAX / 86_400),
        format!("{}d", u64::MAX / 86_400 + 1),
        "99999999999999999999h".into(),
        "18446744073709551615s1s".into(),
    ];
    if min > 0 {
        edges.push(write_duration(min - 1, 0));
    }
    Union::new_weighted(vec![
        (4, duration_in(b)),
        (2, owned(edges)),
        (
            2,
            (
                any::<u64>(),
                pick(&["s", "m", "h", "d", "ms", "", "S", "w"]),
            )
                .prop_map(|(n, u)| format!("{n}{u}"))
                .boxed(),
        ),
        (
            1,
            pick(&[
                "0", "5", "m", "-1s", "1.5h", "1e3s", "soon", "10M", "1h-1s", "5 m", "'5m5'", "∞",
                "'1h 30m'",
            ]),
        ),
        (1, garbage()),
    ])
    .boxed()
}

fn count_in(b: Bounds<u64>) -> BoxedStrategy<String> {
    (b.min..=b.max).prop_map(|n| n.to_string()).boxed()
}

fn count_any(b: Bounds<u64>) -> BoxedStrategy<String> {
    let edges = vec![
        b.min.to_string(),
        b.max.to_string(),
        b.min.saturating_sub(1).to_string(),
        (b.max + 1).to_string(),
        u64::MAX.to_string(),
        usize::MAX.to_string(),
        "0".into(),
        "1.5".into(),
        "'3'".into(),
    ];
    Union::new_weighted(vec![
        (4, count_in(b)),
        (2, owned(edges)),
        (2, any::<u64>().prop_map(|n| n.to_string()).boxed()),
        (1, garbage()),
    ])
    .boxed()
}

fn real_in(b: Bounds<f64>) -> BoxedStrategy<String> {
    (b.min..=b.max).prop_map(|v| format!("{v:?}")).boxed()
}

fn real_any(b: Bounds<f64>) -> BoxedStrategy<String> {
    let edges = vec![
        format!("{:?}", b.min),
        format!("{:?}", b.max),
        format!("{:?}", b.max * (1.0 + 1e-9)),
        format!("{:?}", b.min - 1e-9),
        "1e-300".into(),
        "5e-324".into(),
        "0".into(),
        "-0.0".into(),
        "1e308".into(),
        "1".into(),
    ];
    Union::new_weighted(vec![
        (4, real_in(b)),
        (2, owned(edges)),
        (2, any::<f64>().prop_map(|v| format!("{v:?}")).boxed()),
        (1, garbage()),
    ])
    .boxed()
}

fn setting(s: Setting, hostile: bool) -> BoxedStrategy<String> {
    match (s, hostile) {
        (Setting::Duration(b), false) => duration_in(b),
        (Setting::Duration(b), true) => duration_any(b),
        (Setting::Count(b), false) => count_in(b),
        (Setting::Count(b), true) => count_any(b),
        (Setting::Real(b), false) => real_in(b),
        (Setting::Real(b), true) => real_any(b),
    }
}

/// Good values, and with `hostile` also bad ones, of the other keys.
fn other(good: &[&'static str], bad: &[&'static str], hostile: bool) -> BoxedStrategy<String> {
    match (hostile, bad.is_empty()) {
        (false, _) => pick(good),
        (true, true) => Union::new_weighted(vec![(3, pick(good)), (1, garbage())]).boxed(),
        (true, false) => {
            Union::new_weighted(vec![(3, pick(good)), (2, pick(bad)), (1, garbage())]).boxed()
        }
    }
}

fn path_value(good: Vec<String>, bad: Vec<String>, hostile: bool) -> BoxedStrategy<String> {
    let good: Vec<String> = good.iter().map(|p| quote(p)).collect();
    if hostile {
        let bad: Vec<String> = bad.iter().map(|p| quote(p)).collect();
        Union::new_weighted(vec![(3, owned(good)), (2, owned(bad)), (1, garbage())]).boxed()
    } else {
        owned(good)
    }
}

/// Every key of the file with a strategy for its value.
fn keys(hostile: bool) -> Vec<(&'static str, BoxedStrategy<String>)> {
    let f = files();
    let show = |p: &PathBuf| p.display().to_string();
    let special: Vec<String> = vec![
        show(&f.short_webhook_token),
        show(&f.empty),
        show(&f.too_large),
        show(&f.dir),
        "/nonexistent/token".into(),
        "/dev/null".into(),
        "/dev/zero".into(),
        "".into(),
    ];
    let mut keys: Vec<(&'static str, BoxedStrategy<String>)> = ranges::ALL
        .iter()
        .map(|s| (s.path(), setting(*s, hostile)))
        .collect();
    keys.extend([
        (
            "watch.namespaces",
            other(
                &["[gitlab-runner]", "[]", "[a, b-c]"],
                &["[Bad_NS]", "['-x']", "x", "[{}]", "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]"],
                hostile,
            ),
        ),
        (
            "watch.selector",
            other(
                &["app=gitlab-runner", "'app in (a,b)'", "'app!=x,tier'"],
                &["''", "'app=(x'", "'a;b'", "' '"],
                hostile,
            ),
        ),
        ("watch.container", other(&["gitlab-runner", "''"], &[], hostile)),
        (
            "watch.state_file",
            other(
                &["/var/lib/runner-medic/positions.json", "''"],
                &["/var/lib/", "'/'"],
                hostile,
            ),
        ),
        (
            "listen",
            other(
                &["0.0.0.0:9742", "127.0.0.1:0", "'[::1]:9742'"],
                &["nowhere", "'1.2.3.4:99999'", "':9742'"],
                hostile,
            ),
        ),
        ("log.format", other(&["plain", "json"], &["xml"], hostile)),
        (
            "log.level",
            other(
                &["info", "'runner_medic=debug,warn'"],
                &["'runner_medic=loud'", "'=,='"],
                hostile,
            ),
        ),
        (
            "rules",
            other(
                &[
                    "[]",
                    "[{name: waf-block, class: job_request_forbidden, pattern: '^blocked by waf', implied_status: 403}]",
                ],
                &[
                    "[{name: a, class: other, pattern: '(x'}]",
                    "[{name: a, class: other, pattern: a}, {name: a, class: other, pattern: b}]",
                    "[{name: A, class: nope, pattern: a}]",
                    "[{name: a, class: other, pattern: a, implied_status: 70000}]",
                    "[{name: a, class: other, pattern: 'a{1000}{1000}{1000}'}]",
                ],
                hostile,
            ),
        ),
        (
            "remediation.mode",
            other(&["off", "dry-run", "on"], &["maybe"], hostile),
        ),
        (
            "remediation.strategy",
            other(
                &["restart", "reregister", "rotate", "recreate"],
                &["reboot"],
                hostile,
            ),
        ),
        (
            "remediation.restart_method",
            other(&["delete", "rollout"], &["kill"], hostile),
        ),
        (
            "remediation.secret_key",
            other(&["runner-token"], &["''"], hostile),
        ),
        (
            "remediation.runner_container",
            other(&["gitlab-runner", "''"], &[], hostile),
        ),
        (
            "remediation.recreate_settings",
            other(
                &["{}", "{gitlab-runner/gitlab-runner: {runner_type: group_type, group_id: 42}}"],
                &[
                    "{nowhere: {runner_type: instance_type}}",
                    "{a/b: {runner_type: group_type}}",
                    "{a/b: {runner_type: nope}}",
                ],
                hostile,
            ),
        ),
        (
            "remediation.gitlab.url",
            other(
                &["https://gitlab.example.com", "'https://gitlab.example.com/'"],
                &["'http://127.0.0.1:8080'", "gitlab.example.com", "'ftp://x'", "''", "'HTTPS://x'"],
                hostile,
            ),
        ),
        (
            "remediation.gitlab.allow_http",
            other(&["true", "false"], &["maybe"], hostile),
        ),
        (
            "remediation.gitlab.token_file",
            path_value(vec![show(&f.gitlab_token)], special.clone(), hostile),
        ),
        (
            "remediation.gitlab.runner_scope",
            other(
                &["'group:platform'", "instance", "'project:a/b,group:c'"],
                &["everywhere", "'instance,group:a'", "'group:'", "' , '"],
                hostile,
            ),
        ),
        (
            "remediation.gitlab.ca_file",
            // Any regular file is read; its PEM is parsed by the client.
            path_value(vec![show(&f.gitlab_token)], special.clone(), hostile),
        ),
        (
            "remediation.lease.namespace",
            other(&["runner-medic"], &["''"], hostile),
        ),
        (
            "remediation.lease.name",
            other(&["runner-medic"], &["''"], hostile),
        ),
        (
            "webhook.token_file",
            path_value(vec![show(&f.webhook_token)], special, hostile),
        ),
        (
            "webhook.cluster",
            other(&["east", "prod-eu-1", "'Cluster A'"], &["''"], hostile),
        ),
    ]);
    keys
}

/// Nested YAML from dotted paths.
fn to_yaml(mut entries: Vec<(&'static str, String)>) -> String {
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    let mut open: Vec<&str> = Vec::new();
    for (path, value) in entries {
        let parts: Vec<&str> = path.split('.').collect();
        let (sections, key) = parts.split_at(parts.len() - 1);
        let common = open
            .iter()
            .zip(sections)
            .take_while(|(a, b)| a == b)
            .count();
        open.truncate(common);
        for s in &sections[common..] {
            out.push_str(&format!("{}{s}:\n", "  ".repeat(open.len())));
            open.push(s);
        }
        out.push_str(&format!("{}{}: {value}\n", "  ".repeat(open.len()), key[0]));
    }
    out
}

/// A config file: each key present or not; `hostile` files may hold any
/// value, the others only good ones (so that many are accepted).
fn config_file() -> impl Strategy<Value = String> {
    any::<bool>().prop_flat_map(|hostile| {
        // In a hostile file, about one value in six may be bad: enough to
        // find a bad value among good ones, not so many that every file is
        // refused by the parser.
        let (names, values): (Vec<&'static str>, Vec<BoxedStrategy<String>>) = keys(false)
            .into_iter()
            .zip(keys(true))
            .map(|((name, good), (_, any))| {
                let value = if hostile {
                    Union::new_weighted(vec![(5, good), (1, any)]).boxed()
                } else {
                    good
                };
                (name, value)
            })
            .unzip();
        let present = proptest::collection::vec(proptest::bool::weighted(0.4), names.len());
        (present, values, any::<bool>()).prop_map(move |(present, values, acting)| {
            let mut entries: Vec<(&'static str, String)> = names
                .iter()
                .zip(values)
                .zip(present)
                .filter(|(_, p)| *p)
                .map(|((n, v), _)| (*n, v))
                .collect();
            if !hostile && acting {
                // Enough for remediation to be resolved whole.
                for (k, v) in [
                    (
                        "remediation.gitlab.url",
                        quote("https://gitlab.example.com"),
                    ),
                    (
                        "remediation.gitlab.token_file",
                        quote(&files().gitlab_token.display().to_string()),
                    ),
                    ("remediation.gitlab.runner_scope", quote("group:platform")),
                ] {
                    if !entries.iter().any(|(n, _)| *n == k) {
                        entries.push((k, v));
                    }
                }
                entries.retain(|(n, _)| *n != "remediation.mode");
                entries.push(("remediation.mode", "on".into()));
            }
            to_yaml(entries)
        })
    })
}

/// The built-in rules, compiled once.
fn builtin() -> crate::classify::Classifier {
    static BUILTIN: OnceLock<crate::classify::Classifier> = OnceLock::new();
    BUILTIN
        .get_or_init(crate::classify::Classifier::builtin)
        .clone()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
}

/// A resolved value within its range.
trait InRange<T> {
    fn check(&self, value: T) -> Result<(), TestCaseError>;
}

impl InRange<Duration> for Bounds<Duration> {
    fn check(&self, value: Duration) -> Result<(), TestCaseError> {
        prop_assert!(
            self.contains(value),
            "{}: {value:?} accepted, out of {}",
            self.path,
            self.range()
        );
        Ok(())
    }
}

impl InRange<u64> for Bounds<u64> {
    fn check(&self, value: u64) -> Result<(), TestCaseError> {
        prop_assert!(
            self.contains(value),
            "{}: {value} accepted, out of {}",
            self.path,
            self.range()
        );
        Ok(())
    }
}

impl InRange<usize> for Bounds<u64> {
    fn check(&self, value: usize) -> Result<(), TestCaseError> {
        self.check(value as u64)
    }
}

impl InRange<f64> for Bounds<f64> {
    fn check(&self, value: f64) -> Result<(), TestCaseError> {
        prop_assert!(
            self.contains(value),
            "{}: {value} accepted, out of {}",
            self.path,
            self.range()
        );
        Ok(())
    }
}

/// A timer's deadline as the daemon computes it (`Instant + d`, which
/// panics on overflow).
fn deadline(d: Duration) {
    let _ = std::time::Instant::now() + d;
    let _ = tokio::time::Instant::now() + d;
    let _ = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(d).unwrap())
        .unwrap();
    let _ = jiff::Timestamp::now().checked_sub(d).unwrap();
}

static CASES: AtomicUsize = AtomicUsize::new(0);
static ACCEPTED: AtomicUsize = AtomicUsize::new(0);
static ACTING: AtomicUsize = AtomicUsize::new(0);

fn check(yaml: &str, full: bool) -> Result<(), TestCaseError> {
    CASES.fetch_add(1, Ordering::Relaxed);
    let Ok(file) = super::parse(std::path::Path::new("generated.yaml"), yaml) else {
        return Ok(());
    };
    // `check-config`.
    // `check-config`. Compiling the rules takes tens of milliseconds in a
    // debug build: every file's values are checked as `check-config` checks
    // them, and `full` files (one in ten) go through `check-config` whole.
    let (health, classifier) = if full {
        match Config::from_file(&file) {
            Ok(c) => (c.health, c.classifier),
            Err(_) => return Ok(()),
        }
    } else {
        let mut problems = Vec::new();
        let health = super::check_values(&file, &mut problems);
        if !problems.is_empty() {
            return Ok(());
        }
        (health, builtin())
    };
    ACCEPTED.fetch_add(1, Ordering::Relaxed);
    // `watch` with no flag resolves the same file the same way.
    let mut problems = Vec::new();
    let settings = DaemonSettings::resolve(&DaemonOverrides::default(), &file, &mut problems);
    let no_env = |_: &str| None;
    let (rc, webhook) = remediation::resolve(
        &RemediationOverrides::default(),
        &file,
        &settings.selector,
        &no_env,
        &mut problems,
    );
    prop_assert!(
        problems.is_empty(),
        "check-config accepted it, watch did not: {problems:?}"
    );
    if let Some(w) = &webhook {
        prop_assert!(w.token.expose().chars().count() >= ranges::WEBHOOK_TOKEN_MIN_CHARS);
    }
    let h = &health;
    ranges::FLEET_WINDOW.check(h.fleet_window)?;
    ranges::FLEET_MIN_RUNNERS.check(h.fleet_min_runners)?;
    ranges::FLEET_MIN_FRACTION.check(h.fleet_min_fraction)?;
    ranges::SINCE.check(settings.since)?;
    ranges::SILENCE_TIMEOUT.check(settings.silence_timeout)?;
    ranges::MAX_STREAM_AGE.check(settings.max_stream_age)?;
    ranges::RUNNER_TTL.check(settings.runner_ttl)?;
    ranges::MAX_STREAMS.check(settings.max_streams)?;
    ranges::MAX_RUNNERS.check(settings.max_runners)?;
    // The runtime values, built as the daemon builds them.
    let _guard = runtime().enter();
    let daemon = crate::daemon::DaemonConfig::new(settings, classifier, health);
    let follow = &daemon.follow;
    for d in [follow.lookback, follow.silence_timeout, follow.max_age] {
        deadline(d);
        drop(tokio::time::sleep(d));
    }
    let _ = jiff::Timestamp::now()
        .checked_sub((follow.lookback.as_secs() as i64).seconds())
        .unwrap();
    deadline(daemon.settings.runner_ttl);
    deadline(daemon.health.fleet_window);
    let _ = tokio::sync::Semaphore::new(daemon.settings.max_streams);
    let _ =
        crate::health::Tracker::with_capacity(daemon.health.clone(), daemon.settings.max_runners);
    let Some(rc) = rc else {
        return Ok(());
    };
    ACTING.fetch_add(1, Ordering::Relaxed);
    let p = &rc.policy;
    ranges::FOR.check(p.for_)?;
    ranges::MIN_FORBIDDEN.check(p.min_forbidden)?;
    ranges::COOLDOWN.check(p.cooldown)?;
    ranges::MAX_ATTEMPTS.check(p.max_attempts)?;
    ranges::ATTEMPT_WINDOW.check(p.attempt_window)?;
    ranges::MAX_FAILURES.check(p.max_failures)?;
    ranges::VERIFY_TIMEOUT.check(p.verify_timeout)?;
    ranges::INTERVAL.check(rc.interval)?;
    ranges::CLOCK_SKEW.check(rc.clock_skew)?;
    ranges::RECHECK.check(rc.recheck)?;
    for d in [
        p.for_,
        p.cooldown,
        p.attempt_window,
        p.verify_timeout,
        rc.interval,
        rc.clock_skew,
        rc.recheck,
    ] {
        deadline(d);
    }
    // `tokio::time::interval` panics on a zero period.
    drop(tokio::time::interval(rc.interval));
    let g = rc.gitlab.clone().unwrap();
    ranges::GITLAB_RATE.check(g.rate)?;
    ranges::GITLAB_TIMEOUT.check(g.timeout)?;
    prop_assert!(g.url.starts_with("https://") || file.remediation.gitlab.allow_http == Some(true));
    // The rate limiter's step.
    deadline(Duration::from_secs_f64(1.0 / g.rate));
    deadline(g.timeout);
    if full {
        // A CA file that is no PEM is an error of the client, not a panic.
        let _ = crate::remediate::gitlab::Gitlab::new(g, None);
    }
    Ok(())
}

#[test]
fn any_config_file_is_refused_or_runs_within_its_ranges() {
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 256,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let result = runner.run(
        &(config_file(), proptest::bool::weighted(0.1)),
        |(yaml, full)| check(&yaml, full),
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let (cases, accepted, acting) = (
        CASES.load(Ordering::Relaxed),
        ACCEPTED.load(Ordering::Relaxed),
        ACTING.load(Ordering::Relaxed),
    );
    // The property must not hold only because every file is refused.
    assert!(
        accepted * 5 >= cases && acting * 20 >= cases,
        "{accepted} accepted, {acting} with remediation, of {cases}"
    );
}

/// Every key the generator knows is a key of the file: a file with all of
/// them, each good, is accepted.
#[test]
fn the_generator_knows_every_key() {
    let mut runner = TestRunner::deterministic();
    let values: Vec<(&'static str, String)> = keys(false)
        .into_iter()
        .map(|(k, s)| (k, s.new_tree(&mut runner).unwrap().current()))
        .collect();
    let yaml = to_yaml(values);
    let file: FileConfig = super::parse(std::path::Path::new("all.yaml"), &yaml)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert!(file.remediation.gitlab.url.is_some(), "{yaml}");
    let problems = Config::from_file(&file).err().unwrap_or_default();
    assert!(problems.is_empty(), "{problems:?}\n{yaml}");
}

/// ...and every key of the file is one the generator knows: the keys each
/// section allows, as the parser lists them for an unknown one.
#[test]
fn the_generator_covers_every_key_of_the_file() {
    let known: Vec<&str> = keys(false).into_iter().map(|(k, _)| k).collect();
    let sections = [
        "",
        "watch",
        "log",
        "health",
        "remediation",
        "remediation.gitlab",
        "remediation.lease",
        "webhook",
    ];
    for section in sections {
        let mut yaml = String::new();
        let mut depth = 0;
        for part in section.split('.').filter(|p| !p.is_empty()) {
            yaml.push_str(&format!("{}{part}:\n", "  ".repeat(depth)));
            depth += 1;
        }
        yaml.push_str(&format!("{}zz_unknown: 1\n", "  ".repeat(depth)));
        let e = super::parse(std::path::Path::new("x.yaml"), &yaml)
            .unwrap_err()
            .to_string();
        let expected = e
            .split_once("expected one of ")
            .map(|(_, rest)| rest.lines().next().unwrap_or(""))
            .unwrap_or_else(|| panic!("{e}"));
        let fields: Vec<&str> = expected
            .split(',')
            .map(|f| f.trim().trim_matches('`'))
            .collect();
        assert!(!fields.is_empty(), "{e}");
        for field in fields {
            let path = if section.is_empty() {
                field.to_owned()
            } else {
                format!("{section}.{field}")
            };
            assert!(
                known.contains(&path.as_str()) || sections.contains(&path.as_str()),
                "{path} is not generated"
            );
        }
    }
}
