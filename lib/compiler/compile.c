/*
 * The compiler's top level: the machine's identity, intents, the loop over
 * states (compile_state.c does one state) and the initial state. Globals are
 * in compile_globals.c, the shared tools in compile_util.c.
 */
#include "compile.h"
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collect.h"
#include "redact.h"
#include "text.h"

/* --- Intents ------------------------------------------------------------------ */

static bool dtmf_valid(const char *s, size_t len)
{
    if (len < 1 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789*#ABCD", s[i]) || !s[i])
            return false;
    return true;
}

/* Read a list of strings into an arena array; false when it is not one. */
static bool string_list(cc *c, const dom_node *n, const char ***out, size_t *count)
{
    if (!ivrsm_cc_expect(c, n, DOM_LIST, "a list of strings"))
        return false;
    *out = n->count ? ivrsm_arena_alloc(c->arena, n->count * sizeof(char *)) : NULL;
    if (n->count && !*out) {
        ivrsm_cc_nomem(c);
        return false;
    }
    *count = 0;
    for (size_t i = 0; i < n->count; i++) {
        size_t mark = ivrsm_cc_push_index(c, i);
        if (ivrsm_cc_expect(c, n->items[i], DOM_STRING, "a string"))
            (*out)[(*count)++] = n->items[i]->text;
        ivrsm_cc_pop(c, mark);
    }
    return true;
}

static void compile_intent_dtmf(cc *c, m_intent *in, const dom_node *list)
{
    size_t mark = ivrsm_cc_push_key(c, "dtmf");
    const char **raw = NULL;
    size_t count = 0;
    if (string_list(c, list, &raw, &count)) {
        in->dtmf = raw;
        for (size_t i = 0; i < count; i++) {
            size_t m2 = ivrsm_cc_push_index(c, i);
            if (!dtmf_valid(raw[i], strlen(raw[i]))) {
                ivrsm_cc_error(c, "invalid-value", list->items[i]->line, list->items[i]->column,
                               "dtmf: \"%s\" is not a key sequence (1 to 32 of 0-9, *, #, A-D)",
                               raw[i]);
            } else {
                in->dtmf[in->dtmf_count++] = ivrsm_arena_strdup(c->arena, raw[i]);
            }
            ivrsm_cc_pop(c, m2);
        }
    }
    ivrsm_cc_pop(c, mark);
}

/* One language's list of utterances, normalised with that language's rules. */
static bool compile_utterances_in(cc *c, const dom_node *list, size_t lang, void *out)
{
    m_intent *in = out;
    if (!ivrsm_cc_expect(c, list, DOM_LIST,
                         "a list of phrases (or a map of such lists by language)"))
        return false;
    m_utterances *u = &in->utterances[lang];
    size_t count = list->count;
    if (!count)
        return true;
    u->raw = ivrsm_arena_alloc(c->arena, count * sizeof(char *));
    u->norm = ivrsm_arena_alloc(c->arena, count * sizeof(char *));
    u->lens = ivrsm_arena_alloc(c->arena, count * sizeof(size_t));
    u->may_not_know = ivrsm_arena_alloc(c->arena, count * sizeof(bool));
    if (!u->raw || !u->norm || !u->lens || !u->may_not_know) {
        ivrsm_cc_nomem(c);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const dom_node *item = list->items[i];
        size_t mark = ivrsm_cc_push_index(c, i);
        if (!ivrsm_cc_expect(c, item, DOM_STRING, "a string")) {
            ok = false;
            ivrsm_cc_pop(c, mark);
            continue;
        }
        size_t len = item->len;
        size_t cap = 2 * len + 2;
        const ivrsm_text_rules *rules = ivrsm_cc_language_rules(c, lang);
        /* Not zeroed: the normalisation writes its text and the NUL after it. */
        char *norm = ivrsm_arena_alloc_raw(c->arena, cap);
        int n = norm ? ivrsm_text_normalize_rules(rules, item->text, len, norm, cap) : -1;
        if (!norm) {
            ivrsm_cc_nomem(c);
            ok = false;
        } else if (n <= 0) {
            ivrsm_cc_error(c, "invalid-value", item->line, item->column,
                           "utterances: \"%s\" has no words to match (only spaces or punctuation)",
                           item->text);
            ok = false;
        } else {
            u->raw[u->count] = ivrsm_arena_strndup(c->arena, item->text, len);
            u->norm[u->count] = norm;
            /* Once here, not for each state that listens for the intent. */
            u->may_not_know[u->count] = ivrsm_text_may_not_know(rules, norm, (size_t)n);
            u->change |=
                (uint8_t)ivrsm_locale_phrase_change(c->m->languages[lang], norm, (size_t)n);
            u->lens[u->count++] = (size_t)n;
        }
        ivrsm_cc_pop(c, mark);
    }
    return ok;
}

/* utterances: a list (the first language's), or a map of lists by language. */
static void compile_intent_utterances(cc *c, m_intent *in, const dom_node *n)
{
    size_t mark = ivrsm_cc_push_key(c, "utterances");
    in->has_utterances = true;
    ivrsm_cc_by_language(c, n, compile_utterances_in, in);
    ivrsm_cc_pop(c, mark);
}

static void compile_intent(cc *c, m_intent *in, const dom_pair *p)
{
    static const char *const keys[] = {"utterances", "dtmf", NULL};
    in->name = ivrsm_arena_strdup(c->arena, p->key);
    in->pos = (m_pos){p->line, p->column};
    /* Zeroed: an intent has no utterances in a language until its list is read. */
    in->utterances = ivrsm_arena_alloc(c->arena, c->m->language_count * sizeof(m_utterances));
    if (!in->utterances) {
        ivrsm_cc_nomem(c);
        return;
    }
    size_t mark = ivrsm_cc_push_key(c, p->key);
    const dom_node *n = p->value;
    cc_owner owner = {"intent ", "", p->key, ""};
    if (ivrsm_cc_expect(c, n, DOM_MAP, "a map with utterances and/or dtmf")) {
        ivrsm_cc_check_keys_of(c, n, keys, &owner);
        const dom_node *utt = ivrsm_dom_get(n, "utterances"), *dtmf = ivrsm_dom_get(n, "dtmf");
        if (!utt && !dtmf)
            ivrsm_cc_error(c, "missing-key", p->line, p->column,
                           "intent '%s' has neither 'utterances' nor 'dtmf' (give at least one)",
                           p->key);
        if (utt)
            compile_intent_utterances(c, in, utt);
        if (dtmf)
            compile_intent_dtmf(c, in, dtmf);
    }
    ivrsm_cc_pop(c, mark);
}

static void compile_intents(cc *c, dom_node *intents)
{
    if (!intents)
        return;
    size_t mark = ivrsm_cc_push_key(c, "intents");
    intents = ivrsm_globals_resolve(c, intents);
    c->info->intents = intents;
    if (intents && ivrsm_cc_expect(c, intents, DOM_MAP, "a map of intent name → intent") &&
        intents->count) {
        c->m->intents = ivrsm_arena_alloc(c->arena, intents->count * sizeof(m_intent));
        if (!c->m->intents) {
            ivrsm_cc_nomem(c);
        } else {
            for (size_t i = 0; i < intents->count; i++)
                compile_intent(c, &c->m->intents[i], &intents->pairs[i]);
            c->m->intent_count = intents->count;
            c->m->intent_slots =
                ivrsm_machine_build_index(c->arena, &c->m->intents[0].name, sizeof(m_intent),
                                          c->m->intent_count, &c->m->intent_slot_mask);
            if (!c->m->intent_slots)
                ivrsm_cc_nomem(c);
        }
    }
    ivrsm_cc_pop(c, mark);
}

/* --- States --------------------------------------------------------------------- */

static bool allocate_states(cc *c, const dom_node *states, const dom_pair *where)
{
    size_t mark = ivrsm_cc_push_key(c, "states");
    bool ok = false;
    if (!ivrsm_cc_expect(c, states, DOM_MAP, "a map of state name → state")) {
    } else if (states->count == 0) {
        ivrsm_cc_error(c, "missing-key", where->line, where->column,
                       "states is empty (a machine needs at least one state)");
    } else if (states->count > IVRSM_MAX_STATES) {
        ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", where->line, where->column,
                            "the machine has %zu states, more than the limit of %d", states->count,
                            IVRSM_MAX_STATES);
    } else {
        c->m->states = ivrsm_arena_alloc(c->arena, states->count * sizeof(m_state));
        if (!c->m->states) {
            ivrsm_cc_nomem(c);
        } else {
            for (size_t i = 0; i < states->count; i++) {
                m_state *st = &c->m->states[i];
                st->name = ivrsm_arena_strdup(c->arena, states->pairs[i].key);
                st->pos = (m_pos){states->pairs[i].line, states->pairs[i].column};
                st->next = M_NONE;
                if (!st->name)
                    ivrsm_cc_nomem(c);
            }
            c->m->state_count = states->count;
            c->info->broken = ivrsm_mem_calloc(c->m->mem, states->count, 1);
            if (!c->info->broken)
                ivrsm_cc_nomem(c);
            c->m->state_slots =
                ivrsm_machine_build_index(c->arena, &c->m->states[0].name, sizeof(m_state),
                                          c->m->state_count, &c->m->state_slot_mask);
            ok = c->m->state_slots != NULL && c->info->broken != NULL;
            if (!ok)
                ivrsm_cc_nomem(c);
        }
    }
    ivrsm_cc_pop(c, mark);
    return ok;
}

