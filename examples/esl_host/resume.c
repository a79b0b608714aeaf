/*
 * Picking a call up again on a new connection (after a drop, or after a
 * restart of the host with --snapshot-dir).
 *
 * While the host was away the channel may have hung up, and the
 * application in flight may have finished (its completion lost) or still
 * be running. So, for each call:
 *   1. api uuid_exists UUID: "false" ends the call;
 *   2. a keypad question in flight whose completion may have been lost with the
 *      connection: api uuid_getvar UUID ivrsm_digits_ID. switch_ivr_read
 *      (src/switch_ivr_play_say.c) clears the read's variable as the read starts and
 *      sets it to the digits as it ends; the host names that variable after the
 *      question (app_digits_var), so keys found there are this question's answer,
 *      typed before the connection went: they are fed as its completion would have
 *      been, and the caller is not asked again. "_undef_" (mod_commands.c
 *      uuid_getvar_function: no such variable) means the read runs on, never ran,
 *      or ended without keys: the question is asked again, as below;
 *      a spoken question in flight: api uuid_dump UUID (the channel's variables, read in
 *      one piece). play_and_detect_speech has one result variable for every question
 *      (mod_dptools.c play_and_detect_speech_function: detect_speech_result cleared as it
 *      starts, set as it ends), so the host follows each spoken question with
 *      "set ivrsm_speech_done=UUID" in the same queue (calls.c send_step): with that
 *      variable equal to the Event-UUID of the question's sending in flight, that sending
 *      ended and detect_speech_result is its result, fed as its completion would have been
 *      (no variable there: no input, as FreeSWITCH means by it, see speech_done_here).
 *      Anything else (the question runs on, or never ran) goes on to the next steps;
 *   3. api uuid_break UUID all: stop what runs and flush what is queued;
 *   4. with --snapshot-dir, the session is rebuilt from its snapshot (taken
 *      after the last event); the commands it queued before the one in
 *      flight were carried out and are skipped, the one in flight is
 *      executed again (an http command with the same idempotency key,
 *      unless this process still has it on the wire), and the call goes on;
 *      without one, the session in memory is where it was and the
 *      applications of the command in flight are sent again.
 * A completion of the command in flight that arrives meanwhile on the new
 * connection is taken as it comes, and the resumption is then dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "app_args.h"
#include "calls_int.h"
#include "esl_wire.h"
#include "strbuf.h"

typedef struct resume_ctx {
    host *h;
    char uuid[65];
    uint64_t inflight_id;  /* uuid_getvar: the question asked about */
    char question_uuid[40]; /* uuid_dump: the Event-UUID of the spoken question sent */
} resume_ctx;

static void ignore_reply(void *user, const esl_reply *r)
{
    (void)user;
    (void)r;
}

int call_restore_session(call *c)
{
    if (!c->snapshot)
        return -1;
    ivrsm_session_options o;
    call_session_options(c, &o);
    ivrsm_session *s = NULL;
    ivrsm_error err = {0};
    int rc = ivrsm_session_restore(c->machine, c->snapshot, &o, &s, &err);
    if (rc != 0) {
        log_at(&c->h->log, LOG_ERROR, "call %s: cannot restore the session: %s %s", c->uuid,
               ivrsm_strerror(rc), err.message);
        return -1;
    }
    ivrsm_session_free(c->s);
    c->s = s;
    return 0;
}

/* Skip what was carried out, execute the command in flight again, go on. */
static void replay(call *c)
{
    uint64_t from = c->inflight_id ? c->inflight_id : c->last_pulled_id + 1;
    const ivrsm_command *cmd;
    c->inflight_id = 0;
    while ((cmd = ivrsm_session_next_command(c->s)) != NULL && cmd->id < from)
        log_at(&c->h->log, LOG_DEBUG, "call %s: command %llu already carried out", c->uuid,
               (unsigned long long)cmd->id);
    log_at(&c->h->log, LOG_INFO, "call %s: resumed in %s%s", c->uuid,
           ivrsm_session_state(c->s) ? ivrsm_session_state(c->s) : "?",
           cmd ? "; the command in flight is sent again" : "");
    if (cmd)
        call_execute(c, cmd);
    call_pump(c);
}

