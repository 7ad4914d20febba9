// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_UNLIKELY_HPP
#define REPRISE_DETAIL_UNLIKELY_HPP

// REPRISE_UNLIKELY(x): the polls' branch, marked as rarely taken. The one macro of
// reprise's own that a program including it sees (docs/building.md, "Platform and macros").
#if defined(__GNUC__) || defined(__clang__)
#define REPRISE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define REPRISE_UNLIKELY(x) (x)
#endif

#endif
