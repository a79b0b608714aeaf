/*
 * Messages the host sends on the event socket.
 *
 * Header values are never built from text that comes from outside: the
 * channel UUID is checked (esl_uuid_valid()), application names and
 * configuration values are checked when the host starts
 * (esl_token_valid()), and every application argument goes in a body
 * ("content-type: text/plain" + "content-length"), so a prompt or a
 * caller's words cannot end a header or start a command, whatever bytes
 * they hold.
 */
#ifndef ESL_HOST_ESL_WIRE_H
#define ESL_HOST_ESL_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/*
 * The event types the host subscribes to (space-separated): those it acts on, and DTMF, which
 * it logs. Only events that carry the channel's variables pass its filter
 * (src/switch_channel.c switch_channel_event_set_extended_data): BACKGROUND_JOB (the host sends
 * no bgapi: its api commands answer at once) and DETECTED_SPEECH (src/switch_ivr_async.c
 * speech_thread fires the event socket's copy without the channel's data) never would.
 */
#define ESL_EVENT_TYPES                                                                            \
    "CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE CHANNEL_BRIDGE CHANNEL_HANGUP "                         \
    "CHANNEL_HANGUP_COMPLETE CHANNEL_UNPARK DTMF"

/* A channel UUID as FreeSWITCH writes it: 1 to 64 letters, digits and '-'. */
bool esl_uuid_valid(const char *s);

/*
 * A value the host may put in a header or a command line: 1 to 256 bytes,
 * none of them a control character, a space or a byte above 0x7e.
 */
bool esl_token_valid(const char *s);

/* A value with no control character (CR, LF, NUL...): safe to end a line. */
bool esl_line_safe(const char *s);

/* "auth PASSWORD\n\n". Returns 0, or -1 when the password is not line-safe. */
int esl_build_auth(strbuf *out, const char *password);

/* "event plain TYPES\n\n". */
int esl_build_subscribe(strbuf *out);

/* "filter HEADER VALUE\n\n". Returns -1 when either is not a token. */
int esl_build_filter(strbuf *out, const char *header, const char *value);

/* "api COMMAND UUID[ ARG]\n\n" for uuid_exists / uuid_break. -1 for a bad UUID or token. */
int esl_build_uuid_api(strbuf *out, const char *command, const char *uuid, const char *arg);

/*
 * A sendmsg that executes `app` with `arg` on channel `uuid`:
 *
 *     sendmsg UUID
 *     call-command: execute
 *     execute-app-name: APP
 *     event-lock: true
 *     Event-UUID: APP_UUID
 *     content-type: text/plain
 *     content-length: N
 *
 *     ARG
 *
 * Returns 0, or -1 when uuid or app_uuid is not a UUID or app not a token
 * (nothing is appended then). `arg` may hold any bytes.
 */
int esl_build_execute(strbuf *out, const char *uuid, const char *app_uuid, const char *app,
                      const char *arg);

/* "exit\n\n": asks FreeSWITCH to close the connection. */
int esl_build_exit(strbuf *out);

/*
 * A new random UUID (version 4) in `out` (at least 37 bytes).
 * Returns 0, or -1 when the system has no randomness to give.
 */
int esl_new_uuid(char *out, size_t outlen);

#endif
