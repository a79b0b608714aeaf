/* Opening a file for reading without waiting (see file.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* 0 when fd may be read as a file (reads that wait, as fopen()'s), else the errno to give. */
static int readable_file(int fd, bool *is_fifo)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EISDIR;
    if (is_fifo)
        *is_fifo = S_ISFIFO(st.st_mode);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        return errno;
    return 0;
}

FILE *ivrsm_file_open_read(const char *path, bool *is_fifo)
{
    if (is_fifo)
        *is_fifo = false;
    /* O_NONBLOCK: open(2) of a FIFO returns at once instead of waiting for a writer (fifo(7);
     * Linux fs/pipe.c, fifo_open()). Its reads then wait again, as fopen()'s do: a FIFO that no
     * program has open for writing reads as its end (pipe_read(): no writers, 0 bytes), one
     * that a program writes gives what it sends, as `ivrsm validate <(generate)` needs. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    int failed = readable_file(fd, is_fifo);
    FILE *f = failed ? NULL : fdopen(fd, "rb");
    if (!f) {
        if (!failed)
            failed = errno;
        close(fd);
        errno = failed;
    }
    return f;
}
