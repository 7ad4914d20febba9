// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_LAYOUT_HPP
#define REPRISE_DETAIL_FORMAT_LAYOUT_HPP

//
//   offset 0   preamble, 32 bytes: magic "REPRISE\0", u32 format version, u32 header
//              length H, u64 payload offset P, u64 payload length L
//   offset 32  header, H bytes: u64 generation, u64 time (ns since the epoch), u32 pid,
//              strings (u32 length + bytes) host, job key, checkpoint name, scheduler,
//              u32 variable count, then per variable: string name, string type (the
//              mangled typeid name of the tracked type), u64 offset in the payload, u64
//              length; then u32 parameter count, then per parameter: string name, u32 kind
//              (0 integer, 1 floating point, 2 string, 3 boolean), string value (as text)
//   32 + H     u64 XXH3-64 of bytes [0, 32 + H): the header checksum
//   ...        zero padding up to P, a multiple of 4096 (page-aligned payload)
//   P          payload, L bytes: one cereal portable binary archive per variable
//   P + L      chunk table, 16 * ceil(L / 64 KiB) bytes: the XXH3-128 (low half first) of
//              each 64 KiB chunk of the payload, the last one shorter
//   ...        trailer, 16 bytes: u64 XXH3-64 of the chunk table (the payload's checksum),
//              then "ESIRPER\0"
//
// Version 4 is version 3 with compressed chunks (REPRISE_COMPRESS): each chunk keeps its
// place, P + 64 KiB * i, and its table entry is 32 bytes: the XXH3-128 of the chunk's
// bytes as the program saved them, then u32 stored size S, u32 codec (0 none, 1 zstd),
// u64 XXH3-64 of the S bytes on disk (0 for codec 0). The chunk's first S bytes of its
// 64 KiB are what is on disk; the rest of the place is a hole (or, in a file that was
// recycled, released with FALLOC_FL_PUNCH_HOLE where the file system can), never read.
// A stored chunk is verified before it is decompressed (its XXH3-64), and its bytes
// after (the XXH3-128). Keeping each chunk at its place keeps the saves that leave
// unchanged chunks unwritten; `ls` shows a version 4 file's uncompressed size, `du` what
// it takes.
//
// Version 3 added the chunk table. A reader verifies each chunk as it reads it, so a
// restore reads the file once: no byte reaches the decoder before its chunk is verified,
// and a large array's bytes, read straight into the container, are verified as they land
// (format_reader.hpp). A save compares each chunk's hash with the table of the file it
// overwrites, and leaves chunks that did not change unwritten (format_writer.hpp).
//
// Version 2, still read, has no chunk table: its trailer holds the XXH3-64 of the whole
// payload, verified in a pass of its own before a single variable is decoded. Version 1 is
// version 2 without the types and the parameters: per variable only name, offset and
// length, and nothing after the last variable. Its variables are restored without a type
// check, and it records no parameter.
//
// The file is exactly P + L + (chunk table) + 16 bytes long, whatever its codec. The payload's bytes are those
// of cereal's portable binary archive, little-endian; reprise writes and reads them with
// its own archives (reprise/archive.hpp), which cost a bounds check per field instead of a
// virtual call.

#include "reprise/detail/bytes.hpp"
#include "reprise/detail/checksum.hpp"
//
// This file is the layout: its constants, the header's fields, and the encoding and
// decoding of the bytes before the payload. format_writer.hpp writes a file,
// format_reader.hpp opens and verifies one.


#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace reprise::detail {

inline constexpr char kMagic[8] = {'R', 'E', 'P', 'R', 'I', 'S', 'E', '\0'};
inline constexpr char kEndMagic[8] = {'E', 'S', 'I', 'R', 'P', 'E', 'R', '\0'};
// The version written without compression, and with it; the reader accepts
// kOldestFormatVersion to kNewestFormatVersion.
inline constexpr std::uint32_t kFormatVersion = 3;
inline constexpr std::uint32_t kCompressedFormatVersion = 4;
inline constexpr std::uint32_t kOldestFormatVersion = 1;
inline constexpr std::uint32_t kNewestFormatVersion = 4;
// The first version with a chunk table.
inline constexpr std::uint32_t kChunkedFormatVersion = 3;
// The unit of verification and of differential writes: small enough that a reader's
// buffer holds a whole chunk and that a change of a few values rewrites little, large
// enough that its table is 1/4096 of the payload.
inline constexpr std::uint64_t kChunkBytes = std::uint64_t(64) << 10;
inline constexpr std::uint64_t kChunkHashBytes = 16;
inline constexpr std::uint64_t kStoredChunkEntryBytes = 32; // format 4
inline constexpr std::uint64_t kPreambleSize = 32;
inline constexpr std::uint64_t kTrailerSize = 16;
inline constexpr std::uint64_t kPayloadAlignment = 4096;
// No header we write comes near this; a larger claim is corruption, not a reason to allocate.
inline constexpr std::uint64_t kMaxHeaderSize = 64u << 20;

