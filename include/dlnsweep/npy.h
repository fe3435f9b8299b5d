/* npy.h — a strict reader of NumPy's .npy files of float64 values, the
 * format of an explicit initialisation (`init: file`).
 *
 * Accepted: format versions 1.0, 2.0 and 3.0; 'descr' '<f8' (little-endian
 * float64; '|f8' and '=f8' are not written by NumPy for doubles and are
 * refused, as is every other type); 'fortran_order' True or False; any
 * 'shape' (a tuple of non-negative integers; () is one value); and exactly
 * the data the header announces (no trailing bytes).  Values come back in
 * C (row-major) order, whichever order the file stores: for a 1-D array,
 * the order of the array.  Debian packages no C library for .npy (libnpy
 * is not packaged; cnpy neither), and HDF5 would make every user install
 * h5py to write a vector, while np.save is in every NumPy: so this small
 * reader, which refuses anything it does not fully understand.
 *
 * An init file holds the network's weights as one flat vector in
 * dlnsweep's parameter layout (model.h: layer 1 first, each layer a
 * d_l x d_{l-1} block in column-major order), e.g. written by
 *     np.save("init.npy", np.concatenate([W.ravel(order="F") for W in Ws]))
 * Its identity is dln_npy_hash of those values, not its path. */
#ifndef DLNSWEEP_NPY_H
#define DLNSWEEP_NPY_H

#include <stddef.h>
#include <stdint.h>
#include "dlnsweep/params.h"

/* Read path into *data (malloc'ed, caller frees; NULL when n = 0) and *n.
 * Returns 0, 2 with "PATH: reason" in err (not a readable .npy file of
 * float64 values), or 1 on allocation failure.  Not collective. */
int dln_npy_read(const char *path, double **data, long *n, char *err,
                 size_t errlen);

/* Content hash of n values (FNV-1a of their little-endian bytes, mixed):
 * what identifies an init file. Pure. */
uint64_t dln_npy_hash(const double *v, long n);

/* Read p's init file and check it still holds the values p was hashed
 * with (p->init_file.hash and .n, which must equal the model's weight
 * count): *x gets the flat weights (caller frees).  Returns 0, 2 with a
 * reason naming the file in err (missing, malformed, changed since the
 * job was checked, wrong size), 1 on allocation failure. */
int dln_npy_load_init(const dln_params *p, double **x, char *err,
                      size_t errlen);

#endif
