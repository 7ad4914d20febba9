// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// The naming module (detail/naming.hpp: every name the library gives a file, and the parse
// back from a name to a generation) and the read-only inspection API (reprise/inspect.hpp)
// that the job manager builds on: listing, headers, verification, locks.

#include "catch.hpp"
#include "support.hpp"

#include <reprise/inspect.hpp>
#include <reprise/reprise.hpp>
#include <reprise/detail/commit_record.hpp>
#include <reprise/detail/job.hpp>
#include <reprise/detail/lock.hpp>
#include <reprise/detail/naming.hpp>

#include <chrono>
#include <climits>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace reprise_test;
using reprise::detail::FileNames;
using reprise::detail::kMaxGeneration;
using Env = std::map<std::string, std::string>;

namespace {

const std::vector<std::uint64_t> kSomeGenerations = {1, 2, 9, 10, 99, 12345, 4294967296ull,
                                                     kMaxGeneration - 1, kMaxGeneration};

std::string this_host() {
    char buffer[HOST_NAME_MAX + 1] = {0};
    REQUIRE(::gethostname(buffer, sizeof buffer - 1) == 0);
    return buffer;
}

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

std::vector<std::uint64_t> numbers(const std::vector<reprise::inspect::Generation>& gens) {
    std::vector<std::uint64_t> out;
    for (const auto& g : gens) out.push_back(g.number);
    return out;
}

} // namespace

// ---- naming -------------------------------------------------------------------------------

TEST_CASE("every generation, temporary file and commit record name parses back to its number", "[naming]") {
    const FileNames names = FileNames::of("heat", "slurm-42_3");
    CHECK(names.stem == "heat.slurm-42_3");
    for (const std::uint64_t g : kSomeGenerations) {
        INFO("generation " << g);
        CHECK(names.generation_of(names.generation(g)) == g);
        CHECK(names.temporary_of(names.temporary(g)) == g);
        CHECK(names.commit_record_of(names.commit_record(g)) == g);
        CHECK(names.commit_record_temporary_of(reprise::detail::temporary_name(names.commit_record(g))) == g);
        // Each kind is only itself.
        CHECK(names.generation_of(names.temporary(g)) == 0);
        CHECK(names.temporary_of(names.generation(g)) == 0);
        CHECK(names.generation_of(names.commit_record(g)) == 0);
        CHECK(names.commit_record_of(names.generation(g)) == 0);
    }
    CHECK(names.generation(7) == "heat.slurm-42_3.0000000007.ckpt");
    CHECK(names.temporary(7) == "heat.slurm-42_3.0000000007.ckpt.tmp");
    CHECK(names.commit_record(7) == "heat.slurm-42_3.0000000007.commit");
    CHECK(names.lock() == "heat.slurm-42_3.lock");
    CHECK(names.commit_record_pattern() == "heat.slurm-42_3.<generation>.commit");
    CHECK(names.longest() == names.temporary(kMaxGeneration));
}

TEST_CASE("a name that the library would not write is nobody's generation", "[naming]") {
    const FileNames names = FileNames::of("t", "local");
    const std::vector<std::string> junk = {
        "",
        "t.local",
        "t.local.lock",
        "t.local.ckpt",
        "t.local..ckpt",
        "t.local.0000000000.ckpt",          // generation 0
        "t.local.000000001.ckpt",           // nine digits
        "t.local.00000000001.ckpt",         // eleven
        "t.local.000000000000000001.ckpt",  // a stray long number
        "t.local.99999999999.ckpt",         // past kMaxGeneration
        "t.local.+000000001.ckpt",
        "t.local.-000000001.ckpt",
        "t.local. 000000001.ckpt",
        "t.local.00000000a1.ckpt",
        "t.local.0x00000001.ckpt",
        "t.local.0000000001.CKPT",
        "t.local.0000000001.ckpt.bak",
        "t.local.0000000001.ckpt ",
        "t.local_0000000001.ckpt",
        "t.local2.0000000001.ckpt",         // another job
        "t.loca.0000000001.ckpt",
        "u.local.0000000001.ckpt",          // another checkpoint
        "xt.local.0000000001.ckpt",
        "t.local.0000000001.ckpt.tmp.tmp",
        std::string("t.local.000000000") + '\0' + "1.ckpt", // a NUL among the digits
    };
    for (const std::string& name : junk) {
        INFO("'" << name << "'");
        CHECK(names.generation_of(name) == 0);
        CHECK(names.temporary_of(name) == 0);
    }
    CHECK(names.temporary_of("t.local.0000000001.tmp") == 0);
    CHECK(names.commit_record_of("t.local.0000000001.commit.tmp") == 0);
}

