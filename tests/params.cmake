# Run parameters: the golden identities every database relies on (cell
# hashes, derived seeds, spec hashes and task lists of the shipped jobs).
dln_add_unit_test(test_identity tests/test_identity.c job)
target_compile_definitions(test_identity PRIVATE
  DLN_TEST_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

# The parameter table itself: rows against dln_params, accessors, text
# forms, validation, and the rule for rows added later.
dln_add_unit_test(test_params tests/test_params.c core)
