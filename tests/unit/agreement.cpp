// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// detail/agreement.hpp: how the MPI layer adapts K, the polls between two agreements, so
// that one agreement comes per 50 ms of computation. Without MPI: it is a pure function.

#include "catch.hpp"

#include "reprise/detail/agreement.hpp"

#include <cstdint>
#include <limits>

namespace {

namespace d = reprise::detail;
using d::adapt_agree_every;

constexpr std::uint64_t kTarget = d::kAgreementTargetNanoseconds;
constexpr std::uint64_t kMax = d::kMaxAgreeEvery;
constexpr std::uint64_t kHuge = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kMs = 1'000'000;

} // namespace

TEST_CASE("agreement: the target is one agreement per 50 ms, K at most 2^20", "[agreement]") {
    CHECK(kTarget == 50 * kMs);
    CHECK(kMax == 1048576);
}

TEST_CASE("agreement: K that took the target time stays as it is", "[agreement]") {
    for (const std::uint64_t every : {std::uint64_t(1), std::uint64_t(7), std::uint64_t(1000), kMax})
        CHECK(adapt_agree_every(every, kTarget) == every);
}

TEST_CASE("agreement: K scales down in proportion when its polls took longer than the target",
          "[agreement]") {
    CHECK(adapt_agree_every(1000, 100 * kMs) == 500);
    CHECK(adapt_agree_every(1000, 500 * kMs) == 100);
    CHECK(adapt_agree_every(1000, 51 * kMs) == 980); // 1000 * 50 / 51, rounded down
    CHECK(adapt_agree_every(kMax, 2 * kTarget) == kMax / 2);
}

TEST_CASE("agreement: K scales up in proportion when its polls were faster, up to 8 times per round",
          "[agreement]") {
    CHECK(adapt_agree_every(1000, 25 * kMs) == 2000);
    CHECK(adapt_agree_every(1000, 10 * kMs) == 5000);
    CHECK(adapt_agree_every(1000, kTarget / 8) == 8000);
    CHECK(adapt_agree_every(1000, kTarget / 9) == 8000); // 9 times: clamped to 8
    CHECK(adapt_agree_every(1000, 1) == 8000);
    CHECK(adapt_agree_every(1, 1) == 8);
    // From K = 1, the largest K is reached within seven rounds of fast polls.
    std::uint64_t every = 1;
    int rounds = 0;
    while (every < kMax) {
        every = adapt_agree_every(every, 1);
        ++rounds;
    }
    CHECK(every == kMax);
    CHECK(rounds == 7);
}

TEST_CASE("agreement: K never goes below 1, however slow its polls were", "[agreement]") {
    CHECK(adapt_agree_every(1, 10'000 * kMs) == 1);
    CHECK(adapt_agree_every(1, kTarget + 1) == 1);
    CHECK(adapt_agree_every(1000, kHuge) == 1);
    CHECK(adapt_agree_every(kMax, kHuge) == 1);
}

TEST_CASE("agreement: K never goes above kMaxAgreeEvery", "[agreement]") {
    CHECK(adapt_agree_every(kMax, 1) == kMax);
    CHECK(adapt_agree_every(kMax, kTarget / 2) == kMax);
    CHECK(adapt_agree_every(kMax / 8, 1) == kMax);
    CHECK(adapt_agree_every(kMax / 8 + 1, 1) == kMax);
    CHECK(adapt_agree_every(kMax / 8 - 1, 1) == kMax - 8);
    CHECK(adapt_agree_every(kMax / 2, kTarget / 4) == kMax);
}

TEST_CASE("agreement: no elapsed time counts as one nanosecond, a K of 0 as 1", "[agreement]") {
    CHECK(adapt_agree_every(1000, 0) == 8000);
    CHECK(adapt_agree_every(kMax, 0) == kMax);
    CHECK(adapt_agree_every(0, 0) == 8);
    CHECK(adapt_agree_every(0, kTarget) == 1);
    CHECK(adapt_agree_every(0, kHuge) == 1);
}

TEST_CASE("agreement: values whose product with the target passes 2^64 give the right K, not a wrapped one",
          "[agreement]") {
    // 2^60 * 50'000'000 is 0 modulo 2^64 (50'000'000 is a multiple of 16): computed in 64
    // bits it gave K = 1 instead of the largest.
    CHECK(adapt_agree_every(std::uint64_t(1) << 60, kTarget) == kMax);
    CHECK(adapt_agree_every(kHuge, kTarget) == kMax);
    CHECK(adapt_agree_every(kHuge, 0) == kMax);
    CHECK(adapt_agree_every(kHuge, kHuge) == kMax); // the target itself, above the largest K
    CHECK(adapt_agree_every(kHuge / 8 + 1, 1) == kMax); // times 8 wraps around too
    // Past the product's bound, slow polls still bring K down.
    const std::uint64_t big = kHuge / kTarget + 1;
    CHECK(adapt_agree_every(big, kHuge) == 1);
    const std::uint64_t p40 = std::uint64_t(1) << 40;
    REQUIRE(p40 > kHuge / kTarget);
    CHECK(adapt_agree_every(p40, p40 * 1000) == kTarget / 1000);
    // Every value gives a K in range.
    for (const std::uint64_t every : {std::uint64_t(0), std::uint64_t(1), kMax, big - 1, big, kHuge / 8,
                                      kHuge / 8 + 1, kHuge - 1, kHuge})
        for (const std::uint64_t elapsed : {std::uint64_t(0), std::uint64_t(1), kTarget, kHuge / 2, kHuge}) {
            const std::uint64_t k = adapt_agree_every(every, elapsed);
            INFO(every << " polls in " << elapsed << " ns: " << k);
            CHECK(k >= 1);
            CHECK(k <= kMax);
        }
}
