/*
 * Collect mode "date_past": one day already gone by, or today — a date of
 * birth, the day of an accident or a purchase — keyed or said, as
 * "YYYY-MM-DD" in out->text (and out->date_to), in the zone params->tz.
 *
 * The choices (each locale brings its own words through its table):
 *
 * - The year is required: "le 3 mars" is no date of birth. With
 *   params->past_year_optional (`year: optional`, the day of a meter
 *   reading or an accident), a day and a month said without it are the
 *   latest such day, today or before: "le 3 mars" on 7 December 2026 is
 *   2026-03-03, "le 24 décembre" is 2025-12-24.
 * - Today, yesterday and the day before in the locale's words ("hier",
 *   "yesterday", "anteayer", "vorgestern") are dates in any case: they
 *   need no year.
 * - Keyed: DDMMYYYY or DDMMYY in the locale's numeric order (MMDDYYYY,
 *   MMDDYY in en-US), with an optional final "#".
 * - Said: a day and a month in either order with the locale's joiners,
 *   then a year ("le 3 mars 1985", "March 3rd, 1985", "the third of March
 *   nineteen eighty-five", "el 3 de marzo de 1985", "am 3. März 1985"), or
 *   a numeric date with its year ("3/3/85", "03.03.1985"; "1985-03-03" in
 *   any locale). A weekday before the date is accepted and the date wins.
 * - The month may be said as its number after the day, with the locale's
 *   word for it ("le 3 du 5 1985", "el 3 del 5 del 85", "the 3rd of the 5th
 *   1985"), as an ordinal ("dritter fünfter 1985"), or as digits when the
 *   year follows in a day-first locale ("am 3. 5. 1985").
 * - A year is four digits, two digits, or words: with the locale's
 *   thousands ("mille neuf cent quatre-vingt-cinq", "mil novecientos
 *   ochenta y cinco", "two thousand and five"), a number 10..99 and the
 *   locale's hundred ("dix-neuf cent quatre-vingt-cinq", "nineteen hundred
 *   and five", "neunzehnhundertfünfundachtzig", its parts cut apart first),
 *   two pairs ("nineteen eighty-five", "nineteen oh five"), or a number
 *   below 100 ("quatre-vingt-cinq").
 * - A year of two digits (or a number below 100) is the latest year ending
 *   so whose date is not after today: in 2026, "85" is 1985, "26" is 2026
 *   for a date up to today and 1926 after it.
 * - Not a date: a day the calendar does not have (31 February, 29 February
 *   of a common year), a date after today, or one more than
 *   params->past_years years before today (120 when 0).
 * - Days counted back from today ("il y a trois jours", "three days ago", "vor einer Woche",
 *   "hace dos semanas") and the last such weekday ("lundi dernier", "last Monday", "letzten
 *   Montag", "el lunes pasado"; a weekday said alone is the last one before today, except
 *   today's weekday) need no year either.
 * - Lead-ins ("euh", "je suis né le", "I was born on") and polite words
 *   after ("s'il vous plaît", "geboren") are skipped; any other word makes
 *   the input not a date.
 */
#include "civil.h"
#include "collect.h"
#include "date_parts.h"

#include "locale_tables.h"
#include "words.h"

#include <stdint.h>
#include <string.h>

/* More lead-ins than this before a date is talk, not a date (and bounds the work). */
#define PAST_LEAD_INS_MAX 8

struct past_context {
    const struct ivrsm_locale *loc;
    const struct ivrsm_words *words;
    int64_t today;     /* days since 1970-01-01, local */
    int year_optional; /* a day and month without a year: the latest such day */
    int64_t earliest;  /* the oldest day taken */
    ivrsm_civil today_civil;
};

/* The day of y-m-d when it exists and lies in [earliest, today]; -1 otherwise. */
static int resolve(const struct past_context *c, struct ivrsm_date_year year, int month, int day,
                   int64_t *out)
{
    int64_t y = year.value;
    if (year.two_digits) {
        y += c->today_civil.year - c->today_civil.year % 100;
        if (ivrsm_date_exists(y, month, day) && ivrsm_days_from_civil(y, month, day) > c->today)
            y -= 100;
    }
    if (y < 1 || y > 9999 || !ivrsm_date_exists(y, month, day))
        return -1;
    *out = ivrsm_days_from_civil(y, month, day);
    return *out <= c->today && *out >= c->earliest ? 0 : -1;
}

