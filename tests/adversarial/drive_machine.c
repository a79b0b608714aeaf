/*
 * Random calls on any machine, through the public API only.
 *
 *   drive_machine MACHINE SEED CALLS [EVENTS]
 *
 * Loads MACHINE (YAML or JSON), then runs CALLS calls of about EVENTS random
 * events each (default 60), seeded by SEED: caller input of every kind (the
 * state's own intents keyed and said, its phrases, digits for its collect,
 * garbage keys, invalid UTF-8, empty, NULL, 4096 and 4097 bytes, odd
 * confidences, unknown intent names, silence, no-match, hang-ups),
 * backend answers of every shape (2xx JSON, empty, not JSON, deep, huge,
 * 4xx, 5xx, 1xx, 3xx, timeouts, transport errors, stale command ids),
 * handoff results, repeated event ids. Then only failures, until the call
 * ends. It checks after every event:
 *
 * - the feed's answer is one the header documents for it, and IVRSM_ELIMIT
 *   exactly for a text over IVRSM_MAX_INPUT_BYTES;
 * - every command is well formed (increasing ids, a state, text for say and
 *   ask, a method and a path, the idempotency key SESSION-ID, no line break
 *   in a header, JSON bodies and contexts, a JSON form), nothing follows an
 *   ask, http, handoff or hangup, a batch is bounded, and a call that has not
 *   ended waits for something;
 * - no trace record shows a secret: the session token, Authorization header
 *   and `pin` the machine and its ctx carry (tests/adversarial/gen_machine.py
 *   puts them there), the tokens the backend hands out, the codes keyed
 *   when the session said the input was secret;
 * - at random points the session is saved and restored; the restored twin
 *   answers every later event exactly as the original (return code,
 *   commands as JSON, state), and both save to the same snapshot at the end;
 * - fed only failures with the default bounds, the call ends within
 *   FAILURE_EVENTS events;
 * - every byte a session allocated is freed with it (a counting allocator).
 *
 * It prints one line per call with a hash of everything the call emitted:
 * the same machine in YAML and in JSON must give the same lines
 * (tests/adversarial/test_generated.py compares them).
 */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

#define FAILURE_EVENTS 1500
#define MAX_SECRETS 64
#define MAX_EVENT_IDS 256

static const char *machine_path;
static bool verbose; /* ADV_VERBOSE=1: every event and its commands on stderr */
static unsigned long call_no;

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s call %lu: ", machine_path, call_no);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* --- randomness (xorshift64*) ------------------------------------------------------- */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static unsigned rnd_below(unsigned n) { return n ? (unsigned)(rnd() % n) : 0; }
static bool chance(unsigned percent) { return rnd_below(100) < percent; }

/* --- a counting allocator: a session must free all it takes -------------------------- */
typedef struct counter {
    long blocks;
} counter;
static void *c_malloc(size_t n, void *u)
{
    void *p = malloc(n);
    if (p)
        ((counter *)u)->blocks++;
    return p;
}
static void c_free(void *p, void *u)
{
    ((counter *)u)->blocks--;
    free(p);
}
static void *c_calloc(size_t n, size_t k, void *u)
{
    void *p = calloc(n, k);
    if (p)
        ((counter *)u)->blocks++;
    return p;
}
static void *c_realloc(void *p, size_t n, void *u)
{
    (void)u;
    return realloc(p, n);
}

/* --- secrets and the trace ------------------------------------------------------------ */
static const char *const fixed_secrets[] = {"tokSECRET", "pinSECRET", "hdrSECRET", "noteSECRET"};
typedef struct trace_sink {
    char secrets[MAX_SECRETS][64];
    int nsecrets;
    unsigned long records;
} trace_sink;

static void add_secret(trace_sink *t, const char *text)
{
    if (t->nsecrets < MAX_SECRETS && strlen(text) < 64)
        snprintf(t->secrets[t->nsecrets++], 64, "%s", text);
}

