//! The example logs in `examples/logs/` and the `analyze` reports pinned
//! for each (`tests/golden/`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

mod common;

use runner_medic::sim::scenario::example_logs;

#[test]
fn example_logs_match_their_scripts() {
    for (name, content) in example_logs() {
        common::golden(&common::root().join("examples/logs").join(name), &content);
    }
}

#[test]
fn analyze_reports_for_the_example_logs_are_pinned() {
    for (name, _) in example_logs() {
        let path = format!("examples/logs/{name}");
        let stem = name.trim_end_matches(".log");
        let text = common::run(&["analyze", &path], None);
        assert!(text.status.success(), "{}", common::stderr(&text));
        common::golden(
            &common::root().join(format!("tests/golden/{stem}.txt")),
            &common::stdout(&text),
        );
        let json = common::run(&["analyze", "--output", "json", &path], None);
        assert!(json.status.success(), "{}", common::stderr(&json));
        common::golden(
            &common::root().join(format!("tests/golden/{stem}.json")),
            &common::stdout(&json),
        );
    }
}
