// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// reprise's own cereal archives (reprise/archive.hpp) against cereal's portable binary
// archive, whose bytes the file format promises: the same bytes out for every kind of
// value, and both byte orders of cereal's archive read back. Then the save path around
// them: the generation before the last is overwritten in place (recycled) rather than
// freed, except when it has another link, and a recycled file longer than the new content
// is cut to size.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <cereal/archives/portable_binary.hpp>

#include <array>
#include <complex>
#include <cstdint>
#include <deque>
#include <forward_list>
#include <fstream>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_set>
#include <valarray>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

using reprise::Checkpointer;
using reprise::RestorePolicy;
using reprise_test::options_for;
using reprise_test::TempDir;

// A user type with a member template, as cereal recommends, and one with a non-template
// save/load pair written for reprise's archives.
struct Particle {
    double x = 0, v = 0;
    std::int64_t id = 0;
    std::int32_t species = 0;
    float weight = 0;
    bool alive = false;
    char tag = 0;

    template <class Archive>
    void serialize(Archive& ar) {
        ar(x, v, id, species, weight, alive, tag);
    }
    bool operator==(const Particle& o) const {
        return std::tie(x, v, id, species, weight, alive, tag) ==
               std::tie(o.x, o.v, o.id, o.species, o.weight, o.alive, o.tag);
    }
};

struct Counter {
    std::uint16_t hits = 0;
    void save(reprise::OutputArchive& ar) const { ar(hits); }
    void load(reprise::InputArchive& ar) { ar(hits); }
};

// Everything cereal breaks values down to: arithmetic values of each size, sizes, strings,
// contiguous arrays, nested containers, user types, smart pointers, name-value pairs.
struct Everything {
    std::int8_t i8 = -8;
    std::uint16_t u16 = 0xbeef;
    std::int32_t i32 = -2147483647 - 1;
    std::uint64_t u64 = 0x0123456789abcdefULL;
    float f = -1.5f;
    double d = 6.02214076e23;
    long double ld = 1.0L / 3;
    bool b = true;
    char c = 'q';
    std::string text = std::string("nul\0inside", 10);
    std::vector<double> doubles{0.0, -0.0, 1e-310, std::numeric_limits<double>::infinity()};
    std::vector<std::int16_t> shorts{1, -2, 3};
    std::vector<std::string> words{"", "alpha", std::string(300, 'z')};
    std::map<std::string, std::vector<int>> table{{"a", {1, 2}}, {"b", {}}};
    std::vector<Particle> particles{{1.5, -2.5, 7, 3, 0.25f, true, 'p'}, {}};
    std::unique_ptr<int> owned = std::make_unique<int>(42);
    std::shared_ptr<std::string> shared = std::make_shared<std::string>("shared");
    std::tuple<int, std::string, double> tuple{1, "two", 3.0};

    template <class Archive>
    void serialize(Archive& ar) {
        ar(i8, u16, i32, u64, f, d, ld, b, c, text, doubles, shorts, words, table, particles);
        ar(owned, shared, shared, tuple, cereal::make_nvp("named", i32));
    }
};

// A ByteSink into a std::string, so that tests see the bytes an archive produced. The
// window is kept tiny (7 bytes) so that values straddle its end.
class StringSink final : public reprise::detail::ByteSink {
public:
    StringSink() { rewind(); }
    std::string bytes() const { return out_ + std::string(window_, pos_); }

private:
    void put_beyond(const char* data, std::size_t n) override {
        out_.append(window_, pos_);
        out_.append(data, n);
        rewind();
    }
    void rewind() {
        base_ = window_;
        pos_ = 0;
        limit_ = sizeof window_;
    }
    char window_[7];
    std::string out_;
};

