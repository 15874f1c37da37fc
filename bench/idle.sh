#!/usr/bin/env bash
# Idle-session benchmark: what each held, served, idle SMTP session costs in memory, for mxtrap,
# aiosmtpd and Haraka side by side in one run.
#
#   bench/idle.sh                                  # 2,000 then 10,000 idle sessions, all three
#   bench/idle.sh --servers mxtrap --levels "2000 10000"
#   MXTRAP_JAVA_OPTS=-XX:+UseSerialGC bench/idle.sh --servers mxtrap --keep
#   bench/idle.sh --help
#
# One server at a time, each on a free loopback port: bench/lib/idle_load.py opens sessions from
# several 127.0.0.x addresses (connect, read the 220, EHLO, read the 250 reply, then silence) and
# measures the server's PSS and RSS (/proc/PID/smaps_rollup, summed over its processes) idle and
# after a settle time at each level. Per session = (PSS at N - PSS idle) / N. For mxtrap, last,
# the JVM's heap and NMT figures (jcmd). Every wait is bounded; every process started here is ended
# by PID on exit. See bench/README.md for what the figures mean.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib/common.sh"
HELPERS="$ROOT/bench/lib"

# ---- parameters (environment first, flags override) --------------------------------------------
LEVELS=${BENCH_LEVELS:-"2000 10000"}      # idle sessions held, measured in this order
SERVERS=${BENCH_SERVERS:-mxtrap,aiosmtpd,haraka}
SETTLE=${BENCH_SETTLE:-10}                # seconds between opening a level and measuring it
WARMUP=${BENCH_WARMUP:-0}                 # sessions through EHLO and QUIT before measuring idle
SOURCES=${BENCH_SOURCES:-"127.0.0.1 127.0.0.3 127.0.0.4"}
PER_WORKER=${BENCH_PER_WORKER:-5000}      # sessions per load process (one source address each)
LEVEL_TIMEOUT=${BENCH_LEVEL_TIMEOUT:-300} # seconds to open one level
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-900}     # seconds, upper bound for one server's whole load run
START_TIMEOUT=${BENCH_START_TIMEOUT:-60}  # seconds for a server to answer 220
BUILD_TIMEOUT=${BENCH_BUILD_TIMEOUT:-900} # seconds for the launcher to build the jar if needed
INSTALL_TIMEOUT=${BENCH_INSTALL_TIMEOUT:-600} # seconds for `npm install Haraka` when absent
FD_RESERVE=${BENCH_FD_RESERVE:-500}       # descriptors a server needs besides the sessions
HARAKA_DIR=${BENCH_HARAKA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mxtrap-bench/haraka}
HARAKA_VERSION=${BENCH_HARAKA_VERSION:-3.3.4}
NODE=${BENCH_NODE:-/usr/bin/node}
AIOSMTPD_PYTHON=${BENCH_AIOSMTPD_PYTHON:-/usr/bin/python3}  # the Python that has aiosmtpd
JVM_DIAG=${BENCH_JVM_DIAG:-1}             # 1: jcmd heap figures for mxtrap at the end
BASE_TMP=${BENCH_TMPDIR:-/var/tmp}
KEEP=${BENCH_KEEP:-0}                     # 1: keep the temp dir (configs, logs, jcmd outputs)

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<EOF

Options (each also settable by the environment variable in brackets):
  --levels "N M ..."    idle sessions per measurement, ascending     [BENCH_LEVELS="$LEVELS"]
  --servers LIST        any of mxtrap,aiosmtpd,haraka, run in order  [BENCH_SERVERS=$SERVERS]
  --settle SECS         wait after opening a level before measuring  [BENCH_SETTLE=$SETTLE]
  --sources "A B ..."   client source addresses (127.x.x.x)          [BENCH_SOURCES]
  --warmup N            N sessions come and go (EHLO, QUIT) before the
                        idle measurement: a server up for a while     [BENCH_WARMUP=$WARMUP]
  --no-jvm-diag         skip mxtrap's jcmd figures at the end        [BENCH_JVM_DIAG=0]
  --haraka-dir DIR      where Haraka is (npm-)installed if absent    [BENCH_HARAKA_DIR=$HARAKA_DIR]
  --run-timeout SECS    bound on one server's whole load run         [BENCH_RUN_TIMEOUT=$RUN_TIMEOUT]
  --start-timeout SECS  bound on a server's start (220)              [BENCH_START_TIMEOUT=$START_TIMEOUT]
  --tmpdir DIR          parent of the temp dir                       [BENCH_TMPDIR=$BASE_TMP]
  --keep                keep the temp dir (configs, logs, jcmd outputs) [BENCH_KEEP=1]
