/*
 * Completions to session events: the second half of app_args.h.
 *
 * play_and_get_digits leaves the digits in the question's variable
 * (ivrsm_digits_ID, app_digits_var()) and says how the read went in
 * read_result (success, timeout, failure); digits that fail its regular
 * expression move to VAR_invalid. read_terminator_used
 * is not read: switch_ivr_read never clears it, so it may tell of an
 * earlier question.
 * play_and_detect_speech answers DONE with the recogniser's result in
 * detect_speech_result (NLSML for MRCP engines and pocketsphinx, the
 * transcript alone for some others, "Completion-Cause: NNN" from
 * mod_unimrcp when the recognition ended without a result: silence, no
 * match, an error), or an error response when recognition could not start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app_args.h"
#include "strbuf.h"

void ask_result_clear(ask_result *r)
{
    free(r->text);
    memset(r, 0, sizeof(*r));
}

static const char *var(const esl_msg *m, const char *name)
{
    return esl_msg_event_header(m, name);
}

static bool non_empty(const char *s)
{
    return s && *s;
}

/* The longest prefix of s, at most max bytes, that does not cut a UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

static int set_text(ask_result *out, ivrsm_event_type type, const char *text, size_t len)
{
    out->type = type;
    out->text =
        strndup(text, utf8_prefix(text, len < IVRSM_MAX_INPUT_BYTES ? len : IVRSM_MAX_INPUT_BYTES));
    return out->text ? 0 : -1;
}

/* ---------------------------------------------------------------------------
 * NLSML
 * ------------------------------------------------------------------------- */

/* The value of attribute `name` inside the tag [tag, end), or NULL. */
static const char *attribute(const char *tag, const char *end, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (const char *p = tag; p + n + 2 < end; p++) {
        if (strncasecmp(p, name, n) || p[n] != '=' || (p[n + 1] != '"' && p[n + 1] != '\''))
            continue;
        if (p > tag && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n')
            continue;
        char quote = p[n + 1];
        const char *v = p + n + 2;
        const char *close = memchr(v, quote, (size_t)(end - v));
        if (!close)
            return NULL;
        *len = (size_t)(close - v);
        return v;
    }
    return NULL;
}

/* A confidence as 0..1: MRCPv1 engines count in percent. */
static double parse_confidence(const char *v, size_t len)
{
    char buf[32];
    if (!v || len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    char *end;
    double c = strtod(buf, &end);
    if (end == buf || c < 0)
        return -1;
    return c > 1 ? c / 100.0 : c;
}

/* Append the XML text [p, end) with its tags dropped and entities decoded. */
static void append_xml_text(strbuf *sb, const char *p, const char *end)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    while (p < end) {
        if (*p == '<') {
            const char *close = memchr(p, '>', (size_t)(end - p));
            p = close ? close + 1 : end;
            continue;
        }
        bool done = false;
        for (size_t i = 0; *p == '&' && i < sizeof(entities) / sizeof(entities[0]); i++) {
            size_t n = strlen(entities[i].entity);
            if ((size_t)(end - p) >= n && !strncmp(p, entities[i].entity, n)) {
                sb_append(sb, &entities[i].c, 1);
                p += n;
                done = true;
                break;
            }
        }
        if (!done)
            sb_append(sb, p++, 1);
    }
}

/* Trim spaces at both ends, in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int parse_nlsml(const char *xml, ask_result *out)
{
    if (strstr(xml, "<noinput")) {
        out->type = IVRSM_EVENT_NOINPUT;
        return 0;
    }
    const char *input = strstr(xml, "<input");
    const char *input_end = input ? strchr(input, '>') : NULL;
    const char *close = input_end ? strstr(input_end, "</input>") : NULL;
    if (strstr(xml, "<nomatch") || !close) {
        out->type = IVRSM_EVENT_NOMATCH;
        return 0;
    }
    strbuf sb = {0};
    append_xml_text(&sb, input_end + 1, close);
    char *raw = sb_take(&sb);
    if (!raw)
        return -1;
    char *text = trim(raw);
    size_t len;
    const char *mode = attribute(input, input_end, "mode", &len);
    bool dtmf = mode && len == 4 && !strncasecmp(mode, "dtmf", 4);
    const char *conf = attribute(input, input_end, "confidence", &len);
    if (!conf) {
        const char *interp = strstr(xml, "<interpretation");
        const char *interp_end = interp ? strchr(interp, '>') : NULL;
        conf = interp_end ? attribute(interp, interp_end, "confidence", &len) : NULL;
    }
    out->confidence = parse_confidence(conf, conf ? len : 0);
    int rc = 0;
    if (!*text)
        out->type = IVRSM_EVENT_NOINPUT;
    else
        rc = set_text(out, dtmf ? IVRSM_EVENT_DTMF : IVRSM_EVENT_SPEECH, text, strlen(text));
    free(raw);
    return rc;
}

int app_parse_speech_result(const char *result, ask_result *out)
{
    memset(out, 0, sizeof(*out));
    out->confidence = -1;
    const char *p = result ? result : "";
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (!*p) {
        out->type = IVRSM_EVENT_NOINPUT;
        return 0;
    }
    /* A key among playback_terminators ended the question
     * (switch_ivr_async.c play_and_detect_input_callback: "DIGIT: %c"). */
    if (!strncmp(p, "DIGIT: ", 7) && p[7] && strchr("0123456789*#ABCD", p[7]) && !p[8]) {
        out->keyed = true;
        return set_text(out, IVRSM_EVENT_DTMF, p + 7, 1);
    }
    if (*p == '<')
        return parse_nlsml(p, out);
    return set_text(out, IVRSM_EVENT_SPEECH, p, strlen(p));
}

