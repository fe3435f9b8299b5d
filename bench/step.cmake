# Per-step efficiency vs single-thread DGEMM peak, and the framework race
# (dlnsweep vs the same loop in NumPy and PyTorch: with the sharpness
# cadence of the issue, then steps only).
dln_add_bench_exe(bench_step bench/bench_step.c engine)
dln_add_bench_target(bench_step_table
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1 $<TARGET_FILE:bench_step>)
add_dependencies(bench_step_table bench_step)
dln_add_bench_target(bench_frameworks
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          ${DLN_BENCH_PYTHON} ${CMAKE_SOURCE_DIR}/bench/compare_frameworks.py
          $<TARGET_FILE:bench_step> --every 10
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          ${DLN_BENCH_PYTHON} ${CMAKE_SOURCE_DIR}/bench/compare_frameworks.py
          $<TARGET_FILE:bench_step> --every 0 --sizes 8,16,32,128)
add_dependencies(bench_frameworks bench_step)
