// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Background saves (SaveMode::background, REPRISE_MODE=background): a trigger costs the
// compute loop a snapshot, a writer thread puts it on disk, generation() advances only
// once it is durable, at most one save is in flight and a trigger meanwhile is carried out
// when it ends, a stop waits for it and then saves synchronously, and a failure is
// reported at a later poll.
//
// Real worker processes, real signals, real files. The worker (`worker bg`, see worker.cpp)
// knows that a writer has ended without sleeping, and can hold a background writer at its
// first seam (a "gate") so that a save is in flight for as long as the test wants.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace reprise_test;

namespace {

constexpr unsigned long long kN = 1000;
constexpr unsigned long long kPauseEvery = 100;

// Lets the writer pass the seam's lock (sys.hpp) without ever firing: a gate can hold it.
const std::map<std::string, std::string> kGateable = {{"REPRISE_KILL_AT", "before-write@999999999"}};

unsigned long long triangle(unsigned long long n) { return n * (n + 1) / 2; }

std::map<std::string, std::string> background(std::map<std::string, std::string> env = {}) {
    env["REPRISE_MODE"] = "background";
    return env;
}

// `worker <mode> n --pause-every k` in `dir`, in background mode, with `env` added.
Child start_mode(const std::string& mode, const TempDir& dir, unsigned long long n,
                 unsigned long long pause_every, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> args = {mode, std::to_string(n)};
    if (pause_every) {
        args.push_back("--pause-every");
        args.push_back(std::to_string(pause_every));
    }
    return start_worker(dir, args, background(std::move(env)));
}

// A restart by hand (RESTARTED=1, background mode) without pauses: it must resume at
// `expected_i` from generation `expected_gen` and finish with the whole sum, leaving the
// directory empty.
void check_restart_resumes(const TempDir& dir, unsigned long long expected_i,
                           unsigned long long expected_gen) {
    Child restart = start_mode("sum", dir, kN, 0, {{"RESTARTED", "1"}});
    const std::string start = next_line(restart);
    const std::vector<std::string> rest = run_to_end(restart);
    const int status = wait_for_end(restart);
    INFO("restart's first line: " << start);
    INFO("restart's stderr:\n" << restart.stderr_text());
    CHECK(field(start, "restored") == "1");
    CHECK(number(start, "i") == expected_i);
    CHECK(number(start, "gen") == expected_gen);
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    CHECK(list_dir(dir.path()).empty());
}

// Sends SIGUSR1 at the worker's next pause and answers `command`; returns the pause line.
std::string trigger_at_next_pause(Child& child, const std::string& command = "go") {
    const std::string paused = child.expect_line("paused ");
    child.signal(SIGUSR1);
    child.send_line(command);
    return paused;
}

} // namespace

// ---- SIGUSR1 ------------------------------------------------------------------------------

