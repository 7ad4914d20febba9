# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# FindXXHash
# ----------
# Finds the xxHash header. reprise uses xxHash header-only (XXH_INLINE_ALL), so only
# the include directory matters: no library is searched for or linked.
#
# xxHash's own CMake package (xxHashConfig.cmake) is absent from most distributions
# (Debian ships only xxhash.h and libxxhash.pc), hence this module. It is installed
# beside repriseConfig.cmake, which uses it to find the same header for consumers.
#
# Imported target:
#   XXHash::XXHash   INTERFACE IMPORTED, carrying the include directory
#
# Result variables:
#   XXHash_FOUND, XXHash_INCLUDE_DIRS, XXHash_HEADER (path of xxhash.h), XXHash_VERSION
#
# Cache variable (a hint may also come from XXHash_ROOT or CMAKE_PREFIX_PATH):
#   XXHash_INCLUDE_DIR   directory holding xxhash.h

find_path(XXHash_INCLUDE_DIR NAMES xxhash.h DOC "Directory holding xxhash.h")
mark_as_advanced(XXHash_INCLUDE_DIR)

# A directory given by hand must really hold the header.
set(XXHash_HEADER "XXHash_HEADER-NOTFOUND")
if(XXHash_INCLUDE_DIR AND EXISTS "${XXHash_INCLUDE_DIR}/xxhash.h")
  set(XXHash_HEADER "${XXHash_INCLUDE_DIR}/xxhash.h")
  file(STRINGS "${XXHash_INCLUDE_DIR}/xxhash.h" _xxhash_version_lines
       REGEX "^#[ \t]*define[ \t]+XXH_VERSION_(MAJOR|MINOR|RELEASE)[ \t]+[0-9]+")
  set(_xxhash_version "")
  foreach(_xxhash_part MAJOR MINOR RELEASE)
    if(_xxhash_version_lines MATCHES "XXH_VERSION_${_xxhash_part}[ \t]+([0-9]+)")
      list(APPEND _xxhash_version "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  list(LENGTH _xxhash_version _xxhash_version_length)
  if(_xxhash_version_length EQUAL 3)
    string(REPLACE ";" "." XXHash_VERSION "${_xxhash_version}")
  endif()
  unset(_xxhash_part)
  unset(_xxhash_version)
  unset(_xxhash_version_length)
  unset(_xxhash_version_lines)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XXHash
  REQUIRED_VARS XXHash_INCLUDE_DIR XXHash_HEADER
  VERSION_VAR XXHash_VERSION)

if(XXHash_FOUND)
  set(XXHash_INCLUDE_DIRS "${XXHash_INCLUDE_DIR}")
  if(NOT TARGET XXHash::XXHash)
    add_library(XXHash::XXHash INTERFACE IMPORTED)
    set_target_properties(XXHash::XXHash PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${XXHash_INCLUDE_DIR}")
  endif()
endif()
