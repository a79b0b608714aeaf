/*
 * Calls: sessions, the command in flight, events fed back. See calls.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "calls_int.h"
#include "esl_wire.h"
#include "strbuf.h"

/* ---------------------------------------------------------------------------
 * The table of calls
 * ------------------------------------------------------------------------- */

call *call_find(host *h, const char *uuid)
{
    return call_table_find(&h->calls, uuid);
}

call *call_new(host *h, const char *uuid)
{
    call *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->h = h;
    snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
    if (esl_new_uuid(c->session_id, sizeof(c->session_id)) != 0 ||
        call_table_add(&h->calls, c) != 0) {
        free(c);
        return NULL;
    }
    h->calls_active++;
    /* The machine it starts on: it keeps it through a reload. */
    c->machine = ivrsm_machine_ref(h->machine);
    return c;
}

static void clear_steps(call *c)
{
    for (size_t i = 0; i < CALL_MAX_STEPS; i++)
        app_step_clear(&c->steps[i]);
    app_step_clear(&c->keypad_fallback);
    app_step_clear(&c->keypad_rest);
    c->collecting_rest = false;
    c->keyed_prefix[0] = '\0';
    c->step_count = 0;
    c->step = 0;
    c->app_uuid[0] = '\0';
}

/*
 * The call lets its request go: one on the wire, or waiting for the store,
 * frees its ticket when its answer comes (and drops it); one held by the
 * fence is freed now.
 */
static void ticket_detach(call *c)
{
    http_ticket *t = c->ticket;
    if (!t)
        return;
    c->ticket = NULL;
    if (t->submitted || t->storing)
        t->call = NULL;
    else
        free(t);
}

static void call_free(call *c)
{
    ticket_detach(c);
    clear_steps(c);
    ivrsm_session_free(c->s);
    ivrsm_machine_unref(c->machine);
    ivrsm_free(c->snapshot);
    free(c);
}

void call_forget(call *c)
{
    call_table_remove(&c->h->calls, c);
    call_free(c);
}

void calls_purge(host *h, int64_t now_ms)
{
    call *c;
    while ((c = call_table_oldest_ended(&h->calls)) != NULL &&
           now_ms - c->ended_at >= h->cfg.ended_linger_ms) {
        call_table_remove(&h->calls, c);
        call_free(c);
    }
}

size_t calls_live(const host *h)
{
    return h->calls_active;
}

void calls_free_all(host *h)
{
    for (size_t i = 0; i < h->calls.count; i++)
        call_free(h->calls.all[i]);
    call_table_free(&h->calls);
    h->calls_active = 0;
}

void call_mark_ended(call *c)
{
    if (c->ended)
        return;
    late_forget(c);
    late_voice_settled(c);
    c->ended = true;
    c->ended_at = host_monotonic_ms();
    c->h->calls_active--;
    call_table_ended(&c->h->calls, c);
}

/* ---------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------- */

static int64_t wall_clock(void *user)
{
    (void)user;
    return host_wall_ms();
}

/* The library's records are redacted (OTP, tokens, Authorization): safe to log. */
static void on_trace(void *user, const char *record)
{
    call *c = user;
    log_at(&c->h->log, LOG_DEBUG, "call %s: trace %s", c->uuid, record);
}

void call_session_options(call *c, ivrsm_session_options *o)
{
    memset(o, 0, sizeof(*o));
    o->size = sizeof(*o);
    o->call_id = c->uuid;
    o->session_id = c->session_id;
    o->clock = wall_clock;
    /* Building trace records costs CPU on every event: only when they are logged. */
    o->trace = log_enabled(&c->h->log, LOG_DEBUG) ? on_trace : NULL;
    o->trace_user = c;
}

static const char *event_name(ivrsm_event_type t)
{
    static const char *const names[] = {"",        "dtmf",    "speech",        "intent",
                                        "noinput", "nomatch", "action result", "handoff result",
                                        "hangup"};
    return (unsigned)t < 9 ? names[t] : "event";
}

/*
 * Memory ran out while the session handled ev: that session can only be freed (docs/runtime.md,
 * "When memory runs out"). Bring it back from the snapshot taken after the last event, skip the
 * commands it had queued (carried out already), and feed the event again. Returns the feed's
 * code; IVRSM_ENOMEM when there is no snapshot to go back to.
 */
static int feed_again(call *c, const ivrsm_event *ev)
{
    if (!c->snapshot || call_restore_session(c) != 0)
        return IVRSM_ENOMEM;
    const ivrsm_command *cmd;
    while ((cmd = ivrsm_session_next_command(c->s)) != NULL)
        if (cmd->id > c->last_pulled_id)
            return IVRSM_ENOMEM; /* not carried out yet: the step cannot be told apart */
    return ivrsm_session_feed(c->s, ev);
}

/* Feed one event and save the session after it. Returns the feed's code. */
static int feed(call *c, const ivrsm_event *ev)
{
    int rc = ivrsm_session_feed(c->s, ev);
    if (rc == IVRSM_ENOMEM && ev->type != IVRSM_EVENT_HANGUP) {
        rc = feed_again(c, ev);
        if (rc == 0) {
            log_at(&c->h->log, LOG_WARN,
                   "call %s: out of memory handling the %s: the session was restored from its "
                   "snapshot and the event fed again",
                   c->uuid, event_name(ev->type));
        } else if (rc == IVRSM_ENOMEM) {
            char why[80];
            snprintf(why, sizeof(why), "out of memory handling the %s", event_name(ev->type));
            call_give_up(c, why);
            return rc;
        }
    }
    if (rc == 0) {
        c->events++;
        c->h->metrics.events_fed++;
        if (c->h->store)
            snap_take(c); /* before the commands are pulled: see resume.c */
    } else if (rc != IVRSM_EDUPLICATE) {
        log_at(&c->h->log, LOG_WARN, "call %s: the session refused the %s: %s", c->uuid,
               event_name(ev->type), ivrsm_strerror(rc));
    }
    return rc;
}

void call_end(call *c, const char *how, call_outcome outcome)
{
    if (c->ended)
        return;
    if (c->claiming || c->foreign) {
        /* Never started here: nothing to count; the store forgets it if the claim won. */
        if (c->claiming)
            snap_remove(c);
        c->claiming = false;
        c->foreign = true;
        call_mark_ended(c);
        return;
    }
    ticket_detach(c); /* its result will be dropped */
    c->h->metrics.calls_ended[outcome]++;
    log_at(&c->h->log, LOG_INFO, "call %s: ended (%s) in state %s after %lu events", c->uuid, how,
           c->s && ivrsm_session_state(c->s) ? ivrsm_session_state(c->s) : "?", c->events);
    ivrsm_session_free(c->s);
    c->s = NULL;
    ivrsm_free(c->snapshot);
    c->snapshot = NULL;
    snap_remove(c);
    clear_steps(c);
    c->inflight_id = 0;
    call_mark_ended(c);
}

/* Calls whose message could not be sent while connected try again this much later. */
#define RETRY_SEND_MS 100

void call_retry_later(call *c)
{
    host *h = c->h;
    c->needs_resume = true;
    if (esl_conn_ready(h->esl) && h->retry_sends_at < 0)
        h->retry_sends_at = host_monotonic_ms() + RETRY_SEND_MS;
}

void calls_find_parked_later(host *h)
{
    h->find_parked = true;
    if (esl_conn_ready(h->esl) && h->retry_sends_at < 0)
        h->retry_sends_at = host_monotonic_ms() + RETRY_SEND_MS;
}

void calls_retry_sends(host *h, int64_t now_ms)
{
    if (h->retry_sends_at < 0 || now_ms < h->retry_sends_at)
        return;
    h->retry_sends_at = -1;
    if (!esl_conn_ready(h->esl))
        return; /* calls_on_ready picks them up */
    if (h->find_parked)
        calls_find_parked(h);
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (!c->ended && c->needs_resume && !c->resume_pending && !c->held)
            call_resume(c);
    }
}

static void ignore_reply(void *user, const esl_reply *r);

