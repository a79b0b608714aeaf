/*
 * Whether a response body is JSON, as jansson's json_loadb(JSON_DECODE_ANY)
 * reads it (the session reads an answer the same way), decided without
 * building anything.
 */
#ifndef IVRSM_HTTP_JSON_H
#define IVRSM_HTTP_JSON_H

#include <stddef.h>

/* Where a body stops being JSON, and why (a short English phrase). */
typedef struct ivrsm_http_json_error {
    int line;   /* from 1 */
    int column; /* from 1, in characters (UTF-8 sequences) */
    const char *what;
} ivrsm_http_json_error;

/*
 * 0 when body[0..len) is one JSON value (any kind, blanks around it) that
 * jansson reads, nested no deeper than max_depth objects and arrays; else -1
 * with *err filled. The same texts as jansson's, one by one: UTF-8 checked,
 * no control character in a string, \u escapes whole, surrogates paired, no
 * \u0000, integers within json_int_t (64 bits), reals within a double's
 * range. Allocates nothing: jansson calls memory that ran out a syntax
 * error, and the adapter must not call an answer "invalid JSON" for that.
 */
int ivrsm_http_json_check(const char *body, size_t len, int max_depth, ivrsm_http_json_error *err);

#endif
