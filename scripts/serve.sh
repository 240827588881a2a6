#!/usr/bin/env bash
# The first of the two commands: on a fresh Debian or Ubuntu machine (as root), installs what
# serving needs when it is missing (Podman, the npm dependencies, the build), then runs the MCP
# server over stdio. Arguments go to `mcp-podman serve` (e.g. --transport http).
# stdout is the MCP channel, so everything the setup says goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  # Podman is set up once per machine (the install script is idempotent, but probes with a container).
  if ! command -v podman >/dev/null || ! podman info >/dev/null 2>&1; then
    bash scripts/install-podman.sh --runtime
  fi
  # The dependencies exactly as locked, when any is missing or does not match package.json.
  if [ ! -d node_modules ] || ! npm ls --depth=0 >/dev/null 2>&1; then
    npm ci --no-audit --no-fund
  fi
  # A build when there is none, or the sources are newer.
  if [ ! -f dist/cli/index.js ] || [ -n "$(find src -newer dist/cli/index.js -print -quit)" ]; then
    npm run build
  fi
} >&2
exec node dist/cli/index.js serve "$@"
