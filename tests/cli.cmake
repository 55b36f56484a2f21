# SPDX-License-Identifier: BSD-3-Clause
# Tests of the matgrad command (tests/cli/*.sh, one ctest test each: run from
# a scratch directory with the built command and the reference data in tests/data)
# and a replay of the CSV fuzzer's seed corpus through the loader.
if(TARGET matgrad-cli)
  file(GLOB MG_CLI_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cli/*.sh)
  list(FILTER MG_CLI_TESTS EXCLUDE REGEX "/lib\\.sh$")
  foreach(script ${MG_CLI_TESTS})
    get_filename_component(name ${script} NAME_WE)
    add_test(NAME cli_${name}
      COMMAND bash ${script} $<TARGET_FILE:matgrad-cli> ${PROJECT_SOURCE_DIR}/tests/data
              ${CMAKE_CURRENT_BINARY_DIR}/cli-${name})
  endforeach()

  # The fuzz target's checks (same outcome whatever the chunking) on every
  # seed input, in every build including the sanitizer one.
  add_executable(fuzz_csv_replay
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_csv.c ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/replay.c
    ${PROJECT_SOURCE_DIR}/src/cli/csv_load.c ${PROJECT_SOURCE_DIR}/src/cli/fit_data.c
    ${PROJECT_SOURCE_DIR}/src/cli/csv_sep.c ${PROJECT_SOURCE_DIR}/src/cli/factor.c)
  target_include_directories(fuzz_csv_replay PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)
  target_link_libraries(fuzz_csv_replay PRIVATE CSV::CSV)
  file(GLOB MG_FUZZ_SEEDS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/*)
  add_test(NAME cli_fuzz_corpus_replay COMMAND fuzz_csv_replay ${MG_FUZZ_SEEDS})
endif()

# Unit tests of the command's standalone modules (tests/test_cli_*.c, made
# targets by tests/CMakeLists.txt): the module's source joins the test.
foreach(pair "test_cli_sep:csv_sep" "test_cli_factor:factor")
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 t)
  list(GET pair 1 src)
  if(TARGET ${t})
    target_sources(${t} PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/${src}.c)
  endif()
endforeach()
