/*
 * Redaction, the one rule for every secret the library or its tools show:
 * the value under a sensitive key (the built-in names below, a name that
 * ends with a secret's word, or globals.sensitive_keys; any case, at any
 * depth) becomes "***".
 */
#include "redact.h"
#include "session.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A word of the lists below, lower case, and its length. */
typedef struct secret_word {
    const char *text;
    size_t len;
} secret_word;

#define W(word)                                                                                    \
    {                                                                                              \
        word, sizeof(word) - 1                                                                     \
    }

/* The words a key's name ends with that make it a secret wherever they end it: "card_pin",
 * "userPassword", "X-Auth-Token", "pin2". The built-in sensitive keys (otp, code, password, pin,
 * token, session_token, portal_session_token, authorization, access_token, refresh_token,
 * secret) are among the names this and the two lists below make secrets. */
static const secret_word secret_last_words[] = {
    W("otp"),   W("password"), W("passwd"),        W("passcode"),   W("passphrase"),  W("pin"),
    W("token"), W("secret"),   W("authorization"), W("cookie"),     W("cvv"),         W("cvc"),
    W("jwt"),   W("bearer"),   W("apikey"),        W("credential"), W("credentials"), {NULL, 0}};

/* The two words a key's name may end with that make it a secret: "api_key", "cardNumber",
 * "security_code". A code alone is a secret ("code"); after any other word it is not
 * ("zip_code", "status_code", "error_code"). */
static const secret_word secret_last_pairs[][2] = {
    {W("api"), W("key")},        {W("private"), W("key")},       {W("card"), W("number")},
    {W("otp"), W("code")},       {W("pin"), W("code")},          {W("secret"), W("code")},
    {W("security"), W("code")},  {W("access"), W("code")},       {W("auth"), W("code")},
    {W("login"), W("code")},     {W("verification"), W("code")}, {W("sms"), W("code")},
    {W("time"), W("code")},      {W("pass"), W("code")},         {W("session"), W("key")},
    {W("access"), W("key")},     {W("secret"), W("key")},        {W("signing"), W("key")},
    {W("encryption"), W("key")}, {{NULL, 0}, {NULL, 0}}};

typedef struct key_word {
    const char *at;
    size_t len;
} key_word;

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return is_lower(c) || is_upper(c);
}

/* Whether a new word starts at key[i]: after a separator, at a lower-to-upper change
 * ("pinCode"), at the last capital of a run before lower case ("OTPCode"), and where letters
 * and digits meet ("pin2"). */
