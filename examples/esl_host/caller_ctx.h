/*
 * What a new call's ctx starts with: the caller's number, in E.164 too when
 * the machine's numbering plan reads it, the dialled number, and the
 * channel variables named by --ctx-var NAME[=KEY].
 *
 *   caller_number   Caller-Caller-ID-Number, as FreeSWITCH gives it
 *   caller_e164     the same in E.164 ("+33612345678"), as the machine's
 *                   phone collect reads it keyed (ivrsm_machine_phone_e164:
 *                   its phone_region, else its locale); absent when it
 *                   cannot be read ("anonymous", a SIP URI, a wrong length)
 *   dialed_number   Caller-Destination-Number
 *   KEY (or NAME)   the channel variable NAME (dotted keys nest, as `set:`)
 *
 * A key absent from the event is absent from ctx. Values are strings.
 */
#ifndef ESL_HOST_CALLER_CTX_H
#define ESL_HOST_CALLER_CTX_H

#include <stdbool.h>
#include <stddef.h>

#include "esl_frame.h"
#include "ivrsm/ivrsm.h"

#define CALLER_CTX_MAX_VARS 32

typedef struct ctx_var {
    char header[160]; /* "variable_NAME" */
    char key[128];    /* the ctx key */
} ctx_var;

typedef struct caller_ctx {
    ctx_var vars[CALLER_CTX_MAX_VARS];
    size_t var_count;
} caller_ctx;

/*
 * Parse one --ctx-var NAME[=KEY] into cc. Returns 0, or -1 with a reason in
 * err (NAME must be a channel variable name, KEY a ctx key).
 */
int caller_ctx_add_var(caller_ctx *cc, const char *spec, char *err, size_t errlen);

/*
 * The initial ctx of the call parked by `park` on machine m: *out a JSON object text
 * (ivrsm_free()), or NULL when there is nothing to put in it. Returns 0, or
 * -1 when out of memory.
 */
int caller_ctx_json(const caller_ctx *cc, const ivrsm_machine *m, const esl_msg *park, char **out);

#endif
