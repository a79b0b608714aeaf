/*
 * The event socket connection: see esl_conn.h.
 */
#include "esl_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "esl_wire.h"
#include "strbuf.h"

/* Bytes queued for FreeSWITCH beyond which it is taken as not reading (cfg.out_limit 0). */
#define DEFAULT_OUT_LIMIT (8u * 1024u * 1024u)
/* How long a command may wait for its reply (cfg.reply_timeout_ms 0): see esl_conn_deadline. */
#define DEFAULT_REPLY_TIMEOUT_MS 30000
/*
 * How long the rest of a message begun may take to come, at most (less when the reply timeout
 * is shorter). mod_event_socket.c read_packet writes each message whole from the connection's
 * own thread: an event's Content-Length and Content-Type line, then its serialized body, with
 * nothing in between (a reply or an api/response in one send). Once a message has begun, its
 * bytes come as fast as TCP brings them: a long silence in the middle of one is a
 * Content-Length longer than what was written (or a path that died), never FreeSWITCH at work.
 * A large event on a slow path keeps bringing bytes and is never cut: the time counts from the
 * last bytes received, not from the start of the message.
 */
#define MESSAGE_STALL_MS 5000
/* Reads per readiness, so that one busy socket cannot starve the HTTP transfers. */
#define READS_PER_TURN 16

typedef enum conn_state {
    ST_IDLE = 0,     /* waiting for the next attempt */
    ST_CONNECTING,   /* non-blocking connect in progress */
    ST_AUTH_REQUEST, /* connected, waiting for "auth/request" */
    ST_AUTH_REPLY,   /* "auth" sent */
    ST_SUBSCRIBING,  /* "event" and "filter" sent */
    ST_READY,
    ST_STOPPED /* shut down: never reconnects */
} conn_state;

typedef struct pending_reply {
    esl_reply_kind kind;
    esl_reply_fn fn;
    void *user;
    int64_t sent_at; /* when the command was queued */
} pending_reply;

/* A command held back until it may be written (see esl_conn_send_acting). */
typedef struct held_msg {
    char *data;
    size_t len;
    esl_reply_kind kind;
    esl_reply_fn fn;
    void *user;
    bool acting;
    int64_t held_at_us; /* monotonic */
} held_msg;

struct esl_conn {
    esl_conn_config cfg;
    esl_conn_callbacks cb;
    const logger *log;
    conn_state state;
    int fd;
    esl_framer framer;
    strbuf out;             /* what is queued for FreeSWITCH: [out_sent, out.len) waits */
    size_t out_sent;        /* bytes of out already written (moved out only now and then) */
    pending_reply *pending; /* FIFO: [head, count) */
    size_t head, count, cap;
    /* Commands not yet written, in order: the first is an acting one waiting for every
     * command written before it to be answered (esl_conn_send_acting). */
    held_msg *held; /* FIFO: [held_head, held_count) */
    size_t held_head, held_count, held_cap, held_bytes;
    esl_hold_stats hold_stats;
    int subscribe_replies; /* subscription replies still awaited */
    int backoff_ms;
    int64_t now;
    int64_t next_attempt;
    int64_t handshake_deadline;
    unsigned attempts;
    bool ever_ready;
    bool overflow;      /* a command passed cfg.out_limit: the connection drops at the next tick */
    int64_t last_heard; /* when FreeSWITCH last sent anything (ready: when it became so) */
};

/* ---------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------- */

int esl_conn_parse_address(const char *text, esl_conn_config *cfg, char *err, size_t errlen)
{
    char host[256];
    const char *port;
    if (!text || !*text || strlen(text) >= sizeof(host)) {
        snprintf(err, errlen, "expected HOST:PORT, e.g. 127.0.0.1:8021");
        return -1;
    }
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "'%s': expected [IPV6]:PORT", text);
            return -1;
        }
        snprintf(host, sizeof(host), "%.*s", (int)(close - text - 1), text + 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (!colon) {
            snprintf(err, errlen, "'%s': expected HOST:PORT, e.g. 127.0.0.1:8021", text);
            return -1;
        }
        snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 1 || p > 65535) {
        snprintf(err, errlen, "'%s': the port must be a number from 1 to 65535", text);
        return -1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "'%s': cannot resolve %s: %s", text, host, gai_strerror(rc));
        return -1;
    }
    memcpy(&cfg->addr, res->ai_addr, res->ai_addrlen);
    cfg->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    snprintf(cfg->addr_text, sizeof(cfg->addr_text), "%s", text);
    return 0;
}

