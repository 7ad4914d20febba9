// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_WRITER_HPP
#define REPRISE_DETAIL_WRITER_HPP

// The background writer, and the owner of the generation store. A background save takes
// a snapshot of the state on the compute thread (into memory kept from one save to the
// next) while a writer thread puts what is taken so far on disk; the writer then commits
// the generation to the store while the computation goes on. The
// store is reachable only through store(), which first waits for the writer: the compute
// thread cannot touch the store, or the snapshot, while a save is in flight.
//
// With a persistent tier (detail/tiers.hpp), every commit to the store goes through
// commit() here, which hands each new generation to the tier's copier thread.

#include "reprise/detail/format_writer.hpp"
#include "reprise/detail/signals.hpp"
#include "reprise/detail/store.hpp"
#include "reprise/detail/tiers.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace reprise::detail {

class BackgroundWriter {
public:
    explicit BackgroundWriter(StoreIdentity id) : store_(std::move(id)) {}
    ~BackgroundWriter() { join(); }
    BackgroundWriter(const BackgroundWriter&) = delete;
    BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    // The store, once no save is in flight (waits for one). A failure of that save is
    // kept for take_error().
    GenerationStore& store() {
        join();
        return store_;
    }

    // Adds the persistent tier: a second store over `id.directory`, to which every
    // `every`th generation is copied once durable here. Generation numbers grow past the
    // ones it holds. @throws Error as PersistentTier's constructor.
    void add_persistent_tier(StoreIdentity id, unsigned every) {
        join();
        tier_ = std::make_unique<PersistentTier>(std::move(id), store_, every);
        store_.number_past(tier_->store().newest_named());
    }

    // The persistent tier (nullptr: none), once no save is in flight.
    PersistentTier* persistent_tier() {
        join();
        return tier_.get();
    }

    // Commits generation `g` to the store (see GenerationStore::commit), then hands it to
    // the persistent tier, if any: `copy_always` copies it whatever Options::persist_every
    // says (a stop signal's save). On the calling thread, once no save is in flight.
    std::uint64_t commit(std::uint64_t g, FunctionRef<std::uint64_t(FileSink&)> write_file,
                         const std::string& trigger, bool copy_always = false) {
        if (tier_) tier_->before_commit(store_.kept_by_next_commit());
        const std::uint64_t bytes = store_.commit(g, write_file, trigger);
        if (tier_) tier_->after_commit(g, copy_always);
        return bytes;
    }

    // Waits for the save in flight, then for the persistent copies, if any.
    void wait_for_copies() noexcept {
        join();
        if (tier_) tier_->wait();
    }

    // The generation last saved or restored (a background one once it is durable).
    // Thread-safe, never waits.
    std::uint64_t last_generation() const noexcept { return store_.last(); }

    // The path of generation `g`'s file. Thread-safe, never waits: names never change.
    std::string path_of(std::uint64_t g) const { return store_.path_of(g); }

    // Waits for the save in flight, if any.
    void join() noexcept {
        if (thread_.joinable()) thread_.join();
    }

    // The failure of the last background save ("" when none), once: the caller reports it.
    std::string take_error() {
        join();
        return std::exchange(error_, std::string());
    }

    // A save was in flight and has ended: the caller may collect it without waiting.
    bool ended() const noexcept { return thread_.joinable() && done_.load(); }

    // A trigger while a save is in flight: remembered (at most one save in flight), and
    // the writer re-posts it when it ends. Returns false when no save is in flight, or
    // when the writer ended without seeing the trigger: the caller saves now.
    bool defer_if_busy() {
        if (!thread_.joinable()) return false;
        deferred_.store(true);
        if (!done_.load()) return true;
        // The writer ended between the check above and the store. If it saw the deferred
        // trigger, the request it re-posted does the save at the next poll; otherwise the
        // trigger is ours to carry out now.
        return !deferred_.exchange(false);
    }

