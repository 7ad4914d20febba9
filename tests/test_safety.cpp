// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Nothing lost to a person's mistake: reruns by hand, restart flags and job ids that are
// not understood, named jobs, and the program's own life (chdir, fork, a lock file
// removed underneath, a stop signal after the last poll, buffered output, long names).

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

using namespace reprise_test;
using Env = std::map<std::string, std::string>;

namespace {

constexpr unsigned long long kN = 200000000ULL; // open-ended: a signal ends the run
constexpr unsigned long long kPauseEvery = 1000;

// Runs the worker's sum until its first pause, stops it by SIGTERM there, and returns
// the step it stopped at.
unsigned long long stop_a_run(const TempDir& dir, std::map<std::string, std::string> env = {}) {
    Child child = start_worker(dir, {"sum", std::to_string(kN), "--pause-every",
                                     std::to_string(kPauseEvery)},
                               std::move(env));
    child.expect_line("start ");
    const std::string paused = child.expect_line("paused ");
    child.signal(SIGTERM);
    child.send_line("go");
    all_lines(child); // the save, then the end by SIGTERM: nothing more is printed
    const int status = child.wait();
    INFO("worker stderr:\n" << child.stderr_text());
    REQUIRE(killed_by(status, SIGTERM));
    return number(paused, "i");
}

// The first line of a worker's run: "start i= restored= gen=", and its stderr so far.
struct Start {
    std::string line;
    std::string stderr_text;
};
Start start_of_run(const TempDir& dir, std::map<std::string, std::string> env = {}) {
    Child child = start_worker(dir, {"sum", std::to_string(kN), "--pause-every",
                                     std::to_string(kPauseEvery)},
                               std::move(env));
    Start s;
    s.line = child.expect_line("start ");
    child.expect_line("paused ");
    s.stderr_text = child.stderr_text();
    child.signal(SIGKILL);
    child.wait();
    return s;
}

// Runs `body` in a child made by fork(), with stdout and stderr appended to `output`;
// the child ends by _exit(0) after it, 70 on an exception, or by a signal. Returns its
// wait status. A child that does not end within two minutes fails the test (a hang).
int in_child(const std::string& output, const std::function<void()>& body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2}) ::signal(sig, SIG_DFL);
        try {
            body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "exception: %s\n", e.what());
            std::fflush(nullptr);
            ::_exit(70);
        }
        std::fflush(nullptr);
        ::_exit(0);
    }
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            FAIL("the child hung: " << read_file(output));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5)); // a hang guard only
    }
    return status;
}

// Options for a test whose stderr lines matter: as options_for, but not quiet.
reprise::Options loud(const std::string& directory) {
    reprise::Options o = options_for(directory);
    o.quiet = false;
    return o;
}

} // namespace

// ---- a rerun resumes, or says loudly why not ------------------------------------------------

TEST_CASE("a rerun by hand without RESTARTED resumes the stopped run and says how to start "
          "afresh",
          "[safety][restore]") {
    TempDir dir;
    const unsigned long long stopped_at = stop_a_run(dir);
    const Start rerun = start_of_run(dir);
    CHECK(field(rerun.line, "restored") == "1");
    CHECK(number(rerun.line, "i") == stopped_at);
    INFO(rerun.stderr_text);
    CHECK(contains(rerun.stderr_text, "RESTARTED=0 starts afresh"));
}

TEST_CASE("RESTARTED=0 by hand starts fresh, says which generation it found, and its first "
          "save says it supersedes it",
          "[safety][restore]") {
    TempDir dir;
    stop_a_run(dir);
    const auto before = files_ending(dir.path(), ".ckpt");
    REQUIRE(before.size() == 1);
    {
        reprise_test::ScopedEnv env(Env{{"RESTARTED", "0"}});
        StderrCapture err;
        reprise::Options o = loud(dir.path());
        o.name = "reprise_test_worker";
        reprise::Checkpointer ckpt(o);
        unsigned long long i = 0, sum = 0;
        ckpt.track("i", i).track("sum", sum);
        CHECK_FALSE(ckpt.restore());
        // Nothing is removed by a fresh start itself.
        CHECK(files_ending(dir.path(), ".ckpt") == before);
        ckpt.save();
        const std::string text = err.stop();
        INFO(text);
        CHECK(contains(text, "starting fresh (RESTARTED=0) although"));
        CHECK(contains(text, "generation 1"));
        char host[256] = {0};
        REQUIRE(::gethostname(host, sizeof host - 1) == 0);
        CHECK(contains(text, "s ago on host " + std::string(host) + " by pid "));
        CHECK(contains(text, "a rerun without RESTARTED=0 resumes them"));
        CHECK(contains(text, "this run did not restore generation 1 "));
        CHECK(contains(text, "of an earlier run"));
        CHECK(contains(text, "supersedes them"));
    }
}

