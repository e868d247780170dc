//! Many runners rejected at once: a GitLab-side incident, not stale tokens.
//!
//! Stale tokens happen one runner at a time (a runner deleted, a token
//! expired). When several runners that were working start receiving 403
//! within minutes of each other, the cause is GitLab (maintenance, an auth
//! outage, a proxy or WAF rule), and deleting or re-registering runners
//! would make things worse. The diagnosis says so and remediation refuses.

use std::collections::VecDeque;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use super::{HealthConfig, RunnerHealth, RunnerKey, Stamp};

/// Incidents kept in memory (oldest dropped first).
const MAX_INCIDENTS: usize = 16;

/// Runners active within this time count toward the fleet.
const ACTIVE_WINDOW: Duration = Duration::from_secs(3600);

/// Runners that began to be rejected together.
#[derive(Debug, Clone, Serialize)]
pub struct FleetIncident {
    /// First onset.
    pub first: Timestamp,
    /// Last onset.
    pub last: Timestamp,
    /// The runners rejected, in onset order.
    #[serde(skip)]
    pub runners: Vec<RunnerKey>,
    /// How many runners were active when it was detected.
    pub active_runners: usize,
}

impl FleetIncident {
    /// Number of runners involved.
    pub fn size(&self) -> usize {
        self.runners.len()
    }
}

#[derive(Debug, Default)]
pub(super) struct FleetWatch {
    onsets: VecDeque<(Timestamp, RunnerKey)>,
    incidents: Vec<FleetIncident>,
}

impl FleetWatch {
    /// A runner went from working (or unknown) to rejected at `at`.
    pub(super) fn onset<'a>(
        &mut self,
        cfg: &HealthConfig,
        key: &RunnerKey,
        at: Stamp,
        runners: impl Iterator<Item = &'a RunnerHealth>,
    ) {
        // Without wall time there is no "at once".
        let Some(t) = at.at else { return };
        self.onsets.push_back((t, key.clone()));
        let window_start = t.checked_sub(cfg.fleet_window).unwrap_or(t);
        while self
            .onsets
            .front()
            .is_some_and(|(ot, _)| *ot < window_start)
        {
            self.onsets.pop_front();
        }
        let mut keys: Vec<&RunnerKey> = self.onsets.iter().map(|(_, k)| k).collect();
        keys.sort();
        keys.dedup();
        let n = keys.len();
        let active_since = t.checked_sub(ACTIVE_WINDOW).unwrap_or(t);
        let active = runners
            .filter(|r| !r.registration_token)
            .filter(|r| r.last_seen.at.is_none_or(|a| a >= active_since))
            .count()
            .max(n);
        if n < cfg.fleet_min_runners || (n as f64) < cfg.fleet_min_fraction * active as f64 {
            return;
        }
        match self.incidents.last_mut() {
            Some(inc) if inc.last >= window_start => {
                inc.last = t;
                for k in keys {
                    if !inc.runners.contains(k) {
                        inc.runners.push(k.clone());
                    }
                }
                inc.active_runners = inc.active_runners.max(active);
            }
            _ => {
                let first = self.onsets.front().map_or(t, |(ot, _)| *ot);
                self.incidents.push(FleetIncident {
                    first,
                    last: t,
                    runners: keys.into_iter().cloned().collect(),
                    active_runners: active,
                });
                if self.incidents.len() > MAX_INCIDENTS {
                    self.incidents.remove(0);
                }
            }
        }
    }

    pub(super) fn incident_of(&self, key: &RunnerKey) -> Option<&FleetIncident> {
        self.incidents
            .iter()
            .rev()
            .find(|i| i.runners.contains(key))
    }

    pub(super) fn incidents(&self) -> &[FleetIncident] {
        &self.incidents
    }

    pub(super) fn forget(&mut self, key: &RunnerKey) {
        self.onsets.retain(|(_, k)| k != key);
        for inc in &mut self.incidents {
            inc.runners.retain(|k| k != key);
        }
        self.incidents.retain(|i| !i.runners.is_empty());
    }
}
