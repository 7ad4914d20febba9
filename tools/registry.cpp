// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

#include "registry.hpp"

#include "job_environment.hpp"
#include "launcher.hpp"
#include "process.hpp"

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/lock.hpp"
#include "reprise/detail/naming.hpp"
#include "reprise/detail/parse.hpp"
#include "reprise/detail/posix_error.hpp"

#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace reprise::manager {

using detail::errno_text;
using detail::FileHandle;
using detail::throw_errno;

namespace {

// The schema of job.json written; a reader also takes kOldestRecordFormat up to it.
// Format 1 has no job_key (the program's job was JOB_ID=<id>): default_job_key() is its key.
// Format 3 adds environment and checkpoint_dir (before: none recorded, the entry's checkpoints/).
constexpr int kRecordFormat = 3;
constexpr int kOldestRecordFormat = 1;

// No record comes near this: a larger job.json is not one of ours.
constexpr std::uint64_t kMaxRecordBytes = std::uint64_t(1) << 20;

// The largest pid Linux gives (PID_MAX_LIMIT on 64-bit systems, proc(5)).
constexpr std::uint64_t kMaxPid = 4194304;

// A directory of the registry, opened without following a link (the root itself may be
// one: the user chose it).
FileHandle open_directory_at(int at, const std::string& name, bool follow) {
    return FileHandle(::openat(at, name.c_str(),
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)));
}

// The names in the open directory `fd` (its path `path` for messages), "." and ".." left out.
std::vector<std::string> names_in(int fd, const std::string& path) {
    const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0); // closedir closes it, not `fd`
    if (own < 0) throw_errno("listing", path, errno);
    DIR* dir = ::fdopendir(own);
    if (!dir) {
        const int err = errno;
        ::close(own);
        throw_errno("listing", path, err);
    }
    ::rewinddir(dir);
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        const dirent* e = ::readdir(dir);
        if (!e) break;
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    const int err = errno;
    ::closedir(dir);
    if (err != 0) throw_errno("listing", path, err);
    return names;
}

// A decimal id as a directory name: digits only, no leading zero, at most kMaxJobId; else 0.
long id_of(const std::string& name) {
    if (name.empty() || name[0] == '0') return 0;
    const std::optional<std::uint64_t> v = detail::decimal(name);
    return v && *v <= kMaxJobId ? static_cast<long>(*v) : 0;
}

std::vector<long> numeric_entries(int fd, const std::string& dir) {
    std::vector<long> out;
    for (const std::string& name : names_in(fd, dir))
        if (const long id = id_of(name)) out.push_back(id);
    std::sort(out.begin(), out.end());
    return out;
}

// Opens `name` in `at` as a directory of the registry (`what` says which, for messages),
// creating it (mode 0700) when asked and missing; refuses one that is not this user's or
// that others may write. @throws Error.
FileHandle open_private_directory(int at, const std::string& name, const std::string& path,
                                  const std::string& what, bool create, bool follow) {
    if (create && ::mkdirat(at, name.c_str(), 0700) != 0 && errno != EEXIST)
        throw_errno("creating directory", path, errno);
    FileHandle fd = open_directory_at(at, name, follow);
    if (fd.get() < 0) throw_errno("opening " + what, path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat of " + what, path, errno);
    if (const std::string problem = ownership_problem(st, path, what); !problem.empty())
        throw Error("reprise: " + problem);
    return fd;
}

// The recorded environment as a JSON object, in the order it was recorded (nlohmann's
// object sorts its keys; the order of variables does not matter to a program).
nlohmann::json environment_object(const std::vector<std::pair<std::string, std::string>>& environment) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : environment) out[name] = value;
    return out;
}

nlohmann::json to_json(const Job& job) {
    const Run& r = job.run;
    return nlohmann::json{
        {"format", kRecordFormat},
        {"id", job.id},
        {"name", job.name},
        {"job_key", job.job_key},
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
        {"environment", environment_object(job.environment)},
        {"checkpoint_dir", job.checkpoint_dir},
    };
}

