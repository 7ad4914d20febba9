// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// A program that changed between runs: the types of its variables, its run parameters,
// the variables it tracks. Each test saves a real checkpoint with one program's
// variables and restores it into another's: a change restore() must refuse (naming what
// changed, never falling back to an older generation: a different program is not a
// damaged file), or one the program declared (reprise::any_type, reprise::new_variable,
// a cereal class version). Files of format version 1, which recorded no types, still
// restore.

#include "catch.hpp"
#include "support.hpp"
#include "unit/checkpoint_bytes.hpp"

#include <reprise/reprise.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <typeinfo>
#include <vector>

// As tests/worker.cpp's "particles-v0" saves it at cereal class version 0 (x, y); this
// build's version 1 added the mass, which a version 0 file does not hold.
namespace reprise_types_test {
struct Particle {
    double x = 0.0, y = 0.0, mass = 0.0;
    template <class Archive>
    void serialize(Archive& ar, std::uint32_t version) {
        ar(x, y);
        if (version >= 1)
            ar(mass);
        else
            mass = 1.0; // the only mass version 0 knew
    }
};
} // namespace reprise_types_test
CEREAL_CLASS_VERSION(reprise_types_test::Particle, 1)

namespace {

using reprise::Checkpointer;
using reprise::RestorePolicy;
using reprise_test::StderrCapture;
using reprise_test::TempDir;
using reprise_test::contains;
using reprise_test::error_of;
using reprise_test::options_for;
using reprise_types_test::Particle;


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

// ---- types ----------------------------------------------------------------------------------

TEST_CASE("a variable restored into another type is refused naming it and both types",
          "[changes][restore][mismatch][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    const std::string newer = save_two_generations(dir.path());
    // The program rebuilt with other types: before format 2 this restored "successfully",
    // with step = 4.94e-321 (the bits of 1000 as a double) and a field of tiny floats.
    double step = -1.0;
    std::vector<float> field{-1.0f};
    std::string error;
    StderrCapture err;
    {
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step).track("field", field).parameter("mesh", 30).parameter("dt", 0.1);
        error = error_of([&] { c.restore(); });
        CHECK(c.generation() == 0);
    }
    check_refused(dir.path(), error, err.stop(), newer);
    // unsigned long on LP64 Linux, unsigned long long where std::uint64_t is that.
    CHECK(contains(error, "variable 'step' was saved as unsigned long"));
    CHECK(contains(error, ", the program tracks it as double"));
    CHECK(contains(error, "variable 'field' was saved as std::vector<int, std::allocator<int> >, "
                          "the program tracks it as std::vector<float, std::allocator<float> >"));
    CHECK(contains(error, "reprise::any_type"));
    CHECK(step == -1.0);
    CHECK(field == std::vector<float>{-1.0f});
}

TEST_CASE("a variable of the same size but another type is refused", "[changes][restore][mismatch]") {
    reprise_test::clear_environment();
    TempDir dir;
    const std::string newer = save_two_generations(dir.path());
    // Same bytes, same length: nothing but the recorded type tells them apart.
    std::int64_t step = 0;
    std::vector<std::uint32_t> field;
    std::string error;
    StderrCapture err;
    {
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step).track("field", field).parameter("mesh", 30).parameter("dt", 0.1);
        error = error_of([&] { c.restore(); });
    }
    check_refused(dir.path(), error, err.stop(), newer);
    CHECK(contains(error, "the program tracks it as long"));
    CHECK(contains(error, "the program tracks it as std::vector<unsigned int"));
    CHECK(step == 0);
}

// A field saved as floats, now kept as doubles by a class whose load reads the floats.
struct WideField {
    std::vector<double> values;
    template <class Archive>
    void save(Archive& ar) const {
        ar(std::vector<float>(values.begin(), values.end()));
    }
    template <class Archive>
    void load(Archive& ar) {
        std::vector<float> narrow;
        ar(narrow);
        values.assign(narrow.begin(), narrow.end());
    }
};

