use std::sync::Arc;

use super::*;
use crate::event::RunnerId;
use crate::health::{Finding, RunnerKey, State};
use crate::remediate::gitlab::{RunnerManager, RunnerRecord};
use crate::remediate::history::{Attempt, InFlight, Outcome};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const NOW: &str = "2026-03-02T10:30:00Z";

fn stale() -> RunnerView {
    RunnerView {
        pods: vec![Arc::from("gitlab-runner-7d9c6b5f4-x2x7k")],
        state: State::LockedOut,
        since: Some(ts("2026-03-02T10:02:20Z")),
        first_forbidden: Some(ts("2026-03-02T10:02:11Z")),
        last_forbidden: Some(ts("2026-03-02T10:02:20Z")),
        consecutive_forbidden: 3,
        first_success: Some(ts("2026-03-02T09:00:00Z")),
        last_success: Some(ts("2026-03-02T10:00:00Z")),
        job_requests_ok: 10,
        first_seen: Some(ts("2026-03-02T09:00:00Z")),
        workflow: Workflow::Legacy,
        last_seen: Some(ts("2026-03-02T10:02:20Z")),
        finding: crate::health::Finding::StaleToken,
        containers: vec![Arc::from("gitlab-runner")],
        ..RunnerView::new(RunnerKey {
            namespace: "gitlab-runner".into(),
            workload: "gitlab-runner".into(),
            runner: RunnerId::normalize("HYErDk_6w").unwrap(),
        })
    }
}

/// GitLab's record of the seed runner: registered by its pod (the
/// description is the pod's host name), last heard from just before the
/// first 403.
fn record() -> RunnerRecord {
    RunnerRecord {
        id: 6,
        description: "gitlab-runner-7d9c6b5f4-x2x7k".into(),
        contacted_at: Some(ts("2026-03-02T10:02:08Z")),
        token_expires_at: None,
        managers: vec![RunnerManager {
            system_id: "r_abcdefabcdef".into(),
            contacted_at: Some(ts("2026-03-02T10:02:08Z")),
        }],
    }
}

fn policy(mode: Mode, strategy: Strategy) -> Policy {
    Policy {
        mode,
        strategy,
        ..Policy::default()
    }
}

fn local(h: &WorkloadHistory) -> Local<'_> {
    Local {
        trigger: Trigger::Local,
        leader: true,
        busy: None,
        history: h,
        pod_mates: vec![],
        runner_container: "gitlab-runner",
        history_error: None,
    }
}

fn remote() -> Remote {
    Remote {
        owner: Some("Deployment/gitlab-runner".into()),
        paused: false,
        rollout_paused: false,
        gitlab: Ok(()),
        identity: Identity::Unique {
            id: 6,
            short_sha: "HYErDk_6".into(),
            creation_method: Some("REGISTRATION_TOKEN".into()),
        },
        record: Some(Ok(record())),
        clock_skew: Duration::from_secs(10),
        scope: None,
        secret: None,
        settings: None,
    }
}

fn refused_by(d: &Decision) -> Option<&'static str> {
    d.refusal().map(|c| c.name)
}

#[test]
fn a_latched_stale_legacy_runner_is_remediated() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Reregister);
    let d = precheck(&p, &stale(), &local(&h), ts(NOW));
    assert_eq!(d.verdict, Verdict::Act, "{}", d.reason());
    let d = preflight(&p, &stale(), d, &remote());
    assert_eq!(d.verdict, Verdict::Act, "{}", d.reason());
    let names: Vec<&str> = d.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        vec![
            "mode",
            "state",
            "replaced",
            "latched",
            "min_forbidden",
            "fleet",
            "finding",
            "evidence",
            "history",
            "lease",
            "concurrency",
            "in_flight",
            "circuit",
            "cooldown",
            "budget",
            "pod_mates",
            "owner",
            "paused",
            "rollout",
            "gitlab",
            "identity",
            "corroboration",
            "workflow",
            "binding"
        ]
    );
}