/*
 * The session in memory is where it was (no --snapshot-dir: nothing to
 * restore): send the applications of the command in flight again, an ask
 * from its first one (the caller hears the question again), any other from
 * the one whose completion was awaited.
 */
static void resend_inflight(call *c)
{
    log_at(&c->h->log, LOG_INFO, "call %s: resumed in %s%s", c->uuid,
           c->s && ivrsm_session_state(c->s) ? ivrsm_session_state(c->s) : "?",
           c->inflight_id && c->step_count ? "; the command in flight is sent again" : "");
    if (c->inflight_id && c->step_count) {
        if (c->inflight_type == IVRSM_COMMAND_ASK && !c->collecting_rest)
            c->step = 0;
        call_send_step(c);
    }
    call_pump(c);
}

static void resume_inflight(call *c)
{
    host *h = c->h;
    if (c->inflight_id && c->inflight_type != IVRSM_COMMAND_HTTP) {
        strbuf msg = {0};
        if (esl_build_uuid_api(&msg, "uuid_break", c->uuid, "all") == 0 && !msg.oom)
            esl_conn_send_acting(h->esl, msg.data, msg.len, ESL_REPLY_API, ignore_reply, NULL);
        sb_free(&msg);
    }
    call_send_setup(c);
    if (!c->snapshot) {
        resend_inflight(c);
        return;
    }
    call_restore_session(c);
    replay(c);
}

/* A question was in flight when the connection went, its own step (not the rest of an entry
 * begun during a spoken one): its completion may have been lost. */
static bool ask_may_have_ended(const call *c)
{
    return c->inflight_id && c->inflight_type == IVRSM_COMMAND_ASK && !c->collecting_rest &&
           c->digits_var[0] && c->step_count && c->step == c->ask_step;
}

/*
 * The spoken question's mark (app_build_speech_done) names the sending in flight: it ended, and
 * detect_speech_result is its result, whatever it holds. mod_dptools.c
 * play_and_detect_speech_function clears the variable as it starts and sets it again only to a
 * result that is not empty (switch_ivr_play_and_detect_speech returned one); an empty value is
 * never kept (switch_channel.c switch_channel_set_variable_var_check deletes the variable). So a
 * question that ended leaves no variable when the recogniser returned nothing: the caller said
 * nothing it could hear, which its completion would have fed as no input (app_results.c
 * app_parse_speech_result). The error responses (GRAMMAR ERROR...) leave it empty too, their
 * Application-Response lost with the completion: no input as well, and the next spoken
 * question meets the error again, with its completion.
 */
static bool speech_done_here(const esl_msg *dump, const char *question_uuid)
{
    const char *done = esl_msg_event_header(dump, "variable_" APP_SPEECH_DONE_VAR);
    return question_uuid[0] && done && !strcmp(done, question_uuid);
}

/* The call a reply to the question in flight's check is for, when it still waits on that
 * check: not ended, not resumed by a completion that came meanwhile on the new connection (taken
 * as it came), not held (call_unhold resumes it). NULL otherwise. */
static call *call_awaiting_check(const resume_ctx *ctx, const esl_reply *r)
{
    call *c = r->lost ? NULL : call_find(ctx->h, ctx->uuid);
    if (!c || c->ended || !c->resume_pending || c->inflight_id != ctx->inflight_id)
        return NULL;
    c->resume_pending = false;
    return call_fenced(c) ? NULL : c;
}

static void on_dump_reply(void *user, const esl_reply *r)
{
    resume_ctx *ctx = user;
    call *c = call_awaiting_check(ctx, r);
    if (c) {
        esl_msg *dump = r->ok && r->text ? call_dump_as_event(r->text) : NULL;
        if (dump && speech_done_here(dump, ctx->question_uuid)) {
            log_at(&c->h->log, LOG_INFO,
                   "call %s: the answer to the spoken question in flight was on the channel "
                   "(detect_speech_result, %s=%s): its completion was lost with the "
                   "connection",
                   c->uuid, APP_SPEECH_DONE_VAR, ctx->question_uuid);
            call_send_setup(c);
            call_speech_recovered(c, dump);
            call_pump(c);
        } else {
            resume_inflight(c);
        }
        esl_msg_free(dump);
    }
    free(ctx);
}

