// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The reprise authors
#ifndef REPRISE_DETAIL_TYPE_NAME_HPP
#define REPRISE_DETAIL_TYPE_NAME_HPP

// The name a checkpoint records for a tracked variable's type, and its readable form.
//
// The recorded name is typeid(T).name(): under the Itanium C++ ABI, which GCC and Clang
// share on every platform reprise runs on, it is the type's mangled name, the same in
// every build of the same source. It names the type, not its layout: a user class keeps
// its name when its members or its cereal class version change (the archive's own class
// version handles that), and std::uint64_t is "m" where it is unsigned long (Linux LP64)
// but "y" where it is unsigned long long.

#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>

#if defined(__has_include)
#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define REPRISE_HAS_CXXABI 1
#endif
#endif

namespace reprise::detail {

template <class T>
std::string type_name() {
    return typeid(T).name();
}

// The type as a person writes it ("unsigned long" for "m"); the mangled name itself when
// it does not demangle (another ABI's name, or a damaged file's bytes).
inline std::string demangle(const std::string& mangled) {
#ifdef REPRISE_HAS_CXXABI
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> text(
        abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
    if (status == 0 && text) return text.get();
#endif
    return mangled;
}

} // namespace reprise::detail

#endif
