#!/usr/bin/env bash
# Fuzzes for longer than the build does (10 s a target there): each fuzz test class
# (src/test/java/**/*FuzzTest.java) in turn, for the given minutes, with Jazzer.
#
#   scripts/fuzz.sh                          # every target, 10 minutes each
#   scripts/fuzz.sh --minutes 60 DataReader  # one target (CommandParser, DataReader, ConfigLoader)
#   scripts/fuzz.sh --dir /tmp/fuzz ...      # keep corpus and findings there (default: .fuzz/)
#
# The generated corpus is kept in DIR/.cifuzz-corpus/, so a later run goes on from it. Findings
# (crash-*, timeout-*, hang-* files: the input that failed) are moved to DIR/findings/TARGET/ and
# listed at the end; the failing check and its stack are in the output above them. Once the bug is
# fixed, commit the input as a regression test: copy it into the target's inputs directory,
# src/test/resources/org/mxtrap/<package>/<Target>FuzzTestInputs/<method>/, where every build
# runs it. Exit status: 0 when no target found anything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
mxtrap_need_maven
cd "$root"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

minutes=10
dir="$root/.fuzz"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=${2:?--minutes needs a number}; shift 2 ;;
    --minutes=*) minutes=${1#*=}; shift ;;
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    --dir=*) dir=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("${1%FuzzTest}"); shift ;;
  esac
done
case "$minutes" in ''|*[!0-9]*|0) echo "fuzz.sh: --minutes takes a whole number above 0" >&2; exit 2 ;; esac

all=()
while IFS= read -r f; do all+=("$(basename "$f" FuzzTest.java)"); done \
  < <(find src/test/java -name '*FuzzTest.java' | sort)
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all[@]}")
fi
for t in "${targets[@]}"; do
  if ! printf '%s\n' "${all[@]}" | grep -qx "$t"; then
    echo "fuzz.sh: no fuzz target $t; the targets are: ${all[*]}" >&2
    exit 2
  fi
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Compile once; each target then runs in its own JVM (Jazzer fuzzes one test per JVM).
mvn -B -q -Dstyle.color=never test-compile
failed=()
for t in "${targets[@]}"; do
  echo "== fuzzing $t for $minutes min (corpus and findings in $dir)"
  status=0
  mvn -B -Dstyle.color=never surefire:test@fuzz \
    "-Dmxtrap.fuzz.include=**/${t}FuzzTest.java" \
    "-Dmxtrap.fuzz.duration=${minutes}m" \
    "-Dmxtrap.fuzz.dir=$dir" || status=$?
  found=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'hang-*' -o -name 'Crash_*.java' \))
  if [ -n "$found" ]; then
    mkdir -p "$dir/findings/$t"
    # shellcheck disable=SC2086 # file names made by Jazzer: hex digests, no spaces
    mv $found "$dir/findings/$t/"
  fi
  if [ "$status" -ne 0 ] || [ -n "$found" ]; then
    failed+=("$t")
  fi
done

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "fuzz.sh: nothing found in ${targets[*]} ($minutes min each)"
  exit 0
fi
echo "fuzz.sh: findings in ${failed[*]}:"
for t in "${failed[@]}"; do
  ls -1 "$dir/findings/$t" 2>/dev/null | sed "s|^|  $dir/findings/$t/|" || true
done
exit 1
