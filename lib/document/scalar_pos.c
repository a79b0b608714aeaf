/*
 * Positions inside a string scalar: where the character at a byte offset of
 * its value was written in the document, through quotes, escapes, folded
 * lines and the indentation of block scalars. A template error then points
 * at the line and column of the mistake, not at the start of a long prompt.
 *
 * The value and the source differ only in whitespace (folding, indentation,
 * escaped line breaks), in escapes and in doubled single quotes. So the
 * walk pairs the value's non-blank characters with the source's, one by
 * one, checking that each pair is the same character; any difference (a
 * ${globals} reference substituted inside the text, say) gives up rather
 * than point at the wrong place.
 */
#include <stdbool.h>
#include <string.h>

#include "dom.h"
#include "utf8.h"

typedef struct cursor {
    const char *s;
    size_t len;
    size_t at;
} cursor;

static bool blank(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The code point at c->at and its length in bytes (0 at the end or on bad UTF-8). */
static size_t peek_char(const cursor *c, uint32_t *cp)
{
    if (c->at >= c->len)
        return 0;
    unsigned char b = (unsigned char)c->s[c->at];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    return (size_t)ivrsm_utf8_decode((const unsigned char *)c->s + c->at, c->len - c->at, cp);
}

static int hex_value(char h)
{
    if (h >= '0' && h <= '9')
        return h - '0';
    if (h >= 'a' && h <= 'f')
        return h - 'a' + 10;
    if (h >= 'A' && h <= 'F')
        return h - 'A' + 10;
    return -1;
}

/* n hex digits at s[at..]; -1 when they are not there. */
static long read_hex(const cursor *c, size_t at, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        int h = at + (size_t)i < c->len ? hex_value(c->s[at + (size_t)i]) : -1;
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* What a one-letter escape of YAML's double-quoted style (JSON's are a subset) stands for. */
static long simple_escape(char e)
{
    static const char from[] = "0abtnvfre \"/\\N_LP\t";
    static const long to[] = {0,   7,   8,   9,    10,   11,   12,     13,     27,
                              ' ', '"', '/', '\\', 0x85, 0xA0, 0x2028, 0x2029, '\t'};
    const char *p = e ? strchr(from, e) : NULL;
    return p ? to[p - from] : -1;
}

/*
 * One character of a double-quoted scalar at c->at (past the opening quote):
 * its code point and byte length. An escaped line break gives length > 0 and
 * *cp = ' ' (it is blank, like the folding it replaces). 0 at the closing
 * quote or on anything unexpected.
 */
static size_t double_quoted_char(const cursor *c, uint32_t *cp)
{
    if (c->at >= c->len || c->s[c->at] == '"')
        return 0;
    if (c->s[c->at] != '\\')
        return peek_char(c, cp);
    if (c->at + 1 >= c->len)
        return 0;
    char e = c->s[c->at + 1];
    if (e == '\n' || e == '\r') {
        *cp = ' ';
        return 2 + (e == '\r' && c->at + 2 < c->len && c->s[c->at + 2] == '\n');
    }
    int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (!digits) {
        long v = simple_escape(e);
        if (v < 0)
            return 0;
        *cp = (uint32_t)v;
        return 2;
    }
    long v = read_hex(c, c->at + 2, digits);
    if (v < 0)
        return 0;
    size_t n = 2 + (size_t)digits;
    /* JSON writes a character beyond U+FFFF as two escaped surrogates. */
    if (v >= 0xD800 && v <= 0xDBFF && c->at + n + 6 <= c->len && c->s[c->at + n] == '\\' &&
        c->s[c->at + n + 1] == 'u') {
        long low = read_hex(c, c->at + n + 2, 4);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
            n += 6;
        }
    }
    *cp = (uint32_t)v;
    return n;
}

/* One character of a single-quoted scalar: '' is one quote; 0 at the closing quote. */
static size_t single_quoted_char(const cursor *c, uint32_t *cp)
{
    if (c->at < c->len && c->s[c->at] == '\'') {
        if (c->at + 1 < c->len && c->s[c->at + 1] == '\'') {
            *cp = '\'';
            return 2;
        }
        return 0;
    }
    return peek_char(c, cp);
}

/* Byte offset of line/column (1-based, column in characters); len when out of range. */
static size_t offset_of(const char *s, size_t len, int line, int column)
{
    size_t i = 0;
    for (int l = 1; l < line && i < len; i++)
        if (s[i] == '\n')
            l++;
    for (int col = 1; col < column && i < len && s[i] != '\n'; col++) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

static void line_column_at(const char *s, size_t offset, int *line, int *column)
{
    int l = 1;
    for (size_t i = 0; i < offset; i++)
        if (s[i] == '\n')
            l++;
    *line = l;
    *column = ivrsm_utf8_column_at(s, offset);
}

typedef enum scalar_kind { SCALAR_PLAIN, SCALAR_SINGLE, SCALAR_DOUBLE, SCALAR_BLOCK } scalar_kind;

/* Where the characters of `n` start in the source, and how they are written. */
static bool scalar_start(const dom_doc *doc, const dom_node *n, cursor *c, scalar_kind *kind)
{
    c->s = doc->source;
    c->len = doc->source_len;
    c->at = offset_of(c->s, c->len, n->line, n->column);
    if (c->at >= c->len)
        return false;
    char first = c->s[c->at];
    if (first == '"' || first == '\'') {
        *kind = first == '"' ? SCALAR_DOUBLE : SCALAR_SINGLE;
        c->at++;
    } else if (n->style == DOM_STYLE_BLOCK) {
        *kind = SCALAR_BLOCK;
        /* The header line (`>-`, `|2`, a comment) is not content. */
        if (first == '>' || first == '|') {
            while (c->at < c->len && c->s[c->at] != '\n')
                c->at++;
        }
    } else {
        *kind = SCALAR_PLAIN;
    }
    return true;
}

static size_t source_char(const cursor *c, scalar_kind kind, uint32_t *cp)
{
    switch (kind) {
    case SCALAR_DOUBLE:
        return double_quoted_char(c, cp);
    case SCALAR_SINGLE:
        return single_quoted_char(c, cp);
    default:
        return peek_char(c, cp);
    }
}

int ivrsm_dom_scalar_pos(const dom_doc *doc, const dom_node *n, size_t offset, int *line,
                         int *column)
{
    if (!doc->source || n->kind != DOM_STRING || offset > n->len || n->line <= 0 || n->column <= 0)
        return -1;
    cursor src, val = {n->text, n->len, 0};
    scalar_kind kind;
    if (!scalar_start(doc, n, &src, &kind))
        return -1;
    size_t after_last = src.at; /* just past the last character paired */
    for (;;) {
        /* The next non-blank character of the value, at or after `offset`? */
        uint32_t want = 0;
        size_t wn = 0;
        while ((wn = peek_char(&val, &want)) > 0 && blank(want))
            val.at += wn;
        bool target = val.at >= offset;
        if (wn == 0 && val.at < val.len)
            return -1;
        if (wn == 0 || (target && offset < n->len && blank((unsigned char)n->text[offset]))) {
            /* The offset is at the end or on a blank: just after the last character. */
            line_column_at(src.s, after_last, line, column);
            return 0;
        }
        uint32_t got = 0;
        size_t gn;
        while ((gn = source_char(&src, kind, &got)) > 0 && blank(got))
            src.at += gn;
        if (gn == 0 || got != want)
            return -1;
        if (target) {
            line_column_at(src.s, src.at, line, column);
            return 0;
        }
        val.at += wn;
        src.at += gn;
        after_last = src.at;
    }
}
