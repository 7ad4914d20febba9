#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# What scripts rely on: `list`, `info` and `inspect --json` print documents that follow
# the schema of docs/manager.md (checked by a JSON parser, json_check), each kind of
# failure has its own exit status (`reprise --help`), `rm` of several ids removes all or
# nothing, `prune` removes what ended long enough ago and keeps what can resume, and the
# bash completion completes commands, options and job ids.
#
# usage: scripting.sh REPRISE HEAT2D JSON_CHECK COMPLETION

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
json_check=$1
completion=$2

# Programs that are not heat2d (common.sh kills only those it recognises): killed at exit.
other_pids=()
kill_others() { local p; for p in ${other_pids[@]+"${other_pids[@]}"}; do kill -KILL "$p" 2>/dev/null || true; done; }
cleanup_hooks+=(kill_others)

# expect_status STATUS COMMAND...: COMMAND exits with exactly STATUS, and says why on stderr.
expect_status() {
    local expected=$1 status=0
    shift
    "$@" >"$work/status.out" 2>"$work/status.err" || status=$?
    [[ $status -eq $expected ]] ||
        fail "'$*' exited with $status, not $expected: $(cat "$work/status.err" "$work/status.out")"
    [[ $status -eq 0 ]] || grep -q '^reprise: ' "$work/status.err" ||
        fail "'$*': no 'reprise: ' error on stderr: $(cat "$work/status.err")"
    note "ok (exit $status): $* -> $(head -n 1 "$work/status.err")"
}

# json KIND COMMAND... -- PATH...: runs COMMAND (any exit status), checks its stdout against
# the schema and prints the values at PATH.
json() {
    local kind=$1 args=() status=0
    shift
    while [[ $1 != -- ]]; do args+=("$1"); shift; done
    shift
    "${args[@]}" >"$work/doc.json" 2>"$work/doc.err" || status=$?
    "$json_check" "$kind" "$@" <"$work/doc.json" ||
        fail "'${args[*]}' (exit $status) printed a document off the schema: $(cat "$work/doc.json" "$work/doc.err")"
}

# ---- --json ---------------------------------------------------------------------------

[[ $(json list "$reprise" list --json -- jobs) == "[]" ]] || fail "an empty registry lists jobs in JSON"

finished=$(start_detached -- true)
wait_for 60 "job $finished to finish" list_says "$finished" " finished "
running=$(start_detached -- "$heat2d" 1000000000)
"$reprise" checkpoint "$running" >/dev/null || fail "reprise checkpoint $running failed"
pid=$(job_pid "$running")

values=$(json list "$reprise" list --json -- jobs.0.id jobs.0.state jobs.0.exit_status jobs.0.pid \
         jobs.1.state jobs.1.pid jobs.1.restartable jobs.1.last_checkpoint.number errors)
[[ $values == "$finished"$'\n'finished$'\n'0$'\n'null$'\n'running$'\n'"$pid"$'\n'false$'\n'1$'\n'[] ]] ||
    fail "list --json says: $values"
values=$(json info "$reprise" info --json "$running" -- job.id job.name job.command.0 job.checkpoint_dir job.generations.0.path)
[[ $values == "$running"$'\n'heat2d$'\n'"$heat2d"$'\n'"$REPRISE_HOME/jobs/$running/checkpoints"$'\n'"$REPRISE_HOME/jobs/$running/checkpoints/heat2d.sge-$running.0000000001.ckpt" ]] ||
    fail "info --json says: $values"
values=$(json inspect "$reprise" inspect --json "$running" -- checkpoints.0.valid checkpoints.0.generation \
         checkpoints.0.job_key checkpoints.0.variables.0.name checkpoints.0.why)
[[ $values == true$'\n'1$'\n'"sge-$running"$'\n'grid$'\n'null ]] || fail "inspect --json says: $values"
# An uncompressed file: all of its payload on disk.
values=$(json inspect "$reprise" inspect --json "$running" -- checkpoints.0.payload_size checkpoints.0.payload_stored)
[[ $(sed -n 1p <<<"$values") -gt 0 && $(sed -n 1p <<<"$values") == $(sed -n 2p <<<"$values") ]] ||
    fail "inspect --json: payload_size and payload_stored of an uncompressed file: $values"
