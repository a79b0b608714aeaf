/*
 * The call driver: one session, its clock, its backend and its records.
 * See driver.h for what it promises; the stand-ins for secret inputs are
 * in driver_standin.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_real.h"
#include "driver.h"
#include "driver_int.h"
#include "ivrsm/http_curl.h"

/* Fields of a trace record that say when and where it was written, not what. */
const char *const drv_trace_envelope[] = {"kind", "seq", "t", "session", NULL};

static drv_status fail(drv *d, drv_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static drv_status fail(drv *d, drv_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof(d->error), fmt, ap);
    va_end(ap);
    return status;
}

/* ---------------------------------------------------------------------------
 * Clock and trace sink
 * ------------------------------------------------------------------------- */

static int64_t clock_now(void *user)
{
    return ((const drv *)user)->now_ms;
}

/* Why the session refused a start or an event: the library's words, or, for a clock outside the
 * years 1 to 9999 (--now, a scenario's now:, a trace's header), which the session refuses with
 * IVRSM_EINVAL, that. */
static const char *refusal(const drv *d, int rc)
{
    if (rc == IVRSM_EINVAL && (d->now_ms < IVRSM_CLOCK_MIN_MS || d->now_ms > IVRSM_CLOCK_MAX_MS))
        return "the clock is outside the years 1 to 9999 (UTC)";
    return ivrsm_strerror(rc);
}

/* Real time moves on between events, never during one (so a replay can match). */
static void tick(drv *d)
{
    if (d->cfg.clock == DRV_CLOCK_REAL)
        d->now_ms = drv_real_now_ms();
}

static void on_trace(void *user, const char *text)
{
    drv *d = user;
    if (d->cfg.hooks.trace)
        d->cfg.hooks.trace(d->cfg.hooks.user, text);
    json_t *rec = json_loads(text, 0, NULL);
    if (!rec)
        return;
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const char *type = json_string_value(json_object_get(rec, "type"));
    if (kind && !strcmp(kind, "command")) {
        json_array_append(d->shown, rec);
    } else if (kind && type && !strcmp(kind, "event") && !strcmp(type, "action_result")) {
        json_decref(d->last_result);
        d->last_result = json_incref(rec);
    }
    json_decref(rec);
}

/* The library's (redacted) record of command `id`, envelope removed; or a
 * redacted copy of the full form when the library gave none. */
static json_t *take_shown(drv *d, uint64_t id, const json_t *full)
{
    size_t i;
    json_t *rec;
    json_array_foreach(d->shown, i, rec)
    {
        if ((uint64_t)json_integer_value(json_object_get(rec, "id")) != id)
            continue;
        json_t *shown = json_deep_copy(rec);
        json_array_remove(d->shown, i);
        for (const char *const *k = drv_trace_envelope; *k; k++)
            json_object_del(shown, *k);
        /* Whatever the record leaves out (a field it did not carry) comes
         * from the full form, with secret keys hidden the same way; so does
         * a field it left empty. */
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)full, key, value)
        {
            json_t *mine = json_object_get(shown, key);
            bool empty = (json_is_object(mine) && !json_object_size(mine)) ||
                         (json_is_array(mine) && !json_array_size(mine));
            if (!mine || empty)
                json_object_set_new(shown, key,
                                    ivrsm_machine_key_is_sensitive(d->m, key)
                                        ? json_string("***")
                                        : drv_redact(d->m, value));
        }
        return shown;
    }
    return drv_redact(d->m, full);
}

/* ---------------------------------------------------------------------------
 * The JSON form of a command
 * ------------------------------------------------------------------------- */

