/*
 * language-missing (warning): in a machine of several languages, something
 * heard or said has nothing in one of them. A caller who speaks that
 * language could not say the intent, or would hear the first language's
 * words: the call goes on, but the machine is not finished.
 *
 * Checked: intents' utterances, when_text phrases, and every message (prompt,
 * prompt_template, re-prompts, handoff prompt) and list of re-prompts. Words
 * of no language are left alone: an intent heard only as keys, a message
 * made of {{...}} only (the backend's words) or of recordings whose URI is a
 * template ("audio/{{ctx.language}}/hello.wav"), and the plain messages of a language
 * menu, a state whose routes switch to every language (its question speaks them all).
 */
#include <stdio.h>
#include <string.h>

#include "validate.h"

/* "fr-FR, en-US": the languages of `have` (a flag per machine language) that are missing. */
static const char *missing_list(const struct ivrsm_machine *m, const bool *have, char *buf,
                                size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t l = 0; l < m->language_count && used < cap; l++)
        if (!have[l])
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? ", " : "",
                                     m->language_tags[l]);
    return buf;
}

static bool all_present(const struct ivrsm_machine *m, const bool *have)
{
    for (size_t l = 0; l < m->language_count; l++)
        if (!have[l])
            return false;
    return true;
}

static void check_intent(vctx *v, size_t i, bool *have)
{
    const m_intent *in = &v->m->intents[i];
    if (!in->has_utterances || !in->utterances)
        return;
    for (size_t l = 0; l < v->m->language_count; l++)
        have[l] = in->utterances[l].count > 0;
    if (all_present(v->m, have))
        return;
    const dom_node *n = ivrsm_v_dig(ivrsm_dom_get(v->info->intents, in->name), "utterances", NULL);
    m_pos p = n ? (m_pos){n->line, n->column} : in->pos;
    char list[128], path[300];
    snprintf(path, sizeof path, "intents.%s.utterances", in->name);
    if (in->dtmf_count)
        WARN(v, p.line, p.column, path, "language-missing",
             "intent '%s' has no utterances in %s: a caller speaking it can only key %s", in->name,
             missing_list(v->m, have, list, sizeof list), in->dtmf[0]);
    else
        WARN(v, p.line, p.column, path, "language-missing",
             "intent '%s' has no utterances in %s: a caller speaking it can never choose it",
             in->name, missing_list(v->m, have, list, sizeof list));
}

static void check_when_text(vctx *v, size_t i, bool *have)
{
    const m_state *st = &v->m->states[i];
    for (size_t r = 0; r < st->route_count; r++) {
        const m_route *route = &st->routes[r];
        if (route->kind != M_ROUTE_TEXT || !route->texts)
            continue;
        for (size_t l = 0; l < v->m->language_count; l++)
            have[l] = route->texts[l] != NULL;
        if (all_present(v->m, have))
            continue;
        char list[128], sub[64];
        snprintf(sub, sizeof sub, "routes[%zu].when_text", r);
        WARN(v, route->pos.line, route->pos.column, ivrsm_v_state_path(v, i, sub),
             "language-missing",
             "when_text of routes[%zu] in state '%s' has no phrase in %s: a caller speaking it "
             "cannot take this route",
             r, st->name, missing_list(v->m, have, list, sizeof list));
    }
}

/* Letters of the template's own, outside {{...}}: words in some language. */
static bool has_own_words(const char *src)
{
    int depth = 0;
    for (const char *p = src; *p; p++) {
        if (p[0] == '{' && p[1] == '{') {
            depth++;
            p++;
        } else if (p[0] == '}' && p[1] == '}' && depth > 0) {
            depth--;
            p++;
        } else if (depth == 0 &&
                   (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (unsigned char)*p >= 0x80)) {
            return true;
        }
    }
    return false;
}

/* Whether a message says words of one language: words of its own, or a fixed recording. */
static bool is_language_bound(const m_message *msg)
{
    for (size_t i = 0; i < msg->count; i++) {
        const char *src = ivrsm_tmpl_source(msg->parts[i].tmpl);
        if (!src)
            continue;
        if (msg->parts[i].kind == M_PART_SAY ? has_own_words(src) : !strstr(src, "{{"))
            return true;
    }
    return false;
}

/* The last component of a document path ("prompt" of "states.a.prompt"). */
static const char *field_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

/*
 * Whether state i is a language menu: its routes switch the call to each language of the
 * machine but the first ("Para español, pulse 1. For English, press 2."). Its question is
 * written once for callers of every language, in all of them.
 */
static bool is_language_menu(const vctx *v, int32_t i, bool *have)
{
    if (i == M_NONE)
        return false;
    const m_state *st = &v->m->states[i];
    for (size_t l = 0; l < v->m->language_count; l++)
        have[l] = l == 0;
    for (size_t r = 0; r < st->route_count; r++)
        if (st->routes[r].language != M_NONE)
            have[st->routes[r].language] = true;
    return all_present(v->m, have);
}

static void check_message(vctx *v, const msg_site *site, bool *have)
{
    const struct ivrsm_machine *m = v->m;
    char list[128];
    if (site->list) {
        for (size_t l = 0; l < m->language_count; l++)
            have[l] = site->list->by_language[l].count > 0;
        if (!all_present(m, have))
            WARN(v, site->line, site->column, site->path, "language-missing",
                 "%s has no list in %s: callers speaking it hear the re-prompts of %s",
                 field_of(site->path), missing_list(m, have, list, sizeof list),
                 m->language_tags[0]);
        return;
    }
    const m_message *msg = site->msg;
    if (msg->by_language) {
        for (size_t l = 0; l < m->language_count; l++)
            have[l] = msg->by_language[l] != NULL;
        if (all_present(m, have))
            return;
        size_t said = 0;
        while (!have[said])
            said++;
        WARN(v, site->line, site->column, site->path, "language-missing",
             "%s has no %s version: callers speaking it hear the %s one", field_of(site->path),
             missing_list(m, have, list, sizeof list), m->language_tags[said]);
        return;
    }
    if (!is_language_bound(msg) || is_language_menu(v, site->state, have))
        return;
    for (size_t l = 0; l < m->language_count; l++)
        have[l] = l == 0;
    WARN(v, site->line, site->column, site->path, "language-missing",
         "%s is written in one language: callers speaking %s hear it in %s (write it as a map "
         "by language: {%s: ..., %s: ...})",
         field_of(site->path), missing_list(m, have, list, sizeof list), m->language_tags[0],
         m->language_tags[0], m->language_tags[1]);
}

void ivrsm_v_check_languages(vctx *v)
{
    if (v->m->language_count < 2)
        return;
    bool have[64];
    if (v->m->language_count > sizeof have / sizeof have[0])
        return;
    for (size_t i = 0; i < v->m->intent_count; i++)
        check_intent(v, i, have);
    for (size_t i = 0; i < v->info->message_count; i++) {
        const msg_site *site = &v->info->messages[i];
        if (site->state != M_NONE && v->info->broken && v->info->broken[site->state] == 1)
            continue;
        check_message(v, site, have);
    }
    for (size_t i = 0; i < v->m->state_count; i++) {
        if (v->info->broken && v->info->broken[i] == 1)
            continue;
        check_when_text(v, i, have);
    }
}
