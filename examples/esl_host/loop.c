/*
 * The poll loop: the event socket, the HTTP adapter's descriptors and
 * timer, and the self-pipe the signal handler writes to. One thread; no
 * call ever waits for another (see host.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calls.h"
#include "calls_int.h"
#include "host.h"

/* The loop wakes up at least this often to forget ended calls. */
#define HOUSEKEEPING_MS 1000
/* After memory ran out in the loop itself, how long it waits before trying again. */
#define OOM_WAIT_MS 10
/* How often a request waiting for its snapshot to be stored tries again (at most). */
#define REQUEST_RETRY_MS 500

int64_t host_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t host_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t host_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------
 * The adapter's hooks
 * ------------------------------------------------------------------------- */

/* The watch of descriptor fd, found through the index by descriptor: O(1). */
static http_watch *find_watch(host *h, int fd)
{
    if (fd < 0 || (size_t)fd >= h->watch_index_len || h->watch_index[fd] == 0)
        return NULL;
    return &h->watches[h->watch_index[fd] - 1];
}

static int index_watch(host *h, int fd, size_t slot)
{
    if ((size_t)fd >= h->watch_index_len) {
        size_t len = h->watch_index_len ? h->watch_index_len : 64;
        while (len <= (size_t)fd)
            len *= 2;
        size_t *p = realloc(h->watch_index, len * sizeof(*p));
        if (!p)
            return -1;
        memset(p + h->watch_index_len, 0, (len - h->watch_index_len) * sizeof(*p));
        h->watch_index = p;
        h->watch_index_len = len;
    }
    h->watch_index[fd] = slot + 1;
    return 0;
}

int host_http_socket_hook(void *loop_user, int fd, ivrsm_http_poll what, void *fd_user)
{
    host *h = loop_user;
    (void)fd_user;
    http_watch *w = find_watch(h, fd);
    if (what == IVRSM_HTTP_POLL_REMOVE) {
        if (w) {
            size_t slot = (size_t)(w - h->watches);
            h->watch_index[fd] = 0;
            *w = h->watches[--h->watch_count];
            if (slot < h->watch_count)
                h->watch_index[w->fd] = slot + 1;
        }
        return 0;
    }
    if (!w) {
        if (h->watch_count == h->watch_cap) {
            size_t cap = h->watch_cap ? h->watch_cap * 2 : 16;
            http_watch *p = realloc(h->watches, cap * sizeof(*p));
            if (!p)
                return -1;
            h->watches = p;
            h->watch_cap = cap;
        }
        if (fd < 0 || index_watch(h, fd, h->watch_count) != 0)
            return -1;
        w = &h->watches[h->watch_count++];
        w->fd = fd;
    }
    w->events = (short)(((what & IVRSM_HTTP_POLL_IN) ? POLLIN : 0) |
                        ((what & IVRSM_HTTP_POLL_OUT) ? POLLOUT : 0));
    return 0;
}

int host_http_timer_hook(void *loop_user, long timeout_ms)
{
    host *h = loop_user;
    h->http_timer_at = timeout_ms < 0 ? -1 : host_monotonic_ms() + timeout_ms;
    return 0;
}

/* ---------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------- */

/* The soonest of the deadlines, as a poll timeout from now. */
static int poll_timeout(const host *h, int64_t now)
{
    int64_t at = now + HOUSEKEEPING_MS;
    int64_t esl = esl_conn_deadline(h->esl);
    if (esl >= 0 && esl < at)
        at = esl;
    if (h->http_timer_at >= 0 && h->http_timer_at < at)
        at = h->http_timer_at;
    if (h->requests_due_at >= 0 && h->requests_due_at < at)
        at = h->requests_due_at;
    int64_t st = h->store ? h->store->ops->deadline(h->store) : -1;
    if (st >= 0 && st < at)
        at = st;
    if (h->retry_sends_at >= 0 && h->retry_sends_at < at)
        at = h->retry_sends_at;
    if (h->store && h->cfg.write_behind_ms > 0 && h->next_flush_at < at)
        at = h->next_flush_at;
    return at <= now ? 0 : (int)(at - now);
}

static int http_events(short revents)
{
    int ev = 0;
    if (revents & (POLLIN | POLLHUP))
        ev |= IVRSM_HTTP_EV_IN;
    if (revents & POLLOUT)
        ev |= IVRSM_HTTP_EV_OUT;
    if (revents & (POLLERR | POLLNVAL))
        ev |= IVRSM_HTTP_EV_ERR;
    return ev;
}