void call_give_up(call *c, const char *why)
{
    if (c->ended || c->giving_up)
        return;
    log_at(&c->h->log, LOG_ERROR, "call %s: cannot go on (%s): hanging up", c->uuid, why);
    c->giving_up = true;
    ticket_detach(c); /* its answer will be dropped */
    ivrsm_session_free(c->s);
    c->s = NULL;
    ivrsm_free(c->snapshot);
    c->snapshot = NULL;
    snap_remove(c); /* nothing to resume: not after a restart, not by another host */
    clear_steps(c);
    c->inflight_id = UINT64_MAX; /* the host's own command, not the session's */
    c->inflight_type = IVRSM_COMMAND_HANGUP;
    call_send_give_up(c);
}

void call_give_up_taken(call *c, const char *why)
{
    /* What the call's last host started may still run (a question whose caller is silent),
     * and an application sent now would wait behind it: stop it first, as a resumption does
     * (mod_commands.c break_function with "all" flushes what is queued too). */
    strbuf msg = {0};
    if (esl_build_uuid_api(&msg, "uuid_break", c->uuid, "all") == 0 && !msg.oom)
        esl_conn_send_acting(c->h->esl, msg.data, msg.len, ESL_REPLY_API, ignore_reply, NULL);
    sb_free(&msg);
    call_give_up(c, why);
}

void call_send_give_up(call *c)
{
    c->needs_resume = false;
    if (c->step_count == 0) {
        if (app_build_hangup_cause("NORMAL_TEMPORARY_FAILURE", &c->steps[0]) != 0) {
            call_retry_later(c);
            return;
        }
        c->step_count = 1;
        c->step = 0;
    }
    call_send_step(c);
}

void call_hangup(call *c, const char *how, call_outcome outcome)
{
    if (c->ended)
        return;
    ivrsm_event ev = {.size = sizeof(ivrsm_event), .type = IVRSM_EVENT_HANGUP, .confidence = -1};
    if (c->s && !ivrsm_session_ended(c->s))
        feed(c, &ev);
    call_end(c, how, outcome);
}

/* ---------------------------------------------------------------------------
 * Sending applications
 * ------------------------------------------------------------------------- */

typedef struct reply_ctx {
    host *h;
    char uuid[65];
    char app_uuid[40];
    bool plays;     /* the application plays to the caller (late_app_plays) */
    bool voice_set; /* it is the "set tts_voice" written before a prompt (send_step) */
} reply_ctx;

static void ignore_reply(void *user, const esl_reply *r)
{
    (void)user;
    (void)r;
}

/* sendmsg's +OK only means queued; -ERR means the channel is not there any more. Written to a
 * connection lost before the reply, the application may still run late (late.c). */
static void on_execute_reply(void *user, const esl_reply *r)
{
    reply_ctx *ctx = user;
    if (r->lost && r->written) {
        call *c = call_find(ctx->h, ctx->uuid);
        if (c && !c->ended && ctx->voice_set)
            late_voice_lost(c, ctx->app_uuid);
        else if (c && !c->ended)
            late_watch(c, ctx->app_uuid, ctx->plays);
    } else if (!r->lost && !r->ok) {
        call *c = call_find(ctx->h, ctx->uuid);
        if (c && !c->ended && !strcmp(c->app_uuid, ctx->app_uuid)) {
            log_at(&c->h->log, LOG_WARN, "call %s: FreeSWITCH refused the command (%.120s)",
                   c->uuid, r->text ? r->text : "");
            call_hangup(c, "channel gone", OUTCOME_CALLER_HANGUP);
        }
    }
    free(ctx);
}

/* Send one application; app_uuid receives its Event-UUID. Returns 0 or -1. */
static int send_app(call *c, const app_step *step, char *app_uuid, size_t len)
{
    host *h = c->h;
    if (!esl_conn_ready(h->esl) || esl_new_uuid(app_uuid, len) != 0)
        return -1;
    strbuf msg = {0};
    reply_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx) {
        ctx->h = h;
        snprintf(ctx->uuid, sizeof(ctx->uuid), "%s", c->uuid);
        snprintf(ctx->app_uuid, sizeof(ctx->app_uuid), "%s", app_uuid);
        ctx->plays = late_app_plays(step->app);
        ctx->voice_set = !strcmp(step->app, "set") && !strncmp(step->arg, "tts_voice=", 10);
    }
    /* Written at once, not behind the replies to other calls' commands (esl_conn_send_acting):
     * one written to a connection that is then lost, and run late, is stopped as it starts
     * (late.c). */
    if (!ctx || esl_build_execute(&msg, c->uuid, app_uuid, step->app, step->arg) != 0 || msg.oom ||
        esl_conn_send(h->esl, msg.data, msg.len, ESL_REPLY_COMMAND, on_execute_reply, ctx) != 0) {
        free(ctx);
        sb_free(&msg);
        app_uuid[0] = '\0';
        return -1;
    }
    if (c->answer_at_us) {
        metrics_delay(&h->metrics, host_monotonic_us() - c->answer_at_us);
        c->answer_at_us = 0;
    }
    /* The argument is not logged: a prompt may read back what the caller said. */
    log_at(&h->log, LOG_DEBUG, "call %s: execute %s (%zu bytes of argument, Event-UUID %s)",
           c->uuid, step->app, strlen(step->arg), app_uuid);
    sb_free(&msg);
    return 0;
}

/*
 * Whether the host must not act on its calls now (the call is then held,
 * call_unhold picks it up). The store's timers set the fence, but a host
 * that stood still (a pause, a frozen machine) reads what waited in its
 * sockets before any timer has run: the lease is checked against the clock
 * right before anything is sent.
 */
bool call_fenced(call *c)
{
    host *h = c->h;
    if (!h->fenced && h->store && h->store->ops->fenced_at)
        h->store->ops->fenced_at(h->store, host_monotonic_ms()); /* on_fence sets h->fenced */
    if (h->fenced)
        c->held = true; /* the lease is in doubt: another host may be taking the call */
    return h->fenced;
}

/*
 * A step and what travels with it, written back to back on the connection. FreeSWITCH queues
 * each sendmsg on the channel in the order it reads them (mod_event_socket.c parse_command:
 * switch_core_session_queue_private_event(session, event, SWITCH_FALSE), the ordinary queue,
 * never the priority one), and with event-lock on every one of them it starts the next only
 * once the one before returned (src/switch_ivr.c switch_ivr_parse_event sets CF_EVENT_LOCK
 * while the application runs; src/switch_core_session.c
 * switch_core_session_dequeue_private_event takes nothing from that queue while it is set).
 * So "set tts_voice=VOICE" written right before a prompt runs right before it, whatever the
 * channel's voice was (a late "set" from a connection lost earlier, another client's
 * uuid_setvar): the voice of every prompt is its own, not what the host believes the
 * channel's to be. Neither needs a round trip of its own: the completion awaited is the
 * step's (the others' completions carry other Application-UUIDs and are ignored).
 */
static int send_step(call *c, const app_step *step)
{
    char other_uuid[40];
    c->revoicing = false;
    if (step->voice) {
        app_step set = {0};
        int rc = app_build_set_voice(step->voice, &set);
        if (rc == 0)
            rc = send_app(c, &set, other_uuid, sizeof(other_uuid));
        app_step_clear(&set);
        if (rc != 0)
            return -1;
    }
    if (send_app(c, step, c->app_uuid, sizeof(c->app_uuid)) != 0)
        return -1;
    if (step->mark_done) {
        /* Without it (memory ran out) a lost completion is only asked again (resume.c). */
        app_step done = {0};
        if (app_build_speech_done(c->app_uuid, &done) == 0)
            send_app(c, &done, other_uuid, sizeof(other_uuid));
        app_step_clear(&done);
    }
    return 0;
}

void call_send_step(call *c)
{
    if (c->step >= c->step_count)
        return;
    if (call_fenced(c))
        return;
    if (send_step(c, &c->steps[c->step]) != 0) {
        /* Not connected (or out of memory): the call is picked up again when
         * the connection is ready, or soon if it is. */
        call_retry_later(c);
        return;
    }
    c->resume_pending = false;
}

