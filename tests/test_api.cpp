// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The Checkpointer's API contract: misuse is refused with a reprise::Error that says what
// was wrong, one Checkpointer per process, signal dispositions put back exactly, the poll,
// hostile names kept inside the directory, and the job key each scheduler gives.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <csignal>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

using reprise::Checkpointer;
using reprise::RestorePolicy;
using reprise_test::ScopedEnv;
using reprise_test::contains;
using reprise_test::error_of;
using reprise_test::TempDir;
using Env = std::map<std::string, std::string>;

reprise::Options options_for(const std::string& directory, const std::string& name = "t") {
    reprise::Options o;
    o.directory = directory;
    o.name = name;
    o.quiet = true;
    return o;
}

// What a new Checkpointer (restore policy always) restores into a variable named `name`.
template <class T>
T restored_from(const std::string& directory, const std::string& name) {
    auto o = options_for(directory);
    o.restore = RestorePolicy::always;
    Checkpointer c(o);
    T value{};
    c.track(name, value);
    REQUIRE(c.restore());
    return value;
}

bool starts_with_reprise(const std::string& what) { return what.rfind("reprise:", 0) == 0; }


constexpr int kSignals[] = {SIGUSR1, SIGTERM, SIGINT, SIGUSR2};

volatile std::sig_atomic_t g_custom_calls = 0;
extern "C" void custom_handler(int) { g_custom_calls = g_custom_calls + 1; }
extern "C" void custom_info_handler(int, siginfo_t*, void*) { g_custom_calls = g_custom_calls + 1; }

struct sigaction current_action(int sig) {
    struct sigaction now {};
    REQUIRE(::sigaction(sig, nullptr, &now) == 0);
    return now;
}

// The dispositions of kSignals at construction, put back at destruction, whatever the
// test did (Catch2 itself has handlers for TERM and INT).
class SavedDispositions {
public:
    SavedDispositions() {
        for (std::size_t i = 0; i < 4; ++i) ::sigaction(kSignals[i], nullptr, &saved_[i]);
    }
    ~SavedDispositions() {
        for (std::size_t i = 0; i < 4; ++i) ::sigaction(kSignals[i], &saved_[i], nullptr);
    }
    SavedDispositions(const SavedDispositions&) = delete;
    SavedDispositions& operator=(const SavedDispositions&) = delete;

private:
    struct sigaction saved_[4] {};
};

bool same_mask(const sigset_t& a, const sigset_t& b) {
    for (int sig = 1; sig < NSIG; ++sig)
        if (sigismember(&a, sig) != sigismember(&b, sig)) return false;
    return true;
}

// Everything sigaction reports about a disposition.
bool same_action(const struct sigaction& a, const struct sigaction& b) {
    if (a.sa_flags != b.sa_flags || !same_mask(a.sa_mask, b.sa_mask)) return false;
    if (a.sa_flags & SA_SIGINFO) return a.sa_sigaction == b.sa_sigaction;
    return a.sa_handler == b.sa_handler;
}

} // namespace

// ---- misuse ------------------------------------------------------------------------------

TEST_CASE("track() with an empty name throws", "[api][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    int v = 0;
    const std::string what = error_of([&] { c.track("", v); });
    CHECK(starts_with_reprise(what));
    CHECK(contains(what, "track()"));
    CHECK(contains(what, "non-empty name"));
}

TEST_CASE("track() of a name already tracked throws naming it", "[api][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    {
        Checkpointer c(options_for(dir.path()));
        int a = 7;
        double b = 0;
        c.track("energy", a);
        const std::string what = error_of([&] { c.track("energy", b); });
        CHECK(starts_with_reprise(what));
        CHECK(contains(what, "\"energy\""));
        CHECK(contains(what, "already tracked"));
        c.save();
    }
    // The refused registration changed nothing: the checkpoint holds the one "energy".
    CHECK(restored_from<int>(dir.path(), "energy") == 7);
}

