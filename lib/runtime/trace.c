/*
 * Structured trace records (one JSON object per record).
 *
 * Secrets never reach the sink: values under sensitive keys are redacted
 * (redact.c), Authorization headers and the caller's input in an OTP state
 * are masked, and as a last guard every record is scrubbed of the current
 * values of sensitive ctx keys wherever they occur.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "redact.h"
#include "session.h"

bool ivrsm_s_tracing(const ivrsm_session *s)
{
    return s->trace != NULL;
}

static bool is_word_byte(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (unsigned char)c >= 0x80;
}

/*
 * Replace each occurrence of `secret` that stands alone (not inside a longer
 * word or number: "123456" is scrubbed in "code 123456" but not in
 * "+33612345678") by "***". Short secrets and already masked ones are left.
 */
static void scrub(ivrsm_buf *b, const char *secret)
{
    size_t n = strlen(secret);
    if (n < 4 || !b->data || strstr(secret, "***"))
        return;
    size_t from = 0;
    char *hit;
    while ((hit = strstr(b->data + from, secret)) != NULL) {
        size_t at = (size_t)(hit - b->data);
        bool alone = (at == 0 || !is_word_byte(b->data[at - 1])) && !is_word_byte(hit[n]);
        if (!alone) {
            from = at + 1;
            continue;
        }
        memmove(hit + 3, hit + n, b->len - at - n + 1);
        memcpy(hit, "***", 3);
        b->len = b->len - n + 3;
        from = at + 3;
    }
}

/* The strings under sensitive keys of obj, at any depth (ctx.card.pin as ctx.pin), as the
 * redaction of values by key reaches them; ctx is at most IVRSM_MAX_DEPTH deep. */
static void scrub_secrets_in(const ivrsm_session *s, ivrsm_val obj, ivrsm_buf *b, int depth)
{
    if (depth > IVRSM_MAX_DEPTH)
        return;
    for (size_t i = 0; i < ivrsm_val_size(obj); i++) {
        const char *k;
        size_t kl, len;
        ivrsm_val x = ivrsm_val_member(obj, i, &k, &kl);
        const char *v = ivrsm_val_str(x, &len);
        if (v && ivrsm_redact_key_is_sensitive(s->m, k))
            scrub(b, v);
        else if (ivrsm_val_type(x) == JSON_OBJECT)
            scrub_secrets_in(s, x, b, depth + 1);
    }
}

static void scrub_ctx_secrets(const ivrsm_session *s, ivrsm_buf *b)
{
    scrub_secrets_in(s, ivrsm_s_ctx(s), b, 0);
}

