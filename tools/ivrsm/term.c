/*
 * Readable rendering of call commands, with optional ANSI colours.
 */
#include <stdint.h>
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

/*
 * Length of the UTF-8 sequence at `p` and its code point, or 0 when the bytes
 * there are no UTF-8 (overlong, a surrogate, past U+10FFFF, cut short).
 */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    size_t n;
    uint32_t c, min;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    } else if ((p[0] & 0xE0) == 0xC0) {
        n = 2, c = p[0] & 0x1F, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3, c = p[0] & 0x0F, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4, c = p[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

/* Code points a terminal acts on rather than shows: controls, and the
 * bidirectional embeddings, overrides and isolates that reorder what follows. */
static bool acts_on_terminal(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

size_t term_acting_at(const char *s, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = utf8_decode(p, cp);
    return n && acts_on_terminal(*cp) ? n : 0;
}

static void put_escaped(FILE *out, const char *s, bool keep_line_breaks)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t cp;
        size_t n = utf8_decode(p, &cp);
        if (n == 0) {
            fprintf(out, "\\x%02x", *p);
            p++;
            continue;
        }
        if (!acts_on_terminal(cp) || (cp == '\n' && keep_line_breaks))
            fwrite(p, 1, n, out);
        else if (cp == '\n')
            fputs("\\n", out);
        else if (cp == '\r')
            fputs("\\r", out);
        else if (cp == '\t')
            fputs("\\t", out);
        else
            fprintf(out, "\\u%04x", (unsigned)cp);
        p += n;
    }
}

void term_put(FILE *out, const char *s)
{
    put_escaped(out, s, false);
}

void term_put_lines(FILE *out, const char *s)
{
    put_escaped(out, s, true);
}

char *term_clean(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    term_put(out, s);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
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
    fprintf(out, "%s%sIVR  ›%s ", indent, term_sgr(color, TERM_CYAN), term_sgr(color, TERM_RESET));
    term_put(out, text);
    fputc('\n', out);
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
        if (term && *term) {
            fputc(' ', out);
            term_put(out, term);
        }
        sep = " | ";
    }
    if (json_is_true(json_object_get(r, "speech"))) {
        fprintf(out, "%sspeech", sep);
        sep = " | ";
    }
    const char *collect = str_field(r, "collect");
    if (collect) {
        fprintf(out, "%scollect ", sep);
        term_put(out, collect);
    }
    fprintf(out, "]%s", term_sgr(color, TERM_RESET));
    /* Where the call stands: the state that asks, in the background. */
    const char *state = str_field(r, "state");
    if (state && *state) {
        fprintf(out, " %s· ", term_sgr(color, TERM_DIM));
        term_put(out, state);
        fputs(term_sgr(color, TERM_RESET), out);
    }
    fputc('\n', out);
}

/* "HTTP PUT /auth/request-otp → 200 (12 ms)", or the transport error in place of the status. */
static void put_http(FILE *out, const char *indent, bool color, const json_t *r)
{
    const char *method = str_field(r, "method");
    const char *path = str_field(r, "path");
    const char *query = str_field(r, "query");
    fprintf(out, "%s%sHTTP%s ", indent, term_sgr(color, TERM_MAGENTA), term_sgr(color, TERM_RESET));
    term_put(out, method ? method : "?");
    fputc(' ', out);
    term_put(out, path ? path : "?");
    if (query && *query) {
        fputc('?', out);
        term_put(out, query);
    }
    json_t *status = json_object_get(r, "status");
    const char *error = str_field(r, "error");
    if (json_is_integer(status)) {
        long code = (long)json_integer_value(status);
        bool good = code >= 200 && code < 300 && !error;
        fprintf(out, " → %s", term_sgr(color, good ? TERM_GREEN : TERM_RED));
        if (code > 0)
            fprintf(out, "%ld%s", code, error ? " " : "");
        if (error)
            term_put(out, error);
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
    fprintf(out, "%s%sHANDOFF ", indent, term_sgr(color, TERM_BLUE));
    term_put(out, queue && *queue ? queue : "(no queue)");
    json_t *ok = json_object_get(r, "ok");
    if (json_is_boolean(ok))
        fprintf(out, " → %s", json_is_true(ok) ? "ok" : "failed");
    fprintf(out, "%s\n", term_sgr(color, TERM_RESET));
}

/* "IVR  ▶ ivr/welcome.wav": a recording played. */
static void put_play(FILE *out, const char *indent, bool color, const char *uri)
{
    fprintf(out, "%s%sIVR  ▶%s ", indent, term_sgr(color, TERM_CYAN), term_sgr(color, TERM_RESET));
    term_put(out, uri);
    fputc('\n', out);
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
        fprintf(out, "%s%sHANGUP ", indent, term_sgr(color, TERM_RED));
        term_put(out, reason);
        fprintf(out, "%s\n", term_sgr(color, TERM_RESET));
    } else if (strcmp(type, "say") != 0) {
        fputs(indent, out);
        term_put(out, type);
        fputc('\n', out);
    }
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
    fprintf(out, "%s%sYOU  ‹%s ", indent, term_sgr(color, TERM_GREEN), term_sgr(color, TERM_RESET));
    term_put(out, line);
    fputc('\n', out);
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
