// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// A program that changed between runs. Each test saves a real checkpoint with one run's
// parameters and restores it into a run of others: restore() must refuse it, naming what
// changed, never falling back to an older generation (another computation is not a
// damaged file).

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <typeinfo>
#include <vector>

namespace {

using reprise::Checkpointer;
using reprise::RestorePolicy;
using reprise_test::StderrCapture;
using reprise_test::TempDir;
using reprise_test::contains;
using reprise_test::options_for;

// Runs `f`, which must throw reprise::Error; returns its message ("" when it did not throw).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const reprise::Error& e) {
        return e.what();
    }
    return "";
}

// Two generations of "step" (std::uint64_t) and "field" (std::vector<std::int32_t>), with
// run parameters mesh = 30 and dt = 0.1; returns the newer generation's path.
std::string save_two_generations(const std::string& dir) {
    std::uint64_t step = 0;
    std::vector<std::int32_t> field;
    Checkpointer c(options_for(dir));
    c.track("step", step).track("field", field).parameter("mesh", 30).parameter("dt", 0.1);
    step = 3;
    field = {1, 2, 3};
    c.save();
    step = 4;
    field = {4, 5, 6};
    c.save();
    return c.path_of_generation(2);
}

// A restore that must be refused: restore() throws, no variable is touched, nothing about
// the older generation is said (no fallback), and both generations stay on disk.
void check_refused(const std::string& dir, const std::string& error, const std::string& stderr_text,
                   const std::string& newer) {
    INFO("error: " << error);
    INFO("stderr: " << stderr_text);
    REQUIRE_FALSE(error.empty());
    CHECK(error.rfind("reprise: restore " + newer + ": ", 0) == 0);
    CHECK_FALSE(contains(stderr_text, "older generation"));
    CHECK(reprise_test::files_ending(dir, ".ckpt").size() == 2);
}

} // namespace

// ---- run parameters --------------------------------------------------------------------------

namespace {

struct Attempt {
    bool restored = false;
    std::string error; // restore()'s, "" when it did not throw
    std::string stderr_text;
    std::uint64_t step = 0;
};

// Restores save_two_generations()'s checkpoint into the same variables, after `record`
// recorded this run's parameters.
template <class Record>
Attempt restore_with(const std::string& dir, Record&& record) {
    Attempt a;
    std::vector<std::int32_t> field;
    StderrCapture err;
    {
        Checkpointer c(options_for(dir, RestorePolicy::always));
        c.track("step", a.step).track("field", field);
        record(c);
        a.error = error_of([&] { a.restored = c.restore(); });
    }
    a.stderr_text = err.stop();
    return a;
}

} // namespace

TEST_CASE("the same run parameters restore", "[changes][parameters][restore]") {
    reprise_test::clear_environment();
    TempDir dir;
    save_two_generations(dir.path());
    // Recorded in another order, and with other integer types of the same value.
    const Attempt a = restore_with(dir.path(), [](Checkpointer& c) {
        c.parameter("dt", 0.1).parameter("mesh", std::uint16_t{30});
    });
    INFO(a.error);
    CHECK(a.restored);
    CHECK(a.step == 4);
}

TEST_CASE("a checkpoint of other run parameters is refused naming each and both values",
          "[changes][parameters][restore][mismatch][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    const std::string newer = save_two_generations(dir.path());
    SECTION("an integer") {
        const Attempt a = restore_with(dir.path(), [](Checkpointer& c) {
            c.parameter("mesh", 20).parameter("dt", 0.1);
        });
        check_refused(dir.path(), a.error, a.stderr_text, newer);
        CHECK(contains(a.error, "other parameters: 'mesh' was 30 in the checkpoint, is 20 in this run."));
        CHECK(contains(a.error, "REPRISE_RESTORE=never"));
        CHECK(a.step == 0);
    }
    SECTION("a double one unit in the last place away, both printed exactly") {
        const Attempt a = restore_with(dir.path(), [](Checkpointer& c) {
            c.parameter("mesh", 30).parameter("dt", std::nextafter(0.1, 1.0));
        });
        check_refused(dir.path(), a.error, a.stderr_text, newer);
        CHECK(contains(a.error, "'dt' was 0.10000000000000001 in the checkpoint, is "
                                "0.10000000000000002 in this run"));
    }
    SECTION("a parameter of another kind") {
        const Attempt a = restore_with(dir.path(), [](Checkpointer& c) {
            c.parameter("mesh", 30.0).parameter("dt", 0.1);
        });
        check_refused(dir.path(), a.error, a.stderr_text, newer);
        CHECK(contains(a.error, "'mesh' was 30 (integer) in the checkpoint, is 30 (floating point) "
                                "in this run"));
    }
    SECTION("a parameter the checkpoint lacks, and one this run does not record") {
        const Attempt a = restore_with(dir.path(), [](Checkpointer& c) {
            c.parameter("mesh", 30).parameter("scheme", "upwind");
        });
        check_refused(dir.path(), a.error, a.stderr_text, newer);
        CHECK(contains(a.error, "'scheme' is \"upwind\" in this run and not in the checkpoint"));
        CHECK(contains(a.error, "'dt' was 0.10000000000000001 in the checkpoint and this run does "
                                "not record it"));
        CHECK_FALSE(contains(a.error, "'mesh'"));
    }
    SECTION("no parameter recorded at all") {
        const Attempt a = restore_with(dir.path(), [](Checkpointer&) {});
        check_refused(dir.path(), a.error, a.stderr_text, newer);
        CHECK(contains(a.error, "'mesh' was 30 in the checkpoint and this run does not record it"));
        CHECK(contains(a.error, "'dt' was 0.10000000000000001"));
    }
}

TEST_CASE("strings and booleans are run parameters too", "[changes][parameters][restore]") {
    reprise_test::clear_environment();
    TempDir dir;
    {
        int x = 1;
        Checkpointer c(options_for(dir.path()));
        c.track("x", x).parameter("input", std::string("mesh-a.dat")).parameter("periodic", true);
        c.save();
    }
    auto attempt = [&](const char* input, bool periodic) {
        int x = 0;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("x", x).parameter("input", input).parameter("periodic", periodic);
        bool restored = false;
        const std::string error = error_of([&] { restored = c.restore(); });
        CHECK(restored == error.empty());
        return error;
    };
    CHECK(attempt("mesh-a.dat", true).empty());
    CHECK(contains(attempt("mesh-b.dat", true),
                   "'input' was \"mesh-a.dat\" in the checkpoint, is \"mesh-b.dat\" in this run"));
    CHECK(contains(attempt("mesh-a.dat", false), "'periodic' was true in the checkpoint, is false"));
}

TEST_CASE("parameter() refuses an empty or duplicate name and a call after restore()",
          "[changes][parameters][api][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    CHECK(contains(error_of([&] { c.parameter("", 1); }), "reprise: parameter(): a parameter needs a "
                                                           "non-empty name"));
    c.parameter("mesh", 30);
    CHECK(contains(error_of([&] { c.parameter("mesh", 31); }),
                   "reprise: parameter(\"mesh\"): a parameter of that name is already recorded"));
    c.restore();
    CHECK(contains(error_of([&] { c.parameter("dt", 0.1); }),
                   "reprise: parameter(\"dt\") after restore()"));
}

