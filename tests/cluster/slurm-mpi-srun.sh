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

ref=$(mpi_reference_checksum "$heat" $steps)

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
mpi_job_resumed "$job" "$out" "$ckpt" $steps "$ref"
passed "srun --mpi=pmix: warned, both ranks saved step $resumed, requeued, resumed, same checksum"