// A ByteSource over a std::string, handing it out a few bytes at a time.
class StringSource final : public reprise::detail::ByteSource {
public:
    explicit StringSource(std::string bytes) : bytes_(std::move(bytes)) {}
    std::uint64_t remaining() const override { return bytes_.size() - at_ + limit_ - pos_; }

private:
    void get_beyond(char* into, std::size_t n) override {
        const std::size_t buffered = limit_ - pos_;
        if (n > remaining()) throw std::runtime_error("the data ends");
        if (buffered) std::memcpy(into, base_ + pos_, buffered);
        if (n > buffered) std::memcpy(into + buffered, bytes_.data() + at_, n - buffered);
        at_ += n - buffered;
        base_ = bytes_.data() + at_;
        pos_ = 0;
        limit_ = std::min<std::size_t>(5, bytes_.size() - at_);
        at_ += limit_;
    }
    std::string bytes_;
    std::size_t at_ = 0;
};

template <class T>
std::string reprise_bytes(T& value) {
    StringSink sink;
    {
        reprise::OutputArchive ar(sink);
        ar(value);
    }
    return sink.bytes();
}

template <class T>
std::string cereal_bytes(T& value, cereal::PortableBinaryOutputArchive::Options options) {
    std::ostringstream out;
    {
        cereal::PortableBinaryOutputArchive ar(out, options);
        ar(value);
    }
    return out.str();
}

template <class T>
void read_back(const std::string& bytes, T& value) {
    StringSource source(bytes);
    reprise::InputArchive ar(source);
    ar(value);
    CHECK(source.remaining() == 0);
}

struct stat stat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st;
}

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace

TEST_CASE("reprise's archive writes exactly the bytes of cereal's little-endian portable "
          "binary archive",
          "[archive][format]") {
    Everything value;
    const auto little = cereal::PortableBinaryOutputArchive::Options::LittleEndian();
    CHECK(reprise_bytes(value) == cereal_bytes(value, little));

    std::vector<double> big(100000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i) * 0.5;
    CHECK(reprise_bytes(big) == cereal_bytes(big, little));

    Counter counter{513};
    CHECK(reprise_bytes(counter) == std::string("\x01\x01\x02", 3));
}

TEST_CASE("reprise's archive reads cereal's portable binary archive in either byte order",
          "[archive][format]") {
    using Options = cereal::PortableBinaryOutputArchive::Options;
    for (const auto& options : {Options::LittleEndian(), Options::BigEndian()}) {
        Everything original;
        original.u64 = 0xfedcba9876543210ULL;
        original.particles.push_back({-1, 2, -3, 4, 5.5f, false, 'x'});
        const std::string bytes = cereal_bytes(original, options);

        Everything restored;
        restored.text = "stale";
        restored.doubles.assign(9, 1.0);
        restored.particles.clear();
        read_back(bytes, restored);
        CHECK(restored.i8 == original.i8);
        CHECK(restored.u16 == original.u16);
        CHECK(restored.i32 == original.i32);
        CHECK(restored.u64 == original.u64);
        CHECK(restored.f == original.f);
        CHECK(restored.d == original.d);
        CHECK(restored.ld == original.ld);
        CHECK(restored.text == original.text);
        CHECK(std::memcmp(restored.doubles.data(), original.doubles.data(),
                          original.doubles.size() * sizeof(double)) == 0);
        CHECK(restored.doubles.size() == original.doubles.size());
        CHECK(restored.shorts == original.shorts);
        CHECK(restored.words == original.words);
        CHECK(restored.table == original.table);
        CHECK(restored.particles == original.particles);
        CHECK(*restored.owned == 42);
        CHECK(*restored.shared == "shared");
        CHECK(restored.tuple == original.tuple);
    }
}

TEST_CASE("reprise's archive rejects data that ends too soon or is not a portable archive",
          "[archive][errors]") {
    std::vector<double> v{1, 2, 3};
    const std::string bytes = reprise_bytes(v);
    std::vector<double> restored;
    CHECK_THROWS_WITH(read_back(bytes.substr(0, bytes.size() - 1), restored),
                      Catch::Contains("ends"));
    std::string flagged = bytes;
    flagged[0] = '\x07';
    CHECK_THROWS_WITH(read_back(flagged, restored), Catch::Contains("byte order flag 7"));
}

