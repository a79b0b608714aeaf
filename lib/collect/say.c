/*
 * Template formats: values said in a locale's words (say.h). The words and
 * patterns are the locale's `say` table; this file only reads values
 * (ISO dates and times, JSON numbers, E.164 numbers) and fills patterns.
 */
#include "say.h"

#include "civil.h"
#include "locale_tables.h"

#include <stdbool.h>
#include <string.h>

static const char *const format_names[IVRSM_SAY_FORMAT_COUNT] = {
    "", "date", "weekday", "time", "number", "money", "cents", "digits", "phone", "yesno"};

int ivrsm_say_format_find(const char *name, size_t len)
{
    for (int f = 1; f < IVRSM_SAY_FORMAT_COUNT; f++) {
        if (strlen(format_names[f]) == len && memcmp(format_names[f], name, len) == 0)
            return f;
    }
    return IVRSM_SAY_PLAIN;
}

const char *ivrsm_say_format_name(int format)
{
    return format > 0 && format < IVRSM_SAY_FORMAT_COUNT ? format_names[format] : "";
}

const char *ivrsm_say_format_list(void)
{
    return "date, weekday, time, number, money, cents, digits, phone, yesno";
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The value of n digits at s, or -1 when they are not all digits. */
static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* ---------------------------------------------------------------- dates and times */

typedef struct say_date {
    int year, month, day;
    int weekday; /* 0 = Monday */
} say_date;

/* "YYYY-MM-DD", alone or starting a date-time ("...T10:00", "... 10:00"). */
static int parse_date(const char *s, size_t len, say_date *d)
{
    if (len < 10 || s[4] != '-' || s[7] != '-' || (len > 10 && s[10] != 'T' && s[10] != ' '))
        return -1;
    d->year = digits_value(s, 4);
    d->month = digits_value(s + 5, 2);
    d->day = digits_value(s + 8, 2);
    if (d->year < 0 || d->month < 1 || d->month > 12 || d->day < 1 ||
        d->day > ivrsm_days_in_month(d->year, d->month))
        return -1;
    int64_t days = ivrsm_days_from_civil(d->year, d->month, d->day);
    d->weekday = (int)(days + 3 - ivrsm_floor_div(days + 3, 7) * 7); /* 1970-01-01: Thursday */
    return 0;
}

/* "HH:MM" or "HH:MM:SS" ("9:30" too), alone or after the date of a date-time. */
static int parse_time(const char *s, size_t len, int *hour, int *minute)
{
    if (len > 10 && (s[10] == 'T' || s[10] == ' ') && s[4] == '-') {
        s += 11;
        len -= 11;
        /* what follows the minutes (seconds, a zone) is not said */
        if (len < 5)
            return -1;
        len = 5;
    }
    size_t h = len > 1 && s[1] == ':' ? 1 : 2; /* digits of the hour */
    if (len != h + 3 && !(len == h + 6 && s[h + 3] == ':'))
        return -1;
    if (s[h] != ':')
        return -1;
    *hour = digits_value(s, h);
    *minute = digits_value(s + h + 1, 2);
    if (len == h + 6 && digits_value(s + h + 4, 2) < 0)
        return -1;
    if (*hour < 0 || *hour > 23 || *minute < 0 || *minute > 59)
        return -1;
    return 0;
}

typedef struct say_fields {
    const struct ivrsm_locale_say *say;
    say_date date;
    int hour, minute;
} say_fields;

/* Appends `pattern` with its % fields filled from f. */
static void fill(ivrsm_buf *out, const char *pattern, const say_fields *f)
{
    for (const char *p = pattern; *p; p++) {
        if (*p != '%' || !p[1]) {
            ivrsm_buf_putc(out, *p);
            continue;
        }
        p++;
        int hour12 = f->hour % 12 == 0 ? 12 : f->hour % 12;
        switch (*p) {
        case 'W':
            ivrsm_buf_puts(out, f->say->weekdays[f->date.weekday]);
            break;
        case 'M':
            ivrsm_buf_puts(out, f->say->months[f->date.month - 1]);
            break;
        case 'D': /* the day's word ("3rd", "1er"), else its number */
            if (f->say->day_words && f->say->day_words[f->date.day - 1])
                ivrsm_buf_puts(out, f->say->day_words[f->date.day - 1]);
            else
                ivrsm_buf_printf(out, "%d", f->date.day);
            break;
        case 'd':
            ivrsm_buf_printf(out, "%d", f->date.day);
            break;
        case 'Y':
            ivrsm_buf_printf(out, "%d", f->date.year);
            break;
        case 'H':
            ivrsm_buf_printf(out, "%d", f->hour);
            break;
        case 'I':
            ivrsm_buf_printf(out, "%d", hour12);
            break;
        case 'm':
            ivrsm_buf_printf(out, "%02d", f->minute);
            break;
        case 'n':
            ivrsm_buf_printf(out, "%d", f->minute);
            break;
        case 'p':
            ivrsm_buf_puts(out, f->say->am_pm[f->hour >= 12]);
            break;
        default:
            ivrsm_buf_putc(out, *p);
            break;
        }
    }
}

static int say_date_value(ivrsm_buf *out, const struct ivrsm_locale_say *say, const char *text,
                          size_t len, const char *today)
{
    say_fields f = {.say = say};
    if (parse_date(text, len, &f.date) != 0)
        return 1;
    fill(out, say->date, &f);
    say_date now;
    if (!today || parse_date(today, strlen(today), &now) != 0 || now.year != f.date.year)
        fill(out, say->year, &f);
    return 0;
}

static int say_weekday(ivrsm_buf *out, const struct ivrsm_locale_say *say, const char *text,
                       size_t len)
{
    say_date d;
    if (len == 1 && text[0] >= '1' && text[0] <= '7')
        d.weekday = text[0] - '1'; /* now.weekday: 1 = Monday */
    else if (parse_date(text, len, &d) != 0)
        return 1;
    ivrsm_buf_puts(out, say->weekdays[d.weekday]);
    return 0;
}

static int say_time(ivrsm_buf *out, const struct ivrsm_locale_say *say, const char *text,
                    size_t len)
{
    say_fields f = {.say = say};
    if (parse_time(text, len, &f.hour, &f.minute) != 0)
        return 1;
    fill(out, f.minute == 0 && say->time_on_the_hour ? say->time_on_the_hour : say->time, &f);
    return 0;
}

/* ---------------------------------------------------------------- numbers and money */

/* Most digits said before the point by `number` (a double below 1e22 is an exact integer,
 * which is how templates write it), and by `money` in whole units (a quadrillion is past any
 * amount a call says); most after it. */
#define NUMBER_WHOLE_MAX 22
#define MONEY_MAX_DIGITS 15
#define FRACTION_MAX 20

/* A decimal number with its exponent worked out: "-12.50"; 1.5e3 is 1500, 1e-300 is 0. */
typedef struct say_number {
    int negative;
    const char *whole; /* its digits, no leading zero but for 0 itself */
    size_t whole_len;
    const char *fraction; /* the digits after the point, or NULL */
    size_t fraction_len;
    char digits[NUMBER_WHOLE_MAX + FRACTION_MAX + 1];
} say_number;

static bool is_word_ci(const char *s, size_t len, const char *word)
{
    if (strlen(word) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]) != word[i])
            return false;
    return true;
}

