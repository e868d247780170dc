use jiff::Timestamp;

use super::*;
use crate::classify::Classifier;
use crate::parse::Parser;

/// Feeds runner-format lines (`(seconds after 10:00:00, pod, line)`).
struct Feed {
    tracker: Tracker,
    parser: Parser,
    classifier: Classifier,
    base: Timestamp,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            tracker: Tracker::new(HealthConfig::default()),
            parser: Parser::new(),
            classifier: Classifier::builtin(),
            base: "2026-03-02T10:00:00Z".parse().unwrap(),
        }
    }

    /// A feed whose tracker has the daemon's limits: `max_runners` and
    /// the default per-pod limits.
    fn bounded(max_runners: usize) -> Feed {
        Feed {
            tracker: Tracker::with_capacity(HealthConfig::default(), max_runners),
            ..Feed::new()
        }
    }

    fn line(&mut self, secs: i64, pod: &str, line: &str) -> Option<Transition> {
        self.observe(secs, pod, line).transition
    }

    /// What the tracker did with a line: (refused, evicted, transition).
    fn observe(&mut self, secs: i64, pod: &str, line: &str) -> Seen {
        let origin = Origin::for_pod("gitlab-runner", pod, "gitlab-runner");
        let p = self.parser.parse(line.as_bytes(), false);
        let e = self.classifier.classify(&p);
        let at = self
            .base
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap();
        let o = self.tracker.observe(&origin, &e, Some(at));
        Seen {
            tracked: o.runner.is_some(),
            refused: o.refused,
            first_refusal: o.first_refusal,
            evicted: o.evicted,
            transition: o.transition,
        }
    }

    fn has(&self, id: &str) -> bool {
        self.tracker
            .runners()
            .iter()
            .any(|r| r.key.runner.as_str() == id)
    }

    fn state(&self, id: &str) -> State {
        self.runner(id).state
    }

    fn runner(&self, id: &str) -> &RunnerHealth {
        self.tracker
            .runners()
            .into_iter()
            .find(|r| r.key.runner.as_str() == id)
            .unwrap_or_else(|| panic!("no runner {id}"))
    }

    fn key(&self, id: &str) -> RunnerKey {
        self.runner(id).key.clone()
    }
}

/// What [`Feed::observe`] saw.
struct Seen {
    tracked: bool,
    refused: Option<Refusal>,
    first_refusal: bool,
    evicted: Option<RunnerKey>,
    transition: Option<Transition>,
}

const OLD: &str = "gitlab-runner-7d9c6b5f4-x2x7k";
const NEW: &str = "gitlab-runner-7d9c6b5f4-q8r2m";

fn forbidden(id: &str) -> String {
    format!(
        "ERROR: Checking for jobs... forbidden               runner={id} status=POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden"
    )
}

fn unhealthy(id: &str) -> String {
    format!(
        "ERROR: Runner \"https://gitlab.example.com{id}\" is unhealthy and will be disabled for 1h0m0s seconds!  unhealthy_requests=3 unhealthy_requests_limit=3"
    )
}

fn received(id: &str) -> String {
    format!(
        "Checking for jobs... received                       job=1 repo_url=https://gitlab.example.com/a/b.git runner={id}"
    )
}

fn failed_503(id: &str) -> String {
    format!(
        "WARNING: Checking for jobs... GitLab instance currently unavailable  runner={id} status=POST https://gitlab.example.com/api/v4/jobs/request: 503 Service Unavailable"
    )
}

