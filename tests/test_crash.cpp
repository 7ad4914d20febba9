// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// SIGKILL at every named kill point of a save (REPRISE_KILL_AT, sys.hpp), in a real worker
// process: whatever instant the process dies at, the next run restores a whole
// generation, the old one or the new one, never a torn mixture of both.
//
// `worker torn M SAVES` makes tearing visible: its state is a step number, M copies of it
// and the string "step-<step>"; a restore that mixed two saves prints consistent=0.

#include "catch.hpp"
#include "support.hpp"

#include <csignal>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace reprise_test;

namespace {

// 2.4 MB of state: several writes per save, and time for the cleanup thread to run
// beside the writer.
const std::string kElements = "300000";

// A pass number no save reaches: the kill point is counted, never fired.
const std::string kNever = "999999999";

// The pass through `point` at which a kill lands in the middle of the third save: the
// worker counts the passes of a run that is never killed (`worker torn-passes`).
unsigned long kill_pass_in_third_save(const std::string& point, const std::string& compress) {
    TempDir dir;
    Child child = start_worker(dir, {"torn-passes", kElements, "3"},
                               {{"REPRISE_KILL_AT", point + "@" + kNever}, {"REPRISE_LOG", "quiet"},
                                {"REPRISE_COMPRESS", compress}});
    const auto lines = all_lines(child);
    const int status = child.wait();
    INFO("counting run of " << point << ":\n" << joined(lines) << child.stderr_text());
    REQUIRE(exited_with(status, 0));
    REQUIRE(lines.size() == 4);
    const unsigned long after_second = number(lines[2], "passes");
    const unsigned long after_third = number(lines[3], "passes");
    REQUIRE(after_third > after_second); // the third save passes the point
    return after_second + (after_third - after_second + 1) / 2;
}

enum class Temp { left, absent, either };

// Kills `worker torn` at `point` during its third save, then checks what the directory
// holds, what a restore gives (`expected_step`: 2, the old generation, or 3, the new one)
// and that a later save tidies up.
void kill_during_third_save(const std::string& point, unsigned long long expected_step,
                            Temp temp_after_kill, const std::string& compress = "") {
    const unsigned long pass = kill_pass_in_third_save(point, compress);
    TempDir dir;
    {
        Child child = start_worker(dir, {"torn", kElements, "4"},
                                   {{"REPRISE_KILL_AT", point + "@" + std::to_string(pass)},
                                    {"REPRISE_COMPRESS", compress}});
        const auto lines = all_lines(child);
        const int status = child.wait();
        INFO("REPRISE_KILL_AT=" << point << "@" << pass);
        INFO("worker stdout:\n" << joined(lines));
        INFO("worker stderr:\n" << child.stderr_text());
        INFO("worker " << describe_status(status));
        REQUIRE(killed_by(status, SIGKILL));
        // It died in the third save: two saves reported, not the third.
        REQUIRE(lines.size() == 3);
        CHECK(lines[1] == "saved step=1 gen=1");
        CHECK(lines[2] == "saved step=2 gen=2");
    }
    {
        const auto files = list_dir(dir.path());
        INFO("after the kill: " << joined(files));
        const auto ckpts = files_ending(dir.path(), ".ckpt");
        CHECK(!ckpts.empty());
        CHECK(ckpts.size() <= 2);
        const auto temps = files_ending(dir.path(), ".tmp");
        if (temp_after_kill == Temp::left) CHECK(temps.size() == 1);
        if (temp_after_kill == Temp::absent) CHECK(temps.empty());
        CHECK(temps.size() <= 1);
    }
    {
        Child restore = start_worker(dir, {"torn", kElements, "0"}, {{"REPRISE_RESTORE", "always"}});
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
        // The constructor removed the killed save's temporary file.
        CHECK(files_ending(dir.path(), ".tmp").empty());
        CHECK(files_ending(dir.path(), ".ckpt").size() <= 2);
    }
    {
        Child later = start_worker(dir, {"torn", kElements, "1"}, {{"REPRISE_RESTORE", "always"}});
        const auto lines = all_lines(later);
        const int status = later.wait();
        INFO("a later run that saves once:\n" << joined(lines) << later.stderr_text());
        REQUIRE(exited_with(status, 0));
        REQUIRE(lines.size() == 2);
        CHECK(field(lines[0], "consistent") == "1");
        CHECK(number(lines[1], "step") == expected_step + 1);
        const auto files = list_dir(dir.path());
        INFO("after the later save: " << joined(files));
        CHECK(files_ending(dir.path(), ".tmp").empty());
        const auto ckpts = files_ending(dir.path(), ".ckpt");
        CHECK(!ckpts.empty());
        CHECK(ckpts.size() <= 2);
    }
    {
        Child check = start_worker(dir, {"torn", kElements, "0"}, {{"REPRISE_RESTORE", "always"}});
        const auto lines = all_lines(check);
        const int status = check.wait();
        INFO("restoring the later save:\n" << joined(lines) << check.stderr_text());
        REQUIRE(exited_with(status, 0));
        REQUIRE(lines.size() == 1);
        CHECK(field(lines[0], "consistent") == "1");
        CHECK(number(lines[0], "step") == expected_step + 1);
    }
}

} // namespace

