// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_FORMAT_HPP
#define REPRISE_DETAIL_FORMAT_HPP

// The checkpoint file format, version 1 (README.md, "File format"). All integers are
// little-endian, whatever the machine, so that a checkpoint restarts on another machine.
//
//   offset 0   preamble, 32 bytes: magic "REPRISE\0", u32 format version, u32 header
//              length H, u64 payload offset P, u64 payload length L
//   offset 32  header, H bytes: u64 generation, u64 time (ns since the epoch), u32 pid,
//              strings (u32 length + bytes) host, job key, checkpoint name, scheduler,
//              u32 variable count, then per variable: string name, u64 offset in the
//              payload, u64 length
//   32 + H     u64 XXH3-64 of bytes [0, 32 + H): the header checksum
//   ...        zero padding up to P, a multiple of 4096 (page-aligned payload)
//   P          payload, L bytes: one cereal portable binary archive per variable
//   P + L      trailer, 16 bytes: u64 XXH3-64 of the payload, then "ESIRPER\0"
//
// The file is exactly P + L + 16 bytes long. A reader verifies both checksums before it
// decodes a single variable, so a torn or hostile file never reaches cereal.

#include "reprise/detail/durable_file.hpp"
#include "reprise/detail/posix_error.hpp"
#include "reprise/detail/sys.hpp"

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <streambuf>
#include <string>
#include <vector>

