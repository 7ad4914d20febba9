// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_READER_HPP
#define REPRISE_DETAIL_FORMAT_READER_HPP

// Opening and verifying a checkpoint file (layout: format_layout.hpp), then reading its
// payload. read_checkpoint checks the file's owner and type, every size against the file's
// real size, the header's checksum and the chunk table's; a PayloadReader then reads the
// payload once, verifying each chunk before a byte of it reaches a decoder (large arrays
// straight into their memory, verified as they land), so that a torn or hostile file
// never reaches cereal and a restore reads the file once (docs/format.md).

#include "reprise/detail/bytes.hpp"
#include "reprise/detail/checksum.hpp"
#include "reprise/detail/compress.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format_layout.hpp"
#include "reprise/detail/parallel.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/detail/sys.hpp"
#include "reprise/error.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace reprise::detail {

// An open checkpoint file: closed on destruction.
class FileHandle {
public:
    FileHandle() = default;
    explicit FileHandle(int fd) : fd_(fd) {}
    ~FileHandle() {
        if (fd_ >= 0) sys::close(fd_);
    }
    FileHandle(FileHandle&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    FileHandle& operator=(FileHandle&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_ = -1;
};

// Reads exactly `size` bytes at `offset` into `into`, through short reads and EINTR.
// Returns "" on success, else why not.
inline std::string read_exact(int fd, char* into, std::uint64_t size, std::uint64_t offset) {
    while (size > 0) {
        const std::size_t chunk = size < (1u << 30) ? static_cast<std::size_t>(size) : (1u << 30);
        const ssize_t n = sys::pread(fd, into, chunk, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return "read error: " + errno_text(errno);
        if (n == 0) return "truncated: the file ended while it was being read";
        into += n;
        offset += static_cast<std::uint64_t>(n);
        size -= static_cast<std::uint64_t>(n);
    }
    return "";
}

// A checkpoint file opened and verified: header parsed, both checksums good. The payload
// stays in the file (and, just read, in the page cache); decode it with FileRangeSource.
struct VerifiedCheckpoint {
    Header header;
    FileHandle file;
    std::uint64_t payload_offset = 0;
    std::uint64_t payload_size = 0;
    std::uint64_t file_size = 0;
    std::uint32_t format_version = 0; // as the file says: kOldestFormatVersion..kNewestFormatVersion
    // The chunk table (format 3 on; its checksum verified), each chunk's XXH3-128.
    std::vector<ChunkHash> chunks;
    // How each chunk is stored (format 4); empty: every chunk as it is.
    std::vector<StoredChunk> stored;
    // Every byte of the payload was verified; when false (Verify::as_loaded of a chunked
    // file), each chunk is as a PayloadReader reads it.
    bool payload_verified = false;
};

// How much of a file read_checkpoint verifies: all of it; only what precedes the payload
// and the trailer (to describe a generation in a message); or, for a restore, all but the
// payload's chunks, which the PayloadReader that loads them verifies as it reads them, so
// that the payload is read once (a file older than format 3, whose checksum covers the
// whole payload, is verified in full first).
enum class Verify { whole_file, header_only, as_loaded };

// "payload checksum mismatch (chunk 3 of 16, payload bytes 131072 to 196608)".
inline std::string describe_bad_chunk(std::uint64_t chunk, std::uint64_t chunks,
                                      std::uint64_t payload_size) {
    const std::uint64_t begin = chunk * kChunkBytes;
    return "payload checksum mismatch (chunk " + std::to_string(chunk + 1) + " of " +
           std::to_string(chunks) + ", payload bytes " + std::to_string(begin) + " to " +
           std::to_string(std::min(payload_size, begin + kChunkBytes)) + ")";
}

// Verifies the chunks of the payload bytes `data` [0, n), which are those from payload
// offset `at` (a multiple of kChunkBytes). Returns "" when all match, else why not.
inline std::string check_chunks(const char* data, std::uint64_t n, std::uint64_t at,
                                const std::vector<ChunkHash>& chunks, std::uint64_t payload_size) {
    for (std::uint64_t done = 0; done < n; done += kChunkBytes) {
        const std::uint64_t i = (at + done) / kChunkBytes;
        const auto length = static_cast<std::size_t>(std::min(kChunkBytes, n - done));
        if (i >= chunks.size() || chunk_hash(data + done, length) != chunks[i])
            return describe_bad_chunk(i, chunks.size(), payload_size);
    }
    return "";
}

// Reads chunks of a payload into memory, verified (unless the file was verified already)
// and, those stored compressed, decompressed: the one place that knows how a chunk is on
// disk. One per thread.
class ChunkLoader {
public:
    // `chunks`: the hashes to verify against (nullptr: verified already); `stored`: how
    // each chunk is stored (empty: as it is). Both outlive the loader.
    ChunkLoader(int fd, std::uint64_t payload_offset, std::uint64_t payload_size,
                const std::vector<ChunkHash>* chunks, const std::vector<StoredChunk>& stored)
        : fd_(fd), offset_(payload_offset), size_(payload_size), chunks_(chunks), stored_(stored) {}

    // Payload bytes [at, at + n) into `into`: `at` on a chunk boundary, `n` whole chunks or
    // up to the payload's end. Returns "" on success, else why not.
    std::string load(char* into, std::uint64_t at, std::uint64_t n) {
        if (stored_.empty()) return load_as_is(into, at, n);
        // Runs of chunks stored as they are, read straight into `into`; runs of compressed
        // ones, each run by one read.
        const std::uint64_t end = at + n;
        for (std::uint64_t done = at; done < end;) {
            const bool compressed = stored_[done / kChunkBytes].codec != Codec::none;
            std::uint64_t next = done + kChunkBytes;
            while (next < end && (stored_[next / kChunkBytes].codec != Codec::none) == compressed)
                next += kChunkBytes;
            next = std::min(next, end);
            const std::string why = compressed ? load_compressed(into + (done - at), done, next)
                                               : load_as_is(into + (done - at), done, next - done);
            if (!why.empty()) return why;
            done = next;
        }
        return "";
    }

private:
    std::string load_as_is(char* into, std::uint64_t at, std::uint64_t n) {
        if (n == 0) return "";
        std::string why = read_exact(fd_, into, n, offset_ + at);
        if (why.empty() && chunks_) why = check_chunks(into, n, at, *chunks_, size_);
        return why;
    }

    // The compressed chunks of payload bytes [begin, end) into `into`: the file's bytes from
    // the first one's place to the last one's stored end read at once (one read, which the
    // disk serves in one go, rather than one small read per 64 KiB that defeats the
    // kernel's read-ahead; the holes between cost no disk read), then each chunk's stored
    // bytes verified, decoded into `into`, and (unless verified already) the decoded bytes
    // checked against the chunk's hash.
    std::string load_compressed(char* into, std::uint64_t begin, std::uint64_t end) {
        const std::uint64_t last = (end - 1) / kChunkBytes;
        const std::uint64_t span = last * kChunkBytes + stored_[last].size - begin;
        if (scratch_size_ < span) { // at most what the caller asked for: never what a file says
            scratch_.reset(new char[static_cast<std::size_t>(span)]);
            scratch_size_ = span;
        }
        std::string why = read_exact(fd_, scratch_.get(), span, offset_ + begin);
        if (!why.empty()) return why;
        for (std::uint64_t at = begin; at < end; at += kChunkBytes) {
            const std::uint64_t i = at / kChunkBytes;
            const StoredChunk& c = stored_[i];
            const char* bytes = scratch_.get() + (at - begin);
            const auto length = static_cast<std::size_t>(chunk_length(i, size_));
            if (XXH3_64bits(bytes, c.size) != c.checksum)
                return describe_bad_chunk(i, chunk_count(size_), size_) + " (its compressed bytes)";
            why = decompressor_.decompress(c.codec, bytes, c.size, into + (at - begin), length);
            if (!why.empty())
                return describe_bad_chunk(i, chunk_count(size_), size_) + " (" + why + ")";
            if (chunks_) why = check_chunks(into + (at - begin), length, at, *chunks_, size_);
            if (!why.empty()) return why;
        }
        return "";
    }

    int fd_;
    std::uint64_t offset_, size_;
    const std::vector<ChunkHash>* chunks_;
    const std::vector<StoredChunk>& stored_;
    std::unique_ptr<char[]> scratch_; // a run of compressed chunks' places, as read
    std::uint64_t scratch_size_ = 0;
    ChunkDecompressor decompressor_;
};

// Reads the payload through a buffer of bounded size (nothing a file says drives an
// allocation) and verifies every chunk. Returns "" when all match, else why not.
inline std::string verify_chunks(int fd, std::uint64_t payload_offset, std::uint64_t payload_size,
                                 const std::vector<ChunkHash>& chunks,
                                 const std::vector<StoredChunk>& stored) {
    // A piece that stays in the processor's cache, from the heap's reused memory (a large
    // one is fresh memory, whose first touch costs as much as reading it).
    constexpr std::uint64_t kPiece = 2 * kChunkBytes;
    std::unique_ptr<char[]> piece(new char[static_cast<std::size_t>(kPiece)]);
    ChunkLoader loader(fd, payload_offset, payload_size, &chunks, stored);
    for (std::uint64_t at = 0; at < payload_size; at += kPiece) {
        const std::string why = loader.load(piece.get(), at, std::min(kPiece, payload_size - at));
        if (!why.empty()) return why;
    }
    return "";
}

// The whole-payload checksum of a file older than format 3. Returns "" when it matches.
inline std::string verify_payload_checksum(int fd, std::uint64_t payload_offset,
                                           std::uint64_t payload_size, std::uint64_t expected) {
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                    &XXH3_freeState);
    if (!state) throw Error("reprise: out of memory for the checksum state", ErrorKind::io);
    XXH3_64bits_reset(state.get());
    constexpr std::uint64_t kPiece = std::uint64_t(128) << 10;
    std::unique_ptr<char[]> piece(new char[static_cast<std::size_t>(kPiece)]);
    for (std::uint64_t at = 0; at < payload_size;) {
        const std::uint64_t n = std::min(kPiece, payload_size - at);
        const std::string why = read_exact(fd, piece.get(), n, payload_offset + at);
        if (!why.empty()) return why;
        XXH3_64bits_update(state.get(), piece.get(), static_cast<std::size_t>(n));
        at += n;
    }
    return XXH3_64bits_digest(state.get()) == expected ? "" : "payload checksum mismatch";
}

// Opens `name` in `dir` and verifies all of it. Returns false with the reason in `why` for
// any file that is not a complete, intact checkpoint (I/O errors included: the caller
// falls back to an older generation). Sizes in the file are trusted only after they agree
// with the file's real size, and the payload is hashed through a small buffer, so nothing
// a file says can drive an allocation. With Verify::header_only the payload's checksum is
// not computed: the header is good for a message, the file not yet for a restore.
inline bool read_checkpoint(const Directory& dir, const std::string& name,
                            VerifiedCheckpoint& out, std::string& why,
                            Verify depth = Verify::whole_file) {
    FileHandle file(
        sys::openat(dir.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    const int fd = file.get();
    if (fd < 0) {
        why = "cannot open: " + errno_text(errno);
        return false;
    }

    struct stat st {};
    if (sys::fstat(fd, &st) != 0) {
        why = "cannot stat: " + errno_text(errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        why = "not a regular file";
        return false;
    }
    // In a directory others can write to (a shared scratch, /tmp), a file under one of
    // our names may be someone else's: never load state from it.
    if (st.st_uid != ::geteuid()) {
        why = "owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
              std::to_string(::geteuid()) + ")";
        return false;
    }
    if (!clear_nonblocking(fd)) {
        why = "cannot clear O_NONBLOCK: " + errno_text(errno);
        return false;
    }
    const auto file_size = static_cast<std::uint64_t>(st.st_size);
    auto read_exact_or_why = [&](char* into, std::uint64_t size, std::uint64_t offset) {
        why = read_exact(fd, into, size, offset);
        return why.empty();
    };

    if (file_size == 0) {
        why = "empty file";
        return false;
    }
    if (file_size < kPreambleSize + 8 + kTrailerSize) {
        why = "truncated: " + std::to_string(file_size) + " bytes, too short for a checkpoint";
        return false;
    }
    char pre[kPreambleSize];
    if (!read_exact_or_why(pre, kPreambleSize, 0)) return false;
    if (std::memcmp(pre, kMagic, sizeof kMagic) != 0) {
        why = "not a reprise checkpoint (no magic number)";
        return false;
    }
    const auto version = static_cast<std::uint32_t>(get_le(pre + 8, 4));
    if (version < kOldestFormatVersion || version > kNewestFormatVersion) {
        why = "format version " + std::to_string(version) + ", this reader knows versions " +
              std::to_string(kOldestFormatVersion) + " to " + std::to_string(kNewestFormatVersion);
        return false;
    }
    const std::uint64_t header_size = get_le(pre + 12, 4);
    const std::uint64_t payload_offset = get_le(pre + 16, 8);
    const std::uint64_t payload_size = get_le(pre + 24, 8);
    if (header_size > kMaxHeaderSize ||
        payload_offset != align_up(kPreambleSize + header_size + 8, kPayloadAlignment)) {
        why = "corrupt preamble (header length " + std::to_string(header_size) +
              ", payload offset " + std::to_string(payload_offset) + ")";
        return false;
    }
    const std::uint64_t expected_size = expected_file_size(version, payload_offset, payload_size);
    if (expected_size != file_size) {
        why = expected_size > file_size
                  ? "truncated: " + std::to_string(file_size) + " bytes, the header says " +
                        std::to_string(expected_size)
                  : "corrupt: " + std::to_string(file_size) +
                        " bytes do not match the sizes in the header";
        return false;
    }

    // Header and its checksum, then the zero padding up to the payload.
    std::string head(static_cast<std::size_t>(payload_offset), '\0');
    std::memcpy(&head[0], pre, kPreambleSize);
    if (!read_exact_or_why(&head[kPreambleSize], payload_offset - kPreambleSize, kPreambleSize))
        return false;
    const std::uint64_t header_end = kPreambleSize + header_size;
    if (XXH3_64bits(head.data(), header_end) != get_le(&head[header_end], 8)) {
        why = "header checksum mismatch";
        return false;
    }
    for (std::uint64_t i = header_end + 8; i < payload_offset; ++i) {
        if (head[i] != '\0') {
            why = "corrupt padding after the header";
            return false;
        }
    }

    Header h;
    if (!decode_header_block(head.data() + kPreambleSize, head.data() + header_end, version,
                             payload_size, h)) {
        why = "corrupt header (its checksum is right: written by an incompatible writer?)";
        return false;
    }

    // The trailer, then the chunk table it is the checksum of.
    char trailer[kTrailerSize];
    if (!read_exact_or_why(trailer, kTrailerSize, file_size - kTrailerSize)) return false;
    if (std::memcmp(trailer + 8, kEndMagic, sizeof kEndMagic) != 0) {
        why = "corrupt trailer";
        return false;
    }
    // What the file says, given whether or not the payload then verifies (a caller reads
    // `out` only when this returns true); with Verify::header_only, no file kept open.
    out.header = std::move(h);
    out.payload_offset = payload_offset;
    out.payload_size = payload_size;
    out.file_size = file_size;
    out.format_version = version;
    out.chunks.clear();
    out.stored.clear();
    out.payload_verified = false;
    if (depth == Verify::header_only) return true;
    if (version >= kChunkedFormatVersion) {
        // 1/4096 of the payload, whose size agrees with the file's.
        std::string table(static_cast<std::size_t>(chunk_table_size(version, payload_size)), '\0');
        if (!read_exact_or_why(&table[0], table.size(), payload_offset + payload_size)) return false;
        if (XXH3_64bits(table.data(), table.size()) != get_le(trailer, 8)) {
            why = "payload checksum mismatch (the chunk table's)";
            return false;
        }
        if (!decode_chunk_table(table.data(), version, payload_size, out.chunks, out.stored)) {
            why = "corrupt chunk table (its checksum is right: written by an incompatible writer?)";
            return false;
        }
        if (depth == Verify::as_loaded) {
            sys::advise_sequential(fd, payload_offset, payload_size);
            out.file = std::move(file);
            return true;
        }
    }
    sys::advise_sequential(fd, payload_offset, payload_size);
    why = version >= kChunkedFormatVersion
              ? verify_chunks(fd, payload_offset, payload_size, out.chunks, out.stored)
              : verify_payload_checksum(fd, payload_offset, payload_size, get_le(trailer, 8));
    if (!why.empty()) return false;
    out.payload_verified = true;
    out.file = std::move(file);
    return true;
}

// A second thread that loads the chunks after the ones a PayloadReader hands out, into a
// buffer of its own, through a ChunkLoader of its own: start(), then take() when the
// reader reaches them, or cancel() when it reads elsewhere (a large array straight into
// its memory). Started at the first start(), with every signal blocked; without a second
// core, or when no thread can be started, there is none and holds() is always false. What
// a load found wrong is reported by take() only: chunks never handed out fail nothing.
class ReadAhead {
public:
    explicit ReadAhead(ChunkLoader& loader) : loader_(loader) {}
    ~ReadAhead() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            state_ = State::stop;
        }
        wake_.notify_all();
        thread_.join();
    }
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;

    // Loads payload bytes [at, at + n) (as ChunkLoader::load) into the read-ahead buffer.
    void start(std::uint64_t at, std::uint64_t n) {
        cancel();
        if (!thread_.joinable()) {
            if (unavailable_) return;
            unavailable_ = !launch();
            if (unavailable_) return;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            at_ = at;
            n_ = n;
            state_ = State::loading;
        }
        started_ = true;
        wake_.notify_all();
    }

    // Is a load of [at, at + n) started?
    bool holds(std::uint64_t at, std::uint64_t n) const noexcept {
        return started_ && at_ == at && n_ == n;
    }

    // Waits for the load holds() said is started, then swaps its buffer with `buffer`
    // (of the same size). Returns "" on success, else why not, as ChunkLoader::load.
    std::string take(std::unique_ptr<char[]>& buffer) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return state_ == State::loaded; });
        state_ = State::idle;
        started_ = false;
        buffer.swap(buffer_);
        return std::move(why_);
    }

