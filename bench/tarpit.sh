#!/usr/bin/env bash
# Tarpit benchmark: what thousands of held (tarpitted) connections cost mxtrap, and whether a
# client that is served still gets its greeting at once while they are held.
#
#   bench/tarpit.sh                      # 10,000 then 20,000 held connections, 200 greetings each
#   bench/tarpit.sh --levels "2000 5000" --samples 100
#   MXTRAP_JAVA_OPTS=-Xmx128m bench/tarpit.sh     # the same with a capped heap
#   bench/tarpit.sh --help
#
# Starts `./mxtrap serve` on a free loopback port with a generated config (block 127.0.0.0/8,
# allow 127.0.0.2, suppress.action tarpit), opens the held connections from blocked 127.0.0.x
# addresses (bench/lib/tarpit_load.py) and times greetings from the allowed 127.0.0.2. Everything
# stays on 127.0.0.1; every wait is bounded; the server and the load are ended by PID on exit.
# See bench/README.md for what the figures mean.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib/common.sh"
HELPERS="$ROOT/bench/lib"

# ---- parameters (environment first, flags override) --------------------------------------------
LEVELS=${BENCH_LEVELS:-"10000 20000"}     # held connections, measured in this order
SAMPLES=${BENCH_SAMPLES:-200}             # sequential greetings timed per level
SETTLE=${BENCH_SETTLE:-10}                # seconds between opening a level and measuring it
RENEWALS=${BENCH_RENEWALS:-1}             # then replace every held connection this many times
INTERVAL=${BENCH_INTERVAL:-1s}            # suppress.tarpit_interval
SOURCES=${BENCH_SOURCES:-"127.0.0.1 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6"}
PER_WORKER=${BENCH_PER_WORKER:-5000}      # held sockets per load process (one source address each)
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-1200}    # seconds, upper bound for the whole load run
START_TIMEOUT=${BENCH_START_TIMEOUT:-60}  # seconds for the server to answer 220
BUILD_TIMEOUT=${BENCH_BUILD_TIMEOUT:-900} # seconds for the launcher to build the jar if needed
FD_RESERVE=${BENCH_FD_RESERVE:-200}       # descriptors the server needs besides held connections
BASE_TMP=${BENCH_TMPDIR:-/var/tmp}
KEEP=${BENCH_KEEP:-0}                     # 1: keep the temp dir (config, server log)

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<EOF

Options (each also settable by the environment variable in brackets):
  --levels "N M ..."    held connections per measurement, ascending  [BENCH_LEVELS="$LEVELS"]
  --samples N           greetings timed per level                    [BENCH_SAMPLES=$SAMPLES]
  --settle SECS         wait after opening a level; CPU measured over it [BENCH_SETTLE=$SETTLE]
  --renewals N          after the last level, replace all held connections N times [BENCH_RENEWALS=$RENEWALS]
  --interval DURATION   suppress.tarpit_interval                      [BENCH_INTERVAL=$INTERVAL]
  --sources "A B ..."   blocked source addresses (127.0.0.x, not .2)  [BENCH_SOURCES]
  --run-timeout SECS    bound on the whole load run                   [BENCH_RUN_TIMEOUT=$RUN_TIMEOUT]
  --start-timeout SECS  bound on the server's start (220)             [BENCH_START_TIMEOUT=$START_TIMEOUT]
  --tmpdir DIR          parent of the temp dir                        [BENCH_TMPDIR=$BASE_TMP]
  --keep                keep the temp dir (config, server log)        [BENCH_KEEP=1]
