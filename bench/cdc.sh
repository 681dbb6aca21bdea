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

. "$B/setup.sh"
provision_if_missing mariadb confluent_kafka
ensure_sluice "$@"

exec tests/.venv/bin/python "$B/cdc.py" --command "bench/cdc.sh $*" "$@"