struct VariableEntry {
    std::string name;
    std::string type; // typeid(T).name() of the tracked type; "" when not recorded (version 1)
    std::uint64_t offset = 0; // in the payload
    std::uint64_t size = 0;
};

// A run parameter (Checkpointer::parameter()): compared, never loaded, on restore.
enum class ParameterKind : std::uint32_t { integer = 0, floating = 1, string = 2, boolean = 3 };
inline constexpr std::uint32_t kParameterKinds = 4;

struct ParameterEntry {
    std::string name;
    ParameterKind kind = ParameterKind::integer;
    // The value as text: decimal for an integer, %.17g for floating point (which reads
    // back as the same double, so equal texts are equal values), "true"/"false", or the
    // string itself. Two parameters are equal when kind and text are.
    std::string value;
};

struct Header {
    std::uint64_t generation = 0;
    std::uint64_t time_ns = 0;
    std::uint32_t pid = 0;
    std::string host;
    std::string job_key;
    std::string name;
    std::string scheduler;
    std::vector<VariableEntry> variables;
    std::vector<ParameterEntry> parameters;
};

// A parameter's value as messages and `reprise inspect` show it: strings quoted.
inline std::string describe_value(const ParameterEntry& p) {
    return p.kind == ParameterKind::string ? "\"" + p.value + "\"" : p.value;
}

inline const char* kind_name(ParameterKind kind) {
    switch (kind) {
    case ParameterKind::integer: return "integer";
    case ParameterKind::floating: return "floating point";
    case ParameterKind::string: return "string";
    case ParameterKind::boolean: return "boolean";
    }
    return "unknown";
}

