/*
 * UTF-8 decoding and checks, shared by the document readers and the text
 * functions.
 */
#ifndef IVRSM_UTF8_H
#define IVRSM_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Decodes the code point at s[0..avail) (s[0] >= 0x80). Returns its length in
 * bytes and stores it in *cp, or 0 when the sequence is malformed, overlong,
 * a surrogate or beyond U+10FFFF.
 */
int ivrsm_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);

/* Nonzero when s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int ivrsm_utf8_valid(const char *s, size_t len);

/* The characters of s[0..len), valid UTF-8: its bytes but continuation bytes (10xxxxxx).
 * Eight bytes at a time. */
/* How many of the eight bytes of x are continuation bytes (10xxxxxx): x << 1 brings each
 * byte's bit 6 to its bit 7 (and bit 7 into the next byte's bit 0, masked off); the flags,
 * one per byte, are summed by a multiplication into the top byte. */
static inline size_t ivrsm_utf8_continuations(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL;
    return (size_t)((((x & ~(x << 1)) >> 7) & ones) * ones >> 56);
}

static inline size_t ivrsm_utf8_count(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t count = 0, i = 0;
#if defined(__GNUC__)
    for (; len - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, u + i, sizeof(x));
        /* A continuation byte has its top bit set and the next one clear: x << 1 brings each
         * byte's bit 6 to its bit 7 (and bit 7 into the next byte's bit 0, masked off). */
        count += 8 - ivrsm_utf8_continuations(x);
    }
#endif
    for (; i < len; i++)
        count += (u[i] & 0xC0) != 0x80;
    return count;
}

/* Offset of the first byte of s[0..len) that is not ASCII (>= 0x80), or len when there is
 * none. Eight bytes at a time. */
static inline size_t ivrsm_utf8_ascii_run(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, u + i, sizeof(x));
        if (x & 0x8080808080808080ULL)
            break;
    }
    while (i < len && u[i] < 0x80)
        i++;
    return i;
}

/*
 * Validate UTF-8 and refuse NUL bytes. Returns 0, or -1 (invalid UTF-8) or
 * -2 (a NUL byte) with the 1-based line and column (in characters) of the
 * first bad byte.
 */
int ivrsm_utf8_check_text(const char *data, size_t len, int *line, int *column);

/* Column (1-based, in characters) of byte `offset`, counting from the start of its line. */
int ivrsm_utf8_column_at(const char *data, size_t offset);

#endif