#[test]
fn the_seed_incident_latches_through_the_silent_lockout_hour() {
    let mut f = Feed::new();
    assert_eq!(
        f.line(0, OLD, &received("HYErDk_6w")).map(|t| t.to),
        Some(State::Healthy)
    );
    let t = f.line(10, OLD, &forbidden("HYErDk_6w")).unwrap();
    assert_eq!(
        (t.from, t.to, t.consecutive_forbidden),
        (State::Healthy, State::Forbidden, 1)
    );
    assert!(f.line(13, OLD, &forbidden("HYErDk_6w")).is_none());
    assert!(f.line(16, OLD, &forbidden("HYErDk_6w")).is_none());
    let t = f.line(16, OLD, &unhealthy("HYErDk_6w")).unwrap();
    assert_eq!(t.to, State::LockedOut);
    // An hour of silence changes nothing: there is no event to change it.
    let r = f.runner("HYErDk_6w");
    assert_eq!(
        (r.state, r.consecutive_forbidden, r.lockouts),
        (State::LockedOut, 3, 1)
    );
    assert_eq!(r.lockout_for, Some(std::time::Duration::from_secs(3600)));
    // Recheck after the hour, then rejected again.
    let recheck = "WARNING: Runner \"https://gitlab.example.comHYErDk_6w\" is not healthy, but check for a new job will be forced!  unhealthy_interval=1h0m0s";
    assert_eq!(f.line(3616, OLD, recheck).unwrap().to, State::Forbidden);
    f.line(3617, OLD, &forbidden("HYErDk_6w"));
    assert_eq!(f.runner("HYErDk_6w").consecutive_forbidden, 4);
    // Only success clears it.
    assert_eq!(
        f.line(3700, OLD, &received("HYErDk_6w")).unwrap().to,
        State::Healthy
    );
    assert_eq!(f.runner("HYErDk_6w").consecutive_forbidden, 0);
}

#[test]
fn an_outage_does_not_clear_a_rejected_token() {
    let mut f = Feed::new();
    f.line(0, OLD, &forbidden("HYErDk_6w"));
    assert!(f.line(5, OLD, &failed_503("HYErDk_6w")).is_none());
    assert_eq!(f.state("HYErDk_6w"), State::Forbidden);
    // But a healthy runner that sees 503 is GitLab-unavailable.
    f.line(0, OLD, &received("AbCdEfGh1"));
    assert_eq!(
        f.line(6, OLD, &failed_503("AbCdEfGh1")).unwrap().to,
        State::GitlabUnavailable
    );
    // A 409 on a job request is not an outage.
    f.line(7, OLD, &received("ZyXwVu987"));
    let conflict = "WARNING: Checking for jobs... failed   runner=ZyXwVu987 status=POST https://g/api/v4/jobs/request: 409 Conflict";
    assert!(f.line(8, OLD, conflict).is_none());
}

#[test]
fn a_lockout_that_names_an_older_short_id_goes_to_the_rejected_runner_of_the_pod() {
    let mut f = Feed::new();
    // Runner before 18.2: 8-character id in runner=, URL glued to it.
    f.line(0, OLD, &forbidden("HYErDk_6"));
    f.line(3, OLD, &forbidden("HYErDk_6"));
    f.line(6, OLD, &forbidden("HYErDk_6"));
    let t = f.line(6, OLD, &unhealthy("HYErDk_6")).unwrap();
    assert_eq!(t.key.runner.as_str(), "HYErDk_6");
    assert_eq!(t.to, State::LockedOut);
    assert_eq!(f.tracker.len(), 1);
}

#[test]
fn the_runbook_fix_supersedes_the_stale_runner() {
    let mut f = Feed::new();
    f.line(0, OLD, &forbidden("HYErDk_6w"));
    f.line(1, OLD, &unhealthy("HYErDk_6w"));
    f.line(100, NEW, "Registration attempt 1 of 30");
    assert!(
        f.line(
            101,
            NEW,
            "Registering runner... succeeded                     runner=GR1348941Qm7Tx2Kd"
        )
        .is_none()
    );
    f.line(105, NEW, &received("Zx8Kq2LmP"));
    let old = f.key("HYErDk_6w");
    assert_eq!(
        f.tracker
            .superseded_by(&old)
            .map(|r| r.key.runner.to_string())
            .as_deref(),
        Some("Zx8Kq2LmP")
    );
    let d = f.tracker.diagnose(&old, None).unwrap();
    assert!(!d.needs_action());
    assert!(
        d.summary
            .starts_with("resolved: replaced by runner Zx8Kq2LmP"),
        "{}",
        d.summary
    );
    // The registration token is not a runner.
    assert_eq!(f.tracker.len(), 2);
    assert_eq!(
        f.tracker
            .workload("gitlab-runner", "gitlab-runner")
            .unwrap()
            .workflow,
        Workflow::Legacy
    );
}

