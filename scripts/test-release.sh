#!/usr/bin/env bash
# CI's release check: runs scripts/release.sh for Cargo.toml's version with
# the options given (by default all four packages), then checks dist/: the
# checksums verify, each zip holds only `bootstrap` (mode 0755, dated
# SOURCE_DATE_EPOCH) with the dependency list embedded (a .dep-v0 section)
# and no build path, and `bootstrap --help` runs (under qemu-user for
# another architecture, installed from Debian when missing); each SBOM is a
# CycloneDX document for its package, version and target. Also checks that
# release.sh refuses a version that is not Cargo.toml's.
#
#   scripts/test-release.sh [--only PACKAGE]... [--arch ARCH]...
#
# Prints "release: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
check() { # NAME COMMAND...
  local name="$1"; shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}
finish() { echo "release: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

version=$(cargo metadata --format-version 1 --no-deps --locked | python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "ws-jwt-authorizer"))')

refuses_another_version() {
  local output
  output=$(bash scripts/release.sh "$version-not" "$@" 2>&1) && return 1
  echo "$output" | tail -1
  grep -q "does not match" <<<"$output"
}
check "release.sh refuses a version that is not Cargo.toml's" refuses_another_version "$@"

start=$SECONDS
bash scripts/release.sh "$version" "$@" || { echo "FAILED: scripts/release.sh $version $*"; failed=$((failed + 1)); finish; }
echo "release.sh took $((SECONDS - start)) s"

checksums_verify() { (cd dist && sha256sum -c SHA256SUMS); }
check "sha256sum -c SHA256SUMS" checksums_verify

epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

zip_entry_fixed() { # ZIP: one entry, bootstrap, 0755, dated the epoch
  python3 - "$1" "$epoch" <<'PY'
import sys, time, zipfile
entries = zipfile.ZipFile(sys.argv[1]).infolist()
expected = time.gmtime(max(int(sys.argv[2]), 315532800))[:6]
names = [entry.filename for entry in entries]
mode = entries[0].external_attr >> 16
# DOS dates count seconds in twos.
when = entries[0].date_time
print(f"entries {names}, mode {oct(mode)}, dated {when}")
sys.exit(0 if names == ["bootstrap"] and mode == 0o100755 and when[:5] == expected[:5] and abs(when[5] - expected[5]) <= 1 else 1)
PY
}
dependency_list_embedded() { readelf -S -W "$1" | grep -q '\.dep-v0'; }
no_build_path() { # but OpenSSL's install directory, while it is built in (release.sh)
  local paths
  paths=$(grep -aoE "[^[:cntrl:]]*($PWD|${CARGO_HOME:-$HOME/.cargo}|${RUSTUP_HOME:-$HOME/.rustup})[^[:cntrl:]]*" "$1" | sort -u)
  [ -z "$paths" ] && return 0
  echo "$paths"
  ! grep -vqE "^$PWD/target/release-build/[a-z0-9_-]+/release/build/openssl-sys-[0-9a-f]+/out/openssl-build/install/lib/" <<<"$paths"
}
runs_help() { # BINARY ARCH PACKAGE
  local run=() output triple
  case "$2" in arm64) triple=aarch64 ;; x86_64) triple=x86_64 ;; esac
  if [ "$(uname -m)" != "$triple" ]; then
    local cross="/usr/$triple-linux-gnu" libc=libc6-arm64-cross
    [ "$triple" = x86_64 ] && libc=libc6-amd64-cross
    if ! command -v "qemu-$triple" >/dev/null 2>&1 || [ ! -d "$cross/lib" ]; then
      echo "installing Debian's qemu-user and $libc"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user "$libc" >/dev/null) || return 1
    fi
    run=("qemu-$triple" -L "$cross")
  fi
  output=$(env -i "${run[@]}" "$1" --help 2>&1) || { echo "$output" | tail -3; return 1; }
  echo "$output" | head -2
  case "$3" in
    ws-jwt-authorizer) grep -q "explain" <<<"$output" ;;
    session-guard) grep -q "session-guard revoke --sub" <<<"$output" ;;
  esac
}
sbom_describes() { # SBOM PACKAGE TRIPLE
  python3 - "$@" "$version" "$PWD" <<'PY'
import json, sys
path, package, triple, version, checkout = sys.argv[1:]
text = open(path).read()
sbom = json.loads(text)
component = sbom["metadata"]["component"]
properties = {p["name"]: p["value"] for p in sbom["metadata"].get("properties", [])}
print(f'{sbom["bomFormat"]} {sbom["specVersion"]}: {component["name"]} {component["version"]}, '
      f'{len(sbom["components"])} components, target {properties.get("cdx:rustc:sbom:target:triple")}')
sys.exit(0 if sbom["bomFormat"] == "CycloneDX" and component["name"] == package
         and component["version"] == version and sbom["components"]
         and properties.get("cdx:rustc:sbom:target:triple") == triple and checkout not in text else 1)
PY
}

for file in dist/*.zip; do
  name=$(basename "$file" .zip)
  arch=${name##*-}
  package=${name%-"$version"-*}
  case "$arch" in arm64) triple=aarch64-unknown-linux-gnu ;; *) triple=x86_64-unknown-linux-gnu ;; esac
  mkdir -p "$work/$name"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$file" "$work/$name"
  chmod +x "$work/$name/bootstrap"
  check "$name.zip: only bootstrap, mode 0755, dated SOURCE_DATE_EPOCH" zip_entry_fixed "$file"
  check "$name: the dependency list is embedded (.dep-v0)" dependency_list_embedded "$work/$name/bootstrap"
  check "$name: no build path in the binary (but OpenSSL's while built in)" no_build_path "$work/$name/bootstrap"
  check "$name: bootstrap --help runs" runs_help "$work/$name/bootstrap" "$arch" "$package"
  check "$name.cdx.json: a CycloneDX SBOM of $package $version for $triple" sbom_describes "dist/$name.cdx.json" "$package" "$triple"
done
finish
