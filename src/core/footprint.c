/* footprint.c — predicted memory of one run (footprint.h).  Every count
 * mirrors an allocation of src/engine/ (named in the comments); sizes are
 * doubles of 8 bytes. */
#include "dlnsweep/footprint.h"
#include "dlnsweep/result.h"

#define BASE_BYTES (32.0 * 1024 * 1024)  /* libraries, MPI, BLAS buffers  */
#define SERIAL_HESSIAN_MAX 3000.0        /* DLN_RUN_FULL_SPECTRUM_MAX      */
#define GROUP_HESSIAN_MAX 12000.0        /* DLN_PRUN_FULL_SPECTRUM_MAX     */
#define EIG_WORK 66.0                    /* dsyev/pdsyevd workspace per n  */
#define SVD_BLOCK 64.0                   /* dgesdd's blocked workspace     */
#define GMRES_BASIS 61.0                 /* orbitsolve.c: restart 60, + 1  */
#define TRANSVERSE_BLOCK 4096.0          /* transverse_max's default       */
#define DENSE_MONODROMY 512.0            /* floquet.c dense_max            */

/* Parameters of the network of p: weights of layers din, w, ..., w, dout. */
static double nparams(const dln_params *p)
{
    double L = p->depth, w = p->width;
    double din = dln_params_d_in(p), dout = dln_params_d_out(p);
    return L > 1 ? w * din + (L - 2) * w * w + dout * w : dout * din;
}

static double dmax2(double a, double b) { return a > b ? a : b; }
static double dmin2(double a, double b) { return a < b ? a : b; }