TEST_CASE("a vector's element count larger than its data is refused before any allocation",
          "[archive][errors][security]") {
    // The count sits after the one-byte byte order flag, as 64 bits little-endian.
    auto with_count = [](std::string bytes, std::uint64_t count) {
        for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
        return bytes;
    };
    const std::uint64_t huge = std::uint64_t(1) << 28; // 2 GiB of doubles: allocatable, absurd
    std::vector<double> three{1, 2, 3}, doubles;
    CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(three), huge), doubles),
                      Catch::Contains("too soon for a vector of 268435456 elements"));
    CHECK(doubles.capacity() < 1000);
    std::vector<std::string> two{"a", "b"}, strings;
    CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(two), huge), strings),
                      Catch::Contains("too soon for a vector of 268435456 elements"));
    CHECK(strings.capacity() < 1000);
    // A count that fits is still read as cereal reads it.
    std::vector<std::string> fine;
    read_back(reprise_bytes(two), fine);
    CHECK(fine == two);
}

// Found by the fuzzed reader (tests/fuzz/): cereal's loaders of these containers resize
// (or reserve) to the count in the data before reading an element.
TEST_CASE("a string's or another container's count larger than its data is refused before any "
          "allocation", "[archive][errors][security][fuzz-regression]") {
    auto with_count = [](std::string bytes, std::uint64_t count) {
        for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
        return bytes;
    };
    // 2^51: the length the fuzzer wrote into a 4 KiB checkpoint's string, 2 PiB to allocate
    // at once (bad_alloc without the check). 2^24: allocatable, so the check is all that
    // refuses it. The lists get only the latter: without the check they allocate node by
    // node, and 2^51 nodes exhaust the machine's memory instead of failing.
    const std::uint64_t absurd = std::uint64_t(1) << 51;
    const std::uint64_t large = std::uint64_t(1) << 24;
    for (const std::uint64_t count : {absurd, large}) {
        INFO("count " << count);
        const std::string expected = " of " + std::to_string(count) + " ";
        std::string text = "abc", restored_text;
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(text), count), restored_text),
                          Catch::Contains("too soon for a string" + expected + "characters"));
        CHECK(restored_text.capacity() < 1000);
        std::vector<bool> bits{true, false}, restored_bits;
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(bits), count), restored_bits),
                          Catch::Contains("too soon for a vector" + expected + "elements"));
        CHECK(restored_bits.capacity() < 1000);
        std::deque<double> deque{1, 2}, restored_deque;
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(deque), count), restored_deque),
                          Catch::Contains("too soon for a deque" + expected + "elements"));
        CHECK(restored_deque.empty());
        std::unordered_set<std::uint64_t> set{7}, restored_set;
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(set), count), restored_set),
                          Catch::Contains("too soon for a set" + expected + "elements"));
        CHECK(restored_set.bucket_count() < 1000);
    }
    {
        const std::string expected = " of " + std::to_string(large) + " elements";
        std::list<std::string> list{"a"}, restored_list;
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(list), large), restored_list),
                          Catch::Contains("too soon for a list" + expected));
        CHECK(restored_list.empty());
        std::forward_list<int> forward{1}, restored_forward;
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(forward), large), restored_forward),
                          Catch::Contains("too soon for a forward_list" + expected));
        CHECK(restored_forward.empty());
    }
    // Counts that fit are read as cereal reads them.
    std::string text = "abc", restored_text;
    read_back(reprise_bytes(text), restored_text);
    CHECK(restored_text == text);
    std::vector<bool> bits{true, false, true}, restored_bits;
    read_back(reprise_bytes(bits), restored_bits);
    CHECK(restored_bits == bits);
    std::deque<double> deque{1, 2}, restored_deque;
    read_back(reprise_bytes(deque), restored_deque);
    CHECK(restored_deque == deque);
    std::list<std::string> list{"a", "bc"}, restored_list;
    read_back(reprise_bytes(list), restored_list);
    CHECK(restored_list == list);
    std::forward_list<int> forward{1, 2, 3}, restored_forward;
    read_back(reprise_bytes(forward), restored_forward);
    CHECK(restored_forward == forward);
    std::unordered_set<std::uint64_t> set{7, 8}, restored_set;
    read_back(reprise_bytes(set), restored_set);
    CHECK(restored_set == set);
    std::unordered_multiset<int> multi{1, 1, 2}, restored_multi;
    read_back(reprise_bytes(multi), restored_multi);
    CHECK(restored_multi == multi);
}