/* A JSON text as a value; a text that is not JSON stays a string. */
static json_t *json_or_string(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

json_t *drv_command_json(const ivrsm_command *c)
{
    char *text = ivrsm_command_to_json(c);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    ivrsm_free(text);
    return o ? o : json_object();
}

/* ---------------------------------------------------------------------------
 * Answers to http commands
 * ------------------------------------------------------------------------- */

void drv_answer_clear(drv_answer *a)
{
    free(a->body);
    free(a->error);
    memset(a, 0, sizeof(*a));
}

typedef struct live_wait {
    bool done;
    drv_answer *answer;
} live_wait;

static void on_http_done(void *user, const ivrsm_http_result *r)
{
    live_wait *w = user;
    w->done = true;
    w->answer->status = r->status;
    w->answer->elapsed_ms = r->elapsed_ms;
    if (r->body_len > 0)
        w->answer->body = strndup(r->body, r->body_len);
    if (r->error)
        w->answer->error = strdup(r->error);
}

static drv_status answer_live(drv *d, const ivrsm_command *c, drv_answer *a)
{
    ivrsm_command capped = *c;
    int cap = d->cfg.http_timeout_ms;
    if (cap > 0 && (capped.http.timeout_ms <= 0 || capped.http.timeout_ms > cap))
        capped.http.timeout_ms = cap;
    live_wait w = {false, a};
    int rc = ivrsm_http_submit(d->http, &capped, on_http_done, &w);
    if (rc != 0)
        return fail(d, DRV_FAILED, "cannot send %s %s: %s", c->http.method, c->http.path,
                    ivrsm_strerror(rc));
    while (!w.done) {
        rc = ivrsm_http_run(d->http, 1000);
        if (rc < 0)
            return fail(d, DRV_FAILED, "the http adapter failed: %s", ivrsm_strerror(rc));
    }
    return DRV_OK;
}

/* Whether the canned answers name this command (its endpoint or "METHOD /path"). */
static bool canned_has(const drv *d, const ivrsm_command *c, char *key, size_t keylen)
{
    if (c->http.endpoint && json_object_get(d->cfg.responses, c->http.endpoint))
        return true;
    snprintf(key, keylen, "%s %s", c->http.method, c->http.path);
    return json_object_get(d->cfg.responses, key) != NULL;
}

/* The canned entry for a command: by endpoint name, else by "METHOD /path". */
static const json_t *canned_entry(drv *d, const ivrsm_command *c, char *key, size_t keylen)
{
    const json_t *v = NULL;
    if (c->http.endpoint) {
        snprintf(key, keylen, "%s", c->http.endpoint);
        v = json_object_get(d->cfg.responses, key);
    }
    if (!v) {
        snprintf(key, keylen, "%s %s", c->http.method, c->http.path);
        v = json_object_get(d->cfg.responses, key);
    }
    if (!json_is_array(v))
        return v;
    /* A list is used in turn; its last answer repeats. */
    json_int_t used = json_integer_value(json_object_get(d->canned_uses, key));
    json_object_set_new(d->canned_uses, key, json_integer(used + 1));
    size_t n = json_array_size(v);
    if (n == 0)
        return NULL;
    return json_array_get(v, (size_t)used < n ? (size_t)used : n - 1);
}

static drv_status answer_canned(drv *d, const ivrsm_command *c, drv_answer *a)
{
    char key[600];
    const json_t *e = canned_entry(d, c, key, sizeof(key));
    const char *file = d->cfg.responses_name ? d->cfg.responses_name : "the responses";
    if (!e)
        return fail(d, DRV_FAILED, "%s has no answer for %s%s%s %s %s", file,
                    c->http.endpoint ? "endpoint " : "", c->http.endpoint ? c->http.endpoint : "",
                    c->http.endpoint ? " nor for" : "", c->http.method, c->http.path);
    json_t *status = json_object_get(e, "status");
    json_t *error = json_object_get(e, "error");
    if (!json_is_object(e) || (status && !json_is_integer(status)) ||
        (error && !json_is_string(error)))
        return fail(d, DRV_FAILED,
                    "%s: the answer for '%s' must be {\"status\": N, \"body\": ...} "
                    "(\"error\": \"text\" for a transport failure)",
                    file, key);
    a->status = status ? (int)json_integer_value(status) : (error ? 0 : 200);
    json_t *body = json_object_get(e, "body");
    if (body)
        a->body = json_is_string(body) ? strdup(json_string_value(body))
                                       : ivrsm_json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (error)
        a->error = strdup(json_string_value(error));
    return DRV_OK;
}

static drv_status answer_http(drv *d, const ivrsm_command *c, drv_answer *a)
{
    if (d->cfg.http) {
        char why[400] = "";
        if (d->cfg.http(d->cfg.answer_user, c, a, why, sizeof(why)) != 0)
            return fail(d, DRV_FAILED, "%s", why);
        return DRV_OK;
    }
    /* Canned answers first: a scenario may script a few answers (a failure)
     * and leave the others to its backend. */
    char key[600];
    if (d->cfg.responses && (!d->http || canned_has(d, c, key, sizeof(key))))
        return answer_canned(d, c, a);
    if (d->http)
        return answer_live(d, c, a);
    d->no_backend = true;
    return fail(d, DRV_FAILED, "state %s calls %s %s%s%s%s but no backend was given%s%s%s",
                c->state ? c->state : "?", c->http.method, c->http.path,
                c->http.endpoint ? " (endpoint " : "", c->http.endpoint ? c->http.endpoint : "",
                c->http.endpoint ? ")" : "", d->cfg.backend_hint ? " (" : "",
                d->cfg.backend_hint ? d->cfg.backend_hint : "", d->cfg.backend_hint ? ")" : "");
}

/* ---------------------------------------------------------------------------
 * Executing commands
 * ------------------------------------------------------------------------- */

/* Save the session and go on with one restored from the snapshot (--snapshots). */
static drv_status roundtrip(drv *d)
{
    if (!d->cfg.snapshot_each_event)
        return DRV_OK;
    char *snap = NULL;
    int rc = ivrsm_session_snapshot(d->s, &snap);
    if (rc != 0)
        return fail(d, DRV_FAILED, "ivrsm_session_snapshot failed: %s", ivrsm_strerror(rc));
    ivrsm_session *restored = NULL;
    ivrsm_error err = {0};
    rc = ivrsm_session_restore(d->m, snap, &d->opts, &restored, &err);
    ivrsm_free(snap);
    if (rc != 0)
        return fail(d, DRV_FAILED, "ivrsm_session_restore failed: %s (%s)", ivrsm_strerror(rc),
                    err.message);
    ivrsm_session_free(d->s);
    d->s = restored;
    return DRV_OK;
}

static void report(drv *d, json_t *full, json_t *shown, const drv_answer *answer)
{
    if (d->cfg.hooks.command) {
        drv_report r = {full, shown, answer};
        d->cfg.hooks.command(d->cfg.hooks.user, &r);
    }
    json_decref(full);
    json_decref(shown);
}

static drv_status feed_result(drv *d, const ivrsm_event *ev)
{
    tick(d);
    int rc = ivrsm_session_feed(d->s, ev);
    if (rc != 0)
        return fail(d, DRV_FAILED, "the session refused the result of command %llu: %s",
                    (unsigned long long)ev->command_id, refusal(d, rc));
    d->events++;
    return DRV_OK;
}

static drv_status run_http(drv *d, const ivrsm_command *c, json_t *full, json_t *shown)
{
    drv_answer a = {0};
    uint64_t id = c->id;
    drv_status st = answer_http(d, c, &a);
    if (st != DRV_OK) {
        json_decref(full);
        json_decref(shown);
        return st;
    }
    json_object_set_new(full, "status", json_integer(a.status));
    json_object_set_new(shown, "status", json_integer(a.status));
    if (a.error) {
        json_object_set_new(full, "error", json_string(a.error));
        json_object_set_new(shown, "error", json_string(a.error));
    }
    if (a.body)
        json_object_set_new(full, "response", json_or_string(a.body));
    json_object_set_new(shown, "elapsed_ms", json_integer((json_int_t)(a.elapsed_ms + 0.5)));
    ivrsm_event ev = {.type = IVRSM_EVENT_ACTION_RESULT,
                      .command_id = id,
                      .status = a.status,
                      .body = a.body,
                      .error = a.error,
                      .confidence = -1};
    json_decref(d->last_result);
    d->last_result = NULL;
    st = feed_result(d, &ev);
    /* The library's record of the result holds the body with secrets hidden. */
    json_t *body = d->last_result ? json_object_get(d->last_result, "body") : NULL;
    if (body)
        json_object_set(shown, "response", body);
    report(d, full, shown, &a);
    drv_answer_clear(&a);
    return st != DRV_OK ? st : roundtrip(d);
}

static drv_status run_handoff(drv *d, const ivrsm_command *c, json_t *full, json_t *shown)
{
    int ok = d->cfg.handoff_ok;
    if (d->cfg.handoff_answers && d->cfg.handoff_count) {
        size_t n = d->cfg.handoff_count, used = d->handoffs_used++;
        ok = d->cfg.handoff_answers[used < n ? used : n - 1];
    }
    uint64_t id = c->id;
    if (d->cfg.handoff) {
        char why[400] = "";
        if (d->cfg.handoff(d->cfg.answer_user, c, &ok, why, sizeof(why)) != 0) {
            json_decref(full);
            json_decref(shown);
            return fail(d, DRV_FAILED, "%s", why);
        }
    }
    json_object_set_new(full, "ok", json_boolean(ok));
    json_object_set_new(shown, "ok", json_boolean(ok));
    report(d, full, shown, NULL);
    ivrsm_event ev = {
        .type = IVRSM_EVENT_HANDOFF_RESULT, .command_id = id, .ok = ok, .confidence = -1};
    drv_status st = feed_result(d, &ev);
    if (st == DRV_OK && ok && ivrsm_session_ended(d->s) && !d->end_kind)
        d->end_kind = "handoff";
    return st != DRV_OK ? st : roundtrip(d);
}

static drv_status execute(drv *d, const ivrsm_command *c)
{
    json_t *full = drv_command_json(c);
    json_t *shown = full ? take_shown(d, c->id, full) : NULL;
    if (!full || !shown) {
        json_decref(full);
        json_decref(shown);
        return fail(d, DRV_FAILED, "out of memory");
    }
    switch (c->type) {
    case IVRSM_COMMAND_HTTP:
        return run_http(d, c, full, shown);
    case IVRSM_COMMAND_HANDOFF:
        return run_handoff(d, c, full, shown);
    case IVRSM_COMMAND_ASK:
        d->ask_max_digits = c->ask.max_digits;
        snprintf(d->ask_terminators, sizeof(d->ask_terminators), "%s",
                 c->ask.terminators ? c->ask.terminators : "");
        break;
    case IVRSM_COMMAND_HANGUP:
        if (!d->end_kind)
            d->end_kind = "hangup";
        break;
    case IVRSM_COMMAND_SAY:
        break;
    }
    report(d, full, shown, NULL);
    return DRV_OK;
}

/* Execute every command the session has queued, and those their results lead to. */
static drv_status pump(drv *d)
{
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(d->s)) != NULL) {
        drv_status st = execute(d, c);
        if (st != DRV_OK)
            return st;
    }
    return DRV_OK;
}