/* Bytes queued for FreeSWITCH that the socket has not taken yet. */
static size_t queued(const esl_conn *c)
{
    return c->out.len - c->out_sent;
}

/* The same and the commands held back: all that waits in the host. */
static size_t waiting(const esl_conn *c)
{
    return queued(c) + c->held_bytes;
}

/* ---------------------------------------------------------------------------
 * Pending replies
 * ------------------------------------------------------------------------- */

static int push_pending(esl_conn *c, esl_reply_kind kind, esl_reply_fn fn, void *user)
{
    if (c->head + c->count == c->cap) {
        if (c->head > 0) {
            memmove(c->pending, c->pending + c->head, c->count * sizeof(*c->pending));
            c->head = 0;
        } else {
            size_t cap = c->cap ? c->cap * 2 : 16;
            pending_reply *p = realloc(c->pending, cap * sizeof(*p));
            if (!p)
                return -1;
            c->pending = p;
            c->cap = cap;
        }
    }
    c->pending[c->head + c->count++] = (pending_reply){kind, fn, user, c->now};
    return 0;
}

static int pop_pending(esl_conn *c, pending_reply *out)
{
    if (c->count == 0)
        return -1;
    *out = c->pending[c->head++];
    if (--c->count == 0)
        c->head = 0;
    return 0;
}

/* Every reply still awaited is lost with the connection, then those of the commands held back
 * (never written), in the order they were sent. */
static void fail_pending(esl_conn *c)
{
    pending_reply r;
    esl_reply lost = {.lost = true};
    esl_reply lost_written = {.lost = true, .written = true};
    while (pop_pending(c, &r) == 0)
        r.fn(r.user, &lost_written);
    while (c->held_count > 0) {
        held_msg m = c->held[c->held_head++];
        c->held_count--;
        c->held_bytes -= m.len;
        free(m.data);
        m.fn(m.user, &lost);
    }
    c->held_head = 0;
}

/* ---------------------------------------------------------------------------
 * Closing and reconnecting
 * ------------------------------------------------------------------------- */

