/*
 * Redaction, the one rule for every secret the library or its tools show:
 * the value under a sensitive key (the built-in names below, or
 * globals.sensitive_keys; any case, at any depth) becomes "***".
 */
#include "redact.h"
#include "session.h"

#include <jansson.h>
#include <stdlib.h>
#include <strings.h>

static const char *const builtin_sensitive[] = {"otp",
                                                "code",
                                                "password",
                                                "pin",
                                                "token",
                                                "session_token",
                                                "portal_session_token",
                                                "authorization",
                                                "access_token",
                                                "refresh_token",
                                                "secret",
                                                NULL};

bool ivrsm_redact_key_is_sensitive(const ivrsm_machine *m, const char *key)
{
    if (!key)
        return false;
    for (const char *const *k = builtin_sensitive; *k; k++)
        if (!strcasecmp(*k, key))
            return true;
    for (size_t i = 0; m && i < m->sensitive_count; i++)
        if (!strcasecmp(m->sensitive_keys[i], key))
            return true;
    return false;
}

/* A copy of v with sensitive values masked, whole, or NULL when memory ran out (a copy with a
 * member missing would tell the agent or the log something else). */
json_t *ivrsm_redact(const ivrsm_machine *m, const json_t *v)
{
    int failed = 0;
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (!o)
                break;
            if (ivrsm_redact_key_is_sensitive(m, k) && !json_is_null(x))
                failed |= json_object_set_new(o, k, json_string("***"));
            else
                failed |= json_object_set_new(o, k, ivrsm_redact(m, x));
        }
        if (failed) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (a)
                failed |= json_array_append_new(a, ivrsm_redact(m, x));
        }
        if (failed) {
            json_decref(a);
            return NULL;
        }
        return a;
    }
    return json_deep_copy(v);
}

int ivrsm_machine_key_is_sensitive(const ivrsm_machine *m, const char *key)
{
    return ivrsm_redact_key_is_sensitive(m, key);
}

int ivrsm_machine_redact_text(const ivrsm_machine *m, const char *json, char **out)
{
    if (!out)
        return IVRSM_EINVAL;
    *out = NULL;
    if (!json)
        return IVRSM_EINVAL;
    /* Not the machine's allocator: threads that share the machine may call this at once. The
     * response reader reads what jansson reads, but tells memory that ran out from a text that
     * is no JSON, which jansson does not. */
    const ivrsm_mem *mem = ivrsm_mem_default();
    json_t *v = NULL;
    int rc = ivrsm_s_json_text_read(mem, json, &v);
    if (rc != 0)
        return rc;
    json_t *r = ivrsm_redact(m, v);
    json_decref(v);
    if (!r)
        return IVRSM_ENOMEM;
    ivrsm_buf b = IVRSM_BUF_INIT(mem);
    ivrsm_buf_dump_json(&b, r, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    json_decref(r);
    *out = ivrsm_buf_give(&b);
    return *out ? 0 : IVRSM_ENOMEM;
}

char *ivrsm_machine_redact_json(const ivrsm_machine *m, const char *json)
{
    char *out = NULL;
    ivrsm_machine_redact_text(m, json, &out);
    return out;
}
