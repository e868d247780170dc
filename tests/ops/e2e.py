#!/usr/bin/env python3
"""End to end with the real Prometheus and Alertmanager (Debian packages).

    python3 tests/ops/e2e.py --binary target/release/runner-medic

Starts `runner-medic demo` (the simulated cluster and GitLab, remediation
on, the Alertmanager webhook enabled, local triggering pushed out to 10m so
only the alert can start the remediation), a real `prometheus` scraping it
every second with alerts/runner-medic.rules.yml loaded (each rule's `for`
shortened to a few seconds, nothing else changed), and a real
`prometheus-alertmanager` routing RunnerAuthenticationTokenRejected to
runner-medic's webhook with the bearer token. Asserts:

  1. the scrape target is up;
  2. the token-rejected alert fires for the stale runner HYErDk_6w and never
     for the healthy runners;
  3. Alertmanager delivers it to the webhook (no failed notification);
  4. the remediation runs in the sim (refused while GitLab is down, then
     carried out and verified) and the alert resolves;
  5. every PromQL expression of dashboards/*.json evaluates without error
     and returns data, for all clusters and for each of two (the demo is
     scraped by two jobs labelled cluster=east and cluster=west); queries that
     aggregate by cluster return exactly the clusters selected;
  6. every metric name in alerts/, dashboards/ and the README's metrics
     table is in runner-medic's live /metrics (except ONLY_ON_EVENT: families
     filled only by an event the demo never produces), and every family it
     exports is in the README's table.

Exits non-zero with what failed. Needs PyYAML.
"""

import argparse
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN_ALERT = "RunnerAuthenticationTokenRejected"
# The demo is scraped by one job per cluster label: the dashboard must tell them apart.
CLUSTERS = ("east", "west")
CLUSTER_LABEL = "cluster"
STALE = "HYErDk_6w"

# Metric names the alerts and the README may use although the demo's /metrics
# never shows them: families runner-medic registers but fills only on an event
# the demo does not produce. prometheus-client encodes no family without a
# series (no # TYPE line either), so these are absent from a live /metrics
# until the event happens. Each entry says which event; keep the list to such
# names. They must still be in the README's metrics table (checked below).
ONLY_ON_EVENT = {
    # Created only when GitLab's record contradicts a runner's log (GitLab heard
    # from the runner after its first 403: check corroboration refuses). The
    # demo's simulated GitLab agrees with every log, so the family stays empty.
    "runner_medic_runner_gitlab_disagrees": "GitLab disagrees with a runner's log",
}


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def query(prom, expr):
    url = f"http://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        body = json.loads(get(url))
    except urllib.error.HTTPError as e:
        body = json.loads(e.read().decode() or "{}")
    if body.get("status") != "success":
        raise Failure(f"query {expr!r} failed: {body.get('errorType')}: {body.get('error')}")
    return body["data"]["result"]


def wait(what, check, timeout, procs):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for name, p in procs.items():
            if p.poll() is not None:
                raise Failure(f"{name} exited with {p.returncode} while waiting for {what}")
        try:
            got = check()
            if got:
                return got
        except (urllib.error.URLError, ConnectionError, OSError, Failure) as e:
            last = e
        time.sleep(0.5)
    raise Failure(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last})" if last else ""))