static void close_socket(esl_conn *c)
{
    size_t announced, pending = esl_framer_pending(&c->framer, &announced);
    if (c->fd >= 0 && pending > 0) {
        /* A message cut short by the end of the connection: libs/esl's esl_recv_event gives
         * such a message up with the connection too. The next connection starts afresh. */
        if (announced)
            log_at(c->log, LOG_WARN,
                   "esl: the connection ended in the middle of a message (%zu of its %zu bytes "
                   "received): dropped with it",
                   pending, announced);
        else
            log_at(c->log, LOG_WARN,
                   "esl: the connection ended in the middle of a message (%zu bytes of its "
                   "headers received): dropped with it",
                   pending);
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    esl_framer_reset(&c->framer);
    sb_clear(&c->out);
    c->out_sent = 0;
    c->overflow = false;
}

/* Close the connection and plan the next attempt. */
static void drop(esl_conn *c, log_level level, const char *why)
{
    bool was_ready = c->state == ST_READY;
    close_socket(c);
    c->state = ST_IDLE;
    c->next_attempt = c->now + c->backoff_ms;
    log_at(c->log, level, "esl: %s; reconnecting to %s in %d ms", why, c->cfg.addr_text,
           c->backoff_ms);
    c->backoff_ms =
        c->backoff_ms * 2 > c->cfg.reconnect_max_ms ? c->cfg.reconnect_max_ms : c->backoff_ms * 2;
    fail_pending(c);
    if (was_ready && c->cb.on_lost)
        c->cb.on_lost(c->cb.user);
}

/* What was sent waits in the host beyond cfg.out_limit: FreeSWITCH reads nothing, or less than
 * the host writes. The bytes queued are dropped with the connection, the replies awaited are
 * lost, and the calls resume on the next connection as after any broken socket. */
static void drop_not_reading(esl_conn *c)
{
    char why[200];
    snprintf(why, sizeof(why),
             "FreeSWITCH does not read what the host sends (%zu bytes waiting, limit %zu): "
             "dropping the connection",
             waiting(c), c->cfg.out_limit);
    drop(c, LOG_ERROR, why);
}

/* A refusal: fatal before any connection was ever ready, else retried. */
static void refused(esl_conn *c, const char *why)
{
    if (c->ever_ready || !c->cb.on_refused) {
        drop(c, LOG_ERROR, why);
        return;
    }
    close_socket(c);
    c->state = ST_STOPPED;
    fail_pending(c);
    c->cb.on_refused(c->cb.user, why);
}

static void start_connect(esl_conn *c)
{
    c->attempts++;
    c->handshake_deadline = c->now + c->cfg.handshake_timeout_ms;
    c->fd = socket(c->cfg.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        char why[160];
        snprintf(why, sizeof(why), "cannot create a socket: %s", strerror(errno));
        drop(c, LOG_ERROR, why);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    log_at(c->log, LOG_DEBUG, "esl: connecting to %s (attempt %u)", c->cfg.addr_text, c->attempts);
    if (connect(c->fd, (const struct sockaddr *)&c->cfg.addr, c->cfg.addr_len) == 0) {
        c->state = ST_AUTH_REQUEST;
    } else if (errno == EINPROGRESS) {
        c->state = ST_CONNECTING;
    } else {
        char why[200];
        snprintf(why, sizeof(why), "cannot connect to %s: %s", c->cfg.addr_text, strerror(errno));
        drop(c, LOG_WARN, why);
    }
}

/* ---------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------- */

/*
 * Drop what was written from the front of the buffer: all of it once everything went, else
 * only when the written part is at least half the buffer, so that a switch taking a few
 * kilobytes at a time of a backlog of megabytes costs a move of each byte once, not one move of
 * the whole backlog per write.
 */
static void compact(esl_conn *c)
{
    if (c->out_sent == c->out.len) {
        sb_clear(&c->out);
        c->out_sent = 0;
    } else if (c->out_sent >= 65536 && c->out_sent >= c->out.len / 2) {
        sb_consume(&c->out, c->out_sent);
        c->out_sent = 0;
    }
}

/* Write what the socket takes now. Returns 0, or -1 with errno on a hard error. */
static int flush(esl_conn *c)
{
    int rc = 0;
    while (queued(c) > 0) {
        ssize_t n = send(c->fd, c->out.data + c->out_sent, queued(c), MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        rc = -1;
        break;
    }
    int saved = errno;
    compact(c);
    errno = saved;
    return rc;
}

/*
 * Write the commands held back that may go now: from the first, each one that is not acting,
 * and an acting one once no reply is awaited. Out of memory, the connection is dropped (the
 * calls resume on the next one): a command that stays held with nothing awaited would wait
 * for ever.
 */
static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void release_held(esl_conn *c)
{
    bool wrote = false;
    int64_t now_us = c->held_count > 0 ? monotonic_us() : 0;
    while (c->held_count > 0 && c->state == ST_READY) {
        held_msg *m = &c->held[c->held_head];
        if (m->acting && c->count > 0)
            break;
        size_t before = c->out.len;
        if (sb_append(&c->out, m->data, m->len) != 0 ||
            push_pending(c, m->kind, m->fn, m->user) != 0) {
            c->out.len = before;
            c->out.oom = false;
            drop(c, LOG_ERROR, "out of memory sending a command");
            return;
        }
        c->held_bytes -= m->len;
        uint64_t waited = now_us > m->held_at_us ? (uint64_t)(now_us - m->held_at_us) : 0;
        c->hold_stats.held++;
        c->hold_stats.waited_us += waited;
        if (waited > c->hold_stats.max_us)
            c->hold_stats.max_us = waited;
        free(m->data);
        c->held_head++;
        if (--c->held_count == 0)
            c->held_head = 0;
        wrote = true;
    }
    if (wrote)
        flush(c);
}

/* Queue bytes of the handshake (no reply handler: the state machine reads the reply). */
static int queue_raw(esl_conn *c, strbuf *msg)
{
    if (msg->oom || sb_append(&c->out, msg->data, msg->len) != 0)
        return -1;
    return flush(c);
}

/* ---------------------------------------------------------------------------
 * The handshake
 * ------------------------------------------------------------------------- */

static void on_subscribe_reply(void *user, const esl_reply *r)
{
    esl_conn *c = user;
    if (r->lost)
        return;
    if (!r->ok) {
        char why[300];
        snprintf(why, sizeof(why), "FreeSWITCH refused the subscription: %s",
                 r->text ? r->text : "(no reply text)");
        drop(c, LOG_ERROR, why);
        return;
    }
    if (--c->subscribe_replies > 0)
        return;
    c->state = ST_READY;
    c->last_heard = c->now;
    c->ever_ready = true;
    c->backoff_ms = c->cfg.reconnect_min_ms;
    log_at(c->log, LOG_INFO, "esl: ready on %s: events %s, filter %s=%s", c->cfg.addr_text,
           ESL_EVENT_TYPES, c->cfg.filter_header, c->cfg.filter_value);
    if (c->cb.on_ready)
        c->cb.on_ready(c->cb.user);
}

static void send_auth(esl_conn *c)
{
    strbuf msg = {0};
    if (esl_build_auth(&msg, c->cfg.password) != 0 || queue_raw(c, &msg) != 0) {
        sb_free(&msg);
        drop(c, LOG_ERROR, "cannot send the password");
        return;
    }
    sb_free(&msg);
    c->state = ST_AUTH_REPLY;
}

/* Subscribe before anything else: events are not replayed. */
static void subscribe(esl_conn *c)
{
    strbuf msg = {0};
    int rc = esl_build_subscribe(&msg);
    rc |= esl_build_filter(&msg, c->cfg.filter_header, c->cfg.filter_value);
    if (rc != 0 || queue_raw(c, &msg) != 0 ||
        push_pending(c, ESL_REPLY_COMMAND, on_subscribe_reply, c) != 0 ||
        push_pending(c, ESL_REPLY_COMMAND, on_subscribe_reply, c) != 0) {
        sb_free(&msg);
        drop(c, LOG_ERROR, "cannot send the subscription");
        return;
    }
    sb_free(&msg);
    c->subscribe_replies = 2;
    c->state = ST_SUBSCRIBING;
}

static void on_auth_reply(esl_conn *c, const char *text)
{
    if (text && !strncmp(text, "+OK", 3)) {
        log_at(c->log, LOG_INFO, "esl: authenticated on %s", c->cfg.addr_text);
        subscribe(c);
        return;
    }
    char why[300];
    snprintf(why, sizeof(why), "FreeSWITCH refused the password (%s); check --password",
             text ? text : "no reply text");
    refused(c, why);
}

/* ---------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------- */

static void deliver_reply(esl_conn *c, esl_reply_kind kind, const char *text)
{
    pending_reply r;
    if (pop_pending(c, &r) != 0) {
        drop(c, LOG_ERROR, "protocol error: a reply to no command");
        return;
    }
    if (r.kind != kind) {
        esl_reply lost = {.lost = true};
        r.fn(r.user, &lost);
        drop(c, LOG_ERROR, "protocol error: a reply of the wrong kind (replies out of order)");
        return;
    }
    esl_reply reply = {.lost = false, .text = text};
    reply.ok = text && (kind == ESL_REPLY_API ? strncmp(text, "-ERR", 4) != 0
                                              : strncmp(text, "+OK", 3) == 0);
    r.fn(r.user, &reply);
    release_held(c);
}

static void dispatch(esl_conn *c, const esl_msg *m)
{
    const char *type = esl_msg_header(m, "Content-Type");
    if (m->oddity) {
        const char *name = esl_msg_event_header(m, "Event-Name");
        log_at(c->log, LOG_WARN, "esl: %s %.60s%s%.64s holds %s; read on",
               name ? "event" : "message", name ? name : (type ? type : "without a type"),
               m->unique_id ? " of channel " : "", m->unique_id ? m->unique_id : "", m->oddity);
    }
    if (!type) {
        log_at(c->log, LOG_DEBUG, "esl: message without Content-Type ignored");
    } else if (!strcasecmp(type, "auth/request")) {
        if (c->state == ST_AUTH_REQUEST)
            send_auth(c);
    } else if (!strcasecmp(type, "command/reply")) {
        const char *text = esl_msg_header(m, "Reply-Text");
        if (c->state == ST_AUTH_REPLY)
            on_auth_reply(c, text);
        else
            deliver_reply(c, ESL_REPLY_COMMAND, text);
    } else if (!strcasecmp(type, "api/response")) {
        deliver_reply(c, ESL_REPLY_API, m->body ? m->body : "");
    } else if (!strcasecmp(type, "text/event-plain")) {
        if ((c->state == ST_READY || c->state == ST_SUBSCRIBING) && m->is_event && c->cb.on_event)
            c->cb.on_event(c->cb.user, m);
    } else if (!strcasecmp(type, "text/disconnect-notice")) {
        log_at(c->log, LOG_INFO, "esl: FreeSWITCH says it disconnects: %.200s",
               m->body ? m->body : "");
    } else if (!strcasecmp(type, "text/rude-rejection")) {
        char why[300];
        snprintf(why, sizeof(why), "FreeSWITCH rejected the connection (ACL): %.200s",
                 m->body ? m->body : "");
        refused(c, why);
    } else if (!strcasecmp(type, "text/event-json") || !strcasecmp(type, "text/event-xml")) {
        /* The format is the connection's own, set by its "event" command (mod_event_socket.c
         * parse_command); the host asks for plain events only, so FreeSWITCH sends no other. */
        log_at(c->log, LOG_WARN,
               "esl: an event as %.60s ignored: the host subscribes to text/event-plain", type);
    } else {
        log_at(c->log, LOG_DEBUG, "esl: message of type %.60s ignored", type);
    }
}

/* Up to ESL_BURST_MAX complete messages into burst[0..*n); the framer's last answer: 1 (the
 * burst is full, more may follow), 0 (more bytes are needed) or -1 (a protocol error, after
 * the messages framed before it). */
static int frame_burst(esl_conn *c, esl_msg **burst, size_t *n)
{
    int rc = 1;
    *n = 0;
    while (*n < ESL_BURST_MAX && (rc = esl_framer_next(&c->framer, &burst[*n])) == 1)
        (*n)++;
    return rc;
}

/*
 * Frame and dispatch everything complete, in order; stop if the connection closed meanwhile.
 * Messages are framed a burst at a time and shown to on_burst before any of them is
 * dispatched: with many calls, one read brings several calls' events, and the host asks for
 * all their memory at once rather than missing the cache on each in turn.
 */
static void process_input(esl_conn *c)
{
    int fd = c->fd;
    esl_msg *burst[ESL_BURST_MAX];
    size_t n;
    int rc;
    do {
        rc = frame_burst(c, burst, &n);
        if (n > 0 && c->cb.on_burst)
            c->cb.on_burst(c->cb.user, (const esl_msg *const *)burst, n);
        size_t i = 0;
        for (; i < n && c->fd == fd; i++) {
            dispatch(c, burst[i]);
            esl_msg_free(burst[i]);
        }
        for (; i < n; i++) /* the connection closed: the rest is never dispatched */
            esl_msg_free(burst[i]);
    } while (rc == 1 && c->fd == fd);
    if (c->fd == fd && rc < 0) {
        char why[220];
        snprintf(why, sizeof(why), "protocol error: %s", c->framer.error);
        drop(c, LOG_ERROR, why);
    }
}

static void read_available(esl_conn *c)
{
    char buf[65536];
    int fd = c->fd;
    for (int i = 0; i < READS_PER_TURN && c->fd == fd; i++) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n > 0) {
            c->last_heard = c->now;
            if (esl_framer_feed(&c->framer, buf, (size_t)n) != 0) {
                drop(c, LOG_ERROR, "out of memory reading from FreeSWITCH");
                return;
            }
            process_input(c);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        char why[200];
        snprintf(why, sizeof(why), "connection lost (%s)",
                 n == 0 ? "closed by FreeSWITCH" : strerror(errno));
        drop(c, c->state == ST_READY ? LOG_WARN : LOG_ERROR, why);
        return;
    }
}

static void finish_connect(esl_conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err != 0) {
        char why[200];
        snprintf(why, sizeof(why), "cannot connect to %s: %s", c->cfg.addr_text, strerror(err));
        drop(c, LOG_WARN, why);
        return;
    }
    log_at(c->log, LOG_INFO, "esl: connected to %s", c->cfg.addr_text);
    c->state = ST_AUTH_REQUEST;
}

/* ---------------------------------------------------------------------------
 * Public functions
 * ------------------------------------------------------------------------- */

esl_conn *esl_conn_new(const esl_conn_config *cfg, const esl_conn_callbacks *cb, const logger *log)
{
    esl_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cfg = *cfg;
    if (c->cfg.out_limit == 0)
        c->cfg.out_limit = DEFAULT_OUT_LIMIT;
    if (c->cfg.reply_timeout_ms <= 0)
        c->cfg.reply_timeout_ms = DEFAULT_REPLY_TIMEOUT_MS;
    c->cb = *cb;
    c->log = log;
    c->fd = -1;
    c->state = ST_IDLE;
    c->backoff_ms = cfg->reconnect_min_ms;
    esl_framer_init(&c->framer);
    return c;
}

int esl_conn_fd(const esl_conn *c)
{
    return c->fd;
}

short esl_conn_poll_events(const esl_conn *c)
{
    if (c->fd < 0)
        return 0;
    if (c->state == ST_CONNECTING)
        return POLLOUT;
    return (short)(POLLIN | (queued(c) > 0 ? POLLOUT : 0));
}

void esl_conn_handle(esl_conn *c, short revents, int64_t now_ms)
{
    c->now = now_ms;
    if (c->fd < 0 || revents == 0)
        return;
    if (c->state == ST_CONNECTING) {
        finish_connect(c);
        return;
    }
    if ((revents & POLLOUT) && flush(c) != 0) {
        char why[200];
        snprintf(why, sizeof(why), "connection lost (%s)", strerror(errno));
        drop(c, LOG_WARN, why);
        return;
    }
    if (queued(c) > c->cfg.out_limit) {
        drop_not_reading(c);
        return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR))
        read_available(c);
}

