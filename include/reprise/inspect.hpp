// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_INSPECT_HPP
#define REPRISE_INSPECT_HPP

/// Read-only inspection of checkpoint directories: a job's generations, what a checkpoint
/// file's header says and whether the file is intact, who holds a job's lock, and the
/// library's constants that a tool needs. For tools that watch or manage jobs (the job
/// manager `reprise` is one); a simulation code does not need it, so `reprise.hpp` does
/// not include it: include `<reprise/inspect.hpp>` on purpose.
///
/// Nothing here writes, creates, renames, removes or locks a file: a look at a running
/// job changes nothing it does. Every function reads the file system afresh; a job that
/// saves meanwhile may make a listed generation vanish or a new one appear.
///
/// Files are named as reprise names them (`<name>.<job key>.<10 digits>.ckpt`,
/// `<name>.<job key>.lock`: see reprise/detail/naming.hpp); ask these functions, never
/// rebuild a name by hand.
///
/// An MPI job (reprise/mpi.hpp) has per rank its own checkpoint files and lock, under the
/// checkpoint name rank_name(name, r), and its generations are those that a commit record
/// `<name>.<job key>.<10 digits>.commit` binds: see committed_generations() and
/// read_commit(), which need no MPI.

#include "reprise/detail/commit_record.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format.hpp"
#include "reprise/detail/lock.hpp"
#include "reprise/detail/naming.hpp"
#include "reprise/detail/type_name.hpp"
#include "reprise/error.hpp"
#include "reprise/options.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace reprise::inspect {

// ---- constants --------------------------------------------------------------------------

/// The exit status of a program that stops with `StopAction::exit` (`REPRISE_ON_STOP=exit`)
/// and no other status given: `Options::exit_status`'s default (Grid Engine reschedules a
/// job that exits so). Thread-safe.
inline int default_stop_exit_status() { return Options().exit_status; }

/// The largest generation number reprise writes: generations are numbered 1 to this.
inline constexpr std::uint64_t kMaxGeneration = detail::kMaxGeneration;

// ---- a job's generations ------------------------------------------------------------------

/// One generation file of a job, as the directory shows it.
struct Generation {
    std::uint64_t number = 0; ///< the generation, from the file's name (1 to kMaxGeneration)
    std::string file;         ///< its name in the directory
    std::string path;         ///< the directory's path, "/", the name
    std::uint64_t size = 0;   ///< bytes
    std::int64_t mtime = 0;   ///< last modification, seconds since the epoch
    /// MPI (committed_generations()): the number of ranks whose files the commit record
    /// binds, `file` and `path` the record's, `size` the sum of the rank files' sizes;
    /// 0 for a generation of a single process (generations()).
    std::uint32_t ranks = 0;
};

