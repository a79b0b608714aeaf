/*
 * Locale tables and the internal interface of the collect parsers.
 *
 * A locale is data only: the parsers in collect_*.c read these tables and
 * hold no language in their code, so another language or country is another
 * `struct ivrsm_locale` (see locale_fr.c), never new parsing code.
 *
 * Every word and phrase is stored in normalised form (ivrsm_text_normalize:
 * lower case, accents folded, hyphens and apostrophes as single spaces), so
 * "quatre-vingt-dix" is stored as "quatre vingt dix" and "aujourd'hui" as
 * "aujourd hui". Lists end with a NULL entry (phrases) or a NULL text
 * (number and value entries).
 */
#ifndef IVRSM_LOCALE_TABLES_H
#define IVRSM_LOCALE_TABLES_H

#include "collect.h"

#include <stddef.h>
#include <stdint.h>

/*
 * One number word or fixed compound and how it combines with what follows.
 * A number is parsed as a base entry (the longest entry matching the words),
 * then, when the base allows it, an optional joiner ("et") and an addend that
 * is itself a number in [addend_min, addend_max]:
 *   "soixante"  60, addends 1..19: "soixante dix huit" = 60 + 18
 *   "quatre vingt" 80, addends 1..19: "quatre vingt dix neuf" = 80 + 19
 *   "dix" 10, addends 7..9: "dix sept" = 17
 *   "vingt" 20, addends 1..9: "vingt et un" = 21
 * addend_max == 0 means the entry takes no addend ("quatre vingts", "seize").
 */
struct ivrsm_number_word {
    const char *text; /* normalised, words separated by one space */
    int value;
    int addend_min;
    int addend_max;
};

/* A phrase with an integer meaning (relative days: "demain" = 1). */
struct ivrsm_phrase_value {
    const char *text;
    int value;
};

/* The order of day, month and year in numeric dates ("3/12", "03/12/2027"). */
enum ivrsm_date_order {
    IVRSM_DATE_DMY = 0, /* 03/12/2027 is 3 December */
    IVRSM_DATE_MDY      /* 12/03/2027 is 3 December */
};

struct ivrsm_locale {
    const char *tag;         /* canonical tag, "fr-FR" */
    const char *const *tags; /* every tag this table answers to, case-insensitive */

    /* Numbers */
    const struct ivrsm_number_word *numbers;
    const char *const *number_joiners; /* words allowed between a base and its addend: "et" */
    const char *const *ordinal_first;  /* "premier", "1er": the first day of a month */

    /* Phone numbers and codes */
    const char *country_code;         /* "33" */
    const char *trunk_prefix;         /* "0": national numbers start with it */
    const char *international_prefix; /* "00": dialled before a country code */
    int national_digits_min;          /* 9: digits after the trunk prefix, at least */
    int national_digits_max;          /* 9: and at most */
    const char *const *plus_words;    /* "plus": spoken "+" before a country code */
    const char *const *digit_fillers; /* hesitations and lead-ins ignored among digits */

    /* Dates */
    const char *const *weekdays; /* 7 names, Monday first */
    const char *const *months;   /* 12 names, January first */
    enum ivrsm_date_order numeric_date_order;
    const struct ivrsm_phrase_value *relative_days; /* "demain" = 1 */
    const char *const *next_words;                  /* after a weekday: "prochain", "prochaine" */
    const char *const *next_week;                   /* "la semaine prochaine" */
    const char *const *this_week;                   /* "cette semaine" */
    const char *const *next_month;                  /* "le mois prochain" */
    const char *const *in_words;                    /* "dans": "dans 3 jours" */
    const char *const *day_units;                   /* "jour", "jours" */
    const char *const *week_units;                  /* "semaine", "semaines" */
    const char *const *asap;                        /* "des que possible", "je ne sais pas" */
    const char *const *date_articles;               /* "le", "ce": skipped before a date */
    const char *const *date_lead_fillers;           /* "euh", "plutot": skipped before a date */
    const char *const *date_trail_fillers;          /* "matin", "s il vous plait": skipped after */

    /* Free speech */
    const char *const *negative_answers; /* whole answers meaning "no comment" */
    const char *const *answer_fillers;   /* "euh", "merci": ignored around a negative answer */
};

/* The built-in tables, found by ivrsm_locale_find(). */
extern const struct ivrsm_locale ivrsm_locale_fr_fr;
extern const struct ivrsm_locale ivrsm_locale_fr_be;
extern const struct ivrsm_locale ivrsm_locale_fr_ch;

/* ---------------------------------------------------------------------------
 * Words: an input split into normalised words, shared by the parsers.
 * ------------------------------------------------------------------------- */

/* The longest input a parser looks at, in bytes; longer inputs are not values. */
#define IVRSM_COLLECT_INPUT_MAX 4096
#define IVRSM_WORDS_MAX (IVRSM_COLLECT_INPUT_MAX / 2 + 1)

