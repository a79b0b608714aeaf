/*
 * Collect mode "phone": a telephone number keyed or said, in E.164.
 *
 * Accepted, with the locale's codes (fr-FR: country 33, trunk 0, 9 digits;
 * en-US: country 1, trunk 1, 10 digits starting with 2-9; es-ES: no trunk):
 *   national       "0612345678", "06 12 34 56 78", "zéro six douze trente-quatre..."
 *   without trunk  "612345678" (as keyed by callers who skip the 0), where the
 *                  locale allows it (national_without_trunk; not in Germany,
 *                  where national numbers vary in length)
 *   international  "+33612345678", "0033612345678", "33612345678",
 *                  "plus trente-trois six douze...", keyed "*33612345678"
 *                  ("*" stands for "+" on a keypad); "+33 0 6..." drops the 0.
 *   other country  "+" or "00" then 8 to 15 digits not starting with 0.
 * A keyed number may end with "#". Anything else, or a wrong length, is not
 * a phone number. The words are the locale's; the numbering plan is
 * params->phone_plan's when given (English words for a French number).
 */
#include "collect.h"

#include "ivrsm/ivrsm.h"

#include "locale_tables.h"
#include "words.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* E.164 numbers are at most 15 digits, with "00" 17; the rest is never a number. */
#define PHONE_DIGITS_CAP 20
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

/* A national significant number: the right length and first digit (never 0). */
static int national_ok(const struct ivrsm_locale *loc, const char *nsn)
{
    if (!national_length_ok(loc, strlen(nsn)) || nsn[0] == '0')
        return 0;
    return !loc->national_leading || strchr(loc->national_leading, nsn[0]) != NULL;
}

/* A number split into its country code and national significant number. */
struct phone_number {
    const char *country; /* "33", or "" when the country code is the start of nsn */
    const char *nsn;     /* points into the digit string */
};

/* After a "+": the locale's own country code is checked strictly, others loosely. */
static int split_international(const struct ivrsm_locale *loc, const char *digits,
                               struct phone_number *num)
{
    if (starts_with(digits, loc->country_code)) {
        const char *nsn = digits + strlen(loc->country_code);
        /* "+33 0 6 12..." is a common way to say it: the trunk prefix is dropped. */
        if (starts_with(nsn, loc->trunk_prefix) &&
            national_ok(loc, nsn + strlen(loc->trunk_prefix)))
            nsn += strlen(loc->trunk_prefix);
        if (!national_ok(loc, nsn))
            return 1;
        num->country = loc->country_code;
        num->nsn = nsn;
        return 0;
    }
    size_t n = strlen(digits);
    if (n < E164_MIN_DIGITS || n > E164_MAX_DIGITS || digits[0] == '0')
        return 1;
    num->country = "";
    num->nsn = digits;
    return 0;
}

static int split_number(const struct ivrsm_locale *loc, const char *digits, int has_plus,
                        struct phone_number *num)
{
    if (digits[0] == '\0')
        return 1;
    if (has_plus)
        return split_international(loc, digits, num);
    if (starts_with(digits, loc->international_prefix))
        return split_international(loc, digits + strlen(loc->international_prefix), num);
    num->country = loc->country_code;
    if (starts_with(digits, loc->trunk_prefix) &&
        national_ok(loc, digits + strlen(loc->trunk_prefix)))
        num->nsn = digits + strlen(loc->trunk_prefix);
    else if ((loc->national_without_trunk || !loc->trunk_prefix || !loc->trunk_prefix[0]) &&
             national_ok(loc, digits))
        num->nsn = digits;
    else if (starts_with(digits, loc->country_code) &&
             national_ok(loc, digits + strlen(loc->country_code)))
        num->nsn = digits + strlen(loc->country_code);
    else
        return 1;
    return 0;
}

/* "+" country nsn, as "+%s%s" writes it (printf was most of a keyed number's cost). */
static int write_e164(const struct phone_number *num, char *out, size_t cap)
{
    size_t country = strlen(num->country), nsn = strlen(num->nsn);
    if (1 + country + nsn >= cap)
        return 1;
    out[0] = '+';
    memcpy(out + 1, num->country, country);
    memcpy(out + 1 + country, num->nsn, nsn + 1);
    return 0;
}

/* Keyed: digits, an optional leading "*" or "+" for "+", an optional final "#". */
static int phone_from_keys(const struct ivrsm_locale *loc, const char *in, size_t len, char *out,
                           size_t cap)
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
    struct phone_number num;
    if (split_number(loc, digits, has_plus, &num) != 0)
        return 1;
    return write_e164(&num, out, cap);
}

