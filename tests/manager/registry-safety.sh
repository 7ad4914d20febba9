#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# The registry says what `reprise restart` runs, as the user who runs it, so it is trusted
# only when nobody else can write it, and no file in it is waited on or followed:
#
#   1. a FIFO planted as a job's job.json, or as the run.lock of a job recorded running,
#      does not hang `list`, `info` or `restart` (`timeout` only turns a hang into a
#      failure): the entry is shown corrupt, the other jobs are listed;
#   2. a symbolic link as job.json is not followed;
#   3. a group-writable job record, a job directory writable by others, a group-writable
#      registry directory, and (as root) a record another user owns are refused with the
#      path, the mode or owner, and `chmod go-w PATH`; a command planted in such a record
#      is not run.
#
# usage: registry-safety.sh REPRISE HEAT2D

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

finished_job() {
    local id
    id=$(start_detached -- "$@")
    [[ -n $id ]] || fail "no job id from reprise start"
    wait_for 60 "job $id to end" list_says "$id" "finished\|failed"
    echo "$id"
}

# Runs COMMAND under a 20 s guard: a hang is a failure, not a stuck test.
no_hang() {
    local status=0
    timeout 20 "$@" >"$work/guard.out" 2>"$work/guard.err" || status=$?
    [[ $status -ne 124 ]] || fail "'$*' hung (killed after 20 s)"
    return "$status"
}

good=$(finished_job true)
fifo=$(finished_job true)
running=$(finished_job true)
link=$(finished_job true)

# 1. FIFOs.
rm "$REPRISE_HOME/jobs/$fifo/job.json"
mkfifo "$REPRISE_HOME/jobs/$fifo/job.json"
status=0
no_hang "$reprise" list || status=$?
[[ $status -eq 1 ]] || fail "list with a FIFO as job.json exited with $status, not 1"
grep -q "^$good .* finished " "$work/guard.out" || fail "list with a FIFO entry does not list the others"
grep -q "^$fifo .*corrupt" "$work/guard.out" || fail "list does not show the FIFO entry as corrupt: $(cat "$work/guard.out")"
grep -q "jobs/$fifo/job.json: a FIFO, not a regular file" "$work/guard.err" ||
    fail "list does not say job.json is a FIFO: $(cat "$work/guard.err")"
expect_error "^reprise: info $fifo: job $fifo: corrupt registry entry .*jobs/$fifo/job.json: a FIFO, not a regular file" \
    timeout 20 "$reprise" info "$fifo"
expect_error "a FIFO, not a regular file" timeout 20 "$reprise" restart "$fifo"

sed -i 's/"state": "ended"/"state": "running"/' "$REPRISE_HOME/jobs/$running/job.json"
rm "$REPRISE_HOME/jobs/$running/run.lock"
mkfifo "$REPRISE_HOME/jobs/$running/run.lock"
no_hang "$reprise" list || true
grep -q "^$running .*dead" "$work/guard.out" ||
    fail "a job whose run.lock is a FIFO is not listed dead: $(cat "$work/guard.out")"
no_hang "$reprise" info "$running" || fail "info of a job whose run.lock is a FIFO failed: $(cat "$work/guard.err")"
expect_error "run.lock: a FIFO, not a regular file" timeout 20 "$reprise" restart "$running"
note "ok: FIFOs in the registry are never waited on"

# 2. A link in place of job.json: not followed, even to a valid record.
cp "$REPRISE_HOME/jobs/$link/job.json" "$work/elsewhere.json"
ln -sf "$work/elsewhere.json" "$REPRISE_HOME/jobs/$link/job.json"
expect_error "jobs/$link/job.json: a symbolic link, which the registry never follows" \
    timeout 20 "$reprise" info "$link"
for id in "$fifo" "$running"; do
    rm -rf "${REPRISE_HOME:?}/jobs/$id"
done
# A link in place of the entry itself: `list` calls it corrupt and `rm` removes the link,
# never what it points to.
mkdir "$work/target"
touch "$work/target/keep"
rm -rf "${REPRISE_HOME:?}/jobs/$link"
ln -s "$work/target" "$REPRISE_HOME/jobs/$link"
no_hang "$reprise" list || true
grep -q "^$link .*corrupt" "$work/guard.out" || fail "list does not show a linked entry as corrupt: $(cat "$work/guard.out")"
no_hang "$reprise" rm "$link" || fail "rm of a linked entry failed: $(cat "$work/guard.err")"
[[ ! -e $REPRISE_HOME/jobs/$link && ! -L $REPRISE_HOME/jobs/$link ]] || fail "rm left the linked entry"
[[ -e $work/target/keep ]] || fail "rm of a linked entry removed what it points to"

# 3. Ownership and modes. A command planted in a record that others may write is not run:
# the job failed, so `restart` would run it.
victim=$(finished_job false)
record=$REPRISE_HOME/jobs/$victim/job.json
sed -i "s|^    \"false\"\$|    \"touch\", \"$work/planted\"|" "$record"
grep -q "$work/planted" "$record" || fail "could not plant a command in $record"
chmod g+w "$record"
expect_error "^reprise: restart $victim: job $victim: the job record $record is writable by its group \(mode 0620\).*chmod go-w $record" \
    "$reprise" restart "$victim"
[[ ! -e $work/planted ]] || fail "restart ran the command planted in a group-writable record"
status=0
"$reprise" list >"$work/list.out" 2>"$work/list.err" || status=$?
[[ $status -eq 1 ]] || fail "list with a group-writable record exited with $status, not 1"
grep -q "^$good " "$work/list.out" || fail "list with a refused entry does not list the others"
grep -q "^$victim .*refused" "$work/list.out" || fail "list does not show the refused entry: $(cat "$work/list.out")"
chmod g-w "$record"
chmod o+w "$REPRISE_HOME/jobs/$victim"
expect_error "the job directory $REPRISE_HOME/jobs/$victim is writable by others \(mode 0702\).*chmod go-w" \
    "$reprise" restart "$victim"
chmod o-w "$REPRISE_HOME/jobs/$victim"
for dir in "$REPRISE_HOME" "$REPRISE_HOME/jobs"; do
    chmod g+w "$dir"
    expect_error "^reprise: the registry directory $dir is writable by its group \(mode 0720\).*chmod go-w $dir" \
        "$reprise" list
    expect_error "registry directory $dir is writable" "$reprise" restart "$victim"
    chmod g-w "$dir"
done
[[ ! -e $work/planted ]] || fail "restart ran the command planted in a record others may write"
if [[ $(id -u) -eq 0 ]]; then
    chown 65534 "$record"
    expect_error "the job record $record belongs to uid 65534.*not to you \(uid 0" "$reprise" restart "$victim"
    chown 0 "$record"
else
    note "SKIPPED a record of another user's (needs root to make one)"
fi
[[ ! -e $work/planted ]] || fail "restart ran the command planted in another user's record"
"$reprise" list >/dev/null || fail "list fails once the modes are mended"
note "OK"
