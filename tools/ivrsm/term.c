/*
 * Readable rendering of call commands, with optional ANSI colours.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "term.h"

bool term_wants_color(FILE *f)
{
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color)
        return false;
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb"))
        return false;
    return isatty(fileno(f)) != 0;
}

const char *term_sgr(bool on, term_color c)
{
    static const char *const codes[] = {
        [TERM_RESET] = "\033[0m", [TERM_BOLD] = "\033[1m",     [TERM_DIM] = "\033[2m",
        [TERM_RED] = "\033[31m",  [TERM_GREEN] = "\033[32m",   [TERM_YELLOW] = "\033[33m",
        [TERM_BLUE] = "\033[34m", [TERM_MAGENTA] = "\033[35m", [TERM_CYAN] = "\033[36m",
    };
    return on ? codes[c] : "";
}

static const char *str_field(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static long int_field(const json_t *o, const char *key, long fallback)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : fallback;
}

/* "IVR  › text" */
static void put_speech(FILE *out, const char *indent, bool color, const char *text)
{
    fprintf(out, "%s%sIVR  ›%s %s\n", indent, term_sgr(color, TERM_CYAN),
            term_sgr(color, TERM_RESET), text);
}

/*
 * What an ask listens for, and the state that asks: "[dtmf 1 digit | speech] · menu",
 * "[dtmf 4-15 digits # | collect phone] · auth.phone".
 */
static void put_ask(FILE *out, const char *indent, bool color, const json_t *r)
{
    fprintf(out, "%s%sASK  [", indent, term_sgr(color, TERM_YELLOW));
    const char *sep = "";
    if (json_is_true(json_object_get(r, "dtmf"))) {
        long min = int_field(r, "min_digits", 0);
        long max = int_field(r, "max_digits", 0);
        fputs("dtmf", out);
        if (max > 0 && (min == max || min <= 0))
            fprintf(out, " %s%ld digit%s", min <= 0 && max > 1 ? "up to " : "", max,
                    max > 1 ? "s" : "");
        else if (max > 0)
            fprintf(out, " %ld-%ld digits", min, max);
        const char *term = str_field(r, "terminators");
        if (term && *term)
            fprintf(out, " %s", term);
        sep = " | ";
    }
    if (json_is_true(json_object_get(r, "speech"))) {
        fprintf(out, "%sspeech", sep);
        sep = " | ";
    }
    const char *collect = str_field(r, "collect");
    if (collect)
        fprintf(out, "%scollect %s", sep, collect);
    fprintf(out, "]%s", term_sgr(color, TERM_RESET));
    /* Where the call stands: the state that asks, in the background. */
    const char *state = str_field(r, "state");
    if (state && *state)
        fprintf(out, " %s· %s%s", term_sgr(color, TERM_DIM), state, term_sgr(color, TERM_RESET));
    fputc('\n', out);
}

/* "HTTP PUT /auth/request-otp → 200 (12 ms)", or the transport error in place of the status. */
static void put_http(FILE *out, const char *indent, bool color, const json_t *r)
{
    const char *method = str_field(r, "method");
    const char *path = str_field(r, "path");
    const char *query = str_field(r, "query");
    fprintf(out, "%s%sHTTP%s %s %s%s%s", indent, term_sgr(color, TERM_MAGENTA),
            term_sgr(color, TERM_RESET), method ? method : "?", path ? path : "?",
            query && *query ? "?" : "", query && *query ? query : "");
    json_t *status = json_object_get(r, "status");
    const char *error = str_field(r, "error");
    if (json_is_integer(status)) {
        long code = (long)json_integer_value(status);
        bool good = code >= 200 && code < 300 && !error;
        fprintf(out, " → %s", term_sgr(color, good ? TERM_GREEN : TERM_RED));
        if (code > 0)
            fprintf(out, "%ld%s", code, error ? " " : "");
        if (error)
            fputs(error, out);
        fputs(term_sgr(color, TERM_RESET), out);
    }
    json_t *elapsed = json_object_get(r, "elapsed_ms");
    if (json_is_number(elapsed))
        fprintf(out, " (%.0f ms)", json_number_value(elapsed));
    fputc('\n', out);
}

static void put_handoff(FILE *out, const char *indent, bool color, const json_t *r)
{
    const char *queue = str_field(r, "queue");
    fprintf(out, "%s%sHANDOFF %s", indent, term_sgr(color, TERM_BLUE),
            queue && *queue ? queue : "(no queue)");
    json_t *ok = json_object_get(r, "ok");
    if (json_is_boolean(ok))
        fprintf(out, " → %s", json_is_true(ok) ? "ok" : "failed");
    fprintf(out, "%s\n", term_sgr(color, TERM_RESET));
}

/* "IVR  ▶ ivr/welcome.wav": a recording played. */
static void put_play(FILE *out, const char *indent, bool color, const char *uri)
{
    fprintf(out, "%s%sIVR  ▶%s %s\n", indent, term_sgr(color, TERM_CYAN),
            term_sgr(color, TERM_RESET), uri);
}

/* What is said, part by part when it plays a recording, else its words. */
static void put_parts(FILE *out, const char *indent, bool color, const json_t *r, const char *text)
{
    const json_t *parts = json_object_get(r, "parts");
    bool plays = false;
    size_t i;
    const json_t *p;
    json_array_foreach(parts, i, p) plays |= json_object_get(p, "play") != NULL;
    if (!plays) {
        if (text && *text)
            put_speech(out, indent, color, text);
        return;
    }
    json_array_foreach(parts, i, p)
    {
        const char *say = str_field(p, "say"), *play = str_field(p, "play");
        if (play)
            put_play(out, indent, color, play);
        else if (say && *say)
            put_speech(out, indent, color, say);
    }
}

char *term_render_command(const json_t *r, const char *indent, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    const char *type = str_field(r, "type");
    const char *text = str_field(r, "text");
    type = type ? type : "?";
    put_parts(out, indent, color, r, text);
    if (!strcmp(type, "ask"))
        put_ask(out, indent, color, r);
    else if (!strcmp(type, "http"))
        put_http(out, indent, color, r);
    else if (!strcmp(type, "handoff"))
        put_handoff(out, indent, color, r);
    else if (!strcmp(type, "hangup")) {
        const char *reason = str_field(r, "reason");
        fprintf(out, "%s%sHANGUP %s%s\n", indent, term_sgr(color, TERM_RED), reason ? reason : "",
                term_sgr(color, TERM_RESET));
    } else if (strcmp(type, "say") != 0)
        fprintf(out, "%s%s\n", indent, type);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *term_render_input(const char *line, const char *indent, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    fprintf(out, "%s%sYOU  ‹%s %s\n", indent, term_sgr(color, TERM_GREEN),
            term_sgr(color, TERM_RESET), line);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
