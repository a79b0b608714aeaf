/*
 * Locale tables, and the parsers behind ivrsm_collect_parse() that read them.
 *
 * A locale is data only: the parsers in collect_*.c read these tables and
 * hold no language in their code, so another language or country is another
 * `struct ivrsm_locale` (see locale_fr.c), never new parsing code.
 *
 * Every word and phrase is stored in normalised form, as the locale's own
 * text rules give it (ivrsm_text_normalize_rules: lower case, accents
 * folded, hyphens and apostrophes as single spaces, then the language's
 * folds and rewrites), so "quatre-vingt-dix" is stored as "quatre vingt dix",
 * "aujourd'hui" as "aujourd hui", German "nächsten" as "naechsten" and
 * English "don't" as "do not". The test tests/test_locales.c checks it.
 * Lists end with a NULL entry (phrases) or a NULL text (number and value
 * entries). docs/locales.md says how to add a locale.
 */
#ifndef IVRSM_LOCALE_TABLES_H
#define IVRSM_LOCALE_TABLES_H

#include "collect.h"
#include "text.h"

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

/*
 * The key a word of the input, or the first word of a phrase, is looked up by in the tables'
 * indexes: its first byte and its length, both known of a word of the input without reading
 * it. Words that differ in either mostly land in different buckets; a bucket's phrases are
 * still compared whole.
 */
#define IVRSM_LIST_BUCKETS 64
static inline unsigned ivrsm_list_key(unsigned char first, size_t len)
{
    return (first * 31u + (unsigned)len) & (IVRSM_LIST_BUCKETS - 1);
}

/*
 * The entries of a number table by the key of their first word (ivrsm_list_key()), in table
 * order (numbered from 1, 0 ends a list): the scans of the table at a word try only the entries
 * that can start there. Static storage beside each table, built by the first scan that needs it and
 * read by all after (published with release/acquire: no lock, no allocation; a scan that finds it
 * not built yet tries every entry, as without an index).
 */
#define IVRSM_NUMBER_INDEX_MAX 254
typedef struct ivrsm_number_index {
    _Atomic int phase; /* 0 not built, 1 being built, 2 built, 3 not to be built (a table of
                          more entries, or one starting with a space, is scanned whole) */
    unsigned char head[IVRSM_LIST_BUCKETS];         /* the first entry of each key */
    unsigned char next[IVRSM_NUMBER_INDEX_MAX + 1]; /* the next one of the same key */
} ivrsm_number_index;

/* A phrase with an integer meaning ("demain" = 1 day ahead, "december" = 12). */
struct ivrsm_phrase_value {
    const char *text;
    int value;
};

/*
 * The phrase lists of a locale the parsers look words up in, named by the field holding
 * each: `const char *const *` lists, then `struct ivrsm_phrase_value` lists. A list is
 * named IVRSM_LIST_<field> (ivrsm_words_match_list(), words.h).
 */
#define IVRSM_LOCALE_PHRASE_LISTS(X)                                                               \
    X(number_joiners)                                                                              \
    X(plus_words)                                                                                  \
    X(digit_fillers)                                                                               \
    X(number_articles)                                                                             \
    X(next_words)                                                                                  \
    X(next_words_before)                                                                           \
    X(after_next_words)                                                                            \
    X(after_next_words_before)                                                                     \
    X(week_after_words)                                                                            \
    X(week_after_words_before)                                                                     \
    X(next_week)                                                                                   \
    X(this_week)                                                                                   \
    X(next_month)                                                                                  \
    X(this_weekend)                                                                                \
    X(this_month)                                                                                  \
    X(in_words)                                                                                    \
    X(from_now_words)                                                                              \
    X(one_words)                                                                                   \
    X(day_units)                                                                                   \
    X(week_units)                                                                                  \
    X(day_month_joiners)                                                                           \
    X(month_day_joiners)                                                                           \
    X(month_number_joiners)                                                                        \
    X(year_joiners)                                                                                \
    X(asap)                                                                                        \
    X(date_articles)                                                                               \
    X(date_lead_fillers)                                                                           \
    X(date_trail_fillers)                                                                          \
    X(year_hundreds)                                                                               \
    X(past_lead_fillers)                                                                           \
    X(past_trail_fillers)                                                                          \
    X(ago_words_before)                                                                            \
    X(ago_words)                                                                                   \
    X(last_words_before)                                                                           \
    X(last_words)                                                                                  \
    X(time_words_before)                                                                           \
    X(time_words)                                                                                  \
    X(answer_fillers)                                                                              \
    X(key_words)                                                                                   \
    X(possessives)                                                                                 \
    X(new_words)                                                                                   \
    X(change_reported)