/* --- The machine's own sensitive keys ------------------------------------------------------ */

/*
 * Make the key at `path` one of m's sensitive keys unless it is one: its last key, named with
 * the key it is held under ("card.pin" for "ctx.card.pin"; for a key with no parent in the path,
 * `holder`, the key of the object it is a member of, when there is one). A machine's own secret
 * named "value" or "id" inside ctx.auth masks `value` under an `auth`, not every value of the
 * call's data; a key at the top of ctx ("ctx.kept") is named alone. `root`: the path starts with
 * its root (ctx, resp). True when a key was added.
 */
static bool sensitive_add(cc *c, const char *path, bool root, const char *holder, size_t hlen)
{
    const char *parent, *leaf;
    size_t plen, llen;
    if (!ivrsm_redact_path_parts(path, root, &parent, &plen, &leaf, &llen) || !llen)
        return false;
    if (!parent) {
        parent = holder;
        plen = holder ? hlen : 0;
    }
    char *key = ivrsm_arena_strndup(c->arena, leaf, llen);
    if (!key) {
        ivrsm_cc_nomem(c);
        return false;
    }
    if (ivrsm_redact_member_is_sensitive(c->m, parent, plen, key))
        return false;
    if (plen) {
        char *entry = ivrsm_arena_alloc(c->arena, plen + 1 + llen + 1);
        if (!entry) {
            ivrsm_cc_nomem(c);
            return false;
        }
        memcpy(entry, parent, plen);
        entry[plen] = '.';
        memcpy(entry + plen + 1, key, llen + 1);
        key = entry;
    }
    ivrsm_redact_add_key(c->m, key);
    return true;
}