TEST_CASE("track() after restore() throws", "[api][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    int a = 0, b = 0;
    c.track("a", a);
    CHECK_FALSE(c.restore());
    const std::string what = error_of([&] { c.track("b", b); });
    CHECK(starts_with_reprise(what));
    CHECK(contains(what, "\"b\""));
    CHECK(contains(what, "after restore()"));
}

TEST_CASE("restore() called twice throws", "[api][errors]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    int a = 0;
    c.track("a", a);
    CHECK_FALSE(c.restore());
    const std::string what = error_of([&] { c.restore(); });
    CHECK(starts_with_reprise(what));
    CHECK(contains(what, "restore() was already called"));
}

TEST_CASE("a second Checkpointer alive in the same process throws, one after another works",
          "[api][errors]") {
    reprise_test::clear_environment();
    TempDir dir, other_dir;
    {
        Checkpointer first(options_for(dir.path()));
        // Even for another directory and another name: one per process.
        const std::string what =
            error_of([&] { Checkpointer second(options_for(other_dir.path(), "other")); });
        CHECK(starts_with_reprise(what));
        CHECK(contains(what, "already alive"));
        // The refused constructor took nothing: no lock file in its directory.
        CHECK(reprise_test::list_dir(other_dir.path()).empty());
        // And it did not disturb the live one.
        int v = 1;
        first.track("v", v);
        first.save();
        CHECK(first.generation() == 1);
    }
    {
        Checkpointer again(options_for(dir.path()));
        CHECK(again.generation() == 0);
    }
    Checkpointer third(options_for(other_dir.path(), "other"));
    CHECK(third.job_key() == "local");
}

TEST_CASE("save() after finish() throws, finish() twice does not", "[api][errors][finish]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    int v = 0;
    c.track("v", v);
    c.save();
    c.finish();
    const std::string what = error_of([&] { c.save(); });
    CHECK(starts_with_reprise(what));
    CHECK(contains(what, "save() after finish()"));
    CHECK_NOTHROW(c.finish());
    CHECK(reprise_test::list_dir(dir.path()).empty());
}

TEST_CASE("after finish() a requested save is not carried out", "[api][finish]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    int v = 0;
    c.track("v", v);
    c.finish();
    c.request_save();
    bool saved = true;
    CHECK_NOTHROW(saved = c.maybe_save());
    CHECK_FALSE(saved);
    CHECK(reprise_test::list_dir(dir.path()).empty());
}

TEST_CASE("a checkpoint directory that cannot be created makes the constructor throw naming it",
          "[api][errors]") {
    reprise_test::clear_environment();
    TempDir root;
    reprise_test::write_file(root / "file", "a regular file where a directory should be");
    const std::string dir = root / "file/ckpt";
    const std::string what = error_of([&] { Checkpointer c(options_for(dir)); });
    CHECK(starts_with_reprise(what));
    CHECK(contains(what, "creating directory"));
    CHECK(contains(what, dir));
    // The failed constructor released the one-per-process guard.
    Checkpointer c(options_for(root / "ckpt"));
    CHECK(reprise_test::list_dir(root / "ckpt") == std::vector<std::string>{"t.local.lock"});
}

TEST_CASE("a job held by another live process makes the constructor throw naming its pid and host",
          "[api][errors][lock][process]") {
    reprise_test::clear_environment();
    TempDir dir;
    reprise_test::Child holder({{reprise_test::worker_path(), "hold"},
                                {{"REPRISE_DIR", dir.path()}, {"REPRISE_NAME", "t"},
                                 {"REPRISE_LOG", "quiet"}},
                                ""});
    CHECK(holder.expect_line("holding") == "holding pid=" + std::to_string(holder.pid()));
    char host[256] = {0};
    REQUIRE(::gethostname(host, sizeof host - 1) == 0);
    const std::string what = error_of([&] { Checkpointer c(options_for(dir.path())); });
    CHECK(starts_with_reprise(what));
    CHECK(contains(what, "process " + std::to_string(holder.pid()) + " on host " + host));
    CHECK(contains(what, dir / "t.local.lock"));
    CHECK(contains(what, "already running"));
    // Another job in the same directory is not held.
    {
        ScopedEnv env(Env{{"SLURM_JOB_ID", "1"}});
        CHECK_NOTHROW(Checkpointer(options_for(dir.path())));
    }
    holder.send_line("done");
    const int status = holder.wait();
    INFO(reprise_test::describe_status(status) << "\n" << holder.stderr_text());
    REQUIRE(reprise_test::exited_with(status, 0));
    // Once the holder is gone, the job is free.
    Checkpointer c(options_for(dir.path()));
    CHECK(c.job_key() == "local");
}

