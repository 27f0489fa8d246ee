#!/usr/bin/env bash
# Makes the base images that deploy/Dockerfile and docker-compose.yml start from, on a host that
# cannot pull them from a registry (air-gapped, or a mirror-only network):
#
#   debian:bookworm-slim          debootstrap --variant=minbase bookworm, imported as an image
#   rust:<x.y>-slim-bookworm      that base + gcc, libc6-dev, pkg-config and this host's Rust
#                                 toolchain (x.y is its version; build with --build-arg RUST_VERSION=x.y)
#   redis:7-bookworm              that base + Debian's redis-server 7
#   prom/prometheus:v2.53.3       that base + Debian's prometheus (2.42: the same configuration
#                                 and rule language; the compose file's `metrics` profile)
#
# Each image that already exists, or that can be pulled, is left alone. The images carry the names
# of the official ones so that the Dockerfile and the compose file work unchanged; `--force` remakes
# them. Needs root (debootstrap), Debian's package mirror, and podman or docker.
#
#   deploy/offline-images.sh [--force]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/engine.sh"

force=false
[ "${1:-}" = "--force" ] && force=true
pick_engine

debian=docker.io/library/debian:bookworm-slim
rust=docker.io/library/rust:$(rust_version)-slim-bookworm
redis=docker.io/library/redis:7-bookworm
prometheus=docker.io/prom/prometheus:v2.53.3

work=$(mktemp -d "${TMPDIR:-/tmp}/offline-images.XXXXXX")
trap 'as_root rm -rf "$work"' EXIT

# True when the image is there, or could be pulled (quickly: an air-gapped pull fails at once or
# hangs on DNS, so it gets 30 seconds).
have() {
  $force && return 1
  image_exists "$1" && return 0
  timeout 30 "$ENGINE" pull -q "$1" >/dev/null 2>&1
}

# Runs a step with its output in the work folder, shown only when it fails.
quietly() {
  "$@" >"$work/step.log" 2>&1 || {
    tail -20 "$work/step.log" >&2
    exit 1
  }
}

build() { # tag, context dir
  quietly "$ENGINE" build --pull=never -t "$1" "$2"
}

if have "$debian"; then
  say "$debian: present"
else
  command -v debootstrap >/dev/null || {
    say "installing debootstrap"
    apt_install debootstrap
  }
  say "$debian: debootstrap --variant=minbase bookworm (about a minute)"
  quietly as_root debootstrap --variant=minbase bookworm "$work/rootfs"
  # Like the official slim image: no package lists or caches left behind.
  as_root rm -rf "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/var/cache/apt/*.bin
  as_root tar -C "$work/rootfs" -c . >"$work/rootfs.tar"
  quietly "$ENGINE" import "$work/rootfs.tar" "$debian"
fi

if have "$rust"; then
  say "$rust: present"
else
  command -v rustc >/dev/null || {
    echo "no Rust toolchain on this host to put in $rust (scripts/test installs one)" >&2
    exit 1
  }
  say "$rust: the base + gcc, libc6-dev, pkg-config + this host's $(rustc --version | cut -d' ' -f1-2)"
  mkdir -p "$work/rust/toolchain"
  sysroot=$(rustc --print sysroot)
  # The compiler and the standard library; not the documentation (most of a toolchain's size).
  for part in bin lib libexec; do
    [ -d "$sysroot/$part" ] && cp -a "$sysroot/$part" "$work/rust/toolchain/"
  done
  cat >"$work/rust/Containerfile" <<CONTAINERFILE
FROM $debian
RUN apt-get update \\
 && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY toolchain /usr/local/rust
ENV CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/rust/bin:\$PATH
RUN mkdir -p /usr/local/cargo/bin && cargo --version && rustc --version
CONTAINERFILE
  build "$rust" "$work/rust"
fi

if have "$redis"; then
  say "$redis: present"
else
  say "$redis: the base + Debian's redis-server"
  mkdir -p "$work/redis"
  # Like the official image: runs as `redis` in /data (where the append-only file goes).
  cat >"$work/redis/Containerfile" <<CONTAINERFILE
FROM $debian
RUN apt-get update \\
 && apt-get install -y --no-install-recommends redis-server \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
CONTAINERFILE
  build "$redis" "$work/redis"
fi

if have "$prometheus"; then
  say "$prometheus: present"
else
  say "$prometheus: the base + Debian's prometheus"
  mkdir -p "$work/prometheus"
  # Like the official image: runs as nobody, keeps its data in /prometheus, and takes only
  # flags as its command.
  cat >"$work/prometheus/Containerfile" <<CONTAINERFILE
FROM $debian
RUN apt-get update \\
 && apt-get install -y --no-install-recommends prometheus \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /prometheus && chown nobody:nogroup /prometheus
WORKDIR /prometheus
USER nobody
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
CONTAINERFILE
  build "$prometheus" "$work/prometheus"
fi

say "base images ready:"
"$ENGINE" images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E 'debian:bookworm-slim|rust:.*bookworm|redis:7-bookworm|prom/prometheus' | sed 's/^/    /'
