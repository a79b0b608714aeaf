/*
 * JSON text read as jansson reads it (json_scan.h): strings with their
 * escapes, numbers' grammar and integers' range.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_scan.h"
#include "utf8.h"

static int hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(ivrsm_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return ivrsm_buf_append(b, u, n);
}

/* One escape after its backslash (at *p), decoded into text; -1 when invalid. */
static int read_escape(const char **p, const char *end, ivrsm_buf *text)
{
    char c = *(*p)++;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *at = c ? strchr(from, c) : NULL;
    if (at)
        return ivrsm_buf_putc(text, to[at - from]);
    if (c != 'u')
        return -1;
    uint32_t cp;
    if (hex4(*p, end, &cp) != 0)
        return -1;
    *p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return -1; /* a low surrogate first */
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t low;
        if (end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u' || hex4(*p + 2, end, &low) != 0 ||
            low < 0xDC00 || low > 0xDFFF)
            return -1;
        *p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp == 0)
        return -1; /* \u0000: jansson refuses it without JSON_ALLOW_NUL */
    return put_utf8(text, cp);
}

int ivrsm_json_scan_string_whole(const char **p, const char *end, ivrsm_buf *text, const char **s,
                                 size_t *len)
{
    const char *at = *p, *start = at;
    bool escaped = false;
    for (;;) {
        const char *from = at;
        at = ivrsm_json_plain_end(at, end);
        if (escaped && at > from && ivrsm_buf_append(text, from, (size_t)(at - from)) != 0)
            return -1;
        if (at >= end)
            return -1; /* no closing quote */
        unsigned char c = (unsigned char)*at;
        if (c == '"') {
            if (escaped) {
                *s = ivrsm_buf_str(text);
                *len = text->len;
            } else {
                *s = start;
                *len = (size_t)(at - start);
            }
            *p = at + 1;
            return 0;
        }
        if (c < 0x20)
            return -1; /* control characters are escaped in JSON */
        if (c == '\\') {
            if (!escaped) {
                ivrsm_buf_reset(text);
                escaped = true;
                if (ivrsm_buf_append(text, start, (size_t)(at - start)) != 0)
                    return -1;
            }
            at++;
            if (at >= end || read_escape(&at, end, text) != 0)
                return -1;
            continue;
        }
        /* From 0x80 on: a UTF-8 sequence, whole and valid. */
        uint32_t cp;
        int n = ivrsm_utf8_decode((const unsigned char *)at, (size_t)(end - at), &cp);
        if (n <= 0)
            return -1;
        if (escaped && ivrsm_buf_append(text, at, (size_t)n) != 0)
            return -1;
        at += n;
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const char *ivrsm_json_scan_number(const char *p, const char *end, bool *real, bool *exponent)
{
    *real = *exponent = false;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return NULL;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return NULL; /* a leading zero */
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        *real = true;
        p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *real = *exponent = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    return p;
}

int ivrsm_json_int_value(const char *s, size_t len, json_int_t *out)
{
    bool negative = s[0] == '-';
    unsigned long long limit = negative ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    unsigned long long v = 0;
    for (size_t i = negative; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return -1; /* jansson: "too big integer" */
        v = v * 10 + d;
    }
    *out = negative ? (json_int_t)(0 - v) : (json_int_t)v;
    return 0;
}

bool ivrsm_json_int_range_error(const char *jansson_text, char *out, size_t size)
{
    static const char *const prefixes[] = {"too big integer near '",
                                           "too big negative integer near '"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(jansson_text, prefixes[i], n) != 0)
            continue;
        const char *number = jansson_text + n;
        size_t len = strlen(number);
        if (len < 2 || number[len - 1] != '\'')
            return false;
        snprintf(out, size, "the integer %.*s is out of range (" IVRSM_INT_RANGE ")",
                 (int)(len - 1), number);
        return true;
    }
    return false;
}

void ivrsm_json_error_unquoted(const char *jansson_text, char *out, size_t size)
{
    if (!strncmp(jansson_text, "too big ", 8)) {
        snprintf(out, size, "an integer is out of range (" IVRSM_INT_RANGE ")");
        return;
    }
    /* jansson's one message that quotes without "near": "invalid Unicode '\\uD834\\u0031'",
     * the code units of a string's escapes. */
    if (!strncmp(jansson_text, "invalid Unicode '", 17)) {
        snprintf(out, size, "invalid Unicode escape");
        return;
    }
    const char *near = strstr(jansson_text, " near '");
    size_t len = near ? (size_t)(near - jansson_text) : strlen(jansson_text);
    snprintf(out, size, "%.*s", (int)len, jansson_text);
}
