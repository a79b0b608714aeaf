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
    memset(s, 0, sizeof(*s));
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
 *
 * FreeSWITCH expands an application's argument before the application runs
 * (src/switch_core_session.c switch_core_session_exec), unless the channel
 * has app_disable_expand_variables=true, which the host sets on every call
 * (app_build_tts_setup()); set and multiset expand their value again
 * whatever that variable says (mod_dptools.c base_set). The expander
 * (src/switch_channel.c switch_channel_expand_variables_check) acts on
 * "${", "$${" (variables, and API calls such as ${system ...}), and on a
 * backslash before '$', '\'' or another backslash. Text is therefore made
 * inert before it reaches an argument: it holds no backslash, and no '$'
 * followed by '{' or '$', so even an expander that runs finds nothing to do
 * in it but the host's own \' escapes (which it would drop: an apostrophe
 * lost, never a command run).
 * ------------------------------------------------------------------------- */

/* What may stand before a leading '{' and still leave it first for the speech engine. */
#define LEAD_SKIP " '|!"

char *app_clean_text(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\\')
            continue; /* no meaning in speech; the start of every escape */
        /* A '$' stays only when what follows it is neither '{' nor '$', also
         * once a dropped backslash has brought them together. */
        if ((c == '{' || c == '$') && o > 0 && out[o - 1] == '$')
            o--;
        out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[o] = '\0';
    /* A text that starts, after spaces, with '{' is read as "{name=value,...}" parameters
     * of the speech engine, and nothing is said when its '}' is missing
     * (src/switch_core_speech.c switch_core_speech_feed_tts); a file argument's leading
     * "{...}" is read the same way (switch_core_file.c switch_core_perform_file_open).
     * Leading braces become spaces, however many, also behind what may turn into a space
     * or vanish before the engine reads the text: '|' and '!' (neutralise_bars(),
     * app_prompt_file()), and quotes (a switch that expands arguments deletes the escaped
     * quote of play_and_get_digits' prompt). */
    for (size_t i = 0;; i++) {
        i += strspn(out + i, LEAD_SKIP);
        if (out[i] != '{')
            break;
        out[i] = ' ';
    }
    return out;
}

/*
 * Append `text` (cleaned: no backslash) as one argument of an application
 * that splits on spaces (src/switch_utils.c switch_separate_string:
 * separate_string_blank_delim, then cleanup_separated_string): in single
 * quotes, with a quote inside written \', which the split keeps together
 * and the cleanup turns back into a quote.
 */
