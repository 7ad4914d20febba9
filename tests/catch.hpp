// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TESTS_CATCH_HPP
#define REPRISE_TESTS_CATCH_HPP

// Catch2 v2 (Debian 12's package) or v3, whichever CMake found.
#ifdef REPRISE_CATCH3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#endif
