// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The compile-cost floor (benchmarks/compile_cost.sh): reprise_tu.cpp's program as it would
// compile if <reprise/reprise.hpp> held only what the contract requires of it and the
// Checkpointer's declaration: reprise's archives, cereal's support for the standard types,
// the options and the error, and per tracked type the two functions track() instantiates
// (save and load through a pointer); everything else (files, locks, signals, threads,
// Boost.Filesystem, xxHash) compiled once, in another translation unit, here an opaque
// function. No design that keeps the contract compiles this program for less; it is the
// figure a separately compiled Checkpointer would reach (docs/compile-cost.md).
// It is compiled, not run.

#include <reprise/archive.hpp>
#include <reprise/error.hpp>
#include <reprise/options.hpp>
#include <reprise/version.hpp>

#include <cereal/types/array.hpp>
#include <cereal/types/base_class.hpp>
#include <cereal/types/atomic.hpp>
#include <cereal/types/bitset.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/forward_list.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/queue.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/stack.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/valarray.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
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

// The Checkpointer's work, compiled elsewhere: it is given the two functions of a type.
bool checkpoint(const char* name, void* object, void (*save)(void*, reprise::OutputArchive&),
                void (*load)(void*, reprise::InputArchive&));

template <class T>
bool track(const char* name, T& var) {
    return checkpoint(
        name, &var, [](void* p, reprise::OutputArchive& ar) { ar(*static_cast<T*>(p)); },
        [](void* p, reprise::InputArchive& ar) { ar(*static_cast<T*>(p)); });
}

} // namespace probe

bool checkpoint_and_resume(std::vector<double>& field, probe::Particle& particle) {
    return probe::track("field", field) && probe::track("particle", particle);
}

// Build: benchmarks/compile_cost.sh compiles it with g++ -std=c++17 -O2 -c -I include.
