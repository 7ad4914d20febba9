// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Damaged, foreign and hostile checkpoint files. Every test writes two real generations
// with save(), damages files on disk the way a crash, a disk or a person would, and checks
// what restore() does: fall back to the older generation and say why, or throw listing
// every file and why it was rejected, or refuse a different program's checkpoint outright.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>
#include <reprise/detail/format.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <valarray>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

using reprise::Checkpointer;
using reprise::RestorePolicy;
using reprise_test::ScopedEnv;
using reprise_test::contains;
using reprise_test::options_for;
using reprise_test::StderrCapture;
using reprise_test::TempDir;
using Env = std::map<std::string, std::string>;

// The state the tests save: a counter, a field and a label.
struct State {
    std::uint64_t step = 999;
    std::vector<double> field{-1.0};
    std::string tag = "untouched";

    bool operator==(const State& o) const {
        return step == o.step && field == o.field && tag == o.tag;
    }
};

State state_of_generation(std::uint64_t g) {
    State s;
    s.step = g;
    s.field.resize(5000);
    for (std::size_t i = 0; i < s.field.size(); ++i)
        s.field[i] = static_cast<double>(g) * 1000.0 + static_cast<double>(i) / 7.0;
    s.tag = "generation-" + std::to_string(g);
    return s;
}

struct Generations {
    std::string older; // path of generation 1
    std::string newer; // path of generation 2
};

// Saves generations 1 and 2 of job "t" (run by hand) in `dir`.
Generations save_two_generations(const std::string& dir, const std::string& name = "t") {
    State s;
    Checkpointer c(options_for(dir, RestorePolicy::automatic, name));
    c.track("step", s.step).track("field", s.field).track("tag", s.tag);
    s = state_of_generation(1);
    c.save();
    s = state_of_generation(2);
    c.save();
    REQUIRE(reprise_test::files_ending(dir, ".ckpt").size() == 2);
    return {c.path_of_generation(1), c.path_of_generation(2)};
}

struct Outcome {
    bool loaded = false;
    State state;
    std::uint64_t generation = 0;
    std::string error;  // the reprise::Error's message, "" when none
    std::string stderr_text;
};

// A restart (policy always) of the program that saved: same variables.
Outcome restore_state(const std::string& dir) {
    Outcome out;
    StderrCapture err;
    {
        Checkpointer c(options_for(dir, RestorePolicy::always));
        c.track("step", out.state.step).track("field", out.state.field).track("tag", out.state.tag);
        try {
            out.loaded = c.restore();
        } catch (const reprise::Error& e) {
            out.error = e.what();
        }
        out.generation = c.generation();
    }
    out.stderr_text = err.stop();
    return out;
}

// The older generation was restored, exactly, and the rejection of the newer one was
// reported on stderr with the file's path and `reason`.
void check_fell_back(const Outcome& r, const Generations& g, const std::string& reason) {
    INFO("stderr: " << r.stderr_text);
    INFO("error: " << r.error);
    REQUIRE(r.error.empty());
    CHECK(r.loaded);
    CHECK(r.generation == 1);
    CHECK(r.state == state_of_generation(1));
    CHECK(contains(r.stderr_text, "restoring the older generation 1"));
    CHECK(contains(r.stderr_text, g.newer + ": "));
    CHECK(contains(r.stderr_text, reason));
}