TEST_CASE("generation numbers outside 1 to kMaxGeneration have no name, and names sort as numbers do", "[naming]") {
    const FileNames names = FileNames::of("t", "local");
    CHECK(reprise::detail::kMaxGeneration == 9999999999ull);
    CHECK(names.generation(kMaxGeneration) == "t.local.9999999999.ckpt");
    for (const std::uint64_t bad : {std::uint64_t(0), kMaxGeneration + 1, ~std::uint64_t(0)}) {
        INFO("generation " << bad);
        const std::string message = error_of([&] { names.generation(bad); });
        CHECK(contains(message, "out of range (1 to 9999999999)"));
        CHECK(!error_of([&] { names.temporary(bad); }).empty());
        CHECK(!error_of([&] { names.commit_record(bad); }).empty());
    }
    std::set<std::string> sorted;
    for (const std::uint64_t g : kSomeGenerations) sorted.insert(names.generation(g));
    std::vector<std::uint64_t> in_name_order;
    for (const auto& name : sorted) in_name_order.push_back(names.generation_of(name));
    CHECK(in_name_order == kSomeGenerations);
}

TEST_CASE("names and job keys are escaped so that no file can leave the checkpoint directory", "[naming]") {
    using reprise::detail::file_safe;
    CHECK(file_safe("heat2d_v1.0-b") == "heat2d_v1.0-b");
    CHECK(file_safe("../../x") == "..%2F..%2Fx");
    CHECK(file_safe("a/b") == "a%2Fb");
    CHECK(file_safe("a b\n") == "a%20b%0A");
    CHECK(file_safe(".") == "%2E");
    CHECK(file_safe("..") == "%2E.");
    CHECK(file_safe("\xff") == "%FF");
    const FileNames hostile = FileNames::of("../evil", "../../etc");
    CHECK(hostile.stem.find('/') == std::string::npos);
    CHECK(hostile.lock().find('/') == std::string::npos);
    CHECK(hostile.generation_of(hostile.generation(3)) == 3);
    CHECK(FileNames::of("heat", "sge-7") == FileNames{"heat.sge-7"});
    CHECK(FileNames::of("heat", "sge-7") != FileNames::of("heat", "sge-8"));
}

TEST_CASE("job keys say scheduler, job and array task, as the environment gives them", "[naming]") {
    using reprise::detail::job_key;
    using reprise::detail::kGridEngine;
    using reprise::detail::kSlurm;
    CHECK(job_key(kSlurm, "42") == "slurm-42");
    CHECK(job_key(kSlurm, "42", "3") == "slurm-42_3");
    CHECK(job_key(kGridEngine, "17", "2") == "sge-17.2");
    CHECK(job_key(reprise::detail::kPbs, "9.server") == "pbs-9.server");
    CHECK(job_key(reprise::detail::kLsf, "5", "2") == "lsf-5.2");
    CHECK(job_key("", "", "") == "local");
    CHECK(job_key("", "chain", "", true) == "chain");
    CHECK(job_key(kSlurm, "chain", "4", true) == "chain_4"); // a named array task keeps its index
    CHECK(reprise::detail::rank_suffix(3) == ".rank3");

    clear_environment();
    const std::vector<std::pair<Env, std::string>> cases = {
        {{}, "local"},
        {{{"SLURM_JOB_ID", "42"}}, "slurm-42"},
        {{{"SLURM_JOB_ID", "43"}, {"SLURM_ARRAY_JOB_ID", "42"}, {"SLURM_ARRAY_TASK_ID", "3"}}, "slurm-42_3"},
        {{{"JOB_ID", "17"}, {"SGE_TASK_ID", "2"}}, "sge-17.2"},
        {{{"JOB_ID", "17"}, {"SGE_TASK_ID", "undefined"}}, "sge-17"},
        {{{"PBS_JOBID", "9.server"}}, "pbs-9.server"},
        {{{"LSB_JOBID", "5"}, {"LSB_JOBINDEX", "2"}}, "lsf-5.2"},
    };
    for (const auto& [env, key] : cases) {
        INFO(key);
        const ScopedEnv scoped(env);
        CHECK(reprise::detail::job_from_environment().key() == key);
    }
    const ScopedEnv slurm(Env{{"SLURM_JOB_ID", "42"}});
    CHECK(reprise::detail::job_from_environment("chain").key() == "chain");
}

