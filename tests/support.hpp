// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TESTS_SUPPORT_HPP
#define REPRISE_TESTS_SUPPORT_HPP

// What the tests share: temporary directories, child processes spoken to through pipes
// (never synchronised by sleeping), and file helpers.

#include "reprise/checkpointer.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/error.hpp"
#include "reprise/options.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <map>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

extern char** environ;

namespace reprise_test {

// The scheduler variables the library reads (detail::kSchedulerVariables) and its own
// settings: a test sets the ones it wants and clears the rest, so that a suite run inside
// a real batch job behaves as one run by hand.
inline const std::vector<std::string>& scheduler_variables() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> all(std::begin(reprise::detail::kSchedulerVariables),
                                     std::end(reprise::detail::kSchedulerVariables));
        for (const char* setting :
             {"REPRISE_DIR", "REPRISE_NAME", "REPRISE_JOB", "REPRISE_INTERVAL", "REPRISE_RESTORE",
              "REPRISE_LOG", "REPRISE_MODE", "REPRISE_ON_STOP", "REPRISE_SIGNALS",
              "REPRISE_KILL_AT", "REPRISE_KILL_SIGNAL", "REPRISE_FAULT", "REPRISE_TEST_SLOW_SAVE",
              "REPRISE_PERSIST_DIR", "REPRISE_PERSIST_EVERY", "REPRISE_COMPRESS"})
            all.emplace_back(setting);
        return all;
    }();
    return names;
}

// Clears every variable above in this process (for in-process tests).
inline void clear_environment() {
    for (const auto& name : scheduler_variables()) ::unsetenv(name.c_str());
}

