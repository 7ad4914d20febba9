// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_ARCHIVE_HPP
#define REPRISE_ARCHIVE_HPP

/// The cereal archives a checkpoint is written and read with.
///
/// They write exactly the bytes of cereal's `PortableBinaryOutputArchive` in little-endian
/// mode (a one-byte endianness flag, then every value little-endian, sizes as 64 bits), so
/// the file format does not depend on them; they exist for speed: a field costs a bounds
/// check and a fixed-size copy, not a virtual call into a std::streambuf.
///
/// A type whose `serialize` (or `save`/`load`) is a template over the archive, as cereal
/// recommends, works with them unchanged. A non-template function written for one archive
/// must name these: `void save(reprise::OutputArchive&) const`,
/// `void load(reprise::InputArchive&)`.

#include "reprise/detail/bytes.hpp"
#include "reprise/detail/parallel.hpp"

#include <cereal/cereal.hpp>

#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <forward_list>
#include <limits>
#include <list>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <valarray>
#include <vector>

namespace reprise {

namespace detail {

inline constexpr bool kHostIsLittleEndian =
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    false;
#else
    true;
#endif

template <std::size_t Size>
void reverse_each(char* data, std::size_t bytes) {
    for (std::size_t at = 0; at + Size <= bytes; at += Size)
        for (std::size_t i = 0; i < Size / 2; ++i) {
            const char c = data[at + i];
            data[at + i] = data[at + Size - 1 - i];
            data[at + Size - 1 - i] = c;
        }
}

// A bool is saved as one byte, 0 or 1; any other byte is not data this archive wrote.
inline void check_bool(unsigned byte) {
    if (byte > 1)
        throw cereal::Exception("a bool of value " + std::to_string(byte) + ", not 0 or 1");
}

template <class T>
constexpr void check_portable() {
    static_assert(!std::is_floating_point<T>::value || std::numeric_limits<T>::is_iec559,
                  "reprise: checkpoints hold IEEE 754 floating point only");
}

} // namespace detail

/// Writes cereal data into a `detail::ByteSink`. Not thread-safe; one per variable saved.
class OutputArchive : public cereal::OutputArchive<OutputArchive, cereal::AllowEmptyClassElision> {
    using Base = cereal::OutputArchive<OutputArchive, cereal::AllowEmptyClassElision>;

public:
    explicit OutputArchive(detail::ByteSink& sink)
        : cereal::OutputArchive<OutputArchive, cereal::AllowEmptyClassElision>(this), sink_(sink) {
        const std::uint8_t little_endian = 1; // as PortableBinaryOutputArchive records it
        sink_.put_value(little_endian);
    }

    /// Serializes each argument in turn. Hides cereal's own operator(), whose recursion
    /// over the arguments goes through the archive's `self` pointer once per level: a
    /// chain of dependent loads, one per field, that is the longest path of a struct's
    /// serialization. One argument at a time keeps every `self` the same load.
    template <class... Types>
    OutputArchive& operator()(Types&&... args) {
        (Base::operator()(std::forward<Types>(args)), ...);
        return *this;
    }

    /// One arithmetic value, written little-endian.
    template <class T>
    void put_value(const T& value) {
        if constexpr (detail::kHostIsLittleEndian || sizeof(T) == 1) {
            sink_.put_value(value);
        } else {
            char copy[sizeof(T)];
            std::memcpy(copy, &value, sizeof(T));
            detail::reverse_each<sizeof(T)>(copy, sizeof(T));
            sink_.put(copy, sizeof(T));
        }
    }

