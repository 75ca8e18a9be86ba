#!/usr/bin/env bash
# Test-only tools, each installed with its dependencies into .tools/<name>/site (pip --target), never
# into the system's Python. Without them the tests that use them are skipped, visibly (in CI, where
# MMADA_REQUIRE_JSONSCHEMA=1 and MMADA_REQUIRE_S3=1, they fail instead). Never used by the product.
#  - python-jsonschema: the independent validator with which test/spec/editor-schemas.test.ts reads
#    every shipped spec through the published schemas as an editor does.
#  - moto's standalone server: a real S3-compatible server for the object-store tests (test/store/,
#    test/e2e/store/), started on a free port and stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(command -v python3 || command -v python || true)
if [ -z "$py" ]; then echo "error: python3 with pip is needed to install the test tools (python-jsonschema, moto)" >&2; exit 1; fi

# install NAME VERSION IMPORTS PIP-SPEC
install() {
  local name=$1 version=$2 imports=$3 spec=$4 dest=".tools/$1"
  if [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ] && PYTHONPATH="$dest/site" "$py" -c "import $imports" 2>/dev/null; then
    return 0
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  "$py" -m pip install --quiet --disable-pip-version-check --target "$dest/site" "$spec"
  PYTHONPATH="$dest/site" "$py" -c "import $imports"
  echo "$version" > "$dest/VERSION"
  echo "$name $version installed in $dest"
}

install jsonschema 4.26.0 "jsonschema, referencing" "jsonschema==4.26.0"
install moto 5.2.6 "moto.server, flask" "moto[server]==5.2.6"
