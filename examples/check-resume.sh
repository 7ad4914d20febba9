#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Proves that an example program resumes exactly where SIGTERM stopped it:
#
#   1. an uninterrupted run gives the reference result;
#   2. a second run is sent SIGTERM as soon as it prints its first "progress" line (read
#      through a FIFO from its stdout: no sleep decides anything); it must save and end
#      "killed by" SIGTERM (shell status 143), leaving a checkpoint behind;
#   3. a third run with RESTARTED=1 must print "resumed at <what>=<k>" with k > 1 and end
#      with the same result lines as the reference.
#
# After each finished run the checkpoint directory must hold no checkpoint file.
# The result lines are every stdout line except "fresh start", "resumed at ..." and
# "progress ..."; when both "sum=" and "expected=" lines appear they must agree.
#
# usage: check-resume.sh PROGRAM [ARGS...]      exit 0: resumed correctly; 1: it did not

set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 PROGRAM [ARGS...]" >&2
    exit 2
fi
program=$1
shift
name=$(basename "$program")

# The by-hand job: no scheduler variable may name another job, and no REPRISE_* setting
# of the caller's may change what the runs do.
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_RESTART_COUNT \
      JOB_ID SGE_TASK_ID RESTARTED PBS_JOBID PBS_ARRAYID PBS_ARRAY_INDEX \
      LSB_JOBID LSB_JOBINDEX LSB_RESTART \
      REPRISE_DIR REPRISE_NAME REPRISE_INTERVAL REPRISE_RESTORE REPRISE_LOG \
      REPRISE_MODE REPRISE_ON_STOP REPRISE_SIGNALS

work=$(mktemp -d "${TMPDIR:-/tmp}/reprise-check-$name.XXXXXX")
pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "check-resume($name): FAIL: $*" >&2
    for f in "$work"/*.out "$work"/*.err; do
        [[ -e $f ]] || continue
        echo "---- $(basename "$f")" >&2
        grep -v '^progress ' "$f" >&2 || true
    done
    exit 1
}

results() { grep -v -e '^progress ' -e '^fresh start' -e '^resumed at ' "$1" || true; }

# Fails unless the directory holds no checkpoint at all (finish() removes every file).
check_no_checkpoint() {
    local dir=$1 left
    left=$(find "$dir" -mindepth 1 -print)
    if [[ -n $left ]]; then
        fail "after the finished run, $dir still holds: $(ls -la "$dir")"
    fi
}

check_sum_agrees() {
    local sum expected
    sum=$(sed -n 's/^sum=//p' "$1")
    expected=$(sed -n 's/^expected=//p' "$1")
    if [[ -n $sum || -n $expected ]] && [[ $sum != "$expected" ]]; then
        fail "$(basename "$1"): sum=$sum but expected=$expected"
    fi
}

# 1. The reference: uninterrupted.
ref_dir=$(mktemp -d "$work/ref-ckpt.XXXXXX")
status=0
REPRISE_DIR=$ref_dir "$program" "$@" >"$work/1-reference.out" 2>"$work/1-reference.err" || status=$?
[[ $status -eq 0 ]] || fail "the uninterrupted run exited with status $status"
grep -qx 'fresh start' "$work/1-reference.out" ||
    fail "the uninterrupted run did not print 'fresh start'"
reference=$(results "$work/1-reference.out")
[[ -n $reference ]] || fail "the uninterrupted run printed no result line"
check_sum_agrees "$work/1-reference.out"
check_no_checkpoint "$ref_dir"

# 2. Interrupted by SIGTERM right after its first progress line.
run_dir=$(mktemp -d "$work/run-ckpt.XXXXXX")
mkfifo "$work/stdout.fifo"
REPRISE_DIR=$run_dir "$program" "$@" >"$work/stdout.fifo" 2>"$work/2-interrupted.err" &
pid=$!
exec 3<"$work/stdout.fifo"
seen_progress=no
# The timeout only keeps a hung program from hanging the test; it synchronises nothing.
while IFS= read -r -t 600 line <&3; do
    printf '%s\n' "$line" >>"$work/2-interrupted.out"
    if [[ $line == progress* ]]; then
        seen_progress=yes
        break
    fi
done
if [[ $seen_progress != yes ]]; then
    exec 3<&-
    fail "the interrupted run printed no progress line (ended or hung first)"
fi
kill -TERM "$pid" 2>/dev/null || true # gone already? the status check below says so
# Keep draining stdout until the program closes it, so it never blocks on a full pipe
# nor dies of SIGPIPE instead of SIGTERM.
cat <&3 >>"$work/2-interrupted.out"
exec 3<&-
status=0
wait "$pid" || status=$?
pid=
if [[ $status -eq 0 ]]; then
    fail "the program finished before SIGTERM reached it: give it more work (a larger argument)"
fi
[[ $status -eq 143 ]] ||
    fail "the interrupted run ended with status $status, not 143 (killed by SIGTERM)"
if [[ -n $(results "$work/2-interrupted.out") ]]; then
    fail "the interrupted run printed result lines although it was killed"
fi
[[ -n $(find "$run_dir" -mindepth 1 ! -name '*.lock' ! -name '*.tmp' -print) ]] ||
    fail "the interrupted run left no checkpoint in $run_dir"

# 3. Restarted: must resume past the beginning and end exactly like the reference.
status=0
RESTARTED=1 REPRISE_DIR=$run_dir "$program" "$@" \
    >"$work/3-restarted.out" 2>"$work/3-restarted.err" || status=$?
[[ $status -eq 0 ]] || fail "the restarted run exited with status $status"
resumed=$(sed -n 's/^resumed at [A-Za-z_]*=\([0-9][0-9]*\).*/\1/p' "$work/3-restarted.out")
[[ -n $resumed ]] || fail "the restarted run did not print 'resumed at ...=<k>'"
[[ $resumed -gt 1 ]] || fail "the restarted run resumed at $resumed, not past the beginning"
restarted=$(results "$work/3-restarted.out")
if [[ $restarted != "$reference" ]]; then
    fail "results differ: uninterrupted [$reference] vs resumed [$restarted]"
fi
check_sum_agrees "$work/3-restarted.out"
check_no_checkpoint "$run_dir"

echo "check-resume($name): OK: stopped by SIGTERM, resumed at $resumed, result identical:"
sed 's/^/  /' <<<"$reference"
