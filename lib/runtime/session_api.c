/*
 * The public session functions: creating, starting, feeding (with the
 * checks that make events idempotent and results non-stale), accessors and
 * freeing. The step engine they drive is in session.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "json_scan.h"
#include "session.h"
#include "versioned.h"
#include "strmap.h"

static void set_err(ivrsm_error *err, int code, const char *msg)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
    err->code = code;
    snprintf(err->message, sizeof(err->message), "%s", msg);
}

/* The value at a dotted ctx key ("caller.number"), or missing. */
static ivrsm_val ctx_at(ivrsm_val ctx, const char *key)
{
    for (const char *p = key;;) {
        size_t n = strcspn(p, ".");
        if (n > M_CTX_KEY_PART_MAX)
            return ivrsm_val_of(NULL);
        ctx = ivrsm_val_getn(ctx, p, n);
        if (!p[n] || ivrsm_val_missing(ctx))
            return ctx;
        p += n + 1;
    }
}

/* ivrsm_input_type_holds() for a value of the store. */
static bool input_type_holds(m_input_type t, ivrsm_val v)
{
    json_type type = ivrsm_val_type(v);
    switch (t) {
    case M_INPUT_STRING:
        return type == JSON_STRING;
    case M_INPUT_NUMBER:
        return type == JSON_INTEGER || type == JSON_REAL;
    case M_INPUT_INTEGER:
        return type == JSON_INTEGER ||
               (type == JSON_REAL && ivrsm_val_real(v) == (double)(json_int_t)ivrsm_val_real(v));
    case M_INPUT_BOOLEAN:
        return type == JSON_TRUE || type == JSON_FALSE;
    case M_INPUT_OBJECT:
        return type == JSON_OBJECT;
    case M_INPUT_ARRAY:
        return type == JSON_ARRAY;
    case M_INPUT_ANY:
        return true;
    }
    return true;
}

/*
 * The machine's inputs in the session's ctx (the host's, already in its
 * block): a missing one takes its default; a missing required one, or one of
 * the wrong type, refuses the session.
 */
static int check_inputs(ivrsm_session *s, ivrsm_error *err)
{
    const ivrsm_machine *m = s->m;
    char msg[400];
    for (size_t i = 0; i < m->input_count; i++) {
        const m_input *in = &m->inputs[i];
        ivrsm_val v = ctx_at(ivrsm_s_ctx(s), in->pub.name);
        if (ivrsm_val_missing(v) || ivrsm_val_type(v) == JSON_NULL) {
            if (in->def) {
                /* No number text: a default's number is said as jansson writes it. */
                uint32_t at;
                if (ivrsm_vstore_put_json(&s->ctx, in->def, NULL, NULL, &at) != 0 ||
                    ivrsm_ctx_store_set(&s->ctx, in->pub.name, at) != 0) {
                    set_err(err, IVRSM_ENOMEM, "out of memory");
                    return IVRSM_ENOMEM;
                }
            } else if (in->pub.required) {
                snprintf(msg, sizeof(msg),
                         "ctx: the machine needs the input '%s' (%s), which the initial ctx "
                         "does not give",
                         in->pub.name, in->pub.type);
                set_err(err, IVRSM_EINVAL, msg);
                return IVRSM_EINVAL;
            }
            continue;
        }
        if (!input_type_holds(in->type, v)) {
            static const char *const kinds[] = {"an object", "an array", "a string", "an integer",
                                                "a number",  "true",     "false",    "null"};
            snprintf(msg, sizeof(msg), "ctx: the input '%s' must be %s %s, not %s", in->pub.name,
                     in->type == M_INPUT_INTEGER || in->type == M_INPUT_OBJECT ||
                             in->type == M_INPUT_ARRAY
                         ? "an"
                         : "a",
                     in->pub.type, kinds[ivrsm_val_type(v)]);
            set_err(err, IVRSM_EINVAL, msg);
            return IVRSM_EINVAL;
        }
    }
    return 0;
}

/* The options' limits over the machine's, in a copy of the session's own (most sessions
 * share the machine's). 0 or IVRSM_ENOMEM. An ask's keypad is worked out at load from the
 * machine's allow_dtmf, dtmf_terminator and otp_length (ivrsm_m_ask_keys()): an option
 * changing one of those would have to work it out again. */
