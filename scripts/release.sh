#!/usr/bin/env bash
# Builds the release artifacts into dist/, reproducibly (the same commit and
# tools give the same bytes, wherever the checkout is):
#   ws-jwt-authorizer-VERSION-{arm64,x86_64}.zip   the authorizer's Lambda packages
#   session-guard-VERSION-{arm64,x86_64}.zip       the session guard's
#   *-VERSION-ARCH.cdx.json                        a CycloneDX SBOM for each package
#   SHA256SUMS                                     for `sha256sum -c SHA256SUMS`
#
#   scripts/release.sh VERSION [--only PACKAGE]... [--arch ARCH]...
#     VERSION   X.Y.Z or vX.Y.Z: must be the version in the package's Cargo.toml
#     --only    ws-jwt-authorizer or session-guard (default: both)
#     --arch    arm64 or x86_64 (default: both)
#
# Each binary is built by scripts/package-lambda.sh (cargo-lambda with zig,
# which also decides the package's Cargo features) with cargo-auditable as
# the workspace's rustc wrapper, which embeds its dependency list (name,
# version, source of every crate in it) in a `.dep-v0` section, the format
# `cargo audit bin` and other scanners read. The zip is then written here with fixed metadata: one entry,
# `bootstrap`, mode 0755, dated SOURCE_DATE_EPOCH (default: the commit's
# date). Paths of the checkout, CARGO_HOME and RUSTUP_HOME are remapped in
# Rust (--remap-path-prefix) and C (-ffile-prefix-map) code to /build,
# /cargo and /rustup. The SBOM is cargo-cyclonedx's for the package and
# target, with the checkout's path written /build; it is checked to list
# every crate that the binary's embedded list names.
#
# Installs its tools into target/tools/ (cargo-auditable and cargo-cyclonedx
# from crates.io, cargo-lambda and zig from PyPI, at pinned versions) and
# builds in target/release-build/, away from the development builds. dist/
# is emptied first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() { echo "usage: $0 VERSION [--only ws-jwt-authorizer|session-guard]... [--arch arm64|x86_64]..." >&2; exit 2; }
[ $# -ge 1 ] || usage
version="${1#v}"
shift
packages=() arches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only) [ $# -ge 2 ] || usage; case "$2" in ws-jwt-authorizer | session-guard) packages+=("$2") ;; *) usage ;; esac; shift 2 ;;
    --arch) [ $# -ge 2 ] || usage; case "$2" in arm64 | x86_64) arches+=("$2") ;; *) usage ;; esac; shift 2 ;;
    *) usage ;;
  esac
