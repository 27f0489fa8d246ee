#!/usr/bin/env bash
# Prints one hash of every file that decides how the compose stack is built and run. deploy/smoke.sh
# records it in deploy/smoke-proven when it passes; scripts/test runs the smoke test again whenever
# the files no longer match what was proven.
set -euo pipefail
cd "$(dirname "$0")/.."
{ find deploy -type f ! -name smoke-proven ! -path "*/__pycache__/*" -print; echo docker-compose.yml; echo .dockerignore; } \
  | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
