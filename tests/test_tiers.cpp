// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Two storage tiers (REPRISE_PERSIST_DIR, detail/tiers.hpp): every save durable in the
// fast tier, then copied by a thread to the persistent one, durably and atomically; a
// restore takes the newest valid generation of either tier. Real worker processes, real
// files: the fast tier wiped between runs, a damaged copy in either tier, a SIGKILL in the
// middle of a copy, the tiers on two file systems, a stop signal that must wait for the
// copy, and the variables parsed strictly.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/reprise.hpp>

#include <boost/filesystem.hpp>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

using namespace reprise_test;

namespace {

using Env = std::map<std::string, std::string>;

// The worker's checkpoint name (its program name) and job, run by hand.
const reprise::detail::FileNames& worker_names() {
    static const reprise::detail::FileNames names =
        reprise::detail::FileNames::of("reprise_test_worker", "local");
    return names;
}

std::string generation_file(std::uint64_t g) { return worker_names().generation(g); }

// The generations of the worker's job in `dir`, oldest first (temporary files apart).
std::vector<std::uint64_t> generations_in(const std::string& dir) {
    std::vector<std::uint64_t> out;
    for (const auto& name : list_dir(dir))
        if (const std::uint64_t g = worker_names().generation_of(name)) out.push_back(g);
    return out;
}

// Whether generation `g` in `dir` is a whole, valid checkpoint file (header, payload,
// checksums), read as a restore reads it; `why` says what is wrong otherwise.
bool valid_generation(const std::string& dir, std::uint64_t g, std::string& why) {
    const auto directory = reprise::detail::Directory::open_existing(dir);
    if (!directory) {
        why = dir + " does not exist";
        return false;
    }
    reprise::detail::VerifiedCheckpoint file;
    if (!reprise::detail::read_checkpoint(*directory, generation_file(g), file, why)) return false;
    if (file.header.generation != g) {
        why = "holds generation " + std::to_string(file.header.generation);
        return false;
    }
    return true;
}

// The persistent tier after saves up to `newest`: that generation and at most one older
// one (a copy not yet started when a newer save came is skipped for the newer one), each
// whole and valid.
void check_persistent_copies(const std::string& persist, std::uint64_t newest) {
    const std::vector<std::uint64_t> gens = generations_in(persist);
    INFO("persistent tier: " << gens.size() << " generations");
    REQUIRE(!gens.empty());
    CHECK(gens.back() == newest);
    CHECK(gens.size() <= 2);
    for (std::uint64_t g : gens) {
        std::string why;
        CHECK(valid_generation(persist, g, why));
        INFO(why);
    }
    CHECK(files_ending(persist, ".tmp").empty());
}

// Flips bytes in the middle of a file: its checksum no longer matches.
void damage(const std::string& path) {
    std::string bytes = read_file(path);
    REQUIRE(bytes.size() > 64);
    for (std::size_t k = bytes.size() / 2; k < bytes.size() / 2 + 16; ++k) bytes[k] = static_cast<char>(~bytes[k]);
    write_file(path, bytes);
}

// Runs `worker torn M SAVES` to its end with both tiers; returns its stdout lines.
std::vector<std::string> run_torn(const std::string& fast, const std::string& persist, int saves,
                                  Env env = {}, std::string* err = nullptr,
                                  const std::string& elements = "1000") {
    env["REPRISE_PERSIST_DIR"] = persist;
    Child child = start_worker(fast, {"torn", elements, std::to_string(saves)}, env);
    const auto lines = all_lines(child);
    const int status = child.wait();
    INFO(joined(lines) << child.stderr_text());
    REQUIRE(exited_with(status, 0));
    if (err) *err = child.stderr_text();
    return lines;
}

} // namespace

