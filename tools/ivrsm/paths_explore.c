/*
 * Breadth-first search over the calls of a machine (see paths_explore.h).
 *
 * Each situation is kept as a session snapshot; expanding it restores the
 * session, gives it one thing (an input, an http answer, a handoff answer)
 * and lets it run to the next thing it waits for. The session's trace
 * records say which transitions that step took, read against the machine's
 * own list with the rules of `ivrsm test --coverage`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_real.h"
#include "ivrsm/http_curl.h"
#include "paths_answers.h"
#include "paths_data.h"
#include "paths_explore.h"

/* Speech that no machine routes and no parser reads as a phone, a code or a date. */
#define PX_NONSENSE "xyzzy plugh"

typedef enum px_wait { WAIT_INPUT = 0, WAIT_HTTP, WAIT_HANDOFF, WAIT_END } px_wait;

/* What a situation waits for, kept beside its node. */
typedef struct px_info {
    px_wait wait;
    size_t state;
    int ask_min_digits;
    int ask_max_digits; /* 0: no bound */
    bool ask_dtmf;
    bool ask_speech;
    char ask_collect[32];
} px_info;

typedef struct explorer {
    const px_options *o;
    px_result *r;
    px_info *info; /* per node */
    size_t cap;
    json_t *seen;   /* situation key → 1 */
    json_t *places; /* place key, and place and ctx shape key → situations kept there */
    json_t *atoms;  /* the comparisons of the machine's conditions (pd_condition_atoms()) */
    ivrsm_http *http;
    size_t covered;
    /* The step being run: the transitions it took, and the first of them. */
    size_t *taken;
    size_t taken_count, taken_cap;
    char first_move[300];
    bool failed;    /* out of memory */
    int64_t now_ms; /* the clock of the call being run */
} explorer;

/* ---------------------------------------------------------------------------
 * Running one step
 * ------------------------------------------------------------------------- */

static int64_t fixed_clock(void *user)
{
    return ((const explorer *)user)->now_ms;
}

static void on_trace(void *user, const char *text)
{
    explorer *x = user;
    if (!strstr(text, "\"transition\""))
        return;
    json_t *rec = json_loads(text, 0, NULL);
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const char *from = json_string_value(json_object_get(rec, "from"));
    const char *to = json_string_value(json_object_get(rec, "to"));
    const char *reason = json_string_value(json_object_get(rec, "reason"));
    if (kind && !strcmp(kind, "transition") && to) {
        int ti = ivrsm_machine_state_index(x->o->machine, to);
        if (ti >= 0)
            x->r->state_reached[ti] = true;
        if (!x->first_move[0] && from)
            snprintf(x->first_move, sizeof(x->first_move), "went to %s (%s)", to,
                     reason ? reason : "?");
        const char *via;
        int e = cov_edge_of_record(x->o->machine, x->r->edges, x->r->edge_count, from, to, reason,
                                   &via);
        if (e >= 0) {
            if (x->taken_count == x->taken_cap) {
                size_t cap = x->taken_cap ? 2 * x->taken_cap : 8;
                size_t *more = realloc(x->taken, cap * sizeof(*more));
                if (!more) {
                    x->failed = true;
                    json_decref(rec);
                    return;
                }
                x->taken = more;
                x->taken_cap = cap;
            }
            x->taken[x->taken_count++] = (size_t)e;
        }
    }
    json_decref(rec);
}

static ivrsm_session_options session_options(explorer *x)
{
    return (ivrsm_session_options){.call_id = x->o->call_id,
                                   .clock = fixed_clock,
                                   .clock_user = x,
                                   .trace = on_trace,
                                   .trace_user = x};
}

/* Pull every queued command; say what the session now waits for. */
static px_info settle(explorer *x, ivrsm_session *s)
{
    px_info in = {.wait = WAIT_INPUT};
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(s)) != NULL) {
        if (c->type != IVRSM_COMMAND_ASK)
            continue;
        in.ask_min_digits = c->ask.min_digits;
        in.ask_max_digits = c->ask.max_digits;
        in.ask_dtmf = c->ask.dtmf != 0;
        in.ask_speech = c->ask.speech != 0;
        snprintf(in.ask_collect, sizeof(in.ask_collect), "%s",
                 c->ask.collect ? c->ask.collect : "");
    }
    const char *state = ivrsm_session_state(s);
    int si = state ? ivrsm_machine_state_index(x->o->machine, state) : -1;
    in.state = si >= 0 ? (size_t)si : 0;
    const ivrsm_command *p = ivrsm_session_pending_command(s);
    if (ivrsm_session_ended(s))
        in.wait = WAIT_END;
    else if (p && p->type == IVRSM_COMMAND_HTTP)
        in.wait = WAIT_HTTP;
    else if (p && p->type == IVRSM_COMMAND_HANDOFF)
        in.wait = WAIT_HANDOFF;
    return in;
}

/*
 * The keys of a situation. The full key is what decides the rest of the
 * call: state, phase, counters, ctx, last response, the pending command
 * (sequence numbers, event ids, visit counts and the texts said are left
 * out: they change along every path without changing where a call can go,
 * within the bounds). The place is the state, its own counters and the
 * command awaited: a search that kept every ctx ever seen in every place
 * would grow with the product of the caller's choices, so each place keeps
 * its first PX_VARIANTS situations, the shortest ones.
 */
#define PX_VARIANTS 48
/* ... and of the situations with the same ctx keys set (values aside), the first two:
 * what a call can do next depends more on what it knows than on what it chose. */
#define PX_SHAPE_VARIANTS 2

static bool empty_value(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)) ||
           (json_is_array(v) && !json_array_size(v)) || (json_is_object(v) && !json_object_size(v));
}

/* The place, the names of the ctx keys that hold something and how the ctx falls on the
 * machine's conditions (pd_condition_class()): a score of 0 and one of 10 are two shapes where
 * a route takes `ctx.score <= 6`, though both set the same keys. */
