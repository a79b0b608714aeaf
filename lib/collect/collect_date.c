/*
 * Collect mode "date_nl": a date or a window of dates said in natural
 * language, turned into date_from (out->text) and date_to (out->date_to),
 * both "YYYY-MM-DD", in the zone params->tz.
 *
 * The choices, with French and English words as examples (each locale
 * brings its own words through its table, see locale_tables.h):
 *
 * - "Today" is the local date of params->now_ms in params->tz.
 * - A single day gives date_from == date_to.
 * - Relative days ("aujourd'hui", "demain", "après-demain", "tomorrow"):
 *   today + the table's value.
 * - A bare weekday ("lundi", "le lundi", "ce lundi", "on Monday"): the first
 *   such day strictly after today, 1 to 7 days ahead ("lundi" said on a
 *   Monday is the Monday of the following week: a caller asking for today
 *   says "aujourd'hui").
 * - A weekday with a "next" word after it ("lundi prochain", "el lunes que
 *   viene", also "mardi la semaine prochaine", "Tuesday next week") or
 *   before it ("next Monday", "nächsten Montag"): that day in the next
 *   calendar week (weeks run Monday to Sunday), 1 to 13 days ahead, so
 *   always inside "la semaine prochaine".
 * - "la semaine prochaine": Monday to Sunday of the next calendar week.
 * - "cette semaine": today to Sunday of the current week.
 * - "le mois prochain": the first to the last day of the next month.
 * - "dans N jours", "in N days", "N days from now": the single day
 *   today + N (N from 1 to 366); weeks: today + 7 N (N from 1 to 52). N in
 *   digits, words or a word for one ("a week"), taken literally: "dans
 *   quinze jours" is today + 15, "dans huit jours" today + 8. A count and
 *   a unit alone ("two weeks") are a duration, not a date.
 * - A day and a month, either order, with the table's joiners ("le 3
 *   décembre", "le premier décembre", "the 3rd of December", "December the
 *   third", "el 3 de diciembre", "am 3. Dezember") or numeric ("3/12"):
 *   that date this year, or next year when it is already past (today is not
 *   past). With a year ("le 3 décembre 2027", "03/12/2027", "3/12/27" =
 *   2027) that exact date, which must not be past. Numeric dates use the
 *   locale's order (day/month, or month/day in en-US) with '/', '.' or '-'.
 *   The day may be digits, digits with an ordinal suffix ("3rd", "1er"),
 *   number words or ordinal words ("third", "dritten"). The month may be
 *   said as its number after the day (ivrsm_date_month_number(): "le 3 du
 *   5", "the 3rd of the 5th", "el 3 del 5", "am dritten fünften"), the year
 *   in four digits or in words ("twenty twenty seven", "deux mille vingt
 *   sept", "zweitausendsiebenundzwanzig", cut apart first).
 * - Keys and said numeric dates are read by one function for both date
 *   modes (ivrsm_date_from_keys()), each mode resolving the written form.
 * - A day alone ("le 3", "the 3rd"): the first date on or after today with
 *   that day of the month, skipping months too short for it ("le 31" said
 *   on 2026-11-25 is 2026-12-31).
 * - A weekday before a date ("lundi 7 décembre") is accepted; the date wins.
 * - "dès que possible", "as soon as possible", "je ne sais pas"...: the
 *   window today .. today + asap_days - 1 (params->asap_days, 14 when 0).
 * - Keyed digits: DDMM or DDMMYYYY in the locale's numeric order, with an
 *   optional final "#", read like "3/12" or "03/12/2027".
 * - Lead-ins before the date ("euh", "plutôt", "c'est pour", "à partir de",
 *   "dès" as in "dès lundi", each skipped only where no date starts, at
 *   most 8 of them) and
 *   time-of-day or polite words after it ("matin", "s'il vous plaît") are
 *   ignored; any other word makes the input not a date. Impossible dates
 *   ("le 31 février", 29/02 of a common year, day 0, month 13) and dates in
 *   a past year are not dates either.
 */
#include "civil.h"
#include "collect.h"
#include "date_parts.h"

#include "locale_tables.h"
#include "words.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ASAP_DEFAULT_DAYS 14
#define IN_DAYS_MAX 366
#define IN_WEEKS_MAX 52
/* More lead-ins than this before a date is talk, not a date (and bounds the work). */
#define DATE_LEAD_INS_MAX 8

