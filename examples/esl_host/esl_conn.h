/*
 * The inbound event socket connection: connect, authenticate, subscribe,
 * frame what arrives, correlate replies, and reconnect with backoff.
 *
 * Nothing here blocks: the socket is non-blocking and the host's poll loop
 * calls esl_conn_handle() when it is ready (esl_conn_fd() and
 * esl_conn_poll_events() say what to watch) and esl_conn_tick() when the
 * deadline of esl_conn_deadline() passes.
 *
 * Life of a connection:
 *   connect → read "auth/request" → send "auth PASSWORD" → "+OK accepted"
 *   → send "event plain TYPES" and "filter HEADER VALUE" → both "+OK"
 *   → ready: on_ready() is called; events go to on_event().
 * A wrong password ("-ERR invalid"), a rude rejection, a protocol error, a
 * handshake that takes too long or a dropped socket close the connection
 * (on_lost() when it had been ready) and a new attempt starts after a
 * delay that doubles each time, from reconnect_min_ms up to
 * reconnect_max_ms, and goes back to the minimum once a connection is ready.
 * A refusal (password, ACL) before any connection was ever ready calls
 * on_refused() instead: a configuration error does not heal by retrying.
 *
 * Replies: FreeSWITCH answers the commands of one connection in order, each
 * "command/reply" (sendmsg, filter, event...) or "api/response" (api).
 * esl_conn_send() queues the reply handler; replies are matched first in,
 * first out, and a reply of the wrong kind is a protocol error.
 */
#ifndef ESL_HOST_ESL_CONN_H
#define ESL_HOST_ESL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "esl_frame.h"
#include "log.h"

typedef enum esl_reply_kind {
    ESL_REPLY_COMMAND = 1, /* Content-Type: command/reply, text in Reply-Text */
    ESL_REPLY_API = 2      /* Content-Type: api/response, text in the body */
} esl_reply_kind;

typedef struct esl_reply {
    bool lost; /* the connection dropped before the reply came: text is NULL */
    /* With lost: the command had been written to that connection. FreeSWITCH may have run it,
     * or may read and run it later: a listener thread that was held runs what its socket
     * still holds after the host left (mod_event_socket.c listener_run). A command held back
     * and never written has lost set and written clear. */
    bool written;
    bool ok; /* the text starts with "+OK" (api: does not start with "-ERR") */
    const char *text;
} esl_reply;

/* Called once per command sent: with the reply, or with lost set. */
typedef void (*esl_reply_fn)(void *user, const esl_reply *r);

/* Messages framed ahead of their dispatch, at most (on_burst). */
#define ESL_BURST_MAX 16

typedef struct esl_conn_callbacks {
    void (*on_ready)(void *user);                    /* authenticated and subscribed */
    void (*on_event)(void *user, const esl_msg *ev); /* a text/event-plain message */
    /* May be NULL. The messages of one burst (up to ESL_BURST_MAX complete ones from what was
     * read, events or not), before the first of them is dispatched; they are then dispatched
     * one by one, in order, as without it. A hint to prepare their handling (ask for the
     * memory it will touch): it must change nothing, and a message it is shown may never be
     * dispatched (the connection closes meanwhile). */
    void (*on_burst)(void *user, const esl_msg *const *msgs, size_t n);
    void (*on_lost)(void *user); /* a ready connection dropped */
    /* The password or the ACL refused the host before any connection was
     * ever ready (may be NULL: retried like any failure). Once one was,
     * refusals are retried: FreeSWITCH may come back with the old settings. */
    void (*on_refused)(void *user, const char *why);
    void *user;
} esl_conn_callbacks;