TEST_CASE("the older naming functions give the naming module's names", "[naming]") {
    namespace d = reprise::detail;
    const FileNames names = FileNames::of("a b", "sge-7.2");
    CHECK(d::numbered_name(names.stem, 12, ".ckpt") == names.generation(12));
    CHECK(d::generation_in_name(names.generation(12), names.stem, ".ckpt") == 12);
    CHECK(d::commit_record_stem("a b", "sge-7.2") == names.stem);
    CHECK(d::commit_record_name(names.stem, 12) == names.commit_record(12));
    d::JobIdentity job;
    job.scheduler = "sge";
    job.id = "7";
    job.task = "2";
    CHECK(job.key() == "sge-7.2");
}

TEST_CASE("every scheduler variable in the one list is read, strictly, by the job's identity", "[naming][environment]") {
    clear_environment();
    // The variable that opens the branch of job_from_environment that reads each one.
    auto context = [](const std::string& name) -> Env {
        if (starts_with(name, "SLURM_")) return {{"SLURM_JOB_ID", "1"}};
        if (starts_with(name, "PBS_")) return {{"PBS_JOBID", "1.server"}};
        if (starts_with(name, "LSB_")) return {{"LSB_JOBID", "1"}};
        return {{"JOB_ID", "1"}}; // Grid Engine's, and RESTARTED
    };
    std::size_t count = 0;
    for (const char* variable : reprise::detail::kSchedulerVariables) {
        INFO(variable);
        Env env = context(variable);
        env[variable] = "\x01"; // understood by no parser: an Error naming the variable
        const ScopedEnv scoped(env);
        CHECK(contains(error_of([] { reprise::detail::job_from_environment(); }), variable));
        ++count;
    }
    CHECK(count == 13);
}

TEST_CASE("a Checkpointer names its files as the naming module says", "[naming][inspect]") {
    clear_environment();
    TempDir dir;
    int v = 1;
    reprise::Checkpointer c(options_for(dir.path()));
    c.track("v", v);
    c.save();
    c.save();
    const FileNames names = FileNames::of("t", c.job_key());
    CHECK(c.job_key() == "local");
    CHECK(c.path_of_generation(2) == dir / names.generation(2));
    CHECK(list_dir(dir.path()) ==
          std::vector<std::string>{names.generation(1), names.generation(2), names.lock()});
}

// ---- inspect: generations -----------------------------------------------------------------

