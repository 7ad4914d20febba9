// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Compressed files (REPRISE_COMPRESS, Options::compress; file format 4, compress.hpp):
// each 64 KiB chunk compressed on its own, stored at the start of its place, kept as it
// is when it does not shrink. What is proved here, with real files: a compressible state
// takes a fraction of its size on disk (st_blocks, not the library's word) and restores
// bit for bit, in sync and background mode; data that does not compress is stored as it
// is; unchanged chunks are still left in place; a damaged compressed chunk is caught
// before it is decompressed and the restore falls back; turning compression on or off
// between runs reads every generation either way; the persistent tier's copy stays
// compressed; and junk in REPRISE_COMPRESS is refused by name.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/inspect.hpp>
#include <reprise/reprise.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

namespace {

using reprise_test::bytes_written_by_process;
using reprise_test::save_once;

using reprise::Checkpointer;
using reprise::RestorePolicy;
using Env = std::map<std::string, std::string>;
using reprise_test::ScopedEnv;
using reprise_test::TempDir;
namespace d = reprise::detail;

// What the file takes on disk (its allocated blocks), and its size.
std::uint64_t disk_bytes(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return static_cast<std::uint64_t>(st.st_blocks) * 512;
}
std::uint64_t file_size(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return static_cast<std::uint64_t>(st.st_size);
}

reprise::Options logged(const std::string& dir, std::vector<std::string>& lines,
                        const std::string& compress = "zstd",
                        RestorePolicy policy = RestorePolicy::automatic) {
    reprise::Options o = reprise_test::options_for(dir, policy);
    o.quiet = false;
    o.compress = compress;
    o.log = [&lines](const reprise::LogLine& line) { lines.emplace_back(line.text); };
    return o;
}

const std::size_t kDoubles = (std::size_t(16) << 20) / sizeof(double); // 16 MiB

// A field that compresses well: a smooth ramp on a coarse grid (a simulation's state
// often has such runs), with a few random values in each chunk.
std::vector<double> compressible_field() {
    std::vector<double> v(kDoubles);
    std::mt19937_64 random(7);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i / 64) * 0.5;
    for (std::size_t i = 0; i < v.size(); i += 1000) v[i] = static_cast<double>(random());
    return v;
}

// Random doubles: nothing to compress.
std::vector<double> random_field(std::uint64_t seed) {
    std::vector<double> v(kDoubles);
    std::mt19937_64 random(seed);
    for (double& x : v) x = std::ldexp(static_cast<double>(random() >> 11), -53);
    return v;
}

std::string path_of(const TempDir& dir, int generation) {
    std::string g = std::to_string(generation);
    return dir.path() + "/t.local." + std::string(10 - g.size(), '0') + g + ".ckpt";
}

// Restores "field" and "step" from `dir` in a new Checkpointer, compressing or not.
void restore_into(const std::string& dir, std::vector<double>& field, long& step,
                  std::vector<std::string>& lines, const std::string& compress = "zstd") {
    Checkpointer c(logged(dir, lines, compress, RestorePolicy::always));
    c.track("field", field);
    c.track("step", step);
    REQUIRE(c.restore());
}

} // namespace

TEST_CASE("a compressible state takes a fraction of its size on disk and restores bit for bit",
          "[compress][files]") {
    reprise_test::clear_environment();
    const reprise::SaveMode mode = GENERATE(reprise::SaveMode::sync, reprise::SaveMode::background);
    CAPTURE(mode == reprise::SaveMode::background ? "background" : "synchronous");
    TempDir dir;
    std::vector<std::string> lines;
    std::vector<double> field = compressible_field();
    long step = 7;
    {
        reprise::Options o = logged(dir.path(), lines);
        o.mode = mode;
        Checkpointer c(o);
        c.track("field", field);
        c.track("step", step);
        save_once(c, mode);
    }
    const std::string one = path_of(dir, 1);
    // ls shows the size of the state; du, far less.
    CHECK(file_size(one) > kDoubles * sizeof(double));
    CHECK(disk_bytes(one) < file_size(one) / 4);
    const reprise::inspect::Checkpoint info = reprise::inspect::read_checkpoint(one);
    REQUIRE(info.valid);
    CHECK(info.format_version == d::kCompressedFormatVersion);
    const auto saved = reprise_test::starting_with(lines, "reprise: saved generation 1 (");
    REQUIRE(saved.size() == 1);
    CHECK(reprise_test::contains(saved[0], "% of it on disk, compressed"));

    std::vector<double> restored;
    long restored_step = -1;
    restore_into(dir.path(), restored, restored_step, lines, "");
    CHECK(restored_step == 7);
    CHECK(restored == field);
}

