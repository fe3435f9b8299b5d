# Engine tests: exact HVP / dense Hessian / Lanczos against finite differences,
# dsyev and balanced-minimum theory; diagnostics against constructed cases.
dln_add_unit_test(test_hessian tests/test_hessian.c engine)
dln_add_unit_test(test_diagnostics tests/test_diagnostics.c engine)
# Exact bifurcation points (gmres.h, orbitsolve.h, continuation.h): the
# located flips and folds against the independent mpmath reference
# tests/ref_cascade.py, whose values test_cascade_reference recomputes and
# checks against the issue's table and the C test's constants.
dln_add_unit_test(test_continuation tests/test_continuation.c engine)
add_test(NAME cascade_reference
  COMMAND ${DLN_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/ref_cascade.py --check
          --c-constants ${CMAKE_SOURCE_DIR}/tests/test_continuation.c)
set_tests_properties(cascade_reference PROPERTIES TIMEOUT 120)
# The warm-started per-step Hessian tracker against the dense spectrum.
dln_add_unit_test(test_ritz tests/test_ritz.c engine)
