#!/usr/bin/env python3
"""Generate a realistic GitLab Runner pod log corpus for benchmarks.

    python3 benches/gen_corpus.py OUT_PATH --size-mb 200 [--seed 1]
    python3 benches/gen_corpus.py OUT_PATH --lines 20000

The output is what `kubectl logs --timestamps -l app=gitlab-runner` returns for
~10 runner manager pods with ~20 runners between them: every physical line
starts with the kubelet prefix (RFC3339, exactly nine fractional digits, `Z`,
one space; strictly increasing), followed by gitlab-runner's default `runner`
log format with its ANSI colours (see docs reference §1.2):

    COLOR + PREFIX + message.ljust(50 - len(PREFIX)) + RESET + ' '
    then per field, keys sorted by byte order: ' ' + COLOR + key + RESET + '=' + value

Line mix (by line count, approximate):
  ~75% healthy polling and job lifecycle lines (`Checking for jobs...no content`,
       `Checking for jobs... received`, `Added job to processing list`,
       `Appending trace to coordinator...ok`, `Job succeeded`, `Updating job...`,
       `Submitting job to coordinator...ok`, `Removed job from processing list`)
  ~15% other chatter (debug worker loop, `Configuration loaded`, transient
       `Checking for jobs... failed`, rate-limit waits, cluster events)
  ~7.5% stale-token loops of 3 runners (one is `HYErDk_6w`): ERROR
       `Checking for jobs... forbidden` (403), after every 3 an ERROR
       `Runner "<url><id>" is unhealthy and will be disabled for 1h0m0s seconds!`,
       then the WARNING recheck line before the next round
  ~2%  tricky negatives (Kubernetes RBAC `is forbidden`, registry pull `403
       Forbidden` events; repo names with `forbidden-403` and job ids / byte
       ranges containing 403 occur inside the healthy lines)
  rare: 503 unavailable polls, trace/job update 403s, pod restarts with
       shutdown, `Registration attempt`, `Verifying runner... is valid`,
       `Runner registered successfully...` (+ its reset-only continuation line)

Deterministic for a given --seed; streams to disk in constant memory.
"""

import argparse
import bisect
import random
import sys
import time

RESET = "\x1b[0;m"
COLOUR = {
    "PANIC": "\x1b[31;1m",
    "FATAL": "\x1b[31;1m",
    "ERROR": "\x1b[31;1m",
    "WARNING": "\x1b[0;33m",
    "INFO": "",
    "DEBUG": "\x1b[37;1m",
}
PREFIX = {"PANIC": "PANIC: ", "FATAL": "FATAL: ", "ERROR": "ERROR: ", "WARNING": "WARNING: ", "INFO": "", "DEBUG": ""}

GITLAB = "https://gitlab.example.com"
JOBS_REQUEST = GITLAB + "/api/v4/jobs/request"
CONFIG = "/home/gitlab-runner/.gitlab-runner/config.toml"
VERSION = "18.9.0"
REVISION = "5a8c2f1e"
MAX_BUILDS = 10
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
K8S_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s SafeEncodeString alphabet
HEX = "0123456789abcdef"
START_NS = 1772438400 * 10**9  # 2026-03-02T08:00:00Z

STALE_IDS = ["HYErDk_6w", "t8Qm_Zp3x", "Vb2-kLr9a"]

PROJECTS = [
    (2318, "platform/payments-api"),
    (2319, "platform/payments-worker"),
    (1744, "platform/billing"),
    (3051, "web/storefront"),
    (3052, "web/storefront-e2e"),
    (911, "infra/terraform-modules"),
    (912, "infra/helm-charts"),
    (4120, "mobile/android-app"),
    (4121, "mobile/ios-app"),
    (5003, "data/etl-pipelines"),
    (5004, "data/warehouse-dbt"),
    (6402, "security/sast-rules"),
    (7007, "tools/release-bot"),
    (403, "platform/http-403-pages"),  # tricky: project id and name contain 403
]
TRICKY_PROJECT = (8403, "qa/forbidden-403-regressions")  # tricky: repo_url contains forbidden-403


def render(level, msg, fields=None):
    """Render one runner-format entry (without the trailing newline handling
    of multi-line messages: a message ending in '\\n' yields two lines)."""
    c = COLOUR[level]
    p = PREFIX[level]
    out = [c, p, msg.ljust(50 - len(p)), RESET, " "]
    if fields:
        for k in sorted(fields):
            out.append(" %s%s%s=%s" % (c, k, RESET, fields[k]))
    return "".join(out)