Also: BENCH_PER_WORKER, BENCH_LEVEL_TIMEOUT, BENCH_FD_RESERVE, BENCH_BUILD_TIMEOUT,
BENCH_INSTALL_TIMEOUT, BENCH_HARAKA_VERSION ($HARAKA_VERSION), BENCH_NODE ($NODE),
BENCH_AIOSMTPD_PYTHON ($AIOSMTPD_PYTHON), MXTRAP_JAVA_OPTS (JVM options, passed on by ./mxtrap;
the launcher's defaults when unset; -XX:NativeMemoryTracking=summary adds NMT to the jcmd figures).
Exit status: 0 every server measured at every level with every session intact; 1 a run failed;
2 usage error; 3 a server could not be installed or started.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --levels) LEVELS=$2; shift ;;
    --servers) SERVERS=$2; shift ;;
    --settle) SETTLE=$2; shift ;;
    --sources) SOURCES=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --no-jvm-diag) JVM_DIAG=0 ;;
    --haraka-dir) HARAKA_DIR=$2; shift ;;
    --run-timeout) RUN_TIMEOUT=$2; shift ;;
    --start-timeout) START_TIMEOUT=$2; shift ;;
    --tmpdir) BASE_TMP=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "idle.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }
for v in SETTLE WARMUP PER_WORKER LEVEL_TIMEOUT RUN_TIMEOUT START_TIMEOUT BUILD_TIMEOUT INSTALL_TIMEOUT FD_RESERVE; do
  is_uint "${!v}" || { echo "idle.sh: $v must be a non-negative integer, got '${!v}'" >&2; exit 2; }
done
[ "$PER_WORKER" -ge 1 ] && [ "$RUN_TIMEOUT" -ge 1 ] && [ "$LEVEL_TIMEOUT" -ge 1 ] ||
  { echo "idle.sh: BENCH_PER_WORKER, --run-timeout and BENCH_LEVEL_TIMEOUT must be >= 1" >&2; exit 2; }
prev=0
for l in $LEVELS; do
  is_uint "$l" && [ "$l" -gt "$prev" ] ||
    { echo "idle.sh: levels must be ascending positive integers, got '$LEVELS'" >&2; exit 2; }
  prev=$l
done
[ "$prev" -gt 0 ] || { echo "idle.sh: no level given" >&2; exit 2; }
MAX_LEVEL=$prev
nsources=0
for s in $SOURCES; do
  case "$s" in 127.*) ;; *) echo "idle.sh: sources must be loopback (127.x.x.x), got '$s'" >&2; exit 2 ;; esac
  nsources=$((nsources + 1))
done
[ "$nsources" -ge 1 ] || { echo "idle.sh: no source address given" >&2; exit 2; }
RUN_LIST=()
IFS=', ' read -r -a _servers <<<"$SERVERS"
for s in "${_servers[@]}"; do
  case "$s" in
    mxtrap|aiosmtpd|haraka) RUN_LIST+=("$s") ;;
    '') ;;
    *) echo "idle.sh: unknown server '$s' (mxtrap, aiosmtpd, haraka)" >&2; exit 2 ;;
  esac
done
[ "${#RUN_LIST[@]}" -ge 1 ] || { echo "idle.sh: no server given" >&2; exit 2; }
for tool in python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || { echo "idle.sh: '$tool' not found" >&2; exit 3; }
done

# ---- file descriptors: a server holds one per session, a load process up to PER_WORKER ----------
WANT_FDS=$((MAX_LEVEL + FD_RESERVE))
raise_fd_limit "$WANT_FDS"
FD_LIMIT=$(ulimit -n)
if [ "$MAX_LEVEL" -gt $((FD_LIMIT - FD_RESERVE)) ]; then
  echo "idle.sh: ulimit -n is $FD_LIMIT here and cannot be raised (hard limit $(ulimit -Hn));" \
    "at most $((FD_LIMIT - FD_RESERVE)) sessions fit, not $MAX_LEVEL: lower --levels" >&2
  exit 2
fi

