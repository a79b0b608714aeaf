/*
 * The ESL host's framer (examples/esl_host/esl_frame.c) on any stream of
 * bytes: framing never depends on how the bytes arrive. The stream is
 * framed once fed whole and once fed in pieces whose sizes the first two
 * bytes choose (from 1 byte, at most 16 to 4096, varying); both must give the same
 * messages (outer headers, body, event headers, event body, byte for
 * byte), then the same end: the same error with the same text, or the
 * same number of bytes still waiting for the rest of a message. Bounds
 * (64 KiB of headers, 16 MiB of body, 4096 header lines) included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esl_frame.h"
#include "fuzz_util.h"

typedef struct outcome {
    esl_msg **messages; /* every message, in order */
    size_t count, cap;
    int rc; /* the last esl_framer_next(): 0 (more needed) or -1 */
    char error[160];
    size_t waiting; /* bytes buffered at the end */
} outcome;

static void outcome_free(outcome *o)
{
    for (size_t i = 0; i < o->count; i++)
        esl_msg_free(o->messages[i]);
    free(o->messages);
}

/* Take every complete message; false once the stream failed. */
static int drain(esl_framer *f, outcome *o)
{
    esl_msg *m;
    int rc;
    while ((rc = esl_framer_next(f, &m)) == 1) {
        if (o->count == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 16;
            o->messages = realloc(o->messages, o->cap * sizeof(*o->messages));
            FUZZ_CHECK(o->messages, "out of memory");
        }
        o->messages[o->count++] = m;
    }
    o->rc = rc;
    if (rc < 0)
        memcpy(o->error, f->error, sizeof(o->error));
    return rc == 0;
}

static int same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || (a && b && memcmp(a, b, alen) == 0)) && !a == !b;
}

static int same_headers(const esl_header *a, size_t an, const esl_header *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        if (strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].value, b[i].value) != 0)
            return 0;
    }
    return 1;
}

static int same_message(const esl_msg *a, const esl_msg *b)
{
    return same_headers(a->headers, a->header_count, b->headers, b->header_count) &&
           same_bytes(a->body, a->body_len, b->body, b->body_len) && a->is_event == b->is_event &&
           same_headers(a->event_headers, a->event_header_count, b->event_headers,
                        b->event_header_count) &&
           same_bytes(a->event_body, a->event_body_len, b->event_body, b->event_body_len);
}

static void frame(const uint8_t *data, size_t size, unsigned seed, size_t max_piece, outcome *o)
{
    esl_framer f;
    esl_framer_init(&f);
    memset(o, 0, sizeof(*o));
    size_t pos = 0;
    unsigned state = seed * 2654435761u + 1;
    while (pos < size) {
        size_t piece = size - pos;
        if (max_piece) {
            state = state * 1103515245u + 12345u;
            size_t want = 1 + (state >> 8) % max_piece;
            if (want < piece)
                piece = want;
        }
        FUZZ_CHECK(esl_framer_feed(&f, (const char *)data + pos, piece) == 0, "feed failed");
        pos += piece;
        if (!drain(&f, o))
            break;
    }
    if (size == 0)
        drain(&f, o);
    o->waiting = f.in.len;
    esl_framer_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned seed = data[0];
    size_t max_piece = (size_t)data[1] * 16 + 16; /* pieces of 1 to 16..4096 bytes */
    data += 2;
    size -= 2;
    outcome whole, split;
    frame(data, size, seed, 0, &whole);
    frame(data, size, seed, max_piece, &split);
    FUZZ_CHECK(whole.count == split.count, "%zu messages whole, %zu split", whole.count,
               split.count);
    for (size_t i = 0; i < whole.count; i++)
        FUZZ_CHECK(same_message(whole.messages[i], split.messages[i]), "message %zu differs", i);
    FUZZ_CHECK(whole.rc == split.rc, "whole ends with %d, split with %d (%s / %s)", whole.rc,
               split.rc, whole.error, split.error);
    if (whole.rc < 0)
        FUZZ_CHECK(!strcmp(whole.error, split.error), "errors differ: %s / %s", whole.error,
                   split.error);
    else
        FUZZ_CHECK(whole.waiting == split.waiting, "%zu bytes waiting whole, %zu split",
                   whole.waiting, split.waiting);
    outcome_free(&whole);
    outcome_free(&split);
    return 0;
}