    /// `bytes` bytes of elements of `Size` bytes each, each written little-endian.
    template <std::size_t Size>
    void put_array(const void* data, std::size_t bytes) {
        if constexpr (detail::kHostIsLittleEndian || Size == 1) {
            sink_.put(data, bytes);
        } else {
            const char* p = static_cast<const char*>(data);
            for (std::size_t at = 0; at + Size <= bytes; at += Size) {
                char copy[Size];
                std::memcpy(copy, p + at, Size);
                detail::reverse_each<Size>(copy, Size);
                sink_.put(copy, Size);
            }
        }
    }

private:
    detail::ByteSink& sink_;
};

/// Reads what an OutputArchive (or cereal's PortableBinaryOutputArchive, either byte
/// order) wrote, from a `detail::ByteSource`. Throws a std::runtime_error (from the
/// source) for data that ends too soon, cereal::Exception for data that is not such an
/// archive. Not thread-safe; one per variable loaded.
class InputArchive : public cereal::InputArchive<InputArchive, cereal::AllowEmptyClassElision> {
    using Base = cereal::InputArchive<InputArchive, cereal::AllowEmptyClassElision>;

public:
    explicit InputArchive(detail::ByteSource& source)
        : cereal::InputArchive<InputArchive, cereal::AllowEmptyClassElision>(this),
          source_(source) {
        std::uint8_t little_endian = 0;
        source_.get_value(little_endian);
        if (little_endian > 1)
            throw cereal::Exception("not a portable binary archive (byte order flag " +
                                    std::to_string(little_endian) + ")");
        swap_ = (little_endian == 1) != detail::kHostIsLittleEndian;
    }

    /// Loads each argument in turn (see OutputArchive::operator()).
    template <class... Types>
    InputArchive& operator()(Types&&... args) {
        (Base::operator()(std::forward<Types>(args)), ...);
        return *this;
    }

    /// One arithmetic value, in the byte order of the archive's data.
    template <class T>
    void get_value(T& value) {
        source_.get_value(value);
        if (sizeof(T) > 1 && swap_)
            detail::reverse_each<sizeof(T)>(reinterpret_cast<char*>(&value), sizeof(T));
    }

    template <std::size_t Size>
    void get_array(void* into, std::size_t bytes) {
        source_.get(into, bytes);
        if (Size > 1 && swap_) detail::reverse_each<Size>(static_cast<char*>(into), bytes);
    }

