# Shared by the end-to-end bench scripts (sourced, not run): the release binary, a bench
# target's executable, and a `warroom serve` on 127.0.0.1 with a fresh token.
#
#   source "$(dirname "$0")/lib.sh"
#   release_binary                 sets WARROOM (built if missing, or $WARROOM as given)
#   bench_executable NAME          prints the path of the bench target NAME, built
#   start_server DIR NAME          serves DIR on a port the system picks; sets server_pid,
#                                  url and token (made for the handle "bench")
#   stop_server                    stops it (safe to call twice; call it from a trap)

release_binary() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  WARROOM=${WARROOM:-$root/target/release/warroom}
  if [[ ! -x $WARROOM ]]; then
    (cd "$root" && cargo build --release --quiet --bin warroom)
  fi
}

bench_executable() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  (cd "$root" && cargo bench --quiet --bench "$1" --no-run --message-format=json 2>/dev/null) |
    python3 -c 'import json, sys
for line in sys.stdin:
    j = json.loads(line)
    if j.get("executable") and j.get("target", {}).get("name") == sys.argv[1]:
        print(j["executable"])' "$1"
}

server_pid=
start_server() {
  local dir=$1 name=$2
  mkdir -p "$dir"
  token=$("$WARROOM" --data-dir "$dir" token create bench 2>/dev/null)
  "$WARROOM" --data-dir "$dir" serve --listen 127.0.0.1:0 \
    >"$dir/serve.out" 2>"$dir/serve.log" &
  server_pid=$!
  url=
  for _ in $(seq 1 200); do
    url=$(grep -ho 'listening on http://[0-9.:]*' "$dir/serve.out" "$dir/serve.log" 2>/dev/null |
      head -1 | sed 's/listening on //') || true
    [[ -n $url ]] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$dir/serve.log" >&2
      echo "$name: the server did not start" >&2
      exit 1
    fi
    sleep 0.05
  done
  echo "$name: the server did not say where it listens" >&2
  exit 1
}

stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
