// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Signals and periodic saves, through a real worker process: the test sends real signals
// and reads what the worker prints. The worker stops on a read of stdin every K
// iterations ("paused"); a signal sent before the test answers is always handled before
// the next poll, so where a save happens never depends on timing.

#include "catch.hpp"
#include "support.hpp"

#include <csignal>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace reprise_test;

namespace {

constexpr unsigned long long kN = 1000;
constexpr unsigned long long kPauseEvery = 100;

unsigned long long triangle(unsigned long long n) { return n * (n + 1) / 2; }

// `worker <mode> n --pause-every k [extra...]` in `dir`, with `env` added.
Child start_mode(const std::string& mode, const TempDir& dir, unsigned long long n,
                 unsigned long long pause_every, std::map<std::string, std::string> env = {},
                 const std::vector<std::string>& extra = {}) {
    Child::Spec spec;
    spec.argv = {worker_path(), mode, std::to_string(n)};
    if (pause_every) {
        spec.argv.push_back("--pause-every");
        spec.argv.push_back(std::to_string(pause_every));
    }
    for (const auto& e : extra) spec.argv.push_back(e);
    env["REPRISE_DIR"] = dir.path();
    spec.env = std::move(env);
    return Child(std::move(spec));
}

// `worker sum n --pause-every k [extra...]` in `dir`, with `env` added.
Child start_sum(const TempDir& dir, unsigned long long n, unsigned long long pause_every,
                std::map<std::string, std::string> env = {},
                const std::vector<std::string>& extra = {}) {
    return start_mode("sum", dir, n, pause_every, std::move(env), extra);
}

// A restart by hand (RESTARTED=1) without pauses: it must resume at `expected_i` and
// finish with the whole sum, and finish() must leave the directory empty.
void check_restart_resumes(const TempDir& dir, unsigned long long expected_i,
                           const std::string& mode = "sum") {
    Child restart = start_mode(mode, dir, kN, 0, {{"RESTARTED", "1"}});
    const std::string start = next_line(restart);
    const std::vector<std::string> rest = run_to_end(restart);
    const int status = wait_for_end(restart);
    INFO("restart's first line: " << start);
    INFO("restart's stderr:\n" << restart.stderr_text());
    CHECK(field(start, "restored") == "1");
    CHECK(number(start, "i") > 1);
    CHECK(number(start, "i") == expected_i);
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    // finish(): no checkpoint, no temporary file, no lock file.
    CHECK(files_ending(dir.path(), ".ckpt").empty());
    CHECK(list_dir(dir.path()).empty());
}

// Sends `sig` at the first pause; the worker must save and die by that same signal, and a
// restart must resume where it stopped.
void check_save_then_stop(int sig, const char* name) {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery);
    const std::string start = next_line(child);
    REQUIRE(field(start, "restored") == "0");
    const std::string paused = child.expect_line("paused ");
    const unsigned long long i = number(paused, "i");
    child.signal(sig);
    child.send_line("go");
    child.close_stdin();
    // The worker dies inside maybe_save(): it prints nothing more.
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    CHECK(after.empty());
    CHECK(killed_by(status, sig));
    INFO("worker " << describe_status(status));
    CHECK(lines_with(err, {"reprise: saved generation 1"}).size() == 1);
    CHECK(lines_with(err, {"stopping on", name}).size() == 1);
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    check_restart_resumes(dir, i);
}

} // namespace

TEST_CASE("a SIGUSR1 saves and the computation continues to the right sum", "[signals]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = child.expect_line("paused ");
    child.signal(SIGUSR1);
    child.send_line("go");
    const std::string saved = next_line(child);
    INFO("line after the pause: " << saved);
    REQUIRE(starts_with(saved, "saved "));
    CHECK(number(saved, "i") == number(paused, "i"));
    CHECK(number(saved, "gen") == 1);
    CHECK(number(saved, "sum") == triangle(number(saved, "i") - 1));
    // The worker runs on, and its checkpoint is on disk meanwhile.
    const std::string next = next_line(child);
    CHECK(starts_with(next, "paused "));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    child.send_line("go");
    const auto rest = run_to_end(child);
    const int status = wait_for_end(child);
    INFO("worker stderr:\n" << child.stderr_text());
    CHECK(starting_with(rest, "saved ").empty());
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a SIGTERM saves, ends the process by SIGTERM, and a restart resumes there",
          "[signals]") {
    check_save_then_stop(SIGTERM, "SIGTERM");
}

TEST_CASE("a SIGINT saves, ends the process by SIGINT, and a restart resumes there",
          "[signals]") {
    check_save_then_stop(SIGINT, "SIGINT");
}

