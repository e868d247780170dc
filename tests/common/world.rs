//! The simulated world for remediation tests: a daemon with remediation
//! wired to it, and readers of its metrics and of the requests both fake
//! servers received.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use super::harness::get;
use runner_medic::classify::Classifier;
use runner_medic::config::{DaemonOverrides, DaemonSettings, FileConfig};
use runner_medic::daemon::{self, Daemon, DaemonConfig};
use runner_medic::health::HealthConfig;
use runner_medic::remediate::RemediationConfig;
use runner_medic::remediate::gitlab::{GitlabConfig, RunnerScope, Secret};
use runner_medic::remediate::lease::LeaseConfig;
use runner_medic::remediate::policy::{Mode, Policy, RestartMethod, Strategy};
use runner_medic::sim::render::Style;
use runner_medic::sim::world::{Pace, RunnerDeployment, SIM_PAT, Workflow, World};
use tokio_util::sync::CancellationToken;

pub const NS: &str = "gitlab-runner";
/// A legacy runner token whose short id is the seed's HYErDk_6w (fake).
pub const SEED_TOKEN: &str = "HYErDk_6wFAKEFAKEFAKE";
pub const REG_TOKEN: &str = "GR1348941FAKEregistration";

pub fn pace() -> Pace {
    Pace {
        poll: Duration::from_millis(250),
        lockout: Duration::from_secs(4),
        register_retry: Duration::from_millis(300),
        replace_after: Duration::from_millis(200),
    }
}

pub async fn world() -> (World, CancellationToken) {
    let token = CancellationToken::new();
    let w = World::start(pace(), token.clone()).await.unwrap();
    w.gitlab.lock().registration_tokens.push(REG_TOKEN.into());
    (w, token)
}

pub fn legacy(name: &str, preregistered: Option<&str>) -> RunnerDeployment {
    RunnerDeployment {
        namespace: NS.into(),
        name: name.into(),
        hash: "7d9c6b5f4".into(),
        workflow: Workflow::Legacy {
            registration_token: REG_TOKEN.into(),
        },
        style: Style::Runner { colours: true },
        labels: BTreeMap::from([("app".to_owned(), "gitlab-runner".to_owned())]),
        preregistered: preregistered.map(str::to_owned),
        sidecars: Vec::new(),
    }
}

pub fn policy(mode: Mode, strategy: Strategy) -> Policy {
    Policy {
        mode,
        strategy,
        restart_method: RestartMethod::Delete,
        for_: Duration::from_secs(1),
        min_forbidden: 3,
        cooldown: Duration::from_secs(1800),
        max_attempts: 3,
        attempt_window: Duration::from_secs(86_400),
        max_failures: 2,
        verify_timeout: Duration::from_secs(20),
    }
}

pub async fn daemon(
    w: &World,
    p: Policy,
    identity: &str,
    webhook: Option<&str>,
) -> (Daemon, CancellationToken) {
    daemon_with(w, p, identity, webhook, |_| {}).await
}

/// [`daemon`] with a last change to the remediation settings.
pub async fn daemon_with(
    w: &World,
    p: Policy,
    identity: &str,
    webhook: Option<&str>,
    adjust: impl FnOnce(&mut RemediationConfig),
) -> (Daemon, CancellationToken) {
    let mut problems = Vec::new();
    let o = DaemonOverrides {
        namespaces: vec![NS.into()],
        listen: Some("127.0.0.1:0".into()),
        since: Some("10m".into()),
        silence_timeout: Some("5s".into()),
        ..DaemonOverrides::default()
    };
    let settings = DaemonSettings::resolve(&o, &FileConfig::default(), &mut problems);
    assert!(problems.is_empty());
    let mut config = DaemonConfig::new(settings, Classifier::builtin(), HealthConfig::default());
    config.follow.backoff_initial = Duration::from_millis(100);
    config.follow.backoff_max = Duration::from_millis(400);
    let mut lease = LeaseConfig::new("runner-medic", "runner-medic", identity);
    lease.retry = Duration::from_millis(300);
    lease.lease_duration = Duration::from_secs(3);
    lease.renew_deadline = Duration::from_secs(2);
    config.remediation = Some(RemediationConfig {
        policy: p,
        gitlab: Some(GitlabConfig {
            url: w.gitlab.url(),
            token: Secret::new(SIM_PAT),
            rate: 100.0,
            timeout: Duration::from_secs(5),
            attempts: 2,
            scopes: vec![RunnerScope::Group("platform".into())],
            ca_pem: None,
        }),
        lease,
        selector: "app=gitlab-runner".into(),
        interval: Duration::from_millis(300),
        secret_key: "runner-token".into(),
        narrate: None,
        recreate_settings: Default::default(),
        runner_container: None,
        clock_skew: Duration::ZERO,
        recheck: Duration::from_secs(300),
    });
    if let Some(r) = config.remediation.as_mut() {
        adjust(r);
    }
    config.webhook = webhook.map(Secret::new);
    let token = CancellationToken::new();
    let listener = daemon::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let d = daemon::start(
        w.kube.client().unwrap(),
        config,
        listener,
        None,
        token.clone(),
    )
    .unwrap();
    (d, token)
}

pub async fn metrics(d: &Daemon) -> String {
    get(d.addr, "/metrics").await.1
}

/// Waits (40 s at most) until `check` holds for the daemon's metrics.
pub async fn until(d: &Daemon, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let m = metrics(d).await;
        if check(&m) {
            return m;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}:\n{}",
                m.lines()
                    .filter(|l| l.contains("remediation")
                        || l.contains("runner_state{") && l.ends_with(" 1"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn state_is(m: &str, runner: &str, state: &str) -> bool {
    m.lines().any(|l| {
        l.starts_with("runner_medic_runner_state{")
            && l.contains(&format!("runner=\"{runner}\",state=\"{state}\""))
            && l.ends_with(" 1")
    })
}

pub fn decisions(m: &str, verdict: &str, check: &str) -> f64 {
    m.lines()
        .filter(|l| {
            l.starts_with("runner_medic_remediation_decisions_total{")
                && l.contains(&format!("verdict=\"{verdict}\",check=\"{check}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

pub fn remediations(m: &str, result: &str) -> f64 {
    m.lines()
        .filter(|l| {
            l.starts_with("runner_medic_remediations_total{")
                && l.contains(&format!("result=\"{result}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Starts the seed deployment: runner HYErDk_6w, registered with a legacy
/// registration token, working until its token expires.
pub async fn seed(w: &World) -> (String, u64) {
    let id = w.gitlab.lock().add_runner(SEED_TOKEN, true);
    let pod = w.add(legacy("gitlab-runner", Some(SEED_TOKEN)), None);
    (pod, id)
}

pub fn gitlab_mutations(w: &World) -> Vec<String> {
    w.gitlab
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !(r.method == "POST" && r.uri == "/api/graphql"))
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect()
}

pub fn kube_mutations(w: &World) -> Vec<String> {
    w.kube
        .cluster
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect()
}

/// `POST /api/v1/alerts` with `body` (and `Authorization: Bearer <auth>`):
/// the status and the response body.
pub async fn post_alerts(
    addr: std::net::SocketAddr,
    auth: Option<&str>,
    body: String,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "POST /api/v1/alerts HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: Bearer {a}\r\n"));
    }
    req.push_str("\r\n");
    let _ = s.write_all(req.as_bytes()).await;
    let _ = s.write_all(body.as_bytes()).await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (
        code,
        text.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default(),
    )
}
