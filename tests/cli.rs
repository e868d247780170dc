//! The binary end to end: exit statuses, the `classify` output contract,
//! bad input that must be counted or explained, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

mod common;

use common::{run, stderr, stdout};

#[test]
fn classify_emits_one_object_per_input_line_with_the_stable_keys() {
    let input = std::fs::read("examples/logs/seed-incident.log").unwrap();
    let lines = input
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let out = run(&["classify", "-", "--output", "jsonl"], Some(&input));
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(rows.len(), lines);
    for (n, row) in rows.iter().enumerate() {
        assert_eq!(row["line"], n + 1);
        for key in ["class", "runner", "http_status", "level", "format"] {
            assert!(row.get(key).is_some(), "row {n} lacks {key}: {row}");
        }
        assert!(row["runner"].is_null() || row["runner"].is_string());
        assert!(row["http_status"].is_null() || row["http_status"].is_u64());
        let f = row["format"].as_str().unwrap();
        assert!(["runner", "text", "json", "plain"].contains(&f), "{f}");
    }
    let forbidden: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["class"] == "job_request_forbidden")
        .collect();
    assert_eq!(forbidden.len(), 9);
    assert!(
        forbidden
            .iter()
            .all(|r| r["runner"] == "HYErDk_6w" && r["http_status"] == 403)
    );
    assert_eq!(forbidden[0]["pod"], "gitlab-runner-7d9c6b5f4-x2x7k");
}

#[test]
fn classify_counts_empty_and_unterminated_lines() {
    let out = run(&["classify"], Some(b"\n\nRegistration attempt 1 of 30"));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().last().unwrap().contains("\"line\":3"));
}

