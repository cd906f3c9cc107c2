#!/usr/bin/env bash
# One run, one table per algorithm: our whole handler beside the hardware
# limit (OpenSSL's own verify) and the verifiers other authorizers use, all
# on the same token and key set. Installs its peers under target/compare/.
#
#   bash benches/compare/compare.sh                      # RS256
#   bash benches/compare/compare.sh ES256 EdDSA          # those algorithms
#   bash benches/compare/compare.sh --shipped all        # every algorithm, and
#       our handler built as the Lambda package is (OpenSSL built from source)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/target/compare"
mkdir -p "$out"

shipped=false
algorithms=()
for arg in "$@"; do
  case "$arg" in
    --shipped) shipped=true ;;
    all) algorithms+=(RS256 PS256 ES256 ES384 ES512 EdDSA) ;;
    RS256 | PS256 | ES256 | ES384 | ES512 | EdDSA) algorithms+=("$arg") ;;
    *) echo "usage: $0 [--shipped] [all | RS256 PS256 ES256 ES384 ES512 EdDSA ...]" >&2; exit 2 ;;
  esac
done
[ ${#algorithms[@]} -gt 0 ] || algorithms=(RS256)

echo "== peers (installed once under $out)" >&2
if [ ! -d "$out/node/node_modules/aws-jwt-verify" ]; then
  npm install --silent --prefix "$out/node" aws-jwt-verify >&2
fi
cp benches/compare/aws-jwt-verify.mjs "$out/node/"
if [ ! -x "$out/venv/bin/python" ]; then
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet --disable-pip-version-check pyjwt cryptography >&2
fi

# `openssl speed`'s name for each algorithm's verification (PS256 costs one
# RSA public-key operation, as RS256 does).
speed_name() {
  case "$1" in
    RS256 | PS256) echo rsa2048 ;; ES256) echo ecdsap256 ;; ES384) echo ecdsap384 ;;
    ES512) echo ecdsap521 ;; EdDSA) echo ed25519 ;;
  esac
}

for alg in "${algorithms[@]}"; do
  dir="$out/$alg"
  mkdir -p "$dir"
  echo "== $alg: our handler, throughput, cold start (cargo bench --bench decision)" >&2
  COMPARE_ALG=$alg cargo bench --quiet --bench decision -- "$dir" 2>/dev/null | tail -n 1 > "$dir/ours.json"
  if $shipped; then
    echo "== $alg: the same, built as shipped (--features lambda)" >&2
    COMPARE_ALG=$alg cargo bench --quiet --features lambda --bench decision -- "$dir/shipped" 2>/dev/null \
      | tail -n 1 > "$dir/ours-shipped.json"
  else
    rm -f "$dir/ours-shipped.json"
  fi
  # The peers take turns with `openssl speed`, three rounds, so that each of
  # their ratios to one OpenSSL verify is of timings taken at the same
  # machine speed (it drifts by a third within minutes on a shared host).
  : > "$dir/rounds-openssl.txt"; : > "$dir/rounds-aws-jwt-verify.jsonl"; : > "$dir/rounds-pyjwt.jsonl"
  for round in 1 2 3; do
    echo "== $alg round $round: openssl speed -seconds 1 $(speed_name "$alg"), aws-jwt-verify, PyJWT" >&2
    # The verifications per second: the last column of the result line.
    openssl speed -seconds 1 "$(speed_name "$alg")" 2>/dev/null | awk '
      ($1 == "rsa" && $2 == "2048") || $3 == "ecdsa" || $3 == "EdDSA" { print $NF }' \
      | tail -n 1 >> "$dir/rounds-openssl.txt"
    (cd "$out/node" && node aws-jwt-verify.mjs "$dir") >> "$dir/rounds-aws-jwt-verify.jsonl"
    "$out/venv/bin/python" benches/compare/pyjwt_bench.py "$dir" >> "$dir/rounds-pyjwt.jsonl"
  done
done

python3 - "$out" \
  "$(node -p "require('$out/node/node_modules/aws-jwt-verify/package.json').version")" \
  "$("$out/venv/bin/python" -c 'import jwt, cryptography; print(jwt.__version__, cryptography.__version__)')" \
  "$(openssl version | cut -d' ' -f2)" "${algorithms[@]}" <<'PY'