static char *shape_key(const json_t *ctx, const json_t *atoms, const char *place)
{
    json_t *names = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ctx, k, v)
    {
        if (!empty_value(v))
            json_array_append_new(names, json_string(k));
    }
    char *cls = pd_condition_class(atoms, ctx);
    json_t *o =
        cls ? json_pack("{s:s, s:o, s:s}", "place", place, "set", names, "data", cls) : NULL;
    if (!cls)
        json_decref(names);
    free(cls);
    char *text = o ? ivrsm_json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return text;
}

static bool situation_keys(const char *snapshot, const json_t *atoms, int64_t now_ms, bool clocked,
                           char **full, char **place, char **shape)
{
    *full = *place = *shape = NULL;
    json_t *s = json_loads(snapshot, 0, NULL);
    if (!s)
        return false;
    json_t *pending = json_deep_copy(json_object_get(s, "pending"));
    if (json_is_object(pending)) {
        json_object_del(pending, "id");
        json_object_del(pending, "idempotency_key");
    }
    json_t *counters = json_object_get(s, "counters");
    json_t *k =
        json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:o?}", "state", json_object_get(s, "state"),
                  "phase", json_object_get(s, "phase"), "ctx", json_object_get(s, "ctx"), "resp",
                  json_object_get(s, "resp"), "counters", counters, "pending", pending);
    json_t *p = json_pack(
        "{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "state", json_object_get(s, "state"), "phase",
        json_object_get(s, "phase"), "noinput", json_object_get(counters, "noinput"), "nomatch",
        json_object_get(counters, "nomatch"), "retries", json_object_get(counters, "retries"),
        "method", json_object_get(pending, "method"), "path", json_object_get(pending, "path"));
    /* A machine that reads the clock may go elsewhere at another time: the same situation
     * at another clock is another one (with its own two of each ctx shape). */
    if (k && clocked)
        json_object_set_new(k, "now", json_integer(now_ms));
    *full = k ? ivrsm_json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    *place = p ? ivrsm_json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (*place && clocked)
        json_object_set_new(p, "now", json_integer(now_ms));
    char *timed = clocked && p ? ivrsm_json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    *shape = *place ? shape_key(json_object_get(s, "ctx"), atoms, timed ? timed : *place) : NULL;
    free(timed);
    json_decref(k);
    json_decref(p);
    json_decref(s);
    return *full && *place && *shape;
}

/* ---------------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------------- */

static px_node *new_node(explorer *x, size_t parent, px_step_kind kind)
{
    px_result *r = x->r;
    if (r->node_count == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 256;
        px_node *nodes = realloc(r->nodes, cap * sizeof(*nodes));
        px_info *info = nodes ? realloc(x->info, cap * sizeof(*info)) : NULL;
        if (nodes)
            r->nodes = nodes;
        if (!nodes || !info) {
            x->failed = true;
            return NULL;
        }
        x->info = info;
        x->cap = cap;
    }
    px_node *n = &r->nodes[r->node_count];
    memset(n, 0, sizeof(*n));
    n->parent = parent;
    n->kind = kind;
    n->now_ms = parent == SIZE_MAX ? x->now_ms : r->nodes[parent].now_ms;
    n->inputs = parent == SIZE_MAX ? 0 : r->nodes[parent].inputs + (kind == PX_INPUT);
    return n;
}

/*
 * After a step on session s: keep the situation as a node when it is new or
 * when the step took a transition never taken before (the path to it is
 * then one to write). Takes the node `n` from new_node(); frees the session.
 */
static void keep(explorer *x, px_node *n, ivrsm_session *s)
{
    px_result *r = x->r;
    size_t index = r->node_count;
    bool fresh_edge = false;
    for (size_t i = 0; i < x->taken_count; i++)
        fresh_edge |= r->first[x->taken[i]] == SIZE_MAX;
    px_info info = settle(x, s);
    char *snap = NULL;
    char *key = NULL, *place = NULL, *shape = NULL;
    bool novel = false;
    if (info.wait != WAIT_END && ivrsm_session_snapshot(s, &snap) == 0 &&
        situation_keys(snap, x->atoms, n->now_ms, x->o->clock_count > 0, &key, &place, &shape)) {
        novel = !json_object_get(x->seen, key) &&
                json_integer_value(json_object_get(x->places, place)) < PX_VARIANTS &&
                json_integer_value(json_object_get(x->places, shape)) < PX_SHAPE_VARIANTS;
    }
    ivrsm_session_free(s);
    if (!novel && !fresh_edge) {
        ivrsm_free(snap);
        free(key);
        free(place);
        free(shape);
        drv_input_clear(&n->input);
        free(n->http_key);
        json_decref(n->answer);
        json_decref(n->ctx);
        return;
    }
    if (novel) {
        json_object_set_new(x->seen, key, json_true());
        json_object_set_new(
            x->places, place,
            json_integer(json_integer_value(json_object_get(x->places, place)) + 1));
        json_object_set_new(
            x->places, shape,
            json_integer(json_integer_value(json_object_get(x->places, shape)) + 1));
    }
    free(key);
    free(place);
    free(shape);
    n->snapshot = novel && snap ? strdup(snap) : NULL; /* a known situation is not explored twice */
    ivrsm_free(snap);
    n->edges = x->taken_count ? malloc(x->taken_count * sizeof(*n->edges)) : NULL;
    if (n->edges) {
        memcpy(n->edges, x->taken, x->taken_count * sizeof(*n->edges));
        n->edge_count = x->taken_count;
    }
    for (size_t i = 0; i < n->edge_count; i++) {
        if (r->first[n->edges[i]] == SIZE_MAX) {
            r->first[n->edges[i]] = index;
            x->covered++;
        }
    }
    x->info[index] = info;
    r->node_count++;
}

static void begin_step(explorer *x)
{
    x->taken_count = 0;
    x->first_move[0] = '\0';
}

static ivrsm_session *restore(explorer *x, size_t node)
{
    ivrsm_session *s = NULL;
    ivrsm_session_options so = session_options(x);
    ivrsm_error err;
    x->now_ms = x->r->nodes[node].now_ms;
    if (ivrsm_session_restore(x->o->machine, x->r->nodes[node].snapshot, &so, &s, &err) != 0)
        return NULL;
    return s;
}