static bool word_byte(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Whether `secret` stands alone somewhere in `record`, not inside a longer word or number: the
 * rule of the trace's last guard (lib/runtime/trace.c, scrub()). The digits of a keyed code can
 * be part of another number ("0.29999999999999999", a confidence as JSON writes it) without
 * being the code. */
static bool shows(const char *record, const char *secret)
{
    size_t n = strlen(secret);
    for (const char *hit = strstr(record, secret); hit; hit = strstr(hit + 1, secret))
        if ((hit == record || !word_byte(hit[-1])) && !word_byte(hit[n]))
            return true;
    return false;
}

static void on_trace(void *user, const char *record)
{
    trace_sink *t = user;
    t->records++;
    json_error_t je;
    json_t *j = json_loads(record, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j))
        fail("trace record is not one JSON object: %.300s", record);
    json_decref(j);
    for (size_t i = 0; i < sizeof fixed_secrets / sizeof *fixed_secrets; i++)
        if (strstr(record, fixed_secrets[i]))
            fail("trace record shows the secret %s: %.600s", fixed_secrets[i], record);
    for (int i = 0; i < t->nsecrets; i++)
        if (shows(record, t->secrets[i]))
            fail("trace record shows the secret input %s: %.600s", t->secrets[i], record);
}

/* --- one session, or its restored twin --------------------------------------------- */
typedef struct side {
    ivrsm_session *s;
    counter *mem_count; /* on the heap: a side is copied, the session keeps the pointer */
    ivrsm_mem mem;
    trace_sink *trace;
    uint64_t last_id;
    int ask_min, ask_max; /* the last question's digit bounds and hints, copied */
    char hints[8][128];
    int nhints;
    int waits;                     /* type of the last ask/http/handoff/hangup command */
    char *batch;                   /* the last batch as JSON lines */
    size_t batch_len, batch_cap;
} side;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static void batch_add(side *d, const char *text)
{
    size_t n = strlen(text);
    if (d->batch_len + n + 2 > d->batch_cap) {
        d->batch_cap = (d->batch_len + n + 2) * 2;
        d->batch = realloc(d->batch, d->batch_cap);
        if (!d->batch)
            fail("out of memory");
    }
    memcpy(d->batch + d->batch_len, text, n);
    d->batch_len += n;
    d->batch[d->batch_len++] = '\n';
    d->batch[d->batch_len] = 0;
}

static bool is_json(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    json_decref(j);
    return j != NULL;
}

static char session_id[64];

