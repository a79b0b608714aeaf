/*
 * Machines of several languages: `languages:`, values written per language,
 * ctx.language and what follows it (matching, collect parsing, hints, the
 * language of commands), snapshots, and the loader's errors.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_driver.h"
#include "ivrsm/ivrsm.h"
#include "session.h"

/* "Bonjour" machine: French first, English on 9 or "english", back with "français". */
static const char *const bilingual_yaml =
    "machine: bilingual\n"
    "version: '1'\n"
    "languages: [fr-FR, en-US]\n"
    "timezone: Europe/Paris\n"
    "globals:\n"
    "  handoff: {enabled: true, queue_id: desk, prompt: {fr-FR: 'Un conseiller.', en-US: 'An "
    "agent.'}}\n"
    "  reprompts:\n"
    "    noinput: [{fr-FR: 'Vous êtes là ?', en-US: 'Are you there?'}]\n"
    "intents:\n"
    "  english: {utterances: {fr-FR: [anglais, english], en-US: [english]}, dtmf: ['9']}\n"
    "  french: {utterances: {fr-FR: [français], en-US: [french, français]}, dtmf: ['8']}\n"
    "  yes: {utterances: {fr-FR: [oui, \"d'accord\"], en-US: [yes, \"that's right\"]}, "
    "dtmf: ['1']}\n"
    "  no: {utterances: {fr-FR: [non], en-US: [no]}, dtmf: ['2']}\n"
    "  agent: {utterances: {fr-FR: [conseiller], en-US: [agent]}, dtmf: ['0']}\n"
    "states:\n"
    "  welcome:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Bonjour. For English, press 9.', en-US: 'Hello.'}\n"
    "    routes:\n"
    "      - {when_intent: english, set: {language: en-US}, next: phone}\n"
    "      - {when_intent: yes, next: phone}\n"
    "      - {when_intent: agent, next: agent}\n"
    "      - {when_text: {fr-FR: aide, en-US: help}, next: bye}\n"
    "  phone:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Votre numéro ?', en-US: [{say: 'Your number?'}, {play: beep.wav}]}\n"
    "    collect: {mode: phone}\n"
    "    routes:\n"
    "      - {when_intent: french, set: {language: fr}, next: phone}\n"
    "    nomatch:\n"
    "      max: 3\n"
    "      prompts: {fr-FR: [\"Je n'ai pas compris.\", 'Toujours pas.'], en-US: ['Sorry?', "
    "'Still no.']}\n"
    "      next: bye\n"
    "    next: date\n"
    "  date:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Quelle date ?', en-US: 'Which day?'}\n"
    "    collect: {mode: date_nl}\n"
    "    next: comment\n"
    "  comment:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Un commentaire ?', en-US: 'Any comment?'}\n"
    "    collect: {mode: free_speech_or_no}\n"
    "    next: confirm\n"
    "  confirm:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Confirmez-vous ?', en-US: 'Do you confirm?'}\n"
    "    routes:\n"
    "      - {when_intent: yes, next: switch}\n"
    "      - {when_intent: no, next: bye}\n"
    "    nomatch: {max: 3, next: bye, prompts: [{fr-FR: 'Oui ou non ?', en-US: 'Yes or no?'}]}\n"
    "  switch:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Autre langue ?', en-US: 'Another language?'}\n"
    "    routes:\n"
    "      - {when_intent: yes, set: {language: '{{ctx.wanted}}'}, next: bye}\n"
    "  agent:\n"
    "    type: handoff\n"
    "  bye:\n"
    "    type: prompt_end\n"
    "    prompt: {fr-FR: 'Au revoir.', en-US: 'Goodbye.'}\n";

static json_t *last_of(const call *c, const char *type)
{
    for (size_t i = json_array_size(c->log); i-- > 0;) {
        json_t *cmd = json_array_get(c->log, i);
        if (!strcmp(json_string_value(json_object_get(cmd, "type")), type))
            return cmd;
    }
    return NULL;
}

static const char *last_ask(const call *c, const char *key)
{
    return json_string_value(json_object_get(last_of(c, "ask"), key));
}

/* Whether the last ask's hints hold `hint`. */
static bool hinted(const call *c, const char *hint)
{
    json_t *hints = json_object_get(last_of(c, "ask"), "hints");
    size_t i;
    json_t *h;
    json_array_foreach(hints, i, h)
    {
        if (!strcmp(json_string_value(h), hint))
            return true;
    }
    return false;
}

static char *ctx_string(const call *c, const char *key)
{
    char *text = ivrsm_session_ctx_json(c->s);
    json_t *ctx = json_loads(text, 0, NULL);
    ivrsm_free(text);
    const char *v = json_string_value(json_object_get(ctx, key));
    char *out = v ? strdup(v) : NULL;
    json_decref(ctx);
    return out;
}

static void assert_ctx(const call *c, const char *key, const char *want)
{
    char *got = ctx_string(c, key);
    ck_assert_msg(got && !strcmp(got, want), "ctx.%s is %s, expected %s", key, got ? got : "(none)",
                  want);
    free(got);
}

