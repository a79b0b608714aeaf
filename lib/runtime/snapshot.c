/*
 * Saving and restoring a session as JSON, so a call survives a process
 * restart or moves to another host. States are saved by name (not index)
 * and the machine's name and version are checked on restore: a snapshot
 * restores on the same machine version, reloaded or in another process.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "session.h"

#define SNAPSHOT_FORMAT "ivrsm-session/1"
/*
 * The deepest a snapshot a session writes can nest: its own object around ctx,
 * where a dotted key makes at most IVRSM_MAX_DEPTH maps and the value there (an
 * answer's part, a machine's constant, the host's ctx_json) nests at most as
 * deep again, and around the last answer. A deeper text was not written by a
 * session, and reading it recurses once per level: jansson's 2048 overflowed a
 * host thread's stack of 512 KiB.
 */
#define SNAPSHOT_MAX_DEPTH (4 * IVRSM_MAX_DEPTH)

static const char *phase_names[] = {"new", "input", "http", "handoff", "ended"};

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The numbers kept as written under v ("12.50"), as [[root, key or index..., text], ...]:
 * the texts a value store's reals carry (value.h). 0, or -1 when memory ran out. */
static int store_number_texts_at(ivrsm_val v, json_t *at, json_t *out, int depth)
{
    if (depth > IVRSM_MAX_DEPTH)
        return 0;
    const char *text = ivrsm_val_numtext(v);
    if (text) {
        json_t *entry = json_copy(at);
        if (json_array_append_new(entry, json_string(text)) != 0) {
            json_decref(entry);
            return -1;
        }
        return json_array_append_new(out, entry);
    }
    json_type type = ivrsm_val_type(v);
    if (type != JSON_OBJECT && type != JSON_ARRAY)
        return 0;
    for (size_t i = 0; i < ivrsm_val_size(v); i++) {
        const char *k;
        size_t kl;
        ivrsm_val item = type == JSON_OBJECT ? ivrsm_val_member(v, i, &k, &kl) : ivrsm_val_at(v, i);
        json_t *step = type == JSON_OBJECT ? json_stringn(k, kl) : json_integer((json_int_t)i);
        if (json_array_append_new(at, step) != 0 ||
            store_number_texts_at(item, at, out, depth + 1) != 0)
            return -1;
        json_array_remove(at, json_array_size(at) - 1);
    }
    return 0;
}

/* All the numbers kept as written, or NULL when memory ran out. */
static json_t *number_texts(const ivrsm_session *s)
{
    json_t *out = json_array();
    json_t *at = out ? json_pack("[s]", "ctx") : NULL;
    if (!at || store_number_texts_at(ivrsm_s_ctx(s), at, out, 0) != 0) {
        json_decref(out);
        out = NULL;
    }
    json_decref(at);
    ivrsm_val resp = ivrsm_vstore_at(s->answers, s->resp);
    if (out && !ivrsm_val_missing(resp)) {
        at = json_pack("[s]", "resp");
        if (!at || store_number_texts_at(resp, at, out, 0) != 0) {
            json_decref(out);
            out = NULL;
        }
        json_decref(at);
    }
    return out;
}

/* Keep again the texts saved by number_texts(), for the snapshot's values at their places,
 * before they move into the session's blocks. */
static int restore_number_texts(ivrsm_session *s, const json_t *list, const json_t *ctx,
                                const json_t *resp)
{
    size_t i, k;
    const json_t *entry, *step;
    json_array_foreach(list, i, entry)
    {
        size_t n = json_array_size(entry);
        const char *root = json_string_value(json_array_get(entry, 0));
        const char *text = json_string_value(json_array_get(entry, n - 1));
        if (n < 3 || !root || !text)
            continue;
        const json_t *v = !strcmp(root, "ctx") ? ctx : !strcmp(root, "resp") ? resp : NULL;
        json_array_foreach(entry, k, step)
        {
            if (k == 0 || k == n - 1 || !v)
                continue;
            v = json_is_string(step)    ? json_object_get(v, json_string_value(step))
                : json_is_integer(step) ? json_array_get(v, (size_t)json_integer_value(step))
                                        : NULL;
        }
        if (v && ivrsm_numtexts_worth(&s->numbers, v, text, strlen(text)) &&
            ivrsm_numtexts_add(&s->numbers, v, text, strlen(text)) != 0)
            return -1;
    }
    return 0;
}

