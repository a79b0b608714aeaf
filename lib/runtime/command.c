/*
 * The command queue of a session, and the JSON form of commands (traces,
 * snapshots, the CLI's --json output).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session.h"

static void relink(s_command *c);

/*
 * Commands are built in place at the tail of the queue (no copy), and the
 * one returned by next_command stays in its slot until the next call into
 * the session, which releases it (ivrsm_s_release_out).
 */
bool ivrsm_s_command_in_queue(const ivrsm_session *s, const s_command *c)
{
    uintptr_t at = (uintptr_t)c, first = (uintptr_t)s->queue;
    return at >= first && at - first < s->queue_cap * sizeof(*c);
}

static int queue_reserve(ivrsm_session *s)
{
    /* The pending command left in its slot (ivrsm_s_release_out) is moved out before a
     * command is built, which could take its slot or move the queue. It is freed before its
     * answer's commands are built, so this is rare. */
    if (s->pending && ivrsm_s_command_in_queue(s, s->pending)) {
        s_command *keep = ivrsm_mem_malloc(s->mem, sizeof(*keep));
        if (!keep)
            return -1;
        *keep = *s->pending;
        relink(keep);
        s->pending = keep;
    }
    if (s->queue_head > 0 && s->queue_head == s->queue_len && !s->has_out)
        s->queue_head = s->queue_len = 0;
    if (s->queue_len < s->queue_cap)
        return 0;
    /* Past the slots inside the session (ivrsm_s_alloc), the queue moves to the heap. */
    size_t cap = (size_t)s->queue_cap * 2;
    bool inline_slots = s->queue == s->queue_inline;
    s_command *q = ivrsm_mem_realloc(s->mem, inline_slots ? NULL : s->queue, cap * sizeof(*q));
    if (!q)
        return -1;
    if (inline_slots)
        memcpy(q, s->queue_inline, s->queue_len * sizeof(*q));
    s->queue = q;
    s->queue_cap = (uint32_t)cap;
    return 0;
}

static bool spoken(ivrsm_command_type type)
{
    return type == IVRSM_COMMAND_SAY || type == IVRSM_COMMAND_ASK;
}

/*
 * What may be nonzero in an inline command slot, beyond the words every command clears
 * (dirty_slots, three bits a slot): the fields of an ask (pub.ask), of an http command
 * (pub.http and the strings it owns), of a handoff or a hangup.
 */
enum { SLOT_ASK = 1, SLOT_HTTP = 2, SLOT_HANDOFF = 4, SLOT_BITS = 3 };
_Static_assert(S_QUEUE_INLINE *SLOT_BITS <= 8, "the bits of every inline slot in dirty_slots");

static unsigned slot_dirt(const ivrsm_session *s, unsigned slot)
{
    return (s->dirty_slots >> (slot * SLOT_BITS)) & ((1u << SLOT_BITS) - 1);
}

static void set_slot_dirt(ivrsm_session *s, unsigned slot, unsigned dirt)
{
    unsigned mask = ((1u << SLOT_BITS) - 1) << (slot * SLOT_BITS);
    s->dirty_slots = (uint8_t)((s->dirty_slots & ~mask) | (dirt << (slot * SLOT_BITS)));
}

/* The words, the field every command type shows or leaves empty: text, parts, language. */
static void clear_words(s_command *c)
{
    c->pub.text = NULL;
    memset(&c->pub.parts, 0, offsetof(s_command, http_texts) - offsetof(s_command, pub.parts));
}

/* What an http command owns: a discarded one frees it, so it is cleared before it is built. */
static void clear_http_strings(s_command *c)
{
    memset(&c->http_texts, 0, offsetof(s_command, queue) - offsetof(s_command, http_texts));
}

static void clear_http(s_command *c)
{
    memset(&c->pub.http, 0, sizeof(c->pub.http));
    clear_http_strings(c);
}

