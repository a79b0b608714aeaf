/*
 * Application arguments against the FreeSWITCH model: see args_check.h.
 */
#include "args_check.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_args.h"
#include "esl_wire.h"
#include "fs_oracle.h"
#include "strbuf.h"

static const app_config check_apps = {.tts_engine = "flite",
                                      .tts_voice = "kal",
                                      .asr_engine = "unimrcp",
                                      .asr_grammar = "builtin:speech/transcribe",
                                      .handoff = HANDOFF_TRANSFER,
                                      .handoff_template = "{queue} XML default"};

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

char *args_expected_text(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\\')
            continue;
        out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[o] = '\0';
    /* Remove every '$' followed by '{' or '$' until none is left. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (char *p = out; *p; p++) {
            if (p[0] == '$' && (p[1] == '{' || p[1] == '$')) {
                memmove(p, p + 1, strlen(p));
                changed = 1;
                break;
            }
        }
    }
    /* Leading braces (after spaces, '|' and '!' that become spaces, and quotes an
     * expanding switch deletes) would be the
     * speech engine's parameters (switch_core_speech.c switch_core_speech_feed_tts): they
     * are said as spaces. */
    for (char *p = out + strspn(out, " '|!"); *p == '{'; p += strspn(p, " '|!"))
        *p = ' ';
    return out;
}

/* What switch_core_speech_feed_tts speaks of `text` hands the engine no
 * parameters: after its spaces, it does not start with '{'. */
static int check_spoken(const char *what, const char *text, char *why, size_t len)
{
    if (text[strspn(text, " ")] == '{')
        return fail(why, len, "%s: the speech engine reads parameters from [%.200s]", what, text);
    return 0;
}

/* The argument carries nothing for the expander, nor a line break, nor a
 * "%[" scope block at its start (switch_core_session_exec). */
static int check_inert(const char *what, const char *arg, int fixed_point, char *why, size_t len)
{
    if (strpbrk(arg, "\r\n"))
        return fail(why, len, "%s: a line break in the argument", what);
    if (arg[0] == '%')
        return fail(why, len, "%s: the argument starts with '%%'", what);
    int evaluated = 0;
    char *expanded = fs_expand(arg, &evaluated);
    if (!expanded)
        return fail(why, len, "out of memory");
    int rc = 0;
    if (evaluated)
        rc = fail(why, len, "%s: the expander evaluates %d expression(s) in [%.200s]", what,
                  evaluated, arg);
    else if (fixed_point && strcmp(expanded, arg) != 0)
        rc = fail(why, len, "%s: the expander changes [%.200s] into [%.200s]", what, arg, expanded);
    free(expanded);
    return rc;
}

/* The sendmsg carrying `arg` has exactly the host's header lines. */
static int check_wire(const char *app, const char *arg, char *why, size_t len)
{
    strbuf sb = {0};
    const char *uuid = "3f2a0c1e-0000-4000-8000-000000000001";
    const char *app_uuid = "9d8c7b6a-0000-4000-8000-000000000002";
    if (esl_build_execute(&sb, uuid, app_uuid, app, arg) != 0 || sb.oom) {
        sb_free(&sb);
        return fail(why, len, "%s: esl_build_execute failed", app);
    }
    char head[400];
    int n = snprintf(head, sizeof(head),
                     "sendmsg %s\ncall-command: execute\nexecute-app-name: %s\nevent-lock: true\n"
                     "Event-UUID: %s\ncontent-type: text/plain\ncontent-length: %zu\n\n",
                     uuid, app, app_uuid, strlen(arg));
    int rc = 0;
    if (sb.len != (size_t)n + strlen(arg) || memcmp(sb.data, head, (size_t)n) != 0 ||
        memcmp(sb.data + n, arg, strlen(arg)) != 0)
        rc = fail(why, len, "%s: the message is not the host's headers and the argument", app);
    sb_free(&sb);
    return rc;
}

static ivrsm_command ask_for(const char *text)
{
    ivrsm_command c;
    memset(&c, 0, sizeof(c));
    c.type = IVRSM_COMMAND_ASK;
    c.text = text;
    c.ask.dtmf = 1;
    c.ask.speech = 1;
    c.ask.min_digits = 1;
    c.ask.max_digits = 6;
    c.ask.terminators = "#";
    c.ask.timeout_ms = 5000;
    c.ask.digit_timeout_ms = 3000;
    return c;
}

static void without_quotes(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p != '\'')
            *o++ = *p;
    }
    *o = '\0';
}

/* play_and_get_digits: ten arguments, the sixth "say:" and the text. With
 * expansion (a switch that ignores app_disable_expand_variables) the
 * escaped quotes vanish, and nothing else changes. */
static int check_keypad(const char *text, const char *expected, char *why, size_t len)
{
    ivrsm_command c = ask_for(text);
    app_step s = {0};
    if (app_build_ask(&check_apps, &c, false, &s) != 0)
        return fail(why, len, "keypad: out of memory");
    char want[8192];
    snprintf(want, sizeof(want), "%s%s", *expected ? "say:" : "silence", expected);
    int rc = check_inert("keypad", s.arg, 0, why, len);
    if (rc == 0)
        rc = check_wire(s.app, s.arg, why, len);
    static const char *const fixed[] = {
        "0",           "7",   "1", "5000", "#", NULL, "silence_stream://250", "ivrsm_digits",
        "[0-9*#A-D]+", "3000"};
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        int evaluated;
        char *arg = pass ? fs_expand(s.arg, &evaluated) : strdup(s.arg);
        fs_args a;
        if (!arg || fs_parse_pagd(arg, &a) != 0) {
            free(arg);
            rc = fail(why, len, "out of memory");
            break;
        }
        if (pass)
            without_quotes(want);
        if (a.argc != 10)
            rc = fail(why, len, "keypad%s: %d arguments in [%.200s]", pass ? " (expanded)" : "",
                      a.argc, arg);
        if (rc == 0 && !strncmp(a.argv[5], "say:", 4))
            rc = check_spoken("keypad", a.argv[5] + 4, why, len);
        for (int i = 0; rc == 0 && i < 10; i++) {
            const char *w = fixed[i] ? fixed[i] : want;
            if (strcmp(a.argv[i], w) != 0)
                rc = fail(why, len, "keypad%s: argument %d is [%.200s], not [%.200s]",
                          pass ? " (expanded)" : "", i + 1, a.argv[i], w);
        }
        fs_args_free(&a);
        free(arg);
    }
    app_step_clear(&s);
    return rc;
}

