// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_LOG_HPP
#define REPRISE_DETAIL_LOG_HPP

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace reprise::detail {

// One line on stderr, written by a single write(2) so that lines of several processes
// (array tasks sharing a log) do not interleave.
inline void log_line(std::string line) {
    if (line.empty() || line.back() != '\n') line.push_back('\n');
    std::fflush(stderr); // keep the order of whatever the program printed with stdio
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

// "1.23 s, 870 MB/s"
inline std::string human_rate(std::uint64_t bytes, double seconds) {
    char buffer[64];
    const double rate = seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
    std::snprintf(buffer, sizeof buffer, "%.3f s, %.0f MB/s", seconds, rate);
    return buffer;
}

} // namespace reprise::detail

#endif