/*
 * Whether member `name` of an object held under `parent` (NULL at the top) is a secret, for a
 * pass over the machine that only looks for what the keys added since m->sensitive_keys[from]
 * make secret: 0 asks the whole rule (the first pass); later passes only compare the keys the
 * pass before added, and this one so far, as a name the rule did not make a secret on the first
 * pass becomes one only by being added.
 */
static bool name_is_secret(const ivrsm_machine *m, size_t from, const char *parent, size_t plen,
                           const char *name)
{
    if (from == 0)
        return ivrsm_redact_member_is_sensitive(m, parent, plen, name);
    for (size_t i = from; i < m->sensitive_count; i++) {
        const char *entry = m->sensitive_keys[i];
        const char *dot = strrchr(entry, '.');
        if (!dot ? !strcasecmp(entry, name)
                 : (parent && (size_t)(dot - entry) == plen && !strncasecmp(entry, parent, plen) &&
                    !strcasecmp(dot + 1, name)))
            return true;
    }
    return false;
}

/* Whether a key of template path `path` ("ctx.card.pin", "resp.items[0].token") names a secret
 * (name_is_secret(), each key with the one before it); its root (ctx, resp, globals, now) does
 * not count. */
static bool path_reads_secret(const ivrsm_machine *m, size_t from, const char *path)
{
    const char *p = path + strcspn(path, ".[");
    const char *parent = NULL;
    size_t plen = 0;
    while (*p) {
        if (*p == '[') {
            p += strcspn(p, "]");
            p += *p == ']';
            continue;
        }
        p++; /* the dot */
        size_t len = strcspn(p, ".[");
        char part[128];
        if (len && len < sizeof part) {
            memcpy(part, p, len);
            part[len] = '\0';
            if (name_is_secret(m, from, parent, plen, part))
                return true;
        }
        parent = p;
        plen = len;
        p += len;
    }
    return false;
}

