// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// How files are named (detail/job.hpp): numbered_name and generation_in_name, which writer
// and reader share, so that a name is a generation of ours exactly when numbered_name
// gives it back; file_safe, which keeps every name inside the checkpoint directory; and
// the job keys the names are made of. Through job.hpp, where the callers find them.

#include "catch.hpp"
#include "support.hpp"

#include "reprise/detail/job.hpp"

#include <cstdint>
#include <set>
#include <string>

namespace {

namespace d = reprise::detail;
using reprise_test::error_of;

std::uint64_t ckpt_generation(const std::string& name) { return d::generation_in_name(name, "s", ".ckpt"); }

} // namespace

// ---- numbered_name / generation_in_name -------------------------------------------------------

TEST_CASE("naming: a generation is written with exactly ten digits between the stem and the suffix",
          "[naming]") {
    CHECK(d::numbered_name("s", 1, ".ckpt") == "s.0000000001.ckpt");
    CHECK(d::numbered_name("heat.slurm-123_4", 42, ".ckpt") == "heat.slurm-123_4.0000000042.ckpt");
    CHECK(d::numbered_name("s", 1234567890, ".commit") == "s.1234567890.commit");
    CHECK(d::numbered_name("s", d::kMaxGeneration, ".ckpt") == "s.9999999999.ckpt");
    CHECK(d::kMaxGeneration == 9999999999ull);
    // Names sort as generations do.
    CHECK(d::numbered_name("s", 9, ".ckpt") < d::numbered_name("s", 10, ".ckpt"));
    CHECK(d::numbered_name("s", 999999999, ".ckpt") < d::numbered_name("s", 1000000000, ".ckpt"));
}

TEST_CASE("naming: generation 0 and generations past kMaxGeneration have no name", "[naming]") {
    CHECK(error_of([] { d::numbered_name("s", 0, ".ckpt"); }) ==
          "reprise: generation 0 of s is out of range (1 to 9999999999)");
    CHECK(error_of([] { d::numbered_name("s", d::kMaxGeneration + 1, ".ckpt"); }) ==
          "reprise: generation 10000000000 of s is out of range (1 to 9999999999)");
    CHECK(error_of([] { d::numbered_name("s", ~std::uint64_t(0), ".ckpt"); }) ==
          "reprise: generation 18446744073709551615 of s is out of range (1 to 9999999999)");
}

TEST_CASE("naming: generation_in_name gives back the generation numbered_name wrote", "[naming]") {
    for (const std::string stem : {"s", "a.b", "heat.slurm-123_4", "%2E.", "x.0000000001"})
        for (const std::string suffix : {".ckpt", ".commit", ".commit.tmp", ""})
            for (const std::uint64_t g : {std::uint64_t(1), std::uint64_t(2), std::uint64_t(10),
                                          std::uint64_t(123456789), std::uint64_t(1000000000),
                                          d::kMaxGeneration}) {
                INFO(stem << " " << suffix << " " << g);
                CHECK(d::generation_in_name(d::numbered_name(stem, g, suffix), stem, suffix) == g);
            }
}

TEST_CASE("naming: a name with other than ten digits is nobody's generation", "[naming]") {
    CHECK(ckpt_generation("s.0000000001.ckpt") == 1);
    CHECK(ckpt_generation("s.000000001.ckpt") == 0);           // 9 digits
    CHECK(ckpt_generation("s.00000000001.ckpt") == 0);         // 11 digits
    CHECK(ckpt_generation("s.1.ckpt") == 0);
    CHECK(ckpt_generation("s..ckpt") == 0);
    CHECK(ckpt_generation("s.000000000000000001.ckpt") == 0);  // 18 digits (issue 14)
    CHECK(ckpt_generation("s.18446744073709551615.ckpt") == 0);
    CHECK(ckpt_generation("s.99999999999999999999.ckpt") == 0); // past 64 bits
}

TEST_CASE("naming: generation 0, signs, spaces and other junk in the digits are nobody's generation",
          "[naming]") {
    for (const char* junk :
         {"s.0000000000.ckpt", "s.+000000001.ckpt", "s.-000000001.ckpt", "s. 000000001.ckpt",
          "s.000000001 .ckpt", "s.00000000x1.ckpt", "s.0x00000001.ckpt", "s.00000001e1.ckpt",
          "s.0000000.01.ckpt", "s.000000001\n.ckpt", "s.\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1.ckpt"}) {
        INFO(junk);
        CHECK(ckpt_generation(junk) == 0);
    }
}

TEST_CASE("naming: names close to a generation's but of another stem or suffix are not ours",
          "[naming]") {
    CHECK(ckpt_generation("t.0000000001.ckpt") == 0);       // another stem
    CHECK(ckpt_generation("S.0000000001.ckpt") == 0);       // case matters
    CHECK(ckpt_generation("s2.0000000001.ckpt") == 0);      // a longer stem
    CHECK(ckpt_generation("xs.0000000001.ckpt") == 0);
    CHECK(ckpt_generation(".0000000001.ckpt") == 0);        // no stem
    CHECK(ckpt_generation("s_0000000001.ckpt") == 0);       // no dot after the stem
    CHECK(ckpt_generation("s0000000001.ckpt") == 0);
    CHECK(ckpt_generation("s.0000000001.ckp") == 0);        // another suffix
    CHECK(ckpt_generation("s.0000000001.CKPT") == 0);
    CHECK(ckpt_generation("s.0000000001.ckpt.tmp") == 0);   // a temporary file
    CHECK(ckpt_generation("s.0000000001.ckptx") == 0);
    CHECK(ckpt_generation("s.0000000001") == 0);
    CHECK(ckpt_generation("s.0000000001.commit") == 0);
    CHECK(ckpt_generation("") == 0);
    CHECK(d::generation_in_name("s.0000000001.ckpt.tmp", "s", ".ckpt.tmp") == 1);
    // A stem that begins like another's: "a.b"'s files are not "a"'s, and back.
    CHECK(d::generation_in_name("a.b.0000000003.ckpt", "a", ".ckpt") == 0);
    CHECK(d::generation_in_name("a.0000000003.ckpt", "a.b", ".ckpt") == 0);
    // A stem that ends in ten digits: each name belongs to one stem only.
    CHECK(d::generation_in_name("a.0000000001.0000000002.ckpt", "a.0000000001", ".ckpt") == 2);
    CHECK(d::generation_in_name("a.0000000001.0000000002.ckpt", "a", ".ckpt") == 0);
}