#[test]
fn dry_run_decides_the_same_but_does_not_act() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::DryRun, Strategy::Reregister);
    let d = preflight(
        &p,
        &stale(),
        precheck(&p, &stale(), &local(&h), ts(NOW)),
        &remote(),
    );
    assert_eq!(d.verdict, Verdict::DryRun);
}

/// A change to the inputs of `decide`.
type Edit = Box<dyn Fn(&mut RunnerView, &mut Local<'_>, &mut Policy)>;

#[test]
fn every_unsafe_case_is_refused_with_its_reason() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Reregister);
    let now = ts(NOW);
    let cases: Vec<(&str, Edit)> = vec![
        ("mode", Box::new(|_, _, p| p.mode = Mode::Off)),
        (
            "state",
            Box::new(|r, _, _| r.state = State::GitlabUnavailable),
        ),
        ("state", Box::new(|r, _, _| r.registration_token = true)),
        (
            "replaced",
            Box::new(|r, _, _| r.superseded_by = RunnerId::normalize("Zx8Kq2LmP")),
        ),
        (
            "latched",
            Box::new(|r, _, _| r.first_forbidden = Some(ts("2026-03-02T10:28:00Z"))),
        ),
        (
            "min_forbidden",
            Box::new(|r, _, _| r.consecutive_forbidden = 2),
        ),
        ("fleet", Box::new(|r, _, _| r.fleet_incident = true)),
        ("lease", Box::new(|_, l, _| l.leader = false)),
        (
            "concurrency",
            Box::new(|_, l, _| l.busy = Some("ci/other".into())),
        ),
    ];
    for (want, change) in cases {
        let (mut r, mut l, mut p) = (stale(), local(&h), p.clone());
        change(&mut r, &mut l, &mut p);
        let d = precheck(&p, &r, &l, now);
        assert_eq!(
            (d.verdict, refused_by(&d)),
            (Verdict::Refuse, Some(want)),
            "{}",
            d.reason()
        );
    }
}

#[test]
fn an_alert_skips_the_latch_time_but_needs_local_agreement() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Restart);
    let mut r = stale();
    r.first_forbidden = Some(ts("2026-03-02T10:29:50Z"));
    let mut l = local(&h);
    l.trigger = Trigger::Alert("GitLabRunnerTokenRejected".into());
    assert_eq!(precheck(&p, &r, &l, ts(NOW)).verdict, Verdict::Act);
    r.state = State::Healthy;
    assert_eq!(refused_by(&precheck(&p, &r, &l, ts(NOW))), Some("state"));
}

#[test]
fn history_gates_cooldown_budget_circuit_and_in_flight_work() {
    let p = policy(Mode::On, Strategy::Restart);
    let attempt = |at: &str, outcome| Attempt {
        runner: "HYErDk_6w".into(),
        strategy: Strategy::Restart,
        started: ts(at),
        finished: ts(at),
        outcome,
        detail: String::new(),
    };
    let mut h = WorkloadHistory::default();
    h.attempts
        .push(attempt("2026-03-02T10:10:00Z", Outcome::Failed));
    assert_eq!(
        refused_by(&precheck(&p, &stale(), &local(&h), ts(NOW))),
        Some("cooldown")
    );
    h.attempts = vec![
        attempt("2026-03-02T01:00:00Z", Outcome::Succeeded),
        attempt("2026-03-02T03:00:00Z", Outcome::Succeeded),
        attempt("2026-03-02T05:00:00Z", Outcome::Succeeded),
    ];
    assert_eq!(
        refused_by(&precheck(&p, &stale(), &local(&h), ts(NOW))),
        Some("budget")
    );
    h.attempts.clear();
    h.circuit_open = true;
    assert_eq!(
        refused_by(&precheck(&p, &stale(), &local(&h), ts(NOW))),
        Some("circuit")
    );
    h.circuit_open = false;
    h.in_flight = Some(InFlight {
        runner: "HYErDk_6w".into(),
        strategy: Strategy::Restart,
        started: ts("2026-03-02T10:29:00Z"),
        done: vec![],
        pods: vec![],
        gitlab_id: None,
        new_gitlab_id: None,
        restarted_at: None,
        owner: None,
        secret: None,
        rejected_since: None,
    });
    assert_eq!(
        refused_by(&precheck(&p, &stale(), &local(&h), ts(NOW))),
        Some("in_flight")
    );
}

