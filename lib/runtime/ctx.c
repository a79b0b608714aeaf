/*
 * Writing ctx: the one rule for a dotted key ("caller.name"), used by the
 * machine's `set:` and collect targets, and by hosts and tools through
 * ivrsm_ctx_set_json().
 */
#include "ctx.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "model.h"
#include "session.h"

int ivrsm_ctx_set(json_t *ctx, const char *key, json_t *value)
{
    if (!value)
        return IVRSM_ENOMEM;
    const char *dot = strchr(key, '.');
    if (!dot)
        return json_object_set_new(ctx, key, value) == 0 ? 0 : IVRSM_ENOMEM;
    char head[M_CTX_KEY_PART_MAX + 1];
    size_t n = (size_t)(dot - key);
    if (n == 0 || n >= sizeof(head)) {
        json_decref(value);
        return IVRSM_EINVAL;
    }
    memcpy(head, key, n);
    head[n] = '\0';
    json_t *child = json_object_get(ctx, head);
    if (!json_is_object(child)) {
        child = json_object();
        /* json_object_set_new() takes the reference even when it fails. */
        if (!child || json_object_set_new(ctx, head, json_incref(child)) != 0) {
            json_decref(child);
            json_decref(value);
            return IVRSM_ENOMEM;
        }
        json_decref(child); /* ctx holds it */
    }
    return ivrsm_ctx_set(child, dot + 1, value);
}

int ivrsm_ctx_store_set(ivrsm_vstore *st, const char *key, uint32_t at)
{
    return ivrsm_ctx_store_set_hinted(st, key, at, NULL);
}

int ivrsm_ctx_store_set_hinted(ivrsm_vstore *st, const char *key, uint32_t at,
                               ivrsm_member_hint *hint)
{
    int rc = ivrsm_vstore_set_hinted(st, key, M_CTX_KEY_PART_MAX, at, hint);
    if (rc != 0)
        ivrsm_vstore_drop(st, at);
    return rc;
}

int ivrsm_ctx_store_set_member(ivrsm_vstore *st, const char *key, size_t len, uint32_t at,
                               ivrsm_member_hint *hint)
{
    int rc = ivrsm_vstore_set_member_hinted(st, key, len, at, hint);
    if (rc != 0)
        ivrsm_vstore_drop(st, at);
    return rc;
}

int ivrsm_ctx_store_set_string(ivrsm_vstore *st, const char *key, const char *s)
{
    uint32_t at;
    if (ivrsm_vstore_put_string(st, s, strlen(s), &at) != 0)
        return IVRSM_ENOMEM;
    return ivrsm_ctx_store_set(st, key, at);
}

/* No part empty; every part but the last shorter than ivrsm_ctx_set() takes. */
static bool key_parts_ok(const char *key)
{
    for (const char *p = key;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || (dot && len > M_CTX_KEY_PART_MAX))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

/* The object's text for the caller; no object here, so the default allocator (ivrsm.h). */
static char *give_json(const json_t *ctx)
{
    ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
    ivrsm_buf_dump_json(&b, ctx, JSON_COMPACT | JSON_PRESERVE_ORDER);
    return ivrsm_buf_give(&b);
}

/* ctx_json (NULL: {}) and value_json read as jansson reads them, but memory that ran out is
 * IVRSM_ENOMEM, never a text that is not JSON (session.h). Like a session's ctx_json, neither
 * nests deeper than IVRSM_MAX_DEPTH. */
static int read_texts(const char *ctx_json, const char *value_json, json_t **ctx, json_t **value)
{
    if ((ctx_json && !ivrsm_s_json_depth_within(ctx_json, strlen(ctx_json), IVRSM_MAX_DEPTH)) ||
        !ivrsm_s_json_depth_within(value_json, strlen(value_json), IVRSM_MAX_DEPTH))
        return IVRSM_EINVAL;
    const ivrsm_mem *mem = ivrsm_mem_default();
    int rc = ctx_json                 ? ivrsm_s_json_text_read(mem, ctx_json, ctx)
             : (*ctx = json_object()) ? 0
                                      : IVRSM_ENOMEM;
    if (rc == 0)
        rc = ivrsm_s_json_text_read(mem, value_json, value);
    if (rc == 0 && !json_is_object(*ctx))
        rc = IVRSM_EINVAL;
    return rc;
}

int ivrsm_ctx_set_json(const char *ctx_json, const char *key, const char *value_json, char **out)
{
    if (!key || !value_json || !out || !key_parts_ok(key))
        return IVRSM_EINVAL;
    json_t *ctx = NULL, *value = NULL;
    int rc = read_texts(ctx_json, value_json, &ctx, &value);
    if (rc == 0 && (ivrsm_ctx_set(ctx, key, json_incref(value)) != 0 || !(*out = give_json(ctx))))
        rc = IVRSM_ENOMEM;
    json_decref(ctx);
    json_decref(value);
    return rc;
}
