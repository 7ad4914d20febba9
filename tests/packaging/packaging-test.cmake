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
#   STEP=install_headers   configure reprise's source tree WITHOUT building it, install the
#                          component reprise_development into WORK_DIR/headers-prefix, and
#                          (configured with -DREPRISE_BUILD_TOOLS=OFF) everything into
#                          WORK_DIR/headers-prefix-notools; check both, then configure,
#                          build and run the find_package/ consumer against the first
#   STEP=pkg_config        build consumer.cpp with the compiler alone,
#                          CXX $(pkg-config --cflags reprise) consumer.cpp
#                              $(pkg-config --libs reprise)
#                          against WORK_DIR/prefix (PKG_CONFIG_PATH), and run it
#   STEP=find_package_mpi  configure and build the MPI consumer in find_package_mpi/
#                          (reprise::mpi) against WORK_DIR/prefix, run it with
#                          MPIEXEC MPIEXEC_NUMPROC_FLAG 2
#
# Also required: REPRISE_SOURCE_DIR, WORK_DIR, INITIAL_CACHE (-C file for the nested
# builds), GENERATOR, EXPECTED_VERSION (the version CMake read from version.hpp).
# WITH_MPI (reprise was configured with MPI: the install must hold reprise::mpi) and, for
# find_package_mpi, MPIEXEC (FindMPI's MPIEXEC_EXECUTABLE) are optional; pkg_config needs
# CXX (the C++ compiler) and PKG_CONFIG (the pkg-config program).
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

# check_installed(<prefix> <build dir>): every public header, the CMake package and
# reprise.pc are in <prefix>, and none of the package files points back into the source
# tree or <build dir> (the package is relocatable).
function(check_installed where build)
  file(GLOB_RECURSE source_headers RELATIVE "${REPRISE_SOURCE_DIR}/include"
       "${REPRISE_SOURCE_DIR}/include/*.hpp")
  list(LENGTH source_headers header_count)
  if(header_count EQUAL 0)
    message(FATAL_ERROR "packaging: no header found in ${REPRISE_SOURCE_DIR}/include")
  endif()
  set(expected "")
  foreach(header IN LISTS source_headers)
    list(APPEND expected "include/${header}")
  endforeach()
  list(APPEND expected
    share/cmake/reprise/repriseConfig.cmake
    share/cmake/reprise/repriseConfigVersion.cmake
    share/cmake/reprise/repriseTargets.cmake
    share/cmake/reprise/FindXXHash.cmake
    share/pkgconfig/reprise.pc)
  if(WITH_MPI)
    list(APPEND expected share/cmake/reprise/repriseMpiTargets.cmake)
  endif()
  foreach(file IN LISTS expected)
    if(NOT EXISTS "${where}/${file}")
      message(FATAL_ERROR "packaging: not installed in ${where}: ${file}")
    endif()
  endforeach()
  file(GLOB_RECURSE package_files "${where}/share/cmake/reprise/*" "${where}/share/pkgconfig/*")
  foreach(file IN LISTS package_files)
    file(READ "${file}" content)
    foreach(tree "${REPRISE_SOURCE_DIR}" "${build}")
      string(FIND "${content}" "${tree}" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "packaging: ${file} refers to ${tree}")
      endif()
    endforeach()
  endforeach()
  message(STATUS "packaging: installed ${header_count} headers and the package into ${where}")
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

  check_installed("${prefix}" "${build}")
  # The job manager comes with its bash completion, where bash-completion looks for it by
  # the command's name.
  if(EXISTS "${prefix}/bin/reprise" AND NOT EXISTS "${prefix}/share/bash-completion/completions/reprise")
    message(FATAL_ERROR "packaging: bin/reprise installed without share/bash-completion/completions/reprise")
  endif()

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

