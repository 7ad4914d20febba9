// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// Fault injection at every system call of the save and restore paths, not at a sample.
//
// A run of `worker faults` is traced once clean (REPRISE_FAULT_TRACE, sys.hpp): every call
// through the seam, as "<op> <N> <file>". Then, for every call of that trace and every
// error the call can meet (kErrors), the same run is repeated with that one call faulted
// (REPRISE_FAULT=<op>:<error>@<N>), and every property is checked:
//
//   - the fault hit the call it was aimed at (the faulted run's trace says so);
//   - a short transfer or EINTR is ridden out: the run is the clean run, line for line;
//   - an error either fails the save, the restore or the start with a message that begins
//     "reprise:" and names the operation, the full path and the error, or is one the
//     library is meant to ride out (kAbsorbed, each with its reason), and then the run is
//     the clean run, line for line;
//   - after a failed save, while the process is still running: no temporary file, at most
//     two generations, and a copy of the directory restores, consistently, exactly the
//     last generation saved before (after a failed directory fsync, the new one may be
//     there too, and without it the last one restores);
//   - a save triggered by maybe_save() (SIGUSR1) never stops the computation: the failure
//     is reported on stderr, the live state is untouched, the next save succeeds;
//   - the temporary file of a failed save is never renamed into place, and after a failed
//     fsync it is never fsynced again: the next save fsyncs a file it opened itself;
//   - a faulted restore restores the newest generation, or the older one after saying
//     which file it rejected and why, or fails naming the file and the error: never a
//     state that is not one that was saved;
//   - at the end, the directory restores the last generation the run saved.
//
// In both save modes, and through both save() and maybe_save(), for a fresh run and for a
// restart. Each test case prints how many (op, call, error) combinations it exercised.

#include "catch.hpp"
#include "support.hpp"

#include <boost/filesystem.hpp>

#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace reprise_test;

namespace {

// Small: a save is three writes (payload, trailer, head), a restore seven reads.
const std::string kElements = "1000";

// The errors each op meets in the field ("short": half the bytes transferred).
const std::map<std::string, std::vector<std::string>> kErrors = {
    {"open", {"EACCES", "ENOSPC", "EIO"}},
    {"diropen", {"EACCES", "EIO"}},
    {"listopen", {"EACCES", "EIO"}},
    {"lockstat", {"EIO"}},
    {"scanstat", {"EIO"}},
    {"lockopen", {"EACCES", "EIO"}},
    {"lock", {"EIO"}},
    {"lockread", {"EIO"}},
    {"locktruncate", {"EIO"}},
    {"lockwrite", {"EIO"}},
    {"write", {"short", "EINTR", "ENOSPC", "EIO"}},
    {"read", {"short", "EINTR", "EIO"}},
    {"stat", {"EIO"}},
    {"fcntl", {"EIO"}},
    {"truncate", {"EIO"}},
    {"fsync", {"EIO"}},
    {"dirfsync", {"EIO"}},
    {"close", {"EIO"}},
    {"rename", {"EIO", "EXDEV"}},
    {"unlink", {"EACCES", "EIO"}},
};

// The word the error message uses for each op's failure.
const std::map<std::string, std::string> kVerbs = {
    {"open", "creating"},   {"diropen", "opening directory"}, {"lockopen", "opening lock file"},
    {"lock", "locking"},    {"write", "writing"},             {"truncate", "truncating"},
    {"fsync", "fsync"},     {"dirfsync", "fsync of directory"}, {"close", "closing"},
    {"rename", "renaming"}, {"unlink", "removing"},
    {"listopen", "listing"}, {"lockstat", "checking lock file"},
    // In a save, the one stat not of a recycled file is the lock's (JobLock::verify).
    {"stat", "checking lock file"},
};

std::string errno_name(int err) { return std::strerror(err); }

int errno_of(const std::string& name) {
    static const std::map<std::string, int> numbers = {
        {"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EACCES", EACCES}, {"EXDEV", EXDEV}, {"EINTR", EINTR}};
    return numbers.at(name);
}

// ---- the trace ------------------------------------------------------------------------------

struct Call {
    std::string op;
    unsigned long n = 0;
    std::vector<std::string> targets; // the file (rename: from, to)
    bool create = false;
    std::string fault;                // what was injected, if anything
    std::string part;                 // "start", "restore", "save <K>", "end"
    std::string describe() const {
        std::string s = part + ": " + op + "@" + std::to_string(n);
        for (const auto& t : targets) s += " " + t;
        return s + (create ? " create" : "");
    }
};

std::vector<Call> parse_trace(const std::string& text) {
    std::vector<Call> calls;
    std::string part = "start";
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (starts_with(line, "# ")) {
            part = line.substr(2);
            continue;
        }
        std::istringstream words(line);
        Call c;
        c.part = part;
        words >> c.op >> c.n;
        for (std::string w; words >> w;) {
            if (w == "create")
                c.create = true;
            else if (starts_with(w, "fault="))
                c.fault = w.substr(6);
            else
                c.targets.push_back(w);
        }
        calls.push_back(c);
    }
    return calls;
}

