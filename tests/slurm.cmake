# slurm.cmake — the Slurm batch scripts (slurm/) against a real one-node
# Slurm started in a temp dir: array shards + merge, then a sweep that must
# drain on SIGUSR1 and requeue itself before it completes (about 2-3 min).
# Skips (exit 77) without slurm-wlm/munge (.ci/install-deps installs them) or
# root.  Exclude it with `ctest -LE slurm`.  Its node has 2 CPUs, so the
# jobs (mpirun -n 2 each) run one at a time.
dln_add_mpi_test(NAME slurm_requeue NP 2
  COMMAND ${CMAKE_SOURCE_DIR}/tests/slurm_requeue.sh
          $<TARGET_FILE:dlnsweep> ${CMAKE_SOURCE_DIR}
  LABELS slurm TIMEOUT 600 PROPERTIES SKIP_RETURN_CODE 77)
