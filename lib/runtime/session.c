/*
 * The step engine: one session per call, events in, commands out.
 *
 * Entering a state runs it: a listening state asks (or consumes input handed
 * on by the previous state), an action state emits its http command, a
 * handoff state its handoff, a prompt_end state says goodbye and hangs up.
 * Results and caller input then pick the next state. Every path is bounded
 * (see escalate()): a caller who is silent or confused forever, or a backend
 * that always fails, ends in a handoff or a hangup after a bounded number of
 * events. The semantics are those of DESIGN.md section 4, documented for
 * users in docs/runtime.md.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctx.h"
#include "redact.h"
#include "session.h"
#include "text.h"
#include "utf8.h"

static void goto_state(ivrsm_session *s, int32_t to, const char *reason);
static void escalate(ivrsm_session *s, const char *why);

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

ivrsm_tmpl_scope ivrsm_s_scope(const ivrsm_session *s)
{
    ivrsm_tmpl_scope sc = {.ctx_store = &s->ctx,
                           .resp_store = s->answers,
                           .resp_at = s->resp,
                           .answer_at = s->answer,
                           .globals = s->m->globals,
                           .now_store = s->now,
                           .numbers = {&s->numbers, &s->m->numbers},
                           .mem = s->mem,
                           .locale = s->m->languages[s->language]};
    return sc;
}

int ivrsm_s_render_text(const ivrsm_session *s, const ivrsm_tmpl *t, char **out)
{
    *out = NULL;
    if (!t)
        return 0;
    char stack[512];
    ivrsm_buf b;
    ivrsm_buf_on(&b, s->mem, stack, sizeof(stack));
    ivrsm_tmpl_scope sc = ivrsm_s_scope(s);
    if (ivrsm_tmpl_render_speech(t, &sc, &b) != 0 || b.failed) {
        int rc = b.failed == IVRSM_BUF_PAST_LIMIT ? IVRSM_ELIMIT : IVRSM_ENOMEM;
        ivrsm_buf_free(&b);
        return rc;
    }
    if (!b.data || b.len == 0) {
        ivrsm_buf_free(&b);
        return 0;
    }
    *out = ivrsm_buf_steal(&b);
    return *out ? 0 : IVRSM_ENOMEM;
}

char *ivrsm_s_concat(const ivrsm_session *s, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *out = ivrsm_mem_malloc(s->mem, la + lb + 1);
    if (out) {
        memcpy(out, a, la);
        memcpy(out + la, b, lb + 1);
    }
    return out;
}

char *ivrsm_s_dump(const ivrsm_session *s, const json_t *j, size_t flags)
{
    ivrsm_buf b = IVRSM_BUF_INIT(s->mem);
    if (ivrsm_buf_dump_json(&b, j, flags) != 0) {
        ivrsm_buf_free(&b);
        return NULL;
    }
    return ivrsm_buf_steal(&b);
}

/* The hot fields fill the block's first four lines, and the first command slot starts on the
 * next one (session.h). */
_Static_assert(offsetof(struct ivrsm_session, queue_inline) == 4 * IVRSM_CACHE_LINE,
               "the hot fields of a session are its first four cache lines");
_Static_assert(offsetof(struct ivrsm_session, step_ms) + sizeof(int64_t) <=
                   offsetof(struct ivrsm_session, queue_inline),
               "the clock, its argument and the step's reading are hot fields: every event reads "
               "the clock and writes its reading");
_Static_assert(IVRSM_MAX_STATES <= INT16_MAX, "a state's index fits the ring of recent states");

/*
 * An event touches its session's hot fields, the command slot its command is
 * built in and the visit counts. With many live calls fed in any order, the
 * session is rarely in the cache, and each of those lines would be fetched
 * only when the step reaches it, one memory round trip after another (a step
 * runs more instructions than the processor looks ahead). Asked for together
 * before the step starts, they come in about one round trip.
 */
void ivrsm_s_prefetch(const ivrsm_session *s)
{
    const char *at = (const char *)s;
    for (size_t i = 0; i < offsetof(struct ivrsm_session, queue_inline); i += IVRSM_CACHE_LINE)
        __builtin_prefetch(at + i, 1);
    /* The lines of the first slot a say or an ask writes (ivrsm_s_command_new); the command
     * pulled last, released now, was in the same slot. */
    const char *slot = (const char *)&s->queue_inline[0];
    __builtin_prefetch(slot, 1);
    __builtin_prefetch(slot + offsetof(ivrsm_command, http) - 1, 1);
    __builtin_prefetch(slot + offsetof(ivrsm_command, hangup), 1);
    __builtin_prefetch(slot + offsetof(s_command, http_texts) - 1, 1);
    /* The visit counts: the first two lines at once (all of them for a machine of up to 56
     * states), without waiting for the machine's size; past them, the current state's line (the
     * next state is not known yet), once the first line has come. */
    const char *visits = (const char *)s->visits;
    __builtin_prefetch(visits, 1);
    __builtin_prefetch(visits + IVRSM_CACHE_LINE, 1);
    size_t mine = (size_t)(s->state > 0 ? s->state : 0) * sizeof(*s->visits);
    if (mine >= 2 * IVRSM_CACHE_LINE - offsetof(struct ivrsm_session, visits) % IVRSM_CACHE_LINE)
        __builtin_prefetch(visits + mine, 1);
}

void ivrsm_s_fail(ivrsm_session *s)
{
    s->failed = IVRSM_ENOMEM;
}

static void sync_language(ivrsm_session *s);

ivrsm_val ivrsm_s_ctx(const ivrsm_session *s)
{
    return ivrsm_vstore_root(&s->ctx);
}

const char *ivrsm_s_numtext(void *user, const json_t *real)
{
    const ivrsm_session *s = user;
    const char *text = ivrsm_numtexts_find(&s->numbers, real);
    return text ? text : ivrsm_numtexts_find(&s->m->numbers, real);
}

json_t *ivrsm_s_ctx_json(const ivrsm_session *s)
{
    return ivrsm_val_json(ivrsm_s_ctx(s));
}

int ivrsm_s_ctx_from_json(ivrsm_session *s, const json_t *j)
{
    uint32_t at;
    if (ivrsm_vstore_put_json(&s->ctx, j, ivrsm_s_numtext, s, &at) != 0)
        return IVRSM_ENOMEM;
    if (s->ctx.root != IVRSM_VSTORE_NONE)
        ivrsm_vstore_drop(&s->ctx, s->ctx.root);
    ivrsm_vstore_set_root(&s->ctx, at);
    s->language_checked = false;
    return 0;
}

/* The room ctx's block keeps past its data for the next writes (an answer's values are put
 * before the ones they replace become garbage): half its data and 64 bytes. */
static size_t ctx_room(size_t len)
{
    return len / 2 + 64;
}

/* Whether ctx's block would give back memory once `garbage` of its bytes are moved out. */
static bool would_shrink(const ivrsm_vstore *ctx, size_t garbage)
{
    size_t len = ctx->len - garbage;
    return ctx->cap > len + 2 * ctx_room(len);
}

/*
 * What an event's writes replaced is garbage: the live data moves back to the
 * block's start (in place) when it is a quarter of the block. A call waiting
 * for its caller (seconds: most live calls) gives back what its block has
 * beyond twice its room; one waiting for its backend (milliseconds) keeps it
 * for the answer's writes. Before a wait for the caller, garbage is also
 * moved out when that lets the block give back memory: garbage the block
 * keeps anyway, within its room, costs no memory, and moving it out would
 * cost a copy of the whole ctx at each caller's turn.
 */
