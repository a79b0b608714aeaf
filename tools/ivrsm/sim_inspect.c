/*
 * ":ctx", ":state" and ":help" in `ivrsm sim`: where the call stands, read
 * from the session's own snapshot (ivrsm_session_snapshot), so that what is
 * shown is what a restored call would carry on with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_real.h"
#include "sim_inspect.h"
#include "term.h"

const char sim_inspect_syntax[] = ":ctx | :state | :help";

static void print_json_line(json_t *v)
{
    char *text = ivrsm_json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text) {
        term_put(stdout, text); /* still JSON: C1 and bidi controls become \u escapes */
        putchar('\n');
    }
    free(text);
}

/* "CTX  {…}": the ctx, secrets masked, one key per line. */
static void show_ctx(drv *d, const ivrsm_machine *m, bool json, bool color)
{
    json_t *ctx = drv_ctx(d);
    json_t *shown = ctx ? drv_redact(m, ctx) : NULL;
    json_decref(ctx);
    if (!shown)
        shown = json_object();
    if (json) {
        json_t *line = json_pack("{s:s, s:O}", "type", "ctx", "ctx", shown);
        print_json_line(line);
        json_decref(line);
    } else {
        char *text = ivrsm_json_dumps(shown, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        /* The ctx holds what the caller said and the backend sent. */
        printf("%sCTX  ", term_sgr(color, TERM_DIM));
        term_put_lines(stdout, text ? text : "{}");
        printf("%s\n", term_sgr(color, TERM_RESET));
        free(text);
    }
    json_decref(shown);
}

/* What the session waits for, in words. */
static const char *phase_words(const char *phase)
{
    static const char *const words[][2] = {{"new", "not started"},
                                           {"input", "waits for the caller"},
                                           {"http", "waits for the backend"},
                                           {"handoff", "waits for the transfer"},
                                           {"ended", "the call has ended"}};
    for (size_t i = 0; phase && i < sizeof(words) / sizeof(*words); i++)
        if (!strcmp(words[i][0], phase))
            return words[i][1];
    return phase ? phase : "?";
}

static long counter(const json_t *counters, const char *name)
{
    return (long)json_integer_value(json_object_get(counters, name));
}

/*
 * "STATE ivr.auth.verify_otp (entered 1 time), waits for the caller"
 * "      noinput 0 · nomatch 1 · collect retries 0 · failures in a row 1 · OTP failures 0 ·
 *        escalations 0"
 * "      path: ivr.entry → ivr.auth.phone_capture → ivr.auth.verify_otp"
 */
static void show_state(drv *d, bool json, bool color)
{
    json_t *snap = drv_session_json(d);
    if (!snap)
        return;
    const char *state = json_string_value(json_object_get(snap, "state"));
    json_t *counters = json_object_get(snap, "counters");
    json_t *path = json_object_get(snap, "path");
    long visits =
        state ? (long)json_integer_value(json_object_get(json_object_get(snap, "visits"), state))
              : 0;
    const char *phase = json_string_value(json_object_get(snap, "phase"));
    if (json) {
        json_t *line = json_object();
        json_object_set_new(line, "type", json_string("state"));
        json_object_set_new(line, "state", state ? json_string(state) : json_null());
        json_object_set_new(line, "phase", json_string(phase ? phase : ""));
        json_object_set_new(line, "visits", json_integer(visits));
        json_object_set_new(line, "counters", counters ? json_incref(counters) : json_object());
        json_object_set_new(line, "path", path ? json_incref(path) : json_array());
        print_json_line(line);
        json_decref(line);
        json_decref(snap);
        return;
    }
    const char *dim = term_sgr(color, TERM_DIM), *reset = term_sgr(color, TERM_RESET);
    printf("%sSTATE ", dim);
    term_put(stdout, state ? state : "(none)");
    printf(" (entered %ld time%s), %s\n", visits, visits == 1 ? "" : "s", phase_words(phase));
    printf("      noinput %ld · nomatch %ld · collect retries %ld · failures in a row %ld · "
           "OTP failures %ld · escalations %ld\n",
           counter(counters, "noinput"), counter(counters, "nomatch"), counter(counters, "retries"),
           counter(counters, "consecutive_failures"), counter(counters, "otp_failures"),
           counter(counters, "escalations"));
    printf("      path:");
    size_t n = json_array_size(path);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? " → " : " ", stdout);
        term_put(stdout, json_string_value(json_array_get(path, i)));
    }
    printf("%s\n", reset);
    json_decref(snap);
}

/* On stderr with --json, whose stdout holds JSON only. */
static void show_help(bool json, bool color)
{
    color = color && !json;
    fprintf(json ? stderr : stdout,
            "%sCaller lines: %s\n"
            "Looking at the call: :ctx the context (secrets masked), :state the state, its "
            "counters and path, :help this text%s\n",
            term_sgr(color, TERM_DIM), drv_input_syntax, term_sgr(color, TERM_RESET));
}

int sim_inspect(const char *line, drv *d, const ivrsm_machine *m, bool json, bool color, char *err,
                size_t errlen)
{
    line += strspn(line, " \t");
    if (*line != ':')
        return 0;
    size_t len = strcspn(line, " \t\r\n");
    if (line[len + strspn(line + len, " \t\r\n")] != '\0') {
        snprintf(err, errlen, "'%.*s' takes no argument", (int)len, line);
        return -1;
    }
    if (len == 4 && !strncmp(line, ":ctx", 4))
        show_ctx(d, m, json, color);
    else if (len == 6 && !strncmp(line, ":state", 6))
        show_state(d, json, color);
    else if (len == 5 && !strncmp(line, ":help", 5))
        show_help(json, color);
    else {
        snprintf(err, errlen, "unknown command '%.*s' (expected %s)", (int)len, line,
                 sim_inspect_syntax);
        return -1;
    }
    fflush(stdout);
    return 1;
}