namespace reprise::detail {

inline constexpr char kMagic[8] = {'R', 'E', 'P', 'R', 'I', 'S', 'E', '\0'};
inline constexpr char kEndMagic[8] = {'E', 'S', 'I', 'R', 'P', 'E', 'R', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::uint64_t kPreambleSize = 32;
inline constexpr std::uint64_t kTrailerSize = 16;
inline constexpr std::uint64_t kPayloadAlignment = 4096;
// No header we write comes near this; a larger claim is corruption, not a reason to allocate.
inline constexpr std::uint64_t kMaxHeaderSize = 64u << 20;

struct VariableEntry {
    std::string name;
    std::uint64_t offset = 0; // in the payload
    std::uint64_t size = 0;
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
};

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
        put_u64(out, v.offset);
        put_u64(out, v.size);
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

// ---- streams ------------------------------------------------------------------------------

// A std::streambuf that writes the payload into a FileSink through a large buffer and
// hashes every byte on its way out: one pass, no copy of the whole state in memory.
// Large writes (a std::vector<double>'s data) bypass the buffer.
class PayloadStreamBuf : public std::streambuf {
public:
    PayloadStreamBuf(FileSink& sink, std::uint64_t offset)
        : sink_(sink), base_(offset), next_(offset), buffer_(kBufferSize),
          state_(XXH3_createState()) {
        if (!state_) throw Error("reprise: out of memory for the checksum state");
        XXH3_64bits_reset(state_);
        setp(buffer_.data(), buffer_.data() + buffer_.size());
    }
    ~PayloadStreamBuf() override { XXH3_freeState(state_); }
    PayloadStreamBuf(const PayloadStreamBuf&) = delete;
    PayloadStreamBuf& operator=(const PayloadStreamBuf&) = delete;

    // Bytes of payload produced so far (written or buffered).
    std::uint64_t size() const { return next_ - base_ + static_cast<std::uint64_t>(pptr() - pbase()); }

    // Writes what is buffered; returns the payload's checksum.
    std::uint64_t finish() {
        flush_buffer();
        return XXH3_64bits_digest(state_);
    }

protected:
    int_type overflow(int_type c) override {
        flush_buffer();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }

    std::streamsize xsputn(const char* s, std::streamsize n) override {
        if (n <= 0) return 0; // an empty container hands over a null pointer: no memcpy
        const auto size = static_cast<std::size_t>(n);
        const auto room = static_cast<std::size_t>(epptr() - pptr());
        if (size <= room) {
            std::memcpy(pptr(), s, size);
            pbump(static_cast<int>(size));
            return n;
        }
        flush_buffer();
        if (size < buffer_.size() / 2) {
            std::memcpy(pptr(), s, size);
            pbump(static_cast<int>(size));
        } else {
            emit(s, size);
        }
        return n;
    }

    int sync() override {
        flush_buffer();
        return 0;
    }

private:
    static constexpr std::size_t kBufferSize = std::size_t(1) << 20;

    void flush_buffer() {
        const auto n = static_cast<std::size_t>(pptr() - pbase());
        if (n) emit(pbase(), n);
        setp(buffer_.data(), buffer_.data() + buffer_.size());
    }
    void emit(const char* data, std::size_t n) {
        XXH3_64bits_update(state_, data, n);
        sink_.write_at(next_, data, n);
        next_ += n;
    }

    FileSink& sink_;
    std::uint64_t base_;
    std::uint64_t next_;
    std::vector<char> buffer_;
    XXH3_state_t* state_;
};

// A read-only std::streambuf over bytes in memory: one variable's part of the payload.
class MemoryStreamBuf : public std::streambuf {
public:
    MemoryStreamBuf(const char* data, std::size_t size) {
        char* p = const_cast<char*>(data); // never written: a get area only
        setg(p, p, p + size);
    }
    std::size_t consumed() const { return static_cast<std::size_t>(gptr() - eback()); }
};

// ---- reading and validating -------------------------------------------------------------

// A checkpoint file read whole and verified: header parsed, both checksums good.
struct VerifiedCheckpoint {
    Header header;
    std::unique_ptr<char[]> payload; // not zero-filled: read() fills it
    std::uint64_t payload_size = 0;
    std::uint64_t file_size = 0;
};

// Reads `name` in `dir` and verifies it. Returns false with the reason in `why` for any
// file that is not a complete, intact checkpoint (I/O errors included: the caller falls
// back to an older generation). Sizes in the file are trusted only after they agree with
// the file's real size, so a corrupt length never drives an allocation.
inline bool read_checkpoint(const Directory& dir, const std::string& name,
                            VerifiedCheckpoint& out, std::string& why) {
    const std::string path = dir.path_of(name);
    const int fd = sys::openat(dir.fd(), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        why = "cannot open: " + errno_text(errno);
        return false;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};

    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        why = "cannot stat: " + errno_text(errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        why = "not a regular file";
        return false;
    }
    const auto file_size = static_cast<std::uint64_t>(st.st_size);

    // Reads exactly `size` bytes at `offset`, through short reads and EINTR.
    auto read_exact = [&](char* into, std::uint64_t size, std::uint64_t offset) {
        while (size > 0) {
            const std::size_t chunk = size < (1u << 30) ? static_cast<std::size_t>(size) : (1u << 30);
            const ssize_t n = sys::pread(fd, into, chunk, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                why = "read error: " + errno_text(errno);
                return false;
            }
            if (n == 0) {
                why = "truncated: the file ended while it was being read";
                return false;
            }
            into += n;
            offset += static_cast<std::uint64_t>(n);
            size -= static_cast<std::uint64_t>(n);
        }
        return true;
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
    if (!read_exact(pre, kPreambleSize, 0)) return false;
    if (std::memcmp(pre, kMagic, sizeof kMagic) != 0) {
        why = "not a reprise checkpoint (no magic number)";
        return false;
    }
    const auto version = static_cast<std::uint32_t>(get_le(pre + 8, 4));
    if (version != kFormatVersion) {
        why = "format version " + std::to_string(version) + ", this reader knows version " +
              std::to_string(kFormatVersion);
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
    if (!read_exact(&head[kPreambleSize], payload_offset - kPreambleSize, kPreambleSize))
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
    const std::uint32_t count = u32();
    // Each entry takes at least 20 bytes: the count cannot exceed what the header holds.
    if (ok && count > static_cast<std::uint64_t>(end - p) / 20) ok = false;
    std::uint64_t expected_offset = 0;
    for (std::uint32_t i = 0; ok && i < count; ++i) {
        VariableEntry v;
        v.name = str();
        v.offset = u64();
        v.size = u64();
        if (v.offset != expected_offset || v.size > payload_size - v.offset) ok = false;
        expected_offset = v.offset + v.size;
        for (const auto& earlier : h.variables) ok = ok && earlier.name != v.name;
        h.variables.push_back(std::move(v));
    }
    if (!ok || p != end || expected_offset != payload_size) {
        why = "corrupt header (its checksum is right: written by an incompatible writer?)";
        return false;
    }

    // The payload and the trailer, then the payload's checksum.
    std::unique_ptr<char[]> payload(new char[payload_size ? payload_size : 1]);
    if (!read_exact(payload.get(), payload_size, payload_offset)) return false;
    char trailer[kTrailerSize];
    if (!read_exact(trailer, kTrailerSize, payload_offset + payload_size)) return false;
    if (std::memcmp(trailer + 8, kEndMagic, sizeof kEndMagic) != 0) {
        why = "corrupt trailer";
        return false;
    }
    if (XXH3_64bits(payload.get(), payload_size) != get_le(trailer, 8)) {
        why = "payload checksum mismatch";
        return false;
    }

    out.header = std::move(h);
    out.payload = std::move(payload);
    out.payload_size = payload_size;
    out.file_size = file_size;
    return true;
}

} // namespace reprise::detail

#endif
