// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_LOCK_HPP
#define REPRISE_DETAIL_LOCK_HPP

// One live process per job: an fcntl write lock on "<stem>.lock" in the checkpoint
// directory. Open-file-description locks (F_OFD_SETLK, Linux 3.15) belong to this open
// file only, so no other close() in the process can drop them, unlike classic POSIX
// record locks (fcntl(2), "the lock is lost when any descriptor is closed"). Both kinds
// are released by the kernel when the process dies, however it dies, and both go
// through NFS's lock manager. The file holds "pid host" for the error message.

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/posix_error.hpp"

#include <string>

namespace reprise::detail {

class JobLock {
public:
    JobLock(const Directory& dir, std::string name, const std::string& job, const std::string& host)
        : name_(std::move(name)) {
        const std::string path = dir.path_of(name_);
        fd_ = sys::openat(dir.fd(), name_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                          0600, "lockopen");
        if (fd_ < 0) throw_errno("opening lock file", path, errno);
        struct flock lock {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        int rc = sys::fcntl_lock(fd_, F_OFD_SETLK, &lock);
        if (rc != 0 && errno == EINVAL) rc = sys::fcntl_lock(fd_, F_SETLK, &lock); // no OFD locks
        if (rc != 0) {
            const int err = errno;
            std::string holder;
            if (err == EAGAIN || err == EACCES) {
                char buffer[512] = {0};
                const ssize_t n = sys::pread(fd_, buffer, sizeof buffer - 1, 0, "lockread");
                holder = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
                while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
                    holder.pop_back();
            }
            sys::close(fd_);
            fd_ = -1;
            if (err == EAGAIN || err == EACCES) {
                const auto space = holder.find(' ');
                const std::string who =
                    space == std::string::npos
                        ? "another process (it has not yet written its pid)"
                        : "process " + holder.substr(0, space) + " on host " + holder.substr(space + 1);
                throw Error("reprise: job " + job + " is already running: " + who + " holds " +
                            path + "; a job runs once at a time");
            }
            throw_errno("locking", path, err);
        }
        const std::string me = std::to_string(::getpid()) + " " + host + "\n";
        // Best effort: the message of a refused second process is all this is for.
        if (sys::ftruncate(fd_, 0, "locktruncate") == 0) {
            [[maybe_unused]] const ssize_t written =
                sys::pwrite(fd_, me.data(), me.size(), 0, "lockwrite");
        }
    }

    ~JobLock() {
        if (fd_ >= 0) sys::close(fd_);
    }
    JobLock(const JobLock&) = delete;
    JobLock& operator=(const JobLock&) = delete;

    const std::string& file_name() const noexcept { return name_; }

private:
    std::string name_;
    int fd_ = -1;
};

} // namespace reprise::detail

#endif
