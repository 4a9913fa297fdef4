#!/usr/bin/env bash
# wshub side by side with the tutorials' Node.js `ws` broadcast server and
# the raw TCP fan-out ceiling, on the same machine, interleaved run by run
# so that drift in the machine's speed hits every server alike.
#
#   examples/bench/compare.sh                  # everything, 2 repetitions
#   REPS=3 SCENARIOS="S2 S3" examples/bench/compare.sh
#
# Settings (environment): REPS (2), DURATION (10) and WARMUP (2) seconds per
# run, SCENARIOS ("S1 S2 S3 S4 S5-1000 S5-5000 C10k"), SERVERS ("wshub node
# raw"), OUT (target/bench/DATE). Needs Rust, Node.js and npm.
# Every run's JSON line goes to $OUT/results.jsonl, its table to $OUT/runs.log,
# and the comparison (medians, spread, ratios, targets) to $OUT/summary.md.
#
# Two more servers can be named in SERVERS:
# - wshub-rooms: the rooms example (examples/rooms.rs) with every client in
#   one room (the load generator connects to /rooms/bench), so a message
#   goes out through Target::Room instead of broadcast mode: room fan-out
#   side by side with broadcast. Its greeting line is ignored like a welcome.
# - wshub-before: another build of wshub (WSHUB_BEFORE=path/to/wshub, e.g.
#   the commit before a change, built in a worktree), started with wshub's
#   flags, to measure a change side by side; skipped unless WSHUB_BEFORE
#   names an executable.
# The summary gives each a "wshub vs X" column, as it does node and raw.
#
#   WSHUB_BEFORE=../before/target/release/wshub SCENARIOS=S2 \
#     SERVERS="wshub wshub-before wshub-rooms raw" examples/bench/compare.sh
set -euo pipefail
# WSHUB_BEFORE may be relative to where the script was started from.
WSHUB_BEFORE=${WSHUB_BEFORE:+$(realpath -m -- "$WSHUB_BEFORE")}
cd "$(dirname "$0")/../.."

REPS=${REPS:-2}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-"S1 S2 S3 S4 S5-1000 S5-5000 C10k"}
SERVERS=${SERVERS:-"wshub node raw"}
OUT=${OUT:-target/bench/$(date +%Y%m%d-%H%M%S)}
LOADGEN=target/release/examples/loadgen
# wshub and wshub-before run with the same flags.
WSHUB_FLAGS=(--mode broadcast --welcome '' --log-level warn)

case " $SERVERS " in
  *" wshub-before "*)
    if [ ! -x "$WSHUB_BEFORE" ]; then
      echo "skipping wshub-before: WSHUB_BEFORE does not name a wshub binary" >&2
      SERVERS=$(echo " $SERVERS " | sed 's/ wshub-before / /' | xargs)
    fi
    ;;
esac

# What each scenario loads (see the Performance section of README.md).
scenario_args() {
  local timed="--duration $DURATION --warmup $WARMUP"
  case $1 in
    S1) echo "--subscribers 100 --publishers 1 --size 64 --rate 0 $timed" ;;
    S2) echo "--subscribers 1000 --publishers 1 --size 64 --rate 0 $timed" ;;
    S3) echo "--subscribers 1000 --publishers 1 --size 64 --rate 100 $timed" ;;
    S4) echo "--subscribers 200 --publishers 200 --size 64 --rate 5 $timed" ;;
    S5-1000) echo "--subscribers 1000 --publishers 0 --duration 1 --warmup 0" ;;
    S5-5000) echo "--subscribers 5000 --publishers 0 --duration 1 --warmup 0" ;;
    C10k) echo "--subscribers 10000 --publishers 1 --rate 1 --duration 3 --warmup 1" ;;
    *) echo "unknown scenario $1" >&2; return 1 ;;
  esac
}

# The path each server is loaded on: the rooms example puts a client in
# the room its path names.
url_path() {
  case $1 in
    wshub-rooms) echo /rooms/bench ;;
    *) echo / ;;
  esac
}

# The raw ceiling has no per-connection state worth weighing, except in
# the idle scenarios: there it is the baseline (the load generator and a
# bare socket on each side), to subtract from the machine's figure.
runs_on() {
  case "$1:$2" in
    C10k:raw | C10k:wshub-rooms) return 1 ;;
    *) return 0 ;;
  esac
}

# 10,000 clients need 10,000 descriptors in the load generator and as many
# in the server (both inherit this limit; wshub and the load generator also
# raise their own soft limit to the hard one).
ulimit -n "$(ulimit -Hn)"

