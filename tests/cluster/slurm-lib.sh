# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Sourced by the Slurm scenarios: common.sh, scenario.sh, and Slurm's side of them.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

scheduler_diagnostics() {
    local j
    for j in "${jobs_to_cancel[@]}"; do
        echo "---- scontrol show job $j"
        scontrol show job "$j" 2>&1 || true
    done
    echo "---- squeue"
    squeue 2>&1 || true
    echo "---- slurmctld.log (last lines)"
    tail -n 30 "$SLURM_DIR/log/slurmctld.log" 2>&1 || true
}

cancel_job() { scancel --full "$1"; }

# look_alike_identity KIND JOB: sets `identity` to the variables of plant_look_alikes'
# decoy KIND for Slurm job JOB: "task" is task 1 of array job JOB (its own job id one
# more), "other" is Grid Engine's job JOB.
look_alike_identity() {
    case $1 in
    task) identity=(SLURM_JOB_ID=$(($2 + 1)) SLURM_ARRAY_JOB_ID="$2" SLURM_ARRAY_TASK_ID=1) ;;
    prefix) identity=(SLURM_JOB_ID="${2}0") ;;
    other) identity=(JOB_ID="$2") ;;
    esac
}

source "$(dirname "${BASH_SOURCE[0]}")/scenario.sh"

command -v sbatch >/dev/null || die "no sbatch although the setup said ready"
scontrol ping 2>/dev/null | grep -q UP || die "slurmctld does not answer (SLURM_CONF=$SLURM_CONF)"

# submit SBATCH_ARGS... SCRIPT ARGS...: submits held (the decoys go in before it may
# run) from $work; sets $submitted to the job id (cancelled at exit if still there).
submit() {
    submitted=$(cd "$work" && sbatch --parsable --hold "$@") || die "sbatch $* failed"
    submitted=${submitted%%;*}
    jobs_to_cancel+=("$submitted")
}

# field JOB NAME: a field of `scontrol show job` (JobState, Restarts, ExitCode...).
field() {
    scontrol show job "$1" -o 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
state_is() { [[ $(field "$1" JobState) == "$2" ]]; }

# wait_requeued JOB: the job went back to the queue. It starts again by itself once its
# EligibleTime (cred_expire+1 s after the requeue) has passed, at the next scheduling
# pass: 15 to 30 s later. (Starting it sooner by hand gets it killed: "Job credential
# revoked".)
wait_requeued() {
    wait_until 60 "job $1 to be PENDING again" state_is "$1" PENDING ||
        die "job $1 did not go back to the queue"
}

# wait_finished JOB SECONDS: waits until the job has ended, and fails unless COMPLETED.
ended() {
    case $(field "$1" JobState) in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE) ;;
    *) return 1 ;;
    esac
}
wait_finished() {
    wait_until "$2" "job $1 to end" ended "$1" || die "job $1 did not end"
    state_is "$1" COMPLETED || die "job $1 ended $(field "$1" JobState), exit $(field "$1" ExitCode)"
}

# warned_before_the_limit SIGNAL: sets what the time-limit scenarios share (slurm-time-limit.sh,
# slurm-self-requeue-time-limit.sh, slurm-mpi.sh): `limit`, sbatch's arguments for a limit
# of 2 minutes with SIGNAL sent to the batch shell (B:) 40 s before it, and the program's
# `steps` and `pace`, 360 of 0.25 s. The controller checks every 30 s, so the warning comes
# 50 to 80 s into a run; the program takes 90 s: it is always warned in its first run, at
# least 10 s before its end, and what is left (10 to 40 s) always ends at least 10 s
# before a second warning could come (50 s).
warned_before_the_limit() {
    limit=(--time=2 "--signal=B:$1@40")
    steps=360 pace=0.25
}

