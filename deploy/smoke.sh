#!/usr/bin/env bash
# The deployment smoke test: builds the image from this checkout, runs docker-compose.yml (docker
# compose, or podman-compose) with the simulator, 3 workers and Prometheus, drives jobs through the published
# API port as a client would, restarts one worker (gracefully) and kills and restarts Redis mid-run,
# and checks that every job completes and every job's webhooks arrive signed. Then tears it all
# down (containers, network, volume) and prints what it did, how long each step took, and a
# verdict.
#
#   deploy/smoke.sh [--jobs N] [--keep]     # N jobs in all (default 60); --keep leaves it running
#
# Installs what a fresh Debian machine lacks (podman, runc, podman-compose); makes the base images
# with deploy/offline-images.sh when they cannot be pulled. Uses its own compose project name and
# free ports, so it never touches a stack you run yourself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source deploy/engine.sh

jobs=60
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    *) echo "usage: deploy/smoke.sh [--jobs N] [--keep]" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
timings=()
step_started=$started
step() { # records how long the previous step took, then announces the next one
  local now
  now=$(date +%s)
  [ -n "${step_name:-}" ] && timings+=("$(printf '%-44s %4ss' "$step_name" $((now - step_started)))")
  step_name=$1
  step_started=$now
  say "$1"
}
verdict=failed
finish() {
  local rc=$?
  [ -n "${step_name:-}" ] && step "done"
  if [ -n "${COMPOSE+x}" ] && [ -n "${envfile:-}" ] && ! $keep; then
    say "tearing down (containers, network, volume)"
    teardown
  fi
  [ -n "${work:-}" ] && rm -rf "$work"
  printf '\n'
  for t in "${timings[@]}"; do printf '    %s\n' "$t"; done
  printf '    %-44s %4ss\n' "total" $(($(date +%s) - started))
  # Coloured only at a terminal, as scripts/lib.sh's `say`: plain in CI logs and files.
  local green='' red='' plain=''
  if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then green='\033[1;32m' red='\033[1;31m' plain='\033[0m'; fi
  if [ "$rc" -eq 0 ] && [ "$verdict" = passed ]; then
    printf "\n${green}SMOKE TEST PASSED${plain}: %s\n" "$summary"
  else
    printf "\n${red}SMOKE TEST FAILED${plain} (exit %s)%s\n" "$rc" "${failure:+: $failure}"
    [ "$rc" -eq 0 ] && rc=1
  fi
  exit "$rc"
}
trap finish EXIT

step "engine"
pick_engine
echo "    $ENGINE with ${COMPOSE[*]##*/}"
work=$(mktemp -d "${TMPDIR:-/tmp}/sora-relay-smoke.XXXXXX")

