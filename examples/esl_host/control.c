/*
 * Signals, acted on between two turns of the poll loop (the handlers only
 * set flags):
 *
 *   SIGHUP   load the machine file again: new calls get the new version,
 *            calls in flight finish on the one they started with (each
 *            holds its own reference); a file that does not load is
 *            reported with its file:line:col and the old machine kept.
 *   SIGTERM  drain: no new call is taken (parks are left to another host),
 *            live calls go on; the host stops with status 0 once none is
 *            left, or at --drain-timeout, when the calls still live are
 *            handed off to --drain-queue (without one, they are left to the
 *            next run with their snapshots, as SIGINT does).
 *   SIGINT   stop at once.
 */
#include <stdio.h>

#include "calls.h"
#include "host.h"

/* After the drain timeout, how long the handoffs may take before the host stops anyway. */
#define DRAIN_HANDOFF_GRACE_MS 10000

int host_reload(host *h)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err = {0};
    const char *old_version = ivrsm_machine_version(h->machine);
    if (ivrsm_machine_load_file(h->cfg.machine_path, IVRSM_FORMAT_AUTO, &m, &err) != 0) {
        h->metrics.reloads_failed++;
        log_at(&h->log, LOG_ERROR, "reload: %s:%d:%d: %s; new calls still get %s %s",
               err.file[0] ? err.file : h->cfg.machine_path, err.line, err.column, err.message,
               ivrsm_machine_name(h->machine), old_version);
        return -1;
    }
    h->metrics.reloads_ok++;
    log_at(&h->log, LOG_INFO,
           "reload: machine %s %s for new calls (was %s); %zu live call%s go%s on with theirs",
           ivrsm_machine_name(m), ivrsm_machine_version(m), old_version, h->calls_active,
           h->calls_active == 1 ? "" : "s", h->calls_active == 1 ? "es" : "");
    ivrsm_machine_unref(h->machine);
    h->machine = m;
    return 0;
}

static void start_drain(host *h, int64_t now)
{
    h->draining = true;
    h->drain_deadline = now + h->cfg.drain_timeout_ms;
    log_at(&h->log, LOG_INFO,
           "draining: no new calls; %zu live call%s; stopping once none is left (at most %lld s)",
           h->calls_active, h->calls_active == 1 ? "" : "s",
           (long long)(h->cfg.drain_timeout_ms / 1000));
}

static void drain_timeout(host *h)
{
    h->drain_handed_off = true;
    if (!h->cfg.drain_queue) {
        log_at(&h->log, LOG_WARN, "drain timeout: %zu call%s still live; left to the next run%s",
               h->calls_active, h->calls_active == 1 ? "" : "s",
               h->cfg.snapshot_dir ? " (their snapshots stay)" : " (no --snapshot-dir: lost)");
        h->stop = true;
        return;
    }
    log_at(&h->log, LOG_WARN, "drain timeout: handing %zu live call%s to %s", h->calls_active,
           h->calls_active == 1 ? "" : "s", h->cfg.drain_queue);
    calls_hand_off_all(h, h->cfg.drain_queue);
}

void host_after_turn(host *h)
{
    host_signals *sig = h->signals;
    int64_t now = host_monotonic_ms();
    if (sig) {
        if (sig->stop)
            h->stop = true;
        if (sig->reload) {
            sig->reload = 0;
            host_reload(h);
        }
        if (sig->drain && !h->draining)
            start_drain(h, now);
    }
    if (!h->draining || h->stop)
        return;
    if (h->calls_active == 0) {
        log_at(&h->log, LOG_INFO, "drained: no live call left");
        h->stop = true;
    } else if (!h->drain_handed_off && now >= h->drain_deadline) {
        drain_timeout(h);
    } else if (h->drain_handed_off && now >= h->drain_deadline + DRAIN_HANDOFF_GRACE_MS) {
        log_at(&h->log, LOG_WARN, "drain: %zu handoff%s unanswered; stopping", h->calls_active,
               h->calls_active == 1 ? "" : "s");
        h->stop = true;
    }
}
