# Floquet multipliers: dense dgeev vs ARPACK Arnoldi by block size (where
# floquet.h's default dense_max sits).
dln_add_bench_exe(bench_floquet bench/bench_floquet.c engine)
dln_add_bench_target(bench_floquet_table
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1 $<TARGET_FILE:bench_floquet>)
add_dependencies(bench_floquet_table bench_floquet)
