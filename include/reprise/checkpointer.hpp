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
#include "reprise/detail/environment.hpp"
#include "reprise/detail/format_writer.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/restore_policy.hpp"
#include "reprise/detail/signals.hpp"
#include "reprise/detail/timer.hpp"
#include "reprise/detail/unlikely.hpp"
#include "reprise/detail/variables.hpp"
#include "reprise/detail/writer.hpp"
#include "reprise/error.hpp"
#include "reprise/options.hpp"
#include "reprise/track_flags.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include <climits>
#include <unistd.h>

namespace reprise {

namespace detail {
// How a coordination layer (reprise/mpi.hpp) makes the Checkpointer of one process: a
// part appended to the name once the environment was applied, so that REPRISE_NAME
// cannot erase it (".rank3": each rank its own files and lock); and saves always
// synchronous (a background save cannot take part in a two-phase commit), with
// `sync_note` said on stderr when the options asked for background ones ("" : nothing).
struct Coordinated {
    std::string suffix;
    std::string sync_note;
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
    ~Checkpointer() {
        if (in_forked_child()) {
            abandon();
            return;
        }
        release();
        honour_unhandled_stop();
    }

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
    bool restore() {
        if (variables_.sealed()) throw Error("reprise: restore() was already called");
        variables_.seal();
        wait_for_writer(); // a background save started by an early poll keeps the books
        const detail::GenerationStore& store = writer_->store();
        const bool exists = !store.generations().empty();
        if (!restore_wanted(exists)) {
            if (exists)
                detail::log_line("reprise: warning: starting fresh (" +
                                 detail::why_fresh(options_.restore, job_) + ") although " +
                                 store.directory().path() + " holds " +
                                 store.describe_generations() + " of " + store.describe_job() +
                                 "; this run's first save supersedes them (" + how_to_resume() + ")");
            return false;
        }
        if (!exists) {
            if (job_.restart_known && job_.restart)
                detail::log_line("reprise: this run is a restart (" + job_.restart_reason +
                                 ") but " + store.directory().path() + " holds no checkpoint of " +
                                 store.describe_job() + ": starting fresh");
            return false;
        }
        std::string rejected;
        const auto& generations = store.generations();
        for (auto it = generations.rbegin(); it != generations.rend(); ++it)
            if (load_generation(*it, rejected)) return true;
        throw Error("reprise: restore: no valid checkpoint of " + store.describe_job() + " in " +
                    store.directory().path() + ":" + rejected,
                    ErrorKind::corrupt);
    }

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
    void save() {
        detail::GenerationStore& store = store_for("save()");
        const std::uint64_t g = store.take_next();
        store.commit(g, [&](detail::FileSink& sink) { return write_file(sink, g); });
        timer_->rearm();
    }

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
    void finish() {
        refuse_in_child("finish()");
        if (finished_) return;
        wait_for_writer();
        detail::GenerationStore& store = writer_->store();
        store.verify_lock();
        finished_ = true;
        timer_->stop();
        store.remove_all(how_to_resume());
        uninstall_signal_handlers();
        honour_unhandled_stop();
    }

    /// The options in force: the constructor's, overridden by the environment.
    const Options& options() const noexcept { return options_; }

    /// This job's key as it appears in file names: "local" by hand, else e.g. "slurm-42",
    /// "slurm-42_3" (array task), "sge-17.2".
    std::string job_key() const { return job_.key(); }

    /// The generation last saved or restored by this process; 0 when none.
    /// In background mode, a generation counts once it is durable. Thread-safe.
    std::uint64_t generation() const noexcept { return writer_->last_generation(); }

    /// The path of generation `g`'s file (whether or not it exists).
    std::string path_of_generation(std::uint64_t g) const { return writer_->path_of(g); }

    /// Asks for a save at the next `maybe_save()`, as SIGUSR1 does. Signal-safe.
    void request_save() noexcept {
        detail::g_pending.fetch_or(detail::kSaveRequested, std::memory_order_relaxed);
    }

