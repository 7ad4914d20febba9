// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors

// detail/parse.hpp, the one strict parser for every value from outside (environment,
// the job manager's arguments and records, file names): what it takes, what it refuses,
// and that a refusal names the source and the value.

#include "catch.hpp"
#include "support.hpp"

#include "reprise/detail/parse.hpp"

#include <cstdint>
#include <limits>
#include <string>

namespace {

using reprise::detail::bad_value;
using reprise::detail::check_identifier;
using reprise::detail::decimal;
using reprise::detail::kMaxDurationSeconds;
using reprise::detail::parse_choice;
using reprise::detail::parse_duration;
using reprise::detail::parse_unsigned;

using reprise_test::error_of;

bool refused_duration(const std::string& value) {
    const std::string message = error_of([&] { parse_duration("--every", value); });
    return message.rfind("reprise: --every='", 0) == 0 &&
           message.find("': expected a duration") != std::string::npos;
}

bool refused_unsigned(const std::string& value) {
    return !error_of([&] { parse_unsigned("ID", value); }).empty();
}

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

} // namespace

TEST_CASE("decimal takes digits only, up to 2^64 - 1", "[parse]") {
    CHECK(decimal("0") == std::uint64_t(0));
    CHECK(decimal("7") == std::uint64_t(7));
    CHECK(decimal("0012") == std::uint64_t(12)); // a directory name's digits; callers refuse zeros
    CHECK(decimal("18446744073709551615") == kMax64);
    for (const char* junk : {"", "-0", "-1", "+1", " 1", "1 ", "1\n", "1x", "x1", "0x10", "1e3", "1.0",
                             "1,000", "\xd9\xa1" /* ARABIC-INDIC DIGIT ONE */})
        CHECK_FALSE(decimal(junk).has_value());
}

TEST_CASE("decimal refuses a 20-digit number that overflows 64 bits", "[parse]") {
    CHECK_FALSE(decimal("18446744073709551616").has_value()); // 2^64
    CHECK_FALSE(decimal("99999999999999999999").has_value());
    CHECK_FALSE(decimal("100000000000000000000").has_value()); // 21 digits
    CHECK_FALSE(decimal(std::string(400, '9')).has_value());
}

TEST_CASE("parse_unsigned takes a whole number in its range and names the source and value otherwise",
          "[parse]") {
    CHECK(parse_unsigned("ID", "0") == 0);
    CHECK(parse_unsigned("ID", "42", 1, 100) == 42);
    CHECK(parse_unsigned("ID", "1", 1, 1) == 1);
    CHECK(parse_unsigned("ID", "18446744073709551615") == kMax64);
    CHECK(error_of([] { parse_unsigned("ID", "0", 1, 100); }) ==
          "reprise: ID='0': expected a whole number from 1 to 100");
    CHECK(error_of([] { parse_unsigned("ID", "101", 1, 100); }) ==
          "reprise: ID='101': expected a whole number from 1 to 100");
    CHECK(error_of([] { parse_unsigned("RESTARTED", "x", 1); }) ==
          "reprise: RESTARTED='x': expected a whole number >= 1");
}

TEST_CASE("parse_unsigned refuses signs, spaces, junk, overflow and the empty string", "[parse]") {
    for (const char* junk : {"", "-1", "-0", "+5", " 5", "5 ", "\t5", "5\n", "5x", "0x10", "1e3", "1.5",
                             "inf", "nan", "18446744073709551616", "99999999999999999999"})
        CHECK(refused_unsigned(junk));
}

TEST_CASE("parse_duration takes seconds, fractions, and each of the units s, m, h and d", "[parse]") {
    CHECK(parse_duration("--every", "90") == 90);
    CHECK(parse_duration("--every", "1.5") == 1.5);
    CHECK(parse_duration("--every", ".5") == 0.5);
    CHECK(parse_duration("--every", "0") == 0);
    CHECK(parse_duration("--every", "90s") == 90);
    CHECK(parse_duration("--every", "30m") == 30 * 60);
    CHECK(parse_duration("--every", "1h") == 3600);
    CHECK(parse_duration("--every", "1.5h") == 5400);
    CHECK(parse_duration("--every", "2d") == 2 * 86400);
    CHECK(parse_duration("--every", "0.5d") == 43200);
    // Fixed notation only: an exponent is not how a duration is written.
    for (const char* exponent : {"1e3", "1E3", ".5e1m", "1e-300", "1e0s"})
        CHECK(refused_duration(exponent));
}

