/*
 * What a call writes. Spoken parts (lib/runtime/speech.c): static words shown, then joined.
 * An http command (lib/runtime/action.c, lib/compiler/compile_body.c):
 * request bodies of generated shapes, keys, literals and templates over
 * generated ctx values are the text json_dumps(JSON_COMPACT) writes of the
 * value the body evaluates to (ivrsm_s_value_eval(), the reference).
 */
#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"
#include "buf.h"
#include "mem.h"
#include "session.h"
#include "utf8.h"

static uint32_t seed = 12345u;

static uint32_t next_rand(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static size_t pick(size_t n)
{
    return next_rand() % n;
}

/* Strings with every kind of byte a JSON string escapes or keeps. */
static const char *const strings[] = {
    "",
    "a",
    "portal_login",
    "l'\"été\"",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "\x01\x1f",
    "del\x7f",
    "€ 12,50",
    "/path/",
    "a b  c ",
    "{ not {a} template }",
    "日本語",
    "0123456789abcdefghij",
};

static const char *const names[] = {"s0", "s1", "s2",  "n",    "r",  "t",
                                    "f",  "z",  "obj", "list", "big"};

/* A ctx of every type a template can read. */
static json_t *make_ctx(void)
{
    json_t *ctx = json_object();
    for (int i = 0; i < 3; i++)
        json_object_set_new(ctx, names[i],
                            json_string(strings[pick(sizeof(strings) / sizeof(*strings))]));
    json_object_set_new(ctx, "n", json_integer((json_int_t)pick(2000000) - 1000000));
    json_object_set_new(ctx, "r", json_real((double)pick(100000) / 64.0 + 0.5));
    json_object_set_new(ctx, "t", json_true());
    json_object_set_new(ctx, "f", json_false());
    json_object_set_new(ctx, "z", json_null());
    json_t *obj = json_object();
    json_object_set_new(obj, "k\"ey",
                        json_string(strings[pick(sizeof(strings) / sizeof(*strings))]));
    json_object_set_new(obj, "n", json_array());
    json_object_set_new(ctx, "obj", obj);
    json_t *list = json_array();
    json_array_append_new(list, json_integer(7));
    json_array_append_new(list, json_string("x\ty"));
    json_array_append_new(list, json_real(2.5));
    json_object_set_new(ctx, "list", list);
    char big[700];
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[pick(sizeof(big) - 1)] = '"';
    big[sizeof(big) - 1] = '\0';
    json_object_set_new(ctx, "big", json_string(big));
    return ctx;
}

/* A template string: one value, a value in text, a missing value, text alone. */
static json_t *make_template(void)
{
    char t[128];
    const char *name = names[pick(sizeof(names) / sizeof(*names))];
    switch (pick(5)) {
    case 0:
        snprintf(t, sizeof t, "{{ctx.%s}}", name);
        break;
    case 1:
        snprintf(t, sizeof t, "Code {{ctx.%s}} / {{ctx.n}}", name);
        break;
    case 2:
        snprintf(t, sizeof t, "{{ctx.nothing}}");
        break;
    case 3:
        snprintf(t, sizeof t, "\"{{ctx.%s}}\"\\", name);
        break;
    default:
        snprintf(t, sizeof t, "{{ctx.big}}{{ctx.big}}");
        break;
    }
    return json_string(t);
}

static json_t *make_value(int depth)
{
    switch (pick(depth > 2 ? 6 : 8)) {
    case 0:
    case 1:
        return make_template();
    case 2:
        return json_string(strings[pick(sizeof(strings) / sizeof(*strings))]);
    case 3:
        return json_integer((json_int_t)pick(1000) - 500);
    case 4:
        return json_real((double)pick(1000) / 8.0 - 3.0);
    case 5:
        return pick(3) == 0 ? json_null() : json_boolean(pick(2));
    case 6: {
        json_t *o = json_object();
        size_t n = pick(5);
        for (size_t i = 0; i < n; i++) {
            char key[64];
            snprintf(key, sizeof key, "%s%zu",
                     strings[1 + pick(sizeof(strings) / sizeof(*strings) - 1)], i);
            json_object_set_new(o, key, make_value(depth + 1));
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        size_t n = pick(4);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, make_value(depth + 1));
        return a;
    }
    }
}

/* A machine whose first state sends `body`, as JSON text. */
static char *machine_with_body(json_t *body)
{
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:{s:{s:s, s:{s:s, s:o}, s:{s:s}}, s:{s:s, s:s}}}", "machine",
                  "body", "version", "1", "locale", "fr-FR", "states", "send", "type",
                  "action_then_prompt", "action", "call", "PUT /x", "body", body, "on_success",
                  "next", "bye", "bye", "type", "prompt_end", "prompt", "Au revoir.");
    ck_assert_ptr_nonnull(m);
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return text;
}

