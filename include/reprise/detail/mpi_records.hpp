// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_MPI_RECORDS_HPP
#define REPRISE_DETAIL_MPI_RECORDS_HPP

// A job's MPI commit records (commit_record.hpp) as every rank of the job sees them
// (reprise/mpi.hpp): rank 0 reads them and shares what they say, each rank learns the
// digest each record holds of its own file, and the ranks agree on whether a record binds
// every rank's file of its generation.

#include "reprise/detail/commit_record.hpp"
#include "reprise/detail/mpi_group.hpp"
#include "reprise/detail/naming.hpp"
#include "reprise/detail/store.hpp"
#include "reprise/error.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace reprise::detail {

class CommitRecords {
public:
    // An intact commit record of this job, as every rank knows it: what it says, and the
    // digest it holds of this rank's file (none for a rank beyond the record's count).
    struct Candidate {
        std::uint64_t generation = 0;
        std::uint32_t ranks = 0;
        FileDigest mine;
    };

    // What rank 0 found of this job's commit records, the same on every rank.
    struct Shared {
        bool present = false;        // any record file of this job, intact or not
        std::uint64_t newest = 0;    // the newest generation with a record file
        std::vector<Candidate> intact; // newest first
        std::string rejected;        // the others: "\n  <path>: <why>" each
    };

    // The records of checkpoint `name` (without the rank suffix) of job `job_key`, beside
    // this rank's generations in `store`.
    CommitRecords(const RankGroup& group, const GenerationStore& store, const std::string& name,
                  const std::string& job_key)
        : group_(group), store_(store), names_(FileNames::of(name, job_key)), name_(name),
          job_key_(job_key) {}

    // The records' names: "<name>.<job key>.<g>.commit".
    const FileNames& names() const noexcept { return names_; }

    // The directory the records are in: the fast tier's, or the persistent tier's.
    const Directory& directory() const noexcept { return store_.directory(); }

    // The path of generation `g`'s commit record.
    std::string path(std::uint64_t g) const {
        return store_.directory().path_of(names_.commit_record(g));
    }

    // Rank 0 reads the commit records; every rank learns what they say, and each rank
    // the digest that every intact record holds of its own file. A record is intact when
    // its checksum holds, it names this job, this checkpoint and the generation its file
    // name says, within the bound of generation numbers; whether it binds this job's rank
    // files is for every rank to say (all_bound).
    // @throws Error on every rank when rank 0 cannot list the directory.
    Shared share() const {
        Shared r;
        std::vector<CommitRecord> found; // rank 0: the intact ones, in full
        bool ok = true;
        std::string error;
        if (group_.rank() == 0) {
            try {
                const auto& dir = store_.directory();
                // Only names that round-trip (FileNames): a stray number above
                // kMaxGeneration is no record of ours and numbers nothing.
                const auto records = list_commit_records(dir, names_.stem, kCommitSuffix);
                for (const auto& file : records) {
                    CommitRecord c;
                    std::string why;
                    const RecordState state =
                        read_commit_record(dir, file.second, c, why);
                    if (state == RecordState::absent) continue; // removed since
                    r.present = true;
                    r.newest = std::max(r.newest, file.first);
                    const bool intact = state == RecordState::intact;
                    if (intact && (c.job_key != job_key_ || c.name != name_)) {
                        why = "belongs to job " + c.job_key + " of checkpoint '" + c.name + "'";
                    } else if (intact && c.generation != file.first) {
                        why = "names generation " + std::to_string(c.generation);
                    } else if (intact) {
                        found.push_back(std::move(c));
                        continue;
                    }
                    r.rejected += "\n  " + dir.path_of(file.second) + ": " + why;
                }
            } catch (const std::exception& e) {
                ok = false;
                error = e.what();
                group_.note(e);
            }
        }
        const std::string failure = group_.agree_on_failure(ok, error);
        if (!failure.empty()) throw Error(failure, group_.failure_kind());
        unsigned long long head[3] = {r.present ? 1ull : 0ull, r.newest, found.size()};
        MPI_Bcast(head, 3, MPI_UNSIGNED_LONG_LONG, 0, group_.comm());
        const auto count = static_cast<std::size_t>(head[2]);
        std::vector<unsigned long long> pairs(2 * count);
        for (std::size_t k = 0; k < found.size(); ++k) {
            pairs[2 * k] = found[k].generation;
            pairs[2 * k + 1] = found[k].ranks;
        }
        if (count)
            MPI_Bcast(pairs.data(), static_cast<int>(pairs.size()), MPI_UNSIGNED_LONG_LONG, 0,
                      group_.comm());
        // Each rank its own entry of every record: rank r's block holds, per record, the
        // digest of rank r's file (zeros beyond the record's count of ranks).
        std::vector<unsigned long long> entries(3 * count);
        if (count) {
            std::vector<unsigned long long> all;
            if (group_.rank() == 0) {
                all.assign(3 * count * static_cast<std::size_t>(group_.size()), 0ull);
                for (std::size_t k = 0; k < count; ++k)
                    for (std::size_t q = 0; q < found[k].files.size() &&
                                            q < static_cast<std::size_t>(group_.size()); ++q) {
                        unsigned long long* at = &all[3 * (q * count + k)];
                        at[0] = found[k].files[q].header_checksum;
                        at[1] = found[k].files[q].payload_checksum;
                        at[2] = found[k].files[q].size;
                    }
            }
            MPI_Scatter(all.data(), static_cast<int>(3 * count), MPI_UNSIGNED_LONG_LONG,
                        entries.data(), static_cast<int>(3 * count), MPI_UNSIGNED_LONG_LONG, 0,
                        group_.comm());
        }
        r.present = head[0] != 0;
        r.newest = head[1];
        r.intact.resize(count);
        for (std::size_t k = 0; k < count; ++k) {
            Candidate& c = r.intact[k];
            c.generation = pairs[2 * k];
            c.ranks = static_cast<std::uint32_t>(pairs[2 * k + 1]);
            c.mine = {entries[3 * k], entries[3 * k + 1], entries[3 * k + 2]};
        }
        group_.broadcast(r.rejected, 0);
        return r;
    }

    // Local: whether this rank's file of `c`'s generation is the one the record committed
    // for this rank (a rank beyond the record's count has nothing to show). False, with
    // the file and the reason in `why`, when it is missing, damaged or another file.
    bool mine_bound(const Candidate& c, std::string& why) const {
        if (static_cast<std::uint32_t>(group_.rank()) >= c.ranks) return true;
        const Directory& dir = store_.directory();
        const std::string name = store_.file_name(c.generation);
        FileDigest digest;
        if (!read_file_digest(dir, name, digest, why)) {
            why = dir.path_of(name) + ": " + why;
            return false;
        }
        if (digest != c.mine) {
            why = dir.path_of(name) + ": not the file that " + path(c.generation) +
                  " committed for rank " + std::to_string(group_.rank()) + " (the file: " +
                  digest.describe() + "; the record: " + c.mine.describe() + ")";
            return false;
        }
        return true;
    }

    // Collective: whether the record binds every rank's file (mine_bound on all).
    bool all_bound(const Candidate& c, std::string& why) const {
        int bound = mine_bound(c, why) ? 1 : 0;
        MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_INT, MPI_MIN, group_.comm());
        return bound != 0;
    }

private:
    const RankGroup& group_;
    const GenerationStore& store_;
    FileNames names_;
    std::string name_;
    std::string job_key_;
};

} // namespace reprise::detail

#endif
