/*
 * UTF-8: one decoder, and the checks built on it (whole-string validity for
 * text handed to the library, the position of the first bad byte for
 * documents).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "utf8.h"

/* The sequence length announced by a lead byte, 0 when it cannot start one. */
static int utf8_lead_length(unsigned char b)
{
    if (b < 0x80)
        return 1;
    if (b < 0xC2) /* continuation byte, or overlong 2-byte lead */
        return 0;
    if (b < 0xE0)
        return 2;
    if (b < 0xF0)
        return 3;
    if (b < 0xF5)
        return 4;
    return 0;
}

int ivrsm_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    int n = utf8_lead_length(s[0]);
    if (n < 2 || (size_t)n > avail)
        return 0;
    uint32_t c = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min_for_length[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_length[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

int ivrsm_utf8_valid(const char *s, size_t len)
{
    if (!s)
        return len == 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        int n = ivrsm_utf8_decode(p + i, len - i, &cp);
        if (n == 0)
            return 0;
        i += (size_t)n;
    }
    return 1;
}

/* The bytes valid_without_nul() stops at: NUL, and the bytes of a sequence. */
#define NUL_OR_NOT_ASCII(b) (((b) == 0) | ((b) >= 0x80))
IVRSM_BYTE_SCAN(ascii_without_nul, NUL_OR_NOT_ASCII)

/*
 * Whether s[0..len) is valid UTF-8 without NUL, sixteen bytes at a time where
 * they are ASCII without NUL (a document is mostly): the common case of a
 * load, where no position is needed.
 */
static bool valid_without_nul(const unsigned char *s, size_t len)
{
    const char *text = (const char *)s;
    for (size_t i = ascii_without_nul(text, len); i < len;
         i += ascii_without_nul(text + i, len - i)) {
        if (s[i] == 0)
            return false;
        /* Two bytes (Latin letters with accents, most of what is not ASCII in a machine's
         * text) without the decoder's call: a lead from 0xC2 (no overlong) and a
         * continuation byte. */
        if (s[i] >= 0xC2 && s[i] <= 0xDF && len - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        uint32_t cp;
        int n = ivrsm_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return false;
        i += (size_t)n;
    }
    return true;
}

int ivrsm_utf8_check_text(const char *data, size_t len, int *line, int *column)
{
    const unsigned char *s = (const unsigned char *)data;
    if (valid_without_nul(s, len))
        return 0;
    int ln = 1, col = 1;
    for (size_t i = 0; i < len;) {
        if (s[i] == 0) {
            *line = ln;
            *column = col;
            return -2;
        }
        uint32_t cp;
        size_t n = s[i] < 0x80 ? 1 : (size_t)ivrsm_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            *line = ln;
            *column = col;
            return -1;
        }
        if (s[i] == '\n') {
            ln++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return 0;
}

int ivrsm_utf8_column_at(const char *data, size_t offset)
{
    size_t start = offset;
    while (start > 0 && data[start - 1] != '\n')
        start--;
    int col = 1;
    for (size_t i = start; i < offset; i++)
        if (((unsigned char)data[i] & 0xC0) != 0x80)
            col++;
    return col;
}
