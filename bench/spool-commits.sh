#!/bin/bash
# The spool alone, without SMTP: fsync cost of the disk under DIR and commits/s of 4 KB messages
# at 1, 20 and 100 concurrent writers (src/test/java/org/mxtrap/queue/SpoolCommitBench.java).
# Usage: bench/spool-commits.sh [DIR (default /var/tmp)] [SECONDS per writer count (default 5)]
# Writes only under a temp dir in DIR, removed at the end; bounded by SECONDS x 3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
cd "$root"
mxtrap_run_bench_main "" org.mxtrap.queue.SpoolCommitBench "${1:-/var/tmp}" "${2:-5}"
