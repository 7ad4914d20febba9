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
wait_until 30 "the save on Slurm's SIGTERM" contains "$out" '^reprise: stopping on SIGTERM$' ||
    die "job $job did not stop on SIGTERM"
saved=$(last_saved_generation "$out")
wait_requeued "$job"
wait_finished "$job" 90

contains "$out" "^walk: job slurm-$job, SLURM_RESTART_COUNT=1\$" ||
    die "the second run did not see SLURM_RESTART_COUNT=1"
[[ $(field "$job" Restarts) == 1 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 1"
check_own_restores "$out" "slurm-$job"
[[ $(restored_generation "$out") == "$saved" ]] ||
    die "restored generation $(restored_generation "$out"), but the last one saved was $saved"
resumed=$(resumed_step "$out")
[[ -n $resumed && $resumed -gt 0 ]] || die "the second run did not resume mid-walk"
check_result "$out" "$ref"
check_finished "slurm-$job"
check_decoys
passed "requeued; resumed from generation $saved (step $resumed), the last one saved; same checksum"