std::uint64_t get_le(const std::string& bytes, std::size_t offset, int size) {
    std::uint64_t v = 0;
    for (int i = size - 1; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(bytes.at(offset + static_cast<std::size_t>(i)));
    return v;
}

void put_le(std::string& bytes, std::size_t offset, std::uint64_t v, int size) {
    for (int i = 0; i < size; ++i)
        bytes.at(offset + static_cast<std::size_t>(i)) = static_cast<char>((v >> (8 * i)) & 0xff);
}

// The file format's layout (include/reprise/detail/format.hpp): a 32-byte preamble with the
// header length at 12 (u32), the payload offset at 16 and the payload length at 24 (u64).
constexpr std::size_t kHeaderLengthAt = 12;
constexpr std::size_t kPayloadOffsetAt = 16;
constexpr std::size_t kPayloadLengthAt = 24;
constexpr std::size_t kHeaderAt = 32;

// Rewrites the header checksum after the header was edited: a hostile file, not a torn one.
void reseal_header(std::string& bytes) {
    const auto header_end = kHeaderAt + get_le(bytes, kHeaderLengthAt, 4);
    put_le(bytes, header_end, XXH3_64bits(bytes.data(), header_end), 8);
}

// Rewrites the payload's checksums after the payload was edited (format 3: the chunk table
// and, in the trailer, the table's checksum), so that the edit reaches the decoder.
void reseal_payload(std::string& bytes) {
    namespace d = reprise::detail;
    const auto payload_at = static_cast<std::size_t>(get_le(bytes, kPayloadOffsetAt, 8));
    const auto payload_size = static_cast<std::size_t>(get_le(bytes, kPayloadLengthAt, 8));
    const std::string tail = d::encode_file_tail(d::hash_chunks(bytes.data() + payload_at, payload_size));
    REQUIRE(bytes.size() == payload_at + payload_size + tail.size());
    bytes.replace(payload_at + payload_size, tail.size(), tail);
}

// Offset of the variable count in the header: after generation, time, pid and four strings.
std::size_t variable_count_at(const std::string& bytes) {
    std::size_t p = kHeaderAt + 8 + 8 + 4;
    for (int s = 0; s < 4; ++s) p += 4 + get_le(bytes, p, 4);
    return p;
}

void flip_bit(const std::string& path, std::size_t offset, int bit = 0) {
    std::string bytes = reprise_test::read_file(path);
    REQUIRE(offset < bytes.size());
    bytes[offset] = static_cast<char>(bytes[offset] ^ (1 << bit));
    reprise_test::write_file(path, bytes);
}

} // namespace

// ---- the newest generation damaged: the older one is restored ---------------------------

TEST_CASE("a truncated newest generation falls back to the older one", "[restore][corruption]") {
    reprise_test::clear_environment();
    TempDir probe;
    const std::size_t full = reprise_test::read_file(save_two_generations(probe.path()).newer).size();
    // Cut inside the preamble, the header, the padding, the payload and the trailer.
    for (const std::size_t keep : {std::size_t(10), std::size_t(40), std::size_t(100),
                                   std::size_t(4095), std::size_t(4096), full / 2, full - 9,
                                   full - 1}) {
        INFO("truncated to " << keep << " of " << full << " bytes");
        TempDir dir;
        const Generations g = save_two_generations(dir.path());
        REQUIRE(::truncate(g.newer.c_str(), static_cast<off_t>(keep)) == 0);
        check_fell_back(restore_state(dir.path()), g, "truncated");
    }
}

TEST_CASE("a bit flip in the payload of the newest generation falls back to the older one",
          "[restore][corruption]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    const std::string bytes = reprise_test::read_file(g.newer);
    const auto payload_at = get_le(bytes, kPayloadOffsetAt, 8);
    const auto payload_size = get_le(bytes, kPayloadLengthAt, 8);
    REQUIRE(payload_size > 100);
    flip_bit(g.newer, static_cast<std::size_t>(payload_at + payload_size / 2), 3);
    check_fell_back(restore_state(dir.path()), g, "payload checksum");
}

