#!/usr/bin/env bash
# KMS-signed tokens end to end (#29.4): the compiled authorizer behind the
# Runtime API emulator against moto in server mode on 127.0.0.1, with keys
# made by CreateKey, tokens signed by KMS Sign (boto3, in moto's venv:
# scripts/kms-fixture.py) and every GetPublicKey signature checked by moto.
# Starts and stops moto itself; prints cargo test's result lines.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/moto-server.sh
start_moto "target/kms-test"

# --workspace as in scripts/test.sh: the same features, so nothing is built
# twice.
MOTO_PYTHON="$PWD/target/tools/moto/bin/python" \
  cargo test --color never --workspace --test binary kms_end_to_end_against_moto -- --ignored
