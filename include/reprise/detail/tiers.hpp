// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_TIERS_HPP
#define REPRISE_DETAIL_TIERS_HPP

// The persistent tier (REPRISE_PERSIST_DIR): a second GenerationStore over another
// directory (a shared file system beside a node-local disk), with the same file names,
// lock, scan rules and commit (two generations kept, the older one gone only once the new
// one is durable), into which a copier thread copies each new generation of the fast tier
// after it is durable there. The copy is a commit of its own, so it goes through
// write_durably like every other file: a kill during the copy leaves a temporary file that
// the next run's scan removes, never a torn generation under a final name.
//
// The copier reads the fast tier's file while the computation goes on and the next save
// may recycle old files (open_recycled overwrites a file's blocks in place): before each
// fast-tier commit, before_commit() waits for a copy that reads a file that commit will
// recycle or remove. That wait happens only when the copies fall two saves behind.
//
// Under MPI (reprise/mpi.hpp) a generation counts as persistent only when every rank's
// copy is: each rank's copier copies its own file and notes the newest generation it
// copied (settled()); the ranks compare those at their next collective step (a save, a
// stop), never from the copier thread, and when all hold the same one, rank 0 writes its
// commit record into the persistent directory, and every rank's tier keeps that
// generation from then on (pin()) whatever its later copies recycle.

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format_writer.hpp"
#include "reprise/detail/log.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/detail/signals.hpp"
#include "reprise/detail/store.hpp"
#include "reprise/detail/sys.hpp"
#include "reprise/error.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace reprise::detail {

// Streams the file `name` of `from` into `sink`; returns its size. Of a checkpoint of this
// format that overwrites a recycled copy, the payload's chunks that the recycled copy holds
// already (the same hash at the same place in both chunk tables) are neither read nor
// written, as a save does (format_writer.hpp): the persistent tier, on the slower file
// system, receives only what changed. Any other file is copied as opaque bytes. Only a
// plain file of this user is read (no link followed, no FIFO waited on), and one whose size
// changed while it was read is refused. @throws Error naming the file.
inline std::uint64_t copy_file_into(const Directory& from, const std::string& name, FileSink& sink) {
    const std::string path = from.path_of(name);
    const int fd = sys::openat(from.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) throw_errno("opening for the persistent copy", path, errno);
    struct Close {
        int fd;
        ~Close() { sys::close(fd); }
    } close{fd};
    struct stat st {};
    if (sys::fstat(fd, &st) != 0) throw_errno("fstat of", path, errno);
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || !clear_nonblocking(fd))
        throw Error("reprise: copying " + path + " to the persistent tier: not a regular file "
                    "of this user", ErrorKind::io);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::vector<char> buffer(std::size_t(1) << 20);
    // Copies [begin, end) of the file, in pieces of the buffer's size.
    auto copy = [&](std::uint64_t begin, std::uint64_t end) {
        for (std::uint64_t offset = begin; offset < end;) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end - offset));
            const ssize_t n = sys::pread(fd, buffer.data(), want, static_cast<off_t>(offset), "copyread");
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("reading for the persistent copy", path, errno);
            }
            if (n == 0)
                throw Error("reprise: copying " + path + " to the persistent tier: read " +
                                std::to_string(offset) + " bytes of a file of " +
                                std::to_string(size) + " (it changed while it was copied)",
                            ErrorKind::io);
            sink.write_at(offset, buffer.data(), static_cast<std::size_t>(n));
            offset += static_cast<std::uint64_t>(n);
            REPRISE_KILL_POINT("mid-copy");
        }
    };
    const ChunkTable source = read_chunk_table(
        [&](std::uint64_t offset, char* into, std::size_t n) {
            return read_exact(fd, into, n, offset).empty();
        },
        size);
    const ChunkTable recycled =
        source.hashes.empty() ? ChunkTable() : recycled_chunks(sink, source.payload_offset);
    if (source.hashes.empty()) {
        copy(0, size);
    } else {
        // The head; each run of chunks the recycled copy does not hold, as they are stored
        // (a compressed chunk's stored bytes, not the rest of its place); the table and
        // trailer.
        const std::uint64_t payload = source.payload_offset;
        copy(0, payload);
        std::uint64_t run = payload;
        for (std::uint64_t i = 0; i < source.hashes.size(); ++i) {
            const std::uint64_t at = payload + i * kChunkBytes;
            const std::uint64_t length = chunk_length(i, source.payload_size);
            const StoredChunk stored = source.stored_as(i);
            if (recycled.holds(i, length, source.hashes[i], !source.stored.empty()) &&
                recycled.stored_as(i) == stored) {
                copy(run, at);
                run = at + length;
            } else if (stored.size < length) {
                copy(run, at + stored.size);
                release_stale_tail(sink, recycled, i, at, stored.size, length);
                run = at + length;
            }
        }
        copy(run, size);
    }
    // The file's size now: a file that grew while it was copied is refused too.
    if (sys::fstat(fd, &st) != 0) throw_errno("fstat of", path, errno);
    if (static_cast<std::uint64_t>(st.st_size) != size)
        throw Error("reprise: copying " + path + " to the persistent tier: its size went from " +
                        std::to_string(size) + " to " + std::to_string(st.st_size) +
                        " bytes while it was copied",
                    ErrorKind::io);
    return size;
}

