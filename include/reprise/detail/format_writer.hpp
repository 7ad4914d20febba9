// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_WRITER_HPP
#define REPRISE_DETAIL_FORMAT_WRITER_HPP

// Writing a checkpoint file (layout: format_layout.hpp). The payload goes first, at its
// page-aligned offset, through a sink that hashes it on its way; then the trailer, then
// the head, whose header records where each variable's bytes ended up. A synchronous save
// streams the archives straight into the file (PayloadSink); a background save serializes
// into memory (SnapshotSink, sized by CountingSink) and a writer thread puts that block on
// disk as it fills (SnapshotFeed). Either way the file is written inside write_durably
// (durable_file.hpp).

#include "reprise/detail/bytes.hpp"
#include "reprise/detail/checksum.hpp"
#include "reprise/detail/compress.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format_layout.hpp"
#include "reprise/detail/parallel.hpp"
#include "reprise/detail/progress.hpp"
#include "reprise/error.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace reprise::detail {

// Preamble, header, header checksum and zero padding: the bytes [0, payload offset).
// The header's length does not depend on the variables' sizes, so the payload offset is
// known before the payload is written.
inline std::string encode_file_head(const Header& h, std::uint64_t payload_size,
                                    std::uint32_t version = kFormatVersion) {
    const std::string block = encode_header_block(h);
    const std::uint64_t payload_offset =
        align_up(kPreambleSize + block.size() + 8, kPayloadAlignment);
    std::string out(kMagic, sizeof kMagic);
    put_u32(out, version);
    put_u32(out, static_cast<std::uint32_t>(block.size()));
    put_u64(out, payload_offset);
    put_u64(out, payload_size);
    out += block;
    put_u64(out, XXH3_64bits(out.data(), out.size()));
    out.resize(payload_offset, '\0');
    return out;
}

inline std::uint64_t payload_offset_for(const Header& h) {
    return encode_file_head(h, 0).size();
}

// The chunk table of an existing file (a recycled generation a save overwrites, a file a
// copy reads): what each chunk of the payload holds.
struct ChunkTable {
    std::uint64_t payload_offset = 0;
    std::uint64_t payload_size = 0;
    std::vector<ChunkHash> hashes; // empty: no usable table (every chunk counts as different)
    std::vector<StoredChunk> stored; // of a file of format 4; empty: every chunk as it is

    // Does the file hold, as its chunk `i`, `n` bytes whose hash is `h`, stored in a way a
    // file that is `compressed` (or not) keeps as it is? A compressed file keeps only what
    // a compressed save stored (a chunk of an uncompressed file is compressed again); an
    // uncompressed file, only chunks stored as they are.
    bool holds(std::uint64_t i, std::uint64_t n, const ChunkHash& h, bool compressed) const noexcept {
        if (i >= hashes.size()) return false;
        if (compressed ? stored.empty() : !stored.empty() && stored[i].codec != Codec::none)
            return false;
        return chunk_length(i, payload_size) == n && hashes[i] == h;
    }

    // How chunk `i` is stored: as it is, or as the table of format 4 says.
    StoredChunk stored_as(std::uint64_t i) const noexcept {
        if (!stored.empty()) return stored[i];
        return StoredChunk{static_cast<std::uint32_t>(chunk_length(i, payload_size)), Codec::none, 0};
    }
};

// The chunk table of a file of `size` bytes that `read_at(offset, into, n)` reads (false
// on any failure): empty unless the file is of this format and its table intact (its
// checksum in the trailer holds). The header's own checksum is not needed: only the
// payload's place and the table are used, and the table's checksum covers the table.
inline ChunkTable read_chunk_table(FunctionRef<bool(std::uint64_t, char*, std::size_t)> read_at,
                                   std::uint64_t size) {
    ChunkTable out;
    char pre[kPreambleSize];
    if (size < kPreambleSize || !read_at(0, pre, kPreambleSize) ||
        std::memcmp(pre, kMagic, sizeof kMagic) != 0)
        return out;
    const auto version = static_cast<std::uint32_t>(get_le(pre + 8, 4));
    const std::uint64_t offset = get_le(pre + 16, 8);
    const std::uint64_t payload_size = get_le(pre + 24, 8);
    if (version < kChunkedFormatVersion || version > kNewestFormatVersion ||
        expected_file_size(version, offset, payload_size) != size)
        return out;
    const std::uint64_t table = chunk_table_size(version, payload_size);
    std::string bytes(static_cast<std::size_t>(table + kTrailerSize), '\0');
    if (!read_at(offset + payload_size, &bytes[0], bytes.size()) ||
        std::memcmp(&bytes[table + 8], kEndMagic, sizeof kEndMagic) != 0 ||
        XXH3_64bits(bytes.data(), static_cast<std::size_t>(table)) != get_le(&bytes[table], 8))
        return out;
    if (!decode_chunk_table(bytes.data(), version, payload_size, out.hashes, out.stored)) {
        out.hashes.clear();
        out.stored.clear();
        return out;
    }
    out.payload_offset = offset;
    out.payload_size = payload_size;
    return out;
}

