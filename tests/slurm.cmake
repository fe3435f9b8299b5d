# slurm.cmake — the Slurm batch scripts (slurm/) against a real one-node
# Slurm started in a temp dir: array shards + merge, then a sweep that must
# drain on SIGUSR1 and requeue itself before it completes (about 2-3 min).
# Skips (exit 77) without slurm-wlm/munge (.ci/install-deps installs them) or
# root.  Exclude it with `ctest -LE slurm`.
add_test(NAME slurm_requeue
         COMMAND ${CMAKE_SOURCE_DIR}/tests/slurm_requeue.sh
                 $<TARGET_FILE:dlnsweep> ${CMAKE_SOURCE_DIR})
set_tests_properties(slurm_requeue PROPERTIES
  LABELS "slurm"
  SKIP_RETURN_CODE 77
  TIMEOUT 600
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
