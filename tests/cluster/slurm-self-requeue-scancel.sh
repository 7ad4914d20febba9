#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: a plain `scancel` of a job run with REPRISE_ON_STOP=requeue
# (examples/slurm/self-requeue.sbatch) cancels it. Its SIGTERM comes when Slurm is already
# ending the job (JobState=COMPLETING): the program saves, sees that, does not requeue
# the job (Slurm 22.05 would take the requeue and run a cancelled job again), says why and
# ends; the job stays CANCELLED, never restarted, its checkpoint kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=300 pace=0.1 seed=22

submit --output="$work/job.out" --export=ALL,REPRISE_DIR="$ckpt" \
       "$examples/slurm/self-requeue.sbatch" "$walk" $steps $pace $seed
job=$submitted
scontrol release "$job"

out=$work/job.out
wait_walking "$job" "$out"
scancel "$job"
wait_until 30 "the save and the refusal to requeue" \
    contains "$out" "^reprise: stopping on SIGTERM; Slurm job $job is not requeued: Slurm is already ending it \\(JobState=COMPLETING" ||
    die "job $job did not say that it stays cancelled"
wait_until 60 "job $job to end" ended "$job" || die "job $job did not end"
state_is "$job" CANCELLED || die "job $job ended $(field "$job" JobState), not CANCELLED"
[[ $(field "$job" Restarts) == 0 ]] || die "Slurm counts $(field "$job" Restarts) restarts, not 0"
saved=$(last_saved_generation "$out")
[[ -n $saved ]] || die "the run saved nothing"
compgen -G "$ckpt/walk.slurm-$job.*.ckpt" >/dev/null || die "the checkpoint of job $job is gone"
! contains "$out" '^run 1 of job' || die "job $job ran again"
passed "scancel: saved generation $saved, not requeued, CANCELLED"
