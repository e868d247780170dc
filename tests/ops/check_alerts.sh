#!/usr/bin/env bash
# Checks the alerting rules, their unit tests, the PrometheusRule copy and the
# runbooks. Run from anywhere: bash tests/ops/check_alerts.sh
#
#   1. promtool check rules alerts/runner-medic.rules.yml
#   2. promtool test rules alerts/tests/*.yml
#   3. deploy/base/prometheusrule.yaml: spec.groups == the rules file's groups
#   4. every alert: unique name, severity, summary, description, runbook_url;
#      every runbook_url has its file in docs/runbooks/, every
#      docs/runbooks/*.md belongs to an alert; every alert is tested firing and
#      silent; metric names exist in README's metrics table; no token-shaped text.
#
# Needs promtool (Prometheus 2.42 or later) and python3; PyYAML is installed
# with pip into a temporary directory only when `import yaml` fails.
set -euo pipefail

src="${BASH_SOURCE[0]}"
case "$src" in
  */*) here="${src%/*}" ;;
  *) here=. ;;
esac
root="$(cd "$here/../.." && pwd)"
cd "$root"

rules=alerts/runner-medic.rules.yml
prometheusrule=deploy/base/prometheusrule.yaml
failures=()

fail() {
  echo "FAIL: $*" >&2
  failures+=("$*")
}

step() {
  echo
  echo "== $*"
}

if ! command -v promtool >/dev/null 2>&1; then
  echo "FAIL: promtool not found; install it with: apt-get install prometheus (or put Prometheus' promtool on PATH)" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "FAIL: python3 not found" >&2
  exit 1
fi

step "promtool check rules $rules"
if ! promtool check rules "$rules"; then
  fail "promtool check rules $rules"
fi

step "promtool test rules alerts/tests/*.yml"
shopt -s nullglob
tests=(alerts/tests/*.yml alerts/tests/*.yaml)
shopt -u nullglob
if [ "${#tests[@]}" -eq 0 ]; then
  fail "no unit tests in alerts/tests/"
elif ! promtool test rules "${tests[@]}"; then
  fail "promtool test rules ${tests[*]}"
fi

step "PyYAML"
pydir=""
cleanup() { if [ -n "$pydir" ]; then rm -rf "$pydir"; fi; }
trap cleanup EXIT
if ! python3 -c 'import yaml' 2>/dev/null; then
  pydir="$(mktemp -d)"
  echo "import yaml failed; installing PyYAML into $pydir"
  if ! PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --target "$pydir" pyyaml; then
    echo "FAIL: could not install PyYAML with pip (python3 -m pip install pyyaml)" >&2
    exit 1
  fi
  export PYTHONPATH="$pydir${PYTHONPATH:+:$PYTHONPATH}"
fi
echo "ok"

step "PrometheusRule, annotations, runbooks, test coverage"
if ! python3 - "$rules" "$prometheusrule" "${tests[@]}" <<'PY'
import os
import re
import sys

import yaml

rules_path, prom_path, test_paths = sys.argv[1], sys.argv[2], sys.argv[3:]
RUNBOOK_PREFIX = "https://github.com/runner-medic/runner-medic/blob/main/docs/runbooks/"
RUNBOOK_DIR = "docs/runbooks"
SEVERITIES = {"critical", "warning", "info"}
problems = []


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        problems.append(f"{path}: cannot read: {e}")
        return None


rules = load(rules_path) or {}
groups = rules.get("groups") if isinstance(rules, dict) else None
if not isinstance(groups, list) or not groups:
    problems.append(f"{rules_path}: no groups")
    groups = []

# 1. The PrometheusRule carries exactly the same groups.
prom = load(prom_path)
if isinstance(prom, dict):
    if prom.get("apiVersion") != "monitoring.coreos.com/v1" or prom.get("kind") != "PrometheusRule":
        problems.append(f"{prom_path}: not a monitoring.coreos.com/v1 PrometheusRule")
    if (prom.get("metadata") or {}).get("name") != "runner-medic":
        problems.append(f"{prom_path}: metadata.name is not runner-medic")
    prom_groups = (prom.get("spec") or {}).get("groups")
    if prom_groups != groups:
        problems.append(f"{prom_path}: spec.groups differs from the groups of {rules_path}")
        pg = {g.get("name"): g for g in prom_groups or [] if isinstance(g, dict)}
        for g in groups:
            if g.get("name") not in pg:
                problems.append(f"  group {g.get('name')} missing from {prom_path}")
                continue
            other = {r.get("alert") or r.get("record"): r for r in pg[g["name"]].get("rules") or []}
            for r in g.get("rules") or []:
                name = r.get("alert") or r.get("record")
                if other.get(name) != r:
                    problems.append(f"  rule {name} (group {g['name']}) differs or is missing")
elif prom is not None:
    problems.append(f"{prom_path}: not a YAML mapping")

# 2. Every alert is complete and points at its runbook.
alerts = []
for g in groups:
    for r in g.get("rules") or []:
        if "alert" not in r:
            continue
        name = r["alert"]
        alerts.append(name)
        labels = r.get("labels") or {}
        ann = r.get("annotations") or {}
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{name}: labels.severity must be one of {sorted(SEVERITIES)}, is {labels.get('severity')!r}")
        for key in ("summary", "description", "runbook_url"):
            if not str(ann.get(key) or "").strip():
                problems.append(f"{name}: annotation {key} missing or empty")
        url = str(ann.get("runbook_url") or "")
        if url:
            expected = RUNBOOK_PREFIX + name + ".md"
            if url != expected:
                problems.append(f"{name}: runbook_url is {url}, expected {expected}")
            if url.startswith(RUNBOOK_PREFIX):
                path = os.path.join(RUNBOOK_DIR, url[len(RUNBOOK_PREFIX):])
                if not os.path.isfile(path):
                    problems.append(f"{name}: runbook {path} does not exist")
dupes = sorted({a for a in alerts if alerts.count(a) > 1})
if dupes:
    problems.append(f"duplicate alert names: {', '.join(dupes)}")

# 3. Every runbook belongs to an alert.
if os.path.isdir(RUNBOOK_DIR):
    for f in sorted(os.listdir(RUNBOOK_DIR)):
        if f.endswith(".md") and f[:-3] not in alerts:
            problems.append(f"{RUNBOOK_DIR}/{f} belongs to no alert")
else:
    problems.append(f"{RUNBOOK_DIR}/ does not exist")

# 4. Every alert is tested firing and silent.
fires, silent = set(), set()
for tp in test_paths:
    t = load(tp) or {}
    for case in t.get("tests") or []:
        for a in case.get("alert_rule_test") or []:
            (fires if a.get("exp_alerts") else silent).add(a.get("alertname"))
for name in alerts:
    if name not in fires:
        problems.append(f"{name}: no unit test expects it to fire")
    if name not in silent:
        problems.append(f"{name}: no unit test expects it to stay silent")

# 5. Metric names the rules use are documented metrics (README's table).
text = open(rules_path, encoding="utf-8").read()
try:
    readme = open("README.md", encoding="utf-8").read()
except OSError:
    readme = None
if readme is not None:
    documented = set(re.findall(r"`(runner_medic_[a-z0-9_]+)`", readme))
    for m in sorted(set(re.findall(r"\brunner_medic_[a-z0-9_]+", text))):
        if m not in documented:
            problems.append(f"metric {m} is not in README.md's metrics table")

# 6. No token-shaped text anywhere in the rules.
for pat in (r"glrt-[A-Za-z0-9_-]{8,}", r"glrtr-[A-Za-z0-9_-]{8,}", r"GR1348941[A-Za-z0-9_-]+",
            r"glpat-[A-Za-z0-9_-]{8,}", r"\bt[123]_[A-Za-z0-9_-]{16,}"):
    for m in re.findall(pat, text):
        problems.append(f"token-shaped text in {rules_path}: {m[:12]}...")

for p in problems:
    print("  " + p)
if problems:
    sys.exit(1)
print(f"ok: {len(alerts)} alerts, {len(groups)} groups, runbooks and PrometheusRule consistent")
PY
then
  fail "consistency checks (see above)"
fi

echo
if [ "${#failures[@]}" -gt 0 ]; then
  echo "check_alerts: ${#failures[@]} failure(s):" >&2
  for f in "${failures[@]}"; do
    echo "  - $f" >&2
  done
  exit 1
fi
echo "check_alerts: all checks passed"
