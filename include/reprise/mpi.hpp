// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_MPI_HPP
#define REPRISE_MPI_HPP

/// Coordinated checkpoints of an MPI program: every rank saves its own variables, and a
/// checkpoint counts only once every rank has saved the same generation (docs/mpi.md).
/// An opt-in header: only a program that includes it needs MPI (CMake: `reprise::mpi`).

#include "reprise/reprise.hpp"
#include "reprise/detail/agreement.hpp"
#include "reprise/detail/commit_record.hpp"
#include "reprise/detail/mpi_group.hpp"
#include "reprise/detail/mpi_records.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/restore_policy.hpp"
#include "reprise/detail/store.hpp"
#include "reprise/detail/tiers.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace reprise {


namespace mpi {

/// A reprise::Checkpointer for every rank of an MPI communicator, whose saves are
/// coordinated: a save (by `save()`, a signal that reached any rank, or the interval)
/// happens on all ranks at the same poll, with the same generation number, and becomes
/// the generation a restart loads only once every rank has it on disk (two-phase commit:
/// each rank saves, then rank 0 writes a small checksummed commit record of that
/// generation, `<name>.<job key>.<generation>.commit`, which holds the digest of every
/// rank's file so that no other file can pass for one of them, and removes the record of any
/// generation older than the one every rank keeps beside it: at most two records, one per
/// complete generation). Each rank tracks its own variables, in files of its own
/// (`<name>.rank<r>.<job key>.<generation>.ckpt`, and its own lock).
///
/// Collective members (the constructor, `restore()`, `maybe_save()`, `save()`, `finish()`)
/// must be called by every rank of the communicator, in the same order, like any MPI
/// collective; they never throw on some ranks while others wait: a failure anywhere is
/// agreed upon and then thrown (or reported) on every rank. `track()`, `generation()`,
/// `stop_requested()` and `options()` are local and communicate nothing.
///
/// Signals: a signal may reach one rank, every rank or only `mpirun`. Handlers only set
/// flags; every K-th `maybe_save()` the ranks agree, by one small non-blocking reduction, on
/// whether any rank was asked to save or stop (see `maybe_save()` for K). After the save a
/// stop signal asked for, every rank applies `Options::on_stop` (`StopAction::requeue`:
/// rank 0 alone requeues the job, and every rank ends once it has).
///
/// Two tiers (`REPRISE_PERSIST_DIR`, the same directory on every rank): each rank copies
/// its committed generations to the persistent tier in a thread of its own, which never
/// calls MPI, and a generation counts as persistent only when every rank's copy is: the
/// ranks compare their newest copies at the next save and at a stop (after waiting for
/// them), and rank 0 then writes that generation's commit record in the persistent
/// directory. A stop signal's save is persistent on every rank before the job stops.
///
/// Saves are synchronous under MPI: `Options::mode = background` (or `REPRISE_MODE`) is
/// accepted and carried out synchronously, said once on rank 0's stderr (a coordinated
/// background save is future work).
///
/// Thread safety: one Checkpointer per process, used from the thread that calls the
/// collectives; MPI must be initialized (`MPI_Init` or `MPI_Init_thread`, any level) before
/// it is constructed, and it should be destroyed before `MPI_Finalize`.
class Checkpointer {
public:
    /// Collective over `comm` (duplicated, so reprise's messages never meet the program's).
    /// Each rank creates its own reprise::Checkpointer from `options`, then the
    /// environment, with `.rank<r>` appended to the name (after `REPRISE_NAME`).
    /// `REPRISE_MPI_AGREE_EVERY=N` fixes K, the polls between agreements (default:
    /// adaptive); rank 0's value holds for every rank.
    /// The ranks then agree on the checkpoint's name, directory and job (docs/mpi.md):
    /// a rank that differs from rank 0 (an MPMD launch, a per-rank environment) is an
    /// error on every rank, naming that rank and both values.
    /// @throws Error on every rank when MPI is not initialized, when any rank's
    ///         reprise::Checkpointer cannot be created (naming that rank's reason), when a
    ///         rank's checkpoint name, directory or job differs from rank 0's, or when
    ///         `REPRISE_MPI_AGREE_EVERY` is not a number in [1, 1048576].
    explicit Checkpointer(MPI_Comm comm, Options options = {}) {
        int initialized = 0, finalized = 0;
        MPI_Initialized(&initialized);
        MPI_Finalized(&finalized);
        if (!initialized || finalized)
            throw Error("reprise: mpi::Checkpointer needs MPI initialized (MPI_Init) and not "
                        "yet finalized");
        group_.open(comm);
        try {
            // The same on every rank: no rank throws alone.
            if (static_cast<std::uint64_t>(group_.size()) > detail::kMaxCommitRanks)
                throw Error("reprise: mpi::Checkpointer: " + std::to_string(group_.size()) +
                            " ranks; a commit record holds at most " +
                            std::to_string(detail::kMaxCommitRanks), ErrorKind::configuration);
            suffix_ = detail::rank_suffix(group_.rank());
            // Where this rank's name and directory come from, for the agreement's message.
            const Sources sources = sources_of(options);
            std::string error;
            try {
                // A background writer cannot take part in a two-phase commit with the
                // other ranks' while the compute threads run on: future work.
                const std::string note = group_.rank() == 0
                                             ? "reprise: background saves are not available "
                                               "under MPI; saving synchronously"
                                             : "";
                inner_ = std::make_unique<reprise::Checkpointer>(
                    std::move(options), detail::Coordinated{suffix_, note, group_.rank(), group_.rank() == 0});
            } catch (const std::exception& e) {
                error = e.what();
                group_.note(e);
            }
            const std::string failure = group_.agree_on_failure(inner_ != nullptr, error);
            if (!failure.empty()) throw Error(failure, group_.failure_kind());

            const Options& o = inner_->options();
            name_ = o.name.substr(0, o.name.size() - suffix_.size());
            records_.emplace(group_, inner_->store(), name_, inner_->job_key());
            agree_on_identity(sources);
            configure_agreement();
            // The last commit decides which generation each rank keeps while it writes its
            // first one (a rank's newest file may be an uncommitted save of a killed run):
            // the newest record of this many ranks that binds every rank's file. A record
            // that does not (a stray one, or one whose files were damaged) is no fallback.
            // Generation numbers grow past every record that binds this run's rank files,
            // of any number of ranks (a fresh run over a checkpoint of 4 ranks keeps it
            // until its own first commit), and past nothing else. The persistent tier's
            // records, if any, say the same of its copies: the newest that binds every
            // rank's copy is the generation its copies keep (persisted_).
            std::uint64_t newest_bound = 0;
            committed_ = newest_committed(*records_, newest_bound);
            if (committed_) inner_->store().set_fallback(committed_);
            if (detail::PersistentTier* tier = inner_->persistent_tier()) {
                persist_records_.emplace(group_, tier->store(), name_, inner_->job_key());
                persisted_ = newest_committed(*persist_records_, newest_bound);
                tier->pin(persisted_);
            }
            next_ = std::max({committed_, persisted_, newest_bound}) + 1;
        } catch (...) {
            persist_records_.reset();
            records_.reset();
            inner_.reset();
            group_.close();
            throw;
        }
        last_agreement_ = std::chrono::steady_clock::now();
    }

