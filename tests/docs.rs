//! The README stays true: its commands and its classes table.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

mod common;

use runner_medic::event::Class;

fn readme() -> String {
    std::fs::read_to_string(common::root().join("README.md")).expect("README.md")
}

#[test]
fn the_classes_table_lists_every_class_with_its_description() {
    let readme = readme();
    for c in Class::ALL {
        let row = format!("| `{}` | {} |", c.as_str(), c.description());
        assert!(readme.contains(&row), "README lacks the row: {row}");
    }
}

#[test]
fn the_two_commands_are_the_ones_ci_runs() {
    let readme = readme();
    assert!(readme.contains("cargo run --release -- analyze examples/logs/seed-incident.log"));
    assert!(readme.contains("bash tests/all.sh"));
    let ci = std::fs::read_to_string(common::root().join(".ci/run")).expect(".ci/run");
    assert!(ci.contains("exec bash tests/all.sh"), "{ci}");
    assert!(
        common::root()
            .join("examples/logs/seed-incident.log")
            .exists()
    );
}