static int set_limits(ivrsm_session *s, const ivrsm_limits *l)
{
    m_limits mine = *s->limits;
    if (l->max_consecutive_failures > 0)
        mine.max_consecutive_failures = l->max_consecutive_failures;
    if (l->max_state_visits > 0)
        mine.max_state_visits =
            l->max_state_visits < UINT16_MAX ? l->max_state_visits : UINT16_MAX - 1;
    if (l->max_steps_per_event > 0)
        mine.max_steps_per_event = l->max_steps_per_event;
    if (l->otp_max_attempts > 0)
        mine.otp_max_attempts = l->otp_max_attempts;
    if (l->min_confidence > 0 && l->min_confidence <= 1)
        mine.min_confidence = l->min_confidence;
    const m_limits *m = s->limits;
    if (mine.max_consecutive_failures == m->max_consecutive_failures &&
        mine.max_state_visits == m->max_state_visits &&
        mine.max_steps_per_event == m->max_steps_per_event &&
        mine.otp_max_attempts == m->otp_max_attempts && mine.min_confidence == m->min_confidence)
        return 0;
    if (!(s->limits_own = ivrsm_mem_malloc(s->mem, sizeof(mine))))
        return IVRSM_ENOMEM;
    *s->limits_own = mine;
    s->limits = s->limits_own;
    return 0;
}

/* The bytes of a session block of m: the visit counts at its end. */
static size_t block_size(const ivrsm_machine *m)
{
    return sizeof(struct ivrsm_session) + m->state_count * sizeof(uint16_t);
}

_Static_assert(sizeof(struct ivrsm_session) + IVRSM_MAX_STATES * sizeof(uint16_t) <=
                   IVRSM_POOL_MAX_BLOCK,
               "a session block of the largest machine fits a pool's chunk");

bool ivrsm_s_pooled(const ivrsm_mem *mem)
{
    return ivrsm_mem_is_default(mem) && !ivrsm_pool_checked();
}

ivrsm_pool *ivrsm_s_pool_new(const ivrsm_machine *m, const ivrsm_pool_source *source)
{
    /* The hot fields and the first command slot: what every event touches, on one 4 KB page
     * (pool.h). */
    size_t hot = offsetof(struct ivrsm_session, queue_inline) + sizeof(s_command);
    return ivrsm_pool_new(block_size(m), hot, source);
}

/* m's pool of session blocks, made by the first session that needs it; NULL when out of
 * memory. Sessions of one machine may start in several threads at once. */