/* NaN or an infinity, as JavaScript, Python or C write them: no number a caller can hear. */
static bool non_finite(const char *s, size_t len)
{
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        s++;
        len--;
    }
    return is_word_ci(s, len, "nan") || is_word_ci(s, len, "inf") || is_word_ci(s, len, "infinity");
}

/*
 * Reads a number as JSON writes it (an optional '-', digits, an optional fraction, an optional
 * exponent) into n as plain decimal: the digits before the point without leading zeros, those
 * after it as written (12.50 keeps its zero) or, with an exponent, without trailing zeros, at
 * most FRACTION_MAX of them (1e-300 is 0). Returns 0; 1 when the text is no number (a value
 * said as it is); 2 when it is a number that cannot be said: NaN, an infinity, or more than
 * whole_max digits before the point (1e308).
 */
static int parse_number(const char *s, size_t len, size_t whole_max, say_number *n)
{
    memset(n, 0, sizeof(*n));
    if (non_finite(s, len))
        return 2;
    size_t i = 0;
    if (i < len && s[i] == '-') {
        n->negative = 1;
        i++;
    }
    const char *int_part = s + i;
    size_t int_len = 0, frac_len = 0;
    while (i < len && is_digit(s[i]))
        i++, int_len++;
    if (int_len == 0)
        return 1;
    const char *frac = "";
    if (i < len && s[i] == '.') {
        frac = s + ++i;
        while (i < len && is_digit(s[i]))
            i++, frac_len++;
        if (frac_len == 0)
            return 1;
    }
    long long exp = 0;
    bool has_exp = i < len && (s[i] == 'e' || s[i] == 'E');
    if (has_exp) {
        bool exp_negative = ++i < len && s[i] == '-';
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp_digits = 0;
        for (; i < len && is_digit(s[i]); i++, exp_digits++)
            if (exp < 1000000) /* far past any digit said: 1e999999 and 1e9999999 alike */
                exp = exp * 10 + (s[i] - '0');
        if (exp_digits == 0)
            return 1;
        if (exp_negative)
            exp = -exp;
    }
    if (i != len)
        return 1;
    /* The digits written, int_part then frac, with the point before index `point`. */
    long long sig = (long long)(int_len + frac_len);
    long long point = (long long)int_len + exp;
#define DIGIT(k)                                                                                   \
    ((k) < 0 || (k) >= sig      ? '0'                                                              \
     : (k) < (long long)int_len ? int_part[(k)]                                                    \
                                : frac[(k) - (long long)int_len])
    long long first = 0; /* the first digit that is not a zero */
    while (first < sig && DIGIT(first) == '0')
        first++;
    size_t w = 0;
    if (point > first) {
        if (point - first > (long long)whole_max)
            return 2;
        for (long long k = first; k < point; k++)
            n->digits[w++] = DIGIT(k);
    } else {
        n->digits[w++] = '0';
    }
    n->whole = n->digits;
    n->whole_len = w;
    char *f = n->digits + w;
    size_t f_len = 0;
    for (long long k = point; k < sig && f_len < FRACTION_MAX; k++)
        f[f_len++] = DIGIT(k);
    if (has_exp)
        while (f_len > 0 && f[f_len - 1] == '0')
            f_len--;
    if (f_len > 0) {
        n->fraction = f;
        n->fraction_len = f_len;
    }
#undef DIGIT
    return 0;
}

