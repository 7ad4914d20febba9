// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// detail/commit_record.hpp, the MPI layer's proof that every rank has a generation on disk:
// a record written and read back, each reason a file is not an intact record (the text of
// each checked, so that a case fails if its check goes), the digest a record holds of a
// rank's checkpoint file, and which records remove_commit_records leaves.

#include "catch.hpp"
#include "support.hpp"
#include "unit/checkpoint_bytes.hpp"

#include "reprise/detail/commit_record.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using namespace reprise_unit;
using reprise_test::TempDir;

d::CommitRecord sample_record(std::uint64_t generation = 7) {
    d::CommitRecord r;
    r.generation = generation;
    r.ranks = 3;
    r.job_key = "slurm-123_4";
    r.name = "heat";
    r.files = {{0x1111111111111111ull, 0x2222222222222222ull, 4136},
               {0x3333333333333333ull, 0x4444444444444444ull, 8232},
               {0x5555555555555555ull, 0x6666666666666666ull, 4112}};
    return r;
}

// Where the strings begin: after magic, version, generation and the rank count.
constexpr std::size_t kStrings = 8 + 4 + 8 + 4;

// Recomputes a record's checksum after a test changed its body.
void reseal_record(std::string& bytes) {
    poke(bytes, bytes.size() - 8, XXH3_64bits(bytes.data(), bytes.size() - 8), 8);
}

struct Read {
    d::RecordState state = d::RecordState::absent;
    std::string why;
    d::CommitRecord record;
};

Read read_named(const TempDir& dir, const std::string& name) {
    const d::Directory directory(dir.path());
    Read r;
    r.state = d::read_commit_record(directory, name, r.record, r.why);
    return r;
}

// Why a file holding `bytes` is not an intact record; "(intact)" when it is one.
std::string refusal(const std::string& bytes) {
    TempDir dir;
    reprise_test::write_file(dir / "r.commit", bytes);
    const Read r = read_named(dir, "r.commit");
    if (r.state == d::RecordState::intact) return "(intact)";
    CHECK(r.state == d::RecordState::invalid);
    return r.why;
}

void check_same_record(const d::CommitRecord& got, const d::CommitRecord& want) {
    CHECK(got.generation == want.generation);
    CHECK(got.ranks == want.ranks);
    CHECK(got.job_key == want.job_key);
    CHECK(got.name == want.name);
    REQUIRE(got.files.size() == want.files.size());
    for (std::size_t i = 0; i < want.files.size(); ++i) CHECK(got.files[i] == want.files[i]);
}

} // namespace

// ---- names ---------------------------------------------------------------------------------------

TEST_CASE("commit records: named '<name>.<job key>.<generation>.commit', escaped like the checkpoints",
          "[commit]") {
    CHECK(d::commit_record_stem("heat", "slurm-123_4") == "heat.slurm-123_4");
    CHECK(d::commit_record_stem("a/b", "x y") == "a%2Fb.x%20y");
    CHECK(d::commit_record_name("heat.slurm-123_4", 7) == "heat.slurm-123_4.0000000007.commit");
    CHECK_THROWS_AS(d::commit_record_name("heat.local", 0), reprise::Error);
}

// ---- round trip ----------------------------------------------------------------------------------

TEST_CASE("commit records: a record written durably reads back intact, field for field", "[commit]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const d::CommitRecord record = sample_record();
    d::write_commit_record(directory, "r.commit", record);
    CHECK(reprise_test::list_dir(dir.path()) == std::vector<std::string>{"r.commit"});
    CHECK(reprise_test::read_file(dir / "r.commit") == d::encode_commit_record(record));

    const Read r = read_named(dir, "r.commit");
    CHECK(r.why.empty());
    REQUIRE(r.state == d::RecordState::intact);
    check_same_record(r.record, record);

    // Written again over itself: the new record replaces the old one whole.
    d::CommitRecord next = sample_record(8);
    next.ranks = 1;
    next.files.resize(1);
    d::write_commit_record(directory, "r.commit", next);
    const Read again = read_named(dir, "r.commit");
    REQUIRE(again.state == d::RecordState::intact);
    check_same_record(again.record, next);
    CHECK(reprise_test::list_dir(dir.path()) == std::vector<std::string>{"r.commit"});
}

