#!/usr/bin/env python3
"""Check the Grafana dashboards in dashboards/*.json offline.

    python3 tests/ops/check_dashboard.py [--self-test]

For every dashboards/*.json:

1. Grafana's published schema (Grafana 11.6), through its foundation SDK (PyPI
   grafana-foundation-sdk, pinned below): the dashboard is read with
   `Dashboard.from_json`, written back, and compared with the file. Every key the SDK
   drops (a typo such as `fieldconfig` or `legendformat`, or a key Grafana ignores) and
   every value it changes is a problem, except the few known, harmless drops in
   KNOWN_DROPS (each with its reason; an entry no dashboard needs is a problem too). Panel
   types must be ones the SDK registers (or `row`), and every query must be read as a
   Prometheus query.
2. Structure: a unique `uid` of at most 40 characters, `schemaVersion`, a title; unique
   panel ids; every gridPos within 24 columns and no two panels overlapping (rows
   excepted); every panel with a title and a description (rows: a title); every target
   with an `expr` and a refId unique within its panel; every data source reference
   `{"type": "prometheus", "uid": "${datasource}"}` (none hard-coded; the built-in
   annotation excepted); a `datasource` variable of type datasource for `prometheus`;
   unique variable names, every `$variable` used defined, and each query variable's
   `definition` equal to its `query`.
3. Cluster conventions (several clusters behind Thanos/Mimir): a hidden (hide 2)
   constant `cluster_label` = `cluster`; a query variable `cluster` =
   `label_values(runner_medic_build_info, ${cluster_label})` with includeAll, multi and
   allValue `.*`, before every other query variable; every `runner_medic_*` selector in
   every other variable query, target expr and annotation expr (each occurrence, `offset`
   and `or` branches included) carries `${cluster_label}=~"$cluster"`; every `by (...)`/`on (...)`
   clause listing `namespace` or `pod` also lists `${cluster_label}`, and no
   `ignoring (...)` lists it; every legendFormat naming `{{namespace}}` or `{{pod}}`
   names `{{cluster}}`; a table's organize transformation that indexes `namespace` puts
   `cluster` first and does not hide it; the variables chain: workload's query selects
   `namespace=~"$namespace"`, runner's selects namespace and workload.
4. Every metric name used (`runner_medic_*`, `_bucket`/`_sum`/`_count` of a histogram
   taken as the histogram) is in README.md's metrics table.

--self-test applies single mutations to the real dashboard in memory (a `fieldconfig`
typo, a selector without the cluster matcher, a `by (...)` without `${cluster_label}`,
a legend without `{{cluster}}`, a duplicate panel id, a hard-coded data source uid, no
`cluster_label` variable, and more) and fails unless each one is rejected by a new
problem (one the unchanged dashboard does not have) that names it: the checker cannot
silently stop catching things.

Prints every problem and exits 1; on success prints one line:
`check_dashboard: OK: <n> dashboards, <n> panels, <n> queries, Grafana schema <version>`
(panels: every panel but rows; queries: every panel target). When the pinned SDK is not
importable, installs it once with pip into $XDG_CACHE_HOME (or ~/.cache)
/runner-medic/pydeps and says so on stderr.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.dont_write_bytecode = True  # no __pycache__ in tests/ops

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DASHBOARD_DIR = REPO / "dashboards"
README = REPO / "README.md"
SELF_TEST_DASHBOARD = DASHBOARD_DIR / "runner-medic.json"

# The Grafana 11.6 schema. The SDK's versions carry an epoch (the build's timestamp)
# before the Grafana version they were generated from.
SDK_DIST = "grafana-foundation-sdk"
SDK_VERSION = "1769699379!11.6.0"
SDK_PIN = f"{SDK_DIST}=={SDK_VERSION}"

# Keys Grafana reads although the SDK's schema does not know them, so the round trip drops
# them harmlessly. Anything else dropped is a problem. Pattern: the JSON path with every
# list index written `[]`; `*` stands for any one key.
# Looked at and NOT needed with this pin, since the 11.6 SDK keeps them:
# annotations.list[].builtIn, stat options.wideLayout and options.showPercentChange,
# bargauge options.namePlacement and options.sizing. An entry no dashboard needs any more
# is reported, so the list cannot outlive its reasons.
KNOWN_DROPS: dict[str, str] = {
    "templating.list[].definition":
        "query variables' query as the variables list shows it (QueryVariableModel.definition in "
        "Grafana's frontend), absent from the dashboard schema; Grafana runs `query`, and 2. "
        "checks that the two are equal",
}

DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
# The built-in "Annotations & Alerts" query reads Grafana's own annotations, not Prometheus.
BUILTIN_ANNOTATION_DATASOURCE = {"type": "grafana", "uid": "-- Grafana --"}
GRID_COLUMNS = 24
MAX_UID_LENGTH = 40

CLUSTER_LABEL_VAR = "cluster_label"
CLUSTER_VAR = "cluster"
CLUSTER_QUERY = "label_values(runner_medic_build_info, ${cluster_label})"
# Labels that name one entity of one cluster: grouping by them without the cluster label
# would merge the same namespace (or pod) of two clusters into one series.
PER_ENTITY_LABELS = ("namespace", "pod")

# --- PromQL, by regular expression -----------------------------------------------------
# String literals are matched first so that nothing inside one counts as a selector or a
# clause. Selector braces may contain quoted values and ${variables} (whose `}` must not
# end the selector).
STRING_RE = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
BRACES_RE = r'\{(?:"(?:[^"\\]|\\.)*"|\$\{[^}]*\}|[^{}"])*\}'
SELECTOR_RE = re.compile(
    rf"(?P<string>{STRING_RE})|\b(?P<metric>runner_medic_[A-Za-z0-9_:]*)\s*(?P<braces>{BRACES_RE})?")
CLUSTER_MATCHER_RE = re.compile(r'\$\{cluster_label\}\s*=~\s*"\$(?:cluster|\{cluster\})"')
GROUPING_RE = re.compile(r"\b(?P<kw>by|on|ignoring)\s*\((?P<labels>[^()]*)\)")
VARIABLE_USE_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
METRIC_NAME_RE = re.compile(r"runner_medic_[a-z0-9_]+")
README_METRIC_RE = re.compile(r"^\| `(runner_medic_[a-z0-9_]+)` \| *([a-z]*) *\|", re.M)
HISTOGRAM_SERIES_RE = re.compile(r"(?P<base>runner_medic_[a-z0-9_]+)_(?P<suffix>bucket|sum|count)")


def label_matcher_re(label: str) -> re.Pattern[str]:
    return re.compile(rf'\b{label}\s*=~\s*"\$(?:{label}|\{{{label}\}})"')


def metric_selectors(expr: str) -> list[re.Match[str]]:
    """Every `runner_medic_*` selector of expr, string literals skipped."""
    return [m for m in SELECTOR_RE.finditer(expr) if m.group("metric")]


def without_strings(expr: str) -> str:
    """expr with every string literal blanked, offsets kept."""
    return re.sub(STRING_RE, lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', expr)


def grouping_clauses(expr: str) -> Iterator[tuple[re.Match[str], list[str]]]:
    for m in GROUPING_RE.finditer(without_strings(expr)):
        labels = [x.strip().replace("$cluster_label", "${cluster_label}") for x in m.group("labels").split(",")]
        yield m, [x for x in labels if x]


# --- Walking the dashboard ---------------------------------------------------------------
def iter_panels(dash: dict) -> Iterator[dict]:
    """Every panel, rows included, and the panels kept inside collapsed rows."""
    for p in dash.get("panels", []):
        yield p
        if p.get("type") == "row":
            yield from p.get("panels", [])


def non_row_panels(dash: dict) -> list[dict]:
    return [p for p in iter_panels(dash) if p.get("type") != "row"]


def iter_targets(dash: dict) -> Iterator[tuple[dict, dict]]:
    for p in iter_panels(dash):
        for t in p.get("targets", []):
            yield p, t


def variables(dash: dict) -> list[dict]:
    return dash.get("templating", {}).get("list", [])


def variable(dash: dict, name: str) -> dict | None:
    return next((v for v in variables(dash) if v.get("name") == name), None)


def variable_query(v: dict) -> str:
    q = v.get("query", "")
    return q.get("query", "") if isinstance(q, dict) else q if isinstance(q, str) else ""


def panel_label(p: dict) -> str:
    return f'panel {p.get("id")} "{p.get("title", "")}"'


def target_label(p: dict, t: dict) -> str:
    return f"{panel_label(p)} target {t.get('refId', '?')}"


def queries(dash: dict) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every target expr, every query variable's query and every
    Prometheus annotation's expr."""
    for p, t in iter_targets(dash):
        yield target_label(p, t), t.get("expr", "")
    for v in variables(dash):
        if v.get("type") == "query":
            yield f"variable {v.get('name')}", variable_query(v)
    for a in dash.get("annotations", {}).get("list", []):
        if isinstance(a.get("expr"), str):
            yield f'annotation "{a.get("name")}"', a["expr"]


