#!/usr/bin/env bash
# Builds the deployment zip the Terraform module takes by default:
#   target/lambda/ws-jwt-authorizer/bootstrap.zip
# or, with session-guard, the one the session guard submodule takes:
#   target/lambda/session-guard/bootstrap.zip
#
#   scripts/package-lambda.sh                      # the authorizer, arm64 (the module's default)
#   scripts/package-lambda.sh x86_64
#   scripts/package-lambda.sh arm64 session-guard  # the session guard
#
# Needs Python 3 (cargo-lambda and its zig come from PyPI into
# target/tools/venv when cargo-lambda is not installed) and rustup.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${1:-arm64}"
case "$arch" in
  arm64 | aarch64) arch_flag=--arm64 target=aarch64-unknown-linux-gnu ;;
  x86_64 | amd64) arch_flag=--x86-64 target=x86_64-unknown-linux-gnu ;;
  *) echo "usage: $0 [arm64|x86_64] [ws-jwt-authorizer|session-guard]" >&2; exit 2 ;;
esac
# The authorizer builds OpenSSL in (the lambda feature, for josekit); the
# guard links no OpenSSL (the AWS SDK's rustls with aws-lc), and is built on
# its own, so that no feature of one reaches the other.
package="${2:-ws-jwt-authorizer}"
case "$package" in
  ws-jwt-authorizer) build_flags=(--features lambda) ;;
  session-guard) build_flags=(-p session-guard) ;;
  *) echo "usage: $0 [arm64|x86_64] [ws-jwt-authorizer|session-guard]" >&2; exit 2 ;;
esac

if ! command -v cargo-lambda >/dev/null 2>&1; then
  venv=target/tools/venv
  if [ ! -x "$venv/bin/cargo-lambda" ]; then
    echo "Installing cargo-lambda (and zig) from PyPI into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check cargo-lambda
  fi
  export PATH="$PWD/$venv/bin:$PATH"
fi
rustup target add "$target" >/dev/null

cargo lambda build --release "$arch_flag" "${build_flags[@]}" --output-format zip

target_dir="${CARGO_TARGET_DIR:-target}"
zip="target/lambda/$package/bootstrap.zip"
binary="$target_dir/$target/release/$package"
# With CARGO_TARGET_DIR elsewhere, the zip is copied to where the Terraform
# modules look by default.
if [ "$(realpath -m "$target_dir")" != "$(realpath -m target)" ]; then
  mkdir -p "target/lambda/$package"
  cp "$target_dir/lambda/$package/bootstrap.zip" "$zip"
fi
echo "Built $zip for $arch:"
echo "  zip:    $(stat -c %s "$zip") bytes"
[ -f "$binary" ] && echo "  binary: $(stat -c %s "$binary") bytes (stripped)"
