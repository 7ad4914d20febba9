#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm + MPI: a 2-rank heat2d_mpi under mpirun in a batch job whose time limit comes
# before its end is warned (--signal=B:USR1), has mpirun pass USR2 to the ranks, which
# all save the same step and stop, requeues itself (examples/slurm/mpi.sbatch) and
# finishes in its second run, SLURM_RESTART_COUNT=1, with the checksum of an
# uninterrupted run. The program comes in REPRISE_HEAT2D_MPI (CTest sets it).
#
# Timing, as slurm-time-limit.sh: a limit of 2 minutes, the warning asked for 40 s before
# it, so it comes 50 to 80 s into a run (the controller checks every 30 s); 360 steps of
# 0.25 s take 90 s, so the first run is always warned, and the rest (10 to 40 s) ends
# before a second warning could come.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

heat=${REPRISE_HEAT2D_MPI:-}
[[ -n $heat && -x $heat ]] || skip "no heat2d_mpi (MPI not found when reprise was configured)"
command -v mpirun >/dev/null || skip "no mpirun (Debian: openmpi-bin)"
heat=$(realpath "$heat")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

steps=360 pace=0.25

ref=$(mpi_reference_checksum "$heat" $steps)

submit --ntasks=2 --time=2 --signal=B:USR1@40 --output="$work/job.out" \
       --export=ALL,REPRISE_DIR="$ckpt",REPRISE_NAME=heat \
       "$examples/slurm/mpi.sbatch" "$heat" $steps --pace $pace --progress 10
job=$submitted
scontrol release "$job"

out=$work/job.out
two_runs_across_the_time_limit "$job" "$out"
mpi_job_resumed "$job" "$out" "$ckpt" $steps "$ref"
passed "warned, both ranks saved step $resumed, requeued, resumed with SLURM_RESTART_COUNT=1, same checksum"
