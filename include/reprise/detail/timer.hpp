// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_TIMER_HPP
#define REPRISE_DETAIL_TIMER_HPP

// Periodic saves without a clock read in the poll: a thread sleeps until the deadline and
// then sets the same flag a SIGUSR1 sets. The compute loop never looks at the time.

#include "reprise/detail/signals.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace reprise::detail {

class IntervalTimer {
public:
    using Clock = std::chrono::steady_clock;

    // No thread at all when `seconds` is 0.
    explicit IntervalTimer(double seconds) {
        if (!(seconds > 0)) return;
        interval_ = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(seconds));
        deadline_ = Clock::now() + interval_;
        thread_ = with_signals_blocked([this] { return std::thread([this] { run(); }); });
    }
    ~IntervalTimer() { stop(); }
    IntervalTimer(const IntervalTimer&) = delete;
    IntervalTimer& operator=(const IntervalTimer&) = delete;

    // A save just happened: the next automatic one is an interval from now.
    void rearm() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            deadline_ = Clock::now() + interval_;
        }
        wake_.notify_one();
    }

    void stop() noexcept {
        if (!thread_.joinable()) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            quit_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

private:
    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!quit_) {
            if (Clock::now() >= deadline_) {
                g_save_reasons.fetch_or(kSaveByInterval, std::memory_order_relaxed);
                g_pending.fetch_or(kSaveRequested, std::memory_order_relaxed);
                deadline_ = Clock::time_point::max(); // until the save re-arms it
            }
            if (deadline_ == Clock::time_point::max())
                wake_.wait(lock);
            else
                wake_.wait_until(lock, deadline_);
        }
    }

    Clock::duration interval_{};
    Clock::time_point deadline_{};
    bool quit_ = false;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

} // namespace reprise::detail

#endif
