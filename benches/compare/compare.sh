#!/usr/bin/env bash
# One run, one table: our whole handler beside the hardware limit (OpenSSL's
# own RS256 verify) and the verifiers other authorizers use, all on the same
# RS256 token and key set. Installs its peers under target/compare/.
#
#   bash benches/compare/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/target/compare"
mkdir -p "$out"

echo "== peers (installed once under $out)" >&2
if [ ! -d "$out/node/node_modules/aws-jwt-verify" ]; then
  npm install --silent --prefix "$out/node" aws-jwt-verify >&2
fi
cp benches/compare/aws-jwt-verify.mjs "$out/node/"
if [ ! -x "$out/venv/bin/python" ]; then
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet --disable-pip-version-check pyjwt cryptography >&2
fi

echo "== our handler, throughput, cold start (cargo bench --bench decision)" >&2
ours=$(cargo bench --quiet --bench decision -- "$out" 2>/dev/null | tail -n 1)

# The peers take turns with `openssl speed`, three rounds, so that each of
# their ratios to one OpenSSL verify is of timings taken at the same machine
# speed (it drifts by a third within minutes on a shared host).
openssl_lines=() node_results=() python_results=()
for round in 1 2 3; do
  echo "== round $round: openssl speed -seconds 1 rsa2048, aws-jwt-verify, PyJWT" >&2
  openssl_lines+=("$(openssl speed -seconds 1 rsa2048 2>/dev/null | awk '$1 == "rsa" && $2 == "2048" { print }')")
  node_results+=("$(cd "$out/node" && node aws-jwt-verify.mjs "$out")")
  python_results+=("$("$out/venv/bin/python" benches/compare/pyjwt_bench.py "$out")")
done
printf '%s\n' "${openssl_lines[@]}" > "$out/rounds-openssl.txt"
printf '%s\n' "${node_results[@]}" > "$out/rounds-aws-jwt-verify.jsonl"
printf '%s\n' "${python_results[@]}" > "$out/rounds-pyjwt.jsonl"

python3 - "$ours" "$out" \
  "$(node -p "require('$out/node/node_modules/aws-jwt-verify/package.json').version")" \
  "$("$out/venv/bin/python" -c 'import jwt, cryptography; print(jwt.__version__, cryptography.__version__)')" \
  "$(openssl version | cut -d' ' -f2)" <<'PY'
import json, sys, platform, os, statistics
ours, out, node_version, py_versions, openssl_version = sys.argv[1:]
ours = json.loads(ours)
# One OpenSSL verify in µs per round, and each peer's µs per decision in the same round.
openssl = [1e6 / float(line.split()[-1]) for line in open(f"{out}/rounds-openssl.txt") if line.strip()]
node = [json.loads(line)["us_per_decision"] for line in open(f"{out}/rounds-aws-jwt-verify.jsonl") if line.strip()]
python = [json.loads(line)["us_per_decision"] for line in open(f"{out}/rounds-pyjwt.jsonl") if line.strip()]
median = statistics.median
# Every ratio is taken against the OpenSSL verify timed beside it; ours in
# one process (the decision bench), the peers' in the same round.
ours_to_verify = ours["handler_to_bare_verify"]
node_to_verify = median(n / o for n, o in zip(node, openssl))
python_to_verify = median(p / o for p, o in zip(python, openssl))
node_name = os.popen("node --version").read().strip()
rows = [
    (f"OpenSSL {openssl_version} RS256 verify (`openssl speed rsa2048`)", median(openssl), 1.0),
    ("ws-jwt-authorizer: whole handler, event JSON → response JSON", ours["handler_us"], ours_to_verify),
    (f"aws-jwt-verify {node_version} (Node {node_name}), `verifySync`, JWKS cached", median(node), node_to_verify),
    (f"PyJWT {py_versions.split()[0]} + cryptography {py_versions.split()[1]}, key cached", median(python), python_to_verify),
]
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.machine())
print(f"Machine: {cpu}, {os.cpu_count()} cores\n")
print("| per RS256 decision | µs (median) | × one OpenSSL verify | ratio to our handler |")
print("|---|---:|---:|---:|")
for name, us, to_verify in rows:
    print(f"| {name} | {us:.1f} | {to_verify:.2f}× | {to_verify / ours_to_verify:.2f}× |")
print()
low, high = ours["handler_to_bare_verify_range"]
print(f"- our handler / one OpenSSL verify: **{ours_to_verify:.2f}×**, the median of {ours['rounds']} rounds in which the two "
      f"took turns in one process ({ours['handler_us']:.1f} against {ours['bare_verify_us']:.1f} µs; "
      f"round ratios {low:.2f}–{high:.2f}×)")
print(f"- each peer's ratio is the median over 3 rounds of its time against `openssl speed` run just before it "
      f"(OpenSSL per round: {', '.join(f'{o:.1f}' for o in openssl)} µs); the last column divides those ratios")
print(f"- the same token again, from the decision cache (a reconnect): {ours['cache_hit_us']:.1f} µs per decision")
print(f"- throughput through the handler: {ours['decisions_per_second_1_worker']:.0f} decisions/s with 1 worker on 1 thread, "
      f"{ours['decisions_per_second_8_workers']:.0f} with 8 concurrent workers on 2 threads")
print(f"- cold start, process start to first Allow (key set prefetched from loopback during init), median of 9: {ours['cold_start_ms']:.1f} ms")
print(f"- peak RSS: {ours['peak_rss_kb'] / 1024:.1f} MB; binary (release, stripped): {ours['binary_bytes'] / 1e6:.2f} MB")
PY
