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
#                             packaging (consumers built without this pass's flags);
#                             configured without MPI, which none of its tests uses
#
# Pass 2 is configured and built in the background at nice 19 while pass 1 builds and
# tests (its build log is printed after pass 1's tests); its tests run after pass 1's.
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

# configure_and_build <name> <build dir> <cmake configure arguments...>
# Returns 1 when the configuration failed, 2 when the build did.
configure_and_build() {
    local name=$1 dir=$2
    shift 2
    echo "=== $name: configure $dir"
    if ! cmake -S . -B "$dir" \
            -DREPRISE_BUILD_TESTS=ON -DREPRISE_BUILD_EXAMPLES=ON \
            -DREPRISE_BUILD_BENCHMARKS=ON "$@"; then
        return 1
    fi
    echo "=== $name: build"
    if ! cmake --build "$dir" -j"$parallel"; then
        return 2
    fi
}

# run_tests <name> <build dir> <status of configure_and_build>
# CTest arguments of this pass only, before the caller's: the array pass_ctest_args.
pass_ctest_args=()
run_tests() {
    local name=$1 dir=$2 built=$3
    local log="$dir/ctest-output.log"
    case $built in
        0) ;;
        1) summaries+=("$name: FAILED to configure"); status=1; return ;;
        *) summaries+=("$name: FAILED to build"); status=1; return ;;
    esac
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

# kill_tree <pid>: the process and all its descendants, children first.
kill_tree() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null || true); do
        kill_tree "$child"
    done
    kill "$1" 2>/dev/null || true
}

release="release (build/)"
sanitize="sanitize (build-sanitize/)"

# The sanitizer pass is configured and built in the background, at the lowest CPU
# priority (nice 19), from the start: the release pass's build and tests come first and
# it takes only what they leave, which is much: the release tests spend most of their
# time waiting (a scheduler scenario for its job and its time limit, a test for its
# child's next line). Its output goes to its own log, printed once the
# release tests are done; its tests run after those, as before.
sanitize_pid=
if [[ "${REPRISE_SKIP_SANITIZE:-0}" != 1 ]]; then
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
    # As no test of this pass uses MPI, it is configured without it
    # (CMAKE_DISABLE_FIND_PACKAGE_MPI): the MPI programs (heat2d_mpi and its two twins,
    # bench_mpi), which only the mpi, slurm and fuzz tests run, are not built, and every
    # test it selects is defined exactly as it would be with MPI.
    sanitize_log=build-sanitize/build-output.log
    mkdir -p build-sanitize
    # Not setsid: with the kernel's autogroups (sched_autogroup_enabled) a session of its
    # own would be a scheduling group of its own, where nice 19 no longer yields to the
    # release pass. An interrupted run takes the whole build down with it (the trap).
    export -f configure_and_build
    export parallel
    nice -n 19 bash -c 'configure_and_build "$@"' configure_and_build \
        "$sanitize" build-sanitize \
        -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" -DREPRISE_SANITIZE=ON \
        -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON >"$sanitize_log" 2>&1 </dev/null &
    sanitize_pid=$!
    trap 'if [[ -n "$sanitize_pid" ]]; then kill_tree "$sanitize_pid"; fi' EXIT
    echo "=== $sanitize: configure and build started in the background (nice 19;" \
         "log: $sanitize_log, printed after the release tests)"
fi

built=0
configure_and_build "$release" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREPRISE_SANITIZE=OFF \
    || built=$?
run_tests "$release" build "$built"

if [[ -z "$sanitize_pid" ]]; then
    summaries+=("$sanitize: skipped (REPRISE_SKIP_SANITIZE=1)")
else
    echo "=== $sanitize: waiting for its configure and build (background, nice 19);" \
         "its output follows, from $sanitize_log"
    built=0
    wait "$sanitize_pid" || built=$?
    sanitize_pid=
    cat "$sanitize_log"
    # Every finding fails its test (-fno-sanitize-recover=all); say where it came from.
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_init_order=1}"
    pass_ctest_args=(-LE 'slurm|sge|mpi|fuzz|packaging')
    run_tests "$sanitize" build-sanitize "$built"
fi

echo
echo "=== summary"
for line in "${summaries[@]}"; do
    echo "$line"
done
exit "$status"