/* The body of the first request of a session on `text` with ctx, against jansson's. */
static void body_as_reference(const char *text, const char *ctx_json)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_msg(ivrsm_machine_load_buffer(text, strlen(text), IVRSM_FORMAT_JSON, "body.json", &m,
                                            &err) == 0,
                  "%s: %d:%d %s", text, err.line, err.column, err.message);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = ctx_json;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ivrsm_tmpl_scope scope = ivrsm_s_scope(s);
    json_t *value = NULL;
    ck_assert_int_eq(ivrsm_s_value_eval(&m->states[0].action.body, &scope, &value), 0);
    char *want = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_ptr_nonnull(want);
    if (strlen(want) > IVRSM_MAX_REQUEST_BODY_BYTES) {
        ck_assert_int_eq(c->type, IVRSM_COMMAND_HANGUP);
    } else {
        ck_assert_int_eq(c->type, IVRSM_COMMAND_HTTP);
        ck_assert_msg(strcmp(c->http.body, want) == 0, "machine %s\nctx %s\nbody %s\nwant %s", text,
                      ctx_json, c->http.body, want);
    }
    free(want);
    json_decref(value);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}

/*
 * A body whose member renders past IVRSM_MAX_TEXT_BYTES: evaluated, the whole value fails with
 * IVRSM_ELIMIT (it was once a map without that member, and the failure read as no memory); sent,
 * the request is not built and the action fails. In a map and in a list, deep or not.
 */
START_TEST(body_past_text_bound_fails_whole)
{
    static const char *const bodies[] = {
        "{\"small\": \"s\", \"large\": \"%s\"}",
        "[\"s\", \"%s\"]",
        "{\"a\": [1, {\"b\": \"x %s\"}], \"c\": \"{{ctx.n}}\"}",
    };
    size_t size = 64 * 1024;
    char *ctx_json = malloc(size + 64);
    int n = snprintf(ctx_json, 64, "{\"n\": 3, \"big\": \"");
    memset(ctx_json + n, 'z', size);
    snprintf(ctx_json + n + size, 64, "\"}");
    char many[1024] = "";
    for (int i = 0; i < 17; i++) /* 17 x 64 KiB: past the bound */
        strcat(many, "{{ctx.big}}");
    for (size_t b = 0; b < sizeof bodies / sizeof *bodies; b++) {
        char body[2048], text[4096];
        snprintf(body, sizeof body, bodies[b], many);
        snprintf(text, sizeof text,
                 "{\"machine\": \"b\", \"version\": \"1\", \"locale\": \"en-US\", \"states\": {"
                 "\"send\": {\"type\": \"action_then_prompt\", \"action\": {\"call\": \"POST /x\","
                 " \"body\": %s}, \"on_success\": {\"next\": \"bye\"}, \"on_fail\": {\"next\": "
                 "\"bye\"}},"
                 "\"bye\": {\"type\": \"prompt_end\", \"prompt\": \"Bye.\"}}}",
                 body);
        ivrsm_machine *m = NULL;
        ivrsm_error err;
        ck_assert_msg(ivrsm_machine_load_buffer(text, strlen(text), IVRSM_FORMAT_JSON, "b.json", &m,
                                                &err) == 0,
                      "%s: %s", text, err.message);
        ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
        o.ctx_json = ctx_json;
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        const ivrsm_command *c;
        while ((c = ivrsm_session_next_command(s)))
            ck_assert_msg(c->type != IVRSM_COMMAND_HTTP, "body %zu: a request went out", b);
        ck_assert(ivrsm_session_ended(s));
        ivrsm_tmpl_scope scope = ivrsm_s_scope(s);
        json_t *value = json_true();
        ck_assert_int_eq(ivrsm_s_value_eval(&m->states[0].action.body, &scope, &value),
                         IVRSM_ELIMIT);
        ck_assert_ptr_null(value);
        ivrsm_session_free(s);
        ivrsm_machine_unref(m);
    }
    free(ctx_json);
}
END_TEST

START_TEST(generated_bodies_as_jansson_wrote_them)
{
    for (int round = 0; round < 400; round++) {
        json_t *ctx = make_ctx();
        char *ctx_json = json_dumps(ctx, JSON_COMPACT);
        /* The body: a map most of the time, as machines write it, else any value. */
        json_t *body = pick(4) ? json_object() : make_value(1);
        if (json_is_object(body)) {
            size_t n = 1 + pick(8);
            for (size_t i = 0; i < n; i++) {
                char key[64];
                snprintf(key, sizeof key, "%s_%zu",
                         strings[pick(sizeof(strings) / sizeof(*strings))], i);
                json_object_set_new(body, key, make_value(1));
            }
        }
        char *text = machine_with_body(body);
        body_as_reference(text, ctx_json);
        free(text);
        free(ctx_json);
        json_decref(ctx);
    }
}
END_TEST

