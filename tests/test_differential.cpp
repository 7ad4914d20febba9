// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Saves that write only what changed (format_writer.hpp): a save overwrites the recycled
// generation (the one before last) and leaves in place the 64 KiB chunks whose hash its
// chunk table records at the same place. What is proved here: the bytes the process
// writes (/proc/self/io, the kernel's count, not the library's) fall with the share of
// chunks that changed; every generation still restores in full, whatever its size did
// since; and a chunk left in place that was damaged on disk since is caught by the restore,
// which falls back as for any damaged file.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using reprise_test::bytes_written_by_process;
using reprise_test::save_once;

using reprise::Checkpointer;
using reprise::RestorePolicy;
using reprise_test::TempDir;

// Options that keep every line the library prints, for the test to read.
reprise::Options logged(const std::string& dir, std::vector<std::string>& lines,
                        RestorePolicy policy = RestorePolicy::automatic) {
    reprise::Options o = reprise_test::options_for(dir, policy);
    o.quiet = false;
    o.log = [&lines](const reprise::LogLine& line) { lines.emplace_back(line.text); };
    return o;
}

const std::size_t kDoubles = (std::size_t(24) << 20) / sizeof(double); // 24 MiB

std::vector<double> initial_field() {
    std::vector<double> v(kDoubles);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i) * 0.25;
    return v;
}

// Changes one value in each of `chunks` chunks spread over the vector.
void touch(std::vector<double>& v, std::size_t chunks, double by) {
    for (std::size_t k = 0; k < chunks; ++k) v[(k * 7919 * 8192 + 100) % v.size()] += by;
}

// Restores "field" and "step" from `dir` in a new Checkpointer.
void restore_into(const std::string& dir, std::vector<double>& field, long& step,
                  std::vector<std::string>& lines) {
    Checkpointer c(logged(dir, lines, RestorePolicy::always));
    c.track("field", field);
    c.track("step", step);
    REQUIRE(c.restore());
}

} // namespace

TEST_CASE("a save writes only the chunks that changed since the generation it overwrites, and "
          "every generation restores in full",
          "[differential][files]") {
    reprise_test::clear_environment();
    const reprise::SaveMode mode =
        GENERATE(reprise::SaveMode::sync, reprise::SaveMode::background);
    CAPTURE(mode == reprise::SaveMode::background ? "background" : "synchronous");
    TempDir dir;
    std::vector<std::string> lines;
    std::vector<double> field = initial_field();
    long step = 0;
    std::vector<double> expected;
    {
        reprise::Options o = logged(dir.path(), lines);
        o.mode = mode;
        Checkpointer c(o);
        c.track("field", field);
        c.track("step", step);
        save_once(c, mode); // generation 1, a new file
        ++step;
        save_once(c, mode); // generation 2, a new file

        // Generation 3 overwrites generation 1: ten chunks of 384 changed since.
        touch(field, 10, 1.0);
        ++step;
        const std::uint64_t before = bytes_written_by_process();
        save_once(c, mode);
        const std::uint64_t written = bytes_written_by_process() - before;
        CHECK(written < (std::uint64_t(2) << 20)); // 10 chunks of 64 KiB, the head, the table
        CHECK(written >= 10 * reprise::detail::kChunkBytes);
        REQUIRE(reprise_test::starting_with(lines, "reprise: saved generation 3 (").size() == 1);
        CHECK(reprise_test::contains(reprise_test::starting_with(lines, "reprise: saved generation 3 (")[0],
                                     "% of it unchanged, not rewritten"));

        // Generation 4 overwrites generation 2: the same ten chunks and ten more changed.
        touch(field, 20, 2.0);
        ++step;
        const std::uint64_t before_4 = bytes_written_by_process();
        save_once(c, mode);
        const std::uint64_t written_4 = bytes_written_by_process() - before_4;
        CHECK(written_4 < (std::uint64_t(3) << 20));

        // Generation 5 after a value was inserted at the vector's front: every value after
        // it moved by 8 bytes, every chunk changed, and the file is written in full.
        field.insert(field.begin(), -1.5);
        ++step;
        const std::uint64_t before_5 = bytes_written_by_process();
        save_once(c, mode);
        CHECK(bytes_written_by_process() - before_5 > field.size() * sizeof(double) - (std::uint64_t(1) << 20));
        expected = field;
    }
    std::vector<double> restored;
    long restored_step = -1;
    restore_into(dir.path(), restored, restored_step, lines);
    CHECK(restored_step == 4);
    CHECK(restored == expected);

    // And generation 4, the fallback, restores in full too: the newest one removed.
    std::remove((dir.path() + "/t.local.0000000005.ckpt").c_str());
    restore_into(dir.path(), restored, restored_step, lines);
    CHECK(restored_step == 3);
    expected.erase(expected.begin());
    CHECK(restored == expected);
}

