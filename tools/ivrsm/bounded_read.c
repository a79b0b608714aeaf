/* Reading files and lines within a bound (see bounded_read.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounded_read.h"
#include "file.h"

/* Make room for `need` bytes in *buf; 0, or -1 (errno ENOMEM). */
static int reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t grown = *cap ? *cap : 256;
    while (grown < need)
        grown *= 2;
    char *more = realloc(*buf, grown);
    if (!more) {
        errno = ENOMEM;
        return -1;
    }
    *buf = more;
    *cap = grown;
    return 0;
}

bounded_status bounded_line(FILE *f, size_t max, char **line, size_t *cap, size_t *len)
{
    *len = 0;
    for (;;) {
        int c = getc(f);
        if (c == EOF) {
            if (ferror(f))
                return BOUNDED_ERROR;
            break;
        }
        if (*len == max) {
            ungetc(c, f);
            return BOUNDED_TOO_LONG;
        }
        if (reserve(line, cap, *len + 2) != 0)
            return BOUNDED_ERROR;
        (*line)[(*len)++] = (char)c;
        if (c == '\n')
            break;
    }
    if (*len == 0)
        return BOUNDED_END;
    (*line)[*len] = '\0';
    return BOUNDED_LINE;
}

void bounded_skip_line(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF && c != '\n')
        ;
}

char *bounded_file(const char *path, size_t max, size_t *len)
{
    bool fifo;
    FILE *f = ivrsm_file_open_read(path, &fifo);
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int failed = 0;
    for (;;) {
        /* Read at most one byte past the bound: enough to know it is passed. */
        if (reserve(&buf, &cap, n + 65536 + 1) != 0) {
            failed = ENOMEM;
            break;
        }
        size_t want = cap - 1 - n;
        if (want > max + 1 - n)
            want = max + 1 - n;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (n > max) {
            failed = EFBIG;
            break;
        }
        if (got < want) {
            failed = ferror(f) ? (errno ? errno : EIO) : 0;
            break;
        }
    }
    fclose(f);
    if (!failed && n == 0 && fifo)
        failed = ENODATA;
    if (failed) {
        free(buf);
        errno = failed;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

const char *bounded_strerror(int errnum)
{
    return errnum == ENODATA ? IVRSM_FILE_NOTHING_WRITTEN : strerror(errnum);
}