Also: BENCH_PER_WORKER, BENCH_FD_RESERVE, BENCH_BUILD_TIMEOUT, MXTRAP_JAVA_OPTS (JVM options,
passed on by ./mxtrap; the JVM's defaults when unset).
Exit status: 0 every level measured and every held connection intact; 1 a run failed;
2 usage error; 3 the server failed to start.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --levels) LEVELS=$2; shift ;;
    --samples) SAMPLES=$2; shift ;;
    --settle) SETTLE=$2; shift ;;
    --renewals) RENEWALS=$2; shift ;;
    --interval) INTERVAL=$2; shift ;;
    --sources) SOURCES=$2; shift ;;
    --run-timeout) RUN_TIMEOUT=$2; shift ;;
    --start-timeout) START_TIMEOUT=$2; shift ;;
    --tmpdir) BASE_TMP=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "tarpit.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }
for v in SAMPLES SETTLE RENEWALS PER_WORKER RUN_TIMEOUT START_TIMEOUT BUILD_TIMEOUT FD_RESERVE; do
  is_uint "${!v}" || { echo "tarpit.sh: $v must be a non-negative integer, got '${!v}'" >&2; exit 2; }
done
[ "$SAMPLES" -ge 1 ] && [ "$PER_WORKER" -ge 1 ] && [ "$RUN_TIMEOUT" -ge 1 ] ||
  { echo "tarpit.sh: --samples, BENCH_PER_WORKER and --run-timeout must be >= 1" >&2; exit 2; }
prev=0
for l in $LEVELS; do
  is_uint "$l" && [ "$l" -gt "$prev" ] ||
    { echo "tarpit.sh: levels must be ascending positive integers, got '$LEVELS'" >&2; exit 2; }
  prev=$l
done
[ "$prev" -gt 0 ] || { echo "tarpit.sh: no level given" >&2; exit 2; }
case "$INTERVAL" in *[0-9]ms|*[0-9]s) ;; *)
  echo "tarpit.sh: --interval must be a duration like 1s or 250ms, got '$INTERVAL'" >&2; exit 2 ;;
esac
for s in $SOURCES; do
  case "$s" in 127.0.0.2) echo "tarpit.sh: 127.0.0.2 is the allowed address, not a source" >&2; exit 2 ;;
    127.*) ;; *) echo "tarpit.sh: sources must be loopback (127.x.x.x), got '$s'" >&2; exit 2 ;; esac
done
for tool in python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "tarpit.sh: '$tool' not found" >&2; exit 3; }
done

