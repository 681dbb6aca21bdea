#!/usr/bin/env bash
# The project's single test command:
#   1. tests/provision.sh            (kcat, JDK, Python clients, kafka-clients jars; idempotent)
#   2. cargo build --release -p sluice
#   3. cargo test --workspace --release   (unit and integration tests of the crates)
#   4. tests/.venv/bin/pytest -x -q tests/e2e "$@"   (end-to-end tests against target/release/sluice)
# Extra arguments go to pytest, e.g.  tests/run.sh -k restart
# Everything the end-to-end tests start runs in one process group, which is ended on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
command -v cargo >/dev/null 2>&1 || export PATH="$HOME/.cargo/bin:$PATH"

PYTEST_PGID=""
cleanup() {
  if [ -n "$PYTEST_PGID" ] && kill -0 -- "-$PYTEST_PGID" 2>/dev/null; then
    kill -TERM -- "-$PYTEST_PGID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 -- "-$PYTEST_PGID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$PYTEST_PGID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== provision"
tests/provision.sh

echo "== cargo build --release -p sluice"
cargo build --release -p sluice

echo "== cargo test --workspace --release"
unit_rc=0
cargo test --workspace --release || unit_rc=$?

echo "== pytest tests/e2e"
# setsid: pytest leads a new process group holding every broker and client it starts.
setsid tests/.venv/bin/pytest -x -q tests/e2e "$@" </dev/null &
PYTEST_PGID=$!
e2e_rc=0
wait "$PYTEST_PGID" || e2e_rc=$?
cleanup
PYTEST_PGID=""

if [ "$unit_rc" -ne 0 ]; then
  echo "cargo test failed (status $unit_rc)" >&2
  exit "$unit_rc"
fi
exit "$e2e_rc"
