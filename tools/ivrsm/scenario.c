/*
 * Loading scenario files (YAML, through libfyaml's document API).
 *
 * Scenario files are written by the people who run them, so the loader is
 * strict rather than defensive: every key is known, every value has the
 * expected type, and a mistake is reported where it was made. Scalars are
 * typed by the YAML 1.2 core schema (`yes` is a string), by hand, since
 * only plain scalars may be numbers, booleans or null.
 */
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "yamldoc.h"

typedef struct loader {
    const char *file;
    char *err;
    size_t errlen;
} loader;

typedef struct fy_node fnode;

/* ---------------------------------------------------------------------------
 * Positions and errors
 * ------------------------------------------------------------------------- */

static int error_at(loader *L, fnode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int error_at(loader *L, fnode *n, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int line, column;
    yamldoc_node_pos(n, &line, &column);
    if (line > 0)
        snprintf(L->err, L->errlen, "%s:%d:%d: %s", L->file, line, column, msg);
    else
        snprintf(L->err, L->errlen, "%s: %s", L->file, msg);
    return -1;
}

/* ---------------------------------------------------------------------------
 * Scalars
 * ------------------------------------------------------------------------- */

static bool is_scalar(fnode *n)
{
    return n && fy_node_get_type(n) == FYNT_SCALAR;
}

static bool is_map(fnode *n)
{
    return n && fy_node_get_type(n) == FYNT_MAPPING;
}

static bool is_seq(fnode *n)
{
    return n && fy_node_get_type(n) == FYNT_SEQUENCE;
}

static bool is_plain(fnode *n)
{
    return is_scalar(n) && fy_node_get_style(n) == FYNS_PLAIN;
}

/* The scalar's text as a new string (NULL when not a scalar or out of memory). */
static char *scalar_dup(fnode *n)
{
    size_t len = 0;
    const char *t = is_scalar(n) ? fy_node_get_scalar(n, &len) : NULL;
    return t ? strndup(t, len) : NULL;
}

static bool is_null(fnode *n)
{
    return !n || yamldoc_plain_is(n, yamldoc_null_words);
}

/* A node as JSON, by the YAML 1.2 core schema. NULL with the error set. */
static json_t *to_json(loader *L, fnode *n)
{
    if (is_null(n))
        return json_null();
    if (is_map(n)) {
        json_t *o = json_object();
        void *it = NULL;
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
            fnode *k = fy_node_pair_key(p);
            char *key = is_scalar(k) ? scalar_dup(k) : NULL;
            if (!key) {
                error_at(L, k, "keys must be strings");
                json_decref(o);
                return NULL;
            }
            json_t *v = to_json(L, fy_node_pair_value(p));
            if (!v) {
                free(key);
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, key, v);
            free(key);
        }
        return o;
    }
    if (is_seq(n)) {
        json_t *a = json_array();
        void *it = NULL;
        fnode *item;
        while ((item = fy_node_sequence_iterate(n, &it)) != NULL) {
            json_t *v = to_json(L, item);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    char *text = scalar_dup(n);
    if (!text) {
        error_at(L, n, "unsupported YAML node");
        return NULL;
    }
    json_t *v = NULL;
    if (is_plain(n)) {
        if (yamldoc_plain_is(n, yamldoc_true_words))
            v = json_true();
        else if (yamldoc_plain_is(n, yamldoc_false_words))
            v = json_false();
        else
            v = yamldoc_plain_number(text);
    }
    if (!v)
        v = json_string(text);
    free(text);
    if (!v)
        error_at(L, n, "the value is not valid UTF-8");
    return v;
}

static int want_string(loader *L, fnode *n, const char *what, char **out)
{
    if (!is_scalar(n) || is_null(n))
        return error_at(L, n, "%s must be a string", what);
    *out = scalar_dup(n);
    return *out ? 0 : error_at(L, n, "out of memory");
}

static int want_bool(loader *L, fnode *n, const char *what, bool *out)
{
    if (yamldoc_plain_is(n, yamldoc_true_words))
        *out = true;
    else if (yamldoc_plain_is(n, yamldoc_false_words))
        *out = false;
    else
        return error_at(L, n, "%s must be true or false", what);
    return 0;
}

static int want_true(loader *L, fnode *n, const char *what)
{
    bool b = false;
    if (want_bool(L, n, what, &b) != 0)
        return -1;
    return b ? 0 : error_at(L, n, "%s: true is the only value that makes sense here", what);
}

static int want_int(loader *L, fnode *n, const char *what, int lo, int hi, int *out)
{
    char *text = is_plain(n) ? scalar_dup(n) : NULL;
    json_t *v = text ? yamldoc_plain_number(text) : NULL;
    free(text);
    bool ok = json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi;
    if (ok)
        *out = (int)json_integer_value(v);
    json_decref(v);
    return ok ? 0 : error_at(L, n, "%s must be a whole number from %d to %d", what, lo, hi);
}

/* A string or a list of strings. */
static int want_strings(loader *L, fnode *n, const char *what, char ***out, size_t *count)
{
    if (is_scalar(n) && !is_null(n)) {
        *out = calloc(1, sizeof(char *));
        if (!*out)
            return error_at(L, n, "out of memory");
        *count = 1;
        return want_string(L, n, what, &(*out)[0]);
    }
    if (!is_seq(n) || fy_node_sequence_item_count(n) == 0)
        return error_at(L, n, "%s must be a string or a non-empty list of strings", what);
    size_t total = (size_t)fy_node_sequence_item_count(n);
    *out = calloc(total, sizeof(char *));
    if (!*out)
        return error_at(L, n, "out of memory");
    void *it = NULL;
    fnode *item;
    while ((item = fy_node_sequence_iterate(n, &it)) != NULL) {
        if (want_string(L, item, what, &(*out)[*count]) != 0)
            return -1;
        (*count)++;
    }
    return 0;
}

/* Iterate over the pairs of a map, checking each key against `known`. */
typedef int (*pair_fn)(loader *L, void *target, const char *key, fnode *key_node, fnode *value);

static int each_pair(loader *L, fnode *map, const char *what, const char *known, void *target,
                     pair_fn fn)
{
    if (!is_map(map))
        return error_at(L, map, "%s must be a map", what);
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
        fnode *k = fy_node_pair_key(p);
        char *key = is_scalar(k) ? scalar_dup(k) : NULL;
        if (!key)
            return error_at(L, k, "keys of %s must be strings", what);
        int rc = fn(L, target, key, k, fy_node_pair_value(p));
        if (rc == 1)
            error_at(L, k, "unknown key '%s' in %s (known: %s)", key, what, known);
        free(key);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Steps
 * ------------------------------------------------------------------------- */

static int http_expect_pair(loader *L, void *target, const char *key, fnode *k, fnode *v)
{
    scn_http_expect *h = target;
    (void)k;
    if (!strcmp(key, "endpoint"))
        return want_string(L, v, "http.endpoint", &h->endpoint);
    if (!strcmp(key, "method")) {
        if (want_string(L, v, "http.method", &h->method) != 0)
            return -1;
        for (char *c = h->method; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
        return 0;
    }
    if (!strcmp(key, "path")) {
        if (want_string(L, v, "http.path", &h->path) != 0)
            return -1;
        return h->path[0] == '/' ? 0 : error_at(L, v, "http.path must start with '/'");
    }
    if (!strcmp(key, "status"))
        return want_int(L, v, "http.status", 0, 999, &h->status);
    if (!strcmp(key, "body"))
        return (h->body = to_json(L, v)) ? 0 : -1;
    if (!strcmp(key, "query")) {
        if (!is_map(v))
            return error_at(L, v, "http.query must be a map of parameter: value");
        return (h->query = to_json(L, v)) ? 0 : -1;
    }
    return 1;
}

static int load_http_expects(loader *L, scn_expect *e, fnode *v)
{
    if (is_scalar(v)) {
        /* http: false — the step made no http call at all. */
        bool any = true;
        if (want_bool(L, v, "http", &any) != 0)
            return -1;
        if (any)
            return error_at(L, v, "http: true says nothing; give the call to expect as a map");
        e->no_http = true;
        return 0;
    }
    size_t n = is_seq(v) ? (size_t)fy_node_sequence_item_count(v) : 1;
    if (n == 0) {
        /* http: [] — the same as http: false. */
        e->no_http = true;
        return 0;
    }
    e->http = calloc(n, sizeof(*e->http));
    if (!e->http)
        return error_at(L, v, "out of memory");
    void *it = NULL;
    for (size_t i = 0; i < n; i++) {
        fnode *item = is_seq(v) ? fy_node_sequence_iterate(v, &it) : v;
        scn_http_expect *h = &e->http[e->http_count++];
        h->status = -1;
        if (each_pair(L, item, "http", "endpoint, method, path, body, query, status", h,
                      http_expect_pair) != 0)
            return -1;
    }
    return 0;
}

static int handoff_expect_pair(loader *L, void *target, const char *key, fnode *k, fnode *v)
{
    (void)k;
    if (!strcmp(key, "queue"))
        return want_string(L, v, "handoff.queue", &((scn_expect *)target)->handoff_queue);
    return 1;
}

static int load_ended(loader *L, scn_expect *e, fnode *v)
{
    bool b = false;
    if (yamldoc_plain_is(v, yamldoc_true_words) || yamldoc_plain_is(v, yamldoc_false_words)) {
        want_bool(L, v, "ended", &b);
        e->ended = b ? SCN_ENDED_ANY : SCN_ENDED_NO;
        return 0;
    }
    char *word = is_scalar(v) ? scalar_dup(v) : NULL;
    if (word && !strcmp(word, "hangup"))
        e->ended = SCN_ENDED_HANGUP;
    else if (word && !strcmp(word, "handoff"))
        e->ended = SCN_ENDED_HANDOFF;
    free(word);
    if (e->ended == SCN_ENDED_UNSET)
        return error_at(L, v, "ended must be hangup, handoff, true or false");
    return 0;
}

static int expect_pair(loader *L, void *target, const char *key, fnode *k, fnode *v)
{
    scn_expect *e = target;
    (void)k;
    bool b = false;
    if (!strcmp(key, "state"))
        return want_string(L, v, "state", &e->state);
    if (!strcmp(key, "says"))
        return want_strings(L, v, "says", &e->says, &e->says_count);
    if (!strcmp(key, "not_says"))
        return want_strings(L, v, "not_says", &e->not_says, &e->not_says_count);
    if (!strcmp(key, "ask")) {
        if (want_bool(L, v, "ask", &b) != 0)
            return -1;
        e->ask = b;
        return 0;
    }
    if (!strcmp(key, "http"))
        return load_http_expects(L, e, v);
    if (!strcmp(key, "ctx")) {
        if (!is_map(v))
            return error_at(L, v, "ctx must be a map of key: value");
        return (e->ctx = to_json(L, v)) ? 0 : -1;
    }
    if (!strcmp(key, "handoff")) {
        if (is_map(v)) {
            e->handoff = 1;
            return each_pair(L, v, "handoff", "queue", e, handoff_expect_pair);
        }
        if (want_bool(L, v, "handoff", &b) != 0)
            return -1;
        e->handoff = b;
        return 0;
    }
    if (!strcmp(key, "ended"))
        return load_ended(L, e, v);
    return 1;
}

static const char expect_keys[] = "state, says, not_says, ask, http, ctx, handoff, ended";

static int load_expect(loader *L, scn_step *st, fnode *v)
{
    st->is_expect = true;
    st->expect.ask = -1;
    st->expect.handoff = -1;
    if (!is_map(v) || fy_node_mapping_item_count(v) == 0)
        return error_at(L, v, "expect: needs a map with at least one of %s", expect_keys);
    return each_pair(L, v, "expect", expect_keys, &st->expect, expect_pair);
}

static int say_pair(loader *L, void *target, const char *key, fnode *k, fnode *v)
{
    drv_input *in = target;
    (void)k;
    if (!strcmp(key, "text"))
        return want_string(L, v, "say.text", &in->text);
    if (!strcmp(key, "confidence")) {
        json_t *c = to_json(L, v);
        bool ok = json_is_number(c) && json_number_value(c) >= 0 && json_number_value(c) <= 1;
        if (ok)
            in->confidence = json_number_value(c);
        json_decref(c);
        return ok ? 0 : error_at(L, v, "say.confidence must be a number from 0 to 1");
    }
    return 1;
}

/* A caller step: `dtmf: "12"`, `say: text` or `say: {text, confidence}`, `intent: name`,
 * `noinput: true`... Returns 1 when `key` is not a caller input. */
static int load_input(loader *L, scn_step *st, const char *key, fnode *v)
{
    drv_input *in = &st->input;
    in->confidence = -1;
    char why[300];
    if (!strcmp(key, "dtmf")) {
        in->type = IVRSM_EVENT_DTMF;
        if (want_string(L, v, "dtmf", &in->text) != 0)
            return -1;
        return drv_dtmf_check(in->text, why, sizeof(why)) ? error_at(L, v, "%s", why) : 0;
    }
    if (!strcmp(key, "say")) {
        in->type = IVRSM_EVENT_SPEECH;
        if (is_map(v)) {
            if (each_pair(L, v, "say", "text, confidence", in, say_pair) != 0)
                return -1;
            return in->text ? 0 : error_at(L, v, "say: needs a text");
        }
        return want_string(L, v, "say", &in->text);
    }
    if (!strcmp(key, "intent")) {
        in->type = IVRSM_EVENT_INTENT;
        return want_string(L, v, "intent", &in->text);
    }
    static const struct {
        const char *key;
        ivrsm_event_type type;
    } bare[] = {{"noinput", IVRSM_EVENT_NOINPUT},
                {"nomatch", IVRSM_EVENT_NOMATCH},
                {"hangup", IVRSM_EVENT_HANGUP}};
    for (size_t i = 0; i < sizeof(bare) / sizeof(*bare); i++) {
        if (!strcmp(key, bare[i].key)) {
            in->type = bare[i].type;
            return want_true(L, v, key);
        }
    }
    return 1;
}

static int load_step(loader *L, scn_step *st, fnode *n)
{
    yamldoc_node_pos(n, &st->line, &st->column);
    if (is_scalar(n) && !is_null(n)) {
        /* A sim line: "dtmf 1", "say bonjour"... */
        char *line = scalar_dup(n);
        char why[400];
        int rc = line ? drv_input_parse(line, &st->input, why, sizeof(why)) : -1;
        free(line);
        if (rc == 1)
            return 0;
        return error_at(L, n, "%s", rc == 0 ? "empty step" : why);
    }
    if (!is_map(n) || fy_node_mapping_item_count(n) != 1)
        return error_at(L, n,
                        "a step is a map with one key: dtmf, say, intent, noinput, nomatch, "
                        "hangup or expect");
    void *it = NULL;
    struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
    fnode *k = fy_node_pair_key(p);
    char *key = scalar_dup(k);
    if (!key)
        return error_at(L, k, "step keys must be strings");
    int rc = !strcmp(key, "expect") ? load_expect(L, st, fy_node_pair_value(p))
                                    : load_input(L, st, key, fy_node_pair_value(p));
    if (rc == 1)
        error_at(L, k,
                 "unknown step '%s' (expected dtmf, say, intent, noinput, nomatch, hangup or "
                 "expect)",
                 key);
    free(key);
    return rc == 0 ? 0 : -1;
}

static int load_steps(loader *L, scenario *s, fnode *v)
{
    if (!is_seq(v) || fy_node_sequence_item_count(v) == 0)
        return error_at(L, v, "steps must be a non-empty list");
    size_t n = (size_t)fy_node_sequence_item_count(v);
    s->steps = calloc(n, sizeof(*s->steps));
    if (!s->steps)
        return error_at(L, v, "out of memory");
    void *it = NULL;
    fnode *item;
    while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
        if (load_step(L, &s->steps[s->step_count++], item) != 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Setup requests and the top level
 * ------------------------------------------------------------------------- */

static int request_pair(loader *L, void *target, const char *key, fnode *k, fnode *v)
{
    scn_request *r = target;
    (void)k;
    if (!strcmp(key, "method")) {
        if (want_string(L, v, "method", &r->method) != 0)
            return -1;
        for (char *c = r->method; *c; c++) {
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            if (*c < 'A' || *c > 'Z')
                return error_at(L, v, "method must be a word like GET, POST, PUT or DELETE");
        }
        return 0;
    }
    if (!strcmp(key, "path")) {
        if (want_string(L, v, "path", &r->path) != 0)
            return -1;
        return r->path[0] == '/' ? 0 : error_at(L, v, "path must start with '/'");
    }
    if (!strcmp(key, "body"))
        return (r->body = to_json(L, v)) ? 0 : -1;
    return 1;
}

static int load_setup(loader *L, scenario *s, fnode *v)
{
    if (!is_seq(v))
        return error_at(L, v, "setup must be a list of {method, path, body} requests");
    size_t n = (size_t)fy_node_sequence_item_count(v);
    s->setup = calloc(n ? n : 1, sizeof(*s->setup));
    if (!s->setup)
        return error_at(L, v, "out of memory");
    void *it = NULL;
    fnode *item;
    while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
        scn_request *r = &s->setup[s->setup_count++];
        int column;
        yamldoc_node_pos(item, &r->line, &column);
        if (each_pair(L, item, "a setup request", "method, path, body", r, request_pair) != 0)
            return -1;
        if (!r->method || !r->path)
            return error_at(L, item, "a setup request needs a method and a path");
    }
    return 0;
}

/*
 * Drop "." parts and fold "dir/.." pairs in place, so that paths read well
 * in reports ("a/b/../m.yaml" → "a/m.yaml"). Lexical only: a ".." that
 * follows a symbolic link may then name another directory than the file
 * system would, which scenario trees do not rely on.
 */
static void normalize_path(char *path)
{
    size_t size = strlen(path) + 2;
    char *buf = malloc(size);
    if (!buf)
        return; /* the path stays as written, which names the same file */
    bool absolute = path[0] == '/';
    char *out = buf;
    if (absolute)
        *out++ = '/';
    size_t kept = 0; /* parts written that a ".." may remove */
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        const char *part = p;
        p += len + (p[len] == '/');
        if (len == 0 || (len == 1 && part[0] == '.'))
            continue;
        bool parent = len == 2 && part[0] == '.' && part[1] == '.';
        if (parent && kept > 0) {
            out--; /* the slash after the part to remove */
            while (out > buf + absolute && out[-1] != '/')
                out--;
            kept--;
            continue;
        }
        memcpy(out, part, len);
        out += len;
        *out++ = '/';
        kept += !parent;
    }
    if (out > buf + absolute)
        out--; /* the last slash */
    *out = '\0';
    strcpy(path, buf[0] ? buf : ".");
    free(buf);
}

/* The machine path, relative to the scenario file's directory unless absolute. */
static char *resolve_machine(const char *scenario_file, const char *machine)
{
    const char *slash = strrchr(scenario_file, '/');
    size_t dir = machine[0] == '/' || !slash ? 0 : (size_t)(slash - scenario_file) + 1;
    char *p = malloc(dir + strlen(machine) + 2);
    if (p) {
        memcpy(p, scenario_file, dir);
        strcpy(p + dir, machine);
        normalize_path(p);
    }
    return p;
}

static int load_now(loader *L, scenario *s, fnode *v)
{
    char *text = is_scalar(v) ? scalar_dup(v) : NULL;
    json_t *n = text && is_plain(v) ? yamldoc_plain_number(text) : NULL;
    int rc = 0;
    if (json_is_integer(n))
        s->now_ms = (int64_t)json_integer_value(n);
    else if (!text || drv_parse_time(text, &s->now_ms) != 0)
        rc = error_at(L, v,
                      "now must be an ISO 8601 time like 2025-03-10T09:30:00+01:00 "
                      "(or milliseconds since 1970)");
    s->has_now = rc == 0;
    json_decref(n);
    free(text);
    return rc;
}

/* ok or fail, into *ok. */
static int handoff_word(loader *L, fnode *v, int *ok)
{
    char *word = is_scalar(v) ? scalar_dup(v) : NULL;
    bool good = word && (!strcmp(word, "ok") || !strcmp(word, "fail"));
    if (good)
        *ok = !strcmp(word, "ok");
    free(word);
    return good ? 0 : error_at(L, v, "handoff must be ok or fail, or a list of them");
}

/* handoff: ok | fail | [ok, fail, ...] (in turn, the last repeating). */
static int load_handoff(loader *L, scenario *s, fnode *v)
{
    if (!is_seq(v))
        return handoff_word(L, v, &s->handoff_ok);
    size_t n = (size_t)fy_node_sequence_item_count(v);
    if (n == 0)
        return error_at(L, v, "handoff must be ok or fail, or a non-empty list of them");
    s->handoff_answers = calloc(n, sizeof(*s->handoff_answers));
    if (!s->handoff_answers)
        return error_at(L, v, "out of memory");
    void *it = NULL;
    fnode *item;
    while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
        if (handoff_word(L, item, &s->handoff_answers[s->handoff_count]) != 0)
            return -1;
        s->handoff_count++;
    }
    s->handoff_ok = s->handoff_answers[0];
    return 0;
}

/* One canned answer: {status: N, body: ANY} or {error: TEXT} (and a status). */
static int check_answer(loader *L, fnode *n)
{
    if (!is_map(n))
        return error_at(L, n, "an answer is a map {status: N, body: ...} or {error: TEXT}");
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
        fnode *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        char *key = is_scalar(k) ? scalar_dup(k) : NULL;
        int rc = 0, status = 0;
        if (!key)
            rc = error_at(L, k, "keys of an answer must be strings");
        else if (!strcmp(key, "status"))
            rc = want_int(L, v, "status", 0, 599, &status);
        else if (!strcmp(key, "error"))
            rc = is_scalar(v) && !is_null(v) ? 0 : error_at(L, v, "error must be a string");
        else if (strcmp(key, "body") != 0)
            rc = error_at(L, k, "unknown key '%s' in an answer (known: status, body, error)", key);
        free(key);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/*
 * responses: endpoint name or "METHOD /path" → an answer or a list of them
 * (in turn, the last repeating), the format of `ivrsm sim --responses`.
 */
static int load_responses(loader *L, scenario *s, fnode *v)
{
    if (!is_map(v))
        return error_at(L, v, "responses must be a map of endpoint: answer (or a list of answers)");
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(v, &it)) != NULL) {
        fnode *answers = fy_node_pair_value(p);
        if (is_seq(answers)) {
            if (fy_node_sequence_item_count(answers) == 0)
                return error_at(L, fy_node_pair_key(p), "a list of answers must not be empty");
            void *j = NULL;
            fnode *item;
            while ((item = fy_node_sequence_iterate(answers, &j)) != NULL)
                if (check_answer(L, item) != 0)
                    return -1;
        } else if (check_answer(L, answers) != 0) {
            return -1;
        }
    }
    return (s->responses = to_json(L, v)) ? 0 : -1;
}

static int top_pair(loader *L, void *target, const char *key, fnode *k, fnode *v)
{
    scenario *s = target;
    if (!strcmp(key, "name"))
        return want_string(L, v, "name", &s->name);
    if (!strcmp(key, "description"))
        return is_scalar(v) ? 0 : error_at(L, v, "description must be a string");
    if (!strcmp(key, "machine")) {
        char *m = NULL;
        if (want_string(L, v, "machine", &m) != 0)
            return -1;
        yamldoc_node_pos(v, &s->machine_line, &s->machine_column);
        s->machine = resolve_machine(L->file, m);
        free(m);
        return s->machine ? 0 : error_at(L, v, "out of memory");
    }
    if (!strcmp(key, "now"))
        return load_now(L, s, v);
    if (!strcmp(key, "call_id"))
        return want_string(L, v, "call_id", &s->call_id);
    if (!strcmp(key, "session_id"))
        return want_string(L, v, "session_id", &s->session_id);
    if (!strcmp(key, "ctx")) {
        if (!is_map(v))
            return error_at(L, v, "ctx must be a map of key: value");
        return (s->ctx = to_json(L, v)) ? 0 : -1;
    }
    if (!strcmp(key, "handoff"))
        return load_handoff(L, s, v);
    if (!strcmp(key, "responses"))
        return load_responses(L, s, v);
    if (!strcmp(key, "setup"))
        return load_setup(L, s, v);
    if (!strcmp(key, "steps"))
        return load_steps(L, s, v);
    (void)k;
    return 1;
}

/* Read the whole file, refusing one larger than SCN_MAX_FILE_BYTES. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(SCN_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, SCN_MAX_FILE_BYTES + 1, f) : 0;
    bool bad = ferror(f) != 0;
    fclose(f);
    if (!buf || bad || n > SCN_MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s: %s", path,
                 !buf  ? "out of memory"
                 : bad ? "cannot read the file"
                       : "larger than 1 MiB: not a scenario file");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

scenario *scenario_load(const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *data = read_file(path, &len, err, errlen);
    if (!data)
        return NULL;
    struct fy_diag *diag = NULL;
    struct fy_document *doc = yamldoc_parse(path, data, len, err, errlen, &diag);
    scenario *s = doc ? calloc(1, sizeof(*s)) : NULL;
    loader L = {path, err, errlen};
    int rc = -1;
    if (s) {
        s->handoff_ok = 1;
        s->file = strdup(path);
        fnode *root = fy_document_root(doc);
        if (!is_map(root))
            rc = error_at(&L, root, "a scenario is a map with machine: and steps:");
        else
            rc = each_pair(&L, root, "the scenario",
                           "name, description, machine, now, call_id, session_id, ctx, handoff, "
                           "responses, setup, steps",
                           s, top_pair);
        if (rc == 0 && (!s->machine || !s->steps))
            rc = error_at(&L, root, "a scenario needs machine: and steps:");
    } else if (doc) {
        snprintf(err, errlen, "%s: out of memory", path);
    }
    if (rc == 0 && !s->name) {
        const char *base = strrchr(path, '/');
        s->name = strdup(base ? base + 1 : path);
    }
    fy_document_destroy(doc);
    if (diag)
        fy_diag_destroy(diag);
    free(data);
    if (rc != 0) {
        scenario_free(s);
        return NULL;
    }
    return s;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_expect(scn_expect *e)
{
    free(e->state);
    free_strings(e->says, e->says_count);
    free_strings(e->not_says, e->not_says_count);
    for (size_t i = 0; i < e->http_count; i++) {
        free(e->http[i].endpoint);
        free(e->http[i].method);
        free(e->http[i].path);
        json_decref(e->http[i].body);
        json_decref(e->http[i].query);
    }
    free(e->http);
    json_decref(e->ctx);
    free(e->handoff_queue);
}

void scenario_free(scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->step_count; i++) {
        drv_input_clear(&s->steps[i].input);
        free_expect(&s->steps[i].expect);
    }
    free(s->steps);
    for (size_t i = 0; i < s->setup_count; i++) {
        free(s->setup[i].method);
        free(s->setup[i].path);
        json_decref(s->setup[i].body);
    }
    free(s->setup);
    free(s->file);
    free(s->name);
    free(s->machine);
    free(s->call_id);
    free(s->session_id);
    json_decref(s->ctx);
    json_decref(s->responses);
    free(s->handoff_answers);
    free(s);
}
