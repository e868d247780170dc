//! Kubernetes label selectors (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`),
//! matched as the API server matches them. Remediation re-checks a pod
//! against the daemon's selector in code before deleting it (RBAC cannot
//! restrict a delete by label); the simulated API server filters with the
//! same code.

use std::collections::BTreeMap;

/// A parsed label selector (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector(Vec<Requirement>);

#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl Selector {
    /// Parses the `labelSelector` query parameter.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            // A requirement ends at a comma outside parentheses.
            let mut depth = 0;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let part = rest[..end].trim();
            rest = rest.get(end + 1..).unwrap_or("").trim();
            reqs.push(Self::requirement(part)?);
        }
        Ok(Selector(reqs))
    }

    fn requirement(p: &str) -> Result<Requirement, String> {
        let set = |v: &str| -> Result<Vec<String>, String> {
            let v = v.trim();
            let inner = v
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| format!("{p:?}: expected a (list)"))?;
            Ok(inner.split(',').map(|s| s.trim().to_owned()).collect())
        };
        if let Some((k, v)) = p.split_once(" notin ") {
            return Ok(Requirement::NotIn(k.trim().into(), set(v)?));
        }
        if let Some((k, v)) = p.split_once(" in ") {
            return Ok(Requirement::In(k.trim().into(), set(v)?));
        }
        if let Some((k, v)) = p.split_once("!=") {
            return Ok(Requirement::Ne(k.trim().into(), v.trim().into()));
        }
        if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
            return Ok(Requirement::Eq(k.trim().into(), v.trim().into()));
        }
        if let Some(k) = p.strip_prefix('!') {
            return Ok(Requirement::Absent(k.trim().into()));
        }
        if p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            return Ok(Requirement::Exists(p.into()));
        }
        Err(format!("{p:?} is not a label requirement"))
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Eq(k, v) => labels.get(k) == Some(v),
            Requirement::Ne(k, v) => labels.get(k) != Some(v),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::Absent(k) => !labels.contains_key(k),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors_match_like_the_apiserver() {
        let l = labels(&[("app", "gitlab-runner"), ("tier", "ci")]);
        for (sel, want) in [
            ("app=gitlab-runner", true),
            ("app==gitlab-runner", true),
            ("app!=gitlab-runner", false),
            ("app", true),
            ("!app", false),
            ("app in (x, gitlab-runner)", true),
            ("app notin (gitlab-runner)", false),
            ("app=gitlab-runner,tier=web", false),
            ("", true),
        ] {
            assert_eq!(Selector::parse(sel).unwrap().matches(&l), want, "{sel}");
        }
        assert!(Selector::parse("app in x").is_err());
    }
}
