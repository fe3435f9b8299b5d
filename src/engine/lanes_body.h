/* lanes_body.h — the lane arithmetic on one lane group, included by
 * lanes_kernel.h once per group: LK_NV values of type LK_V (double for one
 * lane; the instruction set's vector for a tile), LK_FN(x) names this
 * instantiation's functions, LK_Q the rows of a product computed together.
 * Entry e of an operand with lane stride s is
 * the group at p + e * s (s in doubles).  Each statement runs over the
 * group's vectors, which are independent: their latencies overlap.  The
 * order of operations is lanes_kernel.h's; every function is always
 * inlined, so the shape's constants (lanes_kernel.h's square copies) fold
 * in. */
#define LK_W (sizeof(LK_V) / sizeof(double))   /* lanes per vector */
#define LK_EACH for (size_t v = 0; v < LK_NV; v++)

/* The LK_V at p (any alignment). */
LK_INLINE LK_V LK_FN(ld)(const double *p)
{
    LK_V v;
    memcpy(&v, p, sizeof v);
    return v;
}

LK_INLINE void LK_FN(st)(double *p, LK_V v)
{
    memcpy(p, &v, sizeof v);
}

/* Entries i..i+q-1 (q <= LK_Q) of column j of a product: acc[e] =
 * sum_r a[(i+e) ai + r ar] b[j bj + r br], r = 0..kk-1 in order (entry
 * indices; a, b at lane strides sa, sb).  The q sums are independent:
 * their latencies overlap where one lane has no vector to fill. */
LK_INLINE void LK_FN(dot)(LK_V acc[][LK_NV], int q, int kk, const double *a,
                          size_t i, size_t ai, size_t ar, size_t sa,
                          const double *b, size_t j, size_t bj, size_t br,
                          size_t sb)
{
    const double *bb = b + j * bj * sb;
    for (int e = 0; e < q; e++) {
        const double *aa = a + (i + (size_t)e) * ai * sa;
        LK_EACH acc[e][v] = LK_FN(ld)(aa + v * LK_W) * LK_FN(ld)(bb + v * LK_W);
    }
    for (int r = 1; r < kk; r++) {
        bb = b + (j * bj + (size_t)r * br) * sb;
        for (int e = 0; e < q; e++) {
            const double *aa = a + ((i + (size_t)e) * ai + (size_t)r * ar) * sa;
            LK_EACH acc[e][v] = acc[e][v] + LK_FN(ld)(aa + v * LK_W) *
                                                LK_FN(ld)(bb + v * LK_W);
        }
    }
}

/* Entries c + e dc (e < q, lane stride sc) get acc[e], or (eta non-NULL,
 * one value per lane) c - eta acc[e]. */
LK_INLINE void LK_FN(put)(double *c, size_t dc, LK_V acc[][LK_NV], int q,
                          const double *eta)
{
    for (int e = 0; e < q; e++)
        LK_EACH {
            double *ce = c + (size_t)e * dc + v * LK_W;
            LK_V r = acc[e][v];
            if (eta)
                r = LK_FN(ld)(ce) - LK_FN(ld)(eta + v * LK_W) * r;
            LK_FN(st)(ce, r);
        }
}

/* c (m x n, column-major) = the product with entries sum_r a(i, r) b(r, j)
 * where a(i, r) is entry i ai + r ar of a and b(r, j) entry j bj + r br of
 * b: into c, or (eta non-NULL) c <- c - eta product.  Rows go LK_Q at a
 * time (sizes known only at run time), then one by one. */
LK_INLINE void LK_FN(mm)(int m, int n, int kk, const double *a, size_t ai,
                         size_t ar, size_t sa, const double *b, size_t bj,
                         size_t br, size_t sb, double *c, size_t sc,
                         const double *eta)
{
    /* Sizes fixed at compile time unroll into independent sums already. */
    const int q = __builtin_constant_p(m) && __builtin_constant_p(kk) ? 1
                                                                      : LK_Q;
    for (int j = 0; j < n; j++) {
        int i = 0;
        for (; q > 1 && i + q <= m; i += q) {
            LK_V acc[LK_Q][LK_NV];
            LK_FN(dot)(acc, q, kk, a, (size_t)i, ai, ar, sa, b, (size_t)j, bj,
                       br, sb);
            LK_FN(put)(c + ((size_t)i + (size_t)j * m) * sc, sc, acc, q, eta);
        }
        for (; i < m; i++) {
            LK_V acc[1][LK_NV];
            LK_FN(dot)(acc, 1, kk, a, (size_t)i, ai, ar, sa, b, (size_t)j, bj,
                       br, sb);
            LK_FN(put)(c + ((size_t)i + (size_t)j * m) * sc, sc, acc, 1, eta);
        }
    }
}