# requeued_once JOB OUT SECONDS STOP_LINE FINISH: the course of a job that is stopped once
# and requeued, read from its output OUT, whoever requeues it (the batch script's trap, the
# program itself with REPRISE_ON_STOP=requeue, scontrol): within SECONDS the first run
# prints STOP_LINE (an extended regular expression: the save and the requeue are done),
# the job goes back to the queue, and it ends COMPLETED within FINISH seconds of that in
# its second run; the output shows run 0 and run 1 of this job (each job script's first
# line) and no run 2, and Slurm counts one restart. Sets `saved` to the last generation
# the first run saved (nothing for an MPI job, whose rank 0 says "committed").
requeued_once() {
    local job=$1 out=$2 seconds=$3 stop_line=$4 finish=$5
    wait_until "$seconds" "the save and the requeue" contains "$out" "$stop_line" ||
        die "job $job was not stopped, or not requeued: no line matches [$stop_line]"
    saved=$(last_saved_generation "$out")
    wait_requeued "$job"
    wait_finished "$job" "$finish"
    contains "$out" "^run 0 of job $job " || die "no first run in $out"
    contains "$out" "^run 1 of job $job " || die "no second run in $out"
    ! contains "$out" '^run 2 of job' || die "job $job ran a third time"
    [[ $(field "$job" Restarts) == 1 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 1"
}

# two_runs_across_the_time_limit JOB OUT [STOP_LINE]: a time-limit recipe's whole course,
# read from the job's output file OUT: the first run starts, is warned, saves and the job
# is requeued (STOP_LINE says so; by default trap_requeued_line), and requeued_once holds.
# The warning comes 50 to 80 s into a run (warned_before_the_limit): 150 s bound each wait.
two_runs_across_the_time_limit() {
    local job=$1 out=$2 stop_line=${3:-$(trap_requeued_line "$1")}
    wait_walking "$job" "$out"
    requeued_once "$job" "$out" 150 "$stop_line" 150
}

# trap_requeued_line JOB: the line of examples/slurm/time-limit.sbatch's and mpi.sbatch's
# trap once the program has saved, before it requeues job JOB.
trap_requeued_line() { printf '%s' "^saved before the time limit; requeueing job $1\$"; }

# self_requeued_line JOB SIGNAL: the stop line of a program run with
# REPRISE_ON_STOP=requeue that saved on SIGNAL and requeued its own job JOB.
self_requeued_line() {
    printf '%s' "^reprise: stopping on $2; requeued Slurm job $1 \\(scontrol requeue $1\\)\$"
}

# resumed_after_requeue JOB OUT STEPS REF: once requeued_once has held for job JOB, a walk
# of STEPS steps: its first run saved, and its second run (SLURM_RESTART_COUNT=1) resumed
# from that save as second_run_resumed says.
resumed_after_requeue() {
    local job=$1 out=$2 steps=$3 ref=$4
    [[ -n $saved ]] || die "the first run saved nothing"
    second_run_resumed "$out" "slurm-$job" "^walk: job slurm-$job, SLURM_RESTART_COUNT=1\$" \
                       "$saved" "$steps" "$ref"
}

# walk_across_the_time_limit SCRIPT SIGNAL SEED REQUEUER KIND...: the course of the walk
# scenarios of a time limit, slurm-time-limit.sh (time-limit.sbatch: its trap saves and
# requeues) and slurm-self-requeue-time-limit.sh (self-requeue.sbatch: no trap, the
# program requeues with REPRISE_ON_STOP=requeue), which differ only in the script, the
# warning's SIGNAL, the seed, who requeues and the decoys. A walk from SEED, submitted as
# SCRIPT under warned_before_the_limit SIGNAL with REPRISE_DIR=$ckpt, beside
# plant_look_alikes' decoys KIND..., goes through two_runs_across_the_time_limit with
# REQUEUER's stop line ("trap": trap_requeued_line, "program": self_requeued_line of
# SIGSIGNAL) and resumed_after_requeue. Sets `job`, `out`, `saved`, `resumed`.
walk_across_the_time_limit() {
    local script=$1 signal=$2 seed=$3 requeuer=$4 ref stop_line
    shift 4
    warned_before_the_limit "$signal"
    ref=$(reference $steps "$seed")
    submit "${limit[@]}" --output="$work/job.out" --export=ALL,REPRISE_DIR="$ckpt" \
           "$script" "$walk" $steps $pace "$seed"
    job=$submitted
    plant_look_alikes "$job" "$@"
    scontrol release "$job"

    out=$work/job.out
    case $requeuer in
    trap) stop_line=$(trap_requeued_line "$job") ;;
    program) stop_line=$(self_requeued_line "$job" "SIG$signal") ;;
    *) die "walk_across_the_time_limit: no requeuer '$requeuer'" ;;
    esac
    two_runs_across_the_time_limit "$job" "$out" "$stop_line"
    resumed_after_requeue "$job" "$out" $steps "$ref"
}

