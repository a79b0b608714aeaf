/*
 * Collect parsers: turn what the caller keyed or said into a value.
 * Locale data (number words, weekday and month names, phrases) lives in
 * tables (locale_tables.h, locale_fr.c); adding a locale adds a table, not code.
 */
#ifndef IVRSM_COLLECT_H
#define IVRSM_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tz.h"

typedef enum ivrsm_collect_mode {
    IVRSM_COLLECT_NONE = 0,
    IVRSM_COLLECT_PHONE,             /* → E.164 "+33612345678" */
    IVRSM_COLLECT_OTP,               /* → N digits "123456" */
    IVRSM_COLLECT_DATE_NL,           /* → date_from / date_to "YYYY-MM-DD" */
    IVRSM_COLLECT_FREE_SPEECH_OR_NO, /* → the comment, or "" when the caller said no */
    IVRSM_COLLECT_DIGITS,            /* → min to max digits "4970101234567890" */
    IVRSM_COLLECT_DATE_PAST,         /* → one date not after today "1985-03-14" */
    IVRSM_COLLECT_REFERENCE          /* → letters and digits of a pattern "AB123456789GB" */
} ivrsm_collect_mode;

typedef struct ivrsm_locale ivrsm_locale; /* opaque locale tables */

/* The locale for a tag such as "fr-FR" or "fr"; NULL when unknown. Static data. */
const ivrsm_locale *ivrsm_locale_find(const char *tag);

/* The built-in locales, index 0 up; NULL past the last. */
const ivrsm_locale *ivrsm_locale_at(size_t index);

/* The canonical tag ("en-US") and the English name ("English (United States)"). */
const char *ivrsm_locale_tag(const ivrsm_locale *loc);
const char *ivrsm_locale_name(const ivrsm_locale *loc);

/*
 * The known locale nearest to an unknown tag, to suggest it: one of the same
 * language first ("en-AU" → en-GB or en-US), else the fewest edits ("fr_FX"
 * → fr-FR), NULL when none is close. Tags compare case-insensitively.
 */
const ivrsm_locale *ivrsm_locale_nearest(const char *tag);

/* Writes the known tags, ", "-separated, into buf (cut to cap). Returns buf. */
char *ivrsm_locale_list(char *buf, size_t cap);

struct ivrsm_text_rules;
/* How speech in this locale's language is normalised (for intent matching). */
const struct ivrsm_text_rules *ivrsm_locale_text_rules(const ivrsm_locale *loc);

/* The place in a list the ordinal word[0..len) names in this language (position_ordinals:
 * "third" = 3, "troisieme", "dritten", "tercera"), 0 when it names none. */
int ivrsm_locale_place_ordinal(const ivrsm_locale *loc, const char *word, size_t len);

/* The places position_relative names, counted from the end of a list; the middle one of a list
 * of an odd number of places. */
#define IVRSM_POSITION_LAST (-1)
#define IVRSM_POSITION_BEFORE_LAST (-2)
#define IVRSM_POSITION_MIDDLE 0

/* Phrase i of those naming a place from the end of a list or its middle (position_relative:
 * "last", "avant dernier", "mittlere"), normalised, its place in *place (IVRSM_POSITION_LAST,
 * IVRSM_POSITION_BEFORE_LAST, IVRSM_POSITION_MIDDLE); NULL past the last. */
const char *ivrsm_locale_place_phrase(const ivrsm_locale *loc, size_t i, int *place);

/* The kinds of change of a locale's change_verbs (locale_tables.h), a bit each: moving to
 * another time, cancelling, changing otherwise. */
#define IVRSM_CHANGE_MOVE 1
#define IVRSM_CHANGE_CANCEL 2
#define IVRSM_CHANGE_ALTER 4

/* The kinds of change (IVRSM_CHANGE_MOVE, _CANCEL, _ALTER) the normalised
 * word[0..len) is a verb of: a word starting with an entry of change_verbs and at most
 * CHANGE_ENDING_MAX bytes longer ("verlegen", "verlegt" of "verleg"), 0 for any other. */
unsigned ivrsm_locale_change_kind(const ivrsm_locale *loc, const char *word, size_t len);

/* Whether the normalised word[0..len) is one of the locale's possessives ("my", "meinen") or
 * of its new_words ("new", "neuen", "pedir"). */
bool ivrsm_locale_is_possessive(const ivrsm_locale *loc, const char *word, size_t len);
bool ivrsm_locale_is_new_word(const ivrsm_locale *loc, const char *word, size_t len);
/* Whether the normalised word[0..len) reports the verb of change after it done
 * (change_reported: "was", "ete", "wurde", "fue"). */
bool ivrsm_locale_reports_change(const ivrsm_locale *loc, const char *word, size_t len);

/* What a normalised phrase says of change: the kinds of its verbs (IVRSM_CHANGE_*), and
 * IVRSM_PHRASE_ASKS_NEW when it holds one of new_words ("neuer Termin"), IVRSM_PHRASE_OWN when
 * it holds a possessive ("my appointment"). */
#define IVRSM_PHRASE_ASKS_NEW 0x10
#define IVRSM_PHRASE_OWN 0x20
unsigned ivrsm_locale_phrase_change(const ivrsm_locale *loc, const char *phrase, size_t len);

/* Possessive i of the locale, normalised; NULL past the last. */
const char *ivrsm_locale_possessive(const ivrsm_locale *loc, size_t i);

/*
 * Whether text[0..len) (speech, normalised or not) is a key said instead of pressed, and
 * which: a number in digits or in words ("2", "two", "deux"), with only the locale's key
 * words ("option", "press", "touche") and fillers around it. Writes the key in digits to
 * key (cap bytes) and returns 0, or returns 1 when the sentence is something else.
 */
