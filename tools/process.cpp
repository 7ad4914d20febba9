// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "process.hpp"

#include "reprise/detail/parse.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/error.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace reprise::manager {

using detail::errno_text;

std::string boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

std::uint64_t process_start(long pid) {
    if (pid <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) return 0;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(text.substr(close + 1));
    std::string state;
    fields >> state;
    if (state == "Z" || state == "X" || state == "x") return 0;
    std::string field;
    for (int i = 4; i <= 22; ++i) fields >> field; // fields 4..21, then starttime
    if (!fields) return 0;
    // Digits only, in 64 bits (detail/parse.hpp); anything else is no process we know.
    return detail::decimal(field).value_or(0);
}

bool is_alive(long pid, std::uint64_t start) {
    return start != 0 && process_start(pid) == start;
}

std::string signal_name(int sig) {
    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    default: return "signal " + std::to_string(sig);
    }
}

void pause_for(double seconds) {
    struct timespec t {};
    t.tv_sec = static_cast<time_t>(seconds);
    t.tv_nsec = static_cast<long>((seconds - static_cast<double>(t.tv_sec)) * 1e9);
    while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

SignalBlock::SignalBlock() {
    sigemptyset(&set_);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &previous_);
}

SignalBlock::~SignalBlock() {
    // What came after the wait (a second Ctrl-C, the terminal's hangup once the program
    // ended) was meant for the program: taken here, it does not kill the manager.
    struct timespec none {0, 0};
    while (::sigtimedwait(&set_, nullptr, &none) > 0) {
    }
    ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
}

namespace {

// What the child reports through the pipe when it cannot exec: the step and errno.
struct ChildFailure {
    int step; // 1: chdir, 2: exec
    int error;
};

void write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace

pid_t launch(const Launch& spec) {
    // Everything the child needs is made before fork: after it, only async-signal-safe calls.
    std::vector<std::string> args = spec.argv;
    std::vector<std::string> env = spec.env;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(&e[0]);
    envp.push_back(nullptr);

    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) detail::throw_errno("creating a pipe for", spec.argv[0], errno);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        ::close(report[0]);
        ::close(report[1]);
        detail::throw_errno("fork for", spec.argv[0], err);
    }
    if (pid == 0) {
        ::close(report[0]);
        ChildFailure failure{0, 0};
        if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
            failure = {1, errno};
        } else {
            if (spec.stdin_fd >= 0) ::dup2(spec.stdin_fd, STDIN_FILENO);
            if (spec.stdout_fd >= 0) ::dup2(spec.stdout_fd, STDOUT_FILENO);
            if (spec.stderr_fd >= 0) ::dup2(spec.stderr_fd, STDERR_FILENO);
            if (spec.ignore_hangup) ::signal(SIGHUP, SIG_IGN);
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            ::execvpe(argv[0], argv.data(), envp.data());
            failure = {2, errno};
        }
        write_all(report[1], &failure, sizeof failure);
        ::_exit(127);
    }
    ::close(report[1]);
    ChildFailure failure{0, 0};
    std::size_t got = 0;
    while (got < sizeof failure) {
        const ssize_t n = ::read(report[0], reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(report[0]);
    if (got == 0) return pid; // the pipe closed on exec: the program runs
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got == sizeof failure && failure.step == 1)
        throw Error("reprise: changing to the job's directory " + spec.cwd + ": " +
                    errno_text(failure.error));
    throw Error("reprise: executing " + spec.argv[0] + ": " +
                (got == sizeof failure ? errno_text(failure.error) : std::string("failed")));
}

int wait_forwarding(pid_t child, const SignalBlock& block, bool attached, int stop) {
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child) return status;
        if (done < 0 && errno != EINTR)
            detail::throw_errno("waiting for process", std::to_string(child), errno);
        // The signals wait here, blocked, until taken: none arrives between the waitpid
        // above and this wait. The timeout is only a safety net for a lost SIGCHLD.
        siginfo_t info{};
        struct timespec timeout {1, 0};
        const int sig = ::sigtimedwait(&block.set(), &info, &timeout);
        switch (sig) {
        case SIGTERM:
        case SIGHUP: // the terminal closed: the program saves and stops
            ::kill(child, stop);
            break;
        case SIGUSR1:
        case SIGUSR2:
            ::kill(child, sig);
            break;
        case SIGINT:
        case SIGQUIT:
            // Attached, the terminal sent them to the whole foreground process group: the
            // program has its own; passing it on would make a second Ctrl-C.
            if (!attached) ::kill(child, sig);
            break;
        default: // SIGCHLD, a timeout, EINTR: look at the child again
            break;
        }
    }
}

bool is_executable(const std::string& program) {
    auto executable = [](const std::string& path) {
        struct stat st {};
        // access() alone says yes to root for a file without any execute bit.
        return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0 &&
               ::access(path.c_str(), X_OK) == 0;
    };
    if (program.empty()) return false;
    if (program.find('/') != std::string::npos) return executable(program);
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/bin:/usr/bin";
    std::size_t start = 0;
    for (;;) {
        const auto colon = dirs.find(':', start);
        std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (dir.empty()) dir = ".";
        if (executable(dir + "/" + program)) return true;
        if (colon == std::string::npos) return false;
        start = colon + 1;
    }
}

} // namespace reprise::manager
