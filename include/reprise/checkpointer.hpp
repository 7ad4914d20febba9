// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_CHECKPOINTER_HPP
#define REPRISE_CHECKPOINTER_HPP

// The Checkpointer: a thin facade over the parts that do the work (README.md, "Layout").
// It reads the environment, installs the signal handlers and the interval timer, and
// answers the poll; the variables (detail/variables.hpp) are what a save serializes and a
// restore loads, the generation store (detail/store.hpp) is the job's files, and the
// background writer (detail/writer.hpp) owns the store, so that nothing reaches the store
// while a background save is in flight.

#include "reprise/archive.hpp"
#include "reprise/detail/config.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/requeue.hpp"
#include "reprise/detail/signals.hpp"
#include "reprise/detail/unlikely.hpp"
#include "reprise/detail/variables.hpp"
#include "reprise/error.hpp"
#include "reprise/options.hpp"
#include "reprise/track_flags.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <sys/types.h>

namespace reprise {

namespace detail {
class BackgroundWriter; // writer.hpp
class FileSink;         // durable_file.hpp
class GenerationStore;  // store.hpp
class IntervalTimer;    // timer.hpp
class PersistentTier;   // tiers.hpp
class SignalHandlers;   // signals.hpp

// How a coordination layer (reprise/mpi.hpp) makes the Checkpointer of one process: a
// part appended to the name once the environment was applied, so that REPRISE_NAME
// cannot erase it (".rank3": each rank its own files and lock); and saves always
// synchronous (a background save cannot take part in a two-phase commit), with
// `sync_note` said on stderr when the options asked for background ones ("" : nothing);
// `rank` says whose lines these are (docs/logging.md: rank 0 speaks for all by default).
// `requeues`: whether this process is the one that asks the scheduler to requeue the
// job under StopAction::requeue (rank 0 under MPI: once for the job, not once per rank).
struct Coordinated {
    std::string suffix;
    std::string sync_note;
    int rank = -1;
    bool requeues = true;
};

// The last restore of one process, for a coordination layer's line for all processes.
struct LoadReport {
    std::uint64_t bytes = 0;
    double seconds = 0;
};
} // namespace detail

/// Saves the variables a program registers, durably, when a signal or a timer asks, and
/// loads them back when the job restarts. One per process at a time.
///
/// Thread safety: use a Checkpointer from one thread (the compute loop's). Signals may
/// arrive on any thread; they only set flags that the next `maybe_save()` reads.
class Checkpointer {
public:
    /// Default options, then the environment (`REPRISE_*`). See the two-argument form.
    Checkpointer() : Checkpointer(Options{}) {}

    /// The given options, then the environment: a `REPRISE_*` variable that is set
    /// overrides its field. Creates the checkpoint directory, takes the job's lock and
    /// installs the signal handlers.
    /// @throws Error when another Checkpointer is alive in this process, when another live
    ///         process holds this job's checkpoints (naming its pid and host), when an
    ///         environment variable has a value it does not understand, or when the
    ///         directory cannot be created or opened.
    explicit Checkpointer(Options options) : Checkpointer(std::move(options), detail::Coordinated{}) {}

    /// Stops the interval timer, puts back the signal dispositions it replaced (where its
    /// handlers are still installed) and releases the job's lock. Checkpoints stay on disk
    /// (only `finish()` removes them). A stop signal that arrived and that no poll acted on
    /// is honoured then, as `Options::on_stop` says (except `return`, where the program
    /// reads `stop_requested()` itself). In a child made by fork(), does nothing but
    /// forget the parent's threads and lock. Never throws.
    ~Checkpointer();

    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    /// Registers `var` under `name` (unique, non-empty), by reference: every save writes
    /// its current value and `restore()` assigns it. `T` is any type cereal can serialize,
    /// including user types with a `serialize` (or `save`/`load`) member. Each save
    /// records `T` (its `typeid` name); `restore()` refuses a checkpoint that holds the
    /// variable as another type, and one that lacks it (see the three-argument form).
    /// @throws Error for an empty or duplicate name, or after `restore()` was called.
    template <class T>
    Checkpointer& track(std::string name, T& var) {
        variables_.track(std::move(name), var, TrackFlags::exact);
        return *this;
    }

