# The lane kernels: batched GD per cell-step against NumPy stepping every
# eta at once and against one core's add+mul peak, per instruction set, and
# the one-cell step on BLAS and on lanes (the threshold DLN_LANES_MAX_DIM).
dln_add_bench_exe(bench_lanes bench/bench_lanes.c engine)
target_compile_options(bench_lanes PRIVATE -ffp-contract=off)
dln_add_bench_target(bench_lanes_table
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          ${DLN_BENCH_PYTHON} ${CMAKE_SOURCE_DIR}/bench/bench_lanes.py
          $<TARGET_FILE:bench_lanes>
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          $<TARGET_FILE:bench_lanes> model)
add_dependencies(bench_lanes_table bench_lanes)
