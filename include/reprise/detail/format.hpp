// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_HPP
#define REPRISE_DETAIL_FORMAT_HPP

// The checkpoint file format, version 2 (README.md, "File format"). All integers are
// little-endian, whatever the machine, so that a checkpoint restarts on another machine.
//
//   offset 0   preamble, 32 bytes: magic "REPRISE\0", u32 format version, u32 header
//              length H, u64 payload offset P, u64 payload length L
//   offset 32  header, H bytes: u64 generation, u64 time (ns since the epoch), u32 pid,
//              strings (u32 length + bytes) host, job key, checkpoint name, scheduler,
//              u32 variable count, then per variable: string name, string type (the
//              mangled typeid name of the tracked type), u64 offset in the payload, u64
//              length; then u32 parameter count, then per parameter: string name, u32 kind
//              (0 integer, 1 floating point, 2 string, 3 boolean), string value (as text)
//   32 + H     u64 XXH3-64 of bytes [0, 32 + H): the header checksum
//   ...        zero padding up to P, a multiple of 4096 (page-aligned payload)
//   P          payload, L bytes: one cereal portable binary archive per variable
//   P + L      trailer, 16 bytes: u64 XXH3-64 of the payload, then "ESIRPER\0"
//
// Version 1, still read, is version 2 without the types and the parameters: per variable
// only name, offset and length, and nothing after the last variable. Its variables are
// restored without a type check, and it records no parameter.
//
// The file is exactly P + L + 16 bytes long. A reader verifies both checksums before it
// decodes a single variable, so a torn or hostile file never reaches cereal; it then
// decodes from the file itself (just read, so in the page cache), large arrays straight
// into the containers' memory. The payload's bytes are those of cereal's portable binary
// archive, little-endian; reprise writes and reads them with its own archives
// (reprise/archive.hpp), which cost a bounds check per field instead of a virtual call.

#include "reprise/detail/bytes.hpp"
#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/parallel.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/detail/signals.hpp"
#include "reprise/detail/sys.hpp"

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace reprise::detail {

inline constexpr char kMagic[8] = {'R', 'E', 'P', 'R', 'I', 'S', 'E', '\0'};
inline constexpr char kEndMagic[8] = {'E', 'S', 'I', 'R', 'P', 'E', 'R', '\0'};
// The version written; the reader also accepts kOldestFormatVersion up to it.
inline constexpr std::uint32_t kFormatVersion = 2;
inline constexpr std::uint32_t kOldestFormatVersion = 1;
inline constexpr std::uint64_t kPreambleSize = 32;
inline constexpr std::uint64_t kTrailerSize = 16;
inline constexpr std::uint64_t kPayloadAlignment = 4096;
// No header we write comes near this; a larger claim is corruption, not a reason to allocate.
inline constexpr std::uint64_t kMaxHeaderSize = 64u << 20;

struct VariableEntry {
    std::string name;
    std::string type; // typeid(T).name() of the tracked type; "" when not recorded (version 1)
    std::uint64_t offset = 0; // in the payload
    std::uint64_t size = 0;
};

// A run parameter (Checkpointer::parameter()): compared, never loaded, on restore.
enum class ParameterKind : std::uint32_t { integer = 0, floating = 1, string = 2, boolean = 3 };
inline constexpr std::uint32_t kParameterKinds = 4;

struct ParameterEntry {
    std::string name;
    ParameterKind kind = ParameterKind::integer;
    // The value as text: decimal for an integer, %.17g for floating point (which reads
    // back as the same double, so equal texts are equal values), "true"/"false", or the
    // string itself. Two parameters are equal when kind and text are.
    std::string value;
};

struct Header {
    std::uint64_t generation = 0;
    std::uint64_t time_ns = 0;
    std::uint32_t pid = 0;
    std::string host;
    std::string job_key;
    std::string name;
    std::string scheduler;
    std::vector<VariableEntry> variables;
    std::vector<ParameterEntry> parameters;
};

// A parameter's value as messages and `reprise inspect` show it: strings quoted.
inline std::string describe_value(const ParameterEntry& p) {
    return p.kind == ParameterKind::string ? "\"" + p.value + "\"" : p.value;
}

inline const char* kind_name(ParameterKind kind) {
    switch (kind) {
    case ParameterKind::integer: return "integer";
    case ParameterKind::floating: return "floating point";
    case ParameterKind::string: return "string";
    case ParameterKind::boolean: return "boolean";
    }
    return "unknown";
}

// ---- little-endian encoding -------------------------------------------------------------

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_string(std::string& out, const std::string& s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out += s;
}
inline std::uint64_t get_le(const char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

inline std::uint64_t align_up(std::uint64_t n, std::uint64_t alignment) {
    return (n + alignment - 1) / alignment * alignment;
}

inline std::string encode_header_block(const Header& h) {
    std::string out;
    put_u64(out, h.generation);
    put_u64(out, h.time_ns);
    put_u32(out, h.pid);
    put_string(out, h.host);
    put_string(out, h.job_key);
    put_string(out, h.name);
    put_string(out, h.scheduler);
    put_u32(out, static_cast<std::uint32_t>(h.variables.size()));
    for (const auto& v : h.variables) {
        put_string(out, v.name);
        put_string(out, v.type);
        put_u64(out, v.offset);
        put_u64(out, v.size);
    }
    put_u32(out, static_cast<std::uint32_t>(h.parameters.size()));
    for (const auto& p : h.parameters) {
        put_string(out, p.name);
        put_u32(out, static_cast<std::uint32_t>(p.kind));
        put_string(out, p.value);
    }
    return out;
}

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

inline std::string encode_trailer(std::uint64_t payload_checksum) {
    std::string out;
    put_u64(out, payload_checksum);
    out.append(kEndMagic, sizeof kEndMagic);
    return out;
}

// ---- where the archives write -------------------------------------------------------------

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
        if (!state_) throw Error("reprise: out of memory for the checksum state");
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
        }
    }

    FileSink& file_;
    std::uint64_t start_; // the payload's offset in the file
    std::uint64_t written_;
    char* buffer_;
    std::size_t capacity_;
    XXH3_state_t* state_;
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

