/*
 * The test HTTP server: one thread, one poll() loop over the listening
 * socket, a wake-up pipe and every connection. A connection is reading a
 * request, waiting (a /slow request until its time comes) or writing a
 * response; after a response it reads the next request on the same
 * connection unless it has to close.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD_BYTES (64 * 1024)
#define MAX_BODY_BYTES (8 * 1024 * 1024)
#define MAX_REQUEST_HEADERS 100

typedef enum conn_state { CONN_READING, CONN_WAITING, CONN_WRITING } conn_state;

typedef struct conn {
    int fd;
    conn_state state;
    char *in;
    size_t in_len;
    size_t in_cap;
    char *out;
    size_t out_len;
    size_t out_sent;
    int close_after_write;
    int continue_sent; /* "100 Continue" already written for the current request */
    /* CONN_WAITING */
    double release_ms;
    int slow_ms;
    int gated;
} conn;

struct http_server {
    int listen_fd;
    int wake[2];
    int port;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stats */
    http_server_stats stats;
    /* owned by the server thread */
    conn **conns;
    size_t conn_count;
    size_t conn_cap;
    size_t waiting;
    size_t gated_waiting;
    int gate_open;
    size_t gate_waiting;
};

typedef struct request {
    const char *method;
    const char *path;
    const char *query; /* NULL when none */
    const char *names[MAX_REQUEST_HEADERS];
    const char *values[MAX_REQUEST_HEADERS];
    size_t header_count;
    const char *body;
    size_t body_len;
    int wants_close;
} request;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void bump_stat(http_server *s, unsigned long *field, unsigned long at_least)
{
    pthread_mutex_lock(&s->lock);
    if (at_least)
        *field = *field > at_least ? *field : at_least;
    else
        (*field)++;
    pthread_mutex_unlock(&s->lock);
}

/* ---------------------------------------------------------------------------
 * Responses
 * ------------------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

static int out_append(conn *c, const char *data, size_t len)
{
    char *grown = realloc(c->out, c->out_len + len + 1);
    if (!grown)
        return -1;
    c->out = grown;
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

static void respond_head(conn *c, int status, const char *type, const char *framing)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s\r\nConnection: %s\r\n\r\n", status,
                     reason_phrase(status), type, framing,
                     c->close_after_write ? "close" : "keep-alive");
    out_append(c, head, (size_t)n);
    c->state = CONN_WRITING;
}

static void respond(conn *c, int status, const char *type, const char *body, size_t len)
{
    char framing[64];
    snprintf(framing, sizeof framing, "Content-Length: %zu", len);
    respond_head(c, status, type, framing);
    out_append(c, body, len);
}

static void respond_json(conn *c, int status, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    if (!text) {
        c->close_after_write = 1;
        respond(c, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    respond(c, status, "application/json", text, strlen(text));
    free(text);
}

/* ---------------------------------------------------------------------------
 * Routes
 * ------------------------------------------------------------------------- */