    /// Releases this rank's lock and signal handlers (files stay on disk), and completes
    /// the agreement round in flight, which every rank started at the same poll: destroy
    /// it on every rank at the same point, before `MPI_Finalize`. Never throws.
    ~Checkpointer() {
        persist_records_.reset();
        records_.reset();
        inner_.reset();
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (finalized) return;
        // The agreement round in flight: every rank started it at the same poll, so
        // every rank that destroys its Checkpointer at the same point completes it.
        if (round_ != MPI_REQUEST_NULL) MPI_Wait(&round_, MPI_STATUS_IGNORE);
        group_.close();
    }

    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    /// Local: registers this rank's `var` under `name`, as reprise::Checkpointer::track().
    /// Ranks may track different variables; a restart must track the same ones per rank.
    template <class T>
    Checkpointer& track(std::string name, T& var) {
        inner_->track(std::move(name), var);
        return *this;
    }

    /// Local: as reprise::Checkpointer::track(name, var, flags) (reprise::any_type,
    /// reprise::new_variable), for this rank's variable.
    template <class T>
    Checkpointer& track(std::string name, T& var, TrackFlags flags) {
        inner_->track(std::move(name), var, flags);
        return *this;
    }

    /// Local: records a run parameter in this rank's checkpoints, as
    /// reprise::Checkpointer::parameter(); a restore refuses, on every rank, a checkpoint
    /// whose parameters differ on any rank.
    template <class T>
    Checkpointer& parameter(std::string name, const T& value) {
        inner_->parameter(std::move(name), value);
        return *this;
    }

    /// Collective: loads the last committed generation on every rank, when the restore
    /// policy says so (as reprise::Checkpointer::restore(), decided on rank 0). When a
    /// rank's file of that generation is damaged, missing or not the file its commit
    /// record committed (another run's or checkpoint's, copied over it), or the record is
    /// damaged, every rank falls back to the older committed generation (the one whose
    /// intact record binds a valid file on every rank), said on stderr. Rank files without
    /// any commit record (the first save of a killed run) mean a fresh start, said on
    /// stderr. With a persistent tier, a generation counts when every rank has a file of it
    /// that a record of either tier binds, in either tier: each rank loads its fast-tier
    /// file, or its persistent copy when that one is lost or damaged.
    /// @returns true on every rank when state was loaded, false on every rank otherwise.
    /// @throws Error on every rank when the checkpoint was written by a different number
    ///         of ranks ("checkpoint written by 4 ranks, this run has 2; restart it with
    ///         mpirun -np 4", said only when that record binds this run's rank files),
    ///         when commit records exist but none is intact, when no committed generation
    ///         is valid on all ranks (each rank lists the records rejected and its own
    ///         reasons), when a rank's variables differ from its checkpoint's, or when
    ///         called twice.
    bool restore() {
        if (restore_called_) throw Error("reprise: restore() was already called");
        restore_called_ = true;
        inner_->begin_restore();
        const detail::CommitRecords::Shared records = records_->share();
        const detail::CommitRecords::Shared copies =
            persist_records_ ? persist_records_->share() : detail::CommitRecords::Shared{};
        int wanted = group_.rank() == 0 ? inner_->restore_wanted(records.present || copies.present)
                                : 0;
        MPI_Bcast(&wanted, 1, MPI_INT, 0, group_.comm());
        bool loaded = false;
        if (wanted) loaded = restore_agreed(records, copies);
        last_agreement_ = std::chrono::steady_clock::now();
        return loaded;
    }

    /// Collective: the poll, to be called by every rank at the same points of the loop.
    /// Every K-th call the ranks agree (one non-blocking `MPI_Iallreduce` of four numbers,
    /// started at one such call and completed at the next) on whether any rank was asked
    /// to save (USR1, interval) or to stop (TERM, INT, USR2); then all save, as `save()`
    /// does, and after a stop all apply `Options::on_stop`. A failed save is reported on
    /// rank 0's stderr and the computation goes on with the last committed generation.
    /// The other K-1 calls cost an increment and a comparison.
    ///
    /// K is the same on every rank at every call (a collective at different polls would
    /// deadlock against the program's own communication): fixed by
    /// `REPRISE_MPI_AGREE_EVERY=N`, or, by default, adapted at each agreement from the
    /// slowest rank's time since the previous one, aiming at one agreement per ~50 ms of
    /// computation (from K = 1, growing at most 8-fold per agreement, within [1, 2^20]).
    /// The trade-off: a signal is acted upon after up to 2K polls (~0.1 s by default);
    /// each agreement costs a few microseconds on one node, more across a network, and
    /// a wait only when a rank is more than K polls behind another.
    /// @returns true on every rank when this call saved a committed generation.
    bool maybe_save() {
        if (REPRISE_UNLIKELY(++polls_ >= every_)) return agree();
        return false;
    }

    /// Collective: saves now on every rank and commits the generation.
    /// @throws Error on every rank when any rank's save or the commit record failed (the
    ///         message of the first failing rank); every rank then keeps the last
    ///         committed generation, and the uncommitted one is removed.
    void save() {
        const std::string failure = commit_collectively("save()");
        if (!failure.empty()) throw Error(failure, group_.failure_kind());
    }

