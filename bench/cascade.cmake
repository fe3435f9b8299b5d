# The cascade located by bisection and by continuation (docs/sweeps.md,
# "Adaptive refinement"): flips, errors against the mpmath reference, wall
# time on 3 ranks.
dln_add_bench_target(bench_cascade
  COMMAND ${DLN_BENCH_PYTHON} ${CMAKE_SOURCE_DIR}/bench/cascade_methods.py
          --exe $<TARGET_FILE:dlnsweep>
          --launcher "${MPIEXEC_EXECUTABLE} ${MPIEXEC_PREFLAGS} --allow-run-as-root --oversubscribe"
          --work ${CMAKE_BINARY_DIR}/bench_cascade_work)
add_dependencies(bench_cascade dlnsweep)