#define IVRSM_LOCALE_VALUE_LISTS(X)                                                                \
    X(weekdays)                                                                                    \
    X(months)                                                                                      \
    X(relative_days)                                                                               \
    X(past_relative_days)                                                                          \
    X(day_ordinals)                                                                                \
    X(year_thousands)                                                                              \
    X(letter_names)                                                                                \
    X(position_ordinals)                                                                           \
    X(position_relative)                                                                           \
    X(change_verbs)

#define IVRSM_LIST_ID(field) IVRSM_LIST_##field,
enum ivrsm_list_id {
    IVRSM_LOCALE_PHRASE_LISTS(IVRSM_LIST_ID) IVRSM_LOCALE_VALUE_LISTS(IVRSM_LIST_ID)
        IVRSM_LIST_COUNT
};
#undef IVRSM_LIST_ID

/*
 * The phrases of every list of a locale by a key of their first word (its first byte and its
 * length, the same key a word of the input has at no cost): a word tries only the phrases of a
 * list that may start with it, in list order, instead of every phrase (the date parser looks up
 * some twenty lists at each word). Entries are numbered from 1 across all lists, 0 ends a
 * chain. Static storage beside each locale, built by the first look-up that needs it and read
 * by all after (published with release/acquire: no lock, no allocation; a look-up that finds
 * it not built yet scans the list whole, as one of a list that could not be indexed does).
 */
#define IVRSM_LIST_ENTRIES_MAX 1023
typedef struct ivrsm_list_index {
    _Atomic int phase;                     /* 0 not built, 1 being built, 2 built */
    unsigned char whole[IVRSM_LIST_COUNT]; /* 1: the list is scanned whole (not indexed) */
    uint16_t first[IVRSM_LIST_COUNT];      /* the number of each list's first entry, less 1 */
    uint16_t head[IVRSM_LIST_COUNT][IVRSM_LIST_BUCKETS]; /* each key's first entry */
    uint16_t next[IVRSM_LIST_ENTRIES_MAX + 1];           /* the next entry of the same key */
} ivrsm_list_index;

/* The order of day, month and year in numeric dates ("3/12", "03/12/2027"). */
enum ivrsm_date_order {
    IVRSM_DATE_DMY = 0, /* 03/12/2027 is 3 December */
    IVRSM_DATE_MDY      /* 12/03/2027 is 3 December */
};

/* A national format for saying phone numbers: the numbers that start with `prefix`
 * (the trunk prefix included, "07") and have `digits` digits (0: any length) are said
 * in groups of the sizes in `groups` ("5 6"), the last group taking what remains. */
struct ivrsm_phone_format {
    const char *prefix;
    int digits;
    const char *groups;
};

/*
 * How values are said in this language, for the formats of templates
 * ({{ctx.pref_date_from | date}}, see say.c). Unlike the parsing tables these
 * are written as they are displayed (UTF-8, accents, capitals), for the
 * speech synthesiser: "miércoles", "März". Formats take %W (weekday), %M
 * (month), %d (day), %D (day as its day_words entry, else %d), %Y (year),
 * %H (hour, no leading zero), %I (hour on a 12-hour clock), %m (minutes,
 * two digits), %p (am_pm), %% (a percent sign).
 */