static void check_command(side *d, const ivrsm_command *c, bool after_wait)
{
    if (after_wait)
        fail("command %" PRIu64 " follows an ask, http, handoff or hangup", c->id);
    if (c->id <= d->last_id)
        fail("command id %" PRIu64 " after %" PRIu64, c->id, d->last_id);
    d->last_id = c->id;
    if (!c->state)
        fail("command %" PRIu64 " without a state", c->id);
    switch (c->type) {
    case IVRSM_COMMAND_SAY:
    case IVRSM_COMMAND_ASK:
        /* text holds the words alone: none for recordings only, or for the ask of a
         * listen state that no question came before. */
        bool words = false;
        for (size_t i = 0; i < c->part_count; i++)
            words |= c->parts[i].type == IVRSM_PART_SAY;
        if (!c->text && (words || (c->type == IVRSM_COMMAND_SAY && !c->part_count))) {
            char *j = ivrsm_command_to_json(c);
            fail("say/ask %" PRIu64 " without text: %s", c->id, j);
        }
        if (!c->language)
            fail("say/ask %" PRIu64 " without language", c->id);
        if (c->type == IVRSM_COMMAND_ASK) {
            if (c->ask.min_digits < 0 || c->ask.max_digits < c->ask.min_digits)
                fail("ask %" PRIu64 " digits %d..%d", c->id, c->ask.min_digits, c->ask.max_digits);
            if (!c->ask.terminators)
                fail("ask without terminators");
            for (size_t i = 0; i < c->ask.hint_count; i++)
                if (!c->ask.hints[i])
                    fail("ask hint %zu is NULL", i);
        }
        for (size_t i = 0; i < c->part_count; i++)
            if (!c->parts[i].text || (c->parts[i].type != IVRSM_PART_SAY && c->parts[i].type != IVRSM_PART_PLAY))
                fail("command %" PRIu64 " part %zu malformed", c->id, i);
        break;
    case IVRSM_COMMAND_HTTP: {
        const char *m = c->http.method;
        if (!m || (strcmp(m, "GET") && strcmp(m, "POST") && strcmp(m, "PUT") && strcmp(m, "PATCH") &&
                   strcmp(m, "DELETE")))
            fail("http %" PRIu64 " method %s", c->id, m ? m : "(null)");
        if (!c->http.path || c->http.path[0] != '/')
            fail("http %" PRIu64 " path %s", c->id, c->http.path ? c->http.path : "(null)");
        for (const char *p = c->http.path; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '#' || *p == '?')
                fail("http path not URL-encoded: %s", c->http.path);
        if (c->http.query)
            for (const char *p = c->http.query; *p; p++)
                if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '#')
                    fail("http query not URL-encoded: %s", c->http.query);
        char key[128];
        snprintf(key, sizeof key, "%s-%" PRIu64, session_id, c->id);
        if (!c->http.idempotency_key || strcmp(key, c->http.idempotency_key))
            fail("idempotency key %s, expected %s", c->http.idempotency_key, key);
        for (size_t i = 0; i < c->http.header_count; i++) {
            const ivrsm_header *h = &c->http.headers[i];
            if (!h->name || !h->value || strpbrk(h->value, "\r\n") || strpbrk(h->name, "\r\n: "))
                fail("header %zu malformed: %s", i, h->name ? h->name : "(null)");
        }
        if (c->http.body && !is_json(c->http.body))
            fail("http body not JSON: %.200s", c->http.body);
        if (c->http.timeout_ms <= 0)
            fail("http timeout %d", c->http.timeout_ms);
        break;
    }
    case IVRSM_COMMAND_HANDOFF:
        if (!c->handoff.context || !is_json(c->handoff.context))
            fail("handoff context not JSON");
        break;
    case IVRSM_COMMAND_HANGUP:
        if (!c->hangup.reason)
            fail("hangup without reason");
        break;
    default:
        fail("command type %d", (int)c->type);
    }
    char *json = ivrsm_command_to_json(c);
    if (!json || !is_json(json))
        fail("command %" PRIu64 " has no JSON form", c->id);
    batch_add(d, json);
    ivrsm_free(json);
}

/* Pull every command; the batch must end with what the session waits for. */
static int drain(side *d, int max_steps)
{
    d->batch_len = 0;
    if (d->batch)
        d->batch[0] = 0;
    int n = 0;
    bool waiting = false;
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(d->s))) {
        check_command(d, c, waiting);
        if (c->type == IVRSM_COMMAND_ASK) {
            d->ask_min = c->ask.min_digits;
            d->ask_max = c->ask.max_digits;
            d->nhints = 0;
            for (size_t i = 0; i < c->ask.hint_count && d->nhints < 8; i++)
                snprintf(d->hints[d->nhints++], sizeof d->hints[0], "%s", c->ask.hints[i]);
        }
        if (c->type != IVRSM_COMMAND_SAY) {
            waiting = true;
            d->waits = c->type;
        }
        if (++n > 8 * max_steps + 16)
            fail("a batch of more than %d commands (steps per event %d)", n, max_steps);
    }
    return n;
}

/* --- events --------------------------------------------------------------------------- */
typedef struct event_buf {
    ivrsm_event ev;
    char text[4200];
    char body[70000];
    char id[32];
    bool text_null;
} event_buf;

static void random_digits(char *out, int n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    for (int i = 0; i < n; i++)
        out[i] = alphabet[rnd_below((unsigned)k)];
    out[n] = 0;
}

static void luhn_digits(char *out, int n)
{
    random_digits(out, n - 1, "0123456789");
    int sum = 0;
    for (int i = n - 2, dbl = 1; i >= 0; i--, dbl ^= 1) {
        int v = out[i] - '0';
        if (dbl && (v *= 2) > 9)
            v -= 9;
        sum += v;
    }
    out[n - 1] = (char)('0' + (10 - sum % 10) % 10);
    out[n] = 0;
}

