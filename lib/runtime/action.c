/*
 * Building an http command from a state's action: method and path from the
 * endpoint, `path:` parameters URL-encoded into "{name}" segments, `query:`
 * encoded as k=v pairs, `headers:` and `body:` rendered from templates, an
 * idempotency key derived from the session id and the command id (stable
 * across snapshot and restore). The base URL is the host's business.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "session.h"

json_t *ivrsm_s_value_eval(const m_value *v, const ivrsm_tmpl_scope *scope)
{
    switch (v->kind) {
    case MV_LITERAL:
        return json_incref(v->literal);
    case MV_TEMPLATE:
        return ivrsm_tmpl_eval(v->tmpl, scope);
    case MV_OBJECT: {
        json_t *o = json_object();
        for (size_t i = 0; o && i < v->count; i++)
            json_object_set_new(o, v->keys[i], ivrsm_s_value_eval(&v->items[i], scope));
        return o;
    }
    case MV_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < v->count; i++)
            json_array_append_new(a, ivrsm_s_value_eval(&v->items[i], scope));
        return a;
    }
    }
    return json_null();
}

/* The value as text, as a template says it: strings as themselves, numbers as written, null
 * as "", maps and lists as compact JSON. */
static char *value_text(const m_value *v, const ivrsm_tmpl_scope *scope)
{
    json_t *j = ivrsm_s_value_eval(v, scope);
    if (!j)
        return NULL;
    ivrsm_buf b = IVRSM_BUF_INIT;
    int rc = ivrsm_tmpl_append_value(&b, j, scope);
    json_decref(j);
    if (rc != 0) {
        ivrsm_buf_free(&b);
        return NULL;
    }
    return ivrsm_buf_steal(&b); /* "" for nothing */
}

static void url_encode(ivrsm_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            ivrsm_buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            ivrsm_buf_append(b, e, 3);
        }
    }
}

static const m_kv *find_param(const m_kvlist *l, const char *name, size_t len)
{
    for (size_t i = 0; i < l->count; i++)
        if (strlen(l->items[i].key) == len && !memcmp(l->items[i].key, name, len))
            return &l->items[i];
    return NULL;
}

/* "/appointments/{id}/confirm" with id → "/appointments/a%2Fb/confirm". */
static char *build_path(const m_action *a, const ivrsm_tmpl_scope *scope, const char **why)
{
    ivrsm_buf b = IVRSM_BUF_INIT;
    const char *p = a->path;
    while (*p) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            ivrsm_buf_puts(&b, p);
            break;
        }
        ivrsm_buf_append(&b, p, (size_t)(open - p));
        const m_kv *kv = find_param(&a->path_params, open + 1, (size_t)(close - open - 1));
        char *val = kv ? value_text(&kv->value, scope) : NULL;
        if (!val || !*val) {
            free(val);
            ivrsm_buf_free(&b);
            *why = "missing path parameter";
            return NULL;
        }
        url_encode(&b, val);
        free(val);
        p = close + 1;
    }
    return ivrsm_buf_steal(&b);
}

static char *build_query(const m_action *a, const ivrsm_tmpl_scope *scope)
{
    if (!a->query.count)
        return NULL;
    ivrsm_buf b = IVRSM_BUF_INIT;
    for (size_t i = 0; i < a->query.count; i++) {
        char *val = value_text(&a->query.items[i].value, scope);
        if (i)
            ivrsm_buf_putc(&b, '&');
        url_encode(&b, a->query.items[i].key);
        ivrsm_buf_putc(&b, '=');
        url_encode(&b, val ? val : "");
        free(val);
    }
    return ivrsm_buf_steal(&b);
}

static bool header_safe(const char *v)
{
    return strpbrk(v, "\r\n") == NULL;
}

int ivrsm_s_emit_http(ivrsm_session *s, const m_state *st, const char **why)
{
    const m_action *a = &st->action;
    ivrsm_tmpl_scope scope = ivrsm_s_scope(s);
    s_command *c = ivrsm_s_command_new(s, IVRSM_COMMAND_HTTP);
    if (!c) {
        *why = "out of memory";
        return -1;
    }
    c->pub.http.endpoint = a->endpoint >= 0 ? s->m->endpoints[a->endpoint].name : NULL;
    c->pub.http.method = a->method;
    c->path = build_path(a, &scope, why);
    if (!c->path)
        goto fail;
    c->query = build_query(a, &scope);
    if (a->headers.count) {
        c->headers = calloc(a->headers.count, sizeof(ivrsm_header));
        if (!c->headers)
            goto fail;
        for (size_t i = 0; i < a->headers.count; i++) {
            char *val = value_text(&a->headers.items[i].value, &scope);
            c->headers[c->header_count].name = a->headers.items[i].key;
            c->headers[c->header_count++].value = val;
            if (!val || !header_safe(val)) {
                *why = "header value with a line break refused";
                goto fail;
            }
        }
    }
    if (a->has_body) {
        json_t *body = ivrsm_s_value_eval(&a->body, &scope);
        c->body = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(body);
    }
    char key[160];
    snprintf(key, sizeof(key), "%s-%llu", s->session_id, (unsigned long long)c->pub.id);
    c->idempotency_key = strdup(key);
    c->pub.http.timeout_ms = a->timeout_ms > 0 ? a->timeout_ms : s->m->limits.http_timeout_ms;
    ivrsm_s_command_free(s->pending);
    s->pending = NULL; /* kept from the queue when the host pulls it (ivrsm_s_release_out) */
    s->pending_id = c->pub.id;
    if (ivrsm_s_queue_push(s, c) != 0)
        return -1;
    if (ivrsm_s_tracing(s))
        ivrsm_s_trace_command(s, &s->queue[s->queue_len - 1].pub);
    return 0;
fail:
    ivrsm_s_command_discard(s, c);
    return -1;
}

int ivrsm_s_parse_result_body(const ivrsm_event *ev, json_t **resp)
{
    *resp = NULL;
    size_t len = ev->body ? (ev->body_len ? ev->body_len : strlen(ev->body)) : 0;
    const char *p = ev->body;
    while (len && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
        len--;
    }
    if (!len) {
        /* 204 No Content and friends: success with an empty response. */
        *resp = json_object();
        return *resp ? 0 : -1;
    }
    *resp = json_loadb(p, len, JSON_DECODE_ANY, NULL);
    return *resp ? 0 : -1;
}
