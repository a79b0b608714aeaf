/*
 * Logging: see log.h.
 */
#include "log.h"

#include <stdarg.h>
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

void log_at(const logger *lg, log_level level, const char *fmt, ...)
{
    if (!log_enabled(lg, level))
        return;
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    /* One line per fact, whatever the message holds. */
    for (char *p = message; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
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
