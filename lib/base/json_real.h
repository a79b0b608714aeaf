/*
 * Reals as the library and its tools write them: the fewest significant
 * digits, 15 to 17, whose text reads back as the same double. A backend's
 * 19.99 goes out as 19.99, not as jansson's default of 17 digits
 * (19.989999999999998), which a reader of decimals (a payment backend's
 * BigDecimal, a person reading a trace) takes for another amount. Each real
 * is written at its own digits: jansson's one precision for a whole dump
 * would write every real of a record at 17 digits as soon as one needs them.
 * Header only: the command-line tool writes its JSON the same way.
 */
#ifndef IVRSM_JSON_REAL_H
#define IVRSM_JSON_REAL_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fewest significant digits, 15 to 17, whose %g text reads back as v. */
static inline int ivrsm_real_digits(double v)
{
    char text[64];
    for (int digits = 15; digits < 17; digits++) {
        /* Written and read in the same locale: a decimal comma reads back too. */
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            return digits;
    }
    return 17;
}

/*
 * v's text as jansson's jsonp_dtostr() writes it ("1.0" for a whole number, "1e300" without
 * the exponent's '+' and zeros, a '.' whatever the locale), at its fewest digits, into
 * buf[0..size): its length, or -1 when it does not fit.
 */
static inline int ivrsm_real_json_text(double v, char *buf, size_t size)
{
    int ret = snprintf(buf, size, "%.*g", ivrsm_real_digits(v), v);
    if (ret < 0 || (size_t)ret >= size)
        return -1;
    size_t length = (size_t)ret;
    for (size_t i = 0; i < length; i++) /* a locale's decimal comma */
        if (buf[i] == ',')
            buf[i] = '.';
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        if (length + 3 >= size)
            return -1;
        memcpy(buf + length, ".0", 3);
        length += 2;
    }
    char *start = strchr(buf, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, length - (size_t)(end - buf) + 1);
            length -= (size_t)(end - start);
        }
    }
    return (int)length;
}

/* The control bytes (below 32) the strings and keys of j hold, one bit each. */
static inline unsigned long ivrsm_json_controls(const json_t *j, int depth)
{
    unsigned long seen = 0;
    if (depth > 4096)
        return ~0ul;
    if (json_is_string(j)) {
        const char *t = json_string_value(j);
        for (size_t i = 0; i < json_string_length(j); i++)
            if ((unsigned char)t[i] < 32)
                seen |= 1ul << (unsigned char)t[i];
        return seen;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        for (const char *k = key; *k; k++)
            if ((unsigned char)*k < 32)
                seen |= 1ul << (unsigned char)*k;
        seen |= ivrsm_json_controls(v, depth + 1);
    }
    for (size_t i = 0; json_is_array(j) && i < json_array_size(j); i++)
        seen |= ivrsm_json_controls(json_array_get(j, i), depth + 1);
    return seen;
}

/* Replace every real of j (a copy) by the string "<mark>N<mark>", mark a control byte none of
 * its strings holds; jansson's text of the real at its fewest digits kept at N in texts. */
static inline void ivrsm_json_reals_aside(json_t *j, json_t *texts, char mark)
{
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        if (json_is_real(v)) {
            char *t = json_dumps(v, JSON_ENCODE_ANY |
                                        JSON_REAL_PRECISION(ivrsm_real_digits(json_real_value(v))));
            json_object_set_new(j, key,
                                json_sprintf("%c%zu%c", mark, json_array_size(texts), mark));
            json_array_append_new(texts, json_string(t ? t : "null"));
            free(t);
        } else {
            ivrsm_json_reals_aside(v, texts, mark);
        }
    }
    for (size_t i = 0; json_is_array(j) && i < json_array_size(j); i++) {
        v = json_array_get(j, i);
        if (json_is_real(v)) {
            char *t = json_dumps(v, JSON_ENCODE_ANY |
                                        JSON_REAL_PRECISION(ivrsm_real_digits(json_real_value(v))));
            json_array_set_new(j, i, json_sprintf("%c%zu%c", mark, json_array_size(texts), mark));
            json_array_append_new(texts, json_string(t ? t : "null"));
            free(t);
        } else {
            ivrsm_json_reals_aside(v, texts, mark);
        }
    }
}

/*
 * json_dumps(j, flags) with each real at its own fewest digits (flags without
 * JSON_REAL_PRECISION); free() it. NULL when jansson refuses j or memory runs out.
 */
static inline char *ivrsm_json_dumps(const json_t *j, size_t flags)
{
    if (!json_is_object(j) && !json_is_array(j))
        return json_dumps(
            j, flags | (json_is_real(j) ? JSON_REAL_PRECISION(ivrsm_real_digits(json_real_value(j)))
                                        : 0));
    /* A control byte jansson writes as \u00XX that no string of j holds marks the reals. */
    unsigned long seen = ivrsm_json_controls(j, 0), shortcuts = 0x3700ul; /* \b\t\n\f\r */
    int mark = 1;
    while (mark < 32 && ((seen | shortcuts) & (1ul << mark)))
        mark++;
    if (mark == 32) /* every one held: every real at the digits the longest needs */
        return json_dumps(j, flags);
    json_t *copy = json_deep_copy(j), *texts = json_array();
    char *dumped = NULL, *out = NULL;
    if (copy && texts) {
        ivrsm_json_reals_aside(copy, texts, (char)mark);
        dumped = json_dumps(copy, flags);
    }
    size_t count = json_array_size(texts);
    if (dumped && count)
        out = malloc(strlen(dumped) + 1 + 32 * count);
    if (out) {
        /* Each "\u00XXN\u00XX" as jansson wrote it becomes the text of real N. */
        char open[8], close[8];
        snprintf(open, sizeof open, "\"\\u%04X", (unsigned)mark);
        snprintf(close, sizeof close, "\\u%04X\"", (unsigned)mark);
        char *o = out;
        for (const char *p = dumped; *p;) {
            size_t n;
            char *end;
            if (!strncmp(p, open, 7) && (n = strtoul(p + 7, &end, 10), n < count) &&
                !strncmp(end, close, 7)) {
                const char *t = json_string_value(json_array_get(texts, n));
                size_t len = strlen(t);
                memcpy(o, t, len);
                o += len;
                p = end + 7;
            } else {
                *o++ = *p++;
            }
        }
        *o = '\0';
        free(dumped);
    } else if (!count) {
        out = dumped;
    } else {
        free(dumped);
    }
    json_decref(copy);
    json_decref(texts);
    return out;
}

/* ivrsm_json_dumps() written to out: 0, or -1 as json_dumpf() says. */
static inline int ivrsm_json_dumpf(const json_t *j, FILE *out, size_t flags)
{
    char *text = ivrsm_json_dumps(j, flags);
    int rc = text && fputs(text, out) != EOF ? 0 : -1;
    free(text);
    return rc;
}

#endif