    /// Bytes of this variable not read yet.
    std::uint64_t remaining() const { return source_.remaining(); }

private:
    detail::ByteSource& source_;
    bool swap_ = false;
};

// What cereal looks up (by argument-dependent lookup through the archive) for the types it
// does not decompose any further: arithmetic values and contiguous arrays of them.

template <class T>
std::enable_if_t<std::is_arithmetic<T>::value> CEREAL_SAVE_FUNCTION_NAME(OutputArchive& ar,
                                                                         const T& t) {
    detail::check_portable<T>();
    ar.put_value(t);
}

template <class T>
std::enable_if_t<std::is_arithmetic<T>::value> CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, T& t) {
    detail::check_portable<T>();
    if constexpr (std::is_same<T, bool>::value) {
        // A byte other than 0 or 1 copied into a bool is undefined behaviour (UBSan: "not a
        // valid value for type 'bool'"), found by the fuzzed reader: read a byte, check it.
        std::uint8_t byte = 0;
        ar.get_value(byte);
        detail::check_bool(byte);
        t = byte != 0;
    } else {
        ar.get_value(t);
    }
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(OutputArchive& ar, const cereal::BinaryData<T>& bd) {
    using Element = std::remove_cv_t<std::remove_pointer_t<T>>;
    detail::check_portable<Element>();
    ar.put_array<sizeof(Element)>(bd.data, static_cast<std::size_t>(bd.size));
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, cereal::BinaryData<T>& bd) {
    using Element = std::remove_cv_t<std::remove_pointer_t<T>>;
    detail::check_portable<Element>();
    ar.get_array<sizeof(Element)>(bd.data, static_cast<std::size_t>(bd.size));
    if constexpr (std::is_same<Element, bool>::value) { // std::array<bool, N>: as above
        const auto* bytes = reinterpret_cast<const unsigned char*>(bd.data);
        for (std::size_t i = 0; i < static_cast<std::size_t>(bd.size); ++i) detail::check_bool(bytes[i]);
    }
}

// The allocation rule: no loader reachable from reprise.hpp allocates more than the data
// read so far justifies. Every cereal type header that reprise.hpp includes, directly or
// not, is in this audit, which tests/cereal-types-audit.cmake (CTest
// cereal_types_are_audited) compares with the headers a preprocessor finds: a header added
// to reprise.hpp (or pulled in by a new cereal) without a line here fails that test. A
// "hardened" header names the types whose loaders this file replaces (the test checks that
// each has one); the others say why cereal's loader needs none.
//
// reprise-cereal-audit begin
//   array.hpp            fixed: std::array's size is the type's, not the file's
//   atomic.hpp           fixed: one value
//   base_class.hpp       fixed: the base's own fields
//   bitset.hpp           fixed: N bits by the type, or its string form: a hardened std::string
//   chrono.hpp           fixed: one count
//   common.hpp           fixed: enums and C arrays, sized by the type
//   complex.hpp          fixed: two values
//   concepts/pair_associative_container.hpp  per element: no reserve, one key and value read at a time
//   deque.hpp            hardened: std::deque
//   forward_list.hpp     hardened: std::forward_list
//   functional.hpp       fixed: std::less and the like hold nothing
//   list.hpp             hardened: std::list
//   map.hpp              per element: concepts/pair_associative_container.hpp
//   memory.hpp           per element: one object of the pointer's type per pointer read
//   optional.hpp         fixed: a flag and one value
//   polymorphic.hpp      per element: a hardened std::string name, then a registered type
//   queue.hpp            per element: the underlying deque or vector, hardened
//   set.hpp              per element: no reserve, one key read at a time
//   stack.hpp            per element: the underlying deque, hardened
//   string.hpp           hardened: std::basic_string
//   tuple.hpp            fixed: the tuple's elements
//   unordered_map.hpp    per element: concepts/pair_associative_container.hpp (no reserve)
//   unordered_set.hpp    hardened: std::unordered_set std::unordered_multiset
//   utility.hpp          fixed: std::pair's two values
//   valarray.hpp         hardened: std::valarray (its save too: cereal's indexes an empty one)
//   variant.hpp          fixed: an index cereal checks, then one alternative
//   vector.hpp           hardened: std::vector
// reprise-cereal-audit end

// std::vector, loaded as cereal loads it (the same bytes, resize then fill), except that
// the element count read from the file is checked against the bytes the variable has
// left before anything is allocated: a crafted count cannot drive an allocation larger
// than the file justifies (an element takes at least one byte, an arithmetic one its
// size; an empty class may take none, AllowEmptyClassElision). Overload resolution
// prefers these to cereal's templates: their archive parameter is more specialised.
// Measured and not kept: filling a reserved vector by emplace_back to skip resize()'s
// value-initialisation (no faster), and madvise (MADV_HUGEPAGE) on the new memory: faster
// warm, but several times slower after the page cache was dropped, the huge pages then
// being memory the hypervisor had taken back.
namespace detail {
inline void check_count(InputArchive& ar, std::uint64_t count, std::uint64_t bytes_each,
                        const char* container = "vector", const char* elements = "elements") {
    if (bytes_each != 0 && count > ar.remaining() / bytes_each)
        throw cereal::Exception("its data ends " + std::to_string(ar.remaining()) +
                                " bytes on, too soon for a " + container + " of " +
                                std::to_string(count) + " " + elements);
}

// The fewest bytes one element of type T takes in an archive: an arithmetic value its
// size; std::array, std::pair, std::tuple and std::complex the sum of their elements'
// (without it, a vector of std::array<double, 1024> was sized 8 KiB of memory per byte
// left: an allocation 8192 times what the data justified); an empty class none
// (AllowEmptyClassElision); any other class, whose serialize is its author's, 1.
template <class T>
struct LeastBytes {
    static constexpr std::uint64_t value =
        std::is_arithmetic<T>::value ? sizeof(T) : std::is_empty<T>::value ? 0 : 1;
};
template <class T>
constexpr std::uint64_t least_bytes() {
    return LeastBytes<std::remove_cv_t<T>>::value;
}
template <class T, std::size_t N>
struct LeastBytes<std::array<T, N>> {
    static constexpr std::uint64_t value = N * least_bytes<T>();
};
template <class A, class B>
struct LeastBytes<std::pair<A, B>> {
    static constexpr std::uint64_t value = least_bytes<A>() + least_bytes<B>();
};
template <class... Ts>
struct LeastBytes<std::tuple<Ts...>> {
    static constexpr std::uint64_t value = (std::uint64_t(0) + ... + least_bytes<Ts>());
};
template <class T>
struct LeastBytes<std::complex<T>> {
    static constexpr std::uint64_t value = 2 * least_bytes<T>();
};

template <class T, class A>
void prepare_vector(InputArchive& ar, std::vector<T, A>& vector, cereal::size_type size,
                    std::uint64_t bytes_each) {
    check_count(ar, size, bytes_each);
    const auto n = static_cast<std::size_t>(size);
    // A large new array: its pages are mapped by two threads before resize() touches
    // them (prefault_in_parallel, detail/parallel.hpp), not faulted in one by one.
    if (n > vector.capacity() && n >= ByteSink::kBulkBytes / sizeof(T)) {
        vector.reserve(n);
        prefault_in_parallel(vector.data(), vector.capacity() * sizeof(T));
    }
    vector.resize(n);
}
} // namespace detail

template <class T, class A>
std::enable_if_t<std::is_arithmetic<T>::value && !std::is_same<T, bool>::value>
CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::vector<T, A>& vector) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    detail::prepare_vector(ar, vector, size, sizeof(T));
    ar(cereal::binary_data(vector.data(), static_cast<std::size_t>(size) * sizeof(T)));
}

