#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# What a translation unit pays to compile when it includes <reprise/reprise.hpp> and saves
# and restores a std::vector<double> and a user struct, beside the same program written
# with cereal's portable binary archive alone (issue 15, item 5: at most 2x), measured
# side by side in one run: each probe of benchmarks/compile_cost/ compiled N times,
# alternating, the median CPU time (user + sys) of each, their ratio, and the preprocessed
# line counts. The reprise program is measured twice: header-only (the default), and with
# REPRISE_SEPARATE_COMPILATION, where each file of a program sees only declarations and
# one file, impl_tu.cpp (<reprise/impl.hpp>), compiles the definitions once per program.
# Prints a markdown table. A figure never fails the script; a
# compilation that fails does.
#
#   benchmarks/compile_cost.sh [N]        # N compilations of each probe, default 5
#
# Environment: CXX (default g++), CXXFLAGS (default -std=c++17 -O2), REPRISE_INCLUDE (the
# include directory to measure, default the repository's include/).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs="${1:-5}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [N]  (N: compilations of each probe, a positive integer)" >&2
    exit 2
fi
cxx="${CXX:-g++}"
read -r -a flags <<< "${CXXFLAGS:--std=c++17 -O2}"
include="${REPRISE_INCLUDE:-$root/include}"
# name, source, extra flags: the same program header-only (the default) and with
# REPRISE_SEPARATE_COMPILATION, whose definitions one file of the program compiles once.
probes=(reprise_tu cereal_tu reprise_separate_tu impl_tu)
declare -A source=([reprise_tu]=reprise_tu [cereal_tu]=cereal_tu [reprise_separate_tu]=reprise_tu [impl_tu]=impl_tu)
declare -A extra=([reprise_tu]="" [cereal_tu]="" [reprise_separate_tu]="-DREPRISE_SEPARATE_COMPILATION" [impl_tu]="-DREPRISE_SEPARATE_COMPILATION")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# CPU seconds (user + sys of the compiler and its children) of one compilation, by bash's
# own `time` (no GNU time needed); the compiler's messages still reach stderr.
cpu_seconds() {
    local src="$1" TIMEFORMAT='%3U %3S'
    local -a more
    read -r -a more <<< "$2"
    { time "$cxx" "${flags[@]}" "${more[@]}" -c -I "$include" "$src" -o "$work/probe.o" 2>&3; } 3>&2 2> "$work/time"
    awk '{ printf "%.3f\n", $1 + $2 }' "$work/time"
}

median() { sort -g | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2);
    printf "%.2f\n", (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'; }

for probe in "${probes[@]}"; do
    : > "$work/$probe.times"
    # A failed compilation stops here, with the compiler's message.
    read -r -a more <<< "${extra[$probe]}"
    "$cxx" "${flags[@]}" "${more[@]}" -E -I "$include" "$here/compile_cost/${source[$probe]}.cpp" > "$work/$probe.ii"
    wc -l < "$work/$probe.ii" | tr -d ' ' > "$work/$probe.lines"
done
# Alternating, so that a machine busy for a moment weighs on both alike.
for ((i = 0; i < runs; ++i)); do
    for probe in "${probes[@]}"; do
        cpu_seconds "$here/compile_cost/${source[$probe]}.cpp" "${extra[$probe]}" > "$work/one"
        cat "$work/one" >> "$work/$probe.times"
    done
done

c_med="$(median < "$work/cereal_tu.times")"
ratio() { awk -v r="$1" -v c="$c_med" 'BEGIN { if (c > 0) printf "%.2f", r / c; else print "n/a" }'; }

echo "Compile cost, $("$cxx" --version | head -1), ${flags[*]} -c, median of $runs, $(date -u +%Y-%m-%d)"
echo
echo "| translation unit | CPU s (median) | vs cereal alone | CPU s (all runs) | preprocessed lines |"
echo "| --- | ---: | ---: | --- | ---: |"
for probe in "${probes[@]}"; do
    med="$(median < "$work/$probe.times")"
    all="$(paste -sd' ' "$work/$probe.times")"
    echo "| \`${source[$probe]}.cpp\` ${extra[$probe]} | $med | $(ratio "$med")x | $all | $(cat "$work/$probe.lines") |"
done
echo
echo "reprise / cereal alone: header-only **$(ratio "$(median < "$work/reprise_tu.times")")x**," \
     "with REPRISE_SEPARATE_COMPILATION **$(ratio "$(median < "$work/reprise_separate_tu.times")")x**" \
     "(target: at most 2x), plus once per program the file that includes <reprise/impl.hpp>"
