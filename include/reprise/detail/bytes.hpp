// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_BYTES_HPP
#define REPRISE_DETAIL_BYTES_HPP

// Where reprise's archives put and take their bytes. A std::streambuf costs a virtual call
// per field (sputn), which for a vector of small structs is most of the save: cereal into
// a stream ran more than ten times slower than packing the same bytes by hand
// (docs/benchmarks.md). Here the archive fills or drains a window of memory [next, end) inline, with
// one comparison per field; the virtual members run only when the window is used up, or
// for a block too large for it (a vector's data), which they may move without a copy.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace reprise::detail {

// Values of 2, 4 and 8 bytes are stored and loaded as unsigned integers through a type
// whose alignment is 1. Not through memcpy: that is a char access, which may alias any
// object, so after each one the compiler reloads every pointer on the way to the window,
// cereal's chain of `self` pointers included (five dependent loads per field, three times
// the cost of the copy). For the same reason the window's position is an index, not a
// pointer (GCC lets any pointer store alias any pointer), and 8-byte values travel as
// `unsigned long long`, a type distinct from the index's `std::size_t`: then nothing
// the archive stores can alias what it loads, and all of it stays in registers.
#if defined(__GNUC__) || defined(__clang__)
#define REPRISE_WORD_ACCESS 1
typedef unsigned short UnalignedWord16 __attribute__((aligned(1)));
typedef unsigned int UnalignedWord32 __attribute__((aligned(1)));
typedef unsigned long long UnalignedWord64 __attribute__((aligned(1)));

template <std::size_t N> struct WordOf { using type = void; };
template <> struct WordOf<2> { using type = unsigned short; using unaligned = UnalignedWord16; };
template <> struct WordOf<4> { using type = unsigned int; using unaligned = UnalignedWord32; };
template <> struct WordOf<8> { using type = unsigned long long; using unaligned = UnalignedWord64; };

template <class T>
inline constexpr bool kWordSized = sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8;
#else
template <class T>
inline constexpr bool kWordSized = false;
#endif

class ByteSink {
public:
    ByteSink() = default;
    ByteSink(const ByteSink&) = delete;
    ByteSink& operator=(const ByteSink&) = delete;

    // A block of at least this size always goes to put_beyond(), even when it fits in the
    // window, so that a sink may move it some other way (SnapshotSink: in pieces it
    // publishes to the writer thread).
    static constexpr std::size_t kBulkBytes = std::size_t(16) << 20;

    // Appends `n` bytes; the inline part of every put.
    void put(const void* data, std::size_t n) {
        if (n <= limit_ - pos_ && n < kBulkBytes) {
            if (n) std::memcpy(base_ + pos_, data, n); // an empty container's data() may be null
            pos_ += n;
        } else {
            put_beyond(static_cast<const char*>(data), n);
        }
    }

    // Appends the bytes of an arithmetic value as the machine holds it.
    template <class T>
    void put_value(const T& value) {
        static_assert(std::is_arithmetic<T>::value, "put_value takes arithmetic values");
        constexpr std::size_t n = sizeof(T);
        if (n <= limit_ - pos_) {
#ifdef REPRISE_WORD_ACCESS
            if constexpr (kWordSized<T>) {
                using Word = WordOf<n>;
                *reinterpret_cast<typename Word::unaligned*>(base_ + pos_) =
                    __builtin_bit_cast(typename Word::type, value);
            } else
#endif
            {
                std::memcpy(base_ + pos_, &value, n);
            }
            pos_ += n;
        } else {
            put_beyond(reinterpret_cast<const char*>(&value), n);
        }
    }

protected:
    ~ByteSink() = default;

    // `n` bytes that do not fit in the window, or a bulk block (kBulkBytes) that may: move
    // the window on, or take them directly.
    virtual void put_beyond(const char* data, std::size_t n) = 0;

    // The window: [base_, base_ + limit_), of which the first pos_ bytes are filled.
    char* base_ = nullptr;
    std::size_t pos_ = 0;
    std::size_t limit_ = 0;
};

class ByteSource {
public:
    ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;

    // Takes `n` bytes into `into`; throws at the end of the data.
    void get(void* into, std::size_t n) {
        if (n <= limit_ - pos_) {
            if (n) std::memcpy(into, base_ + pos_, n);
            pos_ += n;
        } else {
            get_beyond(static_cast<char*>(into), n);
        }
    }

    // Takes the bytes of an arithmetic value as the machine holds it.
    template <class T>
    void get_value(T& value) {
        static_assert(std::is_arithmetic<T>::value, "get_value takes arithmetic values");
        constexpr std::size_t n = sizeof(T);
        if (n <= limit_ - pos_) {
#ifdef REPRISE_WORD_ACCESS
            if constexpr (kWordSized<T>) {
                using Word = WordOf<n>;
                const typename Word::type word =
                    *reinterpret_cast<const typename Word::unaligned*>(base_ + pos_);
                value = __builtin_bit_cast(T, word);
            } else
#endif
            {
                std::memcpy(&value, base_ + pos_, n);
            }
            pos_ += n;
        } else {
            get_beyond(reinterpret_cast<char*>(&value), n);
        }
    }

    // Bytes not yet taken: what a size read from the data can be checked against.
    virtual std::uint64_t remaining() const = 0;

protected:
    ~ByteSource() = default;

    // `n` bytes of which the window holds fewer: the rest from beyond it, or an exception.
    virtual void get_beyond(char* into, std::size_t n) = 0;

    // The window: [base_, base_ + limit_), of which the first pos_ bytes were taken.
    const char* base_ = nullptr;
    std::size_t pos_ = 0;
    std::size_t limit_ = 0;
};

} // namespace reprise::detail

#endif
