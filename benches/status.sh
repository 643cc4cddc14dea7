#!/usr/bin/env bash
# The public status page under load, beside /healthz in the same run: requests per second
# of `GET /status` (whole page, gzip-compressed as browsers ask for it, and 304
# revalidations) and `/status.json` against
# `/healthz`, from many keep-alive connections; and a responder's appends (one every
# 20 ms) at rest, while /healthz is hammered, and while /status is.
#
# Usage: benches/status.sh     (about two minutes)
#   CONNS=N    connections of the load client (default 32)
#   SECS=S     seconds per measurement (default 5)
#   ROUNDS=N   rounds; the median is printed (default 3)
#
# The server is the release binary over a SQLite file on disk, with 20 public incidents
# of 5 external updates each (the page is about 60 KB) and a restricted one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
CONNS=${CONNS:-32}
SECS=${SECS:-5}
ROUNDS=${ROUNDS:-3}

source "$(dirname "$0")/lib.sh"
cargo build --release --quiet --bin warroom
release_binary
LOAD=$(bench_executable status_load)
[[ -x $LOAD ]] || { echo "status.sh: the load client did not build" >&2; exit 1; }

# On the project's disk (target/), not a tmpfs: fsyncs must cost what they cost.
mkdir -p "$root/target"
work=$(mktemp -d "$root/target/status.XXXXXX")
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

start_server "$work" status.sh

# Seed: 20 public incidents with 5 external updates each, and a restricted one.
incident=$(python3 - "$url" "$token" <<'PY'
import json, os, sys, time, urllib.request
url, token = sys.argv[1], sys.argv[2]
def uuid7():
    ms = int(time.time() * 1000)
    r = int.from_bytes(os.urandom(10), "big")
    v = (ms << 80) | (0x7 << 76) | (((r >> 62) & 0xFFF) << 64) | (0b10 << 62) | (r & ((1 << 62) - 1))
    h = "%032x" % v
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
first = None
for n in range(21):
    i = uuid7()
    first = first or i
    post("/api/v1/incidents", {"id": i, "title": f"Incident {n}", "severity": 1 + n % 3,
                               "visibility": "restricted" if n == 20 else "open"})
    post(f"/api/v1/incidents/{i}/events", {"events": [
        {"id": uuid7(), "type": "comms_sent", "audience": "external",
         "text": f"SEV{1 + n % 3} – Service {n} degraded\nSome customers see errors on service {n}; "
                 f"we are working on a fix (update {u}).\n- Logins work\n- Payments slow\n"
                 "Next update in 30 minutes on this page."} for u in range(5)]})
print(first)
PY
)
etag=$(curl -sI "$url/status" | sed -n 's/^etag: *\(.*\)\r$/\1/Ip')
size=$(curl -s "$url/status" | wc -c)

measure() { # name, then status_load arguments: prints name=value lines
  local name=$1; shift
  "$LOAD" rps --url "$url" --conns "$CONNS" --secs "$SECS" "$@" | sed "s/^/${name}_/"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A runs
for round in $(seq 1 "$ROUNDS"); do
  while IFS='=' read -r k v; do runs[$k]+="$v "; done < <(
    measure healthz --path /healthz
    measure status --path /status
    measure gzip --path /status --header "Accept-Encoding: gzip"
    measure revalidate --path /status --header "If-None-Match: $etag"
    measure json --path /status.json
    measure rest --path /healthz --conns 0 --token "$token" --incident "$incident"
    measure busy_healthz --path /healthz --token "$token" --incident "$incident"
    measure busy_status --path /status --token "$token" --incident "$incident"
    measure busy_gzip --path /status --header "Accept-Encoding: gzip" --token "$token" --incident "$incident"
  )
done
get() { tr ' ' '\n' <<<"${runs[$1]}" | grep -v '^$' | median; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else '-')" "$1" "$2"; }

[[ $(get revalidate_status) == 304 ]] || { echo "status.sh: revalidation did not answer 304" >&2; exit 1; }
[[ $(get status_status) == 200 ]] || { echo "status.sh: /status did not answer 200" >&2; exit 1; }

echo "status page under load: $CONNS connections, ${SECS}s each, median of $ROUNDS rounds; page $size bytes"
printf '%-44s %-26s %s\n' "figure" "peer (same run)" "ratio"
printf '%-44s %-26s %s\n' "GET /status: $(get status_rps)/s" "/healthz: $(get healthz_rps)/s" "$(ratio "$(get status_rps)" "$(get healthz_rps)") (goal >= 0.5)"
printf '%-44s %-26s %s\n' "GET /status, gzip (as browsers ask): $(get gzip_rps)/s" "/healthz: $(get healthz_rps)/s" "$(ratio "$(get gzip_rps)" "$(get healthz_rps)")"
printf '%-44s %-26s %s\n' "GET /status, 304 revalidation: $(get revalidate_rps)/s" "/healthz: $(get healthz_rps)/s" "$(ratio "$(get revalidate_rps)" "$(get healthz_rps)")"
printf '%-44s %-26s %s\n' "GET /status.json: $(get json_rps)/s" "/healthz: $(get healthz_rps)/s" "$(ratio "$(get json_rps)" "$(get healthz_rps)")"
printf '%-44s %-26s %s\n' "append p50 during /status load: $(get busy_status_append_p50_ms) ms" "during /healthz load: $(get busy_healthz_append_p50_ms) ms" "$(ratio "$(get busy_status_append_p50_ms)" "$(get busy_healthz_append_p50_ms)")"
printf '%-44s %-26s %s\n' "append p50 during gzip /status load: $(get busy_gzip_append_p50_ms) ms" "during /healthz load: $(get busy_healthz_append_p50_ms) ms" "$(ratio "$(get busy_gzip_append_p50_ms)" "$(get busy_healthz_append_p50_ms)")"
printf '%-44s %-26s %s\n' "append p99 during /status load: $(get busy_status_append_p99_ms) ms" "during /healthz load: $(get busy_healthz_append_p99_ms) ms" "$(ratio "$(get busy_status_append_p99_ms)" "$(get busy_healthz_append_p99_ms)")"
printf '%-44s %-26s %s\n' "append p50 at rest: $(get rest_append_p50_ms) ms" "" ""