// Sets environment variables for the lifetime of the object, then puts the old values back.
class ScopedEnv {
public:
    explicit ScopedEnv(const std::map<std::string, std::string>& values) {
        for (const auto& [name, value] : values) {
            const char* old = std::getenv(name.c_str());
            saved_.emplace_back(name, old ? std::make_pair(true, std::string(old))
                                          : std::make_pair(false, std::string()));
            ::setenv(name.c_str(), value.c_str(), 1);
        }
    }
    ~ScopedEnv() {
        for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
            if (it->second.first)
                ::setenv(it->first.c_str(), it->second.second.c_str(), 1);
            else
                ::unsetenv(it->first.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::vector<std::pair<std::string, std::pair<bool, std::string>>> saved_;
};

// Runs `f`, which must throw reprise::Error; returns its message ("" when it did not throw).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const reprise::Error& e) {
        return e.what();
    }
    return "";
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at the end.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/reprise-test-XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (!::mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp failed");
        path_ = buffer.data();
    }
    ~TempDir() {
        boost::system::error_code ec;
        // A test may have left a read-only directory behind.
        ::chmod(path_.c_str(), 0700);
        for (boost::filesystem::recursive_directory_iterator it(path_, ec), end; !ec && it != end;
             it.increment(ec))
            if (it->status().type() == boost::filesystem::directory_file)
                ::chmod(it->path().c_str(), 0700);
        boost::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Names of the files in `dir`, sorted.
inline std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    boost::system::error_code ec;
    for (boost::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Names in `dir` ending in `suffix`, sorted.
inline std::vector<std::string> files_ending(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> out;
    for (const auto& n : list_dir(dir))
        if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
            out.push_back(n);
    return out;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

inline bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

inline std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

// The lines of `text` that contain every one of `parts`.
inline std::vector<std::string> lines_with(const std::string& text,
                                           const std::vector<std::string>& parts) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        bool all = true;
        for (const auto& p : parts) all = all && contains(line, p);
        if (all) out.push_back(line);
        start = end + 1;
    }
    return out;
}

// Options for an in-process test: this directory, quiet, the given policy and name.
inline reprise::Options options_for(const std::string& directory,
                                    reprise::RestorePolicy policy = reprise::RestorePolicy::automatic,
                                    const std::string& name = "t") {
    reprise::Options o;
    o.directory = directory;
    o.name = name;
    o.quiet = true;
    o.restore = policy;
    return o;
}

// Saves an int "v" under the environment in force, in `dir`, `saves` times: generations 1
// to `saves` of its job, the last one and the one before it kept.
inline void save_int(const std::string& dir, int value, const std::string& name = "t",
                     int saves = 1) {
    int v = value;
    reprise::Checkpointer c(options_for(dir, reprise::RestorePolicy::automatic, name));
    c.track("v", v);
    for (int k = 0; k < saves; ++k) c.save();
}

// Everything written on fd 2 while alive goes to a temporary file (the library writes its
// lines with write(2), so the redirection must be at the descriptor, not at std::cerr).
class StderrCapture {
public:
    StderrCapture() {
        char name[] = "/tmp/reprise-stderr-XXXXXX";
        fd_ = ::mkstemp(name);
        if (fd_ < 0) throw std::runtime_error("mkstemp failed");
        path_ = name;
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        ::dup2(fd_, STDERR_FILENO);
    }
    ~StderrCapture() {
        stop();
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    // Puts the real stderr back (idempotent) and returns what was captured.
    std::string stop() {
        if (saved_ >= 0) {
            std::fflush(stderr);
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
        }
        return read_file(path_);
    }

private:
    std::string path_;
    int fd_ = -1;
    int saved_ = -1;
};

// A child process started with fork+exec: its stdin and stdout are pipes to the test,
// its stderr goes to a file the test can read (and prints on failure).
class Child {
public:
    struct Spec {
        std::vector<std::string> argv;
        std::map<std::string, std::string> env; // set in the child, after clearing the
                                                // scheduler and REPRISE_* variables
        std::string stderr_path;                // empty: a temporary file
    };

    explicit Child(Spec spec) : stderr_path_(spec.stderr_path) {
        if (stderr_path_.empty()) {
            char name[] = "/tmp/reprise-child-stderr-XXXXXX";
            const int fd = ::mkstemp(name);
            if (fd < 0) throw std::runtime_error("mkstemp failed");
            ::close(fd);
            stderr_path_ = name;
            own_stderr_ = true;
        }
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        // Everything the child needs is prepared before fork: after it, only
        // async-signal-safe calls until exec.
        std::vector<std::string> env_strings;
        for (char** e = environ; *e; ++e) {
            const std::string entry(*e);
            const std::string name = entry.substr(0, entry.find('='));
            bool drop = spec.env.count(name) > 0;
            for (const auto& v : scheduler_variables()) drop = drop || v == name;
            if (!drop) env_strings.push_back(entry);
        }
        for (const auto& [name, value] : spec.env) env_strings.push_back(name + "=" + value);
        std::vector<char*> envp, argv;
        for (auto& s : env_strings) envp.push_back(&s[0]);
        envp.push_back(nullptr);
        for (auto& s : spec.argv) argv.push_back(&s[0]);
        argv.push_back(nullptr);
        const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (err < 0) throw std::runtime_error("cannot open " + stderr_path_);

        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::dup2(err, 2);
            // Signals the test runner ignores would stay ignored across exec.
            for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGXFSZ}) ::signal(sig, SIG_DFL);
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        ::close(err);
        stdin_ = in[1];
        stdout_ = out[0];
    }

    ~Child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            int status;
            ::waitpid(pid_, &status, 0);
        }
        if (stdin_ >= 0) ::close(stdin_);
        if (stdout_ >= 0) ::close(stdout_);
        if (own_stderr_) ::unlink(stderr_path_.c_str());
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }

    // The next line the child writes to stdout, without the newline; "" at end of file.
    // Throws after `timeout_seconds` (a generous bound: a hung child fails, never hangs).
    std::string read_line(int timeout_seconds = 240) {
        std::string line;
        if (!read_line_before(std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds),
                              line))
            throw std::runtime_error("timed out waiting for the child; its stderr:\n" + stderr_text());
        return line;
    }

    // As read_line, but false when `deadline` comes first (a deadline already past still
    // takes what the pipe holds), or when `wake_fd` (>= 0) becomes readable first: the
    // caller then looks why. The line, when true; "" at end of file (see ended()).
    bool read_line_before(std::chrono::steady_clock::time_point deadline, std::string& line,
                          int wake_fd = -1) {
        for (;;) {
            const auto nl = buffered_.find('\n');
            if (nl != std::string::npos) {
                line = buffered_.substr(0, nl);
                buffered_.erase(0, nl + 1);
                return true;
            }
            if (eof_) {
                line.clear();
                line.swap(buffered_);
                return true;
            }
            auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() < 0) left = std::chrono::nanoseconds(0);
            struct pollfd p[2] = {{stdout_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
            struct timespec timeout {};
            timeout.tv_sec = static_cast<time_t>(left.count() / 1000000000);
            timeout.tv_nsec = static_cast<long>(left.count() % 1000000000);
            const int rc = ::ppoll(p, wake_fd >= 0 ? 2 : 1, &timeout, nullptr);
            if (rc < 0 && errno == EINTR) continue;
            if (rc < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
            if (rc == 0) return false;
            if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) return false; // the wake fd
            char chunk[4096];
            const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
                eof_ = true;
            else
                buffered_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // The child closed its stdout (it ended) and every line was read.
    bool ended() const { return eof_ && buffered_.empty(); }

    // Reads lines until one starts with `prefix`; returns it. Throws at end of file.
    std::string expect_line(const std::string& prefix) {
        for (;;) {
            std::string line = read_line();
            if (line.rfind(prefix, 0) == 0) return line;
            if (eof_ && buffered_.empty() && line.empty())
                throw std::runtime_error("the child ended before printing '" + prefix +
                                         "'; its stderr:\n" + stderr_text());
        }
    }

    void send_line(const std::string& line) {
        const std::string data = line + "\n";
        if (::write(stdin_, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
            throw std::runtime_error("writing to the child failed");
    }

    void close_stdin() {
        if (stdin_ >= 0) ::close(stdin_);
        stdin_ = -1;
    }

    void signal(int sig) { ::kill(pid_, sig); }

    // Waits for the child to end; returns the raw wait status.
    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
        return status;
    }

    // Whether the child has stopped (SIGSTOP, WUNTRACED) or ended; waits for it when
    // `block`. True with the raw status when it did; an ended child is then reaped.
    bool wait_stopped(int& status, bool block) {
        pid_t rc;
        while ((rc = ::waitpid(pid_, &status, WUNTRACED | (block ? 0 : WNOHANG))) < 0 &&
               errno == EINTR) {
        }
        if (rc != pid_) return false;
        if (!WIFSTOPPED(status)) reaped_ = true;
        return true;
    }

    std::string stderr_text() const { return read_file(stderr_path_); }

private:
    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    std::string stderr_path_;
    bool own_stderr_ = false;
    bool reaped_ = false;
    bool eof_ = false;
    std::string buffered_;
};

inline bool exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
inline bool killed_by(int status, int sig) { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }

inline std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by ") + ::strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

// The value after "key=" in a line such as "saved gen=2 i=1000"; "" when absent.
inline std::string field(const std::string& line, const std::string& key) {
    std::istringstream words(line);
    std::string w;
    while (words >> w)
        if (w.rfind(key + "=", 0) == 0) return w.substr(key.size() + 1);
    return "";
}

inline const char* worker_path() { return REPRISE_TEST_WORKER; }

inline bool is_root() { return ::geteuid() == 0; }

// The number after "key=" in a worker's line; throws when absent.
inline unsigned long long number(const std::string& line, const std::string& key) {
    const std::string value = field(line, key);
    if (value.empty()) throw std::runtime_error("no " + key + "= in '" + line + "'");
    return std::stoull(value);
}

// `worker args...` with REPRISE_DIR=dir and `env` added.
inline Child start_worker(const std::string& dir, const std::vector<std::string>& args,
                          std::map<std::string, std::string> env = {}) {
    Child::Spec spec;
    spec.argv = {worker_path()};
    for (const auto& a : args) spec.argv.push_back(a);
    env["REPRISE_DIR"] = dir;
    spec.env = std::move(env);
    return Child(std::move(spec));
}
inline Child start_worker(const TempDir& dir, const std::vector<std::string>& args,
                          std::map<std::string, std::string> env = {}) {
    return start_worker(dir.path(), args, std::move(env));
}

// Every line the worker prints, up to the end of its output.
inline std::vector<std::string> all_lines(Child& child) {
    std::vector<std::string> lines;
    for (std::string line = child.read_line(); !line.empty(); line = child.read_line())
        lines.push_back(line);
    return lines;
}

// Reads the worker's next line, which must be there (not the end of its output).
inline std::string next_line(Child& child) {
    const std::string line = child.read_line();
    if (line.empty())
        throw std::runtime_error("the worker's output ended early; its stderr:\n" + child.stderr_text());
    return line;
}

// Waits for the worker to end. Its stdin is closed first: a worker that should have died
// but did not then runs on to its end, instead of waiting for the test forever.
inline int wait_for_end(Child& child) {
    child.close_stdin();
    return child.wait();
}

// Answers every pause with "go" until the worker's output ends; returns the other lines.
inline std::vector<std::string> run_to_end(Child& child) {
    std::vector<std::string> lines;
    for (;;) {
        const std::string line = child.read_line();
        if (line.empty()) return lines;
        if (starts_with(line, "paused "))
            child.send_line("go");
        else
            lines.push_back(line);
    }
}

// The lines that begin with `prefix`.
inline std::vector<std::string> starting_with(const std::vector<std::string>& lines, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& l : lines)
        if (starts_with(l, prefix)) out.push_back(l);
    return out;
}

// The bytes this process has passed to write(2) and its kin so far (wchar, proc(5)): the
// kernel's count of what a save wrote, not the library's. Throws when /proc says nothing.
inline std::uint64_t bytes_written_by_process() {
    std::ifstream io("/proc/self/io");
    std::string key;
    std::uint64_t value = 0;
    while (io >> key >> value)
        if (key == "wchar:") return value;
    throw std::runtime_error("no wchar in /proc/self/io");
}

// One save, in `mode`: in the background, asked for and polled until taken, then waited
// for until it is durable (the generation the Checkpointer names) and its writer has ended
// (its lines said) and been collected by a poll: what the writer wrote, its log lines
// included, is then the test's to read without a race.
inline void save_once(reprise::Checkpointer& c, reprise::SaveMode mode) {
    if (mode == reprise::SaveMode::sync) {
        c.save();
        return;
    }
    const std::uint64_t next = c.generation() + 1;
    c.request_save();
    // A writer that has made the last generation durable may not have ended yet: the
    // request is deferred then, and posted again when it ends.
    while (!c.maybe_save()) std::this_thread::yield();
    while (c.generation() < next) std::this_thread::yield();
    // The writer's last act; the poll after it joins the writer thread.
    while ((reprise::detail::g_pending.load() & reprise::detail::kSaveFinished) == 0)
        std::this_thread::yield();
    c.maybe_save();
}

} // namespace reprise_test

#endif