/* The inclusive window found, in days since 1970-01-01. */
struct date_window {
    int64_t from;
    int64_t to;
};

/* What the parser knows while reading one input. */
struct date_context {
    const struct ivrsm_locale *loc;
    const struct ivrsm_words *words;
    int64_t today; /* days since 1970-01-01, local */
    ivrsm_civil today_civil;
    int asap_days;
};

/* ---------------------------------------------------------------------------
 * Calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms)
 * ------------------------------------------------------------------------- */

static int date_exists(int64_t y, int m, int d)
{
    return m >= 1 && m <= 12 && d >= 1 && d <= ivrsm_days_in_month(y, m);
}

/* 0 = Monday .. 6 = Sunday; 1970-01-01 was a Thursday. */
static int weekday_of(int64_t days)
{
    return (int)(((days + 3) % 7 + 7) % 7);
}

static struct date_window single_day(int64_t day)
{
    struct date_window w = {day, day};
    return w;
}

/* ---------------------------------------------------------------------------
 * Resolving days and months to dates
 * ------------------------------------------------------------------------- */

/* A day and month without a year: this year unless past, then next year. */
static int resolve_day_month(const struct date_context *c, int month, int day, int64_t *out)
{
    int64_t year = c->today_civil.year;
    if (!date_exists(year, month, day) || ivrsm_days_from_civil(year, month, day) < c->today) {
        year++;
        if (!date_exists(year, month, day))
            return -1;
    }
    *out = ivrsm_days_from_civil(year, month, day);
    return *out >= c->today ? 0 : -1;
}

/* A full date: it must exist and not be past. */
static int resolve_full_date(const struct date_context *c, int64_t year, int month, int day,
                             int64_t *out)
{
    if (year < 0 || year > 9999 || !date_exists(year, month, day))
        return -1;
    *out = ivrsm_days_from_civil(year, month, day);
    return *out >= c->today ? 0 : -1;
}

/* A day of the month alone: the first such date on or after today. */
static int resolve_day_only(const struct date_context *c, int day, int64_t *out)
{
    if (day < 1 || day > 31)
        return -1;
    int64_t year = c->today_civil.year;
    int month = c->today_civil.month;
    for (int i = 0; i < 13; i++) {
        if (date_exists(year, month, day) && ivrsm_days_from_civil(year, month, day) >= c->today) {
            *out = ivrsm_days_from_civil(year, month, day);
            return 0;
        }
        if (++month > 12) {
            month = 1;
            year++;
        }
    }
    return -1;
}

/* A year as written: four digits, or two meaning 20YY. */
static int year_from_digits(const char *s, size_t len, int64_t *year)
{
    if (len != 2 && len != 4)
        return -1;
    int64_t y = 0;
    for (size_t i = 0; i < len; i++)
        y = y * 10 + (s[i] - '0');
    *year = len == 2 ? 2000 + y : y;
    return 0;
}

int ivrsm_date_digit_groups(const char *s, size_t len, const char *group[3], size_t group_len[3])
{
    int groups = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] >= '0' && s[i] <= '9')
            continue;
        if (groups == 3)
            return -1;
        group[groups] = s + start;
        group_len[groups] = i - start;
        groups++;
        start = i + 1;
    }
    return groups;
}

