/* cli_params.c — `dlnsweep params [--markdown]`: the parameter table
 * (paramdefs.h) for people, or as the markdown of docs/job-files.md's
 * parameter tables; and the aligned listing `single --help` shares.
 * No MPI. */
#include <stdio.h>
#include <string.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/strbuf.h"
#include "cli_internal.h"

#define WRAP_COL 79

void dln_cli_option_name(const dln_param_def *d, char *buf, size_t len)
{
    snprintf(buf, len, "%s", d->name);
    for (char *c = buf; *c; c++)
        if (*c == '_')
            *c = '-';
}

/* Metavariable of row d's option ("" for a flag). */
static const char *metavar(const dln_param_def *d)
{
    switch (d->type) {
    case DLN_PT_REAL: return " X";
    case DLN_PT_INT:
    case DLN_PT_LONG: return " N";
    case DLN_PT_INIT: return " KIND";
    case DLN_PT_LIST: return " LIST";
    case DLN_PT_FILE: return " FILE";
    default: return "";
    }
}

/* text from column col (the cursor is there), wrapped at WRAP_COL with
 * continuation lines indented to column indent. */
static void wrap(FILE *out, int col, int indent, const char *text)
{
    const char *w = text;
    while (*w) {
        size_t n = strcspn(w, " ");
        if (col > indent && col + 1 + (int)n > WRAP_COL) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(w, 1, n, out);
        col += (int)n;
        w += n;
        while (*w == ' ')
            w++;
    }
    fputc('\n', out);
}

/* "[RANGE, default D]" of row d (an option flag: "[default off]"). */
static void values_text(const dln_param_def *d, int as_option, char *buf,
                        size_t len)
{
    char range[160], def[256];
    dln_params p;
    dln_params_defaults(&p);
    dln_param_format(&p, d, DLN_TEXT_HUMAN, def, sizeof def);
    dln_param_range_text(d, range, sizeof range);
    if (as_option && d->type == DLN_PT_BOOL)
        snprintf(buf, len, "[default %s]", dln_param_get(&p, d) ? "on"
                                                                : "off");
    else
        snprintf(buf, len, "[%s, default %s]", range, def);
}

void dln_cli_print_params(FILE *out, dln_param_section sec, int as_options)
{
    for (int i = 0; i < dln_param_count(); i++) {
        const dln_param_def *d = dln_param_at(i);
        char name[64], head[96], vals[512], text[1024];
        if (d->section != sec)
            continue;
        if (as_options) {
            dln_cli_option_name(d, name, sizeof name);
            snprintf(head, sizeof head, "  --%s%s", name, metavar(d));
        } else
            snprintf(head, sizeof head, "  %s", d->name);
        values_text(d, as_options, vals, sizeof vals);
        snprintf(text, sizeof text, "%s %s", d->doc, vals);
        int col = fprintf(out, "%s", head);
        if (col >= DLN_CLI_DOC_COL - 1) {
            fputc('\n', out);
            col = 0;
        }
        fprintf(out, "%*s", DLN_CLI_DOC_COL - col, "");
        wrap(out, DLN_CLI_DOC_COL, DLN_CLI_DOC_COL, text);
    }
}

/* One markdown table of section sec. */
static void markdown_table(FILE *out, dln_param_section sec)
{
    dln_params p;
    dln_params_defaults(&p);
    fputs("| key | values | default | meaning |\n|---|---|---|---|\n", out);
    for (int i = 0; i < dln_param_count(); i++) {
        const dln_param_def *d = dln_param_at(i);
        char range[160], def[256];
        if (d->section != sec)
            continue;
        dln_param_range_text(d, range, sizeof range);
        dln_param_format(&p, d, DLN_TEXT_HUMAN, def, sizeof def);
        fprintf(out, "| `%s` | %s | %s | %s |\n", d->name, range, def,
                d->doc);
    }
}

/* The axes in expansion order, "depth, width, ..., eta", into buf. */
static void expansion_order(char *buf, size_t len)
{
    dln_strbuf b = DLN_STRBUF_INIT;
    for (int k = 0; k < dln_param_axis_count(); k++)
        dln_strbuf_appendf(&b, "%s%s", k ? ", " : "", dln_param_axis(k)->name);
    dln_strbuf_copy(&b, buf, len);
    dln_strbuf_free(&b);
}

static void print_markdown(FILE *out)
{
    char order[1024];
    expansion_order(order, sizeof order);
    fputs("**grid:** axes (each a single value, a list, or a range):\n\n",
          out);
    markdown_table(out, DLN_PS_GRID);
    fprintf(out, "\nAxes vary in the fixed order %s (the first slowest).\n\n"
            "**diagnostics:** (single values shared by every cell):\n\n",
            order);
    markdown_table(out, DLN_PS_DIAG);
}

static void print_text(FILE *out)
{
    char order[1024], text[1200];
    expansion_order(order, sizeof order);
    snprintf(text, sizeof text, "(cells expand in the order %s, the first "
             "slowest)", order);
    fputs("grid axes (a job file's grid:; `dlnsweep single --KEY`):\n", out);
    dln_cli_print_params(out, DLN_PS_GRID, 0);
    fputs("  ", out);
    wrap(out, 2, 3, text);
    fputs("diagnostics (a job file's diagnostics:; `dlnsweep single "
          "--KEY`):\n", out);
    dln_cli_print_params(out, DLN_PS_DIAG, 0);
    fputs("Keys are also the columns of the runs table; an option spells "
          "'_' as '-'.\n", out);
}

static void usage(FILE *out)
{
    fputs("usage: dlnsweep params [--markdown]\n"
          "\n"
          "Prints the run parameters: each one's job-file key (under grid:\n"
          "or diagnostics:, also the runs column and, with '-' for '_', the\n"
          "`dlnsweep single` option), allowed values, default and meaning.\n"
          "--markdown prints docs/job-files.md's parameter tables instead.\n",
          out);
}

int dln_cli_params(int argc, char **argv)
{
    int markdown = 0;
    static const struct option longs[] = {
        {"markdown", no_argument, NULL, 'm'}, DLN_OPT_HELP_ENTRY, {0}};
    dln_cli_opts o = dln_cli_opts_begin(argc, argv, "", longs);
    int c;
    while ((c = dln_cli_next_option(&o)) > 0) {
        if (c == 'm')
            markdown = 1;
        else {
            dln_cli_error("dlnsweep params", "unexpected argument '%s' (try "
                          "--help)", optarg);
            return 2;
        }
    }
    if (c == DLN_OPT_HELP) {
        usage(stdout);
        return 0;
    }
    if (c == DLN_OPT_BAD) {
        dln_cli_error("dlnsweep params", "%s", o.msg);
        return 2;
    }
    if (markdown)
        print_markdown(stdout);
    else
        print_text(stdout);
    return 0;
}
