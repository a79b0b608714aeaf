/*
 * The snapshot directory store (--snapshot-dir DIR): DIR/UUID.json per call.
 *
 * A file is written whole to a temporary name and renamed, so a crash
 * never leaves half a file; it is readable by its owner only, because a
 * session's ctx holds the caller's tokens. One host uses the directory:
 * every claim succeeds, the calls it owns are the files it finds, and a
 * release keeps the file for the next run. Every operation answers at once.
 */
#include "store_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_MAX_FILE (8 * 1024 * 1024)

typedef struct dir_store {
    store base;
    char *dir;
} dir_store;

static int file_path(const dir_store *d, const char *uuid, const char *suffix, char *out,
                     size_t len)
{
    int n = snprintf(out, len, "%s/%s.json%s", d->dir, uuid, suffix);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static int write_file(const char *path, const char *doc, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, doc + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    return close(fd);
}

static int dir_put(store *s, const char *uuid, const char *doc, size_t len, store_done_fn done,
                   void *user)
{
    dir_store *d = (dir_store *)s;
    char path[PATH_MAX], tmp[PATH_MAX];
    int rc = -1;
    if (file_path(d, uuid, "", path, sizeof(path)) == 0 &&
        file_path(d, uuid, ".tmp", tmp, sizeof(tmp)) == 0) {
        /* A new regular file, whatever was left under that name. */
        unlink(tmp);
        rc = write_file(tmp, doc, len) == 0 && rename(tmp, path) == 0 ? 0 : -1;
        if (rc != 0)
            unlink(tmp);
    }
    s->stats.ops++;
    if (rc == 0) {
        s->stats.puts_ok++;
        s->stats.bytes_written += len;
    } else {
        s->stats.puts_failed++;
    }
    if (done)
        done(user, rc);
    return 0;
}

/*
 * Open a file for reading: a regular file only. A FIFO would block the host
 * (opening it waits for a writer), a device could be read forever, a
 * symbolic link could point anywhere: O_NONBLOCK and O_NOFOLLOW, then the
 * type is checked on what was opened. Returns the descriptor, -2 when there
 * is no file, or -1 with why set.
 */
static int open_regular(const char *path, off_t *size, char *why, size_t len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        if (errno == ENOENT)
            return -2;
        snprintf(why, len, "cannot be opened: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, len, "not a regular file");
        close(fd);
        return -1;
    }
    if (st.st_size > DIR_MAX_FILE) {
        snprintf(why, len, "larger than %d bytes", DIR_MAX_FILE);
        close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}

static int dir_get(store *s, const char *uuid, store_get_fn fn, void *user)
{
    dir_store *d = (dir_store *)s;
    char path[PATH_MAX], why[300] = "path too long";
    off_t size = 0;
    int fd = file_path(d, uuid, "", path, sizeof(path)) == 0
                 ? open_regular(path, &size, why, sizeof(why))
                 : -1;
    s->stats.ops++;
    if (fd == -2) {
        fn(user, 0, NULL, 0, NULL);
        return 0;
    }
    char *buf = fd >= 0 ? malloc((size_t)size + 1) : NULL;
    size_t got = 0;
    while (buf && got < (size_t)size) {
        ssize_t n = read(fd, buf + got, (size_t)size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    if (fd >= 0 && !buf)
        snprintf(why, sizeof(why), "out of memory");
    else if (buf && got != (size_t)size)
        snprintf(why, sizeof(why), "cannot be read whole");
    if (!buf || got != (size_t)size)
        fn(user, -1, NULL, 0, why);
    else
        fn(user, 0, buf, got, NULL);
    free(buf);
    return 0;
}

static int dir_remove(store *s, const char *uuid)
{
    dir_store *d = (dir_store *)s;
    char path[PATH_MAX];
    s->stats.ops++;
    if (file_path(d, uuid, "", path, sizeof(path)) == 0)
        unlink(path);
    return 0;
}

static int dir_claim(store *s, const char *uuid, store_claim_fn fn, void *user)
{
    (void)s;
    (void)uuid;
    fn(user, 1);
    return 0;
}

static int dir_release(store *s, const char *uuid)
{
    (void)s;
    (void)uuid; /* the file stays for the next run */
    return 0;
}

static int dir_list_owned(store *s, store_list_fn fn, void *user)
{
    dir_store *d = (dir_store *)s;
    DIR *dir = opendir(d->dir);
    if (!dir)
        return -1;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        char uuid[80];
        if (n < 6 || n - 5 >= sizeof(uuid) || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(uuid, sizeof(uuid), "%.*s", (int)(n - 5), e->d_name);
        fn(user, uuid);
    }
    closedir(dir);
    fn(user, NULL);
    return 0;
}

static void dir_describe(const store *s, const char *uuid, char *out, size_t len)
{
    const dir_store *d = (const dir_store *)s;
    snprintf(out, len, "%s/%s.json", d->dir, uuid);
}

static size_t dir_poll_fill(store *s, struct pollfd *fds, size_t max)
{
    (void)s;
    (void)fds;
    (void)max;
    return 0;
}

static void dir_poll_handle(store *s, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    (void)s;
    (void)fds;
    (void)n;
    (void)now_ms;
}

static int64_t dir_deadline(const store *s)
{
    (void)s;
    return -1;
}

static void dir_tick(store *s, int64_t now_ms)
{
    (void)s;
    (void)now_ms;
}

static void dir_flush(store *s, int timeout_ms)
{
    (void)s;
    (void)timeout_ms;
}

static bool dir_connected(const store *s)
{
    (void)s;
    return true;
}

static void dir_free(store *s)
{
    dir_store *d = (dir_store *)s;
    if (!d)
        return;
    free(d->dir);
    free(d);
}

static const store_ops dir_ops = {.name = "directory",
                                  .put = dir_put,
                                  .get = dir_get,
                                  .remove = dir_remove,
                                  .claim = dir_claim,
                                  .release = dir_release,
                                  .list_owned = dir_list_owned,
                                  .describe = dir_describe,
                                  .poll_fill = dir_poll_fill,
                                  .poll_handle = dir_poll_handle,
                                  .deadline = dir_deadline,
                                  .tick = dir_tick,
                                  .flush = dir_flush,
                                  .connected = dir_connected,
                                  .free = dir_free};

store *store_dir_new(const char *dir, const store_events *ev)
{
    dir_store *d = calloc(1, sizeof(*d));
    if (!d || !(d->dir = strdup(dir))) {
        free(d);
        return NULL;
    }
    d->base.ops = &dir_ops;
    d->base.ev = *ev;
    d->base.stats.disconnected_since = -1;
    return &d->base;
}
