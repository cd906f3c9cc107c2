#!/usr/bin/env bash
# moto[server], pinned, from PyPI into target/tools/moto: the AWS API
# emulator of the Terraform apply cycle (scripts/moto-cycle.py) and of the
# session guard's end-to-end test (scripts/test-guard.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

moto_venv="target/tools/moto"
moto_version="5.2.5"
if ! "$moto_venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null; then
  echo "--- installing moto[server]==$moto_version from PyPI into $moto_venv"
  python3 -m venv "$moto_venv"
  "$moto_venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version"
fi
