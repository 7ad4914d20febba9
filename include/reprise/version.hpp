// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_VERSION_HPP
#define REPRISE_VERSION_HPP

/// The library's version, the single source of truth: CMake reads these three lines.
#define REPRISE_VERSION_MAJOR 0
#define REPRISE_VERSION_MINOR 1
#define REPRISE_VERSION_PATCH 0

/// The version as one number, 10000 * major + 100 * minor + patch, for `#if` tests.
#define REPRISE_VERSION \
    (REPRISE_VERSION_MAJOR * 10000 + REPRISE_VERSION_MINOR * 100 + REPRISE_VERSION_PATCH)

#endif
