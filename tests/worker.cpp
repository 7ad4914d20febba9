// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The program the tests start, signal, kill and restart. It speaks a line protocol on
// stdout and, where a test must place a signal exactly, stops on a read of stdin: a signal
// the test sends before it answers is then always handled before the next poll
// (signal(7): pending signals are delivered before read returns to user space).
//
//   worker sum N [--pause-every K] [--linger] [--ballast MIB]
//       sum of 1..N with "i" and "sum" tracked (and, with --ballast, a vector of MIB MiB,
//       so that a save is large enough for the lines of a slow one: docs/logging.md). Prints "start i= restored= gen=", then
//       "paused i=" every K iterations (and waits for a line), "saved gen= i= sum=" when a
//       poll saved, "stop i= gen=" when a stop was requested with REPRISE_ON_STOP=return
//       (then, with --linger, waits for a line before exiting 3), else "result sum=" and,
//       unless WORKER_KEEP is set, finish().
//   worker torn M SAVES
//       a state whose tearing shows: "step", a vector of M copies of step, the string
//       "step-<step>", and 512 KiB that no save changes (so that saves after the second
//       leave chunks in place: steady_values()). Restores, prints "state step=
//       consistent= gen=", then SAVES times: step+1, save(), "saved step= gen=". Never
//       calls finish().
//   worker torn-passes M SAVES
//       as torn, but every "saved" line ends with "passes=": how many times this process
//       has so far passed the kill point that REPRISE_KILL_AT names. With a pass number
//       that is never reached (REPRISE_KILL_AT=mid-write@999999999) it counts without
//       killing, so that a test can aim a kill, or a REPRISE_FAULT, at a given save.
//   worker stall N [--pause-every K]
//       as sum, with a third tracked variable, "stall", whose saving writes 1 MiB and then
//       stops in the middle of the save: prints "in-save i=" and waits for a line, so that
//       a test can signal or kill the worker while a save is under way (its temporary file
//       open and partly written). Loading it does not stop. Unlike sum, it leaves its loop
//       on stop_requested() only under REPRISE_ON_STOP=return: otherwise a stop signal that
//       arrives during a save is the next poll's to carry out.
//   worker hold
//       takes the job's lock, prints "holding pid=", waits for a line, exits 0.
//   worker faults M SAVES [--poll]
//       the state of torn, for the fault-injection suite (tests/test_faults.cpp). Restores
//       as the restore policy says, prints "state step= consistent= gen=", then SAVES times:
//       step+1, then a save: save(), whose Error it catches; or, with --poll, raise(SIGUSR1)
//       and maybe_save() (in background mode it then waits for the writer and polls once
//       more: the poll that reports a failure). Prints "saved step= gen=" when generation()
//       advanced, else "failed step= gen=" (with save(): " message=<what()>"), and waits
//       for a line, while the test looks at the directory. Ends with "done step=
//       consistent=" (the live state: a save must not touch it) and exit 0, no finish().
//       In a test build with REPRISE_FAULT_TRACE set, it notes in the trace where each
//       part begins: "# restore", "# save <K>", "# end".
//
// Background saves (REPRISE_MODE=background, which these modes require). The worker knows
// that a background save's writer thread has ended, without sleeping, by the library's
// "save finished" bit (reprise::detail::g_pending & kSaveFinished, the writer's last act,
// which only a poll clears): it waits for it by yielding, never by calling maybe_save().
//
//   worker bg N [--pause-every K]
//       as sum, but a poll that returned true prints "snapshot i= sum= gen=" (gen: the last
//       durable generation, i and sum: the state the snapshot took), then waits for that
//       save's writer to end and prints "durable gen= i=" when generation() advanced, else
//       "failed gen= i=". At every pause ("paused i=") it reads a command:
//         go            continue.
//         gate          a gate thread takes the lock of the test seam (sys.hpp; so
//                       REPRISE_KILL_AT or REPRISE_FAULT must be set, e.g. to a pass never
//                       reached): a background writer then waits at its first seam, before
//                       it writes a byte. Prints "gated" and continues. While gated, a
//                       snapshot is not waited for (its line comes at "open").
//         open          the gate opens; a snapshot not yet waited for is waited for now
//                       ("durable"/"failed" line); continue.
//         open-on-stop  the gate opens as soon as a poll has taken the stop request that is
//                       pending now (the test sent the signal before this line); continue.
//       Ends like sum: "result sum=", finish(), "finished".
//   worker torn-bg M SAVES
//       as torn-passes, but each save is a background one: request_save() and maybe_save()
//       (which must return true), then, while the writer runs, the live state is
//       overwritten with values no save may contain, then it waits for the writer to end,
//       puts the state back and prints "saved step= gen= passes=" (gen: generation() then).
//
// A build before the test's (tests/test_types.cpp): a class the test restores at a later
// cereal class version, saved by another program, as a user's earlier build would.
//
//   worker particles-v0 N
//       tracks "step" (std::uint64_t, N) and "particles", N reprise_types_test::Particle
//       {x = k, y = -k} at cereal class version 0 (x, y; the test's version 1 adds mass).
//       Saves once, prints "saved gen=", exits 0 without finish().

