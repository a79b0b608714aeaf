/*
 * A small HTTP/1.1 server for tests and benchmarks: it listens on 127.0.0.1
 * on an ephemeral port and serves from one thread of its own with
 * non-blocking sockets and poll(), so slow requests wait side by side
 * without holding up the others. Keep-alive, pipelining, Content-Length
 * bodies and "Expect: 100-continue" are supported.
 *
 * Routes (any method; the query string selects options):
 *   /json                 200, {"ok":true,"route":"json","items":[1,2,3]}
 *   /status/NNN           status NNN (200..599), {"status":NNN,"error":"status NNN"};
 *                         no body for 204 and 304; "not JSON either\n" with &text=1
 *   /text                 200, text/plain, "plain text, not JSON\n"
 *   /big?bytes=N          200, a JSON string of exactly N bytes (N >= 2), with
 *                         Content-Length, or chunked with &chunked=1
 *   /slow?ms=N            200 after N ms, {"route":"slow","ms":N,"waiting":W,
 *                         "gate_waiting":G}: W slow requests were waiting when it
 *                         was answered. With &gate=K, no request carrying a gate
 *                         is answered before K of them are waiting at once; G is
 *                         how many were waiting when that happened (0 without gate).
 *   /echo, /echo/...      200, {"method","path","query" (null when none),
 *                         "headers" {lowercased name: value, repeats joined with
 *                         ", "},"header_count","body" (null when empty or not
 *                         UTF-8),"body_bytes"}
 *   /close                closes the connection without answering
 *   anything else         404, {"error":"no route","path":"..."}
 */
#ifndef IVRSM_TEST_HTTP_SERVER_H
#define IVRSM_TEST_HTTP_SERVER_H

#include <stddef.h>

typedef struct http_server http_server;

/* Counters since the server started. */
typedef struct http_server_stats {
    unsigned long connections; /* accepted */
    unsigned long requests;    /* complete requests parsed */
    unsigned long max_waiting; /* most /slow requests waiting at the same time */
} http_server_stats;

/* Start a server; 0 and *out set, or -1 with errno set (nothing to free). */
int http_server_start(http_server **out);

/* The port it listens on. */
int http_server_port(const http_server *s);

/* "http://127.0.0.1:PORT" into buf (at least 32 bytes). */
void http_server_base_url(const http_server *s, char *buf, size_t size);

/* A consistent copy of the counters. */
void http_server_get_stats(http_server *s, http_server_stats *out);

/* Stop the thread, close every connection and free the server. NULL is ignored. */
void http_server_stop(http_server *s);

#endif
