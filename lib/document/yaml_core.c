/*
 * The YAML 1.2 core schema: the one place that says what a plain scalar is
 * (null, a boolean, an integer, a number or a string), for the reader
 * (load_yaml.c) and for the writer (convert.c), which must know when a
 * string would not read back as a string.
 */
#include "yaml_core.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool word_is(const char *t, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && !memcmp(*words, t, len))
            return true;
    return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", NULL};
static const char *const false_words[] = {"false", "False", "FALSE", NULL};

static bool all_in(const char *t, size_t len, const char *set)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr(set, t[i]))
            return false;
    return true;
}

/* 1 when `t` is a core-schema integer, with its value (0 on overflow: *overflow). */
static bool core_int(const char *t, size_t len, int64_t *value, bool *overflow)
{
    int base = 10;
    const char *digits = t;
    size_t n = len;
    if (len > 2 && t[0] == '0' && t[1] == 'o' && all_in(t + 2, len - 2, "01234567")) {
        base = 8;
        digits += 2;
        n -= 2;
    } else if (len > 2 && t[0] == '0' && t[1] == 'x' &&
               all_in(t + 2, len - 2, "0123456789abcdefABCDEF")) {
        base = 16;
        digits += 2;
        n -= 2;
    } else {
        size_t s = (len > 0 && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
        if (!all_in(t + s, len - s, "0123456789"))
            return false;
    }
    char buf[80];
    if (n >= sizeof(buf)) {
        *overflow = true;
        return true;
    }
    memcpy(buf, digits, n);
    buf[n] = '\0';
    errno = 0;
    char *end;
    if (base == 10) {
        long long v = strtoll(buf, &end, 10);
        *value = v;
    } else {
        unsigned long long v = strtoull(buf, &end, base);
        if (v > INT64_MAX)
            errno = ERANGE;
        *value = (int64_t)v;
    }
    *overflow = errno == ERANGE;
    return true;
}

/* Core-schema float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan */
static bool core_float(const char *t, size_t len, double *value)
{
    size_t i = 0;
    bool negative = false;
    if (i < len && (t[i] == '-' || t[i] == '+'))
        negative = t[i++] == '-';
    static const char *const inf_words[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};
    if (word_is(t + i, len - i, inf_words)) {
        *value = negative ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    if (i == 0 && word_is(t, len, nan_words)) {
        *value = NAN;
        return true;
    }
    size_t int_digits = 0, frac_digits = 0;
    while (i < len && t[i] >= '0' && t[i] <= '9') {
        i++;
        int_digits++;
    }
    if (i < len && t[i] == '.') {
        i++;
        while (i < len && t[i] >= '0' && t[i] <= '9') {
            i++;
            frac_digits++;
        }
    }
    if (int_digits == 0 && frac_digits == 0)
        return false;
    if (i < len && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < len && (t[i] == '-' || t[i] == '+'))
            i++;
        size_t exp_digits = 0;
        while (i < len && t[i] >= '0' && t[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    if (i != len)
        return false;
    char buf[128];
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, t, len);
    buf[len] = '\0';
    *value = strtod(buf, NULL);
    return true;
}

dom_kind ivrsm_yaml_core_type(const char *t, size_t len, yaml_core_value *v)
{
    /* Null, booleans, integers and numbers all start with one of these (see the words and
     * the syntaxes below); most scalars of a machine are words that start otherwise. A letter
     * starts only null and the booleans, words of five letters at most ("next_state",
     * "fallback" and "text" are strings at once). */
    static const uint8_t starts[128] = {
        ['~'] = 2, ['n'] = 1, ['N'] = 1, ['t'] = 1, ['T'] = 1, ['f'] = 1, ['F'] = 1,
        ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2,
        ['7'] = 2, ['8'] = 2, ['9'] = 2, ['-'] = 2, ['+'] = 2, ['.'] = 2,
    };
    unsigned char c = len ? (unsigned char)t[0] : 0;
    if (len && (c >= 0x80 || !starts[c] || (starts[c] == 1 && len > 5))) {
        *v = (yaml_core_value){0};
        return DOM_STRING;
    }
    return ivrsm_yaml_core_type_whole(t, len, v);
}

dom_kind ivrsm_yaml_core_type_whole(const char *t, size_t len, yaml_core_value *v)
{
    *v = (yaml_core_value){0};
    if (word_is(t, len, null_words))
        return DOM_NULL;
    if (word_is(t, len, true_words) || word_is(t, len, false_words)) {
        v->boolean = t[0] == 't' || t[0] == 'T';
        return DOM_BOOL;
    }
    if (core_int(t, len, &v->integer, &v->overflow))
        return DOM_INT;
    if (core_float(t, len, &v->real))
        return DOM_REAL;
    return DOM_STRING;
}

bool ivrsm_yaml_core_type_node(dom_node *n)
{
    yaml_core_value v;
    dom_kind kind = ivrsm_yaml_core_type(n->text, n->len, &v);
    if (kind == DOM_INT && v.overflow)
        return false;
    n->kind = (uint8_t)kind;
    if (kind == DOM_BOOL)
        n->as.boolean = v.boolean;
    else if (kind == DOM_INT)
        n->as.integer = v.integer;
    else if (kind == DOM_REAL)
        n->as.real = v.real;
    return true;
}
