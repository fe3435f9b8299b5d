/* paramdefs.h — the table of run parameters: one row per field of
 * dln_params that a job file, `dlnsweep single` or the database names
 * (in the spirit of Redis's static_configs[]).
 *
 * A row's name is the job file's key (under grid: or diagnostics:), the
 * runs column, and with '_' written '-' the `dlnsweep single` option.
 * Every consumer is a loop over the table: dln_params_defaults,
 * dln_params_validate (the row ranges here; the cross-field checks in
 * params.c), dln_params_cell_hash, the job file's keys and their typed
 * parsing (src/job), `single`'s options and --help, the runs table's
 * parameter columns (src/store/store_run.c) and `dlnsweep params`, whose
 * --markdown output is docs/job-files.md's parameter tables.
 *
 * Rules for changing the table (every existing database must resume):
 *  - Never reorder, rename or remove a row: the table order is the order
 *    of the cell-hash text and of the job's canonical text, whose hashes
 *    identify the runs of every database (tests/test_identity.c pins them).
 *  - Append a new row at the end with DLN_PARAM_NEW among its flags: it
 *    then enters the cell hash and the canonical job text only when its
 *    value differs from its default, so every hash recorded before stays
 *    valid.  (full_spectrum and transient_window were added this way;
 *    full_spectrum's canonical line predates the rule.)
 *  - Give it its runs column: a schema version and a migration step in
 *    src/store/store_schema.c (test_store checks that the runs table has a
 *    column for every row), and regenerate docs/job-files.md's tables
 *    (tests/docs_params.py says how). */
#ifndef DLNSWEEP_PARAMDEFS_H
#define DLNSWEEP_PARAMDEFS_H

#include <stddef.h>
#include "dlnsweep/params.h"

#define DLN_PARAM_MAX 64         /* rows the table may grow to (arrays)   */

typedef enum dln_param_type {
    DLN_PT_REAL,      /* double, finite                                     */
    DLN_PT_INT,       /* int                                                */
    DLN_PT_LONG,      /* long                                               */
    DLN_PT_BOOL,      /* int, 0 or 1 (true/false in job files)              */
    DLN_PT_INIT,      /* dln_init_kind, written by name                     */
    DLN_PT_LIST,      /* a list of reals: max_n doubles at offset, their
                         number an int at count_offset ("10,9.5,9")        */
    DLN_PT_FILE       /* a dln_file_ref: a .npy file named by its path and
                         identified (hashed, stored) by its content        */
} dln_param_type;

typedef enum dln_param_section {
    DLN_PS_GRID,      /* a grid axis: job files may list several values     */
    DLN_PS_DIAG       /* a diagnostics setting: one value for every cell    */
} dln_param_section;

/* Row flags. */
#define DLN_PARAM_LO_OPEN 0x1      /* reals: lo itself is out of range      */
#define DLN_PARAM_HI_OPEN 0x2      /* reals: hi itself is out of range      */
#define DLN_PARAM_ZERO_IS_WIDTH 0x4 /* 0 means = width; hashed and stored
                                      as the resolved value               */
#define DLN_PARAM_HASH_IF_SET 0x8  /* in the cell hash only when not default */
#define DLN_PARAM_SPEC_IF_SET 0x10 /* in the job's canonical text only when
                                      not default (an axis: unless it is
                                      the default alone)                  */
#define DLN_PARAM_NEW (DLN_PARAM_HASH_IF_SET | DLN_PARAM_SPEC_IF_SET)
#define DLN_PARAM_NONEMPTY 0x20   /* lists: at least one value              */
#define DLN_PARAM_DESCENDING 0x40 /* lists: values in descending order      */
#define DLN_PARAM_FAMILIES 0x80   /* lists: job files may also write one as
                                     a spectrum family ({geometric: ...})  */
#define DLN_PARAM_NEG_IS_AUTO 0x100 /* -1 means auto, a value derived from
                                      other rows (dln_params_lyapunov_steps);
                                      hashed and stored as the resolved
                                      value, so an auto value that equals
                                      an explicit one is the same cell     */

typedef struct dln_param_def {
    const char *name;          /* key = runs column; option with dashes     */
    dln_param_type type;
    size_t offset, size;       /* the field of dln_params it describes      */
    double lo, hi;             /* range (integers: inclusive); lists: of
                                  each value                               */
    unsigned flags;            /* DLN_PARAM_*                               */
    double def;                /* default (bool 0/1, init: the kind)        */
    const char *def_list;      /* lists: the default, "10,9.5,9" ("" none)  */
    dln_param_section section;
    int axis;                  /* grid: place in the expansion, 0 slowest   */
    const char *hash;          /* key in the cell-hash text                 */
    const char *doc;           /* one line: --help, docs/job-files.md       */
    size_t count_offset;       /* lists: the int holding the count          */
    int max_n;                 /* lists: most values (the field's length)   */
} dln_param_def;

/* Text styles of a value (dln_param_format). */
typedef enum dln_text_style {
    DLN_TEXT_EXACT,   /* %.17g, bools 0/1, 0-is-width resolved: the cell
                         hash and the database                             */
    DLN_TEXT_SHORT,   /* shortest text that reads back exactly, bools 0/1,
                         as set: the job's canonical text                  */
    DLN_TEXT_HUMAN    /* shortest text, bools true/false: help and docs    */
} dln_text_style;

