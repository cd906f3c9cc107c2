#!/usr/bin/env bash
# The whole test suite (the README's test command; .ci/run runs it too):
# every Rust test of the workspace, the session guard against moto and the
# local gateway, KMS-signed tokens against moto, every client example
# against a local gateway, then the offline Terraform checks. Installs what
# it needs.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh || exit 1
mkdir -p target

# Every log the tests capture is kept here and checked at the end.
export TEST_LOG_ARCHIVE="$PWD/target/test-logs"
rm -rf "$TEST_LOG_ARCHIVE"

status=0
cargo test --workspace --color never 2>&1 | tee target/cargo-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

bash scripts/test-guard.sh 2>&1 | tee target/guard-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

bash scripts/test-kms.sh 2>&1 | tee target/kms-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

bash scripts/test-clients.sh 2>&1 | tee target/clients-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

bash scripts/test-terraform.sh 2>&1 | tee target/terraform-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# No token, signature or key in any captured log; decision lines as documented.
python3 scripts/check-logs.py "$TEST_LOG_ARCHIVE" 2>&1 | tee target/logs-test.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# One closing line for the whole suite.
awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
  /^(terraform|clients|logs): [0-9]+ passed/ { p += $2; f += $4; s += $6 }
  END { printf "all: %d passed, %d failed, %d skipped\n", p, f, s }
' target/cargo-test.log target/guard-test.log target/kms-test.log target/clients-test.log target/terraform-test.log target/logs-test.log
exit "$status"