elseif(STEP STREQUAL "install_headers")
  # Issue 14: `cmake --install` straight after configuring failed on the job manager,
  # which was not built, and installed nothing at all, not even the headers.
  set(build "${WORK_DIR}/headers-build")
  set(headers_prefix "${WORK_DIR}/headers-prefix")
  file(REMOVE_RECURSE "${build}" "${headers_prefix}")
  run("${CMAKE_COMMAND}" -G "${GENERATOR}" -C "${INITIAL_CACHE}" -S "${REPRISE_SOURCE_DIR}"
      -B "${build}" -DCMAKE_BUILD_TYPE=Release -DREPRISE_BUILD_TESTS=OFF
      -DREPRISE_BUILD_EXAMPLES=OFF -DREPRISE_BUILD_BENCHMARKS=OFF -DREPRISE_INSTALL=ON)
  run("${CMAKE_COMMAND}" --install "${build}" --config Release --prefix "${headers_prefix}"
      --component reprise_development)
  check_installed("${headers_prefix}" "${build}")
  if(EXISTS "${headers_prefix}/bin" OR EXISTS "${headers_prefix}/share/bash-completion")
    message(FATAL_ERROR "packaging: the component reprise_development installed a program or its completion")
  endif()

  # Configured without the job manager, a plain `cmake --install` needs no build either.
  set(build_notools "${WORK_DIR}/headers-build-notools")
  set(notools_prefix "${WORK_DIR}/headers-prefix-notools")
  file(REMOVE_RECURSE "${build_notools}" "${notools_prefix}")
  run("${CMAKE_COMMAND}" -G "${GENERATOR}" -C "${INITIAL_CACHE}" -S "${REPRISE_SOURCE_DIR}"
      -B "${build_notools}" -DCMAKE_BUILD_TYPE=Release -DREPRISE_BUILD_TESTS=OFF
      -DREPRISE_BUILD_EXAMPLES=OFF -DREPRISE_BUILD_BENCHMARKS=OFF -DREPRISE_BUILD_TOOLS=OFF
      -DREPRISE_INSTALL=ON)
  run("${CMAKE_COMMAND}" --install "${build_notools}" --config Release --prefix "${notools_prefix}")
  check_installed("${notools_prefix}" "${build_notools}")
  if(EXISTS "${notools_prefix}/share/bash-completion")
    message(FATAL_ERROR "packaging: configured without the job manager, its bash completion was installed")
  endif()

  # A consumer finds the headers-only install and runs.
  set(prefix "${headers_prefix}")
  set(cache "${WORK_DIR}/install_headers-cache.cmake")
  write_prefix_cache("${cache}")
  set(consumer_build "${WORK_DIR}/install_headers-consumer")
  configure_and_build("${consumers_dir}/find_package" "${consumer_build}" "${cache}"
    "-DREPRISE_EXPECTED_VERSION=${EXPECTED_VERSION}")
  check_found_in_prefix("${consumer_build}")
  run_consumer("${consumer_build}")

elseif(STEP STREQUAL "pkg_config")
  foreach(_var CXX PKG_CONFIG)
    if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
      message(FATAL_ERROR "packaging-test.cmake: -D${_var}=... is required for ${STEP}")
    endif()
  endforeach()
  if(NOT EXISTS "${prefix}/share/pkgconfig/reprise.pc")
    message(FATAL_ERROR "packaging: no reprise.pc in ${prefix}: run packaging.install")
  endif()
  # Only this prefix's reprise.pc: not one installed elsewhere on the system.
  set(ENV{PKG_CONFIG_PATH} "${prefix}/share/pkgconfig")
  foreach(what cflags libs modversion)
    execute_process(COMMAND "${PKG_CONFIG}" "--${what}" reprise
      RESULT_VARIABLE rc OUTPUT_VARIABLE ${what} ERROR_VARIABLE err
      OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "packaging: pkg-config --${what} reprise failed: ${err}")
    endif()
    message(STATUS "packaging: pkg-config --${what} reprise: ${${what}}")
  endforeach()
  if(NOT modversion STREQUAL EXPECTED_VERSION)
    message(FATAL_ERROR "packaging: reprise.pc says version ${modversion}, not ${EXPECTED_VERSION}")
  endif()
  get_filename_component(real_prefix "${prefix}" REALPATH)
  string(REGEX MATCH "-I([^ ]*)" include_flag "${cflags}")
  get_filename_component(include_dir "${CMAKE_MATCH_1}" REALPATH)
  if(NOT include_dir STREQUAL "${real_prefix}/include")
    message(FATAL_ERROR "packaging: reprise.pc's include directory is ${include_dir}, "
                        "not ${real_prefix}/include")
  endif()
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  separate_arguments(libs UNIX_COMMAND "${libs}")
  set(build "${WORK_DIR}/pkg_config-build")
  file(REMOVE_RECURSE "${build}")
  file(MAKE_DIRECTORY "${build}")
  # The libraries after the sources, as every pkg-config consumer must put them: with
  # --as-needed (Debian's and Ubuntu's GCC default) a library before the code that
  # needs it is dropped.
  run("${CXX}" ${cflags} "${consumers_dir}/consumer.cpp" -o "${build}/consumer" ${libs})
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