TEST_CASE("commit records: the encoding is the layout commit_record.hpp documents", "[commit]") {
    const d::CommitRecord record = sample_record();
    const std::string bytes = d::encode_commit_record(record);
    CHECK(bytes.substr(0, 8) == "REPRCOMM");
    CHECK(d::get_le(bytes.data() + 8, 4) == 2);
    CHECK(d::get_le(bytes.data() + 12, 8) == 7);
    CHECK(d::get_le(bytes.data() + 20, 4) == 3);
    CHECK(d::get_le(bytes.data() + kStrings, 4) == 11);
    CHECK(bytes.substr(kStrings + 4, 11) == "slurm-123_4");
    CHECK(d::get_le(bytes.data() + kStrings + 15, 4) == 4);
    CHECK(bytes.substr(kStrings + 19, 4) == "heat");
    const std::size_t entries = kStrings + 23;
    CHECK(d::get_le(bytes.data() + entries, 8) == 0x1111111111111111ull);
    CHECK(d::get_le(bytes.data() + entries + 16, 8) == 4136);
    CHECK(d::get_le(bytes.data() + entries + 64, 8) == 4112);
    CHECK(bytes.size() == entries + 3 * 24 + 8);
    CHECK(d::get_le(bytes.data() + bytes.size() - 8, 8) == XXH3_64bits(bytes.data(), bytes.size() - 8));

    d::CommitRecord decoded;
    std::string why;
    REQUIRE(d::decode_commit_record(bytes, decoded, why));
    check_same_record(decoded, record);
}

// ---- what read_commit_record refuses -------------------------------------------------------------

TEST_CASE("commit records: a name with no file is absent, not invalid", "[commit][reject]") {
    TempDir dir;
    const Read r = read_named(dir, "none.commit");
    CHECK(r.state == d::RecordState::absent);
    CHECK(r.why.empty());
}

TEST_CASE("commit records: a directory, a FIFO or a symbolic link under a record's name is invalid",
          "[commit][reject]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    d::write_commit_record(directory, "good.commit", sample_record());
    REQUIRE(::mkdir((dir / "d.commit").c_str(), 0700) == 0);
    REQUIRE(::mkfifo((dir / "f.commit").c_str(), 0600) == 0);
    REQUIRE(::symlink("good.commit", (dir / "l.commit").c_str()) == 0);
    for (const char* name : {"d.commit", "f.commit"}) {
        const Read r = read_named(dir, name);
        CHECK(r.state == d::RecordState::invalid);
        CHECK(r.why == "not a regular file");
    }
    const Read link = read_named(dir, "l.commit");
    CHECK(link.state == d::RecordState::invalid);
    CHECK(link.why == "cannot open: " + d::errno_text(ELOOP));
    // A dangling link is invalid too, not absent: something is there.
    REQUIRE(::symlink("nowhere", (dir / "x.commit").c_str()) == 0);
    CHECK(read_named(dir, "x.commit").state == d::RecordState::invalid);
}

TEST_CASE("commit records: a file larger than any record is refused before it is read",
          "[commit][reject]") {
    TempDir dir;
    const int fd = ::open((dir / "big.commit").c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(d::kMaxCommitRecordSize + 1)) == 0); // sparse
    ::close(fd);
    const Read r = read_named(dir, "big.commit");
    CHECK(r.state == d::RecordState::invalid);
    CHECK(r.why == "too large for a commit record (" + std::to_string(d::kMaxCommitRecordSize + 1) +
                       " bytes)");
}

