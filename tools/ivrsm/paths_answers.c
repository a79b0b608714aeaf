/* Backend answers made up from what the machine reads of them (see paths_answers.h). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths_answers.h"
#include "paths_data.h"

/* Lists are made at most this long, whatever index a template reads. */
#define PA_LIST_MAX 9

/*
 * What is read of a value, as a tree of JSON objects: {"f": {NAME: node}} its
 * fields, {"n": N, "i": node} a list of N items, {"fmt": "date"} the format a
 * leaf is said with, {"num": 3} the number a leaf compared with numbers takes when
 * no format says what it is.
 */

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Add the read `path` ("meters[1].label", "" for the value itself), said with `fmt` (or NULL). */
static void note_read(json_t *node, const char *path, const char *fmt)
{
    while (*path == '.')
        path++;
    if (!*path) {
        if (fmt && *fmt && !json_object_get(node, "fmt"))
            json_object_set_new(node, "fmt", json_string(fmt));
        return;
    }
    if (*path == '[') {
        char *end;
        long index = strtol(path + 1, &end, 10);
        if (*end != ']' || index < 0)
            return; /* ctx.list[ctx.i]: no index to make */
        if (index >= PA_LIST_MAX)
            index = PA_LIST_MAX - 1;
        json_int_t n = json_integer_value(json_object_get(node, "n"));
        if (index + 1 > n)
            json_object_set_new(node, "n", json_integer(index + 1));
        json_t *item = json_object_get(node, "i");
        if (!item) {
            item = json_object();
            json_object_set_new(node, "i", item);
        }
        note_read(item, end + 1, fmt);
        return;
    }
    size_t len = strcspn(path, ".[");
    char name[128];
    snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), path);
    json_t *fields = json_object_get(node, "f");
    if (!fields) {
        fields = json_object();
        json_object_set_new(node, "f", fields);
    }
    json_t *child = json_object_get(fields, name);
    if (!child) {
        child = json_object();
        json_object_set_new(fields, name, child);
    }
    note_read(child, path + len, fmt);
}

/*
 * Each occurrence of `prefix` (such as "resp." or "ctx.meters") in text, at a
 * word's start and ending a name, is a read: its path after the prefix, and
 * the format after a '|' that follows it.
 */
static void reads_in_text(json_t *node, const char *text, const char *prefix)
{
    size_t plen = strlen(prefix);
    for (const char *p = strstr(text, prefix); p; p = strstr(p + 1, prefix)) {
        if (p > text && (ident_char(p[-1]) || p[-1] == '.'))
            continue;
        const char *q = p + plen;
        if (prefix[plen - 1] != '.' && ident_char(*q))
            continue; /* ctx.meter is not ctx.meters */
        char path[256];
        size_t n = 0;
        while ((ident_char(*q) || *q == '.' || *q == '[' || *q == ']') && n + 1 < sizeof(path))
            path[n++] = *q++;
        path[n] = '\0';
        while (*q == ' ')
            q++;
        char fmt[32] = "";
        if (q[0] == '|' && q[1] != '|') {
            q++;
            while (*q == ' ')
                q++;
            size_t f = 0;
            while (ident_char(*q) && f + 1 < sizeof(fmt))
                fmt[f++] = *q++;
            fmt[f] = '\0';
        }
        /* resp.status and resp.error say how the action was answered, not what. */
        if (!strcmp(prefix, "resp.") && (!strcmp(path, "status") || !strcmp(path, "error")))
            continue;
        note_read(node, path, fmt);
    }
}

/* reads_in_text() on every string under v. */
static void reads_under(json_t *node, const json_t *v, const char *prefix)
{
    if (json_is_string(v)) {
        reads_in_text(node, json_string_value(v), prefix);
        return;
    }
    size_t i;
    const char *k;
    json_t *item;
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) reads_under(node, item, prefix);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, item) reads_under(node, item, prefix);
    }
}

/* The key of an action's answers: its endpoint's name, or its "METHOD /path"; false when the
 * call has none (a path with parameters and no endpoint). */
static bool call_key(const char *call, char *key, size_t size)
{
    static const char prefix[] = "${globals.endpoints.";
    size_t n = strlen(call);
    if (!strncmp(call, prefix, sizeof(prefix) - 1) && n > sizeof(prefix) && call[n - 1] == '}') {
        snprintf(key, size, "%.*s", (int)(n - sizeof(prefix)), call + sizeof(prefix) - 1);
        return true;
    }
    if (!strchr(call, ' ')) {
        snprintf(key, size, "%s", call); /* a bare endpoint name */
        return n > 0;
    }
    if (strchr(call, '{'))
        return false;
    snprintf(key, size, "%s", call);
    return true;
}

