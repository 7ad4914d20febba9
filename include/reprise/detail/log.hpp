// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_LOG_HPP
#define REPRISE_DETAIL_LOG_HPP

#include "reprise/log.hpp"

#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <utility>
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
inline void write_stderr_line(std::string line) {
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

// Who prints which line (docs/logging.md): set by the Checkpointer for its lifetime (one
// per process), read by every thread that logs (compute, background writer, cleaner),
// under the mutex that also keeps two calls of the program's callback apart.
struct LogConfig {
    bool quiet = false;      // Options::quiet: no lines of saves, restores, finish()
    bool every_rank = false; // Options::log_every_rank
    int rank = -1;           // the MPI rank; -1 outside MPI
    LogCallback callback;    // Options::log; empty: stderr
};

struct LogState {
    std::mutex mutex;
    LogConfig config;
};

inline LogState& log_state() {
    static LogState state;
    return state;
}

inline void set_log_config(LogConfig config) {
    LogState& s = log_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.config = std::move(config);
}

inline void reset_log_config() noexcept {
    LogState& s = log_state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.config = LogConfig{};
}

// Whether this process prints a line of `kind`. `job_wide`: a line of the coordination
// layer speaking for all ranks (printed by rank 0 only, which the caller ensures); any
// other line is this process's own. Under MPI without every_rank, a rank's own lines of
// saves, restores and finish() give way to rank 0's line for all ranks, and the lines of
// a slow save and of a stop are rank 0's alone (every rank has the same to say).
inline bool log_wanted(const LogConfig& c, LogKind kind, bool job_wide) {
    const bool routine = kind == LogKind::saving || kind == LogKind::progress ||
                         kind == LogKind::saved || kind == LogKind::restored ||
                         kind == LogKind::finished;
    if (routine && c.quiet) return false;
    if (job_wide || c.rank < 0 || c.every_rank) return true;
    switch (kind) {
    case LogKind::saved:
    case LogKind::restored:
    case LogKind::finished:
        return false; // rank 0 says it for all ranks
    case LogKind::saving:
    case LogKind::progress:
    case LogKind::stopping:
        return c.rank == 0;
    default:
        return true; // notes, warnings and errors: every rank's own
    }
}

// A line of reprise's: to the program's callback when it set one, else to stderr.
// Any thread; never from a signal handler.
inline void log_event(LogKind kind, std::string line, bool job_wide = false) {
    while (!line.empty() && line.back() == '\n') line.pop_back();
    LogState& s = log_state();
    // A callback that logs through reprise would wait on itself: its lines go to stderr.
    static thread_local bool in_callback = false;
    if (in_callback) {
        write_stderr_line(std::move(line));
        return;
    }
    std::unique_lock<std::mutex> lock(s.mutex);
    if (!log_wanted(s.config, kind, job_wide)) return;
    if (!s.config.callback) {
        lock.unlock();
        write_stderr_line(std::move(line));
        return;
    }
    std::string failure;
    in_callback = true;
    try {
        s.config.callback(LogLine{kind, line, s.config.rank});
    } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "an exception";
    } catch (...) {
        failure = "an exception that is not a std::exception";
    }
    in_callback = false;
    lock.unlock();
    if (!failure.empty()) {
        // The line is not lost, and the computation goes on.
        write_stderr_line(std::move(line));
        write_stderr_line("reprise: warning: the log callback (Options::log) threw (" + failure +
                          "); the line above went to stderr instead");
    }
}

// A warning or an error (by its text: "reprise: warning: ..." is a warning).
inline void log_line(std::string line) {
    const bool warning = line.rfind("reprise: warning:", 0) == 0;
    log_event(warning ? LogKind::warning : LogKind::error, std::move(line));
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