int ivrsm_session_snapshot(const ivrsm_session *s, char **out)
{
    if (!s || !out)
        return IVRSM_EINVAL;
    *out = NULL;
    /* A session whose step failed is half-way through it: nothing of it is saved. */
    if (s->failed)
        return s->failed;
    const ivrsm_machine *m = s->m;
    json_t *j = json_object();
    if (!j)
        return IVRSM_ENOMEM;
    /* Any value or member that cannot be made fails the whole snapshot: one with a part
     * missing would restore as another call. */
    int bad = 0;
    bad |= json_object_set_new(j, "format", json_string(SNAPSHOT_FORMAT));
    bad |= json_object_set_new(j, "machine", json_string(m->name));
    bad |= json_object_set_new(j, "version", json_string(m->version));
    bad |= json_object_set_new(j, "call_id", str_or_null(s->call_id));
    bad |= json_object_set_new(j, "session_id", json_string(s->session_id));
    bad |= json_object_set_new(j, "state",
                               s->state >= 0 ? json_string(m->states[s->state].name) : json_null());
    bad |= json_object_set_new(j, "phase", json_string(phase_names[s->phase]));
    bad |= json_object_set_new(j, "next_id", json_integer((json_int_t)s->next_id));
    bad |= json_object_set_new(j, "pending_id", json_integer((json_int_t)s->pending_id));
    bad |= json_object_set_new(j, "ctx", ivrsm_s_ctx_json(s));
    ivrsm_val resp = ivrsm_vstore_at(s->answers, s->resp);
    bad |= json_object_set_new(j, "resp",
                               ivrsm_val_missing(resp) ? json_null() : ivrsm_val_json(resp));
    if (s->answer != IVRSM_VSTORE_NONE)
        bad |= json_object_set_new(j, "answer",
                                   ivrsm_val_json(ivrsm_vstore_at(s->answers, s->answer)));
    json_t *numbers = number_texts(s);
    bad |= numbers == NULL;
    if (json_array_size(numbers))
        bad |= json_object_set(j, "numbers", numbers);
    json_decref(numbers);
    json_t *counters = json_object();
    bad |= json_object_set_new(counters, "noinput", json_integer(s->noinput));
    bad |= json_object_set_new(counters, "nomatch", json_integer(s->nomatch));
    bad |= json_object_set_new(counters, "retries", json_integer(s->retries));
    bad |= json_object_set_new(counters, "consecutive_failures",
                               json_integer(s->consecutive_failures));
    bad |= json_object_set_new(counters, "otp_failures", json_integer(s->otp_failures));
    bad |= json_object_set_new(counters, "escalations", json_integer(s->escalations));
    bad |= json_object_set_new(j, "counters", counters);
    json_t *visits = json_object();
    for (size_t i = 0; i < m->state_count; i++)
        if (s->visits[i])
            bad |= json_object_set_new(visits, m->states[i].name, json_integer(s->visits[i]));
    bad |= json_object_set_new(j, "visits", visits);
    json_t *recent = json_array();
    for (unsigned i = 0; i < S_RECENT_EVENTS; i++) {
        char hex[17];
        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)(s->recent ? s->recent[i] : 0));
        bad |= json_array_append_new(recent, json_string(hex));
    }
    bad |= json_object_set_new(j, "recent_events", recent);
    bad |= json_object_set_new(j, "recent_pos", json_integer(s->recent_pos));
    json_t *path = json_array();
    unsigned n = s->path_pos < S_PATH_LEN ? s->path_pos : S_PATH_LEN;
    for (unsigned i = s->path_pos - n; i < s->path_pos; i++)
        bad |= json_array_append_new(path, json_string(m->states[s->path[i % S_PATH_LEN]].name));
    bad |= json_object_set_new(j, "path", path);
    if (s->carrying) {
        json_t *c = json_object();
        bad |= json_object_set_new(c, "type", json_integer(s->carry.type));
        bad |= json_object_set_new(c, "text", str_or_null(s->carry.text));
        /* JSON has no NaN or infinity; the matcher takes those as "not given" (-1) too. */
        double confidence = isfinite(s->carry.confidence) ? s->carry.confidence : -1;
        bad |= json_object_set_new(c, "confidence", json_real(confidence));
        bad |= json_object_set_new(j, "carry", c);
    }
    if (s->unverified_otp)
        bad |= json_object_set_new(j, "unverified_otp", json_string(s->unverified_otp));
    char *pending_text = ivrsm_s_speech_text(s->mem, s->said.parts, s->said.count);
    bad |= !pending_text && ivrsm_s_speech_has_words(&s->said);
    bad |= json_object_set_new(j, "pending_say", str_or_null(pending_text));
    ivrsm_mem_free(s->mem, pending_text);
    bad |= json_object_set_new(j, "pending_parts",
                               ivrsm_s_parts_to_json(s->said.parts, s->said.count));
    bad |= json_object_set_new(j, "last_ask", str_or_null(s->last_ask_text));
    bad |= json_object_set_new(j, "last_ask_parts",
                               ivrsm_s_parts_to_json(s->last_ask_parts, s->last_ask_count));
    const s_command *pending = ivrsm_s_pending_command(s);
    bad |= json_object_set_new(j, "pending",
                               pending ? ivrsm_s_command_to_json(&pending->pub) : json_null());
    json_t *queue = json_array();
    for (size_t i = s->queue_head; i < s->queue_len; i++)
        bad |= json_array_append_new(queue, ivrsm_s_command_to_json(&s->queue[i].pub));
    bad |= json_object_set_new(j, "queue", queue);
    ivrsm_buf b = IVRSM_BUF_INIT(s->mem);
    if (!bad && ivrsm_buf_dump_json(&b, j, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0)
        *out = ivrsm_buf_give(&b);
    else
        ivrsm_buf_free(&b);
    json_decref(j);
    return *out ? 0 : IVRSM_ENOMEM;
}