static int say_number_value(ivrsm_buf *out, const struct ivrsm_locale_say *say, const char *text,
                            size_t len)
{
    say_number n;
    int r = parse_number(text, len, NUMBER_WHOLE_MAX, &n);
    if (r != 0)
        return r;
    bool zero = n.whole_len == 1 && n.whole[0] == '0' && !n.fraction;
    if (n.negative && !zero)
        ivrsm_buf_putc(out, '-');
    ivrsm_buf_append(out, n.whole, n.whole_len);
    if (n.fraction) {
        ivrsm_buf_putc(out, say->decimal_mark);
        ivrsm_buf_append(out, n.fraction, n.fraction_len);
    }
    return 0;
}

/* "12 euros con 50 céntimos": units and hundredths, each left out when nothing; a debt with
 * the locale's word before it ("moins 12 euros"), never a sign a voice may not read. */
static void say_amount(ivrsm_buf *out, const struct ivrsm_locale_say *say, int negative,
                       long long units, int hundredths)
{
    if (negative && (units || hundredths))
        ivrsm_buf_printf(out, "%s ", say->minus);
    /* The plural from 2 on, and for 0 where the language says so ("0 dollars", "zéro euro") */
    bool plural = units > 1 || (units == 0 && !say->zero_singular);
    if (units || !hundredths)
        ivrsm_buf_printf(out, "%lld %s", units, say->currency[plural]);
    if (hundredths) {
        if (units)
            ivrsm_buf_puts(out, say->currency_join);
        ivrsm_buf_printf(out, "%d %s", hundredths, say->subunit[hundredths != 1]);
    }
}

