# Shared set-up of the bench/*.sh wrappers; sourced after `set -euo pipefail` with B (bench/) and R (repo root)
# set and the working directory at R. Each function does nothing when its part is already in place.

# Runs tests/provision.sh unless the listed parts are there: java (kafka-clients jars, kcat, javac),
# mariadb (server and client), and Python modules (e.g. confluent_kafka noida_db) in tests/.venv.
provision_if_missing() {
  local need=0 mods=() part j
  for part in "$@"; do
    case "$part" in
      java)
        for j in kafka-clients slf4j-api lz4-java snappy-java zstd-jni; do [ -s "tests/java/lib/$j.jar" ] || need=1; done
        command -v kcat >/dev/null && command -v javac >/dev/null || need=1 ;;
      mariadb)
        command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null \
          || need=1 ;;
      *) mods+=("$part") ;;
    esac
  done
  if [ ${#mods[@]} -gt 0 ]; then
    local imports; imports="$(IFS=,; echo "${mods[*]}")"
    [ -x tests/.venv/bin/python ] && tests/.venv/bin/python -c "import $imports" 2>/dev/null || need=1
  fi
  [ "$need" = 0 ] || tests/provision.sh
}

# Builds target/release/sluice when it is missing and neither --bin nor $SLUICE_BIN names another binary.
# Pass the wrapper's arguments.
ensure_sluice() {
  local a
  for a in "$@"; do { [ "$a" = "--bin" ] || [ "${a#--bin=}" != "$a" ]; } && return 0; done
  [ -n "${SLUICE_BIN:-}" ] && return 0
  [ -x target/release/sluice ] || cargo build --release -p sluice
}

# kcat is linked against the system librdkafka (2.0.2 on Debian 12); bench/.bin/librdkafka points it at the
# newer librdkafka inside the confluent-kafka wheel in tests/.venv, so both librdkafka clients are one version.
link_wheel_librdkafka() {
  local lib
  lib="$(ls tests/.venv/lib/python3*/site-packages/confluent_kafka.libs/librdkafka-*.so.1 2>/dev/null | head -n1 || true)"
  mkdir -p "$B/.bin/librdkafka"
  if [ -n "$lib" ]; then ln -sf "$R/$lib" "$B/.bin/librdkafka/librdkafka.so.1"; else rm -f "$B/.bin/librdkafka/librdkafka.so.1"; fi
}

# Compiles bench/java/*.java into bench/.bin/classes when a source or jar is newer than the last build;
# compiled aside and swapped in, so a run using the old classes loses them only for an instant.
build_java_clients() {
  local C="$B/.bin/classes" rebuild=0 f
  [ -f "$C/.built" ] || rebuild=1
  for f in "$B"/java/*.java tests/java/lib/*.jar; do [ "$f" -nt "$C/.built" ] 2>/dev/null && rebuild=1; done
  [ "$rebuild" = 1 ] || return 0
  rm -rf "$C.new.$$"; mkdir -p "$C.new.$$"
  javac -nowarn -encoding UTF-8 -Xlint:none -cp "tests/java/lib/*" -d "$C.new.$$" "$B"/java/*.java
  touch "$C.new.$$/.built"
  rm -rf "$C"; mv "$C.new.$$" "$C"
}