    /// Local: true on every rank once an agreement saw a stop signal on any rank (so that
    /// a program leaving its loop by it leaves at the same step everywhere).
    bool stop_requested() const noexcept { return stop_agreed_; }

    /// Collective: the computation is complete: rank 0 removes the commit records, then
    /// every rank its own files (a crash in between leaves rank files without a record,
    /// which a restart ignores).
    /// @throws Error on every rank when a file could not be removed on any rank.
    void finish() {
        if (finished_) return;
        finished_ = true;
        std::string error;
        bool ok = true;
        if (group_.rank() == 0) {
            try {
                // The persistent tier's records too: every rank's copies go in finish().
                for (const auto* records : {&*records_, persist_records_ ? &*persist_records_ : nullptr}) {
                    if (!records) continue;
                    detail::remove_commit_records(records->directory(), records->names().stem,
                                                  [](std::uint64_t) { return false; });
                    records->directory().sync();
                }
            } catch (const std::exception& e) {
                ok = false;
                error = e.what();
                group_.note(e);
            }
        }
        std::string failure = group_.agree_on_failure(ok, error);
        if (failure.empty()) {
            try {
                inner_->finish();
            } catch (const std::exception& e) {
                ok = false;
                error = e.what();
                group_.note(e);
            }
            failure = group_.agree_on_failure(ok, error);
        }
        if (!failure.empty()) throw Error(failure, group_.failure_kind());
        // Rank 0's line for all ranks, when this run's files were removed (a run that
        // neither restored nor saved leaves an earlier run's, and says so on every rank).
        if (group_.rank() == 0 && inner_->store().owns())
            detail::log_event(LogKind::finished,
                              "reprise: finished; removed the checkpoints of " + describe_job() +
                                  " (" + std::to_string(group_.size()) + " ranks) from " +
                                  inner_->store().directory().path(),
                              true);
    }

    /// Local: the options in force on this rank (its name ends in `.rank<r>`).
    const Options& options() const noexcept { return inner_->options(); }

    /// Local: the generation last committed or restored; 0 when none. The same on all ranks.
    std::uint64_t generation() const noexcept { return inner_->generation(); }

    /// Local: this rank in the communicator, and the number of ranks.
    int rank() const noexcept { return group_.rank(); }
    int size() const noexcept { return group_.size(); }

    /// Local: the polls between two agreements, as of now (see `maybe_save()`).
    std::uint64_t agree_every() const noexcept { return every_; }

    /// Local: the path of the commit record of `generation()` (the last generation
    /// committed or restored; with none, the path generation 0's would have).
    std::string commit_record_path() const { return records_->path(inner_->generation()); }

private:
    // Where this rank's checkpoint name and directory come from, for the messages of
    // agree_on_identity(): the environment variable, the Options field, or the default.
    struct Sources {
        std::string name;
        std::string directory;
    };

    static Sources sources_of(const Options& options) {
        Sources s;
        const char* name = std::getenv("REPRISE_NAME");
        const char* dir = std::getenv("REPRISE_DIR");
        s.name = name && *name ? "REPRISE_NAME"
                 : !options.name.empty() ? "checkpoint name (Options::name)"
                                         : "checkpoint name (the program's file name)";
        s.directory = dir && *dir ? "REPRISE_DIR" : "checkpoint directory (Options::directory)";
        return s;
    }

