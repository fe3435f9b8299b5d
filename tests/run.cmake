# Tests of the orbit (period detection), run (training + classification) and
# `dlnsweep single` modules.
dln_add_unit_test(test_orbit tests/test_orbit.c engine)
dln_add_unit_test(test_run_scalar tests/test_run_scalar.c engine)
dln_add_unit_test(test_run_modes tests/test_run_modes.c engine)
# The regime decision (label.h) on constructed evidence.
dln_add_unit_test(test_label tests/test_label.c engine)
# `dlnsweep single`: exit codes, --json, --db (python3 + its sqlite3 module).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME single_cli
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/single_cli.py
            $<TARGET_FILE:dlnsweep>)
  set_tests_properties(single_cli PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1"
                       TIMEOUT 120)
endif()
# Issue 14's regression cases through `dlnsweep single`: labels, Floquet
# multipliers and exponents against closed forms and the NumPy references
# (tests/ref_floquet.py, tests/ref_labels.py; svs_probe prints a run's
# problem for the latter).
add_test(NAME labels
  COMMAND ${DLN_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/test_labels.py
          $<TARGET_FILE:dlnsweep> $<TARGET_FILE:svs_probe>)
set_tests_properties(labels PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1"
                     TIMEOUT 300)
