/*
 * A document's tree written as JSON text (ivrsm_node_json, ivrsm convert):
 * keys in document order, and numbers as written wherever JSON reads the
 * same text: an amount written 12.50 stays 12.50 (a machine converted to
 * JSON says "12.50 euros" as the YAML one did; a canned answer written in
 * YAML is sent as the backend would send it). Numbers JSON cannot read as
 * written (.5, 0x1F, +3, 1_0 is a string anyway) are written from their
 * value: integers in decimal, reals with the fewest digits that read back
 * exactly, always with a fraction or an exponent, as jansson writes reals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dom.h"
#include "utf8.h"

/* Whether text is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (RFC 8259, 6). */
static bool json_number_text(const char *t, size_t len)
{
    const char *p = t, *end = t + len;
    if (p < end && *p == '-')
        p++;
    if (p == end || !(*p >= '0' && *p <= '9'))
        return false;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        const char *digits = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == digits)
            return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *digits = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == digits)
            return false;
    }
    return p == end;
}

/* A real from its value: the fewest digits (1..17) that read back exactly, ".0" when integral. */
static void put_real(ivrsm_buf *b, double x)
{
    char text[40];
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(text, sizeof(text), "%.*g", digits, x);
        if (strtod(text, NULL) == x)
            break;
    }
    ivrsm_buf_puts(b, text);
    if (!strpbrk(text, ".eE"))
        ivrsm_buf_puts(b, ".0");
}

static void put_number(ivrsm_buf *b, const dom_node *n)
{
    bool integral_text = n->text && !strpbrk(n->text, ".eE");
    /* An integer keeps its text only when JSON reads it as that integer ("-0" is 0). */
    if (n->text && json_number_text(n->text, n->len) &&
        (n->kind == DOM_REAL || (integral_text && strcmp(n->text, "-0") != 0)))
        ivrsm_buf_append(b, n->text, n->len);
    else if (n->kind == DOM_INT)
        ivrsm_buf_printf(b, "%lld", (long long)n->as.integer);
    else
        put_real(b, n->as.real);
}

/* Text JSON can hold: UTF-8 without NUL. */
static bool json_text(const char *s, size_t len)
{
    return ivrsm_utf8_valid(s, len) && !memchr(s, '\0', len);
}

typedef struct writer {
    ivrsm_buf *b;
    int indent; /* spaces per level; 0 for compact */
    const dom_node **bad;
} writer;

/* Between items: "," and, when indenting, a new line at `depth`. */
static void next_line(writer *w, int depth)
{
    if (!w->indent)
        return;
    ivrsm_buf_putc(w->b, '\n');
    for (int i = 0; i < depth * w->indent; i++)
        ivrsm_buf_putc(w->b, ' ');
}

static bool write_node(writer *w, const dom_node *n, int depth);

static bool write_list(writer *w, const dom_node *n, int depth)
{
    ivrsm_buf_putc(w->b, '[');
    for (size_t i = 0; i < n->count; i++) {
        if (i)
            ivrsm_buf_putc(w->b, ',');
        next_line(w, depth + 1);
        if (!write_node(w, n->items[i], depth + 1))
            return false;
    }
    if (n->count)
        next_line(w, depth);
    return ivrsm_buf_putc(w->b, ']') == 0;
}

static bool write_map(writer *w, const dom_node *n, int depth)
{
    ivrsm_buf_putc(w->b, '{');
    for (size_t i = 0; i < n->count; i++) {
        const dom_pair *kv = &n->pairs[i];
        if (!json_text(kv->key, kv->key_len)) {
            *w->bad = n;
            return false;
        }
        if (i)
            ivrsm_buf_putc(w->b, ',');
        next_line(w, depth + 1);
        ivrsm_buf_json_string(w->b, kv->key, kv->key_len);
        ivrsm_buf_puts(w->b, w->indent ? ": " : ":");
        if (!write_node(w, kv->value, depth + 1))
            return false;
    }
    if (n->count)
        next_line(w, depth);
    return ivrsm_buf_putc(w->b, '}') == 0;
}

static bool write_node(writer *w, const dom_node *n, int depth)
{
    switch ((dom_kind)n->kind) {
    case DOM_NULL:
        return ivrsm_buf_puts(w->b, "null") == 0;
    case DOM_BOOL:
        return ivrsm_buf_puts(w->b, n->as.boolean ? "true" : "false") == 0;
    case DOM_INT:
    case DOM_REAL:
        if (n->kind == DOM_REAL && !isfinite(n->as.real)) {
            *w->bad = n;
            return false;
        }
        put_number(w->b, n);
        return true;
    case DOM_STRING:
        if (!json_text(n->text, n->len)) {
            *w->bad = n;
            return false;
        }
        return ivrsm_buf_json_string(w->b, n->text, n->len) == 0;
    case DOM_LIST:
        return write_list(w, n, depth);
    case DOM_MAP:
        return write_map(w, n, depth);
    }
    return false;
}

int ivrsm_dom_write_json(ivrsm_buf *b, const dom_node *n, int indent, const dom_node **bad)
{
    *bad = NULL;
    writer w = {.b = b, .indent = indent, .bad = bad};
    if (!write_node(&w, n, 0))
        return *bad ? IVRSM_EINVAL : IVRSM_ENOMEM;
    return b->failed ? IVRSM_ENOMEM : 0;
}
