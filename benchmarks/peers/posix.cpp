// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The baseline of the side-by-side benchmark: the same bytes written durably by hand.
// Save: write in 4 MiB chunks to a new temporary file, fsync, close, rename over
// DIR/state.bin, fsync DIR. Restore: open and read the file into fresh memory, 1 GiB a call.
// Built and run by run.sh; see driver.hpp for the command line.

#include "driver.hpp"
#include "../durable_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace {

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "posix: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(1);
}

void write_durably(const std::string& dir, const double* data, std::uint64_t bytes) {
    const std::string failed =
        bench_baseline::write_durably(dir, "state.bin", reinterpret_cast<const char*>(data), bytes);
    if (!failed.empty()) die(failed);
}

bool read_back(const std::string& dir, double* data, std::uint64_t bytes) {
    const std::string path = dir + "/state.bin";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open " + path);
    char* p = reinterpret_cast<char*>(data);
    std::uint64_t done = 0;
    while (done < bytes) {
        // 1 GiB a call (Linux moves at most 0x7ffff000 bytes per call), as bench_reprise's
        // raw read: one large read lets the kernel read ahead as far as it likes.
        const ssize_t n = ::read(fd, p + done, std::min<std::uint64_t>(bytes - done, std::uint64_t{1} << 30));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("read " + path);
        if (n == 0) break;
        done += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return done == bytes;
}

} // namespace

int main(int argc, char** argv) {
    const peers::Args a = peers::parse(argc, argv);
    const std::uint64_t bytes = a.count * sizeof(double);
    std::unique_ptr<double[]> data(new double[a.count]); // untouched until filled or read
    if (a.save) {
        for (int k = 1; k <= a.checkpoints; ++k) {
            peers::fill(data.get(), a.count, k, a.seed);
            const double t0 = peers::now();
            write_durably(a.dir, data.get(), bytes);
            peers::report_save(k, peers::now() - t0);
        }
        return 0;
    }
    const double t0 = peers::now();
    const bool complete = read_back(a.dir, data.get(), bytes);
    const double seconds = peers::now() - t0;
    peers::report_restore(seconds, complete && peers::check(data.get(), a.count, a.checkpoints, a.seed));
    return 0;
}
