/* Writing ctx by dotted key (ctx.c). */
#ifndef IVRSM_CTX_H
#define IVRSM_CTX_H

#include <jansson.h>

#include "ivrsm/ivrsm.h"

/*
 * ctx.<dotted key> = value (steals the reference). Objects on the way are
 * made where missing, and replace a value that is not an object. Returns 0,
 * IVRSM_EINVAL when a part of the key is empty or longer than 127 bytes, or
 * IVRSM_ENOMEM when memory ran out (a NULL value is one that could not be
 * made); ctx is then unchanged, or has gained empty maps on the way.
 */
int ivrsm_ctx_set(json_t *ctx, const char *key, json_t *value);
/* Remove ctx.<dotted key> when it is there (maps on the way are kept). */
void ivrsm_ctx_remove(json_t *ctx, const char *key);

#endif