/* How long a message begun may wait for its next bytes (MESSAGE_STALL_MS). */
static int message_stall_ms(const esl_conn *c)
{
    return c->cfg.reply_timeout_ms < MESSAGE_STALL_MS ? c->cfg.reply_timeout_ms : MESSAGE_STALL_MS;
}

/* Bytes of a message begun are waiting for the rest (the framer keeps nothing else). */
static bool message_begun(const esl_conn *c)
{
    return c->framer.in.len > 0;
}

int64_t esl_conn_deadline(const esl_conn *c)
{
    switch (c->state) {
    case ST_IDLE:
        return c->next_attempt;
    case ST_CONNECTING:
    case ST_AUTH_REQUEST:
    case ST_AUTH_REPLY:
    case ST_SUBSCRIBING:
        return c->handshake_deadline;
    case ST_READY:
        if (c->overflow)
            return c->now;
        int64_t at =
            (c->count > 0 ? c->pending[c->head].sent_at : c->last_heard) + c->cfg.reply_timeout_ms;
        if (message_begun(c) && c->last_heard + message_stall_ms(c) < at)
            at = c->last_heard + message_stall_ms(c);
        return at;
    case ST_STOPPED:
        break;
    }
    return -1;
}

static bool reply_overdue(const esl_conn *c, int64_t now_ms)
{
    return c->count > 0 && now_ms - c->pending[c->head].sent_at >= c->cfg.reply_timeout_ms;
}

