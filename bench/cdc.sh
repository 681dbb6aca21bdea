#!/usr/bin/env bash
# MySQL/MariaDB CDC benchmark for Sluice: snapshot rows/s of a 1-million-row table, binlog catch-up rows/s from a
# binlog prepared while Sluice was down, commit-to-consumer latency at 1,000 rows/s, and the RSS of each.
#   bench/cdc.sh [--parts snapshot,catchup,latency] [--no-doc] [--snapshot-rows 1000000] [--catchup-rows 1000000]
#                [--latency-rate 1000] [--latency-seconds 30] [--perf] [--bin PATH] ...
#   (bench/cdc.sh --help lists every option; defaults take about 10 minutes)
# Results: bench/results/cdc-<timestamp>/ and the bench/cdc.sh section of docs/benchmarks.md.
# Needs: tests/provision.sh tools (mariadb-server, tests/.venv with confluent-kafka), a sluice binary
# ($SLUICE_BIN or --bin, else target/release/sluice). Run nothing else heavy meanwhile (2 cores).
set -euo pipefail
B="$(cd "$(dirname "$0")" && pwd)"
R="$(cd "$B/.." && pwd)"
cd "$R"

need_provision=0
[ -x tests/.venv/bin/python ] && tests/.venv/bin/python -c 'import confluent_kafka' 2>/dev/null || need_provision=1
command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null \
  || need_provision=1
[ "$need_provision" = 0 ] || tests/provision.sh

bin_given=0
for a in "$@"; do [ "$a" = "--bin" ] || [ "${a#--bin=}" != "$a" ] && bin_given=1; done
if [ "$bin_given" = 0 ] && [ -z "${SLUICE_BIN:-}" ] && [ ! -x target/release/sluice ]; then
  cargo build --release -p sluice
fi

exec tests/.venv/bin/python "$B/cdc.py" --command "bench/cdc.sh $*" "$@"
