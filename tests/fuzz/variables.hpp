// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TESTS_FUZZ_VARIABLES_HPP
#define REPRISE_TESTS_FUZZ_VARIABLES_HPP

// The variables the fuzzed reader restores into, shared by the fuzz target
// (fuzz_reader.cpp) and the program that writes its hand-made seeds (make_seeds.cpp).
//
// A checkpoint's variables are known by name only, so the type each one is loaded as is
// chosen from its name: the names the examples and the tests track get the types they
// save there (sum: i, sum; heat2d: grid, clock; walk: positions, generator, step;
// heat2d_mpi: step, rows; tests/test_bad_input.cpp: step, field, tag), the names of the
// hand-made seeds theirs (the other containers reprise.hpp brings cereal's support for,
// too), and any other name, which only a mutation produces, a type
// picked by a hash of the name: a renamed variable is then loaded as another type, as
// when a program changes the type of what it tracks.

#include <reprise/reprise.hpp>

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <valarray>
#include <vector>

namespace reprise_fuzz {

// heat2d's SimulationClock.
struct Clock {
    std::uint64_t step = 0;
    double time = 0.0;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(step, time);
    }
};

// walk's Generator.
struct Generator {
    std::uint64_t state = 0;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(state);
    }
};

// A small struct in a vector (vectors of structs are decoded element by element).
struct Point {
    double x = 0.0, y = 0.0;
    std::int32_t id = 0;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, y, id);
    }
};

using Table = std::map<std::string, std::vector<double>>;

enum class Kind {
    u64, i32, f64, boolean, string, doubles, points, table, clock, generator, strings,
    rows_of_doubles, bytes, bits, deque_of_doubles, list_of_strings, set_of_u64,
    valarray_of_doubles, valarray_of_strings,
    count_ // not a kind: how many there are
};

inline Kind kind_of(const std::string& name) {
    static const std::map<std::string, Kind> known = {
        {"i", Kind::u64},           {"sum", Kind::u64},         {"step", Kind::u64},
        {"grid", Kind::doubles},    {"positions", Kind::doubles}, {"rows", Kind::doubles},
        {"field", Kind::doubles},   {"clock", Kind::clock},     {"generator", Kind::generator},
        {"tag", Kind::string},      {"count", Kind::i32},       {"ratio", Kind::f64},
        {"flag", Kind::boolean},    {"label", Kind::string},    {"points", Kind::points},
        {"table", Kind::table},     {"words", Kind::strings},   {"matrix", Kind::rows_of_doubles},
        {"raw", Kind::bytes},       {"mask", Kind::bits},       {"queue", Kind::deque_of_doubles},
        {"names", Kind::list_of_strings}, {"seen", Kind::set_of_u64},
        {"spectrum", Kind::valarray_of_doubles}, {"notes", Kind::valarray_of_strings}};
    const auto it = known.find(name);
    if (it != known.end()) return it->second;
    std::uint64_t h = 14695981039346656037ULL; // FNV-1a
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
    return static_cast<Kind>(h % static_cast<std::uint64_t>(Kind::count_));
}

// One tracked variable of a type chosen at run time.
class Slot {
public:
    virtual ~Slot() = default;
    virtual void track(reprise::Checkpointer& ckpt, const std::string& name,
                       reprise::TrackFlags flags = reprise::TrackFlags::exact) = 0;
};

template <class T>
class SlotOf final : public Slot {
public:
    explicit SlotOf(T value = T()) : value_(std::move(value)) {}
    void track(reprise::Checkpointer& ckpt, const std::string& name,
               reprise::TrackFlags flags) override {
        ckpt.track(name, value_, flags);
    }

private:
    T value_;
};

// A variable of the kind `name` calls for; `seed` gives a saved value some content.
inline std::unique_ptr<Slot> make_slot(const std::string& name, unsigned seed = 0) {
    const double d = 0.5 + seed;
    switch (kind_of(name)) {
    case Kind::u64: return std::make_unique<SlotOf<std::uint64_t>>(seed * 1000003ULL);
    case Kind::i32: return std::make_unique<SlotOf<std::int32_t>>(-static_cast<int>(seed));
    case Kind::f64: return std::make_unique<SlotOf<double>>(d);
    case Kind::boolean: return std::make_unique<SlotOf<bool>>(seed % 2 == 1);
    case Kind::string: return std::make_unique<SlotOf<std::string>>(std::string(seed % 40, 'a'));
    case Kind::doubles: return std::make_unique<SlotOf<std::vector<double>>>(std::vector<double>(seed % 17, d));
    case Kind::points: {
        std::vector<Point> points;
        for (unsigned k = 0; k < seed % 5; ++k)
            points.push_back({d * k, -d, static_cast<std::int32_t>(k)});
        return std::make_unique<SlotOf<std::vector<Point>>>(std::move(points));
    }
    case Kind::table: {
        Table table;
        for (unsigned k = 0; k < seed % 4; ++k)
            table["key" + std::to_string(k)] = std::vector<double>(k + 1, d);
        return std::make_unique<SlotOf<Table>>(std::move(table));
    }
    case Kind::clock: return std::make_unique<SlotOf<Clock>>(Clock{seed, d});
    case Kind::generator: return std::make_unique<SlotOf<Generator>>(Generator{seed * 77ULL + 1});
    case Kind::strings:
        return std::make_unique<SlotOf<std::vector<std::string>>>(
            std::vector<std::string>(seed % 4, std::string(seed % 7, 'w')));
    case Kind::rows_of_doubles:
        return std::make_unique<SlotOf<std::vector<std::vector<double>>>>(
            std::vector<std::vector<double>>(seed % 3, std::vector<double>(seed % 5, d)));
    case Kind::bytes:
        return std::make_unique<SlotOf<std::vector<std::uint8_t>>>(
            std::vector<std::uint8_t>(seed % 33, static_cast<std::uint8_t>(seed)));
    case Kind::bits: return std::make_unique<SlotOf<std::vector<bool>>>(std::vector<bool>(seed % 19, true));
    case Kind::deque_of_doubles:
        return std::make_unique<SlotOf<std::deque<double>>>(std::deque<double>(seed % 9, d));
    case Kind::list_of_strings:
        return std::make_unique<SlotOf<std::list<std::string>>>(
            std::list<std::string>(seed % 4, std::string(seed % 5, 'l')));
    case Kind::set_of_u64: {
        std::unordered_set<std::uint64_t> set;
        for (unsigned k = 0; k < seed % 6; ++k) set.insert(k * 31ULL);
        return std::make_unique<SlotOf<std::unordered_set<std::uint64_t>>>(std::move(set));
    }
    // Never empty, not even as a restore's target (seed 0): the double free of issue 14
    // needed a valarray that had an array to free.
    case Kind::valarray_of_doubles:
        return std::make_unique<SlotOf<std::valarray<double>>>(std::valarray<double>(d, seed % 7 + 1));
    case Kind::valarray_of_strings:
        return std::make_unique<SlotOf<std::valarray<std::string>>>(
            std::valarray<std::string>(std::string(seed % 3, 'n'), seed % 4 + 1));
    case Kind::count_: break;
    }
    return std::make_unique<SlotOf<std::uint64_t>>();
}

} // namespace reprise_fuzz

#endif