    // The ranks of one job must name one checkpoint, in one directory, of one job: the
    // commit record that rank 0 writes speaks for every rank's file, and rank 0 reads
    // the records for all at restore. An MPMD launch or a per-rank environment
    // (`mpirun -np 1 -x REPRISE_NAME=a prog : -np 1 -x REPRISE_NAME=b prog`) made each
    // rank its own checkpoint, and a restart loaded rank 0 from 'a' and rank 1 from 'b'
    // (issue 14). Each rank compares its values with rank 0's, and the first that
    // differs is thrown on every rank, naming both values.
    //
    // The directory is compared as the directory opened, not as the path given: on one
    // host, by device and inode (a symbolic link or a relative path to the same directory
    // is the same); across hosts, where device numbers of one shared file system differ,
    // by the path with symbolic links resolved (realpath). Ranks on different nodes that
    // name the same path of node-local disks are not told apart (nothing a process can see
    // tells them from one shared directory).
    void agree_on_identity(const Sources& sources) {
        const detail::Directory& dir = inner_->store().directory();
        // A directory as (device, inode) and as the path with symbolic links resolved.
        struct Place {
            unsigned long long inode[2] = {0, 0};
            std::string resolved;
        };
        auto place_of = [](const detail::Directory& d) {
            Place p;
            struct stat st {};
            if (detail::sys::fstat(d.fd(), &st) == 0) {
                p.inode[0] = static_cast<unsigned long long>(st.st_dev);
                p.inode[1] = static_cast<unsigned long long>(st.st_ino);
            }
            p.resolved = d.path();
            if (char* real = ::realpath(d.path().c_str(), nullptr)) {
                p.resolved = real;
                std::free(real);
            }
            return p;
        };
        const Place here = place_of(dir);
        const unsigned long long (&inode)[2] = here.inode;
        const std::string& resolved = here.resolved;
        // The persistent tier, if any: rank 0 writes its commit records for every rank's
        // copies, so every rank has one, in the same directory.
        detail::PersistentTier* tier = inner_->persistent_tier();
        Place copies = tier ? place_of(tier->directory()) : Place{};
        std::string copies_path = tier ? tier->directory().path() : std::string("(none)");
        std::string copies0 = copies_path, copies_resolved0 = copies.resolved;
        unsigned long long copies_inode0[3] = {tier ? 1ull : 0ull, copies.inode[0], copies.inode[1]};
        const std::string host = detail::host_name();
        const std::string job = inner_->job_key();

        std::string name0 = name_, name_source0 = sources.name, dir0 = dir.path(),
                    dir_source0 = sources.directory, resolved0 = resolved, host0 = host,
                    job0 = job;
        for (std::string* s : {&name0, &name_source0, &dir0, &dir_source0, &resolved0, &host0,
                               &job0, &copies0, &copies_resolved0})
            group_.broadcast(*s, 0);
        unsigned long long inode0[2] = {inode[0], inode[1]};
        MPI_Bcast(inode0, 2, MPI_UNSIGNED_LONG_LONG, 0, group_.comm());
        MPI_Bcast(copies_inode0, 3, MPI_UNSIGNED_LONG_LONG, 0, group_.comm());

        auto quoted = [](const std::string& given, const std::string& real) {
            return "'" + given + "'" + (real != given ? " (" + real + ")" : std::string());
        };
        auto differs = [&](const std::string& what, const std::string& source,
                           const std::string& mine, const std::string& source0,
                           const std::string& theirs) {
            return "reprise: rank " + std::to_string(group_.rank()) + " has " + source + " " + mine +
                   ", rank 0 " + (source0 == source ? std::string() : source0 + " ") + theirs +
                   ": every rank of a job must use the same " + what;
        };
        std::string mismatch;
        const bool same_directory = host == host0
                                        ? inode[0] == inode0[0] && inode[1] == inode0[1]
                                        : resolved == resolved0;
        if (name_ != name0) {
            mismatch = differs("checkpoint name", sources.name, "'" + name_ + "'", name_source0,
                               "'" + name0 + "'");
        } else if (!same_directory) {
            mismatch = differs("checkpoint directory", sources.directory,
                               quoted(dir.path(), resolved), dir_source0, quoted(dir0, resolved0));
        } else if ((tier != nullptr) != (copies_inode0[0] != 0) ||
                   (tier && !(host == host0 ? copies.inode[0] == copies_inode0[1] &&
                                                  copies.inode[1] == copies_inode0[2]
                                            : copies.resolved == copies_resolved0))) {
            const std::string source = "persistent directory (REPRISE_PERSIST_DIR, "
                                       "Options::persist_directory)";
            mismatch = differs("persistent directory", source, quoted(copies_path, copies.resolved),
                               source, quoted(copies0, copies_resolved0));
        } else if (job != job0) {
            mismatch = "reprise: rank " + std::to_string(group_.rank()) + " has job '" + job +
                       "', rank 0 '" + job0 + "': every rank of a job must see the same job "
                       "id and array task (SLURM_JOB_ID, JOB_ID, PBS_JOBID, LSB_JOBID, their "
                       "array variables, or REPRISE_JOB)";
        }
        group_.note(ErrorKind::mismatch);
        const std::string failure = group_.agree_on_failure(mismatch.empty(), mismatch);
        if (failure.empty()) return;
        // Nothing of this job is a rank's own unless it has files here: no lock file left
        // (in the persistent directory neither).
        if (inner_->store().generations().empty())
            inner_->store().remove_lock_file();
        if (tier && tier->store().generations().empty()) tier->store().remove_lock_file();
        throw Error(failure, group_.failure_kind());
    }

    // Rank 0: the commit record of generation `g` into `records`' directory, holding the
    // digest of every rank's file (`all`: `stride` numbers per rank, the digest first).
    // Records of generations older than `keep`, the one every rank keeps beside g, go
    // first: their files are gone, recycled by this save (or copy), and at most two
    // records exist at any instant. The directory's fsync in write_durably makes these
    // unlinks durable too. @throws Error naming the file.
    void write_record(const detail::CommitRecords& records, std::uint64_t g, std::uint64_t keep,
                      const std::vector<unsigned long long>& all, std::size_t stride) {
        const detail::Directory& dir = records.directory();
        detail::remove_commit_records(dir, records.names().stem, [&](std::uint64_t old) {
            return old == keep || old == g;
        });
        detail::CommitRecord record;
        record.generation = g;
        record.ranks = static_cast<std::uint32_t>(group_.size());
        record.job_key = inner_->job_key();
        record.name = name_;
        for (int q = 0; q < group_.size(); ++q) {
            const unsigned long long* at = &all[stride * static_cast<std::size_t>(q)];
            record.files.push_back({at[0], at[1], at[2]});
        }
        detail::write_commit_record(dir, records.names().commit_record(g), record);
    }

    // Collective, once every rank has generation `g`'s file (in `records`' tier): gathers
    // each rank's `row` (`stride` numbers, its file's digest first) on rank 0 into `all`,
    // stops at `kill_point` (a test build's), then rank 0 writes g's record (write_record,
    // keeping `keep`), and the ranks agree on how that went. Returns "" on success, else
    // the failure every rank reports.
    std::string gather_and_record(const detail::CommitRecords& records, std::uint64_t g,
                                  std::uint64_t keep, const unsigned long long* row,
                                  std::size_t stride, std::vector<unsigned long long>& all,
                                  const char* kill_point) {
        all.assign(group_.rank() == 0 ? stride * static_cast<std::size_t>(group_.size()) : 0, 0);
        MPI_Gather(row, static_cast<int>(stride), MPI_UNSIGNED_LONG_LONG, all.data(),
                   static_cast<int>(stride), MPI_UNSIGNED_LONG_LONG, 0, group_.comm());
        REPRISE_KILL_POINT(kill_point);
        (void)kill_point;
        bool recorded = true;
        std::string error;
        if (group_.rank() == 0) {
            try {
                write_record(records, g, keep, all, stride);
            } catch (const std::exception& e) {
                recorded = false;
                error = e.what();
                group_.note(e);
            }
        }
        return group_.agree_on_failure(recorded, error);
    }

