/*
 * The session store: where the host keeps each live call's snapshot so
 * that the call outlives the host's process, and who owns which call when
 * several hosts share one FreeSWITCH. The library stays sans-I/O; the store
 * is the host's adapter, like HTTP.
 *
 * Two implementations:
 *   store_dir.c    --snapshot-dir DIR: one file per call; one host owns
 *                  every call it finds there (claims always succeed)
 *   store_redis.c  --redis HOST:PORT: hiredis's async API in the host's poll
 *                  loop; ownership by SET NX with a lease, renewed while the
 *                  host lives; calls whose lease expired are offered to
 *                  every host (orphans) and taken over by one
 *
 * Operations that need an answer take a callback. It may be called before
 * the operation returns (the directory answers at once) or later from the
 * poll loop (Redis); it is called exactly once when the operation returned
 * 0, never when it returned -1. A document is what snapstore.c builds: a
 * JSON object with the session's snapshot, its session id and the command
 * in flight.
 */
#ifndef ESL_HOST_STORE_H
#define ESL_HOST_STORE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store;

/* put, remove, release: 0 stored, -1 not stored (disconnected), STORE_REFUSED (the store
 * answered and refused it: Redis out of memory...), STORE_TAKEN: another host owns the call
 * (a put is refused then, and on_lost follows). */
#define STORE_TAKEN (-2)
typedef void (*store_done_fn)(void *user, int status);
/* claim: 1 the call is ours, 0 another host owns it, -1 unknown (error), STORE_REFUSED: the
 * store answered, and refuses the claim (Redis out of memory, another application's data at
 * the call's keys), however often it was asked: no host can take the call. */
#define STORE_REFUSED (-3)
typedef void (*store_claim_fn)(void *user, int result);
/* get: the document (len bytes, not terminated; NULL when there is none),
 * or status -1 (not read: try again later) or STORE_REFUSED (the store refuses to read it:
 * another application's value at its key) with why set. */
typedef void (*store_get_fn)(void *user, int status, const char *doc, size_t len, const char *why);
/* list_owned: once per call (uuid), then once with uuid NULL. */
typedef void (*store_list_fn)(void *user, const char *uuid);

/* What the store tells the host on its own. */
typedef struct store_events {
    /* The store (re)connected: documents it could not take meanwhile may be put again. */
    void (*on_ready)(void *user);
    /* Another host owns a call this host claimed (its lease was lost). */
    void (*on_lost)(void *user, const char *uuid);
    /* A call this host owns whose lease cannot be kept: its keys hold another application's
     * data (why says which). No host can claim it either. */
    void (*on_unkeepable)(void *user, const char *uuid, const char *why);
    /* A call whose owner's lease expired: any host may claim it. */
    void (*on_orphan)(void *user, const char *uuid);
    /* The host's leases are in doubt (fenced: act on no call) or good again. */
    void (*on_fence)(void *user, bool fenced);
    /* The answer to a put of a call's document: 0 stored, STORE_TAKEN, STORE_REFUSED (why is
     * what the store answered), or -1 not stored (no answer: the connection went). */
    void (*on_put)(void *user, const char *uuid, int status, const char *why);
    /* The store refused this host before it was ever ready (a wrong or missing password,
     * another application's data at its keys): a configuration error, why says which. */
    void (*on_refused)(void *user, const char *why);
    void *user;
} store_events;

typedef struct store_ops {
    const char *name; /* "directory", "redis" */
    /* Other hosts may take this host's calls over (Redis): a backend request is sent only
     * once the document naming it in flight is stored, else a host taking the call over
     * from an older document could send another request under the same idempotency key.
     * The directory belongs to one host: a request whose document the disk refused goes. */
    bool shared;
    /* Store the document of a call (replacing the last one). done may be NULL. */
    int (*put)(store *s, const char *uuid, const char *doc, size_t len, store_done_fn done,
               void *user);
    /* Read the document of a call. */
    int (*get)(store *s, const char *uuid, store_get_fn fn, void *user);
    /* The call ended: forget its document and ownership. */
    int (*remove)(store *s, const char *uuid);
    /* Take ownership of a call (a new one, or an orphan). */
    int (*claim)(store *s, const char *uuid, store_claim_fn fn, void *user);
    /* Give a call up, its document kept: another host (or the next run) takes it. */
    int (*release)(store *s, const char *uuid);
    /* The calls this host owns (from an earlier run of the same host). */
    int (*list_owned)(store *s, store_list_fn fn, void *user);
    /* Where a call's document lives, for messages ("DIR/UUID.json", "redis key K"). */
    void (*describe)(const store *s, const char *uuid, char *out, size_t len);

    /* The poll loop: descriptors to watch (at most max), then their revents. */
    size_t (*poll_fill)(store *s, struct pollfd *fds, size_t max);
    void (*poll_handle)(store *s, const struct pollfd *fds, size_t n, int64_t now_ms);
    /* When tick must run next (monotonic ms), -1 never; tick runs timers. */
    int64_t (*deadline)(const store *s);
    void (*tick)(store *s, int64_t now_ms);
    /* Send what is queued and wait for the answers, at most timeout_ms (at exit only). */
    void (*flush)(store *s, int timeout_ms);
    /* Whether writes reach the store now. */
    bool (*connected)(const store *s);
    /* Whether this host's leases may have ended by now (monotonic ms): checked right
     * before anything is sent for a call, so that a host that stood still (a pause, a
     * frozen machine) acts on nothing before its timers have run. Fires on_fence when it
     * finds the leases ended. NULL: the store has no leases (never fenced). */
    bool (*fenced_at)(store *s, int64_t now_ms);
    void (*free)(store *s);
} store_ops;

/* What a store counts, for the metrics and the benchmark. */
typedef struct store_stats {
    unsigned long ops;           /* requests sent to the store */
    unsigned long bytes_written; /* document bytes put */
    unsigned long puts_ok, puts_failed;
    unsigned long disconnects;  /* connections to the store lost */
    double disconnected_s;      /* time spent without one, in all */
    int64_t disconnected_since; /* monotonic ms, -1 while connected */
} store_stats;

/* The common head of every store. */
struct store {
    const store_ops *ops;
    store_events ev;
    store_stats stats;
};

/* Descriptors a store watches at most. */
#define STORE_MAX_FDS 1

#endif