static void on_probe_reply(void *user, const esl_reply *r)
{
    (void)user; /* any answer (its bytes) shows the connection's thread is alive */
    (void)r;
}

/*
 * Nothing heard for cfg.reply_timeout_ms and no reply awaited (every call waiting for its
 * caller): a switch whose connection thread is stuck would go unnoticed until the next
 * command, so ask for something that is always answered, at once (mod_commands.c
 * status_function: the uptime and the sessions); the reply timeout then applies to it.
 */
static void probe_if_quiet(esl_conn *c, int64_t now_ms)
{
    static const char probe[] = "api status\n\n";
    if (c->count > 0 || c->overflow || now_ms - c->last_heard < c->cfg.reply_timeout_ms)
        return;
    log_at(c->log, LOG_DEBUG, "esl: nothing from FreeSWITCH for %lld ms: asking for its status",
           (long long)(now_ms - c->last_heard));
    c->last_heard = now_ms; /* one probe per quiet spell */
    if (esl_conn_send(c, probe, sizeof(probe) - 1, ESL_REPLY_API, on_probe_reply, c) != 0)
        log_at(c->log, LOG_WARN, "esl: cannot ask FreeSWITCH for its status (out of memory)");
}

/*
 * A message begun has brought nothing more for message_stall_ms(): its Content-Length announced
 * more than FreeSWITCH wrote, and what follows (replies, events) would be read as its body until
 * the reply timeout. The rest of the stream cannot be framed again (nothing in it says where the
 * body really ended): a new connection, the calls resumed on it as after a broken socket.
 */