/* The latest existing day-month, today or before (a 29 February reaches back to its leap year),
 * within [earliest, today]; -1 otherwise. */
static int resolve_latest(const struct past_context *c, int month, int day, int64_t *out)
{
    for (int64_t y = c->today_civil.year; y > c->today_civil.year - 8; y--) {
        if (!ivrsm_date_exists(y, month, day) || ivrsm_days_from_civil(y, month, day) > c->today)
            continue;
        *out = ivrsm_days_from_civil(y, month, day);
        return *out >= c->earliest ? 0 : -1;
    }
    return -1;
}

/* The year after a day and a month at pos, resolved: the words it took (0 for none when the
 * year is optional), or -1 when there is no date there. */
static long year_then_resolve(const struct past_context *c, size_t pos, int month, int day,
                              int64_t *out)
{
    struct ivrsm_date_year year;
    size_t n = ivrsm_date_year(c->loc, c->words, pos, &year);
    if (n > 0 && resolve(c, year, month, day, out) == 0)
        return (long)n;
    if (n == 0 && c->year_optional && resolve_latest(c, month, day, out) == 0)
        return 0;
    return -1;
}

/* A year of 2 or 4 digits as written. */
static int year_of_digits(const char *s, size_t len, struct ivrsm_date_year *year)
{
    if (len != 2 && len != 4)
        return -1;
    int v = ivrsm_date_small_number(s, len);
    if (v < 0)
        return -1;
    year->value = v;
    year->two_digits = len == 2;
    return 0;
}

/*
 * "3/3/85", "03.03.1985", "1985-03-03": three groups, day and month in the locale's order,
 * or the year first when it has four digits.
 */
static int resolve_numeric(const struct past_context *c, const char *s, size_t len, int64_t *out)
{
    const char *group[3];
    size_t group_len[3];
    if (ivrsm_date_digit_groups(s, len, group, group_len) != 3)
        return -1;
    struct ivrsm_date_year year;
    int first, second;
    if (group_len[0] == 4) {
        if (year_of_digits(group[0], 4, &year) != 0 || group_len[1] > 2 || group_len[2] > 2)
            return -1;
        first = ivrsm_date_small_number(group[2], group_len[2]); /* ISO: year, month, day */
        second = ivrsm_date_small_number(group[1], group_len[1]);
    } else {
        if (group_len[0] > 2 || group_len[1] > 2 ||
            year_of_digits(group[2], group_len[2], &year) != 0)
            return -1;
        first = ivrsm_date_small_number(group[0], group_len[0]);
        second = ivrsm_date_small_number(group[1], group_len[1]);
        if (c->loc->numeric_date_order == IVRSM_DATE_MDY) {
            int t = first;
            first = second;
            second = t;
        }
    }
    return resolve(c, year, second, first, out); /* first is the day, second the month */
}

/* ---------------------------------------------------------------------------
 * Years said in words
 * ------------------------------------------------------------------------- */

/* A number said in words at `at` within [lo, hi]: the words read, 0 when none. */
static size_t number_in(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                        int lo, int hi, int *value)
{
    size_t n = ivrsm_number_words(loc, w, at, value);
    return n > 0 && *value >= lo && *value <= hi ? n : 0;
}

/* N hundred [joiner] [M]: "neuf cent quatre vingt cinq", "dix neuf cent", "nineteen hundred and
 * five", "neunzehn hundert fuenfundachtzig". N in [lo, hi], M in 1..99. */
static size_t hundreds(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                       int lo, int hi, int *value)
{
    int n_value;
    size_t n = number_in(loc, w, at, lo, hi, &n_value);
    if (n == 0)
        return 0;
    size_t h = ivrsm_words_match_list(w, at + n, loc, IVRSM_LIST_year_hundreds);
    if (h == 0)
        return 0;
    size_t pos = at + n + h;
    *value = n_value * 100;
    size_t joiner = ivrsm_words_match_list(w, pos, loc, IVRSM_LIST_number_joiners);
    int rest;
    size_t r = number_in(loc, w, pos + joiner, 1, 99, &rest);
    if (r > 0) {
        *value += rest;
        pos += joiner + r;
    }
    return pos - at;
}

/* 0..999 after a thousands word: "neuf cent quatre vingt cinq", "novecientos ochenta y cinco",
 * "five", the longest reading. */
