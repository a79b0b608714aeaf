/*
 * A minimal HTTP/1.1 server for the metrics, in the host's poll loop: it
 * answers "GET /metrics" with the OpenMetrics text the callback renders
 * (Content-Type application/openmetrics-text; version=1.0.0), anything
 * else with 404 (or 405 for another method), and closes each connection
 * after its answer. Requests are bounded (8 KiB of headers, 5 s to send
 * them, 16 connections at once); nothing here blocks.
 */
#ifndef ESL_HOST_METRICS_SERVER_H
#define ESL_HOST_METRICS_SERVER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Render the metrics into out (appending); 0, or -1 when out of memory. */
typedef int (*metrics_render_fn)(void *user, strbuf *out);

typedef struct metrics_server metrics_server;

/*
 * Listen on "HOST:PORT" (PORT 0: a free port; see metrics_server_address()).
 * Returns NULL with a reason in err when the address is bad or taken.
 */
metrics_server *metrics_server_new(const char *address, metrics_render_fn render, void *user,
                                   char *err, size_t errlen);

/* "127.0.0.1:PORT" as bound. */
const char *metrics_server_address(const metrics_server *s);

/* How many descriptors to watch now (at most 1 + 16), written into fds. */
size_t metrics_server_poll_fill(metrics_server *s, struct pollfd *fds, size_t max);

/* Handle the descriptors filled by the last metrics_server_poll_fill() (with revents). */
void metrics_server_handle(metrics_server *s, const struct pollfd *fds, size_t count,
                           int64_t now_ms);

/* Close everything (NULL is ignored). */
void metrics_server_free(metrics_server *s);

#endif
