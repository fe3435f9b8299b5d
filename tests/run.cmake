# Tests of the orbit (period detection), run (training + classification) and
# `dlnsweep single` modules.
dln_add_unit_test(test_orbit tests/test_orbit.c)
dln_add_unit_test(test_run_scalar tests/test_run_scalar.c)
dln_add_unit_test(test_run_modes tests/test_run_modes.c)