# A damaged file: valid false, why said, exit status 1, and still a document of the schema.
head -c 1000 "$REPRISE_HOME/jobs/$running/checkpoints/heat2d.sge-$running.0000000001.ckpt" >"$work/cut.ckpt"
status=0
"$reprise" inspect --json "$work/cut.ckpt" >/dev/null || status=$?
[[ $status -eq 1 ]] || fail "inspect --json of a truncated file exits with $status, not 1"
values=$(json inspect "$reprise" inspect --json "$work/cut.ckpt" -- checkpoints.0.valid checkpoints.0.why)
[[ $values == false$'\n'truncated:* ]] || fail "inspect --json of a truncated file says: $values"
# A corrupt entry: listed under "errors", exit status 1.
mkdir -m 0700 "$REPRISE_HOME/jobs/77"
echo '{"format": 3}' >"$REPRISE_HOME/jobs/77/job.json"
chmod 0600 "$REPRISE_HOME/jobs/77/job.json"
expect_status 1 "$reprise" list --json
values=$(json list "$reprise" list --json -- errors.0.id)
[[ $values == 77 ]] || fail "list --json does not report the corrupt entry 77: $values"
"$reprise" rm 77 >/dev/null || fail "rm of the corrupt entry failed"
note "ok: --json of list, info and inspect follow the schema"

# ---- exit statuses --------------------------------------------------------------------

# The table is in --help, as scripts' authors read it.
help=$("$reprise" --help)
for line in "  2  usage error" "  3  no such job" "  4  the job is running" "  5  the job is not running" \
            "  6  not restartable" "  7  timeout" "  8  the checkpoint failed"; do
    grep -qF -- "$line" <<<"$help" || fail "reprise --help lacks the exit status line '$line'"
done
expect_status 2 "$reprise" info abc
expect_status 2 "$reprise" frobnicate
expect_status 2 "$reprise" stop --grace 5 "$running"
expect_status 3 "$reprise" info 42
expect_status 3 "$reprise" rm 42
expect_status 4 "$reprise" rm "$running"
expect_status 4 "$reprise" restart "$running"
expect_status 5 "$reprise" stop "$finished"
expect_status 5 "$reprise" checkpoint "$finished"
expect_status 6 "$reprise" restart "$finished"
# A program that never makes a Checkpointer: stop and checkpoint send nothing, time out.
plain=$(start_detached -- tail -f /dev/null)
other_pids+=("$(job_pid "$plain")")
expect_status 7 "$reprise" stop --timeout 0.5 "$plain"
expect_status 7 "$reprise" checkpoint --timeout 0.5 "$plain"
# A program whose Checkpointer handles no signal (REPRISE_SIGNALS=0): SIGUSR1 kills it
# before it saves.
unhandled=$(REPRISE_SIGNALS=0 start_detached -- "$heat2d" 1000000000)
expect_status 8 "$reprise" checkpoint "$unhandled"
note "ok: exit statuses 2 to 8"

# ---- rm of several ids ------------------------------------------------------------------

"$reprise" stop --force --grace 1 "$plain" >/dev/null || fail "stop --force $plain failed"
other=$(start_detached -- true)
wait_for 60 "job $other to finish" list_says "$other" " finished "
# All or nothing: one running job among them, none is removed.
expect_status 4 "$reprise" rm "$finished" "$running" "$other"
grep -q "nothing removed" "$work/status.err" || fail "rm of several does not say nothing was removed"
[[ -d $REPRISE_HOME/jobs/$finished && -d $REPRISE_HOME/jobs/$other ]] || fail "a refused rm removed a job"
expect_status 3 "$reprise" rm "$finished" 4242 "$other"
expect_status 0 "$reprise" rm "$finished" "$other" "$finished"
[[ ! -e $REPRISE_HOME/jobs/$finished && ! -e $REPRISE_HOME/jobs/$other ]] || fail "rm of several left a job"
[[ $(grep -c "^reprise rm: removed" "$work/status.out") -eq 2 ]] || fail "rm of several: $(cat "$work/status.out")"
note "ok: rm of several ids is all or nothing"

