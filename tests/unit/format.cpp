// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// detail/format.hpp, the checkpoint file format: files built by hand from a Header and a
// payload read back field for field (format versions 2 and 1), and every reason
// read_checkpoint gives for a file it refuses, each from a file damaged in exactly the way
// that reason names, its text checked so that the case fails if its check goes.

#include "catch.hpp"
#include "support.hpp"
#include "unit/checkpoint_bytes.hpp"

#include "reprise/detail/format.hpp"

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace reprise_unit;
using reprise_test::TempDir;

const std::string kCorruptHeader =
    "corrupt header (its checksum is right: written by an incompatible writer?)";

struct Read {
    bool ok = false;
    std::string why;
    d::VerifiedCheckpoint checkpoint;
};

// read_checkpoint of the file `name` in `dir`, as it is.
Read read_named(const TempDir& dir, const std::string& name, d::Verify depth = d::Verify::whole_file) {
    const d::Directory directory(dir.path());
    Read r;
    r.ok = d::read_checkpoint(directory, name, r.checkpoint, r.why, depth);
    return r;
}

// read_checkpoint of a file holding `bytes`.
Read read_bytes(const TempDir& dir, const std::string& bytes, d::Verify depth = d::Verify::whole_file) {
    reprise_test::write_file(dir / "c.ckpt", bytes);
    return read_named(dir, "c.ckpt", depth);
}

// Why a file holding `bytes` is refused; "(accepted)" when it is not.
std::string refusal(const std::string& bytes, d::Verify depth = d::Verify::whole_file) {
    TempDir dir;
    const Read r = read_bytes(dir, bytes, depth);
    return r.ok ? "(accepted)" : r.why;
}

const std::string& good_payload() {
    static const std::string p = payload_of(24);
    return p;
}

// The sample header's file: 4096 bytes of head, 24 of payload, a chunk table of one hash
// (16 bytes) and 16 of trailer.
std::string good_file() { return encoded(sample_header(), good_payload()); }

// Where the variable count is in a file of `h`: after the preamble, generation, time, pid
// and the four strings.
std::size_t count_offset(const d::Header& h) {
    return 32 + 8 + 8 + 4 + (4 + h.host.size()) + (4 + h.job_key.size()) + (4 + h.name.size()) +
           (4 + h.scheduler.size());
}

void check_same_header(const d::Header& got, const d::Header& want) {
    CHECK(got.generation == want.generation);
    CHECK(got.time_ns == want.time_ns);
    CHECK(got.pid == want.pid);
    CHECK(got.host == want.host);
    CHECK(got.job_key == want.job_key);
    CHECK(got.name == want.name);
    CHECK(got.scheduler == want.scheduler);
    REQUIRE(got.variables.size() == want.variables.size());
    for (std::size_t i = 0; i < want.variables.size(); ++i) {
        CHECK(got.variables[i].name == want.variables[i].name);
        CHECK(got.variables[i].type == want.variables[i].type);
        CHECK(got.variables[i].offset == want.variables[i].offset);
        CHECK(got.variables[i].size == want.variables[i].size);
    }
    REQUIRE(got.parameters.size() == want.parameters.size());
    for (std::size_t i = 0; i < want.parameters.size(); ++i) {
        CHECK(got.parameters[i].name == want.parameters[i].name);
        CHECK(got.parameters[i].kind == want.parameters[i].kind);
        CHECK(got.parameters[i].value == want.parameters[i].value);
    }
}

// Reads `size` bytes at `offset` of the payload through a FileRangeSource (the reader
// taken there first), in the pieces `pieces` gives (the rest in one last piece).
std::string read_range(const d::VerifiedCheckpoint& c, std::uint64_t offset, std::uint64_t size,
                       const std::vector<std::size_t>& pieces = {}) {
    d::PayloadReader reader(c, "c.ckpt");
    std::string before(static_cast<std::size_t>(offset), '\0');
    if (offset) reader.read(&before[0], offset);
    d::FileRangeSource source(reader, offset, size);
    std::string out;
    for (const std::size_t n : pieces) {
        std::string piece(n, '\0');
        source.get(&piece[0], n);
        out += piece;
        CHECK(source.consumed() == out.size());
        CHECK(source.remaining() == size - out.size());
    }
    std::string rest(static_cast<std::size_t>(source.remaining()), '\0');
    if (!rest.empty()) source.get(&rest[0], rest.size());
    CHECK(source.remaining() == 0);
    CHECK(reader.error().empty());
    return out + rest;
}

} // namespace