struct ivrsm_locale_say {
    const char *weekdays[7];      /* Monday first: "lunes" */
    const char *months[12];       /* "enero" */
    const char *const *day_words; /* 31 entries, NULL for "the number": "1er", "3rd" */
    const char *date;             /* "%W %d de %M" */
    const char *year;             /* " de %Y": appended for a date of another year */
    const char *time;             /* "%H:%m"; %n: the minutes without a leading zero */
    const char *time_on_the_hour; /* "%H h" when the minutes are 0; NULL: time */
    const char *am_pm[2];         /* "AM", "PM" (12-hour clocks: %I and %p) */
    char decimal_mark;            /* ',' in 12,50 */
    const char *currency[2];      /* the unit, singular and plural: "euro", "euros" */
    int zero_singular;            /* nonzero: 0 of the unit is singular, French "zéro euro" */
    const char *subunit[2];       /* a hundredth of it: "céntimo", "céntimos" */
    const char *currency_join;    /* between them: " con " */
    const char *minus;            /* before an amount below zero: "menos" */
    const char *yes_no[2];        /* "sí", "no" */
    int phone_by_digit;           /* phone numbers said digit by digit, else group by group */
    const struct ivrsm_phone_format *phone_formats; /* this country's, first match wins; NULL
                                                       text ends; the last has prefix "" */
};

struct ivrsm_locale {
    const char *tag;         /* canonical tag, "fr-FR" */
    const char *const *tags; /* every tag this table answers to, case-insensitive */
    const char *name;        /* in English, for listings: "French (France)" */
    ivrsm_text_rules text;   /* how speech is normalised in this language */

    /* Numbers */
    const struct ivrsm_number_word *numbers;
    ivrsm_number_index *numbers_index; /* where the index of `numbers` is kept, or NULL */
    const char *const *number_joiners; /* words allowed between a base and its addend: "et" */
    const struct ivrsm_phrase_value *repeat_words; /* "double" = 2: the next digit said twice */
    int digit_group_max; /* 99 or 999: the largest number read as one group of a digit string */

    /* Phone numbers and codes */
    const char *country_code;         /* "33" */
    const char *trunk_prefix;         /* "0": national numbers start with it ("" when none) */
    const char *international_prefix; /* "00": dialled before a country code */
    int national_digits_min;          /* 9: digits after the trunk prefix, at least */
    int national_digits_max;          /* 9: and at most */
    const char *national_leading;     /* digits a national number may start with; NULL: 1-9 */
    int national_without_trunk;       /* nonzero: "612345678" is taken for "0612345678" */
    const char *const *plus_words;    /* "plus": spoken "+" before a country code */
    const char *const *digit_fillers; /* hesitations and lead-ins ignored among digits */
    /* The names of the letters as the language says them, each a word of two letters or more
     * ("bee", "hache", "jota", "vau"; "double you"), the letter's lower-case ASCII as value:
     * the `reference` mode reads a code spelled with them ("hache be 1 2 3 4 5 6"). A name
     * that is also a number word of the table is left out ("oh" is 0). */
    const struct ivrsm_phrase_value *letter_names;
    /* Articles said before a number word, which are then no number: Spanish "un" in "un cinco"
     * (a five, not 1 then 5), German "eine" in "eine Fünf". NULL where the language's "one"
     * before a number is a digit (French "un deux trois"). */
    const char *const *number_articles;

