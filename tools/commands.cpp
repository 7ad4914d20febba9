// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "commands.hpp"

#include "exit_status.hpp"
#include "force_stop.hpp"
#include "job_environment.hpp"
#include "json_output.hpp"
#include "launcher.hpp"
#include "process.hpp"
#include "registry.hpp"

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/parse.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/error.hpp"
#include "reprise/inspect.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace reprise::manager {

using detail::errno_text;
using detail::throw_errno;

namespace {

using SteadyClock = std::chrono::steady_clock;

// ---- formatting ---------------------------------------------------------------------------

std::string format_time(std::int64_t seconds) {
    if (seconds <= 0) return "-";
    const std::time_t t = static_cast<std::time_t>(seconds);
    struct tm local {};
    if (!::localtime_r(&t, &local)) return std::to_string(seconds);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S %z", &local);
    return buffer;
}

// 5400 -> "1h30m", 90 -> "1m30s", 0.5 -> "0.5s"
std::string format_duration(double seconds) {
    if (seconds < 60 && seconds != static_cast<double>(static_cast<long long>(seconds))) {
        std::ostringstream s;
        s << seconds << "s";
        return s.str();
    }
    long long left = static_cast<long long>(seconds);
    std::string out;
    const std::pair<long long, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    for (const auto& [size, unit] : units) {
        if (left >= size) {
            out += std::to_string(left / size) + unit;
            left %= size;
        }
    }
    return out.empty() ? "0s" : out;
}

// The command as a shell would need it typed again.
std::string format_command(const std::vector<std::string>& command) {
    std::string out;
    for (const auto& arg : command) {
        if (!out.empty()) out += ' ';
        const bool plain = !arg.empty() && arg.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./=:,+@%") == std::string::npos;
        if (plain) {
            out += arg;
        } else {
            out += '\'';
            for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
            out += '\'';
        }
    }
    return out;
}

// Error messages of the library and of ours start with "reprise: "; inside a sentence, not.
std::string without_prefix(const std::string& message) {
    return message.rfind("reprise: ", 0) == 0 ? message.substr(9) : message;
}

std::string job_word(long id) { return "job " + std::to_string(id); }

// ---- what a job is doing ------------------------------------------------------------------

enum class Kind { running, stopped, finished, failed, dead, unknown };

struct Observation {
    Job job;
    Kind kind = Kind::unknown;
    std::string status;
    std::vector<Generation> generations;

    bool restartable() const {
        return kind != Kind::running && kind != Kind::finished && !generations.empty();
    }
    std::string status_line() const { return status + (restartable() ? ", restartable" : ""); }
    std::string newest() const {
        if (generations.empty()) return "none";
        const Generation& g = generations.back();
        return "generation " + std::to_string(g.number) + " of " + format_time(g.mtime) + " (" +
               detail::human_bytes(g.size) +
               (g.ranks > 0 ? ", " + std::to_string(g.ranks) + " ranks" : std::string()) + ")";
    }
};

bool is_stop_signal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGUSR2; }

// How an ended run is shown, and whether `restart` takes it: decided here only. The exit
// status alone does not say "finished": a program that stops in the REPRISE_ON_STOP=return
// style saves, leaves its loop and returns 0. What does say it is the checkpoint
// directory: finish() removes the job's checkpoints, so a run that exited 0 and left one of
// its job's checkpoints there was stopped, and resumes from it.
void classify_ended(Observation& o) {
    const Run& run = o.job.run;
    const bool checkpointed = !o.generations.empty();
    if (!run.error.empty()) {
        o.kind = Kind::failed;
        o.status = "failed: " + without_prefix(run.error);
    } else if (run.signal != 0) {
        if (is_stop_signal(run.signal) && checkpointed) {
            o.kind = Kind::stopped;
            o.status = "stopped by " + signal_name(run.signal);
        } else if (is_stop_signal(run.signal)) {
            o.kind = Kind::failed;
            o.status = "killed by " + signal_name(run.signal) + " before any checkpoint";
        } else {
            o.kind = Kind::dead;
            o.status = "dead: killed by " + signal_name(run.signal);
        }
    } else if (run.exit_status == 0 && checkpointed) { // REPRISE_ON_STOP=return, or no finish()
        o.kind = Kind::stopped;
        o.status = "stopped (exit status 0, its checkpoint kept)";
    } else if (run.exit_status == 0) {
        o.kind = Kind::finished;
        o.status = "finished";
    } else if (run.exit_status == inspect::default_stop_exit_status() && checkpointed) {
        o.kind = Kind::stopped; // REPRISE_ON_STOP=exit
        o.status = "stopped (exit status " + std::to_string(run.exit_status) + ")";
    } else if (const int sig = launcher_stop_signal(o.job, run.exit_status); sig != 0 && checkpointed) {
        // An MPI launcher exits 128+N when a rank ended by the stop signal N that reprise
        // re-raised once every rank had saved and the commit was complete.
        o.kind = Kind::stopped;
        o.status = "stopped by " + signal_name(sig) + " (" + launcher_of(o.job.command)->launcher +
                   " exit status " + std::to_string(run.exit_status) + ")";
    } else {
        o.kind = Kind::failed;
        o.status = "failed (exit status " + std::to_string(run.exit_status) + ")";
    }
}

// A run the record says is starting or running: is it? The run lock says whether its
// supervisor lives (on any host sharing the registry), the library's lock whether the
// program does, and on this host the pid, its start time and the boot id say it too.
void classify_live(Observation& o, inspect::LockState supervisor, inspect::LockState program) {
    const Run& run = o.job.run;
    const bool here = run.host == host_name();
    const bool program_alive = here && run.boot_id == boot_id() && is_alive(run.pid, run.pid_start);
    if (supervisor == inspect::LockState::held) {
        o.kind = Kind::running;
        o.status = run.pid == 0 ? std::string("starting") : "running (pid " + std::to_string(run.pid) + ")";
    } else if (program == inspect::LockState::held || program_alive) {
        o.kind = Kind::running;
        o.status = "running (pid " + std::to_string(run.pid) +
                   "; its manager is gone, so its end will not be recorded)";
    } else if (supervisor == inspect::LockState::unknown && !here) {
        o.kind = Kind::unknown;
        o.status = "unknown: running on " + run.host +
                   " when last seen; the registry's file system cannot say whether it still is";
    } else {
        o.kind = Kind::dead;
        o.status = "dead: vanished without a word (its host crashed or rebooted, or its "
                   "manager was killed)";
    }
}

// What an ended run left: its record and the checkpoints on disk, classified.
Observation observe_ended(const Registry& registry, const Job& job) {
    Observation o;
    o.job = job;
    o.generations = generations(registry, o.job);
    classify_ended(o);
    return o;
}

Observation observe(const Registry& registry, long id) {
    Observation o;
    o.job = registry.load(id);
    if (o.job.run.state != "ended") {
        const inspect::LockState supervisor = inspect::read_lock_file(registry.run_lock(id)).state;
        const inspect::LockState program = inspect::read_lock_file(library_lock(registry, o.job)).state;
        // A supervisor records the end before it lets go of the lock: read again.
        if (supervisor != inspect::LockState::held) o.job = registry.load(id);
        if (o.job.run.state != "ended") {
            classify_live(o, supervisor, program);
            o.generations = generations(registry, o.job);
            return o;
        }
    }
    return observe_ended(registry, o.job);
}

