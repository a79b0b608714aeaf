/*
 * The caller's context: see caller_ctx.h.
 */
#include "caller_ctx.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esl_wire.h"

static bool var_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > 120)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static bool key_valid(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof(((ctx_var *)0)->key) || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || (c == '.' && s[i + 1] == '.'))
            return false;
    }
    return true;
}

int caller_ctx_add_var(caller_ctx *cc, const char *spec, char *err, size_t errlen)
{
    if (cc->var_count == CALLER_CTX_MAX_VARS) {
        snprintf(err, errlen, "--ctx-var: at most %d", CALLER_CTX_MAX_VARS);
        return -1;
    }
    const char *eq = strchr(spec, '=');
    size_t name_len = eq ? (size_t)(eq - spec) : strlen(spec);
    const char *key = eq ? eq + 1 : spec;
    size_t key_len = eq ? strlen(key) : name_len;
    if (!var_name_valid(spec, name_len) || !key_valid(key, key_len)) {
        snprintf(err, errlen,
                 "--ctx-var '%s': expected NAME[=KEY], NAME a channel variable (letters, digits, "
                 "_ - .), KEY a ctx key",
                 spec);
        return -1;
    }
    ctx_var *v = &cc->vars[cc->var_count++];
    snprintf(v->header, sizeof(v->header), "variable_%.*s", (int)name_len, spec);
    snprintf(v->key, sizeof(v->key), "%.*s", (int)key_len, key);
    return 0;
}

/* ---------------------------------------------------------------------------
 * The ctx
 * ------------------------------------------------------------------------- */

/* ctx[key] = value (a string), through the library's own rule for keys. */
static int set_string(char **ctx, const char *key, const char *value)
{
    json_t *v = json_string(value);
    if (!v)
        return 0; /* not UTF-8: left out */
    char *text = json_dumps(v, JSON_ENCODE_ANY);
    json_decref(v);
    if (!text)
        return -1;
    char *next = NULL;
    int rc = ivrsm_ctx_set_json(*ctx, key, text, &next);
    free(text);
    if (rc != 0)
        return rc == IVRSM_ENOMEM ? -1 : 0; /* a key the library refuses: left out */
    ivrsm_free(*ctx);
    *ctx = next;
    return 0;
}

int caller_ctx_json(const caller_ctx *cc, const ivrsm_machine *m, const esl_msg *park, char **out)
{
    char *ctx = NULL; /* NULL is {} to ivrsm_ctx_set_json */
    char e164[IVRSM_E164_SIZE];
    const char *number = esl_msg_event_header(park, "Caller-Caller-ID-Number");
    const char *dialed = esl_msg_event_header(park, "Caller-Destination-Number");
    int rc = 0;
    if (number && *number) {
        rc |= set_string(&ctx, "caller_number", number);
        if (ivrsm_machine_phone_e164(m, number, e164, sizeof(e164)) == 0)
            rc |= set_string(&ctx, "caller_e164", e164);
    }
    if (dialed && *dialed)
        rc |= set_string(&ctx, "dialed_number", dialed);
    for (size_t i = 0; i < cc->var_count; i++) {
        const char *v = esl_msg_event_header(park, cc->vars[i].header);
        if (v)
            rc |= set_string(&ctx, cc->vars[i].key, v);
    }
    if (rc != 0) {
        ivrsm_free(ctx);
        return -1;
    }
    *out = ctx;
    return 0;
}