/* s[0..len) as a JSON string literal, one byte at a time, into out (NUL-terminated). */
static size_t escaped_by_byte(const char *s, size_t len, char *out)
{
    size_t n = 0;
    out[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        if (esc) {
            n += (size_t)sprintf(out + n, "%s", esc);
        } else if (c < 0x20) {
            n += (size_t)sprintf(out + n, "\\u%04X", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
    return n;
}

/*
 * JSON strings are scanned and copied sixteen bytes at a time, the last step overlapping, or
 * eight for 8 to 15 bytes (ivrsm_buf_json_string): every byte that matters (each control byte,
 * '"', '\\', DEL, UTF-8 bytes, the bytes next to the ones that are escaped), at every position
 * of strings of every length to 56 (three steps and an overlapping one), against jansson's
 * dump and a byte-by-byte writer.
 */
START_TEST(json_strings_as_jansson_at_every_position)
{
    static const unsigned char probes[] = {0x00, 0x01, 0x08, 0x0a, 0x1f, 0x20, 0x21, '"',  0x23,
                                           '/',  0x5b, '\\', 0x5d, 0x7f, 0x80, 0xa0, 0xc3, 0xff};
    char s[64];
    for (size_t len = 0; len <= 56; len++) {
        for (size_t at = 0; at < (len ? len : 1); at++) {
            for (size_t p = 0; p < sizeof(probes); p++) {
                for (size_t i = 0; i < len; i++)
                    s[i] = (char)('a' + (i * 7 + len) % 26);
                if (len)
                    s[at] = (char)probes[p];
                if (len > 2 && p % 3 == 0)
                    s[(at * 5 + p) % len] = (char)probes[(p * 7) % sizeof(probes)];
                s[len] = '\0';
                /* jansson refuses what is not UTF-8 and cuts at a NUL: compared where it writes. */
                json_t *j = json_stringn_nocheck(s, len);
                char *want = json_dumps(j, JSON_ENCODE_ANY);
                ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
                ck_assert_int_eq(ivrsm_buf_json_string(&b, s, len), 0);
                char ref[64 * 6 + 3];
                size_t n = escaped_by_byte(s, len, ref);
                ck_assert_msg(b.len == n && memcmp(b.data, ref, n) == 0, "len %zu at %zu: %s / %s",
                              len, at, ivrsm_buf_str(&b), ref);
                if (want) /* jansson refuses what is not UTF-8 */
                    ck_assert_str_eq(ivrsm_buf_str(&b), want);
                free(want);
                ivrsm_buf_free(&b);
                json_decref(j);
            }
        }
    }
}
END_TEST

/*
 * Header values are checked eight bytes at a time for the bytes the HTTP adapter refuses
 * (controls but the tab, DEL): each byte value at each position of values of up to 24 bytes,
 * against the byte-by-byte rule.
 */
START_TEST(header_bytes_checked_at_every_position)
{
    static const char yaml[] =
        "machine: h\nversion: \"1\"\nlocale: fr-FR\nstates:\n"
        "  send:\n    type: action_then_prompt\n    action:\n      call: \"GET /x\"\n"
        "      headers: { X-T: \"{{ctx.v}}\" }\n    on_success: { next: bye }\n"
        "  bye:\n    type: prompt_end\n    prompt: \"Au revoir.\"\n";
    ivrsm_machine *m = NULL;
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "h.yaml", &m, NULL), 0);
    for (size_t len = 1; len <= 24; len++) {
        for (size_t at = 0; at < len; at++) {
            for (int byte = 1; byte < 256; byte++) {
                char v[32];
                memset(v, 'a', len);
                v[len] = '\0';
                v[at] = (char)byte;
                json_t *ctx = json_object();
                json_object_set_new(ctx, "v", json_stringn_nocheck(v, len));
                char *ctx_json = json_dumps(ctx, JSON_COMPACT);
                json_decref(ctx);
                if (!ctx_json) /* not UTF-8: no ctx can hold it */
                    continue;
                ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
                o.ctx_json = ctx_json;
                ivrsm_session *s = NULL;
                ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
                ck_assert_int_eq(ivrsm_session_start(s), 0);
                const ivrsm_command *c = ivrsm_session_next_command(s);
                bool refused = (byte < 0x20 && byte != '\t') || byte == 0x7f;
                ck_assert_msg((c->type == IVRSM_COMMAND_HTTP) == !refused,
                              "byte 0x%02x at %zu of %zu", byte, at, len);
                if (!refused)
                    ck_assert_str_eq(c->http.headers[0].value, v);
                ivrsm_session_free(s);
                free(ctx_json);
            }
        }
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* ---- paths, queries and headers against the reading of the action before it was compiled */

/* The value as text, as a template says it, cut at its first NUL: the runtime's reading before
 * the request was worked out at load. */
static int ref_value_append(ivrsm_buf *b, const m_value *v, const ivrsm_tmpl_scope *scope)
{
    const size_t start = b->len;
    int rc;
    ivrsm_val x;
    int kind = v->kind == MV_TEMPLATE ? ivrsm_tmpl_expr_value(v->tmpl, scope, &x) : -1;
    if (kind == IVRSM_TMPL_VALUE) {
        rc = ivrsm_tmpl_append_value(b, x, scope);
    } else if (kind == IVRSM_TMPL_LITERAL) {
        rc = ivrsm_tmpl_append_value(b, x, NULL);
    } else if (kind == IVRSM_TMPL_TEXT) {
        rc = ivrsm_tmpl_render(v->tmpl, scope, b);
    } else {
        json_t *j = NULL;
        rc = ivrsm_s_value_eval(v, scope, &j) == 0
                 ? ivrsm_tmpl_append_value(b, ivrsm_val_of(j), scope)
                 : -1;
        json_decref(j);
    }
    if (rc != 0 || b->failed)
        return -1;
    if (b->len > start)
        b->len = start + strlen(b->data + start);
    return 0;
}

/* Byte by byte, the unreserved characters of RFC 3986 as they are. */
static void ref_url_encode(ivrsm_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) && *p < 0x80)
            ivrsm_buf_putc(b, (char)*p);
        else if (strchr("-_.~", *p))
            ivrsm_buf_putc(b, (char)*p);
        else
            ivrsm_buf_printf(b, "%%%02X", *p);
    }
}

