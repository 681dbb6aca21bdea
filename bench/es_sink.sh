#!/usr/bin/env bash
# Elasticsearch sink benchmark: documents/s of 1 KiB JSON documents from a topic into noida-db's Elasticsearch
# API through Sluice's ElasticsearchSinkConnector at default batch settings, and Sluice's RSS.
#   bench/es_sink.sh [--parts defaults,key-ignore,keyed,small-buffer,gzip] [--records 100000] [--no-doc]
# Results: bench/results/es-sink-<timestamp>/ and the bench/es_sink.sh section of docs/benchmarks.md.
# Needs: tests/provision.sh tools (tests/.venv with confluent-kafka and noida-db), target/release/sluice.
# Run nothing else heavy meanwhile (2 cores).
set -euo pipefail
B="$(cd "$(dirname "$0")" && pwd)"
R="$(cd "$B/.." && pwd)"
cd "$R"
. "$B/setup.sh"
provision_if_missing confluent_kafka noida_db
ensure_sluice
exec tests/.venv/bin/python "$B/es_sink.py" --command "bench/es_sink.sh $*" "$@"
