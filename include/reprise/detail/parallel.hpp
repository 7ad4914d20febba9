// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_PARALLEL_HPP
#define REPRISE_DETAIL_PARALLEL_HPP

// Work on a large block split between two threads, where the machine has two cores: a
// save's hashing and compressing, a restore's page faults on a new container and its read
// of a large array. The compute loop stands still meanwhile anyway, and on the
// 2-core VMs reprise is measured on, one thread gets markedly less of the memory bandwidth
// and of the page-fault rate than two (docs/benchmarks.md).

#include "reprise/detail/signals.hpp"
#include "reprise/detail/sys.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <system_error>
#include <thread>
#include <utility>

namespace reprise::detail {

inline constexpr std::size_t kPageBytes = 4096;

// Whether the machine has a second core. Asked once: glibc reads
// /sys/devices/system/cpu/online at every std::thread::hardware_concurrency(), and a save
// asks for every 8 MiB piece it hashes.
inline bool has_second_core() {
    static const bool second = std::thread::hardware_concurrency() >= 2;
    return second;
}

// Calls work(begin, end) on [0, n) cut in two at a multiple of `unit` (a power of two),
// the second part on a helper thread (started with every signal blocked). Without a
// second core, or when the thread cannot be started, one call on the whole range. `work`
// must not throw.
template <class F>
void in_two_parts(std::size_t n, std::size_t unit, F&& work) {
    const std::size_t half = (n / 2) & ~(unit - 1);
    std::thread helper;
    if (half != 0 && has_second_core()) {
        try {
            helper = with_signals_blocked([&] { return std::thread([&] { work(half, n); }); });
        } catch (const std::system_error&) {
        }
    }
    if (!helper.joinable()) {
        work(std::size_t(0), n);
        return;
    }
    work(std::size_t(0), half);
    helper.join();
}

// in_two_parts cut at a page boundary: each thread its own pages.
template <class F>
void in_two_halves(std::size_t n, F&& work) {
    in_two_parts(n, kPageBytes, std::forward<F>(work));
}

// Makes the kernel map the whole pages of [data, data + bytes) now, writable, two threads
// for the two halves, so that the first touches of a new container's memory are not paid
// one fault at a time by the one thread that then fills it. Only a hint: memory that is
// mapped already, and a kernel without MADV_POPULATE_WRITE (before 5.14), change nothing.
// The bytes are not written: what they hold, and which objects live there, is unchanged.
inline void prefault_in_parallel(void* data, std::size_t bytes) {
    const auto first = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t begin = (first + kPageBytes - 1) & ~std::uintptr_t(kPageBytes - 1);
    const std::uintptr_t end = (first + bytes) & ~std::uintptr_t(kPageBytes - 1);
    if (end <= begin) return;
    in_two_halves(end - begin, [=](std::size_t from, std::size_t to) {
        sys::populate_for_write(reinterpret_cast<void*>(begin + from), to - from);
    });
}

} // namespace reprise::detail

#endif
