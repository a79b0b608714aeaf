/*
 * Snapshots of calls and their store (store.h): in memory after every
 * event, and with a store (--snapshot-dir or --redis) as one document per
 * call:
 *
 *   {"format": "ivrsm-esl-host/1", "call_id": UUID, "session_id": ID,
 *    "inflight_id": N, "inflight_type": T, "last_pulled_id": N,
 *    "snapshot": {...ivrsm_session_snapshot()...}}
 *
 * The document is put after every event and whenever the command in
 * flight changes, or, with --store-write-behind MS, at most every MS
 * milliseconds (a crash then loses the events of the last MS ms: their
 * questions are asked again). An http command waits until the document
 * naming it in flight is stored, whatever the mode, so a host that takes
 * the call over sends it again with the same idempotency key and never a
 * new request under a key already used.
 *
 * Calls come into a host three ways: parked (claimed, then started:
 * calls.c), owned by an earlier run of this host (list_owned, here), or
 * orphaned by a host whose lease expired (claimed, then resumed, here).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"
#include "esl_wire.h"
#include "snapdoc.h"
#include "strbuf.h"

int snap_take(call *c)
{
    char *snap = NULL;
    int rc = ivrsm_session_snapshot(c->s, &snap);
    if (rc != 0) {
        log_at(&c->h->log, LOG_WARN, "call %s: cannot save the session: %s", c->uuid,
               ivrsm_strerror(rc));
        /* The one kept would be an event behind the session: never restore from it. A
         * reconnection goes on from the session in memory, as without a store. */
        ivrsm_free(c->snapshot);
        c->snapshot = NULL;
        return -1;
    }
    ivrsm_free(c->snapshot);
    c->snapshot = snap;
    snap_store(c);
    return 0;
}

/* The document, built as text around the library's snapshot (no second parse). */
static int snap_document(const call *c, strbuf *out)
{
    sb_printf(out,
              "{\"format\":\"" SNAPDOC_FORMAT "\",\"call_id\":\"%s\",\"session_id\":\"%s\","
              "\"inflight_id\":%llu,\"inflight_type\":%d,\"last_pulled_id\":%llu,\"snapshot\":",
              c->uuid, c->session_id, (unsigned long long)c->inflight_id, (int)c->inflight_type,
              (unsigned long long)c->last_pulled_id);
    sb_puts(out, c->snapshot);
    sb_puts(out, "}");
    return out->oom ? -1 : 0;
}

int snap_store_now(call *c, store_done_fn done, void *user)
{
    host *h = c->h;
    if (!h->store || !c->snapshot || c->claiming)
        return -1;
    strbuf doc = {0};
    int rc = snap_document(c, &doc);
    if (rc == 0)
        rc = h->store->ops->put(h->store, c->uuid, doc.data, doc.len, done, user);
    if (rc != 0) /* with the store away, its gap is logged once and counted */
        log_at(&h->log, h->store->ops->connected(h->store) ? LOG_WARN : LOG_DEBUG,
               "call %s: cannot store its snapshot", c->uuid);
    sb_free(&doc);
    c->store_dirty = rc != 0;
    return rc;
}

void snap_store(call *c)
{
    if (!c->h->store || !c->snapshot)
        return;
    if (c->h->cfg.write_behind_ms > 0) {
        c->store_dirty = true; /* snap_flush_dirty puts it */
        return;
    }
    snap_store_now(c, NULL, NULL);
}

void snap_flush_dirty(host *h)
{
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (!c->ended && c->store_dirty)
            snap_store_now(c, NULL, NULL);
    }
}

void snap_resync(host *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (!c->ended && !c->claiming && c->snapshot) {
            if (c->ticket && c->ticket->awaiting_store && !c->held)
                call_store_request(c); /* the request waiting for it goes once it is stored */
            else
                snap_store_now(c, NULL, NULL);
            n++;
        }
    }
    if (n)
        log_at(&h->log, LOG_INFO, "store: %zu live call%s stored again", n, n == 1 ? "" : "s");
}

/* Once per call: a call given up is removed then (nothing to resume), and its hangup ends it
 * later without a second removal. One that could not be sent (the store away) is left to the
 * orphan's adoption (snap_adopt_orphan), or to the claim's answer (calls.c). */
void snap_remove(call *c)
{
    if (c->h->store && !c->store_removed && c->h->store->ops->remove(c->h->store, c->uuid) == 0)
        c->store_removed = true;
}