static const char *const speech_noise[] = {
    "", " ", "euh", "je ne sais pas", "I don't know", "no sé", "weiß nicht", "pas oui",
    "not now", "maybe yes", "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
    "two one two five five five one two three four", "demain", "next Monday", "el lunes que viene",
    "übermorgen", "le 31 février", "dès que possible", "non merci", "nein danke", "oh seven double nine",
    "ÉTAT ÉCOLE", "日本語のテキスト", "😀😀😀", "a\u0301\u0301\u0301", "\xef\xbb\xbf" "bom", "null", "{{ctx.pin}}",
    "${globals.clinic}", "'; DROP TABLE", "%s%n%x", "\t\r\n", "1 2 3 4 5 6", "quatre cinq six sept",
};
static const char *const bad_utf8[] = {"\xff\xfe", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc0\xaf" "b",
                                       "\xe2\x82", "caf\xe9"};

static const char *const bodies[] = {
    "{}", "{\"msg\":\"ok\",\"count\":3,\"items\":[{\"id\":\"a/b\"},{\"id\":7}],\"nested\":{\"deep\":{\"v\":1}}}",
    "{\"session_token\":\"tokSECRETresp1\",\"token\":\"tokSECRETresp2\",\"access_token\":\"tokSECRETresp3\","
    "\"msg\":\"bienvenue\"}",
    "[]", "null", "3", "\"s\"", "", "not json", "{\"a\":1,\"a\":2}", "{\"n\":1e999}",
    "{\"n\":123456789012345678901234567890}", "{\"s\":\"\\u0000x\"}", "{\"s\":\"\\ud800\"}",
    "{\"s\":\"\\udc00\\ud800\"}", "{\"count\":-0,\"msg\":null,\"items\":{}}", "{\"msg\":\"{{ctx.pin}}\"}",
    "<html>502 Bad Gateway</html>", "{\"status\":\"weird\",\"error\":42}", "\xef\xbb\xbf{}", "{\"a\":", " {} ",
    "{\"language\":\"de-DE\",\"msg\":\"x\"}", "\xff", "{\"msg\":\"\xc3\"}",
};
static const int statuses[] = {200, 200, 200, 201, 204, 299, 100, 101, 199, 301, 302, 304, 400, 401, 403,
                               404, 409, 422, 423, 429, 500, 502, 503, 504, 599, 0, 0, -1, 600, 1000};
static const char *const transport_errors[] = {"timeout", "transport", "connection refused", "", "invalid JSON",
                                               "response too large", NULL};

static void deep_body(char *out, size_t cap, int depth)
{
    size_t n = 0;
    for (int i = 0; i < depth && n + 2 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "{\"a\":");
    n += (size_t)snprintf(out + n, cap - n, "1");
    for (int i = 0; i < depth && n + 2 < cap; i++)
        out[n++] = '}';
    out[n] = 0;
}

static unsigned long event_counter;
static char seen_ids[MAX_EVENT_IDS][32];
static int nseen;

static void set_event_id(event_buf *b)
{
    unsigned k = rnd_below(100);
    if (k < 40)
        return;
    if (k < 45 && nseen) {
        strcpy(b->id, seen_ids[rnd_below((unsigned)nseen)]);
    } else {
        snprintf(b->id, sizeof b->id, "e%lu", ++event_counter);
        if (nseen < MAX_EVENT_IDS)
            strcpy(seen_ids[nseen++], b->id);
    }
    b->ev.event_id = b->id;
}

