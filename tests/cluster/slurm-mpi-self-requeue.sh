#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm + MPI with REPRISE_ON_STOP=requeue and no trap: a 2-rank heat2d_mpi under a
# batch script that exec's mpirun. `scancel --batch --signal=USR2` reaches mpirun (what
# --signal=B:USR2@T does before a limit), which passes it to every rank; the ranks save
# the same step, rank 0 alone asks Slurm to requeue the job (one `requeued` line, not one
# per rank: REPRISE_LOG=all has every rank print its own stop line), every rank ends, and
# the second run (SLURM_RESTART_COUNT=1) resumes both ranks and ends with the checksum of
# an uninterrupted run. The program comes in
# REPRISE_HEAT2D_MPI (CTest sets it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

heat=${REPRISE_HEAT2D_MPI:-}
[[ -n $heat && -x $heat ]] || skip "no heat2d_mpi (MPI not found when reprise was configured)"
command -v mpirun >/dev/null || skip "no mpirun (Debian: openmpi-bin)"
heat=$(realpath "$heat")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

steps=400 pace=0.05
ref=$(mpi_reference_checksum "$heat" $steps)

# The whole job script: no trap, no scontrol.
cat >"$work/mpi-self-requeue.sbatch" <<'SCRIPT'
#!/bin/bash
#SBATCH --requeue
#SBATCH --open-mode=append
export REPRISE_ON_STOP=requeue
echo "run ${SLURM_RESTART_COUNT:-0} of job $SLURM_JOB_ID"
exec mpirun -np "$SLURM_NTASKS" "$@"
SCRIPT

submit --ntasks=2 --output="$work/job.out" \
       --export=ALL,REPRISE_DIR="$ckpt",REPRISE_NAME=heat,REPRISE_LOG=all \
       "$work/mpi-self-requeue.sbatch" "$heat" $steps --pace $pace --progress 10
job=$submitted
scontrol release "$job"

out=$work/job.out
wait_until 60 "the first run to start" contains "$out" '^progress step=' ||
    die "job $job did not start"
scancel --batch --signal=USR2 "$job"
wait_until 60 "the save and the self-requeue" \
    contains "$out" "^reprise: stopping on SIGUSR2; requeued Slurm job $job \\(scontrol requeue $job\\)\$" ||
    die "job $job did not requeue itself"
wait_requeued "$job"
wait_finished "$job" 120
[[ $(grep -c 'requeued Slurm job' "$out") == 1 ]] ||
    die "$(grep -c 'requeued Slurm job' "$out") ranks requeued the job, not rank 0 alone"
contains "$out" '^run 0 of job' || die "no first run in $out"
contains "$out" '^run 1 of job' || die "no second run in $out"
! contains "$out" '^run 2 of job' || die "job $job ran a third time"
[[ $(field "$job" Restarts) == 1 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 1"
# As mpi_job_resumed (slurm-lib.sh) checks, but for rank 1's "stopping" line: once rank 0
# has requeued the job, Slurm signals the whole job and mpirun, seeing rank 0 end, ends
# rank 1, which may go before it says a word (its save was committed before).
contains "$out" "^reprise: committed generation [0-9]+ of 2 ranks \(.*\) to $ckpt/heat.slurm-$job.[0-9]{10}.commit\$" ||
    die "the first run committed no checkpoint of 2 ranks"
resumed=$(resumed_step "$out")
[[ -n $resumed && $resumed -gt 0 && $resumed -lt $steps ]] ||
    die "the second run did not resume mid-run (resumed at '${resumed}')"
at=$(sed -n 's/^heat2d_mpi: rank [01] at step=//p' "$out" | sort -u | tr '\n' ' ')
[[ $at == "0 $resumed " || $at == "$resumed 0 " ]] ||
    die "the ranks did not start at 0, then resume together at $resumed: $at"
# Rank 0's line for both ranks, and each rank's own (REPRISE_LOG=all).
[[ $(grep -c '^reprise: restored generation [0-9]* of 2 ranks ' "$out") == 1 ]] || die "no restore of both ranks"
[[ $(grep -c '^reprise: restored generation [0-9]* (.*\.rank[01]\.slurm-' "$out") == 2 ]] || die "not both ranks restored"
[[ "$(sed -n 's/^checksum=//p' "$out")" == "$ref" ]] ||
    die "checksum $(sed -n 's/^checksum=//p' "$out") differs from the reference $ref"
left=$(cd "$ckpt" && ls heat.* 2>/dev/null || true)
[[ -z $left ]] || die "files left after the job finished: $left"
passed "no trap: USR2, both ranks saved step $resumed, rank 0 requeued, resumed; same checksum"
