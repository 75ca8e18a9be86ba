#!/usr/bin/env bash
# The model tests once more on the other paths than `test:unit`'s default (wasm backend, native
# kernels): the plain tfjs kernels (the reference the native kernels are checked against), and the
# native TensorFlow backend that the README's main job uses. The latter is skipped, visibly, when
# @tensorflow/tfjs-node is not installed (npm run setup:native-tf), unless MMADA_REQUIRE_NATIVE_TF=1.
# The wasm run (one thread) goes beside the TensorFlow runs: two cores, two test processes; each
# run's output is printed whole once it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run() { node --import tsx --test --test-concurrency=1 test/model/*.test.ts; }
show() { echo "== model tests: $1"; cat "$logs/$2"; }

MMADA_KERNELS=tfjs run >"$logs/wasm" 2>&1 &
wasm=$!
status=0
if node -e 'require.resolve("@tensorflow/tfjs-node")' 2>/dev/null; then
  MMADA_TEST_BACKEND=tensorflow run >"$logs/tf-native" 2>&1 || status=1
  show "native TensorFlow backend, native kernels" tf-native
  MMADA_TEST_BACKEND=tensorflow MMADA_KERNELS=tfjs run >"$logs/tf-tfjs" 2>&1 || status=1
  show "native TensorFlow backend, tfjs kernels" tf-tfjs
elif [ "${MMADA_REQUIRE_NATIVE_TF:-0}" = 1 ]; then
  echo "error: @tensorflow/tfjs-node is not installed; run npm run setup:native-tf" >&2
  status=1
else
  echo "skipped: model tests on the native TensorFlow backend (@tensorflow/tfjs-node is not installed; npm run setup:native-tf builds it)"
fi
wait "$wasm" || status=1
show "wasm backend, tfjs kernels" wasm
exit "$status"
