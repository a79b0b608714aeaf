/*
 * What a new call's ctx starts with: the caller's number, in E.164 too when
 * the machine's locale can normalise it, the dialled number, and the
 * channel variables named by --ctx-var NAME[=KEY].
 *
 *   caller_number   Caller-Caller-ID-Number, as FreeSWITCH gives it
 *   caller_e164     the same in E.164 ("+33612345678"): a number already
 *                   international ('+' and 8 to 15 digits), or a national or
 *                   "00" number read by the library's own phone parser in the
 *                   machine's locale; absent when it cannot be read
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
    /* A one-state machine in the machine's locale whose phone collect reads
     * a number as the library reads a caller's: NULL when the machine's
     * locale or time zone could not be read. */
    ivrsm_machine *normaliser;
} caller_ctx;

/*
 * Parse one --ctx-var NAME[=KEY] into cc. Returns 0, or -1 with a reason in
 * err (NAME must be a channel variable name, KEY a ctx key).
 */
int caller_ctx_add_var(caller_ctx *cc, const char *spec, char *err, size_t errlen);

/*
 * (Re)build the normaliser for the machine in `machine_path` (its locale and
 * time zone). Returns 0, or -1 with a reason in err (calls then get no
 * caller_e164 for national numbers).
 */
int caller_ctx_load_locale(caller_ctx *cc, const char *machine_path, char *err, size_t errlen);

/* `number` in E.164 into out (at least 17 bytes). Returns 0, or -1 when it cannot be read. */
int caller_ctx_e164(const caller_ctx *cc, const char *number, char *out, size_t outlen);

/*
 * The initial ctx of the call parked by `park`: *out a JSON object text
 * (ivrsm_free()), or NULL when there is nothing to put in it. Returns 0, or
 * -1 when out of memory.
 */
int caller_ctx_json(const caller_ctx *cc, const esl_msg *park, char **out);

void caller_ctx_free(caller_ctx *cc);

#endif