static size_t below_thousand(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                             int *value)
{
    int plain, hundred;
    size_t n = number_in(loc, w, at, 0, 999, &plain);
    size_t h = hundreds(loc, w, at, 1, 9, &hundred);
    if (h > n) {
        *value = hundred;
        return h;
    }
    *value = plain;
    return n;
}

/* The longest of the readings of a year in words at `at`. */
static size_t year_in_words(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                            struct ivrsm_date_year *year)
{
    size_t best = 0;
    int value;
    /* "mille neuf cent quatre vingt cinq", "two thousand and five", "dos mil cinco" */
    size_t t = ivrsm_words_match_value(w, at, loc, IVRSM_LIST_year_thousands, &value);
    if (t > 0) {
        size_t pos = at + t;
        size_t joiner = ivrsm_words_match_list(w, pos, loc, IVRSM_LIST_number_joiners);
        int rest;
        size_t r = below_thousand(loc, w, pos + joiner, &rest);
        best = r > 0 ? t + joiner + r : t;
        year->value = value + (r > 0 ? rest : 0);
        year->two_digits = 0;
    }
    /* "dix neuf cent quatre vingt cinq", "nineteen hundred and five" */
    size_t n = hundreds(loc, w, at, 10, 99, &value);
    if (n > best) {
        best = n;
        year->value = value;
        year->two_digits = 0;
    }
    /* "nineteen eighty five", "nineteen oh five"; or "quatre vingt cinq" alone */
    int century;
    size_t first = number_in(loc, w, at, 0, 99, &century);
    if (first > 0) {
        int pair = -1;
        size_t second = century >= 10 ? number_in(loc, w, at + first, 10, 99, &pair) : 0;
        int zero;
        if (second == 0 && century >= 10 && number_in(loc, w, at + first, 0, 0, &zero) == 1) {
            size_t unit = number_in(loc, w, at + first + 1, 1, 9, &pair);
            second = unit > 0 ? 1 + unit : 0;
        }
        if (second > 0 && first + second > best) {
            best = first + second;
            year->value = century * 100 + pair;
            year->two_digits = 0;
        } else if (first > best) {
            best = first;
            year->value = century;
            year->two_digits = 1;
        }
    }
    return best;
}

size_t ivrsm_date_year(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                       struct ivrsm_date_year *year)
{
    size_t pos = at + ivrsm_words_match_list(w, at, loc, IVRSM_LIST_year_joiners);
    if (ivrsm_word_is_digits(w, pos)) {
        const char *s = w->text + w->start[pos];
        if (year_of_digits(s, w->len[pos], year) != 0)
            return 0;
        /* "19 85", as a recogniser may write a year said in pairs */
        if (w->len[pos] == 2 && ivrsm_word_is_digits(w, pos + 1) && w->len[pos + 1] == 2) {
            year->value =
                year->value * 100 + ivrsm_date_small_number(w->text + w->start[pos + 1], 2);
            year->two_digits = 0;
            return pos + 2 - at;
        }
        return pos + 1 - at;
    }
    size_t n = year_in_words(loc, w, pos, year);
    return n > 0 ? pos + n - at : 0;
}

/* ---------------------------------------------------------------------------
 * Dates
 * ------------------------------------------------------------------------- */

/* month [joiner] day year: "March 3rd 1985", "March the third nineteen eighty five". */
static size_t parse_month_first(const struct past_context *c, size_t at, int64_t *out)
{
    const struct ivrsm_words *w = c->words;
    int month, day;
    size_t n = ivrsm_words_match_value(w, at, c->loc, IVRSM_LIST_months, &month);
    if (n == 0)
        return 0;
    size_t pos = at + n;
    pos += ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_month_day_joiners);
    if ((n = ivrsm_date_day_of_month(c->loc, w, pos, &day)) == 0)
        return 0;
    pos += n;
    long y = year_then_resolve(c, pos, month, day, out);
    return y < 0 ? 0 : pos + (size_t)y - at;
}

