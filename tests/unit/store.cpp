// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Unit tests of the generation store (include/reprise/detail/store.hpp): numbering,
// retention (at most two generations) and recycling, opening a generation, the two-phase
// saves of a coordination layer, and the end. The store writes whatever its callback
// writes: retention is tested with plain bytes, open() with real checkpoint files.

#include "reprise/detail/store.hpp"
#include "reprise/detail/format_writer.hpp"

#include "support.hpp"

#include "catch.hpp"

#include <sys/stat.h>

using namespace reprise_test;

namespace {

using reprise::detail::FileSink;
using reprise::detail::GenerationStore;
using reprise::detail::StoreIdentity;

StoreIdentity identity(const TempDir& dir, const std::string& name = "s",
                       const std::string& key = "local") {
    return StoreIdentity{dir.path(), name, key, "host", true};
}

// A callback that writes `bytes` as the whole file.
auto bytes_of(const std::string& bytes) {
    return [bytes](FileSink& sink) {
        sink.write_at(0, bytes.data(), bytes.size());
        return static_cast<std::uint64_t>(bytes.size());
    };
}

// A real, valid checkpoint file of `name`/`key`, generation `g`, with no variable.
auto checkpoint_of(std::uint64_t g, const std::string& name = "s", const std::string& key = "local") {
    return [=](FileSink& sink) {
        reprise::detail::Header h;
        h.generation = g;
        h.name = name;
        h.job_key = key;
        h.host = "host";
        const std::uint64_t offset = reprise::detail::payload_offset_for(h);
        return reprise::detail::write_file_tail(sink, h, offset, 0, {});
    };
}

ino_t inode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
}

std::vector<std::uint64_t> generations(const GenerationStore& store) {
    return {store.generations().begin(), store.generations().end()};
}

} // namespace

TEST_CASE("store: generations are numbered from 1, and past what the directory holds", "[unit][store]") {
    TempDir dir;
    {
        GenerationStore store(identity(dir));
        CHECK(store.generations().empty());
        CHECK(store.take_next() == 1);
        CHECK(store.take_next() == 2);
    }
    write_file(dir / "s.local.0000000041.ckpt", "x");
    GenerationStore store(identity(dir));
    CHECK(generations(store) == std::vector<std::uint64_t>{41});
    CHECK(store.take_next() == 42);
}

TEST_CASE("store: at most two generations, and the older one's file is recycled", "[unit][store]") {
    TempDir dir;
    GenerationStore store(identity(dir));
    store.commit(store.take_next(), bytes_of("first"));
    CHECK(generations(store) == std::vector<std::uint64_t>{1});
    const ino_t first = inode_of(store.path_of(1));
    store.commit(store.take_next(), bytes_of("second"));
    CHECK(generations(store) == std::vector<std::uint64_t>{1, 2});
    store.commit(store.take_next(), bytes_of("third"));
    CHECK(generations(store) == std::vector<std::uint64_t>{2, 3});
    // The file of generation 1 became generation 3: its blocks were overwritten.
    CHECK(inode_of(store.path_of(3)) == first);
    CHECK(read_file(store.path_of(3)) == "third");
    CHECK(files_ending(dir.path(), ".ckpt").size() == 2);
    CHECK(store.last() == 3);
    CHECK(store.owns());
}

TEST_CASE("store: a first save supersedes an earlier run's generations it did not restore", "[unit][store]") {
    TempDir dir;
    {
        GenerationStore store(identity(dir));
        store.commit(store.take_next(), bytes_of("a"));
        store.commit(store.take_next(), bytes_of("b"));
    }
    GenerationStore store(identity(dir));
    CHECK_FALSE(store.owns());
    StderrCapture err;
    store.commit(store.take_next(), bytes_of("c"));
    store.finish_cleanup();
    const std::string said = err.stop();
    CHECK(contains(said, "did not restore generations 1 and 2"));
    CHECK(generations(store) == std::vector<std::uint64_t>{3});
    CHECK(files_ending(dir.path(), ".ckpt") == std::vector<std::string>{"s.local.0000000003.ckpt"});
}

TEST_CASE("store: a restored generation is kept as the fallback of the next save", "[unit][store]") {
    TempDir dir;
    {
        GenerationStore store(identity(dir));
        store.commit(store.take_next(), checkpoint_of(1));
        store.commit(store.take_next(), checkpoint_of(2));
    }
    GenerationStore store(identity(dir));
    reprise::detail::VerifiedCheckpoint file;
    std::string why;
    REQUIRE(store.open(1, file, why));
    store.restored(1);
    store.commit(store.take_next(), bytes_of("3"));
    CHECK(generations(store) == std::vector<std::uint64_t>{1, 3});
}

