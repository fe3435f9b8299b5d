/* file.h — reading a whole (text) file into memory, with a size cap. */
#ifndef DLNSWEEP_FILE_H
#define DLNSWEEP_FILE_H

#include <stddef.h>

/* Read the file at path into a malloc'ed, NUL-terminated *text (caller
 * frees) of *len bytes (the NUL not counted).  A file of more than
 * max_bytes is refused.  what names the file's kind in the error ("job
 * file": "PATH: cannot read job file: REASON", "PATH: job file larger
 * than N bytes").  Returns 0; 2 with err when the file cannot be opened,
 * read or is too large; 1 with err when out of memory.  *text is NULL
 * on failure.  Not collective. */
int dln_file_read(const char *path, const char *what, size_t max_bytes,
                  char **text, size_t *len, char *err, size_t errlen);

#endif
