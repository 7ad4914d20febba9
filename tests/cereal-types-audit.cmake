# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# CTest cereal_types_are_audited: every cereal type header that reprise.hpp brings in has
# been audited against the allocation rule (README.md, "Security"). cereal's loaders read
# an element count from the file, and some size the container by it before reading an
# element (issue 14: std::valarray, 2^60 elements, std::bad_alloc and a double free).
#
# The compiler lists the headers a translation unit of `#include <reprise/reprise.hpp>`
# reads (-M, system headers included); each cereal/types/*.hpp among them must have a line
# in include/reprise/archive.hpp's audit (between "reprise-cereal-audit begin" and "end"),
# and each type a "hardened" line names must have its own loader there, taking reprise's
# InputArchive. A new cereal type header in reprise.hpp, or one a newer cereal pulls in,
# fails here until it is audited.
#
#   cmake -DCXX=<compiler> -DSOURCE_DIR=<repository> -DWORK=<dir> [-DFLAGS=<-I...;...>]
#         -P cereal-types-audit.cmake

cmake_minimum_required(VERSION 3.16)

foreach(var CXX SOURCE_DIR WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "cereal-types-audit.cmake: -D${var}=... is required")
  endif()
endforeach()

file(MAKE_DIRECTORY "${WORK}")
set(tu "${WORK}/includes_reprise.cpp")
file(WRITE "${tu}" "#include <reprise/reprise.hpp>\n")
execute_process(
  COMMAND "${CXX}" -std=c++17 -M "-I${SOURCE_DIR}/include" ${FLAGS} "${tu}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE deps ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot list the headers of reprise.hpp (${CXX} -M):\n${err}")
endif()

# cereal/types/<name>.hpp, wherever cereal is installed: <name> may have a folder (concepts/).
string(REGEX MATCHALL "cereal/types/[A-Za-z0-9_/]+\\.hpp" included "${deps}")
list(TRANSFORM included REPLACE "^cereal/types/" "")
list(REMOVE_DUPLICATES included)
list(SORT included)
list(LENGTH included n_included)
if(n_included EQUAL 0)
  message(FATAL_ERROR "no cereal/types/ header found among the headers of reprise.hpp:\n${deps}")
endif()

file(READ "${SOURCE_DIR}/include/reprise/archive.hpp" archive)
if(NOT archive MATCHES "reprise-cereal-audit begin\n(.*)// reprise-cereal-audit end")
  message(FATAL_ERROR "include/reprise/archive.hpp has no audit of cereal's type headers "
                      "(\"// reprise-cereal-audit begin\" ... \"// reprise-cereal-audit end\"); "
                      "reprise.hpp includes: ${included}")
endif()
string(REPLACE ";" "," audit_text "${CMAKE_MATCH_1}") # a list is split at ";"
string(REPLACE "\n" ";" audit_lines "${audit_text}")

set(audited "")
set(failures "")
foreach(line IN LISTS audit_lines)
  if(NOT line MATCHES "^//   ([A-Za-z0-9_/]+\\.hpp) +(fixed|per element|hardened):(.*)$")
    if(NOT line STREQUAL "")
      string(APPEND failures "  audit line not understood: '${line}'\n")
    endif()
    continue()
  endif()
  set(header "${CMAKE_MATCH_1}")
  set(kind "${CMAKE_MATCH_2}")
  string(STRIP "${CMAKE_MATCH_3}" rest)
  list(APPEND audited "${header}")
  if(kind STREQUAL "hardened")
    # The types are the words that begin with std::; anything after them is a remark.
    string(REGEX MATCHALL "std::[A-Za-z_]+" types "${rest}")
    if(types STREQUAL "")
      string(APPEND failures "  ${header}: \"hardened\" names no type\n")
    endif()
    foreach(type IN LISTS types)
      if(NOT archive MATCHES "CEREAL_LOAD_FUNCTION_NAME\\(InputArchive& ar, ${type}<")
        string(APPEND failures
          "  ${header}: hardened, but archive.hpp has no "
          "CEREAL_LOAD_FUNCTION_NAME(InputArchive& ar, ${type}<...>&)\n")
      endif()
    endforeach()
  endif()
endforeach()

foreach(header IN LISTS included)
  if(NOT header IN_LIST audited)
    string(APPEND failures
      "  cereal/types/${header}: included by reprise.hpp, not in archive.hpp's audit: does "
      "its loader size anything by a count read from the file before checking it against "
      "the bytes left (detail::check_count)?\n")
  endif()
endforeach()

if(failures)
  message(FATAL_ERROR "cereal type headers not audited against the allocation rule:\n${failures}")
endif()
message(STATUS "all ${n_included} cereal type headers of reprise.hpp are audited: ${included}")
