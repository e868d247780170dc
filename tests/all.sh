#!/usr/bin/env bash
# Every check and every test: the README's test command (`bash tests/all.sh`).
# `.ci/run` calls exactly this. Needs only the Rust toolchain; uses
# cargo-nextest when installed and falls back to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

# Test tools from outside Rust: the Python prometheus_client package (its
# strict OpenMetrics parser checks /metrics). kubectl is used when present.
step "test tools"
if ! python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
  echo "installing the Python package prometheus_client (pip)"
  python3 -m pip install --quiet --disable-pip-version-check prometheus_client \
    || { echo "cannot install prometheus_client: run 'python3 -m pip install prometheus_client'" >&2; exit 1; }
fi
command -v kubectl >/dev/null 2>&1 || echo "note: kubectl not found; the kubectl fidelity tests will be skipped"

step "format (cargo fmt --check)"
cargo fmt --all --check

step "lints (cargo clippy --all-targets -D warnings)"
cargo clippy --all-targets --locked -- -D warnings

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  echo "(cargo-nextest not installed: using cargo test)"
  cargo test --locked --no-fail-fast --lib --bins --tests
fi

step "doctests"
cargo test --doc --locked

step "docs (cargo doc, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet

step "all passed in $((SECONDS - started))s"
