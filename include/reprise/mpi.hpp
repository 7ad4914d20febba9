// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_MPI_HPP
#define REPRISE_MPI_HPP

/// Coordinated checkpoints of an MPI program: every rank saves its own variables, and a
/// checkpoint counts only once every rank has saved the same generation (README.md, "MPI").
/// An opt-in header: only a program that includes it needs MPI (CMake: `reprise::mpi`).

#include "reprise/reprise.hpp"
#include "reprise/detail/commit_record.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace reprise {

namespace detail {

// The private members of reprise::Checkpointer that the MPI layer drives; everything
// else it reaches through the public API.
struct Coordination {
    static std::unique_ptr<Checkpointer> make(Options options, NameSuffix suffix) {
        return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(options), std::move(suffix)));
    }
    static Options& options(Checkpointer& c) { return c.options_; }
    static const Directory& directory(const Checkpointer& c) { return *c.dir_; }
    static const JobIdentity& job(const Checkpointer& c) { return c.job_; }
    static std::string describe_job(const Checkpointer& c) { return c.describe_job(); }
    static std::uint64_t next_generation(const Checkpointer& c) { return c.next_generation(); }
    static void save_as(Checkpointer& c, std::uint64_t g) { c.save_as(g); }
    static void confirm(Checkpointer& c, std::uint64_t g) { c.confirm(g); }
    static void discard(Checkpointer& c, std::uint64_t g) noexcept { c.discard(g); }
    static void set_fallback(Checkpointer& c, std::uint64_t g) { c.fallback_ = g; }
    static bool restore_called(const Checkpointer& c) { return c.restore_called_; }
    static void mark_restore_called(Checkpointer& c) { c.restore_called_ = true; }
    static bool restore_wanted(const Checkpointer& c, bool exists) { return c.restore_wanted(exists); }
    static bool restore_generation(Checkpointer& c, std::uint64_t g, std::string& why) {
        return c.restore_generation(g, why);
    }
    static std::uint64_t newest_before(const Checkpointer& c, std::uint64_t g) {
        return c.newest_before(g);
    }
    static bool has_generations(const Checkpointer& c) { return !c.on_disk_.empty(); }
    static bool finished(const Checkpointer& c) { return c.finished_; }
    static void remove_lock_file(Checkpointer& c) noexcept {
        try {
            c.dir_->remove(c.lock_->file_name());
        } catch (const std::exception& e) {
            log_line(e.what());
        }
    }
    static void rearm_timer(Checkpointer& c) {
        if (c.timer_) c.timer_->rearm();
    }
    static void stop(Checkpointer& c, bool saved) { c.stop(saved); }
};

} // namespace detail