// The fields of one JSON object of a record, each read through detail/parse.hpp: the
// parser sees the value's JSON text (nlohmann's dump: exact digits for an integer, "null"
// for what was written as inf or nan), so a float, a string, a negative number or null
// where a count belongs is refused by the rules that apply to an argument or a variable,
// and the error names the field and the value.
class Fields {
public:
    Fields(const nlohmann::json& object, std::string prefix)
        : object_(object), prefix_(std::move(prefix)) {
        if (!object_.is_object())
            detail::bad_value(prefix_.empty() ? "the record" : prefix_.substr(0, prefix_.size() - 1),
                              object_.dump(), "a JSON object");
    }

    const nlohmann::json& value(const char* key) const {
        const auto it = object_.find(key);
        if (it == object_.end()) throw Error("reprise: field '" + name(key) + "' is missing");
        return *it;
    }
    std::string name(const char* key) const { return prefix_ + key; }

    std::uint64_t whole(const char* key, std::uint64_t min, std::uint64_t max) const {
        return detail::parse_unsigned(name(key), value(key).dump(), min, max);
    }
    std::int64_t time(const char* key) const { // seconds since the epoch
        return static_cast<std::int64_t>(whole(key, 0, std::numeric_limits<std::int64_t>::max()));
    }
    double duration(const char* key) const {
        return detail::parse_duration(name(key), value(key).dump());
    }
    bool flag(const char* key) const {
        return detail::parse_choice<bool>(name(key), value(key).dump(), {{"true", true}, {"false", false}},
                                          "true or false");
    }
    std::string text(const char* key) const {
        const nlohmann::json& v = value(key);
        if (!v.is_string()) detail::bad_value(name(key), v.dump(), "a JSON string");
        return v.get<std::string>();
    }
    std::string identifier(const char* key, std::size_t max_bytes) const {
        const std::string v = text(key);
        return detail::check_identifier(name(key), v, max_bytes);
    }

private:
    const nlohmann::json& object_;
    std::string prefix_;
};

// A first pass over a record's text that knows which field it is in, so that what
// nlohmann refuses inside a value (a number out of a double's range, such as a hand-written
// "every": 1e400) is reported by the field's name, as every other bad value is.
class FieldTracker final : public nlohmann::json_sax<nlohmann::json> {
public:
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override {
        keys_.emplace_back();
        return true;
    }
    bool key(string_t& name) override {
        if (!keys_.empty()) keys_.back() = name;
        return true;
    }
    bool end_object() override {
        if (!keys_.empty()) keys_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) override {
        std::string field;
        for (const std::string& k : keys_) field += (field.empty() ? "" : ".") + k;
        if (e.id == 406) detail::bad_value(field, token, "a number in range"); // out_of_range.406
        throw Error(std::string("reprise: ") + e.what() + (field.empty() ? "" : " (in field '" + field + "')"));
    }

private:
    std::vector<std::string> keys_;
};

