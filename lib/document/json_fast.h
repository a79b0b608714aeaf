/* A JSON document read without jansson (json_fast.c). */
#ifndef IVRSM_JSON_FAST_H
#define IVRSM_JSON_FAST_H

#include <stddef.h>

#include "dom.h"

/* What ivrsm_dom_load_json_fast() returns for a text it leaves to jansson. */
#define JSON_FAST_UNSUPPORTED 1

/*
 * Read `data` (checked UTF-8 without NUL or BOM) into doc->root when it is
 * a valid JSON object within the document's bounds and without duplicate
 * keys, exactly as the jansson reader would build it. Returns 0;
 * JSON_FAST_UNSUPPORTED for anything else (the caller then reads it with
 * jansson, which says what is wrong; nodes made so far stay unused in the
 * document's arena); IVRSM_ENOMEM when memory runs out.
 */
int ivrsm_dom_load_json_fast(const char *data, size_t len, dom_doc *doc);

/* The jansson reader alone (load_json.c): every text, every message. */
int ivrsm_dom_load_json_jansson(const char *data, size_t len, dom_doc *doc, ivrsm_error *err);

#endif