#[test]
fn a_healthy_sibling_in_the_same_pod_does_not_supersede() {
    let mut f = Feed::new();
    f.line(0, OLD, &forbidden("HYErDk_6w"));
    f.line(5, OLD, &received("Zx8Kq2LmP"));
    assert!(f.tracker.superseded_by(&f.key("HYErDk_6w")).is_none());
}

#[test]
fn many_runners_rejected_at_once_are_a_gitlab_incident() {
    let mut f = Feed::new();
    let ids = ["AAAAAAAA1", "BBBBBBBB2", "CCCCCCCC3", "DDDDDDDD4"];
    for (n, id) in ids.iter().enumerate() {
        f.line(
            n as i64,
            &format!("gitlab-runner-7d9c6b5f4-pod{n}a"),
            &received(id),
        );
    }
    for (n, id) in ids.iter().enumerate() {
        f.line(
            600 + n as i64 * 20,
            &format!("gitlab-runner-7d9c6b5f4-pod{n}a"),
            &forbidden(id),
        );
    }
    let key = f.key("CCCCCCCC3");
    let inc = f.tracker.fleet_incident(&key).expect("incident");
    assert_eq!(inc.size(), 4);
    let d = f.tracker.diagnose(&key, None).unwrap();
    assert!(d.fleet_incident);
    assert!(d.summary.contains("GitLab-side problem"), "{}", d.summary);
    assert!(d.fix.iter().any(|s| s.contains("Leave the runners alone")));
}

#[test]
fn one_stale_runner_among_many_is_not_an_incident() {
    let mut f = Feed::new();
    for (n, id) in ["AAAAAAAA1", "BBBBBBBB2", "CCCCCCCC3", "DDDDDDDD4"]
        .iter()
        .enumerate()
    {
        f.line(n as i64, OLD, &received(id));
    }
    f.line(100, OLD, &forbidden("AAAAAAAA1"));
    let key = f.key("AAAAAAAA1");
    assert!(f.tracker.fleet_incident(&key).is_none());
    let d = f.tracker.diagnose(&key, None).unwrap();
    assert!(
        d.summary.starts_with(
            "the authentication token is rejected (1 x 403 since 2026-03-02 10:01:40 UTC)"
        ),
        "{}",
        d.summary
    );
    assert!(
        d.will_not_help
            .iter()
            .any(|s| s.starts_with("Updating the registration token"))
    );
}

#[test]
fn registration_failures_are_latched_and_explained() {
    let mut f = Feed::new();
    let gone = "ERROR: Registering runner... failed                 runner=GR1348941Qm7Tx2Kd status=POST https://gitlab.example.com/api/v4/runners: 410 Gone (410 Gone - runner registration disallowed)";
    assert_eq!(f.line(0, OLD, gone).unwrap().to, State::RegistrationFailing);
    f.line(
        1,
        OLD,
        "PANIC: Failed to register the runner.              ",
    );
    f.line(6, OLD, "Registration attempt 2 of 30");
    let d = f.tracker.diagnose(&f.key("Qm7Tx2Kd"), None).unwrap();
    assert!(
        d.summary.contains("registration tokens are disabled"),
        "{}",
        d.summary
    );
    assert!(
        d.evidence.iter().any(|e| e.contains("attempt 2 of 30")),
        "{:?}",
        d.evidence
    );
}