# Sessions must outlive the whole run: every server's idle timeout is set beyond it.
HOLD_S=$((RUN_TIMEOUT + 600))

# ---- temp dir and cleanup ------------------------------------------------------------------------
mkdir -p "$BASE_TMP"
TMP=$(mktemp -d "$BASE_TMP/mxtrap-idle.XXXXXX")
SERVER_PID="" SERVER_NAME="" LOAD_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$LOAD_PID" "load (idle_load.py)" 30   # its workers end with it (their stdin closes)
  stop_pid "$SERVER_PID" "$SERVER_NAME" 30
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
echo "== idle-session memory benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host:      $(uname -srm), nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
echo "memory:    $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fds:       ulimit -n $FD_LIMIT (hard $(ulimit -Hn)) for the servers and the load"
echo "load:      levels $LEVELS; sources $SOURCES (at most $PER_WORKER sessions per load process);" \
  "settle ${SETTLE}s; warm-up $WARMUP sessions; idle timeouts ${HOLD_S}s"
echo

# ---- one server ----------------------------------------------------------------------------------
LOAD_OUT="$TMP/load.out"
: >"$LOAD_OUT"
FAILED=0

# start_SERVER PORT: starts it in the background, sets SERVER_PID (the process to measure: exec
# all the way down, so that it is the server itself) and SERVER_INFO; false when it cannot.

start_mxtrap() {
  local port=$1 admin dir="$TMP/mxtrap" jv
  admin=$(free_ports 1)
  mkdir -p "$dir"
  cat >"$dir/mxtrap.yml" <<EOF
# Generated by bench/idle.sh.
hostname: mail.bench.test
domains: [bench.test]
data_dir: $dir/data
layout:
  - { preference: 10, host: mail.bench.test, address: 127.0.0.1, port: $port, role: primary }
listen: ["127.0.0.1:$port"]
admin: { bind: "127.0.0.1:$admin" }
# No reverse-name lookups: the machine's resolver is never asked.
dns: { ptr_budget: 0s }
# Every session fits, from a few source addresses, and none times out while measured.
limits: { max_connections: $((MAX_LEVEL + 1000)), max_per_ip: $((MAX_LEVEL + 1000)), command_timeout: ${HOLD_S}s }
EOF
  # Let the launcher build the jar first if it must (bounded), so the start wait measures start-up.
  if ! (cd "$dir" && timeout -k 5 "$BUILD_TIMEOUT" "$ROOT/mxtrap" --version) >"$dir/version.log" 2>&1; then
    echo "mxtrap: FAILED: '$ROOT/mxtrap --version' did not succeed within ${BUILD_TIMEOUT}s:" >&2
    tail -n 20 "$dir/version.log" | sed 's/^/  /' >&2
    return 1
  fi
  jv=$( (. "$ROOT/scripts/java-env.sh" >/dev/null 2>&1 && java -version) 2>&1 | head -n 1 || true)
  SERVER_INFO="$(tail -n 1 "$dir/version.log"), $jv, java opts: ${MXTRAP_JAVA_OPTS:-none}"
  (cd "$dir" && exec "$ROOT/mxtrap" serve --config "$dir/mxtrap.yml") >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$dir/server.log"
}

start_aiosmtpd() {
  local port=$1 dir="$TMP/aiosmtpd" v
  mkdir -p "$dir"
  if ! v=$("$AIOSMTPD_PYTHON" -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>&1); then
    echo "aiosmtpd: FAILED: not importable by $AIOSMTPD_PYTHON (apt-get install python3-aiosmtpd," \
      "or set BENCH_AIOSMTPD_PYTHON): $v" >&2
    return 1
  fi
  SERVER_INFO="aiosmtpd $v, $("$AIOSMTPD_PYTHON" --version 2>&1)"
  (cd "$dir" && exec "$AIOSMTPD_PYTHON" "$HELPERS/aiosmtpd_server.py" 127.0.0.1 "$port" "$HOLD_S") \
    >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$dir/server.log"
}

