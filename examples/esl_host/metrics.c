/*
 * Metrics as OpenMetrics text: see metrics.h.
 */
#include "metrics.h"

#include "store.h"

#include <stdlib.h>
#include <string.h>

/* Upper bounds of the HTTP duration buckets, in seconds (+Inf last). */
static const double http_bounds[METRICS_HTTP_BUCKETS - 1] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1,    2.5,   5,    10};

static const char *const outcome_names[OUTCOME_COUNT] = {"hangup", "handoff", "caller_hangup",
                                                         "error"};
static const char *const class_names[HTTP_CLASS_COUNT] = {"2xx", "3xx", "4xx", "5xx", "error"};

http_class metrics_http_class(int status, const char *error)
{
    if (error || status < 200 || status > 599)
        return HTTP_ERROR;
    return (http_class)(status / 100 - 2);
}

void metrics_http(host_metrics *m, int status, const char *error, double elapsed_ms)
{
    m->http_requests[metrics_http_class(status, error)]++;
    double s = elapsed_ms / 1000.0;
    m->http_seconds_sum += s;
    for (size_t i = 0; i < METRICS_HTTP_BUCKETS; i++) {
        if (i == METRICS_HTTP_BUCKETS - 1 || s <= http_bounds[i])
            m->http_buckets[i]++;
    }
}

void metrics_delay(host_metrics *m, int64_t delay_us)
{
    if (delay_us < 0)
        delay_us = 0;
    if (!m->delays_us) {
        m->delays_us = malloc(METRICS_DELAY_SAMPLES * sizeof(*m->delays_us));
        if (!m->delays_us)
            return;
    }
    m->delays_us[m->delay_next] = delay_us > UINT32_MAX ? UINT32_MAX : (uint32_t)delay_us;
    m->delay_next = (m->delay_next + 1) % METRICS_DELAY_SAMPLES;
    if (m->delay_count < METRICS_DELAY_SAMPLES)
        m->delay_count++;
    m->delays_total++;
    m->delays_sum_s += (double)delay_us / 1e6;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void metrics_delay_quantiles(const host_metrics *m, const double *q, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = 0;
    if (m->delay_count == 0)
        return;
    uint32_t *copy = malloc(m->delay_count * sizeof(*copy));
    if (!copy)
        return;
    memcpy(copy, m->delays_us, m->delay_count * sizeof(*copy));
    qsort(copy, m->delay_count, sizeof(*copy), cmp_u32);
    for (size_t i = 0; i < n; i++) {
        /* Nearest rank. */
        size_t rank = (size_t)(q[i] * (double)m->delay_count + 0.999999);
        if (rank == 0)
            rank = 1;
        if (rank > m->delay_count)
            rank = m->delay_count;
        out[i] = copy[rank - 1] / 1e6;
    }
    free(copy);
}

/* A label value: backslash, double quote and line feed escaped. */
static void label_value(strbuf *out, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\\')
            sb_puts(out, "\\\\");
        else if (*p == '"')
            sb_puts(out, "\\\"");
        else if (*p == '\n')
            sb_puts(out, "\\n");
        else
            sb_append(out, p, 1);
    }
}