// ---- signal dispositions -------------------------------------------------------------------

TEST_CASE("the destructor restores the exact previous signal dispositions",
          "[api][signals]") {
    reprise_test::clear_environment();
    TempDir dir;
    SavedDispositions keep;

    struct sigaction custom {};
    custom.sa_handler = custom_handler;
    sigemptyset(&custom.sa_mask);
    sigaddset(&custom.sa_mask, SIGHUP);
    custom.sa_flags = 0;
    for (int sig : kSignals) REQUIRE(::sigaction(sig, &custom, nullptr) == 0);
    struct sigaction before[4];
    for (std::size_t i = 0; i < 4; ++i) before[i] = current_action(kSignals[i]);

    {
        Checkpointer c(options_for(dir.path()));
        for (std::size_t i = 0; i < 4; ++i) {
            INFO("signal " << kSignals[i] << " while the Checkpointer is alive");
            const struct sigaction now = current_action(kSignals[i]);
            CHECK_FALSE(now.sa_flags & SA_SIGINFO);
            CHECK(now.sa_handler != custom_handler);
            CHECK(now.sa_handler != SIG_DFL);
            CHECK(now.sa_handler != SIG_IGN);
        }
    }
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("signal " << kSignals[i] << " after the Checkpointer");
        const struct sigaction after = current_action(kSignals[i]);
        CHECK(after.sa_handler == custom_handler);
        CHECK(same_action(after, before[i]));
    }
}

TEST_CASE("the destructor restores SA_SIGINFO handlers, SIG_IGN and SIG_DFL as they were",
          "[api][signals]") {
    reprise_test::clear_environment();
    TempDir dir;
    SavedDispositions keep;

    struct sigaction info {};
    info.sa_sigaction = custom_info_handler;
    sigemptyset(&info.sa_mask);
    info.sa_flags = SA_SIGINFO | SA_RESTART;
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    struct sigaction plain {};
    plain.sa_handler = custom_handler;
    sigemptyset(&plain.sa_mask);
    plain.sa_flags = SA_NODEFER;
    REQUIRE(::sigaction(SIGUSR1, &info, nullptr) == 0);
    REQUIRE(::sigaction(SIGTERM, &ignore, nullptr) == 0);
    REQUIRE(::sigaction(SIGUSR2, &dfl, nullptr) == 0);
    REQUIRE(::sigaction(SIGINT, &plain, nullptr) == 0);
    struct sigaction before[4];
    for (std::size_t i = 0; i < 4; ++i) before[i] = current_action(kSignals[i]);

    {
        Checkpointer c(options_for(dir.path()));
        for (std::size_t i = 0; i < 4; ++i) {
            INFO("signal " << kSignals[i] << " while the Checkpointer is alive");
            CHECK_FALSE(same_action(current_action(kSignals[i]), before[i]));
        }
    }
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("signal " << kSignals[i] << " after the Checkpointer");
        CHECK(same_action(current_action(kSignals[i]), before[i]));
    }
    CHECK(current_action(SIGUSR1).sa_sigaction == custom_info_handler);
    CHECK(current_action(SIGTERM).sa_handler == SIG_IGN);
    CHECK(current_action(SIGUSR2).sa_handler == SIG_DFL);
}

