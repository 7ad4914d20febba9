// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The other of two translation units that both include <reprise/reprise.hpp> (see
// test_odr_a.cpp): the library's C++17 inline variables, the flags signal handlers set and
// the one-Checkpointer-per-process guard, must be one object in the whole program, whichever
// translation unit names them.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace reprise_odr_test {

// Defined in test_odr_a.cpp.
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

} // namespace reprise_odr_test

namespace {

reprise::Options options_for(const std::string& directory) {
    reprise::Options o;
    o.directory = directory;
    o.name = "odr";
    o.quiet = true;
    return o;
}

} // namespace

TEST_CASE("two translation units see the same inline variables", "[odr]") {
    reprise_test::clear_environment();
    using namespace reprise_odr_test;
    CHECK(pending_address_a() == static_cast<const void*>(&reprise::detail::g_pending));
    CHECK(stop_signal_address_a() == static_cast<const void*>(&reprise::detail::g_stop_signal));
    CHECK(instance_alive_address_a() ==
          static_cast<const void*>(&reprise::detail::g_instance_alive));
    CHECK(magic_address_a() == static_cast<const void*>(&reprise::detail::kMagic));
#ifdef REPRISE_TESTING
    CHECK(seam_mutex_address_a() == static_cast<const void*>(&reprise::detail::seam_mutex()));
#endif
}

TEST_CASE("two translation units compute the same file names and job keys", "[odr]") {
    reprise_test::clear_environment();
    using namespace reprise_odr_test;
    for (const std::string s : {"", ".", "..", "a/b", "../../x", "plain-name_1.2", "sp ace\n"}) {
        INFO("'" << s << "'");
        CHECK(file_safe_a(s) == reprise::detail::file_safe(s));
    }
    reprise_test::ScopedEnv env(std::map<std::string, std::string>{
        {"SLURM_JOB_ID", "9"}, {"SLURM_ARRAY_JOB_ID", "5"}, {"SLURM_ARRAY_TASK_ID", "2"}});
    CHECK(job_key_a() == "slurm-5_2");
    CHECK(job_key_a() == reprise::detail::job_from_environment().key());
}

TEST_CASE("a Checkpointer made in one translation unit blocks one made in the other",
          "[odr][api]") {
    reprise_test::clear_environment();
    reprise_test::TempDir dir;
    auto from_a = reprise_odr_test::make_checkpointer_a(options_for(dir.path()));
    CHECK_THROWS_AS(reprise::Checkpointer(options_for(dir.path())), reprise::Error);
    from_a.reset();
    reprise::Checkpointer from_b(options_for(dir.path()));
    CHECK_THROWS_AS(reprise_odr_test::make_checkpointer_a(options_for(dir.path())), reprise::Error);
}

TEST_CASE("a save requested in one translation unit is taken by the poll in the other",
          "[odr][poll]") {
    reprise_test::clear_environment();
    reprise_test::TempDir dir;
    {
        std::string text = "from a";
        std::vector<double> values{1.5, 2.5};
        reprise::Checkpointer c(options_for(dir.path()));
        reprise_odr_test::track_in_a(c, text, values);
        CHECK_FALSE(c.maybe_save());
        reprise_odr_test::request_save_from_a();
        CHECK(c.maybe_save());
        CHECK(c.generation() == 1);
        CHECK_FALSE(c.maybe_save());
    }
    // What TU a's instantiations saved, this TU's instantiations load.
    std::string text;
    std::vector<double> values;
    auto o = options_for(dir.path());
    o.restore = reprise::RestorePolicy::always;
    auto c = reprise_odr_test::make_checkpointer_a(o);
    c->track("text", text).track("values", values);
    REQUIRE(c->restore());
    CHECK(text == "from a");
    CHECK(values == std::vector<double>{1.5, 2.5});
}