    // ---- The seam of coordination layers (reprise/mpi.hpp); not for programs. ---------
    // A layer that agrees among processes on when to save and which generation counts
    // drives the store's two-phase saves and restores exactly the generation agreed on;
    // everything else it leaves to the public members above.

    /// For a coordination layer: the constructor of one process's Checkpointer.
    Checkpointer(Options options, detail::Coordinated how) {
        bool expected = false;
        if (!detail::g_instance_alive.compare_exchange_strong(expected, true))
            throw Error("reprise: a Checkpointer is already alive in this process; "
                        "destroy it before creating another");
        try {
            owner_pid_ = ::getpid();
            options_ = std::move(options);
            detail::apply_environment(options_);
            detail::check_options(options_);
            if (options_.name.empty()) options_.name = program_name();
            options_.name += how.suffix;
            if (!how.suffix.empty() && options_.mode == SaveMode::background) {
                options_.mode = SaveMode::sync;
                if (!how.sync_note.empty()) detail::log_line(how.sync_note);
            }
            job_ = detail::job_from_environment(options_.job);
            host_ = host_name();
            writer_ = std::make_unique<detail::BackgroundWriter>(detail::StoreIdentity{
                options_.directory, options_.name, job_.key(), host_, options_.quiet});
            detail::g_pending.store(0);
            detail::g_stop_signal.store(0);
            if (options_.handle_signals) {
                signals_ = std::make_unique<detail::SignalHandlers>();
                detail::g_signal_handlers.store(signals_.get());
            }
            timer_ = std::make_unique<detail::IntervalTimer>(options_.interval);
        } catch (...) {
            release();
            throw;
        }
    }

    /// For a coordination layer: the job's generations (no save is in flight under one).
    detail::GenerationStore& store() { return writer_->store(); }

    /// For a coordination layer: which job this is, from the environment.
    const detail::JobIdentity& job() const noexcept { return job_; }

    /// For a coordination layer: a synchronous save as generation `g`, the number the
    /// processes agreed on; then `store().confirm(g)` or `store().discard(g)`.
    /// @throws Error as save() does; nothing is left to discard then.
    void save_as(std::uint64_t g) {
        store_for("save()").save_as(g, [&](detail::FileSink& sink) { return write_file(sink, g); });
        timer_->rearm();
    }

    /// For a coordination layer: the restore policy's answer, `exists` saying whether a
    /// checkpoint of the job exists.
    bool restore_wanted(bool exists) const noexcept {
        return detail::restore_wanted(options_.restore, job_, exists);
    }

    /// For a coordination layer: a restore begins; nothing more may be tracked.
    void begin_restore() noexcept { variables_.seal(); }

    /// For a coordination layer: loads exactly generation `g`. False, with the file and
    /// the reason in `why`, when that file is missing, damaged or another job's.
    /// @throws Error when the variables differ from the tracked ones (as restore()).
    bool restore_generation(std::uint64_t g, std::string& why) {
        variables_.seal();
        why.clear();
        if (load_generation(g, why)) return true;
        why.erase(0, 3); // "\n  " before "<path>: <reason>"
        return false;
    }

    /// For a coordination layer: a failed save is tried again an interval later.
    void rearm_timer() {
        if (timer_) timer_->rearm();
    }

    /// For a coordination layer: stops as `Options::on_stop` says, after the save a stop
    /// signal asked for (`saved`: whether it succeeded).
    void stop(bool saved) {
        stop_honoured_ = true;
        const int sig = detail::g_stop_signal.load(std::memory_order_relaxed);
        const std::string what = std::string("reprise: stopping on ") + signal_name(sig) +
                                 (saved || finished_ ? "" : " although the save failed");
        switch (options_.on_stop) {
        case StopAction::return_to_caller:
            return;
        case StopAction::exit:
            detail::log_line(what + ", exit status " + std::to_string(options_.exit_status));
            release_for_exit();
            std::exit(options_.exit_status);
        case StopAction::reraise:
            detail::log_line(what);
            release_for_exit();
            // A death by signal flushes no stdio buffer: the program's redirected output
            // would end without its last lines.
            detail::flush_standard_streams();
            detail::die_by_signal(sig);
        }
    }