template <class T, class A>
std::enable_if_t<!std::is_arithmetic<T>::value>
CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::vector<T, A>& vector) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    detail::prepare_vector(ar, vector, size, detail::least_bytes<T>());
    for (auto&& v : vector) ar(v);
}

// The other containers reprise.hpp brings cereal's support for whose loaders size the
// container by the count read from the file before reading an element: a string (resize),
// vector<bool>, deque, list, forward_list (resize) and unordered_set (reserve). The same
// check first, then the same bytes read as cereal reads them. Found by the fuzzed reader
// (tests/fuzz/): a string's length of 2^51 in a checkpoint of 4 KiB was an allocation of
// 2 PiB (std::bad_alloc at best; where memory is overcommitted, a small crafted count
// made restore() zero-fill gigabytes before it noticed that the data had ended).
template <class CharT, class Traits, class Alloc>
std::enable_if_t<std::is_arithmetic<CharT>::value>
CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::basic_string<CharT, Traits, Alloc>& str) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    detail::check_count(ar, size, sizeof(CharT), "string", "characters");
    str.resize(static_cast<std::size_t>(size));
    ar(cereal::binary_data(str.data(), static_cast<std::size_t>(size) * sizeof(CharT)));
}

template <class A>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::vector<bool, A>& vector) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    detail::check_count(ar, size, 1);
    vector.resize(static_cast<std::size_t>(size));
    for (auto&& v : vector) {
        bool b = false;
        ar(b);
        v = b;
    }
}

namespace detail {
// deque, list and forward_list: cereal's loader, the count checked first.
template <class Sequence>
void load_sequence(InputArchive& ar, Sequence& sequence, const char* container) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    check_count(ar, size, least_bytes<typename Sequence::value_type>(), container);
    sequence.resize(static_cast<std::size_t>(size));
    for (auto&& v : sequence) ar(v);
}

template <class Set>
void load_unordered_set(InputArchive& ar, Set& set) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    check_count(ar, size, least_bytes<typename Set::key_type>(), "set");
    set.clear();
    set.reserve(static_cast<std::size_t>(size));
    for (cereal::size_type i = 0; i < size; ++i) {
        typename Set::key_type key;
        ar(key);
        set.emplace(std::move(key));
    }
}
} // namespace detail

