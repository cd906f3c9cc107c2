#!/usr/bin/env bash
# CI's packaging check: builds the x86_64 Lambda package with
# scripts/package-lambda.sh and checks that it holds a `bootstrap` that needs
# nothing but glibc (OpenSSL is built in). Prints "package: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0

check() { # NAME COMMAND...
  local name="$1"; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

bash scripts/package-lambda.sh x86_64
zip=target/lambda/ws-jwt-authorizer/bootstrap.zip
binary=target/x86_64-unknown-linux-gnu/release/ws-jwt-authorizer

check "the zip holds bootstrap" python3 -c "import sys, zipfile; sys.exit('bootstrap' not in zipfile.ZipFile('$zip').namelist())"
only_glibc() {
  local needed
  needed=$(objdump -p "$binary" | awk '/NEEDED/ { print $2 }')
  echo "shared libraries needed: $(echo $needed)"
  ! grep -qvE '^(libc|libm|libpthread|libdl|librt|ld-linux[-a-z0-9_]*)\.so' <<<"$needed"
}
check "the binary needs only glibc (no libssl, no libcrypto)" only_glibc

echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
