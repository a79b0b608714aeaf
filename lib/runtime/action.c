/*
 * Building an http command from a state's action: method and path from the
 * endpoint, `path:` parameters URL-encoded into "{name}" segments, `query:`
 * encoded as k=v pairs, `headers:` and `body:` rendered from templates, an
 * idempotency key derived from the session id and the command id (stable
 * across snapshot and restore). The base URL is the host's business.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_real.h"
#include "session.h"
#include "text.h"

int ivrsm_s_value_eval(const m_value *v, const ivrsm_tmpl_scope *scope, json_t **out)
{
    int rc = 0;
    switch (v->kind) {
    case MV_LITERAL:
        *out = json_incref(v->literal);
        return 0;
    case MV_TEMPLATE:
        return ivrsm_tmpl_eval(v->tmpl, scope, out);
    case MV_OBJECT:
    case MV_ARRAY:
        break;
    }
    /* Whole or not at all: a member that fails fails the value (a map without it is another). */
    json_t *j = v->kind == MV_OBJECT ? json_object() : json_array();
    for (size_t i = 0; j && rc == 0 && i < v->count; i++) {
        json_t *x;
        rc = ivrsm_s_value_eval(&v->items[i], scope, &x);
        if (rc == 0 && (v->kind == MV_OBJECT ? json_object_set_new(j, v->keys[i], x)
                                             : json_array_append_new(j, x)) != 0)
            rc = IVRSM_ENOMEM;
    }
    if (!j || rc != 0) {
        json_decref(j);
        *out = NULL;
        return rc ? rc : IVRSM_ENOMEM;
    }
    *out = j;
    return 0;
}

/* What value v is, evaluated once: its kind (ivrsm_tmpl_expr_value(), -1 for a value that is
 * not a template) and, for a value or a literal, *x. */
static int value_kind(const m_value *v, const ivrsm_tmpl_scope *scope, ivrsm_val *x)
{
    return v->kind == MV_TEMPLATE ? ivrsm_tmpl_expr_value(v->tmpl, scope, x) : -1;
}

/*
 * The text of v (of `kind` and *x as value_kind() told) as a template says it: strings as
 * themselves, numbers as written, null as "", maps and lists as compact JSON. Header values
 * and path segments are C strings: the text ends at a NUL it holds. A string's text is the
 * value's own bytes (*s points at them, nothing is copied); any other is appended to `into`
 * and *s points at it there. 0, or -1 when memory ran out.
 */
static int value_text_of(ivrsm_buf *into, const m_value *v, int kind, ivrsm_val x,
                         const ivrsm_tmpl_scope *scope, const char **s, size_t *n)
{
    const size_t start = into->len;
    int rc;
    if (kind == IVRSM_TMPL_VALUE || kind == IVRSM_TMPL_LITERAL) {
        const char *str = ivrsm_val_missing(x) ? NULL : ivrsm_val_str(x, n);
        if (str) {
            const char *nul = memchr(str, '\0', *n);
            *s = str;
            if (nul)
                *n = (size_t)(nul - str);
            return 0;
        }
        /* A literal of the template is said in its shortest form, not as a text kept. */
        rc = ivrsm_tmpl_append_value(into, x, kind == IVRSM_TMPL_VALUE ? scope : NULL);
    } else if (kind == IVRSM_TMPL_TEXT) {
        rc = ivrsm_tmpl_render(v->tmpl, scope, into);
    } else {
        /* A map or a list: the loader gives headers, path and query scalars only. */
        json_t *j;
        rc = ivrsm_s_value_eval(v, scope, &j);
        if (rc == IVRSM_ELIMIT)
            into->failed = IVRSM_BUF_PAST_LIMIT;
        rc = rc == 0 ? ivrsm_tmpl_append_value(into, ivrsm_val_of(j), scope) : -1;
        json_decref(j);
    }
    if (rc != 0 || into->failed)
        return -1;
    *s = ivrsm_buf_str(into) + start;
    *n = into->len > start ? strlen(*s) : 0;
    return 0;
}

/* A value's text that a render stopped at IVRSM_MAX_TEXT_BYTES fails the request being written
 * in b for that reason, not for lack of memory (ivrsm_s_emit_http() tells them apart). */
