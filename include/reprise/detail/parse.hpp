// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_PARSE_HPP
#define REPRISE_DETAIL_PARSE_HPP

// The one strict parser for every value that comes from outside: environment variables,
// the job manager's arguments and records, file names. std::from_chars plus explicit
// bounds: no sign, no space, no trailing junk, no locale, nothing out of range, no inf or
// nan. A value that is not understood is an Error naming where it came from and the value
// itself (never a silent default, never a wrapped-around number).

#include "reprise/error.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace reprise::detail {

// "reprise: <source>='<value>': expected <expected>". A value with control characters or
// of unreasonable length is shown escaped and cut, so the message stays one line.
[[noreturn]] inline void bad_value(std::string_view source, std::string_view value,
                                   std::string_view expected) {
    static const char hex[] = "0123456789abcdef";
    std::string shown;
    for (std::size_t i = 0; i < value.size() && i < 200; ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'') {
            shown += "\\x";
            shown += hex[c >> 4];
            shown += hex[c & 15];
        } else {
            shown.push_back(static_cast<char>(c));
        }
    }
    if (value.size() > 200) shown += "... (" + std::to_string(value.size()) + " bytes)";
    throw Error("reprise: " + std::string(source) + "='" + shown + "': expected " +
                std::string(expected), ErrorKind::configuration);
}

// A decimal integer made of digits only (no sign, no space, no "0x"), that fits in 64
// bits; nullopt for anything else. For names found in a directory, where a name that is
// not ours is not an error.
inline std::optional<std::uint64_t> decimal(std::string_view text) {
    if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// A decimal integer in [min, max] or an Error naming `source` and the value.
inline std::uint64_t parse_unsigned(std::string_view source, std::string_view value,
                                    std::uint64_t min = 0,
                                    std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
    const std::optional<std::uint64_t> v = decimal(value);
    if (!v || *v < min || *v > max) {
        std::string range = "a whole number";
        if (max == std::numeric_limits<std::uint64_t>::max())
            range += " >= " + std::to_string(min);
        else
            range += " from " + std::to_string(min) + " to " + std::to_string(max);
        bad_value(source, value, range);
    }
    return *v;
}

// The longest duration reprise accepts: ten years. A steady_clock deadline of "now" plus
// this stays far inside its 64-bit nanosecond range (292 years), so no interval can wrap
// around into "due at every poll".
inline constexpr double kMaxDurationSeconds = 10.0 * 365 * 24 * 3600;

inline constexpr const char* kDurationSyntax =
    "a duration: seconds (90, 1.5) or a number with a unit s, m, h or d (90s, 30m, 1h, 2d), "
    "at most 3650d; 0 for none";

// A duration in seconds: "90", "1.5", "90s", "30m", "1h", "2d" (fractions allowed with
// every unit). Finite, not negative, at most kMaxDurationSeconds.
inline double parse_duration(std::string_view source, std::string_view value) {
    std::string_view number = value;
    double unit = 1;
    if (!number.empty()) {
        switch (number.back()) {
        case 's': unit = 1; number.remove_suffix(1); break;
        case 'm': unit = 60; number.remove_suffix(1); break;
        case 'h': unit = 3600; number.remove_suffix(1); break;
        case 'd': unit = 86400; number.remove_suffix(1); break;
        default: break;
        }
    }
    // from_chars takes a leading '-' and "inf"/"nan"; a leading digit or '.' rules them out.
    const bool starts_well =
        !number.empty() && ((number.front() >= '0' && number.front() <= '9') ||
                            (number.front() == '.' && number.size() > 1));
    double v = 0;
    if (starts_well) {
        // Fixed notation only: "1e3" is not a way anyone writes a duration.
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v,
                                               std::chars_format::fixed);
        if (ec == std::errc() && end == number.data() + number.size() && std::isfinite(v) &&
            v >= 0 && v * unit <= kMaxDurationSeconds)
            return v * unit;
    }
    bad_value(source, value, kDurationSyntax);
}

// One of a fixed set of words, exactly (case matters); `expected` lists them for the error.
template <class T>
T parse_choice(std::string_view source, std::string_view value,
               std::initializer_list<std::pair<std::string_view, T>> choices,
               std::string_view expected) {
    for (const auto& [word, result] : choices)
        if (value == word) return result;
    bad_value(source, value, expected);
}

// The value of an environment variable; nullopt when it is unset or empty (an empty
// assignment, `export REPRISE_DIR=`, is how shells unset a variable for one command).
inline std::optional<std::string> environment_value(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

// The longest name (checkpoint name, job name) anything accepts: a file name's limit on
// most file systems. Whether the files it leads to fit is the Checkpointer's to check.
inline constexpr std::size_t kMaxNameBytes = 255;

// An identifier from outside (a job id, a checkpoint or job name): not empty, printable
// characters only, at most `max_bytes`. File names escape it further (file_safe).
inline const std::string& check_identifier(std::string_view source, const std::string& value,
                                           std::size_t max_bytes = kMaxNameBytes) {
    bool printable = !value.empty() && value.size() <= max_bytes;
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) printable = false;
    }
    if (!printable)
        bad_value(source, value,
                  "a name of 1 to " + std::to_string(max_bytes) +
                      " printable characters (no control characters)");
    return value;
}

} // namespace reprise::detail

#endif
