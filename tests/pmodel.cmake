# The distributed model against the serial one and theory, on grids 1x1,
# 1x2 and 2x2 (4 ranks oversubscribed on small machines).
add_executable(test_pmodel ${CMAKE_SOURCE_DIR}/tests/test_pmodel.c)
target_link_libraries(test_pmodel PRIVATE dln_engine ${CMOCKA_LIBRARIES})
foreach(np 1 2 4)
  dln_add_mpi_test(NAME test_pmodel_np${np} NP ${np} TARGET test_pmodel
                   LABELS pmodel TIMEOUT 120)
endforeach()

# dln_prun against dln_run, field by field, on a 2x2 grid.
add_executable(test_prun ${CMAKE_SOURCE_DIR}/tests/test_prun.c)
target_link_libraries(test_prun PRIVATE dln_engine ${CMOCKA_LIBRARIES})
dln_add_mpi_test(NAME test_prun_np4 NP 4 TARGET test_prun
                 LABELS pmodel TIMEOUT 180)
