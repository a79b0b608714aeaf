/*
 * The metrics' HTTP server: see metrics_server.h.
 */
#define _GNU_SOURCE /* accept4 */
#include "metrics_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 16
#define MAX_REQUEST 8192
#define REQUEST_TIMEOUT_MS 5000

typedef struct client {
    int fd;              /* -1: free */
    strbuf in, out;      /* the request so far; the answer to send */
    int64_t deadline_ms; /* monotonic */
    int answering;       /* the answer is built: writing */
} client;

struct metrics_server {
    int fd;
    char address[80];
    metrics_render_fn render;
    void *user;
    client clients[MAX_CLIENTS];
    /* What the last poll_fill put where: -1 the listening socket, else a client. */
    int slots[1 + MAX_CLIENTS];
};

static int64_t now_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int bind_address(metrics_server *s, const char *address, char *err, size_t errlen)
{
    char host[256];
    const char *colon = address ? strrchr(address, ':') : NULL;
    if (!colon || colon == address || (size_t)(colon - address) >= sizeof(host)) {
        snprintf(err, errlen, "--metrics '%s': expected HOST:PORT, e.g. 127.0.0.1:9464",
                 address ? address : "");
        return -1;
    }
    const char *h = address, *end = colon;
    if (*h == '[' && end[-1] == ']') {
        h++;
        end--;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(end - h), h);
    char *stop;
    long port = strtol(colon + 1, &stop, 10);
    if (!colon[1] || *stop || port < 0 || port > 65535) {
        snprintf(err, errlen, "--metrics '%s': the port must be a number from 0 to 65535", address);
        return -1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "--metrics '%s': cannot resolve %s: %s", address, host,
                 gai_strerror(rc));
        return -1;
    }
    s->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s->fd >= 0)
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (s->fd < 0 || bind(s->fd, res->ai_addr, res->ai_addrlen) != 0 || listen(s->fd, 16) != 0) {
        snprintf(err, errlen, "--metrics '%s': cannot listen: %s", address, strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    int bound = 0;
    if (getsockname(s->fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
            bound = ntohs(a->sin_port);
            snprintf(s->address, sizeof(s->address), "%s:%d", ip, bound);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
            bound = ntohs(a->sin6_port);
            snprintf(s->address, sizeof(s->address), "[%s]:%d", ip, bound);
        }
    }
    return 0;
}

metrics_server *metrics_server_new(const char *address, metrics_render_fn render, void *user,
                                   char *err, size_t errlen)
{
    metrics_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->fd = -1;
    s->render = render;
    s->user = user;
    for (int i = 0; i < MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    if (bind_address(s, address, err, errlen) != 0) {
        metrics_server_free(s);
        return NULL;
    }
    return s;
}

const char *metrics_server_address(const metrics_server *s)
{
    return s->address;
}

static void drop_client(client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    sb_free(&c->in);
    sb_free(&c->out);
    c->answering = 0;
}

size_t metrics_server_poll_fill(metrics_server *s, struct pollfd *fds, size_t max)
{
    size_t n = 0;
    int64_t now = now_monotonic_ms();
    if (n < max) {
        s->slots[n] = -1;
        fds[n++] = (struct pollfd){.fd = s->fd, .events = POLLIN};
    }
    for (int i = 0; i < MAX_CLIENTS && n < max; i++) {
        client *c = &s->clients[i];
        if (c->fd < 0)
            continue;
        if (now >= c->deadline_ms) {
            drop_client(c); /* too slow: a scrape takes milliseconds */
            continue;
        }
        s->slots[n] = i;
        fds[n++] = (struct pollfd){.fd = c->fd, .events = c->answering ? POLLOUT : POLLIN};
    }
    return n;
}

static void accept_clients(metrics_server *s, int64_t now)
{
    for (;;) {
        int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        client *free_slot = NULL;
        for (int i = 0; i < MAX_CLIENTS && !free_slot; i++) {
            if (s->clients[i].fd < 0)
                free_slot = &s->clients[i];
        }
        if (!free_slot) {
            close(fd); /* busy: the scraper tries again */
            continue;
        }
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->fd = fd;
        free_slot->deadline_ms = now + REQUEST_TIMEOUT_MS;
    }
}

static void answer(metrics_server *s, client *c, int status, const char *reason, const char *type,
                   const strbuf *body)
{
    sb_printf(&c->out,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              status, reason, type, body ? body->len : 0);
    if (body && body->len)
        sb_append(&c->out, body->data, body->len);
    c->answering = 1;
    (void)s;
}

/* The request line of a complete request: "GET /metrics HTTP/1.1". */
static void respond(metrics_server *s, client *c)
{
    const char *req = c->in.data;
    const char *eol = strstr(req, "\r\n");
    char method[16] = "", target[256] = "";
    if (eol)
        sscanf(req, "%15s %255s", method, target);
    char *q = strchr(target, '?');
    if (q)
        *q = '\0';
    strbuf body = {0};
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        sb_puts(&body, "only GET\n");
        answer(s, c, 405, "Method Not Allowed", "text/plain; charset=utf-8", &body);
    } else if (strcmp(target, "/metrics") != 0) {
        sb_puts(&body, "the metrics are at /metrics\n");
        answer(s, c, 404, "Not Found", "text/plain; charset=utf-8", &body);
    } else if (s->render(s->user, &body) != 0) {
        sb_free(&body);
        answer(s, c, 500, "Internal Server Error", "text/plain; charset=utf-8", NULL);
    } else {
        if (!strcmp(method, "HEAD"))
            body.len = 0;
        answer(s, c, 200, "OK", "application/openmetrics-text; version=1.0.0; charset=utf-8",
               &body);
    }
    sb_free(&body);
}

static void write_answer(client *c)
{
    while (c->out.len > 0) {
        ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n > 0) {
            sb_consume(&c->out, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        break;
    }
    drop_client(c);
}

static void read_request(metrics_server *s, client *c)
{
    char buf[2048];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n > 0) {
            if (c->in.len + (size_t)n > MAX_REQUEST || sb_append(&c->in, buf, (size_t)n) != 0) {
                drop_client(c);
                return;
            }
            if (strstr(c->in.data, "\r\n\r\n") || strstr(c->in.data, "\n\n")) {
                respond(s, c);
                write_answer(c);
                return;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        drop_client(c);
        return;
    }
}

void metrics_server_handle(metrics_server *s, const struct pollfd *fds, size_t count,
                           int64_t now_ms)
{
    for (size_t i = 0; i < count; i++) {
        if (!fds[i].revents)
            continue;
        if (s->slots[i] < 0) {
            accept_clients(s, now_ms);
            continue;
        }
        client *c = &s->clients[s->slots[i]];
        if (c->fd != fds[i].fd)
            continue;
        if (fds[i].revents & (POLLERR | POLLNVAL))
            drop_client(c);
        else if (c->answering)
            write_answer(c);
        else
            read_request(s, c);
    }
}

void metrics_server_free(metrics_server *s)
{
    if (!s)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++)
        drop_client(&s->clients[i]);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}