    /// As `track(name, var)`, and `flags` say what else `restore()` accepts for this
    /// variable: `reprise::any_type` (saved as another type: loaded as `T` all the same),
    /// `reprise::new_variable` (not in the checkpoint: keeps its value), or both.
    /// @throws Error for an empty or duplicate name, or after `restore()` was called.
    template <class T>
    Checkpointer& track(std::string name, T& var, TrackFlags flags) {
        variables_.track(std::move(name), var, flags);
        return *this;
    }

    /// Records a run parameter: a value the computation depends on but does not restore
    /// (a mesh size, a time step, an input file's name), kept in every checkpoint's header.
    /// `restore()` compares the checkpoint's parameters with the ones recorded before it
    /// and refuses a checkpoint whose differ, naming each parameter and both values: a
    /// parameter with another value, one the checkpoint lacks and one it has that this run
    /// does not record are all mismatches. Integers (any integral type, compared by value),
    /// floating point (as a double, compared exactly), `bool` and strings.
    /// @throws Error for an empty or duplicate name, or after `restore()` was called.
    template <class T>
    Checkpointer& parameter(std::string name, const T& value) {
        variables_.add_parameter(detail::make_parameter(std::move(name), value));
        return *this;
    }

    /// Loads the newest valid checkpoint of this job into the tracked variables when the
    /// restore policy says so (`Options::restore`, `REPRISE_RESTORE`). A corrupt, truncated
    /// or unreadable (I/O error) newest generation is reported on stderr and the older one
    /// is loaded.
    /// @returns true when state was loaded; false means a fresh start.
    /// @throws Error when checkpoints exist but none is valid (listing each file and why),
    ///         or when the checkpoint's variables differ from the tracked ones (naming the
    ///         missing and the extra ones), when a variable was saved as another type
    ///         (naming it and both types) or the run parameters differ (naming each one and
    ///         both values), or when called twice. A different program or computation is
    ///         not a damaged file: no older generation is tried then.
    bool restore();

    /// The poll: when a save was requested (signal, interval), saves; when a stop was
    /// requested, saves and then stops as `Options::on_stop` says. Otherwise returns false
    /// at the cost of one relaxed atomic load: no system call, no clock read.
    /// A failed save is reported on stderr and the computation goes on with the previous
    /// generation kept; after a stop signal the process stops even when its save failed.
    /// @returns true when this call took the state for a new generation: in the
    /// synchronous mode (the default) that generation is durable on return; in the
    /// background mode it is queued (the snapshot is taken, a writer thread puts it on
    /// disk) and may still fail, which the next poll reports; `generation()` names the
    /// last durable one.
    /// Not signal-safe; call it from the compute loop.
    bool maybe_save() {
        if (REPRISE_UNLIKELY(detail::g_pending.load(std::memory_order_relaxed) != 0))
            return handle_requests();
        return false;
    }

    /// The poll for the tightest loops: as maybe_save(), but when anything is pending it
    /// first calls `publish()`, which copies the loop's working values (locals, kept in
    /// registers) into the tracked variables. A tracked variable's address is known to
    /// the Checkpointer, so in `while (...) { sum += i++; ckpt.maybe_save(); }` the
    /// compiler stores and reloads it every iteration around the poll's possible call,
    /// which a loop of a few cycles feels (docs/benchmarks.md, "Poll"); with the locals
    /// published only when a save is due, it does not.
    ///
    ///     while (li <= n) {
    ///         lsum += li++;
    ///         ckpt.maybe_save([&] { i = li; sum = lsum; }); // i and sum are tracked
    ///     }
    ///     i = li; sum = lsum;
    ///
    /// `publish` is called at most once per poll, on this thread, and only when a save,
    /// a stop or another request is about to be handled; it must not throw.
    template <class Publish>
    bool maybe_save(Publish&& publish) {
        if (REPRISE_UNLIKELY(detail::g_pending.load(std::memory_order_relaxed) != 0)) {
            publish();
            return handle_requests();
        }
        return false;
    }

    /// Saves now, unconditionally, and durably: a new generation replaces the older one
    /// only once it is on disk.
    /// @throws Error (operation, path, system error) on failure; the previous generation is
    ///         kept and no temporary file is left behind.
    void save();

    /// True once a stop signal (TERM, INT, USR2) has arrived. Signal-safe, thread-safe.
    bool stop_requested() const noexcept {
        return detail::g_stop_signal.load(std::memory_order_relaxed) != 0;
    }