    /* Dates */
    const struct ivrsm_phrase_value *weekdays; /* 0 = Monday .. 6 = Sunday, variants allowed */
    const struct ivrsm_phrase_value *months;   /* 1 = January .. 12, variants allowed */
    enum ivrsm_date_order numeric_date_order;
    const struct ivrsm_phrase_value *relative_days; /* "demain" = 1 */
    /* date_past: days back from today, "hier" = 1 ("aujourd hui" = 0) */
    const struct ivrsm_phrase_value *past_relative_days;
    const char *const *next_words;        /* after a weekday: "prochain", "que viene" */
    const char *const *next_words_before; /* before a weekday: "next", "naechsten" */
    /* The weekday of the week after next: "the Monday after next", "uebernaechsten Montag". */
    const char *const *after_next_words;        /* after a weekday: "after next" */
    const char *const *after_next_words_before; /* before it: "uebernaechsten" */
    /* A week after the coming weekday: "a week from Monday", "Montag in einer Woche". */
    const char *const *week_after_words;        /* after a weekday: "week", "en huit" */
    const char *const *week_after_words_before; /* before it: "a week from", "a week on" */
    const char *const *next_week;               /* "la semaine prochaine" */
    const char *const *this_week;               /* "cette semaine" */
    const char *const *next_month;              /* "le mois prochain" */
    const char *const *this_weekend;   /* "ce week end", "am wochenende": Saturday and Sunday */
    const char *const *this_month;     /* "ce mois ci": from today to the month's end */
    const char *const *in_words;       /* before a count: "dans 3 jours", "in 3 days" */
    const char *const *from_now_words; /* after it: "3 days from now" */
    const char *const *one_words;      /* counts meaning one besides numbers: "a" (week) */
    const char *const *day_units;      /* "jour", "jours" */
    const char *const *week_units;     /* "semaine", "semaines" */
    const struct ivrsm_phrase_value *day_ordinals; /* "premier" = 1, "third" = 3 */
    const char *const *ordinal_suffixes;           /* after the digits of a day: "3rd", "1er" */
    const char *const *day_month_joiners;          /* between a day and its month: "of", "de" */
    const char *const *month_day_joiners;          /* between a month and its day: "the" */
    /* Between a day and its month said as a number: "du" in "le 3 du 5", "of the" in "the 3rd
     * of the 5th" (ivrsm_date_month_number()). */
    const char *const *month_number_joiners;
    const char *const *year_joiners;       /* before a year: "de" */
    const char *const *asap;               /* "des que possible", "je ne sais pas" */
    const char *const *date_articles;      /* "le", "ce", "on the": skipped before a date */
    const char *const *date_lead_fillers;  /* "euh", "plutot": skipped before a date */
    const char *const *date_trail_fillers; /* "matin", "s il vous plait": skipped after */
    /* Years said in words (the "date_past" mode), read with `numbers` around these words: */
    const struct ivrsm_phrase_value *year_thousands; /* "mille" = 1000, "two thousand" = 2000 */
    const char *const *year_hundreds; /* after 1..99: "dix neuf cent", "nineteen hundred" */
    /* Glued inside one word, in lower-case ASCII as written, cut apart before any parser reads
     * the words ("neunzehnhundertfuenfundachtzig" is "neunzehn hundert fuenfundachtzig",
     * "zwoelftausenddreihundert" "zwoelf tausend drei hundert"): years, amounts, digits. */
    const char *const *year_glued;
    const char *const *past_lead_fillers; /* "je suis ne le", "I was born on": before a past date */
    const char *const *past_trail_fillers; /* "geboren": after it */
    /* date_past, a day counted back from today: before the count ("il y a trois jours", "vor
     * drei Tagen", "hace tres dias") or after its unit ("three days ago"). */
    const char *const *ago_words_before;
    const char *const *ago_words;
    /* date_past, the last such weekday before today: before it ("last Monday", "letzten
     * Montag") or after it ("lundi dernier", "el lunes pasado"). */
    const char *const *last_words_before;
    const char *const *last_words;
    /* A time of day said after a date, which says nothing of the day ("jeudi a quinze heures
     * trente", "tomorrow at half past three", "morgen um halb vier", "el jueves a las diez y
     * media"): the words before it ("a", "vers", "at", "um", "a las") and its words besides
     * numbers ("heures", "et demie", "o clock", "pm", "uhr", "halb", "y media"). */
    const char *const *time_words_before;
    const char *const *time_words;

    /* Free speech */
    const char *const *negative_answers; /* whole answers meaning "no comment" */
    const char *const *answer_fillers;   /* "euh", "merci": ignored around a negative answer */

    /* Keys said instead of pressed (ivrsm_locale_key_said()): the words said around one
     * ("option", "press", "touche", "Taste", "marco el"), answer fillers aside. NULL: keys
     * are not heard in speech. */
    const char *const *key_words;