step "base images and the image sora-relay:local"
build_image "$work/build.log" || { tail -30 "$work/build.log"; failure="image build failed"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
sim_port=$(free_port)
prometheus_port=$(free_port)
admin_key="smoke-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret="smoke-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
envfile=$work/smoke.env
# Fast simulated videos and polling, so the run takes seconds; everything else as shipped.
cat >"$envfile" <<EOF
PORT=$api_port
SIM_PORT=$sim_port
PROMETHEUS_PORT=$prometheus_port
AUTH=on
ADMIN_API_KEY=$admin_key
WEBHOOK_SECRET=$secret
SIM_QUEUED_MS=500
SIM_RUNNING_MS=6000
POLL_INITIAL_INTERVAL_MS=1000
POLL_MAX_INTERVAL_MS=2000
WEBHOOK_RETRY_INITIAL_MS=500
TENANT_RATE_PER_MIN=100000
TENANT_RATE_BURST=1000
WORKER_REPLICAS=3
RUST_LOG=info
PUBLIC_BASE_URL=http://127.0.0.1:$api_port
CONTENT_LINK_SECRET=$secret-links
EOF
project=(-p sora-relay-smoke --env-file "$envfile" --profile sim --profile metrics)
api=http://127.0.0.1:$api_port
sink=http://127.0.0.1:$sim_port
client() { python3 deploy/smoke_client.py "$@"; }
teardown() {
  "${COMPOSE[@]}" "${project[@]}" down -v >/dev/null 2>&1 || true
  # Whatever compose did not know of (a run interrupted while scaling): by the project's label.
  local left
  left=$("$ENGINE" ps -aq --filter label=com.docker.compose.project=sora-relay-smoke)
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    "$ENGINE" rm -f $left >/dev/null 2>&1 || true
    "${COMPOSE[@]}" "${project[@]}" down -v >/dev/null 2>&1 || true
  fi
  if [ -n "$("$ENGINE" ps -aq --filter label=com.docker.compose.project=sora-relay-smoke)" ] \
    || "$ENGINE" volume inspect sora-relay-smoke_redis-data >/dev/null 2>&1; then
    echo "    left behind: $("$ENGINE" ps -a --filter label=com.docker.compose.project=sora-relay-smoke --format '{{.Names}}' | tr '\n' ' ') (remove by hand)"
  else
    echo "    no container, network or volume of the project is left"
  fi
}
containers_of() { # the running containers of one service
  "$ENGINE" ps --filter label=com.docker.compose.project=sora-relay-smoke \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | sort
}

step "starting redis, api, sim and 3 workers"
teardown >/dev/null
"${COMPOSE[@]}" "${project[@]}" up -d --no-build --scale worker=3 >"$work/up.log" 2>&1 \
  || { tail -30 "$work/up.log"; failure="compose up failed"; exit 1; }
for _ in $(seq 1 120); do
  curl -fsS "$api/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "$api/readyz" >/dev/null || { failure="the API never became ready"; exit 1; }
workers=$(containers_of worker | wc -l)
echo "    API ready on :$api_port; $workers workers running: $(containers_of worker | tr '\n' ' ')"
[ "$workers" -eq 3 ] || { failure="expected 3 workers, found $workers"; exit 1; }

step "health checks of redis and the api"
# Run by hand: podman runs health checks on systemd timers, which a host without systemd lacks.
for service in redis api; do
  ctr=$(containers_of "$service")
  healthy=false
  for _ in $(seq 1 30); do
    if [ "$ENGINE" = podman ]; then
      podman healthcheck run "$ctr" >/dev/null 2>&1 && healthy=true
    else
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$ctr")" = healthy ] && healthy=true
    fi
    $healthy && break
    sleep 1
  done
  $healthy || { failure="$service's health check does not pass"; exit 1; }
  echo "    $ctr: healthy"
done

step "a tenant, and the first third of the jobs"
key=$(client tenant --api "$api" --admin-key "$admin_key")
third=$((jobs / 3))
client submit --api "$api" --key "$key" --count "$third" --tag first >"$work/first.ids"
client started --api "$api" --key "$key" --ids "$work/first.ids" --at-least 1 | sed 's/^/    /'

step "restarting one worker mid-run"
victim=$(containers_of worker | head -1)
seconds_since() { python3 -c "print(f'{$(date +%s.%N) - $1:.1f}')"; }
stop_began=$(date +%s.%N)
"$ENGINE" stop "$victim" >/dev/null 2>"$work/restart.log"
stop_took=$(seconds_since "$stop_began")
start_began=$(date +%s.%N)
"$ENGINE" start "$victim" >/dev/null 2>>"$work/restart.log"
start_took=$(seconds_since "$start_began")
# A graceful stop hands the worker's claims back at once; a worker killed after the stop timeout
# would leave its jobs to wait out their leases.
"$ENGINE" logs "$victim" >"$work/victim.log" 2>&1 || true
grep -q "worker .* stopped" "$work/victim.log" || { cat "$work/restart.log"; failure="$victim did not stop gracefully on SIGTERM"; exit 1; }
echo "    restarted $victim (stopped in ${stop_took}s, started in ${start_took}s): it stopped gracefully and is polling again"
grep -E "stop requested|stopped|in-flight" "$work/victim.log" | sed 's/^/      /' | cut -c1-140
client submit --api "$api" --key "$key" --count "$third" --tag second >"$work/second.ids"

