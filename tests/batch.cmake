# The lane kernels and the lock-step batch: bitwise identity of a cell's
# trajectory across batch compositions, compactions, dln_model and the
# instruction sets; the lane gradient against BLAS.
dln_add_unit_test(test_batch tests/test_batch.c engine)
# The batched run (dln_run_batch): every result bitwise dln_run's, across
# batch compositions, orders, diverging neighbours and shapes.
dln_add_unit_test(test_run_batch tests/test_run_batch.c engine)
