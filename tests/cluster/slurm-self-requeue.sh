#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: a job whose script has no trap (examples/slurm/self-requeue.sbatch, the program
# run with REPRISE_ON_STOP=requeue) is sent SIGTERM by `scancel --signal=TERM --full`
# (a signal only: the job stays RUNNING, as before a time limit's B:TERM warning); the
# program saves, requeues its own job with `scontrol requeue`, and ends; the second run
# (SLURM_RESTART_COUNT=1) resumes from that checkpoint and ends with the result of an
# uninterrupted run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=150 pace=0.1 seed=21
ref=$(reference $steps $seed)

submit --output="$work/job.out" --export=ALL,REPRISE_DIR="$ckpt" \
       "$examples/slurm/self-requeue.sbatch" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task prefix other
scontrol release "$job"

out=$work/job.out
wait_walking "$job" "$out"
! grep -Eq "^[[:space:]]*trap " "$examples/slurm/self-requeue.sbatch" ||
    die "self-requeue.sbatch traps a signal: the test would prove nothing"
scancel --signal=TERM --full "$job"
requeued_once "$job" "$out" 30 "$(self_requeued_line "$job" SIGTERM)" 120
resumed_after_requeue "$job" "$out" $steps "$ref"
passed "no trap: SIGTERM, saved at step $resumed, requeued by itself, resumed with SLURM_RESTART_COUNT=1; same checksum"
