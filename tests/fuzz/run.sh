#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Fuzzes reprise's checkpoint reader (README.md, "Fuzzing"): builds the libFuzzer target
# tests/fuzz/fuzz_reader.cpp with clang++-14 (ASan + UBSan), writes a seed corpus of real
# checkpoints (each example interrupted by SIGTERM after its first progress line, and the
# hand-made seeds of make_seeds.cpp), then fuzzes for a fixed time.
#
#   bash tests/fuzz/run.sh [--minutes M | --seconds S] [--work DIR] [--examples DIR]
#                          [-- libFuzzer flags...]
#
#   --seconds/--minutes  fuzzing time (default 60 s)
#   --work DIR           build, seeds, corpus and crashes (default build/fuzz)
#   --examples DIR       where the built examples sum, heat2d, walk are (default
#                        build/examples; heat2d_mpi too, when it is there and mpirun is)
#
# Exit 0 when the fuzzer found nothing; 1 on any crash, sanitizer report, leak, oversized
# allocation (-malloc_limit_mb), hang (-timeout) or setup failure. The corpus in
# DIR/corpus is kept from one run to the next; what a run finds goes to
# DIR/crashes/<date>/ (crash-*, leak-*, oom-*, timeout-*), and the last lines say how to
# replay it. The CTest fuzz_smoke (label fuzz) is this script with --seconds 60.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=60
work=$repo/build/fuzz
examples=$repo/build/examples
fuzzer_args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --minutes) seconds=$(($2 * 60)); shift 2 ;;
        --work) work=$2; shift 2 ;;
        --examples) examples=$2; shift 2 ;;
        --) shift; fuzzer_args=("$@"); break ;;
        *) echo "usage: $0 [--minutes M | --seconds S] [--work DIR] [--examples DIR] [-- libFuzzer flags]" >&2
           exit 2 ;;
    esac
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "run.sh: bad time: $seconds s" >&2; exit 2; }

fail() {
    echo "fuzz: FAIL: $*" >&2
    exit 1
}

# The by-hand job, whatever the caller's environment says.
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_RESTART_COUNT \
      JOB_ID SGE_TASK_ID RESTARTED PBS_JOBID PBS_ARRAYID PBS_ARRAY_INDEX \
      LSB_JOBID LSB_JOBINDEX LSB_RESTART \
      REPRISE_DIR REPRISE_NAME REPRISE_INTERVAL REPRISE_RESTORE REPRISE_LOG \
      REPRISE_MODE REPRISE_ON_STOP REPRISE_SIGNALS

# ---- the build ---------------------------------------------------------------------------
# clang-14 is a dependency (cmake/install-deps.sh): its absence fails, it is not a skip.
compiler=$(command -v clang++-14 || true)
[[ -n $compiler ]] ||
    fail "clang++-14 not found; install clang-14 libclang-rt-14-dev libfuzzer-14-dev (bash cmake/install-deps.sh)"
mkdir -p "$work"
started=$SECONDS
cmake -S "$repo/tests/fuzz/clang" -B "$work/build" -DCMAKE_CXX_COMPILER="$compiler" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; fail "configuring the fuzz build failed"; }
cmake --build "$work/build" -j2 >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; fail "building the fuzz target failed"; }
echo "fuzz: built $work/build/fuzz_reader in $((SECONDS - started)) s"

# ---- the seed corpus ---------------------------------------------------------------------
# Written anew each run, so that it follows the file format as it is now.
seeds=$work/seeds
files=$work/seed-files
rm -rf "$seeds" "$files"
mkdir -p "$seeds" "$files/handmade"
"$work/build/make_seeds" "$files/handmade" || fail "make_seeds failed"

# checkpoint_of <name> <program> [args...]: runs the program until its first progress
# line, stops it with SIGTERM (it saves, then dies of it) and keeps its checkpoint.
checkpoint_of() {
    local name=$1
    shift
    local dir=$files/$name fifo=$files/$name.fifo line seen=no status=0 pid
    mkdir -p "$dir"
    [[ -x $1 ]] || fail "example $name not found at $1 (build it, or pass --examples DIR)"
    mkfifo "$fifo"
    REPRISE_DIR=$dir REPRISE_LOG=quiet "$@" >"$fifo" 2>"$files/$name.err" &
    pid=$!
    exec 3<"$fifo"
    # The timeout only keeps a hung program from hanging this script; it synchronises nothing.
    while IFS= read -r -t 300 line <&3; do
        if [[ $line == progress* ]]; then
            seen=yes
            break
        fi
    done
    kill -TERM "$pid" 2>/dev/null || true
    cat <&3 >/dev/null # drained until it exits: no SIGPIPE instead of SIGTERM
    exec 3<&-
    wait "$pid" || status=$?
    rm -f "$fifo"
    [[ $seen == yes && $status -eq 143 ]] ||
        fail "example $name: no progress line, or not stopped by SIGTERM (status $status): $(cat "$files/$name.err")"
}
checkpoint_of sum "$examples/sum" 4000000000
checkpoint_of heat2d "$examples/heat2d" 1000000
checkpoint_of walk "$examples/walk" 1000 0.01

