# Shared by scripts/run and scripts/test: install what a fresh Debian/Ubuntu machine lacks.
# shellcheck shell=bash

# Bold only for a person at a terminal (and not with NO_COLOR), like the binaries' logs.
say() {
  if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\033[1m==> %s\033[0m\n' "$*"; else printf '==> %s\n' "$*"; fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
  command -v apt-get >/dev/null || {
    echo "missing: $* — install it with your package manager and run again" >&2
    exit 1
  }
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Rust 1.88 or newer (the workspace's rust-version). Debian's own cargo is older, so rustup it is.
need_rust() {
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null; then
    say "installing Rust with rustup"
    command -v curl >/dev/null || apt_install curl ca-certificates
    command -v cc >/dev/null || apt_install build-essential
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cc >/dev/null || apt_install build-essential
}

need_redis() {
  command -v redis-server >/dev/null || { say "installing redis-server"; apt_install redis-server; }
}

# A PyPI tool in a venv of its own, so the system Python stays untouched: `.run/VENV`, a link to
# a venv in the user's cache named by the requirement, so that every checkout on this machine (a
# clean clone for CI included) installs each pinned tool once:
#   need_venv_tool VENV PROGRAM WHAT REQUIREMENT
need_venv_tool() {
  local link=".run/$1"
  [ -x "$link/bin/$2" ] && return
  local pin
  pin=$(printf '%s' "$4" | sha256sum | cut -c1-12)
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/sora-relay/venvs/$1-$pin"
  if [ ! -x "$venv/bin/$2" ]; then
    command -v python3 >/dev/null || apt_install python3
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >/dev/null 2>&1 || { apt_install python3-venv; python3 -m venv "$venv"; }
    say "installing $3"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$4" || { rm -rf "$venv"; return 1; }
  fi
  mkdir -p .run
  rm -rf "$link"
  ln -s "$venv" "$link"
}

# schemathesis drives the API fuzz test from the OpenAPI document.
need_schemathesis() {
  need_venv_tool fuzz-venv st "schemathesis (the API fuzz test)" 'schemathesis>=4.32,<5'
}

# A real LiteLLM proxy for the gateway test (e2e/tests/gateway.rs). 1.106.12: the newest release
# whose proxy extras all resolve on PyPI as this machine reaches it (1.108.12+ pin packages it lacks).
# moto in server mode: a real S3-compatible server for the custody tests (e2e/src/s3.rs).
need_moto() {
  need_venv_tool moto-venv moto_server "moto (an S3-compatible server, for the custody tests)" 'moto[server]>=5.1,<6'
}

need_litellm() {
  need_venv_tool litellm-venv litellm "the LiteLLM proxy (the gateway test)" 'litellm[proxy]==1.106.12'
}
