#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Slurm + MPI: a 2-rank heat2d_mpi under mpirun in a batch job whose time limit comes
# before its end is warned (--signal=B:USR1), has mpirun pass USR2 to the ranks, which
# all save the same step and stop, requeues itself (examples/slurm/mpi.sbatch) and
# finishes in its second run, SLURM_RESTART_COUNT=1, with the checksum of an
# uninterrupted run. The program comes in REPRISE_HEAT2D_MPI (CTest sets it).
#
# Timing, as slurm-time-limit.sh: a limit of 2 minutes, the warning asked for 40 s before
# it, so it comes 50 to 80 s into a run (the controller checks every 30 s); 360 steps of
# 0.25 s take 90 s, so the first run is always warned, and the rest (10 to 40 s) ends
# before a second warning could come.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

heat=${REPRISE_HEAT2D_MPI:-}
[[ -n $heat && -x $heat ]] || skip "no heat2d_mpi (MPI not found when reprise was configured)"
command -v mpirun >/dev/null || skip "no mpirun (Debian: openmpi-bin)"
heat=$(realpath "$heat")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

steps=360 pace=0.25

# The uninterrupted reference, outside Slurm (pace changes nothing but the time).
mkdir -p "$work/reference"
(cd "$work/reference" && REPRISE_DIR="$work/reference/ckpt" \
    mpirun --oversubscribe -np 2 "$heat" $steps >out 2>err) ||
    die "the reference run failed: $(cat "$work/reference/err")"
ref=$(sed -n 's/^checksum=//p' "$work/reference/out")
[[ -n $ref ]] || die "the reference run printed no checksum"

submit --ntasks=2 --time=2 --signal=B:USR1@40 --output="$work/job.out" \
       --export=ALL,REPRISE_DIR="$ckpt",REPRISE_NAME=heat \
       "$examples/slurm/mpi.sbatch" "$heat" $steps --pace $pace --progress 10
job=$submitted
scontrol release "$job"

out=$work/job.out
two_runs_across_the_time_limit "$job" "$out"
contains "$out" '^reprise: stopping on SIGUSR2$' || die "the first run did not stop on SIGUSR2"
contains "$out" "^reprise: committed generation [0-9]+ of 2 ranks to $ckpt/heat.slurm-$job.[0-9]{10}.commit\$" ||
    die "the first run committed no checkpoint"
resumed=$(resumed_step "$out")
[[ -n $resumed && $resumed -gt 0 && $resumed -lt $steps ]] ||
    die "the second run did not resume mid-run (resumed at '${resumed}')"
at=$(sed -n 's/^heat2d_mpi: rank [01] at step=//p' "$out" | sort -u | tr '\n' ' ')
[[ $at == "0 $resumed " || $at == "$resumed 0 " ]] ||
    die "the ranks did not start at 0, then resume together at $resumed: $at"
[[ $(grep -c '^reprise: restored generation' "$out") == 2 ]] || die "not both ranks restored"
[[ "$(sed -n 's/^checksum=//p' "$out")" == "$ref" ]] ||
    die "checksum $(sed -n 's/^checksum=//p' "$out") differs from the reference $ref"
left=$(cd "$ckpt" && ls heat.* 2>/dev/null || true)
[[ -z $left ]] || die "files left after the job finished: $left"
passed "warned, both ranks saved step $resumed, requeued, resumed with SLURM_RESTART_COUNT=1, same checksum"
