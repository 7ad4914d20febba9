// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_LOCK_HPP
#define REPRISE_DETAIL_LOCK_HPP

// One live process per job: an fcntl write lock on "<stem>.lock" in the checkpoint
// directory. Open-file-description locks (F_OFD_SETLK, Linux 3.15) belong to this open
// file only, so no other close() in the process can drop them, unlike classic POSIX
// record locks (fcntl(2), "the lock is lost when any descriptor is closed"). Both kinds
// are released by the kernel when the process dies, however it dies, and both go
// through NFS's lock manager. The file holds "pid host" for the error message. A lock
// is only as good as the name that leads to it: verify() checks it before every save.

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/fork.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/parse.hpp"
#include "reprise/detail/posix_error.hpp"

#include <climits>
#include <optional>
#include <string>
#include <string_view>

namespace reprise::detail {

// ---- the lock file's contents -------------------------------------------------------------

// What a lock file says of its holder: one line "<pid> <host>\n", written once the lock
// is taken, for the message of a process that is refused, and for reprise/inspect.hpp.
struct LockRecord {
    unsigned long pid = 0;
    std::string host;
};

// The line a holder writes.
inline std::string encode_lock_record(long pid, const std::string& host) {
    return std::to_string(pid) + " " + host + "\n";
}

// The holder that `text`, a lock file's first bytes, names; nullopt when it names none: an
// empty file (its holder has not yet written) or one that is not "<pid> <host>" with a
// pid from 1 and a host of printable characters.
inline std::optional<LockRecord> decode_lock_record(std::string_view text) {
    const auto line_end = text.find('\n');
    if (line_end != std::string_view::npos) text = text.substr(0, line_end);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const std::optional<std::uint64_t> pid = decimal(text.substr(0, space));
    const std::string_view host = text.substr(space + 1);
    if (!pid || *pid == 0 || *pid > static_cast<std::uint64_t>(LONG_MAX) || host.empty() ||
        host.size() > kMaxNameBytes)
        return std::nullopt;
    for (const char ch : host) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f) return std::nullopt;
    }
    return LockRecord{static_cast<unsigned long>(*pid), std::string(host)};
}

// At most this much of a lock file is read: a record is far shorter.
inline constexpr std::size_t kMaxLockRecord = 512;

// The record in the open lock file `fd`; nullopt when it holds none (or cannot be read).
inline std::optional<LockRecord> read_lock_record(int fd) {
    char buffer[kMaxLockRecord];
    const ssize_t n = sys::pread(fd, buffer, sizeof buffer, 0, "lockread");
    if (n <= 0) return std::nullopt;
    return decode_lock_record(std::string_view(buffer, static_cast<std::size_t>(n)));
}

// ---- the lock primitive -------------------------------------------------------------------

// Takes a write lock on the whole of the open file `fd`, without waiting: an
// open-file-description lock (F_OFD_SETLK), or, on a kernel without them (EINVAL, Linux
// before 3.15) and when `classic_fallback`, a classic POSIX record lock (F_SETLK), which a
// fork()ed child does not share. Returns 0, or the errno: EAGAIN or EACCES when another
// holds it, ENOLCK when the file system has no lock manager (NFS without lockd).
inline int try_write_lock(int fd, bool classic_fallback) {
    return sys::lock_whole_file(fd, classic_fallback) == 0 ? 0 : errno;
}

// Whether some process holds a write lock on a file, asked without taking it.
enum class LockProbe {
    held,    // some process (on any host sharing the file) holds it
    free,    // nobody does
    absent,  // no such file
    unknown, // not a regular file (a FIFO or a device is never waited on, a link never
             // followed), or the file system cannot say (no lock manager on an NFS mount)
};

// Probes the file `name` in the directory `dirfd` (AT_FDCWD: `name` is a path) with
// F_OFD_GETLK (F_GETLK on a kernel without OFD locks). Fills `record` with what the file
// says of its holder when `record` is given. Never throws.
inline LockProbe probe_lock(int dirfd, const char* name,
                            std::optional<LockRecord>* record = nullptr) noexcept {
    const int fd = sys::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0,
                               "lockprobe");
    if (fd < 0) return errno == ENOENT ? LockProbe::absent : LockProbe::unknown;
    struct Close {
        int fd;
        ~Close() { sys::close(fd); }
    } close{fd};
    struct stat st {};
    if (sys::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return LockProbe::unknown;
    const int locked = sys::whole_file_locked(fd);
    if (record) {
        try {
            *record = read_lock_record(fd);
        } catch (...) { // an allocation
            record->reset();
        }
    }
    if (locked < 0) return LockProbe::unknown;
    return locked ? LockProbe::held : LockProbe::free;
}