void call_send_setup(call *c)
{
    app_step step = {0};
    char app_uuid[40];
    /* The default voice: with voices per language each prompt carries its own (send_step). */
    if (app_build_tts_setup(&c->h->apps, &step) == 0)
        send_app(c, &step, app_uuid, sizeof(app_uuid));
    app_step_clear(&step);
}

/* ---------------------------------------------------------------------------
 * Executing commands
 * ------------------------------------------------------------------------- */

static void finish_inflight(call *c)
{
    c->inflight_id = 0;
    clear_steps(c);
}

/* A prompt that plays recordings speaks its words with the channel's voice (its 'say:'
 * elements, src/switch_ivr_play_say.c switch_ivr_play_file): the voice of its language goes
 * with it. A prompt of words alone is a speak that names its voice. */
static void voice_for_parts(const call *c, const ivrsm_command *cmd, app_step *step)
{
    bool plays = false;
    for (size_t i = 0; i < cmd->part_count; i++)
        plays |= cmd->parts[i].type == IVRSM_PART_PLAY;
    if (plays)
        step->voice = app_prompt_voice(&c->h->apps, cmd->language);
}

static void execute_say(call *c, const ivrsm_command *cmd)
{
    int rc = app_build_say_command(&c->h->apps, cmd, &c->steps[0]);
    if (rc < 0) {
        call_give_up(c, "out of memory building a prompt");
        return;
    }
    if (rc == 0) {
        finish_inflight(c);
        return;
    }
    voice_for_parts(c, cmd, &c->steps[0]);
    c->step_count = 1;
    call_send_step(c);
}

static void execute_ask(call *c, const ivrsm_command *cmd)
{
    const app_config *apps = &c->h->apps;
    /* The library says whether the answer is a secret: a one-time code or a value kept under a
     * sensitive key (a PIN), also in a state that hands its input on to such a collect ("Code
     * incorrect, dites le code à nouveau"). Its keys are masked in logs and it stays off the
     * recogniser. */
    c->ask_secret = c->s && ivrsm_session_input_is_secret(c->s);
    c->ask_speech = !c->asr_failed && app_ask_uses_speech(apps, cmd, c->ask_secret);
    /* Keys typed before the question (during a prompt, an HTTP wait, after
     * the last answer) are not an answer to it: flush_dtmf first. */
    snprintf(c->ask_terminators, sizeof(c->ask_terminators), "%s",
             cmd->ask.terminators ? cmd->ask.terminators : "");
    app_digits_var(cmd->id, c->digits_var, sizeof(c->digits_var));
    if (app_build_flush_dtmf(&c->steps[0]) != 0 ||
        app_build_ask_var(apps, cmd, c->ask_speech, c->digits_var, &c->steps[1]) != 0 ||
        (c->ask_speech &&
         app_build_ask_var(apps, cmd, false, c->digits_var, &c->keypad_fallback) != 0) ||
        (c->ask_speech && app_build_digits_rest_var(cmd, c->digits_var, &c->keypad_rest) < 0)) {
        call_give_up(c, "out of memory building an ask");
        return;
    }
    /* The question's words are said with the channel's tts_voice: the voice of its language
     * goes right before it (send_step), the same for the keypad question that may replace a
     * spoken one. A spoken question is followed by its mark (app_build_speech_done). */
    c->steps[1].voice = app_prompt_voice(apps, cmd->language);
    c->steps[1].mark_done = c->ask_speech;
    c->keypad_fallback.voice = c->steps[1].voice;
    c->step_count = 2;
    c->ask_step = 1;
    log_at(&c->h->log, LOG_INFO, "call %s: ask in %s (%s)", c->uuid, c->state, c->steps[1].app);
    call_send_step(c);
}

/* ---------------------------------------------------------------------------
 * The host's deadline of each request
 * ------------------------------------------------------------------------- */

/* Beyond a request's own timeout, how long the host waits for the adapter's result. */
#define REQUEST_DEADLINE_MARGIN_MS 2000

/*
 * The adapter runs at most --http-max-in-flight transfers at once; the others
 * wait in its FIFO queue and start as slots free up, a transfer's own timeout
 * counted from then (lib/adapters/http_curl.c start_queued). The host follows
 * that queue with its tickets, kept in the order they were submitted: the first
 * tickets_started hold the slots. A ticket's deadline starts when it takes a
 * slot, so a request that waited its turn gets its whole time.
 */
static void ticket_start(host *h, http_ticket *t, int64_t now_ms)
{
    int64_t deadline_at = now_ms + t->timeout_ms + REQUEST_DEADLINE_MARGIN_MS;
    t->sent_at = now_ms;
    t->deadline_at = deadline_at;
    t->started = true;
    h->tickets_started++;
    if (h->requests_due_at < 0 || deadline_at < h->requests_due_at)
        h->requests_due_at = deadline_at;
}

static void ticket_watch(host *h, http_ticket *t, int64_t now_ms, int timeout_ms)
{
    t->timeout_ms = timeout_ms;
    t->watched = true;
    t->started = false;
    t->deadline_at = -1;
    t->next = NULL;
    t->prev = h->tickets_last;
    if (h->tickets_last)
        h->tickets_last->next = t;
    else
        h->tickets = t;
    h->tickets_last = t;
    size_t slots = h->cfg.http_max_in_flight > 0 ? (size_t)h->cfg.http_max_in_flight
                                                 : IVRSM_HTTP_DEFAULT_MAX_IN_FLIGHT;
    if (h->tickets_started < slots)
        ticket_start(h, t, now_ms);
}

/* Its result came (h->requests_due_at may stay earlier: the next check finds nothing due).
 * A ticket that held a slot gives it to the first that waits. */
static void ticket_unwatch(host *h, http_ticket *t)
{
    if (!t->watched)
        return;
    t->watched = false;
    if (t->prev)
        t->prev->next = t->next;
    else
        h->tickets = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        h->tickets_last = t->prev;
    t->prev = t->next = NULL;
    if (!t->started)
        return;
    t->started = false;
    h->tickets_started--;
    for (http_ticket *w = h->tickets; w; w = w->next) {
        if (!w->started) {
            ticket_start(h, w, host_monotonic_ms());
            break;
        }
    }
}

static void on_http_done(void *user, const ivrsm_http_result *r);

/* The deadline of t passed: stop its transfer; its call gets the adapter's timeout result. */
static void expire_request(host *h, http_ticket *t, int64_t now_ms)
{
    t->expired = true;
    if (t->call)
        log_at(&h->log, LOG_WARN,
               "call %s: http %s %s: no result %lld ms after it was sent (its timeout %d ms and "
               "%d ms): taken as a timeout, the transfer is stopped",
               t->call->uuid, t->method, t->path, (long long)(now_ms - t->sent_at), t->timeout_ms,
               REQUEST_DEADLINE_MARGIN_MS);
    if (ivrsm_http_cancel(h->http, t->command_id, t) == 0)
        return; /* on_http_done ran, and gave the call a timeout */
    /* The adapter no longer knows it (it always answers before it forgets): answer here. */
    ivrsm_http_result timeout = {.command_id = t->command_id, .body = "", .error = "cancelled"};
    on_http_done(t, &timeout);
}

void calls_expire_requests(host *h, int64_t now_ms)
{
    if (h->requests_due_at < 0 || now_ms < h->requests_due_at)
        return;
    /* One at a time: each result may end a call, or send another request (the list changes). */
    for (;;) {
        http_ticket *due = NULL;
        int64_t next = -1;
        for (http_ticket *t = h->tickets; t; t = t->next) {
            if (!t->started)
                continue; /* waiting for a slot: no deadline yet */
            if (t->deadline_at <= now_ms) {
                due = t;
                break;
            }
            if (next < 0 || t->deadline_at < next)
                next = t->deadline_at;
        }
        if (!due) {
            h->requests_due_at = next;
            return;
        }
        ticket_unwatch(h, due);
        expire_request(h, due, now_ms);
    }
}

