// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_LOG_HPP
#define REPRISE_DETAIL_LOG_HPP

#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

namespace reprise::detail {

// The program's buffered output, C and C++, written out: before a stop ends the process
// by a signal (which flushes nothing) and before reprise's own lines, so that a log that
// holds both keeps their order. Compute thread only: C++ streams are not thread-safe
// when the program turned off their synchronisation with stdio.
inline void flush_standard_streams() {
    std::cout.flush();
    std::clog.flush();
    std::cerr.flush();
    std::fflush(nullptr);
}

// One line on stderr, written by a single write(2) so that lines of several processes
// (array tasks sharing a log) do not interleave. What the program printed with stdio
// (stdout and stderr, locked FILEs, so from any thread) goes out first, in order.
inline void log_line(std::string line) {
    if (line.empty() || line.back() != '\n') line.push_back('\n');
    std::fflush(stdout);
    std::fflush(stderr);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; // nowhere to report that stderr is gone
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

inline std::string human_bytes(std::uint64_t bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buffer;
}

// "45 s", "12 min", "3.5 h", "2.0 d"
inline std::string human_duration(double seconds) {
    char buffer[32];
    if (seconds < 120)
        std::snprintf(buffer, sizeof buffer, "%.0f s", seconds);
    else if (seconds < 7200)
        std::snprintf(buffer, sizeof buffer, "%.0f min", seconds / 60);
    else if (seconds < 2 * 86400)
        std::snprintf(buffer, sizeof buffer, "%.1f h", seconds / 3600);
    else
        std::snprintf(buffer, sizeof buffer, "%.1f d", seconds / 86400);
    return buffer;
}

// "1.23 s, 870 MB/s"
inline std::string human_rate(std::uint64_t bytes, double seconds) {
    char buffer[64];
    const double rate = seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
    std::snprintf(buffer, sizeof buffer, "%.3f s, %.0f MB/s", seconds, rate);
    return buffer;
}

} // namespace reprise::detail

#endif