TEST_CASE("with REPRISE_PERSIST_DIR every save is copied to the persistent tier, two "
          "generations kept there too, and a run whose fast tier was wiped restores from it",
          "[tiers]") {
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    std::string err;
    run_torn(fast, persist, 3, {}, &err);
    INFO(err);
    // The destructor waited for the last copy: both tiers hold generations 2 and 3.
    CHECK(generations_in(fast) == std::vector<std::uint64_t>{2, 3});
    check_persistent_copies(persist, 3);
    CHECK(list_dir(persist).size() == generations_in(persist).size() + 1); // and the lock file
    CHECK(contains(err, "reprise: copied generation 3 ("));
    CHECK(contains(err, persist + "/" + generation_file(3)));

    boost::filesystem::remove_all(fast); // the node-local disk of another node
    std::string second;
    const auto lines = run_torn(fast, persist, 1, {}, &second);
    INFO(second);
    REQUIRE(!lines.empty());
    CHECK(lines[0] == "state step=3 consistent=1 gen=3");
    CHECK(contains(second, "reprise: restored generation 3 ("));
    CHECK(contains(second, persist + "/" + generation_file(3) + " (the persistent tier)"));
    // Numbered past the persistent tier's generations, and copied back there.
    CHECK(generations_in(fast) == std::vector<std::uint64_t>{4});
    CHECK(generations_in(persist) == std::vector<std::uint64_t>{3, 4});
    CHECK_FALSE(contains(second, "warning"));
}

TEST_CASE("with two valid copies of the newest generation the fast tier's is restored, and a "
          "damaged persistent copy is not even read",
          "[tiers]") {
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    run_torn(fast, persist, 3);
    std::string err;
    auto lines = run_torn(fast, persist, 0, {}, &err);
    CHECK(lines[0] == "state step=3 consistent=1 gen=3");
    CHECK(contains(err, fast + "/" + generation_file(3) + " (the fast tier)"));

    damage(persist + "/" + generation_file(3));
    lines = run_torn(fast, persist, 0, {}, &err);
    INFO(err);
    CHECK(lines[0] == "state step=3 consistent=1 gen=3");
    CHECK(contains(err, "reprise: restored generation 3 ("));
    CHECK(contains(err, fast + "/" + generation_file(3) + " (the fast tier)"));
}

TEST_CASE("a damaged newest copy in one tier falls back to the same generation in the other "
          "tier before an older generation",
          "[tiers]") {
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    run_torn(fast, persist, 3);

    SECTION("the fast tier's copy damaged: the persistent one") {
        damage(fast + "/" + generation_file(3));
        std::string err;
        const auto lines = run_torn(fast, persist, 0, {}, &err);
        INFO(err);
        CHECK(lines[0] == "state step=3 consistent=1 gen=3");
        CHECK(contains(err, "reprise: warning: restoring generation 3 from the persistent tier; "
                            "rejected:\n  " + fast + "/" + generation_file(3) + ": "));
        CHECK(contains(err, persist + "/" + generation_file(3) + " (the persistent tier)"));
    }
    SECTION("the fast tier's newest copy gone and the persistent one damaged: the fast tier's "
            "older generation") {
        boost::filesystem::remove(fast + "/" + generation_file(3));
        damage(persist + "/" + generation_file(3));
        std::string err;
        const auto lines = run_torn(fast, persist, 0, {}, &err);
        INFO(err);
        CHECK(lines[0] == "state step=2 consistent=1 gen=2");
        CHECK(contains(err, "reprise: warning: restoring the older generation 2 from the fast tier; "
                            "rejected:\n  " + persist + "/" + generation_file(3) + ": "));
        CHECK(contains(err, fast + "/" + generation_file(2) + " (the fast tier)"));
    }
    SECTION("both copies of the newest damaged: the older generation") {
        damage(fast + "/" + generation_file(3));
        damage(persist + "/" + generation_file(3));
        std::string err;
        const auto lines = run_torn(fast, persist, 0, {}, &err);
        INFO(err);
        CHECK(lines[0] == "state step=2 consistent=1 gen=2");
        CHECK(contains(err, fast + "/" + generation_file(3) + ": "));
        CHECK(contains(err, persist + "/" + generation_file(3) + ": "));
        CHECK(contains(err, "restoring the older generation 2 from the fast tier"));
    }
}

TEST_CASE("a SIGKILL in the middle of a copy to the persistent tier leaves a valid generation "
          "to restore, and the next run's save leaves no temporary file",
          "[tiers][crash]") {
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    // 2.4 MB of state: the copy is several writes, the kill lands between two of them.
    Child child = start_worker(fast, {"torn", "300000", "3"},
                               {{"REPRISE_PERSIST_DIR", persist}, {"REPRISE_KILL_AT", "mid-copy@1"}});
    all_lines(child);
    const int status = child.wait();
    INFO(child.stderr_text());
    REQUIRE(killed_by(status, SIGKILL));
    // The copy's temporary file, never a torn file under a generation's name.
    CHECK(files_ending(persist, ".tmp").size() == 1);
    for (std::uint64_t g : generations_in(persist)) {
        std::string why;
        CHECK(valid_generation(persist, g, why));
        INFO(why);
    }

    std::string err;
    const auto lines = run_torn(fast, persist, 1, {}, &err, "300000");
    INFO(err);
    REQUIRE(!lines.empty());
    CHECK(contains(lines[0], "consistent=1"));
    CHECK(number(lines[0], "gen") >= 1);
    CHECK(files_ending(persist, ".tmp").empty());
    CHECK(files_ending(fast, ".tmp").empty());
    const std::uint64_t last = number(lines.back(), "gen");
    std::string why;
    CHECK(valid_generation(persist, last, why));
    INFO(why);
}