    // Waits for a load in flight, if any, and forgets it.
    void cancel() {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return state_ != State::loading; });
        if (state_ == State::loaded) state_ = State::idle;
        started_ = false;
    }

private:
    enum class State { idle, loading, loaded, stop };

    bool launch() {
        if (!has_second_core()) return false;
        try {
            buffer_.reset(new char[static_cast<std::size_t>(kBufferBytes)]);
            thread_ = with_signals_blocked([&] { return std::thread([this] { run(); }); });
        } catch (const std::exception&) {
            return false;
        }
        return true;
    }

    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return state_ == State::loading || state_ == State::stop; });
            if (state_ == State::stop) return;
            lock.unlock();
            std::string why;
            try {
                why = loader_.load(buffer_.get(), at_, n_);
            } catch (const std::exception& e) {
                why = e.what();
            }
            lock.lock();
            why_ = std::move(why);
            state_ = State::loaded;
            wake_.notify_all();
        }
    }

public:
    // The size of every load: a PayloadReader's buffer.
    static constexpr std::uint64_t kBufferBytes = 16 * kChunkBytes;

private:
    ChunkLoader& loader_;
    std::unique_ptr<char[]> buffer_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    State state_ = State::idle; // under mutex_
    bool started_ = false; // a load was started and not taken or cancelled: the reader's own
    bool unavailable_ = false; // no thread could be started: not tried again
    std::uint64_t at_ = 0, n_ = 0; // the load's; written only while no load is in flight
    std::string why_;
};