// ---- round trip ------------------------------------------------------------------------------

TEST_CASE("format: the library's encoder writes the layout format.hpp documents", "[format]") {
    const d::Header h = sample_header();
    CHECK(encoded(h, good_payload()) == assemble(3, d::encode_header_block(h), good_payload()));
    CHECK(d::payload_offset_for(h) == 4096);
    CHECK(d::encode_trailer(0x0123456789abcdefull) ==
          std::string("\xef\xcd\xab\x89\x67\x45\x23\x01" "ESIRPER\0", 16));
}

TEST_CASE("format: a file written by hand from a Header and a payload reads back field for field",
          "[format]") {
    TempDir dir;
    const d::Header h = sample_header();
    const std::string file = good_file();
    REQUIRE(file.size() == 4096 + 24 + 16 + 16); // one chunk: one hash in the table

    SECTION("verifying the whole file") {
        const Read r = read_bytes(dir, file);
        REQUIRE(r.why.empty());
        REQUIRE(r.ok);
        check_same_header(r.checkpoint.header, h);
        CHECK(r.checkpoint.format_version == d::kFormatVersion);
        CHECK(r.checkpoint.payload_offset == 4096);
        CHECK(r.checkpoint.payload_size == 24);
        CHECK(r.checkpoint.file_size == file.size());
        CHECK(r.checkpoint.file.get() >= 0);
        CHECK(read_range(r.checkpoint, 0, 8) == good_payload().substr(0, 8));
        CHECK(read_range(r.checkpoint, 8, 16) == good_payload().substr(8, 16));
    }
    SECTION("verifying the header only") {
        const Read r = read_bytes(dir, file, d::Verify::header_only);
        REQUIRE(r.ok);
        check_same_header(r.checkpoint.header, h);
        CHECK(r.checkpoint.file_size == file.size());
    }
}

TEST_CASE("format: a header longer than a page moves the payload to the next page boundary",
          "[format]") {
    TempDir dir;
    d::Header h = sample_header();
    h.host = std::string(5000, 'h');
    h.parameters.push_back({"note", d::ParameterKind::string, std::string(3000, 'n')});
    const std::string file = encoded(h, good_payload());
    CHECK(file == assemble(3, d::encode_header_block(h), good_payload()));
    const Read r = read_bytes(dir, file);
    REQUIRE(r.ok);
    CHECK(r.checkpoint.payload_offset == 3 * 4096);
    check_same_header(r.checkpoint.header, h);
    CHECK(read_range(r.checkpoint, 0, 24) == good_payload());
}

TEST_CASE("format: a header with no variables and no parameters, over an empty payload, reads back",
          "[format]") {
    TempDir dir;
    d::Header h = sample_header();
    h.variables.clear();
    h.parameters.clear();
    h.host.clear();
    const Read r = read_bytes(dir, encoded(h, ""));
    REQUIRE(r.ok);
    check_same_header(r.checkpoint.header, h);
    CHECK(r.checkpoint.payload_size == 0);
    CHECK(r.checkpoint.file_size == 4096 + 16); // no chunk, an empty table
}

TEST_CASE("format: FileRangeSource reads small values through its buffer and large blocks straight, "
          "and nothing past its range",
          "[format]") {
    TempDir dir;
    // 20 MiB (a bulk block, read by two threads), 100 KiB (more than the 64 KiB buffer),
    // and small values on either side.
    const std::uint64_t bulk = std::uint64_t(20) << 20, large = std::uint64_t(100) << 10;
    const std::string payload = payload_of(static_cast<std::size_t>(3 + bulk + large + 5));
    d::Header h = sample_header();
    h.variables = {{"all", "", 0, payload.size()}};
    const Read r = read_bytes(dir, encoded(h, payload));
    REQUIRE(r.ok);
    CHECK(read_range(r.checkpoint, 0, payload.size(),
                     {3, static_cast<std::size_t>(bulk), 1, static_cast<std::size_t>(large) - 1, 2}) ==
          payload);
    CHECK(read_range(r.checkpoint, 1, 10, {1, 1, 1}) == payload.substr(1, 10));

    d::PayloadReader reader(r.checkpoint, "c.ckpt");
    d::FileRangeSource source(reader, 0, 4);
    char four[5];
    CHECK_THROWS_WITH(source.get(four, 5), "its data ends 4 bytes on, 5 were asked for");
    source.get(four, 4);
    CHECK(std::string(four, 4) == payload.substr(0, 4));
    CHECK_THROWS_WITH(source.get(four, 1), "its data ends 0 bytes on, 1 were asked for");
    CHECK(reader.error().empty());
}

