/*
 * The compiler's top level: document paths, reporting, typed reads, then the
 * machine's identity, globals (limits, endpoints, handoff), intents and the
 * loop over states (compile_state.c does one state).
 */
#include "compile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "text.h"

/* --- Paths ------------------------------------------------------------------ */

static void path_append(cc *c, const char *s)
{
    size_t n = strlen(s);
    if (c->path_len + n >= sizeof(c->path))
        n = sizeof(c->path) - 1 - c->path_len;
    memcpy(c->path + c->path_len, s, n);
    c->path_len += n;
    c->path[c->path_len] = '\0';
}

size_t cc_push_key(cc *c, const char *key)
{
    size_t mark = c->path_len;
    if (c->path_len)
        path_append(c, ".");
    if (c->field_count < CC_MAX_FIELDS) {
        c->fields[c->field_count].mark = mark;
        c->fields[c->field_count].start = c->path_len;
        c->field_count++;
    }
    path_append(c, key);
    return mark;
}

size_t cc_push_index(cc *c, size_t i)
{
    /* By hand: this runs for every list item, and snprintf showed in profiles. */
    size_t mark = c->path_len;
    char digits[24], buf[28];
    size_t n = 0, k = 0;
    do {
        digits[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    buf[k++] = '[';
    while (n)
        buf[k++] = digits[--n];
    buf[k++] = ']';
    buf[k] = '\0';
    path_append(c, buf);
    return mark;
}

void cc_pop(cc *c, size_t mark)
{
    c->path_len = mark;
    c->path[mark] = '\0';
    while (c->field_count > 0 && c->fields[c->field_count - 1].mark >= mark)
        c->field_count--;
}

const char *cc_field(const cc *c)
{
    /* Keys are tracked one by one because state names contain dots. */
    if (c->field_count == 0)
        return c->path;
    size_t start = c->fields[c->field_count - 1].start;
    return c->path + (start < c->path_len ? start : c->path_len);
}

/* --- Reporting ---------------------------------------------------------------- */

static void report(cc *c, ivrsm_severity sev, int code, const char *rule, int line, int column,
                   const char *fmt, va_list ap)
{
    if (diag_addv(c->diag, sev, code, line, column, c->path, rule, fmt, ap) != 0)
        c->nomem = true;
}

void cc_error(cc *c, const char *rule, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, IVRSM_SEVERITY_ERROR, IVRSM_EMACHINE, rule, line, column, fmt, ap);
    va_end(ap);
}

void cc_error_code(cc *c, int code, const char *rule, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, IVRSM_SEVERITY_ERROR, code, rule, line, column, fmt, ap);
    va_end(ap);
}

void cc_nomem(cc *c)
{
    c->nomem = true;
}

/* --- Typed reads ---------------------------------------------------------------- */

const char *cc_describe(const dom_node *n, char *buf, size_t cap)
{
    if (n->kind == DOM_MAP || n->kind == DOM_LIST || n->kind == DOM_NULL)
        return dom_kind_article((dom_kind)n->kind);
    const char *text = n->text ? n->text : "";
    if (n->kind == DOM_STRING) {
        char shown[48];
        diag_copy_utf8(shown, sizeof(shown), text);
        snprintf(buf, cap, "a string (\"%s%s\")", shown, strlen(text) >= sizeof(shown) ? "..." : "");
    } else {
        snprintf(buf, cap, "%s (%s)", dom_kind_article((dom_kind)n->kind), text);
    }
    return buf;
}

bool cc_expect(cc *c, const dom_node *n, dom_kind kind, const char *what)
{
    if (n->kind == kind)
        return true;
    char buf[96];
    const char *hint = "";
    if (kind == DOM_STRING && (n->kind == DOM_REAL || n->kind == DOM_INT))
        hint = " (quote it to make it a string)";
    else if (kind == DOM_STRING && n->kind == DOM_BOOL)
        hint = " (quote it to make it a string)";
    cc_error(c, "wrong-type", n->line, n->column, "%s: expected %s, found %s%s", cc_field(c), what,
             cc_describe(n, buf, sizeof(buf)), hint);
    return false;
}