static void append_quoted(strbuf *sb, const char *prefix, const char *text)
{
    sb_puts(sb, "'");
    sb_puts(sb, prefix);
    for (const char *p = text; *p; p++) {
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

/*
 * A JSON text made inert for the expander that set runs on its value: every
 * '$' and every escaped backslash written as a \u escape, so no "${", no
 * "\\" and no "\$" remain; the JSON means the same.
 */
static int append_json_inert(strbuf *sb, const char *json)
{
    for (const char *p = json; *p; p++) {
        if (p[0] == '\\' && p[1] == '\\') {
            sb_puts(sb, "\\u005c");
            p++;
        } else if (p[0] == '\\' && p[1]) {
            sb_append(sb, p, 2); /* \" \n \u00XX...: the expander leaves them */
            p++;
        } else if (p[0] == '$') {
            sb_puts(sb, "\\u0024");
        } else if ((unsigned char)p[0] < 0x20 || p[0] == 0x7f) {
            sb_printf(sb, "\\u%04x", (unsigned)(unsigned char)p[0]);
        } else {
            sb_append(sb, p, 1);
        }
    }
    return sb->oom ? -1 : 0;
}

const char *app_terminators(const char *t)
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

bool app_ask_uses_speech(const app_config *cfg, const ivrsm_command *c, bool secret)
{
    return cfg->asr_engine && c->ask.speech && !secret;
}

int app_build_tts_setup(const app_config *cfg, app_step *out)
{
    return app_build_tts_setup_voice(cfg, cfg->tts_voice, out);
}

int app_build_tts_setup_voice(const app_config *cfg, const char *voice, app_step *out)
{
    strbuf arg = {0};
    /* app_disable_expand_variables: arguments reach the applications as sent
     * (switch_core_session.c switch_core_session_exec), so a quote escaped
     * for the application's own split is not eaten by the expander first. */
    /* playback_terminators=any: a key ends play_and_detect_speech with "DIGIT: K"
     * (switch_ivr_async.c play_and_detect_input_callback), so a caller told
     * "dites ou tapez 1" may key. */
    /* playback_delimiter=!: a prompt of recordings and words is one file argument,
     * "ivr/welcome.wav!say:Bonjour", which switch_ivr_play_file (switch_ivr_play_say.c)
     * splits on the channel's playback_delimiter, speaking each "say:" element with
     * tts_engine and tts_voice and playing the others, with playback_sleep_val ms
     * between them (0: none), all with the same barge-in. */
    sb_printf(&arg,
              "tts_engine=%s tts_voice=%s app_disable_expand_variables=true "
              "playback_terminators=any playback_delimiter=%c playback_sleep_val=0",
              cfg->tts_engine, voice, APP_PLAY_DELIMITER);
    /* A bridge that fails hangs the caller up (mod_dptools.c audio_bridge_function:
     * every cause but NO_ANSWER, NO_USER_RESPONSE and ORIGINATOR_CANCEL) unless
     * continue_on_fail is true: the machine's handoff on_fail would never be
     * heard. A bridge that ends leaves the caller parked in silence
     * (switch_ivr_bridge.c switch_ivr_multi_threaded_bridge) unless
     * hangup_after_bridge is true: the host's session is over by then. */
    if (cfg->handoff == HANDOFF_BRIDGE)
        sb_puts(&arg, " continue_on_fail=true hangup_after_bridge=true");
    return step_set(out, "multiset", &arg);
}

int app_build_flush_dtmf(app_step *out)
{
    strbuf arg = {0};
    sb_puts(&arg, "");
    return step_set(out, "flush_dtmf", &arg);
}

void app_digit_bounds(const ivrsm_command *c, int *min, int *max)
{
    int hi = c->ask.max_digits > 0 ? c->ask.max_digits : 1;
    /* One more than the ask's bound when a terminator closes the entry, so
     * the terminator typed after the last digit ends this read instead of
     * waiting in the channel's queue for the next question
     * (switch_ivr.c switch_ivr_collect_digits_count ends a read at its max
     * digits before reading any terminator). */
    if (strcmp(app_terminators(c->ask.terminators), "none") != 0)
        hi++;
    if (hi > 127)
        hi = 127; /* play_and_get_digits keeps 128 bytes of digits */
    /* No minimum: with one, an empty read is "failure" whether the caller was
     * silent or pressed only the terminator (switch_ivr_play_say.c
     * switch_ivr_read: SWITCH_STATUS_TOO_SMALL); with none, silence is
     * "timeout" and the terminator alone "success" with no digits. */
    *min = 0;
    *max = hi;
}

void app_digits_var(uint64_t id, char *out, size_t outlen)
{
    snprintf(out, outlen, DIGITS_VAR "_%llu", (unsigned long long)id);
}

bool app_keys_valid(const char *text)
{
    if (!text || !*text)
        return false;
    for (const char *p = text; *p; p++)
        if (!strchr("0123456789*#ABCD", *p))
            return false;
    return true;
}

int app_build_digits_rest(const ivrsm_command *c, app_step *out)
{
    return app_build_digits_rest_var(c, DIGITS_VAR, out);
}

int app_build_digits_rest_var(const ivrsm_command *c, const char *digits_var, app_step *out)
{
    int min, max;
    app_digit_bounds(c, &min, &max);
    if (max <= 1)
        return 0;
    int digit_timeout = c->ask.digit_timeout_ms > 0 ? c->ask.digit_timeout_ms : 3000;
    strbuf arg = {0};
    sb_printf(&arg, "0 %d 1 %d %s silence silence_stream://250 %s [0-9*#A-D]+ %d", max - 1,
              digit_timeout, app_terminators(c->ask.terminators), digits_var, digit_timeout);
    return step_set(out, "play_and_get_digits", &arg) == 0 ? 1 : -1;
}

/*
 * The file argument of a prompt that plays recordings: its parts in order,
 * joined by the playback delimiter, words as "say:TEXT" elements (see
 * app_build_tts_setup_voice()). NULL when the command plays nothing (its
 * words are said as before) or out of memory (*oom set).
 *
 * Nothing in an element may split it or change what it is: the delimiter is
 * taken out of words and URIs, text is made inert (app_clean_text()), and a
 * URI that would read as spoken text ("say:...", "phrase:...") is left out.
 */
char *app_prompt_file(const ivrsm_command *c, bool *oom)
{
    *oom = false;
    bool plays = false;
    for (size_t i = 0; i < c->part_count; i++)
        plays |= c->parts[i].type == IVRSM_PART_PLAY;
    if (!plays)
        return NULL;
    strbuf file = {0};
    for (size_t i = 0; i < c->part_count; i++) {
        char *clean = app_clean_text(c->parts[i].text ? c->parts[i].text : "");
        if (!clean) {
            sb_free(&file);
            *oom = true;
            return NULL;
        }
        for (char *p = clean; *p; p++)
            if (*p == APP_PLAY_DELIMITER)
                *p = ' ';
        bool say = c->parts[i].type == IVRSM_PART_SAY;
        const char *t = clean + strspn(clean, " ");
        bool spoken_uri = !say && (!strncasecmp(t, "say:", 4) || !strncasecmp(t, "phrase:", 7));
        if (*t && !spoken_uri) {
            if (file.len)
                sb_append(&file, (char[]){APP_PLAY_DELIMITER}, 1);
            sb_printf(&file, "%s%s", say ? "say:" : "", t);
        }
        free(clean);
    }
    if (file.oom) {
        sb_free(&file);
        *oom = true;
        return NULL;
    }
    return sb_take(&file);
}

static int build_digits_ask(const ivrsm_command *c, const char *text, const char *digits_var,
                            app_step *out)
{
    strbuf arg = {0};
    int min, max;
    app_digit_bounds(c, &min, &max);
    int timeout = c->ask.timeout_ms > 0 ? c->ask.timeout_ms : 5000;
    int digit_timeout = c->ask.digit_timeout_ms > 0 ? c->ask.digit_timeout_ms : 3000;
    sb_printf(&arg, "%d %d 1 %d %s ", min, max, timeout, app_terminators(c->ask.terminators));
    bool oom;
    char *file = app_prompt_file(c, &oom);
    if (oom)
        return -1;
    if (file)
        append_quoted(&arg, "", file);
    else if (*text)
        append_quoted(&arg, "say:", text);
    else
        sb_puts(&arg, "silence");
    free(file);
    /* Every key is valid here: the session decides what a key means (the
     * seed's quick keys '*' and '#' included). */
    sb_printf(&arg, " silence_stream://250 %s [0-9*#A-D]+ %d", digits_var, digit_timeout);
    return step_set(out, "play_and_get_digits", &arg);
}

static int build_speech_ask(const app_config *cfg, const ivrsm_command *c, char *text,
                            app_step *out)
{
    strbuf arg = {0};
    bool oom;
    char *file = app_prompt_file(c, &oom);
    if (oom)
        return -1;
    neutralise_detect(text);
    if (file) {
        neutralise_detect(file);
        sb_puts(&arg, file);
    } else if (*text) {
        sb_printf(&arg, "say:%s", text);
    } else {
        sb_puts(&arg, "silence_stream://250");
    }
    free(file);
    int timeout = c->ask.timeout_ms > 0 ? c->ask.timeout_ms : 5000;
    /* speech-language: mod_unimrcp maps it to the recogniser's Speech-Language
     * header (mod_unimrcp.c recog_load, param_id_map, names case-insensitive). */
    const char *speech_language = app_asr_language_for(cfg, c->language);
    sb_printf(&arg, " detect:%s {no-input-timeout=%d", cfg->asr_engine, timeout);
    if (speech_language)
        sb_printf(&arg, ",speech-language=%s", speech_language);
    sb_printf(&arg, "}%s", cfg->asr_grammar);
    return step_set(out, "play_and_detect_speech", &arg);
}

int app_build_ask(const app_config *cfg, const ivrsm_command *c, bool speech, app_step *out)
{
    return app_build_ask_var(cfg, c, speech, DIGITS_VAR, out);
}

int app_build_ask_var(const app_config *cfg, const ivrsm_command *c, bool speech,
                      const char *digits_var, app_step *out)
{
    char *text = app_clean_text(c->text ? c->text : "");
    if (!text)
        return -1;
    int rc =
        speech ? build_speech_ask(cfg, c, text, out) : build_digits_ask(c, text, digits_var, out);
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

/* ---------------------------------------------------------------------------
 * Languages: a voice and a recogniser language per machine language
 * ------------------------------------------------------------------------- */

/* A language tag as the library writes it ("en-US", "de"): letters, digits and '-'. */
static bool language_tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 15)
        return false;
    for (const char *p = t; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    }
    return true;
}

/* A value that can sit in an application argument: a plain word. */
static bool lang_value_valid(const char *v)
{
    if (!*v || strlen(v) > 128)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p <= ' ' || *p == 0x7f || strchr("|'\"{}$\\,=", *p))
            return false;
    }
    return true;
}