void snap_release(call *c)
{
    if (c->h->store && !c->claiming)
        c->h->store->ops->release(c->h->store, c->uuid);
}

/* ---------------------------------------------------------------------------
 * Documents into calls
 * ------------------------------------------------------------------------- */

/* Restore call c (a new record) from a checked document. Returns 0, or with why -1 (the
 * document cannot be restored) or -2 (memory ran out). */
static int call_from_document(call *c, json_t *doc, char *why, size_t len)
{
    char *snapshot = json_dumps(json_object_get(doc, "snapshot"), JSON_COMPACT);
    if (!snapshot) {
        snprintf(why, len, "out of memory");
        return -2;
    }
    snprintf(c->session_id, sizeof(c->session_id), "%s",
             json_string_value(json_object_get(doc, "session_id")));
    c->inflight_id = (uint64_t)json_integer_value(json_object_get(doc, "inflight_id"));
    c->inflight_type =
        (ivrsm_command_type)json_integer_value(json_object_get(doc, "inflight_type"));
    c->last_pulled_id = (uint64_t)json_integer_value(json_object_get(doc, "last_pulled_id"));
    ivrsm_session_options o;
    call_session_options(c, &o);
    ivrsm_error err = {0};
    int rc = ivrsm_session_restore(c->machine, snapshot, &o, &c->s, &err);
    if (rc == 0)
        rc = ivrsm_session_snapshot(c->s, &c->snapshot);
    free(snapshot);
    if (rc != 0) {
        snprintf(why, len, "the session cannot be restored: %s %.300s", ivrsm_strerror(rc),
                 err.message);
        return rc == IVRSM_ENOMEM ? -2 : -1;
    }
    return 0;
}

/* What a load or a takeover waits for: the call may end meanwhile. */
typedef struct adopt_ctx {
    host *h;
    char uuid[65];
    bool takeover; /* an orphan of another host (else this host's own, from an earlier run) */
} adopt_ctx;

static adopt_ctx *adopt_new(host *h, const char *uuid, bool takeover)
{
    adopt_ctx *a = calloc(1, sizeof(*a));
    if (a) {
        a->h = h;
        a->takeover = takeover;
        snprintf(a->uuid, sizeof(a->uuid), "%s", uuid);
    }
    return a;
}

/* Let go of a record that never became a live call of this host (not counted as ended). */
static void abandon(call *c)
{
    c->claiming = false;
    c->foreign = true;
    call_mark_ended(c);
}

static void on_document(void *user, int status, const char *text, size_t len, const char *why_in)
{
    adopt_ctx *a = user;
    host *h = a->h;
    call *c = call_find(h, a->uuid);
    char where[400], why[800];
    if (!c || c->ended || !c->claiming) {
        free(a);
        return;
    }
    h->store->ops->describe(h->store, a->uuid, where, sizeof(where));
    json_t *doc = NULL;
    int rc = -1;
    bool unusable = false; /* the document is there (or known gone) and cannot be restored */
    if (status != 0) {
        snprintf(why, sizeof(why), "%s", why_in ? why_in : "cannot be read");
        unusable = status == STORE_REFUSED;
    } else if (!text) {
        snprintf(why, sizeof(why), "no snapshot stored (expired?)");
        unusable = true;
    } else {
        int read = snapdoc_read(text, len, a->uuid, &doc, why, sizeof(why));
        if (read == SNAPDOC_OK)
            rc = call_from_document(c, doc, why, sizeof(why));
        unusable = read == SNAPDOC_BAD || rc == -1;
    }
    json_decref(doc);
    /* A document that is there and cannot be restored (not JSON, another call's, a snapshot the
     * machine refuses, another application's value at the key) would be refused by every host:
     * released, it would be claimed, read and released again by each in turn while its caller
     * waits in silence. With a shared store the call is given up instead (hung up, its keys
     * removed); a read that failed (the connection went, memory ran out) releases it, for
     * another try. */
    if (rc != 0 && unusable && h->store->ops->shared) {
        log_at(&h->log, LOG_ERROR, "snapshot %s cannot be restored: %s", where, why);
        ivrsm_session_free(c->s);
        c->s = NULL;
        c->claiming = false;
        free(a);
        call_give_up_taken(c, "its snapshot cannot be restored");
        return;
    }
    if (rc != 0) {
        log_at(&h->log, LOG_ERROR, "snapshot %s left alone: %s", where, why);
        h->store->ops->release(h->store, a->uuid); /* claimed: another host may try */
        ivrsm_session_free(c->s);
        c->s = NULL;
        abandon(c);
        free(a);
        return;
    }
    c->claiming = false;
    c->needs_resume = true;
    if (a->takeover) {
        h->metrics.calls_taken_over++;
        log_at(&h->log, LOG_INFO,
               "call %s: taken over from a host whose lease expired; session %s in %s", c->uuid,
               c->session_id, ivrsm_session_state(c->s));
    } else {
        log_at(&h->log, LOG_INFO, "call %s: saved session %s loaded in %s; resumed once connected",
               c->uuid, c->session_id, ivrsm_session_state(c->s));
    }
    free(a);
    if (esl_conn_ready(h->esl))
        call_resume(c);
}

