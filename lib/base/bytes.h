/*
 * Finding the first byte of a text that meets a test, sixteen bytes a step:
 * the whole-text checks of a document (UTF-8, the characters the YAML reader
 * leaves to libfyaml) and the readers' scans for the end of a scalar.
 *
 * A test is a macro whose expression holds both for one byte (an unsigned
 * char) and for a vector of sixteen (GCC and Clang vector types: comparisons
 * work on each byte, giving 0 or all ones), so the two paths cannot disagree:
 *
 *     #define QUOTE_END(b) (((b) == '"') | ((b) == '\\') | ((b) == '\n'))
 *     IVRSM_BYTE_SCAN(quote_end, QUOTE_END)
 *
 * defines `static size_t quote_end(const char *s, size_t len)`, the offset of
 * the first such byte of s[0..len), or len. The vector types compile to SSE2
 * on x86-64 and NEON on ARM, to words elsewhere; a compiler without them
 * (not GCC or Clang) tests a byte at a time. The last bytes of a text (fewer
 * than sixteen) are tested one by one on every target.
 */
#ifndef IVRSM_BYTES_H
#define IVRSM_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IVRSM_HAVE_V16 1

typedef unsigned char ivrsm_v16 __attribute__((vector_size(16)));

static inline ivrsm_v16 ivrsm_v16_load(const char *s)
{
    ivrsm_v16 v;
    memcpy(&v, s, sizeof(v));
    return v;
}

/* The offset of the first byte of m that is not zero, 16 when none is. */
static inline size_t ivrsm_v16_first(ivrsm_v16 m)
{
    uint64_t lo, hi;
    memcpy(&lo, &m, sizeof(lo));
    memcpy(&hi, (const char *)&m + sizeof(lo), sizeof(hi));
    if (lo)
        return (size_t)__builtin_ctzll(lo) >> 3;
    return hi ? 8 + ((size_t)__builtin_ctzll(hi) >> 3) : 16;
}

#define IVRSM_BYTE_SCAN_V16(s, len, i, TEST)                                                       \
    for (; (len) - (i) >= 16; (i) += 16) {                                                         \
        ivrsm_v16 x_ = ivrsm_v16_load((s) + (i));                                                  \
        size_t at_ = ivrsm_v16_first((ivrsm_v16)(TEST(x_)));                                       \
        if (at_ < 16)                                                                              \
            return (i) + at_;                                                                      \
    }
#else
#define IVRSM_BYTE_SCAN_V16(s, len, i, TEST)
#endif

#define IVRSM_BYTE_SCAN(name, TEST)                                                                \
    static inline size_t name(const char *s, size_t len)                                           \
    {                                                                                              \
        size_t i = 0;                                                                              \
        IVRSM_BYTE_SCAN_V16(s, len, i, TEST)                                                       \
        for (; i < len; i++) {                                                                     \
            unsigned char b_ = (unsigned char)s[i];                                                \
            if (TEST(b_))                                                                          \
                return i;                                                                          \
        }                                                                                          \
        return len;                                                                                \
    }

#endif