TEST_CASE("a bit flip deep in a payload of many small values, in what the restore's read-ahead "
          "thread reads, falls back to the older one exactly",
          "[restore][corruption][readahead]") {
    // 20000 vectors of 100 doubles (16 MiB, each far below a chunk): the restore reads them
    // through its 1 MiB buffer, the chunks from the third MiB on loaded by the read-ahead
    // thread while the decoder takes the ones before.
    using Many = std::map<std::string, std::vector<double>>;
    auto many_of = [](std::uint64_t g) {
        Many m;
        for (int k = 0; k < 20000; ++k) {
            std::vector<double> v(100);
            for (std::size_t j = 0; j < v.size(); ++j)
                v[j] = static_cast<double>(g) * 1e6 + k * 100.0 + static_cast<double>(j);
            m.emplace("v" + std::to_string(k), std::move(v));
        }
        return m;
    };
    auto restore_many = [](const std::string& dir, Many& m, std::string& err_text) {
        StderrCapture err;
        std::uint64_t g = 0;
        {
            Checkpointer c(options_for(dir, RestorePolicy::always));
            c.track("many", m);
            REQUIRE(c.restore());
            g = c.generation();
        }
        err_text = err.stop();
        return g;
    };
    reprise_test::clear_environment();
    TempDir dir;
    std::string newer;
    {
        Many m;
        Checkpointer c(options_for(dir.path(), RestorePolicy::automatic));
        c.track("many", m);
        m = many_of(1);
        c.save();
        m = many_of(2);
        c.save();
        newer = c.path_of_generation(2);
    }
    Many restored;
    std::string err_text;
    CHECK(restore_many(dir.path(), restored, err_text) == 2);
    CHECK(restored == many_of(2));
    CHECK_FALSE(contains(err_text, "warning"));

    const std::string bytes = reprise_test::read_file(newer);
    const auto payload_at = get_le(bytes, kPayloadOffsetAt, 8);
    REQUIRE(get_le(bytes, kPayloadLengthAt, 8) > (std::uint64_t(6) << 20));
    flip_bit(newer, static_cast<std::size_t>(payload_at + (std::uint64_t(5) << 20) + 17), 2);
    restored.clear();
    CHECK(restore_many(dir.path(), restored, err_text) == 1);
    INFO(err_text);
    CHECK(restored == many_of(1));
    CHECK(contains(err_text, "restoring the older generation 1"));
    CHECK(contains(err_text, newer + ": payload checksum mismatch (chunk 81 of "));
}

TEST_CASE("a bit flip in the header of the newest generation falls back to the older one",
          "[restore][corruption]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    // Byte 8 of the header: the low byte of the save time.
    flip_bit(g.newer, kHeaderAt + 8, 0);
    check_fell_back(restore_state(dir.path()), g, "header checksum");
}

TEST_CASE("a damaged header checksum, padding, trailer or format version falls back",
          "[restore][corruption]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    std::string bytes = reprise_test::read_file(g.newer);
    const auto header_end = kHeaderAt + get_le(bytes, kHeaderLengthAt, 4);
    std::string reason;
    SECTION("the stored header checksum") {
        bytes[header_end + 3] = static_cast<char>(bytes[header_end + 3] ^ 0x10);
        reason = "header checksum";
    }
    SECTION("a padding byte after the header") {
        bytes[header_end + 8] = 'x';
        reason = "corrupt padding";
    }
    SECTION("the end marker of the trailer") {
        bytes[bytes.size() - 2] = 'X';
        reason = "corrupt trailer";
    }
    SECTION("the stored payload checksum") {
        bytes[bytes.size() - 16] = static_cast<char>(bytes[bytes.size() - 16] ^ 1);
        reason = "payload checksum";
    }
    SECTION("the format version") {
        put_le(bytes, 8, reprise::detail::kNewestFormatVersion + 1, 4);
        reason = "format version " + std::to_string(reprise::detail::kNewestFormatVersion + 1);
    }
    SECTION("the magic number") {
        bytes[0] = 'r';
        reason = "no magic number";
    }
    reprise_test::write_file(g.newer, bytes);
    check_fell_back(restore_state(dir.path()), g, reason);
}

TEST_CASE("another job's checkpoint copied under this job's file name is rejected",
          "[restore][corruption][job]") {
    reprise_test::clear_environment();
    TempDir dir, elsewhere;
    const Generations g = save_two_generations(dir.path());
    SECTION("another job of the same checkpoint name") {
        Generations foreign;
        {
            ScopedEnv env(Env{{"SLURM_JOB_ID", "77"}});
            foreign = save_two_generations(elsewhere.path());
        }
        reprise_test::write_file(g.newer, reprise_test::read_file(foreign.newer));
        check_fell_back(restore_state(dir.path()), g, "belongs to job slurm-77");
    }
    SECTION("another checkpoint name of the same job") {
        const Generations foreign = save_two_generations(elsewhere.path(), "other");
        reprise_test::write_file(g.newer, reprise_test::read_file(foreign.newer));
        check_fell_back(restore_state(dir.path()), g, "belongs to job local of checkpoint 'other'");
    }
}