TEST_CASE("parse_duration takes ten years and nothing more", "[parse]") {
    CHECK(kMaxDurationSeconds == 3650.0 * 86400);
    CHECK(parse_duration("--every", "3650d") == kMaxDurationSeconds);
    CHECK(parse_duration("--every", "315360000") == kMaxDurationSeconds);
    CHECK(parse_duration("--every", "87600h") == kMaxDurationSeconds);
    CHECK(refused_duration("3651d"));
    CHECK(refused_duration("315360001"));
    CHECK(refused_duration("200000000d")); // once a save at every poll: the clock overflowed
    CHECK(refused_duration("1e5d"));
    CHECK(refused_duration("1e300"));
}

TEST_CASE("parse_duration refuses inf, nan, overflow, signs, spaces, junk and the empty string",
          "[parse]") {
    for (const char* junk : {"", "s", "m", "d", ".", "1e400", "1e400s", "inf", "infs", "INF", "nan", "nans",
                             "-5", "-0", "-1s", "+5", " 5", "5 ", "5\n", "\t5", "5 s", "5x", "10x", "5S",
                             "5ss", "5sm", "1.5.5", "0x10", "1,5", "1'000", "e5"})
        CHECK(refused_duration(junk));
    CHECK(error_of([] { parse_duration("REPRISE_INTERVAL", "1e400"); })
              .rfind("reprise: REPRISE_INTERVAL='1e400': expected a duration", 0) == 0);
}

TEST_CASE("parse_choice takes exactly one of its words, case and all", "[parse]") {
    enum class Mode { sync, background };
    const auto mode = [](const std::string& value) {
        return parse_choice<Mode>("REPRISE_MODE", value, {{"sync", Mode::sync}, {"background", Mode::background}},
                                  "sync or background");
    };
    CHECK(mode("sync") == Mode::sync);
    CHECK(mode("background") == Mode::background);
    for (const char* junk : {"", "Sync", "SYNC", " sync", "sync ", "syn", "syncs", "background\n"})
        CHECK(error_of([&] { mode(junk); }).find("expected sync or background") != std::string::npos);
    CHECK(error_of([&] { mode("fast"); }) == "reprise: REPRISE_MODE='fast': expected sync or background");
}

TEST_CASE("check_identifier takes printable names and refuses control characters, empty and long ones",
          "[parse]") {
    const std::string plain = "heat2d run #3 (été)";
    CHECK(&check_identifier("--name", plain) == &plain);
    CHECK(check_identifier("--name", std::string(255, 'a')) == std::string(255, 'a'));
    CHECK(check_identifier("host", std::string(255, 'h'), 255).size() == 255);
    for (const std::string& junk : {std::string(), std::string("a\nb"), std::string("a\tb"),
                                    std::string("a\rb"), std::string("\x1b[31mred"), std::string("a\x7f"),
                                    std::string("a\0b", 3), std::string(256, 'a')})
        CHECK(error_of([&] { check_identifier("--name", junk); })
                  .find("expected a name of 1 to 255 printable characters") != std::string::npos);
    CHECK(!error_of([] { check_identifier("host", std::string(256, 'h'), 255); }).empty());
    CHECK(!error_of([] { check_identifier("id", std::string(21, 'i'), 20); }).empty());
}

TEST_CASE("bad_value shows control characters, quotes and backslashes escaped, and cuts long values",
          "[parse]") {
    CHECK(error_of([] { bad_value("--name", "a\nb", "a name"); }) == "reprise: --name='a\\x0ab': expected a name");
    CHECK(error_of([] { bad_value("--name", std::string("a\0b", 3), "a name"); }) ==
          "reprise: --name='a\\x00b': expected a name");
    CHECK(error_of([] { bad_value("X", "it's \\ \x7f", "y"); }) == "reprise: X='it\\x27s \\x5c \\x7f': expected y");
    const std::string message = error_of([] { bad_value("X", std::string(1000, 'v'), "y"); });
    CHECK(message == "reprise: X='" + std::string(200, 'v') + "... (1000 bytes)': expected y");
    CHECK(message.find('\n') == std::string::npos);
}
