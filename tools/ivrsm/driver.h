/*
 * The call driver shared by `ivrsm sim`, `ivrsm test` and `ivrsm replay`.
 *
 * A driver owns one session and everything around it that a host would
 * provide: the clock, the backend that answers http commands (a live one
 * through the libcurl adapter, canned responses, or answers supplied by the
 * caller of the driver), the answers to handoffs, and the records of what
 * happened. The three commands differ only in where caller inputs come from
 * and in what they do with the records, so they drive a call identically.
 *
 * Every command the session emits is executed at once (an http command is
 * sent and waited for, a handoff answered), so between two caller inputs the
 * session always waits for the next input or has ended.
 */
#ifndef IVRSM_CLI_DRIVER_H
#define IVRSM_CLI_DRIVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivrsm/ivrsm.h"

/* ---------------------------------------------------------------------------
 * Caller inputs (driver_util.c)
 * ------------------------------------------------------------------------- */

/* One caller input, as a sim line or a scenario step gives it. */
typedef struct drv_input {
    ivrsm_event_type type; /* DTMF, SPEECH, INTENT, NOINPUT, NOMATCH or HANGUP */
    char *text;            /* DTMF digits, transcript or intent name (owned); NULL otherwise */
    double confidence;     /* SPEECH: 0..1, or -1 when not given */
} drv_input;

/*
 * Parse one sim line: "dtmf DIGITS", "say TEXT", "say@0.3 TEXT",
 * "intent NAME", "noinput", "nomatch", "hangup". Surrounding blanks are
 * ignored.
 * Returns 1 and fills *out (release it with drv_input_clear()), 0 for a blank
 * line or a "#" comment, or -1 with a one-line reason in err.
 */
int drv_input_parse(const char *line, drv_input *out, char *err, size_t errlen);

/* Check a DTMF string (0-9 * # A-D, at most IVRSM_MAX_INPUT_BYTES). 0 or -1 with err set. */
int drv_dtmf_check(const char *digits, char *err, size_t errlen);

/* The sim line of an input ("dtmf 12", "say@0.3 bonjour"). New string, or NULL. */
char *drv_input_format(const drv_input *in);

/* A deep copy of src into *dst. 0, or -1 when out of memory. */
int drv_input_copy(drv_input *dst, const drv_input *src);

/*
 * Keys read as a phone and the ESL host read them for a question that takes
 * at most `max_digits` keys and ends on one of `terminators` ("" for none):
 * the entry ends at a terminator (not part of it), or after max_digits keys
 * (a terminator right after them ends it too); the keys after the end are
 * not part of this answer (the host flushes them before the next question).
 * The driver bounds an ask as the ESL host does: its max_digits, one more
 * when a terminator closes the entry.
 * Writes the entry into `entry` (at least strlen(keys) + 1 bytes) and returns
 * the number of keys dropped after it; *terminated says whether a terminator
 * ended the entry. max_digits <= 0 means no bound.
 */
size_t drv_keypad_read(const char *keys, int max_digits, const char *terminators, char *entry,
                       bool *terminated);

/* Free what the input owns and zero it. */
void drv_input_clear(drv_input *in);

/* One line of the input syntax, for help texts. */
extern const char drv_input_syntax[];

/* ---------------------------------------------------------------------------
 * Small shared helpers (driver_util.c)
 * ------------------------------------------------------------------------- */

/*
 * Parse an ISO 8601 time: "2025-03-10", "2025-03-10T09:30", "…:45",
 * "…:45.250", each optionally followed by "Z" or "+01:00" / "-0500"
 * (without an offset the time is UTC). A space may replace the "T".
 * Returns 0 and the milliseconds since the Unix epoch, or -1.
 */
int drv_parse_time(const char *text, int64_t *ms);

