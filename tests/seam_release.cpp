// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Every wrapper of the system-call seam (reprise/detail/sys.hpp), called once. Compiled
// twice by tests/CMakeLists.txt: as a user's build compiles it (no REPRISE_TESTING), and as
// a test build does. seam-release.cmake then reads the symbols each object needs: the first
// must need nothing but the system calls themselves (no getenv, no seam, no C++ library),
// the second must need the seam (so that the check is seen to be able to fail).

#include "reprise/detail/sys.hpp"

namespace sys = reprise::detail::sys;

extern "C" {
int reprise_call_openat(int d, const char* n) { return sys::openat(d, n, O_RDONLY); }
int reprise_call_open_directory(const char* p) { return sys::open_directory(p); }
ssize_t reprise_call_pwrite(int fd, const void* p, std::size_t n) {
    return sys::pwrite(fd, p, n, 0);
}
ssize_t reprise_call_pread(int fd, void* p, std::size_t n) { return sys::pread(fd, p, n, 0); }
int reprise_call_fstat(int fd, struct stat* st) { return sys::fstat(fd, st); }
int reprise_call_fcntl(int fd) { return sys::fcntl(fd, F_GETFL, 0); }
int reprise_call_fcntl_lock(int fd, struct flock* l) { return sys::fcntl_lock(fd, F_SETLK, l); }
int reprise_call_fsync(int fd) { return sys::fsync(fd); }
int reprise_call_fsync_directory(int fd) { return sys::fsync_directory(fd); }
int reprise_call_close(int fd) { return sys::close(fd); }
int reprise_call_renameat(int d, const char* a, const char* b) { return sys::renameat(d, a, b); }
int reprise_call_unlinkat(int d, const char* n) { return sys::unlinkat(d, n); }
int reprise_call_ftruncate(int fd) { return sys::ftruncate(fd, 0); }
void reprise_call_start_writeback(int fd) { sys::start_writeback(fd, 0, 4096); }
}