/*
 * ctx's garbage moved out. An answer in ctx's block (one a snapshot carried, restored there
 * until the next result replaces it) moves with the live tree: the session's offsets of it are
 * the only ones, and every scope reads them afresh. It once kept ctx from compacting at all
 * until the next backend answer, at the end of an event as within one: a restored call whose
 * menu rewrote a value grew by that value at each turn, up to the store's bound (1 GiB), where
 * it failed for lack of memory.
 */
static void compact_ctx(ivrsm_session *s)
{
    if (s->answers == &s->ctx && (s->resp != IVRSM_VSTORE_NONE || s->answer != IVRSM_VSTORE_NONE)) {
        uint32_t keep[2] = {s->resp, s->answer};
        ivrsm_vstore_compact_keeping(&s->ctx, keep, 2);
        s->resp = keep[0];
        s->answer = keep[1];
    } else {
        ivrsm_vstore_compact(&s->ctx);
    }
}

void ivrsm_s_ctx_tidy(ivrsm_session *s)
{
    bool waits_for_caller = s->phase != PHASE_HTTP;
    if (s->ctx.garbage > s->ctx.len / 4 ||
        (s->ctx.garbage > 64 && waits_for_caller && would_shrink(&s->ctx, s->ctx.garbage)))
        compact_ctx(s);
    if (waits_for_caller && would_shrink(&s->ctx, 0))
        ivrsm_vstore_shrink(&s->ctx, ctx_room(s->ctx.len));
}

/* What ctx holds, garbage aside: the size IVRSM_MAX_CTX_BYTES bounds. */
static size_t ctx_live(const ivrsm_session *s)
{
    return (size_t)s->ctx.len - s->ctx.garbage;
}

/* A put into ctx's block is done (rc 0): IVRSM_ELIMIT when ctx passed its bound with it. */
static int ctx_bounded(const ivrsm_session *s, int rc)
{
    return rc == 0 && ctx_live(s) > IVRSM_MAX_CTX_BYTES ? IVRSM_ELIMIT : rc;
}

/* put_value(): a text rendered for the value would pass IVRSM_MAX_TEXT_BYTES. */
#define S_TEXT_PAST_LIMIT 1
/* apply_set_writes(): the value would nest ctx deeper than S_MAX_CTX_DEPTH. */
#define S_TOO_DEEP 2

/*
 * How deep ctx may nest: a dotted key of IVRSM_MAX_DEPTH parts holding a value as deep (a
 * backend's answer, a host's ctx). A `set:` that copies ctx into a key of itself at each turn
 * of a menu nests it one key deeper each time: past this, its snapshot (at most
 * 4 * IVRSM_MAX_DEPTH levels, requests made of ctx included) would no longer restore.
 */
#define S_MAX_CTX_DEPTH (2 * IVRSM_MAX_DEPTH)

/* Whether value v may hold a copy of a part of ctx. Others nest no deeper than the documents
 * they come from (the machine's literals, a backend's answer: IVRSM_MAX_DEPTH each), which a
 * snapshot holds under any key; only copies of ctx into ctx compound. */
static bool may_copy_ctx(const m_value *v)
{
    if (v->kind == MV_TEMPLATE)
        return ivrsm_tmpl_is_ctx_path(v->tmpl);
    if (v->kind == MV_OBJECT || v->kind == MV_ARRAY)
        for (size_t i = 0; i < v->count; i++)
            if (may_copy_ctx(&v->items[i]))
                return true;
    return false;
}

/* Whether the value put at `at` for kv's key nests ctx deeper than S_MAX_CTX_DEPTH: the key's
 * parts and the value's own levels. */
static bool nests_too_deep(const ivrsm_session *s, const m_kv *kv, uint32_t at)
{
    ivrsm_val v = ivrsm_vstore_at(&s->ctx, at);
    json_type type = ivrsm_val_type(v);
    if ((type != JSON_OBJECT && type != JSON_ARRAY) || !may_copy_ctx(&kv->value))
        return false; /* most writes: a text, a number, an answer's list */
    int parts = 1;
    for (const char *p = kv->plain_len ? "" : kv->key; *p; p++)
        parts += *p == '.';
    int room = S_MAX_CTX_DEPTH - parts;
    return ivrsm_val_depth(v, room) > room;
}

/* Put the value of v into ctx's block (not linked yet): *at. 0, IVRSM_ENOMEM, S_TEXT_PAST_LIMIT,
 * or IVRSM_ELIMIT when ctx passed IVRSM_MAX_CTX_BYTES (each copy is checked as it is made: one
 * value may copy ctx many times over). */
static int put_value(ivrsm_session *s, const m_value *v, const ivrsm_tmpl_scope *sc, uint32_t *at)
{
    ivrsm_vstore *st = &s->ctx;
    switch (v->kind) {
    case MV_LITERAL:
        return ctx_bounded(s, ivrsm_vstore_put_json(st, v->literal, ivrsm_s_numtext, s, at));
    case MV_TEMPLATE: {
        ivrsm_val x;
        switch (ivrsm_tmpl_expr_value(v->tmpl, sc, &x)) {
        case IVRSM_TMPL_VALUE:
            return ctx_bounded(s, ivrsm_vstore_put_val(st, x, ivrsm_s_numtext, s, at));
        case IVRSM_TMPL_LITERAL: /* a copy of the template's: not the machine's number text */
            return ctx_bounded(s, ivrsm_vstore_put_json(st, x.j, NULL, NULL, at));
        default:
            break;
        }
        char stack[512];
        ivrsm_buf text;
        ivrsm_buf_on(&text, s->mem, stack, sizeof(stack));
        int rc =
            ivrsm_tmpl_render(v->tmpl, sc, &text) != 0 || text.failed
                ? (text.failed == IVRSM_BUF_PAST_LIMIT ? S_TEXT_PAST_LIMIT : IVRSM_ENOMEM)
                : ctx_bounded(s, ivrsm_vstore_put_string(st, ivrsm_buf_str(&text), text.len, at));
        ivrsm_buf_free(&text);
        return rc;
    }
    case MV_OBJECT:
    case MV_ARRAY:
        break;
    }
    uint32_t items_stack[16];
    uint32_t *items = items_stack;
    if (v->count > 16 && !(items = ivrsm_mem_malloc(s->mem, v->count * sizeof(*items))))
        return IVRSM_ENOMEM;
    uint32_t mark = st->len;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < v->count; i++)
        rc = put_value(s, &v->items[i], sc, &items[i]);
    if (rc == 0)
        rc = v->kind == MV_OBJECT
                 ? ivrsm_vstore_put_object(st, (const char *const *)v->keys, items, v->count, at)
                 : ivrsm_vstore_put_array(st, items, v->count, at);
    if (rc != 0)
        ivrsm_vstore_truncate(st, mark);
    if (items != items_stack)
        ivrsm_mem_free(s->mem, items);
    return rc;
}

/* ctx key `key` was written (or removed) other than by a `set:`: ctx.language may have changed
 * with it, to be checked by the next `set:` (sync_language()). */
static void ctx_key_written(ivrsm_session *s, const char *key)
{
    if (ivrsm_m_key_writes_language(key))
        s->language_checked = false;
}

/*
 * Make the writes of a `set:`. false when the step cannot go on as the machine says: memory
 * ran out (the session failed), or a value would pass IVRSM_MAX_TEXT_BYTES or ctx
 * IVRSM_MAX_CTX_BYTES (a `set:` that doubles a text at each turn of a menu, or copies ctx
 * into itself): that write is not made, and the call is escalated, as at any bound.
 */
static bool apply_set_writes(ivrsm_session *s, const m_kvlist *set);

static inline bool apply_set(ivrsm_session *s, const m_kvlist *set)
{
    return !set->count /* most routes: nothing to write, nothing to check */
           || apply_set_writes(s, set);
}

