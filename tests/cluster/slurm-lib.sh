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

# two_runs_across_the_time_limit JOB OUT: the time-limit recipe's whole course, read from
# the job's output file OUT: the first run starts, is warned, saves and requeues the job
# (examples/slurm/time-limit.sbatch, mpi.sbatch), and the second run ends it, COMPLETED;
# Slurm counts one restart.
two_runs_across_the_time_limit() {
    local job=$1 out=$2
    wait_until 60 "the first run to start" contains "$out" '^progress step=' ||
        die "job $job did not start"
    wait_until 150 "the warning, the save and the requeue" \
        contains "$out" "^saved before the time limit; requeueing job $job\$" ||
        die "job $job was not warned, or did not requeue itself"
    wait_requeued "$job"
    wait_finished "$job" 150
    contains "$out" '^run 0 of job' || die "no first run in $out"
    contains "$out" '^run 1 of job' || die "no second run in $out"
    ! contains "$out" '^run 2 of job' || die "job $job needed a third run"
    [[ $(field "$job" Restarts) == 1 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 1"
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

# mpi_job_resumed JOB OUT CKPT STEPS REF: what an MPI job's output OUT must show once its
# two runs are over: the first stopped on SIGUSR2 and committed a checkpoint of 2 ranks,
# both ranks of the second restored and resumed together mid-run, the checksum is REF's
# and nothing is left in CKPT. Sets `resumed` to the step resumed from.
mpi_job_resumed() {
    local job=$1 out=$2 ckpt=$3 steps=$4 ref=$5 at left
    contains "$out" '^reprise: stopping on SIGUSR2$' || die "the first run did not stop on SIGUSR2"
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