/* The integer value of `name` in the query, or `fallback`. */
static long query_long(const request *r, const char *name, long fallback)
{
    size_t len = strlen(name);
    const char *p = r->query;
    while (p) {
        if (!strncmp(p, name, len) && p[len] == '=')
            return strtol(p + len + 1, NULL, 10);
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return fallback;
}

/* /deep?levels=N: a JSON body of N arrays nested in one another, [[[...]]]. */
static void route_deep(conn *c, const request *r)
{
    long levels = query_long(r, "levels", 2048);
    if (levels < 1 || levels > 100000) {
        respond_json(c, 400, json_pack("{s:s}", "error", "levels out of range"));
        return;
    }
    char *body = malloc(2 * (size_t)levels);
    if (!body) {
        respond_json(c, 500, json_pack("{s:s}", "error", "out of memory"));
        return;
    }
    memset(body, '[', (size_t)levels);
    memset(body + levels, ']', (size_t)levels);
    respond(c, 200, "application/json", body, 2 * (size_t)levels);
    free(body);
}

static void route_big(conn *c, const request *r)
{
    long bytes = query_long(r, "bytes", 2L * 1024 * 1024);
    if (bytes < 2 || bytes > 64L * 1024 * 1024) {
        respond_json(c, 400, json_pack("{s:s}", "error", "bytes out of range"));
        return;
    }
    char *body = malloc((size_t)bytes);
    if (!body) {
        respond_json(c, 500, json_pack("{s:s}", "error", "out of memory"));
        return;
    }
    memset(body, 'x', (size_t)bytes);
    body[0] = body[bytes - 1] = '"';
    if (query_long(r, "chunked", 0)) {
        respond_head(c, 200, "application/json", "Transfer-Encoding: chunked");
        for (long off = 0; off < bytes; off += 16384) {
            long n = bytes - off < 16384 ? bytes - off : 16384;
            char size_line[32];
            int k = snprintf(size_line, sizeof size_line, "%lx\r\n", n);
            out_append(c, size_line, (size_t)k);
            out_append(c, body + off, (size_t)n);
            out_append(c, "\r\n", 2);
        }
        out_append(c, "0\r\n\r\n", 5);
    } else {
        respond(c, 200, "application/json", body, (size_t)bytes);
    }
    free(body);
}

static void route_echo(conn *c, const request *r)
{
    json_t *headers = json_object();
    for (size_t i = 0; i < r->header_count; i++) {
        char name[256];
        size_t n = 0;
        for (; r->names[i][n] && n + 1 < sizeof name; n++)
            name[n] = (char)tolower((unsigned char)r->names[i][n]);
        name[n] = '\0';
        json_t *prev = json_object_get(headers, name);
        if (prev) {
            size_t len = strlen(json_string_value(prev)) + strlen(r->values[i]) + 3;
            char *joined = malloc(len);
            if (!joined)
                continue;
            snprintf(joined, len, "%s, %s", json_string_value(prev), r->values[i]);
            json_object_set_new(headers, name, json_string(joined));
            free(joined);
        } else {
            json_object_set_new(headers, name, json_string(r->values[i]));
        }
    }
    json_t *body = r->body_len ? json_stringn(r->body, r->body_len) : NULL;
    respond_json(c, 200,
                 json_pack("{s:s,s:s,s:s?,s:o,s:I,s:o,s:I}", "method", r->method, "path", r->path,
                           "query", r->query, "headers", headers, "header_count",
                           (json_int_t)r->header_count, "body", body ? body : json_null(),
                           "body_bytes", (json_int_t)r->body_len));
}

static void route_slow(http_server *s, conn *c, const request *r)
{
    long ms = query_long(r, "ms", 100);
    long gate = query_long(r, "gate", 0);
    c->state = CONN_WAITING;
    c->slow_ms = (int)ms;
    c->release_ms = now_ms() + (double)ms;
    c->gated = gate > 0;
    s->waiting++;
    bump_stat(s, &s->stats.max_waiting, s->waiting);
    if (c->gated) {
        s->gated_waiting++;
        if (!s->gate_open && s->gated_waiting >= (size_t)gate) {
            s->gate_open = 1;
            s->gate_waiting = s->gated_waiting;
        }
    }
}

static void answer_slow(http_server *s, conn *c)
{
    respond_json(c, 200,
                 json_pack("{s:s,s:i,s:I,s:I}", "route", "slow", "ms", c->slow_ms, "waiting",
                           (json_int_t)s->waiting, "gate_waiting",
                           (json_int_t)(c->gated ? s->gate_waiting : 0)));
    s->waiting--;
    if (c->gated)
        s->gated_waiting--;
}

static void dispatch(http_server *s, conn *c, const request *r)
{
    const char *p = r->path;
    if (!strcmp(p, "/json")) {
        respond_json(c, 200,
                     json_pack("{s:b,s:s,s:[i,i,i]}", "ok", 1, "route", "json", "items", 1, 2, 3));
    } else if (!strncmp(p, "/status/", 8)) {
        int status = atoi(p + 8);
        if (status < 200 || status > 599)
            respond_json(c, 400, json_pack("{s:s}", "error", "status out of range"));
        else if (status == 204 || status == 304)
            respond_head(c, status, "application/json", "Content-Length: 0");
        else if (query_long(r, "text", 0))
            respond(c, status, "text/plain", "not JSON either\n", 16);
        else
            respond_json(c, status,
                         json_pack("{s:i,s:s+}", "status", status, "error", "status ", p + 8));
    } else if (!strcmp(p, "/text")) {
        respond(c, 200, "text/plain", "plain text, not JSON\n", 21);
    } else if (!strcmp(p, "/big")) {
        route_big(c, r);
    } else if (!strcmp(p, "/deep")) {
        route_deep(c, r);
    } else if (!strcmp(p, "/slow")) {
        route_slow(s, c, r);
    } else if (!strncmp(p, "/echo", 5) && (p[5] == '\0' || p[5] == '/')) {
        route_echo(c, r);
    } else if (!strcmp(p, "/close")) {
        c->close_after_write = 1;
        c->state = CONN_WRITING; /* nothing to write: closes at once */
    } else {
        respond_json(c, 404, json_pack("{s:s,s:s}", "error", "no route", "path", p));
    }
}

/* ---------------------------------------------------------------------------
 * Request parsing
 * ------------------------------------------------------------------------- */

static void refuse(conn *c, int status)
{
    c->close_after_write = 1;
    respond(c, status, "text/plain", "refused\n", 8);
}

/* Split the head (NUL-terminated in place) into the request line and headers. */
static int parse_head(char *head, request *r)
{
    char *line_end = strstr(head, "\r\n");
    *line_end = '\0';
    char *sp1 = strchr(head, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return -1;
    *sp1 = *sp2 = '\0';
    r->method = head;
    r->path = sp1 + 1;
    char *q = strchr(sp1 + 1, '?');
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    r->wants_close = !strcmp(sp2 + 1, "HTTP/1.0");
    for (char *line = line_end + 2; *line;) {
        char *end = strstr(line, "\r\n");
        *end = '\0';
        char *colon = strchr(line, ':');
        if (!colon || r->header_count == MAX_REQUEST_HEADERS)
            return -1;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        r->names[r->header_count] = line;
        r->values[r->header_count++] = value;
        line = end + 2;
    }
    return 0;
}

static const char *header_value(const request *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (!strcasecmp(r->names[i], name))
            return r->values[i];
    return NULL;
}

/* Where the head ends ("\r\n\r\n"), or NULL while it is incomplete. */
static char *find_head_end(char *data, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (!memcmp(data + i, "\r\n\r\n", 4))
            return data + i;
    return NULL;
}

/* Handle one complete request from the input buffer, if there is one. */
static void process_input(http_server *s, conn *c)
{
    char *end = find_head_end(c->in, c->in_len);
    if (!end) {
        if (c->in_len > MAX_HEAD_BYTES)
            refuse(c, 431);
        return;
    }
    size_t head_len = (size_t)(end - c->in) + 4;
    char *head = malloc(head_len - 1);
    memcpy(head, c->in, head_len - 2);
    head[head_len - 2] = '\0';
    request r = {0};
    if (parse_head(head, &r) != 0) {
        free(head);
        refuse(c, 400);
        return;
    }
    const char *te = header_value(&r, "Transfer-Encoding");
    const char *cl = header_value(&r, "Content-Length");
    long body_len = cl ? strtol(cl, NULL, 10) : 0;
    if (te) {
        free(head);
        refuse(c, 501);
        return;
    }
    if (body_len < 0 || body_len > MAX_BODY_BYTES) {
        free(head);
        refuse(c, 413);
        return;
    }
    if (c->in_len < head_len + (size_t)body_len) {
        const char *expect = header_value(&r, "Expect");
        if (expect && !strcasecmp(expect, "100-continue") && !c->continue_sent) {
            c->continue_sent = 1;
            send(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
        }
        free(head);
        return;
    }
    r.body = c->in + head_len;
    r.body_len = (size_t)body_len;
    const char *connection = header_value(&r, "Connection");
    c->close_after_write = r.wants_close || (connection && !strcasecmp(connection, "close"));
    bump_stat(s, &s->stats.requests, 0);
    dispatch(s, c, &r);
    free(head);
    size_t used = head_len + (size_t)body_len;
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    c->continue_sent = 0;
}

/* ---------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------- */

static void conn_close(http_server *s, size_t index)
{
    conn *c = s->conns[index];
    if (c->state == CONN_WAITING) {
        s->waiting--;
        if (c->gated)
            s->gated_waiting--;
    }
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
    s->conns[index] = s->conns[--s->conn_count];
}

static void accept_connections(http_server *s)
{
    for (;;) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            return;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (s->conn_count == s->conn_cap) {
            size_t cap = s->conn_cap ? s->conn_cap * 2 : 64;
            conn **grown = realloc(s->conns, cap * sizeof *grown);
            if (!grown) {
                close(fd);
                return;
            }
            s->conns = grown;
            s->conn_cap = cap;
        }
        conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        s->conns[s->conn_count++] = c;
        bump_stat(s, &s->stats.connections, 0);
    }
}

/* Read what is available; -1 when the peer closed or failed. */
static int conn_read(conn *c)
{
    for (;;) {
        if (c->in_cap - c->in_len < 4096) {
            size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
            char *grown = realloc(c->in, cap);
            if (!grown)
                return -1;
            c->in = grown;
            c->in_cap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            if (c->in_len > MAX_HEAD_BYTES + MAX_BODY_BYTES)
                return -1;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Write what the socket takes; -1 to close the connection. */
static int conn_write(http_server *s, conn *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        c->out_sent += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_sent = 0;
    if (c->close_after_write)
        return -1;
    c->state = CONN_READING;
    process_input(s, c); /* a pipelined request may be waiting */
    return c->state == CONN_WRITING ? conn_write(s, c) : 0;
}

static int slow_is_due(const http_server *s, const conn *c, double now)
{
    return c->state == CONN_WAITING && now >= c->release_ms && (!c->gated || s->gate_open);
}

/* Milliseconds until the next /slow answer is due, or -1. */
static int next_release_in(const http_server *s)
{
    double now = now_ms();
    double best = -1;
    for (size_t i = 0; i < s->conn_count; i++) {
        const conn *c = s->conns[i];
        if (c->state != CONN_WAITING || (c->gated && !s->gate_open))
            continue;
        double in = c->release_ms - now;
        if (best < 0 || in < best)
            best = in < 0 ? 0 : in;
    }
    return best < 0 ? -1 : (int)best + 1;
}

static void release_due(http_server *s)
{
    double now = now_ms();
    for (size_t i = 0; i < s->conn_count;) {
        conn *c = s->conns[i];
        if (slow_is_due(s, c, now)) {
            answer_slow(s, c);
            if (conn_write(s, c) != 0) {
                conn_close(s, i);
                continue;
            }
        }
        i++;
    }
}

static void serve_conn(http_server *s, size_t i, short revents)
{
    conn *c = s->conns[i];
    int failed = 0;
    if (revents & (POLLIN | POLLHUP | POLLERR))
        failed = conn_read(c) != 0;
    if (!failed && c->state == CONN_READING) {
        process_input(s, c);
        if (c->state == CONN_WRITING)
            failed = conn_write(s, c) != 0;
    } else if (!failed && c->state == CONN_WRITING && (revents & POLLOUT)) {
        failed = conn_write(s, c) != 0;
    }
    if (failed)
        conn_close(s, i);
}

static void *serve(void *arg)
{
    http_server *s = arg;
    struct pollfd *fds = NULL;
    size_t fds_cap = 0;
    for (;;) {
        if (fds_cap < s->conn_count + 2) {
            fds_cap = (s->conn_count + 2) * 2;
            free(fds);
            fds = malloc(fds_cap * sizeof *fds);
            if (!fds)
                break;
        }
        fds[0] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        fds[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        size_t polled = s->conn_count;
        for (size_t i = 0; i < polled; i++) {
            conn *c = s->conns[i];
            short ev = c->state == CONN_WRITING ? POLLOUT : POLLIN;
            fds[i + 2] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        if (poll(fds, polled + 2, next_release_in(s)) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        /* Backwards, so closing (swap with the last) never skips a connection. */
        for (size_t i = polled; i-- > 0;)
            if (fds[i + 2].revents)
                serve_conn(s, i, fds[i + 2].revents);
        release_due(s);
        if (fds[1].revents)
            accept_connections(s);
    }
    free(fds);
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------------- */

static int listen_loopback(http_server *s)
{
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->listen_fd < 0)
        return -1;
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(s->listen_fd, 512) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&addr, &len) != 0)
        return -1;
    fcntl(s->listen_fd, F_SETFL, fcntl(s->listen_fd, F_GETFL) | O_NONBLOCK);
    s->port = ntohs(addr.sin_port);
    return 0;
}

int http_server_start(http_server **out)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    if (listen_loopback(s) != 0 || pipe(s->wake) != 0) {
        int saved = errno;
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s);
        errno = saved;
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, serve, s) != 0) {
        close(s->listen_fd);
        close(s->wake[0]);
        close(s->wake[1]);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int http_server_port(const http_server *s)
{
    return s->port;
}

void http_server_base_url(const http_server *s, char *buf, size_t size)
{
    snprintf(buf, size, "http://127.0.0.1:%d", s->port);
}

void http_server_get_stats(http_server *s, http_server_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    while (write(s->wake[1], "x", 1) < 0 && errno == EINTR)
        ;
    pthread_join(s->thread, NULL);
    while (s->conn_count)
        conn_close(s, s->conn_count - 1);
    free(s->conns);
    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