// ---- the job's lock -----------------------------------------------------------------------

class JobLock {
public:
    JobLock(const Directory& dir, std::string name, std::string job, std::string host)
        : name_(std::move(name)), job_(std::move(job)), host_(std::move(host)) {
        fd_ = acquire(dir, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW);
        g_lock_fd.store(fd_);
    }

    ~JobLock() {
        if (fd_ < 0) return;
        int expected = fd_;
        g_lock_fd.compare_exchange_strong(expected, -1);
        // Unlocked first: a child fork()ed a moment ago may not have closed its copy of
        // this open file yet (fork.hpp), and the lock is the open file's. A failure leaves
        // the close, which releases it once no copy is left.
        (void)sys::unlock_whole_file(fd_);
        sys::close(fd_);
    }
    JobLock(const JobLock&) = delete;
    JobLock& operator=(const JobLock&) = delete;

    const std::string& file_name() const noexcept { return name_; }

    // Before every save, and before finish() removes anything: does the lock file's name
    // still lead to the file this lock holds? A person or a tmp cleaner may have removed
    // it, after which a second process of the job could lock a new file of that name and
    // both would write generations. Removed and not yet replaced: the name is taken back
    // (O_EXCL, then the lock), with a warning. Replaced by another file: Error, and the
    // caller overwrites nothing.
    void verify(const Directory& dir) {
        const std::string path = dir.path_of(name_);
        struct stat held {}, named {};
        if (sys::fstat(fd_, &held) != 0) throw_errno("checking lock file", path, errno);
        if (sys::fstatat(dir.fd(), name_.c_str(), &named, "lockstat") == 0) {
            if (named.st_dev == held.st_dev && named.st_ino == held.st_ino) return;
            throw Error("reprise: the lock file " + path + " of job " + job_ +
                        " was replaced by another file since this process took it (another "
                        "process of the job may be running); not saving, nothing is "
                        "overwritten", ErrorKind::lock_held);
        }
        if (errno != ENOENT) throw_errno("checking lock file", path, errno);
        int fd = -1;
        try {
            fd = acquire(dir, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW);
        } catch (const Error& e) {
            throw Error(std::string(e.what()) + " (the lock file " + path + " was removed "
                        "since this process took it; not saving, nothing is overwritten)",
                        e.kind());
        }
        g_lock_fd.store(fd);
        sys::close(fd_);
        fd_ = fd;
        log_line("reprise: warning: the lock file " + path + " was removed (by a person or a "
                 "tmp cleaner?); this process made it again and holds it");
    }

private:
    // Opens the lock file with `flags` and takes the lock; returns the descriptor.
    // @throws Error naming the holder when another process has it.
    int acquire(const Directory& dir, int flags) const {
        const std::string path = dir.path_of(name_);
        int fd = sys::openat(dir.fd(), name_.c_str(), flags, 0600, "lockopen");
        if (fd < 0) {
            if (errno == EEXIST)
                throw Error("reprise: job " + job_ + ": " + path + " was made again by another "
                            "process", ErrorKind::lock_held);
            throw_errno("opening lock file", path, errno);
        }
        if (const int err = try_write_lock(fd, true); err != 0) {
            const std::optional<LockRecord> holder =
                err == EAGAIN || err == EACCES ? read_lock_record(fd) : std::nullopt;
            sys::close(fd);
            if (err == EAGAIN || err == EACCES) {
                const std::string who =
                    holder ? "process " + std::to_string(holder->pid) + " on host " + holder->host
                           : std::string("another process (it has not yet written its pid)");
                throw Error("reprise: job " + job_ + " is already running: " + who + " holds " +
                            path + "; a job runs once at a time", ErrorKind::lock_held);
            }
            throw_errno("locking", path, err);
        }
        const std::string me = encode_lock_record(::getpid(), host_);
        // Best effort: the message of a refused second process is all this is for.
        if (sys::ftruncate(fd, 0, "locktruncate") == 0) {
            [[maybe_unused]] const ssize_t written =
                sys::pwrite(fd, me.data(), me.size(), 0, "lockwrite");
        }
        return fd;
    }

    std::string name_;
    std::string job_;
    std::string host_;
    int fd_ = -1;
};

} // namespace reprise::detail

#endif