    /// The computation is complete: removes this job's checkpoints, temporary file and lock
    /// file, then puts back the signal dispositions it replaced, so that a stop signal
    /// during the program's post-processing takes its usual effect. A stop signal that
    /// arrived before is honoured at the end of finish() (as `Options::on_stop` says; with
    /// `return`, the program reads `stop_requested()`). A run that neither restored nor
    /// saved removes nothing of an earlier run's: it says so on stderr and leaves them.
    /// Later saves are refused.
    /// @throws Error when a file cannot be removed, when the lock file was replaced by
    ///         another process's (nothing is removed then), or in a child made by fork().
    void finish();

    /// The options in force: the constructor's, overridden by the environment.
    const Options& options() const noexcept { return options_; }

    /// This job's key as it appears in file names: "local" by hand, else e.g. "slurm-42",
    /// "slurm-42_3" (array task), "sge-17.2".
    std::string job_key() const { return job_.key(); }

    /// The generation last saved or restored by this process; 0 when none.
    /// In background mode, a generation counts once it is durable. Thread-safe.
    std::uint64_t generation() const noexcept;

    /// The path of generation `g`'s file (whether or not it exists).
    std::string path_of_generation(std::uint64_t g) const;

    /// Asks for a save at the next `maybe_save()`, as SIGUSR1 does. Signal-safe.
    void request_save() noexcept {
        detail::g_save_reasons.fetch_or(detail::kSaveByRequest, std::memory_order_relaxed);
        detail::g_pending.fetch_or(detail::kSaveRequested, std::memory_order_relaxed);
    }

    // ---- The seam of coordination layers (reprise/mpi.hpp); not for programs. ---------
    // A layer that agrees among processes on when to save and which generation counts
    // drives the store's two-phase saves and restores exactly the generation agreed on;
    // everything else it leaves to the public members above.

    /// For a coordination layer: the constructor of one process's Checkpointer.
    Checkpointer(Options options, detail::Coordinated how);

    /// For a coordination layer: the job's generations (no save is in flight under one).
    detail::GenerationStore& store();

    /// For a coordination layer: which job this is, from the environment.
    const detail::JobIdentity& job() const noexcept { return job_; }

    /// For a coordination layer: a synchronous save as generation `g`, the number the
    /// processes agreed on; then `store().confirm(g)` or `store().discard(g)`. `trigger`
    /// says what asked for it, in the lines of a slow save ("SIGUSR1", "save()", ...).
    /// Returns the file's size.
    /// @throws Error as save() does; nothing is left to discard then.
    std::uint64_t save_as(std::uint64_t g, const std::string& trigger = "save()");

    /// For a coordination layer: the size and time of the last generation loaded.
    detail::LoadReport last_load() const noexcept { return last_load_; }

    /// For a coordination layer: the restore policy's answer, `exists` saying whether a
    /// checkpoint of the job exists.
    bool restore_wanted(bool exists) const noexcept;

    /// For a coordination layer: a restore begins; nothing more may be tracked.
    void begin_restore() noexcept { variables_.seal(); }

    /// For a coordination layer: loads exactly generation `g`, from the fast tier or,
    /// with `persistent`, from the persistent tier's copy. False, with the file and the
    /// reason in `why`, when that file is missing, damaged or another job's.
    /// @throws Error when the variables differ from the tracked ones (as restore()).
    bool restore_generation(std::uint64_t g, std::string& why, bool persistent = false);

    /// For a coordination layer: the persistent tier (nullptr: none), once no save is in
    /// flight. Its copies are started by copy_to_persistent(), never by save_as().
    detail::PersistentTier* persistent_tier();

    /// For a coordination layer: generation `g` is committed by every process; copy it to
    /// the persistent tier, if any, as Options::persist_every says (`always`: whatever it
    /// says, as for a stop signal's save). Never throws: a copy that cannot start is said.
    void copy_to_persistent(std::uint64_t g, bool always);

    /// For a coordination layer: a failed save is tried again an interval later.
    void rearm_timer();

    /// For a coordination layer: stops as `Options::on_stop` says, after the save a stop
    /// signal asked for (`saved`: whether it succeeded).
    void stop(bool saved);

