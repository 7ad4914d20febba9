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
wait_until 30 "the save and the self-requeue" \
    contains "$out" "^reprise: stopping on SIGTERM; requeued Slurm job $job \\(scontrol requeue $job\\)\$" ||
    die "job $job did not requeue itself"
saved=$(last_saved_generation "$out")
[[ -n $saved ]] || die "the first run saved nothing"
wait_requeued "$job"
wait_finished "$job" 120

contains "$out" "^run 0 of job $job " || die "no first run in $out"
contains "$out" "^run 1 of job $job " || die "no second run in $out"
! contains "$out" '^run 2 of job' || die "job $job ran a third time"
[[ $(field "$job" Restarts) == 1 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 1"
contains "$out" "^walk: job slurm-$job, SLURM_RESTART_COUNT=1\$" ||
    die "the second run did not see SLURM_RESTART_COUNT=1"
check_own_restores "$out" "slurm-$job"
[[ $(restored_generation "$out") == "$saved" ]] ||
    die "restored generation $(restored_generation "$out"), but the last one saved was $saved"
resumed=$(resumed_step "$out")
[[ -n $resumed && $resumed -gt 0 && $resumed -lt $steps ]] ||
    die "the second run did not resume mid-walk (resumed at '${resumed}')"
check_result "$out" "$ref"
check_finished "slurm-$job"
check_decoys
passed "no trap: SIGTERM, saved at step $resumed, requeued by itself, resumed with SLURM_RESTART_COUNT=1; same checksum"
