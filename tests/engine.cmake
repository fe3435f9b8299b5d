# Engine tests: exact HVP / dense Hessian / Lanczos against finite differences,
# dsyev and balanced-minimum theory; diagnostics against constructed cases.
dln_add_unit_test(test_hessian tests/test_hessian.c engine)
dln_add_unit_test(test_diagnostics tests/test_diagnostics.c engine)
