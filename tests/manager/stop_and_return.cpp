// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// A program that stops in the REPRISE_ON_STOP=return style (README, "Signals"): after the
// save a stop signal asked for, maybe_save() returns, the loop sees stop_requested(), and
// main returns 0 without finish(), so the checkpoint stays for a restart. Run to its end,
// it calls finish() (its checkpoints are removed) and returns 0 too. The job manager must
// tell the two apart by what is on disk, not by the exit status.
//
//   stop-and-return STEPS     one step per millisecond (sleeping: almost no CPU)
//
// Output: "fresh start" or "resumed at step=<k>", then "stopped at step=<k>" or
// "done step=<STEPS>".

#include <reprise/reprise.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <thread>

int main(int argc, char** argv) {
    const std::optional<std::uint64_t> parsed =
        argc == 2 ? reprise::detail::decimal(argv[1]) : std::nullopt;
    if (!parsed) {
        std::fprintf(stderr, "usage: %s STEPS\n", argc > 0 ? argv[0] : "stop-and-return");
        return 2;
    }
    const std::uint64_t steps = *parsed;
    try {
        std::uint64_t step = 0;
        reprise::Checkpointer ckpt;
        ckpt.track("step", step);
        if (ckpt.restore())
            std::printf("resumed at step=%llu\n", static_cast<unsigned long long>(step));
        else
            std::printf("fresh start\n");
        std::fflush(stdout);
        while (step < steps) {
            ++step;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            ckpt.maybe_save();
            if (ckpt.stop_requested()) { // saved: leave, keeping the checkpoint
                std::printf("stopped at step=%llu\n", static_cast<unsigned long long>(step));
                return 0;
            }
        }
        std::printf("done step=%llu\n", static_cast<unsigned long long>(step));
        ckpt.finish();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

// Built by tests/manager/CMakeLists.txt (target reprise_manager_stop_and_return); run by
// tests/manager/stop-return.sh through `reprise start` with REPRISE_ON_STOP=return.
