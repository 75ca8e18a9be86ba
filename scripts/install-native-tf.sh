#!/usr/bin/env bash
# OPTIONAL: the native TensorFlow backend for tfjs (MMADA_BACKEND=tensorflow) without the
# libtensorflow download that `npm install @tensorflow/tfjs-node` performs (from Google Cloud Storage,
# unreachable where only the npm and PyPI registries are). Instead:
#   1. @tensorflow/tfjs-node is installed with --ignore-scripts into .tools/tfjs-node (npm refuses
#      to install an optional peer dependency into the root project, and package.json stays untouched);
#   2. the TensorFlow C library is taken from the PyPI wheel tensorflow-cpu==2.9.1, the libtensorflow
#      version tfjs-node 4.22 was built for: libtensorflow_framework.so.2 plus
#      _pywrap_tensorflow_internal.so, which exports the whole C API (TF_*, TFE_*);
#   3. that .so also references 187 CPython symbols (its Python-facing code paths). They must resolve
#      at load time, so a generated stand-in library (libtfjs_pystub.so) defines them: functions
#      abort with a message if TensorFlow ever calls one (the C API never does), data symbols are
#      inert buffers;
#   4. the binding is compiled with node-gyp against these, and linked into node_modules/@tensorflow/
#      tfjs-node. The copy of tfjs-core in .tools is removed so the binding registers its backend with
#      the project's tfjs-core (one engine, one kernel registry).
# Idempotent: a second run only re-links and re-checks. `npm install`/`npm ci` may prune the link;
# then run this again (seconds). Undo: rm -rf .tools/tfjs-node node_modules/@tensorflow/tfjs-node
# Needs: Linux x86_64, python3 with pip, gcc/g++/make, readelf (binutils), ~1 GB of disk while
# building (~750 MB after, in .tools/tfjs-node), Node headers (present beside a system Node; else
# node-gyp downloads them).
set -euo pipefail
cd "$(dirname "$0")/.."

TFJS_NODE_VERSION="4.22.0"
TFJS_CORE_VERSION="4.22.0"             # the project's tfjs-core; tfjs-node must match it exactly
TF_WHEEL="tensorflow-cpu==2.9.1"       # = LIBTENSORFLOW_VERSION in @tensorflow/tfjs-node/scripts/deps-constants.js
WHEEL_PYTHON="3.10"                    # newest CPython with 2.9.1 wheels; only version-free .so files are used
WHEEL_PLATFORM="manylinux2014_x86_64"

prefix=".tools/tfjs-node"
pkg="$prefix/node_modules/@tensorflow/tfjs-node"
link="node_modules/@tensorflow/tfjs-node"
stamp="$prefix/BUILT"
want="tfjs-node $TFJS_NODE_VERSION + $TF_WHEEL"

die() { echo "install-native-tf: error: $*" >&2; exit 1; }

link_into_project() {
  mkdir -p node_modules/@tensorflow
  ln -sfn "../../$pkg" "$link"
}

# Loads tfjs-node the way model/backend.ts does and checks a matmul against exact values.
verify() {
  TF_CPP_MIN_LOG_LEVEL=2 node -e '
    const path = require("node:path");
    const tf = require("@tensorflow/tfjs-node");
    const ownCore = require.resolve("@tensorflow/tfjs-core");
    const itsCore = require.resolve("@tensorflow/tfjs-core", { paths: [require("node:fs").realpathSync(process.argv[1])] });
    if (ownCore !== itsCore) throw new Error(`tfjs-node resolves a second tfjs-core: ${itsCore}`);
    if (tf.getBackend() !== "tensorflow") throw new Error(`backend is ${tf.getBackend()}, expected tensorflow`);
    const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).dataSync();
    if ([19, 22, 43, 50].some((v, i) => c[i] !== v)) throw new Error(`wrong matmul: ${Array.from(c)}`);
    console.log(`install-native-tf: @tensorflow/tfjs-node ${tf.version["tfjs-node"]} loads (TensorFlow ${tf.backend().binding.TF_Version})`);
  ' "$link"
}

if [ -e "$link" ] && [ ! -L "$link" ]; then
  # A regular install (npm with internet access), not ours: leave it alone.
  verify && { echo "install-native-tf: $link is a regular install that loads; nothing to do"; exit 0; }
  die "$link exists (a regular install?) but does not load; remove it (rm -rf $link) and run this again"
fi
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -d "$pkg" ]; then
  link_into_project
  verify && exit 0
  echo "install-native-tf: existing build in $prefix does not load; rebuilding" >&2
fi

# ---- preconditions, each with what to do about it ----
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] ||
  die "only Linux x86_64 is supported (the $TF_WHEEL wheel); elsewhere use 'npm i @tensorflow/tfjs-node' with internet, or MMADA_BACKEND=wasm"
core_version=$(node -p 'require("@tensorflow/tfjs-core/package.json").version' 2>/dev/null || true)
[ "$core_version" = "$TFJS_CORE_VERSION" ] ||
  die "node_modules/@tensorflow/tfjs-core is '${core_version:-missing}', need $TFJS_CORE_VERSION: run 'npm install' first"