TEST_CASE("with handle_signals=false no handler is installed", "[api][signals]") {
    reprise_test::clear_environment();
    TempDir dir;
    SavedDispositions keep;

    struct sigaction custom {};
    custom.sa_handler = custom_handler;
    sigemptyset(&custom.sa_mask);
    for (int sig : kSignals) REQUIRE(::sigaction(sig, &custom, nullptr) == 0);
    struct sigaction before[4];
    for (std::size_t i = 0; i < 4; ++i) before[i] = current_action(kSignals[i]);

    SECTION("by Options") {
        auto o = options_for(dir.path());
        o.handle_signals = false;
        Checkpointer c(o);
        for (std::size_t i = 0; i < 4; ++i) {
            INFO("signal " << kSignals[i]);
            CHECK(same_action(current_action(kSignals[i]), before[i]));
        }
    }
    SECTION("by REPRISE_SIGNALS=0") {
        ScopedEnv env(Env{{"REPRISE_SIGNALS", "0"}});
        Checkpointer c(options_for(dir.path()));
        CHECK_FALSE(c.options().handle_signals);
        for (std::size_t i = 0; i < 4; ++i) {
            INFO("signal " << kSignals[i]);
            CHECK(same_action(current_action(kSignals[i]), before[i]));
        }
    }
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("signal " << kSignals[i] << " after the Checkpointer");
        CHECK(same_action(current_action(kSignals[i]), before[i]));
    }
}

// ---- the poll ----------------------------------------------------------------------------

TEST_CASE("stop_requested() is false initially", "[api]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    CHECK_FALSE(c.stop_requested());
    int v = 0;
    c.track("v", v);
    c.save();
    CHECK_FALSE(c.stop_requested());
}

TEST_CASE("maybe_save() with nothing pending returns false and writes nothing", "[api][poll]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    int v = 0;
    c.track("v", v);
    for (int k = 0; k < 1000; ++k) CHECK_FALSE(c.maybe_save());
    CHECK(c.generation() == 0);
    CHECK(reprise_test::list_dir(dir.path()) == std::vector<std::string>{"t.local.lock"});
}

TEST_CASE("request_save() makes the next maybe_save() save one generation", "[api][poll]") {
    reprise_test::clear_environment();
    TempDir dir;
    Checkpointer c(options_for(dir.path()));
    int v = 41;
    c.track("v", v);
    c.request_save();
    c.request_save(); // two requests before a poll: one save
    CHECK(c.maybe_save());
    CHECK(c.generation() == 1);
    CHECK(reprise_test::files_ending(dir.path(), ".ckpt") ==
          std::vector<std::string>{"t.local.0000000001.ckpt"});
    CHECK_FALSE(c.maybe_save());
    CHECK(c.generation() == 1);
    CHECK_FALSE(c.stop_requested());

    v = 42;
    c.request_save();
    CHECK(c.maybe_save());
    CHECK(c.generation() == 2);
    CHECK(reprise_test::files_ending(dir.path(), ".ckpt") ==
          std::vector<std::string>{"t.local.0000000001.ckpt", "t.local.0000000002.ckpt"});
}

TEST_CASE("maybe_save(publish) calls publish only when a save is due, and saves what it "
          "published, in both save modes",
          "[api][poll]") {
    reprise_test::clear_environment();
    for (const auto mode : {reprise::SaveMode::sync, reprise::SaveMode::background}) {
        CAPTURE(mode == reprise::SaveMode::sync ? "sync" : "background");
        TempDir dir;
        {
            reprise::Options o = options_for(dir.path());
            o.mode = mode;
            Checkpointer c(o);
            long tracked = -1;  // what the Checkpointer sees
            long working = 0;   // the loop's local
            int publishes = 0;
            c.track("v", tracked);
            auto publish = [&] {
                ++publishes;
                tracked = working;
            };
            for (working = 1; working <= 1000; ++working) CHECK_FALSE(c.maybe_save(publish));
            CHECK(publishes == 0);
            CHECK(tracked == -1);
            working = 1234;
            c.request_save();
            CHECK(c.maybe_save(publish));
            CHECK(publishes == 1);
            CHECK(tracked == 1234);
            working = 5678; // not published: the next save is due only on request
            CHECK_FALSE(c.maybe_save(publish));
            CHECK(publishes == 1);
        } // the destructor waits for a background save in flight
        CHECK(restored_from<long>(dir.path(), "v") == 1234);
    }
}

