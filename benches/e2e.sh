#!/usr/bin/env bash
# End-to-end figures a user would recognise, each printed beside its peer measured in the
# same run, with the ratio. Uses the release binary (`warroom serve`, the console in tmux,
# the CLI) and a small load client (benches/e2e_load.rs, plain HTTP/1.1; python3 times the
# commands).
#
# Usage: benches/e2e.sh            (about two minutes; more when the scripts below exist)
#
#   BIG=N       events of the long incident (default 100000); the short one has 100
#   WAITERS=N   long-polls for the fan-out (default 2000)
#
# Figures and their peers:
#   GET /api/v1/incidents/ID at 100 events    vs the same at BIG events
#   the same GET right after an append         at 100 vs BIG events (a status screen
#                                              polling after each change)
#   console launch to newest entry on screen   at 100 vs BIG events (tmux, 160x48)
#   `warroom events ID --json | wc -c`         vs `cat` of the same bytes | wc -c
#   `warroom sync` into an empty data dir      vs a plain client paging the same API
#   durable append after 20 ms idle            vs back to back; beside them plain SQLite
#                                              inserts (WAL, synchronous=FULL) and /healthz
#   2,000 long-polls woken by one append       p50/p99; /healthz during it vs at rest
#
# Other scripts measure some of these more closely; when they exist they are run as well
# and print their own figures: benches/state.* (GET and the console at both sizes),
# benches/catchup.sh (sync), benches/output.sh (events output).
#
# Prints to stdout; exits non-zero when something fails (never for a missed goal).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BIG=${BIG:-100000}
WAITERS=${WAITERS:-2000}

say() { printf '%s\n' "$*"; }
section() { printf '\n== %s\n' "$*"; }

cargo build --release --quiet --bin warroom
WARROOM=$root/target/release/warroom
LOAD=$(cargo bench --quiet --bench e2e_load --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    j = json.loads(line)
    if j.get("executable") and j.get("target", {}).get("name") == "e2e_load":
        print(j["executable"])')
[[ -x $LOAD ]] || { say "e2e.sh: the load client did not build" >&2; exit 1; }

# On the project's disk (target/), not a tmpfs: fsyncs must cost what they cost.
mkdir -p "$root/target"
work=$(mktemp -d "$root/target/e2e.XXXXXX")
server_pid=
socket="warroom-e2e-$$"
cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null || true
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/srv" "$work/home"
# Nobody's own settings reach the figures.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share
unset WARROOM_SERVER WARROOM_TOKEN WARROOM_DATA_DIR WARROOM_DB WARROOM_AS
export RUST_LOG=${RUST_LOG:-info}

token=$("$WARROOM" --data-dir "$work/srv" token create bench --db "$work/srv/server.db" 2>/dev/null)
# The server's file limit is raised by `serve` itself; ours for the waiters by the client.
"$WARROOM" --data-dir "$work/srv" serve --listen 127.0.0.1:0 --db "$work/srv/server.db" \
  >"$work/serve.out" 2>"$work/serve.log" &
server_pid=$!
url=
for _ in $(seq 1 200); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1) || true
  [[ -n $url ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.05
done
[[ -n $url ]] || { say "e2e.sh: the server did not start" >&2; exit 1; }

load() { "$LOAD" "$@" --url "$url" --token "$token"; }
# `key=value` lines from the load client, as shell variables prefixed with $1.
take() { local prefix=$1; shift; while IFS='=' read -r k v; do printf -v "${prefix}${k}" '%s' "$v"; done < <("$@"); }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')" "$1" "$2"; }
row() { printf '  %-46s %12s   %-34s %12s   ratio %s\n' "$1" "$2" "$3" "$4" "$(ratio "${5:-${2%% *}}" "${6:-${4%% *}}")"; }

say "warroom end-to-end figures: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, release build, loopback"
say "server: $url (SQLite, WAL + synchronous=FULL), logging at $RUST_LOG to a file"
say "each figure beside its peer from this same run; ratio = figure / peer"

small=$(load seed --events 100)
t0=$(date +%s.%N)
big=$(load seed --events "$BIG")
seeded=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)")
say "seeded: $small (100 events), $big ($BIG events, through the API in ${seeded} s)"

# Solo data dirs holding each incident, for the console and the CLI.
for n in small big; do
  mkdir -p "$work/$n"
  "$LOAD" copy --from "$work/srv/server.db" --to "$work/$n/solo.db"
done

section "state of an incident"
take g_small_ load get --incident "$small" --n 20
take g_big_ load get --incident "$big" --n 20
row "GET /api/v1/incidents/ID at $BIG events" "$g_big_get_p50_ms ms" "the same at 100 events" "$g_small_get_p50_ms ms"

# The console: launch until the newest entry's text is on screen, p50 of 5 launches.
console_ms() {
  local dir=$1 id=$2 marker=$3
  python3 - "$WARROOM" "$dir" "$id" "$marker" "$socket" <<'PY'
import statistics, subprocess, sys, time
warroom, data, incident, marker, sock = sys.argv[1:]
def tmux(*a):
    return subprocess.run(["tmux", "-L", sock, *a], capture_output=True, text=True)
took = []
for _ in range(5):
    tmux("kill-server")
    t = time.perf_counter()
    tmux("new-session", "-d", "-s", "c", "-x", "160", "-y", "48",
         f"WARROOM_DATA_DIR={data} exec {warroom} --as bench --incident {incident}")
    while time.perf_counter() - t < 30:
        if marker in tmux("capture-pane", "-p", "-t", "c").stdout:
            took.append(time.perf_counter() - t)
            break
        time.sleep(0.005)
    else:
        sys.exit(f"the console never showed '{marker}'")
    tmux("kill-server")
print(f"{statistics.median(took) * 1000:.0f}")
PY
}
if command -v tmux >/dev/null; then
  c_small=$(console_ms "$work/small" "$small" "newest entry 100")
  c_big=$(console_ms "$work/big" "$big" "newest entry $BIG")
  row "console launch to newest entry, $BIG events" "$c_big ms" "the same at 100 events" "$c_small ms"
else
  say "  (no tmux: console figures skipped)"
fi

# Another script's figures: printed as it prints them; its failure is said, not fatal.
others() {
  local name=$1; shift
  section "$name (its own figures)"
  if ! "$@" 2>"$work/other.err"; then
    say "  ($name failed; its figures are missing. What it said:)"
    # A panic's own message, not the backtrace under it.
    { grep -A3 "panicked at" "$work/other.err" || tail -5 "$work/other.err"; } | head -8 | sed 's/^/    /'
  fi
}
for s in benches/state.sh benches/state.py benches/state.rs; do
  [[ -e $s ]] || continue
  case $s in
    *.sh) others "$s" bash "$s" ;;
    *.py) others "$s" python3 "$s" ;;
    *.rs) others "$s" cargo bench --quiet --bench state ;;
  esac
  break