TEST_CASE("format: FileRangeSource names the file when a read fails", "[format]") {
    TempDir dir;
    Read r = read_bytes(dir, good_file());
    REQUIRE(r.ok);
    // A payload the reader believes in, past the end of the file: the read comes up short.
    r.checkpoint.payload_offset = r.checkpoint.file_size;
    r.checkpoint.payload_size = 8;
    r.checkpoint.payload_verified = true;
    d::PayloadReader reader(r.checkpoint, "c.ckpt");
    d::FileRangeSource source(reader, 0, 8);
    char eight[8];
    CHECK_THROWS_WITH(source.get(eight, 8),
                      "reprise: reading c.ckpt: truncated: the file ended while it was being read");
    CHECK(reader.error() == "truncated: the file ended while it was being read");
}

TEST_CASE("format: a restore's reader verifies each chunk before a byte of it reaches the decoder, "
          "and a large array's chunks as they land",
          "[format]") {
    TempDir dir;
    // Three chunks and a bit, then 20 MiB (a bulk block, read by two threads): chunk 2 is
    // damaged in the first file, a chunk in the middle of the bulk block in the second.
    const std::uint64_t chunk = d::kChunkBytes, bulk = std::uint64_t(20) << 20;
    const std::string payload = payload_of(static_cast<std::size_t>(3 * chunk + 100 + bulk));
    d::Header h = sample_header();
    h.variables = {{"all", "", 0, payload.size()}};
    const std::string good = encoded(h, payload);
    const std::uint64_t head = d::payload_offset_for(h);

    SECTION("a whole-file verification names the damaged chunk") {
        std::string damaged = good;
        damaged[static_cast<std::size_t>(head + chunk + 5)] ^= 1;
        CHECK(refusal(damaged) == "payload checksum mismatch (chunk 2 of " +
                                      std::to_string(d::chunk_count(payload.size())) +
                                      ", payload bytes 65536 to 131072)");
    }
    SECTION("read as loaded: the first chunk's bytes come, the damaged chunk's never") {
        std::string damaged = good;
        damaged[static_cast<std::size_t>(head + chunk + 5)] ^= 1;
        Read r = read_bytes(dir, damaged, d::Verify::as_loaded);
        REQUIRE(r.ok); // the chunk table is intact: the chunks are checked as they are read
        CHECK_FALSE(r.checkpoint.payload_verified);
        d::PayloadReader reader(r.checkpoint, "c.ckpt");
        d::FileRangeSource source(reader, 0, payload.size());
        std::string first(static_cast<std::size_t>(chunk), '\0');
        // The buffer holds 16 chunks: the damaged one fails its first read already.
        CHECK_THROWS_WITH(source.get(&first[0], 10),
                          Catch::Matchers::Contains("payload checksum mismatch (chunk 2 of"));
        CHECK(first == std::string(static_cast<std::size_t>(chunk), '\0')); // nothing handed out
        CHECK(reader.error().rfind("payload checksum mismatch (chunk 2 of", 0) == 0);
    }
    SECTION("a chunk of a bulk block is verified once it has landed") {
        std::string damaged = good;
        const std::uint64_t middle = 3 * chunk + 100 + bulk / 2;
        damaged[static_cast<std::size_t>(head + middle)] ^= 1;
        Read r = read_bytes(dir, damaged, d::Verify::as_loaded);
        REQUIRE(r.ok);
        d::PayloadReader reader(r.checkpoint, "c.ckpt");
        d::FileRangeSource source(reader, 0, payload.size());
        std::string small(static_cast<std::size_t>(3 * chunk + 100), '\0');
        source.get(&small[0], small.size()); // the good chunks before the block
        CHECK(small == payload.substr(0, small.size()));
        std::string block(static_cast<std::size_t>(bulk), '\0');
        CHECK_THROWS_WITH(source.get(&block[0], block.size()),
                          Catch::Matchers::Contains("payload checksum mismatch (chunk " +
                                                    std::to_string(middle / chunk + 1) + " of"));
    }
    SECTION("an intact file reads back in full, every chunk verified on the way") {
        const Read r = read_bytes(dir, good, d::Verify::as_loaded);
        REQUIRE(r.ok);
        CHECK(read_range(r.checkpoint, 0, payload.size(),
                         {7, static_cast<std::size_t>(chunk), static_cast<std::size_t>(bulk), 3}) ==
              payload);
    }
    SECTION("a damaged chunk table is refused before any payload is read") {
        std::string damaged = good;
        damaged[static_cast<std::size_t>(head + payload.size() + 3)] ^= 1;
        CHECK(refusal(damaged, d::Verify::as_loaded) == "payload checksum mismatch (the chunk table's)");
    }
}