TEST_CASE("inspect lists a job's generations: this user's regular files named as the library names them, oldest first", "[inspect]") {
    clear_environment();
    TempDir dir;
    save_int(dir.path(), 5, "t", 3); // generations 2 and 3 are kept
    const FileNames names = FileNames::of("t", "local");
    // What is not a generation of job "local" of checkpoint "t".
    write_file(dir / names.temporary(9), "a save in progress");
    write_file(dir / "t.local.000000000004.ckpt", "a stray long number");
    write_file(dir / FileNames::of("t", "sge-1").generation(5), "another job's");
    write_file(dir / FileNames::of("u", "local").generation(6), "another checkpoint's");
    write_file(dir / "elsewhere", "x");
    REQUIRE(::symlink((dir / "elsewhere").c_str(), (dir / names.generation(7)).c_str()) == 0);
    REQUIRE(::mkdir((dir / names.generation(8)).c_str(), 0700) == 0);
    REQUIRE(::mkfifo((dir / names.generation(10)).c_str(), 0600) == 0);

    const auto gens = reprise::inspect::generations(dir.path(), "t", "local");
    REQUIRE(numbers(gens) == std::vector<std::uint64_t>{2, 3});
    for (const auto& g : gens) {
        INFO(g.path);
        CHECK(g.file == names.generation(g.number));
        CHECK(g.path == dir / g.file);
        struct stat st {};
        REQUIRE(::stat(g.path.c_str(), &st) == 0);
        CHECK(g.size == static_cast<std::uint64_t>(st.st_size));
        CHECK(g.mtime == static_cast<std::int64_t>(st.st_mtime));
    }
    CHECK(numbers(reprise::inspect::generations(dir.path(), "t", "sge-1")) == std::vector<std::uint64_t>{5});
    CHECK(reprise::inspect::generations(dir.path(), "t", "slurm-1").empty());
}

TEST_CASE("inspecting a directory that does not exist finds nothing and creates nothing", "[inspect]") {
    TempDir dir;
    const std::string missing = dir / "no/such/dir";
    CHECK(reprise::inspect::generations(missing, "t", "local").empty());
    CHECK(!reprise::inspect::read_lock(missing, "t", "local").exists());
    CHECK(!reprise::inspect::read_checkpoint(missing + "/t.local.0000000001.ckpt").valid);
    CHECK(!boost::filesystem::exists(dir / "no"));
    CHECK(reprise::detail::Directory::open_existing(missing) == nullptr);
    write_file(dir / "file", "x");
    CHECK(!error_of([&] { reprise::inspect::generations(dir / "file", "t", "local"); }).empty());
}

// ---- inspect: a checkpoint file -----------------------------------------------------------

TEST_CASE("inspect reads a checkpoint's header: generation, time, process, job, variables with types, parameters", "[inspect]") {
    clear_environment();
    TempDir dir;
    const std::uint64_t before = now_ns();
    {
        int step = 42;
        std::vector<double> field(1000, 1.5);
        reprise::Checkpointer c(options_for(dir.path(), reprise::RestorePolicy::automatic, "heat"));
        c.track("step", step).track("field", field);
        c.parameter("dt", 0.25).parameter("mesh", std::string("fine")).parameter("n", 7).parameter("on", true);
        c.save();
    }
    const std::uint64_t after = now_ns();
    const auto gens = reprise::inspect::generations(dir.path(), "heat", "local");
    REQUIRE(gens.size() == 1);
    const reprise::inspect::Checkpoint c = reprise::inspect::read_checkpoint(gens[0].path);
    INFO(c.why);
    REQUIRE(c.valid);
    CHECK(c.why.empty());
    CHECK(c.path == gens[0].path);
    CHECK(c.verified == reprise::inspect::Verify::whole_file);
    CHECK(c.file_size == gens[0].size);
    CHECK(c.format_version == 3);
    CHECK(c.payload_offset > 0);
    CHECK(c.payload_offset + c.payload_size < c.file_size);
    CHECK(c.generation == 1);
    CHECK(c.time_ns >= before);
    CHECK(c.time_ns <= after);
    CHECK(c.pid == static_cast<std::uint32_t>(::getpid()));
    CHECK(c.host == this_host());
    CHECK(c.job_key == "local");
    CHECK(c.name == "heat");
    CHECK(c.scheduler.empty());
    REQUIRE(c.variables.size() == 2);
    CHECK(c.variables[0].name == "step");
    CHECK(c.variables[0].type == "int");
    CHECK(c.variables[0].mangled_type == typeid(int).name());
    CHECK(c.variables[0].offset == 0);
    CHECK(c.variables[0].size > 0);
    CHECK(c.variables[1].name == "field");
    CHECK(contains(c.variables[1].type, "std::vector<double"));
    CHECK(c.variables[1].offset == c.variables[0].size);
    CHECK(c.variables[1].size >= 8000);
    CHECK(c.variables[1].offset + c.variables[1].size == c.payload_size);
    REQUIRE(c.parameters.size() == 4);
    std::map<std::string, reprise::inspect::Parameter> p;
    for (const auto& e : c.parameters) p[e.name] = e;
    CHECK(p["dt"].kind == "floating point");
    CHECK(p["dt"].value == "0.25");
    CHECK(p["mesh"].kind == "string");
    CHECK(p["mesh"].value == "fine");
    CHECK(p["mesh"].shown == "\"fine\"");
    CHECK(p["n"].kind == "integer");
    CHECK(p["n"].shown == "7");
    CHECK(p["on"].kind == "boolean");
    CHECK(p["on"].value == "true");

    // A relative path reads the same file.
    const std::string cwd = boost::filesystem::current_path().string();
    REQUIRE(::chdir(dir.path().c_str()) == 0);
    const reprise::inspect::Checkpoint relative = reprise::inspect::read_checkpoint(gens[0].file);
    REQUIRE(::chdir(cwd.c_str()) == 0);
    CHECK(relative.valid);
    CHECK(relative.generation == 1);
}

