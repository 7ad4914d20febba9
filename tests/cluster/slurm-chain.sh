#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm: a chain of three jobs (examples/slurm/chain.sbatch), submitted at once as
# README's "Chained jobs" recipe does: each link has its own job id, waits for the
# previous one with --dependency=afterany, and runs the walk as job REPRISE_JOB=walk-chain,
# checkpointing every second. The first two links are stopped mid-walk by `scancel`
# (SIGTERM, what their time limit would send: save, stop); each next link restores the
# last generation the previous one saved and walks on from further than the previous
# link began; the third runs to the end with the result of an uninterrupted run, and its
# finish() removes the chain's files. Without REPRISE_JOB a link is job slurm-<its id> on
# its first run (no SLURM_RESTART_COUNT) and starts over: so does a fourth job, the same
# walk without REPRISE_JOB started by the first link's end, and the decoy under the
# second link's own id stays untouched.
#
# Synchronised on the links' output files: a link is stopped once it has made two
# periodic saves of its own, long before its end (200 steps of 0.1 s: 20 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

steps=200 pace=0.1 seed=21 name=walk-chain
ref=$(reference $steps $seed)

links=()
for k in 1 2 3; do
    dependency=()
    ((k == 1)) || dependency=(--dependency=afterany:"${links[k - 2]}")
    submit "${dependency[@]}" --output="$work/link$k.out" \
           --export=ALL,REPRISE_DIR="$ckpt",REPRISE_JOB=$name,REPRISE_INTERVAL=1 \
           "$examples/slurm/chain.sbatch" "$walk" $steps $pace $seed
    links+=("$submitted")
done
# The same walk after the first link without REPRISE_JOB (periodic.sbatch: chain.sbatch
# insists on a name): job slurm-<its id> on its first run, it starts over.
submit --dependency=afterany:"${links[0]}" --output="$work/unnamed.out" \
       --export=ALL,REPRISE_DIR="$ckpt",REPRISE_INTERVAL=0 \
       "$examples/slurm/periodic.sbatch" "$walk" $steps $pace $seed
unnamed=$submitted
# The second link's own id: what it would resume (after a requeue) without REPRISE_JOB.
plant_decoy 1000 7 SLURM_JOB_ID="${links[1]}"
# An array task of a chain of the same name (walk-chain_1), and a longer name.
plant_decoy 1000 8 REPRISE_JOB=$name SLURM_JOB_ID=$((links[2] + 1)) \
            SLURM_ARRAY_JOB_ID="${links[0]}" SLURM_ARRAY_TASK_ID=1
plant_decoy 1000 9 REPRISE_JOB=${name}0
plant_decoy 1000 10
snapshot_decoys
scontrol release "${links[@]}" "$unnamed"

began=(0) saved=()
for k in 1 2 3; do
    job=${links[k - 1]} out=$work/link$k.out
    wait_until 120 "link $k (job $job) to start walking" contains "$out" '^progress step=' ||
        die "link $k (job $job) did not start"
    chain_link_began "$k" "$out" "^walk: job $name\$"
    ((k < 3)) || break
    wait_until 60 "two saves of link $k's own" at_least_two_saves "$out" ||
        die "link $k (job $job) made no periodic saves"
    scancel "$job"
    wait_until 30 "link $k to save and stop on SIGTERM" \
        contains "$out" '^reprise: stopping on SIGTERM$' || die "link $k did not stop on SIGTERM"
    ! contains "$out" '^checksum=' || die "link $k finished before it was stopped"
    saved[k - 1]=$(last_saved_generation "$out")
    wait_until 60 "link $k (job $job) to end" ended "$job" || die "link $k did not end"
    state_is "$job" CANCELLED || die "link $k ended $(field "$job" JobState), not CANCELLED"
    ((k == 1)) || continue
    # Started by the first link's end too, beside the second: it ignores the chain.
    wait_until 120 "job $unnamed, without REPRISE_JOB, to start walking" \
        contains "$work/unnamed.out" '^progress step=' || die "job $unnamed did not start"
    contains "$work/unnamed.out" "^walk: job slurm-$unnamed\$" || die "job $unnamed does not run as slurm-$unnamed"
    contains "$work/unnamed.out" '^fresh start$' || die "job $unnamed, without REPRISE_JOB, did not start over"
    check_own_restores "$work/unnamed.out" "slurm-$unnamed" 0
    scancel "$unnamed"
    wait_until 60 "job $unnamed to end" ended "$unnamed" || die "job $unnamed did not end"
done
wait_finished "${links[2]}" 90
check_result "$out" "$ref"
check_finished "$name"
check_decoys
passed "links ${links[*]}: fresh, resumed at step ${began[1]} (generation ${saved[0]}), at step ${began[2]} (generation ${saved[1]}); job $unnamed without REPRISE_JOB started over; same checksum; files removed"
