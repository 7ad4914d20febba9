// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_NAMING_HPP
#define REPRISE_DETAIL_NAMING_HPP

// Every rule by which reprise names a file, in one place (RocksDB's file/filename.cc):
// the writer, the reader, the MPI layer and the job manager (through reprise/inspect.hpp)
// all ask here, so that a name cannot be built one way and parsed another.
//
//   <stem>                         "<name>.<job key>", each part escaped (file_safe)
//   <stem>.<g, 10 digits>.ckpt     generation g of a checkpoint
//   <stem>.<g, 10 digits>.ckpt.tmp its temporary file while it is written (write_durably)
//   <stem>.lock                    the job's lock (lock.hpp)
//   <stem>.<g, 10 digits>.commit   the MPI commit record of generation g (commit_record.hpp)
//   <name>.rank<r>                 the name of MPI rank r's own checkpoint (mpi.hpp)
//
// A job key is "<scheduler>-<id>" ("slurm-42", "sge-17"), with the array task after "_"
// under Slurm and "." elsewhere ("slurm-42_3", "sge-17.2"), the REPRISE_JOB name (with the
// same task suffix), or "local" for a run by hand.

#include "reprise/detail/parse.hpp"
#include "reprise/error.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace reprise::detail {

// ---- suffixes and schedulers --------------------------------------------------------------

inline constexpr std::string_view kCheckpointSuffix = ".ckpt";
inline constexpr std::string_view kTemporarySuffix = ".tmp";
inline constexpr std::string_view kLockSuffix = ".lock";
inline constexpr std::string_view kCommitSuffix = ".commit";
inline constexpr std::string_view kRankSuffix = ".rank";

// The schedulers' names in job keys and checkpoint headers (JobIdentity::scheduler).
inline constexpr std::string_view kSlurm = "slurm";
inline constexpr std::string_view kGridEngine = "sge";
inline constexpr std::string_view kPbs = "pbs";
inline constexpr std::string_view kLsf = "lsf";
// The job key of a run by hand that REPRISE_JOB does not name.
inline constexpr std::string_view kLocalJob = "local";

// ---- escaping -----------------------------------------------------------------------------

// Escapes every byte outside [A-Za-z0-9._-] as %XX, so that no name or job id, however
// hostile ("../../x", "a/b", a newline), can leave the checkpoint directory or hide a file.
inline std::string file_safe(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char byte : s) {
        const auto c = static_cast<unsigned char>(byte);
        const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    // "." and ".." are plain characters but name directories: escape the first dot.
    if (out == "." || out == "..") out.replace(0, 1, "%2E");
    return out;
}

// ---- job keys -----------------------------------------------------------------------------

// The key of a job in file names and headers: "slurm-123_4", "sge-77.3", "pbs-9.server",
// "lsf-5.2", the REPRISE_JOB name (`named`), or "local" by hand (no scheduler, not named).
// Not yet escaped: see file_safe(). Under an array, a named job keeps the task index: each
// task its own chain.
inline std::string job_key(std::string_view scheduler, std::string_view id,
                           std::string_view task = {}, bool named = false) {
    if (scheduler.empty() && !named) return std::string(kLocalJob);
    std::string k = named ? std::string(id) : std::string(scheduler) + "-" + std::string(id);
    if (!task.empty()) k += (scheduler == kSlurm ? "_" : ".") + std::string(task);
    return k;
}

// ".rank<r>": appended to the checkpoint name of MPI rank r (each rank its own files
// and lock).
inline std::string rank_suffix(int rank) {
    return std::string(kRankSuffix) + std::to_string(rank);
}

// ---- numbered names -----------------------------------------------------------------------

// Generations are numbered 1 to kMaxGeneration and written with exactly 10 digits, so
// that names sort as generations do. The writer and the reader share this one rule: a
// name is a generation of ours only when numbered_name() gives it back character for
// character, so a stray "<stem>.000000000000000001.ckpt" is nobody's generation and can
// never push the numbering past what the directory scan sees.
inline constexpr std::uint64_t kMaxGeneration = 9999999999ull;
inline constexpr std::size_t kGenerationDigits = 10;

