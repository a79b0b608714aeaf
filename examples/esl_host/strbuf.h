/*
 * A growable byte buffer, for messages on their way to FreeSWITCH and for
 * bytes read from it. An allocation failure is remembered (sb.oom) so a
 * message can be built with many appends and checked once at the end.
 */
#ifndef ESL_HOST_STRBUF_H
#define ESL_HOST_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
    char *data; /* NUL-terminated when len > 0 and !oom */
    size_t len;
    size_t cap;
    bool oom; /* an append failed; the content is incomplete */
} strbuf;

/* Append `len` bytes. Returns 0, or -1 (and sets oom) when out of memory. */
int sb_append(strbuf *sb, const char *data, size_t len);
/* Append a NUL-terminated string. */
int sb_puts(strbuf *sb, const char *s);
/* Append formatted text. */
int sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first `n` bytes (what was sent or parsed). */
void sb_consume(strbuf *sb, size_t n);
/* Empty the buffer, keeping its memory. */
void sb_clear(strbuf *sb);
/* Free the memory and zero the buffer. */
void sb_free(strbuf *sb);
/* Take the content as a malloc'd NUL-terminated string (the buffer is emptied);
 * NULL when out of memory. */
char *sb_take(strbuf *sb);

#endif
