# The lane kernels and the lock-step batch: bitwise identity of a cell's
# trajectory across batch compositions, compactions, dln_model and the
# instruction sets; the lane gradient against BLAS.
dln_add_unit_test(test_batch tests/test_batch.c engine)