#include <reprise/reprise.hpp>

#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

// The earlier definition of tests/test_types.cpp's Particle: same name, version 0.
namespace reprise_types_test {
struct Particle {
    double x = 0.0, y = 0.0;
    template <class Archive>
    void serialize(Archive& ar, std::uint32_t /*version*/) {
        ar(x, y);
    }
};
} // namespace reprise_types_test
CEREAL_CLASS_VERSION(reprise_types_test::Particle, 0)

namespace {

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

std::string wait_for_line() {
    std::string line;
    std::getline(std::cin, line);
    return line;
}

int run_sum(int argc, char** argv) {
    if (argc < 3) return 2;
    const unsigned long long n = std::stoull(argv[2]);
    unsigned long long pause_every = 0;
    bool linger = false;
    std::vector<char> ballast;
    for (int a = 3; a < argc; ++a) {
        if (std::strcmp(argv[a], "--pause-every") == 0 && a + 1 < argc)
            pause_every = std::stoull(argv[++a]);
        else if (std::strcmp(argv[a], "--linger") == 0)
            linger = true;
        else if (std::strcmp(argv[a], "--ballast") == 0 && a + 1 < argc)
            ballast.assign(std::size_t(std::stoull(argv[++a])) << 20, 'b');
    }
    unsigned long long i = 1, sum = 0;
    reprise::Checkpointer ckpt;
    ckpt.track("i", i).track("sum", sum);
    if (!ballast.empty()) ckpt.track("ballast", ballast);
    const bool restored = ckpt.restore();
    say("start i=" + std::to_string(i) + " restored=" + (restored ? "1" : "0") +
        " gen=" + std::to_string(ckpt.generation()));
    while (i <= n) {
        sum += i++;
        if (pause_every && (i - 1) % pause_every == 0) {
            say("paused i=" + std::to_string(i));
            wait_for_line();
        }
        if (ckpt.maybe_save())
            say("saved gen=" + std::to_string(ckpt.generation()) + " i=" + std::to_string(i) +
                " sum=" + std::to_string(sum));
        if (ckpt.stop_requested()) {
            say("stop i=" + std::to_string(i) + " gen=" + std::to_string(ckpt.generation()));
            if (linger) wait_for_line();
            return 3;
        }
    }
    say("result sum=" + std::to_string(sum));
    if (!std::getenv("WORKER_KEEP")) ckpt.finish();
    say("finished");
    return 0;
}

// How many times this process has passed the kill point named in REPRISE_KILL_AT.
unsigned long kill_point_passes() {
#ifdef REPRISE_TESTING
    const char* spec = std::getenv("REPRISE_KILL_AT");
    if (!spec || !*spec) return 0;
    const std::string point = std::string(spec).substr(0, std::string(spec).find('@'));
    std::lock_guard<std::mutex> lock(reprise::detail::seam_mutex());
    const auto& counters = reprise::detail::seam_counters();
    const auto it = counters.find("kill:" + point);
    return it == counters.end() ? 0 : it->second;
#else
    return 0;
#endif
}

// The state of torn, torn-bg and faults, whose tearing shows: "step", a vector of M copies
// of step, the string "step-<step>", and 512 KiB that no save changes (eight 64 KiB chunks
// that every save after the second leaves in place of the file it overwrites, a
// differential save: format_writer.hpp), so that the kill, soak and fault suites cover such
// saves too. Consistent when every part is of one step.
struct TornState {
    explicit TornState(std::size_t m) : data(m, 0), steady(steady_values()), m_(m) {}

