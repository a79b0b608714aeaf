/*
 * Commands to applications and completions to events: see app_args.h.
 */
#include "app_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esl_wire.h"
#include "strbuf.h"

/* play_and_get_digits stores the keyed digits in this channel variable. */
#define DIGITS_VAR "ivrsm_digits"

void app_step_clear(app_step *s)
{
    free(s->app);
    free(s->arg);
    s->app = NULL;
    s->arg = NULL;
}

static int step_set(app_step *out, const char *app, strbuf *arg)
{
    out->app = strdup(app);
    out->arg = sb_take(arg);
    if (!out->app || !out->arg) {
        app_step_clear(out);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Handoff choices
 * ------------------------------------------------------------------------- */

static const char *const handoff_names[] = {"transfer", "bridge", "callcenter"};

const char *app_handoff_name(handoff_app a)
{
    return handoff_names[a];
}

int app_handoff_parse(const char *name, handoff_app *out)
{
    for (int i = 0; i < 3; i++) {
        if (name && !strcmp(name, handoff_names[i])) {
            *out = (handoff_app)i;
            return 0;
        }
    }
    return -1;
}

const char *app_handoff_default_template(handoff_app a)
{
    switch (a) {
    case HANDOFF_BRIDGE:
        return "user/{queue}";
    case HANDOFF_CALLCENTER:
        return "{queue}";
    case HANDOFF_TRANSFER:
        break;
    }
    return "{queue} XML default";
}

int app_check_template(const char *tmpl, char *err, size_t errlen)
{
    if (!tmpl || !*tmpl || !esl_line_safe(tmpl)) {
        snprintf(err, errlen, "the handoff argument must be one line of text");
        return -1;
    }
    if (!strstr(tmpl, "{queue}")) {
        snprintf(err, errlen, "the handoff argument '%s' must name the queue as {queue}", tmpl);
        return -1;
    }
    for (const char *p = tmpl; *p; p++) {
        if (!strncmp(p, "{queue}", 7)) {
            p += 6;
        } else if (*p == '{' || *p == '}' || *p == '$') {
            snprintf(err, errlen,
                     "the handoff argument '%s' may hold no '{', '}' or '$' but {queue}", tmpl);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Text
 * ------------------------------------------------------------------------- */

char *app_clean_text(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        /* "${x}" and "$${x}" are expanded (even into API calls) by FreeSWITCH
         * in every application argument: a '$' never reaches it before '{'. */
        if (c == '$' && (text[i + 1] == '{' || text[i + 1] == '$'))
            continue;
        out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[o] = '\0';
    return out;
}

/*
 * Append `text` as one argument of an application that splits on spaces
 * (switch_separate_string): single-quoted, with a quote inside escaped as
 * \' and backslashes dropped, so no escape sequence can be formed.
 */
static void append_quoted(strbuf *sb, const char *prefix, const char *text)
{
    sb_puts(sb, "'");
    sb_puts(sb, prefix);
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            continue;
        if (*p == '\'')
            sb_puts(sb, "\\'");
        else
            sb_append(sb, p, 1);
    }
    sb_puts(sb, "'");
}

/* play_and_detect_speech splits its argument at the first "detect:". */
static void neutralise_detect(char *text)
{
    char *p;
    while ((p = strstr(text, "detect:")) != NULL)
        p[6] = ' ';
}

/* speak splits ENGINE|VOICE|TEXT on '|'. */
static void neutralise_bars(char *text)
{
    for (char *p = text; *p; p++) {
        if (*p == '|')
            *p = ' ';
    }
}

/* DTMF terminators the application understands; anything else means none. */
static const char *terminators_arg(const char *t)
{
    if (!t || !*t || strlen(t) > 8)
        return "none";
    for (const char *p = t; *p; p++) {
        if (!strchr("0123456789*#ABCD", *p))
            return "none";
    }
    return t;
}

/* ---------------------------------------------------------------------------
 * Commands to applications
 * ------------------------------------------------------------------------- */

bool app_ask_uses_speech(const app_config *cfg, const ivrsm_command *c)
{
    if (!cfg->asr_engine || !c->ask.speech)
        return false;
    return !(c->ask.collect && !strcmp(c->ask.collect, "otp"));
}

int app_build_tts_setup(const app_config *cfg, app_step *out)
{
    strbuf arg = {0};
    sb_printf(&arg, "tts_engine=%s tts_voice=%s", cfg->tts_engine, cfg->tts_voice);
    return step_set(out, "multiset", &arg);
}

static int build_digits_ask(const ivrsm_command *c, const char *text, app_step *out)
{
    strbuf arg = {0};
    int min = c->ask.min_digits > 0 ? c->ask.min_digits : 1;
    int max = c->ask.max_digits >= min ? c->ask.max_digits : min;
    if (max > 127)
        max = 127; /* play_and_get_digits keeps 128 bytes of digits */
    if (min > max)
        min = max;
    int timeout = c->ask.timeout_ms > 0 ? c->ask.timeout_ms : 5000;
    int digit_timeout = c->ask.digit_timeout_ms > 0 ? c->ask.digit_timeout_ms : 3000;
    sb_printf(&arg, "%d %d 1 %d %s ", min, max, timeout, terminators_arg(c->ask.terminators));
    if (*text)
        append_quoted(&arg, "say:", text);
    else
        sb_puts(&arg, "silence");
    /* Every key is valid here: the session decides what a key means (the
     * seed's quick keys '*' and '#' included). */
    sb_printf(&arg, " silence_stream://250 " DIGITS_VAR " [0-9*#A-D]+ %d", digit_timeout);
    return step_set(out, "play_and_get_digits", &arg);
}

static int build_speech_ask(const app_config *cfg, const ivrsm_command *c, char *text,
                            app_step *out)
{
    strbuf arg = {0};
    neutralise_detect(text);
    if (*text)
        sb_printf(&arg, "say:%s", text);
    else
        sb_puts(&arg, "silence_stream://250");
    int timeout = c->ask.timeout_ms > 0 ? c->ask.timeout_ms : 5000;
    sb_printf(&arg, " detect:%s {no-input-timeout=%d}%s", cfg->asr_engine, timeout,
              cfg->asr_grammar);
    return step_set(out, "play_and_detect_speech", &arg);
}

int app_build_ask(const app_config *cfg, const ivrsm_command *c, bool speech, app_step *out)
{
    char *text = app_clean_text(c->text ? c->text : "");
    if (!text)
        return -1;
    int rc = speech ? build_speech_ask(cfg, c, text, out) : build_digits_ask(c, text, out);
    free(text);
    return rc;
}

/* "file:PATH" with a plain relative or absolute path: played as a file. */
static const char *file_path(const char *text)
{
    if (strncmp(text, "file:", 5) != 0)
        return NULL;
    const char *path = text + 5;
    if (!*path || strstr(path, ".."))
        return NULL;
    for (const char *p = path; *p; p++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '/' || c == '.' || c == '_' || c == '-'))
            return NULL;
    }
    return path;
}

int app_build_say(const app_config *cfg, const char *text, app_step *out)
{
    if (!text || !*text)
        return 0;
    strbuf arg = {0};
    const char *path = file_path(text);
    if (path) {
        sb_puts(&arg, path);
        return step_set(out, "playback", &arg) == 0 ? 1 : -1;
    }
    char *clean = app_clean_text(text);
    if (!clean)
        return -1;
    neutralise_bars(clean);
    /* Engine and voice always: speak without them hangs the call up. */
    sb_printf(&arg, "%s|%s|%s", cfg->tts_engine, cfg->tts_voice, clean);
    free(clean);
    return step_set(out, "speak", &arg) == 0 ? 1 : -1;
}

/* A queue name that can sit in an extension, a dial string or a queue argument. */
static bool queue_valid(const char *q)
{
    size_t n = q ? strlen(q) : 0;
    if (n == 0 || n > 128)
        return false;
    for (const char *p = q; *p; p++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_' || c == '.' || c == '-' || c == '@' || c == '+'))
            return false;
    }
    return true;
}

int app_build_handoff(const app_config *cfg, const char *queue, app_step *out, char *err,
                      size_t errlen)
{
    if (!queue_valid(queue)) {
        snprintf(err, errlen, "queue '%.60s' is not a plain name (letters, digits, _ . - @ +)",
                 queue ? queue : "");
        return -1;
    }
    strbuf arg = {0};
    const char *t = cfg->handoff_template;
    const char *q;
    while ((q = strstr(t, "{queue}")) != NULL) {
        sb_append(&arg, t, (size_t)(q - t));
        sb_puts(&arg, queue);
        t = q + 7;
    }
    sb_puts(&arg, t);
    if (step_set(out, app_handoff_name(cfg->handoff), &arg) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int app_build_handoff_context(const char *context_json, app_step *out)
{
    char *clean = app_clean_text(context_json ? context_json : "{}");
    if (!clean)
        return -1;
    strbuf arg = {0};
    sb_printf(&arg, "ivrsm_handoff_context=%s", clean);
    free(clean);
    return step_set(out, "set", &arg);
}

int app_build_hangup(app_step *out)
{
    strbuf arg = {0};
    sb_puts(&arg, "NORMAL_CLEARING");
    return step_set(out, "hangup", &arg);
}