/* ---------------------------------------------------------------------------
 * Public functions
 * ------------------------------------------------------------------------- */

drv *drv_new(const drv_config *cfg, char *err, size_t errlen)
{
    drv *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->cfg = *cfg;
    d->m = ivrsm_machine_ref(cfg->machine);
    d->now_ms = cfg->clock == DRV_CLOCK_REAL ? drv_real_now_ms() : cfg->now_ms;
    d->shown = json_array();
    d->canned_uses = json_object();
    d->opts.call_id = cfg->call_id;
    d->opts.session_id = cfg->session_id;
    d->opts.ctx_json = cfg->ctx_json;
    d->opts.clock = clock_now;
    d->opts.clock_user = d;
    d->opts.trace = on_trace;
    d->opts.trace_user = d;
    if (!d->shown || !d->canned_uses) {
        snprintf(err, errlen, "out of memory");
        drv_free(d);
        return NULL;
    }
    if (cfg->backend_url && !cfg->http) {
        ivrsm_http_options ho = {.base_url = cfg->backend_url};
        int rc = ivrsm_http_new(&ho, &d->http);
        if (rc != 0) {
            snprintf(err, errlen, "backend URL '%s': %s (expected http://HOST:PORT)",
                     cfg->backend_url, ivrsm_strerror(rc));
            drv_free(d);
            return NULL;
        }
    }
    ivrsm_error e = {0};
    int rc = ivrsm_session_new(d->m, &d->opts, &d->s, &e);
    if (rc != 0) {
        snprintf(err, errlen, "cannot create the session: %s%s%s", ivrsm_strerror(rc),
                 e.message[0] ? ": " : "", e.message);
        drv_free(d);
        return NULL;
    }
    return d;
}

