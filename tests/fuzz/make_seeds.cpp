// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Writes the fuzzer's hand-made seeds: small real checkpoints, saved by a real
// Checkpointer, of the variable types variables.hpp names that the examples do not
// track (vectors of structs, maps of strings to vectors, strings, scalars, nested
// vectors), a few per file. Written at test time, so they follow the format as it is.
//
//   make_seeds DIR     leaves DIR/<name>.local.<generation>.ckpt, one generation each

#include "variables.hpp"

#include <reprise/reprise.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argc > 0 ? argv[0] : "make_seeds");
        return 2;
    }
    // Each seed: a checkpoint name and the variables it holds (kinds from their names).
    const std::vector<std::pair<std::string, std::vector<std::string>>> seeds = {
        {"points", {"points", "step"}},
        {"table", {"table", "label"}},
        {"scalars", {"count", "ratio", "flag", "i"}},
        {"strings", {"tag", "words"}},
        {"nested", {"matrix", "raw", "field"}},
        {"containers", {"mask", "queue", "names", "seen", "spectrum", "notes"}},
        {"empty", {}},
        {"mixed", {"clock", "generator", "points", "table", "words", "matrix", "tag"}},
    };
    try {
        for (const auto& [name, variables] : seeds) {
            reprise::Options options;
            options.directory = argv[1];
            options.name = name;
            options.restore = reprise::RestorePolicy::never;
            options.quiet = true;
            options.handle_signals = false;
            reprise::Checkpointer ckpt(options);
            std::vector<std::unique_ptr<reprise_fuzz::Slot>> slots;
            unsigned seed = 3;
            for (const auto& v : variables) {
                slots.push_back(reprise_fuzz::make_slot(v, seed++));
                slots.back()->track(ckpt, v);
            }
            ckpt.save(); // left on disk: no finish()
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}

// Build and run: tests/fuzz/run.sh builds it beside the fuzz target and runs it.
