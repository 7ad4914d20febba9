// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_BENCHMARKS_POLL_HPP
#define REPRISE_BENCHMARKS_POLL_HPP

// The cost of maybe_save() in a compute loop. The loops live in poll.cpp, a translation
// unit of their own with six call sites of maybe_save(), as a program has one or a few:
// whether the compiler inlines the poll depends on how many there are in the unit (GCC 12
// stopped inlining it, and the poll became a call, with ~100 of them).

#include <reprise/reprise.hpp>

#include <cstddef>

namespace bench {

// Nanoseconds per iteration, the minimum over rounds, without and with maybe_save().
struct LoopCost {
    double without = 0;
    double with = 0;
};

struct PollFigures {
    LoopCost sum_tracked;  // `sum += i++`, i and sum tracked by the Checkpointer (README)
    LoopCost sum_local;      // the same loop over untracked locals
    LoopCost sum_published;  // over locals, copied to tracked variables by maybe_save(publish)
    LoopCost body_tracked;   // a ~7 ns dependent chain, its variable tracked
    LoopCost body_local;     // the same over an untracked local
    LoopCost body_published; // over a local published by maybe_save(publish)
    std::size_t rounds_of_xorshift = 0;
    double body_ns = 0; // the chain alone, as calibrated
};

// Runs the six loops, each with a Checkpointer of `options` alive around it (signal
// handlers installed when the options say so), each run lasting about `seconds_per_run`,
// `rounds` times each way, taking turns. Nothing is saved; each Checkpointer leaves the
// lock file behind, for the caller's finish().
PollFigures measure_poll_loops(const reprise::Options& options, double seconds_per_run, int rounds);

} // namespace bench

#endif