struct ivrsm_words {
    char text[2 * IVRSM_COLLECT_INPUT_MAX + 2]; /* the words, each followed by a NUL */
    size_t count;
    unsigned short start[IVRSM_WORDS_MAX]; /* offset of word i in text */
    unsigned short len[IVRSM_WORDS_MAX];   /* its length in bytes */
};

/*
 * Splits in[0..len) into normalised words (ivrsm_text_normalize). When
 * keep_numeric_dates is nonzero, a run such as "3/12" or "03.12.2027"
 * (digits separated by one repeated '/', '.' or '-') stays one word, as
 * written, instead of being cut at its separators.
 * Returns 0, or -1 when the input is longer than IVRSM_COLLECT_INPUT_MAX or
 * not valid UTF-8.
 */
int ivrsm_words_split(struct ivrsm_words *w, const char *in, size_t len, int keep_numeric_dates);

/* Nonzero when word i is made of ASCII digits only. */
int ivrsm_word_is_digits(const struct ivrsm_words *w, size_t i);

/*
 * When the words from `at` on start with `phrase` (normalised, words separated
 * by one space), returns how many words it spans; otherwise 0.
 */
size_t ivrsm_words_match(const struct ivrsm_words *w, size_t at, const char *phrase);

/*
 * The longest phrase of the NULL-terminated list that the words from `at` on
 * start with: returns its word count (0 when none matches) and stores its
 * index in *which when which is not NULL.
 */
size_t ivrsm_words_match_any(const struct ivrsm_words *w, size_t at, const char *const *phrases,
                             size_t *which);

/* Skips any run of the phrases in the list from `at` on; returns the next position. */
size_t ivrsm_words_skip_any(const struct ivrsm_words *w, size_t at, const char *const *phrases);

/*
 * Reads a number said in words from `at` on with the locale's number table
 * ("trente quatre", "quatre vingt dix neuf", "vingt et un"). Returns the words
 * it spans and stores the value in *value, or 0 when no number starts there.
 * Digit words ("34") are not read here: callers treat them as digit strings.
 */
size_t ivrsm_number_words(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                          int *value);

/* What an ivrsm_digits_accept callback says of a candidate digit string. */
enum {
    IVRSM_DIGITS_TAKE = 0,    /* the value: stop searching */
    IVRSM_DIGITS_REJECT = 1,  /* not a value: try another reading */
    IVRSM_DIGITS_FALLBACK = 2 /* a value, but a better reading may follow: keep searching */
};

/*
 * Called with each candidate digit string of ivrsm_words_digits(). Bit i of
 * pair_ends is set when a two-digit number said in words ends just before
 * digits[i] (i <= len). Returns an IVRSM_DIGITS_* verdict.
 */
typedef int (*ivrsm_digits_accept)(const char *digits, size_t len, uint64_t pair_ends, void *ctx);

/*
 * Reads the words from `at` to the end as a string of digits, for phone
 * numbers and codes: digit words are copied as written ("06"), numbers said
 * in words from 0 to 99 give one digit below 10 and two from 10 on ("zero
 * six douze" = "0612"), the locale's digit fillers are skipped.
 *
 * Number words can be grouped in more than one way ("quatre vingt deux" is
 * 82, or 4 then 22), so readings are tried longest compounds
 * first and each complete digit string is offered to `accept` until it takes
 * one; when it never does, the first string it called a fallback is offered
 * again and taken (so that the callback's last output is that one).
 * `scratch` (cap bytes) holds the string being built; the search is bounded
 * in steps and in digits (cap - 1, at most 62).
 * Returns 0 when a reading was taken, 1 when none was (another word, a
 * number above 99, too many digits).
 */
int ivrsm_words_digits(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                       char *scratch, size_t cap, ivrsm_digits_accept accept, void *ctx);

/* ---------------------------------------------------------------------------
 * The parsers behind ivrsm_collect_parse(). Arguments are already checked
 * (params, locale, out, input not NULL; tz set for dates; parameters in
 * range; no NUL in the input); out is cleared.
 * Each returns 0 with *out filled, or 1 when the input is not a value.
 * ------------------------------------------------------------------------- */

int ivrsm_collect_phone(const ivrsm_collect_params *params, const char *in, size_t len, int is_dtmf,
                        ivrsm_collect_value *out);
int ivrsm_collect_otp(const ivrsm_collect_params *params, const char *in, size_t len, int is_dtmf,
                      ivrsm_collect_value *out);
int ivrsm_collect_date_nl(const ivrsm_collect_params *params, const char *in, size_t len,
                          int is_dtmf, ivrsm_collect_value *out);
int ivrsm_collect_free_speech_or_no(const ivrsm_collect_params *params, const char *in, size_t len,
                                    int is_dtmf, ivrsm_collect_value *out);

#endif