TEST_CASE("a SIGKILL before the third save writes a byte restores the second generation",
          "[crash][durability]") {
    kill_during_third_save("before-write", 2, Temp::left);
}

TEST_CASE("a SIGKILL in the middle of the third save's writes restores the second generation",
          "[crash][durability]") {
    kill_during_third_save("mid-write", 2, Temp::left);
}

TEST_CASE("a SIGKILL in the middle of a compressed third save's writes restores the second "
          "generation",
          "[crash][durability][compress]") {
    kill_during_third_save("mid-write", 2, Temp::left, "zstd");
}

TEST_CASE("a SIGKILL after a compressed third save's rename restores the third generation",
          "[crash][durability][compress]") {
    kill_during_third_save("after-rename", 3, Temp::absent, "zstd");
}

TEST_CASE("a SIGKILL after the third save's fsync restores the second generation",
          "[crash][durability]") {
    kill_during_third_save("after-fsync", 2, Temp::left);
}

TEST_CASE("a SIGKILL after the third save's close restores the second generation",
          "[crash][durability]") {
    kill_during_third_save("after-close", 2, Temp::left);
}

TEST_CASE("a SIGKILL after the third save's rename restores the third generation",
          "[crash][durability]") {
    kill_during_third_save("after-rename", 3, Temp::absent);
}

TEST_CASE("a SIGKILL after the third save's directory fsync restores the third generation",
          "[crash][durability]") {
    kill_during_third_save("after-dir-fsync", 3, Temp::absent);
}

TEST_CASE("a SIGKILL right after the third save takes over the oldest generation's file "
          "restores the second",
          "[crash][durability]") {
    // The first generation's file was renamed to the temporary name, to be overwritten.
    kill_during_third_save("after-recycle", 2, Temp::left);
}

TEST_CASE("a SIGKILL while a fresh run's first save removes the generation it superseded "
          "restores the new one",
          "[crash][durability]") {
    // A run that does not restore keeps the old generations until its first save; then the
    // older is overwritten by the new file and the newer is removed by the cleanup thread.
    TempDir dir;
    {
        Child first = start_worker(dir, {"torn", kElements, "2"}, {});
        const auto lines = all_lines(first);
        INFO("first run:\n" << joined(lines) << first.stderr_text());
        REQUIRE(exited_with(first.wait(), 0));
        REQUIRE(files_ending(dir.path(), ".ckpt").size() == 2);
    }
    {
        Child fresh = start_worker(dir, {"torn", kElements, "2"},
                                   {{"REPRISE_RESTORE", "never"}, {"REPRISE_KILL_AT", "during-cleanup@1"}});
        const auto lines = all_lines(fresh);
        const int status = fresh.wait();
        INFO("fresh run:\n" << joined(lines) << fresh.stderr_text());
        REQUIRE(killed_by(status, SIGKILL));
        // The cleanup thread starts once the save is durable; the kill may come before
        // the worker says so.
        REQUIRE((lines.size() == 1 || lines.size() == 2));
        CHECK(lines[0] == "state step=0 consistent=1 gen=0");
        if (lines.size() == 2) CHECK(lines[1] == "saved step=1 gen=3");
        const auto ckpts = files_ending(dir.path(), ".ckpt");
        INFO("after the kill: " << joined(list_dir(dir.path())));
        CHECK(!ckpts.empty());
        CHECK(ckpts.size() <= 2);
        CHECK(files_ending(dir.path(), ".tmp").empty());
    }
    Child next = start_worker(dir, {"torn", kElements, "0"}, {{"REPRISE_RESTORE", "always"}});
    const auto lines = all_lines(next);
    const int status = next.wait();
    INFO("restoring run:\n" << joined(lines) << next.stderr_text());
    CHECK(exited_with(status, 0));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "state step=1 consistent=1 gen=3");
}

