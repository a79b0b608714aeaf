/*
 * Collect mode "otp": a one-time code of exactly N digits (params->otp_length,
 * 6 when 0), keyed with or without a final "#", or said digit by digit, in
 * pairs ("douze trente-quatre cinquante-six"), as digits ("123 456") or any
 * mix. Any other word, or another number of digits, is not a code.
 */
#include "collect.h"

#include "locale.h"

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

int ivrsm_collect_otp(const ivrsm_collect_params *params, const char *in, size_t len, int is_dtmf,
                      ivrsm_collect_value *out)
{
    int expected = params->otp_length > 0 ? params->otp_length : OTP_DEFAULT_LENGTH;
    char digits[IVRSM_COLLECT_OTP_MAX + 2];
    int n;
    if (is_dtmf) {
        n = otp_from_keys(in, len, digits, sizeof digits);
    } else {
        struct ivrsm_words w;
        if (ivrsm_words_split(&w, in, len, 0) != 0)
            return 1;
        n = ivrsm_words_digits(params->locale, &w, 0, digits, sizeof digits);
    }
    if (n != expected)
        return 1;
    memcpy(out->text, digits, (size_t)n + 1);
    return 0;
}