// Issue 14: cereal's valarray loader resized to the count in the data before reading an
// element: 2^60 was std::bad_alloc (and a double free, below), 2^26 half a GiB allocated
// for a few bytes of data.
TEST_CASE("a valarray's count larger than its data is refused before any allocation",
          "[archive][errors][security]") {
    auto with_count = [](std::string bytes, std::uint64_t count) {
        for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
        return bytes;
    };
    for (const std::uint64_t count : {std::uint64_t(1) << 60, std::uint64_t(1) << 26}) {
        INFO("count " << count);
        const std::string expected = "too soon for a valarray of " + std::to_string(count) + " elements";
        std::valarray<double> doubles{1.0, 2.0, 3.0}, restored{5.0, 6.0};
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(doubles), count), restored),
                          Catch::Contains(expected));
        REQUIRE(restored.size() == 2); // untouched
        CHECK(restored[1] == 6.0);
        std::valarray<std::string> strings{"a", "b"}, restored_strings{"x"};
        CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(strings), count), restored_strings),
                          Catch::Contains(expected));
        REQUIRE(restored_strings.size() == 1);
        CHECK(restored_strings[0] == "x");
    }
    // Counts that fit are read as cereal reads them (the same bytes as cereal's archive).
    std::valarray<double> doubles{1.5, -2.0, 1e300}, restored_doubles{9.0};
    CHECK(reprise_bytes(doubles) ==
          cereal_bytes(doubles, cereal::PortableBinaryOutputArchive::Options::LittleEndian()));
    read_back(reprise_bytes(doubles), restored_doubles);
    REQUIRE(restored_doubles.size() == 3);
    CHECK(restored_doubles[2] == 1e300);
    std::valarray<std::string> strings{"a", "bc"}, restored_strings;
    read_back(reprise_bytes(strings), restored_strings);
    REQUIRE(restored_strings.size() == 2);
    CHECK(restored_strings[1] == "bc");
    std::valarray<int> empty, restored_empty{1, 2};
    read_back(reprise_bytes(empty), restored_empty);
    CHECK(restored_empty.size() == 0);
    // Already of the saved size (a restart's usual case): filled in place.
    std::valarray<double> same(0.0, 3);
    const double* const array = &same[0];
    read_back(reprise_bytes(doubles), same);
    CHECK(&same[0] == array);
    CHECK(same[0] == 1.5);
    CHECK(same[2] == 1e300);
}

// An element that takes many bytes in the file is counted as many, not as one: a vector
// of std::array<double, 1024> whose count said 4096 beside one element's data was sized
// to 32 MiB before the data ran out (8192 times what the bytes left justified).
TEST_CASE("a count of arrays, pairs or tuples is checked against their size in the data",
          "[archive][errors][security]") {
    auto with_count = [](std::string bytes, std::uint64_t count) {
        for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
        return bytes;
    };
    std::vector<std::array<double, 1024>> blocks(1), restored_blocks;
    CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(blocks), 4096), restored_blocks),
                      Catch::Contains("too soon for a vector of 4096 elements"));
    CHECK(restored_blocks.capacity() < 2);
    std::deque<std::pair<std::uint64_t, double>> pairs(4), restored_pairs;
    CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(pairs), 8), restored_pairs),
                      Catch::Contains("too soon for a deque of 8 elements"));
    std::list<std::tuple<double, std::complex<double>, std::int32_t>> tuples(2), restored_tuples;
    CHECK_THROWS_WITH(read_back(with_count(reprise_bytes(tuples), 3), restored_tuples),
                      Catch::Contains("too soon for a list of 3 elements"));
    // Counts that fit are read as cereal reads them.
    blocks[0][1023] = 2.5;
    read_back(reprise_bytes(blocks), restored_blocks);
    CHECK(restored_blocks == blocks);
    pairs[3] = {7, 0.5};
    read_back(reprise_bytes(pairs), restored_pairs);
    CHECK(restored_pairs == pairs);
    read_back(reprise_bytes(tuples), restored_tuples);
    CHECK(restored_tuples == tuples);
}