static void on_http_done(void *user, const ivrsm_http_result *r)
{
    http_ticket *t = user;
    ticket_unwatch(t->h, t);
    ivrsm_http_result timeout;
    if (t->expired) {
        /* What the adapter gives when a transfer's own timeout passes, whatever stopped it. */
        timeout = (ivrsm_http_result){.command_id = r->command_id,
                                      .body = "",
                                      .error = "timeout",
                                      .detail = "no result within the host's deadline",
                                      .elapsed_ms = r->elapsed_ms};
        r = &timeout;
    }
    call *c = t->call;
    const logger *log = &t->h->log;
    metrics_http(&t->h->metrics, r->status, r->error, r->elapsed_ms);
    if (!c) {
        log_at(log, LOG_INFO, "http %s %s (%s) after its call ended: result dropped", t->method,
               t->path, r->error ? r->error : "answered");
        free(t);
        return;
    }
    c->ticket = NULL;
    c->answer_at_us = host_monotonic_us();
    if (r->error)
        log_at(log, LOG_INFO, "call %s: http %s %s failed: %s (%.0f ms)", c->uuid, t->method,
               t->path, r->error, r->elapsed_ms);
    else
        log_at(log, LOG_INFO, "call %s: http %s %s -> %d (%.0f ms)", c->uuid, t->method, t->path,
               r->status, r->elapsed_ms);
    free(t);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ivrsm_http_result_event(r, &ev);
    finish_inflight(c);
    feed(c, &ev);
    call_pump(c);
}

/* Hand the request of ticket t to the adapter (its command is the session's pending one). */
static void submit_http(call *c, http_ticket *t)
{
    const ivrsm_command *cmd = ivrsm_session_pending_command(c->s);
    if (call_fenced(c))
        return;
    if (!cmd || cmd->id != t->command_id || cmd->type != IVRSM_COMMAND_HTTP) {
        c->ticket = NULL;
        free(t);
        return;
    }
    int rc = ivrsm_http_submit(c->h->http, cmd, on_http_done, t);
    if (rc == 0) {
        t->submitted = true;
        int timeout =
            cmd->http.timeout_ms > 0 ? cmd->http.timeout_ms : IVRSM_HTTP_DEFAULT_TIMEOUT_MS;
        ticket_watch(c->h, t, host_monotonic_ms(), timeout);
        return;
    }
    c->ticket = NULL;
    free(t);
    log_at(&c->h->log, LOG_WARN, "call %s: cannot send %s %s: %s", c->uuid, cmd->http.method,
           cmd->http.path, ivrsm_strerror(rc));
    metrics_http(&c->h->metrics, 0, "refused", 0);
    ivrsm_event ev = {.size = sizeof(ivrsm_event),
                      .type = IVRSM_EVENT_ACTION_RESULT,
                      .command_id = cmd->id,
                      .error = "request refused by the host",
                      .confidence = -1};
    finish_inflight(c);
    feed(c, &ev);
    call_pump(c);
}

/*
 * The document naming the request in flight could not be stored. With a
 * store other hosts share, the request waits until it is (call_store_request
 * again, when the store is back or at the next retry): a host that took the
 * call over from an older document would ask again and could send another
 * request under the same idempotency key. With the directory, it goes.
 */
static void request_not_stored(call *c, http_ticket *t)
{
    if (c->h->store->ops->shared) {
        if (!t->awaiting_store)
            log_at(&c->h->log, LOG_WARN,
                   "call %s: http %s %s waits until its snapshot is stored (the store is away or "
                   "refuses it)",
                   c->uuid, t->method, t->path);
        t->awaiting_store = true;
        return;
    }
    log_at(&c->h->log, LOG_WARN, "call %s: http %s %s sent before its snapshot is stored", c->uuid,
           t->method, t->path);
    submit_http(c, t);
}

/* The document naming the request in flight is stored (or could not be): send it. */
static void on_http_stored(void *user, int status)
{
    http_ticket *t = user;
    call *c = t->call;
    t->storing = false;
    if (!c) {
        free(t); /* the call ended (or was let go) meanwhile */
        return;
    }
    if (status == STORE_TAKEN) {
        calls_on_taken(c->h, c->uuid); /* frees t: it is no longer on its way */
        return;
    }
    if (status == STORE_REFUSED && !t->refused_since)
        t->refused_since = host_monotonic_ms();
    if (status != 0) {
        request_not_stored(c, t);
        return;
    }
    submit_http(c, t);
}

/*
 * A request whose snapshot the store has refused (Redis out of memory) for longer than the
 * request's own timeout fails as if sent and unanswered, with an error of its own: the machine
 * takes its failure path (on_error, on_fail) instead of leaving the caller in silence for as
 * long as the store refuses. It was never sent, so no idempotency key was used. Not while
 * fenced: another host may be taking the call over, and will send it.
 */
static bool request_given_up(call *c, http_ticket *t, int64_t now)
{
    const ivrsm_command *cmd = ivrsm_session_pending_command(c->s);
    if (!t->refused_since || c->h->fenced || !cmd || cmd->id != t->command_id)
        return false;
    int timeout = cmd->http.timeout_ms > 0 ? cmd->http.timeout_ms : IVRSM_HTTP_DEFAULT_TIMEOUT_MS;
    if (now - t->refused_since < timeout)
        return false;
    log_at(&c->h->log, LOG_WARN,
           "call %s: http %s %s not sent: the store refused its snapshot for %lld ms (its "
           "timeout %d ms): taken as failed",
           c->uuid, t->method, t->path, (long long)(now - t->refused_since), timeout);
    metrics_http(&c->h->metrics, 0, "refused", 0);
    c->ticket = NULL;
    free(t);
    ivrsm_event ev = {.size = sizeof(ivrsm_event),
                      .type = IVRSM_EVENT_ACTION_RESULT,
                      .command_id = cmd->id,
                      .error = "not sent: the session store refuses the call's snapshot",
                      .confidence = -1};
    finish_inflight(c);
    feed(c, &ev);
    call_pump(c);
    return true;
}

void call_store_request(call *c)
{
    http_ticket *t = c->ticket;
    if (!t || t->submitted || t->storing)
        return;
    t->storing = true;
    if (snap_store_now(c, on_http_stored, t) == 0)
        return; /* on_http_stored sends it (it may have already) */
    t->storing = false;
    request_not_stored(c, t);
}

void calls_retry_requests(host *h)
{
    int64_t now = host_monotonic_ms();
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (!c->ended && c->ticket && c->ticket->awaiting_store && !c->held &&
            !request_given_up(c, c->ticket, now))
            call_store_request(c);
    }
}

static void execute_http(call *c, const ivrsm_command *cmd)
{
    if (c->ticket && c->ticket->command_id == cmd->id) {
        /* Resumed while the request is on the wire (or waits for the store): not twice. */
        if (c->ticket->awaiting_store)
            call_store_request(c);
        else if (!c->ticket->submitted && !c->ticket->storing)
            submit_http(c, c->ticket); /* it was held by the fence */
        return;
    }
    c->answer_at_us = 0; /* what follows an answer here is a request, not an application */
    http_ticket *t = calloc(1, sizeof(*t));
    if (!t) {
        call_give_up(c, "out of memory sending a request");
        return;
    }
    t->h = c->h;
    t->call = c;
    t->command_id = cmd->id;
    snprintf(t->method, sizeof(t->method), "%s", cmd->http.method);
    snprintf(t->path, sizeof(t->path), "%s", cmd->http.path);
    c->ticket = t;
    /* A host that takes the call over must find this request in flight, so
     * it sends it again with the same idempotency key: the snapshot goes
     * first, the request once it is stored (request_not_stored says what
     * happens when it cannot be). Without a store, at once. */
    if (c->h->store) {
        call_store_request(c);
        return;
    }
    submit_http(c, t);
}

static void fail_handoff(call *c, uint64_t id, const char *why)
{
    log_at(&c->h->log, LOG_WARN, "call %s: handoff not possible: %s", c->uuid, why);
    ivrsm_event ev = {.size = sizeof(ivrsm_event),
                      .type = IVRSM_EVENT_HANDOFF_RESULT,
                      .command_id = id,
                      .ok = 0,
                      .confidence = -1};
    finish_inflight(c);
    feed(c, &ev);
}