TEST_CASE("finish() of a run that neither restored nor saved leaves the earlier run's "
          "generations and says so",
          "[safety][finish]") {
    TempDir dir;
    stop_a_run(dir);
    const auto before = files_ending(dir.path(), ".ckpt");
    REQUIRE(before.size() == 1);
    StderrCapture err;
    reprise::Options o = loud(dir.path());
    o.name = "reprise_test_worker";
    o.restore = reprise::RestorePolicy::never;
    {
        reprise::Checkpointer ckpt(o);
        unsigned long long i = 0;
        ckpt.track("i", i);
        CHECK_FALSE(ckpt.restore());
        ckpt.finish();
    }
    const std::string text = err.stop();
    INFO(text);
    CHECK(files_ending(dir.path(), ".ckpt") == before);
    CHECK(contains(text, "neither restored nor saved"));
    CHECK(contains(text, "without REPRISE_RESTORE=never a rerun resumes them"));
}

TEST_CASE("under a scheduler, a first run that finds checkpoints of its own job says so",
          "[safety][restore]") {
    TempDir dir;
    stop_a_run(dir, {{"SLURM_JOB_ID", "4242"}, {"SLURM_RESTART_COUNT", "1"}});
    const Start fresh = start_of_run(dir, {{"SLURM_JOB_ID", "4242"}});
    CHECK(field(fresh.line, "restored") == "0");
    INFO(fresh.stderr_text);
    CHECK(contains(fresh.stderr_text, "starting fresh (SLURM_RESTART_COUNT unset) although"));
    CHECK(contains(fresh.stderr_text, "REPRISE_RESTORE=always resumes them"));
}

// ---- every value from outside, strictly --------------------------------------------------------

TEST_CASE("a restart flag or job id that is not understood is an error naming the variable",
          "[safety][environment][errors]") {
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> junk = {
        {"RESTARTED", "yes"}, {"RESTARTED", "true"}, {"RESTARTED", " 1"}, {"RESTARTED", "1.0"},
        {"RESTARTED", "-1"},  {"RESTARTED", "+1"},   {"RESTARTED", "99999999999999999999999"},
    };
    for (const auto& [name, value] : junk) {
        reprise_test::ScopedEnv env(Env{{name, value}});
        INFO(name << "='" << value << "'");
        CHECK_THROWS_WITH(reprise::Checkpointer(options_for(dir.path())),
                          Catch::Contains(name + "='" + value + "'"));
    }
    const std::vector<std::map<std::string, std::string>> scheduler_junk = {
        {{"SLURM_JOB_ID", "12"}, {"SLURM_RESTART_COUNT", "one"}},
        {{"SLURM_JOB_ID", "12x"}},
        {{"SLURM_JOB_ID", "12"}, {"SLURM_ARRAY_JOB_ID", "12"}, {"SLURM_ARRAY_TASK_ID", "-3"}},
        {{"JOB_ID", "77"}, {"RESTARTED", "yes"}},
        {{"JOB_ID", "77"}, {"SGE_TASK_ID", "3 "}},
        {{"LSB_JOBID", "5"}, {"LSB_RESTART", "yes"}},
        {{"PBS_JOBID", "9.server\n"}},
    };
    for (const auto& vars : scheduler_junk) {
        reprise_test::ScopedEnv env(vars);
        std::string shown;
        for (const auto& [n, v] : vars) shown += n + "=" + v + " ";
        INFO(shown);
        CHECK_THROWS_AS(reprise::Checkpointer(options_for(dir.path())), reprise::Error);
    }
    CHECK(files_ending(dir.path(), ".ckpt").empty());
}

