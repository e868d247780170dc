#!/usr/bin/env bash
# Side-by-side throughput/memory report: runner-medic vs ripgrep (literal
# anchors only, one thread: all the rules' anchors, and the four that the
# stale-token incident needs) vs the straightforward Python classifier and
# the leanest one an operator might write (six literal rules).
#
#   bash benches/compare.sh [SIZE_MB]        (default 200; BENCH_RUNS=3)
#
# Needs: cargo, python3, GNU time (/usr/bin/time), ripgrep (installed with
# apt-get when missing and running as root). It is a report, not a gate:
# targets are marked PASS/FAIL but the exit status is 0.
set -euo pipefail

SIZE="${1:-200}"
RUNS="${BENCH_RUNS:-3}"
case "$SIZE" in '' | *[!0-9]*) echo "compare.sh: SIZE_MB must be a positive integer, got '$SIZE'" >&2; exit 2 ;; esac
case "$RUNS" in '' | *[!0-9]* | 0) echo "compare.sh: BENCH_RUNS must be a positive integer, got '$RUNS'" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.."

need_pkg() { # need_pkg COMMAND DEBIAN_PACKAGE
    if command -v "$1" >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing $2 (apt-get)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "compare.sh: '$1' not found; install it first: sudo apt-get install -y $2" >&2
        exit 1
    fi
}

command -v python3 >/dev/null 2>&1 || { echo "compare.sh: python3 not found (sudo apt-get install -y python3)" >&2; exit 1; }
need_pkg rg ripgrep
if [ ! -x /usr/bin/time ]; then
    need_pkg /usr/bin/time time
fi

echo "==> cargo build --release --locked"
cargo build --release --locked
BIN=target/release/runner-medic

CORPUS="target/bench/corpus-${SIZE}mb.log"
mkdir -p target/bench
if [ ! -s "$CORPUS" ]; then
    echo "==> generating $CORPUS"
    python3 benches/gen_corpus.py "$CORPUS.tmp" --size-mb "$SIZE"
    mv "$CORPUS.tmp" "$CORPUS"
fi
BYTES=$(wc -c <"$CORPUS")

ANCHORS=$("$BIN" rules --anchors)
RG_ARGS=()
while IFS= read -r anchor; do
    if [ -n "$anchor" ]; then
        RG_ARGS+=(-e "$anchor")
    fi
done < <(printf '%s\n' "$ANCHORS" | awk '!seen[$0]++')
if [ "${#RG_ARGS[@]}" -eq 0 ]; then
    echo "compare.sh: '$BIN rules --anchors' printed no anchors" >&2
    exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# measure NAME OK_EXIT_CODES COMMAND... -> sets BEST (seconds) and MAXRSS (KiB)
measure() {
    local name=$1 ok=$2 i rc start end secs rss line
    shift 2
    BEST=""
    MAXRSS=0
    cat "$CORPUS" >/dev/null # warm the page cache
    for ((i = 1; i <= RUNS; i++)); do
        rc=0
        start=${EPOCHREALTIME:-}
        /usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/stderr" || rc=$?
        end=${EPOCHREALTIME:-}
        case " $ok " in
        *" $rc "*) ;;
        *)
            echo "compare.sh: $name failed (exit $rc): $*" >&2
            cat "$TMP/stderr" >&2
            exit 1
            ;;
        esac
        # GNU time prefixes "Command exited with non-zero status N" when rc != 0
        line=$(tail -n 1 "$TMP/time")
        secs=${line%% *}
        rss=${line##* }
        if [ -n "$start" ] && [ -n "$end" ]; then
            secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
        fi
        echo "    $name run $i: ${secs}s, max RSS ${rss} KiB"
        if [ -z "$BEST" ] || awk -v a="$secs" -v b="$BEST" 'BEGIN { exit !(a < b) }'; then
            BEST=$secs
        fi
        if [ "$rss" -gt "$MAXRSS" ]; then
            MAXRSS=$rss
        fi
    done
}

echo "==> corpus: $CORPUS ($BYTES bytes), $RUNS run(s) per tool"
measure runner-medic "0" "$BIN" analyze --output json "$CORPUS"
MEDIC_T=$BEST MEDIC_RSS=$MAXRSS
measure ripgrep "0 1" rg -c -F -j1 "${RG_ARGS[@]}" "$CORPUS"
RG_T=$BEST RG_RSS=$MAXRSS
measure ripgrep-4 "0 1" rg -c -F -j1 -e "Checking for jobs" -e "and will be disabled" \
    -e "Registering runner" -e "Verifying runner" "$CORPUS"
RG4_T=$BEST RG4_RSS=$MAXRSS
measure python "0" python3 benches/classify.py "$CORPUS"
PY_T=$BEST PY_RSS=$MAXRSS
measure python-lean "0" python3 benches/classify_lean.py "$CORPUS"
LEAN_T=$BEST LEAN_RSS=$MAXRSS

awk -v bytes="$BYTES" \
    -v mt="$MEDIC_T" -v mr="$MEDIC_RSS" \
    -v rt="$RG_T" -v rr="$RG_RSS" \
    -v pt="$PY_T" -v pr="$PY_RSS" \
    -v r4t="$RG4_T" -v r4r="$RG4_RSS" \
    -v lt="$LEAN_T" -v lr="$LEAN_RSS" \
    -v anchors="$((${#RG_ARGS[@]} / 2))" '
function t(x) { return x < 0.001 ? 0.001 : x }
function row(name, secs, rss) {
    printf "%-34s %10.3f %10.1f %12.1f\n", name, secs, bytes / 1e6 / t(secs), rss / 1024
}
function verdict(ok) { return ok ? "PASS" : "FAIL" }
BEGIN {
    printf "\n%-34s %10s %10s %12s\n", "tool", "best s", "MB/s", "max RSS MiB"
    row("runner-medic analyze --output json", mt, mr)
    row("rg -c -F -j1 (" anchors " anchors)", rt, rr)
    row("rg -c -F -j1 (4 anchors)", r4t, r4r)
    row("python3 benches/classify.py", pt, pr)
    row("python3 benches/classify_lean.py", lt, lr)
    vs_py = t(pt) / t(mt)
    vs_lean = t(lt) / t(mt)
    vs_rg = t(rt) / t(mt)
    vs_rg4 = t(r4t) / t(mt)
    printf "\nrunner-medic / python       : %7.2fx  (target >= 25x)   %s\n", vs_py, verdict(vs_py >= 25)
    printf "runner-medic / python lean  : %7.2fx\n", vs_lean
    printf "runner-medic / ripgrep      : %7.2fx  (target >= 0.5x)  %s\n", vs_rg, verdict(vs_rg >= 0.5)
    printf "runner-medic / ripgrep (4)  : %7.2fx\n", vs_rg4
    printf "runner-medic max RSS        : %7.1f MiB (target < 32 MiB) %s\n", mr / 1024, verdict(mr < 32 * 1024)
}'
exit 0