def shortened_rules(src, dst):
    with open(src) as f:
        doc = yaml.safe_load(f)
    n = 0
    for g in doc["groups"]:
        for r in g["rules"]:
            if "for" in r:
                r["for"] = "4s"
                n += 1
    with open(dst, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return n


def families(metrics_text):
    """Sample names a /metrics text can show, from its # TYPE lines."""
    names = set()
    for line in metrics_text.splitlines():
        if not line.startswith("# TYPE "):
            continue
        _, _, family, kind = line.split(" ", 3)
        if kind == "counter":
            names.add(family + "_total")
        elif kind == "info":
            names.add(family + "_info")
        elif kind == "histogram":
            names.update(family + s for s in ("", "_bucket", "_sum", "_count"))
        else:
            names.add(family)
    return names


def dashboard_exprs():
    out = []

    def walk(panels, dash):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((dash, p.get("title", "?"), t["expr"]))
            walk(p.get("panels", []), dash)

    for path in sorted(glob.glob(os.path.join(ROOT, "dashboards", "*.json"))):
        with open(path) as f:
            d = json.load(f)
        walk(d.get("panels", []), os.path.basename(path))
        for v in d.get("templating", {}).get("list", []):
            q = v.get("query")
            if isinstance(q, dict):
                q = q.get("query")
            if v.get("type") == "query" and isinstance(q, str) and q.startswith("label_values("):
                # label_values(metric{...}, label): the series must exist.
                inner = q[len("label_values("):].rsplit(",", 1)[0]
                out.append((os.path.basename(path), f"variable {v.get('name')}", inner))
    return out


def concrete(expr, cluster=".*"):
    """The expression as Grafana sends it with every variable at All, or one cluster."""
    expr = expr.replace("${cluster_label}", CLUSTER_LABEL).replace("$cluster_label", CLUSTER_LABEL)
    expr = expr.replace("${cluster}", cluster).replace('"$cluster"', f'"{cluster}"')
    for var in ("namespace", "workload", "runner"):
        expr = expr.replace("${%s}" % var, ".*").replace("$" + var, ".*")
    return (
        expr.replace("$__rate_interval", "20s")
        .replace("$__interval", "10s")
        .replace("$__range", "5m")
    )


def metric_names(text):
    return set(re.findall(r"\brunner_medic_[a-z0-9_]+", text))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "runner-medic"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    prom_bin = shutil.which("prometheus")
    am_bin = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not prom_bin or not am_bin:
        raise Failure(
            "prometheus and prometheus-alertmanager are needed: "
            "apt-get install prometheus prometheus-alertmanager (tests/all.sh does it when run as root)"
        )
    tmp = tempfile.mkdtemp(prefix="runner-medic-e2e-")
    rm_port, prom_port, am_port = free_port(), free_port(), free_port()
    token_file = os.path.join(tmp, "webhook-token")
    with open(token_file, "w") as f:
        f.write(secrets.token_urlsafe(24) + "\n")
    rules = os.path.join(tmp, "rules.yml")
    n = shortened_rules(os.path.join(ROOT, "alerts", "runner-medic.rules.yml"), rules)
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [rules],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
                # Two jobs labelled as two clusters, as a global view (Thanos,
                # Mimir, federation) sees one runner-medic per cluster.
                "scrape_configs": [
                    {
                        "job_name": "runner-medic" if cluster == CLUSTERS[0] else f"runner-medic-{cluster}",
                        "honor_labels": True,
                        "static_configs": [{"targets": [f"127.0.0.1:{rm_port}"], "labels": {"cluster": cluster}}],
                    }
                    for cluster in CLUSTERS
                ],
            },
            f,
        )
    with open(os.path.join(tmp, "alertmanager.yml"), "w") as f:
        yaml.safe_dump(
            {
                "route": {
                    "receiver": "blackhole",
                    "group_by": ["alertname", "cluster", "namespace", "workload", "runner"],
                    "group_wait": "1s",
                    "group_interval": "2s",
                    "repeat_interval": "4s",
                    # The demo answers for the first cluster only (--webhook-cluster),
                    # as each cluster's runner-medic gets its own cluster's alerts.
                    "routes": [{"receiver": "runner-medic",
                                "matchers": [f'alertname="{TOKEN_ALERT}"', f'cluster="{CLUSTERS[0]}"']}],
                },
                "receivers": [
                    {"name": "blackhole"},
                    {
                        "name": "runner-medic",
                        "webhook_configs": [
                            {
                                "url": f"http://127.0.0.1:{rm_port}/api/v1/alerts",
                                "send_resolved": True,
                                "http_config": {"authorization": {"credentials_file": token_file}},
                            }
                        ],
                    },
                ],
            },
            f,
        )
    logs = {name: open(os.path.join(tmp, f"{name}.log"), "w") for name in ("demo", "prometheus", "alertmanager")}
    procs = {}
    started = time.monotonic()
    try:
        procs["demo"] = subprocess.Popen(
            [args.binary, "demo", "--listen", f"127.0.0.1:{rm_port}", "--remediation", "on",
             "--remediation-for", "10m", "--webhook-token-file", token_file,
             "--webhook-cluster", CLUSTERS[0], "--duration", "240s"],
            stdout=logs["demo"], stderr=subprocess.STDOUT,
        )
        procs["alertmanager"] = subprocess.Popen(
            [am_bin, f"--config.file={tmp}/alertmanager.yml", f"--storage.path={tmp}/am",
             f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=logs["alertmanager"], stderr=subprocess.STDOUT,
        )
        procs["prometheus"] = subprocess.Popen(
            [prom_bin, f"--config.file={tmp}/prometheus.yml", f"--storage.tsdb.path={tmp}/prom",
             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
            stdout=logs["prometheus"], stderr=subprocess.STDOUT,
        )
        print(f"e2e: demo :{rm_port}, prometheus :{prom_port}, alertmanager :{am_port}; {n} rules with `for` shortened")

        # 1. The target is up.
        wait("the scrape target to be up",
             lambda: any(r["value"][1] == "1" for r in query(prom_port, 'up{job="runner-medic"}')), 60, procs)
        print("e2e: 1. runner-medic is scraped (up == 1)")

        # 2-4. The alert fires for the stale runner only, is delivered, the
        # remediation runs, the alert resolves. Watch everything each tick.
        alerted = set()
        fired_in = set()
        seen = {"firing": False, "succeeded": False, "resolved": False}

        def tick():
            firing = query(prom_port, f'ALERTS{{alertname="{TOKEN_ALERT}"}}')
            for r in firing:
                alerted.add(r["metric"].get("runner"))
                if r["metric"].get("alertstate") == "firing" and r["metric"].get("runner") == STALE:
                    fired_in.add(r["metric"].get("cluster"))
                    seen["firing"] = fired_in == set(CLUSTERS)
            done = query(prom_port, 'sum(runner_medic_remediations_total{result="succeeded"})')
            if done and float(done[0]["value"][1]) >= 1:
                seen["succeeded"] = True
            if seen["firing"] and seen["succeeded"] and not firing:
                seen["resolved"] = True
            return seen["resolved"]

        wait("the alert to fire, the remediation to succeed and the alert to resolve", tick, 150, procs)
        if alerted != {STALE}:
            raise Failure(f"{TOKEN_ALERT} fired for {sorted(map(str, alerted))}, expected only {STALE}")
        print(f"e2e: 2. {TOKEN_ALERT} fired for {STALE} only, once in each cluster ({', '.join(sorted(fired_in))})")

        rm = get(f"http://127.0.0.1:{rm_port}/metrics")
        accepted = re.search(r'^runner_medic_webhook_requests_total\{result="accepted"\} (\d+)', rm, re.M)
        if not accepted or int(accepted.group(1)) < 1:
            raise Failure("runner-medic accepted no webhook request from Alertmanager:\n"
                          + "\n".join(l for l in rm.splitlines() if "webhook" in l))
        am = get(f"http://127.0.0.1:{am_port}/metrics")
        sent = sum(float(v) for v in re.findall(r'^alertmanager_notifications_total\{integration="webhook"[^}]*\} (\S+)', am, re.M))
        failed = sum(float(v) for v in re.findall(r'^alertmanager_notifications_failed_total\{integration="webhook"[^}]*\} (\S+)', am, re.M))
        if sent < 1 or failed > 0:
            raise Failure(f"Alertmanager webhook notifications: {sent} sent, {failed} failed")
        resolved = re.search(r'^runner_medic_webhook_requests_total\{result="resolved"\} (\d+)', rm, re.M)
        misrouted = re.search(r'^runner_medic_webhook_requests_total\{result="other_cluster"\} (\d+)', rm, re.M)
        if not misrouted or int(misrouted.group(1)) != 0:
            raise Failure("the webhook refused alerts of another cluster although only its own were routed to it: "
                          + (misrouted.group(0) if misrouted else "no other_cluster series"))
        print(f"e2e: 3. Alertmanager delivered {sent:.0f} notification(s) to the webhook, none failed; "
              f"runner-medic accepted {accepted.group(1)}, resolved-only {resolved.group(1) if resolved else '?'}")

        with open(os.path.join(tmp, "demo.log")) as f:
            narration = f.read()
        for needle in ("refused: gitlab", f"remediating runner {STALE}", f"RunnerDeleted: deleted runner {STALE}",
                       "RemediationSucceeded: verified"):
            if needle not in narration:
                raise Failure(f"the demo did not narrate {needle!r}:\n{narration[-3000:]}")
        # With --remediation-for 10m, only the alert can have started it this soon.
        print("e2e: 4. refused while GitLab was down, then carried out by the alert, verified; the alert resolved")

        # 5. Dashboard queries: with every cluster (All), and with each
        # cluster alone. A query that aggregates by the cluster label must
        # keep the clusters apart under All, and return only the chosen one.
        exprs = dashboard_exprs()
        if not exprs:
            raise Failure("no PromQL expression found in dashboards/")
        problems = []
        for dash, title, expr in exprs:
            where = f"{dash} / {title}"
            if title != "variable cluster" and "$cluster" not in expr and "${cluster" not in expr:
                problems.append(f"{where}: no cluster selector in {expr!r}")
                continue
            # Series that carry the cluster label under All must be exactly
            # the clusters chosen; fleet totals (count by state) carry none.
            per_cluster = None
            # The cluster variable lists the clusters: it has no selector by one.
            for cluster in (".*",) if title == "variable cluster" else (".*",) + CLUSTERS:
                q = concrete(expr, cluster)
                if "$" in q:
                    raise Failure(f"{where}: unresolved variable in {q!r}")
                result = query(prom_port, q)
                if not result:
                    problems.append(f"{where} (cluster {cluster}): no data from {q}")
                    continue
                got = {r["metric"].get(CLUSTER_LABEL) for r in result}
                if per_cluster is None:
                    per_cluster = got != {None}
                if per_cluster:
                    want = set(CLUSTERS) if cluster == ".*" else {cluster}
                    if got != want:
                        problems.append(f"{where} (cluster {cluster}): series of clusters {sorted(map(str, got))}, expected {sorted(want)}: {q}")
        if problems:
            raise Failure("dashboard queries:\n  " + "\n  ".join(problems))
        print(f"e2e: 5. {len(exprs)} dashboard expressions evaluated for all clusters and for each of "
              f"{', '.join(CLUSTERS)}: each returned data, per-cluster ones kept the clusters apart")

        # 6. Metric names.
        live = families(get(f"http://127.0.0.1:{rm_port}/metrics"))
        used = {}
        for path in glob.glob(os.path.join(ROOT, "alerts", "**", "*.yml"), recursive=True) + \
                glob.glob(os.path.join(ROOT, "dashboards", "*.json")):
            with open(path) as f:
                for name in metric_names(f.read()):
                    used.setdefault(name, os.path.relpath(path, ROOT))
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        table = set(re.findall(r"^\| `(runner_medic_[a-z0-9_]+)`", readme, re.M))
        for name in table:
            used.setdefault(name, "README.md")
        undocumented_exceptions = sorted(n for n in ONLY_ON_EVENT if n not in table)
        if undocumented_exceptions:
            raise Failure("ONLY_ON_EVENT names not in the README's metrics table: " + ", ".join(undocumented_exceptions))
        missing = sorted(f"{n} ({where})" for n, where in used.items()
                         if n not in live and n not in ONLY_ON_EVENT
                         and not any(n == f + s for f in live for s in ("_bucket", "_sum", "_count")))
        if missing:
            raise Failure("metric names not in runner-medic's /metrics: " + ", ".join(missing))
        unseen = sorted(f"{n} (only on: {why})" for n, why in ONLY_ON_EVENT.items() if n not in live)
        undocumented = sorted(f for f in live if f not in table
                              and not any(f == t + s for t in table for s in ("_bucket", "_sum", "_count")))
        if undocumented:
            raise Failure("exported but not in the README's metrics table: " + ", ".join(undocumented))
        print(f"e2e: 6. {len(used)} metric names from alerts/, dashboards/ and README all exported"
              + (f" except {', '.join(unseen)}" if unseen else "")
              + f"; README lists all {len(table)} families")
        print(f"e2e: passed in {time.monotonic() - started:.0f}s")
    except Failure:
        for f in logs.values():
            f.flush()
        for name in logs:
            with open(os.path.join(tmp, f"{name}.log")) as f:
                tail = f.read()[-4000:]
            print(f"--- {name} (last lines) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs.values():
            f.close()
        if args.keep:
            print(f"e2e: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"e2e: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
