# SPDX-License-Identifier: BSD-3-Clause
# The MPI layer's suites (tests/mpi/test_mpi_*.c, docs/mpi.md), each run
# under mpirun with 1, 2, 3 and 4 ranks on this machine, when matgrad_mpi
# is built.  They are plain C with an exit status (Check's forking runner
# does not mix with MPI).  Labelled "numeric" too: scripts/test.sh reruns
# them under each thread count and kernel of its matrix.
if(NOT TARGET matgrad_mpi)
  return()
endif()

# Open MPI: as root it needs the two ALLOW variables; more ranks than
# cores need --oversubscribe; the shared-memory transport (vader) without
# its single-copy mechanism (CMA needs ptrace rights that containers often
# withhold), and the self transport: loopback only, no network.
set(MG_MPIEXEC_FLAGS "")
set(MG_MPI_ENV "")
execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE MG_MPIEXEC_VERSION
  ERROR_QUIET RESULT_VARIABLE MG_MPIEXEC_RC)
if(MG_MPIEXEC_VERSION MATCHES "Open MPI|OpenRTE")
  set(MG_MPIEXEC_FLAGS --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
  set(MG_MPI_ENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1)
endif()
# Open MPI's own allocations that outlive MPI_Finalize are not ours: they
# are suppressed by library (tests/mpi/lsan.supp), which needs whole stacks
# (the fast unwinder stops in Open MPI's frames without frame pointers).
# Leaks stay detected everywhere else, as the sanitize stage asks.  A
# suppressed leak prints nothing (print_suppressions=0): the command's
# tests compare its whole stderr with one process's.
if(MATGRAD_SANITIZE)
  list(APPEND MG_MPI_ENV "ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0"
       "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/mpi/lsan.supp:print_suppressions=0")
endif()

file(GLOB MG_MPI_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_mpi_*.c)
foreach(src ${MG_MPI_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/mpi)
  target_link_libraries(${name} PRIVATE matgrad_mpi mgtestref)
  foreach(np 1 2 3 4)
    add_test(NAME ${name}_np${np}
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MG_MPIEXEC_FLAGS}
              ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${name}> ${MPIEXEC_POSTFLAGS})
    # A deadlock must fail, not hang: the suites take seconds.
    set_tests_properties(${name}_np${np} PROPERTIES
      ENVIRONMENT "${MG_MPI_ENV}" TIMEOUT 120 PROCESSORS ${np}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} LABELS "mpi;numeric")
  endforeach()
endforeach()

# Allocation failures on one rank (tests/mpi/alloc_mpi_lstsq.c): the layer's
# sources and the static matgrad in the executable, so that the interposer
# (tests/failalloc.cmake) can fail their allocations and spare Open MPI's.
# Not under the sanitizers, whose allocator the interposer would bypass.
if(NOT MATGRAD_SANITIZE)
  add_executable(alloc_mpi_lstsq ${CMAKE_CURRENT_SOURCE_DIR}/mpi/alloc_mpi_lstsq.c ${MG_MPI_SOURCES})
  target_include_directories(alloc_mpi_lstsq PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/mpi
                             ${PROJECT_SOURCE_DIR}/src/mpi)
  target_link_libraries(alloc_mpi_lstsq PRIVATE mgtfailalloc mgtestref MPI::MPI_C ${CMAKE_DL_LIBS})
  foreach(np 1 2 3 4)
    add_test(NAME alloc_mpi_lstsq_np${np}
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MG_MPIEXEC_FLAGS}
              ${MPIEXEC_PREFLAGS} $<TARGET_FILE:alloc_mpi_lstsq> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(alloc_mpi_lstsq_np${np} PROPERTIES
      ENVIRONMENT "${MG_MPI_ENV}" TIMEOUT 120 PROCESSORS ${np}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} LABELS mpi)
  endforeach()
endif()

# The installed MPI layer: find_package(matgrad COMPONENTS mpi) and
# pkg-config matgrad_mpi consumers, run on 2 ranks.  Not in sanitizer
# builds (the consumer would need the sanitizer runtime).
if(NOT MATGRAD_SANITIZE)
  add_test(NAME install_consumer_mpi
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/mpi/install.sh ${PROJECT_BINARY_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/install-check-mpi
            ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 ${MG_MPIEXEC_FLAGS})
  set_tests_properties(install_consumer_mpi PROPERTIES
    ENVIRONMENT "${MG_MPI_ENV}" TIMEOUT 300 LABELS mpi)
endif()

# The command on ranks (tests/mpi/cli_fit.sh, docs/mpi.md "The command"):
# `mpirun -np N matgrad fit` against the plain command, N = 1..4.
if(TARGET matgrad-cli)
  foreach(np 1 2 3 4)
    add_test(NAME cli_mpi_fit_np${np}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/mpi/cli_fit.sh $<TARGET_FILE:matgrad-cli>
              ${PROJECT_SOURCE_DIR}/tests/data ${CMAKE_CURRENT_BINARY_DIR}/cli-mpi-fit-np${np}
              ${np} ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${MG_MPIEXEC_FLAGS})
    # 10-20 s; several times that under the sanitizers (each mpirun
    # starts N instrumented processes)
    set(MG_CLI_MPI_TIMEOUT 120)
    if(MATGRAD_SANITIZE)
      set(MG_CLI_MPI_TIMEOUT 300)
    endif()
    set_tests_properties(cli_mpi_fit_np${np} PROPERTIES
      ENVIRONMENT "${MG_MPI_ENV}" TIMEOUT ${MG_CLI_MPI_TIMEOUT} PROCESSORS ${np} LABELS mpi)
  endforeach()
endif()
