#!/usr/bin/env python3
"""The classifier an operator would write instead of runner-medic (benchmark baseline).

    python3 benches/classify.py FILE

Reads gitlab-runner pod logs (runner format, optional kubelet timestamps, ANSI
colours), classifies each line with the first matching rule of the taxonomy and
prints {"lines": N, "counts": {"<runner>/<class>": n, ...}} as JSON.
"""
import collections
import json
import re
import sys

JOBS = r"Checking for jobs\.\.\.\s?"
RULES = [(cls, re.compile(pat)) for cls, pat in [
    ("job_request_forbidden", JOBS + r"forbidden\b"),
    ("job_request_unavailable", JOBS + r"(?:GitLab instance currently unavailable|failed\b.*\bstatus=.*\b503 Service Unavailable)"),
    ("job_request_failed", JOBS + r"failed\b"),
    ("job_request_client_error", JOBS + r"(?:client )?error\b"),
    ("job_request_ok", JOBS + r"(?:received|no content|nothing)\b"),
    ("runner_unhealthy", r'Runner "?\S*?([A-Za-z0-9_-]{9})"? is (?:unhealthy|not healthy) and will be disabled'),
    ("runner_unhealthy_recheck", r'Runner "?\S*?([A-Za-z0-9_-]{9})"? is not healthy, but (?:check for a new job will be forced|will be checked)'),
    ("job_update_forbidden", r"Submitting job to coordinator\.\.\.\s?forbidden\b|Appending trace to coordinator\.\.\.\s?failed\b.*\bcode=403\b"),
    ("artifact_forbidden", r'Uploading artifacts (?:as "[^"]*" )?to coordinator\.\.\.\s?(?:[A-Z]+ \S+: )?403\b|Downloading artifacts from coordinator\.\.\.\s?forbidden\b'),
    ("register_forbidden", r"Registering runner\.\.\.\s?forbidden\b"),
    ("register_ok", r"Registering runner\.\.\.\s?succeeded\b|Runner registered successfully\b"),
    ("register_failed", r"Registering runner\.\.\.\s?(?:client error|error|failed)\b"),
    ("register_aborted", r"Failed to (?:register|verify) (?:the|this) runner\b"),
    ("verify_removed", r"Verifying runner\.\.\.\s?is (?:removed|not valid)\b"),
    ("verify_ok", r"Verifying runner\.\.\.\s?is (?:alive|valid)\b"),
    ("verify_failed", r"Verifying runner\.\.\.\s?(?:client error|error|failed)\b"),
    ("unregister_ok", r"Unregistering runner (?:manager )?from GitLab succeeded\b"),
    ("unregister_failed", r"Unregistering runner (?:manager )?from GitLab (?:forbidden|client error|error|failed)\b"),
    ("token_reset_ok", r"Resetting runner (?:authentication )?token\.\.\.\s?succeeded\b"),
    ("token_reset_failed", r"Resetting runner (?:authentication )?token\.\.\.\s?(?:client error|error|failed)\b|Failed to reset runner authentication token\b"),
    ("token_missing", r"Runner token is empty or whitespace\b"),
    ("config_loaded", r"Configuration loaded\b"),
    ("config_error", r"Failed to (?:load|save) config\b|Service run failed\b.*\berror=(?:decoding configuration file|invalid config|loading configuration for)\b"),
]]
KUBE_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ")
LEVEL = re.compile(r"^(?:ERROR|WARNING|FATAL|PANIC): ")
RUNNER = re.compile(r"\brunner=([A-Za-z0-9_-]+)")


def main(path):
    counts = collections.Counter()
    lines = 0
    with open(path, "rb") as f:
        for raw in f:
            lines += 1
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            line = KUBE_TS.sub("", line, count=1)
            line = re.sub(r"\x1b\[[0-9;]*m", "", line)
            line = LEVEL.sub("", line, count=1)
            cls, runner = "other", None
            for name, pat in RULES:
                m = pat.match(line)
                if m:
                    cls = name
                    runner = m.group(1) if pat.groups else None
                    break
            if runner is None:
                m = RUNNER.search(line)
                runner = m.group(1) if m else "-"
            counts[runner + "/" + cls] += 1
    json.dump({"lines": lines, "counts": dict(sorted(counts.items()))}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: classify.py FILE")
    main(sys.argv[1])