#[test]
fn a_glrt_runner_that_fails_verification_is_told_not_to_be_deleted_and_why() {
    let mut f = Feed::new();
    f.line(
        0,
        OLD,
        "Verifying runner... is valid                        runner=TgbhXFrg9",
    );
    f.line(10, OLD, &received("TgbhXFrg9"));
    f.line(
        20,
        OLD,
        "Resetting runner authentication token... succeeded  runner=TgbhXFrg9",
    );
    f.line(
        900,
        NEW,
        "Verifying runner... is not valid                    runner=TgbhXFrg9",
    );
    let d = f.tracker.diagnose(&f.key("TgbhXFrg9"), None).unwrap();
    assert_eq!(d.state, State::RegistrationFailing);
    assert_eq!(d.finding, crate::health::Finding::RotationLost);
    assert!(
        d.summary
            .contains("rotated its glrt- token and lost the new one on restart"),
        "{}",
        d.summary
    );
    assert!(
        d.evidence.iter().any(|e| e.contains("rotated its token")),
        "{:?}",
        d.evidence
    );
    assert!(
        d.fix
            .iter()
            .any(|s| s.contains("FF_DISABLE_AUTOMATIC_TOKEN_ROTATION"))
    );
}

#[test]
fn network_failures_are_told_apart_from_gitlab_outages() {
    let mut f = Feed::new();
    f.line(0, OLD, &received("AbCdEfGh1"));
    f.line(1, OLD, "WARNING: Checking for jobs... failed   runner=AbCdEfGh1 status=couldn't execute POST against https://g/api/v4/jobs/request: dial tcp: lookup g on 10.96.0.10:53: no such host");
    let d = f.tracker.diagnose(&f.key("AbCdEfGh1"), None).unwrap();
    assert!(d.summary.contains("cannot resolve"), "{}", d.summary);
    f.line(2, OLD, &received("ZyXwVu987"));
    f.line(3, OLD, &failed_503("ZyXwVu987"));
    let d = f.tracker.diagnose(&f.key("ZyXwVu987"), None).unwrap();
    assert!(d.summary.starts_with("GitLab answers 503"), "{}", d.summary);
}

fn verified(id: &str) -> String {
    format!("Verifying runner... is valid                        runner={id}")
}

/// A made-up, well-formed runner id (9 characters, distinct per `i`).
fn made_up(i: usize) -> String {
    format!("Fk{i:07}")
}

const FLOOD: &str = "gitlab-runner-7d9c6b5f4-f1o0d";

#[test]
fn one_pod_naming_many_made_up_ids_cannot_exhaust_the_runner_table() {
    let mut f = Feed::bounded(1000);
    // A proven runner of another pod, tracked before the flood.
    f.line(0, OLD, &verified("HYErDk_6w"));
    f.line(1, OLD, &received("HYErDk_6w"));
    assert!(f.runner("HYErDk_6w").is_protected());
    // 1,200 made-up ids in one pod's log, each on a 403 line (no proof).
    for i in 0..1200 {
        let seen = f.observe(10, FLOOD, &forbidden(&made_up(i)));
        if i < MAX_UNPROVEN_PER_POD {
            assert!(seen.tracked && seen.refused.is_none(), "id {i}");
        } else {
            assert_eq!(seen.refused, Some(Refusal::PodLimit), "id {i}");
            assert_eq!(seen.first_refusal, i == MAX_UNPROVEN_PER_POD, "id {i}");
            assert!(seen.evicted.is_none());
        }
    }
    assert_eq!(f.tracker.len(), 1 + MAX_UNPROVEN_PER_POD);
    assert_eq!(
        f.tracker.refused_for(Refusal::PodLimit),
        (1200 - MAX_UNPROVEN_PER_POD) as u64
    );
    assert_eq!(f.tracker.refused_for(Refusal::GlobalCap), 0);
    // A refused id named again is refused again, and counted again.
    let again = f.observe(11, FLOOD, &forbidden(&made_up(1199)));
    assert_eq!(again.refused, Some(Refusal::PodLimit));
    assert!(!again.first_refusal, "reported once per pod");
    assert_eq!(
        f.tracker.refused(),
        (1200 - MAX_UNPROVEN_PER_POD + 1) as u64
    );
    // The proven runner is still there, its state still moves.
    assert_eq!(
        f.line(20, OLD, &forbidden("HYErDk_6w")).unwrap().to,
        State::Forbidden
    );
    // A new proven runner of another pod is tracked...
    let seen = f.observe(30, NEW, &verified("Zx8Kq2LmP"));
    assert!(seen.tracked && seen.refused.is_none() && seen.evicted.is_none());
    assert!(f.runner("Zx8Kq2LmP").is_protected());
    // ...and so is a stale-token runner of a third pod with nothing but 403s.
    let third = "gitlab-runner-7d9c6b5f4-t3h1r";
    let seen = f.observe(40, third, &forbidden("QwErTy123"));
    assert!(seen.tracked, "an unproven runner of a quiet pod fits");
    assert_eq!(f.state("QwErTy123"), State::Forbidden);
    // The flooding pod's own runner, once proven, is tracked too.
    let seen = f.observe(50, FLOOD, &verified("RealOne12"));
    assert!(seen.tracked && f.runner("RealOne12").is_protected());
    assert_eq!(f.tracker.len(), 1 + MAX_UNPROVEN_PER_POD + 3);
}

