/*
 * Names: every key of the document, and the string values that are names
 * (the machine's name and version, a handoff's queue, a collect's target, a
 * sensitive key, a recording's URI), hold no character that could forge what
 * shows them (name_chars.h says which and why). Both readers give the same
 * tree, so the rule is the same for YAML and JSON.
 */
#include "compile.h"
#include "name_chars.h"
#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* What the keys of a map are, by the key that holds the map ("states" at the top...). */
static const char *key_kind(const char *parent, int depth)
{
    static const struct {
        const char *parent;
        int depth; /* 1: only the value of a key of the document's own map; 0: any */
        const char *kind;
    } kinds[] = {
        {"states", 1, "state name"},       {"intents", 1, "intent name"},
        {"inputs", 1, "input name"},       {"set", 0, "ctx key"},
        {"endpoints", 0, "endpoint name"}, {"path", 0, "path parameter"},
        {"query", 0, "query parameter"},
    };
    for (size_t i = 0; parent && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if ((!kinds[i].depth || kinds[i].depth == depth) && !strcmp(parent, kinds[i].parent))
            return kinds[i].kind;
    return "key";
}

/* Report that `text` (a `kind` at line:column) holds `cp`, refused for `why`, at byte `at`. */
static void report_refused(cc *c, const char *kind, const char *text, size_t at, uint32_t cp,
                           const char *why, ivrsm_name_rules rules, int line, int column)
{
    const char *rule = rules == IVRSM_NAME_RULES_URI
                           ? "no control, line-breaking or direction characters in a URI"
                           : "names hold letters, digits, punctuation and symbols of any script "
                             "and plain spaces";
    ivrsm_cc_error(c, "invalid-name", line, column,
                   "%s: the %s '%s' holds U+%04X, %s, at character %zu (%s)", ivrsm_cc_field(c),
                   kind, text, (unsigned)cp, why, ivrsm_utf8_count(text, at) + 1, rule);
}

/* Whether the bytes of x are all printable ASCII (0x20 to 0x7E): a byte below 0x20 borrows in
 * x - 0x20..., DEL carries in x + 0x01..., a byte from 0x80 has its top bit, and a borrow or a
 * carry only ever follows such a byte. */
#define PRINTABLE_WORD(x, ones)                                                                    \
    ((((x)-0x20 * (ones)) | ((x) + (ones)) | (x)) & (0x80 * (ones))) == 0

static bool printable_8(const char *s)
{
    uint64_t x;
    memcpy(&x, s, sizeof(x));
    return PRINTABLE_WORD(x, 0x0101010101010101ULL);
}

static bool printable_4(const char *s)
{
    uint32_t x;
    memcpy(&x, s, sizeof(x));
    return PRINTABLE_WORD(x, 0x01010101U);
}

/* Whether s[0..len) is printable ASCII, which every name may hold: the usual key, checked a
 * word at a time, the last word overlapping the one before it. */
static bool printable_ascii(const char *s, size_t len)
{
    if (len >= 8) {
        size_t i = 0;
        for (; len - i > 8; i += 8)
            if (!printable_8(s + i))
                return false;
        return printable_8(s + len - 8);
    }
    if (len >= 4)
        return printable_4(s) && printable_4(s + len - 4);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)(s[i] - 0x20) > 0x5E)
            return false;
    return true;
}

/* One level of the walk, for the path of a report: a map's key or a list's index. */
typedef struct walk_level {
    const dom_pair *pair; /* NULL for a list item */
    size_t index;
} walk_level;

typedef struct key_walk {
    cc *c;
    /* The furthest key checked: an alias or a merge key shows a map again, whose keys stand
     * earlier in the document and were checked where they are written. */
    int line, column;
    walk_level levels[IVRSM_MAX_DEPTH + 1];
    int depth;
} key_walk;

/* Report key `p` (a key of the map the walk is in) with the path of the walk, built only now:
 * the walk pushes nothing while it finds nothing. */
static void report_key(key_walk *w, const dom_pair *p, size_t at, uint32_t cp, const char *why)
{
    size_t mark = w->c->path_len;
    const char *parent = NULL;
    for (int i = 0; i < w->depth; i++) {
        if (w->levels[i].pair) {
            ivrsm_cc_push_keyn(w->c, w->levels[i].pair->key, w->levels[i].pair->key_len);
            parent = w->levels[i].pair->key;
        } else {
            ivrsm_cc_push_index(w->c, w->levels[i].index);
            parent = NULL;
        }
    }
    report_refused(w->c, key_kind(parent, w->depth), p->key, at, cp, why, IVRSM_NAME_RULES_NAME,
                   p->line, p->column);
    ivrsm_cc_pop(w->c, mark);
}

static void walk_keys(key_walk *w, const dom_node *n)
{
    if (w->depth > IVRSM_MAX_DEPTH)
        return; /* the readers refuse deeper documents */
    walk_level *level = &w->levels[w->depth];
    if (n->kind == DOM_LIST) {
        level->pair = NULL;
        w->depth++;
        for (size_t i = 0; i < n->count; i++) {
            const dom_node *item = n->items[i];
            if (item->kind == DOM_MAP || item->kind == DOM_LIST) {
                level->index = i;
                walk_keys(w, item);
            }
        }
        w->depth--;
        return;
    }
    /* Header names have their own, narrower rule (compile_state.c): one error is enough. */
    const dom_pair *holder = w->depth > 0 ? level[-1].pair : NULL;
    bool headers = holder && holder->key_len == 7 && !memcmp(holder->key, "headers", 7);
    /* A request body's keys are the backend's field names, written as JSON (escaped) and
     * shown nowhere else: the backend's API decides them, not this rule. */
    bool action = holder && holder->key_len == 6 && !memcmp(holder->key, "action", 6);
    w->depth++;
    for (size_t i = 0; i < n->count; i++) {
        const dom_pair *p = &n->pairs[i];
        if (p->line > w->line || (p->line == w->line && p->column > w->column)) {
            w->line = p->line;
            w->column = p->column;
            uint32_t cp;
            const char *why;
            size_t at;
            if (!headers && !printable_ascii(p->key, p->key_len) &&
                (at = ivrsm_name_find_refused(p->key, p->key_len, IVRSM_NAME_RULES_NAME, &cp,
                                              &why)) < p->key_len) {
                w->depth--;
                report_key(w, p, at, cp, why);
                w->depth++;
            }
        }
        bool body = action && p->key_len == 4 && !memcmp(p->key, "body", 4);
        if ((p->value->kind == DOM_MAP || p->value->kind == DOM_LIST) && !body) {
            level->pair = p;
            walk_keys(w, p->value);
        }
    }
    w->depth--;
}

void ivrsm_cc_check_key_names(cc *c, const dom_node *root)
{
    key_walk w = {.c = c};
    if (root->kind == DOM_MAP || root->kind == DOM_LIST)
        walk_keys(&w, root);
}

bool ivrsm_cc_name_ok(cc *c, const dom_node *n, const char *kind, ivrsm_name_rules rules)
{
    if (!n || n->kind != DOM_STRING)
        return true; /* the type is reported where it is read */
    uint32_t cp;
    const char *why;
    size_t at = ivrsm_name_find_refused(n->text, n->len, rules, &cp, &why);
    if (at == n->len)
        return true;
    int line, column;
    ivrsm_cc_text_pos(c->doc, n, at, &line, &column);
    report_refused(c, kind, n->text, at, cp, why, rules, line, column);
    return false;
}
