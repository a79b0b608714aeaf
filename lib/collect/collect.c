/*
 * Collect: argument checks and dispatch to the parser of each mode, and the
 * locale registry.
 */
#include "collect.h"

#include "locale_tables.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Locales
 * ------------------------------------------------------------------------- */

/* Adding a locale: its table (locale_XX.c), one line here, its cases in tests/locales/. */
static const struct ivrsm_locale *const builtin_locales[] = {
    &ivrsm_locale_fr_fr, &ivrsm_locale_fr_be, &ivrsm_locale_fr_ch, &ivrsm_locale_en_us,
    &ivrsm_locale_en_gb, &ivrsm_locale_es_es, &ivrsm_locale_de_de,
};

#define LOCALE_COUNT (sizeof builtin_locales / sizeof builtin_locales[0])

/* Tags compare case-insensitively, and "fr_FR" (POSIX style) equals "fr-FR". */
static char tag_char(char c)
{
    if (c == '_')
        return '-';
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int tag_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = tag_char(*a), cb = tag_char(*b);
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
    for (size_t i = 0; i < LOCALE_COUNT; i++) {
        for (const char *const *t = builtin_locales[i]->tags; *t; t++) {
            if (tag_equal(tag, *t))
                return builtin_locales[i];
        }
    }
    return NULL;
}

const ivrsm_locale *ivrsm_locale_at(size_t index)
{
    return index < LOCALE_COUNT ? builtin_locales[index] : NULL;
}

const char *ivrsm_locale_tag(const ivrsm_locale *loc)
{
    return loc ? loc->tag : NULL;
}

const char *ivrsm_locale_name(const ivrsm_locale *loc)
{
    return loc ? loc->name : NULL;
}

const struct ivrsm_text_rules *ivrsm_locale_text_rules(const ivrsm_locale *loc)
{
    return loc ? &loc->text : NULL;
}

int ivrsm_locale_place_ordinal(const ivrsm_locale *loc, const char *word, size_t len)
{
    for (const struct ivrsm_phrase_value *o = loc ? loc->position_ordinals : NULL; o && o->text;
         o++)
        if (len > 0 && o->text[0] == word[0] && strlen(o->text) == len &&
            memcmp(o->text, word, len) == 0)
            return o->value;
    return 0;
}

const char *ivrsm_locale_place_phrase(const ivrsm_locale *loc, size_t i, int *place)
{
    const struct ivrsm_phrase_value *r = loc ? loc->position_relative : NULL;
    for (size_t k = 0; r && r[k].text; k++)
        if (k == i) {
            *place = r[k].value;
            return r[k].text;
        }
    return NULL;
}

/* How many bytes a verb of change_verbs may have past its entry: "verschieb" + "ungen". */
#define CHANGE_ENDING_MAX 5

unsigned ivrsm_locale_change_kind(const ivrsm_locale *loc, const char *word, size_t len)
{
    unsigned kinds = 0;
    for (const struct ivrsm_phrase_value *v = loc ? loc->change_verbs : NULL; v && v->text; v++) {
        if (len == 0 || v->text[0] != word[0])
            continue;
        const size_t n = strlen(v->text);
        if (n <= len && len - n <= CHANGE_ENDING_MAX && memcmp(v->text, word, n) == 0)
            kinds |= (unsigned)v->value;
    }
    return kinds;
}

static bool word_in(const char *const *list, const char *word, size_t len)
{
    for (; list && *list; list++)
        if (len > 0 && (*list)[0] == word[0] && strlen(*list) == len &&
            memcmp(*list, word, len) == 0)
            return true;
    return false;
}

bool ivrsm_locale_is_possessive(const ivrsm_locale *loc, const char *word, size_t len)
{
    return loc && word_in(loc->possessives, word, len);
}

bool ivrsm_locale_is_new_word(const ivrsm_locale *loc, const char *word, size_t len)
{
    return loc && word_in(loc->new_words, word, len);
}

bool ivrsm_locale_reports_change(const ivrsm_locale *loc, const char *word, size_t len)
{
    return loc && word_in(loc->change_reported, word, len);
}

unsigned ivrsm_locale_phrase_change(const ivrsm_locale *loc, const char *phrase, size_t len)
{
    unsigned bits = 0;
    if (!loc || (!loc->change_verbs && !loc->new_words && !loc->possessives))
        return 0;
    for (size_t at = 0; at < len;) {
        size_t end = at;
        while (end < len && phrase[end] != ' ')
            end++;
        bits |= ivrsm_locale_change_kind(loc, phrase + at, end - at);
        if (word_in(loc->new_words, phrase + at, end - at))
            bits |= IVRSM_PHRASE_ASKS_NEW;
        if (word_in(loc->possessives, phrase + at, end - at))
            bits |= IVRSM_PHRASE_OWN;
        at = end + 1;
    }
    return bits;
}