// The payload of an open checkpoint file, read once from start to end by the variables'
// sources in turn (FileRangeSource, in the order of the file). Of a file with a chunk table
// whose payload was not verified yet (Verify::as_loaded), each chunk is verified as it is
// read: a chunk read into the buffer before a byte of it is handed out, so that no byte
// reaches a decoder unverified; a large array's whole chunks, read by pread straight into
// the container's memory (two threads for a bulk block), as they land. A mismatch, like a
// read error, throws an Error and is kept for error(): the caller rejects the generation.
class PayloadReader {
public:
    // `file` outlives the reader; `path` names it in errors.
    PayloadReader(const VerifiedCheckpoint& file, std::string path)
        : path_(std::move(path)), size_(file.payload_size),
          loaders_{loader_of(file), loader_of(file)}, ahead_(loaders_[1]) {}

    // The payload offset of the next byte to hand out.
    std::uint64_t position() const noexcept { return pos_; }

    // The bytes buffered (and verified) from position() on: [data(), data() + available()).
    const char* data() const noexcept { return buffer_.get() + (pos_ - buffer_start_); }
    std::uint64_t available() const noexcept { return buffer_end_ - pos_; }

    // `n` bytes of data() were taken.
    void skip(std::uint64_t n) noexcept { pos_ += n; }

