/*
 * JSON text read as jansson's json_loadb() reads it, for the readers that
 * build no jansson tree: an action's answer (runtime/response.c) and a
 * machine document (document/json_fast.c). The same texts are JSON, the same
 * are not, and the values are the ones jansson would give.
 */
#ifndef IVRSM_JSON_SCAN_H
#define IVRSM_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "buf.h"

/*
 * The string whose body starts at *p (just after its opening quote), up to
 * `end`. Returns 0 with its text in s[0..len) (the body itself when it has
 * no escape, else text's NUL-terminated contents, reset first) and *p past
 * the closing quote; -1 when jansson refuses it: a control character, an
 * unknown escape, a lone surrogate, \u0000, invalid UTF-8, no closing quote,
 * or no memory for the decoded text (then text->failed is set).
 */
static inline int ivrsm_json_scan_string(const char **p, const char *end, ivrsm_buf *text,
                                         const char **s, size_t *len);

/* Whether c goes into a string as it is: ASCII from the space on, neither '"' nor '\\'. */
static inline bool ivrsm_json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * The first byte from p on that is not ivrsm_json_plain(), or end. Sixteen bytes at a time
 * while sixteen remain (SSE2), then eight at a time while eight remain (most of a string's
 * bytes are plain: only its end, an escape or a non-ASCII character stops the scan), the rest
 * one by one. SSE2: a byte stops when it is '"' or '\\', or below the space as a signed byte
 * (below 0x20, or from 0x80 on); the mask of the compares' high bits gives the first. A word:
 * a byte is flagged when it is '"' or '\\' (a zero byte of x ^ that byte repeated), below 0x20
 * (x - 0x20 repeated borrows into its high bit) or from 0x80 on (its high bit). A flag above a
 * true one can be false (a borrow carried on), never the lowest: the lowest flag is the first
 * byte that stops.
 */
static inline const char *ivrsm_json_plain_end(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i stops =
            _mm_or_si128(_mm_cmplt_epi8(x, space),
                         _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
        unsigned mask = (unsigned)_mm_movemask_epi8(stops);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, sizeof(x));
        uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
        uint64_t flags =
            ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | (x - ones * 0x20) | x;
        flags &= highs;
        if (flags)
            return p + (__builtin_ctzll(flags) >> 3);
        p += 8;
    }
#endif
    while (p < end && ivrsm_json_plain((unsigned char)*p))
        p++;
    return p;
}

/* ivrsm_json_scan_string() for strings with an escape or a byte from 0x80 on (or none). */
int ivrsm_json_scan_string_whole(const char **p, const char *end, ivrsm_buf *text, const char **s,
                                 size_t *len);

static inline int ivrsm_json_scan_string(const char **p, const char *end, ivrsm_buf *text,
                                         const char **s, size_t *len)
{
    /* Most strings (keys, ids) are plain to their closing quote: read here, without a call. */
    const char *at = ivrsm_json_plain_end(*p, end);
    if (at < end && *at == '"') {
        *s = *p;
        *len = (size_t)(at - *p);
        *p = at + 1;
        return 0;
    }
    return ivrsm_json_scan_string_whole(p, end, text, s, len);
}

/*
 * The end of the number written at p (JSON's grammar: no leading zero, no
 * '+', digits after '.' and after 'e'), or NULL when p holds none. *real
 * tells a fraction or an exponent, *exponent an exponent.
 */
const char *ivrsm_json_scan_number(const char *p, const char *end, bool *real, bool *exponent);

/* The integer s[0..len) (a number without fraction or exponent): 0, or -1 when it does not
 * fit json_int_t (jansson: "too big integer"). */
int ivrsm_json_int_value(const char *s, size_t len, json_int_t *out);

/* What every reader says of an integer past 64 bits, YAML or JSON, machine, ctx or snapshot:
 * printf("the integer %s is out of range (" IVRSM_INT_RANGE ")", its text). */
#define IVRSM_INT_RANGE "-9223372036854775808 to 9223372036854775807"

/*
 * jansson's error text for such an integer ("too big integer near '9223372036854775808'",
 * "too big negative integer near '-9223372036854775809'") said as above, into out[0..size).
 * Returns true when the text was one of those; false, with out untouched, for any other.
 */
bool ivrsm_json_int_range_error(const char *jansson_text, char *out, size_t size);

/*
 * jansson's error text said without a byte of the text it read, into out[0..size): its
 * "near '...'" quotes the token where reading stopped, which in a call's data (a host's
 * ctx_json, a snapshot) may be an OTP, a token or a card number, and an error message
 * goes to logs. "invalid token near '482113'" is said "invalid token", "too big integer
 * near '...'" "an integer is out of range (-9223372036854775808 to ...)"; "near end of
 * file" is kept (it quotes nothing).
 */
void ivrsm_json_error_unquoted(const char *jansson_text, char *out, size_t size);

#endif
