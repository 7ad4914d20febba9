// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// detail/durable_file.hpp, the one durable-write path: write_durably leaves the new file
// whole or the old one, never a temporary file; a recycled file is overwritten only when
// it is a plain file of ours with one link; Directory creates, lists and removes relative
// to its descriptor.

#include "catch.hpp"
#include "support.hpp"

#include "reprise/detail/durable_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

namespace d = reprise::detail;
using reprise_test::error_of;
using reprise_test::list_dir;
using reprise_test::read_file;
using reprise_test::TempDir;
using reprise_test::write_file;

// A producer that writes `text` at offset 0.
auto writes(const std::string& text) {
    return [text](d::FileSink& sink) { sink.write_at(0, text.data(), text.size()); };
}

} // namespace

// ---- Directory -----------------------------------------------------------------------------------

TEST_CASE("durable file: a Directory creates its path and parents, and names paths in it", "[durable]") {
    TempDir dir;
    const d::Directory directory(dir / "a/b/c");
    CHECK(directory.fd() >= 0);
    CHECK(directory.path() == dir / "a/b/c");
    CHECK(directory.path_of("x.ckpt") == dir / "a/b/c/x.ckpt");
    struct stat st {};
    REQUIRE(::stat((dir / "a/b/c").c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
}

TEST_CASE("durable file: a Directory over a regular file is an Error naming it", "[durable]") {
    TempDir dir;
    write_file(dir / "file", "x");
    CHECK(reprise_test::starts_with(error_of([&] { d::Directory directory(dir / "file"); }),
                                    "reprise: creating directory " + (dir / "file") + ": "));
}

TEST_CASE("durable file: a Directory lists every entry but '.' and '..', and removes by name", "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    for (const char* name : {"a", ".hidden", "..x", "b c"}) write_file(dir / name, "x");
    REQUIRE(::mkdir((dir / "sub").c_str(), 0700) == 0);
    std::vector<std::string> names;
    directory.for_each_name([&](const std::string& name) { names.push_back(name); });
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"..x", ".hidden", "a", "b c", "sub"});

    directory.remove("a");
    CHECK_NOTHROW(directory.remove("a")); // already gone: not an error
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"..x", ".hidden", "b c", "sub"});
    CHECK(reprise_test::starts_with(error_of([&] { directory.remove("sub"); }),
                                    "reprise: removing " + (dir / "sub") + ": "));
}

TEST_CASE("durable file: a Directory keeps listing what it opened when its path is renamed", "[durable]") {
    TempDir dir;
    const d::Directory directory(dir / "d");
    write_file(dir / "d/x", "x");
    REQUIRE(::rename((dir / "d").c_str(), (dir / "moved").c_str()) == 0);
    REQUIRE(::mkdir((dir / "d").c_str(), 0700) == 0);
    std::vector<std::string> names;
    directory.for_each_name([&](const std::string& name) { names.push_back(name); });
    CHECK(names == std::vector<std::string>{"x"});
}

// ---- write_durably -------------------------------------------------------------------------------

