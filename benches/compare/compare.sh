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

echo "== openssl speed -seconds 3 rsa2048" >&2
openssl_line=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '$1 == "rsa" && $2 == "2048" { print }')

echo "== aws-jwt-verify" >&2
node_result=$(cd "$out/node" && node aws-jwt-verify.mjs "$out")
echo "== PyJWT" >&2
python_result=$("$out/venv/bin/python" benches/compare/pyjwt_bench.py "$out")

python3 - "$ours" "$openssl_line" "$node_result" "$python_result" \
  "$(node -p "require('$out/node/node_modules/aws-jwt-verify/package.json').version")" \
  "$("$out/venv/bin/python" -c 'import jwt, cryptography; print(jwt.__version__, cryptography.__version__)')" \
  "$(openssl version | cut -d' ' -f2)" <<'PY'
import json, sys, platform, os
ours, openssl_line, node, python, node_version, py_versions, openssl_version = sys.argv[1:]
ours = json.loads(ours)
verify_per_s = float(openssl_line.split()[-1])
rows = [
    (f"OpenSSL {openssl_version} RS256 verify (`openssl speed rsa2048`)", 1e6 / verify_per_s),
    ("ws-jwt-authorizer: whole handler, event JSON → response JSON", ours["handler_us"]),
    (f"aws-jwt-verify {node_version} (Node {platform.python_version() and os.popen('node --version').read().strip()}), `verifySync`, JWKS cached", json.loads(node)["us_per_decision"]),
    (f"PyJWT {py_versions.split()[0]} + cryptography {py_versions.split()[1]}, key cached", json.loads(python)["us_per_decision"]),
]
handler = ours["handler_us"]
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.machine())
print(f"Machine: {cpu}, {os.cpu_count()} cores\n")
print("| per RS256 decision | µs | ratio to our handler |")
print("|---|---:|---:|")
for name, us in rows:
    print(f"| {name} | {us:.1f} | {us / handler:.2f}× |")
print()
print(f"- our handler per decision / one OpenSSL verify: **{handler / rows[0][1]:.2f}×**")
print(f"- the same token again, from the decision cache (a reconnect): {ours['cache_hit_us']:.1f} µs per decision")
print(f"- throughput through the handler: {ours['decisions_per_second_1_worker']:.0f} decisions/s with 1 worker on 1 thread, "
      f"{ours['decisions_per_second_8_workers']:.0f} with 8 concurrent workers on 2 threads")
print(f"- cold start, process start to first Allow (key set prefetched from loopback during init), median of 9: {ours['cold_start_ms']:.1f} ms")
print(f"- peak RSS: {ours['peak_rss_kb'] / 1024:.1f} MB; binary (release, stripped): {ours['binary_bytes'] / 1e6:.2f} MB")
PY