TEST_CASE("a chunk left in place that was damaged on disk since is caught at restore, which falls "
          "back to the generation before",
          "[differential][files][corrupt]") {
    reprise_test::clear_environment();
    TempDir dir;
    std::vector<std::string> lines;
    std::vector<double> field = initial_field();
    long step = 0;
    {
        Checkpointer c(logged(dir.path(), lines));
        c.track("field", field);
        c.track("step", step);
        c.save(); // generation 1
        ++step;
        c.save(); // generation 2
        // A byte of generation 1's payload flips on disk, in a chunk the next save does
        // not change: generation 3 leaves it in place.
        const std::string one = dir.path() + "/t.local.0000000001.ckpt";
        std::string bytes = reprise_test::read_file(one);
        bytes[4096 + 200 * reprise::detail::kChunkBytes + 17] ^= 0x10;
        reprise_test::write_file(one, bytes);
        touch(field, 1, 1.0);
        ++step;
        c.save(); // generation 3
    }
    std::vector<double> restored;
    long restored_step = -1;
    lines.clear();
    restore_into(dir.path(), restored, restored_step, lines);
    CHECK(restored_step == 1); // generation 2's
    CHECK(restored == initial_field());
    const auto warnings = reprise_test::starting_with(lines, "reprise: warning: restoring the older generation 2");
    REQUIRE(warnings.size() == 1);
    CHECK(reprise_test::contains(warnings[0], "t.local.0000000003.ckpt: payload checksum mismatch (chunk 201 of"));
}

TEST_CASE("a copy to the persistent tier writes only the chunks that changed, and the "
          "persistent tier alone restores the state in full",
          "[differential][tiers]") {
    reprise_test::clear_environment();
    TempDir fast, persist;
    std::vector<std::string> lines;
    std::vector<double> field = initial_field();
    long step = 0;
    reprise::Options o = logged(fast.path(), lines, RestorePolicy::always);
    o.persist_directory = persist.path();
    {
        Checkpointer c(o);
        c.track("field", field);
        c.track("step", step);
        c.save(); // generation 1, copied in full
        ++step;
        c.save(); // generation 2, copied in full
    } // the destructor waits for the copy in flight
    std::uint64_t before = 0;
    {
        Checkpointer c(o);
        c.track("field", field);
        c.track("step", step);
        REQUIRE(c.restore()); // generation 2
        touch(field, 10, 1.0);
        ++step;
        before = bytes_written_by_process();
        c.save(); // generation 3: ten chunks in the fast tier, then in the persistent one
    }
    const std::uint64_t written = bytes_written_by_process() - before;
    // Both tiers' ten chunks, heads, tables; the 2 x 24 MiB of full writes would be 48 MiB.
    CHECK(written < (std::uint64_t(4) << 20));
    CHECK(written >= 2 * 10 * reprise::detail::kChunkBytes);
    const auto copied = reprise_test::starting_with(lines, "reprise: copied generation 3 (");
    REQUIRE(copied.size() == 1);
    CHECK(reprise_test::contains(copied[0], "% of it unchanged, not rewritten"));

    // The fast tier lost: the persistent copies restore, in full.
    for (const auto& name : reprise_test::list_dir(fast.path()))
        std::remove((fast.path() + "/" + name).c_str());
    std::vector<double> restored;
    long restored_step = -1;
    {
        Checkpointer c(o);
        c.track("field", restored);
        c.track("step", restored_step);
        REQUIRE(c.restore());
    }
    CHECK(restored_step == 2);
    CHECK(restored == field);
}
