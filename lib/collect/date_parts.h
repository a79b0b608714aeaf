/*
 * The parts of the date parser that both date modes read with ("date_nl" for
 * dates to come, collect_date.c; "date_past" for dates gone by,
 * collect_date_past.c).
 */
#ifndef IVRSM_DATE_PARTS_H
#define IVRSM_DATE_PARTS_H

#include "collect.h"
#include "words.h"

#include <stddef.h>
#include <stdint.h>

/* Today in the collect's zone, in days since 1970-01-01 (params->now_ms, params->tz). */
int64_t ivrsm_date_today(const ivrsm_collect_params *params);

/* Whether y-m-d is a date of the calendar (month 1..12, day within the month). */
int ivrsm_date_exists(int64_t y, int m, int d);

/*
 * The day of the month at word `at`: "premier", "1er", "3rd", "3", "trois", "twenty first",
 * "dritten". Returns the words read (0: none), the day (not checked against a month) in *day.
 */
size_t ivrsm_date_day_of_month(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at, int *day);

/*
 * The runs of digits of a numeric date written as one word ("3/12", "03.12.1985",
 * "1985-03-14"), each ended by one other character or the end: their starts and lengths in
 * group[] and group_len[]. Returns how many (1 to 3), or -1 for more than three.
 */
int ivrsm_date_digit_groups(const char *s, size_t len, const char *group[3], size_t group_len[3]);

/* Up to 4 ASCII digits of s[0..len) as a number; -1 when empty, longer or not digits. */
int ivrsm_date_small_number(const char *s, size_t len);

/* Whether word i is digits with '/', '.' or '-' inside, kept whole by ivrsm_words_split. */
int ivrsm_date_is_numeric_word(const struct ivrsm_words *w, size_t i);

/* "YYYY-MM-DD" of a day since 1970-01-01 into out (cap >= 11); -1 outside years 0..9999. */
int ivrsm_date_format(int64_t day, char *out, size_t cap);

/* A year as read: its value, and whether it was two digits (or a number below 100). */
struct ivrsm_date_year {
    int64_t value;
    int two_digits;
};

/*
 * [joiner] year at `at`, written or said: "1985", "85", "19 85", "de 1985", "nineteen eighty
 * five", "mil novecientos ochenta y cinco", "neunzehn hundert fuenfundachtzig" (cut apart by
 * ivrsm_date_unglue()). Returns the words read (0: none), the year in *year.
 */
size_t ivrsm_date_year(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                       struct ivrsm_date_year *year);

/*
 * A month said as its number after a day: the locale's month_number_joiners then 1..12 in
 * digits, words or an ordinal ("le 3 du 5", "el 3 del cinco", "the 3rd of the 5th"), an
 * ordinal without a joiner ("dritter fuenfter"), or, in a locale that writes the day first,
 * digits without one when a year follows ("am 3. 5. 1985"). Returns the words read (0: none),
 * the month in *month.
 */
size_t ivrsm_date_month_number(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at, int *month);

/*
 * Cuts the locale's glued words apart (German "neunzehnhundertfuenf" → "neunzehn hundert
 * fuenf", year_glued), comparing lower-case ASCII; the other bytes are copied as they are.
 * Returns the new length, or SIZE_MAX when it does not fit in cap.
 */
size_t ivrsm_date_unglue(const struct ivrsm_locale *loc, const char *in, size_t len, char *out,
                         size_t cap);

/*
 * A date keyed on the phone: digits in the locale's numeric order (DDMM, DDMMYY, DDMMYYYY;
 * MMDD... in en-US), an optional final '#', `lengths` the digit counts the mode takes (bit n
 * set: n digits). The digits are written as a numeric date is ("03/12", "03/12/85",
 * "03/12/1985") and handed to the mode's `resolve` with `ctx`, which returns 0 and the day, or
 * -1. Returns -1 for keys of another length or not digits, else what `resolve` returns.
 */
typedef int (*ivrsm_date_resolver)(const void *ctx, const char *written, size_t len, int64_t *day);
int ivrsm_date_from_keys(const char *in, size_t len, unsigned lengths, ivrsm_date_resolver resolve,
                         const void *ctx, int64_t *day);

#endif