template <class T, class A>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::deque<T, A>& deque) {
    detail::load_sequence(ar, deque, "deque");
}

template <class T, class A>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::list<T, A>& list) {
    detail::load_sequence(ar, list, "list");
}

template <class T, class A>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::forward_list<T, A>& list) {
    detail::load_sequence(ar, list, "forward_list");
}

template <class K, class H, class KE, class A>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::unordered_set<K, H, KE, A>& set) {
    detail::load_unordered_set(ar, set);
}

template <class K, class H, class KE, class A>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::unordered_multiset<K, H, KE, A>& set) {
    detail::load_unordered_set(ar, set);
}

// std::valarray, hardened like the containers above, and loaded apart then swapped in.
// cereal's loader calls valarray.resize(count) on the tracked variable itself, and
// libstdc++'s resize (GCC 12 <valarray>) frees the old array, stores the new size, and
// only then allocates: when that allocation throws (std::bad_alloc for a crafted count of
// 2^60), the variable is left holding the freed pointer and a size of 2^60, restore()
// reports the error, and the variable's destructor frees the array a second time (glibc:
// "free(): double free detected", then abort; issue 14). Here the count is checked first,
// which also keeps count * sizeof(T) from wrapping around in valarray's own allocation
// (a count of 2^62 doubles would otherwise allocate 0 bytes and write past them), and
// resize() is never called: a valarray of the right size already (a restart's usual case)
// is filled in place, allocating nothing, like a vector; any other size is allocated as
// a separate valarray and swapped in once complete, so that a failed allocation (or read)
// leaves the tracked variable its old value and a state its destructor frees once. The
// cost: the old and the new array coexist while it loads, only when their sizes differ.
namespace detail {
template <class T>
void fill_valarray(InputArchive& ar, std::valarray<T>& valarray) {
    if constexpr (std::is_arithmetic<T>::value) {
        if (valarray.size() != 0) // &valarray[0] of an empty valarray indexes a null array
            ar(cereal::binary_data(&valarray[0], valarray.size() * sizeof(T)));
    } else {
        for (auto&& v : valarray) ar(v);
    }
}
} // namespace detail

// And its save, for arithmetic elements: the same bytes as cereal's, whose saver takes
// &valarray[0] even of an empty valarray, a reference bound to a null pointer (UBSan, in
// tests/test_archive.cpp's round trip of an empty valarray).
template <class T>
std::enable_if_t<std::is_arithmetic<T>::value>
CEREAL_SAVE_FUNCTION_NAME(OutputArchive& ar, const std::valarray<T>& valarray) {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(valarray.size())));
    if (valarray.size() != 0)
        ar(cereal::binary_data(&valarray[0], valarray.size() * sizeof(T)));
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, std::valarray<T>& valarray) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    detail::check_count(ar, size, detail::least_bytes<T>(), "valarray");
    if (size == valarray.size()) {
        detail::fill_valarray(ar, valarray);
        return;
    }
    std::valarray<T> loaded(static_cast<std::size_t>(size));
    detail::fill_valarray(ar, loaded);
    valarray.swap(loaded);
}

// Names are not stored (a binary archive), sizes are plain values: as cereal's own.
template <class Archive, class T>
CEREAL_ARCHIVE_RESTRICT(InputArchive, OutputArchive)
CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar, cereal::NameValuePair<T>& t) {
    ar(t.value);
}

template <class Archive, class T>
CEREAL_ARCHIVE_RESTRICT(InputArchive, OutputArchive)
CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar, cereal::SizeTag<T>& t) {
    ar(t.size);
}

} // namespace reprise

CEREAL_REGISTER_ARCHIVE(reprise::OutputArchive)
CEREAL_REGISTER_ARCHIVE(reprise::InputArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(reprise::InputArchive, reprise::OutputArchive)

#endif
