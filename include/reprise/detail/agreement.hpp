// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_AGREEMENT_HPP
#define REPRISE_DETAIL_AGREEMENT_HPP

// How often the ranks of a coordinated checkpoint (reprise/mpi.hpp) agree on what to do:
// once every K polls, K adapted after each agreement so that one comes per
// kAgreementTargetNanoseconds of computation. A pure function, apart from MPI, so that it
// is tested without it.

#include <algorithm>
#include <cstdint>
#include <limits>

namespace reprise::detail {

// One agreement per this much computation, when K adapts. 50 ms, not 10: on a 2-core
// machine shared with other work, each agreement is a chance to wait for a descheduled
// rank, and bench_mpi's loop paid for it at 10 ms and hardly at 50 (docs/benchmarks.md);
// the reaction, at most 2K polls, stays about a tenth of a second, well inside the second
// mpirun leaves between its SIGTERM and its SIGKILL.
inline constexpr std::uint64_t kAgreementTargetNanoseconds = 50'000'000;
// The largest K, adapted or set (REPRISE_MPI_AGREE_EVERY).
inline constexpr std::uint64_t kMaxAgreeEvery = std::uint64_t(1) << 20;

// K for the next round: the `every` polls that took `elapsed_ns` scaled to the target,
// at least 1, at most 8 times `every` (a round that was fast by chance does not send K
// far up at once) and at most kMaxAgreeEvery. No elapsed time counts as 1 ns, an `every`
// of 0 as 1. Any two values give a K in [1, kMaxAgreeEvery]: a product that would wrap
// around 64 bits (never with K <= kMaxAgreeEvery) is computed in floating point instead.
inline std::uint64_t adapt_agree_every(std::uint64_t every, std::uint64_t elapsed_ns) {
    every = std::max<std::uint64_t>(every, 1);
    elapsed_ns = std::max<std::uint64_t>(elapsed_ns, 1);
    const std::uint64_t upper = every > kMaxAgreeEvery / 8 ? kMaxAgreeEvery : every * 8;
    if (every > std::numeric_limits<std::uint64_t>::max() / kAgreementTargetNanoseconds) {
        const double want = static_cast<double>(every) *
                            static_cast<double>(kAgreementTargetNanoseconds) /
                            static_cast<double>(elapsed_ns);
        return want >= static_cast<double>(upper) ? upper
                                                  : std::max<std::uint64_t>(static_cast<std::uint64_t>(want), 1);
    }
    const std::uint64_t want = every * kAgreementTargetNanoseconds / elapsed_ns;
    return std::clamp<std::uint64_t>(want, 1, upper);
}

} // namespace reprise::detail

#endif