static int fail(ivrsm_error *err, const char *msg)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        err->code = IVRSM_ESNAPSHOT;
        snprintf(err->message, sizeof(err->message), "snapshot: %s", msg);
    }
    return IVRSM_ESNAPSHOT;
}

/* Largest command id a snapshot may hold: every binding gives it back exactly (a JS number). */
#define SNAPSHOT_MAX_ID ((json_int_t)9007199254740991)

/*
 * o[k], an integer within 0..hi, in *out (0 when absent; o may be NULL). False when it is
 * anything else: a counter read as a C int from -1000000 or 2**40 (cut to 0) would undo the
 * bounds that end a silent or confused call.
 */
static bool get_count(const json_t *o, const char *k, json_int_t hi, json_int_t *out)
{
    const json_t *v = json_object_get(o, k);
    *out = 0;
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > hi)
        return false;
    *out = json_integer_value(v);
    return true;
}

static int get_int(const json_t *o, const char *k)
{
    return (int)json_integer_value(json_object_get(o, k));
}

/* The counters of snapshot j, each within its bound, into s; false on one out of range. */
static bool restore_counters(ivrsm_session *s, const json_t *j)
{
    static const char *const names[] = {
        "noinput", "nomatch", "retries", "consecutive_failures", "otp_failures", "escalations"};
    int *const fields[] = {&s->noinput,      &s->nomatch,    &s->retries, &s->consecutive_failures,
                           &s->otp_failures, &s->escalations};
    const json_t *c = json_object_get(j, "counters");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_int_t n;
        /* One below INT_MAX: the next failure still counts, without overflowing. */
        if (!get_count(c, names[i], INT_MAX - 1, &n))
            return false;
        *fields[i] = (int)n;
    }
    return true;
}

