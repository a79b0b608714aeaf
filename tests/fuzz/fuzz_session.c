/*
 * Fuzz target: whole calls on the seed machine (examples/synergia_rdv).
 *
 * The machine is loaded once. Each input is decoded into a script of events:
 * keyed digits (any keys, or the choices the machine knows), speech (its
 * phrases, or arbitrary bytes, with any confidence), intent names, silence,
 * texts at the size bound, events of no known type or without their text,
 * no-match, action results (for the pending command or a wrong one, any
 * status, canned backend answers or arbitrary body bytes, transport errors),
 * handoff results, hangups, repeated event ids, and checkpoints where the
 * session is saved and restored. After the script the call is fed nothing
 * but failures and must end.
 *
 * Invariants checked after every event:
 * - feed returns what the session's state says it must (duplicate ids,
 *   stale results, input while a result is awaited, ended calls), and a
 *   refused event changes nothing (the snapshot is the same);
 * - commands are well formed: increasing ids, text for say and ask, method
 *   and URL-encoded path for http, the idempotency key SESSION-ID, no line
 *   break in a header, a JSON handoff context; each one has a JSON form;
 * - a batch ends with what the session waits for: after an ask, an http or
 *   a handoff (so at most one of them is pending) nothing else is emitted,
 *   a call that has not ended always waits for something, and
 *   ivrsm_session_pending_command() names the command the host was given;
 * - a restored session behaves exactly as the one it was saved from: the
 *   same snapshot, then the same commands, answers, states and ctx for every
 *   following event;
 * - trace records are JSON and never show the backend's session token;
 * - fed only failures, the call ends within FAILURE_EVENTS_MAX events.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "fuzz_alloc.h"
#include "fuzz_util.h"
#include "ivrsm/ivrsm.h"
#include "json_check.h"

#ifndef IVRSM_FUZZ_SEED_MACHINE
#define IVRSM_FUZZ_SEED_MACHINE "examples/synergia_rdv/machine.yaml"
#endif

#define SESSION_ID "fuzz-session"
#define SCRIPT_EVENTS_MAX 96
/* Shares of inputs (by their hash, so an input always runs the same way) that run the
 * checks costing more than the call they check; see docs/fuzzing.md. */
#define TRACED_EVERY 32         /* with a trace sink */
#define REFUSAL_CHECKED_EVERY 8 /* the first refused event against whole snapshots */
#define TWIN_TO_END_EVERY 8     /* the restored twin followed to the end of the input */
#define RESAVED_EVERY 4         /* a restored session saved again at once, compared */
#define TWIN_EVENTS 12          /* else, for this many events after the checkpoint */
/* Checkpoints an input takes (later ones are skipped): a mutated input can hold dozens, each a
 * snapshot and a restore. Restores of restores are exercised from the second, which one input
 * in SECOND_CHECKPOINT_EVERY takes: a checkpoint, its twin followed beside it, costs as much
 * as the rest of an input. */
#define CHECKPOINTS_MAX 2
#define SECOND_CHECKPOINT_EVERY 2
#define FAILURE_EVENTS_MAX 200
#define BATCH_MAX 64
#define RECENT_IDS 32
/* A secret the backend hands out: no trace record may show it. */
#define TOKEN_MARKER "TOKEN-SECRET-77"

static ivrsm_machine *seed_machine;
/* IVRSM_FUZZ_VERBOSE set: print every event answer and command (to read a finding). */
static int verbose;

static int64_t fixed_clock(void *user)
{
    (void)user;
    return 1717408800000; /* 2024-06-03 10:00 UTC, a Monday */
}

/* The sessions' allocator: fuzz_alloc.h's in a libFuzzer binary, the C library's in the
 * corpus replayer and under ASan (which see every block). */
#ifdef FUZZ_OWN_ALLOCATOR
static const ivrsm_mem session_mem = {NULL, fuzz_mem_malloc, fuzz_mem_free, fuzz_mem_calloc,
                                      fuzz_mem_realloc};
#define SESSION_MEM (&session_mem)
#else
#define SESSION_MEM NULL
#endif

#ifdef FUZZ_OWN_ALLOCATOR
/* fuzz_alloc.h keeps malloc()'s alignment and a block's bytes through realloc, zeroes calloc's
 * blocks (a dirty one of the same class freed just before), refuses a calloc that overflows. */
static void check_allocator(void)
{
    for (size_t n = 0; n <= FUZZ_ALLOC_SMALL + 600; n += n < 64 ? 1 : 37) {
        unsigned char *p = fuzz_alloc(n);
        FUZZ_CHECK(p && (uintptr_t)p % 16 == 0, "fuzz_alloc(%zu) misaligned", n);
        memset(p, (int)(n & 0xff), n);
        p = fuzz_realloc(p, 2 * n + 1);
        FUZZ_CHECK(p && (uintptr_t)p % 16 == 0, "fuzz_realloc to %zu misaligned", 2 * n + 1);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(p[i] == (n & 0xff), "fuzz_realloc lost byte %zu of %zu", i, n);
        fuzz_dealloc(p);
        unsigned char *z = fuzz_mem_calloc(1, 2 * n + 1, NULL);
        FUZZ_CHECK(z, "calloc");
        for (size_t i = 0; i < 2 * n + 1; i++)
            FUZZ_CHECK(z[i] == 0, "calloc left byte %zu of %zu", i, 2 * n + 1);
        fuzz_dealloc(z);
    }
    FUZZ_CHECK(!fuzz_mem_calloc(SIZE_MAX / 2, 3, NULL), "calloc overflow not refused");
}
#endif

/* Options of every session of the target (restored ones take trace options on top). */
static ivrsm_session_options session_options(void)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.call_id = "fuzz-call";
    o.session_id = SESSION_ID;
    o.clock = fixed_clock;
    o.mem = SESSION_MEM;
    return o;
}

/* ------------------------------------------------------------------------
 * What the script can say
 * ---------------------------------------------------------------------- */

static const char *const dtmf_choices[] = {"1",
                                           "2",
                                           "3",
                                           "4",
                                           "5",
                                           "6",
                                           "7",
                                           "8",
                                           "9",
                                           "0",
                                           "*",
                                           "#",
                                           "1#",
                                           "99",
                                           "",
                                           "0612345678#",
                                           "0612345678",
                                           "612345678",
                                           "*33612345678",
                                           "482913",
                                           "482913#",
                                           "000000#",
                                           "0306#",
                                           "03062025#",
                                           "12345",
                                           "0123456789012345678901"};

