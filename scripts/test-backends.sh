#!/usr/bin/env bash
# The model tests once more on the other paths than `test:unit`'s default (wasm backend, native
# kernels): the plain tfjs kernels (the reference the native kernels are checked against), and the
# native TensorFlow backend that the README's main job uses. The latter is skipped, visibly, when
# @tensorflow/tfjs-node is not installed (npm run setup:native-tf), unless MMADA_REQUIRE_NATIVE_TF=1.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { node --import tsx --test --test-concurrency=1 test/model/*.test.ts; }

echo "== model tests: wasm backend, tfjs kernels"
MMADA_KERNELS=tfjs run
if node -e 'require.resolve("@tensorflow/tfjs-node")' 2>/dev/null; then
  echo "== model tests: native TensorFlow backend, native kernels"
  MMADA_TEST_BACKEND=tensorflow run
  echo "== model tests: native TensorFlow backend, tfjs kernels"
  MMADA_TEST_BACKEND=tensorflow MMADA_KERNELS=tfjs run
elif [ "${MMADA_REQUIRE_NATIVE_TF:-0}" = 1 ]; then
  echo "error: @tensorflow/tfjs-node is not installed; run npm run setup:native-tf" >&2
  exit 1
else
  echo "skipped: model tests on the native TensorFlow backend (@tensorflow/tfjs-node is not installed; npm run setup:native-tf builds it)"
fi