drv_status drv_start(drv *d)
{
    int rc = ivrsm_session_start(d->s);
    if (rc != 0)
        return fail(d, DRV_FAILED, "cannot start the session: %s", refusal(d, rc));
    drv_status st = roundtrip(d);
    return st != DRV_OK ? st : pump(d);
}

static drv_status feed_caller_input(drv *d, const drv_input *in);

/*
 * Keys through the keypad of the last question (drv_config.keypad): *out is
 * `in` itself, or a NOMATCH for a lone terminator, or the shorter entry in
 * `scratch` (which the caller clears).
 */
static int keypad_input(drv *d, const drv_input *in, drv_input *scratch, const drv_input **out)
{
    *out = in;
    if (!d->cfg.keypad || in->type != IVRSM_EVENT_DTMF || !in->text || d->ask_max_digits <= 0)
        return 0;
    char *entry = malloc(strlen(in->text) + 1);
    if (!entry)
        return -1;
    bool terminated = false;
    /* The ESL host's bound: one more key when a terminator closes the entry. */
    int bound = d->ask_max_digits + (d->ask_terminators[0] ? 1 : 0);
    size_t dropped = drv_keypad_read(in->text, bound, d->ask_terminators, entry, &terminated);
    char note[200] = "";
    if (!*entry) {
        snprintf(note, sizeof(note), "only '%c' was keyed: no entry, a wrong answer",
                 terminated ? in->text[0] : '?');
    } else if (dropped && terminated) {
        snprintf(note, sizeof(note),
                 "the terminator ended the entry: %zu key%s after it %s not "
                 "part of this answer",
                 dropped, dropped == 1 ? "" : "s", dropped == 1 ? "is" : "are");
    } else if (dropped) {
        snprintf(note, sizeof(note),
                 "the question takes at most %d key%s: %zu key%s after the "
                 "entry %s not part of this answer",
                 bound, bound == 1 ? "" : "s", dropped, dropped == 1 ? "" : "s",
                 dropped == 1 ? "is" : "are");
    }
    if (*note && d->cfg.hooks.keypad)
        d->cfg.hooks.keypad(d->cfg.hooks.user, note);
    if (!*entry) {
        free(entry);
        *scratch = (drv_input){.type = IVRSM_EVENT_NOMATCH, .confidence = -1};
    } else if (strcmp(entry, in->text) != 0) {
        *scratch = (drv_input){.type = IVRSM_EVENT_DTMF, .text = entry, .confidence = -1};
    } else {
        free(entry);
        return 0;
    }
    *out = scratch;
    return 0;
}

