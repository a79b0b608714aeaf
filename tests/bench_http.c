/*
 * Throughput of the HTTP adapter: requests per second with 50 commands in
 * flight against the local test server (tests/http_server), driven by
 * ivrsm_http_run() and by a poll() loop through the hooks.
 * The server runs on a thread of this process, so the figures include its
 * cost too; they are an upper bound on the adapter's per-request overhead.
 *
 * Usage: bench_http [REQUESTS]   (default 20000 per scenario)
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_server.h"
#include "ivrsm/http_curl.h"

#define IN_FLIGHT 50
#define MAX_WATCHED 256

typedef struct bench {
    ivrsm_http *h;
    const char *method;
    const char *path;
    const char *body;
    long to_submit;
    long completed;
    long failed;
    uint64_t next_id;
    /* the poll() loop, for the hooked scenario */
    int fds[MAX_WATCHED];
    short events[MAX_WATCHED];
    size_t watched;
    int timer_set;
    double timer_at;
} bench;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void submit_next(bench *b);

/* Keep IN_FLIGHT busy: every completion submits the next command. */
static void on_done(void *user, const ivrsm_http_result *r)
{
    bench *b = user;
    b->completed++;
    if (r->error || r->status != 200)
        b->failed++;
    submit_next(b);
}

static void submit_next(bench *b)
{
    if (b->to_submit == 0)
        return;
    ivrsm_command c;
    memset(&c, 0, sizeof c);
    c.type = IVRSM_COMMAND_HTTP;
    c.id = ++b->next_id;
    c.http.method = b->method;
    c.http.path = b->path;
    c.http.body = b->body;
    c.http.idempotency_key = "bench-session:1";
    if (ivrsm_http_submit(b->h, &c, on_done, b) == 0)
        b->to_submit--;
}

static int on_socket(void *user, int fd, ivrsm_http_poll what, void *fd_user)
{
    bench *b = user;
    (void)fd_user;
    size_t i = 0;
    while (i < b->watched && b->fds[i] != fd)
        i++;
    if (what == IVRSM_HTTP_POLL_REMOVE) {
        if (i < b->watched) {
            b->fds[i] = b->fds[--b->watched];
            b->events[i] = b->events[b->watched];
        }
        return 0;
    }
    if (i == b->watched) {
        if (b->watched == MAX_WATCHED)
            return -1;
        b->fds[b->watched++] = fd;
    }
    b->events[i] = (short)((what & IVRSM_HTTP_POLL_IN ? POLLIN : 0) |
                           (what & IVRSM_HTTP_POLL_OUT ? POLLOUT : 0));
    return 0;
}

static int on_timer(void *user, long timeout_ms)
{
    bench *b = user;
    b->timer_set = timeout_ms >= 0;
    b->timer_at = now_ms() + (double)(timeout_ms > 0 ? timeout_ms : 0);
    return 0;
}

static void drive_with_poll(bench *b)
{
    while (ivrsm_http_in_flight(b->h) > 0) {
        struct pollfd pfd[MAX_WATCHED];
        size_t n = b->watched;
        for (size_t i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = b->fds[i], .events = b->events[i]};
        int wait = 1000;
        if (b->timer_set) {
            double in = b->timer_at - now_ms();
            wait = in <= 0 ? 0 : (int)in + 1;
        }
        if (poll(pfd, n, wait) < 0)
            return;
        for (size_t i = 0; i < n; i++) {
            if (!pfd[i].revents)
                continue;
            int ev = (pfd[i].revents & (POLLIN | POLLHUP) ? IVRSM_HTTP_EV_IN : 0) |
                     (pfd[i].revents & POLLOUT ? IVRSM_HTTP_EV_OUT : 0) |
                     (pfd[i].revents & (POLLERR | POLLNVAL) ? IVRSM_HTTP_EV_ERR : 0);
            ivrsm_http_socket_action(b->h, pfd[i].fd, ev);
        }
        if (b->timer_set && now_ms() >= b->timer_at) {
            b->timer_set = 0;
            ivrsm_http_socket_action(b->h, -1, 0);
        }
    }
}

static int run_scenario(const char *name, const char *base_url, int hooked, const char *method,
                        const char *path, const char *body, long requests)
{
    bench b;
    memset(&b, 0, sizeof b);
    b.method = method;
    b.path = path;
    b.body = body;
    b.to_submit = requests;
    ivrsm_http_options opts;
    memset(&opts, 0, sizeof opts);
    opts.base_url = base_url;
    opts.max_in_flight = IN_FLIGHT;
    if (hooked) {
        opts.socket_hook = on_socket;
        opts.timer_hook = on_timer;
        opts.loop_user = &b;
    }
    if (ivrsm_http_new(&opts, &b.h) != 0) {
        fprintf(stderr, "bench_http: cannot create the adapter\n");
        return 1;
    }
    double start = now_ms();
    for (int i = 0; i < IN_FLIGHT; i++)
        submit_next(&b);
    if (hooked)
        drive_with_poll(&b);
    else
        while (ivrsm_http_run(b.h, 1000) > 0)
            ;
    double ms = now_ms() - start;
    ivrsm_http_free(b.h);
    printf("http %-22s %6ld requests, %d in flight: %8.0f req/s  (%.1f us/request)%s\n", name,
           b.completed, IN_FLIGHT, (double)b.completed * 1000.0 / ms,
           ms * 1000.0 / (double)b.completed, b.failed ? "  FAILURES" : "");
    return b.failed || b.completed != requests;
}

int main(int argc, char **argv)
{
    long requests = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (requests < IN_FLIGHT) {
        fprintf(stderr, "usage: bench_http [REQUESTS >= %d]\n", IN_FLIGHT);
        return 2;
    }
    /* Against an outside server instead (tests/bench_http_mock.sh: the seed's mock backend). */
    const char *url = getenv("IVRSM_BENCH_URL");
    const char *path = getenv("IVRSM_BENCH_PATH");
    if (url) {
        char name[64];
        snprintf(name, sizeof name, "GET %s", path ? path : "/");
        return run_scenario(name, url, 0, "GET", path ? path : "/", NULL, requests);
    }
    http_server *server;
    if (http_server_start(&server) != 0) {
        perror("bench_http: server");
        return 1;
    }
    char base_url[64];
    http_server_base_url(server, base_url, sizeof base_url);
    const char *body =
        "{\"session_id\":\"s-1\",\"phone_e164\":\"+33612345678\",\"slot\":\"2026-03-02T09:00\"}";
    int failed = 0;
    failed |= run_scenario("GET /json (run)", base_url, 0, "GET", "/json", NULL, requests);
    failed |= run_scenario("POST /echo (run)", base_url, 0, "POST", "/echo", body, requests);
    failed |= run_scenario("GET /json (poll hooks)", base_url, 1, "GET", "/json", NULL, requests);
    http_server_stats st;
    http_server_get_stats(server, &st);
    printf("http server: %lu connections for %lu requests\n", st.connections, st.requests);
    http_server_stop(server);
    return failed;
}