# need_mpi: the MPI scenarios' program, in `heat` (REPRISE_HEAT2D_MPI: CTest sets it where
# MPI was found), and mpirun, which the reference run needs whoever starts the job's ranks;
# skips without either. OpenMPI refuses root unless told: these tests run as root.
need_mpi() {
    heat=${REPRISE_HEAT2D_MPI:-}
    [[ -n $heat && -x $heat ]] || skip "no heat2d_mpi (MPI not found when reprise was configured)"
    command -v mpirun >/dev/null || skip "no mpirun (Debian: openmpi-bin)"
    heat=$(realpath "$heat")
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
}

# submit_mpi SCRIPT EXPORTS [SBATCH_ARGS...]: what every MPI scenario submits: batch
# script SCRIPT for a 2-rank run of `heat` (need_mpi) of $steps steps of $pace s, with
# progress every 10 steps, REPRISE_DIR=$ckpt, REPRISE_NAME=heat and EXPORTS (VAR=VALUE,...
# or nothing) in its environment, its output in $work/job.out; released at once, as no
# decoy goes in. Sets `job` and `out`.
submit_mpi() {
    local script=$1 exports=$2
    shift 2
    submit --ntasks=2 "$@" --output="$work/job.out" \
           --export=ALL,${exports:+$exports,}REPRISE_DIR="$ckpt",REPRISE_NAME=heat \
           "$script" "$heat" "$steps" --pace "$pace" --progress 10
    job=$submitted
    scontrol release "$job"
    out=$work/job.out
}

# mpi_reference_checksum HEAT STEPS: the checksum of an uninterrupted 2-rank run of
# heat2d_mpi, outside Slurm (a pace changes nothing but the time), run in $work/reference.
mpi_reference_checksum() {
    local heat=$1 steps=$2 sum
    mkdir -p "$work/reference"
    (cd "$work/reference" && REPRISE_DIR="$work/reference/ckpt" \
        mpirun --oversubscribe -np 2 "$heat" "$steps" >out 2>err) ||
        die "the reference run failed: $(cat "$work/reference/err")"
    sum=$(sed -n 's/^checksum=//p' "$work/reference/out")
    [[ -n $sum ]] || die "the reference run printed no checksum"
    echo "$sum"
}

# mpi_job_resumed JOB OUT CKPT STEPS REF [STOP_LINE]: what an MPI job's output OUT must
# show once its two runs are over: the first stopped on SIGUSR2 (STOP_LINE, by default
# the plain one of a job whose script requeues it) and committed a checkpoint of 2 ranks,
# both ranks of the second restored and resumed together mid-run, the checksum is REF's
# and nothing is left in CKPT. Sets `resumed` to the step resumed from.
mpi_job_resumed() {
    local job=$1 out=$2 ckpt=$3 steps=$4 ref=$5 stop_line=${6:-'^reprise: stopping on SIGUSR2$'} at left
    contains "$out" "$stop_line" || die "the first run did not stop on SIGUSR2: no line matches [$stop_line]"
    contains "$out" "^reprise: committed generation [0-9]+ of 2 ranks \(.*\) to $ckpt/heat.slurm-$job.[0-9]{10}.commit\$" ||
        die "the first run committed no checkpoint of 2 ranks"
    resumed=$(resumed_step "$out")
    [[ -n $resumed && $resumed -gt 0 && $resumed -lt $steps ]] ||
        die "the second run did not resume mid-run (resumed at '${resumed}')"
    at=$(sed -n 's/^heat2d_mpi: rank [01] at step=//p' "$out" | sort -u | tr '\n' ' ')
    [[ $at == "0 $resumed " || $at == "$resumed 0 " ]] ||
        die "the ranks did not start at 0, then resume together at $resumed: $at"
    # Rank 0 says the restore of both ranks in one line (docs/logging.md).
    [[ $(grep -c '^reprise: restored generation [0-9]* of 2 ranks ' "$out") == 1 ]] || die "not both ranks restored"
    [[ "$(sed -n 's/^checksum=//p' "$out")" == "$ref" ]] ||
        die "checksum $(sed -n 's/^checksum=//p' "$out") differs from the reference $ref"
    left=$(cd "$ckpt" && ls heat.* 2>/dev/null || true)
    [[ -z $left ]] || die "files left after the job finished: $left"
}