/* Levenshtein distance, bounded: stops counting past `limit`. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        size_t best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = diag + cost;
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
    }
    return row[lb];
}

const char *cc_suggest(const char *name, const char *const *candidates, size_t stride,
                       size_t count)
{
    size_t len = strlen(name);
    size_t limit = len < 4 ? 1 : len < 8 ? 2 : 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < count; i++) {
        const char *cand = *(const char *const *)((const char *)candidates + i * stride);
        if (!cand)
            continue;
        size_t d = edit_distance(name, cand, limit);
        /* A prefix ("rout" for "routes") is as good a guess as a typo. */
        if (d > limit && !strncmp(cand, name, len) && len >= 3)
            d = limit;
        if (d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    return best;
}

void cc_check_keys(cc *c, const dom_node *map, const char *const *allowed, const char *owner)
{
    size_t n_allowed = 0;
    while (allowed[n_allowed])
        n_allowed++;
    for (size_t i = 0; i < map->count; i++) {
        const dom_pair *p = &map->pairs[i];
        size_t k = 0;
        while (k < n_allowed && strcmp(allowed[k], p->key))
            k++;
        if (k < n_allowed)
            continue;
        char list[400] = "";
        size_t used = 0;
        for (size_t j = 0; j < n_allowed && used < sizeof(list); j++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", j ? ", " : "",
                                     allowed[j]);
        const char *guess = cc_suggest(p->key, allowed, sizeof(*allowed), n_allowed);
        size_t mark = cc_push_key(c, p->key);
        if (guess)
            cc_error(c, "unknown-key", p->line, p->column,
                     "unknown key '%s' in %s; did you mean '%s'? (expected one of: %s)", p->key,
                     owner, guess, list);
        else
            cc_error(c, "unknown-key", p->line, p->column,
                     "unknown key '%s' in %s (expected one of: %s)", p->key, owner, list);
        cc_pop(c, mark);
    }
}

void cc_missing(cc *c, int line, int column, const char *key, const char *owner)
{
    cc_error(c, "missing-key", line, column, "missing key '%s' in %s", key, owner);
}

bool cc_get_string(cc *c, const dom_node *map, const char *key, const char **out)
{
    const dom_node *n = dom_get(map, key);
    if (!n)
        return false;
    size_t mark = cc_push_key(c, key);
    bool ok = cc_expect(c, n, DOM_STRING, "a string");
    cc_pop(c, mark);
    if (ok)
        *out = n->text;
    return ok;
}

bool cc_int_node(cc *c, const dom_node *n, int min, int max, int *out)
{
    if (!cc_expect(c, n, DOM_INT, "an integer"))
        return false;
    if (n->as.integer < min || n->as.integer > max) {
        cc_error(c, "invalid-value", n->line, n->column, "%s: %lld is out of range (%d to %d)",
                 cc_field(c), (long long)n->as.integer, min, max);
        return false;
    }
    *out = (int)n->as.integer;
    return true;
}

bool cc_get_int(cc *c, const dom_node *map, const char *key, int min, int max, int *out)
{
    const dom_node *n = dom_get(map, key);
    if (!n)
        return false;
    size_t mark = cc_push_key(c, key);
    bool ok = cc_int_node(c, n, min, max, out);
    cc_pop(c, mark);
    return ok;
}

bool cc_get_bool(cc *c, const dom_node *map, const char *key, bool *out)
{
    const dom_node *n = dom_get(map, key);
    if (!n)
        return false;
    size_t mark = cc_push_key(c, key);
    bool ok = cc_expect(c, n, DOM_BOOL, "a boolean (true or false)");
    cc_pop(c, mark);
    if (ok)
        *out = n->as.boolean;
    return ok;
}

/* --- Globals: limits, endpoints, handoff ----------------------------------- */

/*
 * The globals value at a dotted path ("otp.length"), or NULL when absent.
 * A scalar on the way (`otp: 6`) is reported as a wrong type.
 */
