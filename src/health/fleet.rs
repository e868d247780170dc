//! Many runners rejected at once: a GitLab-side incident, not stale tokens.
//!
//! Stale tokens happen one runner at a time (a runner deleted, a token
//! expired). When several runners that were working start receiving 403
//! within minutes of each other, the cause is GitLab (maintenance, an auth
//! outage, a proxy or WAF rule), and deleting or re-registering runners
//! would make things worse. The diagnosis says so and remediation refuses.
//!
//! Constant work per onset: the window keeps the latest onset per runner,
//! expired from a queue; incidents keep their runners in a set.

use std::collections::VecDeque;
use std::time::Duration;

use jiff::Timestamp;
use rustc_hash::{FxHashMap, FxHashSet};
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
    #[serde(skip)]
    members: FxHashSet<RunnerKey>,
    /// How many runners were active when it was detected.
    pub active_runners: usize,
}

impl FleetIncident {
    /// Number of runners involved.
    pub fn size(&self) -> usize {
        self.runners.len()
    }

    /// Whether `key` is part of it.
    pub fn contains(&self, key: &RunnerKey) -> bool {
        self.members.contains(key)
    }

    fn add(&mut self, key: &RunnerKey) {
        if self.members.insert(key.clone()) {
            self.runners.push(key.clone());
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct FleetWatch {
    /// Onsets in arrival order (expired from the front).
    queue: VecDeque<(Timestamp, RunnerKey)>,
    /// Latest onset per runner within the window.
    latest: FxHashMap<RunnerKey, Timestamp>,
    incidents: Vec<FleetIncident>,
    /// The last count of active runners: when (event time), how many, and
    /// how many runners had been created then.
    active: Option<(Timestamp, usize, u64)>,
}

/// How long a count of active runners is reused (in event time). Counting
/// scans every runner, so it is done at most this often, not at every
/// onset (which made `analyze` quadratic in distinct runners); runners
/// created since are added, so the count never falls short.
const RECOUNT_EVERY: Duration = Duration::from_secs(10);

impl FleetWatch {
    /// A runner went from working (or unknown) to rejected at `at`.
    pub(super) fn onset<'a>(
        &mut self,
        cfg: &HealthConfig,
        key: &RunnerKey,
        at: Stamp,
        created: u64,
        runners: impl Iterator<Item = &'a RunnerHealth>,
    ) {
        // Without wall time there is no "at once".
        let Some(t) = at.at else { return };
        let window_start = t.checked_sub(cfg.fleet_window).unwrap_or(t);
        while let Some((ot, k)) = self.queue.front() {
            if *ot >= window_start {
                break;
            }
            if self.latest.get(k) == Some(ot) {
                self.latest.remove(k);
            }
            self.queue.pop_front();
        }
        self.queue.push_back((t, key.clone()));
        self.latest.insert(key.clone(), t);
        let n = self.latest.len();
        if n < cfg.fleet_min_runners {
            return;
        }
        let active = match self.active {
            Some((at, count, seen))
                if t >= at && t.duration_since(at).unsigned_abs() < RECOUNT_EVERY =>
            {
                count + usize::try_from(created - seen).unwrap_or(usize::MAX)
            }
            _ => {
                let active_since = t.checked_sub(ACTIVE_WINDOW).unwrap_or(t);
                let count = runners
                    .filter(|r| !r.registration_token)
                    .filter(|r| r.last_seen.at.is_none_or(|a| a >= active_since))
                    .count();
                self.active = Some((t, count, created));
                count
            }
        }
        .max(n);
        if (n as f64) < cfg.fleet_min_fraction * active as f64 {
            return;
        }
        match self.incidents.last_mut() {
            Some(inc) if inc.last >= window_start => {
                inc.last = t;
                inc.add(key);
                inc.active_runners = inc.active_runners.max(active);
            }
            _ => {
                let first = self.latest.values().min().copied().unwrap_or(t);
                let mut inc = FleetIncident {
                    first,
                    last: t,
                    runners: Vec::new(),
                    members: FxHashSet::default(),
                    active_runners: active,
                };
                let mut keys: Vec<(&Timestamp, &RunnerKey)> =
                    self.latest.iter().map(|(k, t)| (t, k)).collect();
                keys.sort();
                for (_, k) in keys {
                    inc.add(k);
                }
                self.incidents.push(inc);
                if self.incidents.len() > MAX_INCIDENTS {
                    self.incidents.remove(0);
                }
            }
        }
    }

    pub(super) fn incident_of(&self, key: &RunnerKey) -> Option<&FleetIncident> {
        self.incidents.iter().rev().find(|i| i.contains(key))
    }

    pub(super) fn incidents(&self) -> &[FleetIncident] {
        &self.incidents
    }

    pub(super) fn forget(&mut self, key: &RunnerKey) {
        self.latest.remove(key);
        self.queue.retain(|(_, k)| k != key);
        for inc in &mut self.incidents {
            if inc.members.remove(key) {
                inc.runners.retain(|k| k != key);
            }
        }
        self.incidents.retain(|i| !i.runners.is_empty());
    }
}