class PersistentTier {
public:
    // Opens (creating it) the persistent directory `id.directory` and takes the job's lock
    // there, like the fast tier's store. `fast` is the fast tier's store, which outlives
    // this object. `every`: copy every Nth save. @throws Error when the directory is the
    // fast tier's own, or as GenerationStore's constructor.
    PersistentTier(StoreIdentity id, const GenerationStore& fast, unsigned every)
        : fast_(fast), store_(different_directory(std::move(id), fast)), every_(every ? every : 1) {}

    ~PersistentTier() { wait(); }
    PersistentTier(const PersistentTier&) = delete;
    PersistentTier& operator=(const PersistentTier&) = delete;

    // The persistent store, once no copy is in flight (waits for one).
    GenerationStore& store() {
        wait();
        return store_;
    }

    // Before the fast tier commits a generation that keeps `keep` as its fallback (and
    // recycles or removes every other file of the job): a copy not yet started of another
    // generation is dropped (the next save is copied instead), and a copy reading another
    // generation is waited for.
    void before_commit(std::uint64_t keep) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (wanted_ != 0 && wanted_ != keep) {
            wanted_ = 0;
            owed_ = true;
        }
        changed_.wait(lock, [&] { return copying_ == 0 || copying_ == keep; });
    }

    // The fast tier committed generation `g`: copy it, when it is the Nth save since the
    // last copy, when a copy was dropped, or `always` (a stop signal's save). Starts the
    // copier thread when none runs; one that runs takes it after its current copy (only
    // the newest generation waits: at most one copy queued).
    void after_commit(std::uint64_t g, bool always) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++saves_;
            if (!always && !owed_ && saves_ < every_) return;
            saves_ = 0;
            owed_ = false;
            wanted_ = g;
            if (running_) return;
            running_ = true;
        }
        if (thread_.joinable()) thread_.join(); // a copier that has ended
        try {
            thread_ = with_signals_blocked([this] { return std::thread([this] { run(); }); });
        } catch (const std::exception& e) {
            // The save itself is durable: only its copy is lost, and the next save's is owed.
            {
                std::lock_guard<std::mutex> lock(mutex_);
                running_ = false;
                wanted_ = 0;
                owed_ = true;
            }
            log_line(std::string("reprise: starting the copy of generation ") + std::to_string(g) +
                     " to the persistent tier " + store_.directory().path() + ": " + e.what() +
                     "; it stays in " + fast_.directory().path());
        }
    }

    // Waits until every copy asked for is done (or failed, which it reported).
    void wait() noexcept {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [&] { return !running_; });
        }
        if (thread_.joinable()) thread_.join();
        store_.finish_cleanup(); // a copy's removal of the older generation
    }

    // The newest generation this run copied, when no copy is in flight or waiting (then no
    // copy starts before the next after_commit(), on the caller's thread, so the file
    // stays as it is until then); 0 otherwise, or when none was copied.
    std::uint64_t settled() {
        std::lock_guard<std::mutex> lock(mutex_);
        return copying_ == 0 && wanted_ == 0 ? copied_ : 0;
    }

    // From now on every copy keeps generation `g` (GenerationStore::pin): under MPI, the
    // newest generation every rank's copy holds. Call it while no copy is in flight.
    void pin(std::uint64_t g) noexcept { store_.pin(g); }

    // The persistent directory and the name of generation `g`'s file there: names never
    // change, so neither waits for a copy.
    const Directory& directory() const noexcept { return store_.directory(); }
    std::string file_name(std::uint64_t g) const { return store_.file_name(g); }

    // The generation being copied or waiting to be (0: none), for a line about the wait.
    std::uint64_t in_flight() {
        std::lock_guard<std::mutex> lock(mutex_);
        return copying_ ? copying_ : wanted_;
    }

    // In a child made by fork(): the copier thread runs only in the parent; let go of it.
    void abandon() noexcept {
        if (thread_.joinable()) new std::thread(std::move(thread_));
        store_.abandon();
    }