static void execute_handoff(call *c, const ivrsm_command *cmd)
{
    const app_config *apps = &c->h->apps;
    char why[200] = "out of memory";
    size_t n = 0;
    if (app_build_handoff_context(cmd->handoff.context, &c->steps[n]) != 0) {
        fail_handoff(c, cmd->id, why);
        return;
    }
    n++;
    int said = app_build_say_command(apps, cmd, &c->steps[n]);
    if (said < 0) {
        fail_handoff(c, cmd->id, why);
        return;
    }
    if (said > 0)
        voice_for_parts(c, cmd, &c->steps[n]);
    n += (size_t)said;
    if (app_build_handoff(apps, cmd->handoff.queue, &c->steps[n], why, sizeof(why)) != 0) {
        fail_handoff(c, cmd->id, why);
        return;
    }
    c->step_count = n + 1;
    c->bridged = false;
    log_at(&c->h->log, LOG_INFO, "call %s: handoff to %s (%s)", c->uuid, cmd->handoff.queue,
           c->steps[n].app);
    call_send_step(c);
}

static void execute_hangup(call *c, const ivrsm_command *cmd)
{
    if (app_build_hangup(&c->steps[0]) != 0) {
        call_give_up(c, "out of memory building the hangup");
        return;
    }
    c->step_count = 1;
    log_at(&c->h->log, LOG_INFO, "call %s: hangup (%s)", c->uuid,
           cmd->hangup.reason ? cmd->hangup.reason : "no reason");
    call_send_step(c);
}

void call_execute(call *c, const ivrsm_command *cmd)
{
    clear_steps(c);
    c->inflight_id = cmd->id;
    c->inflight_type = cmd->type;
    c->last_pulled_id = cmd->id;
    snprintf(c->state, sizeof(c->state), "%s", cmd->state ? cmd->state : "?");
    if (cmd->type == IVRSM_COMMAND_HTTP) {
        execute_http(c, cmd); /* stores the call's document itself, first */
        return;
    }
    switch (cmd->type) {
    case IVRSM_COMMAND_SAY:
        execute_say(c, cmd);
        break;
    case IVRSM_COMMAND_ASK:
        execute_ask(c, cmd);
        break;
    case IVRSM_COMMAND_HTTP:
        break;
    case IVRSM_COMMAND_HANDOFF:
        execute_handoff(c, cmd);
        break;
    case IVRSM_COMMAND_HANGUP:
        execute_hangup(c, cmd);
        break;
    }
    if (!c->ended)
        snap_store(c);
}

void call_pump(call *c)
{
    while (!c->ended && c->s && c->inflight_id == 0) {
        if (call_fenced(c))
            return;
        const ivrsm_command *cmd = ivrsm_session_next_command(c->s);
        if (!cmd) {
            if (ivrsm_session_ended(c->s))
                call_end(c, c->end_how[0] ? c->end_how : "the session is over",
                         c->end_how[0] ? OUTCOME_HANDOFF : OUTCOME_HANGUP);
            return;
        }
        call_execute(c, cmd);
    }
}

/* ---------------------------------------------------------------------------
 * Completions
 * ------------------------------------------------------------------------- */

static void log_input(call *c, const ask_result *r)
{
    const logger *log = &c->h->log;
    char masked[64];
    if (!r->text) {
        log_at(log, LOG_INFO, "call %s: %s in %s", c->uuid, event_name(r->type), c->state);
    } else if (c->ask_secret) {
        log_mask_digits(r->text, masked, sizeof(masked));
        log_at(log, LOG_INFO, "call %s: %s %s in %s (masked: a secret)", c->uuid,
               event_name(r->type), masked, c->state);
    } else if (r->type == IVRSM_EVENT_SPEECH) {
        log_at(log, LOG_INFO, "call %s: speech \"%.300s\" (confidence %.2f) in %s", c->uuid,
               r->text, r->confidence, c->state);
    } else {
        log_at(log, LOG_INFO, "call %s: dtmf %s in %s", c->uuid, r->text, c->state);
    }
}

/*
 * A key ended a spoken question: an entry of one key, or the first of
 * several (the rest read with keypad_rest). Returns true when the rest is
 * being read (the answer comes with its completion).
 */
static bool keyed_during_speech(call *c, ask_result *r)
{
    if (*c->ask_terminators && strchr(c->ask_terminators, r->text[0])) {
        /* Only the terminator: no entry, as on the keypad. */
        free(r->text);
        r->text = NULL;
        r->type = IVRSM_EVENT_NOMATCH;
        return false;
    }
    if (!c->keypad_rest.app)
        return false;
    snprintf(c->keyed_prefix, sizeof(c->keyed_prefix), "%s", r->text);
    c->collecting_rest = true;
    c->ask_speech = false;
    app_step_clear(&c->steps[c->ask_step]);
    c->steps[c->ask_step] = c->keypad_rest;
    memset(&c->keypad_rest, 0, sizeof(c->keypad_rest));
    c->step = c->ask_step;
    c->step_count = c->ask_step + 1;
    call_send_step(c);
    return true;
}

/* The rest of an entry begun during a spoken question: the first key and these. */
static int join_rest(call *c, ask_result *r)
{
    const char *rest = r->type == IVRSM_EVENT_DTMF && r->text ? r->text : "";
    size_t n = strlen(c->keyed_prefix) + strlen(rest) + 1;
    char *all = malloc(n);
    if (!all)
        return -1;
    snprintf(all, n, "%s%s", c->keyed_prefix, rest);
    free(r->text);
    r->text = all;
    r->type = IVRSM_EVENT_DTMF; /* silence or the terminator after the first key end the entry */
    return 0;
}

/*
 * A terminator pressed while the prompt played is the read's first digit, not its end
 * (switch_ivr_play_say.c switch_ivr_read: switch_ivr_play_file puts the key that stops the
 * prompt in the digit buffer; only switch_ivr_collect_digits_count, after the prompt, ends a
 * read at a terminator): "#" alone, or "#0612345678" from a caller who pressed '#' to cut the
 * prompt short and then keyed the number. The host takes such a key for what it did, stop
 * the prompt: leading terminators are dropped, and a read left empty is a lone terminator, a
 * wrong answer, as after the prompt.
 */
static void drop_leading_terminators(call *c, ask_result *r)
{
    if (r->type != IVRSM_EVENT_DTMF || !r->text || !*c->ask_terminators)
        return;
    size_t n = strspn(r->text, c->ask_terminators);
    if (n == 0)
        return;
    if (!r->text[n]) {
        free(r->text);
        r->text = NULL;
        r->type = IVRSM_EVENT_NOMATCH;
        return;
    }
    memmove(r->text, r->text + n, strlen(r->text + n) + 1);
}

/* Feed the answer to the ask in flight (r is cleared) and go on. */
static void answer_ask(call *c, ask_result *r, const char *event_id)
{
    ivrsm_event e = {.size = sizeof(ivrsm_event),
                     .type = r->type,
                     .event_id = event_id,
                     .text = r->text,
                     .confidence = r->confidence};
    finish_inflight(c);
    feed(c, &e);
    log_input(c, r);
    ask_result_clear(r);
}

static void complete_ask(call *c, const esl_msg *ev, const char *event_id)
{
    c->answer_at_us = host_monotonic_us();
    ask_result r;
    char why[160] = "";
    bool rest = c->collecting_rest;
    int rc = app_ask_result_var(ev, c->ask_speech, c->digits_var, &r, why, sizeof(why));
    if (rc == 0 && rest && join_rest(c, &r) != 0)
        rc = -1;
    if (rc == 0 && !rest && r.keyed && keyed_during_speech(c, &r)) {
        ask_result_clear(&r);
        return;
    }
    if (rc == 0 && !rest && !c->ask_speech)
        drop_leading_terminators(c, &r);
    if (rc == 1 && c->keypad_fallback.app) {
        log_at(&c->h->log, LOG_WARN,
               "call %s: speech recognition failed (%s); asking again on the keypad", c->uuid, why);
        c->asr_failed = true;
        c->ask_speech = false;
        app_step_clear(&c->steps[c->ask_step]);
        c->steps[c->ask_step] = c->keypad_fallback;
        memset(&c->keypad_fallback, 0, sizeof(c->keypad_fallback));
        c->step = c->ask_step;
        c->step_count = c->ask_step + 1;
        call_send_step(c);
        return;
    }
    if (rc != 0) {
        log_at(&c->h->log, LOG_ERROR, "call %s: cannot read the answer (%s)", c->uuid,
               rc < 0 ? "out of memory" : why);
        r.type = IVRSM_EVENT_NOMATCH;
        r.text = NULL;
    }
    answer_ask(c, &r, event_id);
}

