// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_COMPRESS_HPP
#define REPRISE_DETAIL_COMPRESS_HPP

// Compressed chunks (REPRISE_COMPRESS=zstd[:LEVEL], file format 4): each 64 KiB chunk of a
// payload is compressed on its own, so that a save compresses on two threads, leaves
// unchanged chunks where they are, and a restore decompresses each chunk straight into
// the variable's memory once its checksum holds. A chunk that does not shrink by at least
// 1/16 is stored as it is, and the next ones are not even tried for a while (1, 2, 4 ...
// up to 128 chunks, back to trying every chunk once one shrinks): on data that does not
// compress, a save pays for one chunk in 129 (docs/benchmarks.md measures it).

#include "reprise/detail/checksum.hpp"
#include "reprise/detail/format_layout.hpp"
#include "reprise/detail/parse.hpp"
#include "reprise/error.hpp"

#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>

namespace reprise::detail {

// What a save does with its chunks: Codec::none (the default), or zstd at `level`.
struct Compression {
    Codec codec = Codec::none;
    int level = 0;
};

// zstd's levels 1 (fast, the default) to 19; -1 to -7 trade ratio for speed. Levels 20 to
// 22 need more memory than a checkpoint should take; 0 is zstd's alias of 3.
inline constexpr int kDefaultZstdLevel = 1;
inline constexpr int kFastestZstdLevel = -7;
inline constexpr int kSlowestZstdLevel = 19;

// "zstd" or "zstd:LEVEL" (REPRISE_COMPRESS, Options::compress); "" is no compression. An
// Error naming `source` for anything else.
inline Compression parse_compression(std::string_view source, std::string_view text) {
    constexpr const char* expected =
        "zstd or zstd:LEVEL (LEVEL from 1 to 19, or -1 to -7 for faster and larger)";
    if (text.empty()) return {};
    if (text.substr(0, 4) != "zstd") bad_value(source, text, expected);
    if (text.size() == 4) return {Codec::zstd, kDefaultZstdLevel};
    if (text[4] != ':') bad_value(source, text, expected);
    std::string_view digits = text.substr(5);
    const bool negative = !digits.empty() && digits.front() == '-';
    if (negative) digits.remove_prefix(1);
    const std::optional<std::uint64_t> v = decimal(digits);
    if (!v || *v == 0 || *v > static_cast<std::uint64_t>(negative ? -kFastestZstdLevel : kSlowestZstdLevel))
        bad_value(source, text, expected);
    return {Codec::zstd, negative ? -static_cast<int>(*v) : static_cast<int>(*v)};
}

inline std::string describe(const Compression& c) {
    if (c.codec == Codec::none) return "none";
    return "zstd:" + std::to_string(c.level);
}

// Compresses the chunks of one thread of a save.
class ChunkCompressor {
public:
    explicit ChunkCompressor(int level) : level_(level) {}
    ~ChunkCompressor() { ZSTD_freeCCtx(context_); }
    ChunkCompressor(const ChunkCompressor&) = delete;
    ChunkCompressor& operator=(const ChunkCompressor&) = delete;

    // Encodes the chunk [data, data + n) into `out` (room for n bytes). Returns how it is
    // to be stored: compressed (its size, its checksum), or as it is (Codec::none) when
    // it did not shrink enough or the chunks before it did not. After a chunk that did
    // not shrink, the next 1, 2, 4 ... kMaxBackoff are stored as they are, and the one
    // after is tried on its first kProbeBytes first: incompressible data then costs one
    // small probe every kMaxBackoff chunks, not a chunk's compression.
    StoredChunk compress(const char* data, std::size_t n, char* out) {
        const StoredChunk as_is{static_cast<std::uint32_t>(n), Codec::none, 0};
        if (skip_ > 0) {
            --skip_;
            return as_is;
        }
        if (backoff_ > 0 && n > kProbeBytes && !shrinks(data, kProbeBytes, out))
            return give_up(as_is);
        const std::size_t size = shrunk_size(data, n, out);
        if (size == 0) return give_up(as_is);
        backoff_ = 0;
        return StoredChunk{static_cast<std::uint32_t>(size), Codec::zstd, XXH3_64bits(out, size)};
    }

private:
    static constexpr unsigned kMaxBackoff = 128;
    static constexpr std::size_t kProbeBytes = 4096;

    // The size [data, data + n) compresses to in `out`, if at most 15/16 of n; else 0.
    std::size_t shrunk_size(const char* data, std::size_t n, char* out) {
        if (!context_) context_ = ZSTD_createCCtx();
        if (!context_) throw Error("reprise: out of memory for a zstd context", ErrorKind::io);
        // Room for at most 15/16: a result that does not fit did not shrink.
        const std::size_t room = n - n / 16;
        const std::size_t size = ZSTD_compressCCtx(context_, out, room, data, n, level_);
        return ZSTD_isError(size) || size > room ? 0 : size;
    }
    bool shrinks(const char* data, std::size_t n, char* out) { return shrunk_size(data, n, out) != 0; }

    StoredChunk give_up(const StoredChunk& as_is) noexcept {
        backoff_ = backoff_ == 0 ? 1 : (backoff_ < kMaxBackoff ? 2 * backoff_ : kMaxBackoff);
        skip_ = backoff_;
        return as_is;
    }

    ZSTD_CCtx* context_ = nullptr;
    int level_;
    unsigned backoff_ = 0; // chunks skipped after the last that did not shrink
    unsigned skip_ = 0;    // chunks still to store as they are
};

// Decompresses the chunks of one thread of a restore.
class ChunkDecompressor {
public:
    ChunkDecompressor() = default;
    ~ChunkDecompressor() { ZSTD_freeDCtx(context_); }
    ChunkDecompressor(const ChunkDecompressor&) = delete;
    ChunkDecompressor& operator=(const ChunkDecompressor&) = delete;

    // Decodes `stored` bytes encoded by `codec` into exactly `n` bytes at `out`. Returns
    // "" on success, else why not.
    std::string decompress(Codec codec, const char* stored, std::size_t size, char* out,
                           std::size_t n) {
        if (codec != Codec::zstd) return "unknown codec " + std::to_string(static_cast<unsigned>(codec));
        if (!context_) context_ = ZSTD_createDCtx();
        if (!context_) throw Error("reprise: out of memory for a zstd context", ErrorKind::io);
        const std::size_t got = ZSTD_decompressDCtx(context_, out, n, stored, size);
        if (ZSTD_isError(got)) return std::string("zstd: ") + ZSTD_getErrorName(got);
        if (got != n) return "zstd: " + std::to_string(got) + " bytes, not " + std::to_string(n);
        return "";
    }

private:
    ZSTD_DCtx* context_ = nullptr;
};

} // namespace reprise::detail

#endif
