/*
 * Collect mode "digits": a number of min to max digits (an account number, a
 * PIN, a card number, an amount in cents), keyed with or without a final
 * terminator, or said digit by digit, in pairs or groups as the locale reads
 * them ("quatre cinq six", "douze trente-quatre"). With check luhn, the
 * last digit must be the Luhn check digit of the others (card numbers).
 * With a value range (min_value, max_value: a score of 1 to 5, an amount),
 * the digits are a number that must lie in it, and a spoken reading outside
 * it gives way to the next ("vingt et un" is 21, or 20 then 1).
 */
#include "collect.h"

#include "locale_tables.h"
#include "words.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

bool ivrsm_luhn_valid(const char *digits, size_t len)
{
    if (len < 2)
        return false;
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(digits[len - 1 - i] - '0');
        if (d > 9)
            return false;
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

/* Whether the number the digits write lies in the collect's range (leading zeros aside). */
static bool in_range(const ivrsm_collect_params *p, const char *digits, size_t len)
{
    while (len > 1 && *digits == '0') {
        digits++;
        len--;
    }
    if (len > 18) /* more than IVRSM_COLLECT_VALUE_MAX can be */
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (digits[i] - '0');
    return v >= p->digits_value_min && v <= p->digits_value_max;
}

static bool acceptable(const ivrsm_collect_params *p, const char *digits, size_t len)
{
    size_t lo = p->digits_min > 0 ? (size_t)p->digits_min : 1;
    size_t hi = p->digits_max > 0 ? (size_t)p->digits_max : IVRSM_COLLECT_DIGITS_MAX;
    return len >= lo && len <= hi && (!p->digits_luhn || ivrsm_luhn_valid(digits, len)) &&
           (!p->digits_range || in_range(p, digits, len));
}

/* Words a caller may say before the digits ("my account number is"): at most this many. */
#define DIGITS_LEAD_WORDS_MAX 6
/* The fewest digits of a code said after such words: the shortest PIN. */
#define DIGITS_LEAD_CODE_MIN 4

typedef struct reading {
    const ivrsm_collect_params *p;
} reading;

/* A spoken reading is taken when its length (and check digit) fit. */
static int accept_reading(const char *digits, size_t len, uint64_t pair_ends, void *ctx)
{
    (void)pair_ends;
    const reading *r = ctx;
    return acceptable(r->p, digits, len) ? IVRSM_DIGITS_TAKE : IVRSM_DIGITS_REJECT;
}

int ivrsm_collect_digits(const ivrsm_collect_params *p, const char *in, size_t len, int is_dtmf,
                         ivrsm_collect_value *out)
{
    char digits[IVRSM_COLLECT_DIGITS_MAX + 2];
    size_t n = 0;
    if (is_dtmf) {
        /* One terminator may close the entry: "1234#". */
        const char *term = p->digits_terminator ? p->digits_terminator : "#";
        if (len > 0 && *term && strchr(term, in[len - 1]))
            len--;
        if (len > IVRSM_COLLECT_DIGITS_MAX)
            return 1;
        for (size_t i = 0; i < len; i++) {
            if (in[i] < '0' || in[i] > '9')
                return 1;
            digits[n++] = in[i];
        }
        digits[n] = '\0';
        if (!acceptable(p, digits, n))
            return 1;
    } else {
        struct ivrsm_words w;
        reading r = {p};
        if (ivrsm_words_split(&w, p->locale, in, len, 0) != 0)
            return 1;
        /* "my prescription number is 4 5 6 7 8 9 0": a code after a few words naming it, of
         * DIGITS_LEAD_CODE_MIN digits or more ("la nota es 5" is no code: a number in a
         * sentence is read as a quantity, in a range only). */
        size_t from = 0;
        int rc = ivrsm_words_digits(p->locale, &w, 0, digits, sizeof digits, accept_reading, &r);
        if (rc != 0 && (from = ivrsm_words_lead_in(p->locale, &w, DIGITS_LEAD_WORDS_MAX)) > 0) {
            rc = ivrsm_words_digits(p->locale, &w, from, digits, sizeof digits, accept_reading, &r);
            if (rc == 0 && strlen(digits) < DIGITS_LEAD_CODE_MIN)
                rc = 1;
        }
        if (rc != 0) {
            /* A number in a range may be said as a quantity, in a sentence, with its unit:
             * "drei Tage", "deux mille trois cents euros", "la nota es 5". */
            int64_t q;
            if (!p->digits_range || ivrsm_words_quantity(p->locale, &w, &q) != 0)
                return 1;
            snprintf(digits, sizeof digits, "%lld", (long long)q);
            if (!acceptable(p, digits, strlen(digits)))
                return 1;
        }
        n = strlen(digits);
    }
    const char *value = digits;
    if (p->digits_range) /* a number: "05" is 5 */
        while (n > 1 && *value == '0') {
            value++;
            n--;
        }
    memcpy(out->text, value, n + 1);
    return 0;
}