/* The caller's turn, shaped by the question asked and the state's routes. */
static void caller_event(event_buf *b, ivrsm_machine *m, const char *state, const side *ask)
{
    ivrsm_event *ev = &b->ev;
    int idx = state ? ivrsm_machine_state_index(m, state) : -1;
    size_t nt = idx >= 0 ? ivrsm_machine_transition_count(m, (size_t)idx) : 0;
    const ivrsm_transition *tr = nt ? ivrsm_machine_transition(m, (size_t)idx, rnd_below((unsigned)nt)) : NULL;
    unsigned k = rnd_below(100);
    if (k < 6) {
        ev->type = IVRSM_EVENT_NOINPUT;
    } else if (k < 10) {
        ev->type = IVRSM_EVENT_NOMATCH;
    } else if (k < 11) {
        ev->type = IVRSM_EVENT_HANGUP;
    } else if (k < 40) {
        ev->type = IVRSM_EVENT_DTMF;
        unsigned v = rnd_below(6);
        int lo = ask->ask_min, hi = ask->ask_max;
        if (hi > 64)
            hi = 64;
        if (lo < 1)
            lo = 1;
        if (hi < lo)
            hi = lo;
        int len = lo + (int)rnd_below((unsigned)(hi - lo + 1));
        if (v == 0 && len >= 2)
            luhn_digits(b->text, len);
        else if (v <= 2)
            random_digits(b->text, len, "0123456789");
        else if (v == 3)
            random_digits(b->text, 1 + (int)rnd_below(3), "0123456789*#ABCD");
        else if (v == 4)
            random_digits(b->text, (int)rnd_below(40), "0123456789*#ABCDEFxyz \x01\xff");
        else {
            /* an intent this state routes: key its dtmf from the machine's hints is not
             * possible through the API, so press the keys routes most often use */
            random_digits(b->text, 1, "0123456789*#");
        }
    } else if (k < 70) {
        ev->type = IVRSM_EVENT_SPEECH;
        unsigned v = rnd_below(10);
        if (v < 4 && ask->nhints)
            snprintf(b->text, sizeof b->text, "%s%s", chance(30) ? "euh " : "",
                     ask->hints[rnd_below((unsigned)ask->nhints)]);
        else if (v < 5 && tr && tr->text)
            snprintf(b->text, sizeof b->text, "%s", tr->text);
        else if (v < 8)
            snprintf(b->text, sizeof b->text, "%s", speech_noise[rnd_below(sizeof speech_noise / sizeof *speech_noise)]);
        else if (v < 9)
            snprintf(b->text, sizeof b->text, "%s", bad_utf8[rnd_below(sizeof bad_utf8 / sizeof *bad_utf8)]);
        else {
            size_t n = chance(50) ? IVRSM_MAX_INPUT_BYTES : IVRSM_MAX_INPUT_BYTES + 1;
            for (size_t i = 0; i < n; i++)
                b->text[i] = "ab é"[rnd_below(4)];
            b->text[n] = 0;
        }
        double conf[] = {0, 1, 0.9, 0.5, 0.3, 0.01, -1, 2, NAN, INFINITY, -INFINITY, 1e-300};
        ev->confidence = conf[rnd_below(sizeof conf / sizeof *conf)];
    } else {
        ev->type = IVRSM_EVENT_INTENT;
        if (tr && tr->intent && chance(70))
            snprintf(b->text, sizeof b->text, "%s", tr->intent);
        else
            snprintf(b->text, sizeof b->text, "%s", chance(50) ? "no_such_intent" : "");
    }
    if (ev->type == IVRSM_EVENT_DTMF || ev->type == IVRSM_EVENT_SPEECH || ev->type == IVRSM_EVENT_INTENT) {
        if (chance(2))
            b->text_null = true;
        else
            ev->text = b->text;
    }
}

static void result_event(event_buf *b, uint64_t pending_id, bool failure_only)
{
    ivrsm_event *ev = &b->ev;
    ev->type = IVRSM_EVENT_ACTION_RESULT;
    ev->command_id = pending_id;
    if (!failure_only && chance(4))
        ev->command_id = pending_id + 1 + rnd_below(3);
    if (failure_only) {
        unsigned v = rnd_below(3);
        ev->status = v == 0 ? 500 : v == 1 ? 0 : 200;
        ev->error = v == 1 ? "timeout" : NULL;
        ev->body = v == 2 ? "not json" : NULL;
        return;
    }
    ev->status = statuses[rnd_below(sizeof statuses / sizeof *statuses)];
    if (ev->status == 0 || chance(5))
        ev->error = transport_errors[rnd_below(sizeof transport_errors / sizeof *transport_errors)];
    unsigned v = rnd_below(100);
    if (v < 80) {
        ev->body = bodies[rnd_below(sizeof bodies / sizeof *bodies)];
        if (chance(50))
            ev->body_len = strlen(ev->body);
    } else if (v < 85) {
        deep_body(b->body, sizeof b->body, (int)rnd_below(200));
        ev->body = b->body;
    } else if (v < 90) {
        /* a body with NUL bytes inside, given by length */
        memcpy(b->body, "{\"msg\":\"a\0b\"}", 14);
        ev->body = b->body;
        ev->body_len = 13;
    } else if (v < 95) {
        size_t n = chance(50) ? 65536 : sizeof b->body - 1;
        b->body[0] = '"';
        for (size_t i = 1; i + 1 < n; i++)
            b->body[i] = 'x';
        b->body[n - 1] = '"';
        b->body[n] = 0;
        ev->body = b->body;
    }
}