#[test]
fn a_healthy_runner_sharing_the_pod_is_never_killed() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Restart);
    let mut mate = stale();
    mate.key.runner = RunnerId::normalize("Vb2kLr9aQ").unwrap();
    mate.state = State::Healthy;
    let mut l = local(&h);
    l.pod_mates = vec![&mate];
    let d = precheck(&p, &stale(), &l, ts(NOW));
    assert_eq!(refused_by(&d), Some("pod_mates"));
    assert!(d.reason().contains("Vb2kLr9aQ (healthy)"), "{}", d.reason());
}

#[test]
fn reregister_is_refused_for_glrt_and_unidentified_workflows() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Reregister);
    for wf in [Workflow::AuthToken, Workflow::Unknown] {
        let mut r = stale();
        r.workflow = wf;
        let d = preflight(&p, &r, precheck(&p, &r, &local(&h), ts(NOW)), &remote());
        assert_eq!(refused_by(&d), Some("workflow"), "{wf:?}");
    }
    // Restart stays allowed for every workflow.
    let p = policy(Mode::On, Strategy::Restart);
    let mut r = stale();
    r.workflow = Workflow::AuthToken;
    let d = preflight(&p, &r, precheck(&p, &r, &local(&h), ts(NOW)), &remote());
    assert_eq!(d.verdict, Verdict::Act);
}

#[test]
fn remote_facts_refuse_when_unsafe() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Reregister);
    let cases: Vec<(&str, Remote)> = vec![
        (
            "owner",
            Remote {
                owner: None,
                ..remote()
            },
        ),
        (
            "paused",
            Remote {
                paused: true,
                ..remote()
            },
        ),
        (
            "gitlab",
            Remote {
                gitlab: Err("503 Service Unavailable".into()),
                ..remote()
            },
        ),
        (
            "identity",
            Remote {
                identity: Identity::None,
                ..remote()
            },
        ),
        (
            "identity",
            Remote {
                identity: Identity::Several(2),
                ..remote()
            },
        ),
        (
            "identity",
            Remote {
                identity: Identity::Failed("timeout".into()),
                ..remote()
            },
        ),
    ];
    for (want, rem) in cases {
        let d = preflight(
            &p,
            &stale(),
            precheck(&p, &stale(), &local(&h), ts(NOW)),
            &rem,
        );
        assert_eq!(refused_by(&d), Some(want), "{}", d.reason());
    }
    let mut p = policy(Mode::On, Strategy::Restart);
    p.restart_method = RestartMethod::Rollout;
    let d = preflight(
        &p,
        &stale(),
        precheck(&p, &stale(), &local(&h), ts(NOW)),
        &Remote {
            rollout_paused: true,
            ..remote()
        },
    );
    assert_eq!(refused_by(&d), Some("rollout"));
}

/// A `glrt-` runner whose pod crash-loops on a dead token.
fn crash_looping_glrt() -> RunnerView {
    let mut r = stale();
    r.workflow = Workflow::AuthToken;
    r.state = State::RegistrationFailing;
    r.first_forbidden = None;
    r.consecutive_forbidden = 0;
    r.verify_rejections = 4;
    r.first_verify_rejected = Some(ts("2026-03-02T10:01:00Z"));
    r.finding = crate::health::Finding::RotationLost;
    // The pod verified (and failed to verify) the token it holds.
    r.bound_pods = r.pods.clone();
    r
}

