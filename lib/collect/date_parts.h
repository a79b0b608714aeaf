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

#endif
