// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// reprise's lines (docs/logging.md): the callback that routes them into a program's
// logger, the lines of a slow save (what asked for it, its bytes, its progress), and
// REPRISE_LOG. A slow save is made slow for the lines without a clock: in a test build,
// REPRISE_TEST_SLOW_SAVE=1 takes every save for a slow one (detail/progress.hpp), so the
// announcement comes at the first look at the clock (after 16 MiB) and a progress line at
// every look after it. No assertion depends on time.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <csignal>
#include <map>
#include <mutex>
#include <stdexcept>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>

namespace {

using reprise::Checkpointer;
using reprise::LogKind;
using reprise::LogLine;
using reprise::RestorePolicy;
using reprise_test::Child;
using reprise_test::contains;
using reprise_test::options_for;
using reprise_test::ScopedEnv;
using reprise_test::StderrCapture;
using reprise_test::TempDir;
using Env = std::map<std::string, std::string>;

struct Received {
    LogKind kind;
    std::string text;
    int rank;
    std::thread::id thread;
};

// Collects what the callback receives (from any thread reprise calls it on).
struct Collector {
    std::mutex mutex;
    std::vector<Received> lines;

    reprise::LogCallback callback() {
        return [this](const LogLine& line) {
            std::lock_guard<std::mutex> lock(mutex);
            lines.push_back({line.kind, std::string(line.text), line.rank, std::this_thread::get_id()});
        };
    }
    std::vector<Received> of(LogKind kind) {
        std::lock_guard<std::mutex> lock(mutex);
        std::vector<Received> out;
        for (const auto& l : lines)
            if (l.kind == kind) out.push_back(l);
        return out;
    }
    std::string all() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const auto& l : lines) out += std::string(reprise::to_string(l.kind)) + ": " + l.text + "\n";
        return out;
    }
};

reprise::Options logged_options(const TempDir& dir, Collector& collector,
                                RestorePolicy policy = RestorePolicy::automatic) {
    reprise::Options o = options_for(dir.path(), policy);
    o.quiet = false;
    o.log = collector.callback();
    return o;
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(at, end - at);
        if (line.rfind(prefix, 0) == 0) out.push_back(line);
        at = end + 1;
    }
    return out;
}

} // namespace

TEST_CASE("Options::log receives the lines of a save, a restore and finish() instead of stderr",
          "[log][callback]") {
    reprise_test::clear_environment();
    TempDir dir;
    Collector collector;
    StderrCapture err;
    {
        int v = 4;
        Checkpointer c(logged_options(dir, collector));
        c.track("v", v);
        c.save();
    }
    {
        int v = 0;
        Checkpointer c(logged_options(dir, collector, RestorePolicy::always));
        c.track("v", v);
        REQUIRE(c.restore());
        CHECK(v == 4);
        c.finish();
    }
    CHECK(err.stop().empty());
    INFO(collector.all());
    const auto saved = collector.of(LogKind::saved);
    REQUIRE(saved.size() == 1);
    CHECK(saved[0].text.rfind("reprise: saved generation 1 (", 0) == 0);
    CHECK(contains(saved[0].text, "asked by save()"));
    CHECK(saved[0].rank == -1);
    CHECK(saved[0].text.back() != '\n');
    const auto restored = collector.of(LogKind::restored);
    REQUIRE(restored.size() == 1);
    CHECK(restored[0].text.rfind("reprise: restored generation 1 (", 0) == 0);
    const auto finished = collector.of(LogKind::finished);
    REQUIRE(finished.size() == 1);
    CHECK(finished[0].text.rfind("reprise: finished; removed", 0) == 0);
    CHECK(collector.of(LogKind::saving).empty()); // a save of a few bytes is not slow
}

TEST_CASE("Options::log receives warnings too, and Options::quiet leaves them", "[log][callback]") {
    reprise_test::clear_environment();
    TempDir dir;
    reprise_test::save_int(dir.path(), 1, "t");
    Collector collector;
    StderrCapture err;
    {
        int v = 0;
        reprise::Options o = logged_options(dir, collector, RestorePolicy::never);
        o.quiet = true;
        Checkpointer c(o);
        c.track("v", v);
        CHECK_FALSE(c.restore());
        c.save();
    }
    CHECK(err.stop().empty());
    INFO(collector.all());
    CHECK(collector.of(LogKind::saved).empty());
    const auto warnings = collector.of(LogKind::warning);
    REQUIRE(warnings.size() == 2); // starting fresh; the first save supersedes generation 1
    CHECK(warnings[0].text.rfind("reprise: warning: starting fresh", 0) == 0);
}

