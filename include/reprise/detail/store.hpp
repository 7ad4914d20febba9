// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_STORE_HPP
#define REPRISE_DETAIL_STORE_HPP

// A job's generations in its checkpoint directory: which exist (scan), the next number,
// writing one durably and keeping at most two (commit: the newest kept as the fallback,
// the older recycled or removed), opening one for a restore, and removing them all at
// the end. It holds the job's lock for as long as it lives.
//
// A coordination layer (reprise/mpi.hpp) saves in two phases: save_as() writes a
// generation agreed among processes, which becomes the fallback only once every process
// has it (confirm()), or is removed again (discard()).

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/fork.hpp"
#include "reprise/detail/format_reader.hpp"
#include "reprise/detail/job.hpp"
#include "reprise/detail/lock.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/naming.hpp"
#include "reprise/detail/signals.hpp"
#include "reprise/detail/sys.hpp"
#include "reprise/error.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace reprise::detail {

// "job slurm-42 of checkpoint 'heat'": how messages name a job.
inline std::string describe_job(const std::string& job_key, const std::string& name) {
    return "job " + job_key + " of checkpoint '" + name + "'";
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Whose generations a store keeps, and where.
struct StoreIdentity {
    std::string directory; // created when missing
    std::string name;      // the checkpoint's name
    std::string job_key;   // JobIdentity::key()
    std::string host;      // for the lock file
    bool quiet = false;    // no line per save on stderr
    // What a commit's line says it did: "saved" in the fast tier, "copied" in the
    // persistent one (detail/tiers.hpp), whose files are copies of the fast tier's.
    std::string verb = "saved";
};

class GenerationStore {
public:
    // Creates or opens the directory, checks that every name it will create fits there,
    // takes the job's lock and scans the job's generations (removing our own leftover
    // temporary files). @throws Error as the Checkpointer's constructor says.
    explicit GenerationStore(StoreIdentity id)
        : id_(std::move(id)), names_(FileNames::of(id_.name, id_.job_key)),
          dir_(std::make_unique<Directory>(id_.directory)) {
        check_file_names();
        install_fork_handler();
        lock_ = std::make_unique<JobLock>(*dir_, names_.lock(),
                                          id_.name + " (" + id_.job_key + ")", id_.host);
        remove_stale_temporaries(); // and scans this job's generations
        next_generation_ = newest_named_ + 1;
    }

    ~GenerationStore() { finish_cleanup(); }
    GenerationStore(const GenerationStore&) = delete;
    GenerationStore& operator=(const GenerationStore&) = delete;

    const Directory& directory() const noexcept { return *dir_; }
    std::string file_name(std::uint64_t g) const { return names_.generation(g); }
    std::string path_of(std::uint64_t g) const { return dir_->path_of(file_name(g)); }
    std::string describe_job() const { return detail::describe_job(id_.job_key, id_.name); }

    // This job's generations in the directory, oldest first.
    const std::set<std::uint64_t>& generations() const noexcept { return on_disk_; }

    // The newest generation on disk older than `g`; 0 when none.
    std::uint64_t newest_before(std::uint64_t g) const {
        auto it = on_disk_.lower_bound(g);
        return it == on_disk_.begin() ? 0 : *std::prev(it);
    }

    // The generation last saved or restored by this process (0: none). Thread-safe.
    std::uint64_t last() const noexcept { return last_generation_.load(); }

    // This run restored or saved: the job's files are its own.
    bool owns() const noexcept { return owns_generations_; }

    // The newest generation in the directory; 0 when none.
    std::uint64_t newest() const noexcept { return on_disk_.empty() ? 0 : *on_disk_.rbegin(); }

    // The newest generation number of this job's names in the directory, ours or a
    // foreign file's (scan_generations): no save here may take it.
    std::uint64_t newest_named() const noexcept { return newest_named_; }

    // Numbers the next save past `g` too: a generation of this job that another tier
    // (detail/tiers.hpp) holds, which no save may number again.
    void number_past(std::uint64_t g) noexcept {
        if (g >= next_generation_) next_generation_ = g + 1;
    }

    // The generation the next commit() keeps as the fallback (0: none); every other one
    // of this job's files is recycled or removed by it. Our own last one, or, before our
    // first save, the newest one found on disk (under coordination: the last one all
    // processes committed, fallback_).
    std::uint64_t kept_by_next_commit() const noexcept {
        if (pinning_.load()) return pinned_.load();
        const std::uint64_t last = last_generation_.load();
        return last ? last : fallback_ ? fallback_ : newest();
    }

    // A coordinated persistent tier (detail/tiers.hpp under reprise/mpi.hpp): from now on
    // every commit keeps generation `g` (the newest one that every process's copy holds
    // and that a commit record says so of; 0: none) and recycles or removes every other.
    // A process's copies run ahead of the other processes' by at most one generation,
    // which is never kept in place of `g`: at most two files, and the generation complete
    // on every process is never the one recycled. Thread-safe (read by the copier).
    void pin(std::uint64_t g) noexcept {
        pinned_.store(g);
        pinning_.store(true);
    }

    // This run continues the job (it restored a generation from another tier): the files
    // here are its own, with no warning at its first save, which keeps the newest of them
    // as the fallback until the new file is durable.
    void adopt() noexcept { owns_generations_ = true; }

    // The number of the next save, taken. Generations are numbered from the files on
    // disk: one named with the last number there is (only a stray file can be) leaves
    // none for the next save. @throws Error then.
    std::uint64_t take_next() {
        if (next_generation_ > kMaxGeneration)
            throw Error("reprise: save: " + dir_->path_of(file_name(kMaxGeneration)) +
                        " claims the last generation number there is; no later one can be "
                        "saved (a stray file? remove it)",
                        ErrorKind::corrupt);
        return next_generation_++;
    }

    // "generation 7 (the newest saved 2 h ago on host h1 by pid 12)", or "generations 6
    // and 7 (...)": what the directory holds of this job, for the messages of a run that
    // does not resume it. Reads the newest one's header only.
    std::string describe_generations() const {
        std::string what = on_disk_.size() == 1 ? "generation " : "generations ";
        for (auto it = on_disk_.begin(); it != on_disk_.end(); ++it)
            what += (it == on_disk_.begin() ? "" : std::next(it) == on_disk_.end() ? " and " : ", ") +
                    std::to_string(*it);
        VerifiedCheckpoint newest;
        std::string why;
        if (read_checkpoint(*dir_, file_name(*on_disk_.rbegin()), newest, why, Verify::header_only)) {
            const double now = std::chrono::duration<double>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
            const double age = std::max(0.0, now - static_cast<double>(newest.header.time_ns) / 1e9);
            what += " (the newest saved " + human_duration(age) + " ago on host " +
                    newest.header.host + " by pid " + std::to_string(newest.header.pid) + ")";
        } else {
            what += " (the newest unreadable: " + why + ")";
        }
        return what;
    }

    // "generation 7 is kept": what a failed save leaves, for its message.
    std::string kept_generation() const {
        const std::uint64_t last = last_generation_.load();
        return last ? "generation " + std::to_string(last) + " is kept"
                    : std::string("no checkpoint exists yet");
    }

    // Opens generation `g` and verifies all of it, and that it is this job's generation
    // `g` (not a file copied or renamed here by hand). False with the reason in `why`.
    bool open(std::uint64_t g, VerifiedCheckpoint& file, std::string& why) const {
        if (!read_checkpoint(*dir_, file_name(g), file, why, Verify::as_loaded)) return false;
        const Header& h = file.header;
        if (h.job_key != id_.job_key || h.name != id_.name) {
            why = "belongs to job " + h.job_key + " of checkpoint '" + h.name + "', not to " +
                  describe_job();
            return false;
        }
        if (h.generation != g) {
            why = "holds generation " + std::to_string(h.generation) +
                  " but is named for generation " + std::to_string(g);
            return false;
        }
        return true;
    }

    // Generation `g` was loaded: it is this run's fallback now.
    void restored(std::uint64_t g) noexcept {
        last_generation_ = g;
        owns_generations_ = true;
    }

    // Writes generation `generation` through `write_file` (which writes the whole file into
    // the sink and returns its size), durably, then keeps the books: at most two complete
    // generations, the older ones removed by the cleaner thread. Returns the file's size.
    // `trigger` ("SIGUSR1", "save()", ...; "" : not said) is what asked for the save, for
    // its line (docs/logging.md).
    // @throws Error (operation, path, system error); the previous generation is kept.
    std::uint64_t commit(std::uint64_t generation, FunctionRef<std::uint64_t(FileSink&)> write_file,
                         const std::string& trigger = std::string()) {
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
        const std::uint64_t keep = kept_by_next_commit();
        std::vector<std::uint64_t> doomed;
        for (std::uint64_t g : on_disk_)
            if (g != keep) doomed.push_back(g);
        // Nothing is overwritten unless this process still holds the job's lock file.
        lock_->verify(*dir_);
        // Generations of an earlier run that this one did not restore go with its first
        // save (or, under coordination, once every process has it): never silently.
        if (!owns_generations_ && !on_disk_.empty())
            log_line("reprise: warning: this run did not restore " + describe_generations() +
                     " of an earlier run of " + describe_job() + "; its first save, generation " +
                     std::to_string(generation) + ", supersedes them");
        std::vector<std::uint64_t> removed = doomed;
        std::string recycle;
        if (!removed.empty()) {
            recycle = file_name(removed.back());
            removed.pop_back();
        }
        std::uint64_t bytes = 0, written = 0, stored = 0;
        try {
            start_cleanup(removed);
            write_durably(*dir_, name, [&](FileSink& sink) {
                bytes = write_file(sink);
                written = sink.bytes_written();
                stored = sink.stored_size();
                finish_cleanup(); // the older files must be gone before the rename
            }, recycle);
        } catch (...) {
            finish_cleanup();
            try {
                scan_generations(); // what is on disk now, whatever the failure left
            } catch (const std::exception& e) {
                log_line(e.what()); // the save's own error is the one thrown
            }
            throw;
        }
        for (std::uint64_t g : doomed) on_disk_.erase(g);
        on_disk_.insert(generation);
        // A generation that is not this run's (found at start, never restored) is no
        // fallback for this computation: the first save supersedes it. Under
        // coordination it goes only once every process has the new one (confirm()).
        if (keep != 0 && keep != last && !pinning_.load()) {
            if (coordinated_) {
                superseded_ = keep;
            } else {
                on_disk_.erase(keep);
                start_cleanup({keep});
            }
        }
        last_generation_ = generation;
        owns_generations_ = true;
        last_seconds_ = seconds_since(start);
        if (!id_.quiet)
            log_event(LogKind::saved, "reprise: " + id_.verb + " generation " + std::to_string(generation) + " (" +
                                    human_bytes(bytes) + stored_note(bytes, stored) +
                                    unchanged_note(stored, written) + ", " +
                                    human_rate(bytes, last_seconds_) +
                                    (trigger.empty() ? std::string() : ", asked by " + trigger) +
                                    ") to " + dir_->path_of(name));
        return bytes;
    }

    // ", 31% of it on disk, compressed": what a file of compressed chunks takes; "" for
    // one that is not.
    static std::string stored_note(std::uint64_t bytes, std::uint64_t stored) {
        if (stored >= bytes || bytes == 0) return "";
        return ", " + std::to_string(static_cast<unsigned>(100.0 * static_cast<double>(stored) /
                                                           static_cast<double>(bytes) + 0.5)) +
               "% of it on disk, compressed";
    }

    // ", 97% of it unchanged, not rewritten": what a save left in place of the recycled
    // file it overwrote (format_writer.hpp), for its line; "" when it rewrote it all.
    static std::string unchanged_note(std::uint64_t bytes, std::uint64_t written) {
        if (written >= bytes || bytes == 0) return "";
        const auto percent = static_cast<unsigned>(100.0 * static_cast<double>(bytes - written) /
                                                    static_cast<double>(bytes));
        return ", " + std::to_string(percent) + "% of it unchanged, not rewritten";
    }

    // ---- two-phase saves, for a coordination layer --------------------------------------

    // Before this run's first save, keep generation `g` (the last one every process
    // committed) as the fallback, rather than this process's newest file.
    void set_fallback(std::uint64_t g) noexcept { fallback_ = g; }

    // Saves generation `g`, the number the processes agreed on, through `write_file`. It
    // may be below a number this process found on disk: such a file has no record that
    // binds it (the layer numbers generations from its own records), and the save recycles
    // or removes it like any generation other than the fallback. The generation kept as
    // the fallback while it is written is the last one committed; a generation of an
    // earlier run that this one did not restore is kept, too, until confirm(g).
    // Returns the file's size. @throws Error as commit() does; nothing is left to
    // discard then.
    std::uint64_t save_as(std::uint64_t g, FunctionRef<std::uint64_t(FileSink&)> write_file,
                          const std::string& trigger = std::string()) {
        coordinated_ = true;
        committed_before_ = last_generation_.load();
        next_generation_ = g + 1;
        return commit(g, write_file, trigger);
    }

    // How long the last successful commit() took, in seconds.
    double last_seconds() const noexcept { return last_seconds_; }

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
            log_line(std::string(e.what()) + " (an uncommitted generation; the next save recycles it)");
        }
        last_generation_ = committed_before_;
        superseded_ = 0;
    }

    // ---- the end -----------------------------------------------------------------------

    // The computation is complete: removes this job's generations, temporary files and
    // lock file, durably. A run that neither restored nor saved removes nothing of an
    // earlier run's: it says so on stderr (with `how_to_resume`) and leaves them.
    // Call verify_lock() first. @throws Error when a file cannot be removed.
    void remove_all(const std::string& how_to_resume) {
        finish_cleanup();
        remove_stale_temporaries(); // and scans this job's generations
        if (!owns_generations_ && !on_disk_.empty()) {
            log_event(LogKind::note, "reprise: finished, but this run neither restored nor saved: left " +
                     describe_generations() + " of an earlier run of " + describe_job() + " in " +
                     dir_->path() + " (" + how_to_resume + ")");
        } else {
            for (std::uint64_t g : on_disk_) dir_->remove(file_name(g));
            on_disk_.clear();
        }
        dir_->remove(lock_->file_name());
        dir_->sync();
        if (!id_.quiet && owns_generations_)
            log_event(LogKind::finished, "reprise: finished; removed the checkpoints of " + describe_job() + " from " +
                     dir_->path());
    }

    // Does the lock file's name still lead to the file this process locked? Taken back
    // when removed (with a warning). @throws Error when it was replaced by another file.
    void verify_lock() { lock_->verify(*dir_); }

    // Removes the lock file (a process that owns nothing of the job and will not call
    // finish()). Never throws: a failure is reported.
    void remove_lock_file() noexcept {
        try {
            dir_->remove(lock_->file_name());
        } catch (const std::exception& e) {
            log_line(e.what());
        }
    }

    // Waits for the removal of old generations, if one is running.
    void finish_cleanup() noexcept {
        if (cleaner_.joinable()) cleaner_.join();
    }

    // In a child made by fork(): the cleaner thread runs only in the parent (joining it
    // would wait forever) and the lock descriptor is already closed (fork.hpp), so both
    // are let go of without a system call. Memory is all this leaks.
    void abandon() noexcept {
        if (cleaner_.joinable()) new std::thread(std::move(cleaner_));
        (void)lock_.release();
    }

