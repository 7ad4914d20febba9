#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm + MPI: a 2-rank heat2d_mpi under mpirun in a batch job whose time limit comes
# before its end is warned (--signal=B:USR1), has mpirun pass USR2 to the ranks, which
# all save the same step and stop, requeues itself (examples/slurm/mpi.sbatch) and
# finishes in its second run, SLURM_RESTART_COUNT=1, with the checksum of an
# uninterrupted run. The program comes in REPRISE_HEAT2D_MPI (CTest sets it). The timing
# is slurm-time-limit.sh's (slurm-lib.sh's warned_before_the_limit).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

need_mpi
warned_before_the_limit USR1
ref=$(mpi_reference_checksum "$heat" $steps)

submit_mpi "$examples/slurm/mpi.sbatch" "" "${limit[@]}"
two_runs_across_the_time_limit "$job" "$out"
mpi_job_resumed "$job" "$out" "$ckpt" $steps "$ref"
passed "warned, both ranks saved step $resumed, requeued, resumed with SLURM_RESTART_COUNT=1, same checksum"
