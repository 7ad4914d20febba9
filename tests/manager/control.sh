#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Control of a job: `stop --force` ends a program that never made a Checkpointer and
# ignores SIGTERM, and its children; `restart` replays the environment recorded at `start`
# (allow-listed variables and --env), and records nothing else; `start --dir` and
# REPRISE_DIR choose the checkpoint directory, used by checkpoint, restart, info and rm,
# and never silently overridden; a record of an older format is still read.
#
# usage: control.sh REPRISE HEAT2D JSON_CHECK

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
json_check=$1

other_pids=()
kill_others() { local p; for p in ${other_pids[@]+"${other_pids[@]}"}; do kill -KILL "$p" 2>/dev/null || true; done; }
cleanup_hooks+=(kill_others)

# ---- stop --force ---------------------------------------------------------------------

# Ends on SIGTERM's default action: no Checkpointer needed, no grace used.
plain=$(start_detached -- tail -f /dev/null)
other_pids+=("$(job_pid "$plain")")
out=$("$reprise" stop --force "$plain") || fail "stop --force of tail failed"
[[ $out == "reprise stop: job $plain killed by SIGTERM before any checkpoint; newest checkpoint: none" ]] ||
    fail "stop --force of tail says: $out"
# Ignores SIGTERM, and has a child that ignores it too: both SIGKILLed after the grace.
stubborn=$(start_detached -- sh -c 'trap "" TERM; tail -f /dev/null & echo $! >"$0.tmp"; mv "$0.tmp" "$0"; wait' \
           "$work/child.pid")
other_pids+=("$(job_pid "$stubborn")")
wait_for 60 "the child of job $stubborn" test -s "$work/child.pid"
child=$(cat "$work/child.pid")
other_pids+=("$child")
"$reprise" stop --force --grace 0.5 "$stubborn" >"$work/force.out" 2>"$work/force.err" ||
    fail "stop --force --grace 0.5 failed: $(cat "$work/force.out" "$work/force.err")"
grep -q "still ran 0.5s after SIGTERM: sent SIGKILL to it and 1 descendant" "$work/force.err" ||
    fail "stop --force does not say it killed: $(cat "$work/force.err")"
grep -q "job $stubborn dead: killed by SIGKILL" "$work/force.out" || fail "stop --force says: $(cat "$work/force.out")"
wait_for 30 "the child $child to be killed" gone "$child"
list_says "$stubborn" "dead: killed by SIGKILL" || fail "list: $(list_line "$stubborn")"
# A reprise program ends on SIGTERM within the grace, saved.
saved=$(start_detached -- "$heat2d" 1000000000)
"$reprise" checkpoint "$saved" >/dev/null || fail "checkpoint $saved failed"
out=$("$reprise" stop --force "$saved") || fail "stop --force of heat2d failed"
[[ $out == "reprise stop: job $saved stopped by SIGTERM, restartable;"* ]] || fail "stop --force of heat2d says: $out"
note "ok: stop --force"

# ---- the recorded environment ---------------------------------------------------------

# The job prints what it sees, then fails (a failed job can be restarted).
show_env='echo "OMP_NUM_THREADS=${OMP_NUM_THREADS-unset} FOO=${FOO-unset} BAR=${BAR-unset} SECRET=${SECRET-unset} REPRISE_LOG=${REPRISE_LOG-unset}" >>"$0"; exit 3'
status=0
OMP_NUM_THREADS=8 FOO=from-start SECRET=hunter2 REPRISE_LOG=quiet \
    "$reprise" start --env FOO --env BAR=given -- sh -c "$show_env" "$work/env.out" >/dev/null 2>&1 || status=$?
[[ $status -eq 3 ]] || fail "the attached job exited with $status, not 3"
id=$(ls "$REPRISE_HOME/jobs" | sort -n | tail -n 1)
[[ $(cat "$work/env.out") == "OMP_NUM_THREADS=8 FOO=from-start BAR=given SECRET=hunter2 REPRISE_LOG=quiet" ]] ||
    fail "the first run saw: $(cat "$work/env.out")"
