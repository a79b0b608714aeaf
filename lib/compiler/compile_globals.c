/*
 * globals: the keys with a meaning to the runtime (limits, endpoints,
 * handoff, sensitive keys) and the JSON copy templates read at run time.
 */
#include <stdio.h>
#include <string.h>

#include "collect.h"
#include "compile.h"
#include "redact.h"
#include "url.h"

/* --- Globals: limits, endpoints, handoff ----------------------------------- */

/*
 * The globals value at a dotted path ("otp.length"), or NULL when absent.
 * A scalar on the way (`otp: 6`) is reported as a wrong type.
 */
static const dom_node *global_value(cc *c, const char *dotted)
{
    const dom_node *node = c->globals;
    size_t mark = ivrsm_cc_push_key(c, "globals");
    const char *s = dotted;
    for (;;) {
        const char *dot = strchr(s, '.');
        char seg[64];
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (n >= sizeof(seg))
            n = sizeof(seg) - 1;
        memcpy(seg, s, n);
        seg[n] = '\0';
        const dom_node *child = ivrsm_dom_get(node, seg);
        if (!child || !dot) {
            ivrsm_cc_pop(c, mark);
            return child;
        }
        ivrsm_cc_push_key(c, seg);
        if (!ivrsm_cc_expect(c, child, DOM_MAP, "a map")) {
            ivrsm_cc_pop(c, mark);
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
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, dotted);
    ivrsm_cc_int_node(c, n, min, max, out);
    ivrsm_cc_pop(c, mark);
}

/* A globals value of `kind` (DOM_REAL accepts integers too), or NULL. */
static const dom_node *limit_value(cc *c, const char *dotted, dom_kind kind, const char *what)
{
    const dom_node *n = global_value(c, dotted);
    if (!n)
        return NULL;
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, dotted);
    bool ok = (kind == DOM_REAL && n->kind == DOM_INT) || ivrsm_cc_expect(c, n, kind, what);
    ivrsm_cc_pop(c, mark);
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
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, dotted);
    ivrsm_cc_error(c, "invalid-value", n->line, n->column, "%s", message);
    ivrsm_cc_pop(c, mark);
}

/* globals.http.wrong_input: the answers that mean the caller's input was wrong. */
static void compile_wrong_input(cc *c, m_limits *l)
{
    static const char default_keys[][4] = {"4xx"};
    l->wrong_input = (m_status_set){default_keys, 1};
    const dom_node *n = limit_value(c, "http.wrong_input", DOM_LIST, "a list of statuses");
    if (!n)
        return;
    char(*keys)[4] = n->count ? ivrsm_arena_alloc(c->arena, n->count * sizeof(*keys)) : NULL;
    if (n->count && !keys) {
        ivrsm_cc_nomem(c);
        return;
    }
    size_t count = 0;
    for (size_t i = 0; i < n->count; i++) {
        const dom_node *k = n->items[i];
        char text[32];
        snprintf(text, sizeof(text), "%s",
                 k->kind == DOM_STRING || k->kind == DOM_INT ? k->text : "");
        if (!ivrsm_m_status_key(text, keys[count])) {
            char what[48];
            snprintf(what, sizeof(what), "http.wrong_input[%zu]", i);
            limit_error(c, what, k,
                        "wrong_input: expected a status (\"401\") or a class (\"4xx\"), found "
                        "\"%s\"",
                        k->text ? k->text : "");
            continue;
        }
        count++;
    }
    l->wrong_input = (m_status_set){(const char(*)[4])keys, count};
}

static void compile_limits(cc *c)
{
    m_limits *l = &c->m->limits;
    *l = (m_limits){2, 2, 2, 6, 12, 32, 5, 6, 0.4, 5000, 5000, 3000, true, "#", 14, {NULL, 0}};
    compile_wrong_input(c, l);
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
        ivrsm_cc_nomem(c);
}

/* Parse "METHOD /path"; returns false when malformed. */
static bool parse_call(const char *text, const char **method, size_t *method_len, const char **path)
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

/*
 * Why a call's path cannot be sent as it is, or NULL. The HTTP adapter sends
 * paths verbatim (lib/adapters/http_wire.c): RFC 3986 path characters and
 * %XX escapes only, and no dot segment, which would send the request
 * elsewhere than written. {name} parameters are filled in at run time.
 */