/* A new record waiting for its document (NULL: not taken, a message logged). */
static call *adopt_record(host *h, const char *uuid)
{
    if (!esl_uuid_valid(uuid)) {
        char where[400];
        h->store->ops->describe(h->store, uuid, where, sizeof(where));
        log_at(&h->log, LOG_ERROR, "snapshot %s left alone: not named after a channel", where);
        return NULL;
    }
    call *c = call_find(h, uuid);
    if (c && c->ended && c->foreign)
        call_forget(c); /* another host had it: it may be ours now */
    else if (c)
        return NULL; /* already here (live, claiming, or ended a moment ago) */
    c = call_new(h, uuid);
    if (!c) {
        log_at(&h->log, LOG_ERROR, "call %s: out of memory taking it", uuid);
        return NULL;
    }
    c->claiming = true;
    return c;
}

/* The call is claimed: read its document, then resume it (on_document). */
static void get_document(host *h, call *c, bool takeover)
{
    adopt_ctx *a = adopt_new(h, c->uuid, takeover);
    if (!a || h->store->ops->get(h->store, c->uuid, on_document, a) != 0) {
        free(a);
        log_at(&h->log, LOG_WARN, "call %s: its snapshot cannot be read now", c->uuid);
        h->store->ops->release(h->store, c->uuid);
        abandon(c);
    }
}

static void on_adopt_claimed(void *user, int result);

/* Claim the call (an orphan, or one of an earlier run of this host), then read its document. */
static void claim_then_read(host *h, call *c, bool takeover)
{
    adopt_ctx *a = adopt_new(h, c->uuid, takeover);
    if (!a || h->store->ops->claim(h->store, c->uuid, on_adopt_claimed, a) != 0) {
        free(a);
        abandon(c);
    }
}

/*
 * A call an earlier run of this host owned (it died, or was killed, and
 * came back with the same --host-id): claimed again before it is resumed,
 * so that its lease is renewed from now on; its lease may also have ended
 * and another host taken it meanwhile.
 */
static void on_owned(void *user, const char *uuid)
{
    host *h = user;
    if (!uuid)
        return;
    call *c = adopt_record(h, uuid);
    if (c)
        claim_then_read(h, c, false);
}

void snap_load_owned(host *h)
{
    if (h->store && h->store->ops->list_owned(h->store, on_owned, h) != 0)
        log_at(&h->log, LOG_WARN, "store: cannot list the calls of an earlier run");
}

static void on_adopt_claimed(void *user, int result)
{
    adopt_ctx *a = user;
    host *h = a->h;
    call *c = call_find(h, a->uuid);
    if (!c || c->ended || !c->claiming) {
        if (result == 1 && (!c || c->ended))
            h->store->ops->release(h->store, a->uuid);
        free(a);
        return;
    }
    if (result != 1) {
        log_at(&h->log, a->takeover ? LOG_DEBUG : LOG_INFO, "call %s: %s", a->uuid,
               result == 0 ? "another host took it" : "the store did not answer: not taken");
        abandon(c);
        free(a);
        return;
    }
    bool takeover = a->takeover;
    free(a);
    get_document(h, c, takeover);
}

void snap_adopt_orphan(host *h, const char *uuid)
{
    call *known = call_find(h, uuid);
    if (known && known->ended && !known->foreign) {
        /* Ended here while the store was away: its keys stayed. */
        h->store->ops->remove(h->store, uuid);
        return;
    }
    /* A draining host takes no call, and one away from FreeSWITCH could not drive it. */
    if (h->draining || !esl_conn_ready(h->esl) || (known && !known->foreign))
        return;
    call *c = adopt_record(h, uuid);
    if (c)
        claim_then_read(h, c, true);
}