TEST_CASE("REPRISE_INTERVAL takes the duration syntax and refuses what would overflow",
          "[safety][environment][interval]") {
    TempDir dir;
    for (const auto& [text, seconds] : std::vector<std::pair<std::string, double>>{
             {"90", 90}, {"1.5", 1.5}, {"90s", 90}, {"10m", 600}, {"1h", 3600}, {"2d", 172800}}) {
        reprise_test::ScopedEnv env(Env{{"REPRISE_INTERVAL", text}});
        reprise::Checkpointer ckpt(options_for(dir.path()));
        CHECK(ckpt.options().interval == seconds);
    }
    for (const std::string text : {"1e10", "200000000d", "1e400", "inf", "nan", "-1", " 5", "5x",
                                   "5 m", "0x10", "."}) {
        reprise_test::ScopedEnv env(Env{{"REPRISE_INTERVAL", text}});
        INFO(text);
        CHECK_THROWS_WITH(reprise::Checkpointer(options_for(dir.path())),
                          Catch::Contains("REPRISE_INTERVAL='" + text + "'"));
    }
    reprise::Options o = options_for(dir.path());
    o.interval = 1e10;
    CHECK_THROWS_WITH(reprise::Checkpointer(o), Catch::Contains("Options::interval"));
}

TEST_CASE("a stray file with an 18-digit generation number is nobody's generation: saves keep "
          "ten digits and a rerun finds them",
          "[safety][naming]") {
    TempDir dir;
    write_file(dir / "t.local.000000000000000009.ckpt", "stray");
    {
        reprise::Checkpointer ckpt(options_for(dir.path()));
        int x = 5;
        ckpt.track("x", x);
        ckpt.save();
        CHECK(ckpt.generation() == 1);
    }
    CHECK(files_ending(dir.path(), ".ckpt") ==
          std::vector<std::string>{"t.local.000000000000000009.ckpt", "t.local.0000000001.ckpt"});
    reprise::Checkpointer again(options_for(dir.path()));
    int x = 0;
    again.track("x", x);
    REQUIRE(again.restore());
    CHECK(x == 5);
}

TEST_CASE("a file claiming the last generation number makes a save fail, naming it, and "
          "writes nothing",
          "[safety][naming]") {
    TempDir dir;
    write_file(dir / "t.local.9999999999.ckpt", "stray");
    reprise::Checkpointer ckpt(options_for(dir.path(), reprise::RestorePolicy::never));
    int x = 1;
    ckpt.track("x", x);
    CHECK_THROWS_WITH(ckpt.save(), Catch::Contains("t.local.9999999999.ckpt") &&
                                       Catch::Contains("last generation number"));
    CHECK(list_dir(dir.path()) ==
          std::vector<std::string>{"t.local.9999999999.ckpt", "t.local.lock"});
}

// ---- a job key you can name ---------------------------------------------------------------------

TEST_CASE("REPRISE_JOB names the job: the next job of a chain, with its own scheduler id, "
          "resumes the checkpoint",
          "[safety][job]") {
    TempDir dir;
    const unsigned long long stopped_at =
        stop_a_run(dir, {{"SLURM_JOB_ID", "100"}, {"REPRISE_JOB", "chain"}});
    CHECK(files_ending(dir.path(), ".ckpt") ==
          std::vector<std::string>{"reprise_test_worker.chain.0000000001.ckpt"});
    const Start next = start_of_run(dir, {{"SLURM_JOB_ID", "101"}, {"REPRISE_JOB", "chain"}});
    CHECK(field(next.line, "restored") == "1");
    CHECK(number(next.line, "i") == stopped_at);
    // Without REPRISE_JOB the new id is another job.
    const Start other = start_of_run(dir, {{"SLURM_JOB_ID", "102"}});
    CHECK(field(other.line, "restored") == "0");
}

TEST_CASE("Options::job names the job, and keeps an array task's index", "[safety][job]") {
    TempDir dir;
    reprise::Options o = options_for(dir.path());
    o.job = "chain";
    {
        reprise::Checkpointer ckpt(o);
        CHECK(ckpt.job_key() == "chain");
    }
    reprise_test::ScopedEnv env(
        {{"SLURM_JOB_ID", "7"}, {"SLURM_ARRAY_JOB_ID", "6"}, {"SLURM_ARRAY_TASK_ID", "3"}});
    reprise::Checkpointer ckpt(o);
    CHECK(ckpt.job_key() == "chain_3");
}

// ---- the process's own life -----------------------------------------------------------------------