#[test]
fn a_pod_that_forges_proof_is_bounded_too() {
    let mut f = Feed::bounded(1000);
    f.line(0, OLD, &forbidden("HYErDk_6w")); // unproven, in a quiet pod
    for i in 0..1200 {
        f.line(10, FLOOD, &received(&made_up(i)));
    }
    // Proven slots first, then unproven ones; nothing more.
    assert_eq!(
        f.tracker.len(),
        1 + MAX_PROVEN_PER_POD + MAX_UNPROVEN_PER_POD
    );
    assert_eq!(
        f.tracker.refused_for(Refusal::PodLimit),
        (1200 - MAX_PROVEN_PER_POD - MAX_UNPROVEN_PER_POD) as u64
    );
    assert!(f.has("HYErDk_6w"));
    // Unproven ids proven later do not get past the proven limit either.
    assert!(!f.runner(&made_up(MAX_PROVEN_PER_POD)).is_protected());
    f.line(20, FLOOD, &verified(&made_up(MAX_PROVEN_PER_POD)));
    assert!(!f.runner(&made_up(MAX_PROVEN_PER_POD)).is_protected());
}

#[test]
fn an_unproven_runner_proven_later_frees_its_unproven_slot() {
    let mut f = Feed::bounded(1000);
    for i in 0..MAX_UNPROVEN_PER_POD {
        f.line(0, FLOOD, &forbidden(&made_up(i)));
    }
    assert_eq!(
        f.observe(1, FLOOD, &forbidden("HYErDk_6w")).refused,
        Some(Refusal::PodLimit)
    );
    // One of them gets a job: proven, and a slot is free again.
    f.line(2, FLOOD, &received(&made_up(0)));
    assert!(f.runner(&made_up(0)).is_protected());
    assert!(f.observe(3, FLOOD, &forbidden("HYErDk_6w")).tracked);
    assert!(
        f.observe(4, FLOOD, &forbidden("ZzZzZz123"))
            .refused
            .is_some()
    );
    // Removing an unproven runner frees its slot too.
    let key = f.key(&made_up(1));
    f.tracker.remove(&key);
    assert!(f.observe(5, FLOOD, &forbidden("ZzZzZz123")).tracked);
}

