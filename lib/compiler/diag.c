#include "diag.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_MESSAGE_MAX 512

void ivrsm_diag_copy_utf8(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        /* Step back over continuation bytes so no character is cut. */
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/*
 * Messages and paths are one printable line (they are printed as
 * FILE:LINE:COL: message, and hosts write them to their logs), but they quote
 * document text, which may hold any character a YAML escape or a JSON \u
 * writes: line breaks and tabs become spaces, and every other control
 * character (C0, DEL, C1 such as U+009B, the 8-bit CSI), direction control
 * (U+202E shows what follows backwards) and line separator becomes '?', so
 * that a machine's key can neither forge a log line, drive a terminal nor
 * reorder the message around it.
 */
/* U+061C, U+200E, U+200F, U+202A-U+202E and U+2066-U+2069 (direction controls), U+2028 and
 * U+2029 (line and paragraph separators) at s; each but U+061C is three bytes. */
static bool reorders_or_breaks(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] != 0xE2 || !u[1] || !u[2])
        return false;
    if (u[1] == 0x80)
        return u[2] == 0x8E || u[2] == 0x8F || (u[2] >= 0xA8 && u[2] <= 0xAE);
    return u[1] == 0x81 && u[2] >= 0xA6 && u[2] <= 0xA9;
}

static void make_printable(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        unsigned char c = (unsigned char)*r;
        if (c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\t') {
            *w++ = ' ';
        } else if (c < 0x20 || c == 0x7f) {
            *w++ = '?';
        } else if ((c == 0xC2 && (unsigned char)r[1] >= 0x80 && (unsigned char)r[1] <= 0x9F) ||
                   (c == 0xD8 && (unsigned char)r[1] == 0x9C)) {
            *w++ = '?';
            r++;
        } else if (reorders_or_breaks(r)) {
            *w++ = '?';
            r += 2;
        } else {
            *w++ = (char)c;
        }
    }
    *w = '\0';
}

ivrsm_diagnostics *ivrsm_diag_new(const char *file, const ivrsm_mem *mem)
{
    ivrsm_diagnostics *d = ivrsm_mem_calloc(mem, 1, sizeof(*d));
    if (!d)
        return NULL;
    d->mem = *mem;
    d->file = ivrsm_mem_strdup(mem, file ? file : "<buffer>");
    if (!d->file) {
        ivrsm_mem_free(mem, d);
        return NULL;
    }
    return d;
}

int ivrsm_diag_addv(ivrsm_diagnostics *d, ivrsm_severity severity, int code, int line, int column,
                    const char *path, const char *rule, const char *fmt, va_list ap)
{
    char message[DIAG_MESSAGE_MAX];
    char raw[DIAG_MESSAGE_MAX * 2];
    vsnprintf(raw, sizeof(raw), fmt, ap);
    ivrsm_diag_copy_utf8(message, sizeof(message), raw);
    make_printable(message);
    if (!path)
        path = "";
    size_t plen = strlen(path), mlen = strlen(message);
    if (ivrsm_mem_grow(&d->mem, (void **)&d->items, &d->cap, d->count, sizeof(*d->items), 16) !=
        0) {
        d->nomem = true;
        return -1;
    }
    /* One allocation per entry: the entry, then its path, then its message. */
    diag_entry *e = ivrsm_mem_malloc(&d->mem, sizeof(*e) + plen + 1 + mlen + 1);
    if (!e) {
        d->nomem = true;
        return -1;
    }
    char *p = (char *)(e + 1);
    memcpy(p, path, plen + 1);
    make_printable(p); /* shorter or the same: the message's place is unchanged */
    memcpy(p + plen + 1, message, mlen + 1);
    e->pub.severity = severity;
    e->pub.line = line;
    e->pub.column = column;
    e->pub.path = p;
    e->pub.rule = rule;
    e->pub.message = p + plen + 1;
    e->code = severity == IVRSM_SEVERITY_ERROR ? code : 0;
    e->seq = d->count;
    d->items[d->count++] = e;
    if (severity == IVRSM_SEVERITY_ERROR)
        d->errors++;
    return 0;
}

