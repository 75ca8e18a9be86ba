#!/usr/bin/env bash
# The model's native kernels (model/native): an N-API add-on with the transformer's fused forward and
# backward, the fused loss and AdamW, over OpenBLAS. Built here, at install, with this machine's
# compiler (tuned for its CPU) against OpenBLAS from PyPI's scipy-openblas32 wheel, unpacked into
# .tools/ (never system-wide) and found at run time through the add-on's rpath.
#
# NON-FATAL by design: when it cannot build (no compiler, no pip, no Node headers ...), it prints one
# warning saying why and exits 1; package.json's postinstall ignores that, and the model runs on the
# plain tfjs kernels (MMADA_KERNELS=auto falls back by itself). Idempotent: a second run with the
# same sources, compiler, CPU and wheel only checks that the add-on loads (well under a second).
# Undo: rm -rf model/native/build .tools/openblas-*
set -euo pipefail
cd "$(dirname "$0")/.."

OPENBLAS_WHEEL_VERSION="0.3.34.481.3"   # scipy-openblas32: OpenBLAS 0.3.34, DYNAMIC_ARCH, with headers
root=$(pwd)
blas="$root/.tools/openblas-$OPENBLAS_WHEEL_VERSION"
addon="model/native/build/Release/mmada_native.node"
stamp="model/native/build/STAMP"

warn() { echo "install-native-kernels: warning: $*; the model runs on the plain tfjs kernels (slower; see model/README.md, 'Native kernels')" >&2; exit 1; }

loads() {
  OPENBLAS_NUM_THREADS=1 node -e 'const a = require(process.argv[1]); a.setThreads(1); process.stdout.write(a.blasCore())' "$root/$addon" 2>/dev/null
}

# What the build depends on: sources, build file, wheel, compiler, Node, CPU features, location.
fingerprint() {
  {
    cat model/native/binding.gyp model/native/src/*
    echo "$OPENBLAS_WHEEL_VERSION $blas"
    g++ --version 2>/dev/null | head -n 1
    node --version
    grep -m 1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m
  } | sha256sum | cut -d ' ' -f 1
}

command -v g++ >/dev/null && command -v make >/dev/null || warn "g++ and make are needed (Debian: apt-get install build-essential)"
want=$(fingerprint)
if [ -f "$addon" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && core=$(loads); then
  echo "install-native-kernels: up to date (OpenBLAS core $core)"
  exit 0
fi

# ---- OpenBLAS from the wheel ----
if [ ! -f "$blas/include/cblas.h" ] || [ ! -f "$blas/lib/libscipy_openblas.so" ]; then
  py=$(command -v python3 || command -v python || true)
  [ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1 || warn "python3 with pip is needed to fetch the scipy-openblas32 wheel"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "install-native-kernels: pip download scipy-openblas32==$OPENBLAS_WHEEL_VERSION (~8 MB)"
  "$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$tmp" \
    "scipy-openblas32==$OPENBLAS_WHEEL_VERSION" || warn "could not download the scipy-openblas32 wheel"
  rm -rf "$blas.partial" && mkdir -p "$blas.partial"
  "$py" - "$tmp"/*.whl "$blas.partial" <<'PY' || warn "could not unpack the scipy-openblas32 wheel"
import os, shutil, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        for part in ("include/", "lib/libscipy_openblas", "licenses/LICENSE"):
            at = name.find(part)
            if at >= 0 and not name.endswith("/"):
                out = os.path.join(dest, name[at:].replace("licenses/", ""))
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with z.open(name) as i, open(out, "wb") as o:
                    shutil.copyfileobj(i, o)
PY
  [ -f "$blas.partial/include/cblas.h" ] || warn "the scipy-openblas32 wheel has no include/cblas.h"
  rm -rf "$blas" && mv "$blas.partial" "$blas"
fi

# ---- the add-on, with node-gyp against this Node's headers ----
gyp=""
for candidate in "${npm_config_node_gyp:-}" "$(dirname "$(realpath "$(command -v npm)" 2>/dev/null)" 2>/dev/null)/../node_modules/node-gyp/bin/node-gyp.js"; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then gyp="$candidate"; break; fi
done
[ -n "$gyp" ] || warn "node-gyp not found (it ships with npm)"
node_prefix=$(dirname "$(dirname "$(command -v node)")")
[ -f "$node_prefix/include/node/node_api.h" ] || warn "Node's headers are not in $node_prefix/include/node (install the nodejs headers / -dev package)"
echo "install-native-kernels: compiling model/native (~20 s)"
log=$(mktemp)
if ! (cd model/native && node "$gyp" rebuild --nodedir="$node_prefix" -- -Dopenblas_dir="$blas") >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  rm -f "$log"
  warn "compiling model/native failed (log above)"
fi
rm -f "$log"
core=$(loads) || warn "model/native built but does not load"
echo "$want" > "$stamp"
echo "install-native-kernels: built $addon (OpenBLAS core $core)"
