#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: `scontrol requeue` of a running job that checkpoints every second
# (examples/slurm/periodic.sbatch): Slurm's SIGTERM makes it save and stop, the job goes
# back to the queue, and its second run (SLURM_RESTART_COUNT=1) resumes from the last
# checkpoint the first run saved and ends with the result of an uninterrupted run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=150 pace=0.1 seed=5
ref=$(reference $steps $seed)

submit --output="$work/job.out" --export=ALL,REPRISE_DIR="$ckpt",REPRISE_INTERVAL=1 \
       "$examples/slurm/periodic.sbatch" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task prefix other
scontrol release "$job"

out=$work/job.out
wait_until 60 "two periodic saves" contains "$out" '^reprise: saved generation 2 ' ||
    die "job $job made no periodic saves"
scontrol requeue "$job"
# Slurm's own SIGTERM: a plain stop line, and Slurm requeues.
requeued_once "$job" "$out" 30 '^reprise: stopping on SIGTERM$' 90
resumed_after_requeue "$job" "$out" $steps "$ref"
passed "requeued; resumed from generation $saved (step $resumed), the last one saved; same checksum"