double dln_footprint_estimate(const dln_params *p, int group,
                              dln_footprint *out)
{
    dln_footprint f = {0};
    double L = p->depth, w = p->width, r = p->rank;
    double din = dln_params_d_in(p), dout = dln_params_d_out(p);
    double g = group > 1 ? group : 1;
    double n = nparams(p);
    double rows = L > 1 ? (L - 1) * w + dout : dout;    /* sum of dims[l] */
    double dmax = dmax2(dmax2(din, dout), L > 1 ? w : 0);
    double maxmat = dmax2(dout * din, L > 1 ? dmax2(w * din, dmax2(w * w,
                                                              dout * w))
                                            : 0);
    double mn = dmin2(dout, din), mx = dmax2(dout, din);
    /* model.c: x, grad; target, residual; target bases; prefix, dprefix,
     * back products; two back-propagated scratch matrices.  diagnostics.c:
     * the matrix decomposed, dgesdd's workspace, the Gram matrix. */
    f.model = 8.0 * (2 * n + 2 * dout * din + (dout + din) * r +
                     3 * din * rows + 2 * dmax * din) +
              8.0 * (maxmat + dmax * dmax + 3 * mn + dmax2(mx, 7 * mn) +
                     (mx + mn) * SVD_BLOCK) + 40.0 * dmax;
    /* run.c: the initial state x_0 (held to the end). */
    if (g <= 1)
        f.model += 8.0 * n;
    /* lanczos.c: the basis of min(iters, n) vectors (at most
     * lanczos_basis), w and the start. */
    double basis = dmin2(p->lanczos_iters, n);
    if (p->lanczos_basis > 0)
        basis = dmin2(basis, p->lanczos_basis);
    f.lanczos = p->lanczos_iters > 0 ? 8.0 * n * (basis + 2) : 0;
    /* run_dynamics.c, the end-of-run dynamics of a serial run: two saved
     * states; lyapunov.c: state, HVP (and gradient), a spare,
     * lyapunov_k tangents, two projections, QR workspace; floquet.c:
     * three vectors, Arnoldi (basis, workspace, Ritz vectors: 81 vectors)
     * on at most transverse-size
     * blocks, dense monodromies up to 512; svs.c: block indexes, rotation,
     * the pair tables (d^2/2 pairs, 2L entries of L+1 generators each;
     * only when the transverse block is measured: n <= transverse_max). */
    double k = p->lyapunov_k > 0 ? p->lyapunov_k : 1;
    int dynamics = dln_params_lyapunov_steps(p) > 0;
    double d = dmax2(w, dmax2(din, dout));
    f.tangent = !dynamics ? 0.0
              : g > 1 ? 8.0 * 2 * n
                      : 8.0 * (n * (2 + 3 + k + 2 + 3 + 3) + k * SVD_BLOCK +
                               81 * dmin2(n, TRANSVERSE_BLOCK) +
                               2 * DENSE_MONODROMY * DENSE_MONODROMY +
                               (n <= (double)p->transverse_max
                                    ? d * d * (L * (L + 2.5) + 2) : 0));
    /* orbit.c ring (2 max_period + 1 fingerprints), the slow-transient
     * window, the trajectory (result.h: dln_traj_point and, with
     * record_detail, a detail row each; three times on a worker as it
     * sends the result: the result, its packed copy and the MPI message;
     * the coordinator holds two) and the late orbit with its detail rows. */
    dln_detail_layout lay;
    dln_detail_layout_of(p, &lay);
    double from = p->record_from > 0 ? (double)p->record_from : 0;
    double points = p->record_every > 0 && p->steps > from
                        ? (p->steps - from) / p->record_every + 2 : 0;
    double point = sizeof(dln_traj_point) +
                   (p->record_detail ? 8.0 * lay.stride : 0);
    f.trajectory = 8.0 * (2.0 * p->max_period + 1) * (2 * r + 20) +
                   8.0 * 4096 * 4 + 3.0 * points * point +
                   3.0 * p->tail * 8 * (2 + lay.stride);
    if (g > 1) {
        /* pmodel.c: every distributed buffer is a 1/g share, and group
         * rank 0 builds the whole serial model to scatter it. */
        f.model += f.model / g + 8.0 * n;
        f.lanczos /= g;
        f.tangent /= g;
        if (p->full_spectrum && n <= GROUP_HESSIAN_MAX)
            /* pmodel_spectrum.c: the matrix and its eigenvectors' share,
             * PDSYEVD's workspace, filled on a serial copy of the model. */
            f.hessian = 8.0 * (3 * n * n / g + EIG_WORK * n) + f.model / 2;
    } else if (p->full_spectrum && n <= SERIAL_HESSIAN_MAX) {
        /* run.c full_spectrum: the dense matrix, its eigenvalues, dsyev. */
        f.hessian = 8.0 * (n * n + (EIG_WORK + 2) * n);
    }
    f.base = BASE_BYTES;
    /* A serial run holds the Lanczos workspace only while it computes the
     * sharpness (the last time before the dense spectrum and the
     * dynamics, each of which frees its memory when done); a group holds
     * every workspace from the start. */
    f.total = g > 1 ? f.base + f.model + f.lanczos + f.tangent + f.hessian +
                          f.trajectory
                    : f.base + f.model + f.trajectory +
                          dmax2(f.lanczos, dmax2(f.tangent, f.hessian));
    if (out)
        *out = f;
    return f.total;
}

double dln_footprint_continuation(const dln_params *p, dln_footprint *out)
{
    dln_footprint f;
    double n = nparams(p);
    dln_footprint_estimate(p, 1, &f);
    /* continuation.c: 9 state vectors; orbitsolve.c: 7 of the bordered
     * Newton system (n + 1); gmres.c: its Krylov basis and residual. */
    f.newton = 8.0 * (n + 1) * (9 + 7 + GMRES_BASIS + 1);
    f.lanczos = f.tangent = f.hessian = f.trajectory = 0;
    f.total = f.base + f.model + f.newton;
    if (out)
        *out = f;
    return f.total;
}

const char *dln_footprint_largest(const dln_footprint *f, double *bytes)
{
    const struct { double v; const char *name; } part[] = {
        {f->model, "weights and workspaces"}, {f->lanczos, "Lanczos basis"},
        {f->tangent, "end-of-run dynamics"}, {f->hessian, "dense Hessian"},
        {f->trajectory, "recorded trajectory"},
        {f->newton, "Newton-Krylov workspace"}, {f->base, "process base"}};
    int best = 0;
    for (int i = 1; i < (int)(sizeof part / sizeof part[0]); i++)
        if (part[i].v > part[best].v)
            best = i;
    if (bytes)
        *bytes = part[best].v;
    return part[best].name;
}