// Every field is required, typed and in range: a record that lacks one or holds a value
// out of range is corrupt, not guessed at. @throws Error naming the field and its value.
Job from_json(const nlohmann::json& j) {
    const Fields f(j, "");
    const std::uint64_t format = f.whole("format", kOldestRecordFormat, kRecordFormat);
    Job job;
    job.id = static_cast<long>(f.whole("id", 1, kMaxJobId));
    job.name = f.identifier("name", detail::kMaxNameBytes); // what start accepts
    // What the library accepts as REPRISE_JOB.
    job.job_key = format >= 2 ? f.identifier("job_key", detail::kMaxNameBytes) : default_job_key(job.id);
    const nlohmann::json& command = f.value("command");
    if (!command.is_array() || command.empty())
        detail::bad_value("command", command.dump(), "a non-empty JSON array of strings");
    for (std::size_t i = 0; i < command.size(); ++i) {
        if (!command[i].is_string())
            detail::bad_value("command[" + std::to_string(i) + "]", command[i].dump(), "a JSON string");
        job.command.push_back(command[i].get<std::string>());
    }
    if (job.command.front().empty()) detail::bad_value("command[0]", "", "the program's name or path");
    job.cwd = f.text("cwd");
    if (job.cwd.empty() || job.cwd[0] != '/' || job.cwd.size() > PATH_MAX)
        detail::bad_value("cwd", job.cwd, "an absolute directory path");
    job.every = f.duration("every");
    job.created = f.time("created");
    job.restarts = static_cast<unsigned>(f.whole("restarts", 0, std::numeric_limits<unsigned>::max()));

    const Fields r(f.value("run"), "run.");
    job.run.state = std::string(detail::parse_choice<std::string_view>(
        r.name("state"), r.text("state"),
        {{"starting", "starting"}, {"running", "running"}, {"ended", "ended"}},
        "starting, running or ended"));
    job.run.host = r.identifier("host", HOST_NAME_MAX);
    job.run.boot_id = r.text("boot_id"); // "" when the host's was unreadable
    if (!job.run.boot_id.empty()) detail::check_identifier(r.name("boot_id"), job.run.boot_id, 64);
    job.run.detached = r.flag("detached");
    job.run.started = r.time("started");
    job.run.ended = r.time("ended");
    job.run.supervisor_pid = static_cast<long>(r.whole("supervisor_pid", 0, kMaxPid));
    job.run.pid = static_cast<long>(r.whole("pid", 0, kMaxPid));
    job.run.pid_start = r.whole("pid_start", 0, std::numeric_limits<std::uint64_t>::max());
    // -1 until the program exited (and when a signal ended it), else its status.
    const std::string exit_status = r.value("exit_status").dump();
    job.run.exit_status = exit_status == "-1"
        ? -1
        : static_cast<int>(detail::parse_unsigned(r.name("exit_status"), exit_status, 0, 255));
    job.run.signal = static_cast<int>(r.whole("signal", 0, 64));
    job.run.error = r.text("error");

    if (format >= 3) {
        const nlohmann::json& environment = f.value("environment");
        if (!environment.is_object())
            detail::bad_value("environment", environment.dump(), "a JSON object of strings");
        for (const auto& [name, value] : environment.items()) {
            if (!is_environment_name(name))
                detail::bad_value("environment", name, "a variable name (letters, digits, '_', not first a digit)");
            if (!value.is_string() || value.get<std::string>().find('\0') != std::string::npos)
                detail::bad_value("environment." + name, value.dump(), "a JSON string without NUL");
            job.environment.emplace_back(name, value.get<std::string>());
        }
        job.checkpoint_dir = f.text("checkpoint_dir");
        if (!job.checkpoint_dir.empty() && (job.checkpoint_dir[0] != '/' || job.checkpoint_dir.size() > PATH_MAX))
            detail::bad_value("checkpoint_dir", job.checkpoint_dir, "\"\" or an absolute directory path");
    }
    return job;
}

void write_record(const std::string& dir, const Job& job) {
    const std::string text = to_json(job).dump(2) + "\n";
    const detail::Directory directory(dir);
    detail::write_durably(directory, "job.json", [&](detail::FileSink& sink) {
        sink.write_at(0, text.data(), text.size());
    });
}

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

std::string user_name(uid_t uid) {
    const struct passwd* pw = ::getpwuid(uid);
    return "uid " + std::to_string(uid) + (pw && pw->pw_name ? " (" + std::string(pw->pw_name) + ")" : "");
}

std::string octal_mode(mode_t mode) {
    char text[16];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

} // namespace

std::string ownership_problem(const struct stat& st, const std::string& path, const std::string& what) {
    const uid_t me = ::geteuid();
    if (st.st_uid != me)
        return what + " " + path + " belongs to " + user_name(st.st_uid) + ", not to you (" +
               user_name(me) + "): refused, because `reprise restart` would run the command it "
               "records as you; use a registry of your own (REPRISE_HOME), or `chown` it if it is yours";
    const bool group = (st.st_mode & S_IWGRP) != 0;
    const bool others = (st.st_mode & S_IWOTH) != 0;
    if (group || others)
        return what + " " + path + " is writable by " +
               (group && others ? "its group and others" : group ? "its group" : "others") + " (mode " +
               octal_mode(st.st_mode) + "): refused, because whoever can write it could make "
               "`reprise restart` run their command as you; `chmod go-w " + path +
               "` if nobody else should write it";
    return std::string();
}

