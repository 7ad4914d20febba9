#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# "finished" is decided from the checkpoints on disk, not from the exit status alone:
#
#   1. a program in the REPRISE_ON_STOP=return style, stopped by `reprise stop`, saves,
#      returns from main with status 0 and keeps its checkpoint: it is "stopped",
#      restartable, and `reprise restart` resumes it from that checkpoint;
#   2. the same program run to its end calls finish(), which removes its checkpoints, and
#      exits 0: it is "finished", even though it was checkpointed on the way, and
#      `reprise restart` refuses it.
#
# usage: stop-return.sh REPRISE HEAT2D STOP_AND_RETURN

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
stopper=${1:?usage: stop-return.sh REPRISE HEAT2D STOP_AND_RETURN}

# 1. Stopped, exit status 0, checkpoint kept.
export REPRISE_ON_STOP=return
id=$(start_detached --name stopper -- "$stopper" 100000000)
[[ -n $id ]] || fail "no job id from reprise start"
log=$REPRISE_HOME/jobs/$id/output.log
out=$("$reprise" checkpoint "$id") || fail "reprise checkpoint failed: $out"
out=$("$reprise" stop "$id") || fail "reprise stop of a REPRISE_ON_STOP=return program failed: $out"
note "$out"
grep -q "^stopped at step=" "$log" || fail "the program did not leave its loop on stop_requested()"
grep -q '"exit_status": 0' "$REPRISE_HOME/jobs/$id/job.json" || fail "the program did not exit with status 0"
ls "$REPRISE_HOME/jobs/$id/checkpoints/"*.ckpt >/dev/null 2>&1 || fail "the stopped program left no checkpoint"
list_says "$id" "stopped (exit status 0.*, restartable" ||
    fail "a program that saved and returned 0 is not listed stopped and restartable: $(list_line "$id")"
job_field "$id" Status | grep -q "^stopped .*, restartable$" || fail "info disagrees with list"
grep -q "restartable.*reprise restart $id. resumes it" <<<"$out" || fail "stop does not say how to resume it"
stopped_at=$(sed -n 's/^stopped at step=//p' "$log")

out=$("$reprise" restart --detach "$id") || fail "reprise restart refused the stopped job: $out"
note "$out"
resumed() { grep -q "^resumed at step=" "$log"; }
wait_for 60 "the restarted job to resume" resumed
resumed_at=$(sed -n 's/^resumed at step=//p' "$log")
[[ $resumed_at -eq $stopped_at ]] || fail "resumed at step $resumed_at, but it stopped (and saved) at step $stopped_at"
note "stopped at step $stopped_at, resumed at step $resumed_at"
out=$("$reprise" stop "$id") || fail "the second reprise stop failed: $out"
list_says "$id" "stopped (exit status 0.*, restartable" || fail "the second stop is not listed stopped"

# 2. Checkpointed on the way, then run to its end: finish() removed the checkpoints.
unset REPRISE_ON_STOP
done_id=$(start_detached --name short -- "$stopper" 3000)
out=$("$reprise" checkpoint "$done_id") || fail "reprise checkpoint of the short job failed: $out"
wait_for 120 "the short job to finish" list_says "$done_id" " finished "
list_says "$done_id" "restartable" && fail "a finished job is listed restartable: $(list_line "$done_id")"
grep -q "^done step=3000" "$REPRISE_HOME/jobs/$done_id/output.log" || fail "the short job did not run to its end"
expect_error "job $done_id finished \(exit status 0 and no checkpoint left: finish\(\) removes them\): there is nothing to resume" \
    "$reprise" restart "$done_id"
note "OK"
