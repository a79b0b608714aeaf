/*
 * Fuzz target: the collect parsers. The first byte picks one of a few fixed
 * clocks (ordinary days, the eves of both daylight-saving changes, a leap
 * day, the last day of a year), the OTP length and the "as soon as possible"
 * window; the rest is the caller's input, parsed in every mode, as keyed
 * digits and as a transcript, in Europe/Paris with one of the built-in
 * locales chosen by the input's hash (every locale in the corpus replay).
 *
 * Invariants: no crash, leak or hang; only 0 (a value) or 1 (not a value);
 * parsing is deterministic; a phone number is E.164 ("+" and 8 to 15 digits,
 * not starting with 0); an OTP has exactly the digits asked for; a date
 * window is two real "YYYY-MM-DD" days, from <= to, never before today; a
 * caller who declined leaves no comment.
 */
#include <string.h>

#include "civil.h"
#include "collect.h"
#include "fuzz_util.h"

/* Milliseconds since the epoch of the fixed clocks. */
static const int64_t clocks_ms[] = {
    1717408800000, /* 2024-06-03 10:00 UTC, a Monday */
    1711846800000, /* 2024-03-31 01:00 UTC, the morning clocks go forward */
    1729980000000, /* 2024-10-26 22:00 UTC, the evening before clocks go back */
    1709208000000, /* 2024-02-29 12:00 UTC, a leap day */
    1767221999000, /* 2025-12-31 22:59:59 UTC, the last hour of the year in Paris */
    0,             /* the epoch: what a session without a clock uses */
};
#define CLOCK_COUNT (sizeof(clocks_ms) / sizeof(clocks_ms[0]))

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "YYYY-MM-DD" naming a real day; its day number in *days. */
static int parse_day(const char *s, int64_t *days)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) ||
        !all_digits(s + 5, 2) || !all_digits(s + 8, 2))
        return 0;
    int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > ivrsm_days_in_month(y, m))
        return 0;
    *days = ivrsm_days_from_civil(y, m, d);
    return 1;
}

static int64_t local_today(const ivrsm_tz *tz, int64_t now_ms)
{
    int64_t secs = ivrsm_floor_div(now_ms, 1000);
    return ivrsm_floor_div(secs + ivrsm_tz_offset(tz, secs), 86400);
}

static void check_value(ivrsm_collect_mode mode, const ivrsm_collect_params *p,
                        const ivrsm_collect_value *v)
{
    size_t n = strnlen(v->text, sizeof(v->text));
    FUZZ_CHECK(n < sizeof(v->text), "value text not terminated");
    switch (mode) {
    case IVRSM_COLLECT_PHONE:
        FUZZ_CHECK(v->text[0] == '+' && n >= 9 && n <= 16 && all_digits(v->text + 1, n - 1) &&
                       v->text[1] != '0',
                   "not E.164: '%s'", v->text);
        break;
    case IVRSM_COLLECT_OTP: {
        size_t want = p->otp_length ? (size_t)p->otp_length : 6;
        FUZZ_CHECK(n == want && all_digits(v->text, n), "OTP '%s', %zu digits wanted", v->text,
                   want);
        break;
    }
    case IVRSM_COLLECT_DATE_NL: {
        int64_t from, to;
        FUZZ_CHECK(parse_day(v->text, &from), "date_from '%s'", v->text);
        FUZZ_CHECK(parse_day(v->date_to, &to), "date_to '%s'", v->date_to);
        FUZZ_CHECK(from <= to, "window %s .. %s backwards", v->text, v->date_to);
        FUZZ_CHECK(from >= local_today(p->tz, p->now_ms), "window %s .. %s in the past", v->text,
                   v->date_to);
        break;
    }
    case IVRSM_COLLECT_DATE_PAST: {
        int64_t day, today = local_today(p->tz, p->now_ms);
        int years = p->past_years ? p->past_years : IVRSM_COLLECT_PAST_YEARS_DEFAULT;
        FUZZ_CHECK(parse_day(v->text, &day), "date '%s'", v->text);
        FUZZ_CHECK(day <= today, "date %s after today", v->text);
        FUZZ_CHECK(today - day <= 366 * (int64_t)years, "date %s further back than %d years",
                   v->text, years);
        break;
    }
    case IVRSM_COLLECT_FREE_SPEECH_OR_NO:
        FUZZ_CHECK(!v->said_no || n == 0, "declined with a comment '%s'", v->text);
        FUZZ_CHECK(v->said_no || n > 0, "an empty comment that is not a refusal");
        break;
    case IVRSM_COLLECT_DIGITS: {
        size_t lo = p->digits_min ? (size_t)p->digits_min : 1;
        size_t hi = p->digits_max ? (size_t)p->digits_max : IVRSM_COLLECT_DIGITS_MAX;
        FUZZ_CHECK(n >= lo && n <= hi && all_digits(v->text, n), "digits '%s', %zu to %zu wanted",
                   v->text, lo, hi);
        FUZZ_CHECK(!p->digits_luhn || ivrsm_luhn_valid(v->text, n), "'%s' fails the Luhn check",
                   v->text);
        break;
    }
    case IVRSM_COLLECT_REFERENCE: {
        bool shaped = n >= 1 && n <= IVRSM_COLLECT_REFERENCE_MAX;
        for (size_t i = 0; shaped && i < n; i++)
            shaped = (v->text[i] >= 'A' && v->text[i] <= 'Z') ||
                     (v->text[i] >= '0' && v->text[i] <= '9');
        FUZZ_CHECK(shaped, "reference '%s' is not capitals and digits", v->text);
        break;
    }
    case IVRSM_COLLECT_NONE:
        break;
    }
}

