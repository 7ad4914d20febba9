// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_READER_HPP
#define REPRISE_DETAIL_FORMAT_READER_HPP

// Opening and verifying a checkpoint file (layout: format_layout.hpp), then reading a
// variable's bytes from it. read_checkpoint checks the file's owner and type, every size
// against the file's real size and both checksums before a single variable is decoded, so
// a torn or hostile file never reaches cereal; FileRangeSource then decodes from the file
// itself (just read, so in the page cache), large arrays straight into their memory.

#include "reprise/detail/bytes.hpp"
#include "reprise/detail/checksum.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format_layout.hpp"
#include "reprise/detail/parallel.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/detail/sys.hpp"
#include "reprise/error.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

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

// read_exact of a large block by two threads, each pread filling its half (its own pages
// of a new container). Returns "" on success, else why not (the first half's reason first).
inline std::string read_exact_in_two_halves(int fd, char* into, std::uint64_t size,
                                            std::uint64_t offset) {
    std::string why_first, why_second;
    in_two_halves(static_cast<std::size_t>(size), [&](std::size_t begin, std::size_t end) {
        (begin == 0 ? why_first : why_second) = read_exact(fd, into + begin, end - begin, offset + begin);
    });
    return why_first.empty() ? why_second : why_first;
}

// One variable's bytes in an open checkpoint file, for an InputArchive. Small values come
// through a buffer; a large block (a vector's data) is read by pread straight into the
// container's memory, so a restore touches the state's memory once.
class FileRangeSource final : public ByteSource {
public:
    FileRangeSource(int fd, std::string path, std::uint64_t offset, std::uint64_t size)
        : fd_(fd), path_(std::move(path)), start_(offset), read_(offset), end_of_range_(offset + size) {}

    // Bytes handed to the archive so far.
    std::uint64_t consumed() const { return read_ - start_ - window(); }

    std::uint64_t remaining() const override { return end_of_range_ - read_ + window(); }

    // Why a read of the file failed (the Error thrown then says so too); "" while none has.
    const std::string& read_error() const noexcept { return read_error_; }

private:
    // Small enough to come from the heap already touched, and to cost little when only a
    // few bytes precede a large block.
    static constexpr std::size_t kBufferSize = std::size_t(64) << 10;

    std::uint64_t window() const { return limit_ - pos_; }

    void get_beyond(char* into, std::size_t n) override {
        // Not an Error: the caller names the variable that asked for too much.
        if (n > remaining())
            throw std::runtime_error("its data ends " + std::to_string(remaining()) +
                                     " bytes on, " + std::to_string(n) + " were asked for");
        const std::size_t buffered = static_cast<std::size_t>(window());
        if (buffered) std::memcpy(into, base_ + pos_, buffered);
        pos_ = limit_;
        into += buffered;
        n -= buffered;
        if (n >= kBufferSize) { // straight into the destination
            fill(into, n);
            return;
        }
        if (!buffer_) buffer_.reset(new char[kBufferSize]);
        const std::size_t refill =
            static_cast<std::size_t>(std::min<std::uint64_t>(kBufferSize, end_of_range_ - read_));
        fill(buffer_.get(), refill);
        std::memcpy(into, buffer_.get(), n);
        base_ = buffer_.get();
        pos_ = n;
        limit_ = refill;
    }

    // A bulk block (ByteSink::kBulkBytes and more: a large array) is read by two threads,
    // each pread filling its half of the new container's pages.
    void fill(char* into, std::uint64_t n) {
        std::string& why = read_error_;
        why = n < ByteSink::kBulkBytes ? read_exact(fd_, into, n, read_)
                                       : read_exact_in_two_halves(fd_, into, n, read_);
        if (!why.empty()) throw Error("reprise: reading " + path_ + ": " + why, ErrorKind::io);
        read_ += n;
    }

    int fd_;
    std::string path_;
    std::uint64_t start_, read_, end_of_range_;
    std::unique_ptr<char[]> buffer_;
    std::string read_error_;
};

// A checkpoint file opened and verified: header parsed, both checksums good. The payload
// stays in the file (and, just read, in the page cache); decode it with FileRangeSource.
struct VerifiedCheckpoint {
    Header header;
    FileHandle file;
    std::uint64_t payload_offset = 0;
    std::uint64_t payload_size = 0;
    std::uint64_t file_size = 0;
    std::uint32_t format_version = 0; // as the file says: kOldestFormatVersion..kFormatVersion
};

// How much of a file read_checkpoint verifies: all of it (before a restore), or only
// what precedes the payload and the trailer (to describe a generation in a message).
enum class Verify { whole_file, header_only };

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
    if (version < kOldestFormatVersion || version > kFormatVersion) {
        why = "format version " + std::to_string(version) + ", this reader knows versions " +
              std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion);
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
    if (payload_offset > file_size || payload_size > file_size ||
        payload_offset + payload_size + kTrailerSize != file_size) {
        const bool sane = payload_size <= (std::uint64_t(1) << 62);
        why = sane && payload_offset + payload_size + kTrailerSize > file_size
                  ? "truncated: " + std::to_string(file_size) + " bytes, the header says " +
                        std::to_string(payload_offset + payload_size + kTrailerSize)
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

    // The trailer, then the payload's checksum, hashed through a buffer of bounded size.
    char trailer[kTrailerSize];
    if (!read_exact_or_why(trailer, kTrailerSize, payload_offset + payload_size)) return false;
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
    if (depth == Verify::header_only) return true;
    sys::advise_sequential(fd, payload_offset, payload_size);
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                    &XXH3_freeState);
    if (!state) throw Error("reprise: out of memory for the checksum state", ErrorKind::io);
    XXH3_64bits_reset(state.get());
    // A chunk that stays in the processor's cache, from the heap's reused memory (a large
    // one is fresh memory, whose first touch costs as much as reading it).
    constexpr std::uint64_t kChunk = std::uint64_t(128) << 10;
    std::unique_ptr<char[]> chunk(new char[static_cast<std::size_t>(std::min(kChunk, payload_size)) + 1]);
    for (std::uint64_t at = 0; at < payload_size;) {
        const std::uint64_t n = std::min(kChunk, payload_size - at);
        if (!read_exact_or_why(chunk.get(), n, payload_offset + at)) return false;
        XXH3_64bits_update(state.get(), chunk.get(), static_cast<std::size_t>(n));
        at += n;
    }
    if (XXH3_64bits_digest(state.get()) != get_le(trailer, 8)) {
        why = "payload checksum mismatch";
        return false;
    }
    out.file = std::move(file);
    return true;
}

} // namespace reprise::detail

#endif
