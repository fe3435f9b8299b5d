/* params.h — the hyperparameters of one run (one sweep cell + one seed).
 *
 * A dln_params is plain data (no pointers) so it can travel over MPI as
 * bytes between ranks of the same binary.  Cell identity is a content hash
 * of every field except the seed, so the same cell in two job files, or a
 * `single` run, maps to the same database row.  Each field's name, range,
 * default and documentation is its row of the parameter table
 * (paramdefs.h), which every reader and writer of parameters loops over. */
#ifndef DLNSWEEP_PARAMS_H
#define DLNSWEEP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define DLN_MAX_SPECTRUM 64      /* most singular values a target may have */
#define DLN_MAX_ALPHA_LAYERS 64  /* most per-layer init scales               */
#define DLN_MAX_INIT_DIAG 256    /* most explicit diagonal init values       */
#define DLN_MAX_PATH 256         /* longest init file path (with the NUL)    */
#define DLN_HASH_HEX 17          /* 16 hex digits + NUL */

typedef enum dln_init_kind {
    DLN_INIT_IDENTITY = 0,  /* W_L = 0, W_l = alpha*I (rectangular identity) */
    DLN_INIT_BALANCED,      /* every layer alpha*I, W_L included            */
    DLN_INIT_ORTHOGONAL,    /* alpha * random orthogonal (seeded)            */
    DLN_INIT_GAUSSIAN,      /* N(0, alpha^2/d) entries (seeded)              */
    DLN_INIT_DIAGONAL,      /* W_l = alpha diag(init_diag's values of layer l) */
    DLN_INIT_FILE           /* the weights of init_file, as stored           */
} dln_init_kind;

/* An input file named by a parameter: identified by its content, so the
 * same weights under two paths are the same cell. */
typedef struct dln_file_ref {
    char path[DLN_MAX_PATH]; /* as given; "" = none                         */
    uint64_t hash;           /* dln_npy_hash of its float64 values          */
    long n;                  /* number of values it holds                   */
} dln_file_ref;

typedef struct dln_params {
    /* model */
    double eta;              /* GD step size, > 0                           */
    int depth;               /* L >= 1                                      */
    int width;               /* hidden width d >= 1                         */
    int d_in, d_out;         /* input/output dims; 0 means = width          */
    int rank;                /* number of singular values in spectrum       */
    double spectrum[DLN_MAX_SPECTRUM]; /* singular values of M*, >= 0       */
    int rotate;              /* 0: M* = diag(s); 1: M* = U diag(s) V^T      */
    dln_init_kind init;
    double alpha;            /* init scale                                  */
    /* training */
    long steps;              /* GD steps                                    */
    uint64_t seed;           /* derived seed: init noise, rotation, Lanczos */
    /* diagnostics */
    int record_every;        /* trajectory point every k steps; 0 = none    */
    int sharpness_every;     /* Lanczos every k steps; 0 = final only       */
    int lanczos_iters;       /* Krylov dimension                            */
    int top_k;               /* Hessian eigenvalues kept                    */
    int max_period;          /* orbit periods detected up to this           */
    int tail;                /* late-orbit points stored (bifurcation plots)*/
    double period_tol;       /* relative tolerance of the period test       */
    double diverge_bound;    /* loss above this (or non-finite) = divergent */
    int lyapunov_steps;      /* end-of-run dynamics: settle steps and least
                                measured tangent steps (run.h); 0 = off,
                                -1 auto (dln_params_lyapunov_steps)       */
    int full_spectrum;       /* 1: full Hessian spectrum at the end (dense) */
    long transient_window;   /* steps of the slow-transient fit (stability.h);
                                -1 auto = min(steps/4, 4096), 0 off       */
    int lyapunov_k;          /* Lyapunov exponents computed (top k)         */
    double lyapunov_tol;     /* standard error at which the tangent stops   */
    long lyapunov_max_steps; /* cap on the measured tangent steps           */
    long transverse_max;     /* most parameters for the transverse split    */
    int lanczos_basis;       /* Lanczos basis vectors at most; 0 = no cap   */
    /* explicit initialisations */
    int n_alpha_layers;      /* 0, or depth per-layer factors of alpha      */
    double alpha_layers[DLN_MAX_ALPHA_LAYERS];
    int n_init_diag;         /* init diagonal: sum_l min(d_l, d_{l-1})      */
    double init_diag[DLN_MAX_INIT_DIAG];  /* layer 1's diagonal first       */
    dln_file_ref init_file;  /* init file: the flat weights (npy.h)         */
    /* per-step recording (the late orbit and detailed trajectory points) */
    int orbit_hessian;       /* 1: top_k Hessian eigenvalues at every step  */
    long record_from;        /* first step with a trajectory point          */
    int record_detail;       /* 1: trajectory points carry the step detail  */
} dln_params;