/// The generations of checkpoint `name` of job `job_key` (`Checkpointer::job_key()`, e.g.
/// "slurm-42", or a `REPRISE_JOB` name) in `directory`, oldest first: the regular files
/// owned by this user and named exactly as the library names a generation of that job.
/// Another user's file under such a name, a link, a temporary file of a save in progress
/// and any other name are left out. Nothing is opened but the directory, and nothing is
/// verified: see read_checkpoint().
/// @returns no generation when `directory` does not exist (nothing is created).
/// @throws Error naming the directory when it exists but cannot be opened or listed.
/// Thread-safe; not signal-safe.
inline std::vector<Generation> generations(const std::string& directory, const std::string& name,
                                           const std::string& job_key) {
    const std::unique_ptr<detail::Directory> dir = detail::Directory::open_existing(directory);
    if (!dir) return {};
    const detail::FileNames names = detail::FileNames::of(name, job_key);
    std::vector<Generation> out;
    dir->for_each_name([&](const std::string& file) {
        const std::uint64_t number = names.generation_of(file);
        if (number == 0) return;
        struct stat st {};
        // Gone meanwhile (superseded by a newer save), or not a file the library wrote.
        if (detail::sys::fstatat(dir->fd(), file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
            st.st_uid != ::geteuid())
            return;
        Generation g;
        g.number = number;
        g.file = file;
        g.path = dir->path_of(file);
        g.size = static_cast<std::uint64_t>(st.st_size);
        g.mtime = static_cast<std::int64_t>(st.st_mtime);
        out.push_back(std::move(g));
    });
    std::sort(out.begin(), out.end(),
              [](const Generation& a, const Generation& b) { return a.number < b.number; });
    return out;
}

// ---- a checkpoint file --------------------------------------------------------------------

/// How much of a file read_checkpoint() verifies.
enum class Verify {
    /// Every byte: the header's and the payload's checksums (what a restore requires).
    whole_file,
    /// The preamble, the header and its checksum, the sizes and the trailer's mark; the
    /// payload is not read (cheap on a large file; enough to describe it, not to trust it).
    header_only,
};

/// A tracked variable as a checkpoint's header records it.
struct Variable {
    std::string name;
    std::string type;         ///< demangled C++ type; "" when not recorded (format 1)
    std::string mangled_type; ///< as recorded (`typeid(T).name()`); "" when not recorded
    std::uint64_t offset = 0; ///< in the payload
    std::uint64_t size = 0;   ///< bytes
};

/// A run parameter (`Checkpointer::parameter()`) as a checkpoint's header records it.
struct Parameter {
    std::string name;
    std::string kind;  ///< "integer", "floating point", "string" or "boolean"
    std::string value; ///< as recorded: decimal, %.17g, the string, "true"/"false"
    std::string shown; ///< as messages show it: a string quoted, anything else as `value`
};

/// What read_checkpoint() found in a file.
struct Checkpoint {
    std::string path;
    bool valid = false; ///< intact to the depth asked for
    std::string why;    ///< when not valid: why not ("payload checksum mismatch", ...)
    Verify verified = Verify::whole_file;

    // Only when valid:
    std::uint64_t file_size = 0;
    /// The file's format version (1 to 4; 4: compressed chunks).
    std::uint32_t format_version = 0;
    /// Where the payload lies (read from the preamble, checked against the file's size).
    std::uint64_t payload_offset = 0;
    std::uint64_t payload_size = 0;
    /// With Verify::whole_file: the payload's bytes on disk, `payload_size` or, of a file of
    /// compressed chunks, less; 0 with Verify::header_only (the chunk table is not read).
    std::uint64_t payload_stored = 0;
    std::uint64_t generation = 0;
    std::uint64_t time_ns = 0; ///< when it was saved: nanoseconds since the epoch
    std::uint32_t pid = 0;     ///< the process that saved it
    std::string host;          ///< and its host
    std::string job_key;       ///< the job it belongs to (as `Checkpointer::job_key()`)
    std::string name;          ///< the checkpoint's name (`Options::name`)
    std::string scheduler;     ///< "slurm", "sge", "pbs", "lsf"; "" by hand or for a REPRISE_JOB name without one
    std::vector<Variable> variables;
    std::vector<Parameter> parameters; ///< none before format version 2
};

} // namespace reprise::inspect

namespace reprise::detail {

// The directory of `path` (".": none named) opened as a restore opens its own, and the
// file's name in it. nullptr with the reason in `why` when the name is no file's ("", ".",
// "..") or the directory cannot be opened. @throws only std::bad_alloc.
inline std::unique_ptr<Directory> open_directory_of(const std::string& path, std::string& file, std::string& why) {
    const auto slash = path.rfind('/');
    const std::string directory =
        slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : path.substr(0, slash);
    file = slash == std::string::npos ? path : path.substr(slash + 1);
    if (file.empty() || file == "." || file == "..") {
        why = "not a file name";
        return nullptr;
    }
    try {
        std::unique_ptr<Directory> dir = Directory::open_existing(directory);
        if (!dir) why = "cannot open: no such directory: " + directory;
        return dir;
    } catch (const Error& e) {
        why = e.what();
        return nullptr;
    }
}

} // namespace reprise::detail

