#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: `scancel --signal=USR1 --full` on a running job (examples/slurm/periodic.sbatch,
# no periodic saves) makes a checkpoint appear while the job goes on walking; the job
# then finishes in the same run with the result of an uninterrupted run and removes its
# checkpoint.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=120 pace=0.1 seed=4
ref=$(reference $steps $seed)

submit --output="$work/job.out" --export=ALL,REPRISE_DIR="$ckpt",REPRISE_INTERVAL=0 \
       "$examples/slurm/periodic.sbatch" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task other hand
scontrol release "$job"

out=$work/job.out
own_checkpoint() { compgen -G "$ckpt/walk.slurm-$job.0*.ckpt" >/dev/null; }
wait_walking "$job" "$out"
! own_checkpoint || die "a checkpoint of job $job exists before any signal"
scancel --signal=USR1 --full "$job"
wait_until 30 "the checkpoint that USR1 asks for" own_checkpoint ||
    die "no checkpoint of job $job appeared after scancel --signal=USR1 --full"
state_is "$job" RUNNING || die "job $job is $(field "$job" JobState) after the USR1, not RUNNING"
saved_at=$(grep -c '^progress step=' "$out")
wait_until 30 "the job to walk on after its save" \
    eval "(( \$(grep -c '^progress step=' '$out') > saved_at + 5 ))" ||
    die "job $job did not go on after its save"
wait_finished "$job" 60

[[ $(grep -c '^reprise: saved generation' "$out") == 1 ]] || die "expected exactly one save"
check_own_saves "$out" "slurm-$job"
! contains "$out" '^reprise: stopping' || die "the USR1 stopped the job"
check_own_restores "$out" "slurm-$job" 0
[[ $(grep -c '^fresh start' "$out") == 1 ]] || die "expected one run, from the start"
[[ $(field "$job" Restarts) == 0 ]] || die "job $job was restarted"
check_result "$out" "$ref"
check_finished "slurm-$job"
check_decoys
passed "USR1 from scancel --full made generation 1 near step $saved_at; the job went on to the same checksum"
