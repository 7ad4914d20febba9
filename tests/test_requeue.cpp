// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// StopAction::requeue (REPRISE_ON_STOP=requeue): the job requeues itself after the save a
// stop signal asked for. Real worker processes, real signals; Slurm is a fake `scontrol`
// script first on PATH, which writes down the arguments it got, what its stdin is and one
// variable of its environment, and exits with the status the test chose. The real Slurm
// is tests/cluster/slurm-self-requeue.sh. The worker stops on a read of stdin at every
// pause, so the signal is always handled at a known poll, never by timing.

#include "catch.hpp"
#include "support.hpp"

#include <csignal>
#include <map>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace reprise_test;
using reprise::Checkpointer;
using reprise::StopAction;

namespace {

using Env = std::map<std::string, std::string>;

constexpr unsigned long long kN = 1000;
constexpr unsigned long long kPauseEvery = 100;

unsigned long long triangle(unsigned long long n) { return n * (n + 1) / 2; }

// A directory with an executable `scontrol` that records every call in `<dir>/calls`,
// one line each: its arguments, what its stdin is and one variable of its environment
// ("requeue 42|stdin=/dev/null|SLURM_CONF=/etc/x"). `scontrol --oneliner show job J` prints
// a line with JobState=`state` and exits 0; `scontrol requeue J` says `message` on stderr
// and exits with `status`.
class FakeScontrol {
public:
    explicit FakeScontrol(int status, const std::string& message = "",
                          const std::string& state = "RUNNING") {
        const std::string script = bin_ / "scontrol";
        write_file(script,
                   "#!/bin/sh\n"
                   "printf '%s|stdin=%s|SLURM_CONF=%s\\n' \"$*\" \"$(readlink /proc/$$/fd/0)\" "
                   "\"$SLURM_CONF\" >>'" + calls() + "'\n"
                   "if [ \"$1 $2 $3\" = '--oneliner show job' ]; then\n"
                   "  echo \"JobId=$4 JobName=worker UserId=root(0) JobState=" + state +
                       " Reason=None Dependency=(null)\"\n"
                   "  exit 0\n"
                   "fi\n" +
                       (message.empty() ? "" : "echo '" + message + "' >&2\n") +
                       "exit " + std::to_string(status) + "\n");
        ::chmod(script.c_str(), 0755);
    }
    std::string path_variable() const {
        const char* path = std::getenv("PATH");
        return bin_.path() + ":" + (path ? path : "/usr/bin:/bin");
    }
    std::string calls() const { return bin_ / "calls"; }
    std::string recorded() const { return read_file(calls()); }

private:
    TempDir bin_;
};

// What FakeScontrol records for `scontrol ARGS` with stdin /dev/null and SLURM_CONF `conf`.
std::string call(const std::string& args, const std::string& conf = "") {
    return args + "|stdin=/dev/null|SLURM_CONF=" + conf + "\n";
}

Child start_sum(const TempDir& dir, Env env) {
    Child::Spec spec;
    spec.argv = {worker_path(), "sum", std::to_string(kN), "--pause-every",
                 std::to_string(kPauseEvery)};
    env["REPRISE_DIR"] = dir.path();
    spec.env = std::move(env);
    return Child(std::move(spec));
}

// Starts the worker with `env`, sends SIGTERM at its first pause and waits for it to end.
// Returns its wait status; `paused` is the pause line, `err` its stderr.
int stop_at_first_pause(const TempDir& dir, const Env& env, std::string& paused, std::string& err) {
    Child child = start_sum(dir, env);
    REQUIRE(field(next_line(child), "restored") == "0");
    paused = child.expect_line("paused ");
    child.signal(SIGTERM);
    child.send_line("go");
    const std::string after = child.read_line();
    const int status = wait_for_end(child);
    err = child.stderr_text();
    INFO("worker stderr:\n" << err);
    CHECK(after.empty()); // no more output: it stopped at that poll
    return status;
}

// The requeued run: `env` plus the scheduler's restart flag; it must resume at
// `expected_i` and end with the whole sum, leaving the directory empty.
void check_requeued_run_resumes(const TempDir& dir, Env env, unsigned long long expected_i) {
    env["REPRISE_ON_STOP"] = "requeue";
    Child::Spec spec;
    spec.argv = {worker_path(), "sum", std::to_string(kN)};
    env["REPRISE_DIR"] = dir.path();
    spec.env = std::move(env);
    Child run(std::move(spec));
    const std::string start = next_line(run);
    std::vector<std::string> rest;
    for (std::string line = run.read_line(); !line.empty(); line = run.read_line())
        rest.push_back(line);
    const int status = wait_for_end(run);
    INFO("requeued run's stderr:\n" << run.stderr_text());
    CHECK(field(start, "restored") == "1");
    CHECK(number(start, "i") == expected_i);
    const auto results = lines_with(joined(rest), {"result "});
    REQUIRE(results.size() == 1);
    CHECK(number(results[0], "sum") == triangle(kN));
    CHECK(exited_with(status, 0));
    CHECK(list_dir(dir.path()).empty());
}

} // namespace