const char* kind_name(Kind kind) {
    switch (kind) {
    case Kind::running: return "running";
    case Kind::stopped: return "stopped";
    case Kind::finished: return "finished";
    case Kind::failed: return "failed";
    case Kind::dead: return "dead";
    case Kind::unknown: break;
    }
    return "unknown";
}

// What --json shows of an observation (json_output.hpp).
JobSummary summary_of(const Registry& registry, const Observation& o) {
    JobSummary s;
    s.job = &o.job;
    s.state = kind_name(o.kind);
    s.status = o.status_line();
    s.restartable = o.restartable();
    s.running = o.kind == Kind::running;
    s.generations = o.generations;
    s.checkpoint_dir = checkpoint_directory(registry, o.job);
    s.output = o.job.run.detached ? registry.log(o.job.id) : std::string();
    if (const std::optional<LauncherCommand> launcher = launcher_of(o.job.command)) {
        s.launcher = launcher->launcher;
        s.ranks = o.generations.empty() ? launcher->ranks : o.generations.back().ranks;
    }
    return s;
}

// ---- running a program --------------------------------------------------------------------

// The program's environment: the caller's, but that REPRISE_JOB names its job (README,
// "Jobs, restarts and the restore policy"), so that its checkpoint files are the job's
// (Job::job_key) and, with REPRISE_RESTORE=auto, a run restores whenever a checkpoint of
// the job exists: never after `start` (a new, empty checkpoint directory), from the newest
// after `restart`. A scheduler's identity inherited from the caller would add its array
// task to the key, so every scheduler variable goes, as do the REPRISE_* settings that the
// manager decides.
std::vector<std::string> job_environment(const Registry& registry, const Job& job) {
    std::vector<std::string> replaced(std::begin(detail::kSchedulerVariables),
                                      std::end(detail::kSchedulerVariables));
    for (const char* setting : {"REPRISE_DIR", "REPRISE_NAME", "REPRISE_JOB", "REPRISE_INTERVAL",
                                "REPRISE_RESTORE"})
        replaced.emplace_back(setting);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        if (std::find(replaced.begin(), replaced.end(), name) == replaced.end()) env.push_back(entry);
    }
    // The environment recorded at start wins over the caller's (job_environment.hpp); the
    // manager's own settings win over both (a record never holds them).
    env = overlay(std::move(env), job.environment);
    env.push_back("REPRISE_JOB=" + job.job_key);
    env.push_back("REPRISE_DIR=" + checkpoint_directory(registry, job));
    env.push_back("REPRISE_NAME=" + job.name);
    env.push_back("REPRISE_RESTORE=auto");
    if (job.every > 0) {
        char seconds[64];
        std::snprintf(seconds, sizeof seconds, "%.17g", job.every);
        env.push_back(std::string("REPRISE_INTERVAL=") + seconds);
    }
    return env;
}

Launch launch_spec(const Registry& registry, const Job& job) {
    Launch spec;
    spec.argv = job.command;
    spec.env = job_environment(registry, job);
    spec.cwd = job.cwd;
    return spec;
}

Run new_run(bool detached) {
    Run run;
    run.state = "starting";
    run.host = host_name();
    run.boot_id = boot_id();
    run.detached = detached;
    run.started = now_seconds();
    run.supervisor_pid = ::getpid();
    return run;
}

void record_end(const Registry& registry, Job& job, int status) {
    job.run.state = "ended";
    job.run.ended = now_seconds();
    if (WIFEXITED(status)) {
        job.run.exit_status = WEXITSTATUS(status);
        job.run.signal = 0;
    } else if (WIFSIGNALED(status)) {
        job.run.exit_status = -1;
        job.run.signal = WTERMSIG(status);
    }
    registry.save(job);
}

// The program could not be executed. A new job that never ran leaves no entry (its id
// stays used); a restart records why.
void record_launch_failure(const Registry& registry, Job& job, std::unique_ptr<HeldLock>& lock,
                           const std::string& why, bool fresh) {
    if (fresh) {
        registry.remove(job.id, std::move(lock));
        return;
    }
    job.run.state = "ended";
    job.run.ended = now_seconds();
    job.run.error = why;
    registry.save(job);
}

void write_all(int fd, const std::string& text) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

// Closes every descriptor above 2 except `keep`: a detached supervisor must not hold the
// pipes of whoever started it (a test runner would wait for them to close).
void close_other_descriptors(std::initializer_list<int> keep) {
    std::vector<int> open;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        const int own = ::dirfd(dir);
        while (const dirent* e = ::readdir(dir)) {
            const std::optional<std::uint64_t> fd = detail::decimal(e->d_name);
            if (fd && *fd > 2 && *fd <= INT_MAX && static_cast<int>(*fd) != own)
                open.push_back(static_cast<int>(*fd));
        }
        ::closedir(dir);
    }
    for (int fd : open)
        if (std::find(keep.begin(), keep.end(), fd) == keep.end()) ::close(fd);
}

std::string ended_message(const Registry& registry, long id) {
    try {
        const Observation o = observe(registry, id);
        std::string text = job_word(id) + " " + o.status_line() + "; newest checkpoint: " + o.newest();
        if (o.restartable()) text += "; `reprise restart " + std::to_string(id) + "` resumes it";
        return text;
    } catch (const std::exception& e) {
        return job_word(id) + " ended; " + without_prefix(e.what());
    }
}

// Attached: the program shares this terminal and process group, so Ctrl-C reaches it (the
// library saves and stops) while this process waits, records how it ended and says so.
int run_attached(const Registry& registry, Job& job, std::unique_ptr<HeldLock> lock,
                 const std::string& verb, bool fresh) {
    int status = 0;
    {
        const SignalBlock block;
        Launch spec = launch_spec(registry, job);
        spec.ignore_hangup = true;
        pid_t pid = 0;
        try {
            pid = launch(spec);
        } catch (const Error& e) {
            record_launch_failure(registry, job, lock, e.what(), fresh);
            throw Error("reprise: " + verb + ": " + without_prefix(e.what()));
        }
        job.run.pid = pid;
        job.run.pid_start = process_start(pid);
        job.run.state = "running";
        try {
            registry.save(job);
        } catch (const std::exception& e) { // the program runs: wait for it all the same
            detail::log_line(std::string(e.what()) + " (the job runs; its record is behind)");
        }
        status = wait_forwarding(pid, block, true, stop_signal(job));
        try {
            record_end(registry, job, status);
        } catch (const std::exception& e) {
            detail::log_line(std::string(e.what()) + " (recording how " + job_word(job.id) + " ended)");
        }
        lock.reset();
        detail::log_line("reprise " + verb + ": " + ended_message(registry, job.id));
    } // signals unblocked: a SIGINT or SIGHUP that came after the program ended was taken
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    const int sig = WTERMSIG(status);
    if (sig == SIGINT) {
        // Killed by Ctrl-C: so are we, so that a calling shell script stops too (the
        // "wait and cooperative exit" convention), unless SIGINT was ignored.
        struct sigaction current {};
        if (::sigaction(SIGINT, nullptr, &current) == 0 && current.sa_handler != SIG_IGN) {
            std::fflush(nullptr);
            ::signal(SIGINT, SIG_DFL);
            ::raise(SIGINT);
        }
    }
    return 128 + sig;
}