/*
 * A time for drv_parse_time written without a UTC offset is read as UTC:
 * "2026-11-25T10:00" for a pharmacy in America/Chicago is 4 AM there, and its
 * business hours say closed. When the machine at machine_path has another
 * timezone, say so on stderr, the line starting with `where` ("ivrsm sim: ",
 * "FILE:LINE:COL: "). Nothing when the time has an offset.
 */
void drv_note_time_without_offset(const char *where, const char *text, const char *machine_path);

/*
 * Load a machine file, printing a failure to stderr as "FILE:LINE:COL: message"
 * (or "FILE: message" when the position is unknown). NULL on failure.
 */
ivrsm_machine *drv_load_machine(const char *path);

/* The current real time, in milliseconds since the Unix epoch. */
int64_t drv_real_now_ms(void);

/* A --set VALUE: its JSON value when it parses as JSON, else the string itself. */
json_t *drv_value_from_text(const char *text);

/*
 * A deep copy of v with the values of secret keys replaced by "***": the
 * library's redaction (ivrsm_machine_redact_json), for JSON values in hand.
 * NULL on no memory.
 */
json_t *drv_redact(const ivrsm_machine *m, const json_t *v);

/*
 * Canned answers keep their numbers as written: each answer of `responses`
 * (endpoint or "METHOD /path" → answer or list of answers, as JSON) whose
 * body jansson would write with other number texts ("1250.50" read into a
 * double comes back "1250.5") gets that body as the text written in the file
 * instead (a string body is sent as it is). `map` is the same responses as
 * the library's document reader gives them. Returns 0, or -1 on no memory.
 */
int drv_keep_written_bodies(json_t *responses, const ivrsm_node *map);

/*
 * Canned answers that no http command of the machine can ask for: a key of
 * `responses` that is neither an endpoint of the machine at `machine_path`
 * (globals.endpoints) nor "METHOD /path" (a call that names no endpoint), a
 * typo that would otherwise only show when the call reaches the endpoint.
 * report(key, the machine's endpoint names as "a, b, c" or "" for none,
 * user) for each. Returns how many; 0 also when the machine cannot be read
 * (its own load reports that) or its endpoints are not a plain map.
 */
typedef void (*drv_response_key_report)(const char *key, const char *known, void *user);
int drv_check_response_keys(const char *machine_path, const json_t *responses,
                            drv_response_key_report report, void *user);
/* The warning for one such key on stderr: "FILE:LINE:COL: warning: ..." when the
   position is known (line > 0), else "PROG: FILE: warning: ...". */
void drv_report_response_key(const char *prog, const char *file, int line, int column,
                             const char *machine, const char *key, const char *known);

/*
 * The same for one answer: its "body" (as jansson read it) becomes the text
 * of `body` (the library's document reader's reading of it) when jansson
 * would write other number texts. NULL `body` leaves it. 0, or -1 on no memory.
 */
int drv_keep_written_body(json_t *answer, const ivrsm_node *body);

/*
 * Compare two JSON values where a redacted string may stand for anything:
 * a string holding "***" on either side matches any string in which its
 * other parts appear in order ("Bearer ***" matches "Bearer abc").
 * Object keys listed in `ignore` (NULL-terminated, may be NULL) are skipped
 * at the top level only.
 */
bool drv_json_match_redacted(const json_t *a, const json_t *b, const char *const *ignore);

/*
 * Whether `actual` contains `expected`: objects by subset (every key of
 * expected present in actual with a matching value, recursively), arrays
 * element by element with the same length, scalars by equality (integers
 * and reals compare by value).
 */
bool drv_json_subset(const json_t *expected, const json_t *actual);

/*
 * Command-line option with a value: "--name VALUE" or "--name=VALUE" at
 * argv[*i]. Returns 1 with *value set (and *i moved past it), 0 when
 * argv[*i] is another option, -1 when the value is missing (message on
 * stderr, prefixed with `prog`).
 */
