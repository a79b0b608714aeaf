/*
 * Collect mode "phone": a telephone number keyed or said, in E.164.
 *
 * Accepted, with the locale's codes (fr-FR: country 33, trunk 0, 9 digits):
 *   national       "0612345678", "06 12 34 56 78", "zéro six douze trente-quatre..."
 *   without trunk  "612345678" (as keyed by callers who skip the 0)
 *   international  "+33612345678", "0033612345678", "33612345678",
 *                  "plus trente-trois six douze...", keyed "*33612345678"
 *                  ("*" stands for "+" on a keypad); "+33 0 6..." drops the 0.
 *   other country  "+" or "00" then 8 to 15 digits not starting with 0.
 * A keyed number may end with "#". Anything else, or a wrong length, is not
 * a phone number.
 */
#include "collect.h"

#include "locale.h"

#include <stdio.h>
#include <string.h>

/* E.164 numbers are at most 15 digits; a little room catches "too long". */
#define PHONE_DIGITS_CAP 40
#define E164_MIN_DIGITS 8
#define E164_MAX_DIGITS 15

static int starts_with(const char *s, const char *prefix)
{
    return prefix && prefix[0] && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int national_length_ok(const struct ivrsm_locale *loc, size_t n)
{
    return (int)n >= loc->national_digits_min && (int)n <= loc->national_digits_max;
}

/* A national significant number: the right length, not starting with 0. */
static int national_ok(const struct ivrsm_locale *loc, const char *nsn)
{
    return national_length_ok(loc, strlen(nsn)) && nsn[0] != '0';
}

static int write_e164(ivrsm_collect_value *out, const char *country, const char *nsn)
{
    int n = snprintf(out->text, sizeof out->text, "+%s%s", country, nsn);
    return n > 0 && (size_t)n < sizeof out->text ? 0 : 1;
}

/* After a "+": the locale's own country code is checked strictly, others loosely. */
static int international_to_e164(const struct ivrsm_locale *loc, const char *digits,
                                 ivrsm_collect_value *out)
{
    if (starts_with(digits, loc->country_code)) {
        const char *nsn = digits + strlen(loc->country_code);
        /* "+33 0 6 12..." is a common way to say it: the trunk prefix is dropped. */
        if (starts_with(nsn, loc->trunk_prefix) && national_ok(loc, nsn + strlen(loc->trunk_prefix)))
            nsn += strlen(loc->trunk_prefix);
        if (!national_ok(loc, nsn))
            return 1;
        return write_e164(out, loc->country_code, nsn);
    }
    size_t n = strlen(digits);
    if (n < E164_MIN_DIGITS || n > E164_MAX_DIGITS || digits[0] == '0')
        return 1;
    return write_e164(out, "", digits);
}

static int digits_to_e164(const struct ivrsm_locale *loc, const char *digits, int has_plus,
                          ivrsm_collect_value *out)
{
    if (digits[0] == '\0')
        return 1;
    if (has_plus)
        return international_to_e164(loc, digits, out);
    if (starts_with(digits, loc->international_prefix))
        return international_to_e164(loc, digits + strlen(loc->international_prefix), out);
    if (starts_with(digits, loc->trunk_prefix) && national_ok(loc, digits + strlen(loc->trunk_prefix)))
        return write_e164(out, loc->country_code, digits + strlen(loc->trunk_prefix));
    if (national_ok(loc, digits))
        return write_e164(out, loc->country_code, digits);
    if (starts_with(digits, loc->country_code) &&
        national_ok(loc, digits + strlen(loc->country_code)))
        return write_e164(out, loc->country_code, digits + strlen(loc->country_code));
    return 1;
}

/* Keyed: digits, an optional leading "*" or "+" for "+", an optional final "#". */
static int phone_from_keys(const struct ivrsm_locale *loc, const char *in, size_t len,
                           ivrsm_collect_value *out)
{
    char digits[PHONE_DIGITS_CAP];
    size_t n = 0;
    int has_plus = 0;
    size_t i = 0;
    if (len > 0 && (in[0] == '*' || in[0] == '+')) {
        has_plus = 1;
        i = 1;
    }
    if (len > i && in[len - 1] == '#')
        len--;
    for (; i < len; i++) {
        if (in[i] < '0' || in[i] > '9' || n + 1 >= sizeof digits)
            return 1;
        digits[n++] = in[i];
    }
    digits[n] = '\0';
    return digits_to_e164(loc, digits, has_plus, out);
}

/* A "+" written by the recogniser in front of the number ("+33 6 12 ..."). */
static int leading_plus_sign(const char *in, size_t len)
{
    size_t i = 0;
    while (i < len && (in[i] == ' ' || in[i] == '\t'))
        i++;
    return i < len && in[i] == '+';
}

static int phone_from_speech(const struct ivrsm_locale *loc, const char *in, size_t len,
                             ivrsm_collect_value *out)
{
    struct ivrsm_words w;
    if (ivrsm_words_split(&w, in, len, 0) != 0)
        return 1;
    int has_plus = leading_plus_sign(in, len);
    size_t at = ivrsm_words_skip_any(&w, 0, loc->digit_fillers);
    size_t plus = ivrsm_words_match_any(&w, at, loc->plus_words, NULL);
    if (plus > 0) {
        has_plus = 1;
        at += plus;
    }
    char digits[PHONE_DIGITS_CAP];
    if (ivrsm_words_digits(loc, &w, at, digits, sizeof digits) < 0)
        return 1;
    return digits_to_e164(loc, digits, has_plus, out);
}

int ivrsm_collect_phone(const ivrsm_collect_params *params, const char *in, size_t len,
                        int is_dtmf, ivrsm_collect_value *out)
{
    const struct ivrsm_locale *loc = params->locale;
    int rc = is_dtmf ? phone_from_keys(loc, in, len, out) : phone_from_speech(loc, in, len, out);
    if (rc != 0)
        out->text[0] = '\0';
    return rc;
}