TEST_CASE("format: a file of format version 1 still reads, with no types and no parameters",
          "[format]") {
    TempDir dir;
    d::Header h = sample_header();
    h.parameters.clear();
    for (auto& v : h.variables) v.type.clear();
    const Read r = read_bytes(dir, assemble(1, version_1_block(h), good_payload()));
    REQUIRE(r.why.empty());
    REQUIRE(r.ok);
    CHECK(r.checkpoint.format_version == 1);
    check_same_header(r.checkpoint.header, h);
    CHECK(read_range(r.checkpoint, 8, 16) == good_payload().substr(8, 16));

    // Each version's block is read by its own rule: neither passes for the other.
    CHECK(refusal(assemble(1, d::encode_header_block(sample_header()), good_payload())) == kCorruptHeader);
    CHECK(refusal(assemble(2, version_1_block(h), good_payload())) == kCorruptHeader);
}

// ---- what read_checkpoint refuses, one reason at a time ---------------------------------------

TEST_CASE("format: an empty file is refused as empty", "[format][reject]") {
    CHECK(refusal("") == "empty file");
    CHECK(refusal("", d::Verify::header_only) == "empty file");
}

TEST_CASE("format: a file too short for preamble, checksum and trailer is refused as truncated",
          "[format][reject]") {
    CHECK(refusal(good_file().substr(0, 1)) == "truncated: 1 bytes, too short for a checkpoint");
    CHECK(refusal(good_file().substr(0, 55)) == "truncated: 55 bytes, too short for a checkpoint");
    // 56 bytes get past this check, and are refused by what the header says.
    CHECK(refusal(good_file().substr(0, 56)) == "truncated: 56 bytes, the header says 4152");
}

TEST_CASE("format: a file without the magic number is refused", "[format][reject]") {
    for (int i = 0; i < 8; ++i) {
        std::string file = good_file();
        file[i] ^= 0x20;
        CHECK(refusal(file) == "not a reprise checkpoint (no magic number)");
    }
    std::string backwards = good_file();
    backwards.replace(0, 8, std::string("ESIRPER", 8));
    CHECK(refusal(backwards) == "not a reprise checkpoint (no magic number)");
}

TEST_CASE("format: a format version this reader does not know is refused, naming it", "[format][reject]") {
    for (const std::uint32_t version : {0u, d::kNewestFormatVersion + 1, 0xffffffffu}) {
        std::string file = good_file();
        poke(file, 8, version, 4);
        reseal_header(file);
        CHECK(refusal(file) == "format version " + std::to_string(version) +
                                   ", this reader knows versions 1 to 4");
    }
}

TEST_CASE("format: a preamble whose header length and payload offset disagree is refused",
          "[format][reject]") {
    const std::uint64_t header_length = d::encode_header_block(sample_header()).size();
    for (const std::uint64_t offset : {0ull, 4095ull, 8192ull}) {
        std::string file = good_file();
        poke(file, 16, offset, 8);
        CHECK(refusal(file) == "corrupt preamble (header length " + std::to_string(header_length) +
                                   ", payload offset " + std::to_string(offset) + ")");
    }
    // A header length beyond kMaxHeaderSize, with the payload offset that would follow from
    // it: refused before anything is allocated for it.
    std::string file = good_file();
    const std::uint64_t huge = d::kMaxHeaderSize + 1;
    const std::uint64_t offset = d::align_up(32 + huge + 8, 4096);
    poke(file, 12, huge, 4);
    poke(file, 16, offset, 8);
    CHECK(refusal(file) == "corrupt preamble (header length " + std::to_string(huge) +
                               ", payload offset " + std::to_string(offset) + ")");
}

TEST_CASE("format: a file shorter than its preamble says is refused as truncated", "[format][reject]") {
    const std::string file = good_file();
    CHECK(refusal(file.substr(0, file.size() - 1)) == "truncated: 4151 bytes, the header says 4152");
    CHECK(refusal(file.substr(0, 4100)) == "truncated: 4100 bytes, the header says 4152");
    CHECK(refusal(file.substr(0, 4000), d::Verify::header_only) ==
          "truncated: 4000 bytes, the header says 4152");
}