TEST_CASE("reprise::any_type lets an intended type change restore", "[changes][restore][escape]") {
    reprise_test::clear_environment();
    TempDir dir;
    {
        std::vector<float> field{0.5f, 1.5f, -2.0f};
        Checkpointer c(options_for(dir.path()));
        c.track("field", field);
        c.save();
    }
    SECTION("without it the change is refused") {
        WideField field;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("field", field);
        const std::string error = error_of([&] { c.restore(); });
        CHECK(contains(error, "variable 'field' was saved as std::vector<float"));
        CHECK(contains(error, "the program tracks it as WideField"));
        CHECK(field.values.empty());
    }
    SECTION("with it the new type loads the old one's bytes, and later saves record it") {
        {
            WideField field;
            Checkpointer c(options_for(dir.path(), RestorePolicy::always));
            c.track("field", field, reprise::any_type);
            REQUIRE(c.restore());
            CHECK(field.values == std::vector<double>{0.5, 1.5, -2.0});
            field.values.push_back(4.0);
            c.save();
        }
        // The new generation holds a WideField: the exact type, no flag needed any more.
        WideField field;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("field", field);
        REQUIRE(c.restore());
        CHECK(field.values == std::vector<double>{0.5, 1.5, -2.0, 4.0});
    }
}

TEST_CASE("a class saved at an earlier cereal class version restores without a flag",
          "[changes][restore][versions]") {
    reprise_test::clear_environment();
    TempDir dir;
    // Another program, an earlier build: Particle at class version 0.
    reprise_test::Child earlier =
        reprise_test::start_worker(dir, {"particles-v0", "3"}, {{"REPRISE_NAME", "particles"}});
    CHECK(earlier.expect_line("saved gen=") == "saved gen=1");
    const int status = earlier.wait();
    INFO(earlier.stderr_text());
    REQUIRE(reprise_test::exited_with(status, 0));

    {
        std::uint64_t step = 0;
        std::vector<Particle> particles;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always, "particles"));
        c.track("step", step).track("particles", particles);
        REQUIRE(c.restore());
        CHECK(step == 3);
        REQUIRE(particles.size() == 3);
        for (std::size_t k = 0; k < particles.size(); ++k) {
            CHECK(particles[k].x == static_cast<double>(k));
            CHECK(particles[k].y == -static_cast<double>(k));
            CHECK(particles[k].mass == 1.0); // version 0's: load() saw version 0
        }
        // Saved again, at version 1, with the masses.
        particles[1].mass = 7.5;
        c.save();
    }
    std::uint64_t step = 0;
    std::vector<Particle> particles;
    Checkpointer c(options_for(dir.path(), RestorePolicy::always, "particles"));
    c.track("step", step).track("particles", particles);
    REQUIRE(c.restore());
    REQUIRE(particles.size() == 3);
    CHECK(particles[0].mass == 1.0);
    CHECK(particles[1].mass == 7.5);
}

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

// ---- variables the program gained ------------------------------------------------------------

TEST_CASE("a variable tracked with reprise::new_variable keeps its value when the checkpoint "
          "lacks it", "[changes][restore][escape][new-variable]") {
    reprise_test::clear_environment();
    TempDir dir;
    const std::string newer = save_two_generations(dir.path());
    std::uint64_t step = 0;
    std::vector<std::int32_t> field;
    double energy = 12.5;
    std::vector<int> seen{7};
    auto options = options_for(dir.path(), RestorePolicy::always);
    options.quiet = false; // the restore's line says what was kept
    StderrCapture err;
    {
        Checkpointer c(options);
        c.track("step", step).track("field", field).parameter("mesh", 30).parameter("dt", 0.1);
        c.track("energy", energy, reprise::new_variable);
        c.track("seen", seen, reprise::new_variable | reprise::any_type);
        REQUIRE(c.restore());
        CHECK(c.generation() == 2);
    }
    const std::string text = err.stop();
    INFO(text);
    CHECK(step == 4);
    CHECK(field == std::vector<std::int32_t>{4, 5, 6});
    CHECK(energy == 12.5);
    CHECK(seen == std::vector<int>{7});
    CHECK(contains(text, "reprise: restored generation 2 "));
    CHECK(contains(text, "from " + newer + "; 'energy', 'seen' not in the checkpoint, kept their values\n"));
}