    // Collective, with a persistent tier: a generation counts as persistent only when
    // every rank's copy is. The copier threads never call MPI (whatever the thread level):
    // each notes the newest generation it copied, and here, at a step all ranks take
    // anyway (a save, a stop), they compare: when every rank's copier is idle with the
    // same newest copy g, newer than the last persistent one, each reads back its copy's
    // digest and rank 0 writes g's commit record into the persistent directory, as a save
    // does in the fast one. From then on each rank's copies keep g (PersistentTier::pin),
    // so that a generation complete on every rank is never recycled by one rank's later
    // copy. Ranks whose copies differ (one lags, or failed) record nothing this time.
    // `wait`: each rank first waits for its copies (a stop). Never throws: a failure is
    // said on rank 0's stderr, and the persistent tier keeps its last complete generation.
    void settle_persistent(bool wait) {
        detail::PersistentTier* tier = persist_records_ ? inner_->persistent_tier() : nullptr;
        if (!tier) return; // the same on every rank (agree_on_identity)
        if (wait) tier->wait();
        const std::uint64_t mine = tier->settled();
        unsigned long long span[2] = {mine, ~mine}; // the largest, the smallest complemented
        MPI_Allreduce(MPI_IN_PLACE, span, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX, group_.comm());
        const std::uint64_t g = span[0];
        if (g == 0 || ~span[1] != g || g <= persisted_) return;
        const std::string name = tier->file_name(g);
        detail::FileDigest digest;
        std::string why, error;
        const bool read = detail::read_file_digest(tier->directory(), name, digest, why);
        if (!read) {
            error = "reprise: reading back the persistent copy " + tier->directory().path_of(name) +
                    ": " + why;
            group_.note(ErrorKind::io);
        }
        std::string failure = group_.agree_on_failure(read, error);
        if (failure.empty()) {
            const unsigned long long d[3] = {digest.header_checksum, digest.payload_checksum, digest.size};
            std::vector<unsigned long long> all;
            failure = gather_and_record(*persist_records_, g, persisted_, d, 3, all,
                                        "mpi-before-persist-record");
        }
        if (!failure.empty()) {
            if (group_.rank() == 0)
                detail::log_line(failure + "; the persistent tier " + tier->directory().path() +
                                 " keeps " + (persisted_ ? "generation " + std::to_string(persisted_)
                                                         : std::string("no complete generation")) +
                                 " of all ranks");
            return;
        }
        persisted_ = g;
        tier->pin(g);
        if (group_.rank() == 0)
            detail::log_event(LogKind::saved,
                              "reprise: committed the persistent copies of generation " +
                                  std::to_string(g) + " of " + std::to_string(group_.size()) +
                                  " ranks to " + persist_records_->path(g),
                              true);
    }

    // Collective: the newest generation of `records` of this run's number of ranks whose
    // record binds every rank's file (0: none); `newest_bound` grows to the newest
    // generation a record of any number of ranks binds.
    std::uint64_t newest_committed(const detail::CommitRecords& records, std::uint64_t& newest_bound) {
        const detail::CommitRecords::Shared shared = records.share();
        for (const detail::CommitRecords::Candidate& c : shared.intact) {
            const bool same_size = c.ranks == static_cast<std::uint32_t>(group_.size());
            if (newest_bound >= c.generation && !same_size) continue; // nothing more to learn
            std::string why;
            if (!records.all_bound(c, why)) continue;
            newest_bound = std::max(newest_bound, c.generation);
            if (same_size) return c.generation;
        }
        return 0;
    }

    // K from rank 0's environment, so that it is the same everywhere.
    void configure_agreement() {
        long long fixed = 0; // 0: adaptive; -1: not understood
        std::string text;
        if (group_.rank() == 0) {
            text = detail::getenv_string("REPRISE_MPI_AGREE_EVERY");
            if (!text.empty()) {
                const std::optional<std::uint64_t> every = detail::decimal(text);
                const bool in_range = every && *every >= 1 && *every <= detail::kMaxAgreeEvery;
                fixed = in_range ? static_cast<long long>(*every) : -1;
            }
        }
        MPI_Bcast(&fixed, 1, MPI_LONG_LONG, 0, group_.comm());
        if (fixed < 0) {
            group_.broadcast(text, 0);
            throw Error("reprise: REPRISE_MPI_AGREE_EVERY=" + text +
                        ": expected a number of polls from 1 to 1048576 (unset: adaptive)",
                        ErrorKind::configuration);
        }
        fixed_ = fixed > 0;
        every_ = fixed_ ? static_cast<std::uint64_t>(fixed) : 1;
    }

    // One committed generation as the records of both tiers know it: the fast tier's
    // record and the persistent tier's (either may be missing). Both hold the digest of
    // the same rank files (a copy is the file, byte for byte), so either binds a rank's
    // file in either tier.
    struct Committed {
        std::uint64_t generation = 0;
        std::uint32_t ranks = 0;
        std::optional<detail::CommitRecords::Candidate> fast, copy;
    };

    // Newest first: the intact records of the fast tier and of the persistent one, by
    // generation (the same list on every rank).
    static std::vector<Committed> merge(const detail::CommitRecords::Shared& fast,
                                        const detail::CommitRecords::Shared& copies) {
        std::vector<Committed> all;
        auto add = [&](const detail::CommitRecords::Candidate& c, bool is_copy) {
            auto it = std::find_if(all.begin(), all.end(),
                                   [&](const Committed& m) { return m.generation == c.generation; });
            if (it == all.end()) {
                all.push_back(Committed{c.generation, c.ranks, {}, {}});
                it = all.end() - 1;
            }
            (is_copy ? it->copy : it->fast) = c;
        };
        for (const auto& c : fast.intact) add(c, false);
        for (const auto& c : copies.intact) add(c, true);
        std::sort(all.begin(), all.end(),
                  [](const Committed& x, const Committed& y) { return x.generation > y.generation; });
        return all;
    }

    // Local: whether this rank's file of `m`'s generation in the tier of `records` is
    // the one a record of `m` committed for this rank; else the reason, in `why`.
    static bool bound_in(const detail::CommitRecords& records, const Committed& m, std::string& why) {
        std::string first;
        for (const auto* c : {m.fast ? &*m.fast : nullptr, m.copy ? &*m.copy : nullptr}) {
            if (!c) continue;
            std::string w;
            if (records.mine_bound(*c, w)) return true;
            if (first.empty()) first = w;
        }
        why = first;
        return false;
    }

