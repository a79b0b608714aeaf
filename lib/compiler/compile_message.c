/*
 * Messages: what the machine says (prompts, re-prompts, handoff prompts).
 *
 *     prompt: "Bonjour."                      one `say` part
 *     prompt:
 *       - play: ivr/welcome.wav               a recording (its URI, a template)
 *       - say: "Bonjour {{ctx.name}}."        words (a template)
 *
 * A map is a message written per language ({fr-FR: ..., en-US: ...}, see
 * compile_language.c): one of the shapes above in each language. Messages whose parts hold no
 * {{...}} are prepared here, once, in the form commands carry (m_message.fixed), so a session says
 * them without rendering or copying anything.
 */
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "text.h"

#define PARTS_WHAT "a list of parts (- say: TEXT, - play: URI)"

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* The text of a static part as sent: words with whitespace collapsed, a URI trimmed. */
static const char *static_text(cc *c, const m_part *p)
{
    if (p->kind == M_PART_SAY)
        return ivrsm_tmpl_static_speech(p->tmpl);
    const char *src = ivrsm_tmpl_source(p->tmpl);
    size_t len = strlen(src);
    while (len && is_blank(src[len - 1]))
        len--;
    while (len && is_blank(*src)) {
        src++;
        len--;
    }
    return len ? ivrsm_arena_strndup(c->arena, src, len) : NULL;
}

/* Join adjacent words into one part, as the runtime does (session speech.c). */
static void prepare_fixed(cc *c, m_message *msg)
{
    for (size_t i = 0; i < msg->count; i++)
        if (!ivrsm_tmpl_is_static(msg->parts[i].tmpl))
            return;
    ivrsm_part *fixed = ivrsm_arena_alloc(c->arena, msg->count * sizeof(*fixed));
    char *words = NULL;
    size_t words_len = 0, total = 0, n = 0;
    for (size_t i = 0; i < msg->count; i++) {
        const char *t = msg->parts[i].kind == M_PART_SAY ? static_text(c, &msg->parts[i]) : NULL;
        total += t ? strlen(t) + 1 : 0;
    }
    if (!msg->count)
        return;
    if (total)
        words = ivrsm_arena_alloc(c->arena, total);
    if (!fixed || (total && !words)) {
        ivrsm_cc_nomem(c);
        return;
    }
    /* Each say part's words go into `words`, runs of says sharing one span. */
    for (size_t i = 0; i < msg->count; i++) {
        const char *t = static_text(c, &msg->parts[i]);
        if (!t)
            continue;
        if (msg->parts[i].kind == M_PART_PLAY) {
            fixed[n++] = (ivrsm_part){IVRSM_PART_PLAY, t};
            continue;
        }
        if (n && fixed[n - 1].type == IVRSM_PART_SAY)
            words[words_len - 1] = ' '; /* the previous say part ends right here: extend it */
        else
            fixed[n++] = (ivrsm_part){IVRSM_PART_SAY, words + words_len};
        size_t len = strlen(t);
        memcpy(words + words_len, t, len + 1);
        words_len += len + 1;
    }
    msg->fixed = fixed;
    msg->fixed_count = n;
    /* The words of all say parts, as `text` carries them. */
    if (n == 1 && fixed[0].type == IVRSM_PART_SAY) {
        msg->fixed_text = fixed[0].text;
    } else if (words_len) {
        char *text = ivrsm_arena_alloc(c->arena, words_len);
        if (!text) {
            ivrsm_cc_nomem(c);
            return;
        }
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            if (fixed[i].type != IVRSM_PART_SAY)
                continue;
            size_t len = strlen(fixed[i].text);
            if (at)
                text[at++] = ' ';
            memcpy(text + at, fixed[i].text, len);
            at += len;
        }
        text[at] = '\0';
        msg->fixed_text = text;
    }
}

