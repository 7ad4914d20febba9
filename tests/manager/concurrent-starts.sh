#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Starts racing for ids get distinct ones: eight `reprise start` at once, half attached,
# half detached, on one registry; every job is recorded once and ends finished.
#
# usage: concurrent-starts.sh REPRISE HEAT2D

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

count=8
pids=()
for ((i = 0; i < count; ++i)); do
    if ((i % 2)); then
        "$reprise" start --detach -- true >"$work/start.$i.out" 2>"$work/start.$i.err" &
    else
        "$reprise" start -- true >"$work/start.$i.out" 2>"$work/start.$i.err" &
    fi
    pids+=($!)
done
for ((i = 0; i < count; ++i)); do
    wait "${pids[$i]}" || fail "start number $i failed"
done

ids=$(sed -n -e 's/^reprise start: job id \([0-9][0-9]*\) .*/\1/p' \
             -e 's/^reprise start: job \([0-9][0-9]*\) .* running detached .*/\1/p' "$work"/start.*.out "$work"/start.*.err | sort -n)
note "ids: $(echo $ids)"
[[ $(wc -l <<<"$ids") -eq $count ]] || fail "expected $count ids, got: $(echo $ids)"
[[ $(sort -u <<<"$ids" | wc -l) -eq $count ]] || fail "two starts got the same id: $(echo $ids)"
[[ $(ls "$REPRISE_HOME/jobs" | wc -l) -eq $count ]] || fail "the registry does not hold $count entries"

for id in $ids; do
    wait_for 60 "job $id to finish" list_says "$id" " finished "
done
note "OK: $count distinct ids, every job finished"