/* ---------------------------------------------------------------------------
 * Caller inputs
 * ------------------------------------------------------------------------- */

/* Try one input on `node`; returns whether it took edge `want` (SIZE_MAX: any). */
static bool try_input(explorer *x, size_t node, ivrsm_event_type type, const char *text,
                      size_t want, char *what, size_t whatlen)
{
    begin_step(x);
    ivrsm_session *s = restore(x, node);
    if (!s)
        return false;
    ivrsm_event ev = {.type = type, .text = text, .confidence = -1};
    if (ivrsm_session_feed(s, &ev) != 0) {
        ivrsm_session_free(s);
        return false;
    }
    bool took = false;
    for (size_t i = 0; i < x->taken_count; i++)
        took |= x->taken[i] == want;
    if (what && !took)
        snprintf(what, whatlen, "%s", x->first_move[0] ? x->first_move : "the state asked again");
    px_node *n = new_node(x, node, PX_INPUT);
    if (!n) {
        ivrsm_session_free(s);
        return false;
    }
    n->input = (drv_input){.type = type, .text = text ? strdup(text) : NULL, .confidence = -1};
    keep(x, n, s);
    return took;
}

/* Whether keys fit the question as asked (so that a keypad passes them on unchanged). */
static bool keys_fit(const px_info *in, const char *keys)
{
    return in->ask_dtmf && (in->ask_max_digits <= 0 || strlen(keys) <= (size_t)in->ask_max_digits);
}

static const char *sim_word(ivrsm_event_type t)
{
    return t == IVRSM_EVENT_DTMF ? "dtmf" : t == IVRSM_EVENT_SPEECH ? "say" : "intent";
}

