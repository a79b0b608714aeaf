/*
 * From session commands to FreeSWITCH applications, and from the
 * applications' completion events back to session events.
 *
 *   ask      play_and_get_digits MIN MAX 1 TIMEOUT TERMS 'say:TEXT' silence_stream://250
 *                                ivrsm_digits_ID [0-9*#A-D]+ DIGIT_TIMEOUT
 *            or, when speech is accepted and a recogniser is configured,
 *            play_and_detect_speech say:TEXT detect:ENGINE
 *                                   {no-input-timeout=T,speech-language=LANG}GRAMMAR
 *            then "set ivrsm_speech_done=UUID" (app_build_speech_done)
 *            right after "set tts_voice=VOICE" when the host has voices per language
 *   say      speak ENGINE|VOICE|TEXT   (playback PATH for a "file:PATH" text), with
 *            the voice of the command's language
 *   handoff  set ivrsm_handoff_context=JSON, speak the text, then the configured
 *            application: transfer QUEUE XML default, bridge DIAL-STRING, callcenter QUEUE
 *   hangup   hangup NORMAL_CLEARING
 *
 *   before every ask: flush_dtmf (keys typed before a question was asked
 *   never answer it)
 *
 * Text that reaches an argument is made inert first (app_clean_text()):
 * FreeSWITCH's expander acts on "${", "$${" and backslash escapes, and some
 * applications split on spaces, quotes and '|', so text could otherwise run
 * an API command or shift arguments. The argument itself always travels in
 * a message body (see esl_wire.h).
 */
#ifndef ESL_HOST_APP_ARGS_H
#define ESL_HOST_APP_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esl_frame.h"
#include "ivrsm/ivrsm.h"

typedef enum handoff_app { HANDOFF_TRANSFER = 0, HANDOFF_BRIDGE, HANDOFF_CALLCENTER } handoff_app;

/*
 * A value per language, from an option such as --tts-voice
 * "fr-FR=bernard,en-US=kal": language tags (or bare languages, "en") and
 * their values, plain tokens.
 */
#define APP_LANG_MAX 16
typedef struct app_lang_map {
    size_t count;
    struct {
        const char *language;
        const char *value;
    } items[APP_LANG_MAX];
} app_lang_map;

/*
 * Parse "VALUE" or "TAG=VALUE,TAG=VALUE[,VALUE]" (a value without a tag is
 * the default, stored in *def) in place: `spec` is cut at its commas and
 * equal signs and must outlive the map. Returns 0, or -1 with a reason in
 * err (an empty entry, a tag or a value that is no plain token, too many).
 */
int app_lang_map_parse(char *spec, app_lang_map *map, const char **def, char *err, size_t errlen);

/* The value for `language` ("en-US"): its own entry, else its language's ("en"), else NULL. */
const char *app_lang_map_get(const app_lang_map *map, const char *language);

typedef struct app_config {
    const char *tts_engine;     /* speak's engine, e.g. "flite" (a token) */
    const char *tts_voice;      /* speak's voice, e.g. "kal" (a token): the default */
    app_lang_map voices;        /* the voice of each language, over the default */
    app_lang_map asr_languages; /* Speech-Language per language (default: the tag itself) */
    const char *asr_engine;     /* NULL: every ask uses play_and_get_digits */
    const char *asr_grammar;    /* the grammar given to play_and_detect_speech (a token) */
    handoff_app handoff;
    const char *handoff_template; /* the application's argument; "{queue}" is replaced */
} app_config;

/*
 * One application to execute: name and argument, both owned. What travels with it is
 * written on the same connection right before or after it (calls.c send_step):
 *   voice      the tts_voice its 'say:' prompt is spoken with: "set tts_voice=VOICE" goes
 *              right before it (NULL: the channel's voice, set once per call, is the only
 *              one). Not owned: a configuration string.
 *   mark_done  a spoken question: "set ivrsm_speech_done=UUID" goes right after it, so the
 *              channel tells whether this question ended (resume.c).
 */
typedef struct app_step {
    char *app;
    char *arg;
    const char *voice;
    bool mark_done;
} app_step;

/* Free what a step owns and zero it. */
void app_step_clear(app_step *s);

