#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# The five-minute tour: builds the "sum" example, starts it, stops it with SIGTERM the
# way a scheduler or a shutting-down machine does, and runs it again to show that it
# resumes where it stopped and still computes the right sum.
#
#   bash examples/demo.sh        (from anywhere; Debian 12, as root for the package step)
#
# Installs the build dependencies (cmake/install-deps.sh), builds in build-demo/, and
# ends with "demo OK" (exit 0) or says what went wrong (exit 1).

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [[ -t 1 ]]; then bold=$'\e[1m' red=$'\e[31m' green=$'\e[32m' plain=$'\e[0m'
else bold='' red='' green='' plain=''; fi
section() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$plain"; }
say() { printf '%s\n' "$*"; }
indent() { sed 's/^/    /'; }
die() {
    printf '\n%sdemo FAILED: %s%s\n' "$red" "$*" "$plain" >&2
    exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/reprise-demo.XXXXXX")
ckpt_dir=$work/checkpoints
pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

section "1. Dependencies (cmake/install-deps.sh)"
bash cmake/install-deps.sh || die "cmake/install-deps.sh failed (run as root on Debian 12?)"
say "build dependencies: OK"

section "2. Build the example (build-demo/)"
say "\$ cmake -S . -B build-demo -DREPRISE_BUILD_EXAMPLES=ON -DCMAKE_BUILD_TYPE=Release ..."
say "\$ cmake --build build-demo --target example_sum -j"
cmake -S . -B build-demo -DREPRISE_BUILD_TESTS=OFF -DREPRISE_BUILD_EXAMPLES=ON \
      -DREPRISE_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=Release >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; die "cmake could not configure build-demo/"; }
cmake --build build-demo --target example_sum -j >>"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; die "the build failed"; }
sum=build-demo/examples/sum
if [[ ! -x $sum ]]; then
    sum=$(find build-demo -type f -name sum -perm -u+x -print -quit)
    [[ -n $sum && -x $sum ]] || die "the build produced no 'sum' executable"
fi
say "built $sum"

# The program run by hand: no scheduler variable names a job, no REPRISE_* setting of
# this shell changes what the program does.
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_RESTART_COUNT \
      JOB_ID SGE_TASK_ID RESTARTED PBS_JOBID PBS_ARRAYID PBS_ARRAY_INDEX \
      LSB_JOBID LSB_JOBINDEX LSB_RESTART \
      REPRISE_DIR REPRISE_NAME REPRISE_INTERVAL REPRISE_RESTORE REPRISE_LOG \
      REPRISE_MODE REPRISE_ON_STOP REPRISE_SIGNALS

n=4000000000 # the program's default LIMIT

section "3. Start the computation: the sum of the integers 1..$n"
say "\$ REPRISE_DIR=$ckpt_dir $sum &"
mkfifo "$work/stdout.fifo"
REPRISE_DIR=$ckpt_dir "$sum" >"$work/stdout.fifo" 2>"$work/first.err" &
pid=$!
exec 3<"$work/stdout.fifo"
progress=
# Wait for its first progress line: reading the FIFO blocks until the program writes it.
# (The timeout only keeps a hung program from hanging the demo.)
while IFS= read -r -t 300 line <&3; do
    printf '%s\n' "$line" >>"$work/first.out"
    say "    $line"
    if [[ $line == progress* ]]; then
        progress=$line
        break
    fi
done
[[ -n $progress ]] ||
    die "the program printed no progress line; its stderr: $(cat "$work/first.err")"
say "(running as pid $pid; it would take several seconds more to finish)"

section "4. Stop it with SIGTERM, as a scheduler or a shutdown would"
say "\$ kill -TERM $pid"
kill -TERM "$pid" 2>/dev/null || true # gone already? the checks below say so
cat <&3 >>"$work/first.out" # drain its stdout until it closes it
exec 3<&-
status=0
wait "$pid" || status=$?
pid=
if grep -q '^sum=' "$work/first.out"; then
    die "this machine is so fast that the program finished before SIGTERM reached it:" \
        "nothing was interrupted, so there is nothing to show"
fi
if [[ $status -eq 143 ]]; then
    say "the process ended ${bold}killed by SIGTERM${plain} (shell status 143), after saving:"
else
    die "the process ended with status $status, not 143 (killed by SIGTERM);" \
        "its stderr: $(cat "$work/first.err")"
fi
indent <"$work/first.err"
grep -q '^reprise: ' "$work/first.err" || die "the library said nothing about a save on stderr"
say "(reprise's handler only sets a flag; the loop's next maybe_save() saves i and sum,"
say "then re-raises SIGTERM so that the shell (or the scheduler) sees what happened.)"

section "5. What it left behind"
say "\$ ls -l $ckpt_dir"
ls -l "$ckpt_dir" | indent
[[ -n $(find "$ckpt_dir" -mindepth 1 ! -name '*.lock' ! -name '*.tmp' -print) ]] ||
    die "no checkpoint file in $ckpt_dir"

section "6. Run it again: it carries on where it stopped"
say "Run by hand, restore() loads the newest valid checkpoint of an unfinished run of this"
say "job before the loop starts (RESTARTED=0 would start afresh, and say what it found)."
say "\$ REPRISE_DIR=$ckpt_dir $sum"
status=0
REPRISE_DIR=$ckpt_dir "$sum" >"$work/second.out" 2>"$work/second.err" || status=$?
grep -v '^progress ' "$work/second.out" | indent
say "    ($(grep -c '^progress ' "$work/second.out" || true) progress lines not shown)"
say "  stderr:"
indent <"$work/second.err"
[[ $status -eq 0 ]] || die "the restarted run exited with status $status"
resumed=$(sed -n 's/^resumed at i=\([0-9][0-9]*\)$/\1/p' "$work/second.out")
[[ -n $resumed ]] || die "the restarted run did not resume (no 'resumed at i=...' line)"
[[ $resumed -gt 1 ]] || die "the restarted run resumed at i=$resumed: it started over"

section "7. Check the result"
# n(n+1)/2 overflows 64-bit arithmetic in its intermediate product n(n+1) when n = 4e9;
# halving the even factor first keeps every step in range.
if (( n % 2 == 0 )); then expected=$(( n / 2 * (n + 1) )); else expected=$(( (n + 1) / 2 * n )); fi
got=$(sed -n 's/^sum=//p' "$work/second.out")
say "program: sum=$got"
say "bash:    n(n+1)/2 = $expected"
[[ $got == "$expected" ]] || die "the resumed computation gave $got, not $expected"
left=$(find "$ckpt_dir" -mindepth 1 -print)
[[ -z $left ]] || die "finish() left files behind: $(ls -la "$ckpt_dir")"
say "and $ckpt_dir is empty again: finish() removed the checkpoints."

printf '\n%sdemo OK%s: stopped by SIGTERM, resumed at i=%s, sum correct.\n' \
    "$green" "$plain" "$resumed"
