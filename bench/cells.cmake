# The engine's cost per cell of the dense bifurcation job: dln_run_batch
# over its 1000 cells without the sweep or the database
# (docs/cost-of-cells.md).
dln_add_bench_exe(bench_cells bench/bench_cells.c engine)
dln_add_bench_target(bench_cells_table
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          $<TARGET_FILE:bench_cells>)
add_dependencies(bench_cells_table bench_cells)
