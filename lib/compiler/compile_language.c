/*
 * Languages: the `languages:` list of a machine, and values written per
 * language.
 *
 *     languages: [fr-FR, en-US]          the first is the call's language at the start
 *     prompt: { fr-FR: "Bonjour.", en-US: "Hello." }
 *     utterances: { fr-FR: ["oui"], en-US: ["yes"] }
 *
 * A value that is not such a map is the first language's. Every value said
 * or heard that can be written per language goes through
 * ivrsm_cc_by_language(), whatever its own shape. `phone_region` names the
 * locale whose phone numbers the machine reads, whatever the language.
 */
#include <stdio.h>
#include <string.h>

#include "compile.h"

/* "unknown locale 'en-AU'; did you mean 'en-US'? (known: ...)" at (line, column). */
static void unknown_locale(cc *c, int line, int column, const char *tag)
{
    char known[256];
    const ivrsm_locale *nearest = ivrsm_locale_nearest(tag);
    ivrsm_locale_list(known, sizeof known);
    if (nearest)
        ivrsm_cc_error(c, "invalid-value", line, column,
                       "%s: unknown locale '%s'; did you mean '%s'? (known: %s)", ivrsm_cc_field(c),
                       tag, ivrsm_locale_tag(nearest), known);
    else
        ivrsm_cc_error(c, "invalid-value", line, column, "%s: unknown locale '%s' (known: %s)",
                       ivrsm_cc_field(c), tag, known);
}

void ivrsm_cc_unknown_locale(cc *c, int line, int column, const char *tag)
{
    unknown_locale(c, line, column, tag);
}

/* The list of the machine's languages as text, for messages. */
static const char *language_list(const cc *c, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->m->language_count && used < cap; i++)
        used +=
            (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", c->m->language_tags[i]);
    return buf;
}

int ivrsm_cc_language_index(cc *c, const char *what, const char *tag, int line, int column)
{
    const ivrsm_locale *loc = ivrsm_locale_find(tag);
    if (!loc) {
        unknown_locale(c, line, column, tag);
        return -1;
    }
    int index = ivrsm_m_language_index(c->m, tag);
    if (index >= 0)
        return index;
    char list[256];
    ivrsm_cc_error(c, "unknown-language", line, column,
                   "%s: '%s' is not one of the machine's languages (%s); add it to languages: "
                   "at the top of the file",
                   what, tag, language_list(c, list, sizeof list));
    return -1;
}

/* The machine speaks one language: its locale (compile_identity() found it). */
static bool single_language(cc *c)
{
    struct ivrsm_machine *m = c->m;
    m->languages = ivrsm_arena_alloc(c->arena, sizeof(*m->languages));
    m->language_tags = ivrsm_arena_alloc(c->arena, sizeof(*m->language_tags));
    if (!m->languages || !m->language_tags) {
        ivrsm_cc_nomem(c);
        return false;
    }
    m->languages[0] = m->locale ? m->locale : ivrsm_locale_find("fr-FR");
    m->language_tags[0] = ivrsm_locale_tag(m->languages[0]);
    m->language_count = 1;
    return true;
}

/* Reads `languages:` into the machine; the first entry also becomes its locale. */
static void read_language_list(cc *c, const dom_node *list)
{
    struct ivrsm_machine *m = c->m;
    size_t n = list->count;
    m->languages = ivrsm_arena_alloc(c->arena, n * sizeof(*m->languages));
    m->language_tags = ivrsm_arena_alloc(c->arena, n * sizeof(*m->language_tags));
    if (!m->languages || !m->language_tags) {
        ivrsm_cc_nomem(c);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const dom_node *item = list->items[i];
        size_t mark = ivrsm_cc_push_index(c, i);
        if (ivrsm_cc_expect(c, item, DOM_STRING, "a locale such as en-US")) {
            const ivrsm_locale *loc = ivrsm_locale_find(item->text);
            size_t k = 0;
            while (loc && k < m->language_count && m->languages[k] != loc)
                k++;
            if (!loc) {
                unknown_locale(c, item->line, item->column, item->text);
            } else if (k < m->language_count) {
                ivrsm_cc_error(c, "invalid-value", item->line, item->column,
                               "languages: %s is listed twice", ivrsm_locale_tag(loc));
            } else {
                m->languages[m->language_count] = loc;
                m->language_tags[m->language_count++] = ivrsm_locale_tag(loc);
            }
        }
        ivrsm_cc_pop(c, mark);
    }
}