#[test]
fn at_the_global_cap_only_a_proven_runner_makes_room_and_never_by_evicting_a_proven_one() {
    let mut f = Feed::bounded(20);
    f.line(0, OLD, &verified("HYErDk_6w")); // proven
    let quiet = "gitlab-runner-7d9c6b5f4-q1e7t";
    f.line(1, quiet, &forbidden("QwErTy123")); // unproven, alone in its pod
    // A flooding pod: its first id is the least recently seen.
    for i in 0..MAX_UNPROVEN_PER_POD {
        f.line(2 + i as i64, FLOOD, &forbidden(&made_up(i)));
    }
    let other = "gitlab-runner-7d9c6b5f4-0th3r";
    f.line(30, other, &forbidden("AbCdEfGh1"));
    f.line(31, other, &forbidden("AbCdEfGh2"));
    assert_eq!(f.tracker.len(), 20);
    // Unproven newcomers are refused at the cap.
    let seen = f.observe(40, NEW, &forbidden("NoProof12"));
    assert_eq!(seen.refused, Some(Refusal::GlobalCap));
    assert!(seen.first_refusal);
    let seen = f.observe(41, NEW, &forbidden("NoProof13"));
    assert_eq!(seen.refused, Some(Refusal::GlobalCap));
    assert!(!seen.first_refusal);
    // A proven newcomer evicts the least recently seen unproven runner of
    // the pod with the most unproven runners.
    let seen = f.observe(50, NEW, &verified("Zx8Kq2LmP"));
    assert!(seen.tracked);
    assert_eq!(
        seen.evicted.map(|k| k.runner.as_str().to_owned()),
        Some(made_up(0))
    );
    assert_eq!(f.tracker.len(), 20);
    assert!(!f.has(&made_up(0)));
    assert!(f.has("HYErDk_6w") && f.has("QwErTy123") && f.has("AbCdEfGh1"));
    assert_eq!(f.tracker.refused_for(Refusal::GlobalCap), 2);
    // A table full of proven runners refuses a proven newcomer: nothing
    // proven is ever evicted.
    let mut f = Feed::bounded(2);
    f.line(0, OLD, &verified("HYErDk_6w"));
    f.line(1, NEW, &verified("Zx8Kq2LmP"));
    let seen = f.observe(2, FLOOD, &verified("RealOne12"));
    assert_eq!(seen.refused, Some(Refusal::GlobalCap));
    assert!(seen.evicted.is_none());
    assert!(f.has("HYErDk_6w") && f.has("Zx8Kq2LmP"));
}

#[test]
fn offline_analysis_has_no_pod_limit() {
    let mut f = Feed::new();
    for i in 0..100 {
        f.line(0, FLOOD, &forbidden(&made_up(i)));
    }
    assert_eq!(f.tracker.len(), 100);
    assert_eq!(f.tracker.refused(), 0);
}

#[test]
fn a_runner_registered_by_a_full_pod_is_tracked_as_proven() {
    let mut f = Feed::bounded(1000);
    for i in 0..MAX_UNPROVEN_PER_POD {
        f.line(0, FLOOD, &forbidden(&made_up(i)));
    }
    // Legacy registration: the line names the registration token; the next
    // runner the same container names is the one it registered.
    f.line(
        1,
        FLOOD,
        "Registering runner... succeeded                     runner=GR1348941Qm7Tx2Kd",
    );
    let seen = f.observe(2, FLOOD, &forbidden("HYErDk_6w"));
    assert!(seen.tracked, "{:?}", seen.refused);
    assert!(f.runner("HYErDk_6w").is_protected());
    assert!(
        f.runner("HYErDk_6w")
            .bound_pods
            .iter()
            .any(|p| &**p == FLOOD)
    );
}

fn router_error(id: &str, code: &str, desc: &str) -> String {
    format!(
        "ERROR: Error requesting a job                       error=rpc error: code = {code} desc = {desc} runner={id} runner_name=gitlab-runner"
    )
}

fn client_error(id: &str) -> String {
    format!(
        "ERROR: Checking for jobs... client error            runner={id} status=get client: parse \"gitlab.example.com\": invalid URI for request"
    )
}

