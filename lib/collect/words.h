/*
 * Words: an input split into normalised words, and what the collect parsers
 * read in them (phrases from a list, numbers said in words, digit strings).
 */
#ifndef IVRSM_WORDS_H
#define IVRSM_WORDS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect.h"
#include "locale_tables.h"

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
 * Splits in[0..len) into words normalised with the locale's text rules
 * (ivrsm_text_normalize_rules). When
 * keep_numeric_dates is nonzero, a run such as "3/12" or "03.12.2027"
 * (digits separated by one repeated '/', '.' or '-') stays one word, as
 * written, instead of being cut at its separators.
 * Returns 0, or -1 when the input is longer than IVRSM_COLLECT_INPUT_MAX or
 * not valid UTF-8.
 */
int ivrsm_words_split(struct ivrsm_words *w, const struct ivrsm_locale *loc, const char *in,
                      size_t len, int keep_numeric_dates);

/* Nonzero when word i is made of ASCII digits only. Inline: the parsers ask it at every word,
 * and most words are not digits from their first byte. */
static inline int ivrsm_word_is_digits(const struct ivrsm_words *w, size_t i)
{
    if (i >= w->count || w->len[i] == 0)
        return 0;
    const char *s = w->text + w->start[i];
    for (size_t k = 0; k < w->len[i]; k++) {
        if (s[k] < '0' || s[k] > '9')
            return 0;
    }
    return 1;
}

/* ivrsm_words_match() without its first-byte test: the whole comparison. */
size_t ivrsm_words_match_full(const struct ivrsm_words *w, size_t at, const char *phrase);

/*
 * When the words from `at` on start with `phrase` (normalised, words separated
 * by one space), returns how many words it spans; otherwise 0.
 *
 * Inline for its first test: the parsers try hundreds of phrases per input
 * (every number word at every position) and most differ from the word at
 * their first byte, which costs a compare here and a call and a loop there.
 * A phrase that starts with a space (none does once normalised) goes the
 * whole way, so the answer is always ivrsm_words_match_full()'s.
 */
static inline size_t ivrsm_words_match(const struct ivrsm_words *w, size_t at, const char *phrase)
{
    if (at >= w->count || (phrase[0] != w->text[w->start[at]] && phrase[0] != ' '))
        return 0;
    return ivrsm_words_match_full(w, at, phrase);
}

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
 * ivrsm_words_match_any() on the locale's list `list` (IVRSM_LIST_<field>, locale_tables.h):
 * the same answer, found through the locale's index of its lists by the word's first byte and
 * length when it has one, so that a word tries only the phrases that may start with it.
 */
size_t ivrsm_words_match_list_chain(const struct ivrsm_words *w, size_t at,
                                    const struct ivrsm_locale *loc, enum ivrsm_list_id list);

/*
 * Whether a phrase of the locale's list `list` may start with the word at `at`: false when there
 * is no word there, or when the list's index (once built) has no phrase with the word's key. The
 * answer of most look-ups, inline.
 */
static inline bool ivrsm_words_list_may_match(const struct ivrsm_words *w, size_t at,
                                              const struct ivrsm_locale *loc,
                                              enum ivrsm_list_id list)
{
    if (at >= w->count)
        return false;
    const ivrsm_list_index *ix = loc->lists_index;
    return !(ix && atomic_load_explicit(&ix->phase, memory_order_acquire) == 2 &&
             !ix->whole[list] &&
             !ix->head[list][ivrsm_list_key((unsigned char)w->text[w->start[at]], w->len[at])]);
}

/* ivrsm_words_match_list_chain(), inline for a word no phrase of the list has. */
static inline size_t ivrsm_words_match_list(const struct ivrsm_words *w, size_t at,
                                            const struct ivrsm_locale *loc, enum ivrsm_list_id list)
{
    if (!ivrsm_words_list_may_match(w, at, loc, list))
        return 0;
    return ivrsm_words_match_list_chain(w, at, loc, list);
}

/* ivrsm_words_skip_any() on the locale's list `list`. */
size_t ivrsm_words_skip_list_chain(const struct ivrsm_words *w, size_t at,
                                   const struct ivrsm_locale *loc, enum ivrsm_list_id list);

/* ivrsm_words_skip_list_chain(), inline for a word no phrase of the list has (most: fillers
 * are skipped at every word of a code or before every date). */
static inline size_t ivrsm_words_skip_list(const struct ivrsm_words *w, size_t at,
                                           const struct ivrsm_locale *loc, enum ivrsm_list_id list)
{
    if (!ivrsm_words_list_may_match(w, at, loc, list))
        return at;
    return ivrsm_words_skip_list_chain(w, at, loc, list);
}

