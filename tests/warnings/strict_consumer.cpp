// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
//
// A user's translation unit built with the strictest warnings a careful project turns on
// (-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror), reprise's
// headers included with -I, not as system headers: every warning in them is the user's
// build failing. It instantiates what a program instantiates (track, save, restore, the
// poll, finish) for every kind of type reprise.hpp brings cereal's support for, so that
// the templates are compiled too, not just parsed. CTest: warnings.gcc, warnings.clang
// (tests/warnings/CMakeLists.txt); with -DREPRISE_STRICT_MPI, reprise/mpi.hpp as well.
// reprise/inspect.hpp, the header that tools include on purpose, is checked too.

#include <reprise/inspect.hpp>
#include <reprise/reprise.hpp>
#ifdef REPRISE_STRICT_MPI
#include <reprise/mpi.hpp>
#endif

#include <array>
#include <bitset>
#include <chrono>
#include <complex>
#include <cstdint>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <stack>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <valarray>
#include <variant>
#include <vector>

namespace {

struct Particle {
    double x = 0.0;
    std::int32_t id = 0;
    bool alive = false;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, id, alive);
    }
};

struct State {
    std::uint64_t step = 0;
    std::int8_t small = 0;
    std::uint16_t half = 0;
    float ratio = 0.0f;
    long double precise = 0.0L;
    std::vector<double> field;
    std::vector<std::uint8_t> bytes;
    std::vector<bool> mask;
    std::vector<Particle> particles;
    std::string tag;
    std::wstring wide;
    std::array<double, 4> corner{};
    std::array<bool, 3> flags{};
    std::bitset<70> bits;
    std::deque<double> queue;
    std::list<std::string> names;
    std::forward_list<int> forward;
    std::map<std::string, std::vector<double>> table;
    std::multimap<int, int> multi;
    std::set<std::int64_t> keys;
    std::unordered_map<std::string, int> counts;
    std::unordered_set<std::uint64_t> seen;
    std::unordered_multiset<int> seen_twice;
    std::valarray<double> spectrum;
    std::valarray<std::string> notes;
    std::pair<int, double> pair;
    std::tuple<int, std::string, double> tuple;
    std::complex<double> z;
    std::optional<int> maybe;
    std::variant<int, std::string> either;
    std::unique_ptr<Particle> owned;
    std::shared_ptr<Particle> shared;
    std::chrono::nanoseconds elapsed{};
    std::queue<int> fifo;
    std::priority_queue<int> heap;
    std::stack<int> lifo;
};

template <class Ckpt>
void track_all(Ckpt& c, State& s) {
    c.track("step", s.step).track("small", s.small).track("half", s.half);
    c.track("ratio", s.ratio).track("precise", s.precise).track("field", s.field);
    c.track("bytes", s.bytes).track("mask", s.mask).track("particles", s.particles);
    c.track("tag", s.tag).track("wide", s.wide).track("corner", s.corner);
    c.track("flags", s.flags).track("bits", s.bits).track("queue", s.queue);
    c.track("names", s.names).track("forward", s.forward).track("table", s.table);
    c.track("multi", s.multi).track("keys", s.keys).track("counts", s.counts);
    c.track("seen", s.seen).track("seen_twice", s.seen_twice).track("spectrum", s.spectrum);
    c.track("notes", s.notes).track("pair", s.pair).track("tuple", s.tuple).track("z", s.z);
    c.track("maybe", s.maybe).track("either", s.either).track("owned", s.owned);
    c.track("shared", s.shared).track("elapsed", s.elapsed).track("fifo", s.fifo);
    c.track("heap", s.heap).track("lifo", s.lifo);
}

} // namespace

int main(int argc, char** argv) {
#ifdef REPRISE_STRICT_MPI
    MPI_Init(&argc, &argv);
#endif
    // Compiled, and run only when asked (`strict_consumer DIR`): the test is the build.
    if (argc == 2) {
        reprise::Options options;
        options.directory = argv[1];
        options.quiet = true;
        State s;
#ifdef REPRISE_STRICT_MPI
        reprise::mpi::Checkpointer c(MPI_COMM_WORLD, options);
#else
        reprise::Checkpointer c(options);
#endif
        track_all(c, s);
        c.restore();
        while (s.step < 3) {
            ++s.step;
            c.maybe_save();
        }
        c.save();
        c.finish();
    }
#ifdef REPRISE_STRICT_MPI
    MPI_Finalize();
#else
    (void)argv;
#endif
    return 0;
}
