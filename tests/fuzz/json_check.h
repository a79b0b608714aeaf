/*
 * Whether a text is one JSON value (RFC 8259, in UTF-8), without building
 * it: the fuzz targets check every request body and handoff context the
 * library writes, and jansson's json_loads() builds a whole tree for each,
 * which cost more than the call that wrote them. It differs from jansson at
 * the edges the library never writes: "\u0000" is a string here (jansson
 * refuses it by default), and JSON_CHECK_DEPTH bounds containers (jansson's
 * 2048 counts a scalar inside them too).
 */
#ifndef IVRSM_FUZZ_JSON_CHECK_H
#define IVRSM_FUZZ_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"

#define JSON_CHECK_DEPTH 2048

typedef struct json_check {
    const unsigned char *p;
    const unsigned char *end;
    int depth;
} json_check;

static inline void json_check_space(json_check *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static inline bool json_check_literal(json_check *j, const char *word)
{
    for (; *word; word++, j->p++)
        if (j->p >= j->end || *j->p != (unsigned char)*word)
            return false;
    return true;
}

static inline bool json_check_digits(json_check *j)
{
    const unsigned char *start = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > start;
}

static inline bool json_check_number(json_check *j)
{
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (!json_check_digits(j))
        return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!json_check_digits(j))
            return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!json_check_digits(j))
            return false;
    }
    return true;
}

static inline int json_check_hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* \uXXXX at j->p (after the backslash and 'u'); the code unit, or -1. */
static inline long json_check_unit(json_check *j)
{
    if (j->end - j->p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = json_check_hex(j->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    j->p += 4;
    return v;
}

/* One escape after the backslash; a high surrogate must be followed by a low one. */
static inline bool json_check_escape(json_check *j)
{
    if (j->p >= j->end)
        return false;
    unsigned char c = *j->p++;
    if (c != 'u')
        return c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
               c == 't';
    long u = json_check_unit(j);
    if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
        return false;
    if (u < 0xD800 || u > 0xDBFF)
        return true;
    if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
        return false;
    j->p += 2;
    long low = json_check_unit(j);
    return low >= 0xDC00 && low <= 0xDFFF;
}

/* One UTF-8 sequence of 2 to 4 bytes starting at j->p (shortest form, no surrogates). */
static inline bool json_check_utf8(json_check *j)
{
    unsigned char c = *j->p;
    int n = c >= 0xC2 && c <= 0xDF   ? 2
            : c >= 0xE0 && c <= 0xEF ? 3
            : c >= 0xF0 && c <= 0xF4 ? 4
                                     : 0;
    if (!n || j->end - j->p < n)
        return false;
    unsigned long cp = c & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((j->p[i] & 0xC0) != 0x80)
            return false;
        cp = cp << 6 | (j->p[i] & 0x3F);
    }
    static const unsigned long least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
    j->p += n;
    return true;
}

/*
 * Whether any of the 8 bytes of w is a quote, a backslash, a control
 * character or not ASCII: the bytes a string's scan must look at one by one
 * (the others are taken eight at a time). Exact per word, not per byte.
 */
static inline bool json_check_word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    /* A byte below 0x20, or a zero byte in quote or backslash, sets its high bit below;
     * a byte of w from 0x80 sets it through w itself. */
    uint64_t low = (w - ones * 0x20) & ~w;
    uint64_t zq = (quote - ones) & ~quote, zb = (backslash - ones) & ~backslash;
    return ((low | zq | zb) & highs) || (w & highs);
}

static inline bool json_check_string(json_check *j)
{
    j->p++; /* the opening quote */
    while (j->p < j->end) {
        uint64_t w;
        if (j->end - j->p >= 8 && (memcpy(&w, j->p, 8), !json_check_word_special(w))) {
            j->p += 8;
            continue;
        }
        unsigned char c = *j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            j->p++;
            if (!json_check_escape(j))
                return false;
        } else if (c < 0x80) {
            j->p++;
        } else if (!json_check_utf8(j)) {
            return false;
        }
    }
    return false;
}

FUZZ_PLAIN static bool json_check_value(json_check *j);

/* An object's or an array's members, after its opening bracket. */
static inline bool json_check_members(json_check *j, unsigned char close, bool keyed)
{
    json_check_space(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        if (keyed) {
            if (j->p >= j->end || *j->p != '"' || !json_check_string(j))
                return false;
            json_check_space(j);
            if (j->p >= j->end || *j->p++ != ':')
                return false;
        }
        if (!json_check_value(j))
            return false;
        json_check_space(j);
        if (j->p >= j->end)
            return false;
        unsigned char c = *j->p++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
        json_check_space(j);
    }
}

FUZZ_PLAIN static bool json_check_value(json_check *j)
{
    json_check_space(j);
    if (j->p >= j->end)
        return false;
    switch (*j->p) {
    case '{':
    case '[': {
        bool object = *j->p == '{';
        if (++j->depth > JSON_CHECK_DEPTH)
            return false;
        j->p++;
        bool ok = json_check_members(j, object ? '}' : ']', object);
        j->depth--;
        return ok;
    }
    case '"':
        return json_check_string(j);
    case 't':
        return json_check_literal(j, "true");
    case 'f':
        return json_check_literal(j, "false");
    case 'n':
        return json_check_literal(j, "null");
    default:
        return json_check_number(j);
    }
}

/* text[0..len) is one JSON value (an object when want_object), spaces around it allowed. */
FUZZ_PLAIN static bool json_check_text(const char *text, size_t len, bool want_object)
{
    json_check j = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    json_check_space(&j);
    if (want_object && (j.p >= j.end || *j.p != '{'))
        return false;
    if (!json_check_value(&j))
        return false;
    json_check_space(&j);
    return j.p == j.end;
}

#endif