/* The whole call in English after "english", the collects reading English. */
static void run_english_call(bool snapshots)
{
    ivrsm_machine *m = load_yaml_text(bilingual_yaml);
    call c;
    call_init(&c, m, NULL);
    c.snapshot_each_event = snapshots;
    call_start(&c);
    assert_ctx(&c, "language", "fr-FR");
    ck_assert_str_eq(last_ask(&c, "language"), "fr-FR");
    ck_assert(hinted(&c, "anglais") && hinted(&c, "aide") && !hinted(&c, "help"));

    ck_assert_str_eq(last_ask(&c, "text"), "Bonjour. For English, press 9.");

    ck_assert_int_eq(call_input(&c, "say english please"), 0);
    ck_assert_str_eq(call_state(&c), "phone");
    assert_ctx(&c, "language", "en-US");
    ck_assert_str_eq(last_ask(&c, "language"), "en-US");
    ck_assert_str_eq(last_ask(&c, "text"), "Your number?");
    json_t *parts = json_object_get(last_of(&c, "ask"), "parts");
    ck_assert_uint_eq(json_array_size(parts), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(parts, 1), "play")),
                     "beep.wav");
    ck_assert(hinted(&c, "french") && !hinted(&c, "anglais"));
    /* Re-prompts written as a list per language, then the globals' ones by language. */
    ck_assert_int_eq(call_input(&c, "say banana"), 0);
    ck_assert_str_eq(last_ask(&c, "text"), "Sorry?");
    ck_assert_int_eq(call_input(&c, "say banana"), 0);
    ck_assert_str_eq(last_ask(&c, "text"), "Still no.");
    ck_assert_int_eq(call_input(&c, "noinput"), 0);
    ck_assert_str_eq(last_ask(&c, "text"), "Are you there?");
    ck_assert_str_eq(last_ask(&c, "language"), "en-US");

    /* en-US reads the number: ten digits, +1. */
    ck_assert_int_eq(call_input(&c, "say two one two, five five five, twelve twelve"), 0);
    assert_ctx(&c, "phone_e164", "+12125551212");
    ck_assert_str_eq(call_state(&c), "date");
    ck_assert_int_eq(call_input(&c, "say next Monday"), 0);
    assert_ctx(&c, "pref_date_from", "2026-11-30");
    ck_assert_int_eq(call_input(&c, "say no thanks"), 0);
    assert_ctx(&c, "cancel_comment", "");
    ck_assert_str_eq(call_state(&c), "confirm");
    ck_assert_str_eq(last_ask(&c, "text"), "Do you confirm?");
    /* French words mean nothing in English now; "that's right" is "that is right". */
    ck_assert_int_eq(call_input(&c, "say oui"), 0);
    ck_assert_str_eq(call_state(&c), "confirm");
    ck_assert_str_eq(last_ask(&c, "text"), "Yes or no?");
    ck_assert_int_eq(call_input(&c, "say that is right"), 0);
    ck_assert_str_eq(call_state(&c), "switch");
    ck_assert_str_eq(last_ask(&c, "language"), "en-US");
    ck_assert_str_eq(last_ask(&c, "text"), "Another language?");
    call_free(&c);
    ivrsm_machine_unref(m);
}

START_TEST(english_after_a_switch)
{
    run_english_call(false);
}
END_TEST

START_TEST(english_after_a_switch_across_snapshots)
{
    run_english_call(true);
}
END_TEST