static void clear_handoff(s_command *c)
{
    memset(&c->pub.handoff, 0, offsetof(ivrsm_command, parts) - offsetof(ivrsm_command, handoff));
    c->queue = c->context = c->reason = NULL;
}

/*
 * Clear what a command of `type` does not write in inline slot `slot` (the words, and what the
 * slot held since: dirty_slots). An ask writes pub.ask whole (fill_ask()), an http command
 * pub.http (ivrsm_s_emit_http(), relink()): neither clears its own fields. A handoff or a
 * hangup, rare, clears the whole slot.
 */
static void clear_slot(ivrsm_session *s, s_command *c, ivrsm_command_type type, unsigned slot)
{
    unsigned dirt = slot_dirt(s, slot);
    if (type == IVRSM_COMMAND_HANDOFF || type == IVRSM_COMMAND_HANGUP) {
        memset(c, 0, sizeof(*c));
        set_slot_dirt(s, slot, SLOT_HANDOFF);
        return;
    }
    clear_words(c);
    if ((dirt & SLOT_ASK) && type != IVRSM_COMMAND_ASK)
        memset(&c->pub.ask, 0, sizeof(c->pub.ask));
    if (type == IVRSM_COMMAND_HTTP)
        clear_http_strings(c);
    else if (dirt & SLOT_HTTP)
        clear_http(c);
    if (dirt & SLOT_HANDOFF)
        clear_handoff(c);
    set_slot_dirt(s, slot,
                  type == IVRSM_COMMAND_ASK    ? SLOT_ASK
                  : type == IVRSM_COMMAND_HTTP ? SLOT_HTTP
                                               : 0);
}

s_command *ivrsm_s_command_new(ivrsm_session *s, ivrsm_command_type type)
{
    /* The common case checked here: no pulled command left in a slot, room at the tail. */
    bool room = !s->pending && s->queue_len < s->queue_cap &&
                !(s->queue_head > 0 && s->queue_head == s->queue_len && !s->has_out);
    if (!room && queue_reserve(s) != 0)
        return NULL;
    s_command *c = &s->queue[s->queue_len];
    if (s->queue == s->queue_inline)
        clear_slot(s, c, type, (unsigned)s->queue_len);
    else
        memset(c, 0, sizeof(*c));
    c->pub.size = sizeof(c->pub);
    c->pub.type = type;
    c->pub.id = s->next_id++;
    c->pub.state = s->state >= 0 ? s->m->states[s->state].name : NULL;
    if (type == IVRSM_COMMAND_SAY || type == IVRSM_COMMAND_ASK || type == IVRSM_COMMAND_HANDOFF)
        c->pub.language = s->m->language_tags[s->language];
    return c;
}

void ivrsm_s_command_free(const ivrsm_session *s, s_command *c)
{
    if (!c)
        return;
    ivrsm_s_command_release(s, c);
    if (!ivrsm_s_command_in_queue(s, c))
        ivrsm_mem_free(s->mem, c);
}

void ivrsm_s_command_discard(ivrsm_session *s, s_command *c)
{
    ivrsm_s_command_release(s, c);
    if (c != &s->queue[s->queue_len])
        ivrsm_mem_free(s->mem, c);
}

/* Point pub's strings at the owned copies (after a copy or a restore). */
static void relink(s_command *c)
{
    if (c->text)
        c->pub.text = c->text;
    if (c->speech.count) {
        c->pub.parts = c->speech.parts;
        c->pub.part_count = c->speech.count;
    }
    if (spoken(c->pub.type))
        return; /* it owns nothing else (s_command) */
    c->pub.http.path = c->path;
    c->pub.http.query = c->query;
    c->pub.http.body = c->body;
    c->pub.http.idempotency_key = c->idempotency_key;
    c->pub.http.headers = c->headers;
    c->pub.http.header_count = c->header_count;
    c->pub.handoff.queue = c->queue;
    c->pub.handoff.context = c->context;
    if (c->reason) /* else the session's own words, which are never copied */
        c->pub.hangup.reason = c->reason;
}