TEST_CASE("a request made before the Checkpointer exists is not carried over", "[api][poll]") {
    reprise_test::clear_environment();
    TempDir dir;
    {
        Checkpointer c(options_for(dir.path()));
        c.request_save(); // never polled
    }
    Checkpointer c(options_for(dir.path()));
    int v = 0;
    c.track("v", v);
    CHECK_FALSE(c.maybe_save());
    CHECK(reprise_test::files_ending(dir.path(), ".ckpt").empty());
}

// ---- hostile names -----------------------------------------------------------------------

TEST_CASE("a job id like ../../x and a name with / keep every file inside the directory",
          "[api][files][security]") {
    reprise_test::clear_environment();
    TempDir root;
    const std::string dir = root / "a/b/ckpt";
    ScopedEnv env(Env{{"PBS_JOBID", "../../x"}});
    int v = 5;
    {
        Checkpointer c(options_for(dir, "../evil/name"));
        CHECK(c.job_key() == "pbs-../../x");
        c.track("v", v);
        c.save();
        c.save();
        CHECK(c.path_of_generation(2) ==
              dir + "/..%2Fevil%2Fname.pbs-..%2F..%2Fx.0000000002.ckpt");
    }
    CHECK(reprise_test::list_dir(dir) ==
          std::vector<std::string>{"..%2Fevil%2Fname.pbs-..%2F..%2Fx.0000000001.ckpt",
                                   "..%2Fevil%2Fname.pbs-..%2F..%2Fx.0000000002.ckpt",
                                   "..%2Fevil%2Fname.pbs-..%2F..%2Fx.lock"});
    // Nothing anywhere else under the temporary root.
    CHECK(reprise_test::list_dir(root.path()) == std::vector<std::string>{"a"});
    CHECK(reprise_test::list_dir(root / "a") == std::vector<std::string>{"b"});
    CHECK(reprise_test::list_dir(root / "a/b") == std::vector<std::string>{"ckpt"});
    // And the escaped names are the job's own: a restart finds them.
    int restored = 0;
    auto o = options_for(dir, "../evil/name");
    o.restore = RestorePolicy::always;
    Checkpointer c(o);
    c.track("v", restored);
    CHECK(c.restore());
    CHECK(restored == 5);
    c.finish();
    CHECK(reprise_test::list_dir(dir).empty());
}

TEST_CASE("names that are . or .. or hold control characters are escaped",
          "[api][files][security]") {
    reprise_test::clear_environment();
    TempDir root;
    const std::string dir = root / "ckpt";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"..", "%2E..local.lock"},
        {".", "%2E.local.lock"},
        {"a b", "a%20b.local.lock"},
        {"100%", "100%25.local.lock"},
    };
    for (const auto& [name, lock] : cases) {
        INFO("name '" << name << "'");
        {
            Checkpointer c(options_for(dir, name));
            CHECK(reprise_test::list_dir(dir) == std::vector<std::string>{lock});
            c.finish();
        }
        CHECK(reprise_test::list_dir(dir).empty());
        CHECK(reprise_test::list_dir(root.path()) == std::vector<std::string>{"ckpt"});
    }
    // A name with a control character is junk, not a name: refused, naming it.
    CHECK_THROWS_WITH(Checkpointer(options_for(dir, "a\nb")),
                      Catch::Contains("Options::name='a\\x0ab'"));
    CHECK(reprise_test::list_dir(dir).empty());
    // With the job id "..": "pbs-.." is a plain name, no escaping needed.
    ScopedEnv env(Env{{"PBS_JOBID", ".."}});
    Checkpointer c(options_for(dir, "t"));
    CHECK(reprise_test::list_dir(dir) == std::vector<std::string>{"t.pbs-...lock"});
}

