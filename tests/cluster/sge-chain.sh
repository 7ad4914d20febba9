#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Grid Engine: a chain of three jobs (examples/sge/chain.sge), submitted at once as
# README's "Chained jobs" recipe does: each link has its own job id, is held until the
# previous one has left the queue (qsub -hold_jid), and runs the walk as job
# REPRISE_JOB=walk-chain, checkpointing every second. The first two links are stopped
# mid-walk by `qdel` (with -notify: SIGUSR2, save, stop, before the SIGKILL); each next
# link restores the last generation the previous one saved and walks on from further
# than the previous link began; the third runs to the end with the result of an
# uninterrupted run, and its finish() removes the chain's files. Without REPRISE_JOB a
# link is job sge-<its id> on its first run (RESTARTED=0) and starts over: so does a
# fourth job, the same walk without REPRISE_JOB released by the first link's end, and
# the decoy under the second link's own id stays untouched.
#
# Synchronised on the links' output files: a link is stopped once it has made two
# periodic saves of its own, long before its end (200 steps of 0.1 s: 20 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/sge-lib.sh"

steps=200 pace=0.1 seed=22 name=walk-chain
ref=$(reference $steps $seed)

links=()
for k in 1 2 3; do
    hold=()
    ((k == 1)) || hold=(-hold_jid "${links[k - 2]}")
    submit "${hold[@]}" -o "$work/link$k.out" \
           -v REPRISE_DIR="$ckpt",REPRISE_JOB=$name,REPRISE_INTERVAL=1 \
           "$examples/sge/chain.sge" "$walk" $steps $pace $seed
    links+=("$submitted")
done
# The same walk after the first link without REPRISE_JOB (rerun-notify.sge: chain.sge
# insists on a name): job sge-<its id> on its first run, it starts over.
submit -hold_jid "${links[0]}" -o "$work/unnamed.out" \
       -v REPRISE_DIR="$ckpt",REPRISE_INTERVAL=0 \
       "$examples/sge/rerun-notify.sge" "$walk" $steps $pace $seed
unnamed=$submitted
# The second link's own id: what it would resume (after a rescheduling) without
# REPRISE_JOB.
plant_decoy 1000 7 JOB_ID="${links[1]}"
# An array task of a chain of the same name (walk-chain.1), and a longer name.
plant_decoy 1000 8 REPRISE_JOB=$name JOB_ID="${links[0]}" SGE_TASK_ID=1
plant_decoy 1000 9 REPRISE_JOB=${name}0
plant_decoy 1000 10
snapshot_decoys
qrls "${links[@]}" "$unnamed" >/dev/null

began=(0) saved=()
for k in 1 2 3; do
    job=${links[k - 1]} out=$work/link$k.out
    wait_until 120 "link $k (job $job) to start walking" contains "$out" '^progress step=' ||
        die "link $k (job $job) did not start"
    chain_link_began "$k" "$out" "^walk: job $name, RESTARTED=0\$"
    ((k < 3)) || break
    wait_until 60 "two saves of link $k's own" at_least_two_saves "$out" ||
        die "link $k (job $job) made no periodic saves"
    qdel "$job" >/dev/null
    wait_until 30 "link $k to save and stop on the notify SIGUSR2" \
        contains "$out" '^reprise: stopping on SIGUSR2$' || die "link $k did not stop on SIGUSR2"
    ! contains "$out" '^checksum=' || die "link $k finished before it was stopped"
    saved[k - 1]=$(last_saved_generation "$out")
    wait_gone "$job" 30
    ((k == 1)) || continue
    # Started by the first link's end too, beside the second: it ignores the chain.
    wait_until 120 "job $unnamed, without REPRISE_JOB, to start walking" \
        contains "$work/unnamed.out" '^progress step=' || die "job $unnamed did not start"
    contains "$work/unnamed.out" "^walk: job sge-$unnamed, RESTARTED=0\$" || die "job $unnamed does not run as sge-$unnamed"
    contains "$work/unnamed.out" '^fresh start$' || die "job $unnamed, without REPRISE_JOB, did not start over"
    check_own_restores "$work/unnamed.out" "sge-$unnamed" 0
    qdel "$unnamed" >/dev/null
    wait_gone "$unnamed" 30
done
wait_until 90 "the result of link 3" contains "$out" '^checksum=' || die "link 3 did not finish"
wait_gone "${links[2]}" 30
check_result "$out" "$ref"
check_finished "$name"
check_decoys
passed "links ${links[*]}: fresh, resumed at step ${began[1]} (generation ${saved[0]}), at step ${began[2]} (generation ${saved[1]}); job $unnamed without REPRISE_JOB started over; same checksum; files removed"