TEST_CASE("commit records: a file too short for a record is refused as truncated", "[commit][reject]") {
    const std::string bytes = d::encode_commit_record(sample_record());
    CHECK(refusal("") == "truncated: 0 bytes, too short for a commit record");
    CHECK(refusal(bytes.substr(0, 39)) == "truncated: 39 bytes, too short for a commit record");
    CHECK(refusal(bytes.substr(0, 40)) == "checksum mismatch: the commit record is damaged");
}

TEST_CASE("commit records: a file without the record magic is refused", "[commit][reject]") {
    for (int i = 0; i < 8; ++i) {
        std::string bytes = d::encode_commit_record(sample_record());
        bytes[i] ^= 0x20;
        reseal_record(bytes);
        CHECK(refusal(bytes) == "not a reprise commit record (no magic number)");
    }
    // A checkpoint file is not a record.
    CHECK(refusal(encoded(sample_header(), payload_of(24))) ==
          "not a reprise commit record (no magic number)");
}

TEST_CASE("commit records: any byte changed is caught by the checksum", "[commit][reject]") {
    const std::string good = d::encode_commit_record(sample_record());
    for (std::size_t at = 8; at < good.size(); ++at) {
        std::string bytes = good;
        bytes[at] ^= 0x01;
        INFO("byte " << at);
        d::CommitRecord out;
        std::string why;
        CHECK_FALSE(d::decode_commit_record(bytes, out, why));
        CHECK(why == "checksum mismatch: the commit record is damaged");
    }
    CHECK(refusal(good + "x") == "checksum mismatch: the commit record is damaged");
}

TEST_CASE("commit records: version 1, which names no rank files, and unknown versions are refused",
          "[commit][reject]") {
    std::string v1 = d::encode_commit_record(sample_record());
    poke(v1, 8, 1, 4);
    reseal_record(v1);
    const std::string why = refusal(v1);
    CHECK(reprise_test::starts_with(why, "commit record version 1, written by an older reprise: "));
    CHECK(reprise_test::contains(why, "restart with the reprise that wrote it, or start afresh"));
    for (const std::uint32_t version : {0u, 3u, 0xffffffffu}) {
        std::string bytes = d::encode_commit_record(sample_record());
        poke(bytes, 8, version, 4);
        reseal_record(bytes);
        CHECK(refusal(bytes) == "commit record version " + std::to_string(version) +
                                    ", this reader knows 2");
    }
}

TEST_CASE("commit records: a string longer than the record is refused", "[commit][reject]") {
    for (const std::size_t at : {kStrings, kStrings + 15}) { // the job key's length, the name's
        for (const std::uint64_t length : {std::uint64_t(1000), std::uint64_t(0xffffffff)}) {
            std::string bytes = d::encode_commit_record(sample_record());
            poke(bytes, at, length, 4);
            reseal_record(bytes);
            CHECK(refusal(bytes) == "corrupt commit record (string lengths)");
        }
    }
    // Strings that end exactly where the checksum begins leave no room for a name.
    d::CommitRecord r = sample_record();
    r.files.clear();
    std::string bytes = d::encode_commit_record(r);
    bytes.resize(bytes.size() - 8 - 4 - 4); // no name: its length, its bytes, the checksum
    d::put_u64(bytes, XXH3_64bits(bytes.data(), bytes.size()));
    CHECK(refusal(bytes) == "corrupt commit record (string lengths)");
}

TEST_CASE("commit records: a rank count that is zero or does not match the entries is refused",
          "[commit][reject]") {
    d::CommitRecord none = sample_record();
    none.ranks = 0;
    none.files.clear();
    CHECK(refusal(d::encode_commit_record(none)) == "corrupt commit record (0 ranks, 0 bytes of rank entries)");

    d::CommitRecord more = sample_record();
    more.ranks = 4;
    CHECK(refusal(d::encode_commit_record(more)) == "corrupt commit record (4 ranks, 72 bytes of rank entries)");
    d::CommitRecord fewer = sample_record();
    fewer.ranks = 2;
    CHECK(refusal(d::encode_commit_record(fewer)) == "corrupt commit record (2 ranks, 72 bytes of rank entries)");
    std::string cut = d::encode_commit_record(sample_record());
    cut.erase(cut.size() - 8 - 1, 1); // one byte short of three entries
    reseal_record(cut);
    CHECK(refusal(cut) == "corrupt commit record (3 ranks, 71 bytes of rank entries)");
}

