#!/usr/bin/env bash
# The session guard end to end against emulators: moto in server mode on
# 127.0.0.1 (EventBridge Scheduler) and the local gateway (its @connections
# Management API and access log). Starts and stops moto itself; prints
# cargo test's result lines.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
# --workspace as in scripts/test.sh: the same features, so nothing is built
# twice.
cargo build --quiet --workspace --example local-gateway

source scripts/moto-server.sh
start_moto "target/guard-test"

SESSION_GUARD_LOCAL_GATEWAY="$target_dir/debug/examples/local-gateway" \
  cargo test --color never --workspace --test emulated -- --ignored