static void pass_limit(ivrsm_buf *b, const ivrsm_buf *text)
{
    if (text->failed == IVRSM_BUF_PAST_LIMIT)
        b->failed = IVRSM_BUF_PAST_LIMIT;
}

static int value_text(ivrsm_buf *into, const m_value *v, const ivrsm_tmpl_scope *scope,
                      const char **s, size_t *n)
{
    ivrsm_val x;
    int kind = value_kind(v, scope, &x);
    return value_text_of(into, v, kind, x, scope, s, n);
}

/* The value's text appended to b (value_text()). 0, or -1 when memory ran out. */
static int value_append(ivrsm_buf *b, const m_value *v, const ivrsm_tmpl_scope *scope)
{
    const size_t start = b->len;
    ivrsm_val x;
    int kind = value_kind(v, scope, &x);
    if (kind == IVRSM_TMPL_TEXT) {
        /* Rendered where it goes ("Bearer {{ctx.token}}"), cut at a NUL a value brought. */
        if (ivrsm_tmpl_render(v->tmpl, scope, b) != 0 || b->failed)
            return -1;
        const char *nul = b->len > start ? memchr(b->data + start, '\0', b->len - start) : NULL;
        if (nul) {
            b->len = (size_t)(nul - b->data);
            b->data[b->len] = '\0';
        }
        return 0;
    }
    const char *s;
    size_t n;
    if (value_text_of(b, v, kind, x, scope, &s, &n) != 0)
        return -1;
    if (b->len == start) /* the value's own bytes, or nothing */
        return ivrsm_buf_add(b, s, n);
    b->len = start + n; /* written in b: cut at its NUL */
    b->data[b->len] = '\0';
    return 0;
}

int ivrsm_s_val_write(ivrsm_buf *b, ivrsm_val v)
{
    if (ivrsm_val_missing(v))
        return ivrsm_buf_puts(b, "null");
    if (v.j)
        return ivrsm_buf_json_value(b, v.j);
    size_t len;
    const char *str;
    char real[64];
    switch (ivrsm_val_type(v)) {
    case JSON_OBJECT: {
        ivrsm_buf_putc(b, '{');
        for (size_t i = 0; i < ivrsm_val_size(v); i++) {
            const char *key;
            size_t key_len;
            ivrsm_val x = ivrsm_val_member(v, i, &key, &key_len);
            if (i)
                ivrsm_buf_putc(b, ',');
            ivrsm_buf_json_string(b, key, key_len);
            ivrsm_buf_putc(b, ':');
            if (ivrsm_s_val_write(b, x) != 0)
                return -1;
        }
        return ivrsm_buf_putc(b, '}');
    }
    case JSON_ARRAY:
        ivrsm_buf_putc(b, '[');
        for (size_t i = 0; i < ivrsm_val_size(v); i++) {
            if (i)
                ivrsm_buf_putc(b, ',');
            if (ivrsm_s_val_write(b, ivrsm_val_at(v, i)) != 0)
                return -1;
        }
        return ivrsm_buf_putc(b, ']');
    case JSON_STRING:
        str = ivrsm_val_str(v, &len);
        return ivrsm_buf_json_string(b, str, len);
    case JSON_INTEGER:
        return ivrsm_buf_int(b, (long long)ivrsm_val_int(v));
    case JSON_REAL: {
        int n = ivrsm_real_json_text(ivrsm_val_real(v), real, sizeof(real));
        return n < 0 ? -1 : ivrsm_buf_append(b, real, (size_t)n);
    }
    case JSON_TRUE:
        return ivrsm_buf_puts(b, "true");
    case JSON_FALSE:
        return ivrsm_buf_puts(b, "false");
    default:
        return ivrsm_buf_puts(b, "null");
    }
}

/*
 * A template's value written as JSON: a value as it is, a text as a JSON string. 0, or -1 on
 * no memory (a template evaluates to NULL only then).
 */
