/*
 * Loading scenario files, through the library's document reader
 * (ivrsm_document_*): its bounds, its YAML 1.2 core schema (`yes` is a
 * string) and its line:column errors.
 *
 * Scenario files are written by the people who run them, so the loader is
 * strict rather than defensive: every key is known, every value has the
 * expected type, and a mistake is reported where it was made.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "scenario.h"
#include "yamldoc.h"

typedef struct loader {
    const char *file;
    char *err;
    size_t errlen;
} loader;

typedef const ivrsm_node fnode;

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
    int line = ivrsm_node_line(n), column = ivrsm_node_column(n);
    if (line > 0)
        snprintf(L->err, L->errlen, "%s:%d:%d: %s", L->file, line, column, msg);
    else
        snprintf(L->err, L->errlen, "%s: %s", L->file, msg);
    return -1;
}

/* ---------------------------------------------------------------------------
 * Values, typed by the library's reader (YAML 1.2 core schema)
 * ------------------------------------------------------------------------- */

static bool is_map(fnode *n)
{
    return ivrsm_node_type(n) == IVRSM_NODE_MAP;
}

static bool is_seq(fnode *n)
{
    return ivrsm_node_type(n) == IVRSM_NODE_LIST;
}

static bool is_scalar(fnode *n)
{
    return n && !is_map(n) && !is_seq(n);
}

static bool is_null(fnode *n)
{
    return ivrsm_node_type(n) == IVRSM_NODE_NULL;
}

static bool is_string(fnode *n)
{
    return ivrsm_node_type(n) == IVRSM_NODE_STRING;
}

/* A scalar's text as a new string (NULL when not a scalar or out of memory). */
static char *scalar_dup(fnode *n)
{
    const char *t = is_scalar(n) ? ivrsm_node_text(n) : NULL;
    return t ? strdup(t) : NULL;
}

/* A node as JSON. NULL with the error set. */
static json_t *to_json(loader *L, fnode *n)
{
    char *text = ivrsm_node_json(n);
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    ivrsm_free(text);
    if (!v)
        error_at(L, n, "this value cannot be written as JSON (only finite numbers can)");
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
    if (ivrsm_node_type(n) != IVRSM_NODE_BOOL)
        return error_at(L, n, "%s must be true or false", what);
    *out = ivrsm_node_bool(n);
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
    bool ok =
        ivrsm_node_type(n) == IVRSM_NODE_INT && ivrsm_node_int(n) >= lo && ivrsm_node_int(n) <= hi;
    if (ok)
        *out = (int)ivrsm_node_int(n);
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
    size_t total = ivrsm_node_size(n);
    if (!is_seq(n) || total == 0)
        return error_at(L, n, "%s must be a string or a non-empty list of strings", what);
    *out = calloc(total, sizeof(char *));
    if (!*out)
        return error_at(L, n, "out of memory");
    for (size_t i = 0; i < total; i++) {
        if (want_string(L, ivrsm_node_item(n, i), what, &(*out)[*count]) != 0)
            return -1;
        (*count)++;
    }
    return 0;
}

/* Iterate over the pairs of a map, checking each key against `known`. */
typedef int (*pair_fn)(loader *L, void *target, const char *key, fnode *value);

/* A message at the key of pair i of a map. */
static int key_error(loader *L, fnode *map, size_t i, const char *msg)
{
    int line = 0, column = 0;
    ivrsm_node_key(map, i, &line, &column);
    snprintf(L->err, L->errlen, "%s:%d:%d: %s", L->file, line, column, msg);
    return -1;
}

/* Edits (insert, delete, replace) between two short words, or SIZE_MAX for long ones. */
static size_t edits(const char *a, size_t na, const char *b, size_t nb)
{
    enum { MAX_WORD = 32 };
    if (na > MAX_WORD || nb > MAX_WORD)
        return SIZE_MAX;
    size_t row[MAX_WORD + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = up;
        }
    }
    return row[nb];
}

/* The known name ("a, b, c") nearest to key, when it is near enough to be
 * the one meant (at most a third of its letters wrong, one at least);
 * its length in *len, or NULL. */