    /// For a coordination layer: finish() was called.
    bool finished() const noexcept { return finished_; }

private:
    std::string how_to_resume() const { return detail::how_to_resume(options_.restore, job_); }

    // The store for a save (`what`), after the checks every save makes.
    detail::GenerationStore& store_for(const char* what) {
        refuse_in_child(what);
        if (finished_) throw Error(std::string("reprise: ") + what + " after finish()");
        wait_for_writer();
        return writer_->store();
    }

    // Loads generation `g` into the tracked variables and logs the restore line, after a
    // warning listing the newer generations `rejected` holds. Returns false, with
    // "\n  <path>: <why>" appended to `rejected`, when that file is missing, damaged or
    // another job's. @throws Error when the variables differ (VariableSet::load).
    bool load_generation(std::uint64_t g, std::string& rejected) {
        detail::GenerationStore& store = writer_->store();
        const std::string path = store.path_of(g);
        const auto start = std::chrono::steady_clock::now();
        detail::VerifiedCheckpoint file;
        std::string why;
        if (!store.open(g, file, why) || !variables_.load(file, path, why)) {
            rejected += "\n  " + path + ": " + why;
            return false;
        }
        store.restored(g);
        if (!rejected.empty())
            detail::log_line("reprise: warning: restoring the older generation " +
                             std::to_string(g) + "; rejected:" + rejected);
        if (!options_.quiet)
            detail::log_line("reprise: restored generation " + std::to_string(g) + " (" +
                             detail::human_bytes(file.file_size) + ", " +
                             detail::human_rate(file.file_size, detail::seconds_since(start)) +
                             ") from " + path + variables_.restore_note() +
                             detail::how_to_start_afresh(options_.restore, job_));
        return true;
    }

    detail::Header new_header(std::uint64_t generation) const {
        detail::Header header;
        header.generation = generation;
        header.time_ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());
        header.pid = static_cast<std::uint32_t>(::getpid());
        header.host = host_;
        header.job_key = job_.key();
        header.name = options_.name;
        header.scheduler = job_.scheduler;
        variables_.describe(header);
        return header;
    }

    // A synchronous save's file: the payload streamed into it at its page-aligned offset,
    // checksummed on the way, no copy of the state in memory; then its tail and head.
    std::uint64_t write_file(detail::FileSink& sink, std::uint64_t generation) {
        detail::Header header = new_header(generation);
        const std::uint64_t payload_offset = detail::payload_offset_for(header);
        if (!save_buffer_) save_buffer_.reset(new char[kSaveBufferSize]);
        detail::PayloadSink payload(sink, payload_offset, save_buffer_.get(), kSaveBufferSize);
        variables_.serialize(payload, header);
        const std::uint64_t payload_size = payload.size();
        const std::uint64_t checksum = payload.finish();
        return detail::write_file_tail(sink, header, payload_offset, payload_size, checksum);
    }

    bool handle_requests() {
        const unsigned requests = detail::g_pending.exchange(0, std::memory_order_acquire);
        if (requests == 0) return false;
        if (writer_->ended()) wait_for_writer();
        bool saved = false;
        const bool stopping = (requests & detail::kStopRequested) != 0;
        if (!finished_ && (stopping || (requests & detail::kSaveRequested))) {
            try {
                if (options_.mode == SaveMode::background && !stopping) {
                    saved = save_in_background();
                } else {
                    // A stop waits for the save in flight, then saves durably itself.
                    save();
                    saved = true;
                }
            } catch (const std::exception& e) {
                timer_->rearm(); // a failed periodic save is tried again an interval later
                detail::log_line(std::string(e.what()) + "; the computation goes on, " +
                                 writer_->store().kept_generation());
            }
        }
        if (stopping) stop(saved);
        return saved;
    }