done

section "output"
python3 - "$WARROOM" "$work/big" "$big" "$work/events.jsonl" <<'PY'
import statistics, subprocess, sys, time, os
warroom, data, incident, dump = sys.argv[1:]
env = dict(os.environ, WARROOM_DATA_DIR=data)
with open(dump, "wb") as f:
    subprocess.run([warroom, "--as", "bench", "events", incident, "--json"], stdout=f, env=env, check=True)
def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, env=env, check=True).stdout
    return time.perf_counter() - t, int(out.strip())
runs = {"events": [], "cat": []}
size = os.path.getsize(dump)
for _ in range(5):
    for name, cmd in [("events", f"'{warroom}' --as bench events {incident} --json | wc -c"),
                      ("cat", f"cat '{dump}' | wc -c")]:
        took, n = timed(cmd)
        assert n == size, (name, n, size)
        runs[name].append(took)
e, c = statistics.median(runs["events"]) * 1000, statistics.median(runs["cat"]) * 1000
print(f"  {'warroom events ID --json | wc -c (' + format(size / 1e6, '.1f') + ' MB)':<46} {e:9.0f} ms   {'cat of the same bytes | wc -c':<34} {c:9.1f} ms   ratio {e / c:.0f}")
PY
if [[ -e benches/output.sh ]]; then
  others benches/output.sh bash benches/output.sh
fi

section "catch-up"
sync_s=()
page_s=()
for i in 1 2 3; do
  rm -rf "$work/sync$i"
  t0=$(date +%s.%N)
  "$WARROOM" --data-dir "$work/sync$i" --server "$url" --token "$token" --as bench sync >/dev/null 2>&1
  sync_s+=("$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$(date +%s.%N)")")
  take p_ load page --incident "$big"
  page_s+=("$p_page_s")
done
med() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
s_med=$(printf '%.2f' "$(med "${sync_s[@]}")")
p_med=$(printf '%.2f' "$(med "${page_s[@]}")")
row "warroom sync, empty data dir ($BIG + 100 events)" "$s_med s" "plain client paging $BIG events" "$p_med s"
if [[ -e benches/catchup.sh ]]; then
  others benches/catchup.sh bash benches/catchup.sh "$BIG"
fi

section "state right after an append"
# Run after the figures that read the long incident as seeded: this appends to both.
take fr_small_ load fresh --incident "$small" --n 20
take fr_big_ load fresh --incident "$big" --n 20
row "GET right after an append at $BIG events" "$fr_big_fresh_get_p50_ms ms" "the same at 100 events" "$fr_small_fresh_get_p50_ms ms"

section "durable append"
take i_ load idle --incident "$small" --dir "$work" --n 200
row "durable append after 20 ms idle, p50" "$i_append_idle_p50_ms ms" "back to back, p50" "$i_append_busy_p50_ms ms"
row "plain SQLite insert after 20 ms idle, p50" "$i_sqlite_idle_p50_ms ms" "back to back, p50" "$i_sqlite_busy_p50_ms ms"
row "/healthz after 20 ms idle, p50" "$i_healthz_idle_p50_ms ms" "back to back, p50" "$i_healthz_busy_p50_ms ms"
row "durable append back to back, p50" "$i_append_busy_p50_ms ms" "plain SQLite insert, p50" "$i_sqlite_busy_p50_ms ms"
row "durable append after 20 ms idle, p50" "$i_append_idle_p50_ms ms" "plain SQLite insert after idle" "$i_sqlite_idle_p50_ms ms"

section "fan-out"
take f_ load fanout --incident "$small" --waiters "$WAITERS" --rounds 3
say "  $f_waiters long-polls on one incident, one append, ${f_rounds} rounds ($f_wake_n answers)"
row "woken after the append, p50" "$f_wake_p50_ms ms" "the append's own answer, p50" "$f_fanout_append_p50_ms ms"
row "woken after the append, p99" "$f_wake_p99_ms ms" "the append's own answer, p99" "$f_fanout_append_p99_ms ms"
row "/healthz during the fan-out, p50" "$f_healthz_during_p50_ms ms" "/healthz at rest, p50" "$f_healthz_rest_p50_ms ms"
row "/healthz during the fan-out, p99 (n=$f_healthz_during_n)" "$f_healthz_during_p99_ms ms" "/healthz at rest, p99" "$f_healthz_rest_p99_ms ms"

say ""
say "server log: $(grep -c ' request' "$work/serve.log" || true) request lines, $(grep -ci ' warn\| error' "$work/serve.log" || true) warnings or errors"
