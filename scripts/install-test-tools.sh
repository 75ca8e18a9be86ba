#!/usr/bin/env bash
# Test-only: python-jsonschema, the independent validator with which test/spec/editor-schemas.test.ts
# reads every shipped spec through the published schemas as an editor does. Installed with its
# dependencies (referencing, rpds-py, attrs ...) into .tools/jsonschema/site, never into the system's
# Python; the test puts that folder on PYTHONPATH. Without it the test is skipped, visibly (in CI,
# where MMADA_REQUIRE_JSONSCHEMA=1, it fails instead). Never used by the product.
set -euo pipefail
cd "$(dirname "$0")/.."
JSONSCHEMA_VERSION="4.26.0"
dest=".tools/jsonschema"
py=$(command -v python3 || command -v python || true)
if [ -z "$py" ]; then echo "error: python3 with pip is needed to install python-jsonschema for the editor-schema test" >&2; exit 1; fi
if [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$JSONSCHEMA_VERSION" ] && PYTHONPATH="$dest/site" "$py" -c "import jsonschema, referencing" 2>/dev/null; then
  exit 0
fi
rm -rf "$dest" && mkdir -p "$dest"
"$py" -m pip install --quiet --disable-pip-version-check --target "$dest/site" "jsonschema==$JSONSCHEMA_VERSION"
PYTHONPATH="$dest/site" "$py" -c "import jsonschema, referencing"
echo "$JSONSCHEMA_VERSION" > "$dest/VERSION"
echo "python-jsonschema $JSONSCHEMA_VERSION installed in $dest"
