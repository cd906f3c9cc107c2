#!/usr/bin/env bash
# Builds the deployment zip the Terraform module takes by default:
#   target/lambda/ws-jwt-authorizer/bootstrap.zip
#
#   scripts/package-lambda.sh            # arm64 (the module's default)
#   scripts/package-lambda.sh x86_64
#
# Needs Python 3 (cargo-lambda and its zig come from PyPI into
# target/tools/venv when cargo-lambda is not installed) and rustup.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${1:-arm64}"
case "$arch" in
  arm64 | aarch64) arch_flag=--arm64 target=aarch64-unknown-linux-gnu ;;
  x86_64 | amd64) arch_flag=--x86-64 target=x86_64-unknown-linux-gnu ;;
  *) echo "usage: $0 [arm64|x86_64]" >&2; exit 2 ;;
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

cargo lambda build --release "$arch_flag" --features lambda --output-format zip

zip=target/lambda/ws-jwt-authorizer/bootstrap.zip
binary="target/$target/release/ws-jwt-authorizer"
echo "Built $zip for $arch:"
echo "  zip:    $(stat -c %s "$zip") bytes"
[ -f "$binary" ] && echo "  binary: $(stat -c %s "$binary") bytes (stripped)"