// Faults the library rides out by design; anything else must fail, and say so.
std::string absorbed_because(const Call& c) {
    const auto tmp = [](const std::string& name) {
        return name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
    };
    if (c.op == "scanstat")
        return "the scan's owner check: a file it cannot stat counts as ours, and a restore's "
               "own fstat checks it again";
    if (c.op == "locktruncate" || c.op == "lockwrite")
        return "the pid in the lock file is only for a refused second process's message";
    if (c.op == "lock" && c.part == "end")
        return "the unlock at exit: the close that follows releases the lock as well, once no "
               "fork()ed child holds a copy of the open file";
    if (c.op == "close" && (c.part == "end" || c.part == "restore"))
        return "a descriptor only read from, or the lock and directory at exit";
    if (c.part.rfind("save", 0) == 0 && !c.targets.empty() && tmp(c.targets.back()) &&
        ((c.op == "rename" && c.targets.size() == 2) || (c.op == "open" && !c.create) ||
         c.op == "stat" || c.op == "fcntl"))
        return "recycling the old generation's file is an optimisation: a fresh file instead";
    if (c.part.rfind("save", 0) == 0 && !c.targets.empty() && tmp(c.targets.back()) && c.op == "read")
        return "reading the recycled file's chunk table is an optimisation: every chunk is "
               "written instead";
    return "";
}

// ---- running the worker -----------------------------------------------------------------------

struct Result {
    std::vector<std::string> lines;
    std::string err;
    int status = 0;
    std::string describe() const {
        return "stdout:\n" + joined(lines) + "stderr:\n" + err + describe_status(status);
    }
};

// Reads the worker's output to its end, then its wait status and its stderr.
Result outcome_of(Child& child) {
    Result r;
    r.lines = all_lines(child);
    r.status = child.wait();
    r.err = child.stderr_text();
    return r;
}

// The "state" line of `worker torn` restoring from a copy of the generations in `from`
// (less the file `drop`, if given), so that the job holding `from` may go on running.
std::string restore_copy(const std::string& from, const std::string& scratch,
                         const std::string& drop = std::string()) {
    boost::filesystem::remove_all(scratch);
    boost::filesystem::create_directories(scratch);
    for (const auto& name : files_ending(from, ".ckpt"))
        if (name != drop)
            boost::filesystem::copy_file(from + "/" + name, scratch + "/" + name);
    Child child = start_worker(scratch, {"torn", kElements, "0"},
                               {{"REPRISE_NAME", "t"}, {"REPRISE_RESTORE", "always"},
                                {"REPRISE_LOG", "quiet"}});
    child.close_stdin();
    const Result r = outcome_of(child);
    return r.lines.empty() ? "no output: " + r.describe() : r.lines[0];
}

struct Scenario {
    std::string saves;                 // worker faults M <saves>
    bool poll = false;                 // saves through SIGUSR1 and maybe_save()
    std::string mode;                  // REPRISE_MODE
    std::string restart_from;          // a directory whose generations the run restores
    std::string compress;              // REPRISE_COMPRESS (""; unset)
};

std::map<std::string, std::string> scenario_env(const Scenario& s) {
    std::map<std::string, std::string> env = {
        {"REPRISE_NAME", "t"}, {"REPRISE_MODE", s.mode}, {"REPRISE_COMPRESS", s.compress}};
    if (!s.restart_from.empty()) env["RESTARTED"] = "1";
    return env;
}