int ivrsm_s_queue_push(ivrsm_session *s, s_command *c)
{
    if (c == &s->queue[s->queue_len]) {
        s->queue_len++;
        relink(c);
        return 0;
    }
    /* A command rebuilt on the heap (restore): copy it into the queue. */
    if (queue_reserve(s) != 0) {
        ivrsm_s_command_free(s, c);
        return -1;
    }
    if (s->queue == s->queue_inline) /* anything may be set in it */
        set_slot_dirt(s, (unsigned)s->queue_len, SLOT_ASK | SLOT_HTTP | SLOT_HANDOFF);
    s->queue[s->queue_len++] = *c;
    ivrsm_mem_free(s->mem, c);
    relink(&s->queue[s->queue_len - 1]);
    return 0;
}

void ivrsm_s_command_release(const ivrsm_session *s, s_command *c)
{
    const ivrsm_mem *mem = s->mem;
    ivrsm_s_speech_free(mem, &c->speech);
    ivrsm_mem_free(mem, c->text);
    if (spoken(c->pub.type))
        return; /* it owns nothing else, and the rest is zero (s_command) */
    ivrsm_mem_free(mem, c->queue);
    ivrsm_mem_free(mem, c->context);
    ivrsm_mem_free(mem, c->reason);
    if (c->http_texts) {
        ivrsm_mem_free(mem, c->http_texts); /* the http texts and headers, together */
    } else {
        ivrsm_mem_free(mem, c->path);
        ivrsm_mem_free(mem, c->query);
        ivrsm_mem_free(mem, c->body);
        ivrsm_mem_free(mem, c->idempotency_key);
        for (size_t i = 0; i < c->header_count; i++)
            ivrsm_mem_free(mem, (char *)c->headers[i].value);
        ivrsm_mem_free(mem, c->headers);
    }
}

void ivrsm_s_release_out(ivrsm_session *s)
{
    if (!s->has_out)
        return;
    s_command *c = &s->queue[s->queue_head - 1];
    /* The command whose result is awaited is kept for snapshots, where it is: nothing is built
     * in the queue until its answer has come and freed it (queue_reserve). */
    if (s->pending_id && c->pub.id == s->pending_id && !s->pending)
        s->pending = c;
    else
        ivrsm_s_command_release(s, c);
    s->has_out = false;
    if (s->queue_head == s->queue_len)
        s->queue_head = s->queue_len = 0;
}

const s_command *ivrsm_s_pending_command(const ivrsm_session *s)
{
    /* Nothing is awaited once the call has ended, even if the command pulled last was kept. */
    if (!s->pending_id)
        return NULL;
    if (s->pending)
        return s->pending;
    /* Still queued, or the command the host pulled last (its slot is kept until the next call). */
    for (size_t i = s->queue_head - (s->has_out ? 1 : 0); i < s->queue_len; i++)
        if (s->queue[i].pub.id == s->pending_id)
            return &s->queue[i];
    return NULL;
}

const ivrsm_command *ivrsm_session_pending_command(const ivrsm_session *s)
{
    const s_command *c = s ? ivrsm_s_pending_command(s) : NULL;
    return c ? &c->pub : NULL;
}

void ivrsm_s_queue_clear(ivrsm_session *s)
{
    ivrsm_s_release_out(s);
    for (size_t i = s->queue_head; i < s->queue_len; i++)
        ivrsm_s_command_release(s, &s->queue[i]);
    s->queue_head = s->queue_len = 0;
}

const ivrsm_command *ivrsm_session_next_command(ivrsm_session *s)
{
    if (!s)
        return NULL;
    ivrsm_s_release_out(s);
    if (s->queue_head >= s->queue_len || s->failed)
        return NULL;
    s->has_out = true;
    return &s->queue[s->queue_head++].pub;
}

