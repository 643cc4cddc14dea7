#!/usr/bin/env bash
# Catch-up: a fresh `warroom sync` of one large incident into an empty data dir, beside
# plain clients paging the same API on the same server in the same run.
#
# Usage: benches/catchup.sh [EVENTS]          (default 100000 events)
#
#   WARROOM=PATH   the binary to measure (default: target/release/warroom, built if missing)
#   PAGE=N         the plain clients' page size (default 5000)
#   ROUNDS=N       timed rounds of each client; the median is reported (default 3)
#   KEEP=DIR       keep the server's data (DIR/server.db) and the token there, for reuse
#
# What it does: starts `warroom serve` on 127.0.0.1 (a port the system picks) with a fresh
# database and a token, declares one incident and appends EVENTS notes to it through the
# API (1000 a request), then times, ROUNDS times each, interleaved:
#
#   warroom sync     `warroom --data-dir EMPTY --server URL --token T sync`, a new empty
#                    data dir each round (every event fetched, parsed and stored);
#   python peer      a small Python script (urllib, one kept-alive connection) paging
#                    `GET /api/v1/incidents/ID/events?after=SEQ&limit=PAGE` from the
#                    start, parsing each page and reading `after` from its last event;
#   curl peer        curl fetching the same pages in one process (the seqs are known to be
#                    contiguous, so the pages are named up front), bodies thrown away: the
#                    cost of the transfer alone.
#
# It checks that the synced replica holds every event, prints each figure beside its peer
# and the ratio, and says whether `warroom sync` met its goal: at most 1.5 × the Python
# peer + 0.3 s. Needs bash, curl and python3. Prints to stdout; exits 1 on a failure
# (not on a missed goal).
set -euo pipefail

EVENTS=${1:-100000}
PAGE=${PAGE:-5000}
ROUNDS=${ROUNDS:-3}
source "$(dirname "$0")/lib.sh"
release_binary

tmp=$(mktemp -d)
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

srv=${KEEP:-$tmp/srv}
start_server "$srv" catchup.sh
if [[ -n ${KEEP:-} ]]; then printf '%s\n' "$token" >"$srv/token"; fi

# Seeds the incident; prints its id and its newest seq.
seed() {
  python3 "$(dirname "$0")/seed.py" "$url" "$token" "$EVENTS" "Catch-up benchmark"
}

python_peer() {
  python3 - "$url" "$token" "$1" "$PAGE" <<'PY'
import http.client, json, sys, urllib.parse
base, token, incident, page = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
after, got = 0, 0
while True:
    conn.request("GET", f"/api/v1/incidents/{incident}/events?after={after}&limit={page}",
                 headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    body = json.loads(r.read())
    if r.status != 200:
        sys.exit(f"python peer: {r.status} {body}")
    events = body["events"]
    got += len(events)
    if not events:
        break
    after = events[-1]["seq"]
    if after >= body["last_seq"]:
        break
print(got)
PY
}

curl_peer() {
  local id=$1 last=$2 after=0 args=()
  while ((after < last)); do
    args+=(-o /dev/null "$url/api/v1/incidents/$id/events?after=$after&limit=$PAGE")
    after=$((after + PAGE))
  done
  curl -sf -H "Authorization: Bearer $token" "${args[@]}"
}

now_ns() { date +%s%N; }
# Runs a command; prints how long it took, in seconds.
timed() {
  local t0 t1
  t0=$(now_ns)
  "$@" >/dev/null
  t1=$(now_ns)
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

seeded_at=$(now_ns)
read -r incident last_seq < <(seed)
echo "server $url: incident $incident, $last_seq events (seeded in $(awk -v d=$(($(now_ns) - seeded_at)) 'BEGIN { printf "%.1f", d / 1e9 }') s)"

got=$(python_peer "$incident")
[[ $got == "$last_seq" ]] || { echo "catchup.sh: the python peer read $got events of $last_seq" >&2; exit 1; }

sync_into() {
  rm -rf "$1"
  "$WARROOM" --data-dir "$1" --server "$url" --token "$token" sync
}

w=() p=() c=()
for r in $(seq 1 "$ROUNDS"); do
  w+=("$(timed sync_into "$tmp/cli")")
  p+=("$(timed python_peer "$incident")")
  c+=("$(timed curl_peer "$incident" "$last_seq")")
done
# The replica holds every event, once, in order.
held=$("$WARROOM" --data-dir "$tmp/cli" --server "$url" --token "$token" events "$incident" --json |
  python3 -c 'import json, sys
seqs = [json.loads(l)["seq"] for l in sys.stdin]
print(len(seqs) if seqs == list(range(1, len(seqs) + 1)) else -1)')
[[ $held == "$last_seq" ]] || { echo "catchup.sh: the replica holds $held events (want $last_seq in order)" >&2; exit 1; }

wm=$(median "${w[@]}") pm=$(median "${p[@]}") cm=$(median "${c[@]}")
echo "rounds: warroom sync ${w[*]} s; python peer ${p[*]} s; curl peer ${c[*]} s"
awk -v w="$wm" -v p="$pm" -v c="$cm" -v n="$last_seq" -v page="$PAGE" 'BEGIN {
  printf "%-44s %8s %8s %7s\n", "catch-up of " n " events (median)", "warroom", "peer", "ratio"
  printf "%-44s %7.3fs %7.3fs %6.2fx\n", "sync vs python peer (" page "/page, parses)", w, p, w / p
  printf "%-44s %7.3fs %7.3fs %6.2fx\n", "sync vs curl peer (" page "/page, fetch only)", w, c, w / c
  goal = 1.5 * p + 0.3
  printf "goal: warroom sync <= 1.5 x python peer + 0.3 s = %.3f s: %s\n", goal, (w <= goal ? "met" : "MISSED")
}'
