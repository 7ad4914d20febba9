// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// A slow, steady computation for the scheduler recipes (examples/slurm/, examples/sge/).
//
// 4096 random walkers take STEPS steps, each step paced to last SECONDS_PER_STEP of wall
// time (default 0.25 s) by sleeping: the stand-in for a simulation whose time steps take
// seconds, so that a job runs long enough to meet its scheduler's signals and time limits
// while it keeps the CPU almost idle. The walk is deterministic (xorshift64* from SEED),
// so a run that was stopped, requeued and resumed ends with exactly the checksum of an
// uninterrupted run; the pace changes nothing but the wall time.
//
// The state that survives a restart: the walkers' positions (a std::vector<double>), the
// generator (a user type, serialized through its serialize() member) and the step count.
//
// Output on stdout: "fresh start" or "resumed at step=<k>", "progress step=<k>" after
// every step (flushed, so that a job script or a test can follow it), then
// "checksum=<16 hex digits>", "steps=<n>" and "seed=<s>". On stderr, before anything else,
// the job as reprise names it and the scheduler's restart variables that are set
// ("walk: job slurm-42, SLURM_RESTART_COUNT=1"), then the library's own lines.
//
//   SIGUSR1            save, keep walking
//   SIGTERM/INT/USR2   save, then stop as REPRISE_ON_STOP says (default: killed by it)

#include <reprise/reprise.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t walkers = 4096;

/// xorshift64*: a small, fast generator whose whole state is one word.
struct Generator {
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;

    std::uint64_t next() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717ULL;
    }

    // A double in [-0.5, 0.5).
    double step() { return static_cast<double>(next() >> 11) * 0x1.0p-53 - 0.5; }

    template <class Archive>
    void serialize(Archive& ar) {
        ar(state);
    }
};

// FNV-1a, 64 bits, over the bytes of the positions and the generator.
std::uint64_t checksum(const std::vector<double>& positions, const Generator& generator) {
    std::uint64_t h = 14695981039346656037ULL;
    auto mix = [&h](const void* data, std::size_t size) {
        const auto* bytes = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < size; ++i) {
            h ^= bytes[i];
            h *= 1099511628211ULL;
        }
    };
    mix(positions.data(), positions.size() * sizeof(double));
    mix(&generator.state, sizeof generator.state);
    return h;
}

bool parse_count(const char* text, std::uint64_t& value) {
    if (*text == '\0') return false;
    std::uint64_t v = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') return false;
        const auto digit = static_cast<std::uint64_t>(*p - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    value = v;
    return true;
}

bool parse_seconds(const char* text, double& value) {
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0) || v > 3600) return false;
    value = v;
    return true;
}

// The scheduler's restart variables that are set, for the first line on stderr: what
// reprise's restore policy looks at under a scheduler ("auto" restores when one says so).
std::string restart_variables() {
    std::string out;
    for (const char* name : {"SLURM_RESTART_COUNT", "RESTARTED", "LSB_RESTART"}) {
        if (const char* v = std::getenv(name)) out += std::string(", ") + name + "=" + v;
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t steps = 0, seed = 1;
    double pace = 0.25;
    if (argc < 2 || argc > 4 || !parse_count(argv[1], steps) ||
        (argc > 2 && !parse_seconds(argv[2], pace)) || (argc > 3 && !parse_count(argv[3], seed))) {
        std::fprintf(stderr,
                     "usage: %s STEPS [SECONDS_PER_STEP [SEED]]\n"
                     "  walks %zu random walkers STEPS steps, each step lasting at least\n"
                     "  SECONDS_PER_STEP (default 0.25, at most 3600), from SEED (default 1)\n",
                     argc > 0 ? argv[0] : "walk", walkers);
        return 2;
    }

    try {
        std::vector<double> positions(walkers, 0.0);
        Generator generator;
        generator.state ^= seed * 0xD1B54A32D192ED03ULL; // never 0: the constant is odd
        if (generator.state == 0) generator.state = 1;
        std::uint64_t step = 0;

        reprise::Checkpointer ckpt; // REPRISE_DIR, REPRISE_INTERVAL, ... steer it
        std::fprintf(stderr, "walk: job %s%s\n", ckpt.job_key().c_str(),
                     restart_variables().c_str());
        ckpt.track("positions", positions);
        ckpt.track("generator", generator);
        ckpt.track("step", step);
        if (ckpt.restore())
            std::printf("resumed at step=%llu\n", static_cast<unsigned long long>(step));
        else
            std::printf("fresh start\n");
        std::fflush(stdout);

        // Step k of this run ends k paces after the run began, however late the machine
        // woke us before: the wall time of a run does not drift with the load.
        const std::chrono::duration<double> pause(pace);
        const auto origin = std::chrono::steady_clock::now();
        const std::uint64_t first_step = step;
        while (step < steps) {
            for (double& x : positions) x += generator.step();
            ++step;
            std::this_thread::sleep_until(
                origin + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             pause * static_cast<double>(step - first_step)));
            ckpt.maybe_save();
            std::printf("progress step=%llu\n", static_cast<unsigned long long>(step));
            std::fflush(stdout);
        }

        std::printf("checksum=%016llx\nsteps=%llu\nseed=%llu\n",
                    static_cast<unsigned long long>(checksum(positions, generator)),
                    static_cast<unsigned long long>(step), static_cast<unsigned long long>(seed));
        std::fflush(stdout);
        ckpt.finish();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

// Build and run (from the repository root):
//
//   cmake -S . -B build -DREPRISE_BUILD_EXAMPLES=ON && cmake --build build --target example_walk
//   REPRISE_DIR=/tmp/walk-ckpt build/examples/walk 100 &     # "fresh start", progress...
//   kill -TERM $!                                             # saves, then stops
//   REPRISE_DIR=/tmp/walk-ckpt build/examples/walk 100   # "resumed at step=..."
//
// Under a scheduler: examples/slurm/*.sbatch and examples/sge/*.sh submit it.
