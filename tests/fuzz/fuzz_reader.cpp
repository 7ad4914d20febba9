// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// libFuzzer target: everything that parses a checkpoint file, through the library's own
// read path. Each input becomes a generation file in a private directory, and a real
// Checkpointer restores it (Checkpointer::restore(): detail::read_checkpoint's preamble,
// header, variable table and checksums, then the payload decoded by reprise's
// InputArchive into tracked variables of the types variables.hpp names). Nothing of the
// reader is reimplemented here.
//
// The input's first byte is a control byte, the rest is the file:
//   bit 0   sealed: before the file is written, its payload length is set to what the
//           file holds and both XXH3 checksums are recomputed, so that mutations get past
//           the checksums into the variable table and the payload decoder. Without it
//           the bytes are written as they are: the checks before the checksums, and the
//           checksums themselves, are what is fuzzed.
//   bit 1   also track a variable the file does not have (the "variables differ" path).
//   bit 2   leave the file's last variable untracked (the same path, the other way).
//   bit 3   track every variable as restore() checks it by default: the type the file
//           records must be the one tracked. Without it every variable is tracked with
//           reprise::any_type, so that a variable loaded as another type than it was
//           saved with (the types here are chosen by name: variables.hpp) still reaches
//           the decoder, as with a format 1 file, which records no type.
//
// What counts as a finding: a crash, an ASan/UBSan report, a leak (LeakSanitizer), an
// allocation above -malloc_limit_mb (no allocation larger than the file justifies), an
// input slower than -timeout, or an exception other than reprise::Error out of the
// Checkpointer (its contract: restore() throws reprise::Error).
//
//   bash tests/fuzz/run.sh --minutes 30     (README.md, "Fuzzing")

#include "variables.hpp"

#include <reprise/reprise.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <dirent.h>
#include <sanitizer/common_interface_defs.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

std::string g_dir; // this process's checkpoint directory

// How far the inputs got, printed at exit: evidence that the decoder is reached at all.
struct Counts {
    unsigned long long inputs = 0, verified = 0, restored = 0;
} g_counts;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "fuzz_reader: %s\n", what.c_str());
    std::abort();
}

std::uint64_t get_le(const std::string& b, std::size_t at, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
    return v;
}