static void drop_stalled_message(esl_conn *c, int64_t now_ms)
{
    /* The bytes may be in the socket already (the host itself was held up): read them first. */
    read_available(c);
    if (c->state != ST_READY || !message_begun(c) || now_ms - c->last_heard < message_stall_ms(c))
        return;
    char why[320], part[120];
    size_t announced, pending = esl_framer_pending(&c->framer, &announced);
    if (announced)
        snprintf(part, sizeof(part), "%zu of the %zu bytes it announced", pending, announced);
    else
        snprintf(part, sizeof(part), "%zu bytes of its headers", pending);
    snprintf(why, sizeof(why),
             "a message from FreeSWITCH stopped after %s, nothing more for %lld ms (FreeSWITCH "
             "writes a message whole): the connection cannot be read on",
             part, (long long)(now_ms - c->last_heard));
    drop(c, LOG_ERROR, why);
}

void esl_conn_tick(esl_conn *c, int64_t now_ms)
{
    c->now = now_ms;
    if (c->state == ST_IDLE && now_ms >= c->next_attempt) {
        start_connect(c);
    } else if (c->state != ST_IDLE && c->state != ST_READY && c->state != ST_STOPPED &&
               now_ms >= c->handshake_deadline) {
        drop(c, LOG_ERROR, "no answer from FreeSWITCH in time (connect, auth or subscription)");
    } else if (c->state == ST_READY && c->overflow) {
        drop_not_reading(c);
    } else if (c->state == ST_READY && message_begun(c) &&
               now_ms - c->last_heard >= message_stall_ms(c)) {
        drop_stalled_message(c, now_ms);
    } else if (c->state == ST_READY && c->count == 0) {
        probe_if_quiet(c, now_ms);
    } else if (c->state == ST_READY && reply_overdue(c, now_ms)) {
        /* The reply may be in the socket already (the host itself was held up, e.g. stopped
         * or swapped out): read what is there before judging FreeSWITCH. */
        read_available(c);
        if (c->state != ST_READY || !reply_overdue(c, now_ms))
            return;
        char why[320], part[120] = "";
        size_t announced, pending = esl_framer_pending(&c->framer, &announced);
        /* A Content-Length larger than what FreeSWITCH wrote leaves the framer waiting, and
         * the replies that follow are read as that body: say so. */
        if (announced)
            snprintf(part, sizeof(part), "; a message announced %zu bytes and %zu came",
                     announced, pending);
        snprintf(why, sizeof(why),
                 "FreeSWITCH has not answered a command in %d ms (%zu awaiting a reply, %zu bytes "
                 "not yet taken by the socket%s): the connection is taken as stuck",
                 c->cfg.reply_timeout_ms, c->count, waiting(c), part);
        drop(c, LOG_ERROR, why);
    }
}