typedef struct secret_scan {
    const ivrsm_machine *m;
    size_t from; /* name_is_secret()'s */
    bool found;
} secret_scan;

static void on_written_path(void *user, const char *path)
{
    secret_scan *scan = user;
    scan->found = scan->found || path_reads_secret(scan->m, scan->from, path);
}

/* Whether value `v` of a `set:` writes out a secret's value, at any depth of an object or list. */
static bool value_copies_secret(const ivrsm_machine *m, size_t from, const m_value *v)
{
    if (v->kind == MV_TEMPLATE) {
        secret_scan scan = {m, from, false};
        ivrsm_tmpl_each_written_path(v->tmpl, on_written_path, &scan);
        return scan.found;
    }
    for (size_t i = 0; (v->kind == MV_OBJECT || v->kind == MV_ARRAY) && i < v->count; i++)
        if (value_copies_secret(m, from, &v->items[i]))
            return true;
    return false;
}

typedef struct copy_pass {
    cc *c;
    size_t from; /* name_is_secret()'s */
    bool grew;
} copy_pass;

/* Make the key `key` (a ctx key path, or a member's name inside a value held under `holder`)
 * sensitive when value `v` written under it copies a secret; in an object, the member that holds
 * the copy. */
static void mark_copy(copy_pass *pass, const char *holder, size_t hlen, const char *key,
                      const m_value *v)
{
    if (v->kind == MV_OBJECT) {
        const char *parent, *leaf;
        size_t plen, llen;
        if (!ivrsm_redact_path_parts(key, false, &parent, &plen, &leaf, &llen))
            return;
        for (size_t i = 0; i < v->count; i++)
            mark_copy(pass, leaf, llen, v->keys[i], &v->items[i]);
        return;
    }
    if (value_copies_secret(pass->c->m, pass->from, v) &&
        sensitive_add(pass->c, key, false, holder, hlen))
        pass->grew = true;
}

static void add_copies_of_secrets(void *user, const m_kvlist *set)
{
    copy_pass *pass = user;
    for (size_t i = 0; i < set->count && !pass->c->nomem; i++)
        mark_copy(pass, NULL, 0, set->items[i].key, &set->items[i].value);
}

/*
 * What a request sends under a secret's name reads the secret itself: "Authorization: Bearer
 * {{ctx.jwt}}", a body's {password: "{{ctx.word}}"} or {credentials: {user: ..., pass: ...}},
 * ?api_key={{resp.key}}. The keys those templates write out (jwt, word...) are secrets too, in
 * ctx and in the answer that brought them; globals are the machine's own text, now the clock.
 */
