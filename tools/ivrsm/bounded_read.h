/*
 * Reading files and lines that anyone may have written, within a bound: a
 * trace, a file of canned answers, the caller lines on stdin. /dev/zero, a
 * line without end or a file of gigabytes gets an error, not all the memory.
 */
#ifndef IVRSM_CLI_BOUNDED_READ_H
#define IVRSM_CLI_BOUNDED_READ_H

#include <stdio.h>

/* What bounded_line() found. */
typedef enum bounded_status {
    BOUNDED_LINE = 1,     /* a line, its '\n' included when it had one */
    BOUNDED_END = 0,      /* nothing more to read */
    BOUNDED_ERROR = -1,   /* a read error, or out of memory (errno says which) */
    BOUNDED_TOO_LONG = -2 /* `max` bytes came without a line break: the rest is left unread */
} bounded_status;

/*
 * Read one line of at most `max` bytes from `f` into *line (grown with
 * realloc(), as getline() does; free() it) and its length into *len.
 */
bounded_status bounded_line(FILE *f, size_t max, char **line, size_t *cap, size_t *len);

/* Read and drop the rest of a line too long (up to its '\n' or the end of the file). */
void bounded_skip_line(FILE *f);

/*
 * The whole file at `path`, NUL-terminated, when it holds at most `max`
 * bytes (a new string: free() it), its length in *len. NULL with errno set
 * when it cannot be read (EFBIG: larger than `max`; ENOMEM; what fopen or
 * fread said; ENODATA: a FIFO that no program wrote to), without reading
 * more than max + 1 bytes of it. A FIFO or a directory never makes it wait
 * (ivrsm_file_open_read()).
 */
char *bounded_file(const char *path, size_t max, size_t *len);

/* What to say of bounded_file()'s errno (ENODATA: of the FIFO). */
const char *bounded_strerror(int errnum);

#endif
