// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "registry.hpp"

#include "process.hpp"

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/posix_error.hpp"

#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace reprise::manager {

using detail::errno_text;
using detail::throw_errno;

namespace {

// The schema of job.json; a reader refuses any other.
constexpr int kRecordFormat = 1;

void create_directories(const std::string& path) {
    boost::system::error_code ec;
    boost::filesystem::create_directories(path, ec);
    if (ec) throw Error("reprise: creating directory " + path + ": " + ec.message());
}

// A decimal id as a directory name: digits only, no leading zero; else 0.
long id_of(const std::string& name) {
    if (name.empty() || name[0] == '0') return 0;
    const long long v = detail::parse_count(name);
    return v > 0 && v < 1000000000000LL ? static_cast<long>(v) : 0;
}

std::vector<long> numeric_entries(const std::string& dir) {
    std::vector<long> out;
    boost::system::error_code ec;
    for (boost::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (const long id = id_of(it->path().filename().string())) out.push_back(id);
    if (ec) throw Error("reprise: listing " + dir + ": " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

nlohmann::json to_json(const Job& job) {
    const Run& r = job.run;
    return nlohmann::json{
        {"format", kRecordFormat},
        {"id", job.id},
        {"name", job.name},
        {"command", job.command},
        {"cwd", job.cwd},
        {"every", job.every},
        {"created", job.created},
        {"restarts", job.restarts},
        {"run",
         {{"state", r.state},
          {"host", r.host},
          {"boot_id", r.boot_id},
          {"detached", r.detached},
          {"started", r.started},
          {"ended", r.ended},
          {"supervisor_pid", r.supervisor_pid},
          {"pid", r.pid},
          {"pid_start", r.pid_start},
          {"exit_status", r.exit_status},
          {"signal", r.signal},
          {"error", r.error}}},
    };
}

// Every field is required and typed: a record that lacks one is corrupt, not guessed at.
Job from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    if (j.at("format").get<int>() != kRecordFormat)
        throw std::runtime_error("record format " + j.at("format").dump() + ", expected " +
                                 std::to_string(kRecordFormat));
    Job job;
    job.id = j.at("id").get<long>();
    job.name = j.at("name").get<std::string>();
    job.command = j.at("command").get<std::vector<std::string>>();
    job.cwd = j.at("cwd").get<std::string>();
    job.every = j.at("every").get<double>();
    job.created = j.at("created").get<std::int64_t>();
    job.restarts = j.at("restarts").get<unsigned>();
    const nlohmann::json& r = j.at("run");
    job.run.state = r.at("state").get<std::string>();
    job.run.host = r.at("host").get<std::string>();
    job.run.boot_id = r.at("boot_id").get<std::string>();
    job.run.detached = r.at("detached").get<bool>();
    job.run.started = r.at("started").get<std::int64_t>();
    job.run.ended = r.at("ended").get<std::int64_t>();
    job.run.supervisor_pid = r.at("supervisor_pid").get<long>();
    job.run.pid = r.at("pid").get<long>();
    job.run.pid_start = r.at("pid_start").get<std::uint64_t>();
    job.run.exit_status = r.at("exit_status").get<int>();
    job.run.signal = r.at("signal").get<int>();
    job.run.error = r.at("error").get<std::string>();
    if (job.name.empty()) throw std::runtime_error("empty name");
    if (job.command.empty()) throw std::runtime_error("empty command");
    if (job.run.state != "starting" && job.run.state != "running" && job.run.state != "ended")
        throw std::runtime_error("unknown run state '" + job.run.state + "'");
    return job;
}

void write_record(const std::string& dir, const Job& job) {
    const std::string text = to_json(job).dump(2) + "\n";
    const detail::Directory directory(dir);
    detail::write_durably(directory, "job.json", [&](detail::FileSink& sink) {
        sink.write_at(0, text.data(), text.size());
    });
}

} // namespace

void sync_directory(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("opening directory", path, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL) throw_errno("fsync of directory", path, err);
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// ---- locks --------------------------------------------------------------------------------

std::unique_ptr<HeldLock> HeldLock::try_take(const std::string& path, bool create) {
    const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) throw_errno("opening lock file", path, errno);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd, F_OFD_SETLK, &lock) == 0) return std::unique_ptr<HeldLock>(new HeldLock(fd));
    const int err = errno;
    ::close(fd);
    if (err == EAGAIN || err == EACCES) return nullptr;
    if (err == ENOLCK)
        throw Error("reprise: locking " + path + ": " + errno_text(err) +
                    " (an NFS mount without a lock manager? the registry needs file locks)");
    throw_errno("locking", path, err);
}