int app_lang_map_parse(char *spec, app_lang_map *map, const char **def, char *err, size_t errlen)
{
    memset(map, 0, sizeof(*map));
    char *save = NULL;
    size_t entries = 0;
    for (char *item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        entries++;
        char *eq = strchr(item, '=');
        if (!eq) {
            if (!lang_value_valid(item)) {
                snprintf(err, errlen, "'%s': a value is a single plain word", item);
                return -1;
            }
            *def = item;
            continue;
        }
        *eq = '\0';
        if (!language_tag_valid(item) || !lang_value_valid(eq + 1)) {
            snprintf(err, errlen, "'%s=%s': expected LANGUAGE=VALUE (en-US=kal), plain words", item,
                     eq + 1);
            return -1;
        }
        if (map->count == APP_LANG_MAX) {
            snprintf(err, errlen, "at most %d languages", APP_LANG_MAX);
            return -1;
        }
        map->items[map->count].language = item;
        map->items[map->count++].value = eq + 1;
    }
    if (entries == 0) {
        snprintf(err, errlen, "%s", "expected VALUE or LANGUAGE=VALUE,...");
        return -1;
    }
    return 0;
}

/* Tags compare case-insensitively, '_' as '-'; `prefix_only` compares the language part. */
static bool tag_matches(const char *entry, const char *language, bool language_part)
{
    for (;; entry++, language++) {
        char a = *entry == '_' ? '-' : (char)(*entry | 0x20);
        char b = *language == '_' ? '-' : (char)(*language | 0x20);
        if (!*entry)
            return !*language || (language_part && *language == '-');
        if (a != b)
            return false;
    }
}