static const char *const phrases[] = {
    "rendez-vous",
    "équipe",
    "recevoir un lien",
    "conseiller",
    "oui",
    "non",
    "je refuse",
    "whatsapp",
    "sms",
    "email",
    "premier",
    "deuxième",
    "troisième",
    "détails",
    "confirmer",
    "déplacer",
    "annuler",
    "agenda",
    "me rappeler",
    "aucun",
    "matin",
    "après-midi",
    "domicile",
    "visio",
    "cabinet",
    "personnel",
    "santé",
    "indisponible",
    "autre",
    "répète",
    "retour",
    "renvoyer",
    "partager",
    "accueil",
    "à venir",
    "passés",
    "historique",
    "d'accord",
    "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
    "plus trente-trois six douze trente-quatre cinquante-six soixante-dix-huit",
    "quatre huit deux neuf un trois",
    "le code est 482913",
    "demain",
    "lundi prochain",
    "dans deux semaines",
    "le 3 décembre",
    "dès que possible",
    "la semaine prochaine",
    "non merci",
    "pas de commentaire",
    "je préfère le matin car je travaille l'après-midi",
    "RENDEZ VOUS !!!",
    "euh... conseiller, s'il vous plaît",
    ""};

static const char *const intents[] = {"take_appointment",
                                      "manage_team",
                                      "send_link",
                                      "repeat",
                                      "back",
                                      "operator",
                                      "list_upcoming",
                                      "list_past",
                                      "choose_first",
                                      "choose_second",
                                      "choose_third",
                                      "details",
                                      "confirm",
                                      "reschedule",
                                      "cancel",
                                      "add_to_calendar",
                                      "callback",
                                      "none_of_these",
                                      "morning",
                                      "afternoon",
                                      "mode_home",
                                      "mode_video",
                                      "mode_clinic",
                                      "reason_personal",
                                      "reason_health",
                                      "reason_unavailable",
                                      "reason_other",
                                      "yes",
                                      "no",
                                      "chan_whatsapp",
                                      "chan_sms",
                                      "chan_email",
                                      "nope",
                                      ""};

/* Backend answers: what the seed's endpoints return, and what they should not. */
static const char *const bodies[] = {
    "{\"challenge_id\":\"ch-1\",\"ttl_sec\":600}",
    "{\"session_token\":\"" TOKEN_MARKER "\",\"partner_id\":42}",
    "{\"count\":3,\"appointments\":[{\"id\":\"a1\"},{\"id\":\"a2\"},{\"id\":\"a3\"}],"
    "\"summary_voice\":\"Lundi 3 juin à 9 heures, mardi, mercredi.\"}",
    "{\"count\":0,\"appointments\":[]}",
    "{\"count\":1,\"appointments\":[{\"id\":\"a/1 ?&=#\\r\\nX: y\"}]}",
    "{\"voice_detail\":\"Rendez-vous lundi à 9 heures.\",\"id\":\"a1\"}",
    "{\"slots\":[{\"id\":\"s1\",\"voice_label\":\"mardi 10 heures\"},{\"id\":\"s2\","
    "\"voice_label\":\"mercredi\"},{\"id\":\"s3\",\"voice_label\":\"jeudi\"}],\"count\":3}",
    "{\"slots\":[]}",
    "",
    "not json",
    "[]",
    "null",
    "{\"error\":\"bad request\",\"code\":\"E42\"}",
    "{\"count\":\"3\",\"appointments\":{\"id\":1},\"slots\":[null,1,\"x\"]}",
    "{\"summary_voice\":\"{{ctx.portal_session_token}}\",\"count\":1e308}",
};

static const int statuses[] = {200, 200, 201, 204, 400, 401, 404, 409, 500, 503, 0, 302, 299, -1};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * The model: what the session waits for, as its commands told the host
 * ---------------------------------------------------------------------- */

typedef enum waiting { WAIT_NOTHING = 0, WAIT_INPUT, WAIT_HTTP, WAIT_HANDOFF } waiting;

typedef struct model {
    waiting wait;
    uint64_t pending_id; /* the http or handoff command awaited */
    uint64_t last_id;    /* the last command id seen */
    int ended;
    char recent[RECENT_IDS][16]; /* ids of the last accepted events */
    unsigned recent_pos;
    unsigned next_event; /* for fresh event ids */
    unsigned fed;        /* events fed so far */
    int token_in_input;  /* the fuzzer's own bytes carry the marker */
    int traced;          /* the session has a trace sink */
    unsigned trace_records;
    int refusal_checks;       /* refused events still to check against snapshots */
    unsigned twin_events;     /* events the twin is still followed for (0: to the end) */
    unsigned twin_window;     /* TWIN_EVENTS, or 0 for the inputs followed to the end */
    unsigned checkpoints;     /* checkpoints so far */
    unsigned checkpoints_max; /* CHECKPOINTS_MAX, or 1 for the inputs not taking a second */
    int resave;               /* the first restored session is saved again and compared */
} model;

/* `prefix` then n in decimal into out (of FUZZ_ID_MAX bytes): snprintf() was a few per cent
 * of the target's time, for an id per event. */
#define FUZZ_ID_MAX 48
static void id_text(char *out, const char *prefix, unsigned long long n)
{
    char digits[24];
    size_t k = 0, len = strlen(prefix);
    do
        digits[k++] = (char)('0' + n % 10);
    while (n /= 10);
    memcpy(out, prefix, len);
    while (k)
        out[len++] = digits[--k];
    out[len] = '\0';
}

static int model_seen(const model *md, const char *id)
{
    for (unsigned i = 0; i < RECENT_IDS; i++)
        if (md->recent[i][0] && fuzz_str_eq(md->recent[i], id))
            return 1;
    return 0;
}

static void model_remember(model *md, const char *id)
{
    /* The ids the script gives ("e" and a number) fit. */
    char *slot = md->recent[md->recent_pos++ % RECENT_IDS];
    size_t n = strnlen(id, sizeof(md->recent[0]) - 1);
    memcpy(slot, id, n);
    slot[n] = '\0';
}

/* What feed must return for `ev` in the model's state. */
static int expected_rc(const model *md, const ivrsm_event *ev)
{
    if (md->ended)
        return IVRSM_EENDED;
    if (ev->event_id && model_seen(md, ev->event_id))
        return IVRSM_EDUPLICATE;
    if (ev->type < IVRSM_EVENT_DTMF || ev->type > IVRSM_EVENT_HANGUP)
        return IVRSM_EINVAL;
    if (ev->text && strlen(ev->text) > IVRSM_MAX_INPUT_BYTES)
        return IVRSM_ELIMIT;
    switch (ev->type) {
    case IVRSM_EVENT_HANGUP:
        return 0;
    case IVRSM_EVENT_ACTION_RESULT:
        return md->wait == WAIT_HTTP && ev->command_id == md->pending_id ? 0 : IVRSM_ESTALE;
    case IVRSM_EVENT_HANDOFF_RESULT:
        return md->wait == WAIT_HANDOFF && ev->command_id == md->pending_id ? 0 : IVRSM_ESTALE;
    default:
        return md->wait == WAIT_INPUT ? 0 : IVRSM_EUNEXPECTED;
    }
}

