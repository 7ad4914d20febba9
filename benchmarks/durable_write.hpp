// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_BENCHMARKS_DURABLE_WRITE_HPP
#define REPRISE_BENCHMARKS_DURABLE_WRITE_HPP

// The baseline every save figure is a ratio against: what any program must do to put
// `size` bytes durably in a file, and nothing more. A new temporary file beside the final
// one, written in 4 MiB pieces, fsync, a checked close, rename, fsync of the directory.
// One copy, for bench_reprise (harness.hpp), bench_mpi and the peers' POSIX driver, so that
// every table compares against the same thing. Only the C library and POSIX: the peers'
// script builds its drivers with a bare g++.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace bench_baseline {

// Writes `size` bytes of `data` as `dir`/`name`, durably (the temporary file is
// `name`.tmp). Returns "" on success, else the step that failed (errno tells why).
inline std::string write_durably(const std::string& dir, const std::string& name,
                                 const char* data, std::uint64_t size) {
    const std::string temp = dir + "/" + name + ".tmp", path = dir + "/" + name;
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return "creating " + temp;
    constexpr std::uint64_t kPiece = std::uint64_t(4) << 20;
    for (std::uint64_t done = 0; done < size;) {
        const ssize_t n = ::write(fd, data + done, static_cast<std::size_t>(std::min(kPiece, size - done)));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            const int err = errno;
            ::close(fd);
            errno = err;
            return "writing " + temp;
        }
        done += static_cast<std::uint64_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        return "fsync " + temp;
    }
    if (::close(fd) != 0) return "closing " + temp;
    if (::rename(temp.c_str(), path.c_str()) != 0) return "renaming " + temp;
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return "opening " + dir;
    const bool synced = ::fsync(dir_fd) == 0 || errno == EINVAL;
    const int err = errno;
    ::close(dir_fd);
    errno = err;
    return synced ? "" : "fsync " + dir;
}

} // namespace bench_baseline

#endif
