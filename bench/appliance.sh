#!/usr/bin/env bash
# The whole appliance (issue 7's benchmark): start-up to ready, RSS idle, RSS with the seeds' pipeline (MariaDB
# `member` -> MySQL CDC -> RegexRouter -> member-index -> Elasticsearch sink into noida-db) idle and under
# 5,000 changes/s, binary and image size.
#   bench/appliance.sh [--parts startup,idle,pipeline,size] [--no-doc] [--rate 5000] [--seconds 30] [--batch 50]
#                      [--bin PATH] ...
#   (bench/appliance.sh --help lists every option; defaults take 4-10 minutes)
# Results: bench/results/appliance-<timestamp>/ and the bench/appliance.sh section of docs/benchmarks.md.
# Needs: tests/provision.sh tools (mariadb-server, tests/.venv with confluent-kafka and noida-db), a sluice binary
# ($SLUICE_BIN or --bin, else target/release/sluice). Run nothing else heavy meanwhile (2 cores).
set -euo pipefail
B="$(cd "$(dirname "$0")" && pwd)"
R="$(cd "$B/.." && pwd)"
cd "$R"

. "$B/setup.sh"
provision_if_missing mariadb confluent_kafka noida_db
ensure_sluice "$@"

exec tests/.venv/bin/python "$B/appliance.py" --command "bench/appliance.sh $*" "$@"
