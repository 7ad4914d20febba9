// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// reprise-soak: the kill soak and the power-loss simulation (issue 7, parts 3 and 4).
//
// Kill soak. N cycles, in each save mode, of: start the test worker (`worker torn-passes`,
// or `torn-bg` in the background mode), which restores this job's newest checkpoint, says
// what it restored, then computes and saves without end, printing "saved step=" once each
// save is durable (save() returned; in the background mode, its writer ended); then kill it
// with SIGKILL at a random moment: after a delay drawn here (so kills land anywhere), or at
// a kill point drawn at random with a random pass number (REPRISE_KILL_AT), whichever comes
// first. The next cycle's restore is checked against what the killed run had said:
//
//   torn   the restored state is not one save's (the worker's consistent=0)
//   lost   the restored step is older than the last step reported durable: a save that
//          was in flight may or may not survive, a completed one must
//   errors anything else that must not happen: a restore that fails, a step that was never
//          saved (beyond the one in flight), a save that did not advance the generation, a
//          worker that ended otherwise than by the kill
//   extra  files beside the job's files: more than two generations, a lock, a temporary
//
// Power loss (--power-loss, as root). The checkpoint directory is on an ext4 file system in
// an image file attached to a loop device. The worker is not killed but stopped (SIGSTOP:
// after a random delay, or at a random kill point with REPRISE_KILL_SIGNAL=STOP); while it
// is stopped the image file is copied: that copy holds what the loop device was given, the
// "disk", and none of what was only in the page cache of the mounted file system, which a
// power cut loses (data written but not fsync'd, a rename whose journal transaction was not
// committed). The copy is taken again until the loop device did no write during it and none
// was in flight (/sys/block/loopN/stat), so it is one instant of the disk. (Before the
// cycles, a file written without fsync is shown to be lost by such a cut, and one fsync'd
// to survive it: the simulation proves it can fail.) Then the worker
// is killed, the file system is unmounted, and the next cycle mounts the copy (ext4 replays
// its journal, as after a reboot) and restores from what survived, with the same checks.
//
//   reprise-soak [--cycles N] [--mode sync|background|both] [--seed S] [--elements M]
//                [--power-loss] [--worker PATH] [--verbose]
//
// Prints one line of figures per mode; exits 0 when every figure that must be 0 is, 1
// otherwise, 2 on bad usage, 77 when --power-loss cannot run here (saying why).

#include "support.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sched.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace reprise_test;
using Clock = std::chrono::steady_clock;

namespace {

// Every kill point of a save (include/reprise/detail/durable_file.hpp) but
// "during-cleanup" (checkpointer.hpp), which a run that restores its own job's checkpoint
// never passes: it recycles the generation before the last instead of removing it.
const std::vector<std::string> kKillPoints = {"after-recycle", "before-write", "mid-write",
                                              "after-fsync",   "after-close",  "after-rename",
                                              "after-dir-fsync"};
// A pass number no run reaches: the point is counted, never fired.
constexpr unsigned long kNever = 999999999;
// "Save without end": more saves than any cycle reaches before its kill.
const std::string kForever = "1000000000";

struct Settings {
    unsigned long cycles = 1000;
    std::vector<std::string> modes = {"sync", "background"};
    std::uint64_t seed = 0;
    std::size_t elements = 0; // 0: 300000 (2.4 MB), 100000 under --power-loss
    bool power_loss = false;
    std::string worker = worker_path();
    bool verbose = false;
};

struct Figures {
    unsigned long cycles = 0, restores = 0, torn = 0, lost = 0, errors = 0, extra = 0;
    unsigned long by_delay = 0, by_point = 0, saves = 0, copies_retaken = 0;
    std::map<std::string, unsigned long> at_point;
    double seconds = 0;

    bool clean() const { return torn == 0 && lost == 0 && errors == 0 && extra == 0; }
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "reprise-soak: %s\n"
                 "usage: reprise-soak [--cycles N] [--mode sync|background|both] [--seed S]\n"
                 "                    [--elements M] [--power-loss] [--worker PATH] [--verbose]\n",
                 why.c_str());
    std::exit(2);
}

