#!/usr/bin/env bash
# KMS-signed tokens end to end (#29.4): the compiled authorizer behind the
# Runtime API emulator against moto in server mode on 127.0.0.1, with keys
# made by CreateKey, tokens signed by KMS Sign (boto3, in moto's venv:
# scripts/kms-fixture.py) and every GetPublicKey signature checked by moto.
# Starts and stops moto itself; prints cargo test's result lines.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-moto.sh

work="target/kms-test"
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
sys.exit("moto did not answer within 60 s (see target/kms-test/moto.log)")
PY

# --workspace as in scripts/test.sh: the same features, so nothing is built
# twice.
MOTO_URL="http://127.0.0.1:$port" \
MOTO_PYTHON="$PWD/target/tools/moto/bin/python" \
  cargo test --color never --workspace --test binary kms_end_to_end_against_moto -- --ignored
