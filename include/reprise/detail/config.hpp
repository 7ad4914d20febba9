// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_CONFIG_HPP
#define REPRISE_DETAIL_CONFIG_HPP

// How reprise's non-template functions are compiled (README.md, "Compile time").
//
// By default reprise is header-only: every function is defined inline in the headers, and
// every translation unit that saves, restores or polls compiles the whole save and restore
// path. A program that defines REPRISE_SEPARATE_COMPILATION (for all of its files: CMake's
// target_compile_definitions) sees only declarations, and compiles the definitions once,
// in the one source file that includes <reprise/impl.hpp>. REPRISE_DECL marks each such
// definition: `inline` in the first case, nothing in the second.
#if defined(REPRISE_SEPARATE_COMPILATION)
#define REPRISE_DECL
#else
#define REPRISE_DECL inline
#endif

#endif
