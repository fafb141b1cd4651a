#!/usr/bin/env bash
# Run the whole test suite: unit tests plus integration tests against a local moto
# server, a throwaway gnome-keyring and tmux. Extra arguments go to the test runner,
# e.g. `scripts/test.sh sandbox` to filter by test name.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

echo "==> switchboard tests: installing test deps, then running all tests (moto-backed AWS, no real account needed)" >&2
bash "$REPO/scripts/install-test-deps.sh"

# Integration tests locate the fake AWS and the seeding interpreter through these.
export SWITCHBOARD_MOTO_SERVER="$REPO/.venv/bin/moto_server"
export SWITCHBOARD_PYTHON="$REPO/.venv/bin/python"

# The gates: an unformatted file, a clippy warning (every target, the lints of Cargo.toml) or
# a rustdoc warning fails the run before any test does. SWITCHBOARD_SKIP_GATES=1 skips them
# for a quick local run of some tests.
if [[ "${SWITCHBOARD_SKIP_GATES:-}" != 1 ]]; then
  echo "==> cargo fmt --check" >&2
  cargo fmt --all -- --check
  echo "==> cargo clippy --all-targets -D warnings" >&2
  cargo clippy --all-targets --features test-support,fuzzing --quiet -- -D warnings
  echo "==> cargo doc --no-deps (warnings are errors)" >&2
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
fi

# exec so the exit code is the test runner's own.
if cargo nextest --version >/dev/null 2>&1; then
  echo "==> cargo nextest run --no-fail-fast $*" >&2
  exec cargo nextest run --no-fail-fast "$@"
else
  echo "==> cargo test --no-fail-fast $* (install cargo-nextest for faster runs)" >&2
  exec cargo test --no-fail-fast "$@"
fi
