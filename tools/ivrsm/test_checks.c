/*
 * Checking expect: steps, with failure reports a person can act on: what
 * was expected, what happened instead, and the commands that led there.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_real.h"
#include "term.h"
#include "test_checks.h"

typedef struct checker {
    FILE *out;
    const check_view *v;
    const char *where;
    bool color;
    int total;
    int failed;
} checker;

#define DETAIL "      "

/*
 * Print a report line. What it quotes (texts the backend sent, states and
 * queues of the machine, the scenario's own words) goes through term_put():
 * no character of it drives the terminal.
 */
__attribute__((format(printf, 2, 3))) static void detail(checker *c, const char *fmt, ...)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    if (fclose(f) != 0) {
        free(text);
        return;
    }
    term_put_lines(c->out, text);
    free(text);
}

static void pass(checker *c, const char *label)
{
    c->total++;
    fprintf(c->out, "  %s✓%s expect ", term_sgr(c->color, TERM_GREEN),
            term_sgr(c->color, TERM_RESET));
    term_put(c->out, label);
    fputc('\n', c->out);
}

static void fail_line(checker *c, const char *label)
{
    c->total++;
    c->failed++;
    fprintf(c->out, "  %s✗ expect ", term_sgr(c->color, TERM_RED));
    term_put(c->out, label);
    fprintf(c->out, "%s  (%s)\n", term_sgr(c->color, TERM_RESET), c->where);
}

static void last_commands(checker *c)
{
    size_t n = json_array_size(c->v->recent);
    if (n == 0) {
        detail(c, DETAIL "last commands: none\n");
        return;
    }
    detail(c, DETAIL "last commands:\n");
    for (size_t i = 0; i < n; i++) {
        char *text = term_render_command(json_array_get(c->v->recent, i), DETAIL "  ", c->color);
        if (text)
            fputs(text, c->out);
        free(text);
    }
}

static char *dump(const json_t *v)
{
    return v ? ivrsm_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(missing)");
}