int ivrsm_diag_add(ivrsm_diagnostics *d, ivrsm_severity severity, int code, int line, int column,
                   const char *path, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ivrsm_diag_addv(d, severity, code, line, column, path, rule, fmt, ap);
    va_end(ap);
    return rc;
}

const char *ivrsm_diag_rule_for_code(int code)
{
    switch (code) {
    case IVRSM_ESYNTAX:
        return "syntax";
    case IVRSM_ELIMIT:
        return "limit";
    default:
        return "wrong-type";
    }
}

int ivrsm_diag_add_error(ivrsm_diagnostics *d, const ivrsm_error *err)
{
    return ivrsm_diag_add(d, IVRSM_SEVERITY_ERROR, err->code, err->line, err->column, err->path,
                          ivrsm_diag_rule_for_code(err->code), "%s", err->message);
}

static int entry_before(const diag_entry *a, const diag_entry *b)
{
    if (a->pub.line != b->pub.line)
        return a->pub.line < b->pub.line;
    if (a->pub.column != b->pub.column)
        return a->pub.column < b->pub.column;
    return a->seq < b->seq;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const diag_entry *a = *(diag_entry *const *)pa, *b = *(diag_entry *const *)pb;
    if (entry_before(a, b))
        return -1;
    return entry_before(b, a) ? 1 : 0;
}

void ivrsm_diag_sort(ivrsm_diagnostics *d)
{
    /* seq breaks ties, so qsort's instability does not show. */
    if (d->count > 1)
        qsort(d->items, d->count, sizeof(*d->items), entry_cmp);
}

const diag_entry *ivrsm_diag_first_error(const ivrsm_diagnostics *d)
{
    const diag_entry *best = NULL;
    for (size_t i = 0; i < d->count; i++) {
        const diag_entry *e = d->items[i];
        if (e->pub.severity == IVRSM_SEVERITY_ERROR && (!best || entry_before(e, best)))
            best = e;
    }
    return best;
}

static void error_fill(ivrsm_error *err, int code, const char *file, int line, int column,
                       const char *path, const char *message)
{
    err->code = code;
    err->line = line;
    err->column = column;
    ivrsm_diag_copy_utf8(err->file, sizeof(err->file), file ? file : "<buffer>");
    ivrsm_diag_copy_utf8(err->path, sizeof(err->path), path ? path : "");
    make_printable(err->path);
    ivrsm_diag_copy_utf8(err->message, sizeof(err->message), message);
    make_printable(err->message);
}

int ivrsm_diag_entry_to_error(const diag_entry *e, const char *file, ivrsm_error *err)
{
    if (err)
        error_fill(err, e->code, file, e->pub.line, e->pub.column, e->pub.path, e->pub.message);
    return e->code;
}

int ivrsm_diag_set_error(ivrsm_error *err, int code, const char *file, int line, int column,
                         const char *path, const char *fmt, ...)
{
    if (!err)
        return code;
    char message[DIAG_MESSAGE_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    error_fill(err, code, file, line, column, path, message);
    return code;
}

/* --- Public API ----------------------------------------------------------- */

size_t ivrsm_diagnostics_count(const ivrsm_diagnostics *d)
{
    return d ? d->count : 0;
}

size_t ivrsm_diagnostics_error_count(const ivrsm_diagnostics *d)
{
    return d ? d->errors : 0;
}

const ivrsm_diagnostic *ivrsm_diagnostics_get(const ivrsm_diagnostics *d, size_t i)
{
    if (!d || i >= d->count)
        return NULL;
    return &d->items[i]->pub;
}

const char *ivrsm_diagnostics_file(const ivrsm_diagnostics *d)
{
    return d ? d->file : NULL;
}

void ivrsm_diagnostics_free(ivrsm_diagnostics *d)
{
    if (!d)
        return;
    ivrsm_mem mem = d->mem;
    for (size_t i = 0; i < d->count; i++)
        ivrsm_mem_free(&mem, d->items[i]);
    ivrsm_mem_free(&mem, d->items);
    ivrsm_mem_free(&mem, d->file);
    ivrsm_mem_free(&mem, d);
}
