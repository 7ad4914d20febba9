// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_CHECKPOINTER_HPP
#define REPRISE_CHECKPOINTER_HPP

#include "reprise/archive.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/environment.hpp"
#include "reprise/detail/fork.hpp"
#include "reprise/detail/format.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/lock.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/signals.hpp"
#include "reprise/detail/timer.hpp"
#include "reprise/detail/type_name.hpp"
#include "reprise/error.hpp"
#include "reprise/options.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <istream>
#include <iterator>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <climits>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define REPRISE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define REPRISE_UNLIKELY(x) (x)
#endif

namespace reprise {

namespace detail {
// The coordination layers (reprise/mpi.hpp) reach the private members of Checkpointer
// through this struct, which they define; the public API stays as it is.
struct Coordination;
// A part appended to the checkpoint's name after the environment was applied, so that
// REPRISE_NAME cannot erase it (e.g. ".rank3": each MPI rank its own files and lock).
struct NameSuffix {
    std::string text;
};
} // namespace detail

/// What `restore()` accepts of a tracked variable besides the exact match it requires by
/// default: flags for `Checkpointer::track(name, var, flags)`, combined with `|`.
/// README.md, "Changing a program between runs".
enum class TrackFlags : unsigned {
    /// The checkpoint holds the variable, saved as the same type (what `track(name, var)`
    /// asks).
    exact = 0,
    /// The checkpoint may hold the variable saved as another type: it is loaded as the
    /// type tracked now, whose cereal `load` must read the bytes the old type saved (an
    /// intended change, such as `std::vector<float>` to a class that reads it). The type
    /// is still recorded in every save.
    any_type = 1u << 0,
    /// The checkpoint may lack the variable (the program gained it since): the variable
    /// then keeps the value it has, and the restore's line on stderr says so.
    new_variable = 1u << 1,
};

/// Both flags: `reprise::any_type | reprise::new_variable`.
constexpr TrackFlags operator|(TrackFlags a, TrackFlags b) noexcept {
    return static_cast<TrackFlags>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}

/// `TrackFlags::any_type`: `ckpt.track("field", field, reprise::any_type)`.
inline constexpr TrackFlags any_type = TrackFlags::any_type;

/// `TrackFlags::new_variable`: `ckpt.track("x", x, reprise::new_variable)`.
inline constexpr TrackFlags new_variable = TrackFlags::new_variable;

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
    explicit Checkpointer(Options options)
        : Checkpointer(std::move(options), detail::NameSuffix{}) {}

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
        return track(std::move(name), var, TrackFlags::exact);
    }

    /// As `track(name, var)`, and `flags` say what else `restore()` accepts for this
    /// variable: `reprise::any_type` (saved as another type: loaded as `T` all the same),
    /// `reprise::new_variable` (not in the checkpoint: keeps its value), or both.
    /// @throws Error for an empty or duplicate name, or after `restore()` was called.
    template <class T>
    Checkpointer& track(std::string name, T& var, TrackFlags flags) {
        if (name.empty()) throw Error("reprise: track(): a variable needs a non-empty name");
        if (restore_called_)
            throw Error("reprise: track(\"" + name +
                        "\") after restore(): register every variable before restoring");
        for (const auto& v : variables_)
            if (v.name == name)
                throw Error("reprise: track(\"" + name + "\"): a variable of that name is "
                            "already tracked");
        T* p = &var;
        variables_.push_back(Variable{std::move(name), detail::type_name<T>(), flags,
                                      [p](OutputArchive& ar) { ar(*p); },
                                      [p](InputArchive& ar) { ar(*p); }});
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
        static_assert(std::is_arithmetic<T>::value || std::is_constructible<std::string, const T&>::value,
                      "reprise: parameter() takes an integer, a floating-point number, a bool "
                      "or a string");
        detail::ParameterEntry entry;
        if constexpr (std::is_same<T, bool>::value) {
            entry.kind = detail::ParameterKind::boolean;
            entry.value = value ? "true" : "false";
        } else if constexpr (std::is_integral<T>::value) {
            entry.kind = detail::ParameterKind::integer;
            entry.value = std::to_string(value);
        } else if constexpr (std::is_floating_point<T>::value) {
            entry.kind = detail::ParameterKind::floating;
            char text[32];
            std::snprintf(text, sizeof text, "%.17g", static_cast<double>(value)); // round-trips
            entry.value = text;
        } else {
            entry.kind = detail::ParameterKind::string;
            entry.value = std::string(value);
        }
        entry.name = std::move(name);
        add_parameter(std::move(entry));
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
        if (restore_called_) throw Error("reprise: restore() was already called");
        restore_called_ = true;
        wait_for_writer(); // a background save started by an early poll keeps the books
        const bool exists = !on_disk_.empty();
        if (!restore_wanted(exists)) {
            if (exists) announce_fresh_start();
            return false;
        }
        if (!exists) {
            if (job_.restart_known && job_.restart)
                detail::log_line("reprise: this run is a restart (" + job_.restart_reason +
                                 ") but " + dir_->path() + " holds no checkpoint of " +
                                 describe_job() + ": starting fresh");
            return false;
        }
        std::string rejected;
        for (auto it = on_disk_.rbegin(); it != on_disk_.rend(); ++it) {
            if (load_generation(*it, rejected)) return true;
        }
        throw Error("reprise: restore: no valid checkpoint of " + describe_job() + " in " +
                    dir_->path() + ":" + rejected);
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
    /// compiler stores and reloads it every iteration around the poll's possible call:
    /// on a 1-cycle loop, 1.1-3.0x the loop without the poll (bench_reprise, an Intel
    /// Xeon VM, from run to run), against 0.95-1.13x with the locals published only when
    /// a save is due.
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
        refuse_in_child("save()");
        if (finished_) throw Error("reprise: save() after finish()");
        wait_for_writer();
        check_generation_left();
        const std::uint64_t generation = next_generation_++;
        commit(generation, [&](detail::FileSink& sink) { return write_checkpoint(sink, generation); });
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
        lock_->verify(*dir_);
        finished_ = true;
        timer_->stop();
        finish_cleanup();
        remove_stale_temporaries(); // and scans this job's generations
        if (!owns_generations_ && !on_disk_.empty()) {
            detail::log_line("reprise: finished, but this run neither restored nor saved: "
                             "left " + describe_generations() + " of an earlier run of " +
                             describe_job() + " in " + dir_->path() + " (" +
                             how_to_resume() + ")");
        } else {
            for (std::uint64_t g : on_disk_) dir_->remove(file_name(g));
            on_disk_.clear();
        }
        dir_->remove(lock_->file_name());
        dir_->sync();
        if (!options_.quiet && owns_generations_)
            detail::log_line("reprise: finished; removed the checkpoints of " + describe_job() +
                             " from " + dir_->path());
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
    std::uint64_t generation() const noexcept { return last_generation_.load(); }

    /// The path of generation `g`'s file (whether or not it exists).
    std::string path_of_generation(std::uint64_t g) const { return dir_->path_of(file_name(g)); }

    /// Asks for a save at the next `maybe_save()`, as SIGUSR1 does. Signal-safe.
    void request_save() noexcept {
        detail::g_pending.fetch_or(detail::kSaveRequested, std::memory_order_relaxed);
    }

private:
    friend struct detail::Coordination;

    // The public constructor's work, with a part appended to the name once the
    // environment was applied (see detail::NameSuffix).
    Checkpointer(Options options, detail::NameSuffix suffix) {
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
            options_.name += suffix.text;
            job_ = detail::job_from_environment(options_.job);
            host_ = host_name();
            stem_ = detail::file_safe(options_.name) + "." + detail::file_safe(job_.key());
            dir_ = std::make_unique<detail::Directory>(options_.directory);
            check_file_names();
            detail::install_fork_handler();
            lock_ = std::make_unique<detail::JobLock>(*dir_, stem_ + ".lock",
                                                      options_.name + " (" + job_.key() + ")",
                                                      host_);
            remove_stale_temporaries(); // and scans this job's generations
            next_generation_ = newest_named_ + 1;
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

    // ---- what a coordination layer (reprise/mpi.hpp) needs: a save as a generation
    // agreed among processes, which becomes the fallback only once every process has
    // it (two-phase commit: save_as, then confirm or discard), and a restore of exactly
    // the generation they agreed on. None of it changes what the public members do.

    // The number the next save would take: one more than any generation on disk or
    // saved by this process.
    std::uint64_t next_generation() const noexcept { return next_generation_; }

    // A synchronous save as generation `g` (>= next_generation()). The generation kept
    // as the fallback while it is written is the last one committed (see fallback_);
    // a generation of an earlier run that this one did not restore is kept, too, until
    // confirm(g). @throws Error as save() does; nothing is left to discard then.
    void save_as(std::uint64_t g) {
        refuse_in_child("save()");
        if (finished_) throw Error("reprise: save() after finish()");
        wait_for_writer();
        if (g < next_generation_)
            throw Error("reprise: save of generation " + std::to_string(g) +
                        ": generation numbers only grow, the next one is " +
                        std::to_string(next_generation_));
        coordinated_ = true;
        committed_before_ = last_generation_.load();
        next_generation_ = g + 1;
        commit(g, [&](detail::FileSink& sink) { return write_checkpoint(sink, g); });
    }

    // Every process has generation `g`: the generation of an earlier run that it
    // supersedes may go now.
    void confirm(std::uint64_t g) {
        if (superseded_ != 0 && superseded_ != g) {
            on_disk_.erase(superseded_);
            start_cleanup({superseded_});
        }
        superseded_ = 0;
        fallback_ = 0;
    }

    // Generation `g`, saved by save_as(), is not committed (another process failed):
    // remove it, so that the last committed generation is the fallback again and the
    // recycling in commit() never takes it. Never throws: a file that cannot be removed
    // is reported and recycled by the next save (it is not the one commit() keeps).
    void discard(std::uint64_t g) noexcept {
        finish_cleanup();
        try {
            dir_->remove(file_name(g));
            dir_->sync();
            on_disk_.erase(g);
        } catch (const std::exception& e) {
            detail::log_line(std::string(e.what()) +
                             " (an uncommitted generation; the next save recycles it)");
        }
        last_generation_ = committed_before_;
        superseded_ = 0;
    }

    // The restore policy's answer, `exists` saying whether a checkpoint of this job
    // exists (PBS, which has no restart flag, restores then).
    bool restore_wanted(bool exists) const noexcept {
        switch (options_.restore) {
        case RestorePolicy::never: return false;
        case RestorePolicy::always: return true;
        case RestorePolicy::automatic: break;
        }
        return job_.restart_known ? job_.restart : exists;
    }

    // How a person resumes the checkpoints a fresh start found, for its messages.
    std::string how_to_resume() const {
        if (options_.restore == RestorePolicy::never)
            return "without REPRISE_RESTORE=never a rerun resumes them";
        if (job_.scheduler.empty() && !job_.named)
            return "a rerun without RESTARTED=0 resumes them";
        return "REPRISE_RESTORE=always resumes them; REPRISE_JOB names a chain of jobs";
    }

    // "generation 7 (saved 2 h ago on host h1)", or "generations 6 and 7 (...)": what the
    // directory holds of this job, for the messages of a run that does not resume it.
    std::string describe_generations() const {
        std::string what = on_disk_.size() == 1 ? "generation " : "generations ";
        for (auto it = on_disk_.begin(); it != on_disk_.end(); ++it)
            what += (it == on_disk_.begin() ? "" : std::next(it) == on_disk_.end() ? " and " : ", ") +
                    std::to_string(*it);
        detail::VerifiedCheckpoint newest;
        std::string why;
        if (detail::read_checkpoint(*dir_, file_name(*on_disk_.rbegin()), newest, why,
                                    detail::Verify::header_only)) {
            const double now = std::chrono::duration<double>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
            const double age = std::max(0.0, now - static_cast<double>(newest.header.time_ns) / 1e9);
            what += " (the newest saved " + detail::human_duration(age) + " ago on host " +
                    newest.header.host + " by pid " + std::to_string(newest.header.pid) + ")";
        } else {
            what += " (the newest unreadable: " + why + ")";
        }
        return what;
    }

    // A fresh start (the policy says so) that finds checkpoints of its own job: loudly,
    // since its first save will supersede them.
    void announce_fresh_start() const {
        const std::string why = options_.restore == RestorePolicy::never
                                    ? std::string("REPRISE_RESTORE=never")
                                    : job_.restart_reason;
        detail::log_line("reprise: warning: starting fresh (" + why + ") although " +
                         dir_->path() + " holds " + describe_generations() + " of " +
                         describe_job() + "; this run's first save supersedes them (" +
                         how_to_resume() + ")");
    }

    // Loads generation `g` into the tracked variables and logs the restore line, after a
    // warning listing the newer generations `rejected` holds. Returns false, with
    // "\n  <path>: <why>" appended to `rejected`, when that file is missing, damaged or
    // another job's. @throws Error when the variables differ (load_variables).
    bool load_generation(std::uint64_t g, std::string& rejected) {
        const std::string name = file_name(g);
        const auto start = std::chrono::steady_clock::now();
        detail::VerifiedCheckpoint file;
        std::string why;
        if (!detail::read_checkpoint(*dir_, name, file, why) || belongs_elsewhere(file, g, why) ||
            !load_variables(file, dir_->path_of(name), why)) {
            rejected += "\n  " + dir_->path_of(name) + ": " + why;
            return false;
        }
        last_generation_ = g;
        owns_generations_ = true;
        if (!rejected.empty())
            detail::log_line("reprise: warning: restoring the older generation " +
                             std::to_string(g) + "; rejected:" + rejected);
        if (!options_.quiet) {
            std::string line = "reprise: restored generation " + std::to_string(g) + " (" +
                               detail::human_bytes(file.file_size) + ", " +
                               detail::human_rate(file.file_size, seconds_since(start)) +
                               ") from " + dir_->path_of(name) + restore_note_;
            if (!job_.restart_known && options_.restore == RestorePolicy::automatic)
                line += job_.scheduler.empty() && !job_.named ? "; RESTARTED=0 starts afresh"
                                                              : "; REPRISE_RESTORE=never starts afresh";
            detail::log_line(line);
        }
        return true;
    }

    // Loads exactly generation `g` into the tracked variables. Returns false, with the
    // file and the reason in `why`, when that file is missing, damaged or another job's.
    // @throws Error when the variables differ from the tracked ones (as restore()).
    bool restore_generation(std::uint64_t g, std::string& why) {
        restore_called_ = true;
        why.clear();
        if (load_generation(g, why)) return true;
        why.erase(0, 3); // "\n  " before "<path>: <reason>"
        return false;
    }

    // The newest generation on disk older than `g`; 0 when none.
    std::uint64_t newest_before(std::uint64_t g) const {
        auto it = on_disk_.lower_bound(g);
        return it == on_disk_.begin() ? 0 : *std::prev(it);
    }

    struct Variable {
        std::string name;
        std::string type; // detail::type_name<T>(), recorded in every save
        TrackFlags flags;
        std::function<void(OutputArchive&)> save;
        std::function<void(InputArchive&)> load;
    };

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

    static double seconds_since(std::chrono::steady_clock::time_point start) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    std::string describe_job() const {
        return "job " + job_.key() + " of checkpoint '" + options_.name + "'";
    }

    std::string file_name(std::uint64_t generation) const {
        return detail::numbered_name(stem_, generation, ".ckpt");
    }

    // The generation number in "<stem>.<digits><suffix>", or 0 for any other name.
    std::uint64_t generation_of(const std::string& name, const std::string& suffix) const {
        return detail::generation_in_name(name, stem_, suffix);
    }

    template <class F>
    void for_each_file(F&& f) const {
        dir_->for_each_name(std::forward<F>(f));
    }

    // This job's generations: files named as ours and owned by this user. In a directory
    // others can write to, a file planted under one of our names (a generation's or a
    // temporary file's) is not ours to restore, to recycle or to remove (in a sticky
    // directory we could not even remove it, nor rename over it): it is named on stderr,
    // left alone, and numbered past (newest_named_), so that no save of ours needs its
    // name. Our own leftover temporary files (of a killed save) go in `stale`.
    void scan_generations(std::vector<std::string>* stale = nullptr) {
        on_disk_.clear();
        newest_named_ = 0;
        std::vector<std::string> foreign;
        for_each_file([&](const std::string& name) {
            std::uint64_t g = generation_of(name, ".ckpt");
            const bool temporary = g == 0;
            if (temporary) g = generation_of(name, ".ckpt.tmp");
            if (g == 0) return;
            struct stat st {};
            // A file that cannot be stat'ed counts as ours: its restore checks again.
            if (detail::sys::fstatat(dir_->fd(), name.c_str(), &st, "scanstat") == 0 &&
                st.st_uid != ::geteuid()) {
                foreign.push_back(dir_->path_of(name) + " (uid " + std::to_string(st.st_uid) + ")");
                newest_named_ = std::max(newest_named_, g);
            } else if (!temporary) {
                on_disk_.insert(g);
                newest_named_ = std::max(newest_named_, g);
            } else if (stale) {
                stale->push_back(name); // ours, of a killed save: removed, its number free
            }
        });
        for (const auto& f : foreign)
            detail::log_line("reprise: warning: ignoring " + f + ": named as a file of " +
                             describe_job() + " but owned by another user");
    }

    void remove_stale_temporaries() {
        std::vector<std::string> stale;
        scan_generations(&stale);
        for (const auto& name : stale) dir_->remove(name);
    }

    // Writes generation `generation` through `write_file` (which writes the whole file into
    // the sink and returns its size), durably, then keeps the books: at most two complete
    // generations, the older ones removed by the cleaner. Runs on the compute thread for a
    // synchronous save, on the writer thread for a background one; the compute thread
    // touches none of this state while a writer runs (it waits for it first).
    void commit(std::uint64_t generation,
                const std::function<std::uint64_t(detail::FileSink&)>& write_file) {
        const std::string name = file_name(generation);
        const auto start = std::chrono::steady_clock::now();
        // The generation we keep as the fallback: our own last one, or, before our first
        // save, the newest one found on disk. Everything older goes now, so that at most
        // two complete generations ever exist: the newest of them becomes the new file
        // (its blocks overwritten, see open_recycled), any other is removed by the cleaner
        // while the new file is written.
        const std::uint64_t last = last_generation_.load();
        // Under coordination, before the first save, that is the last generation committed
        // by all processes (fallback_), which a process's newest file need not be.
        const std::uint64_t keep =
            last ? last
                 : fallback_ ? fallback_ : (on_disk_.empty() ? 0 : *on_disk_.rbegin());
        std::vector<std::uint64_t> doomed;
        for (std::uint64_t g : on_disk_)
            if (g != keep) doomed.push_back(g);
        // Nothing is overwritten unless this process still holds the job's lock file.
        lock_->verify(*dir_);
        // Generations of an earlier run that this one did not restore go with its first
        // save (or, under coordination, once every process has it): never silently.
        if (!owns_generations_ && !on_disk_.empty())
            detail::log_line("reprise: warning: this run did not restore " +
                             describe_generations() + " of an earlier run of " +
                             describe_job() + "; its first save, generation " +
                             std::to_string(generation) + ", supersedes them");
        std::vector<std::uint64_t> removed = doomed;
        std::string recycle;
        if (!removed.empty()) {
            recycle = file_name(removed.back());
            removed.pop_back();
        }
        std::uint64_t bytes = 0;
        try {
            start_cleanup(removed);
            detail::write_durably(*dir_, name, [&](detail::FileSink& sink) {
                bytes = write_file(sink);
                finish_cleanup(); // the older files must be gone before the rename
            }, recycle);
        } catch (...) {
            finish_cleanup();
            try {
                scan_generations(); // what is on disk now, whatever the failure left
            } catch (const std::exception& e) {
                detail::log_line(e.what()); // the save's own error is the one thrown
            }
            throw;
        }
        for (std::uint64_t g : doomed) on_disk_.erase(g);
        on_disk_.insert(generation);
        // A generation that is not this run's (found at start, never restored) is no
        // fallback for this computation: the first save supersedes it.
        // Under coordination it goes only once every process has the new one (confirm()).
        if (keep != 0 && keep != last) {
            if (coordinated_) {
                superseded_ = keep;
            } else {
                on_disk_.erase(keep);
                start_cleanup({keep});
            }
        }
        last_generation_ = generation;
        owns_generations_ = true;
        timer_->rearm();
        if (!options_.quiet)
            detail::log_line("reprise: saved generation " + std::to_string(generation) + " (" +
                             detail::human_bytes(bytes) + ", " +
                             detail::human_rate(bytes, seconds_since(start)) + ") to " +
                             dir_->path_of(name));
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
        for (const auto& v : variables_) header.variables.push_back({v.name, v.type, 0, 0});
        header.parameters = parameters_;
        return header;
    }

    // Serializes every tracked variable into `sink`, each as its own archive, recording
    // where each one starts and how long it is in `header`.
    template <class Sink>
    void serialize_variables(Sink& sink, detail::Header& header) {
        for (std::size_t i = 0; i < variables_.size(); ++i) {
            header.variables[i].offset = sink.size();
            {
                OutputArchive archive(sink);
                variables_[i].save(archive);
            }
            header.variables[i].size = sink.size() - header.variables[i].offset;
        }
    }

    // After the payload: the trailer, then the head that records each variable's size.
    // Returns the file's size.
    static std::uint64_t write_head_and_trailer(detail::FileSink& sink, const detail::Header& header,
                                                std::uint64_t payload_offset,
                                                std::uint64_t payload_size, std::uint64_t checksum) {
        const std::string trailer = detail::encode_trailer(checksum);
        sink.write_at(payload_offset + payload_size, trailer.data(), trailer.size());
        const std::string head = detail::encode_file_head(header, payload_size);
        sink.write_at(0, head.data(), head.size());
        return payload_offset + payload_size + trailer.size();
    }

    // The synchronous save: the payload streamed into the file at its page-aligned offset,
    // checksummed on the way; no copy of the state in memory.
    std::uint64_t write_checkpoint(detail::FileSink& sink, std::uint64_t generation) {
        detail::Header header = new_header(generation);
        const std::uint64_t payload_offset = detail::payload_offset_for(header);
        if (!save_buffer_) save_buffer_.reset(new char[kSaveBufferSize]);
        detail::PayloadSink payload(sink, payload_offset, save_buffer_.get(), kSaveBufferSize);
        serialize_variables(payload, header);
        const std::uint64_t payload_size = payload.size();
        const std::uint64_t checksum = payload.finish();
        return write_head_and_trailer(sink, header, payload_offset, payload_size, checksum);
    }

    // The background save's part on the compute thread: the state serialized into the
    // reused snapshot buffer. Its first time, a counting pass sizes the buffer exactly.
    detail::Header take_snapshot(std::uint64_t generation) {
        detail::Header header = new_header(generation);
        if (snapshot_.capacity() == 0) {
            detail::CountingSink counter;
            detail::Header scratch = header;
            serialize_variables(counter, scratch);
            snapshot_.reset(static_cast<std::size_t>(counter.size()));
        } else {
            snapshot_.reset(0);
        }
        serialize_variables(snapshot_, header);
        return header;
    }

    // Starts the writer thread that puts the snapshot on disk as `generation`.
    void launch_writer(std::uint64_t generation, detail::Header header) {
        writer_done_.store(false);
        writer_error_.clear();
        writer_ = detail::with_signals_blocked([&] {
            return std::thread([this, generation, header = std::move(header)] {
                try {
                    commit(generation, [&](detail::FileSink& sink) {
                        const std::uint64_t payload_offset = detail::payload_offset_for(header);
                        detail::PayloadSink payload(sink, payload_offset);
                        payload.write_block(snapshot_.data(),
                                            static_cast<std::size_t>(snapshot_.size()));
                        const std::uint64_t checksum = payload.finish();
                        return write_head_and_trailer(sink, header, payload_offset,
                                                      snapshot_.size(), checksum);
                    });
                } catch (const std::exception& e) {
                    writer_error_ = e.what();
                }
                writer_done_.store(true);
                // A trigger that came while this save was in flight is carried out now.
                if (deferred_.exchange(false)) detail::g_pending.fetch_or(detail::kSaveRequested);
                detail::g_pending.fetch_or(detail::kSaveFinished);
            });
        });
    }

    // Waits for the background save in flight, if any, and reports its failure.
    // Returns false when it failed.
    bool wait_for_writer() noexcept {
        if (!writer_.joinable()) return true;
        writer_.join();
        if (writer_error_.empty()) return true;
        if (timer_) timer_->rearm(); // a failed periodic save is tried again an interval later
        detail::log_line(writer_error_ + "; the computation goes on, " + kept_generation());
        writer_error_.clear();
        return false;
    }

    std::string kept_generation() const {
        const std::uint64_t last = last_generation_.load();
        return last ? "generation " + std::to_string(last) + " is kept"
                    : std::string("no checkpoint exists yet");
    }

    // A valid file that is not this job's generation `g` (copied or renamed here by hand).
    bool belongs_elsewhere(const detail::VerifiedCheckpoint& file, std::uint64_t g,
                           std::string& why) const {
        const auto& h = file.header;
        if (h.job_key != job_.key() || h.name != options_.name) {
            why = "belongs to job " + h.job_key + " of checkpoint '" + h.name + "', not to " +
                  describe_job();
            return true;
        }
        if (h.generation != g) {
            why = "holds generation " + std::to_string(h.generation) +
                  " but is named for generation " + std::to_string(g);
            return true;
        }
        return false;
    }

    static bool has(TrackFlags flags, TrackFlags flag) noexcept {
        return (static_cast<unsigned>(flags) & static_cast<unsigned>(flag)) != 0;
    }

    // parameter()'s checks, for every kind of value.
    void add_parameter(detail::ParameterEntry entry) {
        const std::string call = "reprise: parameter(\"" + entry.name + "\")";
        if (entry.name.empty()) throw Error("reprise: parameter(): a parameter needs a non-empty name");
        if (restore_called_)
            throw Error(call + " after restore(): record every parameter before restoring");
        for (const auto& p : parameters_)
            if (p.name == entry.name) throw Error(call + ": a parameter of that name is already recorded");
        parameters_.push_back(std::move(entry));
    }

    // Throws when the checkpoint's parameters differ from the ones recorded: each one that
    // differs, is missing or is extra, with both values.
    void check_parameters(const detail::Header& header, const std::string& path) const {
        std::string differ;
        auto add = [&](const std::string& text) { differ += (differ.empty() ? "" : "; ") + text; };
        for (const auto& p : parameters_) {
            const auto saved = std::find_if(header.parameters.begin(), header.parameters.end(),
                                            [&](const auto& e) { return e.name == p.name; });
            if (saved == header.parameters.end()) {
                add("'" + p.name + "' is " + detail::describe_value(p) +
                    " in this run and not in the checkpoint");
            } else if (saved->kind != p.kind || saved->value != p.value) {
                const bool kinds = saved->kind != p.kind;
                add("'" + p.name + "' was " + detail::describe_value(*saved) +
                    (kinds ? std::string(" (") + detail::kind_name(saved->kind) + ")" : "") +
                    " in the checkpoint, is " + detail::describe_value(p) +
                    (kinds ? std::string(" (") + detail::kind_name(p.kind) + ")" : "") +
                    " in this run");
            }
        }
        for (const auto& e : header.parameters) {
            const bool recorded = std::any_of(parameters_.begin(), parameters_.end(),
                                              [&](const auto& p) { return p.name == e.name; });
            if (!recorded)
                add("'" + e.name + "' was " + detail::describe_value(e) +
                    " in the checkpoint and this run does not record it");
        }
        if (!differ.empty())
            throw Error("reprise: restore " + path + ": the checkpoint was taken with other "
                        "parameters: " + differ + ". It belongs to another computation: to "
                        "start this one afresh, set REPRISE_RESTORE=never (its first save "
                        "supersedes the old checkpoint) or use another REPRISE_DIR");
    }

    // Loads the tracked variables from a verified file. False, with the reason in `why`,
    // when reading it failed: an I/O error is the file's fault, as in read_checkpoint, and
    // the caller falls back to an older generation, which assigns every variable again.
    // @throws Error when the variables, their types or the parameters differ, or when a
    //         variable does not decode (no fallback: a different program, not a damaged
    //         file).
    bool load_variables(const detail::VerifiedCheckpoint& file, const std::string& path,
                        std::string& why) {
        restore_note_.clear();
        // The same names on both sides, or no variable is touched: a different program's
        // checkpoint is not a corrupt file, and no older generation would fit better.
        // A variable tracked with reprise::new_variable may be missing: it keeps its value.
        std::string missing, extra, kept;
        std::size_t kept_count = 0;
        for (const auto& v : variables_) {
            const bool found = std::any_of(file.header.variables.begin(), file.header.variables.end(),
                                           [&](const auto& e) { return e.name == v.name; });
            if (found) continue;
            if (has(v.flags, TrackFlags::new_variable)) {
                kept += (kept.empty() ? "'" : ", '") + v.name + "'";
                ++kept_count;
            } else {
                missing += (missing.empty() ? "" : ", ") + v.name;
            }
        }
        for (const auto& e : file.header.variables) {
            const bool found = std::any_of(variables_.begin(), variables_.end(),
                                           [&](const auto& v) { return v.name == e.name; });
            if (!found) extra += (extra.empty() ? "" : ", ") + e.name;
        }
        if (!missing.empty() || !extra.empty())
            throw Error("reprise: restore " + path +
                        ": the checkpoint's variables differ from the program's; tracked but "
                        "not in the checkpoint: " + (missing.empty() ? "none" : missing) +
                        "; in the checkpoint but not tracked: " + (extra.empty() ? "none" : extra) +
                        (missing.empty() ? ""
                                         : ". A variable the program gained since the checkpoint "
                                           "can keep its value: track it with reprise::new_variable"));
        // The same types, where the file records them (format 2 on): a restore into another
        // type would misread the bytes, or worse, read them "successfully".
        if (file.format_version >= 2) {
            std::string changed;
            for (const auto& v : variables_) {
                if (has(v.flags, TrackFlags::any_type)) continue;
                const auto e = std::find_if(file.header.variables.begin(), file.header.variables.end(),
                                            [&](const auto& x) { return x.name == v.name; });
                if (e == file.header.variables.end() || e->type == v.type) continue;
                changed += (changed.empty() ? "" : "; ") + ("variable '" + v.name +
                           "' was saved as " + detail::demangle(e->type) +
                           ", the program tracks it as " + detail::demangle(v.type));
            }
            if (!changed.empty())
                throw Error("reprise: restore " + path + ": " + changed +
                            ". If the change is intended and the new type can load what the "
                            "old one saved, track the variable with reprise::any_type");
        }
        check_parameters(file.header, path);
        if (!kept.empty())
            restore_note_ = "; " + kept + " not in the checkpoint, kept " +
                            (kept_count == 1 ? "its value" : "their values");
        for (auto& v : variables_) {
            const auto found = std::find_if(file.header.variables.begin(), file.header.variables.end(),
                                            [&](const auto& x) { return x.name == v.name; });
            if (found == file.header.variables.end()) continue; // new_variable: keeps its value
            const auto& e = *found;
            detail::FileRangeSource source(file.file.get(), path, file.payload_offset + e.offset,
                                           e.size);
            try {
                InputArchive archive(source);
                v.load(archive);
            } catch (const Error&) {
                if (source.read_error().empty()) throw;
                why = "loading variable '" + v.name + "': " + source.read_error();
                return false;
            } catch (const std::exception& ex) {
                throw Error("reprise: restore " + path + ": variable '" + v.name +
                            "' could not be decoded (" + ex.what() +
                            "); is its type the one it was saved with?");
            }
            if (source.consumed() != e.size)
                throw Error("reprise: restore " + path + ": variable '" + v.name + "' used " +
                            std::to_string(source.consumed()) + " of its " +
                            std::to_string(e.size) +
                            " bytes; is its type the one it was saved with?");
        }
        return true;
    }

    bool handle_requests() {
        const unsigned requests = detail::g_pending.exchange(0, std::memory_order_acquire);
        if (requests == 0) return false;
        if (writer_.joinable() && writer_done_.load()) wait_for_writer();
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
                                 kept_generation());
            }
        }
        if (stopping) stop(saved);
        return saved;
    }

    // A trigger in background mode: snapshot and hand over to a writer thread, or, while
    // one is still writing, remember the trigger (at most one save in flight).
    bool save_in_background() {
        if (writer_.joinable()) {
            deferred_.store(true);
            if (!writer_done_.load()) return false;
            // The writer ended between the check above and the store. If it saw the
            // deferred trigger, the request it re-posted does the save at the next poll;
            // otherwise the trigger is ours to carry out now.
            if (!deferred_.exchange(false)) return false;
            wait_for_writer();
        }
        check_generation_left();
        const std::uint64_t generation = next_generation_++;
        launch_writer(generation, take_snapshot(generation));
        return true;
    }

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

    // A stop signal that arrived and that no poll acted on (it came after the last poll,
    // or during finish()): honoured once reprise has let go of everything.
    void honour_unhandled_stop() {
        const int sig = detail::g_stop_signal.load();
        if (sig == 0 || stop_honoured_ || options_.on_stop == StopAction::return_to_caller)
            return;
        stop_honoured_ = true;
        uninstall_signal_handlers();
        if (options_.on_stop == StopAction::exit) {
            detail::log_line(std::string("reprise: stopping on ") + signal_name(sig) +
                             " that arrived after the last poll, exit status " +
                             std::to_string(options_.exit_status));
            std::exit(options_.exit_status);
        }
        detail::log_line(std::string("reprise: stopping on ") + signal_name(sig) +
                         " that arrived after the last poll");
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

    // The child's end of an inherited Checkpointer: the threads it names run only in the
    // parent (joining them would wait forever) and the lock descriptor is already closed,
    // so their handles are let go of without a system call. Memory is all this leaks.
    void abandon() noexcept {
        for (std::thread* t : {&writer_, &cleaner_})
            if (t->joinable()) new std::thread(std::move(*t));
        (void)timer_.release();
        (void)lock_.release();
        (void)signals_.release();
    }

    // Generations are numbered from the files on disk: one named with the last number
    // there is (only a stray file can be) leaves none for the next save.
    void check_generation_left() const {
        if (next_generation_ <= detail::kMaxGeneration) return;
        throw Error("reprise: save: " + dir_->path_of(file_name(detail::kMaxGeneration)) +
                    " claims the last generation number there is; no later one can be saved "
                    "(a stray file? remove it)");
    }

    // Every file name this Checkpointer creates must be creatable: checked now, not at
    // the first save hours later. The longest is a checkpoint's temporary file.
    void check_file_names() const {
        const std::string longest = file_name(detail::kMaxGeneration) + ".tmp";
        long limit = ::fpathconf(dir_->fd(), _PC_NAME_MAX);
        if (limit <= 0) limit = 255;
        if (longest.size() > static_cast<std::size_t>(limit))
            throw Error("reprise: checkpoint name '" + options_.name + "' and job '" +
                        job_.key() + "' make file names of " + std::to_string(longest.size()) +
                        " bytes (" + longest + "), more than the " + std::to_string(limit) +
                        " that " + dir_->path() + " allows; choose a shorter REPRISE_NAME or "
                        "REPRISE_JOB");
    }

    static const char* signal_name(int sig) {
        switch (sig) {
        case SIGTERM: return "SIGTERM";
        case SIGINT: return "SIGINT";
        case SIGUSR2: return "SIGUSR2";
        default: return "a signal";
        }
    }

    // Old generations are unlinked by a helper thread: removing a large file can take
    // a good fraction of a second on a disk mounted with `discard`.
    void start_cleanup(std::vector<std::uint64_t> generations) {
        finish_cleanup();
        if (generations.empty()) return;
        std::vector<std::string> names;
        for (std::uint64_t g : generations) names.push_back(file_name(g));
        cleaner_ = detail::with_signals_blocked([this, names = std::move(names)] {
            return std::thread([this, names] {
                for (const auto& name : names) {
                    REPRISE_KILL_POINT("during-cleanup");
                    try {
                        dir_->remove(name);
                    } catch (const std::exception& e) {
                        detail::log_line(std::string(e.what()) + " (an old generation; it "
                                         "will be removed at the next save)");
                    }
                }
            });
        });
    }

    void finish_cleanup() noexcept {
        if (cleaner_.joinable()) cleaner_.join();
    }

    // Before a process ends by a signal or exit: no thread may be left running.
    void release_for_exit() noexcept {
        wait_for_writer(); // a save in flight is worth finishing
        if (timer_) timer_->stop();
        finish_cleanup();
        uninstall_signal_handlers();
    }

    void release() noexcept {
        release_for_exit();
        timer_.reset();
        lock_.reset();
        dir_.reset();
        detail::g_instance_alive.store(false);
    }

    Options options_;
    detail::JobIdentity job_;
    std::string host_;
    std::string stem_; // "<name>.<job key>", escaped
    std::unique_ptr<detail::Directory> dir_;
    std::unique_ptr<detail::JobLock> lock_;
    std::unique_ptr<detail::SignalHandlers> signals_;
    std::unique_ptr<detail::IntervalTimer> timer_;
    std::thread cleaner_;
    std::vector<Variable> variables_;
    std::vector<detail::ParameterEntry> parameters_; // recorded by parameter(), in order
    // What the last load_variables() left as it was, for the restore's line on stderr.
    std::string restore_note_;
    std::set<std::uint64_t> on_disk_; // this job's generations in the directory
    std::uint64_t newest_named_ = 0;  // the newest generation, ours or a foreign file's
    std::uint64_t next_generation_ = 1;
    std::atomic<std::uint64_t> last_generation_{0}; // saved or restored by this process
    // Where a synchronous save gathers small values before they are written; kept.
    static constexpr std::size_t kSaveBufferSize = std::size_t(1) << 20;
    std::unique_ptr<char[]> save_buffer_;
    // Background saves: the reused snapshot, the writer thread and what it reports.
    detail::SnapshotSink snapshot_;
    std::thread writer_;
    std::atomic<bool> writer_done_{false};
    std::atomic<bool> deferred_{false};
    std::string writer_error_;
    bool restore_called_ = false;
    bool finished_ = false;
    pid_t owner_pid_ = 0;            // the process that made this object (fork.hpp)
    bool owns_generations_ = false;  // this run restored or saved: the job's files are its
    bool stop_honoured_ = false;     // a poll (or finish) acted on the stop signal
    // Coordination (save_as, confirm, discard): the generation all processes committed
    // last, kept as the fallback before this run's first save (0: none known); the one
    // an uncommitted save superseded; the last one before that save.
    bool coordinated_ = false;
    std::uint64_t fallback_ = 0;
    std::uint64_t superseded_ = 0;
    std::uint64_t committed_before_ = 0;
};

} // namespace reprise

#endif