json_t *pa_made_up_responses(const json_t *doc, int64_t now_ms)
{
    json_t *out = json_object();
    const char *name;
    const json_t *state;
    json_object_foreach((json_t *)json_object_get(doc, "states"), name, state)
    {
        const char *call =
            json_string_value(json_object_get(json_object_get(state, "action"), "call"));
        char key[300];
        if (!out || !call || !call_key(call, key, sizeof(key)))
            continue;
        json_t *body = pa_answer_body(doc, name, "on_success", now_ms);
        json_t *have = json_object_get(json_object_get(out, key), "body");
        if (json_is_object(have) && json_is_object(body))
            json_object_update_missing(have, body);
        else if (body && !have)
            json_object_set_new(out, key, json_pack("{s:i, s:O}", "status", 200, "body", body));
        json_decref(body);
    }
    return out;
}

const json_t *pa_outcome_block(const json_t *doc, const char *state, const char *outcome)
{
    const json_t *s = json_object_get(json_object_get(doc, "states"), state ? state : "");
    const json_t *action = json_object_get(s, "action");
    if (!strcmp(outcome, "on_success") || !strcmp(outcome, "on_fail")) {
        const json_t *b = json_object_get(s, outcome);
        return b ? b : json_object_get(action, outcome);
    }
    const json_t *by_status = json_object_get(s, "on_status");
    if (!by_status)
        by_status = json_object_get(action, "on_status");
    return json_object_get(by_status, outcome);
}

/* Add what src reads to dst: the longer list, dst's format first. */
static void merge_reads(json_t *dst, const json_t *src)
{
    json_int_t n = json_integer_value(json_object_get(src, "n"));
    if (n > json_integer_value(json_object_get(dst, "n")))
        json_object_set_new(dst, "n", json_integer(n));
    const json_t *fmt = json_object_get(src, "fmt");
    if (fmt && !json_object_get(dst, "fmt"))
        json_object_set(dst, "fmt", (json_t *)fmt);
    const json_t *item = json_object_get(src, "i");
    if (item) {
        json_t *mine = json_object_get(dst, "i");
        if (!mine) {
            mine = json_object();
            json_object_set_new(dst, "i", mine);
        }
        merge_reads(mine, item);
    }
    const char *name;
    const json_t *child;
    json_object_foreach((json_t *)json_object_get(src, "f"), name, child)
    {
        json_t *fields = json_object_get(dst, "f");
        if (!fields) {
            fields = json_object();
            json_object_set_new(dst, "f", fields);
        }
        json_t *mine = json_object_get(fields, name);
        if (!mine) {
            mine = json_object();
            json_object_set_new(fields, name, mine);
        }
        merge_reads(mine, child);
    }
}

/* "{{resp.PATH}}", spaces allowed inside the braces: PATH into path; false for anything else. */
static bool whole_resp_path(const json_t *v, char *path, size_t size)
{
    const char *t = json_string_value(v);
    if (!t || strncmp(t, "{{", 2) != 0)
        return false;
    t += 2;
    while (*t == ' ')
        t++;
    if (strncmp(t, "resp.", 5) != 0)
        return false;
    t += 5;
    size_t n = 0;
    while ((ident_char(t[n]) || t[n] == '.' || t[n] == '[' || t[n] == ']') && n + 1 < size)
        n++;
    const char *rest = t + n;
    while (*rest == ' ')
        rest++;
    if (!n || strcmp(rest, "}}") != 0)
        return false;
    snprintf(path, size, "%.*s", (int)n, t);
    return true;
}

/* A sample E.164 number of the machine's country, for a value said with `| phone`. */
static const char *sample_phone(const json_t *doc)
{
    static const struct {
        const char *locale, *number;
    } phones[] = {{"en-US", "+12125550123"},  {"en-GB", "+447700900123"}, {"fr-FR", "+33612345678"},
                  {"fr-BE", "+32470123456"},  {"fr-CH", "+41791234567"},  {"es-ES", "+34612345678"},
                  {"de-DE", "+4915112345678"}};
    const json_t *locale = json_object_get(doc, "locale");
    const char *tag = json_string_value(locale);
    if (!tag)
        tag = json_string_value(json_array_get(locale, 0));
    for (size_t i = 0; tag && i < sizeof(phones) / sizeof(*phones); i++)
        if (!strcmp(tag, phones[i].locale))
            return phones[i].number;
    return phones[0].number;
}

typedef struct make_ctx {
    const json_t *doc;
    int64_t now_ms;
} make_ctx;

/* A leaf value: of the kind its format reads, else a text naming it ("label-2" for the second
 * item of a list). */
