#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: `qmod -sj` on a job under the "reprise" checkpoint environment
# (examples/sge/ckpt.sge, no -notify): the environment's migr_command sends SIGUSR2, the
# program saves and stops, Grid Engine migrates (reschedules) the job, and the next run
# sees RESTARTED=2, resumes from that checkpoint and ends with the result of an
# uninterrupted run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

steps=150 pace=0.1 seed=14
ref=$(reference $steps $seed)

submit -o "$work/job.out" -v REPRISE_DIR="$ckpt" \
       "$examples/sge/ckpt.sge" "$walk" $steps $pace $seed
job=$submitted
plant_look_alikes "$job" task other hand
qrls "$job" >/dev/null

out=$work/job.out
wait_walking "$job" "$out"
qmod -sj "$job" >/dev/null
wait_until 30 "the save on the checkpoint environment's SIGUSR2" \
    contains "$out" '^reprise: stopping on SIGUSR2$' || die "job $job did not save and stop"
# Migrated: RESTARTED=2, where a rescheduling says 1.
rescheduled_and_resumed "$job" "$out" 2 $steps "$ref"
passed "qmod -sj: the environment's USR2 saved step $resumed; migrated, resumed with RESTARTED=2; same checksum"