/// Feeds `lines` (one every 3 s) then the lockout; returns the diagnosis.
fn lockout_after(lines: &[String]) -> (Feed, Diagnosis) {
    let mut f = Feed::new();
    f.line(0, OLD, &received("Kq2LmPz8x"));
    for (i, l) in lines.iter().enumerate() {
        f.line(10 + 3 * i as i64, OLD, l);
    }
    f.line(60, OLD, &unhealthy("Kq2LmPz8x"));
    let d = f
        .tracker
        .diagnose(&f.key("Kq2LmPz8x"), None)
        .unwrap_or_else(|| panic!("no diagnosis"));
    (f, d)
}

#[test]
fn a_job_router_lockout_is_not_a_token_problem() {
    let e = router_error("Kq2LmPz8x", "FailedPrecondition", "HTTP status code: 409");
    let (f, d) = lockout_after(&[e.clone(), e.clone(), e]);
    let r = f.runner("Kq2LmPz8x");
    assert_eq!(r.state, State::LockedOut);
    assert_eq!(r.lockout_cause, Some(LockoutCause::JobRouter));
    assert!(!r.token_rejected());
    assert_eq!(d.finding, Finding::JobRouterError);
    assert!(!d.finding.is_token_problem());
    assert!(
        d.summary.contains("FailedPrecondition, HTTP 409"),
        "{}",
        d.summary
    );
    assert!(!d.summary.contains("403"), "{}", d.summary);
    assert!(
        d.fix.iter().all(|f| !f.contains("Delete runner")),
        "{:?}",
        d.fix
    );
    assert!(d.will_not_help[0].starts_with("Deleting the runner"));
}

#[test]
fn router_token_rejections_are_token_rejections() {
    let e = router_error("Kq2LmPz8x", "PermissionDenied", "invalid token");
    let (f, d) = lockout_after(&[e.clone(), e.clone(), e]);
    let r = f.runner("Kq2LmPz8x");
    assert_eq!(r.lockout_cause, Some(LockoutCause::Token));
    assert!(r.token_rejected());
    assert_eq!(d.finding, Finding::StaleToken);
}

#[test]
fn unreachable_router_errors_do_not_count_toward_a_lockout() {
    let e = router_error("Kq2LmPz8x", "Unavailable", "connection refused");
    let (f, d) = lockout_after(&[e.clone(), e]);
    assert_eq!(
        f.runner("Kq2LmPz8x").lockout_cause,
        Some(LockoutCause::Unexplained)
    );
    assert_eq!(d.finding, Finding::LockoutUnexplained);
}

#[test]
fn a_client_error_lockout_points_at_the_configuration() {
    let e = client_error("Kq2LmPz8x");
    let (f, d) = lockout_after(&[e.clone(), e.clone(), e]);
    assert_eq!(
        f.runner("Kq2LmPz8x").lockout_cause,
        Some(LockoutCause::ClientError)
    );
    assert_eq!(d.finding, Finding::ClientError);
    assert!(d.fix[0].contains("gitlabUrl"), "{:?}", d.fix);
}

#[test]
fn an_unknown_executor_lockout_points_at_the_configuration() {
    let e = "ERROR: Executor \"kubernets\" is not known; marking Runner as unhealthy  runner=Kq2LmPz8x runner_name=r".to_owned();
    let (f, d) = lockout_after(&[e.clone(), e.clone(), e]);
    assert_eq!(
        f.runner("Kq2LmPz8x").lockout_cause,
        Some(LockoutCause::Executor)
    );
    assert_eq!(d.finding, Finding::ExecutorUnknown);
}

#[test]
fn a_lockout_with_no_cause_in_view_advises_reading_further_back() {
    let mut f = Feed::new();
    f.line(0, OLD, &unhealthy("Kq2LmPz8x"));
    let r = f.runner("Kq2LmPz8x");
    assert_eq!(r.lockout_cause, Some(LockoutCause::Unexplained));
    assert!(!r.token_rejected());
    let d = f.tracker.diagnose(&f.key("Kq2LmPz8x"), None).unwrap();
    assert_eq!(d.finding, Finding::LockoutUnexplained);
    assert!(d.fix[0].contains("--since"), "{:?}", d.fix);
    // A recheck leaves it latched, not "forbidden".
    f.line(3600, OLD, "WARNING: Runner \"https://gitlab.example.com/Kq2LmPz8x\" is not healthy, but check for a new job will be forced!  unhealthy_interval=1h0m0s unhealthy_requests=3 unhealthy_requests_limit=3");
    assert_eq!(f.state("Kq2LmPz8x"), State::LockedOut);
}