    void track(reprise::Checkpointer& ckpt) {
        ckpt.track("step", step).track("data", data).track("tag", tag).track("steady", steady);
    }
    // Step `s` throughout.
    void set(std::uint64_t s) {
        step = s;
        std::fill(data.begin(), data.end(), s);
        tag = "step-" + std::to_string(s);
    }
    const char* consistent() const {
        bool ok = data.size() == m_ && tag == "step-" + std::to_string(step) &&
                  steady == steady_values();
        for (std::uint64_t v : data) ok = ok && v == step;
        return ok ? "1" : "0";
    }
    std::string describe(const reprise::Checkpointer& ckpt) const {
        return "state step=" + std::to_string(step) + " consistent=" + consistent() +
               " gen=" + std::to_string(ckpt.generation());
    }

    std::uint64_t step = 0;
    std::vector<std::uint64_t> data;
    std::string tag = "step-0";
    std::vector<std::uint64_t> steady;

private:
    static std::vector<std::uint64_t> steady_values() {
        std::vector<std::uint64_t> v(std::size_t(1) << 16);
        for (std::size_t k = 0; k < v.size(); ++k) v[k] = k * 7 + 1;
        return v;
    }
    std::size_t m_;
};

int run_torn(int argc, char** argv, bool count_passes) {
    if (argc < 4) return 2;
    const int saves = std::stoi(argv[3]);
    TornState state(std::stoull(argv[2]));
    reprise::Checkpointer ckpt;
    state.track(ckpt);
    ckpt.restore();
    say(state.describe(ckpt));
    for (int k = 0; k < saves; ++k) {
        state.set(state.step + 1);
        ckpt.save();
        say("saved step=" + std::to_string(state.step) + " gen=" +
            std::to_string(ckpt.generation()) +
            (count_passes ? " passes=" + std::to_string(kill_point_passes()) : std::string()));
    }
    return 0;
}

// A variable whose saving stops half-way, until the test answers.
struct Stall {
    const unsigned long long* i = nullptr;
    std::vector<char> blob = std::vector<char>(std::size_t(1) << 20, 's');

    template <class Archive>
    void save(Archive& ar) const {
        ar(blob); // large enough to be written to the temporary file at once
        say("in-save i=" + std::to_string(*i));
        wait_for_line();
        ar(std::uint64_t(*i));
    }
    template <class Archive>
    void load(Archive& ar) {
        std::uint64_t ignored = 0;
        ar(blob, ignored);
    }
};

int run_stall(int argc, char** argv) {
    if (argc < 3) return 2;
    const unsigned long long n = std::stoull(argv[2]);
    unsigned long long pause_every = 0;
    for (int a = 3; a < argc; ++a)
        if (std::strcmp(argv[a], "--pause-every") == 0 && a + 1 < argc)
            pause_every = std::stoull(argv[++a]);
    unsigned long long i = 1, sum = 0;
    Stall stall;
    stall.i = &i;
    reprise::Checkpointer ckpt;
    ckpt.track("i", i).track("sum", sum).track("stall", stall);
    const bool restored = ckpt.restore();
    say("start i=" + std::to_string(i) + " restored=" + (restored ? "1" : "0") +
        " gen=" + std::to_string(ckpt.generation()));
    const bool leave_on_stop = ckpt.options().on_stop == reprise::StopAction::return_to_caller;
    while (i <= n) {
        sum += i++;
        if (pause_every && (i - 1) % pause_every == 0) {
            say("paused i=" + std::to_string(i));
            wait_for_line();
        }
        if (ckpt.maybe_save())
            say("saved gen=" + std::to_string(ckpt.generation()) + " i=" + std::to_string(i) +
                " sum=" + std::to_string(sum));
        if (leave_on_stop && ckpt.stop_requested()) {
            say("stop i=" + std::to_string(i) + " gen=" + std::to_string(ckpt.generation()));
            return 3;
        }
    }
    say("result sum=" + std::to_string(sum));
    ckpt.finish();
    say("finished");
    return 0;
}

// Waits until the background save in flight has ended (see the header comment).
void await_writer() {
    while (!(reprise::detail::g_pending.load() & reprise::detail::kSaveFinished))
        std::this_thread::yield();
}

bool require_background(const reprise::Checkpointer& ckpt) {
    if (ckpt.options().mode == reprise::SaveMode::background) return true;
    std::fprintf(stderr, "worker: this mode needs REPRISE_MODE=background\n");
    return false;
}

#ifdef REPRISE_TESTING
// Holds the test seam's lock from its own thread, so that a background writer waits at its
// first kill point or fault seam until the gate opens.
class Gate {
public:
    Gate() = default;
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;
    ~Gate() { open(); }

