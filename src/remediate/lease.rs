//! Leader election with a `coordination.k8s.io/v1` Lease, the client-go
//! way: GET; create when absent; otherwise take it over only when its
//! holder has not renewed it for `lease_duration` *as observed locally*
//! (the record's own times are not trusted: clocks differ); every write is
//! a PUT of the object just read, so a concurrent writer gets 409 and
//! loses. The holder renews every `retry`; if it cannot renew within
//! `renew_deadline` it steps down. Only the holder remediates; every
//! replica exports metrics.
//!
//! This guarantees no fencing (client-go says the same); remediation
//! re-checks leadership before every mutating step and its steps are
//! idempotent (UID preconditions, "404 means gone").

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Api;
use kube::api::PostParams;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Lease timing (client-go defaults).
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// Lease namespace.
    pub namespace: String,
    /// Lease name.
    pub name: String,
    /// This replica's identity (the pod name).
    pub identity: String,
    /// How long a lease is valid without renewal.
    pub lease_duration: Duration,
    /// The holder gives up if it cannot renew within this.
    pub renew_deadline: Duration,
    /// Time between attempts.
    pub retry: Duration,
}

impl LeaseConfig {
    /// client-go's defaults: 15 s, 10 s, 2 s.
    pub fn new(namespace: &str, name: &str, identity: &str) -> LeaseConfig {
        LeaseConfig {
            namespace: namespace.into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry: Duration::from_secs(2),
        }
    }
}

/// One replica's view of the lease.
#[derive(Debug)]
pub struct Elector {
    api: Api<Lease>,
    config: LeaseConfig,
    /// The last record seen and when it was seen.
    observed: Option<(LeaseSpec, Instant)>,
    /// When we last renewed successfully.
    renewed: Option<Instant>,
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// We hold the lease.
    Leader,
    /// Someone else does (their identity).
    Follower(String),
    /// The API call failed (leadership unknown: treated as not leader once
    /// the renew deadline passes).
    Error(String),
}

impl Elector {
    /// An elector for `config`.
    pub fn new(client: kube::Client, config: LeaseConfig) -> Elector {
        Elector {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: None,
            renewed: None,
        }
    }

    fn spec(&self, now: Timestamp, acquire: Option<MicroTime>, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: Some(self.config.lease_duration.as_secs() as i32),
            acquire_time: Some(acquire.unwrap_or(MicroTime(now))),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    /// One `tryAcquireOrRenew`.
    pub async fn try_acquire_or_renew(&mut self) -> Attempt {
        let now = Timestamp::now();
        let existing = match self.api.get_opt(&self.config.name).await {
            Ok(l) => l,
            Err(e) => return Attempt::Error(e.to_string()),
        };
        let Some(mut lease) = existing else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(now, None, 0)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(l) => {
                    self.note(l.spec.unwrap_or_default());
                    self.renewed = Some(Instant::now());
                    Attempt::Leader
                }
                Err(kube::Error::Api(s)) if s.code == 409 => {
                    Attempt::Follower("(just created by another replica)".into())
                }
                Err(e) => Attempt::Error(e.to_string()),
            };
        };
        let record = lease.spec.clone().unwrap_or_default();
        // Expiry is judged by when *we* saw the record change.
        let changed = self.observed.as_ref().is_none_or(|(old, _)| *old != record);
        if changed {
            self.note(record.clone());
        }
        let holder = record.holder_identity.clone().unwrap_or_default();
        let mine = holder == self.config.identity;
        let observed_at = self
            .observed
            .as_ref()
            .map_or_else(Instant::now, |(_, at)| *at);
        let duration =
            Duration::from_secs(record.lease_duration_seconds.unwrap_or(15).max(1) as u64);
        if !holder.is_empty() && !mine && observed_at.elapsed() < duration {
            return Attempt::Follower(holder);
        }
        let (acquire, transitions) = if mine {
            (
                record.acquire_time.clone(),
                record.lease_transitions.unwrap_or(0),
            )
        } else {
            (None, record.lease_transitions.unwrap_or(0) + 1)
        };
        lease.spec = Some(self.spec(now, acquire, transitions));
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            Ok(l) => {
                self.note(l.spec.unwrap_or_default());
                self.renewed = Some(Instant::now());
                Attempt::Leader
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Attempt::Follower(holder),
            Err(e) => Attempt::Error(e.to_string()),
        }
    }

    fn note(&mut self, spec: LeaseSpec) {
        self.observed = Some((spec, Instant::now()));
    }

    /// Gives the lease up (on shutdown), as `ReleaseOnCancel` does.
    pub async fn release(&mut self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.config.name).await else {
            return;
        };
        let spec = lease.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        lease.spec = Some(LeaseSpec {
            holder_identity: Some(String::new()),
            lease_duration_seconds: Some(1),
            renew_time: Some(MicroTime(Timestamp::now())),
            ..spec
        });
        let _ = self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await;
    }

    /// Runs the election loop; `leader` follows this replica's leadership.
    pub async fn run(
        mut self,
        leader: watch::Sender<bool>,
        metrics: Metrics,
        token: CancellationToken,
    ) {
        loop {
            let attempt = self.try_acquire_or_renew().await;
            let was = *leader.borrow();
            let is = match &attempt {
                Attempt::Leader => true,
                Attempt::Follower(_) => false,
                // Keep leadership while within the renew deadline.
                Attempt::Error(e) => {
                    tracing::warn!(error = %e, "lease renewal failed");
                    was && self
                        .renewed
                        .is_some_and(|r| r.elapsed() < self.config.renew_deadline)
                }
            };
            if is != was {
                match &attempt {
                    Attempt::Leader => {
                        tracing::info!(identity = %self.config.identity, lease = %self.config.name, "became leader")
                    }
                    Attempt::Follower(h) => tracing::info!(holder = %h, "not the leader"),
                    Attempt::Error(_) => {
                        tracing::warn!("stepped down: could not renew the lease in time")
                    }
                }
                leader.send_replace(is);
                metrics.remediation.leader(is);
            }
            // Jittered retry (1.0 .. 1.2 x retry).
            let jitter =
                1.0 + f64::from(Timestamp::now().subsec_nanosecond().rem_euclid(1000)) / 5000.0;
            tokio::select! {
                _ = tokio::time::sleep(self.config.retry.mul_f64(jitter)) => {}
                _ = token.cancelled() => {
                    if *leader.borrow() {
                        self.release().await;
                        leader.send_replace(false);
                        metrics.remediation.leader(false);
                    }
                    return;
                }
            }
        }
    }
}
