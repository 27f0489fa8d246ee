#!/usr/bin/env python3
"""The client side of deploy/smoke.sh: talks to the stack only through its published ports, as a
user's app would, with nothing but Python's standard library.

  smoke_client.py tenant  --api URL --admin-key KEY              -> prints a new tenant's API key
  smoke_client.py submit  --api URL --key KEY --count N --tag T  -> prints the accepted job ids
  smoke_client.py started --api URL --key KEY --ids FILE --at-least N
  smoke_client.py verify  --api URL --key KEY --ids FILE... --sink URL --secret S

`submit` retries what a careful client retries (connection errors, 429, 503), with an
Idempotency-Key per job so that a retry never creates a second job. `verify` waits for every job to
be final, then checks the webhooks the simulator's sink received: every job's `completed` webhook
is there, and every webhook carries valid signatures of both schemes, checked here with hmac.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
import uuid

FINAL = {"completed", "failed", "timeout"}


def call(method, url, key=None, body=None, headers=None, timeout=10):
    """One HTTP request; returns (status, parsed JSON or None, headers). Connection errors raise."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, response.headers
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return error.code, parsed, error.headers


def tenant(args):
    status, body, _ = call(
        "POST", f"{args.api}/api/admin/tenants", args.admin_key, {"name": "smoke-test"}
    )
    if status != 201 and status != 200:
        sys.exit(f"creating a tenant answered {status}: {body}")
    print(body["apiKey"])


def submit_one(args, n):
    """Submits one job, retrying through outages for up to --retry-secs; returns its id."""
    idempotency_key = str(uuid.uuid4())
    body = {
        "walletAddress": f"smoke-{args.tag}",
        "script": f"smoke test {args.tag} #{n}: a lighthouse at dawn",
        "renderVersion": "v3",
    }
    deadline = time.monotonic() + args.retry_secs
    last = None
    retries = -1
    while time.monotonic() < deadline:
        retries += 1
        try:
            status, answer, headers = call(
                "POST",
                f"{args.api}/api/generate",
                args.key,
                body,
                {"Idempotency-Key": idempotency_key},
            )
        except OSError as error:  # refused, reset, timed out: the API or its Redis is restarting
            last = f"connection error: {error}"
            time.sleep(0.5)
            continue
        if status == 202:
            return answer["jobId"], retries
        if status in (429, 503):
            last = f"{status} {answer}"
            time.sleep(min(float(headers.get("Retry-After") or 0.5), 2.0))
            continue
        sys.exit(f"submission {args.tag} #{n} refused: {status} {answer}")
    sys.exit(f"submission {args.tag} #{n} not accepted within {args.retry_secs}s: {last}")


def submit(args):
    retried = 0
    for n in range(args.count):
        job_id, retries = submit_one(args, n)
        retried += retries > 0
        print(job_id, flush=True)
    if retried:
        print(f"{retried} of {args.count} submissions were retried through an outage", file=sys.stderr)


def read_ids(files):
    ids = []
    for name in files:
        with open(name) as f:
            ids.extend(line.strip() for line in f if line.strip())
    return ids


def status_of(args, job_id):
    try:
        status, body, _ = call("GET", f"{args.api}/api/videos/status/{job_id}", args.key)
    except OSError:
        return None
    return body if status == 200 else None


def started(args):
    """Waits until at least N of the jobs have left `queued` (the run is under way)."""
    ids = read_ids([args.ids])
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        moving = sum(
            1 for j in ids if (s := status_of(args, j)) and s["status"] != "queued"
        )
        if moving >= args.at_least:
            print(f"{moving} of {len(ids)} jobs under way")
            return
        time.sleep(0.5)
    sys.exit(f"fewer than {args.at_least} jobs left `queued` within {args.timeout}s")


def signatures_valid(secret, webhook):
    """Both schemes, computed here: the original x-signature (hex HMAC-SHA256 of the body) and
    Standard Webhooks (base64 HMAC-SHA256 of "id.timestamp.body")."""
    key = secret.encode()
    body = webhook["body"].encode()
    headers = webhook["headers"]
    original = hmac.new(key, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(original, headers.get("x-signature", "")):
        return False
    signed = f'{headers.get("webhook-id", "")}.{headers.get("webhook-timestamp", "")}.'.encode() + body
    standard = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if "," in s]
    return any(hmac.compare_digest(standard, s) for s in offered)


def verify(args):
    ids = read_ids(args.ids)
    deadline = time.monotonic() + args.timeout
    statuses = {}
    while time.monotonic() < deadline:
        for job_id in ids:
            if statuses.get(job_id) not in FINAL:
                body = status_of(args, job_id)
                if body:
                    statuses[job_id] = body["status"]
        if all(statuses.get(j) in FINAL for j in ids):
            break
        time.sleep(1)
    counts = {}
    for job_id in ids:
        counts[statuses.get(job_id, "unknown")] = counts.get(statuses.get(job_id, "unknown"), 0) + 1
    print(f"jobs: {len(ids)} accepted; final statuses {json.dumps(counts, sort_keys=True)}")
    failures = []
    if counts.get("completed", 0) != len(ids):
        failures.append(f"{len(ids) - counts.get('completed', 0)} of {len(ids)} jobs did not complete")

    # The last webhooks may still be on their way when the last status turns final.
    wanted = set(ids)
    while True:
        _, sink, _ = call("GET", f"{args.sink}/sim/webhooks")
        parsed = [(w, json.loads(w["body"])) for w in sink["webhooks"]]
        parsed = [(w, event) for w, event in parsed if event.get("jobId") in wanted]
        webhooks = [w for w, _ in parsed]
        completed = {event["jobId"] for _, event in parsed if event["status"] == "completed"}
        if completed >= wanted or time.monotonic() > deadline:
            break
        time.sleep(1)
    invalid = [w for w in webhooks if not signatures_valid(args.secret, w)]
    events = {}
    for w in webhooks:
        events.setdefault(w["headers"].get("webhook-id"), 0)
        events[w["headers"].get("webhook-id")] += 1
    repeats = sum(n - 1 for n in events.values())
    print(
        f"webhooks: {len(webhooks)} received for these jobs ({len(events)} distinct events, "
        f"{repeats} repeated deliveries); {len(webhooks) - len(invalid)} with both signatures valid; "
        f"{len(completed)} of {len(ids)} jobs' `completed` webhook arrived"
    )
    if invalid:
        failures.append(f"{len(invalid)} webhooks with an invalid signature")
    if completed != wanted:
        failures.append(f"{len(wanted - completed)} jobs' `completed` webhook never arrived")
    if failures:
        sys.exit("; ".join(failures))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("tenant")
    p.add_argument("--api", required=True)
    p.add_argument("--admin-key", required=True)
    p.set_defaults(run=tenant)
    p = commands.add_parser("submit")
    p.add_argument("--api", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--retry-secs", type=float, default=90)
    p.set_defaults(run=submit)
    p = commands.add_parser("started")
    p.add_argument("--api", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--at-least", type=int, default=1)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=started)
    p = commands.add_parser("verify")
    p.add_argument("--api", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ids", required=True, nargs="+")
    p.add_argument("--sink", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--timeout", type=float, default=180)
    p.set_defaults(run=verify)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
