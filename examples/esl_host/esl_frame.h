/*
 * Framing of what FreeSWITCH's event socket sends.
 *
 * A message is header lines ("Name: value") ended by an empty line; a
 * Content-Length header announces a body of that many bytes. Reads from the
 * socket are appended as they come (half a message, several messages, one
 * byte at a time) and complete messages are taken out one by one: framing
 * never depends on read boundaries.
 *
 * For "Content-Type: text/event-plain" the body is itself an event: header
 * lines whose values are URL-encoded (decoded here), an empty line, and,
 * when the event has a body, an inner Content-Length before that line and
 * the body after it.
 */
#ifndef ESL_HOST_ESL_FRAME_H
#define ESL_HOST_ESL_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* Bounds on what one message may hold; beyond them the stream is refused,
 * the same way whether the message arrives whole or a byte at a time. */
#define ESL_MAX_HEADER_BLOCK                                                                       \
    (64u * 1024u)                          /* bytes of one header block, its empty line included   \
                                            */
#define ESL_MAX_BODY (16u * 1024u * 1024u) /* bytes of one body */
#define ESL_MAX_HEADERS 4096               /* header lines in one block */

typedef struct esl_header {
    char *name;
    char *value;
} esl_header;

typedef struct esl_msg {
    esl_header *headers; /* the outer headers, in order, values as sent */
    size_t header_count;
    char *body; /* the outer body, NUL-terminated, or NULL when none */
    size_t body_len;
    /* text/event-plain only (is_event): the event's headers, URL-decoded,
     * and its own body (NULL when the event has none). */
    bool is_event;
    esl_header *event_headers;
    size_t event_header_count;
    char *event_body;
    size_t event_body_len;
    /* The event's first Unique-ID header (esl_msg_event_header(m, "Unique-ID")), found once
     * as the event is framed: every event is looked up by it, its burst ahead of time too
     * (esl_conn.h, on_burst). NULL when none. */
    const char *unique_id;
    /* The first thing in it that a FreeSWITCH does not send, read as libs/esl's
     * esl_recv_event would without cutting a value short (a NUL byte or a "%00" in a
     * header, kept as "%00"; an event header line without ':', left out; an event
     * Content-Length longer than the event, what is there taken...): a static text to log,
     * or NULL. The message is complete and framed; the stream goes on. */
    const char *oddity;
} esl_msg;

/* The value of the first outer header called `name` (case-insensitive), or NULL. */
const char *esl_msg_header(const esl_msg *m, const char *name);
/* The value of the first event header called `name` (case-insensitive), or NULL. */
const char *esl_msg_event_header(const esl_msg *m, const char *name);
/* Free a message and everything it holds (NULL is ignored). */
void esl_msg_free(esl_msg *m);

typedef struct esl_framer {
    strbuf in;       /* bytes received and not yet framed */
    char error[160]; /* why esl_framer_next() returned -1 */
    /* How far the header block at the start of `in` has been searched for
     * its end (so each byte is looked at once however it arrives), and the
     * header lines counted in it so far. */
    size_t scanned;
    size_t lines;
    size_t end; /* the end of that block once found (its body still to come), else 0 */
} esl_framer;

/* Start empty. */
void esl_framer_init(esl_framer *f);
/* Append bytes read from the socket. Returns 0, or -1 when out of memory. */
int esl_framer_feed(esl_framer *f, const char *data, size_t len);
/*
 * Take the next complete message.
 * Returns 1 with *out set (free it with esl_msg_free()), 0 when more bytes
 * are needed, or -1 when the stream is not the event socket protocol (a
 * header line without ':', a bad or contradictory Content-Length, a bound
 * exceeded, out of memory); f->error then says why. After -1 the stream
 * cannot be trusted: drop the connection.
 */
int esl_framer_next(esl_framer *f, esl_msg **out);
/*
 * The bytes received and not yet framed (part of a message). With the headers of that message
 * complete, *announced is the whole message's length they announce (else 0): a Content-Length
 * larger than what comes leaves the framer waiting for the rest.
 */
size_t esl_framer_pending(const esl_framer *f, size_t *announced);
/* Forget buffered bytes (a new connection). */
void esl_framer_reset(esl_framer *f);
/* Free the buffer. */
void esl_framer_free(esl_framer *f);

/*
 * Decode %XX escapes in place, as FreeSWITCH's switch_url_decode() does
 * ('+' stays '+': FreeSWITCH encodes a plus sign as %2B; a '%' without two hex
 * digits stays as it is). "%00" is left as written: it would cut the value short,
 * and FreeSWITCH never writes it (switch_url_encode encodes the bytes of a C
 * string). Returns the new length.
 */
size_t esl_url_decode(char *s);

#endif
