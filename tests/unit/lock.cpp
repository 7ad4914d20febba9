// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// detail/lock.hpp, one live process per job: a JobLock taken, refused while another open
// file holds it (naming the holder), given up on destruction, and verify() before a save:
// a lock file removed is taken back, one replaced is an Error.

#include "catch.hpp"
#include "support.hpp"

#include "reprise/detail/lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

namespace d = reprise::detail;
using reprise_test::contains;
using reprise_test::error_of;
using reprise_test::TempDir;

const std::string kPid = std::to_string(::getpid());

} // namespace

TEST_CASE("lock: a JobLock creates its file and writes 'pid host' in it", "[lock]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const d::JobLock lock(directory, "t.local.lock", "local", "node1");
    CHECK(lock.file_name() == "t.local.lock");
    CHECK(reprise_test::read_file(dir / "t.local.lock") == kPid + " node1\n");
}

TEST_CASE("lock: a second JobLock of the job is refused, naming the holder, until the first is gone",
          "[lock]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const std::string path = dir / "t.local.lock";
    {
        const d::JobLock first(directory, "t.local.lock", "local", "node1");
        // Open-file-description locks conflict within one process too.
        CHECK(error_of([&] { d::JobLock second(directory, "t.local.lock", "local", "node2"); }) ==
              "reprise: job local is already running: process " + kPid + " on host node1 holds " + path +
                  "; a job runs once at a time");
        CHECK(reprise_test::read_file(path) == kPid + " node1\n"); // the refused one wrote nothing
    }
    const d::JobLock again(directory, "t.local.lock", "local", "node2");
    CHECK(reprise_test::read_file(path) == kPid + " node2\n");
}

TEST_CASE("lock: a holder that has not yet written its pid is named as such", "[lock]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const int fd = ::open((dir / "t.local.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    REQUIRE(::fcntl(fd, F_OFD_SETLK, &lock) == 0);
    CHECK(error_of([&] { d::JobLock second(directory, "t.local.lock", "local", "node2"); }) ==
          "reprise: job local is already running: another process (it has not yet written its pid) holds " +
              (dir / "t.local.lock") + "; a job runs once at a time");
    ::close(fd);
}

TEST_CASE("lock: a symbolic link under the lock file's name is not followed", "[lock]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    reprise_test::write_file(dir / "target", "keep");
    REQUIRE(::symlink("target", (dir / "t.local.lock").c_str()) == 0);
    CHECK(error_of([&] { d::JobLock lock(directory, "t.local.lock", "local", "node1"); }) ==
          "reprise: opening lock file " + (dir / "t.local.lock") + ": " + d::errno_text(ELOOP));
    CHECK(reprise_test::read_file(dir / "target") == "keep");
}

TEST_CASE("lock: verify passes while the name leads to the file the lock holds", "[lock]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    d::JobLock lock(directory, "t.local.lock", "local", "node1");
    reprise_test::StderrCapture capture;
    CHECK_NOTHROW(lock.verify(directory));
    CHECK_NOTHROW(lock.verify(directory));
    CHECK(capture.stop().empty());
}

TEST_CASE("lock: verify takes a removed lock file back, with a warning, and holds the new one", "[lock]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const std::string path = dir / "t.local.lock";
    d::JobLock lock(directory, "t.local.lock", "local", "node1");
    REQUIRE(::unlink(path.c_str()) == 0);
    reprise_test::StderrCapture capture;
    lock.verify(directory);
    const std::string said = capture.stop();
    CHECK(contains(said, "reprise: warning: the lock file " + path + " was removed"));
    CHECK(contains(said, "this process made it again and holds it"));
    CHECK(reprise_test::read_file(path) == kPid + " node1\n");
    // It is the new file that is held now.
    CHECK(contains(error_of([&] { d::JobLock second(directory, "t.local.lock", "local", "node2"); }),
                   "is already running: process " + kPid + " on host node1"));
    CHECK_NOTHROW(lock.verify(directory));
}

TEST_CASE("lock: verify refuses a lock file replaced by another file", "[lock]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const std::string path = dir / "t.local.lock";
    d::JobLock lock(directory, "t.local.lock", "local", "node1");
    reprise_test::write_file(dir / "other", "9 elsewhere\n");
    REQUIRE(::rename((dir / "other").c_str(), path.c_str()) == 0);
    CHECK(error_of([&] { lock.verify(directory); }) ==
          "reprise: the lock file " + path + " of job local was replaced by another file since this process "
          "took it (another process of the job may be running); not saving, nothing is overwritten");
    CHECK(reprise_test::read_file(path) == "9 elsewhere\n");
}
