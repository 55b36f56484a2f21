# SPDX-License-Identifier: BSD-3-Clause
# Check suites of the command's own modules (src/cli): the suite is made
# from tests/test_cli_*.c by tests/CMakeLists.txt; the module's sources are
# compiled into it here.
if(TARGET test_cli_summary)
  target_sources(test_cli_summary PRIVATE
    ${PROJECT_SOURCE_DIR}/src/cli/summary.c ${PROJECT_SOURCE_DIR}/src/cli/rformat.c)
  target_include_directories(test_cli_summary PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)
endif()
if(TARGET test_cli_model_file)
  target_sources(test_cli_model_file PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/model_file.c)
  target_include_directories(test_cli_model_file PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)
endif()
if(TARGET test_cli_lowess)
  target_sources(test_cli_lowess PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/lowess.c)
  target_include_directories(test_cli_lowess PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)
endif()
if(TARGET test_cli_quantiles)
  target_sources(test_cli_quantiles PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/quantiles.c
    ${PROJECT_SOURCE_DIR}/src/cli/rformat.c)
  target_include_directories(test_cli_quantiles PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)
endif()