/* day [joiner] month year: "le 3 mars 1985", "the 3rd of March 1985", "el 3 de marzo de 1985". */
static size_t parse_day_first(const struct past_context *c, size_t at, int64_t *out)
{
    const struct ivrsm_words *w = c->words;
    int month, day;
    size_t n = ivrsm_date_day_of_month(c->loc, w, at, &day);
    if (n == 0)
        return 0;
    size_t pos = at + n;
    size_t joiner = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_day_month_joiners);
    if ((n = ivrsm_words_match_value(w, pos + joiner, c->loc, IVRSM_LIST_months, &month)) > 0)
        pos += joiner + n;
    else if ((n = ivrsm_date_month_number(c->loc, w, pos, &month)) > 0)
        pos += n; /* "le 3 du 5 1985", "el 3 del 5 del 85", "am dritten fuenften 1985" */
    else
        return 0;
    long y = year_then_resolve(c, pos, month, day, out);
    return y < 0 ? 0 : pos + (size_t)y - at;
}

/* A count said at `at`: digits, a number word of 1..99, or a word for one ("a", "einer");
 * its word count (0: none), the count in *count. */
static size_t count_at(const struct past_context *c, size_t at, int *count)
{
    const struct ivrsm_words *w = c->words;
    if (ivrsm_word_is_digits(w, at)) {
        if (w->len[at] > 2)
            return 0;
        *count = 0;
        for (size_t k = 0; k < w->len[at]; k++)
            *count = *count * 10 + (w->text[w->start[at] + k] - '0');
        return 1;
    }
    size_t n = ivrsm_number_words(c->loc, w, at, count);
    if (n > 0)
        return *count >= 1 && *count <= 99 ? n : 0;
    n = ivrsm_words_match_list(w, at, c->loc, IVRSM_LIST_one_words);
    *count = 1;
    return n;
}

/*
 * Days counted back from today: [ago before] count unit [ago after], one of the two ago words
 * said: "il y a trois jours", "vor einer Woche", "hace dos semanas", "three days ago". Days
 * and weeks: a month or a year back names no day.
 */
static size_t parse_counted_back(const struct past_context *c, size_t at, int64_t *out)
{
    const struct ivrsm_words *w = c->words;
    size_t pos = at;
    const size_t before = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_ago_words_before);
    pos += before;
    int count;
    size_t n = count_at(c, pos, &count);
    if (n == 0)
        return 0;
    pos += n;
    int unit = 0;
    if ((n = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_day_units)) > 0)
        unit = 1;
    else if ((n = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_week_units)) > 0)
        unit = 7;
    else
        return 0;
    pos += n;
    const size_t after = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_ago_words);
    if ((before > 0) == (after > 0))
        return 0; /* "trois jours" alone is a length of time, not a day */
    pos += after;
    *out = c->today - (int64_t)count * unit;
    return *out >= c->earliest ? pos - at : 0;
}

/* The day of the week of a day counted from 1970-01-01 (a Thursday): 0 = Monday. */
static int weekday_of(int64_t day)
{
    return (int)(((day + 3) % 7 + 7) % 7);
}

/*
 * A weekday gone by: with a word for the last ("last Monday", "letzten Montag", "lundi
 * dernier", "el lunes pasado"), the latest such day before today; said alone ("samedi", "am
 * Sonntag"), the latest before today too, except the weekday of today, which could be today
 * or a week ago (no date: the caller is asked again).
 */
static size_t parse_last_weekday(const struct past_context *c, size_t at, int64_t *out)
{
    const struct ivrsm_words *w = c->words;
    size_t pos = ivrsm_words_skip_list(w, at, c->loc, IVRSM_LIST_date_articles);
    const size_t before = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_last_words_before);
    pos += before;
    int weekday;
    size_t n = ivrsm_words_match_value(w, pos, c->loc, IVRSM_LIST_weekdays, &weekday);
    if (n == 0)
        return 0;
    pos += n;
    const size_t after = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_last_words);
    pos += after;
    int back = (weekday_of(c->today) - weekday + 7) % 7;
    if (back == 0) {
        if (before == 0 && after == 0)
            return 0;
        back = 7;
    }
    *out = c->today - back;
    return *out >= c->earliest ? pos - at : 0;
}