/* The application name of a handoff choice ("transfer"...), and back (-1 if unknown). */
const char *app_handoff_name(handoff_app a);
int app_handoff_parse(const char *name, handoff_app *out);

/* The default argument template of a handoff application. */
const char *app_handoff_default_template(handoff_app a);

/*
 * Check a handoff template: line-safe, holds "{queue}", and no other '{'.
 * Returns 0 or -1 with a reason in err.
 */
int app_check_template(const char *tmpl, char *err, size_t errlen);

/*
 * `text` made inert for an application argument (new string, NULL when out
 * of memory): control characters become spaces, backslashes are dropped,
 * and a '$' followed by '{' or '$' is dropped, so nothing in it is anything
 * to FreeSWITCH's expander.
 */
char *app_clean_text(const char *text);

/* The terminators argument of play_and_get_digits: the ask's keys, or "none". */
const char *app_terminators(const char *terminators);

/*
 * The min and max digits given to play_and_get_digits for an ask: no
 * minimum (so silence and a lone terminator can be told apart), and one
 * more than the ask's max when a terminator closes the entry.
 */
void app_digit_bounds(const ivrsm_command *c, int *min, int *max);

/*
 * Whether this ask goes to the speech recogniser: never when its answer is a
 * secret (ivrsm_session_input_is_secret: a one-time code, a PIN), which stays
 * off the recogniser and its logs.
 */
bool app_ask_uses_speech(const app_config *cfg, const ivrsm_command *c, bool secret);

/*
 * The channel variables set once per call (multiset): tts_engine and
 * tts_voice, which 'say:' prompts need, app_disable_expand_variables, and
 * playback_terminators=any, which lets a key end a spoken question (and a
 * prompt that is no question).
 */
int app_build_tts_setup(const app_config *cfg, app_step *out);
/* The same with `voice` for tts_voice (the call's current one). */
int app_build_tts_setup_voice(const app_config *cfg, const char *voice, app_step *out);

/* flush_dtmf: empty the channel's queue of keys before a question. */
int app_build_flush_dtmf(app_step *out);

/*
 * The rest of an entry whose first key ended a spoken question: a
 * play_and_get_digits without prompt for the other keys (at most the ask's
 * bound less one, the digit timeout as first timeout). Returns 1 with *out
 * set, 0 when the ask takes one key only, -1 when out of memory.
 */
int app_build_digits_rest(const ivrsm_command *c, app_step *out);

/* The playback delimiter the host sets on every call (app_build_tts_setup_voice()). */
#define APP_PLAY_DELIMITER '!'

/*
 * The file argument of a command whose parts play recordings:
 * "ivr/welcome.wav!say:Bonjour..." (malloc'd), or NULL when it plays none
 * (*oom tells an allocation failure apart).
 */
char *app_prompt_file(const ivrsm_command *c, bool *oom);

/* The application for an ask command. Returns 0, or -1 when out of memory. */
int app_build_ask(const app_config *cfg, const ivrsm_command *c, bool speech, app_step *out);

/*
 * The channel variable that holds the keys of the ask of command `id`: "ivrsm_digits_ID",
 * one per question, so that a value found there answers that question and no other (the
 * host reads it back when the question's completion was lost, resume.c).
 */
#define APP_DIGITS_VAR_MAX 48
void app_digits_var(uint64_t id, char *out, size_t outlen);

/* The same as app_build_ask(), app_build_digits_rest() and app_ask_result() with the keys in
 * `digits_var` (app_digits_var()) instead of "ivrsm_digits". */
int app_build_ask_var(const app_config *cfg, const ivrsm_command *c, bool speech,
                      const char *digits_var, app_step *out);
int app_build_digits_rest_var(const ivrsm_command *c, const char *digits_var, app_step *out);

/*
 * The application for a say (or a handoff's text). Returns 1 with *out set,
 * 0 when there is nothing to say (empty text), -1 when out of memory.
 */
int app_build_say(const app_config *cfg, const char *text, app_step *out);

/* The same in `language` (a command's, may be NULL): with that language's voice. */
int app_build_say_in(const app_config *cfg, const char *text, const char *language, app_step *out);

/* The voice for `language` (NULL: the default). */
const char *app_voice_for(const app_config *cfg, const char *language);