    bool restore_agreed(const detail::CommitRecords::Shared& records,
                        const detail::CommitRecords::Shared& copies) {
        detail::PersistentTier* tier = persist_records_ ? inner_->persistent_tier() : nullptr;
        const detail::GenerationStore* persist = tier ? &tier->store() : nullptr;
        if (!records.present && !copies.present) {
            int files = !inner_->store().generations().empty() ||
                                (persist && !persist->generations().empty())
                            ? 1
                            : 0;
            MPI_Allreduce(MPI_IN_PLACE, &files, 1, MPI_INT, MPI_MAX, group_.comm());
            const auto& job = inner_->job();
            const std::string pattern = inner_->store().directory().path_of(
                records_->names().commit_record_pattern());
            if (group_.rank() == 0 && files)
                detail::log_event(LogKind::note, "reprise: rank files of " + describe_job() + " but no commit "
                                 "record " + pattern + " (no save of theirs completed on "
                                 "every rank): starting fresh");
            else if (group_.rank() == 0 && job.restart_known && job.restart)
                detail::log_event(LogKind::note, "reprise: this run is a restart (" + job.restart_reason +
                                 ") but no commit record " + pattern + " exists: starting "
                                 "fresh");
            return false;
        }
        // Records exist but none is intact (they are written atomically, so only the disk
        // or a person can do that): no generation is known to be complete on every rank,
        // and rank files alone cannot say with how many ranks they were written.
        if (records.intact.empty() && copies.intact.empty())
            throw Error("reprise: restore: no generation of " + describe_job() +
                        " has an intact commit record; rejected:" + records.rejected +
                        copies.rejected,
                        ErrorKind::corrupt);
        // Every rank lists the records rejected (the same on all), then its own reasons.
        const std::string records_rejected = records.rejected + copies.rejected;
        std::string rejected = records_rejected;
        // A newer generation on some rank without a record: the save of a killed run that
        // did not reach every rank (or a record removed by hand, or a stray file). Not
        // restored; said.
        unsigned long long newest_file = std::max(inner_->store().newest_before(UINT64_MAX),
                                                  persist ? persist->newest_before(UINT64_MAX) : 0);
        MPI_Allreduce(MPI_IN_PLACE, &newest_file, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, group_.comm());
        const std::uint64_t newest_record = std::max(records.newest, copies.newest);
        const std::uint64_t newest = std::max<std::uint64_t>(newest_record, newest_file);
        if (newest_file > newest_record)
            rejected += "\n  generation " + std::to_string(newest_file) +
                        ": a rank file without a commit record (a save that did not complete "
                        "on every rank, or a stray file)";
        if (group_.rank() == 0 && !records_rejected.empty())
            detail::log_line("reprise: warning: commit records rejected:" + records_rejected +
                             "\n  falling back to the newest generation committed before them");
        // Newest first, the same list on every rank: the same collectives everywhere. A
        // record counts only when it binds every rank's file: then it decides, be it by
        // its number of ranks (a checkpoint of another size is refused, with the advice to
        // restart with that many) or by loading its generation. A record that does not
        // bind this job's files (a stray one, or one whose file is damaged or replaced on
        // some rank) is passed over, said, and never gives advice. With a persistent tier,
        // a generation counts when each rank has a bound file of it in either tier: a rank
        // loads its fast tier's file, or, when that one is lost or damaged, its copy.
        for (const Committed& c : merge(records, copies)) {
            std::string why, why_copy;
            const bool bound_fast = bound_in(*records_, c, why);
            const bool bound_copy = persist_records_ && bound_in(*persist_records_, c, why_copy);
            const bool bound = bound_fast || bound_copy;
            if (!bound && persist_records_) why += "; " + why_copy;
            const std::string record_path =
                c.fast ? records_->path(c.generation) : persist_records_->path(c.generation);
            if (c.ranks != static_cast<std::uint32_t>(group_.size())) {
                int all_bound = bound ? 1 : 0;
                MPI_Allreduce(MPI_IN_PLACE, &all_bound, 1, MPI_INT, MPI_MIN, group_.comm());
                if (all_bound) {
                    // A rank the checkpoint does not know leaves no lock file behind it:
                    // nothing of this job is its own, and finish() of the right run will not
                    // come for it.
                    if (static_cast<std::uint32_t>(group_.rank()) >= c.ranks &&
                        inner_->store().generations().empty())
                        inner_->store().remove_lock_file();
                    throw Error("reprise: restore " + record_path +
                                ": checkpoint written by " + std::to_string(c.ranks) +
                                " ranks, this run has " + std::to_string(group_.size()) +
                                "; restart it with mpirun -np " + std::to_string(c.ranks),
                                ErrorKind::mismatch);
                }
                rejected += "\n  " + record_path + ": says " +
                            std::to_string(c.ranks) + " ranks but does not bind this job's "
                            "rank files: " + (bound ? std::string("a file of another rank "
                                                                  "does not match it")
                                                    : why);
                continue;
            }
            bool valid = false, fatal = false, from_copy = false;
            std::string fast_why = why; // why this rank's fast-tier file was passed over
            try {
                if (bound_fast) valid = inner_->restore_generation(c.generation, fast_why);
                if (!valid && bound_copy) {
                    valid = from_copy = inner_->restore_generation(c.generation, why_copy, true);
                    why = fast_why + "; " + why_copy;
                } else if (!valid) {
                    why = fast_why;
                }
            } catch (const std::exception& e) {
                fatal = true;
                why = e.what();
                group_.note(e);
            }
            // A program that differs from its checkpoint is no reason to try older files.
            const std::string failure = group_.agree_on_failure(!fatal, why);
            if (!failure.empty()) throw Error(failure, group_.failure_kind());
            int all_valid[2] = {valid ? 1 : 0, bound_copy ? 1 : 0};
            MPI_Allreduce(MPI_IN_PLACE, all_valid, 2, MPI_INT, MPI_MIN, group_.comm());
            if (all_valid[0]) {
                log_restored(c.generation, record_path);
                if (from_copy)
                    detail::log_line("reprise: rank " + std::to_string(group_.rank()) +
                                     " restored generation " + std::to_string(c.generation) +
                                     " from its persistent copy " +
                                     tier->directory().path_of(tier->file_name(c.generation)) +
                                     " (its fast tier's: " + fast_why + ")");
                if (c.generation != newest)
                    detail::log_line("reprise: warning: rank " + std::to_string(group_.rank()) +
                                     " restored the older generation " +
                                     std::to_string(c.generation) + "; rejected:" +
                                     (rejected.empty() ? std::string(" none on this rank")
                                                       : rejected));
                committed_ = c.generation;
                next_ = std::max(next_, committed_ + 1);
                // Every rank's copy holds it: the persistent tier's copies keep it from now.
                if (tier && all_valid[1] && c.generation > persisted_) {
                    persisted_ = c.generation;
                    tier->pin(persisted_);
                }
                return true;
            }
            rejected += "\n  " + (valid ? "generation " + std::to_string(c.generation) +
                                               ": invalid on another rank"
                                         : why);
        }
        throw Error("reprise: restore: no generation of " + describe_job() +
                    " is valid on all " + std::to_string(group_.size()) + " ranks; on rank " +
                    std::to_string(group_.rank()) + ":" + (rejected.empty() ? " no file" : rejected),
                    ErrorKind::corrupt);
    }