static int say_money(ivrsm_buf *out, const struct ivrsm_locale_say *say, const char *text,
                     size_t len)
{
    say_number n;
    int r = parse_number(text, len, MONEY_MAX_DIGITS, &n);
    if (r != 0)
        return r;
    long long units = 0;
    for (size_t i = 0; i < n.whole_len; i++)
        units = units * 10 + (n.whole[i] - '0');
    int hundredths = 0;
    for (size_t i = 0; i < 2; i++)
        hundredths = hundredths * 10 + (i < n.fraction_len ? n.fraction[i] - '0' : 0);
    /* half a hundredth or more rounds up, away from zero */
    if (n.fraction_len > 2 && n.fraction[2] >= '5' && ++hundredths == 100) {
        hundredths = 0;
        units++;
    }
    say_amount(out, say, n.negative, units, hundredths);
    return 0;
}

/* Hundredths: 1250 is 12.50; 1.25e3 too. A fraction of a hundredth rounds like money's. */
static int say_cents(ivrsm_buf *out, const struct ivrsm_locale_say *say, const char *text,
                     size_t len)
{
    say_number n;
    int r = parse_number(text, len, MONEY_MAX_DIGITS + 2, &n);
    if (r != 0)
        return r;
    long long cents = 0;
    for (size_t i = 0; i < n.whole_len; i++)
        cents = cents * 10 + (n.whole[i] - '0');
    if (n.fraction && n.fraction[0] >= '5')
        cents++;
    if (cents / 100 >= 1000000000000000LL) /* 999...99.995 rounded up past the bound */
        return 2;
    say_amount(out, say, n.negative, cents / 100, (int)(cents % 100));
    return 0;
}

/* ---------------------------------------------------------------- characters, phone numbers */

/* Length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* "AB-12 3": "A B 1 2 3", every letter, digit, +, * or # apart; other signs dropped. */
static int say_characters(ivrsm_buf *out, const char *text, size_t len)
{
    size_t start = out->len;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t n = utf8_len(c);
        if (n > len - i)
            n = len - i;
        int keep = n > 1 || is_digit((char)c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   c == '+' || c == '*' || c == '#';
        if (keep) {
            if (out->len > start)
                ivrsm_buf_putc(out, ' ');
            ivrsm_buf_append(out, text + i, n);
        }
        i += n;
    }
    return out->len > start ? 0 : 1;
}

/* The built-in locale whose country code starts `digits` with a national length of its own. */
static const struct ivrsm_locale *phone_plan_of(const char *digits, size_t len, size_t *cc_len)
{
    for (size_t i = 0;; i++) {
        const struct ivrsm_locale *l = ivrsm_locale_at(i);
        if (!l)
            return NULL;
        size_t cl = strlen(l->country_code);
        if (cl < len && memcmp(l->country_code, digits, cl) == 0 &&
            (int)(len - cl) >= l->national_digits_min &&
            (int)(len - cl) <= l->national_digits_max) {
            *cc_len = cl;
            return l;
        }
    }
}

/* The format of a national number: the first whose prefix and length fit. */
static const char *phone_groups(const struct ivrsm_locale *plan, const char *national, size_t len)
{
    for (const struct ivrsm_phone_format *f = plan->say.phone_formats; f && f->groups; f++) {
        size_t pl = strlen(f->prefix);
        if (pl <= len && memcmp(f->prefix, national, pl) == 0 &&
            (f->digits == 0 || (size_t)f->digits == len))
            return f->groups;
    }
    return "3";
}

/* Says a group: as a number ("12"), or digit by digit ("0 6") when the speaker says
 * phone numbers that way, the group starts with 0, or it is larger than the
 * speaker reads as one group of a number (digit_group_max: 99 in French). */
