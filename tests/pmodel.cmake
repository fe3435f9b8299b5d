# The distributed model against the serial one and theory, on grids 1x1,
# 1x2 and 2x2 (4 ranks oversubscribed on small machines).
add_executable(test_pmodel ${CMAKE_SOURCE_DIR}/tests/test_pmodel.c)
target_link_libraries(test_pmodel PRIVATE dln_engine ${CMOCKA_LIBRARIES})
foreach(np 1 2 4)
  add_test(NAME test_pmodel_np${np}
           COMMAND ${DLN_MPI_RUN} ${MPIEXEC_NUMPROC_FLAG} ${np}
                   $<TARGET_FILE:test_pmodel>)
  set_tests_properties(test_pmodel_np${np} PROPERTIES
    ENVIRONMENT "OPENBLAS_NUM_THREADS=1" LABELS "mpi;pmodel" TIMEOUT 120)
endforeach()

# dln_prun against dln_run, field by field, on a 2x2 grid.
add_executable(test_prun ${CMAKE_SOURCE_DIR}/tests/test_prun.c)
target_link_libraries(test_prun PRIVATE dln_engine ${CMOCKA_LIBRARIES})
add_test(NAME test_prun_np4
         COMMAND ${DLN_MPI_RUN} ${MPIEXEC_NUMPROC_FLAG} 4 $<TARGET_FILE:test_prun>)
set_tests_properties(test_prun_np4 PROPERTIES
  ENVIRONMENT "OPENBLAS_NUM_THREADS=1" LABELS "mpi;pmodel" TIMEOUT 180)