// The chunk table of the recycled file `sink` overwrites, read before anything is written,
// when its payload is at `payload_offset` too (else empty). The file was a committed
// generation, written in full and fsync'ed before its rename, so its chunks are those its
// table says; were one damaged on disk since, the new file's own table (computed from the
// new bytes) would not match it, and a restore would reject the new file, not load the
// damage.
inline ChunkTable recycled_chunks(const FileSink& sink, std::uint64_t payload_offset) {
    ChunkTable table = read_chunk_table(
        [&](std::uint64_t offset, char* into, std::size_t n) { return sink.read_recycled(offset, into, n); },
        sink.recycled_size());
    if (table.payload_offset != payload_offset) table = ChunkTable();
    return table;
}

// After `size` stored bytes were written at the start of chunk `i`'s place (`length` bytes,
// at `place` in `sink`'s file), releases the blocks of the place's rest that held bytes of
// the recycled file `recycled` describes: a reader never looks there, and the disk space is
// what compression saves.
inline void release_stale_tail(FileSink& sink, const ChunkTable& recycled, std::uint64_t i,
                               std::uint64_t place, std::uint64_t size, std::uint64_t length) {
    const std::uint64_t place_end = place + length;
    std::uint64_t old_end = std::min(place_end, sink.recycled_size()); // what may be there
    if (i < recycled.hashes.size()) old_end = place + recycled.stored_as(i).size;
    const std::uint64_t free_from = align_up(place + size, kPayloadAlignment);
    if (old_end > free_from) sink.release(free_from, std::min(old_end, place_end) - free_from);
}

// The payload of a save, on its way to the file: one pass over the state, no copy of it in
// memory. Small values fill a buffer that starts on a chunk boundary (kChunkBytes, on the
// payload's grid); a block larger than half the buffer (a vector's data) goes to the file
// straight from where it is, once the buffered chunk it completes is out. Each chunk is
// hashed into the chunk table on its way; a chunk that the recycled file being overwritten
// holds already (the same hash at the same place, recycled_chunks) is not written at all,
// so a save of a state that changed little writes little, and every generation is still a
// complete file. With `compression`, each chunk that is written is compressed first (two
// threads; compress.hpp), and stored at the start of its place.
class PayloadSink final : public ByteSink {
public:
    // `buffer` (`capacity` bytes, kept by the caller from one save to the next so that its
    // pages are touched once) holds small values until they are written; without one (a
    // background save writes its snapshot with write_block()), the sink allocates a chunk.
    PayloadSink(FileSink& file, std::uint64_t offset, char* buffer = nullptr,
                std::size_t capacity = 0, Compression compression = {})
        : file_(file), start_(offset), recycled_(recycled_chunks(file, offset)),
          compression_(compression) {
        if (!buffer || capacity < kChunkBytes) {
            own_.reset(new char[kChunkBytes]);
            buffer = own_.get();
            capacity = kChunkBytes;
        }
        buffer_ = buffer;
        capacity_ = capacity - capacity % kChunkBytes;
        base_ = buffer_;
        limit_ = capacity_;
        chunks_.reserve(recycled_.hashes.size());
    }
    PayloadSink(const PayloadSink&) = delete;
    PayloadSink& operator=(const PayloadSink&) = delete;

    // Bytes of payload produced so far (written, left in place, or buffered).
    std::uint64_t size() const { return emitted_ + pos_; }

    // Writes what is buffered; returns the chunk table.
    const std::vector<ChunkHash>& finish() {
        emit(buffer_, pos_);
        pos_ = 0;
        return chunks_;
    }

