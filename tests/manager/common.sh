# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Sourced by the job manager's tests: `source common.sh REPRISE HEAT2D` gives
#
#   $reprise, $heat2d     the programs under test
#   $work                 a fresh directory, removed at exit
#   REPRISE_HOME          a fresh registry in $work
#   fail MESSAGE          prints MESSAGE, the registry and the jobs' logs; exits 1
#   wait_for SECONDS DESCRIPTION COMMAND...
#                         runs COMMAND until it succeeds; fails after SECONDS (a deadline
#                         for a hung program, never a synchronisation by sleeping)
#   expect_error PATTERN COMMAND...
#                         COMMAND must exit non-zero with PATTERN (grep -E) in its stderr
#   job_field ID FIELD    a "Field : value" line of `reprise info ID`
#   job_pid ID, supervisor_pid ID
#   gone PID              the process is dead (or a zombie)
#   on_other_host NAME COMMAND...
#                         runs COMMAND in a new UTS namespace whose host name is NAME, over
#                         the same registry (as root, or in a user namespace when allowed)
#
# At exit, every process of a job that is still running is killed (by pid, from the
# registry), so that no test leaves a computation behind.

set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 REPRISE HEAT2D [ARGS...]" >&2
    exit 2
fi
reprise=$1
heat2d=$2
shift 2

# Runs by hand: no scheduler variable of the caller's and no REPRISE_* setting may change
# what the jobs do.
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_RESTART_COUNT \
      JOB_ID SGE_TASK_ID RESTARTED PBS_JOBID PBS_ARRAYID PBS_ARRAY_INDEX \
      LSB_JOBID LSB_JOBINDEX LSB_RESTART \
      REPRISE_DIR REPRISE_NAME REPRISE_INTERVAL REPRISE_RESTORE REPRISE_LOG \
      REPRISE_MODE REPRISE_ON_STOP REPRISE_SIGNALS REPRISE_KILL_AT REPRISE_FAULT

work=$(mktemp -d "${TMPDIR:-/tmp}/reprise-manager.XXXXXX")
export REPRISE_HOME=$work/registry
test_name=$(basename "$0" .sh)

# The pids a job's record names, when they are still the processes the tests started
# (their command line names the manager or heat2d).
recorded_pids() {
    local record pid
    for record in "$REPRISE_HOME"/jobs/*/job.json; do
        [[ -f $record ]] || continue # a FIFO planted by a test would block sed
        for pid in $(sed -n 's/.*"\(supervisor_pid\|pid\)": \([0-9][0-9]*\).*/\2/p' "$record"); do
            [[ $pid -gt 1 ]] || continue
            if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null |
                grep -q -e "$(basename "$reprise")" -e "$(basename "$heat2d")"; then
                echo "$pid"
            fi
        done
    done
}

