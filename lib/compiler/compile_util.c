/*
 * The compiler's tools: document paths, reporting at the current path,
 * typed reads with "expected X, found Y" messages, and name suggestions.
 */
#include <stdio.h>
#include <string.h>

#include "compile.h"

/* --- Paths ------------------------------------------------------------------ */

static void path_append(cc *c, const char *s, size_t n)
{
    if (c->path_len + n >= sizeof(c->path))
        n = sizeof(c->path) - 1 - c->path_len;
    memcpy(c->path + c->path_len, s, n);
    c->path_len += n;
    c->path[c->path_len] = '\0';
}

size_t ivrsm_cc_push_keyn(cc *c, const char *key, size_t len)
{
    size_t mark = c->path_len;
    /* The dot written in place: a call of path_append() for one byte showed in profiles. */
    if (mark && mark + 1 < sizeof(c->path)) {
        c->path[mark] = '.';
        c->path[++c->path_len] = '\0';
    }
    if (c->field_count < CC_MAX_FIELDS) {
        c->fields[c->field_count].mark = mark;
        c->fields[c->field_count].start = c->path_len;
        c->field_count++;
    }
    path_append(c, key, len);
    return mark;
}

size_t ivrsm_cc_push_index(cc *c, size_t i)
{
    /* By hand: this runs for every list item, and snprintf showed in profiles. */
    size_t mark = c->path_len;
    char digits[24], buf[28];
    size_t n = 0, k = 0;
    do {
        digits[n++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    buf[k++] = '[';
    while (n)
        buf[k++] = digits[--n];
    buf[k++] = ']';
    buf[k] = '\0';
    path_append(c, buf, k);
    return mark;
}

void ivrsm_cc_pop(cc *c, size_t mark)
{
    c->path_len = mark;
    c->path[mark] = '\0';
    while (c->field_count > 0 && c->fields[c->field_count - 1].mark >= mark)
        c->field_count--;
}

const char *ivrsm_cc_field(const cc *c)
{
    /* Keys are tracked one by one because state names contain dots. */
    if (c->field_count == 0)
        return c->path;
    size_t start = c->fields[c->field_count - 1].start;
    return c->path + (start < c->path_len ? start : c->path_len);
}

/* --- Reporting ---------------------------------------------------------------- */

static void report(cc *c, ivrsm_severity sev, int code, const char *rule, int line, int column,
                   const char *fmt, va_list ap)
{
    if (ivrsm_diag_addv(c->diag, sev, code, line, column, c->path, rule, fmt, ap) != 0)
        c->nomem = true;
}

void ivrsm_cc_error(cc *c, const char *rule, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, IVRSM_SEVERITY_ERROR, IVRSM_EMACHINE, rule, line, column, fmt, ap);
    va_end(ap);
}

void ivrsm_cc_error_code(cc *c, int code, const char *rule, int line, int column, const char *fmt,
                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, IVRSM_SEVERITY_ERROR, code, rule, line, column, fmt, ap);
    va_end(ap);
}

void ivrsm_cc_nomem(cc *c)
{
    c->nomem = true;
}

/* --- Typed reads ---------------------------------------------------------------- */

const char *ivrsm_cc_describe(const dom_node *n, char *buf, size_t cap)
{
    if (n->kind == DOM_MAP || n->kind == DOM_LIST || n->kind == DOM_NULL)
        return ivrsm_dom_kind_article((dom_kind)n->kind);
    const char *text = n->text ? n->text : "";
    if (n->kind == DOM_STRING) {
        char shown[48];
        ivrsm_diag_copy_utf8(shown, sizeof(shown), text);
        snprintf(buf, cap, "a string (\"%s%s\")", shown,
                 strlen(text) >= sizeof(shown) ? "..." : "");
    } else {
        snprintf(buf, cap, "%s (%s)", ivrsm_dom_kind_article((dom_kind)n->kind), text);
    }
    return buf;
}

