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
//   "REPRCOMM" magic, u32 format version 1, u64 generation, u32 number of ranks,
//   string job key, string checkpoint name (u32 length + bytes), u64 XXH3-64 of all the
//   bytes before it. Little-endian, like the checkpoint files (format.hpp).

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format.hpp"
#include "reprise/detail/job.hpp"

#include "reprise/error.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace reprise::detail {

inline constexpr char kCommitMagic[8] = {'R', 'E', 'P', 'R', 'C', 'O', 'M', 'M'};
inline constexpr std::uint32_t kCommitVersion = 1;
// Far more than any real record (two names); a larger file is not ours.
inline constexpr std::uint64_t kMaxCommitRecordSize = 64u << 10;

struct CommitRecord {
    std::uint64_t generation = 0;
    std::uint32_t ranks = 0;
    std::string job_key;
    std::string name;
};

// "<name>.<job key>", escaped like the checkpoint files' stems.
inline std::string commit_record_stem(const std::string& name, const std::string& job_key) {
    return file_safe(name) + "." + file_safe(job_key);
}

// "<stem>.<generation, 10 digits>.commit", numbered like the checkpoint files.
inline std::string commit_record_name(const std::string& stem, std::uint64_t generation) {
    return numbered_name(stem, generation, ".commit");
}

// The names in `dir` of this stem's records (".commit") or of their leftover temporaries
// (".commit.tmp", from a crash in write_durably), by generation, newest first.
// @throws Error when the directory cannot be listed.
inline std::vector<std::pair<std::uint64_t, std::string>>
list_commit_records(const Directory& dir, const std::string& stem, const std::string& suffix) {
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
    for (const char* suffix : {".commit.tmp", ".commit"})
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
    if (!take_string(out.job_key) || !take_string(out.name) || at != body) {
        why = "corrupt commit record (string lengths)";
        return false;
    }
    return true;
}

// Reads the record `name` of `dir`: 0 when there is none, 1 when it is intact (in `out`),
// 2 when it exists but is not an intact record (why in `why`). A FIFO or a device planted
// there is not waited on (see clear_nonblocking), a symbolic link not followed.
inline int read_commit_record(const Directory& dir, const std::string& name, CommitRecord& out,
                              std::string& why) {
    FileHandle file(
        sys::openat(dir.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (file.get() < 0) {
        if (errno == ENOENT) return 0;
        why = "cannot open: " + errno_text(errno);
        return 2;
    }
    struct stat st {};
    if (sys::fstat(file.get(), &st) != 0) {
        why = "cannot stat: " + errno_text(errno);
        return 2;
    }
    if (!S_ISREG(st.st_mode)) {
        why = "not a regular file";
        return 2;
    }
    if (static_cast<std::uint64_t>(st.st_size) > kMaxCommitRecordSize) {
        why = "too large for a commit record (" + std::to_string(st.st_size) + " bytes)";
        return 2;
    }
    if (!clear_nonblocking(file.get())) {
        why = "cannot clear O_NONBLOCK: " + errno_text(errno);
        return 2;
    }
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    if (!bytes.empty()) {
        why = read_exact(file.get(), &bytes[0], bytes.size(), 0);
        if (!why.empty()) return 2;
    }
    return decode_commit_record(bytes, out, why) ? 1 : 2;
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