typedef struct secret_reads {
    cc *c;
    size_t from;  /* name_is_secret()'s, for the passes of set_reads_for_secrets() */
    size_t count; /* every path written out, when counting: room for what may be added */
    bool add;     /* add them to the machine's sensitive keys, else count them */
    bool grew;    /* a key was added */
} secret_reads;

static void on_secret_read(void *user, const char *path)
{
    secret_reads *r = user;
    if (strncmp(path, "ctx.", 4) != 0 && strncmp(path, "resp.", 5) != 0)
        return;
    if (!r->add) {
        r->count++;
        return;
    }
    if (sensitive_add(r->c, path, true, NULL, 0))
        r->grew = true;
}

/* The paths v writes out, when v is sent under a secret's name (`secret`) or holds a member
 * that is; `holder` names the key v is held under (NULL at the top of a body). */
static void read_for_secret(secret_reads *r, bool secret, const char *holder, size_t hlen,
                            const m_value *v)
{
    if (v->kind == MV_TEMPLATE) {
        if (secret || !r->add)
            ivrsm_tmpl_each_written_path(v->tmpl, on_secret_read, r);
        return;
    }
    for (size_t i = 0; (v->kind == MV_OBJECT || v->kind == MV_ARRAY) && i < v->count; i++) {
        /* Counting needs no names: every path is room. A list's items are held under its key. */
        bool member = v->kind == MV_OBJECT;
        bool member_secret =
            secret || (r->add && member &&
                       name_is_secret(r->c->m, r->from, holder, hlen, v->keys[i]));
        read_for_secret(r, member_secret, member ? v->keys[i] : holder,
                        member ? strlen(v->keys[i]) : hlen, &v->items[i]);
    }
}

static void reads_for_secrets(secret_reads *r)
{
    const ivrsm_machine *m = r->c->m;
    for (size_t i = 0; i < m->state_count && !r->c->nomem; i++) {
        const m_action *a = &m->states[i].action;
        if (!a->present)
            continue;
        for (size_t k = 0; k < a->headers.count; k++)
            read_for_secret(r,
                            r->add && ivrsm_redact_header_is_sensitive(m, a->headers.items[k].key),
                            NULL, 0, &a->headers.items[k].value);
        const m_kvlist *lists[] = {&a->query, &a->path_params};
        for (size_t l = 0; l < sizeof(lists) / sizeof(*lists); l++)
            for (size_t k = 0; k < lists[l]->count; k++)
                read_for_secret(r,
                                r->add && ivrsm_redact_key_is_sensitive(m, lists[l]->items[k].key),
                                NULL, 0, &lists[l]->items[k].value);
        if (a->has_body)
            read_for_secret(r, false, NULL, 0, &a->body);
    }
}

/* The same through a `set:`: a secret's key set from a value ("shop_key: '{{resp.shop}}'") makes
 * what the value writes out a secret too (the backend's shop). */
static void set_reads_for_secrets(void *user, const m_kvlist *set)
{
    secret_reads *r = user;
    for (size_t i = 0; i < set->count && !r->c->nomem; i++) {
        const char *parent, *leaf;
        size_t plen, llen;
        if (!ivrsm_redact_path_parts(set->items[i].key, false, &parent, &plen, &leaf, &llen))
            continue;
        char name[128];
        bool secret = false;
        if (r->add && llen < sizeof name) {
            memcpy(name, leaf, llen);
            name[llen] = '\0';
            secret = name_is_secret(r->c->m, r->from, parent, plen, name);
        }
        read_for_secret(r, secret, leaf, llen, &set->items[i].value);
    }
}

static size_t value_keys(const m_value *v)
{
    size_t n = 1;
    for (size_t i = 0; v->kind == MV_OBJECT && i < v->count; i++)
        n += value_keys(&v->items[i]);
    return n;
}

static void count_set_keys(void *user, const m_kvlist *set)
{
    for (size_t i = 0; i < set->count; i++)
        *(size_t *)user += value_keys(&set->items[i].value);
}

