// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_TRACK_FLAGS_HPP
#define REPRISE_TRACK_FLAGS_HPP

namespace reprise {

/// What `restore()` accepts of a tracked variable besides the exact match it requires by
/// default: flags for `Checkpointer::track(name, var, flags)`, combined with `|`.
/// docs/design.md, "Changing a program between runs".
enum class TrackFlags : unsigned {
    /// The checkpoint holds the variable, saved as the same type (what `track(name, var)`
    /// asks).
    exact = 0,
    /// The checkpoint may hold the variable saved as another type: it is loaded as the
    /// type tracked now, whose cereal `load` must read the bytes the old type saved (an
    /// intended change, such as `std::vector<float>` to a class that reads it). The type
    /// is still recorded in every save.
    any_type = 1u << 0,
    /// The checkpoint may lack the variable (the program gained it since): the variable
    /// then keeps the value it has, and the restore's line on stderr says so.
    new_variable = 1u << 1,
};

/// Both flags: `reprise::any_type | reprise::new_variable`.
constexpr TrackFlags operator|(TrackFlags a, TrackFlags b) noexcept {
    return static_cast<TrackFlags>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}

/// `TrackFlags::any_type`: `ckpt.track("field", field, reprise::any_type)`.
inline constexpr TrackFlags any_type = TrackFlags::any_type;

/// `TrackFlags::new_variable`: `ckpt.track("x", x, reprise::new_variable)`.
inline constexpr TrackFlags new_variable = TrackFlags::new_variable;

} // namespace reprise

#endif
