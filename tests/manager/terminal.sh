#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# An attached job in a real terminal (a tmux pane, driven with send-keys):
#
#   1. Ctrl-C reaches the program, which saves and stops; the manager records "stopped by
#      SIGINT" and then ends by SIGINT itself, so that the shell sees an interrupt;
#   2. the job restarted in another terminal resumes, and closing that terminal (the
#      hangup the shell and the manager receive) saves and stops it too.
#
# usage: terminal.sh REPRISE HEAT2D

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if ! command -v tmux >/dev/null 2>&1; then
    note "SKIPPED: tmux is not installed"
    exit 77
fi
export TERM=${TERM:-xterm}
[[ $TERM != dumb ]] || export TERM=xterm
socket=reprise-test-$$
tmux_() { tmux -L "$socket" -f /dev/null "$@"; }
cleanup_hooks+=("tmux -L $socket kill-server 2>/dev/null")

# A shell script in a pane, as a user would type it; `trap : INT` keeps the shell alive
# after Ctrl-C (a handler, not an ignored signal: the programs still receive it) so that
# it writes the status.
pane() {
    local session=$1
    shift
    {
        echo "export REPRISE_HOME='$REPRISE_HOME'"
        echo "trap : INT"
        echo "$* >'$work/$session.out' 2>'$work/$session.err'"
        echo "echo \$? >'$work/$session.status'"
        echo "exec sleep 600" # the terminal stays open until the test closes it
    } >"$work/$session.sh"
    tmux_ new-session -d -s "$session" -x 200 -y 50 "bash '$work/$session.sh'"
}

# 1. Ctrl-C.
pane first "'$reprise' start -- '$heat2d' 1000000000"
wait_for 60 "the attached job to be recorded" test -s "$REPRISE_HOME/jobs/1/job.json"
wait_for 60 "the attached job to run" list_says 1 running
out=$("$reprise" checkpoint 1) || fail "reprise checkpoint of the attached job failed"
note "$out"
tmux_ send-keys -t first C-c
wait_for 120 "the shell in the first terminal to get the manager's status" test -s "$work/first.status"
[[ $(cat "$work/first.status") == 130 ]] ||
    fail "the manager's status after Ctrl-C is $(cat "$work/first.status"), not 130 (killed by SIGINT)"
grep -q "reprise: stopping on SIGINT" "$work/first.err" || fail "the program did not save and stop on SIGINT"
grep -q "reprise start: job 1 stopped by SIGINT, restartable" "$work/first.err" ||
    fail "the manager did not report the stop"
list_says 1 "stopped by SIGINT, restartable" || fail "list does not show the job stopped by SIGINT"
note "after Ctrl-C: $(list_line 1)"

# 2. Restarted in another terminal, which is then closed.
pane second "'$reprise' restart 1"
wait_for 60 "the restarted job to resume" grep -q '^resumed at step=' "$work/second.out"
out=$("$reprise" checkpoint 1) || fail "reprise checkpoint of the restarted job failed"
tmux_ kill-session -t second
wait_for 120 "the job to stop when its terminal closed" sh -c "! '$reprise' list | awk '\$1 == 1' | grep -q running"
list_says 1 "stopped by SIGTERM, restartable" ||
    fail "closing the terminal did not save and stop the job: $(list_line 1)"
grep -q "reprise: stopping on SIGTERM" "$work/second.err" || fail "the program did not save on the hangup"
note "after closing the terminal: $(list_line 1)"
note "OK"
