// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Unit tests of reprise::Error's kinds (include/reprise/error.hpp): each kind from a real
// failure of its class, so that a caller can branch on it; the messages are the ones the
// behaviour tests check.

#include "catch.hpp"
#include "support.hpp"

#include "reprise/detail/store.hpp"
#include "reprise/reprise.hpp"

#include <map>
#include <string>

using namespace reprise_test;
using Env = std::map<std::string, std::string>;
using reprise::ErrorKind;

namespace {

// The kind of the Error `f` throws; fails the test when it throws none.
template <class F>
ErrorKind kind_of(F&& f) {
    try {
        f();
    } catch (const reprise::Error& e) {
        return e.kind();
    }
    FAIL("no reprise::Error thrown");
    return ErrorKind::usage;
}

} // namespace

TEST_CASE("error: the API used as it may not be is a usage error", "[unit][error]") {
    TempDir dir;
    reprise::Checkpointer c(options_for(dir.path()));
    int x = 0;
    c.track("x", x);
    CHECK(kind_of([&] { c.track("x", x); }) == ErrorKind::usage);
    const reprise::Options other = options_for(dir.path(), reprise::RestorePolicy::automatic, "u");
    CHECK(kind_of([&] { reprise::Checkpointer second(other); }) == ErrorKind::usage);
    c.finish();
    CHECK(kind_of([&] { c.save(); }) == ErrorKind::usage);
}

TEST_CASE("error: a value not understood is a configuration error", "[unit][error]") {
    TempDir dir;
    {
        ScopedEnv env(Env{{"REPRISE_INTERVAL", "soon"}});
        CHECK(kind_of([&] { reprise::Checkpointer c(options_for(dir.path())); }) ==
              ErrorKind::configuration);
    }
    reprise::Options o = options_for(dir.path());
    o.name = std::string(300, 'n');
    CHECK(kind_of([&] { reprise::Checkpointer c(o); }) == ErrorKind::configuration);
}

TEST_CASE("error: a job held by another holder of its lock is lock_held", "[unit][error]") {
    TempDir dir;
    const reprise::detail::StoreIdentity id{dir.path(), "t", "local", "host", true};
    reprise::detail::GenerationStore first(id);
    CHECK(kind_of([&] { reprise::detail::GenerationStore second(id); }) == ErrorKind::lock_held);
}

TEST_CASE("error: a directory that cannot be made is an io error", "[unit][error]") {
    TempDir dir;
    write_file(dir / "file", "x");
    CHECK(kind_of([&] { reprise::Checkpointer c(options_for(dir / "file/sub")); }) == ErrorKind::io);
}

TEST_CASE("error: another program's checkpoint is a mismatch", "[unit][error]") {
    TempDir dir;
    save_int(dir.path(), 7);
    reprise::Checkpointer c(options_for(dir.path(), reprise::RestorePolicy::always));
    double other = 0;
    c.track("other", other);
    CHECK(kind_of([&] { c.restore(); }) == ErrorKind::mismatch);
}

TEST_CASE("error: checkpoints none of which is valid are corrupt", "[unit][error]") {
    TempDir dir;
    save_int(dir.path(), 7);
    for (const auto& name : files_ending(dir.path(), ".ckpt")) write_file(dir / name, "junk");
    reprise::Checkpointer c(options_for(dir.path(), reprise::RestorePolicy::always));
    int v = 0;
    c.track("v", v);
    StderrCapture err;
    CHECK(kind_of([&] { c.restore(); }) == ErrorKind::corrupt);
}

TEST_CASE("error: every kind has its name", "[unit][error]") {
    CHECK(std::string(reprise::to_string(ErrorKind::lock_held)) == "lock_held");
    CHECK(std::string(reprise::to_string(ErrorKind::io)) == "io");
    CHECK(std::string(reprise::to_string(ErrorKind::mismatch)) == "mismatch");
    const reprise::Error plain("reprise: x");
    CHECK(plain.kind() == ErrorKind::usage);
    CHECK(std::string(plain.what()) == "reprise: x");
}
