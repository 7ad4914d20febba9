// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_COMMIT_RECORD_HPP
#define REPRISE_DETAIL_COMMIT_RECORD_HPP

// The commit records of a coordinated checkpoint (reprise/mpi.hpp): one per committed
// generation, saying that every rank has it on disk, written by rank 0 once all of them
// said so. It is the second phase of the commit, so it goes through write_durably() like
// every checkpoint: a crash leaves the record whole or absent, never torn. One record per
// generation, not one record overwritten, so that the older committed generation that
// every rank keeps beside the newest keeps its own proof of commit: a damaged or removed
// newest record falls back to it, as a damaged rank file does.
//
// A record binds exactly the rank files it commits: it holds, per rank, the digest of
// that rank's file of its generation (FileDigest: the file's header checksum, which
// covers its name, job, generation, time of writing, pid and host, its payload checksum
// and its size), so that no other file, of another checkpoint, another run or another
// job, can pass for one of them (issue 14: a record of checkpoint 'a' vouched for the
// file of checkpoint 'b' that one rank had loaded).
//
//   "REPRCOMM" magic, u32 format version 2, u64 generation, u32 number of ranks N,
//   string job key, string checkpoint name (u32 length + bytes), then N entries of
//   u64 header checksum, u64 payload checksum, u64 file size (rank 0's first), then
//   u64 XXH3-64 of all the bytes before it. Little-endian, like the checkpoint files
//   (format.hpp). Version 1 (no entries) is refused: it cannot say which files it
//   committed.

#include "reprise/detail/checksum.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/naming.hpp"

#include "reprise/error.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reprise::detail {

inline constexpr char kCommitMagic[8] = {'R', 'E', 'P', 'R', 'C', 'O', 'M', 'M'};
inline constexpr std::uint32_t kCommitVersion = 2;
// A record of more ranks than this is not ours (and none is written: see mpi.hpp).
inline constexpr std::uint32_t kMaxCommitRanks = std::uint32_t(1) << 22;
// The names and the fixed fields take far less than 64 KiB; a larger file is not ours.
inline constexpr std::uint64_t kMaxCommitRecordSize =
    (std::uint64_t(64) << 10) + std::uint64_t(kMaxCommitRanks) * 24;

// What identifies one rank file of one save, as it is on disk: its header checksum (the
// header holds the name, the job, the generation, the time in nanoseconds, the pid and
// the host), its payload checksum (from its trailer) and its size.
struct FileDigest {
    std::uint64_t header_checksum = 0;
    std::uint64_t payload_checksum = 0;
    std::uint64_t size = 0;

    bool operator==(const FileDigest& o) const noexcept {
        return header_checksum == o.header_checksum && payload_checksum == o.payload_checksum &&
               size == o.size;
    }
    bool operator!=(const FileDigest& o) const noexcept { return !(*this == o); }

    std::string describe() const {
        char text[96];
        std::snprintf(text, sizeof text, "header %016llx, payload %016llx, %llu bytes",
                      static_cast<unsigned long long>(header_checksum),
                      static_cast<unsigned long long>(payload_checksum),
                      static_cast<unsigned long long>(size));
        return text;
    }
};

struct CommitRecord {
    std::uint64_t generation = 0;
    std::uint32_t ranks = 0;
    std::string job_key;
    std::string name;
    std::vector<FileDigest> files; // one per rank, rank 0's first: ranks entries
};

// What read_commit_record() found under a name.
enum class RecordState {
    absent, // no such file (removed since the directory was listed)
    intact, // a whole record of this format, its checksum right
    invalid // a file that is not an intact record (why says how)
};

// "<name>.<job key>", escaped like the checkpoint files' stems (naming.hpp, FileNames).
inline std::string commit_record_stem(const std::string& name, const std::string& job_key) {
    return FileNames::of(name, job_key).stem;
}

// "<stem>.<generation, 10 digits>.commit", numbered like the checkpoint files.
inline std::string commit_record_name(const std::string& stem, std::uint64_t generation) {
    return FileNames{stem}.commit_record(generation);
}

// The names in `dir` of this stem's records (suffix ".commit", kCommitSuffix) or of their
// leftover temporaries (".commit.tmp", from a crash in write_durably), by generation,
// newest first.
// @throws Error when the directory cannot be listed.
inline std::vector<std::pair<std::uint64_t, std::string>>
list_commit_records(const Directory& dir, const std::string& stem, std::string_view suffix) {
    std::vector<std::pair<std::uint64_t, std::string>> found;
    dir.for_each_name([&](const std::string& file) {
        if (const std::uint64_t g = generation_in_name(file, stem, suffix)) found.emplace_back(g, file);
    });
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    return found;
}

