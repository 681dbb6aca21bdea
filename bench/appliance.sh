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

need_provision=0
[ -x tests/.venv/bin/python ] && tests/.venv/bin/python -c 'import confluent_kafka, noida_db' 2>/dev/null \
  || need_provision=1
command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null \
  || need_provision=1
[ "$need_provision" = 0 ] || tests/provision.sh

bin_given=0
for a in "$@"; do [ "$a" = "--bin" ] || [ "${a#--bin=}" != "$a" ] && bin_given=1; done
if [ "$bin_given" = 0 ] && [ -z "${SLUICE_BIN:-}" ] && [ ! -x target/release/sluice ]; then
  cargo build --release -p sluice
fi

exec tests/.venv/bin/python "$B/appliance.py" --command "bench/appliance.sh $*" "$@"
