// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_DURABLE_FILE_HPP
#define REPRISE_DETAIL_DURABLE_FILE_HPP

// The one durable-write path (Redis rdb.c, leveldb env_posix.cc): every checkpoint file
// reaches the disk through write_durably() and nothing else.

#include "reprise/detail/naming.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/detail/sys.hpp"

// The one place in include/ that uses Boost.Filesystem, and its narrowest header (in Boost
// 1.74 operations.hpp brings path.hpp with it). Under REPRISE_SEPARATE_COMPILATION only
// the file that includes <reprise/impl.hpp> parses it (docs/benchmarks.md, "Compile cost").
#include <boost/filesystem/operations.hpp>

#include <csignal>
#include <dirent.h>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace reprise::detail {

// A callable borrowed for the length of one call (a "function_ref"): a pointer to it and one
// function that calls it. write_durably takes its producer this way rather than as a
// std::function, which costs, in every translation unit, a heap-capable wrapper and its
// manager for each lambda passed to it.
template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    template <class F, class = std::enable_if_t<!std::is_same<std::decay_t<F>, FunctionRef>::value>>
    FunctionRef(F&& f) noexcept // NOLINT: implicit, as the std::function it replaces
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* object, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
    void* object_;
    R (*call_)(void*, Args...);
};

// An open directory. Files are created, renamed and removed relative to its descriptor,
// so a directory renamed or replaced under us cannot redirect them elsewhere.
class Directory {
public:
    // Creates `path` (and its parents) when missing, then opens it.
    explicit Directory(std::string path) : path_(std::move(path)) {
        boost::system::error_code ec;
        boost::filesystem::create_directories(path_, ec);
        if (ec) throw Error("reprise: creating directory " + path_ + ": " + ec.message(), ErrorKind::io);
        fd_ = sys::open_directory(path_.c_str());
        if (fd_ < 0) throw_errno("opening directory", path_, errno);
    }
    ~Directory() {
        if (fd_ >= 0) sys::close(fd_);
    }

    // Opens the directory `path` as it is, creating nothing: for the readers (reprise/
    // inspect.hpp), which must not leave an empty checkpoint directory behind a look.
    // Returns nullptr when there is none (ENOENT).
    // @throws Error for any other failure, naming the path.
    static std::unique_ptr<Directory> open_existing(std::string path) {
        const int fd = sys::open_directory(path.c_str());
        if (fd < 0) {
            if (errno == ENOENT) return nullptr;
            throw_errno("opening directory", path, errno);
        }
        return std::unique_ptr<Directory>(new Directory(std::move(path), fd));
    }
    Directory(const Directory&) = delete;
    Directory& operator=(const Directory&) = delete;

    int fd() const noexcept { return fd_; }
    const std::string& path() const noexcept { return path_; }
    std::string path_of(const std::string& name) const { return path_ + "/" + name; }

    // fsync of the directory makes a rename or unlink durable (leveldb issue #195). Some
    // file systems cannot sync a directory and say EINVAL: nothing more can be done there.
    void sync() const {
        if (sys::fsync_directory(fd_) != 0 && errno != EINVAL)
            throw_errno("fsync of directory", path_, errno);
    }

    // Calls f(name) for every entry of the directory, read through its descriptor: a
    // chdir() of the program, or the path renamed or replaced, changes nothing. A fresh
    // open of "." gives readdir a file offset of its own.
    // @throws Error when it cannot be listed.
    template <class F>
    void for_each_name(F&& f) const {
        const int fd = sys::open_listing(fd_, path_.c_str());
        if (fd < 0) throw_errno("listing", path_, errno);
        DIR* listing = ::fdopendir(fd);
        if (!listing) {
            const int err = errno;
            sys::close(fd);
            throw_errno("listing", path_, err);
        }
        struct Close {
            DIR* d;
            int fd;
            ~Close() {
#ifdef REPRISE_TESTING
                seam_closed(fd);
#endif
                ::closedir(d);
            }
        } close{listing, fd};
        for (;;) {
            errno = 0;
            const struct dirent* entry = ::readdir(listing);
            if (!entry) break;
            const char* name = entry->d_name;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
                continue;
            f(std::string(name));
        }
        if (errno != 0) throw_errno("listing", path_, errno);
    }