static const char *str_field(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool type_is(const json_t *rec, const char *type)
{
    const char *t = str_field(rec, "type");
    return t && !strcmp(t, type);
}

/* ---------------------------------------------------------------------------
 * state, says, not_says, ask
 * ------------------------------------------------------------------------- */

static void check_state(checker *c, const char *want)
{
    char label[512];
    snprintf(label, sizeof(label), "state %s", want);
    const char *got = c->v->state;
    if (got && !strcmp(got, want)) {
        pass(c, label);
        return;
    }
    fail_line(c, label);
    detail(c, DETAIL "expected: %s\n" DETAIL "actual:   %s\n", want, got ? got : "(none)");
    last_commands(c);
}

/* Whether a record speaks: say, ask, or a handoff's words. */
static const char *spoken_text(const json_t *rec)
{
    if (!type_is(rec, "say") && !type_is(rec, "ask") && !type_is(rec, "handoff"))
        return NULL;
    const char *t = str_field(rec, "text");
    return t && *t ? t : NULL;
}

static void print_spoken(checker *c)
{
    bool any = false;
    size_t i;
    json_t *rec;
    json_array_foreach(c->v->records, i, rec)
    {
        const char *t = spoken_text(rec);
        if (t) {
            detail(c, DETAIL "  %s: \"%s\"\n", str_field(rec, "type"), t);
            any = true;
        }
    }
    if (!any)
        detail(c, DETAIL "  (nothing was said since the last caller input)\n");
}

static const char *find_spoken(const check_view *v, const char *needle)
{
    size_t i;
    json_t *rec;
    json_array_foreach(v->records, i, rec)
    {
        const char *t = spoken_text(rec);
        if (t && strstr(t, needle))
            return t;
    }
    return NULL;
}

static void check_says(checker *c, const char *needle, bool negated)
{
    char label[600];
    snprintf(label, sizeof(label), "%s \"%s\"", negated ? "not_says" : "says", needle);
    const char *hit = find_spoken(c->v, needle);
    if (negated ? !hit : hit != NULL) {
        pass(c, label);
        return;
    }
    fail_line(c, label);
    if (negated) {
        detail(c, DETAIL "expected: no text containing \"%s\"\n", needle);
        detail(c, DETAIL "actual:   \"%s\"\n", hit);
        return;
    }
    detail(c, DETAIL "expected: a say/ask text containing \"%s\" (case-sensitive)\n", needle);
    detail(c, DETAIL "actual texts since the last caller input:\n");
    print_spoken(c);
}

/* The URI of the first recording played since the last input that contains `needle`. */
static const char *find_played(const check_view *v, const char *needle)
{
    size_t i, k;
    json_t *rec, *part;
    json_array_foreach(v->records, i, rec)
    {
        json_array_foreach(json_object_get(rec, "parts"), k, part)
        {
            const char *uri = str_field(part, "play");
            if (uri && strstr(uri, needle))
                return uri;
        }
    }
    return NULL;
}

static void check_plays(checker *c, const char *needle)
{
    char label[600];
    snprintf(label, sizeof(label), "plays \"%s\"", needle);
    if (find_played(c->v, needle)) {
        pass(c, label);
        return;
    }
    fail_line(c, label);
    detail(c, DETAIL "expected: a recording whose URI contains \"%s\"\n", needle);
    detail(c, DETAIL "actual recordings since the last caller input:\n");
    bool any = false;
    size_t i, k;
    json_t *rec, *part;
    json_array_foreach(c->v->records, i, rec)
    {
        json_array_foreach(json_object_get(rec, "parts"), k, part)
        {
            const char *uri = str_field(part, "play");
            if (uri) {
                detail(c, DETAIL "  %s: %s\n", str_field(rec, "type"), uri);
                any = true;
            }
        }
    }
    if (!any)
        detail(c, DETAIL "  (no recording was played since the last caller input)\n");
}

/* Every say, ask and handoff since the last input is in `language`, and there is one. */
static void check_language(checker *c, const char *language)
{
    char label[200];
    snprintf(label, sizeof(label), "language %s", language);
    size_t i, spoken = 0;
    json_t *rec;
    const char *other = NULL;
    json_array_foreach(c->v->records, i, rec)
    {
        if (!type_is(rec, "say") && !type_is(rec, "ask") && !type_is(rec, "handoff"))
            continue;
        spoken++;
        const char *got = str_field(rec, "language");
        if (!other && (!got || strcmp(got, language) != 0))
            other = got ? got : "(none)";
    }
    if (spoken && !other) {
        pass(c, label);
        return;
    }
    fail_line(c, label);
    detail(c, DETAIL "expected: every say, ask and handoff in %s\n", language);
    if (!spoken)
        detail(c, DETAIL "actual:   nothing was said since the last caller input\n");
    else
        detail(c, DETAIL "actual:   one in %s\n", other);
}

/* The last ask has every field of `fields` with its value (ask: {max_digits: 7}). */
static void check_ask_fields(checker *c, const json_t *fields)
{
    const json_t *last = NULL;
    size_t i;
    json_t *rec;
    json_array_foreach(c->v->records, i, rec) if (type_is(rec, "ask")) last = rec;
    char *want = ivrsm_json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char label[300];
    snprintf(label, sizeof(label), "ask %s", want ? want : "");
    if (last && drv_json_subset(fields, last)) {
        pass(c, label);
    } else if (last) {
        fail_line(c, label);
        json_t *shown = json_object();
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)fields, key, v) json_object_set(
            shown, key, json_object_get(last, key) ? json_object_get(last, key) : json_null());
        char *got = ivrsm_json_dumps(shown, JSON_COMPACT | JSON_PRESERVE_ORDER);
        detail(c, DETAIL "expected: the last ask with %s\n" DETAIL "actual:   %s\n",
               want ? want : "", got ? got : "");
        free(got);
        json_decref(shown);
    }
    free(want);
}

static void check_ask(checker *c, bool want, const json_t *fields)
{
    bool asked = false;
    size_t i;
    json_t *rec;
    json_array_foreach(c->v->records, i, rec) asked |= type_is(rec, "ask");
    const char *label = want ? "ask" : "no ask";
    if (asked == want) {
        if (fields)
            check_ask_fields(c, fields);
        else
            pass(c, label);
        return;
    }
    fail_line(c, label);
    detail(c, DETAIL "expected: %s\n" DETAIL "actual:   %s\n",
           want ? "the call asks the caller something" : "no ask",
           asked ? "an ask was emitted" : "no ask since the last caller input");
    last_commands(c);
}

/* ---------------------------------------------------------------------------
 * http
 * ------------------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s+len) ('+' is a space) into a new string. */
static char *url_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 &&
            (lo = hex_value(s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    if (out)
        out[o] = '\0';
    return out;
}

json_t *checks_query_decode(const char *query)
{
    json_t *o = json_object();
    const char *p = query;
    while (p && *p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char *key = url_decode(p, klen);
        char *value = eq ? url_decode(eq + 1, len - klen - 1) : strdup("");
        if (key && value && *key)
            json_object_set_new(o, key, json_string(value));
        free(key);
        free(value);
        p += len + (p[len] == '&');
    }
    return o;
}

/* An expected query value as text: `page: 2` in YAML means "2". */
static char *scalar_text(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return ivrsm_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static bool query_matches(const json_t *want, const char *query)
{
    json_t *got = checks_query_decode(query);
    bool ok = true;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)want, k, v)
    {
        char *text = scalar_text(v);
        const char *actual = json_string_value(json_object_get(got, k));
        ok = ok && text && actual && !strcmp(text, actual);
        free(text);
    }
    json_decref(got);
    return ok;
}