# --- 1. Grafana's schema, through its foundation SDK ------------------------------------
def pydeps_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "runner-medic" / "pydeps"


def installed_sdk_version() -> str | None:
    try:
        return metadata.version(SDK_DIST)
    except metadata.PackageNotFoundError:
        return None


def load_sdk() -> SimpleNamespace:
    """The pinned SDK: from the cache directory, else from the environment, else installed
    into the cache directory now."""
    target = pydeps_dir()
    target.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(target))  # the pinned copy there wins over any other version
    if installed_sdk_version() != SDK_VERSION:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--upgrade", "--target", str(target), SDK_PIN]
        print(f"check_dashboard: {SDK_PIN} is not importable: installing it into {target}",
              file=sys.stderr)
        # pip --upgrade replaces the package but leaves another version's dist-info behind,
        # which would still be found first; this directory is ours.
        for stale in target.glob("grafana_foundation_sdk-*.dist-info"):
            shutil.rmtree(stale)
        done = subprocess.run(cmd, capture_output=True, text=True,
                              env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"})
        importlib.invalidate_caches()
        if done.returncode != 0 or installed_sdk_version() != SDK_VERSION:
            sys.stderr.write(done.stdout + done.stderr)
            print(f"check_dashboard: cannot install {SDK_PIN}; run:\n  {shlex.join(cmd)}", file=sys.stderr)
            sys.exit(1)
    from grafana_foundation_sdk.cog import plugins, runtime
    from grafana_foundation_sdk.models.dashboard import Dashboard

    plugins.register_default_plugins()
    return SimpleNamespace(
        Dashboard=Dashboard,
        panel_types=set(runtime.Runtime().panelcfg_variants) | {"row"},
        grafana_version=SDK_VERSION.split("!", 1)[1],
    )


def json_path(parts: list[str | int], generic: bool = False) -> str:
    """panels[3].options.legend; with generic, every list index is written []."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += "[]" if generic else f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def allow_listed(parts: list[str | int]) -> str | None:
    """The KNOWN_DROPS pattern that covers a dropped key's path, if any."""
    path = json_path(parts, generic=True)
    for pattern in KNOWN_DROPS:
        if re.fullmatch(re.escape(pattern).replace(r"\*", r"[^.\[\]]+"), path):
            return pattern
    return None


def locate(dash: dict, parts: list[str | int]) -> str:
    """The panel, target or variable a JSON path is in, for people."""
    node: Any = dash
    where = ""
    for i, part in enumerate(parts):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and i > 0 and isinstance(node, dict):
            parent = parts[i - 1]
            if parent == "panels":
                where = panel_label(node)
            elif parent == "targets":
                where += f" target {node.get('refId', '?')}"
            elif parent == "list" and parts[:1] == ["templating"]:
                where = f"variable {node.get('name')}"
            elif parent == "list" and parts[:1] == ["annotations"]:
                where = f'annotation "{node.get("name")}"'
    return where or "dashboard"


def locate_value(dash: dict, parts: list[str | int]) -> Any:
    node: Any = dash
    for part in parts:
        node = node[part]
    return node


def round_trip_differences(before: Any, after: Any, parts: list[str | int]) -> Iterator[tuple[list, str]]:
    """(path, what) for every key of `before` missing from `after` and every value changed.
    Keys the SDK adds (its defaults) are not differences."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in before.items():
            if key not in after:
                yield parts + [key], "dropped"
            else:
                yield from round_trip_differences(value, after[key], parts + [key])
    elif isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            yield parts, f"changed: {len(before)} items became {len(after)}"
        for i, (b, a) in enumerate(zip(before, after, strict=False)):
            yield from round_trip_differences(b, a, parts + [i])
    elif type(before) is not type(after) or before != after:
        yield parts, f"changed: {json.dumps(before)[:80]} became {json.dumps(after)[:80]}"


def check_grafana_schema(dash: dict, sdk: SimpleNamespace, used_drops: set[str]) -> Iterator[str]:
    try:
        model = sdk.Dashboard.from_json(dash)
        after = json.loads(json.dumps(model.to_json(), default=lambda o: o.to_json()))
    except Exception as e:  # a shape the SDK cannot read at all
        yield f"Grafana {sdk.grafana_version} schema: the SDK cannot read the dashboard: {type(e).__name__}: {e}"
        return
    for parts, what in round_trip_differences(dash, after, []):
        pattern = allow_listed(parts) if what == "dropped" else None
        if pattern:
            used_drops.add(pattern)
            continue
        if what == "dropped" and locate_value(dash, parts) is None:
            what = f'key "{parts[-1]}" is null, which the schema leaves out: remove it or give it a value'
        elif what == "dropped":
            what = (f'key "{parts[-1]}" is not in the schema (the SDK drops it): a typo, '
                    f"or a key Grafana ignores")
        yield f"{locate(dash, parts)}: Grafana {sdk.grafana_version} schema: {json_path(parts)}: {what}"


def check_panel_types(dash: dict, sdk: SimpleNamespace) -> Iterator[str]:
    # The SDK keeps the options of a type it does not know as they are, unchecked.
    for p in iter_panels(dash):
        if p.get("type") not in sdk.panel_types:
            yield (f'{panel_label(p)}: panel type "{p.get("type")}" is not one the Grafana '
                   f"{sdk.grafana_version} SDK registers ({', '.join(sorted(sdk.panel_types))})")


def check_query_types(dash: dict) -> Iterator[str]:
    # The SDK reads a target with the schema of its data source's type (the panel's, else
    # the target's own); any other type keeps the target unchecked.
    for p, t in iter_targets(dash):
        for where, ref in (("its panel's", p.get("datasource")), ("its", t.get("datasource"))):
            kind = ref.get("type") if isinstance(ref, dict) else None
            if kind != "prometheus":
                yield f"{target_label(p, t)}: {where} data source type is {json.dumps(kind)}, not prometheus"


# --- 2. Structure --------------------------------------------------------------------------
def check_identity(dash: dict) -> Iterator[str]:
    uid = dash.get("uid")
    if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", uid):
        yield f"dashboard: uid {json.dumps(uid)} must be letters, digits, - and _"
    elif len(uid) > MAX_UID_LENGTH:
        yield f"dashboard: uid {uid!r} is {len(uid)} characters, Grafana takes at most {MAX_UID_LENGTH}"
    if not isinstance(dash.get("schemaVersion"), int) or isinstance(dash.get("schemaVersion"), bool):
        yield "dashboard: schemaVersion is missing (Grafana would migrate the JSON as if it were ancient)"
    if not dash.get("title"):
        yield "dashboard: no title"


def check_panel_ids(dash: dict) -> Iterator[str]:
    seen: dict[Any, dict] = {}
    for p in iter_panels(dash):
        pid = p.get("id")
        if not isinstance(pid, int) or isinstance(pid, bool):
            yield f'{panel_label(p)}: id {json.dumps(pid)} is not an integer'
        elif pid in seen:
            yield f'duplicate panel id {pid}: "{seen[pid].get("title")}" and "{p.get("title")}"'
        else:
            seen[pid] = p


def grid_rect(p: dict) -> tuple[int, int, int, int] | None:
    g = p.get("gridPos")
    if not isinstance(g, dict):
        return None
    values = [g.get(k) for k in ("x", "y", "w", "h")]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    return tuple(values)  # type: ignore[return-value]


def check_layout(dash: dict) -> Iterator[str]:
    for p in iter_panels(dash):
        r = grid_rect(p)
        if r is None:
            yield f"{panel_label(p)}: gridPos needs integers x, y, w and h: {json.dumps(p.get('gridPos'))}"
            continue
        x, y, w, h = r
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            yield f"{panel_label(p)}: gridPos x={x} w={w} y={y} h={h} is not within {GRID_COLUMNS} columns"
    # Overlaps among the visible panels, and among the panels of each collapsed row (laid
    # out when it opens); rows themselves are one-line separators.
    groups = [[p for p in dash.get("panels", []) if p.get("type") != "row"]]
    groups += [row.get("panels", []) for row in dash.get("panels", []) if row.get("type") == "row"]
    for group in groups:
        placed = [(p, grid_rect(p)) for p in group if grid_rect(p)]
        for i, (a, ra) in enumerate(placed):
            for b, rb in placed[i + 1:]:
                if ra[0] < rb[0] + rb[2] and rb[0] < ra[0] + ra[2] and ra[1] < rb[1] + rb[3] and rb[1] < ra[1] + ra[3]:
                    yield f"{panel_label(a)} and {panel_label(b)} overlap: {ra} and {rb} (x, y, w, h)"


def check_titles_and_descriptions(dash: dict) -> Iterator[str]:
    for p in iter_panels(dash):
        if not isinstance(p.get("title"), str) or not p["title"].strip():
            yield f"{panel_label(p)}: no title"
        if p.get("type") != "row" and (not isinstance(p.get("description"), str) or not p["description"].strip()):
            yield f"{panel_label(p)}: no description (the (i) tooltip is how people learn what it shows)"


def check_targets(dash: dict) -> Iterator[str]:
    for p in iter_panels(dash):
        ref_ids: dict[Any, int] = {}
        for t in p.get("targets", []):
            ref_ids[t.get("refId")] = ref_ids.get(t.get("refId"), 0) + 1
            if not isinstance(t.get("refId"), str) or not t["refId"]:
                yield f"{panel_label(p)}: a target has no refId"
            if not isinstance(t.get("expr"), str) or not t["expr"].strip():
                yield f"{target_label(p, t)}: no expr"
        for ref_id, n in ref_ids.items():
            if n > 1 and ref_id:
                yield f"{panel_label(p)}: refId {ref_id} is used by {n} targets (transformations name them)"


def iter_datasource_refs(node: Any, parts: list) -> Iterator[tuple[list, Any, Any]]:
    """(path, reference, the object holding it) for every "datasource" key."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                yield parts + [key], value, node
            yield from iter_datasource_refs(value, parts + [key])
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from iter_datasource_refs(item, parts + [i])


def check_datasource_refs(dash: dict) -> Iterator[str]:
    for parts, ref, holder in iter_datasource_refs(dash, []):
        if parts[:1] == ["annotations"] and holder.get("builtIn") == 1 and ref == BUILTIN_ANNOTATION_DATASOURCE:
            continue
        if ref == DATASOURCE_REF:
            continue
        where = f"{locate(dash, parts)}: {json_path(parts)}"
        if isinstance(ref, dict) and ref.get("uid") not in (None, "${datasource}"):
            yield (f'{where}: data source uid {json.dumps(ref.get("uid"))} is hard-coded: '
                   f"use {json.dumps(DATASOURCE_REF)}")
        else:
            yield f"{where}: is {json.dumps(ref)}, not {json.dumps(DATASOURCE_REF)}"
    for p in iter_panels(dash):
        if p.get("targets") and "datasource" not in p:
            yield f"{panel_label(p)}: has targets but no datasource (Grafana would use the default one)"


def check_datasource_variable(dash: dict) -> Iterator[str]:
    v = variable(dash, "datasource")
    if v is None:
        yield "variable datasource: missing (every query uses ${datasource})"
    elif v.get("type") != "datasource" or v.get("query") != "prometheus":
        yield (f"variable datasource: type {json.dumps(v.get('type'))} query {json.dumps(v.get('query'))}, "
               f'not type "datasource" query "prometheus"')


def check_variables(dash: dict) -> Iterator[str]:
    names = [v.get("name") for v in variables(dash)]
    for name in sorted({n for n in names if names.count(n) > 1}, key=str):
        yield f"variable {name}: defined {names.count(name)} times"
    for v in variables(dash):
        # Grafana lists `definition` but runs `query`; the SDK drops `definition` (see
        # KNOWN_DROPS), so this is the only check that it does not lie.
        if v.get("type") == "query" and "definition" in v and v["definition"] != variable_query(v):
            yield (f"variable {v.get('name')}: definition {json.dumps(v['definition'])} "
                   f"differs from query {json.dumps(variable_query(v))}")
    defined = set(names)
    for where, text in queries(dash):
        for m in VARIABLE_USE_RE.finditer(text):
            name = next(g for g in m.groups() if g)
            # $__rate_interval and co. are Grafana's; $1 is a label_replace back-reference.
            if not name.startswith("__") and not name[0].isdigit() and name not in defined:
                yield f"{where}: uses ${name}, which no variable defines"


# --- 3. Cluster conventions -------------------------------------------------------------
def check_cluster_variables(dash: dict) -> Iterator[str]:
    label = variable(dash, CLUSTER_LABEL_VAR)
    if label is None:
        yield f"variable {CLUSTER_LABEL_VAR}: missing (a hidden constant naming the cluster label, default cluster)"
    else:
        if label.get("type") != "constant" or label.get("hide") != 2:
            yield (f"variable {CLUSTER_LABEL_VAR}: type {json.dumps(label.get('type'))} "
                   f'hide {json.dumps(label.get("hide"))}, not a hidden constant (type "constant", hide 2)')
        if label.get("query") != "cluster":
            yield f'variable {CLUSTER_LABEL_VAR}: value {json.dumps(label.get("query"))}, not the default "cluster"'
        current = label.get("current", {}).get("value") if isinstance(label.get("current"), dict) else None
        if current is not None and current != label.get("query"):
            yield (f"variable {CLUSTER_LABEL_VAR}: current value {json.dumps(current)} "
                   f"differs from its query {json.dumps(label.get('query'))}")

    cluster = variable(dash, CLUSTER_VAR)
    if cluster is None:
        yield f"variable {CLUSTER_VAR}: missing (a query variable {CLUSTER_QUERY})"
        return
    if cluster.get("type") != "query" or " ".join(variable_query(cluster).split()) != CLUSTER_QUERY:
        yield (f"variable {CLUSTER_VAR}: must be a query variable {CLUSTER_QUERY}, "
               f"is {json.dumps(variable_query(cluster))}")
    if cluster.get("includeAll") is not True or cluster.get("multi") is not True or cluster.get("allValue") != ".*":
        yield (f'variable {CLUSTER_VAR}: needs includeAll true, multi true and allValue ".*" (All must also '
               f"match series without the label); has {json.dumps(cluster.get('includeAll'))}, "
               f"{json.dumps(cluster.get('multi'))}, {json.dumps(cluster.get('allValue'))}")
    order = [v.get("name") for v in variables(dash) if v.get("type") == "query"]
    if CLUSTER_VAR in order:
        for name in order[:order.index(CLUSTER_VAR)]:
            yield f"variable {CLUSTER_VAR}: must come before every other query variable, comes after {name}"


def check_cluster_selectors(dash: dict) -> Iterator[str]:
    for where, expr in queries(dash):
        if where == f"variable {CLUSTER_VAR}":
            continue  # lists the clusters: it cannot select one
        found = metric_selectors(expr)
        if not CLUSTER_MATCHER_RE.search(expr):
            yield f'{where}: selects no cluster (no ${{cluster_label}}=~"$cluster" matcher)'
        for n, m in enumerate(found, 1):
            if not CLUSTER_MATCHER_RE.search(m.group("braces") or ""):
                yield (f'{where}: {m.group("metric")} (selector {n} of {len(found)}: '
                       f'{m.group(0)[:120]}) lacks ${{cluster_label}}=~"$cluster"')


def check_cluster_grouping(dash: dict) -> Iterator[str]:
    for where, expr in queries(dash):
        for m, labels in grouping_clauses(expr):
            if m.group("kw") == "ignoring":
                if "${cluster_label}" in labels:
                    yield f"{where}: {m.group(0)} matches series of different clusters"
            elif any(x in labels for x in PER_ENTITY_LABELS) and "${cluster_label}" not in labels:
                yield (f"{where}: {m.group(0)} lists {'/'.join(x for x in PER_ENTITY_LABELS if x in labels)} "
                       f"but not ${{cluster_label}}: the same one in two clusters would merge")


def check_cluster_legends(dash: dict) -> Iterator[str]:
    for p, t in iter_targets(dash):
        legend = t.get("legendFormat") or ""
        if re.search(r"\{\{\s*(?:namespace|pod)\s*\}\}", legend) and not re.search(r"\{\{\s*cluster\s*\}\}", legend):
            yield f"{target_label(p, t)}: legendFormat {json.dumps(legend)} names namespace/pod but not {{{{cluster}}}}"


def check_cluster_table_columns(dash: dict) -> Iterator[str]:
    for p in iter_panels(dash):
        if p.get("type") != "table":
            continue
        for tr in p.get("transformations", []):
            options = tr.get("options", {}) if tr.get("id") == "organize" else {}
            index = options.get("indexByName", {})
            if "namespace" not in index:
                continue
            lowest = min(index.values(), default=0)
            if CLUSTER_VAR not in index or index[CLUSTER_VAR] != lowest or list(index.values()).count(lowest) > 1:
                yield f"{panel_label(p)}: organize indexByName must put cluster first: {json.dumps(index)}"
            if options.get("excludeByName", {}).get(CLUSTER_VAR):
                yield f"{panel_label(p)}: organize hides the cluster column"


def check_variable_chain(dash: dict) -> Iterator[str]:
    chain = {"workload": ["namespace"], "runner": ["namespace", "workload"]}
    for name, parents in chain.items():
        v = variable(dash, name)
        if v is None:
            continue
        selectors = metric_selectors(variable_query(v)) or [None]
        for parent in parents:
            if variable(dash, parent) is None:
                continue
            if not all(m and label_matcher_re(parent).search(m.group("braces") or "") for m in selectors):
                yield f'variable {name}: its query does not select {parent}=~"${parent}": {variable_query(v)}'


# --- 4. Metrics documented ----------------------------------------------------------------
def readme_metrics() -> dict[str, str]:
    """Metric name -> type, from README.md's metrics table."""
    try:
        return dict(README_METRIC_RE.findall(README.read_text(encoding="utf-8")))
    except OSError:
        return {}


def check_metrics_documented(dash: dict, documented: dict[str, str]) -> Iterator[str]:
    if not documented:
        yield f"{README.name}: no metrics table (lines starting | `runner_medic_...`)"
        return
    for where, expr in queries(dash):
        for name in sorted(set(METRIC_NAME_RE.findall(expr))):
            if name in documented:
                continue
            m = HISTOGRAM_SERIES_RE.fullmatch(name)
            if m and documented.get(m["base"]) == "histogram":
                continue
            if m and m["base"] in documented:
                yield f"{where}: {name}: {m['base']} is a {documented[m['base']]}, not a histogram"
            else:
                yield f"{where}: {name} is not in {README.name}'s metrics table"


# --- Running the checks --------------------------------------------------------------------
def check_dashboard(dash: dict, sdk: SimpleNamespace, documented: dict[str, str], used_drops: set[str]) -> list[str]:
    """Every problem of one dashboard (1. to 4.)."""
    checks: list[tuple[Callable[..., Iterator[str]], tuple]] = [
        (check_grafana_schema, (sdk, used_drops)),
        (check_panel_types, (sdk,)),
        (check_query_types, ()),
        (check_identity, ()),
        (check_panel_ids, ()),
        (check_layout, ()),
        (check_titles_and_descriptions, ()),
        (check_targets, ()),
        (check_datasource_refs, ()),
        (check_datasource_variable, ()),
        (check_variables, ()),
        (check_cluster_variables, ()),
        (check_cluster_selectors, ()),
        (check_cluster_grouping, ()),
        (check_cluster_legends, ()),
        (check_cluster_table_columns, ()),
        (check_variable_chain, ()),
        (check_metrics_documented, (documented,)),
    ]
    problems: list[str] = []
    for check, args in checks:
        try:
            problems.extend(check(dash, *args))
        except Exception as e:  # a shape a check did not expect is a problem, not a crash
            problems.append(f"{check.__name__} could not read the dashboard: {type(e).__name__}: {e}")
    return problems


def load_dashboards() -> tuple[dict[Path, dict], list[str]]:
    dashboards, problems = {}, []
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        try:
            dashboards[path] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            problems.append(f"{path.relative_to(REPO)}: not JSON: {e}")
    if not dashboards and not problems:
        problems.append(f"{DASHBOARD_DIR.relative_to(REPO)}/: no *.json dashboard")
    return dashboards, problems


def main_check(sdk: SimpleNamespace) -> int:
    dashboards, problems = load_dashboards()
    documented = readme_metrics()
    used_drops: set[str] = set()
    uids: dict[Any, Path] = {}
    for path, dash in dashboards.items():
        rel = path.relative_to(REPO)
        problems += [f"{rel}: {p}" for p in check_dashboard(dash, sdk, documented, used_drops)]
        uid = dash.get("uid")
        if uid in uids:
            problems.append(f"{rel}: uid {uid!r} is also {uids[uid].relative_to(REPO)}'s")
        uids.setdefault(uid, path)
    if dashboards:
        for pattern in sorted(set(KNOWN_DROPS) - used_drops):
            problems.append(f"{Path(__file__).name}: KNOWN_DROPS entry {pattern!r} is no longer needed: remove it")
    for p in problems:
        print(f"check_dashboard: {p}")
    if problems:
        print(f"check_dashboard: FAILED: {len(problems)} problems")
        return 1
    panels = sum(len(non_row_panels(d)) for d in dashboards.values())
    targets = sum(1 for d in dashboards.values() for _ in iter_targets(d))
    print(f"check_dashboard: OK: {len(dashboards)} dashboards, {panels} panels, {targets} queries, "
          f"Grafana schema {sdk.grafana_version}")
    return 0


# --- --self-test -----------------------------------------------------------------------------
# Each mutation changes one thing in a copy of the real dashboard and returns the words a
# problem must contain to count as naming it.
HARD_CODED_UID = "P1809F7CD0C75ACF3"


def first(items, what: str):
    for item in items:
        return item
    raise LookupError(f"the dashboard has no {what} to mutate")


def mutate_fieldconfig_typo(d: dict) -> list[str]:
    p = first((p for p in non_row_panels(d) if "fieldConfig" in p), "panel with fieldConfig")
    p["fieldconfig"] = p.pop("fieldConfig")
    return [panel_label(p), '"fieldconfig"']


def mutate_selector_without_cluster(d: dict) -> list[str]:
    # The last of several selectors in one expr (in the offset/or branch where there is
    # one): a check that looked at one selector per expression would miss it.
    p, t = max(iter_targets(d), key=lambda pt: len(metric_selectors(pt[1].get("expr", ""))))
    found = metric_selectors(t["expr"])
    if len(found) < 2:
        raise LookupError("no expr with two runner_medic_ selectors to mutate")
    m = found[-1]
    braces = m.group("braces") or ""
    for pattern in (r'\$\{cluster_label\}=~"\$cluster",\s*', r',\s*\$\{cluster_label\}=~"\$cluster"',
                    r'\$\{cluster_label\}=~"\$cluster"'):
        stripped = re.sub(pattern, "", braces, count=1)
        if stripped != braces:
            break
    else:
        raise LookupError("the last selector has no cluster matcher to drop")
    t["expr"] = t["expr"][:m.start("braces")] + stripped + t["expr"][m.end("braces"):]
    return [target_label(p, t), m.group("metric"), f"selector {len(found)} of {len(found)}"]


def mutate_grouping_without_cluster(d: dict) -> list[str]:
    for p, t in iter_targets(d):
        for m, labels in grouping_clauses(t["expr"]):
            clause = m.group(0)
            if m.group("kw") == "by" and "${cluster_label}, " in clause and any(x in labels for x in PER_ENTITY_LABELS):
                mutated = clause.replace("${cluster_label}, ", "", 1)
                t["expr"] = t["expr"][:m.start()] + mutated + t["expr"][m.end():]
                return [target_label(p, t), mutated]
    raise LookupError("no by (${cluster_label}, ...) clause to mutate")


def mutate_legend_without_cluster(d: dict) -> list[str]:
    p, t = first(((p, t) for p, t in iter_targets(d) if "{{cluster}}" in t.get("legendFormat", "")
                  and re.search(r"\{\{(namespace|pod)\}\}", t["legendFormat"])), "legend with {{cluster}}")
    t["legendFormat"] = " ".join(t["legendFormat"].replace("{{cluster}}", "").split())
    return [target_label(p, t), "legendFormat"]


def mutate_duplicate_panel_id(d: dict) -> list[str]:
    a, b = non_row_panels(d)[:2]
    b["id"] = a["id"]
    return [f"duplicate panel id {a['id']}"]


def mutate_hard_coded_datasource(d: dict) -> list[str]:
    p, t = first(iter_targets(d), "target")
    t["datasource"] = {"type": "prometheus", "uid": HARD_CODED_UID}
    return [target_label(p, t), HARD_CODED_UID]


def mutate_no_cluster_label_variable(d: dict) -> list[str]:
    d["templating"]["list"] = [v for v in variables(d) if v.get("name") != CLUSTER_LABEL_VAR]
    return [f"variable {CLUSTER_LABEL_VAR}: missing"]


def mutate_legendformat_typo(d: dict) -> list[str]:
    p, t = first(((p, t) for p, t in iter_targets(d) if "legendFormat" in t), "target with legendFormat")
    t["legendformat"] = t.pop("legendFormat")
    return [target_label(p, t), '"legendformat"']


def mutate_unregistered_panel_type(d: dict) -> list[str]:
    p = first((p for p in non_row_panels(d) if p.get("type") == "timeseries"), "timeseries panel")
    p["type"] = "graph"  # Angular, gone from Grafana 11
    return [panel_label(p), '"graph"']


def mutate_undocumented_metric(d: dict) -> list[str]:
    p, t = first(((p, t) for p, t in iter_targets(d) if metric_selectors(t.get("expr", ""))), "selector")
    name = metric_selectors(t["expr"])[0].group("metric")
    t["expr"] = t["expr"].replace(name, "runner_medic_not_in_the_readme_total")
    return [target_label(p, t), "runner_medic_not_in_the_readme_total", "README"]


def mutate_overlapping_panels(d: dict) -> list[str]:
    visible = [p for p in d["panels"] if p.get("type") != "row"]
    a, b = first(((a, b) for a, b in zip(visible, visible[1:], strict=False) if a["gridPos"]["y"] == b["gridPos"]["y"]),
                 "two panels side by side")
    b["gridPos"]["x"] = a["gridPos"]["x"]
    return [panel_label(a), panel_label(b), "overlap"]


def mutate_workload_variable_unchained(d: dict) -> list[str]:
    v = variable(d, "workload")
    if v is None:
        raise LookupError("no workload variable")
    v["query"] = v["definition"] = re.sub(r',\s*namespace=~"\$namespace"', "", v["query"])
    return ["variable workload", 'namespace=~"$namespace"']


def mutate_cluster_variable_last(d: dict) -> list[str]:
    vs = variables(d)
    vs.append(vs.pop(vs.index(variable(d, CLUSTER_VAR))))
    return [f"variable {CLUSTER_VAR}: must come before", "namespace"]


def mutate_table_cluster_last(d: dict) -> list[str]:
    p, tr = first(((p, tr) for p in non_row_panels(d) if p.get("type") == "table"
                   for tr in p.get("transformations", []) if tr.get("id") == "organize"), "organized table")
    tr["options"]["indexByName"][CLUSTER_VAR] = 99
    return [panel_label(p), "cluster first"]


def mutate_no_description(d: dict) -> list[str]:
    p = non_row_panels(d)[-1]
    del p["description"]
    return [panel_label(p), "no description"]


MUTATIONS: list[tuple[str, Callable[[dict], list[str]]]] = [
    ("a panel's fieldConfig renamed fieldconfig", mutate_fieldconfig_typo),
    ("the cluster matcher dropped from one selector of an expr", mutate_selector_without_cluster),
    ("${cluster_label}, dropped from one by (...) clause", mutate_grouping_without_cluster),
    ("{{cluster}} removed from one legend", mutate_legend_without_cluster),
    ("a panel id duplicated", mutate_duplicate_panel_id),
    ("a data source uid hard-coded", mutate_hard_coded_datasource),
    ("the cluster_label variable removed", mutate_no_cluster_label_variable),
    ("a target's legendFormat renamed legendformat", mutate_legendformat_typo),
    ("a panel type Grafana 11 no longer has", mutate_unregistered_panel_type),
    ("a metric the README does not list", mutate_undocumented_metric),
    ("two panels overlapping", mutate_overlapping_panels),
    ("the workload variable not chained to namespace", mutate_workload_variable_unchained),
    ("the cluster variable after the others", mutate_cluster_variable_last),
    ("a table putting cluster last", mutate_table_cluster_last),
    ("a panel without description", mutate_no_description),
]


def self_test(sdk: SimpleNamespace) -> int:
    """Each mutation must bring a new problem that names it. New: a problem the unchanged
    dashboard already has (the plain check reports those) cannot count as catching one."""
    rel = SELF_TEST_DASHBOARD.relative_to(REPO)
    real = json.loads(SELF_TEST_DASHBOARD.read_text(encoding="utf-8"))
    documented = readme_metrics()
    baseline = set(check_dashboard(real, sdk, documented, set()))
    missed = 0
    for name, mutate in MUTATIONS:
        dash = copy.deepcopy(real)
        try:
            words = mutate(dash)
        except (LookupError, KeyError, ValueError, TypeError) as e:
            print(f"self-test: CANNOT APPLY: {name}: {e}")
            missed += 1
            continue
        new = [p for p in check_dashboard(dash, sdk, documented, set()) if p not in baseline]
        naming = [p for p in new if all(w in p for w in words)]
        if naming:
            print(f"self-test: rejected: {name}: {naming[0]}")
        else:
            missed += 1
            print(f"self-test: MISSED: {name}: no new problem names {words}; new problems: {new or 'none'}")
    note = f" (unchanged, it has {len(baseline)} problems: see the plain check)" if baseline else ""
    if missed:
        print(f"check_dashboard --self-test: FAILED: {missed} of {len(MUTATIONS)} mutations of {rel} "
              f"not rejected{note}")
        return 1
    print(f"check_dashboard --self-test: OK: {len(MUTATIONS)} mutations of {rel}, each rejected by a problem "
          f"naming it{note}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--self-test", action="store_true",
                        help="mutate the real dashboard and require each mutation to be rejected")
    args = parser.parse_args()
    sdk = load_sdk()
    return self_test(sdk) if args.self_test else main_check(sdk)


if __name__ == "__main__":
    sys.exit(main())