    // A trigger in background mode: snapshot and hand over to the writer thread, or,
    // while one is still writing, remember the trigger (at most one save in flight).
    bool save_in_background() {
        if (writer_->defer_if_busy()) return false;
        wait_for_writer();
        const std::uint64_t g = writer_->store().take_next();
        detail::Header header = new_header(g);
        writer_->take_snapshot([&](auto& sink) { variables_.serialize(sink, header); });
        writer_->launch(g, std::move(header), [this] { timer_->rearm(); });
        return true;
    }

    // Waits for the background save in flight, if any, and reports its failure.
    // Returns false when it failed.
    bool wait_for_writer() noexcept {
        if (!writer_) return true;
        const std::string error = writer_->take_error();
        if (error.empty()) return true;
        if (timer_) timer_->rearm(); // a failed periodic save is tried again an interval later
        detail::log_line(error + "; the computation goes on, " + writer_->store().kept_generation());
        return false;
    }

    // A stop signal that arrived and that no poll acted on (it came after the last poll,
    // or during finish()): honoured once reprise has let go of everything.
    void honour_unhandled_stop() {
        const int sig = detail::g_stop_signal.load();
        if (sig == 0 || stop_honoured_ || options_.on_stop == StopAction::return_to_caller)
            return;
        stop_honoured_ = true;
        uninstall_signal_handlers();
        const std::string what = std::string("reprise: stopping on ") + signal_name(sig) +
                                 " that arrived after the last poll";
        if (options_.on_stop == StopAction::exit) {
            detail::log_line(what + ", exit status " + std::to_string(options_.exit_status));
            std::exit(options_.exit_status);
        }
        detail::log_line(what);
        detail::flush_standard_streams();
        detail::die_by_signal(sig);
    }

    void uninstall_signal_handlers() noexcept {
        if (!signals_) return;
        detail::SignalHandlers* expected = signals_.get();
        detail::g_signal_handlers.compare_exchange_strong(expected, nullptr);
        signals_.reset();
    }

    // fork() copies this object into the child, but not its threads, and the child's
    // copy of the lock descriptor is closed (fork.hpp): it must not save, remove, join.
    bool in_forked_child() const noexcept { return owner_pid_ != 0 && ::getpid() != owner_pid_; }

    void refuse_in_child(const char* what) const {
        if (in_forked_child())
            throw Error(std::string("reprise: ") + what + " in a child made by fork(): this "
                        "Checkpointer belongs to process " + std::to_string(owner_pid_) +
                        "; a child that must save makes a Checkpointer of its own");
    }

    // The child's end of an inherited Checkpointer: its threads and lock are the parent's.
    void abandon() noexcept {
        if (writer_) writer_.release()->abandon();
        (void)timer_.release();
        (void)signals_.release();
    }

    static const char* signal_name(int sig) {
        switch (sig) {
        case SIGTERM: return "SIGTERM";
        case SIGINT: return "SIGINT";
        case SIGUSR2: return "SIGUSR2";
        default: return "a signal";
        }
    }

    static std::string program_name() {
#if defined(__GLIBC__)
        if (program_invocation_short_name && *program_invocation_short_name)
            return program_invocation_short_name;
#endif
        return "program";
    }

    static std::string host_name() {
        char buffer[HOST_NAME_MAX + 1] = {0};
        if (::gethostname(buffer, sizeof buffer - 1) != 0) return "unknown-host";
        return buffer;
    }

    // Before a process ends by a signal or exit: no thread may be left running.
    void release_for_exit() noexcept {
        wait_for_writer(); // a save in flight is worth finishing
        if (timer_) timer_->stop();
        if (writer_) writer_->store().finish_cleanup();
        uninstall_signal_handlers();
    }

    void release() noexcept {
        release_for_exit();
        timer_.reset();
        writer_.reset(); // the store: its lock and directory
        detail::g_instance_alive.store(false);
    }

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
    bool finished_ = false;
    pid_t owner_pid_ = 0;        // the process that made this object (fork.hpp)
    bool stop_honoured_ = false; // a poll (or finish) acted on the stop signal
};

} // namespace reprise

#endif