drv_status drv_feed_input(drv *d, const drv_input *typed)
{
    if (ivrsm_session_ended(d->s))
        return fail(d, DRV_REFUSED, "the call has ended");
    drv_input scratch = {0};
    const drv_input *in;
    if (keypad_input(d, typed, &scratch, &in) != 0)
        return fail(d, DRV_FAILED, "out of memory");
    drv_status st = feed_caller_input(d, in);
    drv_input_clear(&scratch);
    return st;
}

static drv_status feed_caller_input(drv *d, const drv_input *in)
{
    tick(d);
    if (d->cfg.hooks.input) {
        drv_input stand_in = {0};
        const drv_input *recorded = in;
        if (drv_secret_expected(d) && in->text) {
            recorded = NULL;
            if (d->cfg.stand_ins && drv_find_stand_in(d, in, &stand_in) == 0)
                recorded = &stand_in;
        }
        d->cfg.hooks.input(d->cfg.hooks.user, in, recorded, d->now_ms);
        drv_input_clear(&stand_in);
    }
    ivrsm_event ev = {.type = in->type, .text = in->text, .confidence = in->confidence};
    int rc = ivrsm_session_feed(d->s, &ev);
    if (rc != 0)
        return fail(d, DRV_REFUSED, "the session refused the input: %s", refusal(d, rc));
    d->events++;
    if (in->type == IVRSM_EVENT_HANGUP && !d->end_kind)
        d->end_kind = "hangup";
    drv_status st = roundtrip(d);
    return st != DRV_OK ? st : pump(d);
}

bool drv_needed_a_backend(const drv *d)
{
    return d->no_backend;
}

const char *drv_error(const drv *d)
{
    return d->error;
}

void drv_set_now(drv *d, int64_t now_ms)
{
    d->now_ms = now_ms;
}

int64_t drv_now(const drv *d)
{
    return d->now_ms;
}

bool drv_ended(const drv *d)
{
    return ivrsm_session_ended(d->s) != 0;
}

const char *drv_end_kind(const drv *d)
{
    return drv_ended(d) ? (d->end_kind ? d->end_kind : "hangup") : NULL;
}

const char *drv_state(const drv *d)
{
    return ivrsm_session_state(d->s);
}

json_t *drv_ctx(const drv *d)
{
    char *text = ivrsm_session_ctx_json(d->s);
    if (!text)
        return NULL;
    json_t *ctx = json_loads(text, 0, NULL);
    ivrsm_free(text);
    return ctx;
}

json_t *drv_session_json(const drv *d)
{
    char *text = NULL;
    if (ivrsm_session_snapshot(d->s, &text) != 0)
        return NULL;
    json_t *j = json_loads(text, 0, NULL);
    ivrsm_free(text);
    return j;
}

bool drv_secret_expected(const drv *d)
{
    return ivrsm_session_input_is_secret(d->s) != 0;
}

size_t drv_event_count(const drv *d)
{
    return d->events;
}

void drv_free(drv *d)
{
    if (!d)
        return;
    ivrsm_session_free(d->s);
    /* Without cancelling: a transfer left by a failed wait has no callback owner. */
    ivrsm_http_free(d->http);
    ivrsm_machine_unref(d->m);
    json_decref(d->shown);
    json_decref(d->canned_uses);
    json_decref(d->last_result);
    free(d);
}
