# Allocation-failure injection (tests/test_fault_injection.c).  The
# interposer tests/fault/failalloc.c defines malloc and friends, so it is
# compiled into this executable only, never into mgtestref (which every
# test links), and the test is left out of sanitizer builds, where its
# malloc would replace ASan's allocator.
if(NOT MATGRAD_SANITIZE)
  add_executable(test_fault_injection
    ${CMAKE_CURRENT_SOURCE_DIR}/test_fault_injection.c
    ${CMAKE_CURRENT_SOURCE_DIR}/fault/failalloc.c)
  target_include_directories(test_fault_injection PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/fault)
  target_link_libraries(test_fault_injection PRIVATE mgtestref)
  add_test(NAME test_fault_injection COMMAND test_fault_injection)
  set_tests_properties(test_fault_injection PROPERTIES
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} TIMEOUT 300)
endif()
