// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The compile-cost probe (benchmarks/compile_cost.sh): what a simulation code's file pays
// to checkpoint a std::vector<double> and a user struct with reprise, one save and one
// restore. Its twin, cereal_tu.cpp, does the same with cereal's portable binary archive
// alone; the script compiles both and compares their CPU time. It is compiled, not run.

#include <reprise/reprise.hpp>

#include <vector>

namespace probe {

struct Particle {
    double x = 0, y = 0, z = 0;
    int species = 0;
    std::vector<double> history;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, y, z, species, history);
    }
};

} // namespace probe

bool checkpoint_and_resume(std::vector<double>& field, probe::Particle& particle) {
    reprise::Checkpointer ckpt;
    ckpt.track("field", field);
    ckpt.track("particle", particle);
    const bool restored = ckpt.restore();
    ckpt.save();
    return restored;
}

// Build: benchmarks/compile_cost.sh compiles it with g++ -std=c++17 -O2 -c -I include.