namespace reprise::inspect {

/// Opens the checkpoint file `path` (no link followed, no FIFO waited on) and reads and
/// verifies it to `depth`, exactly as a restore does: a file that is not a regular file of
/// this user's, that is truncated, corrupt, of an unknown format version or not a reprise
/// checkpoint at all is `valid == false` with the reason in `why`, never an exception.
/// It says nothing of whether the file belongs to a given job: compare `job_key` and
/// `name`. @throws only std::bad_alloc. Thread-safe; not signal-safe.
inline Checkpoint read_checkpoint(const std::string& path, Verify depth = Verify::whole_file) {
    Checkpoint out;
    out.path = path;
    out.verified = depth;
    std::string file;
    const std::unique_ptr<detail::Directory> dir = detail::open_directory_of(path, file, out.why);
    if (!dir) return out;
    detail::VerifiedCheckpoint checkpoint;
    std::string why;
    if (!detail::read_checkpoint(*dir, file, checkpoint, why,
                                 depth == Verify::whole_file ? detail::Verify::whole_file
                                                             : detail::Verify::header_only)) {
        out.why = why;
        return out;
    }
    out.valid = true;
    out.file_size = checkpoint.file_size;
    out.format_version = checkpoint.format_version;
    out.payload_offset = checkpoint.payload_offset;
    out.payload_size = checkpoint.payload_size;
    if (depth == Verify::whole_file)
        out.payload_stored = detail::stored_payload_size(checkpoint.stored, checkpoint.payload_size);
    detail::Header& h = checkpoint.header;
    out.generation = h.generation;
    out.time_ns = h.time_ns;
    out.pid = h.pid;
    out.host = std::move(h.host);
    out.job_key = std::move(h.job_key);
    out.name = std::move(h.name);
    out.scheduler = std::move(h.scheduler);
    out.variables.reserve(h.variables.size());
    for (detail::VariableEntry& v : h.variables) {
        Variable var;
        var.type = v.type.empty() ? std::string() : detail::demangle(v.type);
        var.mangled_type = std::move(v.type);
        var.name = std::move(v.name);
        var.offset = v.offset;
        var.size = v.size;
        out.variables.push_back(std::move(var));
    }
    for (detail::ParameterEntry& p : h.parameters) {
        Parameter par;
        par.kind = detail::kind_name(p.kind);
        par.shown = detail::describe_value(p);
        par.name = std::move(p.name);
        par.value = std::move(p.value);
        out.parameters.push_back(std::move(par));
    }
    return out;
}

// ---- a job's lock -------------------------------------------------------------------------

/// Whether a process holds a lock file, as its file system says.
enum class LockState {
    absent,  ///< no lock file: no process of the job has run there, or it finished
    free,    ///< the file is there and nobody holds it: the process that made it is gone
    held,    ///< a live process holds it (the kernel releases the lock however it dies)
    unknown, ///< not a regular file there, or the file system cannot say (NFS without a lock manager)
};

/// A job's lock file and its holder.
struct Lock {
    std::string path;
    LockState state = LockState::absent;
    /// What the file says of its holder (the last process that took it: the holder when
    /// `state` is held). `recorded` false: it says nothing readable (not yet written).
    bool recorded = false;
    unsigned long pid = 0;
    std::string host;

