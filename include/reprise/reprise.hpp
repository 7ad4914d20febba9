// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_REPRISE_HPP
#define REPRISE_REPRISE_HPP

/// The whole public API of reprise, and cereal's support for the standard library's types,
/// so that tracking a std::string, a container, a pair, a tuple or a smart pointer needs no
/// other include.

#include "reprise/archive.hpp"
#include "reprise/checkpointer.hpp"
#include "reprise/error.hpp"
#include "reprise/log.hpp"
#include "reprise/options.hpp"
#include "reprise/version.hpp"

#include <cereal/types/array.hpp>
#include <cereal/types/base_class.hpp>
#include <cereal/types/atomic.hpp>
#include <cereal/types/bitset.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/forward_list.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/queue.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/stack.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/valarray.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#endif
