//! Reading samples out of an OpenMetrics text (`/metrics`).

use super::NS;

/// The value of one series written out as exported (`name{labels}`), if
/// present.
pub fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// One sample line: its name, labels and value.
struct Sample<'a> {
    name: &'a str,
    labels: Vec<(&'a str, String)>,
    value: f64,
}

impl Sample<'_> {
    fn has(&self, labels: &[(&str, &str)]) -> bool {
        labels
            .iter()
            .all(|(k, v)| self.labels.iter().any(|(lk, lv)| lk == k && lv == v))
    }
}

/// `name{k="v",...} value` (label values with `\"`, `\\` and `\n` escapes);
/// `None` for comments and anything else.
fn parse(line: &str) -> Option<Sample<'_>> {
    if line.starts_with('#') {
        return None;
    }
    let end = line.find(['{', ' '])?;
    let name = &line[..end];
    let mut rest = &line[end..];
    let mut labels = Vec::new();
    if let Some(mut s) = rest.strip_prefix('{') {
        loop {
            s = s.strip_prefix(',').unwrap_or(s);
            if let Some(after) = s.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = s.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let close = loop {
                match chars.next()? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        c => value.push(c),
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.push((key, value));
            s = &after[close + 1..];
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// The sum of every sample of `name` that has (at least) `labels`; 0 if
/// there is none.
pub fn sum(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter_map(parse)
        .filter(|s| s.name == name && s.has(labels))
        .map(|s| s.value)
        .sum()
}

/// Whether a sample of `name` with (at least) `labels` is 1: the state set
/// and info-like families.
pub fn is_one(metrics: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    metrics
        .lines()
        .filter_map(parse)
        .any(|s| s.name == name && s.has(labels) && s.value == 1.0)
}

/// Whether `runner` is in `state`.
pub fn state_is(metrics: &str, runner: &str, state: &str) -> bool {
    is_one(
        metrics,
        "runner_medic_runner_state",
        &[("runner", runner), ("state", state)],
    )
}

/// Whether `runner` has `diagnosis`.
pub fn diagnosis_is(metrics: &str, runner: &str, diagnosis: &str) -> bool {
    is_one(
        metrics,
        "runner_medic_runner_diagnosis",
        &[("runner", runner), ("diagnosis", diagnosis)],
    )
}

/// `runner_medic_log_events_total` for a runner and class, if exported.
pub fn events(metrics: &str, workload: &str, runner: &str, class: &str) -> Option<f64> {
    value(
        metrics,
        &format!(
            "runner_medic_log_events_total{{namespace=\"{NS}\",workload=\"{workload}\",runner=\"{runner}\",class=\"{class}\"}}"
        ),
    )
}

/// Remediation decisions with `verdict` and `check`, every workload.
pub fn decisions(metrics: &str, verdict: &str, check: &str) -> f64 {
    sum(
        metrics,
        "runner_medic_remediation_decisions_total",
        &[("verdict", verdict), ("check", check)],
    )
}

/// Remediations that ended with `result`, every workload and strategy.
pub fn remediations(metrics: &str, result: &str) -> f64 {
    sum(
        metrics,
        "runner_medic_remediations_total",
        &[("result", result)],
    )
}

#[test]
fn samples_are_read_with_their_labels() {
    let text = "# TYPE x counter\nx_total{a=\"1\",b=\"q\\\"u,o}te\"} 2\nx_total{a=\"1\",b=\"c\"} 3.5\ny 1\n# EOF\n";
    assert_eq!(sum(text, "x_total", &[("a", "1")]), 5.5);
    assert_eq!(sum(text, "x_total", &[("b", "q\"u,o}te")]), 2.0);
    assert_eq!(sum(text, "x", &[]), 0.0);
    assert!(is_one(text, "y", &[]));
    assert_eq!(value(text, "x_total{a=\"1\",b=\"c\"}"), Some(3.5));
}