/* Hand the ready HTTP descriptors to the adapter; the set may change as it goes. */
static void run_http(host *h, const struct pollfd *fds, size_t first, size_t count)
{
    for (size_t i = first; i < count; i++) {
        if (!fds[i].revents)
            continue;
        http_watch *w = find_watch(h, fds[i].fd);
        if (w)
            ivrsm_http_socket_action(h->http, fds[i].fd, http_events(fds[i].revents));
    }
    if (h->http_timer_at >= 0 && host_monotonic_ms() >= h->http_timer_at) {
        h->http_timer_at = -1;
        ivrsm_http_socket_action(h->http, -1, 0);
    }
}

/* The store's timers (leases, reconnection) and write-behind. */
static void run_store_timers(host *h, int64_t now)
{
    if (!h->store)
        return;
    h->store->ops->tick(h->store, now);
    if (h->cfg.write_behind_ms > 0 && now >= h->next_flush_at) {
        snap_flush_dirty(h);
        h->next_flush_at = now + h->cfg.write_behind_ms;
    }
    /* Snapshots, and requests whose snapshot, the store refused while connected (an error
     * reply) try again;
     * those that waited for the connection went when it came back (snap_resync). */
    if (now >= h->next_request_retry_at && h->store->ops->connected(h->store)) {
        if (h->cfg.write_behind_ms == 0)
            snap_flush_dirty(h); /* snapshots the store refused (calls_on_put) */
        calls_retry_requests(h);
        h->next_request_retry_at = now + REQUEST_RETRY_MS;
    }
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

int host_run(host *h, int wake_fd)
{
    struct pollfd *fds = NULL;
    size_t cap = 0;
    host_after_turn(h);
    while (!h->stop) {
        size_t need = 2 + 17 + STORE_MAX_FDS + h->watch_count;
        if (need > cap) {
            struct pollfd *p = realloc(fds, need * sizeof(*p));
            if (!p) {
                /* The calls and the connection go on: wait a moment and ask again. */
                log_at(&h->log, LOG_ERROR, "out of memory in the poll loop; trying again");
                poll(NULL, 0, OOM_WAIT_MS);
                host_after_turn(h);
                continue;
            }
            fds = p;
            cap = need;
        }
        int64_t now = host_monotonic_ms();
        esl_conn_tick(h->esl, now);
        run_store_timers(h, now);
        fds[0] = (struct pollfd){.fd = wake_fd, .events = POLLIN};
        fds[1] = (struct pollfd){.fd = esl_conn_fd(h->esl), .events = esl_conn_poll_events(h->esl)};
        size_t n = 2;
        size_t metrics_count =
            h->metrics_server ? metrics_server_poll_fill(h->metrics_server, fds + n, 17) : 0;
        n += metrics_count;
        size_t store_first = n;
        size_t store_count =
            h->store ? h->store->ops->poll_fill(h->store, fds + n, STORE_MAX_FDS) : 0;
        n += store_count;
        size_t http_first = n;
        for (size_t i = 0; i < h->watch_count; i++)
            fds[n++] = (struct pollfd){.fd = h->watches[i].fd, .events = h->watches[i].events};
        int rc = poll(fds, n, poll_timeout(h, now));
        if (rc < 0 && errno != EINTR) {
            log_at(&h->log, LOG_ERROR, "poll failed: %s", strerror(errno));
            break;
        }
        if (rc > 0 && fds[0].revents)
            drain(wake_fd);
        now = host_monotonic_ms();
        if (rc > 0 && fds[1].fd >= 0 && fds[1].revents)
            esl_conn_handle(h->esl, fds[1].revents, now);
        /* The connection's clock is now's, for the commands the HTTP answers below send. */
        esl_conn_tick(h->esl, now);
        if (rc > 0 && metrics_count)
            metrics_server_handle(h->metrics_server, fds + 2, metrics_count, now);
        if (rc > 0 && store_count)
            h->store->ops->poll_handle(h->store, fds + store_first, store_count, now);
        run_http(h, fds, http_first, rc > 0 ? n : http_first);
        calls_expire_requests(h, host_monotonic_ms());
        calls_retry_sends(h, host_monotonic_ms());
        calls_purge(h, host_monotonic_ms());
        host_after_turn(h);
    }
    free(fds);
    return 0;
}