# heat2d_mpi, where MPI was built: TERM to one rank stops both at an agreed, saved step.
if [[ -x $examples/heat2d_mpi ]] && command -v mpirun >/dev/null 2>&1; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    dir=$files/heat2d_mpi
    mkdir -p "$dir"
    fifo=$files/heat2d_mpi.fifo
    mkfifo "$fifo"
    REPRISE_DIR=$dir REPRISE_NAME=heat REPRISE_LOG=quiet \
        mpirun --oversubscribe -np 2 "$examples/heat2d_mpi" 100000000 --size 16 --progress 1000 \
        >"$files/heat2d_mpi.out" 2>"$fifo" &
    mpirun_pid=$!
    exec 3<"$fifo"
    rank_pid=
    while IFS= read -r -t 300 line <&3; do
        if [[ $line =~ ^heat2d_mpi:\ rank\ 1\ pid\ ([0-9]+)$ ]]; then rank_pid=${BASH_REMATCH[1]}; fi
        if [[ -n $rank_pid && $line == "heat2d_mpi: rank 1 at step="* ]]; then break; fi
    done
    [[ -n $rank_pid ]] && kill -TERM "$rank_pid" 2>/dev/null || true
    cat <&3 >"$files/heat2d_mpi.err"
    exec 3<&-
    wait "$mpirun_pid" || true
    rm -f "$fifo"
    [[ -n $(find "$dir" -name '*.ckpt' -print -quit) ]] ||
        fail "example heat2d_mpi left no checkpoint: $(cat "$files/heat2d_mpi.err")"
fi

# Each checkpoint twice: control byte 0 (the file as it is) and 1 (sealed: checksums
# recomputed after each mutation), see fuzz_reader.cpp.
count=0
while IFS= read -r -d '' file; do
    base=$(basename "$(dirname "$file")")-$(basename "$file")
    { printf '\000'; cat "$file"; } >"$seeds/raw-$base"
    { printf '\001'; cat "$file"; } >"$seeds/sealed-$base"
    count=$((count + 1))
done < <(find "$files" -name '*.ckpt' -print0 | sort -z)
[[ $count -gt 0 ]] || fail "no seed checkpoint was written"
# Hand-made: almost nothing, a bare magic number, a lone preamble.
printf '\000' >"$seeds/tiny-empty"
printf '\001REPRISE\000' >"$seeds/tiny-magic"
{ printf '\001REPRISE\000\001\000\000\000'; head -c 24 /dev/zero; } >"$seeds/tiny-preamble"
echo "fuzz: seed corpus: $count real checkpoints ($(cd "$files" && find . -name '*.ckpt' | sort | tr '\n' ' ')), each raw and sealed, + 3 tiny inputs"

# ---- the fuzzing -------------------------------------------------------------------------
# -max_len: the largest seed (heat2d, ~0.5 MiB) with room to grow. -malloc_limit_mb: no
# single allocation may exceed 64 MiB, for files of at most 1 MiB (the most a file can
# justify is a vector of 24-byte structs counted one byte each: 24 MiB).
# The fuzz target's checkpoint directory: in memory where /dev/shm is (each input is a
# file written and read back), and removed here, as a finding may end the target before
# it removes it.
fuzz_tmp=$(mktemp -d /dev/shm/reprise-fuzz-run.XXXXXX 2>/dev/null || mktemp -d "$work/tmp.XXXXXX")
trap 'rm -rf "$fuzz_tmp"' EXIT
export REPRISE_FUZZ_TMPDIR=$fuzz_tmp
corpus=$work/corpus
crashes=$work/crashes/$(date +%Y%m%d-%H%M%S)
mkdir -p "$corpus" "$crashes"
log=$work/fuzz.log
echo "fuzz: fuzzing for $seconds s (corpus $corpus, log $log)"
status=0
"$work/build/fuzz_reader" "$corpus" "$seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64 \
    -max_len=1048576 -print_final_stats=1 -detect_leaks=1 -artifact_prefix="$crashes/" \
    ${fuzzer_args[@]+"${fuzzer_args[@]}"} >"$log" 2>&1 || status=$?

# What it did: the last status line (cov: edges, ft: features), its final statistics,
# and how far the inputs got (fuzz_reader's own line).
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
grep -E '^stat::|^fuzz_reader: ' "$log" || true
found=$(find "$crashes" -type f | sort)
if [[ $status -ne 0 || -n $found ]]; then
    grep -E -A40 '^==[0-9]+==|^ERROR: libFuzzer|runtime error|fuzz_reader: ' "$log" | head -n 80 >&2 || true
    for f in $found; do echo "fuzz: found: $f (replay: $work/build/fuzz_reader $f)" >&2; done
    fail "the fuzzer exited with status $status; full log: $log"
fi
rmdir "$crashes" 2>/dev/null || true
echo "fuzz: OK, nothing found in $seconds s (total $((SECONDS - started)) s)"
