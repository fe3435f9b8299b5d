dln_add_unit_test(test_stability tests/test_stability.c)
dln_add_unit_test(test_refine tests/test_refine.c)