    bool closed() const { return thread_.joinable(); }

    void close() {
        if (closed()) return;
        if (!std::getenv("REPRISE_KILL_AT") && !std::getenv("REPRISE_FAULT"))
            throw std::runtime_error("gate: set REPRISE_KILL_AT or REPRISE_FAULT, or the writer "
                                     "never takes the seam's lock");
        command_ = kNone;
        // Every signal blocked in the gate thread: the program's signals reach the main one.
        thread_ = reprise::detail::with_signals_blocked([this] {
            return std::thread([this] { hold(); });
        });
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return held_; });
    }

    // Opens now and waits until it is open.
    void open() {
        if (!thread_.joinable()) return;
        command(kOpen);
        thread_.join();
    }

    // Opens once a poll has taken the pending stop request; returns at once.
    void open_on_stop() { command(kOpenOnStop); }

private:
    enum Command { kNone, kOpen, kOpenOnStop };

    void command(Command c) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (command_ == kNone) command_ = c;
        }
        changed_.notify_all();
    }

    void hold() {
        std::unique_lock<std::mutex> seam(reprise::detail::seam_mutex());
        std::unique_lock<std::mutex> lock(mutex_);
        held_ = true;
        changed_.notify_all();
        changed_.wait(lock, [this] { return command_ != kNone; });
        const Command c = command_;
        lock.unlock();
        if (c == kOpenOnStop)
            while (reprise::detail::g_pending.load() & reprise::detail::kStopRequested)
                std::this_thread::yield();
        seam.unlock();
    }

    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool held_ = false;
    Command command_ = kNone;
};
#endif

int run_bg(int argc, char** argv) {
#ifdef REPRISE_TESTING
    if (argc < 3) return 2;
    const unsigned long long n = std::stoull(argv[2]);
    unsigned long long pause_every = 0;
    for (int a = 3; a < argc; ++a)
        if (std::strcmp(argv[a], "--pause-every") == 0 && a + 1 < argc)
            pause_every = std::stoull(argv[++a]);
    unsigned long long i = 1, sum = 0;
    reprise::Checkpointer ckpt;
    if (!require_background(ckpt)) return 2;
    ckpt.track("i", i).track("sum", sum);
    const bool restored = ckpt.restore();
    say("start i=" + std::to_string(i) + " restored=" + (restored ? "1" : "0") +
        " gen=" + std::to_string(ckpt.generation()));
    Gate gate;
    bool awaiting = false; // a snapshot whose writer was not waited for yet
    std::uint64_t before = 0;
    unsigned long long snapshot_i = 0;
    const auto await_durable = [&] {
        await_writer();
        awaiting = false;
        const std::uint64_t now = ckpt.generation();
        say(std::string(now > before ? "durable" : "failed") + " gen=" + std::to_string(now) +
            " i=" + std::to_string(snapshot_i));
    };
    while (i <= n) {
        sum += i++;
        if (pause_every && (i - 1) % pause_every == 0) {
            say("paused i=" + std::to_string(i));
            const std::string command = wait_for_line();
            if (command == "gate") {
                gate.close();
                say("gated");
            } else if (command == "open") {
                gate.open();
                if (awaiting) await_durable();
            } else if (command == "open-on-stop") {
                gate.open_on_stop();
            }
        }
        if (ckpt.maybe_save()) {
            before = ckpt.generation();
            snapshot_i = i;
            awaiting = true;
            say("snapshot i=" + std::to_string(i) + " sum=" + std::to_string(sum) +
                " gen=" + std::to_string(before));
            if (!gate.closed()) await_durable();
        }
        if (ckpt.stop_requested()) {
            say("stop i=" + std::to_string(i) + " gen=" + std::to_string(ckpt.generation()));
            return 3;
        }
    }
    say("result sum=" + std::to_string(sum));
    ckpt.finish();
    say("finished");
    return 0;
#else
    (void)argc;
    (void)argv;
    return 2;
#endif
}

