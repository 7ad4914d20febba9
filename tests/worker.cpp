// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The program the tests start, signal, kill and restart. It speaks a line protocol on
// stdout and, where a test must place a signal exactly, stops on a read of stdin: a signal
// the test sends before it answers is then always handled before the next poll
// (signal(7): pending signals are delivered before read returns to user space).
//
//   worker sum N [--pause-every K] [--linger]
//       sum of 1..N with "i" and "sum" tracked. Prints "start i= restored= gen=", then
//       "paused i=" every K iterations (and waits for a line), "saved gen= i= sum=" when a
//       poll saved, "stop i= gen=" when a stop was requested with REPRISE_ON_STOP=return
//       (then, with --linger, waits for a line before exiting 3), else "result sum=" and,
//       unless WORKER_KEEP is set, finish().
//   worker torn M SAVES
//       a state whose tearing shows: "step", a vector of M copies of step, and the string
//       "step-<step>". Restores, prints "state step= consistent= gen=", then SAVES times:
//       step+1, save(), "saved step= gen=". Never calls finish().
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

#include <reprise/reprise.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

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
    for (int a = 3; a < argc; ++a) {
        if (std::strcmp(argv[a], "--pause-every") == 0 && a + 1 < argc)
            pause_every = std::stoull(argv[++a]);
        else if (std::strcmp(argv[a], "--linger") == 0)
            linger = true;
    }
    unsigned long long i = 1, sum = 0;
    reprise::Checkpointer ckpt;
    ckpt.track("i", i).track("sum", sum);
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

int run_torn(int argc, char** argv, bool count_passes) {
    if (argc < 4) return 2;
    const std::size_t m = std::stoull(argv[2]);
    const int saves = std::stoi(argv[3]);
    std::uint64_t step = 0;
    std::vector<std::uint64_t> data(m, 0);
    std::string tag = "step-0";
    reprise::Checkpointer ckpt;
    ckpt.track("step", step).track("data", data).track("tag", tag);
    ckpt.restore();
    bool consistent = data.size() == m && tag == "step-" + std::to_string(step);
    for (std::uint64_t v : data) consistent = consistent && v == step;
    say("state step=" + std::to_string(step) + " consistent=" + (consistent ? "1" : "0") +
        " gen=" + std::to_string(ckpt.generation()));
    for (int k = 0; k < saves; ++k) {
        ++step;
        std::fill(data.begin(), data.end(), step);
        tag = "step-" + std::to_string(step);
        ckpt.save();
        say("saved step=" + std::to_string(step) + " gen=" + std::to_string(ckpt.generation()) +
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

int run_hold() {
    int x = 0;
    reprise::Checkpointer ckpt;
    ckpt.track("x", x);
    say("holding pid=" + std::to_string(::getpid()));
    wait_for_line();
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
    } catch (const std::exception& e) {
        say(std::string("error ") + e.what());
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: worker sum N [--pause-every K] [--linger] | torn M SAVES | "
                         "torn-passes M SAVES | stall N [--pause-every K] | hold\n");
    return 2;
}