TEST_CASE("a generation copied under a newer generation's name is rejected",
          "[restore][corruption]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    // Generation 2 renamed as generation 3, generation 1 renamed as generation 2: neither
    // is what its name says; nothing valid is left.
    const std::string third = dir / "t.local.0000000003.ckpt";
    REQUIRE(std::rename(g.newer.c_str(), third.c_str()) == 0);
    REQUIRE(std::rename(g.older.c_str(), g.newer.c_str()) == 0);
    const Outcome r = restore_state(dir.path());
    INFO(r.error);
    CHECK_FALSE(r.loaded);
    CHECK(contains(r.error, third + ": holds generation 2 but is named for generation 3"));
    CHECK(contains(r.error, g.newer + ": holds generation 1 but is named for generation 2"));
    CHECK(r.state == State{});
}

TEST_CASE("a newest generation of garbage bytes falls back to the older one",
          "[restore][corruption]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    std::string garbage(20000, '\0');
    std::uint32_t x = 12345;
    for (auto& ch : garbage) {
        x = x * 1664525u + 1013904223u;
        ch = static_cast<char>(x >> 24);
    }
    reprise_test::write_file(g.newer, garbage);
    check_fell_back(restore_state(dir.path()), g, "not a reprise checkpoint");
}

TEST_CASE("an empty newest generation falls back to the older one", "[restore][corruption]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    reprise_test::write_file(g.newer, "");
    check_fell_back(restore_state(dir.path()), g, "empty file");
}

TEST_CASE("a symbolic link as the newest generation is not followed", "[restore][corruption][security]") {
    reprise_test::clear_environment();
    TempDir dir, outside;
    const Generations g = save_two_generations(dir.path());
    // A valid checkpoint of this very job, reached through a link: still refused.
    const std::string victim = outside / "victim";
    REQUIRE(std::rename(g.newer.c_str(), victim.c_str()) == 0);
    REQUIRE(::symlink(victim.c_str(), g.newer.c_str()) == 0);
    const std::string victim_bytes = reprise_test::read_file(victim);
    check_fell_back(restore_state(dir.path()), g, "cannot open");
    // A save of the restarted run replaces the link; the file it pointed to is untouched.
    {
        State s;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", s.step).track("field", s.field).track("tag", s.tag);
        StderrCapture err; // the warning about the link, already checked above
        REQUIRE(c.restore());
        err.stop();
        c.save();
        c.save();
    }
    CHECK(reprise_test::read_file(victim) == victim_bytes);
    struct stat st {};
    CHECK(::lstat(g.newer.c_str(), &st) != 0); // generation 2 is gone, link and all
    CHECK(reprise_test::files_ending(dir.path(), ".ckpt") ==
          std::vector<std::string>{"t.local.0000000003.ckpt", "t.local.0000000004.ckpt"});
}

TEST_CASE("after falling back, the next save supersedes the rejected generation",
          "[restore][corruption][generations]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    REQUIRE(::truncate(g.newer.c_str(), 100) == 0);
    {
        State s;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", s.step).track("field", s.field).track("tag", s.tag);
        StderrCapture err;
        REQUIRE(c.restore());
        err.stop();
        CHECK(c.generation() == 1);
        CHECK(s == state_of_generation(1));
        s = state_of_generation(3);
        c.save();
        CHECK(c.generation() == 3);
    }
    // The restored generation is the fallback; the corrupt one is gone.
    CHECK(reprise_test::files_ending(dir.path(), ".ckpt") ==
          std::vector<std::string>{"t.local.0000000001.ckpt", "t.local.0000000003.ckpt"});
    const Outcome r = restore_state(dir.path());
    CHECK(r.loaded);
    CHECK(r.generation == 3);
    CHECK(r.state == state_of_generation(3));
    CHECK_FALSE(contains(r.stderr_text, "warning"));
}

// ---- nothing valid: restore() throws listing every file ---------------------------------

TEST_CASE("when both generations are bad restore() throws listing each file and why",
          "[restore][corruption][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    REQUIRE(::truncate(g.newer.c_str(), 5000) == 0);
    reprise_test::write_file(g.older, "this is not a checkpoint at all, but it is long enough to be read");
    const Outcome r = restore_state(dir.path());
    INFO(r.error);
    CHECK_FALSE(r.loaded);
    CHECK(r.error.rfind("reprise: restore", 0) == 0);
    CHECK(contains(r.error, "no valid checkpoint"));
    CHECK(contains(r.error, dir.path()));
    CHECK(contains(r.error, g.newer + ": truncated"));
    CHECK(contains(r.error, g.older + ": not a reprise checkpoint"));
    // Newest first, as they were tried.
    CHECK(r.error.find(g.newer) < r.error.find(g.older));
    CHECK(r.state == State{});
    CHECK(r.generation == 0);
}