/* speak ENGINE|VOICE|TEXT: a fixed point of the expander, the text read back whole. */
static int check_say(const char *text, const char *expected, char *why, size_t len)
{
    app_step s = {0};
    int built = app_build_say(&check_apps, text, &s);
    if (built < 0)
        return fail(why, len, "say: out of memory");
    if (built == 0)
        return expected[strspn(expected, " ")] == '\0'
                   ? 0
                   : fail(why, len, "say: nothing said for [%.200s]", expected);
    if (strcmp(s.app, "speak") != 0) {
        app_step_clear(&s);
        return 0; /* file:PATH, played as a file: no text in it */
    }
    char want[8192];
    snprintf(want, sizeof(want), "%s", expected);
    for (char *p = want; *p; p++) {
        if (*p == '|')
            *p = ' ';
    }
    int rc = check_inert("say", s.arg, 1, why, len);
    if (rc == 0)
        rc = check_wire(s.app, s.arg, why, len);
    fs_args a;
    if (rc == 0 && fs_parse_speak(s.arg, &a) == 0) {
        const char *lead = want + strspn(want, " ");
        if (a.argc != 3 || strcmp(a.argv[0], "flite") || strcmp(a.argv[1], "kal") ||
            strcmp(a.argv[2], lead))
            rc = fail(why, len, "say: FreeSWITCH reads [%.200s] from [%.200s]",
                      a.argc == 3 ? a.argv[2] : "?", s.arg);
        else
            rc = check_spoken("say", a.argv[2], why, len);
        fs_args_free(&a);
    }
    app_step_clear(&s);
    return rc;
}

/* play_and_detect_speech: one "detect:", the prompt read whole before it. */
static int check_speech(const char *text, const char *expected, char *why, size_t len)
{
    ivrsm_command c = ask_for(text);
    app_step s = {0};
    if (app_build_ask(&check_apps, &c, true, &s) != 0)
        return fail(why, len, "speech: out of memory");
    char want[8192];
    snprintf(want, sizeof(want), "%s%s", *expected ? "say:" : "silence_stream://250", expected);
    char *p;
    while ((p = strstr(want, "detect:")) != NULL)
        p[6] = ' ';
    size_t n = strlen(want);
    while (n > 0 && (want[n - 1] == ' ' || want[n - 1] == '\t'))
        want[--n] = '\0';
    int rc = check_inert("speech", s.arg, 1, why, len);
    if (rc == 0)
        rc = check_wire(s.app, s.arg, why, len);
    fs_args a;
    if (rc == 0 && fs_parse_detect(s.arg, &a) == 0) {
        if (a.argc != 3 || strcmp(a.argv[0], want) || strcmp(a.argv[1], "unimrcp") ||
            strcmp(a.argv[2], "{no-input-timeout=5000}builtin:speech/transcribe"))
            rc = fail(why, len, "speech: FreeSWITCH reads [%.200s] from [%.200s]",
                      a.argc ? a.argv[0] : "?", s.arg);
        else if (!strncmp(a.argv[0], "say:", 4))
            rc = check_spoken("speech", a.argv[0] + 4, why, len);
        fs_args_free(&a);
    }
    app_step_clear(&s);
    return rc;
}

/* set ivrsm_handoff_context=JSON: set expands the value again, so the whole
 * argument must come out of the expander as it went in, and mean the same JSON. */
static int check_context(const char *text, char *why, size_t len)
{
    json_t *doc = json_pack("{s:s, s:[s]}", "t", text, "k", text);
    if (!doc)
        return 0; /* not UTF-8: the library never holds such a ctx value */
    char *dumped = json_dumps(doc, JSON_COMPACT);
    app_step s = {0};
    int rc = 0;
    if (!dumped || app_build_handoff_context(dumped, &s) != 0) {
        rc = fail(why, len, "context: out of memory");
    } else {
        rc = check_inert("context", s.arg, 1, why, len);
        if (rc == 0)
            rc = check_wire(s.app, s.arg, why, len);
        const char *prefix = "ivrsm_handoff_context=";
        json_t *back = rc == 0 && !strncmp(s.arg, prefix, strlen(prefix))
                           ? json_loads(s.arg + strlen(prefix), 0, NULL)
                           : NULL;
        if (rc == 0 && !json_equal(back, doc))
            rc = fail(why, len, "context: [%.200s] does not read back as the context", s.arg);
        json_decref(back);
    }
    app_step_clear(&s);
    free(dumped);
    json_decref(doc);
    return rc;
}

int args_check_text(const char *text, char *why, size_t whylen)
{
    char *expected = args_expected_text(text);
    if (!expected)
        return fail(why, whylen, "out of memory");
    int rc = check_keypad(text, expected, why, whylen);
    if (rc == 0)
        rc = check_say(text, expected, why, whylen);
    if (rc == 0)
        rc = check_speech(text, expected, why, whylen);
    if (rc == 0)
        rc = check_context(text, why, whylen);
    free(expected);
    return rc;
}
