//! The README stays true: its commands and its classes table.

use runner_medic::event::Class;

use crate::common::{self, Scratch};

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
fn the_diagnoses_table_lists_every_finding() {
    let readme = readme();
    for f in runner_medic::health::Finding::ALL {
        let row = format!("| `{}` | {} |", f.as_str(), f.description());
        assert!(readme.contains(&row), "README lacks the row: {row}");
    }
}

#[test]
fn the_two_commands_are_the_ones_ci_runs() {
    let readme = readme();
    assert!(readme.contains("cargo run --release -- demo\n"));
    assert!(readme.contains("bash tests/all.sh"));
    let ci = std::fs::read_to_string(common::root().join(".ci/run")).expect(".ci/run");
    assert!(ci.contains("exec bash tests/all.sh"), "{ci}");
    assert!(
        common::root()
            .join("examples/logs/seed-incident.log")
            .exists()
    );
}

/// Every family with at least one sample, encoded.
fn all_metrics() -> String {
    use runner_medic::event::RunnerId;
    use runner_medic::health::{RunnerKey, State};
    use runner_medic::metrics::{
        Channel, Metrics, ReconnectReason, RemediationResult, StatusClass, StreamState,
        WebhookResult,
    };
    let (registry, m) = Metrics::new_registry();
    let key = RunnerKey {
        namespace: "ns".into(),
        workload: "w".into(),
        runner: RunnerId::normalize("HYErDk_6w").unwrap(),
    };
    let mut s = m.runners.runner_series(&key, &"pod".into());
    m.runners
        .runner_diagnosis(&mut s, runner_medic::health::Finding::StaleToken);
    m.runners
        .runner_state(&mut s, &"pod".into(), State::Forbidden, Some(1.0));
    s.event(Class::JobRequestForbidden);
    s.last_success(1.0);
    s.consecutive_forbidden(3);
    m.logs.line_read(10, true, true);
    m.logs.line_processed(0.001);
    m.logs.deduplicated(1);
    m.logs.reconnect(ReconnectReason::error);
    m.logs.stream_state(None, Some(StreamState::following));
    m.logs.gaps(1);
    m.logs.pods(1);
    m.logs.overflow(Channel::transitions);
    m.runners.transition(State::Forbidden);
    m.runners.runner_refused();
    m.runners
        .unattributed_event(&"ns".into(), &"w".into(), Class::Other);
    m.remediation
        .gitlab_request("version", StatusClass::Success);
    m.remediation.decision("ns", "w", "refuse", "gitlab");
    m.remediation
        .ended("ns", "w", "reregister", RemediationResult::Succeeded, 12.0);
    m.remediation.in_progress(false);
    m.remediation.circuit("ns", "w", false);
    m.remediation.gitlab_disagrees(&key, Some(true));
    m.remediation.leader(true);
    m.admin.webhook_request(WebhookResult::accepted);
    Metrics::encode(&registry)
}

/// Metric names in the README's metrics table.
fn readme_metrics() -> Vec<String> {
    readme()
        .lines()
        .filter_map(|l| l.strip_prefix("| `runner_medic_"))
        .filter_map(|l| l.split('`').next())
        .map(|n| format!("runner_medic_{n}"))
        .collect()
}

#[test]
fn every_metric_in_the_readme_is_exported_and_every_exported_metric_is_in_the_readme() {
    let text = all_metrics();
    let documented = readme_metrics();
    assert!(documented.len() >= 15, "{documented:?}");
    for name in &documented {
        let sample = text.lines().any(|l| {
            !l.starts_with('#')
                && (l.starts_with(&format!("{name}{{"))
                    || l.starts_with(&format!("{name} "))
                    || l.starts_with(&format!("{name}_bucket{{")))
        });
        assert!(
            sample,
            "README documents {name}, /metrics has no such series:\n{text}"
        );
    }
    for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut parts = l.split(' ').skip(2);
        let (family, kind) = (parts.next().unwrap(), parts.next().unwrap());
        let exposed = match kind {
            "counter" => format!("{family}_total"),
            "info" => format!("{family}_info"),
            _ => family.to_owned(),
        };
        assert!(
            documented.contains(&exposed),
            "{exposed} ({kind}) is exported but not in the README's metrics table"
        );
    }
}