int ivrsm_locale_key_said(const ivrsm_locale *loc, const char *text, size_t len, char *key,
                          size_t cap);

typedef struct ivrsm_collect_params {
    const ivrsm_locale *locale; /* required: the words */
    /* PHONE: the numbering plan (country code, trunk, lengths) of this
     * locale instead of `locale`'s, for numbers said in another language
     * than the country's (English words, French numbers); NULL: locale's. */
    const ivrsm_locale *phone_plan;
    const ivrsm_tz *tz;            /* required for DATE_NL */
    int64_t now_ms;                /* "today" for DATE_NL, from the session's clock */
    int otp_length;                /* OTP: digits expected (default 6 when 0) */
    int asap_days;                 /* DATE_NL: window for "dès que possible" (default 14 when 0) */
    int digits_min;                /* DIGITS: fewest digits (1 when 0) */
    int digits_max;                /* DIGITS: most digits (IVRSM_COLLECT_DIGITS_MAX when 0) */
    const char *digits_terminator; /* DIGITS: keys that may close a keyed entry ("#" when NULL) */
    int digits_luhn;               /* DIGITS: nonzero when the last digit is a Luhn check digit */
    /* DIGITS: nonzero when the digits are a number from digits_value_min to digits_value_max
     * (inclusive, 0 to IVRSM_COLLECT_VALUE_MAX): a score of 1 to 5, an amount; the value is then
     * written without leading zeros ("05" is "5"). */
    int digits_range;
    int64_t digits_value_min, digits_value_max;
    int past_years; /* DATE_PAST: the oldest date is this many years before today (120 when 0) */
    /* DATE_PAST: nonzero when a day and a month said without a year are the latest such day,
     * today or before ("le 3 mars" on 7 December 2026 is 2026-03-03); 0: the year is required. */
    int past_year_optional;
    /* REFERENCE: the shapes a code may have, '|'-separated: A a letter, 9 a digit, X either
     * ("AA999999999AA|XXXXXX"); checked by ivrsm_reference_patterns_check(). DTMF entries
     * close with digits_terminator. */
    const char *reference_patterns;
} ivrsm_collect_params;

#define IVRSM_COLLECT_TEXT_MAX 4096
/* The longest code the "otp" mode reads; a larger otp_length is a bad argument (-1). */
#define IVRSM_COLLECT_OTP_MAX 32
/* The most digits the "digits" mode reads. */
#define IVRSM_COLLECT_DIGITS_MAX 64
/* The largest bound of a "digits" collect's value range (min_value, max_value): 18 digits. */
#define IVRSM_COLLECT_VALUE_MAX 999999999999999999LL
/* The widest "as soon as possible" window; a larger asap_days is a bad argument (-1). */
#define IVRSM_COLLECT_ASAP_DAYS_MAX 366
/* The furthest back a "date_past" collect reaches, in years; a larger past_years is -1. */
#define IVRSM_COLLECT_PAST_YEARS_MAX 200
#define IVRSM_COLLECT_PAST_YEARS_DEFAULT 120
/* The longest code the "reference" mode reads, and the most patterns a collect gives. */
#define IVRSM_COLLECT_REFERENCE_MAX 64
#define IVRSM_COLLECT_REFERENCE_PATTERNS_MAX 16
typedef struct ivrsm_collect_value {
    /* PHONE: E.164; OTP: the digits; FREE_SPEECH_OR_NO: the comment ("" for no);
     * DATE_NL: date_from; DATE_PAST: the date. NUL-terminated. */
    char text[IVRSM_COLLECT_TEXT_MAX];
    char date_to[11]; /* DATE_NL only: "YYYY-MM-DD" */
    int said_no;      /* FREE_SPEECH_OR_NO: nonzero when the caller declined */
} ivrsm_collect_value;

/*
 * Parse one input. `is_dtmf` tells keyed digits (e.g. "0612345678#") from a
 * transcript. Returns 0 and fills *out when the input is a value of this mode,
 * 1 when it is not (the session treats that as a no-match), -1 on bad
 * arguments. Never reads beyond len; any bytes (invalid UTF-8 included) are safe.
 */
int ivrsm_collect_parse(ivrsm_collect_mode mode, const ivrsm_collect_params *params,
                        const char *input, size_t len, int is_dtmf, ivrsm_collect_value *out);

/*
 * `number` (digits after an optional '+': a caller id) in E.164 by the numbering plan of
 * `plan`, as a phone collect reads it keyed (ivrsm_phone_e164). 0, or IVRSM_EINVAL with
 * out "" when it is not a number of that plan.
 */
int ivrsm_phone_e164_in(const ivrsm_locale *plan, const char *number, char *out, size_t outlen);

/* The fewest keys of a phone number keyed in this locale (a national number). */
int ivrsm_locale_phone_keys_min(const ivrsm_locale *loc);

/* 0 when `patterns` are REFERENCE patterns ('|'-separated, each 1 to
 * IVRSM_COLLECT_REFERENCE_MAX of A, 9 and X, at most IVRSM_COLLECT_REFERENCE_PATTERNS_MAX), else
 * -1. */
int ivrsm_reference_patterns_check(const char *patterns);

/* Whether a code of these patterns can be keyed (a pattern without A), and then the fewest
 * and most keys in *min and *max. */
bool ivrsm_reference_keys(const char *patterns, int *min, int *max);

/* Whether digits[0..len) end with the Luhn check digit of the others (card numbers). */
bool ivrsm_luhn_valid(const char *digits, size_t len);

/* "phone" → IVRSM_COLLECT_PHONE ...; IVRSM_COLLECT_NONE when unknown. */
ivrsm_collect_mode ivrsm_collect_mode_from_name(const char *name);
const char *ivrsm_collect_mode_name(ivrsm_collect_mode mode);

#endif
