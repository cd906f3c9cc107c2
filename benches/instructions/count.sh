#!/usr/bin/env bash
# Instructions per decision for every case of benches/instructions/main.rs,
# counted by callgrind, and heap allocations (count and bytes) per decision,
# counted natively. Each case runs twice, 20 and 220 iterations, and the
# difference is divided by 200, so that one-time work (the first call into a
# library, lazy set-up) cancels out.
#
#   bash benches/instructions/count.sh [CASE...]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
# callgrind finds `measured` by its symbol, which the release profile strips
# (the decision bench measures the stripped binary, so this stays out of Cargo.toml).
export CARGO_PROFILE_BENCH_STRIP=false
binary=$(cargo bench --bench instructions --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -n 1)
[ -x "$binary" ] || { echo "could not build the instructions bench" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() { # case iterations -> instructions counted inside measured()
  valgrind --tool=callgrind --toggle-collect='*measured*' \
    --callgrind-out-file="$out/$1.$2" "$binary" "$1" "$2" >/dev/null 2>"$out/log" \
    || { cat "$out/log" >&2; exit 1; }
  awk '/^summary:/ { print $2 }' "$out/$1.$2"
}

allocations() { # case iterations -> "ALLOCATIONS BYTES" inside measured()
  "$binary" "$1" "$2" | awk '/^allocations:/ { print $2, $4 }'
}

if [ $# -gt 0 ]; then cases=("$@"); else mapfile -t cases < <("$binary"); fi
printf '%-34s %14s %12s %10s\n' case instructions allocations bytes
for case in "${cases[@]}"; do
  low=$(count "$case" 20)
  high=$(count "$case" 220)
  read -r allocs_low bytes_low < <(allocations "$case" 20)
  read -r allocs_high bytes_high < <(allocations "$case" 220)
  printf '%-34s %14d %12d %10d\n' "$case" $(( (high - low) / 200 )) \
    $(( (allocs_high - allocs_low) / 200 )) $(( (bytes_high - bytes_low) / 200 ))
done
# What the figures above do not show (BENCHMARKS.md, "Instructions per decision").
echo "note: valgrind's CPU has no SHA extensions, so sha2 runs its portable code here:"
echo "      about 45 000 instructions per 800-byte hash that SHA-NI does in ~0.7 us natively"
echo "      (every cache hit hashes the token; compare hashing rows in time, not instructions)."
