/*
 * Snapshots of calls: in memory after every event, and with --snapshot-dir
 * one file per call, DIR/UUID.json:
 *
 *   {"format": "ivrsm-esl-host/1", "call_id": UUID, "session_id": ID,
 *    "inflight_id": N, "inflight_type": T, "last_pulled_id": N,
 *    "snapshot": {...ivrsm_session_snapshot()...}}
 *
 * A file is written whole to a temporary name and renamed, so a crash
 * never leaves half a file; it is readable by its owner only, because a
 * session's ctx holds the caller's tokens. It is removed when the call ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calls_int.h"
#include "esl_wire.h"

#define SNAP_FORMAT "ivrsm-esl-host/1"
#define SNAP_MAX_FILE (8 * 1024 * 1024)

static int snap_path(const host *h, const char *uuid, const char *suffix, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s.json%s", h->cfg.snapshot_dir, uuid, suffix);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int snap_take(call *c)
{
    char *snap = NULL;
    int rc = ivrsm_session_snapshot(c->s, &snap);
    if (rc != 0) {
        log_at(&c->h->log, LOG_WARN, "call %s: cannot save the session: %s", c->uuid,
               ivrsm_strerror(rc));
        return -1;
    }
    ivrsm_free(c->snapshot);
    c->snapshot = snap;
    snap_store(c);
    return 0;
}

static json_t *snap_document(const call *c)
{
    json_t *snapshot = json_loads(c->snapshot, 0, NULL);
    if (!snapshot)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:I, s:i, s:I, s:o}", "format", SNAP_FORMAT, "call_id",
                     c->uuid, "session_id", c->session_id, "inflight_id",
                     (json_int_t)c->inflight_id, "inflight_type", (int)c->inflight_type,
                     "last_pulled_id", (json_int_t)c->last_pulled_id, "snapshot", snapshot);
}

void snap_store(call *c)
{
    const host *h = c->h;
    if (!h->cfg.snapshot_dir || !c->snapshot)
        return;
    char path[PATH_MAX], tmp[PATH_MAX];
    json_t *doc = snap_document(c);
    if (!doc || snap_path(h, c->uuid, "", path, sizeof(path)) != 0 ||
        snap_path(h, c->uuid, ".tmp", tmp, sizeof(tmp)) != 0) {
        json_decref(doc);
        log_at(&h->log, LOG_WARN, "call %s: cannot build its snapshot file", c->uuid);
        return;
    }
    /* A new regular file, whatever was left under that name. */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : json_dumpfd(doc, fd, JSON_COMPACT);
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    json_decref(doc);
    if (rc != 0 || rename(tmp, path) != 0) {
        log_at(&h->log, LOG_WARN, "call %s: cannot write %s: %s", c->uuid, path, strerror(errno));
        unlink(tmp);
    }
}

void snap_remove(call *c)
{
    char path[PATH_MAX];
    if (c->h->cfg.snapshot_dir && snap_path(c->h, c->uuid, "", path, sizeof(path)) == 0)
        unlink(path);
}

/* ---------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------- */

/*
 * Open a snapshot file for reading: a regular file only. A FIFO would block
 * the host at start (opening it waits for a writer), a device could be read
 * forever, a symbolic link could point anywhere: O_NONBLOCK and O_NOFOLLOW,
 * then the type is checked on what was opened. Returns the descriptor, or -1
 * with why set.
 */
static int open_regular(const char *path, char *why, size_t len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        snprintf(why, len, "cannot be opened: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, len, "not a regular file");
        close(fd);
        return -1;
    }
    if (st.st_size > SNAP_MAX_FILE) {
        snprintf(why, len, "larger than %d bytes", SNAP_MAX_FILE);
        close(fd);
        return -1;
    }
    return fd;
}

