#!/usr/bin/env bash
# Broker benchmark: Sluice vs Tansu vs noida-db (produce/consume 1 KiB records, start-up time, RSS).
#   bench/broker.sh [--records N] [--partitions 1,6] [--brokers sluice,tansu,noida] [--clients java,kcat]
#                   [--starts 5] [--latency-sample 100000] [--wait-idle 120] [--retries 1] [--no-doc]
# Waits for other bench/*.py runs to finish and for a quiet machine before each measurement.
# Results: bench/results/<timestamp>/ and the generated section of docs/benchmarks.md.
# Needs: tests/provision.sh tools (kcat, JDK, tests/.venv, tests/java/lib), the peer brokers
# (bench/install.sh -> bench/.bin/), target/release/sluice. Run nothing else heavy meanwhile (2 cores).
set -euo pipefail
B="$(cd "$(dirname "$0")" && pwd)"
R="$(cd "$B/.." && pwd)"
cd "$R"

"$B/install.sh"

. "$B/setup.sh"
provision_if_missing java confluent_kafka
ensure_sluice
link_wheel_librdkafka
build_java_clients

exec tests/.venv/bin/python "$B/broker.py" --command "bench/broker.sh $*" "$@"
