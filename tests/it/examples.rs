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