    std::string describe_job() const { return detail::describe_job(inner_->job_key(), name_); }

    // Rank 0's one line for a restore of all ranks (docs/logging.md): the bytes of every
    // rank, the slowest rank's time. A gather at restore, never in the poll.
    // `record`: the commit record that committed it (the fast tier's, or, without one, the
    // persistent tier's).
    void log_restored(std::uint64_t g, const std::string& record) {
        const detail::LoadReport mine = inner_->last_load();
        unsigned long long sent[2] = {mine.bytes, static_cast<unsigned long long>(mine.seconds * 1e9)};
        std::vector<unsigned long long> all(group_.rank() == 0 ? 2 * static_cast<std::size_t>(group_.size()) : 0);
        MPI_Gather(sent, 2, MPI_UNSIGNED_LONG_LONG, all.data(), 2, MPI_UNSIGNED_LONG_LONG, 0,
                   group_.comm());
        if (group_.rank() != 0) return;
        detail::log_event(LogKind::restored,
                          "reprise: restored generation " + std::to_string(g) + " of " +
                              std::to_string(group_.size()) + " ranks (" + totals(all) +
                              ") from " + record +
                              detail::how_to_start_afresh(inner_->options().restore, inner_->job()),
                          true);
    }

    // "4.0 GiB in all, slowest rank 2: 1.234 s", from (bytes, nanoseconds) of each rank
    // at [2r], [2r+1] of `v` (stride `stride`, the nanoseconds at `at + 1`).
    std::string totals(const std::vector<unsigned long long>& v, std::size_t stride = 2,
                       std::size_t at = 0) const {
        unsigned long long bytes = 0, slowest = 0;
        int who = 0;
        for (int q = 0; q < group_.size(); ++q) {
            const unsigned long long* r = &v[stride * static_cast<std::size_t>(q) + at];
            bytes += r[0];
            if (r[1] > slowest) {
                slowest = r[1];
                who = q;
            }
        }
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.3f s", static_cast<double>(slowest) / 1e9);
        return detail::human_bytes(bytes) + " in all, slowest rank " + std::to_string(who) +
               ": " + seconds;
    }

    // The value a rank sends for a save request: its strongest kSaveBy* bit (a signal says
    // most, then the interval, then request_save(), as their values rank them), doubled
    // and plus one so that a request with no reason is still non-zero. The agreement's
    // MPI_MAX keeps the strongest; describe_save_reasons(code >> 1) says it.
    static unsigned long long reason_code(unsigned reasons) {
        unsigned strongest = 0;
        for (unsigned bit : {detail::kSaveByRequest, detail::kSaveByInterval, detail::kSaveBySignal})
            if (reasons & bit) strongest = bit;
        return 2ull * strongest + 1;
    }