/* [articles] [weekday [articles]] (numeric date | month day year | day month year). */
static size_t parse_date(const struct past_context *c, size_t at, int64_t *out)
{
    const struct ivrsm_words *w = c->words;
    int back;
    size_t n = ivrsm_words_match_value(w, at, c->loc, IVRSM_LIST_past_relative_days, &back);
    if (n > 0) {
        *out = c->today - back; /* "hier", "the day before yesterday" */
        return *out >= c->earliest ? n : 0;
    }
    size_t pos = ivrsm_words_skip_list(w, at, c->loc, IVRSM_LIST_date_articles);
    int weekday;
    n = ivrsm_words_match_value(w, pos, c->loc, IVRSM_LIST_weekdays, &weekday);
    if (n > 0)
        pos = ivrsm_words_skip_list(w, pos + n, c->loc, IVRSM_LIST_date_articles);
    if (ivrsm_date_is_numeric_word(w, pos))
        return resolve_numeric(c, w->text + w->start[pos], w->len[pos], out) == 0 ? pos + 1 - at
                                                                                  : 0;
    if ((n = parse_month_first(c, pos, out)) > 0)
        return pos + n - at;
    if ((n = parse_day_first(c, pos, out)) > 0)
        return pos + n - at;
    if ((n = parse_counted_back(c, at, out)) > 0)
        return n;
    return parse_last_weekday(c, at, out);
}

/* The lead-ins of either list at `at`, the longer: 0 when none. */
static size_t lead_in(const struct past_context *c, size_t at)
{
    size_t a = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_date_lead_fillers);
    size_t b = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_past_lead_fillers);
    return a > b ? a : b;
}

/* Skips words after the date that say nothing of it, a time of day among them ("vers quinze
 * heures"); returns the next position. */
static size_t skip_trail(const struct past_context *c, size_t at)
{
    for (size_t before = SIZE_MAX; before != at;) {
        before = at;
        at = ivrsm_words_skip_list(c->words, at, c->loc, IVRSM_LIST_date_trail_fillers);
        at = ivrsm_words_skip_list(c->words, at, c->loc, IVRSM_LIST_past_trail_fillers);
        at += ivrsm_words_time_of_day(c->loc, c->words, at);
    }
    return at;
}

/* A keyed date's written form resolved as a numeric date said (ivrsm_date_from_keys()). */
static int resolve_keyed(const void *ctx, const char *written, size_t len, int64_t *out)
{
    return resolve_numeric(ctx, written, len, out);
}

int ivrsm_collect_date_past(const ivrsm_collect_params *params, const char *in, size_t len,
                            int is_dtmf, ivrsm_collect_value *out)
{
    struct ivrsm_words words;
    struct past_context c;
    c.loc = params->locale;
    c.words = &words;
    c.today = ivrsm_date_today(params);
    c.today_civil = ivrsm_civil_from_days(c.today);
    c.year_optional = params->past_year_optional;
    int years = params->past_years > 0 ? params->past_years : IVRSM_COLLECT_PAST_YEARS_DEFAULT;
    int64_t oldest_year = c.today_civil.year - years;
    int oldest_day = c.today_civil.day;
    if (oldest_day > ivrsm_days_in_month(oldest_year, c.today_civil.month))
        oldest_day = ivrsm_days_in_month(oldest_year, c.today_civil.month); /* 29 February */
    c.earliest = ivrsm_days_from_civil(oldest_year, c.today_civil.month, oldest_day);

    int64_t day;
    if (is_dtmf) {
        /* DDMMYYYY or DDMMYY in the locale's order, an optional final '#' */
        if (ivrsm_date_from_keys(in, len, 1u << 6 | 1u << 8, resolve_keyed, &c, &day) != 0)
            return 1;
    } else {
        char glued[IVRSM_COLLECT_INPUT_MAX];
        if (c.loc->year_glued) {
            len = ivrsm_date_unglue(c.loc, in, len, glued, sizeof glued);
            if (len == SIZE_MAX)
                return 1;
            in = glued;
        }
        if (ivrsm_words_split(&words, c.loc, in, len, 1) != 0)
            return 1;
        size_t at = 0, n = 0;
        for (int lead_ins = 0; lead_ins <= PAST_LEAD_INS_MAX; lead_ins++) {
            if ((n = parse_date(&c, at, &day)) > 0)
                break;
            size_t skip = lead_in(&c, at);
            if (skip == 0)
                break;
            at += skip;
        }
        if (n == 0 || skip_trail(&c, at + n) != words.count)
            return 1;
    }
    if (ivrsm_date_format(day, out->text, sizeof out->text) != 0) {
        out->text[0] = '\0';
        return 1;
    }
    memcpy(out->date_to, out->text, sizeof out->date_to);
    return 0;
}