static bool http_matches(const scn_http_expect *h, const json_t *rec)
{
    const char *endpoint = str_field(rec, "endpoint");
    if (!type_is(rec, "http"))
        return false;
    if (h->endpoint && (!endpoint || strcmp(h->endpoint, endpoint) != 0))
        return false;
    if (h->method && strcmp(h->method, str_field(rec, "method")) != 0)
        return false;
    if (h->path && strcmp(h->path, str_field(rec, "path")) != 0)
        return false;
    if (h->body && !drv_json_subset(h->body, json_object_get(rec, "body")))
        return false;
    if (h->query && !query_matches(h->query, str_field(rec, "query")))
        return false;
    json_t *status = json_object_get(rec, "status");
    return h->status < 0 || (json_is_integer(status) && json_integer_value(status) == h->status);
}

static void http_label(const scn_http_expect *h, char *label, size_t n)
{
    int len = snprintf(label, n, "http");
    if (h->endpoint)
        len += snprintf(label + len, n - (size_t)len, " %s", h->endpoint);
    if (h->method || h->path)
        len += snprintf(label + len, n - (size_t)len, " %s%s%s", h->method ? h->method : "",
                        h->method && h->path ? " " : "", h->path ? h->path : "");
    if (h->status >= 0)
        snprintf(label + len, n - (size_t)len, " → %d", h->status);
}

static void print_http_expected(checker *c, const scn_http_expect *h)
{
    char *body = h->body ? dump(h->body) : NULL;
    char *query = h->query ? dump(h->query) : NULL;
    detail(c, DETAIL "expected: an http command");
    if (h->endpoint)
        detail(c, " to endpoint %s", h->endpoint);
    if (h->method || h->path)
        detail(c, " %s %s", h->method ? h->method : "*", h->path ? h->path : "*");
    fputc('\n', c->out);
    if (body)
        detail(c, DETAIL "          with a body containing %s\n", body);
    if (query)
        detail(c, DETAIL "          with query parameters %s\n", query);
    if (h->status >= 0)
        detail(c, DETAIL "          answered with status %d\n", h->status);
    free(body);
    free(query);
}

static void print_http_actual(checker *c)
{
    detail(c, DETAIL "actual http commands since the last caller input:\n");
    bool any = false;
    size_t i;
    json_t *rec;
    json_array_foreach(c->v->records, i, rec)
    {
        if (!type_is(rec, "http"))
            continue;
        any = true;
        const char *endpoint = str_field(rec, "endpoint");
        const char *query = str_field(rec, "query");
        const char *error = str_field(rec, "error");
        detail(c, DETAIL "  %s %s%s%s%s%s%s → %lld%s%s\n", str_field(rec, "method"),
               str_field(rec, "path"), query && *query ? "?" : "", query ? query : "",
               endpoint ? " (" : "", endpoint ? endpoint : "", endpoint ? ")" : "",
               (long long)json_integer_value(json_object_get(rec, "status")), error ? " " : "",
               error ? error : "");
        json_t *body = json_object_get(rec, "body");
        if (body) {
            char *text = dump(body);
            detail(c, DETAIL "    body %s\n", text);
            free(text);
        }
    }
    if (!any)
        detail(c, DETAIL "  (none)\n");
}

static void check_no_http(checker *c)
{
    size_t n = json_array_size(c->v->records);
    for (size_t i = 0; i < n; i++) {
        if (type_is(json_array_get(c->v->records, i), "http")) {
            fail_line(c, "no http command");
            print_http_actual(c);
            return;
        }
    }
    pass(c, "no http command");
}

static void check_http(checker *c, const scn_expect *e)
{
    size_t from = 0;
    for (size_t k = 0; k < e->http_count; k++) {
        const scn_http_expect *h = &e->http[k];
        char label[600];
        http_label(h, label, sizeof(label));
        size_t n = json_array_size(c->v->records);
        size_t i = from;
        while (i < n && !http_matches(h, json_array_get(c->v->records, i)))
            i++;
        if (i < n) {
            from = i + 1;
            pass(c, label);
            continue;
        }
        fail_line(c, label);
        print_http_expected(c, h);
        print_http_actual(c);
    }
}

/* ---------------------------------------------------------------------------
 * ctx, handoff, ended
 * ------------------------------------------------------------------------- */