int ivrsm_date_small_number(const char *s, size_t len)
{
    if (len == 0 || len > 4)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/*
 * "3/12", "03.12.2027", "3-12-27" as one word (see ivrsm_words_split): two or
 * three groups, in the locale's order.
 */
static int resolve_numeric_date(const struct date_context *c, const char *s, size_t len,
                                int64_t *out)
{
    const char *group[3];
    size_t group_len[3];
    int groups = ivrsm_date_digit_groups(s, len, group, group_len);
    if (groups < 2 || group_len[0] > 2 || group_len[1] > 2)
        return -1;
    int first = ivrsm_date_small_number(group[0], group_len[0]);
    int second = ivrsm_date_small_number(group[1], group_len[1]);
    int day = c->loc->numeric_date_order == IVRSM_DATE_MDY ? second : first;
    int month = c->loc->numeric_date_order == IVRSM_DATE_MDY ? first : second;
    if (groups == 2)
        return resolve_day_month(c, month, day, out);
    int64_t year;
    if (year_from_digits(group[2], group_len[2], &year) != 0)
        return -1;
    return resolve_full_date(c, year, month, day, out);
}

/* ---------------------------------------------------------------------------
 * Expressions. Each reads the words from `at` on and returns how many it
 * used, filling *win, or 0 when the words are not that expression.
 * ------------------------------------------------------------------------- */

static size_t parse_phrase_windows(const struct date_context *c, size_t at, struct date_window *win)
{
    const int today_weekday = weekday_of(c->today);
    size_t n;
    if ((n = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_asap)) > 0) {
        win->from = c->today;
        win->to = c->today + c->asap_days - 1;
        return n;
    }
    if ((n = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_next_week)) > 0) {
        win->from = c->today - today_weekday + 7;
        win->to = win->from + 6;
        return n;
    }
    if ((n = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_this_week)) > 0) {
        win->from = c->today;
        win->to = c->today - today_weekday + 6;
        return n;
    }
    if ((n = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_this_weekend)) > 0) {
        const int64_t saturday = c->today - today_weekday + 5;
        win->from = c->today > saturday ? c->today : saturday;
        win->to = saturday + 1;
        return n;
    }
    if ((n = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_this_month)) > 0) {
        win->from = c->today;
        win->to = c->today + ivrsm_days_in_month(c->today_civil.year, c->today_civil.month) -
                  c->today_civil.day;
        return n;
    }
    if ((n = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_next_month)) > 0) {
        int64_t year = c->today_civil.year + (c->today_civil.month == 12);
        int month = c->today_civil.month % 12 + 1;
        win->from = ivrsm_days_from_civil(year, month, 1);
        win->to = win->from + ivrsm_days_in_month(year, month) - 1;
        return n;
    }
    return 0;
}

static size_t parse_relative_day(const struct date_context *c, size_t at, struct date_window *win)
{
    int value = 0;
    size_t n = ivrsm_words_match_value(c->words, at, c->loc, IVRSM_LIST_relative_days, &value);
    if (n > 0)
        *win = single_day(c->today + value);
    return n;
}

/* A count in digits ("15"), in words ("quinze", "une") or a word for one ("a" week). */
static size_t parse_count(const struct date_context *c, size_t at, int *value)
{
    if (ivrsm_word_is_digits(c->words, at)) {
        *value = ivrsm_date_small_number(c->words->text + c->words->start[at], c->words->len[at]);
        return *value >= 0 ? 1 : 0;
    }
    size_t n = ivrsm_number_words(c->loc, c->words, at, value);
    size_t one = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_one_words);
    if (one > n) {
        *value = 1;
        return one;
    }
    return n;
}

/* "dans N jours", "in N weeks", "N days from now": a word before or after the count. */
static size_t parse_in_n(const struct date_context *c, size_t at, struct date_window *win)
{
    size_t pos = at;
    size_t in = ivrsm_words_match_list(c->words, pos, c->loc, IVRSM_LIST_in_words);
    pos += in;
    int count;
    size_t n = parse_count(c, pos, &count);
    if (n == 0)
        return 0;
    pos += n;
    int64_t days;
    if ((n = ivrsm_words_match_list(c->words, pos, c->loc, IVRSM_LIST_day_units)) > 0) {
        if (count < 1 || count > IN_DAYS_MAX)
            return 0;
        days = count;
    } else if ((n = ivrsm_words_match_list(c->words, pos, c->loc, IVRSM_LIST_week_units)) > 0) {
        if (count < 1 || count > IN_WEEKS_MAX)
            return 0;
        days = 7 * (int64_t)count;
    } else {
        return 0;
    }
    pos += n;
    size_t from_now = ivrsm_words_match_list(c->words, pos, c->loc, IVRSM_LIST_from_now_words);
    if (in == 0 && from_now == 0)
        return 0; /* "two weeks" alone is a duration, not a date */
    *win = single_day(c->today + days);
    return pos + from_now - at;
}

/* Digits with an ordinal suffix in one word: "3rd", "1er", "21st". */
static size_t parse_ordinal_digits(const struct date_context *c, size_t at, int *day)
{
    const struct ivrsm_words *w = c->words;
    if (at >= w->count)
        return 0;
    const char *s = w->text + w->start[at];
    size_t digits = 0;
    while (digits < w->len[at] && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits == 0 || digits > 2 || digits == w->len[at])
        return 0;
    for (const char *const *suffix = c->loc->ordinal_suffixes; suffix && *suffix; suffix++) {
        if (strcmp(s + digits, *suffix) == 0) {
            *day = ivrsm_date_small_number(s, digits);
            return 1;
        }
    }
    return 0;
}