// The detached supervisor's life: start the program, record it, tell the parent, wait,
// record how it ended. Its stdout and stderr are the job's log.
int supervise(const Registry& registry, Job& job, std::unique_ptr<HeldLock> lock,
              const SignalBlock& block, const Launch& spec, int handshake, const std::string& verb,
              bool fresh) {
    auto tell = [&](const std::string& message) {
        if (handshake < 0) return;
        write_all(handshake, message);
        ::close(handshake);
        handshake = -1;
    };
    try {
        job.run.supervisor_pid = ::getpid();
        detail::log_line("reprise: " + job_word(job.id) + ": " + verb + " on " + job.run.host + " at " +
                         format_time(job.run.started) + ": " + format_command(job.command));
        pid_t pid = 0;
        try {
            pid = launch(spec);
        } catch (const Error& e) {
            detail::log_line(e.what());
            record_launch_failure(registry, job, lock, e.what(), fresh);
            tell(std::string("error ") + e.what());
            return 127;
        }
        job.run.pid = pid;
        job.run.pid_start = process_start(pid);
        job.run.state = "running";
        try {
            registry.save(job);
        } catch (const std::exception& e) {
            detail::log_line(std::string(e.what()) + " (the job runs; its record is behind)");
        }
        tell("ok " + std::to_string(pid));
        const int status = wait_forwarding(pid, block, false, stop_signal(job));
        record_end(registry, job, status);
        lock.reset();
        detail::log_line("reprise: " + ended_message(registry, job.id));
        return 0;
    } catch (const std::exception& e) {
        detail::log_line(e.what());
        tell(std::string("error ") + e.what());
        return 1;
    }
}

