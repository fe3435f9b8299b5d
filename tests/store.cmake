# The results database (src/store/): unit tests and the CLI around it.
dln_add_unit_test(test_store ${CMAKE_SOURCE_DIR}/tests/test_store.c store)
# tests/store_v3.sql: a schema-version-3 file for the migration test.
target_compile_definitions(test_store PRIVATE
  DLN_TEST_SOURCE_DIR="${CMAKE_SOURCE_DIR}/tests")
dln_add_unit_test(test_store_writer ${CMAKE_SOURCE_DIR}/tests/test_store_writer.c store)

add_executable(store_fixture ${CMAKE_SOURCE_DIR}/tests/store_fixture.c)
target_link_libraries(store_fixture PRIVATE dln_store)
add_test(NAME cli_store
  COMMAND sh ${CMAKE_SOURCE_DIR}/tests/cli_store.sh $<TARGET_FILE:dlnsweep>
          $<TARGET_FILE:store_fixture> ${CMAKE_CURRENT_BINARY_DIR}/cli_store)
set_tests_properties(cli_store PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1"
  TIMEOUT 60)
# Every command's --help, -h, unknown options and missing values (exit 0 /
# exit 2 with one line, the database untouched).
add_test(NAME cli_options
  COMMAND sh ${CMAKE_SOURCE_DIR}/tests/cli_options.sh $<TARGET_FILE:dlnsweep>
          $<TARGET_FILE:store_fixture> ${CMAKE_CURRENT_BINARY_DIR}/cli_options)
set_tests_properties(cli_options PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1"
  TIMEOUT 120)