/* One `- say: TEXT` or `- play: URI` item. */
static bool compile_part(cc *c, const dom_node *n, m_part *out)
{
    if (!ivrsm_cc_expect(c, n, DOM_MAP, "a part (say: TEXT or play: URI)"))
        return false;
    if (n->count != 1 || (strcmp(n->pairs[0].key, "say") && strcmp(n->pairs[0].key, "play"))) {
        static const char *const keys[] = {"say", "play", NULL};
        ivrsm_cc_check_keys(c, n, keys, "a part");
        if (n->count != 1)
            ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                           "a part has exactly one key, say or play (found %zu keys)", n->count);
        return false;
    }
    const dom_pair *p = &n->pairs[0];
    out->kind = strcmp(p->key, "say") ? M_PART_PLAY : M_PART_SAY;
    size_t mark = ivrsm_cc_push_key(c, p->key);
    c->said_text = out->kind == M_PART_SAY;
    out->tmpl = ivrsm_cc_template(c, p->value);
    c->said_text = false;
    if (out->tmpl && out->kind == M_PART_PLAY) {
        const char *src = ivrsm_tmpl_source(out->tmpl);
        if (strpbrk(src, "\r\n")) {
            ivrsm_cc_error(c, "invalid-value", p->value->line, p->value->column,
                           "play: a recording's URI is one line (found a line break)");
            out->tmpl = NULL;
        } else if (!ivrsm_cc_name_ok(c, p->value, "recording's URI", IVRSM_NAME_RULES_URI)) {
            out->tmpl = NULL;
        } else if (!*src || strspn(src, " \t") == strlen(src)) {
            ivrsm_cc_error(c, "invalid-value", p->value->line, p->value->column,
                           "play: the recording's URI is empty");
            out->tmpl = NULL;
        }
    }
    ivrsm_cc_pop(c, mark);
    return out->tmpl != NULL;
}

/* A message in one language: a text or a list of parts. */
static m_message *message_one(cc *c, const dom_node *n)
{
    bool list = n->kind == DOM_LIST;
    if (n->kind == DOM_MAP) {
        char buf[96];
        ivrsm_cc_error(c, "wrong-type", n->line, n->column,
                       "%s: expected a text or " PARTS_WHAT ", found %s", ivrsm_cc_field(c),
                       ivrsm_cc_describe(n, buf, sizeof(buf)));
        return NULL;
    }
    if (list && n->count == 0) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "%s: the list of parts is empty (give at least one say or play)",
                       ivrsm_cc_field(c));
        return NULL;
    }
    m_message *msg = ivrsm_arena_alloc(c->arena, sizeof(*msg));
    size_t count = list ? n->count : 1;
    m_part *parts = msg ? ivrsm_arena_alloc(c->arena, count * sizeof(*parts)) : NULL;
    if (!parts) {
        ivrsm_cc_nomem(c);
        return NULL;
    }
    memset(msg, 0, sizeof(*msg));
    msg->parts = parts;
    msg->pos = (m_pos){n->line, n->column};
    bool ok = true;
    if (!list) {
        c->said_text = true;
        parts[0] = (m_part){M_PART_SAY, ivrsm_cc_template(c, n)};
        c->said_text = false;
        ok = parts[0].tmpl != NULL;
    } else {
        for (size_t i = 0; i < count; i++) {
            size_t mark = ivrsm_cc_push_index(c, i);
            ok = compile_part(c, n->items[i], &parts[i]) && ok;
            ivrsm_cc_pop(c, mark);
        }
    }
    if (!ok)
        return NULL;
    msg->count = count;
    prepare_fixed(c, msg);
    return msg;
}

/* Keeps where a message (or a list written per language) was written, for the validator. */
static void record_site(cc *c, const m_message *msg, const m_messages *list, const dom_node *n)
{
    compile_info *info = c->info;
    if (c->language_depth > 0 || c->m->language_count < 2)
        return;
    if (ivrsm_mem_grow(c->m->mem, (void **)&info->messages, &info->message_cap, info->message_count,
                       sizeof(*info->messages), 32) != 0) {
        ivrsm_cc_nomem(c);
        return;
    }
    const char *path = ivrsm_arena_strdup(c->arena, c->path);
    if (!path) {
        ivrsm_cc_nomem(c);
        return;
    }
    info->messages[info->message_count++] =
        (msg_site){msg, list, n->line, n->column, path, c->state};
}