bool esl_conn_ready(const esl_conn *c)
{
    return c->state == ST_READY;
}

/* Keep a copy of msg to write later, behind the commands already held. Returns 0 or -1. */
static int hold(esl_conn *c, const char *msg, size_t len, esl_reply_kind kind, esl_reply_fn fn,
                void *user, bool acting)
{
    if (c->held_head + c->held_count == c->held_cap) {
        if (c->held_head > 0) {
            memmove(c->held, c->held + c->held_head, c->held_count * sizeof(*c->held));
            c->held_head = 0;
        } else {
            size_t cap = c->held_cap ? c->held_cap * 2 : 16;
            held_msg *h = realloc(c->held, cap * sizeof(*h));
            if (!h)
                return -1;
            c->held = h;
            c->held_cap = cap;
        }
    }
    char *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, msg, len);
    c->held[c->held_head + c->held_count++] =
        (held_msg){copy, len, kind, fn, user, acting, monotonic_us()};
    c->held_bytes += len;
    return 0;
}

static int send_message(esl_conn *c, const char *msg, size_t len, esl_reply_kind kind,
                        esl_reply_fn fn, void *user, bool acting)
{
    if (c->state != ST_READY)
        return -1;
    if (c->overflow || waiting(c) > c->cfg.out_limit || len > c->cfg.out_limit - waiting(c)) {
        /* FreeSWITCH does not take what was sent: this message is never written, and the
         * connection drops at the next tick (not here: fn is never called from within). */
        if (push_pending(c, kind, fn, user) != 0)
            return -1;
        c->overflow = true;
        return 0;
    }
    if (c->held_count > 0 || (acting && c->count > 0))
        return hold(c, msg, len, kind, fn, user, acting);
    size_t before = c->out.len;
    if (sb_append(&c->out, msg, len) != 0 || push_pending(c, kind, fn, user) != 0) {
        c->out.len = before; /* keep the stream whole */
        c->out.oom = false;
        return -1;
    }
    /* A hard error shows up as POLLERR/POLLHUP in the loop, which drops the
     * connection there; replies are never delivered from within this call. */
    flush(c);
    return 0;
}