TEST_CASE("a log callback that throws costs nothing but its line, which goes to stderr",
          "[log][callback]") {
    reprise_test::clear_environment();
    TempDir dir;
    int calls = 0;
    reprise::Options o = options_for(dir.path());
    o.quiet = false;
    o.log = [&](const LogLine&) {
        ++calls;
        throw std::runtime_error("the logger is full");
    };
    StderrCapture err;
    int v = 1;
    {
        Checkpointer c(o);
        c.track("v", v);
        c.save();
        v = 2;
        c.request_save();
        CHECK(c.maybe_save()); // the computation goes on
        CHECK(c.generation() == 2);
    }
    const std::string text = err.stop();
    INFO(text);
    CHECK(calls == 2);
    CHECK(lines_starting(text, "reprise: saved generation ").size() == 2);
    CHECK(lines_starting(text, "reprise: warning: the log callback (Options::log) threw (the "
                               "logger is full)")
              .size() == 2);
}

TEST_CASE("a slow synchronous save announces what asked for it and its bytes, then reports "
          "progress until it is saved",
          "[log][progress]") {
    reprise_test::clear_environment();
    TempDir dir;
    ScopedEnv env(Env{{"REPRISE_TEST_SLOW_SAVE", "1"}});
    Collector collector;
    std::vector<double> field(std::size_t(8) << 20, 0.25); // 64 MiB
    Checkpointer c(logged_options(dir, collector));
    c.track("field", field);

    c.request_save();
    REQUIRE(c.maybe_save());
    {
        INFO(collector.all());
        const auto saving = collector.of(LogKind::saving);
        REQUIRE(saving.size() == 1);
        // The first save of this run cannot know its size before it has written it.
        // Told every 16 MiB of payload, at the end of the piece written then (the first
        // chunk, then pieces of the array: 16.1 MiB, 32.1, 48.1).
        const std::string prefix = "reprise: saving generation 1 (asked by request_save()) to " +
                                   c.path_of_generation(1) + ": ";
        REQUIRE(saving[0].text.rfind(prefix, 0) == 0);
        CHECK(std::regex_match(std::string(saving[0].text.substr(prefix.size())),
                               std::regex("16\\.[0-9] MiB written in [0-9.]+ s")));
        const auto progress = collector.of(LogKind::progress);
        REQUIRE(progress.size() >= 2); // past 32 and 48 MiB, and 64 MiB as the pieces fall
        REQUIRE(progress.size() <= 3);
        CHECK(std::regex_match(std::string(progress[0].text),
                               std::regex("reprise: saving generation 1: 32\\.[0-9] MiB written in [0-9.]+ s")));
        CHECK(std::regex_match(std::string(progress[1].text),
                               std::regex("reprise: saving generation 1: 48\\.[0-9] MiB written in [0-9.]+ s")));
        const auto saved = collector.of(LogKind::saved);
        REQUIRE(saved.size() == 1);
        CHECK(contains(saved[0].text, "asked by request_save()"));
        CHECK(collector.lines.back().kind == LogKind::saved); // progress ends with the save
    }
    collector.lines.clear();

    ::raise(SIGUSR1); // delivered to this thread before raise returns
    REQUIRE(c.maybe_save());
    INFO(collector.all());
    const auto saving = collector.of(LogKind::saving);
    REQUIRE(saving.size() == 1);
    // A later save says the size of the one before.
    CHECK(saving[0].text.rfind("reprise: saving generation 2 (about 64.0 MiB as the last "
                               "save, asked by SIGUSR1) to ",
                               0) == 0);
    REQUIRE(collector.of(LogKind::saved).size() == 1);
    CHECK(contains(collector.of(LogKind::saved)[0].text, "asked by SIGUSR1) to "));
}

TEST_CASE("a slow save asked for by the interval says so", "[log][progress]") {
    reprise_test::clear_environment();
    TempDir dir;
    ScopedEnv env(Env{{"REPRISE_TEST_SLOW_SAVE", "1"}});
    Collector collector;
    std::vector<double> field(std::size_t(4) << 20, 0.5); // 32 MiB
    reprise::Options o = logged_options(dir, collector);
    o.interval = 0.001;
    Checkpointer c(o);
    c.track("field", field);
    while (!c.maybe_save()) {
    } // the timer thread sets the flag; no clock here
    INFO(collector.all());
    REQUIRE(collector.of(LogKind::saving).size() == 1);
    CHECK(contains(collector.of(LogKind::saving)[0].text, "(asked by the interval) to "));
    CHECK(contains(collector.of(LogKind::saved)[0].text, "asked by the interval) to "));
}