const char *ivrsm_locale_possessive(const ivrsm_locale *loc, size_t i)
{
    for (size_t k = 0; loc && loc->possessives && loc->possessives[k]; k++)
        if (k == i)
            return loc->possessives[k];
    return NULL;
}

/* The language part of a tag: "en" of "en-AU", compared case-insensitively. */
static int same_language(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = tag_char(*a), cb = tag_char(*b);
        int end_a = ca == '\0' || ca == '-', end_b = cb == '\0' || cb == '-';
        if (end_a || end_b)
            return end_a && end_b;
        if (ca != cb)
            return 0;
    }
}

#define TAG_EDIT_MAX 16

/* Levenshtein distance of two short tags, case and '_' folded; large for long ones. */
static size_t tag_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > TAG_EDIT_MAX || lb > TAG_EDIT_MAX)
        return TAG_EDIT_MAX + 1;
    size_t row[TAG_EDIT_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t cost = tag_char(a[i - 1]) == tag_char(b[j - 1]) ? 0 : 1;
            size_t best = diagonal + cost;
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/* "english", "Spanish": the language's name in English, the first word of the locale's name. */
static int names_language(const char *tag, const ivrsm_locale *loc)
{
    size_t i = 0;
    for (; tag[i] && loc->name[i] && loc->name[i] != ' '; i++) {
        if (tag_char(tag[i]) != tag_char(loc->name[i]))
            return 0;
    }
    return !tag[i] && i > 0 && (!loc->name[i] || loc->name[i] == ' ');
}

const ivrsm_locale *ivrsm_locale_nearest(const char *tag)
{
    if (!tag || !*tag)
        return NULL;
    const ivrsm_locale *exact = ivrsm_locale_find(tag);
    if (exact)
        return exact;
    for (size_t i = 0; i < LOCALE_COUNT; i++) {
        if (same_language(tag, builtin_locales[i]->tag) || names_language(tag, builtin_locales[i]))
            return builtin_locales[i];
    }
    const ivrsm_locale *best = NULL;
    size_t best_distance = 3; /* more edits than this is another tag, not a typo */
    for (size_t i = 0; i < LOCALE_COUNT; i++) {
        size_t d = tag_distance(tag, builtin_locales[i]->tag);
        if (d < best_distance) {
            best_distance = d;
            best = builtin_locales[i];
        }
    }
    return best;
}

char *ivrsm_locale_list(char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < LOCALE_COUNT; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", builtin_locales[i]->tag);
        if (n < 0 || (size_t)n >= cap - used) {
            buf[used] = '\0'; /* whole tags only */
            break;
        }
        used += (size_t)n;
    }
    return buf;
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
    [IVRSM_COLLECT_DIGITS] = "digits",
    [IVRSM_COLLECT_DATE_PAST] = "date_past",
    [IVRSM_COLLECT_REFERENCE] = "reference",
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
    if (mode < IVRSM_COLLECT_PHONE || mode > IVRSM_COLLECT_REFERENCE)
        return -1;
    if (mode == IVRSM_COLLECT_REFERENCE &&
        ivrsm_reference_patterns_check(params->reference_patterns))
        return -1;
    if (params->digits_min < 0 || params->digits_max < 0 ||
        params->digits_min > IVRSM_COLLECT_DIGITS_MAX ||
        params->digits_max > IVRSM_COLLECT_DIGITS_MAX ||
        (params->digits_max && params->digits_min > params->digits_max))
        return -1;
    if (params->digits_range &&
        (params->digits_value_min < 0 || params->digits_value_max > IVRSM_COLLECT_VALUE_MAX ||
         params->digits_value_min > params->digits_value_max))
        return -1;
    if (params->otp_length < 0 || params->otp_length > IVRSM_COLLECT_OTP_MAX ||
        params->asap_days < 0 || params->asap_days > IVRSM_COLLECT_ASAP_DAYS_MAX ||
        params->past_years < 0 || params->past_years > IVRSM_COLLECT_PAST_YEARS_MAX)
        return -1;
    if ((mode == IVRSM_COLLECT_DATE_NL || mode == IVRSM_COLLECT_DATE_PAST) && !params->tz)
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
    case IVRSM_COLLECT_DIGITS:
        return ivrsm_collect_digits(params, input, len, is_dtmf, out);
    case IVRSM_COLLECT_DATE_PAST:
        return ivrsm_collect_date_past(params, input, len, is_dtmf, out);
    case IVRSM_COLLECT_REFERENCE:
        return ivrsm_collect_reference(params, input, len, is_dtmf, out);
    case IVRSM_COLLECT_FREE_SPEECH_OR_NO:
    default:
        return ivrsm_collect_free_speech_or_no(params, input, len, is_dtmf, out);
    }
}