static void parse_all_ways(const ivrsm_collect_params *p, const char *input, size_t len)
{
    static const ivrsm_collect_mode modes[] = {
        IVRSM_COLLECT_PHONE, IVRSM_COLLECT_OTP, IVRSM_COLLECT_DATE_NL,
        IVRSM_COLLECT_FREE_SPEECH_OR_NO, IVRSM_COLLECT_DIGITS, IVRSM_COLLECT_DATE_PAST,
        IVRSM_COLLECT_REFERENCE};
    ivrsm_collect_value *v = malloc(sizeof(*v));
    ivrsm_collect_value *again = malloc(sizeof(*again));
    FUZZ_CHECK(v && again, "out of memory");
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        for (int is_dtmf = 0; is_dtmf <= 1; is_dtmf++) {
            int rc = ivrsm_collect_parse(modes[i], p, input, len, is_dtmf, v);
            FUZZ_CHECK(rc == 0 || rc == 1, "mode %s returned %d", ivrsm_collect_mode_name(modes[i]),
                       rc);
            int rc2 = ivrsm_collect_parse(modes[i], p, input, len, is_dtmf, again);
            FUZZ_CHECK(rc == rc2, "mode %s: %d then %d", ivrsm_collect_mode_name(modes[i]), rc,
                       rc2);
            if (rc != 0)
                continue;
            FUZZ_CHECK(!strcmp(v->text, again->text) && !strcmp(v->date_to, again->date_to) &&
                           v->said_no == again->said_no,
                       "mode %s: '%s' then '%s'", ivrsm_collect_mode_name(modes[i]), v->text,
                       again->text);
            check_value(modes[i], p, v);
        }
    }
    free(v);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > IVRSM_COLLECT_TEXT_MAX + 1)
        return 0;
    static const int otp_lengths[] = {0, 4, 6, 8, 1, IVRSM_COLLECT_OTP_MAX};
    static const int asap_days[] = {0, 1, 7, IVRSM_COLLECT_ASAP_DAYS_MAX};
    uint8_t knobs = data[0];
    ivrsm_tz *tz = ivrsm_tz_new("Europe/Paris", ivrsm_mem_default());
    FUZZ_CHECK(tz != NULL, "no Europe/Paris");
    ivrsm_collect_params p = {0};
    p.tz = tz;
    p.now_ms = clocks_ms[knobs % CLOCK_COUNT];
    p.otp_length = otp_lengths[(knobs / CLOCK_COUNT) % 6];
    p.asap_days = asap_days[(knobs / (CLOCK_COUNT * 6)) % 4];
    /* Digits: 4 (a PIN), 1 to 12, 13 to 19 with a Luhn check (card numbers), any length. */
    static const int digit_bounds[][3] = {{4, 4, 0}, {1, 12, 0}, {13, 19, 1}, {0, 0, 0}};
    const int *bounds = digit_bounds[(knobs / (CLOCK_COUNT * 24)) % 4];
    p.digits_min = bounds[0];
    p.digits_max = bounds[1];
    p.digits_luhn = bounds[2];
    /* References: a parcel number, a booking code of letters or digits, a keyed number. */
    static const char *const references[] = {"AA999999999AA", "XXXXXX|AA9999", "999999"};
    p.reference_patterns = references[size % 3];
    /* A copy of exactly the input's length, so the sanitizers see any over-read. */
    size_t len = size - 1;
    char *input = malloc(len ? len : 1);
    FUZZ_CHECK(input != NULL, "out of memory");
    memcpy(input, data + 1, len);
#ifdef IVRSM_LIBFUZZER
    /* One built-in locale per input, by the input's hash (a given input always parses the same
     * way): parsing in all of them made each input cost as many. */
    size_t locales = 0;
    while (ivrsm_locale_at(locales))
        locales++;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    p.locale = ivrsm_locale_at(h % locales);
    parse_all_ways(&p, input, len);
#else
    /* The corpus replay parses each kept input in every locale. */
    for (size_t i = 0; (p.locale = ivrsm_locale_at(i)) != NULL; i++)
        parse_all_ways(&p, input, len);
#endif
    free(input);
    ivrsm_tz_free(tz);
    return 0;
}