/* ------------------------------------------------------------------------
 * Commands
 * ---------------------------------------------------------------------- */

static int url_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '#')
            return 0;
    return 1;
}

/* Checked without building it (json_check.h): the library's own JSON is checked often. */
static int is_json(const char *text, int want_object)
{
    return json_check_text(text, strlen(text), want_object);
}

/* json_check.h says what jansson says of texts at the edges of the syntax. */
static void check_json_check(void)
{
    static const char *const texts[] = {
        "{}",
        "[]",
        " {\"a\" : [1, -2.5e3, 0, true, false, null, \"\\u00e9\\n\\/\"]} ",
        "1",
        "\"\\uD83D\\uDE00\"",
        "\"\xc3\xa9\xf0\x9f\x98\x80\"",
        "",
        " ",
        "{",
        "{\"a\"}",
        "{\"a\":1,}",
        "[1,]",
        "[1 2]",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "\"\\x\"",
        "\"\t\"",
        "\"\\uD83D\"",
        "\"\\uDE00\"",
        "\"\\u12\"",
        "\"\xc3\"",
        "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "[1] x",
        "nul",
        "tru",
        "{\"a\" 1}",
        "{1:2}",
        "\"abc",
        "[[[]]]",
        "[[[]]"};
    for (size_t i = 0; i < COUNT(texts); i++) {
        json_t *j = json_loads(texts[i], JSON_DECODE_ANY, NULL);
        FUZZ_CHECK(json_check_text(texts[i], strlen(texts[i]), false) == (j != NULL),
                   "json_check.h and jansson differ on '%s'", texts[i]);
        json_decref(j);
    }
    /* Strings are scanned eight bytes at a time: each byte that stops the scan, at every
     * position of a string longer than two words, and a string cut at each length. */
    static const char *const stops[] = {"\"",           "\\n",  "\\u00e9", "\x01",     "\x1f",
                                        "\t",           "\x7f", "\x80",    "\xc3\xa9", "\xc3",
                                        "\xed\xa0\x80", "\xff", " "};
    for (size_t k = 0; k < COUNT(stops); k++)
        for (size_t at = 0; at <= 20; at++) {
            char text[64];
            int len =
                snprintf(text, sizeof(text), "\"%.*s%s%.*s\"", (int)at, "abcdefghijklmnopqrstu",
                         stops[k], (int)(20 - at), "ABCDEFGHIJKLMNOPQRSTU");
            for (int cut = len; cut >= len - 1; cut--) {
                json_t *j = json_loadb(text, (size_t)cut, JSON_DECODE_ANY, NULL);
                FUZZ_CHECK(json_check_text(text, (size_t)cut, false) == (j != NULL),
                           "json_check.h and jansson differ on '%.*s'", cut, text);
                json_decref(j);
            }
        }
}

static void check_http(const ivrsm_command *c)
{
    static const char *const methods[] = {"GET", "PUT", "POST", "PATCH", "DELETE"};
    int known = 0;
    for (size_t i = 0; c->http.method && i < COUNT(methods); i++)
        known |= fuzz_str_eq(c->http.method, methods[i]);
    FUZZ_CHECK(known, "http %llu: method %s", (unsigned long long)c->id,
               c->http.method ? c->http.method : "(null)");
    FUZZ_CHECK(c->http.path && c->http.path[0] == '/' && url_safe(c->http.path),
               "http %llu: path '%s'", (unsigned long long)c->id,
               c->http.path ? c->http.path : "(null)");
    FUZZ_CHECK(!c->http.query || url_safe(c->http.query), "http query '%s'", c->http.query);
    char key[FUZZ_ID_MAX];
    id_text(key, SESSION_ID "-", c->id);
    FUZZ_CHECK(c->http.idempotency_key && fuzz_str_eq(c->http.idempotency_key, key),
               "idempotency key '%s', expected '%s'",
               c->http.idempotency_key ? c->http.idempotency_key : "(null)", key);
    for (size_t i = 0; i < c->http.header_count; i++) {
        const ivrsm_header *h = &c->http.headers[i];
        FUZZ_CHECK(h->name && h->value, "header %zu incomplete", i);
        FUZZ_CHECK(!strpbrk(h->value, "\r\n"), "header %s: line break in '%s'", h->name, h->value);
    }
    FUZZ_CHECK(!c->http.body || is_json(c->http.body, 0), "http body not JSON: %s", c->http.body);
}

static void check_command(const ivrsm_command *c, model *md)
{
    FUZZ_CHECK(c->id > md->last_id, "command id %llu after %llu", (unsigned long long)c->id,
               (unsigned long long)md->last_id);
    md->last_id = c->id;
    FUZZ_CHECK(c->state != NULL, "command %llu without a state", (unsigned long long)c->id);
    switch (c->type) {
    case IVRSM_COMMAND_SAY:
        FUZZ_CHECK(c->text && *c->text, "say %llu without text", (unsigned long long)c->id);
        break;
    case IVRSM_COMMAND_ASK:
        FUZZ_CHECK(c->text != NULL, "ask %llu without text in %s", (unsigned long long)c->id,
                   c->state);
        FUZZ_CHECK(c->ask.terminators != NULL, "ask without terminators");
        FUZZ_CHECK(c->ask.min_digits >= 0 && c->ask.min_digits <= c->ask.max_digits,
                   "ask digits %d..%d", c->ask.min_digits, c->ask.max_digits);
        FUZZ_CHECK(c->ask.hint_count == 0 || c->ask.hints != NULL, "hints missing");
        break;
    case IVRSM_COMMAND_HTTP:
        check_http(c);
        break;
    case IVRSM_COMMAND_HANDOFF:
        FUZZ_CHECK(c->handoff.context && is_json(c->handoff.context, 1),
                   "handoff context not a JSON object");
        break;
    case IVRSM_COMMAND_HANGUP:
        FUZZ_CHECK(c->hangup.reason && *c->hangup.reason, "hangup without a reason");
        break;
    default:
        FUZZ_CHECK(0, "command type %d", (int)c->type);
    }
}

/* Strings equal, or both absent. */
static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && fuzz_str_eq(a, b));
}