py=$(command -v python3 || command -v python || true)
[ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1 || die "python3 with pip is needed to fetch the $TF_WHEEL wheel"
for tool in gcc g++ make readelf; do
  command -v "$tool" >/dev/null || die "'$tool' is needed to build the binding (Debian: apt-get install build-essential)"
done
node_prefix=$(dirname "$(dirname "$(command -v node)")")
nodedir_flag=()
if [ -f "$node_prefix/include/node/common.gypi" ]; then nodedir_flag=(--nodedir="$node_prefix"); fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- 1. tfjs-node sources without their install script ----
rm -rf "$prefix" && mkdir -p "$prefix"
echo '{ "name": "mmada-native-tf", "private": true }' > "$prefix/package.json"
echo "install-native-tf: npm install @tensorflow/tfjs-node@$TFJS_NODE_VERSION --ignore-scripts (into $prefix)"
(cd "$prefix" && npm install --ignore-scripts --no-audit --no-fund --no-package-lock --loglevel=error \
  "@tensorflow/tfjs-node@$TFJS_NODE_VERSION")

# ---- 2. the TensorFlow C library and headers from the PyPI wheel ----
echo "install-native-tf: pip download $TF_WHEEL (~200 MB)"
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version "$WHEEL_PYTHON" --platform "$WHEEL_PLATFORM" -d "$tmp" "$TF_WHEEL"
wheel=$(ls "$tmp"/*.whl)
deps="$pkg/deps"
mkdir -p "$deps/lib" "$deps/include"
"$py" - "$wheel" "$deps" <<'EOF'
import shutil, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(wheel)
targets = {"tensorflow/libtensorflow_framework.so.2": "lib/libtensorflow_framework.so.2",
           "tensorflow/python/_pywrap_tensorflow_internal.so": "lib/_pywrap_tensorflow_internal.so"}
for name in z.namelist():
    if name.startswith("tensorflow/include/tensorflow/c/") or name.startswith("tensorflow/include/tensorflow/core/platform/ctstring"):
        targets[name] = name[len("tensorflow/"):]
    elif name.endswith(".dist-info/LICENSE"):
        targets[name] = "LICENSE-tensorflow"
for src, dst in targets.items():
    if src.endswith("/"):
        continue
    out = f"{deps}/{dst}"
    __import__("os").makedirs(out.rsplit("/", 1)[0], exist_ok=True)
    with z.open(src) as i, open(out, "wb") as o:
        shutil.copyfileobj(i, o)
EOF
# -ltensorflow finds the C API under its usual link name; at run time the binding asks for the
# library's own SONAME (_pywrap_tensorflow_internal.so), found through its rpath in deps/lib.
ln -sfn _pywrap_tensorflow_internal.so "$deps/lib/libtensorflow.so"
ln -sfn libtensorflow_framework.so.2 "$deps/lib/libtensorflow_framework.so"

# ---- 3. stand-ins for the CPython symbols the library references ----
stub_c="$tmp/pystub.c"
{
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo 'static void called(const char *f) { fprintf(stderr, "tfjs-node (wheel build): TensorFlow called CPython %s, which does not exist outside Python\n", f); abort(); }'
  echo 'int Py_IsInitialized(void) { return 0; }'
  readelf --dyn-syms -W "$deps/lib/_pywrap_tensorflow_internal.so" |
    awk '$7 == "UND" && $8 ~ /^_?Py/ { sub(/@.*/, "", $8); print $8 }' | sort -u |
    awk '$1 == "Py_IsInitialized" { next }
         /(_Type|Struct)$|^PyExc_/ { printf "char %s[512] __attribute__((aligned(64)));\n", $1; next }
         { printf "void %s(void) { called(\"%s\"); }\n", $1, $1 }'
} > "$stub_c"
gcc -shared -fPIC -O1 -Wl,-soname,libtfjs_pystub.so -o "$deps/lib/libtfjs_pystub.so" "$stub_c"

# ---- 4. build the binding (all N-API versions tfjs-node lists; node-pre-gyp picks one at load) ----
echo "install-native-tf: building the binding with node-gyp (~1 min)"
(cd "$pkg" && LDFLAGS="-Wl,--no-as-needed -L$PWD/deps/lib -ltfjs_pystub" \
  node ../../@mapbox/node-pre-gyp/bin/node-pre-gyp rebuild --build-from-source "${nodedir_flag[@]}" \
  > "$tmp/build.log" 2>&1) || { tail -n 40 "$tmp/build.log" >&2; die "building the tfjs-node binding failed (log above)"; }
rm -rf "$pkg/build" "$pkg"/build-tmp-napi-*

# One tfjs-core (and cpu backend) for the process: drop the copies npm put in the prefix, so every
# require walks up to the project's node_modules, which has the same versions.
find "$prefix/node_modules" -type d \( -path '*/@tensorflow/tfjs-core' -o -path '*/@tensorflow/tfjs-backend-cpu' \) \
  -prune -exec rm -rf {} +

link_into_project
verify || die "the build finished but @tensorflow/tfjs-node does not load; see the message above"
echo "$want" > "$stamp"