static const char *type_name(ivrsm_command_type t)
{
    switch (t) {
    case IVRSM_COMMAND_SAY:
        return "say";
    case IVRSM_COMMAND_ASK:
        return "ask";
    case IVRSM_COMMAND_HTTP:
        return "http";
    case IVRSM_COMMAND_HANDOFF:
        return "handoff";
    case IVRSM_COMMAND_HANGUP:
        return "hangup";
    }
    return "unknown";
}

/* o[k] = v unless v is NULL; nonzero when memory ran out. */
static int set_str(json_t *o, const char *k, const char *v)
{
    return v ? json_object_set_new(o, k, json_string(v)) != 0 : 0;
}

/*
 * A JSON text of the command read back into *out (NULL when it is not JSON):
 * read as jansson reads it, but telling a text that is not JSON from memory
 * that ran out, which jansson does not. Nonzero when memory ran out (the
 * command's JSON form is then not made at all).
 */
static int parse_json(const char *text, json_t **out)
{
    return ivrsm_s_response_read(ivrsm_mem_default(), NULL, text, strlen(text), NULL, out) ==
           IVRSM_ENOMEM;
}

json_t *ivrsm_s_command_to_json(const ivrsm_command *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0; /* a member that could not be made: no JSON form at all */
    bad |= json_object_set_new(o, "type", json_string(type_name(c->type)));
    bad |= json_object_set_new(o, "id", json_integer((json_int_t)c->id));
    bad |= set_str(o, "state", c->state);
    bad |= set_str(o, "text", c->text);
    if (c->part_count)
        bad |= json_object_set_new(o, "parts", ivrsm_s_parts_to_json(c->parts, c->part_count));
    bad |= set_str(o, "language", c->language);
    switch (c->type) {
    case IVRSM_COMMAND_ASK: {
        bad |= json_object_set_new(o, "dtmf", json_boolean(c->ask.dtmf));
        bad |= json_object_set_new(o, "speech", json_boolean(c->ask.speech));
        bad |= json_object_set_new(o, "min_digits", json_integer(c->ask.min_digits));
        bad |= json_object_set_new(o, "max_digits", json_integer(c->ask.max_digits));
        bad |= set_str(o, "terminators", c->ask.terminators);
        bad |= json_object_set_new(o, "timeout_ms", json_integer(c->ask.timeout_ms));
        bad |= json_object_set_new(o, "digit_timeout_ms", json_integer(c->ask.digit_timeout_ms));
        bad |= json_object_set_new(o, "barge_in", json_boolean(c->ask.barge_in));
        bad |= set_str(o, "collect", c->ask.collect);
        json_t *hints = json_array();
        for (size_t i = 0; hints && i < c->ask.hint_count; i++)
            bad |= json_array_append_new(hints, json_string(c->ask.hints[i]));
        bad |= json_object_set_new(o, "hints", hints);
        break;
    }
    case IVRSM_COMMAND_HTTP: {
        bad |= set_str(o, "endpoint", c->http.endpoint);
        bad |= set_str(o, "method", c->http.method);
        bad |= set_str(o, "path", c->http.path);
        bad |= set_str(o, "query", c->http.query);
        json_t *h = json_object();
        for (size_t i = 0; h && i < c->http.header_count; i++)
            if (c->http.headers[i].name && c->http.headers[i].value)
                bad |= json_object_set_new(h, c->http.headers[i].name,
                                           json_string(c->http.headers[i].value));
        bad |= json_object_set_new(o, "headers", h);
        if (c->http.body) {
            json_t *b = NULL;
            bad |= parse_json(c->http.body, &b);
            if (!bad && !b) /* not JSON: kept as the text it is */
                b = json_string(c->http.body);
            bad |= json_object_set_new(o, "body", b);
        }
        bad |= set_str(o, "idempotency_key", c->http.idempotency_key);
        bad |= json_object_set_new(o, "timeout_ms", json_integer(c->http.timeout_ms));
        break;
    }
    case IVRSM_COMMAND_HANDOFF: {
        bad |= set_str(o, "queue", c->handoff.queue);
        json_t *ctx = NULL;
        if (c->handoff.context)
            bad |= parse_json(c->handoff.context, &ctx);
        if (json_is_object(ctx))
            bad |= json_object_set_new(o, "context", ctx);
        else
            json_decref(ctx);
        break;
    }
    case IVRSM_COMMAND_HANGUP:
        bad |= set_str(o, "reason", c->hangup.reason);
        break;
    case IVRSM_COMMAND_SAY:
        break;
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *ivrsm_command_to_json(const ivrsm_command *c)
{
    if (!c)
        return NULL;
    json_t *o = ivrsm_s_command_to_json(c);
    if (!o)
        return NULL;
    /* A command does not know its session: the default allocator, as ivrsm.h says. */
    ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
    ivrsm_buf_dump_json(&b, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return ivrsm_buf_give(&b);
}

/* A copy of the string o[k] (NULL when there is none); *nomem set when it cannot be made. */
static char *jstr(const ivrsm_session *s, const json_t *o, const char *k, bool *nomem)
{
    const char *v = json_string_value(json_object_get(o, k));
    char *copy = ivrsm_mem_strdup(s->mem, v);
    *nomem |= v && !copy;
    return copy;
}

/* The JSON text of v (NULL when v is); *nomem set when it cannot be made. */
static char *jdump(const ivrsm_session *s, const json_t *v, size_t flags, bool *nomem)
{
    char *text = v ? ivrsm_s_dump(s, v, flags) : NULL;
    *nomem |= v && !text;
    return text;
}

static int jint(const json_t *o, const char *k)
{
    return (int)json_integer_value(json_object_get(o, k));
}

static int parse_type(const char *t)
{
    static const char *names[] = {"say", "ask", "http", "handoff", "hangup"};
    for (int i = 0; t && i < 5; i++)
        if (!strcmp(t, names[i]))
            return i + 1;
    return 0;
}

int ivrsm_s_command_from_json(ivrsm_session *s, const json_t *j, s_command **out)
{
    *out = NULL;
    int type = parse_type(json_string_value(json_object_get(j, "type")));
    json_t *id = json_object_get(j, "id");
    if (!type || !json_is_integer(id))
        return IVRSM_ESNAPSHOT;
    s_command *c = ivrsm_mem_calloc(s->mem, 1, sizeof(*c));
    if (!c)
        return IVRSM_ENOMEM;
    bool nomem = false;
    c->pub.size = sizeof(c->pub);
    c->pub.type = (ivrsm_command_type)type;
    c->pub.id = (uint64_t)json_integer_value(id);
    int32_t st = ivrsm_m_find_state(s->m, json_string_value(json_object_get(j, "state")));
    c->pub.state = st >= 0 ? s->m->states[st].name : NULL;
    c->text = jstr(s, j, "text", &nomem);
    c->pub.text = c->text;
    /* Commands saved before parts existed carry their words in `text` only. */
    json_t *parts = json_object_get(j, "parts");
    int prc = parts ? ivrsm_s_parts_from_json(s->mem, parts, &c->speech)
              : ivrsm_s_speech_add(s->mem, &c->speech, IVRSM_PART_SAY, c->text) != 0 ? IVRSM_ENOMEM
                                                                                     : 0;
    if (prc != 0) {
        ivrsm_s_command_free(s, c);
        return prc == IVRSM_ENOMEM || nomem ? IVRSM_ENOMEM : IVRSM_ESNAPSHOT;
    }
    /* The language is one of the machine's: point at its tag. */
    const char *language = json_string_value(json_object_get(j, "language"));
    size_t lang = 0;
    for (size_t i = 0; language && i < s->m->language_count; i++)
        if (!strcmp(s->m->language_tags[i], language)) {
            c->pub.language = s->m->language_tags[i];
            lang = i;
        }
    if (type == IVRSM_COMMAND_ASK) {
        c->pub.ask.dtmf = json_is_true(json_object_get(j, "dtmf"));
        c->pub.ask.speech = json_is_true(json_object_get(j, "speech"));
        c->pub.ask.min_digits = jint(j, "min_digits");
        c->pub.ask.max_digits = jint(j, "max_digits");
        c->pub.ask.timeout_ms = jint(j, "timeout_ms");
        c->pub.ask.digit_timeout_ms = jint(j, "digit_timeout_ms");
        c->pub.ask.barge_in = json_is_true(json_object_get(j, "barge_in"));
        /* Strings of an ask live in the machine: take them from the state again. */
        if (st >= 0) {
            const m_state *ms = &s->m->states[st];
            c->pub.ask.hints = ms->phrases ? ms->phrases[lang].hints : NULL;
            c->pub.ask.hint_count = ms->phrases ? ms->phrases[lang].hint_count : 0;
            c->pub.ask.collect =
                ms->collect.mode ? ivrsm_collect_mode_name(ms->collect.mode) : NULL;
            const char *term = json_string_value(json_object_get(j, "terminators"));
            const char *own =
                ms->collect.mode == IVRSM_COLLECT_DIGITS ? ms->collect.terminator : NULL;
            c->pub.ask.terminators =
                (term && *term) ? (own ? own : s->m->limits.dtmf_terminator) : "";
        }
    } else if (type == IVRSM_COMMAND_HTTP) {
        const char *ep = json_string_value(json_object_get(j, "endpoint"));
        const char *method = json_string_value(json_object_get(j, "method"));
        int32_t e = ep ? ivrsm_m_find_endpoint(s->m, ep) : M_NONE;
        c->pub.http.endpoint = e != M_NONE ? s->m->endpoints[e].name : NULL;
        static const char *methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
        for (size_t i = 0; method && i < sizeof(methods) / sizeof(*methods); i++)
            if (!strcmp(methods[i], method))
                c->pub.http.method = methods[i];
        c->path = jstr(s, j, "path", &nomem);
        c->query = jstr(s, j, "query", &nomem);
        c->body = jdump(s, json_object_get(j, "body"), JSON_COMPACT | JSON_ENCODE_ANY, &nomem);
        c->idempotency_key = jstr(s, j, "idempotency_key", &nomem);
        c->pub.http.timeout_ms = jint(j, "timeout_ms");
        json_t *h = json_object_get(j, "headers");
        size_t n = json_object_size(h);
        if (n && st >= 0) {
            /* Header names live in the machine: find them on the state's action. */
            const m_kvlist *hl = &s->m->states[st].action.headers;
            c->headers = ivrsm_mem_calloc(s->mem, n, sizeof(ivrsm_header));
            nomem |= !c->headers;
            const char *k;
            json_t *v;
            json_object_foreach(h, k, v)
            {
                for (size_t i = 0; c->headers && i < hl->count; i++)
                    if (!strcmp(hl->items[i].key, k) && json_is_string(v)) {
                        c->headers[c->header_count].name = hl->items[i].key;
                        c->headers[c->header_count++].value = jstr(s, h, k, &nomem);
                    }
            }
        }
        if (!nomem && (!c->pub.http.method || !c->path)) {
            ivrsm_s_command_free(s, c);
            return IVRSM_ESNAPSHOT;
        }
    } else if (type == IVRSM_COMMAND_HANDOFF) {
        c->queue = jstr(s, j, "queue", &nomem);
        c->context = jdump(s, json_object_get(j, "context"), JSON_COMPACT, &nomem);
    } else if (type == IVRSM_COMMAND_HANGUP) {
        c->reason = jstr(s, j, "reason", &nomem);
    }
    if (nomem) {
        ivrsm_s_command_free(s, c);
        return IVRSM_ENOMEM;
    }
    relink(c);
    *out = c;
    return 0;
}
