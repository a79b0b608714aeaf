/*
 * Opening a file that anyone may have named for reading: a machine, a trace,
 * canned answers. fopen() of a FIFO that no program writes to waits for one
 * forever (open(2) blocks until a writer comes), and fopen() of a directory
 * succeeds and fails at the first read with a message that names no cause.
 */
#ifndef IVRSM_BASE_FILE_H
#define IVRSM_BASE_FILE_H

#include <stdbool.h>
#include <stdio.h>

/*
 * `path` open for reading, as fopen(path, "rb") would, but without waiting:
 * a FIFO or pipe is opened at once, and reads what its writer writes (its
 * end, as an empty file, when no program writes to it); a directory is
 * refused with errno EISDIR. NULL with errno set otherwise too (what open(2)
 * said, or ENOMEM). *is_fifo (when not NULL) tells a FIFO or a pipe: read
 * empty, no program had it open for writing, and the caller says so
 * (IVRSM_FILE_NOTHING_WRITTEN).
 */
FILE *ivrsm_file_open_read(const char *path, bool *is_fifo);

/* What to say of a FIFO read empty. */
#define IVRSM_FILE_NOTHING_WRITTEN                                                                 \
    "nothing was written to this FIFO (no program had it open for writing)"

#endif
