// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// One of two translation units that both include <reprise/reprise.hpp> and are linked into
// one test binary (fmt's ODR test). This one only provides functions compiled against the
// library; test_odr_b.cpp holds the test cases that compare them with its own view.

#include <reprise/reprise.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace reprise_odr_test {

// Declared again in test_odr_b.cpp, which calls them.
const void* pending_address_a();
const void* stop_signal_address_a();
const void* instance_alive_address_a();
const void* magic_address_a();
const void* seam_mutex_address_a();
std::string file_safe_a(const std::string& s);
std::string job_key_a();
std::unique_ptr<reprise::Checkpointer> make_checkpointer_a(const reprise::Options& o);
void track_in_a(reprise::Checkpointer& c, std::string& text, std::vector<double>& values);
void request_save_from_a();

const void* pending_address_a() { return &reprise::detail::g_pending; }
const void* stop_signal_address_a() { return &reprise::detail::g_stop_signal; }
const void* instance_alive_address_a() { return &reprise::detail::g_instance_alive; }
const void* magic_address_a() { return &reprise::detail::kMagic; }
const void* seam_mutex_address_a() {
#ifdef REPRISE_TESTING
    return &reprise::detail::seam_mutex();
#else
    return nullptr;
#endif
}

std::string file_safe_a(const std::string& s) { return reprise::detail::file_safe(s); }

std::string job_key_a() { return reprise::detail::job_from_environment().key(); }

std::unique_ptr<reprise::Checkpointer> make_checkpointer_a(const reprise::Options& o) {
    return std::make_unique<reprise::Checkpointer>(o);
}

// The save and load functions of these variables are instantiated in this translation unit.
void track_in_a(reprise::Checkpointer& c, std::string& text, std::vector<double>& values) {
    c.track("text", text).track("values", values);
}

// As a signal handler compiled elsewhere would: the flag the poll reads.
void request_save_from_a() {
    reprise::detail::g_pending.fetch_or(reprise::detail::kSaveRequested, std::memory_order_relaxed);
}

} // namespace reprise_odr_test
