#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# What a translation unit pays to compile when it includes <reprise/reprise.hpp> and saves
# and restores a std::vector<double> and a user struct, beside the same program written
# with cereal's portable binary archive alone (issue 15, item 5: at most 2x), measured
# side by side in one run: each probe of benchmarks/compile_cost/ compiled N times,
# alternating, the median CPU time (user + sys) of each, their ratio, and the preprocessed
# line counts. A third probe, floor_tu.cpp, is the same program with only the public
# declarations in the header (the rest compiled elsewhere): the least any design that keeps
# the contract could cost. Prints a markdown table. A figure never fails the script; a
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
probes=(reprise_tu cereal_tu floor_tu)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# CPU seconds (user + sys of the compiler and its children) of one compilation, by bash's
# own `time` (no GNU time needed); the compiler's messages still reach stderr.
cpu_seconds() {
    local src="$1" TIMEFORMAT='%3U %3S'
    { time "$cxx" "${flags[@]}" -c -I "$include" "$src" -o "$work/probe.o" 2>&3; } 3>&2 2> "$work/time"
    awk '{ printf "%.3f\n", $1 + $2 }' "$work/time"
}

median() { sort -g | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2);
    printf "%.2f\n", (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'; }

for probe in "${probes[@]}"; do
    : > "$work/$probe.times"
    # A failed compilation stops here, with the compiler's message.
    "$cxx" "${flags[@]}" -E -I "$include" "$here/compile_cost/$probe.cpp" > "$work/$probe.ii"
    wc -l < "$work/$probe.ii" | tr -d ' ' > "$work/$probe.lines"
done
# Alternating, so that a machine busy for a moment weighs on both alike.
for ((i = 0; i < runs; ++i)); do
    for probe in "${probes[@]}"; do
        cpu_seconds "$here/compile_cost/$probe.cpp" > "$work/one"
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
    echo "| \`$probe.cpp\` | $med | $(ratio "$med")x | $all | $(cat "$work/$probe.lines") |"
done
echo
echo "reprise / cereal alone: **$(ratio "$(median < "$work/reprise_tu.times")")x** (target: at most 2x)"
