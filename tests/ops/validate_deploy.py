#!/usr/bin/env python3
"""Validate the Kubernetes manifests in deploy/ offline.

    python3 tests/ops/validate_deploy.py [--args-out FILE] [--binary PATH] [--python]

For deploy/base and every deploy/overlays/*:

- renders it with tests/ops/render.py: with `kubectl kustomize` when kubectl is on PATH, and then
  also with the Python renderer, and fails if the two renderings differ (so the fallback used
  where kubectl is missing stays honest); with the Python renderer alone otherwise;
- validates every object against the Kubernetes OpenAPI schemas (PyPI `kubernetes-validate`,
  strict: unknown fields are errors) for each --k8s-version; the Prometheus Operator objects it
  has no schema for (ServiceMonitor, PrometheusRule) are checked by hand, and PrometheusRule
  groups with `promtool check rules` when promtool is on PATH;
- checks the Deployment (security context, probes, resources, ports, downward-API env, that
  token files are mounted Secrets), Service, ServiceMonitor, NetworkPolicy, and the RBAC (least
  privilege): reads --remediation, --strategy and --restart-method from the Deployment's args
  (defaults off, restart, delete) and requires the effective RBAC of the ServiceAccount to equal
  exactly the rows of the table "RBAC per mode" in README.md that apply to them (columns mode |
  strategy | restart method | resources and verbs; leases and configmaps in --lease-namespace,
  the rest in every namespace the args watch, or cluster-wide), with resourceNames where README
  asks for them (Secrets); and, whatever the table says: no write verb unless the mode is `on`,
  no Secret verb unless the strategy is rotate or recreate (and only get in dry-run), deployments
  patch only with `on` and rollout, pods delete only with `on` and delete, overlays/remediation in
  dry-run; every row of the table applies to some kustomization, every kustomization is listed in
  deploy/README.md; that the RBAC covers the namespaces the args watch;
- prints the container args of every Deployment, and writes them as JSON
  ([{"overlay": "base", "args": [...]}, ...]) with --args-out FILE, for a Rust test to parse with
  runner-medic's own CLI;
- with --binary PATH (or RUNNER_MEDIC_BIN), checks the table's modes, strategies and restart
  methods against `PATH watch --help`'s possible values, runs `PATH ARGS... --help` (the CLI must
  accept every flag and value) and `PATH ARGS...` with the token files swapped for temporary ones and no
  cluster (the config must be valid: it must stop only for want of a cluster).

Exits 1 with one line per problem on any failure. Installs pyyaml and kubernetes-validate with
pip when they are missing.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


sys.dont_write_bytecode = True  # no __pycache__ in tests/ops
sys.path.insert(0, str(HERE))
import render  # noqa: E402  (tests/ops/render.py; installs pyyaml when missing)

yaml = render.yaml


def _ensure(module: str, package: str):
    try:
        return __import__(module)
    except ImportError:
        render.pip_install(package)
        return __import__(module)


kv = _ensure("kubernetes_validate", "kubernetes-validate")

APP_LABEL = ("app.kubernetes.io/name", "runner-medic")
OWN_NS = "runner-medic"
RUNNERS_NS = "gitlab-runner"
PORT = 9742
USER = 65532
READ_VERBS = {"get", "list", "watch"}
CLUSTER = "<cluster>"  # the scope of a ClusterRoleBinding
# Flags that name a file the pod must be able to read, and the kind of volume it must come from.
FILE_FLAGS = {"--gitlab-token-file": "secret", "--webhook-token-file": "secret", "--config": None}
PROM_CRDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def fail(self, where: str, msg: str) -> None:
        self.failures.append(f"{where}: {msg}")

    def check(self, cond: Any, where: str, msg: str) -> bool:
        if not cond:
            self.fail(where, msg)
        return bool(cond)


# ---------------------------------------------------------------------------------------------
# helpers


def ident(o: dict[str, Any]) -> str:
    md = o.get("metadata") or {}
    ns = md.get("namespace")
    return f"{o.get('kind')} {ns + '/' if ns else ''}{md.get('name')}"


def group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def by_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o.get("kind") == kind]


def flag_values(args: list[str], flag: str) -> list[str]:
    """Values of a flag given as `--flag VALUE` or `--flag=VALUE` (repeatable)."""
    out = []
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            out.append(args[i + 1])
        elif a.startswith(flag + "="):
            out.append(a[len(flag) + 1 :])
    return out


def canonical(objs: list[dict[str, Any]]) -> str:
    return json.dumps(objs, indent=1, sort_keys=True)


# ---------------------------------------------------------------------------------------------
# README: the RBAC table

CORE_RESOURCES = {"pods", "pods/log", "configmaps", "secrets"}
APPS_RESOURCES = {"deployments", "replicasets"}
# "RBAC per mode, in the runners' namespaces (the Lease and ConfigMap in runner-medic's own)".
OWN_NS_RESOURCES = {"leases", "configmaps"}
# The values of the flags the table's rows depend on, and their defaults (src/cli.rs,
# src/remediate/policy.rs). With --binary, checked against the CLI's possible values.
FLAG_VALUES = {
    "--remediation": ("mode", ("off", "dry-run", "on"), "off"),
    "--strategy": ("strategy", ("restart", "reregister", "rotate", "recreate"), "restart"),
    "--restart-method": ("restart method", ("delete", "rollout"), "delete"),
}
TABLE_COLUMNS = ["mode", "strategy", "restart method", "resources and verbs"]


class RbacRow:
    """One row: the modes, strategies and restart methods it applies to (None: any), and what it
    grants."""

    def __init__(self, text: str, conds: list[set[str] | None], perms: dict[tuple[str, str], set[str]]) -> None:
        self.text = text
        self.conds = conds
        self.perms = perms

    def applies(self, setting: tuple[str, str, str]) -> bool:
        return all(c is None or v in c for c, v in zip(self.conds, setting))


class RbacTable:
    """README's table "RBAC per mode": what a deployment with a given (mode, strategy, restart
    method) needs is the union of the rows that apply to it; `named`: resources README restricts
    with resourceNames."""

    def __init__(self) -> None:
        self.rows: list[RbacRow] = []
        self.named: set[tuple[str, str]] = set()

    def needs(self, setting: tuple[str, str, str]) -> tuple[dict[tuple[str, str], set[str]], list[int]]:
        """The permissions for `setting`, and the indices of the rows behind them."""
        out: dict[tuple[str, str], set[str]] = {}
        used = []
        for i, row in enumerate(self.rows):
            if row.applies(setting):
                used.append(i)
                for k, v in row.perms.items():
                    out.setdefault(k, set()).update(v)
        return out, used


def _parse_perms(row: str, cell: str, table: RbacTable, where: str, ck: Checker) -> dict[tuple[str, str], set[str]]:
    item_re = re.compile(r"^(?:`(?P<group>[a-z0-9.-]+)`\s+)?`(?P<res>[a-z/]+)`:\s*(?P<rest>.+)$")
    perms: dict[tuple[str, str], set[str]] = {}
    for item in cell.split(";"):
        m = item_re.match(item.strip())
        if not m:
            ck.fail(where, f"cannot parse {item.strip()!r} in row {row!r}")
            continue
        res, group = m["res"], m["group"]
        if group is None:
            if res in CORE_RESOURCES:
                group = ""
            elif res in APPS_RESOURCES:
                group = "apps"
            else:
                ck.fail(where, f"no API group for {res!r}: name it in README or teach validate_deploy.py")
                continue
        # "get, update, restricted with `resourceNames` to ...": the verbs are the leading
        # one-word items.
        verbs = set()
        for word in (w.strip() for w in m["rest"].split(",")):
            if not re.fullmatch(r"[a-z]+", word):
                break
            verbs.add(word)
        ck.check(verbs, where, f"no verb for {res!r} in row {row!r}")
        if "resourceNames" in m["rest"]:
            table.named.add((group, res))
        perms.setdefault((group, res), set()).update(verbs)
    return perms


def readme_rbac(readme: Path, ck: Checker) -> RbacTable | None:
    """The table after the line starting "RBAC per mode": columns mode | strategy | restart method
    | resources and verbs; each of the first three is `any` or a list of `value`s."""
    where = f"{readme} (RBAC table)"
    try:
        lines = readme.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        ck.fail(where, str(e))
        return None
    start = next((i for i, line in enumerate(lines) if line.startswith("RBAC per mode")), None)
    if start is None:
        ck.fail(where, 'no line starting "RBAC per mode" (README, section Remediation)')
        return None
    rows: list[list[str]] = []
    header = None
    for line in lines[start + 1 :]:
        if not line.strip().startswith("|"):
            if rows or header:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(set(c) <= set("-: ") for c in cells):
            continue
        if header is None:
            header = cells
            continue
        rows.append(cells)
    if header != TABLE_COLUMNS:
        ck.fail(where, f"expected the columns {' | '.join(TABLE_COLUMNS)}, found {header}")
        return None
    table = RbacTable()
    for cells in rows:
        text = " | ".join(cells)
        if len(cells) != len(TABLE_COLUMNS):
            ck.fail(where, f"row {text!r}: expected {len(TABLE_COLUMNS)} cells")
            continue
        conds: list[set[str] | None] = []
        for cell, (flag, (what, known, _)) in zip(cells[:3], FLAG_VALUES.items()):
            if cell == "any":
                conds.append(None)
                continue
            values = set(re.findall(r"`([a-z-]+)`", cell))
            ck.check(values and re.fullmatch(r"`[a-z-]+`(,\s*`[a-z-]+`)*", cell), where, f"row {text!r}: {what} {cell!r} is not `any` or a list of `value`s")
            ck.check(values <= set(known), where, f"row {text!r}: unknown {what} {sorted(values - set(known))} (known: {', '.join(known)}, {flag})")
            conds.append(values)
        table.rows.append(RbacRow(text, conds, _parse_perms(text, cells[3], table, where, ck)))
    if not table.rows or not any(r.applies(("off", FLAG_VALUES["--strategy"][2], FLAG_VALUES["--restart-method"][2])) for r in table.rows):
        ck.fail(where, "expected rows, and one for mode `off` (the read-only deployment)")
        return None
    return table


def setting_of(args: list[str], where: str, ck: Checker) -> tuple[str, str, str]:
    """(mode, strategy, restart method) of the container args, defaults filled in."""
    out = []
    for flag, (what, known, default) in FLAG_VALUES.items():
        value = (flag_values(args, flag) or [default])[-1]
        ck.check(value in known, where, f"{flag} {value!r}: not a {what} validate_deploy.py knows ({', '.join(known)})")
        out.append(value)
    return out[0], out[1], out[2]


def scoped(perms: dict[tuple[str, str], set[str]], runner_scopes: list[str], own_ns: str) -> dict[tuple[str, str, str], set[str]]:
    """README permissions placed in namespaces: leases/configmaps in runner-medic's own
    (--lease-namespace), everything else in every namespace the args watch (or cluster-wide)."""
    out: dict[tuple[str, str, str], set[str]] = {}
    for (group, res), verbs in perms.items():
        for scope in [own_ns] if res in OWN_NS_RESOURCES else runner_scopes:
            out.setdefault((scope, group, res), set()).update(verbs)
    return out


# ---------------------------------------------------------------------------------------------
# RBAC


def effective_rbac(objs: list[dict[str, Any]], where: str, ck: Checker):
    """{(scope, group, resource): verbs} granted to the ServiceAccounts, and the rules behind them."""
    roles = {}
    for o in by_kind(objs, "Role") + by_kind(objs, "ClusterRole"):
        md = o["metadata"]
        roles[(o["kind"], md.get("namespace"), md["name"])] = o
        for i, rule in enumerate(o.get("rules") or []):
            w = f"{where}: {ident(o)} rules[{i}]"
            for field in ("apiGroups", "resources", "verbs"):
                ck.check("*" not in (rule.get(field) or []), w, f"wildcard in {field}")
            ck.check(not rule.get("nonResourceURLs"), w, "nonResourceURLs are not needed")
    sas = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in by_kind(objs, "ServiceAccount")}
    perms: dict[tuple[str, str, str], set[str]] = {}
    rules_by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for b in by_kind(objs, "RoleBinding") + by_kind(objs, "ClusterRoleBinding"):
        w = f"{where}: {ident(b)}"
        md = b["metadata"]
        ref = b.get("roleRef") or {}
        ref_ns = md.get("namespace") if ref.get("kind") == "Role" else None
        role = roles.get((ref.get("kind"), ref_ns, ref.get("name")))
        if not ck.check(role, w, f"roleRef {ref.get('kind')} {ref.get('name')} is not in the rendering"):
            continue
        ck.check(b["kind"] == "RoleBinding" or ref.get("kind") == "ClusterRole", w, "a ClusterRoleBinding must reference a ClusterRole")
        for s in b.get("subjects") or []:
            ck.check(
                s.get("kind") == "ServiceAccount" and (s.get("namespace"), s.get("name")) in sas,
                w,
                f"subject {s.get('kind')} {s.get('namespace')}/{s.get('name')} is not a ServiceAccount of the rendering",
            )
        ck.check(b.get("subjects"), w, "no subjects")
        scope = md.get("namespace") if b["kind"] == "RoleBinding" else CLUSTER
        for rule in role.get("rules") or []:
            for g in rule.get("apiGroups") or []:
                for r in rule.get("resources") or []:
                    key = (scope, g, r)
                    perms.setdefault(key, set()).update(rule.get("verbs") or [])
                    rules_by_key.setdefault(key, []).append(rule)
    # Roles nobody binds are dead weight (or a forgotten binding).
    bound = {
        (b["roleRef"].get("kind"), b["metadata"].get("namespace") if b["roleRef"].get("kind") == "Role" else None, b["roleRef"].get("name"))
        for b in by_kind(objs, "RoleBinding") + by_kind(objs, "ClusterRoleBinding")
    }
    for key, role in roles.items():
        ck.check(key in bound, f"{where}: {ident(role)}", "no binding references it")
    return perms, rules_by_key


def fmt_perms(perms: dict[tuple[str, str, str], set[str]]) -> str:
    return "; ".join(f"{s} {g or 'core'}/{r}: {','.join(sorted(v))}" for (s, g, r), v in sorted(perms.items()))


def check_rbac(name: str, objs, args: list[str], rbac_table, ck: Checker) -> tuple[list[int], str]:
    """The RBAC of one kustomization; returns the indices of the README rows it was checked
    against, and a one-line summary of what it grants."""
    where = name
    perms, rules_by_key = effective_rbac(objs, where, ck)

    # Secrets: only by name, never list/watch (that would read every Secret).
    for key, rules in rules_by_key.items():
        if key[2] == "secrets":
            for rule in rules:
                ck.check(rule.get("resourceNames"), where, f"rule on secrets in {key[0]} without resourceNames")
            ck.check(perms[key] <= {"get", "update", "patch"}, where, f"secrets in {key[0]}: verbs {sorted(perms[key])}")

    watched = flag_values(args, "--namespace") + flag_values(args, "-n")
    needs = {("", "pods"): READ_VERBS, ("", "pods/log"): {"get"}}
    scopes = [CLUSTER] if not watched else watched
    for ns in scopes:
        for (g, r), verbs in needs.items():
            have = perms.get((ns, g, r), set()) | perms.get((CLUSTER, g, r), set())
            ck.check(
                verbs <= have,
                where,
                f"the args watch {'all namespaces' if ns == CLUSTER else ns} but {g or 'core'}/{r} "
                f"{','.join(sorted(verbs))} is not granted there{' (needs a ClusterRoleBinding)' if ns == CLUSTER else ''}",
            )

    mode, strategy, restart = setting_of(args, where, ck)
    setting = f"--remediation {mode} --strategy {strategy} --restart-method {restart}"

    # Least privilege, independently of README's table: what only some settings may grant.
    def granted(group: str, res: str) -> set[str]:
        return set().union(*(v for (_, g, r), v in perms.items() if (g, r) == (group, res)))

    if mode != "on":
        writes = {k: v - READ_VERBS for k, v in perms.items() if v - READ_VERBS}
        ck.check(not writes, where, f"{setting} writes nothing, yet the RBAC grants write verbs: {fmt_perms(writes)}")
    if strategy not in ("rotate", "recreate"):
        ck.check(not granted("", "secrets"), where, f"{setting} never reads a Secret, yet the RBAC grants secrets {sorted(granted('', 'secrets'))}")
    elif mode != "on":
        ck.check(granted("", "secrets") <= {"get"}, where, f"{setting} only reads the runner Secret, yet the RBAC grants secrets {sorted(granted('', 'secrets'))}")
    if not (mode == "on" and restart == "rollout"):
        ck.check(not granted("apps", "deployments") - {"get"}, where, f"{setting} patches no Deployment, yet the RBAC grants deployments {sorted(granted('apps', 'deployments'))}")
    if not (mode == "on" and restart == "delete"):
        ck.check("delete" not in granted("", "pods"), where, f"{setting} deletes no pod, yet the RBAC grants pods delete")
    if name == "overlays/remediation":
        ck.check(mode == "dry-run", where, f"the shipped remediation overlay must be dry-run, not {mode!r}")

    summary = f"{setting}: {fmt_perms(perms)}"
    if not rbac_table:
        return [], summary
    for (scope, g, r), rules in rules_by_key.items():
        if (g, r) in rbac_table.named:
            for rule in rules:
                ck.check(rule.get("resourceNames"), where, f"{g or 'core'}/{r} in {scope}: README restricts it with resourceNames")
    # Exactly README's rows for the setting: no more (least privilege), no less (it would fail).
    need, used = rbac_table.needs((mode, strategy, restart))
    lease_ns = (flag_values(args, "--lease-namespace") or [OWN_NS])[-1]
    expected = scoped(need, scopes, lease_ns)
    if perms != expected:
        extra = {k: v - expected.get(k, set()) for k, v in perms.items() if v - expected.get(k, set())}
        missing = {k: v - perms.get(k, set()) for k, v in expected.items() if v - perms.get(k, set())}
        ck.fail(
            where,
            f"RBAC differs from README's table for {setting} (rows {', '.join(str(i + 1) for i in used)}):\n"
            f"    more than needed: {fmt_perms(extra) or '-'}\n    missing: {fmt_perms(missing) or '-'}\n"
            f"    rendered: {fmt_perms(perms)}\n    expected: {fmt_perms(expected)}",
        )
    return used, f"{setting} (README rows {', '.join(str(i + 1) for i in used)}): {fmt_perms(perms)}"


# ---------------------------------------------------------------------------------------------
# Deployment


def check_deployment(name: str, objs, dep: dict[str, Any], ck: Checker) -> list[str]:
    w = f"{name}: {ident(dep)}"
    spec = dep.get("spec") or {}
    tmpl = spec.get("template") or {}
    pod = tmpl.get("spec") or {}
    pod_labels = (tmpl.get("metadata") or {}).get("labels") or {}
    sel = (spec.get("selector") or {}).get("matchLabels") or {}
    ck.check(sel and all(pod_labels.get(k) == v for k, v in sel.items()), w, "selector does not match the pod template's labels")
    ck.check(pod_labels.get(APP_LABEL[0]) == APP_LABEL[1], w, f"pod template lacks the label {APP_LABEL[0]}={APP_LABEL[1]}")
    ck.check(dep["metadata"].get("namespace") == OWN_NS, w, f"must be in namespace {OWN_NS}")

    sa = pod.get("serviceAccountName")
    sas = {o["metadata"]["name"] for o in by_kind(objs, "ServiceAccount") if o["metadata"].get("namespace") == dep["metadata"].get("namespace")}
    ck.check(sa and sa in sas, w, f"serviceAccountName {sa!r} is not a ServiceAccount of the rendering")
    ck.check(pod.get("automountServiceAccountToken") is True, w, "automountServiceAccountToken must be true (the daemon uses the API)")
    psc = pod.get("securityContext") or {}
    ck.check(psc.get("runAsNonRoot") is True, w, "pod securityContext.runAsNonRoot must be true")
    ck.check(not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"), w, "no host namespaces")

    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    containers = pod.get("containers") or []
    ck.check(len(containers) == 1, w, f"expected one container, found {len(containers)}")
    all_args: list[str] = []
    for c in containers:
        cw = f"{w} container {c.get('name')}"
        image = c.get("image") or ""
        ck.check(image and not image.endswith(":latest") and (":" in image.rsplit("/", 1)[-1] or "@" in image), cw, f"image {image!r} needs a fixed tag or digest")
        sc = c.get("securityContext") or {}

        def eff(key: str):
            return sc[key] if key in sc else psc.get(key)

        ck.check(eff("runAsNonRoot") is True, cw, "runAsNonRoot must be true")
        uid = eff("runAsUser")
        ck.check(isinstance(uid, int) and not isinstance(uid, bool) and uid == USER, cw, f"runAsUser must be the number {USER} (got {uid!r})")
        gid = eff("runAsGroup")
        ck.check(gid is None or (isinstance(gid, int) and gid != 0), cw, "runAsGroup must not be root")
        ck.check(sc.get("readOnlyRootFilesystem") is True, cw, "readOnlyRootFilesystem must be true")
        ck.check(sc.get("allowPrivilegeEscalation") is False, cw, "allowPrivilegeEscalation must be false")
        ck.check(sc.get("privileged") in (None, False), cw, "must not be privileged")
        caps = sc.get("capabilities") or {}
        ck.check("ALL" in (caps.get("drop") or []), cw, "capabilities.drop must contain ALL")
        ck.check(not caps.get("add"), cw, "no capabilities may be added")
        seccomp = (eff("seccompProfile") or {}).get("type")
        ck.check(seccomp == "RuntimeDefault", cw, f"seccompProfile must be RuntimeDefault (got {seccomp!r})")

        res = c.get("resources") or {}
        for path in ("requests.cpu", "requests.memory", "limits.memory"):
            a, b = path.split(".")
            ck.check((res.get(a) or {}).get(b), cw, f"resources.{path} is missing")

        ports = c.get("ports") or []
        metrics = [p for p in ports if p.get("name") == "metrics"]
        ck.check(
            len(metrics) == 1 and metrics[0].get("containerPort") == PORT and metrics[0].get("protocol", "TCP") == "TCP",
            cw,
            f"needs exactly one port named metrics, TCP {PORT}",
        )
        for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
            hg = (c.get(probe) or {}).get("httpGet") or {}
            ck.check(hg.get("path") == path, cw, f"{probe} must be an httpGet of {path}")
            ck.check(hg.get("port") in ("metrics", PORT), cw, f"{probe} must probe the port metrics ({PORT})")

        env = {e.get("name"): e for e in c.get("env") or []}
        for var, field in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")):
            got = (((env.get(var) or {}).get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
            ck.check(got == field, cw, f"env {var} must come from the downward API fieldRef {field}")
        for e in c.get("env") or []:
            ck.check(not re.search(r"TOKEN$", e.get("name", "")) or "valueFrom" in e, cw, f"env {e.get('name')}: a token must not be a literal value")
            # These checks read the namespaces and the mode from the args: keep them there.
            ck.check(
                e.get("name") not in ("RUNNER_MEDIC_NAMESPACE", "RUNNER_MEDIC_REMEDIATION", "RUNNER_MEDIC_CONFIG"),
                cw,
                f"env {e.get('name')}: set this with an argument (validate_deploy.py checks the RBAC against the args)",
            )

        args = list(c.get("command") or []) + list(c.get("args") or [])
        ck.check(not c.get("command"), cw, "command must stay the image's entrypoint (set args only)")
        ck.check(args[:1] == ["watch"], cw, f"args must start with the subcommand watch (got {args[:1]})")
        listen = flag_values(args, "--listen")
        ck.check(not listen or listen[-1].endswith(f":{PORT}"), cw, f"--listen {listen} does not match the port {PORT}")
        for a in args:
            ck.check(not re.search(r"\b(glpat|glrt|gldt|glptt)-", a), cw, "an argument looks like a GitLab token: tokens come from files only")

        mounts = c.get("volumeMounts") or []
        for flag, kind in FILE_FLAGS.items():
            for path in flag_values(args, flag):
                ok = False
                for m in mounts:
                    mp = m.get("mountPath", "").rstrip("/")
                    if not path.startswith(mp + "/"):
                        continue
                    vol = volumes.get(m.get("name")) or {}
                    rel = path[len(mp) + 1 :]
                    if kind == "secret":
                        src = vol.get("secret")
                        if not ck.check(src, cw, f"{flag} {path}: the volume {m.get('name')} is not a Secret"):
                            ok = True
                            continue
                        ck.check(m.get("readOnly") is True, cw, f"{flag} {path}: mount it readOnly")
                    else:
                        src = vol.get("secret") or vol.get("configMap") or {}
                    items = src.get("items")
                    ck.check(items is None or any(i.get("path") == rel for i in items), cw, f"{flag} {path}: no item of the volume {m.get('name')} has the path {rel!r}")
                    ok = True
                ck.check(ok, cw, f"{flag} {path} is not inside any volumeMount")
        mode = (flag_values(args, "--remediation") or ["off"])[-1]
        if mode in ("dry-run", "on"):
            for flag in ("--gitlab-url", "--gitlab-token-file"):
                ck.check(flag_values(args, flag), cw, f"--remediation {mode} needs {flag}")
        all_args = args
    return all_args


def check_service_and_monitoring(name: str, objs, dep: dict[str, Any], ck: Checker) -> None:
    pod_labels = ((dep.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    services = by_kind(objs, "Service")
    if not ck.check(len(services) == 1, name, f"expected one Service, found {len(services)}"):
        return
    svc = services[0]
    w = f"{name}: {ident(svc)}"
    sel = (svc.get("spec") or {}).get("selector") or {}
    ck.check(sel and all(pod_labels.get(k) == v for k, v in sel.items()), w, "selector does not select the Deployment's pods")
    ports = [p for p in (svc.get("spec") or {}).get("ports") or [] if p.get("name") == "metrics"]
    ck.check(
        len(ports) == 1 and ports[0].get("port") == PORT and ports[0].get("targetPort") in ("metrics", PORT),
        w,
        f"needs a port named metrics, {PORT} -> metrics",
    )

    mons = by_kind(objs, "ServiceMonitor")
    pod_mons = by_kind(objs, "PodMonitor")
    ck.check(
        len(mons) + len(pod_mons) == 1,
        name,
        f"expected one ServiceMonitor or one PodMonitor (not both: each series would be scraped twice), found {len(mons)} and {len(pod_mons)}",
    )
    for pm in pod_mons:
        check_podmonitor(name, pm, dep, pod_labels, ck)
    if mons and ck.check(len(mons) == 1, name, f"expected one ServiceMonitor, found {len(mons)}"):
        sm = mons[0]
        w = f"{name}: {ident(sm)}"
        ck.check(sm.get("apiVersion") == "monitoring.coreos.com/v1", w, "apiVersion must be monitoring.coreos.com/v1")
        ck.check(set(sm) <= {"apiVersion", "kind", "metadata", "spec"}, w, f"unknown top-level fields {sorted(set(sm) - {'apiVersion', 'kind', 'metadata', 'spec'})}")
        spec = sm.get("spec") or {}
        ml = (spec.get("selector") or {}).get("matchLabels") or {}
        svc_labels = svc["metadata"].get("labels") or {}
        ck.check(ml and all(svc_labels.get(k) == v for k, v in ml.items()), w, "spec.selector.matchLabels does not select the Service")
        nss = spec.get("namespaceSelector")
        ck.check(
            sm["metadata"].get("namespace") == svc["metadata"].get("namespace") or (nss and (nss.get("any") or svc["metadata"].get("namespace") in (nss.get("matchNames") or []))),
            w,
            "not in the Service's namespace and no namespaceSelector naming it",
        )
        eps = spec.get("endpoints") or []
        if ck.check(len(eps) == 1, w, f"expected one endpoint, found {len(eps)}"):
            ep = eps[0]
            known = {"port", "targetPort", "path", "scheme", "interval", "scrapeTimeout", "honorLabels", "honorTimestamps", "relabelings", "metricRelabelings", "params", "tlsConfig", "bearerTokenSecret", "authorization", "scrapeProtocols"}
            ck.check(set(ep) <= known, w, f"unknown endpoint fields {sorted(set(ep) - known)}")
            ck.check(ep.get("port") == "metrics", w, "endpoint port must be the Service port named metrics")
            check_scrape_endpoint(w, ep, ck)

    rules = by_kind(objs, "PrometheusRule")
    if ck.check(rules, name, "no PrometheusRule (deploy/base/prometheusrule.yaml)"):
        for pr in rules:
            check_prometheusrule(f"{name}: {ident(pr)}", pr, ck)


def check_scrape_endpoint(w: str, ep: dict[str, Any], ck: Checker) -> None:
    """What a ServiceMonitor endpoint and a PodMonitor podMetricsEndpoint share: /metrics every
    30s, honorLabels, durations Prometheus can read."""
    ck.check(ep.get("path") == "/metrics", w, "endpoint path must be /metrics")
    ck.check(ep.get("interval") == "30s", w, "endpoint interval must be 30s")
    ck.check(ep.get("honorLabels") is True, w, "honorLabels must be true (the runner series carry their own namespace and pod labels)")
    for k in ("interval", "scrapeTimeout"):
        if k in ep:
            ck.check(re.fullmatch(r"(\d+(ms|s|m|h))+", str(ep[k])), w, f"{k} {ep[k]!r} is not a Prometheus duration")


def check_podmonitor(name: str, pm: dict[str, Any], dep: dict[str, Any], pod_labels: dict[str, Any], ck: Checker) -> None:
    """A PodMonitor (components/podmonitor) scrapes the Deployment's pods as the ServiceMonitor
    scrapes the Service: the container port named metrics, /metrics every 30s, honorLabels."""
    w = f"{name}: {ident(pm)}"
    ck.check(pm.get("apiVersion") == "monitoring.coreos.com/v1", w, "apiVersion must be monitoring.coreos.com/v1")
    ck.check(set(pm) <= {"apiVersion", "kind", "metadata", "spec"}, w, f"unknown top-level fields {sorted(set(pm) - {'apiVersion', 'kind', 'metadata', 'spec'})}")
    spec = pm.get("spec") or {}
    ml = (spec.get("selector") or {}).get("matchLabels") or {}
    ck.check(ml and all(pod_labels.get(k) == v for k, v in ml.items()), w, "spec.selector.matchLabels does not select the Deployment's pods")
    nss = spec.get("namespaceSelector")
    dep_ns = dep["metadata"].get("namespace")
    ck.check(
        pm["metadata"].get("namespace") == dep_ns or (nss and (nss.get("any") or dep_ns in (nss.get("matchNames") or []))),
        w,
        "not in the Deployment's namespace and no namespaceSelector naming it",
    )
    containers = ((dep.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    port_names = {p.get("name") for c in containers for p in c.get("ports") or []}
    eps = spec.get("podMetricsEndpoints") or []
    if ck.check(len(eps) == 1, w, f"expected one podMetricsEndpoint, found {len(eps)}"):
        ep = eps[0]
        known = {"port", "portNumber", "targetPort", "path", "scheme", "interval", "scrapeTimeout", "honorLabels", "honorTimestamps", "relabelings", "metricRelabelings", "params", "tlsConfig", "basicAuth", "authorization", "scrapeProtocols"}
        ck.check(set(ep) <= known, w, f"unknown podMetricsEndpoint fields {sorted(set(ep) - known)}")
        ck.check(ep.get("port") == "metrics" and "metrics" in port_names, w, "port must be the container port named metrics")
        check_scrape_endpoint(w, ep, ck)


def check_prometheusrule(w: str, pr: dict[str, Any], ck: Checker) -> None:
    ck.check(pr.get("apiVersion") == "monitoring.coreos.com/v1", w, "apiVersion must be monitoring.coreos.com/v1")
    ck.check(set(pr) <= {"apiVersion", "kind", "metadata", "spec"}, w, "unknown top-level fields")
    groups = (pr.get("spec") or {}).get("groups")
    if not ck.check(isinstance(groups, list) and groups, w, "spec.groups must be a non-empty list"):
        return
    names = set()
    for gi, g in enumerate(groups):
        gw = f"{w} groups[{gi}]"
        ck.check(isinstance(g, dict) and g.get("name"), gw, "needs a name")
        ck.check(g.get("name") not in names, gw, f"duplicate group name {g.get('name')!r}")
        names.add(g.get("name"))
        ck.check(set(g) <= {"name", "interval", "rules", "partial_response_strategy", "limit", "query_offset", "labels"}, gw, f"unknown fields {sorted(set(g) - {'name', 'interval', 'rules', 'limit', 'query_offset', 'labels'})}")
        rules = g.get("rules")
        if not ck.check(isinstance(rules, list) and rules, gw, "rules must be a non-empty list"):
            continue
        for ri, r in enumerate(rules):
            rw = f"{gw} rules[{ri}] {r.get('alert') or r.get('record') or ''}".rstrip()
            ck.check(("alert" in r) != ("record" in r), rw, "needs exactly one of alert and record")
            ck.check(isinstance(r.get("expr"), (str, int)) and str(r.get("expr")).strip(), rw, "needs an expr")
            ck.check(set(r) <= {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}, rw, f"unknown fields {sorted(set(r) - {'alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'})}")
            for k in ("for", "keep_firing_for"):
                if k in r:
                    ck.check(re.fullmatch(r"(\d+(ms|s|m|h|d|w|y))+", str(r[k])), rw, f"{k} {r[k]!r} is not a Prometheus duration")
            for k in ("labels", "annotations"):
                if k in r:
                    ck.check(isinstance(r[k], dict) and all(isinstance(v, str) for v in r[k].values()), rw, f"{k} must map to strings")
    promtool = shutil.which("promtool")
    if promtool:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump({"groups": groups}, f)
            tmp = f.name
        try:
            proc = subprocess.run([promtool, "check", "rules", tmp], capture_output=True, text=True, check=False)
            ck.check(proc.returncode == 0, w, f"promtool check rules failed:\n{(proc.stdout + proc.stderr).strip()}")
        finally:
            os.unlink(tmp)


def check_networkpolicies(name: str, objs, dep: dict[str, Any], ck: Checker) -> None:
    pod_labels = dep["spec"]["template"]["metadata"].get("labels") or {}
    pols = [p for p in by_kind(objs, "NetworkPolicy") if all(pod_labels.get(k) == v for k, v in ((p["spec"].get("podSelector") or {}).get("matchLabels") or {}).items())]
    ck.check(any(set(p["spec"].get("policyTypes") or []) >= {"Ingress", "Egress"} for p in pols), name, "no NetworkPolicy restricts both ingress and egress of the pod")
    # The admin port is open to the monitoring namespaces only, never to every pod.
    for p in pols:
        for rule in (p["spec"].get("ingress") or []):
            ck.check(bool(rule.get("from")), name, f"NetworkPolicy {p['metadata'].get('name')}: an ingress rule without `from` admits every pod of the cluster")
    allowed_egress = {(53, "UDP"), (53, "TCP"), (443, "TCP"), (6443, "TCP")}
    for p in pols:
        w = f"{name}: {ident(p)}"
        for i, rule in enumerate(p["spec"].get("ingress") or []):
            ports = rule.get("ports") or []
            ck.check(ports, w, f"ingress[{i}] allows every port")
            for port in ports:
                ck.check((port.get("port"), port.get("protocol", "TCP")) in ((PORT, "TCP"), ("metrics", "TCP")), w, f"ingress[{i}] allows {port}")
        for i, rule in enumerate(p["spec"].get("egress") or []):
            ports = rule.get("ports") or []
            ck.check(ports, w, f"egress[{i}] allows every port")
            for port in ports:
                ck.check((port.get("port"), port.get("protocol", "TCP")) in allowed_egress, w, f"egress[{i}] allows {port}: only DNS, 443 and 6443")


# Grafana's dashboard sidecar loads ConfigMaps with this label (kube-prometheus-stack default).
DASHBOARD_LABEL = ("grafana_dashboard", "1")
# Client-side `kubectl apply` keeps the whole object in an annotation of at most 256 KiB.
CLIENT_APPLY_LIMIT = 262144


def check_dashboard_configmaps(name: str, objs, ck: Checker) -> None:
    """The dashboard ConfigMap (dashboards/kustomization.yaml) carries the sidecar label and
    exactly the bytes of dashboards/*.json: generated from them, never a stale copy."""
    for cm in by_kind(objs, "ConfigMap"):
        labels = (cm.get("metadata") or {}).get("labels") or {}
        if DASHBOARD_LABEL[0] not in labels:
            continue
        w = f"{name}: {ident(cm)}"
        ck.check(labels[DASHBOARD_LABEL[0]] == DASHBOARD_LABEL[1], w, f"label {DASHBOARD_LABEL[0]} must be {DASHBOARD_LABEL[1]!r} (a string)")
        data = cm.get("data") or {}
        ck.check(data and not cm.get("binaryData"), w, "no data (or binaryData): the sidecar reads data")
        for key, text in data.items():
            src = REPO / "dashboards" / key
            if not ck.check(key.endswith(".json") and src.is_file(), w, f"data key {key!r} is not a file of dashboards/"):
                continue
            ck.check(text == src.read_text(encoding="utf-8"), w, f"data {key!r} differs from dashboards/{key}: generate it, do not copy it")
            try:
                uid = json.loads(text).get("uid")
            except ValueError as e:
                ck.fail(w, f"data {key!r} is not JSON: {e}")
                continue
            ck.check(bool(uid), w, f"dashboard {key!r} has no uid (the sidecar would duplicate it on every change)")
            ck.check(len(text.encode()) < CLIENT_APPLY_LIMIT, w, f"dashboard {key!r} is over 256 KiB: client-side kubectl apply cannot store it")


def check_common(name: str, objs, ck: Checker) -> None:
    ck.check(any(o["kind"] == "Namespace" and o["metadata"]["name"] == OWN_NS for o in objs), name, f"no Namespace {OWN_NS}")
    for o in objs:
        md = o.get("metadata") or {}
        w = f"{name}: {ident(o)}"
        ck.check((md.get("labels") or {}).get(APP_LABEL[0]) == APP_LABEL[1], w, f"lacks the common label {APP_LABEL[0]}={APP_LABEL[1]}")
        if o["kind"] in render.CLUSTER_SCOPED:
            continue
        ns = md.get("namespace")
        if o["kind"] in ("Role", "RoleBinding"):
            ck.check(ns in (OWN_NS, RUNNERS_NS), w, f"RBAC belongs in {RUNNERS_NS} or {OWN_NS}, not {ns!r}")
        else:
            ck.check(ns == OWN_NS, w, f"must be in namespace {OWN_NS}, not {ns!r}")


def schema_validate(name: str, objs, versions: list[str], ck: Checker) -> None:
    for o in objs:
        for v in versions:
            try:
                kv.validate(o, v, strict=True)
            except kv.SchemaNotFoundError:
                if o.get("kind") not in PROM_CRDS:
                    ck.fail(f"{name}: {ident(o)}", f"no Kubernetes {v} schema for {o.get('apiVersion')} {o.get('kind')}")
                break  # checked by hand
            except kv.ValidationError as e:
                path = "/".join(str(p) for p in e.path)
                ck.fail(f"{name}: {ident(o)}", f"Kubernetes {v} schema: {e.message} (at /{path})")


# ---------------------------------------------------------------------------------------------
# runner-medic's CLI


def check_binary(name: str, binary: str, args: list[str], ck: Checker) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_MEDIC_") and k not in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")}
    w = f"{name}: `runner-medic {' '.join(args)}`"
    proc = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, env=env, timeout=30, check=False)
    if not ck.check(proc.returncode == 0, w, f"the CLI rejects the args (exit {proc.returncode}):\n{proc.stderr.strip()}"):
        return
    # The config check: token files swapped for temporary ones, no cluster; it must stop for
    # want of a cluster only.
    with tempfile.TemporaryDirectory() as tmp:
        real = list(args)
        for i, a in enumerate(real[:-1]):
            if a in FILE_FLAGS and a != "--config":
                p = Path(tmp) / f"{i}.token"
                p.write_text("placeholder-token\n")
                real[i + 1] = str(p)
        for i, a in enumerate(real[:-1]):
            if a == "--listen":
                real[i + 1] = "127.0.0.1:0"
        env.update(KUBECONFIG=str(Path(tmp) / "no-kubeconfig"), HOME=tmp)
        try:
            proc = subprocess.run([binary, *real], capture_output=True, text=True, env=env, timeout=30, check=False)
        except subprocess.TimeoutExpired:
            ck.fail(w, "did not stop within 30 s without a cluster")
            return
        ck.check(
            proc.returncode == 2 and "no Kubernetes cluster configured" in proc.stderr,
            w,
            f"the config is not valid: it should stop only for want of a cluster, it stopped with exit {proc.returncode}:\n{proc.stderr.strip()[:2000]}",
        )


def check_flag_values(binary: str, ck: Checker) -> None:
    """The values FLAG_VALUES knows (the README table's columns) are the CLI's possible values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_MEDIC_")}
    proc = subprocess.run([binary, "watch", "--help"], capture_output=True, text=True, env=env, timeout=30, check=False)
    w = f"`{binary} watch --help`"
    if not ck.check(proc.returncode == 0, w, f"exit {proc.returncode}: {proc.stderr.strip()}"):
        return
    lines = proc.stdout.splitlines()
    option = re.compile(r"^\s+(?:-\w, )?--[a-z]")
    for flag, (what, known, _) in FLAG_VALUES.items():
        at = next((i for i, line in enumerate(lines) if re.match(rf"^\s+(?:-\w, )?{re.escape(flag)}(?=[ =]|$)", line)), None)
        if not ck.check(at is not None, w, f"no option {flag}"):
            continue
        block = [lines[at]]
        for line in lines[at + 1 :]:
            if option.match(line) or (line.strip() and not line[:1].isspace()):
                break  # the next option, or the next heading
            block.append(line)
        text = "\n".join(block)
        m = re.search(r"\[possible values: ([^\]]+)\]", text)
        values = [v.strip() for v in m[1].split(",")] if m else re.findall(r"^\s+- ([a-z-]+)(?::|$)", text, re.M)
        ck.check(
            sorted(values) == sorted(known),
            w,
            f"{flag}: the CLI's values are {values}, validate_deploy.py (and README's RBAC table) know {list(known)}",
        )


# ---------------------------------------------------------------------------------------------


def kustomizations(deploy: Path) -> list[Path]:
    dirs = [deploy / "base"]
    overlays = deploy / "overlays"
    if overlays.is_dir():
        dirs += sorted(d for d in overlays.iterdir() if d.is_dir() and any((d / f).is_file() for f in render.KUSTOMIZATION_FILES))
    return dirs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--deploy", default=str(REPO / "deploy"), help="the deploy directory (default: the repository's)")
    ap.add_argument("--readme", default=str(REPO / "README.md"), help="README with the RBAC table")
    ap.add_argument("--k8s-version", action="append", dest="versions", help="Kubernetes schema version, repeatable (default: 1.31 and 1.33)")
    ap.add_argument("--args-out", help="write the container args as JSON to this file (- for stdout)")
    ap.add_argument("--binary", default=os.environ.get("RUNNER_MEDIC_BIN"), help="runner-medic binary to check the args with")
    ap.add_argument("--python", action="store_true", help="render with the Python renderer only, even when kubectl is present")
    opts = ap.parse_args(argv)
    versions = opts.versions or ["1.31", "1.33"]
    ck = Checker()
    deploy = Path(opts.deploy).resolve()
    kubectl = None if opts.python else render.kubectl_path()
    rbac_table = readme_rbac(Path(opts.readme), ck)
    if not (deploy / "base").is_dir():
        print(f"validate_deploy: FAIL: {deploy / 'base'} does not exist", file=sys.stderr)
        return 1

    out_args = []
    total = 0
    rows_used: set[int] = set()
    for d in kustomizations(deploy):
        name = d.relative_to(deploy).as_posix()
        try:
            if kubectl:
                objs = render.render_kubectl(str(d), kubectl)
                try:
                    py = render.render_python(str(d))
                except render.RenderError as e:
                    ck.fail(name, f"the Python renderer cannot render it: {e}")
                else:
                    a, b = canonical(objs), canonical(py)
                    if a != b:
                        diff = "\n".join(list(difflib.unified_diff(a.splitlines(), b.splitlines(), "kubectl", "render.py --python", lineterm="", n=2))[:60])
                        ck.fail(name, f"kubectl kustomize and render.py --python differ:\n{diff}")
            else:
                objs = render.render_python(str(d))
        except render.RenderError as e:
            ck.fail(name, f"cannot render: {e}")
            continue
        total += len(objs)
        schema_validate(name, objs, versions, ck)
        check_common(name, objs, ck)
        deps = by_kind(objs, "Deployment")
        if not ck.check(len(deps) == 1, name, f"expected one Deployment, found {len(deps)}"):
            continue
        dep = deps[0]
        args = check_deployment(name, objs, dep, ck)
        check_service_and_monitoring(name, objs, dep, ck)
        check_networkpolicies(name, objs, dep, ck)
        check_dashboard_configmaps(name, objs, ck)
        used, rbac = check_rbac(name, objs, args, rbac_table, ck)
        rows_used.update(used)
        if opts.binary:
            check_binary(name, opts.binary, args, ck)
        out_args.append({"overlay": name, "args": args})
        print(f"{name}: {len(objs)} objects; args: {json.dumps(args)}\n    RBAC {rbac}")

    # Every row of README's table is shipped (and so checked) by some kustomization, and every
    # overlay is in deploy/README.md's table (the operator picks one there).
    if rbac_table:
        for i, row in enumerate(rbac_table.rows):
            ck.check(i in rows_used, f"{opts.readme} (RBAC table)", f"row {i + 1} ({row.text}) applies to no kustomization in {deploy}: ship an overlay for it")
    deploy_readme = deploy / "README.md"
    try:
        deploy_doc = deploy_readme.read_text(encoding="utf-8")
    except OSError as e:
        ck.fail(str(deploy_readme), str(e))
    else:
        for d in kustomizations(deploy):
            rel = d.relative_to(deploy).as_posix()
            ck.check(f"`{rel}/`" in deploy_doc, str(deploy_readme), f"does not list `{rel}/`")
    if opts.binary:
        check_flag_values(opts.binary, ck)

    if opts.args_out:
        text = json.dumps(out_args, indent=2) + "\n"
        if opts.args_out == "-":
            sys.stdout.write(text)
        else:
            Path(opts.args_out).write_text(text)

    renderer = "kubectl kustomize, checked against render.py --python" if kubectl else "render.py --python (no kubectl)"
    if ck.failures:
        for f in ck.failures:
            print(f"FAIL {f}", file=sys.stderr)
        print(f"validate_deploy: {len(ck.failures)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"validate_deploy: OK: {len(out_args)} kustomizations, {total} objects, rendered with {renderer}, "
        f"Kubernetes schemas {', '.join(versions)}{', args checked with ' + opts.binary if opts.binary else ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
