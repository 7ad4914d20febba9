// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// A program built with REPRISE_SEPARATE_COMPILATION (README.md, "Compile time"): its files
// include <reprise/reprise.hpp> and see only declarations; impl.cpp compiles the
// definitions once; state.cpp is another file of the program that uses a Checkpointer.
// It saves, then restores into fresh variables in a second Checkpointer, and exits 0 only
// when every value came back and the files are gone after finish().

#include <reprise/reprise.hpp>

#include "state.hpp"

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 2;
    }
    reprise::Options options;
    options.directory = argv[1];
    options.name = "separate";
    options.quiet = true;
    std::vector<double> field(1000);
    for (std::size_t k = 0; k < field.size(); ++k) field[k] = 0.5 * static_cast<double>(k);
    Particle particle{7, 2.5, "ion"};
    {
        options.restore = reprise::RestorePolicy::never;
        reprise::Checkpointer ckpt(options);
        ckpt.track("field", field);
        track_particle(ckpt, particle);
        ckpt.restore();
        ckpt.save();
        if (ckpt.maybe_save()) return 1; // nothing was requested
    }
    std::vector<double> field2;
    Particle particle2{};
    options.restore = reprise::RestorePolicy::always;
    reprise::Checkpointer ckpt(options);
    ckpt.track("field", field2);
    track_particle(ckpt, particle2);
    if (!ckpt.restore()) return 1;
    if (field2 != field || !(particle2 == particle) || ckpt.generation() != 1) return 1;
    ckpt.finish();
    std::puts("separate compilation: saved, restored, finished");
    return 0;
}