FileHandle open_regular(int dirfd, const std::string& name, int flags, mode_t mode, struct stat& st,
                        int& err, std::string& why) {
    FileHandle fd(::openat(dirfd, name.c_str(), flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode));
    if (fd.get() < 0) {
        err = errno;
        if (err == ELOOP) { // O_NOFOLLOW met a link (open(2))
            err = 0;
            why = "a symbolic link, which the registry never follows";
        } else if (err == ENXIO) { // O_WRONLY|O_NONBLOCK on a FIFO without a reader (fifo(7))
            err = 0;
            why = "a FIFO or a device, not a regular file";
        } else {
            why = errno_text(err);
        }
        return FileHandle();
    }
    if (::fstat(fd.get(), &st) != 0) {
        err = errno;
        why = "cannot stat: " + errno_text(err);
        return FileHandle();
    }
    if (!S_ISREG(st.st_mode)) {
        err = 0;
        why = std::string(file_kind(st.st_mode)) + ", not a regular file";
        return FileHandle();
    }
    if (!detail::clear_nonblocking(fd.get())) {
        err = errno;
        why = "cannot clear O_NONBLOCK: " + errno_text(err);
        return FileHandle();
    }
    err = 0;
    return fd;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// ---- locks --------------------------------------------------------------------------------

std::unique_ptr<HeldLock> HeldLock::try_take(const std::string& path, bool create) {
    struct stat st {};
    int err = 0;
    std::string why;
    FileHandle file = open_regular(AT_FDCWD, path, O_RDWR | (create ? O_CREAT : 0), 0600, st, err, why);
    if (file.get() < 0) {
        if (err != 0) throw_errno("opening lock file", path, err);
        throw Error("reprise: opening lock file " + path + ": " + why);
    }
    // No classic lock where the kernel has no OFD locks: the detached supervisor, a fork,
    // must share this one.
    err = detail::try_write_lock(file.get(), false);
    if (err == 0) return std::unique_ptr<HeldLock>(new HeldLock(std::move(file)));
    if (err == EAGAIN || err == EACCES) return nullptr;
    if (err == ENOLCK)
        throw Error("reprise: locking " + path + ": " + errno_text(err) +
                    " (an NFS mount without a lock manager? the registry needs file locks)");
    throw_errno("locking", path, err);
}

HeldLock::~HeldLock() = default;

// ---- the registry -------------------------------------------------------------------------

Registry::Registry(const std::string& root) {
    const auto absolute = boost::filesystem::absolute(root);
    root_ = absolute.lexically_normal().string();
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    // The parents as the user's umask makes them; the registry itself private (0700).
    const std::string parent = boost::filesystem::path(root_).parent_path().string();
    boost::system::error_code ec;
    if (!parent.empty()) boost::filesystem::create_directories(parent, ec);
    if (ec) throw Error("reprise: creating directory " + parent + ": " + ec.message());
    const FileHandle dir = open_private_directory(AT_FDCWD, root_, root_, "the registry directory", true, true);
    for (const char* sub : {"jobs", "ids"})
        open_private_directory(dir.get(), sub, root_ + "/" + sub, "the registry directory", true, false);
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

FileHandle Registry::open_subdirectory(const char* sub) const {
    const FileHandle dir = open_private_directory(AT_FDCWD, root_, root_, "the registry directory", false, true);
    return open_private_directory(dir.get(), sub, root_ + "/" + sub, "the registry directory", false, false);
}

std::vector<long> Registry::ids() const {
    const FileHandle jobs = open_subdirectory("jobs");
    return numeric_entries(jobs.get(), root_ + "/jobs");
}

bool Registry::exists(long id) const {
    const FileHandle jobs = open_subdirectory("jobs");
    struct stat st {};
    return ::fstatat(jobs.get(), std::to_string(id).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISDIR(st.st_mode);
}

FileHandle Registry::open_entry(long id) const {
    const FileHandle jobs = open_subdirectory("jobs");
    const std::string path = entry(id);
    FileHandle dir = open_directory_at(jobs.get(), std::to_string(id), false);
    if (dir.get() < 0) {
        const int err = errno;
        if (err == ENOENT)
            throw NoSuchJob("reprise: no job " + std::to_string(id) + " in the registry " + root_ +
                            " (`reprise list` shows its jobs)");
        if (err == ELOOP || err == ENOTDIR)
            throw CorruptEntry("reprise: job " + std::to_string(id) + ": corrupt registry entry: " + path +
                               " is not a directory (a link is never followed); `reprise rm " +
                               std::to_string(id) + "` removes the entry");
        throw_errno("reading job " + std::to_string(id) + ":", path, err);
    }
    struct stat st {};
    if (::fstat(dir.get(), &st) != 0) throw_errno("stat of", path, errno);
    if (const std::string problem = ownership_problem(st, path, "the job directory"); !problem.empty())
        throw UnsafeEntry("reprise: job " + std::to_string(id) + ": " + problem);
    return dir;
}

std::unique_ptr<HeldLock> Registry::create(Job& job) const {
    const std::string ids_dir = root_ + "/ids";
    const std::string jobs_dir = root_ + "/jobs";
    const FileHandle ids_fd = open_subdirectory("ids");
    const FileHandle jobs_fd = open_subdirectory("jobs");
    long n = 1;
    for (const auto& [fd, dir] : {std::pair<int, std::string>{ids_fd.get(), ids_dir}, {jobs_fd.get(), jobs_dir}}) {
        const std::vector<long> taken = numeric_entries(fd, dir);
        if (!taken.empty()) n = std::max(n, taken.back() + 1);
    }
    // mkdir either creates the directory or fails with EEXIST, atomically, on NFS too:
    // two managers racing for an id never both get it. A lost race moves on to the next.
    for (;; ++n) {
        if (static_cast<std::uint64_t>(n) > kMaxJobId)
            throw Error("reprise: allocating a job id: every id up to " + std::to_string(kMaxJobId) +
                        " is taken in " + ids_dir);
        if (::mkdirat(ids_fd.get(), std::to_string(n).c_str(), 0700) == 0) break;
        if (errno != EEXIST)
            throw_errno("allocating a job id: mkdir", ids_dir + "/" + std::to_string(n), errno);
    }
    if (::fsync(ids_fd.get()) != 0 && errno != EINVAL) throw_errno("fsync of directory", ids_dir, errno);
    job.id = n;
    if (job.job_key.empty()) job.job_key = default_job_key(n);

    // Built aside, under a name no other process uses, then renamed in complete.
    const std::string staging_name = ".new-" + std::to_string(n) + "-" + detail::file_safe(host_name()) +
                                     "-" + std::to_string(::getpid());
    const std::string staging = jobs_dir + "/" + staging_name;
    if (::mkdirat(jobs_fd.get(), staging_name.c_str(), 0700) != 0) throw_errno("creating", staging, errno);
    try {
        if (::mkdir((staging + "/checkpoints").c_str(), 0700) != 0)
            throw_errno("creating", staging + "/checkpoints", errno);
        std::unique_ptr<HeldLock> lock = HeldLock::try_take(staging + "/run.lock", true);
        if (!lock) throw Error("reprise: locking " + staging + "/run.lock: held by another process");
        write_record(staging, job);
        if (::renameat(jobs_fd.get(), staging_name.c_str(), jobs_fd.get(), std::to_string(n).c_str()) != 0)
            throw_errno("renaming " + staging + " to", entry(n), errno);
        if (::fsync(jobs_fd.get()) != 0 && errno != EINVAL) throw_errno("fsync of directory", jobs_dir, errno);
        return lock;
    } catch (...) {
        boost::system::error_code ec;
        boost::filesystem::remove_all(staging, ec);
        throw;
    }
}

Job Registry::load(long id) const {
    const FileHandle dir = open_entry(id);
    const std::string path = entry(id) + "/job.json";
    const std::string advice = "; `reprise rm " + std::to_string(id) + "` removes the entry";
    auto corrupt = [&](const std::string& why) {
        return CorruptEntry("reprise: job " + std::to_string(id) + ": corrupt registry entry " + path + ": " +
                            why + advice);
    };
    struct stat st {};
    int err = 0;
    std::string why;
    const FileHandle file = open_regular(dir.get(), "job.json", O_RDONLY, 0, st, err, why);
    if (file.get() < 0) {
        if (err == ENOENT)
            throw CorruptEntry("reprise: job " + std::to_string(id) + ": corrupt registry entry: " + path +
                               " is missing" + advice);
        if (err == 0) throw corrupt(why);
        throw_errno("reading", path, err);
    }
    if (const std::string problem = ownership_problem(st, path, "the job record"); !problem.empty())
        throw UnsafeEntry("reprise: job " + std::to_string(id) + ": " + problem);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > kMaxRecordBytes)
        throw corrupt(std::to_string(size) + " bytes, too large for a job record");
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!text.empty()) {
        const std::string failed = detail::read_exact(file.get(), &text[0], size, 0);
        if (!failed.empty()) throw Error("reprise: reading " + path + ": " + failed);
    }
    Job job;
    try {
        FieldTracker tracker;
        nlohmann::json::sax_parse(text, &tracker);
        job = from_json(nlohmann::json::parse(text));
    } catch (const std::exception& e) {
        std::string message = e.what();
        if (message.rfind("reprise: ", 0) == 0) message.erase(0, 9);
        throw corrupt(message);
    }
    if (job.id != id) throw corrupt("it records job " + std::to_string(job.id));
    return job;
}

void Registry::save(const Job& job) const { write_record(entry(job.id), job); }

void Registry::remove(long id, std::unique_ptr<HeldLock> lock) const {
    const std::string from = entry(id);
    const std::string aside_name = ".removed-" + std::to_string(id) + "-" + detail::file_safe(host_name()) +
                                   "-" + std::to_string(::getpid());
    const std::string aside = root_ + "/jobs/" + aside_name;
    {
        const FileHandle jobs = open_subdirectory("jobs");
        if (::renameat(jobs.get(), std::to_string(id).c_str(), jobs.get(), aside_name.c_str()) != 0)
            throw_errno("removing job " + std::to_string(id) + ": renaming " + from + " to", aside, errno);
        if (::fsync(jobs.get()) != 0 && errno != EINVAL) throw_errno("fsync of directory", root_ + "/jobs", errno);
    }
    lock.reset(); // an open file would survive on NFS as .nfsXXXX and keep the directory
    boost::system::error_code ec;
    boost::filesystem::remove_all(aside, ec);
    if (ec) throw Error("reprise: removing " + aside + ": " + ec.message());
}

// ---- checkpoint files ---------------------------------------------------------------------

std::string default_job_key(long id) {
    return detail::job_key(detail::kGridEngine, std::to_string(id));
}

std::string checkpoint_directory(const Registry& registry, const Job& job) {
    return job.checkpoint_dir.empty() ? registry.checkpoints(job.id) : job.checkpoint_dir;
}

void remove_checkpoint_files(const Job& job) {
    if (job.checkpoint_dir.empty()) return;
    const std::unique_ptr<detail::Directory> dir = detail::Directory::open_existing(job.checkpoint_dir);
    if (!dir) return;
    const detail::FileNames names = detail::FileNames::of(job.name, job.job_key);
    // A file of checkpoint `checkpoint`'s (the job's own, or one rank's of an MPI job).
    auto of_checkpoint = [&](const detail::FileNames& n, const std::string& file) {
        return file == n.lock() || n.generation_of(file) != 0 || n.temporary_of(file) != 0;
    };
    // An MPI rank's files are named after "<name>.rank<r>" (inspect::rank_name).
    auto of_a_rank = [&](const std::string& file) {
        const std::string prefix = job.name + ".rank";
        if (!is_mpi_job(job) || file.compare(0, prefix.size(), prefix) != 0) return false;
        std::size_t end = prefix.size();
        while (end < file.size() && file[end] >= '0' && file[end] <= '9') ++end;
        const std::optional<std::uint64_t> rank = detail::decimal(file.substr(prefix.size(), end - prefix.size()));
        return rank && *rank <= static_cast<std::uint64_t>(std::numeric_limits<int>::max()) &&
               of_checkpoint(detail::FileNames::of(inspect::rank_name(job.name, static_cast<int>(*rank)), job.job_key), file);
    };
    for (const std::string& file : names_in(dir->fd(), job.checkpoint_dir)) {
        const bool ours = of_checkpoint(names, file) || names.commit_record_of(file) != 0 ||
                          names.commit_record_temporary_of(file) != 0 || of_a_rank(file);
        if (ours && ::unlinkat(dir->fd(), file.c_str(), 0) != 0 && errno != ENOENT)
            throw_errno("removing", job.checkpoint_dir + "/" + file, errno);
    }
}

std::string library_lock(const Registry& registry, const Job& job) {
    if (is_mpi_job(job)) return rank_lock(registry, job, 0);
    return inspect::lock_path(checkpoint_directory(registry, job), job.name, job.job_key);
}

std::vector<Generation> generations(const Registry& registry, const Job& job) {
    registry.open_entry(job.id); // this user's and private: its checkpoints/ is too
    const std::string dir = checkpoint_directory(registry, job);
    if (is_mpi_job(job)) return inspect::committed_generations(dir, job.name, job.job_key);
    return inspect::generations(dir, job.name, job.job_key);
}

} // namespace reprise::manager