const char *app_lang_map_get(const app_lang_map *map, const char *language)
{
    if (!language)
        return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (tag_matches(map->items[i].language, language, false))
            return map->items[i].value;
    for (size_t i = 0; i < map->count; i++)
        if (tag_matches(map->items[i].language, language, true))
            return map->items[i].value;
    return NULL;
}

const char *app_voice_for(const app_config *cfg, const char *language)
{
    const char *v = app_lang_map_get(&cfg->voices, language);
    return v ? v : cfg->tts_voice;
}

const char *app_prompt_voice(const app_config *cfg, const char *language)
{
    return cfg->voices.count ? app_voice_for(cfg, language) : NULL;
}

const char *app_asr_language_for(const app_config *cfg, const char *language)
{
    const char *v = app_lang_map_get(&cfg->asr_languages, language);
    if (v)
        return v;
    return language && language_tag_valid(language) ? language : NULL;
}

int app_build_set_voice(const char *voice, app_step *out)
{
    strbuf arg = {0};
    sb_printf(&arg, "tts_voice=%s", voice);
    return step_set(out, "set", &arg);
}

int app_build_speech_done(const char *question_uuid, app_step *out)
{
    strbuf arg = {0};
    sb_printf(&arg, "%s=%s", APP_SPEECH_DONE_VAR, question_uuid);
    return step_set(out, "set", &arg);
}