cleanup_hooks=()
cleanup() {
    local status=$? hook pid reports
    for hook in ${cleanup_hooks[@]+"${cleanup_hooks[@]}"}; do
        eval "$hook" || true
    done
    for pid in $(recorded_pids); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    # A detached supervisor or program reports into its job's log, where no exit status
    # carries it to the test: a sanitizer build's findings are looked for there.
    if reports=$(grep -H -E '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' \
                     "$REPRISE_HOME"/jobs/*/output.log 2>/dev/null); then
        echo "$test_name: FAIL: a sanitizer reported in a detached run:" >&2
        echo "$reports" >&2
        status=1
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

fail() {
    echo "$test_name: FAIL: $*" >&2
    echo "---- reprise list" >&2
    timeout 20 "$reprise" list >&2 || true # the failure may be that it hangs
    local log
    for log in "$REPRISE_HOME"/jobs/*/output.log "$work"/*.out "$work"/*.err; do
        [[ -e $log ]] || continue
        echo "---- $log" >&2
        grep -v -e '^progress ' -e 'saved generation' "$log" | tail -n 30 >&2 || true
    done
    exit 1
}

note() { echo "$test_name: $*"; }

wait_for() {
    local seconds=$1 description=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if [[ $SECONDS -ge $deadline ]]; then
            fail "timed out after ${seconds}s waiting for: $description"
        fi
        sleep 0.05
    done
}

expect_error() {
    local pattern=$1
    shift
    local status=0
    "$@" >"$work/expect.out" 2>"$work/expect.err" || status=$?
    if [[ $status -eq 0 ]]; then
        fail "'$*' succeeded but should have failed with /$pattern/; it printed: $(cat "$work/expect.out")"
    fi
    if ! grep -Eq -- "$pattern" "$work/expect.err"; then
        fail "'$*' exited with $status but its stderr lacks /$pattern/: $(cat "$work/expect.err")"
    fi
    if ! grep -q '^reprise: ' "$work/expect.err"; then
        fail "'$*': the error does not start with 'reprise: ': $(cat "$work/expect.err")"
    fi
    note "ok (exit $status): $* -> $(head -n 1 "$work/expect.err")"
}

# The process is dead (a zombie nobody reaps yet counts as dead).
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

job_field() {
    "$reprise" info "$1" | sed -n "s/^$2 *: //p"
}
job_pid() { job_field "$1" Process | sed -n 's/^pid \([0-9]*\),.*/\1/p'; }
supervisor_pid() { job_field "$1" Process | sed -n 's/.*supervisor pid \([0-9]*\).*/\1/p'; }

# The job's line in `reprise list`.
list_line() { "$reprise" list | awk -v id="$1" '$1 == id'; }
list_says() { list_line "$1" | grep -q -- "$2"; }

# A job held still between the test's commands (SIGSTOP), so that however fast the
# machine it cannot reach its end meanwhile: `held` are its pids (a program, or an MPI
# job's ranks), and with_job_running runs a command while they may compute.
held=()
with_job_running() {
    local status=0
    kill -CONT "${held[@]}"
    "$@" || status=$?
    kill -STOP "${held[@]}" 2>/dev/null || true
    return "$status"
}

# The generation that `reprise checkpoint`'s output $1 reports.
generation_of() { sed -n 's/^reprise checkpoint: job [0-9]*: generation \([0-9][0-9]*\) .*/\1/p' <<<"$1"; }

# same_checksum_as_reference PID REFERENCE OUT WHAT: waits for the uninterrupted reference
# run PID (a child of this shell), whose output is the file REFERENCE, and fails unless OUT
# (the job's output) holds the same checksum line; WHAT says what the job went through.
# Sets `actual` to that line.
same_checksum_as_reference() {
    local pid=$1 reference=$2 out=$3 what=$4 expected
    wait "$pid" || fail "the uninterrupted run failed"
    expected=$(grep '^checksum=' "$reference")
    actual=$(grep '^checksum=' "$out" || true)
    [[ -n $expected && $actual == "$expected" ]] ||
        fail "checksums differ: uninterrupted '$expected', $what '$actual'"
}

# `reprise start --detach ...` -> the job id.
start_detached() {
    local out
    out=$("$reprise" start --detach "$@") || fail "reprise start --detach $* failed"
    sed -n 's/^reprise start: job \([0-9][0-9]*\) .*/\1/p' <<<"$out"
}

other_host_mode=
if [[ $(id -u) -eq 0 ]] && unshare --uts true 2>/dev/null; then
    other_host_mode=root
elif unshare --user --map-root-user --uts true 2>/dev/null; then
    other_host_mode=userns
fi

on_other_host() {
    local name=$1
    shift
    case $other_host_mode in
        root) unshare --uts sh -c 'hostname "$0" && exec "$@"' "$name" "$@" ;;
        userns) unshare --user --map-root-user --uts sh -c 'hostname "$0" && exec "$@"' "$name" "$@" ;;
        *) fail "no way to make another host here (needs root or user namespaces)" ;;
    esac
}
