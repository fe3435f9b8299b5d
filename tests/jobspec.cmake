# Job files: parsing, expansion, canonical hash, malformed inputs (library),
# and `dlnsweep check` exit codes / one-line errors (CLI).
dln_add_unit_test(test_jobspec tests/test_jobspec.c job)
target_compile_definitions(test_jobspec PRIVATE
  DLN_TEST_SOURCE_DIR="${CMAKE_SOURCE_DIR}" DLN_EXE="$<TARGET_FILE:dlnsweep>")
add_dependencies(test_jobspec dlnsweep)
add_test(NAME test_jobspec_cli COMMAND test_jobspec cli)
set_tests_properties(test_jobspec_cli PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
