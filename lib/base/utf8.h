/*
 * UTF-8 decoding and checks, shared by the document readers and the text
 * functions.
 */
#ifndef IVRSM_UTF8_H
#define IVRSM_UTF8_H

#include <stddef.h>
#include <stdint.h>

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
size_t ivrsm_utf8_count(const char *s, size_t len);

/*
 * Validate UTF-8 and refuse NUL bytes. Returns 0, or -1 (invalid UTF-8) or
 * -2 (a NUL byte) with the 1-based line and column (in characters) of the
 * first bad byte.
 */
int ivrsm_utf8_check_text(const char *data, size_t len, int *line, int *column);

/* Column (1-based, in characters) of byte `offset`, counting from the start of its line. */
int ivrsm_utf8_column_at(const char *data, size_t offset);

#endif