/* The path searched for "{name}" at every request, each name looked up among `path:`. */
static const char *ref_path(ivrsm_buf *b, const m_action *a, const ivrsm_tmpl_scope *scope)
{
    const char *p = a->path;
    while (*p) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            ivrsm_buf_puts(b, p);
            break;
        }
        ivrsm_buf_append(b, p, (size_t)(open - p));
        const m_kv *kv = NULL;
        size_t len = (size_t)(close - open - 1);
        for (size_t i = 0; !kv && i < a->path_params.count; i++)
            if (strlen(a->path_params.items[i].key) == len &&
                !memcmp(a->path_params.items[i].key, open + 1, len))
                kv = &a->path_params.items[i];
        ivrsm_buf val = IVRSM_BUF_INIT(ivrsm_mem_default());
        if (kv)
            ck_assert_int_eq(ref_value_append(&val, &kv->value, scope), 0);
        const char *v = ivrsm_buf_str(&val);
        const char *why = !kv || !*v ? "missing path parameter"
                          : !strcmp(v, ".") || !strcmp(v, "..")
                              ? "a path parameter is '.' or '..', which would change the path"
                              : NULL;
        if (!why)
            ref_url_encode(b, v);
        ivrsm_buf_free(&val);
        if (why)
            return why;
        p = close + 1;
    }
    return NULL;
}

static void ref_query(ivrsm_buf *b, const m_action *a, const ivrsm_tmpl_scope *scope)
{
    for (size_t i = 0; i < a->query.count; i++) {
        ivrsm_buf val = IVRSM_BUF_INIT(ivrsm_mem_default());
        ck_assert_int_eq(ref_value_append(&val, &a->query.items[i].value, scope), 0);
        if (i)
            ivrsm_buf_putc(b, '&');
        ref_url_encode(b, a->query.items[i].key);
        ivrsm_buf_putc(b, '=');
        ref_url_encode(b, ivrsm_buf_str(&val));
        ivrsm_buf_free(&val);
    }
}

/* Header i's value, or its refusal. */
static const char *ref_header(ivrsm_buf *b, const m_kv *h, const ivrsm_tmpl_scope *scope)
{
    ck_assert_int_eq(ref_value_append(b, &h->value, scope), 0);
    for (size_t i = 0; i < b->len; i++) {
        unsigned char c = (unsigned char)b->data[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return c == '\r' || c == '\n' ? "header value with a line break refused"
                                          : "header value with a control character refused";
    }
    if (strlen(h->key) + b->len + 2 > IVRSM_MAX_HEADER_BYTES)
        return "header longer than IVRSM_MAX_HEADER_BYTES refused";
    return NULL;
}

/* Texts a path, a query or a header value may take: dots, bytes to encode, controls. */
static const char *const url_strings[] = {
    "",        ".",    "..",   "...",    "%2e",         "a",
    "a/b",     "a b",  "é",    "x\x01y", "line\nbreak", "tab\tt",
    "del\x7f", "~-._", "100%", "a&b=c",  "日本",        "0123456789abcdefghijklmnopqrstuvwxyz",
};

/* A value of a path, query or header entry: templates of every kind, literals. */
static json_t *make_entry_value(void)
{
    static const char *const tmpls[] = {
        "{{ctx.u0}}",
        "{{ctx.u1}}",
        "{{ctx.u2}}",
        "{{ctx.nul}}",
        "{{ctx.n}}",
        "{{ctx.r}}",
        "{{ctx.t}}",
        "{{ctx.z}}",
        "{{ctx.obj}}",
        "{{ctx.list}}",
        "{{ctx.nothing}}",
        "{{'li/t'}}",
        "{{12}}",
        "{{''}}",
        "Bearer {{ctx.u0}}",
        "{{ctx.u1}}-{{ctx.u2}}",
        "{{ctx.nul}}x",
        "{{ctx.big}}",
        "{{#if ctx.t}}.{{/if}}",
        "{{ctx.u0}}{{ctx.u0}}",
    };
    switch (pick(6)) {
    case 0:
        return json_string(url_strings[pick(sizeof(url_strings) / sizeof(*url_strings))]);
    case 1:
        return json_integer((json_int_t)pick(2000) - 1000);
    case 2:
        return pick(2) ? json_real((double)pick(100) / 4.0) : json_boolean(pick(2));
    default:
        return json_string(tmpls[pick(sizeof(tmpls) / sizeof(*tmpls))]);
    }
}

/* A path of literal runs and {name} parameters, some back to back; the names in `params`. */
static void make_path(char *path, size_t cap, json_t *params)
{
    static const char *const runs[] = {"/a", "/b-c", "/x.y", "/", "/v1/items", "/~u", "/s_"};
    static const char *const params_[] = {"id", "k", "long_name", "x1"};
    size_t n = 0;
    n += (size_t)snprintf(path + n, cap - n, "%s", runs[pick(sizeof(runs) / sizeof(*runs))]);
    size_t parts = pick(5);
    for (size_t i = 0; i < parts; i++) {
        if (pick(3)) {
            const char *name = params_[pick(sizeof(params_) / sizeof(*params_))];
            n += (size_t)snprintf(path + n, cap - n, "{%s}", name);
            json_object_set_new(params, name, make_entry_value());
        }
        if (pick(2))
            n +=
                (size_t)snprintf(path + n, cap - n, "%s", runs[pick(sizeof(runs) / sizeof(*runs))]);
    }
}

static json_t *make_entries(const char *const *keys, size_t nkeys, size_t max)
{
    json_t *o = json_object();
    size_t n = pick(max + 1);
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, keys[pick(nkeys)], make_entry_value());
    return o;
}

