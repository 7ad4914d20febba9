// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORK_HPP
#define REPRISE_DETAIL_FORK_HPP

// What a child made by fork() inherits from a process with a Checkpointer: a copy of the
// object, but none of its threads (the timer, a background writer), a descriptor of the
// job's lock (an open-file-description lock lives as long as any descriptor of it, so a
// child that outlives its parent would keep the job locked), and reprise's signal
// handlers (a SIGTERM to a child that never polls would be swallowed). A pthread_atfork
// handler gives the child none of it: it closes the lock's descriptor, puts back the
// signal actions reprise replaced, clears pending requests, and frees the child to make
// a Checkpointer of its own. The inherited object then knows it is in a child
// (Checkpointer checks its owner's pid) and neither saves, nor removes, nor joins.
// Everything done here is async-signal-safe (close, sigaction, atomics), as a child
// handler of a multithreaded process requires (pthread_atfork(3)).

#include "reprise/detail/signals.hpp"

#include <atomic>
#include <pthread.h>
#include <unistd.h>

namespace reprise::detail {

// The live Checkpointer's lock descriptor and signal handlers; -1 and null when none.
inline std::atomic<int> g_lock_fd{-1};
inline std::atomic<SignalHandlers*> g_signal_handlers{nullptr};

inline void in_forked_child() noexcept {
    const int fd = g_lock_fd.exchange(-1);
    if (fd >= 0) ::close(fd);
    if (SignalHandlers* handlers = g_signal_handlers.exchange(nullptr)) handlers->restore();
    g_pending.store(0);
    g_save_reasons.store(0);
    g_stop_signal.store(0);
    g_instance_alive.store(false);
}

// Registers in_forked_child once per process (a handler cannot be unregistered; with no
// Checkpointer alive it finds nothing to do).
inline void install_fork_handler() {
    static const int registered = ::pthread_atfork(nullptr, nullptr, in_forked_child);
    (void)registered;
}

} // namespace reprise::detail

#endif
