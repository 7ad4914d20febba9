// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The sum of the integers from 1 to LIMIT, made restartable with reprise.
//
// This is the C program of the classic "points de controle" how-to (a backup struct,
// save/restore/clean_backup functions written by hand, SIGUSR1 and SIGTERM handlers that
// set flags, RESTARTED and JOB_ID read from the environment), ported to reprise: the two
// loop variables are tracked by name, restore() replaces the hand-written restore logic,
// maybe_save() replaces the flag test in the loop, finish() replaces clean_backup().
//
//   SIGUSR1            save, keep computing
//   SIGTERM/INT/USR2   save, then end "killed by" the signal
//   (a rerun)          the next run resumes where the saved one stopped (RESTARTED=0:
//                      afresh; under Grid Engine, RESTARTED=1 marks a rescheduled job)
//
// Output on stdout: "fresh start" or "resumed at i=<i>", a "progress i=<i>" line every
// 2^27 iterations (flushed, so that a script can wait for it), and finally "sum=<sum>"
// and "expected=<LIMIT(LIMIT+1)/2>". The library's own lines go to stderr.

#include <reprise/reprise.hpp>

#include <climits>
#include <cstdio>
#include <exception>

namespace {

constexpr unsigned long long default_limit = 4000000000ULL;

// Every 2^27 iterations (a fraction of a second): cheap to test, rare enough to be free.
constexpr unsigned long long progress_mask = (1ULL << 27) - 1;

// n(n+1)/2, or false when it does not fit in an unsigned long long.
bool triangular(unsigned long long n, unsigned long long& result) {
    if (n == ULLONG_MAX) return false;
    // Halve whichever factor is even first, so the product is exact when it fits.
    const unsigned long long a = n % 2 == 0 ? n / 2 : n;
    const unsigned long long b = n % 2 == 0 ? n + 1 : (n + 1) / 2;
    if (a != 0 && b > ULLONG_MAX / a) return false;
    result = a * b;
    return true;
}

// A plain decimal number, digits only, that fits in an unsigned long long.
bool parse_limit(const char* text, unsigned long long& value) {
    if (*text == '\0') return false;
    unsigned long long v = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') return false;
        const auto digit = static_cast<unsigned long long>(*p - '0');
        if (v > (ULLONG_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    value = v;
    return true;
}

int usage(const char* program) {
    std::fprintf(stderr,
                 "usage: %s [LIMIT]\n"
                 "  sums the integers from 1 to LIMIT (default %llu); LIMIT is a decimal\n"
                 "  number small enough that LIMIT(LIMIT+1)/2 fits in 64 bits\n",
                 program, default_limit);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    const char* program = argc > 0 ? argv[0] : "sum";
    unsigned long long limit = default_limit;
    unsigned long long expected = 0;
    if (argc > 2) return usage(program);
    if (argc == 2 && !parse_limit(argv[1], limit)) return usage(program);
    if (!triangular(limit, expected)) return usage(program);

    try {
        unsigned long long i = 1, sum = 0;

        reprise::Checkpointer ckpt; // REPRISE_DIR, RESTARTED=1, ... steer it
        ckpt.track("i", i);
        ckpt.track("sum", sum);
        if (ckpt.restore())
            std::printf("resumed at i=%llu\n", i);
        else
            std::printf("fresh start\n");
        std::fflush(stdout);

        while (i <= limit) {
            sum += i++;
            if ((i & progress_mask) == 0) {
                std::printf("progress i=%llu\n", i);
                std::fflush(stdout);
            }
            ckpt.maybe_save();
        }

        std::printf("sum=%llu\nexpected=%llu\n", sum, expected);
        std::fflush(stdout);
        ckpt.finish();
        return sum == expected ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

// Build and run (from the repository root):
//
//   cmake -S . -B build -DREPRISE_BUILD_EXAMPLES=ON && cmake --build build --target example_sum
//   REPRISE_DIR=/tmp/sum-ckpt build/examples/sum &      # prints "fresh start", progress...
//   kill -TERM $!                                        # saves, ends "killed by" SIGTERM
//   REPRISE_DIR=/tmp/sum-ckpt build/examples/sum   # "resumed at i=..." (RESTARTED=0: afresh)
//
// Or let examples/demo.sh tell the whole story: bash examples/demo.sh
