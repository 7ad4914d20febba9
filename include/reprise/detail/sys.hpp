// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_SYS_HPP
#define REPRISE_DETAIL_SYS_HPP

// The system-call seam of the save and restore paths, and the named kill points.
//
// In a normal build every wrapper is the system call itself and REPRISE_KILL_POINT is
// nothing (tests/seam_release.cpp proves it: no seam code is linked in). A test build
// (REPRISE_TESTING defined) reads these environment variables, so that a test can steer
// a child process without any other channel:
//
//   REPRISE_KILL_AT=<point>[@N]   raise SIGKILL at the N-th (default first) pass through
//                                 the named kill point (RocksDB's TEST_KILL_RANDOM, named).
//   REPRISE_KILL_SIGNAL=STOP      the kill point raises SIGSTOP instead: the process (every
//                                 thread) stops there and nothing more of it reaches the
//                                 file system, so that a power-loss test can copy the disk
//                                 as it is at that instant before it kills the process.
//   REPRISE_KILL_TRACE=<file>     append "<point> <N>" to <file> at every pass through a
//                                 kill point, so that a test can count the passes of one
//                                 save (how many writes a state of its size takes) rather
//                                 than assume them.
//   REPRISE_FAULT=<op>:<what>[@N][,...]
//                                 make the N-th call (default: every call) of <op> fail
//                                 with errno <what> (EIO, ENOSPC, EINTR, ...), or, for
//                                 write and read, <what> = short: transfer half the bytes.
//   REPRISE_FAULT_TRACE=<file>    append one line per call of any op to <file>:
//                                 "<op> <N> <target...>[ create][ fault=<what>]", N being
//                                 the number @N above would name, target the file name
//                                 (rename: from and to; directory ops: the directory's
//                                 path). A test runs once clean to learn every call, then
//                                 once per call with a fault aimed at it (tests/test_faults.cpp).
//
// Ops, one per system call: open (a file in the checkpoint directory), diropen (the
// directory itself), write (pwrite), read (pread), stat (fstat), fcntl (F_GETFL/F_SETFL),
// truncate (ftruncate), fsync, dirfsync (fsync of the directory), close, rename, unlink;
// the job's lock file has its own, lockopen lock lockread locktruncate lockwrite, so that
// taking the lock does not shift the numbers of the save path's calls.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio> // renameat
#include <fcntl.h>
#include <sys/mman.h> // madvise
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
// The name each descriptor was opened under, for the trace of calls that take a descriptor.
inline std::map<int, std::string>& seam_fd_names() {
    static std::map<int, std::string> names;
    return names;
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

// Appends `line` and a newline to the file at `path`: one write(2) with O_APPEND, so whole
// lines whatever the threads do. Raw calls, so that a trace never traces itself; keeps errno.
inline void append_trace_line(const char* path, const std::string& line) {
    const int saved = errno;
    const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        const std::string text = line + "\n";
        [[maybe_unused]] const ssize_t n = ::write(fd, text.data(), text.size());
        ::close(fd);
    }
    errno = saved;
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
    if (tracing) append_trace_line(trace, std::string(name) + " " + std::to_string(count));
    if (spec && *spec && seam_matches(spec, name, count, nullptr)) {
        // SIGKILL cannot be caught: the process dies here, exactly as under the OOM killer.
        // SIGSTOP cannot be caught either; a process continued after it waits here forever.
        const char* how = std::getenv("REPRISE_KILL_SIGNAL");
        ::kill(::getpid(), how && std::strcmp(how, "STOP") == 0 ? SIGSTOP : SIGKILL);
        for (;;) ::pause();
    }
}

// Appends `line` to the REPRISE_FAULT_TRACE file, if one is named; the caller holds
// seam_mutex().
inline void seam_trace_append(const std::string& line) {
    const char* trace = std::getenv("REPRISE_FAULT_TRACE");
    if (trace && *trace) append_trace_line(trace, line);
}

