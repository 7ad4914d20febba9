// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_BENCHMARKS_HARNESS_HPP
#define REPRISE_BENCHMARKS_HARNESS_HPP

// What every measurement of bench_reprise shares: clocks, the raw baselines (a durable
// write and a read of the same bytes, measured in the same run as reprise's figure),
// the page cache, resident memory, a forked child per memory measurement, and the table
// with its CSV and JSON forms. Nothing here knows about state shapes or reprise's API.

#include "durable_write.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

using Clock = std::chrono::steady_clock;

inline constexpr std::uint64_t kMiB = std::uint64_t(1) << 20;

inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] inline void fail(const std::string& what, int err) {
    throw std::runtime_error(what + ": " + std::strerror(err));
}

inline double median(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double minimum(const std::vector<double>& v) {
    return v.empty() ? NAN : *std::min_element(v.begin(), v.end());
}

// ---- the page cache ---------------------------------------------------------------------

// sync; echo 3 > /proc/sys/vm/drop_caches. False when not permitted (not root, or a
// container without a writable /proc/sys): the reads that follow are then warm.
inline bool drop_page_cache() {
    ::sync();
    const int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, "3\n", 2) == 2;
    ::close(fd);
    return ok;
}

// Before each timed operation: dirty pages and the discards of files removed since (the
// disk may be mounted with `discard`, ~0.4 s per GiB) must not land in it; and, when
// `drop_cache`, every operation starts from the same empty page cache. On a VM whose host
// takes back free guest memory (free page reporting), how fast the kernel fills the page
// cache depends on which memory was freed last: measured here, the write that followed a
// checkpoint save spent 2 s of system time in copy_folio_from_iter per GiB, the one that
// followed a raw write 0.2 s. Dropping the cache before each makes them all alike.
inline void quiesce(bool drop_cache) {
    ::sync();
    if (drop_cache) drop_page_cache();
}

// "1.02 1.10 0.98": the load averages (/proc/loadavg), for the record of a shared machine.
inline std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

// ---- the raw baselines ------------------------------------------------------------------

// The save baseline: `size` bytes already in memory, written as fast as the disk takes
// them and made exactly as durable as a checkpoint (durable_write.hpp). The file is removed afterwards, outside the timed part, so that no later
// measurement pays for its unlink. `drop_cache`: see quiesce().
inline double raw_durable_write(const std::string& dir, const char* data, std::uint64_t size,
                                bool drop_cache) {
    const std::string temp = dir + "/raw-baseline.bin.tmp";
    const std::string final_path = dir + "/raw-baseline.bin";
    ::unlink(temp.c_str());
    ::unlink(final_path.c_str());
    quiesce(drop_cache);

    const auto start = Clock::now();
    const std::string failed = bench_baseline::write_durably(dir, "raw-baseline.bin", data, size);
    if (!failed.empty()) fail("raw baseline: " + failed, errno);
    const double seconds = seconds_since(start);

    ::unlink(final_path.c_str());
    ::sync();
    return seconds;
}