    // Removes `name`; a file already gone is not an error.
    void remove(const std::string& name) const {
        if (sys::unlinkat(fd_, name.c_str()) != 0 && errno != ENOENT)
            throw_errno("removing", path_of(name), errno);
    }

private:
    Directory(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

    std::string path_;
    int fd_ = -1;
};

// Where a producer writes the bytes of a new file: positioned writes, each one complete.
// Every few MiB written it asks the kernel to start writing them back (sync_file_range,
// SYNC_FILE_RANGE_WRITE: no wait, no durability promise), so that the disk works while the
// producer serializes the rest and the final fsync has little left to do; left alone, the
// kernel would start only at the dirty-memory threshold, gigabytes on a large machine.
class FileSink {
public:
    // `recycled_size`: the size of what the file held before (a recycled generation, whose
    // bytes a writer may leave where they are equal to the new ones); 0 for a new file.
    FileSink(int fd, std::string path, std::uint64_t recycled_size = 0)
        : fd_(fd), path_(std::move(path)), recycled_size_(recycled_size) {}

    // One past the last byte written so far.
    std::uint64_t end() const noexcept { return end_; }

    // The size of the recycled file this one overwrites (0: a new file).
    std::uint64_t recycled_size() const noexcept { return recycled_size_; }

    // Bytes written so far, counting every byte of every write (a rewritten one twice).
    std::uint64_t bytes_written() const noexcept { return written_; }

    // Reads `size` bytes of the recycled file at `offset` (before anything is written
    // there). Returns false on any failure, a short file included: the writer then
    // overwrites everything, as for a new file.
    bool read_recycled(std::uint64_t offset, char* into, std::size_t size) const {
        if (offset > recycled_size_ || size > recycled_size_ - offset) return false;
        while (size > 0) {
            const ssize_t n = sys::pread(fd_, into, size, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            into += n;
            offset += static_cast<std::uint64_t>(n);
            size -= static_cast<std::size_t>(n);
        }
        return true;
    }

    // Writes all `size` bytes at `offset`, through short writes and EINTR; throws Error.
    void write_at(std::uint64_t offset, const char* data, std::size_t size) {
        while (size > 0) {
            // Linux transfers at most 0x7ffff000 bytes per call; ask for no more.
            const std::size_t chunk = size < (std::size_t(1) << 30) ? size : (std::size_t(1) << 30);
            const ssize_t n = sys::pwrite(fd_, data, chunk, static_cast<off_t>(offset));
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("writing", path_, errno);
            }
            if (n == 0) throw_errno("writing", path_, EIO); // no progress: not a disk we can use
            data += n;
            offset += static_cast<std::uint64_t>(n);
            size -= static_cast<std::size_t>(n);
            written_ += static_cast<std::uint64_t>(n);
            if (offset > end_) end_ = offset;
            REPRISE_KILL_POINT("mid-write");
        }
        if (end_ >= started_ + kWritebackStep) {
            sys::start_writeback(fd_, started_, end_ - started_);
            started_ = end_;
        }
    }

    // Releases the disk blocks of [offset, offset + size), which no reader looks at (a
    // hint: sys::release_range).
    void release(std::uint64_t offset, std::uint64_t size) { sys::release_range(fd_, offset, size); }

    // The bytes of the file that hold data, told by the writer of a file of compressed
    // chunks (the file's size counts each chunk's whole place); 0: all of end().
    std::uint64_t stored_size() const noexcept { return stored_ ? stored_ : end_; }
    void set_stored_size(std::uint64_t bytes) noexcept { stored_ = bytes; }

    const std::string& path() const noexcept { return path_; }

private:
    static constexpr std::uint64_t kWritebackStep = std::uint64_t(8) << 20;