static void say_phone_group(ivrsm_buf *out, const char *g, size_t n, int by_digit, int group_max)
{
    int value = n <= 4 ? digits_value(g, n) : -1;
    if (!by_digit && !(g[0] == '0' && n > 1) && value >= 0 && value <= group_max) {
        ivrsm_buf_append(out, g, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            ivrsm_buf_putc(out, ' ');
        ivrsm_buf_putc(out, g[i]);
    }
}

/* Says digits in the groups of `groups` ("3 3 4"; the last size repeats), joined by ", ". */
static void say_grouped(ivrsm_buf *out, const char *digits, size_t len, const char *groups,
                        int by_digit, int group_max)
{
    size_t at = 0;
    int size = 3;
    const char *g = groups;
    while (at < len) {
        while (*g == ' ')
            g++;
        if (is_digit(*g)) {
            size = 0;
            while (is_digit(*g))
                size = size * 10 + (*g++ - '0');
            if (size < 1)
                size = 1;
        }
        size_t n = (size_t)size;
        if (n > len - at)
            n = len - at;
        if (at)
            ivrsm_buf_puts(out, ", ");
        say_phone_group(out, digits + at, n, by_digit, group_max);
        at += n;
    }
}

#define PHONE_MAX_DIGITS 20

static int say_phone(ivrsm_buf *out, const struct ivrsm_locale *loc, const char *text, size_t len)
{
    int by_digit = loc->say.phone_by_digit;
    int international = len > 0 && text[0] == '+';
    char digits[PHONE_MAX_DIGITS + 1];
    size_t n = 0;
    for (size_t i = international; i < len; i++) {
        if (is_digit(text[i]) && n < PHONE_MAX_DIGITS)
            digits[n++] = text[i];
        else if (!(text[i] == ' ' || text[i] == '-' || text[i] == '.') || n == PHONE_MAX_DIGITS)
            return 1; /* not a phone number: said as written */
    }
    if (n == 0)
        return 1;
    digits[n] = '\0';
    const struct ivrsm_locale *plan = loc;
    const char *national = digits;
    size_t national_len = n;
    if (international) {
        size_t cc_len = 0;
        plan = phone_plan_of(digits, n, &cc_len);
        if (!plan) {
            /* a country without a table: "+", then digit by digit in threes */
            ivrsm_buf_putc(out, '+');
            say_grouped(out, digits, n, "3", 1, 0);
            return 0;
        }
        national = digits + cc_len;
        national_len = n - cc_len;
    }
    /* National numbers start with the trunk prefix, except where it is the country code
     * (the 1 of North America) or there is none (Spain). */
    char with_trunk[PHONE_MAX_DIGITS + 8];
    const char *trunk = plan->trunk_prefix ? plan->trunk_prefix : "";
    size_t tl = strlen(trunk);
    if (international && tl && strcmp(trunk, plan->country_code) != 0 &&
        tl + national_len < sizeof(with_trunk)) {
        memcpy(with_trunk, trunk, tl);
        memcpy(with_trunk + tl, national, national_len);
        national = with_trunk;
        national_len += tl;
    }
    say_grouped(out, national, national_len, phone_groups(plan, national, national_len), by_digit,
                loc->digit_group_max);
    return 0;
}

int ivrsm_say(ivrsm_buf *out, int format, const char *text, size_t len, int truthy,
              const ivrsm_locale *loc, const char *today)
{
    if (!loc)
        loc = ivrsm_locale_at(0);
    const struct ivrsm_locale_say *say = &loc->say;
    size_t mark = out->len;
    int r;
    switch (format) {
    case IVRSM_SAY_DATE:
        r = say_date_value(out, say, text, len, today);
        break;
    case IVRSM_SAY_WEEKDAY:
        r = say_weekday(out, say, text, len);
        break;
    case IVRSM_SAY_TIME:
        r = say_time(out, say, text, len);
        break;
    case IVRSM_SAY_NUMBER:
        r = say_number_value(out, say, text, len);
        break;
    case IVRSM_SAY_MONEY:
        r = say_money(out, say, text, len);
        break;
    case IVRSM_SAY_CENTS:
        r = say_cents(out, say, text, len);
        break;
    case IVRSM_SAY_DIGITS:
        r = say_characters(out, text, len);
        break;
    case IVRSM_SAY_PHONE:
        r = say_phone(out, loc, text, len);
        break;
    case IVRSM_SAY_YESNO:
        r = ivrsm_buf_puts(out, say->yes_no[!truthy]) == 0 ? 0 : -1;
        break;
    default:
        r = 1;
        break;
    }
    if (out->failed)
        return -1;
    if (r >= 1 && out->data) {
        out->len = mark; /* nothing half written */
        out->data[mark] = '\0';
    }
    return r;
}