static bool word_starts(const char *key, size_t i)
{
    char prev = key[i - 1], c = key[i];
    if ((is_lower(prev) || is_digit(prev)) && is_upper(c))
        return true;
    if (is_upper(prev) && is_upper(c) && is_lower(key[i + 1]))
        return true;
    return (is_alpha(prev) && is_digit(c)) || (is_digit(prev) && is_alpha(c));
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

/* The last two words of `key` that are not numbers ("card", "pin" of "card_pin_2"); how many
 * were found (0 to 2). words[1] is the last. Read from the end: a word's bounds depend only on
 * the bytes around them (word_starts()), and only the last two words count. */
static int last_words(const char *key, key_word words[2])
{
    words[0] = words[1] = (key_word){NULL, 0};
    int count = 0;
    size_t end = strlen(key);
    while (count < 2) {
        while (end > 0 && !is_alnum(key[end - 1]))
            end--; /* separators: '_', '-', ' ', '.' */
        if (end == 0)
            break;
        size_t start = end - 1;
        while (start > 0 && is_alnum(key[start - 1]) && !word_starts(key, start))
            start--;
        if (!is_digit(key[start])) /* "pin_2", "pin2": the number does not name the value */
            words[1 - count++] = (key_word){key + start, end - start};
        end = start;
    }
    return count;
}

/* Whether word w is `s`, in any case. */
static bool word_is(key_word w, secret_word s)
{
    return w.len == s.len && !strncasecmp(w.at, s.text, w.len);
}

/* Whether `key`'s name, by its last words, says it holds a secret. */
static bool key_words_are_secret(const char *key)
{
    key_word w[2];
    int count = last_words(key, w);
    if (count == 0)
        return false;
    if (count == 1 && word_is(w[1], (secret_word)W("code")))
        return true;
    for (const secret_word *k = secret_last_words; k->text; k++)
        if (word_is(w[1], *k))
            return true;
    for (size_t i = 0; count == 2 && secret_last_pairs[i][0].text; i++)
        if (word_is(w[1], secret_last_pairs[i][1]) && word_is(w[0], secret_last_pairs[i][0]))
            return true;
    return false;
}

/* Words that make a request header's value a secret wherever they stand in its name: backends
 * take their sessions, signatures and keys in headers whose names the key rule leaves plain
 * ("X-Session", "X-Session-Id", "X-SID", "X-Auth-User", "X-Signature", "X-CSRF-Check",
 * "X-Key-Id"). A header carries one short value for the backend, and a plain one ("Accept",
 * "Content-Type", "X-Caller", "X-Request-Id") holds none of these words. */
static const secret_word header_secret_words[] = {
    W("session"), W("sid"), W("auth"), W("signature"), W("csrf"), W("xsrf"), W("key"), {NULL, 0}};

bool ivrsm_redact_header_is_sensitive(const ivrsm_machine *m, const char *name)
{
    if (!name)
        return false;
    if (ivrsm_redact_key_is_sensitive(m, name))
        return true;
    for (size_t i = 0; name[i];) {
        while (name[i] && !is_alpha(name[i]) && !is_digit(name[i]))
            i++;
        size_t start = i;
        while (name[i] && (is_alpha(name[i]) || is_digit(name[i])) &&
               (i == start || !word_starts(name, i)))
            i++;
        key_word w = {name + start, i - start};
        for (const secret_word *k = header_secret_words; w.len && k->text; k++)
            if (word_is(w, *k))
                return true;
    }
    return false;
}

/* The bit of ivrsm_machine.sensitive_first for a key's first byte, the same in either case for
 * a letter. */
static uint64_t first_byte_bit(const char *key)
{
    return (uint64_t)1 << (((unsigned char)key[0] | 0x20) & 63);
}

void ivrsm_redact_add_key(ivrsm_machine *m, const char *key)
{
    const char *dot = strrchr(key, '.');
    m->sensitive_keys[m->sensitive_count++] = key;
    m->sensitive_first |= first_byte_bit(dot ? dot + 1 : key);
}

bool ivrsm_redact_key_is_sensitive(const ivrsm_machine *m, const char *key)
{
    if (!key)
        return false;
    /* Most keys asked about start with a byte no sensitive key starts with. */
    if (m && (m->sensitive_first & first_byte_bit(key)))
        for (size_t i = 0; i < m->sensitive_count; i++)
            if (!strcasecmp(m->sensitive_keys[i], key))
                return true;
    return key_words_are_secret(key);
}

/* Whether `entry`, one of the machine's "parent.key" entries, names member `key` of an object
 * held under `parent` (`plen` bytes). */
static bool pair_names(const char *entry, const char *parent, size_t plen, const char *key)
{
    const char *dot = strrchr(entry, '.');
    return dot && (size_t)(dot - entry) == plen && !strncasecmp(entry, parent, plen) &&
           !strcasecmp(dot + 1, key);
}

bool ivrsm_redact_member_is_sensitive(const ivrsm_machine *m, const char *parent, size_t plen,
                                      const char *key)
{
    if (ivrsm_redact_key_is_sensitive(m, key))
        return true;
    if (!m || !parent || !plen || !key || !(m->sensitive_first & first_byte_bit(key)))
        return false;
    for (size_t i = 0; i < m->sensitive_count; i++)
        if (pair_names(m->sensitive_keys[i], parent, plen, key))
            return true;
    return false;
}

bool ivrsm_redact_path_parts(const char *path, bool root, const char **parent, size_t *plen,
                             const char **leaf, size_t *llen)
{
    *parent = *leaf = NULL;
    *plen = *llen = 0;
    size_t index = 0;
    for (const char *p = path; *p;) {
        if (*p == '[') {
            p += strcspn(p, "]");
            p += *p == ']';
            continue;
        }
        if (*p == '.') {
            p++;
            continue;
        }
        size_t len = strcspn(p, ".[");
        if (index++ > 0 || !root) {
            *parent = *leaf;
            *plen = *llen;
            *leaf = p;
            *llen = len;
        }
        p += len;
    }
    return *leaf != NULL;
}

static json_t *redact(const ivrsm_machine *m, const json_t *v, bool headers, const char *parent);

/* A copy of v with sensitive values masked, whole, or NULL when memory ran out (a copy with a
 * member missing would tell the agent or the log something else). The members of an object
 * under a key named "headers" (a request's, in a command's record) are masked by the header
 * rule, the others by the key rule. */
json_t *ivrsm_redact(const ivrsm_machine *m, const json_t *v)
{
    return redact(m, v, false, NULL);
}

/* `parent`: the key v is held under (NULL at the top), for the machine's "parent.key" entries;
 * a list's items are held under the list's key. */
static json_t *redact(const ivrsm_machine *m, const json_t *v, bool headers, const char *parent)
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
            bool secret = headers ? ivrsm_redact_header_is_sensitive(m, k)
                                  : ivrsm_redact_member_is_sensitive(
                                        m, parent, parent ? strlen(parent) : 0, k);
            if (secret && !json_is_null(x))
                failed |= json_object_set_new(o, k, json_string("***"));
            else
                failed |= json_object_set_new(
                    o, k,
                    redact(m, x, !headers && json_is_object(x) && !strcasecmp(k, "headers"), k));
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
                failed |= json_array_append_new(a, redact(m, x, false, parent));
        }
        if (failed) {
            json_decref(a);
            return NULL;
        }
        return a;
    }
    return json_deep_copy(v);
}

bool ivrsm_redact_path_is_sensitive(const ivrsm_machine *m, const char *path, bool root)
{
    if (!path)
        return false;
    const char *parent, *leaf;
    size_t plen, llen;
    if (ivrsm_redact_key_is_sensitive(m, path))
        return true;
    if (!ivrsm_redact_path_parts(path, root, &parent, &plen, &leaf, &llen))
        return false;
    char small[128];
    const ivrsm_mem *mem = ivrsm_mem_default();
    char *key = llen < sizeof small ? small : ivrsm_mem_malloc(mem, llen + 1);
    if (!key)
        return true; /* no memory to tell: a secret, to be safe */
    memcpy(key, leaf, llen);
    key[llen] = '\0';
    bool secret = ivrsm_redact_member_is_sensitive(m, parent, plen, key);
    if (key != small)
        ivrsm_mem_free(mem, key);
    return secret;
}

int ivrsm_machine_key_is_sensitive(const ivrsm_machine *m, const char *key)
{
    return ivrsm_redact_path_is_sensitive(m, key, false);
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
