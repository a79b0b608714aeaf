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
/* Whether member `key` of an object held under the key `parent` (its `plen` first bytes; NULL
 * at the top) is a secret: by its own name (ivrsm_redact_key_is_sensitive()), or named with its
 * parent by one of m's "parent.key" entries ("auth.value": `value` under any `auth`). */
bool ivrsm_redact_member_is_sensitive(const ivrsm_machine *m, const char *parent, size_t plen,
                                      const char *key);
/* The last key of `path` (*leaf, *llen bytes) and the key before it (*parent, *plen bytes; NULL
 * when none), list indexes left out: "pin" and "card" of "card.pin", "value" and "items" of
 * "items[0].value". With `root`, the first part is a root (ctx, resp), which is no parent:
 * "ctx.pin" has none. False when the path names no key. */
bool ivrsm_redact_path_parts(const char *path, bool root, const char **parent, size_t *plen,
                             const char **leaf, size_t *llen);
/* Whether the value at `path` ("card.pin"; with `root`, "ctx.card.pin") is a secret: the whole
 * path listed, or its last key by ivrsm_redact_member_is_sensitive(). */
bool ivrsm_redact_path_is_sensitive(const ivrsm_machine *m, const char *path, bool root);
/* Append `key` to m's own sensitive keys, whose array has room for it (the loader's): a name, or
 * "parent.key" for a key named with the key it is held under. */
void ivrsm_redact_add_key(ivrsm_machine *m, const char *key);
/* True when a request header named `name` carries a secret: the key rule, or a word of its
 * name is session, sid, auth, signature, csrf, xsrf or key ("X-Session-Id"). */
bool ivrsm_redact_header_is_sensitive(const ivrsm_machine *m, const char *name);
/* A deep copy of v with the values of sensitive keys replaced by "***" (NULL on no memory). */
json_t *ivrsm_redact(const ivrsm_machine *m, const json_t *v);

#endif