TEST_CASE("store: open() refuses a file of another job or named for another generation", "[unit][store]") {
    TempDir dir;
    GenerationStore store(identity(dir));
    store.commit(store.take_next(), checkpoint_of(1));
    reprise::detail::VerifiedCheckpoint file;
    std::string why;
    CHECK(store.open(1, file, why));
    CHECK(file.header.generation == 1);

    // Generation 1's bytes under generation 2's name.
    store.commit(store.take_next(), checkpoint_of(1));
    CHECK_FALSE(store.open(2, file, why));
    CHECK(why == "holds generation 1 but is named for generation 2");

    store.commit(store.take_next(), checkpoint_of(3, "other", "slurm-9"));
    CHECK_FALSE(store.open(3, file, why));
    CHECK(why == "belongs to job slurm-9 of checkpoint 'other', not to job local of checkpoint 's'");

    CHECK_FALSE(store.open(7, file, why));
    CHECK(starts_with(why, "cannot open: "));
}

TEST_CASE("store: the last generation number leaves no next one", "[unit][store]") {
    TempDir dir;
    write_file(dir / "s.local.9999999999.ckpt", "x");
    GenerationStore store(identity(dir));
    const std::string error = error_of([&] { store.take_next(); });
    CHECK(contains(error, "claims the last generation number there is"));
}

TEST_CASE("store: leftover temporary files of ours are removed, their numbers free", "[unit][store]") {
    TempDir dir;
    write_file(dir / "s.local.0000000005.ckpt.tmp", "torn");
    GenerationStore store(identity(dir));
    CHECK(files_ending(dir.path(), ".tmp").empty());
    CHECK(store.take_next() == 1);
}

TEST_CASE("store: one store per job at a time: the lock", "[unit][store]") {
    TempDir dir;
    GenerationStore store(identity(dir));
    const std::string error = error_of([&] { GenerationStore second(identity(dir)); });
    CHECK(contains(error, "process " + std::to_string(::getpid()) + " on host host"));
    // Another job in the same directory is no conflict.
    GenerationStore other(identity(dir, "s", "slurm-1"));
    CHECK(other.take_next() == 1);
}

TEST_CASE("store: two-phase saves: discard puts the committed generation back", "[unit][store]") {
    TempDir dir;
    GenerationStore store(identity(dir));
    store.save_as(1, bytes_of("1"));
    store.confirm(1);
    store.save_as(2, bytes_of("2"));
    CHECK(generations(store) == std::vector<std::uint64_t>{1, 2});
    store.discard(2);
    CHECK(generations(store) == std::vector<std::uint64_t>{1});
    CHECK(store.last() == 1);
    CHECK(files_ending(dir.path(), ".ckpt") == std::vector<std::string>{"s.local.0000000001.ckpt"});
    // The next agreed save keeps generation 1 as its fallback.
    store.save_as(3, bytes_of("3"));
    CHECK(generations(store) == std::vector<std::uint64_t>{1, 3});
}

TEST_CASE("store: two-phase saves keep an earlier run's generation until confirmed", "[unit][store]") {
    TempDir dir;
    {
        GenerationStore store(identity(dir));
        store.commit(store.take_next(), bytes_of("old"));
    }
    GenerationStore store(identity(dir));
    store.set_fallback(1); // the generation every process committed last
    StderrCapture err;
    store.save_as(2, bytes_of("new"));
    const std::string said = err.stop();
    CHECK(contains(said, "did not restore generation 1"));
    CHECK(generations(store) == std::vector<std::uint64_t>{1, 2});
    store.confirm(2);
    store.finish_cleanup();
    CHECK(generations(store) == std::vector<std::uint64_t>{2});
    CHECK(files_ending(dir.path(), ".ckpt") == std::vector<std::string>{"s.local.0000000002.ckpt"});
}

TEST_CASE("store: remove_all removes this run's files, and leaves an earlier run's it never owned", "[unit][store]") {
    TempDir dir;
    {
        GenerationStore store(identity(dir));
        store.commit(store.take_next(), bytes_of("a"));
    }
    {
        GenerationStore store(identity(dir));
        StderrCapture err;
        store.verify_lock();
        store.remove_all("advice");
        const std::string said = err.stop();
        CHECK(contains(said, "neither restored nor saved"));
        CHECK(contains(said, "(advice)"));
        CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
        CHECK(files_ending(dir.path(), ".lock").empty());
    }
    GenerationStore store(identity(dir));
    store.commit(store.take_next(), bytes_of("b"));
    store.verify_lock();
    store.remove_all("advice");
    CHECK(list_dir(dir.path()).empty());
}