// ---- reading and validating -------------------------------------------------------------

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
        if (!why.empty()) throw Error("reprise: reading " + path_ + ": " + why);
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

    // Parse the header; every length is checked against what remains of it.
    Header h;
    const char* p = head.data() + kPreambleSize;
    const char* const end = head.data() + header_end;
    bool ok = true;
    auto u32 = [&]() -> std::uint32_t {
        if (end - p < 4) return ok = false, 0;
        const auto v = static_cast<std::uint32_t>(get_le(p, 4));
        p += 4;
        return v;
    };
    auto u64 = [&]() -> std::uint64_t {
        if (end - p < 8) return ok = false, 0;
        const auto v = get_le(p, 8);
        p += 8;
        return v;
    };
    auto str = [&]() -> std::string {
        const std::uint32_t n = u32();
        if (!ok || static_cast<std::uint64_t>(end - p) < n) return ok = false, std::string();
        std::string s(p, n);
        p += n;
        return s;
    };
    h.generation = u64();
    h.time_ns = u64();
    h.pid = u32();
    h.host = str();
    h.job_key = str();
    h.name = str();
    h.scheduler = str();
    // Names are unique; a set keeps the check linear in a header of millions of entries.
    std::set<std::string> names;
    const std::uint32_t count = u32();
    // Each entry takes at least 20 bytes (24 with its type): the count cannot exceed what
    // the header holds.
    const std::uint64_t entry_bytes = version >= 2 ? 24 : 20;
    if (ok && count > static_cast<std::uint64_t>(end - p) / entry_bytes) ok = false;
    std::uint64_t expected_offset = 0;
    for (std::uint32_t i = 0; ok && i < count; ++i) {
        VariableEntry v;
        v.name = str();
        if (version >= 2) v.type = str();
        v.offset = u64();
        v.size = u64();
        if (v.offset != expected_offset || v.size > payload_size - v.offset) ok = false;
        expected_offset = v.offset + v.size;
        ok = ok && names.insert(v.name).second;
        h.variables.push_back(std::move(v));
    }
    if (version >= 2) {
        names.clear();
        const std::uint32_t parameters = u32();
        // Each parameter takes at least 12 bytes.
        if (ok && parameters > static_cast<std::uint64_t>(end - p) / 12) ok = false;
        for (std::uint32_t i = 0; ok && i < parameters; ++i) {
            ParameterEntry e;
            e.name = str();
            const std::uint32_t kind = u32();
            e.value = str();
            if (kind >= kParameterKinds) ok = false;
            e.kind = static_cast<ParameterKind>(kind);
            ok = ok && names.insert(e.name).second;
            h.parameters.push_back(std::move(e));
        }
    }
    if (!ok || p != end || expected_offset != payload_size) {
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
    if (depth == Verify::header_only) {
        out.header = std::move(h);
        out.file_size = file_size;
        return true;
    }
    ::posix_fadvise(fd, static_cast<off_t>(payload_offset), static_cast<off_t>(payload_size),
                    POSIX_FADV_SEQUENTIAL);
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                    &XXH3_freeState);
    if (!state) throw Error("reprise: out of memory for the checksum state");
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

    out.header = std::move(h);
    out.file = std::move(file);
    out.payload_offset = payload_offset;
    out.payload_size = payload_size;
    out.file_size = file_size;
    out.format_version = version;
    return true;
}

} // namespace reprise::detail

#endif
