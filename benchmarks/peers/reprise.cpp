// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// reprise in the side-by-side benchmark, through the public API only: a std::vector<double>
// tracked by a Checkpointer, saved synchronously C times; then, in a new process, restored
// into an empty vector. Built and run by run.sh; see driver.hpp for the command line.

#include "driver.hpp"

#include <reprise/reprise.hpp>

#include <vector>

int main(int argc, char** argv) try {
    const peers::Args a = peers::parse(argc, argv);
    reprise::Options o;
    o.directory = a.dir;
    o.name = "peers";
    o.job = "peers";
    o.interval = 0;
    o.restore = a.save ? reprise::RestorePolicy::never : reprise::RestorePolicy::always;
    o.mode = reprise::SaveMode::sync;
    o.quiet = true;
    o.handle_signals = false;

    std::vector<double> field;
    if (a.save) {
        field.resize(a.count);
        reprise::Checkpointer ckpt(o);
        ckpt.track("field", field);
        ckpt.restore();
        for (int k = 1; k <= a.checkpoints; ++k) {
            peers::fill(field.data(), a.count, k, a.seed);
            const double t0 = peers::now();
            ckpt.save();
            peers::report_save(k, peers::now() - t0);
        }
        return 0; // no finish(): the checkpoints stay for the restore
    }
    const double t0 = peers::now();
    reprise::Checkpointer ckpt(o);
    ckpt.track("field", field);
    const bool loaded = ckpt.restore();
    const double seconds = peers::now() - t0;
    peers::report_restore(seconds, loaded && field.size() == a.count &&
                                       peers::check(field.data(), a.count, a.checkpoints, a.seed));
    ckpt.finish();
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
}