    /// For a coordination layer, under `StopAction::requeue`: asks the scheduler now to
    /// requeue the job (in the process made with `Coordinated::requeues`; elsewhere does
    /// nothing), so that the other processes can wait for it before they end; `stop()` then
    /// reports the outcome and does not ask again. Never throws: a failure is reported by
    /// `stop()`.
    void requeue_before_stop(bool saved);

    /// For a coordination layer: finish() was called.
    bool finished() const noexcept { return finished_; }

private:
    std::string how_to_resume() const;

    // The store for a save (`what`), after the checks every save makes.
    detail::GenerationStore& store_for(const char* what);

    // Loads generation `g` into the tracked variables and logs the restore line, after a
    // warning listing the newer generations `rejected` holds. Returns false, with
    // "\n  <path>: <why>" appended to `rejected`, when that file is missing, damaged or
    // another job's. @throws Error when the variables differ (VariableSet::load).
    bool load_generation(std::uint64_t g, std::string& rejected);

    // As load_generation(g, rejected), from the store `from`: the fast tier's or the
    // persistent tier's (its line names the tier).
    bool load_generation(detail::GenerationStore& from, std::uint64_t g, std::string& rejected);

    detail::Header new_header(std::uint64_t generation) const;

    // A synchronous save's file: the payload streamed into it at its page-aligned offset,
    // checksummed on the way, no copy of the state in memory; then its tail and head.
    // `trigger` is what asked for the save, for the lines of a slow one.
    std::uint64_t write_file(detail::FileSink& sink, std::uint64_t generation,
                             const std::string& trigger);

    // A synchronous save, asked for by `trigger` ("save()", "SIGUSR1", ...); `stopping`:
    // a stop signal's, always copied to the persistent tier.
    void save_for(const std::string& trigger, bool stopping = false);

    bool handle_requests();

    // A trigger in background mode: snapshot and hand over to the writer thread, or,
    // while one is still writing, remember the trigger (at most one save in flight).
    // `reasons`: the kSaveBy* bits of the request.
    bool save_in_background(unsigned reasons);

    // Waits for the background save in flight, if any, and reports its failure.
    // Returns false when it failed.
    bool wait_for_writer() noexcept;

    // A stop signal that arrived and that no poll acted on (it came after the last poll,
    // or during finish()): honoured once reprise has let go of everything.
    void honour_unhandled_stop();

    void uninstall_signal_handlers() noexcept;

    // fork() copies this object into the child, but not its threads, and the child's
    // copy of the lock descriptor is closed (fork.hpp): it must not save, remove, join.
    bool in_forked_child() const noexcept;

    void refuse_in_child(const char* what) const;

    // The child's end of an inherited Checkpointer: its threads and lock are the parent's.
    void abandon() noexcept;

    static std::string program_name();

    // Before a process ends by a signal or exit: no thread may be left running.
    void release_for_exit() noexcept;

    void release() noexcept;

    Options options_;
    detail::JobIdentity job_;
    std::string host_;
    detail::VariableSet variables_;
    std::unique_ptr<detail::BackgroundWriter> writer_; // owns the generation store
    std::unique_ptr<detail::SignalHandlers> signals_;
    std::unique_ptr<detail::IntervalTimer> timer_;
    // Where a synchronous save gathers small values before they are written; kept.
    static constexpr std::size_t kSaveBufferSize = std::size_t(1) << 20;
    std::unique_ptr<char[]> save_buffer_;
    std::uint64_t last_file_bytes_ = 0; // this run's last save, the estimate of the next
    detail::LoadReport last_load_;
    bool finished_ = false;
    pid_t owner_pid_ = 0;        // the process that made this object (fork.hpp)
    bool stop_honoured_ = false; // a poll (or finish) acted on the stop signal
    // StopAction::requeue: how (detail/requeue.hpp), whether this process asks (rank 0
    // under MPI), and, once it asked, what stop() says about it.
    detail::RequeuePlan requeue_;
    bool requeues_ = true;
    bool requeue_asked_ = false;
    std::string requeue_outcome_;
};

} // namespace reprise

// The members' definitions: inline here by default, compiled once in the file that
// includes <reprise/impl.hpp> under REPRISE_SEPARATE_COMPILATION (detail/config.hpp).
#if !defined(REPRISE_SEPARATE_COMPILATION)
#include "reprise/detail/checkpointer_impl.hpp"
#endif

#endif