TEST_CASE("a SIGUSR2 saves, ends the process by SIGUSR2, and a restart resumes there",
          "[signals]") {
    check_save_then_stop(SIGUSR2, "SIGUSR2");
}

TEST_CASE("several SIGUSR1 during one pause coalesce into exactly one save", "[signals]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = child.expect_line("paused ");
    for (int k = 0; k < 3; ++k) child.signal(SIGUSR1);
    child.signal(SIGUSR1);
    child.send_line("go");
    const std::string saved = next_line(child);
    REQUIRE(starts_with(saved, "saved "));
    CHECK(number(saved, "i") == number(paused, "i"));
    // The very next line is the next pause: no second save.
    CHECK(starts_with(next_line(child), "paused "));
    child.send_line("go");
    const auto rest = run_to_end(child);
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    CHECK(starting_with(rest, "saved ").empty());
    CHECK(lines_with(err, {"reprise: saved generation"}).size() == 1);
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
}

TEST_CASE("SIGUSR1 three times and a SIGTERM during one pause make one save, then the stop",
          "[signals]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = child.expect_line("paused ");
    for (int k = 0; k < 3; ++k) child.signal(SIGUSR1);
    child.signal(SIGTERM);
    child.send_line("go");
    child.close_stdin();
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    CHECK(after.empty());
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"reprise: saved generation"}).size() == 1);
    const auto files = files_ending(dir.path(), ".ckpt");
    REQUIRE(files.size() == 1);
    CHECK(contains(files[0], ".0000000001.ckpt"));
    check_restart_resumes(dir, number(paused, "i"));
}

TEST_CASE("a second SIGINT while a stop is pending ends the process at once",
          "[signals]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery, {{"REPRISE_ON_STOP", "return"}}, {"--linger"});
    REQUIRE(field(next_line(child), "restored") == "0");
    child.expect_line("paused ");
    child.signal(SIGINT);
    child.send_line("go");
    const std::string saved = next_line(child);
    CHECK(starts_with(saved, "saved "));
    const std::string stop = next_line(child);
    REQUIRE(starts_with(stop, "stop "));
    // The worker now waits for a line before it would exit 3 by itself.
    child.signal(SIGINT);
    try {
        // Had the second SIGINT been ignored, this line would let the worker exit 3. It
        // usually finds the worker dead already: the write then fails, as it should.
        child.send_line("go");
    } catch (const std::runtime_error&) {
    }
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    INFO("worker stderr:\n" << child.stderr_text());
    INFO("worker " << describe_status(status));
    CHECK(after.empty());
    CHECK(killed_by(status, SIGINT));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
}

TEST_CASE("REPRISE_ON_STOP=exit:99 saves, exits with status 99, and a restart resumes",
          "[signals]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery, {{"REPRISE_ON_STOP", "exit:99"}});
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
    CHECK(after.empty());
    CHECK(exited_with(status, 99));
    CHECK(lines_with(err, {"reprise: saved generation 1"}).size() == 1);
    CHECK(lines_with(err, {"SIGTERM", "99"}).size() == 1);
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    check_restart_resumes(dir, number(paused, "i"));
}

TEST_CASE("REPRISE_ON_STOP=return saves and lets the program leave its loop by itself",
          "[signals]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery, {{"REPRISE_ON_STOP", "return"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    const std::string paused = child.expect_line("paused ");
    child.signal(SIGTERM);
    child.send_line("go");
    const std::string saved = next_line(child);
    REQUIRE(starts_with(saved, "saved "));
    CHECK(number(saved, "i") == number(paused, "i"));
    const std::string stop = next_line(child);
    REQUIRE(starts_with(stop, "stop "));
    CHECK(number(stop, "gen") == number(saved, "gen"));
    CHECK(child.read_line().empty());
    const int status = wait_for_end(child);
    INFO("worker stderr:\n" << child.stderr_text());
    INFO("worker " << describe_status(status));
    CHECK(exited_with(status, 3));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    check_restart_resumes(dir, number(paused, "i"));
}

TEST_CASE("after a SIGUSR1 save and a SIGKILL, a restart resumes exactly at the saved state",
          "[signals][durability]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    child.expect_line("paused ");
    child.signal(SIGUSR1);
    child.send_line("go");
    const std::string saved = next_line(child);
    REQUIRE(starts_with(saved, "saved "));
    // The worker goes on past the save, then dies without a word.
    const std::string paused = next_line(child);
    REQUIRE(starts_with(paused, "paused "));
    REQUIRE(number(paused, "i") > number(saved, "i"));
    child.signal(SIGKILL);
    const int status = wait_for_end(child);
    INFO("worker " << describe_status(status));
    REQUIRE(killed_by(status, SIGKILL));
    check_restart_resumes(dir, number(saved, "i"));
}