HeldLock::~HeldLock() {
    if (fd_ >= 0) ::close(fd_);
}

LockState probe_lock(const std::string& path) noexcept {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno == ENOENT ? LockState::absent : LockState::unknown;
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    int rc = ::fcntl(fd, F_OFD_GETLK, &lock);
    if (rc != 0 && errno == EINVAL) { // a kernel without OFD locks: the classic query
        lock = {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        rc = ::fcntl(fd, F_GETLK, &lock);
    }
    ::close(fd);
    if (rc != 0) return LockState::unknown;
    return lock.l_type == F_UNLCK ? LockState::free : LockState::held;
}

// ---- the registry -------------------------------------------------------------------------

Registry::Registry(const std::string& root) {
    const auto absolute = boost::filesystem::absolute(root);
    root_ = absolute.lexically_normal().string();
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    create_directories(root_ + "/jobs");
    create_directories(root_ + "/ids");
}

std::string Registry::default_root() {
    const std::string home = detail::getenv_string("REPRISE_HOME");
    if (!home.empty()) return home;
    const std::string data = detail::getenv_string("XDG_DATA_HOME");
    if (!data.empty() && data[0] == '/') return data + "/reprise";
    const std::string user_home = detail::getenv_string("HOME");
    if (!user_home.empty()) return user_home + "/.local/share/reprise";
    throw Error("reprise: where is the job registry? neither REPRISE_HOME nor HOME is set");
}

std::string Registry::entry(long id) const { return root_ + "/jobs/" + std::to_string(id); }
std::string Registry::checkpoints(long id) const { return entry(id) + "/checkpoints"; }
std::string Registry::log(long id) const { return entry(id) + "/output.log"; }
std::string Registry::run_lock(long id) const { return entry(id) + "/run.lock"; }

std::vector<long> Registry::ids() const { return numeric_entries(root_ + "/jobs"); }

bool Registry::exists(long id) const {
    struct stat st {};
    return ::stat(entry(id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::unique_ptr<HeldLock> Registry::create(Job& job) const {
    const std::string ids_dir = root_ + "/ids";
    const std::string jobs_dir = root_ + "/jobs";
    long n = 1;
    for (const std::string& dir : {ids_dir, jobs_dir}) {
        const std::vector<long> taken = numeric_entries(dir);
        if (!taken.empty()) n = std::max(n, taken.back() + 1);
    }
    // mkdir either creates the directory or fails with EEXIST, atomically, on NFS too:
    // two managers racing for an id never both get it. A lost race moves on to the next.
    for (;; ++n) {
        const std::string path = ids_dir + "/" + std::to_string(n);
        if (::mkdir(path.c_str(), 0700) == 0) break;
        if (errno != EEXIST) throw_errno("allocating a job id: mkdir", path, errno);
    }
    sync_directory(ids_dir);
    job.id = n;

    // Built aside, under a name no other process uses, then renamed in complete.
    const std::string staging = jobs_dir + "/.new-" + std::to_string(n) + "-" +
                                detail::file_safe(host_name()) + "-" + std::to_string(::getpid());
    if (::mkdir(staging.c_str(), 0700) != 0) throw_errno("creating", staging, errno);
    try {
        if (::mkdir((staging + "/checkpoints").c_str(), 0700) != 0)
            throw_errno("creating", staging + "/checkpoints", errno);
        std::unique_ptr<HeldLock> lock = HeldLock::try_take(staging + "/run.lock", true);
        if (!lock) throw Error("reprise: locking " + staging + "/run.lock: held by another process");
        write_record(staging, job);
        if (::rename(staging.c_str(), entry(n).c_str()) != 0)
            throw_errno("renaming " + staging + " to", entry(n), errno);
        sync_directory(jobs_dir);
        return lock;
    } catch (...) {
        boost::system::error_code ec;
        boost::filesystem::remove_all(staging, ec);
        throw;
    }
}

Job Registry::load(long id) const {
    const std::string dir = entry(id);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT)
            throw NoSuchJob("reprise: no job " + std::to_string(id) + " in the registry " + root_ +
                            " (`reprise list` shows its jobs)");
        throw_errno("reading job " + std::to_string(id) + ":", dir, errno);
    }
    const std::string path = dir + "/job.json";
    const std::string advice = "; `reprise rm " + std::to_string(id) + "` removes the entry";
    std::string text;
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            if (errno == ENOENT)
                throw CorruptEntry("reprise: job " + std::to_string(id) +
                                   ": corrupt registry entry: " + path + " is missing" + advice);
            throw_errno("reading", path, errno);
        }
        char buffer[8192];
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int err = errno;
                ::close(fd);
                throw_errno("reading", path, err);
            }
            if (n == 0) break;
            text.append(buffer, static_cast<std::size_t>(n));
            if (text.size() > (std::size_t(16) << 20)) break; // no record is that large
        }
        ::close(fd);
    }
    Job job;
    try {
        job = from_json(nlohmann::json::parse(text));
    } catch (const std::exception& e) {
        throw CorruptEntry("reprise: job " + std::to_string(id) + ": corrupt registry entry " +
                           path + ": " + e.what() + advice);
    }
    if (job.id != id)
        throw CorruptEntry("reprise: job " + std::to_string(id) + ": corrupt registry entry " +
                           path + ": it records job " + std::to_string(job.id) + advice);
    return job;
}

