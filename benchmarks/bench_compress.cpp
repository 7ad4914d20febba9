// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Compressed files (REPRISE_COMPRESS, Options::compress): where compression pays and where
// it does not. For a state that compresses (a field on a coarse grid, as a simulation's
// often is) and one that does not (random doubles), each timed beside the raw baseline of
// the same run (write + fsync + rename + directory fsync of the same bytes, and a raw read
// into fresh memory):
//
//   save, none        a sync save without compression, into a new file
//   save, zstd:L      the same with compression
//   restore, none     a restore in a new Checkpointer, page cache dropped
//   restore, zstd:L   the same, of the compressed file
//
// and the file's size on disk (st_blocks) over its size. Run it on a fast disk and on a
// bandwidth-limited one (benchmarks/throttled_dir.sh), where compression pays most:
//
//   ./build/benchmarks/bench_compress --dir /var/tmp/bench --size-mib 1024
//   benchmarks/throttled_dir.sh --mib-per-s 200 -- ./build/benchmarks/bench_compress --dir {dir}
//
// Options: --size-mib N (default 1024), --repeat N (default 3; the median is printed),
// --levels L,L (default 1), --dir DIR (default ./bench-compress-data). Never fails on a
// figure; exits 1 when a restored state differs from the saved one.

#include "harness.hpp"

#include <reprise/reprise.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace {

using bench::Clock;
using bench::seconds_since;

struct Config {
    std::uint64_t size_mib = 1024;
    int repeat = 3;
    std::vector<std::string> levels = {"zstd"};
    std::string dir = "bench-compress-data";
};

std::vector<double> compressible(std::size_t n) {
    std::vector<double> v(n);
    std::mt19937_64 random(11);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<double>(i / 256) * 1e-3);
    for (std::size_t i = 0; i < n; i += 997) v[i] = static_cast<double>(random() % 1000);
    return v;
}

std::vector<double> incompressible(std::size_t n) {
    std::vector<double> v(n);
    std::mt19937_64 random(12);
    for (double& x : v) x = std::ldexp(static_cast<double>(random() >> 11), -53);
    return v;
}

reprise::Options options_for(const std::string& dir, const std::string& compress) {
    reprise::Options o;
    o.directory = dir;
    o.name = "bench";
    o.job = "compress";
    o.quiet = true;
    o.handle_signals = false;
    o.compress = compress;
    o.restore = reprise::RestorePolicy::always;
    return o;
}

std::uint64_t disk_bytes(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) bench::fail("stat " + path, errno);
    return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

// One save of `field` into a new file under `dir`, then (cache dropped) one restore; the
// two times, and the file's bytes on disk.
struct Trial {
    double save = 0, restore = 0;
    std::uint64_t on_disk = 0, size = 0;
};

Trial trial(const std::string& dir, const std::string& compress, std::vector<double>& field) {
    std::system(("rm -rf '" + dir + "'").c_str());
    Trial t;
    {
        reprise::Checkpointer c(options_for(dir, compress));
        c.track("field", field);
        bench::quiesce(true);
        const auto start = Clock::now();
        c.save();
        t.save = seconds_since(start);
    }
    const std::string path = dir + "/bench.compress.0000000001.ckpt";
    t.on_disk = disk_bytes(path);
    struct stat st {};
    ::stat(path.c_str(), &st);
    t.size = static_cast<std::uint64_t>(st.st_size);
    std::vector<double> restored;
    {
        reprise::Checkpointer c(options_for(dir, ""));
        c.track("field", restored);
        bench::quiesce(true);
        const auto start = Clock::now();
        if (!c.restore()) bench::fail("nothing restored from " + dir, 0);
        t.restore = seconds_since(start);
    }
    if (restored != field) {
        std::fprintf(stderr, "bench_compress: the restored state differs (%s)\n", compress.c_str());
        std::exit(1);
    }
    return t;
}

void run(const Config& c) {
    const std::uint64_t bytes = c.size_mib * bench::kMiB;
    const std::size_t n = static_cast<std::size_t>(bytes / sizeof(double));
    std::printf("bench_compress: %llu MiB, %d trials (median), load %s, in %s\n",
                static_cast<unsigned long long>(c.size_mib), c.repeat,
                bench::load_average().c_str(), c.dir.c_str());
    std::printf("%-16s %-10s %10s %10s %10s %10s %9s\n", "state", "codec", "save", "x raw",
                "restore", "x raw", "on disk");
    for (const bool squeezable : {true, false}) {
        std::vector<double> field = squeezable ? compressible(n) : incompressible(n);
        std::vector<std::string> codecs = {""};
        codecs.insert(codecs.end(), c.levels.begin(), c.levels.end());
        // Interleaved: each trial measures the raw baseline, then every codec.
        std::vector<double> raw_write, raw_read;
        std::vector<std::vector<double>> saves(codecs.size()), restores(codecs.size());
        std::vector<double> share(codecs.size());
        for (int r = 0; r < c.repeat; ++r) {
            raw_write.push_back(bench::raw_durable_write(c.dir + "-raw", reinterpret_cast<const char*>(field.data()),
                                                         bytes, true));
            for (std::size_t k = 0; k < codecs.size(); ++k) {
                const Trial t = trial(c.dir, codecs[k], field);
                saves[k].push_back(t.save);
                restores[k].push_back(t.restore);
                share[k] = static_cast<double>(t.on_disk) / static_cast<double>(t.size);
                if (k == 0) {
                    bench::quiesce(true);
                    raw_read.push_back(bench::raw_read(c.dir + "/bench.compress.0000000001.ckpt"));
                }
            }
        }
        const double w = bench::median(raw_write), rd = bench::median(raw_read);
        std::printf("%-16s %-10s %9.3fs %10s %9.3fs %10s %9s\n",
                    squeezable ? "compressible" : "incompressible", "raw", w, "1.00", rd, "1.00", "");
        for (std::size_t k = 0; k < codecs.size(); ++k) {
            const double s = bench::median(saves[k]), l = bench::median(restores[k]);
            std::printf("%-16s %-10s %9.3fs %10.2f %9.3fs %10.2f %8.0f%%\n", "",
                        codecs[k].empty() ? "none" : codecs[k].c_str(), s, s / w, l, l / rd,
                        100.0 * share[k]);
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) bench::fail(arg + " needs a value", 0);
            return argv[++i];
        };
        if (arg == "--size-mib")
            c.size_mib = std::stoull(value());
        else if (arg == "--repeat")
            c.repeat = std::stoi(value());
        else if (arg == "--dir")
            c.dir = value();
        else if (arg == "--levels") {
            c.levels.clear();
            std::string list = value();
            for (std::size_t at = 0; at <= list.size();) {
                const std::size_t comma = std::min(list.find(',', at), list.size());
                c.levels.push_back("zstd:" + list.substr(at, comma - at));
                at = comma + 1;
            }
        } else {
            std::fprintf(stderr, "usage: %s [--size-mib N] [--repeat N] [--levels L,L] [--dir DIR]\n", argv[0]);
            return 2;
        }
    }
    std::system(("mkdir -p '" + c.dir + "-raw'").c_str());
    run(c);
    std::system(("rm -rf '" + c.dir + "' '" + c.dir + "-raw'").c_str());
    return 0;
}