/* ---------------------------------------------------------------------------
 * Completions
 * ------------------------------------------------------------------------- */

/*
 * play_and_get_digits is asked with no minimum (app_digit_bounds()), so
 * switch_ivr_read says "timeout" for silence and "success" with no digits
 * for a read that only the terminator ended. A read with digits is an
 * answer; digits the regular expression refused, or a lone terminator, are
 * a wrong answer; anything else (silence, or "failure" from a switch that
 * forces a minimum of one digit) is no answer.
 */
static int digits_result(const esl_msg *m, const char *digits_var, ask_result *out)
{
    char name[APP_DIGITS_VAR_MAX + 24];
    snprintf(name, sizeof(name), "variable_%s", digits_var);
    const char *digits = var(m, name);
    const char *read = var(m, "variable_read_result");
    if (non_empty(digits))
        return set_text(out, IVRSM_EVENT_DTMF, digits, strlen(digits));
    snprintf(name, sizeof(name), "variable_%s_invalid", digits_var);
    if (non_empty(var(m, name)) || (read && !strcmp(read, "success")))
        out->type = IVRSM_EVENT_NOMATCH;
    else
        out->type = IVRSM_EVENT_NOINPUT;
    return 0;
}

/*
 * A recognition that completed without a result body: mod_unimrcp.c
 * recog_on_message_receive then gives "Completion-Cause: NNN" (the MRCP
 * completion cause, RFC 6787 9.4.11) as the whole result. Returns 1 when
 * `result` is one (out->type set, or *failed for a recogniser failure),
 * 0 when it is not.
 */
static int completion_cause(const char *result, ask_result *out, bool *failed)
{
    static const char prefix[] = "Completion-Cause:";
    *failed = false;
    if (strncasecmp(result, prefix, sizeof(prefix) - 1))
        return 0;
    const char *p = result + sizeof(prefix) - 1;
    while (*p == ' ')
        p++;
    char *end;
    long cause = strtol(p, &end, 10);
    if (end == p)
        return 0;
    switch (cause) {
    case 0:  /* success, with nothing to show: nothing was heard */
    case 2:  /* no-input-timeout */
    case 11: /* cancelled */
        out->type = IVRSM_EVENT_NOINPUT;
        break;
    case 1:  /* no-match */
    case 3:  /* recognition-timeout (MRCPv1), hotword-maxtime (MRCPv2) */
    case 7:  /* speech-too-early */
    case 8:  /* too-much-speech-timeout, success-maxtime */
    case 13: /* partial-match */
    case 14: /* partial-match-maxtime */
    case 15: /* no-match-maxtime */
        out->type = IVRSM_EVENT_NOMATCH;
        break;
    default: /* grammar load or compilation, recogniser error, URI, language, semantics... */
        *failed = true;
        break;
    }
    return 1;
}

int app_ask_result(const esl_msg *complete, bool speech, ask_result *out, char *why, size_t whylen)
{
    return app_ask_result_var(complete, speech, "ivrsm_digits", out, why, whylen);
}

int app_ask_result_var(const esl_msg *complete, bool speech, const char *digits_var,
                       ask_result *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    out->confidence = -1;
    if (!speech)
        return digits_result(complete, digits_var, out);
    const char *response = var(complete, "Application-Response");
    if (non_empty(response) && strcasecmp(response, "DONE") && strcmp(response, "_none_")) {
        snprintf(why, whylen, "%s", response);
        return 1;
    }
    const char *result = var(complete, "variable_detect_speech_result");
    bool failed;
    if (result && completion_cause(result, out, &failed)) {
        if (failed) {
            snprintf(why, whylen, "%.40s", result);
            return 1;
        }
        return 0;
    }
    return app_parse_speech_result(result, out);
}

bool app_handoff_ok(const app_config *cfg, const esl_msg *complete, bool bridged)
{
    if (bridged)
        return true;
    const char *response = var(complete, "Application-Response");
    switch (cfg->handoff) {
    case HANDOFF_TRANSFER:
        /* transfer moves the call to the dialplan; only an error response is a failure. */
        return !(response && (!strncmp(response, "-ERR", 4) || !strncasecmp(response, "ERR", 3)));
    case HANDOFF_BRIDGE: {
        const char *disposition = var(complete, "variable_originate_disposition");
        return (disposition && !strcasecmp(disposition, "SUCCESS")) ||
               non_empty(var(complete, "variable_last_bridge_to")) ||
               non_empty(var(complete, "variable_bridge_uuid"));
    }
    case HANDOFF_CALLCENTER: {
        const char *cause = var(complete, "variable_cc_cause");
        return cause && !strcasecmp(cause, "answered");
    }
    }
    return false;
}

bool app_channel_gone(const esl_msg *ev)
{
    const char *answer = var(ev, "Answer-State");
    const char *call_state = var(ev, "Channel-Call-State");
    return (answer && !strcasecmp(answer, "hangup")) ||
           (call_state && !strcasecmp(call_state, "HANGUP"));
}