TEST_CASE("commit records: more ranks than kMaxCommitRanks are refused even with every entry there",
          "[commit][reject]") {
    // Within kMaxCommitRecordSize, so that only the rank bound refuses it.
    d::CommitRecord many;
    many.generation = 1;
    many.ranks = d::kMaxCommitRanks + 1;
    many.job_key = "j";
    many.name = "n";
    std::string bytes = d::encode_commit_record(many); // the fixed fields, no entry
    bytes.resize(bytes.size() - 8 + std::size_t(many.ranks) * 24, '\0'); // zero entries
    d::put_u64(bytes, 0);
    reseal_record(bytes);
    REQUIRE(bytes.size() <= d::kMaxCommitRecordSize);
    d::CommitRecord out;
    std::string why;
    CHECK_FALSE(d::decode_commit_record(bytes, out, why));
    CHECK(why == "corrupt commit record (" + std::to_string(d::kMaxCommitRanks + 1) + " ranks, " +
                     std::to_string(std::uint64_t(d::kMaxCommitRanks + 1) * 24) + " bytes of rank entries)");
}

// ---- FileDigest ----------------------------------------------------------------------------------

TEST_CASE("commit records: two digests are equal when all three fields are", "[commit][digest]") {
    const d::FileDigest a{1, 2, 3};
    CHECK(a == d::FileDigest{1, 2, 3});
    CHECK_FALSE(a != d::FileDigest{1, 2, 3});
    for (const d::FileDigest& b : {d::FileDigest{9, 2, 3}, d::FileDigest{1, 9, 3}, d::FileDigest{1, 2, 9}}) {
        CHECK(a != b);
        CHECK_FALSE(a == b);
    }
    CHECK(d::FileDigest{0xabcull, 0xffffffffffffffffull, 4136}.describe() ==
          "header 0000000000000abc, payload ffffffffffffffff, 4136 bytes");
}

TEST_CASE("commit records: a checkpoint file's digest is its header checksum, its trailer's payload "
          "checksum and its size",
          "[commit][digest]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const std::string payload = payload_of(24);
    const std::string file = encoded(sample_header(), payload);
    reprise_test::write_file(dir / "c.ckpt", file);
    const std::size_t header_end = 32 + d::encode_header_block(sample_header()).size();
    d::FileDigest digest;
    std::string why;
    REQUIRE(d::read_file_digest(directory, "c.ckpt", digest, why));
    CHECK(why.empty());
    CHECK(digest.header_checksum == XXH3_64bits(file.data(), header_end));
    // Of format 3, the checksum of the chunk table, which covers every chunk.
    const std::string table = chunk_table_of(payload);
    CHECK(digest.payload_checksum == XXH3_64bits(table.data(), table.size()));
    CHECK(digest.size == file.size());

    // Another generation of the same job differs in its header checksum.
    d::Header other = sample_header();
    other.generation = 8;
    reprise_test::write_file(dir / "c2.ckpt", encoded(other, payload));
    d::FileDigest second;
    REQUIRE(d::read_file_digest(directory, "c2.ckpt", second, why));
    CHECK(second != digest);
    CHECK(second.payload_checksum == digest.payload_checksum);
}

