// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_SYS_HPP
#define REPRISE_DETAIL_SYS_HPP

// The system-call seam of the save and restore paths, and the named kill points.
//
// In a normal build every wrapper is the system call itself and REPRISE_KILL_POINT is
// nothing. A test build (REPRISE_TESTING defined) reads two environment variables, so that
// a test can steer a child process without any other channel:
//
//   REPRISE_KILL_AT=<point>[@N]   raise SIGKILL at the N-th (default first) pass through
//                                 the named kill point (RocksDB's TEST_KILL_RANDOM, named).
//   REPRISE_KILL_TRACE=<file>     append "<point> <N>" to <file> at every pass through a
//                                 kill point, so that a test can count the passes of one
//                                 save (how many writes a state of its size takes) rather
//                                 than assume them.
//   REPRISE_FAULT=<op>:<what>[@N][,...]
//                                 make the N-th call (default: every call) of <op> fail
//                                 with errno <what> (EIO, ENOSPC, EINTR, ...), or, for
//                                 write and read, <what> = short: transfer half the bytes.
//                                 Ops: open write fsync close rename dirfsync unlink read
//                                 truncate.

#include <cerrno>
#include <cstddef>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef REPRISE_TESTING
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#endif

namespace reprise::detail {

#ifdef REPRISE_TESTING

// How many times each kill point and each faulted operation has been passed.
inline std::mutex& seam_mutex() {
    static std::mutex m;
    return m;
}
inline std::map<std::string, unsigned long>& seam_counters() {
    static std::map<std::string, unsigned long> counters;
    return counters;
}

// Parses "<name>[@N]" at the start of `spec` (up to `end`); true when `name` matches and
// this pass (`count`, 1-based) is the one asked for.
inline bool seam_matches(const std::string& item, const std::string& name, unsigned long count,
                         std::string* what) {
    const auto at = item.find('@');
    std::string head = item.substr(0, at);
    unsigned long wanted = 0; // 0: every pass
    if (at != std::string::npos) wanted = std::strtoul(item.c_str() + at + 1, nullptr, 10);
    if (what) {
        const auto colon = head.find(':');
        if (colon == std::string::npos) return false;
        *what = head.substr(colon + 1);
        head.resize(colon);
    }
    return head == name && (wanted == 0 || wanted == count);
}

inline void kill_point(const char* name) {
    const char* spec = std::getenv("REPRISE_KILL_AT");
    const char* trace = std::getenv("REPRISE_KILL_TRACE");
    const bool tracing = trace && *trace;
    if ((!spec || !*spec) && !tracing) return;
    unsigned long count;
    {
        std::lock_guard<std::mutex> lock(seam_mutex());
        count = ++seam_counters()[std::string("kill:") + name];
    }
    if (tracing) {
        // One write(2) of one line with O_APPEND: whole lines, whatever the threads do.
        const std::string line = std::string(name) + " " + std::to_string(count) + "\n";
        const int fd = ::open(trace, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            (void)!::write(fd, line.data(), line.size());
            ::close(fd);
        }
    }
    if (spec && *spec && seam_matches(spec, name, count, nullptr)) {
        // SIGKILL cannot be caught: the process dies here, exactly as under the OOM killer.
        ::kill(::getpid(), SIGKILL);
        for (;;) ::pause();
    }
}

// 0: no fault; -1: a short transfer; otherwise the errno to fail with.
inline int injected_fault(const char* op) {
    const char* spec = std::getenv("REPRISE_FAULT");
    if (!spec || !*spec) return 0;
    unsigned long count;
    {
        std::lock_guard<std::mutex> lock(seam_mutex());
        count = ++seam_counters()[std::string("fault:") + op];
    }
    std::string all(spec);
    std::size_t start = 0;
    while (start <= all.size()) {
        const auto comma = all.find(',', start);
        const std::string item = all.substr(start, comma - start);
        std::string what;
        if (seam_matches(item, op, count, &what)) {
            static const std::pair<const char*, int> names[] = {
                {"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EINTR", EINTR}, {"EROFS", EROFS},
                {"EACCES", EACCES}, {"EFBIG", EFBIG},   {"EDQUOT", EDQUOT}, {"EXDEV", EXDEV},
                {"ENOENT", ENOENT}, {"EPERM", EPERM},
            };
            if (what == "short") return -1;
            for (const auto& n : names)
                if (what == n.first) return n.second;
            return EIO;
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return 0;
}

#define REPRISE_KILL_POINT(name) ::reprise::detail::kill_point(name)
#define REPRISE_FAULT_SEAM(op, short_result, n)                                                   \
    do {                                                                                          \
        const int reprise_fault_ = ::reprise::detail::injected_fault(op);                         \
        if (reprise_fault_ > 0) {                                                                 \
            errno = reprise_fault_;                                                               \
            return -1;                                                                            \
        }                                                                                         \
        if (reprise_fault_ < 0 && (n) > 1) short_result;                                          \
    } while (0)

#else

#define REPRISE_KILL_POINT(name) ((void)0)
#define REPRISE_FAULT_SEAM(op, short_result, n) ((void)0)

#endif

// The wrappers. Each is one system call; the seam above is compiled in test builds only.
namespace sys {

inline int openat(int dirfd, const char* name, int flags, mode_t mode = 0) {
    REPRISE_FAULT_SEAM("open", (void)0, 0);
    return ::openat(dirfd, name, flags, mode);
}

inline ssize_t pwrite(int fd, const void* data, std::size_t n, off_t offset) {
    REPRISE_FAULT_SEAM("write", return ::pwrite(fd, data, n / 2, offset), n);
    return ::pwrite(fd, data, n, offset);
}

inline ssize_t pread(int fd, void* data, std::size_t n, off_t offset) {
    REPRISE_FAULT_SEAM("read", return ::pread(fd, data, n / 2, offset), n);
    return ::pread(fd, data, n, offset);
}

inline int fsync(int fd) {
    REPRISE_FAULT_SEAM("fsync", (void)0, 0);
    return ::fsync(fd);
}

inline int fsync_directory(int dirfd) {
    REPRISE_FAULT_SEAM("dirfsync", (void)0, 0);
    return ::fsync(dirfd);
}

inline int close(int fd) {
#ifdef REPRISE_TESTING
    if (const int e = injected_fault("close"); e > 0) {
        ::close(fd); // as on Linux, the descriptor is gone even when close reports an error
        errno = e;
        return -1;
    }
#endif
    return ::close(fd);
}

inline int renameat(int dirfd, const char* from, const char* to) {
    REPRISE_FAULT_SEAM("rename", (void)0, 0);
    return ::renameat(dirfd, from, dirfd, to);
}

inline int unlinkat(int dirfd, const char* name) {
    REPRISE_FAULT_SEAM("unlink", (void)0, 0);
    return ::unlinkat(dirfd, name, 0);
}

inline int ftruncate(int fd, off_t size) {
    REPRISE_FAULT_SEAM("truncate", (void)0, 0);
    return ::ftruncate(fd, size);
}

// Starts writeback of a written range without waiting for it: a hint, whose failure is
// of no consequence (the fsync that follows reports any error), so it has no seam.
inline void start_writeback(int fd, std::uint64_t offset, std::uint64_t size) {
#if defined(__linux__)
    ::sync_file_range(fd, static_cast<off64_t>(offset), static_cast<off64_t>(size),
                      SYNC_FILE_RANGE_WRITE);
#else
    (void)fd, (void)offset, (void)size;
#endif
}

} // namespace sys
} // namespace reprise::detail

#endif
