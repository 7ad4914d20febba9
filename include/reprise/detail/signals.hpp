// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_SIGNALS_HPP
#define REPRISE_DETAIL_SIGNALS_HPP

// Handlers set flags; the compute loop does the work (Redis server.c). The handler touches
// only lock-free atomics and errno, allocates nothing and does no I/O (signal-safety(7)).

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <string>

namespace reprise::detail {

enum : unsigned {
    kSaveRequested = 1u, // USR1 or the interval timer
    kStopRequested = 2u, // TERM, INT, USR2
    kSaveFinished = 4u,  // a background save ended: its result is the next poll's to report
};

// What asked for a save (kSaveRequested), for the lines of a slow save and of a saved one
// (docs/logging.md): set with kSaveRequested, taken by the poll that saves.
enum : unsigned {
    kSaveByRequest = 1u,  // request_save()
    kSaveByInterval = 2u, // the interval timer
    kSaveBySignal = 4u,   // SIGUSR1
};

// C++17 inline variables: one instance across all translation units.
// What the next maybe_save() must do; zero on the fast path.
inline std::atomic<unsigned> g_pending{0};
// The first stop signal received; 0 while none. Sticky: stop_requested() reads it.
inline std::atomic<int> g_stop_signal{0};
// Why the pending save was asked for: kSaveBy* bits.
inline std::atomic<unsigned> g_save_reasons{0};
// Whether a Checkpointer is alive in this process.
inline std::atomic<bool> g_instance_alive{false};

static_assert(std::atomic<unsigned>::is_always_lock_free, "the handler needs lock-free atomics");
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs lock-free atomics");

inline constexpr int kHandledSignals[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT};

inline void on_signal(int sig) noexcept {
    const int saved_errno = errno;
    if (sig == SIGUSR1) {
        g_save_reasons.fetch_or(kSaveBySignal, std::memory_order_relaxed);
        g_pending.fetch_or(kSaveRequested, std::memory_order_relaxed);
    } else if (sig == SIGINT && g_stop_signal.load(std::memory_order_relaxed) != 0) {
        // A second Ctrl-C while a stop is pending: the person at the terminal insists.
        // sigaction and raise are async-signal-safe; SIGINT is blocked while this handler
        // runs, so the re-raised signal takes its default action as soon as it returns.
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        ::sigaction(SIGINT, &dfl, nullptr);
        ::raise(SIGINT);
    } else {
        int none = 0;
        g_stop_signal.compare_exchange_strong(none, sig, std::memory_order_relaxed);
        g_pending.fetch_or(kStopRequested, std::memory_order_relaxed);
    }
    errno = saved_errno;
}

// Installs on_signal for USR1, USR2, TERM and INT, keeping the actions it replaces, and
// puts them back when destroyed. SA_RESTART keeps the program's own system calls from
// failing with EINTR. A SIGINT ignored on entry (a shell's background job) stays ignored.
class SignalHandlers {
public:
    SignalHandlers() {
        struct sigaction action {};
        action.sa_handler = on_signal;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        for (int sig : kHandledSignals) sigaddset(&action.sa_mask, sig); // one at a time
        for (std::size_t i = 0; i < kCount; ++i) {
            const int sig = kHandledSignals[i];
            if (::sigaction(sig, nullptr, &previous_[i]) != 0) continue;
            if (sig == SIGINT && previous_[i].sa_handler == SIG_IGN &&
                !(previous_[i].sa_flags & SA_SIGINFO))
                continue;
            installed_[i] = ::sigaction(sig, &action, nullptr) == 0;
        }
    }
    ~SignalHandlers() { restore(); }
    SignalHandlers(const SignalHandlers&) = delete;
    SignalHandlers& operator=(const SignalHandlers&) = delete;

    // Puts back, for each signal, the action this object replaced, but only where ours is
    // still installed: a handler the program installed after the Checkpointer is its own
    // business and stays. Only sigaction: safe in a forked child (see fork.hpp).
    void restore() noexcept {
        for (std::size_t i = 0; i < kCount; ++i) {
            if (!installed_[i]) continue;
            installed_[i] = false;
            struct sigaction current {};
            if (::sigaction(kHandledSignals[i], nullptr, &current) != 0) continue;
            if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != on_signal) continue;
            ::sigaction(kHandledSignals[i], &previous_[i], nullptr);
        }
    }

private:
    static constexpr std::size_t kCount = sizeof kHandledSignals / sizeof kHandledSignals[0];
    struct sigaction previous_[kCount] {};
    bool installed_[kCount] = {};
};

// What asked for a save, in words, from kSaveBy* bits: "SIGUSR1", "the interval",
// "request_save()", joined by " and "; "a request" when none is known.
inline std::string describe_save_reasons(unsigned reasons) {
    std::string what;
    auto add = [&](unsigned bit, const char* words) {
        if (!(reasons & bit)) return;
        if (!what.empty()) what += " and ";
        what += words;
    };
    add(kSaveBySignal, "SIGUSR1");
    add(kSaveByInterval, "the interval");
    add(kSaveByRequest, "request_save()");
    return what.empty() ? std::string("a request") : what;
}

// A stop signal's name in reprise's lines: "SIGTERM", "SIGINT", "SIGUSR2", else "a signal".
inline const char* stop_signal_name(int sig) noexcept {
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR2: return "SIGUSR2";
    default: return "a signal";
    }
}

// "SIGTERM, to stop": what asked for the save of a stop, in its lines.
inline std::string stop_trigger(int sig) { return std::string(stop_signal_name(sig)) + ", to stop"; }

// Ends the process "killed by" `sig`: default disposition, signal unblocked, raised.
[[noreturn]] inline void die_by_signal(int sig) noexcept {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(sig);
    // Only a signal whose default is to continue could get here; none of ours.
    std::_Exit(128 + sig);
}

// Runs `make_thread` with every signal blocked, so that the thread it starts inherits a
// full mask and process-directed signals reach the program's own threads.
template <class F>
auto with_signals_blocked(F&& make_thread) {
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &previous);
    struct Restore {
        sigset_t* mask;
        ~Restore() { ::pthread_sigmask(SIG_SETMASK, mask, nullptr); }
    } restore{&previous};
    return make_thread();
}

} // namespace reprise::detail

#endif