static const char *path_problem(const char *path, char *buf, size_t cap)
{
    const char *seg = path + 1;
    for (const char *q = path + 1;; q++) {
        if (*q == '/' || !*q) {
            if (ivrsm_url_dot_segment(seg, (size_t)(q - seg)))
                return "has a dot segment ('.' or '..'), which servers resolve";
            if (!*q)
                return NULL;
            seg = q + 1;
        } else if (*q == '{') {
            q = strchr(q, '}');
        } else if (*q == '%') {
            if (!ivrsm_url_hex((unsigned char)q[1]) || !ivrsm_url_hex((unsigned char)q[2]))
                return "has a '%' that is not the start of a %XX escape";
            q += 2;
        } else if (*q == '?') {
            return "holds '?': give query parameters under query:";
        } else if (!ivrsm_url_pchar((unsigned char)*q)) {
            if ((unsigned char)*q >= 0x80 || (unsigned char)*q < 0x20)
                snprintf(buf, cap,
                         "holds a byte that is not allowed in a URL path (0x%02X): "
                         "percent-encode it",
                         (unsigned char)*q);
            else
                snprintf(buf, cap,
                         "holds '%c', which is not allowed in a URL path: "
                         "percent-encode it",
                         *q);
            return buf;
        }
    }
}

bool ivrsm_cc_call_parse(cc *c, const char *text, const char **method, const char **path,
                         const dom_node *at, const char *what, const char *endpoint)
{
    const char *m, *p;
    size_t mlen;
    if (!parse_call(text, &m, &mlen, &p))
        return false;
    char buf[120];
    const char *problem = path_problem(p, buf, sizeof(buf));
    if (problem) {
        /* An endpoint's name is written into the message only when there is one to write. */
        char named[300];
        if (endpoint) {
            snprintf(named, sizeof(named), "endpoint '%s'", endpoint);
            what = named;
        }
        ivrsm_cc_error(c, "invalid-value", at->line, at->column, "%s: the path %s %s", what, p,
                       problem);
    }
    *method = ivrsm_arena_strndup(c->arena, m, mlen);
    *path = ivrsm_arena_strdup(c->arena, p);
    if (!*method || !*path)
        ivrsm_cc_nomem(c);
    return true;
}

static void compile_endpoints(cc *c)
{
    const dom_node *eps = ivrsm_dom_get(c->globals, "endpoints");
    if (!eps)
        return;
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, "endpoints");
    if (ivrsm_cc_expect(c, eps, DOM_MAP, "a map of endpoint name → \"METHOD /path\"") &&
        eps->count) {
        c->m->endpoints = ivrsm_arena_alloc(c->arena, eps->count * sizeof(m_endpoint));
        if (!c->m->endpoints)
            ivrsm_cc_nomem(c);
        for (size_t i = 0; c->m->endpoints && i < eps->count; i++) {
            const dom_pair *p = &eps->pairs[i];
            size_t m2 = ivrsm_cc_push_key(c, p->key);
            m_endpoint *e = &c->m->endpoints[c->m->endpoint_count];
            if (ivrsm_cc_expect(c, p->value, DOM_STRING, "a string \"METHOD /path\"")) {
                if (ivrsm_cc_call_parse(c, p->value->text, &e->method, &e->path, p->value, NULL,
                                        p->key)) {
                    e->name = ivrsm_arena_strdup(c->arena, p->key);
                    c->m->endpoint_count++;
                } else {
                    ivrsm_cc_error(
                        c, "invalid-value", p->value->line, p->value->column,
                        "endpoint '%s': expected \"METHOD /path\" with METHOD one of GET, "
                        "POST, PUT, PATCH, DELETE and {name} path parameters, found \"%s\"",
                        p->key, p->value->text);
                }
            }
            ivrsm_cc_pop(c, m2);
        }
        if (c->m->endpoint_count) {
            c->m->endpoint_slots =
                ivrsm_machine_build_index(c->arena, &c->m->endpoints[0].name, sizeof(m_endpoint),
                                          c->m->endpoint_count, &c->m->endpoint_slot_mask);
            if (!c->m->endpoint_slots)
                ivrsm_cc_nomem(c);
        }
    }
    ivrsm_cc_pop(c, mark);
}

static void compile_handoff_globals(cc *c)
{
    const dom_node *h = ivrsm_dom_get(c->globals, "handoff");
    if (!h)
        return;
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, "handoff");
    if (ivrsm_cc_expect(c, h, DOM_MAP, "a map")) {
        ivrsm_cc_get_bool(c, h, "enabled", &c->m->handoff_enabled);
        const dom_node *q = ivrsm_dom_get(h, "queue_id"), *p = ivrsm_dom_get(h, "prompt");
        if (q) {
            size_t m2 = ivrsm_cc_push_key(c, "queue_id");
            if (ivrsm_cc_name_ok(c, q, "queue", IVRSM_NAME_RULES_NAME))
                c->m->handoff_queue = ivrsm_cc_template(c, q);
            ivrsm_cc_pop(c, m2);
        }
        if (p) {
            size_t m2 = ivrsm_cc_push_key(c, "prompt");
            c->m->handoff_prompt = ivrsm_cc_message(c, p);
            ivrsm_cc_pop(c, m2);
        }
    }
    ivrsm_cc_pop(c, mark);
}