void call_answer_recovered(call *c, const char *keys)
{
    c->answer_at_us = host_monotonic_us();
    ask_result r = {.type = IVRSM_EVENT_DTMF, .text = strdup(keys), .confidence = -1};
    if (!r.text) {
        call_give_up(c, "out of memory reading an answer");
        return;
    }
    drop_leading_terminators(c, &r);
    char event_id[sizeof(c->app_uuid)];
    snprintf(event_id, sizeof(event_id), "%s", c->app_uuid);
    answer_ask(c, &r, event_id[0] ? event_id : NULL);
}

void call_speech_recovered(call *c, const esl_msg *dump)
{
    /* The dump has the completion's variables, not its Application-Response: the result in
     * detect_speech_result says what a recogniser's failure would have (Completion-Cause). */
    char event_id[sizeof(c->app_uuid)];
    snprintf(event_id, sizeof(event_id), "%s", c->app_uuid);
    c->app_uuid[0] = '\0';
    complete_ask(c, dump, event_id[0] ? event_id : NULL);
}

static void complete_handoff(call *c, bool ok)
{
    log_at(&c->h->log, LOG_INFO, "call %s: handoff %s", c->uuid, ok ? "done" : "failed");
    if (ok)
        snprintf(c->end_how, sizeof(c->end_how), "handed off by %s",
                 app_handoff_name(c->h->apps.handoff));
    ivrsm_event e = {.size = sizeof(ivrsm_event),
                     .type = IVRSM_EVENT_HANDOFF_RESULT,
                     .command_id = c->inflight_id,
                     .ok = ok,
                     .confidence = -1};
    finish_inflight(c);
    feed(c, &e);
}

/* The host's own handoff moves the call out of the park; nothing else of the host does. */
static bool handing_off(const call *c)
{
    return c->drain_handoff || (c->inflight_id && c->inflight_type == IVRSM_COMMAND_HANDOFF);
}

/*
 * Someone else took the call out of the park (uuid_transfer, an operator's console...):
 * src/switch_ivr.c switch_ivr_session_transfer stops the application in progress and routes the
 * channel again (CS_ROUTING), and switch_ivr_park fires CHANNEL_UNPARK as its loop ends. An
 * application sent from now on would be queued on a channel that runs another extension (and
 * played inside it by any application that parses queued messages): the host sends nothing
 * more, ends the session and lets the call go. A later park of the channel is a new call.
 */
static void let_go_transferred(call *c, const char *seen)
{
    c->left_park = true;
    log_at(&c->h->log, LOG_INFO,
           "call %s: taken out of the park by someone else (%s): the host lets it go", c->uuid,
           seen);
    call_hangup(c, "transferred away from the park", OUTCOME_HANDOFF);
}

static void on_complete(call *c, const esl_msg *ev)
{
    /* Channel-State-Number is channel->state (switch_channel_event_set_basic_data): 2,
     * CS_ROUTING, once switch_ivr_session_transfer has run; CHANNEL_UNPARK follows. */
    const char *state = esl_msg_event_header(ev, "Channel-State-Number");
    if (state && !strcmp(state, "2") && !handing_off(c)) {
        let_go_transferred(c, "its application ended as the channel was routed again");
        return;
    }
    c->app_uuid[0] = '\0';
    c->resume_pending = false;
    if (c->revoicing) {
        /* Stopped for its voice (check_prompt_voice): what it heard is no answer. */
        c->revoicing = false;
        if (!app_channel_gone(ev))
            call_send_step(c);
        return;
    }
    c->revoiced = 0;
    if (c->drain_handoff) {
        bool ok = app_handoff_ok(&c->h->apps, ev, c->bridged);
        call_hangup(c, ok ? "handed off at the drain timeout" : "drain handoff failed",
                    ok ? OUTCOME_HANDOFF : OUTCOME_ERROR);
        return;
    }
    if (c->step + 1 < c->step_count) {
        c->step++;
        call_send_step(c);
        return;
    }
    switch (c->inflight_type) {
    case IVRSM_COMMAND_SAY:
        finish_inflight(c);
        break;
    case IVRSM_COMMAND_ASK:
        /* An ask cut by the hangup has no answer: the hangup event follows. */
        if (app_channel_gone(ev))
            return;
        complete_ask(c, ev, esl_msg_event_header(ev, "Application-UUID"));
        break;
    case IVRSM_COMMAND_HANDOFF:
        complete_handoff(c, app_handoff_ok(&c->h->apps, ev, c->bridged));
        break;
    case IVRSM_COMMAND_HANGUP:
        if (c->giving_up)
            call_end(c, "hung up by the host: it could not go on", OUTCOME_ERROR);
        else
            call_end(c, "hung up by the IVR", OUTCOME_HANGUP);
        return;
    case IVRSM_COMMAND_HTTP:
        return;
    }
    call_pump(c);
}

/* ---------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------- */

/* The call is ours: its session starts with ctx (the caller's, from the park). */
static void start_call(host *h, call *c, const char *ctx)
{
    const char *uuid = c->uuid;
    ivrsm_session_options o;
    ivrsm_error err = {0};
    call_session_options(c, &o);
    o.ctx_json = ctx;
    int rc = ivrsm_session_new(c->machine, &o, &c->s, &err);
    if (rc == 0)
        rc = ivrsm_session_start(c->s);
    if (rc != 0) {
        log_at(&h->log, LOG_ERROR, "call %s: cannot start a session: %s %s", uuid,
               ivrsm_strerror(rc), err.message);
        call_give_up(c, "no session");
        return;
    }
    h->metrics.calls_started++;
    log_at(&h->log, LOG_INFO, "call %s: parked; session %s started in %s (%s %s)", uuid,
           c->session_id, ivrsm_session_state(c->s), ivrsm_machine_name(c->machine),
           ivrsm_machine_version(c->machine));
    if (h->store)
        snap_take(c);
    call_send_setup(c);
    call_pump(c);
}

/* What a park waits for while the store says whose the call is. */
typedef struct park_ctx {
    host *h;
    char uuid[65];
    char *ctx; /* the new call's ctx, read from the park */
} park_ctx;

static void on_park_claimed(void *user, int result)
{
    park_ctx *p = user;
    host *h = p->h;
    call *c = call_find(h, p->uuid);
    if (c && !c->ended && c->claiming) {
        c->claiming = false;
        if (result == 1) {
            start_call(h, c, p->ctx);
        } else if (result == STORE_REFUSED) {
            /* Every host is refused alike (Redis out of memory, another application's data at
             * the call's keys): left parked, the caller would wait in silence for ever. */
            call_give_up(c, "the store refuses to take it");
        } else {
            log_at(&h->log, LOG_INFO, "call %s: parked; %s", p->uuid,
                   result == 0 ? "another host took it" : "the store did not answer: not taken");
            c->foreign = true;
            call_mark_ended(c);
        }
    } else if (result == 1 && c && c->ended) {
        /* Hung up before the answer came: call_end sent the removal then, behind the claim
         * on the same connection; it goes now only if it could not go then (snap_remove). */
        snap_remove(c);
    }
    ivrsm_free(p->ctx);
    free(p);
}

/*
 * A parked call that could not be taken (memory ran out before it had a record): hang the
 * channel up rather than leave the caller in silence. Best effort: with no memory for even
 * that, the channel stays parked (the log says so).
 */
static bool send_untaken_hangup(host *h, const char *uuid)
{
    char app_uuid[40];
    strbuf msg = {0};
    bool sent =
        esl_new_uuid(app_uuid, sizeof(app_uuid)) == 0 &&
        esl_build_execute(&msg, uuid, app_uuid, "hangup", "NORMAL_TEMPORARY_FAILURE") == 0 &&
        !msg.oom &&
        esl_conn_send_acting(h->esl, msg.data, msg.len, ESL_REPLY_COMMAND, ignore_reply, NULL) == 0;
    sb_free(&msg);
    return sent;
}