static json_t *make_leaf(const make_ctx *m, const char *name, const char *fmt, const json_t *num,
                         int item)
{
    int k = item ? item : 1;
    if (num && !(fmt && *fmt)) /* a format says more of the value than a comparison */
        return json_deep_copy(num);
    if (fmt && (!strcmp(fmt, "date") || !strcmp(fmt, "weekday"))) {
        /* Days after the call's: what a backend proposes or schedules. */
        int64_t day = m->now_ms / 86400000 + 1 + k;
        char text[48];
        /* Civil from days (Howard Hinnant's algorithm, as drv_days_from_civil() inverts). */
        int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
        int64_t d = doy - (153 * mp + 2) / 5 + 1, mo = mp < 10 ? mp + 3 : mp - 9;
        int64_t y = yoe + era * 400 + (mo <= 2);
        snprintf(text, sizeof(text), "%04lld-%02lld-%02lld", (long long)y, (long long)mo,
                 (long long)d);
        return json_string(text);
    }
    if (fmt && !strcmp(fmt, "time")) {
        char text[8];
        snprintf(text, sizeof(text), "%02d:30", 8 + k % 10);
        return json_string(text);
    }
    if (fmt && (!strcmp(fmt, "money") || !strcmp(fmt, "number")))
        return json_real(12.5 * k);
    if (fmt && !strcmp(fmt, "cents"))
        return json_integer(1250 * k);
    if (fmt && !strcmp(fmt, "phone"))
        return json_string(sample_phone(m->doc));
    if (fmt && !strcmp(fmt, "digits")) {
        char text[16];
        snprintf(text, sizeof(text), "4821%d", k % 10);
        return json_string(text);
    }
    if (fmt && !strcmp(fmt, "yesno"))
        return json_true();
    char text[160];
    if (item)
        snprintf(text, sizeof(text), "%s-%d", name, item);
    else
        snprintf(text, sizeof(text), "%s", name);
    return json_string(text);
}

/* The value a read tree asks for; `item` is the place (from 1) in the list it belongs to, or 0. */
static json_t *make_value(const make_ctx *m, const json_t *node, const char *name, int item)
{
    const json_t *of = json_object_get(node, "i");
    if (of) {
        json_t *list = json_array();
        json_int_t n = json_integer_value(json_object_get(node, "n"));
        for (json_int_t k = 1; k <= n; k++)
            json_array_append_new(list, make_value(m, of, name, (int)k));
        return list;
    }
    const json_t *fields = json_object_get(node, "f");
    if (json_object_size(fields)) {
        json_t *o = json_object();
        const char *key;
        const json_t *child;
        json_object_foreach((json_t *)fields, key, child)
            json_object_set_new(o, key, make_value(m, child, key, item));
        return o;
    }
    return make_leaf(m, name, json_string_value(json_object_get(node, "fmt")),
                     json_object_get(node, "num"), item);
}

/* The number a value compared with numbers takes: one past the largest compared with an
 * order (< <= > >=), else the one it is said equal to; NULL when none is compared. */
static json_t *compared_number(const json_t *doc, const char *key)
{
    json_t *atoms = pd_condition_atoms(doc);
    json_int_t best = 0;
    bool found = false, ordered = false;
    size_t i;
    const json_t *atom;
    json_array_foreach(atoms, i, atom)
    {
        const char *path = json_string_value(json_array_get(atom, 0));
        const char *op = json_string_value(json_array_get(atom, 1));
        const json_t *v = json_array_get(atom, 2);
        if (!path || strcmp(path, key) != 0 || !json_is_integer(v) || !op)
            continue;
        bool order = op[0] == '<' || op[0] == '>';
        json_int_t n = json_integer_value(v) + (order ? 1 : 0);
        if (!found || (order && !ordered) || (order == ordered && n > best))
            best = n;
        found = true;
        ordered |= order;
    }
    json_decref(atoms);
    return found ? json_integer(best) : NULL;
}

json_t *pa_answer_body(const json_t *doc, const char *state, const char *outcome, int64_t now_ms)
{
    const json_t *block = pa_outcome_block(doc, state, outcome);
    json_t *tree = json_object();
    if (!tree)
        return NULL;
    reads_under(tree, block, "resp.");
    /* What the call keeps of the answer, read later as ctx.KEY... */
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(block, "set"), key, v)
    {
        char path[256], prefix[300];
        if (!whole_resp_path(v, path, sizeof(path)))
            continue;
        json_t *kept = json_object();
        snprintf(prefix, sizeof(prefix), "ctx.%s", key);
        reads_under(kept, json_object_get(doc, "states"), prefix);
        /* ... is read of the answer at PATH. */
        json_t *at = tree;
        note_read(tree, path, NULL);
        /* Walk to PATH's node (its names and indices) and graft what ctx.KEY reads there. */
        for (const char *p = path; at && *p;) {
            while (*p == '.')
                p++;
            if (*p == '[') {
                const char *close = strchr(p, ']');
                at = json_object_get(at, "i");
                p = close ? close + 1 : p + strlen(p);
            } else if (*p) {
                size_t len = strcspn(p, ".[");
                char name[128];
                snprintf(name, sizeof(name), "%.*s",
                         (int)(len < sizeof(name) ? len : sizeof(name) - 1), p);
                at = json_object_get(json_object_get(at, "f"), name);
                p += len;
            }
        }
        if (at)
            merge_reads(at, kept);
        json_decref(kept);
        /* A count the conditions compare with numbers (`ctx.card_count > 2`) is a number
         * past the largest of them: every item of a list said with it is offered. */
        json_t *num = at ? compared_number(doc, key) : NULL;
        if (num && !json_object_get(at, "f") && !json_object_get(at, "i"))
            json_object_set_new(at, "num", num);
        else
            json_decref(num);
    }
    make_ctx m = {doc, now_ms};
    bool reads = json_object_get(tree, "f") || json_object_get(tree, "i");
    json_t *body = reads ? make_value(&m, tree, "", 0) : json_object();
    json_decref(tree);
    return body;
}
