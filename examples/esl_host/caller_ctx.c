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
 * E.164
 * ------------------------------------------------------------------------- */

/* A top-level string of the machine document, or NULL. */
static const char *doc_string(const ivrsm_document *doc, const char *key)
{
    const ivrsm_node *n = ivrsm_node_get(ivrsm_document_root(doc), key);
    return n && ivrsm_node_type(n) == IVRSM_NODE_STRING ? ivrsm_node_text(n) : NULL;
}

static bool plain(const char *s)
{
    return s && *s && strlen(s) < 64 && !strpbrk(s, "\"\\\n\r'");
}

/*
 * The locale whose numbering plan the machine reads phone numbers with:
 * phone_region, else locale, else the first of languages.
 */
static const char *phone_locale(const ivrsm_document *doc)
{
    const char *s = doc_string(doc, "phone_region");
    if (!s)
        s = doc_string(doc, "locale");
    const ivrsm_node *languages = ivrsm_node_get(ivrsm_document_root(doc), "languages");
    if (!s && languages && ivrsm_node_type(languages) == IVRSM_NODE_LIST &&
        ivrsm_node_size(languages) > 0) {
        const ivrsm_node *first = ivrsm_node_item(languages, 0);
        if (ivrsm_node_type(first) == IVRSM_NODE_STRING)
            s = ivrsm_node_text(first);
    }
    return s;
}

int caller_ctx_load_locale(caller_ctx *cc, const char *machine_path, char *err, size_t errlen)
{
    ivrsm_document *doc = NULL;
    ivrsm_error e = {0};
    if (ivrsm_document_load_file(machine_path, IVRSM_FORMAT_AUTO, &doc, &e) != 0) {
        snprintf(err, errlen, "%s: %s", machine_path, e.message);
        return -1;
    }
    const char *locale = phone_locale(doc);
    const char *tz = doc_string(doc, "timezone");
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "machine: ivrsm_esl_caller_number\nversion: \"1\"\nlocale: \"%s\"\n"
             "timezone: \"%s\"\nstates:\n  number:\n    type: listen\n    collect:\n"
             "      mode: phone\n      allow_dtmf: true\n    next: done\n"
             "  done:\n    type: prompt_end\n    prompt: \".\"\n",
             plain(locale) ? locale : "", plain(tz) ? tz : "UTC");
    bool has_locale = plain(locale);
    char tag[64];
    snprintf(tag, sizeof(tag), "%s", has_locale ? locale : "");
    ivrsm_document_free(doc);
    if (!has_locale) {
        snprintf(err, errlen, "%s: no locale: caller numbers are not normalised", machine_path);
        return -1;
    }
    ivrsm_machine *m = NULL;
    if (ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "caller number", &m, &e) !=
        0) {
        snprintf(err, errlen, "locale '%s' cannot read phone numbers: %s", tag, e.message);
        return -1;
    }
    ivrsm_machine_unref(cc->normaliser);
    cc->normaliser = m;
    return 0;
}

/* '+' and 8 to 15 digits, the first not 0: already E.164. */
static bool international(const char *n)
{
    size_t len = strlen(n);
    if (n[0] != '+' || len < 9 || len > 16 || n[1] == '0')
        return false;
    return strspn(n + 1, "0123456789") == len - 1;
}

int caller_ctx_e164(const caller_ctx *cc, const char *number, char *out, size_t outlen)
{
    if (!number || !*number || outlen < 17)
        return -1;
    if (international(number)) {
        snprintf(out, outlen, "%s", number);
        return 0;
    }
    size_t len = strlen(number);
    if (!cc->normaliser || len > 20 || strspn(number, "0123456789") != len)
        return -1;
    /* The library's phone collect, as it reads a caller who keys the number. */
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.session_id = "caller-number";
    ivrsm_session *s = NULL;
    int rc = -1;
    if (ivrsm_session_new(cc->normaliser, &o, &s, NULL) == 0 && ivrsm_session_start(s) == 0) {
        while (ivrsm_session_next_command(s))
            ;
        ivrsm_event ev = {.size = sizeof(ivrsm_event),
                          .type = IVRSM_EVENT_DTMF,
                          .text = number,
                          .confidence = -1};
        if (ivrsm_session_feed(s, &ev) == 0) {
            char *ctx = ivrsm_session_ctx_json(s);
            json_t *j = ctx ? json_loads(ctx, 0, NULL) : NULL;
            const char *e164 = json_string_value(json_object_get(j, "phone_e164"));
            if (e164 && international(e164)) {
                snprintf(out, outlen, "%s", e164);
                rc = 0;
            }
            json_decref(j);
            ivrsm_free(ctx);
        }
    }
    ivrsm_session_free(s);
    return rc;
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

int caller_ctx_json(const caller_ctx *cc, const esl_msg *park, char **out)
{
    char *ctx = NULL; /* NULL is {} to ivrsm_ctx_set_json */
    char e164[32];
    const char *number = esl_msg_event_header(park, "Caller-Caller-ID-Number");
    const char *dialed = esl_msg_event_header(park, "Caller-Destination-Number");
    int rc = 0;
    if (number && *number) {
        rc |= set_string(&ctx, "caller_number", number);
        if (caller_ctx_e164(cc, number, e164, sizeof(e164)) == 0)
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

void caller_ctx_free(caller_ctx *cc)
{
    ivrsm_machine_unref(cc->normaliser);
    cc->normaliser = NULL;
}