    /* Choices from a list said by their place in it. `position_ordinals`: the ordinals a
     * route's phrases name a place with, in every form ("third" = 3, "troisieme", "dritten",
     * "tercera"): a state whose routes are two places or more hears `position_relative`
     * ("the last one" = IVRSM_POSITION_LAST, "l avant dernier" = IVRSM_POSITION_BEFORE_LAST,
     * "die mittlere" = IVRSM_POSITION_MIDDLE) as the route of that place among those whose
     * conditions hold. NULL: places are heard only as the routes' phrases say them. */
    const struct ivrsm_phrase_value *position_ordinals;
    const struct ivrsm_phrase_value *position_relative;

    /* The caller's own thing against a new one, and verbs of change (compile_state.c).
     * `possessives`: the words of the caller's own ("my", "mon", "meinen", "mi"): said before a
     * phrase of a route that asks for a new thing ("appointment" of booking, which also says "new
     * appointment"), or before a phrase of shared words only, the sentence names the caller's
     * existing thing and is no-match ("mein Termin"). `new_words`: the words that ask for a new
     * thing ("new", "nouveau", "neuen", "einen", "nueva", "pedir"). `change_verbs`: the first
     * bytes of the verbs that change what exists, in all their forms, by kind
     * (IVRSM_CHANGE_MOVE "verschieb", "verleg", "décal"; IVRSM_CHANGE_CANCEL "annul", "absag";
     * IVRSM_CHANGE_ALTER "aender", "modif"): a route heard by a phrase while the caller says a
     * verb of a kind no phrase of that route has is not heard for it; the one route whose
     * phrases have that kind is ("den Termin auf Freitag verlegen" is moving it when moving
     * says "verschieben", and no booking through "Termin"). NULL: none of this. */
    const char *const *possessives;
    const char *const *new_words;
    /* The words before a verb of change that report it done, one of the two words before it
     * ("was cancelled", "a été annulé", "wurde abgesagt", "fue anulada"): such a verb is no
     * request to change. */
    const char *const *change_reported;
    const struct ivrsm_phrase_value *change_verbs;

    /* Saying values (template formats) */
    struct ivrsm_locale_say say;

    ivrsm_list_index *lists_index; /* where the index of the lists is kept, or NULL */
};

/* The built-in tables, in the order ivrsm_locale_at() lists them. */
extern const struct ivrsm_locale ivrsm_locale_fr_fr;
extern const struct ivrsm_locale ivrsm_locale_fr_be;
extern const struct ivrsm_locale ivrsm_locale_fr_ch;
extern const struct ivrsm_locale ivrsm_locale_en_us;
extern const struct ivrsm_locale ivrsm_locale_en_gb;
extern const struct ivrsm_locale ivrsm_locale_es_es;
extern const struct ivrsm_locale ivrsm_locale_de_de;

/* ---------------------------------------------------------------------------
 * The parsers behind ivrsm_collect_parse(). Arguments are already checked
 * (params, locale, out, input not NULL; tz set for dates; parameters in
 * range; no NUL in the input); out is cleared.
 * Each returns 0 with *out filled, or 1 when the input is not a value.
 * ------------------------------------------------------------------------- */

int ivrsm_collect_phone(const ivrsm_collect_params *params, const char *in, size_t len, int is_dtmf,
                        ivrsm_collect_value *out);
int ivrsm_collect_digits(const ivrsm_collect_params *params, const char *in, size_t len,
                         int is_dtmf, ivrsm_collect_value *out);
int ivrsm_collect_otp(const ivrsm_collect_params *params, const char *in, size_t len, int is_dtmf,
                      ivrsm_collect_value *out);
int ivrsm_collect_date_nl(const ivrsm_collect_params *params, const char *in, size_t len,
                          int is_dtmf, ivrsm_collect_value *out);
int ivrsm_collect_date_past(const ivrsm_collect_params *params, const char *in, size_t len,
                            int is_dtmf, ivrsm_collect_value *out);
int ivrsm_collect_reference(const ivrsm_collect_params *params, const char *in, size_t len,
                            int is_dtmf, ivrsm_collect_value *out);
int ivrsm_collect_free_speech_or_no(const ivrsm_collect_params *params, const char *in, size_t len,
                                    int is_dtmf, ivrsm_collect_value *out);

#endif
