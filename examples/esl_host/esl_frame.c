/*
 * Framing of the event socket protocol: see esl_frame.h.
 */
#include "esl_frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int frame_error(esl_framer *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int frame_error(esl_framer *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->error, sizeof(f->error), fmt, ap);
    va_end(ap);
    return -1;
}

/* ---------------------------------------------------------------------------
 * Headers
 * ------------------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t esl_url_decode(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0 &&
            (hi | lo) != 0) {
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return (size_t)(o - s);
}

/* Note the first thing in a message that a FreeSWITCH does not send (see esl_msg.oddity). */
static void odd(esl_msg *m, const char *what)
{
    if (m && !m->oddity)
        m->oddity = what;
}

static const char *header_lookup(const esl_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcasecmp(h[i].name, name))
            return h[i].value;
    }
    return NULL;
}

const char *esl_msg_header(const esl_msg *m, const char *name)
{
    return m ? header_lookup(m->headers, m->header_count, name) : NULL;
}

const char *esl_msg_event_header(const esl_msg *m, const char *name)
{
    return m ? header_lookup(m->event_headers, m->event_header_count, name) : NULL;
}

static void free_headers(esl_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

void esl_msg_free(esl_msg *m)
{
    if (!m)
        return;
    free_headers(m->headers, m->header_count);
    free_headers(m->event_headers, m->event_header_count);
    free(m->body);
    free(m->event_body);
    free(m);
}

/* Length of the line at p (up to '\n' excluded, a final '\r' dropped). */
static size_t line_length(const char *p, const char *nl)
{
    size_t n = (size_t)(nl - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    return n;
}

/*
 * Find the end of a header block in [p, p + len), going on from *pos with
 * *count lines already seen: the offset just past its empty line. Returns 1
 * with *end set, 0 when the block is not complete yet (*pos and *count say
 * how far the search went), -1 when it has too many lines.
 */
static int block_end(const char *p, size_t len, size_t *pos, size_t *count, size_t *end)
{
    while (*pos < len) {
        const char *nl = memchr(p + *pos, '\n', len - *pos);
        if (!nl)
            return 0;
        size_t n = line_length(p + *pos, nl);
        *pos = (size_t)(nl - p) + 1;
        if (n == 0) {
            *end = *pos;
            return 1;
        }
        if (++*count > ESL_MAX_HEADERS)
            return -1;
    }
    return 0;
}

/* [p, p + n) as a string, each NUL byte in it written "%00" (never decoded back). */
static char *copy_nul_shown(const char *p, size_t n, esl_msg *m)
{
    size_t nuls = 0;
    for (const char *q = memchr(p, '\0', n); q; q = memchr(q + 1, '\0', (size_t)(p + n - q - 1)))
        nuls++;
    if (nuls == 0)
        return strndup(p, n);
    odd(m, "a NUL byte in a header line (kept as %00)");
    char *out = malloc(n + 2 * nuls + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            *o++ = p[i];
        } else {
            memcpy(o, "%00", 3);
            o += 3;
        }
    }
    *o = '\0';
    return out;
}

/*
 * One "Name: value" line into h (value URL-decoded when asked: an event's headers).
 * Neither a NUL byte in the line nor a "%00" in a value ever cuts the value short: a
 * FreeSWITCH sends neither (switch_event_serialize writes C strings, each through
 * switch_url_encode, which writes '%' itself as %25), and a value cut at a NUL could read
 * as another (a channel variable "synergia%00x" as "synergia"). Both are kept as "%00".
 */
static int parse_header_line(const char *p, size_t n, bool decode, esl_header *h, esl_msg *m)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p)
        return -1;
    const char *v = colon + 1;
    while (v < p + n && *v == ' ')
        v++;
    h->name = copy_nul_shown(p, (size_t)(colon - p), m);
    h->value = copy_nul_shown(v, (size_t)(p + n - v), m);
    if (!h->name || !h->value)
        return -2;
    if (decode) {
        if (strstr(h->value, "%00"))
            odd(m, "a %00 in a header value (kept as written)");
        /* switch_event_serialize (src/switch_event.c) writes an empty value as
         * "_undef_": it stands for nothing. */
        if (!strcmp(h->value, "_undef_"))
            h->value[0] = '\0';
        esl_url_decode(h->value);
    }
    return 0;
}