// A failure worth telling in full: the first few are printed, the rest only counted.
void report(unsigned long& counter, const std::string& what, unsigned long& told) {
    ++counter;
    if (told++ < 10) std::fprintf(stderr, "reprise-soak: %s\n", what.c_str());
}

// --- SIGCHLD, so that a wait for the worker's lines also ends when it stops itself ------

int g_child_pipe[2] = {-1, -1};

extern "C" void on_child(int) {
    const int saved = errno;
    const char byte = 0;
    [[maybe_unused]] const ssize_t n = ::write(g_child_pipe[1], &byte, 1);
    errno = saved;
}

void install_child_handler() {
    if (::pipe2(g_child_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    struct sigaction action {};
    action.sa_handler = on_child;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART; // not SA_NOCLDSTOP: a child that stops is what we wait for
    if (::sigaction(SIGCHLD, &action, nullptr) != 0)
        throw std::runtime_error(std::string("sigaction: ") + std::strerror(errno));
}

void drain_child_pipe() {
    char bytes[64];
    while (::read(g_child_pipe[0], bytes, sizeof bytes) > 0) {
    }
}

// --- running system programs -----------------------------------------------------------

std::string find_program(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/bin:/bin";
    std::istringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    return "";
}

// Runs `argv` (argv[0] a full path) to its end; its stdout. Throws when it fails.
std::string run(const std::vector<std::string>& argv) {
    Child::Spec spec;
    spec.argv = argv;
    Child child(std::move(spec));
    child.close_stdin();
    std::string out;
    for (std::string line = child.read_line(); !child.ended() || !line.empty();
         line = child.read_line())
        out += line + "\n";
    const int status = child.wait();
    if (!exited_with(status, 0)) {
        std::string command;
        for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
        throw std::runtime_error(command + ": " + describe_status(status) + ": " +
                                 child.stderr_text());
    }
    return out;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// --- the disk of the power-loss simulation ---------------------------------------------

// What /sys/block/loopN/stat says about writes (Documentation/block/stat.rst): writes
// completed, sectors written, requests in flight, discards completed.
struct WriteCounters {
    std::array<unsigned long long, 4> values{};
    bool operator==(const WriteCounters& o) const { return values == o.values; }
    bool idle() const { return values[2] == 0; }
};

// An ext4 file system in an image file, on a loop device, mounted; "power cuts" copy the
// image, and the next mount is of the copy.
class Disk {
public:
    static constexpr off_t kSize = off_t(48) << 20;

    // Empty when this machine can run the simulation, else why not.
    static std::string unavailable() {
        if (::geteuid() != 0) return "needs root (loop devices and mount)";
        if (::access("/dev/loop-control", F_OK) != 0)
            return "no /dev/loop-control: this kernel has no loop device driver";
        if (!contains(read_file("/proc/filesystems"), "\text4"))
            return "this kernel has no ext4 (/proc/filesystems)";
        for (const char* p : {"losetup", "mount", "umount", "mkfs.ext4"})
            if (find_program(p).empty())
                return std::string("no ") + p + " (Debian: util-linux, mount, e2fsprogs)";
        return "";
    }

    explicit Disk(const std::string& base)
        : image_(base + "/disk.img"), copy_(base + "/disk-after-power-cut.img"),
          mount_point_(base + "/mnt") {
        if (::mkdir(mount_point_.c_str(), 0700) != 0)
            throw std::runtime_error("mkdir " + mount_point_ + ": " + std::strerror(errno));
        const int fd = ::open(image_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || ::ftruncate(fd, kSize) != 0 || ::close(fd) != 0)
            throw std::runtime_error("creating " + image_ + ": " + std::strerror(errno));
        // Everything initialised now: no lazy initialisation writing behind our back later.
        run({find_program("mkfs.ext4"), "-q", "-F", "-E",
             "lazy_itable_init=0,lazy_journal_init=0,nodiscard", image_});
    }
    ~Disk() {
        try {
            detach();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "reprise-soak: cleaning up %s: %s\n", image_.c_str(), e.what());
        }
    }
    Disk(const Disk&) = delete;
    Disk& operator=(const Disk&) = delete;

    std::string directory() const { return mount_point_ + "/ckpt"; }

    // Attaches the image and mounts it: ext4 replays its journal, as at boot.
    void attach() {
        device_ = trimmed(run({find_program("losetup"), "--find", "--show", image_}));
        if (device_.rfind("/dev/loop", 0) != 0)
            throw std::runtime_error("losetup gave '" + device_ + "'");
        run({find_program("mount"), "-t", "ext4", device_, mount_point_});
        mounted_ = true;
    }

    // The power cut: a copy of the image as the loop device left it, at one instant.
    // Returns how many copies had to be taken again because the device wrote meanwhile.
    unsigned long cut_power() {
        const auto deadline = Clock::now() + std::chrono::seconds(120);
        unsigned long retaken = 0;
        for (;;) {
            if (Clock::now() > deadline)
                throw std::runtime_error(device_ + " never stopped writing for the length of a copy");
            const WriteCounters before = counters();
            if (!before.idle()) { // writes in flight: they end without us (nothing to wait on)
                ::sched_yield();
                continue;
            }
            copy_image();
            if (counters() == before) return retaken;
            ++retaken;
        }
    }

    // Proof that a power cut here loses what was not made durable, before any figure is
    // believed: a file written without fsync must be gone after the cut, and one written,
    // fsync'd and its directory fsync'd must be whole. Were the copy to hold the page
    // cache's view, the simulation would be a mere kill and this throws. (The journal's
    // 5 s commit timer could, rarely, make the first file durable between its write and
    // the cut: up to three tries.) Leaves the file system as it was, detached.
    void prove_power_cut_loses_unsynced_data() {
        std::string why;
        for (int attempt = 1; attempt <= 3; ++attempt) {
            attach();
            const std::string pattern(std::size_t(1) << 20, 'p');
            const std::string synced = mount_point_ + "/synced", unsynced = mount_point_ + "/unsynced";
            write_file(unsynced, pattern);
            const int fd = ::open(synced.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            const int dir = ::open(mount_point_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0 || dir < 0 ||
                ::write(fd, pattern.data(), pattern.size()) != static_cast<ssize_t>(pattern.size()) ||
                ::fsync(fd) != 0 || ::close(fd) != 0 || ::fsync(dir) != 0 || ::close(dir) != 0)
                throw std::runtime_error("writing " + synced + ": " + std::strerror(errno));
            cut_power();
            reboot();
            attach();
            const bool synced_whole = read_file(synced) == pattern;
            const bool unsynced_gone = read_file(unsynced) != pattern;
            ::unlink(synced.c_str());
            ::unlink(unsynced.c_str());
            detach();
            if (!synced_whole)
                throw std::runtime_error("the power-loss simulation is broken: a file written, "
                                         "fsync'd and its directory fsync'd did not survive it");
            if (unsynced_gone) return;
            why = "a file written without fsync survived the power cut " +
                  std::to_string(attempt) + " times: the copy is not the disk, it holds the "
                  "page cache's view";
        }
        throw std::runtime_error("the power-loss simulation proves nothing here: " + why);
    }

    // Unmounts (what the page cache still held reaches the old image, which is then
    // dropped) and detaches; the copy becomes the image the next attach() mounts.
    void reboot() {
        detach();
        if (::rename(copy_.c_str(), image_.c_str()) != 0)
            throw std::runtime_error("rename " + copy_ + ": " + std::strerror(errno));
    }

    void detach() {
        if (mounted_) {
            mounted_ = false;
            run({find_program("umount"), mount_point_});
        }
        if (!device_.empty()) {
            const std::string device = device_;
            device_.clear();
            run({find_program("losetup"), "-d", device});
        }
    }

private:
    WriteCounters counters() const {
        const std::string path = "/sys/block/" + device_.substr(5) + "/stat";
        std::istringstream in(read_file(path));
        std::vector<unsigned long long> f;
        for (unsigned long long v; in >> v;) f.push_back(v);
        if (f.size() < 11) throw std::runtime_error("cannot read " + path);
        WriteCounters c;
        c.values = {f[4], f[6], f[8], f.size() > 11 ? f[11] : 0};
        return c;
    }

    // A sparse copy: blocks of zeros are left as holes.
    void copy_image() const {
        const int in = ::open(image_.c_str(), O_RDONLY | O_CLOEXEC);
        const int out = ::open(copy_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || out < 0) throw std::runtime_error("opening the images: " + std::string(std::strerror(errno)));
        static std::vector<char> block(std::size_t(1) << 16), zeros(std::size_t(1) << 16, 0);
        for (off_t offset = 0; offset < kSize;) {
            const ssize_t n = ::pread(in, block.data(), block.size(), offset);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error("reading " + image_ + ": " + std::strerror(errno));
            const auto size = static_cast<std::size_t>(n);
            if (std::memcmp(block.data(), zeros.data(), size) != 0)
                for (std::size_t done = 0; done < size;) {
                    const ssize_t w = ::pwrite(out, block.data() + done, size - done,
                                               offset + static_cast<off_t>(done));
                    if (w < 0 && errno == EINTR) continue;
                    if (w <= 0) throw std::runtime_error("writing " + copy_ + ": " + std::strerror(errno));
                    done += static_cast<std::size_t>(w);
                }
            offset += n;
        }
        if (::ftruncate(out, kSize) != 0 || ::close(out) != 0)
            throw std::runtime_error("writing " + copy_ + ": " + std::strerror(errno));
        ::close(in);
    }

    std::string image_, copy_, mount_point_, device_;
    bool mounted_ = false;
};

// Where the images live: in memory (/dev/shm) when there is one, so that thousands of
// copies do not wear the shared disk; the loop device works on tmpfs as on any file.
std::string image_base() {
    struct stat st {};
    if (::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && ::access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

class ScopedTmpdir {
public:
    explicit ScopedTmpdir(const std::string& value)
        : had_(std::getenv("TMPDIR") != nullptr), old_(had_ ? std::getenv("TMPDIR") : "") {
        ::setenv("TMPDIR", value.c_str(), 1);
    }
    ~ScopedTmpdir() {
        if (had_)
            ::setenv("TMPDIR", old_.c_str(), 1);
        else
            ::unsetenv("TMPDIR");
    }
    ScopedTmpdir(const ScopedTmpdir&) = delete;
    ScopedTmpdir& operator=(const ScopedTmpdir&) = delete;

private:
    bool had_;
    std::string old_;
};

// --- the soak ---------------------------------------------------------------------------

// Files in the job's directory beyond two generations, one lock and one temporary file.
std::vector<std::string> extra_files(const std::string& dir) {
    std::vector<std::string> extra;
    unsigned long generations = 0, locks = 0, temps = 0;
    const auto ends = [](const std::string& n, const std::string& s) {
        return n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
    };
    for (const auto& name : list_dir(dir)) {
        bool fits = false;
        if (ends(name, ".ckpt")) fits = ++generations <= 2;
        else if (ends(name, ".ckpt.tmp")) fits = ++temps <= 1;
        else if (ends(name, ".lock")) fits = ++locks <= 1;
        if (!fits) extra.push_back(name);
    }
    return extra;
}

class Soak {
public:
    Soak(const Settings& settings, std::string mode, std::mt19937_64& random)
        : s_(settings), mode_(std::move(mode)), random_(random) {}

    Figures run() {
        std::unique_ptr<TempDir> disk_base;
        std::unique_ptr<Disk> disk;
        TempDir scratch;
        std::string dir = scratch / "ckpt";
        if (s_.power_loss) {
            ScopedTmpdir in_memory(image_base());
            disk_base = std::make_unique<TempDir>();
            disk = std::make_unique<Disk>(disk_base->path());
            disk->prove_power_cut_loses_unsynced_data();
            dir = disk->directory();
        }
        const auto started = Clock::now();
        // Cycles 1..N end in a kill; cycle N+1 only checks the restore of the last one.
        for (unsigned long cycle = 1; cycle <= s_.cycles + 1; ++cycle) {
            const bool last = cycle == s_.cycles + 1;
            if (disk) disk->attach();
            check_files(dir, cycle);
            const bool cut = run_cycle(dir, cycle, last, disk.get());
            if (disk) {
                // A worker that failed before the cut leaves the disk as it was.
                if (cut)
                    disk->reboot();
                else
                    disk->detach();
            }
        }
        f_.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        return f_;
    }

private:
    std::string where(unsigned long cycle) const {
        return mode_ + " cycle " + std::to_string(cycle) + ": ";
    }

    void check_files(const std::string& dir, unsigned long cycle) {
        const auto extra = extra_files(dir);
        if (!extra.empty())
            report(f_.extra, where(cycle) + "beyond two generations, a lock and a temporary file: " +
                                 joined(extra), told_);
    }

    // The restoring worker's first line, against what the killed one had reported.
    bool check_start(const std::string& line, unsigned long cycle) {
        if (!starts_with(line, "state ")) {
            // With a save reported durable, a restore that fails has lost it.
            report(durable_ > 0 ? f_.lost : f_.errors,
                   where(cycle) + "the worker did not start: '" + line + "'", told_);
            return false;
        }
        const unsigned long long step = number(line, "step");
        process_gen_ = number(line, "gen");
        if (process_gen_ > 0) ++f_.restores;
        if (field(line, "consistent") != "1")
            report(f_.torn, where(cycle) + "torn state restored: " + line, told_);
        if (step < durable_)
            report(f_.lost, where(cycle) + "restored step " + std::to_string(step) +
                                " but step " + std::to_string(durable_) +
                                " had been reported durable", told_);
        if (step > durable_ + 1)
            report(f_.errors, where(cycle) + "restored step " + std::to_string(step) +
                                  ", never saved (last durable " + std::to_string(durable_) + ")",
                   told_);
        // What is on disk now is what the next kill may take back to.
        durable_ = step;
        return true;
    }

    void on_line(const std::string& line, unsigned long cycle, const std::string& counted,
                 Clock::time_point& last_save) {
        if (!starts_with(line, "saved ")) {
            report(f_.errors, where(cycle) + "unexpected line from the worker: '" + line + "'", told_);
            return;
        }
        const unsigned long long step = number(line, "step"), gen = number(line, "gen");
        if (gen <= process_gen_)
            report(f_.errors, where(cycle) + "a save that did not advance the generation: " + line,
                   told_);
        process_gen_ = gen;
        durable_ = step;
        ++f_.saves;
        ++process_saves_;
        // What a save costs and how many passes of a kill point it makes: the ranges the
        // random moments are drawn from follow what this machine does now.
        // (The first save of a run is timed from the restore's line: the worker saves
        // straight after it.)
        const auto now = Clock::now();
        const double seconds = std::chrono::duration<double>(now - last_save).count();
        save_seconds_ += (seconds - save_seconds_) / 16;
        last_save = now;
        const double passes = static_cast<double>(number(line, "passes")) /
                              static_cast<double>(process_saves_);
        passes_per_save_[counted] = std::max(passes_per_save_[counted], passes);
    }

    // True when a power cut was made (--power-loss).
    bool run_cycle(const std::string& dir, unsigned long cycle, bool last, Disk* disk) {
        // Half the cycles arm a kill point at a random pass within the first two saves;
        // all have a random delay: whichever comes first kills.
        const std::string point = kKillPoints[random_() % kKillPoints.size()];
        const bool armed = !last && random_() % 2 == 0;
        const auto per_save = static_cast<unsigned long>(std::max(1.0, passes_per_save_[point]));
        const unsigned long pass = armed ? 1 + random_() % (2 * per_save) : kNever;
        std::map<std::string, std::string> env = {
            {"REPRISE_RESTORE", "always"},
            {"REPRISE_LOG", "quiet"},
            {"REPRISE_MODE", mode_},
            {"REPRISE_KILL_AT", point + "@" + std::to_string(pass)}};
        if (disk) env["REPRISE_KILL_SIGNAL"] = "STOP";
        // Half the cycles write compressed files (format 4), half do not: a run that
        // restores one kind recycles the other's files.
        if (random_() % 2 == 0) env["REPRISE_COMPRESS"] = "zstd";
        const std::string elements = std::to_string(s_.elements);
        env["REPRISE_DIR"] = dir;
        Child::Spec spec;
        spec.argv = {s_.worker, mode_ == "sync" ? "torn-passes" : "torn-bg", elements,
                     last ? "0" : kForever};
        spec.env = std::move(env);
        Child worker(std::move(spec));
        process_saves_ = 0;
        const std::string first = worker.read_line();
        if (!check_start(first, cycle)) {
            if (told_ <= 10) std::fprintf(stderr, "%s", worker.stderr_text().c_str());
            worker.signal(SIGKILL);
            worker.wait();
            return false;
        }
        if (last) {
            const int status = worker.wait();
            if (!exited_with(status, 0))
                report(f_.errors, where(cycle) + "the final restore " + describe_status(status), told_);
            return false;
        }
        ++f_.cycles;

        // The random moment: uniform over about four saves from now (eight when a kill
        // point is armed, so that it is mostly the point that fires). This delay is the
        // point of the soak, not a synchronisation.
        std::uniform_real_distribution<double> draw(
            0.0, std::max(0.002, (armed ? 8 : 4) * save_seconds_));
        const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(draw(random_)));
        Clock::time_point last_save = Clock::now();
        bool self = false; // the worker reached the armed kill point first
        drain_child_pipe();
        for (std::string line;;) {
            if (worker.read_line_before(deadline, line, disk ? g_child_pipe[0] : -1)) {
                if (worker.ended()) {
                    self = true;
                    break;
                }
                on_line(line, cycle, point, last_save);
                continue;
            }
            if (Clock::now() >= deadline) break;
            // SIGCHLD: did the worker stop itself at the kill point?
            drain_child_pipe();
            int status = 0;
            if (worker.wait_stopped(status, false)) {
                self = true;
                if (!WIFSTOPPED(status)) {
                    report(f_.errors, where(cycle) + "the worker " + describe_status(status) +
                                          ": " + worker.stderr_text(), told_);
                    return false;
                }
                break;
            }
        }

        if (disk) {
            int status = 0;
            if (!self) {
                worker.signal(SIGSTOP);
                worker.wait_stopped(status, true);
                if (!WIFSTOPPED(status)) {
                    report(f_.errors, where(cycle) + "the worker " + describe_status(status) +
                                          " before the power cut: " + worker.stderr_text(),
                           told_);
                    return false;
                }
            }
            // Every line it wrote before it stopped is in the pipe: those saves were durable
            // before the power cut.
            for (std::string line; worker.read_line_before(Clock::now(), line) && !worker.ended();)
                on_line(line, cycle, point, last_save);
            f_.copies_retaken += disk->cut_power();
            worker.signal(SIGKILL);
            status = worker.wait();
            if (!killed_by(status, SIGKILL))
                report(f_.errors, where(cycle) + "the worker " + describe_status(status), told_);
        } else {
            if (!self) worker.signal(SIGKILL);
            // Lines written before it died still count: those saves had returned.
            for (std::string line = worker.read_line(); !worker.ended(); line = worker.read_line())
                on_line(line, cycle, point, last_save);
            const int status = worker.wait();
            if (!killed_by(status, SIGKILL)) {
                report(f_.errors, where(cycle) + "the worker " + describe_status(status) + ": " +
                                      worker.stderr_text(), told_);
                self = false;
            }
        }
        if (self) {
            ++f_.by_point;
            ++f_.at_point[point];
        } else {
            ++f_.by_delay;
        }
        if (s_.verbose)
            std::fprintf(stderr, "%s%s (%s armed at pass %lu), %lu saves, last durable step %llu\n",
                         where(cycle).c_str(), self ? "kill point" : "delay", point.c_str(),
                         pass, process_saves_, durable_);
        return disk != nullptr;
    }

    const Settings& s_;
    const std::string mode_;
    std::mt19937_64& random_;
    Figures f_;
    unsigned long told_ = 0;
    unsigned long long durable_ = 0;     // the newest step known to be on disk
    unsigned long long process_gen_ = 0; // the worker's generation, to see each save advance it
    unsigned long process_saves_ = 0;
    double save_seconds_ = 0.01;
    std::map<std::string, double> passes_per_save_;
};

Settings parse(int argc, char** argv) {
    Settings s;
    s.seed = std::random_device{}();
    const auto value = [&](int& a) -> std::string {
        if (a + 1 >= argc) usage(std::string(argv[a]) + " needs a value");
        return argv[++a];
    };
    const auto count = [](const std::string& text, const char* what) {
        char* end = nullptr;
        const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
        if (text.empty() || *end || text[0] == '-') usage(std::string("bad ") + what + ": " + text);
        return v;
    };
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        if (arg == "--cycles") {
            s.cycles = count(value(a), "cycle count");
        } else if (arg == "--mode") {
            const std::string m = value(a);
            if (m == "both") s.modes = {"sync", "background"};
            else if (m == "sync" || m == "background") s.modes = {m};
            else usage("bad mode: " + m);
        } else if (arg == "--seed") {
            s.seed = count(value(a), "seed");
        } else if (arg == "--elements") {
            s.elements = count(value(a), "element count");
        } else if (arg == "--power-loss") {
            s.power_loss = true;
        } else if (arg == "--worker") {
            s.worker = value(a);
        } else if (arg == "--verbose") {
            s.verbose = true;
        } else {
            usage("unknown argument: " + arg);
        }
    }
    if (s.cycles == 0) usage("--cycles must be at least 1");
    if (s.elements == 0) s.elements = s.power_loss ? 100000 : 300000;
    return s;
}

} // namespace

int main(int argc, char** argv) {
    const Settings settings = parse(argc, argv);
    if (settings.power_loss) {
        const std::string why = Disk::unavailable();
        if (!why.empty()) {
            std::printf("SKIPPED: the power-loss simulation %s\n", why.c_str());
            return 77;
        }
    }
    try {
        install_child_handler();
        std::printf("reprise-soak: %s, %lu cycles per mode, %zu elements, seed %" PRIu64 "\n",
                    settings.power_loss ? "power loss (ext4 on a loop device)" : "kill soak",
                    settings.cycles, settings.elements, settings.seed);
        std::fflush(stdout);
        std::mt19937_64 random(settings.seed);
        bool clean = true;
        for (const auto& mode : settings.modes) {
            const Figures f = Soak(settings, mode, random).run();
            std::string points;
            for (const auto& [point, n] : f.at_point)
                points += " " + point + "=" + std::to_string(n);
            std::printf("mode=%s cycles=%lu restores=%lu torn=%lu lost=%lu errors=%lu extra=%lu "
                        "time=%.1fs | saves=%lu kills: delay=%lu point=%lu (%s )%s\n",
                        mode.c_str(), f.cycles, f.restores, f.torn, f.lost, f.errors, f.extra,
                        f.seconds, f.saves, f.by_delay, f.by_point, points.c_str(),
                        settings.power_loss
                            ? (" copies-retaken=" + std::to_string(f.copies_retaken)).c_str()
                            : "");
            std::fflush(stdout);
            clean = clean && f.clean() && f.cycles == settings.cycles;
        }
        std::printf("reprise-soak: %s\n", clean ? "PASSED" : "FAILED");
        return clean ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "reprise-soak: %s\n", e.what());
        return 1;
    }
}