// Detached: a supervisor process in its own session (no terminal) holds the run lock,
// runs the program with its output in the entry's output.log and records how it ended.
// This process returns once the program runs.
int run_detached(const Registry& registry, Job& job, std::unique_ptr<HeldLock> lock,
                 const std::string& verb, bool fresh) {
    const std::string log_path = registry.log(job.id);
    struct stat log_stat {};
    int log_error = 0;
    std::string log_why;
    detail::FileHandle log_file =
        open_regular(AT_FDCWD, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600, log_stat, log_error, log_why);
    if (log_file.get() < 0) {
        if (log_error != 0) throw_errno(verb + ": opening the job's log", log_path, log_error);
        throw Error("reprise: " + verb + ": opening the job's log " + log_path + ": " + log_why);
    }
    const int log = ::fcntl(log_file.get(), F_DUPFD_CLOEXEC, 0);
    if (log < 0) throw_errno(verb + ": opening the job's log", log_path, errno);
    log_file = detail::FileHandle();
    int handshake[2];
    if (::pipe2(handshake, O_CLOEXEC) != 0) {
        const int err = errno;
        ::close(log);
        throw_errno(verb + ": creating a pipe for", job_word(job.id), err);
    }
    const Launch spec = launch_spec(registry, job);
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    const SignalBlock block; // inherited by the supervisor, which waits with it
    const pid_t supervisor = ::fork();
    if (supervisor < 0) {
        const int err = errno;
        ::close(log);
        ::close(handshake[0]);
        ::close(handshake[1]);
        throw_errno(verb + ": fork of the supervisor of", job_word(job.id), err);
    }
    if (supervisor == 0) {
        ::close(handshake[0]);
        ::setsid();
        const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) ::dup2(null, STDIN_FILENO);
        ::dup2(log, STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
        close_other_descriptors({lock->fd(), handshake[1]});
        const int code = supervise(registry, job, std::move(lock), block, spec, handshake[1], verb, fresh);
        std::fflush(nullptr);
        std::exit(code);
    }
    ::close(handshake[1]);
    ::close(log);
    lock.reset(); // the supervisor holds it now: same open file description
    std::string answer;
    char buffer[512];
    for (;;) {
        const ssize_t n = ::read(handshake[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(handshake[0]);
    if (answer.rfind("ok ", 0) == 0) {
        std::cout << "reprise " << verb << ": job " << job.id << " (" << job.name << ") running detached on "
                  << job.run.host << ", pid " << answer.substr(3) << "; output in " << log_path << "\n";
        return 0;
    }
    if (answer.rfind("error ", 0) == 0)
        throw Error("reprise: " + verb + ": " + without_prefix(answer.substr(6)));
    throw Error("reprise: " + verb + ": the supervisor of " + job_word(job.id) +
                " ended before it started the program; see " + log_path);
}

// ---- talking to a running job -------------------------------------------------------------

// The job must be running here: signals do not cross machines.
void require_running_here(const Observation& o, const std::string& what) {
    const long id = o.job.id;
    if (o.kind != Kind::running) {
        std::string text = "reprise: " + what + ": " + job_word(id) + " is not running (" +
                           o.status_line() + ")";
        if (o.restartable()) text += "; `reprise restart " + std::to_string(id) + "` runs it again";
        throw CommandError(ExitStatus::not_running, text);
    }
    const std::string here = host_name();
    if (o.job.run.host != here)
        throw CommandError(ExitStatus::busy, "reprise: " + what + ": " + job_word(id) + " runs on host " + o.job.run.host +
                    ", not on this host (" + here + "): a signal cannot reach it from here; run `reprise " +
                    what + "` on " + o.job.run.host);
}

// Waits until the program holds its library lock: its Checkpointer exists, so its signal
// handlers are installed and SIGUSR1 or SIGTERM will make it save, not kill it.
Observation wait_until_ready(const Registry& registry, long id, const std::string& what,
                             SteadyClock::time_point deadline, double timeout) {
    for (double pause = 0.01;; pause = std::min(pause * 2, 0.2)) {
        Observation o = observe(registry, id);
        require_running_here(o, what);
        std::string waiting_for = library_lock(registry, o.job);
        if (o.job.run.pid != 0) {
            if (is_mpi_job(o.job) ? ranks_ready(registry, o.job, waiting_for)
                                  : inspect::read_lock_file(waiting_for).held())
                return o;
            if (!is_alive(o.job.run.pid, o.job.run.pid_start)) {
                const Observation after = observe(registry, id);
                throw CommandError(ExitStatus::not_running, "reprise: " + what + ": " + job_word(id) + " ended: " + after.status_line());
            }
        }
        if (SteadyClock::now() > deadline)
            throw CommandError(ExitStatus::timeout, "reprise: " + what + ": the program of " + job_word(id) + " (pid " +
                        std::to_string(o.job.run.pid) + ") has not created its reprise::Checkpointer within " +
                        format_duration(timeout) + " (" + waiting_for +
                        " is not locked); a program that does not use reprise would be killed by the "
                        "signal, so none was sent");
        pause_for(pause);
    }
}

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

std::string format_time_ns(std::uint64_t ns) {
    const auto seconds = static_cast<std::int64_t>(ns / 1000000000u);
    std::string text = format_time(seconds);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03u", static_cast<unsigned>((ns / 1000000u) % 1000u));
    const auto space = text.find(' ', 11); // after the time: "YYYY-MM-DD HH:MM:SS"
    return space == std::string::npos ? text : text.insert(space, millis);
}

// `checkpoint` of an MPI job sees generation `g`, newer than the last before the request:
// "" while it is not the one asked for (superseded meanwhile, damaged, or begun before the
// request), else what `checkpoint` says of it. Its ranks agreed on SIGUSR1, which the
// launcher passes on to every rank; each saved its own file, and rank 0 wrote the commit
// record that binds them: done when the record binds every rank's file, verified in full,
// and rank 0's file was written after the request.
std::string commit_asked_for(const Generation& g, std::uint64_t asked, std::string& last_why) {
    const inspect::Commit commit = inspect::read_commit(g.path, inspect::Verify::whole_file);
    if (!commit.bound()) {
        // Superseded meanwhile (two saves later a rank file is recycled), or damaged: said
        // at the deadline if no other generation comes.
        for (const auto& f : commit.files)
            if (!f.bound) last_why = f.path + ": " + f.why;
        if (!commit.valid) last_why = commit.path + ": " + commit.why;
        return "";
    }
    const inspect::Checkpoint rank0 = inspect::read_checkpoint(commit.files.front().path, inspect::Verify::header_only);
    // A save that began before the request holds older state: wait for the next.
    if (!rank0.valid || rank0.time_ns < asked) return "";
    return "generation " + std::to_string(commit.generation) + " committed by " + std::to_string(commit.ranks) +
           " ranks (" + detail::human_bytes(commit.total_size()) + ", checksums valid) saved at " +
           format_time_ns(rank0.time_ns) + ": " + commit.path;
}

// The same for a single program's generation `g`. @throws CommandError (save_failed) for
// an invalid new file that no later save superseded.
std::string checkpoint_asked_for(const Registry& registry, const Job& job, const Generation& g, std::uint64_t asked,
                                 const std::string& what) {
    const inspect::Checkpoint checkpoint = inspect::read_checkpoint(g.path);
    if (!checkpoint.valid) {
        // Two saves later the library recycles a file: its blocks are overwritten under a
        // temporary name. A generation that fast-moving saves have superseded meanwhile is
        // no error; any other invalid new file is.
        struct stat st {};
        if (::stat(g.path.c_str(), &st) != 0 && errno == ENOENT) return "";
        const std::vector<Generation> later = generations(registry, job);
        if (!later.empty() && later.back().number > g.number + 1) return "";
        throw CommandError(ExitStatus::save_failed,
                           "reprise: " + what + ": the new generation " + g.path + " is not valid: " + checkpoint.why);
    }
    // A save that began before the request holds older state: wait for the next.
    if (checkpoint.time_ns < asked) return "";
    return "generation " + std::to_string(checkpoint.generation) + " (" + detail::human_bytes(checkpoint.file_size) +
           ", checksums valid) saved at " + format_time_ns(checkpoint.time_ns) + ": " + g.path;
}

// ---- inspect -------------------------------------------------------------------------------

// A file given to `inspect`, by name or as a job's generation: its absolute path without
// links, its size, and the MPI commit record it is, if it is one (else a checkpoint file,
// or what read_checkpoint() will say it is not).
struct InspectedFile {
    std::string path;
    std::uint64_t size = 0;
    inspect::Commit commit; ///< commit.is_record: it is one
};

InspectedFile examine(const std::string& target) {
    boost::system::error_code ec;
    const auto path = boost::filesystem::canonical(target, ec);
    if (ec) throw Error("reprise: inspect " + target + ": " + ec.message());
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_errno("inspect:", path.string(), errno);
    if (!S_ISREG(st.st_mode)) throw Error("reprise: inspect " + path.string() + ": not a regular file");
    return {path.string(), static_cast<std::uint64_t>(st.st_size),
            inspect::read_commit(path.string(), inspect::Verify::whole_file)};
}

// `inspect --json`: the object of the file (json_output.hpp).
nlohmann::json inspect_file_json(const std::string& target) {
    const InspectedFile file = examine(target);
    if (file.commit.is_record) return commit_json(file.commit);
    return checkpoint_json(inspect::read_checkpoint(file.path), file.size);
}

// An MPI commit record (inspect::read_commit) and the rank files it binds.
int inspect_commit(const inspect::Commit& c) {
    std::cout << "File        : " << c.path << "\n"
              << "Size        : " << c.file_size << " bytes (" << detail::human_bytes(c.file_size) << ")\n"
              << "Kind        : MPI commit record\n"
              << "Valid       : "
              << (!c.valid    ? "no: " + c.why
                  : c.bound() ? std::string("yes: its checksum matches, and every rank's file is the one it "
                                            "committed, checksums valid")
                              : std::string("the record is intact, but not every rank's file is the one it "
                                            "committed (below): this generation cannot be restored"))
              << "\n";
    if (!c.valid) return 1;
    std::cout << "Generation  : " << c.generation << "\n";
    if (!c.files.empty() && c.files.front().bound) {
        const inspect::Checkpoint rank0 = inspect::read_checkpoint(c.files.front().path, inspect::Verify::header_only);
        if (rank0.valid)
            std::cout << "Saved at    : " << format_time_ns(rank0.time_ns) << " (rank 0's file)\n";
    }
    std::cout << "Job         : " << c.job_key << "\n"
              << "Checkpoint  : " << c.name << "\n"
              << "Ranks       : " << c.ranks << ", " << detail::human_bytes(c.total_size()) << " in all\n";
    for (const inspect::RankFile& f : c.files)
        std::cout << "  rank " << f.rank << "  " << f.path << "  " << detail::human_bytes(f.size) << "  "
                  << (f.bound ? std::string("valid") : "not valid: " + f.why) << "\n";
    return c.bound() ? 0 : 1;
}

int inspect_file(const std::string& target) {
    const InspectedFile file = examine(target);
    if (file.commit.is_record) return inspect_commit(file.commit);

    const inspect::Checkpoint c = inspect::read_checkpoint(file.path);
    const std::uint64_t size = file.size;
    std::cout << "File        : " << file.path << "\n"
              << "Size        : " << size << " bytes (" << detail::human_bytes(size) << ")\n"
              << "Valid       : "
              << (c.valid ? std::string("yes: header and payload checksums match") : "no: " + c.why) << "\n";
    if (!c.valid) return 1;
    std::cout << "Format      : version " << c.format_version
              << (c.format_version < 2 ? " (no types or parameters recorded)" : "") << "\n"
              << "Generation  : " << c.generation << "\n"
              << "Saved at    : " << format_time_ns(c.time_ns) << "\n"
              << "Saved by    : pid " << c.pid << " on host " << c.host << "\n"
              << "Job         : " << c.job_key
              << (c.scheduler.empty() ? std::string(" (no scheduler)") : " (scheduler " + c.scheduler + ")") << "\n"
              << "Checkpoint  : " << c.name << "\n"
              << "Payload     : " << c.payload_size << " bytes at offset " << c.payload_offset
              << (c.payload_stored && c.payload_stored < c.payload_size
                      ? ", " + std::to_string(c.payload_stored) + " on disk (compressed)"
                      : std::string())
              << "\n"
              << "Variables   : " << c.variables.size() << "\n";
    std::size_t width = 0;
    for (const auto& v : c.variables) width = std::max(width, v.name.size());
    for (const auto& v : c.variables) {
        std::cout << "  " << v.name << std::string(width - v.name.size() + 2, ' ') << v.size << " bytes ("
                  << detail::human_bytes(v.size) << ")" << (v.type.empty() ? std::string() : "  " + v.type)
                  << "\n";
    }
    if (c.format_version >= 2) {
        std::cout << "Parameters  : " << c.parameters.size() << "\n";
        width = 0;
        for (const auto& p : c.parameters) width = std::max(width, p.name.size());
        for (const auto& p : c.parameters)
            std::cout << "  " << p.name << std::string(width - p.name.size() + 2, ' ') << p.shown << " ("
                      << p.kind << ")\n";
    }
    return 0;
}

// The supervisor records the end of a run, then lets go of the run lock: `stop` returns
// once it has, so that an `rm` or `restart` right after it finds the job free.
bool supervisor_holds_lock(const Registry& registry, long id) {
    return inspect::read_lock_file(registry.run_lock(id)).state == inspect::LockState::held;
}

// `stop --force`: no waiting for the program's Checkpointer (a program without one is
// ended by SIGTERM's default action, or not at all when it ignores it), SIGTERM at once,
// and after `grace` SIGKILL to the program and its descendants (force_stop.hpp). The
// supervisor records the end as for any other signal.
int force_stop(const Registry& registry, long id, const std::string& what, double timeout, double grace) {
    auto after = [](double seconds) {
        return SteadyClock::now() +
               std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
    };
    auto deadline = after(timeout);
    Observation o = observe(registry, id);
    require_running_here(o, what);
    for (double pause = 0.01; o.job.run.pid == 0; pause = std::min(pause * 2, 0.2)) { // starting
        if (SteadyClock::now() > deadline)
            throw CommandError(ExitStatus::timeout, "reprise: " + what + ": " + job_word(id) +
                                                        " has not started its program within " +
                                                        format_duration(timeout));
        pause_for(pause);
        o = observe(registry, id);
        require_running_here(o, what);
    }
    const Run run = o.job.run;
    if (is_alive(run.pid, run.pid_start)) ::kill(static_cast<pid_t>(run.pid), SIGTERM);
    const auto kill_at = after(grace);
    bool killed = false;
    for (double pause = 0.01;; pause = std::min(pause * 2, 0.2)) {
        const Observation now = observe(registry, id);
        if (now.kind != Kind::running && !supervisor_holds_lock(registry, id)) {
            std::cout << "reprise stop: " << job_word(id) << " " << now.status_line()
                      << "; newest checkpoint: " << now.newest();
            if (now.restartable()) std::cout << "; `reprise restart " << id << "` resumes it";
            std::cout << "\n";
            return 0;
        }
        if (!killed && SteadyClock::now() > kill_at) {
            killed = true;
            if (is_alive(run.pid, run.pid_start)) {
                const std::size_t count = kill_process_tree(static_cast<pid_t>(run.pid));
                detail::log_line("reprise " + what + ": " + job_word(id) + " (pid " + std::to_string(run.pid) +
                                 ") still ran " + format_duration(grace) + " after SIGTERM: sent SIGKILL to it" +
                                 (count > 1 ? " and " + std::to_string(count - 1) + " descendant(s)" : ""));
            }
            deadline = std::max(deadline, after(timeout));
        }
        if (killed && SteadyClock::now() > deadline)
            throw CommandError(ExitStatus::timeout, "reprise: " + what + ": " + job_word(id) + " (pid " +
                                                        std::to_string(run.pid) + ") still runs after SIGKILL");
        pause_for(pause);
    }
}

// `start --dir DIR` or REPRISE_DIR: the job's checkpoint directory, absolute, created 0700
// when missing (its parent must exist), this user's and writable by nobody else, as the
// registry's own directories. "" when neither is given: the entry's checkpoints/.
// Both given and naming different directories: an error, never a silent choice.
std::string chosen_checkpoint_dir(const std::string& option) {
    const std::optional<std::string> environment = detail::environment_value("REPRISE_DIR");
    if (option.empty() && !environment) return "";
    const std::string source = option.empty() ? "REPRISE_DIR" : "--dir";
    const std::string dir = option.empty() ? *environment : option;
    if (::mkdir(dir.c_str(), 0700) == 0) {
        if (::chmod(dir.c_str(), 0700) != 0) throw_errno("start: chmod 0700", dir, errno); // whatever the umask
    } else if (errno != EEXIST) {
        throw_errno("start: " + source + ": creating the checkpoint directory", dir, errno);
    }
    char resolved[PATH_MAX];
    if (!::realpath(dir.c_str(), resolved)) throw_errno("start: " + source + ": resolving", dir, errno);
    struct stat st {};
    if (::stat(resolved, &st) != 0) throw_errno("start: " + source + ": stat of", resolved, errno);
    if (!S_ISDIR(st.st_mode))
        throw CommandError(ExitStatus::usage, "reprise: start: " + source + "='" + dir + "': not a directory");
    if (const std::string problem = ownership_problem(st, resolved, "the checkpoint directory"); !problem.empty())
        throw Error("reprise: start: " + source + ": " + problem);
    if (!option.empty() && environment) {
        char other[PATH_MAX];
        if (!::realpath(environment->c_str(), other) || std::string(other) != resolved)
            throw CommandError(ExitStatus::usage,
                               "reprise: start: --dir='" + option + "' and REPRISE_DIR='" + *environment +
                                   "' name different directories; unset REPRISE_DIR, or give one of them");
    }
    return resolved;
}

} // namespace

// ---- the subcommands ----------------------------------------------------------------------

int start_job(const StartRequest& request) {
    if (request.command.empty()) throw Error("reprise: start: no program given");
    const std::string& program = request.command.front();
    if (!is_executable(program))
        throw Error("reprise: start: " + program +
                    (program.find('/') == std::string::npos ? ": no such program in PATH"
                                                            : ": not an executable file"));
    // main() parsed --every (detail::parse_duration); a value from elsewhere must not write
    // a record that every later command would refuse.
    if (!(request.every >= 0 && request.every <= detail::kMaxDurationSeconds))
        throw Error("reprise: start: --every out of range: " + std::to_string(request.every) + " s");
    // Under an MPI launcher, the checkpoint is the ranks' program's (launcher.hpp).
    const std::optional<LauncherCommand> launcher = launcher_of(request.command);
    if (launcher && launcher->program.empty() && request.name.empty())
        throw CommandError(ExitStatus::usage, "reprise: start: cannot tell which program " + launcher->launcher + " runs in `" +
                    format_command(request.command) + "`; give the checkpoint name with --name");
    const std::string name =
        !request.name.empty() ? request.name
                              : boost::filesystem::path(launcher ? launcher->program : program).filename().string();
    detail::check_identifier(!request.name.empty() ? "--name"
                             : launcher ? "the file name of the program that " + launcher->launcher +
                                              " runs (--name sets another)"
                                        : std::string("the program's file name (--name sets another)"),
                             name);

    const Registry registry(Registry::default_root());
    Job job;
    job.environment = environment_to_record(request.env);
    job.checkpoint_dir = chosen_checkpoint_dir(request.dir);
    job.name = name;
    job.command = request.command;
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) throw_errno("start: getcwd", ".", errno);
    job.cwd = cwd;
    job.every = request.every;
    job.created = now_seconds();
    job.run = new_run(request.detach);
    std::unique_ptr<HeldLock> lock = registry.create(job);
    if (request.detach) return run_detached(registry, job, std::move(lock), "start", true);
    detail::log_line("reprise start: job id " + std::to_string(job.id) + " (" + job.name + ") on " +
                     job.run.host + "; checkpoints in " + checkpoint_directory(registry, job));
    return run_attached(registry, job, std::move(lock), "start", true);
}

int list_jobs(bool json) {
    const Registry registry(Registry::default_root());
    struct Row {
        std::string id, host, status, checkpoint, command;
    };
    std::vector<Row> rows{{"ID", "HOST", "STATUS", "LAST CHECKPOINT", "COMMAND"}};
    int status = 0;
    nlohmann::json jobs = nlohmann::json::array();
    nlohmann::json errors = nlohmann::json::array();
    for (long id : registry.ids()) {
        try {
            const Observation o = observe(registry, id);
            if (json) {
                jobs.push_back(job_json(summary_of(registry, o)));
                continue;
            }
            std::string checkpoint = "-";
            if (!o.generations.empty())
                checkpoint = "gen " + std::to_string(o.generations.back().number) +
                             (o.generations.back().ranks > 0
                                  ? " (" + std::to_string(o.generations.back().ranks) + " ranks)"
                                  : std::string()) +
                             ", " +
                             format_time(o.generations.back().mtime).substr(0, 19);
            rows.push_back({std::to_string(id), o.job.run.host, o.status_line(), checkpoint,
                            format_command(o.job.command)});
        } catch (const NoSuchJob&) {
            // removed since it was listed
        } catch (const std::exception& e) {
            // Listed all the same, so that it is seen; why on stderr, and the exit status 1.
            const char* what = dynamic_cast<const CorruptEntry*>(&e)  ? "corrupt entry (see `reprise info " :
                               dynamic_cast<const UnsafeEntry*>(&e)   ? "refused: another user owns or may write it (see `reprise info " :
                                                                        "unreadable (see `reprise info ";
            rows.push_back({std::to_string(id), "-", what + std::to_string(id) + "`)", "-", "-"});
            errors.push_back({{"id", id}, {"error", without_prefix(e.what())}});
            std::cout.flush();
            detail::log_line("reprise: list: " + without_prefix(e.what()));
            status = 1;
        }
    }
    if (json) {
        print_json(document({{"registry", registry.root()}, {"jobs", jobs}, {"errors", errors}}));
        return status;
    }
    if (rows.size() == 1 && status == 0) {
        std::cout << "no jobs in " << registry.root() << "\n";
        return 0;
    }
    std::size_t widths[4] = {0, 0, 0, 0};
    for (const Row& r : rows) {
        widths[0] = std::max(widths[0], r.id.size());
        widths[1] = std::max(widths[1], r.host.size());
        widths[2] = std::max(widths[2], r.status.size());
        widths[3] = std::max(widths[3], r.checkpoint.size());
    }
    auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size() + 2, ' '); };
    for (const Row& r : rows)
        std::cout << pad(r.id, widths[0]) << pad(r.host, widths[1]) << pad(r.status, widths[2])
                  << pad(r.checkpoint, widths[3]) << r.command << "\n";
    return status;
}

