/*
 * The ESL host: one process, one event socket connection, one session per
 * call, HTTP through the libcurl adapter, all driven by one poll loop.
 *
 *   main.c       options, signals, start and stop
 *   loop.c       the poll loop: the event socket, the adapter's sockets and timer
 *   esl_conn.c   the connection (handshake, framing, replies, reconnection)
 *   calls.c      calls: sessions, commands in flight, events fed back
 *   resume.c     calls picked up again after a reconnection or a restart
 *   snapstore.c  snapshots in memory and in the store
 *   store.h      the session store: store_dir.c (--snapshot-dir), store_redis.c (--redis)
 *   app_args.c, app_results.c   commands to applications and back
 */
#ifndef ESL_HOST_HOST_H
#define ESL_HOST_HOST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_args.h"
#include "call_table.h"
#include "esl_conn.h"
#include "ivrsm/http_curl.h"
#include "ivrsm/ivrsm.h"
#include "log.h"
#include "metrics.h"
#include "metrics_server.h"
#include "caller_ctx.h"
#include "store.h"

typedef struct host_config {
    const char *machine_path;
    const char *backend_url;
    const char *esl_address; /* HOST:PORT */
    const char *password;
    char filter_var[128];      /* channel variable set by the dialplan, e.g. "ivrsm_app" */
    char filter_header[160];   /* the same as an event header: "variable_ivrsm_app" */
    char filter_value[128];    /* e.g. "synergia" */
    const char *snapshot_dir;  /* NULL: snapshots in memory only (or in Redis) */
    const char *redis_address; /* --redis HOST:PORT, or NULL */
    int write_behind_ms;       /* 0: the store gets each call's snapshot after every event */
    int reconnect_min_ms;
    int reconnect_max_ms;
    int esl_reply_timeout_ms;    /* --esl-reply-timeout-ms */
    int http_max_in_flight;      /* --http-max-in-flight: the adapter's max_in_flight */
    int max_calls;               /* --max-calls: live calls at most; parks beyond are refused */
    int ended_linger_ms;         /* how long an ended call is remembered (late events ignored) */
    const char *metrics_address; /* --metrics HOST:PORT, or NULL */
    int64_t drain_timeout_ms;    /* after SIGTERM, how long live calls may take */
    const char *drain_queue;     /* where the calls still live then go, or NULL */
} host_config;

/* Set by the signal handlers, read by the loop (control.c). */
typedef struct host_signals {
    volatile sig_atomic_t stop;   /* SIGINT: stop now */
    volatile sig_atomic_t drain;  /* SIGTERM: drain, then stop */
    volatile sig_atomic_t reload; /* SIGHUP: load the machine again */
} host_signals;

/* A descriptor the HTTP adapter asked the loop to watch. */
typedef struct http_watch {
    int fd;
    short events; /* POLLIN / POLLOUT */
} http_watch;

struct call;
struct http_ticket;

typedef struct host {
    host_config cfg;
    app_config apps;
    logger log;
    ivrsm_machine *machine;
    ivrsm_http *http;
    http_watch *watches; /* descriptors of the HTTP transfers */
    size_t watch_count, watch_cap;
    size_t *watch_index; /* by descriptor: 1 + its slot in watches, 0 none */
    size_t watch_index_len;
    int64_t http_timer_at; /* monotonic ms when the adapter's timer fires, -1 none */
    /* The requests handed to the adapter, in the order they were, for their deadlines; the
     * first tickets_started of them hold the adapter's slots, the others wait their turn. */
    struct http_ticket *tickets, *tickets_last;
    size_t tickets_started;
    int64_t requests_due_at; /* the soonest of their deadlines (monotonic ms), -1 none */
    esl_conn *esl;
    store *store;          /* NULL: snapshots in memory only */
    bool fenced;           /* the store says this host's leases are in doubt: send nothing */
    int64_t next_flush_at; /* write-behind: when the held-back snapshots go (monotonic ms) */
    int64_t next_request_retry_at; /* when requests waiting for their snapshot try again */
    int64_t retry_sends_at; /* when calls whose message could not be sent (memory) try again, -1 */
    bool find_parked;       /* the channels must be listed again (parked.c) at retry_sends_at */
    size_t late_watched;    /* calls with an application that may run late (late.c) */
    bool late_subscribed;   /* CHANNEL_EXECUTE asked for on this connection */
    call_table calls;       /* live and recently ended calls, by UUID */
    size_t calls_active;    /* calls whose session has not ended */
    host_metrics metrics;
    metrics_server *metrics_server; /* NULL without --metrics */
    caller_ctx caller;              /* what a new call's ctx starts with */
    host_signals *signals;
    bool ever_ready;        /* the event socket accepted the host once */
    bool stop;              /* leave the loop */
    bool draining;          /* no new calls; stop once the live ones end */
    bool drain_handed_off;  /* the drain timeout passed */
    int64_t drain_deadline; /* monotonic ms */
    int exit_status;
} host;

/* Milliseconds of a monotonic clock (deadlines) and of the real clock (sessions). */
int64_t host_monotonic_ms(void);
int64_t host_monotonic_us(void);
int64_t host_wall_ms(void);

/* The adapter's hooks (loop.c); loop_user is the host. */
int host_http_socket_hook(void *loop_user, int fd, ivrsm_http_poll what, void *fd_user);
int host_http_timer_hook(void *loop_user, long timeout_ms);

/*
 * Run the poll loop until h->stop (signals wake it through the self-pipe
 * `wake_fd`, which is watched too). Returns 0.
 */
int host_run(host *h, int wake_fd);

/* control.c: after each turn of the loop, act on signals and on a drain. */
void host_after_turn(host *h);

/* control.c: load the machine again (SIGHUP). Returns 0, or -1 (the old one is kept). */
int host_reload(host *h);

#endif