/*
 * The longest phrase of the locale's value list `list` (weekdays, months, relative_days,
 * day_ordinals) at `at`, the first in list order among equals: its word count (0: none, and
 * *value untouched), its value in *value.
 */
size_t ivrsm_words_match_value_chain(const struct ivrsm_words *w, size_t at,
                                     const struct ivrsm_locale *loc, enum ivrsm_list_id list,
                                     int *value);

/* Inline for the answer of most look-ups, as ivrsm_words_match_list(). */
static inline size_t ivrsm_words_match_value(const struct ivrsm_words *w, size_t at,
                                             const struct ivrsm_locale *loc,
                                             enum ivrsm_list_id list, int *value)
{
    if (!ivrsm_words_list_may_match(w, at, loc, list))
        return 0;
    return ivrsm_words_match_value_chain(w, at, loc, list, value);
}

/*
 * Reads a number said in words from `at` on with the locale's number table
 * ("trente quatre", "quatre vingt dix neuf", "vingt et un"). Returns the words
 * it spans and stores the value in *value, or 0 when no number starts there.
 * Digit words ("34") are not read here: callers treat them as digit strings.
 */
size_t ivrsm_number_words(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                          int *value);

/*
 * A cardinal at `at`, in digits ("1500") or in words up to 999,999 with the locale's thousands
 * and hundreds words ("deux mille trois cents", "mil doscientos treinta y cuatro", "cent vingt
 * trois", "twenty three hundred"): the words it spans (0 when none starts there), its value in
 * *value.
 */
size_t ivrsm_words_cardinal(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                            int64_t *value);

/*
 * The one number a sentence holds, said as a quantity: in digits or in words up to 999,999,
 * with its thousands and hundreds ("deux mille trois cents euros", "about three thousand",
 * "drei Tage", "la nota es 5", "le doy un cuatro": an article of the locale before a number
 * is no number). Other words are passed over. Returns 0 with *value, or 1 when the sentence
 * holds no number, more than one ("deux ou trois jours"), or a negation, a doubt or a way of
 * not knowing of the locale ("pas trois", "vielleicht vier": the caller is asked again).
 */
int ivrsm_words_quantity(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                         int64_t *value);

/*
 * A time of day said at `at`, after a date ("a quinze heures trente", "at half past three",
 * "um halb vier", "a las diez y media", "vers 10 h", "15h30", "3pm"): the words before it of
 * the locale's time_words_before, then numbers and the locale's time_words. Returns the words it
 * spans, or 0: after a word before it, numbers or time words ("a midi"); without one, a number
 * then time words ("15 heures", "3 pm"; not "et demi").
 */
size_t ivrsm_words_time_of_day(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at);

/*
 * Where the number of a sentence that names it first starts ("my prescription number is 4 5
 * 6", "meine Kundennummer ist acht sieben", "el numero de contrato es uno dos"): the position of
 * its first number word, when at most `max` words come before it and none of them is a
 * negation, a doubt or a way of not knowing of the locale ("it's not 4 5 6"). 0 when the
 * sentence starts with its number, or has none, or its lead-in is longer or says no.
 */
size_t ivrsm_words_lead_in(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t max);

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
 * in words give one digit below 10, two from 10 on ("zero six douze" =
 * "0612") and three from 100 up to the locale's digit_group_max ("eight
 * hundred" = "800"), a repeat word repeats the digit after it ("double
 * seven" = "77"), the locale's digit fillers are skipped.
 *
 * Number words can be grouped in more than one way ("quatre vingt deux" is
 * 82, or 4 then 22), so readings are tried longest compounds
 * first and each complete digit string is offered to `accept` until it takes
 * one; when it never does, the first string it called a fallback is offered
 * again and taken (so that the callback's last output is that one).
 * `scratch` (cap bytes) holds the string being built; the search is bounded
 * in steps and in digits (cap - 1, at most 62).
 * Returns 0 when a reading was taken, 1 when none was (another word, a
 * number above the group maximum, too many digits).
 */
int ivrsm_words_digits(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                       char *scratch, size_t cap, ivrsm_digits_accept accept, void *ctx);

/*
 * The same search reading the words at every position it reaches, each time: the reference
 * ivrsm_words_digits(), which keeps what it read at its first 64 positions for the branches
 * that come back to them, is tested against.
 */
int ivrsm_words_digits_reread(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                              size_t at, char *scratch, size_t cap, ivrsm_digits_accept accept,
                              void *ctx);

#endif