/* Every field of the public command, compared without building its JSON form. */
static int same_command(const ivrsm_command *a, const ivrsm_command *b)
{
    if (a->type != b->type || a->id != b->id || !same_str(a->state, b->state) ||
        !same_str(a->text, b->text) || !same_str(a->language, b->language) ||
        a->part_count != b->part_count)
        return 0;
    for (size_t i = 0; i < a->part_count; i++)
        if (a->parts[i].type != b->parts[i].type || !same_str(a->parts[i].text, b->parts[i].text))
            return 0;
    switch (a->type) {
    case IVRSM_COMMAND_ASK:
        if (a->ask.dtmf != b->ask.dtmf || a->ask.speech != b->ask.speech ||
            a->ask.min_digits != b->ask.min_digits || a->ask.max_digits != b->ask.max_digits ||
            !same_str(a->ask.terminators, b->ask.terminators) ||
            a->ask.timeout_ms != b->ask.timeout_ms ||
            a->ask.digit_timeout_ms != b->ask.digit_timeout_ms ||
            a->ask.barge_in != b->ask.barge_in || !same_str(a->ask.collect, b->ask.collect) ||
            a->ask.hint_count != b->ask.hint_count)
            return 0;
        for (size_t i = 0; i < a->ask.hint_count; i++)
            if (!same_str(a->ask.hints[i], b->ask.hints[i]))
                return 0;
        return 1;
    case IVRSM_COMMAND_HTTP:
        if (!same_str(a->http.endpoint, b->http.endpoint) ||
            !same_str(a->http.method, b->http.method) || !same_str(a->http.path, b->http.path) ||
            !same_str(a->http.query, b->http.query) || !same_str(a->http.body, b->http.body) ||
            !same_str(a->http.idempotency_key, b->http.idempotency_key) ||
            a->http.timeout_ms != b->http.timeout_ms ||
            a->http.header_count != b->http.header_count)
            return 0;
        for (size_t i = 0; i < a->http.header_count; i++)
            if (!same_str(a->http.headers[i].name, b->http.headers[i].name) ||
                !same_str(a->http.headers[i].value, b->http.headers[i].value))
                return 0;
        return 1;
    case IVRSM_COMMAND_HANDOFF:
        return same_str(a->handoff.queue, b->handoff.queue) &&
               same_str(a->handoff.context, b->handoff.context);
    case IVRSM_COMMAND_HANGUP:
        return same_str(a->hangup.reason, b->hangup.reason);
    default:
        return 1;
    }
}

/* The command's JSON form, which must exist and be a JSON object (NULL: checked and freed). */
static char *json_form(const ivrsm_command *c, int keep)
{
    char *json = ivrsm_command_to_json(c);
    FUZZ_CHECK(json && is_json(json, 1), "command %llu has no JSON form",
               (unsigned long long)c->id);
    if (keep)
        return json;
    ivrsm_free(json);
    return NULL;
}

/* The JSON form is jansson's dump of the fields same_command() compares: building and
 * parsing it for every command was a third of the target's time; one in JSON_FORM_EVERY is. */
#define JSON_FORM_EVERY 16

/*
 * Pull every command of s, and of its twin when there is one, in step (a
 * command stays valid only until the next call on its session), checking each
 * against the model and the twin's against the original's. Checks what the
 * batch leaves the session waiting for. Returns nonzero when the batch ended
 * with a command that waits (ask, http, handoff) or a hangup.
 */
static int drain(ivrsm_session *s, ivrsm_session *twin, model *md)
{
    const ivrsm_command *c;
    int blocked = 0;
    size_t n = 0;
    while ((c = ivrsm_session_next_command(s))) {
        FUZZ_CHECK(++n <= BATCH_MAX, "more than %d commands in one batch", BATCH_MAX);
        if (verbose) {
            char *json = json_form(c, 1);
            fprintf(stderr, "  <- %s\n", json);
            ivrsm_free(json);
        } else if (c->id % JSON_FORM_EVERY == 1) {
            json_form(c, 0);
        }
        if (twin) {
            const ivrsm_command *t = ivrsm_session_next_command(twin);
            FUZZ_CHECK(t, "restored session emitted fewer commands (none for %llu)",
                       (unsigned long long)c->id);
            if (!same_command(c, t)) {
                char *ja = ivrsm_command_to_json(c), *jb = ivrsm_command_to_json(t);
                FUZZ_CHECK(0, "restored session differs:\n  %s\n  %s", ja, jb);
            }
        }
        FUZZ_CHECK(!blocked, "command %llu (type %d) after the one the session waits on",
                   (unsigned long long)c->id, (int)c->type);
        check_command(c, md);
        switch (c->type) {
        case IVRSM_COMMAND_ASK:
            md->wait = WAIT_INPUT;
            blocked = 1;
            break;
        case IVRSM_COMMAND_HTTP:
        case IVRSM_COMMAND_HANDOFF:
            md->wait = c->type == IVRSM_COMMAND_HTTP ? WAIT_HTTP : WAIT_HANDOFF;
            md->pending_id = c->id;
            blocked = 1;
            break;
        case IVRSM_COMMAND_HANGUP:
            md->wait = WAIT_NOTHING;
            blocked = 1;
            break;
        default:
            break;
        }
    }
    FUZZ_CHECK(!twin || !ivrsm_session_next_command(twin),
               "restored session emitted more commands than the original");
    md->ended = ivrsm_session_ended(s);
    if (md->ended)
        md->wait = WAIT_NOTHING;
    else
        FUZZ_CHECK(md->wait != WAIT_NOTHING, "the call goes on but waits for nothing (state %s)",
                   ivrsm_session_state(s));
    /* The session names the same pending command as the one the host was given. */
    const ivrsm_command *pending = ivrsm_session_pending_command(s);
    if (md->wait == WAIT_HTTP || md->wait == WAIT_HANDOFF)
        FUZZ_CHECK(pending && pending->id == md->pending_id &&
                       pending->type ==
                           (md->wait == WAIT_HTTP ? IVRSM_COMMAND_HTTP : IVRSM_COMMAND_HANDOFF),
                   "pending command %llu, the host waits on %llu",
                   pending ? (unsigned long long)pending->id : 0ULL,
                   (unsigned long long)md->pending_id);
    else
        FUZZ_CHECK(!pending, "command %llu pending while nothing is awaited",
                   (unsigned long long)pending->id);
    return blocked;
}

/* ------------------------------------------------------------------------
 * Traces
 * ---------------------------------------------------------------------- */

/*
 * Records are jansson's dumps, then scrubbed of secrets in place: the scrub
 * is what could break them, so a record must still be one object, and must
 * not show the token.
 */
static void check_trace(void *user, const char *record)
{
    model *md = user;
    md->trace_records++;
    FUZZ_CHECK(record && is_json(record, 1), "trace record not a JSON object: %s", record);
    FUZZ_CHECK(md->token_in_input || !strstr(record, TOKEN_MARKER),
               "a secret reached the trace: %s", record);
}

