// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TOOLS_REGISTRY_HPP
#define REPRISE_TOOLS_REGISTRY_HPP

// The job registry of the `reprise` job manager: one directory (REPRISE_HOME), possibly on
// NFS and shared by several hosts, that no two processes ever update by read-modify-write.
//
//   REPRISE_HOME/ids/<n>/                  one empty directory per id ever given: mkdir is
//                                          the atomic allocation, and an id is never reused
//   REPRISE_HOME/jobs/<n>/job.json         the job's record, replaced by atomic rename
//   REPRISE_HOME/jobs/<n>/run.lock         OFD write lock held by the run's supervisor
//   REPRISE_HOME/jobs/<n>/checkpoints/     the job's REPRISE_DIR
//   REPRISE_HOME/jobs/<n>/output.log       the output of detached runs
//
// Only the holder of run.lock writes job.json (the supervisor of a run, or `restart` and
// `rm` before they start or remove one), so there are no lost updates between hosts.
//
// job.json says what `restart` runs, as the user who runs it: the registry, jobs/, ids/,
// each jobs/<n>/ and each job.json must belong to that user and be writable by nobody
// else (ssh's rule for ~/.ssh), and every file is opened without following a link or
// waiting on a FIFO, every directory listed through its descriptor.

#include "reprise/detail/format.hpp"
#include "reprise/error.hpp"
#include "reprise/inspect.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

namespace reprise::manager {

/// An entry of the registry that cannot be had; the message does not name the command
/// that wanted it (main() prefixes it).
class RegistryEntryError : public Error {
public:
    using Error::Error;
};

/// A job id that the registry does not hold. Message: `reprise: no job N in ...`.
class NoSuchJob : public RegistryEntryError {
public:
    using RegistryEntryError::RegistryEntryError;
};

/// A registry entry that cannot be read back (missing or unparsable job.json, a field of
/// the wrong type or out of range, a FIFO or a link in place of a file). `reprise rm N`
/// removes such an entry.
class CorruptEntry : public RegistryEntryError {
public:
    using RegistryEntryError::RegistryEntryError;
};

/// A registry entry (job directory or record) that another user owns or may write: its
/// command is not run, its record not trusted. The message says which path, its owner and
/// mode, and what to do (`chmod go-w PATH`).
class UnsafeEntry : public RegistryEntryError {
public:
    using RegistryEntryError::RegistryEntryError;
};

/// The largest job id: 12 digits (ids are directory names and arguments; no id that a
/// registry could give comes near it).
inline constexpr std::uint64_t kMaxJobId = 999999999999ULL;

/// Why the file or directory `st` describes may not be trusted with commands run as this
/// user: "" when it belongs to the effective user and neither its group nor others may
/// write it; else a sentence naming `path`, `what` it is, its owner and mode, and the fix.
std::string ownership_problem(const struct stat& st, const std::string& path, const std::string& what);

/// Opens `name` in the directory `dirfd` (its path `path`, for messages) as the registry
/// opens every file: no link followed, no FIFO or device waited on (O_NOFOLLOW|O_NONBLOCK),
/// a regular file only (fstat), then O_NONBLOCK cleared (detail::clear_nonblocking).
/// Returns the descriptor with `st` filled; or an invalid handle, `err` the errno (ENOENT:
/// absent) or 0 when the file is there but is not a regular file, and `why` in words.
detail::FileHandle open_regular(int dirfd, const std::string& name, int flags, mode_t mode,
                                struct stat& st, int& err, std::string& why);

/// Seconds since the epoch, now.
std::int64_t now_seconds();

/// One run of a job: its first start or a restart.
struct Run {
    std::string state;           ///< "starting", "running" or "ended"
    std::string host;            ///< the host name it runs (ran) on
    std::string boot_id;         ///< that host's boot id then: a reboot ends every run
    bool detached = false;       ///< output in the entry's output.log, no terminal
    std::int64_t started = 0;    ///< seconds since the epoch
    std::int64_t ended = 0;      ///< seconds since the epoch; 0 until the run ended
    long supervisor_pid = 0;     ///< the manager process that waits for the program
    long pid = 0;                ///< the program; 0 until it was started
    std::uint64_t pid_start = 0; ///< the program's start time (clock ticks since boot):
                                 ///< with pid and boot id, its identity on that host
    int exit_status = -1;        ///< the program's exit status, when it exited
    int signal = 0;              ///< the signal that killed it, when one did
    std::string error;           ///< why it could not be started, when it could not
};

/// A job as the registry records it, in job.json.
struct Job {
    long id = 0;
    std::string name;                 ///< the checkpoint name (REPRISE_NAME)
    std::string job_key;              ///< the program's job (REPRISE_JOB): its files' names
    std::vector<std::string> command; ///< the program and its arguments, as typed
    std::string cwd;                  ///< where it runs
    double every = 0;                 ///< seconds between automatic checkpoints; 0: none
    std::int64_t created = 0;         ///< seconds since the epoch
    unsigned restarts = 0;            ///< how many times `reprise restart` ran it again
    Run run;                          ///< the current or last run
    /// The environment recorded at `start` (format 3; empty before): the allow-listed
    /// variables (job_environment.hpp) and those named by `--env`, replayed by `restart`.
    std::vector<std::pair<std::string, std::string>> environment;
    /// The job's checkpoint directory (REPRISE_DIR) chosen by `start --dir` or REPRISE_DIR,
    /// absolute (format 3); "": the entry's checkpoints/.
    std::string checkpoint_dir;
};

/// An open-file-description write lock, taken with the library's lock primitive
/// (detail::try_write_lock, no classic-lock fallback), held until this object is
/// destroyed or released. A child created by fork shares it (same open file description)
/// and keeps it after the parent closed its descriptor; the descriptor is close-on-exec,
/// so a program the holder executes never holds it. The kernel (or NFS's lock manager)
/// releases it however the holder dies.
class HeldLock {
public:
    /// Takes the lock on `path` without waiting. Returns nullptr when another open file
    /// description holds it. `create`: create the file (mode 0600) when missing.
    /// @throws Error naming the path and the system error for any other failure, and when
    /// `path` is not a regular file (a FIFO there is not waited on).
    static std::unique_ptr<HeldLock> try_take(const std::string& path, bool create);

