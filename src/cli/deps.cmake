# SPDX-License-Identifier: BSD-3-Clause
# Dependencies of the matgrad command (included by the top CMakeLists for the
# matgrad-cli target): libcsv parses its CSV input.  gnuplot, used for
# --plot, is found at run time on PATH, not at build time.
find_package(CSV REQUIRED)
target_link_libraries(matgrad-cli PRIVATE CSV::CSV)
# --method normal streams its cross products through CBLAS and LAPACKE.
target_link_libraries(matgrad-cli PRIVATE OpenBLAS::OpenBLAS LAPACKE::LAPACKE)
# The manual page.
install(FILES ${PROJECT_SOURCE_DIR}/docs/matgrad.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
