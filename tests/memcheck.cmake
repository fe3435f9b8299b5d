# memcheck.cmake — the memory checkers.  -DDLN_VALGRIND=ON registers tests
# under valgrind (label valgrind; a few minutes): the store and job file
# unit tests, and every command through tests/memcheck.sh with sweeps run
# as `mpiexec -n 2 valgrind ./dlnsweep` (valgrind inside the launcher,
# Open MPI's own leaks suppressed by tests/supp/ompi.supp).  A build with
# -DDLN_SANITIZE=ON (ASan + UBSan) labels a subset of the suite `sanitize`
# instead (tests/CMakeLists.txt).  .ci/run runs both labels.
option(DLN_VALGRIND "Register the valgrind tests (label valgrind)" OFF)
if(DLN_VALGRIND)
  find_program(DLN_VALGRIND_EXE valgrind REQUIRED)
  set(DLN_VG ${DLN_VALGRIND_EXE} -q --error-exitcode=99 --num-callers=40
      --leak-check=full --errors-for-leak-kinds=definite
      --suppressions=${DLN_SUPP_DIR}/ompi.supp)
  foreach(t test_store test_jobspec)
    add_test(NAME valgrind_${t} COMMAND ${DLN_VG} $<TARGET_FILE:${t}>)
    set_tests_properties(valgrind_${t} PROPERTIES LABELS valgrind
      TIMEOUT 900 ENVIRONMENT OPENBLAS_NUM_THREADS=1)
  endforeach()
  dln_add_mpi_test(NAME valgrind_commands NP 2
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/memcheck.sh $<TARGET_FILE:dlnsweep>
            ${CMAKE_CURRENT_BINARY_DIR}/valgrind_commands ${DLN_VG}
    LABELS valgrind TIMEOUT 900
    ENVIRONMENT "MPIEXEC=${DLN_MPI_RUN_TEXT}")
endif()
