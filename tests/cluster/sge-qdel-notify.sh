#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: `qdel` of a running `-notify` job (examples/sge/rerun-notify.sge, no
# periodic saves): the SIGUSR2 that comes 5 s before the SIGKILL makes it save and stop
# by itself; the job leaves the queue with its checkpoint on disk. Running the program
# again as that job (JOB_ID, RESTARTED=1) resumes from it and ends with the result of an
# uninterrupted run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

steps=300 pace=0.1 seed=12
ref=$(reference $steps $seed)

submit -o "$work/job.out" -v REPRISE_DIR="$ckpt",REPRISE_INTERVAL=0 \
       "$examples/sge/rerun-notify.sge" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task other hand
qrls "$job" >/dev/null

out=$work/job.out
wait_walking "$job" "$out"
qdel "$job" >/dev/null
wait_until 30 "the save on the notify SIGUSR2" contains "$out" '^reprise: stopping on SIGUSR2$' ||
    die "job $job did not save and stop on SIGUSR2"
wait_gone "$job" 30

[[ $(grep -c '^reprise: saved generation' "$out") == 1 ]] || die "expected exactly one save"
file=$ckpt/walk.sge-$job.0000000001.ckpt
contains "$out" "^reprise: saved generation 1 .* to $file\$" || die "the save is not job $job's"
[[ -f $file ]] || die "the checkpoint $file is gone"
! contains "$out" '^checksum=' || die "the job finished before the qdel"
stopped_at=$(grep -c '^progress step=' "$out")

# The deleted job's checkpoint carries its work on: run as that job, restarted.
JOB_ID=$job RESTARTED=1 REPRISE_DIR=$ckpt "$walk" $steps 0 $seed >"$work/resumed.out" 2>&1 ||
    die "the resumed run failed"
contains "$work/resumed.out" "^walk: job sge-$job, RESTARTED=1\$" || die "the resumed run is not job $job"
check_own_restores "$work/resumed.out" "sge-$job"
resumed=$(resumed_step "$work/resumed.out")
[[ -n $resumed && $resumed -ge $stopped_at ]] ||
    die "resumed at step '$resumed', before the job's last progress ($stopped_at)"
check_result "$work/resumed.out" "$ref"
check_finished "sge-$job"
check_decoys
passed "qdel: USR2, saved at step $resumed before the SIGKILL; resumed from it to the same checksum"