/* ------------------------------------------------------------------------
 * A call and its restored twin
 * ---------------------------------------------------------------------- */

typedef struct call {
    ivrsm_session *s;
    ivrsm_session *twin; /* restored from a snapshot of s, fed the same events; or NULL */
    model md;
} call;

static char *snapshot_of(const ivrsm_session *s)
{
    char *snap = NULL;
    int rc = ivrsm_session_snapshot(s, &snap);
    FUZZ_CHECK(rc == 0 && snap, "snapshot failed: %s", ivrsm_strerror(rc));
    return snap;
}

/*
 * The twin's state and end after every event; its ctx every CTX_COMPARED_EVERY
 * events (two dumps of ctx per event were a fifth of the target's time), and
 * its whole snapshot at the end of the input (compare_at_end()).
 */
#define CTX_COMPARED_EVERY 8

static void compare_sessions(const ivrsm_session *a, const ivrsm_session *b, unsigned event)
{
    FUZZ_CHECK(ivrsm_session_ended(a) == ivrsm_session_ended(b), "ended differs");
    const char *sa = ivrsm_session_state(a), *sb = ivrsm_session_state(b);
    FUZZ_CHECK((!sa && !sb) || (sa && sb && fuzz_str_eq(sa, sb)), "state %s vs %s", sa, sb);
    if (event % CTX_COMPARED_EVERY)
        return;
    char *ca = ivrsm_session_ctx_json(a), *cb = ivrsm_session_ctx_json(b);
    FUZZ_CHECK(ca && cb && fuzz_str_eq(ca, cb), "ctx differs:\n  %s\n  %s", ca, cb);
    ivrsm_free(ca);
    ivrsm_free(cb);
}

/*
 * The twin is dropped at the end of its window, or of the input: one
 * followed to the end of the input ends as the very same session (the same
 * snapshot); one followed for TWIN_EVENTS has given the same commands, states
 * and ctx all along (two snapshots per window were a sixth of the target's
 * time).
 */
static void twin_retire(call *k, int whole)
{
    if (whole) {
        char *a = snapshot_of(k->s), *b = snapshot_of(k->twin);
        FUZZ_CHECK(fuzz_str_eq(a, b), "restored session ends otherwise:\n  %s\n  %s", a, b);
        ivrsm_free(a);
        ivrsm_free(b);
    }
    ivrsm_session_free(k->twin);
    k->twin = NULL;
}

/*
 * Save the session and restore it; the original goes on as the twin (the
 * previous twin, checked all along, is dropped). The restored session must
 * save identically (checked at the first checkpoint of one input in
 * RESAVED_EVERY: a snapshot costs as much as thirty events, and the twin
 * checks the restored session anyway); it becomes the one the model
 * follows, so restores of restores are exercised.
 */
static void checkpoint(call *k)
{
    if (k->md.checkpoints >= k->md.checkpoints_max)
        return;
    char *snap = snapshot_of(k->s);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.clock = fixed_clock;
    o.mem = SESSION_MEM;
    if (k->md.traced) {
        o.trace = check_trace;
        o.trace_user = &k->md;
    }
    ivrsm_session *restored = NULL;
    ivrsm_error err;
    int rc = ivrsm_session_restore(seed_machine, snap, &o, &restored, &err);
    FUZZ_CHECK(rc == 0, "restore of a fresh snapshot failed: %s", err.message);
    if (k->md.checkpoints++ == 0 && k->md.resave) {
        char *again = snapshot_of(restored);
        FUZZ_CHECK(fuzz_str_eq(snap, again), "snapshot changed by a restore:\n  %s\n  %s", snap,
                   again);
        ivrsm_free(again);
    }
    ivrsm_free(snap);
    ivrsm_session_free(k->twin);
    k->twin = k->s;
    k->s = restored;
    k->md.twin_events = k->md.twin_window;
}

/*
 * Pull the commands of the call and of its twin and compare them. Returns
 * nonzero when the batch ended with something to wait for (or a hangup).
 */
static int drain_both(call *k)
{
    int blocked = drain(k->s, k->twin, &k->md);
    if (k->twin)
        compare_sessions(k->s, k->twin, k->md.fed);
    return blocked;
}

/* Feed one event to the call (and its twin) and check the answer. */
static void feed(call *k, const ivrsm_event *ev, int checkpoint_before_drain)
{
    int want = expected_rc(&k->md, ev);
    /* A refused event changes nothing: checked against whole snapshots for the first refusal
     * of one input in REFUSAL_CHECKED_EVERY (a script repeats its kinds of refusal). */
    char *before = want != 0 && k->md.refusal_checks > 0 ? snapshot_of(k->s) : NULL;
    k->md.refusal_checks -= before != NULL;
    int rc = ivrsm_session_feed(k->s, ev);
    k->md.fed++;
    if (verbose)
        fprintf(stderr, "-> event %d id %s text '%s' command %llu status %d: %s\n", (int)ev->type,
                ev->event_id ? ev->event_id : "-", ev->text ? ev->text : "",
                (unsigned long long)ev->command_id, ev->status, ivrsm_strerror(rc));
    FUZZ_CHECK(rc == want, "feed of event type %d returned %s, expected %s (state %s)",
               (int)ev->type, ivrsm_strerror(rc), ivrsm_strerror(want), ivrsm_session_state(k->s));
    if (k->twin) {
        int rc2 = ivrsm_session_feed(k->twin, ev);
        FUZZ_CHECK(rc2 == rc, "restored session answered %s, the original %s", ivrsm_strerror(rc2),
                   ivrsm_strerror(rc));
    }
    if (before) {
        char *after = snapshot_of(k->s);
        FUZZ_CHECK(fuzz_str_eq(before, after), "a refused event changed the session:\n  %s\n  %s",
                   before, after);
        ivrsm_free(before);
        ivrsm_free(after);
    }
    if (rc == 0 && ev->event_id)
        model_remember(&k->md, ev->event_id);
    if (rc == 0 && checkpoint_before_drain)
        checkpoint(k);
    int blocked = drain_both(k);
    if (k->twin && k->md.twin_events && --k->md.twin_events == 0)
        twin_retire(k, 0);
    if (rc == 0 && ev->type == IVRSM_EVENT_HANGUP)
        FUZZ_CHECK(k->md.ended, "a hangup did not end the call");
    /* A taken event moves the call on: to a new ask, http or handoff, or to its end. */
    FUZZ_CHECK(rc != 0 || blocked || k->md.ended,
               "event type %d taken, but nothing asked or called (state %s)", (int)ev->type,
               ivrsm_session_state(k->s));
}

