#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# The test command: builds everything and runs every test, twice.
#
#   bash tests/run.sh [extra ctest arguments, e.g. -L packaging or -R signals]
#
#   pass 1  build/            RelWithDebInfo, tests + examples + benchmarks
#   pass 2  build-sanitize/   Debug -O1 with AddressSanitizer + UBSan on reprise's targets
#                             (skipped when REPRISE_SKIP_SANITIZE=1), without the labels
#                             slurm and sge (the single-node clusters run once, in pass 1)
#                             and mpi (OpenMPI's own leaks; see below) and fuzz (the fuzz
#                             target is built with its own sanitizers, by clang) and
#                             packaging (consumers built without this pass's flags)
#
# Both passes run even when the first fails; the exit status is non-zero when any
# configure, build or test failed. The last lines sum up each pass with CTest's own
# summary. Dependencies come from cmake/install-deps.sh (Debian), unless
# REPRISE_SKIP_DEPS=1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${REPRISE_SKIP_DEPS:-0}" != 1 ]]; then
    bash cmake/install-deps.sh
fi

parallel=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
ctest_args=("$@")
summaries=()
status=0

# run_pass <name> <build dir> <cmake configure arguments...>
# CTest arguments of this pass only, before the caller's: the array pass_ctest_args.
pass_ctest_args=()
run_pass() {
    local name=$1 dir=$2
    shift 2
    local log="$dir/ctest-output.log"

    echo "=== $name: configure $dir"
    if ! cmake -S . -B "$dir" \
            -DREPRISE_BUILD_TESTS=ON -DREPRISE_BUILD_EXAMPLES=ON \
            -DREPRISE_BUILD_BENCHMARKS=ON "$@"; then
        summaries+=("$name: FAILED to configure")
        status=1
        return
    fi
    echo "=== $name: build"
    if ! cmake --build "$dir" -j"$parallel"; then
        summaries+=("$name: FAILED to build")
        status=1
        return
    fi
    echo "=== $name: test"
    local rc=0
    ctest --test-dir "$dir" --output-on-failure -j2 ${pass_ctest_args[@]+"${pass_ctest_args[@]}"} \
        ${ctest_args[@]+"${ctest_args[@]}"} 2>&1 \
        | tee "$log" || rc=$?
    local summary
    summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)
    if [[ -z "$summary" ]]; then
        summary=$(grep -E 'No tests were found' "$log" | tail -n 1 || true)
        summary=${summary:-"no CTest summary (ctest exited with status $rc)"}
    fi
    if [[ $rc -ne 0 ]]; then
        summaries+=("$name: FAILED: $summary")
        status=1
    else
        summaries+=("$name: $summary")
    fi
}

run_pass "release (build/)" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREPRISE_SANITIZE=OFF

if [[ "${REPRISE_SKIP_SANITIZE:-0}" == 1 ]]; then
    summaries+=("sanitize (build-sanitize/): skipped (REPRISE_SKIP_SANITIZE=1)")
else
    # Every finding fails its test (-fno-sanitize-recover=all); say where it came from.
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_init_order=1}"
    # The scheduler tests (tests/cluster/) test job scripts and clusters, not sanitised
    # code, and a cluster takes minutes: they run in the release pass only.
    # The mpi tests too: OpenMPI 4.1 leaves ~120 KB unfreed at MPI_Finalize, much of it
    # allocated by MCA components it has dlclose()d by then, so LeakSanitizer sees
    # "<unknown module>" frames that no suppression by library (libmpi, libopen-pal) can
    # match, and every rank would exit with LSan's status.
    # The fuzz smoke test builds its own target with clang and ASan + UBSan already; a
    # second, identical run would only double its minute. The packaging tests install
    # the headers and build consumer projects with the compiler alone, not this pass's
    # flags: they would repeat the release pass's builds exactly.
    pass_ctest_args=(-LE 'slurm|sge|mpi|fuzz|packaging')
    run_pass "sanitize (build-sanitize/)" build-sanitize \
        -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" -DREPRISE_SANITIZE=ON
fi

echo
echo "=== summary"
for line in "${summaries[@]}"; do
    echo "$line"
done
exit "$status"