TEST_CASE("a slow background save knows its size and reports from the writer thread",
          "[log][progress][background]") {
    reprise_test::clear_environment();
    TempDir dir;
    ScopedEnv env(Env{{"REPRISE_TEST_SLOW_SAVE", "1"}});
    Collector collector;
    std::vector<double> field(std::size_t(8) << 20, 0.75); // 64 MiB
    reprise::Options o = logged_options(dir, collector);
    o.mode = reprise::SaveMode::background;
    {
        Checkpointer c(o);
        c.track("field", field);
        ::raise(SIGUSR1);
        REQUIRE(c.maybe_save()); // queued: the snapshot is taken
        c.finish();              // waits for the writer
    }
    INFO(collector.all());
    const auto saving = collector.of(LogKind::saving);
    REQUIRE(saving.size() == 1);
    CHECK(saving[0].text.rfind("reprise: saving generation 1 (64.0 MiB, asked by SIGUSR1) to ", 0) == 0);
    CHECK(saving[0].thread != std::this_thread::get_id());
    const auto progress = collector.of(LogKind::progress);
    REQUIRE_FALSE(progress.empty());
    CHECK(progress[0].text.rfind("reprise: saving generation 1: 32.0 MiB of 64.0 MiB (50%) written in ", 0) == 0);
    REQUIRE(collector.of(LogKind::saved).size() == 1);
    CHECK(collector.of(LogKind::saved)[0].thread == saving[0].thread);
}

TEST_CASE("a slow save on SIGTERM announces the stop and its bytes on stderr, then the process "
          "stops",
          "[log][progress][signals]") {
    TempDir dir;
    Child child = reprise_test::start_worker(
        dir, {"sum", "1000000", "--pause-every", "100000", "--ballast", "48"},
        {{"REPRISE_TEST_SLOW_SAVE", "1"}});
    REQUIRE(child.expect_line("paused ").rfind("paused i=", 0) == 0);
    ::kill(child.pid(), SIGTERM); // pending when the worker's read returns: the next poll's
    child.send_line("go");
    child.close_stdin();
    const int status = child.wait();
    const std::string err = child.stderr_text();
    INFO(err);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
    const auto saving = lines_starting(err, "reprise: saving generation 1 ");
    REQUIRE(saving.size() == 1);
    CHECK(contains(saving[0], "(asked by SIGTERM, to stop) to "));
    // Past 32 and 48 MiB, as the pieces written fall (the last one may end short of 48).
    const auto progress = lines_starting(err, "reprise: saving generation 1: ");
    REQUIRE(!progress.empty());
    CHECK(progress.size() <= 2);
    CHECK(progress[0].rfind("reprise: saving generation 1: 32.", 0) == 0);
    const auto saved = lines_starting(err, "reprise: saved generation 1 (48.0 MiB, ");
    REQUIRE(saved.size() == 1);
    CHECK(contains(saved[0], "asked by SIGTERM, to stop) to "));
    CHECK(lines_starting(err, "reprise: stopping on SIGTERM").size() == 1);
}

TEST_CASE("REPRISE_LOG=all is normal outside MPI, quiet silences the save lines of a slow "
          "save, and a value not understood names the variable",
          "[log][environment]") {
    reprise_test::clear_environment();
    TempDir dir;
    SECTION("all") {
        ScopedEnv env(Env{{"REPRISE_LOG", "all"}});
        StderrCapture err;
        {
            int v = 1;
            Checkpointer c(options_for(dir.path()));
            CHECK_FALSE(c.options().quiet);
            CHECK(c.options().log_every_rank);
            c.track("v", v);
            c.save();
        }
        CHECK(lines_starting(err.stop(), "reprise: saved generation 1 ").size() == 1);
    }
    SECTION("quiet") {
        ScopedEnv env(Env{{"REPRISE_LOG", "quiet"}, {"REPRISE_TEST_SLOW_SAVE", "1"}});
        std::vector<double> field(std::size_t(4) << 20, 0.5); // 32 MiB
        StderrCapture err;
        {
            reprise::Options o = options_for(dir.path());
            o.quiet = false;
            Checkpointer c(o);
            CHECK(c.options().quiet);
            c.track("field", field);
            c.save();
        }
        CHECK(err.stop().empty());
    }
    SECTION("a value not understood") {
        ScopedEnv env(Env{{"REPRISE_LOG", "verbose"}});
        try {
            Checkpointer c(options_for(dir.path()));
            FAIL("the constructor accepted REPRISE_LOG=verbose");
        } catch (const reprise::Error& e) {
            CHECK(contains(e.what(), "REPRISE_LOG"));
            CHECK(contains(e.what(), "verbose"));
            CHECK(contains(e.what(), "quiet, normal or all"));
            CHECK(e.kind() == reprise::ErrorKind::configuration);
        }
    }
}
