#!/usr/bin/env bash
# Log lifecycle benchmark for Sluice: retention soak, durability cost (acks=all/fdatasync vs acks=1 vs
# flush.ms, plus the disk's own limit), one compaction pass over ~1 GB, Connect FileStream throughput and RSS.
#   bench/lifecycle.sh [--parts soak,durability,compaction,connect] [--no-doc] [--wait-idle 120] ...
#   (bench/lifecycle.sh --help lists every option; defaults take about 15 minutes)
# Results: bench/results/lifecycle-<timestamp>/ and the bench/lifecycle.sh section of docs/benchmarks.md.
# Needs: tests/provision.sh tools (kcat, JDK, tests/.venv, tests/java/lib), target/release/sluice.
# Run nothing else heavy meanwhile (2 cores).
set -euo pipefail
B="$(cd "$(dirname "$0")" && pwd)"
R="$(cd "$B/.." && pwd)"
cd "$R"

. "$B/setup.sh"
provision_if_missing java confluent_kafka
ensure_sluice
# kcat reads the compacted topic back
link_wheel_librdkafka
build_java_clients

exec tests/.venv/bin/python "$B/lifecycle.py" --command "bench/lifecycle.sh $*" "$@"