static void note_why(explorer *x, size_t edge, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note_why(explorer *x, size_t edge, const char *fmt, ...)
{
    if (x->r->why_not[edge])
        return;
    char text[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    x->r->why_not[edge] = strdup(text);
}

typedef struct px_try {
    ivrsm_event_type type;
    const char *text;
} px_try;

/* The inputs that say a route: the intent's keys, its first words, its name; or the phrase. */
/* The route behind a route edge (its intent, phrase or condition as the edge's label). */
static const ivrsm_transition *edge_route(const ivrsm_machine *m, const cov_edge *edge)
{
    for (size_t k = 0; k < ivrsm_machine_transition_count(m, edge->from); k++) {
        const ivrsm_transition *t = ivrsm_machine_transition(m, edge->from, k);
        const char *label = t->intent ? t->intent : t->text ? t->text : t->condition;
        if (t->to == edge->to && t->kind == edge->kind && label && edge->label &&
            strlen(label) == edge->label_len && !strncmp(label, edge->label, edge->label_len))
            return t;
    }
    return NULL;
}

static void try_route(explorer *x, size_t node, const px_info *in, size_t e)
{
    const cov_edge *edge = &x->r->edges[e];
    const ivrsm_transition *route = edge_route(x->o->machine, edge);
    if (route && route->condition && !route->intent && !route->text) {
        /* A route on data is taken on entering the state, or never: no input says it. */
        note_why(x, e,
                 "%s is entered, but `%s` held in no call there: no initial ctx, answer or input "
                 "tried gives the values it reads (give --responses with answers that do)",
                 ivrsm_machine_state_name(x->o->machine, edge->from), route->condition);
        return;
    }
    char label[256];
    snprintf(label, sizeof(label), "%.*s", (int)edge->label_len, edge->label);
    px_try tries[8];
    size_t n = 0;
    const json_t *intent = json_object_get(json_object_get(x->o->doc, "intents"), label);
    bool is_intent = intent != NULL;
    if (is_intent) {
        const json_t *v;
        size_t i;
        json_array_foreach(json_object_get(intent, "dtmf"), i, v)
        {
            if (n < 3 && json_is_string(v) && keys_fit(in, json_string_value(v)))
                tries[n++] = (px_try){IVRSM_EVENT_DTMF, json_string_value(v)};
        }
        const json_t *words = json_array_get(json_object_get(intent, "utterances"), 0);
        if (json_is_string(words) && in->ask_speech)
            tries[n++] = (px_try){IVRSM_EVENT_SPEECH, json_string_value(words)};
        tries[n++] = (px_try){IVRSM_EVENT_INTENT, label};
    } else if (in->ask_speech) {
        tries[n++] = (px_try){IVRSM_EVENT_SPEECH, label};
    }
    char tried[600] = "", what[300] = "";
    for (size_t i = 0; i < n; i++) {
        if (try_input(x, node, tries[i].type, tries[i].text, e, what, sizeof(what)))
            return;
        size_t len = strlen(tried);
        snprintf(tried + len, sizeof(tried) - len, "%s%s %s → %s", len ? "; " : "",
                 sim_word(tries[i].type), tries[i].text, what);
    }
    if (!n)
        note_why(x, e, "the state does not listen to speech, and `%s` is a phrase", label);
    else if (route && route->condition)
        note_why(x, e, "no input that says it reaches it while `%s` holds: %s", route->condition,
                 tried);
    else
        note_why(x, e, "no input that says it reaches it: %s", tried);
}

/* What a caller of each language says to a collect (docs/format.md, locales). */
typedef struct px_words {
    const char *language; /* the locale's language: "fr" for fr-FR, fr-BE, fr-CH */
    const char *region;   /* NULL: any */
    const char *phone;    /* a national mobile number, keyed */
    const char *phone_said;
    const char *date;    /* a date said */
    const char *window;  /* dates of several days said (date_nl's from and to differ) */
    const char *past;    /* a date gone by said, within any bound of years (date_past) */
    const char *no;      /* "no" to a free-speech question */
    const char *comment; /* something else said to it */
} px_words;

static const px_words px_languages[] = {
    {"fr", NULL, "0612345678", "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
     "demain", "la semaine prochaine", "hier", "non", "le bus était en retard"},
    {"en", "GB", "07700900123", NULL, "tomorrow", "next week", "yesterday", "no",
     "the bus was late"},
    {"en", NULL, "2125550123", NULL, "tomorrow", "next week", "yesterday", "no",
     "the bus was late"},
    {"es", NULL, "612345678", NULL, "mañana", "la semana que viene", "ayer", "no",
     "el autobús llegó tarde"},
    {"de", NULL, "015112345678", NULL, "morgen", "nächste Woche", "gestern", "nein",
     "der Bus war zu spät"},
};

/* The words of the machine's locale (fr-FR when it names none or one not listed). */
static const px_words *machine_words(const explorer *x)
{
    const char *locale = json_string_value(json_object_get(x->o->doc, "locale"));
    for (size_t i = 0; locale && i < sizeof(px_languages) / sizeof(*px_languages); i++) {
        const px_words *w = &px_languages[i];
        size_t n = strlen(w->language);
        if (strncmp(locale, w->language, n) != 0 || (locale[n] && locale[n] != '-'))
            continue;
        if (!w->region || (locale[n] == '-' && !strcmp(locale + n + 1, w->region)))
            return w;
    }
    return &px_languages[0];
}

/* Make the last of n digits the Luhn check digit of the others; false when it already was. */
static bool luhn_complete(char *keys, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        int d = keys[n - 2 - i] - '0';
        if (i % 2 == 0)
            d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    char check = (char)('0' + (10 - sum % 10) % 10);
    if (keys[n - 1] == check)
        return false;
    keys[n - 1] = check;
    return true;
}

/*
 * A code of each pattern of the state's reference collect, said one character at a time
 * ("b 1 2 3" for "A999"), and keyed when it has no letter; then a code of none ("1").
 */
static void try_reference(explorer *x, size_t node, const px_info *in)
{
    const char *patterns = ivrsm_machine_collect_pattern(x->o->machine, in->state);
    char said[3 * 64 + 1], keys[64 + 1];
    for (const char *p = patterns ? patterns : ""; *p;) {
        size_t plen = strcspn(p, "|"), n = 0, k = 0;
        bool keyable = true;
        for (size_t i = 0; i < plen && i < 64; i++) {
            char ch = p[i] == 'A' ? 'b' : (char)('1' + i % 9);
            keyable &= p[i] != 'A';
            n += (size_t)snprintf(said + n, sizeof(said) - n, "%s%c", n ? " " : "", ch);
            keys[k++] = ch;
        }
        keys[k] = '\0';
        if (in->ask_speech)
            try_input(x, node, IVRSM_EVENT_SPEECH, said, SIZE_MAX, NULL, 0);
        if (keyable && keys_fit(in, keys))
            try_input(x, node, IVRSM_EVENT_DTMF, keys, SIZE_MAX, NULL, 0);
        p += plen;
        if (*p == '|')
            p++;
    }
    if (keys_fit(in, "1"))
        try_input(x, node, IVRSM_EVENT_DTMF, "1", SIZE_MAX, NULL, 0);
}

/* The ctx key a state's collect writes, as written in the document (its mode's default
 * when it names none). */
static const char *collect_target(const explorer *x, size_t state, const char *fallback)
{
    const char *name = ivrsm_machine_state_name(x->o->machine, state);
    const json_t *st = json_object_get(json_object_get(x->o->doc, "states"), name ? name : "");
    const char *target =
        json_string_value(json_object_get(json_object_get(st, "collect"), "target"));
    return target ? target : fallback;
}

/*
 * A number in a range (`min_value`, `max_value`): both bounds, the numbers
 * just outside them, which the collect refuses, and each number a condition
 * compares the collect's target with, and the numbers beside it
 * (`ctx.score <= 6`: 5, 6, 7), within the range or just outside. Keyed where
 * the keys asked can write them (a score of 0 to 10 has no number above it in
 * two keys), as written and with leading zeros up to the most keys asked,
 * for a collect whose `min` wants more keys than the number has; said, as
 * its digits, where the question listens to speech (a question that takes no
 * keys has no other way).
 */
#define PX_RANGE_VALUES 16

static void try_range(explorer *x, size_t node, const px_info *in, int64_t lo, int64_t hi)
{
    int64_t values[PX_RANGE_VALUES];
    size_t n = 0;
    values[n++] = lo;
    if (hi != lo)
        values[n++] = hi;
    if (lo > 0)
        values[n++] = lo - 1;
    if (hi < 999999999999999999LL) /* the largest value a collect reads: 18 digits */
        values[n++] = hi + 1;
    const char *target = collect_target(x, in->state, "digits");
    size_t i;
    const json_t *atom;
    json_array_foreach(x->atoms, i, atom)
    {
        const json_t *c = json_array_get(atom, 2);
        if (strcmp(json_string_value(json_array_get(atom, 0)), target) != 0 || !json_is_number(c))
            continue;
        double v = json_number_value(c);
        if (v < (double)lo - 1 || v > (double)hi + 1)
            continue;
        int64_t whole = (int64_t)v;
        for (int64_t d = -1; d <= 1; d++) {
            int64_t cand = whole + d;
            bool known = cand < 0 || cand < lo - 1 || cand > hi + 1;
            for (size_t k = 0; k < n && !known; k++)
                known = values[k] == cand;
            if (!known && n < PX_RANGE_VALUES)
                values[n++] = cand;
        }
    }
    /* The ask's bounds may be widened by a route's key (the agent's 0): the collect's own
     * `min` may be anywhere up to the ask's most keys. */
    int widths[2] = {in->ask_min_digits > 0 && in->ask_min_digits < 20 ? in->ask_min_digits : 1,
                     in->ask_max_digits > 0 && in->ask_max_digits < 20 ? in->ask_max_digits : 1};
    for (size_t k = 0; k < n; k++) {
        char keys[2][24];
        for (int w = 0; w < 2; w++) {
            snprintf(keys[w], sizeof(keys[w]), "%0*lld", widths[w], (long long)values[k]);
            if ((w == 0 || strcmp(keys[0], keys[1]) != 0) && keys_fit(in, keys[w]))
                try_input(x, node, IVRSM_EVENT_DTMF, keys[w], SIZE_MAX, NULL, 0);
        }
        if (in->ask_speech && !in->ask_dtmf) {
            char said[24];
            snprintf(said, sizeof(said), "%lld", (long long)values[k]);
            try_input(x, node, IVRSM_EVENT_SPEECH, said, SIZE_MAX, NULL, 0);
        }
    }
}

/*
 * Values that a collect mode parses, and ones it does not: in the machine's
 * language first, then in the others (a call may switch language on the
 * way, `set: {language: en-US}`, and a number keyed in one country may not
 * parse in another).
 */
static void try_collect(explorer *x, size_t node, const px_info *in)
{
    const char *mode = in->ask_collect;
    const px_words *first = machine_words(x);
    size_t n_lang = sizeof(px_languages) / sizeof(*px_languages);
    static const char *const digits = "12345678901234567890";
    char keys[24];
    int64_t lo, hi;
    for (size_t k = 0; k <= n_lang; k++) {
        const px_words *w = k == 0 ? first : &px_languages[k - 1];
        if (k > 0 && w == first)
            continue;
        if (!strcmp(mode, "phone")) {
            if (keys_fit(in, w->phone))
                try_input(x, node, IVRSM_EVENT_DTMF, w->phone, SIZE_MAX, NULL, 0);
            if (in->ask_speech && w->phone_said)
                try_input(x, node, IVRSM_EVENT_SPEECH, w->phone_said, SIZE_MAX, NULL, 0);
        } else if (!strcmp(mode, "date_nl")) {
            try_input(x, node, IVRSM_EVENT_SPEECH, w->date, SIZE_MAX, NULL, 0);
            try_input(x, node, IVRSM_EVENT_SPEECH, w->window, SIZE_MAX, NULL, 0);
        } else if (!strcmp(mode, "date_past") && in->ask_speech) {
            try_input(x, node, IVRSM_EVENT_SPEECH, w->past, SIZE_MAX, NULL, 0);
        } else if (!strcmp(mode, "free_speech_or_no")) {
            try_input(x, node, IVRSM_EVENT_SPEECH, w->no, SIZE_MAX, NULL, 0);
            if (k == 0)
                try_input(x, node, IVRSM_EVENT_SPEECH, w->comment, SIZE_MAX, NULL, 0);
        }
    }
    if (!strcmp(mode, "phone")) {
        if (keys_fit(in, "12"))
            try_input(x, node, IVRSM_EVENT_DTMF, "12", SIZE_MAX, NULL, 0);
    } else if (!strcmp(mode, "reference")) {
        try_reference(x, node, in);
    } else if (!strcmp(mode, "date_past")) {
        /* 1 February 1990 or 2 January 1990, whichever order the locale keys: a date either
         * way, within any bound of years of today; then a day no calendar has. */
        if (keys_fit(in, "01021990"))
            try_input(x, node, IVRSM_EVENT_DTMF, "01021990", SIZE_MAX, NULL, 0);
        if (keys_fit(in, "31311990"))
            try_input(x, node, IVRSM_EVENT_DTMF, "31311990", SIZE_MAX, NULL, 0);
    } else if (ivrsm_machine_collect_range(x->o->machine, in->state, &lo, &hi)) {
        try_range(x, node, in, lo, hi);
    } else if (*mode && strcmp(mode, "date_nl") != 0 && strcmp(mode, "free_speech_or_no") != 0) {
        /* otp and any mode that reads digits: as many keys as the question takes, then one. */
        int n = in->ask_max_digits > 0 && in->ask_max_digits < 20 ? in->ask_max_digits : 6;
        snprintf(keys, sizeof(keys), "%.*s", n, digits);
        if (keys_fit(in, keys))
            try_input(x, node, IVRSM_EVENT_DTMF, keys, SIZE_MAX, NULL, 0);
        /* The same keys ending in their Luhn check digit: a card number that `check: luhn`
         * takes (the keys above may be one it refuses). */
        if (n > 1 && luhn_complete(keys, (size_t)n) && keys_fit(in, keys))
            try_input(x, node, IVRSM_EVENT_DTMF, keys, SIZE_MAX, NULL, 0);
        if (n > 1 && keys_fit(in, "1"))
            try_input(x, node, IVRSM_EVENT_DTMF, "1", SIZE_MAX, NULL, 0);
    }
}

static void expand_input(explorer *x, size_t node)
{
    px_info in = x->info[node];
    if (x->r->nodes[node].inputs >= x->o->max_inputs)
        return;
    /* Every route of the state, taken ones included: from here they may lead further. */
    for (size_t e = 0; e < x->r->edge_count && !x->failed; e++) {
        const cov_edge *edge = &x->r->edges[e];
        if (edge->from == in.state && edge->kind == IVRSM_TRANSITION_ROUTE)
            try_route(x, node, &in, e);
    }
    try_input(x, node, IVRSM_EVENT_NOINPUT, NULL, SIZE_MAX, NULL, 0);
    try_input(x, node, IVRSM_EVENT_NOMATCH, NULL, SIZE_MAX, NULL, 0);
    if (in.ask_speech)
        try_input(x, node, IVRSM_EVENT_SPEECH, PX_NONSENSE, SIZE_MAX, NULL, 0);
    try_collect(x, node, &in);
}

/* ---------------------------------------------------------------------------
 * Backend and handoff answers
 * ------------------------------------------------------------------------- */

/* The responses key of an http command: its endpoint when listed, else "METHOD /path". */
static void http_key(const explorer *x, const ivrsm_command *c, char *key, size_t keylen)
{
    snprintf(key, keylen, "%s %s", c->http.method, c->http.path);
    if (c->http.endpoint && (!json_object_get(x->o->responses, key) ||
                             json_object_get(x->o->responses, c->http.endpoint)))
        snprintf(key, keylen, "%s", c->http.endpoint);
}

typedef struct live_wait {
    bool done;
    json_t *answer;
} live_wait;

static void on_live(void *user, const ivrsm_http_result *r)
{
    live_wait *w = user;
    w->done = true;
    if (r->status == 0) {
        w->answer = json_pack("{s:s}", "error", r->error ? r->error : "transport error");
        return;
    }
    json_t *body = r->body_len ? json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL) : NULL;
    if (!body && r->body_len)
        body = json_stringn(r->body, r->body_len);
    w->answer = json_pack("{s:i, s:o*}", "status", r->status, "body", body);
    /* Its numbers as the backend wrote them ("0.1", not the double's 0.10000000000000001),
     * as the library reads them: the scenarios written from it replay the same answer. The
     * document reader wants a map at the root, so the body is read as a member of one. */
    ivrsm_document *doc = NULL;
    char *wrapped = w->answer && body && !json_is_string(body) ? malloc(r->body_len + 8) : NULL;
    if (wrapped) {
        memcpy(wrapped, "{\"b\":", 5);
        memcpy(wrapped + 5, r->body, r->body_len);
        memcpy(wrapped + 5 + r->body_len, "}", 1);
        if (ivrsm_document_load_buffer(wrapped, r->body_len + 6, IVRSM_FORMAT_JSON, "the answer",
                                       &doc, NULL) == 0 &&
            drv_keep_written_body(w->answer, ivrsm_node_get(ivrsm_document_root(doc), "b")) != 0) {
            json_decref(w->answer);
            w->answer = NULL;
        }
    }
    free(wrapped);
    ivrsm_document_free(doc);
}

static json_t *ask_backend(explorer *x, const ivrsm_command *c)
{
    live_wait w = {0};
    if (ivrsm_http_submit(x->http, c, on_live, &w) != 0)
        return json_pack("{s:s}", "error", "cannot send");
    while (!w.done)
        if (ivrsm_http_run(x->http, 1000) < 0)
            break;
    return w.answer ? w.answer : json_pack("{s:s}", "error", "the http adapter failed");
}

static bool is_success(const json_t *a)
{
    json_t *st = json_object_get(a, "status");
    int status = st ? (int)json_integer_value(st) : (json_object_get(a, "error") ? 0 : 200);
    return status >= 200 && status <= 299;
}

/*
 * The response path PATH of a set value that is exactly "{{resp.PATH}}" (a
 * plain dotted path), into path; false for anything else.
 */
static bool resp_path(const json_t *v, char *path, size_t size)
{
    const char *t = json_string_value(v);
    size_t len = t ? strlen(t) : 0;
    if (!t || len < 12 || strncmp(t, "{{resp.", 7) != 0 || strcmp(t + len - 2, "}}") != 0 ||
        len - 9 >= size)
        return false;
    snprintf(path, size, "%.*s", (int)(len - 9), t + 7);
    return strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") ==
           strlen(path);
}

/* Whether a condition of the machine compares ctx.KEY (or a value under it). */
static bool compared_key(const json_t *atoms, const char *key)
{
    size_t i, n = strlen(key);
    const json_t *atom;
    json_array_foreach(atoms, i, atom)
    {
        for (size_t side = 0; side <= 3; side += 3) {
            const char *path = json_string_value(json_array_get(atom, side));
            if (path && !strncmp(path, key, n) && (path[n] == '\0' || path[n] == '.'))
                return true;
        }
    }
    return false;
}

/*
 * Answers whose data the machine's conditions compare: an outcome `block`
 * (on_success, or an on_status entry answered with `status`) that sets KEY
 * from exactly "{{resp.PATH}}" gets, for each initial ctx candidate (the
 * values the conditions compare), an answer whose body is `base` (the
 * made-up answer, or nothing) with the candidate's value of KEY at PATH. So
 * a balance the backend gives is tried on either side of `ctx.balance < 0`,
 * and `ctx.outage && ctx.eta` with both in one answer, without a responses
 * file.
 */
static void add_compared_answers(explorer *x, const json_t *block, int status, const json_t *base,
                                 json_t *options)
{
    const json_t *set = json_object_get(block, "set");
    size_t i;
    const json_t *ctx;
    json_array_foreach(x->o->initial_ctxs, i, ctx)
    {
        /* Over the made-up answer: a list to choose from beside a count of 1. */
        json_t *body = json_object();
        if (json_is_object(base))
            json_object_update_recursive(body, (json_t *)base);
        bool compared = false;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)set, key, v)
        {
            char path[256];
            const json_t *value = pd_value_at(ctx, key);
            if (!resp_path(v, path, sizeof(path)))
                continue;
            if (!value || json_is_object(value))
                continue;
            json_t *one = pd_object_at(path, json_deep_copy(value));
            if (one)
                json_object_update_recursive(body, one);
            compared |= one != NULL;
            json_decref(one);
        }
        if (body && compared)
            pd_append_unique(options, json_pack("{s:i, s:o}", "status", status, "body", body));
        else
            json_decref(body);
    }
    /* And the made-up answer without each value a condition compares: the other side of
     * `ctx.parcel.locker` alone, `ctx.outage && !ctx.eta`. */
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)set, key, v)
    {
        char path[256];
        if (!json_is_object(base) || !resp_path(v, path, sizeof(path)) ||
            !compared_key(x->atoms, key) || !pd_value_at(base, path))
            continue;
        json_t *body = json_deep_copy(base);
        pd_delete_at(body, path);
        pd_append_unique(options, json_pack("{s:i, s:o}", "status", status, "body", body));
    }
}