private:
    // Two stores over one directory would lock each other out (and keep four generations):
    // the persistent directory must be another one, whatever path names it.
    static StoreIdentity different_directory(StoreIdentity id, const GenerationStore& fast) {
        struct stat mine {}, theirs {};
        if (::stat(id.directory.c_str(), &theirs) == 0 && sys::fstat(fast.directory().fd(), &mine) == 0 &&
            mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino)
            throw Error("reprise: the persistent directory " + id.directory +
                        " (REPRISE_PERSIST_DIR, Options::persist_directory) is the checkpoint "
                        "directory " + fast.directory().path() + " itself; name another one",
                        ErrorKind::configuration);
        return id;
    }

    void run() {
        for (;;) {
            std::uint64_t g = 0;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (wanted_ == 0) {
                    running_ = false;
                    changed_.notify_all();
                    return;
                }
                g = copying_ = wanted_;
                wanted_ = 0;
            }
            copy(g);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                copying_ = 0;
                changed_.notify_all();
            }
        }
    }

    // A failed copy costs nothing of the fast tier: it is reported, and the persistent
    // tier keeps what it had (commit() removed the temporary file).
    void copy(std::uint64_t g) noexcept {
        try {
            const std::string name = fast_.file_name(g);
            store_.commit(g, [&](FileSink& sink) { return copy_file_into(fast_.directory(), name, sink); });
            std::lock_guard<std::mutex> lock(mutex_);
            copied_ = g;
        } catch (const std::exception& e) {
            const std::uint64_t kept = store_.newest();
            log_line(std::string(e.what()) + "; the copy of generation " + std::to_string(g) +
                     " to the persistent tier failed: it stays in " + fast_.directory().path() +
                     ", and " + store_.directory().path() + " holds " +
                     (kept ? "generation " + std::to_string(kept) : std::string("no generation")) +
                     " of " + store_.describe_job());
        }
    }

    const GenerationStore& fast_;
    GenerationStore store_;
    const unsigned every_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::uint64_t wanted_ = 0;  // the generation to copy next (0: none)
    std::uint64_t copying_ = 0; // the generation being copied (0: none)
    std::uint64_t copied_ = 0;  // the newest generation this run copied (0: none)
    bool running_ = false;      // the copier thread is in its loop
    bool owed_ = false;         // a copy was dropped: the next save is copied
    unsigned saves_ = 0;        // fast-tier saves since the last copy asked for
};

} // namespace reprise::detail

#endif
