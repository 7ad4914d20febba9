# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# cmake -DNM=<nm> "-DUSERS=<objects;...>" -DIMPL=<object> -P check-objects.cmake
#
# Under REPRISE_SEPARATE_COMPILATION the program's own files compile none of reprise's
# save and restore path: their objects define no member of the Checkpointer, of the
# generation store or of the file format, and need those of the one object that includes
# <reprise/impl.hpp>, which defines them.

# Members that only the implementation may define (mangled: reprise::Checkpointer::save(),
# ::restore(), ::finish(), GenerationStore::commit, read_checkpoint).
set(heavy "_ZN7reprise12Checkpointer4saveEv|_ZN7reprise12Checkpointer7restoreEv|_ZN7reprise12Checkpointer6finishEv|GenerationStore6commit|read_checkpoint")

function(symbols object flags out)
  execute_process(COMMAND "${NM}" ${flags} "${object}" RESULT_VARIABLE rc OUTPUT_VARIABLE text)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} ${flags} ${object} failed (${rc})")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

foreach(object ${USERS})
  symbols("${object}" "--defined-only" defined)
  if(defined MATCHES "${heavy}")
    message(FATAL_ERROR "${object} defines '${CMAKE_MATCH_0}': a file of the program "
                        "compiled reprise's implementation")
  endif()
endforeach()
symbols("${IMPL}" "--defined-only" defined)
foreach(member _ZN7reprise12Checkpointer4saveEv _ZN7reprise12Checkpointer7restoreEv)
  if(NOT defined MATCHES "${member}")
    message(FATAL_ERROR "${IMPL} does not define ${member}: the check above proves nothing")
  endif()
endforeach()
message(STATUS "the program's files declare; ${IMPL} defines")