/*
 * Answers for the outcomes a state gives by status, timeout or error
 * (format 1.1: on_status {"401": …, "4xx": …}, on_timeout, on_error), so
 * that each is taken: the status itself, the first of a class (400, 500),
 * a timeout, a transport error and a body that is not JSON.
 */
static void add_outcome_answers(explorer *x, const ivrsm_command *c, json_t *options)
{
    const json_t *state =
        json_object_get(json_object_get(x->o->doc, "states"), c->state ? c->state : "");
    const json_t *action = json_object_get(state, "action");
    const json_t *by_status = json_object_get(state, "on_status");
    if (!by_status)
        by_status = json_object_get(action, "on_status");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)by_status, key, v)
    {
        int status = 0;
        if (strlen(key) == 3 && key[0] >= '1' && key[0] <= '5' && !strcmp(key + 1, "xx"))
            status = (key[0] - '0') * 100;
        else
            status = atoi(key);
        /* With what that outcome reads of the answer (`{{resp.expected}}` of a 422). */
        json_t *body = status >= 100 && status <= 599
                           ? pa_answer_body(x->o->doc, c->state, key, x->now_ms)
                           : NULL;
        if (!body)
            continue;
        pd_append_unique(options, json_pack("{s:i, s:O}", "status", status, "body", body));
        /* And with what the outcome's own routes on data compare (a 409's reason). */
        if (!x->http)
            add_compared_answers(x, v, status, body, options);
        json_decref(body);
    }
    bool on_timeout = json_object_get(state, "on_timeout") || json_object_get(action, "on_timeout");
    bool on_error = json_object_get(state, "on_error") || json_object_get(action, "on_error");
    /* And a status that none of them takes, for on_fail: with on_timeout or on_error
     * alone, the failures they take are not on_fail's. */
    static const int others[] = {404, 400, 409, 500, 502, 503, 302};
    bool by_answer = by_status || on_timeout || on_error;
    for (size_t i = 0; by_answer && i < sizeof(others) / sizeof(*others); i++) {
        char exact[16], klass[16];
        snprintf(exact, sizeof(exact), "%d", others[i]);
        snprintf(klass, sizeof(klass), "%dxx", others[i] / 100);
        bool taken = false;
        json_object_foreach((json_t *)by_status, key, v) taken |=
            !strcmp(key, exact) || !strcasecmp(key, klass);
        if (!taken) {
            pd_append_unique(options, json_pack("{s:i, s:{}}", "status", others[i], "body"));
            break;
        }
    }
    if (on_timeout)
        pd_append_unique(options, json_pack("{s:s}", "error", "timeout"));
    if (on_error) {
        pd_append_unique(options, json_pack("{s:s}", "error", "connection refused"));
        pd_append_unique(options,
                         json_pack("{s:i, s:s}", "status", 200, "body", "<html>not JSON</html>"));
    }
}

