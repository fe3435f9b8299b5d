/* lanes_kernel.h — the arithmetic of the lane kernels (lanes_internal.h),
 * compiled once per instruction set: lanes_<isa>.c defines LANES_ISA_NAME
 * and LANES_ISA_ENTRY and includes this file, with that set enabled on the
 * command line.  Everything here is static, so no inline copy compiled for
 * one set can be linked into another.
 *
 * The order of operations of one lane, which every path keeps (each file
 * is compiled with -ffp-contract=off and without -ffast-math, and the lane
 * index is the innermost loop, so vectorising across lanes never reorders
 * a lane's own sums):
 *   a product's entry c_ij = a_i1 b_1j + a_i2 b_2j + ... + a_iK b_Kj, left
 *     to right, the first term alone (no added zero);
 *   P_1 = W_1, P_l = W_l P_{l-1}; E = P_L - M*; f = 0.5 (e_1^2 + ... + e_m^2)
 *     over E's entries in column-major order;
 *   B_L = E, B_{l-1} = W_l^T B_l (sum over W_l's rows in order), computed
 *     before W_l changes; G_l = B_l P_{l-1}^T (sum over columns of d_in in
 *     order), G_1 = B_1;
 *   x <- x - eta g entry by entry (eta g rounded, then subtracted).
 * Square networks of width <= LANES_UNROLL_MAX get copies with the width
 * fixed at compile time (the same source, unrolled by the compiler). */
#include <float.h>
#include <math.h>
#include <string.h>
#include "lanes_internal.h"

#define LK_INLINE static inline __attribute__((always_inline))
#define LANES_UNROLL_MAX 8

/* d_l of layer l (0..L). */
LK_INLINE int lk_dim(dln_lanes_shape s, int l)
{
    return l == 0 ? s.d_in : l == s.L ? s.d_out : s.width;
}

/* Offset of W_l (l = 1..L) in a lane's flat parameters. */
LK_INLINE size_t lk_off(dln_lanes_shape s, int l)
{
    return l == 1 ? 0
                  : (size_t)s.width * s.d_in + (size_t)(l - 2) * s.width * s.width;
}

/* Offset of P_l (and B_l, l = 1..L) in the prefix layout. */
LK_INLINE size_t lk_poff(dln_lanes_shape s, int l)
{
    return (size_t)(l - 1) * s.width * s.d_in;
}

/* One lane (the model) and one tile (the batch): lanes_body.h twice, the
 * tile as vectors of the widest registers this file is compiled for. */
#define LK_V double
#define LK_NV 1
#define LK_Q 4
#define LK_FN(name) lk1_##name
#include "lanes_body.h"
#undef LK_V
#undef LK_NV
#undef LK_Q
#undef LK_FN

#if defined(__AVX512F__)
#define LK_VBYTES 64
#elif defined(__AVX__)
#define LK_VBYTES 32
#else
#define LK_VBYTES 16
#endif
typedef double lk_vec __attribute__((vector_size(LK_VBYTES)));
typedef long long lk_mask __attribute__((vector_size(LK_VBYTES)));
#define LK_V lk_vec
#define LK_NV (DLN_LANES_TILE * sizeof(double) / LK_VBYTES)
#define LK_Q 1
#define LK_FN(name) lkt_##name
#include "lanes_body.h"
#undef LK_V
#undef LK_FN

/* The square shape of width D (d_in = width = d_out = D). */
LK_INLINE dln_lanes_shape lk_square(int L, int D)
{
    dln_lanes_shape s = {L, D, D, D};
    return s;
}

/* The tile step of dln_lanes_isa on parameters x (lane stride xs), target
 * and eta, with workspace ws (prefixes, residual, two B's:
 * dln_lanes_tile_ws).  A lane stops the tile when it is live and its loss
 * is not finite or above its bound (x - x == 0 fails for NaN, Inf). */
LK_INLINE long lk_tile_run(dln_lanes_shape s, const dln_lanes_tile *tl,
                           double *x, size_t xs, const double *target,
                           const double *eta, double *ws, long k)
{
    const size_t T = DLN_LANES_TILE, W = LK_VBYTES / sizeof(double);
    double *prefix = ws;
    double *resid = prefix + dln_lanes_nprefix(s) * T;
    double *back = resid + dln_lanes_ntarget(s) * T;
    lk_mask live[LK_NV];
    lk_vec bound[LK_NV];
    for (size_t t = 0; t < T; t++)
        live[t / W][t % W] = tl->live[t] ? -1 : 0;
    for (size_t v = 0; v < LK_NV; v++)
        bound[v] = lkt_ld(tl->bound + v * W);
    for (long step = 0;; step++) {
        lkt_forward(s, x, target, xs, prefix, resid, T, tl->loss);
        lk_mask bad = {0};
        for (size_t v = 0; v < LK_NV; v++) {
            lk_vec loss = lkt_ld(tl->loss + v * W);
            bad |= live[v] & ~((loss - loss == 0) & (loss <= bound[v]));
        }
        long long any = 0;
        for (size_t t = 0; t < W; t++)
            any |= bad[t];
        if (any || step == k)
            return step;
        lkt_backward(s, x, xs, prefix, resid, T, back, x, xs, eta);
    }
}