namespace mpi {

/// A reprise::Checkpointer for every rank of an MPI communicator, whose saves are
/// coordinated: a save (by `save()`, a signal that reached any rank, or the interval)
/// happens on all ranks at the same poll, with the same generation number, and becomes
/// the generation a restart loads only once every rank has it on disk (two-phase commit:
/// each rank saves, then rank 0 writes a small checksummed commit record of that
/// generation, `<name>.<job key>.<generation>.commit`, and removes the record of any
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
/// stop signal asked for, every rank applies `Options::on_stop`.
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
    /// @throws Error on every rank when MPI is not initialized, when any rank's
    ///         reprise::Checkpointer cannot be created (naming that rank's reason), or when
    ///         `REPRISE_MPI_AGREE_EVERY` is not a number in [1, 1048576].
    explicit Checkpointer(MPI_Comm comm, Options options = {}) {
        int initialized = 0, finalized = 0;
        MPI_Initialized(&initialized);
        MPI_Finalized(&finalized);
        if (!initialized || finalized)
            throw Error("reprise: mpi::Checkpointer needs MPI initialized (MPI_Init) and not "
                        "yet finalized");
        MPI_Comm_dup(comm, &comm_);
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
        try {
            suffix_ = ".rank" + std::to_string(rank_);
            std::string error;
            try {
                inner_ = detail::Coordination::make(std::move(options),
                                                    detail::NameSuffix{suffix_});
            } catch (const std::exception& e) {
                error = e.what();
            }
            const std::string failure = agree_on_failure(inner_ != nullptr, error);
            if (!failure.empty()) throw Error(failure);

            Options& o = detail::Coordination::options(*inner_);
            name_ = o.name.substr(0, o.name.size() - suffix_.size());
            record_stem_ = detail::commit_record_stem(name_, inner_->job_key());
            if (o.mode == SaveMode::background) {
                // The writer thread of one rank cannot take part in a two-phase commit with
                // the others' while the compute threads run on: future work.
                o.mode = SaveMode::sync;
                if (rank_ == 0)
                    detail::log_line("reprise: background saves are not available under MPI; "
                                     "saving synchronously");
            }
            configure_agreement();
            // The last commit decides which generation each rank keeps while it writes its
            // first one (a rank's newest file may be an uncommitted save of a killed run).
            const Records records = share_records();
            if (!records.intact.empty() &&
                records.intact.front().second == static_cast<std::uint32_t>(size_)) {
                committed_ = records.intact.front().first;
                detail::Coordination::set_fallback(*inner_, committed_);
            }
        } catch (...) {
            inner_.reset();
            MPI_Comm_free(&comm_);
            throw;
        }
        last_agreement_ = std::chrono::steady_clock::now();
    }

    /// Releases this rank's lock and signal handlers (files stay on disk), and completes
    /// the agreement round in flight, which every rank started at the same poll: destroy
    /// it on every rank at the same point, before `MPI_Finalize`. Never throws.
    ~Checkpointer() {
        inner_.reset();
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (finalized) return;
        // The agreement round in flight: every rank started it at the same poll, so
        // every rank that destroys its Checkpointer at the same point completes it.
        if (round_ != MPI_REQUEST_NULL) MPI_Wait(&round_, MPI_STATUS_IGNORE);
        if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
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
    /// rank's file of that generation is damaged or missing, or its commit record is,
    /// every rank falls back to the older committed generation (the one with an intact
    /// record and a valid file on every rank), said on stderr. Rank files without any
    /// commit record (the first save of a killed run) mean a fresh start, said on stderr.
    /// @returns true on every rank when state was loaded, false on every rank otherwise.
    /// @throws Error on every rank when the checkpoint was written by a different number
    ///         of ranks ("checkpoint written by 4 ranks, this run has 2"), when commit
    ///         records exist but none is intact, when no committed generation is valid on
    ///         all ranks (each rank lists its own reasons), when a rank's variables differ
    ///         from its checkpoint's, or when called twice.
    bool restore() {
        if (restore_called_) throw Error("reprise: restore() was already called");
        restore_called_ = true;
        detail::Coordination::mark_restore_called(*inner_);
        const Records records = share_records();
        int wanted = rank_ == 0 ? detail::Coordination::restore_wanted(*inner_, records.present)
                                : 0;
        MPI_Bcast(&wanted, 1, MPI_INT, 0, comm_);
        bool loaded = false;
        if (wanted) loaded = restore_agreed(records);
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
        const std::string failure = commit_collectively();
        if (!failure.empty()) throw Error(failure);
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
        if (rank_ == 0) {
            try {
                const detail::Directory& dir = detail::Coordination::directory(*inner_);
                detail::remove_commit_records(dir, record_stem_, [](std::uint64_t) { return false; });
                dir.sync();
            } catch (const std::exception& e) {
                ok = false;
                error = e.what();
            }
        }
        std::string failure = agree_on_failure(ok, error);
        if (failure.empty()) {
            try {
                inner_->finish();
            } catch (const std::exception& e) {
                ok = false;
                error = e.what();
            }
            failure = agree_on_failure(ok, error);
        }
        if (!failure.empty()) throw Error(failure);
    }

    /// Local: the options in force on this rank (its name ends in `.rank<r>`).
    const Options& options() const noexcept { return inner_->options(); }

    /// Local: the generation last committed or restored; 0 when none. The same on all ranks.
    std::uint64_t generation() const noexcept { return inner_->generation(); }

    /// Local: this rank in the communicator, and the number of ranks.
    int rank() const noexcept { return rank_; }
    int size() const noexcept { return size_; }

    /// Local: the polls between two agreements, as of now (see `maybe_save()`).
    std::uint64_t agree_every() const noexcept { return every_; }

    /// Local: the path of the commit record of `generation()` (the last generation
    /// committed or restored; with none, the path generation 0's would have).
    std::string commit_record_path() const { return record_path(inner_->generation()); }

private:
    // One agreement per this much computation, when K adapts. 50 ms, not 10: on a 2-core
    // machine shared with other work, bench_mpi's ~1 us step cost 1.33 times the bare
    // loop at one agreement per 10 ms and 1.02 at 50 ms (each agreement a chance to wait
    // for a descheduled rank); the reaction, at most 2K polls, stays ~0.1 s, well inside
    // the second mpirun leaves between its SIGTERM and its SIGKILL.
    static constexpr std::uint64_t kTargetNanoseconds = 50'000'000;
    static constexpr std::uint64_t kMaxEvery = std::uint64_t(1) << 20;

    // What rank 0 found of this job's commit records, the same on every rank.
    struct Records {
        bool present = false;        // any record file of this job, intact or not
        std::uint64_t newest = 0;    // the newest generation with a record file
        // The intact ones, newest first: generation, number of ranks.
        std::vector<std::pair<std::uint64_t, std::uint32_t>> intact;
        std::string rejected;        // the others: "\n  <path>: <why>" each
    };

    // Every rank learns whether all succeeded and, when not, the message of the first
    // rank that failed, with that rank named for the others. "" when all succeeded.
    std::string agree_on_failure(bool ok, const std::string& mine) const {
        int first = ok ? size_ : rank_;
        MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm_);
        if (first == size_) return std::string();
        std::string message = rank_ == first ? mine : std::string();
        broadcast(message, first);
        if (message.empty()) message = "reprise: a failure";
        if (rank_ != first)
            message += " (on rank " + std::to_string(first) + " of " + std::to_string(size_) + ")";
        return message;
    }