// ---- little-endian encoding -------------------------------------------------------------

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_string(std::string& out, const std::string& s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out += s;
}
inline std::uint64_t get_le(const char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

inline std::uint64_t align_up(std::uint64_t n, std::uint64_t alignment) {
    return (n + alignment - 1) / alignment * alignment;
}

// A chunk's hash: XXH3-128. A save that finds the same hash in the file it overwrites
// leaves the chunk unwritten, so a collision would go unseen: 128 bits, not 64.
struct ChunkHash {
    std::uint64_t low = 0, high = 0;
    bool operator==(const ChunkHash& o) const noexcept { return low == o.low && high == o.high; }
    bool operator!=(const ChunkHash& o) const noexcept { return !(*this == o); }
};

inline ChunkHash chunk_hash(const char* data, std::size_t n) {
    const XXH128_hash_t h = XXH3_128bits(data, n);
    return ChunkHash{h.low64, h.high64};
}

inline std::uint64_t chunk_count(std::uint64_t payload_size) {
    return (payload_size + kChunkBytes - 1) / kChunkBytes;
}

// The hash of each chunk of the payload [data, data + n), in order: what a chunk table
// records of a payload written in full (the writer's sink hashes its pieces as they pass).
inline std::vector<ChunkHash> hash_chunks(const char* data, std::uint64_t n) {
    std::vector<ChunkHash> chunks;
    for (std::uint64_t at = 0; at < n; at += kChunkBytes)
        chunks.push_back(chunk_hash(data + at, static_cast<std::size_t>(std::min(kChunkBytes, n - at))));
    return chunks;
}

// The length of chunk `i` of a payload of `payload_size` bytes (the last may be shorter).
inline std::uint64_t chunk_length(std::uint64_t i, std::uint64_t payload_size) {
    const std::uint64_t begin = i * kChunkBytes;
    return payload_size - begin < kChunkBytes ? payload_size - begin : kChunkBytes;
}

// How a chunk is on disk in a file of format 4: its first `size` bytes at its place,
// encoded by `codec`. In a file of format 3, every chunk is stored as is.
enum class Codec : std::uint32_t { none = 0, zstd = 1 };
inline constexpr std::uint32_t kCodecs = 2;

struct StoredChunk {
    std::uint32_t size = 0;
    Codec codec = Codec::none;
    std::uint64_t checksum = 0; // XXH3-64 of the `size` bytes on disk; 0 with Codec::none
    bool operator==(const StoredChunk& o) const noexcept {
        return size == o.size && codec == o.codec && checksum == o.checksum;
    }
};

// The bytes on disk of a payload of `payload_size` bytes whose chunks are stored as
// `stored` says (empty: each as it is).
inline std::uint64_t stored_payload_size(const std::vector<StoredChunk>& stored,
                                         std::uint64_t payload_size) {
    if (stored.empty()) return payload_size;
    std::uint64_t bytes = 0;
    for (const StoredChunk& c : stored) bytes += c.size;
    return bytes;
}

inline std::uint64_t chunk_entry_size(std::uint32_t version) {
    return version >= kCompressedFormatVersion ? kStoredChunkEntryBytes : kChunkHashBytes;
}

// The bytes between the payload and the trailer in a file of format `version`.
inline std::uint64_t chunk_table_size(std::uint32_t version, std::uint64_t payload_size) {
    return version >= kChunkedFormatVersion ? chunk_count(payload_size) * chunk_entry_size(version)
                                            : 0;
}

// The size of a file of format `version` whose payload is `payload_size` bytes at
// `payload_offset`; 0 when the sizes are absurd (no file is that large).
inline std::uint64_t expected_file_size(std::uint32_t version, std::uint64_t payload_offset,
                                        std::uint64_t payload_size) {
    constexpr std::uint64_t kLimit = std::uint64_t(1) << 62;
    if (payload_offset > kLimit || payload_size > kLimit) return 0;
    return payload_offset + payload_size + chunk_table_size(version, payload_size) + kTrailerSize;
}

// The table of a file of format 3 (`stored` empty) or 4 (an entry per chunk).
inline std::string encode_chunk_table(const std::vector<ChunkHash>& chunks,
                                      const std::vector<StoredChunk>& stored = {}) {
    std::string out;
    out.reserve(chunks.size() * (stored.empty() ? kChunkHashBytes : kStoredChunkEntryBytes));
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        put_u64(out, chunks[i].low);
        put_u64(out, chunks[i].high);
        if (stored.empty()) continue;
        put_u32(out, stored[i].size);
        put_u32(out, static_cast<std::uint32_t>(stored[i].codec));
        put_u64(out, stored[i].checksum);
    }
    return out;
}

// The table's bytes of a file of format `version` into `chunks` (and, of format 4,
// `stored`; cleared otherwise). False for an entry no writer of ours produced: a stored
// size larger than its chunk or zero, an unknown codec, a chunk stored as is but shorter
// than it is, a checksum where there is no codec.
inline bool decode_chunk_table(const char* p, std::uint32_t version, std::uint64_t payload_size,
                               std::vector<ChunkHash>& chunks, std::vector<StoredChunk>& stored) {
    const std::uint64_t count = chunk_count(payload_size);
    chunks.resize(static_cast<std::size_t>(count));
    stored.clear();
    if (version >= kCompressedFormatVersion) stored.resize(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        chunks[i].low = get_le(p, 8);
        chunks[i].high = get_le(p + 8, 8);
        p += kChunkHashBytes;
        if (version < kCompressedFormatVersion) continue;
        StoredChunk& s = stored[i];
        const std::uint64_t length = chunk_length(i, payload_size);
        s.size = static_cast<std::uint32_t>(get_le(p, 4));
        const auto codec = static_cast<std::uint32_t>(get_le(p + 4, 4));
        s.checksum = get_le(p + 8, 8);
        p += kStoredChunkEntryBytes - kChunkHashBytes;
        if (codec >= kCodecs || s.size == 0 || s.size > length) return false;
        s.codec = static_cast<Codec>(codec);
        if (s.codec == Codec::none && (s.size != length || s.checksum != 0)) return false;
    }
    return true;
}