/* --- the call --------------------------------------------------------------------------- */
static const int doc_codes[] = {0, IVRSM_EDUPLICATE, IVRSM_ESTALE, IVRSM_EUNEXPECTED, IVRSM_EENDED, IVRSM_ELIMIT,
                                IVRSM_EINVAL};

static int feed(side *d, const ivrsm_event *ev)
{
    int rc = ivrsm_session_feed(d->s, ev);
    bool ok = false;
    for (size_t i = 0; i < sizeof doc_codes / sizeof *doc_codes; i++)
        ok |= rc == doc_codes[i];
    if (!ok)
        fail("feed answered %d (%s) for an event of type %d", rc, ivrsm_errname(rc), (int)ev->type);
    if (!ivrsm_strerror(rc) || !*ivrsm_strerror(rc))
        fail("no message for %d", rc);
    return rc;
}

static char *snapshot(side *d)
{
    char *snap = NULL;
    int rc = ivrsm_session_snapshot(d->s, &snap);
    if (rc != 0 || !snap)
        fail("snapshot failed: %d", rc);
    if (!is_json(snap))
        fail("snapshot is not JSON");
    return snap;
}

static void side_init_mem(side *d)
{
    d->mem_count = calloc(1, sizeof *d->mem_count);
    if (!d->mem_count)
        fail("out of memory");
    d->mem = (ivrsm_mem){d->mem_count, c_malloc, c_free, c_calloc, c_realloc};
}

static void side_free(side *d)
{
    ivrsm_session_free(d->s);
    d->s = NULL;
    if (d->mem_count->blocks != 0)
        fail("the session left %ld blocks allocated", d->mem_count->blocks);
    free(d->mem_count);
    d->mem_count = NULL;
    free(d->batch);
    d->batch = NULL;
    d->batch_len = d->batch_cap = 0;
}

static int64_t clock_fn(void *user) { return *(int64_t *)user; }

static void restore_into(ivrsm_machine *m, side *from, side *to, const ivrsm_session_options *base,
                         const ivrsm_limits *limits)
{
    char *snap = snapshot(from);
    side_init_mem(to);
    to->trace = from->trace;
    ivrsm_session_options o = *base;
    o.mem = &to->mem;
    o.limits = limits;
    ivrsm_error err;
    int rc = ivrsm_session_restore(m, snap, &o, &to->s, &err);
    if (rc != 0)
        fail("restore of its own snapshot failed: %d %s", rc, err.message);
    to->last_id = from->last_id;
    to->waits = from->waits;
    char *again = snapshot(to);
    if (strcmp(snap, again))
        fail("a restored session saves another snapshot:\n%s\n%s", snap, again);
    ivrsm_free(snap);
    ivrsm_free(again);
}

