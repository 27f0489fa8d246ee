#!/usr/bin/env bash
# docker-compose.yml on any host: docker compose where a Docker engine runs, otherwise podman with
# podman-compose (installed when missing). Before `up`, builds the image sora-relay:local from
# this checkout, offline where no registry answers (deploy/offline-images.sh). Every argument goes
# to compose, from the repository's root (so .env there is read):
#
#   deploy/compose.sh --profile sim up -d --scale worker=3
#   deploy/compose.sh --profile sim down
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/deploy/engine.sh"
pick_engine
if [[ " $* " == *" up "* ]]; then
  log=$(mktemp)
  say "building sora-relay:local ($ENGINE)"
  build_image "$log" || { tail -30 "$log"; rm -f "$log"; exit 1; }
  rm -f "$log"
fi
cd "$root"
exec "${COMPOSE[@]}" "$@"