int app_build_say(const app_config *cfg, const char *text, app_step *out)
{
    return app_build_say_in(cfg, text, NULL, out);
}

int app_build_say_in(const app_config *cfg, const char *text, const char *language, app_step *out)
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
    if (clean[strspn(clean, " ")] == '\0') {
        free(clean); /* nothing to say: speak would read an empty text */
        return 0;
    }
    neutralise_bars(clean);
    /* Engine and voice always: speak without them hangs the call up. */
    sb_printf(&arg, "%s|%s|%s", cfg->tts_engine, app_voice_for(cfg, language), clean);
    free(clean);
    return step_set(out, "speak", &arg) == 0 ? 1 : -1;
}

int app_build_say_command(const app_config *cfg, const ivrsm_command *c, app_step *out)
{
    bool oom;
    char *file = app_prompt_file(c, &oom);
    if (oom)
        return -1;
    if (!file)
        return app_build_say_in(cfg, c->text, c->language, out);
    strbuf arg = {0};
    sb_puts(&arg, file);
    free(file);
    return step_set(out, "playback", &arg) == 0 ? 1 : -1;
}

/*
 * A handoff target is a name, never dial-string or argument syntax: it may come
 * from the caller or a backend (a queue_id template rendering ctx), and it lands in
 * --handoff-arg, whose every other byte is the operator's. Allowed: ASCII letters,
 * digits and '_', '.' and '-' after the first character, '+' as the first
 * (an E.164 number), at most 128 bytes. Everything else is refused, among them
 * what FreeSWITCH reads as structure in the handoff applications' arguments:
 *   ' ' tab newline  argument separators (src/switch_utils.c switch_separate_string:
 *                    transfer_function, callcenter_function split on blanks)
 *   '  "  \          quoting and escapes of that split (cleanup_separated_string)
 *   ^                "^^X" changes the separator (switch_separate_string); sofia's
 *                    "DEST^TO" sets the To URI (mod_sofia.c sofia_outgoing_channel)
 *   | ,              failover and simultaneous legs; ":_:" enterprise legs
 *   :                (src/switch_ivr_originate.c switch_ivr_originate,
 *                    switch_ivr_enterprise_originate)
 *   { } [ ] < >      channel variables of the whole dial or of one leg (same)
 *   /                endpoint and its data (switch_ivr_originate: chan_type/chan_data)
 *   @                the domain of user/USER@DOMAIN (mod_dptools.c user_outgoing_channel)
 *                    and of a mod_callcenter queue NAME@DOMAIN: a domain belongs in
 *                    the template ('{queue}@default'), never in the data
 *   %                sofia's USER%HOST registration lookup (sofia_outgoing_channel)
 *   ;  =             SIP URI parameters and header/variable assignments
 *   $  !  &  ( )     variable expansion, playback lists, application calls
 *   a leading '-'    transfer's "-bleg" / "-both" (mod_dptools.c transfer_function)
 *   a leading '.'    nothing a queue starts with; refused with '-' for symmetry
 */
static bool queue_valid(const char *q)
{
    size_t n = q ? strlen(q) : 0;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = q[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum || c == '_')
            continue;
        if (i == 0 ? c == '+' : (c == '.' || c == '-'))
            continue;
        return false;
    }
    return true;
}

int app_build_handoff(const app_config *cfg, const char *queue, app_step *out, char *err,
                      size_t errlen)
{
    if (!queue_valid(queue)) {
        snprintf(err, errlen,
                 "queue '%.60s' is not a plain name (letters, digits, _ . -, a leading +)",
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
    strbuf arg = {0};
    sb_puts(&arg, "ivrsm_handoff_context=");
    if (append_json_inert(&arg, context_json ? context_json : "{}") != 0) {
        sb_free(&arg);
        return -1;
    }
    return step_set(out, "set", &arg);
}

int app_build_hangup(app_step *out)
{
    return app_build_hangup_cause("NORMAL_CLEARING", out);
}

int app_build_hangup_cause(const char *cause, app_step *out)
{
    strbuf arg = {0};
    sb_puts(&arg, cause);
    return step_set(out, "hangup", &arg);
}
