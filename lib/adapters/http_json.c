/*
 * A JSON check that follows jansson's reader (load.c and strconv.c of
 * jansson 2.14: lex_scan, lex_scan_string, lex_scan_number, parse_value,
 * jsonp_strtod; utf.c: utf8_check_first, utf8_check_full) rule for rule, in
 * one pass, without recursion and without allocating. fuzz_http_result
 * compares its verdict with jansson's on every 2xx body it makes.
 */
#include "http_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Deeper than any bound the adapter passes (IVRSM_MAX_DEPTH is 64). */
#define DEPTH_LIMIT 256

typedef struct scan {
    const unsigned char *p;
    const unsigned char *end;
    const char *what; /* why it is not JSON */
} scan;

static int fail(scan *s, const char *what)
{
    s->what = what;
    return -1;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void skip_blanks(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* The length of the valid UTF-8 sequence at p (jansson's utf8_check_full), or 0. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0;
    size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if ((size_t)(end - p) < n)
        return 0;
    uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (n == 3 && cp < 0x800) ||
        (n == 4 && cp < 0x10000))
        return 0;
    return n;
}

/* The four hex digits after "\u" at p (p at the 'u'), or -1. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 5)
        return -1;
    long v = 0;
    for (int i = 1; i <= 4; i++) {
        unsigned char c = p[i];
        int d = is_digit(c)              ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at s->p (at the 'u'): whole, not \u0000, surrogates in pairs. */
static int unicode_escape(scan *s)
{
    long v = hex4(s->p, s->end);
    if (v < 0)
        return fail(s, "invalid escape");
    s->p += 5;
    if (v == 0)
        return fail(s, "\\u0000 in a string");
    if (v >= 0xDC00 && v <= 0xDFFF)
        return fail(s, "invalid Unicode (a lone low surrogate)");
    if (v < 0xD800 || v > 0xDBFF)
        return 0;
    long low =
        s->end - s->p >= 2 && s->p[0] == '\\' && s->p[1] == 'u' ? hex4(s->p + 1, s->end) : -1;
    if (low < 0xDC00 || low > 0xDFFF)
        return fail(s, "invalid Unicode (a high surrogate alone)");
    s->p += 6;
    return 0;
}

/* A string whose body starts at s->p (after its opening quote); s->p ends past its close. */
static int string_body(scan *s)
{
    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return fail(s, "control character in a string");
        if (c == '\\') {
            if (++s->p == s->end)
                break;
            c = *s->p;
            if (c == 'u') {
                if (unicode_escape(s) != 0)
                    return -1;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                s->p++;
            } else {
                return fail(s, "invalid escape");
            }
            continue;
        }
        size_t n = utf8_sequence(s->p, s->end);
        if (n == 0)
            return fail(s, "invalid UTF-8");
        s->p += n;
    }
    return fail(s, "premature end of input");
}

/* Digits [p, end) (no leading zero) beyond json_int_t's range (strtoll's ERANGE). */
static bool integer_too_big(const unsigned char *p, const unsigned char *end, bool negative)
{
    static const char max[] = "9223372036854775807", min[] = "9223372036854775808";
    size_t n = (size_t)(end - p);
    if (n != sizeof(max) - 1)
        return n > sizeof(max) - 1;
    return memcmp(p, negative ? min : max, n) > 0;
}

/*
 * Whether the real [p, end) (sign skipped; JSON's syntax, checked) is as large as
 * 2^1024 - 2^970 or larger: strtod rounds it to infinity then (ERANGE and HUGE_VAL), which
 * jansson calls "real number overflow". Exact, whatever the locale and the length: the
 * significant digits are compared with that number's 309.
 */
static bool real_overflows(const unsigned char *p, const unsigned char *end)
{
    static const char limit[] =
        "1797693134862315807937289714053034150799341327100378269361737789804449682927647509466490"
        "1797758720709633028641669288791094655554785194040263065748867150582068190890200070838367"
        "6273854845817711531764475730270069855571366959622842914819860834936475292719074168444365"
        "510704342711559699508093042880177904174497792";
    const unsigned char *e = p;
    while (e < end && *e != 'e' && *e != 'E')
        e++;
    /* The decimal exponent: the digits before the point, less the leading zeros, plus e's. */
    long long exponent = 0;
    if (e < end) {
        const unsigned char *q = e + 1;
        bool minus = q < end && *q == '-';
        q += q < end && (*q == '+' || *q == '-');
        for (; q < end; q++)
            if (exponent < 1000000000000LL)
                exponent = exponent * 10 + (*q - '0');
        exponent = minus ? -exponent : exponent;
    }
    const unsigned char *first = p; /* the first significant digit */
    long long before_point = 0;
    bool point = false;
    for (; first < e && (*first == '0' || *first == '.'); first++)
        if (*first == '.')
            point = true;
        else if (point)
            before_point--;
    if (first == e)
        return false; /* zero */
    for (const unsigned char *q = first; q < e && *q != '.'; q++)
        before_point += !point;
    exponent += before_point;
    if (exponent != sizeof(limit) - 1)
        return exponent > (long long)(sizeof(limit) - 1);
    size_t i = 0;
    for (const unsigned char *q = first; q < e; q++) {
        if (*q == '.')
            continue;
        if (i == sizeof(limit) - 1)
            return true; /* the limit's digits all matched: as large or larger */
        if (*q != (unsigned char)limit[i])
            return *q > (unsigned char)limit[i];
        i++;
    }
    return i == sizeof(limit) - 1; /* a shorter equal prefix is smaller */
}