/* Number of rows, and row i (0 <= i < count; NULL otherwise). Pure. */
int dln_param_count(void);
const dln_param_def *dln_param_at(int i);
/* Index of row d in the table. Pure. */
int dln_param_index(const dln_param_def *d);

/* The row named name (the YAML key), or NULL. Pure. */
const dln_param_def *dln_param_find(const char *name);
/* The row of the dln_params field at offset, or NULL; DLN_PARAM_OF(width)
 * for code that works with one particular field. Pure. */
const dln_param_def *dln_param_of_field(size_t offset);
#define DLN_PARAM_OF(field) dln_param_of_field(offsetof(dln_params, field))

/* Grid axes in their expansion order (docs/job-files.md "Expansion"):
 * their count and axis k, 0 the slowest (NULL out of range). Pure. */
int dln_param_axis_count(void);
const dln_param_def *dln_param_axis(int k);

/* 1 if row d is a scalar (a number, bool or init kind: its value is a
 * double), 0 for a list or a file. Pure. */
int dln_param_is_scalar(const dln_param_def *d);

/* The value of row d in p as a double (bool 0/1, init its kind; NAN for
 * a list or a file); _resolved applies 0-means-width and -1-means-auto.
 * Pure. */
double dln_param_get(const dln_params *p, const dln_param_def *d);
double dln_param_resolved(const dln_params *p, const dln_param_def *d);
/* Set row d of p to v (scalar rows only; integers truncate). Pure. */
void dln_param_set(dln_params *p, const dln_param_def *d, double v);
/* 1 if row d of p holds its default value, else 0. Pure. */
int dln_param_is_default(const dln_params *p, const dln_param_def *d);

/* A list row's values in p: their number, and a pointer to them. Pure. */
int dln_param_list_len(const dln_params *p, const dln_param_def *d);
const double *dln_param_list(const dln_params *p, const dln_param_def *d);
/* Set list row d of p to the n values v (n <= d->max_n). Pure. */
void dln_param_set_list(dln_params *p, const dln_param_def *d,
                        const double *v, int n);

/* Copy row d's value (of any type) from src into p. Pure. */
void dln_param_copy(dln_params *p, const dln_params *src,
                    const dln_param_def *d);
/* Order of row d's values in p and q: < 0, 0 (the same cell value) or
 * > 0; lists by length then values, files by content. Pure. */
int dln_param_compare(const dln_params *p, const dln_params *q,
                      const dln_param_def *d);

/* Text of row d's value in p (dln_text_style; init by name, lists as
 * "10,9.5,9"; a file as its content hash, 16 hex digits, except
 * DLN_TEXT_HUMAN: its path) into buf; truncates safely. Pure. */
void dln_param_format(const dln_params *p, const dln_param_def *d,
                      dln_text_style style, char *buf, size_t len);
/* The same for a value v of a scalar row (as dln_param_get returns it). */
void dln_param_format_value(const dln_param_def *d, double v,
                            dln_text_style style, char *buf, size_t len);
/* Comma list of n values (%.17g when exact, else shortest) into buf. */
void dln_param_format_list(const double *v, int n, int exact, char *buf,
                           size_t len);
/* Shortest "%.*g" text of v that reads back as v, into buf (>= 32). */
void dln_format_real(double v, char *buf, size_t len);

/* Allowed values of row d as words: "an integer in 1..1000", "> 0",
 * "in (0, 1)", "true or false", "identity, balanced, orthogonal or
 * gaussian", "descending values >= 0". Pure. */
void dln_param_range_text(const dln_param_def *d, char *buf, size_t len);
/* 1 if the scalar value v lies in row d's range, else 0. Pure. */
int dln_param_in_range(const dln_param_def *d, double v);

/* Read text (command-line spelling: "0.05", "3", "true", "gaussian",
 * "10,9.5,9", a file's path) into row d of p and check the row's range.
 * A file row reads the file (npy.h) for its content hash and size.  0, or
 * 2 with "name: reason" in err (p unchanged); 1 out of memory. */
int dln_param_parse(dln_params *p, const dln_param_def *d, const char *text,
                    char *err, size_t errlen);

/* Read a comma list "1.5,2.25" ("" = none) of at most d->max_n values
 * into v[], *n; 0, or 2 with "name: reason" in err. Pure. */
int dln_param_parse_list(const dln_param_def *d, const char *text,
                         double *v, int *n, char *err, size_t errlen);

/* Check row d of p against its range alone: 0, or 2 with "name: reason"
 * in err. Pure. */
int dln_param_check(const dln_params *p, const dln_param_def *d, char *err,
                    size_t errlen);

/* What dln_params_check found wrong: the parameter at fault, the others a
 * cross-field check involves (NULL-terminated early), and why. */
typedef struct dln_param_problem {
    const dln_param_def *key;
    const dln_param_def *with[3];
    char reason[256];
} dln_param_problem;

/* Every row's range, then the cross-field checks (rank <= min(d_in,
 * d_out), top_k <= lanczos_iters, transient_window <= steps, alpha_layers
 * one per layer, init_diag and init_file only with their init kind and of
 * the size the layers need).  0, or 2 with *out filled
 * (dln_params_validate writes it as "key: reason"). */
int dln_params_check(const dln_params *p, dln_param_problem *out);

#endif