typedef struct esl_conn_config {
    struct sockaddr_storage addr; /* where FreeSWITCH listens */
    socklen_t addr_len;
    char addr_text[80];        /* for messages: "127.0.0.1:8021" */
    const char *password;      /* line-safe, checked by the caller */
    const char *filter_header; /* e.g. "variable_ivrsm_app" (a token) */
    const char *filter_value;  /* e.g. "synergia" (a token) */
    int reconnect_min_ms;
    int reconnect_max_ms;
    int handshake_timeout_ms; /* connect + auth + subscribe */
    /* Once ready: a command that has had no reply for this long means FreeSWITCH no longer
     * reads or answers this connection (its listener thread is blocked): the connection is
     * dropped and a new one made, as for a broken socket. After this long with nothing from
     * FreeSWITCH and no reply awaited, "api status" is sent to find out. 0: 30000. */
    int reply_timeout_ms;
    /* The most bytes queued for FreeSWITCH (beyond what the socket took); a command that
     * would pass it drops the connection the same way. 0: 8 MiB. */
    size_t out_limit;
} esl_conn_config;

typedef struct esl_conn esl_conn;

/*
 * Parse "HOST:PORT" ("127.0.0.1:8021", "[::1]:8021", "localhost:8021")
 * into cfg->addr. Names are resolved once, here. Returns 0 or -1 with err set.
 */
int esl_conn_parse_address(const char *text, esl_conn_config *cfg, char *err, size_t errlen);

/* A new connection, not yet connecting (the first esl_conn_tick() starts it). NULL when out of
 * memory. */
esl_conn *esl_conn_new(const esl_conn_config *cfg, const esl_conn_callbacks *cb, const logger *log);

/* The descriptor to watch (-1 when none) and for what (POLLIN, POLLOUT). */
int esl_conn_fd(const esl_conn *c);
short esl_conn_poll_events(const esl_conn *c);

/* The socket is ready (revents from poll). */
void esl_conn_handle(esl_conn *c, short revents, int64_t now_ms);

/* When esl_conn_tick() must run next (ms since the epoch), or -1 when never. */
int64_t esl_conn_deadline(const esl_conn *c);
/* Start a connection attempt or time out a handshake when due. */
void esl_conn_tick(esl_conn *c, int64_t now_ms);

/* Whether commands can be sent (authenticated and subscribed). */
bool esl_conn_ready(const esl_conn *c);

/*
 * Send a complete message (built with esl_wire.h) and expect a reply of
 * `kind`; `fn(user, reply)` is called exactly once, later (never from
 * within this call). Returns 0, or -1 when the connection is not ready or
 * memory ran out (fn is not called then). A message that would pass
 * cfg.out_limit is taken but never written: the connection drops at the
 * next esl_conn_tick() (esl_conn_deadline() says now), and fn gets lost.
 */
int esl_conn_send(esl_conn *c, const char *msg, size_t len, esl_reply_kind kind, esl_reply_fn fn,
                  void *user);

/*
 * The same for a command that acts on a channel (sendmsg, uuid_break): it is written only
 * once every command written before it has been answered, so that it never waits unread in
 * FreeSWITCH behind a command that holds the connection's thread. A thread that stops and
 * comes back after the host left runs the commands it had not read (mod_event_socket.c
 * listener_run goes on with read_packet until the end of the stream): held back here, they
 * are never written to that connection, and are lost with it (fn gets lost). Commands sent
 * after a held one wait behind it, so that the order of the replies stays the order of the
 * sends.
 */
int esl_conn_send_acting(esl_conn *c, const char *msg, size_t len, esl_reply_kind kind,
                         esl_reply_fn fn, void *user);

/* Commands that waited in the host for an earlier reply before they were written (the acting
 * commands of esl_conn_send_acting and those sent behind them), over the connection's life:
 * how many, and how long they waited in all and at most (microseconds). */
typedef struct esl_hold_stats {
    unsigned long held;
    uint64_t waited_us;
    uint64_t max_us;
} esl_hold_stats;

void esl_conn_hold_stats(const esl_conn *c, esl_hold_stats *out);

/* Bytes queued for FreeSWITCH that the socket has not taken yet, commands held back included. */
size_t esl_conn_queued(const esl_conn *c);

/* Connection attempts so far (for logs and tests). */
unsigned esl_conn_attempts(const esl_conn *c);

/* Send "exit", close, and never reconnect (shutdown). Pending replies get lost. */
void esl_conn_shutdown(esl_conn *c);

/* Close and free (pending replies get lost). NULL is ignored. */
void esl_conn_free(esl_conn *c);

#endif
