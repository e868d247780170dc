//! The binary end to end: exit statuses, the `classify` output contract,
//! bad input that must be counted or explained, never a panic.

use std::time::Duration;

use crate::common::Scratch;
use crate::common::bin::{command, run, run_within, stderr, stdout};

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
    let dir = Scratch::new("cli");
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
    let dir = Scratch::new("cfg");
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
}

#[test]
fn tokens_in_log_lines_never_reach_the_output() {
    let lines = concat!(
        "ERROR: Runner https://gitlab.example.comglrt-t1_FAKESECRETSECRETSECRET01 is not healthy and will be disabled!\n",
        "ERROR: Checking for jobs... forbidden   runner=GR1348941SECRETSECRETSE status=403 Forbidden\n",
        "Checking for jobs... received                       runner=glpat-FAKESECRETSECRETSECRET02\n",
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
    use std::process::Stdio;
    let big: String = std::fs::read_to_string("examples/logs/seed-incident.log")
        .unwrap()
        .repeat(200);
    let mut child = command(&["classify", "-"])
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

#[test]
fn terminal_escapes_in_file_names_are_not_echoed() {
    let dir = Scratch::new("cli-esc");
    // A file name that would set the terminal's title and clear its screen.
    let evil = dir.join("gitlab-runner-\x1b]0;owned\x07\x1b[2J.log");
    std::fs::write(
        &evil,
        "ERROR: Checking for jobs... forbidden   runner=HYErDk_6w status=403 Forbidden\n",
    )
    .unwrap();
    let out = run(&["analyze", evil.to_str().unwrap()], None);
    let text = stdout(&out);
    assert!(text.contains("HYErDk_6w"), "{text}");
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(
        text.contains("\\u{1b}]0;owned"),
        "escaped, not dropped: {text}"
    );
    // The same name in an error message.
    let missing = dir.join("missing-\x1b[2J.log");
    let out = run(&["analyze", missing.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(err.contains("missing-\\u{1b}[2J.log"), "{err}");
}

/// A config "file" that is huge, endless or a FIFO is refused at once,
/// naming the file and why, without reading it whole or blocking.
#[test]
fn huge_endless_and_special_config_files_are_refused_at_once() {
    let dir = Scratch::new("cli-cfgsize");
    let big = dir.join("big.yaml");
    std::fs::write(&big, "# padding\n".repeat(120_000)).unwrap();
    let mut cases = vec![(big.clone(), "larger than 1 MiB")];
    if cfg!(target_os = "linux") {
        cases.push(("/dev/zero".into(), "a character device"));
    }
    let fifo = dir.join("config.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        cases.push((fifo.clone(), "a FIFO"));
    } else {
        eprintln!("no mkfifo: the FIFO case is not tested");
    }
    let limit = Duration::from_secs(10);
    for (path, why) in cases {
        let p = path.to_str().unwrap();
        for args in [
            vec!["check-config", p],
            vec!["analyze", "--config", p, "examples/logs/healthy.log"],
            vec!["watch", "--config", p],
        ] {
            let out = run_within(&args, &[], limit);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = stderr(&out);
            assert!(err.contains(p) && err.contains(why), "{args:?}: {err}");
        }
    }
}

/// Values that check-config used to accept and that made the daemon's
/// tasks panic are refused with their path, range and default.
#[test]
fn check_config_refuses_settings_outside_their_ranges() {
    let dir = Scratch::new("cli-ranges");
    let cfg = dir.join("config.yaml");
    std::fs::write(
        &cfg,
        "watch:\n  silence_timeout: 18446744073709551615s\n  max_streams: 0\nremediation:\n  interval: 0s\n  gitlab:\n    rate: 1e-300\n",
    )
    .unwrap();
    let out = run(&["check-config", cfg.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for line in [
        "watch.silence_timeout: \"18446744073709551615s\" is too large; use 1s to 1d (default 10m)",
        "watch.max_streams: 0 is too small (it would follow nothing); use 1 to 100000 (default 500)",
        "remediation.interval: \"0s\" is too small; use 1s to 1h (default 5s)",
        "remediation.gitlab.rate: 1e-300 is too small; use 0.01 to 100 (default 1)",
    ] {
        assert!(err.contains(line), "{line}\n{err}");
    }
    // The same values as flags.
    let out = run_within(
        &[
            "watch",
            "--silence-timeout",
            "99999999d",
            "--max-streams",
            "0",
        ],
        &[],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("watch.silence_timeout: \"99999999d\" is too large")
            && err.contains("watch.max_streams: 0 is too small"),
        "{err}"
    );
}

/// An http:// GitLab URL would carry the access token in clear text: it is
/// refused unless --gitlab-allow-http (or its variable) allows it.
#[test]
fn an_http_gitlab_url_is_refused_without_gitlab_allow_http() {
    let args = [
        "watch",
        "--listen",
        "127.0.0.1:0",
        "--remediation",
        "dry-run",
        "--gitlab-url",
        "http://127.0.0.1:9",
        "--gitlab-runner-scope",
        "instance",
    ];
    let token = (
        "RUNNER_MEDIC_GITLAB_TOKEN",
        "glpat-FAKETOKENTOKENTOKENTOKEN",
    );
    let limit = Duration::from_secs(10);
    for env in [
        vec![token],
        vec![token, ("RUNNER_MEDIC_GITLAB_ALLOW_HTTP", "false")],
    ] {
        let out = run_within(&args, &env, limit);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("remediation.gitlab.url") && err.contains("clear text"),
            "{env:?}: {err}"
        );
        assert!(!err.contains("TOKENTOKEN"), "{err}");
    }
    let mut with_flag = args.to_vec();
    with_flag.push("--gitlab-allow-http");
    for (args, env) in [
        (with_flag, vec![token]),
        (
            args.to_vec(),
            vec![token, ("RUNNER_MEDIC_GITLAB_ALLOW_HTTP", "true")],
        ),
    ] {
        // Accepted: it goes on to look for a cluster (none here).
        let out = run_within(&args, &env, limit);
        let err = stderr(&out);
        assert!(!err.contains("remediation.gitlab.url"), "{env:?}: {err}");
        assert!(
            err.contains("Kubernetes") || err.contains("kubeconfig"),
            "{err}"
        );
    }
}

/// An error's cause is printed once, also when a library repeats its
/// source in its own message (kube's configuration errors do).
#[test]
fn errors_print_each_cause_once() {
    let out = crate::common::bin::run(&["watch", "--listen", "127.0.0.1:0"], None);
    let err = crate::common::bin::stderr(&out);
    assert!(!out.status.success(), "{err}");
    let line = err.lines().last().unwrap_or("");
    assert!(
        line.starts_with("runner-medic: error: no Kubernetes cluster"),
        "{err}"
    );
    for piece in line.split(": ").filter(|p| p.len() > 20) {
        assert_eq!(
            line.matches(piece).count(),
            1,
            "{piece:?} repeated in {line}"
        );
    }
}