    // Saves generation `g` in the background: serializes a snapshot of the state through
    // `serialize(sink, header)` into the reused buffer, on the calling thread, while a
    // writer thread puts the bytes taken so far on disk (SnapshotFeed) and then commits
    // the generation. Returns once the snapshot is taken: the computation may change the
    // state from then on. `header` comes from Checkpointer::new_header: its length, and
    // so the payload's offset, do not depend on what serialize() then records in it.
    // `trigger` is what asked for the save, for its lines (a slow one's progress is
    // reported from the writer thread); `compression`, how the file's chunks are stored
    // (Options::compress). `committed()` runs on the writer thread after a successful
    // commit. The first time, a counting pass sizes the buffer exactly, so that the
    // snapshot of a state whose size does not change is never copied twice. A failure of
    // the writer is kept for take_error(); one of serialize() is thrown (the writer then
    // gives the file up).
    template <class Serialize, class Committed>
    void save(std::uint64_t generation, Header header, std::string trigger,
              Compression compression, Serialize&& serialize, Committed committed) {
        join();
        std::size_t expected = 0;
        const std::uint64_t last_size = snapshot_.size();
        if (snapshot_.capacity() == 0) {
            CountingSink counter;
            Header scratch = header;
            serialize(counter, scratch);
            expected = static_cast<std::size_t>(counter.size());
        }
        const std::uint64_t payload_offset = payload_offset_for(header);
        snapshot_.reset(expected, feed_);
        feed_.restart();
        done_.store(false);
        error_.clear();
        thread_ = with_signals_blocked([&] {
            return std::thread([this, generation, payload_offset, trigger = std::move(trigger),
                                compression, committed, expected, last_size] {
                try {
                    SaveProgress progress(generation, trigger, store_.path_of(generation),
                                          expected, last_size);
                    commit(generation, [&](FileSink& sink) {
                        PayloadSink payload(sink, payload_offset, nullptr, 0, compression);
                        payload.watch(&progress);
                        write_as_taken(payload, progress);
                        const std::vector<ChunkHash>& chunks = payload.finish();
                        if (payload_offset_for(header_) != payload_offset)
                            throw std::logic_error("reprise: a header's length changed in a save");
                        return write_file_tail(sink, header_, payload_offset, snapshot_.size(),
                                               chunks, payload.stored());
                    }, trigger);
                    committed();
                } catch (const std::exception& e) {
                    error_ = e.what();
                }
                done_.store(true);
                // A trigger that came while this save was in flight is carried out now.
                if (deferred_.exchange(false)) g_pending.fetch_or(kSaveRequested);
                g_pending.fetch_or(kSaveFinished);
            });
        });
        try {
            serialize(snapshot_, header);
        } catch (...) {
            feed_.end(snapshot_.size(), false);
            join();
            error_.clear(); // the writer's failure is this one, which the caller reports
            throw;
        }
        header_ = std::move(header);
        feed_.end(snapshot_.size(), true);
    }

    // In a child made by fork(): the threads run only in the parent (joining them would
    // wait forever), so their handles are let go of. Memory is all this leaks.
    void abandon() noexcept {
        if (thread_.joinable()) new std::thread(std::move(thread_));
        if (tier_) tier_.release()->abandon();
        store_.abandon();
    }

private:
    // The writer thread's part of save(): the snapshot's bytes into `payload` as they are
    // taken, in whole chunks (but for the last), kFeedBytes or more at a time; the
    // snapshot's size to `progress` once known.
    void write_as_taken(PayloadSink& payload, SaveProgress& progress) {
        static constexpr std::uint64_t kFeedBytes = std::uint64_t(8) << 20;
        for (std::uint64_t done = 0;;) {
            bool ended = false;
            const std::uint64_t taken = feed_.wait_beyond(done, kFeedBytes, ended);
            const std::uint64_t n = ended ? taken - done : (taken - done) - (taken - done) % kChunkBytes;
            if (ended) progress.set_total(taken);
            if (n) {
                std::lock_guard<std::mutex> lock(feed_.buffer_mutex);
                payload.write_block(snapshot_.data() + done, static_cast<std::size_t>(n));
            }
            done += n;
            if (ended) return;
        }
    }

    GenerationStore store_;
    std::unique_ptr<PersistentTier> tier_; // after store_: destroyed first, it reads store_'s files
    SnapshotSink snapshot_;
    SnapshotFeed feed_; // snapshot_'s progress, for the writer thread
    Header header_; // the snapshot's, once taken (what the writer thread reads after the feed ends)
    std::thread thread_;
    std::atomic<bool> done_{false};
    std::atomic<bool> deferred_{false};
    std::string error_;
};

} // namespace reprise::detail

#endif