/* The day of the month: "premier", "1er", "3rd", "3", "trois", "twenty first". */
static size_t parse_day_of_month(const struct date_context *c, size_t at, int *day)
{
    int ordinal = 0;
    size_t n = ivrsm_words_match_value(c->words, at, c->loc, IVRSM_LIST_day_ordinals, &ordinal);
    int number = 0;
    size_t said = 0;
    if (ivrsm_word_is_digits(c->words, at)) {
        if (c->words->len[at] > 2)
            return 0;
        number = ivrsm_date_small_number(c->words->text + c->words->start[at], c->words->len[at]);
        said = 1;
    } else if ((said = parse_ordinal_digits(c, at, &number)) == 0) {
        said = ivrsm_number_words(c->loc, c->words, at, &number);
    }
    if (n > 0 && n >= said) {
        *day = ordinal;
        return n;
    }
    *day = number;
    return said;
}

/* A word kept whole by ivrsm_words_split: digits with '/', '.' or '-' inside. */
static int is_numeric_date_word(const struct ivrsm_words *w, size_t i)
{
    if (i >= w->count || w->len[i] < 3)
        return 0;
    const char *s = w->text + w->start[i];
    return s[0] >= '0' && s[0] <= '9' && strcspn(s, "/.-") < w->len[i];
}

/*
 * [joiner] year after a day and month read from `at` to `pos`: a full date;
 * otherwise this year's or next year's. *win is that day. Returns the words
 * read from `at`, or 0 when there is no such date.
 */
static size_t finish_day_month(const struct date_context *c, size_t at, size_t pos, int month,
                               int day, struct date_window *win)
{
    const struct ivrsm_words *w = c->words;
    int64_t day_number;
    /* A year of four digits or said in words ("twenty twenty seven", "deux mille vingt
     * sept"); not two digits, nor a number below 100, which say a time as often. */
    struct ivrsm_date_year year;
    size_t n = ivrsm_date_year(c->loc, w, pos, &year);
    if (n > 0 && !year.two_digits &&
        !(ivrsm_word_is_digits(w, pos + n - 1) && w->len[pos + n - 1] != 4)) {
        if (resolve_full_date(c, year.value, month, day, &day_number) != 0)
            return 0;
        pos += n;
    } else {
        if (resolve_day_month(c, month, day, &day_number) != 0)
            return 0;
        /* "le 3 décembre prochain": the next one is what a date without a year means. */
        pos += ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_next_words);
    }
    *win = single_day(day_number);
    return pos - at;
}

/* month [joiner] day [year]: "December 3rd", "December the third, 2027". */
static size_t parse_month_first(const struct date_context *c, size_t at, struct date_window *win)
{
    const struct ivrsm_words *w = c->words;
    int month;
    size_t pos = at;
    size_t n = ivrsm_words_match_value(w, pos, c->loc, IVRSM_LIST_months, &month);
    if (n == 0)
        return 0;
    pos += n;
    pos += ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_month_day_joiners);
    int day;
    if ((n = parse_day_of_month(c, pos, &day)) == 0)
        return 0;
    pos += n;
    return finish_day_month(c, at, pos, month, day, win);
}

/* day [joiner] [month [year]]: "le 3 décembre", "the 3rd of December", "el 3 de diciembre". */
static size_t parse_day_first(const struct date_context *c, size_t at, struct date_window *win)
{
    const struct ivrsm_words *w = c->words;
    size_t pos = at;
    int day;
    size_t n = parse_day_of_month(c, pos, &day);
    if (n == 0)
        return 0;
    pos += n;
    int month;
    size_t joiner = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_day_month_joiners);
    n = ivrsm_words_match_value(w, pos + joiner, c->loc, IVRSM_LIST_months, &month);
    if (n == 0 && (n = ivrsm_date_month_number(c->loc, w, pos, &month)) > 0)
        joiner = 0; /* "le 3 du 5": the month as a number, its joiner read with it */
    if (n == 0) {
        int64_t day_number;
        if (resolve_day_only(c, day, &day_number) != 0)
            return 0;
        *win = single_day(day_number);
        return pos - at;
    }
    pos += joiner + n;
    return finish_day_month(c, at, pos, month, day, win);
}

