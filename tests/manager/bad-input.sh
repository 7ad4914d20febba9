#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Every subcommand has --help, and every bad input gives an error that starts with
# "reprise: ", says what is wrong, and exits non-zero: usage errors, unknown ids, a job on
# another host, a running job for rm and restart, a stopped or finished job, a program
# that does not use reprise, corrupt registry entries, files that are not checkpoints.
#
# usage: bad-input.sh REPRISE HEAT2D

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# --help everywhere.
for command in "" start list info checkpoint stop restart rm prune inspect; do
    out=$("$reprise" $command --help) || fail "reprise $command --help failed"
    grep -q "^Usage: reprise" <<<"$out" || fail "reprise $command --help printed no usage"
done
note "ok: --help on every subcommand"

# Usage errors.
expect_error "A subcommand is required" "$reprise"
expect_error "unknown command .frobnicate.; the commands are start, list" "$reprise" frobnicate
# Ids, durations and names are parsed strictly (detail/parse.hpp): junk, signs, spaces,
# overflow, inf and nan are refused with the option and the value named.
literal() { sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1"; } # TEXT as an extended regular expression
expect_error "^reprise: info: ID='abc': expected a whole number from 1 to 999999999999" "$reprise" info abc
expect_error "^reprise: checkpoint: ID='0': expected a whole number from 1" "$reprise" checkpoint 0
for junk in -1 +5 " 5" "5 " 5x 1e3 0x10 99999999999999999999 1000000000000; do
    expect_error "^reprise: info: ID='$(literal "$junk")': expected a whole number" "$reprise" info -- "$junk"
    expect_error "^reprise: rm: ID='$(literal "$junk")': expected a whole number" "$reprise" rm -- "$junk"
done
expect_error "^reprise: restart: ID='007': expected a whole number .* as .reprise list. shows it \(no leading zero\)" \
    "$reprise" restart 007
expect_error "ID is required" "$reprise" stop
expect_error "PROGRAM is required" "$reprise" start --detach
expect_error "no such program in PATH" "$reprise" start -- no-such-program-here
echo 'echo hello' >"$work/not-executable"
chmod 0644 "$work/not-executable"
expect_error "not an executable file" "$reprise" start -- "$work/not-executable"
for junk in 1e400 200000000d 3651d -5 nan inf infs " 5" "5 " 5x 10x 1.5.5 "" s 1e5d 0x10 +5 "5 s"; do
    expect_error "^reprise: start: --every='$(literal "$junk")': expected a duration: seconds .90, 1.5. or a number with a unit" \
        "$reprise" start --every "$junk" -- true
done
for junk in 0 0s -1 1e400 nan 5x ""; do
    expect_error "^reprise: stop: --timeout='$(literal "$junk")': expected a duration" "$reprise" stop --timeout "$junk" 1
    expect_error "^reprise: checkpoint: --timeout='$(literal "$junk")': expected a duration" \
        "$reprise" checkpoint --timeout "$junk" 1
done
for junk in -1 nan 5x ""; do
    expect_error "^reprise: stop: --grace='$(literal "$junk")': expected a duration" "$reprise" stop --force --grace "$junk" 1
done
for junk in -1 nan 5x "" 1e400; do
    expect_error "^reprise: prune: --older-than='$(literal "$junk")': expected a duration" "$reprise" prune --older-than "$junk"
done
expect_error "^reprise: prune: --older-than is required" "$reprise" prune
expect_error "^reprise: stop: --grace is how long --force waits" "$reprise" stop --grace 5 1
expect_error "^reprise: rm: ID='x': expected a whole number" "$reprise" rm 1 x 2
expect_error "^reprise: start: --env='A-B': expected NAME or NAME=VALUE" "$reprise" start --env A-B -- true
expect_error "^reprise: start: --name='': expected a name of 1 to 255 printable characters" "$reprise" start --name "" -- true
expect_error "^reprise: start: --name='a.x0ab': expected a name" "$reprise" start --name $'a\nb' -- true
expect_error "creating directory /proc/no-registry" env REPRISE_HOME=/proc/no-registry "$reprise" list
[[ ! -e $REPRISE_HOME/jobs || -z $(ls "$REPRISE_HOME/jobs") ]] || fail "a refused start left an entry"
# The longest name start accepts is one the registry reads back: the job stays manageable.
long_name=$(printf 'b%.0s' $(seq 210))
"$reprise" start --name "$long_name" -- true >/dev/null 2>&1 || fail "start --name of 210 bytes failed"
"$reprise" list >"$work/long.out" 2>&1 || fail "list fails after a job named with 210 bytes: $(cat "$work/long.out")"
! grep -q corrupt "$work/long.out" || fail "a job named with 210 bytes reads back as corrupt: $(cat "$work/long.out")"
"$reprise" rm "$(ls "$REPRISE_HOME/jobs")" >/dev/null || fail "rm of the job named with 210 bytes failed"

# Unknown ids.
for command in info checkpoint stop restart rm inspect; do
    expect_error "^reprise: $command 42: no job 42 in the registry" "$reprise" $command 42
done

# A stopped job; a finished one.
stopped=$(start_detached -- "$heat2d" 1000000000)
"$reprise" checkpoint "$stopped" >/dev/null || fail "reprise checkpoint failed"
"$reprise" stop "$stopped" >/dev/null || fail "reprise stop failed"
expect_error "job $stopped is not running \(stopped by SIGTERM, restartable\).*reprise restart $stopped" \
    "$reprise" checkpoint "$stopped"
expect_error "job $stopped is not running" "$reprise" stop "$stopped"
finished=$(start_detached -- true)
wait_for 60 "job $finished to finish" list_says "$finished" " finished "
expect_error "job $finished finished \(exit status 0 and no checkpoint left.*\): there is nothing to resume" "$reprise" restart "$finished"
expect_error "job $finished has no checkpoint" "$reprise" inspect "$finished"

# A running job on this host: restart and rm refuse it.
running=$(start_detached -- "$heat2d" 1000000000)
"$reprise" checkpoint "$running" >/dev/null || fail "reprise checkpoint failed"
expect_error "job $running is running on host $(hostname)" "$reprise" restart "$running"
expect_error "job $running is running on host $(hostname)" "$reprise" rm "$running"
"$reprise" stop "$running" >/dev/null || fail "reprise stop failed"

# A job on another host: signals cannot reach it from here, and it runs somewhere.
if [[ -n $other_host_mode ]]; then
    remote=$(on_other_host node7 "$reprise" start --detach -- "$heat2d" 1000000000 |
             sed -n 's/^reprise start: job \([0-9][0-9]*\) .*/\1/p')
    [[ -n $remote ]] || fail "could not start a job on node7"
    on_other_host node7 "$reprise" checkpoint "$remote" >/dev/null || fail "checkpoint on node7 failed"
    list_says "$remote" "running" || fail "a job running on node7 is not listed as running here"
    list_line "$remote" | grep -q "^$remote  *node7 " || fail "list does not show node7 as the host"
    expect_error "job $remote runs on host node7, not on this host \($(hostname)\).*run .reprise checkpoint $remote. on node7" \
        "$reprise" checkpoint "$remote"
    expect_error "job $remote runs on host node7" "$reprise" stop "$remote"
    expect_error "job $remote is running on host node7" "$reprise" restart "$remote"
    expect_error "job $remote is running on host node7" "$reprise" rm "$remote"
    on_other_host node7 "$reprise" stop "$remote" >/dev/null || fail "stop on node7 failed"
else
    note "SKIPPED the other host (needs root or user namespaces)"
fi

# A program that does not use reprise would be killed by SIGUSR1: nothing is sent to it.
sleeper=$(start_detached -- sleep 600)
sleeper_pid=$(job_pid "$sleeper")
cleanup_hooks+=("kill -KILL $sleeper_pid 2>/dev/null")
expect_error "has not created its reprise::Checkpointer within 1s.*none was sent" \
    "$reprise" checkpoint --timeout 1 "$sleeper"
expect_error "has not created its reprise::Checkpointer" "$reprise" stop --timeout 0.5 "$sleeper"
kill -0 "$sleeper_pid" || fail "the program that does not use reprise was killed"
kill -KILL "$sleeper_pid"

# Files that are not valid checkpoints.
expect_error "inspect /no/such/file: No such file or directory" "$reprise" inspect /no/such/file
status=0
"$reprise" inspect "$stopped" >"$work/inspect.out" || status=$?
[[ $status -eq 0 ]] || fail "inspect of a stopped job's checkpoints exited with $status"
grep -q "^Valid *: yes" "$work/inspect.out" || fail "inspect does not say the checkpoint is valid"
grep -q "^  grid  *524297 bytes" "$work/inspect.out" || fail "inspect does not list heat2d's grid"
grep -q "^  clock " "$work/inspect.out" || fail "inspect does not list heat2d's clock"
newest=$(ls "$REPRISE_HOME/jobs/$stopped/checkpoints/"*.ckpt | tail -n 1)
cp "$newest" "$work/flipped.ckpt"
printf '\x55' | dd of="$work/flipped.ckpt" bs=1 seek=10000 conv=notrunc status=none
status=0
"$reprise" inspect "$work/flipped.ckpt" >"$work/inspect.out" || status=$?
[[ $status -eq 1 ]] || fail "inspect of a corrupt checkpoint exited with $status, not 1"
grep -q "^Valid *: no: payload checksum mismatch" "$work/inspect.out" ||
    fail "inspect does not report the corrupt payload: $(cat "$work/inspect.out")"
status=0
"$reprise" inspect "$work/not-executable" >"$work/inspect.out" || status=$?
[[ $status -eq 1 ]] && grep -q "^Valid *: no: " "$work/inspect.out" ||
    fail "inspect of a file that is no checkpoint: status $status, $(cat "$work/inspect.out")"
note "ok: inspect tells valid, corrupt and foreign files apart"

# Values in a job record are checked as strictly as arguments: a hand-edited record with a
# value of the wrong type or out of range is a corrupt entry naming the field, and list
# shows it as such beside the other jobs.
edits=('s/"every": [^,]*/"every": null/' 's/"every": [^,]*/"every": 1e400/'
       's/"every": [^,]*/"every": -5.0/' 's/"pid": [0-9]*/"pid": -5/'
       's/"restarts": [0-9]*/"restarts": 1.5/' 's/"exit_status": [-0-9]*/"exit_status": 256/'
       's/"id": [0-9]*/"id": "7"/' 's/"detached": [a-z]*/"detached": 1/')
edited=()
for edit in "${edits[@]}"; do
    edited+=("$(start_detached -- true)")
done
for victim in "${edited[@]}"; do
    wait_for 60 "job $victim to finish" list_says "$victim" " finished "
done
for i in "${!edits[@]}"; do
    sed -i "${edits[$i]}" "$REPRISE_HOME/jobs/${edited[$i]}/job.json"
done
check_field() {
    local id=$1 field=$2 value=$3
    expect_error "^reprise: info $id: job $id: corrupt registry entry .*/jobs/$id/job.json: $field='$value': expected .*reprise rm $id" \
        "$reprise" info "$id"
}
check_field "${edited[0]}" every null
check_field "${edited[1]}" every 1e400
check_field "${edited[2]}" every -5.0
check_field "${edited[3]}" run.pid -5
check_field "${edited[4]}" restarts 1.5
check_field "${edited[5]}" run.exit_status 256
check_field "${edited[6]}" id '"7"'
check_field "${edited[7]}" run.detached 1
status=0
"$reprise" list >"$work/list.out" 2>"$work/list.err" || status=$?
[[ $status -eq 1 ]] || fail "list with corrupt entries exited with $status, not 1"
grep -q "^$stopped .*stopped by SIGTERM" "$work/list.out" || fail "list with corrupt entries does not list the others"
for id in "${edited[@]}"; do
    grep -q "^$id .*corrupt entry" "$work/list.out" || fail "list does not show job $id as corrupt: $(cat "$work/list.out")"
    grep -q "^reprise: list: job $id: corrupt registry entry" "$work/list.err" || fail "list does not say why job $id is corrupt"
    "$reprise" rm "$id" >/dev/null || fail "rm of the corrupt entry $id failed"
done
note "ok: out-of-range and ill-typed record values are corrupt entries naming the field"

# Corrupt registry entries: each command names the entry; list shows the others and fails;
# rm removes it.
echo '{"format": 1, "id": ' >"$REPRISE_HOME/jobs/$finished/job.json"
expect_error "^reprise: info $finished: job $finished: corrupt registry entry .*/jobs/$finished/job.json: .*parse error.*reprise rm $finished" \
    "$reprise" info "$finished"
for command in checkpoint stop restart inspect; do
    expect_error "^reprise: $command $finished: job $finished: corrupt registry entry" "$reprise" $command "$finished"
done
expect_error "^reprise: list: job $finished: corrupt registry entry" "$reprise" list
"$reprise" list >"$work/list.out" 2>/dev/null || true
grep -q "^$stopped " "$work/list.out" || fail "list with a corrupt entry does not list the others"
echo '{"format": 1, "id": '"$stopped"'}' >"$REPRISE_HOME/jobs/$stopped/job.json"
expect_error "job $stopped: corrupt registry entry .*field 'name' is missing" "$reprise" info "$stopped"
rm "$REPRISE_HOME/jobs/$running/job.json"
expect_error "job $running: corrupt registry entry: .*job.json is missing" "$reprise" restart "$running"
for id in "$finished" "$stopped" "$running"; do
    out=$("$reprise" rm "$id") || fail "rm of the corrupt entry $id failed"
    note "$out"
done
"$reprise" list >/dev/null || fail "list still fails after the corrupt entries were removed"
note "OK"
