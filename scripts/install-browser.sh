#!/usr/bin/env bash
# The browser of the UI tests (test/ui/): Debian's chromium, driven by playwright-core. Playwright's
# own browser download is not used (it fetches from a CDN; the package registries are what CI reaches).
# Idempotent: does nothing when a chromium is already there (CHROMIUM_PATH, or chromium on PATH).
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: no chromium and no apt-get to install it; install Chromium and set CHROMIUM_PATH to its binary" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "error: installing chromium needs root (apt-get); run 'apt-get install chromium' as root, or set CHROMIUM_PATH" >&2
    exit 1
  fi
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium installed: $(chromium --version)"