! grep -q hunter2 "$REPRISE_HOME/jobs/$id/job.json" || fail "a variable off the allow-list was recorded"
"$reprise" info "$id" >"$work/info.out"
grep -q "^Environment             : BAR=given$" "$work/info.out" || fail "info: $(cat "$work/info.out")"
grep -q "^ *OMP_NUM_THREADS=8$" "$work/info.out" || fail "info: $(cat "$work/info.out")"
values=$("$reprise" info --json "$id" | "$json_check" info job.environment.FOO job.environment.OMP_NUM_THREADS) ||
    fail "info --json off the schema"
[[ $values == from-start$'\n'8 ]] || fail "info --json environment: $values"
# Restarted from a shell without them, or with other values: the recorded ones win.
status=0
env -u FOO -u SECRET -u BAR OMP_NUM_THREADS=2 REPRISE_LOG=verbose "$reprise" restart "$id" >/dev/null 2>&1 || status=$?
[[ $status -eq 3 ]] || fail "the restarted job exited with $status, not 3"
[[ $(tail -n 1 "$work/env.out") == "OMP_NUM_THREADS=8 FOO=from-start BAR=given SECRET=unset REPRISE_LOG=quiet" ]] ||
    fail "the restart saw: $(tail -n 1 "$work/env.out")"
expect_error "^reprise: start: --env='REPRISE_DIR': REPRISE_DIR is the manager's to set" "$reprise" start --env REPRISE_DIR -- true
expect_error "^reprise: start: --env='1X=2': expected NAME or NAME=VALUE" "$reprise" start --env 1X=2 -- true
expect_error "^reprise: start: --env='NOT_SET_HERE': NOT_SET_HERE is not set here" \
    env -u NOT_SET_HERE "$reprise" start --env NOT_SET_HERE -- true
note "ok: the recorded environment is replayed by restart"

# ---- --dir and REPRISE_DIR ----------------------------------------------------------------

dir=$work/my-checkpoints
echo "the user's own file" >"$work/keep-me"
job=$(start_detached --dir "$dir" -- "$heat2d" 1000000000)
[[ $(stat -c %a "$dir") == 700 ]] || fail "--dir created $dir with mode $(stat -c %a "$dir")"
cp "$work/keep-me" "$dir/keep-me"
out=$("$reprise" checkpoint "$job") || fail "checkpoint of a --dir job failed"
[[ $out == *": $dir/heat2d.sge-$job.0000000001.ckpt" ]] || fail "checkpoint of a --dir job: $out"
[[ $(job_field "$job" "Checkpoint directory") == "$dir" ]] || fail "info: $(job_field "$job" "Checkpoint directory")"
[[ $("$reprise" info --json "$job" | "$json_check" info job.checkpoint_dir) == "$dir" ]] || fail "info --json checkpoint_dir"
"$reprise" stop "$job" >/dev/null || fail "stop of a --dir job failed"
expect_error "REPRISE_DIR='$work/elsewhere' is set, but the checkpoints of job $job are in $dir" \
    env REPRISE_DIR="$work/elsewhere" "$reprise" restart "$job"
"$reprise" restart --detach "$job" >/dev/null || fail "restart of a --dir job failed"
wait_for 60 "job $job to resume" grep -q "resumed at" "$REPRISE_HOME/jobs/$job/output.log"
"$reprise" stop "$job" >/dev/null || fail "second stop of a --dir job failed"
"$reprise" rm "$job" >/dev/null || fail "rm of a --dir job failed"
[[ $(ls "$dir") == keep-me ]] || fail "rm of a --dir job left or took: $(ls "$dir")"
# REPRISE_DIR set: used as --dir, not overridden.
envdir=$work/env-checkpoints
job=$(REPRISE_DIR=$envdir start_detached -- "$heat2d" 1000000000)
"$reprise" checkpoint "$job" >/dev/null || fail "checkpoint of a REPRISE_DIR job failed"
[[ -f $envdir/heat2d.sge-$job.0000000001.ckpt ]] || fail "REPRISE_DIR was not the job's checkpoint directory: $(ls "$envdir")"
"$reprise" stop "$job" >/dev/null || fail "stop of a REPRISE_DIR job failed"
REPRISE_DIR=$envdir "$reprise" restart --detach "$job" >/dev/null || fail "restart with the same REPRISE_DIR failed"
"$reprise" stop "$job" >/dev/null || fail "third stop failed"
# Both, naming different directories: an error, and no job.
count=$(ls "$REPRISE_HOME/jobs" | wc -l)
expect_error "^reprise: start: --dir='$dir' and REPRISE_DIR='$envdir' name different directories" \
    env REPRISE_DIR="$envdir" "$reprise" start --dir "$dir" -- true