void prepare(const Scenario& s, const std::string& dir) {
    boost::filesystem::create_directories(dir);
    if (s.restart_from.empty()) return;
    for (const auto& name : files_ending(s.restart_from, ".ckpt"))
        boost::filesystem::copy_file(s.restart_from + "/" + name, dir + "/" + name);
}

std::vector<std::string> worker_args(const Scenario& s) {
    std::vector<std::string> args = {"faults", kElements, s.saves};
    if (s.poll) args.push_back("--poll");
    return args;
}

// What the test sees of one run: its output, and after each save line, the directory.
struct Observed {
    Result result;
    std::vector<Call> trace;
    // After each "failed" line: the names of temporary files, the count of generations,
    // the state a copy of the directory restores (and without the newest file).
    struct AtFailure {
        std::string line;
        std::vector<std::string> temporaries;
        std::size_t generations = 0;
        std::string restored, restored_without_newest;
    };
    std::vector<AtFailure> failures;
    std::vector<std::string> temporaries_after_saves;
};

Observed observe(const Scenario& s, const std::string& work, const std::string& fault) {
    const std::string dir = work + "/ckpt", trace = work + "/trace";
    boost::filesystem::remove_all(dir);
    boost::filesystem::remove(trace);
    prepare(s, dir);
    auto env = scenario_env(s);
    env["REPRISE_FAULT_TRACE"] = trace;
    if (!fault.empty()) env["REPRISE_FAULT"] = fault;
    Observed o;
    Child child = start_worker(dir, worker_args(s), env);
    for (std::string line = child.read_line(); !line.empty(); line = child.read_line()) {
        o.result.lines.push_back(line);
        const bool saved = starts_with(line, "saved "), failed = starts_with(line, "failed ");
        if (!saved && !failed) continue;
        for (const auto& t : files_ending(dir, ".tmp")) o.temporaries_after_saves.push_back(t);
        if (failed) {
            Observed::AtFailure f;
            f.line = line;
            f.temporaries = files_ending(dir, ".tmp");
            const auto gens = files_ending(dir, ".ckpt");
            f.generations = gens.size();
            f.restored = restore_copy(dir, work + "/copy");
            if (!gens.empty())
                f.restored_without_newest = restore_copy(dir, work + "/copy", gens.back());
            o.failures.push_back(f);
        }
        child.send_line("go");
    }
    o.result.status = child.wait();
    o.result.err = child.stderr_text();
    o.trace = parse_trace(read_file(trace));
    return o;
}

unsigned long long step_of(const std::string& line) { return number(line, "step"); }

// The steps the clean run had saved (restored, at first) before the save in `part`.
unsigned long long step_before(const std::vector<std::string>& clean_lines, int save) {
    unsigned long long step = step_of(clean_lines.at(0)); // "state step=..."
    return step + static_cast<unsigned long long>(save) - 1;
}

std::string path_in(const std::string& dir, const std::string& target) {
    return !target.empty() && target[0] == '/' ? target : dir + "/" + target;
}

// The lines of `text` that report a failure with `error`.
std::vector<std::string> error_lines(const std::string& text, const std::string& error) {
    return lines_with(text, {"reprise: ", error});
}

struct Tally {
    unsigned long combinations = 0, failed = 0, absorbed = 0, ridden_out = 0, fell_back = 0;
    std::set<std::string> ops;
};