    /// There is a file under the lock's name.
    bool exists() const noexcept { return state != LockState::absent; }
    /// A live process holds it: the job runs.
    bool held() const noexcept { return state == LockState::held; }
    /// "process PID on host HOST", or "another process" when the file records none.
    std::string holder() const {
        return recorded ? "process " + std::to_string(pid) + " on host " + host
                        : std::string("another process");
    }
};

/// The path of the lock file of checkpoint `name` of job `job_key` in `directory`
/// (whether or not it exists).
inline std::string lock_path(const std::string& directory, const std::string& name,
                             const std::string& job_key) {
    return directory + "/" + detail::FileNames::of(name, job_key).lock();
}

/// Reads the lock file at `path` without taking the lock (F_OFD_GETLK): whether it exists
/// and is held, and what it records of its holder. A FIFO, a device or a link in its place
/// is neither waited on nor followed: LockState::unknown. Never throws but std::bad_alloc.
/// Thread-safe; not signal-safe.
inline Lock read_lock_file(const std::string& path) {
    Lock out;
    out.path = path;
    std::optional<detail::LockRecord> record;
    switch (detail::probe_lock(AT_FDCWD, path.c_str(), &record)) {
    case detail::LockProbe::absent: out.state = LockState::absent; break;
    case detail::LockProbe::free: out.state = LockState::free; break;
    case detail::LockProbe::held: out.state = LockState::held; break;
    case detail::LockProbe::unknown: out.state = LockState::unknown; break;
    }
    if (record) {
        out.recorded = true;
        out.pid = record->pid;
        out.host = std::move(record->host);
    }
    return out;
}

/// read_lock_file() of the lock of checkpoint `name` of job `job_key` in `directory`.
inline Lock read_lock(const std::string& directory, const std::string& name,
                      const std::string& job_key) {
    return read_lock_file(lock_path(directory, name, job_key));
}


// ---- MPI: rank files and commit records ---------------------------------------------------

/// The checkpoint name under which MPI rank `rank` of checkpoint `name` keeps its own files
/// and lock (reprise::mpi::Checkpointer appends `.rank<r>`): pass it to generations(),
/// lock_path() or read_lock() to see one rank's files. Thread-safe.
inline std::string rank_name(const std::string& name, int rank) {
    return name + detail::rank_suffix(rank);
}

/// One rank's file of a generation, as a commit record binds it.
struct RankFile {
    int rank = 0;
    std::string path;       ///< where the rank's file of the generation is named (it may be missing)
    std::uint64_t size = 0; ///< its size, as the record says
    /// The file on disk is the one the record committed: its header checksum verified, and
    /// its header checksum, payload checksum and size those the record holds for this rank
    /// (with Verify::whole_file, its payload checksum verified too).
    bool bound = false;
    std::string why;        ///< when not bound: missing, damaged, or another file
};

/// What read_commit() found in a file.
struct Commit {
    std::string path;
    /// The file begins as a commit record does (its magic number): false for any other
    /// file, a checkpoint file among them (see read_checkpoint()).
    bool is_record = false;
    bool valid = false;     ///< an intact record: its checksum holds, a format this reader knows
    std::string why;        ///< when not valid: why not
    std::uint64_t file_size = 0;

    // Only when valid:
    std::uint64_t generation = 0;
    std::uint32_t ranks = 0;   ///< how many ranks committed it
    std::string job_key;       ///< the job, as in the rank files (`Checkpointer::job_key()`)
    std::string name;          ///< the checkpoint's name, without a rank's `.rank<r>`
    std::vector<RankFile> files; ///< one per rank, rank 0's first