# ---- file descriptors: the server holds one per held connection ---------------------------------
MAX_LEVEL=$prev
WANT_FDS=$((MAX_LEVEL + FD_RESERVE))
raise_fd_limit "$WANT_FDS"
FD_LIMIT=$(ulimit -n)
CAP=$((FD_LIMIT - FD_RESERVE))
CAPPED=""
if [ "$MAX_LEVEL" -gt "$CAP" ]; then
  new=""
  prev=0
  for l in $LEVELS; do
    [ "$l" -gt "$CAP" ] && l=$CAP
    if [ "$l" -gt "$prev" ]; then new="$new $l"; prev=$l; fi
  done
  CAPPED="ulimit -n is $FD_LIMIT here and cannot be raised (hard limit $(ulimit -Hn); raising it needs CAP_SYS_RESOURCE): at most $CAP held connections, so '$LEVELS' became '${new# }'"
  LEVELS=${new# }
  MAX_LEVEL=$prev
fi

# Hold every connection longer than the whole run can take: none may end before it is checked.
HOLD_S=$((RUN_TIMEOUT + 600))

# ---- temp dir and cleanup ------------------------------------------------------------------------
mkdir -p "$BASE_TMP"
TMP=$(mktemp -d "$BASE_TMP/mxtrap-tarpit.XXXXXX")
MXTRAP_PID="" LOAD_PID="" TAIL_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$LOAD_PID" "load (tarpit_load.py)" 30   # its workers end with it (their stdin closes)
  stop_pid "$TAIL_PID" "tail of the load output" 30
  stop_pid "$MXTRAP_PID" mxtrap 30
  if [ "$KEEP" = 1 ]; then
    echo "Temp dir kept: $TMP"
  else
    rm -rf -- "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- machine facts -------------------------------------------------------------------------------
echo "== mxtrap tarpit benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host:      $(uname -srm), nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
echo "memory:    $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
jv=$( (. "$ROOT/scripts/java-env.sh" >/dev/null 2>&1 && java -version) 2>&1 || echo "java: not found")
echo "java:      $(printf '%s' "$jv" | head -n 3 | paste -sd';' | sed 's/;/; /g')"
echo "java opts: ${MXTRAP_JAVA_OPTS:-none (default heap sizing of the JVM)}"
echo "fds:       ulimit -n $FD_LIMIT (hard $(ulimit -Hn)) for the server and the load"
if [ -n "$CAPPED" ]; then echo "  NOTE: $CAPPED"; fi
echo "load:      levels $LEVELS, then $RENEWALS renewal(s); sources $SOURCES (at most $PER_WORKER each" \
  "per load process); $SAMPLES greetings from 127.0.0.2 per level; settle ${SETTLE}s"
echo "tarpit:    interval $INTERVAL, hold ${HOLD_S}s (longer than the run), tarpit_max $((MAX_LEVEL + 1000))"
echo

# ---- mxtrap --------------------------------------------------------------------------------------
read -r P_SMTP P_ADMIN < <(free_ports 2 | paste -sd' ')
MX_CONFIG="$TMP/mxtrap.yml"
cat >"$MX_CONFIG" <<EOF
# Generated by bench/tarpit.sh.
hostname: mail.bench.test
domains: [bench.test]
data_dir: $TMP/data
layout:
  - { preference: 10, host: mail.bench.test, address: 127.0.0.1, port: $P_SMTP, role: primary }
listen: ["127.0.0.1:$P_SMTP"]
admin: { bind: "127.0.0.1:$P_ADMIN" }
allow: ["127.0.0.2"]
# No reverse-name lookups for the served client: the machine's resolver is never asked.
dns: { ptr_budget: 0s }
block: ["127.0.0.0/8"]
suppress: { action: tarpit, tarpit_interval: $INTERVAL, tarpit_hold: ${HOLD_S}s, tarpit_max: $((MAX_LEVEL + 1000)) }
limits: { max_connections: $((MAX_LEVEL + 1000)), max_per_ip: $((MAX_LEVEL + 1000)) }
EOF
# Let the launcher build the jar first if it must (bounded), so the start wait measures start-up.
if ! (cd "$TMP" && timeout -k 5 "$BUILD_TIMEOUT" "$ROOT/mxtrap" --version) >"$TMP/version.log" 2>&1; then
  echo "mxtrap: FAILED: '$ROOT/mxtrap --version' did not succeed within ${BUILD_TIMEOUT}s:" >&2
  tail -n 20 "$TMP/version.log" | sed 's/^/  /' >&2
  exit 3
fi
echo "mxtrap:    $(tail -n 1 "$TMP/version.log")"
# exec all the way down (subshell, launcher, java): $! is the JVM's PID, whose /proc is measured.
(cd "$TMP" && exec "$ROOT/mxtrap" serve --config "$MX_CONFIG") >"$TMP/mxtrap.log" 2>&1 &
MXTRAP_PID=$!
if ! python3 "$HELPERS/wait_banner.py" 127.0.0.1 "$P_SMTP" "$START_TIMEOUT" "$MXTRAP_PID" 127.0.0.2; then
  echo "mxtrap: FAILED: no 220 for 127.0.0.2 on 127.0.0.1:$P_SMTP (exited, or ${START_TIMEOUT}s passed)" >&2
  tail -n 30 "$TMP/mxtrap.log" | sed 's/^/  /' >&2
  exit 3
fi
case "$(readlink "/proc/$MXTRAP_PID/exe" 2>/dev/null)" in
  */java) ;;
  *) echo "mxtrap: FAILED: pid $MXTRAP_PID is not the JVM ($(readlink "/proc/$MXTRAP_PID/exe"))" >&2; exit 3 ;;
esac
echo "mxtrap:    pid $MXTRAP_PID on 127.0.0.1:$P_SMTP (config $MX_CONFIG)"
echo