/* A copy of the string o[k] (NULL when there is none); *nomem set when it cannot be made. */
static char *get_str(const ivrsm_session *s, const json_t *o, const char *k, bool *nomem)
{
    const char *v = json_string_value(json_object_get(o, k));
    char *copy = ivrsm_mem_strdup(s->mem, v);
    *nomem |= v && !copy;
    return copy;
}

/*
 * The most ctx a call of machine m may hold when it is saved: what its `set:`s stop at
 * (IVRSM_MAX_CTX_BYTES, checked at each write) and what its collects may add past that after
 * the last one, each collect state's value (a caller's input, at most IVRSM_MAX_INPUT_BYTES)
 * under its key or two, and ctx.language made the tag of a language the machine speaks. A
 * snapshot past it was written by no call: restored, it would hold what no live call may,
 * and its next `set:` could only escalate.
 */
static size_t ctx_bound(const ivrsm_machine *m)
{
    size_t collects = 0;
    for (size_t i = 0; i < m->state_count; i++)
        collects += m->states[i].collect.mode != IVRSM_COLLECT_NONE;
    return IVRSM_MAX_CTX_BYTES + 1024 + collects * (IVRSM_MAX_INPUT_BYTES + 1024);
}

static int restore_fields(ivrsm_session *s, const json_t *j, ivrsm_error *err)
{
    const ivrsm_machine *m = s->m;
    const char *state = json_string_value(json_object_get(j, "state"));
    s->state = state ? ivrsm_m_find_state(m, state) : M_NONE;
    if (state && s->state < 0)
        return fail(err, "unknown state");
    const char *phase = json_string_value(json_object_get(j, "phase"));
    int p = -1;
    for (int i = 0; phase && i < 5; i++)
        if (!strcmp(phase, phase_names[i]))
            p = i;
    if (p < 0)
        return fail(err, "unknown phase");
    /* A session waiting for input or a result is in a state: the engine reads it. */
    if (s->state < 0 && p != PHASE_NEW && p != PHASE_ENDED)
        return fail(err, "no state for a session in progress");
    s->phase = (s_phase)p;
    json_int_t next_id, pending_id;
    if (!get_count(j, "next_id", SNAPSHOT_MAX_ID, &next_id) ||
        !get_count(j, "pending_id", SNAPSHOT_MAX_ID, &pending_id))
        return fail(err, "next_id or pending_id is not a command id");
    if (next_id == 0)
        return fail(err, "missing next_id");
    if (pending_id >= next_id)
        return fail(err, "pending_id is not an id given before next_id");
    s->next_id = (uint64_t)next_id;
    s->pending_id = (uint64_t)pending_id;
    json_t *ctx = json_object_get(j, "ctx");
    if (!json_is_object(ctx))
        return fail(err, "ctx is not an object");
    bool nomem = false; /* a part that could not be made: IVRSM_ENOMEM, not a bad snapshot */
    json_t *resp = json_object_get(j, "resp");
    if (json_is_null(resp))
        resp = NULL;
    json_t *answer = json_object_get(j, "answer");
    if (restore_number_texts(s, json_object_get(j, "numbers"), ctx, resp) != 0 ||
        ivrsm_s_ctx_from_json(s, ctx) != 0)
        return IVRSM_ENOMEM;
    /* ctx alone, as ivrsm_session_new() measures the host's: the answer comes beside it. */
    if ((size_t)(s->ctx.len - s->ctx.garbage) > ctx_bound(m)) {
        fail(err, "ctx holds more than a call's ctx may (IVRSM_MAX_CTX_BYTES, 16 MiB, and what "
                  "the machine's collects add)");
        if (err)
            err->code = IVRSM_ELIMIT;
        return IVRSM_ELIMIT;
    }
    if ((resp && ivrsm_vstore_put_json(&s->ctx, resp, ivrsm_s_numtext, s, &s->resp) != 0) ||
        (json_is_object(answer) &&
         ivrsm_vstore_put_json(&s->ctx, answer, NULL, NULL, &s->answer) != 0))
        return IVRSM_ENOMEM;
    /* The call's language is ctx.language, kept in sync while the call ran. */
    int language = ivrsm_s_ctx_language(s);
    s->language = language < 0 ? 0 : (size_t)language;
    if (!restore_counters(s, j))
        return fail(err, "a counter is not a count (an integer from 0 to 2147483646)");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(j, "visits"), k, v)
    {
        int32_t i = ivrsm_m_find_state(m, k);
        json_int_t n = json_integer_value(v);
        if (!json_is_integer(v) || n < 0 || n > UINT16_MAX)
            return fail(err, "a count of visits is not an integer from 0 to 65535");
        if (i >= 0)
            s->visits[i] = (uint16_t)n;
    }
    size_t i;
    json_array_foreach(json_object_get(j, "recent_events"), i, v)
    {
        uint64_t h = json_is_string(v) ? strtoull(json_string_value(v), NULL, 16) : 0;
        if (i >= S_RECENT_EVENTS || !h)
            continue;
        if (!s->recent &&
            !(s->recent = ivrsm_mem_calloc(s->mem, S_RECENT_EVENTS, sizeof(*s->recent))))
            return IVRSM_ENOMEM;
        s->recent[i] = h;
    }
    json_int_t recent_pos;
    if (!get_count(j, "recent_pos", UINT_MAX, &recent_pos))
        return fail(err, "recent_pos is not a position");
    s->recent_pos = (unsigned)recent_pos;
    json_array_foreach(json_object_get(j, "path"), i, v)
    {
        int32_t st = ivrsm_m_find_state(m, json_string_value(v));
        if (st >= 0)
            s->path[s->path_pos++ % S_PATH_LEN] = st;
    }
    json_t *carry = json_object_get(j, "carry");
    if (json_is_object(carry)) {
        /* What a state hands on: keys or words (session.c). */
        int type = get_int(carry, "type");
        if ((type != IVRSM_EVENT_DTMF && type != IVRSM_EVENT_SPEECH) ||
            !json_is_string(json_object_get(carry, "text")))
            return fail(err, "the input handed on is not keys or words");
        s->carry.type = (ivrsm_event_type)type;
        s->carry.text = get_str(s, carry, "text", &nomem);
        s->carry.confidence = json_number_value(json_object_get(carry, "confidence"));
        s->carrying = s->carry.text != NULL;
    }
    s->unverified_otp = get_str(s, j, "unverified_otp", &nomem);
    s->unverified_otp_owned = s->unverified_otp != NULL;
    /* Snapshots taken before parts existed have the words only. */
    json_t *pending = json_object_get(j, "pending_parts");
    int prc = pending ? ivrsm_s_parts_from_json(s->mem, pending, &s->said)
              : ivrsm_s_speech_add(s->mem, &s->said, IVRSM_PART_SAY,
                                   json_string_value(json_object_get(j, "pending_say"))) != 0
                  ? IVRSM_ENOMEM
                  : 0;
    json_t *last = json_object_get(j, "last_ask_parts");
    if (prc == 0)
        prc = last ? ivrsm_s_parts_from_json(s->mem, last, &s->last_ask_owned)
              : ivrsm_s_speech_add(s->mem, &s->last_ask_owned, IVRSM_PART_SAY,
                                   json_string_value(json_object_get(j, "last_ask"))) != 0
                  ? IVRSM_ENOMEM
                  : 0;
    if (prc == IVRSM_ENOMEM)
        return IVRSM_ENOMEM;
    if (prc != 0)
        return fail(err, "malformed parts to say");
    s->last_ask_text_owned = get_str(s, j, "last_ask", &nomem);
    s->ask_owned = true;
    s->last_ask_parts = s->last_ask_owned.parts;
    s->last_ask_count = s->last_ask_owned.count;
    s->last_ask_text = s->last_ask_text_owned;
    if (nomem)
        return IVRSM_ENOMEM;
    const char *session_id = json_string_value(json_object_get(j, "session_id"));
    if (!session_id)
        return fail(err, "missing session_id");
    if (ivrsm_s_set_ids(s, json_string_value(json_object_get(j, "call_id")), session_id) != 0)
        return IVRSM_ENOMEM;
    /* Ids a session would refuse (they make idempotency keys, sent as headers). */
    const char *bad_id = ivrsm_s_id_problem(s->session_id, "session_id", S_MAX_SESSION_ID_BYTES);
    if (!bad_id)
        bad_id = ivrsm_s_id_problem(s->call_id, "call_id", IVRSM_MAX_ID_BYTES);
    if (bad_id)
        return fail(err, bad_id);
    json_t *pending_cmd = json_object_get(j, "pending");
    if (json_is_object(pending_cmd)) {
        int rc = ivrsm_s_command_from_json(s, pending_cmd, &s->pending);
        if (rc != 0)
            return rc == IVRSM_ENOMEM ? rc : fail(err, "malformed pending command");
    }
    json_array_foreach(json_object_get(j, "queue"), i, v)
    {
        s_command *cmd = NULL;
        int rc = ivrsm_s_command_from_json(s, v, &cmd);
        if (rc != 0)
            return rc == IVRSM_ENOMEM ? rc : fail(err, "malformed queued command");
        if (ivrsm_s_queue_push(s, cmd) != 0)
            return IVRSM_ENOMEM;
    }
    return 0;
}

