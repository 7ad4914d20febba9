// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// reprise against the limit of the machine it runs on (issue 3): for each state shape
// and size, reprise's figure beside a baseline measured in the same run, and their ratio.
//
//   save      save() to durable storage vs a raw write (4 MiB chunks) + fsync + rename +
//             directory fsync of as many bytes as the checkpoint file holds
//   restore   restore() into new, empty containers vs a raw read of the same checkpoint
//             file into freshly allocated memory; and the floor of a restore that checks
//             before it decodes (reprise's verification pass, then the payload read into
//             fresh memory mapped by two threads) against the same raw read
//             As root, the page cache is dropped before every timed save and read (cold);
//             otherwise nothing is (warm), and the table says which.
//   pause     how long the compute loop stands still when a save is due (the maybe_save()
//             after request_save()), per save mode; for background saves also the time
//             until the generation is durable, polling as a compute loop would
//   poll      ns per iteration of the sum loop and of a ~7 ns body, with and without
//             maybe_save(), the loop's variables tracked (as in the README) or not
//   memory    peak resident memory during a save (each mode) and a restore, in a forked
//             child per measurement, against the state's own resident size
//
// Build and run from the checkout (Release or RelWithDebInfo; an unoptimised build says
// so, and its figures mean nothing):
//
//   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j
//   ./build/benchmarks/bench_reprise
//
// That is 64 MiB and 1 GiB of each shape, median of 3: 5 to 10 minutes on a 2-core VM,
// about twice the state in memory and three times it on disk (two generations and the
// raw baseline's file). Run it as root, so that the page cache can be dropped. Options:
//
//   --quick           8 MiB, one repeat, warm cache, short poll loops: seconds (CTest)
//   --big             also 4 GiB (~9 GiB of memory, 12 GiB of disk)
//   --size-mib LIST   sizes instead of 64,1024 (e.g. 256 or 64,256)
//   --shapes LIST     some of vector,struct,many
//   --repeat R        repeats of each I/O measurement; the median is reported
//   --warm            never drop the page cache
//   --dir DIR         where the files go (default bench-data, created, emptied at the end)
//   --csv FILE, --json FILE   the same rows, machine-readable
//
// The exit status is 0 whatever the figures (the targets are informative: the machines
// are shared and noisy); 1 when something failed, including a restored state that differs
// from the saved one; 2 for bad arguments.

#include "harness.hpp"
#include "poll.hpp"
#include "shapes.hpp"

#include <reprise/inspect.hpp>
#include <reprise/reprise.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <stdexcept>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <malloc.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {
namespace {

namespace fs = std::filesystem;

struct Config {
    std::vector<std::uint64_t> sizes; // bytes
    std::vector<Shape> shapes;
    int repeat = 3;
    bool quick = false;
    bool warm = false; // --warm: never drop the page cache
    std::string dir = "bench-data";
    std::string csv, json;
};

// Everything the measurements share.
struct Run {
    Config config;
    bool cold = false; // the page cache can be dropped, and is, before each read
    bool peak_resets = false;
    std::string load_at_start, load_at_end;
    std::vector<Row> rows;

    void add(Row row) {
        std::fprintf(stderr, "  %-6s %8s  %-22s %10s  vs %10s  ratio %s\n", row.shape.c_str(),
                     row.size ? format_size(row.size).c_str() : "-", row.metric.c_str(),
                     format_value(row.reprise, row.unit).c_str(),
                     format_value(row.baseline, row.unit).c_str(), format_ratio(row).c_str());
        rows.push_back(std::move(row));
    }
};

reprise::Options options_for(const Config& config, const std::string& name, reprise::SaveMode mode,
                             bool handle_signals) {
    reprise::Options o;
    o.directory = config.dir;
    o.name = name;
    o.interval = 0;
    o.restore = reprise::RestorePolicy::always;
    o.mode = mode;
    o.quiet = true;
    o.handle_signals = handle_signals;
    return o;
}

const char* mode_name(reprise::SaveMode mode) {
    return mode == reprise::SaveMode::sync ? "sync" : "background";
}

// The REPRISE_* variables override Options; this program sets every field itself.
void ignore_reprise_environment() {
    for (const char* name : {"REPRISE_DIR", "REPRISE_NAME", "REPRISE_INTERVAL", "REPRISE_RESTORE",
                             "REPRISE_ON_STOP", "REPRISE_MODE", "REPRISE_LOG", "REPRISE_SIGNALS"}) {
        if (const char* value = std::getenv(name)) {
            std::fprintf(stderr, "bench_reprise: ignoring %s=%s\n", name, value);
            ::unsetenv(name);
        }
    }
}

// Gives freed memory back to the system, so that a forked child starts small.
void trim_heap() { ::malloc_trim(0); }

std::unique_ptr<char[]> touched_buffer(std::uint64_t size) {
    std::unique_ptr<char[]> buffer(new char[size]);
    std::memset(buffer.get(), 0x5a, size); // not zero: no layer below may skip zero blocks
    return buffer;
}

// The working directory: created when missing; at the end the raw baseline's files go, and
// the directory too when this run created it (and it is empty).
class Workspace {
public:
    explicit Workspace(std::string dir) : dir_(std::move(dir)) {
        created_ = !fs::exists(dir_);
        fs::create_directories(dir_);
    }
    ~Workspace() {
        std::error_code ec;
        fs::remove(dir_ + "/raw-baseline.tmp", ec);
        fs::remove(dir_ + "/raw-baseline.bin", ec);
        if (created_ && !fs::remove(dir_, ec))
            std::fprintf(stderr, "bench_reprise: %s is not empty; left in place\n", dir_.c_str());
    }
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    // Files the cases left (each removes its own: CaseFiles), the baseline's aside.
    std::vector<std::string> leftovers() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::directory_iterator(dir_)) {
            const std::string name = entry.path().filename().string();
            if (name != "raw-baseline.tmp" && name != "raw-baseline.bin") out.push_back(name);
        }
        return out;
    }