/* ------------------------------------------------------------------------
 * Starting points: the seed's call part-way through
 * ---------------------------------------------------------------------- */

/*
 * A first byte from START_MARK up starts the input from one of the sessions
 * saved at init along the seed's paths (each time one waited for something),
 * restored as a host restores a call, instead of from the welcome: an input
 * reaches the appointment list or the slots without replaying the login (a
 * dozen events, half the cost of an input that went that deep). Other first
 * bytes are events, as before.
 */
#define START_MARK 0xC0
#define STARTS_MAX 64

typedef struct start_point {
    char *snapshot;
    waiting wait;        /* what the session waits for there */
    uint64_t pending_id; /* the http or handoff command it waits on */
    uint64_t last_id;    /* the last command it gave */
} start_point;

static start_point starts[STARTS_MAX];
static size_t start_count;

/* The paths of the seed's call the starting points are taken along (tests/test_oom.c). */
static const char *const *const start_paths[] = {
    (const char *const[]){"dtmf 1", "dtmf 0612345678#", "say un deux trois quatre cinq six",
                          "say oui", "dtmf 2", "say le premier", "say je veux déplacer", "dtmf 1",
                          "say en visio", "say lundi prochain", "dtmf 2", "say partager", NULL},
    (const char *const[]){"dtmf 1", "dtmf 0612345678#", "say 482913", "say oui", "dtmf 1",
                          "say le deuxième", "say annuler", "say personnel", "say oui", NULL},
    (const char *const[]){"dtmf 1", "dtmf 0612345678#", "say 482913", "say non", NULL},
    (const char *const[]){"dtmf 1", "dtmf 0612345678#", "say 482913", "say oui", "dtmf 3",
                          "say passés", "say le premier", "say agenda", NULL},
    (const char *const[]){"dtmf 0", NULL},
    (const char *const[]){"say équipe", NULL},
    (const char *const[]){"say recevoir un lien", "say sms", NULL},
};

/* What the seed's backend answers (the bodies above), by endpoint. */
static const char *canned_answer(const char *endpoint)
{
    static const char *const answers[][2] = {
        {"request_otp", "{\"challenge_id\":\"ch-1\",\"ttl_sec\":600}"},
        {"verify_otp", "{\"session_token\":\"" TOKEN_MARKER "\",\"partner_id\":42}"},
        {"list_appointments",
         "{\"count\":3,\"appointments\":[{\"id\":\"a1\"},{\"id\":\"a2\"},{\"id\":\"a3\"}],"
         "\"summary_voice\":\"Lundi 3 juin à 9 heures, mardi, mercredi.\"}"},
        {"get_appointment", "{\"voice_detail\":\"Rendez-vous lundi à 9 heures.\",\"id\":\"a1\"}"},
        {"get_proposals",
         "{\"slots\":[{\"id\":\"s1\",\"voice_label\":\"mardi 10 heures\"},{\"id\":\"s2\","
         "\"voice_label\":\"mercredi\"},{\"id\":\"s3\",\"voice_label\":\"jeudi\"}],\"count\":3}"},
    };
    for (size_t i = 0; endpoint && i < COUNT(answers); i++)
        if (!strcmp(answers[i][0], endpoint))
            return answers[i][1];
    return "{}";
}

static void keep_start(const ivrsm_session *s, const start_point *at)
{
    if (start_count == STARTS_MAX || ivrsm_session_ended(s) || at->wait == WAIT_NOTHING)
        return;
    char *snap = snapshot_of(s);
    for (size_t i = 0; i < start_count; i++)
        if (!strcmp(starts[i].snapshot, snap)) {
            ivrsm_free(snap);
            return;
        }
    if (verbose)
        fprintf(stderr, "starting point %zu (first byte %d): %s, waiting for %s\n", start_count,
                START_MARK + (int)start_count, ivrsm_session_state(s),
                at->wait == WAIT_INPUT  ? "the caller"
                : at->wait == WAIT_HTTP ? "http"
                                        : "handoff");
    starts[start_count] = *at;
    starts[start_count++].snapshot = snap;
}

/* Pull the batch, keep the session as a starting point, answer its requests as the seed's
 * backend would; until it waits for the caller, a handoff, or nothing. */
static void prepare_batches(ivrsm_session *s, start_point *at)
{
    for (;;) {
        const ivrsm_command *c;
        const char *answer = NULL;
        at->wait = WAIT_NOTHING;
        while ((c = ivrsm_session_next_command(s))) {
            at->last_id = c->id;
            if (c->type == IVRSM_COMMAND_ASK) {
                at->wait = WAIT_INPUT;
            } else if (c->type == IVRSM_COMMAND_HTTP || c->type == IVRSM_COMMAND_HANDOFF) {
                at->wait = c->type == IVRSM_COMMAND_HTTP ? WAIT_HTTP : WAIT_HANDOFF;
                at->pending_id = c->id;
                answer = c->type == IVRSM_COMMAND_HTTP ? canned_answer(c->http.endpoint) : NULL;
            }
        }
        keep_start(s, at);
        if (at->wait != WAIT_HTTP)
            return;
        ivrsm_event ev = IVRSM_EVENT_INIT;
        ev.type = IVRSM_EVENT_ACTION_RESULT;
        ev.command_id = at->pending_id;
        ev.status = 200;
        ev.body = answer;
        FUZZ_CHECK(ivrsm_session_feed(s, &ev) == 0, "canned answer refused");
    }
}

static void prepare_starts(void)
{
    ivrsm_session_options o = session_options();
    for (size_t p = 0; p < COUNT(start_paths); p++) {
        ivrsm_session *s = NULL;
        FUZZ_CHECK(ivrsm_session_new(seed_machine, &o, &s, NULL) == 0 &&
                       ivrsm_session_start(s) == 0,
                   "a session on the machine");
        start_point at = {0};
        prepare_batches(s, &at);
        unsigned n = 0;
        for (const char *const *line = start_paths[p]; *line && at.wait == WAIT_INPUT; line++) {
            char id[16];
            snprintf(id, sizeof(id), "p%u", n++); /* never an id the script gives ("e...") */
            ivrsm_event ev = IVRSM_EVENT_INIT;
            ev.type = !strncmp(*line, "dtmf ", 5) ? IVRSM_EVENT_DTMF : IVRSM_EVENT_SPEECH;
            ev.text = strchr(*line, ' ') + 1;
            ev.event_id = id;
            ev.confidence = -1;
            if (ivrsm_session_feed(s, &ev) != 0)
                break; /* another machine (IVRSM_FUZZ_MACHINE): fewer starting points */
            prepare_batches(s, &at);
        }
        ivrsm_session_free(s);
    }
}