step "killing Redis (SIGKILL) and starting it again"
redis=$(containers_of redis)
client started --api "$api" --key "$key" --ids "$work/second.ids" --at-least 1 | sed 's/^/    /'
# Jobs go on being submitted while Redis is down: the client retries 503s as any client would.
client submit --api "$api" --key "$key" --count $((jobs - 2 * third)) --tag third \
  >"$work/third.ids" 2>"$work/third.err" &
submitting=$!
"$ENGINE" kill --signal KILL "$redis" >/dev/null
sleep 2
# (podman without systemd says here that it cannot schedule the health check: see above.)
"$ENGINE" start "$redis" >/dev/null 2>>"$work/engine.log"
echo "    killed and restarted $redis; submissions meanwhile retried"
wait "$submitting" || { cat "$work/third.err"; failure="submissions across the Redis restart failed"; exit 1; }
sed 's/^/    /' "$work/third.err"

step "waiting for every job and its webhooks"
report=$(client verify --api "$api" --key "$key" --sink "$sink" --secret "$secret" \
  --ids "$work/first.ids" "$work/second.ids" "$work/third.ids" 2>&1) || {
  echo "$report" | sed 's/^/    /'
  failure=$(echo "$report" | tail -1)
  "${COMPOSE[@]}" "${project[@]}" logs --tail 20 >"$work/logs.txt" 2>&1 || true
  tail -60 "$work/logs.txt"
  exit 1
}
echo "$report" | sed 's/^/    /'
step "a kept video, played from its signed link without a key"
first_id=$(head -1 "$work/first.ids")
view=$(curl -fsS -H "Authorization: Bearer $admin_key" "$api/api/videos/status/$first_id")
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])" <<<"$view"; }
link=$(field videoUrl)
want=$(field contentSha256)
curl -fsS -o "$work/video.mp4" "$link" || { failure="the signed link did not serve the video"; exit 1; }
got=$(sha256sum "$work/video.mp4" | cut -d' ' -f1)
[ "$got" = "$want" ] || { failure="the served video's sha256 ($got) is not the job's ($want)"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-3' "$link")
[ "$code" = 206 ] || { failure="a range of the kept video answered $code"; exit 1; }
echo "    $first_id: $(stat -c %s "$work/video.mp4") bytes, sha256 matches, a range answers 206"
echo "    (kept in the content volume by a worker container, served by the API's)"
stats=$(curl -fsS -H "Authorization: Bearer $admin_key" "$api/api/sora/stats")
echo "    stats: $stats"

step "Prometheus finds the API and the 3 workers and agrees with the stats"
completed=$(python3 -c "import json, sys; print(json.load(sys.stdin)['completed_jobs'])" <<<"$stats")
# One number from an instant query (empty while the query yields nothing).
promql() {
  curl -fsS --get "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null \
    | python3 -c "import json, sys; r = json.load(sys.stdin)['data']['result']; print(r[0]['value'][1] if r else '')"
}
found=false
for _ in $(seq 1 90); do
  if [ "$(promql 'count(up{job="relay-worker"} == 1)')" = 3 ] \
    && [ "$(promql 'count(up{job="relay-api"} == 1)')" = 1 ] \
    && [ "$(promql 'max(relay_jobs{status="completed"})')" = "$completed" ]; then
    found=true
    break
  fi
  sleep 2
done
$found || { failure="Prometheus did not find 3 workers and $completed completed jobs (workers up: $(promql 'count(up{job="relay-worker"} == 1)'), completed: $(promql 'max(relay_jobs{status="completed"})'))"; exit 1; }
echo "    3 workers and the API found by DNS; relay_jobs{status=\"completed\"} = $completed, as the stats say"
echo "    jobs submitted, summed over the workers: $(promql 'sum(relay_jobs_submitted_total)')"
summary="$jobs jobs through 3 workers, a worker restart and a Redis kill: all completed, all webhooks signed, a kept video served, Prometheus agrees"
verdict=passed
# What was proven: scripts/test runs this again only when these files change.
deploy/fingerprint.sh >deploy/smoke-proven
