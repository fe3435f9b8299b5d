# Sweep throughput (cells/s, parallel efficiency, coordinator overhead per
# cell) of `mpirun dlnsweep run` at 1 and 2 ranks, tiny and medium cells.
# Needs only Python's sqlite3; /usr/bin/python3 as for the framework race.
dln_add_bench_target(bench_sweep
  COMMAND ${DLN_BENCH_PYTHON} ${CMAKE_SOURCE_DIR}/bench/sweep_throughput.py
          --exe $<TARGET_FILE:dlnsweep>
          --launcher "${MPIEXEC_EXECUTABLE} ${MPIEXEC_PREFLAGS} --allow-run-as-root --oversubscribe"
          --work ${CMAKE_BINARY_DIR}/bench_sweep_work)
add_dependencies(bench_sweep dlnsweep)