/*
 * Parse the `lines` header lines at the start of p into a new array.
 * Returns 0, or -1 with f->error set. A line without a name and ':' is an error in the
 * message's own headers (the stream cannot be trusted); in an event's (decode), where the
 * message around it was framed by its Content-Length, it is left out, as libs/esl's
 * esl_recv_event does (it adds a header only where it finds the ':').
 */
static int parse_headers(esl_framer *f, const char *p, size_t len, size_t lines, bool decode,
                         esl_header **out, size_t *count, esl_msg *m)
{
    esl_header *h = calloc(lines ? lines : 1, sizeof(*h));
    if (!h)
        return frame_error(f, "out of memory");
    size_t pos = 0, n = 0, seen = 0;
    while (seen < lines && pos < len) {
        const char *nl = memchr(p + pos, '\n', len - pos);
        size_t ln = line_length(p + pos, nl);
        int rc = parse_header_line(p + pos, ln, decode, &h[n], m);
        seen++;
        if (rc == -1 && decode) {
            free(h[n].name);
            free(h[n].value);
            memset(&h[n], 0, sizeof(h[n]));
            odd(m, "an event header line without a name and ':' (left out)");
        } else if (rc != 0) {
            free_headers(h, n + 1);
            return rc == -2 ? frame_error(f, "out of memory")
                            : frame_error(f, "header line without a name and ':' (%.*s)",
                                          (int)(ln < 40 ? ln : 40), p + pos);
        } else {
            n++;
        }
        pos = (size_t)(nl - p) + 1;
    }
    *out = h;
    *count = n;
    return 0;
}

/* A Content-Length value: decimal digits only, at most ESL_MAX_BODY. */
static int parse_length(const char *v, size_t *out)
{
    size_t n = 0;
    if (!*v)
        return -1;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > ESL_MAX_BODY)
            return -1;
        n = n * 10 + (size_t)(*p - '0');
    }
    if (n > ESL_MAX_BODY)
        return -1;
    *out = n;
    return 0;
}

/*
 * The body length the headers announce (0 without Content-Length).
 * Two Content-Length headers that disagree make the framing ambiguous.
 */
static int announced_length(esl_framer *f, const esl_header *h, size_t n, size_t *out)
{
    bool seen = false;
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, "Content-Length"))
            continue;
        size_t len;
        if (parse_length(h[i].value, &len) != 0)
            return frame_error(f, "bad Content-Length '%.20s' (at most %u bytes)", h[i].value,
                               ESL_MAX_BODY);
        if (seen && len != *out)
            return frame_error(f, "two Content-Length headers disagree (%zu and %zu)", *out, len);
        seen = true;
        *out = len;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Events (text/event-plain bodies)
 * ------------------------------------------------------------------------- */

static int parse_event(esl_framer *f, esl_msg *m)
{
    const char *p = m->body;
    size_t len = m->body_len, end = len, lines = 0, pos = 0;
    int rc = block_end(p, len, &pos, &lines, &end);
    if (rc < 0)
        return frame_error(f, "event with more than %d headers", ESL_MAX_HEADERS);
    if (rc == 0) {
        /* The last header line may lack its empty line: count what is there. */
        end = len;
        lines = 0;
        for (size_t i = 0; i < len; i++)
            lines += p[i] == '\n';
        if (len > 0 && p[len - 1] != '\n')
            return frame_error(f, "event body does not end its last header line");
    }
    if (parse_headers(f, p, end, lines, true, &m->event_headers, &m->event_header_count, m) != 0)
        return -1;
    m->is_event = true;
    m->unique_id = header_lookup(m->event_headers, m->event_header_count, "Unique-ID");
    /* The event's own Content-Length: switch_event_serialize (src/switch_event.c) writes
     * strlen(body), so it is what follows. One that is not (no number, more than what the
     * message holds) does not move the stream, framed by the message's own Content-Length:
     * the event keeps the bytes that are there, as libs/esl's esl_recv_event does (it takes
     * the rest of the message as the event's body, whatever the length says). */
    size_t inner;
    if (announced_length(f, m->event_headers, m->event_header_count, &inner) != 0) {
        odd(m, "an event Content-Length that is no length (the rest of the message taken)");
        inner = len - end;
    } else if (inner > len - end) {
        odd(m, "an event Content-Length longer than the event (what is there taken)");
        inner = len - end;
    }
    if (inner == 0)
        return 0;
    if (memchr(p + end, '\0', inner))
        odd(m, "a NUL byte in the event's body (read up to it)");
    m->event_body = malloc(inner + 1);
    if (!m->event_body)
        return frame_error(f, "out of memory");
    memcpy(m->event_body, p + end, inner);
    m->event_body[inner] = '\0';
    m->event_body_len = inner;
    return 0;
}