TEST_CASE("a variable tracked with reprise::new_variable that the checkpoint has is restored",
          "[changes][restore][escape][new-variable]") {
    reprise_test::clear_environment();
    TempDir dir;
    save_two_generations(dir.path());
    std::uint64_t step = 0;
    std::vector<std::int32_t> field;
    auto options = options_for(dir.path(), RestorePolicy::always);
    options.quiet = false;
    StderrCapture err;
    {
        Checkpointer c(options);
        c.track("step", step, reprise::new_variable).track("field", field);
        c.parameter("mesh", 30).parameter("dt", 0.1);
        REQUIRE(c.restore());
    }
    const std::string text = err.stop();
    CHECK(step == 4);
    CHECK_FALSE(contains(text, "kept"));
}

TEST_CASE("a variable the checkpoint lacks is refused without reprise::new_variable, saying how "
          "to accept it", "[changes][restore][mismatch][new-variable]") {
    reprise_test::clear_environment();
    TempDir dir;
    const std::string newer = save_two_generations(dir.path());
    const Attempt a = restore_with(dir.path(), [](Checkpointer& c) {
        static double energy = 12.5;
        c.track("energy", energy).parameter("mesh", 30).parameter("dt", 0.1);
    });
    check_refused(dir.path(), a.error, a.stderr_text, newer);
    CHECK(contains(a.error, "tracked but not in the checkpoint: energy; in the checkpoint but "
                            "not tracked: none"));
    CHECK(contains(a.error, "track it with reprise::new_variable"));
}

// ---- format version 1 ---------------------------------------------------------------------------

namespace {

// Rewrites the checkpoint at `path` (format 3, written by this library) as format version 1
// wrote it: the same preamble, header fields and payload, but no type per variable and no
// parameters. Encoded from the layout (tests/unit/checkpoint_bytes.hpp), not by the
// library's encoder.
void rewrite_as_version_1(const std::string& dir, const std::string& name) {
    namespace d = reprise::detail;
    const d::Directory directory(dir);
    d::VerifiedCheckpoint file;
    std::string why;
    REQUIRE(d::read_checkpoint(directory, name, file, why));
    REQUIRE(file.format_version == reprise::detail::kFormatVersion);
    const std::string path = dir + "/" + name;
    const std::string payload =
        reprise_test::read_file(path).substr(file.payload_offset, file.payload_size);
    // The same payload; the header block, preamble and trailer of version 1.
    const std::string out =
        reprise_unit::assemble(1, reprise_unit::version_1_block(file.header), payload);
    reprise_test::write_file(path, out);
}

} // namespace

TEST_CASE("a checkpoint of format version 1 still restores, without a type check",
          "[changes][restore][format]") {
    reprise_test::clear_environment();
    TempDir dir;
    const std::string stem = "t.local.0000000001.ckpt";
    {
        std::uint64_t step = 41;
        std::vector<std::int32_t> field{1, -2, 3};
        Checkpointer c(options_for(dir.path()));
        c.track("step", step).track("field", field);
        c.save();
    }
    rewrite_as_version_1(dir.path(), stem);
    REQUIRE(reprise_test::read_file(dir / stem).substr(8, 1) == std::string(1, '\1'));
    SECTION("the same program restores it") {
        std::uint64_t step = 0;
        std::vector<std::int32_t> field;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step).track("field", field);
        REQUIRE(c.restore());
        CHECK(step == 41);
        CHECK(field == std::vector<std::int32_t>{1, -2, 3});
        // Its next save is of the current format, with the types.
        c.save();
        const reprise::detail::Directory directory(dir.path());
        reprise::detail::VerifiedCheckpoint file;
        std::string why;
        REQUIRE(reprise::detail::read_checkpoint(directory, "t.local.0000000002.ckpt", file, why));
        CHECK(file.format_version == reprise::detail::kFormatVersion);
        CHECK(file.header.variables.at(0).type == typeid(std::uint64_t).name());
    }
    SECTION("a program that records a parameter refuses it: version 1 recorded none") {
        std::uint64_t step = 0;
        std::vector<std::int32_t> field;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step).track("field", field).parameter("mesh", 30);
        CHECK(contains(error_of([&] { c.restore(); }),
                       "'mesh' is 30 in this run and not in the checkpoint"));
        CHECK(step == 0);
    }
}
