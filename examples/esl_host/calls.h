/*
 * Calls: one session per FreeSWITCH channel.
 *
 * A CHANNEL_PARK carrying the filter variable starts a session (call_id =
 * the channel's Unique-ID, a new random session_id). The host executes the
 * session's commands one at a time, each as one or more applications sent
 * with sendmsg; the CHANNEL_EXECUTE_COMPLETE whose Application-UUID echoes
 * the Event-UUID that was sent completes a step, and what it says is fed
 * back. HTTP commands go to the libcurl adapter without blocking anything.
 * After every event fed, the session is saved (ivrsm_session_snapshot), in
 * memory and, with --snapshot-dir, in a file, so a call survives a lost
 * connection or a restart of the host (resume.c).
 */
#ifndef ESL_HOST_CALLS_H
#define ESL_HOST_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "esl_frame.h"
#include "host.h"

/* An event from FreeSWITCH (any type; those of no call are ignored). */
void calls_on_event(host *h, const esl_msg *ev);

/*
 * The messages of one read, before they are handled one by one (esl_conn's on_burst): asks
 * for the memory looking each event's call up and feeding its session will touch (the
 * table's slot, the call's record, the session's lines), so that with many calls their cache
 * misses overlap. A hint: it changes nothing.
 */
void calls_prefetch(host *h, const esl_msg *const *msgs, size_t n);

/* The connection is ready: pick up every call that needs it (resume.c). */
void calls_on_ready(host *h);

/*
 * parked.c: take the calls parked while the host was away (their CHANNEL_PARK never came):
 * list the channels and take those marked for the host and still parked. Called when the
 * connection is ready.
 */
void calls_find_parked(host *h);

/* The connection dropped: every live call will be resumed on the next one. */
void calls_on_lost(host *h);

/*
 * Calls whose application (or resumption) could not be sent while connected, memory having
 * run out, try again once h->retry_sends_at has passed (the poll loop calls this each turn).
 */
void calls_retry_sends(host *h, int64_t now_ms);

/* Forget calls that ended more than cfg.ended_linger_ms ago. */
void calls_purge(host *h, int64_t now_ms);

/*
 * The host's deadline of each request it handed to the HTTP adapter: the
 * request's timeout (the command's, else the adapter's default) and
 * REQUEST_DEADLINE_MARGIN_MS, from the hand-over. A request still without a
 * result then is stopped (ivrsm_http_cancel) and its call fed the adapter's
 * own timeout result (status 0, error "timeout"): a transfer that libcurl
 * lost, or that never ends for any reason, never leaves a caller waiting.
 * Run from the loop; h->requests_due_at says when it is due.
 */
void calls_expire_requests(host *h, int64_t now_ms);

/*
 * Take the calls an earlier run of this host left in the store; they are
 * resumed when the connection is ready (documents that cannot be used are
 * reported and left in place).
 */
void calls_load_saved(host *h);

/* The store says this host's leases are in doubt (fenced) or good again. */
void calls_on_fence(host *h, bool fenced);

/* The store says another host owns call `uuid` now: it is let go, nothing sent. */
void calls_on_taken(host *h, const char *uuid);
/* A call whose lease the store cannot keep (another application's data at its keys): the
 * host stops what it started and hangs it up. */
void calls_on_unkeepable(host *h, const char *uuid);

/* The store answered a put of call uuid's snapshot (store_events.on_put): a refused one is
 * put again (loop.c, every REQUEST_RETRY_MS), said once until one is stored. */
void calls_on_put(host *h, const char *uuid, int status, const char *why);

/* Give every live call up in the store (stop, drain timeout): another host takes them. */
void calls_release_all(host *h);

/* Calls whose session has not ended. */
size_t calls_live(const host *h);

/* Hand every live call to `queue` now (the drain timeout); each ends when its handoff does. */
void calls_hand_off_all(host *h, const char *queue);

/* Free every call (their snapshot files stay, for the next run). */
void calls_free_all(host *h);

#endif