/* A number at s->p (a digit or '-'). */
static int number(scan *s)
{
    const unsigned char *p = s->p, *end = s->end;
    bool negative = *p == '-';
    p += negative;
    const unsigned char *digits = p;
    if (p == end || !is_digit(*p))
        return fail(s, "invalid token");
    if (*p == '0') {
        if (++p < end && is_digit(*p))
            return fail(s, "invalid token (a leading zero)");
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    const unsigned char *integer_end = p;
    bool real = false;
    if (p < end && *p == '.') {
        if (++p == end || !is_digit(*p))
            return fail(s, "invalid token");
        while (p < end && is_digit(*p))
            p++;
        real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        p += p < end && (*p == '+' || *p == '-');
        if (p == end || !is_digit(*p))
            return fail(s, "invalid token");
        while (p < end && is_digit(*p))
            p++;
        real = true;
    }
    if (!real && integer_too_big(digits, integer_end, negative))
        return fail(s, negative ? "too big negative integer" : "too big integer");
    if (real && real_overflows(digits, p))
        return fail(s, "real number overflow");
    s->p = p;
    return 0;
}

/* true, false or null: jansson reads the whole run of letters as one word. */
static int word(scan *s)
{
    const unsigned char *start = s->p;
    while (s->p < s->end && is_alpha(*s->p))
        s->p++;
    size_t n = (size_t)(s->p - start);
    if ((n == 4 && (!memcmp(start, "true", 4) || !memcmp(start, "null", 4))) ||
        (n == 5 && !memcmp(start, "false", 5)))
        return 0;
    s->p = start;
    return fail(s, "invalid token");
}

/* A key and its colon, after '{' or ','. */
static int key(scan *s)
{
    if (s->p == s->end || *s->p != '"')
        return fail(s, "string or '}' expected");
    s->p++;
    if (string_body(s) != 0)
        return -1;
    skip_blanks(s);
    if (s->p == s->end || *s->p != ':')
        return fail(s, "':' expected");
    s->p++;
    skip_blanks(s);
    return 0;
}

/* A value that is not an object or an array. */
static int scalar(scan *s)
{
    unsigned char c = *s->p;
    if (c == '"') {
        s->p++;
        return string_body(s);
    }
    if (c == '-' || is_digit(c))
        return number(s);
    if (is_alpha(c))
        return word(s);
    return fail(s, c == ']' || c == '}' || c == ',' || c == ':' ? "unexpected token"
                                                                : "invalid token");
}

static int check(scan *s, int max_depth)
{
    char open[DEPTH_LIMIT]; /* '{' or '[' of each container entered */
    int depth = 0;
    skip_blanks(s);
    for (;;) {
        /* A value. */
        if (s->p == s->end)
            return fail(s, "premature end of input");
        unsigned char c = *s->p;
        if (c == '{' || c == '[') {
            if (depth >= max_depth || depth >= DEPTH_LIMIT)
                return fail(s, "nested too deep");
            open[depth++] = (char)c;
            s->p++;
            skip_blanks(s);
            if (s->p < s->end && *s->p == (c == '{' ? '}' : ']')) {
                s->p++;
                depth--;
            } else {
                if (c == '{' && key(s) != 0)
                    return -1;
                continue;
            }
        } else if (scalar(s) != 0) {
            return -1;
        }
        /* What follows it: the end, a comma or the close of its container. */
        for (;;) {
            skip_blanks(s);
            if (depth == 0)
                return s->p == s->end ? 0 : fail(s, "end of input expected");
            if (s->p == s->end)
                return fail(s, "premature end of input");
            char close = open[depth - 1] == '{' ? '}' : ']';
            if (*s->p == close) {
                s->p++;
                depth--;
                continue;
            }
            if (*s->p != ',')
                return fail(s, open[depth - 1] == '{' ? "'}' expected" : "']' expected");
            s->p++;
            skip_blanks(s);
            if (open[depth - 1] == '{' && key(s) != 0)
                return -1;
            break;
        }
    }
}

int ivrsm_http_json_check(const char *body, size_t len, int max_depth, ivrsm_http_json_error *err)
{
    const unsigned char *start = (const unsigned char *)body;
    scan s = {start, start + len, NULL};
    if (check(&s, max_depth) == 0)
        return 0;
    /* Where: lines and characters up to the failure, as jansson counts them. */
    err->line = 1;
    err->column = 1;
    for (const unsigned char *q = start; q < s.p; q++) {
        if (*q == '\n') {
            err->line++;
            err->column = 1;
        } else if ((*q & 0xC0) != 0x80) {
            err->column++;
        }
    }
    err->what = s.what;
    return -1;
}