static void hang_up_untaken(host *h, const char *uuid)
{
    if (!send_untaken_hangup(h, uuid))
        log_at(&h->log, LOG_ERROR, "call %s: cannot hang it up either: the channel stays parked",
               uuid);
    else
        log_at(&h->log, LOG_ERROR, "call %s: not taken: hanging up", uuid);
}

/* Claim a parked call in the store, then start it; at once without a store. */
static void claim_call(host *h, const char *uuid, const esl_msg *park)
{
    call *c = call_new(h, uuid);
    park_ctx *p = calloc(1, sizeof(*p));
    if (!c || !p || caller_ctx_json(&h->caller, c->machine, park, &p->ctx) != 0) {
        bool shared = h->store && h->store->ops->shared;
        log_at(&h->log, LOG_ERROR, "call %s: out of memory taking it%s", uuid,
               shared ? ": left to the other hosts" : "");
        if (p)
            ivrsm_free(p->ctx);
        free(p);
        if (shared) {
            /* Another host sharing the store may take it: not ours to hang up. */
            if (c)
                call_end(c, "not taken", OUTCOME_ERROR);
        } else if (c) {
            call_give_up(c, "out of memory taking it");
        } else {
            hang_up_untaken(h, uuid);
        }
        return;
    }
    p->h = h;
    snprintf(p->uuid, sizeof(p->uuid), "%s", uuid);
    c->claiming = true;
    if (!h->store) {
        on_park_claimed(p, 1);
        return;
    }
    if (h->store->ops->claim(h->store, uuid, on_park_claimed, p) != 0)
        on_park_claimed(p, -1);
}

static void on_park(host *h, call *c, const esl_msg *ev, const char *uuid)
{
    const char *mark = esl_msg_event_header(ev, h->cfg.filter_header);
    if (!mark || strcmp(mark, h->cfg.filter_value) != 0) {
        log_at(&h->log, LOG_DEBUG, "call %s: parked without %s=%s: not ours", uuid,
               h->cfg.filter_var, h->cfg.filter_value);
        return;
    }
    if (c && c->ended && c->left_park) {
        /* Transferred away earlier, and back in a park for the host: a new call. */
        call_forget(c);
        c = NULL;
    }
    if (c) {
        log_at(&h->log, LOG_DEBUG, "call %s: parked again: the session goes on", uuid);
        return;
    }
    if (h->draining) {
        /* Left parked: another host subscribed to the same events may take it. */
        log_at(&h->log, LOG_INFO, "call %s: parked while draining: not taken", uuid);
        return;
    }
    if (h->calls_active >= (size_t)h->cfg.max_calls) {
        /* Every live call holds memory until it ends: past the bound the host takes no more,
         * whatever parks (a flood of calls that never hang up cannot exhaust it). A host that
         * shares its store leaves the call to the others; alone, it hangs it up rather than
         * leave the caller in silence. */
        bool shared = h->store && h->store->ops->shared;
        h->metrics.calls_refused++;
        log_at(&h->log, LOG_WARN,
               "call %s: refused: %zu calls live, the most --max-calls allows; %s", uuid,
               h->calls_active,
               shared                         ? "left to the other hosts"
               : send_untaken_hangup(h, uuid) ? "hanging up"
                                              : "it stays parked (cannot send its hangup)");
        return;
    }
    claim_call(h, uuid, ev);
}

void call_take_park(host *h, const esl_msg *ev, const char *uuid)
{
    on_park(h, call_find(h, uuid), ev, uuid);
}

static void on_bridge(call *c)
{
    if (c->drain_handoff) {
        call_hangup(c, "handed off at the drain timeout", OUTCOME_HANDOFF);
        return;
    }
    if (c->inflight_type != IVRSM_COMMAND_HANDOFF || c->inflight_id == 0 ||
        c->step + 1 != c->step_count || c->h->apps.handoff == HANDOFF_TRANSFER)
        return;
    c->bridged = true;
    c->app_uuid[0] = '\0'; /* the application's completion comes when the bridge ends */
    complete_handoff(c, true);
    call_pump(c);
}

/* How many times one step is stopped and sent again for its voice, at most: a dialplan or
 * another client that sets tts_voice as every application starts must not loop the call. */
#define REVOICE_MAX 2

/*
 * A prompt's voice, checked as it starts. "set tts_voice=VOICE" goes right before every prompt
 * (send_step), but a connection lost with its commands unread may have its thread come back
 * later (mod_event_socket.c listener_run reads on to the end of the stream) and queue the
 * "set tts_voice" it held right between the host's set and its prompt: the listener threads
 * of two connections queue on the channel side by side (parse_command,
 * switch_core_session_queue_private_event). The 'say:' elements of a prompt are spoken with the
 * channel's tts_voice as they play (src/switch_ivr_play_say.c switch_ivr_play_file), and under
 * event-lock no queued message runs while the prompt does (switch_ivr_parse_event,
 * switch_core_session_dequeue_private_event): the voice it is spoken in is the one its
 * CHANNEL_EXECUTE shows (switch_core_session_exec fires it as the application starts, with
 * the channel's variables). That event comes while the voice is in doubt (late.c
 * late_voice_lost: from the loss of a voice set until a prompt starts in its own voice after
 * that set ran). Another voice there: the prompt is stopped at once (uuid_break without "all",
 * mod_commands.c break_function: CF_BREAK, the messages queued behind it stay) and, at its
 * completion, the step is sent again, its own set right before it.
 */
static void check_prompt_voice(call *c, const esl_msg *ev)
{
    const char *app_uuid = esl_msg_event_header(ev, "Application-UUID");
    if (!c->voice_doubt || c->revoicing || !c->app_uuid[0] || !app_uuid ||
        strcmp(app_uuid, c->app_uuid) != 0 || c->step >= c->step_count || !c->steps[c->step].voice)
        return;
    const char *want = c->steps[c->step].voice;
    const char *voice = esl_msg_event_header(ev, "variable_tts_voice");
    if (!voice || !strcmp(voice, want)) {
        if (late_voice_set_ran(c))
            late_voice_settled(c); /* nothing can change the voice behind the host any more */
        return;
    }
    if (c->revoiced >= REVOICE_MAX) {
        log_at(&c->h->log, LOG_WARN,
               "call %s: its prompt started in voice '%.40s', not '%s', again: left to play",
               c->uuid, voice, want);
        return;
    }
    strbuf msg = {0};
    if (esl_build_uuid_api(&msg, "uuid_break", c->uuid, NULL) == 0 && !msg.oom &&
        esl_conn_send_acting(c->h->esl, msg.data, msg.len, ESL_REPLY_API, ignore_reply, NULL) ==
            0) {
        c->revoicing = true;
        c->revoiced++;
        log_at(&c->h->log, LOG_WARN,
               "call %s: its prompt started in voice '%.40s', not '%s' (a voice set late by a "
               "lost connection ran right before it): stopped, sent again",
               c->uuid, voice, want);
    }
    sb_free(&msg);
}

static void on_execute_complete(call *c, const esl_msg *ev)
{
    const char *app_uuid = esl_msg_event_header(ev, "Application-UUID");
    late_on_complete(c, app_uuid);
    if (!app_uuid || !c->app_uuid[0] || strcmp(app_uuid, c->app_uuid) != 0) {
        log_at(&c->h->log, LOG_DEBUG, "call %s: completion of %s not awaited (%s)", c->uuid,
               esl_msg_event_header(ev, "Application") ? esl_msg_event_header(ev, "Application")
                                                       : "?",
               app_uuid ? app_uuid : "no Application-UUID");
        return;
    }
    on_complete(c, ev);
}

