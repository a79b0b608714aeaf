/*
 * Numbers said as they were written. jansson keeps a JSON number as a
 * double, so "12.50" from a backend would be said "12.5". The texts of such
 * numbers are kept here, by value: the value stays the same jansson object
 * when a `set:` copies it into ctx ({{resp.amount}} keeps its type), so
 * rendering finds its text wherever it went.
 *
 * Only a number written with a fraction and without an exponent whose text
 * is not what would be said anyway is kept ("12.50", "3.0"; not "12.5",
 * "1e3" or "-0.0", which are said 12.5, 1000 and 0).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

#define NUMTEXTS_MAX 512 /* texts kept per session at most: a bound on memory */
#define SCAN_MAX_DEPTH 128

void ivrsm_numtexts_free(ivrsm_numtexts *n)
{
    for (size_t i = 0; i < n->count; i++) {
        json_decref((json_t *)n->values[i]);
        ivrsm_mem_free(n->mem, n->texts[i]);
    }
    ivrsm_mem_free(n->mem, n->values);
    ivrsm_mem_free(n->mem, n->texts);
    *n = (ivrsm_numtexts){.mem = n->mem};
}

const char *ivrsm_numtexts_find(const ivrsm_numtexts *n, const json_t *v)
{
    for (size_t i = 0; n && i < n->count; i++)
        if (n->values[i] == v)
            return n->texts[i];
    return NULL;
}

void ivrsm_numtexts_purge(ivrsm_numtexts *n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n->count; i++) {
        /* Held by nobody else: no template can reach it any more. */
        if (n->values[i]->refcount <= 1) {
            json_decref((json_t *)n->values[i]);
            ivrsm_mem_free(n->mem, n->texts[i]);
            continue;
        }
        n->values[kept] = n->values[i];
        n->texts[kept++] = n->texts[i];
    }
    n->count = kept;
}

/* Whether a number token is one to keep as written: -?DIGITS.DIGITS, said otherwise. */
bool ivrsm_numtexts_worth(const ivrsm_numtexts *n, const json_t *v, const char *text, size_t len)
{
    (void)n;
    return json_is_real(v) && ivrsm_numtext_worth(json_real_value(v), text, len);
}

bool ivrsm_numtext_worth(double v, const char *text, size_t len)
{
    if (len > 64 || len < 3)
        return false;
    size_t i = text[0] == '-', digits = 0, dot = 0;
    for (; i < len; i++) {
        if (text[i] == '.' && !dot && digits)
            dot = i;
        else if (text[i] >= '0' && text[i] <= '9')
            digits++;
        else
            return false;
    }
    if (!dot || dot == len - 1)
        return false;
    if (v == 0 && text[0] == '-')
        return false; /* -0.0 is said 0 */
    char stack[80];
    ivrsm_buf b;
    ivrsm_buf_on(&b, ivrsm_mem_default(), stack, sizeof(stack));
    bool differs = ivrsm_tmpl_append_real(&b, v) == 0 &&
                   (b.len != len || memcmp(ivrsm_buf_str(&b), text, len) != 0);
    ivrsm_buf_free(&b);
    return differs;
}

int ivrsm_numtexts_add(ivrsm_numtexts *n, const json_t *v, const char *text, size_t len)
{
    for (size_t i = 0; i < n->count; i++) {
        if (n->values[i] == v) {
            char *copy = ivrsm_mem_strndup(n->mem, text, len);
            if (!copy)
                return -1;
            ivrsm_mem_free(n->mem, n->texts[i]);
            n->texts[i] = copy;
            return 0;
        }
    }
    if (n->count == NUMTEXTS_MAX)
        ivrsm_numtexts_purge(n);
    if (n->count == NUMTEXTS_MAX)
        return 0; /* full: said as a number is said */
    if (n->count == n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 8;
        const json_t **values = ivrsm_mem_realloc(n->mem, n->values, cap * sizeof(*values));
        if (!values)
            return -1;
        n->values = values;
        char **texts = ivrsm_mem_realloc(n->mem, n->texts, cap * sizeof(*texts));
        if (!texts)
            return -1;
        n->texts = texts;
        n->cap = cap;
    }
    char *copy = ivrsm_mem_strndup(n->mem, text, len);
    if (!copy)
        return -1;
    n->values[n->count] = json_incref((json_t *)v);
    n->texts[n->count++] = copy;
    return 0;
}

