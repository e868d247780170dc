//! The `/` status page: every runner, its state and its diagnosis, worst
//! first. Plain HTML, no scripts, refreshes itself every 5 seconds. All
//! text is escaped; none of it comes verbatim from a log line.

use std::fmt::Write as _;

use crate::analyze::Snapshot;
use crate::health::report::RunnerReport;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `code` spans for backticks, escaped.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

fn colour(r: &RunnerReport) -> &'static str {
    let d = &r.diagnosis;
    if d.needs_action() {
        "#b3261e"
    } else if d.state.is_bad() {
        "#7a6a00"
    } else if d.state == crate::health::State::Healthy {
        "#1e7b34"
    } else {
        "#555"
    }
}

/// Renders the page.
pub fn page(snap: &Snapshot) -> String {
    let report = &snap.report;
    let s = &report.summary;
    let mut out = String::with_capacity(8192);
    out.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta http-equiv=\"refresh\" content=\"5\"><title>runner-medic</title>");
    out.push_str("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}.st{color:#fff;padding:.1em .5em;border-radius:.3em;font-size:.85em}code{background:#f3f3f3;padding:0 .2em}details{margin:.2em 0}</style></head><body>");
    out.push_str("<h1>runner-medic</h1>");
    let _ = write!(
        out,
        "<p>{} runner(s): <b>{} unhealthy</b>, {} resolved, {} healthy, {} unknown. {} line(s) read.{}</p>",
        s.runners,
        s.unhealthy,
        s.resolved,
        s.healthy,
        s.unknown,
        report.input.lines,
        if snap.synced {
            ""
        } else {
            " Waiting for the first pod list."
        }
    );
    out.push_str("<p><a href=\"/metrics\">/metrics</a> · <a href=\"/readyz\">/readyz</a></p>");
    if report.runners.is_empty() {
        out.push_str("<p>No runner seen yet.</p>");
    } else {
        out.push_str("<table><tr><th>state</th><th>runner</th><th>workload</th><th>pod</th><th>diagnosis</th></tr>");
        for r in &report.runners {
            let d = &r.diagnosis;
            let _ = write!(
                out,
                "<tr><td><span class=\"st\" style=\"background:{}\">{}</span></td><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}",
                colour(r),
                esc(d.state.as_str()),
                esc(&d.runner),
                if r.registration_token {
                    " (registration token)"
                } else {
                    ""
                },
                esc(&d.workload),
                esc(&d.pod),
                prose(&d.summary)
            );
            if d.state.is_bad() {
                out.push_str("<details><summary>evidence, fix</summary><ul>");
                for e in &d.evidence {
                    let _ = write!(out, "<li>{}</li>", prose(e));
                }
                out.push_str("</ul>");
                if !d.meaning.is_empty() {
                    let _ = write!(out, "<p>{}</p>", prose(&d.meaning));
                }
                if !d.fix.is_empty() {
                    out.push_str("<p><b>Fix</b></p><ol>");
                    for f in &d.fix {
                        let _ = write!(out, "<li>{}</li>", prose(f));
                    }
                    out.push_str("</ol>");
                }
                if !d.will_not_help.is_empty() {
                    out.push_str("<p><b>Will not help</b></p><ul>");
                    for w in &d.will_not_help {
                        let _ = write!(out, "<li>{}</li>", prose(w));
                    }
                    out.push_str("</ul>");
                }
                out.push_str("</details>");
            }
            out.push_str("</td></tr>");
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(prose("run `a<b` now"), "run <code>a&lt;b</code> now");
    }
}