static ivrsm_pool *session_pool(ivrsm_machine *m)
{
    ivrsm_pool *p = __atomic_load_n(&m->session_pool, __ATOMIC_ACQUIRE);
    if (p)
        return p;
    ivrsm_pool *mine = ivrsm_s_pool_new(m, NULL);
    if (!mine)
        return NULL;
    if (__atomic_compare_exchange_n(&m->session_pool, &p, mine, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return mine;
    ivrsm_pool_free(mine); /* another thread's came first: p is it */
    return p;
}

/* A zeroed session block of m, on a cache line: the hot fields and the first command slot
 * are then the block's first lines (session.h). */
static ivrsm_session *block_new(ivrsm_machine *m, const ivrsm_mem *mem)
{
    if (!ivrsm_s_pooled(mem))
        return ivrsm_mem_calloc_lines(mem, block_size(m));
    ivrsm_pool *p = session_pool(m);
    return p ? ivrsm_pool_get(p) : NULL;
}

/* Give back s's block (s->mem is in it: read before). */
static void block_free(ivrsm_machine *m, ivrsm_session *s)
{
    if (ivrsm_s_pooled(s->mem))
        ivrsm_pool_put(m->session_pool, s);
    else
        ivrsm_mem_free(s->mem, s);
}

size_t ivrsm_s_pool_bytes(const ivrsm_machine *m)
{
    const ivrsm_pool *p = __atomic_load_n(&m->session_pool, __ATOMIC_ACQUIRE);
    return p ? ivrsm_pool_bytes(p) : 0;
}

ivrsm_session *ivrsm_s_alloc(ivrsm_machine *m, const ivrsm_session_options *opts)
{
    const ivrsm_mem *mem = opts && opts->mem ? opts->mem : ivrsm_mem_default();
    ivrsm_session *s = block_new(m, mem);
    if (!s)
        return NULL;
    s->alloc = *mem;
    s->mem = &s->alloc;
    s->numbers.mem = s->mem;
    ivrsm_vstore_on(&s->ctx, s->mem);
    s->resp = s->answer = IVRSM_VSTORE_NONE;
    s->answers = &s->ctx;
    s->queue = s->queue_inline;
    s->queue_cap = S_QUEUE_INLINE;
    s->m = ivrsm_machine_ref(m);
    s->state = M_NONE;
    s->next_id = 1;
    s->limits = &m->limits;
    if (opts && opts->limits && set_limits(s, opts->limits) != 0) {
        ivrsm_session_free(s);
        return NULL;
    }
    if (opts) {
        s->clock = opts->clock;
        s->clock_user = opts->clock_user;
        s->trace = opts->trace;
        s->trace_user = opts->trace_user;
    }
    return s;
}

int ivrsm_s_options(const ivrsm_session_options *given, ivrsm_session_options *opts,
                    ivrsm_limits *limits)
{
    if (!ivrsm_versioned_copy(opts, sizeof(*opts), given,
                              IVRSM_LAYOUT_END(ivrsm_session_options, limits)))
        return IVRSM_EINVAL;
    if (opts->limits) {
        if (!ivrsm_versioned_copy(limits, sizeof(*limits), opts->limits,
                                  IVRSM_LAYOUT_END(ivrsm_limits, min_confidence)))
            return IVRSM_EINVAL;
        opts->limits = limits;
    }
    return opts->mem && !ivrsm_mem_valid(opts->mem) ? IVRSM_EINVAL : 0;
}

int ivrsm_session_new(ivrsm_machine *m, const ivrsm_session_options *given, ivrsm_session **out,
                      ivrsm_error *err)
{
    if (!m || !out)
        return IVRSM_EINVAL;
    ivrsm_session_options options;
    ivrsm_limits limits;
    const ivrsm_session_options *opts = given ? &options : NULL;
    if (given && ivrsm_s_options(given, &options, &limits) != 0) {
        set_err(err, IVRSM_EINVAL,
                "options or limits of an unknown size (use the _INIT macros), or an allocator "
                "without one of its functions");
        return IVRSM_EINVAL;
    }
    const char *bad_id =
        opts ? ivrsm_s_id_problem(opts->call_id, "call_id", IVRSM_MAX_ID_BYTES) : NULL;
    if (!bad_id && opts)
        bad_id = ivrsm_s_id_problem(opts->session_id, "session_id", IVRSM_MAX_ID_BYTES);
    if (bad_id) {
        set_err(err, IVRSM_EINVAL, bad_id);
        return IVRSM_EINVAL;
    }
    json_t *ctx = NULL; /* the host's, read by jansson; none: ctx starts empty in the block */
    if (opts && opts->ctx_json) {
        /* ctx goes into every snapshot, which must read back: no deeper than a machine. */
        if (!ivrsm_s_json_depth_within(opts->ctx_json, strlen(opts->ctx_json), IVRSM_MAX_DEPTH)) {
            set_err(err, IVRSM_EINVAL, "ctx_json nests deeper than IVRSM_MAX_DEPTH (64) levels");
            return IVRSM_EINVAL;
        }
        const ivrsm_mem *mem = opts->mem ? opts->mem : ivrsm_mem_default();
        if (ivrsm_s_json_text_read(mem, opts->ctx_json, &ctx) == IVRSM_ENOMEM)
            return IVRSM_ENOMEM;
        if (!json_is_object(ctx)) {
            char why[400];
            if (ctx) {
                snprintf(why, sizeof why, "ctx_json must be a JSON object, not %s",
                         json_is_array(ctx)    ? "a list"
                         : json_is_string(ctx) ? "a string"
                         : json_is_number(ctx) ? "a number"
                         : json_is_null(ctx)   ? "null"
                                               : "a boolean");
            } else {
                /* Not JSON: jansson says where and why (read again, on this path only), without
                 * quoting the text: ctx holds the call's tokens, and the message goes to logs. */
                json_error_t e;
                json_decref(json_loads(opts->ctx_json, JSON_DECODE_ANY, &e));
                char reason[200];
                ivrsm_json_error_unquoted(e.text, reason, sizeof reason);
                snprintf(why, sizeof why, "ctx_json is not JSON: %s (line %d, column %d)", reason,
                         e.line, e.column);
            }
            json_decref(ctx);
            set_err(err, IVRSM_EINVAL, why);
            return IVRSM_EINVAL;
        }
    }
    ivrsm_session *s = ivrsm_s_alloc(m, opts);
    int rc = s ? 0 : IVRSM_ENOMEM;
    /* The host's numbers are said as it wrote them ("12.50"): their texts are kept while its
     * ctx moves into the session's block, which keeps them with the values. */
    if (rc == 0 && ctx &&
        ivrsm_numtexts_scan(&s->numbers, ctx, opts->ctx_json, strlen(opts->ctx_json)) ==
            IVRSM_ENOMEM)
        rc = IVRSM_ENOMEM;
    if (rc == 0)
        rc =
            ctx ? ivrsm_s_ctx_from_json(s, ctx) : ivrsm_vstore_init_room(&s->ctx, m->ctx_root_room);
    json_decref(ctx);
    if (s)
        ivrsm_numtexts_purge(&s->numbers);
    if (rc == 0)
        rc = check_inputs(s, err);
    if (rc != 0) {
        ivrsm_session_free(s);
        return rc;
    }
    const char *call_id = opts ? opts->call_id : NULL;
    const char *session_id = opts ? opts->session_id : NULL;
    char generated[S_MAX_SESSION_ID_BYTES + 1];
    if (!session_id) {
        ivrsm_s_new_session_id(s, call_id, opts ? opts->rand : NULL, opts ? opts->rand_user : NULL,
                               generated, sizeof(generated));
        session_id = generated;
    }
    if (ivrsm_s_set_ids(s, call_id, session_id) != 0 ||
        (call_id && ivrsm_ctx_store_set_string(&s->ctx, "call_id", call_id) != 0) ||
        ivrsm_ctx_store_set_string(&s->ctx, "session_id", session_id) != 0) {
        ivrsm_session_free(s);
        return IVRSM_ENOMEM;
    }
    ivrsm_s_start_language(s);
    if (s->failed) {
        ivrsm_session_free(s);
        return IVRSM_ENOMEM;
    }
    /* A call's ctx never holds more (a `set:` past it escalates): one that starts past it
     * could do nothing but escalate at its first `set:`, and its snapshot would not restore.
     * Measured as the session starts: the host's ctx, the inputs' defaults and the ids. */
    if ((size_t)(s->ctx.len - s->ctx.garbage) > IVRSM_MAX_CTX_BYTES) {
        set_err(err, IVRSM_ELIMIT,
                "ctx_json holds more than IVRSM_MAX_CTX_BYTES (16 MiB) once read");
        ivrsm_session_free(s);
        return IVRSM_ELIMIT;
    }
    *out = s;
    return 0;
}

/*
 * After a step: 0, or IVRSM_ENOMEM when it could not be done whole. Its
 * commands are then withdrawn: a host must not run half a step. The session
 * answers IVRSM_ENOMEM from then on (docs/runtime.md, "When memory runs out").
 */
static int step_failed(ivrsm_session *s)
{
    if (!s->failed) {
        ivrsm_s_ctx_tidy(s);
        return 0;
    }
    ivrsm_s_queue_clear(s);
    ivrsm_s_speech_free(s->mem, &s->said);
    return s->failed;
}

/* Reads the host's clock for the step about to begin, into s->step_ms (0 without a clock);
 * false for a time outside the years 1 to 9999 (ivrsm.h), which is not kept: read before the
 * step changes anything, so that a refused start or event leaves the session as it was. */
static bool read_step_clock(ivrsm_session *s)
{
    if (!s->clock) {
        s->step_ms = 0;
        return true;
    }
    int64_t now = s->clock(s->clock_user);
    if (now < IVRSM_CLOCK_MIN_MS || now > IVRSM_CLOCK_MAX_MS)
        return false;
    s->step_ms = now;
    return true;
}

int ivrsm_session_start(ivrsm_session *s)
{
    if (!s)
        return IVRSM_EINVAL;
    if (s->failed)
        return s->failed;
    if (s->phase != PHASE_NEW)
        return IVRSM_ESTATE;
    if (!read_step_clock(s))
        return IVRSM_EINVAL;
    ivrsm_s_release_out(s);
    s->steps = 0;
    ivrsm_s_now_refresh(s);
    ivrsm_s_trace_note(s, "start", s->m->name);
    ivrsm_s_enter(s, s->m->initial, "start");
    return step_failed(s);
}

/* An event id's key among the recent ones (saved in snapshots; 0 means an empty slot). */
static uint64_t event_key(const char *id)
{
    uint64_t h = ivrsm_hash(id, strlen(id));
    return h ? h : 1;
}

static bool seen_event(ivrsm_session *s, const char *id)
{
    uint64_t h = event_key(id);
    for (unsigned i = 0; s->recent && i < S_RECENT_EVENTS; i++)
        if (s->recent[i] == h)
            return true;
    return false;
}

static int remember_event(ivrsm_session *s, const char *id)
{
    if (!s->recent && !(s->recent = ivrsm_mem_calloc(s->mem, S_RECENT_EVENTS, sizeof(uint64_t))))
        return IVRSM_ENOMEM;
    s->recent[s->recent_pos++ % S_RECENT_EVENTS] = event_key(id);
    return 0;
}

static bool is_input(ivrsm_event_type t)
{
    return t == IVRSM_EVENT_DTMF || t == IVRSM_EVENT_SPEECH || t == IVRSM_EVENT_INTENT ||
           t == IVRSM_EVENT_NOINPUT || t == IVRSM_EVENT_NOMATCH;
}

/* Whether the event fits what the session waits for. */
static int admissible(const ivrsm_session *s, const ivrsm_event *ev)
{
    if (ev->type < IVRSM_EVENT_DTMF || ev->type > IVRSM_EVENT_HANGUP)
        return IVRSM_EINVAL;
    if (ev->text && strlen(ev->text) > IVRSM_MAX_INPUT_BYTES)
        return IVRSM_ELIMIT;
    if (ev->type == IVRSM_EVENT_HANGUP)
        return 0;
    if (is_input(ev->type))
        return s->phase == PHASE_INPUT ? 0 : IVRSM_EUNEXPECTED;
    if (ev->type == IVRSM_EVENT_ACTION_RESULT)
        return (s->phase == PHASE_HTTP && ev->command_id == s->pending_id) ? 0 : IVRSM_ESTALE;
    return (s->phase == PHASE_HANDOFF && ev->command_id == s->pending_id) ? 0 : IVRSM_ESTALE;
}

/* A hint only: ivrsm_s_prefetch() asks for lines, reading nothing but the current state's index. */
void ivrsm_session_prefetch(const ivrsm_session *s)
{
    if (s)
        ivrsm_s_prefetch(s);
}

int ivrsm_session_feed(ivrsm_session *s, const ivrsm_event *given)
{
    ivrsm_event event;
    if (!s || !given)
        return IVRSM_EINVAL;
    ivrsm_s_prefetch(s);
    /* The caller's layout is this one (the usual case): a struct's copy, nothing to clear. */
    if (given->size == sizeof(event))
        event = *given;
    else if (!ivrsm_versioned_copy(&event, sizeof(event), given, IVRSM_LAYOUT_END(ivrsm_event, ok)))
        return IVRSM_EINVAL;
    const ivrsm_event *ev = &event;
    /* A zeroed event has no confidence, rather than the lowest one; NaN neither. */
    if (!(event.confidence > 0))
        event.confidence = -1;
    if (s->failed)
        return s->failed;
    if (s->phase == PHASE_NEW)
        return IVRSM_ESTATE;
    if (s->phase == PHASE_ENDED)
        return IVRSM_EENDED;
    ivrsm_s_release_out(s);
    if (s->failed)
        return step_failed(s);
    if (ev->event_id && seen_event(s, ev->event_id))
        return IVRSM_EDUPLICATE;
    int rc = admissible(s, ev);
    if (rc != 0)
        return rc;
    if (!read_step_clock(s))
        return IVRSM_EINVAL;
    if (ev->event_id && remember_event(s, ev->event_id) != 0) {
        ivrsm_s_fail(s);
        return step_failed(s);
    }
    if (ivrsm_s_tracing(s))
        ivrsm_s_trace_event(s, ev);
    s->steps = 0;
    ivrsm_s_now_refresh(s);
    switch (ev->type) {
    case IVRSM_EVENT_HANGUP:
        ivrsm_s_queue_clear(s);
        ivrsm_s_speech_free(s->mem, &s->said);
        s->phase = PHASE_ENDED;
        s->pending_id = 0;
        ivrsm_s_trace_note(s, "hangup", "caller");
        break;
    case IVRSM_EVENT_ACTION_RESULT:
        ivrsm_s_on_action_result(s, ev);
        break;
    case IVRSM_EVENT_HANDOFF_RESULT:
        ivrsm_s_on_handoff_result(s, ev);
        break;
    default: {
        const char *text = ev->text ? ev->text : "";
        ivrsm_s_on_input(s, ev->type, text, ev->confidence);
        break;
    }
    }
    return step_failed(s);
}

int ivrsm_session_ended(const ivrsm_session *s)
{
    return s && s->phase == PHASE_ENDED;
}

const char *ivrsm_session_state(const ivrsm_session *s)
{
    return (s && s->state >= 0) ? s->m->states[s->state].name : NULL;
}

int ivrsm_session_input_is_secret(const ivrsm_session *s)
{
    return s && ivrsm_s_input_is_secret(s);
}

const char *ivrsm_session_input_collect(const ivrsm_session *s)
{
    const m_collect *c = s ? ivrsm_s_input_collect(s) : NULL;
    return c ? ivrsm_collect_mode_name(c->mode) : NULL;
}

ivrsm_machine *ivrsm_session_machine(const ivrsm_session *s)
{
    return s ? s->m : NULL;
}

char *ivrsm_session_ctx_json(const ivrsm_session *s)
{
    if (!s)
        return NULL;
    json_t *ctx = ivrsm_s_ctx_json(s);
    ivrsm_buf b = IVRSM_BUF_INIT(s->mem);
    if (ctx)
        ivrsm_buf_dump_json(&b, ctx, JSON_COMPACT);
    else
        b.failed = 1;
    json_decref(ctx);
    return ivrsm_buf_give(&b);
}

size_t ivrsm_session_memory(const ivrsm_session *s)
{
    if (!s)
        return 0;
    size_t n = sizeof(*s) + s->m->state_count * sizeof(uint16_t) + ivrsm_vstore_memory(&s->ctx);
    if (s->limits_own)
        n += sizeof(*s->limits_own);
    if (s->recent)
        n += S_RECENT_EVENTS * sizeof(*s->recent);
    if (s->queue != s->queue_inline)
        n += s->queue_cap * sizeof(s_command);
    if (s->session_id)
        n += strlen(s->session_id) + 1;
    if (s->call_id)
        n += strlen(s->call_id) + 1;
    n += ivrsm_s_speech_memory(&s->last_ask_owned) + ivrsm_s_speech_memory(&s->said);
    if (s->last_ask_text_owned)
        n += strlen(s->last_ask_text_owned) + 1;
    if (s->pending)
        n += (ivrsm_s_command_in_queue(s, s->pending) ? 0 : sizeof(s_command)) +
             (s->pending->path ? strlen(s->pending->path) : 0) +
             (s->pending->body ? strlen(s->pending->body) : 0) + 64;
    return n;
}

void ivrsm_session_free(ivrsm_session *s)
{
    if (!s)
        return;
    const ivrsm_mem *mem = s->mem;
    /* The command pulled last first: when it is the pending one, it becomes s->pending, which
     * may be in a slot of the queue and is freed before the queue. */
    ivrsm_s_release_out(s);
    ivrsm_s_command_free(s, s->pending);
    ivrsm_s_queue_clear(s);
    if (s->queue != s->queue_inline)
        ivrsm_mem_free(mem, s->queue);
    ivrsm_mem_free(mem, s->carry.text);
    ivrsm_s_otp_key_free(s);
    ivrsm_s_speech_free(mem, &s->said);
    ivrsm_s_speech_free(mem, &s->last_ask_owned);
    ivrsm_mem_free(mem, s->last_ask_text_owned);
    ivrsm_mem_free(mem, s->session_id); /* call_id with it (ivrsm_s_set_ids) */
    ivrsm_vstore_free(&s->ctx);
    ivrsm_mem_free(mem, s->limits_own);
    ivrsm_mem_free(mem, s->recent);
    ivrsm_mem_free(mem, s->now); /* the store and its storage, one block (now.c) */
    ivrsm_numtexts_free(&s->numbers);
    /* The machine after the block: its pool goes with it. */
    ivrsm_machine *m = s->m;
    block_free(m, s);
    ivrsm_machine_unref(m);
}
