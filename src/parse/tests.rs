use proptest::prelude::*;

use std::sync::LazyLock;

use super::*;
use crate::classify::Classifier;

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::builtin);

fn fields(p: &Parsed<'_>) -> Vec<(String, String)> {
    p.fields()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn coloured_runner_lines_split_exactly_even_when_values_look_like_fields() {
    let line = "\x1b[31;1mERROR: Job failed: exit code 1                     \x1b[0;m  \x1b[31;1merror\x1b[0;m=step_script: zz=1 status=odd \x1b[31;1mjob\x1b[0;m=7 \x1b[31;1mrunner\x1b[0;m=xJ8kP2mQa";
    let mut parser = Parser::new();
    let p = parser.parse(line.as_bytes(), false);
    assert_eq!(p.format, Format::Runner);
    assert_eq!(p.level, Level::Error);
    assert_eq!(p.message, "Job failed: exit code 1");
    assert_eq!(
        fields(&p),
        vec![
            ("error".into(), "step_script: zz=1 status=odd".into()),
            ("job".into(), "7".into()),
            ("runner".into(), "xJ8kP2mQa".into())
        ]
    );
}

#[test]
fn uncoloured_values_keep_their_spaces() {
    let line = "ERROR: Checking for jobs... forbidden               correlation_id=01J runner=xJ8kP2mQa runner_name=gitlab-runner-6c8d9f7b5-qz4tn status=POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden";
    let mut parser = Parser::new();
    let p = parser.parse(line.as_bytes(), false);
    assert_eq!(p.message, "Checking for jobs... forbidden");
    assert_eq!(
        p.field("status"),
        Some("POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden")
    );
    assert_eq!(
        p.field("runner_name"),
        Some("gitlab-runner-6c8d9f7b5-qz4tn")
    );
}

#[test]
fn fieldless_runner_lines_are_runner_format_and_short_plain_lines_are_plain() {
    let mut parser = Parser::new();
    let p = parser.parse(
        b"WARNING: Running in user-mode.                     ",
        false,
    );
    assert_eq!(
        (p.format, p.level, p.message),
        (Format::Runner, Level::Warning, "Running in user-mode.")
    );
    let p = parser.parse(b"Registration attempt 1 of 30", false);
    assert_eq!((p.format, p.level), (Format::Plain, Level::Unknown));
    let p = parser.parse(b"goroutine 1 [running]:", false);
    assert_eq!(p.format, Format::Plain);
    let p = parser.parse(
        b"Configuration loaded                                builds=0 max_builds=10",
        false,
    );
    assert_eq!(
        (p.format, p.message, p.field("max_builds")),
        (Format::Runner, "Configuration loaded", Some("10"))
    );
}

#[test]
fn debug_colour_sets_the_debug_level() {
    let mut parser = Parser::new();
    let line = "\x1b[37;1mChecking for jobs...no content                    \x1b[0;m  \x1b[37;1mrunner\x1b[0;m=xJ8kP2mQa \x1b[37;1mstatus\x1b[0;m=204 No Content";
    let p = parser.parse(line.as_bytes(), false);
    assert_eq!(
        (p.level, p.message, p.field("status")),
        (
            Level::Debug,
            "Checking for jobs...no content",
            Some("204 No Content")
        )
    );
}

#[test]
fn kubernetes_timestamp_and_kubectl_prefix_are_removed_in_either_order() {
    let mut parser = Parser::new();
    for line in [
        "[pod/gitlab-runner-7d9c6b5f4-x2x7k/gitlab-runner] 2026-03-02T08:14:03.512277188Z Configuration loaded                                builds=0",
        "2026-03-02T08:14:03.512277188Z [pod/gitlab-runner-7d9c6b5f4-x2x7k/gitlab-runner] Configuration loaded                                builds=0",
    ] {
        let p = parser.parse(line.as_bytes(), false);
        assert_eq!(p.pod, Some("gitlab-runner-7d9c6b5f4-x2x7k"));
        assert_eq!(p.container, Some("gitlab-runner"));
        assert_eq!(
            p.timestamp.map(|t| t.to_string()).as_deref(),
            Some("2026-03-02T08:14:03.512277188Z")
        );
        assert_eq!(p.message, "Configuration loaded");
    }
}

#[test]
fn cri_file_lines_are_understood() {
    let mut parser = Parser::new();
    let p = parser.parse(
        b"2026-03-02T08:14:03.512277188Z stderr P Checking for jobs... received  runner=xJ8kP2mQa",
        false,
    );
    assert!(p.partial);
    assert_eq!(p.message, "Checking for jobs... received");
}

#[test]
fn logrus_text_values_are_unquoted() {
    let line = r#"time="2026-03-02T08:14:03.512093771Z" level=warning msg="Checking for jobs... failed" correlation_id=3f9a runner=xJ8kP2mQa status="execute JSON request: couldn't execute POST against https://g/api/v4/jobs/request: Post \"https://g/api/v4/jobs/request\": dial tcp: lookup g on 10.96.0.10:53: no such host" empty="""#;
    let mut parser = Parser::new();
    let p = parser.parse(line.as_bytes(), false);
    assert_eq!(
        (p.format, p.level, p.message),
        (Format::Text, Level::Warning, "Checking for jobs... failed")
    );
    assert!(
        p.field("status")
            .unwrap()
            .contains("Post \"https://g/api/v4/jobs/request\": dial tcp")
    );
    assert_eq!(p.field("empty"), Some(""));
    assert_eq!(
        p.logged_at.map(|t| t.to_string()).as_deref(),
        Some("2026-03-02T08:14:03.512093771Z")
    );
    let p = parser.parse(
        br#"time="2025-04-01T10:00:00Z" level=info msg="tab\tand \x1b esc \u00e9 \101""#,
        false,
    );
    assert_eq!(p.message, "tab\tand \x1b esc \u{e9} A");
}

#[test]
fn json_lines_keep_types_as_text_and_nested_values_as_json() {
    let line = r#"{"code":202,"job":48213377,"level":"info","msg":"Appending trace to coordinator...ok","nested":{"a":[1,2]},"ok":true,"runner":"xJ8kP2mQa","status":"202 Accepted","time":"2026-03-02T08:14:03.512093771Z","update-interval":3000000000,"x":null}"#;
    let mut parser = Parser::new();
    let p = parser.parse(line.as_bytes(), false);
    assert_eq!(
        (p.format, p.level, p.message),
        (
            Format::Json,
            Level::Info,
            "Appending trace to coordinator...ok"
        )
    );
    assert_eq!(p.field("code"), Some("202"));
    assert_eq!(p.field("nested"), Some(r#"{"a":[1,2]}"#));
    assert_eq!(p.field("ok"), Some("true"));
    assert_eq!(p.field("x"), Some(""));
    assert_eq!(p.field("update-interval"), Some("3000000000"));
}

#[test]
fn json_that_is_not_a_log_entry_is_plain() {
    let mut parser = Parser::new();
    assert_eq!(
        parser.parse(br#"{"kind":"Status"}"#, false).format,
        Format::Plain
    );
    assert_eq!(
        parser.parse(br#"{"msg": broken"#, false).format,
        Format::Plain
    );
    assert_eq!(
        parser.parse(br#"{"msg":"a"} trailing"#, false).format,
        Format::Plain
    );
}

#[test]
fn invalid_utf8_and_crlf_are_tolerated() {
    let mut parser = Parser::new();
    let p = parser.parse(
        b"Checking for jobs... received  runner=xJ8k\xff\xfeQa\r",
        false,
    );
    assert_eq!(p.format, Format::Runner);
    assert_eq!(p.field("runner"), Some("xJ8k\u{fffd}\u{fffd}Qa"));
    let p = parser.parse(b"Registration attempt 2 of 30\r", true);
    assert_eq!(p.message, "Registration attempt 2 of 30");
    assert!(p.truncated);
}

#[test]
fn the_parser_reuses_its_buffers_between_lines() {
    let mut parser = Parser::new();
    let a = parser
        .parse(b"Checking for jobs... received  runner=AAAAAAAAA", false)
        .field("runner")
        .map(str::to_owned);
    let b = parser
        .parse(b"Checking for jobs... received  runner=BBBBBBBBB", false)
        .field("runner")
        .map(str::to_owned);
    assert_eq!(
        (a.as_deref(), b.as_deref()),
        (Some("AAAAAAAAA"), Some("BBBBBBBBB"))
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut parser = Parser::new();
        let p = parser.parse(&bytes, false);
        let _ = p.fields().count();
        let _ = p.time();
        let _ = CLASSIFIER.classify(&p);
    }

    #[test]
    fn mutated_real_lines_never_panic(
        cut in 0usize..300,
        flip in 0usize..300,
        byte in any::<u8>(),
        which in 0usize..4,
    ) {
        let lines = [
            "2026-03-02T08:14:03.512277188Z \x1b[31;1mERROR: Checking for jobs... forbidden             \x1b[0;m  \x1b[31;1mrunner\x1b[0;m=xJ8kP2mQa \x1b[31;1mstatus\x1b[0;m=POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
            r#"time="2026-03-02T08:14:03.512093771Z" level=error msg="Checking for jobs... forbidden" runner=xJ8kP2mQa status="POST https://g: 403 \"x\" Forbidden""#,
            r#"{"level":"error","msg":"Runner \"https://gitlab.example.comxJ8kP2mQa\" is unhealthy and will be disabled for 1h0m0s seconds!","unhealthy_requests":3}"#,
            "[pod/gitlab-runner-7d9c6b5f4-x2x7k/gitlab-runner] 2026-03-02T17:14:03.5+09:00 Registration attempt 3 of 30",
        ];
        let mut bytes = lines[which].as_bytes().to_vec();
        if flip < bytes.len() { bytes[flip] = byte; }
        bytes.truncate(cut.min(bytes.len()));
        let mut parser = Parser::new();
        let p = parser.parse(&bytes, false);
        let _ = CLASSIFIER.classify(&p);
    }

    /// Any tool's prefix made of prefix-shaped tokens (times, names, a
    /// syslog tag, a label set, in any order and number) before a runner
    /// line: the line is found and classified as without the prefix, and
    /// any bytes at all before it never panic, in every input format.
    #[test]
    fn the_runner_line_is_found_after_any_prefix_of_prefix_tokens(
        tokens in proptest::collection::vec(0usize..7, 1..6),
        junk in proptest::collection::vec(any::<u8>(), 0..64),
        which in 0usize..3,
    ) {
        let pieces = [
            "2026-03-02T08:14:03.512277188Z",
            "gitlab-runner-7d9c6b5f4-x2x7k",
            "gitlab-runner",
            "Mar",
            "08:14:03",
            "{container=\"gitlab-runner\", pod=\"p-1\"}",
            "ci-vm-01",
        ];
        let lines = [
            "ERROR: Checking for jobs... forbidden               runner=xJ8kP2mQa status=POST https://gitlab.example.com/api/v4/jobs/request: 403 Forbidden",
            r#"{"level":"error","msg":"Checking for jobs... forbidden","runner":"xJ8kP2mQa","status":"403 Forbidden"}"#,
            "Checking for jobs... received                       job=1 repo_url=https://gitlab.example.com/a/b.git runner=xJ8kP2mQa",
        ];
        let prefix: Vec<&str> = tokens.iter().map(|&t| pieces[t]).collect();
        let line = format!("{} {}", prefix.join(" "), lines[which]);
        let mut parser = Parser::new();
        let alone = CLASSIFIER.classify(&parser.parse(lines[which].as_bytes(), false));
        let prefixed = CLASSIFIER.classify(&parser.parse(line.as_bytes(), false));
        prop_assert_eq!(prefixed.class, alone.class, "{}", line);
        prop_assert_eq!(prefixed.runner, alone.runner, "{}", line);
        let mut bytes = junk.clone();
        bytes.extend_from_slice(lines[which].as_bytes());
        for format in [
            crate::parse::InputFormat::Auto,
            crate::parse::InputFormat::Stern,
            crate::parse::InputFormat::Logcli,
            crate::parse::InputFormat::Journald,
        ] {
            let mut parser = Parser::with_format(format);
            let _ = CLASSIFIER.classify(&parser.parse(&bytes, false));
        }
    }
}