TEST_CASE("data that does not compress is stored as it is, and restores", "[compress][files]") {
    reprise_test::clear_environment();
    TempDir dir;
    std::vector<std::string> lines;
    std::vector<double> field = random_field(1);
    long step = 1;
    {
        Checkpointer c(logged(dir.path(), lines, "zstd:3"));
        c.track("field", field);
        c.track("step", step);
        c.save();
    }
    const std::string one = path_of(dir, 1);
    CHECK(disk_bytes(one) >= file_size(one) - (std::uint64_t(1) << 20));
    const auto saved = reprise_test::starting_with(lines, "reprise: saved generation 1 (");
    REQUIRE(saved.size() == 1);
    CHECK_FALSE(reprise_test::contains(saved[0], "compressed"));
    std::vector<double> restored;
    long restored_step = -1;
    restore_into(dir.path(), restored, restored_step, lines);
    CHECK(restored == field);
}

TEST_CASE("a compressed save leaves unchanged chunks in place, and a recycled file's stale bytes "
          "are released",
          "[compress][differential][files]") {
    reprise_test::clear_environment();
    TempDir dir;
    std::vector<std::string> lines;
    std::vector<double> field = compressible_field();
    long step = 0;
    std::vector<double> expected;
    {
        // Generations 1 and 2 uncompressed: 16 MiB each on disk.
        Checkpointer c(logged(dir.path(), lines, ""));
        c.track("field", field);
        c.track("step", step);
        c.save();
        ++step;
        c.save();
    }
    CHECK(disk_bytes(path_of(dir, 1)) > kDoubles * sizeof(double));
    {
        Checkpointer c(logged(dir.path(), lines, "zstd"));
        c.track("field", field);
        c.track("step", step);
        REQUIRE(c.restore());
        // Generation 3 recycles generation 1's file: every chunk compressed (none may stay
        // as it was stored), and the rest of each chunk's place released.
        ++step;
        c.save();
        CHECK(disk_bytes(path_of(dir, 3)) < file_size(path_of(dir, 3)) / 4);
        // Generation 4 recycles generation 2's file, generation 5 generation 3's (both
        // compressed): ten chunks changed, the others left in place.
        ++step;
        c.save();
        for (std::size_t k = 0; k < 10; ++k) field[(k * 7919 * 8192 + 100) % field.size()] += 1.0;
        ++step;
        const std::uint64_t before = bytes_written_by_process();
        c.save();
        const std::uint64_t written = bytes_written_by_process() - before;
        CHECK(written < 10 * d::kChunkBytes + (std::uint64_t(1) << 20));
        CHECK(disk_bytes(path_of(dir, 5)) < file_size(path_of(dir, 5)) / 4);
        expected = field;
    }
    std::vector<double> restored;
    long restored_step = -1;
    restore_into(dir.path(), restored, restored_step, lines, "");
    CHECK(restored_step == 4);
    CHECK(restored == expected);
    // And with compression off again: generation 6 recycles generation 4's compressed
    // file; chunks stored compressed are written out as they are, the file is format 3.
    {
        Checkpointer c(logged(dir.path(), lines, ""));
        c.track("field", restored);
        c.track("step", restored_step);
        REQUIRE(c.restore());
        ++restored_step;
        c.save();
    }
    const reprise::inspect::Checkpoint info = reprise::inspect::read_checkpoint(path_of(dir, 6));
    REQUIRE(info.valid);
    CHECK(info.format_version == d::kFormatVersion);
    std::vector<double> again;
    long again_step = -1;
    restore_into(dir.path(), again, again_step, lines, "");
    CHECK(again_step == 5);
    CHECK(again == expected);
}

