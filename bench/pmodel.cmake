# Wide-network benchmark: ms per distributed GD step and GFLOP/s for
# d = 256..2048 on 1, 2 and 4 ranks, with speed-ups measured in one run.
dln_add_bench_exe(bench_pmodel bench/bench_pmodel.c engine)
dln_add_bench_target(bench_pmodel_run
  COMMAND ${CMAKE_SOURCE_DIR}/bench/run_pmodel.sh $<TARGET_FILE:bench_pmodel>
          ${MPIEXEC_EXECUTABLE})
add_dependencies(bench_pmodel_run bench_pmodel)
