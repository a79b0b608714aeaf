/*
 * Logging of the ESL host: one line per fact on stderr, with a level.
 *
 * Lines look like "2026-03-10T09:30:00.123Z info  call 3f2a…: dtmf 1".
 * Control characters in a message are replaced by spaces, so text that
 * comes from outside (prompts, FreeSWITCH replies) can never split a line
 * or forge one. Secrets are kept out by the callers: the library's trace
 * records are already redacted, and caller input collected in an OTP state
 * is masked before it is logged (log_mask_digits()).
 */
#ifndef ESL_HOST_LOG_H
#define ESL_HOST_LOG_H

#include <stddef.h>
#include <stdio.h>

typedef enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 } log_level;

typedef struct logger {
    log_level level; /* messages above this level are dropped */
    FILE *out;       /* stderr in the host; a temporary file in checks */
} logger;

/*
 * Parse a level name: "error", "warn" (or "warning"), "info", "debug".
 * Returns 0 and sets *out, or -1 for an unknown name.
 */
int log_level_parse(const char *name, log_level *out);

/* Whether a message at `level` would be written. */
int log_enabled(const logger *lg, log_level level);

/*
 * Make a message one line of text in place: controls (C0, DEL, C1), bidirectional overrides
 * and line separators become spaces, bytes that are not UTF-8 become '?'. Callers' words and
 * backends' texts reach log lines; none of them may forge a line or drive a terminal.
 */
void log_clean(char *message);

/* Write one line at `level` (nothing when the level is filtered out). */
void log_at(const logger *lg, log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Copy `text` into `out` (at most outlen - 1 bytes, always terminated) with
 * every character replaced by '*': what an OTP looks like in a log.
 */
void log_mask_digits(const char *text, char *out, size_t outlen);

#endif
