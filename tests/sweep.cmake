# Integration tests of `dlnsweep run` (src/sweep/, src/cli/cli_run.c): the
# sweep under 1-4 MPI ranks, drain on signals, crash and resume, input
# errors, shards. Each case runs a few sweeps of seconds; see
# tests/sweep_test.py for what each checks.
dln_add_unit_test(test_sweep_parts ${CMAKE_SOURCE_DIR}/tests/test_sweep_parts.c sweep)
dln_add_unit_test(test_sweep_queue ${CMAKE_SOURCE_DIR}/tests/test_sweep_queue.c sweep)

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  string(REPLACE ";" " " DLN_MPI_RUN_TEXT "${DLN_MPI_RUN}")
  foreach(case ranks drain-usr1 drain-term drain-alone crash errors-job errors-db shard wide)
    add_test(NAME sweep_${case}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/sweep_test.py
              ${case} --exe $<TARGET_FILE:dlnsweep>
              --launcher "${DLN_MPI_RUN_TEXT}"
              --jobs ${CMAKE_SOURCE_DIR}/jobs --tests ${CMAKE_SOURCE_DIR}/tests
              --work ${CMAKE_CURRENT_BINARY_DIR}/sweep_work)
    set_tests_properties(sweep_${case} PROPERTIES
      ENVIRONMENT "OPENBLAS_NUM_THREADS=1" TIMEOUT 120 LABELS "sweep;mpi")
  endforeach()
endif()
