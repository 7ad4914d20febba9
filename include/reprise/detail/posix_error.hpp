// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_POSIX_ERROR_HPP
#define REPRISE_DETAIL_POSIX_ERROR_HPP

#include "reprise/error.hpp"

#include <cstring>
#include <string>

namespace reprise::detail {

// "reprise: <operation> <path>: <strerror>" (fmt's os.cc, leveldb's PosixError).
// strerror_r's GNU flavour returns the message; the XSI flavour fills the buffer.
inline std::string errno_text(int err) {
    char buffer[256] = {0};
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return ::strerror_r(err, buffer, sizeof buffer);
#else
    ::strerror_r(err, buffer, sizeof buffer);
    return buffer;
#endif
}

[[noreturn]] inline void throw_errno(const std::string& operation, const std::string& path,
                                     int err) {
    throw Error("reprise: " + operation + " " + path + ": " + errno_text(err), ErrorKind::io);
}

} // namespace reprise::detail

#endif