static uint64_t run_call(ivrsm_machine *m, int events)
{
    trace_sink trace = {0};
    int64_t now_choices[] = {0,
                             1764061200000,  /* 2025-11-25 09:00 UTC */
                             1774746000000,  /* 2026-03-29 01:00 UTC, a change of clocks */
                             1830297599000,  /* 2027-12-31 23:59:59 UTC */
                             1835481600000,  /* 2028-02-29 */
                             4102444800000}; /* 2100-01-01 */
    int64_t now = now_choices[rnd_below(sizeof now_choices / sizeof *now_choices)];
    snprintf(session_id, sizeof session_id, "s-adv-%lu", call_no);
    json_t *ctx = json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:[i,i],s:b,s:s}", "portal_session_token",
                            "tokSECRETctx7Q2", "authorization", "Bearer hdrSECRETz9", "tier",
                            chance(50) ? "gold" : "silver", "name", "Zoë \"{{ctx.pin}}\" ${globals.clinic}",
                            "amount", chance(50) ? 12.5 : -0.0, "day", "2026-12-25", "list", 1, 2, "flag",
                            chance(50), "caller_number", "+33612345678");
    json_object_set_new(ctx, "n", json_integer((json_int_t)rnd_below(9) - 4));
    if (chance(20))
        json_object_set_new(ctx, "language", json_string(chance(50) ? "xx-YY" : "en-US"));
    char *ctx_text = json_dumps(ctx, JSON_COMPACT);
    json_decref(ctx);

    side a = {0}, t = {0};
    a.trace = &trace;
    side_init_mem(&a);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.session_id = session_id;
    o.call_id = chance(50) ? "call-日本" : NULL;
    o.ctx_json = ctx_text;
    o.clock = clock_fn;
    o.clock_user = &now;
    o.trace = on_trace;
    o.trace_user = &trace;
    ivrsm_session_options oa = o;
    oa.mem = &a.mem;
    ivrsm_error err;
    int rc = ivrsm_session_new(m, &oa, &a.s, &err);
    free(ctx_text);
    if (rc == IVRSM_EINVAL) { /* inputs of the wrong type: said, and no session */
        if (!err.message[0])
            fail("session refused without a message");
        return 0;
    }
    if (rc != 0)
        fail("session_new: %d", rc);
    if ((rc = ivrsm_session_start(a.s)) != 0)
        fail("start: %d", rc);
    int max_steps = 10000;
    drain(&a, max_steps);
    uint64_t h = fnv(1469598103934665603ull, a.batch ? a.batch : "", a.batch_len);

    bool twin = false;
    int checkpoints = 0;
    nseen = 0;
    const ivrsm_limits defaults = {.size = sizeof(ivrsm_limits),
                                   .max_consecutive_failures = 6,
                                   .max_state_visits = 12,
                                   .max_steps_per_event = 32,
                                   .otp_max_attempts = 5};
    bool failure_only = false;
    int total = 0;
    for (int e = 0; !ivrsm_session_ended(a.s); e++) {
        if (e == events) {
            /* From here only failures, under the default bounds: the call must end. */
            failure_only = true;
            if (twin)
                side_free(&t), twin = false;
            side fresh = {0};
            restore_into(m, &a, &fresh, &o, &defaults);
            fresh.batch = a.batch, fresh.batch_len = a.batch_len, fresh.batch_cap = a.batch_cap;
            a.batch = NULL;
            side_free(&a);
            a = fresh;
            drain(&a, 32);
        }
        if (e > events + FAILURE_EVENTS)
            fail("fed only failures, the call has not ended after %d events (state %s)", FAILURE_EVENTS,
                 ivrsm_session_state(a.s));
        if (!failure_only && checkpoints < 3 && chance(8)) {
            if (twin)
                side_free(&t);
            restore_into(m, &a, &t, &o, NULL);
            twin = true;
            checkpoints++;
        }
        const ivrsm_command *pending = ivrsm_session_pending_command(a.s);
        event_buf b;
        memset(&b, 0, sizeof b);
        b.ev.size = sizeof(ivrsm_event);
        if (pending && pending->type == IVRSM_COMMAND_HTTP && (failure_only || chance(92))) {
            result_event(&b, pending->id, failure_only);
        } else if (pending && pending->type == IVRSM_COMMAND_HANDOFF && (failure_only || chance(92))) {
            b.ev.type = IVRSM_EVENT_HANDOFF_RESULT;
            b.ev.command_id = pending->id + (!failure_only && chance(5));
            b.ev.ok = failure_only ? 0 : chance(20);
        } else if (failure_only) {
            b.ev.type = chance(50) ? IVRSM_EVENT_NOINPUT : IVRSM_EVENT_NOMATCH;
        } else {
            caller_event(&b, m, ivrsm_session_state(a.s), &a);
        }
        if (!failure_only)
            set_event_id(&b);
        /* A keyed or spoken secret: it must never show in a trace. */
        bool secret = ivrsm_session_input_is_secret(a.s) && b.ev.type == IVRSM_EVENT_DTMF && b.ev.text &&
                      strlen(b.ev.text) >= 6 && strspn(b.ev.text, "0123456789") == strlen(b.ev.text);
        if (secret)
            add_secret(&trace, b.ev.text);
        rc = feed(&a, &b.ev);
        if (b.ev.text && strlen(b.ev.text) > IVRSM_MAX_INPUT_BYTES && rc != IVRSM_ELIMIT &&
            rc != IVRSM_EENDED && rc != IVRSM_EDUPLICATE && rc != IVRSM_EUNEXPECTED)
            fail("a text of %zu bytes answered %d", strlen(b.ev.text), rc);
        if (rc == IVRSM_ELIMIT && (!b.ev.text || strlen(b.ev.text) <= IVRSM_MAX_INPUT_BYTES))
            fail("IVRSM_ELIMIT for a text within the bound");
        int ncmd = drain(&a, failure_only ? 32 : max_steps);
        if (rc != 0 && ncmd)
            fail("a refused event (%s) emitted %d commands", ivrsm_errname(rc), ncmd);
        if (rc == 0 && !ivrsm_session_ended(a.s)) {
            const ivrsm_command *p = ivrsm_session_pending_command(a.s);
            if (!p && a.waits != IVRSM_COMMAND_ASK)
                fail("the call waits for nothing in state %s", ivrsm_session_state(a.s));
            if (p && (p->type != IVRSM_COMMAND_HTTP && p->type != IVRSM_COMMAND_HANDOFF))
                fail("pending command of type %d", (int)p->type);
        }
        if (verbose)
            fprintf(stderr, "event %d type %d text %.60s status %d -> %s\n%s", e, (int)b.ev.type,
                    b.ev.text ? b.ev.text : "-", b.ev.status, ivrsm_errname(rc), a.batch ? a.batch : "");
        h = fnv(h, &rc, sizeof rc);
        if (a.batch)
            h = fnv(h, a.batch, a.batch_len);
        const char *st = ivrsm_session_state(a.s);
        h = fnv(h, st ? st : "", st ? strlen(st) : 0);
        if (twin) {
            int rt = feed(&t, &b.ev);
            drain(&t, max_steps);
            if (rt != rc)
                fail("the restored twin answered %d, the original %d", rt, rc);
            if ((a.batch_len != t.batch_len) || (a.batch_len && memcmp(a.batch, t.batch, a.batch_len)))
                fail("the restored twin emitted other commands:\n%s---\n%s", a.batch ? a.batch : "",
                     t.batch ? t.batch : "");
            const char *ts = ivrsm_session_state(t.s);
            if ((st == NULL) != (ts == NULL) || (st && strcmp(st, ts)))
                fail("the twin is in %s, the original in %s", ts, st);
        }
        total++;
    }
    if (twin) {
        char *sa = snapshot(&a), *sb = snapshot(&t);
        if (strcmp(sa, sb))
            fail("twin and original end with other snapshots");
        ivrsm_free(sa);
        ivrsm_free(sb);
        side_free(&t);
    }
    /* Once ended, every event is refused. */
    event_buf b;
    memset(&b, 0, sizeof b);
    b.ev.size = sizeof(ivrsm_event);
    b.ev.type = IVRSM_EVENT_NOINPUT;
    if (ivrsm_session_feed(a.s, &b.ev) != IVRSM_EENDED)
        fail("an ended call took an event");
    side_free(&a);
    printf("call %lu events %d trace %lu hash %016" PRIx64 "\n", call_no, total, trace.records, h);
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: drive_machine MACHINE SEED CALLS [EVENTS]\n");
        return 2;
    }
    machine_path = argv[1];
    verbose = getenv("ADV_VERBOSE") != NULL;
    uint64_t seed = strtoull(argv[2], NULL, 10);
    unsigned long calls = strtoul(argv[3], NULL, 10);
    int events = argc > 4 ? atoi(argv[4]) : 60;
    ivrsm_machine *m;
    ivrsm_error err;
    int rc = ivrsm_machine_load_file(machine_path, IVRSM_FORMAT_AUTO, &m, &err);
    if (rc != 0) {
        fprintf(stderr, "FAIL %s: does not load: %s:%d:%d: %s\n", machine_path, err.file, err.line, err.column,
                err.message);
        return 1;
    }
    for (call_no = 0; call_no < calls; call_no++) {
        rng_state = (seed * 0x9E3779B97F4A7C15ull) ^ (call_no + 1) * 0xBF58476D1CE4E5B9ull;
        if (!rng_state)
            rng_state = 1;
        event_counter = 0;
        run_call(m, events);
    }
    ivrsm_machine_unref(m);
    return 0;
}
