#!/bin/bash
# The suppression store alone: latency of find() on ENTRIES suppressions (IPv4 and IPv6 hosts mixed,
# a few thousand shorter prefixes), and the heap its in-memory index takes per entry
# (src/test/java/org/mxtrap/state/SuppressionLookupBench.java).
# Usage: bench/suppression-lookup.sh [DIR (default /var/tmp)] [ENTRIES (default 1000000)]
# Environment: BENCH_JAVA_OPTS, the JVM's heap options (see below).
# Writes only under a temp dir in DIR, removed at the end; a fixed amount of work (about a minute
# for 1,000,000 entries).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
cd "$root"
# A fixed, pre-touched heap, as a long-running server has: while G1 grows a heap, the kernel
# faults its new pages in, and those stalls (a startup cost, not a lookup cost) would show up in
# the percentiles. Override with BENCH_JAVA_OPTS (e.g. BENCH_JAVA_OPTS= for the JVM's defaults).
mxtrap_run_bench_main \
  "${BENCH_JAVA_OPTS--Xms2g -Xmx2g -XX:+AlwaysPreTouch} --enable-native-access=ALL-UNNAMED" \
  org.mxtrap.state.SuppressionLookupBench "${1:-/var/tmp}" "${2:-1000000}"
