#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# A detached heat2d is checkpointed twice, stopped, and restarted "on another host" (a new
# UTS namespace named node2, over the same registry); its final grid is bit-for-bit that of
# an uninterrupted run.
#
# The job is held with SIGSTOP between the commands and continued only while a command
# talks to it, so that even a fast build cannot finish its steps before `stop`: the
# commands themselves do not know, and must wait for the program as they always do.
#
# usage: restart-elsewhere.sh REPRISE HEAT2D STEPS

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
steps=$1

# The reference, uninterrupted, meanwhile.
mkdir -p "$work/reference"
REPRISE_DIR=$work/reference "$heat2d" "$steps" >"$work/reference.out" 2>"$work/reference.err" &
reference_pid=$!
cleanup_hooks+=("kill -KILL $reference_pid 2>/dev/null")

id=$(start_detached --name heat -- "$heat2d" "$steps")
[[ -n $id ]] || fail "no job id from reprise start"
note "started job $id"
list_says "$id" running || fail "a detached job just started is not listed as running"
pid=$(job_pid "$id")
[[ -n $pid ]] || fail "reprise info $id shows no pid"
held=("$pid")
kill -STOP "$pid"

out=$(with_job_running "$reprise" checkpoint "$id") || fail "the first checkpoint failed"
note "$out"
first=$(generation_of "$out")
out=$(with_job_running "$reprise" checkpoint "$id") || fail "the second checkpoint failed"
note "$out"
second=$(generation_of "$out")
[[ -n $first && -n $second && $second -gt $first ]] ||
    fail "the generations do not grow: '$first' then '$second'"
[[ -e $REPRISE_HOME/jobs/$id/checkpoints/heat.sge-$id.$(printf %010d "$second").ckpt ]] ||
    fail "generation $second is not in the job's checkpoint directory"
job_field "$id" 'Last checkpoint' | grep -q "^generation $second " ||
    fail "reprise info does not show generation $second as the last checkpoint"
count=$(find "$REPRISE_HOME/jobs/$id/checkpoints" -name '*.ckpt' | wc -l)
[[ $count -le 2 ]] || fail "$count generations on disk, more than two"

kill -CONT "$pid"
out=$("$reprise" stop "$id") || fail "reprise stop failed: $out"
note "$out"
grep -q "stopped by SIGTERM, restartable" <<<"$out" || fail "stop did not report a stop with a checkpoint"
list_says "$id" "stopped by SIGTERM, restartable" || fail "list does not show the job stopped"
grep -q '^fresh start$' "$REPRISE_HOME/jobs/$id/output.log" || fail "the detached job's output is not in its log"

if [[ -n $other_host_mode ]]; then
    host=node2
    on_other_host "$host" "$reprise" restart "$id" >"$work/restart.out" 2>"$work/restart.err" ||
        fail "the restart on $host failed"
else
    host=$(hostname)
    note "SKIPPED the other host (needs root or user namespaces): restarting on this host"
    "$reprise" restart "$id" >"$work/restart.out" 2>"$work/restart.err" || fail "the restart failed"
fi
resumed=$(sed -n 's/^resumed at step=\([0-9][0-9]*\)$/\1/p' "$work/restart.out")
[[ -n $resumed && $resumed -gt 0 ]] || fail "the restarted job did not resume from a checkpoint"
grep -q "job id $id (heat) on $host" "$work/restart.err" || fail "the restart did not say where it runs"

same_checksum_as_reference "$reference_pid" "$work/reference.out" "$work/restart.out" "stopped and restarted"

list_line "$id" | grep -q "^$id  *$host  *finished " || fail "list does not show job $id finished on $host"
[[ $(job_field "$id" Restarts) == 1 ]] || fail "reprise info does not count the restart"
[[ -z $(find "$REPRISE_HOME/jobs/$id/checkpoints" -name '*.ckpt') ]] ||
    fail "the finished job left checkpoints behind"
note "OK: generations $first and $second, stopped, resumed at step $resumed on $host: $actual"
