/*
 * JSON text read as jansson's json_loadb() reads it, for the readers that
 * build no jansson tree: an action's answer (runtime/response.c) and a
 * machine document (document/json_fast.c). The same texts are JSON, the same
 * are not, and the values are the ones jansson would give.
 */
#ifndef IVRSM_JSON_SCAN_H
#define IVRSM_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/*
 * The string whose body starts at *p (just after its opening quote), up to
 * `end`. Returns 0 with its text in s[0..len) (the body itself when it has
 * no escape, else text's NUL-terminated contents, reset first) and *p past
 * the closing quote; -1 when jansson refuses it: a control character, an
 * unknown escape, a lone surrogate, \u0000, invalid UTF-8, no closing quote,
 * or no memory for the decoded text (then text->failed is set).
 */
int ivrsm_json_scan_string(const char **p, const char *end, ivrsm_buf *text, const char **s,
                           size_t *len);

/*
 * The end of the number written at p (JSON's grammar: no leading zero, no
 * '+', digits after '.' and after 'e'), or NULL when p holds none. *real
 * tells a fraction or an exponent, *exponent an exponent.
 */
const char *ivrsm_json_scan_number(const char *p, const char *end, bool *real, bool *exponent);

/* The integer s[0..len) (a number without fraction or exponent): 0, or -1 when it does not
 * fit json_int_t (jansson: "too big integer"). */
int ivrsm_json_int_value(const char *s, size_t len, json_int_t *out);

#endif