/* --- A walk of the JSON text beside the tree jansson parsed from it ------------------ */

typedef struct scanner {
    const char *p, *end;
    ivrsm_numtexts *n;
    int failed; /* stop: the text and the tree disagree, or memory ran out */
    int nomem;
} scanner;

static void skip_space(scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* A string token; its decoded text into key (cut at cap) when key is not NULL. */
static void scan_string(scanner *s, char *key, size_t cap)
{
    size_t k = 0;
    s->p++; /* the opening quote */
    while (s->p < s->end && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\' && s->p < s->end) {
            char e = *s->p++;
            if (e == 'u') {
                /* Keys with \u escapes are matched as jansson decoded them: not worth it
                 * here, the value is then simply said as a number is. */
                s->p += (s->end - s->p >= 4) ? 4 : (s->end - s->p);
                c = '\x01';
            } else {
                c = e == 'n'   ? '\n'
                    : e == 't' ? '\t'
                    : e == 'r' ? '\r'
                    : e == 'b' ? '\b'
                    : e == 'f' ? '\f'
                               : e;
            }
        }
        if (key && k + 1 < cap)
            key[k++] = c;
    }
    if (key)
        key[k] = '\0';
    if (s->p < s->end)
        s->p++;
}

static void scan_value(scanner *s, const json_t *v, int depth);

static void scan_object(scanner *s, const json_t *v, int depth)
{
    char key[256];
    s->p++;
    for (;;) {
        skip_space(s);
        if (s->p >= s->end || *s->p == '}') {
            s->p += s->p < s->end;
            return;
        }
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p != '"') {
            s->failed = 1;
            return;
        }
        scan_string(s, key, sizeof(key));
        skip_space(s);
        if (s->p < s->end && *s->p == ':')
            s->p++;
        skip_space(s);
        scan_value(s, strchr(key, '\x01') ? NULL : json_object_get(v, key), depth + 1);
        if (s->failed)
            return;
    }
}

static void scan_array(scanner *s, const json_t *v, int depth)
{
    size_t i = 0;
    s->p++;
    for (;;) {
        skip_space(s);
        if (s->p >= s->end || *s->p == ']') {
            s->p += s->p < s->end;
            return;
        }
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        scan_value(s, json_array_get(v, i++), depth + 1);
        if (s->failed)
            return;
    }
}

static void scan_value(scanner *s, const json_t *v, int depth)
{
    skip_space(s);
    if (s->p >= s->end || depth > SCAN_MAX_DEPTH) {
        s->failed = 1;
        return;
    }
    char c = *s->p;
    if (c == '{') {
        scan_object(s, v, depth);
    } else if (c == '[') {
        scan_array(s, v, depth);
    } else if (c == '"') {
        scan_string(s, NULL, 0);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        const char *start = s->p;
        while (s->p < s->end && strchr("+-.0123456789eE", *s->p))
            s->p++;
        size_t len = (size_t)(s->p - start);
        if (v && ivrsm_numtexts_worth(s->n, v, start, len) &&
            ivrsm_numtexts_add(s->n, v, start, len) != 0)
            s->failed = s->nomem = 1;
    } else {
        while (s->p < s->end && strchr("truefalsn", *s->p)) /* true, false, null */
            s->p++;
        if (s->p < s->end && !strchr(" \t\r\n,]}", *s->p))
            s->failed = 1;
    }
}

int ivrsm_numtexts_scan(ivrsm_numtexts *n, const json_t *root, const char *text, size_t len)
{
    scanner s = {text, text + len, n, 0, 0};
    scan_value(&s, root, 0);
    return s.nomem ? IVRSM_ENOMEM : s.failed ? -1 : 0;
}