int run_torn_bg(int argc, char** argv) {
    if (argc < 4) return 2;
    const int saves = std::stoi(argv[3]);
    TornState state(std::stoull(argv[2]));
    reprise::Checkpointer ckpt;
    if (!require_background(ckpt)) return 2;
    state.track(ckpt);
    ckpt.restore();
    say(state.describe(ckpt));
    for (int k = 0; k < saves; ++k) {
        state.set(state.step + 1);
        ckpt.request_save();
        if (!ckpt.maybe_save()) {
            say("error the poll after request_save() did not save");
            return 1;
        }
        // The writer is running: the live state is no one's business but the program's.
        const std::uint64_t kept = state.step;
        state.set(0xdeadbeef);
        state.tag = "scribbled";
        await_writer();
        state.set(kept);
        say("saved step=" + std::to_string(state.step) + " gen=" +
            std::to_string(ckpt.generation()) + " passes=" + std::to_string(kill_point_passes()));
    }
    return 0;
}

// A line of ours in the REPRISE_FAULT_TRACE file, if any (sys.hpp).
void trace_note(const std::string& note) {
#ifdef REPRISE_TESTING
    reprise::detail::seam_trace_note(note);
#else
    (void)note;
#endif
}

int run_faults(int argc, char** argv) {
    if (argc < 4) return 2;
    const std::size_t m = std::stoull(argv[2]);
    const int saves = std::stoi(argv[3]);
    const bool poll = argc > 4 && std::strcmp(argv[4], "--poll") == 0;
    TornState state(m);
    reprise::Checkpointer ckpt;
    state.track(ckpt);
    trace_note("restore");
    ckpt.restore();
    say(state.describe(ckpt));
    const bool background = ckpt.options().mode == reprise::SaveMode::background;
    for (int k = 1; k <= saves; ++k) {
        state.set(state.step + 1);
        const std::uint64_t before = ckpt.generation();
        std::string message;
        trace_note("save " + std::to_string(k));
        if (poll) {
            // A real signal, delivered before raise() returns (raise(3)): deterministic.
            std::raise(SIGUSR1);
            const bool took = ckpt.maybe_save();
            if (background) {
                if (!took) {
                    say("error the poll after SIGUSR1 did not start a save");
                    return 1;
                }
                await_writer();
                ckpt.maybe_save(); // takes the writer's end, and reports its failure
            }
        } else {
            try {
                ckpt.save();
            } catch (const reprise::Error& e) {
                message = std::string(" message=") + e.what();
            }
        }
        const std::uint64_t now = ckpt.generation();
        say(std::string(now != before ? "saved" : "failed") + " step=" + std::to_string(state.step) +
            " gen=" + std::to_string(now) + message);
        wait_for_line();
    }
    trace_note("end");
    say("done step=" + std::to_string(state.step) + " consistent=" + state.consistent());
    return 0;
}

int run_hold() {
    int x = 0;
    reprise::Checkpointer ckpt;
    ckpt.track("x", x);
    say("holding pid=" + std::to_string(::getpid()));
    wait_for_line();
    return 0;
}

int run_particles_v0(int argc, char** argv) {
    if (argc < 3) return 2;
    const std::uint64_t n = std::stoull(argv[2]);
    std::uint64_t step = n;
    std::vector<reprise_types_test::Particle> particles;
    for (std::uint64_t k = 0; k < n; ++k)
        particles.push_back({static_cast<double>(k), -static_cast<double>(k)});
    reprise::Checkpointer ckpt;
    ckpt.track("step", step).track("particles", particles);
    ckpt.save();
    say("saved gen=" + std::to_string(ckpt.generation()));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "sum") return run_sum(argc, argv);
        if (mode == "torn") return run_torn(argc, argv, false);
        if (mode == "torn-passes") return run_torn(argc, argv, true);
        if (mode == "stall") return run_stall(argc, argv);
        if (mode == "hold") return run_hold();
        if (mode == "faults") return run_faults(argc, argv);
        if (mode == "bg") return run_bg(argc, argv);
        if (mode == "torn-bg") return run_torn_bg(argc, argv);
        if (mode == "particles-v0") return run_particles_v0(argc, argv);
    } catch (const std::exception& e) {
        say(std::string("error ") + e.what());
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: worker sum N [--pause-every K] [--linger] | torn M SAVES | "
                         "torn-passes M SAVES | stall N [--pause-every K] | hold | "
                         "bg N [--pause-every K] | torn-bg M SAVES | faults M SAVES [--poll] | "
                         "particles-v0 N\n");
    return 2;
}