/// Sample names the encoded registry can show.
fn exported_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut parts = l.split(' ').skip(2);
        let (family, kind) = (parts.next().unwrap(), parts.next().unwrap());
        match kind {
            "counter" => out.push(format!("{family}_total")),
            "info" => out.push(format!("{family}_info")),
            "histogram" => {
                for s in ["", "_bucket", "_sum", "_count"] {
                    out.push(format!("{family}{s}"));
                }
            }
            _ => out.push(family.to_owned()),
        }
    }
    out
}

#[test]
fn every_metric_the_alerts_and_dashboards_use_is_exported() {
    let exported = exported_names(&all_metrics());
    let re = regex::Regex::new(r"\brunner_medic_[a-z0-9_]+").unwrap();
    let mut files = Vec::new();
    for dir in ["alerts", "alerts/tests", "dashboards", "deploy/base"] {
        for e in std::fs::read_dir(common::root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension()
                .is_some_and(|x| x == "yml" || x == "yaml" || x == "json")
            {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 4, "{files:?}");
    let mut checked = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for m in re.find_iter(&text) {
            checked += 1;
            assert!(
                exported.iter().any(|e| e == m.as_str()),
                "{} uses {}, which runner-medic does not export",
                f.display(),
                m.as_str()
            );
        }
    }
    assert!(checked > 50, "{checked}");
}

/// The README's configuration example is a valid config file: every key it
/// shows exists, and every value parses (check-config's own reader).
#[test]
fn the_readme_configuration_example_is_a_valid_config_file() {
    let readme = readme();
    let section = readme
        .split_once("## Configuration")
        .expect("a Configuration section")
        .1;
    let yaml = section
        .split_once("```yaml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a yaml block in the Configuration section")
        .0;
    let dir = Scratch::new("readme-config");
    let path = dir.join("config.yaml");
    std::fs::write(&path, yaml).unwrap();
    let read = runner_medic::config::read(&path);
    let file = read.unwrap_or_else(|e| panic!("README's config example: {e}"));
    assert_eq!(
        file.remediation.gitlab.runner_scope.as_deref(),
        Some("group:platform/ci,project:tools/ci")
    );
}

/// Every file the docs and comments point a reader at exists in the
/// repository: no `design §N`, `reference/...` or `../shared` that only the
/// authors' machines have, and every relative Markdown link resolves.
#[test]
fn docs_and_comments_point_only_at_files_in_the_repository() {
    let root = crate::common::root();
    let mut files = Vec::new();
    let mut stack = vec![
        root.join("src"),
        root.join("docs"),
        root.join("tests/it"),
        root.join("benches"),
        root.join("alerts"),
        root.join("deploy"),
    ];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("rs" | "md" | "yml" | "yaml" | "sh" | "py")
            ) {
                files.push(path);
            }
        }
    }
    files.push(root.join("README.md"));
    let mut problems = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read");
        // This test names the patterns it looks for.
        if path.ends_with("tests/it/docs.rs") {
            continue;
        }
        for needle in [
            "design §",
            "reference/apis",
            "runner-log-messages",
            "../shared",
        ] {
            if text.contains(needle) {
                problems.push(format!("{}: cites {needle:?}", path.display()));
            }
        }
        if path.extension().and_then(|e| e.to_str()) == Some("md") {
            let dir = path.parent().expect("parent");
            for link in text.split("](").skip(1) {
                let target = link.split(')').next().unwrap_or("");
                let target = target.split('#').next().unwrap_or("");
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !dir.join(target).exists() {
                    problems.push(format!("{}: broken link {target:?}", path.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