int show_info(long id, bool json) {
    const Registry registry(Registry::default_root());
    const Observation o = observe(registry, id);
    const Job& job = o.job;
    if (json) {
        print_json(document({{"job", job_json(summary_of(registry, o))}}));
        return 0;
    }
    std::uint64_t bytes = 0;
    std::string numbers;
    for (const auto& g : o.generations) {
        bytes += g.size;
        numbers += (numbers.empty() ? "" : ", ") + std::to_string(g.number);
    }
    std::cout << "Job id                  : " << job.id << "\n"
              << "Name                    : " << job.name << "\n"
              << "Host                    : " << job.run.host << "\n"
              << "Command                 : " << format_command(job.command) << "\n";
    if (const std::optional<LauncherCommand> launcher = launcher_of(job.command)) {
        const unsigned ranks = o.generations.empty() ? launcher->ranks : o.generations.back().ranks;
        std::cout << "MPI ranks               : "
                  << (ranks > 0 ? std::to_string(ranks) : std::string("not known before the first commit"))
                  << " (launcher " << launcher->launcher << ")\n";
    }
    std::cout
              << "Working directory       : " << job.cwd << "\n"
              << "Created                 : " << format_time(job.created) << "\n"
              << "Last start              : " << format_time(job.run.started) << "\n";
    if (job.run.ended) std::cout << "Ended                   : " << format_time(job.run.ended) << "\n";
    std::cout << "Status                  : " << o.status_line() << "\n";
    if (o.kind == Kind::running)
        std::cout << "Process                 : pid " << job.run.pid << ", supervisor pid "
                  << job.run.supervisor_pid << "\n";
    std::cout << "Automatic checkpointing : "
              << (job.every > 0 ? "every " + format_duration(job.every) : std::string("disabled")) << "\n"
              << "Generations             : "
              << (o.generations.empty() ? std::string("none")
                                        : std::to_string(o.generations.size()) + " (" + numbers + "), " +
                                              detail::human_bytes(bytes))
              << "\n"
              << "Last checkpoint         : " << o.newest() << "\n"
              << "Restarts                : " << job.restarts << "\n"
              << "Output                  : "
              << (job.run.detached ? registry.log(id) : std::string("the terminal it was started from")) << "\n"
              << "Checkpoint directory    : " << checkpoint_directory(registry, job) << "\n";
    // The recorded environment (replayed by restart), one variable a line.
    std::cout << "Environment             : " << (job.environment.empty() ? "none recorded\n" : "");
    for (std::size_t i = 0; i < job.environment.size(); ++i)
        std::cout << (i == 0 ? "" : "                          ") << job.environment[i].first << "="
                  << job.environment[i].second << "\n";
    return 0;
}

