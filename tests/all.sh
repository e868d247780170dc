#!/usr/bin/env bash
# Every check and every test: the README's test command (`bash tests/all.sh`).
# `.ci/run` calls exactly this. Needs the Rust toolchain and Python 3 with
# pip; installs the Python packages and (as root, with apt-get) Debian's
# prometheus and prometheus-alertmanager when missing. Uses cargo-nextest
# when installed and falls back to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$SECONDS
step() { printf '\n==> %s  (%ss so far)\n' "$*" "$((SECONDS - started))"; }

# Test tools from outside Rust: the Python prometheus_client package (its
# strict OpenMetrics parser checks /metrics). kubectl is used when present.
step "test tools"
if ! python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
  echo "installing the Python package prometheus_client (pip)"
  python3 -m pip install --quiet --disable-pip-version-check prometheus_client \
    || { echo "cannot install prometheus_client: run 'python3 -m pip install prometheus_client'" >&2; exit 1; }
fi
command -v kubectl >/dev/null 2>&1 || echo "note: kubectl not found; the kubectl fidelity tests will be skipped"
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "installing the Python package PyYAML (pip)"
  python3 -m pip install --quiet --disable-pip-version-check pyyaml \
    || { echo "cannot install PyYAML: run 'python3 -m pip install pyyaml'" >&2; exit 1; }
fi
# The real Prometheus and Alertmanager (Debian packages) for the alert
# rules and the end-to-end test.
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1 \
   || ! command -v prometheus-alertmanager >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing prometheus and prometheus-alertmanager (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
  else
    echo "prometheus, promtool and prometheus-alertmanager are needed: run" >&2
    echo "  sudo apt-get install prometheus prometheus-alertmanager" >&2
    exit 1
  fi
fi

step "format (cargo fmt --check)"
cargo fmt --all --check

step "lints (cargo clippy --all-targets -D warnings)"
cargo clippy --all-targets --locked -- -D warnings

# The tests and the ops checks run side by side: both mostly wait (for
# simulated pods, for Prometheus and Alertmanager), and the ops checks only
# need the binary the test build makes. Each side's output is printed whole;
# the step fails if either side does.
step "build the tests"
if cargo nextest --version >/dev/null 2>&1; then
  nextest=1
  cargo nextest run --locked --no-run
else
  nextest=0
  echo "(cargo-nextest not installed: using cargo test)"
  cargo test --locked --no-run --lib --bins --tests
fi

# The ops checks run the binary the tests build: a second, optimised build
# of the whole tree would cost 2-cores CI about 5 minutes and check nothing
# the debug build does not (the image builds with --release; see
# Dockerfile).
bin=target/debug/runner-medic
[ -x "$bin" ] || cargo build --locked

ops() {
  step "alert rules (promtool check + unit tests, PrometheusRule, runbooks)"
  bash tests/ops/check_alerts.sh || return 1
  step "dashboard (Grafana 11.6 schema via its foundation SDK, cluster conventions)"
  python3 tests/ops/check_dashboard.py --self-test || return 1
  python3 tests/ops/check_dashboard.py || return 1
  step "Dockerfile (structure, OCI labels, cargo auditable, cross-compilation, .dockerignore)"
  python3 tests/ops/check_dockerfile.py --self-test || return 1
  python3 tests/ops/check_dockerfile.py || return 1
  step "deploy manifests (kustomize, Kubernetes schemas, args parsed by runner-medic)"
  python3 tests/ops/validate_deploy.py --binary "$bin" || return 1
  step "end to end (demo + real Prometheus + real Alertmanager + dashboard queries)"
  python3 tests/ops/e2e.py --binary "$bin" || return 1
}

step "tests, and the ops checks beside them"
ops_log="$(mktemp)"
trap 'rm -f "$ops_log"' EXIT
ops >"$ops_log" 2>&1 &
ops_pid=$!
tests_rc=0
if [ "$nextest" = 1 ]; then
  cargo nextest run --locked --no-fail-fast || tests_rc=$?
else
  # Eight at a time, as .config/nextest.toml says for nextest: the tests
  # mostly wait.
  cargo test --locked --no-fail-fast --lib --bins --tests -- --test-threads 8 || tests_rc=$?
fi
ops_rc=0
wait "$ops_pid" || ops_rc=$?
cat "$ops_log"
if [ "$tests_rc" != 0 ] || [ "$ops_rc" != 0 ]; then
  echo "FAILED:$([ "$tests_rc" != 0 ] && echo " tests")$([ "$ops_rc" != 0 ] && echo " ops checks") (see above)" >&2
  exit 1
fi

step "doctests"
cargo test --doc --locked

step "docs (cargo doc, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet

step "all passed in $((SECONDS - started))s"