#if defined(__SANITIZE_ADDRESS__)
#define REPRISE_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPRISE_TEST_UNDER_ASAN 1
#endif
#endif

// The mechanism of issue 14's double free, apart from the count check: an allocation that
// fails while a valarray is loaded. libstdc++'s valarray::resize frees the old array and
// stores the new size before it allocates, so a loader that resizes the tracked variable
// leaves it, on std::bad_alloc, with a freed pointer that its destructor frees again. A
// source that claims more data than it has lets a count of 2^60 doubles past the check,
// to a real std::bad_alloc. (Not under AddressSanitizer, whose operator new reports an
// allocation of 2^63 bytes as an error instead of throwing.)
TEST_CASE("a valarray whose new array cannot be allocated keeps its old value",
          "[archive][errors][security]") {
#ifdef REPRISE_TEST_UNDER_ASAN
    WARN("skipped under AddressSanitizer: its operator new does not throw std::bad_alloc");
#else
    class ClaimingSource final : public reprise::detail::ByteSource {
    public:
        explicit ClaimingSource(std::string bytes) : bytes_(std::move(bytes)) {
            base_ = bytes_.data();
            limit_ = bytes_.size();
        }
        std::uint64_t remaining() const override { return std::numeric_limits<std::uint64_t>::max(); }

    private:
        void get_beyond(char*, std::size_t) override { throw std::runtime_error("the data ends"); }
        std::string bytes_;
    };
    std::string bytes(1 + 8, '\0');
    bytes[0] = 1; // little-endian
    for (int i = 0; i < 8; ++i)
        bytes[1 + static_cast<std::size_t>(i)] = static_cast<char>(((std::uint64_t(1) << 60) >> (8 * i)) & 0xff);
    std::valarray<double> values{7.0, 8.0, 9.0};
    {
        ClaimingSource source(bytes);
        reprise::InputArchive ar(source);
        CHECK_THROWS_AS(ar(values), std::bad_alloc);
    }
    REQUIRE(values.size() == 3);
    CHECK(values[0] == 7.0);
    values = std::valarray<double>{1.0}; // frees the old array: once
    CHECK(values.size() == 1);
#endif
}

// Found by the fuzzed reader (tests/fuzz/): a byte of 4 where a bool was saved, copied
// into a bool, was undefined behaviour (UBSan: "not a valid value for type 'bool'").
TEST_CASE("a bool saved as a byte other than 0 or 1 is refused", "[archive][errors][fuzz-regression]") {
    bool flag = true, restored_flag = false;
    std::string bytes = reprise_bytes(flag);
    REQUIRE(bytes.size() == 2); // the byte order flag, the bool
    bytes[1] = '\x04';
    CHECK_THROWS_WITH(read_back(bytes, restored_flag), Catch::Contains("a bool of value 4, not 0 or 1"));
    std::vector<bool> bits{true, false}, restored_bits;
    bytes = reprise_bytes(bits);
    bytes.back() = '\x02';
    CHECK_THROWS_WITH(read_back(bytes, restored_bits), Catch::Contains("a bool of value 2, not 0 or 1"));
    std::array<bool, 3> array{true, false, true}, restored_array{};
    bytes = reprise_bytes(array);
    bytes.back() = '\xff';
    CHECK_THROWS_WITH(read_back(bytes, restored_array), Catch::Contains("a bool of value 255, not 0 or 1"));
    // 0 and 1 are read as they were written.
    read_back(reprise_bytes(flag), restored_flag);
    CHECK(restored_flag);
    read_back(reprise_bytes(bits), restored_bits);
    CHECK(restored_bits == bits);
    read_back(reprise_bytes(array), restored_array);
    CHECK(restored_array == array);
}

