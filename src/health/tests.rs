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

    fn line(&mut self, secs: i64, pod: &str, line: &str) -> Option<Transition> {
        let origin = Origin::for_pod("gitlab-runner", pod, "gitlab-runner");
        let p = self.parser.parse(line.as_bytes(), false);
        let e = self.classifier.classify(&p);
        let at = self
            .base
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap();
        self.tracker.record(&origin, &e, Some(at))
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