/* [articles] [weekday] [articles] (numeric date | month day | day [month]). */
static size_t parse_explicit_date(const struct date_context *c, size_t at, struct date_window *win)
{
    const struct ivrsm_words *w = c->words;
    size_t pos = ivrsm_words_skip_list(w, at, c->loc, IVRSM_LIST_date_articles);
    int weekday;
    size_t n = ivrsm_words_match_value(w, pos, c->loc, IVRSM_LIST_weekdays, &weekday);
    if (n > 0)
        pos = ivrsm_words_skip_list(w, pos + n, c->loc, IVRSM_LIST_date_articles);
    int64_t day_number;
    if (is_numeric_date_word(w, pos)) {
        if (resolve_numeric_date(c, w->text + w->start[pos], w->len[pos], &day_number) != 0)
            return 0;
        *win = single_day(day_number);
        return pos + 1 - at;
    }
    if ((n = parse_month_first(c, pos, win)) > 0)
        return pos + n - at;
    if ((n = parse_day_first(c, pos, win)) > 0)
        return pos + n - at;
    return 0;
}

/* How a weekday is qualified: the coming one, next week's, the week after's, or a week
 * after the coming one. */
enum weekday_kind { WEEKDAY_COMING, WEEKDAY_NEXT, WEEKDAY_AFTER_NEXT, WEEKDAY_WEEK_AFTER };

/* A qualifier before the weekday ("next", "uebernaechsten", "a week from"); its length. */
static size_t weekday_qualifier_before(const struct date_context *c, size_t pos,
                                       enum weekday_kind *kind)
{
    const struct ivrsm_words *w = c->words;
    static const struct {
        enum ivrsm_list_id words;
        enum weekday_kind kind;
    } lists[] = {{IVRSM_LIST_next_words_before, WEEKDAY_NEXT},
                 {IVRSM_LIST_after_next_words_before, WEEKDAY_AFTER_NEXT},
                 {IVRSM_LIST_week_after_words_before, WEEKDAY_WEEK_AFTER}};
    size_t best = 0;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        size_t n = ivrsm_words_match_list(w, pos, c->loc, lists[i].words);
        if (n > best) {
            best = n;
            *kind = lists[i].kind;
        }
    }
    return best;
}

/* [articles] [qualifier] weekday [qualifier | next week]: "lundi prochain", "next Monday",
 * "the Monday after next", "a week from Monday", "lundi en huit". */
static size_t parse_weekday(const struct date_context *c, size_t at, struct date_window *win)
{
    const struct ivrsm_words *w = c->words;
    size_t pos = ivrsm_words_skip_list(w, at, c->loc, IVRSM_LIST_date_articles);
    enum weekday_kind kind = WEEKDAY_COMING;
    pos += weekday_qualifier_before(c, pos, &kind);
    int weekday;
    size_t n = ivrsm_words_match_value(w, pos, c->loc, IVRSM_LIST_weekdays, &weekday);
    if (n == 0)
        return 0;
    pos += n;
    const int today_weekday = weekday_of(c->today);
    const int64_t next_monday = c->today - today_weekday + 7;
    int ahead = (weekday - today_weekday + 7) % 7;
    const int64_t coming = c->today + (ahead == 0 ? 7 : ahead);
    if (kind == WEEKDAY_COMING) {
        size_t after = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_after_next_words);
        size_t week = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_week_after_words);
        if (after > 0 && after >= week) {
            kind = WEEKDAY_AFTER_NEXT;
            pos += after;
        } else if (week > 0) {
            kind = WEEKDAY_WEEK_AFTER;
            pos += week;
        }
    }
    if (kind == WEEKDAY_AFTER_NEXT) {
        *win = single_day(next_monday + 7 + weekday);
        return pos - at;
    }
    if (kind == WEEKDAY_WEEK_AFTER) {
        *win = single_day(coming + 7);
        return pos - at;
    }
    size_t next = kind == WEEKDAY_NEXT;
    if (next == 0) {
        /* The longer of "next" and "next week" after the day ("Tuesday next week"). */
        next = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_next_words);
        size_t week = ivrsm_words_match_list(w, pos, c->loc, IVRSM_LIST_next_week);
        if (week > next)
            next = week;
        pos += next;
    }
    if (next > 0) {
        *win = single_day(next_monday + weekday);
        return pos - at;
    }
    *win = single_day(coming);
    return pos - at;
}

