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

need_provision=0
for j in kafka-clients slf4j-api lz4-java snappy-java zstd-jni; do [ -s tests/java/lib/$j.jar ] || need_provision=1; done
[ -x tests/.venv/bin/python ] && tests/.venv/bin/python -c 'import confluent_kafka' 2>/dev/null || need_provision=1
command -v kcat >/dev/null && command -v javac >/dev/null || need_provision=1
[ "$need_provision" = 0 ] || tests/provision.sh

[ -x target/release/sluice ] || cargo build --release -p sluice

# kcat (used to read the compacted topic back) against the librdkafka of the confluent-kafka wheel, as broker.sh does.
lib="$(ls tests/.venv/lib/python3*/site-packages/confluent_kafka.libs/librdkafka-*.so.1 2>/dev/null | head -n1 || true)"
mkdir -p "$B/.bin/librdkafka"
if [ -n "$lib" ]; then ln -sf "$R/$lib" "$B/.bin/librdkafka/librdkafka.so.1"; else rm -f "$B/.bin/librdkafka/librdkafka.so.1"; fi

# Compile the Java clients (shared with broker.sh) when a source or jar is newer than the last build.
C="$B/.bin/classes"
stamp="$C/.built"
rebuild=0
[ -f "$stamp" ] || rebuild=1
for f in "$B"/java/*.java tests/java/lib/*.jar; do [ "$f" -nt "$stamp" ] 2>/dev/null && rebuild=1; done
if [ "$rebuild" = 1 ]; then
  rm -rf "$C"; mkdir -p "$C"
  javac -nowarn -encoding UTF-8 -Xlint:none -cp "tests/java/lib/*" -d "$C" "$B"/java/*.java
  touch "$stamp"
fi

exec tests/.venv/bin/python "$B/lifecycle.py" --command "bench/lifecycle.sh $*" "$@"
