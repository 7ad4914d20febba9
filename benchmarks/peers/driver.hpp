// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// What the four drivers of the side-by-side benchmark share (run.sh builds and runs them):
// the same command line, the same bytes, the same clock and the same output lines.
//
//   DRIVER save    --mib N --checkpoints C --seed S --dir DIR   C checkpoints, each timed
//   DRIVER restore --mib N --checkpoints C --seed S --dir DIR   one restart, timed, and the
//                                                               values of checkpoint C checked
// (plus --variant V for VeloC's driver; the options in any order)
//
// Output, one line per figure, on stdout (run.sh reads them):
//   RESULT save <k> <seconds>
//   RESULT restore <seconds> <ok|BAD>

#ifndef REPRISE_BENCHMARKS_PEERS_DRIVER_HPP
#define REPRISE_BENCHMARKS_PEERS_DRIVER_HPP

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace peers {

struct Args {
    bool save = true;
    std::uint64_t count = 0; // doubles
    int checkpoints = 3;
    unsigned seed = 1;
    std::string dir;
    std::string variant; // --variant: a driver's own choice (VeloC: durable or fast)
};

[[noreturn]] inline void usage(const char* program, const char* why) {
    std::fprintf(stderr, "%s: %s\nusage: %s save|restore --mib N [--checkpoints C] --seed S --dir DIR [--variant V]\n",
                 program, why, program);
    std::exit(2);
}

inline unsigned long parse_number(const char* program, const char* what, const char* text) {
    char* end = nullptr;
    errno = 0;
    const unsigned long value = std::strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value == 0 || value > 1u << 20)
        usage(program, (std::string("bad ") + what + ": " + text).c_str());
    return value;
}

inline Args parse(int argc, char** argv) {
    Args a;
    bool have_mode = false;
    for (int i = 1; i < argc; ++i) {
        const std::string key = argv[i];
        if (key == "save" || key == "restore") {
            a.save = key == "save";
            have_mode = true;
            continue;
        }
        if (i + 1 >= argc) usage(argv[0], ("no value for " + key).c_str());
        const char* value = argv[++i];
        if (key == "--mib")
            a.count = parse_number(argv[0], "--mib", value) * (std::uint64_t{1} << 20) / sizeof(double);
        else if (key == "--checkpoints")
            a.checkpoints = static_cast<int>(parse_number(argv[0], "--checkpoints", value));
        else if (key == "--seed")
            a.seed = static_cast<unsigned>(parse_number(argv[0], "--seed", value));
        else if (key == "--dir")
            a.dir = value;
        else if (key == "--variant")
            a.variant = value;
        else
            usage(argv[0], ("unknown argument " + key).c_str());
    }
    if (!have_mode) usage(argv[0], "no mode (save or restore)");
    if (a.count == 0 || a.dir.empty()) usage(argv[0], "--mib and --dir are required");
    return a;
}

// The state: element i of checkpoint k with seed s. Every driver fills and checks the
// same function, so every library writes and reads the same bytes. Not zero anywhere,
// and different for each checkpoint (no layer may skip or deduplicate the data).
inline double value_at(std::uint64_t i, int k, unsigned seed) {
    return static_cast<double>(i) * 0.5 + seed * 1000.0 + k + 0.25;
}

inline void fill(double* data, std::uint64_t count, int k, unsigned seed) {
    for (std::uint64_t i = 0; i < count; ++i) data[i] = value_at(i, k, seed);
}

inline bool check(const double* data, std::uint64_t count, int k, unsigned seed) {
    for (std::uint64_t i = 0; i < count; ++i)
        if (data[i] != value_at(i, k, seed)) return false;
    return true;
}

inline double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline void report_save(int k, double seconds) { std::printf("RESULT save %d %.6f\n", k, seconds); std::fflush(stdout); }
inline void report_restore(double seconds, bool ok) {
    std::printf("RESULT restore %.6f %s\n", seconds, ok ? "ok" : "BAD");
    std::fflush(stdout);
}

} // namespace peers

#endif