    // How each chunk is stored (a file of format 4), after finish(); empty without
    // compression (format 3: every chunk as it is).
    const std::vector<StoredChunk>& stored() const noexcept { return stored_; }

    // Writes `n` bytes that are already in memory (a background save's snapshot, in the
    // pieces its writer thread takes as they are copied), as a bulk block whatever `n`.
    void write_block(const char* data, std::size_t n) { put_direct(data, n, true); }

    // A slow save reports through `progress` (nullptr: not watched): told every
    // SaveProgress::kCheckBytes of payload, one comparison per piece written.
    void watch(SaveProgress* progress) noexcept {
        progress_ = progress;
        next_check_ = emitted_ + SaveProgress::kCheckBytes;
    }

private:
    // Hashed, then written, in pieces that stay in the processor's cache between the two;
    // a bulk block's by two threads, in pieces large enough to be worth a thread.
    static constexpr std::size_t kPiece = std::size_t(256) << 10;
    static constexpr std::size_t kBulkPiece = std::size_t(8) << 20;
    static constexpr std::size_t kChunk = static_cast<std::size_t>(kChunkBytes);

    void put_beyond(const char* data, std::size_t n) override {
        if (n >= capacity_ / 2) {
            put_direct(data, n);
            return;
        }
        while (n > 0) { // fill the buffer, write it, go on
            const std::size_t take = std::min(n, limit_ - pos_);
            std::memcpy(base_ + pos_, data, take);
            pos_ += take;
            data += take;
            n -= take;
            if (pos_ == limit_) {
                emit(buffer_, pos_);
                pos_ = 0;
            }
        }
    }

    // The bytes of the buffered chunk that `data` completes join it in the buffer; the
    // whole chunks that follow are written from `data`; what is left of a last chunk
    // starts the buffer again.
    void put_direct(const char* data, std::size_t n, bool bulk = false) {
        const std::size_t partial = pos_ % kChunk;
        if (partial != 0) {
            const std::size_t take = std::min(n, kChunk - partial);
            std::memcpy(buffer_ + pos_, data, take);
            pos_ += take;
            data += take;
            n -= take;
            if (pos_ % kChunk != 0) return; // `data` ended inside the chunk
        }
        if (pos_) emit(buffer_, pos_);
        pos_ = 0;
        const std::size_t whole = n - n % kChunk;
        emit(data, whole, bulk);
        std::memcpy(buffer_, data + whole, n - whole);
        pos_ = n - whole;
    }

    // Hashes `n` bytes of payload (whole chunks, but for the payload's last one) into the
    // table, and writes those of them that the recycled file does not hold. A piece is
    // hashed (and compressed), then written while still in the cache; a bulk block's pieces,
    // and every piece of a compressed save, are larger and done by two threads.
    void emit(const char* data, std::size_t n, bool bulk = false) {
        const bool compressing = compression_.codec != Codec::none;
        const std::size_t piece_size = compressing || bulk || n >= kBulkBytes ? kBulkPiece : kPiece;
        if (compressing && !staging_) staging_.reset(new char[kBulkPiece]);
        while (n > 0) {
            const std::size_t piece = std::min(n, piece_size);
            const std::size_t first = chunks_.size();
            const std::size_t count = (piece + kChunk - 1) / kChunk;
            chunks_.resize(first + count);
            ChunkHash* hashes = chunks_.data() + first;
            StoredChunk* stored = nullptr;
            if (compressing) {
                stored_.resize(first + count);
                stored = stored_.data() + first;
            }
            auto work = [&, data, hashes, stored, first](std::size_t begin, std::size_t end) {
                ChunkCompressor* compressor = nullptr;
                if (stored) {
                    std::unique_ptr<ChunkCompressor>& c = compressors_[begin == 0 ? 0 : 1];
                    if (!c) c.reset(new ChunkCompressor(compression_.level));
                    compressor = c.get();
                }
                for (std::size_t at = begin; at < end; at += kChunk) {
                    const std::size_t length = std::min(kChunk, end - at), i = at / kChunk;
                    hashes[i] = chunk_hash(data + at, length);
                    if (!stored) continue;
                    // A chunk left in place stays as the recycled file stores it.
                    stored[i] = recycled_.holds(first + i, length, hashes[i], true)
                                    ? recycled_.stored_as(first + i)
                                    : compressor->compress(data + at, length, staging_.get() + at);
                }
            };
            if (piece > kChunk && (compressing || piece == kBulkPiece))
                in_two_parts(piece, kChunk, work);
            else
                work(0, piece);
            std::size_t run = 0, run_length = 0; // chunks to write as they are, as one write
            for (std::size_t at = 0; at < piece; at += kChunk) {
                const std::size_t length = std::min(kChunk, piece - at), i = at / kChunk;
                if (recycled_.holds(first + i, length, hashes[i], compressing)) {
                    write_run(data, run, run_length);
                    run_length = 0;
                } else if (stored && stored[i].codec != Codec::none) {
                    write_run(data, run, run_length);
                    run_length = 0;
                    write_stored(first + i, staging_.get() + at, stored[i].size, length);
                } else {
                    if (run_length == 0) run = at;
                    run_length += length;
                }
            }
            write_run(data, run, run_length);
            emitted_ += piece;
            data += piece;
            n -= piece;
            if (emitted_ >= next_check_) {
                next_check_ = emitted_ + SaveProgress::kCheckBytes;
                if (progress_) progress_->at(emitted_);
            }
        }
    }

