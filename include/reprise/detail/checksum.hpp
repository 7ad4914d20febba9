// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_CHECKSUM_HPP
#define REPRISE_DETAIL_CHECKSUM_HPP

// The checksum of every file reprise writes: XXH3-64 (docs/format.md). xxHash is used
// inline (no library to link): XXH_INLINE_ALL makes its functions static inline in every
// translation unit that includes this file, and it stays defined after it
// (docs/building.md, "Platform and macros"). Only the files that write or verify
// checksums include it, so that a program's own files do not parse it.

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#endif
