# Lyapunov exponents with error bars, Floquet multipliers and the SVS
# in-set / transverse split (lyapunov.h, floquet.h, svs.h, transverse.h):
# unit tests against closed forms, and the engine's numbers against an
# independent NumPy reference (tests/ref_floquet.py) through svs_probe.
add_executable(svs_probe ${CMAKE_SOURCE_DIR}/tests/svs_probe.c)
target_link_libraries(svs_probe PRIVATE dln_engine)
dln_add_unit_test(test_svs tests/test_svs.c engine)
dln_add_unit_test(test_floquet tests/test_floquet.c engine)
add_test(NAME svs_reference
  COMMAND ${DLN_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/test_svs_reference.py
          $<TARGET_FILE:svs_probe>)
set_tests_properties(svs_reference PROPERTIES
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1" TIMEOUT 120)
