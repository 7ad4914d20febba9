#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: `qmod -rj` on a running `-r y -notify` job that checkpoints every second
# (examples/sge/rerun-notify.sge): the notify SIGUSR2 makes it save and stop, Grid
# Engine reschedules it, and the next run sees RESTARTED=1, resumes from the last
# generation the first run saved, and ends with the result of an uninterrupted run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

steps=150 pace=0.1 seed=11
ref=$(reference $steps $seed)

submit -o "$work/job.out" -v REPRISE_DIR="$ckpt",REPRISE_INTERVAL=1 \
       "$examples/sge/rerun-notify.sge" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task prefix other hand
qrls "$job" >/dev/null

out=$work/job.out
wait_until 60 "two periodic saves" contains "$out" '^reprise: saved generation 2 ' ||
    die "job $job made no periodic saves"
qmod -rj "$job" >/dev/null
wait_until 30 "the save on the notify SIGUSR2" contains "$out" '^reprise: stopping on SIGUSR2$' ||
    die "job $job did not stop on SIGUSR2"
saved=$(last_saved_generation "$out")
wait_until 60 "the second run" contains "$out" '^run RESTARTED=1 ' || die "job $job was not rescheduled"
wait_until 60 "the result" contains "$out" '^checksum=' || die "job $job did not finish"
wait_gone "$job" 30

contains "$out" "^walk: job sge-$job, RESTARTED=1\$" || die "the second run did not see RESTARTED=1"
check_own_restores "$out" "sge-$job"
[[ $(restored_generation "$out") == "$saved" ]] ||
    die "restored generation $(restored_generation "$out"), but the last one saved was $saved"
resumed=$(resumed_step "$out")
[[ -n $resumed && $resumed -gt 0 ]] || die "the second run did not resume mid-walk"
check_result "$out" "$ref"
check_finished "sge-$job"
check_decoys
passed "qmod -rj: USR2, saved generation $saved, rescheduled, resumed at step $resumed with RESTARTED=1; same checksum"