static const dom_node *global_value(cc *c, const char *dotted)
{
    const dom_node *node = c->globals;
    size_t mark = cc_push_key(c, "globals");
    const char *s = dotted;
    for (;;) {
        const char *dot = strchr(s, '.');
        char seg[64];
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (n >= sizeof(seg))
            n = sizeof(seg) - 1;
        memcpy(seg, s, n);
        seg[n] = '\0';
        const dom_node *child = dom_get(node, seg);
        if (!child || !dot) {
            cc_pop(c, mark);
            return child;
        }
        cc_push_key(c, seg);
        if (!cc_expect(c, child, DOM_MAP, "a map")) {
            cc_pop(c, mark);
            return NULL;
        }
        node = child;
        s = dot + 1;
    }
}

static void limit_int(cc *c, const char *dotted, int min, int max, int *out)
{
    const dom_node *n = global_value(c, dotted);
    if (!n)
        return;
    size_t mark = cc_push_key(c, "globals");
    cc_push_key(c, dotted);
    cc_int_node(c, n, min, max, out);
    cc_pop(c, mark);
}

/* A globals value of `kind` (DOM_REAL accepts integers too), or NULL. */
static const dom_node *limit_value(cc *c, const char *dotted, dom_kind kind, const char *what)
{
    const dom_node *n = global_value(c, dotted);
    if (!n)
        return NULL;
    size_t mark = cc_push_key(c, "globals");
    cc_push_key(c, dotted);
    bool ok = (kind == DOM_REAL && n->kind == DOM_INT) || cc_expect(c, n, kind, what);
    cc_pop(c, mark);
    return ok ? n : NULL;
}