// One faulted run: every property of the file's header comment.
void check_faulted(const Scenario& s, const std::string& work, const Observed& clean,
                   const std::string& clean_final, const Call& call, const std::string& what,
                   Tally& tally) {
    const std::string fault = call.op + ":" + what + "@" + std::to_string(call.n);
    const std::string dir = work + "/ckpt";
    INFO("REPRISE_FAULT=" << fault << " (" << call.describe() << "), REPRISE_MODE=" << s.mode
                          << (s.poll ? ", saves by SIGUSR1 + maybe_save()" : ", saves by save()")
                          << (s.restart_from.empty() ? ", a fresh run" : ", a restart"));
    const Observed o = observe(s, work, fault);
    const Result& r = o.result;
    INFO("faulted run: " << r.describe());
    ++tally.combinations;
    tally.ops.insert(call.op);

    // The fault hit the call it was aimed at, and only that one.
    std::vector<Call> hits;
    for (const auto& c : o.trace)
        if (!c.fault.empty()) hits.push_back(c);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].op == call.op);
    CHECK(hits[0].n == call.n);
    CHECK(hits[0].targets == call.targets);
    CHECK(hits[0].part == call.part);

    // Never a temporary file left behind a save; never a crash.
    CHECK(o.temporaries_after_saves.empty());
    CHECK(files_ending(dir, ".tmp").empty());
    CHECK(files_ending(dir, ".ckpt").size() <= 2);
    CHECK(WIFEXITED(r.status));

    const bool error = what != "short" && what != "EINTR";
    const std::string absorbed = error ? absorbed_because(call) : "ridden out";
    if (!absorbed.empty()) {
        INFO("expected to be ridden out: " << absorbed);
        CHECK(r.lines == clean.result.lines);
        CHECK(exited_with(r.status, 0));
        (error ? tally.absorbed : tally.ridden_out)++;
        return;
    }

    const std::string text = errno_name(errno_of(what));
    const std::string path = path_in(dir, call.targets.empty() ? "" : call.targets[0]);
    const std::string& verb = kVerbs.count(call.op) ? kVerbs.at(call.op) : call.op;
    INFO("expected message: reprise: " << verb << " ... " << path << " ... " << text);

    if (call.part == "start") {
        // The job cannot start: it says why, and its generations are untouched.
        REQUIRE(r.lines.size() == 1);
        CHECK(exited_with(r.status, 1));
        CHECK(starts_with(r.lines[0], "error reprise: " + verb));
        CHECK(contains(r.lines[0], path));
        CHECK(contains(r.lines[0], text));
        const std::string state = restore_copy(dir, work + "/copy");
        CHECK(state == (s.restart_from.empty() ? "state step=0 consistent=1 gen=0"
                                               : "state step=2 consistent=1 gen=2"));
        ++tally.failed;
        return;
    }

    if (call.part == "restore") {
        // The newest generation (the call's file) is rejected with the reason, and the older
        // one restores, consistently; the run then saves from there.
        REQUIRE(!r.lines.empty());
        INFO("restore: " << r.lines[0]);
        CHECK(r.lines[0] == "state step=1 consistent=1 gen=1");
        CHECK(lines_with(r.err, {"restoring the older generation 1"}).size() == 1);
        CHECK(lines_with(r.err, {path + ":", text}).size() == 1);
        CHECK(exited_with(r.status, 0));
        REQUIRE(r.lines.size() == clean.result.lines.size());
        for (std::size_t i = 1; i + 1 < r.lines.size(); ++i)
            CHECK(starts_with(r.lines[i], "saved step=" + std::to_string(i + 1) + " "));
        CHECK(r.lines.back() == "done step=" + std::to_string(1 + std::stoi(s.saves)) +
                                    " consistent=1");
        CHECK(restore_copy(dir, work + "/copy") ==
              "state step=" + std::to_string(1 + std::stoi(s.saves)) + " consistent=1 gen=" +
                  std::to_string(2 + std::stoi(s.saves)));
        ++tally.fell_back;
        return;
    }

    // A save failed: which one, and the lines before it are the clean run's.
    REQUIRE(starts_with(call.part, "save "));
    const int save = std::stoi(call.part.substr(5));
    REQUIRE(r.lines.size() == clean.result.lines.size());
    for (int k = 0; k < save; ++k) CHECK(r.lines[k] == clean.result.lines[k]);
    const std::string& failed = r.lines[save];
    const unsigned long long before = step_before(clean.result.lines, save);
    CHECK(starts_with(failed, "failed step=" + std::to_string(before + 1) + " gen="));
    REQUIRE(o.failures.size() == 1);
    const auto& at = o.failures[0];
    // The previous generation is intact and restores; a failed directory fsync comes after
    // the rename: the new file may be there, and whole, and the previous one still restores.
    INFO("at the failure, a copy restores: " << at.restored);
    CHECK(at.temporaries.empty());
    CHECK(at.generations <= 2);
    const std::string previous =
        "state step=" + std::to_string(before) + " consistent=1 gen=";
    const std::string this_one = "state step=" + std::to_string(before + 1) + " ";
    if (call.op == "dirfsync" && starts_with(at.restored, this_one)) {
        CHECK(field(at.restored, "consistent") == "1");
        CHECK(starts_with(at.restored_without_newest, previous));
    } else if (before == 0) {
        CHECK(at.restored == "state step=0 consistent=1 gen=0");
    } else {
        CHECK(starts_with(at.restored, previous));
    }

    // The error names the operation, the path and the error: thrown by save(), or, for a
    // save triggered by maybe_save(), on stderr, and the computation goes on.
    const auto reports = error_lines(r.err, text);
    if (s.poll) {
        REQUIRE(reports.size() == 1);
        CHECK(contains(reports[0], "reprise: " + verb + " "));
        CHECK(contains(reports[0], path));
        CHECK(contains(reports[0], "the computation goes on"));
    } else {
        CHECK(reports.empty());
        CHECK(contains(failed, " message=reprise: " + verb + " "));
        CHECK(contains(failed, path));
        CHECK(contains(failed, text));
    }
    // The later saves succeed; the live state was never touched.
    for (std::size_t i = static_cast<std::size_t>(save) + 1; i + 1 < r.lines.size(); ++i)
        CHECK(starts_with(r.lines[i], "saved "));
    CHECK(r.lines.back() == clean.result.lines.back());
    CHECK(exited_with(r.status, 0));

    // The failed save's temporary file is never renamed into place; after a failed fsync
    // it is never fsynced again, and every later fsync is of a file opened after the fault.
    std::size_t at_fault = 0;
    while (at_fault < o.trace.size() && o.trace[at_fault].fault.empty()) ++at_fault;
    const std::string failed_file = call.targets.empty() ? "" : call.targets[0];
    bool opened_since = false, fsynced_since = false;
    for (std::size_t i = at_fault + 1; i < o.trace.size(); ++i) {
        const Call& c = o.trace[i];
        INFO("after the fault: " << c.describe());
        if (call.op != "dirfsync") {
            CHECK_FALSE((c.op == "rename" && c.targets.at(0) == failed_file));
            CHECK_FALSE((c.op == "fsync" && c.targets.at(0) == failed_file));
        }
        if (c.op == "open" && c.targets.at(0) != failed_file) opened_since = true;
        if (c.op == "fsync") {
            CHECK(opened_since);
            fsynced_since = true;
        }
    }
    if (save < std::stoi(s.saves)) CHECK(fsynced_since); // the next save did happen

    // At the end, the directory restores the last generation saved (after a failed
    // directory fsync of the last save, that one may be there too, as after the clean run).
    std::string last_saved = "state step=" + std::to_string(before) + " consistent=1 gen=";
    for (const auto& line : r.lines)
        if (starts_with(line, "saved "))
            last_saved = "state step=" + field(line, "step") + " consistent=1 gen=" +
                         field(line, "gen");
    const std::string final_state = restore_copy(dir, work + "/copy");
    INFO("at the end, the directory restores: " << final_state);
    const bool last_save = save == std::stoi(s.saves);
    CHECK((starts_with(final_state, last_saved) ||
           (call.op == "dirfsync" && last_save && final_state == clean_final)));
    ++tally.failed;
}