TEST_CASE("when the only generation is empty restore() throws naming it",
          "[restore][corruption][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    REQUIRE(std::remove(g.older.c_str()) == 0);
    reprise_test::write_file(g.newer, "");
    const Outcome r = restore_state(dir.path());
    CHECK(contains(r.error, g.newer + ": empty file"));
    CHECK(r.state == State{});
}

// ---- a different program's checkpoint: throw, never fall back -----------------------------

TEST_CASE("a checkpoint of another program is refused naming the missing and extra variables",
          "[restore][mismatch][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    std::uint64_t step = 999;
    std::vector<double> field{-1.0};
    std::string label = "untouched";
    std::string error;
    StderrCapture err;
    {
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step).track("field", field).track("label", label);
        try {
            c.restore();
        } catch (const reprise::Error& e) {
            error = e.what();
        }
        CHECK(c.generation() == 0);
    }
    const std::string text = err.stop();
    INFO(error);
    INFO(text);
    REQUIRE_FALSE(error.empty());
    CHECK(error.rfind("reprise: restore " + g.newer, 0) == 0);
    CHECK(contains(error, "tracked but not in the checkpoint: label"));
    CHECK(contains(error, "in the checkpoint but not tracked: tag"));
    // Not a corrupt file: no fallback to the older generation, no variable touched.
    CHECK_FALSE(contains(text, "older generation"));
    CHECK_FALSE(contains(error, g.older));
    CHECK(step == 999);
    CHECK(field == std::vector<double>{-1.0});
    CHECK(label == "untouched");
    // Both generations are still there for the right program.
    CHECK(reprise_test::files_ending(dir.path(), ".ckpt").size() == 2);
}

TEST_CASE("a checkpoint with fewer or more variables than the program is refused",
          "[restore][mismatch][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    save_two_generations(dir.path());
    SECTION("the program tracks one more") {
        State s;
        int extra = 0;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", s.step).track("field", s.field).track("tag", s.tag).track("extra", extra);
        try {
            c.restore();
            FAIL("restore() accepted the checkpoint");
        } catch (const reprise::Error& e) {
            const std::string what = e.what();
            CHECK(contains(what, "tracked but not in the checkpoint: extra"));
            CHECK(contains(what, "in the checkpoint but not tracked: none"));
        }
        CHECK(s == State{});
    }
    SECTION("the program tracks two fewer") {
        std::uint64_t step = 999;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step);
        try {
            c.restore();
            FAIL("restore() accepted the checkpoint");
        } catch (const reprise::Error& e) {
            const std::string what = e.what();
            CHECK(contains(what, "tracked but not in the checkpoint: none"));
            CHECK(contains(what, "in the checkpoint but not tracked: field, tag"));
        }
        CHECK(step == 999);
    }
}

TEST_CASE("a variable whose type changed is refused naming it", "[restore][mismatch][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    save_two_generations(dir.path());
    SECTION("saved as std::string, restored as std::vector<double>") {
        std::uint64_t step = 0;
        std::vector<double> field;
        std::vector<double> tag;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step).track("field", field).track("tag", tag);
        try {
            c.restore();
            FAIL("restore() accepted a string as a vector");
        } catch (const reprise::Error& e) {
            const std::string what = e.what();
            CHECK(what.rfind("reprise: restore " + c.path_of_generation(2), 0) == 0);
            CHECK(contains(what, "variable 'tag'"));
            CHECK(contains(what, "type"));
        }
    }
    SECTION("saved as std::uint64_t, restored as std::uint32_t") {
        std::uint32_t step = 0;
        std::vector<double> field;
        std::string tag;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("step", step).track("field", field).track("tag", tag);
        try {
            c.restore();
            FAIL("restore() accepted a uint64 as a uint32");
        } catch (const reprise::Error& e) {
            const std::string what = e.what();
            CHECK(contains(what, "variable 'step'"));
            CHECK(contains(what, "type"));
        }
    }
}