/* A "+" written by the recogniser in front of the number ("+33 6 12 ..."). */
static int leading_plus_sign(const char *in, size_t len)
{
    size_t i = 0;
    while (i < len && (in[i] == ' ' || in[i] == '\t'))
        i++;
    return i < len && in[i] == '+';
}

struct phone_speech {
    const struct ivrsm_locale *loc; /* the numbering plan */
    int has_plus;
    ivrsm_collect_value *out;
};

/*
 * A reading of the words that is a phone number is taken at once when its
 * two-digit numbers follow the pairs of the national number, counted from its
 * end ("zero quatre vingt deux..." is 04 22..., not 0 80 2...); numbers in the
 * country code or trunk prefix do not count ("trente trois" stays 33).
 * Otherwise it is kept in case no reading fits the pairs.
 */
static int accept_phone_digits(const char *digits, size_t len, uint64_t pair_ends, void *ctx)
{
    const struct phone_speech *p = ctx;
    struct phone_number num;
    if (split_number(p->loc, digits, p->has_plus, &num) != 0 ||
        write_e164(&num, p->out->text, sizeof p->out->text) != 0)
        return IVRSM_DIGITS_REJECT;
    const size_t nsn_start = (size_t)(num.nsn - digits);
    for (size_t end = nsn_start + 1; end <= len && end < 64; end++) {
        if ((pair_ends >> end & 1u) && (len - end) % 2 != 0)
            return IVRSM_DIGITS_FALLBACK;
    }
    return IVRSM_DIGITS_TAKE;
}

static int phone_from_speech(const struct ivrsm_locale *loc, const struct ivrsm_locale *plan,
                             const char *in, size_t len, ivrsm_collect_value *out)
{
    struct ivrsm_words w;
    if (ivrsm_words_split(&w, loc, in, len, 0) != 0)
        return 1;
    struct phone_speech ctx = {plan, leading_plus_sign(in, len), out};
    size_t at = ivrsm_words_skip_list(&w, 0, loc, IVRSM_LIST_digit_fillers);
    size_t plus = ivrsm_words_match_list(&w, at, loc, IVRSM_LIST_plus_words);
    if (plus > 0) {
        ctx.has_plus = 1;
        at += plus;
    }
    char digits[PHONE_DIGITS_CAP];
    return ivrsm_words_digits(loc, &w, at, digits, sizeof digits, accept_phone_digits, &ctx);
}

int ivrsm_collect_phone(const ivrsm_collect_params *params, const char *in, size_t len, int is_dtmf,
                        ivrsm_collect_value *out)
{
    const struct ivrsm_locale *loc = params->locale;
    const struct ivrsm_locale *plan = params->phone_plan ? params->phone_plan : loc;
    int rc = is_dtmf ? phone_from_keys(plan, in, len, out->text, sizeof out->text)
                     : phone_from_speech(loc, plan, in, len, out);
    if (rc != 0)
        out->text[0] = '\0';
    return rc;
}

int ivrsm_phone_e164_in(const ivrsm_locale *plan, const char *number, char *out, size_t outlen)
{
    if (!plan || !number || !out || outlen < IVRSM_E164_SIZE)
        return IVRSM_EINVAL;
    out[0] = '\0';
    /* Digits after an optional '+', as a caller id gives them: a keypad's '*' and '#' are not
     * part of a number here. */
    size_t len = strlen(number);
    size_t plus = number[0] == '+' ? 1 : 0;
    if (len == plus || strspn(number + plus, "0123456789") != len - plus)
        return IVRSM_EINVAL;
    if (phone_from_keys(plan, number, len, out, outlen) != 0) {
        out[0] = '\0';
        return IVRSM_EINVAL;
    }
    return 0;
}

int ivrsm_phone_e164(const char *region, const char *number, char *out, size_t outlen)
{
    if (!region || !number || !out || outlen < IVRSM_E164_SIZE)
        return IVRSM_EINVAL;
    out[0] = '\0';
    const ivrsm_locale *plan = ivrsm_locale_find(region);
    return plan ? ivrsm_phone_e164_in(plan, number, out, outlen) : IVRSM_ENOTFOUND;
}

int ivrsm_locale_phone_keys_min(const ivrsm_locale *loc)
{
    if (!loc)
        return 1;
    int trunk =
        loc->trunk_prefix && !loc->national_without_trunk ? (int)strlen(loc->trunk_prefix) : 0;
    return loc->national_digits_min + trunk;
}
