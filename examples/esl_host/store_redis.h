/*
 * The Redis store (--redis HOST:PORT): see store_redis.c. Built with
 * hiredis when it is found; without it, store_redis_new says so.
 */
#ifndef ESL_HOST_STORE_REDIS_H
#define ESL_HOST_STORE_REDIS_H

#include "log.h"
#include "store.h"

typedef struct store_redis_config {
    char address[64]; /* a numeric IPv4 or IPv6 address (names are resolved by the caller) */
    int port;
    const char *password; /* AUTH, or NULL */
    const char *prefix;   /* the keys' first part, e.g. "ivrsm" */
    const char *machine;  /* the machine's name: the keys' second part */
    const char *host_id;  /* this host, as owners are named */
    int lease_ms;         /* a call's lease; renewed every third of it */
    int ttl_ms;           /* the time to live of every key */
    int timeout_ms;       /* a request unanswered this long drops the connection */
    int reconnect_min_ms, reconnect_max_ms;
} store_redis_config;

/* Whether this build has the Redis store. */
bool store_redis_available(void);

/*
 * A Redis store, connecting from the first tick. NULL with why set (out of
 * memory, or a build without hiredis).
 */
store *store_redis_new(const store_redis_config *cfg, const store_events *ev, const logger *log,
                       char *why, size_t why_len);

#endif