inline std::string encode_header_block(const Header& h) {
    std::string out;
    put_u64(out, h.generation);
    put_u64(out, h.time_ns);
    put_u32(out, h.pid);
    put_string(out, h.host);
    put_string(out, h.job_key);
    put_string(out, h.name);
    put_string(out, h.scheduler);
    put_u32(out, static_cast<std::uint32_t>(h.variables.size()));
    for (const auto& v : h.variables) {
        put_string(out, v.name);
        put_string(out, v.type);
        put_u64(out, v.offset);
        put_u64(out, v.size);
    }
    put_u32(out, static_cast<std::uint32_t>(h.parameters.size()));
    for (const auto& p : h.parameters) {
        put_string(out, p.name);
        put_u32(out, static_cast<std::uint32_t>(p.kind));
        put_string(out, p.value);
    }
    return out;
}

inline std::string encode_trailer(std::uint64_t payload_checksum) {
    std::string out;
    put_u64(out, payload_checksum);
    out.append(kEndMagic, sizeof kEndMagic);
    return out;
}

// What follows the payload of a file of this format: the chunk table, then the trailer
// that holds the table's checksum.
inline std::string encode_file_tail(const std::vector<ChunkHash>& chunks,
                                    const std::vector<StoredChunk>& stored = {}) {
    std::string out = encode_chunk_table(chunks, stored);
    out += encode_trailer(XXH3_64bits(out.data(), out.size()));
    return out;
}

// Parses the header block [p, end) of a file of format `version` whose payload is
// `payload_size` bytes into `h`. Every length is checked against what remains of the
// block: false for a block no writer of ours produced (entries that do not tile the
// payload, duplicate names, an unknown parameter kind, bytes left over).
inline bool decode_header_block(const char* p, const char* const end, std::uint32_t version,
                                std::uint64_t payload_size, Header& h) {
    bool ok = true;
    auto u32 = [&]() -> std::uint32_t {
        if (end - p < 4) return ok = false, 0;
        const auto v = static_cast<std::uint32_t>(get_le(p, 4));
        p += 4;
        return v;
    };
    auto u64 = [&]() -> std::uint64_t {
        if (end - p < 8) return ok = false, 0;
        const auto v = get_le(p, 8);
        p += 8;
        return v;
    };
    auto str = [&]() -> std::string {
        const std::uint32_t n = u32();
        if (!ok || static_cast<std::uint64_t>(end - p) < n) return ok = false, std::string();
        std::string s(p, n);
        p += n;
        return s;
    };
    h.generation = u64();
    h.time_ns = u64();
    h.pid = u32();
    h.host = str();
    h.job_key = str();
    h.name = str();
    h.scheduler = str();
    // Names are unique; a set keeps the check linear in a header of millions of entries.
    std::set<std::string> names;
    const std::uint32_t count = u32();
    // Each entry takes at least 20 bytes (24 with its type): the count cannot exceed what
    // the header holds.
    const std::uint64_t entry_bytes = version >= 2 ? 24 : 20;
    if (ok && count > static_cast<std::uint64_t>(end - p) / entry_bytes) ok = false;
    std::uint64_t expected_offset = 0;
    for (std::uint32_t i = 0; ok && i < count; ++i) {
        VariableEntry v;
        v.name = str();
        if (version >= 2) v.type = str();
        v.offset = u64();
        v.size = u64();
        if (v.offset != expected_offset || v.size > payload_size - v.offset) ok = false;
        expected_offset = v.offset + v.size;
        ok = ok && names.insert(v.name).second;
        h.variables.push_back(std::move(v));
    }
    if (version >= 2) {
        names.clear();
        const std::uint32_t parameters = u32();
        // Each parameter takes at least 12 bytes.
        if (ok && parameters > static_cast<std::uint64_t>(end - p) / 12) ok = false;
        for (std::uint32_t i = 0; ok && i < parameters; ++i) {
            ParameterEntry e;
            e.name = str();
            const std::uint32_t kind = u32();
            e.value = str();
            if (kind >= kParameterKinds) ok = false;
            e.kind = static_cast<ParameterKind>(kind);
            ok = ok && names.insert(e.name).second;
            h.parameters.push_back(std::move(e));
        }
    }
    return ok && p == end && expected_offset == payload_size;
}

} // namespace reprise::detail

#endif