// Removes this stem's records and their leftover temporaries, but those of the
// generations for which keep(generation) is true.
// @throws Error when the directory cannot be listed or a file cannot be removed.
template <class Keep>
void remove_commit_records(const Directory& dir, const std::string& stem, Keep&& keep) {
    for (const std::string& suffix : {temporary_name(kCommitSuffix), std::string(kCommitSuffix)})
        for (const auto& record : list_commit_records(dir, stem, suffix))
            if (!keep(record.first)) dir.remove(record.second);
}

inline std::string encode_commit_record(const CommitRecord& r) {
    std::string out(kCommitMagic, sizeof kCommitMagic);
    put_u32(out, kCommitVersion);
    put_u64(out, r.generation);
    put_u32(out, r.ranks);
    put_string(out, r.job_key);
    put_string(out, r.name);
    for (const FileDigest& f : r.files) {
        put_u64(out, f.header_checksum);
        put_u64(out, f.payload_checksum);
        put_u64(out, f.size);
    }
    put_u64(out, XXH3_64bits(out.data(), out.size()));
    return out;
}

// False with the reason in `why` for bytes that are not an intact record.
inline bool decode_commit_record(const std::string& bytes, CommitRecord& out, std::string& why) {
    const std::size_t fixed = sizeof kCommitMagic + 4 + 8 + 4;
    if (bytes.size() < fixed + 4 + 4 + 8) {
        why = "truncated: " + std::to_string(bytes.size()) + " bytes, too short for a commit record";
        return false;
    }
    if (std::memcmp(bytes.data(), kCommitMagic, sizeof kCommitMagic) != 0) {
        why = "not a reprise commit record (no magic number)";
        return false;
    }
    const std::size_t body = bytes.size() - 8;
    if (XXH3_64bits(bytes.data(), body) != get_le(bytes.data() + body, 8)) {
        why = "checksum mismatch: the commit record is damaged";
        return false;
    }
    const char* p = bytes.data() + sizeof kCommitMagic;
    const auto version = static_cast<std::uint32_t>(get_le(p, 4));
    if (version == 1) {
        why = "commit record version 1, written by an older reprise: it does not say which "
              "rank files it committed, and this reader (version 2) trusts no record that "
              "does not; restart with the reprise that wrote it, or start afresh";
        return false;
    }
    if (version != kCommitVersion) {
        why = "commit record version " + std::to_string(version) + ", this reader knows " +
              std::to_string(kCommitVersion);
        return false;
    }
    out.generation = get_le(p + 4, 8);
    out.ranks = static_cast<std::uint32_t>(get_le(p + 12, 4));
    std::size_t at = fixed;
    // Lengths are trusted only within the checksummed bytes.
    auto take_string = [&](std::string& s) {
        if (at + 4 > body) return false;
        const std::uint64_t n = get_le(bytes.data() + at, 4);
        at += 4;
        if (n > body - at) return false;
        s.assign(bytes.data() + at, static_cast<std::size_t>(n));
        at += static_cast<std::size_t>(n);
        return true;
    };
    if (!take_string(out.job_key) || !take_string(out.name)) {
        why = "corrupt commit record (string lengths)";
        return false;
    }
    if (out.ranks == 0 || out.ranks > kMaxCommitRanks || body - at != std::uint64_t(out.ranks) * 24) {
        why = "corrupt commit record (" + std::to_string(out.ranks) + " ranks, " +
              std::to_string(body - at) + " bytes of rank entries)";
        return false;
    }
    out.files.resize(out.ranks);
    for (FileDigest& f : out.files) {
        f.header_checksum = get_le(bytes.data() + at, 8);
        f.payload_checksum = get_le(bytes.data() + at + 8, 8);
        f.size = get_le(bytes.data() + at + 16, 8);
        at += 24;
    }
    return true;
}

