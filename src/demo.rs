//! `runner-medic demo`: the real daemon, with remediation on, against the
//! simulated world (a Kubernetes API and a GitLab that react to each other).
//!
//! Three runner Deployments in namespace `gitlab-runner`, all labelled
//! `app=gitlab-runner`, their runner processes logging in real time (time
//! compressed: the runner's one-hour lockout lasts 40 seconds here):
//!
//! * `gitlab-runner`: the seed incident. Runner `HYErDk_6w` registered
//!   with a registration token and runs jobs; a few seconds in, GitLab stops
//!   accepting its authentication token: 403s, then the runner's lockout.
//! * `gitlab-runner-build`: a healthy runner (`logFormat: json`).
//! * `gitlab-runner-deploy`: another healthy runner (`logFormat: text`).
//!
//! As soon as the stale runner locks itself out, GitLab goes down for a
//! while: every runner sees 503s, and runner-medic refuses to touch
//! anything (its preflight asks GitLab first). When GitLab is back it
//! carries out the seed runbook: deletes runner `HYErDk_6w` in GitLab,
//! deletes its pod, and verifies that the replacement pod registered a new
//! runner that polls for jobs.
//!
//! The narration prints every state change with its diagnosis, and every
//! remediation decision and step.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::classify::Classifier;
use crate::config::{DaemonOverrides, DaemonSettings, FileConfig};
use crate::daemon::{self, DaemonConfig};
use crate::health::{HealthConfig, State};
use crate::pipeline::Change;
use crate::remediate::RemediationConfig;
use crate::remediate::gitlab::{GitlabConfig, RunnerScope, Secret};
use crate::remediate::lease::LeaseConfig;
use crate::remediate::policy::{Mode, Policy, Strategy};
use crate::sim::gitlab::GitlabFault;
use crate::sim::render::Style;
use crate::sim::world::{Pace, RunnerDeployment, SIM_PAT, Workflow, World};

/// The namespace of the demo's runners.
pub const NAMESPACE: &str = "gitlab-runner";

/// The seed runner's authentication token (fake; its short id is the
/// seed's `HYErDk_6w`).
pub const SEED_TOKEN: &str = "HYErDk_6wFAKEdemoFAKE";

/// The registration token every demo runner registers with (fake).
const REGISTRATION_TOKEN: &str = "GR1348941FAKEdemoregistration";

/// When the seed runner's token stops working.
const EXPIRE_AFTER: Duration = Duration::from_secs(6);

/// How long the GitLab outage lasts.
const OUTAGE: Duration = Duration::from_secs(16);

/// Settings of a demo run.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Admin server address.
    pub listen: std::net::SocketAddr,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Remediation mode (`on` by default in the demo).
    pub mode: Mode,
    /// How long a runner must be rejected before runner-medic acts on its
    /// own (an Alertmanager alert can trigger it earlier).
    pub remediate_after: Duration,
    /// The Alertmanager webhook's bearer token (`None`: webhook off).
    pub webhook: Option<crate::config::remediation::WebhookSettings>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 9742)),
            duration: None,
            mode: Mode::On,
            remediate_after: Duration::from_secs(12),
            webhook: None,
        }
    }
}

/// The demo's pace: real runner behaviour, time compressed.
pub fn pace() -> Pace {
    Pace {
        poll: Duration::from_secs(2),
        lockout: Duration::from_secs(40),
        register_retry: Duration::from_secs(2),
        replace_after: Duration::from_millis(500),
    }
}

fn deployment(
    name: &str,
    hash: &str,
    style: Style,
    preregistered: Option<&str>,
) -> RunnerDeployment {
    RunnerDeployment {
        namespace: NAMESPACE.into(),
        name: name.into(),
        hash: hash.into(),
        workflow: Workflow::Legacy {
            registration_token: REGISTRATION_TOKEN.into(),
        },
        style,
        labels: BTreeMap::from([("app".to_owned(), "gitlab-runner".to_owned())]),
        preregistered: preregistered.map(str::to_owned),
        sidecars: Vec::new(),
    }
}

/// Starts the world and the demo's three runner Deployments.
pub async fn start_world(token: &CancellationToken) -> std::io::Result<World> {
    let world = World::start(pace(), token.clone()).await?;
    {
        let mut g = world.gitlab.lock();
        g.registration_tokens.push(REGISTRATION_TOKEN.into());
        g.add_runner(SEED_TOKEN, true);
    }
    let colours = Style::Runner { colours: true };
    world.add(
        deployment("gitlab-runner", "7d9c6b5f4", colours, Some(SEED_TOKEN)),
        None,
    );
    world.add(
        deployment("gitlab-runner-build", "5f6b8d9c7", Style::Json, None),
        None,
    );
    world.add(
        deployment("gitlab-runner-deploy", "84d5c7f9b", Style::Text, None),
        None,
    );
    Ok(world)
}

/// The remediation settings of the demo.
fn remediation(
    world: &World,
    config: &DemoConfig,
    narrate: mpsc::UnboundedSender<String>,
) -> RemediationConfig {
    let mut lease = LeaseConfig::new("runner-medic", "runner-medic", "runner-medic-demo");
    lease.retry = Duration::from_secs(1);
    RemediationConfig {
        policy: Policy {
            mode: config.mode,
            strategy: Strategy::Reregister,
            for_: config.remediate_after,
            verify_timeout: Duration::from_secs(60),
            ..Policy::default()
        },
        gitlab: Some(GitlabConfig {
            url: world.gitlab.url(),
            token: Secret::new(SIM_PAT),
            rate: 10.0,
            timeout: Duration::from_secs(5),
            attempts: 2,
            scopes: vec![RunnerScope::Group("platform".into())],
            ca_pem: None,
        }),
        lease,
        selector: "app=gitlab-runner".into(),
        interval: Duration::from_secs(1),
        secret_key: "runner-token".into(),
        narrate: Some(narrate),
        recreate_settings: Default::default(),
        runner_container: None,
        clock_skew: Duration::ZERO,
        recheck: Duration::from_secs(300),
    }
}