    // Takes `n` bytes from position() into `into` (the caller checked that the payload
    // holds them): buffered ones first, then whole chunks straight into `into`, then the
    // rest through the buffer.
    void read(char* into, std::uint64_t n) {
        const std::uint64_t buffered = std::min(n, available());
        if (buffered) std::memcpy(into, data(), static_cast<std::size_t>(buffered));
        pos_ += buffered;
        into += buffered;
        n -= buffered;
        if (n == 0) return;
        // The buffer is used up: position() is on a chunk boundary.
        const std::uint64_t whole = n - n % kChunkBytes;
        if (whole) {
            read_direct(into, whole);
            pos_ += whole;
            buffer_start_ = buffer_end_ = pos_;
            into += whole;
            n -= whole;
        }
        if (n) {
            refill();
            std::memcpy(into, data(), static_cast<std::size_t>(n));
            pos_ += n;
        }
    }

    // Reads the chunks from position() on into the buffer, verified: available() > 0 after,
    // unless the payload ends at position().
    // From the second refill on, the read-ahead thread then reads the chunks that follow,
    // for the next one: the file's bytes are read and verified on one core while the
    // decoder takes the buffer's on the other (many small variables: decoding and
    // allocating is as much work as the reading).
    void refill() {
        buffer_start_ = buffer_end_ = pos_;
        const std::uint64_t n = std::min(kBufferBytes, size_ - pos_);
        if (n == 0) return;
        if (!buffer_) buffer_.reset(new char[static_cast<std::size_t>(kBufferBytes)]);
        fail_unless(ahead_.holds(pos_, n) ? ahead_.take(buffer_)
                                          : (ahead_.cancel(), loaders_[0].load(buffer_.get(), pos_, n)));
        buffer_end_ = pos_ + n;
        if (buffer_end_ < size_ && refills_++ > 0)
            ahead_.start(buffer_end_, std::min(kBufferBytes, size_ - buffer_end_));
    }

