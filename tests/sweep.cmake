# Integration tests of `dlnsweep run` (src/sweep/, src/cli/cli_run.c): the
# sweep under 1-4 MPI ranks, drain on signals, crash and resume, input
# errors, shards. Each case runs a few sweeps of seconds; see
# tests/sweep_test.py for what each checks.
dln_add_unit_test(test_sweep_parts ${CMAKE_SOURCE_DIR}/tests/test_sweep_parts.c sweep)
dln_add_unit_test(test_sweep_queue ${CMAKE_SOURCE_DIR}/tests/test_sweep_queue.c sweep)

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  # CASE:NP, NP the most processes a case runs at once: ranks reaches 4,
  # the drain and crash cases run 3, errors-job 2 under the launcher and
  # then 8 rank-less runs at a time, the others single processes.
  foreach(case_np ranks:4 drain-usr1:3 drain-term:3 drain-alone:1 crash:3
                  errors-job:8 errors-db:1 shard:2 wide:4 lanes:3)
    string(REPLACE ":" ";" case_np ${case_np})
    list(GET case_np 0 case)
    list(GET case_np 1 np)
    dln_add_mpi_test(NAME sweep_${case} NP ${np}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/sweep_test.py
              ${case} --exe $<TARGET_FILE:dlnsweep>
              --launcher "${DLN_MPI_RUN_TEXT}"
              --jobs ${CMAKE_SOURCE_DIR}/jobs --tests ${CMAKE_SOURCE_DIR}/tests
              --work ${CMAKE_CURRENT_BINARY_DIR}/sweep_work
      LABELS sweep TIMEOUT 120)
  endforeach()
endif()