int esl_conn_send(esl_conn *c, const char *msg, size_t len, esl_reply_kind kind, esl_reply_fn fn,
                  void *user)
{
    return send_message(c, msg, len, kind, fn, user, false);
}

int esl_conn_send_acting(esl_conn *c, const char *msg, size_t len, esl_reply_kind kind,
                         esl_reply_fn fn, void *user)
{
    return send_message(c, msg, len, kind, fn, user, true);
}

void esl_conn_hold_stats(const esl_conn *c, esl_hold_stats *out)
{
    *out = c->hold_stats;
}

size_t esl_conn_queued(const esl_conn *c)
{
    return waiting(c);
}

unsigned esl_conn_attempts(const esl_conn *c)
{
    return c->attempts;
}

void esl_conn_shutdown(esl_conn *c)
{
    if (c->state == ST_READY) {
        strbuf msg = {0};
        if (esl_build_exit(&msg) == 0 && sb_append(&c->out, msg.data, msg.len) == 0)
            flush(c);
        sb_free(&msg);
    }
    close_socket(c);
    c->state = ST_STOPPED;
    fail_pending(c);
}

void esl_conn_free(esl_conn *c)
{
    if (!c)
        return;
    close_socket(c);
    c->state = ST_STOPPED;
    fail_pending(c);
    esl_framer_free(&c->framer);
    sb_free(&c->out);
    free(c->pending);
    free(c->held);
    free(c);
}