    // Writes bytes [at, at + length) of the piece that begins at payload offset emitted_.
    void write_run(const char* piece, std::size_t at, std::size_t length) {
        if (length) file_.write_at(start_ + emitted_ + at, piece + at, length);
    }

    // Writes the `size` stored bytes of chunk `i` (`length` bytes long) at the start of its
    // place; what the recycled file held in the rest goes.
    void write_stored(std::uint64_t i, const char* bytes, std::size_t size, std::size_t length) {
        const std::uint64_t place = start_ + i * kChunkBytes;
        file_.write_at(place, bytes, size);
        release_stale_tail(file_, recycled_, i, place, size, length);
    }

    FileSink& file_;
    std::uint64_t start_; // the payload's offset in the file
    ChunkTable recycled_;
    Compression compression_;
    std::unique_ptr<ChunkCompressor> compressors_[2]; // one per thread
    std::unique_ptr<char[]> staging_; // a piece's compressed chunks, each at its chunk's place
    std::vector<StoredChunk> stored_;
    std::unique_ptr<char[]> own_;
    char* buffer_ = nullptr;
    std::size_t capacity_ = 0; // a multiple of kChunkBytes
    std::uint64_t emitted_ = 0; // payload bytes hashed (and written or left) so far
    std::vector<ChunkHash> chunks_;
    SaveProgress* progress_ = nullptr;
    std::uint64_t next_check_ = UINT64_MAX;
};

// The progress of a snapshot being taken, between the compute thread that takes it and the
// writer thread that puts its bytes on disk meanwhile: how many bytes are in the buffer so
// far, and whether the snapshot ended (complete, or abandoned when serializing threw).
// The writer holds buffer_mutex while it reads the buffer; the compute thread, while it
// moves it (SnapshotSink::grow).
class SnapshotFeed {
public:
    // The compute thread: a new snapshot is about to be taken.
    void restart() {
        std::lock_guard<std::mutex> lock(mutex_);
        taken_ = 0;
        state_ = State::taking;
    }
    // The compute thread: the first `taken` bytes of the buffer are the snapshot's.
    void publish(std::uint64_t taken) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            taken_ = taken;
        }
        wake_.notify_all();
    }
    // The compute thread: the snapshot is complete (`taken` bytes), or abandoned.
    void end(std::uint64_t taken, bool complete) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            taken_ = taken;
            state_ = complete ? State::complete : State::abandoned;
        }
        wake_.notify_all();
    }

    // The writer thread: waits until more than `from` + `want` bytes are taken, or the
    // snapshot ended. Returns the bytes taken so far; `ended` says whether that is all.
    // @throws Error when the snapshot was abandoned.
    std::uint64_t wait_beyond(std::uint64_t from, std::uint64_t want, bool& ended) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return state_ != State::taking || taken_ >= from + want; });
        if (state_ == State::abandoned)
            throw Error("reprise: the snapshot was abandoned (serializing a variable failed)",
                        ErrorKind::io);
        ended = state_ == State::complete;
        return taken_;
    }

    std::mutex buffer_mutex;

private:
    enum class State { taking, complete, abandoned };
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t taken_ = 0;
    State state_ = State::complete;
};

