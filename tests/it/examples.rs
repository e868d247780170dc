//! The example logs in `examples/logs/` and the `analyze` reports pinned
//! for each (`tests/golden/`).

use runner_medic::sim::scenario::example_logs;

use crate::common::bin::{run, stderr, stdout};
use crate::common::{golden, root};

#[test]
fn example_logs_match_their_scripts() {
    for (name, content) in example_logs() {
        golden(&root().join("examples/logs").join(name), &content);
    }
}

#[test]
fn analyze_reports_for_the_example_logs_are_pinned() {
    for (name, _) in example_logs() {
        let path = format!("examples/logs/{name}");
        let stem = name.trim_end_matches(".log");
        let text = run(&["analyze", &path], None);
        assert!(text.status.success(), "{}", stderr(&text));
        golden(
            &root().join(format!("tests/golden/{stem}.txt")),
            &stdout(&text),
        );
        let json = run(&["analyze", "--output", "json", &path], None);
        assert!(json.status.success(), "{}", stderr(&json));
        golden(
            &root().join(format!("tests/golden/{stem}.json")),
            &stdout(&json),
        );
    }
}

/// (runner, state, finding, superseded_by, fix) per runner of a report.
fn verdicts(path: &str, extra: &[&str]) -> Vec<(String, String, String, String, String)> {
    let mut args = vec!["analyze", "--output", "json"];
    args.extend_from_slice(extra);
    args.push(path);
    let out = run(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json report");
    let mut v: Vec<_> = report["runners"]
        .as_array()
        .expect("runners")
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            (
                s("runner"),
                s("state"),
                s("finding"),
                s("superseded_by"),
                r["fix"].to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_seed_incident_reads_the_same_whatever_tool_printed_it() {
    let kubectl = verdicts("examples/logs/seed-incident.log", &[]);
    assert_eq!(kubectl.len(), 2, "{kubectl:?}");
    for tool in ["stern", "logcli", "journald", "syslog"] {
        let path = format!("examples/logs/seed-incident.{tool}.log");
        assert_eq!(verdicts(&path, &[]), kubectl, "{tool}");
    }
    // Forcing the right format gives the same answer as detecting it.
    assert_eq!(
        verdicts(
            "examples/logs/seed-incident.stern.log",
            &["--input-format", "stern"]
        ),
        kubectl
    );
    // Forcing `kubectl` turns the search off: the stern prefix is then
    // part of each line, no rule matches, and no runner is diagnosed.
    let forced = verdicts(
        "examples/logs/seed-incident.stern.log",
        &["--input-format", "kubectl"],
    );
    assert!(
        forced.iter().all(|(_, state, ..)| state == "unknown"),
        "{forced:?}"
    );
}

#[test]
fn prefixes_name_the_pod_and_namespace_in_classify_output() {
    let out = run(
        &["classify", "examples/logs/seed-incident.logcli.log"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    let forbidden = rows
        .iter()
        .find(|r| r["class"] == "job_request_forbidden")
        .expect("a 403 line");
    assert_eq!(forbidden["pod"], "gitlab-runner-7d9c6b5f4-x2x7k");
    assert_eq!(forbidden["namespace"], "ci");
    assert_eq!(forbidden["container"], "gitlab-runner");
}

#[test]
fn lockouts_without_403s_are_never_token_problems() {
    for (file, finding) in [
        ("job-router-409.log", "job_router_error"),
        ("client-error-lockout.log", "client_error"),
    ] {
        let v = verdicts(&format!("examples/logs/{file}"), &[]);
        let (_, state, got, _, fix) = &v[0];
        assert_eq!(
            (state.as_str(), got.as_str()),
            ("locked_out", finding),
            "{file}"
        );
        assert!(!fix.contains("Delete runner"), "{file}: {fix}");
        let text = run(&["analyze", &format!("examples/logs/{file}")], None);
        let text = stdout(&text);
        assert!(!text.contains("authentication token is rejected"), "{text}");
    }
}

#[test]
fn a_pre_16_8_runner_is_attributed_and_its_token_never_printed() {
    let path = "examples/logs/pre-16.8-runner.log";
    let log = std::fs::read_to_string(root().join(path)).expect("example");
    // The lockout line carries the full token, glued to the URL.
    let token = "FAKEtok1234567890abcdefgh";
    assert!(log.contains(token));
    let v = verdicts(path, &[]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].0.as_str(), v[0].1.as_str(), v[0].2.as_str()),
        ("FAKEtok1", "locked_out", "stale_token")
    );
    for args in [
        vec!["analyze", path],
        vec!["analyze", "--output", "json", path],
        vec!["classify", path],
        vec!["classify", "--output", "tsv", path],
    ] {
        let out = run(&args, None);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        // Nothing beyond the 9-character short id.
        assert!(!all.contains(&token[..10]), "{args:?}: {all}");
    }
}