done
[ ${#packages[@]} -gt 0 ] || packages=(ws-jwt-authorizer session-guard)
[ ${#arches[@]} -gt 0 ] || arches=(arm64 x86_64)

# The tag vX.Y.Z releases Cargo.toml's version = "X.Y.Z": refuse any other.
metadata=$(cargo metadata --format-version 1 --no-deps --locked)
for package in "${packages[@]}"; do
  declared=$(python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == sys.argv[1]))' "$package" <<<"$metadata")
  if [ "$declared" != "$version" ]; then
    echo "release.sh: version $version does not match $package's Cargo.toml (version = \"$declared\"); tag v$declared releases it" >&2
    exit 1
  fi
done
case "$root" in *[[:space:]]*) echo "release.sh: the checkout's path has a space; RUSTFLAGS cannot carry it: $root" >&2; exit 1 ;; esac
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] ||
  echo "release.sh: WARNING: the work tree has uncommitted changes: the artifacts are not those of a commit"

# --- Tools, at pinned versions ---------------------------------------------
tools="$root/target/tools"
cargo_tool() { # CRATE VERSION: installs it once into target/tools/CRATE-VERSION
  local dir="$tools/$1-$2"
  if [ ! -x "$dir/bin/$1" ]; then
    echo "Installing $1 $2 from crates.io into $dir"
    local start=$SECONDS
    cargo install --locked --quiet --version "$2" --root "$dir" "$1"
    echo "  installed in $((SECONDS - start)) s"
  fi
  export PATH="$dir/bin:$PATH"
}
cargo_tool cargo-auditable 0.7.7
cargo_tool cargo-cyclonedx 0.5.9
venv="$tools/release-venv"
lambda_pins=(cargo-lambda==1.9.2 ziglang==0.17.1)
if [ ! -f "$venv/pins" ] || [ "$(cat "$venv/pins")" != "${lambda_pins[*]}" ]; then
  echo "Installing ${lambda_pins[*]} from PyPI into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${lambda_pins[@]}"
  echo "${lambda_pins[*]}" >"$venv/pins"
fi
export PATH="$venv/bin:$PATH"

# --- The build's environment -----------------------------------------------
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
cargo_home=$(realpath -m "${CARGO_HOME:-$HOME/.cargo}")
rustup_home=$(realpath -m "${RUSTUP_HOME:-$HOME/.rustup}")
export CARGO_TARGET_DIR="$root/target/release-build"
export CARGO_INCREMENTAL=0
# cargo-lambda passes -C target-cpu (neoverse-n1, haswell) as
# `--config build.rustflags=[...]`: Cargo joins that list to this one, where
# RUSTFLAGS or CARGO_ENCODED_RUSTFLAGS would replace it. (Cargo leaves
# --remap-path-prefix out of its hashes: the paths here change no file name.)
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
export CARGO_BUILD_RUSTFLAGS="--remap-path-prefix=$root=/build --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$rustup_home=/rustup"
# What `cargo auditable` sets before it runs cargo, but with the wrapper
# named, not given by its path: Cargo hashes the workspace wrapper's path into
# the workspace crates' symbol names, and cargo-auditable's own path is the
# checkout's (two checkouts then built different binaries). Cargo finds it on
# PATH. (cargo-auditable 0.7.7 reads these two variables; the .dep-v0 check
# below fails the release if it did not embed its data.)
export RUSTC_WORKSPACE_WRAPPER=cargo-auditable
export CARGO_AUDITABLE_ORIG_ARGS='{"offline":false,"locked":true,"frozen":false,"config":[]}'
# cc-rs (AWS-LC, OpenSSL) appends these to zig cc's flags: __FILE__ in
# assertions and error reports.
prefix_maps="-ffile-prefix-map=$root=/build -ffile-prefix-map=$cargo_home=/cargo"
export CFLAGS="$prefix_maps" CXXFLAGS="$prefix_maps"
echo "rustc $(rustc -V | cut -d' ' -f2-), cargo-lambda $(cargo lambda --version | cut -d" " -f2), zig $(python3 -m ziglang version), SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"

# --- The artifacts -------------------------------------------------------------
dist="$root/dist"
rm -rf "$dist"
mkdir -p "$dist"
# cargo-cyclonedx writes NAME_bin.cdx.json beside each member's Cargo.toml.
sbom_leftovers() { find "$root" -path "$root/target" -prune -o -path "$root/dist" -prune -o -name '*_bin.cdx.json' -print; }
trap 'sbom_leftovers | xargs -r rm -f' EXIT

for arch in "${arches[@]}"; do
  case "$arch" in arm64) triple=aarch64-unknown-linux-gnu ;; x86_64) triple=x86_64-unknown-linux-gnu ;; esac
  for package in "${packages[@]}"; do
    name="$package-$version-$arch"
    echo "=== $name"
    start=$SECONDS
    bash scripts/package-lambda.sh "$arch" "$package"
    echo "built $package for $arch in $((SECONDS - start)) s"
    binary="$CARGO_TARGET_DIR/$triple/release/$package"

    python3 - "$binary" "$dist/$name.zip" "$SOURCE_DATE_EPOCH" <<'PY'