// ---- hostile lengths: rejected without allocating what they claim ---------------------------

TEST_CASE("a preamble claiming huge lengths is rejected without allocating",
          "[restore][corruption][hostile]") {
    reprise_test::clear_environment();
    struct Patch {
        const char* what;
        std::size_t at;
        std::uint64_t value;
        int size;
    };
    const Patch patches[] = {
        {"payload length 2^60", kPayloadLengthAt, std::uint64_t(1) << 60, 8},
        {"payload length 2^63", kPayloadLengthAt, std::uint64_t(1) << 63, 8},
        {"payload length 2^64-1", kPayloadLengthAt, ~std::uint64_t(0), 8},
        {"payload offset 2^60", kPayloadOffsetAt, std::uint64_t(1) << 60, 8},
        {"payload offset 2^64-4096", kPayloadOffsetAt, ~std::uint64_t(4095), 8},
        {"header length 2^32-1", kHeaderLengthAt, 0xffffffffu, 4},
        {"header length 2^26", kHeaderLengthAt, std::uint64_t(1) << 26, 4},
    };
    for (const auto& patch : patches) {
        INFO(patch.what);
        TempDir dir;
        const Generations g = save_two_generations(dir.path());
        std::string bytes = reprise_test::read_file(g.newer);
        put_le(bytes, patch.at, patch.value, patch.size);
        reprise_test::write_file(g.newer, bytes);
        const Outcome r = restore_state(dir.path());
        INFO(r.stderr_text);
        CHECK(r.error.empty());
        CHECK(r.loaded);
        CHECK(r.generation == 1);
        CHECK(r.state == state_of_generation(1));
        CHECK(contains(r.stderr_text, g.newer + ": "));
    }
}

TEST_CASE("a resealed header with impossible counts and sizes is rejected",
          "[restore][corruption][hostile]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    std::string bytes = reprise_test::read_file(g.newer);
    const std::size_t count_at = variable_count_at(bytes);
    REQUIRE(get_le(bytes, count_at, 4) == 3);
    // First entry: u32 name length, the name, u32 type length, the type, u64 offset, u64 size.
    const std::size_t first_name_length = static_cast<std::size_t>(get_le(bytes, count_at + 4, 4));
    REQUIRE(bytes.substr(count_at + 8, first_name_length) == "step");
    const std::size_t first_type_at = count_at + 8 + first_name_length;
    const std::size_t first_type_length = static_cast<std::size_t>(get_le(bytes, first_type_at, 4));
    const std::size_t first_size_at = first_type_at + 4 + first_type_length + 8;
    SECTION("a variable count of 2^32-1") {
        put_le(bytes, count_at, 0xffffffffu, 4);
    }
    SECTION("a variable size of 2^60") {
        put_le(bytes, first_size_at, std::uint64_t(1) << 60, 8);
    }
    SECTION("a variable offset past the payload") {
        put_le(bytes, first_size_at - 8, std::uint64_t(1) << 40, 8);
    }
    SECTION("a string length of 2^32-1") {
        put_le(bytes, kHeaderAt + 20, 0xffffffffu, 4); // the host name's length
    }
    SECTION("a variable name length of 2^31") {
        put_le(bytes, count_at + 4, std::uint64_t(1) << 31, 4);
    }
    SECTION("a type name length of 2^32-1") {
        put_le(bytes, first_type_at, 0xffffffffu, 4);
    }
    SECTION("a parameter count of 2^32-1") {
        // Right after the variable table, the last field of the header.
        const auto header_end = kHeaderAt + get_le(bytes, kHeaderLengthAt, 4);
        REQUIRE(get_le(bytes, header_end - 4, 4) == 0);
        put_le(bytes, header_end - 4, 0xffffffffu, 4);
    }
    reseal_header(bytes);
    reprise_test::write_file(g.newer, bytes);
    check_fell_back(restore_state(dir.path()), g, "corrupt header");
}