void Registry::save(const Job& job) const { write_record(entry(job.id), job); }

void Registry::remove(long id, std::unique_ptr<HeldLock> lock) const {
    const std::string from = entry(id);
    const std::string aside = root_ + "/jobs/.removed-" + std::to_string(id) + "-" +
                              detail::file_safe(host_name()) + "-" + std::to_string(::getpid());
    if (::rename(from.c_str(), aside.c_str()) != 0)
        throw_errno("removing job " + std::to_string(id) + ": renaming " + from + " to", aside, errno);
    sync_directory(root_ + "/jobs");
    lock.reset(); // an open file would survive on NFS as .nfsXXXX and keep the directory
    boost::system::error_code ec;
    boost::filesystem::remove_all(aside, ec);
    if (ec) throw Error("reprise: removing " + aside + ": " + ec.message());
}

// ---- checkpoint files ---------------------------------------------------------------------

std::string checkpoint_stem(const Job& job) {
    return detail::file_safe(job.name) + "." + detail::file_safe("sge-" + std::to_string(job.id));
}

std::string library_lock(const Registry& registry, const Job& job) {
    return registry.checkpoints(job.id) + "/" + checkpoint_stem(job) + ".lock";
}

std::vector<Generation> generations(const Registry& registry, const Job& job) {
    const std::string dir = registry.checkpoints(job.id);
    const std::string prefix = checkpoint_stem(job) + ".";
    const std::string suffix = ".ckpt";
    std::vector<Generation> out;
    boost::system::error_code ec;
    boost::filesystem::directory_iterator it(dir, ec);
    if (ec == boost::system::errc::no_such_file_or_directory) return out;
    for (boost::filesystem::directory_iterator end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const long long number = detail::parse_count(
            name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
        if (number <= 0) continue;
        Generation g;
        g.number = static_cast<std::uint64_t>(number);
        g.path = dir + "/" + name;
        struct stat st {};
        if (::stat(g.path.c_str(), &st) != 0) continue; // removed meanwhile by a newer save
        g.size = static_cast<std::uint64_t>(st.st_size);
        g.mtime = static_cast<std::int64_t>(st.st_mtime);
        out.push_back(std::move(g));
    }
    if (ec) throw Error("reprise: listing " + dir + ": " + ec.message());
    std::sort(out.begin(), out.end(),
              [](const Generation& a, const Generation& b) { return a.number < b.number; });
    return out;
}

} // namespace reprise::manager
