#!/usr/bin/env bash
# The second of the two commands: on a fresh Debian or Ubuntu machine (as root), installs what the
# tests need (Podman, a local registry, Chromium; see install-podman.sh), the npm dependencies
# exactly as locked, and runs the whole suite (`npm test`). CI runs this too (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-podman.sh
npm ci --no-audit --no-fund
npm test