    // Why reading or verifying the payload failed (the Error thrown then says so too); ""
    // while nothing has.
    const std::string& error() const noexcept { return error_; }

private:
    // Whole chunks, so that a chunk is verified before its first byte is handed out.
    static constexpr std::uint64_t kBufferBytes = ReadAhead::kBufferBytes;
    // A thread reads and verifies this much at a time (of a large array, straight into
    // its memory): few system calls, and the bytes hashed while still in the cache.
    static constexpr std::uint64_t kDirectPiece = std::uint64_t(1) << 20;

    // `n` bytes (whole chunks, or the payload's last) from position() into `into`; a bulk
    // block (ByteSink::kBulkBytes) by two threads, each its half of the chunks.
    void read_direct(char* into, std::uint64_t n) {
        ahead_.cancel(); // its loader is the second thread's
        std::string why_first, why_second;
        auto work = [&](std::size_t begin, std::size_t end) {
            std::string& why = begin == 0 ? why_first : why_second;
            ChunkLoader& loader = loaders_[begin == 0 ? 0 : 1];
            for (std::uint64_t at = begin; at < end && why.empty(); at += kDirectPiece) {
                const std::uint64_t piece = std::min<std::uint64_t>(kDirectPiece, end - at);
                why = loader.load(into + at, pos_ + at, piece);
            }
        };
        if (n >= ByteSink::kBulkBytes)
            in_two_parts(static_cast<std::size_t>(n), static_cast<std::size_t>(kChunkBytes), work);
        else
            work(0, static_cast<std::size_t>(n));
        fail_unless(why_first.empty() ? why_second : why_first);
    }

