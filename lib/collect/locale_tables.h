/*
 * Locale tables, and the parsers behind ivrsm_collect_parse() that read them.
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
