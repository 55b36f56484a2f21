# SPDX-License-Identifier: BSD-3-Clause
# FindCheck: the Check unit-test framework (Debian: check).
# Defines Check_FOUND and the imported target Check::Check.  Debian's check.pc
# names libcheck_pic plus rt, m and subunit; pkg-config gives the full list.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_Check QUIET IMPORTED_TARGET check)
endif()
include(FindPackageHandleStandardArgs)
if(TARGET PkgConfig::PC_Check)
  find_package_handle_standard_args(Check REQUIRED_VARS PC_Check_LINK_LIBRARIES)
  if(NOT TARGET Check::Check)
    add_library(Check::Check INTERFACE IMPORTED)
    target_link_libraries(Check::Check INTERFACE PkgConfig::PC_Check)
  endif()
else()
  find_path(Check_INCLUDE_DIR check.h)
  find_library(Check_LIBRARY NAMES check_pic check)
  find_package_handle_standard_args(Check REQUIRED_VARS Check_LIBRARY Check_INCLUDE_DIR)
  if(Check_FOUND AND NOT TARGET Check::Check)
    add_library(Check::Check UNKNOWN IMPORTED)
    set_target_properties(Check::Check PROPERTIES
      IMPORTED_LOCATION "${Check_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${Check_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "m;rt;pthread")
  endif()
  mark_as_advanced(Check_INCLUDE_DIR Check_LIBRARY)
endif()
