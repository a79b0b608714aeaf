/*
 * Logging: see log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *name, log_level *out)
{
    if (!name)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(name, level_names[i])) {
            *out = (log_level)i;
            return 0;
        }
    }
    if (!strcasecmp(name, "warning")) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

int log_enabled(const logger *lg, log_level level)
{
    return lg && lg->out && level <= lg->level;
}

/* "2026-03-10T09:30:00.123Z", UTC, so lines from several hosts compare. */
static void format_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

/* The length of the UTF-8 sequence at p (1 to 4), or 0 when it is not one. */
static size_t utf8_at(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xE0 && p[1] < 0xA0) || (n == 3 && p[0] == 0xED && p[1] >= 0xA0) ||
        (n == 4 && p[0] == 0xF0 && p[1] < 0x90) || (n == 4 && p[0] == 0xF4 && p[1] >= 0x90))
        return 0; /* overlong, a surrogate, past U+10FFFF */
    return n;
}

void log_clean(char *message)
{
    for (unsigned char *p = (unsigned char *)message; *p;) {
        size_t n = utf8_at(p);
        if (n == 0) { /* not UTF-8 (a caller's bytes, a message cut short) */
            *p++ = '?';
            continue;
        }
        /* C0 and DEL; C1 (U+0080..U+009F, a terminal's one-byte CSI among them); the
         * bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069), which show a
         * line's text in another order than it was written; the line and paragraph
         * separators (U+2028, U+2029). */
        bool control = (n == 1 && (*p < 0x20 || *p == 0x7f)) ||
                       (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) ||
                       (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xA8 && p[2] <= 0xAE) ||
                       (n == 3 && p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9);
        if (control)
            memset(p, ' ', n);
        p += n;
    }
}

void log_at(const logger *lg, log_level level, const char *fmt, ...)
{
    if (!log_enabled(lg, level))
        return;
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    log_clean(message);
    char when[40];
    format_now(when, sizeof(when));
    fprintf(lg->out, "%s %-5s %s\n", when, level_names[level], message);
    fflush(lg->out);
}

void log_mask_digits(const char *text, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t n = text ? strlen(text) : 0;
    if (n > outlen - 1)
        n = outlen - 1;
    memset(out, '*', n);
    out[n] = '\0';
}
