# Sweep bookkeeping and the grid language (issue 18): overlapping sweeps
# and `single` in one database, forget + rerun, --retry of injected
# errors, the cell-hash collision guard, zip/exclude/times_edge grids.
# See tests/bookkeeping_test.py.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  foreach(case overlap forget retry refine collision grid)
    dln_add_mpi_test(NAME bookkeeping_${case} NP 1
      COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/bookkeeping_test.py
              ${case} --exe $<TARGET_FILE:dlnsweep> --repo ${CMAKE_SOURCE_DIR}
              --work ${CMAKE_CURRENT_BINARY_DIR}/bookkeeping_work
              --launcher "${DLN_MPI_RUN_TEXT}"
      LABELS bookkeeping TIMEOUT 120)
  endforeach()
endif()