// Every call of the clean run of `s`, faulted in turn with every error of kErrors.
Tally enumerate(const Scenario& s) {
    TempDir work;
    const Observed clean = observe(s, work.path(), "");
    INFO("clean run: " << clean.result.describe());
    REQUIRE(exited_with(clean.result.status, 0));
    REQUIRE(clean.failures.empty());
    REQUIRE(!clean.trace.empty());
    const std::string clean_final = restore_copy(work / "ckpt", work / "copy");
    REQUIRE(starts_with(clean_final, "state step=" + std::to_string(
                                         step_of(clean.result.lines.back())) + " consistent=1"));
    Tally tally;
    for (const Call& call : clean.trace) {
        INFO("clean call: " << call.describe());
        REQUIRE(call.fault.empty());
        REQUIRE(kErrors.count(call.op) == 1);
        for (const std::string& what : kErrors.at(call.op))
            check_faulted(s, work.path(), clean, clean_final, call, what, tally);
    }
    std::cout << "fault injection (" << (s.restart_from.empty() ? "fresh run" : "restart")
              << ", " << (s.poll ? "maybe_save()" : "save()") << ", " << s.mode
              << "): " << clean.trace.size() << " calls, " << tally.combinations
              << " (op, call, error) combinations: " << tally.failed << " failed cleanly, "
              << tally.fell_back << " fell back to the older generation, " << tally.ridden_out
              << " short/EINTR ridden out, " << tally.absorbed << " absorbed by design"
              << std::endl;
    return tally;
}

