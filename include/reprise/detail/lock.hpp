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
#include "reprise/detail/posix_error.hpp"

#include <string>

namespace reprise::detail {

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
                        "overwritten");
        }
        if (errno != ENOENT) throw_errno("checking lock file", path, errno);
        int fd = -1;
        try {
            fd = acquire(dir, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW);
        } catch (const Error& e) {
            throw Error(std::string(e.what()) + " (the lock file " + path + " was removed "
                        "since this process took it; not saving, nothing is overwritten)");
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
                            "process");
            throw_errno("opening lock file", path, errno);
        }
        struct flock lock {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        int rc = sys::fcntl_lock(fd, F_OFD_SETLK, &lock);
        if (rc != 0 && errno == EINVAL) rc = sys::fcntl_lock(fd, F_SETLK, &lock); // no OFD locks
        if (rc != 0) {
            const int err = errno;
            std::string holder;
            if (err == EAGAIN || err == EACCES) {
                char buffer[512] = {0};
                const ssize_t n = sys::pread(fd, buffer, sizeof buffer - 1, 0, "lockread");
                holder = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
                while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
                    holder.pop_back();
            }
            sys::close(fd);
            if (err == EAGAIN || err == EACCES) {
                const auto space = holder.find(' ');
                const std::string who =
                    space == std::string::npos
                        ? "another process (it has not yet written its pid)"
                        : "process " + holder.substr(0, space) + " on host " + holder.substr(space + 1);
                throw Error("reprise: job " + job_ + " is already running: " + who + " holds " +
                            path + "; a job runs once at a time");
            }
            throw_errno("locking", path, err);
        }
        const std::string me = std::to_string(::getpid()) + " " + host_ + "\n";
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
