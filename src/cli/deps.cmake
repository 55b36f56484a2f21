# SPDX-License-Identifier: BSD-3-Clause
# Dependencies of the matgrad command (included by the top CMakeLists for the
# matgrad-cli target): libcsv parses its CSV input.  gnuplot, used for
# --plot, is found at run time on PATH, not at build time.  The command
# calls no BLAS or LAPACK routine itself: its fits go through the library's
# public API (include/matgrad/fit.h).
find_package(CSV REQUIRED)
target_link_libraries(matgrad-cli PRIVATE CSV::CSV)
# OpenMP (found by the top CMakeLists) parses the byte ranges of a large
# regular file on several threads (fit_chunks.c); without it they are
# parsed one after the other, with the same results.
if(OpenMP_C_FOUND)
  target_link_libraries(matgrad-cli PRIVATE OpenMP::OpenMP_C)
endif()
# The manual page.
install(FILES ${PROJECT_SOURCE_DIR}/docs/matgrad.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# MPI (docs/mpi.md, "The command"): with the MPI layer built, the command
# runs on MPI ranks under an MPI launcher (src/cli/fit_mpi.c), linked with
# the layer (gradient descent: mg_mpi_gd_fit, mg_mpi_lstsq) and merging its
# ranks' states with the layer's reduction tree (src/mpi/tree.c, compiled
# in: its functions are the layer's private ones).  A plain run never calls
# MPI_Init.
if(TARGET matgrad_mpi)
  target_sources(matgrad-cli PRIVATE ${PROJECT_SOURCE_DIR}/src/mpi/tree.c)
  target_include_directories(matgrad-cli PRIVATE ${PROJECT_SOURCE_DIR}/src/mpi)
  target_compile_definitions(matgrad-cli PRIVATE MATGRAD_CLI_MPI=1)
  target_link_libraries(matgrad-cli PRIVATE matgrad_mpi MPI::MPI_C)
endif()
