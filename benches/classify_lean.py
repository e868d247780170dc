#!/usr/bin/env python3
"""The leanest classifier an operator might write for the stale-token
incident: six literal rules over the ANSI-stripped line, a counter per class.
A baseline for benches/compare.sh (strict: it ignores formats, runner ids,
statuses and every tricky negative runner-medic handles).

    python3 benches/classify_lean.py FILE
"""
import re
import sys
from collections import Counter

ANSI = re.compile(rb"\x1b\[[0-9;]*m")
RULES = (
    (b"Checking for jobs... forbidden", "job_request_forbidden"),
    (b"and will be disabled", "runner_unhealthy"),
    (b"Checking for jobs... received", "job_request_ok"),
    (b"Registering runner... succeeded", "register_ok"),
    (b"Verifying runner... is not valid", "verify_removed"),
    (b"Checking for jobs... failed", "job_request_failed"),
)


def main() -> None:
    counts: Counter = Counter()
    with open(sys.argv[1], "rb") as f:
        for line in f:
            if b"\x1b" in line:
                line = ANSI.sub(b"", line)
            for needle, cls in RULES:
                if needle in line:
                    counts[cls] += 1
                    break
            else:
                counts["other"] += 1
    for cls, n in sorted(counts.items()):
        print(f"{cls}\t{n}")


if __name__ == "__main__":
    main()