private:
    std::string dir_;
    bool created_ = false;
};

// Removes a case's checkpoints, temporary file and lock file however the case ends, with
// finish() of a Checkpointer of the same name. Declared before every other Checkpointer of
// the case, so that it runs when none is alive. finish() removes only the generations of a
// run that restored or saved (a run that did neither leaves an earlier run's files, and
// says so): the case's generations are removed first, by the paths reprise::inspect gives,
// and finish() then removes the lock file.
class CaseFiles {
public:
    CaseFiles(const Config& config, std::string name) : config_(config), name_(std::move(name)) {}
    ~CaseFiles() {
        try {
            reprise::Checkpointer ckpt(options_for(config_, name_, reprise::SaveMode::sync, false));
            for (const auto& g : reprise::inspect::generations(config_.dir, name_, ckpt.job_key()))
                if (std::remove(g.path.c_str()) != 0)
                    throw std::runtime_error(g.path + ": " + std::strerror(errno));
            ckpt.finish();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_reprise: removing the files of %s: %s\n", name_.c_str(),
                         e.what());
        }
    }
    CaseFiles(const CaseFiles&) = delete;
    CaseFiles& operator=(const CaseFiles&) = delete;

private:
    const Config& config_;
    std::string name_;
};

// ---- pause ------------------------------------------------------------------------------

