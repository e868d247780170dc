//! The simulated world of the remediation tests (the Kubernetes API and
//! GitLab reacting to each other), a daemon with remediation wired to it,
//! and the requests both fake servers received.

use std::collections::BTreeMap;
use std::time::Duration;

use runner_medic::config::remediation::WebhookSettings;
use runner_medic::daemon::Daemon;
use runner_medic::remediate::RemediationConfig;
use runner_medic::remediate::gitlab::{GitlabConfig, RunnerScope, Secret};
use runner_medic::remediate::lease::LeaseConfig;
use runner_medic::remediate::policy::{Mode, Policy, RestartMethod, Strategy};
use runner_medic::sim::render::Style;
use runner_medic::sim::world::{Pace, RunnerDeployment, SIM_PAT, Workflow, World};
use tokio_util::sync::CancellationToken;

use super::NS;
use super::gitlab;
use super::harness::{launch, settings};

/// A legacy runner token whose short id is the seed's HYErDk_6w (fake).
pub const SEED_TOKEN: &str = "HYErDk_6wFAKEFAKEFAKE";
/// The registration token GitLab accepts in every world (fake).
pub const REG_TOKEN: &str = "GR1348941FAKEregistration";

/// The world's pace: polls every 250 ms, a 4 s lockout.
pub fn pace() -> Pace {
    Pace {
        poll: Duration::from_millis(250),
        lockout: Duration::from_secs(4),
        register_retry: Duration::from_millis(300),
        replace_after: Duration::from_millis(200),
    }
}

/// A new world (and the token that stops it) accepting [`REG_TOKEN`].
pub async fn world() -> (World, CancellationToken) {
    world_paced(pace()).await
}

/// [`world`] at another pace (a longer lockout, for instance).
pub async fn world_paced(pace: Pace) -> (World, CancellationToken) {
    let token = CancellationToken::new();
    let w = World::start(pace, token.clone()).await.unwrap();
    w.gitlab.lock().registration_tokens.push(REG_TOKEN.into());
    (w, token)
}

/// A Deployment `name` registering with [`REG_TOKEN`] (the legacy
/// workflow), or already registered with `preregistered`.
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

/// A policy acting after 1 s and 3 rejections, verifying within 20 s.
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

/// A daemon on `w` with remediation by `p` as lease holder `identity`, and
/// the Alertmanager webhook when `webhook` (its token) is given.
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
    let webhook = webhook.map(|t| WebhookSettings {
        token: Secret::new(t),
        cluster: None,
    });
    daemon_webhook(w, p, identity, webhook, adjust).await
}

/// [`daemon_with`] with the webhook's settings in full (its cluster).
pub async fn daemon_webhook(
    w: &World,
    p: Policy,
    identity: &str,
    webhook: Option<WebhookSettings>,
    adjust: impl FnOnce(&mut RemediationConfig),
) -> (Daemon, CancellationToken) {
    let s = settings(|o| {
        o.since = Some("10m".into());
        o.silence_timeout = Some("5s".into());
    });
    let mut lease = LeaseConfig::new("runner-medic", "runner-medic", identity);
    lease.retry = Duration::from_millis(300);
    lease.lease_duration = Duration::from_secs(3);
    lease.renew_deadline = Duration::from_secs(2);
    let mut remediation = RemediationConfig {
        policy: p,
        gitlab: Some(GitlabConfig {
            attempts: 2,
            scopes: vec![RunnerScope::Group("platform".into())],
            ..gitlab::config(w.gitlab.url(), SIM_PAT)
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
    };
    adjust(&mut remediation);
    launch(
        w.kube.client().unwrap(),
        s,
        |config| {
            config.remediation = Some(remediation);
            config.webhook = webhook;
        },
        None,
    )
    .await
}

/// Starts the seed deployment: runner HYErDk_6w, registered with a legacy
/// registration token, working until its token expires.
pub async fn seed(w: &World) -> (String, u64) {
    let id = w.gitlab.lock().add_runner(SEED_TOKEN, true);
    let pod = w.add(legacy("gitlab-runner", Some(SEED_TOKEN)), None);
    (pod, id)
}

/// Every GitLab request but reads (GETs and the GraphQL lookup).
pub fn gitlab_mutations(w: &World) -> Vec<String> {
    w.gitlab
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !(r.method == "POST" && r.uri == "/api/graphql"))
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect()
}

/// Every Kubernetes API request but GETs.
pub fn kube_mutations(w: &World) -> Vec<String> {
    w.kube
        .cluster
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect()
}
