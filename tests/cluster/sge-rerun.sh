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
rescheduled_and_resumed "$job" "$out" 1 $steps "$ref"
passed "qmod -rj: USR2, saved generation $saved, rescheduled, resumed at step $resumed with RESTARTED=1; same checksum"
