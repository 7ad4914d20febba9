// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Save and restore of one std::vector<double> against the machine's own limit, measured
// in the same run: raw write (4 MiB chunks) + fsync + rename + directory fsync of the same
// number of bytes, and a raw read of the same file into freshly allocated memory. Prints
// a table and, with --csv FILE, the same rows as CSV. As root, the page cache is dropped
// before each read so that both reads come from the disk.

#include <reprise/reprise.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

[[noreturn]] void die(const std::string& what) {
    std::perror(what.c_str());
    std::exit(1);
}

bool drop_page_cache() {
    ::sync();
    std::ofstream f("/proc/sys/vm/drop_caches");
    if (!f) return false;
    f << "3\n";
    return static_cast<bool>(f.flush());
}

// The baseline save: the bytes already in memory, written as fast as the disk takes them,
// made as durable as reprise makes its files.
double raw_save(const std::string& dir, const char* data, std::size_t size) {
    const std::string temp = dir + "/raw.tmp", final_name = dir + "/raw.bin";
    const auto start = Clock::now();
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open " + temp);
    const std::size_t chunk = 4u << 20;
    for (std::size_t off = 0; off < size;) {
        const ssize_t n = ::write(fd, data + off, std::min(chunk, size - off));
        if (n <= 0) die("write");
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) die("fsync");
    if (::close(fd) != 0) die("close");
    if (::rename(temp.c_str(), final_name.c_str()) != 0) die("rename");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    ::fsync(dfd);
    ::close(dfd);
    return seconds_since(start);
}

// The baseline restore: read the file into freshly allocated (untouched) memory.
double raw_read(const std::string& path, std::size_t size) {
    const auto start = Clock::now();
    std::unique_ptr<char[]> buffer(new char[size]);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open " + path);
    for (std::size_t off = 0; off < size;) {
        const ssize_t n = ::read(fd, buffer.get() + off, std::min<std::size_t>(size - off, 1u << 30));
        if (n < 0) die("read");
        if (n == 0) break;
        off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    volatile char sink = buffer[size / 2];
    (void)sink;
    return seconds_since(start);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    std::size_t mib = 1024;
    int repeat = 3;
    std::string dir = "bench-data", csv;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        if (arg == "--size-mib" && a + 1 < argc) mib = std::stoull(argv[++a]);
        else if (arg == "--repeat" && a + 1 < argc) repeat = std::max(1, std::stoi(argv[++a]));
        else if (arg == "--dir" && a + 1 < argc) dir = argv[++a];
        else if (arg == "--csv" && a + 1 < argc) csv = argv[++a];
        else {
            std::fprintf(stderr, "usage: %s [--size-mib N] [--repeat R] [--dir DIR] [--csv FILE]\n", argv[0]);
            return 2;
        }
    }
    ::mkdir(dir.c_str(), 0700);
    const std::size_t bytes = mib << 20;
    std::vector<double> state(bytes / sizeof(double));
    for (std::size_t k = 0; k < state.size(); ++k) state[k] = static_cast<double>(k) * 0.5;

    reprise::Options options;
    options.directory = dir;
    options.name = "bench";
    options.quiet = true;
    options.restore = reprise::RestorePolicy::always;
    options.handle_signals = false;

    const bool cold = drop_page_cache();
    std::vector<double> raw_w, ckpt_w, raw_r, ckpt_r;
    std::string checkpoint_path;
    for (int r = 0; r < repeat; ++r) {
        raw_w.push_back(raw_save(dir, reinterpret_cast<const char*>(state.data()), bytes));
        {
            reprise::Checkpointer ckpt(options);
            ckpt.track("state", state);
            const auto start = Clock::now();
            ckpt.save();
            ckpt_w.push_back(seconds_since(start));
            checkpoint_path = ckpt.path_of_generation(ckpt.generation());
        }
        if (cold) drop_page_cache();
        raw_r.push_back(raw_read(dir + "/raw.bin", bytes));
        if (cold) drop_page_cache();
        {
            std::vector<double> restored;
            reprise::Checkpointer ckpt(options);
            ckpt.track("state", restored);
            const auto start = Clock::now();
            if (!ckpt.restore()) die("restore found nothing");
            ckpt_r.push_back(seconds_since(start));
            if (restored != state) {
                std::fprintf(stderr, "restored state differs\n");
                return 1;
            }
        }
    }
    {
        reprise::Checkpointer ckpt(options);
        ckpt.finish();
    }
    ::unlink((dir + "/raw.bin").c_str());
    ::rmdir(dir.c_str());

    struct Row {
        const char* what;
        double reprise, baseline;
    } rows[] = {{"save (durable)", median(ckpt_w), median(raw_w)},
                {cold ? "restore (cold cache)" : "restore (warm cache)", median(ckpt_r), median(raw_r)}};
    std::printf("std::vector<double>, %zu MiB, median of %d\n", mib, repeat);
    std::printf("%-22s %12s %12s %12s %12s %7s\n", "operation", "reprise s", "reprise MB/s",
                "baseline s", "baseline MB/s", "ratio");
    for (const auto& row : rows)
        std::printf("%-22s %12.3f %12.0f %12.3f %12.0f %7.2f\n", row.what, row.reprise,
                    bytes / row.reprise / 1e6, row.baseline, bytes / row.baseline / 1e6,
                    row.baseline / row.reprise);
    if (!csv.empty()) {
        std::ofstream out(csv);
        out << "shape,mib,operation,reprise_s,baseline_s,ratio\n";
        for (const auto& row : rows)
            out << "vector<double>," << mib << ",\"" << row.what << "\"," << row.reprise << ","
                << row.baseline << "," << row.baseline / row.reprise << "\n";
    }
    return 0;
}