static char *make_request_machine(void)
{
    static const char *const qkeys[] = {"scope", "a b", "é", "k&=", "x", "~t"};
    static const char *const hkeys[] = {"Authorization", "X-A", "X-Trace-Id", "Accept"};
    char path[256], call[300];
    json_t *params = json_object();
    make_path(path, sizeof(path), params);
    snprintf(call, sizeof call, "%s %s", pick(2) ? "GET" : "PUT", path);
    json_t *action = json_pack("{s:s}", "call", call);
    if (json_object_size(params))
        json_object_set(action, "path", params);
    json_decref(params);
    json_object_set_new(action, "query", make_entries(qkeys, 6, 3));
    json_object_set_new(action, "headers", make_entries(hkeys, 4, 3));
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:{s:{s:s, s:o, s:{s:s}, s:{s:s}}, s:{s:s, s:s}}}", "machine",
                  "req", "version", "1", "locale", "fr-FR", "states", "send", "type",
                  "action_then_prompt", "action", action, "on_success", "next", "bye", "on_fail",
                  "next", "bye", "bye", "type", "prompt_end", "prompt", "Au revoir.");
    ck_assert_ptr_nonnull(m);
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return text;
}

static char *make_url_ctx(void)
{
    json_t *ctx = make_ctx();
    for (int i = 0; i < 3; i++) {
        char key[8];
        snprintf(key, sizeof key, "u%d", i);
        json_object_set_new(
            ctx, key, json_string(url_strings[pick(sizeof(url_strings) / sizeof(*url_strings))]));
    }
    /* A string cannot hold a NUL (jansson and the answers' reader refuse \u0000): "nul" is a
     * missing value, said as nothing. */
    char *text = json_dumps(ctx, JSON_COMPACT);
    json_decref(ctx);
    return text;
}

/* One request built as the runtime builds it and as the reference reads the action. */
static void request_as_reference(const char *text, const char *ctx_json, int *built)
{
    ivrsm_machine *m = NULL;
    if (ivrsm_machine_load_buffer(text, strlen(text), IVRSM_FORMAT_JSON, "req.json", &m, NULL))
        return; /* a path the loader refuses */
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = ctx_json;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    while (ivrsm_session_next_command(s))
        ;
    const m_action *a = &m->states[0].action;
    ivrsm_tmpl_scope scope = ivrsm_s_scope(s);
    const char *why = NULL;
    int rc = ivrsm_s_emit_http(s, &m->states[0], &why);

    ivrsm_buf path = IVRSM_BUF_INIT(ivrsm_mem_default());
    ivrsm_buf query = IVRSM_BUF_INIT(ivrsm_mem_default());
    const char *want_why = ref_path(&path, a, &scope);
    ref_query(&query, a, &scope);
    ivrsm_buf headers[8];
    for (size_t i = 0; i < a->headers.count; i++) {
        headers[i] = (ivrsm_buf)IVRSM_BUF_INIT(ivrsm_mem_default());
        const char *refused = ref_header(&headers[i], &a->headers.items[i], &scope);
        if (!want_why)
            want_why = refused;
    }
    if (!want_why && path.len + (a->query.count ? 1 + query.len : 0) > IVRSM_MAX_PATH_BYTES)
        want_why = "request path and query longer than IVRSM_MAX_PATH_BYTES";
    if (want_why) {
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(why && !strcmp(why, want_why), "%s\nctx %s\nwhy %s, want %s", text, ctx_json,
                      why ? why : "(none)", want_why);
    } else {
        ck_assert_msg(rc == 0, "%s\nctx %s\nrefused: %s", text, ctx_json, why ? why : "-");
        const ivrsm_command *c = ivrsm_session_next_command(s);
        ck_assert_int_eq(c->type, IVRSM_COMMAND_HTTP);
        ck_assert_msg(!strcmp(c->http.path, ivrsm_buf_str(&path)), "%s\nctx %s\n%s / %s", text,
                      ctx_json, c->http.path, ivrsm_buf_str(&path));
        if (a->query.count)
            ck_assert_str_eq(c->http.query, ivrsm_buf_str(&query));
        else
            ck_assert_ptr_null(c->http.query);
        ck_assert_uint_eq(c->http.header_count, a->headers.count);
        for (size_t i = 0; i < a->headers.count; i++) {
            ck_assert_str_eq(c->http.headers[i].name, a->headers.items[i].key);
            ck_assert_str_eq(c->http.headers[i].value, ivrsm_buf_str(&headers[i]));
        }
        /* The idempotency key, with command ids of one digit to three. */
        for (int again = 0; again < (*built % 50 ? 1 : 120); again++) {
            char key[300];
            snprintf(key, sizeof key, "%s-%llu", s->session_id, (unsigned long long)c->id);
            ck_assert_str_eq(c->http.idempotency_key, key);
            ck_assert_int_eq(ivrsm_s_emit_http(s, &m->states[0], &why), 0);
            c = ivrsm_session_next_command(s);
        }
        (*built)++;
    }
    for (size_t i = 0; i < a->headers.count; i++)
        ivrsm_buf_free(&headers[i]);
    ivrsm_buf_free(&path);
    ivrsm_buf_free(&query);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}