// The snapshot of a background save: the payload serialized into memory, which a writer
// thread puts on disk as it is taken (SnapshotFeed). The buffer is kept from one save to
// the next, so after the first save the compute loop pays only for a copy into memory it
// has already touched.
class SnapshotSink final : public ByteSink {
public:
    // Starts a new snapshot, its progress published to `feed` at least every
    // kPublishBytes. A buffer smaller than `expected` is replaced by one of that size, so
    // the snapshot of a state whose size does not change is never copied twice.
    void reset(std::size_t expected, SnapshotFeed& feed) {
        if (expected > capacity_) {
            data_.reset(); // release first: never two buffers at once
            data_.reset(new char[expected]);
            capacity_ = expected;
        }
        feed_ = &feed;
        base_ = data_.get();
        pos_ = 0;
        limit_ = window_end();
    }
    std::uint64_t size() const { return pos_; }
    const char* data() const { return data_.get(); }
    std::size_t capacity() const { return capacity_; }

    // Between two publications: few enough for the writer to start early, and to follow
    // the copy closely, and large enough that publishing costs nothing.
    static constexpr std::size_t kPublishBytes = std::size_t(4) << 20;

private:
    void put_beyond(const char* data, std::size_t n) override {
        if (n > capacity_ - pos_) grow(n);
        if (n < kBulkBytes) {
            std::memcpy(base_ + pos_, data, n);
            pos_ += n;
        } else {
            // In pieces, each published as it lands, by this thread alone (the writer has
            // the other core; two copying threads would only take turns with it for the
            // memory's bandwidth).
            for (std::size_t at = 0; at < n; at += kBulkBytes) {
                const std::size_t take = std::min(kBulkBytes, n - at);
                std::memcpy(base_ + pos_, data + at, take);
                pos_ += take;
                feed_->publish(pos_);
            }
        }
        feed_->publish(pos_);
        limit_ = window_end();
    }

    // The window ends kPublishBytes on, so that put_beyond() is called (and publishes) at
    // least that often.
    std::size_t window_end() const { return std::min(capacity_, pos_ + kPublishBytes); }

    // Room for `n` more bytes: a larger buffer, the bytes so far copied into it (the
    // writer does not read the buffer meanwhile).
    void grow(std::size_t n) {
        const std::size_t used = pos_;
        const std::size_t wanted = std::max(used + n, capacity_ + capacity_ / 2 + 4096);
        std::unique_ptr<char[]> bigger(new char[wanted]);
        std::lock_guard<std::mutex> lock(feed_->buffer_mutex);
        if (used) std::memcpy(bigger.get(), data_.get(), used);
        data_ = std::move(bigger);
        capacity_ = wanted;
        base_ = data_.get();
    }

    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
    SnapshotFeed* feed_ = nullptr;
};

// Counts the bytes a serialization produces, without keeping them: sizes the snapshot
// buffer of the first background save exactly. Small values land in a scratch window
// that is reused; large blocks are only counted.
class CountingSink final : public ByteSink {
public:
    CountingSink() { rewind(); }
    std::uint64_t size() const { return counted_ + pos_; }

private:
    void put_beyond(const char*, std::size_t n) override {
        counted_ += pos_ + n;
        rewind();
    }
    void rewind() {
        base_ = scratch_;
        pos_ = 0;
        limit_ = sizeof scratch_;
    }

    char scratch_[16 << 10];
    std::uint64_t counted_ = 0;
};

// After the payload: the chunk table, the trailer (the table's checksum), then the head
// that records each variable's size. Returns the file's size.
inline std::uint64_t write_file_tail(FileSink& sink, const Header& header,
                                     std::uint64_t payload_offset, std::uint64_t payload_size,
                                     const std::vector<ChunkHash>& chunks,
                                     const std::vector<StoredChunk>& stored = {}) {
    const std::string tail = encode_file_tail(chunks, stored);
    sink.write_at(payload_offset + payload_size, tail.data(), tail.size());
    const std::string head = encode_file_head(
        header, payload_size, stored.empty() ? kFormatVersion : kCompressedFormatVersion);
    sink.write_at(0, head.data(), head.size());
    if (!stored.empty())
        sink.set_stored_size(payload_offset + stored_payload_size(stored, payload_size) + tail.size());
    return payload_offset + payload_size + tail.size();
}

} // namespace reprise::detail

#endif