TEST_CASE("the persistent tier on another file system (a tmpfs) holds the copies, and a run "
          "restores from it once the fast tier is gone",
          "[tiers]") {
    TempDir dir;
    const std::string fast = dir / "fast";
    std::string persist;
    bool mounted = false;
    std::string why_not;
    if (is_root()) {
        // A mount namespace of this test process's own: the tmpfs is gone with it, and the
        // workers it starts see it.
        const std::string mount_point = dir / "tmpfs";
        boost::filesystem::create_directories(mount_point);
        if (::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
            ::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64m,mode=0700") == 0) {
            mounted = true;
            persist = mount_point + "/persist";
        } else {
            why_not = std::string("mounting a tmpfs: ") + std::strerror(errno);
        }
    }
    struct statfs shm {};
    std::unique_ptr<TempDir> shm_dir;
    if (!mounted && ::statfs("/dev/shm", &shm) == 0 && shm.f_type == 0x01021994 /* TMPFS_MAGIC */) {
        ::setenv("TMPDIR", "/dev/shm", 1);
        shm_dir = std::make_unique<TempDir>();
        ::unsetenv("TMPDIR");
        persist = *shm_dir / "persist";
    }
    if (persist.empty()) {
        WARN("skipped: no tmpfs to put the persistent tier on (not root" +
             (why_not.empty() ? std::string() : ", " + why_not) + ", and no tmpfs at /dev/shm)");
        return;
    }
    boost::filesystem::create_directories(fast);
    boost::filesystem::create_directories(persist);
    struct stat a {}, b {};
    REQUIRE(::stat(fast.c_str(), &a) == 0);
    REQUIRE(::stat(persist.c_str(), &b) == 0);
    if (a.st_dev == b.st_dev) {
        WARN("skipped: " << fast << " and " << persist << " are on the same file system");
        if (mounted) ::umount2((dir / "tmpfs").c_str(), MNT_DETACH);
        return;
    }

    run_torn(fast, persist, 3, {}, nullptr, "300000");
    check_persistent_copies(persist, 3);
    boost::filesystem::remove_all(fast);
    std::string err;
    const auto lines = run_torn(fast, persist, 1, {}, &err, "300000");
    INFO(err);
    CHECK(lines[0] == "state step=3 consistent=1 gen=3");
    CHECK(contains(err, "(the persistent tier)"));
    CHECK(generations_in(persist) == std::vector<std::uint64_t>{3, 4});
    if (mounted) ::umount2((dir / "tmpfs").c_str(), MNT_DETACH);
}

TEST_CASE("in background mode the writer thread's saves are copied to the persistent tier too",
          "[tiers][background]") {
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    Child child = start_worker(fast, {"torn-bg", "300000", "3"},
                               {{"REPRISE_PERSIST_DIR", persist}, {"REPRISE_MODE", "background"}});
    const auto lines = all_lines(child);
    const int status = child.wait();
    const std::string err = child.stderr_text();
    INFO(joined(lines) << err);
    REQUIRE(exited_with(status, 0));
    REQUIRE(lines.back().rfind("saved step=3 gen=3", 0) == 0);
    check_persistent_copies(persist, 3);
    boost::filesystem::remove_all(fast);
    const auto again = run_torn(fast, persist, 0, {}, nullptr, "300000");
    CHECK(again[0] == "state step=3 consistent=1 gen=3");
}

