#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: the recipe of examples/slurm/self-requeue.sbatch as written, with no trap: a job
# whose time limit comes before its end is warned by SIGTERM (--signal=B:TERM, which
# reaches the program: the script exec'ed it), saves, requeues itself
# (REPRISE_ON_STOP=requeue) and finishes in its second run, SLURM_RESTART_COUNT=1, with
# the result of an uninterrupted run.
#
# Timing, as slurm-time-limit.sh: the limit is 2 minutes and the warning asked for 40 s
# before it; the controller checks every 30 s, so the warning comes 50 to 80 s into a
# run. The walk takes 90 s (360 steps of 0.25 s): always warned in its first run, and
# what is left (10 to 40 s) ends before a second warning could come (50 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=360 pace=0.25 seed=23
ref=$(reference $steps $seed)

submit --time=2 --signal=B:TERM@40 --output="$work/job.out" \
       --export=ALL,REPRISE_DIR="$ckpt" \
       "$examples/slurm/self-requeue.sbatch" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task hand
scontrol release "$job"

out=$work/job.out
wait_walking "$job" "$out"
wait_until 150 "the warning, the save and the self-requeue" \
    contains "$out" "^reprise: stopping on SIGTERM; requeued Slurm job $job \\(scontrol requeue $job\\)\$" ||
    die "job $job was not warned, or did not requeue itself"
saved=$(last_saved_generation "$out")
[[ -n $saved ]] || die "the first run saved nothing"
wait_requeued "$job"
wait_finished "$job" 150
contains "$out" "^run 0 of job $job " || die "no first run in $out"
contains "$out" "^run 1 of job $job " || die "no second run in $out"
! contains "$out" '^run 2 of job' || die "job $job needed a third run"
[[ $(field "$job" Restarts) == 1 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 1"
contains "$out" "^walk: job slurm-$job, SLURM_RESTART_COUNT=1\$" ||
    die "the second run did not see SLURM_RESTART_COUNT=1"
resumed=$(resumed_step "$out")
[[ -n $resumed && $resumed -gt 0 && $resumed -lt $steps ]] ||
    die "the second run did not resume mid-walk (resumed at '${resumed}')"
check_own_restores "$out" "slurm-$job"
[[ $(restored_generation "$out") == "$saved" ]] ||
    die "restored generation $(restored_generation "$out"), but the last one saved was $saved"
check_result "$out" "$ref"
check_finished "slurm-$job"
check_decoys
passed "no trap: warned by B:TERM, saved at step $resumed, requeued by itself, resumed; same checksum"