TEST_CASE("after chdir(), finish() removes the checkpoints in the directory it was given",
          "[safety][process]") {
    TempDir dir, elsewhere;
    const std::string cwd = boost::filesystem::current_path().string();
    REQUIRE(::chdir(dir.path().c_str()) == 0);
    struct Back {
        std::string to;
        ~Back() { (void)::chdir(to.c_str()); }
    } back{cwd};
    reprise::Checkpointer ckpt(options_for("checkpoints"));
    int x = 1;
    ckpt.track("x", x);
    ckpt.save();
    ckpt.save();
    REQUIRE(files_ending(dir / "checkpoints", ".ckpt").size() == 2);
    REQUIRE(::chdir(elsewhere.path().c_str()) == 0);
    ckpt.finish();
    CHECK(list_dir(dir / "checkpoints").empty());
}

TEST_CASE("a child made by fork() never hangs, never saves, and does not keep the job locked",
          "[safety][process][fork]") {
    TempDir dir;
    const std::string out = dir / "child.log";
    auto ckpt = std::make_unique<reprise::Checkpointer>([&] {
        reprise::Options o = options_for(dir.path());
        o.interval = 3600; // a timer thread, which only the parent has
        return o;
    }());
    int x = 1;
    ckpt->track("x", x);
    ckpt->save();

    // The child saves nothing, and leaving its scope (the destructor) returns at once.
    const int status = in_child(out, [&] {
        bool refused = false;
        try {
            ckpt->save();
        } catch (const reprise::Error& e) {
            refused = reprise_test::contains(e.what(), "fork()");
        }
        ckpt.reset();
        std::printf("refused=%d\n", refused ? 1 : 0);
    });
    INFO(read_file(out));
    CHECK(exited_with(status, 0));
    CHECK(contains(read_file(out), "refused=1"));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);

    // A child that outlives the Checkpointer holds no lock: a new process takes the job.
    int hold[2];
    REQUIRE(::pipe(hold) == 0);
    std::fflush(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(hold[1]);
        char c;
        while (::read(hold[0], &c, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    ::close(hold[0]);
    ckpt.reset();
    {
        reprise::Checkpointer next(options_for(dir.path()));
        int y = 0;
        next.track("x", y);
        CHECK(next.restore());
        CHECK(y == 1);
    }
    ::close(hold[1]);
    int st = 0;
    ::waitpid(child, &st, 0);
    CHECK(exited_with(st, 0));
}

TEST_CASE("a child made by fork() may make a Checkpointer of its own, and a SIGTERM to it "
          "takes the default action",
          "[safety][process][fork]") {
    TempDir dir, child_dir;
    const std::string out = dir / "child.log";
    reprise::Checkpointer ckpt(options_for(dir.path()));
    const int status = in_child(out, [&] {
        {
            reprise::Checkpointer own(options_for(child_dir.path(), reprise::RestorePolicy::automatic,
                                                  "child"));
            int z = 3;
            own.track("z", z);
            own.save();
            own.finish();
        }
        ::raise(SIGTERM);
    });
    INFO(read_file(out));
    CHECK(killed_by(status, SIGTERM));
}

TEST_CASE("a lock file removed underneath is made again at the next save, with a warning",
          "[safety][lock]") {
    TempDir dir;
    StderrCapture err;
    reprise::Checkpointer ckpt(options_for(dir.path()));
    int x = 1;
    ckpt.track("x", x);
    ckpt.save();
    REQUIRE(::unlink((dir / "t.local.lock").c_str()) == 0);
    ckpt.save();
    const std::string text = err.stop();
    INFO(text);
    CHECK(contains(text, "was removed"));
    CHECK(boost::filesystem::exists(dir / "t.local.lock"));
    // The lock holds again: a second process is refused.
    Child second = start_worker(dir, {"hold"}, {{"REPRISE_NAME", "t"}});
    const std::string refused = second.read_line();
    CHECK(starts_with(refused, "error "));
    CHECK(contains(refused, "already running"));
    CHECK(exited_with(second.wait(), 1));
}

TEST_CASE("a lock file replaced by another process's makes the save fail and overwrite nothing",
          "[safety][lock]") {
    TempDir dir;
    reprise::Checkpointer ckpt(options_for(dir.path()));
    int x = 1;
    ckpt.track("x", x);
    ckpt.save();
    ckpt.save();
    const auto before = files_ending(dir.path(), ".ckpt");
    const std::string newest = read_file(dir / before.back());
    REQUIRE(::unlink((dir / "t.local.lock").c_str()) == 0);
    Child second = start_worker(dir, {"hold"}, {{"REPRISE_NAME", "t"}});
    second.expect_line("holding ");
    x = 2;
    CHECK_THROWS_WITH(ckpt.save(), Catch::Contains("was replaced"));
    CHECK_THROWS_WITH(ckpt.finish(), Catch::Contains("was replaced"));
    CHECK(files_ending(dir.path(), ".ckpt") == before);
    CHECK(read_file(dir / before.back()) == newest);
    second.send_line("done");
    CHECK(exited_with(second.wait(), 0));
}

TEST_CASE("a SIGTERM after the last poll, or during post-processing after finish(), ends the "
          "process by SIGTERM",
          "[safety][signals][process]") {
    TempDir dir;
    const std::string out = dir / "child.log";
    SECTION("arrived before finish()") {
        const int status = in_child(out, [&] {
            reprise::Checkpointer ckpt(options_for(dir.path()));
            int x = 1;
            ckpt.track("x", x);
            ckpt.save();
            ::raise(SIGTERM); // caught: a flag, and no poll comes
            ckpt.finish();
            std::puts("after finish");
        });
        INFO(read_file(out));
        CHECK(killed_by(status, SIGTERM));
        CHECK_FALSE(contains(read_file(out), "after finish"));
        CHECK(files_ending(dir.path(), ".ckpt").empty());
    }
    SECTION("arrived after finish()") {
        const int status = in_child(out, [&] {
            reprise::Checkpointer ckpt(options_for(dir.path()));
            ckpt.finish();
            ::raise(SIGTERM);
            std::puts("after the signal");
        });
        INFO(read_file(out));
        CHECK(killed_by(status, SIGTERM));
        CHECK_FALSE(contains(read_file(out), "after the signal"));
    }
    SECTION("arrived after the last poll, no finish(): the destructor honours it") {
        const int status = in_child(out, [&] {
            {
                reprise::Checkpointer ckpt(options_for(dir.path()));
                ::raise(SIGTERM);
            }
            std::puts("after the destructor");
        });
        INFO(read_file(out));
        CHECK(killed_by(status, SIGTERM));
        CHECK_FALSE(contains(read_file(out), "after the destructor"));
    }
}

TEST_CASE("a stop by re-raise keeps the program's buffered output, in order before reprise's "
          "lines",
          "[safety][signals][output]") {
    TempDir dir;
    const std::string out = dir / "child.log";
    const int status = in_child(out, [&] {
        reprise::Checkpointer ckpt(loud(dir.path()));
        int x = 1;
        ckpt.track("x", x);
        std::printf("program line 1\n"); // stdout is a file here: fully buffered
        ckpt.save();
        std::printf("program line 2, the last\n");
        ::raise(SIGTERM);
        ckpt.maybe_save();
    });
    const std::string text = read_file(out);
    INFO(text);
    CHECK(killed_by(status, SIGTERM));
    const auto first = text.find("program line 1");
    const auto saved = text.find("reprise: saved generation 1");
    const auto last = text.find("program line 2, the last");
    const auto stopping = text.find("reprise: stopping on SIGTERM");
    REQUIRE(first != std::string::npos);
    REQUIRE(saved != std::string::npos);
    REQUIRE(last != std::string::npos);
    REQUIRE(stopping != std::string::npos);
    CHECK(first < saved);
    CHECK(saved < last);
    CHECK(last < stopping);
}

TEST_CASE("a checkpoint name too long for a file name fails in the constructor, naming the "
          "limit",
          "[safety][naming][errors]") {
    TempDir dir;
    reprise::Options o = options_for(dir.path());
    o.name = std::string(240, 'n');
    CHECK_THROWS_WITH(reprise::Checkpointer(o),
                      Catch::Contains("more than the 255") && Catch::Contains("REPRISE_NAME"));
    o.name = std::string(80, '/'); // escaped, three bytes each
    CHECK_THROWS_WITH(reprise::Checkpointer(o), Catch::Contains("more than the 255"));
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("the destructor leaves alone a handler the program installed after the Checkpointer",
          "[safety][signals]") {
    TempDir dir;
    struct sigaction before {};
    ::sigaction(SIGUSR1, nullptr, &before);
    static std::atomic<int> seen{0};
    struct sigaction mine {};
    mine.sa_handler = [](int) { seen.store(1); };
    sigemptyset(&mine.sa_mask);
    {
        reprise::Checkpointer ckpt(options_for(dir.path()));
        ::sigaction(SIGUSR1, &mine, nullptr);
    }
    struct sigaction after {};
    ::sigaction(SIGUSR1, nullptr, &after);
    CHECK(after.sa_handler == mine.sa_handler);
    ::raise(SIGUSR1);
    CHECK(seen.load() == 1);
    ::sigaction(SIGUSR1, &before, nullptr);
}

TEST_CASE("a file under one of our names but owned by another user is never restored, "
          "recycled or removed, and its number is not reused",
          "[safety][security]") {
    if (!is_root()) {
        WARN("skipped: only root can give a file to another user");
        return;
    }
    TempDir dir;
    save_int(dir.path(), 7);
    // Another user's file, a valid checkpoint of another state, under generation 5's name.
    {
        TempDir other;
        save_int(other.path(), 666, "t", 5);
        REQUIRE(::rename((other / "t.local.0000000005.ckpt").c_str(),
                         (dir / "t.local.0000000005.ckpt").c_str()) == 0);
    }
    REQUIRE(::chown((dir / "t.local.0000000005.ckpt").c_str(), 12345, 12345) == 0);
    StderrCapture err;
    {
        reprise::Checkpointer ckpt(options_for(dir.path()));
        int v = 0;
        ckpt.track("v", v);
        REQUIRE(ckpt.restore());
        CHECK(v == 7);
        CHECK(ckpt.generation() == 1);
        ckpt.save();
        ckpt.save();
        CHECK(ckpt.generation() == 7); // numbered past the foreign generation 5
        ckpt.finish();
    }
    const std::string text = err.stop();
    INFO(text);
    CHECK(contains(text, "t.local.0000000005.ckpt (uid 12345)"));
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"t.local.0000000005.ckpt"});
}

TEST_CASE("another user's files under our names in a sticky directory neither stop the job "
          "nor take its next generation's name",
          "[safety][security]") {
    if (!is_root()) {
        WARN("skipped: only root can give a file to another user");
        return;
    }
    TempDir dir;
    REQUIRE(::chmod(dir.path().c_str(), 01777) == 0);
    save_int(dir.path(), 7);
    write_file(dir / "t.local.0000000002.ckpt", "theirs");
    write_file(dir / "t.local.0000000003.ckpt.tmp", "theirs too");
    for (const char* name : {"t.local.0000000002.ckpt", "t.local.0000000003.ckpt.tmp"})
        REQUIRE(::chown((dir / name).c_str(), 65534, 65534) == 0);
    // The job starts, restores its own generation 1, and saves past both foreign names
    // (in a sticky directory a process not root could neither remove them nor rename over
    // them; root is not stopped, but must not either).
    StderrCapture err;
    {
        reprise::Checkpointer ckpt(options_for(dir.path()));
        int v = 0;
        ckpt.track("v", v);
        REQUIRE(ckpt.restore());
        CHECK(v == 7);
        ckpt.save();
        CHECK(ckpt.generation() == 4);
    }
    const std::string text = err.stop();
    INFO(text);
    CHECK(contains(text, "t.local.0000000002.ckpt (uid 65534)"));
    CHECK(contains(text, "t.local.0000000003.ckpt.tmp (uid 65534)"));
    CHECK(read_file(dir / "t.local.0000000002.ckpt") == "theirs");
    CHECK(read_file(dir / "t.local.0000000003.ckpt.tmp") == "theirs too");
    CHECK(files_ending(dir.path(), ".ckpt") ==
          std::vector<std::string>{"t.local.0000000001.ckpt", "t.local.0000000002.ckpt",
                                   "t.local.0000000004.ckpt"});
}

TEST_CASE("under PBS, the restore line says how to start afresh there", "[safety][restore]") {
    TempDir dir;
    reprise_test::ScopedEnv env(Env{{"PBS_JOBID", "9.srv"}});
    save_int(dir.path(), 1);
    StderrCapture err;
    reprise::Checkpointer ckpt(loud(dir.path()));
    int v = 0;
    ckpt.track("v", v);
    REQUIRE(ckpt.restore());
    const std::string text = err.stop();
    INFO(text);
    CHECK(contains(text, "; REPRISE_RESTORE=never starts afresh"));
    CHECK_FALSE(contains(text, "RESTARTED=0"));
}

TEST_CASE("a REPRISE_COMPRESS this version does not know is refused rather than ignored",
          "[safety][environment][errors]") {
    TempDir dir;
    reprise_test::ScopedEnv env(Env{{"REPRISE_COMPRESS", "x"}});
    CHECK_THROWS_WITH(reprise::Checkpointer(options_for(dir.path())),
                      Catch::Contains("REPRISE_COMPRESS='x'") && Catch::Contains("expected zstd or zstd:LEVEL"));
}