/*
 * A secret stays a secret wherever a machine keeps it, so that traces and a handoff's context
 * mask it as they mask ctx.otp. These keys join the machine's sensitive keys:
 * - the key an otp collect's `target` lands under (the last part of "caller.code");
 * - a key a `set:` copies a secret's value to ("kept: '{{ctx.otp}}'", "auth:
 *   '{{resp.token}}'"; "last" of "caller: {last: '{{ctx.otp}}'}"; "codes" of "codes:
 *   ['{{ctx.otp}}']"), and the keys its copies are copied to in turn. A value that only tests
 *   or compares a secret ("{{ctx.otp == ''}}") is a boolean, not a copy;
 * - a key a request reads to send under a secret's name (reads_for_secrets()), first, so that
 *   its copies are found too.
 */
static void add_own_sensitive_keys(cc *c)
{
    ivrsm_machine *m = c->m;
    secret_reads reads = {c, 0, 0, false, false};
    reads_for_secrets(&reads);
    for (size_t i = 0; i < m->state_count; i++)
        ivrsm_m_each_set(&m->states[i], set_reads_for_secrets, &reads);
    size_t room = reads.count;
    for (size_t i = 0; i < m->state_count; i++) {
        room += m->states[i].collect.mode == IVRSM_COLLECT_OTP && m->states[i].collect.target;
        ivrsm_m_each_set(&m->states[i], count_set_keys, &room);
    }
    if (!room)
        return;
    const char **keys = ivrsm_arena_alloc(c->arena, (m->sensitive_count + room) * sizeof(char *));
    if (!keys) {
        ivrsm_cc_nomem(c);
        return;
    }
    if (m->sensitive_count)
        memcpy(keys, m->sensitive_keys, m->sensitive_count * sizeof(char *));
    m->sensitive_keys = keys;
    reads.add = true;
    reads_for_secrets(&reads);
    for (size_t i = 0; i < m->state_count && !c->nomem; i++) {
        const m_collect *col = &m->states[i].collect;
        if (col->mode != IVRSM_COLLECT_OTP || !col->target)
            continue;
        sensitive_add(c, col->target, false, NULL, 0);
    }
    /* Copies one way, sources the other. Each pass adds at least one key, or is the last: at
     * most one pass per key that may be added. The first applies the whole rule to every name;
     * the next ones look for the keys added since the pass before started. */
    copy_pass pass = {c, 0, true};
    reads.grew = true;
    while ((pass.grew || reads.grew) && !c->nomem) {
        size_t added_from = m->sensitive_count;
        pass.grew = reads.grew = false;
        for (size_t i = 0; i < m->state_count; i++) {
            ivrsm_m_each_set(&m->states[i], add_copies_of_secrets, &pass);
            ivrsm_m_each_set(&m->states[i], set_reads_for_secrets, &reads);
        }
        pass.from = reads.from = added_from;
    }
}

static void compile_states(cc *c, const dom_pair *where)
{
    size_t mark = ivrsm_cc_push_key(c, "states");
    dom_node *states = ivrsm_globals_resolve(c, where->value);
    ivrsm_cc_pop(c, mark);
    c->info->states = states;
    if (!states || !allocate_states(c, states, where))
        return;
    for (size_t i = 0; i < states->count; i++) {
        c->state = (int32_t)i;
        mark = ivrsm_cc_push_key(c, "states");
        ivrsm_cc_state(c, (int32_t)i, &states->pairs[i]);
        ivrsm_cc_pop(c, mark);
    }
    c->state = M_NONE;
    for (size_t i = 0; i < c->m->state_count; i++) {
        if (c->m->states[i].type == M_HANDOFF && c->m->handoff_state == M_NONE)
            c->m->handoff_state = (int32_t)i;
        if (c->m->states[i].type == M_PROMPT_END && c->m->goodbye_state == M_NONE)
            c->m->goodbye_state = (int32_t)i;
    }
    add_own_sensitive_keys(c);
    /* Each state's DTMF table is built: the keypad of its asks, which may read the next one's. */
    if (!c->nomem && ivrsm_m_ask_keys_build(c->m, c->arena) != 0)
        ivrsm_cc_nomem(c);
}