TEST_CASE("in background mode a SIGUSR1 saves and the computation continues to the right sum",
          "[background][signals]") {
    TempDir dir;
    Child child = start_mode("bg", dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = trigger_at_next_pause(child);
    const std::string snapshot = next_line(child);
    INFO("line after the pause: " << snapshot);
    REQUIRE(starts_with(snapshot, "snapshot "));
    CHECK(number(snapshot, "i") == number(paused, "i"));
    CHECK(number(snapshot, "sum") == triangle(number(paused, "i") - 1));
    CHECK(number(snapshot, "gen") == 0); // nothing durable yet when the poll returned
    const std::string durable = next_line(child);
    REQUIRE(starts_with(durable, "durable "));
    CHECK(number(durable, "gen") == 1);
    CHECK(number(durable, "i") == number(paused, "i"));
    // The writer has ended: its generation is on disk, complete, with no temporary beside it.
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    CHECK(lines_with(child.stderr_text(), {"reprise: saved generation 1"}).size() == 1);
    const auto rest = run_to_end(child);
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    CHECK(starting_with(rest, "snapshot ").empty());
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    CHECK(lines_with(err, {"reprise: saved generation"}).size() == 1);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("REPRISE_MODE=background with a plain program: maybe_save() returns true at the "
          "SIGUSR1 and the saved generation is on disk at the end",
          "[background][signals]") {
    TempDir dir;
    Child child = start_mode("sum", dir, kN, kPauseEvery, {{"WORKER_KEEP", "1"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = trigger_at_next_pause(child);
    const std::string saved = next_line(child);
    INFO("line after the pause: " << saved);
    REQUIRE(starts_with(saved, "saved "));
    CHECK(number(saved, "i") == number(paused, "i"));
    const auto rest = run_to_end(child);
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    CHECK(starting_with(rest, "saved ").empty());
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    // No finish() (WORKER_KEEP): the destructor waited for the writer, which completed.
    CHECK(lines_with(err, {"reprise: saved generation 1"}).size() == 1);
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    check_restart_resumes(dir, number(paused, "i"), 1);
}

TEST_CASE("in background mode a SIGKILL after the generation is durable leaves it for the "
          "restart to resume from",
          "[background][signals][durability]") {
    TempDir dir;
    Child child = start_mode("bg", dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = trigger_at_next_pause(child);
    REQUIRE(starts_with(next_line(child), "snapshot "));
    const std::string durable = next_line(child);
    REQUIRE(starts_with(durable, "durable "));
    REQUIRE(number(durable, "gen") == 1);
    // The worker goes on past the save, then dies without a word.
    const std::string later = next_line(child);
    REQUIRE(starts_with(later, "paused "));
    REQUIRE(number(later, "i") > number(paused, "i"));
    child.signal(SIGKILL);
    const int status = wait_for_end(child);
    INFO("worker " << describe_status(status));
    REQUIRE(killed_by(status, SIGKILL));
    CHECK(files_ending(dir.path(), ".tmp").empty());
    check_restart_resumes(dir, number(paused, "i"), 1);
}

TEST_CASE("in background mode REPRISE_INTERVAL saves periodically, each generation durable "
          "in turn",
          "[background][interval]") {
    TempDir dir;
    const unsigned long long n = 10000000, pause_every = 1000;
    Child child = start_mode("bg", dir, n, pause_every, {{"REPRISE_INTERVAL", "0.01"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    std::vector<std::string> durable;
    std::string line;
    while (durable.size() < 2) {
        line = child.read_line();
        if (line.empty() || starts_with(line, "result ")) break;
        if (starts_with(line, "durable ") || starts_with(line, "failed "))
            durable.push_back(line);
        else if (starts_with(line, "paused "))
            child.send_line("go");
    }
    INFO("last line: " << line);
    INFO("worker stderr:\n" << child.stderr_text());
    REQUIRE(durable.size() == 2);
    CHECK(starts_with(durable[0], "durable "));
    CHECK(starts_with(durable[1], "durable "));
    CHECK(number(durable[0], "gen") + 1 == number(durable[1], "gen"));
    CHECK(number(durable[0], "i") < number(durable[1], "i"));
    child.signal(SIGKILL);
    CHECK(killed_by(wait_for_end(child), SIGKILL));
    CHECK(files_ending(dir.path(), ".ckpt").size() <= 2);
}

// ---- stop signals -------------------------------------------------------------------------

TEST_CASE("in background mode a SIGTERM saves, ends the process by SIGTERM, and a restart "
          "resumes there",
          "[background][signals]") {
    TempDir dir;
    Child child = start_mode("sum", dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = child.expect_line("paused ");
    child.signal(SIGTERM);
    child.send_line("go");
    child.close_stdin();
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    CHECK(after.empty()); // it dies inside maybe_save(): nothing more on stdout
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"reprise: saved generation 1"}).size() == 1);
    CHECK(lines_with(err, {"stopping on", "SIGTERM"}).size() == 1);
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    check_restart_resumes(dir, number(paused, "i"), 1);
}

TEST_CASE("in background mode a SIGTERM while a save is in flight waits for it, then saves "
          "synchronously: the restart resumes at the SIGTERM's iteration",
          "[background][signals][durability]") {
    TempDir dir;
    Child child = start_mode("bg", dir, kN, kPauseEvery, kGateable);
    REQUIRE(field(next_line(child), "restored") == "0");
    // The SIGUSR1's save starts and stays in flight: its writer waits at the gate.
    const std::string first = trigger_at_next_pause(child, "gate");
    REQUIRE(next_line(child) == "gated");
    const std::string snapshot = next_line(child);
    REQUIRE(starts_with(snapshot, "snapshot "));
    CHECK(number(snapshot, "i") == number(first, "i"));
    const std::string second = child.expect_line("paused ");
    CHECK(files_ending(dir.path(), ".ckpt").empty()); // still in flight
    // The gate opens only once the poll has taken the stop: the stop finds the save in flight.
    child.signal(SIGTERM);
    child.send_line("open-on-stop");
    child.close_stdin();
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    INFO("line after the SIGTERM: " << after);
    CHECK(after.empty());
    CHECK(killed_by(status, SIGTERM));
    // Both saves, in order: the background one, then the stop's own.
    REQUIRE(lines_with(err, {"reprise: saved generation 1"}).size() == 1);
    REQUIRE(lines_with(err, {"reprise: saved generation 2"}).size() == 1);
    CHECK(err.find("saved generation 1") < err.find("saved generation 2"));
    CHECK(err.find("saved generation 2") < err.find("stopping on SIGTERM"));
    CHECK(lines_with(err, {"although"}).empty());
    CHECK(files_ending(dir.path(), ".ckpt").size() == 2);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    check_restart_resumes(dir, number(second, "i"), 2);
}

TEST_CASE("in background mode a SIGTERM while a failing save is in flight reports the "
          "failure, saves synchronously and ends by SIGTERM",
          "[background][signals][durability]") {
    TempDir dir;
    Child child = start_mode("bg", dir, kN, kPauseEvery, {{"REPRISE_FAULT", "fsync:EIO@1"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    trigger_at_next_pause(child, "gate");
    REQUIRE(next_line(child) == "gated");
    REQUIRE(starts_with(next_line(child), "snapshot "));
    const std::string second = child.expect_line("paused ");
    child.signal(SIGTERM);
    child.send_line("open-on-stop");
    child.close_stdin();
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    CHECK(after.empty());
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"fsync", dir.path(), "Input/output error"}).size() == 1);
    CHECK(lines_with(err, {"reprise: saved generation"}).size() == 1);
    CHECK(lines_with(err, {"stopping on", "SIGTERM"}).size() == 1);
    CHECK(lines_with(err, {"although"}).empty()); // the stop's own save succeeded
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    Child restart = start_mode("sum", dir, kN, 0, {{"RESTARTED", "1"}});
    const std::string start = next_line(restart);
    run_to_end(restart);
    INFO("restart's stderr:\n" << restart.stderr_text());
    CHECK(number(start, "i") == number(second, "i"));
    CHECK(exited_with(wait_for_end(restart), 0));
}

// ---- coalescing ---------------------------------------------------------------------------

TEST_CASE("in background mode triggers during a save in flight coalesce into one deferred "
          "save, carried out when the writer ends",
          "[background][signals]") {
    TempDir dir;
    Child child = start_mode("bg", dir, kN, kPauseEvery, kGateable);
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string first = trigger_at_next_pause(child, "gate");
    REQUIRE(next_line(child) == "gated");
    const std::string snapshot = next_line(child);
    REQUIRE(starts_with(snapshot, "snapshot "));
    CHECK(number(snapshot, "i") == number(first, "i"));
    // A burst in one pause, and one more at the next: each poll finds the save in flight.
    const std::string burst = child.expect_line("paused ");
    for (int k = 0; k < 3; ++k) child.signal(SIGUSR1);
    child.send_line("go");
    const std::string last_trigger = next_line(child);
    INFO("line after the burst: " << last_trigger);
    REQUIRE(starts_with(last_trigger, "paused ")); // no save started meanwhile
    child.signal(SIGUSR1);
    child.send_line("go");
    const std::string opening = next_line(child);
    INFO("line after the last trigger: " << opening);
    REQUIRE(starts_with(opening, "paused "));
    CHECK(files_ending(dir.path(), ".ckpt").empty());
    // The first save ends; the deferred one is carried out at the very next poll.
    child.send_line("open");
    const std::string durable = next_line(child);
    REQUIRE(starts_with(durable, "durable "));
    CHECK(number(durable, "gen") == 1);
    CHECK(number(durable, "i") == number(first, "i"));
    const std::string deferred = next_line(child);
    REQUIRE(starts_with(deferred, "snapshot "));
    CHECK(number(deferred, "i") == number(opening, "i"));
    CHECK(number(deferred, "i") > number(last_trigger, "i")); // after the last trigger
    const std::string durable2 = next_line(child);
    REQUIRE(starts_with(durable2, "durable "));
    CHECK(number(durable2, "gen") == 2);
    const auto rest = run_to_end(child);
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    INFO("the rest:\n" << joined(rest));
    CHECK(starting_with(rest, "snapshot ").empty()); // two saves in all
    CHECK(lines_with(err, {"reprise: saved generation"}).size() == 2);
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    CHECK(list_dir(dir.path()).empty());
}

// ---- failure ------------------------------------------------------------------------------

TEST_CASE("in background mode a failed save is reported at a later poll, the computation "
          "goes on, and the next SIGUSR1 saves",
          "[background][signals][durability]") {
    TempDir dir;
    Child child = start_mode("bg", dir, kN, kPauseEvery, {{"REPRISE_FAULT", "fsync:EIO@1"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string first = trigger_at_next_pause(child);
    REQUIRE(starts_with(next_line(child), "snapshot "));
    const std::string failed = next_line(child);
    INFO("line after the snapshot: " << failed);
    REQUIRE(starts_with(failed, "failed "));
    CHECK(number(failed, "gen") == 0);
    CHECK(number(failed, "i") == number(first, "i"));
    // Polls have run since the writer ended: the failure has been reported by now.
    const std::string second = child.expect_line("paused ");
    {
        const std::string err = child.stderr_text();
        INFO("worker stderr:\n" << err);
        const auto failures = lines_with(err, {"fsync", dir.path(), "Input/output error"});
        CHECK(failures.size() == 1);
        if (!failures.empty()) {
            CHECK(contains(failures[0], ".ckpt.tmp"));
            CHECK(contains(failures[0], "the computation goes on"));
        }
        CHECK(files_ending(dir.path(), ".tmp").empty());
        CHECK(files_ending(dir.path(), ".ckpt").empty());
    }
    child.signal(SIGUSR1);
    child.send_line("go");
    const std::string snapshot = next_line(child);
    REQUIRE(starts_with(snapshot, "snapshot "));
    CHECK(number(snapshot, "i") == number(second, "i"));
    const std::string durable = next_line(child);
    INFO("line after the second snapshot: " << durable);
    REQUIRE(starts_with(durable, "durable "));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    const auto rest = run_to_end(child);
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    CHECK(lines_with(err, {"Input/output error"}).size() == 1);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("in background mode a periodic save that fails is tried again at the next interval",
          "[background][interval]") {
    TempDir dir;
    const unsigned long long n = 10000000, pause_every = 1000;
    Child child = start_mode("bg", dir, n, pause_every,
                             {{"REPRISE_INTERVAL", "0.01"}, {"REPRISE_FAULT", "fsync:EIO@1"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    std::vector<std::string> ends;
    std::string line;
    for (;;) {
        line = child.read_line();
        if (line.empty() || starts_with(line, "result ")) break;
        if (starts_with(line, "failed ")) ends.push_back(line);
        if (starts_with(line, "durable ")) {
            ends.push_back(line);
            break;
        }
        if (starts_with(line, "paused ")) child.send_line("go");
    }
    const std::string err = child.stderr_text();
    INFO("last line: " << line);
    INFO("worker stderr:\n" << err);
    INFO("ends of saves:\n" << joined(ends));
    REQUIRE(!ends.empty());
    CHECK(starts_with(ends.front(), "failed "));
    CHECK(lines_with(err, {"fsync", dir.path(), "Input/output error"}).size() == 1);
    // The interval timer must not give up after the failed background save.
    CHECK(starts_with(ends.back(), "durable "));
    child.signal(SIGKILL);
    wait_for_end(child);
}

// ---- in-process ---------------------------------------------------------------------------

namespace {

reprise::Options background_options(const std::string& directory,
                                    reprise::RestorePolicy policy = reprise::RestorePolicy::never) {
    reprise::Options o = options_for(directory, policy);
    o.mode = reprise::SaveMode::background;
    o.handle_signals = false; // request_save() is the trigger; the test runner keeps its handlers
    return o;
}

// What a fresh Checkpointer restores from `directory`: the value of "x" and the generation.
std::pair<int, std::uint64_t> restored_x(const std::string& directory) {
    reprise::Checkpointer c(options_for(directory, reprise::RestorePolicy::always));
    int x = -1;
    c.track("x", x);
    REQUIRE(c.restore());
    return {x, c.generation()};
}

} // namespace

TEST_CASE("in background mode request_save() and maybe_save() return at once with a snapshot, "
          "save() waits for it and both generations are valid",
          "[background][api]") {
    clear_environment();
    TempDir dir;
    {
        reprise::Checkpointer c(background_options(dir.path()));
        int x = 1;
        c.track("x", x);
        CHECK_FALSE(c.restore());
        CHECK_FALSE(c.maybe_save());
        c.request_save();
        CHECK(c.maybe_save());
        x = 2; // while the writer may still be writing: the snapshot holds 1
        c.save();
        CHECK(c.generation() == 2);
        CHECK_FALSE(c.maybe_save()); // the writer's end is collected; no save of its own
        CHECK(c.generation() == 2);
        CHECK(files_ending(dir.path(), ".ckpt").size() == 2);
        CHECK(files_ending(dir.path(), ".tmp").empty());
    }
    CHECK(restored_x(dir.path()) == std::make_pair(2, std::uint64_t(2)));
    // Generation 1 is complete and valid too, and holds the state as of its trigger.
    const auto ckpts = files_ending(dir.path(), ".ckpt");
    REQUIRE(ckpts.size() == 2);
    REQUIRE(::unlink((dir / ckpts.back()).c_str()) == 0);
    CHECK(restored_x(dir.path()) == std::make_pair(1, std::uint64_t(1)));
}

TEST_CASE("in background mode a large array, copied into the snapshot in pieces that the "
          "writer follows, restores exactly, between the small values around it",
          "[background][roundtrip]") {
    clear_environment();
    TempDir dir;
    // Larger than ByteSink::kBulkBytes, and not a multiple of the 4 KiB split granule.
    const std::size_t count = (std::size_t(24) << 20) / sizeof(double) + 123;
    auto value = [](std::size_t k) { return static_cast<double>(k) * 0.75 - 3.0; };
    {
        reprise::Checkpointer c(background_options(dir.path()));
        int before = 7, after = 9;
        std::vector<double> big(count);
        for (std::size_t k = 0; k < count; ++k) big[k] = value(k);
        c.track("before", before).track("big", big).track("after", after);
        c.request_save();
        CHECK(c.maybe_save());
        c.request_save(); // a second snapshot into the same buffer
        big[0] = -1.0;
        c.save();
        CHECK(c.generation() == 2);
    }
    reprise::Options o = background_options(dir.path());
    o.restore = reprise::RestorePolicy::always;
    reprise::Checkpointer c(o);
    int before = 0, after = 0;
    std::vector<double> big;
    c.track("before", before).track("big", big).track("after", after);
    REQUIRE(c.restore());
    CHECK(before == 7);
    CHECK(after == 9);
    REQUIRE(big.size() == count);
    CHECK(big[0] == -1.0);
    std::size_t wrong = 0;
    for (std::size_t k = 1; k < count; ++k) wrong += big[k] != value(k);
    CHECK(wrong == 0);
}

namespace {

// A variable whose serialization throws when `fail` is set, after `before` (large enough
// that the writer has started on it: SnapshotSink publishes every 16 MiB of an array, the
// writer takes 8 MiB at a time).
struct Fragile {
    std::vector<double> before;
    bool fail = false;
    template <class Archive>
    void save(Archive& ar) const {
        ar(before);
        if (fail) throw std::runtime_error("Fragile: cannot serialize");
        ar(static_cast<std::uint64_t>(before.size()));
    }
    template <class Archive>
    void load(Archive& ar) {
        std::uint64_t n = 0;
        ar(before, n);
        if (n != before.size()) throw std::runtime_error("Fragile: torn");
    }
};

} // namespace

TEST_CASE("in background mode a state that grows between saves is written while its snapshot "
          "buffer moves, and restores exactly",
          "[background][roundtrip]") {
    clear_environment();
    TempDir dir;
    // The first snapshot sizes the buffer for `first` alone; the second outgrows it once
    // `first` (40 MiB, published in pieces the writer is following) is in: the buffer
    // moves under the writer.
    auto value = [](std::size_t k, double scale) { return static_cast<double>(k) * scale + 0.5; };
    const std::size_t first_count = (std::size_t(40) << 20) / sizeof(double);
    const std::size_t second_count = (std::size_t(24) << 20) / sizeof(double) + 77;
    std::vector<int> smalls_saved;
    {
        reprise::Checkpointer c(background_options(dir.path()));
        std::vector<double> first(first_count), second;
        std::vector<std::vector<int>> smalls;
        for (std::size_t k = 0; k < first_count; ++k) first[k] = value(k, 1.0);
        c.track("first", first).track("second", second).track("smalls", smalls);
        c.request_save();
        CHECK(c.maybe_save());
        c.save(); // waits for the first, saves again in full
        REQUIRE(c.generation() == 2);
        second.resize(second_count);
        for (std::size_t k = 0; k < second_count; ++k) second[k] = value(k, -2.0);
        for (int k = 0; k < 300000; ++k) smalls.push_back({k, k + 1}); // ~ 7 MiB of small values
        first[17] = -17.0;
        c.request_save();
        CHECK(c.maybe_save());
        first[18] = -18.0; // after the snapshot: not in generation 3
    } // the destructor waits for the writer
    reprise::Options o = background_options(dir.path());
    o.restore = reprise::RestorePolicy::always;
    reprise::Checkpointer c(o);
    std::vector<double> first, second;
    std::vector<std::vector<int>> smalls;
    c.track("first", first).track("second", second).track("smalls", smalls);
    REQUIRE(c.restore());
    CHECK(c.generation() == 3);
    REQUIRE(first.size() == first_count);
    REQUIRE(second.size() == second_count);
    REQUIRE(smalls.size() == 300000u);
    CHECK(first[17] == -17.0);
    CHECK(first[18] == value(18, 1.0));
    std::size_t wrong = 0;
    for (std::size_t k = 0; k < first_count; ++k)
        wrong += k != 17 && first[k] != value(k, 1.0);
    for (std::size_t k = 0; k < second_count; ++k) wrong += second[k] != value(k, -2.0);
    for (int k = 0; k < 300000; ++k)
        wrong += smalls[static_cast<std::size_t>(k)] != std::vector<int>{k, k + 1};
    CHECK(wrong == 0);
}

TEST_CASE("in background mode a serialization that throws while the writer is writing gives "
          "the file up: one failure reported, the previous generation kept, the next save "
          "whole",
          "[background][failure]") {
    clear_environment();
    TempDir dir;
    std::mutex mutex;
    std::vector<std::string> errors;
    reprise::Options o = background_options(dir.path());
    o.quiet = false;
    o.log = [&](const reprise::LogLine& line) {
        std::lock_guard<std::mutex> lock(mutex);
        if (line.kind == reprise::LogKind::error || line.kind == reprise::LogKind::warning)
            errors.emplace_back(line.text);
    };
    Fragile fragile;
    fragile.before.assign((std::size_t(48) << 20) / sizeof(double), 1.25);
    {
        reprise::Checkpointer c(o);
        int x = 1;
        c.track("x", x).track("fragile", fragile);
        c.save();
        REQUIRE(c.generation() == 1);
        x = 2;
        fragile.fail = true;
        c.request_save();
        CHECK_FALSE(c.maybe_save()); // the snapshot failed: nothing queued
        CHECK(c.generation() == 1);
        {
            std::lock_guard<std::mutex> lock(mutex);
            REQUIRE(errors.size() == 1);
            CHECK(errors[0].find("Fragile: cannot serialize") != std::string::npos);
        }
        CHECK(files_ending(dir.path(), ".tmp").empty());
        fragile.fail = false;
        x = 3;
        c.request_save();
        CHECK(c.maybe_save());
        c.save(); // waits for it, then generation 4
        CHECK(c.generation() == 4);
        std::lock_guard<std::mutex> lock(mutex);
        CHECK(errors.size() == 1); // the abandoned writer's own failure is not reported
    }
    // Generation 4, then (once it is gone) generation 3, the background save after the
    // failure: both whole.
    for (const std::uint64_t expected : {std::uint64_t(4), std::uint64_t(3)}) {
        if (expected == 3) REQUIRE(::unlink((dir / "t.local.0000000004.ckpt").c_str()) == 0);
        reprise::Checkpointer c(options_for(dir.path(), reprise::RestorePolicy::always));
        int x = 0;
        Fragile restored;
        c.track("x", x).track("fragile", restored);
        REQUIRE(c.restore());
        CHECK(c.generation() == expected);
        CHECK(x == 3);
        CHECK(restored.before == fragile.before);
    }
}

TEST_CASE("in background mode generation() advances only once the save is durable, and a "
          "trigger meanwhile is carried out after it",
          "[background][api][durability]") {
    clear_environment();
    TempDir dir;
    ScopedEnv env(kGateable);
    {
        reprise::Checkpointer c(background_options(dir.path()));
        int x = 1;
        c.track("x", x);
        c.restore();
        // Holding the seam's lock holds the writer before it writes a byte.
        std::unique_lock<std::mutex> gate(reprise::detail::seam_mutex());
        c.request_save();
        CHECK(c.maybe_save());
        x = 2;
        c.request_save();
        CHECK_FALSE(c.maybe_save()); // one save in flight: this trigger waits for it
        CHECK(c.generation() == 0);
        CHECK(files_ending(dir.path(), ".ckpt").empty());
        x = 3;
        gate.unlock();
        // The deferred trigger is carried out by a poll once the first save has ended; it
        // takes the state as it is then. (The deadline only turns a lost trigger into a
        // failure instead of a hang.)
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        bool saved = false;
        while (!saved && std::chrono::steady_clock::now() < deadline) {
            saved = c.maybe_save();
            if (!saved) std::this_thread::yield();
        }
        REQUIRE(saved);
        CHECK(c.generation() >= 1);
        x = 4;
    } // the destructor waits for the second save
    CHECK(files_ending(dir.path(), ".tmp").empty());
    CHECK(restored_x(dir.path()) == std::make_pair(3, std::uint64_t(2)));
}

TEST_CASE("in background mode finish() right after a trigger waits for the save and leaves "
          "the directory empty",
          "[background][api]") {
    clear_environment();
    TempDir dir;
    reprise::Checkpointer c(background_options(dir.path()));
    int x = 1;
    c.track("x", x);
    c.restore();
    c.request_save();
    CHECK(c.maybe_save());
    c.request_save();
    c.maybe_save(); // deferred, or a second save if the first one has ended already
    c.finish();
    CHECK(files_ending(dir.path(), ".ckpt").empty());
    CHECK(files_ending(dir.path(), ".tmp").empty());
    CHECK(files_ending(dir.path(), ".lock").empty());
    CHECK(list_dir(dir.path()).empty());
    // Nothing comes back after finish(), not even the deferred trigger.
    c.request_save();
    CHECK_FALSE(c.maybe_save());
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("in background mode the destructor right after a trigger waits for the writer: "
          "the generation is complete and restores",
          "[background][api][durability]") {
    clear_environment();
    TempDir dir;
    {
        std::vector<double> big(1 << 20, 1.5); // 8 MiB: the writer is still busy at the '}'
        int x = 7;
        reprise::Checkpointer c(background_options(dir.path()));
        c.track("x", x).track("big", big);
        c.restore();
        c.request_save();
        CHECK(c.maybe_save());
        x = 8;
        std::fill(big.begin(), big.end(), 0.0);
    }
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    reprise::Checkpointer c(options_for(dir.path(), reprise::RestorePolicy::always));
    int x = -1;
    std::vector<double> big;
    c.track("x", x).track("big", big);
    REQUIRE(c.restore());
    CHECK(c.generation() == 1);
    CHECK(x == 7);
    REQUIRE(big.size() == std::size_t(1) << 20);
    CHECK(std::all_of(big.begin(), big.end(), [](double v) { return v == 1.5; }));
}

// ---- crash consistency --------------------------------------------------------------------

namespace {

// 2.4 MB of state: several writes per save.
const std::string kElements = "300000";
const std::string kNever = "999999999";

// The pass through `point` at which a kill lands in the middle of the third background
// save, counted by a run that is never killed.
unsigned long kill_pass_in_third_save(const std::string& point) {
    TempDir dir;
    Child child = start_worker(dir, {"torn-bg", kElements, "3"},
                               background({{"REPRISE_KILL_AT", point + "@" + kNever},
                                           {"REPRISE_LOG", "quiet"}}));
    const auto lines = all_lines(child);
    const int status = child.wait();
    INFO("counting run of " << point << ":\n" << joined(lines) << child.stderr_text());
    REQUIRE(exited_with(status, 0));
    REQUIRE(lines.size() == 4);
    CHECK(starts_with(lines[1], "saved step=1 gen=1 "));
    CHECK(starts_with(lines[3], "saved step=3 gen=3 "));
    const unsigned long after_second = number(lines[2], "passes");
    const unsigned long after_third = number(lines[3], "passes");
    REQUIRE(after_third > after_second);
    return after_second + (after_third - after_second + 1) / 2;
}

// Kills `worker torn-bg` at `point` in its third save's writer thread; a restore must give
// a whole generation, `expected_step` (2: the old one, 3: the new one).
void kill_writer_in_third_save(const std::string& point, unsigned long long expected_step) {
    const unsigned long pass = kill_pass_in_third_save(point);
    TempDir dir;
    {
        Child child = start_worker(dir, {"torn-bg", kElements, "4"},
                                   background({{"REPRISE_KILL_AT", point + "@" + std::to_string(pass)}}));
        const auto lines = all_lines(child);
        const int status = child.wait();
        INFO("REPRISE_KILL_AT=" << point << "@" << pass);
        INFO("worker stdout:\n" << joined(lines));
        INFO("worker stderr:\n" << child.stderr_text());
        INFO("worker " << describe_status(status));
        REQUIRE(killed_by(status, SIGKILL));
        REQUIRE(lines.size() == 3);
        CHECK(starts_with(lines[1], "saved step=1 gen=1 "));
        CHECK(starts_with(lines[2], "saved step=2 gen=2 "));
    }
    {
        INFO("after the kill: " << joined(list_dir(dir.path())));
        const auto ckpts = files_ending(dir.path(), ".ckpt");
        CHECK(!ckpts.empty());
        CHECK(ckpts.size() <= 2);
        CHECK(files_ending(dir.path(), ".tmp").size() <= 1);
    }
    for (const char* mode : {"sync", "background"}) {
        INFO("restoring in " << mode << " mode");
        Child restore = start_worker(dir, {"torn", kElements, "0"},
                                     {{"REPRISE_RESTORE", "always"}, {"REPRISE_MODE", mode}});
        const auto lines = all_lines(restore);
        const int status = restore.wait();
        INFO("restoring run:\n" << joined(lines) << restore.stderr_text());
        REQUIRE(exited_with(status, 0));
        REQUIRE(lines.size() == 1);
        CHECK(field(lines[0], "consistent") == "1");
        const unsigned long long step = number(lines[0], "step");
        CHECK((step == 2 || step == 3));
        CHECK(step == expected_step);
        CHECK(number(lines[0], "gen") == step);
        CHECK(files_ending(dir.path(), ".tmp").empty());
    }
    {
        // A later background run saves on top of it.
        Child later = start_worker(dir, {"torn-bg", kElements, "1"},
                                   background({{"REPRISE_RESTORE", "always"}}));
        const auto lines = all_lines(later);
        const int status = later.wait();
        INFO("a later run that saves once:\n" << joined(lines) << later.stderr_text());
        REQUIRE(exited_with(status, 0));
        REQUIRE(lines.size() == 2);
        CHECK(field(lines[0], "consistent") == "1");
        CHECK(number(lines[1], "step") == expected_step + 1);
        CHECK(number(lines[1], "gen") == expected_step + 1);
        CHECK(files_ending(dir.path(), ".tmp").empty());
        CHECK(files_ending(dir.path(), ".ckpt").size() <= 2);
    }
}

} // namespace

TEST_CASE("in background mode a SIGKILL before the writer's first byte restores the "
          "previous generation",
          "[background][crash][durability]") {
    kill_writer_in_third_save("before-write", 2);
}

TEST_CASE("in background mode a SIGKILL in the middle of the writer's writes restores the "
          "previous generation",
          "[background][crash][durability]") {
    kill_writer_in_third_save("mid-write", 2);
}

TEST_CASE("in background mode a SIGKILL after the writer's fsync restores the previous "
          "generation",
          "[background][crash][durability]") {
    kill_writer_in_third_save("after-fsync", 2);
}

TEST_CASE("in background mode a SIGKILL after the writer's rename restores the new generation",
          "[background][crash][durability]") {
    kill_writer_in_third_save("after-rename", 3);
}

TEST_CASE("in background mode the writer saves the snapshot, not the live state the loop "
          "changes meanwhile",
          "[background][durability]") {
    // torn-bg scribbles over its state while each writer runs: a restore of any of its
    // generations must still be consistent.
    TempDir dir;
    {
        Child child = start_worker(dir, {"torn-bg", kElements, "3"}, background());
        const auto lines = all_lines(child);
        const int status = child.wait();
        INFO("worker:\n" << joined(lines) << child.stderr_text());
        REQUIRE(exited_with(status, 0));
        REQUIRE(lines.size() == 4);
        CHECK(starts_with(lines[3], "saved step=3 gen=3 "));
    }
    for (int round = 0; round < 2; ++round) {
        Child restore = start_worker(dir, {"torn", kElements, "0"}, {{"REPRISE_RESTORE", "always"}});
        const auto lines = all_lines(restore);
        const int status = restore.wait();
        INFO("restoring run:\n" << joined(lines) << restore.stderr_text());
        REQUIRE(exited_with(status, 0));
        REQUIRE(lines.size() == 1);
        CHECK(field(lines[0], "consistent") == "1");
        CHECK(number(lines[0], "step") == (round == 0 ? 3u : 2u));
        // Next round: the older generation, once the newest is gone.
        const auto ckpts = files_ending(dir.path(), ".ckpt");
        REQUIRE(!ckpts.empty());
        REQUIRE(::unlink((dir / ckpts.back()).c_str()) == 0);
    }
}