int checkpoint_job(long id, double timeout) {
    const std::string what = "checkpoint " + std::to_string(id);
    const Registry registry(Registry::default_root());
    const auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                    std::chrono::duration<double>(timeout));
    const Observation o = wait_until_ready(registry, id, what, deadline, timeout);
    const Run& run = o.job.run;
    // An MPI launcher passes SIGUSR1 on to every rank (launcher.hpp).
    const bool mpi = is_mpi_job(o.job);
    const std::vector<Generation> before_list = generations(registry, o.job);
    const std::uint64_t before = before_list.empty() ? 0 : before_list.back().number;
    const std::uint64_t asked = now_ns();
    if (!is_alive(run.pid, run.pid_start) || ::kill(static_cast<pid_t>(run.pid), SIGUSR1) != 0)
        throw CommandError(ExitStatus::not_running,
                           "reprise: " + what + ": " + job_word(id) + " ended: " + observe(registry, id).status_line());

    const std::string dir = checkpoint_directory(registry, o.job);
    std::string last_why; // an MPI job's newest record that does not verify
    for (double pause = 0.01;; pause = std::min(pause * 2, 0.2)) {
        const std::vector<Generation> now = generations(registry, o.job);
        for (auto g = now.rbegin(); g != now.rend() && g->number > before; ++g) {
            const std::string done = mpi ? commit_asked_for(*g, asked, last_why)
                                         : checkpoint_asked_for(registry, o.job, *g, asked, what);
            if (done.empty()) continue;
            // The rename is durable once the directory is synced.
            if (const auto directory = detail::Directory::open_existing(dir)) directory->sync();
            std::cout << "reprise checkpoint: job " << id << ": " << done << "\n";
            return 0;
        }
        if (!is_alive(run.pid, run.pid_start))
            throw CommandError(ExitStatus::save_failed, "reprise: " + what + ": " + job_word(id) + " ended before it " +
                                                            (mpi ? "committed" : "saved") +
                                                            " a new checkpoint: " + observe(registry, id).status_line());
        if (SteadyClock::now() > deadline)
            throw CommandError(
                ExitStatus::timeout,
                "reprise: " + what + ": no new " + (mpi ? "commit record" : "checkpoint") + " in " + dir + " within " +
                    format_duration(timeout) + " of SIGUSR1 to " +
                    (mpi ? o.job.command.front() + " (pid " + std::to_string(run.pid) + ")"
                         : "pid " + std::to_string(run.pid)) +
                    " on " + run.host +
                    (last_why.empty() ? std::string() : "; the newest one does not verify: " + last_why) +
                    (mpi ? "; the ranks save at their next maybe_save(): do they call it often?"
                         : "; the program saves at its next maybe_save(): does it call it often?") +
                    " (--timeout waits longer)");
        pause_for(pause);
    }
}