static const char *nearest_known(const char *key, const char *known, size_t *len)
{
    const char *best = NULL;
    size_t best_edits = SIZE_MAX, key_len = strlen(key);
    for (const char *p = known; *p;) {
        size_t n = strcspn(p, ", ");
        size_t e = edits(key, key_len, p, n);
        if (e < best_edits) {
            best_edits = e;
            best = p;
            *len = n;
        }
        p += n;
        p += strspn(p, ", ");
    }
    size_t allowed = key_len / 3 > 1 ? key_len / 3 : 1;
    return best && best_edits <= allowed ? best : NULL;
}

static int each_pair(loader *L, fnode *map, const char *what, const char *known, void *target,
                     pair_fn fn)
{
    if (!is_map(map))
        return error_at(L, map, "%s must be a map", what);
    for (size_t i = 0; i < ivrsm_node_size(map); i++) {
        const char *key = ivrsm_node_key(map, i, NULL, NULL);
        int rc = fn(L, target, key, ivrsm_node_value(map, i));
        if (rc == 1) {
            char msg[600], guess[80] = "";
            size_t len = 0;
            const char *near = nearest_known(key, known, &len);
            if (near)
                snprintf(guess, sizeof(guess), "; did you mean '%.*s'?", (int)len, near);
            snprintf(msg, sizeof(msg), "unknown key '%s' in %s%s (known: %s)", key, what, guess,
                     known);
            key_error(L, map, i, msg);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Steps
 * ------------------------------------------------------------------------- */

/* The fields of an ask command an expect may name (docs/cli.md, the commands). */
static const char ask_keys[] = "text, dtmf, speech, min_digits, max_digits, terminators, "
                               "timeout_ms, digit_timeout_ms, barge_in, collect, language";

static int ask_pair(loader *L, void *target, const char *key, fnode *v)
{
    (void)target;
    (void)v;
    (void)L;
    static const char *const known[] = {
        "text",       "dtmf",        "speech",     "min_digits",
        "max_digits", "terminators", "timeout_ms", "digit_timeout_ms",
        "barge_in",   "collect",     "language",   NULL};
    for (const char *const *k = known; *k; k++)
        if (!strcmp(key, *k))
            return 0;
    return 1;
}

static int http_expect_pair(loader *L, void *target, const char *key, fnode *v)
{
    scn_http_expect *h = target;
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
    size_t n = is_seq(v) ? ivrsm_node_size(v) : 1;
    if (n == 0) {
        /* http: [] — the same as http: false. */
        e->no_http = true;
        return 0;
    }
    e->http = calloc(n, sizeof(*e->http));
    if (!e->http)
        return error_at(L, v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        fnode *item = is_seq(v) ? ivrsm_node_item(v, i) : v;
        scn_http_expect *h = &e->http[e->http_count++];
        h->status = -1;
        if (each_pair(L, item, "http", "endpoint, method, path, body, query, status", h,
                      http_expect_pair) != 0)
            return -1;
    }
    return 0;
}

static int handoff_expect_pair(loader *L, void *target, const char *key, fnode *v)
{
    if (!strcmp(key, "queue"))
        return want_string(L, v, "handoff.queue", &((scn_expect *)target)->handoff_queue);
    return 1;
}

static int load_ended(loader *L, scn_expect *e, fnode *v)
{
    bool b = false;
    if (ivrsm_node_type(v) == IVRSM_NODE_BOOL) {
        want_bool(L, v, "ended", &b);
        e->ended = b ? SCN_ENDED_ANY : SCN_ENDED_NO;
        return 0;
    }
    char *word = is_string(v) ? scalar_dup(v) : NULL;
    if (word && !strcmp(word, "hangup"))
        e->ended = SCN_ENDED_HANGUP;
    else if (word && !strcmp(word, "handoff"))
        e->ended = SCN_ENDED_HANDOFF;
    free(word);
    if (e->ended == SCN_ENDED_UNSET)
        return error_at(L, v, "ended must be hangup, handoff, true or false");
    return 0;
}

static int expect_pair(loader *L, void *target, const char *key, fnode *v)
{
    scn_expect *e = target;
    bool b = false;
    if (!strcmp(key, "state"))
        return want_string(L, v, "state", &e->state);
    if (!strcmp(key, "says"))
        return want_strings(L, v, "says", &e->says, &e->says_count);
    if (!strcmp(key, "not_says"))
        return want_strings(L, v, "not_says", &e->not_says, &e->not_says_count);
    if (!strcmp(key, "plays"))
        return want_strings(L, v, "plays", &e->plays, &e->plays_count);
    if (!strcmp(key, "language"))
        return want_string(L, v, "language", &e->language);
    if (!strcmp(key, "ask")) {
        if (is_map(v)) {
            e->ask = 1;
            if (each_pair(L, v, "ask", ask_keys, NULL, ask_pair) != 0)
                return -1;
            return (e->ask_fields = to_json(L, v)) ? 0 : -1;
        }
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

static const char expect_keys[] =
    "state, says, not_says, plays, language, ask, http, ctx, handoff, ended";

static int load_expect(loader *L, scn_step *st, fnode *v)
{
    st->is_expect = true;
    st->expect.ask = -1;
    st->expect.handoff = -1;
    if (!is_map(v) || ivrsm_node_size(v) == 0)
        return error_at(L, v, "expect: needs a map with at least one of %s", expect_keys);
    return each_pair(L, v, "expect", expect_keys, &st->expect, expect_pair);
}

static int say_pair(loader *L, void *target, const char *key, fnode *v)
{
    drv_input *in = target;
    if (!strcmp(key, "text"))
        return want_string(L, v, "say.text", &in->text);
    if (!strcmp(key, "confidence")) {
        ivrsm_node_kind t = ivrsm_node_type(v);
        double c = ivrsm_node_real(v);
        bool ok = (t == IVRSM_NODE_INT || t == IVRSM_NODE_REAL) && c >= 0 && c <= 1;
        if (ok)
            in->confidence = c;
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
    st->line = ivrsm_node_line(n);
    st->column = ivrsm_node_column(n);
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
    if (!is_map(n) || ivrsm_node_size(n) != 1)
        return error_at(L, n,
                        "a step is a map with one key: dtmf, say, intent, noinput, nomatch, "
                        "hangup or expect");
    const char *key = ivrsm_node_key(n, 0, NULL, NULL);
    int rc = !strcmp(key, "expect") ? load_expect(L, st, ivrsm_node_value(n, 0))
                                    : load_input(L, st, key, ivrsm_node_value(n, 0));
    if (rc == 1) {
        char msg[600];
        snprintf(msg, sizeof(msg),
                 "unknown step '%s' (expected dtmf, say, intent, noinput, nomatch, hangup or "
                 "expect)",
                 key);
        key_error(L, n, 0, msg);
    }
    return rc == 0 ? 0 : -1;
}

static int load_steps(loader *L, scenario *s, fnode *v)
{
    size_t n = ivrsm_node_size(v);
    if (!is_seq(v) || n == 0)
        return error_at(L, v, "steps must be a non-empty list");
    s->steps = calloc(n, sizeof(*s->steps));
    if (!s->steps)
        return error_at(L, v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (load_step(L, &s->steps[s->step_count++], ivrsm_node_item(v, i)) != 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Setup requests and the top level
 * ------------------------------------------------------------------------- */

static int request_pair(loader *L, void *target, const char *key, fnode *v)
{
    scn_request *r = target;
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
    size_t n = ivrsm_node_size(v);
    s->setup = calloc(n ? n : 1, sizeof(*s->setup));
    if (!s->setup)
        return error_at(L, v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        fnode *item = ivrsm_node_item(v, i);
        scn_request *r = &s->setup[s->setup_count++];
        r->line = ivrsm_node_line(item);
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
    int rc = 0;
    if (ivrsm_node_type(v) == IVRSM_NODE_INT)
        s->now_ms = ivrsm_node_int(v);
    else if (!is_string(v) || drv_parse_time(ivrsm_node_text(v), &s->now_ms) != 0)
        rc = error_at(L, v,
                      "now must be an ISO 8601 time like 2025-03-10T09:30:00+01:00 "
                      "(or milliseconds since 1970)");
    s->has_now = rc == 0;
    if (rc == 0 && is_string(v)) {
        if (!(s->now_text = strdup(ivrsm_node_text(v))))
            return error_at(L, v, "out of memory");
        s->now_line = ivrsm_node_line(v);
        s->now_column = ivrsm_node_column(v);
    }
    return rc;
}

/* ok or fail, into *ok. */
static int handoff_word(loader *L, fnode *v, int *ok)
{
    char *word = is_string(v) ? scalar_dup(v) : NULL;
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
    size_t n = ivrsm_node_size(v);
    if (n == 0)
        return error_at(L, v, "handoff must be ok or fail, or a non-empty list of them");
    s->handoff_answers = calloc(n, sizeof(*s->handoff_answers));
    if (!s->handoff_answers)
        return error_at(L, v, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (handoff_word(L, ivrsm_node_item(v, i), &s->handoff_answers[s->handoff_count]) != 0)
            return -1;
        s->handoff_count++;
    }
    s->handoff_ok = s->handoff_answers[0];
    return 0;
}

static int answer_pair(loader *L, void *target, const char *key, fnode *v)
{
    int status = 0;
    (void)target;
    if (!strcmp(key, "status"))
        return want_int(L, v, "status", 0, 599, &status);
    if (!strcmp(key, "error"))
        return is_scalar(v) && !is_null(v) ? 0 : error_at(L, v, "error must be a string");
    return strcmp(key, "body") != 0;
}

/* One canned answer: {status: N, body: ANY} or {error: TEXT} (and a status). */
static int check_answer(loader *L, fnode *n)
{
    if (!is_map(n))
        return error_at(L, n, "an answer is a map {status: N, body: ...} or {error: TEXT}");
    return each_pair(L, n, "an answer", "status, body, error", NULL, answer_pair);
}

/*
 * responses: endpoint name or "METHOD /path" → an answer or a list of them
 * (in turn, the last repeating), the format of `ivrsm sim --responses`.
 */
static int load_responses(loader *L, scenario *s, fnode *v)
{
    if (!is_map(v))
        return error_at(L, v, "responses must be a map of endpoint: answer (or a list of answers)");
    for (size_t i = 0; i < ivrsm_node_size(v); i++) {
        fnode *answers = ivrsm_node_value(v, i);
        if (!is_seq(answers)) {
            if (check_answer(L, answers) != 0)
                return -1;
            continue;
        }
        if (ivrsm_node_size(answers) == 0)
            return key_error(L, v, i, "a list of answers must not be empty");
        for (size_t j = 0; j < ivrsm_node_size(answers); j++)
            if (check_answer(L, ivrsm_node_item(answers, j)) != 0)
                return -1;
    }
    if (!(s->responses = to_json(L, v)))
        return -1;
    if (!(s->responses_at = json_object()))
        return error_at(L, v, "out of memory");
    for (size_t i = 0; i < ivrsm_node_size(v); i++) {
        int line = 0, column = 0;
        const char *key = ivrsm_node_key(v, i, &line, &column);
        if (json_object_set_new(s->responses_at, key, json_pack("[i, i]", line, column)) != 0)
            return error_at(L, v, "out of memory");
    }
    return drv_keep_written_bodies(s->responses, v) == 0 ? 0 : error_at(L, v, "out of memory");
}

static int top_pair(loader *L, void *target, const char *key, fnode *v)
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
        s->machine_line = ivrsm_node_line(v);
        s->machine_column = ivrsm_node_column(v);
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
    return 1;
}

scenario *scenario_load(const char *path, char *err, size_t errlen)
{
    ivrsm_document *doc = yamldoc_load(path, err, errlen);
    if (!doc)
        return NULL;
    int rc;
    scenario *s = calloc(1, sizeof(*s));
    loader L = {path, err, errlen};
    rc = -1;
    if (s) {
        s->handoff_ok = 1;
        s->file = strdup(path);
        fnode *root = ivrsm_document_root(doc);
        rc = each_pair(&L, root, "the scenario",
                       "name, description, machine, now, call_id, session_id, ctx, handoff, "
                       "responses, setup, steps",
                       s, top_pair);
        if (rc == 0 && (!s->machine || !s->steps))
            rc = error_at(&L, root, "a scenario needs machine: and steps:");
    } else {
        snprintf(err, errlen, "%s: out of memory", path);
    }
    if (rc == 0 && !s->name) {
        const char *base = strrchr(path, '/');
        s->name = strdup(base ? base + 1 : path);
    }
    ivrsm_document_free(doc);
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
    free(e->language);
    free_strings(e->says, e->says_count);
    free_strings(e->not_says, e->not_says_count);
    free_strings(e->plays, e->plays_count);
    for (size_t i = 0; i < e->http_count; i++) {
        free(e->http[i].endpoint);
        free(e->http[i].method);
        free(e->http[i].path);
        json_decref(e->http[i].body);
        json_decref(e->http[i].query);
    }
    free(e->http);
    json_decref(e->ctx);
    json_decref(e->ask_fields);
    free(e->handoff_queue);
}

void scenario_free(scenario *s)
{
    if (!s)
        return;
    json_decref(s->responses_at);
    free(s->now_text);
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