int drv_option_value(const char *prog, int argc, char **argv, int *i, const char *name,
                     const char **value);

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil). */
int64_t drv_days_from_civil(int64_t y, int m, int d);

/* "-o FILE", "--output FILE" or "--output=FILE": as drv_option_value. */
int drv_output_option(const char *prog, int argc, char **argv, int *i, const char **file);

/*
 * An argument of command `prog` that none of its options took: the one
 * `what` ("machine", "file") it takes, into *slot. Returns 0, or 2 (the exit
 * status) after saying on stderr why not: an unknown option, or a second one.
 */
int drv_operand(const char *prog, const char *arg, const char *what, const char **slot);
/* 0 when the `what` was given (slot not NULL), else 2 after saying so and printing the usage. */
int drv_operand_given(const char *prog, const char *what, const char *slot,
                      void (*usage)(FILE *out));

/* ---------------------------------------------------------------------------
 * The driver
 * ------------------------------------------------------------------------- */

/* The answer to one http command. */
typedef struct drv_answer {
    int status;        /* HTTP status, 0 when the transfer failed */
    char *body;        /* response body (malloc'd) or NULL */
    char *error;       /* transport error text (malloc'd) or NULL */
    double elapsed_ms; /* time taken, for display; 0 when not measured */
} drv_answer;

/* Free what an answer owns and zero it. */
void drv_answer_clear(drv_answer *a);

/*
 * Answer providers, used in place of the backend when set (replay, the
 * second run of `test --snapshots`). Return 0 with the answer filled, or -1
 * with a one-line reason in err (the driver then fails).
 */
typedef int (*drv_http_fn)(void *user, const ivrsm_command *cmd, drv_answer *out, char *err,
                           size_t errlen);
typedef int (*drv_handoff_fn)(void *user, const ivrsm_command *cmd, int *ok, char *err,
                              size_t errlen);

/*
 * What the driver reports for each command once it has been executed.
 * full:  the command's JSON form with nothing hidden ("type", "id", "state",
 *        "text", ask fields, "method", "path", "query", "headers", "body",
 *        "endpoint"...), plus its result: "status", "error" and "response"
 *        (the body, as JSON when it parses) for http, "ok" for handoff.
 * shown: the same for display and files: the library's trace record of the
 *        command (secrets replaced by "***") with "status", "error",
 *        "elapsed_ms" and the redacted "response" for http, "ok" for handoff.
 * All three are valid during the callback only (take a reference to keep one).
 */
typedef struct drv_report {
    const json_t *full;
    const json_t *shown;
    const drv_answer *answer; /* http: the answer as fed to the session; else NULL */
} drv_report;

typedef struct drv_hooks {
    /* Each command, in order, after it was executed. */
    void (*command)(void *user, const drv_report *r);
    /*
     * Each caller input, just before it is fed. `recorded` is what a trace
     * may hold: the input itself, or for a secret input (an OTP) a stand-in
     * that was checked to make the session do the same thing, or NULL when
     * none was found (see drv_config.stand_ins). now_ms: the clock then.
     */
    void (*input)(void *user, const drv_input *in, const drv_input *recorded, int64_t now_ms);
    /* Each trace record of the session (JSON text, no newline). */
    void (*trace)(void *user, const char *record);
    /* What the keypad made of keys typed (see drv_config.keypad), one line;
     * it names counts and terminators, never the keys of a secret. */
    void (*keypad)(void *user, const char *note);
    void *user;
} drv_hooks;

typedef enum drv_clock_mode {
    DRV_CLOCK_REAL = 0, /* real time, read once before each event is fed */
    DRV_CLOCK_FIXED,    /* always now_ms */
    DRV_CLOCK_MANUAL    /* now_ms, changed only by drv_set_now() */
} drv_clock_mode;