/* The answers offered to an http command: what the responses or the backend give, and a failure. */
static json_t *answer_options(explorer *x, const ivrsm_command *c, const char *key)
{
    json_t *options = json_array();
    json_t *made_up = NULL;
    const json_t *given = json_object_get(x->o->responses, key);
    if (x->http) {
        pd_append_unique(options, ask_backend(x, c));
    } else if (json_is_array(given)) {
        size_t i;
        const json_t *a;
        json_array_foreach(given, i, a) pd_append_unique(options, json_deep_copy(a));
    } else if (given) {
        pd_append_unique(options, json_deep_copy(given));
    } else {
        /* No answer given: one that holds what the machine reads of it (a list to choose
         * from, an id for the next request), then an empty one. */
        made_up = pa_answer_body(x->o->doc, c->state, "on_success", x->now_ms);
        if (made_up && (json_is_array(made_up) || json_object_size(made_up)))
            pd_append_unique(options, json_pack("{s:i, s:O}", "status", 200, "body", made_up));
        pd_append_unique(options, json_pack("{s:i, s:{}}", "status", 200, "body"));
    }
    add_outcome_answers(x, c, options);
    const json_t *ok = pa_outcome_block(x->o->doc, c->state, "on_success");
    if (!x->http && !given) {
        add_compared_answers(x, ok, 200, made_up, options);
    } else if (!x->http) {
        /* Over each success given: the rest of the answer (a customer id, a list) is the
         * backend's, only the compared values change. */
        size_t n = json_is_array(given) ? json_array_size(given) : 1;
        for (size_t i = 0; i < n; i++) {
            const json_t *a = json_is_array(given) ? json_array_get(given, i) : given;
            if (is_success(a) && json_is_object(json_object_get(a, "body")))
                add_compared_answers(x, ok, 200, json_object_get(a, "body"), options);
        }
    }
    json_decref(made_up);
    bool fails = false;
    size_t i;
    json_t *o;
    json_array_foreach(options, i, o) fails |= !is_success(o);
    if (!fails)
        pd_append_unique(options, json_pack("{s:i, s:{s:s}}", "status", 500, "body", "error",
                                            "a failure made up by ivrsm paths"));
    return options;
}

