/*
 * Collect mode "otp": a one-time code of exactly N digits (params->otp_length,
 * 6 when 0), keyed with or without a final "#", or said digit by digit, in
 * pairs ("douze trente-quatre cinquante-six"), as digits ("123 456") or any
 * mix. Any other word, or another number of digits, is not a code.
 */
#include "collect.h"

#include "locale_tables.h"
#include "words.h"

#include <stdint.h>
#include <string.h>

#define OTP_DEFAULT_LENGTH 6

static int otp_from_keys(const char *in, size_t len, char *digits, size_t cap)
{
    if (len > 0 && in[len - 1] == '#')
        len--;
    if (len + 1 > cap)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (in[i] < '0' || in[i] > '9')
            return -1;
        digits[i] = in[i];
    }
    digits[len] = '\0';
    return (int)len;
}

/* Takes the first reading of the words with exactly the expected number of digits. */
static int accept_otp_digits(const char *digits, size_t len, uint64_t pair_ends, void *ctx)
{
    (void)digits;
    (void)pair_ends;
    return len == *(const size_t *)ctx ? IVRSM_DIGITS_TAKE : IVRSM_DIGITS_REJECT;
}

int ivrsm_collect_otp(const ivrsm_collect_params *params, const char *in, size_t len, int is_dtmf,
                      ivrsm_collect_value *out)
{
    int expected = params->otp_length > 0 ? params->otp_length : OTP_DEFAULT_LENGTH;
    char digits[IVRSM_COLLECT_OTP_MAX + 2];
    if (is_dtmf) {
        if (otp_from_keys(in, len, digits, sizeof digits) != expected)
            return 1;
    } else {
        struct ivrsm_words w;
        size_t wanted = (size_t)expected;
        /* Room for exactly the expected digits: longer readings are cut short early. */
        if (ivrsm_words_split(&w, params->locale, in, len, 0) != 0 ||
            ivrsm_words_digits(params->locale, &w, 0, digits, wanted + 1, accept_otp_digits,
                               &wanted) != 0)
            return 1;
    }
    memcpy(out->text, digits, (size_t)expected + 1);
    return 0;
}