// The temporary file beside `name` while write_durably() fills it.
inline std::string temporary_name(std::string_view name) {
    return std::string(name) + std::string(kTemporarySuffix);
}

// "<stem>.<generation, 10 digits><suffix>": how checkpoint files (".ckpt") and MPI commit
// records (".commit") are numbered.
// @throws Error for a generation outside [1, kMaxGeneration].
inline std::string numbered_name(const std::string& stem, std::uint64_t generation,
                                 std::string_view suffix) {
    if (generation == 0 || generation > kMaxGeneration)
        throw Error("reprise: generation " + std::to_string(generation) + " of " + stem +
                    " is out of range (1 to " + std::to_string(kMaxGeneration) + ")");
    char digits[32];
    std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(generation));
    return stem + "." + digits + std::string(suffix);
}

// The generation in "<stem>.<10 digits><suffix>" (numbered_name), or 0 for any other name.
inline std::uint64_t generation_in_name(std::string_view name, std::string_view stem,
                                        std::string_view suffix) {
    if (name.size() != stem.size() + 1 + kGenerationDigits + suffix.size() ||
        name.substr(0, stem.size()) != stem || name[stem.size()] != '.' ||
        name.substr(name.size() - suffix.size()) != suffix)
        return 0;
    const std::optional<std::uint64_t> g = decimal(name.substr(stem.size() + 1, kGenerationDigits));
    return g && *g >= 1 && *g <= kMaxGeneration ? *g : 0;
}

// ---- the names of one job's files ---------------------------------------------------------

// The files of checkpoint `name` of job `job_key` in a checkpoint directory. A value:
// copy it, compare it, build it anywhere (the job manager builds it from its records).
struct FileNames {
    std::string stem; // "<name>.<job key>", escaped

    // @param name the checkpoint's name (Options::name, with a rank suffix under MPI)
    // @param job_key JobIdentity::key() (not yet escaped)
    static FileNames of(std::string_view name, std::string_view job_key) {
        return FileNames{file_safe(name) + "." + file_safe(job_key)};
    }

    // "<stem>.<10 digits>.ckpt". @throws Error for g outside [1, kMaxGeneration].
    std::string generation(std::uint64_t g) const { return numbered_name(stem, g, kCheckpointSuffix); }
    // "<stem>.<10 digits>.ckpt.tmp": generation g while it is written.
    std::string temporary(std::uint64_t g) const { return temporary_name(generation(g)); }
    // "<stem>.lock".
    std::string lock() const { return stem + std::string(kLockSuffix); }
    // "<stem>.<10 digits>.commit": the MPI commit record of generation g.
    std::string commit_record(std::uint64_t g) const { return numbered_name(stem, g, kCommitSuffix); }
    // "<stem>.<generation>.commit", for messages that describe every record.
    std::string commit_record_pattern() const {
        return stem + ".<generation>" + std::string(kCommitSuffix);
    }
    // The longest name of this job that the library creates: what must fit the file
    // system's NAME_MAX.
    std::string longest() const { return temporary(kMaxGeneration); }

    // The generation that `file` is named for, or 0 when it is not named exactly so.
    std::uint64_t generation_of(std::string_view file) const {
        return generation_in_name(file, stem, kCheckpointSuffix);
    }
    // The generation whose temporary file `file` is, or 0.
    std::uint64_t temporary_of(std::string_view file) const {
        return generation_in_name(file, stem, temporary_name(kCheckpointSuffix));
    }
    // The generation whose commit record `file` is, or 0.
    std::uint64_t commit_record_of(std::string_view file) const {
        return generation_in_name(file, stem, kCommitSuffix);
    }
    // The generation whose commit record's temporary file `file` is, or 0.
    std::uint64_t commit_record_temporary_of(std::string_view file) const {
        return generation_in_name(file, stem, temporary_name(kCommitSuffix));
    }

    bool operator==(const FileNames& o) const { return stem == o.stem; }
    bool operator!=(const FileNames& o) const { return stem != o.stem; }
};

} // namespace reprise::detail

#endif