void calls_on_event(host *h, const esl_msg *ev)
{
    const char *name = esl_msg_event_header(ev, "Event-Name");
    const char *uuid = ev->unique_id;
    if (!name || !uuid)
        return;
    if (!esl_uuid_valid(uuid)) {
        log_at(&h->log, LOG_WARN, "event %.40s with a malformed Unique-ID ignored", name);
        return;
    }
    call *c = call_find(h, uuid);
    if (!strcmp(name, "CHANNEL_PARK")) {
        on_park(h, c, ev, uuid);
        return;
    }
    if (!c || c->ended)
        return;
    if (!strcmp(name, "CHANNEL_EXECUTE_COMPLETE")) {
        on_execute_complete(c, ev);
    } else if (!strcmp(name, "CHANNEL_EXECUTE")) {
        late_on_execute(c, ev);
        check_prompt_voice(c, ev);
    } else if (!strcmp(name, "CHANNEL_UNPARK")) {
        if (!handing_off(c))
            let_go_transferred(c, "CHANNEL_UNPARK");
    } else if (!strcmp(name, "CHANNEL_BRIDGE")) {
        on_bridge(c);
    } else if (!strcmp(name, "CHANNEL_HANGUP") || !strcmp(name, "CHANNEL_HANGUP_COMPLETE")) {
        const char *cause = esl_msg_event_header(ev, "Hangup-Cause");
        bool ours = c->inflight_id && c->inflight_type == IVRSM_COMMAND_HANGUP;
        char how[160];
        snprintf(how, sizeof(how), "%s, %.80s",
                 c->giving_up ? "hung up by the host: it could not go on"
                 : ours       ? "hung up by the IVR"
                              : "hangup",
                 cause ? cause : "no cause given");
        call_hangup(c, how,
                    c->giving_up ? OUTCOME_ERROR
                    : ours       ? OUTCOME_HANGUP
                                 : OUTCOME_CALLER_HANGUP);
    } else if (!strcmp(name, "DTMF")) {
        const char *digit = esl_msg_event_header(ev, "DTMF-Digit");
        log_at(&h->log, LOG_DEBUG, "call %s: key %s", c->uuid,
               c->ask_secret ? "*" : (digit ? digit : "?"));
    }
}

/*
 * Three passes over the burst, each asking for what the next one reads, so that the misses of
 * a pass overlap: the slots of the events' UUIDs, then the records in them, then the sessions.
 * An event of the burst may start or end a call before a later one is handled: the events
 * then look their call up again (calls_on_event), in the cache by then.
 */
void calls_prefetch(host *h, const esl_msg *const *msgs, size_t n)
{
    const char *uuid[ESL_BURST_MAX];
    uint64_t hash[ESL_BURST_MAX];
    size_t count = 0;
    for (size_t i = 0; i < n && count < ESL_BURST_MAX; i++) {
        const char *u = msgs[i]->is_event ? msgs[i]->unique_id : NULL;
        if (!u || !esl_uuid_valid(u))
            continue;
        uuid[count] = u;
        hash[count++] = call_table_prefetch_slot(&h->calls, u);
    }
    for (size_t k = 0; k < count; k++)
        call_table_prefetch_call(&h->calls, hash[k]);
    for (size_t k = 0; k < count; k++) {
        const call *c = call_table_find_hashed(&h->calls, uuid[k], hash[k]);
        if (c && !c->ended)
            ivrsm_session_prefetch(c->s);
    }
}

/* ---------------------------------------------------------------------------
 * Connection changes and saved calls
 * ------------------------------------------------------------------------- */

void calls_on_lost(host *h)
{
    late_on_connection_lost(h);
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (c->ended)
            continue;
        c->needs_resume = true;
        c->resume_pending = false;
    }
}

void calls_on_ready(host *h)
{
    late_on_connection_ready(h);
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (!c->ended && c->needs_resume)
            call_resume(c);
    }
}

/* Hand a live call to `queue` now, whatever it was doing (the drain timeout). */
static void hand_off_now(call *c, const char *queue)
{
    host *h = c->h;
    char why[200];
    strbuf msg = {0};
    if (c->inflight_id && c->inflight_type != IVRSM_COMMAND_HTTP &&
        esl_build_uuid_api(&msg, "uuid_break", c->uuid, "all") == 0 && !msg.oom)
        esl_conn_send_acting(h->esl, msg.data, msg.len, ESL_REPLY_API, ignore_reply, NULL);
    sb_free(&msg);
    ticket_detach(c); /* its answer will be dropped */
    clear_steps(c);
    if (app_build_handoff(&h->apps, queue, &c->steps[0], why, sizeof(why)) != 0) {
        log_at(&h->log, LOG_ERROR, "call %s: cannot hand off: %s", c->uuid, why);
        call_end(c, "drain timeout, no handoff", OUTCOME_ERROR);
        return;
    }
    c->inflight_id = UINT64_MAX; /* no command of the session: the host's own */
    c->inflight_type = IVRSM_COMMAND_HANDOFF;
    c->drain_handoff = true;
    c->step_count = 1;
    log_at(&h->log, LOG_INFO, "call %s: handed off to %s at the drain timeout", c->uuid, queue);
    call_send_step(c);
}

void calls_hand_off_all(host *h, const char *queue)
{
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (!c->ended && !c->drain_handoff)
            hand_off_now(c, queue);
    }
}

void calls_load_saved(host *h)
{
    snap_load_owned(h);
}

/*
 * What a fenced call would have sent waited. The call may have ended
 * elsewhere meanwhile (another host took it over and finished it), so it
 * is picked up as after a reconnection: uuid_exists first.
 */
void call_unhold(call *c)
{
    if (c->ended || !c->held || c->h->fenced)
        return;
    c->held = false;
    if (esl_conn_ready(c->h->esl))
        call_resume(c);
    else
        c->needs_resume = true;
}

void calls_on_fence(host *h, bool fenced)
{
    h->fenced = fenced;
    if (fenced) {
        log_at(&h->log, LOG_WARN,
               "store: the leases of this host's calls are in doubt; sending nothing until the "
               "store answers again");
        return;
    }
    log_at(&h->log, LOG_INFO, "store: leases renewed; the calls go on");
    for (size_t i = 0; i < h->calls.count; i++)
        call_unhold(h->calls.all[i]);
}

void calls_on_taken(host *h, const char *uuid)
{
    call *c = call_find(h, uuid);
    if (!c || c->ended || c->claiming)
        return;
    log_at(&h->log, LOG_WARN,
           "call %s: another host owns it now (this host's lease expired); let go in %s", uuid,
           c->s && ivrsm_session_state(c->s) ? ivrsm_session_state(c->s) : "?");
    h->metrics.calls_lost++;
    ticket_detach(c); /* its answer, if any, is dropped */
    ivrsm_session_free(c->s);
    c->s = NULL;
    clear_steps(c);
    c->inflight_id = 0;
    c->foreign = true;
    call_mark_ended(c);
}

void calls_on_unkeepable(host *h, const char *uuid)
{
    call *c = call_find(h, uuid);
    if (!c || c->ended || c->claiming)
        return;
    /* Nobody can own the call now (a claim meets the same data): the caller is told by a
     * hangup rather than left in silence, what this host started stopped first. */
    call_give_up_taken(c, "its lease cannot be kept: another application's data at its keys");
}

void calls_on_put(host *h, const char *uuid, int status, const char *why)
{
    call *c = call_find(h, uuid);
    if (!c || c->ended || c->claiming || status == STORE_TAKEN)
        return; /* taken: on_lost lets the call go */
    if (status == 0) {
        if (c->store_refused)
            log_at(&h->log, LOG_INFO, "call %s: its snapshot is stored again", uuid);
        c->store_refused = false;
        return;
    }
    c->store_dirty = true; /* put again: loop.c, or snap_resync once the store is back */
    if (why && !c->store_refused)
        log_at(&h->log, LOG_WARN,
               "call %s: the store refused its snapshot (%.200s): the call goes on from memory, "
               "its snapshot is put again until the store takes it",
               uuid, why);
    c->store_refused = c->store_refused || why;
}

void calls_release_all(host *h)
{
    for (size_t i = 0; i < h->calls.count; i++) {
        call *c = h->calls.all[i];
        if (!c->ended && !c->claiming) {
            if (c->store_dirty)
                snap_store_now(c, NULL, NULL);
            snap_release(c);
        }
    }
}
