#!/usr/bin/env bash
# Bulk output: `warroom events INCIDENT --json` (and the other reading commands) on an
# incident of many events, each beside `cat` of the very bytes it printed, same sink.
#
# Usage: benches/output.sh [EVENTS]           (default 100000 events)
#
#   WARROOM=PATH   the binary to measure (default: target/release/warroom, built if missing)
#   ROUNDS=N       timed rounds of each command; the median is reported (default 5)
#   KEEP=DIR       keep the seeded data dir (DIR/solo.db) for reuse
#
# What it does: starts `warroom serve` on 127.0.0.1 (a port the system picks), declares
# one incident and appends EVENTS notes through the API (1000 a request), stops the
# server and copies its database into a fresh data dir as the solo replica (`solo.db`: a
# server's file and a replica's are the same SQLite schema). Then, for each command, it
# saves the output once, and times the command and `cat` of that saved output into three
# sinks: a pipe (`| cat >/dev/null`, as into jq or grep), a file, and /dev/null. Prints
# each figure beside its peer and the ratio; the goal is `events --json` within 8x of
# `cat` into a pipe and into a file. Needs bash, curl and python3. Exits 1 on a failure
# (not on a missed goal).
set -euo pipefail

EVENTS=${1:-100000}
ROUNDS=${ROUNDS:-5}
source "$(dirname "$0")/lib.sh"
release_binary

tmp=$(mktemp -d)
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

srv=$tmp/srv
start_server "$srv" output.sh

# Seeds the incident; prints its id and its newest seq.
python3 "$(dirname "$0")/seed.py" "$url" "$token" "$EVENTS" "Output benchmark" >"$tmp/seeded"
read -r incident last_seq <"$tmp/seeded"
stop_server

data=${KEEP:-$tmp/data}
mkdir -p "$data"
rm -f "$data/solo.db" "$data/solo.db-wal" "$data/solo.db-shm"
python3 - "$srv/server.db" "$data/solo.db" <<'PY'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close()
PY
chmod 600 "$data/solo.db"
w() { "$WARROOM" --data-dir "$data" --as bench "$@"; }

# The output is whole: one JSON line per event, in seq order.
w events "$incident" --json >"$tmp/events.jsonl"
python3 - "$tmp/events.jsonl" "$last_seq" <<'PY'
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
if seqs != list(range(1, int(sys.argv[2]) + 1)):
    sys.exit(f"output.sh: events --json printed {len(seqs)} lines, not seqs 1..{sys.argv[2]} in order")
PY

now_ns() { date +%s%N; }
# Runs a shell command line; prints how long it took, in seconds.
timed() {
  local t0 t1
  t0=$(now_ns)
  eval "$1"
  t1=$(now_ns)
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '%s\n' "incident $incident: $last_seq events; median of $ROUNDS rounds"
printf '%-34s %-10s %9s %9s %7s\n' "command" "sink" "warroom" "cat" "ratio"
verdict=met
measure() {
  local name=$1 goal=$2
  shift 2
  local cmd="w $*" saved="$tmp/saved.out" sink wt ct
  eval "$cmd" >"$saved" 2>/dev/null
  local size
  size=$(wc -c <"$saved")
  for sink in pipe file null; do
    case $sink in
      pipe) redirect='| cat >/dev/null' ;;
      file) redirect=">$tmp/sink.out" ;;
      null) redirect='>/dev/null' ;;
    esac
    wt=() ct=()
    for _ in $(seq 1 "$ROUNDS"); do
      wt+=("$(timed "$cmd 2>/dev/null $redirect")")
      ct+=("$(timed "cat $saved $redirect")")
    done
    local wm cm
    wm=$(median "${wt[@]}") cm=$(median "${ct[@]}")
    awk -v n="$name ($((size / 1024)) KiB)" -v s="$sink" -v w="$wm" -v c="$cm" \
      'BEGIN { printf "%-34s %-10s %8.1fms %8.1fms %6.1fx\n", n, s, w * 1000, c * 1000, w / c }'
    if [[ $goal == goal && $sink != null ]] && awk -v w="$wm" -v c="$cm" 'BEGIN { exit !(w > 8 * c) }'; then
      verdict=MISSED
    fi
  done
}
measure "events --json" goal events "$incident" --json
measure "events" - events "$incident"
measure "postmortem --force" - postmortem "$incident" --force
measure "show" - show "$incident"
measure "incidents" - incidents
measure "stats" - stats
echo "goal: events --json within 8x of cat into a pipe and into a file: $verdict"
