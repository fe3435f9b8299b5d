# Tests of the orbit (period detection), run (training + classification) and
# `dlnsweep single` modules.
dln_add_unit_test(test_orbit tests/test_orbit.c)
