/* scalapack_proto.h — prototypes of the BLACS/PBLAS/ScaLAPACK routines the
 * wide-network engine calls.  Debian's ScaLAPACK ships no C headers
 * (build-notes.md): the C BLACS interface takes values, every Fortran
 * routine takes every argument by pointer with 32-bit integers.  Private to
 * src/pmodel*.c. */
#ifndef DLNSWEEP_SCALAPACK_PROTO_H
#define DLNSWEEP_SCALAPACK_PROTO_H

#include <mpi.h>

/* Array descriptor fields (0-based indices into int desc[9]). */
enum { DLN_DTYPE_ = 0, DLN_CTXT_, DLN_M_, DLN_N_, DLN_MB_, DLN_NB_,
       DLN_RSRC_, DLN_CSRC_, DLN_LLD_ };

/* C BLACS. */
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
void Cblacs_gridmap(int *ctxt, int *usermap, int ldumap, int nprow,
                    int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow,
                     int *mycol);
void Cblacs_gridexit(int ctxt);
void Cblacs_exit(int notdone);

/* ScaLAPACK tools. */
int numroc_(const int *n, const int *nb, const int *iproc,
            const int *isrcproc, const int *nprocs);
int indxg2p_(const int *indxglob, const int *nb, const int *iproc,
             const int *isrcproc, const int *nprocs);
int indxg2l_(const int *indxglob, const int *nb, const int *iproc,
             const int *isrcproc, const int *nprocs);
int indxl2g_(const int *indxloc, const int *nb, const int *iproc,
             const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb,
               const int *nb, const int *irsrc, const int *icsrc,
               const int *ictxt, const int *lld, int *info);

/* PBLAS / ScaLAPACK. */
void pdgemm_(const char *transa, const char *transb, const int *m,
             const int *n, const int *k, const double *alpha, const double *a,
             const int *ia, const int *ja, const int *desca, const double *b,
             const int *ib, const int *jb, const int *descb,
             const double *beta, double *c, const int *ic, const int *jc,
             const int *descc);
void pdgemr2d_(const int *m, const int *n, const double *a, const int *ia,
               const int *ja, const int *desca, double *b, const int *ib,
               const int *jb, const int *descb, const int *ictxt);
void pdgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n,
              double *a, const int *ia, const int *ja, const int *desca,
              double *s, double *u, const int *iu, const int *ju,
              const int *descu, double *vt, const int *ivt, const int *jvt,
              const int *descvt, double *work, const int *lwork, int *info);
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
              const int *ia, const int *ja, const int *desca, double *w,
              double *z, const int *iz, const int *jz, const int *descz,
              double *work, const int *lwork, int *iwork, const int *liwork,
              int *info);

#endif