bool ivrsm_cc_expect(cc *c, const dom_node *n, dom_kind kind, const char *what)
{
    if (n->kind == kind)
        return true;
    char buf[96];
    const char *hint = "";
    if (kind == DOM_STRING && (n->kind == DOM_REAL || n->kind == DOM_INT))
        hint = " (quote it to make it a string)";
    else if (kind == DOM_STRING && n->kind == DOM_BOOL)
        hint = " (quote it to make it a string)";
    ivrsm_cc_error(c, "wrong-type", n->line, n->column, "%s: expected %s, found %s%s",
                   ivrsm_cc_field(c), what, ivrsm_cc_describe(n, buf, sizeof(buf)), hint);
    return false;
}

/* Levenshtein distance, bounded: stops counting past `limit`. */
static size_t edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        size_t best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = diag + cost;
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > limit)
            return limit + 1;
    }
    return row[lb];
}

const char *ivrsm_cc_suggest(cc *c, const char *name, const char *const *candidates, size_t stride,
                             size_t count)
{
    /* A guess compares the name with every candidate: among many candidates (states,
     * intents), only the first CC_SUGGEST_LARGE wrong names get one, so a document full
     * of wrong names among thousands of states is still checked in linear time. */
    if (count > CC_SUGGEST_SMALL) {
        if (c->large_suggestions == 0)
            return NULL;
        c->large_suggestions--;
    }
    return ivrsm_cc_closest(name, candidates, stride, count);
}

