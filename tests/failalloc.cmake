# SPDX-License-Identifier: BSD-3-Clause
# The allocation-failure interposer (tests/ref/failalloc.c) defines malloc
# and friends: it must not sit in mgtestref, where every test executable
# would pick it up, but only in the executables that link mgtfailalloc.
get_target_property(MG_REF_ALL mgtestref SOURCES)
list(FILTER MG_REF_ALL EXCLUDE REGEX "failalloc\\.c$")
set_target_properties(mgtestref PROPERTIES SOURCES "${MG_REF_ALL}")

add_library(mgtfailalloc OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/ref/failalloc.c)
target_include_directories(mgtfailalloc PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/ref)

# Suites that inject allocation failures.  Under ASan + UBSan the interposer
# would bypass the sanitizer's allocator (its interceptors allocate with one
# and free with the other), so there they are neither built nor run.
set(MG_FAILALLOC_TESTS test_status_alloc test_fault_injection)
foreach(t ${MG_FAILALLOC_TESTS})
  target_link_libraries(${t} PRIVATE mgtfailalloc)
  if(MATGRAD_SANITIZE)
    set_target_properties(${t} PROPERTIES EXCLUDE_FROM_ALL TRUE)
    set_tests_properties(${t} PROPERTIES DISABLED TRUE)
  endif()
endforeach()

# The fault-injection test names the public function in the backtrace of an
# allocation that ended the process (its DOCUMENTED_EXITS): backtrace_symbols
# sees only the executable's exported symbols.
set_target_properties(test_fault_injection PROPERTIES ENABLE_EXPORTS ON)

# The same interposer as an LD_PRELOAD library for whole processes, armed
# from MGT_FAILALLOC_NTH and MGT_FAILALLOC_SIZE (failalloc.c).  The command's
# out-of-memory test (tests/cli/alloc_failure.sh) finds it through
# MGT_FAILALLOC_LIB; without it (sanitizer builds, for the reason above) the
# script says so and does not run.
if(NOT MATGRAD_SANITIZE)
  add_library(mgtfailalloc_preload MODULE ${CMAKE_CURRENT_SOURCE_DIR}/ref/failalloc.c)
  target_compile_definitions(mgtfailalloc_preload PRIVATE MGT_FAILALLOC_PRELOAD)
  target_link_libraries(mgtfailalloc_preload PRIVATE ${CMAKE_DL_LIBS})
  if(TEST cli_alloc_failure)
    set_tests_properties(cli_alloc_failure PROPERTIES
      ENVIRONMENT "MGT_FAILALLOC_LIB=$<TARGET_FILE:mgtfailalloc_preload>")
  endif()
endif()