int32_t ivrsm_cc_state_ref(cc *c, const dom_node *n)
{
    if (!ivrsm_cc_expect(c, n, DOM_STRING, "a state name"))
        return M_NONE;
    int32_t idx = ivrsm_m_find_state(c->m, n->text);
    if (idx != M_NONE)
        return idx;
    const char *guess = c->m->state_count ? ivrsm_cc_suggest(c, n->text, &c->m->states[0].name,
                                                             sizeof(m_state), c->m->state_count)
                                          : NULL;
    if (guess)
        ivrsm_cc_error(c, "dangling-next", n->line, n->column,
                       "%s: no state named '%s'; did you mean '%s'?", ivrsm_cc_field(c), n->text,
                       guess);
    else
        ivrsm_cc_error(c, "dangling-next", n->line, n->column, "%s: no state named '%s'",
                       ivrsm_cc_field(c), n->text);
    return M_NONE;
}

/* --- Identity ---------------------------------------------------------------------- */

static const char *const top_keys[] = {
    "machine", "version", "locale",  "languages", "phone_region", "timezone", "description",
    "initial", "inputs",  "globals", "intents",   "states",       "$schema",  NULL};

static const char *required_string(cc *c, const dom_node *root, const char *key)
{
    const char *s = NULL;
    if (!ivrsm_dom_get(root, key))
        ivrsm_cc_missing(c, root->line, root->column, key, "the document");
    else
        ivrsm_cc_get_string(c, root, key, &s);
    return s;
}

static void compile_identity(cc *c, const dom_node *root)
{
    struct ivrsm_machine *m = c->m;
    const char *name = required_string(c, root, "machine");
    const char *version = required_string(c, root, "version");
    const char *locale = "fr-FR", *timezone = "UTC", *ignored;
    ivrsm_cc_get_string(c, root, "locale", &locale);
    ivrsm_cc_get_string(c, root, "timezone", &timezone);
    ivrsm_cc_get_string(c, root, "description", &ignored);
    ivrsm_cc_get_string(c, root, "$schema", &ignored);
    /* Traces, snapshots and graphs show them: names, not text. */
    size_t mark = ivrsm_cc_push_key(c, "machine");
    ivrsm_cc_name_ok(c, ivrsm_dom_get(root, "machine"), "machine name", IVRSM_NAME_RULES_NAME);
    ivrsm_cc_pop(c, mark);
    mark = ivrsm_cc_push_key(c, "version");
    ivrsm_cc_name_ok(c, ivrsm_dom_get(root, "version"), "version", IVRSM_NAME_RULES_NAME);
    ivrsm_cc_pop(c, mark);
    m->name = ivrsm_arena_strdup(c->arena, name ? name : "");
    m->version = ivrsm_arena_strdup(c->arena, version ? version : "");
    m->locale_tag = ivrsm_arena_strdup(c->arena, locale);
    m->timezone = ivrsm_arena_strdup(c->arena, timezone);
    m->source = ivrsm_arena_strdup(c->arena, c->doc->name);
    if (!m->name || !m->version || !m->locale_tag || !m->timezone || !m->source) {
        ivrsm_cc_nomem(c);
        return;
    }
    m->locale = ivrsm_locale_find(locale);
    const dom_node *n = ivrsm_dom_get(root, "locale");
    if (!m->locale) {
        size_t mark = ivrsm_cc_push_key(c, "locale");
        ivrsm_cc_unknown_locale(c, n ? n->line : root->line, n ? n->column : root->column, locale);
        ivrsm_cc_pop(c, mark);
    }
    m->tz = ivrsm_tz_new(timezone, m->mem);
    n = ivrsm_dom_get(root, "timezone");
    if (!m->tz) {
        /* ivrsm_tz_new() says NULL for an unknown zone and for no memory alike. */
        if (ivrsm_tz_known(timezone)) {
            ivrsm_cc_nomem(c);
            return;
        }
        size_t mark = ivrsm_cc_push_key(c, "timezone");
        ivrsm_cc_error(c, "invalid-value", n ? n->line : root->line, n ? n->column : root->column,
                       "timezone: unknown time zone '%s' (expected an IANA name such as "
                       "Europe/Paris, or a POSIX TZ rule)",
                       timezone);
        ivrsm_cc_pop(c, mark);
    }
}

