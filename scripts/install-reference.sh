#!/usr/bin/env bash
# OPTIONAL: the PyTorch reference used by `npm run parity`, the parity test and `npm run bench:model`.
# Installs torch 2.13 (CPU) and numpy into .venv. Never used by the product's runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ] && .venv/bin/python -c "import torch, numpy" 2>/dev/null; then exit 0; fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy
echo "PyTorch reference installed in .venv ($(.venv/bin/python -c 'import torch; print(torch.__version__)'))"
