dln_add_unit_test(test_model tests/test_model.c engine)
