/*
 * Growable byte buffer: see strbuf.h.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(strbuf *sb, size_t extra)
{
    if (sb->oom)
        return -1;
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (!p) {
        sb->oom = true;
        return -1;
    }
    sb->data = p;
    sb->cap = cap;
    return 0;
}

int sb_append(strbuf *sb, const char *data, size_t len)
{
    if (reserve(sb, len) != 0)
        return -1;
    if (len)
        memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
    return 0;
}

int sb_puts(strbuf *sb, const char *s)
{
    return sb_append(sb, s, strlen(s));
}

int sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(sb, (size_t)n) != 0) {
        sb->oom = true;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return 0;
}

void sb_consume(strbuf *sb, size_t n)
{
    if (n >= sb->len) {
        sb->len = 0;
    } else {
        memmove(sb->data, sb->data + n, sb->len - n);
        sb->len -= n;
    }
    if (sb->data)
        sb->data[sb->len] = '\0';
}

void sb_clear(strbuf *sb)
{
    sb->len = 0;
    sb->oom = false;
    if (sb->data)
        sb->data[0] = '\0';
}

void sb_free(strbuf *sb)
{
    free(sb->data);
    memset(sb, 0, sizeof(*sb));
}

char *sb_take(strbuf *sb)
{
    if (sb->oom) {
        sb_free(sb);
        return NULL;
    }
    char *s = sb->data ? sb->data : strdup("");
    memset(sb, 0, sizeof(*sb));
    return s;
}