// ---- file_safe ---------------------------------------------------------------------------------

TEST_CASE("naming: file_safe keeps letters, digits, dot, underscore and hyphen as they are",
          "[naming]") {
    CHECK(d::file_safe("") == "");
    CHECK(d::file_safe("heat2d") == "heat2d");
    CHECK(d::file_safe("slurm-123_4") == "slurm-123_4");
    CHECK(d::file_safe("pbs-9.server.example.org") == "pbs-9.server.example.org");
    CHECK(d::file_safe("...") == "...");
    CHECK(d::file_safe("ABCXYZabcxyz0189._-") == "ABCXYZabcxyz0189._-");
}

TEST_CASE("naming: file_safe escapes every other byte as %XX, so no name leaves the directory",
          "[naming]") {
    CHECK(d::file_safe("a/b") == "a%2Fb");
    CHECK(d::file_safe("../../etc/passwd") == "..%2F..%2Fetc%2Fpasswd");
    CHECK(d::file_safe("a b") == "a%20b");
    CHECK(d::file_safe("line\nbreak") == "line%0Abreak");
    CHECK(d::file_safe(std::string("nul\0byte", 8)) == "nul%00byte");
    CHECK(d::file_safe("100%") == "100%25");
    CHECK(d::file_safe("pbs-9[2].server") == "pbs-9%5B2%5D.server");
    CHECK(d::file_safe("\xff\x80") == "%FF%80");
    CHECK(d::file_safe("été") == "%C3%A9t%C3%A9");
    CHECK(d::file_safe("*?~$") == "%2A%3F%7E%24");
}

TEST_CASE("naming: file_safe escapes the names '.' and '..', and only those", "[naming]") {
    CHECK(d::file_safe(".") == "%2E");
    CHECK(d::file_safe("..") == "%2E.");
    CHECK(d::file_safe("./") == ".%2F");
    CHECK(d::file_safe(".a") == ".a");
    CHECK(d::file_safe("a..") == "a..");
}

TEST_CASE("naming: file_safe gives distinct names distinct files, in the safe alphabet only", "[naming]") {
    const std::string inputs[] = {"a/b", "a%2Fb", "a%b", "a%25b", ".", "%2E", "..", "%2E.", "a b", "a%20b",
                                  "", "%", "%25", std::string(1, '\0'), "A", "a"};
    std::set<std::string> outputs;
    for (const std::string& in : inputs) {
        const std::string out = d::file_safe(in);
        for (const char c : out) {
            INFO(in << " -> " << out);
            CHECK(((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-' || c == '%'));
        }
        CHECK(out.find('/') == std::string::npos);
        CHECK(out != ".");
        CHECK(out != "..");
        outputs.insert(out);
    }
    CHECK(outputs.size() == sizeof inputs / sizeof inputs[0]);
}

// ---- JobIdentity::key --------------------------------------------------------------------------

TEST_CASE("naming: a job's key is the scheduler and its id, with the array task after '_' or '.'",
          "[naming][job]") {
    const auto key = [](const char* scheduler, const char* id, const char* task, bool named = false) {
        d::JobIdentity job;
        job.scheduler = scheduler;
        job.id = id;
        job.task = task;
        job.named = named;
        return job.key();
    };
    CHECK(d::JobIdentity().key() == "local");
    CHECK(key("", "", "") == "local");
    CHECK(key("", "ignored", "") == "local"); // by hand, unnamed: no id counts
    CHECK(key("slurm", "123", "") == "slurm-123");
    CHECK(key("slurm", "123", "4") == "slurm-123_4");
    CHECK(key("sge", "77", "") == "sge-77");
    CHECK(key("sge", "77", "3") == "sge-77.3");
    CHECK(key("pbs", "9.server", "") == "pbs-9.server");
    CHECK(key("pbs", "9[2].server", "2") == "pbs-9[2].server.2");
    CHECK(key("lsf", "5", "2") == "lsf-5.2");
    // A named job (REPRISE_JOB) is its name, plus the array task as its scheduler writes it.
    CHECK(key("", "chain", "", true) == "chain");
    CHECK(key("slurm", "chain", "", true) == "chain");
    CHECK(key("slurm", "chain", "4", true) == "chain_4");
    CHECK(key("sge", "chain", "3", true) == "chain.3");
    CHECK(key("lsf", "chain", "2", true) == "chain.2");
    // Not yet escaped: that is file_safe's job.
    CHECK(key("", "a/b", "", true) == "a/b");
    CHECK(d::file_safe(key("", "a/b", "", true)) == "a%2Fb");
}