TEST_CASE("a corrupt payload fails the whole-file verification and passes the header-only one, each saying why", "[inspect]") {
    clear_environment();
    TempDir dir;
    save_int(dir.path(), 7);
    const std::string path = dir / FileNames::of("t", "local").generation(1);
    const auto good = reprise::inspect::read_checkpoint(path);
    REQUIRE(good.valid);
    std::string bytes = read_file(path);
    bytes[static_cast<std::size_t>(good.payload_offset)] ^= 0x55;
    write_file(path, bytes);

    const auto whole = reprise::inspect::read_checkpoint(path);
    CHECK(!whole.valid);
    CHECK(starts_with(whole.why, "payload checksum mismatch (chunk 1 of 1, "));
    const auto header = reprise::inspect::read_checkpoint(path, reprise::inspect::Verify::header_only);
    INFO(header.why);
    CHECK(header.valid);
    CHECK(header.verified == reprise::inspect::Verify::header_only);
    CHECK(header.generation == 1);
    CHECK(header.job_key == "local");
    CHECK(header.variables.size() == 1);
    CHECK(header.format_version == 3); // the preamble is verified either way
    CHECK(header.payload_offset == good.payload_offset);

    write_file(path, bytes.substr(0, bytes.size() - 3));
    CHECK(starts_with(reprise::inspect::read_checkpoint(path).why, "truncated"));
    CHECK(starts_with(reprise::inspect::read_checkpoint(path, reprise::inspect::Verify::header_only).why,
                      "truncated"));
    write_file(path, std::string(4096, 'x'));
    CHECK(reprise::inspect::read_checkpoint(path).why == "not a reprise checkpoint (no magic number)");
    write_file(path, "");
    CHECK(reprise::inspect::read_checkpoint(path).why == "empty file");
    CHECK(starts_with(reprise::inspect::read_checkpoint(dir / "absent.ckpt").why, "cannot open"));
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK(reprise::inspect::read_checkpoint(dir / "fifo").why == "not a regular file"); // not waited on
    CHECK(!reprise::inspect::read_checkpoint(dir.path() + "/").valid);
}

// ---- inspect: locks -----------------------------------------------------------------------

