#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# The mpi tests: examples/heat2d_mpi under mpirun, real ranks, real signals, real files.
#
#   bash tests/mpi/mpi-test.sh <case> <ranks> <heat2d_mpi> <heat2d_mpi_testing> [<kill point>[@N] <rank>]
#
# Cases: reference, usr1-one-rank, term-one-rank, term-mpirun, kill-point, kill-first-save,
# fallback-*, tiers, rank-count, disagree, foreign-rank-file, stray-record, stray-generation. Every run is compared with the uninterrupted reference run's
# checksum. Synchronisation: lines on the ranks' stdout/stderr and the commit record, each
# waited for with a deadline; no sleep stands for an event. A run that a signal must stop
# is open-ended (it cannot end first, however slowly the test itself is scheduled): the
# restart and the reference then go to a step just past the one it stopped at.
# Exit 77 (skipped) without mpirun. REPRISE_MPI_TEST_KEEP=1 keeps the work directory.
set -euo pipefail

case_name=$1 ranks=$2 prog=$3 prog_testing=$4
point=${5:-} point_rank=${6:-1}
# The runs happen in a directory of their own: programs named relative to the caller's.
prog=$(realpath "$prog")
prog_testing=$(realpath "$prog_testing")

if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIPPED: mpirun not found (Debian: apt-get install openmpi-bin)"
    exit 77
fi

# OpenMPI refuses root without these; more ranks than cores needs --oversubscribe.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
mpi=(mpirun --oversubscribe -np "$ranks")

work=$(mktemp -d "${TMPDIR:-/tmp}/reprise-mpi.XXXXXX")
mpirun_pid=
cleanup() {
    if [[ -n "$mpirun_pid" ]] && kill -0 "$mpirun_pid" 2>/dev/null; then
        kill -KILL "$mpirun_pid" 2>/dev/null || true
    fi
    [[ -n "${REPRISE_MPI_TEST_KEEP:-}" ]] && { echo "kept $work" >&2; return; }
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export REPRISE_DIR="$work/ckpt" REPRISE_NAME=heat
unset RESTARTED REPRISE_RESTORE REPRISE_KILL_AT SLURM_JOB_ID JOB_ID PBS_JOBID LSB_JOBID || true

steps=20000
# TERM to mpirun reaches the ranks odls_base_sigkill_timeout seconds later (SIGCONT at
# once), and SIGKILL as long after that: by default 1 s each, too short for a save on a
# loaded 2-core machine (a rank descheduled for a second missed it). The term-mpirun case
# gives the ranks 5 s, as a job script can (examples/slurm/mpi.sbatch).
[[ $case_name == term-mpirun ]] && export OMPI_MCA_odls_base_sigkill_timeout=5
# The step count of a run that only a signal ends: days of computing here.
open_ended=1000000000
progress_every=1000 # heat2d_mpi's default --progress
# The fallback cases restart several times from a copy of one run: shorter runs; so do
# the cases of ranks that disagree and of stray files (issue 14).
case $case_name in
fallback-* | disagree | foreign-rank-file | stray-record | stray-generation) steps=8000 ;;
esac

fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.out "$work"/*.err; do
        [[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }
    done
    exit 1
}

# wait_for <seconds> <command...>: polls the condition every 50 ms until the deadline.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

checksum_of() { sed -n 's/^checksum=//p' "$1"; }
rank_pid() { sed -n "s/^heat2d_mpi: rank $2 pid \\([0-9]*\\)\$/\\1/p" "$1"; }
has_progress() { grep -q '^progress step=' "$1"; }
all_ranks_started() { [[ $(grep -c '^heat2d_mpi: rank [0-9]* pid ' "$1") -eq $ranks ]]; }
# A commit record (heat.local.<generation>.commit), of any generation.
record_exists() { compgen -G "$REPRISE_DIR/heat.local.*.commit" >/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }
not_alive() { ! kill -0 "$1" 2>/dev/null; }

# run <tag> [args...]: a whole run in the foreground, bounded.
run() {
    local tag=$1
    shift
    local rc=0
    timeout -k 5 300 "${mpi[@]}" "$@" >"$tag.out" 2>"$tag.err" || rc=$?
    echo "$rc" >"$tag.rc"
}

# start <tag> [args...]: a run in the background; mpirun_pid is its pid.
start() {
    local tag=$1
    shift
    "${mpi[@]}" "$@" >"$tag.out" 2>"$tag.err" &
    mpirun_pid=$!
}

# finish_run <tag>: waits for the background run (bounded) and records its status.
finish_run() {
    local tag=$1
    wait_for 300 not_alive "$mpirun_pid" || fail "$tag: mpirun still running after 300 s"
    local rc=0
    wait "$mpirun_pid" || rc=$?
    mpirun_pid=
    echo "$rc" >"$tag.rc"
}

rc_of() { cat "$1.rc"; }

# reference_run <steps>: the uninterrupted run of <steps> steps, in a directory of its own
# (its finish() must not touch the case's checkpoints); sets $reference, its checksum.
reference_run() {
    REPRISE_DIR="$work/reference" run reference "$prog" "$1"
    [[ $(rc_of reference) -eq 0 ]] || fail "the reference run failed (status $(rc_of reference))"
    reference=$(checksum_of reference.out)
    [[ -n "$reference" ]] || fail "the reference run printed no checksum"
    grep -q '^fresh start$' reference.out || fail "the reference run did not start fresh"
    [[ -z "$(ls -A "$work/reference" 2>/dev/null)" ]] ||
        fail "finish() left files: $(ls "$work/reference")"
}

# past_stop <tag>: a step count beyond the step at which the open-ended run <tag> saved
# and stopped. Rank 0 prints "progress step=<k>" before it polls at step k, so the saved
# step lies between its last progress line and the next one.
past_stop() {
    local last
    last=$(sed -n 's/^progress step=//p' "$1.out" | tail -n 1)
    [[ -n "$last" ]] || fail "$1: no progress line"
    ((last + progress_every < open_ended)) || fail "$1: the open-ended run reached its end"
    echo $((last + 2 * progress_every))
}

# The cases that stop a run by a signal make their reference once they know its length.
case "$case_name" in
usr1-one-rank | term-one-rank | term-mpirun | rank-count | tiers) ;;
*) reference_run "$steps" ;;
esac

# expect_resumed <tag>: the restart resumed, every rank at the same step, and ended with
# the reference checksum.
expect_resumed() {
    local tag=$1
    [[ $(rc_of "$tag") -eq 0 ]] || fail "$tag: the restart failed (status $(rc_of "$tag"))"
    grep -q '^resumed at step=' "$tag.out" || fail "$tag: the restart did not resume"
    local steps_seen
    steps_seen=$(sed -n 's/^heat2d_mpi: rank [0-9]* at step=//p' "$tag.err" | sort -u)
    [[ $(echo "$steps_seen" | wc -l) -eq 1 ]] || fail "$tag: ranks resumed at different steps: $steps_seen"
    [[ "$(sed -n 's/^resumed at step=//p' "$tag.out")" == "$steps_seen" ]] ||
        fail "$tag: rank 0 resumed at $(sed -n 's/^resumed at step=//p' "$tag.out"), the ranks at $steps_seen"
    [[ "$(checksum_of "$tag.out")" == "$reference" ]] ||
        fail "$tag: checksum $(checksum_of "$tag.out") differs from the reference $reference"
    [[ -z "$(ls -A "$REPRISE_DIR" 2>/dev/null)" ]] || fail "$tag: finish() left files: $(ls "$REPRISE_DIR")"
}

# All ranks' files hold the same, single newest generation, the one the record names.
expect_same_generation() {
    local gens
    gens=$(cd "$REPRISE_DIR" && for r in $(seq 0 $((ranks - 1))); do
               ls heat.rank$r.local.*.ckpt 2>/dev/null | sort | tail -n 1 | sed 's/.*local\.\([0-9]*\)\.ckpt/\1/'
           done | sort -u)
    [[ $(echo "$gens" | wc -l) -eq 1 && -n "$gens" ]] || fail "the ranks' newest generations differ: $gens"
}

# The commit records of this job, one per committed generation.
record_files() { cd "$REPRISE_DIR" && ls heat.local.*.commit 2>/dev/null || true; }

# damage <how>:<whose>:<generation>: truncate (to half its size), flip (one byte in the
# middle) or remove the file of generation 1 or 2 of rank<r>, or its commit record.
damage() {
    local how whose g file
    IFS=: read -r how whose g <<<"$1"
    if [[ $whose == record && $g == all ]]; then
        local f
        for f in $(record_files); do damage "$how:record-file:$f"; done
        return
    elif [[ $whose == record-file ]]; then
        file=$g
    elif [[ $whose == record ]]; then
        file=heat.local.$(printf %010d "$g").commit
    else
        file=heat.$whose.local.$(printf %010d "$g").ckpt
    fi
    file=$REPRISE_DIR/$file
    [[ -f $file ]] || fail "damage $1: no file $file"
    local size
    size=$(stat -c %s "$file")
    case $how in
    truncate) truncate -s $((size / 2)) "$file" ;;
    flip)
        local at=$((size / 2)) byte
        byte=$(od -An -tu1 -j "$at" -N1 "$file" | tr -d ' ')
        printf "\\$(printf %03o $((byte ^ 255)))" | dd of="$file" bs=1 seek="$at" conv=notrunc status=none
        [[ $(od -An -tu1 -j "$at" -N1 "$file" | tr -d ' ') -eq $((byte ^ 255)) ]] ||
            fail "damage $1: the byte did not flip"
        ;;
    remove) rm -f "$file" ;;
    *) fail "unknown damage $how" ;;
    esac
}

# commits <tag> <dir> <save every> [<ranks> [<commits>]]: a run of heat2d_mpi_testing in
# <dir> (name from the environment) that saves every <save every> steps and loses rank 0
# by SIGKILL just after its <commits>-th commit (default 2): generations 1 to <commits>
# committed on every rank. Every rank says its own saves (REPRISE_LOG=all).
commits() {
    local tag=$1 dir=$2 every=$3 n=${4:-$ranks} last=${5:-2} rc=0
    REPRISE_LOG=all REPRISE_DIR=$dir timeout -k 5 300 mpirun --oversubscribe -np "$n" \
        sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then
                   export REPRISE_KILL_AT=mpi-after-record@'"$last"'; fi; exec "$0" "$@"' \
        "$prog_testing" "$steps" --save-every "$every" >"$tag.out" 2>"$tag.err" || rc=$?
    echo "$rc" >"$tag.rc"
    [[ $rc -ne 0 && $rc -ne 124 ]] ||
        fail "$tag: the kill after commit $last did not happen (status $rc)"
    [[ $(grep -c "^reprise: saved generation $last " "$tag.err") -eq $n ]] ||
        fail "$tag: not every rank saved generation $last before the kill"
}

# mpmd <tag> <variable> <rank 0's value> <rank 1's value> <program and arguments...>: an
# MPMD launch of two ranks, each with its own value of the variable (mpirun -x), bounded
# well below the ctest timeout: a rank left waiting shows as status 124.
mpmd() {
    local tag=$1 var=$2 v0=$3 v1=$4 rc=0
    shift 4
    timeout -k 5 120 mpirun --oversubscribe -np 1 -x "$var=$v0" "$@" : \
        -np 1 -x "$var=$v1" "$@" >"$tag.out" 2>"$tag.err" || rc=$?
    echo "$rc" >"$tag.rc"
}

# refused <tag> <message>: the run failed, on both ranks with <message> (a fixed string),
# computed nothing and nobody hung.
refused() {
    local tag=$1 message=$2 rc n
    rc=$(rc_of "$tag")
    [[ $rc -ne 124 && $rc -ne 137 ]] || fail "$tag: a rank hung (status $rc)"
    [[ $rc -ne 0 ]] || fail "$tag: the run succeeded"
    grep -q '^checksum=' "$tag.out" && fail "$tag: the run computed anyway"
    n=$(grep -cF -- "$message" "$tag.err" || true)
    [[ $n -eq 2 ]] || fail "$tag: $n of 2 ranks said: $message"
}

# resumed_at <tag> <step>: the restart resumed every rank at <step> and ended with the
# reference checksum.
resumed_at() {
    expect_resumed "$1"
    [[ $(sed -n 's/^resumed at step=//p' "$1.out") -eq $2 ]] ||
        fail "$1: resumed at step $(sed -n 's/^resumed at step=//p' "$1.out"), not $2"
}

# reprise_lines <tag> [<pattern>]: how many of the run's stderr lines are reprise's (and
# match the extended regular expression <pattern>, which follows "^reprise: ").
reprise_lines() { grep -cE "^reprise: ${2:-}" "$1.err" || true; }

case "$case_name" in
log-lines)
    # One line per event by default, rank 0's, for all ranks; every rank's own with
    # REPRISE_LOG=all; none with quiet; a value not understood fails on every rank.
    every=$((steps / 4))
    run default "$prog_testing" "$steps" --save-every "$every"
    [[ $(rc_of default) -eq 0 ]] || fail "default: the run failed (status $(rc_of default))"
    saves=$(reprise_lines default 'committed generation')
    ((saves >= 2)) || fail "default: $saves commits, expected one per --save-every"
    [[ $(reprise_lines default "committed generation [0-9]+ of $ranks ranks \([0-9.]+ [KMG]?i?B in all, slowest rank [0-9]+: [0-9.]+ s, asked by save\(\)\) to $REPRISE_DIR/heat\.local\.[0-9]{10}\.commit\$") -eq $saves ]] ||
        fail "default: a commit line not of the documented form"
    [[ $(reprise_lines default 'saved generation') -eq 0 ]] || fail "default: ranks said their own saves"
    [[ $(reprise_lines default "finished; removed the checkpoints of job local of checkpoint 'heat' \\($ranks ranks\\) from ") -eq 1 ]] ||
        fail "default: not one finished line for all ranks"
    [[ $(reprise_lines default) -eq $((saves + 1)) ]] ||
        fail "default: $(reprise_lines default) lines of reprise's for $saves saves and a finish"

    REPRISE_LOG=all run all "$prog_testing" "$steps" --save-every "$every"
    [[ $(rc_of all) -eq 0 ]] || fail "all: the run failed (status $(rc_of all))"
    [[ $(reprise_lines all 'committed generation') -eq $saves ]] || fail "all: not one commit line per save"
    [[ $(reprise_lines all 'saved generation [0-9]+ \(.*, asked by save\(\)\) to ') -eq $((saves * ranks)) ]] ||
        fail "all: not one saved line per rank and save"
    [[ $(reprise_lines all "finished; removed the checkpoints of job local of checkpoint 'heat\\.rank") -eq $ranks ]] ||
        fail "all: not one finished line per rank"
    [[ $(reprise_lines all 'finished') -eq $((ranks + 1)) ]] || fail "all: not one finished line for all ranks"

    REPRISE_LOG=quiet run quiet "$prog_testing" "$steps" --save-every "$every"
    [[ $(rc_of quiet) -eq 0 ]] || fail "quiet: the run failed (status $(rc_of quiet))"
    [[ $(reprise_lines quiet) -eq 0 ]] || fail "quiet: reprise printed lines"

    REPRISE_LOG=loud run loud "$prog" "$steps"
    [[ $(rc_of loud) -ne 0 && $(rc_of loud) -ne 124 ]] || fail "loud: status $(rc_of loud)"
    [[ $(grep -c "REPRISE_LOG='loud'\|REPRISE_LOG=loud" loud.err) -eq $ranks ]] ||
        fail "loud: not every rank named REPRISE_LOG"

    # A restore: one line by default, the generation of all ranks, their bytes and the
    # slowest rank's time; each rank's own besides with REPRISE_LOG=all.
    commits killed "$REPRISE_DIR" "$every"
    cp -a "$REPRISE_DIR" "$work/copy"
    RESTARTED=1 run restart "$prog" "$steps"
    expect_resumed restart
    [[ $(reprise_lines restart 'restored generation') -eq 1 ]] || fail "restart: not one restored line"
    [[ $(reprise_lines restart "restored generation 2 of $ranks ranks \([0-9.]+ [KMG]?i?B in all, slowest rank [0-9]+: [0-9.]+ s\) from $REPRISE_DIR/heat\.local\.0000000002\.commit") -eq 1 ]] ||
        fail "restart: the restored line is not of the documented form"
    rm -rf "$REPRISE_DIR" && mv "$work/copy" "$REPRISE_DIR"
    RESTARTED=1 REPRISE_LOG=all run restart-all "$prog" "$steps"
    expect_resumed restart-all
    [[ $(reprise_lines restart-all 'restored generation 2 \(') -eq $ranks ]] ||
        fail "restart-all: not one restored line per rank"
    [[ $(reprise_lines restart-all 'restored generation 2 of ') -eq 1 ]] ||
        fail "restart-all: not one restored line for all ranks"
    echo "PASS: $ranks ranks: one line per event by default, one per rank with REPRISE_LOG=all, none with quiet"
    ;;

reference)
    echo "PASS: $ranks ranks, checksum $reference"
    ;;

usr1-one-rank)
    # USR1 to one rank commits generation 1 and the computation goes on (progress lines
    # after the commit); TERM then stops it at generation 2, and the restart from that
    # ends with the reference checksum: the checkpoint taken on the way changed nothing.
    # Every rank says its own save (REPRISE_LOG=all), rank 0 the commit.
    REPRISE_LOG=all start run "$prog" "$open_ended"
    wait_for 60 all_ranks_started run.err || fail "the ranks did not start"
    wait_for 60 has_progress run.out || fail "no progress line"
    pid=$(rank_pid run.err $((ranks - 1)))
    kill -USR1 "$pid"
    wait_for 60 record_exists || fail "no commit record after USR1 to rank $((ranks - 1))"
    committed() { grep -q '^reprise: committed generation 1 of '"$ranks"' ranks' run.err; }
    wait_for 60 committed || fail "rank 0 did not report the commit"
    lines=$(grep -c '^progress step=' run.out || true)
    went_on() { (($(grep -c '^progress step=' run.out || true) >= lines + 2)); }
    wait_for 60 went_on || fail "no progress after the commit: the run did not go on"
    alive "$mpirun_pid" || fail "the run ended after USR1"
    [[ $(grep -c '^reprise: saved generation 1 ' run.err) -eq $ranks ]] ||
        fail "not every rank saved generation 1"
    kill -TERM "$pid"
    finish_run run
    [[ $(rc_of run) -ne 0 ]] || fail "the run was not stopped"
    # Read from the files, not the log: once one rank has ended, mpirun kills the others.
    [[ -f "$REPRISE_DIR/heat.local.0000000002.commit" ]] ||
        fail "TERM did not commit generation 2: $(record_files)"
    expect_same_generation
    target=$(past_stop run)
    reference_run "$target"
    RESTARTED=1 run restart "$prog" "$target"
    expect_resumed restart
    echo "PASS: USR1 to one of $ranks ranks: a committed checkpoint, the run went on; the restart ends with the reference checksum"
    ;;

term-one-rank | term-mpirun)
    # Every rank says it stops (REPRISE_LOG=all): whichever lives to say it.
    REPRISE_LOG=all start run "$prog" "$open_ended"
    wait_for 60 all_ranks_started run.err || fail "the ranks did not start"
    wait_for 60 has_progress run.out || fail "no progress line"
    if [[ "$case_name" == term-one-rank ]]; then
        kill -TERM "$(rank_pid run.err $((ranks - 1)))"
    else
        kill -TERM "$mpirun_pid"
    fi
    finish_run run
    [[ $(rc_of run) -ne 0 ]] || fail "the run was not stopped"
    grep -q '^checksum=' run.out && fail "the run ran to its end instead of stopping"
    # Once one rank has ended, mpirun kills the others: not every rank may live to say so.
    grep -q '^reprise: stopping on SIGTERM' run.err || fail "no rank said it stopped on SIGTERM"
    record_exists || fail "no commit record"
    expect_same_generation
    target=$(past_stop run)
    reference_run "$target"
    RESTARTED=1 run restart "$prog" "$target"
    expect_resumed restart
    echo "PASS: $case_name, $ranks ranks: all saved the same step, the restart ends with the reference"
    ;;

kill-point | kill-first-save)
    # Saves every 5000 steps; the kill lands in the save asked for (by @N), on one rank;
    # mpirun then ends the others. The restart must end with the reference checksum, from
    # the last committed generation, or afresh when none was committed.
    spec=$point
    if [[ $spec == *@save* ]]; then
        # <point>@save<N>: the middle pass of that point in save N, counted rather than
        # assumed (how many writes a save takes depends on the state's size): a probe run
        # of one save traces the passes of that rank (REPRISE_KILL_TRACE).
        name=${spec%@save*} nth=${spec##*@save}
        rm -f "$work/trace"
        run probe sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = "'"$point_rank"'" ]; then
                             export REPRISE_KILL_TRACE="'"$work/trace"'"; fi; exec "$0" "$@"' \
            "$prog_testing" 5000 --save-every 5000
        [[ $(rc_of probe) -eq 0 ]] || fail "the probe run failed (status $(rc_of probe))"
        per_save=$(grep -c "^$name " "$work/trace" || true)
        ((per_save > 0)) || fail "the probe's save never passed $name"
        spec=$name@$(((nth - 1) * per_save + (per_save + 1) / 2))
        echo "$name: $per_save passes per save on rank $point_rank; killing at $spec"
        rm -rf "$REPRISE_DIR"
    fi
    start run sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = "'"$point_rank"'" ]; then
                         export REPRISE_KILL_AT="'"$spec"'"; fi; exec "$0" "$@"' \
        "$prog_testing" "$steps" --save-every 5000
    finish_run run
    [[ $(rc_of run) -ne 0 ]] || fail "the kill at $spec on rank $point_rank did not happen"
    grep -q '^checksum=' run.out && fail "the run ended although rank $point_rank was killed"
    RESTARTED=1 run restart "$prog" "$steps"
    if [[ "$case_name" == kill-first-save ]]; then
        [[ $(rc_of restart) -eq 0 ]] || fail "the restart failed (status $(rc_of restart))"
        grep -q '^fresh start$' restart.out || fail "no commit record, yet the restart resumed"
        grep -q 'but no commit record' restart.err || fail "the fresh start was not explained"
        [[ "$(checksum_of restart.out)" == "$reference" ]] || fail "checksum differs from the reference"
    else
        expect_resumed restart
    fi
    echo "PASS: SIGKILL at $spec on rank $point_rank of $ranks: the restart ends with the reference"
    ;;

fallback-rank-file | fallback-record | fallback-none)
    # Two committed generations, then damage found at restore. A run saving every 2000
    # steps loses rank 0 by SIGKILL just after the second commit (mpi-after-record@2):
    # generations 1 (step 2000) and 2 (step 4000) are committed, on every rank. Each
    # variant starts from a copy of that directory, damages it, and restarts.
    save_every=$((steps / 4))
    REPRISE_LOG=all start run sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then
                         export REPRISE_KILL_AT=mpi-after-record@2; fi; exec "$0" "$@"' \
        "$prog_testing" "$steps" --save-every "$save_every"
    finish_run run
    [[ $(rc_of run) -ne 0 ]] || fail "the kill after the second commit did not happen"
    # The kill comes after the record, before rank 0 says "committed".
    [[ $(grep -c '^reprise: saved generation 2 ' run.err) -eq $ranks ]] ||
        fail "not every rank saved generation 2 before the kill"
    [[ -n $(record_files) ]] || fail "no commit record before the kill"
    cp -a "$REPRISE_DIR" "$work/pristine"
    last=$((ranks - 1))
    if [[ $case_name == fallback-rank-file ]]; then
        variants="truncate:rank$last:2 flip:rank$last:2 remove:rank$last:2 flip:rank0:2"
    elif [[ $case_name == fallback-record ]]; then
        variants="truncate:record:2 flip:record:2 remove:record:2"
    else
        # Every generation invalid on some rank (not the same one), or every record
        # damaged: nothing to fall back to.
        variants="remove:rank$last:2+truncate:rank0:1 flip:rank0:2+flip:rank$last:1+remove:rank$last:2 flip:record:all"
    fi
    for variant in $variants; do
        rm -rf "$REPRISE_DIR"
        cp -a "$work/pristine" "$REPRISE_DIR"
        IFS=+ read -r -a damages <<<"$variant"
        for d in "${damages[@]}"; do damage "$d"; done
        tag=restart-${variant//[:+]/-}
        # A bound well below the ctest timeout: a rank left waiting in a collective
        # shows as status 124, not as a timed-out test.
        rc=0
        RESTARTED=1 timeout -k 5 120 "${mpi[@]}" "$prog" "$steps" >"$tag.out" 2>"$tag.err" || rc=$?
        echo "$rc" >"$tag.rc"
        [[ $rc -ne 124 && $rc -ne 137 ]] || fail "$variant: the restart hung (status $rc)"
        if [[ $case_name == fallback-none ]]; then
            [[ $rc -ne 0 ]] || fail "$variant: the restart succeeded with every generation damaged"
            grep -q '^checksum=' "$tag.out" && fail "$variant: the restart computed anyway"
            n=$(grep -c "^reprise: restore: no generation of job local of checkpoint 'heat' " "$tag.err" || true)
            [[ $n -eq $ranks ]] || fail "$variant: $n of $ranks ranks gave the clear error"
        else
            expect_resumed "$tag"
            [[ $(sed -n 's/^resumed at step=//p' "$tag.out") -eq $save_every ]] ||
                fail "$variant: resumed at step $(sed -n 's/^resumed at step=//p' "$tag.out"), not at generation 1's $save_every"
            n=$(grep -c '^reprise: warning: rank [0-9]* restored the older generation 1' "$tag.err" || true)
            [[ $n -eq $ranks ]] || fail "$variant: $n of $ranks ranks said they fell back to generation 1"
        fi
        echo "ok: $variant"
    done
    echo "PASS: $case_name, $ranks ranks: $variants"
    ;;

tiers)
    # Two tiers under MPI (REPRISE_PERSIST_DIR): a generation counts as persistent once
    # every rank's copy is, said by a commit record in the persistent directory. Run 1
    # stops on TERM: generation 1, committed and copied on every rank (a stop waits for
    # the copies). Run 2 resumes it and stops on TERM: generation 2 in both tiers, with
    # generation 1 kept beside it. Each variant restarts from a copy of both directories
    # with damage in one or both tiers: every rank resumes at the same step, the newest
    # generation complete on all ranks in either tier, a rank whose fast-tier file is
    # lost or damaged reading its persistent copy.
    persist=$work/persist
    stop_run() {
        local tag=$1
        REPRISE_PERSIST_DIR=$persist REPRISE_LOG=all start "$tag" "$prog" "$open_ended"
        wait_for 60 all_ranks_started "$tag.err" || fail "$tag: the ranks did not start"
        wait_for 60 has_progress "$tag.out" || fail "$tag: no progress line"
        kill -TERM "$(rank_pid "$tag.err" $((ranks - 1)))"
        finish_run "$tag"
        [[ $(rc_of "$tag") -ne 0 ]] || fail "$tag: the run was not stopped"
    }
    listing() { (cd "$1" && ls | grep -v '\.lock$' | sort | tr '\n' ' '); }
    expected_files() { # <generations...>: each rank's files of them, and their records
        local g r
        for g in "$@"; do
            printf 'heat.local.%010d.commit\n' "$g"
            for r in $(seq 0 $((ranks - 1))); do printf 'heat.rank%d.local.%010d.ckpt\n' "$r" "$g"; done
        done | sort | tr '\n' ' '
    }
    stop_run run1
    [[ "$(listing "$persist")" == "$(expected_files 1)" ]] ||
        fail "run 1: the persistent tier holds $(listing "$persist"), not generation 1 of every rank and its record"
    RESTARTED=1 stop_run run2
    grep -q '^resumed at step=' run2.out || fail "run 2 did not resume"
    step1=$(sed -n 's/^resumed at step=//p' run2.out)
    for d in "$REPRISE_DIR" "$persist"; do
        [[ "$(listing "$d")" == "$(expected_files 1 2)" ]] ||
            fail "run 2: $d holds $(listing "$d"), not generations 1 and 2 of every rank and their records"
    done
    cp -a "$REPRISE_DIR" "$work/pristine-fast"
    cp -a "$persist" "$work/pristine-persist"
    target=$(past_stop run2)
    reference_run "$target"
    last=$((ranks - 1))
    fast_file() { printf '%s/heat.rank%d.local.%010d.ckpt' "$REPRISE_DIR" "$1" "$2"; }
    copy_file() { printf '%s/heat.rank%d.local.%010d.ckpt' "$persist" "$1" "$2"; }
    flip_byte() {
        local at byte
        at=$(($(stat -c %s "$1") / 2))
        byte=$(od -An -tu1 -j "$at" -N1 "$1" | tr -d ' ')
        printf "\\$(printf %03o $((byte ^ 255)))" | dd of="$1" bs=1 seek="$at" conv=notrunc status=none
    }
    # <variant>: <what the restart resumes> <ranks that read their persistent copy>
    step2=
    for variant in intact fast-lost fast-wiped copy-damaged fast-lost-copy-damaged fast-damaged-copy-lost; do
        rm -rf "$REPRISE_DIR" "$persist"
        cp -a "$work/pristine-fast" "$REPRISE_DIR"
        cp -a "$work/pristine-persist" "$persist"
        expect=2 from_copy=0
        case $variant in
        intact) ;;
        fast-lost) rm -f "$(fast_file $last 1)" "$(fast_file $last 2)"; from_copy=1 ;;
        fast-wiped) rm -rf "${REPRISE_DIR:?}"/*; from_copy=$ranks ;;
        copy-damaged) flip_byte "$(copy_file $last 2)" ;;
        fast-lost-copy-damaged)
            # Rank <last> has generation 2 in neither tier: every rank goes back to 1, rank
            # <last> from its copy.
            rm -f "$(fast_file $last 1)" "$(fast_file $last 2)"
            flip_byte "$(copy_file $last 2)"
            expect=1 from_copy=1
            ;;
        fast-damaged-copy-lost)
            # Rank 0's fast file of generation 2 damaged, rank <last>'s copy of it lost:
            # each rank still has one good file of generation 2.
            flip_byte "$(fast_file 0 2)"
            rm -f "$(copy_file $last 2)"
            from_copy=1
            ;;
        esac
        tag=restart-$variant
        rc=0
        RESTARTED=1 REPRISE_LOG=all REPRISE_PERSIST_DIR=$persist timeout -k 5 120 "${mpi[@]}" \
            "$prog" "$target" >"$tag.out" 2>"$tag.err" || rc=$?
        echo "$rc" >"$tag.rc"
        [[ $rc -ne 124 && $rc -ne 137 ]] || fail "$variant: the restart hung (status $rc)"
        expect_resumed "$tag"
        [[ -z "$(ls -A "$persist" 2>/dev/null)" ]] || fail "$variant: finish() left $(ls "$persist")"
        resumed=$(sed -n 's/^resumed at step=//p' "$tag.out")
        if [[ $variant == intact ]]; then
            step2=$resumed
            ((step2 > step1)) || fail "generation 2 (step $step2) is not past generation 1 (step $step1)"
        fi
        want=$([[ $expect == 1 ]] && echo "$step1" || echo "$step2")
        [[ $resumed -eq $want ]] || fail "$variant: resumed at step $resumed, not at generation $expect's $want"
        n=$(grep -c "^reprise: rank [0-9]* restored generation $expect from its persistent copy" "$tag.err" || true)
        [[ $n -eq $from_copy ]] || fail "$variant: $n ranks read their persistent copy, not $from_copy"
        echo "ok: $variant: generation $expect at step $resumed, $from_copy rank(s) from the persistent tier"
    done
    # Rank <last> has no valid file of either generation in either tier: a clear error
    # on every rank, and nobody hangs.
    rm -rf "$REPRISE_DIR" "$persist"
    cp -a "$work/pristine-fast" "$REPRISE_DIR"
    cp -a "$work/pristine-persist" "$persist"
    rm -f "$(fast_file $last 1)" "$(fast_file $last 2)" "$(copy_file $last 1)"
    flip_byte "$(copy_file $last 2)"
    rc=0
    RESTARTED=1 REPRISE_PERSIST_DIR=$persist timeout -k 5 120 "${mpi[@]}" "$prog" "$target" \
        >none.out 2>none.err || rc=$?
    [[ $rc -ne 124 && $rc -ne 137 ]] || fail "none: the restart hung (status $rc)"
    [[ $rc -ne 0 ]] || fail "none: the restart succeeded with no generation complete"
    grep -q '^checksum=' none.out && fail "none: the restart computed anyway"
    n=$(grep -c "^reprise: restore: no generation of job local of checkpoint 'heat' " none.err || true)
    [[ $n -eq $ranks ]] || fail "none: $n of $ranks ranks gave the clear error"
    echo "PASS: tiers, $ranks ranks: generations in both tiers complete on every rank; a rank's lost or damaged file read from the other tier, all ranks at one generation"
    ;;

rank-count)
    start run "$prog" "$open_ended"
    wait_for 60 all_ranks_started run.err || fail "the ranks did not start"
    wait_for 60 has_progress run.out || fail "no progress line"
    kill -TERM "$(rank_pid run.err 0)"
    finish_run run
    record_exists || fail "no commit record"
    other=$((ranks == 2 ? 4 : 2))
    rc=0
    target=$(past_stop run)
    RESTARTED=1 timeout -k 5 300 mpirun --oversubscribe -np "$other" "$prog" "$target" \
        >other.out 2>other.err || rc=$?
    [[ $rc -ne 0 ]] || fail "a restart with $other ranks of a $ranks-rank checkpoint succeeded"
    n=$(grep -c "checkpoint written by $ranks ranks, this run has $other" other.err || true)
    [[ $n -eq $other ]] || fail "$n of $other ranks gave the rank-count error"
    grep -q '^checksum=' other.out && fail "the mismatched restart computed anyway"
    # The checkpoint is still there for a restart with the right number of ranks.
    reference_run "$target"
    RESTARTED=1 run restart "$prog" "$target"
    expect_resumed restart
    echo "PASS: a $ranks-rank checkpoint refuses $other ranks on every rank, and resumes with $ranks"
    ;;

disagree)
    # Ranks that disagree on the checkpoint's name, directory or job are refused in the
    # constructor, on every rank, naming the rank and both values (issue 14).
    # The bug's scenario: checkpoints 'a' (step 400) and 'b' (step 600) of one job in one
    # directory; an MPMD restart named rank 0 'a' and rank 1 'b' loaded each from its
    # own, silently, and hung.
    REPRISE_NAME=a commits make-a "$REPRISE_DIR" 200
    REPRISE_NAME=b commits make-b "$REPRISE_DIR" 300
    before=$(cd "$REPRISE_DIR" && ls | sort)
    RESTARTED=1 mpmd names REPRISE_NAME a b "$prog" "$steps"
    refused names "reprise: rank 1 has REPRISE_NAME 'b', rank 0 'a': every rank of a job must use the same checkpoint name"
    grep -q '^heat2d_mpi: rank [0-9] at step=' names.err && fail "names: a rank restored"
    [[ "$(cd "$REPRISE_DIR" && ls | sort)" == "$before" ]] || fail "names: the refused run changed the directory"
    echo "ok: REPRISE_NAME a and b (checkpoints a at step 400 and b at step 600 present)"

    # A directory per rank: refused, and neither directory keeps a lock file.
    mpmd dirs REPRISE_DIR "$work/d0" "$work/d1" "$prog" "$steps"
    refused dirs "reprise: rank 1 has REPRISE_DIR '$work/d1', rank 0 '$work/d0': every rank of a job must use the same checkpoint directory"
    left=$(find "$work/d0" "$work/d1" -mindepth 1)
    [[ -z "$left" ]] || fail "dirs: files left: $left"
    echo "ok: REPRISE_DIR d0 and d1"

    # The same directory by another path (a symbolic link) is the same directory.
    mkdir -p "$work/same"
    ln -s same "$work/link"
    mpmd same REPRISE_DIR "$work/same" "$work/link" "$prog" "$steps" --save-every 4000
    [[ $(rc_of same) -eq 0 ]] || fail "same: a directory and a link to it were refused (status $(rc_of same))"
    [[ "$(checksum_of same.out)" == "$reference" ]] || fail "same: checksum differs from the reference"
    echo "ok: one directory by two paths"

    # A job id per rank (Grid Engine's JOB_ID).
    mpmd jobs JOB_ID 101 102 "$prog" "$steps"
    refused jobs "reprise: rank 1 has job 'sge-102', rank 0 'sge-101': every rank of a job must see the same job id"
    echo "ok: JOB_ID 101 and 102"

    # A persistent directory per rank (REPRISE_PERSIST_DIR): rank 0 writes the persistent
    # commit records for every rank's copies, so it is refused too, no lock file left.
    mpmd persist REPRISE_PERSIST_DIR "$work/p0" "$work/p1" "$prog" "$steps"
    refused persist "reprise: rank 1 has persistent directory (REPRISE_PERSIST_DIR, Options::persist_directory) '$work/p1', rank 0 '$work/p0': every rank of a job must use the same persistent directory"
    left=$(find "$work/p0" "$work/p1" -mindepth 1)
    [[ -z "$left" ]] || fail "persist: files left: $left"
    echo "ok: REPRISE_PERSIST_DIR p0 and p1"
    echo "PASS: ranks that disagree on name, directory, persistent directory or job are refused on both ranks"
    ;;

foreign-rank-file)
    # A commit record binds exactly its rank files: another file under a committed name
    # is not loaded, and every rank falls back to the older committed generation. Run A
    # (here) commits steps 2000 and 4000; run B, of the same name and job in another
    # directory, 3000 and 6000; checkpoint 'b' (a name of its own) beside B.
    commits make-a "$REPRISE_DIR" 2000
    commits make-b "$work/other" 3000
    REPRISE_NAME=b commits make-named-b "$work/other" 3000
    cp -a "$REPRISE_DIR" "$work/pristine"
    g2=$(printf %010d 2)
    for variant in same-name named-b; do
        rm -rf "$REPRISE_DIR"
        cp -a "$work/pristine" "$REPRISE_DIR"
        if [[ $variant == same-name ]]; then
            # Same name, job and generation in its header: only the binding tells.
            cp "$work/other/heat.rank1.local.$g2.ckpt" "$REPRISE_DIR/heat.rank1.local.$g2.ckpt"
        else
            cp "$work/other/b.rank1.local.$g2.ckpt" "$REPRISE_DIR/heat.rank1.local.$g2.ckpt"
        fi
        rc=0
        RESTARTED=1 timeout -k 5 120 "${mpi[@]}" "$prog" "$steps" >"$variant.out" 2>"$variant.err" || rc=$?
        echo "$rc" >"$variant.rc"
        [[ $rc -ne 124 && $rc -ne 137 ]] || fail "$variant: the restart hung (status $rc)"
        resumed_at "$variant" 2000
        n=$(grep -c '^reprise: warning: rank [0-9]* restored the older generation 1' "$variant.err" || true)
        [[ $n -eq 2 ]] || fail "$variant: $n of 2 ranks said they fell back to generation 1"
        echo "ok: $variant"
    done
    grep -q "heat.rank1.local.$g2.ckpt: not the file that .*heat.local.$g2.commit committed for rank 1" same-name.err ||
        fail "same-name: the warning does not say the file is not the committed one"
    echo "PASS: a file of another run or checkpoint under a committed name is not restored"
    ;;

stray-record)
    # A stray commit record claiming 4 ranks (checksum-valid, of this job and name: from a
    # 4-rank run of the same job elsewhere) never decides the advice: only a record that
    # binds this job's rank files does. Run A (here, 2 ranks) commits steps 2000 and 4000;
    # the 4-rank run, 1000, 2000 and 3000.
    commits make-two "$REPRISE_DIR" 2000
    commits make-four "$work/four" 1000 4 3
    cp -a "$REPRISE_DIR" "$work/pristine"
    g() { printf %010d "$1"; }
    for variant in newer replaced alone four; do
        rm -rf "$REPRISE_DIR"
        case $variant in
        newer) # the 4-rank record of generation 3 beside A's 1 and 2
            cp -a "$work/pristine" "$REPRISE_DIR"
            cp "$work/four/heat.local.$(g 3).commit" "$REPRISE_DIR/" ;;
        replaced) # the 4-rank record of generation 2 over A's
            cp -a "$work/pristine" "$REPRISE_DIR"
            cp "$work/four/heat.local.$(g 2).commit" "$REPRISE_DIR/" ;;
        alone) # A's records gone, the 4-rank record of generation 3 instead
            cp -a "$work/pristine" "$REPRISE_DIR"
            rm "$REPRISE_DIR"/heat.local.*.commit
            cp "$work/four/heat.local.$(g 3).commit" "$REPRISE_DIR/" ;;
        four) # the control: the 4-rank checkpoint itself, restarted with 2 ranks
            cp -a "$work/four" "$REPRISE_DIR" ;;
        esac
        rc=0
        RESTARTED=1 timeout -k 5 120 "${mpi[@]}" "$prog" "$steps" >"$variant.out" 2>"$variant.err" || rc=$?
        echo "$rc" >"$variant.rc"
        [[ $rc -ne 124 && $rc -ne 137 ]] || fail "$variant: the restart hung (status $rc)"
        case $variant in
        newer | replaced)
            grep -q 'mpirun -np 4' "$variant.err" && fail "$variant: the stray record's 4 ranks were advised"
            if [[ $variant == newer ]]; then resumed_at newer 4000; else resumed_at replaced 2000; fi
            grep -q "heat.local.[0-9]*.commit: says 4 ranks but does not bind this job's rank files" "$variant.err" ||
                fail "$variant: the stray record's rejection was not said"
            ;;
        alone)
            refused alone "reprise: restore: no generation of job local of checkpoint 'heat' is valid on all 2 ranks"
            grep -q 'mpirun -np 4' alone.err && fail "alone: the stray record's 4 ranks were advised"
            n=$(grep -c "heat.local.$(g 3).commit: says 4 ranks but does not bind this job's rank files" alone.err || true)
            [[ $n -ge 2 ]] || fail "alone: the error does not list the rejected record on both ranks"
            ;;
        four)
            refused four "checkpoint written by 4 ranks, this run has 2; restart it with mpirun -np 4"
            ;;
        esac
        echo "ok: $variant"
    done
    echo "PASS: a stray 4-rank record is passed over, or refused, never advised; a real one is"
    ;;

stray-generation)
    # A stray file with a huge generation number on one rank only does not number the
    # job's generations: the run commits 1 and 2 (ten-digit names) and the restart resumes
    # from generation 2.
    for stray in 999999999999999999 9999999999; do
        rm -rf "$REPRISE_DIR"
        mkdir -p "$REPRISE_DIR"
        echo stray >"$REPRISE_DIR/heat.rank1.local.$stray.ckpt"
        commits "run-$stray" "$REPRISE_DIR" 2000
        names=$(cd "$REPRISE_DIR" && ls heat.local.*.commit | tr '\n' ' ')
        [[ "$names" == "heat.local.0000000001.commit heat.local.0000000002.commit " ]] ||
            fail "$stray: the records are $names, not generations 1 and 2"
        # A ten-digit name is one reprise writes: rank 1's first save recycled it. (Other
        # names are no generation at all once names are parsed by round trip: left alone.)
        if [[ ${#stray} -eq 10 && -e "$REPRISE_DIR/heat.rank1.local.$stray.ckpt" ]]; then
            fail "$stray: the stray file is still there"
        fi
        if [[ ${#stray} -ne 10 ]]; then
            # Nobody's generation: left alone, by the saves and by finish() alike. Removed
            # here, so that the restart's check that finish() leaves nothing is about ours.
            [[ -e "$REPRISE_DIR/heat.rank1.local.$stray.ckpt" ]] ||
                fail "$stray: a file that is no generation of ours was removed"
            rm "$REPRISE_DIR/heat.rank1.local.$stray.ckpt"
        fi
        RESTARTED=1 run "restart-$stray" "$prog" "$steps"
        resumed_at "restart-$stray" 4000
        echo "ok: $stray"
    done
    echo "PASS: a stray generation number on one rank numbers nothing"
    ;;

*)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