/*
 * The voice a 'say:' prompt in `language` must carry (app_step.voice): NULL when the host
 * has one voice only (no per-language voices), which the call's setup gives the channel;
 * else the language's voice, set right before every prompt (see calls.c send_step).
 */
const char *app_prompt_voice(const app_config *cfg, const char *language);

/* The recogniser's Speech-Language for `language`: mapped, else the tag itself; NULL for none. */
const char *app_asr_language_for(const app_config *cfg, const char *language);

/*
 * "set tts_voice=VOICE": the voice of the 'say:' prompts of the questions
 * that follow (FreeSWITCH reads the channel's tts_voice when it plays them).
 */
int app_build_set_voice(const char *voice, app_step *out);

/*
 * "set ivrsm_speech_done=UUID", sent right after the spoken question whose sendmsg had the
 * Event-UUID UUID: FreeSWITCH runs it as that question returns (one queue, in order, under
 * event-lock), and play_and_detect_speech has no variable of its own per question
 * (mod_dptools.c play_and_detect_speech_function clears detect_speech_result as it starts and
 * sets it as it ends, whatever the question). With the variable equal to UUID, that sending
 * of the question ended and detect_speech_result is its result. The Event-UUID, not the
 * command's id: the same question sent again (after a reconnection, or stopped for its voice)
 * must not be taken as ended by the mark of a sending that was stopped (uuid_break without
 * "all" leaves the mark queued behind it).
 */
#define APP_SPEECH_DONE_VAR "ivrsm_speech_done"
int app_build_speech_done(const char *question_uuid, app_step *out);

/*
 * What a say command (or a handoff's words) plays: `playback` of its parts
 * when it plays recordings, else as app_build_say_in() with its text and
 * language. Returns 1 with *out set, 0 when there is nothing to say, -1
 * when out of memory.
 */
int app_build_say_command(const app_config *cfg, const ivrsm_command *c, app_step *out);

/*
 * The handoff application for `queue`. Returns 0, or -1 with a reason in
 * err (a queue with characters that have no place in a dial string).
 */
int app_build_handoff(const app_config *cfg, const char *queue, app_step *out, char *err,
                      size_t errlen);

/* "set ivrsm_handoff_context=JSON" so the agent's side can read the context. */
int app_build_handoff_context(const char *context_json, app_step *out);

/* hangup NORMAL_CLEARING */
int app_build_hangup(app_step *out);

/* hangup CAUSE (a FreeSWITCH cause name, the host's own: not checked) */
int app_build_hangup_cause(const char *cause, app_step *out);

/* What an ask's completion means for the session. */
typedef struct ask_result {
    ivrsm_event_type type; /* DTMF, SPEECH, NOINPUT or NOMATCH */
    char *text;            /* DTMF digits or transcript (owned), NULL otherwise */
    double confidence;     /* SPEECH: 0..1, or -1 when the recogniser gave none */
    bool keyed;            /* a key ended a spoken question ("DIGIT: 1"): more keys may follow */
} ask_result;

/*
 * Read the result of an ask from its CHANNEL_EXECUTE_COMPLETE event.
 * Returns 0 with *out filled (release with ask_result_clear()), 1 when the
 * speech recogniser failed (GRAMMAR ERROR, ASR INIT ERROR...: ask again on
 * the keypad; `why` holds the response), -1 when out of memory.
 */
int app_ask_result(const esl_msg *complete, bool speech, ask_result *out, char *why, size_t whylen);
int app_ask_result_var(const esl_msg *complete, bool speech, const char *digits_var,
                       ask_result *out, char *why, size_t whylen);

/* Whether `text` can be keys a question read: [0-9*#A-D]+, as its regular expression takes. */
bool app_keys_valid(const char *text);
void ask_result_clear(ask_result *r);

/*
 * Parse a recogniser's result (NLSML, or plain text from engines that
 * return the transcript alone). Returns 0 with *out filled, -1 when out of memory.
 */
int app_parse_speech_result(const char *result, ask_result *out);

/* Whether the handoff application's completion (or an earlier bridge) means success. */
bool app_handoff_ok(const app_config *cfg, const esl_msg *complete, bool bridged);

/* Whether an event says the channel is hanging up (its completions carry no answer). */
bool app_channel_gone(const esl_msg *ev);

#endif
