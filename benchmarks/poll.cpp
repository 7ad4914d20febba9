// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The loops of the poll measurement (poll.hpp). Each is a noinline function, and an empty
// asm with a "+r" operand makes the compiler believe the loop's value is read and changed
// there, at no cost: the work can be neither deleted, nor vectorised, nor replaced by a
// closed form, with or without the poll. Twelve instantiations, six with maybe_save().

#include "poll.hpp"

#include "harness.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace bench {
namespace {

template <class T>
inline void opaque(T& v) {
    __asm__ __volatile__("" : "+r"(v));
}

// One round of xorshift64: three dependent shift-xor pairs, ~6 cycles. The ~7 ns body is
// as many rounds as take closest to 7 ns on this machine, found at run time.
inline std::uint64_t xorshift(std::uint64_t x, std::size_t rounds) {
    for (std::size_t r = 0; r < rounds; ++r) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

// Each loop is a program of its own, as in the README: its variables are locals, tracked
// (their addresses given to the Checkpointer, so that a save could read them), untracked,
// or kept in locals and published to tracked copies only when a save is due
// (maybe_save(publish)); a Checkpointer is alive around the loop either way. It returns
// ns per iteration.
enum class Loop { sum, body };
enum class Vars { tracked, locals, published };

template <Loop Kind, Vars How, bool Poll>
[[gnu::noinline]] double run_loop(const reprise::Options& options, std::size_t rounds,
                                  std::uint64_t n) {
    std::uint64_t i = 1, sum = 0, x = 0x9e3779b97f4a7c15u, unused = 0;
    // What the Checkpointer sees of a published loop: copies, written by publish().
    std::uint64_t seen_i = i, seen_sum = sum, seen_x = x;
    reprise::Checkpointer ckpt(options);
    if constexpr (How == Vars::tracked) {
        if constexpr (Kind == Loop::sum)
            ckpt.track("i", i).track("sum", sum);
        else
            ckpt.track("x", x);
    } else if constexpr (How == Vars::published) {
        if constexpr (Kind == Loop::sum)
            ckpt.track("i", seen_i).track("sum", seen_sum);
        else
            ckpt.track("x", seen_x);
    } else {
        ckpt.track("unused", unused);
    }
    auto poll = [&] {
        if constexpr (How == Vars::published) {
            if constexpr (Kind == Loop::sum)
                ckpt.maybe_save([&] { seen_i = i, seen_sum = sum; });
            else
                ckpt.maybe_save([&] { seen_x = x; });
        } else {
            ckpt.maybe_save();
        }
    };
    const auto start = Clock::now();
    if constexpr (Kind == Loop::sum) {
        // The sum of integers of the README and of the Grid Engine guide: a 1-cycle body.
        while (i <= n) {
            sum += i++;
            opaque(sum);
            if constexpr (Poll) poll();
        }
    } else {
        for (std::uint64_t k = 0; k < n; ++k) {
            x = xorshift(x, rounds);
            opaque(x);
            if constexpr (Poll) poll();
        }
    }
    const double ns = seconds_since(start) * 1e9 / static_cast<double>(n);
    volatile std::uint64_t sink = sum + x + seen_i + seen_sum + seen_x; // the results are used
    (void)sink;
    return ns;
}

// The minimum over rounds, because noise on a shared machine only ever adds time; with
// and without the poll taking turns.
template <Loop Kind, Vars How>
LoopCost compare(const reprise::Options& options, std::size_t xorshift_rounds,
                 double seconds_per_run, int rounds) {
    const double probe = run_loop<Kind, How, false>(options, xorshift_rounds, 1000000);
    const auto n = static_cast<std::uint64_t>(std::max(1e6, seconds_per_run * 1e9 / probe));
    std::vector<double> without, with;
    for (int r = 0; r < rounds; ++r) {
        if (r % 2 == 0) {
            without.push_back(run_loop<Kind, How, false>(options, xorshift_rounds, n));
            with.push_back(run_loop<Kind, How, true>(options, xorshift_rounds, n));
        } else {
            with.push_back(run_loop<Kind, How, true>(options, xorshift_rounds, n));
            without.push_back(run_loop<Kind, How, false>(options, xorshift_rounds, n));
        }
    }
    return {minimum(without), minimum(with)};
}

} // namespace

PollFigures measure_poll_loops(const reprise::Options& options, double seconds_per_run,
                               int rounds) {
    PollFigures f;
    std::vector<double> probe;
    for (int r = 0; r < 5; ++r)
        probe.push_back(run_loop<Loop::body, Vars::locals, false>(options, 8, 1000000) / 8);
    const double per_round = minimum(probe);
    f.rounds_of_xorshift = static_cast<std::size_t>(std::max(1L, std::lround(7.0 / per_round)));
    const std::size_t x = f.rounds_of_xorshift;

    f.sum_tracked = compare<Loop::sum, Vars::tracked>(options, x, seconds_per_run, rounds);
    f.sum_local = compare<Loop::sum, Vars::locals>(options, x, seconds_per_run, rounds);
    f.sum_published = compare<Loop::sum, Vars::published>(options, x, seconds_per_run, rounds);
    f.body_tracked = compare<Loop::body, Vars::tracked>(options, x, seconds_per_run, rounds);
    f.body_local = compare<Loop::body, Vars::locals>(options, x, seconds_per_run, rounds);
    f.body_published = compare<Loop::body, Vars::published>(options, x, seconds_per_run, rounds);
    f.body_ns = f.body_local.without;
    return f;
}

} // namespace bench