LK_INLINE long lk_tile_steps(dln_lanes_shape s, const dln_lanes_tile *tl,
                             long k)
{
    return lk_tile_run(s, tl, tl->x, tl->xs, tl->target, tl->eta, tl->ws, k);
}

/* Depth L, width D (both fixed at compile time, a few entries per lane):
 * the tile's parameters, target, eta and workspace copied into local
 * arrays for the k steps, which the compiler can keep in registers. */
#define LK_TINY_WS(L, D) \
    ((size_t)((L) + 3) * (D) * (D) * DLN_LANES_TILE)
#define LK_TINY_N(L, D) ((size_t)(L) * (D) * (D) * DLN_LANES_TILE)
#define LK_TINY(L, D)                                                       \
    static long lk_tiny_##L##_##D(const dln_lanes_tile *tl, long k)         \
    {                                                                       \
        const size_t T = DLN_LANES_TILE, n = (size_t)(L) * (D) * (D);      \
        double x[LK_TINY_N(L, D)], tg[(D) * (D) * DLN_LANES_TILE];          \
        double eta[DLN_LANES_TILE], ws[LK_TINY_WS(L, D)];                   \
        for (size_t e = 0; e < n; e++)                                      \
            memcpy(x + e * T, tl->x + e * tl->xs, sizeof(double) * T);      \
        for (size_t e = 0; e < (size_t)(D) * (D); e++)                      \
            memcpy(tg + e * T, tl->target + e * tl->xs, sizeof(double) * T); \
        memcpy(eta, tl->eta, sizeof eta);                                   \
        long done = lk_tile_run(lk_square(L, D), tl, x, T, tg, eta, ws, k); \
        for (size_t e = 0; e < n; e++)                                      \
            memcpy(tl->x + e * tl->xs, x + e * T, sizeof(double) * T);      \
        return done;                                                        \
    }

LK_TINY(1, 1)
LK_TINY(2, 1)
LK_TINY(3, 1)
LK_TINY(4, 1)
LK_TINY(1, 2)
LK_TINY(2, 2)
LK_TINY(3, 2)
LK_TINY(4, 2)

/* Calls BODY with S replaced by the shape s, or by a compile-time square
 * shape when s is square with width <= LANES_UNROLL_MAX. */
#define LK_DISPATCH_SHAPE(s, BODY)                                          \
    do {                                                                    \
        int sq_ = (s).d_in == (s).width && (s).d_out == (s).width;          \
        switch (sq_ ? (s).width : 0) {                                      \
        case 1: { dln_lanes_shape S = lk_square((s).L, 1); BODY; } break;   \
        case 2: { dln_lanes_shape S = lk_square((s).L, 2); BODY; } break;   \
        case 3: { dln_lanes_shape S = lk_square((s).L, 3); BODY; } break;   \
        case 4: { dln_lanes_shape S = lk_square((s).L, 4); BODY; } break;   \
        case 5: { dln_lanes_shape S = lk_square((s).L, 5); BODY; } break;   \
        case 6: { dln_lanes_shape S = lk_square((s).L, 6); BODY; } break;   \
        case 7: { dln_lanes_shape S = lk_square((s).L, 7); BODY; } break;   \
        case 8: { dln_lanes_shape S = lk_square((s).L, 8); BODY; } break;   \
        default: { dln_lanes_shape S = (s); BODY; } break;                  \
        }                                                                   \
    } while (0)

static void forward_one(dln_lanes_shape s, const double *x,
                        const double *target, double *prefix, double *resid,
                        double *loss)
{
    LK_DISPATCH_SHAPE(s, lk1_forward(S, x, target, 1, prefix, resid, 1, loss));
}

static void gradient_one(dln_lanes_shape s, const double *x,
                         const double *prefix, const double *resid,
                         double *back, double *g)
{
    LK_DISPATCH_SHAPE(s, lk1_backward(S, x, 1, prefix, resid, 1, back, g, 1,
                                      NULL));
}

static void descend_one(size_t n, double *x, double eta, const double *g)
{
    lk1_copy(n, g, 1, x, 1, &eta);
}

static long tile_steps(dln_lanes_shape s, const dln_lanes_tile *tile, long k)
{
    long done = 0;
    if (s.d_in == s.width && s.d_out == s.width && s.width <= 2 && s.L <= 4) {
        static long (*const tiny[4][2])(const dln_lanes_tile *, long) = {
            {lk_tiny_1_1, lk_tiny_1_2}, {lk_tiny_2_1, lk_tiny_2_2},
            {lk_tiny_3_1, lk_tiny_3_2}, {lk_tiny_4_1, lk_tiny_4_2}};
        return tiny[s.L - 1][s.width - 1](tile, k);
    }
    LK_DISPATCH_SHAPE(s, done = lk_tile_steps(S, tile, k));
    return done;
}

static const dln_lanes_isa lanes_table = {
    LANES_ISA_NAME, forward_one, gradient_one, descend_one, tile_steps,
};

const dln_lanes_isa *LANES_ISA_ENTRY(void)
{
    return &lanes_table;
}