TEST_CASE("inspect reads a job's lock: absent, held by a live process that it names, then free", "[inspect][lock]") {
    clear_environment();
    TempDir dir;
    CHECK(reprise::inspect::read_lock(dir.path(), "t", "local").state == reprise::inspect::LockState::absent);
    CHECK(reprise::inspect::lock_path(dir.path(), "t", "local") == dir / FileNames::of("t", "local").lock());
    {
        int v = 0;
        reprise::Checkpointer c(options_for(dir.path()));
        c.track("v", v);
        const reprise::inspect::Lock lock = reprise::inspect::read_lock(dir.path(), "t", c.job_key());
        CHECK(lock.path == dir / FileNames::of("t", "local").lock());
        CHECK(lock.exists());
        CHECK(lock.held());
        CHECK(lock.recorded);
        CHECK(lock.pid == static_cast<unsigned long>(::getpid()));
        CHECK(lock.host == this_host());
        CHECK(lock.holder() == "process " + std::to_string(::getpid()) + " on host " + this_host());
        c.save();
    }
    const reprise::inspect::Lock left = reprise::inspect::read_lock(dir.path(), "t", "local");
    CHECK(left.state == reprise::inspect::LockState::free); // its process let go of it
    CHECK(left.pid == static_cast<unsigned long>(::getpid()));
    {
        int v = 0;
        reprise::Checkpointer c(options_for(dir.path()));
        c.track("v", v);
        c.restore();
        c.finish();
    }
    CHECK(!reprise::inspect::read_lock(dir.path(), "t", "local").exists()); // finish() removed it

    const std::string fifo = reprise::inspect::lock_path(dir.path(), "u", "local");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const reprise::inspect::Lock odd = reprise::inspect::read_lock(dir.path(), "u", "local");
    CHECK(odd.state == reprise::inspect::LockState::unknown); // neither waited on nor trusted
    CHECK(!odd.recorded);
    CHECK(odd.holder() == "another process");
}

TEST_CASE("the lock file's record reads back as written, and anything else names no holder", "[inspect][lock]") {
    using reprise::detail::decode_lock_record;
    const std::string line = reprise::detail::encode_lock_record(1234, "node-7.cluster");
    CHECK(line == "1234 node-7.cluster\n");
    const auto record = decode_lock_record(line);
    REQUIRE(record);
    CHECK(record->pid == 1234);
    CHECK(record->host == "node-7.cluster");
    CHECK(decode_lock_record("99 h")->host == "h");
    CHECK(decode_lock_record("99 h \n")->host == "h");
    for (const std::string junk : {"", "\n", "1234", "1234 ", " h", "abc h", "-5 h", "0 h", "12 a b",
                                   "12 a\tb", "99999999999999999999999 h", "+5 h"}) {
        INFO("'" << junk << "'");
        CHECK(!decode_lock_record(junk));
    }
}

TEST_CASE("a tool gets the library's default stop exit status from the inspection API", "[inspect]") {
    CHECK(reprise::inspect::default_stop_exit_status() == reprise::Options().exit_status);
    CHECK(reprise::inspect::kMaxGeneration == kMaxGeneration);
}

// ---- inspect: MPI commit records ----------------------------------------------------------

namespace {

// Generations 1 and 2 of `ranks` rank files of checkpoint "heat" (as reprise::mpi names
// them), each committed by a record as rank 0 writes it.
void commit_two_generations(const TempDir& dir, int ranks) {
    for (int r = 0; r < ranks; ++r) save_int(dir.path(), 10 + r, reprise::inspect::rank_name("heat", r), 2);
    const auto directory = reprise::detail::Directory::open_existing(dir.path());
    REQUIRE(directory);
    for (std::uint64_t g = 1; g <= 2; ++g) {
        reprise::detail::CommitRecord record;
        record.generation = g;
        record.ranks = static_cast<std::uint32_t>(ranks);
        record.job_key = "local";
        record.name = "heat";
        for (int r = 0; r < ranks; ++r) {
            reprise::detail::FileDigest digest;
            std::string why;
            REQUIRE(reprise::detail::read_file_digest(
                *directory, FileNames::of(reprise::inspect::rank_name("heat", r), "local").generation(g), digest, why));
            record.files.push_back(digest);
        }
        reprise::detail::write_commit_record(*directory, FileNames::of("heat", "local").commit_record(g), record);
    }
}

} // namespace

