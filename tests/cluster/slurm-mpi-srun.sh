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

need_mpi
srun --mpi=list 2>&1 | grep -qw pmix || skip "this Slurm has no pmix MPI plugin (srun --mpi=list)"

# 400 steps of 0.05 s: 20 s, long enough to be warned mid-run after the first progress
# line, short enough for the second run.
steps=400 pace=0.05

ref=$(mpi_reference_checksum "$heat" $steps)

submit_mpi "$examples/slurm/mpi.sbatch" MPI_LAUNCHER=srun
wait_walking "$job" "$out"
scancel --batch --signal=USR1 "$job"
requeued_once "$job" "$out" 60 "$(trap_requeued_line "$job")" 120

# srun, not mpirun, started the ranks: one MPI job of 2 (PMIx), in Slurm's step.
! contains "$out" 'mpirun' || die "mpirun appears in the job's output: $(grep mpirun "$out")"
mpi_job_resumed "$job" "$out" "$ckpt" $steps "$ref"
passed "srun --mpi=pmix: warned, both ranks saved step $resumed, requeued, resumed, same checksum"