// Every op that a fresh run's saves make, and a restart's restore.
void check_ops(const Tally& t, const std::set<std::string>& wanted) {
    for (const auto& op : wanted) {
        INFO("op " << op);
        CHECK(t.ops.count(op) == 1);
    }
}

const std::set<std::string> kSaveOps = {"diropen", "lockopen", "lock", "locktruncate",
                                        "lockwrite", "unlink", "open", "write", "fsync",
                                        "close", "rename", "dirfsync", "stat", "fcntl"};

// Generations 1 and 2 of `worker faults`, made once per test case.
class Generations {
public:
    explicit Generations(const std::string& compress = "") {
        Scenario s{"2", false, "sync", "", compress};
        const Observed o = observe(s, dir_.path(), "");
        INFO("run making generations 1 and 2: " << o.result.describe());
        REQUIRE(exited_with(o.result.status, 0));
        REQUIRE(files_ending(path(), ".ckpt").size() == 2);
    }
    std::string path() const { return dir_ / "ckpt"; }

private:
    TempDir dir_;
};

} // namespace

TEST_CASE("a fault in any system call of a save() in sync mode fails that save cleanly or is "
          "ridden out", "[faults][durability]") {
    check_ops(enumerate({"3", false, "sync", "", ""}), kSaveOps);
}

TEST_CASE("a fault in any system call of a save by maybe_save() in sync mode is reported and "
          "the computation goes on", "[faults][durability][signals]") {
    check_ops(enumerate({"3", true, "sync", "", ""}), kSaveOps);
}

TEST_CASE("a fault in any system call of a save() in background mode fails that save cleanly "
          "or is ridden out", "[faults][durability][background]") {
    check_ops(enumerate({"3", false, "background", "", ""}), kSaveOps);
}

TEST_CASE("a fault in any system call of a background save by maybe_save() is reported and "
          "the computation goes on", "[faults][durability][background]") {
    check_ops(enumerate({"3", true, "background", "", ""}), kSaveOps);
}

TEST_CASE("a fault in any system call of a restart's restore falls back to the older "
          "generation, and of its save() fails it cleanly", "[faults][durability]") {
    const Generations before;
    auto ops = kSaveOps;
    ops.insert("read");
    check_ops(enumerate({"1", false, "sync", before.path(), ""}), ops);
}

TEST_CASE("a fault in any system call of a compressed save() fails that save cleanly or is "
          "ridden out", "[faults][durability][compress]") {
    check_ops(enumerate({"3", false, "sync", "", "zstd"}), kSaveOps);
}

TEST_CASE("a fault in any system call of a restart's restore of compressed files falls back to "
          "the older generation, and of its compressed save() fails it cleanly",
          "[faults][durability][compress]") {
    const Generations before("zstd");
    auto ops = kSaveOps;
    ops.insert("read");
    check_ops(enumerate({"1", false, "sync", before.path(), "zstd"}), ops);
}

TEST_CASE("a fault in any system call of a restart in sync mode, saving by maybe_save(), falls "
          "back or is reported, and the computation goes on", "[faults][durability][signals]") {
    const Generations before;
    auto ops = kSaveOps;
    ops.insert("read");
    check_ops(enumerate({"1", true, "sync", before.path(), ""}), ops);
}

TEST_CASE("a fault in any system call of a restart in background mode, saving by maybe_save(), "
          "falls back or is reported, and the computation goes on",
          "[faults][durability][background]") {
    const Generations before;
    auto ops = kSaveOps;
    ops.insert("read");
    check_ops(enumerate({"1", true, "background", before.path(), ""}), ops);
}
