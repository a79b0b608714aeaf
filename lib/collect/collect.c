/*
 * Collect: argument checks and dispatch to the parser of each mode, and the
 * locale registry.
 */
#include "collect.h"

#include "locale_tables.h"

#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Locales
 * ------------------------------------------------------------------------- */

static const struct ivrsm_locale *const builtin_locales[] = {
    &ivrsm_locale_fr_fr,
    &ivrsm_locale_fr_be,
    &ivrsm_locale_fr_ch,
};

/* Tags compare case-insensitively, and "fr_FR" (POSIX style) equals "fr-FR". */
static int tag_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = *a == '_' ? '-' : *a;
        char cb = *b == '_' ? '-' : *b;
        if (ca >= 'A' && ca <= 'Z')
            ca = (char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (char)(cb - 'A' + 'a');
        if (ca != cb)
            return 0;
        if (ca == '\0')
            return 1;
    }
}

const ivrsm_locale *ivrsm_locale_find(const char *tag)
{
    if (!tag)
        return NULL;
    for (size_t i = 0; i < sizeof builtin_locales / sizeof builtin_locales[0]; i++) {
        for (const char *const *t = builtin_locales[i]->tags; *t; t++) {
            if (tag_equal(tag, *t))
                return builtin_locales[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Modes and dispatch
 * ------------------------------------------------------------------------- */

static const char *const mode_names[] = {
    [IVRSM_COLLECT_NONE] = "none",
    [IVRSM_COLLECT_PHONE] = "phone",
    [IVRSM_COLLECT_OTP] = "otp",
    [IVRSM_COLLECT_DATE_NL] = "date_nl",
    [IVRSM_COLLECT_FREE_SPEECH_OR_NO] = "free_speech_or_no",
};

#define MODE_COUNT (sizeof mode_names / sizeof mode_names[0])

ivrsm_collect_mode ivrsm_collect_mode_from_name(const char *name)
{
    if (!name)
        return IVRSM_COLLECT_NONE;
    for (size_t i = IVRSM_COLLECT_PHONE; i < MODE_COUNT; i++) {
        if (strcmp(name, mode_names[i]) == 0)
            return (ivrsm_collect_mode)i;
    }
    return IVRSM_COLLECT_NONE;
}

const char *ivrsm_collect_mode_name(ivrsm_collect_mode mode)
{
    if ((unsigned)mode >= MODE_COUNT)
        return "none";
    return mode_names[mode];
}

int ivrsm_collect_parse(ivrsm_collect_mode mode, const ivrsm_collect_params *params,
                        const char *input, size_t len, int is_dtmf, ivrsm_collect_value *out)
{
    if (!params || !params->locale || !out || (!input && len > 0))
        return -1;
    if (mode < IVRSM_COLLECT_PHONE || mode > IVRSM_COLLECT_FREE_SPEECH_OR_NO)
        return -1;
    if (params->otp_length < 0 || params->otp_length > IVRSM_COLLECT_OTP_MAX ||
        params->asap_days < 0 || params->asap_days > IVRSM_COLLECT_ASAP_DAYS_MAX)
        return -1;
    if (mode == IVRSM_COLLECT_DATE_NL && !params->tz)
        return -1;
    out->text[0] = '\0';
    out->date_to[0] = '\0';
    out->said_no = 0;
    if (!input)
        input = "";
    /* A NUL inside a transcript or key string means it was damaged on the way: never a value. */
    if (memchr(input, '\0', len) != NULL)
        return 1;
    switch (mode) {
    case IVRSM_COLLECT_PHONE:
        return ivrsm_collect_phone(params, input, len, is_dtmf, out);
    case IVRSM_COLLECT_OTP:
        return ivrsm_collect_otp(params, input, len, is_dtmf, out);
    case IVRSM_COLLECT_DATE_NL:
        return ivrsm_collect_date_nl(params, input, len, is_dtmf, out);
    case IVRSM_COLLECT_FREE_SPEECH_OR_NO:
    default:
        return ivrsm_collect_free_speech_or_no(params, input, len, is_dtmf, out);
    }
}