#[test]
fn a_mix_of_403s_and_other_failures_is_not_token_evidence_alone() {
    let lines = [
        forbidden("Kq2LmPz8x"),
        router_error("Kq2LmPz8x", "FailedPrecondition", "HTTP status code: 409"),
        forbidden("Kq2LmPz8x"),
    ];
    let (f, d) = lockout_after(&lines);
    assert_eq!(
        f.runner("Kq2LmPz8x").lockout_cause,
        Some(LockoutCause::JobRouter)
    );
    assert_eq!(d.finding, Finding::JobRouterError);
    assert!(
        d.evidence
            .iter()
            .any(|e| e.contains("also rejected with 403")),
        "{:?}",
        d.evidence
    );
}

#[test]
fn a_later_unexplained_lockout_keeps_the_cause_seen_before() {
    let e = forbidden("Kq2LmPz8x");
    let (mut f, _) = lockout_after(&[e.clone(), e.clone(), e]);
    f.line(3700, OLD, &unhealthy("Kq2LmPz8x"));
    assert_eq!(
        f.runner("Kq2LmPz8x").lockout_cause,
        Some(LockoutCause::Token)
    );
}

#[test]
fn a_newline_in_the_token_is_told_apart_from_an_outage() {
    let mut f = Feed::new();
    f.line(0, OLD, "WARNING: Checking for jobs... failed                runner=Kq2LmPz8x status=execute JSON request: couldn't execute POST against https://gitlab.example.com/api/v4/jobs/request: net/http: invalid header field value for \"Runner-Token\"");
    let d = f.tracker.diagnose(&f.key("Kq2LmPz8x"), None).unwrap();
    assert_eq!(d.finding, Finding::TokenMalformed);
    assert!(d.fix[0].contains("echo -n"));
}

#[test]
fn the_system_id_stays_with_the_runners_of_its_pod() {
    let mut f = Feed::new();
    f.line(
        0,
        OLD,
        "Created missing unique system ID                  system_id=s_0123456789ab",
    );
    f.line(1, OLD, &received("Kq2LmPz8x"));
    f.line(2, NEW, &received("Zx8Kq2LmP"));
    assert_eq!(
        f.runner("Kq2LmPz8x").system_id.map(|s| s.to_string()),
        Some("s_0123456789ab".into())
    );
    assert_eq!(f.runner("Zx8Kq2LmP").system_id, None);
    f.line(
        3,
        NEW,
        "Created missing unique system ID                  system_id=s_ba9876543210",
    );
    assert_eq!(
        f.runner("Zx8Kq2LmP").system_id.map(|s| s.to_string()),
        Some("s_ba9876543210".into())
    );
}

#[test]
fn a_pre_16_8_lockout_with_the_full_token_goes_to_the_runner_that_failed() {
    let mut f = Feed::new();
    for s in [0, 3, 6] {
        f.line(
            s,
            OLD,
            "ERROR: Checking for jobs... forbidden               runner=FAKEtok1",
        );
    }
    f.line(
        7,
        OLD,
        "ERROR: Runner \"https://gitlab.example.comFAKEtok1234567890abcdefgh\" is unhealthy and will be disabled for 1h0m0s seconds!  unhealthy_requests=3 unhealthy_requests_limit=3",
    );
    let r = f.runner("FAKEtok1");
    assert_eq!(
        (r.state, r.lockout_cause),
        (State::LockedOut, Some(LockoutCause::Token))
    );
    assert_eq!(
        f.tracker.len(),
        1,
        "no second runner from the token's characters"
    );
}