# ---- prune ------------------------------------------------------------------------------

# Now: $running (running), $plain (killed by SIGKILL, no checkpoint), $unhandled (killed by
# SIGUSR1, no checkpoint). Add: a failed job, a stopped (restartable) job, a finished one
# that ended long ago (its record says so, in the record's own format).
failed=$(start_detached -- false)
wait_for 60 "job $failed to fail" list_says "$failed" " failed "
stopped=$(start_detached -- "$heat2d" 1000000000)
"$reprise" checkpoint "$stopped" >/dev/null || fail "reprise checkpoint $stopped failed"
"$reprise" stop "$stopped" >/dev/null || fail "reprise stop $stopped failed"
old=$(start_detached -- true)
wait_for 60 "job $old to finish" list_says "$old" " finished "
sed -i 's/"ended": [0-9]*/"ended": 1000000000/' "$REPRISE_HOME/jobs/$old/job.json" # 2001
expect_status 0 "$reprise" prune --older-than 7d
[[ $(cat "$work/status.out") == "reprise prune: removed job $old (true, finished, ended "*")" ]] ||
    fail "prune --older-than 7d: $(cat "$work/status.out")"
[[ ! -e $REPRISE_HOME/jobs/$old ]] || fail "prune left job $old"
expect_status 0 "$reprise" prune --older-than 0 --dry-run
for id in "$plain" "$unhandled" "$failed"; do
    grep -q "would remove job $id " "$work/status.out" || fail "prune --dry-run omits job $id: $(cat "$work/status.out")"
    [[ -d $REPRISE_HOME/jobs/$id ]] || fail "prune --dry-run removed job $id"
done
grep -q "kept 1 restartable job" "$work/status.out" || fail "prune --dry-run: $(cat "$work/status.out")"
expect_status 0 "$reprise" prune --older-than 0
for id in "$plain" "$unhandled" "$failed"; do
    [[ ! -e $REPRISE_HOME/jobs/$id ]] || fail "prune --older-than 0 left job $id"
done
[[ -d $REPRISE_HOME/jobs/$stopped && -d $REPRISE_HOME/jobs/$running ]] || fail "prune removed a running or restartable job"
expect_status 0 "$reprise" prune --older-than 0 --restartable
[[ ! -e $REPRISE_HOME/jobs/$stopped ]] || fail "prune --restartable left the stopped job $stopped"
[[ -d $REPRISE_HOME/jobs/$running ]] || fail "prune --restartable removed the running job $running"
note "ok: prune"

# ---- bash completion ------------------------------------------------------------------

# complete WORD...: the completions of the last word of "reprise WORD...", sorted, one line.
complete_words() {
    (
        source "$completion"
        COMP_WORDS=("$reprise" "$@")
        COMP_CWORD=$#
        _reprise
        printf '%s\n' ${COMPREPLY[@]+"${COMPREPLY[@]}"} | sort | tr '\n' ' '
    )
}
second=$(start_detached -- "$heat2d" 1000000000)
[[ $(complete_words st) == "start stop " ]] || fail "completion of 'st': $(complete_words st)"
[[ $(complete_words p) == "prune " ]] || fail "completion of 'p': $(complete_words p)"
[[ $(complete_words stop --f) == "--force " ]] || fail "completion of 'stop --f': $(complete_words stop --f)"
[[ $(complete_words list --) == "--help --json " ]] || fail "completion of 'list --': $(complete_words list --)"
[[ $(complete_words rm "") == "$running $second " ]] || fail "completion of 'rm ': $(complete_words rm "")"
[[ $(complete_words info --json "") == "$running $second " ]] || fail "completion of 'info --json ': $(complete_words info --json "")"
mkdir "$work/dir-for-completion"
[[ $(complete_words start --dir "$work/dir-for") == "$work/dir-for-completion " ]] ||
    fail "completion of 'start --dir': $(complete_words start --dir "$work/dir-for")"
note "ok: bash completion"