// After a save was triggered at `since`: polls as a compute loop would (maybe_save() about
// every millisecond, sleeping in between so the writer has the CPU) until generation()
// has passed `before` and that generation's file exists under its final name (renamed
// after its fsync). Returns the seconds since `since`.
double wait_until_durable(reprise::Checkpointer& ckpt, std::uint64_t before,
                          Clock::time_point since, double timeout) {
    for (;;) {
        ckpt.maybe_save();
        const std::uint64_t g = ckpt.generation();
        if (g > before && fs::exists(ckpt.path_of_generation(g))) return seconds_since(since);
        if (seconds_since(since) > timeout)
            throw std::runtime_error("a " + std::string(mode_name(ckpt.options().mode)) +
                                     " save was not durable after " + format_seconds(timeout) +
                                     " (generation() stayed at " + std::to_string(g) + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

struct Pause {
    double pause = NAN;   // maybe_save() after request_save()
    double durable = NAN; // from request_save() until durable
};

Pause triggered_save(reprise::Checkpointer& ckpt, double timeout) {
    const std::uint64_t before = ckpt.generation();
    ckpt.request_save();
    const auto start = Clock::now();
    ckpt.maybe_save();
    Pause p;
    p.pause = seconds_since(start);
    p.durable = wait_until_durable(ckpt, before, start, timeout);
    return p;
}

// ---- the copy-on-write alternative --------------------------------------------------------

// What a fork()-based background save would cost the compute loop: the fork itself, then a
// page fault and a page copy for every page the loop writes while the child lives (the
// child would be writing the state out; here it only waits, so this is a lower bound).
// Measured as the fork, plus one step that rewrites the whole state with the child alive,
// minus the same step without a child. 1 is read from the environment's absence, so the
// compiler cannot drop the rewrite.
template <class State>
double fork_pause(State& state) {
    const double one = std::getenv("REPRISE_BENCH_NO_SUCH_VARIABLE") ? 2.0 : 1.0;
    auto step = [&] {
        const auto start = Clock::now();
        ShapeOf<State>::rewrite(state, one);
        return seconds_since(start);
    };
    step(); // every page written once: no first-touch in what follows
    const double alone = std::min(step(), step());
    int gate[2];
    if (::pipe(gate) != 0) fail("pipe", errno);
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) fail("fork", errno);
    if (pid == 0) { // holds the pages until the parent's step is done
        char c;
        ::close(gate[1]);
        while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    const double forking = seconds_since(start);
    ::close(gate[0]);
    const double with_child = step();
    ::close(gate[1]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return forking + std::max(0.0, with_child - alone);
}

// ---- memory, each in a forked child -----------------------------------------------------

template <class State>
MemoryFigures memory_of_save(const Config& config, const std::string& name, std::uint64_t size,
                             reprise::SaveMode mode) {
    MemoryFigures m;
    const std::uint64_t start = current_rss();
    State state = ShapeOf<State>::build(size);
    const std::uint64_t with_state = current_rss();
    reprise::Checkpointer ckpt(options_for(config, name, mode, true));
    ckpt.track("state", state);
    reset_peak_rss();
    triggered_save(ckpt, 3600);
    m.baseline_rss = static_cast<double>(start);
    m.state = static_cast<double>(with_state) - static_cast<double>(start);
    m.peak = static_cast<double>(peak_rss()) - static_cast<double>(start);
    return m;
}

template <class State>
MemoryFigures memory_of_restore(const Config& config, const std::string& name, std::uint64_t size) {
    MemoryFigures m;
    const std::uint64_t start = current_rss();
    State state;
    reprise::Checkpointer ckpt(options_for(config, name, reprise::SaveMode::sync, false));
    ckpt.track("state", state);
    reset_peak_rss();
    if (!ckpt.restore()) throw std::runtime_error("restore() found no checkpoint");
    const std::uint64_t peak = peak_rss();
    const std::uint64_t with_state = current_rss();
    ShapeOf<State>::verify(state, size);
    m.baseline_rss = static_cast<double>(start);
    m.state = static_cast<double>(with_state) - static_cast<double>(start);
    m.peak = static_cast<double>(peak) - static_cast<double>(start);
    return m;
}

// extra_limit(state MiB): the most MiB beyond the state the target allows; NAN: no target.
template <class Limit>
void add_memory_row(Run& run, Shape shape, std::uint64_t size, const std::string& metric,
                    const MemoryFigures& m, const std::string& target, Limit extra_limit) {
    const double state = m.state / kMiB, peak = m.peak / kMiB;
    const double extra = std::max(0.0, peak - state); // the two RSS readings differ in rounding
    Row row = Row::make(shape_name(shape), size, metric, "MiB", peak, state, false);
    row.target = target;
    const double limit = extra_limit(state);
    if (!std::isnan(limit)) row.meets = extra <= limit ? "yes" : "no";
    row.note = printf_string("state + %.0f MiB", extra);
    if (!run.peak_resets) row.note += " (peak may include building the state)";
    run.add(std::move(row));
}

// ---- saves that write only what changed ---------------------------------------------------

// Rewrites the state before each timed save so that every chunk differs from the file
// that save overwrites, the generation before last: scaled by 2, 2, 1/4, 2, 2, 1/4... (a
// power of two: exact), the state is never the one of two saves before. restore() scales
// it back to the state as built.
template <class State>
class Rescaler {
public:
    explicit Rescaler(State& state) : state_(state) {}
    void next() {
        const double factor = exponent_ < 2 ? 2.0 : 0.25;
        exponent_ = exponent_ < 2 ? exponent_ + 1 : 0;
        ShapeOf<State>::rewrite(state_, factor);
    }
    void restore() {
        if (exponent_ != 0) ShapeOf<State>::rewrite(state_, std::ldexp(1.0, -exponent_));
        exponent_ = 0;
    }
    bool as_built() const noexcept { return exponent_ == 0; }

private:
    State& state_;
    int exponent_ = 0;
};

// Changes one value in every tenth 64 KiB chunk of the payload (or, with `every` 1, in
// every chunk), by `by`; the same call with -by undoes it.
void change_chunks(VectorState& v, std::size_t every, double by) {
    const std::size_t per_chunk = static_cast<std::size_t>(reprise::detail::kChunkBytes / sizeof(double));
    for (std::size_t k = 0; k < v.size(); k += every * per_chunk) v[k] += by;
}

// A save after 10% of the chunks changed, and after all of them changed, each overwriting
// a generation of the state as built (two saves of it first, untimed); baseline of both: a
// save of the state as built into a new file (the generation it would overwrite removed
// first), which has nothing to compare with and writes everything.
void differential_rows(Run& run, Shape shape, std::uint64_t size, VectorState& state,
                       const std::string& case_name) {
    const Config& config = run.config;
    const std::string name = case_name + "-differential"; // the case's files stay as they are
    CaseFiles files(config, name);
    std::vector<double> tenth_s, all_s, new_file_s;
    reprise::Checkpointer ckpt(options_for(config, name, reprise::SaveMode::sync, true));
    ckpt.track("state", state);
    auto timed_save = [&](std::vector<double>& into) {
        quiesce(run.cold);
        const auto start = Clock::now();
        ckpt.save();
        into.push_back(seconds_since(start));
    };
    for (int r = 0; r < config.repeat; ++r) {
        ckpt.save();
        ckpt.save(); // both generations: the state as built
        fs::remove(ckpt.path_of_generation(ckpt.generation() - 1));
        timed_save(new_file_s); // nothing to overwrite: a new file, written in full
        ckpt.save();
        change_chunks(state, 10, 1.0);
        timed_save(tenth_s);
        change_chunks(state, 10, -1.0);
        ckpt.save();
        ckpt.save();
        change_chunks(state, 1, 1.0);
        timed_save(all_s);
        change_chunks(state, 1, -1.0);
    }
    const double new_file = median(new_file_s);
    run.add(Row::make(shape_name(shape), size, "save, 10% changed", "s", median(tenth_s), new_file, false)
                .ratio_at_most(0.25)
                .with_note("one value in every tenth 64 KiB chunk changed since the generation "
                           "overwritten; baseline: a save into a new file"));
    run.add(Row::make(shape_name(shape), size, "save, all changed", "s", median(all_s), new_file, false)
                .ratio_at_most(1.05)
                .with_note("every chunk changed: hashed, compared, all written; baseline: a "
                           "save into a new file"));
}

// ---- one shape at one size --------------------------------------------------------------

template <class State>
void run_case(Run& run, Shape shape, std::uint64_t size) {
    const Config& config = run.config;
    const std::string name =
        std::string("bench-") + shape_name(shape) + "-" + std::to_string(size / kMiB);
    const std::string label = std::string(shape_name(shape)) + " " + format_size(size);
    CaseFiles files(config, name);
    std::fprintf(stderr, "%s\n", label.c_str());

    // Memory first, each measurement in a child forked while this process is small. The
    // synchronous save's child leaves its generation on disk for the restore's child.
    // A child's failure (a restored state that differs included) fails the run.
    trim_heap();
    auto in_child = [&](const char* what, auto work) {
        const MemoryFigures m = measure_in_child(work);
        if (m.error[0])
            throw std::runtime_error(label + ": measuring the memory of " + what + ": " + m.error);
        return m;
    };
    const MemoryFigures memory_sync = in_child("a sync save", [&] {
        return memory_of_save<State>(config, name, size, reprise::SaveMode::sync);
    });
    const MemoryFigures memory_restore =
        in_child("a restore", [&] { return memory_of_restore<State>(config, name, size); });
    const MemoryFigures memory_background = in_child("a background save", [&] {
        return memory_of_save<State>(config, name, size, reprise::SaveMode::background);
    });

    State state = ShapeOf<State>::build(size);

    // Save: reprise and the raw baseline take turns going first.
    std::vector<double> save_s, raw_s;
    std::uint64_t file_bytes = 0;
    {
        std::unique_ptr<char[]> raw_source;
        reprise::Checkpointer ckpt(options_for(config, name, reprise::SaveMode::sync, false));
        ckpt.track("state", state);
        Rescaler<State> rescale(state);
        auto reprise_save = [&] {
            // Every chunk differs from the recycled file's, so that none of them is left
            // in place (the differential rows measure that).
            rescale.next();
            quiesce(run.cold);
            const auto start = Clock::now();
            ckpt.save();
            save_s.push_back(seconds_since(start));
            if (!raw_source) {
                file_bytes = fs::file_size(ckpt.path_of_generation(ckpt.generation()));
                raw_source = touched_buffer(file_bytes);
            }
        };
        auto raw_save = [&] {
            raw_s.push_back(raw_durable_write(config.dir, raw_source.get(), file_bytes, run.cold));
        };
        for (int r = 0; r < config.repeat; ++r) {
            if (r % 2 == 0) {
                reprise_save();
                raw_save();
            } else {
                raw_save();
                reprise_save();
            }
        }
        rescale.restore();
    }
    const double save = median(save_s), raw_write = median(raw_s);
    {
        Row row = Row::make(shape_name(shape), size, "save", "s", save, raw_write, true);
        row.ratio_at_least(shape == Shape::vector ? 0.90 : 0.80);
        row.note = "file " + format_size(file_bytes) + "; " + format_rate(file_bytes, save) +
                   " vs " + format_rate(file_bytes, raw_write);
        if (config.repeat > 1)
            row.note += "; ranges " + format_range(save_s) + " vs " + format_range(raw_s);
        run.add(std::move(row));
    }

    // Pause, per mode. A background save's first pause may set up what later ones reuse
    // (a snapshot buffer): it is shown apart, and the median is of the saves after it.
    const double timeout = std::max(120.0, 50 * save);
    std::vector<double> sync_pause;
    {
        reprise::Checkpointer ckpt(options_for(config, name, reprise::SaveMode::sync, true));
        ckpt.track("state", state);
        Rescaler<State> rescale(state);
        for (int r = 0; r < config.repeat; ++r) {
            rescale.next(); // every chunk changed, as for the save
            quiesce(run.cold);
            sync_pause.push_back(triggered_save(ckpt, timeout).pause);
        }
        rescale.restore();
    }
    std::vector<double> background_pause, background_durable;
    Pause first;
    std::string checkpoint_path;
    {
        reprise::Checkpointer ckpt(options_for(config, name, reprise::SaveMode::background, true));
        ckpt.track("state", state);
        Rescaler<State> rescale(state);
        for (int r = 0; r <= config.repeat; ++r) {
            rescale.next();
            quiesce(run.cold);
            const Pause p = triggered_save(ckpt, timeout);
            if (r == 0) {
                first = p;
                continue;
            }
            background_pause.push_back(p.pause);
            background_durable.push_back(p.durable);
        }
        // The restore below reads this generation: the state as built.
        if (!rescale.as_built()) {
            rescale.restore();
            ckpt.save();
        }
        checkpoint_path = ckpt.path_of_generation(ckpt.generation());
    }
    if constexpr (std::is_same<State, VectorState>::value)
        differential_rows(run, shape, size, state, name);
    const double pause_sync = median(sync_pause), pause_background = median(background_pause);
    run.add(Row::make(shape_name(shape), size, "pause, sync", "s", pause_sync, raw_write, false)
                .with_note("baseline: raw durable write"));
    run.add(Row::make(shape_name(shape), size, "pause, background", "s", pause_background,
                      pause_sync, false)
                .ratio_at_most(0.10)
                .with_note("baseline: sync pause; first background pause " +
                           format_seconds(first.pause)));
    run.add(Row::make(shape_name(shape), size, "durable, background", "s",
                      median(background_durable), pause_sync, false)
                .with_note("request_save() until durable, polling every ms; baseline: sync pause; "
                           "ranges " + format_range(background_durable) + " vs " +
                           format_range(sync_pause)));
    // The floor of any snapshot: one memcpy of the file's bytes between two buffers whose
    // pages are already touched. A background pause cannot go below it.
    std::vector<double> copy_s;
    {
        const std::unique_ptr<char[]> from = touched_buffer(file_bytes);
        const std::unique_ptr<char[]> to = touched_buffer(file_bytes);
        for (int r = 0; r < config.repeat; ++r) {
            const auto start = Clock::now();
            std::memcpy(to.get(), from.get(), static_cast<std::size_t>(file_bytes));
            copy_s.push_back(seconds_since(start));
        }
    }
    run.add(Row::make(shape_name(shape), size, "pause vs memcpy", "s", pause_background,
                      median(copy_s), false)
                .with_note("background pause vs one memcpy of the file's bytes into touched "
                           "memory: the floor of a snapshot"));
    // The alternative the background mode did not take: fork() and copy-on-write.
    std::vector<double> fork_s;
    for (int r = 0; r < config.repeat; ++r) fork_s.push_back(fork_pause(state));
    const double pause_fork = median(fork_s);
    run.add(Row::make(shape_name(shape), size, "pause, fork (COW)", "s", pause_fork,
                      pause_background, false)
                .with_note(std::string("fork + one step rewriting the state; baseline: background "
                                       "pause (snapshot); ") +
                           (pause_fork > pause_background ? "the snapshot wins"
                                                          : "fork would win")));

    // Restore into new containers, the state itself gone: the restored one is checked
    // against the generator. Turns again, each after quiesce() (page cache dropped if cold).
    state = State();
    trim_heap();
    const std::uint64_t checkpoint_bytes = fs::file_size(checkpoint_path);
    std::vector<double> restore_s, read_s;
    auto reprise_restore = [&] {
        State restored;
        reprise::Checkpointer ckpt(options_for(config, name, reprise::SaveMode::sync, false));
        ckpt.track("state", restored);
        trim_heap();
        quiesce(run.cold);
        const auto start = Clock::now();
        const bool loaded = ckpt.restore();
        restore_s.push_back(seconds_since(start));
        if (!loaded) throw std::runtime_error(label + ": restore() found no checkpoint");
        try {
            ShapeOf<State>::verify(restored, size);
        } catch (const std::exception& e) {
            throw std::runtime_error(label +
                                     ": the restored state is not the saved one: " + e.what());
        }
    };
    auto raw_restore = [&] {
        trim_heap();
        quiesce(run.cold);
        read_s.push_back(raw_read(checkpoint_path));
    };
    // What no restore in two passes, one that verifies the whole file before it decodes
    // (format 2's, reprise's before format 3), can go below:
    // reprise's own verification pass (from the disk, when cold), then the payload's bytes
    // read from the page cache into fresh memory whose pages two threads mapped first, as
    // the bulk path does. No container, no decoding, no zero-filling: the raw read does
    // the disk's work and the first touches in one overlapped pass, this does them one
    // after the other, so baseline/floor is the best ratio such a restore can reach here.
    std::vector<double> floor_s;
    auto verify_first_floor = [&] {
        trim_heap();
        quiesce(run.cold);
        const auto start = Clock::now();
        const fs::path file(checkpoint_path);
        reprise::detail::Directory dir(file.parent_path().string());
        reprise::detail::VerifiedCheckpoint verified;
        std::string why;
        if (!reprise::detail::read_checkpoint(dir, file.filename().string(), verified, why))
            throw std::runtime_error(label + ": the floor's verification failed: " + why);
        const auto bytes = static_cast<std::size_t>(verified.payload_size);
        std::unique_ptr<char[]> fresh(new char[bytes ? bytes : 1]);
        reprise::detail::prefault_in_parallel(fresh.get(), bytes);
        // Two threads, each pread filling its half (its own pages of the new memory).
        std::string why_first, why_second;
        reprise::detail::in_two_halves(bytes, [&](std::size_t begin, std::size_t end) {
            (begin == 0 ? why_first : why_second) = reprise::detail::read_exact(
                verified.file.get(), fresh.get() + begin, end - begin, verified.payload_offset + begin);
        });
        const std::string why_read = why_first.empty() ? why_second : why_first;
        floor_s.push_back(seconds_since(start));
        if (!why_read.empty())
            throw std::runtime_error(label + ": the floor's read failed: " + why_read);
        volatile char sink = fresh[bytes / 2]; // the bytes are used
        (void)sink;
    };
    for (int r = 0; r < config.repeat; ++r) {
        if (r % 2 == 0) {
            reprise_restore();
            raw_restore();
        } else {
            raw_restore();
            reprise_restore();
        }
        verify_first_floor();
    }
    {
        const double restore = median(restore_s), raw = median(read_s);
        Row row = Row::make(shape_name(shape), size, run.cold ? "restore, cold" : "restore, warm",
                            "s", restore, raw, true);
        row.ratio_at_least(shape == Shape::vector ? 0.90 : 0.75);
        row.note =
            format_rate(checkpoint_bytes, restore) + " vs " + format_rate(checkpoint_bytes, raw);
        if (config.repeat > 1)
            row.note += "; ranges " + format_range(restore_s) + " vs " + format_range(read_s);
        run.add(std::move(row));
        const double floor = median(floor_s);
        run.add(Row::make(shape_name(shape), size,
                          run.cold ? "restore floor, cold" : "restore floor, warm", "s", floor, raw,
                          true)
                    .with_note("verify the whole file first, then fill fresh memory: the floor "
                               "of a restore in two passes (format 2); reprise, in one, is " +
                               printf_string("%.2f", restore / floor) + "x this floor"));
    }

    add_memory_row(run, shape, size, "memory, save sync", memory_sync, "<= state+64 MiB",
                   [](double) { return 64.0; });
    add_memory_row(run, shape, size, "memory, save background", memory_background,
                   "<= 2*state+64 MiB", [](double state) { return state + 64.0; });
    add_memory_row(run, shape, size, "memory, restore", memory_restore, "-",
                   [](double) { return static_cast<double>(NAN); });
}

// ---- poll -------------------------------------------------------------------------------

void measure_poll(Run& run) {
    const Config& config = run.config;
    const std::string name = "bench-poll";
    CaseFiles files(config, name);
    std::fprintf(stderr, "poll\n");
    const PollFigures f =
        measure_poll_loops(options_for(config, name, reprise::SaveMode::sync, true),
                           config.quick ? 0.02 : 0.15, config.quick ? 3 : 7);
    auto add = [&](const std::string& metric, const LoopCost& cost, double target,
                   const std::string& note) {
        run.add(Row::make("-", 0, metric, "ns", cost.with, cost.without, false)
                    .ratio_at_most(target)
                    .with_note("ns/iteration with maybe_save() vs without; " + note));
    };
    const std::string body = std::to_string(f.rounds_of_xorshift) + " xorshift64 rounds";
    add("poll, sum loop", f.sum_tracked, 1.5, "i and sum tracked, as in the README");
    add("poll, sum loop, locals", f.sum_local, 1.5, "i and sum untracked locals");
    add("poll, sum loop, published", f.sum_published, 1.5,
        "i and sum locals, copied to tracked ones by maybe_save(publish)");
    add("poll, 7 ns body", f.body_tracked, 1.02, body + ", x tracked");
    add("poll, 7 ns body, locals", f.body_local, 1.02, body + ", x an untracked local");
    add("poll, 7 ns body, published", f.body_published, 1.02,
        body + ", x a local published by maybe_save(publish)");
}

// ---- the run ----------------------------------------------------------------------------

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
            return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

std::string file_system_of(const std::string& dir) {
    struct statfs st {};
    if (::statfs(dir.c_str(), &st) != 0) return "unknown";
    switch (static_cast<unsigned long>(st.f_type)) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x6969: return "nfs";
    case 0x794c7630: return "overlayfs";
    case 0x2FC12FC1: return "zfs";
    default: return printf_string("type 0x%.0f", static_cast<double>(st.f_type));
    }
}

const char* build_kind() {
#if defined(__SANITIZE_ADDRESS__)
    return "sanitizer build: timings are meaningless";
#elif defined(__OPTIMIZE__)
    return "optimised build";
#else
    return "UNOPTIMISED build (use CMAKE_BUILD_TYPE=Release): timings are meaningless";
#endif
}

std::string version() {
    return std::to_string(REPRISE_VERSION_MAJOR) + "." + std::to_string(REPRISE_VERSION_MINOR) +
           "." + std::to_string(REPRISE_VERSION_PATCH);
}

[[noreturn]] void usage(const char* program, const std::string& problem) {
    if (!problem.empty()) std::fprintf(stderr, "bench_reprise: %s\n", problem.c_str());
    std::fprintf(
        stderr,
        "usage: %s [--quick] [--big] [--size-mib N[,N...]] [--shapes vector,struct,many]\n"
        "          [--repeat R] [--warm] [--dir DIR] [--csv FILE] [--json FILE]\n"
        "Measures reprise against the raw disk and memory, in the same run; see the top of\n"
        "benchmarks/bench_reprise.cpp. Default: 64 MiB and 1 GiB, every shape, median of 3.\n",
        program);
    std::exit(problem.empty() ? 0 : 2);
}

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = list.find(',', start);
        parts.push_back(list.substr(start, comma - start));
        if (comma == std::string::npos) return parts;
        start = comma + 1;
    }
}

Config parse(int argc, char** argv) {
    Config c;
    bool big = false;
    int repeat = 0;
    bool repeat_given = false;
    std::vector<std::uint64_t> sizes;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        auto value = [&]() -> std::string {
            if (a + 1 >= argc) usage(argv[0], arg + " needs a value");
            return argv[++a];
        };
        try {
            if (arg == "--quick")
                c.quick = true;
            else if (arg == "--big")
                big = true;
            else if (arg == "--warm")
                c.warm = true;
            else if (arg == "--repeat")
                repeat = std::stoi(value()), repeat_given = true;
            else if (arg == "--dir")
                c.dir = value();
            else if (arg == "--csv")
                c.csv = value();
            else if (arg == "--json")
                c.json = value();
            else if (arg == "--size-mib") {
                for (const auto& s : split(value())) {
                    const unsigned long long mib = std::stoull(s);
                    if (mib == 0) usage(argv[0], "--size-mib: sizes are at least 1 MiB");
                    sizes.push_back(mib * kMiB);
                }
            } else if (arg == "--shapes") {
                for (const auto& s : split(value())) {
                    if (s == "vector")
                        c.shapes.push_back(Shape::vector);
                    else if (s == "struct")
                        c.shapes.push_back(Shape::structs);
                    else if (s == "many")
                        c.shapes.push_back(Shape::many);
                    else
                        usage(argv[0], "--shapes: unknown shape '" + s + "'");
                }
            } else if (arg == "--help" || arg == "-h")
                usage(argv[0], "");
            else
                usage(argv[0], "unknown argument '" + arg + "'");
        } catch (const std::logic_error&) { // std::stoi and std::stoull
            usage(argv[0], "not a number after " + arg);
        }
    }
    if (repeat_given && repeat < 1) usage(argv[0], "--repeat: at least 1");
    if (sizes.empty())
        sizes = c.quick ? std::vector<std::uint64_t>{8 * kMiB}
                        : std::vector<std::uint64_t>{64 * kMiB, 1024 * kMiB};
    if (big) sizes.push_back(4096 * kMiB);
    c.sizes = sizes;
    if (c.shapes.empty()) c.shapes = {Shape::vector, Shape::structs, Shape::many};
    c.repeat = repeat > 0 ? repeat : c.quick ? 1 : 3;
    if (c.quick) c.warm = true; // CI on a shared machine: the page cache is everybody's
    return c;
}

