// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_OPTIONS_HPP
#define REPRISE_OPTIONS_HPP

#include "reprise/log.hpp"

#include <string>

namespace reprise {

/// When `Checkpointer::restore()` loads a checkpoint. Environment: `REPRISE_RESTORE`.
enum class RestorePolicy {
    /// `auto`: under a scheduler, when it says this run is a restart (`RESTARTED` >= 1
    /// under Grid Engine, `SLURM_RESTART_COUNT` > 0, `LSB_RESTART=Y`); under PBS, which has
    /// no such flag, and for a job named by `REPRISE_JOB`, whenever a checkpoint of this
    /// job exists; by hand, whenever an unfinished checkpoint of this job exists, unless
    /// `RESTARTED=0`. A fresh start that finds checkpoints of its job says so on stderr.
    automatic,
    /// `always`: whenever a checkpoint of this job exists.
    always,
    /// `never`: always a fresh start (the old generations stay until the first save).
    never,
};

/// What `maybe_save()` does after the save that a stop signal (TERM, INT, USR2) asked for.
/// Environment: `REPRISE_ON_STOP` = `reraise` | `return` | `exit` | `exit:N` | `requeue`.
enum class StopAction {
    /// Restore the signal's default disposition and re-raise it: the process ends
    /// "killed by" that signal, which is what shells and schedulers expect.
    reraise,
    /// Return from `maybe_save()`; the program checks `stop_requested()` and leaves its
    /// loop by itself (to flush output, close files, ...).
    return_to_caller,
    /// `std::exit(Options::exit_status)`, e.g. 99, which Grid Engine treats as
    /// "reschedule this job".
    exit,
    /// Put the job back in its scheduler's queue, then end as `reraise` does, so that a
    /// job script needs no trap. Under Slurm: `scontrol requeue` of this job
    /// (`SLURM_JOB_ID`, or `<SLURM_ARRAY_JOB_ID>_<SLURM_ARRAY_TASK_ID>` for an array task),
    /// run by the poll, never by the signal handler, and only while `scontrol show job`
    /// says it is RUNNING (a `scancel` or the time limit itself ends it first: a cancelled
    /// job stays cancelled; warn with `--signal=B:TERM@T`); the job needs `--requeue` (or
    /// `JobRequeue=1`). Under Grid Engine: `std::exit(99)`, Grid Engine's own "reschedule".
    /// Only after a successful save (and never after `finish()`): after a failed one the
    /// process ends as `reraise` does and the job stays out of the queue, so that a save
    /// that keeps failing cannot requeue a job forever; a failed `scontrol` is reported on
    /// stderr, and the process ends as `reraise` does too. With neither `SLURM_JOB_ID` nor
    /// `JOB_ID` set the constructor throws (nothing could requeue the job).
    /// Under MPI (reprise/mpi.hpp) rank 0 alone requeues, and every rank ends after it.
    requeue,
};

/// How a save is carried out. Environment: `REPRISE_MODE` = `sync` | `background`.
enum class SaveMode {
    /// The save is durable when `maybe_save()`/`save()` returns.
    sync,
    /// A save asked for by a signal or the interval costs the compute loop only a copy of
    /// the state into a reused buffer (the snapshot); a writer thread puts it on disk.
    /// At most one save is in flight: a trigger meanwhile is carried out when it ends.
    /// A stop signal waits for the save in flight and then saves synchronously; `save()`
    /// and `finish()` wait for it too. A failure is reported at the next poll, and the
    /// previous generation is kept. Memory: one more copy of the serialized state.
    background,
};

/// Options of a `Checkpointer`. An aggregate: set the fields you need, leave the rest.
/// Every field can be overridden by the environment variable named beside it, so a job
/// script can steer a program without recompiling it.
struct Options {
    /// Directory of the checkpoint files; created (with parents) if missing.
    /// Environment: `REPRISE_DIR`.
    std::string directory = "checkpoints";

    /// Checkpoint name, part of every file name; empty: the program's file name.
    /// With no scheduler, it also names the job. Environment: `REPRISE_NAME`.
    std::string name;