start_haraka() {
  local port=$1 dir="$TMP/haraka" pkg="$HARAKA_DIR/node_modules/Haraka"
  if [ ! -x "$NODE" ]; then
    echo "haraka: FAILED: no node at $NODE (apt-get install nodejs, or set BENCH_NODE)" >&2
    return 1
  fi
  if [ ! -f "$pkg/bin/haraka" ]; then
    command -v npm >/dev/null 2>&1 || { echo "haraka: FAILED: npm not found (apt-get install npm)" >&2; return 1; }
    echo "haraka:    installing Haraka@$HARAKA_VERSION into $HARAKA_DIR (npm install) ..."
    mkdir -p "$HARAKA_DIR"
    if ! (cd "$HARAKA_DIR" && timeout -k 5 "$INSTALL_TIMEOUT" npm install --no-audit --no-fund \
          --omit=optional "Haraka@$HARAKA_VERSION") >"$TMP/haraka-install.log" 2>&1 ||
       [ ! -f "$pkg/bin/haraka" ]; then
      echo "haraka: FAILED: npm install Haraka@$HARAKA_VERSION:" >&2
      tail -n 20 "$TMP/haraka-install.log" | sed 's/^/  /' >&2
      return 1
    fi
  fi
  # A Haraka home: its default config files, then ours over them. One process (no cluster), the
  # idle timeout beyond the run, no plugins but one that answers the reverse-name lookup the core
  # would otherwise ask DNS for. Haraka has no connection limit of its own (the toobusy plugin,
  # off here, is its only brake).
  mkdir -p "$dir/config" "$dir/plugins"
  cp "$pkg"/config/* "$dir/config/"
  cat >"$dir/config/smtp.ini" <<EOF
; Generated by bench/idle.sh.
listen=127.0.0.1:$port
inactivity_timeout=$HOLD_S
nodes=
EOF
  echo "bench_rdns" >"$dir/config/plugins"
  echo "haraka.bench.test" >"$dir/config/me"
  printf '[main]\nlevel=warn\n' >"$dir/config/log.ini"
  cat >"$dir/plugins/bench_rdns.js" <<'EOF'
// Generated by bench/idle.sh: the client's name without asking DNS.
exports.hook_lookup_rdns = (next) => next(OK, 'client.bench.test')
EOF
  SERVER_INFO="Haraka $(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" | head -n 1), node $("$NODE" --version)"
  (cd "$dir" && exec "$NODE" "$pkg/bin/haraka" -c "$dir") >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$dir/server.log"
}

# run_server NAME: starts it, loads it, ends it. Appends its measurements to $LOAD_OUT.
run_server() {
  local name=$1 port rc=0 jargs=()
  port=$(free_ports 1)
  SERVER_NAME=$name SERVER_INFO="" SERVER_LOG=/dev/null
  if ! "start_$name" "$port"; then
    echo "server=$name failed=start" >>"$LOAD_OUT"
    return 3
  fi
  if ! python3 "$HELPERS/wait_banner.py" 127.0.0.1 "$port" "$START_TIMEOUT" "$SERVER_PID"; then
    echo "$name: FAILED: no 220 on 127.0.0.1:$port (exited, or ${START_TIMEOUT}s passed); log:" >&2
    tail -n 30 "$SERVER_LOG" | sed 's/^/  /' >&2
    stop_pid "$SERVER_PID" "$name" 30
    SERVER_PID=""
    echo "server=$name failed=start" >>"$LOAD_OUT"
    return 3
  fi
  echo "$name: pid $SERVER_PID on 127.0.0.1:$port; $SERVER_INFO"
  if [ "$name" = mxtrap ] && [ "$JVM_DIAG" = 1 ]; then
    local jcmd
    jcmd=$(dirname "$(readlink "/proc/$SERVER_PID/exe")")/jcmd
    if [ -x "$jcmd" ]; then
      mkdir -p "$TMP/mxtrap/jcmd"
      jargs=(--jcmd "$jcmd" --dump "$TMP/mxtrap/jcmd")
    fi
  fi
  timeout -k 5 "$RUN_TIMEOUT" python3 "$HELPERS/idle_load.py" --server "$name" --port "$port" \
    --pid "$SERVER_PID" --levels "$(echo "$LEVELS" | tr ' ' ',')" \
    --sources "$(echo "$SOURCES" | tr ' ' ',')" --settle "$SETTLE" --warmup "$WARMUP" --per-worker "$PER_WORKER" \
    --timeout "$LEVEL_TIMEOUT" "${jargs[@]}" >>"$LOAD_OUT" 2>"$TMP/load-$name.err" </dev/null &
  LOAD_PID=$!
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  if [ "$rc" != 0 ]; then
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      echo "$name: FAILED: the load ran past --run-timeout ${RUN_TIMEOUT}s" >&2
    else
      echo "$name: FAILED: the load exited with $rc:" >&2
    fi
    sed 's/^/  /' "$TMP/load-$name.err" >&2
    rc=1
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "$name: FAILED: the server exited during the run; log:" >&2
    grep -v 'connect from' "$SERVER_LOG" | tail -n 30 | sed 's/^/  /' >&2
    rc=1
  fi
  stop_pid "$SERVER_PID" "$name" 30
  SERVER_PID=""
  return "$rc"
}

for name in "${RUN_LIST[@]}"; do
  rc=0
  run_server "$name" || rc=$?
  if [ "$rc" = 3 ] && [ "$FAILED" = 0 ]; then FAILED=3; elif [ "$rc" != 0 ]; then FAILED=1; fi
  # Each measurement as it comes, so that a long run shows progress.
  grep "^server=$name " "$LOAD_OUT" | sed 's/^/  /'
done

# ---- the table -----------------------------------------------------------------------------------
echo
awk -v order="${RUN_LIST[*]}" -v levels="$LEVELS" '
  function v(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
  BEGIN { ns = split(order, names, " "); nl = split(levels, lv, " ") }
  / label=/ { s = v("server"); l = v("label") == "idle" ? 0 : v("level")
              pss[s, l] = v("pss_kb"); rss[s, l] = v("rss_kb"); held[s, l] = v("held") }
  / jvm / { s = v("server"); jvm[s] = $0 }
  / failed=/ { failed[v("server")] = 1 }
  function cell(s, l, what,   d) {
    if (!((s, l) in pss)) return sprintf("%10s", "-")
    if (what == "pss") return sprintf("%7.1f MB", pss[s, l] / 1024)
    if (l == 0 || !((s, 0) in pss)) return sprintf("%10s", "-")
    if (what == "per") d = (pss[s, l] - pss[s, 0]) * 1024 / l
    else d = (rss[s, l] - rss[s, 0]) * 1024 / l
    return sprintf("%7.0f  B", d)
  }
  END {
    printf "%-8s", ""
    for (i = 1; i <= ns; i++) printf " | %-32s", names[i] (names[i] in failed ? " (FAILED)" : "")
    printf "\n%-8s", "sessions"
    for (i = 1; i <= ns; i++) printf " | %10s %10s %10s", "PSS", "PSS/sess", "RSS/sess"
    printf "\n"
    for (j = 0; j <= nl; j++) {
      l = j == 0 ? 0 : lv[j]
      printf "%-8s", l == 0 ? "idle" : l
      for (i = 1; i <= ns; i++) printf " | %s %s %s", cell(names[i], l, "pss"), cell(names[i], l, "per"), cell(names[i], l, "rss")
      printf "\n"
    }
    for (i = 1; i <= ns; i++) if (names[i] in jvm) {
      $0 = jvm[names[i]]
      h = v("held")
      printf "\n%s JVM, %d sessions still held, before a full GC: heap used %.1f MB of %.1f MB committed;\n", names[i], h, v("heap_used_kb") / 1024, v("heap_committed_kb") / 1024
      printf "after it (jcmd GC.class_histogram): live heap %.1f MB, heap committed %.1f MB, PSS %.1f MB", v("live_kb") / 1024, v("committed_after_kb") / 1024, v("pss_after_gc_kb") / 1024
      if (v("nmt_committed_kb") > 0) printf ", NMT committed %.1f MB", v("nmt_committed_kb") / 1024
      if (v("closed_s") < 0) printf ";\nthe server did not close the sessions within 120 s of the load closing them: no live heap without them\n"
      else printf ";\nlive objects (class histogram): %.1f MB with the sessions, %.1f MB after they closed: %.0f B per session\n", v("objects_kb") / 1024, v("objects_closed_kb") / 1024, (v("objects_kb") - v("objects_closed_kb")) * 1024 / h
    }
  }' "$LOAD_OUT"
cat <<EOF

PSS: proportional set size of the server's processes (/proc/PID/smaps_rollup), $SETTLE s after the
level was opened; PSS/sess and RSS/sess: (at N - idle) / N, in bytes. A session is held once it
has had its 220 and its EHLO reply; then it says nothing (each server's idle timeout is ${HOLD_S}s).
EOF
if [ "$KEEP" = 1 ]; then echo "Server logs, configs and jcmd outputs: $TMP"; fi
exit "$FAILED"
