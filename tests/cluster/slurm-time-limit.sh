#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: a job whose time limit comes before its end is warned (--signal=B:USR1), saves,
# requeues itself (examples/slurm/time-limit.sbatch) and finishes in its second run,
# which sees SLURM_RESTART_COUNT=1, with the result of an uninterrupted run.
#
# Timing: the limit is 2 minutes and the warning asked for 40 s before it; the
# controller checks every 30 s, so the warning comes 50 to 80 s into a run. The walk
# takes 90 s (360 steps of 0.25 s): it is always warned in its first run, at least 10 s
# before its end, and what is left (10 to 40 s) always ends at least 10 s before a
# second warning could come (50 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=360 pace=0.25 seed=3
ref=$(reference $steps $seed)

submit --time=2 --signal=B:USR1@40 --output="$work/job.out" \
       --export=ALL,REPRISE_DIR="$ckpt" \
       "$examples/slurm/time-limit.sbatch" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task prefix other hand
scontrol release "$job"

out=$work/job.out
two_runs_across_the_time_limit "$job" "$out"
contains "$out" '^reprise: stopping on SIGTERM$' || die "the first run did not stop on SIGTERM"
saved=$(last_saved_generation "$out")
[[ -n $saved ]] || die "the first run saved nothing"
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
passed "warned, saved at step $resumed, requeued, resumed with SLURM_RESTART_COUNT=1, same checksum"
