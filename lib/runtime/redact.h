/*
 * Redaction of secrets (redact.c): what traces, handoff contexts and the
 * tools (through ivrsm_machine_redact_json()) show of sensitive values.
 */
#ifndef IVRSM_REDACT_H
#define IVRSM_REDACT_H

#include <jansson.h>
#include <stdbool.h>

#include "model.h"

/* True when key names a secret: a built-in name or globals.sensitive_keys, any case (m may be
 * NULL). */
bool ivrsm_redact_key_is_sensitive(const ivrsm_machine *m, const char *key);
/* Append `key` to m's own sensitive keys, whose array has room for it (the loader's). */
void ivrsm_redact_add_key(ivrsm_machine *m, const char *key);
/* True when a request header named `name` carries a secret: the key rule, or a word of its
 * name is session, sid, auth, signature, csrf, xsrf or key ("X-Session-Id"). */
bool ivrsm_redact_header_is_sensitive(const ivrsm_machine *m, const char *name);
/* A deep copy of v with the values of sensitive keys replaced by "***" (NULL on no memory). */
json_t *ivrsm_redact(const ivrsm_machine *m, const json_t *v);

#endif