static void family(strbuf *out, const char *name, const char *type, const char *help)
{
    sb_printf(out, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

static void render_store(const host_metrics *m, const metrics_view *v, strbuf *out)
{
    const store_stats *st = &v->store->stats;
    double gap = st->disconnected_s;
    if (st->disconnected_since >= 0 && v->now_ms > st->disconnected_since)
        gap += (double)(v->now_ms - st->disconnected_since) / 1000.0;
    family(out, "ivrsm_esl_store", "info", "The session store.");
    sb_printf(out, "ivrsm_esl_store_info{kind=\"%s\"} 1\n", v->store->ops->name);
    family(out, "ivrsm_esl_store_connected", "gauge", "1 while writes reach the store.");
    sb_printf(out, "ivrsm_esl_store_connected %d\n", v->store->ops->connected(v->store) ? 1 : 0);
    family(out, "ivrsm_esl_store_requests", "counter", "Requests sent to the store.");
    sb_printf(out, "ivrsm_esl_store_requests_total %lu\n", st->ops);
    family(out, "ivrsm_esl_store_puts", "counter", "Snapshots stored, by result.");
    sb_printf(out, "ivrsm_esl_store_puts_total{result=\"ok\"} %lu\n", st->puts_ok);
    sb_printf(out, "ivrsm_esl_store_puts_total{result=\"failed\"} %lu\n", st->puts_failed);
    family(out, "ivrsm_esl_store_bytes_written", "counter", "Snapshot bytes put.");
    sb_printf(out, "ivrsm_esl_store_bytes_written_total %lu\n", st->bytes_written);
    family(out, "ivrsm_esl_store_disconnects", "counter", "Connections to the store lost.");
    sb_printf(out, "ivrsm_esl_store_disconnects_total %lu\n", st->disconnects);
    family(out, "ivrsm_esl_store_disconnected_seconds", "counter",
           "Time spent without a connection to the store.");
    sb_printf(out, "ivrsm_esl_store_disconnected_seconds_total %.3f\n", gap);
    family(out, "ivrsm_esl_store_fenced", "gauge",
           "1 while this host's leases are in doubt (it sends nothing for its calls).");
    sb_printf(out, "ivrsm_esl_store_fenced %d\n", v->fenced ? 1 : 0);
    family(out, "ivrsm_esl_calls_taken_over", "counter",
           "Calls of a host whose lease expired, resumed here.");
    sb_printf(out, "ivrsm_esl_calls_taken_over_total %lu\n", m->calls_taken_over);
    family(out, "ivrsm_esl_calls_lost", "counter",
           "Calls another host owns now (this host's lease had expired).");
    sb_printf(out, "ivrsm_esl_calls_lost_total %lu\n", m->calls_lost);
}

int metrics_render(const host_metrics *m, const metrics_view *v, strbuf *out)
{
    family(out, "ivrsm_esl_calls_active", "gauge", "Calls whose session has not ended.");
    sb_printf(out, "ivrsm_esl_calls_active %zu\n", v->calls_active);
    family(out, "ivrsm_esl_calls_started", "counter", "Calls taken by the host.");
    sb_printf(out, "ivrsm_esl_calls_started_total %lu\n", m->calls_started);
    family(out, "ivrsm_esl_calls_refused", "counter",
           "Parks refused because --max-calls calls were live.");
    sb_printf(out, "ivrsm_esl_calls_refused_total %lu\n", m->calls_refused);
    family(out, "ivrsm_esl_calls_ended", "counter", "Calls ended, by outcome.");
    for (int i = 0; i < OUTCOME_COUNT; i++)
        sb_printf(out, "ivrsm_esl_calls_ended_total{outcome=\"%s\"} %lu\n", outcome_names[i],
                  m->calls_ended[i]);
    family(out, "ivrsm_esl_events_fed", "counter", "Events fed to the sessions.");
    sb_printf(out, "ivrsm_esl_events_fed_total %lu\n", m->events_fed);
    family(out, "ivrsm_esl_http_requests", "counter",
           "HTTP requests to the backend, by status class (error: no answer).");
    for (int i = 0; i < HTTP_CLASS_COUNT; i++)
        sb_printf(out, "ivrsm_esl_http_requests_total{class=\"%s\"} %lu\n", class_names[i],
                  m->http_requests[i]);
    family(out, "ivrsm_esl_http_request_duration_seconds", "histogram",
           "Time from an HTTP request sent to its answer.");
    unsigned long count = 0;
    for (int i = 0; i < METRICS_HTTP_BUCKETS; i++) {
        if (i < METRICS_HTTP_BUCKETS - 1)
            sb_printf(out, "ivrsm_esl_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
                      http_bounds[i], m->http_buckets[i]);
        else
            sb_printf(out, "ivrsm_esl_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
                      m->http_buckets[i]);
        count = m->http_buckets[i];
    }
    sb_printf(out, "ivrsm_esl_http_request_duration_seconds_count %lu\n", count);
    sb_printf(out, "ivrsm_esl_http_request_duration_seconds_sum %.6f\n", m->http_seconds_sum);
    family(out, "ivrsm_esl_reconnects", "counter",
           "Event socket connections ready again after one was lost.");
    sb_printf(out, "ivrsm_esl_reconnects_total %lu\n", m->reconnects);
    family(out, "ivrsm_esl_connected", "gauge", "1 while the event socket is ready.");
    sb_printf(out, "ivrsm_esl_connected %d\n", v->connected ? 1 : 0);
    family(out, "ivrsm_esl_reloads", "counter", "Machine reloads (SIGHUP), by result.");
    sb_printf(out, "ivrsm_esl_reloads_total{result=\"ok\"} %lu\n", m->reloads_ok);
    sb_printf(out, "ivrsm_esl_reloads_total{result=\"failed\"} %lu\n", m->reloads_failed);
    family(out, "ivrsm_esl_machine", "info", "The machine new calls get.");
    sb_puts(out, "ivrsm_esl_machine_info{name=\"");
    label_value(out, v->machine_name);
    sb_puts(out, "\",version=\"");
    label_value(out, v->machine_version);
    sb_puts(out, "\"} 1\n");
    family(out, "ivrsm_esl_draining", "gauge", "1 once a drain was asked for (SIGTERM).");
    sb_printf(out, "ivrsm_esl_draining %d\n", v->draining ? 1 : 0);
    family(out, "ivrsm_esl_answer_delay_seconds", "summary",
           "From an answer received to the next application sent for that call.");
    static const double quantiles[] = {0.5, 0.9, 0.99, 1};
    double values[4];
    metrics_delay_quantiles(m, quantiles, values, 4);
    for (size_t i = 0; i < 4; i++)
        sb_printf(out, "ivrsm_esl_answer_delay_seconds{quantile=\"%g\"} %.6f\n", quantiles[i],
                  values[i]);
    sb_printf(out, "ivrsm_esl_answer_delay_seconds_count %lu\n", m->delays_total);
    sb_printf(out, "ivrsm_esl_answer_delay_seconds_sum %.6f\n", m->delays_sum_s);
    family(out, "ivrsm_esl_commands_held", "counter",
           "Commands written only once an earlier reply came.");
    sb_printf(out, "ivrsm_esl_commands_held_total %lu\n", v->commands_held);
    family(out, "ivrsm_esl_command_hold_seconds", "counter",
           "The time those commands waited in the host for it.");
    sb_printf(out, "ivrsm_esl_command_hold_seconds_total %.6f\n", v->command_hold_seconds);
    family(out, "ivrsm_esl_command_hold_max_seconds", "gauge", "The longest of those waits.");
    sb_printf(out, "ivrsm_esl_command_hold_max_seconds %.6f\n", v->command_hold_max_seconds);
    if (v->store)
        render_store(m, v, out);
    sb_puts(out, "# EOF\n");
    return out->oom ? -1 : 0;
}

void metrics_free(host_metrics *m)
{
    free(m->delays_us);
    m->delays_us = NULL;
}
