#!/usr/bin/env bash
# Every check and every test: the README's test command (`bash tests/all.sh`).
# `.ci/run` calls exactly this. Needs only the Rust toolchain; uses
# cargo-nextest when installed and falls back to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

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