// Found by the fuzzed reader (tests/fuzz/): a string whose length says 2^51 in a checkpoint
// whose checksums are right (a hostile file, or one of an incompatible writer) was resized
// to that length before its data was read. The input it found, rebuilt here on a real
// checkpoint: the length of the string variable "tag" rewritten, the payload resealed.
TEST_CASE("a resealed payload with a string length larger than the file is refused without "
          "allocating", "[restore][corruption][hostile][fuzz-regression]") {
    reprise_test::clear_environment();
    TempDir dir;
    const Generations g = save_two_generations(dir.path());
    std::string bytes = reprise_test::read_file(g.newer);
    // The variable table: u32 count, then per variable u32 name length, name, u32 type
    // length, type, u64 offset, u64 size. "tag" is the third.
    std::size_t p = variable_count_at(bytes) + 4;
    std::uint64_t tag_offset = 0;
    for (int i = 0; i < 3; ++i) {
        const auto n = static_cast<std::size_t>(get_le(bytes, p, 4));
        const std::string name = bytes.substr(p + 4, n);
        p += 4 + n;
        p += 4 + static_cast<std::size_t>(get_le(bytes, p, 4)); // the type
        if (name == "tag") tag_offset = get_le(bytes, p, 8);
        p += 16;
    }
    REQUIRE(tag_offset != 0);
    const auto payload_at = static_cast<std::size_t>(get_le(bytes, kPayloadOffsetAt, 8));
    // The string's archive: the byte order flag, then its length as u64.
    const std::size_t length_at = payload_at + static_cast<std::size_t>(tag_offset) + 1;
    REQUIRE(get_le(bytes, length_at, 8) == std::string("generation-2").size());
    put_le(bytes, length_at, std::uint64_t(1) << 51, 8);
    reseal_payload(bytes);
    reprise_test::write_file(g.newer, bytes);

    const Outcome r = restore_state(dir.path());
    INFO("stderr: " << r.stderr_text);
    CHECK_FALSE(r.loaded);
    CHECK(contains(r.error, g.newer));
    CHECK(contains(r.error, "variable 'tag' could not be decoded"));
    CHECK(contains(r.error, "too soon for a string of 2251799813685248 characters"));
    CHECK(r.state.tag.capacity() < 1000);
}

// Issue 14: a std::valarray<double> whose count says 2^60 in a checkpoint whose checksums
// are right. cereal's loader resized the tracked valarray to that count before reading
// anything; libstdc++'s valarray::resize freed the old array, stored the new size, then
// failed to allocate (std::bad_alloc), so restore() threw and the variable's destructor
// freed the old array again: "free(): double free detected", an abort. Under ASan the
// 2^63-byte allocation itself is reported. The tracked valarray is not empty, as a real
// program's would be: an empty one has no array to free twice.
TEST_CASE("a resealed payload with a valarray count of 2^60 is refused without allocating and "
          "the tracked valarray stays whole", "[restore][corruption][hostile][security]") {
    reprise_test::clear_environment();
    TempDir dir;
    std::string path;
    {
        std::valarray<double> spectrum{1.0, 2.0, 3.0, 4.0};
        Checkpointer c(options_for(dir.path()));
        c.track("spectrum", spectrum);
        c.save();
        path = c.path_of_generation(1);
    }
    std::string bytes = reprise_test::read_file(path);
    const auto payload_at = static_cast<std::size_t>(get_le(bytes, kPayloadOffsetAt, 8));
    // The only variable's archive starts the payload: the byte order flag, then the count.
    REQUIRE(get_le(bytes, payload_at + 1, 8) == 4);
    put_le(bytes, payload_at + 1, std::uint64_t(1) << 60, 8);
    reseal_payload(bytes);
    reprise_test::write_file(path, bytes);

    std::valarray<double> spectrum{7.0, 8.0, 9.0};
    std::string error;
    {
        StderrCapture err;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("spectrum", spectrum);
        try {
            c.restore();
        } catch (const reprise::Error& e) {
            error = e.what();
        }
    }
    CHECK(contains(error, path));
    CHECK(contains(error, "variable 'spectrum' could not be decoded"));
    CHECK(contains(error, "too soon for a valarray of 1152921504606846976 elements"));
    // Its old value, in a state its destructor (at the end of this test) frees once.
    REQUIRE(spectrum.size() == 3);
    CHECK(spectrum[0] == 7.0);
    CHECK(spectrum[2] == 9.0);
}