static void compile_initial(cc *c, const dom_node *root)
{
    c->m->initial = c->m->state_count ? 0 : M_NONE;
    const dom_node *n = ivrsm_dom_get(root, "initial");
    if (!n || !c->m->state_count)
        return;
    size_t mark = ivrsm_cc_push_key(c, "initial");
    int32_t idx = ivrsm_cc_state_ref(c, n);
    if (idx != M_NONE)
        c->m->initial = idx;
    ivrsm_cc_pop(c, mark);
}

int ivrsm_compile_machine(dom_doc *doc, ivrsm_diagnostics *diag, compile_info *info,
                          struct ivrsm_machine **out)
{
    *out = NULL;
    info->doc = doc;
    struct ivrsm_machine *m = ivrsm_mem_calloc(doc->mem, 1, sizeof(*m));
    if (!m)
        return IVRSM_ENOMEM;
    m->alloc = *doc->mem;
    m->mem = &m->alloc;
    m->numbers.mem = m->mem;
    m->arena = ivrsm_arena_new(m->mem);
    if (!m->arena) {
        ivrsm_mem_free(m->mem, m);
        return IVRSM_ENOMEM;
    }
    m->refcount = 1;
    m->initial = M_NONE;
    m->handoff_state = M_NONE;
    m->goodbye_state = M_NONE;
    cc c = {.doc = doc,
            .diag = diag,
            .m = m,
            .arena = m->arena,
            .info = info,
            .state = M_NONE,
            .large_suggestions = CC_SUGGEST_LARGE};
    const dom_node *root = doc->root;

    ivrsm_cc_check_keys(&c, root, top_keys, "the document");
    ivrsm_cc_check_key_names(&c, root);
    compile_identity(&c, root);
    ivrsm_cc_languages(&c, root);
    ivrsm_cc_phone_region(&c, root);
    ivrsm_cc_globals(&c, ivrsm_dom_get(root, "globals"));
    const dom_node *inputs = ivrsm_dom_get(root, "inputs");
    if (inputs)
        ivrsm_cc_inputs(&c, inputs);
    compile_intents(&c, ivrsm_dom_get(root, "intents"));
    const dom_pair *states = ivrsm_dom_get_pair(root, "states");
    if (states)
        compile_states(&c, states);
    else
        ivrsm_cc_missing(&c, root->line, root->column, "states", "the document");
    compile_initial(&c, root);
    m->ctx_root_room = ivrsm_m_ctx_root_keys(m);
    if (!c.nomem && ivrsm_graph_build(m) != 0)
        c.nomem = true;
    if (c.nomem) {
        ivrsm_machine_destroy(m);
        return IVRSM_ENOMEM;
    }
    *out = m;
    return 0;
}

void ivrsm_compile_info_free(compile_info *info)
{
    if (!info->doc)
        return; /* nothing was compiled: nothing allocated */
    const ivrsm_mem *mem = info->doc->mem;
    ivrsm_mem_free(mem, info->sites);
    ivrsm_mem_free(mem, info->messages);
    info->messages = NULL;
    info->message_count = info->message_cap = 0;
    ivrsm_mem_free(mem, info->broken);
    info->broken = NULL;
    info->sites = NULL;
    info->site_count = info->site_cap = 0;
}
