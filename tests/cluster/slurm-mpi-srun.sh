#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm + MPI with srun --mpi=pmix: a 2-rank heat2d_mpi that Slurm itself starts
# (examples/slurm/mpi.sbatch with MPI_LAUNCHER=srun; Slurm's mpi_pmix plugin, OpenMPI's
# PMIx client). The batch shell is warned by `scancel --batch --signal=USR1` (what
# --signal=B:USR1@T does at the limit, without waiting for the controller's tick, which
# slurm-mpi.sh already covers), has srun pass USR2 to the ranks, which all save the same
# step and stop, requeues the job, and the second run (SLURM_RESTART_COUNT=1) resumes
# both ranks and ends with the checksum of an uninterrupted run. The program comes in
# REPRISE_HEAT2D_MPI (CTest sets it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

heat=${REPRISE_HEAT2D_MPI:-}
[[ -n $heat && -x $heat ]] || skip "no heat2d_mpi (MPI not found when reprise was configured)"
command -v mpirun >/dev/null || skip "no mpirun (Debian: openmpi-bin), for the reference run"
srun --mpi=list 2>&1 | grep -qw pmix || skip "this Slurm has no pmix MPI plugin (srun --mpi=list)"
heat=$(realpath "$heat")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# 400 steps of 0.05 s: 20 s, long enough to be warned mid-run after the first progress
# line, short enough for the second run.
steps=400 pace=0.05

mkdir -p "$work/reference"
(cd "$work/reference" && REPRISE_DIR="$work/reference/ckpt" \
    mpirun --oversubscribe -np 2 "$heat" $steps >out 2>err) ||
    die "the reference run failed: $(cat "$work/reference/err")"
ref=$(sed -n 's/^checksum=//p' "$work/reference/out")
[[ -n $ref ]] || die "the reference run printed no checksum"

submit --ntasks=2 --output="$work/job.out" \
       --export=ALL,MPI_LAUNCHER=srun,REPRISE_DIR="$ckpt",REPRISE_NAME=heat \
       "$examples/slurm/mpi.sbatch" "$heat" $steps --pace $pace --progress 10
job=$submitted
scontrol release "$job"

out=$work/job.out
wait_until 60 "the first run to start" contains "$out" '^progress step=' ||
    die "job $job did not start"
contains "$out" '^run 0 of job' || die "no first run in $out"
scancel --batch --signal=USR1 "$job"
wait_until 60 "the save and the requeue" \
    contains "$out" "^saved before the time limit; requeueing job $job\$" ||
    die "job $job did not save and requeue itself after the warning"
wait_requeued "$job"
wait_finished "$job" 120
contains "$out" '^run 1 of job' || die "no second run in $out"
! contains "$out" '^run 2 of job' || die "job $job needed a third run"
[[ $(field "$job" Restarts) == 1 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 1"

# srun, not mpirun, started the ranks: one MPI job of 2 (PMIx), in Slurm's step.
! contains "$out" 'mpirun' || die "mpirun appears in the job's output: $(grep mpirun "$out")"
contains "$out" '^reprise: stopping on SIGUSR2$' || die "the first run did not stop on SIGUSR2"
contains "$out" "^reprise: committed generation [0-9]+ of 2 ranks to $ckpt/heat.slurm-$job.[0-9]{10}.commit\$" ||
    die "the first run committed no checkpoint of 2 ranks"
resumed=$(resumed_step "$out")
[[ -n $resumed && $resumed -gt 0 && $resumed -lt $steps ]] ||
    die "the second run did not resume mid-run (resumed at '${resumed}')"
at=$(sed -n 's/^heat2d_mpi: rank [01] at step=//p' "$out" | sort -u | tr '\n' ' ')
[[ $at == "0 $resumed " || $at == "$resumed 0 " ]] ||
    die "the ranks did not start at 0, then resume together at $resumed: $at"
[[ $(grep -c '^reprise: restored generation' "$out") == 2 ]] || die "not both ranks restored"
[[ "$(sed -n 's/^checksum=//p' "$out")" == "$ref" ]] ||
    die "checksum $(sed -n 's/^checksum=//p' "$out") differs from the reference $ref"
left=$(cd "$ckpt" && ls heat.* 2>/dev/null || true)
[[ -z $left ]] || die "files left after the job finished: $left"
passed "srun --mpi=pmix: warned, both ranks saved step $resumed, requeued, resumed, same checksum"
