#!/usr/bin/env bash
# CI's packaging check: builds the Lambda package with
# scripts/package-lambda.sh (arm64, the module's default, or x86_64) and
# checks that it holds `bootstrap` at the zip's root with its run bit (Lambda
# runs exactly that file, and refuses a package without it), built for the
# architecture, needing nothing but glibc (AWS-LC, its one crypto library,
# is built in), and verifying a token of every algorithm (under qemu-user
# when built for another architecture). With session-guard, the same for the
# session guard's package (the last two checks are the authorizer's).
#
#   scripts/test-package.sh [arm64|x86_64] [ws-jwt-authorizer|session-guard]
#
# Prints "package: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0

check() { # NAME COMMAND...
  local name="$1"; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

arch="${1:-arm64}"
case "$arch" in
  arm64 | aarch64) target=aarch64-unknown-linux-gnu machine=AArch64 ;;
  x86_64 | amd64) target=x86_64-unknown-linux-gnu machine=X86-64 ;;
  *) echo "usage: $0 [arm64|x86_64] [ws-jwt-authorizer|session-guard]" >&2; exit 2 ;;
esac
package="${2:-ws-jwt-authorizer}"
bash scripts/package-lambda.sh "$arch" "$package" || { echo "FAILED: the package builds"; echo "package: $passed passed, 1 failed"; exit 1; }
zip="target/lambda/$package/bootstrap.zip"
binary="${CARGO_TARGET_DIR:-target}/$target/release/$package"

bootstrap_at_the_root_and_executable() {
  python3 - "$zip" <<'PY'
import stat, sys, zipfile
archive = zipfile.ZipFile(sys.argv[1])
info = archive.getinfo("bootstrap")  # KeyError: not at the root
mode = info.external_attr >> 16
print(f"bootstrap: {info.file_size} bytes, mode {stat.filemode(mode)}")
sys.exit(0 if mode & 0o111 else 1)
PY
}
check "the zip holds bootstrap at its root, executable" bootstrap_at_the_root_and_executable
built_for() {
  local header
  header=$(python3 -c "import sys; h=open('$binary','rb').read(20); print({183:'AArch64',62:'X86-64'}.get(int.from_bytes(h[18:20],'little'),'other'))")
  echo "machine: $header"
  [ "$header" = "$machine" ]
}
check "the binary is built for $arch" built_for
only_glibc() {
  local needed
  needed=$(objdump -p "$binary" | awk '/NEEDED/ { print $2 }')
  echo "shared libraries needed: $(echo $needed)"
  ! grep -qvE '^(libc|libm|libpthread|libdl|librt|ld-linux[-a-z0-9_]*)\.so' <<<"$needed"
}
check "the binary needs only glibc (no libssl, no libcrypto)" only_glibc
runs_as_lambda() {
  # The guard's binary, when built for this machine, must start as a Lambda
  # far enough to report a missing setting (not for another architecture).
  [ "$package" = session-guard ] || return 0
  [ "$(uname -m)" = "${target%%-*}" ] || { echo "(not run: built for $target)"; return 0; }
  local output
  output=$(env -i "$binary" --help 2>&1) || return 1
  grep -q "session-guard revoke --sub" <<<"$output"
}
check "the guard's binary runs here (--help)" runs_as_lambda
verifies_every_algorithm() {
  # The packaged binary itself verifies a token of each algorithm (AWS-LC,
  # as shipped) and refuses it with one character of its
  # signature changed: natively, or for arm64 on another machine under
  # qemu-user (installed from Debian when missing).
  local fixtures=testkit/fixtures/package run=() alg token tampered index output
  if [ "$(uname -m)" != "${target%%-*}" ]; then
    # Debian's C library for the package's architecture, for qemu's -L.
    local libc
    case "$arch" in arm64 | aarch64) libc=libc6-arm64-cross ;; *) libc=libc6-amd64-cross ;; esac
    if ! command -v "qemu-${target%%-*}" >/dev/null 2>&1 || [ ! -d "/usr/${target%%-unknown-*}-linux-gnu/lib" ]; then
      echo "installing Debian's qemu-user and $libc"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user "$libc" >/dev/null) ||
        { echo "apt-get install qemu-user $libc failed"; return 1; }
    fi
    run=("qemu-${target%%-*}" -L "/usr/${target%%-unknown-*}-linux-gnu")
  fi
  for alg in RS256 PS256 ES256 ES384 ES512 EdDSA; do
    token=$(cat "$fixtures/$alg.token")
    # A character in the middle of the signature (the last one may carry
    # only bits that decoding discards).
    index=$(( ${#token} - 20 ))
    tampered="${token:0:index}$([ "${token:index:1}" = Q ] && echo R || echo Q)${token:index+1}"
    for candidate in "$token" "$tampered"; do
      output=$(env -i JWKS_JSON="$(cat "$fixtures/jwks.json")" JWT_ISSUER=https://issuer.test \
        JWT_AUTHORIZED_AUDIENCES=api://websocket JWT_VERIFY_EXPIRATION=false \
        "${run[@]}" "$binary" explain --token "$candidate" 2>&1)
      if [ "$candidate" = "$token" ]; then
        grep -q 'Decision: allow (allowed)' <<<"$output" || { echo "$alg: not allowed"; echo "$output" | tail -3; return 1; }
      else
        grep -q 'Decision: unauthorized (bad_signature)' <<<"$output" || { echo "$alg tampered: not bad_signature"; echo "$output" | tail -3; return 1; }
      fi
    done
    echo "$alg: allowed, and refused with its signature changed (bad_signature)"
  done
}
[ "$package" = ws-jwt-authorizer ] &&
  check "it verifies every algorithm and refuses a changed signature" verifies_every_algorithm
one_crypto_library() {
  # Every crate leaves its source paths (panic locations) in the binary:
  # none of OpenSSL's, josekit's or ring's may be there, AWS-LC's must.
  # grep -c reads to the end: grep -q would stop early, and `strings`,
  # killed by SIGPIPE, would fail the pipeline under pipefail.
  local text
  text=$(strings "$binary")
  [ "$(grep -cE '/(openssl|openssl-sys|josekit|ring)-[0-9]' <<<"$text")" -eq 0 ] &&
    [ "$(grep -c '/aws-lc-rs-[0-9]' <<<"$text")" -gt 0 ]
}
[ "$package" = ws-jwt-authorizer ] &&
  check "AWS-LC is its one crypto library (no OpenSSL, josekit or ring)" one_crypto_library

echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