/* ---------------------------------------------------------------------------
 * The framer
 * ------------------------------------------------------------------------- */

void esl_framer_init(esl_framer *f)
{
    memset(f, 0, sizeof(*f));
}

int esl_framer_feed(esl_framer *f, const char *data, size_t len)
{
    return sb_append(&f->in, data, len);
}

/* Blank lines between messages carry nothing; FreeSWITCH may send one after a body. */
static void skip_blank_lines(esl_framer *f)
{
    size_t i = 0;
    while (i < f->in.len && (f->in.data[i] == '\n' || f->in.data[i] == '\r'))
        i++;
    if (i)
        sb_consume(&f->in, i);
}

int esl_framer_next(esl_framer *f, esl_msg **out)
{
    if (f->in.oom)
        return frame_error(f, "out of memory");
    if (f->scanned == 0)
        skip_blank_lines(f);
    const char *p = f->in.data;
    size_t len = f->in.len, end = f->end;
    if (len == 0)
        return 0;
    int rc = end ? 1 : block_end(p, len, &f->scanned, &f->lines, &end);
    if (rc < 0)
        return frame_error(f, "message with more than %d header lines", ESL_MAX_HEADERS);
    /* One bound on the block, whether its end has arrived or not. */
    if ((rc == 1 && end > ESL_MAX_HEADER_BLOCK) || (rc == 0 && len > ESL_MAX_HEADER_BLOCK))
        return frame_error(f, "header block longer than %u bytes", ESL_MAX_HEADER_BLOCK);
    if (rc == 0)
        return 0;
    size_t lines = f->lines;
    esl_msg *m = calloc(1, sizeof(*m));
    if (!m)
        return frame_error(f, "out of memory");
    size_t body;
    if (parse_headers(f, p, end, lines, false, &m->headers, &m->header_count, m) != 0 ||
        announced_length(f, m->headers, m->header_count, &body) != 0) {
        esl_msg_free(m);
        return -1;
    }
    if (len - end < body) {
        /* The body has not all arrived: the headers are parsed again then
         * (the search for their end is not repeated). */
        f->end = end;
        esl_msg_free(m);
        return 0;
    }
    if (body > 0) {
        m->body = malloc(body + 1);
        if (!m->body) {
            esl_msg_free(m);
            return frame_error(f, "out of memory");
        }
        memcpy(m->body, p + end, body);
        m->body[body] = '\0';
        m->body_len = body;
    }
    const char *type = esl_msg_header(m, "Content-Type");
    bool event_plain = type && !strcasecmp(type, "text/event-plain");
    /* An event's body is read line by line (parse_event); any other body is text. */
    if (!event_plain && body > 0 && memchr(m->body, '\0', body))
        odd(m, "a NUL byte in the body (read up to it)");
    sb_consume(&f->in, end + body);
    f->scanned = f->end = f->lines = 0;
    if (event_plain && m->body && parse_event(f, m) != 0) {
        esl_msg_free(m);
        return -1;
    }
    *out = m;
    return 1;
}

size_t esl_framer_pending(const esl_framer *f, size_t *announced)
{
    *announced = 0;
    if (f->end) {
        /* The headers are there; the body they announce is not all there yet. */
        esl_msg m = {0};
        esl_framer probe = *f;
        if (parse_headers(&probe, f->in.data, f->end, f->lines, false, &m.headers,
                          &m.header_count, NULL) == 0) {
            size_t body;
            if (announced_length(&probe, m.headers, m.header_count, &body) == 0)
                *announced = f->end + body;
            free_headers(m.headers, m.header_count);
        }
    }
    return f->in.len;
}

void esl_framer_reset(esl_framer *f)
{
    sb_clear(&f->in);
    f->error[0] = '\0';
    f->scanned = f->end = f->lines = 0;
}

void esl_framer_free(esl_framer *f)
{
    sb_free(&f->in);
}
