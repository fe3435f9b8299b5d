/* number.h — the one grammar of real numbers typed by a user, shared by
 * job files, `single`'s options and spectrum lists, so that a value means
 * the same everywhere: a decimal literal (sign, digits, point, exponent);
 * no hex floats, inf, nan or surrounding text.  Values too small for a
 * normal double read as the nearest subnormal (or 0); too large ones as
 * +-inf, which callers refuse as not finite; -0 reads as 0 (it would hash
 * apart from 0). */
#ifndef DLNSWEEP_NUMBER_H
#define DLNSWEEP_NUMBER_H

/* Parse all of text into *out; 0, or 2 when text is not a decimal
 * literal.  Pure. */
int dln_parse_real(const char *text, double *out);

#endif
