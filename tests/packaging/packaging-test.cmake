# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Driver of the packaging tests; CTest runs it as `cmake -D... -P packaging-test.cmake`.
#
#   STEP=install           configure reprise's source tree alone (tests, examples and
#                          benchmarks off), build it, install it into WORK_DIR/prefix, and
#                          check what was installed
#   STEP=find_package      configure, build and run the consumer in find_package/ with
#                          WORK_DIR/prefix first in CMAKE_PREFIX_PATH
#   STEP=add_subdirectory  configure, build and run the consumer in add_subdirectory/,
#                          which adds REPRISE_SOURCE_DIR as a subdirectory
#   STEP=find_package_mpi  configure and build the MPI consumer in find_package_mpi/
#                          (reprise::mpi) against WORK_DIR/prefix, run it with
#                          MPIEXEC MPIEXEC_NUMPROC_FLAG 2
#
# Also required: REPRISE_SOURCE_DIR, WORK_DIR, INITIAL_CACHE (-C file for the nested
# builds), GENERATOR, EXPECTED_VERSION (the version CMake read from version.hpp).
# WITH_MPI (reprise was configured with MPI: the install must hold reprise::mpi) and, for
# find_package_mpi, MPIEXEC (FindMPI's MPIEXEC_EXECUTABLE) are optional.
cmake_minimum_required(VERSION 3.16)

foreach(_var STEP REPRISE_SOURCE_DIR WORK_DIR INITIAL_CACHE GENERATOR EXPECTED_VERSION)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "packaging-test.cmake: -D${_var}=... is required")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(consumers_dir "${CMAKE_CURRENT_LIST_DIR}")

