//! Did it work? Judged from the same runner health the daemon tracks, as
//! the runbook's "how success is verified": a *new* runner id in the
//! workload, logged by a pod that is not one of the old pods, that polls
//! GitLab successfully, and no new 403 for the stale runner.

use jiff::Timestamp;

use crate::health::{RunnerView, State};

/// The verdict of one look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// A new runner polls successfully: done.
    Yes {
        /// The new runner.
        runner: String,
        /// Its pod.
        pod: String,
    },
    /// The stale runner was rejected again after the restart.
    StillRejected,
    /// Not yet.
    Pending,
}

/// Looks at the runners of the stale runner's workload.
pub fn check(
    stale: &RunnerView,
    old_pods: &[String],
    restarted_at: Timestamp,
    runners: &[RunnerView],
) -> Verified {
    let same_workload = |r: &&RunnerView| {
        r.key.namespace == stale.key.namespace && r.key.workload == stale.key.workload
    };
    if let Some(now) = runners
        .iter()
        .filter(same_workload)
        .find(|r| r.key == stale.key)
        && now.state.is_token_rejected()
        && now.last_forbidden.is_some_and(|f| f > restarted_at)
        && now.pods.iter().any(|p| !old_pods.iter().any(|o| o == &**p))
    {
        // The stale id came back in a *new* pod and is rejected there.
        return Verified::StillRejected;
    }
    let found = runners.iter().filter(same_workload).find(|r| {
        !r.key.runner.matches(&stale.key.runner)
            && !r.registration_token
            && r.state == State::Healthy
            && r.job_requests_ok > 0
            && r.first_seen.is_some_and(|t| t >= restarted_at)
            && !r.pods.iter().any(|p| old_pods.iter().any(|o| o == &**p))
    });
    match found {
        Some(r) => Verified::Yes {
            runner: r.key.runner.to_string(),
            pod: r.pod().to_owned(),
        },
        None => Verified::Pending,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::event::{RunnerId, Workflow};
    use crate::health::RunnerKey;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn view(id: &str, pod: &str, state: State, first_seen: &str, ok: u64) -> RunnerView {
        let key = |id: &str| RunnerKey {
            namespace: "gitlab-runner".into(),
            workload: "gitlab-runner".into(),
            runner: RunnerId::normalize(id).unwrap(),
        };
        RunnerView {
            pods: vec![Arc::from(pod)],
            state,
            job_requests_ok: ok,
            first_seen: Some(ts(first_seen)),
            workflow: Workflow::Legacy,
            last_seen: Some(ts(first_seen)),
            ..RunnerView::new(key(id))
        }
    }

    #[test]
    fn a_new_polling_runner_in_a_new_pod_verifies() {
        let stale = view(
            "HYErDk_6w",
            "old-pod",
            State::LockedOut,
            "2026-03-02T09:00:00Z",
            5,
        );
        let old = vec!["old-pod".to_owned()];
        let t = ts("2026-03-02T10:00:00Z");
        let new = view(
            "Zx8Kq2LmP",
            "new-pod",
            State::Healthy,
            "2026-03-02T10:00:30Z",
            1,
        );
        assert_eq!(
            check(&stale, &old, t, &[stale.clone(), new.clone()]),
            Verified::Yes {
                runner: "Zx8Kq2LmP".into(),
                pod: "new-pod".into()
            }
        );
        // Not yet polling, or in an old pod, or the same id: pending.
        let mut quiet = new.clone();
        quiet.job_requests_ok = 0;
        assert_eq!(
            check(&stale, &old, t, &[stale.clone(), quiet]),
            Verified::Pending
        );
        let mut sibling = new.clone();
        sibling.pods = vec![Arc::from("old-pod")];
        assert_eq!(
            check(&stale, &old, t, &[stale.clone(), sibling]),
            Verified::Pending
        );
    }

    #[test]
    fn the_stale_id_rejected_again_in_a_new_pod_fails() {
        let mut again = view(
            "HYErDk_6w",
            "new-pod",
            State::Forbidden,
            "2026-03-02T09:00:00Z",
            5,
        );
        again.pods = vec![Arc::from("old-pod"), Arc::from("new-pod")];
        again.last_forbidden = Some(ts("2026-03-02T10:01:00Z"));
        let stale = view(
            "HYErDk_6w",
            "old-pod",
            State::LockedOut,
            "2026-03-02T09:00:00Z",
            5,
        );
        assert_eq!(
            check(
                &stale,
                &["old-pod".into()],
                ts("2026-03-02T10:00:00Z"),
                &[again]
            ),
            Verified::StillRejected
        );
    }
}