const char *ivrsm_cc_closest(const char *name, const char *const *candidates, size_t stride,
                             size_t count)
{
    size_t len = strlen(name);
    size_t limit = len < 4 ? 1 : len < 8 ? 2 : 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < count; i++) {
        const char *cand = *(const char *const *)((const char *)candidates + i * stride);
        if (!cand)
            continue;
        size_t d = edit_distance(name, cand, limit);
        /* A prefix ("rout" for "routes") is as good a guess as a typo. */
        if (d > limit && !strncmp(cand, name, len) && len >= 3)
            d = limit;
        if (d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    return best;
}

/*
 * Keys other IVR formats (VoiceXML, call-flow builders) use for one of ours, with nothing in
 * their spelling to guess it from: a collect's "type" is our "mode", "save_as" our "target".
 * A name is offered only where its key is allowed, so "type" still means a state's type.
 */
static const struct {
    const char *name, *ours;
} key_synonyms[] = {
    {"type", "mode"},
    {"kind", "mode"},
    {"save_as", "target"},
    {"store", "target"},
    {"store_as", "target"},
    {"variable", "target"},
    {"var", "target"},
    {"into", "target"},
    {"output", "target"},
    {"save_to", "target"},
    {"goto", "next"},
    {"go_to", "next"},
    {"next_state", "next"},
    {"transition", "next"},
    {"then", "next"},
    {"message", "prompt"},
    {"text", "prompt"},
    {"tts", "prompt"},
    {"choices", "routes"},
    {"options", "routes"},
    {"transitions", "routes"},
    {"min_digits", "min"},
    {"max_digits", "max"},
    {"num_digits", "max"},
    {"retries", "retry"},
    {"max_retries", "retry"},
    {"attempts", "retry"},
    {"url", "call"},
    {"endpoint", "call"},
    {"request", "call"},
    {"queue", "queue_id"},
    {"agent_queue", "queue_id"},
    {"default", "fallback"},
    {"otherwise", "fallback"},
    {"else", "fallback"},
    {"condition", "when"},
    {"if", "when"},
    {"intent", "when_intent"},
    {"on_intent", "when_intent"},
    {"lang", "locale"},
    {"language", "locale"},
    {"variables", "globals"},
    {"vars", "globals"},
    {"data", "body"},
    {"payload", "body"},
};

static const char *key_synonym(const char *key, const char *const *allowed, size_t n_allowed)
{
    for (size_t i = 0; i < sizeof(key_synonyms) / sizeof(key_synonyms[0]); i++) {
        if (strcmp(key_synonyms[i].name, key))
            continue;
        for (size_t k = 0; k < n_allowed; k++)
            if (!strcmp(allowed[k], key_synonyms[i].ours))
                return allowed[k];
    }
    return NULL;
}

void ivrsm_cc_check_keys(cc *c, const dom_node *map, const char *const *allowed, const char *owner)
{
    size_t n_allowed = 0;
    while (allowed[n_allowed])
        n_allowed++;
    for (size_t i = 0; i < map->count; i++) {
        const dom_pair *p = &map->pairs[i];
        size_t k = 0;
        while (k < n_allowed && strcmp(allowed[k], p->key))
            k++;
        if (k < n_allowed)
            continue;
        char list[400] = "";
        size_t used = 0;
        for (size_t j = 0; j < n_allowed && used < sizeof(list); j++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", j ? ", " : "",
                                     allowed[j]);
        const char *guess = ivrsm_cc_suggest(c, p->key, allowed, sizeof(*allowed), n_allowed);
        if (!guess)
            guess = key_synonym(p->key, allowed, n_allowed);
        size_t mark = ivrsm_cc_push_key(c, p->key);
        if (guess)
            ivrsm_cc_error(c, "unknown-key", p->line, p->column,
                           "unknown key '%s' in %s; did you mean '%s'? (expected one of: %s)",
                           p->key, owner, guess, list);
        else
            ivrsm_cc_error(c, "unknown-key", p->line, p->column,
                           "unknown key '%s' in %s (expected one of: %s)", p->key, owner, list);
        ivrsm_cc_pop(c, mark);
    }
}

const char *ivrsm_cc_owner(cc *c, const cc_owner *o)
{
    const char *parts[] = {o->lead, o->mid, "'", o->name, "'", o->tail};
    size_t used = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        for (const char *s = parts[i]; *s && used + 1 < sizeof(c->owner_text); s++)
            c->owner_text[used++] = *s;
    c->owner_text[used] = '\0';
    return c->owner_text;
}

void ivrsm_cc_check_keys_of(cc *c, const dom_node *map, const char *const *allowed,
                            const cc_owner *o)
{
    for (size_t i = 0; i < map->count; i++) {
        const char *key = map->pairs[i].key;
        size_t k = 0;
        /* The first byte tells most allowed keys apart without a call. */
        while (allowed[k] && (allowed[k][0] != key[0] || strcmp(allowed[k], key)))
            k++;
        if (!allowed[k]) {
            ivrsm_cc_check_keys(c, map, allowed, ivrsm_cc_owner(c, o));
            return;
        }
    }
}

void ivrsm_cc_missing(cc *c, int line, int column, const char *key, const char *owner)
{
    ivrsm_cc_error(c, "missing-key", line, column, "missing key '%s' in %s", key, owner);
}

bool ivrsm_cc_get_string(cc *c, const dom_node *map, const char *key, const char **out)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return false;
    size_t mark = ivrsm_cc_push_key(c, key);
    bool ok = ivrsm_cc_expect(c, n, DOM_STRING, "a string");
    ivrsm_cc_pop(c, mark);
    if (ok)
        *out = n->text;
    return ok;
}

bool ivrsm_cc_int_node(cc *c, const dom_node *n, int min, int max, int *out)
{
    if (!ivrsm_cc_expect(c, n, DOM_INT, "an integer"))
        return false;
    if (n->as.integer < min || n->as.integer > max) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "%s: %lld is out of range (%d to %d)", ivrsm_cc_field(c),
                       (long long)n->as.integer, min, max);
        return false;
    }
    *out = (int)n->as.integer;
    return true;
}

bool ivrsm_cc_get_int(cc *c, const dom_node *map, const char *key, int min, int max, int *out)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return false;
    size_t mark = ivrsm_cc_push_key(c, key);
    bool ok = ivrsm_cc_int_node(c, n, min, max, out);
    ivrsm_cc_pop(c, mark);
    return ok;
}

bool ivrsm_cc_get_bool(cc *c, const dom_node *map, const char *key, bool *out)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return false;
    size_t mark = ivrsm_cc_push_key(c, key);
    bool ok = ivrsm_cc_expect(c, n, DOM_BOOL, "a boolean (true or false)");
    ivrsm_cc_pop(c, mark);
    if (ok)
        *out = n->as.boolean;
    return ok;
}
