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

need_mpi

steps=400 pace=0.05
ref=$(mpi_reference_checksum "$heat" $steps)

# The whole job script: no trap, no scontrol. Its first line is the examples' own, which
# requeued_once reads.
cat >"$work/mpi-self-requeue.sbatch" <<'SCRIPT'
#!/bin/bash
#SBATCH --requeue
#SBATCH --open-mode=append
export REPRISE_ON_STOP=requeue
echo "run ${SLURM_RESTART_COUNT:-0} of job $SLURM_JOB_ID on $(hostname) at $(date '+%F %T')"
exec mpirun -np "$SLURM_NTASKS" "$@"
SCRIPT

submit_mpi "$work/mpi-self-requeue.sbatch" REPRISE_LOG=all
wait_walking "$job" "$out"
scancel --batch --signal=USR2 "$job"
stop_line=$(self_requeued_line "$job" SIGUSR2)
requeued_once "$job" "$out" 60 "$stop_line" 120
[[ $(grep -c 'requeued Slurm job' "$out") == 1 ]] ||
    die "$(grep -c 'requeued Slurm job' "$out") ranks requeued the job, not rank 0 alone"
# The stop line mpi_job_resumed looks for is rank 0's, with its requeue: once rank 0 has
# requeued the job, Slurm signals the whole job and mpirun, seeing rank 0 end, ends rank
# 1, which may go before it says a word (its save was committed before).
mpi_job_resumed "$job" "$out" "$ckpt" $steps "$ref" "$stop_line"
# Beside rank 0's restore line for both ranks, each rank's own (REPRISE_LOG=all).
[[ $(grep -c '^reprise: restored generation [0-9]* (.*\.rank[01]\.slurm-' "$out") == 2 ]] || die "not both ranks restored"
passed "no trap: USR2, both ranks saved step $resumed, rank 0 requeued, resumed; same checksum"