/*
 * Paths, queries and headers worked out at load (lib/compiler/compile_request.c) give the
 * texts and the refusals of the action read at every request (path searched for braces,
 * parameters looked up by name, keys encoded), over generated actions and ctx values.
 */
START_TEST(generated_requests_as_read_before)
{
    int built = 0;
    for (int round = 0; round < 1500; round++) {
        char *text = make_request_machine();
        char *ctx_json = make_url_ctx();
        request_as_reference(text, ctx_json, &built);
        free(ctx_json);
        free(text);
    }
    ck_assert_int_gt(built, 300); /* most are sent; the others are refused as the reference */
}
END_TEST

/* A path of more parameters than are scanned (compile_request.c looks them up by name). */
START_TEST(many_path_parameters_found_by_name)
{
    char yaml[4096];
    size_t n = (size_t)snprintf(yaml, sizeof yaml,
                                "machine: p\nversion: \"1\"\nlocale: fr-FR\nstates:\n  send:\n"
                                "    type: action_then_prompt\n    action:\n      call: \"GET /x");
    for (int i = 0; i < 12; i++)
        n += (size_t)snprintf(yaml + n, sizeof yaml - n, "/{p%d}", 11 - i);
    n += (size_t)snprintf(yaml + n, sizeof yaml - n, "\"\n      path:\n");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(yaml + n, sizeof yaml - n, "        p%d: \"v%d/{{ctx.x}}\"\n", i, i);
    snprintf(yaml + n, sizeof yaml - n,
             "    on_success: { next: bye }\n  bye:\n    type: prompt_end\n"
             "    prompt: \"Au revoir.\"\n");
    ivrsm_machine *m = NULL;
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "p.yaml", &m, NULL), 0);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"x\":\"a b\"}";
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_HTTP);
    char want[512];
    size_t w = (size_t)snprintf(want, sizeof want, "/x");
    for (int i = 0; i < 12; i++)
        w += (size_t)snprintf(want + w, sizeof want - w, "/v%d%%2Fa%%20b", 11 - i);
    ck_assert_str_eq(c->http.path, want);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* Why an id is refused, as it was told before the check became one pass: its length, then a
 * control character, then UTF-8. */
static const char *ref_id_problem(const char *id, const char *what, size_t max)
{
    static const char *const messages[2][3] = {
        {"call_id is longer than IVRSM_MAX_ID_BYTES (256 bytes)",
         "call_id holds a control character", "call_id is not UTF-8"},
        {"session_id is longer than IVRSM_MAX_ID_BYTES (256 bytes)",
         "session_id holds a control character", "session_id is not UTF-8"}};
    int which = strcmp(what, "call_id") ? 1 : 0;
    if (strlen(id) > max)
        return messages[which][0];
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return messages[which][1];
    if (!ivrsm_utf8_valid(id, strlen(id)))
        return messages[which][2];
    return NULL;
}

/* Call and session ids made of letters, controls, DEL, UTF-8 whole and cut, of every length to
 * past the limit: each refused (or not) as before, with the same message. */
START_TEST(ids_checked_in_one_pass_as_before)
{
    static const char *const pieces[] = {"a",
                                         "Z9",
                                         "-",
                                         "_:",
                                         "\x01",
                                         "\x1f",
                                         "\x7f",
                                         " ",
                                         "\xc3\xa9",
                                         "\xc3",
                                         "\xe2\x82\xac",
                                         "\xe2\x82",
                                         "\xff",
                                         "\xf0\x9f\x98\x80",
                                         "\xed\xa0\x80",
                                         "\xc0\xaf"};
    char id[IVRSM_MAX_ID_BYTES + 40];
    int refused = 0;
    for (int round = 0; round < 4000; round++) {
        size_t n = 0, target = pick(8) ? pick(40) : IVRSM_MAX_ID_BYTES - 8 + pick(24);
        bool plain = pick(3) == 0;
        while (n < target) {
            const char *p =
                plain ? pieces[pick(3)] : pieces[pick(sizeof(pieces) / sizeof(*pieces))];
            size_t len = strlen(p);
            if (n + len >= sizeof(id))
                break;
            memcpy(id + n, p, len);
            n += len;
        }
        id[n] = '\0';
        for (int w = 0; w < 2; w++) {
            const char *what = w ? "session_id" : "call_id";
            const char *got = ivrsm_s_id_problem(id, what, IVRSM_MAX_ID_BYTES);
            const char *want = ref_id_problem(id, what, IVRSM_MAX_ID_BYTES);
            ck_assert_msg(got == want || (got && want && !strcmp(got, want)), "%s: %s / %s", what,
                          got ? got : "-", want ? want : "-");
            refused += want != NULL;
        }
    }
    ck_assert_ptr_null(ivrsm_s_id_problem(NULL, "call_id", IVRSM_MAX_ID_BYTES));
    ck_assert_int_gt(refused, 1000);
}
END_TEST

/*
 * Words said on the way: a machine's static message is shown as the machine holds it until
 * more words join it, then copied with them; either way the commands carry the same parts
 * and text, a snapshot taken in between carries them too, and nothing leaks or is freed twice.
 */
