/*
 * Prints, as JSON, the size and field offsets of every public struct the
 * Python package lays out itself with ctypes (ivrsm/_native.py), as the C
 * compiler sees them in include/ivrsm/ivrsm.h. test_abi.py compares the two,
 * so a change to the header that the package does not follow fails a test
 * instead of corrupting memory.
 */
#include <ivrsm/ivrsm.h>
#include <stddef.h>
#include <stdio.h>

/* Where the output is: how many structs and fields were printed so far. */
typedef struct printer {
    int structs;
    int fields;
} printer;

static void begin(printer *p, const char *name, size_t size)
{
    printf("%s\"%s\": {\"size\": %zu, \"fields\": {", p->structs++ ? ",\n " : "{", name, size);
    p->fields = 0;
}

static void field(printer *p, const char *name, size_t offset)
{
    printf("%s\"%s\": %zu", p->fields++ ? ", " : "", name, offset);
}

#define OPEN(type) begin(&p, #type, sizeof(type))
#define FIELD(type, member) field(&p, #member, offsetof(type, member))
#define CLOSE() printf("}}")

int main(void)
{
    printer p = {0, 0};

    OPEN(ivrsm_error);
    FIELD(ivrsm_error, code);
    FIELD(ivrsm_error, line);
    FIELD(ivrsm_error, column);
    FIELD(ivrsm_error, file);
    FIELD(ivrsm_error, path);
    FIELD(ivrsm_error, message);
    CLOSE();

    OPEN(ivrsm_diagnostic);
    FIELD(ivrsm_diagnostic, severity);
    FIELD(ivrsm_diagnostic, line);
    FIELD(ivrsm_diagnostic, column);
    FIELD(ivrsm_diagnostic, path);
    FIELD(ivrsm_diagnostic, rule);
    FIELD(ivrsm_diagnostic, message);
    CLOSE();

    OPEN(ivrsm_event);
    FIELD(ivrsm_event, type);
    FIELD(ivrsm_event, event_id);
    FIELD(ivrsm_event, text);
    FIELD(ivrsm_event, confidence);
    FIELD(ivrsm_event, command_id);
    FIELD(ivrsm_event, status);
    FIELD(ivrsm_event, body);
    FIELD(ivrsm_event, body_len);
    FIELD(ivrsm_event, error);
    FIELD(ivrsm_event, ok);
    CLOSE();

    OPEN(ivrsm_header);
    FIELD(ivrsm_header, name);
    FIELD(ivrsm_header, value);
    CLOSE();

    OPEN(ivrsm_command);
    FIELD(ivrsm_command, type);
    FIELD(ivrsm_command, id);
    FIELD(ivrsm_command, state);
    FIELD(ivrsm_command, text);
    FIELD(ivrsm_command, ask.dtmf);
    FIELD(ivrsm_command, ask.speech);
    FIELD(ivrsm_command, ask.min_digits);
    FIELD(ivrsm_command, ask.max_digits);
    FIELD(ivrsm_command, ask.terminators);
    FIELD(ivrsm_command, ask.timeout_ms);
    FIELD(ivrsm_command, ask.digit_timeout_ms);
    FIELD(ivrsm_command, ask.barge_in);
    FIELD(ivrsm_command, ask.hints);
    FIELD(ivrsm_command, ask.hint_count);
    FIELD(ivrsm_command, ask.collect);
    FIELD(ivrsm_command, http.endpoint);
    FIELD(ivrsm_command, http.method);
    FIELD(ivrsm_command, http.path);
    FIELD(ivrsm_command, http.query);
    FIELD(ivrsm_command, http.headers);
    FIELD(ivrsm_command, http.header_count);
    FIELD(ivrsm_command, http.body);
    FIELD(ivrsm_command, http.idempotency_key);
    FIELD(ivrsm_command, http.timeout_ms);
    FIELD(ivrsm_command, handoff.queue);
    FIELD(ivrsm_command, handoff.context);
    FIELD(ivrsm_command, hangup.reason);
    FIELD(ivrsm_command, parts);
    FIELD(ivrsm_command, part_count);
    FIELD(ivrsm_command, language);
    CLOSE();

    OPEN(ivrsm_part);
    FIELD(ivrsm_part, type);
    FIELD(ivrsm_part, text);
    CLOSE();

    OPEN(ivrsm_limits);
    FIELD(ivrsm_limits, max_consecutive_failures);
    FIELD(ivrsm_limits, max_state_visits);
    FIELD(ivrsm_limits, max_steps_per_event);
    FIELD(ivrsm_limits, otp_max_attempts);
    FIELD(ivrsm_limits, min_confidence);
    CLOSE();

    OPEN(ivrsm_session_options);
    FIELD(ivrsm_session_options, call_id);
    FIELD(ivrsm_session_options, session_id);
    FIELD(ivrsm_session_options, ctx_json);
    FIELD(ivrsm_session_options, clock);
    FIELD(ivrsm_session_options, clock_user);
    FIELD(ivrsm_session_options, trace);
    FIELD(ivrsm_session_options, trace_user);
    FIELD(ivrsm_session_options, limits);
    CLOSE();

    printf("}\n");
    return 0;
}