# ---- the load ------------------------------------------------------------------------------------
LOAD_OUT="$TMP/load.out"
: >"$LOAD_OUT"
JCMD=$(dirname "$(readlink "/proc/$MXTRAP_PID/exe")")/jcmd
JCMD_ARGS=()
if [ -x "$JCMD" ]; then JCMD_ARGS=(--jcmd "$JCMD"); fi
echo "Measurements (each line as it comes):"
timeout -k 5 "$RUN_TIMEOUT" python3 "$HELPERS/tarpit_load.py" --port "$P_SMTP" --pid "$MXTRAP_PID" \
  --levels "$(echo "$LEVELS" | tr ' ' ',')" --sources "$(echo "$SOURCES" | tr ' ' ',')" \
  --allowed 127.0.0.2 --samples "$SAMPLES" --settle "$SETTLE" --renewals "$RENEWALS" \
  --per-worker "$PER_WORKER" --timeout "$RUN_TIMEOUT" "${JCMD_ARGS[@]}" >"$LOAD_OUT" 2>"$TMP/load.err" </dev/null &
LOAD_PID=$!
# In the background and waited for, so that INT/TERM reach our trap at once.
rc=0
tail -n +1 -f --pid="$LOAD_PID" "$LOAD_OUT" | sed 's/^/  /' &
TAIL_PID=$!
wait "$LOAD_PID" || rc=$?
LOAD_PID=""
wait "$TAIL_PID" 2>/dev/null || true
TAIL_PID=""
if [ "$rc" != 0 ]; then
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "FAILED: the load ran past --run-timeout ${RUN_TIMEOUT}s" >&2
  else
    echo "FAILED: the load exited with $rc:" >&2
  fi
  sed 's/^/  /' "$TMP/load.err" >&2
fi
if ! kill -0 "$MXTRAP_PID" 2>/dev/null; then
  echo "FAILED: mxtrap exited during the run; log:" >&2
  tail -n 30 "$TMP/mxtrap.log" | sed 's/^/  /' >&2
  rc=1
fi
if grep -q ': error: ' "$TMP/mxtrap.log"; then
  echo "FAILED: mxtrap logged errors:" >&2
  grep ': error: ' "$TMP/mxtrap.log" | head -n 5 | sed 's/^/  /' >&2
  rc=1
fi

# ---- the table -----------------------------------------------------------------------------------
echo
awk '
  function v(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
  BEGIN {
    printf "%-10s %7s %12s %14s %11s %10s %10s %10s\n", "", "held", "server RSS", "RSS per held", "server CPU", "greet p50", "greet p99", "greet max"
  }
  /^level=/ {
    held = v("held"); rss = v("rss_kb") / 1024
    if (v("label") == "idle") idle = rss
    per = held > 0 ? sprintf("%.1f KB", (rss - idle) * 1024 / held) : "-"
    printf "%-10s %7d %9.1f MB %14s %9.1f %% %7.2f ms %7.2f ms %7.2f ms\n", v("label"), held, rss, per, v("cpu_pct"), v("p50_ms"), v("p99_ms"), v("max_ms")
  }
  /^live / {
    live = sprintf("\nlive heap after a full GC (jcmd GC.run), %d still held: %.1f MB, %.2f KB per held connection\n(the idle server'"'"'s own live heap, a few MB, included)", v("held"), v("heap_used_kb") / 1024, v("heap_used_kb") / v("held"))
  }
  END { if (live != "") print live }' "$LOAD_OUT"
cat <<EOF

server RSS: VmRSS of the JVM (/proc/$MXTRAP_PID/status) after the settle time, before the
greetings. RSS per held: (RSS - idle RSS) / held. server CPU: the JVM's user+system time over the
settle time, in % of one core (the tarpit pacing one byte per interval to every held connection).
greet: connect() from 127.0.0.2 until the whole 220 line, $SAMPLES sequential connects, while
every connection of the row is held.
EOF
exit "$rc"