/* ctx[key], or the value at a dotted path ("patient.name") when no such key exists. */
static const json_t *ctx_lookup(const json_t *ctx, const char *key)
{
    const json_t *v = json_object_get(ctx, key);
    if (v || !strchr(key, '.'))
        return v;
    char *path = strdup(key);
    v = ctx;
    for (char *part = path, *dot; v && part; part = dot ? dot + 1 : NULL) {
        dot = strchr(part, '.');
        if (dot)
            *dot = '\0';
        v = json_object_get(v, part);
    }
    free(path);
    return v;
}

static void check_ctx(checker *c, const json_t *want)
{
    const char *k;
    json_t *expected;
    json_object_foreach((json_t *)want, k, expected)
    {
        const json_t *actual = ctx_lookup(c->v->ctx, k);
        char *e_text = dump(expected);
        char label[700];
        /* null: not set, as templates read it (a missing key and null say nothing alike) */
        bool unset = json_is_null(expected);
        if (unset)
            snprintf(label, sizeof(label), "ctx.%s unset (missing or null)", k);
        else
            snprintf(label, sizeof(label), "ctx.%s = %s", k, e_text ? e_text : "?");
        if (unset ? !actual || json_is_null(actual) : drv_json_subset(expected, actual)) {
            pass(c, label);
        } else {
            char *a_text = dump(actual);
            fail_line(c, label);
            detail(c, DETAIL "expected: %s\n" DETAIL "actual:   %s\n", e_text,
                   a_text ? a_text : "?");
            free(a_text);
        }
        free(e_text);
    }
}

static void check_handoff(checker *c, const scn_expect *e)
{
    const json_t *found = NULL, *any = NULL;
    size_t i;
    json_t *rec;
    json_array_foreach(c->v->records, i, rec)
    {
        if (!type_is(rec, "handoff"))
            continue;
        any = any ? any : rec;
        const char *queue = str_field(rec, "queue");
        if (!found && (!e->handoff_queue || (queue && !strcmp(queue, e->handoff_queue))))
            found = rec;
    }
    char label[400];
    if (!e->handoff) {
        if (!any) {
            pass(c, "no handoff");
            return;
        }
        fail_line(c, "no handoff");
        detail(c, DETAIL "actual: a handoff to %s\n",
               str_field(any, "queue") ? str_field(any, "queue") : "(no queue)");
        return;
    }
    snprintf(label, sizeof(label), "handoff%s%s", e->handoff_queue ? " to " : "",
             e->handoff_queue ? e->handoff_queue : "");
    if (found) {
        pass(c, label);
        return;
    }
    fail_line(c, label);
    if (any)
        detail(c, DETAIL "expected: queue %s\n" DETAIL "actual:   queue %s\n", e->handoff_queue,
               str_field(any, "queue") ? str_field(any, "queue") : "(none)");
    else
        detail(c, DETAIL "actual: no handoff since the last caller input\n");
    last_commands(c);
}

static void check_ended(checker *c, scn_ended want)
{
    static const char *const labels[] = {"", "not ended", "ended", "ended by hangup",
                                         "ended by handoff"};
    const char *got = c->v->end_kind;
    bool ok = false;
    switch (want) {
    case SCN_ENDED_NO:
        ok = !got;
        break;
    case SCN_ENDED_ANY:
        ok = got != NULL;
        break;
    case SCN_ENDED_HANGUP:
        ok = got && !strcmp(got, "hangup");
        break;
    case SCN_ENDED_HANDOFF:
        ok = got && !strcmp(got, "handoff");
        break;
    case SCN_ENDED_UNSET:
        return;
    }
    if (ok) {
        pass(c, labels[want]);
        return;
    }
    fail_line(c, labels[want]);
    if (got)
        detail(c, DETAIL "actual: the call ended by %s\n", got);
    else
        detail(c, DETAIL "actual: the call goes on, in state %s\n",
               c->v->state ? c->v->state : "(none)");
    last_commands(c);
}

int checks_run(FILE *out, const scn_expect *e, const check_view *v, const char *where, bool color,
               int *total)
{
    checker c = {out, v, where, color, 0, 0};
    if (e->state)
        check_state(&c, e->state);
    for (size_t i = 0; i < e->says_count; i++)
        check_says(&c, e->says[i], false);
    for (size_t i = 0; i < e->not_says_count; i++)
        check_says(&c, e->not_says[i], true);
    for (size_t i = 0; i < e->plays_count; i++)
        check_plays(&c, e->plays[i]);
    if (e->language)
        check_language(&c, e->language);
    if (e->ask >= 0)
        check_ask(&c, e->ask == 1, e->ask_fields);
    if (e->http_count)
        check_http(&c, e);
    if (e->no_http)
        check_no_http(&c);
    if (e->ctx)
        check_ctx(&c, e->ctx);
    if (e->handoff >= 0)
        check_handoff(&c, e);
    if (e->ended != SCN_ENDED_UNSET)
        check_ended(&c, e->ended);
    *total += c.total;
    return c.failed;
}
