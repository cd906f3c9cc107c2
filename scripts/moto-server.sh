# Sourced by the scripts whose tests need moto in server mode: installs it,
# starts it on a free port of 127.0.0.1 with its log in $1/moto.log, waits
# until it answers, sets MOTO_URL, and stops it when the script exits.
start_moto() {
  local work="$1"
  bash scripts/install-moto.sh
  mkdir -p "$work"
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  target/tools/moto/bin/python -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT
  python3 - "$port" "$work" <<'PY'
import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(f"moto did not answer within 60 s (see {sys.argv[2]}/moto.log)")
PY
  MOTO_URL="http://127.0.0.1:$port"
  export MOTO_URL
}