def template(level, msg, keys):
    """Precompiled `%`-template equivalent to render() for fixed keys."""
    c = COLOUR[level]
    p = PREFIX[level]
    head = (c + p + msg.ljust(50 - len(p)) + RESET + " ").replace("%", "%%")
    body = "".join(" %s%s%s=%%(%s)s" % (c, k, RESET, k) for k in sorted(keys))
    return head + body


T_NO_CONTENT = template("DEBUG", "Checking for jobs...no content", ["correlation_id", "runner", "runner_name", "status"])
T_RECEIVED = template("INFO", "Checking for jobs... received", ["correlation_id", "job", "repo_url", "runner", "runner_name"])
T_ADDED = template(
    "INFO",
    "Added job to processing list",
    ["builds", "job", "max_builds", "project", "repo_url", "runner", "runner_name", "time_in_queue_seconds"],
)
T_REMOVED = template(
    "INFO",
    "Removed job from processing list",
    ["builds", "job", "max_builds", "project", "repo_url", "runner", "runner_name", "time_in_queue_seconds"],
)
T_TRACE = template(
    "INFO",
    "Appending trace to coordinator...ok",
    ["code", "correlation_id", "job", "job-log", "job-status", "runner", "runner_name", "sent-log", "status", "update-interval"],
)
T_UPDATING = template("INFO", "Updating job...", ["bytesize", "checksum", "job", "runner", "runner_name"])
T_SUBMIT = template(
    "INFO",
    "Submitting job to coordinator...ok",
    ["bytesize", "checksum", "code", "correlation_id", "job", "job-status", "runner", "runner_name", "update-interval"],
)
T_SUCCEEDED = template("INFO", "Job succeeded", ["duration_s", "job", "job-status", "project", "runner", "runner_name"])
T_FORBIDDEN = template("ERROR", "Checking for jobs... forbidden", ["correlation_id", "runner", "runner_name", "status"])


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        rng = self.rng
        self.ulid_ms = -1
        self.ulid_head = ""
        self.next_job = 48402950  # runs through 484030xx-484039xx: many ids contain 403
        # pods and runners
        self.pods = []
        hashes = ["".join(rng.choice(K8S_CHARS) for _ in range(9)), "".join(rng.choice(K8S_CHARS) for _ in range(10))]
        used = set(STALE_IDS)
        for i in range(10):
            pod = "gitlab-runner-%s-%s" % (hashes[i % 2], "".join(rng.choice(K8S_CHARS) for _ in range(5)))
            runners = []
            for j in range(2):
                if (i, j) == (0, 0):
                    rid = STALE_IDS[0]
                elif (i, j) == (3, 1):
                    rid = STALE_IDS[1]
                elif (i, j) == (7, 0):
                    rid = STALE_IDS[2]
                else:
                    while True:
                        rid = "".join(rng.choice(TOKEN_CHARS) for _ in range(9))
                        if rid not in used:
                            break
                used.add(rid)
                name = pod if j == 0 else pod + "-large"
                runners.append({"id": rid, "name": name, "pod": i, "stale": rid in STALE_IDS, "step": 0})
            self.pods.append({"name": pod, "runners": runners, "builds": 0, "pid": 1})
        self.runners = [r for p in self.pods for r in p["runners"]]
        self.healthy = [r for r in self.runners if not r["stale"]]
        self.stale = [r for r in self.runners if r["stale"]]
        self.restartable = [i for i, p in enumerate(self.pods) if not any(r["stale"] for r in p["runners"])]
        self.active = []  # jobs in progress
        self.want_active = 24
        actions = [
            (25.0, self.poll_no_content),
            (50.0, self.job_step),
            (6.0, self.debug_worker),
            (1.0, self.config_loaded),
            (2.5, self.poll_failed),
            (2.0, self.dialing),
            (0.6, self.rate_limit_wait),
            (0.9, self.cluster_event),
            (2.0, self.tricky_negative),
            (7.5, self.stale_step),
            (0.25, self.rare_positive),
            (0.005, self.pod_restart),
        ]
        self.cum = []
        total = 0.0
        for w, _ in actions:
            total += w
            self.cum.append(total)
        self.total = total
        self.actions = [a for _, a in actions]

    # --- helpers -----------------------------------------------------------

    def ulid(self, ns):
        ms = ns // 1000000
        if ms != self.ulid_ms:
            self.ulid_ms = ms
            head = []
            for _ in range(10):
                head.append(CROCKFORD[ms & 31])
                ms >>= 5
            self.ulid_head = "".join(reversed(head))
        return self.ulid_head + "".join(self.rng.choices(CROCKFORD, k=16))

    def hexid(self):
        return "%032x" % self.rng.getrandbits(128)

    def runner_fields(self, r):
        return {"runner": r["id"], "runner_name": r["name"]}

    # --- actions: each returns a list of log lines (no timestamp, no \n) ---

    def poll_no_content(self, ns):
        r = self.rng.choice(self.healthy)
        return [T_NO_CONTENT % {
            "correlation_id": self.ulid(ns), "runner": r["id"], "runner_name": r["name"], "status": "204 No Content"}]

    def new_job(self, ns):
        rng = self.rng
        r = rng.choice(self.healthy)
        pod = self.pods[r["pod"]]
        if pod["builds"] >= MAX_BUILDS:
            return self.poll_no_content(ns)
        self.next_job += rng.randint(1, 6)
        proj = TRICKY_PROJECT if rng.random() < 0.03 else rng.choice(PROJECTS)
        job = {
            "id": self.next_job, "r": r, "pid": proj[0],
            "repo": "%s/%s.git" % (GITLAB, proj[1]),
            "state": 0, "traces": rng.randint(1, 12), "log": 0,
            "queue": rng.randint(0, 40), "t0": ns,
        }
        pod["builds"] += 1
        self.active.append(job)
        return [T_RECEIVED % {
            "correlation_id": self.ulid(ns), "job": job["id"], "repo_url": job["repo"],
            "runner": r["id"], "runner_name": r["name"]}]

    def job_step(self, ns):
        rng = self.rng
        active = self.active
        if len(active) < self.want_active and rng.random() < 0.5 or not active:
            if rng.random() < 0.02:
                self.want_active = rng.randint(8, 40)
            return self.new_job(ns)
        idx = rng.randrange(len(active))
        job = active[idx]
        r = job["r"]
        pod = self.pods[r["pod"]]
        st = job["state"]
        if st == 0:
            job["state"] = 1
            return [T_ADDED % {
                "builds": pod["builds"], "job": job["id"], "max_builds": MAX_BUILDS, "project": job["pid"],
                "repo_url": job["repo"], "runner": r["id"], "runner_name": r["name"],
                "time_in_queue_seconds": job["queue"]}]
        if st == 1:
            start = job["log"]
            end = start + rng.randint(64, 16384)
            job["log"] = end
            job["traces"] -= 1
            if job["traces"] <= 0:
                job["state"] = 2
            return [T_TRACE % {
                "code": 202, "correlation_id": self.ulid(ns), "job": job["id"], "job-log": "0-%d" % end,
                "job-status": "running", "runner": r["id"], "runner_name": r["name"],
                "sent-log": "%d-%d" % (start, end - 1), "status": "202 Accepted", "update-interval": "3s"}]
        if st == 2:
            job["state"] = 3
            duration = (ns - job["t0"]) / 1e9 + rng.uniform(20.0, 900.0)
            if rng.random() < 0.08:
                code = rng.choice([1, 1, 1, 2, 137])
                err = "command terminated with exit code %d" % code
                return [render("WARNING", "Job failed: " + err, {
                    "duration_s": repr(duration), "error": err, "exit_code": code,
                    "failure_reason": "script_failure", "job": job["id"], "job-status": "failed",
                    "project": job["pid"], "runner": r["id"], "runner_name": r["name"]})]
            return [T_SUCCEEDED % {
                "duration_s": repr(duration), "job": job["id"], "job-status": "success",
                "project": job["pid"], "runner": r["id"], "runner_name": r["name"]}]
        if st == 3:
            job["state"] = 4
            job["crc"] = "crc32:%08x" % rng.getrandbits(32)
            return [T_UPDATING % {
                "bytesize": job["log"], "checksum": job["crc"], "job": job["id"],
                "runner": r["id"], "runner_name": r["name"]}]
        if st == 4:
            job["state"] = 5
            return [T_SUBMIT % {
                "bytesize": job["log"], "checksum": job["crc"], "code": 200, "correlation_id": self.ulid(ns),
                "job": job["id"], "job-status": "", "runner": r["id"], "runner_name": r["name"],
                "update-interval": "0s"}]
        # st == 5: done
        active[idx] = active[-1]
        active.pop()
        pod["builds"] -= 1
        return [T_REMOVED % {
            "builds": pod["builds"], "job": job["id"], "max_builds": MAX_BUILDS, "project": job["pid"],
            "repo_url": job["repo"], "runner": r["id"], "runner_name": r["name"],
            "time_in_queue_seconds": job["queue"]}]

    def debug_worker(self, ns):
        rng = self.rng
        r = rng.choice(self.runners)
        pod = self.pods[r["pod"]]
        f = {"builds": pod["builds"], "max_builds": MAX_BUILDS}
        x = rng.random()
        if x < 0.15:
            return [render("DEBUG", "Feeding runners to channel", f)]
        f.update(self.runner_fields(r))
        if x < 0.35:
            return [render("DEBUG", "Feeding runner to channel", f)]
        if x < 0.55:
            return [render("DEBUG", "Processing runner", f)]
        if x < 0.75:
            return [render("DEBUG", "Acquiring job slot", f)]
        if x < 0.95:
            return [render("DEBUG", "Acquiring request slot", f)]
        return [render("DEBUG", "Requeued the runner", f)]

    def config_loaded(self, ns):
        pod = self.rng.choice(self.pods)
        return [render("INFO", "Configuration loaded", {"builds": pod["builds"], "max_builds": MAX_BUILDS})]

    def poll_failed(self, ns):
        rng = self.rng
        r = rng.choice(self.healthy)
        x = rng.random()
        if x < 0.45:
            cause = "dial tcp 203.0.113.10:443: i/o timeout"
        elif x < 0.6:
            cause = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        elif x < 0.7:
            cause = "read tcp 10.42.3.%d:%d->10.43.12.7:443: read: connection reset by peer" % (
                rng.randint(2, 250), rng.randint(32768, 60999))
        else:
            cause = None
        if cause is not None:
            status = 'execute JSON request: execute request: couldn\'t execute POST against %s: Post "%s": %s' % (
                JOBS_REQUEST, JOBS_REQUEST, cause)
            cid = self.hexid()
        else:
            status = rng.choice(["502 Bad Gateway", "504 Gateway Timeout",
                                 "POST %s: 500 Internal Server Error" % JOBS_REQUEST,
                                 "POST %s: 429 Too Many Requests" % JOBS_REQUEST])
            cid = self.ulid(ns)
        return [render("WARNING", "Checking for jobs... failed", {
            "correlation_id": cid, "runner": r["id"], "runner_name": r["name"], "status": status})]

    def dialing(self, ns):
        return [render("DEBUG", "Dialing: tcp gitlab.example.com:443 ...")]

    def rate_limit_wait(self, ns):
        return [render("INFO", "Waiting before making the next call", {
            "context": "ratelimit-requester-gitlab-request", "duration": "%dms" % self.rng.randint(100, 2400),
            "method": "POST", "url": JOBS_REQUEST})]

    def job_context(self):
        if self.active:
            job = self.rng.choice(self.active)
            return job, job["r"]
        return None, self.rng.choice(self.healthy)

    def job_fields(self, job, r):
        f = self.runner_fields(r)
        if job is not None:
            f["job"] = job["id"]
            f["project"] = job["pid"]
        return f

    def cluster_event(self, ns):
        rng = self.rng
        job, r = self.job_context()
        ev = rng.choice([
            "Normal Scheduled: Successfully assigned gitlab-runner/runner-%s-project-%d-concurrent-%d-%s to ip-10-42-%d-%d.eu-west-1.compute.internal"
            % (r["id"].lower(), job["pid"] if job else 2318, rng.randint(0, 9),
               "".join(rng.choice(K8S_CHARS) for _ in range(8)), rng.randint(0, 9), rng.randint(2, 250)),
            "Warning FailedScheduling: 0/6 nodes are available: 6 Insufficient cpu. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod.",
            "Normal Pulled: Container image \"registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v%s\" already present on machine" % VERSION,
        ])
        return [render("WARNING", "Event retrieved from the cluster: " + ev, self.job_fields(job, r))]

    def tricky_negative(self, ns):
        """Lines that mention 403/forbidden but are not GitLab API results."""
        rng = self.rng
        job, r = self.job_context()
        x = rng.random()
        if x < 0.35:
            pod = "runner-%s-project-%d-concurrent-%d-%s" % (
                r["id"].lower(), job["pid"] if job else 403, rng.randint(0, 9),
                "".join(rng.choice(K8S_CHARS) for _ in range(8)))
            msg = ('Error cleaning up pod: pods "%s" is forbidden: User "system:serviceaccount:gitlab-runner:gitlab-runner" '
                   'cannot delete resource "pods" in API group "" in the namespace "gitlab-runner"' % pod)
            return [render("ERROR", msg, self.job_fields(job, r))]
        if x < 0.7:
            msg = ('Event retrieved from the cluster: Failed to pull image "registry.example.com/platform/build-images/node:20.11.1": '
                   'failed to pull and unpack image "registry.example.com/platform/build-images/node:20.11.1": failed to resolve '
                   'reference "registry.example.com/platform/build-images/node:20.11.1": unexpected status from HEAD request to '
                   'https://registry.example.com/v2/platform/build-images/node/manifests/20.11.1: 403 Forbidden')
            return [render("WARNING", msg, self.job_fields(job, r))]
        if x < 0.85:
            msg = 'Error cleaning up secrets: secrets "runner-%s-project-%d-concurrent-0-403fb" is forbidden: User "system:serviceaccount:gitlab-runner:gitlab-runner" cannot delete resource "secrets" in API group "" in the namespace "gitlab-runner"' % (
                r["id"].lower(), job["pid"] if job else 403)
            return [render("ERROR", msg, self.job_fields(job, r))]
        # a received job whose repository name contains forbidden-403 and whose id contains 403
        jid = 48403403 + rng.randint(0, 9) * 10**8
        return [T_RECEIVED % {
            "correlation_id": self.ulid(ns), "job": jid,
            "repo_url": "%s/%s.git" % (GITLAB, TRICKY_PROJECT[1]), "runner": r["id"], "runner_name": r["name"]}]

    def stale_step(self, ns):
        r = self.rng.choice(self.stale)
        step = r["step"]
        r["step"] = (step + 1) % 5
        if step < 3:
            return [T_FORBIDDEN % {
                "correlation_id": self.ulid(ns), "runner": r["id"], "runner_name": r["name"],
                "status": "POST %s: 403 Forbidden" % JOBS_REQUEST}]
        if step == 3:
            return [render("ERROR", 'Runner "%s%s" is unhealthy and will be disabled for 1h0m0s seconds!' % (GITLAB, r["id"]),
                           {"unhealthy_requests": 3, "unhealthy_requests_limit": 3})]
        return [render("WARNING", 'Runner "%s%s" is not healthy, but check for a new job will be forced!' % (GITLAB, r["id"]),
                       {"unhealthy_interval": "1h0m0s", "unhealthy_requests": 3, "unhealthy_requests_limit": 3})]

    def rare_positive(self, ns):
        rng = self.rng
        x = rng.random()
        if x < 0.5 or not self.active:
            r = rng.choice(self.healthy)
            return [render("WARNING", "Checking for jobs... GitLab instance currently unavailable", {
                "correlation_id": self.ulid(ns), "runner": r["id"], "runner_name": r["name"],
                "status": "POST %s: 503 Service Unavailable" % JOBS_REQUEST})]
        job = rng.choice(self.active)
        r = job["r"]
        if x < 0.8:
            return [render("WARNING", "Appending trace to coordinator... failed", {
                "code": 403, "correlation_id": self.ulid(ns), "job": job["id"], "job-log": "",
                "job-status": "", "runner": r["id"], "runner_name": r["name"],
                "sent-log": "%d-%d" % (job["log"], job["log"] + 511), "status": "403 Forbidden",
                "update-interval": "0s"})]
        return [render("ERROR", "Submitting job to coordinator... forbidden", {
            "bytesize": job["log"], "checksum": "crc32:%08x" % rng.getrandbits(32), "code": 403,
            "correlation_id": self.ulid(ns), "job": job["id"], "job-status": "", "runner": r["id"],
            "runner_name": r["name"], "status": "PUT %s/api/v4/jobs/%d: 403 Forbidden" % (GITLAB, job["id"]),
            "update-interval": "0s"})]

    def startup(self, pi, register):
        """Lines of a runner manager container start (optionally with the
        Helm chart's registration step)."""
        rng = self.rng
        pod = self.pods[pi]
        pod["pid"] = 1
        m = {"builds": 0, "max_builds": MAX_BUILDS}
        out = []
        if register:
            r = pod["runners"][0]
            out.append("Registration attempt 1 of 30")
            out.append(render("INFO", "Runtime platform", {
                "arch": "amd64", "os": "linux", "pid": 7, "revision": REVISION, "version": VERSION}))
            out.append(render("INFO", "Verifying runner... is valid", {
                "correlation_id": self.ulid(START_NS + rng.getrandbits(40)), "runner": r["id"], "runner_name": r["name"]}))
            reg = render("INFO", "Runner registered successfully. Feel free to start it, but if it's running "
                                 "already the config should be automatically reloaded!\n")
            out.extend(reg.split("\n"))
            out.append(render("INFO", 'Configuration (with the authentication token) was saved in "%s"' % CONFIG))
        out.append(render("INFO", "Runtime platform", {
            "arch": "amd64", "os": "linux", "pid": 1, "revision": REVISION, "version": VERSION}))
        out.append(render("INFO", "Starting multi-runner from %s..." % CONFIG, {"builds": 0, "max_builds": 0}))
        out.append(render("WARNING", "Running in user-mode."))
        out.append(render("WARNING", "Use sudo for system-mode:"))
        out.append(render("WARNING", "$ sudo gitlab-runner..."))
        out.append(render("INFO", ""))
        out.append(render("INFO", "Configuration loaded", m))
        out.append(render("INFO", "listen_address not defined, metrics & debug endpoints disabled", m))
        out.append(render("INFO", "[session_server].listen_address not defined, session endpoints disabled", m))
        out.append(render("INFO", "Initializing executor providers", m))
        return out

    def pod_restart(self, ns):
        if not self.restartable:
            return []
        pi = self.rng.choice(self.restartable)
        pod = self.pods[pi]
        b = {"builds": pod["builds"], "max_builds": MAX_BUILDS}
        out = [
            render("WARNING", "[runWait] received stop signal", dict(b, **{"stop-signal": "terminated"})),
            render("WARNING", "Graceful shutdown not finished properly. To gracefully clean up running plugins "
                              "please use SIGQUIT (ctrl-\\) instead of SIGINT (ctrl-c)",
                   dict(b, error="received stop signal: terminated")),
            render("WARNING", "Starting forceful shutdown", dict(b, **{"StopSignal": "terminated", "shutdown-timeout": "30s"})),
            render("INFO", "All workers stopped.", {"builds": 0, "max_builds": MAX_BUILDS}),
            render("INFO", "Can exit now!", {"builds": 0, "max_builds": MAX_BUILDS}),
        ]
        # the pod's jobs die with it
        self.active = [j for j in self.active if j["r"]["pod"] != pi]
        pod["builds"] = 0
        return out + self.startup(pi, register=True)

    def next_lines(self, ns):
        i = bisect.bisect_right(self.cum, self.rng.random() * self.total)
        if i >= len(self.actions):
            i = len(self.actions) - 1
        return self.actions[i](ns)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output path")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--size-mb", type=float, help="write at least this many MiB (default 200)")
    g.add_argument("--lines", type=int, help="write exactly this many lines")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.lines is None and args.size_mb is None:
        args.size_mb = 200.0
    max_lines = args.lines if args.lines is not None else None
    max_bytes = int(args.size_mb * 1048576) if args.size_mb is not None else None

    gen = Gen(args.seed)
    rng = gen.rng
    randint = rng.randint
    ns = START_NS
    last_sec = -1
    sec_text = ""
    nlines = 0
    nbytes = 0
    buf = []
    t0 = time.monotonic()

    pending = []
    for pi in range(len(gen.pods)):
        pending.extend(gen.startup(pi, register=False))

    with open(args.out, "wb") as f:
        done = False
        while not done:
            lines = pending if pending else gen.next_lines(ns)
            pending = []
            for line in lines:
                ns += randint(1000, 60000000)  # 1 µs .. 60 ms
                sec = ns // 1000000000
                if sec != last_sec:
                    last_sec = sec
                    sec_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
                buf.append("%s.%09dZ %s\n" % (sec_text, ns % 1000000000, line))
                nlines += 1
                if max_lines is not None and nlines >= max_lines:
                    done = True
                    break
            if len(buf) >= 4096 or done:
                chunk = "".join(buf).encode("utf-8")
                buf = []
                f.write(chunk)
                nbytes += len(chunk)
                if max_bytes is not None and nbytes >= max_bytes:
                    done = True
        if buf:
            chunk = "".join(buf).encode("utf-8")
            f.write(chunk)
            nbytes += len(chunk)

    dt = time.monotonic() - t0
    print("wrote %s: %d lines, %d bytes (%.1f MiB) in %.1fs (%.1f MiB/s)"
          % (args.out, nlines, nbytes, nbytes / 1048576, dt, nbytes / 1048576 / max(dt, 1e-9)), file=sys.stderr)


if __name__ == "__main__":
    main()