static void on_getvar_reply(void *user, const esl_reply *r)
{
    resume_ctx *ctx = user;
    call *c = call_awaiting_check(ctx, r);
    if (c) {
        const char *text = r->text ? r->text : "";
        if (app_keys_valid(text) && strlen(text) < 128) {
            log_at(&c->h->log, LOG_INFO,
                   "call %s: the answer to the question in flight was on the channel (%s): its "
                   "completion was lost with the connection",
                   c->uuid, c->digits_var);
            call_send_setup(c);
            call_answer_recovered(c, text);
            call_pump(c);
        } else {
            resume_inflight(c);
        }
    }
    free(ctx);
}

static void continue_resume(call *c)
{
    host *h = c->h;
    c->resume_pending = false;
    /* uuid_break would stop what another host may be running on the call by now. */
    if (call_fenced(c))
        return; /* held: call_unhold resumes it */
    if (ask_may_have_ended(c)) {
        strbuf msg = {0};
        resume_ctx *ctx = calloc(1, sizeof(*ctx));
        if (ctx) {
            ctx->h = h;
            ctx->inflight_id = c->inflight_id;
            snprintf(ctx->uuid, sizeof(ctx->uuid), "%s", c->uuid);
            snprintf(ctx->question_uuid, sizeof(ctx->question_uuid), "%s", c->app_uuid);
        }
        int built = !ctx ? -1
                    : c->ask_speech ? esl_build_uuid_api(&msg, "uuid_dump", c->uuid, NULL)
                                    : esl_build_uuid_api(&msg, "uuid_getvar", c->uuid,
                                                         c->digits_var);
        if (built == 0 && !msg.oom &&
            esl_conn_send(h->esl, msg.data, msg.len, ESL_REPLY_API,
                          c->ask_speech ? on_dump_reply : on_getvar_reply, ctx) == 0) {
            c->resume_pending = true;
            sb_free(&msg);
            return;
        }
        free(ctx);
        sb_free(&msg);
    }
    resume_inflight(c);
}

static void on_exists_reply(void *user, const esl_reply *r)
{
    resume_ctx *ctx = user;
    call *c = r->lost ? NULL : call_find(ctx->h, ctx->uuid);
    if (c && !c->ended) {
        const char *text = r->text ? r->text : "";
        while (*text == ' ' || *text == '\n')
            text++;
        if (strncmp(text, "true", 4) != 0) {
            log_at(&c->h->log, LOG_INFO, "call %s: the channel is gone from FreeSWITCH", c->uuid);
            call_hangup(c, "channel gone while disconnected", OUTCOME_CALLER_HANGUP);
        } else if (c->resume_pending) {
            continue_resume(c);
        }
    }
    free(ctx);
}

void call_resume(call *c)
{
    host *h = c->h;
    if (c->giving_up) {
        call_send_give_up(c); /* nothing to resume: the hangup goes again */
        return;
    }
    strbuf msg = {0};
    resume_ctx *ctx = calloc(1, sizeof(*ctx));
    c->needs_resume = false;
    c->resume_pending = true;
    if (ctx) {
        ctx->h = h;
        snprintf(ctx->uuid, sizeof(ctx->uuid), "%s", c->uuid);
    }
    if (!ctx || esl_build_uuid_api(&msg, "uuid_exists", c->uuid, NULL) != 0 || msg.oom ||
        esl_conn_send(h->esl, msg.data, msg.len, ESL_REPLY_API, on_exists_reply, ctx) != 0) {
        free(ctx);
        c->resume_pending = false;
        call_retry_later(c);
    } else {
        log_at(&h->log, LOG_INFO, "call %s: checking the channel before resuming", c->uuid);
    }
    sb_free(&msg);
}
