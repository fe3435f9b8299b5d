# Unit costs of the diagnostics per width: gradient, HVP, GD step, step with
# a trajectory point, 20 Lanczos steps full and capped
# (docs/cost-of-diagnostics.md).
dln_add_bench_exe(bench_diag_units bench/bench_diag_units.c engine)
dln_add_bench_target(bench_diag_units_table
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          $<TARGET_FILE:bench_diag_units> 3 64 128 256 512)
add_dependencies(bench_diag_units_table bench_diag_units)