/* The session of starting point `pick`, and the model of what it waits for. */
static ivrsm_session *start_from(uint8_t pick, const ivrsm_session_options *o, model *md)
{
    const start_point *at = &starts[pick % start_count];
    ivrsm_session *s = NULL;
    ivrsm_error err;
    FUZZ_CHECK(ivrsm_session_restore(seed_machine, at->snapshot, o, &s, &err) == 0,
               "restore of a starting point: %s", err.message);
    md->wait = at->wait;
    md->pending_id = at->pending_id;
    md->last_id = at->last_id;
    return s;
}

/* ------------------------------------------------------------------------
 * Decoding the script
 * ---------------------------------------------------------------------- */

/* Strings an event points at, owned until the event was fed. */
typedef struct event_strings {
    char id[FUZZ_ID_MAX];
    char dtmf[24];
    char *raw;
} event_strings;

static uint64_t pick_command_id(fuzz_reader *r, const model *md)
{
    uint8_t b = fuzz_byte(r);
    switch (b % 8) {
    case 4:
        return md->pending_id + 1;
    case 5:
        return 0;
    case 6:
        return md->last_id;
    case 7:
        return UINT64_MAX;
    default:
        return md->pending_id;
    }
}

static void action_result(fuzz_reader *r, model *md, ivrsm_event *ev, event_strings *str)
{
    ev->type = IVRSM_EVENT_ACTION_RESULT;
    ev->command_id = pick_command_id(r, md);
    uint8_t st = fuzz_byte(r);
    ev->status = statuses[st % COUNT(statuses)];
    if (ev->status == 0)
        ev->error = (st & 0x80) ? "timeout" : "connection refused";
    else if ((st & 0x80) && st % 7 == 0)
        ev->error = "reset by peer";
    uint8_t bsel = fuzz_byte(r);
    if (bsel % (COUNT(bodies) + 2) < COUNT(bodies)) {
        ev->body = bodies[bsel % (COUNT(bodies) + 2)];
        ev->body_len = strlen(ev->body);
    } else if (bsel % (COUNT(bodies) + 2) == COUNT(bodies)) {
        /* Arbitrary bytes, exactly body_len of them (no terminator to lean on). */
        size_t len;
        str->raw = fuzz_bytes(r, 255, &len);
        md->token_in_input |= strstr(str->raw, TOKEN_MARKER) != NULL;
        ev->body = len ? str->raw : NULL;
        ev->body_len = len;
    }
}

static double pick_confidence(fuzz_reader *r)
{
    uint8_t c = fuzz_byte(r);
    return c == 255 ? -1.0 : c / 254.0;
}

/* Confidences no recogniser should give, but a host might pass on. */
static double odd_confidence(uint8_t pick)
{
    switch (pick % 6) {
    case 0:
        return NAN;
    case 1:
        return INFINITY;
    case 2:
        return -INFINITY;
    case 3:
        return -0.0;
    case 4:
        return 1e-300;
    default:
        return 2.0;
    }
}

/* A text of 4090 to 4101 bytes (the bound is IVRSM_MAX_INPUT_BYTES), repeating `unit`. */
static char *long_text(fuzz_reader *r, const char *unit)
{
    size_t n = IVRSM_MAX_INPUT_BYTES - 6 + fuzz_byte(r) % 12, u = strlen(unit);
    char *s = malloc(n + 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    /* The unit, then what is already written doubled: a few copies, not a loop per byte. */
    memcpy(s, unit, u < n ? u : n);
    for (size_t done = u; done < n; done *= 2)
        memcpy(s + done, s, done < n - done ? done : n - done);
    s[n] = '\0';
    return s;
}

/* Events at the edges of the API: bounds, bad types, missing or odd fields. */
static void odd_event(fuzz_reader *r, model *md, ivrsm_event *ev, event_strings *str)
{
    static const int bad_types[] = {0, 9, -1, 100};
    uint8_t pick = fuzz_byte(r);
    switch (pick % 6) {
    case 0:
        ev->type = IVRSM_EVENT_SPEECH;
        str->raw = long_text(r, "rendez-vous conseiller ");
        ev->text = str->raw;
        break;
    case 1:
        ev->type = IVRSM_EVENT_DTMF;
        str->raw = long_text(r, "0612345678#");
        ev->text = str->raw;
        break;
    case 2:
        ev->type = (ivrsm_event_type)bad_types[(pick / 6) % 4];
        break;
    case 3:
        ev->type = (pick & 0x80) ? IVRSM_EVENT_DTMF : IVRSM_EVENT_SPEECH;
        break; /* no text */
    case 4:
        ev->type = IVRSM_EVENT_SPEECH;
        ev->text = phrases[fuzz_byte(r) % COUNT(phrases)];
        ev->confidence = odd_confidence(fuzz_byte(r));
        break;
    default:
        /* A body whose length is left to strlen (body_len 0). */
        ev->type = IVRSM_EVENT_ACTION_RESULT;
        ev->command_id = md->pending_id;
        ev->status = 200;
        str->raw = fuzz_bytes(r, 255, NULL);
        md->token_in_input |= strstr(str->raw, TOKEN_MARKER) != NULL;
        ev->body = str->raw;
        break;
    }
}

/*
 * Decode one event. Returns 0, or 1 for a checkpoint (no event), with
 * *before_drain set when the checkpoint waits for the next event's commands.
 */
static int decode_event(fuzz_reader *r, model *md, ivrsm_event *ev, event_strings *str)
{
    memset(ev, 0, sizeof(*ev));
    ev->confidence = -1;
    uint8_t op = fuzz_byte(r);
    switch (op & 0x0f) {
    case 0: {
        static const char keys[] = "0123456789*#ABCD";
        size_t n = fuzz_byte(r) % (sizeof(str->dtmf) - 2);
        for (size_t i = 0; i < n; i++)
            str->dtmf[i] = keys[fuzz_byte(r) % 16];
        str->dtmf[n] = '\0';
        ev->type = IVRSM_EVENT_DTMF;
        ev->text = str->dtmf;
        break;
    }
    case 1:
    case 12:
        ev->type = IVRSM_EVENT_DTMF;
        ev->text = dtmf_choices[fuzz_byte(r) % COUNT(dtmf_choices)];
        break;
    case 2:
    case 13:
        ev->type = IVRSM_EVENT_SPEECH;
        ev->text = phrases[fuzz_byte(r) % COUNT(phrases)];
        ev->confidence = pick_confidence(r);
        break;
    case 3:
        ev->type = IVRSM_EVENT_SPEECH;
        str->raw = fuzz_bytes(r, 255, NULL);
        md->token_in_input |= strstr(str->raw, TOKEN_MARKER) != NULL;
        ev->text = str->raw;
        ev->confidence = pick_confidence(r);
        break;
    case 4:
        ev->type = IVRSM_EVENT_INTENT;
        ev->text = intents[fuzz_byte(r) % COUNT(intents)];
        break;
    case 15:
        ev->type = IVRSM_EVENT_INTENT;
        str->raw = fuzz_bytes(r, 64, NULL);
        md->token_in_input |= strstr(str->raw, TOKEN_MARKER) != NULL;
        ev->text = str->raw;
        break;
    case 5:
        ev->type = IVRSM_EVENT_NOINPUT;
        break;
    case 6:
        ev->type = IVRSM_EVENT_NOMATCH;
        break;
    case 7:
        action_result(r, md, ev, str);
        break;
    case 14:
        odd_event(r, md, ev, str);
        break;
    case 8:
        /* A success answering the pending command: the way deeper into the machine. */
        ev->type = IVRSM_EVENT_ACTION_RESULT;
        ev->command_id = md->pending_id;
        ev->status = 200;
        ev->body = bodies[fuzz_byte(r) % 8];
        break;
    case 9:
        ev->type = IVRSM_EVENT_HANDOFF_RESULT;
        ev->command_id = pick_command_id(r, md);
        ev->ok = fuzz_byte(r) & 1;
        break;
    case 10:
        ev->type = IVRSM_EVENT_HANGUP;
        break;
    case 11:
        return 1;
    }
    /* Event ids: a fresh one, none, or one used before (a redelivery). */
    switch ((op >> 4) & 3) {
    case 1:
        break;
    case 2: {
        unsigned back = fuzz_byte(r) % 40 + 1;
        unsigned n = md->next_event >= back ? md->next_event - back : 0;
        id_text(str->id, "e", n);
        ev->event_id = str->id;
        break;
    }
    default:
        id_text(str->id, "e", md->next_event++);
        ev->event_id = str->id;
        break;
    }
    return 0;
}

/* The failure answering what the session waits for. */
static ivrsm_event failure_event(const model *md, unsigned turn)
{
    static const char *const errors[] = {"timeout", NULL, NULL};
    static const int failing_status[] = {0, 500, 200};
    ivrsm_event ev = {0};
    ev.confidence = -1;
    switch (md->wait) {
    case WAIT_HTTP:
        ev.type = IVRSM_EVENT_ACTION_RESULT;
        ev.command_id = md->pending_id;
        ev.status = failing_status[turn % 3];
        ev.error = errors[turn % 3];
        ev.body = "not json"; /* a 200 with this body is a failure too */
        break;
    case WAIT_HANDOFF:
        ev.type = IVRSM_EVENT_HANDOFF_RESULT;
        ev.command_id = md->pending_id;
        break;
    default:
        ev.type = (turn % 2) ? IVRSM_EVENT_NOMATCH : IVRSM_EVENT_NOINPUT;
        break;
    }
    return ev;
}

static uint32_t input_hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("IVRSM_FUZZ_MACHINE");
    if (!path)
        path = IVRSM_FUZZ_SEED_MACHINE;
    verbose = getenv("IVRSM_FUZZ_VERBOSE") != NULL;
#ifdef FUZZ_OWN_ALLOCATOR
    /* Before anything uses jansson: a value is freed by the function set when it is. */
    check_allocator();
    json_set_alloc_funcs(fuzz_alloc, fuzz_dealloc);
#endif
    ivrsm_error err;
    if (ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &seed_machine, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.message);
        abort();
    }
    check_json_check();
    prepare_starts();
    return 0;
}