void ivrsm_cc_languages(cc *c, const dom_node *root)
{
    struct ivrsm_machine *m = c->m;
    const dom_node *list = ivrsm_dom_get(root, "languages");
    if (!list) {
        single_language(c);
        return;
    }
    size_t mark = ivrsm_cc_push_key(c, "languages");
    if (ivrsm_cc_expect(c, list, DOM_LIST, "a list of locales, the first the default")) {
        if (list->count == 0)
            ivrsm_cc_error(c, "invalid-value", list->line, list->column,
                           "languages: the list is empty (give at least one locale)");
        else
            read_language_list(c, list);
    }
    ivrsm_cc_pop(c, mark);
    if (m->language_count == 0) {
        single_language(c);
        return;
    }
    /* `locale`, when given too, must be the default: the first language. */
    const dom_node *locale = ivrsm_dom_get(root, "locale");
    if (locale && m->locale && m->locale != m->languages[0]) {
        mark = ivrsm_cc_push_key(c, "locale");
        ivrsm_cc_error(c, "invalid-value", locale->line, locale->column,
                       "locale: '%s' is not the first of languages (%s), which is the call's "
                       "language at the start; drop locale, or list %s first",
                       locale->kind == DOM_STRING ? locale->text : "", m->language_tags[0],
                       ivrsm_locale_tag(m->locale));
        ivrsm_cc_pop(c, mark);
    }
    m->locale = m->languages[0];
}

void ivrsm_cc_phone_region(cc *c, const dom_node *root)
{
    const dom_node *n = ivrsm_dom_get(root, "phone_region");
    if (!n)
        return;
    size_t mark = ivrsm_cc_push_key(c, "phone_region");
    if (ivrsm_cc_expect(c, n, DOM_STRING, "a locale whose phone numbers apply, such as fr-FR")) {
        c->m->phone_region = ivrsm_locale_find(n->text);
        if (!c->m->phone_region)
            unknown_locale(c, n->line, n->column, n->text);
    }
    ivrsm_cc_pop(c, mark);
}

bool ivrsm_cc_by_language(cc *c, const dom_node *n, cc_language_fn one, void *out)
{
    if (n->kind != DOM_MAP)
        return one(c, n, 0, out);
    if (n->count == 0) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "%s: the map by language is empty (give one entry per language, such as "
                       "%s)",
                       ivrsm_cc_field(c), c->m->language_tags[0]);
        return false;
    }
    bool ok = true;
    unsigned char seen[64] = {0};
    for (size_t i = 0; i < n->count; i++) {
        const dom_pair *p = &n->pairs[i];
        char field[64];
        snprintf(field, sizeof field, "%s", ivrsm_cc_field(c));
        size_t mark = ivrsm_cc_push_key(c, p->key);
        int lang = ivrsm_cc_language_index(c, field, p->key, p->line, p->column);
        if (lang < 0) {
            ok = false;
        } else if (lang < 64 && seen[lang]) {
            ivrsm_cc_error(c, "invalid-value", p->line, p->column,
                           "%s is given twice in this map (as '%s' too)", c->m->language_tags[lang],
                           p->key);
            ok = false;
        } else {
            if (lang < 64)
                seen[lang] = 1;
            ok = one(c, p->value, (size_t)lang, out) && ok;
        }
        ivrsm_cc_pop(c, mark);
    }
    return ok;
}

const ivrsm_text_rules *ivrsm_cc_language_rules(const cc *c, size_t language)
{
    if (language >= c->m->language_count)
        return NULL;
    const ivrsm_text_rules *rules = ivrsm_locale_text_rules(c->m->languages[language]);
    /* The language's rewrite index is built at load (once per process), not by an event. */
    ivrsm_text_rules_prepare(rules);
    return rules;
}
