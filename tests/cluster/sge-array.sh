#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: two tasks of an array job (examples/sge/array.sge) walk at the same time
# from different seeds, checkpointing every second into one directory; `qmod -rj`
# reschedules the whole array, and each task resumes from its own checkpoint: every save
# and restore of a task names that task's files only, and each task ends with the
# result of its own uninterrupted run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

steps=150 pace=0.1
ref1=$(reference $steps 1)
ref2=$(reference $steps 2)
[[ $ref1 != "$ref2" ]] || die "the two seeds give the same result"

submit -t 1-2 -v REPRISE_DIR="$ckpt",REPRISE_INTERVAL=1 \
       "$examples/sge/array.sge" "$walk" $steps $pace
job=$submitted
plant_decoy 1000 1 JOB_ID="$job"                       # the job id alone, no task
plant_decoy 1000 2 JOB_ID="$job" SGE_TASK_ID=3         # another task
plant_decoy 1000 1 JOB_ID=$((job + 1)) SGE_TASK_ID=1   # another array's task 1
plant_decoy 1000 2 SLURM_JOB_ID=$((job + 1)) SLURM_ARRAY_JOB_ID="$job" SLURM_ARRAY_TASK_ID=2
snapshot_decoys
qrls "$job" >/dev/null

task_out() { echo "$work/reprise-array.$job.$1.out"; }
for t in 1 2; do
    wait_until 60 "task $t's first two saves" \
        contains "$(task_out $t)" '^reprise: saved generation 2 ' || die "task $t made no saves"
done
qmod -rj "$job" >/dev/null
saved=()
for t in 1 2; do
    wait_until 30 "task $t to save and stop" \
        contains "$(task_out $t)" '^reprise: stopping on SIGUSR2$' || die "task $t did not stop"
    saved[t]=$(last_saved_generation "$(task_out $t)")
done
for t in 1 2; do
    wait_until 90 "task $t's result" contains "$(task_out $t)" '^checksum=' ||
        die "task $t did not finish"
done
wait_gone "$job" 30

for t in 1 2; do
    out=$(task_out $t)
    key=sge-$job.$t
    ref=ref$t
    contains "$out" "^walk: job $key, RESTARTED=1\$" ||
        die "task $t's second run is not job $key with RESTARTED=1"
    check_own_saves "$out" "$key"
    check_own_restores "$out" "$key"
    [[ $(restored_generation "$out") == "${saved[t]}" ]] ||
        die "task $t restored generation $(restored_generation "$out"), not its last, ${saved[t]}"
    check_result "$out" "${!ref}"
    check_finished "$key"
done
check_decoys
passed "two tasks, one directory, qmod -rj: each resumed from its own last generation" \
       "(${saved[1]} and ${saved[2]}), each with its own checksum"