// Opens `name` in `dir` for reading as a file that may be foreign: a FIFO or a device
// planted there is not waited on (see clear_nonblocking), a symbolic link not followed.
// Returns the descriptor (-1 with the reason in `why`, or with errno ENOENT and `why`
// empty when there is no such file) and its size.
inline FileHandle open_regular(const Directory& dir, const std::string& name,
                               std::uint64_t& size, std::string& why) {
    FileHandle file(
        sys::openat(dir.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (file.get() < 0) {
        if (errno != ENOENT) why = "cannot open: " + errno_text(errno);
        return file;
    }
    struct stat st {};
    if (sys::fstat(file.get(), &st) != 0) {
        why = "cannot stat: " + errno_text(errno);
        return FileHandle(-1);
    }
    if (!S_ISREG(st.st_mode)) {
        why = "not a regular file";
        return FileHandle(-1);
    }
    if (!clear_nonblocking(file.get())) {
        why = "cannot clear O_NONBLOCK: " + errno_text(errno);
        return FileHandle(-1);
    }
    size = static_cast<std::uint64_t>(st.st_size);
    return file;
}

// Reads the record `name` of `dir` (into `out` when intact; else the reason in `why`).
inline RecordState read_commit_record(const Directory& dir, const std::string& name,
                                      CommitRecord& out, std::string& why) {
    std::uint64_t size = 0;
    FileHandle file = open_regular(dir, name, size, why);
    if (file.get() < 0) return why.empty() ? RecordState::absent : RecordState::invalid;
    if (size > kMaxCommitRecordSize) {
        why = "too large for a commit record (" + std::to_string(size) + " bytes)";
        return RecordState::invalid;
    }
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (!bytes.empty()) {
        why = read_exact(file.get(), &bytes[0], bytes.size(), 0);
        if (!why.empty()) return RecordState::invalid;
    }
    return decode_commit_record(bytes, out, why) ? RecordState::intact : RecordState::invalid;
}

// The digest of the checkpoint file `name` in `dir` as it is on disk: its preamble and
// header are read and the header checksum verified; the payload checksum is taken from
// the trailer as it stands (of format 3 on, the chunk table's checksum, which covers every
// chunk: read_checkpoint and the restore verify the payload against it).
// A few kilobytes read, not the payload: cheap after a save (the page cache) and at a
// restart. False, with the reason in `why`, for a file that is missing or not a
// checkpoint whose header is intact.
inline bool read_file_digest(const Directory& dir, const std::string& name, FileDigest& out,
                             std::string& why) {
    std::uint64_t size = 0;
    FileHandle file = open_regular(dir, name, size, why);
    if (file.get() < 0) {
        if (why.empty()) why = "missing";
        return false;
    }
    char pre[kPreambleSize];
    if (size < kPreambleSize + 8 + kTrailerSize) {
        why = "truncated: " + std::to_string(size) + " bytes, too short for a checkpoint";
        return false;
    }
    why = read_exact(file.get(), pre, kPreambleSize, 0);
    if (!why.empty()) return false;
    const auto version = static_cast<std::uint32_t>(get_le(pre + 8, 4));
    const std::uint64_t header_size = get_le(pre + 12, 4);
    const std::uint64_t payload_offset = get_le(pre + 16, 8);
    const std::uint64_t payload_size = get_le(pre + 24, 8);
    if (std::memcmp(pre, kMagic, sizeof kMagic) != 0 || header_size > kMaxHeaderSize ||
        payload_offset != align_up(kPreambleSize + header_size + 8, kPayloadAlignment) ||
        expected_file_size(version, payload_offset, payload_size) != size) {
        why = "not an intact checkpoint (preamble)";
        return false;
    }
    std::string head(static_cast<std::size_t>(kPreambleSize + header_size + 8), '\0');
    std::memcpy(&head[0], pre, kPreambleSize);
    why = read_exact(file.get(), &head[kPreambleSize], header_size + 8, kPreambleSize);
    if (!why.empty()) return false;
    const std::uint64_t header_end = kPreambleSize + header_size;
    out.header_checksum = get_le(&head[header_end], 8);
    if (XXH3_64bits(head.data(), header_end) != out.header_checksum) {
        why = "header checksum mismatch";
        return false;
    }
    char trailer[kTrailerSize];
    why = read_exact(file.get(), trailer, kTrailerSize, size - kTrailerSize);
    if (!why.empty()) return false;
    out.payload_checksum = get_le(trailer, 8);
    out.size = size;
    return true;
}

// Writes the record durably and atomically (write_durably: temp file, fsync, rename,
// fsync of the directory). @throws Error naming the operation, the path and errno.
inline void write_commit_record(const Directory& dir, const std::string& name,
                                const CommitRecord& record) {
    const std::string bytes = encode_commit_record(record);
    write_durably(dir, name, [&](FileSink& sink) { sink.write_at(0, bytes.data(), bytes.size()); });
}

} // namespace reprise::detail

#endif
