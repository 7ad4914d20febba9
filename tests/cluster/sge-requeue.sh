#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: a job run with REPRISE_ON_STOP=requeue (examples/sge/exit99.sge with
# -v REPRISE_ON_STOP=requeue), the setting that requeues a job under Slurm, is sent a
# stop signal (SIGTERM); it saves and exits with status 99, Grid Engine's own requeue;
# the next run sees RESTARTED=1, resumes from that checkpoint and ends with the result of
# an uninterrupted run. One job setting, both schedulers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

steps=150 pace=0.1 seed=24
ref=$(reference $steps $seed)

submit -o "$work/job.out" -v REPRISE_DIR="$ckpt",REPRISE_ON_STOP=requeue \
       "$examples/sge/exit99.sge" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task prefix hand
qrls "$job" >/dev/null

out=$work/job.out
wait_walking "$job" "$out"
pid=$(program_pid "$out")
[[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == walk ]] ||
    die "pid '$pid' from the job's first line is not the walk"
kill -TERM "$pid"
wait_until 30 "the save and the exit 99" \
    contains "$out" '^reprise: stopping on SIGTERM, exit status 99 \(Grid Engine requeues the job\)$' ||
    die "job $job did not exit 99"
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
passed "REPRISE_ON_STOP=requeue, SIGTERM: saved at step $resumed, exit 99, rescheduled, resumed with RESTARTED=1; same checksum"
