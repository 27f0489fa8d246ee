# Sourced by deploy/compose.sh, deploy/offline-images.sh and deploy/smoke.sh: picks the container
# engine and its compose command, installing and configuring podman from Debian's packages when
# there is neither, and builds the image.
# shellcheck shell=bash

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# say, as_root, apt_install: the same helpers as scripts/run and scripts/test.
source "$repo_root/scripts/lib.sh"

# Podman from Debian's packages needs runc (its crun lacks what these kernels offer) and no default
# ulimits (an unprivileged host refuses to raise them). Written only when no config exists.
configure_podman() {
  local conf=/etc/containers/containers.conf
  [ -e "$conf" ] && return
  say "writing $conf (runtime runc, no default ulimits)"
  as_root mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' | as_root tee "$conf" >/dev/null
}

# Sets ENGINE (docker or podman) and COMPOSE (the compose command, as an array). Docker's compose
# plugin when a Docker engine answers; otherwise podman with podman-compose 1.2 or newer (Debian
# 12's 1.0.3 has no profiles and no --scale), from PyPI into .run/compose-venv when the system's is
# older.
pick_engine() {
  if command -v docker >/dev/null && docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    ENGINE=docker
    COMPOSE=(docker compose)
    return
  fi
  if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
    say "installing podman and runc (Debian's packages; or install Docker with compose)"
    apt_install podman runc
  fi
  configure_podman
  ENGINE=podman
  if command -v podman-compose >/dev/null && podman_compose_recent podman-compose; then
    COMPOSE=(podman-compose)
    return
  fi
  local venv=$repo_root/.run/compose-venv
  if ! podman_compose_recent "$venv/bin/podman-compose"; then
    say "installing podman-compose (PyPI) into .run/compose-venv"
    python3 -m venv "$venv" >/dev/null 2>&1 || {
      apt_install python3-venv
      python3 -m venv "$venv"
    }
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'podman-compose>=1.2,<2'
  fi
  COMPOSE=("$venv/bin/podman-compose")
}

podman_compose_recent() {
  local version
  version=$("$1" version 2>/dev/null | sed -nE 's/^podman-compose version ([0-9.]+).*/\1/p')
  [ -n "$version" ] && printf '1.2\n%s\n' "$version" | sort -V -C
}

image_exists() {
  "$ENGINE" image inspect "$1" >/dev/null 2>&1
}

# The Rust version of the build image: this host's toolchain (major.minor) when there is one, as
# offline-images.sh makes the build image from it; otherwise the Dockerfile's default.
rust_version() {
  if command -v rustc >/dev/null; then
    rustc --version | sed -E 's/^rustc ([0-9]+\.[0-9]+).*/\1/'
  else
    sed -nE 's/^ARG RUST_VERSION=(.*)/\1/p' "$repo_root/deploy/Dockerfile"
  fi
}

# Builds sora-relay:local from the checkout, its output in the file $1. Podman here means no
# registry: the base images come from deploy/offline-images.sh where they cannot be pulled, and
# crates from the host's cargo registry.
build_image() {
  local log=$1 root=$repo_root
  if [ "$ENGINE" = podman ]; then
    "$root/deploy/offline-images.sh" || return 1
    command -v cargo >/dev/null || {
      echo "cargo is needed to fetch the crates for an offline build (scripts/test installs it)" >&2
      return 1
    }
    (cd "$root" && cargo fetch --locked --quiet) || return 1
    (cd "$root" && podman build -f deploy/Dockerfile -t sora-relay:local --pull=never \
      --build-arg RUST_VERSION="$(rust_version)" --env CARGO_NET_OFFLINE=true \
      -v "${CARGO_HOME:-$HOME/.cargo}/registry:/usr/local/cargo/registry:O" . >"$log" 2>&1)
  else
    (cd "$root" && docker build -f deploy/Dockerfile -t sora-relay:local \
      --build-arg RUST_VERSION="$(rust_version)" . >"$log" 2>&1)
  fi
}