TEST_CASE("format: a file longer than its preamble says, or sizes beyond any file, are refused",
          "[format][reject]") {
    CHECK(refusal(good_file() + "x") == "corrupt: 4153 bytes do not match the sizes in the header");
    for (const std::uint64_t length : {std::uint64_t(1) << 63, ~std::uint64_t(0), ~std::uint64_t(0) - 4095}) {
        std::string file = good_file();
        poke(file, 24, length, 8);
        CHECK(refusal(file) == "corrupt: 4152 bytes do not match the sizes in the header");
    }
}

TEST_CASE("format: a header that does not match its checksum is refused", "[format][reject]") {
    std::string host_changed = good_file();
    host_changed[32 + 20 + 4] ^= 1; // the host's first byte
    CHECK(refusal(host_changed) == "header checksum mismatch");
    CHECK(refusal(host_changed, d::Verify::header_only) == "header checksum mismatch");

    std::string checksum_changed = good_file();
    const std::size_t header_end = 32 + d::encode_header_block(sample_header()).size();
    checksum_changed[header_end] ^= 1;
    CHECK(refusal(checksum_changed) == "header checksum mismatch");

    // The preamble is covered too: a header length one longer still gives the same
    // payload offset, and moves the checksum.
    std::string length_changed = good_file();
    poke(length_changed, 12, header_end - 32 + 1, 4);
    CHECK(refusal(length_changed) == "header checksum mismatch");
}

TEST_CASE("format: a byte other than zero between the header and the payload is refused",
          "[format][reject]") {
    const std::size_t padding = 32 + d::encode_header_block(sample_header()).size() + 8;
    for (const std::size_t at : {padding, std::size_t(4095)}) {
        std::string file = good_file();
        file[at] = 1;
        CHECK(refusal(file) == "corrupt padding after the header");
    }
}

TEST_CASE("format: a header with a right checksum but contents no writer produces is refused",
          "[format][reject]") {
    d::Header h = sample_header();
    SECTION("two variables of one name") {
        h.variables = {{"x", "m", 0, 8}, {"x", "m", 8, 16}};
        CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
    }
    SECTION("a variable that does not start where the one before it ended") {
        h.variables = {{"a", "m", 0, 8}, {"b", "m", 16, 8}};
        CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
        h.variables = {{"a", "m", 0, 8}, {"b", "m", 4, 20}};
        CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
        h.variables = {{"a", "m", 8, 16}};
        CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
    }
    SECTION("variables that do not cover the payload") {
        h.variables = {{"a", "m", 0, 8}};
        CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
        h.variables.clear();
        CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
    }
    SECTION("sizes that wrap around 2^64 back to the payload's end") {
        // 0 + (2^64 - 8) + 16 = 8 modulo 2^64: only the check of each size against what
        // remains of the payload stops it.
        const std::uint64_t wrap = ~std::uint64_t(0) - 7;
        h.variables = {{"a", "m", 0, wrap}, {"b", "m", wrap, 16}};
        CHECK(refusal(encoded(h, good_payload().substr(0, 8))) == kCorruptHeader);
    }
    SECTION("two parameters of one name") {
        h.parameters = {{"n", d::ParameterKind::integer, "1"}, {"n", d::ParameterKind::integer, "1"}};
        CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
    }
    SECTION("a parameter of a kind that does not exist") {
        for (const std::uint32_t kind : {d::kParameterKinds, 0xffffffffu}) {
            h.parameters = {{"n", static_cast<d::ParameterKind>(kind), "1"}};
            CHECK(refusal(encoded(h, good_payload())) == kCorruptHeader);
        }
    }
    SECTION("a string longer than what remains of the header") {
        std::string file = good_file();
        poke(file, 32 + 20, 1000, 4); // the host's length
        reseal_header(file);
        CHECK(refusal(file) == kCorruptHeader);
    }
    SECTION("more variables than the header could hold") {
        // Refused by the count's bound, and, without it, by the first entry read past the end.
        std::string file = good_file();
        poke(file, count_offset(h), 0xffffffffu, 4);
        reseal_header(file);
        CHECK(refusal(file) == kCorruptHeader);
    }
    SECTION("bytes left over after the last parameter") {
        CHECK(refusal(assemble(2, d::encode_header_block(h) + std::string(4, '\0'), good_payload())) ==
              kCorruptHeader);
    }
    SECTION("a header cut before its parameter count") {
        h.parameters.clear();
        std::string block = d::encode_header_block(h);
        block.resize(block.size() - 4); // the count, 0
        CHECK(refusal(assemble(2, block, good_payload())) == kCorruptHeader);
    }
}