TEST_CASE("a job id with / under Slurm is refused, naming the variable",
          "[api][files][security]") {
    reprise_test::clear_environment();
    TempDir root;
    const std::string dir = root / "ckpt";
    ScopedEnv env(Env{{"SLURM_JOB_ID", "1"}, {"SLURM_ARRAY_JOB_ID", "/etc"}, {"SLURM_ARRAY_TASK_ID", "../passwd"}});
    CHECK_THROWS_WITH(Checkpointer(options_for(dir)),
                      Catch::Contains("SLURM_ARRAY_JOB_ID='/etc'"));
    CHECK(reprise_test::list_dir(root.path()).empty());
}

// ---- job keys ----------------------------------------------------------------------------

TEST_CASE("job_key() names the job the way each scheduler does", "[api][job]") {
    reprise_test::clear_environment();
    TempDir dir;
    const std::vector<std::pair<Env, std::string>> cases{
        {{}, "local"},
        {{{"RESTARTED", "1"}}, "local"},
        {{{"SLURM_JOB_ID", "42"}}, "slurm-42"},
        {{{"SLURM_JOB_ID", "42"}, {"SLURM_RESTART_COUNT", "3"}}, "slurm-42"},
        {{{"SLURM_JOB_ID", "43"}, {"SLURM_ARRAY_JOB_ID", "5"}, {"SLURM_ARRAY_TASK_ID", "2"}},
         "slurm-5_2"},
        // An array job id without a task id is not an array task.
        {{{"SLURM_JOB_ID", "43"}, {"SLURM_ARRAY_JOB_ID", "5"}}, "slurm-43"},
        {{{"JOB_ID", "17"}}, "sge-17"},
        {{{"JOB_ID", "17"}, {"SGE_TASK_ID", "3"}}, "sge-17.3"},
        {{{"JOB_ID", "17"}, {"SGE_TASK_ID", "undefined"}}, "sge-17"},
        {{{"PBS_JOBID", "9.server"}}, "pbs-9.server"},
        {{{"PBS_JOBID", "9.server"}, {"PBS_ARRAYID", "4"}}, "pbs-9.server.4"},
        {{{"PBS_JOBID", "9[4].server"}, {"PBS_ARRAY_INDEX", "4"}}, "pbs-9[4].server.4"},
        {{{"LSB_JOBID", "7"}}, "lsf-7"},
        {{{"LSB_JOBID", "7"}, {"LSB_JOBINDEX", "4"}}, "lsf-7.4"},
        {{{"LSB_JOBID", "7"}, {"LSB_JOBINDEX", "0"}}, "lsf-7"},
        // The first scheduler in the order Slurm, Grid Engine, PBS, LSF names the job.
        {{{"SLURM_JOB_ID", "42"}, {"JOB_ID", "17"}}, "slurm-42"},
        {{{"SLURM_JOB_ID", "42"}, {"JOB_ID", "17"}, {"PBS_JOBID", "9"}, {"LSB_JOBID", "7"}},
         "slurm-42"},
        {{{"JOB_ID", "17"}, {"PBS_JOBID", "9"}, {"LSB_JOBID", "7"}}, "sge-17"},
        {{{"PBS_JOBID", "9"}, {"LSB_JOBID", "7"}}, "pbs-9"},
        // An empty variable is not set.
        {{{"SLURM_JOB_ID", ""}, {"JOB_ID", "17"}}, "sge-17"},
    };
    for (const auto& [env_values, key] : cases) {
        std::string described;
        for (const auto& [name, value] : env_values) described += name + "=" + value + " ";
        INFO(described);
        ScopedEnv env(env_values);
        Checkpointer c(options_for(dir.path()));
        CHECK(c.job_key() == key);
        // The key is part of every file name.
        CHECK(reprise_test::files_ending(dir.path(), ".lock") ==
              std::vector<std::string>{"t." + reprise::detail::file_safe(key) + ".lock"});
        c.finish();
    }
}