fn token_remote() -> Remote {
    Remote {
        identity: Identity::Unique {
            id: 6,
            short_sha: "HYErDk_6".into(),
            creation_method: Some("AUTHENTICATED_USER".into()),
        },
        record: Some(Ok(RunnerRecord {
            description: "ci runners".into(),
            contacted_at: Some(ts("2026-03-02T10:00:40Z")),
            managers: vec![],
            ..record()
        })),
        scope: Some(Ok(())),
        secret: Some(Ok("gitlab-runner".into())),
        settings: Some(Ok("settings of GitLab runner 6".into())),
        ..remote()
    }
}

#[test]
fn token_strategies_take_a_crash_looping_glrt_runner_and_check_scope_secret_settings() {
    let h = WorkloadHistory::default();
    let r = crash_looping_glrt();
    // Verification failures count as rejections for the token strategies only.
    for s in [Strategy::Restart, Strategy::Reregister] {
        let p = policy(Mode::On, s);
        assert_eq!(
            refused_by(&precheck(&p, &r, &local(&h), ts(NOW))),
            Some("state"),
            "{s:?}"
        );
    }
    for s in [Strategy::Rotate, Strategy::Recreate] {
        let p = policy(Mode::On, s);
        let d = preflight(
            &p,
            &r,
            precheck(&p, &r, &local(&h), ts(NOW)),
            &token_remote(),
        );
        assert_eq!(d.verdict, Verdict::Act, "{s:?}: {}", d.reason());
    }
    // Each token check refuses on its own, before anything is written.
    let p = policy(Mode::On, Strategy::Recreate);
    let cases = [
        (
            "scope",
            Remote {
                scope: Some(Err("read_api only".into())),
                ..token_remote()
            },
        ),
        (
            "scope",
            Remote {
                scope: None,
                ..token_remote()
            },
        ),
        (
            "secret",
            Remote {
                secret: Some(Err("two Secrets".into())),
                ..token_remote()
            },
        ),
        (
            "settings",
            Remote {
                settings: Some(Err("none kept".into())),
                ..token_remote()
            },
        ),
    ];
    for (want, rem) in cases {
        let d = preflight(&p, &r, precheck(&p, &r, &local(&h), ts(NOW)), &rem);
        assert_eq!(refused_by(&d), Some(want), "{}", d.reason());
    }
    // rotate needs the runner to exist; recreate replaces a deleted one.
    let gone = Remote {
        identity: Identity::None,
        ..token_remote()
    };
    let p = policy(Mode::On, Strategy::Rotate);
    let d = preflight(&p, &r, precheck(&p, &r, &local(&h), ts(NOW)), &gone);
    assert_eq!(refused_by(&d), Some("identity"));
    assert!(d.reason().contains("strategy recreate"), "{}", d.reason());
    let p = policy(Mode::On, Strategy::Recreate);
    let d = preflight(&p, &r, precheck(&p, &r, &local(&h), ts(NOW)), &gone);
    assert_eq!(d.verdict, Verdict::Act, "{}", d.reason());
    // Token strategies are refused for the legacy workflow.
    let mut legacy = stale();
    legacy.workflow = Workflow::Legacy;
    legacy.bound_pods = legacy.pods.clone();
    let p = policy(Mode::On, Strategy::Rotate);
    let d = preflight(
        &p,
        &legacy,
        precheck(&p, &legacy, &local(&h), ts(NOW)),
        &token_remote(),
    );
    assert_eq!(refused_by(&d), Some("workflow"));
}

#[test]
fn scopes_are_matched_to_what_each_strategy_calls() {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert!(scope_allows(Strategy::Rotate, &s(&["api"])).is_ok());
    assert!(scope_allows(Strategy::Rotate, &s(&["manage_runner"])).is_ok());
    assert!(scope_allows(Strategy::Rotate, &s(&["read_api"])).is_err());
    assert!(scope_allows(Strategy::Recreate, &s(&["create_runner"])).is_err());
    assert!(scope_allows(Strategy::Recreate, &s(&["create_runner", "manage_runner"])).is_ok());
    let e = scope_allows(Strategy::Recreate, &[]).unwrap_err();
    assert!(e.contains("none") && e.contains("create_runner"), "{e}");
}

