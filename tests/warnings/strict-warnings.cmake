# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Driver of the CTests warnings.*: compiles strict_consumer.cpp with one compiler, called
# directly as a user's build would call it, with
#   -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror
# and reprise's headers by -I (so that their warnings are not silenced as a system
# header's would be); the dependencies' directories (cereal, Boost, xxHash, OpenMPI) by
# -isystem: their warnings are not ours to fix. Then links it, and runs it on a fresh
# checkpoint directory unless NO_RUN is set.
#
#   cmake -DCXX=<compiler> -DSOURCE_DIR=<repository> -DWORK=<dir>
#         [-DSYSTEM_DIRS=<dir;...>] [-DIMPLICIT_DIRS=<dir;...>] [-DDEFINES=<NAME;...>] [-DLIBS=<-l...;path;...>]
#         [-DNO_RUN=ON] -P strict-warnings.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var CXX SOURCE_DIR WORK)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "strict-warnings.cmake: -D${var}=... is required")
  endif()
endforeach()

set(flags -std=c++17 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
          -Werror "-I${SOURCE_DIR}/include")
# A compiler's own directories (/usr/include) stay out: -isystem would move them ahead of
# the C++ library's, whose #include_next then finds nothing.
list(REMOVE_DUPLICATES SYSTEM_DIRS)
foreach(dir IN LISTS SYSTEM_DIRS)
  if(NOT dir STREQUAL "" AND NOT dir IN_LIST IMPLICIT_DIRS)
    list(APPEND flags -isystem "${dir}")
  endif()
endforeach()
foreach(define IN LISTS DEFINES)
  list(APPEND flags "-D${define}")
endforeach()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(program "${WORK}/strict_consumer")
set(command "${CXX}" ${flags} "${SOURCE_DIR}/tests/warnings/strict_consumer.cpp"
            -o "${program}" ${LIBS} -pthread)
string(REPLACE ";" " " printable "${command}")
message(STATUS "${printable}")
execute_process(COMMAND ${command} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "reprise's headers do not compile warning-free with ${CXX} (${rc})")
endif()

if(NOT NO_RUN)
  execute_process(COMMAND "${program}" "${WORK}/checkpoints" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the strict consumer built, but failed when run (${rc})")
  endif()
endif()
message(STATUS "reprise's headers compile warning-free with ${CXX}")