static int write_template_json(ivrsm_buf *b, const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope)
{
    ivrsm_val x;
    if (ivrsm_tmpl_expr_value(t, scope, &x) != IVRSM_TMPL_TEXT) {
        size_t len;
        /* Most of a body's values are strings: one look at the value. */
        const char *str = ivrsm_val_missing(x) ? NULL : ivrsm_val_str(x, &len);
        return str ? ivrsm_buf_json_string(b, str, len) : ivrsm_s_val_write(b, x);
    }
    char stack[256];
    ivrsm_buf text;
    ivrsm_buf_on(&text, scope->mem, stack, sizeof(stack));
    int rc = ivrsm_tmpl_render(t, scope, &text) != 0 || text.failed
                 ? -1
                 : ivrsm_buf_json_string(b, ivrsm_buf_str(&text), text.len);
    pass_limit(b, &text);
    ivrsm_buf_free(&text);
    return rc;
}

/*
 * The body as json_dumps(JSON_COMPACT) wrote the value ivrsm_s_value_eval() built, without
 * building it: the text worked out at load (m_body_op), the templates' values in its holes.
 * 0, or -1 on no memory: a body with a member missing is never sent.
 */
static int write_body(ivrsm_buf *b, const m_action *a, const ivrsm_tmpl_scope *scope)
{
    for (size_t i = 0; i < a->body_op_count; i++) {
        const m_body_op *op = &a->body_ops[i];
        if (ivrsm_buf_add(b, op->text, op->len) != 0)
            return -1;
        if (op->tmpl && write_template_json(b, op->tmpl, scope) != 0)
            return -1;
    }
    return b->failed ? -1 : 0;
}

/*
 * A path parameter's value as a segment, URL-encoded into b. A segment "." or ".." would
 * change the path's shape (servers and proxies resolve it, percent-encoded or not): it is no
 * value. 0, -1 with *why set when it cannot be built, -1 with *why NULL when memory ran out.
 */