/*
 * Which of the costliest checks an input runs (the shares above, by its hash, so that a given
 * input always runs the same way). The corpus replayer runs all of them on every input: it is
 * not pressed for time, and a kept input then fails the check it was kept for whatever the
 * shares become.
 */
static void choose_checks(model *md, uint32_t hash)
{
    if (!FUZZ_SAMPLED) {
        md->traced = 1;
        md->refusal_checks = 1;
        md->twin_window = 0;
        md->resave = 1;
        md->checkpoints_max = CHECKPOINTS_MAX;
        return;
    }
    md->traced = hash % TRACED_EVERY == 0;
    hash /= TRACED_EVERY;
    md->refusal_checks = hash % REFUSAL_CHECKED_EVERY == 0;
    hash /= REFUSAL_CHECKED_EVERY;
    md->twin_window = hash % TWIN_TO_END_EVERY == 0 ? 0 : TWIN_EVENTS;
    hash /= TWIN_TO_END_EVERY;
    md->resave = hash % RESAVED_EVERY == 0;
    hash /= RESAVED_EVERY;
    md->checkpoints_max = hash % SECOND_CHECKPOINT_EVERY == 0 ? CHECKPOINTS_MAX : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    call k;
    memset(&k, 0, sizeof(k));
    fuzz_reader r = {data, size, 0};
    ivrsm_session_options o = session_options();
    /* Building trace records is most of a traced call's cost: one input in TRACED_EVERY
     * (by its hash, so a given input always runs the same way) runs with a trace sink. */
    uint32_t hash = input_hash(data, size);
    choose_checks(&k.md, hash);
    if (k.md.traced) {
        o.trace = check_trace;
        o.trace_user = &k.md;
    }
    if (size && data[0] >= START_MARK && start_count) {
        k.s = start_from(fuzz_byte(&r) - START_MARK, &o, &k.md);
    } else {
        FUZZ_CHECK(ivrsm_session_new(seed_machine, &o, &k.s, NULL) == 0, "session_new");
        FUZZ_CHECK(ivrsm_session_start(k.s) == 0, "start");
        FUZZ_CHECK(drain_both(&k) || k.md.ended, "the call starts waiting for nothing");
    }

    int checkpoint_next = 0;
    for (int n = 0; n < SCRIPT_EVENTS_MAX && fuzz_more(&r); n++) {
        ivrsm_event ev;
        event_strings str = {{0}, {0}, NULL};
        if (decode_event(&r, &k.md, &ev, &str) == 1) {
            if (fuzz_byte(&r) & 1)
                checkpoint_next = 1;
            else
                checkpoint(&k);
            continue;
        }
        feed(&k, &ev, checkpoint_next);
        checkpoint_next = 0;
        free(str.raw);
    }

    for (unsigned turn = 0; !k.md.ended && turn < FAILURE_EVENTS_MAX; turn++) {
        ivrsm_event ev = failure_event(&k.md, turn);
        feed(&k, &ev, 0);
    }
    FUZZ_CHECK(k.md.ended, "call still running after %d failures (state %s)", FAILURE_EVENTS_MAX,
               ivrsm_session_state(k.s));
    if (k.twin)
        twin_retire(&k, k.md.twin_window == 0);
    ivrsm_session_free(k.s);
    return 0;
}