START_TEST(static_words_shown_then_joined)
{
    static const char yaml[] =
        "machine: w\nversion: \"1\"\nlocale: fr-FR\nstates:\n"
        "  first:\n    type: action_then_prompt\n    action: { call: \"GET /a\" }\n"
        "    on_success: { prompt: \"Merci.\", next: second }\n"
        "  second:\n    type: action_then_prompt\n    action: { call: \"GET /b\" }\n"
        "    on_success: { prompt: \"C'est fait.\", next: menu }\n"
        "  menu:\n    type: prompt_and_listen\n    prompt: \"Votre choix, {{ctx.name}} ?\"\n"
        "    routes:\n      - when_text: \"fin\"\n        next: bye\n"
        "  bye:\n    type: prompt_end\n    prompt: [ { say: \"Au revoir.\" }, { play: bye.wav } "
        "]\n";
    ivrsm_machine *m = NULL;
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "w.yaml", &m, NULL), 0);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"name\": \"Ana\"}";
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_ACTION_RESULT;
    ev.status = 200;
    ev.body = "{}";
    ev.command_id = c->id;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    /* "Merci." alone before the next request: a say command of the machine's words. */
    c = ivrsm_session_next_command(s);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_SAY);
    ck_assert_str_eq(c->text, "Merci.");
    ck_assert_uint_eq(c->part_count, 1);
    ck_assert_str_eq(c->parts[0].text, "Merci.");
    c = ivrsm_session_next_command(s);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_HTTP);
    ev.command_id = c->id;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    /* "C'est fait." joined by the question rendered for the call. */
    c = ivrsm_session_next_command(s);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_ASK);
    ck_assert_str_eq(c->text, "C'est fait. Votre choix, Ana ?");
    ck_assert_uint_eq(c->part_count, 1);
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ck_assert_ptr_nonnull(strstr(snap, "C'est fait. Votre choix, Ana ?"));
    ivrsm_session *again = NULL;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, NULL, &again, NULL), 0);
    ivrsm_free(snap);
    ivrsm_event no = IVRSM_EVENT_INIT;
    no.type = IVRSM_EVENT_NOINPUT;
    ck_assert_int_eq(ivrsm_session_feed(again, &no), 0);
    c = ivrsm_session_next_command(again); /* asked again: the state's own question */
    ck_assert_int_eq(c->type, IVRSM_COMMAND_ASK);
    ck_assert_str_eq(c->text, "Votre choix, Ana ?");
    ivrsm_event fin = IVRSM_EVENT_INIT;
    fin.type = IVRSM_EVENT_SPEECH;
    fin.text = "fin";
    ck_assert_int_eq(ivrsm_session_feed(again, &fin), 0);
    c = ivrsm_session_next_command(again);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_SAY);
    ck_assert_str_eq(c->text, "Au revoir.");
    ck_assert_uint_eq(c->part_count, 2);
    ck_assert_str_eq(c->parts[1].text, "bye.wav");
    ivrsm_session_free(again);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* ---- Command slots: each command as a slot zeroed whole would hold it ---- */

/* What a command built in a slot zeroed whole shows before its builder writes: its id, type,
 * state and language, nothing else. The fields its builder writes whole (an ask's pub.ask, an
 * http command's pub.http) are the builder's. */
static void as_zeroed_whole(const s_command *c, ivrsm_command_type type, uint64_t id,
                            const char *language)
{
    s_command ref;
    memset(&ref, 0, sizeof(ref));
    ck_assert_uint_eq(c->pub.size, sizeof(c->pub));
    ck_assert_int_eq(c->pub.type, type);
    ck_assert_uint_eq(c->pub.id, id);
    ck_assert_ptr_null(c->pub.state);
    ck_assert(c->pub.language == language);
    ck_assert_ptr_null(c->pub.text);
    if (type != IVRSM_COMMAND_ASK)
        ck_assert(!memcmp(&c->pub.ask, &ref.pub.ask, sizeof(ref.pub.ask)));
    if (type != IVRSM_COMMAND_HTTP)
        ck_assert(!memcmp(&c->pub.http, &ref.pub.http, sizeof(ref.pub.http)));
    ck_assert(!memcmp(&c->pub.handoff, &ref.pub.handoff, sizeof(ref.pub.handoff)));
    ck_assert(!memcmp(&c->pub.hangup, &ref.pub.hangup, sizeof(ref.pub.hangup)));
    ck_assert_ptr_null(c->pub.parts);
    ck_assert_uint_eq(c->pub.part_count, 0);
    /* The session's own fields, from speech to the end, as one run of bytes. */
    ck_assert(!memcmp(&c->speech, &ref.speech, sizeof(ref) - offsetof(s_command, speech)));
}