TEST_CASE("a SIGKILL during the very first save leaves nothing restorable and the next run "
          "starts fresh",
          "[crash][durability]") {
    for (const std::string point : {"before-write", "mid-write", "after-fsync", "after-close"}) {
        INFO("REPRISE_KILL_AT=" << point << "@1");
        TempDir dir;
        {
            Child child = start_worker(dir, {"torn", kElements, "2"}, {{"REPRISE_KILL_AT", point + "@1"}});
            const auto lines = all_lines(child);
            const int status = child.wait();
            INFO("worker stdout:\n" << joined(lines) << "worker stderr:\n" << child.stderr_text());
            REQUIRE(killed_by(status, SIGKILL));
            REQUIRE(lines.size() == 1);
            CHECK(lines[0] == "state step=0 consistent=1 gen=0");
            // What the killed save left: its temporary file, and no checkpoint.
            CHECK(files_ending(dir.path(), ".ckpt").empty());
            CHECK(files_ending(dir.path(), ".tmp").size() == 1);
        }
        for (const char* policy : {"always", "auto"}) {
            INFO("REPRISE_RESTORE=" << policy << " RESTARTED=1");
            Child next = start_worker(dir, {"torn", kElements, "0"},
                                      {{"REPRISE_RESTORE", policy}, {"RESTARTED", "1"}});
            const auto lines = all_lines(next);
            const int status = next.wait();
            const std::string err = next.stderr_text();
            INFO("next run:\n" << joined(lines) << err);
            CHECK(exited_with(status, 0));
            REQUIRE(lines.size() == 1);
            CHECK(lines[0] == "state step=0 consistent=1 gen=0");
            CHECK(err.find("error") == std::string::npos);
            CHECK(err.find("warning") == std::string::npos);
            // The leftover temporary file is gone, and nothing else appeared.
            CHECK(files_ending(dir.path(), ".tmp").empty());
            CHECK(files_ending(dir.path(), ".ckpt").empty());
        }
        {
            // And the job saves normally from there.
            Child again = start_worker(dir, {"torn", kElements, "1"}, {{"REPRISE_RESTORE", "always"}});
            const auto lines = all_lines(again);
            const int status = again.wait();
            INFO("saving again:\n" << joined(lines) << again.stderr_text());
            CHECK(exited_with(status, 0));
            REQUIRE(lines.size() == 2);
            CHECK(number(lines[1], "step") == 1);
            CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
            CHECK(files_ending(dir.path(), ".tmp").empty());
        }
    }
}

TEST_CASE("a SIGKILL right after the first save's rename leaves that generation restorable",
          "[crash][durability]") {
    TempDir dir;
    {
        Child child = start_worker(dir, {"torn", kElements, "2"}, {{"REPRISE_KILL_AT", "after-rename@1"}});
        const auto lines = all_lines(child);
        const int status = child.wait();
        INFO("worker stdout:\n" << joined(lines) << "worker stderr:\n" << child.stderr_text());
        REQUIRE(killed_by(status, SIGKILL));
        REQUIRE(lines.size() == 1);
    }
    Child next = start_worker(dir, {"torn", kElements, "0"}, {{"RESTARTED", "1"}});
    const auto lines = all_lines(next);
    const int status = next.wait();
    INFO("next run:\n" << joined(lines) << next.stderr_text());
    CHECK(exited_with(status, 0));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "state step=1 consistent=1 gen=1");
}