#[test]
fn binary_garbage_and_a_ten_megabyte_line_are_survived_and_counted() {
    let mut input = Vec::new();
    input.extend(b"Checking for jobs... received                       runner=HYErDk_6w\n");
    input.extend((0..=255u8).cycle().take(100_000));
    input.push(b'\n');
    input.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    input.push(b'\n');
    input
        .extend(b"ERROR: Checking for jobs... forbidden   runner=HYErDk_6w status=403 Forbidden\n");
    let out = run(&["analyze", "--output", "json", "-"], Some(&input));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // The garbage chunk contains newlines of its own; what matters is that
    // every line is accounted for and the ones after the junk still count.
    assert!(
        report["input"]["truncated"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert!(report["input"]["invalid_utf8"].as_u64().unwrap() >= 1);
    assert_eq!(report["runners"][0]["state"], "forbidden");
    let out = run(&["classify", "-"], Some(&input));
    assert!(out.status.success());
    let last = stdout(&out).lines().last().unwrap().to_owned();
    assert!(last.contains("job_request_forbidden"), "{last}");
    assert!(stdout(&out).contains("\"truncated\":true"));
}

#[test]
fn fail_on_unhealthy_sets_the_exit_status() {
    let ok = run(
        &[
            "analyze",
            "--fail-on-unhealthy",
            "examples/logs/seed-incident.log",
        ],
        None,
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "the seed incident ends fixed: {}",
        stdout(&ok)
    );
    let bad = run(
        &[
            "analyze",
            "--fail-on-unhealthy",
            "examples/logs/registration-rejected.log",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    let plain = run(
        &["analyze", "examples/logs/registration-rejected.log"],
        None,
    );
    assert_eq!(plain.status.code(), Some(0));
}

#[test]
fn the_stuck_half_of_the_seed_incident_is_diagnosed_as_a_stale_token() {
    let log = std::fs::read_to_string("examples/logs/seed-incident.log").unwrap();
    let stuck: String = log
        .lines()
        .filter(|l| l.starts_with("[pod/gitlab-runner-7d9c6b5f4-x2x7k/"))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = run(
        &["analyze", "-n", "gitlab-runner", "--fail-on-unhealthy", "-"],
        Some(stuck.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("UNHEALTHY  runner HYErDk_6w  gitlab-runner/gitlab-runner"),
        "{text}"
    );
    assert!(
        text.contains(
            "the authentication token is rejected (9 x 403 since 2026-03-02 08:02:00 UTC)"
        ),
        "{text}"
    );
    assert!(text.contains("Updating the registration token"), "{text}");
    assert!(
        text.contains("kubectl delete pods -n gitlab-runner -l app=gitlab-runner"),
        "{text}"
    );
}

#[test]
fn a_node_log_file_with_split_records_gives_the_same_diagnosis() {
    // The stuck pod's log as containerd writes it under /var/log/pods: each
    // line cut into partial records, stderr noise interleaved.
    let log = std::fs::read_to_string("examples/logs/seed-incident.log").unwrap();
    let mut cri = String::new();
    for l in log
        .lines()
        .filter_map(|l| l.strip_prefix("[pod/gitlab-runner-7d9c6b5f4-x2x7k/gitlab-runner] "))
    {
        let (ts, msg) = l.split_once(' ').unwrap();
        let cut = msg.char_indices().nth(14).map_or(msg.len(), |(i, _)| i);
        cri.push_str(&format!("{ts} stdout P {}\n", &msg[..cut]));
        cri.push_str(&format!("{ts} stderr F noise\n"));
        cri.push_str(&format!("{ts} stdout F {}\n", &msg[cut..]));
    }
    let out = run(
        &[
            "analyze",
            "-n",
            "gitlab-runner",
            "--pod",
            "gitlab-runner-7d9c6b5f4-x2x7k",
            "-",
        ],
        Some(cri.as_bytes()),
    );
    let text = stdout(&out);
    assert!(
        text.contains(
            "the authentication token is rejected (9 x 403 since 2026-03-02 08:02:00 UTC)"
        ),
        "{text}"
    );
}

#[test]
fn several_files_are_several_pods() {
    let dir = std::env::temp_dir().join(format!("rm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("gitlab-runner-7d9c6b5f4-aaaaa.log");
    let b = dir.join("gitlab-runner-7d9c6b5f4-bbbbb.log");
    std::fs::write(
        &a,
        "ERROR: Checking for jobs... forbidden   runner=HYErDk_6w status=403 Forbidden\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "Checking for jobs... received                       runner=Zx8Kq2LmP\n",
    )
    .unwrap();
    let out = run(
        &[
            "analyze",
            "--output",
            "json",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        None,
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let pods: Vec<&str> = report["runners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pod"].as_str().unwrap())
        .collect();
    assert_eq!(
        pods,
        vec![
            "gitlab-runner-7d9c6b5f4-aaaaa",
            "gitlab-runner-7d9c6b5f4-bbbbb"
        ]
    );
    // Without timestamps the old runner is superseded by input order.
    assert_eq!(report["summary"]["resolved"], 1);
    let err = run(
        &[
            "analyze",
            "--pod",
            "x",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(err.status.code(), Some(2));
    assert!(
        stderr(&err).contains("--pod names the pod of a single"),
        "{}",
        stderr(&err)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_inputs_are_explained_with_exit_status_2() {
    let out = run(
        &[
            "analyze",
            "examples/logs/seed-incident.log",
            "/nonexistent/x.log",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read /nonexistent/x.log") && err.contains("No such file"),
        "{err}"
    );
    assert!(
        stdout(&out).is_empty(),
        "nothing is printed before every input opened"
    );
    let out = run(&["classify", "examples"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

#[test]
fn an_invalid_custom_rule_is_rejected_naming_the_rule_and_field() {
    let dir = std::env::temp_dir().join(format!("rm-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.yaml");
    std::fs::write(&cfg, "rules:\n  - name: waf-block\n    class: job_request_forbidden\n    pattern: '^blocked (by'\n").unwrap();
    let out = run(
        &[
            "analyze",
            "--config",
            cfg.to_str().unwrap(),
            "examples/logs/healthy.log",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("rules[0].pattern")
            && err.contains("rule \"waf-block\"")
            && err.contains("not a valid regex"),
        "{err}"
    );
    let out = run(&["check-config", cfg.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rules[0].pattern"));
    std::fs::write(&cfg, "rules:\n  - name: waf-block\n    class: job_request_forbidden\n    pattern: '^blocked by waf'\n    implied_status: 403\n").unwrap();
    let out = run(&["check-config", cfg.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        &["classify", "--config", cfg.to_str().unwrap()],
        Some(b"ERROR: blocked by waf   runner=HYErDk_6w\n"),
    );
    assert!(
        stdout(&out).contains(
            "\"class\":\"job_request_forbidden\",\"runner\":\"HYErDk_6w\",\"http_status\":403"
        ),
        "{}",
        stdout(&out)
    );
    std::fs::write(&cfg, "rulez: []\n").unwrap();
    let out = run(&["check-config", cfg.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown field `rulez`"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tokens_in_log_lines_never_reach_the_output() {
    let lines = concat!(
        "ERROR: Runner https://gitlab.example.comglrt-t1_SECRETSECRETSECRET01 is not healthy and will be disabled!\n",
        "ERROR: Checking for jobs... forbidden   runner=GR1348941SECRETSECRETSE status=403 Forbidden\n",
        "Checking for jobs... received                       runner=glpat-SECRETSECRETSECRET02\n",
    );
    for args in [
        &["analyze", "-"][..],
        &["analyze", "--output", "json", "-"],
        &["classify", "-"],
    ] {
        let out = run(args, Some(lines.as_bytes()));
        let all = stdout(&out) + &stderr(&out);
        assert!(
            !all.contains("SECRETSECRET"),
            "{args:?} leaked a token:\n{all}"
        );
    }
}

#[test]
fn rules_lists_classes_rules_and_anchors() {
    let out = run(&["rules"], None);
    let text = stdout(&out);
    assert!(text.contains("job_request_forbidden") && text.contains("first match wins"));
    let anchors = stdout(&run(&["rules", "--anchors"], None));
    assert!(anchors.lines().any(|l| l == "Checking for jobs"));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["rules", "--output", "json"], None))).unwrap();
    assert_eq!(
        json["classes"].as_array().unwrap().len(),
        runner_medic::event::Class::COUNT
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let big: String = std::fs::read_to_string("examples/logs/seed-incident.log")
        .unwrap()
        .repeat(200);
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner-medic"))
        .args(["classify", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(big.as_bytes());
    });
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}