TEST_CASE("a stop signal's save waits for its copy to the persistent tier before the process "
          "ends, even when REPRISE_PERSIST_EVERY would not copy it",
          "[tiers][signals]") {
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    // 32 MiB of state: a copy that takes long enough for a process that did not wait for
    // it to die in the middle.
    Child child = start_worker(fast, {"sum", "100000000", "--pause-every", "1000", "--ballast", "32"},
                               {{"REPRISE_PERSIST_DIR", persist}, {"REPRISE_PERSIST_EVERY", "1000"}});
    CHECK(number(next_line(child), "restored") == 0);
    next_line(child); // paused
    child.signal(SIGTERM);
    child.send_line("go");
    const auto lines = all_lines(child);
    const int status = wait_for_end(child);
    const std::string err = child.stderr_text();
    INFO(joined(lines) << err);
    REQUIRE(killed_by(status, SIGTERM));
    REQUIRE(generations_in(fast) == std::vector<std::uint64_t>{1});
    CHECK(generations_in(persist) == std::vector<std::uint64_t>{1});
    CHECK(files_ending(persist, ".tmp").empty());
    std::string why;
    CHECK(valid_generation(persist, 1, why));
    INFO(why);
    const auto copied = err.find("reprise: copied generation 1 (");
    const auto stopping = err.find("reprise: stopping on SIGTERM");
    REQUIRE(copied != std::string::npos);
    REQUIRE(stopping != std::string::npos);
    CHECK(copied < stopping);
}

TEST_CASE("REPRISE_PERSIST_EVERY=2 copies every second save, and finish() removes both "
          "tiers' files",
          "[tiers]") {
    clear_environment();
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    ScopedEnv env(Env{{"REPRISE_PERSIST_EVERY", "2"}});
    reprise::Options o = options_for(fast);
    o.persist_directory = persist;
    o.quiet = false;
    // The copier thread's lines, as the log callback receives them.
    std::mutex mutex;
    std::vector<std::string> copied;
    o.log = [&](const reprise::LogLine& line) {
        std::lock_guard<std::mutex> lock(mutex);
        const std::string text(line.text);
        if (starts_with(text, "reprise: copied generation "))
            copied.push_back(text.substr(0, text.find(" (")));
    };
    {
        int v = 0;
        reprise::Checkpointer c(o);
        CHECK(c.options().persist_every == 2);
        c.track("v", v);
        for (int k = 0; k < 4; ++k) c.save();
    }
    // Generation 2's copy may be skipped for generation 4's when it had not started yet;
    // 1 and 3 are never copied.
    const std::vector<std::string> both = {"reprise: copied generation 2", "reprise: copied generation 4"};
    const std::vector<std::string> last = {"reprise: copied generation 4"};
    CHECK((copied == both || copied == last));
    INFO(joined(copied));
    const reprise::detail::FileNames names = reprise::detail::FileNames::of("t", "local");
    CHECK(boost::filesystem::exists(persist + "/" + names.generation(4)));
    CHECK_FALSE(boost::filesystem::exists(persist + "/" + names.generation(3)));
    {
        int v = 0;
        reprise::Checkpointer c(o);
        c.track("v", v);
        REQUIRE(c.restore());
        CHECK(c.generation() == 4);
        c.save(); // 5: not copied
        c.finish();
    }
    CHECK(list_dir(fast).empty());
    CHECK(list_dir(persist).empty());
}

TEST_CASE("a failed copy to the persistent tier is reported on stderr and costs nothing of "
          "the fast tier",
          "[tiers][errors]") {
    TempDir dir;
    const std::string fast = dir / "fast", persist = dir / "persist";
    std::string err;
    const auto lines = run_torn(fast, persist, 2, {{"REPRISE_FAULT", "copyread:EIO"}}, &err);
    INFO(err);
    CHECK(lines.back() == "saved step=2 gen=2");
    CHECK(contains(err, "to the persistent tier failed: it stays in " + fast));
    CHECK(contains(err, "Input/output error"));
    CHECK(generations_in(fast) == std::vector<std::uint64_t>{1, 2});
    CHECK(generations_in(persist).empty());
    CHECK(files_ending(persist, ".tmp").empty());
    const auto again = run_torn(fast, persist, 0);
    CHECK(again[0] == "state step=2 consistent=1 gen=2");
}

