/* A growable byte buffer, always NUL-terminated. */
#ifndef IVRSM_BUF_H
#define IVRSM_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ivrsm_buf {
    char *data; /* NUL-terminated once anything was appended; NULL when empty */
    size_t len;
    size_t cap;
    int failed;   /* set when an allocation failed; later appends are ignored */
    int borrowed; /* data is the caller's storage (ivrsm_buf_on), not the heap's */
} ivrsm_buf;

#define IVRSM_BUF_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0, 0, 0                                                                           \
    }

/*
 * A buffer that starts in the caller's storage (a stack array) and moves to
 * the heap only when it outgrows it: a text built piece by piece then costs
 * one allocation of its exact size when stolen, or none when only read.
 */
void ivrsm_buf_on(ivrsm_buf *b, char *storage, size_t size);

int ivrsm_buf_reserve(ivrsm_buf *b, size_t extra);
int ivrsm_buf_append(ivrsm_buf *b, const char *s, size_t len);
int ivrsm_buf_puts(ivrsm_buf *b, const char *s);
int ivrsm_buf_putc(ivrsm_buf *b, char c);
int ivrsm_buf_printf(ivrsm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
int ivrsm_buf_json_string(ivrsm_buf *b, const char *s, size_t len);
/* The contents ("" when empty); the buffer keeps ownership. */
const char *ivrsm_buf_str(const ivrsm_buf *b);
/* Hand the contents to the caller (free()), leaving the buffer empty. Never NULL unless failed. */
char *ivrsm_buf_steal(ivrsm_buf *b);
void ivrsm_buf_reset(ivrsm_buf *b); /* length 0, memory kept */
void ivrsm_buf_free(ivrsm_buf *b);

#endif