    static ChunkLoader loader_of(const VerifiedCheckpoint& file) {
        return ChunkLoader(file.file.get(), file.payload_offset, file.payload_size,
                           file.payload_verified || file.chunks.empty() ? nullptr : &file.chunks,
                           file.stored);
    }

    void fail_unless(const std::string& why) {
        if (why.empty()) return;
        error_ = why;
        throw Error("reprise: reading " + path_ + ": " + why, ErrorKind::io);
    }

    std::string path_;
    std::uint64_t size_; // the payload's
    ChunkLoader loaders_[2]; // one per thread of read_direct; the second, the read-ahead's
    ReadAhead ahead_;
    std::uint64_t pos_ = 0;
    std::uint64_t buffer_start_ = 0, buffer_end_ = 0; // payload offsets the buffer holds
    std::unique_ptr<char[]> buffer_;
    unsigned refills_ = 0;
    std::string error_;
};

// One variable's bytes, [begin, begin + size) of the payload, for an InputArchive: a
// window on the PayloadReader's buffer, whose bytes the archive takes inline; beyond it,
// the reader's read() (a large array straight into its memory).
class FileRangeSource final : public ByteSource {
public:
    // The reader is at `begin`: the variables are loaded in the order of the file.
    FileRangeSource(PayloadReader& reader, std::uint64_t begin, std::uint64_t size)
        : reader_(reader), begin_(begin), end_(begin + size) {
        if (reader.position() != begin)
            throw std::logic_error("reprise: variables loaded out of the file's order");
        open_window(false); // reads nothing: a failure belongs to the first get()
    }
    ~FileRangeSource() { reader_.skip(pos_); }
    FileRangeSource(const FileRangeSource&) = delete;
    FileRangeSource& operator=(const FileRangeSource&) = delete;

    // Bytes handed to the archive so far.
    std::uint64_t consumed() const { return reader_.position() + pos_ - begin_; }

    std::uint64_t remaining() const override { return end_ - reader_.position() - pos_; }

private:
    void get_beyond(char* into, std::size_t n) override {
        // Not an Error: the caller names the variable that asked for too much.
        if (n > remaining())
            throw std::runtime_error("its data ends " + std::to_string(remaining()) +
                                     " bytes on, " + std::to_string(n) + " were asked for");
        reader_.skip(pos_); // the window's bytes taken so far
        base_ = nullptr;
        pos_ = limit_ = 0;
        reader_.read(into, n);
        open_window(true);
    }

    // The buffered bytes of this variable from the reader's position on; with `fill`, the
    // buffer is filled first when it is empty, so that a variable's small values cost no
    // call beyond the window.
    void open_window(bool fill) {
        if (fill && reader_.available() == 0 && reader_.position() < end_) reader_.refill();
        base_ = reader_.data();
        pos_ = 0;
        limit_ = static_cast<std::size_t>(
            std::min(reader_.available(), end_ - reader_.position()));
    }

    PayloadReader& reader_;
    std::uint64_t begin_, end_;
};

} // namespace reprise::detail

#endif
