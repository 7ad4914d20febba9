// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The world around a save: read-only and full file systems, a file size limit, symbolic
// links planted where a checkpoint is about to go, hostile job ids, a second process on
// the same job, and a failure injected into each system call of the save and restore
// paths (REPRISE_FAULT, sys.hpp).
//
// Whatever needs a private mount or a process-wide limit runs in a forked child that
// reports what it saw through a pipe as "key=value" lines and then _exits; the assertions
// are made here, in the test process.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <boost/filesystem.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace reprise_test;

namespace {

const std::string kElements = "300000";
const std::string kNever = "999999999";

std::string errno_name(int err) { return std::strerror(err); }

// ---- forked children ----------------------------------------------------------------------

using Report = std::map<std::string, std::string>;

struct Forked {
    int status = 0;
    Report report;
    std::string text; // the report as sent, for messages
};

// Runs `body` in a forked child. The child fills a Report, sends it through a pipe and
// _exits: it never returns through the test framework. A child that does not finish within
// `timeout_seconds` is killed (and the test fails on its status).
Forked run_forked(const std::function<void(Report&)>& body, int timeout_seconds = 240) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(fds[0]);
        Report report;
        try {
            body(report);
        } catch (const std::exception& e) {
            report["exception"] = e.what();
        } catch (...) {
            report["exception"] = "an exception that is not a std::exception";
        }
        std::string text;
        for (auto& [key, value] : report) {
            for (char& c : value)
                if (c == '\n') c = ' ';
            text += key + "=" + value + "\n";
        }
        const char* p = text.data();
        std::size_t left = text.size();
        while (left > 0) {
            const ssize_t n = ::write(fds[1], p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    Forked out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            break;
        }
        struct pollfd p {fds[0], POLLIN, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
        if (rc <= 0) continue;
        char chunk[4096];
        const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.text.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    while (::waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {
    }
    std::size_t start = 0;
    while (start < out.text.size()) {
        std::size_t end = out.text.find('\n', start);
        if (end == std::string::npos) end = out.text.size();
        const std::string line = out.text.substr(start, end - start);
        const auto eq = line.find('=');
        if (eq != std::string::npos) out.report[line.substr(0, eq)] = line.substr(eq + 1);
        start = end + 1;
    }
    return out;
}

// Options for an in-process Checkpointer in `directory`, named "t", that restores whenever
// it can and prints nothing but errors. The environment must be clear (clear_environment).
reprise::Options options_in(const std::string& directory) {
    reprise::Options o;
    o.directory = directory;
    o.name = "t";
    o.restore = reprise::RestorePolicy::always;
    o.quiet = true;
    return o;
}

// In a forked child: a mount namespace of its own, so that what it mounts dies with it.
// Returns "" or what failed.
std::string private_mount_namespace() {
    if (::unshare(CLONE_NEWNS) != 0) return "unshare(CLONE_NEWNS): " + errno_name(errno);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return "making / private: " + errno_name(errno);
    return "";
}

// A remount to read-only is refused (EBUSY) while any file on the file system is open for
// writing, and the job's lock file is: the kernel's own errors=remount-ro does not wait for
// that, but a test has to. Points the lock's descriptor at /dev/null, so that the
// Checkpointer goes on with a valid descriptor number and the remount goes through.
std::string release_writers_in(const std::string& dir) {
    std::string swapped;
    for (const auto& name : list_dir("/proc/self/fd")) {
        char target[4096];
        const std::string link = "/proc/self/fd/" + name;
        const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        const std::string path(target, static_cast<std::size_t>(n));
        if (path.rfind(dir + "/", 0) != 0 || path.size() < 5 ||
            path.compare(path.size() - 5, 5, ".lock") != 0)
            continue;
        // The same file, read-only: a remount read-only allows it, and the lock's check
        // before a save (the name still leads to the file held) still passes.
        const int reader = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (reader < 0 || ::dup2(reader, std::stoi(name)) < 0) return "";
        ::close(reader);
        swapped += path;
    }
    return swapped;
}

// ---- worker processes ---------------------------------------------------------------------

// A worker run to its end: its stdout lines, stderr and wait status.
struct Run {
    std::vector<std::string> lines;
    std::string err;
    int status = 0;
    std::string describe() const {
        return "stdout:\n" + joined(lines) + "stderr:\n" + err + describe_status(status);
    }
};

Run run_worker(const std::string& dir, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env = {}) {
    Child child = start_worker(dir, args, env);
    child.close_stdin(); // nothing to say to it: a worker that waits for a line goes on
    Run run;
    run.lines = all_lines(child);
    run.status = child.wait();
    run.err = child.stderr_text();
    return run;
}

// What `worker torn` restores from `dir`: its "state" line.
std::string restored_state(const std::string& dir, const std::map<std::string, std::string>& env) {
    std::map<std::string, std::string> e = env;
    e["REPRISE_RESTORE"] = "always";
    const Run run = run_worker(dir, {"torn", kElements, "0"}, e);
    INFO("restoring run: " << run.describe());
    REQUIRE(exited_with(run.status, 0));
    REQUIRE(run.lines.size() == 1);
    return run.lines[0];
}

// How many pwrite calls one save of `worker torn` makes (each completed one passes the
// mid-write kill point once), so that a fault can be aimed at the second save's first.
unsigned long writes_per_save() {
    TempDir dir;
    const Run run = run_worker(dir.path(), {"torn-passes", kElements, "1"},
                               {{"REPRISE_KILL_AT", "mid-write@" + kNever}, {"REPRISE_LOG", "quiet"}});
    INFO("counting run: " << run.describe());
    REQUIRE(exited_with(run.status, 0));
    REQUIRE(run.lines.size() == 2);
    const unsigned long n = number(run.lines[1], "passes");
    REQUIRE(n > 0);
    return n;
}

const std::map<std::string, std::string> kNamedT = {{"REPRISE_NAME", "t"}};

// `worker torn` saves twice with REPRISE_FAULT=`fault`, which hits the second save: the
// save must fail with a message naming `operation`, `path` and `error`, leave no temporary
// file, and the job must restore a consistent state, one of `steps`.
void check_second_save_fails(const std::string& fault, const std::string& operation,
                             const std::string& path, const std::string& error,
                             const std::set<unsigned long long>& steps) {
    TempDir dir;
    auto env = kNamedT;
    env["REPRISE_FAULT"] = fault;
    const std::string full_path = path.empty() ? dir.path() : dir / path;
    const Run run = run_worker(dir.path(), {"torn", kElements, "2"}, env);
    INFO("REPRISE_FAULT=" << fault);
    INFO("worker " << run.describe());
    CHECK(exited_with(run.status, 1));
    REQUIRE(run.lines.size() == 3);
    CHECK(run.lines[1] == "saved step=1 gen=1");
    const std::string& message = run.lines[2];
    CHECK(starts_with(message, "error reprise: "));
    CHECK(contains(message, operation));
    CHECK(contains(message, full_path));
    CHECK(contains(message, error));
    CHECK(files_ending(dir.path(), ".tmp").empty());
    CHECK(files_ending(dir.path(), ".ckpt").size() <= 2);
    const std::string state = restored_state(dir.path(), kNamedT);
    INFO("restored: " << state);
    CHECK(field(state, "consistent") == "1");
    CHECK(steps.count(number(state, "step")) == 1);
}

// The same, for a fault the save must ride out.
void check_second_save_succeeds(const std::string& fault) {
    TempDir dir;
    auto env = kNamedT;
    env["REPRISE_FAULT"] = fault;
    const Run run = run_worker(dir.path(), {"torn", kElements, "2"}, env);
    INFO("REPRISE_FAULT=" << fault);
    INFO("worker " << run.describe());
    CHECK(exited_with(run.status, 0));
    REQUIRE(run.lines.size() == 3);
    CHECK(run.lines[1] == "saved step=1 gen=1");
    CHECK(run.lines[2] == "saved step=2 gen=2");
    CHECK(files_ending(dir.path(), ".tmp").empty());
    CHECK(files_ending(dir.path(), ".ckpt").size() == 2);
    const std::string state = restored_state(dir.path(), kNamedT);
    INFO("restored: " << state);
    CHECK(state == "state step=2 consistent=1 gen=2");
}

} // namespace

// ---- file systems that refuse ---------------------------------------------------------------

TEST_CASE("a save into a directory that became read-only throws, naming the path and the "
          "error, and the previous generation still restores",
          "[environment]") {
    TempDir dir;
    const std::string fs = dir / "fs";
    REQUIRE(::mkdir(fs.c_str(), 0700) == 0);
    const Forked child = run_forked([&](Report& r) {
        clear_environment();
        std::string how = "chmod";
        if (is_root()) {
            // chmod does not stop root: a tmpfs of our own, remounted read-only.
            std::string failed = private_mount_namespace();
            if (failed.empty() && ::mount("tmpfs", fs.c_str(), "tmpfs", 0, "size=1m,mode=0700") != 0)
                failed = "mounting a tmpfs: " + errno_name(errno);
            if (failed.empty())
                how = "remount";
            else
                r["no_remount"] = failed;
        }
        r["how"] = how;
        std::vector<std::uint64_t> state(1000, 1);
        {
            reprise::Checkpointer ckpt(options_in(fs));
            ckpt.track("state", state);
            ckpt.restore();
            ckpt.save();
            r["generation_before"] = std::to_string(ckpt.generation());
            if (how == "remount") {
                r["released"] = release_writers_in(fs);
                if (::mount("tmpfs", fs.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) != 0)
                    r["make_read_only"] = "remount read-only: " + errno_name(errno);
            } else if (::chmod(fs.c_str(), 0500) != 0) {
                r["make_read_only"] = "chmod 0500: " + errno_name(errno);
            }
            // Is it really read-only for us?
            const std::string probe = fs + "/probe";
            const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            r["probe"] = fd >= 0 ? "writable" : errno_name(errno);
            if (fd >= 0) {
                ::close(fd);
                ::unlink(probe.c_str());
            }
            std::fill(state.begin(), state.end(), 2);
            try {
                ckpt.save();
                r["save"] = "returned";
            } catch (const reprise::Error& e) {
                r["save"] = "threw reprise::Error";
                r["message"] = e.what();
            } catch (const std::exception& e) {
                r["save"] = std::string("threw another exception: ") + e.what();
            }
            r["files_while_read_only"] = joined(list_dir(fs));
        }
        if (how == "remount")
            ::mount("tmpfs", fs.c_str(), "tmpfs", MS_REMOUNT, nullptr);
        else
            ::chmod(fs.c_str(), 0700);
        std::vector<std::uint64_t> back;
        reprise::Checkpointer ckpt(options_in(fs));
        ckpt.track("state", back);
        r["restored"] = ckpt.restore() ? "1" : "0";
        r["restored_generation"] = std::to_string(ckpt.generation());
        r["restored_state"] = back == std::vector<std::uint64_t>(1000, 1) ? "the first" : "another";
    });
    INFO("child report:\n" << child.text << describe_status(child.status));
    REQUIRE(exited_with(child.status, 0));
    REQUIRE(child.report.count("exception") == 0);
    REQUIRE(child.report.count("make_read_only") == 0);
    Report r = child.report;
    if (r["probe"] == "writable") {
        WARN("skipped: even a directory of mode 0500 is writable here (" << r["no_remount"] << ")");
        return;
    }
    const bool remounted = r["how"] == "remount";
    CHECK(r["save"] == "threw reprise::Error");
    CHECK(starts_with(r["message"], "reprise: "));
    CHECK(contains(r["message"], fs + "/"));
    CHECK(contains(r["message"], remounted ? errno_name(EROFS) : errno_name(EACCES)));
    CHECK(!contains(r["files_while_read_only"], ".tmp"));
    CHECK(r["restored"] == "1");
    CHECK(r["restored_generation"] == r["generation_before"]);
    CHECK(r["restored_state"] == "the first");
}

TEST_CASE("a save that fills the file system throws ENOSPC, leaves no temporary file, and "
          "the previous generation restores",
          "[environment]") {
    if (!is_root()) {
        WARN("skipped: mounting a 64 KiB tmpfs needs root");
        return;
    }
    TempDir dir;
    const std::string fs = dir / "fs";
    REQUIRE(::mkdir(fs.c_str(), 0700) == 0);
    const Forked child = run_forked([&](Report& r) {
        clear_environment();
        const std::string failed = private_mount_namespace();
        if (!failed.empty()) {
            r["skip"] = failed;
            return;
        }
        if (::mount("tmpfs", fs.c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0) {
            r["skip"] = "mounting a 64 KiB tmpfs: " + errno_name(errno);
            return;
        }
        std::string state(100, 'a');
        {
            reprise::Checkpointer ckpt(options_in(fs));
            ckpt.track("state", state);
            ckpt.restore();
            ckpt.save();
            r["generation_before"] = std::to_string(ckpt.generation());
            state.assign(256 * 1024, 'b'); // four times the file system
            try {
                ckpt.save();
                r["save"] = "returned";
            } catch (const reprise::Error& e) {
                r["save"] = "threw reprise::Error";
                r["message"] = e.what();
            }
            r["files_after"] = joined(list_dir(fs));
        }
        std::string back;
        reprise::Checkpointer ckpt(options_in(fs));
        ckpt.track("state", back);
        r["restored"] = ckpt.restore() ? "1" : "0";
        r["restored_generation"] = std::to_string(ckpt.generation());
        r["restored_state"] = back == std::string(100, 'a') ? "the first" : "another";
    });
    INFO("child report:\n" << child.text << describe_status(child.status));
    REQUIRE(exited_with(child.status, 0));
    Report r = child.report;
    if (r.count("skip")) {
        CHECK(contains(r["skip"], errno_name(EPERM)));
        WARN("skipped: " << r["skip"]);
        return;
    }
    REQUIRE(r.count("exception") == 0);
    CHECK(r["save"] == "threw reprise::Error");
    CHECK(contains(r["message"], fs + "/"));
    CHECK(contains(r["message"], errno_name(ENOSPC)));
    CHECK(!contains(r["files_after"], ".tmp"));
    CHECK(r["restored"] == "1");
    CHECK(r["restored_generation"] == r["generation_before"]);
    CHECK(r["restored_state"] == "the first");
}

TEST_CASE("a save beyond RLIMIT_FSIZE throws EFBIG instead of the process dying of SIGXFSZ",
          "[environment]") {
    TempDir dir;
    const std::string ckpt_dir = dir / "ckpt";
    const Forked child = run_forked([&](Report& r) {
        clear_environment();
        ::signal(SIGXFSZ, SIG_DFL); // the default action: death, unless the library steps in
        struct rlimit limit {};
        ::getrlimit(RLIMIT_FSIZE, &limit);
        // Only the soft limit: the hard one could not be raised back (setrlimit(2)).
        const rlim_t soft = 64 * 1024;
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > soft ? soft : limit.rlim_max;
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
            r["exception"] = "setrlimit: " + errno_name(errno);
            return;
        }
        std::vector<char> state(100, 'a');
        {
            reprise::Checkpointer ckpt(options_in(ckpt_dir));
            ckpt.track("state", state);
            ckpt.restore();
            ckpt.save(); // about 4 KiB: under the limit
            r["generation_before"] = std::to_string(ckpt.generation());
            state.assign(1 << 20, 'b');
            try {
                ckpt.save();
                r["save"] = "returned";
            } catch (const reprise::Error& e) {
                r["save"] = "threw reprise::Error";
                r["message"] = e.what();
            }
            struct sigaction now {};
            ::sigaction(SIGXFSZ, nullptr, &now);
            r["sigxfsz_after"] = now.sa_handler == SIG_DFL ? "default" : "changed";
            r["files_after"] = joined(list_dir(ckpt_dir));
        }
        std::vector<char> back;
        reprise::Checkpointer ckpt(options_in(ckpt_dir));
        ckpt.track("state", back);
        r["restored"] = ckpt.restore() ? "1" : "0";
        r["restored_generation"] = std::to_string(ckpt.generation());
        r["restored_state"] = back == std::vector<char>(100, 'a') ? "the first" : "another";
    });
    INFO("child report:\n" << child.text << describe_status(child.status));
    CHECK_FALSE(killed_by(child.status, SIGXFSZ));
    REQUIRE(exited_with(child.status, 0));
    Report r = child.report;
    REQUIRE(r.count("exception") == 0);
    CHECK(r["save"] == "threw reprise::Error");
    CHECK(contains(r["message"], ckpt_dir + "/"));
    CHECK(contains(r["message"], errno_name(EFBIG)));
    CHECK(r["sigxfsz_after"] == "default"); // the program's own disposition is back
    CHECK(!contains(r["files_after"], ".tmp"));
    CHECK(r["restored"] == "1");
    CHECK(r["restored_generation"] == r["generation_before"]);
    CHECK(r["restored_state"] == "the first");
}

// ---- symbolic links and hostile names -------------------------------------------------------

TEST_CASE("a symbolic link planted at the temporary file's name is not written through",
          "[environment][security]") {
    clear_environment();
    TempDir dir, outside;
    const std::string victim = outside / "victim";
    write_file(victim, "precious\n");
    const std::string ckpt_dir = dir / "ckpt";
    std::string state = "one";
    reprise::Checkpointer ckpt(options_in(ckpt_dir));
    ckpt.track("state", state);
    ckpt.restore();
    ckpt.save();
    REQUIRE(ckpt.generation() == 1);
    const std::string final_path = ckpt_dir + "/t.local.0000000002.ckpt";
    REQUIRE(ckpt.path_of_generation(2) == final_path);
    const std::string temp_path = final_path + ".tmp";
    REQUIRE(::symlink(victim.c_str(), temp_path.c_str()) == 0);

    state = "two";
    ckpt.save();
    CHECK(ckpt.generation() == 2);
    CHECK(read_file(victim) == "precious\n");
    struct stat st {};
    REQUIRE(::lstat(final_path.c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    struct stat temp {};
    CHECK(::lstat(temp_path.c_str(), &temp) != 0);
    CHECK(files_ending(ckpt_dir, ".tmp").empty());
}

TEST_CASE("a symbolic link planted at the next checkpoint's name is replaced by a regular "
          "file, its target untouched",
          "[environment][security]") {
    clear_environment();
    TempDir dir, outside;
    const std::string victim = outside / "victim";
    write_file(victim, "precious\n");
    const std::string ckpt_dir = dir / "ckpt";
    {
        std::string state = "one";
        reprise::Checkpointer ckpt(options_in(ckpt_dir));
        ckpt.track("state", state);
        ckpt.restore();
        ckpt.save();
        REQUIRE(ckpt.generation() == 1);
        const std::string final_path = ckpt_dir + "/t.local.0000000002.ckpt";
        REQUIRE(ckpt.path_of_generation(2) == final_path);
        REQUIRE(::symlink(victim.c_str(), final_path.c_str()) == 0);

        state = "two";
        ckpt.save();
        CHECK(ckpt.generation() == 2);
        CHECK(read_file(victim) == "precious\n");
        struct stat st {};
        REQUIRE(::lstat(final_path.c_str(), &st) == 0);
        CHECK(S_ISREG(st.st_mode));
        CHECK((st.st_mode & 07777) == 0600);
    }
    std::string back;
    reprise::Checkpointer again(options_in(ckpt_dir));
    again.track("state", back);
    CHECK(again.restore());
    CHECK(back == "two");
    CHECK(read_file(victim) == "precious\n");
}

TEST_CASE("a symbolic link left at a temporary file's name before the run is removed, not "
          "written through",
          "[environment][security]") {
    TempDir dir, outside;
    const std::string victim = outside / "victim";
    write_file(victim, "precious\n");
    REQUIRE(::symlink(victim.c_str(), (dir / "t.local.0000000001.ckpt.tmp").c_str()) == 0);
    const Run run = run_worker(dir.path(), {"torn", "1000", "1"}, kNamedT);
    INFO("worker " << run.describe());
    CHECK(exited_with(run.status, 0));
    CHECK(read_file(victim) == "precious\n");
    struct stat st {};
    REQUIRE(::lstat((dir / "t.local.0000000001.ckpt").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(files_ending(dir.path(), ".tmp").empty());
}

TEST_CASE("a job id and a checkpoint name made of ../ keep every file inside the directory",
          "[environment][security]") {
    TempDir base;
    const std::string ckpt_dir = base / "a/b/c";
    const std::map<std::string, std::string> env = {
        {"JOB_ID", "5"}, {"SGE_TASK_ID", "3"}, {"REPRISE_JOB", "../../x"},
        {"REPRISE_NAME", "../../y"}};
    const Run run = run_worker(ckpt_dir, {"torn", kElements, "2"}, env);
    INFO("worker " << run.describe());
    REQUIRE(exited_with(run.status, 0));
    REQUIRE(run.lines.size() == 3);
    const std::string state = restored_state(ckpt_dir, env);
    CHECK(state == "state step=2 consistent=1 gen=2");

    std::vector<std::string> outside, directories;
    boost::system::error_code ec;
    for (boost::filesystem::recursive_directory_iterator it(base.path(), ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto type = boost::filesystem::symlink_status(it->path()).type();
        if (type == boost::filesystem::directory_file)
            directories.push_back(it->path().string());
        else if (it->path().parent_path().string() != ckpt_dir)
            outside.push_back(it->path().string());
    }
    REQUIRE(!ec);
    INFO("files: " << joined(list_dir(ckpt_dir)));
    CHECK(outside.empty());
    std::sort(directories.begin(), directories.end());
    CHECK(directories == std::vector<std::string>{base / "a", base / "a/b", ckpt_dir});
    CHECK(files_ending(ckpt_dir, ".ckpt").size() == 2);
    CHECK(files_ending(ckpt_dir, ".lock").size() == 1);
    for (const auto& name : list_dir(ckpt_dir)) CHECK(name.find('/') == std::string::npos);
}

// ---- one process per job --------------------------------------------------------------------

TEST_CASE("a second process on the same job is refused, naming the first one's pid and host",
          "[environment]") {
    TempDir dir;
    char host[256] = {0};
    REQUIRE(::gethostname(host, sizeof host - 1) == 0);

    Child first = start_worker(dir.path(), {"hold"}, kNamedT);
    const std::string holding = first.expect_line("holding ");
    const std::string pid = field(holding, "pid");
    REQUIRE(pid == std::to_string(first.pid()));
    {
        const Run second = run_worker(dir.path(), {"hold"}, kNamedT);
        INFO("second worker " << second.describe());
        CHECK(exited_with(second.status, 1));
        REQUIRE(second.lines.size() == 1);
        const std::string& error = second.lines[0];
        CHECK(starts_with(error, "error reprise: "));
        CHECK(contains(error, "already running"));
        CHECK(contains(error, " " + pid + " "));
        CHECK(contains(error, host));
    }
    first.send_line("go");
    CHECK(first.read_line().empty());
    CHECK(exited_with(first.wait(), 0));

    Child third = start_worker(dir.path(), {"hold"}, kNamedT);
    {
        const std::string line = third.read_line();
        INFO("third worker's stderr:\n" << third.stderr_text());
        REQUIRE(starts_with(line, "holding pid="));
    }
    // A holder that dies without a word (SIGKILL) releases the job too.
    third.signal(SIGKILL);
    CHECK(killed_by(third.wait(), SIGKILL));
    Child fourth = start_worker(dir.path(), {"hold"}, kNamedT);
    const std::string line = fourth.read_line();
    INFO("fourth worker's stderr:\n" << fourth.stderr_text());
    CHECK(starts_with(line, "holding pid="));
    fourth.send_line("go");
    CHECK(exited_with(fourth.wait(), 0));
}

TEST_CASE("a symbolic link planted at the lock file's name is not followed",
          "[environment][security]") {
    TempDir dir, outside;
    const std::string victim = outside / "victim";
    write_file(victim, "precious\n");
    REQUIRE(::symlink(victim.c_str(), (dir / "t.local.lock").c_str()) == 0);
    const Run run = run_worker(dir.path(), {"hold"}, kNamedT);
    INFO("worker " << run.describe());
    CHECK(exited_with(run.status, 1));
    REQUIRE(run.lines.size() == 1);
    CHECK(starts_with(run.lines[0], "error reprise: "));
    CHECK(contains(run.lines[0], dir / "t.local.lock"));
    CHECK(contains(run.lines[0], errno_name(ELOOP)));
    CHECK(read_file(victim) == "precious\n");
}

// ---- a fault in each system call of the save path --------------------------------------------

TEST_CASE("a save whose temporary file cannot be created (EACCES) fails cleanly",
          "[environment][faults]") {
    check_second_save_fails("open:EACCES@2", "creating", "t.local.0000000002.ckpt.tmp",
                            errno_name(EACCES), {1});
}

TEST_CASE("a save whose write fails (EIO) fails cleanly", "[environment][faults]") {
    const unsigned long writes = writes_per_save();
    check_second_save_fails("write:EIO@" + std::to_string(writes + 1), "writing",
                            "t.local.0000000002.ckpt.tmp", errno_name(EIO), {1});
}

TEST_CASE("a save rides out short writes", "[environment][faults]") {
    check_second_save_succeeds("write:short");
}

TEST_CASE("a save rides out a write interrupted by a signal (EINTR)", "[environment][faults]") {
    const unsigned long writes = writes_per_save();
    check_second_save_succeeds("write:EINTR@" + std::to_string(writes + 1));
}

TEST_CASE("a save whose fsync fails (EIO) fails cleanly", "[environment][faults]") {
    check_second_save_fails("fsync:EIO@2", "fsync", "t.local.0000000002.ckpt.tmp",
                            errno_name(EIO), {1});
}

TEST_CASE("a save whose close fails (EIO) fails cleanly", "[environment][faults]") {
    check_second_save_fails("close:EIO@2", "clos", "t.local.0000000002.ckpt.tmp",
                            errno_name(EIO), {1});
}

TEST_CASE("a save whose rename fails (EXDEV) fails cleanly", "[environment][faults]") {
    check_second_save_fails("rename:EXDEV@2", "renam", "t.local.0000000002.ckpt.tmp",
                            errno_name(EXDEV), {1});
}

TEST_CASE("a save whose directory fsync fails (EIO) reports it, and either generation restores",
          "[environment][faults]") {
    // The rename is done by then: the new file may well be there, and is whole.
    check_second_save_fails("dirfsync:EIO@2", "fsync", "", errno_name(EIO), {1, 2});
}

TEST_CASE("a save that cannot remove a stale temporary file (EACCES) fails cleanly",
          "[environment][faults]") {
    check_second_save_fails("unlink:EACCES@2", "remov", "t.local.0000000002.ckpt.tmp",
                            errno_name(EACCES), {1});
}

// ---- a fault in the restore path -------------------------------------------------------------

TEST_CASE("a read error in the newest generation falls back to the older one, saying why",
          "[environment][faults]") {
    TempDir dir;
    const Run saves = run_worker(dir.path(), {"torn", kElements, "2"}, kNamedT);
    INFO("saving run " << saves.describe());
    REQUIRE(exited_with(saves.status, 0));
    // The 1st read is the newest file's preamble, the 3rd its payload.
    for (const std::string fault : {"read:EIO@1", "read:EIO@3"}) {
        auto env = kNamedT;
        env["REPRISE_FAULT"] = fault;
        env["REPRISE_RESTORE"] = "always";
        const Run run = run_worker(dir.path(), {"torn", kElements, "0"}, env);
        INFO("REPRISE_FAULT=" << fault << ": restoring run " << run.describe());
        CHECK(exited_with(run.status, 0));
        REQUIRE(run.lines.size() == 1);
        CHECK(run.lines[0] == "state step=1 consistent=1 gen=1");
        CHECK(lines_with(run.err, {dir / "t.local.0000000002.ckpt", errno_name(EIO)}).size() == 1);
        CHECK(lines_with(run.err, {"older generation"}).size() == 1);
    }
}

TEST_CASE("read errors in every generation make restore fail, listing each file and why",
          "[environment][faults]") {
    TempDir dir;
    const Run saves = run_worker(dir.path(), {"torn", kElements, "2"}, kNamedT);
    INFO("saving run " << saves.describe());
    REQUIRE(exited_with(saves.status, 0));
    auto env = kNamedT;
    env["REPRISE_FAULT"] = "read:EIO";
    env["REPRISE_RESTORE"] = "always";
    const Run run = run_worker(dir.path(), {"torn", kElements, "0"}, env);
    INFO("restoring run " << run.describe());
    CHECK(exited_with(run.status, 1));
    REQUIRE(!run.lines.empty());
    CHECK(starts_with(run.lines[0], "error reprise: restore"));
    CHECK(lines_with(run.err, {dir / "t.local.0000000002.ckpt", errno_name(EIO)}).size() == 1);
    CHECK(lines_with(run.err, {dir / "t.local.0000000001.ckpt", errno_name(EIO)}).size() == 1);
    // Nothing was lost: without the fault the newest generation restores.
    CHECK(restored_state(dir.path(), kNamedT) == "state step=2 consistent=1 gen=2");
}

TEST_CASE("a restore rides out short reads", "[environment][faults]") {
    TempDir dir;
    const Run saves = run_worker(dir.path(), {"torn", kElements, "2"}, kNamedT);
    INFO("saving run " << saves.describe());
    REQUIRE(exited_with(saves.status, 0));
    auto env = kNamedT;
    env["REPRISE_FAULT"] = "read:short";
    env["REPRISE_RESTORE"] = "always";
    const Run run = run_worker(dir.path(), {"torn", kElements, "0"}, env);
    INFO("restoring run " << run.describe());
    CHECK(exited_with(run.status, 0));
    REQUIRE(run.lines.size() == 1);
    CHECK(run.lines[0] == "state step=2 consistent=1 gen=2");
}
