# SPDX-License-Identifier: BSD-3-Clause
# The least-squares reference (tests/ref/ref_lstsq.c) solves exactly in
# rational arithmetic with GMP.
find_library(MG_GMP_LIBRARY gmp REQUIRED)
find_path(MG_GMP_INCLUDE gmp.h REQUIRED)
target_include_directories(mgtestref PRIVATE ${MG_GMP_INCLUDE})
target_link_libraries(mgtestref PUBLIC ${MG_GMP_LIBRARY})