int stop_job(long id, double timeout, const ForceStop& force) {
    const std::string what = "stop " + std::to_string(id);
    const Registry registry(Registry::default_root());
    const auto deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                    std::chrono::duration<double>(timeout));
    if (force.force) return force_stop(registry, id, what, timeout, force.grace);
    const Observation o = wait_until_ready(registry, id, what, deadline, timeout);
    const Run& run = o.job.run;
    const int stop = stop_signal(o.job); // SIGUSR2 for an MPI launcher (launcher.hpp)
    if (is_alive(run.pid, run.pid_start)) ::kill(static_cast<pid_t>(run.pid), stop);
    for (double pause = 0.01;; pause = std::min(pause * 2, 0.2)) {
        const Observation after = observe(registry, id);
        if (after.kind != Kind::running && !supervisor_holds_lock(registry, id)) {
            std::cout << "reprise stop: " << job_word(id) << " " << after.status_line()
                      << "; newest checkpoint: " << after.newest();
            if (after.restartable()) std::cout << "; `reprise restart " << id << "` resumes it";
            std::cout << "\n";
            return after.kind == Kind::stopped || after.kind == Kind::finished ? 0 : 1;
        }
        if (SteadyClock::now() > deadline)
            throw CommandError(ExitStatus::timeout, "reprise: " + what + ": " + job_word(id) + " (pid " + std::to_string(run.pid) +
                        ") still runs " + format_duration(timeout) + " after " + signal_name(stop) +
                        "; is it saving a large state? (--timeout waits longer)");
        pause_for(pause);
    }
}

int restart_job(long id, bool detach) {
    const std::string what = "restart " + std::to_string(id);
    const Registry registry(Registry::default_root());
    Job job = registry.load(id);
    // Whoever holds the run lock runs the job (or is about to, or removes it): one at a time,
    // on any host that shares the registry.
    std::unique_ptr<HeldLock> lock = HeldLock::try_take(registry.run_lock(id), true);
    if (!lock) {
        job = registry.load(id);
        throw CommandError(ExitStatus::busy, "reprise: " + what + ": " + job_word(id) + " is running on host " + job.run.host +
                    " (pid " + std::to_string(job.run.pid) + "); `reprise stop " + std::to_string(id) +
                    "` on " + job.run.host + " stops it first");
    }
    job = registry.load(id); // as its last supervisor left it
    // The program's REPRISE_DIR is the job's: a different one set here is not silently
    // overridden (nor used: the checkpoints are where the job has them).
    if (const std::optional<std::string> env_dir = detail::environment_value("REPRISE_DIR")) {
        char resolved[PATH_MAX], own[PATH_MAX];
        const std::string dir = checkpoint_directory(registry, job);
        if (!::realpath(env_dir->c_str(), resolved) || !::realpath(dir.c_str(), own) ||
            std::string(resolved) != own)
            throw CommandError(ExitStatus::usage,
                               "reprise: " + what + ": REPRISE_DIR='" + *env_dir + "' is set, but the checkpoints of " +
                                   job_word(id) + " are in " + dir + "; unset REPRISE_DIR (or set it to that)");
    }
    if (const inspect::Lock program = inspect::read_lock_file(library_lock(registry, job)); program.held())
        throw CommandError(ExitStatus::busy, "reprise: " + what + ": the program of " + job_word(id) + " still runs: " +
                    program.holder() + " holds " + program.path);
    const Run& last = job.run;
    if (last.state != "ended" && last.host == host_name() && last.boot_id == boot_id() &&
        is_alive(last.pid, last.pid_start))
        throw CommandError(ExitStatus::busy, "reprise: " + what + ": the program of " + job_word(id) + " still runs (pid " +
                    std::to_string(last.pid) + ")");
    if (last.state == "ended" && observe_ended(registry, job).kind == Kind::finished)
        throw CommandError(ExitStatus::not_restartable, "reprise: " + what + ": " + job_word(id) + " finished (exit status 0 and no checkpoint "
                    "left: finish() removes them): there is nothing to resume; `reprise start` runs "
                    "the program anew");
    const std::vector<Generation> gens = generations(registry, job);
    if (last.state != "ended")
        detail::log_line("reprise " + what + ": its last run, on " + last.host +
                         ", vanished without a word; resuming from its newest checkpoint");
    if (gens.empty())
        detail::log_line("reprise " + what + ": warning: " + job_word(id) +
                         " has no checkpoint: it starts from the beginning");
    ++job.restarts;
    job.run = new_run(detach);
    registry.save(job);
    if (detach) return run_detached(registry, job, std::move(lock), "restart", false);
    detail::log_line("reprise restart: job id " + std::to_string(id) + " (" + job.name + ") on " +
                     job.run.host + ", from " +
                     (gens.empty() ? std::string("the beginning")
                                   : "generation " + std::to_string(gens.back().number)));
    return run_attached(registry, job, std::move(lock), "restart", false);
}

// One job that rm (or prune) may remove: checked, its run lock held until it is removed.
struct Removal {
    long id = 0;
    std::unique_ptr<HeldLock> lock;
    bool not_a_directory = false; // a corrupt entry: a link or a FIFO as jobs/<id>
    bool corrupt = false;         // its record unreadable
    Job job;
    std::size_t count = 0;        // its checkpoints
};

