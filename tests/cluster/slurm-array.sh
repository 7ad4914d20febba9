#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: two tasks of an array job (examples/slurm/array.sbatch) walk at the same time
# from different seeds, checkpointing every second into one directory; the whole array
# is requeued, and each task resumes from its own checkpoint: every save and every
# restore of a task names that task's files only, and each task ends with the result of
# its own uninterrupted run (a crossed restore would change the checksum).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=150 pace=0.1
ref1=$(reference $steps 1)
ref2=$(reference $steps 2)
[[ $ref1 != "$ref2" ]] || die "the two seeds give the same result"

submit --array=1-2 --output="$work/task-%a.out" \
       --export=ALL,REPRISE_DIR="$ckpt",REPRISE_INTERVAL=1 \
       "$examples/slurm/array.sbatch" "$walk" $steps $pace
array=$submitted
plant_decoy 1000 1 SLURM_JOB_ID="$array"                      # the array job id alone
plant_decoy 1000 2 SLURM_JOB_ID=$((array + 1))                # task 2's own job id, alone
plant_decoy 1000 1 SLURM_JOB_ID=$((array + 5)) SLURM_ARRAY_JOB_ID="$array" SLURM_ARRAY_TASK_ID=3
plant_decoy 1000 2 JOB_ID="$array" SGE_TASK_ID=2
snapshot_decoys
scontrol release "$array"

for t in 1 2; do
    wait_until 60 "task $t's first two saves" \
        contains "$work/task-$t.out" '^reprise: saved generation 2 ' || die "task $t made no saves"
done
if ! state_is "${array}_1" RUNNING || ! state_is "${array}_2" RUNNING; then
    die "the two tasks are not running together"
fi
scontrol requeue "$array"
saved=()
for t in 1 2; do
    wait_until 30 "task $t to save and stop" \
        contains "$work/task-$t.out" '^reprise: stopping on SIGTERM$' || die "task $t did not stop"
    saved[t]=$(last_saved_generation "$work/task-$t.out")
done
for t in 1 2; do
    wait_requeued "${array}_$t"
done
for t in 1 2; do
    wait_finished "${array}_$t" 90
done

for t in 1 2; do
    out=$work/task-$t.out
    key=slurm-${array}_$t
    ref=ref$t
    contains "$out" "^walk: job $key, SLURM_RESTART_COUNT=1\$" ||
        die "task $t's second run is not job $key with SLURM_RESTART_COUNT=1"
    check_own_saves "$out" "$key"
    check_own_restores "$out" "$key"
    [[ $(restored_generation "$out") == "${saved[t]}" ]] ||
        die "task $t restored generation $(restored_generation "$out"), not its last, ${saved[t]}"
    check_result "$out" "${!ref}"
    check_finished "$key"
done
check_decoys
passed "two tasks, one directory, requeued: each resumed from its own last generation" \
       "(${saved[1]} and ${saved[2]}), each with its own checksum"
