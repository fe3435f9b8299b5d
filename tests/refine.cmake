dln_add_unit_test(test_stability tests/test_stability.c engine)
dln_add_unit_test(test_refine tests/test_refine.c job)

# Adaptive refinement end to end (tests/refine_sweep.py): bisection to the
# period-doubling points of the scalar models, through `dlnsweep run`.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
string(REPLACE ";" " " DLN_MPI_RUN_TEXT "${DLN_MPI_RUN}")
set(DLN_REFINE_FIGURE_ARGS)
if(DLN_PYTHON3)   # found by analysis.cmake: also check the cascade figure
  set(DLN_REFINE_FIGURE_ARGS --python ${DLN_PYTHON3})
endif()
foreach(case l2 l3)
  set(extra)
  if(case STREQUAL "l3")
    set(extra ${DLN_REFINE_FIGURE_ARGS})
  endif()
  add_test(NAME refine_sweep_${case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/refine_sweep.py
            ${case} --exe $<TARGET_FILE:dlnsweep> --launcher "${DLN_MPI_RUN_TEXT}"
            --tests ${CMAKE_SOURCE_DIR}/tests
            --work ${CMAKE_CURRENT_BINARY_DIR}/refine_work
            ${extra})
  set_tests_properties(refine_sweep_${case} PROPERTIES
    ENVIRONMENT "OPENBLAS_NUM_THREADS=1" TIMEOUT 600 LABELS "refine;mpi")
endforeach()