TEST_CASE("the persistent directory is locked for the job: a second process with another fast "
          "directory but the same persistent one is refused",
          "[tiers][lock]") {
    clear_environment();
    TempDir dir;
    Child holder = start_worker(dir / "fast1", {"hold"}, {{"REPRISE_PERSIST_DIR", dir / "persist"}});
    REQUIRE(starts_with(next_line(holder), "holding pid="));
    {
        ScopedEnv env(Env{{"REPRISE_PERSIST_DIR", dir / "persist"}});
        reprise::Options o = options_for(dir / "fast2", reprise::RestorePolicy::automatic,
                                         "reprise_test_worker");
        try {
            reprise::Checkpointer c(o);
            FAIL("a second process took the persistent tier's lock");
        } catch (const reprise::Error& e) {
            CHECK(e.kind() == reprise::ErrorKind::lock_held);
            CHECK(contains(e.what(), std::to_string(holder.pid())));
        }
    }
    holder.send_line("");
    CHECK(exited_with(wait_for_end(holder), 0));
}

TEST_CASE("REPRISE_PERSIST_EVERY is parsed strictly, REPRISE_PERSIST_DIR may not name the "
          "checkpoint directory itself",
          "[tiers][environment][errors]") {
    clear_environment();
    TempDir dir;
    for (const char* bad : {"0", "x", "-1", "1.5", " 2", "2 ", "1000001", "99999999999999999999"}) {
        ScopedEnv env(Env{{"REPRISE_PERSIST_DIR", dir / "persist"}, {"REPRISE_PERSIST_EVERY", bad}});
        INFO(bad);
        CHECK_THROWS_WITH(reprise::Checkpointer(options_for(dir / "fast")),
                          Catch::Contains(std::string("REPRISE_PERSIST_EVERY='") + bad + "'") &&
                              Catch::Contains("from 1 to 1000000"));
    }
    {
        reprise::Options o = options_for(dir / "fast");
        o.persist_directory = dir / "persist";
        o.persist_every = 0;
        CHECK_THROWS_WITH(reprise::Checkpointer(o), Catch::Contains("Options::persist_every=0"));
    }
    {
        ScopedEnv env(Env{{"REPRISE_PERSIST_DIR", dir / "fast/."}});
        const std::string message = error_of([&] { reprise::Checkpointer c(options_for(dir / "fast")); });
        CHECK(contains(message, "is the checkpoint directory"));
        CHECK(contains(message, "REPRISE_PERSIST_DIR"));
    }
    {
        ScopedEnv env(Env{{"REPRISE_PERSIST_DIR", dir / "persist"}, {"REPRISE_PERSIST_EVERY", "3"}});
        reprise::Checkpointer c(options_for(dir / "fast"));
        CHECK(c.options().persist_directory == dir / "persist");
        CHECK(c.options().persist_every == 3);
    }
}

TEST_CASE("under a coordination layer (MPI) each process copies its committed generations to "
          "the persistent tier, and the generation pinned as complete on every process is never "
          "recycled by a later copy",
          "[tiers][mpi]") {
    // The seam reprise/mpi.hpp drives (the mpirun runs are tests/mpi, label mpi): a copy
    // starts only once the generation is committed, the copier says which one it copied
    // last once idle, and after pin(g) every copy keeps g, recycling the other one.
    clear_environment();
    TempDir dir;
    ScopedEnv env(Env{{"REPRISE_PERSIST_DIR", dir / "persist"}});
    std::uint64_t x = 0;
    reprise::Checkpointer c(options_for(dir / "fast"),
                            reprise::detail::Coordinated{".rank0", "", 0, true});
    c.track("x", x);
    reprise::detail::PersistentTier* tier = c.persistent_tier();
    REQUIRE(tier != nullptr);
    const auto commit = [&](std::uint64_t g) {
        x = g;
        c.save_as(g);
        c.store().confirm(g);
        CHECK(tier->store().generations().count(g) == 0); // save_as() copies nothing
        c.copy_to_persistent(g, false);
        tier->wait();
        CHECK(tier->settled() == g);
    };
    CHECK(tier->settled() == 0);
    commit(1);
    tier->pin(1); // every process's copy holds generation 1
    commit(2);
    commit(3);
    CHECK(tier->store().generations() == std::set<std::uint64_t>{1, 3});
    CHECK(c.store().generations() == std::set<std::uint64_t>{2, 3});
    tier->pin(3);
    commit(4);
    CHECK(tier->store().generations() == std::set<std::uint64_t>{3, 4});
    // Each process reads its own copy when its fast tier's file is lost.
    boost::filesystem::remove(c.store().path_of(4));
    std::string why;
    x = 0;
    CHECK_FALSE(c.restore_generation(4, why));
    CHECK(c.restore_generation(4, why, true));
    CHECK(x == 4);
    c.finish();
    CHECK(boost::filesystem::is_empty(dir / "persist"));
}