/* Whatever a builder of `type` may write, nonzero, in c (owned strings from the session). */
static void build_as(ivrsm_session *s, s_command *c, ivrsm_command_type type)
{
    static const char *const hints[] = {"oui", "non"};
    static const ivrsm_header header = {"Authorization", "Bearer t"};
    c->pub.text = "mots";
    c->pub.state = "st";
    if (type == IVRSM_COMMAND_SAY || type == IVRSM_COMMAND_ASK || type == IVRSM_COMMAND_HANDOFF) {
        ck_assert_int_eq(ivrsm_s_speech_add(s->mem, &c->speech, IVRSM_PART_SAY, "un"), 0);
        ck_assert_int_eq(ivrsm_s_speech_add(s->mem, &c->speech, IVRSM_PART_PLAY, "b.wav"), 0);
        c->text = ivrsm_mem_strdup(s->mem, "un");
    }
    switch (type) {
    case IVRSM_COMMAND_ASK:
        c->pub.ask.dtmf = c->pub.ask.speech = c->pub.ask.barge_in = 1;
        c->pub.ask.min_digits = 1 + (int)pick(6);
        c->pub.ask.max_digits = 6 + (int)pick(6);
        c->pub.ask.terminators = "#";
        c->pub.ask.timeout_ms = c->pub.ask.digit_timeout_ms = 1 + (int)pick(5000);
        c->pub.ask.hints = hints;
        c->pub.ask.hint_count = 2;
        c->pub.ask.collect = "otp";
        break;
    case IVRSM_COMMAND_HTTP:
        c->pub.http.endpoint = "e";
        c->pub.http.method = "GET";
        c->pub.http.timeout_ms = 1 + (int)pick(5000);
        c->http_texts = ivrsm_mem_malloc(s->mem, 64);
        ck_assert_ptr_nonnull(c->http_texts);
        strcpy(c->http_texts, "/p");
        c->path = c->query = c->body = c->idempotency_key = c->http_texts;
        c->headers = (ivrsm_header *)&header;
        c->header_count = 1;
        break;
    case IVRSM_COMMAND_HANDOFF:
        c->queue = ivrsm_mem_strdup(s->mem, "agents");
        c->context = ivrsm_mem_strdup(s->mem, "{}");
        break;
    case IVRSM_COMMAND_HANGUP:
        c->reason = ivrsm_mem_strdup(s->mem, "why");
        break;
    case IVRSM_COMMAND_SAY:
        break;
    }
}

/*
 * Commands of every type, built in turn in the session's command slots (and past them, where
 * the queue moves to the heap), pulled, released or discarded as a call does: before its
 * builder writes, each shows exactly what a slot zeroed whole would (the code before cleared
 * each slot whole, or all but a say's or an ask's fields after one of those). The builders'
 * writes are drawn over everything a builder of the type may write; the sanitizers' build
 * checks that no string of a command before is freed twice or lost.
 */
START_TEST(command_slots_as_zeroed_whole)
{
    ivrsm_machine *m = NULL;
    static const char yaml[] = "machine: c\nversion: \"1\"\nstates:\n"
                               "  a:\n    type: prompt_and_listen\n    prompt: \"Oui ?\"\n"
                               "    routes:\n      - when_text: \"oui\"\n        next: a\n";
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "c.yaml", &m, NULL), 0);
    seed = 777u;
    size_t built = 0, inline_built = 0;
    for (int session = 0; session < 40; session++) {
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
        for (int round = 0; round < 100; round++) {
            /* The last rounds of a session queue more than its slots hold: the queue moves to
             * the heap, and stays there. */
            bool past_slots = round >= 95;
            size_t batch = 1 + pick(past_slots ? 5 : 2);
            for (size_t k = 0; k < batch; k++) {
                ivrsm_command_type type = (ivrsm_command_type)(1 + pick(5));
                uint64_t id = s->next_id;
                s_command *c = ivrsm_s_command_new(s, type);
                ck_assert_ptr_nonnull(c);
                as_zeroed_whole(c, type, id,
                                type == IVRSM_COMMAND_SAY || type == IVRSM_COMMAND_ASK ||
                                        type == IVRSM_COMMAND_HANDOFF
                                    ? m->language_tags[0]
                                    : NULL);
                built++;
                inline_built += s->queue == s->queue_inline;
                if (pick(4) != 0)
                    build_as(s, c, type); /* else a builder that failed early */
                if (pick(6) == 0)
                    ivrsm_s_command_discard(s, c);
                else
                    ck_assert_int_eq(ivrsm_s_queue_push(s, c), 0);
            }
            /* Pulled one by one, each released at the next call; past the slots, some left
             * queued for the next round. */
            size_t pulls = past_slots && pick(2) ? pick(batch + 1) : batch;
            for (size_t k = 0; k < pulls; k++)
                ivrsm_session_next_command(s);
            if (pick(3) == 0)
                ivrsm_s_queue_clear(s);
            else
                ivrsm_s_release_out(s);
        }
        ivrsm_session_free(s);
    }
    ck_assert_uint_gt(built, inline_built);
    ck_assert_uint_gt(inline_built, 5000);
    ivrsm_machine_unref(m);
}
END_TEST

static Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("body");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, generated_bodies_as_jansson_wrote_them);
    tcase_add_test(tc, body_past_text_bound_fails_whole);
    tcase_add_test(tc, generated_requests_as_read_before);
    tcase_add_test(tc, many_path_parameters_found_by_name);
    tcase_add_test(tc, ids_checked_in_one_pass_as_before);
    tcase_add_test(tc, json_strings_as_jansson_at_every_position);
    tcase_add_test(tc, header_bytes_checked_at_every_position);
    tcase_add_test(tc, static_words_shown_then_joined);
    tcase_add_test(tc, command_slots_as_zeroed_whole);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(request_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