static void limit_error(cc *c, const char *dotted, const dom_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void limit_error(cc *c, const char *dotted, const dom_node *n, const char *fmt, ...)
{
    char message[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    size_t mark = cc_push_key(c, "globals");
    cc_push_key(c, dotted);
    cc_error(c, "invalid-value", n->line, n->column, "%s", message);
    cc_pop(c, mark);
}

static void compile_limits(cc *c)
{
    m_limits *l = &c->m->limits;
    *l = (m_limits){2, 2, 2, 6, 12, 32, 5, 6, 0.4, 5000, 5000, 3000, true, "#", 14};
    if (c->globals) {
        limit_int(c, "max_noinput", 1, 1000, &l->max_noinput);
        limit_int(c, "max_nomatch", 1, 1000, &l->max_nomatch);
        limit_int(c, "max_retries", 1, 1000, &l->max_retries);
        limit_int(c, "limits.max_consecutive_failures", 1, 1000, &l->max_consecutive_failures);
        limit_int(c, "limits.max_state_visits", 1, 65535, &l->max_state_visits);
        limit_int(c, "limits.max_steps_per_event", 1, 10000, &l->max_steps_per_event);
        limit_int(c, "otp.max_attempts", 1, 1000, &l->otp_max_attempts);
        limit_int(c, "otp.length", 1, IVRSM_COLLECT_OTP_MAX, &l->otp_length);
        limit_int(c, "http.timeout_ms", 1, 600000, &l->http_timeout_ms);
        limit_int(c, "timeouts.noinput_ms", 1, 600000, &l->noinput_timeout_ms);
        limit_int(c, "timeouts.digit_ms", 1, 600000, &l->digit_timeout_ms);
        limit_int(c, "date.asap_days", 1, IVRSM_COLLECT_ASAP_DAYS_MAX, &l->asap_days);

        const dom_node *n = limit_value(c, "asr.min_confidence", DOM_REAL, "a number from 0 to 1");
        double v = n ? (n->kind == DOM_INT ? (double)n->as.integer : n->as.real) : 0.4;
        if (n && !(v >= 0.0 && v <= 1.0))
            limit_error(c, "asr.min_confidence", n, "min_confidence: %s is out of range (0 to 1)",
                        n->text);
        else if (n)
            l->min_confidence = v;
        n = limit_value(c, "allow_dtmf", DOM_BOOL, "a boolean (true or false)");
        if (n)
            l->allow_dtmf = n->as.boolean;
        n = limit_value(c, "dtmf_terminator", DOM_STRING, "a string");
        if (n && !(n->len == 0 || (n->len == 1 && strchr("0123456789*#ABCD", n->text[0]))))
            limit_error(c, "dtmf_terminator", n,
                        "dtmf_terminator: expected one key (0-9, *, #, A-D) or \"\", found \"%s\"",
                        n->text);
        else if (n)
            l->dtmf_terminator = n->text;
    }
    /* The document is freed after the load: the machine keeps its own copy. */
    l->dtmf_terminator = ivrsm_arena_strdup(c->arena, l->dtmf_terminator);
    if (!l->dtmf_terminator)
        cc_nomem(c);
}

/* Parse "METHOD /path"; returns false when malformed. */
static bool parse_call(const char *text, const char **method, size_t *method_len,
                       const char **path)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    const char *sp = strchr(text, ' ');
    if (!sp)
        return false;
    size_t mlen = (size_t)(sp - text);
    bool known = false;
    for (const char *const *m = methods; *m; m++)
        known = known || (strlen(*m) == mlen && !memcmp(*m, text, mlen));
    const char *p = sp;
    while (*p == ' ')
        p++;
    if (!known || *p != '/' || strpbrk(p, " \t\r\n"))
        return false;
    /* Braces must pair up as {name} with a non-empty name. */
    for (const char *q = p; *q; q++) {
        if (*q == '}')
            return false;
        if (*q == '{') {
            const char *close = strchr(q, '}');
            const char *again = strchr(q + 1, '{');
            if (!close || close == q + 1 || (again && again < close))
                return false;
            q = close;
        }
    }
    *method = text;
    *method_len = mlen;
    *path = p;
    return true;
}

bool cc_call_parse(cc *c, const char *text, const char **method, const char **path)
{
    const char *m, *p;
    size_t mlen;
    if (!parse_call(text, &m, &mlen, &p))
        return false;
    *method = ivrsm_arena_strndup(c->arena, m, mlen);
    *path = ivrsm_arena_strdup(c->arena, p);
    if (!*method || !*path)
        cc_nomem(c);
    return true;
}

static void compile_endpoints(cc *c)
{
    const dom_node *eps = dom_get(c->globals, "endpoints");
    if (!eps)
        return;
    size_t mark = cc_push_key(c, "globals");
    cc_push_key(c, "endpoints");
    if (cc_expect(c, eps, DOM_MAP, "a map of endpoint name → \"METHOD /path\"") && eps->count) {
        c->m->endpoints = ivrsm_arena_alloc(c->arena, eps->count * sizeof(m_endpoint));
        if (!c->m->endpoints)
            cc_nomem(c);
        for (size_t i = 0; c->m->endpoints && i < eps->count; i++) {
            const dom_pair *p = &eps->pairs[i];
            size_t m2 = cc_push_key(c, p->key);
            m_endpoint *e = &c->m->endpoints[c->m->endpoint_count];
            if (cc_expect(c, p->value, DOM_STRING, "a string \"METHOD /path\"")) {
                if (cc_call_parse(c, p->value->text, &e->method, &e->path)) {
                    e->name = ivrsm_arena_strdup(c->arena, p->key);
                    c->m->endpoint_count++;
                } else {
                    cc_error(c, "invalid-value", p->value->line, p->value->column,
                             "endpoint '%s': expected \"METHOD /path\" with METHOD one of GET, "
                             "POST, PUT, PATCH, DELETE and {name} path parameters, found \"%s\"",
                             p->key, p->value->text);
                }
            }
            cc_pop(c, m2);
        }
    }
    cc_pop(c, mark);
}

static void compile_handoff_globals(cc *c)
{
    const dom_node *h = dom_get(c->globals, "handoff");
    if (!h)
        return;
    size_t mark = cc_push_key(c, "globals");
    cc_push_key(c, "handoff");
    if (cc_expect(c, h, DOM_MAP, "a map")) {
        cc_get_bool(c, h, "enabled", &c->m->handoff_enabled);
        const dom_node *q = dom_get(h, "queue_id"), *p = dom_get(h, "prompt");
        if (q) {
            size_t m2 = cc_push_key(c, "queue_id");
            c->m->handoff_queue = cc_template(c, q);
            cc_pop(c, m2);
        }
        if (p) {
            size_t m2 = cc_push_key(c, "prompt");
            c->m->handoff_prompt = cc_template(c, p);
            cc_pop(c, m2);
        }
    }
    cc_pop(c, mark);
}

static const char *const builtin_sensitive[] = {"otp", "portal_session_token", "session_token",
                                                "authorization", NULL};

static void compile_sensitive_keys(cc *c)
{
    const dom_node *list = dom_get(c->globals, "sensitive_keys");
    size_t extra = 0;
    size_t mark = cc_push_key(c, "globals");
    cc_push_key(c, "sensitive_keys");
    if (list && cc_expect(c, list, DOM_LIST, "a list of ctx keys"))
        extra = list->count;
    size_t builtin = sizeof(builtin_sensitive) / sizeof(*builtin_sensitive) - 1;
    c->m->sensitive_keys = ivrsm_arena_alloc(c->arena, (builtin + extra) * sizeof(char *));
    if (!c->m->sensitive_keys) {
        cc_nomem(c);
        cc_pop(c, mark);
        return;
    }
    for (size_t i = 0; i < builtin; i++)
        c->m->sensitive_keys[c->m->sensitive_count++] = builtin_sensitive[i];
    for (size_t i = 0; i < extra; i++) {
        const dom_node *k = list->items[i];
        size_t m2 = cc_push_index(c, i);
        if (cc_expect(c, k, DOM_STRING, "a string"))
            c->m->sensitive_keys[c->m->sensitive_count++] = ivrsm_arena_strdup(c->arena, k->text);
        cc_pop(c, m2);
    }
    cc_pop(c, mark);
}

static void compile_globals(cc *c, const dom_node *g)
{
    if (g) {
        size_t mark = cc_push_key(c, "globals");
        if (cc_expect(c, g, DOM_MAP, "a map"))
            c->globals = g;
        cc_pop(c, mark);
    }
    c->info->globals = c->globals;
    compile_limits(c);
    if (c->globals) {
        compile_endpoints(c);
        compile_handoff_globals(c);
        c->m->globals = cc_json(c, c->globals);
    }
    compile_sensitive_keys(c);
    if (!c->m->globals)
        c->m->globals = json_object();
    if (!c->m->globals)
        cc_nomem(c);
}

/* --- Intents ------------------------------------------------------------------ */

static bool dtmf_valid(const char *s, size_t len)
{
    if (len < 1 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789*#ABCD", s[i]) || !s[i])
            return false;
    return true;
}

/* Read a list of strings into an arena array; false when it is not one. */
static bool string_list(cc *c, const dom_node *n, const char ***out, size_t *count)
{
    if (!cc_expect(c, n, DOM_LIST, "a list of strings"))
        return false;
    *out = n->count ? ivrsm_arena_alloc(c->arena, n->count * sizeof(char *)) : NULL;
    if (n->count && !*out) {
        cc_nomem(c);
        return false;
    }
    *count = 0;
    for (size_t i = 0; i < n->count; i++) {
        size_t mark = cc_push_index(c, i);
        if (cc_expect(c, n->items[i], DOM_STRING, "a string"))
            (*out)[(*count)++] = n->items[i]->text;
        cc_pop(c, mark);
    }
    return true;
}

static void compile_intent_dtmf(cc *c, m_intent *in, const dom_node *list)
{
    size_t mark = cc_push_key(c, "dtmf");
    const char **raw = NULL;
    size_t count = 0;
    if (string_list(c, list, &raw, &count)) {
        in->dtmf = raw;
        for (size_t i = 0; i < count; i++) {
            size_t m2 = cc_push_index(c, i);
            if (!dtmf_valid(raw[i], strlen(raw[i]))) {
                cc_error(c, "invalid-value", list->items[i]->line, list->items[i]->column,
                         "dtmf: \"%s\" is not a key sequence (1 to 32 of 0-9, *, #, A-D)", raw[i]);
            } else {
                in->dtmf[in->dtmf_count++] = ivrsm_arena_strdup(c->arena, raw[i]);
            }
            cc_pop(c, m2);
        }
    }
    cc_pop(c, mark);
}

static void compile_intent_utterances(cc *c, m_intent *in, const dom_node *list)
{
    size_t mark = cc_push_key(c, "utterances");
    const char **raw = NULL;
    size_t count = 0;
    if (string_list(c, list, &raw, &count) && count) {
        in->utterances = ivrsm_arena_alloc(c->arena, count * sizeof(char *));
        in->utterances_norm = ivrsm_arena_alloc(c->arena, count * sizeof(char *));
        in->utterance_lens = ivrsm_arena_alloc(c->arena, count * sizeof(size_t));
        if (!in->utterances || !in->utterances_norm || !in->utterance_lens) {
            cc_nomem(c);
            cc_pop(c, mark);
            return;
        }
        for (size_t i = 0; i < count; i++) {
            size_t len = strlen(raw[i]);
            size_t cap = 2 * len + 2;
            char *norm = ivrsm_arena_alloc(c->arena, cap);
            int n = norm ? ivrsm_text_normalize(raw[i], len, norm, cap) : -1;
            size_t m2 = cc_push_index(c, i);
            if (!norm) {
                cc_nomem(c);
            } else if (n <= 0) {
                const dom_node *item = list->items[i];
                cc_error(c, "invalid-value", item->line, item->column,
                         "utterances: \"%s\" has no words to match (only spaces or punctuation)",
                         raw[i]);
            } else {
                size_t k = in->utterance_count++;
                in->utterances[k] = ivrsm_arena_strdup(c->arena, raw[i]);
                in->utterances_norm[k] = norm;
                in->utterance_lens[k] = (size_t)n;
            }
            cc_pop(c, m2);
        }
    }
    cc_pop(c, mark);
}

static void compile_intent(cc *c, m_intent *in, const dom_pair *p)
{
    static const char *const keys[] = {"utterances", "dtmf", NULL};
    in->name = ivrsm_arena_strdup(c->arena, p->key);
    in->pos = (m_pos){p->line, p->column};
    size_t mark = cc_push_key(c, p->key);
    const dom_node *n = p->value;
    char owner[300];
    snprintf(owner, sizeof(owner), "intent '%s'", p->key);
    if (cc_expect(c, n, DOM_MAP, "a map with utterances and/or dtmf")) {
        cc_check_keys(c, n, keys, owner);
        const dom_node *utt = dom_get(n, "utterances"), *dtmf = dom_get(n, "dtmf");
        if (!utt && !dtmf)
            cc_error(c, "missing-key", p->line, p->column,
                     "intent '%s' has neither 'utterances' nor 'dtmf' (give at least one)",
                     p->key);
        if (utt)
            compile_intent_utterances(c, in, utt);
        if (dtmf)
            compile_intent_dtmf(c, in, dtmf);
    }
    cc_pop(c, mark);
}

static void compile_intents(cc *c, dom_node *intents)
{
    if (!intents)
        return;
    size_t mark = cc_push_key(c, "intents");
    intents = globals_resolve(c, intents);
    c->info->intents = intents;
    if (intents && cc_expect(c, intents, DOM_MAP, "a map of intent name → intent") &&
        intents->count) {
        c->m->intents = ivrsm_arena_alloc(c->arena, intents->count * sizeof(m_intent));
        if (!c->m->intents) {
            cc_nomem(c);
        } else {
            for (size_t i = 0; i < intents->count; i++)
                compile_intent(c, &c->m->intents[i], &intents->pairs[i]);
            c->m->intent_count = intents->count;
            c->m->intent_slots = machine_build_index(c->arena, &c->m->intents[0].name,
                                                     sizeof(m_intent), c->m->intent_count,
                                                     &c->m->intent_slot_mask);
            if (!c->m->intent_slots)
                cc_nomem(c);
        }
    }
    cc_pop(c, mark);
}

/* --- States --------------------------------------------------------------------- */

static bool allocate_states(cc *c, const dom_node *states, const dom_pair *where)
{
    size_t mark = cc_push_key(c, "states");
    bool ok = false;
    if (!cc_expect(c, states, DOM_MAP, "a map of state name → state")) {
    } else if (states->count == 0) {
        cc_error(c, "missing-key", where->line, where->column,
                 "states is empty (a machine needs at least one state)");
    } else if (states->count > IVRSM_MAX_STATES) {
        cc_error_code(c, IVRSM_ELIMIT, "limit", where->line, where->column,
                      "the machine has %zu states, more than the limit of %d", states->count,
                      IVRSM_MAX_STATES);
    } else {
        c->m->states = ivrsm_arena_alloc(c->arena, states->count * sizeof(m_state));
        if (!c->m->states) {
            cc_nomem(c);
        } else {
            for (size_t i = 0; i < states->count; i++) {
                m_state *st = &c->m->states[i];
                st->name = ivrsm_arena_strdup(c->arena, states->pairs[i].key);
                st->pos = (m_pos){states->pairs[i].line, states->pairs[i].column};
                st->next = M_NONE;
                if (!st->name)
                    cc_nomem(c);
            }
            c->m->state_count = states->count;
            c->info->broken = calloc(states->count, 1);
            if (!c->info->broken)
                cc_nomem(c);
            c->m->state_slots = machine_build_index(c->arena, &c->m->states[0].name,
                                                    sizeof(m_state), c->m->state_count,
                                                    &c->m->state_slot_mask);
            ok = c->m->state_slots != NULL && c->info->broken != NULL;
            if (!ok)
                cc_nomem(c);
        }
    }
    cc_pop(c, mark);
    return ok;
}

static void compile_states(cc *c, const dom_pair *where)
{
    size_t mark = cc_push_key(c, "states");
    dom_node *states = globals_resolve(c, where->value);
    cc_pop(c, mark);
    c->info->states = states;
    if (!states || !allocate_states(c, states, where))
        return;
    for (size_t i = 0; i < states->count; i++) {
        c->state = (int32_t)i;
        mark = cc_push_key(c, "states");
        cc_state(c, (int32_t)i, &states->pairs[i]);
        cc_pop(c, mark);
    }
    c->state = M_NONE;
    for (size_t i = 0; i < c->m->state_count; i++) {
        if (c->m->states[i].type == M_HANDOFF && c->m->handoff_state == M_NONE)
            c->m->handoff_state = (int32_t)i;
        if (c->m->states[i].type == M_PROMPT_END && c->m->goodbye_state == M_NONE)
            c->m->goodbye_state = (int32_t)i;
    }
}

int32_t cc_state_ref(cc *c, const dom_node *n)
{
    if (!cc_expect(c, n, DOM_STRING, "a state name"))
        return M_NONE;
    int32_t idx = m_find_state(c->m, n->text);
    if (idx != M_NONE)
        return idx;
    const char *guess = c->m->state_count
                            ? cc_suggest(n->text, &c->m->states[0].name, sizeof(m_state),
                                         c->m->state_count)
                            : NULL;
    if (guess)
        cc_error(c, "dangling-next", n->line, n->column,
                 "%s: no state named '%s'; did you mean '%s'?", cc_field(c), n->text, guess);
    else
        cc_error(c, "dangling-next", n->line, n->column, "%s: no state named '%s'", cc_field(c),
                 n->text);
    return M_NONE;
}

/* --- Identity ---------------------------------------------------------------------- */

static const char *const top_keys[] = {"machine", "version", "locale", "timezone",
                                       "description", "initial", "globals", "intents",
                                       "states", "$schema", NULL};

static const char *required_string(cc *c, const dom_node *root, const char *key)
{
    const char *s = NULL;
    if (!dom_get(root, key))
        cc_missing(c, root->line, root->column, key, "the document");
    else
        cc_get_string(c, root, key, &s);
    return s;
}

static void compile_identity(cc *c, const dom_node *root)
{
    struct ivrsm_machine *m = c->m;
    const char *name = required_string(c, root, "machine");
    const char *version = required_string(c, root, "version");
    const char *locale = "fr-FR", *timezone = "UTC", *ignored;
    cc_get_string(c, root, "locale", &locale);
    cc_get_string(c, root, "timezone", &timezone);
    cc_get_string(c, root, "description", &ignored);
    cc_get_string(c, root, "$schema", &ignored);
    m->name = ivrsm_arena_strdup(c->arena, name ? name : "");
    m->version = ivrsm_arena_strdup(c->arena, version ? version : "");
    m->locale_tag = ivrsm_arena_strdup(c->arena, locale);
    m->timezone = ivrsm_arena_strdup(c->arena, timezone);
    m->source = ivrsm_arena_strdup(c->arena, c->doc->name);
    if (!m->name || !m->version || !m->locale_tag || !m->timezone || !m->source) {
        cc_nomem(c);
        return;
    }
    m->locale = ivrsm_locale_find(locale);
    const dom_node *n = dom_get(root, "locale");
    if (!m->locale) {
        size_t mark = cc_push_key(c, "locale");
        cc_error(c, "invalid-value", n ? n->line : root->line, n ? n->column : root->column,
                 "locale: unknown locale '%s' (known: fr-FR)", locale);
        cc_pop(c, mark);
    }
    m->tz = ivrsm_tz_new(timezone);
    n = dom_get(root, "timezone");
    if (!m->tz) {
        /* ivrsm_tz_new() says NULL for an unknown zone and for no memory alike. */
        if (dom_memory_exhausted()) {
            cc_nomem(c);
            return;
        }
        size_t mark = cc_push_key(c, "timezone");
        cc_error(c, "invalid-value", n ? n->line : root->line, n ? n->column : root->column,
                 "timezone: unknown time zone '%s' (expected an IANA name such as "
                 "Europe/Paris, or a POSIX TZ rule)",
                 timezone);
        cc_pop(c, mark);
    }
}

static void compile_initial(cc *c, const dom_node *root)
{
    c->m->initial = c->m->state_count ? 0 : M_NONE;
    const dom_node *n = dom_get(root, "initial");
    if (!n || !c->m->state_count)
        return;
    size_t mark = cc_push_key(c, "initial");
    int32_t idx = cc_state_ref(c, n);
    if (idx != M_NONE)
        c->m->initial = idx;
    cc_pop(c, mark);
}

static size_t machine_memory(const struct ivrsm_machine *m)
{
    size_t total = sizeof(*m) + ivrsm_arena_size(m->arena);
    for (size_t i = 0; i < m->owned_template_count; i++)
        total += ivrsm_tmpl_memory(m->owned_templates[i]);
    total += m->owned_template_count * sizeof(ivrsm_tmpl *) + m->owned_json_count * sizeof(json_t *);
    /* jansson does not say what a value holds; count the dumped size as an estimate. */
    if (m->globals) {
        char *text = json_dumps(m->globals, JSON_COMPACT);
        total += text ? strlen(text) * 2 : 0;
        free(text);
    }
    return total;
}

int compile_machine(dom_doc *doc, ivrsm_diagnostics *diag, compile_info *info,
                    struct ivrsm_machine **out)
{
    *out = NULL;
    struct ivrsm_machine *m = calloc(1, sizeof(*m));
    if (!m)
        return IVRSM_ENOMEM;
    m->arena = ivrsm_arena_new();
    if (!m->arena) {
        free(m);
        return IVRSM_ENOMEM;
    }
    m->refcount = 1;
    m->initial = M_NONE;
    m->handoff_state = M_NONE;
    m->goodbye_state = M_NONE;
    cc c = {.doc = doc, .diag = diag, .m = m, .arena = m->arena, .info = info, .state = M_NONE};
    const dom_node *root = doc->root;

    cc_check_keys(&c, root, top_keys, "the document");
    compile_identity(&c, root);
    compile_globals(&c, dom_get(root, "globals"));
    compile_intents(&c, dom_get(root, "intents"));
    const dom_pair *states = dom_get_pair(root, "states");
    if (states)
        compile_states(&c, states);
    else
        cc_missing(&c, root->line, root->column, "states", "the document");
    compile_initial(&c, root);
    m->memory = machine_memory(m);
    if (c.nomem) {
        machine_destroy(m);
        return IVRSM_ENOMEM;
    }
    *out = m;
    return 0;
}

void compile_info_free(compile_info *info)
{
    free(info->sites);
    free(info->broken);
    info->broken = NULL;
    info->sites = NULL;
    info->site_count = info->site_cap = 0;
}