TEST_CASE("REPRISE_INTERVAL saves periodically while the computation runs",
          "[signals][interval]") {
    TempDir dir;
    // 10^4 pauses, each a round trip through two pipes: the run lasts far longer than the
    // 10 ms interval, however fast the machine.
    const unsigned long long n = 10000000, pause_every = 1000;
    Child child = start_sum(dir, n, pause_every, {{"REPRISE_INTERVAL", "0.01"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    std::vector<std::string> saves;
    std::string line;
    while (saves.size() < 2) {
        line = child.read_line();
        if (line.empty() || starts_with(line, "result ")) break;
        if (starts_with(line, "saved "))
            saves.push_back(line);
        else if (starts_with(line, "paused "))
            child.send_line("go");
    }
    INFO("last line: " << line);
    INFO("worker stderr:\n" << child.stderr_text());
    REQUIRE(saves.size() == 2);
    CHECK(number(saves[0], "gen") < number(saves[1], "gen"));
    CHECK(number(saves[0], "i") < number(saves[1], "i"));
    CHECK(number(saves[1], "sum") == triangle(number(saves[1], "i") - 1));
    // Stop it at its next pause, without a save; its last periodic save is the state.
    child.expect_line("paused ");
    child.signal(SIGKILL);
    const int status = wait_for_end(child);
    CHECK(killed_by(status, SIGKILL));
    CHECK(files_ending(dir.path(), ".ckpt").size() <= 2);
    CHECK(files_ending(dir.path(), ".tmp").empty());
}

TEST_CASE("a periodic save that fails is tried again at the next interval",
          "[signals][interval]") {
    TempDir dir;
    const unsigned long long n = 10000000, pause_every = 1000;
    Child child = start_sum(dir, n, pause_every,
                            {{"REPRISE_INTERVAL", "0.01"}, {"REPRISE_FAULT", "fsync:EIO@1"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    std::string line, saved;
    for (;;) {
        line = child.read_line();
        if (line.empty() || starts_with(line, "result ")) break;
        if (starts_with(line, "saved ")) {
            saved = line;
            break;
        }
        if (starts_with(line, "paused ")) child.send_line("go");
    }
    const std::string err = child.stderr_text();
    INFO("last line: " << line);
    INFO("worker stderr:\n" << err);
    // The first periodic save failed (the injected EIO)...
    CHECK(lines_with(err, {"fsync", dir.path(), "Input/output error"}).size() == 1);
    // ...and the interval timer must not give up: "the computation goes on" with its
    // periodic saves, not without them.
    CHECK_FALSE(saved.empty());
    child.signal(SIGKILL);
    wait_for_end(child);
}

TEST_CASE("a save triggered by SIGUSR1 that fails does not stop the computation, and the "
          "next SIGUSR1 saves",
          "[signals][durability]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery, {{"REPRISE_FAULT", "fsync:EIO@1"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    child.expect_line("paused ");
    child.signal(SIGUSR1);
    child.send_line("go");
    // The save failed: no "saved" line, the worker simply goes on to its next pause.
    const std::string second_pause = next_line(child);
    {
        const std::string err = child.stderr_text();
        INFO("line after the failed save: " << second_pause);
        INFO("worker stderr:\n" << err);
        REQUIRE(starts_with(second_pause, "paused "));
        const auto failures = lines_with(err, {"fsync", dir.path(), "Input/output error"});
        CHECK(failures.size() == 1);
        if (!failures.empty()) CHECK(contains(failures[0], ".ckpt.tmp"));
        CHECK(files_ending(dir.path(), ".tmp").empty());
        CHECK(files_ending(dir.path(), ".ckpt").empty());
    }
    // The next request tries again, and succeeds.
    child.signal(SIGUSR1);
    child.send_line("go");
    const std::string saved = next_line(child);
    INFO("line after the second SIGUSR1: " << saved);
    REQUIRE(starts_with(saved, "saved "));
    CHECK(number(saved, "i") == number(second_pause, "i"));
    CHECK(starts_with(next_line(child), "paused "));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    child.send_line("go");
    const auto rest = run_to_end(child);
    const int status = wait_for_end(child);
    INFO("worker stderr:\n" << child.stderr_text());
    const auto results = starting_with(rest, "result ");
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
}

TEST_CASE("a SIGTERM whose save fails still ends the process by SIGTERM and says so",
          "[signals][durability]") {
    TempDir dir;
    Child child = start_sum(dir, kN, kPauseEvery, {{"REPRISE_FAULT", "write:ENOSPC"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    child.expect_line("paused ");
    child.signal(SIGTERM);
    child.send_line("go");
    child.close_stdin();
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    CHECK(after.empty());
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"writing", dir.path(), "No space left on device"}).size() == 1);
    CHECK(lines_with(err, {"SIGTERM", "save failed"}).size() == 1);
    CHECK(files_ending(dir.path(), ".ckpt").empty());
    CHECK(files_ending(dir.path(), ".tmp").empty());
}

TEST_CASE("a SIGTERM that arrives during a save is not lost: the save completes, and the "
          "process ends by SIGTERM with its state saved",
          "[signals][durability]") {
    TempDir dir;
    Child child = start_mode("stall", dir, kN, kPauseEvery);
    REQUIRE(field(next_line(child), "restored") == "0");
    child.expect_line("paused ");
    child.signal(SIGUSR1);
    child.send_line("go");
    const std::string in_save = next_line(child);
    REQUIRE(starts_with(in_save, "in-save "));
    // The save is under way, its temporary file open: now the stop signal.
    CHECK(files_ending(dir.path(), ".tmp").size() == 1);
    child.signal(SIGTERM);
    // The stop may be carried out as soon as this save is done, or by the next poll, with
    // a save of the state as it is by then: let every save finish, and remember the last.
    unsigned long long last_saved_i = number(in_save, "i");
    std::vector<std::string> lines;
    child.send_line("go");
    for (std::string line = child.read_line(); !line.empty(); line = child.read_line()) {
        lines.push_back(line);
        if (starts_with(line, "in-save ")) {
            last_saved_i = number(line, "i");
            child.send_line("go");
        }
        if (lines.size() > 4) break; // it should have stopped by now
    }
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO("worker stdout after the SIGTERM:\n" << [&] {
        std::string all;
        for (const auto& l : lines) all += l + "\n";
        return all;
    }());
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines.size() <= 2); // at most "saved" and one more "in-save"
    CHECK(lines_with(err, {"stopping on", "SIGTERM"}).size() == 1);
    CHECK(lines_with(err, {"although"}).empty()); // every save succeeded
    const auto ckpts = files_ending(dir.path(), ".ckpt");
    CHECK(!ckpts.empty());
    CHECK(ckpts.size() <= 2);
    CHECK(files_ending(dir.path(), ".tmp").empty());
    check_restart_resumes(dir, last_saved_i, "stall");
}

namespace {

// Ends the worker while its second save is half-written: by a second SIGINT (the first
// one asked for that save, and the worker's "in-save" line proves it was handled: two
// signals sent back to back would merge into one), or by SIGKILL.
void check_death_during_save(int sig) {
    TempDir dir;
    // With REPRISE_ON_STOP=return a worker that survived would say "saved" and "stop" and
    // exit 3: nothing could pass for a death by signal.
    Child child = start_mode("stall", dir, kN, kPauseEvery, {{"REPRISE_ON_STOP", "return"}});
    REQUIRE(field(next_line(child), "restored") == "0");
    child.expect_line("paused ");
    child.signal(SIGUSR1);
    child.send_line("go");
    REQUIRE(starts_with(next_line(child), "in-save "));
    child.send_line("go");
    const std::string saved = next_line(child);
    REQUIRE(starts_with(saved, "saved "));
    REQUIRE(starts_with(next_line(child), "paused "));
    child.signal(sig == SIGINT ? SIGINT : SIGUSR1);
    child.send_line("go");
    REQUIRE(starts_with(next_line(child), "in-save "));
    // The second save is half-written.
    child.signal(sig);
    try {
        child.send_line("go"); // would let the save finish, had the process survived
    } catch (const std::runtime_error&) {
    }
    child.close_stdin();
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    INFO("worker stderr:\n" << child.stderr_text());
    INFO("worker " << describe_status(status));
    INFO("line after the signal: " << after);
    CHECK(after.empty());
    CHECK(killed_by(status, sig));
    const auto ckpts = files_ending(dir.path(), ".ckpt");
    REQUIRE(ckpts.size() == 1);
    CHECK(ckpts[0].find(".0000000001.ckpt") != std::string::npos);
    CHECK(files_ending(dir.path(), ".tmp").size() == 1); // the torn one, never renamed
    check_restart_resumes(dir, number(saved, "i"), "stall");
}

} // namespace

TEST_CASE("a second SIGINT during a save ends the process at once and leaves the previous "
          "generation intact",
          "[signals][durability]") {
    check_death_during_save(SIGINT);
}

TEST_CASE("a SIGKILL during a save leaves the previous generation intact",
          "[signals][durability]") {
    check_death_during_save(SIGKILL);
}