__attribute__((noinline)) static bool apply_set_writes(ivrsm_session *s, const m_kvlist *set)
{
    if (set->writes_language)
        s->language_checked = false; /* also when a write below fails half-way */
    for (size_t i = 0; i < set->count; i++) {
        m_kv *kv = &set->items[i];
        /* Values replaced within one event are garbage until the event ends (ivrsm_s_ctx_tidy):
         * a run of steps rewriting a large value compacts before the garbage outgrows ctx's
         * bound. */
        if (s->ctx.garbage > IVRSM_MAX_CTX_BYTES)
            compact_ctx(s);
        ivrsm_tmpl_scope sc = ivrsm_s_scope(s);
        uint32_t mark = s->ctx.len;
        uint32_t at;
        int rc = put_value(s, &kv->value, &sc, &at);
        if (rc == 0 && nests_too_deep(s, kv, at))
            rc = S_TOO_DEEP;
        if (rc == IVRSM_ELIMIT || rc == S_TEXT_PAST_LIMIT || rc == S_TOO_DEEP) {
            ivrsm_vstore_truncate(&s->ctx, mark);
            escalate(s, rc == IVRSM_ELIMIT ? "call data too large"
                        : rc == S_TOO_DEEP ? "call data too deep"
                                           : "text too large");
            return false;
        }
        if (rc != 0 ||
            (kv->plain_len
                 ? ivrsm_ctx_store_set_member(&s->ctx, kv->key, kv->plain_len, at, &kv->hint)
                 : ivrsm_ctx_store_set_hinted(&s->ctx, kv->key, at, &kv->hint)) == IVRSM_ENOMEM) {
            ivrsm_s_fail(s);
            return false;
        }
    }
    /* ctx.language is checked after a `set:` that may have written it, or when something else
     * may have since the last check (a collect, a restored snapshot): the check would find
     * nothing to do otherwise. */
    if (set->writes_language || !s->language_checked)
        sync_language(s);
    return true;
}

static const m_state *cur(const ivrsm_session *s)
{
    return &s->m->states[s->state];
}

/* Queue message `msg` to be said before the next command (merged into an ask). */
static void say_message(ivrsm_session *s, const m_message *msg)
{
    msg = ivrsm_m_message_in(msg, s->language);
    int rc = ivrsm_s_speech_render(s, msg, &s->said);
    if (rc == IVRSM_ELIMIT)
        /* A part that would pass IVRSM_MAX_TEXT_BYTES is left out; the rest is said. */
        ivrsm_s_trace_note(s, "text_too_large", "a part of a prompt left out");
    else if (rc != 0)
        ivrsm_s_fail(s);
}

/* Hand everything queued to be said to command c (its parts and its words). */
static void give_said(ivrsm_session *s, s_command *c)
{
    ivrsm_s_speech_move(s->mem, &s->said, &c->speech);
    if (c->speech.count == 1 && c->speech.parts[0].type == IVRSM_PART_SAY) {
        /* The words are the one part's: shown, not copied (a parked call holds them once). */
        c->pub.text = c->speech.parts[0].text;
        return;
    }
    c->text = ivrsm_s_speech_text(s->mem, c->speech.parts, c->speech.count);
    c->pub.text = c->text;
    if (!c->text && ivrsm_s_speech_has_words(&c->speech))
        ivrsm_s_fail(s);
}

/* Queue command c, built in place by ivrsm_s_command_new(); dropped once the step has failed. */
static void push(ivrsm_session *s, s_command *c)
{
    if (s->failed) {
        ivrsm_s_command_discard(s, c);
        return;
    }
    if (ivrsm_s_queue_push(s, c) != 0) {
        ivrsm_s_fail(s);
        return;
    }
    if (ivrsm_s_tracing(s))
        ivrsm_s_trace_command(s, &s->queue[s->queue_len - 1].pub);
}

static void flush_say(ivrsm_session *s)
{
    if (!s->said.count || s->failed)
        return;
    s_command *c = ivrsm_s_command_new(s, IVRSM_COMMAND_SAY);
    if (!c) {
        ivrsm_s_fail(s);
        return;
    }
    give_said(s, c);
    push(s, c);
}

/* ------------------------------------------------------------------------
 * The call's language (ctx.language)
 * ---------------------------------------------------------------------- */

int ivrsm_s_ctx_language(const ivrsm_session *s)
{
    size_t len;
    const char *tag = ivrsm_val_str(ivrsm_val_get(ivrsm_s_ctx(s), "language"), &len);
    return tag ? ivrsm_m_language_index(s->m, tag) : -1;
}

/*
 * ctx.language was maybe written (a route's set, an action's answer): follow
 * it when it names one of the machine's languages, from the next thing said
 * or heard on. What was queued to be said in the language before goes out
 * first, in that language. Any other value is refused: ctx.language is put
 * back to the call's language, so it always tells the truth.
 */