static void emit(ivrsm_session *s, json_t *rec)
{
    json_object_set_new(rec, "seq", json_integer((json_int_t)++s->trace_seq));
    if (s->clock)
        json_object_set_new(rec, "t", json_integer(s->clock(s->clock_user)));
    json_object_set_new(rec, "session", json_string(s->session_id));
    ivrsm_buf b = IVRSM_BUF_INIT(s->mem);
    int rc = ivrsm_buf_dump_json(&b, rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(rec);
    if (rc != 0) {
        ivrsm_buf_free(&b);
        return;
    }
    scrub_ctx_secrets(s, &b);
    s->trace(s->trace_user, b.data);
    ivrsm_buf_free(&b);
}

static const char *event_name(ivrsm_event_type t)
{
    switch (t) {
    case IVRSM_EVENT_DTMF:
        return "dtmf";
    case IVRSM_EVENT_SPEECH:
        return "speech";
    case IVRSM_EVENT_INTENT:
        return "intent";
    case IVRSM_EVENT_NOINPUT:
        return "noinput";
    case IVRSM_EVENT_NOMATCH:
        return "nomatch";
    case IVRSM_EVENT_ACTION_RESULT:
        return "action_result";
    case IVRSM_EVENT_HANDOFF_RESULT:
        return "handoff_result";
    case IVRSM_EVENT_HANGUP:
        return "hangup";
    }
    return "unknown";
}

/* A collect whose value is a secret: a one-time code, or a value stored under a sensitive key
 * (a PIN collected as digits into ctx.pin, a password...). */
static bool collect_is_secret(const ivrsm_machine *m, const m_collect *c)
{
    if (c->mode == IVRSM_COLLECT_OTP)
        return true;
    if (!c->mode || !c->target)
        return false;
    /* The key it lands under: the last part of a dotted target ("card.pin"). */
    const char *dot = strrchr(c->target, '.');
    return ivrsm_redact_key_is_sensitive(m, c->target) ||
           (dot && ivrsm_redact_key_is_sensitive(m, dot + 1));
}

/* Input in a state that collects a secret is a secret as a whole, and so is
 * input in a state that hands it on to one ("Dites le code à nouveau"). */
bool ivrsm_s_input_is_secret(const ivrsm_session *s)
{
    const m_collect *c = ivrsm_s_input_collect(s);
    return c && collect_is_secret(s->m, c);
}

void ivrsm_s_trace_event(ivrsm_session *s, const ivrsm_event *ev)
{
    json_t *r = json_object();
    json_object_set_new(r, "kind", json_string("event"));
    json_object_set_new(r, "type", json_string(event_name(ev->type)));
    if (ev->event_id)
        json_object_set_new(r, "event_id", json_string(ev->event_id));
    if (s->state >= 0)
        json_object_set_new(r, "state", json_string(s->m->states[s->state].name));
    switch (ev->type) {
    case IVRSM_EVENT_DTMF:
    case IVRSM_EVENT_SPEECH:
    case IVRSM_EVENT_INTENT:
        if (ev->text)
            json_object_set_new(r, "text",
                                json_string(ivrsm_s_input_is_secret(s) ? "***" : ev->text));
        if (ev->type == IVRSM_EVENT_SPEECH && ev->confidence >= 0)
            json_object_set_new(r, "confidence", json_real(ev->confidence));
        break;
    case IVRSM_EVENT_ACTION_RESULT: {
        json_object_set_new(r, "command", json_integer((json_int_t)ev->command_id));
        json_object_set_new(r, "status", json_integer(ev->status));
        if (ev->error)
            json_object_set_new(r, "error", json_string(ev->error));
        json_t *body = NULL;
        if (ev->body && ivrsm_s_parse_result_body(ev, &body) == 0) {
            json_object_set_new(r, "body", ivrsm_redact(s->m, body));
        }
        json_decref(body);
        break;
    }
    case IVRSM_EVENT_HANDOFF_RESULT:
        json_object_set_new(r, "command", json_integer((json_int_t)ev->command_id));
        json_object_set_new(r, "ok", json_boolean(ev->ok));
        break;
    default:
        break;
    }
    emit(s, r);
}

void ivrsm_s_trace_transition(ivrsm_session *s, int32_t from, int32_t to, const char *reason)
{
    if (!s->trace)
        return;
    json_t *r = json_object();
    json_object_set_new(r, "kind", json_string("transition"));
    json_object_set_new(r, "from", from >= 0 ? json_string(s->m->states[from].name) : json_null());
    json_object_set_new(r, "to", json_string(s->m->states[to].name));
    json_object_set_new(r, "reason", json_string(reason));
    emit(s, r);
}

void ivrsm_s_trace_command(ivrsm_session *s, const ivrsm_command *c)
{
    if (!s->trace)
        return;
    json_t *cmd = ivrsm_s_command_to_json(c);
    json_t *r = ivrsm_redact(s->m, cmd);
    json_decref(cmd);
    if (!r)
        return; /* out of memory: traces are best effort (docs/runtime.md) */
    json_t *rec = json_object();
    json_object_set_new(rec, "kind", json_string("command"));
    json_object_update(rec, r);
    json_decref(r);
    emit(s, rec);
}

void ivrsm_s_trace_note(ivrsm_session *s, const char *kind, const char *detail)
{
    if (!s->trace)
        return;
    json_t *r = json_object();
    json_object_set_new(r, "kind", json_string(kind));
    if (s->state >= 0)
        json_object_set_new(r, "state", json_string(s->m->states[s->state].name));
    json_object_set_new(r, "detail", json_string(detail));
    emit(s, r);
}