static void feed_answer(explorer *x, size_t node, const char *key, const json_t *answer)
{
    begin_step(x);
    ivrsm_session *s = restore(x, node);
    const ivrsm_command *c = s ? ivrsm_session_pending_command(s) : NULL;
    if (!c) {
        ivrsm_session_free(s);
        return;
    }
    json_t *status = json_object_get(answer, "status");
    const char *error = json_string_value(json_object_get(answer, "error"));
    json_t *body = json_object_get(answer, "body");
    char *body_text = !body ? NULL
                      : json_is_string(body)
                          ? strdup(json_string_value(body))
                          : ivrsm_json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    ivrsm_event ev = {.type = IVRSM_EVENT_ACTION_RESULT,
                      .command_id = c->id,
                      .status = status ? (int)json_integer_value(status) : (error ? 0 : 200),
                      .body = body_text,
                      .error = error,
                      .confidence = -1};
    int rc = ivrsm_session_feed(s, &ev);
    free(body_text);
    px_node *n = rc == 0 ? new_node(x, node, PX_HTTP) : NULL;
    if (!n) {
        ivrsm_session_free(s);
        return;
    }
    n->http_key = strdup(key);
    n->answer = json_deep_copy(answer);
    keep(x, n, s);
}

static void expand_http(explorer *x, size_t node)
{
    ivrsm_session *s = restore(x, node);
    const ivrsm_command *c = s ? ivrsm_session_pending_command(s) : NULL;
    if (!c) {
        ivrsm_session_free(s);
        return;
    }
    char key[600];
    http_key(x, c, key, sizeof(key));
    json_t *options = answer_options(x, c, key);
    ivrsm_session_free(s);
    size_t i;
    json_t *a;
    json_array_foreach(options, i, a) feed_answer(x, node, key, a);
    json_decref(options);
}