    ~HeldLock();
    HeldLock(const HeldLock&) = delete;
    HeldLock& operator=(const HeldLock&) = delete;

    /// The descriptor (close-on-exec).
    int fd() const noexcept { return file_.get(); }

private:
    explicit HeldLock(detail::FileHandle file) : file_(std::move(file)) {}
    detail::FileHandle file_;
};

/// A job's checkpoint file, as reprise::inspect lists it.
using Generation = inspect::Generation;

/// The registry in one directory.
class Registry {
public:
    /// Opens the registry in `root`, creating it (and `jobs/`, `ids/`) when missing, mode
    /// 0700. A relative `root` is made absolute: programs run elsewhere.
    /// @throws Error when a directory cannot be created or opened, or when one of the three
    /// belongs to another user or is writable by group or others (see ownership_problem).
    explicit Registry(const std::string& root);

    /// REPRISE_HOME; else $XDG_DATA_HOME/reprise; else ~/.local/share/reprise.
    /// @throws Error when none of them can be determined.
    static std::string default_root();

    const std::string& root() const noexcept { return root_; }
    std::string entry(long id) const;            ///< jobs/<id>
    std::string checkpoints(long id) const;      ///< jobs/<id>/checkpoints
    std::string log(long id) const;              ///< jobs/<id>/output.log
    std::string run_lock(long id) const;         ///< jobs/<id>/run.lock

    /// The ids of the entries in jobs/, ascending.
    /// @throws Error when jobs/ cannot be listed.
    std::vector<long> ids() const;

    /// True when jobs/<id> exists.
    bool exists(long id) const;

    /// Opens jobs/<id> (no link followed) and checks that it is this user's and private.
    /// @throws NoSuchJob, UnsafeEntry, or Error for an I/O error.
    detail::FileHandle open_entry(long id) const;

    /// Gives `job` a new id (mkdir of ids/<n>: atomic, also on NFS), prepares its entry
    /// beside jobs/ and renames it in complete, with its run lock already held: nobody
    /// ever sees a half-made entry, nor an entry whose run is not owned.
    /// @returns the held run lock. @throws Error.
    std::unique_ptr<HeldLock> create(Job& job) const;

    /// Reads jobs/<id>/job.json: a regular file of this user's that nobody else may write,
    /// every field present, of its type and in its range (detail/parse.hpp).
    /// @throws NoSuchJob, CorruptEntry (naming the field), UnsafeEntry, or Error for an I/O error.
    Job load(long id) const;

    /// Replaces jobs/<id>/job.json atomically and durably (temporary file, fsync, rename,
    /// fsync of the directory: reprise::detail::write_durably). The caller holds the run lock.
    /// @throws Error.
    void save(const Job& job) const;

    /// Removes jobs/<id>: renamed aside first (nobody sees it half-removed), the lock
    /// released, then deleted. ids/<id> stays: the id is never given again.
    /// @throws Error.
    void remove(long id, std::unique_ptr<HeldLock> lock) const;

private:
    /// jobs/ or ids/, opened through the root and checked (see the constructor).
    detail::FileHandle open_subdirectory(const char* sub) const;

    std::string root_;
};

/// The job key under which the manager names job `id` for the library (REPRISE_JOB):
/// the key the library gives Grid Engine job `id`, so that the checkpoint files of a job
/// recorded by any version of the manager (older ones ran the program with JOB_ID=<id>)
/// keep their names. A record that holds no key (format 1) has this one.
std::string default_job_key(long id);

/// The job's checkpoint directory: its recorded one (start --dir), else the entry's
/// checkpoints/ (Registry::checkpoints).
std::string checkpoint_directory(const Registry& registry, const Job& job);

/// Removes the job's files (generations, temporary files, commit records, the library's
/// lock) from a checkpoint directory chosen by `start --dir`, and nothing else there: the
/// directory is the user's. Nothing happens for a job whose checkpoints are in its entry
/// (Registry::remove takes them). @throws Error naming the file.
void remove_checkpoint_files(const Job& job);

/// The library's lock file of the job, held by the program while its Checkpointer lives
/// (of an MPI job, rank 0's: launcher.hpp).
std::string library_lock(const Registry& registry, const Job& job);

/// The job's complete checkpoint files (regular files of this user's named as the library
/// names them), oldest first, once its entry is checked (Registry::open_entry); of an MPI
/// job, its committed generations (inspect::committed_generations: the commit records that
/// bind every rank's file).
/// @throws NoSuchJob, UnsafeEntry, or Error when the directory exists but cannot be listed.
std::vector<Generation> generations(const Registry& registry, const Job& job);

} // namespace reprise::manager

#endif