void put_le(std::string& b, std::size_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// The "sealed" mode: the payload length from the file's size, the checksums recomputed,
// where the preamble leaves room for them (format_layout.hpp: the header checksum at
// 32 + H, the payload at P; of format 3 on, the chunk table at P + L, the file cut to the
// longest payload whose table fits, and the table's checksum and the end magic in the
// trailer (the unsealed mode fuzzes the magic); before, the
// payload's checksum in the trailer at P + L).
void seal(std::string& b) {
    using namespace reprise::detail;
    if (b.size() < kPreambleSize) return;
    const auto version = static_cast<std::uint32_t>(get_le(b, 8, 4));
    const std::uint64_t payload_offset = get_le(b, 16, 8);
    const bool has_payload = payload_offset <= b.size() && b.size() - payload_offset >= kTrailerSize;
    std::uint64_t payload_size = has_payload ? b.size() - payload_offset - kTrailerSize : 0;
    if (has_payload && version >= kChunkedFormatVersion) {
        const std::uint64_t room = payload_size; // for the payload and its table
        while (payload_size > 0 && payload_size + chunk_table_size(version, payload_size) > room)
            payload_size -= std::min<std::uint64_t>(payload_size, 16);
        while (payload_size + 1 + chunk_table_size(version, payload_size + 1) <= room) ++payload_size;
        b.resize(payload_offset + payload_size + chunk_table_size(version, payload_size) + kTrailerSize);
        const std::vector<ChunkHash> chunks = hash_chunks(b.data() + payload_offset, payload_size);
        // Of format 4, every chunk stored as it is: the table then holds.
        std::vector<StoredChunk> stored;
        for (std::uint64_t i = 0; version >= kCompressedFormatVersion && i < chunks.size(); ++i)
            stored.push_back(StoredChunk{static_cast<std::uint32_t>(chunk_length(i, payload_size)),
                                         Codec::none, 0});
        const std::string tail = encode_file_tail(chunks, stored);
        b.replace(payload_offset + payload_size, tail.size(), tail); // the end magic too
        put_le(b, 24, payload_size, 8);
    } else if (has_payload) {
        put_le(b, 24, payload_size, 8); // covered by the header checksum: first
        put_le(b, payload_offset + payload_size,
               XXH3_64bits(b.data() + payload_offset, payload_size), 8);
    }
    const std::uint64_t header_end = kPreambleSize + get_le(b, 12, 4);
    if (header_end + 8 <= b.size())
        put_le(b, header_end, XXH3_64bits(b.data(), header_end), 8);
}

void write_whole(const std::string& path, const std::string& bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("cannot create " + path + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("cannot write " + path + ": " + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) die("cannot close " + path + ": " + std::strerror(errno));
}

// Every file of the directory goes: each input starts from an empty one.
void empty_directory() {
    DIR* d = ::opendir(g_dir.c_str());
    if (!d) die("cannot open " + g_dir + ": " + std::strerror(errno));
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
            names.emplace_back(e->d_name);
    ::closedir(d);
    for (const auto& n : names)
        if (::unlink((g_dir + "/" + n).c_str()) != 0) die("cannot remove " + n + " in " + g_dir);
}

void remove_directory() {
    DIR* d = ::opendir(g_dir.c_str());
    if (!d) return;
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
            names.emplace_back(e->d_name);
    ::closedir(d);
    for (const auto& n : names) ::unlink((g_dir + "/" + n).c_str());
    ::rmdir(g_dir.c_str());
}

std::string generation_file(const std::string& name, std::uint64_t generation) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%010llu", static_cast<unsigned long long>(generation));
    return reprise::detail::file_safe(name) + ".local." + digits + ".ckpt";
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // The job is "run by hand", whatever the environment of the fuzzing run says.
    for (const char* v : {"JOB_ID", "RESTARTED", "SGE_TASK_ID", "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID",
                          "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT", "PBS_JOBID", "PBS_ARRAYID",
                          "PBS_ARRAY_INDEX", "LSB_JOBID", "LSB_JOBINDEX", "LSB_RESTART",
                          "REPRISE_DIR", "REPRISE_NAME", "REPRISE_INTERVAL", "REPRISE_RESTORE",
                          "REPRISE_LOG", "REPRISE_MODE", "REPRISE_ON_STOP", "REPRISE_SIGNALS"})
        ::unsetenv(v);
    // Memory-backed when there is /dev/shm: an input is a file written and read again.
    const char* base = std::getenv("REPRISE_FUZZ_TMPDIR");
    struct stat st {};
    if (!base || !*base) base = ::stat("/dev/shm", &st) == 0 && ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string pattern = std::string(base) + "/reprise-fuzz-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data())) die("mkdtemp " + pattern + ": " + std::strerror(errno));
    g_dir = buffer.data();
    std::atexit([] {
        std::fprintf(stderr,
                     "fuzz_reader: %llu inputs, %llu passed read_checkpoint (checksums good), "
                     "%llu restored\n", g_counts.inputs, g_counts.verified, g_counts.restored);
        remove_directory();
    });
    // A sanitizer report ends the process without exit(): tidy up then too. (libFuzzer's
    // own verdicts, a timeout or the malloc limit, leave it; run.sh removes the directory
    // it puts it in.)
    __sanitizer_set_death_callback(remove_directory);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    ++g_counts.inputs;
    const unsigned control = data[0];
    std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (control & 1) seal(bytes);
    empty_directory();

    // What the file says it is, read by the library's own reader: its checkpoint name and
    // generation name the file, its variables are the ones tracked.
    std::string name = "fuzz";
    std::uint64_t generation = 1;
    std::vector<std::string> variables;
    {
        write_whole(g_dir + "/probe", bytes);
        const reprise::detail::Directory dir(g_dir);
        reprise::detail::VerifiedCheckpoint file;
        std::string why;
        if (reprise::detail::read_checkpoint(dir, "probe", file, why)) {
            ++g_counts.verified;
            if (!file.header.name.empty()) name = file.header.name;
            if (file.header.generation != 0) generation = file.header.generation;
            for (const auto& v : file.header.variables) variables.push_back(v.name);
        } else if (why.empty()) {
            die("read_checkpoint rejected a file without saying why");
        }
        ::unlink((g_dir + "/probe").c_str());
    }
    // A name too long for a file name: the Checkpointer would refuse it before reading.
    if (generation_file(name, generation).size() > 200) name = "fuzz";
    if (control & 4 && !variables.empty()) variables.pop_back();
    if (control & 2) variables.push_back("fuzz-extra");
    write_whole(g_dir + "/" + generation_file(name, generation), bytes);

    reprise::Options options;
    options.directory = g_dir;
    options.name = name;
    options.restore = reprise::RestorePolicy::always;
    options.quiet = true;
    options.handle_signals = false;
    try {
        reprise::Checkpointer ckpt(options);
        std::vector<std::unique_ptr<reprise_fuzz::Slot>> slots;
        for (const auto& v : variables) {
            slots.push_back(reprise_fuzz::make_slot(v));
            slots.back()->track(ckpt, v, control & 8 ? reprise::TrackFlags::exact : reprise::any_type);
        }
        if (ckpt.restore()) ++g_counts.restored;
    } catch (const reprise::Error&) {
        // The documented outcome for a file that cannot be restored.
    }
    // Any other exception leaves this function: libFuzzer reports it as a crash.
    return 0;
}