// A line of the test's own in the trace ("# <note>"), e.g. where each save begins.
inline void seam_trace_note(const std::string& note) {
    std::lock_guard<std::mutex> lock(seam_mutex());
    seam_trace_append("# " + note);
}

// The name `fd` was opened under, for the trace; "fd<N>" for one opened elsewhere.
inline std::string seam_name_of(int fd) {
    std::lock_guard<std::mutex> lock(seam_mutex());
    const auto it = seam_fd_names().find(fd);
    return it != seam_fd_names().end() ? it->second : "fd" + std::to_string(fd);
}

// After a successful open: `fd` is `name` for the trace until it is closed.
inline void seam_opened(int fd, const std::string& name) {
    if (fd < 0) return;
    std::lock_guard<std::mutex> lock(seam_mutex());
    seam_fd_names()[fd] = name;
}
inline void seam_closed(int fd) {
    std::lock_guard<std::mutex> lock(seam_mutex());
    seam_fd_names().erase(fd);
}

// One call of `op` on `target`: counted and traced, and 0: no fault; -1: a short
// transfer; otherwise the errno to fail with.
inline int injected_fault(const char* op, const std::string& target = std::string(),
                          bool create = false) {
    const char* spec = std::getenv("REPRISE_FAULT");
    const char* trace = std::getenv("REPRISE_FAULT_TRACE");
    if ((!spec || !*spec) && (!trace || !*trace)) return 0;
    std::lock_guard<std::mutex> lock(seam_mutex());
    const unsigned long count = ++seam_counters()[std::string("fault:") + op];
    int fault = 0;
    std::string what;
    const std::string all(spec ? spec : "");
    std::size_t start = 0;
    while (!all.empty() && start <= all.size()) {
        const auto comma = all.find(',', start);
        const std::string item = all.substr(start, comma - start);
        if (seam_matches(item, op, count, &what)) {
            static const std::pair<const char*, int> names[] = {
                {"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EINTR", EINTR}, {"EROFS", EROFS},
                {"EACCES", EACCES}, {"EFBIG", EFBIG},   {"EDQUOT", EDQUOT}, {"EXDEV", EXDEV},
                {"ENOENT", ENOENT}, {"EPERM", EPERM},
            };
            fault = EIO;
            if (what == "short") fault = -1;
            for (const auto& n : names)
                if (what == n.first) fault = n.second;
            break;
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    seam_trace_append(std::string(op) + " " + std::to_string(count) +
                      (target.empty() ? std::string() : " " + target) +
                      (create ? " create" : "") + (fault ? " fault=" + what : std::string()));
    return fault;
}

#define REPRISE_KILL_POINT(name) ::reprise::detail::kill_point(name)
// `target` (the file name, for the trace) is evaluated in test builds only.
#define REPRISE_FAULT_SEAM(op, target, short_result, n)                                           \
    do {                                                                                          \
        const int reprise_fault_ = ::reprise::detail::injected_fault(op, target);                 \
        if (reprise_fault_ > 0) {                                                                 \
            errno = reprise_fault_;                                                               \
            return -1;                                                                            \
        }                                                                                         \
        if (reprise_fault_ < 0 && (n) > 1) short_result;                                          \
    } while (0)
#define REPRISE_SEAM_NAME_OF(fd) ::reprise::detail::seam_name_of(fd)
#define REPRISE_SEAM_OPENED(fd, name) ::reprise::detail::seam_opened(fd, name)

#else

#define REPRISE_KILL_POINT(name) ((void)0)
#define REPRISE_FAULT_SEAM(op, target, short_result, n) ((void)0)
#define REPRISE_SEAM_OPENED(fd, name) ((void)0)

#endif

// The wrappers. Each is one system call; the seam above is compiled in test builds only.
// `op` names the call for REPRISE_FAULT: the lock file's calls pass their own.
namespace sys {

inline int openat(int dirfd, const char* name, int flags, mode_t mode = 0,
                  [[maybe_unused]] const char* op = "open") {
#ifdef REPRISE_TESTING
    if (const int e = injected_fault(op, name, (flags & O_CREAT) != 0); e > 0) {
        errno = e;
        return -1;
    }
#endif
    const int fd = ::openat(dirfd, name, flags, mode);
    REPRISE_SEAM_OPENED(fd, name);
    return fd;
}

// Opens the directory `path` itself (O_DIRECTORY), for the *at calls and its fsync.
inline int open_directory(const char* path) {
    REPRISE_FAULT_SEAM("diropen", path, (void)0, 0);
    const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REPRISE_SEAM_OPENED(fd, path);
    return fd;
}

// Opens the directory `dirfd` again (".") for a listing with a file offset of its own;
// `path` names it for the seam.
inline int open_listing(int dirfd, [[maybe_unused]] const char* path) {
    REPRISE_FAULT_SEAM("listopen", path, (void)0, 0);
    const int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REPRISE_SEAM_OPENED(fd, path);
    return fd;
}

inline ssize_t pwrite(int fd, const void* data, std::size_t n, off_t offset,
                      [[maybe_unused]] const char* op = "write") {
    REPRISE_FAULT_SEAM(op, REPRISE_SEAM_NAME_OF(fd), return ::pwrite(fd, data, n / 2, offset), n);
    return ::pwrite(fd, data, n, offset);
}

inline ssize_t pread(int fd, void* data, std::size_t n, off_t offset,
                     [[maybe_unused]] const char* op = "read") {
    REPRISE_FAULT_SEAM(op, REPRISE_SEAM_NAME_OF(fd), return ::pread(fd, data, n / 2, offset), n);
    return ::pread(fd, data, n, offset);
}

inline int fstat(int fd, struct stat* st) {
    REPRISE_FAULT_SEAM("stat", REPRISE_SEAM_NAME_OF(fd), (void)0, 0);
    return ::fstat(fd, st);
}

// fcntl with an int argument (F_GETFL, F_SETFL) or a lock (F_OFD_SETLK, F_SETLK).
inline int fcntl(int fd, int cmd, int arg) {
    REPRISE_FAULT_SEAM("fcntl", REPRISE_SEAM_NAME_OF(fd), (void)0, 0);
    return ::fcntl(fd, cmd, arg);
}
// fstatat of `name` in `dirfd`, not following a final symbolic link.
inline int fstatat(int dirfd, const char* name, struct stat* st,
                   [[maybe_unused]] const char* op = "stat") {
    REPRISE_FAULT_SEAM(op, name, (void)0, 0);
    return ::fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW);
}
inline int fcntl_lock(int fd, int cmd, struct flock* lock) {
    REPRISE_FAULT_SEAM("lock", REPRISE_SEAM_NAME_OF(fd), (void)0, 0);
    return ::fcntl(fd, cmd, lock);
}

// A write lock on the whole of the open file `fd`, without waiting: Linux's
// open-file-description lock (F_OFD_SETLK, 3.15), owned by this open file only, so that no
// other close() in the process drops it; on a kernel without them (EINVAL) and when
// `classic_fallback`, a classic POSIX record lock (F_SETLK). Returns 0 or -1 with errno.
inline struct flock whole_file_write_lock() {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET; // l_start = l_len = 0: the whole file, however long
    return lock;
}

inline int lock_whole_file(int fd, bool classic_fallback) {
    struct flock lock = whole_file_write_lock();
    int rc = fcntl_lock(fd, F_OFD_SETLK, &lock);
    if (rc != 0 && errno == EINVAL && classic_fallback) rc = fcntl_lock(fd, F_SETLK, &lock);
    return rc;
}

// Drops the lock lock_whole_file() took on the open file `fd`. An OFD lock belongs to the
// open file, which a fork()ed child shares until its fork handler closes its copy: a
// close() of ours alone would leave the job locked for that moment. Returns 0 or -1 with
// errno.
inline int unlock_whole_file(int fd) {
    struct flock lock = whole_file_write_lock();
    lock.l_type = F_UNLCK;
    int rc = fcntl_lock(fd, F_OFD_SETLK, &lock);
    if (rc != 0 && errno == EINVAL) {
        lock = whole_file_write_lock();
        lock.l_type = F_UNLCK;
        rc = fcntl_lock(fd, F_SETLK, &lock);
    }
    return rc;
}

// Whether another holds a write lock on the open file `fd` (F_OFD_GETLK; F_GETLK on a
// kernel without OFD locks): 1 held, 0 free, -1 with errno when the file system cannot
// say.
inline int whole_file_locked(int fd) {
    struct flock lock = whole_file_write_lock();
    int rc = fcntl_lock(fd, F_OFD_GETLK, &lock);
    if (rc != 0 && errno == EINVAL) { // a kernel without OFD locks: the classic query
        lock = whole_file_write_lock();
        rc = fcntl_lock(fd, F_GETLK, &lock);
    }
    if (rc != 0) return -1;
    return lock.l_type == F_UNLCK ? 0 : 1;
}

inline int fsync(int fd) {
    REPRISE_FAULT_SEAM("fsync", REPRISE_SEAM_NAME_OF(fd), (void)0, 0);
    return ::fsync(fd);
}

inline int fsync_directory(int dirfd) {
    REPRISE_FAULT_SEAM("dirfsync", REPRISE_SEAM_NAME_OF(dirfd), (void)0, 0);
    return ::fsync(dirfd);
}

inline int close(int fd) {
#ifdef REPRISE_TESTING
    const int e = injected_fault("close", seam_name_of(fd));
    seam_closed(fd);
    if (e > 0) {
        ::close(fd); // as on Linux, the descriptor is gone even when close reports an error
        errno = e;
        return -1;
    }
#endif
    return ::close(fd);
}

inline int renameat(int dirfd, const char* from, const char* to) {
    REPRISE_FAULT_SEAM("rename", std::string(from) + " " + to, (void)0, 0);
    return ::renameat(dirfd, from, dirfd, to);
}

inline int unlinkat(int dirfd, const char* name) {
    REPRISE_FAULT_SEAM("unlink", name, (void)0, 0);
    return ::unlinkat(dirfd, name, 0);
}

inline int ftruncate(int fd, off_t size, [[maybe_unused]] const char* op = "truncate") {
    REPRISE_FAULT_SEAM(op, REPRISE_SEAM_NAME_OF(fd), (void)0, 0);
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

// Releases the blocks of [offset, offset + size) of a file, its size unchanged
// (FALLOC_FL_PUNCH_HOLE): the disk space that bytes no reader looks at any more took (the
// tail of a compressed chunk's place in a recycled file). Only space: a file system that
// cannot punch keeps the bytes, so a failure is of no consequence and there is no seam.
inline void release_range(int fd, std::uint64_t offset, std::uint64_t size) {
#if defined(__linux__) && defined(FALLOC_FL_PUNCH_HOLE)
    (void)::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                      static_cast<off_t>(size));
#else
    (void)fd, (void)offset, (void)size;
#endif
}

// Asks the kernel to map the pages of [address, address + bytes) now, writable
// (MADV_POPULATE_WRITE, Linux 5.14): a hint, without a seam; nothing on older kernels.
inline void populate_for_write(void* address, std::size_t bytes) {
#if defined(MADV_POPULATE_WRITE)
    (void)::madvise(address, bytes, MADV_POPULATE_WRITE);
#else
    (void)address, (void)bytes;
#endif
}

// Tells the kernel a range is about to be read in order (a restore's payload): a hint,
// without a seam either.
inline void advise_sequential(int fd, std::uint64_t offset, std::uint64_t size) {
#if defined(__linux__)
    ::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(size),
                    POSIX_FADV_SEQUENTIAL);
#else
    (void)fd, (void)offset, (void)size;
#endif
}

} // namespace sys
} // namespace reprise::detail

#endif
