#!/bin/bash
# Connection decisions per second and their latency, the embedded store and the shared Redis store
# (one redis-server, then a Redis Cluster of three masters) side by side in one run, SUPPRESSIONS
# suppressions loaded into each (src/test/java/org/mxtrap/state/DecisionBench.java). Starts its own
# redis-server and cluster (Debian redis-server, redis-tools) on free loopback ports and stops them
# by PID; writes only under a temp dir in DIR, removed at the end.
# Usage: bench/decisions.sh [DIR (default /var/tmp)] [SUPPRESSIONS (default 1000000)]
# Environment: BENCH_JAVA_OPTS, the JVM's heap options.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
cd "$root"
mxtrap_run_bench_main \
  "${BENCH_JAVA_OPTS--Xms3g -Xmx3g -XX:+AlwaysPreTouch} --enable-native-access=ALL-UNNAMED" \
  org.mxtrap.state.DecisionBench "${1:-/var/tmp}" "${2:-1000000}"