/* c (m x n) = a (m x kk) b (kk x n). */
LK_INLINE void LK_FN(mm_nn)(int m, int n, int kk, const double *a, size_t sa,
                            const double *b, size_t sb, double *c, size_t sc)
{
    LK_FN(mm)(m, n, kk, a, 1, (size_t)m, sa, b, (size_t)kk, 1, sb, c, sc,
              NULL);
}

/* c (m x n) = a^T b with a (kk x m), b (kk x n). */
LK_INLINE void LK_FN(mm_tn)(int m, int n, int kk, const double *a, size_t sa,
                            const double *b, size_t sb, double *c, size_t sc)
{
    LK_FN(mm)(m, n, kk, a, (size_t)kk, 1, sa, b, (size_t)kk, 1, sb, c, sc,
              NULL);
}

/* g = a b^T with a (m x kk), b (n x kk): into c, or (eta non-NULL) c <-
 * c - eta g. */
LK_INLINE void LK_FN(mm_nt)(int m, int n, int kk, const double *a, size_t sa,
                            const double *b, size_t sb, double *c, size_t sc,
                            const double *eta)
{
    LK_FN(mm)(m, n, kk, a, 1, (size_t)m, sa, b, 1, (size_t)n, sb, c, sc, eta);
}

/* cnt entries of a into c, or (eta non-NULL) c <- c - eta a. */
LK_INLINE void LK_FN(copy)(size_t cnt, const double *a, size_t sa, double *c,
                           size_t sc, const double *eta)
{
    for (size_t e = 0; e < cnt; e++) {
        LK_V val[1][LK_NV];
        LK_EACH val[0][v] = LK_FN(ld)(a + e * sa + v * LK_W);
        LK_FN(put)(c + e * sc, sc, val, 1, eta);
    }
}

/* Prefixes P_1..P_L (lane stride sw), residual E = P_L - M* (stride sw)
 * and the loss, from x and target at lane stride xs. */
LK_INLINE void LK_FN(forward)(dln_lanes_shape s, const double *x,
                              const double *target, size_t xs,
                              double *prefix, double *resid, size_t sw,
                              double *loss)
{
    int d0 = s.d_in, L = s.L;
    LK_FN(copy)((size_t)lk_dim(s, 1) * d0, x, xs, prefix, sw, NULL);
    for (int l = 2; l <= L; l++)
        LK_FN(mm_nn)(lk_dim(s, l), d0, lk_dim(s, l - 1), x + lk_off(s, l) * xs,
                     xs, prefix + lk_poff(s, l - 1) * sw, sw,
                     prefix + lk_poff(s, l) * sw, sw);
    size_t nt = dln_lanes_ntarget(s);
    const double *p = prefix + lk_poff(s, L) * sw;
    LK_V acc[LK_NV];
    LK_EACH {
        LK_V e = LK_FN(ld)(p + v * LK_W) - LK_FN(ld)(target + v * LK_W);
        acc[v] = e * e;
        LK_FN(st)(resid + v * LK_W, e);
    }
    for (size_t i = 1; i < nt; i++)
        LK_EACH {
            LK_V e = LK_FN(ld)(p + i * sw + v * LK_W) -
                     LK_FN(ld)(target + i * xs + v * LK_W);
            acc[v] = acc[v] + e * e;
            LK_FN(st)(resid + i * sw + v * LK_W, e);
        }
    LK_EACH LK_FN(st)(loss + v * LK_W, 0.5 * acc[v]);
}

/* Backward pass from forward's prefix and resid at x.  With eta NULL: B_l
 * into back (all of them, in the prefix layout) and the gradient into out
 * (lane stride so).  With eta, out is x (so = xs): W_l <- W_l - eta G_l,
 * layer by layer from L down, B_{l-1} taken before W_l changes (back then
 * holds two B's). */
LK_INLINE void LK_FN(backward)(dln_lanes_shape s, const double *x, size_t xs,
                               const double *prefix, const double *resid,
                               size_t sw, double *back, double *out,
                               size_t so, const double *eta)
{
    int d0 = s.d_in, L = s.L;
    size_t nb = (size_t)s.width * d0;
    const double *b = resid;
    for (int l = L; l >= 1; l--) {
        int rows = lk_dim(s, l), cols = lk_dim(s, l - 1);
        double *ol = out + lk_off(s, l) * so;
        if (l == 1) {   /* P_0 = I */
            LK_FN(copy)((size_t)rows * cols, b, sw, ol, so, eta);
            break;
        }
        double *next = back + (eta ? (size_t)(l & 1) * nb : lk_poff(s, l - 1)) * sw;
        LK_FN(mm_tn)(cols, d0, rows, x + lk_off(s, l) * xs, xs, b, sw, next,
                     sw);
        LK_FN(mm_nt)(rows, cols, d0, b, sw, prefix + lk_poff(s, l - 1) * sw,
                     sw, ol, so, eta);
        b = next;
    }
}

#undef LK_W
#undef LK_EACH