/* One unit of sweep work: a cell's parameters with one seed index. */
typedef struct dln_task {
    dln_params params;               /* params.seed already derived        */
    char cell_hash[DLN_HASH_HEX];    /* dln_params_cell_hash(&params)      */
    int seed_index;                  /* 0..seeds-1                         */
    long index;                      /* position in the expanded sweep     */
    double cost;                     /* predicted cost (longest first)     */
} dln_task;

/* Fill p with the documented defaults (not collective, cannot fail). */
void dln_params_defaults(dln_params *p);

/* Check p; on failure write "key: reason" to err and return 2 (not collective). */
int dln_params_validate(const dln_params *p, char *err, size_t errlen);

/* Input/output dimension after applying the 0-means-width rule (pure). */
int dln_params_d_in(const dln_params *p);
int dln_params_d_out(const dln_params *p);

/* Hex content hash of every field except seed, into out[DLN_HASH_HEX] (pure). */
void dln_params_cell_hash(const dln_params *p, char out[DLN_HASH_HEX]);

/* Seed of (cell, seed index, global seed): independent of rank count (pure). */
uint64_t dln_params_derive_seed(const char *cell_hash, int seed_index,
                                uint64_t global_seed);

/* 64-bit FNV-1a of len bytes, chained from h (pure; h=0 starts fresh). */
uint64_t dln_hash_bytes(uint64_t h, const void *data, size_t len);

/* Name of an init kind ("identity", ...) and its parser; parse returns 2 on
 * an unknown name (pure). */
const char *dln_init_name(dln_init_kind k);
int dln_init_parse(const char *name, dln_init_kind *out);

/* Scale of layer l (1-based) at initialisation: alpha times its
 * alpha_layers factor (1 without them). Pure. */
double dln_params_layer_scale(const dln_params *p, int l);

/* Number of diagonal values an init diagonal takes: sum over the layers of
 * min(rows, cols). Pure. */
long dln_params_diag_count(const dln_params *p);

/* Number of weights, sum_l d_l d_{l-1} (what an init file must hold). Pure. */
long dln_params_nweights(const dln_params *p);

/* The auto length of the end-of-run dynamics (lyapunov_steps -1): a fifth
 * of the run's steps, at least DLN_LYAP_AUTO_FLOOR (eight batches of
 * eight) and at most DLN_LYAP_AUTO_CAP (the fixed default it replaces, so
 * runs of 5000 steps or more keep their cells and results). */
#define DLN_LYAP_AUTO_FLOOR 64
#define DLN_LYAP_AUTO_CAP 1000
#define DLN_LYAP_AUTO_DIV 5
/* p's lyapunov_steps with -1 (auto) resolved: >= 0. Pure. */
long dln_params_lyapunov_steps(const dln_params *p);

/* Comma list "10,9.5,9" of the spectrum into buf (pure; truncates safely). */
void dln_params_spectrum_text(const dln_params *p, char *buf, size_t len);

/* Parse "10,9.5,9" into p->spectrum/p->rank; returns 2 with err on bad text. */
int dln_params_parse_spectrum(dln_params *p, const char *text, char *err,
                              size_t errlen);

/* Predicted relative cost (flops) of the run, for longest-first scheduling. */
double dln_params_cost(const dln_params *p);

#endif
