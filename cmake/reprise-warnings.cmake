# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Warnings and sanitizers for reprise's OWN targets (tests, examples, benchmarks).
# Nothing here touches global flags or the reprise::reprise interface target: a project
# that consumes reprise keeps exactly the flags it chose.

include_guard(GLOBAL)

# reprise_target_warnings(<target>)
#   GCC/Clang: -Wall -Wextra -Wpedantic, and -Werror unless REPRISE_WERROR is OFF.
#   With REPRISE_SANITIZE=ON: AddressSanitizer + UndefinedBehaviorSanitizer, added to
#   both the compile and the link options of <target>, and every finding is fatal.
function(reprise_target_warnings target)
  if(NOT TARGET "${target}")
    message(FATAL_ERROR "reprise_target_warnings: no target named '${target}'")
  endif()

  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options("${target}" PRIVATE -Wall -Wextra -Wpedantic)
    if(REPRISE_WERROR)
      target_compile_options("${target}" PRIVATE -Werror)
    endif()
    # GCC's sanitizer instrumentation breeds false -Wmaybe-uninitialized warnings (seen
    # with GCC 12 inside <regex>): that one warning is off in sanitizer builds only.
    if(REPRISE_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options("${target}" PRIVATE -Wno-maybe-uninitialized)
    endif()
  endif()

  if(REPRISE_SANITIZE)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
      message(FATAL_ERROR
        "REPRISE_SANITIZE=ON needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
    endif()
    set(_reprise_sanitize_flags
      -fsanitize=address,undefined
      -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
    target_compile_options("${target}" PRIVATE ${_reprise_sanitize_flags})
    target_link_options("${target}" PRIVATE ${_reprise_sanitize_flags})
  endif()
endfunction()