    int fd_;
    std::string path_;
    std::uint64_t recycled_size_;
    std::uint64_t end_ = 0;
    std::uint64_t written_ = 0;
    std::uint64_t stored_ = 0;
    std::uint64_t started_ = 0; // writeback asked for up to here
};

// While a save writes, SIGXFSZ is ignored so that RLIMIT_FSIZE fails the write with EFBIG
// (a failed save the computation survives) instead of killing the process (setrlimit(2)).
// A disposition the program chose itself is left alone.
class FileSizeSignalGuard {
public:
    FileSizeSignalGuard() {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        struct sigaction current {};
        if (::sigaction(SIGXFSZ, nullptr, &current) == 0 && current.sa_handler == SIG_DFL &&
            !(current.sa_flags & SA_SIGINFO)) {
            active_ = ::sigaction(SIGXFSZ, &ignore, &previous_) == 0;
        }
    }
    ~FileSizeSignalGuard() {
        if (active_) ::sigaction(SIGXFSZ, &previous_, nullptr);
    }
    FileSizeSignalGuard(const FileSizeSignalGuard&) = delete;
    FileSizeSignalGuard& operator=(const FileSizeSignalGuard&) = delete;

private:
    struct sigaction previous_ {};
    bool active_ = false;
};

// Opening a FIFO or a device planted under one of our names must not block: opens of
// files that may be foreign say O_NONBLOCK (a FIFO without a reader then fails with ENXIO
// at once, fifo(7)), and the flag is cleared once fstat has shown a regular file, where it
// means nothing on Linux but might on other systems (open(2)).
inline bool clear_nonblocking(int fd) {
    const int flags = sys::fcntl(fd, F_GETFL, 0);
    return flags >= 0 && sys::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0;
}

// Renames the file `old_name` (a generation about to be discarded) to `temp` and opens it
// for reading and writing, so that the new generation overwrites its blocks instead of allocating new
// ones while the old ones are freed: freeing a large file costs a good fraction of a
// second of disk time on a file system mounted with `discard`, and writing into allocated blocks is faster too
// (RocksDB recycles its log files for the same reason). Only a plain file of ours with no
// other link qualifies: a hard link (a user's copy made with `cp -l`) must not be
// overwritten, and a FIFO planted there must not be waited on. Returns the descriptor and
// its current size, or -1 when `old_name` cannot be recycled; it is then gone or left for
// the caller to remove.
inline int open_recycled(const Directory& dir, const std::string& old_name,
                         const std::string& temp, std::uint64_t& size) {
    if (sys::renameat(dir.fd(), old_name.c_str(), temp.c_str()) != 0) return -1;
    const int fd =
        sys::openat(dir.fd(), temp.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st {};
    if (fd >= 0 && sys::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
        st.st_uid == ::geteuid() && clear_nonblocking(fd)) {
        size = static_cast<std::uint64_t>(st.st_size);
        return fd;
    }
    if (fd >= 0) sys::close(fd);
    sys::unlinkat(dir.fd(), temp.c_str()); // the creation that follows must not find it
    return -1;
}

// Writes the file `name` in `dir` so that, whatever kills the process or the machine and
// whenever, `name` is either absent, its previous content, or complete and durable:
// a temporary file beside it (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), filled by `produce`,
// fsync, a checked close, rename over `name`, fsync of the directory. On any failure the
// temporary file is removed and Error is thrown; a failed fsync is never retried, because
// after EIO the kernel may already have dropped the dirty pages (the "fsyncgate" lesson).
//
// `recycle`, when not empty, names a file of the same directory that is to be discarded
// anyway (the generation before the last): it becomes the temporary file and is
// overwritten (see open_recycled; the producer may read it first, FileSink::read_recycled),
// or, when it cannot be, is removed; it is gone once write_durably returns.
inline void write_durably(const Directory& dir, const std::string& name,
                          FunctionRef<void(FileSink&)> produce,
                          const std::string& recycle = std::string()) {
    const std::string temp = temporary_name(name);
    const std::string temp_path = dir.path_of(temp);
    // A temporary file can only be a leftover of a killed save (we hold the job's lock), or
    // something planted there: remove it rather than write through it.
    if (sys::unlinkat(dir.fd(), temp.c_str()) != 0 && errno != ENOENT)
        throw_errno("removing stale", temp_path, errno);

    FileSizeSignalGuard file_size_guard;
    std::uint64_t old_size = 0;
    int fd = -1;
    if (!recycle.empty()) {
        fd = open_recycled(dir, recycle, temp, old_size);
        // Not renamed: removed then, or the rename below would leave three generations.
        if (fd < 0 && sys::unlinkat(dir.fd(), recycle.c_str()) != 0 && errno != ENOENT)
            throw_errno("removing", dir.path_of(recycle), errno);
        REPRISE_KILL_POINT("after-recycle");
    }
    if (fd < 0) {
        old_size = 0;
        fd = sys::openat(dir.fd(), temp.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) throw_errno("creating", temp_path, errno);
    }
    try {
        REPRISE_KILL_POINT("before-write");
        FileSink sink(fd, temp_path, old_size);
        produce(sink);
        // A recycled file longer than the new content: cut the old bytes off.
        if (old_size > sink.end() && sys::ftruncate(fd, static_cast<off_t>(sink.end())) != 0)
            throw_errno("truncating", temp_path, errno);
        if (sys::fsync(fd) != 0) throw_errno("fsync", temp_path, errno);
        REPRISE_KILL_POINT("after-fsync");
        const int closed = sys::close(fd);
        fd = -1;
        // NFS reports deferred write errors at close (close(2)): the data may not be there.
        if (closed != 0) throw_errno("closing", temp_path, errno);
        REPRISE_KILL_POINT("after-close");
        if (sys::renameat(dir.fd(), temp.c_str(), name.c_str()) != 0)
            throw_errno("renaming", temp_path + " to " + name, errno);
    } catch (...) {
        if (fd >= 0) sys::close(fd);
        sys::unlinkat(dir.fd(), temp.c_str());
        throw;
    }
    REPRISE_KILL_POINT("after-rename");
    dir.sync();
    REPRISE_KILL_POINT("after-dir-fsync");
}

} // namespace reprise::detail

#endif
