#!/usr/bin/env bash
# Runs every client example against a started local gateway: Node (ws),
# Python (websockets), Rust (tokio-tungstenite) and the browser page in
# headless Chromium. Installs what they need (npm, PyPI, Debian's chromium).
# Prints "clients: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tools="$root/target/tools"
mkdir -p "$tools"
passed=0 failed=0 skipped=0

check() { # NAME EXPECTED_EXIT EXPECTED_TEXT -- COMMAND...
  local name="$1" want_exit="$2" want_text="$3"; shift 4
  local output exit_code
  output=$(timeout 60 "$@" 2>&1); exit_code=$?
  if [ "$exit_code" -eq "$want_exit" ] && grep -qF -- "$want_text" <<<"$output"; then
    echo "ok: $name"; passed=$((passed + 1))
  else
    echo "FAILED: $name (exit $exit_code, wanted $want_exit and \"$want_text\"):"; sed 's/^/    /' <<<"$output"
    failed=$((failed + 1))
  fi
}

echo "--- building and starting the local gateway"
cargo build --quiet --example local-gateway || exit 1
log="$tools/local-gateway.log"
JWT_LEEWAY_SECONDS=0 target/debug/examples/local-gateway --port 0 --idp-port 0 --disconnect-on-expiry >"$log" 2>&1 &
gateway_pid=$!
trap 'kill $gateway_pid 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q '^ready ' "$log" && break; sleep 0.1; done
ws=$(sed -n 's/^ready ws=\([^ ]*\) .*/\1/p' "$log")
idp=$(sed -n 's/^ready .* idp=\(.*\)$/\1/p' "$log")
[ -n "$ws" ] || { echo "the local gateway did not start:"; cat "$log"; exit 1; }
base="${ws%/*}"; base="${base/ws:/http:}"

token() { # SUB EXPIRES_IN
  curl -s -d "sub=$1&expires_in=$2" "$idp/token" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
alice=$(token alice 600)
expired=$(token expired-user 1)
sleep 2

echo "--- Node.js (ws)"
(cd client-examples/node && npm install --silent --no-audit --no-fund >/dev/null) || echo "npm install failed"
node_client=(node client-examples/node/client.mjs --url "$ws")
check "node: query token, whoami" 0 '"principalId":"alice"' -- "${node_client[@]}" --once --token "$alice"
check "node: header token, whoami" 0 '"principalId":"alice"' -- "${node_client[@]}" --once --header --token "$alice"
check "node: expired token is a 401" 1 "refused: 401" -- "${node_client[@]}" --once --token "$expired"
check "node: reconnects with a fresh token after expiry" 0 '"principalId":"node-client"' -- \
  "${node_client[@]}" --max-connections 2 --token "$(token short-lived 2)" --token-url "$idp/token"

echo "--- Python (websockets)"
venv="$tools/clients-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r client-examples/python/requirements.txt
python_client=("$venv/bin/python" client-examples/python/client.py --url "$ws")
check "python: query token, whoami" 0 '"principalId":"alice"' -- "${python_client[@]}" --once --token "$alice"
check "python: header token, whoami" 0 '"principalId":"alice"' -- "${python_client[@]}" --once --header --token "$alice"
check "python: expired token is a 401" 1 "refused: 401" -- "${python_client[@]}" --once --token "$expired"
check "python: reconnects with a fresh token after expiry" 0 '"principalId":"python-client"' -- \
  "${python_client[@]}" --max-connections 2 --token "$(token short-lived 2)" --token-url "$idp/token"

echo "--- Rust (tokio-tungstenite)"
# Without debug info: the client is only run here, and disk is short on some runners.
CARGO_PROFILE_DEV_DEBUG=false cargo build --quiet --manifest-path client-examples/rust/Cargo.toml --target-dir "$root/target/clients" || echo "cargo build failed"
rust_client=("$root/target/clients/debug/ws-jwt-client" --url "$ws")
check "rust: header token, whoami" 0 '"principalId":"alice"' -- "${rust_client[@]}" --once --token "$alice"
check "rust: expired token is a 401" 1 "refused: 401" -- "${rust_client[@]}" --once --token "$expired"
check "rust: reconnects with a fresh token after expiry" 0 '"principalId":"rust-client"' -- \
  "${rust_client[@]}" --max-connections 2 --token "$(token short-lived 2)" --token-url "$idp/token"

echo "--- browser (headless Chromium)"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "apt-get install chromium failed"
fi
browser_dir="$tools/browser"
mkdir -p "$browser_dir"
[ -d "$browser_dir/node_modules/playwright-core" ] || npm install --silent --no-audit --no-fund --prefix "$browser_dir" playwright-core >/dev/null
cp client-examples/browser/test/browser-test.mjs "$browser_dir/"
browser_valid=$(token browser-alice 600)
# A second gateway reads the token from a cookie, only from its own origin.
cookie_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cookie_log="$tools/local-gateway-cookie.log"
TOKEN_SOURCES=cookie ALLOWED_ORIGINS="http://127.0.0.1:$cookie_port" JWT_ISSUER_JWKS_URI="$idp/jwks" JWT_ISSUER="$idp" \
  target/debug/examples/local-gateway --port "$cookie_port" --idp-port 0 >"$cookie_log" 2>&1 &
cookie_pid=$!
trap 'kill $gateway_pid $cookie_pid 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q '^ready ' "$cookie_log" && break; sleep 0.1; done
cookie_ws=$(sed -n 's/^ready ws=\([^ ]*\) .*/\1/p' "$cookie_log")
cookie_base="${cookie_ws%/*}"; cookie_base="${cookie_base/ws:/http:}"
failed_before_browser=$failed
check "browser: subprotocol, expiry, and a cookie only from the allowed origin" 0 "ok: the same cookie from another origin is refused" -- \
  node "$browser_dir/browser-test.mjs" "$base/" "$browser_valid" "$expired" "$cookie_base/" "$cookie_ws"
if [ "$failed" -gt "$failed_before_browser" ]; then
  # The page cannot see why a handshake failed; the gateways' decision lines say.
  echo "    the cookie gateway's decisions:"; grep -h 'decision' "$cookie_log" | sed 's/^/      /'
fi

if [ -n "${TEST_LOG_ARCHIVE:-}" ]; then
  # Its logs start after "ready"; the banner before shows a demo token on purpose.
  mkdir -p "$TEST_LOG_ARCHIVE" && sed -n '/^ready /,$p' "$log" >"$TEST_LOG_ARCHIVE/clients-local-gateway.log"
  sed -n '/^ready /,$p' "$cookie_log" >"$TEST_LOG_ARCHIVE/clients-local-gateway-cookie.log"
fi
echo "clients: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
