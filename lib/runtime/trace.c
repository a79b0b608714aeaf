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

/* Where a scan of a JSON text has got to, and whether it is inside a string there. */
typedef struct json_cursor {
    size_t pos;
    bool in_string;
} json_cursor;

/* Move c on to offset `at` of JSON text d; whether d[at] lies inside a string. */
static bool json_in_string(const char *d, size_t at, json_cursor *c)
{
    while (c->pos < at) {
        char ch = d[c->pos++];
        if (c->in_string && ch == '\\')
            c->pos++; /* the escaped character */
        else if (ch == '"')
            c->in_string = !c->in_string;
    }
    return c->in_string;
}

/* A value that JSON writes bare, so that no secret's text: true, false, null. */
static bool json_keyword(const char *s)
{
    return !strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null");
}

/*
 * Replace each occurrence of `secret` that stands alone (not inside a longer
 * word or number: "123456" is scrubbed in "code 123456" but not in
 * "+33612345678") by "***", in the JSON text of a record: inside a string as
 * ***, a bare number as the string "***", so that the record stays JSON.
 * Short secrets, already masked ones and JSON's keywords are left. -1 when
 * memory ran out to quote one (the record is then not to be written).
 */
static int scrub(ivrsm_buf *b, const char *secret)
{
    size_t n = strlen(secret);
    if (n < 4 || !b->data || strstr(secret, "***") || json_keyword(secret))
        return 0;
    size_t from = 0;
    json_cursor cursor = {0, false};
    char *hit;
    while ((hit = strstr(b->data + from, secret)) != NULL) {
        size_t at = (size_t)(hit - b->data);
        bool alone = (at == 0 || !is_word_byte(b->data[at - 1])) && !is_word_byte(hit[n]);
        if (!alone) {
            from = at + 1;
            continue;
        }
        const char *mask = json_in_string(b->data, at, &cursor) ? "***" : "\"***\"";
        size_t m = strlen(mask);
        if (m > n && ivrsm_buf_reserve(b, m - n) != 0)
            return -1;
        hit = b->data + at;
        memmove(hit + m, hit + n, b->len - at - n + 1);
        memcpy(hit, mask, m);
        b->len = b->len - n + m;
        from = at + m;
        cursor.pos = from;
    }
    return 0;
}

/* Scrub b of x when it is a secret (under a sensitive key, or inside a value under one): its
 * strings and integers, at any depth (ctx.card.pin as ctx.pin, ctx.cards[0].pin), as the
 * redaction of values by key reaches them; `parent` (`plen` bytes) is the key x is held under,
 * for the machine's "parent.key" entries. ctx is at most IVRSM_MAX_DEPTH deep. -1 when memory
 * ran out. */
static int scrub_value(const ivrsm_session *s, ivrsm_val x, bool secret, const char *parent,
                       size_t plen, ivrsm_buf *b, int depth)
{
    if (depth > IVRSM_MAX_DEPTH)
        return 0;
    size_t len;
    char text[24];
    switch (ivrsm_val_type(x)) {
    case JSON_OBJECT:
        for (size_t i = 0; i < ivrsm_val_size(x); i++) {
            const char *k;
            size_t kl;
            ivrsm_val v = ivrsm_val_member(x, i, &k, &kl);
            if (scrub_value(s, v, secret || ivrsm_redact_member_is_sensitive(s->m, parent, plen, k),
                            k, kl, b, depth + 1))
                return -1;
        }
        return 0;
    case JSON_ARRAY:
        /* A list's items are held under its key: ctx.cards[0].pin is a card's pin. */
        for (size_t i = 0; i < ivrsm_val_size(x); i++)
            if (scrub_value(s, ivrsm_val_at(x, i), secret, parent, plen, b, depth + 1))
                return -1;
        return 0;
    case JSON_STRING:
        return secret ? scrub(b, ivrsm_val_str(x, &len)) : 0;
    case JSON_INTEGER:
        if (!secret)
            return 0;
        snprintf(text, sizeof text, "%lld", (long long)ivrsm_val_int(x));
        return scrub(b, text);
    default:
        return 0;
    }
}

static void emit(ivrsm_session *s, json_t *rec)
{
    json_object_set_new(rec, "seq", json_integer((json_int_t)++s->trace_seq));
    /* Every record is made within a step: its time is the step's (read_step_clock()). */
    if (s->clock)
        json_object_set_new(rec, "t", json_integer(s->step_ms));
    json_object_set_new(rec, "session", json_string(s->session_id));
    ivrsm_buf b = IVRSM_BUF_INIT(s->mem);
    int rc = ivrsm_buf_dump_json(&b, rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(rec);
    /* A record that cannot be scrubbed whole is not written: it would show a secret. */
    if (rc != 0 || scrub_value(s, ivrsm_s_ctx(s), false, NULL, 0, &b, 0) != 0) {
        ivrsm_buf_free(&b);
        return;
    }
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
    /* The key it lands under, with the key it is held under ("pin" of "card.pin"). */
    return ivrsm_redact_path_is_sensitive(m, c->target, false);
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

/*
 * The members of a command that carry the call's data, masked by their keys' names: a
 * request's headers and body, a handoff's context. The command's own members (type, state,
 * text, reason...) are the library's, whatever names a machine lists in sensitive_keys; a
 * secret value said in a text is scrubbed by emit() like anywhere in the record.
 */
static const char *const command_data_members[] = {"headers", "body", "context", NULL};

void ivrsm_s_trace_command(ivrsm_session *s, const ivrsm_command *c)
{
    if (!s->trace)
        return;
    json_t *cmd = ivrsm_s_command_to_json(c);
    json_t *rec = json_object();
    int failed = !cmd || !rec || json_object_set_new(rec, "kind", json_string("command"));
    const char *k;
    json_t *v;
    json_object_foreach(cmd, k, v)
    {
        if (failed)
            break;
        bool data = false;
        for (const char *const *d = command_data_members; *d && !data; d++)
            data = !strcmp(k, *d);
        failed |= json_object_set_new(rec, k, data ? ivrsm_redact(s->m, v) : json_incref(v));
    }
    json_decref(cmd);
    if (failed) {
        json_decref(rec);
        return; /* out of memory: traces are best effort (docs/runtime.md) */
    }
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