// Throws (as `what`) when job `id` cannot be removed: it does not exist, or runs.
Removal prepare_removal(const Registry& registry, long id, const std::string& what) {
    Removal r;
    r.id = id;
    // An entry that is not a directory of ours (a link, a FIFO planted as jobs/<id>) holds
    // no run and no checkpoint: what `list` calls corrupt, `rm` removes (the link itself,
    // never what it points to).
    struct stat st {};
    if (::lstat(registry.entry(id).c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        r.not_a_directory = true;
        return r;
    }
    if (!registry.exists(id)) registry.load(id); // throws NoSuchJob
    r.lock = HeldLock::try_take(registry.run_lock(id), true);
    try {
        const Job job = registry.load(id);
        if (!r.lock)
            throw CommandError(ExitStatus::busy, "reprise: " + what + ": " + job_word(id) + " is running on host " +
                                                     job.run.host + " (pid " + std::to_string(job.run.pid) +
                                                     "); `reprise stop " + std::to_string(id) + "` first");
        if (const inspect::Lock program = inspect::read_lock_file(library_lock(registry, job)); program.held())
            throw CommandError(ExitStatus::busy, "reprise: " + what + ": the program of " + job_word(id) +
                                                     " still runs: " + program.holder() + " holds " + program.path);
        if (job.run.state != "ended" && job.run.host == host_name() && job.run.boot_id == boot_id() &&
            is_alive(job.run.pid, job.run.pid_start))
            throw CommandError(ExitStatus::busy, "reprise: " + what + ": the program of " + job_word(id) +
                                                     " still runs (pid " + std::to_string(job.run.pid) + ")");
        r.job = job;
        r.count = generations(registry, job).size();
    } catch (const CorruptEntry&) {
        // A corrupt entry is removed all the same, unless a run holds it.
        if (!r.lock)
            throw CommandError(ExitStatus::busy, "reprise: " + what + ": " + registry.run_lock(id) +
                                                     " is held: a run of the job is alive");
        r.corrupt = true;
    }
    return r;
}

// Removes what prepare_removal() checked; returns what was removed, in words.
std::string commit_removal(const Registry& registry, Removal& r) {
    if (r.not_a_directory) {
        registry.remove(r.id, nullptr);
        return job_word(r.id) + ", a corrupt entry (not a directory)";
    }
    if (!r.corrupt) remove_checkpoint_files(r.job); // a --dir of the user's: only the job's files
    registry.remove(r.id, std::move(r.lock));
    if (r.corrupt) return job_word(r.id) + ", a corrupt entry, and everything in it";
    return job_word(r.id) + " (" + r.job.name + ") and its " + std::to_string(r.count) +
           (r.count == 1 ? " checkpoint" : " checkpoints");
}

// An error of one id among several, printed as main() prints one (with the command and
// the id in front of a registry error's message).
void report(const std::string& what, const std::exception& e) {
    std::cout.flush();
    std::string message = e.what();
    if (dynamic_cast<const RegistryEntryError*>(&e)) message = "reprise: " + what + ": " + without_prefix(message);
    detail::log_line(message);
}

int remove_job(long id) { return remove_jobs({id}); }

int remove_jobs(const std::vector<long>& requested) {
    const Registry registry(Registry::default_root());
    std::vector<long> ids;
    for (long id : requested)
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    // All or nothing: every id is checked, and its run lock held, before any is removed.
    std::vector<Removal> removals;
    int status = 0;
    for (long id : ids) {
        const std::string what = "rm " + std::to_string(id);
        try {
            removals.push_back(prepare_removal(registry, id, what));
        } catch (const std::exception& e) {
            if (ids.size() == 1) throw;
            report(what, e);
            if (status == 0) status = exit_status_for(e);
        }
    }
    if (status != 0) {
        detail::log_line("reprise: rm: nothing removed (" + std::to_string(ids.size() - removals.size()) + " of " +
                         std::to_string(ids.size()) + " jobs cannot be)");
        return status;
    }
    for (Removal& r : removals) std::cout << "reprise rm: removed " << commit_removal(registry, r) << "\n";
    return 0;
}

int prune_jobs(const PruneRequest& request) {
    const Registry registry(Registry::default_root());
    const std::int64_t now = now_seconds();
    const std::string verb = request.dry_run ? "would remove " : "removed ";
    std::size_t count = 0, kept = 0;
    for (long id : registry.ids()) {
        const std::string what = "prune: job " + std::to_string(id);
        try {
            const Observation o = observe(registry, id);
            if (o.kind == Kind::running || o.kind == Kind::unknown) continue;
            // A run that vanished recorded no end: its start is the last that is known of it.
            const std::int64_t when = o.job.run.ended > 0 ? o.job.run.ended : o.job.run.started;
            if (static_cast<double>(now - when) < request.older_than) continue;
            if (o.restartable() && !request.restartable) {
                ++kept;
                continue;
            }
            std::string text = job_word(id) + " (" + o.job.name + ", " + o.status_line() + ", ended " +
                               format_time(when) + ")";
            if (!request.dry_run) {
                Removal r = prepare_removal(registry, id, "prune " + std::to_string(id));
                commit_removal(registry, r);
            }
            std::cout << "reprise prune: " << verb << text << "\n";
            ++count;
        } catch (const NoSuchJob&) {
            // removed meanwhile
        } catch (const std::exception& e) {
            // A corrupt or unsafe entry is not pruned (`reprise rm` removes it); a job
            // that started again meanwhile neither.
            std::cout.flush();
            detail::log_line("reprise: " + what + ": kept: " + without_prefix(e.what()));
        }
    }
    if (count == 0)
        std::cout << "reprise prune: no job to remove (none ended " << format_duration(request.older_than)
                  << " ago or more)\n";
    if (kept > 0)
        std::cout << "reprise prune: kept " << kept << " restartable job" << (kept == 1 ? "" : "s")
                  << " (--restartable removes them too)\n";
    return 0;
}

int inspect(const std::string& target, bool json) {
    struct stat st {};
    auto print_document = [](const nlohmann::json& checkpoints) {
        print_json(document({{"checkpoints", checkpoints}}));
        for (const auto& c : checkpoints)
            if (!c.at("valid").get<bool>()) return 1;
        return 0;
    };
    if (::stat(target.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            throw Error("reprise: inspect " + target + ": a directory; give a checkpoint file or a job id");
        if (json) return print_document(nlohmann::json::array({inspect_file_json(target)}));
        return inspect_file(target);
    }
    const int err = errno;
    const std::optional<std::uint64_t> id = detail::decimal(target);
    if (!id || *id == 0 || *id > kMaxJobId || target[0] == '0')
        throw Error("reprise: inspect " + target + ": " + errno_text(err) + " (neither a file nor a job id)");
    const Registry registry(Registry::default_root());
    const Job job = registry.load(static_cast<long>(*id));
    const std::vector<Generation> gens = generations(registry, job);
    if (gens.empty())
        throw Error("reprise: inspect " + target + ": " + job_word(job.id) + " has no checkpoint in " +
                    checkpoint_directory(registry, job));
    if (json) {
        nlohmann::json checkpoints = nlohmann::json::array();
        for (auto g = gens.rbegin(); g != gens.rend(); ++g) checkpoints.push_back(inspect_file_json(g->path));
        return print_document(checkpoints);
    }
    int status = 0;
    for (auto g = gens.rbegin(); g != gens.rend(); ++g) {
        if (g != gens.rbegin()) std::cout << "\n";
        status |= inspect_file(g->path);
    }
    return status;
}

} // namespace reprise::manager