[[ $(ls "$REPRISE_HOME/jobs" | wc -l) -eq $count ]] || fail "a refused start left an entry"
# Not a directory; a directory others may write.
expect_error "^reprise: start: --dir='$work/keep-me': not a directory" "$reprise" start --dir "$work/keep-me" -- true
mkdir -m 0777 "$work/open"
chmod 0777 "$work/open"
expect_error "^reprise: start: --dir: .*(chmod go-w|group or others)" "$reprise" start --dir "$work/open" -- true
note "ok: --dir and REPRISE_DIR"

# ---- older record formats -------------------------------------------------------------

# A format-2 record (before environment and checkpoint_dir): read, shown, restartable.
old=$(env -i PATH="$PATH" REPRISE_HOME="$REPRISE_HOME" "$reprise" start --detach -- "$heat2d" 1000000000 |
      sed -n 's/^reprise start: job \([0-9][0-9]*\) .*/\1/p')
"$reprise" checkpoint "$old" >/dev/null || fail "checkpoint of job $old failed"
"$reprise" stop "$old" >/dev/null || fail "stop of job $old failed"
record=$REPRISE_HOME/jobs/$old/job.json
grep -q '"environment": {},' "$record" || fail "job $old recorded an environment: $(cat "$record")"
sed -i -e '/"checkpoint_dir": /d' -e '/"environment": /d' -e 's/"format": 3/"format": 2/' "$record"
grep -q '"format": 2' "$record" || fail "no format 2 record: $(cat "$record")"
list_says "$old" "stopped by SIGTERM, restartable" || fail "a format-2 record: $(list_line "$old")"
[[ $(job_field "$old" Environment) == "none recorded" ]] || fail "format 2: $(job_field "$old" Environment)"
"$reprise" restart --detach "$old" >/dev/null || fail "restart of a format-2 job failed"
wait_for 60 "job $old to resume" grep -q "resumed at" "$REPRISE_HOME/jobs/$old/output.log"
grep -q '"format": 3' "$record" || fail "the restart did not write format 3"
"$reprise" stop "$old" >/dev/null || fail "stop of job $old failed"
# Format 1 (no job_key either: the key is the one the manager always gave, sge-<id>).
sed -i -e '/"checkpoint_dir": /d' -e '/"environment": /d' -e '/"job_key": /d' -e 's/"format": 3/"format": 1/' "$record"
list_says "$old" "stopped by SIGTERM, restartable" || fail "a format-1 record: $(list_line "$old")"
[[ $("$reprise" info --json "$old" | "$json_check" info job.generations.0.path) == */heat2d.sge-$old.*.ckpt ]] ||
    fail "a format-1 record's checkpoints are not found"
# Format 3's new fields are read as strictly as the others.
sed -i 's/"format": 1/"format": 3/; s/^\(  "cwd": .*\)$/\1\n  "checkpoint_dir": "relative",\n  "environment": {},\n  "job_key": "sge-'"$old"'",/' "$record"
expect_error "checkpoint_dir='relative': expected \"\" or an absolute directory path" "$reprise" info "$old"
sed -i 's/"checkpoint_dir": "relative"/"checkpoint_dir": ""/; s/"environment": {}/"environment": {"1BAD": "x"}/' "$record"
expect_error "environment='1BAD': expected a variable name" "$reprise" info "$old"
sed -i 's/"environment": {"1BAD": "x"}/"environment": {"GOOD": 5}/' "$record"
expect_error "environment.GOOD='5': expected a JSON string" "$reprise" info "$old"
sed -i 's/"environment": {"GOOD": 5}/"environment": {"GOOD": "5"}/' "$record"
[[ $(job_field "$old" Environment) == "GOOD=5" ]] || fail "format 3 by hand: $(job_field "$old" Environment)"
# A format from the future is refused, by name.
sed -i 's/"format": 3/"format": 4/' "$record"
expect_error "format='4': expected a whole number from 1 to 3" "$reprise" info "$old"
note "ok: older record formats"
