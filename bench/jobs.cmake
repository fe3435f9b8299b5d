# Whole sweeps of small networks as a user runs them (the dense bifurcation
# job, diagnostics off and on, and Figure 2's job) at 1 rank, 1 rank with
# --lanes 1 and 2 ranks, against NumPy and PyTorch loops vectorised over
# eta (bench/bench_jobs.py; the workers' wait and the writer's cost).
dln_add_bench_target(bench_jobs_table
  COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
          ${DLN_BENCH_PYTHON} ${CMAKE_SOURCE_DIR}/bench/bench_jobs.py
          --exe $<TARGET_FILE:dlnsweep>
          --launcher "${MPIEXEC_EXECUTABLE} ${MPIEXEC_PREFLAGS} --allow-run-as-root --oversubscribe"
          --work ${CMAKE_BINARY_DIR}/bench_jobs_work)
add_dependencies(bench_jobs_table dlnsweep)