echo "building wshub, the rooms example and the load generator (release)"
cargo build --release --quiet --bin wshub --example loadgen --example rooms
case " $SERVERS " in
  *" node "*)
    echo "installing the ws package for the Node server"
    (cd examples/node && npm ci --no-audit --no-fund --silent)
    ;;
esac

mkdir -p "$OUT"
: >"$OUT/results.jsonl"
: >"$OUT/runs.log"
: >"$OUT/busy.txt"

port_is_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 10000))
    port_is_open "$port" || { echo "$port"; return; }
  done
}

SERVER_PID=
start_server() { # name port
  case $1 in
    # The load generator is one peer address: no per-peer share.
    wshub) target/release/wshub --port "$2" "${WSHUB_FLAGS[@]}" --max-clients-per-peer 0 & ;;
    wshub-before) "$WSHUB_BEFORE" --port "$2" "${WSHUB_FLAGS[@]}" & ;;
    # It logs every connect at info level and reads room lines from stdin.
    wshub-rooms) target/release/examples/rooms --port "$2" </dev/null >/dev/null 2>&1 & ;;
    node) node examples/node/broadcast.mjs "$2" >/dev/null & ;;
    raw) "$LOADGEN" --serve-raw "127.0.0.1:$2" 2>/dev/null & ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 100); do
    port_is_open "$2" && return 0
    sleep 0.1
  done
  echo "$1 did not start listening on port $2" >&2
  return 1
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT

# How busy the machine is with other work: the share of all cores in use
# over one second while none of ours runs (the load average would count
# our own load generator and server too).
busy_pct() {
  local a b
  read -ra a < <(head -1 /proc/stat)
  sleep 1
  read -ra b < <(head -1 /proc/stat)
  local total=0 idle i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] + b[5] - a[4] - a[5]))
  echo $((100 * (total - idle) / (total > 0 ? total : 1)))
}

# Rotate the server order each repetition so no server always goes first.
rotated() { # rep servers...
  local rep=$1; shift
  local list=("$@") n=$# i
  for ((i = 0; i < n; i++)); do echo "${list[(i + rep) % n]}"; done
}

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r), $(rustc --version | cut -d' ' -f1-2)"
if [ -d examples/node/node_modules/ws ]; then
  machine="$machine, Node $(node --version) with ws $(node -p "require('./examples/node/node_modules/ws/package.json').version")"
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "machine: $machine; load average $load_start"
echo "each run: machine busy before it (other work), then its figures"
started=$(date +%s)

for scenario in $SCENARIOS; do
  args=$(scenario_args "$scenario")
  for ((rep = 1; rep <= REPS; rep++)); do
    for server in $(rotated "$rep" $SERVERS); do
      runs_on "$scenario" "$server" || continue
      busy=$(busy_pct)
      echo "$busy" >>"$OUT/busy.txt"
      port=$(free_port)
      start_server "$server" "$port"
      printf '%-8s rep %d  %-12s (machine %2d %% busy before) ' "$scenario" "$rep" "$server" "$busy"
      {
        echo "=== $scenario rep $rep $server (machine $busy % busy before the run)"
        # shellcheck disable=SC2086 # $args is a list of flags
        "$LOADGEN" --url "ws://127.0.0.1:$port$(url_path "$server")" $args --pid "$SERVER_PID" \
          --scenario "$scenario" --server-name "$server" --append-json "$OUT/results.jsonl"
      } >>"$OUT/runs.log" 2>&1
      stop_server
      tail -n 1 "$OUT/results.jsonl" |
        grep -o '"\(deliveries_per_s\|p99_us\|lost\|connect_errors\|idle_rss_per_conn_kib\)":[0-9.]*' |
        tr '\n' ' ' | tr -d '"'
      echo
    done
  done
done

{
  echo "Machine: $machine."
  echo "Other work kept the machine $(sort -n "$OUT/busy.txt" | awk '{v[NR] = $1} END {printf "%d %% busy (median; %d–%d %%)", v[int((NR + 1) / 2)], v[1], v[NR]}') in the second before each run; load average $load_start at the start. $(($(date +%s) - started)) s in all."
  echo "Command: ${WSHUB_BEFORE:+WSHUB_BEFORE=$WSHUB_BEFORE }REPS=$REPS DURATION=$DURATION WARMUP=$WARMUP SCENARIOS=\"$SCENARIOS\" SERVERS=\"$SERVERS\" examples/bench/compare.sh"
  echo
  "$LOADGEN" --summarize "$OUT/results.jsonl"
} >"$OUT/summary.md"
echo
cat "$OUT/summary.md"
echo
echo "(all runs: $OUT/runs.log and $OUT/results.jsonl)"