# run(<command> <arg>...): echoes the command, runs it, fails the test if it fails.
function(run)
  string(REPLACE ";" " " printable "${ARGN}")
  message(STATUS "packaging: ${printable}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "packaging: failed (${rc}): ${printable}")
  endif()
endfunction()

# configure_and_build(<source dir> <build dir> <initial cache> [<-D option>...])
function(configure_and_build source build cache)
  file(REMOVE_RECURSE "${build}")
  run("${CMAKE_COMMAND}" -G "${GENERATOR}" -C "${cache}" -S "${source}" -B "${build}"
      -DCMAKE_BUILD_TYPE=Release ${ARGN})
  run("${CMAKE_COMMAND}" --build "${build}" --config Release)
endfunction()

# run_consumer(<build dir> [<program name> [<launcher>...]]): runs the consumer built
# there (default name: consumer) on a fresh checkpoint directory, with no REPRISE_*
# variable of the caller's environment steering it, through the launcher if any.
function(run_consumer build)
  set(name consumer)
  if(ARGC GREATER 1)
    set(name "${ARGV1}")
  endif()
  set(launcher ${ARGN})
  if(launcher)
    list(REMOVE_AT launcher 0)
  endif()
  set(program "")
  foreach(candidate "${build}/${name}" "${build}/Release/${name}")
    if(EXISTS "${candidate}" AND NOT IS_DIRECTORY "${candidate}")
      set(program "${candidate}")
      break()
    endif()
  endforeach()
  if(program STREQUAL "")
    message(FATAL_ERROR "packaging: the consumer was not built in ${build}")
  endif()

  execute_process(COMMAND "${CMAKE_COMMAND}" -E environment OUTPUT_VARIABLE environment)
  string(REGEX MATCHALL "(^|\n)REPRISE_[A-Za-z0-9_]*=" steering "${environment}")
  foreach(assignment IN LISTS steering)
    string(REGEX REPLACE "^\n?(.*)=$" "\\1" name "${assignment}")
    message(STATUS "packaging: unsetting ${name} for the consumer")
    unset(ENV{${name}})
  endforeach()

  set(checkpoints "${WORK_DIR}/${STEP}-checkpoints")
  file(REMOVE_RECURSE "${checkpoints}")
  run(${launcher} "${program}" "${checkpoints}")
endfunction()

# The cache of a consumer of the installed package: the common one, with the fresh
# prefix searched first.
function(write_prefix_cache cache)
  file(WRITE "${cache}"
    "include([==[${INITIAL_CACHE}]==])\n"
    "if(CMAKE_PREFIX_PATH)\n"
    "  set(CMAKE_PREFIX_PATH [==[${prefix}]==] \${CMAKE_PREFIX_PATH} CACHE STRING \"\" FORCE)\n"
    "else()\n"
    "  set(CMAKE_PREFIX_PATH [==[${prefix}]==] CACHE STRING \"\" FORCE)\n"
    "endif()\n")
endfunction()

# check_found_in_prefix(<build dir>): the package found must be the one just installed,
# not one elsewhere on the system.
function(check_found_in_prefix build)
  file(STRINGS "${build}/CMakeCache.txt" found REGEX "^reprise_DIR:")
  string(REGEX REPLACE "^reprise_DIR:[A-Z]*=" "" found "${found}")
  get_filename_component(found "${found}" REALPATH)
  get_filename_component(real_prefix "${prefix}" REALPATH)
  string(FIND "${found}/" "${real_prefix}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "packaging: found reprise in ${found}, not in ${prefix}")
  endif()
endfunction()

if(STEP STREQUAL "install")
  set(build "${WORK_DIR}/reprise-build")
  file(REMOVE_RECURSE "${prefix}")
  configure_and_build("${REPRISE_SOURCE_DIR}" "${build}" "${INITIAL_CACHE}"
    -DREPRISE_BUILD_TESTS=OFF -DREPRISE_BUILD_EXAMPLES=OFF -DREPRISE_BUILD_BENCHMARKS=OFF
    -DREPRISE_INSTALL=ON)
  # The configured CMAKE_INSTALL_PREFIX stays the default: a package that recorded it
  # instead of computing paths from its own location would fail find_package below.
  run("${CMAKE_COMMAND}" --install "${build}" --config Release --prefix "${prefix}")

  # Every public header, and the package files, are installed.
  file(GLOB_RECURSE source_headers RELATIVE "${REPRISE_SOURCE_DIR}/include"
       "${REPRISE_SOURCE_DIR}/include/*.hpp")
  set(expected "")
  foreach(header IN LISTS source_headers)
    list(APPEND expected "include/${header}")
  endforeach()
  list(APPEND expected
    share/cmake/reprise/repriseConfig.cmake
    share/cmake/reprise/repriseConfigVersion.cmake
    share/cmake/reprise/repriseTargets.cmake
    share/cmake/reprise/FindXXHash.cmake)
  if(WITH_MPI)
    list(APPEND expected share/cmake/reprise/repriseMpiTargets.cmake)
  endif()
  foreach(file IN LISTS expected)
    if(NOT EXISTS "${prefix}/${file}")
      message(FATAL_ERROR "packaging: not installed: ${file}")
    endif()
  endforeach()
  list(LENGTH source_headers header_count)
  if(header_count EQUAL 0)
    message(FATAL_ERROR "packaging: no header found in ${REPRISE_SOURCE_DIR}/include")
  endif()

  # The package is relocatable: nothing installed points back into the trees it came from.
  file(GLOB_RECURSE package_files "${prefix}/share/cmake/reprise/*")
  foreach(file IN LISTS package_files)
    file(READ "${file}" content)
    foreach(tree "${REPRISE_SOURCE_DIR}" "${build}")
      string(FIND "${content}" "${tree}" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "packaging: ${file} refers to ${tree}")
      endif()
    endforeach()
  endforeach()
  message(STATUS "packaging: installed ${header_count} headers and the package into ${prefix}")

elseif(STEP STREQUAL "find_package")
  if(NOT EXISTS "${prefix}/share/cmake/reprise/repriseConfig.cmake")
    message(FATAL_ERROR "packaging: nothing installed in ${prefix}: run packaging.install")
  endif()
  set(cache "${WORK_DIR}/find_package-cache.cmake")
  write_prefix_cache("${cache}")
  set(build "${WORK_DIR}/find_package-build")
  configure_and_build("${consumers_dir}/find_package" "${build}" "${cache}"
    "-DREPRISE_EXPECTED_VERSION=${EXPECTED_VERSION}")
  check_found_in_prefix("${build}")
  run_consumer("${build}")

elseif(STEP STREQUAL "find_package_mpi")
  if(NOT EXISTS "${prefix}/share/cmake/reprise/repriseMpiTargets.cmake")
    message(FATAL_ERROR "packaging: no reprise::mpi installed in ${prefix}: run packaging.install")
  endif()
  if(NOT MPIEXEC)
    message(FATAL_ERROR "packaging-test.cmake: -DMPIEXEC=... is required for ${STEP}")
  endif()
  set(cache "${WORK_DIR}/find_package_mpi-cache.cmake")
  write_prefix_cache("${cache}")
  set(build "${WORK_DIR}/find_package_mpi-build")
  configure_and_build("${consumers_dir}/find_package_mpi" "${build}" "${cache}"
    "-DREPRISE_EXPECTED_VERSION=${EXPECTED_VERSION}")
  check_found_in_prefix("${build}")
  # OpenMPI refuses root without these, and 2 ranks on fewer cores without the third.
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
  set(ENV{OMPI_MCA_rmaps_base_oversubscribe} 1)
  if(NOT MPIEXEC_NUMPROC_FLAG)
    set(MPIEXEC_NUMPROC_FLAG -np)
  endif()
  run_consumer("${build}" consumer_mpi "${MPIEXEC}" ${MPIEXEC_NUMPROC_FLAG} 2)

elseif(STEP STREQUAL "add_subdirectory")
  set(build "${WORK_DIR}/add_subdirectory-build")
  configure_and_build("${consumers_dir}/add_subdirectory" "${build}" "${INITIAL_CACHE}"
    "-DREPRISE_SOURCE_DIR=${REPRISE_SOURCE_DIR}")
  run_consumer("${build}")

else()
  message(FATAL_ERROR "packaging-test.cmake: unknown STEP '${STEP}'")
endif()