import json, sys, platform, os, statistics
out, node_version, py_versions, openssl_version, *algorithms = sys.argv[1:]
median = statistics.median
node_name = os.popen("node --version").read().strip()
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.machine())
print(f"Machine: {cpu}, {os.cpu_count()} cores\n")


def lines(path):
    return [json.loads(line) for line in open(path) if line.strip()]


for alg in algorithms:
    d = f"{out}/{alg}"
    ours = json.load(open(f"{d}/ours.json"))
    shipped = json.load(open(f"{d}/ours-shipped.json")) if os.path.exists(f"{d}/ours-shipped.json") else None
    # One OpenSSL verify in µs per round, and each peer's µs per decision in the same round.
    openssl = [1e6 / float(line) for line in open(f"{d}/rounds-openssl.txt") if line.strip()]
    node = [r["us_per_decision"] for r in lines(f"{d}/rounds-aws-jwt-verify.jsonl")]
    python = [r["us_per_decision"] for r in lines(f"{d}/rounds-pyjwt.jsonl")]

    def against_openssl(values):
        if not values or None in values:
            return None
        return median(v / o for v, o in zip(values, openssl))

    # Everyone against the `openssl speed` medians (an outside yardstick:
    # the authorizer links no OpenSSL); ours against its own bare AWS-LC
    # verification too, from turns taken in one process.
    def ours_ratio(report):
        return report["handler_us"] / median(openssl)

    rows = [(f"OpenSSL {openssl_version} {alg} verify (`openssl speed`)", median(openssl), 1.0)]
    rows.append(("ws-jwt-authorizer: whole handler, event JSON → response JSON", ours["handler_us"], ours_ratio(ours)))
    if shipped:
        rows.append(("ws-jwt-authorizer, built as the Lambda package", shipped["handler_us"], ours_ratio(shipped)))
    rows.append((f"aws-jwt-verify {node_version} (Node {node_name}), `verifySync`, JWKS cached",
                 median(node) if None not in node else None, against_openssl(node)))
    rows.append((f"PyJWT {py_versions.split()[0]} + cryptography {py_versions.split()[1]}, key cached",
                 median(python), against_openssl(python)))
    mine = ours_ratio(ours)
    print(f"| per {alg} decision | µs (median) | × one OpenSSL verify | ratio to our handler |")
    print("|---|---:|---:|---:|")
    for name, us, to_verify in rows:
        if us is None:
            print(f"| {name} | – | – | does not verify {alg} |")
        else:
            print(f"| {name} | {us:.1f} | {to_verify:.2f}× | {to_verify / mine:.2f}× |")
    print()
    print(f"- our handler / one OpenSSL verify: **{mine:.2f}×**, against the median `openssl speed` of the three rounds")
    if ours["handler_to_bare_verify"]:
        low, high = ours["handler_to_bare_verify_range"]
        print(f"- our handler / one bare AWS-LC verify (what the handler adds to its own signature check): "
              f"**{ours['handler_to_bare_verify']:.2f}×**, the median of {ours['rounds']} rounds in which the two "
              f"took turns in one process ({ours['handler_us']:.1f} against {ours['bare_verify_us']:.1f} µs; "
              f"round ratios {low:.2f}–{high:.2f}×)")
    print(f"- each peer's ratio is the median over 3 rounds of its time against `openssl speed` run just before it "
          f"(OpenSSL per round: {', '.join(f'{o:.1f}' for o in openssl)} µs); the last column divides those ratios")
    for label, report in [("", ours)] + ([(" (shipped build)", shipped)] if shipped else []):
        print(f"- the same token again, from the decision cache (a reconnect){label}: {report['cache_hit_us']:.1f} µs per decision")
        print(f"- throughput through the handler{label}: {report['decisions_per_second_1_worker']:.0f} decisions/s with 1 worker on 1 thread, "
              f"{report['decisions_per_second_8_workers']:.0f} with 8 concurrent workers on 2 threads")
        print(f"- cold start{label}, process start to first Allow (key set prefetched from loopback during init), median of 9: {report['cold_start_ms']:.1f} ms")
        print(f"- peak RSS{label}: {report['peak_rss_kb'] / 1024:.1f} MB; binary (release, stripped): {report['binary_bytes'] / 1e6:.2f} MB")
    print()
PY