/* One language's message of a message written per language. */
static bool message_in(cc *c, const dom_node *n, size_t language, void *out)
{
    m_message **variants = out;
    if (n->kind == DOM_MAP) {
        ivrsm_cc_error(c, "wrong-type", n->line, n->column,
                       "%s: expected a text or " PARTS_WHAT " in this language, found a map",
                       ivrsm_cc_field(c));
        return false;
    }
    c->language_depth++;
    variants[language] = message_one(c, n);
    c->language_depth--;
    return variants[language] != NULL;
}

/* {fr-FR: "Bonjour.", en-US: [ {say: "Hello."} ]}: one message per language. */
static m_message *message_by_language(cc *c, const dom_node *n)
{
    /* {say: "..."}: a part without its list, the likelier mistake than a language "say". */
    if (ivrsm_dom_get(n, "say") || ivrsm_dom_get(n, "play")) {
        ivrsm_cc_error(c, "wrong-type", n->line, n->column,
                       "%s: expected a text or " PARTS_WHAT
                       ", found a map: write a part in a list (- say: TEXT); a map is a "
                       "message by language ({%s: ...})",
                       ivrsm_cc_field(c), c->m->language_tags[0]);
        return NULL;
    }
    size_t count = c->m->language_count;
    m_message **variants = ivrsm_arena_alloc(c->arena, count * sizeof(*variants));
    m_message *msg = ivrsm_arena_alloc(c->arena, sizeof(*msg));
    if (!variants || !msg) {
        ivrsm_cc_nomem(c);
        return NULL;
    }
    if (!ivrsm_cc_by_language(c, n, message_in, variants))
        return NULL;
    /* Said in a language without its own: the first language's, else the first given. */
    const m_message *fallback = NULL;
    for (size_t i = 0; i < count && !fallback; i++)
        fallback = variants[i];
    if (!fallback)
        return NULL;
    *msg = *fallback;
    msg->pos = (m_pos){n->line, n->column};
    msg->by_language = variants;
    return msg;
}

m_message *ivrsm_cc_message(cc *c, const dom_node *n)
{
    m_message *msg = n->kind == DOM_MAP ? message_by_language(c, n) : message_one(c, n);
    if (msg)
        record_site(c, msg, NULL, n);
    return msg;
}

/* A list of messages in one language. */
static bool messages_one(cc *c, const dom_node *n, m_messages *out)
{
    if (!ivrsm_cc_expect(c, n, DOM_LIST,
                         "a list of prompts (each a text or " PARTS_WHAT
                         "), or a map of such lists by language"))
        return false;
    if (n->count == 0) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "%s: the list is empty (give at least one prompt)", ivrsm_cc_field(c));
        return false;
    }
    out->items = ivrsm_arena_alloc(c->arena, n->count * sizeof(*out->items));
    if (!out->items) {
        ivrsm_cc_nomem(c);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n->count; i++) {
        size_t mark = ivrsm_cc_push_index(c, i);
        m_message *msg = ivrsm_cc_message(c, n->items[i]);
        if (msg)
            out->items[out->count++] = msg;
        else
            ok = false;
        ivrsm_cc_pop(c, mark);
    }
    return ok;
}

/* One language's list of a list written per language. */
static bool messages_in(cc *c, const dom_node *n, size_t language, void *out)
{
    m_messages *lists = out;
    c->language_depth++;
    bool ok = messages_one(c, n, &lists[language]);
    c->language_depth--;
    return ok;
}

bool ivrsm_cc_messages(cc *c, const dom_node *n, m_messages *out)
{
    if (n->kind != DOM_MAP)
        return messages_one(c, n, out);
    size_t count = c->m->language_count;
    m_messages *lists = ivrsm_arena_alloc(c->arena, count * sizeof(*lists));
    if (!lists) {
        ivrsm_cc_nomem(c);
        return false;
    }
    if (!ivrsm_cc_by_language(c, n, messages_in, lists))
        return false;
    for (size_t i = 0; i < count && !out->count; i++)
        *out = lists[i];
    out->by_language = lists;
    record_site(c, NULL, out, n);
    return out->count > 0;
}
