// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_REQUEUE_HPP
#define REPRISE_DETAIL_REQUEUE_HPP

// StopAction::requeue (REPRISE_ON_STOP=requeue): after the save a stop signal asked for,
// the job goes back to its scheduler's queue by itself, so that a job script needs no
// trap (docs/schedulers.md, "Self-requeue").
//
// - Slurm: the process runs `scontrol requeue <job>` itself, where <job> is SLURM_JOB_ID,
//   or <SLURM_ARRAY_JOB_ID>_<SLURM_ARRAY_TASK_ID> for an array task (the form scontrol
//   takes for one task). Never from a signal handler: the stop is acted on in the poll,
//   and the command runs there, without a shell (posix_spawnp: no quoting, no
//   interpretation of the job id), with this process's environment (SLURM_CONF, PATH),
//   and is waited for. Only while the job is RUNNING, as `scontrol show job` says: the
//   SIGTERM of `scancel` or of the time limit comes once Slurm is ending the job
//   (COMPLETING), and Slurm would requeue even a job its user had just cancelled.
// - Grid Engine: exit status 99, which Grid Engine itself takes as "reschedule this job"
//   (the same as REPRISE_ON_STOP=exit:99).
// - Anywhere else (by hand, PBS, LSF): nothing can requeue the job, so the constructor
//   throws instead of letting a job script believe it will come back.

#include "reprise/detail/job.hpp"
#include "reprise/error.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace reprise::detail {

// How StopAction::requeue puts this job back in the queue.
struct RequeuePlan {
    enum class How {
        none,         // StopAction::requeue not chosen
        scontrol,     // Slurm: `scontrol requeue <job>`
        exit_99,      // Grid Engine: exit status 99
    };
    How how = How::none;
    std::string job; // scontrol's argument: "42", or "40_3" for an array task

    // The command, as shown in messages: "scontrol requeue 42".
    std::string command() const { return "scontrol requeue " + job; }
};

// The exit status with which Grid Engine reschedules a job.
inline constexpr int kGridEngineRequeueStatus = 99;

// Reads the scheduler's variables (strictly, as job_from_environment does) in the same
// order (Slurm first): the plan for this job, or an Error naming what is missing.
// `source` names the setting in messages ("REPRISE_ON_STOP=requeue").
inline RequeuePlan requeue_plan_from_environment(const std::string& source) {
    RequeuePlan plan;
    if (const std::string slurm = job_number("SLURM_JOB_ID"); !slurm.empty()) {
        plan.how = RequeuePlan::How::scontrol;
        const std::string array_job = job_number("SLURM_ARRAY_JOB_ID");
        const std::string array_task = job_number("SLURM_ARRAY_TASK_ID");
        plan.job = !array_job.empty() && !array_task.empty() ? array_job + "_" + array_task
                                                             : slurm;
        return plan;
    }
    if (!job_number("JOB_ID").empty()) {
        plan.how = RequeuePlan::How::exit_99;
        return plan;
    }
    throw Error("reprise: " + source + " needs a scheduler that can requeue this job, but "
                "neither SLURM_JOB_ID (Slurm: scontrol requeue) nor JOB_ID (Grid Engine: "
                "exit status 99) is set; run by hand or under another scheduler, choose "
                "REPRISE_ON_STOP=reraise, exit:N or return",
                ErrorKind::configuration);
}