#[test]
fn only_a_problem_of_the_runners_own_token_leads_to_an_action() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Restart);
    for f in [
        Finding::ProxyRejection,
        Finding::Unknown,
        Finding::GitlabUnavailable,
        Finding::SavedTokenRemoved,
        // Locked out, but not by 403s: the lockout's cause decides.
        Finding::JobRouterError,
        Finding::ClientError,
        Finding::ExecutorUnknown,
        Finding::LockoutUnexplained,
        Finding::TokenMalformed,
    ] {
        let mut r = stale();
        r.state = crate::health::State::LockedOut;
        r.finding = f;
        let d = precheck(&p, &r, &local(&h), ts(NOW));
        assert_eq!(refused_by(&d), Some("finding"), "{f:?}");
        assert!(d.reason().contains(f.as_str()), "{}", d.reason());
    }
}

#[test]
fn lines_from_another_container_never_count_toward_an_action() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Restart);
    let mut r = stale();
    r.containers.push(Arc::from("debug-sidecar"));
    let d = precheck(&p, &r, &local(&h), ts(NOW));
    assert_eq!(refused_by(&d), Some("evidence"));
    assert!(d.reason().contains("debug-sidecar"), "{}", d.reason());
    // A configured container name replaces the chart's convention.
    let r = stale();
    let mut l = local(&h);
    l.runner_container = "runner";
    assert_eq!(refused_by(&precheck(&p, &r, &l, ts(NOW))), Some("evidence"));
}

#[test]
fn an_unreadable_history_refuses() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Restart);
    let mut l = local(&h);
    l.history_error = Some("key gitlab-runner.gitlab-runner: expected value".into());
    let d = precheck(&p, &stale(), &l, ts(NOW));
    assert_eq!(refused_by(&d), Some("history"));
    assert!(
        d.reason().contains("gitlab-runner.gitlab-runner"),
        "{}",
        d.reason()
    );
}

#[test]
fn gitlabs_record_must_confirm_the_rejections() {
    let h = WorkloadHistory::default();
    for strategy in [Strategy::Restart, Strategy::Reregister] {
        let p = policy(Mode::On, strategy);
        let decide = |rem: &Remote| {
            preflight(
                &p,
                &stale(),
                precheck(&p, &stale(), &local(&h), ts(NOW)),
                rem,
            )
        };
        // The seed: GitLab last heard from the runner before its first 403.
        assert_eq!(decide(&remote()).verdict, Verdict::Act, "{strategy:?}");
        // GitLab heard from it (or from one of its managers) afterwards.
        let late = |runner: &str, manager: &str| Remote {
            record: Some(Ok(RunnerRecord {
                contacted_at: Some(ts(runner)),
                managers: vec![RunnerManager {
                    system_id: "r_abcdefabcdef".into(),
                    contacted_at: Some(ts(manager)),
                }],
                ..record()
            })),
            ..remote()
        };
        for rem in [
            late("2026-03-02T10:29:57Z", "2026-03-02T10:02:08Z"),
            late("2026-03-02T10:02:08Z", "2026-03-02T10:29:57Z"),
        ] {
            let d = decide(&rem);
            assert_eq!(refused_by(&d), Some("corroboration"), "{strategy:?}");
            assert!(
                d.reason().contains("GitLab heard from runner 6 at"),
                "{}",
                d.reason()
            );
            assert!(d.reason().contains("false lines"), "{}", d.reason());
        }
        // Within the clock skew (10 s): still before.
        let d = decide(&late("2026-03-02T10:02:20Z", "2026-03-02T10:02:20Z"));
        assert_eq!(d.verdict, Verdict::Act, "{}", d.reason());
        let d = decide(&late("2026-03-02T10:02:22Z", "2026-03-02T10:02:08Z"));
        assert_eq!(refused_by(&d), Some("corroboration"), "{}", d.reason());
        // A record that cannot be read is no confirmation.
        let d = decide(&Remote {
            record: Some(Err("GitLab runner answered 500".into())),
            ..remote()
        });
        assert_eq!(refused_by(&d), Some("corroboration"));
        // Nor is a rejection without a time (an alert skips the latch).
        let mut r = stale();
        r.first_forbidden = None;
        let mut l = local(&h);
        l.trigger = Trigger::Alert("RunnerAuthenticationTokenRejected".into());
        let d = preflight(&p, &r, precheck(&p, &r, &l, ts(NOW)), &remote());
        assert_eq!(refused_by(&d), Some("corroboration"), "{}", d.reason());
    }
}