static int write_segment(ivrsm_buf *b, const m_req_piece *p, const ivrsm_tmpl_scope *scope,
                         const char **why)
{
    if (p->missing) {
        *why = "missing path parameter";
        return -1;
    }
    char stack[256];
    ivrsm_buf text;
    ivrsm_buf_on(&text, scope->mem, stack, sizeof(stack));
    const char *s;
    size_t n;
    int rc = value_text(&text, p->value, scope, &s, &n);
    if (rc == 0 && (n == 0 || (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.'))))) {
        *why = n == 0 ? "missing path parameter"
                      : "a path parameter is '.' or '..', which would change the path";
        rc = -1;
    } else if (rc == 0) {
        rc = ivrsm_buf_url_encode(b, s, n);
    }
    pass_limit(b, &text);
    ivrsm_buf_free(&text);
    return rc;
}

/* "/appointments/{id}/confirm" with id → "/appointments/a%2Fb/confirm", appended to b from the
 * path's pieces (compile_request.c). 0, or -1 as write_segment(). */
static int build_path(ivrsm_buf *b, const m_action *a, const ivrsm_tmpl_scope *scope,
                      const char **why)
{
    *why = NULL;
    for (size_t i = 0; i < a->path_piece_count; i++) {
        const m_req_piece *p = &a->pieces[i];
        if (ivrsm_buf_add(b, p->text, p->len) != 0)
            return -1;
        if ((p->value || p->missing) && write_segment(b, p, scope, why) != 0)
            return -1;
    }
    return 0;
}

/* The query's k=v pairs appended to b, the keys encoded at load. 0, or IVRSM_ENOMEM. */
static int build_query(ivrsm_buf *b, const m_action *a, const ivrsm_tmpl_scope *scope)
{
    const m_req_piece *pieces = a->pieces + a->path_piece_count;
    for (size_t i = 0; i < a->query_piece_count; i++) {
        char stack[256];
        ivrsm_buf text;
        ivrsm_buf_on(&text, scope->mem, stack, sizeof(stack));
        const char *s;
        size_t n;
        int rc = ivrsm_buf_add(b, pieces[i].text, pieces[i].len);
        if (rc == 0)
            rc = value_text(&text, pieces[i].value, scope, &s, &n);
        if (rc == 0)
            rc = ivrsm_buf_url_encode(b, s, n);
        pass_limit(b, &text);
        ivrsm_buf_free(&text);
        if (rc != 0)
            return IVRSM_ENOMEM;
    }
    return 0;
}

/*
 * A header the HTTP adapter sends as it is (lib/adapters/http_wire.c, RFC
 * 9110 field values): visible characters, spaces, tabs and bytes >= 0x80,
 * no other control character (CR and LF would add a header line) and no
 * DEL, and the whole "Name: value" line within IVRSM_MAX_HEADER_BYTES.
 * v[0..len) holds no NUL. Eight bytes at a time: a word with no byte below
 * 0x20 and no DEL is fine whole; a word flagged is read byte by byte.
 */
static const char *header_refusal(size_t name_len, const char *v, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    for (size_t i = 0; i < len;) {
        if (i + 8 <= len) {
            uint64_t w, del;
            memcpy(&w, v + i, 8);
            del = w ^ (ones * 0x7f);
            if (!((((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = (unsigned char)v[i++];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return c == '\r' || c == '\n' ? "header value with a line break refused"
                                          : "header value with a control character refused";
    }
    if (name_len + len + 2 > IVRSM_MAX_HEADER_BYTES)
        return "header longer than IVRSM_MAX_HEADER_BYTES refused";
    return NULL;
}

/*
 * Where the texts of an http command are written, each ended by a NUL, before
 * they move into the command's one block (s_command.http_texts): offsets into
 * the buffer, SIZE_MAX for a text the command has not.
 */
struct http_texts {
    size_t path, query, headers, body, key;
};

/* The command's texts into b, in the order their refusals are told. 0, -1 with *why, or
 * IVRSM_ENOMEM. */
static int write_http_texts(ivrsm_buf *b, const ivrsm_session *s, const m_action *a, uint64_t id,
                            struct http_texts *at, const char **why)
{
    ivrsm_tmpl_scope scope = ivrsm_s_scope(s);
    *at = (struct http_texts){SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX};
    if (build_path(b, a, &scope, why) != 0)
        return *why ? -1 : IVRSM_ENOMEM;
    /* The lengths of what is written, which holds no NUL (segments are cut at theirs, then
     * encoded; a body's strings are escaped), are the buffer's. */
    size_t path_and_query = b->len;
    ivrsm_buf_putc(b, '\0');
    at->path = 0;
    if (a->query.count) {
        at->query = b->len;
        if (build_query(b, a, &scope) != 0)
            return IVRSM_ENOMEM;
        path_and_query += 1 + b->len - at->query; /* "?" and the query */
        ivrsm_buf_putc(b, '\0');
    }
    /* Header values one after the other, each ended by its NUL: found again by walking them. */
    at->headers = b->len;
    const m_req_piece *headers = a->pieces + a->path_piece_count + a->query_piece_count;
    for (size_t i = 0; i < a->headers.count; i++) {
        const size_t start = b->len;
        if (value_append(b, headers[i].value, &scope) != 0)
            return IVRSM_ENOMEM;
        if ((*why = header_refusal(headers[i].len, b->data + start, b->len - start)) != NULL)
            return -1;
        ivrsm_buf_putc(b, '\0');
    }
    if (path_and_query > IVRSM_MAX_PATH_BYTES) {
        *why = "request path and query longer than IVRSM_MAX_PATH_BYTES";
        return -1;
    }
    if (a->has_body) {
        at->body = b->len;
        if (write_body(b, a, &scope) != 0)
            return IVRSM_ENOMEM;
        if (b->len - at->body > IVRSM_MAX_REQUEST_BODY_BYTES) {
            *why = "request body larger than IVRSM_MAX_REQUEST_BODY_BYTES";
            return -1;
        }
        ivrsm_buf_putc(b, '\0');
    }
    /* The idempotency key: SESSION_ID-COMMAND_ID, written in room made once, the digits from
     * the last, in place. */
    at->key = b->len;
    size_t id_len = s->session_id_len;
    if (ivrsm_buf_reserve(b, id_len + 22) != 0)
        return IVRSM_ENOMEM;
    size_t n = ivrsm_decimal_digits(id);
    char *d = b->data + b->len;
    memcpy(d, s->session_id, id_len);
    d[id_len] = '-';
    char *digit = d + id_len + 1 + n;
    digit[0] = '\0';
    digit[1] = '\0'; /* the buffer's own end */
    do {
        *--digit = (char)('0' + id % 10);
        id /= 10;
    } while (id);
    b->len += id_len + 2 + n;
    return 0;
}

/*
 * The texts moved into one block, the header array first: one allocation per
 * command instead of one per text (path, query, body, key, each header).
 */
static int take_http_texts(ivrsm_session *s, s_command *c, const m_action *a, const ivrsm_buf *b,
                           const struct http_texts *at)
{
    size_t head = a->headers.count * sizeof(ivrsm_header);
    char *block = ivrsm_mem_malloc(s->mem, head + b->len);
    if (!block)
        return IVRSM_ENOMEM;
    char *texts = block + head;
    memcpy(texts, b->data, b->len);
    c->http_texts = block;
    c->path = texts + at->path;
    c->query = at->query != SIZE_MAX ? texts + at->query : NULL;
    c->body = at->body != SIZE_MAX ? texts + at->body : NULL;
    c->idempotency_key = texts + at->key;
    if (a->headers.count) {
        c->headers = (ivrsm_header *)(void *)block;
        const char *value = texts + at->headers;
        for (size_t i = 0; i < a->headers.count; i++) {
            c->headers[i].name = a->headers.items[i].key;
            c->headers[i].value = value;
            value += strlen(value) + 1;
        }
        c->header_count = a->headers.count;
    }
    return 0;
}

int ivrsm_s_emit_http(ivrsm_session *s, const m_state *st, const char **why)
{
    const m_action *a = &st->action;
    *why = NULL;
    s_command *c = ivrsm_s_command_new(s, IVRSM_COMMAND_HTTP);
    if (!c)
        return IVRSM_ENOMEM;
    c->pub.http.endpoint = a->endpoint >= 0 ? s->m->endpoints[a->endpoint].name : NULL;
    c->pub.http.method = a->method;
    char stack[1024];
    ivrsm_buf b;
    ivrsm_buf_on(&b, s->mem, stack, sizeof(stack));
    struct http_texts at;
    int rc = write_http_texts(&b, s, a, c->pub.id, &at, why);
    if (rc == IVRSM_ENOMEM && b.failed == IVRSM_BUF_PAST_LIMIT) {
        *why = "request value longer than IVRSM_MAX_TEXT_BYTES";
        rc = -1;
    }
    if (rc == 0)
        rc = take_http_texts(s, c, a, &b, &at);
    ivrsm_buf_free(&b);
    if (rc != 0) {
        ivrsm_s_command_discard(s, c);
        return rc; /* -1 with the refusal in *why, or IVRSM_ENOMEM */
    }
    c->pub.http.timeout_ms = a->timeout_ms > 0 ? a->timeout_ms : s->m->limits.http_timeout_ms;
    uint64_t id = c->pub.id;
    if (ivrsm_s_queue_push(s, c) != 0)
        return IVRSM_ENOMEM;
    ivrsm_s_command_free(s, s->pending);
    s->pending = NULL; /* kept from the queue when the host pulls it (ivrsm_s_release_out) */
    s->pending_id = id;
    if (ivrsm_s_tracing(s))
        ivrsm_s_trace_command(s, &s->queue[s->queue_len - 1].pub);
    return 0;
}

bool ivrsm_s_json_depth_within(const char *p, size_t len, int max)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '"') {
            i = ivrsm_json_string_end(p, len, i);
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

int ivrsm_s_result_body_bounded(const char *body, size_t len)
{
    /* What the session keeps (resp, then snapshots) is bounded, and must read back. */
    if (len > IVRSM_MAX_RESULT_BODY_BYTES)
        return S_BODY_TOO_LARGE;
    if (body && !ivrsm_s_json_depth_within(body, len, IVRSM_MAX_DEPTH))
        return S_BODY_TOO_DEEP;
    return 0;
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
        return *resp ? 0 : IVRSM_ENOMEM;
    }
    int bounded = ivrsm_s_result_body_bounded(p, len);
    if (bounded)
        return bounded;
    json_error_t je;
    *resp = json_loadb(p, len, JSON_DECODE_ANY, &je);
    if (*resp)
        return 0;
    return json_error_code(&je) == json_error_out_of_memory ? IVRSM_ENOMEM : S_BODY_NOT_JSON;
}