TEST_CASE("REPRISE_ON_STOP=requeue is read exactly, and nothing near it is taken for it",
          "[environment][requeue]") {
    clear_environment();
    TempDir dir;
    {
        ScopedEnv env(Env{{"SLURM_JOB_ID", "42"}, {"REPRISE_ON_STOP", "requeue"}});
        Checkpointer c(options_for(dir.path()));
        CHECK(c.options().on_stop == StopAction::requeue);
    }
    for (const char* value : {"Requeue", "requeue ", "requeue:1", "re-queue", "requeue,exit"}) {
        ScopedEnv env(Env{{"SLURM_JOB_ID", "42"}, {"REPRISE_ON_STOP", value}});
        INFO("REPRISE_ON_STOP=" << value);
        const std::string what = error_of([&] { Checkpointer c(options_for(dir.path())); });
        CHECK(starts_with(what, "reprise: REPRISE_ON_STOP='"));
        CHECK(contains(what, "requeue"));
    }
    // A job id that is not a number is refused as it always was, not requeued blindly.
    ScopedEnv env(Env{{"SLURM_JOB_ID", "42;rm"}, {"REPRISE_ON_STOP", "requeue"}});
    CHECK(contains(error_of([&] { Checkpointer c(options_for(dir.path())); }), "SLURM_JOB_ID"));
}

TEST_CASE("requeue with neither SLURM_JOB_ID nor JOB_ID makes the constructor throw, naming "
          "both and the setting",
          "[environment][requeue]") {
    clear_environment();
    TempDir dir;
    {
        ScopedEnv env(Env{{"REPRISE_ON_STOP", "requeue"}});
        const std::string what = error_of([&] { Checkpointer c(options_for(dir.path())); });
        CHECK(starts_with(what, "reprise: REPRISE_ON_STOP=requeue needs a scheduler"));
        CHECK(contains(what, "SLURM_JOB_ID"));
        CHECK(contains(what, "JOB_ID (Grid Engine: exit status 99)"));
    }
    {
        // PBS and LSF cannot be asked: the same refusal.
        ScopedEnv env(Env{{"REPRISE_ON_STOP", "requeue"}, {"PBS_JOBID", "9.server"}});
        CHECK(contains(error_of([&] { Checkpointer c(options_for(dir.path())); }), "SLURM_JOB_ID"));
    }
    reprise::Options o = options_for(dir.path());
    o.on_stop = StopAction::requeue;
    const std::string what = error_of([&] { Checkpointer c(o); });
    CHECK(starts_with(what, "reprise: Options::on_stop = requeue needs a scheduler"));
    // The environment can still choose another action for a run by hand.
    ScopedEnv env(Env{{"REPRISE_ON_STOP", "reraise"}});
    Checkpointer c(o);
    CHECK(c.options().on_stop == StopAction::reraise);
}

TEST_CASE("under Slurm, requeue saves, runs scontrol requeue JOB without a shell, dies by the "
          "signal, and the requeued run resumes",
          "[signals][requeue]") {
    TempDir dir;
    FakeScontrol scontrol(0);
    std::string paused, err;
    const int status = stop_at_first_pause(
        dir,
        {{"SLURM_JOB_ID", "42"}, {"REPRISE_ON_STOP", "requeue"}, {"PATH", scontrol.path_variable()},
         {"SLURM_CONF", "/fake/slurm.conf"}},
        paused, err);
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"reprise: saved generation 1"}).size() == 1);
    CHECK(lines_with(err, {"reprise: stopping on SIGTERM; requeued Slurm job 42 (scontrol requeue 42)"})
              .size() == 1);
    // Asked once whether the job runs, then requeued once; the arguments as they are, stdin
    // not the program's, the environment kept, scontrol's stdout not on the program's.
    CHECK(scontrol.recorded() == call("--oneliner show job 42", "/fake/slurm.conf") +
                                     call("requeue 42", "/fake/slurm.conf"));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
    check_requeued_run_resumes(dir, {{"SLURM_JOB_ID", "42"}, {"SLURM_RESTART_COUNT", "1"}},
                               number(paused, "i"));
}

