// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_WRITER_HPP
#define REPRISE_DETAIL_FORMAT_WRITER_HPP

// Writing a checkpoint file (layout: format_layout.hpp). The payload goes first, at its
// page-aligned offset, through a sink that hashes it on its way; then the trailer, then
// the head, whose header records where each variable's bytes ended up. A synchronous save
// streams the archives straight into the file (PayloadSink); a background save serializes
// into memory (SnapshotSink, sized by CountingSink) and a writer thread puts that block on
// disk. Either way the file is written inside write_durably (durable_file.hpp).

#include "reprise/detail/bytes.hpp"
#include "reprise/detail/checksum.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/format_layout.hpp"
#include "reprise/detail/parallel.hpp"
#include "reprise/detail/progress.hpp"
#include "reprise/error.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace reprise::detail {

// Preamble, header, header checksum and zero padding: the bytes [0, payload offset).
// The header's length does not depend on the variables' sizes, so the payload offset is
// known before the payload is written.
inline std::string encode_file_head(const Header& h, std::uint64_t payload_size) {
    const std::string block = encode_header_block(h);
    const std::uint64_t payload_offset =
        align_up(kPreambleSize + block.size() + 8, kPayloadAlignment);
    std::string out(kMagic, sizeof kMagic);
    put_u32(out, kFormatVersion);
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

// The payload of a synchronous save: the archive fills a buffer that goes to the file, at
// the payload's offset, each time it is full, hashed on its way out: one pass over the
// state, no copy of it in memory. A block larger than half the buffer (a vector's data)
// goes to the file straight from where it is.
class PayloadSink final : public ByteSink {
public:
    // `buffer` (`capacity` bytes, kept by the caller from one save to the next so that its
    // pages are touched once) holds small values until they are written; none is needed
    // for write_block().
    PayloadSink(FileSink& file, std::uint64_t offset, char* buffer = nullptr,
                std::size_t capacity = 0)
        : file_(file), start_(offset), written_(offset), buffer_(buffer), capacity_(capacity),
          state_(XXH3_createState()) {
        if (!state_) throw Error("reprise: out of memory for the checksum state", ErrorKind::io);
        XXH3_64bits_reset(state_);
        base_ = buffer_;
        limit_ = capacity_;
    }
    PayloadSink(const PayloadSink&) = delete;
    PayloadSink& operator=(const PayloadSink&) = delete;
    ~PayloadSink() { XXH3_freeState(state_); }

    // Bytes of payload produced so far (written or buffered).
    std::uint64_t size() const { return written_ - start_ + buffered(); }

    // Writes what is buffered; returns the payload's checksum.
    std::uint64_t finish() {
        flush();
        return XXH3_64bits_digest(state_);
    }

    // Writes `n` bytes that are already in memory (a background save's snapshot).
    void write_block(const char* data, std::size_t n) {
        flush();
        emit(data, n);
    }

    // A slow save reports through `progress` (nullptr: not watched): told every
    // SaveProgress::kCheckBytes of payload, one comparison per piece written.
    void watch(SaveProgress* progress) noexcept {
        progress_ = progress;
        next_check_ = written_ + SaveProgress::kCheckBytes;
    }

private:
    // Hashed and written in pieces that stay in the processor's cache between the two.
    static constexpr std::size_t kPiece = std::size_t(256) << 10;

    std::size_t buffered() const { return pos_; }

    void put_beyond(const char* data, std::size_t n) override {
        if (n >= capacity_ / 2) {
            flush();
            emit(data, n);
            return;
        }
        while (n > 0) { // fill the buffer, write it, go on
            const std::size_t take = std::min(n, limit_ - pos_);
            std::memcpy(base_ + pos_, data, take);
            pos_ += take;
            data += take;
            n -= take;
            if (pos_ == limit_) flush();
        }
    }

    void flush() {
        const std::size_t n = buffered();
        pos_ = 0;
        if (n) emit(buffer_, n);
    }

    void emit(const char* data, std::size_t n) {
        while (n > 0) {
            const std::size_t piece = std::min(n, kPiece);
            XXH3_64bits_update(state_, data, piece);
            file_.write_at(written_, data, piece);
            written_ += piece;
            data += piece;
            n -= piece;
            if (written_ >= next_check_) {
                next_check_ = written_ + SaveProgress::kCheckBytes;
                if (progress_) progress_->at(written_ - start_);
            }
        }
    }

    FileSink& file_;
    std::uint64_t start_; // the payload's offset in the file
    std::uint64_t written_;
    char* buffer_;
    std::size_t capacity_;
    XXH3_state_t* state_;
    SaveProgress* progress_ = nullptr;
    std::uint64_t next_check_ = UINT64_MAX;
};

// The snapshot of a background save: the payload serialized into memory, which a writer
// thread then puts on disk. The buffer is kept from one save to the next, so after the
// first save the compute loop pays only for a copy into memory it has already touched.
// Bulk blocks (a large array's data) are copied by two threads.
class SnapshotSink final : public ByteSink {
public:
    // Starts a new snapshot. A buffer smaller than `expected` is replaced by one of that
    // size, so the snapshot of a state whose size does not change is never copied twice.
    void reset(std::size_t expected) {
        if (expected > capacity_) {
            data_.reset(); // release first: never two buffers at once
            data_.reset(new char[expected]);
            capacity_ = expected;
        }
        base_ = data_.get();
        pos_ = 0;
        limit_ = capacity_;
    }
    std::uint64_t size() const { return pos_; }
    const char* data() const { return data_.get(); }
    std::size_t capacity() const { return capacity_; }

private:
    void put_beyond(const char* data, std::size_t n) override {
        if (n > limit_ - pos_) grow(n);
        if (n >= kBulkBytes)
            copy_in_parallel(base_ + pos_, data, n);
        else
            std::memcpy(base_ + pos_, data, n);
        pos_ += n;
    }

    // Room for `n` more bytes: a larger buffer, the bytes so far copied into it.
    void grow(std::size_t n) {
        const std::size_t used = pos_;
        const std::size_t wanted = std::max(used + n, capacity_ + capacity_ / 2 + 4096);
        std::unique_ptr<char[]> bigger(new char[wanted]);
        if (used) std::memcpy(bigger.get(), data_.get(), used);
        data_ = std::move(bigger);
        capacity_ = wanted;
        base_ = data_.get();
        limit_ = capacity_;
    }

    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
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

// After the payload: the trailer, then the head that records each variable's size.
// Returns the file's size.
inline std::uint64_t write_file_tail(FileSink& sink, const Header& header,
                                     std::uint64_t payload_offset, std::uint64_t payload_size,
                                     std::uint64_t checksum) {
    const std::string trailer = encode_trailer(checksum);
    sink.write_at(payload_offset + payload_size, trailer.data(), trailer.size());
    const std::string head = encode_file_head(header, payload_size);
    sink.write_at(0, head.data(), head.size());
    return payload_offset + payload_size + trailer.size();
}

} // namespace reprise::detail

#endif