void print_header(std::FILE* out, const Run& run, const std::string& fs_type) {
    struct utsname u {};
    ::uname(&u);
    std::fprintf(out, "reprise %s benchmark, %s; %s, %u CPUs, %s %s; %s at %s\n", version().c_str(),
                 build_kind(), cpu_model().c_str(), std::thread::hardware_concurrency(), u.sysname,
                 u.release, fs_type.c_str(), run.config.dir.c_str());
    std::fprintf(out, "I/O figures: median of %d, %s; poll: minimum of %s rounds\n",
                 run.config.repeat,
                 run.cold ? "cold (page cache dropped before every timed save and read)"
                          : "warm (page cache never dropped: not root, or --warm/--quick)",
                 run.config.quick ? "3" : "7");
    std::fprintf(out, "load average at the start %s%s%s\n", run.load_at_start.c_str(),
                 run.load_at_end.empty() ? "" : ", at the end ", run.load_at_end.c_str());
    std::fprintf(
        out,
        "ratio: baseline/reprise for save and restore (1.00 = as fast as the raw disk; target a "
        "minimum);\n       reprise/baseline for pause, poll and memory (target a maximum)\n\n");
}

} // namespace
} // namespace bench

int main(int argc, char** argv) {
    using namespace bench;
    Run run;
    run.config = parse(argc, argv);
    // "Freshly allocated memory" must be fresh: glibc raises its mmap threshold (up to
    // 32 MiB) after a large block is freed, and then serves the next one from heap pages
    // already touched, which would spare a small restore or read its page faults. A fixed
    // threshold (glibc's initial one) keeps every large block a new mapping, as in a
    // process that restores once, at its start.
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    ignore_reprise_environment();
    try {
        Workspace workspace(run.config.dir);
        run.cold = !run.config.warm && drop_page_cache();
        run.peak_resets = reset_peak_rss();
        run.load_at_start = load_average();
        const std::string fs_type = file_system_of(run.config.dir);
        print_header(stderr, run, fs_type);

        measure_poll(run);
        for (std::uint64_t size : run.config.sizes) {
            for (Shape shape : run.config.shapes) {
                switch (shape) {
                case Shape::vector: run_case<VectorState>(run, shape, size); break;
                case Shape::structs: run_case<StructState>(run, shape, size); break;
                case Shape::many: run_case<ManyState>(run, shape, size); break;
                }
            }
        }

        run.load_at_end = load_average();
        std::printf("\n");
        print_header(stdout, run, fs_type);
        print_table(stdout, run.rows);
        std::fflush(stdout);
        std::vector<std::pair<std::string, std::string>> header = {
            {"benchmark", json_string("bench_reprise")},
            {"reprise_version", json_string(version())},
            {"build", json_string(build_kind())},
            {"cpu", json_string(cpu_model())},
            {"cpus", std::to_string(std::thread::hardware_concurrency())},
            {"file_system", json_string(fs_type)},
            {"cache", json_string(run.cold ? "cold" : "warm")},
            {"load_average_start", json_string(run.load_at_start)},
            {"load_average_end", json_string(run.load_at_end)},
            {"repeat", std::to_string(run.config.repeat)},
            {"time", std::to_string(static_cast<long long>(std::time(nullptr)))}};
        if (!run.config.csv.empty()) write_csv(run.config.csv, run.rows);
        if (!run.config.json.empty()) write_json(run.config.json, header, run.rows);
        const std::vector<std::string> left = workspace.leftovers();
        if (!left.empty()) {
            std::string names;
            for (const auto& name : left) names += " " + name;
            throw std::runtime_error("the cases left files in " + run.config.dir + ":" + names);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_reprise: %s\n", e.what());
        return 1;
    }
    return 0;
}