typedef struct drv_config {
    ivrsm_machine *machine; /* required; the driver takes its own reference */
    const char *call_id;    /* may be NULL */
    const char *session_id; /* may be NULL (the library derives one) */
    const char *ctx_json;   /* initial ctx, a JSON object text, or NULL */
    drv_clock_mode clock;
    int64_t now_ms; /* FIXED and MANUAL: the time; REAL: ignored */

    /* Where http answers come from, first match wins: http (a provider),
     * responses (canned: a JSON object mapping an endpoint name or
     * "METHOD /path" to {"status": N, "body": ...} or to a list of them, used
     * in turn, the last one repeating) when it names the command or no
     * backend was given, backend_url (live, through the libcurl adapter).
     * With none of them an http command fails the driver. */
    drv_http_fn http;
    drv_handoff_fn handoff; /* NULL: answer handoffs with handoff_ok */
    void *answer_user;
    const char *backend_url;
    const json_t *responses;
    const char *responses_name; /* for messages */
    const char *backend_hint;   /* how to give a backend, for the message when none was given */
    int handoff_ok;
    const int *handoff_answers; /* when set: handoffs answered in turn, the last repeating */
    size_t handoff_count;
    int http_timeout_ms; /* > 0: the most any http command may take */

    /* Save the session with ivrsm_session_snapshot() after every event and
     * go on with a session restored from that snapshot. */
    bool snapshot_each_event;
    /* Look for a replayable stand-in for each secret input (drv_hooks.input). */
    bool stand_ins;
    /* Read keys as a phone on the ESL host does against the last question's
     * bounds and terminators (drv_keypad_read()) before feeding them: what
     * is typed beyond the entry is dropped, a lone terminator is a wrong
     * answer (NOMATCH). sim and test; replay feeds what was recorded. */
    bool keypad;
    drv_hooks hooks;
} drv_config;

typedef enum drv_status {
    DRV_OK = 0,      /* done */
    DRV_REFUSED = 1, /* the session refused the caller input (ended, out of order...) */
    DRV_FAILED = 2   /* the call cannot go on: no backend, out of memory, a library error */
} drv_status;

typedef struct drv drv;

/* Create a driver and its session (not started). On failure returns NULL with err set. */
drv *drv_new(const drv_config *cfg, char *err, size_t errlen);

/* Start the session and execute the commands it emits. */
drv_status drv_start(drv *d);

/* Feed one caller input and execute the commands it leads to. */
drv_status drv_feed_input(drv *d, const drv_input *in);

/* The reason of the last DRV_REFUSED or DRV_FAILED, one line. */
const char *drv_error(const drv *d);

/* Whether the call failed on an http command that neither a backend nor a canned
   answer could take because no backend was given (cfg.backend_url and cfg.http
   NULL): the run needs one, which is no fault of the machine. */
bool drv_needed_a_backend(const drv *d);

/* Set the clock (DRV_CLOCK_MANUAL); answer providers may call it too. */
void drv_set_now(drv *d, int64_t now_ms);
/* The clock's current value. */
int64_t drv_now(const drv *d);

/* Whether the call is over, and how: "hangup" or "handoff" (NULL while it goes on). */
bool drv_ended(const drv *d);
const char *drv_end_kind(const drv *d);
/* The session's current state, or NULL before start. */
const char *drv_state(const drv *d);
/* The session's ctx as JSON (new reference), or NULL when out of memory. */
json_t *drv_ctx(const drv *d);
/*
 * The session as ivrsm_session_snapshot() saves it (state, phase, counters,
 * visits, path, ctx, resp...), new reference, or NULL when out of memory.
 * Not redacted: show it through drv_redact().
 */
json_t *drv_session_json(const drv *d);
/*
 * Whether the caller's next input is a secret (an OTP, also typed again in a
 * state that hands it on to the OTP collect): echoes and traces mask it.
 */
bool drv_secret_expected(const drv *d);
/* Number of events fed to the session so far (caller inputs and results). */
size_t drv_event_count(const drv *d);

void drv_free(drv *d);

#endif
