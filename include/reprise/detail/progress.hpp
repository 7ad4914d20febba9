// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_PROGRESS_HPP
#define REPRISE_DETAIL_PROGRESS_HPP

// A slow save says so (issue 16: a 2 GiB save took 6-10 s with no line before it). The
// payload sink calls at() every kCheckBytes it writes, so the clock is read once per
// 16 MiB, never per value, and a save below 16 MiB never reads it; the poll's fast path
// knows nothing of this. Past kAnnounceAfter, one line says what asked for the save and
// how many bytes it writes; then one line of progress at most every kProgressEvery until
// the save ends (its "saved" line then says how long it took).

#include "reprise/detail/log.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#ifdef REPRISE_TESTING
#include <cstdlib>
#include <cstring>
#endif

namespace reprise::detail {

class SaveProgress {
public:
    using Clock = std::chrono::steady_clock;

    // Bytes of payload between two looks at the clock.
    static constexpr std::uint64_t kCheckBytes = std::uint64_t(16) << 20;

    // `total`: the payload's size when known (a background save's first snapshot, which a
    // counting pass sized), else 0;
    // `estimate`: the last save's, when this run saved before (a synchronous save learns
    // its size only by writing it).
    SaveProgress(std::uint64_t generation, std::string trigger, std::string path,
                 std::uint64_t total, std::uint64_t estimate)
        : generation_(generation), trigger_(std::move(trigger)), path_(std::move(path)),
          total_(total), estimate_(estimate), start_(Clock::now()) {
#ifdef REPRISE_TESTING
        // The test seam: REPRISE_TEST_SLOW_SAVE=1 takes every save for a slow one, so that
        // a test sees the announcement and progress lines without waiting on a clock.
        const char* slow = std::getenv("REPRISE_TEST_SLOW_SAVE");
        if (slow && std::strcmp(slow, "1") == 0) announce_after_ = progress_every_ = 0;
#endif
    }

    // The payload's size, learnt during the save (a background save's snapshot, once
    // taken).
    void set_total(std::uint64_t total) noexcept { total_ = total; }

    // `written` bytes of payload are out; called every kCheckBytes.
    void at(std::uint64_t written) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
        if (!announced_) {
            if (elapsed < announce_after_) return;
            announced_ = true;
            last_ = elapsed;
            log_event(LogKind::saving, "reprise: saving generation " + std::to_string(generation_) +
                                     " (" + size_text() + "asked by " + trigger_ + ") to " +
                                     path_ + ": " + human_bytes(written) + " written in " +
                                     seconds(elapsed));
            return;
        }
        if (elapsed - last_ < progress_every_) return;
        last_ = elapsed;
        std::string line = "reprise: saving generation " + std::to_string(generation_) + ": " +
                           human_bytes(written);
        if (total_ != 0 && written <= total_)
            line += " of " + human_bytes(total_) + " (" +
                    std::to_string(static_cast<unsigned>(100.0 * static_cast<double>(written) /
                                                             static_cast<double>(total_) +
                                                         0.5)) +
                    "%)";
        log_event(LogKind::progress, line + " written in " + seconds(elapsed));
    }

private:
    std::string size_text() const {
        if (total_ != 0) return human_bytes(total_) + ", ";
        if (estimate_ != 0) return "about " + human_bytes(estimate_) + " as the last save, ";
        return std::string();
    }

    static std::string seconds(double s) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.1f s", s);
        return buffer;
    }

    std::uint64_t generation_;
    std::string trigger_;
    std::string path_;
    std::uint64_t total_;
    std::uint64_t estimate_;
    Clock::time_point start_;
    double announce_after_ = 1.0; // seconds
    double progress_every_ = 5.0; // seconds
    double last_ = 0;
    bool announced_ = false;
};

} // namespace reprise::detail

#endif