TEST_CASE("commit records: no digest of a file that is missing or not an intact checkpoint",
          "[commit][digest][reject]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const std::string good = encoded(sample_header(), payload_of(24));
    const auto digest_refusal = [&](const std::string& bytes) {
        reprise_test::write_file(dir / "c.ckpt", bytes);
        d::FileDigest digest;
        std::string why;
        return d::read_file_digest(directory, "c.ckpt", digest, why) ? std::string("(read)") : why;
    };
    d::FileDigest digest;
    std::string why;
    CHECK_FALSE(d::read_file_digest(directory, "none.ckpt", digest, why));
    CHECK(why == "missing");
    REQUIRE(::mkfifo((dir / "f.ckpt").c_str(), 0600) == 0);
    why.clear();
    CHECK_FALSE(d::read_file_digest(directory, "f.ckpt", digest, why));
    CHECK(why == "not a regular file");

    CHECK(digest_refusal(good) == "(read)");
    CHECK(digest_refusal(good.substr(0, 55)) == "truncated: 55 bytes, too short for a checkpoint");
    std::string magic = good;
    magic[0] = 'X';
    CHECK(digest_refusal(magic) == "not an intact checkpoint (preamble)");
    std::string offset = good;
    poke(offset, 16, 8192, 8);
    CHECK(digest_refusal(offset) == "not an intact checkpoint (preamble)");
    CHECK(digest_refusal(good.substr(0, good.size() - 1)) == "not an intact checkpoint (preamble)");
    CHECK(digest_refusal(good + "x") == "not an intact checkpoint (preamble)");
    CHECK(digest_refusal(good.substr(0, 4000)) == "not an intact checkpoint (preamble)");
    std::string header = good;
    header[32 + 20 + 4] ^= 1;
    CHECK(digest_refusal(header) == "header checksum mismatch");
}

// ---- listing and removing ------------------------------------------------------------------------

TEST_CASE("commit records: listed newest first, removed but those kept, with their temporaries, and "
          "nothing of another stem",
          "[commit]") {
    TempDir dir;
    const d::Directory directory(dir.path());
    const std::string stem = d::commit_record_stem("heat", "slurm-1");
    for (std::uint64_t g = 1; g <= 5; ++g)
        d::write_commit_record(directory, d::commit_record_name(stem, g), sample_record(g));
    // A leftover temporary of generation 6 and of a kept generation, and files that are
    // not this stem's records.
    const std::vector<std::string> foreign = {
        "heat.slurm-10.0000000001.commit", "heat.slurm-1.000000000000000003.commit",
        "heat.slurm-1.0000000002.ckpt",    "heat.slurm-1.0000000000.commit",
        "heat.slurm-1.0000000002.commit~", "other.slurm-1.0000000002.commit"};
    for (const std::string& name : foreign) reprise_test::write_file(dir / name, "x");
    reprise_test::write_file(dir / (d::commit_record_name(stem, 6) + ".tmp"), "x");
    reprise_test::write_file(dir / (d::commit_record_name(stem, 5) + ".tmp"), "x");

    const auto records = d::list_commit_records(directory, stem, ".commit");
    REQUIRE(records.size() == 5);
    for (std::size_t i = 0; i < records.size(); ++i) {
        CHECK(records[i].first == 5 - i);
        CHECK(records[i].second == d::commit_record_name(stem, 5 - i));
    }
    const auto temporaries = d::list_commit_records(directory, stem, ".commit.tmp");
    REQUIRE(temporaries.size() == 2);
    CHECK(temporaries[0].first == 6);

    d::remove_commit_records(directory, stem, [](std::uint64_t g) { return g == 4 || g == 5; });
    std::vector<std::string> left = foreign;
    left.push_back(d::commit_record_name(stem, 4));
    left.push_back(d::commit_record_name(stem, 5));
    left.push_back(d::commit_record_name(stem, 5) + ".tmp");
    std::sort(left.begin(), left.end());
    CHECK(reprise_test::list_dir(dir.path()) == left);

    d::remove_commit_records(directory, stem, [](std::uint64_t) { return false; });
    std::vector<std::string> foreign_sorted = foreign;
    std::sort(foreign_sorted.begin(), foreign_sorted.end());
    CHECK(reprise_test::list_dir(dir.path()) == foreign_sorted);
}