    /// Seconds (fractions allowed) between automatic saves, counted from the start or the
    /// last save; 0: none; at most ten years. Environment: `REPRISE_INTERVAL`, a duration
    /// (`90`, `1.5`, `90s`, `30m`, `1h`, `2d`).
    double interval = 0;

    /// When `restore()` loads a checkpoint. Environment: `REPRISE_RESTORE`.
    RestorePolicy restore = RestorePolicy::automatic;

    /// What happens after the save a stop signal asked for. Environment: `REPRISE_ON_STOP`
    /// (`requeue` for `StopAction::requeue`).
    StopAction on_stop = StopAction::reraise;

    /// Exit status for `StopAction::exit` (99: Grid Engine reschedules the job).
    /// Environment: `REPRISE_ON_STOP=exit:N`.
    int exit_status = 99;

    /// Synchronous or background saves. Environment: `REPRISE_MODE`.
    SaveMode mode = SaveMode::sync;

    /// Silence the lines of saves, restores and `finish()` (errors, warnings, notes and
    /// the stop line always print). Environment: `REPRISE_LOG=quiet` (`normal` and `all`
    /// set it false). docs/logging.md lists every line.
    bool quiet = false;

    /// Install the USR1/USR2/TERM/INT handlers. Turn off for a program that handles these
    /// signals itself and calls `save()` on its own. Environment: `REPRISE_SIGNALS=0|1`.
    bool handle_signals = true;

    // Fields added later go last, so that positional aggregate initialisation of the
    // fields above keeps its meaning.
    /// Names the job (file names and lock) instead of the scheduler's job id, so that a
    /// chain of jobs, each with its own id (`sbatch --dependency=afterany`, `qsub
    /// -hold_jid`), resumes one checkpoint; `auto` then restores whenever a checkpoint of
    /// this job exists. Under a job array each task keeps its own ("chain_3" under
    /// Slurm, "chain.3" elsewhere).
    /// Empty: the scheduler's id, or "local" by hand. Environment: `REPRISE_JOB`.
    std::string job;

    /// Under MPI (reprise/mpi.hpp): every rank prints its own lines of saves, restores,
    /// slow-save progress and stops; false (the default): rank 0 prints one line per event
    /// for all ranks (total bytes, the slowest rank's time). No effect outside MPI.
    /// Environment: `REPRISE_LOG=all` (true), `normal` or `quiet` (false).
    bool log_every_rank = false;

    /// Where reprise's lines go: empty (the default), to stderr, each line by one write(2);
    /// set, every line (errors and warnings included) to this callback instead, e.g. into
    /// the program's own logger. Which thread calls it, and what a throw does: `LogCallback`.
    LogCallback log;

    /// A second, persistent tier beside `directory` (the fast one): empty (the default),
    /// none. Every save is durable in `directory` as without it; then a thread copies the
    /// new generation's file here, durably and atomically, by the same rules (temporary
    /// file, fsync, rename, directory fsync; two generations kept; the job's own lock).
    /// A stop signal's save, `finish()` and the destructor wait for the copy in flight;
    /// `restore()` takes the newest valid generation of either tier. Must be another
    /// directory than `directory`; created (with parents) if missing. Under MPI
    /// (reprise/mpi.hpp) the same directory on every rank, and a generation counts as
    /// persistent only when every rank's copy is. Environment: `REPRISE_PERSIST_DIR`.
    std::string persist_directory;

    /// With `persist_directory`: copy every Nth save there (1, the default: every save).
    /// A stop signal's save is always copied. At least 1. Environment:
    /// `REPRISE_PERSIST_EVERY`.
    unsigned persist_every = 1;

    /// Compressed files: empty (the default), none; `"zstd"` (level 1) or `"zstd:LEVEL"`
    /// (1 to 19, or -1 to -7: faster, larger). Each 64 KiB chunk is compressed on its own
    /// by two threads, and kept as it is when it does not shrink, so that data that does not
    /// compress costs a save little (docs/benchmarks.md). Checksums cover the bytes on disk;
    /// a file says how each chunk is stored, so any reprise of this version or later
    /// restores it, whatever this field says then. Environment: `REPRISE_COMPRESS`.
    std::string compress;
};

} // namespace reprise

#endif
