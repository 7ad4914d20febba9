#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Jobs that die without a word are shown dead, with their checkpoint restartable, never
# "running" forever:
#
#   1. the program is killed by SIGKILL: its supervisor records it;
#   2. the program and its supervisor are both killed by SIGKILL, as in a machine crash:
#      nobody records anything, and the locks (free) and the pid (gone) say it;
#   3. only the supervisor is killed: the program still runs and holds the library's
#      lock, so the job is running (and cannot be restarted beside itself).
#
# After each, `restart` resumes the job from its checkpoint. Finally `rm` refuses the
# running job and removes the stopped one.
#
# usage: dead-jobs.sh REPRISE HEAT2D

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# A computation that never ends by itself.
id=$(start_detached -- "$heat2d" 1000000000)
[[ -n $id ]] || fail "no job id from reprise start"
out=$("$reprise" checkpoint "$id") || fail "reprise checkpoint failed"
note "$out"

# 1. SIGKILL to the program.
pid=$(job_pid "$id")
kill -KILL "$pid"
wait_for 60 "list to show job $id dead" list_says "$id" "dead: killed by SIGKILL, restartable"
note "after kill -9 of the program: $(list_line "$id")"
job_field "$id" Status | grep -q '^dead: killed by SIGKILL, restartable$' || fail "info disagrees with list"

resumed_in_log() { grep -q "^resumed at step=" "$REPRISE_HOME/jobs/$id/output.log"; }

out=$("$reprise" restart --detach "$id") || fail "the restart after SIGKILL failed: $out"
note "$out"
wait_for 60 "the restarted job to resume" resumed_in_log
out=$("$reprise" checkpoint "$id") || fail "reprise checkpoint of the restarted job failed"

# 2. The machine crashes: supervisor and program vanish together, nothing is recorded.
supervisor=$(supervisor_pid "$id")
pid=$(job_pid "$id")
kill -KILL "$supervisor"
kill -KILL "$pid"
wait_for 60 "list to show job $id vanished" list_says "$id" "dead: vanished without a word.*, restartable"
note "after kill -9 of the supervisor and the program: $(list_line "$id")"
grep -q '"state": "running"' "$REPRISE_HOME/jobs/$id/job.json" ||
    fail "the record was updated, so this was no crash"

sed -i 's/^resumed at step=/(earlier) resumed at step=/' "$REPRISE_HOME/jobs/$id/output.log"
out=$("$reprise" restart --detach "$id" 2>"$work/restart.err") || fail "the restart after the crash failed"
grep -q "vanished without a word" "$work/restart.err" || fail "restart did not say the last run vanished"
wait_for 60 "the job restarted after the crash to resume" resumed_in_log
[[ $(job_field "$id" Restarts) == 2 ]] || fail "reprise info does not count two restarts"

# 3. Only the supervisor dies: the program runs on, unsupervised.
out=$("$reprise" checkpoint "$id") || fail "reprise checkpoint failed"
supervisor=$(supervisor_pid "$id")
pid=$(job_pid "$id")
kill -KILL "$supervisor"
wait_for 60 "the supervisor to be gone" gone "$supervisor"
list_says "$id" "running (pid $pid; its manager is gone" || fail "an unsupervised program is not shown running"
expect_error "still runs: process $pid on host" "$reprise" restart "$id"
expect_error "still runs" "$reprise" rm "$id"
out=$("$reprise" checkpoint "$id") || fail "an unsupervised job cannot be checkpointed"
note "$out"
kill -KILL "$pid"
wait_for 60 "list to show the unsupervised job dead" list_says "$id" "dead: vanished without a word.*, restartable"

# rm: refused while running, then removes everything; the id is not given again.
out=$("$reprise" restart --detach "$id") || fail "the last restart failed"
expect_error "job $id is running on host" "$reprise" rm "$id"
out=$("$reprise" stop "$id") || fail "reprise stop failed: $out"
out=$("$reprise" rm "$id") || fail "reprise rm failed"
note "$out"
grep -q "removed job $id (heat2d) and its 2 checkpoints" <<<"$out" || fail "rm did not say what it removed"
[[ ! -e $REPRISE_HOME/jobs/$id ]] || fail "rm left the entry behind"
expect_error "no job $id" "$reprise" info "$id"
next=$(start_detached -- true)
[[ $next -gt $id ]] || fail "the id $id of a removed job was given again ($next)"
note "OK"
