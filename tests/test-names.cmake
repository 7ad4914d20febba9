# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# cmake "-DBINARIES=<catch binary;...>" -P test-names.cmake
#
# catch_discover_tests splits a test case's name at ';' into two CTest tests that match no
# test case, and both "pass" without running anything (two such cases once ran only when
# the binary was run by hand). No name may hold one.

foreach(binary ${BINARIES})
  execute_process(COMMAND "${binary}" --list-test-names-only
                  RESULT_VARIABLE rc OUTPUT_VARIABLE names)
  if(NOT rc EQUAL 0 AND names STREQUAL "")
    message(FATAL_ERROR "${binary} --list-test-names-only failed (${rc})")
  endif()
  string(REGEX MATCHALL "[^\n]*;[^\n]*" bad "${names}")
  if(bad)
    message(FATAL_ERROR "${binary}: test case names with ';', which CTest never runs: ${bad}")
  endif()
endforeach()
message(STATUS "no test case name holds a ';'")