/* One date expression at `at`, the first reading that fits. */
static size_t parse_expression(const struct date_context *c, size_t at, struct date_window *win)
{
    size_t n;
    if ((n = parse_phrase_windows(c, at, win)) > 0)
        return n;
    if ((n = parse_relative_day(c, at, win)) > 0)
        return n;
    if ((n = parse_in_n(c, at, win)) > 0)
        return n;
    if ((n = parse_explicit_date(c, at, win)) > 0)
        return n;
    return parse_weekday(c, at, win);
}

/*
 * Skips lead-ins ("euh", "à partir de", "dès") one at a time, each only when
 * no date starts where it stands: "dès" leads in "dès lundi" but belongs to
 * "dès que possible". Returns the position after the date, or 0 when there is
 * none.
 */
static size_t parse_after_lead_ins(const struct date_context *c, struct date_window *win)
{
    size_t at = 0;
    for (int lead_ins = 0; lead_ins <= DATE_LEAD_INS_MAX; lead_ins++) {
        size_t n = parse_expression(c, at, win);
        if (n > 0)
            return at + n;
        n = ivrsm_words_match_list(c->words, at, c->loc, IVRSM_LIST_date_lead_fillers);
        if (n == 0)
            return 0;
        at += n;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------- */

/* A keyed date's written form resolved as a numeric date said (ivrsm_date_from_keys()). */
static int resolve_keyed(const void *ctx, const char *written, size_t len, int64_t *out)
{
    return resolve_numeric_date(ctx, written, len, out);
}

int ivrsm_date_from_keys(const char *in, size_t len, unsigned lengths, ivrsm_date_resolver resolve,
                         const void *ctx, int64_t *day)
{
    if (len > 0 && in[len - 1] == '#')
        len--;
    if (len < 4 || len > 8 || !(lengths >> len & 1))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (in[i] < '0' || in[i] > '9')
            return -1;
    }
    /* "DD/MM", "DD/MM/Y..." with the digits after the fourth as the year. */
    char written[11];
    memcpy(written, in, 2);
    written[2] = '/';
    memcpy(written + 3, in + 2, 2);
    size_t n = 5;
    if (len > 4) {
        written[5] = '/';
        memcpy(written + 6, in + 4, len - 4);
        n = 6 + len - 4;
    }
    written[n] = '\0';
    return resolve(ctx, written, n, day);
}

size_t ivrsm_date_unglue(const struct ivrsm_locale *loc, const char *in, size_t len, char *out,
                         size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t glue = 0;
        for (const char *const *g = loc->year_glued; g && *g && !glue; g++) {
            size_t k = strlen(*g);
            size_t j = 0;
            while (j < k && i + j < len &&
                   (in[i + j] | ((in[i + j] >= 'A' && in[i + j] <= 'Z') ? 0x20 : 0)) == (*g)[j])
                j++;
            if (j == k)
                glue = k;
        }
        if (glue) {
            if (n + glue + 2 > cap)
                return SIZE_MAX;
            out[n++] = ' ';
            memcpy(out + n, in + i, glue);
            n += glue;
            out[n++] = ' ';
            i += glue;
        } else {
            if (n + 1 > cap)
                return SIZE_MAX;
            out[n++] = in[i++];
        }
    }
    return n;
}

size_t ivrsm_date_month_number(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at, int *month)
{
    const size_t joiner = ivrsm_words_match_list(w, at, loc, IVRSM_LIST_month_number_joiners);
    const size_t pos = at + joiner;
    int value = 0;
    size_t n = ivrsm_words_match_value(w, pos, loc, IVRSM_LIST_day_ordinals, &value);
    const struct date_context c = {.loc = loc, .words = w};
    if (n == 0)
        n = parse_ordinal_digits(&c, pos, &value); /* "the 5th" */
    if (n == 0 && ivrsm_word_is_digits(w, pos) && w->len[pos] <= 2) {
        /* Digits alone after the day: only as a numeric date said with its year. */
        const bool year_follows =
            ivrsm_word_is_digits(w, pos + 1) && (w->len[pos + 1] == 2 || w->len[pos + 1] == 4);
        if (joiner || (year_follows && loc->numeric_date_order == IVRSM_DATE_DMY)) {
            value = ivrsm_date_small_number(w->text + w->start[pos], w->len[pos]);
            n = 1;
        }
    } else if (n == 0 && joiner) {
        n = ivrsm_number_words(loc, w, pos, &value);
    }
    if (n == 0 || value < 1 || value > 12)
        return 0;
    *month = value;
    return joiner + n;
}