START_TEST(back_to_french_with_a_bare_tag)
{
    ivrsm_machine *m = load_yaml_text(bilingual_yaml);
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "dtmf 9"), 0);
    assert_ctx(&c, "language", "en-US");
    /* "français" in English is the french intent; `set: {language: fr}` is fr-FR. */
    ck_assert_int_eq(call_input(&c, "say français"), 0);
    assert_ctx(&c, "language", "fr-FR");
    ck_assert_str_eq(last_ask(&c, "language"), "fr-FR");
    ck_assert_str_eq(last_ask(&c, "text"), "Votre numéro ?");
    ck_assert_int_eq(call_input(&c, "say banane"), 0);
    ck_assert_str_eq(last_ask(&c, "text"), "Je n'ai pas compris.");
    /* fr-FR reads the number now: nine digits, +33. */
    ck_assert_int_eq(
        call_input(&c, "say zéro six douze trente-quatre cinquante-six soixante-dix-huit"), 0);
    assert_ctx(&c, "phone_e164", "+33612345678");
    ck_assert_int_eq(call_input(&c, "say lundi prochain"), 0);
    assert_ctx(&c, "pref_date_from", "2026-11-30");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(when_text_by_language)
{
    ivrsm_machine *m = load_yaml_text(bilingual_yaml);
    call c;
    call_init(&c, m, "{\"language\":\"en-US\"}");
    call_start(&c);
    ck_assert_str_eq(last_ask(&c, "language"), "en-US");
    ck_assert(hinted(&c, "help") && !hinted(&c, "aide"));
    /* "aide" is French: in English it is not understood, and welcome asks again. */
    ck_assert_int_eq(call_input(&c, "say aide"), 0);
    ck_assert_str_eq(call_state(&c), "welcome");
    ck_assert(!call_ended(&c));
    ck_assert_str_eq(last_ask(&c, "state"), "welcome");
    ck_assert_int_eq(call_input(&c, "say help"), 0);
    ck_assert_str_eq(call_state(&c), "bye");
    ck_assert(call_ended(&c));
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* The host may start the call in a language (a number dialled, the caller's profile). */
START_TEST(host_sets_the_language)
{
    ivrsm_machine *m = load_yaml_text(bilingual_yaml);
    static const struct {
        const char *ctx;
        const char *language;
    } cases[] = {
        {"{\"language\":\"en-US\"}", "en-US"},   {"{\"language\":\"EN_us\"}", "en-US"},
        {"{\"language\":\"en\"}", "en-US"},      {"{\"language\":\"de-DE\"}", "fr-FR"},
        {"{\"language\":\"klingon\"}", "fr-FR"}, {"{\"language\":42}", "fr-FR"},
        {"{\"language\":null}", "fr-FR"},        {"{}", "fr-FR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        call c;
        call_init(&c, m, cases[i].ctx);
        assert_ctx(&c, "language", cases[i].language);
        call_start(&c);
        ck_assert_str_eq(last_ask(&c, "language"), cases[i].language);
        call_free(&c);
    }
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * A bare language ("en") names the machine's own locale of that language: en-GB in a machine
 * that speaks en-GB and not en-US, in a route's set (checked at load), from the host's ctx and
 * set at run time. A tag with a region names that region: en-US stays refused there.
 */
START_TEST(bare_language_is_the_machines_own)
{
    ivrsm_machine *m = load_yaml_text(
        "machine: gb\nversion: '1'\nlocale: fr-FR\nlanguages: [fr-FR, en-GB]\n"
        "timezone: Europe/Paris\n"
        "intents:\n  english: {utterances: {fr-FR: [anglais], en-GB: [english]}, dtmf: ['9']}\n"
        "states:\n"
        "  welcome:\n    type: prompt_and_listen\n"
        "    prompt: {fr-FR: 'Bonjour.', en-GB: 'Hello.'}\n"
        "    routes:\n"
        "      - {when_intent: english, set: {language: en}, next: bye}\n"
        "      - {when_text: {fr-FR: autre, en-GB: other}, set: {language: '{{ctx.wanted}}'}, "
        "next: bye}\n"
        "  bye:\n    type: prompt_end\n    prompt: {fr-FR: 'Au revoir.', en-GB: 'Goodbye.'}\n");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "dtmf 9"), 0);
    assert_ctx(&c, "language", "en-GB");
    call_free(&c);
    static const struct {
        const char *ctx, *language;
    } cases[] = {{"{\"language\":\"en\"}", "en-GB"},
                 {"{\"language\":\"EN\"}", "en-GB"},
                 {"{\"language\":\"en-US\"}", "fr-FR"},
                 {"{\"language\":\"e\"}", "fr-FR"},
                 {"{\"language\":\"es\"}", "fr-FR"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        call_init(&c, m, cases[i].ctx);
        assert_ctx(&c, "language", cases[i].language);
        call_free(&c);
    }
    static const struct {
        const char *wanted, *language;
    } wanted[] = {{"en", "en-GB"}, {"en-us", "fr-FR"}, {"fr", "fr-FR"}};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "{\"wanted\":\"%s\"}", wanted[i].wanted);
        call_init(&c, m, ctx);
        call_start(&c);
        ck_assert_int_eq(call_input(&c, "say autre"), 0);
        ck_assert(call_ended(&c));
        assert_ctx(&c, "language", wanted[i].language);
        call_free(&c);
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* A language that is not the machine's, set at run time, is refused: ctx.language stays true. */
START_TEST(run_time_language_refused)
{
    ivrsm_machine *m = load_yaml_text(bilingual_yaml);
    static const struct {
        const char *wanted;
        const char *language;
    } cases[] = {{"de-DE", "fr-FR"}, {"nonsense", "fr-FR"}, {"", "fr-FR"}, {"en-us", "en-US"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char ctx[128];
        snprintf(ctx, sizeof ctx, "{\"wanted\":\"%s\"}", cases[i].wanted);
        call c;
        call_init(&c, m, ctx);
        call_start(&c);
        ck_assert_int_eq(call_input(&c, "say oui"), 0);
        ck_assert_int_eq(call_input(&c, "dtmf 0612345678"), 0);
        ck_assert_int_eq(call_input(&c, "say demain"), 0);
        ck_assert_int_eq(call_input(&c, "say non"), 0);
        ck_assert_int_eq(call_input(&c, "dtmf 1"), 0);
        ck_assert_str_eq(call_state(&c), "switch");
        ck_assert_int_eq(call_input(&c, "dtmf 1"), 0);
        ck_assert(call_ended(&c));
        assert_ctx(&c, "language", cases[i].language);
        json_t *say = last_of(&c, "say");
        ck_assert_str_eq(json_string_value(json_object_get(say, "language")), cases[i].language);
        ck_assert_str_eq(json_string_value(json_object_get(say, "text")),
                         strcmp(cases[i].language, "en-US") ? "Au revoir." : "Goodbye.");
        call_free(&c);
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* phone_region: French numbers said in English. */
START_TEST(phone_region_in_every_language)
{
    ivrsm_machine *m =
        load_yaml_text("machine: m\nversion: '1'\nlanguages: [en-US, fr-FR]\nphone_region: fr-FR\n"
                       "states:\n"
                       "  phone:\n"
                       "    type: prompt_and_listen\n"
                       "    prompt: {en-US: 'Your number?', fr-FR: 'Votre numéro ?'}\n"
                       "    collect: {mode: phone}\n"
                       "    next: bye\n"
                       "  bye: {type: prompt_end, prompt: {en-US: 'Bye.', fr-FR: 'Au revoir.'}}\n");
    static const struct {
        const char *ctx, *said;
    } calls[] = {
        {"{}", "say oh six twelve thirty four fifty six seventy eight"},
        {"{\"language\":\"fr-FR\"}", "say zéro six douze trente-quatre cinquante-six "
                                     "soixante-dix-huit"},
        {"{}", "dtmf 0612345678#"},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        call c;
        call_init(&c, m, calls[i].ctx);
        call_start(&c);
        ck_assert_int_eq(call_input(&c, calls[i].said), 0);
        assert_ctx(&c, "phone_e164", "+33612345678");
        ck_assert(call_ended(&c));
        call_free(&c);
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* Formatted values are said in the call's language, from the state after a switch on. */
START_TEST(formats_follow_the_language)
{
    ivrsm_machine *m = load_yaml_text(
        "machine: m\nversion: '1'\nlanguages: [es-ES, de-DE]\ntimezone: Europe/Madrid\n"
        "states:\n"
        "  day:\n"
        "    type: prompt_and_listen\n"
        "    prompt: {es-ES: '¿Qué día?', de-DE: 'Welcher Tag?'}\n"
        "    collect: {mode: date_nl}\n"
        "    routes:\n"
        "      - {when_text: {es-ES: alemán, de-DE: deutsch}, set: {language: de-DE}, next: day}\n"
        "    next: confirm\n"
        "  confirm:\n"
        "    type: prompt_end\n"
        "    prompt:\n"
        "      es-ES: 'El {{ctx.pref_date_from | date}} a las {{ctx.at | time}}: "
        "{{ctx.amount | money}}, {{ctx.vip | yesno}}.'\n"
        "      de-DE: 'Am {{ctx.pref_date_from | date}} um {{ctx.at | time}}: "
        "{{ctx.amount | money}}, {{ctx.vip | yesno}}.'\n");
    static const struct {
        const char *said[2];
        const char *want;
    } calls[] = {
        {{"say el jueves que viene", NULL},
         "El jueves 3 de diciembre a las 9:30: 12 euros con 50 céntimos, sí."},
        {{"say alemán", "say am ersten Januar"},
         "Am Freitag, den 1. Januar 2027 um 9 Uhr 30: 12 Euro und 50 Cent, ja."},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        call c;
        call_init(&c, m, "{\"amount\": 12.5, \"at\": \"09:30\", \"vip\": true}");
        call_start(&c);
        for (int k = 0; k < 2 && calls[i].said[k]; k++)
            ck_assert_int_eq(call_input(&c, calls[i].said[k]), 0);
        ck_assert(call_ended(&c));
        ck_assert_str_eq(c.last_text, calls[i].want);
        call_free(&c);
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* The handoff prompt of globals, by language; the handoff command carries the language. */
START_TEST(handoff_in_the_call_language)
{
    ivrsm_machine *m = load_yaml_text(bilingual_yaml);
    static const char *const starts[] = {"{}", "{\"language\":\"en-US\"}"};
    static const char *const said[] = {"Un conseiller.", "An agent."};
    static const char *const tags[] = {"fr-FR", "en-US"};
    for (int i = 0; i < 2; i++) {
        call c;
        call_init(&c, m, starts[i]);
        call_start(&c);
        ck_assert_int_eq(call_input(&c, "dtmf 0"), 0);
        json_t *h = last_of(&c, "handoff");
        ck_assert_ptr_nonnull(h);
        ck_assert_str_eq(json_string_value(json_object_get(h, "text")), said[i]);
        ck_assert_str_eq(json_string_value(json_object_get(h, "language")), tags[i]);
        call_free(&c);
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* What was queued in one language goes out in it before the switch. */
START_TEST(said_before_a_switch_keeps_its_language)
{
    ivrsm_machine *m = load_yaml_text(
        "machine: m\nversion: '1'\nlanguages: [fr-FR, en-US]\n"
        "globals: {endpoints: {pref: 'GET /pref'}}\n"
        "states:\n"
        "  start:\n"
        "    type: action_then_prompt\n"
        "    action: {call: pref}\n"
        "    on_success: {prompt: {fr-FR: 'Un instant.', en-US: 'One moment.'}, next: lang}\n"
        "  lang:\n"
        "    type: action_then_prompt\n"
        "    action: {call: pref}\n"
        "    on_success:\n"
        "      set: {language: '{{resp.language}}'}\n"
        "      prompt: {fr-FR: 'Bonjour.', en-US: 'Hello.'}\n"
        "      next: bye\n"
        "  bye: {type: prompt_end, prompt: {fr-FR: 'Au revoir.', en-US: 'Goodbye.'}}\n");
    static const canned answers[] = {{"pref", 200, "{\"language\":\"en-US\"}"}, {NULL, 0, NULL}};
    call c;
    call_init(&c, m, NULL);
    c.responses = answers;
    call_start(&c);
    ck_assert(call_ended(&c));
    /* say "Un instant." (fr-FR), then "Hello. Goodbye." (en-US), then hang up. */
    int says = 0;
    size_t i;
    json_t *cmd;
    json_array_foreach(c.log, i, cmd)
    {
        if (strcmp(json_string_value(json_object_get(cmd, "type")), "say"))
            continue;
        const char *text = json_string_value(json_object_get(cmd, "text"));
        const char *lang = json_string_value(json_object_get(cmd, "language"));
        if (says++ == 0) {
            ck_assert_str_eq(text, "Un instant.");
            ck_assert_str_eq(lang, "fr-FR");
        } else {
            ck_assert_str_eq(text, "Hello. Goodbye.");
            ck_assert_str_eq(lang, "en-US");
        }
    }
    ck_assert_int_eq(says, 2);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* One language, as before: ctx.language is the locale, commands carry it. */
START_TEST(single_language_machine)
{
    ivrsm_machine *m = load_yaml_text("machine: one\nversion: '1'\nlocale: de\n"
                                      "intents:\n  ja: {utterances: [ja, für mich], dtmf: ['1']}\n"
                                      "states:\n"
                                      "  q: {type: prompt_and_listen, prompt: 'Ja?', "
                                      "routes: [{when_intent: ja, next: bye}]}\n"
                                      "  bye: {type: prompt_end, prompt: 'Tschüss.'}\n");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    assert_ctx(&c, "language", "de-DE");
    ck_assert_str_eq(last_ask(&c, "language"), "de-DE");
    ck_assert_int_eq(call_input(&c, "say FUER MICH"), 0);
    ck_assert(call_ended(&c));
    ck_assert_str_eq(json_string_value(json_object_get(last_of(&c, "say"), "language")), "de-DE");
    ck_assert_ptr_null(json_object_get(last_of(&c, "hangup"), "language"));
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Loading: the machine's languages and maps by language
 * ------------------------------------------------------------------------- */

struct load_case {
    const char *name;
    const char *yaml; /* after the identity lines */
    int line;
    int column;
    const char *message; /* a prefix of the error; NULL: loads */
};

#define HEAD "machine: m\nversion: '1'\n"
#define BYE "states:\n  bye: {type: prompt_end, prompt: x}\n"

static const struct load_case load_cases[] = {
    {"two languages", HEAD "languages: [fr-FR, en-US]\n" BYE, 0, 0, NULL},
    {"locale equal to the first", HEAD "locale: en\nlanguages: [en-US, fr]\n" BYE, 0, 0, NULL},
    {"locale not the first", HEAD "locale: fr-FR\nlanguages: [en-US, fr-FR]\n" BYE, 3, 9,
     "locale: 'fr-FR' is not the first of languages (en-US)"},
    {"unknown language", HEAD "languages: [fr-FR, en-AU]\n" BYE, 3, 20,
     "languages[1]: unknown locale 'en-AU'; did you mean 'en-US'?"},
    {"twice", HEAD "languages: [fr-FR, fr]\n" BYE, 3, 20, "languages: fr-FR is listed twice"},
    {"empty", HEAD "languages: []\n" BYE, 3, 12, "languages: the list is empty"},
    {"not a list", HEAD "languages: fr-FR\n" BYE, 3, 12,
     "languages: expected a list of locales, the first the default"},
    {"not a string", HEAD "languages: [fr-FR, 3]\n" BYE, 3, 20,
     "languages[1]: expected a locale such as en-US"},
    {"utterances of another language",
     HEAD "languages: [fr-FR]\nintents:\n  y: {utterances: {en-US: [yes]}}\n" BYE, 5, 20,
     "utterances: 'en-US' is not one of the machine's languages (fr-FR)"},
    {"utterances twice",
     HEAD "languages: [en-US]\nintents:\n  y: {utterances: {en: [a], en-US: [b]}}\n" BYE, 5, 29,
     "en-US is given twice in this map (as 'en-US' too)"},
    {"utterances map empty", HEAD "intents:\n  y: {utterances: {}}\n" BYE, 4, 19,
     "utterances: the map by language is empty"},
    {"utterances not a list", HEAD "intents:\n  y: {utterances: {fr-FR: oui}}\n" BYE, 4, 27,
     "fr-FR: expected a list of phrases (or a map of such lists by language)"},
    {"when_text of another language",
     HEAD "languages: [fr-FR]\nstates:\n  a: {type: prompt_and_listen, prompt: x, routes: "
          "[{when_text: {de-DE: hilfe}, next: a}]}\n",
     5, 65, "when_text: 'de-DE' is not one of the machine's languages (fr-FR)"},
    {"set language not declared",
     HEAD "languages: [fr-FR, en-US]\nstates:\n  a: {type: prompt_and_listen, prompt: x, "
          "routes: [{when_text: oui, set: {language: es-ES}, next: a}]}\n",
     5, 85, "language: 'es-ES' is not one of the machine's languages (fr-FR, en-US)"},
    {"set language unknown",
     HEAD "states:\n  a: {type: prompt_and_listen, prompt: x, "
          "routes: [{when_text: oui, set: {language: xx-YY}, next: a}]}\n",
     4, 85, "language: unknown locale 'xx-YY'"},
    {"prompt of another language",
     HEAD "languages: [fr-FR]\nstates:\n  a: {type: prompt_end, prompt: {fr-FR: a, es: b}}\n", 5,
     44, "prompt: 'es' is not one of the machine's languages (fr-FR)"},
    {"a part without its list", HEAD "states:\n  a: {type: prompt_end, prompt: {say: a}}\n", 4, 33,
     "prompt: expected a text or a list of parts (- say: TEXT, - play: URI), found a map: "
     "write a part in a list"},
    {"a map inside a language",
     HEAD "states:\n  a: {type: prompt_end, prompt: {fr-FR: {en-US: a}}}\n", 4, 41,
     "fr-FR: expected a text or a list of parts (- say: TEXT, - play: URI) in this language"},
    {"re-prompts of another language",
     HEAD "languages: [en-US]\nstates:\n  a: {type: prompt_and_listen, prompt: x, routes: "
          "[{when_text: y, next: a}], nomatch: {max: 2, prompts: {de-DE: [x]}}}\n",
     5, 106, "prompts: 'de-DE' is not one of the machine's languages (en-US)"},
    {"phone_region unknown", HEAD "phone_region: xx-YY\n" BYE, 3, 15,
     "phone_region: unknown locale 'xx-YY'"},
    {"phone_region not a string", HEAD "phone_region: [fr-FR]\n" BYE, 3, 15,
     "phone_region: expected a locale whose phone numbers apply, such as fr-FR"},
    {"phone_region", HEAD "languages: [en-US, fr-FR]\nphone_region: fr\n" BYE, 0, 0, NULL},
    {"set language from a template",
     HEAD "states:\n  a: {type: prompt_and_listen, prompt: x, "
          "routes: [{when_text: oui, set: {language: "
          "'{{ctx.l}}'}, next: a}]}\n",
     0, 0, NULL},
};

START_TEST(load_table)
{
    const struct load_case *lc = &load_cases[_i];
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    memset(&err, 0, sizeof err);
    int rc = ivrsm_machine_load_buffer(lc->yaml, strlen(lc->yaml), IVRSM_FORMAT_YAML, "t.yaml", &m,
                                       &err);
    if (!lc->message) {
        ck_assert_msg(rc == 0, "%s: %d:%d %s", lc->name, err.line, err.column, err.message);
        ivrsm_machine_unref(m);
        return;
    }
    ck_assert_msg(rc == IVRSM_EMACHINE, "%s: loaded", lc->name);
    ck_assert_msg(strncmp(err.message, lc->message, strlen(lc->message)) == 0,
                  "%s: \"%s\", expected \"%s...\"", lc->name, err.message, lc->message);
    ck_assert_msg(err.line == lc->line && err.column == lc->column, "%s: at %d:%d, expected %d:%d",
                  lc->name, err.line, err.column, lc->line, lc->column);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The validator: what is missing in a language
 * ------------------------------------------------------------------------- */

static const char *const incomplete_yaml =
    "machine: m\n"
    "version: \"1\"\n"
    "languages: [fr-FR, en-US, de-DE]\n"
    "globals:\n"
    "  handoff: {enabled: true, queue_id: q, prompt: \"Un conseiller.\"}\n"
    "  reprompts:\n"
    "    noinput: {fr-FR: [\"Allô ?\"], en-US: [\"Hello?\"]}\n"
    "    nomatch: [\"{{ctx.hint}}\"]\n"
    "intents:\n"
    "  yes: {utterances: {fr-FR: [oui], en-US: [yes], de-DE: [ja]}, dtmf: [\"1\"]}\n"
    "  agent: {utterances: {fr-FR: [conseiller]}}\n"
    "states:\n"
    "  menu:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: \"Oui ?\", en-US: \"Yes?\", de-DE: \"Ja?\"}\n"
    "    routes:\n"
    "      - {when_intent: yes, next: info}\n"
    "      - {when_intent: agent, next: agent}\n"
    "      - {when_text: {en-US: help, de-DE: hilfe}, next: menu}\n"
    "    noinput:\n"
    "      max: 2\n"
    "      prompts: [{fr-FR: \"Allô ?\", en-US: \"Hello?\", de-DE: \"Hallo?\"}, \"Toujours là "
    "?\"]\n"
    "  info:\n"
    "    type: prompt_and_listen\n"
    "    prompt:\n"
    "      - play: \"audio/{{ctx.language}}/info.wav\"\n"
    "      - say: \"{{ctx.summary}}\"\n"
    "    routes:\n"
    "      - {when_intent: yes, next: bye}\n"
    "  agent:\n"
    "    type: handoff\n"
    "    on_fail: {prompt: [{play: busy.wav}], next: bye}\n"
    "  bye: {type: prompt_end, prompt: {en-US: \"Bye.\"}}\n";

START_TEST(validator_names_what_a_language_misses)
{
    static const struct {
        int line, column;
        const char *path;
        const char *message; /* a prefix */
    } want[] = {
        {5, 49, "globals.handoff.prompt",
         "prompt is written in one language: callers speaking en-US, de-DE hear it in fr-FR"},
        {7, 14, "globals.reprompts.noinput",
         "noinput has no list in de-DE: callers speaking it hear the re-prompts of fr-FR"},
        {11, 23, "intents.agent.utterances",
         "intent 'agent' has no utterances in en-US, de-DE: a caller speaking it can never "
         "choose it"},
        {19, 9, "states.menu.routes[2].when_text",
         "when_text of routes[2] in state 'menu' has no phrase in fr-FR"},
        {22, 70, "states.menu.noinput.prompts[1]", "prompts[1] is written in one language"},
        {32, 23, "states.agent.on_fail.prompt", "prompt is written in one language"},
        {33, 35, "states.bye.prompt",
         "prompt has no fr-FR, de-DE version: callers speaking it hear the en-US one"},
    };
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_check_buffer(incomplete_yaml, strlen(incomplete_yaml), IVRSM_FORMAT_YAML,
                                        "m.yaml", &d),
                     0);
    size_t found = 0;
    for (size_t i = 0; i < ivrsm_diagnostics_count(d); i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        ck_assert_int_ne(x->severity, IVRSM_SEVERITY_ERROR);
        if (strcmp(x->rule, "language-missing"))
            continue;
        ck_assert_msg(found < sizeof want / sizeof want[0], "extra: %s", x->message);
        ck_assert_int_eq(x->line, want[found].line);
        ck_assert_int_eq(x->column, want[found].column);
        ck_assert_str_eq(x->path, want[found].path);
        ck_assert_msg(!strncmp(x->message, want[found].message, strlen(want[found].message)),
                      "\"%s\"", x->message);
        found++;
    }
    ck_assert_uint_eq(found, sizeof want / sizeof want[0]);
    ivrsm_diagnostics_free(d);
    /* The bilingual machine of the calls above is complete. */
    ck_assert_int_eq(
        ivrsm_check_buffer(bilingual_yaml, strlen(bilingual_yaml), IVRSM_FORMAT_YAML, "b.yaml", &d),
        0);
    for (size_t i = 0; i < ivrsm_diagnostics_count(d); i++)
        ck_assert_msg(strcmp(ivrsm_diagnostics_get(d, i)->rule, "language-missing"), "%s",
                      ivrsm_diagnostics_get(d, i)->message);
    ivrsm_diagnostics_free(d);
}
END_TEST

/*
 * ctx.language is checked after a `set:` only when the set may have written it, or when
 * something else may have since the last check (a collect into it, an OTP removed from it, a
 * restored snapshot): sessions of this machine are run side by side with sessions of the same
 * machine whose every `set:` counts as writing the language (the check after every `set:`, as
 * it always was), over generated keys, and restores of snapshots whose ctx.language was
 * changed. The commands, the trace and ctx are the same at every step.
 */
static const char *const language_writes_yaml =
    "machine: writes\n"
    "version: '1'\n"
    "languages: [fr-FR, en-US]\n"
    "globals:\n"
    "  endpoints: {verify: 'POST /verify'}\n"
    "intents:\n"
    "  k1: {utterances: {fr-FR: [un], en-US: [one]}, dtmf: ['1']}\n"
    "  k2: {utterances: {fr-FR: [deux], en-US: [two]}, dtmf: ['2']}\n"
    "  k3: {utterances: {fr-FR: [trois], en-US: [three]}, dtmf: ['3']}\n"
    "  k4: {utterances: {fr-FR: [quatre], en-US: [four]}, dtmf: ['4']}\n"
    "  k5: {utterances: {fr-FR: [cinq], en-US: [five]}, dtmf: ['5']}\n"
    "  k6: {utterances: {fr-FR: [six], en-US: [six]}, dtmf: ['6']}\n"
    "  k7: {utterances: {fr-FR: [sept], en-US: [seven]}, dtmf: ['7']}\n"
    "  k8: {utterances: {fr-FR: [huit], en-US: [eight]}, dtmf: ['8']}\n"
    "  k9: {utterances: {fr-FR: [neuf], en-US: [nine]}, dtmf: ['9']}\n"
    "  k0: {utterances: {fr-FR: [zéro], en-US: [zero]}, dtmf: ['0']}\n"
    "states:\n"
    "  menu:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Menu {{ctx.n}}.', en-US: 'Menu {{ctx.n}}, in English.'}\n"
    "    routes:\n"
    "      - {when_intent: k1, set: {n: '{{ctx.wanted}}', m: 1}, next: menu}\n"
    "      - {when_intent: k2, set: {language: en-US}, next: menu}\n"
    "      - {when_intent: k3, set: {n: 3, language: fr}, next: menu}\n"
    "      - {when_intent: k4, set: {language: '{{ctx.wanted}}'}, next: menu}\n"
    "      - {when_intent: k5, set: {language.sub: 1, n: 5}, next: menu}\n"
    "      - {when_intent: k6, set: {wanted: en}, next: digits}\n"
    "      - {when_intent: k7, set: {wanted: de-DE, p.q: x}, next: deeper}\n"
    "      - {when_intent: k8, set: {wanted: fr-FR}, next: code}\n"
    "      - {when_intent: k9, set: {wanted: '{{ctx.language}}'}, next: menu}\n"
    "      - {when_intent: k0, next: when}\n"
    "  when:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Quel jour ?', en-US: 'Which day?'}\n"
    "    collect: {mode: date_nl, target: language.d}\n"
    "    next: menu\n"
    "  digits:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Chiffres ?', en-US: 'Digits?'}\n"
    "    collect: {mode: digits, min: 1, max: 2, target: language}\n"
    "    next: menu\n"
    "  deeper:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Encore ?', en-US: 'More?'}\n"
    "    collect: {mode: digits, min: 1, max: 2, target: language.x}\n"
    "    next: menu\n"
    "  code:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Code ?', en-US: 'Code?'}\n"
    "    collect: {mode: otp, length: 4, target: language}\n"
    "    next: check\n"
    "  check:\n"
    "    type: action_then_prompt\n"
    "    action: {call: verify}\n"
    "    on_success: {set: {n: ok}, next: menu}\n"
    "    on_fail: {next: menu}\n";

/* Every `set:` of m counts as one that may write ctx.language. */
static void every_set_writes_language(ivrsm_machine *m)
{
    for (size_t i = 0; i < m->state_count; i++) {
        m_state *st = &m->states[i];
        for (size_t r = 0; r < st->route_count; r++)
            st->routes[r].set.writes_language = true;
        st->fallback.set.writes_language = true;
        st->on_success.set.writes_language = true;
        st->on_fail.set.writes_language = true;
        st->on_timeout.set.writes_language = true;
        st->on_error.set.writes_language = true;
        for (size_t o = 0; o < st->on_status_count; o++)
            st->on_status[o].outcome.set.writes_language = true;
    }
}

static void keep_trace(void *user, const char *record)
{
    json_t *log = user;
    json_array_append_new(log, json_string(record));
}

/* Start a call of m on `c` whose trace goes to `trace`. */
static void traced_call(call *c, ivrsm_machine *m, const char *ctx_json, json_t *trace)
{
    call_init(c, m, ctx_json);
    ivrsm_session_free(c->s);
    c->opts.trace = keep_trace;
    c->opts.trace_user = trace;
    ck_assert_int_eq(ivrsm_session_new(m, &c->opts, &c->s, NULL), 0);
}

/* Restore c from `snapshot` (its machine's session). */
static void restore_call(call *c, const char *snapshot)
{
    ivrsm_session *fresh = NULL;
    ivrsm_error err;
    ck_assert_msg(
        ivrsm_session_restore(ivrsm_session_machine(c->s), snapshot, &c->opts, &fresh, &err) == 0,
        "%s", err.message);
    ivrsm_session_free(c->s);
    c->s = fresh;
}

static void assert_same_calls(const call *a, const call *b, json_t *ta, json_t *tb)
{
    char *x = call_transcript(a), *y = call_transcript(b);
    ck_assert_str_eq(x, y);
    free(x);
    free(y);
    x = ivrsm_session_ctx_json(a->s);
    y = ivrsm_session_ctx_json(b->s);
    ck_assert_str_eq(x, y);
    ivrsm_free(x);
    ivrsm_free(y);
    ck_assert(json_equal(ta, tb));
}

START_TEST(language_checked_as_after_every_set)
{
    ivrsm_machine *m = load_yaml_text(language_writes_yaml);
    ivrsm_machine *ref = load_yaml_text(language_writes_yaml);
    every_set_writes_language(ref);
    static const char *const ctxs[] = {NULL, "{\"language\":\"en\"}", "{\"language\":42}",
                                       "{\"wanted\":\"en-US\",\"n\":1}"};
    static const char *const restored[] = {NULL,        "\"de-DE\"", "\"en\"",         "\"en-US\"",
                                           "\"fr-FR\"", "42",        "{\"x\":\"fr\"}", "null"};
    uint64_t seed = 1313;
    int checks_skipped = 0;
    for (int round = 0; round < 60; round++) {
        json_t *ta = json_array(), *tb = json_array();
        call a, b;
        const char *ctx = ctxs[round % 4];
        traced_call(&a, m, ctx, ta);
        traced_call(&b, ref, ctx, tb);
        call_start(&a);
        call_start(&b);
        assert_same_calls(&a, &b, ta, tb);
        for (int event = 0; event < 40 && !call_ended(&a); event++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(seed >> 33);
            if (r % 9 == 0) {
                /* A snapshot restored with ctx.language changed (or removed) meanwhile. */
                char *snap = NULL;
                ck_assert_int_eq(ivrsm_session_snapshot(a.s, &snap), 0);
                json_t *j = json_loads(snap, 0, NULL);
                ivrsm_free(snap);
                const char *language = restored[(r / 9) % 8];
                json_t *c = json_object_get(j, "ctx");
                if (language)
                    json_object_set_new(c, "language", json_loads(language, JSON_DECODE_ANY, NULL));
                else
                    json_object_del(c, "language");
                snap = json_dumps(j, 0);
                json_decref(j);
                restore_call(&a, snap);
                restore_call(&b, snap);
                free(snap);
            }
            char line[32];
            const char *state = call_state(&a);
            if (!strcmp(state, "code"))
                snprintf(line, sizeof line, "dtmf %04u", r % 10000);
            else if (!strcmp(state, "when"))
                snprintf(line, sizeof line, "say %s", r % 2 ? "demain" : "tomorrow");
            else if (!strcmp(state, "digits") || !strcmp(state, "deeper"))
                snprintf(line, sizeof line, "dtmf %u", 1 + r % 30);
            else
                snprintf(line, sizeof line, "dtmf %u", (r >> 8) % 10);
            bool skipped = a.s->language_checked;
            ck_assert_int_eq(call_input(&a, line), call_input(&b, line));
            checks_skipped += skipped && strchr("1678", line[5]) && !strcmp(state, "menu");
            assert_same_calls(&a, &b, ta, tb);
        }
        call_free(&a);
        call_free(&b);
        json_decref(ta);
        json_decref(tb);
    }
    /* The check was left out, not only done every time. */
    ck_assert_int_gt(checks_skipped, 100);
    ivrsm_machine_unref(m);
    ivrsm_machine_unref(ref);
}
END_TEST

/*
 * A language menu: each caller says the name of the language in that language ("english
 * please" to a Spanish machine, "deutsch bitte"), which the route that switches to it hears
 * (and hints), as well as the first language's words for it; a route that switches nothing
 * hears the call's language only. Its question, written once in every language, is no
 * language-missing; a plain prompt elsewhere still is.
 */
static const char *const language_menu_yaml =
    "machine: hotel\n"
    "version: '1'\n"
    "languages: [es-ES, en-GB, de-DE]\n"
    "intents:\n"
    "  spanish: {utterances: {es-ES: [español], en-GB: [spanish], de-DE: [spanisch]}, dtmf: "
    "['1']}\n"
    "  english: {utterances: {es-ES: [inglés], en-GB: [english], de-DE: [englisch]}, dtmf: ['2']}\n"
    "  german: {utterances: {es-ES: [alemán], en-GB: [german], de-DE: [deutsch, auf deutsch]}, "
    "dtmf: ['3']}\n"
    "  help: {utterances: {es-ES: [ayuda], en-GB: [help], de-DE: [hilfe]}}\n"
    "states:\n"
    "  pick:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Para español, pulse 1. For English, press 2. Für Deutsch, drücken Sie 3.'\n"
    "    routes:\n"
    "      - {when_intent: spanish, set: {language: es-ES}, next: menu}\n"
    "      - {when_intent: english, set: {language: en-GB}, next: menu}\n"
    "      - {when_intent: german, set: {language: de-DE}, next: menu}\n"
    "      - {when_intent: help, next: bye}\n"
    "  menu:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Pulse 1.'\n"
    "    routes:\n"
    "      - {when_intent: spanish, next: bye}\n"
    "  bye:\n"
    "    type: prompt_end\n"
    "    prompt: {es-ES: 'Adiós.', en-GB: 'Goodbye.', de-DE: 'Auf Wiederhören.'}\n";

static void pick_language(const char *said, const char *state, const char *language)
{
    ivrsm_machine *m = load_yaml_text(language_menu_yaml);
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert(hinted(&c, "english") && hinted(&c, "deutsch") && hinted(&c, "inglés"));
    ck_assert_int_eq(call_input(&c, said), 0);
    ck_assert_msg(!strcmp(call_state(&c), state), "%s: in %s, expected %s", said, call_state(&c),
                  state);
    if (language)
        assert_ctx(&c, "language", language);
    call_free(&c);
    ivrsm_machine_unref(m);
}

START_TEST(language_menu_hears_each_language)
{
    pick_language("say english please", "menu", "en-GB");
    pick_language("say inglés", "menu", "en-GB");
    pick_language("say auf Deutsch bitte", "menu", "de-DE");
    pick_language("say Französisch oder Deutsch", "menu", "de-DE");
    pick_language("say español", "menu", "es-ES");
    /* help switches nothing: only its Spanish words are heard in a Spanish call. */
    pick_language("say help", "pick", "es-ES");
    pick_language("say ayuda", "bye", "es-ES");

    /* In the menu, spanish switches nothing: "spanish" is no Spanish word. */
    ivrsm_machine *m = load_yaml_text(language_menu_yaml);
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "dtmf 1"), 0);
    ck_assert_str_eq(call_state(&c), "menu");
    ck_assert(!hinted(&c, "spanish"));
    ck_assert_int_eq(call_input(&c, "say spanish"), 0);
    ck_assert_str_eq(call_state(&c), "menu");
    call_free(&c);
    ivrsm_machine_unref(m);

    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_check_buffer(language_menu_yaml, strlen(language_menu_yaml),
                                        IVRSM_FORMAT_YAML, "m.yaml", &d),
                     0);
    size_t missing = 0;
    for (size_t i = 0; i < ivrsm_diagnostics_count(d); i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        if (strcmp(x->rule, "language-missing"))
            continue;
        ck_assert_str_eq(x->path, "states.menu.prompt");
        missing++;
    }
    ck_assert_uint_eq(missing, 1);
    ivrsm_diagnostics_free(d);
}
END_TEST

static Suite *languages_suite(void)
{
    Suite *s = suite_create("languages");
    TCase *tc = tcase_create("calls");
    tcase_add_test(tc, english_after_a_switch);
    tcase_add_test(tc, language_menu_hears_each_language);
    tcase_add_test(tc, english_after_a_switch_across_snapshots);
    tcase_add_test(tc, back_to_french_with_a_bare_tag);
    tcase_add_test(tc, when_text_by_language);
    tcase_add_test(tc, host_sets_the_language);
    tcase_add_test(tc, bare_language_is_the_machines_own);
    tcase_add_test(tc, run_time_language_refused);
    tcase_add_test(tc, language_checked_as_after_every_set);
    tcase_add_test(tc, single_language_machine);
    tcase_add_test(tc, handoff_in_the_call_language);
    tcase_add_test(tc, phone_region_in_every_language);
    tcase_add_test(tc, formats_follow_the_language);
    tcase_add_test(tc, said_before_a_switch_keeps_its_language);
    suite_add_tcase(s, tc);
    tc = tcase_create("load");
    tcase_add_loop_test(tc, load_table, 0, sizeof load_cases / sizeof load_cases[0]);
    tcase_add_test(tc, validator_names_what_a_language_misses);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(languages_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