    void broadcast(std::string& s, int root) const {
        unsigned long long n = s.size();
        MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, comm_);
        s.resize(static_cast<std::size_t>(n));
        if (n) MPI_Bcast(&s[0], static_cast<int>(n), MPI_CHAR, root, comm_);
    }

    // K from rank 0's environment, so that it is the same everywhere.
    void configure_agreement() {
        long long fixed = 0; // 0: adaptive; -1: not understood
        std::string text;
        if (rank_ == 0) {
            text = detail::getenv_string("REPRISE_MPI_AGREE_EVERY");
            if (!text.empty()) {
                fixed = detail::parse_count(text);
                if (fixed < 1 || fixed > static_cast<long long>(kMaxEvery)) fixed = -1;
            }
        }
        MPI_Bcast(&fixed, 1, MPI_LONG_LONG, 0, comm_);
        if (fixed < 0) {
            broadcast(text, 0);
            throw Error("reprise: REPRISE_MPI_AGREE_EVERY=" + text +
                        ": expected a number of polls from 1 to 1048576 (unset: adaptive)");
        }
        fixed_ = fixed > 0;
        every_ = fixed_ ? static_cast<std::uint64_t>(fixed) : 1;
    }

    std::string record_path(std::uint64_t g) const {
        return detail::Coordination::directory(*inner_).path_of(
            detail::commit_record_name(record_stem_, g));
    }

    // Rank 0 reads the commit records; every rank learns what they say. A record is
    // intact when its checksum holds and it names this job, this checkpoint and the
    // generation its file name says.
    // @throws Error on every rank when rank 0 cannot list the directory.
    Records share_records() const {
        Records r;
        bool ok = true;
        std::string error;
        if (rank_ == 0) {
            try {
                const auto& dir = detail::Coordination::directory(*inner_);
                for (const auto& file : detail::list_commit_records(dir, record_stem_, ".commit")) {
                    detail::CommitRecord c;
                    std::string why;
                    const int state = detail::read_commit_record(dir, file.second, c, why);
                    if (state == 0) continue; // removed since the listing
                    r.present = true;
                    r.newest = std::max(r.newest, file.first);
                    if (state == 1 && (c.job_key != inner_->job_key() || c.name != name_)) {
                        why = "belongs to job " + c.job_key + " of checkpoint '" + c.name + "'";
                    } else if (state == 1 && c.generation != file.first) {
                        why = "names generation " + std::to_string(c.generation);
                    } else if (state == 1) {
                        r.intact.emplace_back(file.first, c.ranks);
                        continue;
                    }
                    r.rejected += "\n  " + dir.path_of(file.second) + ": " + why;
                }
            } catch (const std::exception& e) {
                ok = false;
                error = e.what();
            }
        }
        const std::string failure = agree_on_failure(ok, error);
        if (!failure.empty()) throw Error(failure);
        unsigned long long head[3] = {r.present ? 1ull : 0ull, r.newest, r.intact.size()};
        MPI_Bcast(head, 3, MPI_UNSIGNED_LONG_LONG, 0, comm_);
        std::vector<unsigned long long> pairs(2 * static_cast<std::size_t>(head[2]));
        for (std::size_t k = 0; k < r.intact.size(); ++k) {
            pairs[2 * k] = r.intact[k].first;
            pairs[2 * k + 1] = r.intact[k].second;
        }
        if (!pairs.empty())
            MPI_Bcast(pairs.data(), static_cast<int>(pairs.size()), MPI_UNSIGNED_LONG_LONG, 0, comm_);
        r.present = head[0] != 0;
        r.newest = head[1];
        r.intact.resize(static_cast<std::size_t>(head[2]));
        for (std::size_t k = 0; k < r.intact.size(); ++k)
            r.intact[k] = {pairs[2 * k], static_cast<std::uint32_t>(pairs[2 * k + 1])};
        broadcast(r.rejected, 0);
        return r;
    }

    bool restore_agreed(const Records& records) {
        if (!records.present) {
            int files = detail::Coordination::has_generations(*inner_) ? 1 : 0;
            MPI_Allreduce(MPI_IN_PLACE, &files, 1, MPI_INT, MPI_MAX, comm_);
            const auto& job = detail::Coordination::job(*inner_);
            const std::string pattern = detail::Coordination::directory(*inner_).path_of(
                record_stem_ + ".<generation>.commit");
            if (rank_ == 0 && files)
                detail::log_line("reprise: rank files of " + describe_job() + " but no commit "
                                 "record " + pattern + " (no save of theirs completed on "
                                 "every rank): starting fresh");
            else if (rank_ == 0 && job.restart_known)
                detail::log_line("reprise: this run is a restart (" + job.restart_reason +
                                 ") but no commit record " + pattern + " exists: starting "
                                 "fresh");
            return false;
        }
        // Records exist but none is intact (they are written atomically, so only the disk
        // or a person can do that): no generation is known to be complete on every rank,
        // and rank files alone cannot say with how many ranks they were written.
        if (records.intact.empty())
            throw Error("reprise: restore: no generation of " + describe_job() +
                        " has an intact commit record; rejected:" + records.rejected);
        const std::uint32_t ranks = records.intact.front().second;
        if (ranks != static_cast<std::uint32_t>(size_)) {
            // A rank the checkpoint does not know leaves no lock file behind it: nothing of
            // this job is its own, and finish() of the right run will not come for it.
            if (static_cast<std::uint32_t>(rank_) >= ranks &&
                !detail::Coordination::has_generations(*inner_))
                detail::Coordination::remove_lock_file(*inner_);
            throw Error("reprise: restore " + record_path(records.intact.front().first) +
                        ": checkpoint written by " + std::to_string(ranks) +
                        " ranks, this run has " + std::to_string(size_) +
                        "; restart it with mpirun -np " + std::to_string(ranks));
        }
        std::string rejected = rank_ == 0 ? records.rejected : std::string(); // this rank's reasons
        // A newer generation on some rank without a record: the save of a killed run that
        // did not reach every rank (or a record removed by hand). Not restored; said.
        unsigned long long newest_file = detail::Coordination::newest_before(*inner_, UINT64_MAX);
        MPI_Allreduce(MPI_IN_PLACE, &newest_file, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm_);
        const std::uint64_t newest = std::max<std::uint64_t>(records.newest, newest_file);
        if (rank_ == 0 && newest_file > records.newest)
            rejected += "\n  generation " + std::to_string(newest_file) +
                        ": no commit record (its save did not complete on every rank)";
        if (rank_ == 0 && !records.rejected.empty())
            detail::log_line("reprise: warning: commit records rejected:" + records.rejected +
                             "\n  falling back to the newest generation committed before them");
        // Newest first, the same list on every rank: the same collectives everywhere.
        for (const auto& [candidate, candidate_ranks] : records.intact) {
            if (candidate_ranks != ranks) {
                rejected += "\n  generation " + std::to_string(candidate) + ": its record says " +
                            std::to_string(candidate_ranks) + " ranks";
                continue;
            }
            bool valid = false, fatal = false;
            std::string why;
            try {
                valid = detail::Coordination::restore_generation(*inner_, candidate, why);
            } catch (const std::exception& e) {
                fatal = true;
                why = e.what();
            }
            // A program that differs from its checkpoint is no reason to try older files.
            const std::string failure = agree_on_failure(!fatal, why);
            if (!failure.empty()) throw Error(failure);
            int all_valid = valid ? 1 : 0;
            MPI_Allreduce(MPI_IN_PLACE, &all_valid, 1, MPI_INT, MPI_MIN, comm_);
            if (all_valid) {
                if (candidate != newest)
                    detail::log_line("reprise: warning: rank " + std::to_string(rank_) +
                                     " restored the older generation " +
                                     std::to_string(candidate) + "; rejected:" +
                                     (rejected.empty() ? std::string(" none on this rank")
                                                       : rejected));
                committed_ = candidate;
                return true;
            }
            rejected += "\n  " + (valid ? "generation " + std::to_string(candidate) +
                                              ": invalid on another rank"
                                        : why);
        }
        throw Error("reprise: restore: no generation of " + describe_job() +
                    " is valid on all " + std::to_string(size_) + " ranks; on rank " +
                    std::to_string(rank_) + ":" + (rejected.empty() ? " no file" : rejected));
    }

    std::string describe_job() const {
        return "job " + inner_->job_key() + " of checkpoint '" + name_ + "'";
    }

    // Every K-th poll: act on the previous round's agreement, then start the next round.
    //
    // A round is a non-blocking MPI_Iallreduce, started at one agreement poll and waited
    // for at the next, K polls later, so a rank waits only when another is more than K
    // polls behind. With a blocking allreduce, every agreement made each rank wait for
    // the slowest, and on a loaded machine, where the OS deschedules a rank for
    // milliseconds, that wait was the whole cost (bench_mpi: 1.6-1.7 times the loop's
    // time at one agreement per 10-20 ms on a 2-core machine shared with a compiler).
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
        sent_[0] = (requests & detail::kSaveRequested) ? 1ull : 0ull;
        sent_[1] = (requests & detail::kStopRequested) ? 1ull : 0ull;
        sent_[2] = static_cast<unsigned long long>(detail::g_stop_signal.load(std::memory_order_relaxed));
        sent_[3] = elapsed;
        round_every_ = measured_every; // the same on every rank
        MPI_Iallreduce(sent_, received_, 4, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm_, &round_);
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
            const std::string failure = commit_collectively();
            saved = failure.empty();
            if (saved) {
                // A save request that came since this round began is served by this save.
                detail::g_pending.fetch_and(~unsigned(detail::kSaveRequested));
            } else {
                detail::Coordination::rearm_timer(*inner_);
                if (rank_ == 0) {
                    const std::uint64_t g = inner_->generation();
                    detail::log_line(failure + "; the computation goes on, " +
                                     (g ? "generation " + std::to_string(g) + " is kept"
                                        : std::string("no checkpoint exists yet")));
                }
            }
        }
        if (stopping) detail::Coordination::stop(*inner_, saved);
        return saved;
    }

    // K for the next round: the polls that took `elapsed_ns` scaled to the target.
    static std::uint64_t adapt(std::uint64_t every, std::uint64_t elapsed_ns) {
        const std::uint64_t want = every * kTargetNanoseconds / std::max<std::uint64_t>(elapsed_ns, 1);
        return std::clamp<std::uint64_t>(want, 1, std::min(every * 8, kMaxEvery));
    }

    // The two-phase commit. Returns "" when generation G is committed on every rank, else
    // the first failure (every rank then keeps the last committed generation).
    std::string commit_collectively() {
        if (finished_) return "reprise: save() after finish()";
        unsigned long long g = detail::Coordination::next_generation(*inner_);
        MPI_Allreduce(MPI_IN_PLACE, &g, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm_);
        bool saved = false;
        std::string error;
        try {
            detail::Coordination::save_as(*inner_, g);
            saved = true;
        } catch (const std::exception& e) {
            error = e.what();
        }
        std::string failure = agree_on_failure(saved, error);
        if (failure.empty()) {
            // Every rank has generation g on disk; it counts once the record says so.
            REPRISE_KILL_POINT("mpi-before-record");
            bool recorded = true;
            if (rank_ == 0) {
                try {
                    // Records of generations older than the one every rank keeps beside g
                    // (committed_) go first: their files are gone, recycled by this save,
                    // and at most two records exist at any instant. The directory's fsync
                    // in write_durably makes these unlinks durable too.
                    const auto& dir = detail::Coordination::directory(*inner_);
                    detail::remove_commit_records(dir, record_stem_, [&](std::uint64_t old) {
                        return old == committed_ || old == g;
                    });
                    detail::CommitRecord record;
                    record.generation = g;
                    record.ranks = static_cast<std::uint32_t>(size_);
                    record.job_key = inner_->job_key();
                    record.name = name_;
                    detail::write_commit_record(dir, detail::commit_record_name(record_stem_, g),
                                                record);
                } catch (const std::exception& e) {
                    recorded = false;
                    error = e.what();
                }
            }
            failure = agree_on_failure(recorded, error);
        }
        if (!failure.empty()) {
            if (saved) detail::Coordination::discard(*inner_, g);
            return failure;
        }
        REPRISE_KILL_POINT("mpi-after-record");
        detail::Coordination::confirm(*inner_, g);
        committed_ = g;
        if (rank_ == 0 && !inner_->options().quiet)
            detail::log_line("reprise: committed generation " + std::to_string(g) + " of " +
                             std::to_string(size_) + " ranks to " + commit_record_path());
        return std::string();
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0;
    int size_ = 1;
    std::string suffix_;      // ".rank<r>"
    std::string name_;        // the checkpoint's name, without the suffix
    std::string record_stem_; // "<name>.<job key>", escaped: records are "<stem>.<g>.commit"
    std::uint64_t committed_ = 0; // the last generation committed (or restored) by all ranks
    std::unique_ptr<reprise::Checkpointer> inner_;
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
};

} // namespace mpi
} // namespace reprise

#endif