#[test]
fn the_runner_must_belong_to_the_pod_that_logged_it() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Reregister);
    let other = Remote {
        record: Some(Ok(RunnerRecord {
            description: "payments-runner-5f6d8c7b9-k2j4x".into(),
            ..record()
        })),
        ..remote()
    };
    let d = preflight(
        &p,
        &stale(),
        precheck(&p, &stale(), &local(&h), ts(NOW)),
        &other,
    );
    assert_eq!(refused_by(&d), Some("binding"));
    assert!(
        d.reason()
            .contains("names no pod of workload gitlab-runner"),
        "{}",
        d.reason()
    );
    // The pod's own registration or verification binds it for a restart,
    // whatever the description; not for a deletion in GitLab (a
    // registration line can be forged).
    let mut r = stale();
    r.bound_pods = r.pods.clone();
    let d = preflight(&p, &r, precheck(&p, &r, &local(&h), ts(NOW)), &other);
    assert_eq!(refused_by(&d), Some("binding"));
    assert!(
        d.reason().contains("only when GitLab's own record"),
        "{}",
        d.reason()
    );
    let restart = policy(Mode::On, Strategy::Restart);
    let d = preflight(
        &restart,
        &r,
        precheck(&restart, &r, &local(&h), ts(NOW)),
        &other,
    );
    assert_eq!(d.verdict, Verdict::Act, "{}", d.reason());
    // Another pod of the workload registered it (chart naming).
    let sibling = Remote {
        record: Some(Ok(RunnerRecord {
            description: "gitlab-runner-7d9c6b5f4-q8r2m".into(),
            ..record()
        })),
        ..remote()
    };
    let d = preflight(
        &p,
        &stale(),
        precheck(&p, &stale(), &local(&h), ts(NOW)),
        &sibling,
    );
    assert_eq!(d.verdict, Verdict::Act, "{}", d.reason());
}

#[test]
fn gitlab_decides_how_the_runner_was_created() {
    let h = WorkloadHistory::default();
    let p = policy(Mode::On, Strategy::Reregister);
    // A forged `Registering runner... succeeded` made the log say legacy.
    for (method, why) in [
        (Some("AUTHENTICATED_USER"), "created in the UI or API"),
        (None, "does not say how"),
    ] {
        let rem = Remote {
            identity: Identity::Unique {
                id: 6,
                short_sha: "HYErDk_6".into(),
                creation_method: method.map(str::to_owned),
            },
            ..remote()
        };
        let d = preflight(
            &p,
            &stale(),
            precheck(&p, &stale(), &local(&h), ts(NOW)),
            &rem,
        );
        assert_eq!(refused_by(&d), Some("workflow"), "{method:?}");
        assert!(d.reason().contains(why), "{}", d.reason());
    }
}

#[test]
fn chart_pod_names_are_told_apart() {
    assert!(chart_pod_of(
        "gitlab-runner-7d9c6b5f4-x2x7k",
        "gitlab-runner"
    ));
    assert!(!chart_pod_of("gitlab-runner-7d9c6b5f4-x2x7k", "gitlab"));
    assert!(!chart_pod_of(
        "gitlab-runner-evil-7d9c6b5f4-x2x7k",
        "gitlab-runner"
    ));
    assert!(!chart_pod_of("gitlab-runner", "gitlab-runner"));
    assert!(!chart_pod_of(
        "gitlab-runner-7d9c6b5f4-X2X7K",
        "gitlab-runner"
    ));
    assert!(!chart_pod_of("ci runners", "gitlab-runner"));
}