TEST_CASE("durable file: write_durably writes the whole file, mode 0600, and leaves no temporary file",
          "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    d::write_durably(directory, "f", [](d::FileSink& sink) {
        sink.write_at(4, "tail", 4); // positioned writes, in any order
        sink.write_at(0, "head", 4);
        CHECK(sink.end() == 8);
    });
    CHECK(read_file(dir / "f") == "headtail");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    struct stat st {};
    REQUIRE(::stat((dir / "f").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    d::write_durably(directory, "f", writes("new"));
    CHECK(read_file(dir / "f") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("durable file: the producer writes through the temporary file, named for its errors",
          "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    std::string seen;
    d::write_durably(directory, "f", [&](d::FileSink& sink) {
        seen = sink.path();
        CHECK(list_dir(dir.path()) == std::vector<std::string>{"f.tmp"});
    });
    CHECK(seen == dir / "f.tmp");
    CHECK(read_file(dir / "f").empty());
}

TEST_CASE("durable file: a producer that throws leaves the previous file as it was and no temporary file",
          "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    d::write_durably(directory, "f", writes("old"));
    CHECK_THROWS_WITH(d::write_durably(directory, "f",
                                       [](d::FileSink& sink) {
                                           sink.write_at(0, "half", 4);
                                           throw std::runtime_error("serialization failed");
                                       }),
                      "serialization failed");
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("durable file: a leftover temporary file, or a symbolic link in its place, is removed, not "
          "written through",
          "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    write_file(dir / "f.tmp", "leftover of a killed save");
    d::write_durably(directory, "f", writes("new"));
    CHECK(read_file(dir / "f") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});

    write_file(dir / "victim", "keep");
    REQUIRE(::symlink("victim", (dir / "f.tmp").c_str()) == 0);
    d::write_durably(directory, "f", writes("newer"));
    CHECK(read_file(dir / "f") == "newer");
    CHECK(read_file(dir / "victim") == "keep");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "victim"});
}

TEST_CASE("durable file: a file to recycle becomes the new file, cut to the new length, and is gone",
          "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    write_file(dir / "old", std::string(10000, 'o'));
    struct stat before {};
    REQUIRE(::stat((dir / "old").c_str(), &before) == 0);
    d::write_durably(directory, "new", writes("short"), "old");
    CHECK(read_file(dir / "new") == "short");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"new"});
    struct stat after {};
    REQUIRE(::stat((dir / "new").c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino); // the same file, overwritten

    // A file to recycle that is not there: the new file is created.
    d::write_durably(directory, "newer", writes("x"), "absent");
    CHECK(read_file(dir / "newer") == "x");
}

TEST_CASE("durable file: a file to recycle with another link is not overwritten, only unlinked",
          "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    write_file(dir / "old", "the user's copy");
    REQUIRE(::link((dir / "old").c_str(), (dir / "copy").c_str()) == 0);
    d::write_durably(directory, "new", writes("new"), "old");
    CHECK(read_file(dir / "new") == "new");
    CHECK(read_file(dir / "copy") == "the user's copy");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"copy", "new"});
}

TEST_CASE("durable file: a FIFO or a directory to recycle is not opened for writing", "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    d::write_durably(directory, "new", writes("new"), "fifo"); // without blocking
    CHECK(read_file(dir / "new") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"new"});
}

TEST_CASE("durable file: a file of another user is not recycled", "[durable][security]") {
    if (!reprise_test::is_root()) {
        WARN("skipped: only root can give a file to another user");
        return;
    }
    TempDir dir;
    const d::Directory directory(dir.path());
    write_file(dir / "old", "theirs");
    REQUIRE(::chown((dir / "old").c_str(), 4242, static_cast<gid_t>(-1)) == 0);
    struct stat before {};
    REQUIRE(::stat((dir / "old").c_str(), &before) == 0);
    std::uint64_t size = 0;
    CHECK(d::open_recycled(directory, "old", "t.tmp", size) == -1);
    CHECK(list_dir(dir.path()).empty()); // renamed to the temporary name, then removed
    d::write_durably(directory, "new", writes("mine"));
    struct stat after {};
    REQUIRE(::stat((dir / "new").c_str(), &after) == 0);
    CHECK(after.st_uid == ::geteuid());
}

TEST_CASE("durable file: a temporary name that cannot be cleared is an Error naming it, and nothing is written",
          "[durable]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    REQUIRE(::mkdir((dir / "f.tmp").c_str(), 0700) == 0); // a temporary name that cannot be removed
    const std::string message = error_of([&] { d::write_durably(directory, "f", writes("x")); });
    CHECK(reprise_test::starts_with(message, "reprise: removing stale " + (dir / "f.tmp") + ": "));
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f.tmp"});
}