/* globals.reprompts: { noinput: [...], nomatch: [...] }, for states without their own. */
static void compile_reprompts(cc *c)
{
    static const char *const keys[] = {"noinput", "nomatch", "repeat_prompt", NULL};
    const dom_node *r = ivrsm_dom_get(c->globals, "reprompts");
    if (!r)
        return;
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, "reprompts");
    if (ivrsm_cc_expect(c, r, DOM_MAP, "a map with noinput and/or nomatch lists")) {
        ivrsm_cc_check_keys(c, r, keys, "globals.reprompts");
        ivrsm_cc_get_bool(c, r, "repeat_prompt", &c->m->reprompt_repeat_prompt);
        m_messages *outs[2] = {&c->m->reprompt_noinput, &c->m->reprompt_nomatch};
        for (int i = 0; i < 2; i++) {
            const dom_node *list = ivrsm_dom_get(r, keys[i]);
            if (!list)
                continue;
            size_t m2 = ivrsm_cc_push_key(c, keys[i]);
            ivrsm_cc_messages(c, list, outs[i]);
            ivrsm_cc_pop(c, m2);
        }
    }
    ivrsm_cc_pop(c, mark);
}

static void compile_sensitive_keys(cc *c)
{
    const dom_node *list = ivrsm_dom_get(c->globals, "sensitive_keys");
    size_t extra = 0;
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, "sensitive_keys");
    if (list && ivrsm_cc_expect(c, list, DOM_LIST, "a list of ctx keys"))
        extra = list->count;
    /* The built-in names are redact.c's; the machine keeps only its own. */
    c->m->sensitive_keys = extra ? ivrsm_arena_alloc(c->arena, extra * sizeof(char *)) : NULL;
    if (extra && !c->m->sensitive_keys) {
        ivrsm_cc_nomem(c);
        ivrsm_cc_pop(c, mark);
        return;
    }
    for (size_t i = 0; i < extra; i++) {
        const dom_node *k = list->items[i];
        size_t m2 = ivrsm_cc_push_index(c, i);
        if (ivrsm_cc_expect(c, k, DOM_STRING, "a string") &&
            ivrsm_cc_name_ok(c, k, "ctx key", IVRSM_NAME_RULES_NAME)) {
            /* Keys are masked by name at any depth (redact.c): a path, "ctx.customer.iban"
             * as a template reads it, names its last part. */
            const char *dot = strrchr(k->text, '.');
            const char *leaf = dot ? dot + 1 : k->text;
            const char *copy = *leaf ? ivrsm_arena_strdup(c->arena, leaf) : NULL;
            if (!*leaf)
                ivrsm_cc_error(c, "invalid-value", k->line, k->column,
                               "sensitive_keys: '%s' ends with a dot: name the key", k->text);
            else if (!copy)
                ivrsm_cc_nomem(c);
            else
                ivrsm_redact_add_key(c->m, copy);
        }
        ivrsm_cc_pop(c, m2);
    }
    ivrsm_cc_pop(c, mark);
}

void ivrsm_cc_globals(cc *c, const dom_node *g)
{
    if (g) {
        size_t mark = ivrsm_cc_push_key(c, "globals");
        if (ivrsm_cc_expect(c, g, DOM_MAP, "a map")) {
            /* ${globals...} inside globals first: what follows reads the values. */
            c->globals = g;
            c->globals = ivrsm_globals_resolve_self(c, (dom_node *)g);
            if (!c->globals)
                ivrsm_cc_nomem(c);
        }
        ivrsm_cc_pop(c, mark);
    }
    c->info->globals = c->globals;
    compile_limits(c);
    if (c->globals) {
        compile_endpoints(c);
        compile_handoff_globals(c);
        compile_reprompts(c);
        ivrsm_cc_hours(c);
        c->m->globals = ivrsm_cc_json(c, c->globals);
    }
    compile_sensitive_keys(c);
    if (!c->m->globals)
        c->m->globals = json_object();
    if (!c->m->globals)
        ivrsm_cc_nomem(c);
}