TEST_CASE("a save overwrites the generation before the last in place instead of freeing it",
          "[archive][generations]") {
    TempDir dir;
    std::vector<double> state(300000, 1.0);
    Checkpointer c(options_for(dir.path()));
    c.track("state", state);
    c.save();
    const ino_t first = stat_of(c.path_of_generation(1)).st_ino;
    state.assign(state.size(), 2.0);
    c.save();
    state.assign(state.size(), 3.0);
    c.save();
    // Generation 3 lives in generation 1's file (its inode); generation 1's name is gone.
    CHECK(stat_of(c.path_of_generation(3)).st_ino == first);
    CHECK(::access(c.path_of_generation(1).c_str(), F_OK) != 0);
    CHECK((stat_of(c.path_of_generation(3)).st_mode & 07777) == 0600);
}

TEST_CASE("a generation with another link is never overwritten: the link keeps its bytes",
          "[archive][generations]") {
    TempDir dir, keep;
    std::vector<double> state(300000, 1.0);
    Checkpointer c(options_for(dir.path()));
    c.track("state", state);
    c.save();
    const std::string copy = keep / "generation-1.ckpt";
    REQUIRE(::link(c.path_of_generation(1).c_str(), copy.c_str()) == 0);
    const std::string before = contents(copy);
    state.assign(state.size(), 2.0);
    c.save();
    state.assign(state.size(), 3.0);
    c.save();
    CHECK(contents(copy) == before);
    CHECK(stat_of(copy).st_nlink == 1);
    CHECK(stat_of(c.path_of_generation(3)).st_ino != stat_of(copy).st_ino);
    CHECK(::access(c.path_of_generation(1).c_str(), F_OK) != 0);
}

TEST_CASE("a recycled file longer than the new generation is cut to the new size",
          "[archive][generations]") {
    TempDir dir;
    std::vector<double> state(500000, 1.0);
    {
        Checkpointer c(options_for(dir.path()));
        c.track("state", state);
        c.save();
        state.assign(1000, 2.0);
        c.save();
        state.assign(10, 3.0);
        c.save(); // into generation 1's file, 4 MB long
        const auto size = static_cast<std::uint64_t>(stat_of(c.path_of_generation(3)).st_size);
        // Payload offset 4096, the archive's flag byte, the size, 10 doubles, the chunk
        // table (one chunk's hash), the trailer.
        CHECK(size == 4096 + 1 + 8 + 10 * 8 + 16 + 16);
    }
    std::vector<double> restored;
    Checkpointer c(options_for(dir.path(), RestorePolicy::always));
    c.track("state", restored);
    REQUIRE(c.restore());
    CHECK(c.generation() == 3);
    CHECK(restored == std::vector<double>(10, 3.0));
}

TEST_CASE("a FIFO planted under a generation's name blocks neither a save nor a restore",
          "[archive][generations][security]") {
    TempDir dir;
    std::vector<double> state(1000, 1.0);
    std::string first, fourth;
    {
        Checkpointer c(options_for(dir.path()));
        c.track("state", state);
        c.save();
        c.save();
        first = c.path_of_generation(1);
        fourth = c.path_of_generation(4);
    }
    // Generation 1, the one the next save retires, becomes a FIFO nobody reads.
    REQUIRE(::unlink(first.c_str()) == 0);
    REQUIRE(::mkfifo(first.c_str(), 0600) == 0);
    {
        std::vector<double> restored;
        Checkpointer c(options_for(dir.path(), RestorePolicy::always));
        c.track("state", restored);
        REQUIRE(c.restore());
        CHECK(c.generation() == 2);
        restored.assign(1000, 3.0);
        c.save(); // generation 3: the FIFO is removed, not opened for writing and waited on
        CHECK(::access(first.c_str(), F_OK) != 0);
        CHECK(S_ISREG(stat_of(c.path_of_generation(3)).st_mode));
    }
    // A FIFO as the newest "generation": rejected, the one before it restored.
    REQUIRE(::mkfifo(fourth.c_str(), 0600) == 0);
    std::vector<double> restored;
    reprise_test::StderrCapture capture;
    Checkpointer c(options_for(dir.path(), RestorePolicy::always));
    c.track("state", restored);
    REQUIRE(c.restore());
    CHECK(c.generation() == 3);
    CHECK(restored == std::vector<double>(1000, 3.0));
    CHECK(reprise_test::contains(capture.stop(), "not a regular file"));
}
