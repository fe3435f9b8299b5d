# SQLite ingest rate of the results store (dln_store_put_run in batches).
dln_add_bench_exe(bench_ingest bench/bench_ingest.c store)
dln_add_bench_target(bench_ingest_table
  COMMAND $<TARGET_FILE:bench_ingest> ${CMAKE_BINARY_DIR})
add_dependencies(bench_ingest_table bench_ingest)