static void sync_language(ivrsm_session *s)
{
    /* Where ctx.language was found last, in any session (value.h: any hint is safe). */
    static ivrsm_member_hint language_hint;
    const ivrsm_vstore *ctx = &s->ctx;
    uint32_t at =
        ctx->root == IVRSM_VSTORE_NONE
            ? IVRSM_VSTORE_NONE
            : ivrsm_vstore_member(ctx, ctx->root, "language", strlen("language"), &language_hint);
    size_t n;
    const char *now = ivrsm_val_str(ivrsm_vstore_at(ctx, at), &n);
    if (now && !strcmp(now, s->m->language_tags[s->language])) {
        s->language_checked = true;
        return; /* the call's language, as the machine writes it: the usual case */
    }
    s->language_checked = false;
    int lang = ivrsm_s_ctx_language(s);
    const char *current = s->m->language_tags[s->language];
    if (lang < 0) {
        ivrsm_val was = ivrsm_val_get(ivrsm_s_ctx(s), "language");
        if (!ivrsm_val_missing(was) && ivrsm_s_tracing(s)) {
            json_t *j = ivrsm_val_json(was);
            char *text = j ? ivrsm_s_dump(s, j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
            json_decref(j);
            ivrsm_s_trace_note(s, "language_refused", text ? text : "?");
            ivrsm_mem_free(s->mem, text);
        }
        if (ivrsm_ctx_store_set_string(&s->ctx, "language", current) != 0)
            ivrsm_s_fail(s);
        else
            s->language_checked = true; /* written as the fast path above finds it */
        return;
    }
    if ((size_t)lang != s->language) {
        flush_say(s);
        s->language = (size_t)lang;
        ivrsm_s_trace_note(s, "language", s->m->language_tags[lang]);
    }
    size_t len;
    const char *written = ivrsm_val_str(ivrsm_val_get(ivrsm_s_ctx(s), "language"), &len);
    if (strcmp(written, s->m->language_tags[lang]) != 0 && /* "en" is written "en-US" */
        ivrsm_ctx_store_set_string(&s->ctx, "language", s->m->language_tags[lang]) != 0)
        ivrsm_s_fail(s);
    else
        s->language_checked = true;
}

void ivrsm_s_start_language(ivrsm_session *s)
{
    s->language = 0;
    sync_language(s);
}

/* Hang up for `reason`, a string literal (the command shows it, no copy). */
static void end_call(ivrsm_session *s, const char *reason)
{
    if (s->failed)
        return;
    flush_say(s);
    s_command *c = ivrsm_s_command_new(s, IVRSM_COMMAND_HANGUP);
    if (!c) {
        ivrsm_s_fail(s);
        return;
    }
    c->pub.hangup.reason = reason; /* a string of the library's: not copied */
    push(s, c);
    s->phase = PHASE_ENDED;
    s->pending_id = 0;
}

/* ------------------------------------------------------------------------
 * Asking
 * ---------------------------------------------------------------------- */

/* The state's own prompt: prompt_template when present, else prompt (NULL: none). */
static const m_message *state_prompt(const m_state *st)
{
    return st->prompt.prompt_template ? st->prompt.prompt_template : st->prompt.prompt;
}

/* Whether input no route of st takes goes on to st->next (unmatched()). */
static bool hands_input_on(const m_state *st)
{
    return st->next >= 0 && !st->collect.mode && !st->nomatch.present;
}

/* The listening state that takes this state's input when no route does (model.h). */
static const m_state *input_consumer(const ivrsm_session *s, const m_state *st)
{
    return ivrsm_m_input_consumer(s->m, st);
}

const m_collect *ivrsm_s_input_collect(const ivrsm_session *s)
{
    if (s->state < 0)
        return NULL;
    const m_state *st = &s->m->states[s->state];
    if (st->collect.mode)
        return &st->collect;
    const m_state *to = input_consumer(s, st);
    return to && to->collect.mode ? &to->collect : NULL;
}

static void fill_ask(const ivrsm_session *s, const m_state *st, ivrsm_command *c)
{
    const m_limits *l = s->limits;
    /* The keypad was worked out at load for each language (model/ask_keys.c). */
    m_ask_keys mine;
    const m_ask_keys *k = st->ask_keys ? &st->ask_keys[s->language] : &mine;
    if (!st->ask_keys)
        ivrsm_m_ask_keys(s->m, st, s->language, &mine);
    c->ask.dtmf = k->dtmf;
    c->ask.speech = 1;
    c->ask.barge_in = 1;
    c->ask.min_digits = k->min_digits;
    c->ask.max_digits = k->max_digits;
    c->ask.terminators = k->terminators;
    c->ask.timeout_ms = l->noinput_timeout_ms;
    c->ask.digit_timeout_ms = l->digit_timeout_ms;
    c->ask.hints = st->phrases ? st->phrases[s->language].hints : NULL;
    c->ask.hint_count = st->phrases ? st->phrases[s->language].hint_count : 0;
    c->ask.collect = k->collect;
}

/*
 * The last ask's words, when the session owns them, are shared with the ask
 * command that said them (see remember_ask()). A queued command still
 * showing them takes them over, the latest one: commands are released in
 * order, so the others, which only show them, go first.
 */
static void give_back_ask(ivrsm_session *s)
{
    s_command *heir = NULL;
    if (s->last_ask_owned.count) {
        size_t first = s->queue_head - (s->has_out ? 1 : 0);
        for (size_t i = first; i < s->queue_len; i++)
            if (s->queue[i].pub.parts == s->last_ask_owned.parts)
                heir = &s->queue[i];
    }
    if (heir) {
        heir->speech = s->last_ask_owned;
        heir->text = s->last_ask_text_owned;
        memset(&s->last_ask_owned, 0, sizeof(s->last_ask_owned));
    } else {
        ivrsm_s_speech_free(s->mem, &s->last_ask_owned);
        ivrsm_mem_free(s->mem, s->last_ask_text_owned);
    }
    s->last_ask_text_owned = NULL;
    s->ask_owned = false;
}

/* A machine's words are only shown: the fields that own words (past the command slots) are
 * then not touched. */
static void forget_ask(ivrsm_session *s)
{
    if (s->ask_owned)
        give_back_ask(s);
    s->last_ask_parts = NULL;
    s->last_ask_count = 0;
    s->last_ask_text = NULL;
}

/*
 * Remember what an ask said, for re-prompts of states without a prompt. Words
 * rendered for this call are not copied: the session takes them from the
 * command, which keeps showing them (a parked session holds its question
 * once).
 */
static void remember_ask(ivrsm_session *s, s_command *cmd, bool machine_owned)
{
    const ivrsm_command *c = &cmd->pub;
    if (!c->part_count || c->parts == s->last_ask_parts)
        return;
    forget_ask(s);
    if (machine_owned) {
        s->last_ask_parts = c->parts;
        s->last_ask_count = c->part_count;
        s->last_ask_text = c->text;
        return;
    }
    s->ask_owned = true;
    s->last_ask_owned = cmd->speech;
    s->last_ask_text_owned = cmd->text; /* NULL when the text is the one part's (give_said) */
    memset(&cmd->speech, 0, sizeof(cmd->speech));
    cmd->text = NULL;
    s->last_ask_parts = s->last_ask_owned.parts;
    s->last_ask_count = s->last_ask_owned.count;
    s->last_ask_text = c->text;
}

/*
 * Ask with message `msg`, after anything queued to be said. A message that
 * says nothing (NULL, or blank once rendered) asks the last question again:
 * a listen state's question was said by the state before it.
 */
static void ask_message(ivrsm_session *s, const m_message *msg)
{
    const m_state *st = cur(s);
    msg = ivrsm_m_message_in(msg, s->language);
    if (s->failed)
        return;
    s_command *c = ivrsm_s_command_new(s, IVRSM_COMMAND_ASK);
    if (!c) {
        ivrsm_s_fail(s);
        return;
    }
    bool machine_owned = false;
    if (!s->said.count && msg && msg->fixed_count) {
        /* The common case, a prompt without {{...}} and nothing said before: no copy. */
        c->pub.text = msg->fixed_text;
        c->pub.parts = msg->fixed;
        c->pub.part_count = msg->fixed_count;
        machine_owned = true;
    } else {
        say_message(s, msg);
        if (!s->said.count && s->last_ask_count) {
            /* Asked again: the same words, shown, not copied. */
            c->pub.text = s->last_ask_text;
            c->pub.parts = s->last_ask_parts;
            c->pub.part_count = s->last_ask_count;
            machine_owned = true;
        } else {
            if (!s->said.count &&
                ivrsm_s_speech_append(s->mem, &s->said, s->last_ask_parts, s->last_ask_count) != 0)
                ivrsm_s_fail(s);
            give_said(s, c);
        }
    }
    fill_ask(s, st, &c->pub);
    push(s, c);
    if (s->failed)
        return;
    s->phase = PHASE_INPUT;
    remember_ask(s, &s->queue[s->queue_len - 1], machine_owned);
}

/*
 * The re-prompt after the count-th silence (or misunderstanding) in a row:
 * the state's own list, else the globals' one, the last one repeating;
 * NULL when neither has one (the state's prompt is said again).
 */
static const m_message *reprompt_message(const ivrsm_session *s, const m_state *st, bool noinput,
                                         int count)
{
    const m_messages *l = noinput ? &st->noinput.prompts : &st->nomatch.prompts;
    if (!l->count)
        l = noinput ? &s->m->reprompt_noinput : &s->m->reprompt_nomatch;
    l = ivrsm_m_messages_in(l, s->language);
    if (!l->count || count < 1)
        return NULL;
    size_t i = (size_t)count - 1;
    return l->items[i < l->count ? i : l->count - 1];
}

/* Ask again after a silence (noinput) or a misunderstanding, the count-th in a row: the
 * re-prompt, followed by the state's prompt when repeat_prompt says so. */
static void reprompt(ivrsm_session *s, bool noinput, int count)
{
    const m_state *st = cur(s);
    const m_message *msg = reprompt_message(s, st, noinput, count);
    const m_counter *block = noinput ? &st->noinput : &st->nomatch;
    bool repeat = block->repeat_prompt_set ? block->repeat_prompt : s->m->reprompt_repeat_prompt;
    const m_message *question = state_prompt(st);
    if (msg && repeat && question) {
        say_message(s, msg);
        ask_message(s, question);
        return;
    }
    ask_message(s, msg ? msg : question);
}

/* ------------------------------------------------------------------------
 * Bounds and escalation
 * ---------------------------------------------------------------------- */

/*
 * A bound was hit. The first time, hand the caller to a human when handoff is
 * enabled (the machine's handoff state) and the business is open
 * (globals.hours), else say goodbye (its prompt_end state); the second time,
 * say goodbye; after that, or when there is nowhere to go, hang up.
 */
static void escalate(ivrsm_session *s, const char *why)
{
    const ivrsm_machine *m = s->m;
    ivrsm_s_trace_note(s, "escalation", why);
    char reason[96];
    snprintf(reason, sizeof(reason), "escalation:%s", why);
    int32_t target = M_NONE;
    if (s->escalations == 0 && m->handoff_enabled && m->handoff_state >= 0 &&
        s->state != m->handoff_state) {
        if (ivrsm_s_open_now(s))
            target = m->handoff_state;
        else
            /* Nobody would answer: a queue outside business hours is a caller left waiting. */
            ivrsm_s_trace_note(s, "escalation", "closed: no handoff");
    }
    if (target < 0 && s->escalations <= 1 && m->goodbye_state >= 0 && s->state != m->goodbye_state)
        target = m->goodbye_state;
    s->escalations++;
    if (target >= 0) {
        /* The target may have been visited often already: this one entry is allowed. */
        s->entering_escalation = true;
        goto_state(s, target, reason);
        return;
    }
    end_call(s, "escalation");
}

/*
 * One more failure in a row (silence, no-match, a failed collect, a wrong input
 * to an action). Returns true when the call-wide bound is reached and the call
 * was escalated: the bound wins over a state's own limit reached by the same
 * failure, so that it cuts every loop a machine can make of its states' limits.
 */
static bool count_failure(ivrsm_session *s)
{
    if (++s->consecutive_failures >= s->limits->max_consecutive_failures) {
        escalate(s, "consecutive failures");
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------------
 * Entering states
 * ---------------------------------------------------------------------- */

static void handle_input(ivrsm_session *s, ivrsm_event_type type, const char *text,
                         double confidence, bool carried);
static void start_action(ivrsm_session *s, const m_state *st);
static void start_handoff(ivrsm_session *s, const m_state *st);

static void take_route(ivrsm_session *s, const m_state *st, int route, const char *via);
static int entry_route(const ivrsm_session *s, const m_state *st);

static void run_state(ivrsm_session *s)
{
    const m_state *st = cur(s);
    /* Routes on data are tried first, before the state speaks or listens. */
    if (st->has_entry_routes) {
        int route = entry_route(s, st);
        if (route >= 0) {
            take_route(s, st, route, "when");
            return;
        }
    }
    switch (st->type) {
    case M_PROMPT_AND_LISTEN:
    case M_LISTEN:
        if (s->carrying) {
            s_input in = s->carry;
            memset(&s->carry, 0, sizeof(s->carry));
            s->carrying = false;
            handle_input(s, in.type, in.text ? in.text : "", in.confidence, true);
            ivrsm_mem_free(s->mem, in.text);
            return;
        }
        ask_message(s, state_prompt(st));
        return;
    case M_ACTION_THEN_PROMPT:
        start_action(s, st);
        return;
    case M_HANDOFF:
        start_handoff(s, st);
        return;
    case M_PROMPT_END:
        say_message(s, state_prompt(st));
        end_call(s, "goodbye");
        return;
    case M_DECIDE:
        /* No condition held: the else branch. */
        if (st->next >= 0)
            goto_state(s, st->next, "next");
        else
            escalate(s, "no next state");
        return;
    case M_STATE_TYPE_COUNT:
        break;
    }
    end_call(s, "error");
}

static void goto_state(ivrsm_session *s, int32_t to, const char *reason)
{
    if (s->phase == PHASE_ENDED || s->failed)
        return;
    const m_limits *l = s->limits;
    if (to < 0 || (size_t)to >= s->m->state_count) {
        escalate(s, "no next state");
        return;
    }
    /* The escalation's own target is entered whatever the bounds say. */
    bool exempt = s->entering_escalation;
    s->entering_escalation = false;
    if (++s->steps > l->max_steps_per_event && !exempt) {
        /* A cycle without caller input: stop it rather than spin. */
        if (s->escalations > 1 || s->steps > 2 * l->max_steps_per_event)
            end_call(s, "loop");
        else
            escalate(s, "too many steps without input");
        return;
    }
    int32_t from = s->state;
    ivrsm_s_trace_transition(s, from, to, reason);
    if (to != from) {
        s->noinput = s->nomatch = s->retries = 0;
    }
    s->state = to;
    s->path[s->path_pos++ % S_PATH_LEN] = to;
    if (s->visits[to] < UINT16_MAX)
        s->visits[to]++;
    if (s->visits[to] > l->max_state_visits && !exempt) {
        escalate(s, "state visited too often");
        return;
    }
    run_state(s);
}

/* ------------------------------------------------------------------------
 * Caller input
 * ---------------------------------------------------------------------- */

static void take_route(ivrsm_session *s, const m_state *st, int route, const char *via)
{
    const m_route *r = &st->routes[route];
    /* Only the text is read: the rest of the array is not cleared at every route taken. */
    char reason[160];
    memcpy(reason, "route", sizeof("route"));
    char *long_reason = NULL;
    if (ivrsm_s_tracing(s)) {
        if (r->kind == M_ROUTE_INTENT)
            snprintf(reason, sizeof(reason), "%s:%s", via, s->m->intents[r->intent].name);
        else if (r->kind == M_ROUTE_TEXT)
            snprintf(reason, sizeof(reason), "text:%s", r->text);
        else if ((size_t)snprintf(reason, sizeof(reason), "when:%s", ivrsm_tmpl_source(r->when)) >=
                 sizeof(reason))
            /* The whole condition: coverage finds the route by it. */
            long_reason = ivrsm_s_concat(s, "when:", ivrsm_tmpl_source(r->when));
    }
    /* Only the caller's input ends a run of failures: a route on data does not. */
    if (r->kind != M_ROUTE_CONDITION)
        s->consecutive_failures = 0;
    if (apply_set(s, &r->set))
        goto_state(s, r->next, long_reason ? long_reason : reason);
    ivrsm_mem_free(s->mem, long_reason);
}

/* The first condition route of st whose condition holds, or -1. */
static int entry_route(const ivrsm_session *s, const m_state *st)
{
    for (size_t i = 0; i < st->route_count; i++)
        if (st->routes[i].kind == M_ROUTE_CONDITION && ivrsm_s_route_holds(s, &st->routes[i]))
            return (int)i;
    return -1;
}

static void take_fallback(ivrsm_session *s, const m_state *st)
{
    if (apply_set(s, &st->fallback.set))
        goto_state(s, st->fallback.next, "fallback");
}

/*
 * Silence or no-match in a state. With the state's block: below max,
 * re-prompt; at max, take its next. Without: the globals' limit, then the
 * fallback, then escalation.
 */
static void count_miss(ivrsm_session *s, bool noinput)
{
    const m_state *st = cur(s);
    const m_counter *block = noinput ? &st->noinput : &st->nomatch;
    int count = noinput ? ++s->noinput : ++s->nomatch;
    int limit =
        block->present ? block->max : (noinput ? s->limits->max_noinput : s->limits->max_nomatch);
    if (count_failure(s))
        return;
    if (count < limit) {
        reprompt(s, noinput, count);
        return;
    }
    const char *why = noinput ? "noinput" : "nomatch";
    if (block->present && block->next >= 0)
        goto_state(s, block->next, why);
    else if (st->fallback.present)
        take_fallback(s, st);
    else
        escalate(s, why);
}

/* An input no route took (and no collect value). */
static void unmatched(ivrsm_session *s, ivrsm_event_type type, const char *text, double confidence,
                      bool carried)
{
    const m_state *st = cur(s);
    if (st->nomatch.present) {
        count_miss(s, false);
        return;
    }
    /* Text that is not UTF-8 is garbage, a no-match here too: carried on, it would be the
     * next state's input and a part of every snapshot, which is JSON, until then. */
    bool has_text = (type == IVRSM_EVENT_DTMF || type == IVRSM_EVENT_SPEECH) && text &&
                    ivrsm_utf8_valid(text, strlen(text));
    if (hands_input_on(st) && has_text && !carried) {
        /* "Dites le code à nouveau": the next state consumes what was said. */
        s->carry.type = type;
        s->carry.text = ivrsm_mem_strdup(s->mem, text);
        s->carry.confidence = confidence;
        if (!s->carry.text) {
            ivrsm_s_fail(s);
            return;
        }
        s->carrying = true;
        goto_state(s, st->next, "next");
        return;
    }
    if (st->fallback.present) {
        if (count_failure(s))
            return;
        take_fallback(s, st);
        return;
    }
    count_miss(s, false);
}

/* key[0..size) = target then suffix, cut at size - 1 bytes (snprintf's "%s%s" without printf). */
static void suffixed_key(char *key, size_t size, const char *target, const char *suffix)
{
    size_t n = strlen(target), k = strlen(suffix);
    if (n > size - 1)
        n = size - 1;
    if (k > size - 1 - n)
        k = size - 1 - n;
    memcpy(key, target, n);
    memcpy(key + n, suffix, k);
    key[n + k] = '\0';
}

static void store_collected(ivrsm_session *s, const m_collect *c, const ivrsm_collect_value *v)
{
    const char *target = ivrsm_m_collect_target(c);
    if (c->mode == IVRSM_COLLECT_DATE_NL) {
        char key[160];
        suffixed_key(key, sizeof(key), target, "_from");
        ctx_key_written(s, key);
        if (ivrsm_ctx_store_set_string(&s->ctx, key, v->text) == IVRSM_ENOMEM)
            ivrsm_s_fail(s);
        suffixed_key(key, sizeof(key), target, "_to");
        ctx_key_written(s, key);
        if (ivrsm_ctx_store_set_string(&s->ctx, key, v->date_to) == IVRSM_ENOMEM)
            ivrsm_s_fail(s);
        return;
    }
    ctx_key_written(s, target);
    if (c->mode == IVRSM_COLLECT_DIGITS && c->has_range) {
        /* A number in a range (a score, an amount) is a number: a backend gets 4, not "4".
         * The parser wrote at most 18 digits without leading zeros (IVRSM_COLLECT_VALUE_MAX). */
        int64_t n = 0;
        for (const char *d = v->text; *d; d++)
            n = n * 10 + (*d - '0');
        uint32_t at;
        if (ivrsm_vstore_put_integer(&s->ctx, n, &at) != 0 ||
            ivrsm_ctx_store_set(&s->ctx, target, at) == IVRSM_ENOMEM)
            ivrsm_s_fail(s);
        return;
    }
    if (ivrsm_ctx_store_set_string(&s->ctx, target, v->text) == IVRSM_ENOMEM) {
        ivrsm_s_fail(s);
        return;
    }
    if (!strcmp(target, "language"))
        sync_language(s);
    if (c->mode == IVRSM_COLLECT_OTP) {
        /* The machine's own target, which lives as long as the session (it holds its
         * machine): no copy to make, none that could fail to be made. */
        ivrsm_s_otp_key_free(s);
        s->unverified_otp = target;
    }
}

void ivrsm_s_otp_key_free(ivrsm_session *s)
{
    if (s->unverified_otp_owned)
        ivrsm_mem_free(s->mem, (void *)(uintptr_t)s->unverified_otp);
    s->unverified_otp = NULL;
    s->unverified_otp_owned = false;
}

/*
 * An OTP is single-use: once an action has answered (the one that verified
 * it, typically the collecting state's own), the rest of the call does not
 * need it, so ctx and every later snapshot lose it.
 */
static void forget_otp(ivrsm_session *s)
{
    if (!s->unverified_otp)
        return;
    ctx_key_written(s, s->unverified_otp);
    ivrsm_vstore_remove(&s->ctx, s->unverified_otp);
    ivrsm_s_otp_key_free(s);
}

static bool required_present(const ivrsm_session *s, const m_collect *c)
{
    for (size_t i = 0; i < c->required_count; i++) {
        ivrsm_val v = ivrsm_val_get(ivrsm_s_ctx(s), c->required[i]);
        size_t len = 1;
        if (ivrsm_val_missing(v) || ivrsm_val_type(v) == JSON_NULL ||
            (ivrsm_val_str(v, &len) && len == 0))
            return false;
    }
    return true;
}

static void collect_failed(ivrsm_session *s)
{
    const m_state *st = cur(s);
    if (st->collect.retry.present) {
        if (count_failure(s))
            return;
        if (++s->retries >= st->collect.retry.max && st->collect.retry.on_fail_next >= 0) {
            goto_state(s, st->collect.retry.on_fail_next, "retry");
            return;
        }
        reprompt(s, false, s->retries);
        return;
    }
    unmatched(s, IVRSM_EVENT_NOMATCH, "", -1, true);
}

static void after_collect(ivrsm_session *s, const m_state *st)
{
    s->consecutive_failures = 0;
    if (st->action.present)
        start_action(s, st);
    else if (st->next >= 0)
        goto_state(s, st->next, "collected");
    else
        escalate(s, "no next state");
}

/* Whether the input is a value of the state's collect, stored, with the keys it requires;
 * *parsed: whether the collect read a value in it at all. */
static bool try_collect(ivrsm_session *s, const m_state *st, ivrsm_event_type type,
                        const char *text, bool *parsed)
{
    *parsed = false;
    const m_collect *c = &st->collect;
    if (type == IVRSM_EVENT_DTMF && !(c->allow_dtmf && s->limits->allow_dtmf))
        return false;
    ivrsm_collect_params p = {0};
    p.locale = s->m->languages[s->language];
    p.phone_plan = s->m->phone_region;
    p.tz = s->m->tz;
    p.now_ms = s->step_ms;
    p.otp_length = c->length > 0 ? c->length : s->limits->otp_length;
    p.digits_min = c->min;
    p.digits_max = c->max;
    p.digits_terminator = c->terminator ? c->terminator : s->limits->dtmf_terminator;
    p.digits_luhn = c->luhn;
    p.digits_range = c->has_range;
    p.digits_value_min = c->value_min;
    p.digits_value_max = c->value_max;
    p.asap_days = s->limits->asap_days;
    p.past_years = c->past_years;
    p.past_year_optional = c->past_year_optional;
    p.reference_patterns = c->patterns;
    /* On the stack (4 KB, beside the parser's words, which take four times that): a value was
     * an allocation of a size past the C library's caches at every collect. */
    ivrsm_collect_value v;
    bool ok =
        ivrsm_collect_parse(c->mode, &p, text, strlen(text), type == IVRSM_EVENT_DTMF, &v) == 0;
    if (ok)
        store_collected(s, c, &v);
    *parsed = ok;
    return ok && required_present(s, c);
}

static void handle_input(ivrsm_session *s, ivrsm_event_type type, const char *text,
                         double confidence, bool carried)
{
    const m_state *st = cur(s);
    if (type == IVRSM_EVENT_NOINPUT) {
        count_miss(s, true);
        return;
    }
    if (type == IVRSM_EVENT_NOMATCH) {
        unmatched(s, type, "", confidence, true);
        return;
    }
    s_match mt = ivrsm_s_match_routes(s, st, type, text, strlen(text), confidence);
    if (mt.kind == MATCH_ROUTE) {
        take_route(s, st, mt.route, type == IVRSM_EVENT_DTMF ? "dtmf" : "intent");
        return;
    }
    bool low_confidence = mt.why && !strcmp(mt.why, "low-confidence");
    if (st->collect.mode && type != IVRSM_EVENT_INTENT && !low_confidence) {
        bool parsed;
        bool collected = try_collect(s, st, type, text, &parsed);
        if (s->failed)
            return;
        if (collected) {
            after_collect(s, st);
            return;
        }
        /* "cero" to a ten-digit number: not a value, but the key of the technician's route. */
        int route = !parsed && type == IVRSM_EVENT_SPEECH
                        ? ivrsm_s_match_key_said(s, st, text, strlen(text))
                        : -1;
        if (route >= 0)
            take_route(s, st, route, "intent");
        else
            collect_failed(s);
        return;
    }
    unmatched(s, type, text, confidence, carried || low_confidence);
}

/* ------------------------------------------------------------------------
 * Actions and handoffs
 * ---------------------------------------------------------------------- */

/* Follow outcome o (its set, its prompt, its next or else the state's); `reason` names it in
 * traces ("success", "fail", "status:401", "timeout", "error"). */
static void outcome(ivrsm_session *s, const m_state *st, const m_outcome *o, bool success,
                    const char *reason)
{
    if (!o->present) {
        if (success && st->next >= 0)
            goto_state(s, st->next, reason);
        else
            escalate(s, success ? "no next state" : "action failed");
        return;
    }
    if (!apply_set(s, &o->set))
        return;
    say_message(s, o->prompt.prompt_template ? o->prompt.prompt_template : o->prompt.prompt);
    int32_t next = o->next >= 0 ? o->next : st->next;
    if (next >= 0)
        goto_state(s, next, reason);
    else
        escalate(s, "no next state");
}

/*
 * A failed action takes outcome o. Only a failure that `counts` (an answer
 * meaning the caller's input was wrong, globals.http.wrong_input) is held
 * against the OTP attempts and the failures in a row: an outage is not the
 * caller's doing.
 */
static void action_failed(ivrsm_session *s, const m_state *st, const char *why, const m_outcome *o,
                          const char *reason, bool counts)
{
    ivrsm_s_trace_note(s, "action_failed", why);
    if (counts && st->collect.mode == IVRSM_COLLECT_OTP &&
        ++s->otp_failures >= s->limits->otp_max_attempts) {
        escalate(s, "otp attempts");
        return;
    }
    if (counts && count_failure(s))
        return;
    outcome(s, st, o, false, reason);
}

static void start_action(ivrsm_session *s, const m_state *st)
{
    if (st->action.prompt_before)
        say_message(s, st->action.prompt_before);
    flush_say(s);
    /* resp is this action's answer: none yet, even if the request cannot be built. */
    ivrsm_s_forget_answer(s);
    const char *why = NULL;
    int rc = ivrsm_s_emit_http(s, st, &why);
    if (rc == IVRSM_ENOMEM) {
        ivrsm_s_fail(s);
        return;
    }
    if (rc != 0) {
        /* Not an answer, but a request this call cannot make: it counts, so that a machine
         * retrying it cannot loop. */
        action_failed(s, st, why ? why : "cannot build the request", &st->on_fail, "fail", true);
        return;
    }
    s->phase = PHASE_HTTP;
}

/* The handoff's context, whole, or NULL when memory ran out. */
static json_t *handoff_context(const ivrsm_session *s)
{
    json_t *c = json_object();
    if (!c)
        return NULL;
    int failed = json_object_set_new(c, "session_id", json_string(s->session_id));
    if (s->call_id)
        failed |= json_object_set_new(c, "call_id", json_string(s->call_id));
    failed |= json_object_set_new(c, "machine", json_string(s->m->name));
    failed |= json_object_set_new(c, "state", json_string(cur(s)->name));
    json_t *path = json_array();
    unsigned n = s->path_pos < S_PATH_LEN ? s->path_pos : S_PATH_LEN;
    for (unsigned i = s->path_pos - n; path && i < s->path_pos; i++)
        failed |=
            json_array_append_new(path, json_string(s->m->states[s->path[i % S_PATH_LEN]].name));
    failed |= json_object_set_new(c, "path", path);
    static const char *keys[] = {"partner_id", "appt_selected_id", "phone_e164", NULL};
    for (const char **k = keys; *k; k++) {
        ivrsm_val v = ivrsm_val_get(ivrsm_s_ctx(s), *k);
        if (!ivrsm_val_missing(v))
            failed |= json_object_set_new(c, *k, ivrsm_val_json(v));
    }
    json_t *ctx = ivrsm_s_ctx_json(s);
    failed |= json_object_set_new(c, "ctx", ctx ? ivrsm_redact(s->m, ctx) : NULL);
    json_decref(ctx);
    if (failed) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static void start_handoff(ivrsm_session *s, const m_state *st)
{
    if (!st->handoff.enabled) {
        ivrsm_s_trace_note(s, "handoff_disabled", st->name);
        if (st->on_fail.present)
            outcome(s, st, &st->on_fail, false, "fail");
        else if (s->m->goodbye_state >= 0 && s->escalations <= 1) {
            s->escalations = 2;
            s->entering_escalation = true;
            goto_state(s, s->m->goodbye_state, "handoff disabled");
        } else
            end_call(s, "handoff_disabled");
        return;
    }
    s_command *c = ivrsm_s_command_new(s, IVRSM_COMMAND_HANDOFF);
    if (!c) {
        ivrsm_s_fail(s);
        return;
    }
    say_message(s, st->handoff.prompt ? st->handoff.prompt : s->m->handoff_prompt);
    give_said(s, c);
    const ivrsm_tmpl *queue = st->handoff.queue ? st->handoff.queue : s->m->handoff_queue;
    int rc = ivrsm_s_render_text(s, queue, &c->queue);
    if (rc == IVRSM_ELIMIT)
        ivrsm_s_trace_note(s, "text_too_large", "the handoff's queue left out");
    else if (rc != 0)
        ivrsm_s_fail(s);
    c->pub.handoff.queue = c->queue;
    json_t *ctx = handoff_context(s);
    c->context = ctx ? ivrsm_s_dump(s, ctx, JSON_COMPACT) : NULL;
    json_decref(ctx);
    if (!c->context)
        ivrsm_s_fail(s);
    c->pub.handoff.context = c->context;
    if (s->failed) {
        ivrsm_s_command_discard(s, c);
        return;
    }
    ivrsm_s_command_free(s, s->pending);
    s->pending = NULL; /* kept from the queue when the host pulls it (ivrsm_s_release_out) */
    s->pending_id = c->pub.id;
    s->phase = PHASE_HANDOFF;
    push(s, c);
}

/*
 * What went wrong with an answer, as resp.error says it: NULL (nothing),
 * "timeout", "transport" (no answer), "invalid_json" (a 2xx whose body is not
 * JSON), "status" (any other status).
 */
static const char *answer_error(const ivrsm_event *ev, bool parsed)
{
    if (ev->status < 100 || ev->status > 599) {
        const char *e = ev->error ? ev->error : "";
        return strstr(e, "timeout") || strstr(e, "timed out") ? "timeout" : "transport";
    }
    if (ev->status < 200 || ev->status >= 300)
        return "status";
    if (!parsed || ev->error)
        return "invalid_json";
    return NULL;
}

typedef struct picked {
    const m_outcome *o;
    char reason[16];
    bool success;
} picked;

/*
 * The outcome of an answer, the most specific first: on_status (the status,
 * then its class) for an answer with a status, on_timeout for a timeout,
 * on_error for a timeout, no answer or a body that is not JSON; then
 * on_success or on_fail.
 */
static picked pick_outcome(const m_state *st, int status, const char *error)
{
    picked p = {&st->on_success, "success", error == NULL};
    if (!error || !strcmp(error, "status")) {
        const m_status_outcome *klass = NULL;
        for (size_t i = 0; i < st->on_status_count; i++) {
            int match = ivrsm_m_status_match(st->on_status[i].key, status);
            if (match == 2) {
                p.o = &st->on_status[i].outcome;
                snprintf(p.reason, sizeof(p.reason), "status:%s", st->on_status[i].key);
                return p;
            }
            if (match == 1 && !klass)
                klass = &st->on_status[i];
        }
        if (klass) {
            p.o = &klass->outcome;
            snprintf(p.reason, sizeof(p.reason), "status:%s", klass->key);
            return p;
        }
    }
    if (error && !strcmp(error, "timeout") && st->on_timeout.present) {
        p.o = &st->on_timeout;
        snprintf(p.reason, sizeof(p.reason), "timeout");
    } else if (error && strcmp(error, "status") && st->on_error.present) {
        p.o = &st->on_error;
        snprintf(p.reason, sizeof(p.reason), "error");
    } else if (error) {
        p.o = &st->on_fail;
        snprintf(p.reason, sizeof(p.reason), "fail");
    }
    return p;
}

/*
 * The answer has been used: only the outcomes of its own state read resp (the
 * loader refuses it anywhere else), so the session holds nothing of it while
 * it waits for the caller. A later state cannot see an earlier state's answer.
 */
void ivrsm_s_forget_answer(ivrsm_session *s)
{
    /* One restored into ctx's block: the last put first, its room is taken back at once when
     * nothing came after. A scratch store's is freed by its owner. */
    if (s->answers == &s->ctx && s->answer != IVRSM_VSTORE_NONE)
        ivrsm_vstore_drop(&s->ctx, s->answer);
    if (s->answers == &s->ctx && s->resp != IVRSM_VSTORE_NONE)
        ivrsm_vstore_drop(&s->ctx, s->resp);
    s->resp = s->answer = IVRSM_VSTORE_NONE;
    s->answers = &s->ctx;
}

static void take_answer(ivrsm_session *s, const ivrsm_event *ev, ivrsm_vstore *answers);

static void on_action_result(ivrsm_session *s, const ivrsm_event *ev)
{
    /* The code was collected before this answer's request went out: the request carried
     * it, its answer settles it. One collected while the answer moves the call on stays. */
    const char *otp = s->unverified_otp;
    bool owned = s->unverified_otp_owned;
    s->unverified_otp = NULL;
    s->unverified_otp_owned = false;
    ivrsm_vstore_scratch answers;
    ivrsm_vstore_scratch_on(&answers, s->mem);
    take_answer(s, ev, &answers.st);
    ivrsm_s_forget_answer(s);
    ivrsm_vstore_free(&answers.st);
    if (otp && !s->unverified_otp) {
        s->unverified_otp = otp;
        s->unverified_otp_owned = owned;
        forget_otp(s);
    } else if (owned) {
        ivrsm_mem_free(s->mem, (void *)(uintptr_t)otp);
    }
}

/* s->answer = {"status": status (when there is one), "error": error (when there is one)}. */
static int put_answer(ivrsm_session *s, ivrsm_vstore *st, int status, const char *error)
{
    uint32_t pairs[4], mark = st->len;
    size_t n = 0;
    if (status > 0 && (ivrsm_vstore_put_key(st, "status", 6, &pairs[0]) != 0 ||
                       ivrsm_vstore_put_integer(st, status, &pairs[1]) != 0))
        goto nomem;
    n += status > 0;
    if (error && (ivrsm_vstore_put_key(st, "error", 5, &pairs[2 * n]) != 0 ||
                  ivrsm_vstore_put_string(st, error, strlen(error), &pairs[2 * n + 1]) != 0))
        goto nomem;
    n += error != NULL;
    if (ivrsm_vstore_put_members(st, pairs, n, &s->answer) == 0)
        return 0;
nomem:
    ivrsm_vstore_truncate(st, mark);
    s->answer = IVRSM_VSTORE_NONE;
    return IVRSM_ENOMEM;
}

static void take_answer(ivrsm_session *s, const ivrsm_event *ev, ivrsm_vstore *answers)
{
    const m_state *st = cur(s);
    ivrsm_s_forget_answer(s);
    s->answers = answers;
    size_t len = ev->body ? (ev->body_len ? ev->body_len : strlen(ev->body)) : 0;
    /* The answer's numbers are said as the backend wrote them ("12.50"). */
    int body = ivrsm_s_answer_store(st, ev->body, len, answers, &s->resp);
    if (body == IVRSM_ENOMEM) {
        ivrsm_s_fail(s); /* not the backend's fault: the answer is not taken */
        return;
    }
    bool parsed = body == 0;
    const char *error = answer_error(ev, parsed); /* on_fail templates may read its body */
    if (st->resp_status_read && put_answer(s, answers, ev->status, error) != 0) {
        ivrsm_s_fail(s);
        return;
    }
    s->pending_id = 0;
    ivrsm_s_command_free(s, s->pending);
    s->pending = NULL;
    picked p = pick_outcome(st, ev->status, error);
    if (p.success) {
        s->consecutive_failures = 0;
        outcome(s, st, p.o, true, p.reason);
        return;
    }
    char why[96];
    if (ev->error)
        snprintf(why, sizeof(why), "%s", ev->error);
    else if (!strcmp(error, "invalid_json"))
        snprintf(why, sizeof(why), "%s",
                 body == S_BODY_TOO_LARGE  ? "response body larger than IVRSM_MAX_RESULT_BODY_BYTES"
                 : body == S_BODY_TOO_DEEP ? "response body nested deeper than IVRSM_MAX_DEPTH"
                                           : "invalid JSON body");
    else
        snprintf(why, sizeof(why), "status %d", ev->status);
    bool wrong_input =
        !strcmp(error, "status") && ivrsm_m_status_in(&s->limits->wrong_input, ev->status);
    action_failed(s, st, why, p.o, p.reason, wrong_input);
}

static void on_handoff_result(ivrsm_session *s, const ivrsm_event *ev)
{
    const m_state *st = cur(s);
    s->pending_id = 0;
    ivrsm_s_command_free(s, s->pending);
    s->pending = NULL;
    if (ev->ok) {
        if (st->on_success.present && (st->on_success.next >= 0 || st->next >= 0)) {
            outcome(s, st, &st->on_success, true, "success");
            return;
        }
        flush_say(s);
        ivrsm_s_trace_note(s, "handoff_done", st->name);
        s->phase = PHASE_ENDED;
        return;
    }
    if (st->on_fail.present) {
        outcome(s, st, &st->on_fail, false, "fail");
        return;
    }
    if (s->m->goodbye_state >= 0)
        goto_state(s, s->m->goodbye_state, "handoff failed");
    else
        end_call(s, "handoff_failed");
}

/* ------------------------------------------------------------------------
 * Entry points for session_api.c
 * ---------------------------------------------------------------------- */

void ivrsm_s_enter(ivrsm_session *s, int32_t to, const char *reason)
{
    goto_state(s, to, reason);
}

void ivrsm_s_on_input(ivrsm_session *s, ivrsm_event_type type, const char *text, double confidence)
{
    handle_input(s, type, text, confidence, false);
}

void ivrsm_s_on_action_result(ivrsm_session *s, const ivrsm_event *ev)
{
    on_action_result(s, ev);
}

void ivrsm_s_on_handoff_result(ivrsm_session *s, const ivrsm_event *ev)
{
    on_handoff_result(s, ev);
}
