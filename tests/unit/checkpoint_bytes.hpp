// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TESTS_UNIT_CHECKPOINT_BYTES_HPP
#define REPRISE_TESTS_UNIT_CHECKPOINT_BYTES_HPP

// Checkpoint files built byte by byte from the layout format.hpp documents, for the unit
// tests of the reader (format.cpp) and of what reads file digests (commit_record.cpp).
// `assemble` is written here from the layout, not with the library's encoder, so that a
// test comparing the two catches a change of either.

#include "reprise/detail/format.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace reprise_unit {

namespace d = reprise::detail;

// A header with every field set, two variables over a 24-byte payload and one parameter
// of each kind.
inline d::Header sample_header() {
    d::Header h;
    h.generation = 7;
    h.time_ns = 1'790'000'000'123'456'789ull;
    h.pid = 4242;
    h.host = "node17.cluster";
    h.job_key = "slurm-123_4";
    h.name = "heat";
    h.scheduler = "slurm";
    h.variables = {{"step", "m", 0, 8}, {"field", "St6vectorIdSaIdEE", 8, 16}};
    h.parameters = {{"n", d::ParameterKind::integer, "1000"},
                    {"dt", d::ParameterKind::floating, "0.001"},
                    {"scheme", d::ParameterKind::string, "upwind"},
                    {"periodic", d::ParameterKind::boolean, "true"}};
    return h;
}

// `n` bytes that differ from one offset to the next.
inline std::string payload_of(std::size_t n) {
    std::string p(n, '\0');
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>((i * 131 + 7) & 0xff);
    return p;
}

// Version 1's header block: version 2's without the types and the parameters.
inline std::string version_1_block(const d::Header& h) {
    std::string out;
    d::put_u64(out, h.generation);
    d::put_u64(out, h.time_ns);
    d::put_u32(out, h.pid);
    for (const std::string* s : {&h.host, &h.job_key, &h.name, &h.scheduler}) d::put_string(out, *s);
    d::put_u32(out, static_cast<std::uint32_t>(h.variables.size()));
    for (const auto& v : h.variables) {
        d::put_string(out, v.name);
        d::put_u64(out, v.offset);
        d::put_u64(out, v.size);
    }
    return out;
}

// The chunk table of `payload`: the XXH3-128 of each 64 KiB, low half first.
inline std::string chunk_table_of(const std::string& payload) {
    std::string out;
    for (std::size_t at = 0; at < payload.size(); at += 65536) {
        const XXH128_hash_t h = XXH3_128bits(payload.data() + at, std::min<std::size_t>(65536, payload.size() - at));
        d::put_u64(out, h.low64);
        d::put_u64(out, h.high64);
    }
    return out;
}

// A whole file: preamble (magic, `version`, header length, payload offset, payload length),
// `block`, its checksum, zero padding to the next 4096, `payload`, then (version 3 on) the
// chunk table and a trailer with its checksum, or (before) a trailer with the payload's.
inline std::string assemble(std::uint32_t version, const std::string& block, const std::string& payload) {
    const std::uint64_t offset = (32 + block.size() + 8 + 4095) / 4096 * 4096;
    std::string out("REPRISE", 8);
    d::put_u32(out, version);
    d::put_u32(out, static_cast<std::uint32_t>(block.size()));
    d::put_u64(out, offset);
    d::put_u64(out, payload.size());
    out += block;
    d::put_u64(out, XXH3_64bits(out.data(), out.size()));
    out.resize(offset, '\0');
    out += payload;
    if (version >= 3) {
        const std::string table = chunk_table_of(payload);
        out += table;
        d::put_u64(out, XXH3_64bits(table.data(), table.size()));
    } else {
        d::put_u64(out, XXH3_64bits(payload.data(), payload.size()));
    }
    out.append("ESIRPER", 8);
    return out;
}

// The chunk hashes of `payload` as the library computes them.
inline std::vector<d::ChunkHash> chunks_of(const std::string& payload) {
    return d::hash_chunks(payload.data(), payload.size());
}

// The file the library's own encoder gives for `h` and `payload`.
inline std::string encoded(const d::Header& h, const std::string& payload) {
    return d::encode_file_head(h, payload.size()) + payload + d::encode_file_tail(chunks_of(payload));
}

// Overwrites `n` bytes at `at` with the little-endian `value`.
inline void poke(std::string& bytes, std::size_t at, std::uint64_t value, int n) {
    for (int i = 0; i < n; ++i) bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

// Recomputes the header checksum after a test changed the preamble or the header, so
// that the damage reaches the check behind it.
inline void reseal_header(std::string& bytes) {
    const std::uint64_t header_end = 32 + d::get_le(bytes.data() + 12, 4);
    poke(bytes, header_end, XXH3_64bits(bytes.data(), header_end), 8);
}

} // namespace reprise_unit

#endif