/// Runs the demo until `token` is cancelled or the duration ends.
pub async fn run(config: DemoConfig, token: CancellationToken) -> anyhow::Result<()> {
    let world = start_world(&token).await?;
    let overrides = DaemonOverrides {
        namespaces: vec![NAMESPACE.into()],
        listen: Some(config.listen.to_string()),
        since: Some("10m".into()),
        ..DaemonOverrides::default()
    };
    let mut problems = Vec::new();
    let settings = DaemonSettings::resolve(&overrides, &FileConfig::default(), &mut problems);
    if let Some(p) = problems.first() {
        anyhow::bail!("demo settings: {p}");
    }
    let listener = daemon::bind(settings.listen).await?;
    let (changes_tx, changes_rx) = mpsc::channel(256);
    let (narrate_tx, narrate_rx) = mpsc::unbounded_channel();
    let mut daemon_config =
        DaemonConfig::new(settings, Classifier::builtin(), HealthConfig::default());
    if config.mode != Mode::Off {
        daemon_config.remediation = Some(remediation(&world, &config, narrate_tx));
    }
    daemon_config.webhook = config.webhook.clone();
    let d = daemon::start(
        world.kube.client()?,
        daemon_config,
        listener,
        Some(changes_tx),
        token.clone(),
    )?;
    println!(
        "runner-medic demo: a simulated cluster ({}) and GitLab ({}), three runner pods in namespace {NAMESPACE}.",
        world.kube.url(),
        world.gitlab.url()
    );
    println!("  status page  http://{}/", d.addr);
    println!("  metrics      http://{}/metrics", d.addr);
    if config.webhook.is_some() {
        println!("  webhook      http://{}/api/v1/alerts", d.addr);
    }
    println!(
        "  remediation  {} (strategy reregister)",
        config.mode.as_str()
    );
    println!("  time is compressed: the runner's 1h lockout lasts 40s here. Ctrl-C stops.\n");
    if let Some(limit) = config.duration {
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            t.cancel();
        });
    }
    // The seed incident: the runner's token stops working.
    {
        let world = world.clone();
        let t = token.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(EXPIRE_AFTER) => world.gitlab.lock().expire(SEED_TOKEN),
                _ = t.cancelled() => {}
            }
        });
    }
    narrate(changes_rx, narrate_rx, &world, &token).await;
    let _ = d.done.await;
    world.kube.stop();
    world.gitlab.stop();
    if let Some(why) = d.failure.get() {
        anyhow::bail!("the daemon stopped: {why}");
    }
    println!("\ndemo finished.");
    Ok(())
}

/// GitLab goes down for [`OUTAGE`], then comes back.
fn outage(world: &World, token: &CancellationToken) {
    let world = world.clone();
    let token = token.clone();
    tokio::spawn(async move {
        world.gitlab.lock().faults.push(GitlabFault::Down);
        println!(
            "{}  GitLab goes down (every API request answers 503)",
            clock()
        );
        tokio::select! {
            _ = tokio::time::sleep(OUTAGE) => {}
            _ = token.cancelled() => return,
        }
        world
            .gitlab
            .lock()
            .faults
            .retain(|f| *f != GitlabFault::Down);
        println!("{}  GitLab is back", clock());
    });
}

fn clock() -> String {
    Timestamp::now().strftime("%H:%M:%S").to_string()
}

/// Prints every change and remediation record until both channels close;
/// starts the GitLab outage when the stale runner locks itself out.
async fn narrate(
    mut changes: mpsc::Receiver<Change>,
    mut records: mpsc::UnboundedReceiver<String>,
    world: &World,
    token: &CancellationToken,
) {
    let mut out = std::io::stdout();
    let mut outage_started = false;
    let mut records_open = true;
    loop {
        let text = tokio::select! {
            c = changes.recv() => match c {
                Some(c) => {
                    if !outage_started && c.transition.to == State::LockedOut {
                        outage_started = true;
                        outage(world, token);
                    }
                    change_text(&c)
                }
                None => break,
            },
            r = records.recv(), if records_open => match r {
                Some(r) => format!("{}  remediation: {r}\n", clock()),
                None => {
                    records_open = false;
                    continue;
                }
            },
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

fn change_text(c: &Change) -> String {
    let t = &c.transition;
    let d = &c.diagnosis;
    let when = t.at.at.unwrap_or_else(Timestamp::now).strftime("%H:%M:%S");
    let mut text = format!(
        "{when}  runner {} ({}): {} -> {}\n          {}\n",
        t.key.runner,
        d.workload,
        t.from.as_str(),
        t.to.as_str(),
        d.summary
    );
    if t.to.is_bad() {
        if let Some(first) = d.fix.first() {
            text.push_str(&format!("          fix: {first}\n"));
        }
        if let Some(wont) = d.will_not_help.first() {
            text.push_str(&format!("          will not help: {wont}\n"));
        }
    }
    text
}