TEST_CASE("an array task requeues itself as ARRAYJOB_TASK", "[signals][requeue]") {
    TempDir dir;
    FakeScontrol scontrol(0);
    std::string paused, err;
    const int status = stop_at_first_pause(
        dir,
        {{"SLURM_JOB_ID", "77"}, {"SLURM_ARRAY_JOB_ID", "70"}, {"SLURM_ARRAY_TASK_ID", "3"},
         {"REPRISE_ON_STOP", "requeue"}, {"PATH", scontrol.path_variable()}},
        paused, err);
    INFO("worker stderr:\n" << err);
    CHECK(killed_by(status, SIGTERM));
    CHECK(scontrol.recorded() == call("--oneliner show job 70_3") + call("requeue 70_3"));
    CHECK(lines_with(err, {"requeued Slurm job 70_3 (scontrol requeue 70_3)"}).size() == 1);
}

TEST_CASE("a failing scontrol is reported with the command and its exit status, and the "
          "process ends as reraise would, its checkpoint kept",
          "[signals][requeue]") {
    TempDir dir;
    FakeScontrol scontrol(1, "scontrol_requeue error: Requested operation is presently disabled");
    std::string paused, err;
    const int status = stop_at_first_pause(
        dir, {{"SLURM_JOB_ID", "42"}, {"REPRISE_ON_STOP", "requeue"}, {"PATH", scontrol.path_variable()}},
        paused, err);
    INFO("worker stderr:\n" << err);
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"reprise: stopping on SIGTERM; Slurm job 42 is NOT requeued: "
                           "`scontrol requeue 42` exited with status 1"})
              .size() == 1);
    CHECK(lines_with(err, {"Requested operation is presently disabled"}).size() == 1);
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
}

TEST_CASE("a missing scontrol is reported, naming the command and why it could not start",
          "[signals][requeue]") {
    TempDir dir, empty;
    std::string paused, err;
    const int status = stop_at_first_pause(
        dir, {{"SLURM_JOB_ID", "42"}, {"REPRISE_ON_STOP", "requeue"}, {"PATH", empty.path()}},
        paused, err);
    INFO("worker stderr:\n" << err);
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"Slurm job 42 is NOT requeued: `scontrol --oneliner show job 42` "
                           "could not be started: No such file or directory"})
              .size() == 1);
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
}

TEST_CASE("after a failed save the job is not requeued, and the process ends as reraise would",
          "[signals][requeue]") {
    TempDir dir;
    FakeScontrol scontrol(0);
    std::string paused, err;
    const int status = stop_at_first_pause(
        dir,
        {{"SLURM_JOB_ID", "42"}, {"REPRISE_ON_STOP", "requeue"}, {"PATH", scontrol.path_variable()},
         {"REPRISE_FAULT", "fsync:EIO"}},
        paused, err);
    INFO("worker stderr:\n" << err);
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"reprise: stopping on SIGTERM although the save failed; Slurm job 42 "
                           "is not requeued after a failed save (no checkpoint exists yet)"})
              .size() == 1);
    CHECK(scontrol.recorded().empty());
}

TEST_CASE("under Grid Engine, requeue saves and exits 99, Grid Engine's reschedule, and "
          "runs no scontrol",
          "[signals][requeue]") {
    TempDir dir;
    FakeScontrol scontrol(0);
    std::string paused, err;
    const int status = stop_at_first_pause(
        dir,
        {{"JOB_ID", "17"}, {"RESTARTED", "0"}, {"REPRISE_ON_STOP", "requeue"},
         {"PATH", scontrol.path_variable()}},
        paused, err);
    INFO("worker stderr:\n" << err);
    INFO("worker " << describe_status(status));
    CHECK(exited_with(status, 99));
    CHECK(lines_with(err, {"reprise: stopping on SIGTERM, exit status 99 (Grid Engine requeues "
                           "the job)"})
              .size() == 1);
    CHECK(scontrol.recorded().empty());
    check_requeued_run_resumes(dir, {{"JOB_ID", "17"}, {"RESTARTED", "1"}}, number(paused, "i"));
}

TEST_CASE("a job that Slurm is already ending (scancel, the time limit) is not requeued, so that "
          "a cancelled job stays cancelled",
          "[signals][requeue]") {
    TempDir dir;
    FakeScontrol scontrol(0, "", "COMPLETING");
    std::string paused, err;
    const int status = stop_at_first_pause(
        dir, {{"SLURM_JOB_ID", "42"}, {"REPRISE_ON_STOP", "requeue"}, {"PATH", scontrol.path_variable()}},
        paused, err);
    INFO("worker stderr:\n" << err);
    CHECK(killed_by(status, SIGTERM));
    CHECK(lines_with(err, {"reprise: stopping on SIGTERM; Slurm job 42 is not requeued: Slurm is "
                           "already ending it (JobState=COMPLETING"})
              .size() == 1);
    CHECK(scontrol.recorded() == call("--oneliner show job 42"));
    CHECK(files_ending(dir.path(), ".ckpt").size() == 1);
}
