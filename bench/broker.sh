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

need_provision=0
for j in kafka-clients slf4j-api lz4-java snappy-java zstd-jni; do [ -s tests/java/lib/$j.jar ] || need_provision=1; done
[ -x tests/.venv/bin/python ] && tests/.venv/bin/python -c 'import confluent_kafka' 2>/dev/null || need_provision=1
command -v kcat >/dev/null && command -v javac >/dev/null || need_provision=1
[ "$need_provision" = 0 ] || tests/provision.sh

[ -x target/release/sluice ] || cargo build --release -p sluice

# kcat is linked against the system librdkafka (2.0.2 on Debian 12); point it at the newer librdkafka
# that ships inside the confluent-kafka wheel in tests/.venv, so both librdkafka clients are the same version.
lib="$(ls tests/.venv/lib/python3*/site-packages/confluent_kafka.libs/librdkafka-*.so.1 2>/dev/null | head -n1 || true)"
mkdir -p "$B/.bin/librdkafka"
if [ -n "$lib" ]; then ln -sf "$R/$lib" "$B/.bin/librdkafka/librdkafka.so.1"; else rm -f "$B/.bin/librdkafka/librdkafka.so.1"; fi

# Compile the Java clients when a source or jar is newer than the last build.
C="$B/.bin/classes"
stamp="$C/.built"
rebuild=0
[ -f "$stamp" ] || rebuild=1
for f in "$B"/java/*.java tests/java/lib/*.jar; do [ "$f" -nt "$stamp" ] 2>/dev/null && rebuild=1; done
if [ "$rebuild" = 1 ]; then
  # compile aside and swap in, so a run that is using the old classes loses them only for an instant
  # (broker.py itself runs from a copy made at its start)
  rm -rf "$C.new.$$"; mkdir -p "$C.new.$$"
  javac -nowarn -encoding UTF-8 -Xlint:none -cp "tests/java/lib/*" -d "$C.new.$$" "$B"/java/*.java
  touch "$C.new.$$/.built"
  rm -rf "$C"; mv "$C.new.$$" "$C"
fi

exec tests/.venv/bin/python "$B/broker.py" --command "bench/broker.sh $*" "$@"