static void expand_handoff(explorer *x, size_t node)
{
    for (int ok = 1; ok >= 0; ok--) {
        begin_step(x);
        ivrsm_session *s = restore(x, node);
        const ivrsm_command *c = s ? ivrsm_session_pending_command(s) : NULL;
        ivrsm_event ev = {.type = IVRSM_EVENT_HANDOFF_RESULT,
                          .command_id = c ? c->id : 0,
                          .ok = ok,
                          .confidence = -1};
        px_node *n = c && ivrsm_session_feed(s, &ev) == 0 ? new_node(x, node, PX_HANDOFF) : NULL;
        if (!n) {
            ivrsm_session_free(s);
            continue;
        }
        n->handoff_ok = ok;
        keep(x, n, s);
    }
}

/* ---------------------------------------------------------------------------
 * The search
 * ------------------------------------------------------------------------- */

/* One call from the start with this initial ctx and clock: the root of a search tree. */
static int start(explorer *x, const json_t *ctx, int64_t now_ms, char *err, size_t errlen)
{
    x->now_ms = now_ms;
    ivrsm_session *s = NULL;
    ivrsm_session_options so = session_options(x);
    char *ctx_json = ctx && json_object_size(ctx) ? ivrsm_json_dumps(ctx, JSON_COMPACT) : NULL;
    so.ctx_json = ctx_json;
    ivrsm_error e = {0};
    begin_step(x);
    int rc = ivrsm_session_new(x->o->machine, &so, &s, &e);
    free(ctx_json);
    if (rc != 0 || ivrsm_session_start(s) != 0) {
        ivrsm_session_free(s);
        snprintf(err, errlen, "cannot start a call: %s", e.message);
        return -1;
    }
    px_node *n = new_node(x, SIZE_MAX, PX_START);
    if (!n) {
        ivrsm_session_free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    n->ctx = ctx ? json_deep_copy(ctx) : json_object();
    int ini = (int)ivrsm_machine_initial_state(x->o->machine);
    x->r->state_reached[ini] = true;
    keep(x, n, s);
    return 0;
}

int px_explore(const px_options *o, px_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    explorer x = {.o = o,
                  .r = r,
                  .seen = json_object(),
                  .places = json_object(),
                  .atoms = pd_condition_atoms(o->doc)};
    size_t states = ivrsm_machine_state_count(o->machine);
    if (cov_static_edges(o->machine, &r->edges, &r->edge_count) != 0 || !x.seen || !x.places ||
        !x.atoms) {
        snprintf(err, errlen, "out of memory");
        json_decref(x.seen);
        json_decref(x.places);
        json_decref(x.atoms);
        return -1;
    }
    r->first = malloc((r->edge_count ? r->edge_count : 1) * sizeof(*r->first));
    r->why_not = calloc(r->edge_count ? r->edge_count : 1, sizeof(*r->why_not));
    r->state_reached = calloc(states ? states : 1, sizeof(*r->state_reached));
    if (!r->first || !r->why_not || !r->state_reached) {
        snprintf(err, errlen, "out of memory");
        json_decref(x.seen);
        json_decref(x.places);
        json_decref(x.atoms);
        return -1;
    }
    for (size_t i = 0; i < r->edge_count; i++)
        r->first[i] = SIZE_MAX;
    if (o->backend) {
        ivrsm_http_options ho = {.base_url = o->backend};
        int rc = ivrsm_http_new(&ho, &x.http);
        if (rc != 0) {
            snprintf(err, errlen, "backend URL '%s': %s (expected http://HOST:PORT)", o->backend,
                     ivrsm_strerror(rc));
            json_decref(x.seen);
            json_decref(x.places);
            json_decref(x.atoms);
            return -1;
        }
    }
    int rc = 0;
    /* Every initial ctx at the given clock first, then a plain call (the first initial ctx)
     * at each other clock, then the other initial ctxs at the other clocks: a place keeps
     * its first situations, and a call when the line is open must not be crowded out by
     * the many candidates at the clocks before it, when it is closed. */
    size_t ctx_count = o->initial_ctxs ? json_array_size(o->initial_ctxs) : 0;
    for (size_t pass = 0; rc == 0 && pass < 3; pass++) {
        size_t k_from = pass == 0 ? 0 : 1, k_to = pass == 0 ? 0 : o->clock_count;
        size_t i_from = pass == 2 ? 1 : 0, i_to = pass == 1 ? 1 : ctx_count;
        for (size_t k = k_from; rc == 0 && k <= k_to; k++) {
            int64_t now_ms = k ? o->clocks[k - 1] : o->now_ms;
            if (!ctx_count && pass < 2)
                rc = start(&x, NULL, now_ms, err, errlen);
            for (size_t i = i_from; rc == 0 && i < i_to; i++)
                rc = start(&x, json_array_get(o->initial_ctxs, i), now_ms, err, errlen);
        }
    }
    size_t head = 0;
    while (rc == 0 && head < r->node_count && x.covered < r->edge_count && !x.failed) {
        if (r->node_count >= o->max_nodes)
            break;
        size_t node = head++;
        if (!r->nodes[node].snapshot)
            continue;
        switch (x.info[node].wait) {
        case WAIT_INPUT:
            expand_input(&x, node);
            break;
        case WAIT_HTTP:
            expand_http(&x, node);
            break;
        case WAIT_HANDOFF:
            expand_handoff(&x, node);
            break;
        case WAIT_END:
            break;
        }
    }
    r->exhausted = head >= r->node_count || x.covered == r->edge_count;
    if (x.failed && rc == 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    ivrsm_http_free(x.http);
    json_decref(x.seen);
    json_decref(x.places);
    json_decref(x.atoms);
    free(x.info);
    free(x.taken);
    return rc;
}

void px_result_free(px_result *r)
{
    for (size_t i = 0; i < r->node_count; i++) {
        px_node *n = &r->nodes[i];
        drv_input_clear(&n->input);
        free(n->http_key);
        json_decref(n->answer);
        json_decref(n->ctx);
        free(n->edges);
        free(n->snapshot);
    }
    for (size_t i = 0; i < r->edge_count; i++)
        free(r->why_not[i]);
    free(r->why_not);
    free(r->nodes);
    free(r->edges);
    free(r->first);
    free(r->state_reached);
    memset(r, 0, sizeof(*r));
}
