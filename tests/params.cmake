# Run parameters: the golden identities every database relies on (cell
# hashes, derived seeds, spec hashes and task lists of the shipped jobs).
dln_add_unit_test(test_identity tests/test_identity.c job)
target_compile_definitions(test_identity PRIVATE
  DLN_TEST_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

# The parameter table itself: rows against dln_params, accessors, text
# forms, validation, and the rule for rows added later.
dln_add_unit_test(test_params tests/test_params.c core)

# docs/job-files.md's parameter tables are `dlnsweep params --markdown`
# (the failure message names the command that regenerates them).
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME docs_params
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/docs_params.py
          $<TARGET_FILE:dlnsweep> ${CMAKE_SOURCE_DIR}/docs/job-files.md)
