# Tests of the orbit (period detection), run (training + classification) and
# `dlnsweep single` modules.
dln_add_unit_test(test_orbit tests/test_orbit.c engine)
dln_add_unit_test(test_run_scalar tests/test_run_scalar.c engine)
dln_add_unit_test(test_run_modes tests/test_run_modes.c engine)
# `dlnsweep single`: exit codes, --json, --db (python3 + its sqlite3 module).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME single_cli
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/single_cli.py
            $<TARGET_FILE:dlnsweep>)
  set_tests_properties(single_cli PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1"
                       TIMEOUT 120)
endif()
