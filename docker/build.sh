#!/usr/bin/env bash
# Builds the sluice binary and assembles the image's root filesystem in OUT. The Dockerfile runs
# exactly this script, and tests/e2e runs it outside Docker, so the image cannot drift from what
# is tested.   Usage: docker/build.sh OUT
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:?usage: docker/build.sh OUT}"
cd "$ROOT"
cargo build --release --locked -p sluice
rm -rf "$OUT"
install -D -m 0755 target/release/sluice "$OUT/usr/local/bin/sluice"
strip "$OUT/usr/local/bin/sluice" 2>/dev/null || true
# Shared libraries the binary needs beyond glibc (the final image, distroless/base-nossl, has
# glibc only): today just libgcc_s (Rust's unwinder). The image points LD_LIBRARY_PATH here.
ldd "$OUT/usr/local/bin/sluice" | awk '/=> \//{print $3}' | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
    *) install -D -m 0644 "$(readlink -f "$lib")" "$OUT/usr/local/lib/sluice/$(basename "$lib")" ;;
  esac
done
# The data volume, owned by the image's non-root user (distroless "nonroot", uid 65532).
install -d -m 0750 "$OUT/var/lib/sluice" "$OUT/etc/sluice/connectors"
"$OUT/usr/local/bin/sluice" --version
