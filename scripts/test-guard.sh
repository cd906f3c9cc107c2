#!/usr/bin/env bash
# The session guard end to end against emulators: moto in server mode on
# 127.0.0.1 (EventBridge Scheduler) and the local gateway (its @connections
# Management API and access log). Starts and stops moto itself; prints
# cargo test's result lines.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-moto.sh
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
# --workspace as in scripts/test.sh: the same features, so nothing is built
# twice.
cargo build --quiet --workspace --example local-gateway

work="target/guard-test"
mkdir -p "$work"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
target/tools/moto/bin/python -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("moto did not answer within 60 s (see target/guard-test/moto.log)")
PY

MOTO_URL="http://127.0.0.1:$port" \
SESSION_GUARD_LOCAL_GATEWAY="$target_dir/debug/examples/local-gateway" \
  cargo test --color never --workspace --test emulated -- --ignored
