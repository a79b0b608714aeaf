/*
 * The host's metrics, rendered as OpenMetrics text (metrics_server.c serves
 * them on --metrics HOST:PORT):
 *
 *   ivrsm_esl_calls_active                 gauge    calls whose session has not ended
 *   ivrsm_esl_calls_started_total          counter
 *   ivrsm_esl_calls_ended_total{outcome}   counter  hangup (by the IVR), handoff,
 *                                                   caller_hangup, error
 *   ivrsm_esl_events_fed_total             counter  events fed to sessions
 *   ivrsm_esl_http_requests_total{class}   counter  2xx, 3xx, 4xx, 5xx, error (no answer)
 *   ivrsm_esl_http_request_duration_seconds histogram
 *   ivrsm_esl_reconnects_total             counter  connections ready again after one was lost
 *   ivrsm_esl_connected                    gauge    1 while the event socket is ready
 *   ivrsm_esl_reloads_total{result}        counter  ok, failed (SIGHUP)
 *   ivrsm_esl_machine_info{name,version}   info     the machine new calls get
 *   ivrsm_esl_draining                     gauge    1 once SIGTERM asked for a drain
 *   ivrsm_esl_answer_delay_seconds         summary  from an answer received (a question's
 *                                                   completion, an HTTP result) to the
 *                                                   next application sent for that call:
 *                                                   the host's own delay
 *   ivrsm_esl_commands_held_total          counter  commands written only once an earlier
 *                                                   reply came (esl_conn_send_acting)
 *   ivrsm_esl_command_hold_seconds_total   counter  the time they waited in the host
 *   ivrsm_esl_command_hold_max_seconds     gauge    the longest of those waits
 * and with a store (--snapshot-dir, --redis):
 *   ivrsm_esl_store_info{kind}             info     directory or redis
 *   ivrsm_esl_store_connected              gauge    1 while writes reach the store
 *   ivrsm_esl_store_requests_total         counter  requests sent to the store
 *   ivrsm_esl_store_puts_total{result}     counter  snapshots stored: ok, failed
 *   ivrsm_esl_store_bytes_written_total    counter  snapshot bytes put
 *   ivrsm_esl_store_disconnects_total      counter  connections to the store lost
 *   ivrsm_esl_store_disconnected_seconds_total counter time without one
 *   ivrsm_esl_store_fenced                 gauge    1 while the leases are in doubt
 *   ivrsm_esl_calls_taken_over_total       counter  calls of a dead host resumed here
 *   ivrsm_esl_calls_lost_total             counter  calls another host took from this one
 *   ivrsm_esl_calls_refused_total          counter  parks refused at --max-calls
 */
#ifndef ESL_HOST_METRICS_H
#define ESL_HOST_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct store;

typedef enum call_outcome {
    OUTCOME_HANGUP = 0,    /* the IVR hung up */
    OUTCOME_HANDOFF,       /* handed to a human */
    OUTCOME_CALLER_HANGUP, /* the caller hung up (or the channel went away) */
    OUTCOME_ERROR,         /* the host could not run the call */
    OUTCOME_COUNT
} call_outcome;

typedef enum http_class {
    HTTP_2XX = 0,
    HTTP_3XX,
    HTTP_4XX,
    HTTP_5XX,
    HTTP_ERROR,
    HTTP_CLASS_COUNT
} http_class;

#define METRICS_HTTP_BUCKETS 12
#define METRICS_DELAY_SAMPLES 65536

typedef struct host_metrics {
    unsigned long calls_started;
    unsigned long calls_ended[OUTCOME_COUNT];
    unsigned long events_fed;
    unsigned long http_requests[HTTP_CLASS_COUNT];
    unsigned long http_buckets[METRICS_HTTP_BUCKETS]; /* cumulative counts by upper bound */
    double http_seconds_sum;
    unsigned long reconnects;
    unsigned long reloads_ok, reloads_failed;
    unsigned long calls_taken_over; /* orphans of another host resumed here */
    unsigned long calls_lost;       /* calls another host owns now (this host's lease expired) */
    unsigned long calls_refused;    /* parks refused: --max-calls calls were live */
    /* The last METRICS_DELAY_SAMPLES answer delays (µs), for exact quantiles. */
    uint32_t *delays_us;
    size_t delay_next, delay_count;
    unsigned long delays_total;
    double delays_sum_s;
} host_metrics;

/* The host's own state that the metrics show as gauges and info. */
typedef struct metrics_view {
    const struct store *store; /* NULL without one */
    int fenced;
    int64_t now_ms; /* monotonic: a disconnection still going on counts up to now */
    size_t calls_active;
    int connected;
    unsigned long commands_held;
    double command_hold_seconds;
    double command_hold_max_seconds;
    int draining;
    const char *machine_name;
    const char *machine_version;
} metrics_view;

/* The HTTP status class of a result (status 0 or a transport error: HTTP_ERROR). */
http_class metrics_http_class(int status, const char *error);

void metrics_http(host_metrics *m, int status, const char *error, double elapsed_ms);

/* One answer delay, in microseconds. */
void metrics_delay(host_metrics *m, int64_t delay_us);

/* The quantiles q[0..n) (0..1) of the delays kept, in seconds, into out (0 when none). */
void metrics_delay_quantiles(const host_metrics *m, const double *q, double *out, size_t n);

/* Append the OpenMetrics text (ending with "# EOF") to out. Returns 0, or -1 when out of memory. */
int metrics_render(const host_metrics *m, const metrics_view *v, strbuf *out);

void metrics_free(host_metrics *m);

#endif