/* Read and check one file; on success *doc holds it. Returns 0 or -1 with why set. */
static int read_document(const char *path, json_t **doc, char *why, size_t len)
{
    json_error_t err;
    int fd = open_regular(path, why, len);
    if (fd < 0)
        return -1;
    *doc = json_loadfd(fd, JSON_REJECT_DUPLICATES, &err);
    close(fd);
    if (!*doc) {
        snprintf(why, len, "not JSON (line %d: %s)", err.line, err.text);
        return -1;
    }
    const char *format = json_string_value(json_object_get(*doc, "format"));
    const char *uuid = json_string_value(json_object_get(*doc, "call_id"));
    const char *session = json_string_value(json_object_get(*doc, "session_id"));
    if (!format || strcmp(format, SNAP_FORMAT) != 0 || !esl_uuid_valid(uuid) || !session ||
        strlen(session) >= 48 || !json_is_object(json_object_get(*doc, "snapshot"))) {
        snprintf(why, len, "not a snapshot file of this host (format %s)", SNAP_FORMAT);
        json_decref(*doc);
        *doc = NULL;
        return -1;
    }
    return 0;
}

/* A call from a checked document; NULL (with why) when its session cannot be restored. */
static call *call_from_document(host *h, json_t *doc, call *(*make)(host *h, const char *uuid),
                                char *why, size_t len)
{
    char *snapshot = json_dumps(json_object_get(doc, "snapshot"), JSON_COMPACT);
    const char *uuid = json_string_value(json_object_get(doc, "call_id"));
    if (!snapshot || call_find(h, uuid)) {
        snprintf(why, len, snapshot ? "a second file for the same call" : "out of memory");
        free(snapshot);
        return NULL;
    }
    call *c = make(h, uuid);
    if (!c) {
        snprintf(why, len, "out of memory");
        free(snapshot);
        return NULL;
    }
    snprintf(c->session_id, sizeof(c->session_id), "%s",
             json_string_value(json_object_get(doc, "session_id")));
    c->inflight_id = (uint64_t)json_integer_value(json_object_get(doc, "inflight_id"));
    c->inflight_type =
        (ivrsm_command_type)json_integer_value(json_object_get(doc, "inflight_type"));
    c->last_pulled_id = (uint64_t)json_integer_value(json_object_get(doc, "last_pulled_id"));
    ivrsm_session_options o;
    call_session_options(c, &o);
    ivrsm_error err = {0};
    int rc = ivrsm_session_restore(c->machine, snapshot, &o, &c->s, &err);
    if (rc == 0)
        rc = ivrsm_session_snapshot(c->s, &c->snapshot);
    free(snapshot);
    if (rc != 0) {
        snprintf(why, len, "the session cannot be restored: %s %.300s", ivrsm_strerror(rc),
                 err.message);
        /* The record stays out of the way: ended at once, its file kept. */
        call_mark_ended(c);
        return NULL;
    }
    c->needs_resume = true;
    return c;
}

size_t snap_load_all(host *h, call *(*make)(host *h, const char *uuid))
{
    if (!h->cfg.snapshot_dir)
        return 0;
    DIR *dir = opendir(h->cfg.snapshot_dir);
    if (!dir) {
        log_at(&h->log, LOG_WARN, "cannot read the snapshot directory %s: %s", h->cfg.snapshot_dir,
               strerror(errno));
        return 0;
    }
    size_t loaded = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[PATH_MAX], why[800];
        json_t *doc = NULL;
        snprintf(path, sizeof(path), "%s/%s", h->cfg.snapshot_dir, e->d_name);
        call *c = NULL;
        if (read_document(path, &doc, why, sizeof(why)) == 0)
            c = call_from_document(h, doc, make, why, sizeof(why));
        json_decref(doc);
        if (!c) {
            log_at(&h->log, LOG_ERROR, "snapshot %s left alone: %s", path, why);
            continue;
        }
        loaded++;
        log_at(&h->log, LOG_INFO, "call %s: saved session %s loaded in %s; resumed once connected",
               c->uuid, c->session_id, ivrsm_session_state(c->s));
    }
    closedir(dir);
    return loaded;
}