    /// Every rank's file is the one the record committed: the generation can be restored.
    bool bound() const noexcept {
        return valid && !files.empty() &&
               std::all_of(files.begin(), files.end(), [](const RankFile& f) { return f.bound; });
    }
    /// The bytes of all the rank files, as the record says.
    std::uint64_t total_size() const noexcept {
        std::uint64_t n = 0;
        for (const RankFile& f : files) n += f.size;
        return n;
    }
};

/// Reads the MPI commit record `path` (no link followed, no FIFO waited on) and checks
/// each rank file it binds, in the same directory, as a restore does: the file named for
/// that rank and generation, its header intact and its digest the record's (with
/// Verify::whole_file, its payload checksum verified as well). A file that is not an intact
/// record is `valid == false` with the reason in `why` (and `is_record` says whether it
/// was one at all), never an exception. Whether the record belongs to a given job: compare
/// `job_key` and `name`. @throws only std::bad_alloc. Thread-safe; not signal-safe.
inline Commit read_commit(const std::string& path, Verify depth = Verify::header_only) {
    Commit out;
    out.path = path;
    std::string file;
    const std::unique_ptr<detail::Directory> dir = detail::open_directory_of(path, file, out.why);
    if (!dir) return out;
    {
        std::uint64_t size = 0;
        detail::FileHandle handle = detail::open_regular(*dir, file, size, out.why);
        if (handle.get() < 0) {
            if (out.why.empty()) out.why = "cannot open: no such file";
            return out;
        }
        out.file_size = size;
        char magic[sizeof detail::kCommitMagic];
        out.is_record = size >= sizeof magic &&
                        detail::read_exact(handle.get(), magic, sizeof magic, 0).empty() &&
                        std::equal(magic, magic + sizeof magic, detail::kCommitMagic);
    }
    if (!out.is_record) {
        out.why = "not a reprise commit record (no magic number)";
        return out;
    }
    detail::CommitRecord record;
    if (detail::read_commit_record(*dir, file, record, out.why) != detail::RecordState::intact) {
        if (out.why.empty()) out.why = "cannot open: no such file";
        return out;
    }
    out.valid = true;
    out.generation = record.generation;
    out.ranks = record.ranks;
    out.job_key = std::move(record.job_key);
    out.name = std::move(record.name);
    for (std::uint32_t r = 0; r < record.ranks; ++r) {
        RankFile f;
        f.rank = static_cast<int>(r);
        f.size = record.files[r].size;
        std::string rank_file;
        try {
            rank_file = detail::FileNames::of(rank_name(out.name, f.rank), out.job_key).generation(out.generation);
        } catch (const Error& e) {
            f.why = e.what();
            out.files.push_back(std::move(f));
            continue;
        }
        f.path = dir->path_of(rank_file);
        detail::FileDigest digest;
        if (!detail::read_file_digest(*dir, rank_file, digest, f.why)) {
        } else if (digest != record.files[r]) {
            f.why = "not the file that the record committed for rank " + std::to_string(r) +
                    " (the file: " + digest.describe() + "; the record: " + record.files[r].describe() + ")";
        } else if (depth == Verify::whole_file) {
            detail::VerifiedCheckpoint checkpoint;
            f.bound = detail::read_checkpoint(*dir, rank_file, checkpoint, f.why, detail::Verify::whole_file);
        } else {
            f.bound = true;
        }
        out.files.push_back(std::move(f));
    }
    return out;
}

/// The committed generations of MPI checkpoint `name` (without `.rank<r>`) of job `job_key`
/// in `directory`, oldest first: those whose commit record, a regular file of this user's
/// named as the library names it, is intact, names this job, this checkpoint and the
/// generation its file name says, and binds every rank's file (read_commit() to `depth`).
/// These are the generations an MPI restart chooses from. `path` and `file` are the
/// record's, `mtime` its time, `size` the sum of the rank files, `ranks` their number.
/// @returns none when `directory` does not exist (nothing is created).
/// @throws Error naming the directory when it exists but cannot be opened or listed.
/// Thread-safe; not signal-safe.
inline std::vector<Generation> committed_generations(const std::string& directory, const std::string& name,
                                                     const std::string& job_key,
                                                     Verify depth = Verify::header_only) {
    const std::unique_ptr<detail::Directory> dir = detail::Directory::open_existing(directory);
    if (!dir) return {};
    const detail::FileNames names = detail::FileNames::of(name, job_key);
    std::vector<Generation> out;
    for (const auto& found : detail::list_commit_records(*dir, names.stem, detail::kCommitSuffix)) {
        struct stat st {};
        if (detail::sys::fstatat(dir->fd(), found.second.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
            st.st_uid != ::geteuid())
            continue;
        const Commit c = read_commit(dir->path_of(found.second), depth);
        if (!c.bound() || c.generation != found.first || c.name != name || c.job_key != job_key) continue;
        Generation g;
        g.number = c.generation;
        g.file = found.second;
        g.path = c.path;
        g.size = c.total_size();
        g.mtime = static_cast<std::int64_t>(st.st_mtime);
        g.ranks = c.ranks;
        out.push_back(std::move(g));
    }
    std::sort(out.begin(), out.end(),
              [](const Generation& a, const Generation& b) { return a.number < b.number; });
    return out;
}

} // namespace reprise::inspect

#endif
