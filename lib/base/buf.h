/* A growable byte buffer, always NUL-terminated. */
#ifndef IVRSM_BUF_H
#define IVRSM_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "ivrsm/ivrsm.h"
#include "mem.h"

typedef struct ivrsm_buf {
    char *data; /* NUL-terminated once anything was appended; NULL when empty */
    size_t len;
    size_t cap;
    int failed;           /* IVRSM_BUF_NO_MEMORY or IVRSM_BUF_PAST_LIMIT: later appends are
                             ignored */
    int borrowed;         /* data is the caller's storage (ivrsm_buf_on), not the heap's */
    const ivrsm_mem *mem; /* where data lives once on the heap; must outlive the buffer */
} ivrsm_buf;

/* Why a buffer failed (ivrsm_buf.failed): an allocation, or a bound its writer keeps (a
 * template's render, IVRSM_MAX_TEXT_BYTES). */
#define IVRSM_BUF_NO_MEMORY 1
#define IVRSM_BUF_PAST_LIMIT 2

/* An empty buffer whose memory comes from `mem`. */
#define IVRSM_BUF_INIT(mem)                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, (mem)                                                                    \
    }

/*
 * A buffer that starts in the caller's storage (a stack array) and moves to
 * the heap (mem) only when it outgrows it: a text built piece by piece then
 * costs one allocation of its exact size when stolen, or none when only read.
 */
static inline void ivrsm_buf_on(ivrsm_buf *b, const ivrsm_mem *mem, char *storage, size_t size)
{
    *b = (ivrsm_buf)IVRSM_BUF_INIT(mem);
    if (size > 1) {
        storage[0] = '\0';
        b->data = storage;
        b->cap = size;
        b->borrowed = 1;
    }
}

/* ivrsm_buf_reserve() when the room is not there yet: a larger block. */
int ivrsm_buf_grow(ivrsm_buf *b, size_t extra);
int ivrsm_buf_append(ivrsm_buf *b, const char *s, size_t len);
int ivrsm_buf_puts(ivrsm_buf *b, const char *s);

/*
 * Room for `extra` more bytes and the NUL. 0, or -1 when memory ran out (the
 * buffer is then failed). Inline, as ivrsm_buf_putc(), for the case of every
 * piece of a request body or a prompt but the first: the room is there.
 */
static inline int ivrsm_buf_reserve(ivrsm_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    return ivrsm_buf_grow(b, extra);
}

static inline int ivrsm_buf_putc(ivrsm_buf *b, char c)
{
    if (ivrsm_buf_reserve(b, 1) != 0)
        return -1;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}
/* How many decimal digits v is written with (1 for 0). */
static inline size_t ivrsm_decimal_digits(unsigned long long v)
{
    size_t n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

/* Decimal text, as printf's %llu and %lld write it (without its cost on hot paths). */
int ivrsm_buf_uint(ivrsm_buf *b, unsigned long long v);
int ivrsm_buf_int(ivrsm_buf *b, long long v);
int ivrsm_buf_printf(ivrsm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Append j compact, as json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) writes it but for its
 * reals, each at its fewest digits (json_real.h). j's strings are UTF-8, as jansson's
 * constructors make them. 0, or -1 when out of memory.
 */
int ivrsm_buf_json_value(ivrsm_buf *b, const json_t *j);
/* Append j as json_dumps(j, flags) writes it: compact (the flags JSON_COMPACT,
 * JSON_PRESERVE_ORDER, JSON_ENCODE_ANY, all the library uses) by ivrsm_buf_json_value(), its
 * reals at their fewest digits; other flags by jansson (its allocator serves only its own
 * scratch; its reals at the precision flags give, 17 digits by default). 0, or -1
 * when out of memory or when jansson refuses j. */
int ivrsm_buf_dump_json(ivrsm_buf *b, const json_t *j, size_t flags);
/*
 * The bytes json_dump_callback(j, ..., JSON_COMPACT) gives its callback: what
 * json_dumps(j, JSON_COMPACT) writes (0 when j is neither an object nor an
 * array, which it refuses), counted without writing it.
 */
size_t ivrsm_json_compact_size(const json_t *j);
/* Append s as a JSON string literal, quotes included, as jansson's dump_string() writes it
 * (no JSON_ENSURE_ASCII, no JSON_ESCAPE_SLASH): request bodies read as json_dumps would. */
int ivrsm_buf_json_string(ivrsm_buf *b, const char *s, size_t len);
/*
 * Append s[0..len) percent-encoded as RFC 3986 says for a path segment or a
 * query's key or value: the unreserved characters (letters, digits, "-._~")
 * as they are, every other byte as %XX. 0, or -1 when memory ran out.
 */
int ivrsm_buf_url_encode(ivrsm_buf *b, const char *s, size_t len);
/*
 * Append s[0..len): ivrsm_buf_append() inline, for the short pieces a request
 * or a prompt is made of (a call would cost as much as the copy).
 */
static inline int ivrsm_buf_add(ivrsm_buf *b, const char *s, size_t len)
{
    if (ivrsm_buf_reserve(b, len) != 0)
        return -1;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}
/* The contents ("" when empty); the buffer keeps ownership. */
const char *ivrsm_buf_str(const ivrsm_buf *b);
/* Hand the contents over (freed with the buffer's mem), leaving the buffer empty.
 * Never NULL unless failed. */
char *ivrsm_buf_steal(ivrsm_buf *b);
/* The contents as a string for the API's caller (ivrsm_free()), the buffer freed. NULL when
 * failed or out of memory. */
char *ivrsm_buf_give(ivrsm_buf *b);
void ivrsm_buf_reset(ivrsm_buf *b); /* length 0, memory kept */
/* Inline, as ivrsm_buf_on(): a buffer on the stack is set up and freed for every piece of a
 * request or a prompt. */
static inline void ivrsm_buf_free(ivrsm_buf *b)
{
    if (!b->borrowed)
        ivrsm_mem_free(b->mem, b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    b->borrowed = 0;
}

#endif