// The restore baseline: the whole file read into freshly allocated memory that nothing
// has touched, so its first-touch page faults count here as they do in a restore into new
// containers. Freeing the buffer is not timed.
inline double raw_read(const std::string& path) {
    const auto start = Clock::now();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("raw baseline: opening " + path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) fail("raw baseline: stat " + path, errno);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::unique_ptr<char[]> buffer(new char[size ? size : 1]);
    for (std::uint64_t done = 0; done < size;) {
        // Linux moves at most 0x7ffff000 bytes per call.
        const std::uint64_t chunk = std::min<std::uint64_t>(size - done, std::uint64_t(1) << 30);
        const ssize_t n = ::read(fd, buffer.get() + done, static_cast<std::size_t>(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("raw baseline: reading " + path, errno);
        if (n == 0) fail("raw baseline: reading " + path + " (shorter than its size)", EIO);
        done += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    const double seconds = seconds_since(start);
    volatile char sink = buffer[size / 2]; // the bytes are used
    (void)sink;
    return seconds;
}

// ---- resident memory --------------------------------------------------------------------

// Resident set size now (/proc/self/statm), in bytes.
inline std::uint64_t current_rss() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages_total = 0, pages_resident = 0;
    statm >> pages_total >> pages_resident;
    return pages_resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Peak resident set size of this process so far (getrusage ru_maxrss, KiB on Linux).
inline std::uint64_t peak_rss() {
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

// Resets the peak to the current RSS (proc(5), /proc/PID/clear_refs, "5", Linux ≥ 4.0),
// so that the peak measured afterwards belongs to what follows, not to building the state.
// False where unsupported: the peak then also covers what came before.
inline bool reset_peak_rss() {
    const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, "5", 1) == 1;
    ::close(fd);
    return ok;
}

// What a memory measurement's child reports through its pipe. In bytes.
struct MemoryFigures {
    double baseline_rss = 0; // before the state existed (the program, the libraries)
    double state = 0;        // the state's own RSS
    double peak = 0;         // peak RSS during the operation, minus baseline_rss
    char error[256] = {0};   // empty on success
};

// Runs `work` (returning MemoryFigures) in a forked child, so that each measurement starts
// from a small process and its ru_maxrss is its own. The child reports through a pipe and
// ends with _exit: it runs none of the parent's atexit handlers and flushes none of its
// buffers. Fork only where the parent is small and has no other thread: the child's peak
// starts at the parent's RSS at the fork.
template <class Work>
MemoryFigures measure_in_child(Work&& work) {
    std::fflush(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) fail("pipe", errno);
    const pid_t pid = ::fork();
    if (pid < 0) fail("fork", errno);
    if (pid == 0) {
        ::close(fds[0]);
        MemoryFigures figures;
        try {
            figures = work();
        } catch (const std::exception& e) {
            std::snprintf(figures.error, sizeof figures.error, "%s", e.what());
        }
        const char* p = reinterpret_cast<const char*>(&figures);
        for (std::size_t left = sizeof figures; left > 0;) {
            const ssize_t n = ::write(fds[1], p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) ::_exit(3);
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        ::_exit(figures.error[0] ? 1 : 0);
    }
    ::close(fds[1]);
    MemoryFigures figures;
    char* p = reinterpret_cast<char*>(&figures);
    std::size_t got = 0;
    while (got < sizeof figures) {
        const ssize_t n = ::read(fds[0], p + got, sizeof figures - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof figures) {
        figures = MemoryFigures{};
        std::snprintf(figures.error, sizeof figures.error, "the child %s",
                      WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "reported nothing");
    }
    return figures;
}

// ---- formatting -------------------------------------------------------------------------

inline std::string printf_string(const char* format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

inline std::string format_size(std::uint64_t bytes) {
    if (bytes >= (std::uint64_t(1) << 30) && bytes % (std::uint64_t(1) << 30) == 0)
        return std::to_string(bytes >> 30) + " GiB";
    if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
    return printf_string("%.1f MiB", static_cast<double>(bytes) / kMiB);
}

inline std::string format_seconds(double s) {
    if (std::isnan(s)) return "n/a";
    if (s < 1e-3) return printf_string("%.1f us", s * 1e6);
    if (s < 1) return printf_string("%.1f ms", s * 1e3);
    return printf_string("%.2f s", s);
}

// "0.70-0.78 s", "54-123 ms": the range of a measurement's repeats.
inline std::string format_range(const std::vector<double>& v) {
    if (v.size() < 2) return "";
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    char buffer[64];
    if (*hi >= 1)
        std::snprintf(buffer, sizeof buffer, "%.2f-%.2f s", *lo, *hi);
    else if (*hi >= 0.01)
        std::snprintf(buffer, sizeof buffer, "%.0f-%.0f ms", *lo * 1e3, *hi * 1e3);
    else
        std::snprintf(buffer, sizeof buffer, "%.2f-%.2f ms", *lo * 1e3, *hi * 1e3);
    return buffer;
}

inline std::string format_rate(std::uint64_t bytes, double seconds) {
    return printf_string("%.0f MB/s", static_cast<double>(bytes) / seconds / 1e6);
}

// ---- the result table -------------------------------------------------------------------

// One line of the result: reprise's figure, the baseline measured in the same run, their
// ratio, and the target for it ("meets" is "-" where there is none).
struct Row {
    std::string shape;      // "vector", "struct", "many", or "-" (poll)
    std::uint64_t size = 0; // the state's nominal size in bytes; 0 for poll
    std::string metric;
    std::string unit; // of reprise and baseline: "s", "ns", "MiB"
    double reprise = NAN;
    double baseline = NAN;
    double ratio = NAN;
    std::string ratio_is; // "baseline/reprise" or "reprise/baseline"
    std::string target;   // e.g. ">= 0.90", or "-"
    std::string meets;    // "yes", "no", "-"
    std::string note;

    // `reprise` and `baseline` in `unit`; the ratio is baseline/reprise when
    // `baseline_over_reprise` (save, restore: higher is better), else reprise/baseline.
    static Row make(std::string shape, std::uint64_t size, std::string metric, std::string unit,
                    double reprise, double baseline, bool baseline_over_reprise) {
        Row r;
        r.shape = std::move(shape);
        r.size = size;
        r.metric = std::move(metric);
        r.unit = std::move(unit);
        r.reprise = reprise;
        r.baseline = baseline;
        r.ratio = baseline_over_reprise ? baseline / reprise : reprise / baseline;
        r.ratio_is = baseline_over_reprise ? "baseline/reprise" : "reprise/baseline";
        r.target = "-";
        r.meets = "-";
        return r;
    }
    // The target for the ratio: a minimum or a maximum.
    Row& ratio_at_least(double minimum) {
        target = format_target(">=", minimum);
        meets = std::isnan(ratio) ? "-" : ratio >= minimum ? "yes" : "no";
        return *this;
    }
    Row& ratio_at_most(double maximum) {
        target = format_target("<=", maximum);
        meets = std::isnan(ratio) ? "-" : ratio <= maximum ? "yes" : "no";
        return *this;
    }
    Row& with_note(std::string text) {
        note = std::move(text);
        return *this;
    }

private:
    static std::string format_target(const char* relation, double value) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%s %.2f", relation, value);
        return buffer;
    }
};

inline std::string format_value(double v, const std::string& unit) {
    if (std::isnan(v)) return "n/a";
    if (unit == "s") return format_seconds(v);
    if (unit == "ns") return printf_string("%.3f ns", v);
    if (unit == "MiB") return printf_string("%.0f MiB", v);
    return printf_string("%g", v);
}

inline std::string format_ratio(const Row& row) {
    if (std::isnan(row.ratio)) return "n/a";
    return printf_string(row.unit == "ns" ? "%.3f" : "%.2f", row.ratio);
}

inline void print_table(std::FILE* out, const std::vector<Row>& rows) {
    const char* heads[] = {"shape", "size",   "metric", "reprise", "baseline",
                           "ratio", "target", "meets",  "note"};
    std::vector<std::vector<std::string>> cells;
    for (const auto& r : rows)
        cells.push_back({r.shape, r.size ? format_size(r.size) : "-", r.metric,
                         format_value(r.reprise, r.unit), format_value(r.baseline, r.unit),
                         format_ratio(r), r.target, r.meets, r.note});
    std::vector<std::size_t> width;
    for (const char* h : heads) width.push_back(std::strlen(h));
    for (const auto& line : cells)
        for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
    // Numbers are right-aligned, words left-aligned; the note is last and never padded.
    const bool right[] = {false, true, false, true, true, true, false, false, false};
    auto print_line = [&](const std::vector<std::string>& line) {
        for (std::size_t c = 0; c < line.size(); ++c) {
            const bool last = c + 1 == line.size();
            const int w = last ? 0 : static_cast<int>(width[c]);
            std::fprintf(out, right[c] ? "%*s" : "%-*s", w, line[c].c_str());
            if (!last) std::fputs("  ", out);
        }
        std::fputc('\n', out);
    };
    print_line(std::vector<std::string>(std::begin(heads), std::end(heads)));
    std::size_t total = 0;
    for (std::size_t c = 0; c + 1 < width.size(); ++c) total += width[c] + 2;
    std::fprintf(out, "%s\n", std::string(total + 4, '-').c_str());
    std::string previous;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const std::string group = cells[i][0] + cells[i][1];
        if (i > 0 && group != previous) std::fputc('\n', out);
        previous = group;
        print_line(cells[i]);
    }
}

inline std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

inline std::string number_or(double v, const char* missing) {
    return std::isnan(v) ? missing : printf_string("%.9g", v);
}

inline void write_csv(const std::string& path, const std::vector<Row>& rows) {
    std::ofstream out(path);
    if (!out) fail("writing " + path, errno);
    out << "shape,size_mib,metric,unit,reprise,baseline,ratio,ratio_is,target,meets,note\n";
    for (const auto& r : rows)
        out << csv_field(r.shape) << ','
            << (r.size ? printf_string("%.9g", static_cast<double>(r.size) / kMiB) : "") << ','
            << csv_field(r.metric) << ',' << r.unit << ',' << number_or(r.reprise, "") << ','
            << number_or(r.baseline, "") << ',' << number_or(r.ratio, "") << ',' << r.ratio_is
            << ',' << csv_field(r.target) << ',' << r.meets << ',' << csv_field(r.note) << '\n';
    if (!out.flush()) fail("writing " + path, errno);
}

inline std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// `header` holds the run's description as "key": value pairs, already encoded.
inline void write_json(const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& header,
                       const std::vector<Row>& rows) {
    std::ofstream out(path);
    if (!out) fail("writing " + path, errno);
    out << "{\n";
    for (const auto& [key, value] : header)
        out << "  " << json_string(key) << ": " << value << ",\n";
    out << "  \"rows\": [\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        out << "    {\"shape\": " << json_string(r.shape) << ", \"size_mib\": "
            << (r.size ? printf_string("%.9g", static_cast<double>(r.size) / kMiB) : "null")
            << ", \"metric\": " << json_string(r.metric) << ", \"unit\": " << json_string(r.unit)
            << ", \"reprise\": " << number_or(r.reprise, "null")
            << ", \"baseline\": " << number_or(r.baseline, "null")
            << ", \"ratio\": " << number_or(r.ratio, "null")
            << ", \"ratio_is\": " << json_string(r.ratio_is)
            << ", \"target\": " << json_string(r.target) << ", \"meets\": " << json_string(r.meets)
            << ", \"note\": " << json_string(r.note) << "}" << (i + 1 < rows.size() ? "," : "")
            << "\n";
    }
    out << "  ]\n}\n";
    if (!out.flush()) fail("writing " + path, errno);
}

} // namespace bench

#endif
