dln_add_unit_test(test_stability tests/test_stability.c engine)
dln_add_unit_test(test_refine tests/test_refine.c job)

# Adaptive refinement end to end (tests/refine_sweep.py): bisection to the
# period-doubling points of the scalar models, and their exact location by
# continuation (contin-l2..4, against tests/ref_cascade.py's values),
# through `dlnsweep run`.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
set(DLN_REFINE_FIGURE_ARGS)
if(DLN_PYTHON3)   # found by analysis.cmake: also check the cascade figure
  set(DLN_REFINE_FIGURE_ARGS --python ${DLN_PYTHON3})
endif()
foreach(case l2 l3 contin-l2 contin-l3 contin-l4)
  set(extra)
  if(case STREQUAL "l3" OR case STREQUAL "contin-l3")
    set(extra ${DLN_REFINE_FIGURE_ARGS})
  endif()
  # refine_sweep.py runs its sweeps on 3 ranks, one at a time.
  dln_add_mpi_test(NAME refine_sweep_${case} NP 3
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/refine_sweep.py
            ${case} --exe $<TARGET_FILE:dlnsweep> --launcher "${DLN_MPI_RUN_TEXT}"
            --tests ${CMAKE_SOURCE_DIR}/tests
            --work ${CMAKE_CURRENT_BINARY_DIR}/refine_work
            ${extra}
    LABELS refine TIMEOUT 600)
endforeach()