import sys, time, zipfile
binary, archive, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
# A zip's dates start in 1980; no extra fields, one entry, fixed compression.
entry = zipfile.ZipInfo("bootstrap", date_time=time.gmtime(max(epoch, 315532800))[:6])
entry.create_system = 3  # Unix: the mode below is read
entry.external_attr = 0o100755 << 16
entry.compress_type = zipfile.ZIP_DEFLATED
with open(binary, "rb") as source, zipfile.ZipFile(archive, "w") as out:
    out.writestr(entry, source.read(), compresslevel=9)
PY

    # The SBOM: the authorizer's package is built with every feature it has
    # (`lambda` while OpenSSL is built in; none after), the guard's with none.
    features=()
    [ "$package" = ws-jwt-authorizer ] && features=(--all-features)
    sbom_leftovers | xargs -r rm -f
    cargo cyclonedx --manifest-path Cargo.toml --quiet --format json --spec-version 1.5 \
      --describe binaries --target "$triple" "${features[@]}"
    generated=$(sbom_leftovers | grep "/${package}_bin.cdx.json$")
    sed "s|file://$root|file:///build|g" "$generated" >"$dist/$name.cdx.json"
    sbom_leftovers | xargs -r rm -f

    # The embedded dependency list is there, and the SBOM names its crates.
    python3 - "$binary" "$dist/$name.cdx.json" <<'PY'
import json, struct, sys, zlib
binary, sbom = open(sys.argv[1], "rb").read(), json.load(open(sys.argv[2]))
# ELF64 little-endian section headers, for the one named .dep-v0.
shoff, = struct.unpack_from("<Q", binary, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", binary, 0x3A)
def section(index):
    name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", binary, shoff + index * shentsize)
    return name, offset, size
_, names_offset, _ = section(shstrndx)
for index in range(shnum):
    name, offset, size = section(index)
    if binary[names_offset + name:].split(b"\0", 1)[0] == b".dep-v0":
        audit = json.loads(zlib.decompress(binary[offset:offset + size]))
        break
else:
    sys.exit("no .dep-v0 section: cargo-auditable did not embed the dependency list")
embedded = {(p["name"], p["version"]) for p in audit["packages"]}
listed = {(c["name"], c["version"]) for c in sbom["components"]}
listed.add((sbom["metadata"]["component"]["name"], sbom["metadata"]["component"]["version"]))
missing = sorted(embedded - listed)
if missing:
    sys.exit(f"the SBOM lacks crates the binary embeds: {missing}")
print(f"dependency list embedded ({len(embedded)} crates), all in the SBOM ({len(listed)} components)")
PY
    # No build path in the binary, but for OpenSSL's install directory while
    # OpenSSL is built in: openssl-src configures it with --prefix in the
    # target directory, and OpenSSL compiles $prefix/lib (its engines and
    # modules directories) in. That one differs between checkouts.
    paths=$(grep -aoE "[^[:cntrl:]]*($root|$cargo_home|$rustup_home)[^[:cntrl:]]*" "$binary" | sort | uniq -c || true)
    openssl_prefix="$CARGO_TARGET_DIR/$triple/release/build/openssl-sys-[0-9a-f]*/out/openssl-build/install/"
    if [ -n "$paths" ]; then
      if grep -vqE "^ *[0-9]+ $openssl_prefix" <<<"$paths"; then
        echo "release.sh: $binary holds a build path:" >&2
        echo "$paths" >&2
        exit 1
      fi
      echo "WARNING: OpenSSL's install directory is built in (not reproducible from another checkout's path):"
      echo "$paths"
    fi
    echo "$name.zip: $(stat -c %s "$dist/$name.zip") bytes (binary $(stat -c %s "$binary")), SBOM $(stat -c %s "$dist/$name.cdx.json") bytes"
  done
done

(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
echo "=== dist/SHA256SUMS"
cat "$dist/SHA256SUMS"
