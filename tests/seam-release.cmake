# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# cmake -DNM=<nm> -DRELEASE=<object> -DTESTING=<object> -P seam-release.cmake
#
# The seam of reprise/detail/sys.hpp costs a user's build nothing: the object compiled
# without REPRISE_TESTING (tests/seam_release.cpp) needs the system calls and nothing else,
# while the same source compiled with it needs getenv and the seam's C++ (the check works).

function(undefined_symbols object out)
  execute_process(COMMAND "${NM}" -u "${object}" RESULT_VARIABLE rc OUTPUT_VARIABLE text)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -u ${object} failed (${rc})")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# What the seam would bring in: the environment, its own functions, the C++ library.
set(seam_code "getenv|injected_fault|seam_|kill_point|_ZNSt|_ZSt|_Znw|pthread_mutex")

undefined_symbols("${RELEASE}" release)
message(STATUS "without REPRISE_TESTING the wrappers need:\n${release}")
if(release MATCHES "${seam_code}")
  message(FATAL_ERROR "the seam is compiled into a build without REPRISE_TESTING: "
                      "'${CMAKE_MATCH_0}' in ${RELEASE}")
endif()
foreach(call openat open pwrite pread fstat fcntl fsync close renameat unlinkat ftruncate
             sync_file_range)
  if(NOT release MATCHES "[ \n]${call}(64)?\n")
    message(FATAL_ERROR "without REPRISE_TESTING, no call of ${call} in ${RELEASE}")
  endif()
endforeach()

undefined_symbols("${TESTING}" testing)
if(NOT testing MATCHES "getenv")
  message(FATAL_ERROR "with REPRISE_TESTING, ${TESTING} does not read the environment: "
                      "this check would not see the seam")
endif()
message(STATUS "the seam is compiled only with REPRISE_TESTING")