    // Every K-th poll: act on the previous round's agreement, then start the next round.
    //
    // A round is a non-blocking MPI_Iallreduce, started at one agreement poll and waited
    // for at the next, K polls later, so a rank waits only when another is more than K
    // polls behind. With a blocking allreduce, every agreement made each rank wait for
    // the slowest, and on a loaded machine, where the OS deschedules a rank for
    // milliseconds, that wait was the whole cost (docs/benchmarks.md, bench_mpi).
    // The price: a request is acted upon up to 2K polls after it arrived, not K. Every
    // rank starts and completes the same rounds at the same polls (polls_ and K are the
    // same everywhere), so collectives stay in one order on all ranks.
    bool agree() {
        polls_ = 0;
        const auto now = std::chrono::steady_clock::now();
        const auto elapsed = static_cast<unsigned long long>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_agreement_).count());
        const std::uint64_t measured_every = every_; // the K of the polls that took `elapsed`
        bool saved = false;
        if (round_ != MPI_REQUEST_NULL) {
            MPI_Wait(&round_, MPI_STATUS_IGNORE);
            saved = act_on(received_, round_every_);
        }
        const unsigned requests = detail::g_pending.exchange(0, std::memory_order_acquire);
        // Non-zero asks for a save; its value says what asked (reason_code).
        sent_[0] = (requests & detail::kSaveRequested)
                       ? reason_code(detail::g_save_reasons.exchange(0, std::memory_order_relaxed))
                       : 0ull;
        sent_[1] = (requests & detail::kStopRequested) ? 1ull : 0ull;
        sent_[2] = static_cast<unsigned long long>(detail::g_stop_signal.load(std::memory_order_relaxed));
        sent_[3] = elapsed;
        round_every_ = measured_every; // the same on every rank
        MPI_Iallreduce(sent_, received_, 4, MPI_UNSIGNED_LONG_LONG, MPI_MAX, group_.comm(), &round_);
        last_agreement_ = std::chrono::steady_clock::now();
        return saved;
    }

    // What a completed round decided, the same on every rank.
    // `measured_every`: the K of the polls whose time the round carries.
    bool act_on(const unsigned long long (&v)[4], std::uint64_t measured_every) {
        // From allreduced values only: K stays identical on every rank.
        if (!fixed_) every_ = adapt(measured_every, v[3]);
        const bool stopping = v[1] != 0;
        if (stopping) {
            // A rank that did not get the signal stops as the one that did (its number
            // decides how on_stop re-raises).
            int none = 0;
            detail::g_stop_signal.compare_exchange_strong(none, v[2] ? static_cast<int>(v[2]) : SIGTERM);
            stop_agreed_ = true;
        }
        bool saved = false;
        if (!finished_ && (stopping || v[0])) {
            const std::string failure = commit_collectively(
                stopping ? detail::stop_trigger(static_cast<int>(v[2]))
                     : detail::describe_save_reasons(static_cast<unsigned>(v[0] >> 1)),
                stopping);
            saved = failure.empty();
            if (saved) {
                // A save request that came since this round began is served by this save.
                detail::g_pending.fetch_and(~unsigned(detail::kSaveRequested));
            } else {
                inner_->rearm_timer();
                if (group_.rank() == 0) {
                    const std::uint64_t g = inner_->generation();
                    detail::log_line(failure + "; the computation goes on, " +
                                     (g ? "generation " + std::to_string(g) + " is kept"
                                        : std::string("no checkpoint exists yet")));
                }
            }
        }
        if (stopping) {
            // The job stops: every rank's copy of its last generation to the persistent
            // tier (the one a job moved to other nodes resumes from) ends, and counts, first.
            if (!finished_) settle_persistent(true);
            if (inner_->options().on_stop == StopAction::requeue) {
                // StopAction::requeue: rank 0 alone asks Slurm, once for the job; the other
                // ranks wait for it before they end, since a launcher (mpirun) that sees
                // one rank die kills the others, which could cut rank 0's request short.
                inner_->requeue_before_stop(saved);
                MPI_Barrier(group_.comm());
            }
            inner_->stop(saved);
        }
        return saved;
    }

    // K for the next round: the polls that took `elapsed_ns` scaled to the target.
    static std::uint64_t adapt(std::uint64_t every, std::uint64_t elapsed_ns) {
        return detail::adapt_agree_every(every, elapsed_ns);
    }

    // The two-phase commit. Returns "" when generation G is committed on every rank, else
    // the first failure (every rank then keeps the last committed generation).
    //
    // G is next_, the same on every rank without a message: one more than the last
    // generation committed (or restored) or tried by this run, and, before the first, than
    // the newest record that binds every rank's file. Rank files do not number it: a stray
    // file on one rank (an 18-digit number, issue 14) once drove the job's numbering past
    // what the next restart could read. Each rank writes its file of G, reads back its
    // digest, and rank 0 writes the record with every rank's digest (gathered).
    // `trigger` says what asked for the save ("SIGUSR1", "save()", ...), in its lines.
    // `stopping`: a stop signal's save, copied to the persistent tier whatever
    // Options::persist_every says.
    std::string commit_collectively(const std::string& trigger, bool stopping = false) {
        if (finished_) return "reprise: save() after finish()";
        // The copies of earlier saves that every rank has finished count now, before this
        // save's own copy can start.
        settle_persistent(false);
        const std::uint64_t g = next_;
        next_ = g + 1; // tried: a failed save does not reuse its number in this run
        if (g > detail::kMaxGeneration)
            return "reprise: save: " + describe_job() + " has used every generation number "
                   "up to " + std::to_string(detail::kMaxGeneration) +
                   "; finish() it or start afresh in another directory";
        bool saved = false, ok = false;
        std::string error;
        detail::FileDigest digest;
        const auto start = std::chrono::steady_clock::now();
        unsigned long long save_ns = 0;
        try {
            inner_->save_as(g, trigger);
            save_ns = static_cast<unsigned long long>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - start).count());
            saved = true;
            const auto& dir = inner_->store().directory();
            const std::string name = inner_->store().file_name(g);
            std::string why;
            if (!detail::read_file_digest(dir, name, digest, why))
                throw Error("reprise: save: reading back " + dir.path_of(name) + ": " + why,
                            ErrorKind::io);
            ok = true;
        } catch (const std::exception& e) {
            error = e.what();
            group_.note(e);
        }
        std::string failure = group_.agree_on_failure(ok, error);
        if (failure.empty()) {
            // The digests for the record, and each rank's time for rank 0's line: one gather.
            const unsigned long long mine[4] = {digest.header_checksum, digest.payload_checksum,
                                                digest.size, save_ns};
            // Every rank has generation g on disk; it counts once the record says so.
            std::vector<unsigned long long> all;
            failure = gather_and_record(*records_, g, committed_, mine, 4, all, "mpi-before-record");
            if (group_.rank() == 0 && !all.empty()) totals_ = totals(all, 4, 2);
        }
        if (!failure.empty()) {
            if (saved) inner_->store().discard(g);
            return failure;
        }
        REPRISE_KILL_POINT("mpi-after-record");
        inner_->store().confirm(g);
        committed_ = g;
        inner_->copy_to_persistent(g, stopping);
        if (group_.rank() == 0)
            detail::log_event(LogKind::saved,
                              "reprise: committed generation " + std::to_string(g) + " of " +
                                  std::to_string(group_.size()) + " ranks (" + totals_ +
                                  ", asked by " + trigger + ") to " + commit_record_path(),
                              true);
        return std::string();
    }

    detail::RankGroup group_; // the ranks, on a duplicate of the program's communicator
    std::string suffix_;      // ".rank<r>"
    std::string name_;        // the checkpoint's name, without the suffix
    std::uint64_t committed_ = 0; // the last generation committed (or restored) by all ranks
    std::uint64_t next_ = 1;      // the generation of the next save, the same on all ranks
    std::unique_ptr<reprise::Checkpointer> inner_;
    std::optional<detail::CommitRecords> records_; // this job's commit records, as all ranks see them
    // With a persistent tier (REPRISE_PERSIST_DIR): the commit records in its directory,
    // and the newest generation they say every rank's copy holds (0: none), the one every
    // rank's copies keep (PersistentTier::pin).
    std::optional<detail::CommitRecords> persist_records_;
    std::uint64_t persisted_ = 0;
    std::uint64_t polls_ = 0;
    std::uint64_t every_ = 1; // K
    bool fixed_ = false;
    std::chrono::steady_clock::time_point last_agreement_;
    bool stop_agreed_ = false;
    // The agreement round in flight (see agree()) and its buffers.
    MPI_Request round_ = MPI_REQUEST_NULL;
    unsigned long long sent_[4] = {};
    unsigned long long received_[4] = {};
    std::uint64_t round_every_ = 1;
    bool restore_called_ = false;
    bool finished_ = false;
    std::string totals_; // rank 0: the bytes and slowest time of the save being committed
};

} // namespace mpi
} // namespace reprise

#endif
