#!/usr/bin/env bash
# The rust-version each workspace member declares must be true of its locked
# dependencies: fails, naming them (and how each is reached), when a locked
# dependency declares a higher rust-version than the member that uses it.
# Reads `cargo metadata --locked` (no build; it fails too when Cargo.lock is
# not up to date).
#
# Counted, for each member: its normal and build dependencies, transitively
# (what its published binary or library is built from), and its own
# dev-dependencies with theirs (what its tests, benches and examples are
# built from: the declared toolchain must run `cargo test` too), on every
# platform (a rust-version holds wherever the package builds).
# The dev-dependencies of dependencies are never built, and Cargo.lock does not
# resolve them.
#
#   scripts/check-rust-version.sh
#
# Prints "rust-version: N passed, N failed" (one check per member).
set -euo pipefail
cd "$(dirname "$0")/.."

metadata=$(mktemp)
trap 'rm -f "$metadata"' EXIT
cargo metadata --format-version 1 --locked --quiet >"$metadata"

python3 - "$metadata" <<'PY'
import json, sys

metadata = json.load(open(sys.argv[1]))
packages = {p["id"]: p for p in metadata["packages"]}
nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}

def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))

def label(package_id):
    package = packages[package_id]
    return f'{package["name"]} {package["version"]}'

passed = failed = 0
for member in metadata["workspace_members"]:
    declared = packages[member]["rust_version"]
    name = packages[member]["name"]
    # Breadth first, so that the path kept to each dependency is a shortest.
    via = {member: None}
    queue = [member]
    for current in queue:
        for dep in nodes[current]["deps"]:
            kinds = {kind["kind"] for kind in dep["dep_kinds"]}
            counted = kinds & {None, "build"} or (current == member and "dev" in kinds)
            if counted and dep["pkg"] not in via:
                via[dep["pkg"]] = (current, "dev" if not kinds & {None, "build"} else None)
                queue.append(dep["pkg"])
    if declared is None:
        print(f"FAILED: {name} declares no rust-version")
        failed += 1
        continue
    above = []
    for package_id in via:
        needed = packages[package_id]["rust_version"]
        if package_id != member and needed and version(needed) > version(declared):
            path, step = [], package_id
            while step != member:
                parent, kind = via[step]
                path.append(label(step) + (" (dev-dependency)" if kind == "dev" else ""))
                step = parent
            above.append((version(needed), needed, label(package_id), " <- ".join(path)))
    if above:
        above.sort(reverse=True)
        print(f"FAILED: {name} declares rust-version {declared}, but {len(above)} of its "
              f"{len(via) - 1} locked dependencies need more (highest {above[0][1]}):")
        for _, needed, package, path in above:
            print(f"  {package} needs rust {needed}: {path} <- {name}")
        failed += 1
    else:
        highest = max((version(packages[p]["rust_version"]), packages[p]["rust_version"], label(p))
                      for p in via if p != member and packages[p]["rust_version"])
        print(f"ok: {name} declares rust-version {declared}; the highest of its "
              f"{len(via) - 1} locked dependencies: {highest[2]} ({highest[1]})")
        passed += 1
print(f"rust-version: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
