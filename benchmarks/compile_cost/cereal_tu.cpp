// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The compile-cost baseline (benchmarks/compile_cost.sh): reprise_tu.cpp's program
// written with cereal alone, its portable binary archive to a file and back, the same
// struct, the same vector, one save and one restore. It is compiled, not run.

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/vector.hpp>

#include <fstream>
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
    bool restored = false;
    {
        std::ifstream in("checkpoint.bin", std::ios::binary);
        if (in) {
            cereal::PortableBinaryInputArchive archive(in);
            archive(field, particle);
            restored = true;
        }
    }
    std::ofstream out("checkpoint.bin", std::ios::binary | std::ios::trunc);
    cereal::PortableBinaryOutputArchive archive(out);
    archive(field, particle);
    return restored;
}

// Build: benchmarks/compile_cost.sh compiles it with g++ -std=c++17 -O2 -c -I include.
