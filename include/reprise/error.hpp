// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_ERROR_HPP
#define REPRISE_ERROR_HPP

#include <stdexcept>
#include <string>

namespace reprise {

/// The one exception type reprise throws. Its message starts with `reprise:` and says
/// what was being done, to which file, and the system error where there was one.
class Error : public std::runtime_error {
public:
    /// `what` is prefixed with `reprise: ` unless it already starts with it.
    explicit Error(const std::string& what)
        : std::runtime_error(what.rfind("reprise:", 0) == 0 ? what : "reprise: " + what) {}
};

} // namespace reprise

#endif