// Runs `argv` (argv[0] looked up on PATH) without a shell, with this process's
// environment and stdin from /dev/null, and waits for it. Its stdout goes to `output`
// when one is given (the first 64 KiB of it), else onto stderr, beside reprise's own lines
// (the program's stdout may be its result); its stderr is the program's. "" when it
// exited with status 0; otherwise how it ended or why it could not start ("exited with
// status 1"). Not async-signal-safe: called from the poll, never from a handler.
inline std::string run_command(const std::vector<std::string>& argv,
                               std::string* output = nullptr) {
    std::vector<std::string> copies(argv);
    std::vector<char*> args;
    for (auto& a : copies) args.push_back(&a[0]);
    args.push_back(nullptr);

    int out[2] = {-1, -1};
    if (output && ::pipe2(out, O_CLOEXEC) != 0)
        return std::string("could not be started: pipe: ") + std::strerror(errno);
    posix_spawn_file_actions_t files;
    posix_spawnattr_t attributes;
    ::posix_spawn_file_actions_init(&files);
    ::posix_spawnattr_init(&attributes);
    ::posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&files, output ? out[1] : STDERR_FILENO, STDOUT_FILENO);
    // The command starts with no signal blocked and the stop signals at their defaults,
    // whatever the program did with them (an ignored signal stays ignored across exec).
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (const int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE}) sigaddset(&defaults, sig);
    ::posix_spawnattr_setsigmask(&attributes, &none);
    ::posix_spawnattr_setsigdefault(&attributes, &defaults);
    ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &files, &attributes, args.data(), environ);
    ::posix_spawnattr_destroy(&attributes);
    ::posix_spawn_file_actions_destroy(&files);
    if (output) {
        ::close(out[1]);
        if (rc == 0) {
            char chunk[4096];
            for (;;) {
                const ssize_t n = ::read(out[0], chunk, sizeof chunk);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
                if (output->size() < 65536) output->append(chunk, static_cast<std::size_t>(n));
            }
        }
        ::close(out[0]);
    }
    if (rc != 0) return std::string("could not be started: ") + std::strerror(rc);

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno == EINTR) continue;
        // ECHILD: the program ignores SIGCHLD, or a handler of its own reaped the child.
        return std::string("ended with an unknown status (waitpid: ") + std::strerror(errno) + ")";
    }
    if (WIFEXITED(status)) {
        const int code = WEXITSTATUS(status);
        if (code == 0) return "";
        // 127: how a system whose posix_spawnp does not report a failed exec says so.
        return "exited with status " + std::to_string(code) +
               (code == 127 ? " (not found on PATH?)" : "");
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        return "was killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
    }
    return "ended with wait status " + std::to_string(status);
}

// The value of the one "JobState=" field in `scontrol --oneliner show job` output (fields
// separated by spaces); "" when there is none or more than one.
inline std::string job_state_of(const std::string& shown) {
    std::string state;
    int found = 0;
    std::size_t start = 0;
    while (start < shown.size()) {
        std::size_t end = shown.find_first_of(" \t\n", start);
        if (end == std::string::npos) end = shown.size();
        const std::string field = shown.substr(start, end - start);
        if (field.rfind("JobState=", 0) == 0) {
            state = field.substr(9);
            ++found;
        }
        start = end + 1;
    }
    return found == 1 ? state : std::string();
}

// Asks Slurm to requeue job `plan.job`, if it is still RUNNING: a stop signal also comes
// when Slurm itself is ending the job (`scancel`, the time limit, someone else's requeue:
// JobState=COMPLETING), and Slurm would then requeue a job its user cancelled. The tail
// of reprise's stop line: "; requeued Slurm job 42 (scontrol requeue 42)", or why not.
inline std::string requeue_slurm_job(const RequeuePlan& plan) {
    const std::string job = "Slurm job " + plan.job;
    const std::vector<std::string> show{"scontrol", "--oneliner", "show", "job", plan.job};
    std::string shown;
    std::string failure = run_command(show, &shown);
    if (!failure.empty())
        return "; " + job + " is NOT requeued: `scontrol --oneliner show job " + plan.job + "` " +
               failure;
    const std::string state = job_state_of(shown);
    if (state.empty())
        return "; " + job + " is NOT requeued: `scontrol --oneliner show job " + plan.job +
               "` printed no single JobState";
    if (state != "RUNNING")
        return "; " + job + " is not requeued: Slurm is already ending it (JobState=" + state +
               ": scancel, the time limit, a requeue by someone else); a stop signal it "
               "sends while the job runs (--signal=B:TERM@T, scancel --signal=TERM) requeues it";
    failure = run_command({"scontrol", "requeue", plan.job});
    if (!failure.empty()) return "; " + job + " is NOT requeued: `" + plan.command() + "` " + failure;
    return "; requeued " + job + " (" + plan.command() + ")";
}

} // namespace reprise::detail

#endif