private:
    // Every file name this store creates must be creatable: checked now, not at the
    // first save hours later. The longest is a checkpoint's temporary file.
    void check_file_names() const {
        const std::string longest = names_.longest();
        long limit = ::fpathconf(dir_->fd(), _PC_NAME_MAX);
        if (limit <= 0) limit = 255;
        if (longest.size() > static_cast<std::size_t>(limit))
            throw Error("reprise: checkpoint name '" + id_.name + "' and job '" + id_.job_key +
                        "' make file names of " + std::to_string(longest.size()) + " bytes (" +
                        longest + "), more than the " + std::to_string(limit) + " that " +
                        dir_->path() + " allows; choose a shorter REPRISE_NAME or REPRISE_JOB",
                        ErrorKind::configuration);
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
        dir_->for_each_name([&](const std::string& name) {
            std::uint64_t g = names_.generation_of(name);
            const bool temporary = g == 0;
            if (temporary) g = names_.temporary_of(name);
            if (g == 0) return;
            struct stat st {};
            // A file that cannot be stat'ed counts as ours: its restore checks again.
            if (sys::fstatat(dir_->fd(), name.c_str(), &st, "scanstat") == 0 &&
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
            log_line("reprise: warning: ignoring " + f + ": named as a file of " + describe_job() +
                     " but owned by another user");
    }

    void remove_stale_temporaries() {
        std::vector<std::string> stale;
        scan_generations(&stale);
        for (const auto& name : stale) dir_->remove(name);
    }

    // Old generations are unlinked by a helper thread: removing a large file can take
    // a good fraction of a second on a disk mounted with `discard`.
    void start_cleanup(std::vector<std::uint64_t> generations) {
        finish_cleanup();
        if (generations.empty()) return;
        std::vector<std::string> names;
        for (std::uint64_t g : generations) names.push_back(file_name(g));
        cleaner_ = with_signals_blocked([this, names = std::move(names)] {
            return std::thread([this, names] {
                for (const auto& name : names) {
                    REPRISE_KILL_POINT("during-cleanup");
                    try {
                        dir_->remove(name);
                    } catch (const std::exception& e) {
                        log_line(std::string(e.what()) + " (an old generation; it will be "
                                 "removed at the next save)");
                    }
                }
            });
        });
    }

    StoreIdentity id_;
    FileNames names_; // "<name>.<job key>.<generation>.ckpt", the lock's, the temporary files'
    std::unique_ptr<Directory> dir_;
    std::unique_ptr<JobLock> lock_;
    std::thread cleaner_;
    std::set<std::uint64_t> on_disk_; // this job's generations in the directory
    std::uint64_t newest_named_ = 0;  // the newest generation, ours or a foreign file's
    std::uint64_t next_generation_ = 1;
    std::atomic<std::uint64_t> last_generation_{0}; // saved or restored by this process
    bool owns_generations_ = false; // this run restored or saved: the job's files are its
    // Coordination (save_as, confirm, discard): the generation all processes committed
    // last, kept as the fallback before this run's first save (0: none known); the one
    // an uncommitted save superseded; the last one before that save.
    bool coordinated_ = false;
    std::uint64_t fallback_ = 0;
    std::uint64_t superseded_ = 0;
    std::uint64_t committed_before_ = 0;
    double last_seconds_ = 0; // of the last commit()
    // pin(): the generation every commit keeps, once pinning_ (a coordinated persistent tier).
    std::atomic<std::uint64_t> pinned_{0};
    std::atomic<bool> pinning_{false};
};

} // namespace reprise::detail

#endif
