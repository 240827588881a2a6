#!/usr/bin/env bash
# Installs Podman and what the test suite needs, then makes sure a plain `podman run` works.
# Idempotent: it installs only what is missing and writes configuration only where a plain run fails.
# --runtime installs only what serving needs (no local registry, no browser), for scripts/serve.sh.
# Messages go to stderr: scripts/serve.sh runs this before the MCP server, whose stdout is the protocol.
set -euo pipefail
exec 1>&2
runtime_only=false
[ "${1:-}" = "--runtime" ] && runtime_only=true

need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
[ -x /usr/lib/podman/netavark ] || command -v netavark >/dev/null || need+=(netavark aardvark-dns)
command -v iptables >/dev/null || need+=(iptables)
command -v catatonit >/dev/null || [ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
# Test images copy /bin/busybox alone into an image, so it must be the static build.
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
if [ "$runtime_only" = false ]; then
  # The push/pull tests use a local registry, and the dashboard test drives a real headless browser.
  command -v docker-registry >/dev/null || need+=(docker-registry)
  command -v chromium >/dev/null || need+=(chromium)
fi

if [ "${#need[@]}" -gt 0 ]; then
  echo "install-podman: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian package starts a registry service where systemd runs; the tests start their own.
command -v systemctl >/dev/null && systemctl disable --now docker-registry >/dev/null 2>&1 || true

probe() {
  local img=mcp-podman-probe:latest
  if ! podman image exists "$img"; then
    local dir; dir=$(mktemp -d)
    mkdir -p "$dir/bin"
    cp /bin/busybox "$dir/bin/busybox"
    ln -s busybox "$dir/bin/true"
    tar -C "$dir" -cf - . | podman import --change 'ENV PATH=/bin' - "$img" >/dev/null
    rm -rf "$dir"
  fi
  podman run --rm "$img" /bin/true >/dev/null 2>&1
}

if probe; then
  echo "install-podman: podman run works as configured"
else
  # Measured on the sandboxes this project is built on: crun fails on a hybrid cgroup tree, and
  # the default nofile rlimit cannot be raised without CAP_SYS_RESOURCE.
  echo "install-podman: plain podman run failed; writing a containers.conf drop-in (runc, pinned rlimits)"
  mkdir -p /etc/containers/containers.conf.d
  cat > /etc/containers/containers.conf.d/50-mcp-podman.conf <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
  probe || { echo "install-podman: podman run still fails:" >&2; podman run --rm mcp-podman-probe:latest /bin/true; exit 1; }
  echo "install-podman: podman run works with the drop-in"
fi
podman --version