int ivrsm_session_restore(ivrsm_machine *m, const char *snapshot,
                          const ivrsm_session_options *given, ivrsm_session **out, ivrsm_error *err)
{
    ivrsm_session_options options;
    ivrsm_limits limits;
    const ivrsm_session_options *opts = given ? &options : NULL;
    if (!m || !snapshot || !out || (given && ivrsm_s_options(given, &options, &limits) != 0))
        return IVRSM_EINVAL;
    /* Read as jansson reads it (the same texts are JSON), but telling a text that is no JSON
     * from memory that ran out, which jansson does not. */
    const ivrsm_mem *mem = opts && opts->mem ? opts->mem : ivrsm_mem_default();
    size_t len = strlen(snapshot);
    if (!ivrsm_s_json_depth_within(snapshot, len, SNAPSHOT_MAX_DEPTH))
        return fail(err, "nested deeper than a session's snapshot can be");
    json_t *j = NULL;
    if (ivrsm_s_response_read(mem, NULL, snapshot, len, NULL, &j) == IVRSM_ENOMEM)
        return IVRSM_ENOMEM;
    if (!json_is_object(j)) {
        if (j) {
            json_decref(j);
            return fail(err, "not a JSON object");
        }
        /* Not JSON: jansson says where and why (read again, on this path only), without quoting
         * the text: a snapshot holds the call's OTP and tokens, and the message goes to logs. */
        json_error_t e;
        json_decref(json_loads(snapshot, JSON_DECODE_ANY, &e));
        char reason[200], why[400];
        ivrsm_json_error_unquoted(e.text, reason, sizeof reason);
        snprintf(why, sizeof why, "not JSON: %s (line %d, column %d)", reason, e.line, e.column);
        return fail(err, why);
    }
    const char *format = json_string_value(json_object_get(j, "format"));
    const char *name = json_string_value(json_object_get(j, "machine"));
    const char *version = json_string_value(json_object_get(j, "version"));
    int rc = 0;
    if (!format || strcmp(format, SNAPSHOT_FORMAT))
        rc = fail(err, "unknown format");
    else if (!name || !version || strcmp(name, m->name) || strcmp(version, m->version))
        rc = fail(err, "taken on another machine or version");
    ivrsm_session *s = NULL;
    if (rc == 0) {
        s = ivrsm_s_alloc(m, opts);
        if (!s)
            rc = IVRSM_ENOMEM;
    }
    if (rc == 0)
        rc = restore_fields(s, j, err);
    json_decref(j);
    if (s) /* the texts of ctx's numbers went into its block with them */
        ivrsm_numtexts_purge(&s->numbers);
    if (rc != 0) {
        ivrsm_session_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