TEST_CASE("a damaged compressed chunk is caught before it is decompressed, and the restore falls "
          "back",
          "[compress][files][corrupt]") {
    reprise_test::clear_environment();
    TempDir dir;
    std::vector<std::string> lines;
    std::vector<double> field = compressible_field();
    long step = 0;
    {
        Checkpointer c(logged(dir.path(), lines));
        c.track("field", field);
        c.track("step", step);
        c.save(); // generation 1
        ++step;
        c.save(); // generation 2
    }
    // A byte of generation 2's chunk 101 flips on disk (its compressed bytes start the
    // chunk's place).
    const std::string two = path_of(dir, 2);
    std::string bytes = reprise_test::read_file(two);
    bytes[4096 + 100 * d::kChunkBytes + 30] ^= 0x04;
    reprise_test::write_file(two, bytes);
    std::vector<double> restored;
    long restored_step = -1;
    lines.clear();
    restore_into(dir.path(), restored, restored_step, lines);
    CHECK(restored_step == 0);
    CHECK(restored == field);
    const auto warnings = reprise_test::starting_with(lines, "reprise: warning: restoring the older generation 1");
    REQUIRE(warnings.size() == 1);
    CHECK(reprise_test::contains(warnings[0], "payload checksum mismatch (chunk 101 of"));
    CHECK(reprise_test::contains(warnings[0], "(its compressed bytes)"));
}

TEST_CASE("the persistent tier's copy of a compressed file stays compressed and restores alone",
          "[compress][tiers]") {
    reprise_test::clear_environment();
    TempDir fast, persist;
    std::vector<std::string> lines;
    std::vector<double> field = compressible_field();
    long step = 3;
    reprise::Options o = logged(fast.path(), lines, "zstd", RestorePolicy::always);
    o.persist_directory = persist.path();
    {
        Checkpointer c(o);
        c.track("field", field);
        c.track("step", step);
        c.save();
    }
    const std::string copy = persist.path() + "/t.local.0000000001.ckpt";
    CHECK(disk_bytes(copy) < file_size(copy) / 4);
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
    CHECK(restored_step == 3);
    CHECK(restored == field);
}

TEST_CASE("REPRISE_COMPRESS and Options::compress accept zstd and zstd:LEVEL, and refuse anything "
          "else by name",
          "[compress][config]") {
    reprise_test::clear_environment();
    TempDir dir;
    for (const char* good : {"zstd", "zstd:1", "zstd:19", "zstd:-7", "zstd:-1"}) {
        CAPTURE(good);
        ScopedEnv env(Env{{"REPRISE_COMPRESS", good}});
        reprise::Options o = reprise_test::options_for(dir.path());
        CHECK_NOTHROW(Checkpointer(o));
    }
    for (const char* bad : {"", "ZSTD", "gzip", "zstd:", "zstd:0", "zstd:20", "zstd:-8", "zstd:+3",
                            "zstd: 3", "zstd:3x", "zstd:99999999999999999999", "zstd3", "zstd:3:4"}) {
        CAPTURE(bad);
        {
            ScopedEnv env(Env{{"REPRISE_COMPRESS", bad}});
            reprise::Options o = reprise_test::options_for(dir.path());
            if (std::string(bad).empty()) {
                CHECK_NOTHROW(Checkpointer(o)); // set and empty: as unset
            } else {
                CHECK_THROWS_WITH(Checkpointer(o), Catch::Contains("REPRISE_COMPRESS='" + std::string(bad) + "'") &&
                                                       Catch::Contains("expected zstd or zstd:LEVEL"));
            }
        }
        if (std::string(bad).empty()) continue;
        reprise::Options o = reprise_test::options_for(dir.path());
        o.compress = bad;
        CHECK_THROWS_WITH(Checkpointer(o), Catch::Contains("Options::compress='" + std::string(bad) + "'"));
    }
}
