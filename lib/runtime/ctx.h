/* Writing ctx by dotted key (ctx.c). */
#ifndef IVRSM_CTX_H
#define IVRSM_CTX_H

#include <jansson.h>

#include "ivrsm/ivrsm.h"
#include "value.h"

/*
 * ctx.<dotted key> = value (steals the reference). Objects on the way are
 * made where missing, and replace a value that is not an object. Returns 0,
 * IVRSM_EINVAL when a part of the key is empty or longer than 127 bytes, or
 * IVRSM_ENOMEM when memory ran out (a NULL value is one that could not be
 * made); ctx is then unchanged, or has gained empty maps on the way.
 */
int ivrsm_ctx_set(json_t *ctx, const char *key, json_t *value);

/*
 * The same rule for a session's ctx, held in a value store (value.h):
 * ctx.<dotted key> = node `at`, put into st before (taken back when it
 * cannot be set). Returns 0, IVRSM_EINVAL or IVRSM_ENOMEM as ivrsm_ctx_set().
 */
int ivrsm_ctx_store_set(ivrsm_vstore *st, const char *key, uint32_t at);
/* The same, the key's member looked for first where *hint says (value.h). */
int ivrsm_ctx_store_set_hinted(ivrsm_vstore *st, const char *key, uint32_t at,
                               ivrsm_member_hint *hint);
/* The same for key[0..len), a key without a dot (a member of ctx's root). */
int ivrsm_ctx_store_set_member(ivrsm_vstore *st, const char *key, size_t len, uint32_t at,
                               ivrsm_member_hint *hint);
/* ctx.<dotted key> = the string s. */
int ivrsm_ctx_store_set_string(ivrsm_vstore *st, const char *key, const char *s);

#endif