/* Writes value as `width` digits, zero-padded, at out (value < 10^width). */
static void put_digits(char *out, int value, int width)
{
    for (int k = width; k-- > 0; value /= 10)
        out[k] = (char)('0' + value % 10);
}

/* "YYYY-MM-DD" as "%04d-%02d-%02d" writes it, without printf's cost (two per date said). */
static int format_day(int64_t day, char *out, size_t cap)
{
    ivrsm_civil d = ivrsm_civil_from_days(day);
    if (d.year < 0 || d.year > 9999 || cap < 11)
        return -1;
    put_digits(out, (int)d.year, 4);
    out[4] = '-';
    put_digits(out + 5, d.month, 2);
    out[7] = '-';
    put_digits(out + 8, d.day, 2);
    out[10] = '\0';
    return 0;
}

/* Both ends of the window as text; a window of one day (most dates said) is written once. */
static int format_window(const struct date_window *win, ivrsm_collect_value *out)
{
    if (format_day(win->from, out->text, sizeof out->text) != 0)
        return -1;
    if (win->to != win->from)
        return format_day(win->to, out->date_to, sizeof out->date_to);
    memcpy(out->date_to, out->text, sizeof out->date_to);
    return 0;
}

int64_t ivrsm_date_today(const ivrsm_collect_params *params)
{
    const int64_t now = ivrsm_floor_div(params->now_ms, 1000);
    return ivrsm_floor_div(now + ivrsm_tz_offset(params->tz, now), 86400);
}

int ivrsm_date_exists(int64_t y, int m, int d)
{
    return date_exists(y, m, d);
}

size_t ivrsm_date_day_of_month(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at, int *day)
{
    struct date_context c = {.loc = loc, .words = w};
    return parse_day_of_month(&c, at, day);
}

int ivrsm_date_is_numeric_word(const struct ivrsm_words *w, size_t i)
{
    return is_numeric_date_word(w, i);
}

int ivrsm_date_format(int64_t day, char *out, size_t cap)
{
    return format_day(day, out, cap);
}

int ivrsm_collect_date_nl(const ivrsm_collect_params *params, const char *in, size_t len,
                          int is_dtmf, ivrsm_collect_value *out)
{
    struct ivrsm_words words;
    struct date_context c;
    c.loc = params->locale;
    c.words = &words;
    c.today = ivrsm_date_today(params);
    c.today_civil = ivrsm_civil_from_days(c.today);
    c.asap_days = params->asap_days > 0 ? params->asap_days : ASAP_DEFAULT_DAYS;

    struct date_window win;
    if (is_dtmf) {
        /* DDMM or DDMMYYYY in the locale's order, an optional final '#' */
        if (ivrsm_date_from_keys(in, len, 1u << 4 | 1u << 8, resolve_keyed, &c, &win.from) != 0)
            return 1;
        win.to = win.from;
    } else {
        char glued[IVRSM_COLLECT_INPUT_MAX];
        if (c.loc->year_glued) { /* "zweitausendsiebenundzwanzig" */
            len = ivrsm_date_unglue(c.loc, in, len, glued, sizeof glued);
            if (len == SIZE_MAX)
                return 1;
            in = glued;
        }
        if (ivrsm_words_split(&words, c.loc, in, len, 1) != 0)
            return 1;
        size_t end = parse_after_lead_ins(&c, &win);
        if (end == 0)
            return 1;
        /* Polite words and a time of day ("jeudi matin vers dix heures") say nothing of it. */
        for (size_t before = SIZE_MAX; before != end;) {
            before = end;
            end = ivrsm_words_skip_list(&words, end, c.loc, IVRSM_LIST_date_trail_fillers);
            end += ivrsm_words_time_of_day(c.loc, &words, end);
        }
        if (end != words.count)
            return 1;
    }
    if (format_window(&win, out) != 0) {
        out->text[0] = '\0';
        out->date_to[0] = '\0';
        return 1;
    }
    return 0;
}