TEST_CASE("inspect reads an MPI commit record and checks that it binds every rank's file", "[inspect][mpi]") {
    clear_environment();
    TempDir dir;
    commit_two_generations(dir, 2);
    const FileNames names = FileNames::of("heat", "local");
    CHECK(reprise::inspect::rank_name("heat", 1) == "heat.rank1");

    const reprise::inspect::Commit c = reprise::inspect::read_commit(dir / names.commit_record(2),
                                                                     reprise::inspect::Verify::whole_file);
    INFO(c.why);
    REQUIRE(c.is_record);
    REQUIRE(c.valid);
    CHECK(c.bound());
    CHECK(c.generation == 2);
    CHECK(c.ranks == 2);
    CHECK(c.job_key == "local");
    CHECK(c.name == "heat");
    REQUIRE(c.files.size() == 2);
    std::uint64_t total = 0;
    for (const auto& f : c.files) {
        CHECK(f.path == dir / FileNames::of(reprise::inspect::rank_name("heat", f.rank), "local").generation(2));
        struct stat st {};
        REQUIRE(::stat(f.path.c_str(), &st) == 0);
        CHECK(f.size == static_cast<std::uint64_t>(st.st_size));
        total += f.size;
    }
    CHECK(c.total_size() == total);

    const auto gens = reprise::inspect::committed_generations(dir.path(), "heat", "local");
    REQUIRE(numbers(gens) == std::vector<std::uint64_t>{1, 2});
    CHECK(gens[1].ranks == 2);
    CHECK(gens[1].file == names.commit_record(2));
    CHECK(gens[1].size == total);
    CHECK(reprise::inspect::committed_generations(dir.path(), "heat", "sge-1").empty());
    CHECK(reprise::inspect::committed_generations(dir / "missing", "heat", "local").empty());
    // A rank's own files are still its generations, under its own name.
    CHECK(numbers(reprise::inspect::generations(dir.path(), reprise::inspect::rank_name("heat", 0), "local")) ==
          std::vector<std::uint64_t>{1, 2});

    // A checkpoint file is no commit record.
    const reprise::inspect::Commit not_record = reprise::inspect::read_commit(c.files[0].path);
    CHECK(!not_record.is_record);
    CHECK(!not_record.valid);
}

TEST_CASE("a commit record whose rank file is damaged or missing binds nothing, and a damaged record is said so", "[inspect][mpi]") {
    clear_environment();
    TempDir dir;
    commit_two_generations(dir, 2);
    const FileNames names = FileNames::of("heat", "local");
    const std::string rank1 = dir / FileNames::of("heat.rank1", "local").generation(2);

    SECTION("a flipped payload byte: the header-level check passes, the whole-file one does not") {
        const reprise::inspect::Checkpoint before = reprise::inspect::read_checkpoint(rank1);
        REQUIRE(before.valid);
        REQUIRE(before.payload_size > 0);
        std::string bytes = read_file(rank1);
        bytes[before.payload_offset] ^= 0x5a;
        write_file(rank1, bytes);
        CHECK(reprise::inspect::read_commit(dir / names.commit_record(2)).bound());
        const auto whole = reprise::inspect::read_commit(dir / names.commit_record(2), reprise::inspect::Verify::whole_file);
        CHECK(whole.valid);
        CHECK(!whole.bound());
        CHECK(whole.files[0].bound);
        CHECK(!whole.files[1].bound);
        CHECK(!whole.files[1].why.empty());
        CHECK(numbers(reprise::inspect::committed_generations(dir.path(), "heat", "local",
                                                              reprise::inspect::Verify::whole_file)) ==
              std::vector<std::uint64_t>{1});
    }
    SECTION("a missing rank file") {
        REQUIRE(::unlink(rank1.c_str()) == 0);
        const auto c = reprise::inspect::read_commit(dir / names.commit_record(2));
        CHECK(c.valid);
        CHECK(!c.bound());
        CHECK(numbers(reprise::inspect::committed_generations(dir.path(), "heat", "local")) ==
              std::vector<std::uint64_t>{1});
    }
    SECTION("a truncated record") {
        const std::string record = dir / names.commit_record(2);
        const std::string bytes = read_file(record);
        write_file(record, bytes.substr(0, bytes.size() / 2));
        const auto c = reprise::inspect::read_commit(record);
        CHECK(c.is_record);
        CHECK(!c.valid);
        CHECK(!c.why.empty());
        CHECK(numbers(reprise::inspect::committed_generations(dir.path(), "heat", "local")) ==
              std::vector<std::uint64_t>{1});
    }
}