TEST_CASE("format: a file whose trailer does not end in the end magic is refused, header_only too",
          "[format][reject]") {
    std::string file = good_file();
    file[file.size() - 2] ^= 1;
    CHECK(refusal(file) == "corrupt trailer");
    CHECK(refusal(file, d::Verify::header_only) == "corrupt trailer");
}

TEST_CASE("format: a payload that does not match its checksum is refused, which header_only does not look at",
          "[format][reject]") {
    std::string payload_changed = good_file();
    payload_changed[4096 + 23] ^= 1;
    CHECK(refusal(payload_changed) == "payload checksum mismatch (chunk 1 of 1, payload bytes 0 to 24)");
    CHECK(refusal(payload_changed, d::Verify::header_only) == "(accepted)");
    // As loaded, the chunk is the reader's to verify (the test above of the reader).
    CHECK(refusal(payload_changed, d::Verify::as_loaded) == "(accepted)");

    std::string table_changed = good_file();
    table_changed[4096 + 24] ^= 1;
    CHECK(refusal(table_changed) == "payload checksum mismatch (the chunk table's)");
    CHECK(refusal(table_changed, d::Verify::as_loaded) == "payload checksum mismatch (the chunk table's)");
    std::string checksum_changed = good_file();
    checksum_changed[4096 + 24 + 16] ^= 1;
    CHECK(refusal(checksum_changed) == "payload checksum mismatch (the chunk table's)");

    // Format 2: one checksum over the whole payload, verified in full even as loaded.
    std::string version_2 = assemble(2, d::encode_header_block(sample_header()), good_payload());
    REQUIRE(refusal(version_2, d::Verify::as_loaded) == "(accepted)");
    version_2[4096 + 23] ^= 1;
    CHECK(refusal(version_2) == "payload checksum mismatch");
    CHECK(refusal(version_2, d::Verify::as_loaded) == "payload checksum mismatch");
}

TEST_CASE("format: a directory or a FIFO under a checkpoint's name is refused, without blocking",
          "[format][reject]") {
    TempDir dir;
    REQUIRE(::mkdir((dir / "d.ckpt").c_str(), 0700) == 0);
    CHECK(read_named(dir, "d.ckpt").why == "not a regular file");
    REQUIRE(::mkfifo((dir / "f.ckpt").c_str(), 0600) == 0);
    CHECK(read_named(dir, "f.ckpt").why == "not a regular file");
    CHECK(read_named(dir, "f.ckpt", d::Verify::header_only).why == "not a regular file");
}

TEST_CASE("format: a symbolic link is not followed, even to a good checkpoint", "[format][reject]") {
    TempDir dir;
    reprise_test::write_file(dir / "good.ckpt", good_file());
    REQUIRE(read_named(dir, "good.ckpt").ok);
    REQUIRE(::symlink("good.ckpt", (dir / "link.ckpt").c_str()) == 0);
    const Read r = read_named(dir, "link.ckpt");
    CHECK_FALSE(r.ok);
    CHECK(r.why == "cannot open: " + d::errno_text(ELOOP));
}

TEST_CASE("format: a missing file is refused with the reason the system gives", "[format][reject]") {
    TempDir dir;
    CHECK(read_named(dir, "none.ckpt").why == "cannot open: " + d::errno_text(ENOENT));
}

TEST_CASE("format: a good checkpoint owned by another user is refused", "[format][reject][security]") {
    if (!reprise_test::is_root()) {
        WARN("skipped: only root can give a file to another user");
        return;
    }
    TempDir dir;
    reprise_test::write_file(dir / "c.ckpt", good_file());
    REQUIRE(read_named(dir, "c.ckpt").ok);
    REQUIRE(::chown((dir / "c.ckpt").c_str(), 4242, static_cast<gid_t>(-1)) == 0);
    const std::string me = std::to_string(::geteuid());
    CHECK(read_named(dir, "c.ckpt").why == "owned by uid 4242, not by this user (uid " + me + ")");
    CHECK(read_named(dir, "c.ckpt", d::Verify::header_only).why ==
          "owned by uid 4242, not by this user (uid " + me + ")");
}
